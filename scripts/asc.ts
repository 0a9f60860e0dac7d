// AssemblyScript compilation in-process (no child process per program), with
// the flags every program of this project is built with.
//
// Compiles are cached under build/cache/asc: an entry is the wasm (and text)
// of one command line, with every file the compiler read (its path and a hash
// of its contents) and every file it looked for and did not find. An entry is
// used only while all of those are as they were, so an edit anywhere in what
// a program imports (or a new file where the compiler looked) compiles again.
// ASC_CACHE=0 turns the cache off.

import asc, { libraryFiles } from 'assemblyscript/asc';
import binaryen from 'binaryen';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';
import { refuseArgumentCountReaders } from './asrt/varargs.ts';

export interface AscResult { wasm: Uint8Array; wat?: string; ms: number; cached?: boolean }

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Where compiles are kept (a directory of its own under build/). */
export const ASC_CACHE_DIR = join(ROOT, 'build', 'cache', 'asc');

const sha = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/**
 * `--runtime stub` is our thread-safe bump allocator (scripts/asrt/stub.ts),
 * put in the compiler's library in place of AssemblyScript's own stub
 * (whose allocator is a read-modify-write of one global that two threads
 * of a process could interleave). Part of every cache key.
 */
const RUNTIME_STUB = readFileSync(join(ROOT, 'scripts', 'asrt', 'stub.ts'), 'utf8');
if (process.env.ASC_OWN_STUB !== '1') (libraryFiles as Record<string, string>)['rt/stub'] = RUNTIME_STUB;

interface CacheEntry {
  /** absolute path -> sha256 of its text, or null: looked for, not there */
  inputs: Record<string, string | null>;
  wat: boolean;
}

function cacheOn(): boolean {
  return process.env.ASC_CACHE !== '0';
}

/** The cached compile for `key` when every input is unchanged. */
function lookup(key: string): { wasm: Uint8Array; wat?: string } | undefined {
  const meta = join(ASC_CACHE_DIR, `${key}.json`);
  if (!existsSync(meta)) return undefined;
  try {
    const entry = JSON.parse(readFileSync(meta, 'utf8')) as CacheEntry;
    for (const [path, hash] of Object.entries(entry.inputs)) {
      if (hash === null) { if (existsSync(path)) return undefined; continue; }
      let text: string;
      try { text = readFileSync(path, 'utf8'); } catch { return undefined; }
      if (sha(text) !== hash) return undefined;
    }
    const wasm = new Uint8Array(readFileSync(join(ASC_CACHE_DIR, `${key}.wasm`)));
    const wat = entry.wat ? readFileSync(join(ASC_CACHE_DIR, `${key}.wat`), 'utf8') : undefined;
    return { wasm, wat };
  } catch {
    return undefined;
  }
}

/** Writes a file so that readers see all of it or none (rename into place). */
function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.${process.pid}.${threadId}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** Compiles kept (the newest; a kernel's wasm and text are a few MB, a program's a few KB). */
const KEPT = 400;

function prune(): void {
  const entries = readdirSync(ASC_CACHE_DIR).filter((n) => n.endsWith('.json'))
    .map((n) => ({ key: n.slice(0, -5), t: (() => { try { return statSync(join(ASC_CACHE_DIR, n)).mtimeMs; } catch { return 0; } })() }))
    .sort((a, b) => b.t - a.t);
  for (const { key } of entries.slice(KEPT)) {
    for (const ext of ['.json', '.wasm', '.wat']) { try { unlinkSync(join(ASC_CACHE_DIR, key + ext)); } catch { /* gone */ } }
  }
}

function store(key: string, inputs: Record<string, string | null>, wasm: Uint8Array, wat: string | undefined): void {
  try {
    mkdirSync(ASC_CACHE_DIR, { recursive: true });
    writeAtomic(join(ASC_CACHE_DIR, `${key}.wasm`), wasm);
    if (wat !== undefined) writeAtomic(join(ASC_CACHE_DIR, `${key}.wat`), wat);
    // the entry last: it names files that must already be there
    writeAtomic(join(ASC_CACHE_DIR, `${key}.json`), JSON.stringify({ inputs, wat: wat !== undefined } satisfies CacheEntry));
    prune();
  } catch {
    // a read-only tree: no cache
  }
}

export interface AscOptions {
  cache?: boolean;
  threads?: boolean;
  /**
   * After asc's own optimisation, one more binaryen round (shrinkAfterTransform)
   * before the module is written (binary and text alike, so the text's
   * function order and names stay those of the binary). The kernels use it:
   * on the kernel's -O3 --shrinkLevel 1 wasm it takes about 3.7 KiB off the
   * translated image (README "The kernel's size").
   */
  shrinkAfter?: boolean;
}

/**
 * An asc transform whose afterCompile hook wraps the module's emitters: the
 * first emit (after asc's optimisation) runs binaryen's pipeline once more
 * at asc's levels (-O3, shrink 1) with binaryen's own inlining limits, where
 * asc's allow more (an inlined body of up to 6 instead of 2 everywhere) and
 * fewer (a function with one caller inlined only up to size 80; here any).
 * A function with one caller costs the translated kernel its prologue,
 * epilogue, stack check and argument pushes; inlined, none of them.
 */
function shrinkAfterTransform(): object {
  return {
    afterCompile(module: { optimize(): void; emitBinary(...a: unknown[]): unknown; emitStackIR(...a: unknown[]): unknown; emitText(...a: unknown[]): unknown }) {
      let done = false;
      const once = () => {
        if (done) return;
        done = true;
        const levels = [binaryen.getOptimizeLevel(), binaryen.getShrinkLevel()];
        const inline = [binaryen.getAlwaysInlineMaxSize(), binaryen.getFlexibleInlineMaxSize(), binaryen.getOneCallerInlineMaxSize()];
        binaryen.setOptimizeLevel(3);
        binaryen.setShrinkLevel(1);
        binaryen.setAlwaysInlineMaxSize(2);
        binaryen.setFlexibleInlineMaxSize(20);
        binaryen.setOneCallerInlineMaxSize(-1);
        try { module.optimize(); } finally {
          binaryen.setOptimizeLevel(levels[0]); binaryen.setShrinkLevel(levels[1]);
          binaryen.setAlwaysInlineMaxSize(inline[0]); binaryen.setFlexibleInlineMaxSize(inline[1]); binaryen.setOneCallerInlineMaxSize(inline[2]);
        }
      };
      for (const name of ['emitBinary', 'emitStackIR', 'emitText'] as const) {
        const emit = module[name].bind(module);
        module[name] = (...a: unknown[]) => { once(); return emit(...a); };
      }
    },
  };
}

/**
 * Compile `entry` (a path relative to the repository root) to wasm bytes.
 * `opts.threads`: the program runs threads (the kernel, every System32 image
 * and test program); its compile is refused when a call leaves out optional
 * arguments (scripts/asrt/varargs.ts), which needs the text output.
 */
export async function compileAssemblyScript(entry: string, extra: string[] = [], wantText = false, opts: AscOptions = {}): Promise<AscResult> {
  const result = await compileOnce(entry, extra, wantText || opts.threads === true, opts);
  if (opts.threads) refuseArgumentCountReaders(result.wat!, entry);
  return wantText ? result : { ...result, wat: undefined };
}

async function compileOnce(entry: string, extra: string[], wantText: boolean, opts: AscOptions): Promise<AscResult> {
  const t0 = performance.now();
  const cache = opts.cache !== false && cacheOn();
  const args = [entry, '-O3', '--runtime', 'stub', '--noAssert', '--enable', 'threads', '-o', 'out.wasm', ...(wantText ? ['-t', 'out.wat'] : []), ...extra];
  const key = sha(JSON.stringify({ asc: asc.version, cwd: process.cwd(), args, runtime: sha(RUNTIME_STUB), shrinkAfter: opts.shrinkAfter === true }));
  if (cache) {
    const hit = lookup(key);
    if (hit) return { ...hit, ms: performance.now() - t0, cached: true };
  }
  const outputs = new Map<string, Uint8Array | string>();
  const stderr = asc.createMemoryStream();
  const inputs: Record<string, string | null> = {};
  const { error } = await asc.main(args, {
    transforms: (opts.shrinkAfter ? [shrinkAfterTransform()] : []) as unknown as NonNullable<Parameters<typeof asc.main>[1]>['transforms'],
    stderr,
    stdout: asc.createMemoryStream(),
    writeFile: (name: string, contents: Uint8Array | string) => { outputs.set(name, contents); },
    // as asc's own reader (a path relative to baseDir, null when missing), noting what it read
    readFile: async (name: string, baseDir: string) => {
      const path = resolve(baseDir, name);
      try {
        const text = await readFile(path, 'utf8');
        inputs[path] = sha(text);
        return text;
      } catch {
        inputs[path] ??= null;
        return null;
      }
    },
  });
  if (error) throw new Error(`asc ${entry}: ${error.message}\n${stderr.toString()}`);
  const wasm = outputs.get('out.wasm');
  if (!(wasm instanceof Uint8Array)) throw new Error(`asc ${entry}: no output`);
  const watOut = outputs.get('out.wat');
  const wat = typeof watOut === 'string' ? watOut : watOut ? new TextDecoder().decode(watOut) : undefined;
  if (cache) store(key, inputs, wasm, wat);
  return { wasm, wat, ms: performance.now() - t0 };
}
