// Builds a small AssemblyScript program (exports `main(magic, info)` and
// `trap(code, address)`) into a multiboot image with the same pipeline as the
// kernel. Used by the differential tests and the benchmark.

import { compileAssemblyScript } from './asc.ts';
import { compileModule } from './wasm2x86/index.ts';
import { linkKernel } from './wasm2x86/link.ts';

export const PROGRAM_MEMORY_BASE = 0x80400000;

export interface TestProgram { wasm: Uint8Array; image: Uint8Array; codeBytes: number; insns: import('./wasm2x86/x86.ts').Insn[] }

/** `chaosProbe`: the translator's chaos build (CompileOptions.chaosProbe) with this handler export. */
export async function buildTestProgram(path: string, opts: { chaosProbe?: import('./wasm2x86/api.ts').CompileOptions['chaosProbe']; compressData?: boolean } = {}): Promise<TestProgram> {
  const { wasm } = await compileAssemblyScript(path, ['--memoryBase', String(PROGRAM_MEMORY_BASE), '--use', 'abort=test/wasm2x86/programs/io/progAbort']);
  const compiled = compileModule(wasm, {
    name: path.split('/').pop(),
    trapHandler: 'export:trap',
    stackLimit: '__stack_limit',
    maxMemoryPages: (PROGRAM_MEMORY_BASE + 8 * 1024 * 1024) / 65536,
    chaosProbe: opts.chaosProbe,
    compressData: opts.compressData,
  });
  const linked = linkKernel(compiled, { entryExport: 'main', stackLimitSymbol: '__stack_limit' });
  return { wasm, image: linked.image, codeBytes: linked.image.length, insns: compiled.insns };
}

/** Runs the program's wasm in Node with JavaScript intrinsics; returns what it printed and its exit code. */
export async function runInNode(wasm: Uint8Array): Promise<{ out: string; exitCode: number; marks: number }> {
  let out = '';
  let marks = 0;
  class Exit { constructor(public code: number) {} }
  const kernel = {
    outb(port: number, value: number) {
      if (port === 0x3F8) out += String.fromCharCode(value & 0xFF);
      else if (port === 0xF4) throw new Exit(value);
      else if (port === 0xF5) marks++;
    },
  };
  const { instance } = (await WebAssembly.instantiate(wasm, { kernel })) as unknown as WebAssembly.WebAssemblyInstantiatedSource;
  const ex = instance.exports as any;
  const TRAPS: Array<[RegExp, number]> = [
    [/unreachable/, 1], [/divide by zero/, 2], [/overflow/, 3], [/out of bounds/, 4],
    [/table index|undefined element/, 5], [/null|uninitialized/, 6], [/signature|type mismatch/, 7], [/stack/, 8],
  ];
  const run = (f: () => void): number | undefined => {
    try { f(); return undefined; } catch (e) {
      if (e instanceof Exit) return e.code;
      if (e instanceof WebAssembly.RuntimeError) {
        const code = TRAPS.find(([re]) => re.test(e.message))?.[1] ?? 0;
        return run(() => ex.trap(code, 0)) ?? 0;
      }
      throw e;
    }
  };
  const code = run(() => ex.main(0x2BADB002, 0x7C00)) ?? 0;
  return { out, exitCode: code, marks };
}
