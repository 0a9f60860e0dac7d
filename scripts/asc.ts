// AssemblyScript compilation in-process (no child process per program), with
// the flags every program of this project is built with.

import asc from 'assemblyscript/asc';

export interface AscResult { wasm: Uint8Array; wat?: string; ms: number }

/** Compile `entry` (a path relative to the repository root) to wasm bytes. */
export async function compileAssemblyScript(entry: string, extra: string[] = [], wantText = false): Promise<AscResult> {
  const t0 = performance.now();
  const outputs = new Map<string, Uint8Array | string>();
  const stderr = asc.createMemoryStream();
  const args = [entry, '-O3', '--runtime', 'stub', '--noAssert', '-o', 'out.wasm', ...(wantText ? ['-t', 'out.wat'] : []), ...extra];
  const { error } = await asc.main(args, {
    stderr,
    stdout: asc.createMemoryStream(),
    writeFile: (name: string, contents: Uint8Array | string) => { outputs.set(name, contents); },
  });
  if (error) throw new Error(`asc ${entry}: ${error.message}\n${stderr.toString()}`);
  const wasm = outputs.get('out.wasm');
  if (!(wasm instanceof Uint8Array)) throw new Error(`asc ${entry}: no output`);
  const wat = outputs.get('out.wat');
  return { wasm, wat: typeof wat === 'string' ? wat : wat ? new TextDecoder().decode(wat) : undefined, ms: performance.now() - t0 };
}
