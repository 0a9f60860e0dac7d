// The build: AssemblyScript -> wasm -> wasm2x86 -> multiboot kernel.
//
//   npx tsx scripts/build.ts [--dump] [--quiet] [--chaos]
//
// Writes build/kernel.wasm, build/kernel.wat, build/ntoskrnl.bin and, with
// --dump, build/ntoskrnl.lst (each pass's text and the disassembly beside the
// wasm instructions it came from). Each step prints its time. --chaos writes
// the chaos kernel build/chaos/ntoskrnl.bin instead (kernel/chaos.ts; the
// disk only when build/disk.img is missing).

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';
import { compileAssemblyScript } from './asc.ts';
import { compileModule } from './wasm2x86/index.ts';
import { linkKernel, KERNEL_BASE } from './wasm2x86/link.ts';
import { formatInsn } from './wasm2x86/emit.ts';
import { writeSysent } from './services.ts';
import { buildDisk } from '../images/build.ts';
import { buildInputsHash, writeBuildStamp } from './buildstamp.mjs';
import { staleSystemImages, system32Files } from '../images/system32.ts';
import { runBuildJobs } from './buildpool.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BUILD = join(ROOT, 'build');

/** Where the kernel's AssemblyScript static data starts (a contract with kernel/). */
export const KERNEL_MEMORY_BASE = 0x80400000;
/**
 * The kernel's wasm memory (its static data; the kernel allocates from pool,
 * never from an AssemblyScript heap) must end below physical 8 MiB. It never
 * grows: memory.grow stops at its initial size (kernelMemoryPages), because
 * the page frame database manages every page past the memory's end at boot
 * (MmInitializePfnDatabase in kernel/mm/pfn.ts reads memory.size(); a contract).
 */
export const KERNEL_MAX_PAGES = (KERNEL_MEMORY_BASE + 4 * 1024 * 1024) / 65536;

/** The initial pages of a wasm module's own memory (its memory section), for memory.grow's limit. */
function kernelMemoryPages(wasm: Uint8Array): number {
  const leb = (at: number): [number, number] => { let v = 0, shift = 0, b: number; do { b = wasm[at++]; v += (b & 0x7F) * 2 ** shift; shift += 7; } while (b & 0x80); return [v, at]; };
  let at = 8;
  while (at < wasm.length) {
    const id = wasm[at];
    const [size, body] = leb(at + 1);
    if (id === 5) { const [, limits] = leb(body); const [min] = leb(limits + 1); if (min > KERNEL_MAX_PAGES) throw new Error(`build: the kernel's memory (${min} pages) passes 8 MiB`); return min; }
    at = body + size;
  }
  throw new Error('build: the kernel module has no memory section');
}

export interface BuildResult {
  kernelWasm: Uint8Array;
  kernelImage: Uint8Array;
  times: Record<string, number>;
  listing?: string;
  /** Every label's address in the linked image (for profilers). */
  labels?: Map<string, number>;
  /** The AssemblyScript compiler's text format of the kernel, with function names. */
  wat?: string;
}

export interface BuildOptions {
  dump?: boolean;
  log?: (s: string) => void;
  /** Files the kernel carries (boot modules): user programs it starts in phase 1 (see kernel/ps/psmain.ts). */
  bootModules?: Array<{ name: string; bytes: Uint8Array }>;
  /** Write build/ntoskrnl.bin and friends (default true; false for test variants). */
  write?: boolean;
  /**
   * The self-test kernel (entry kernel/selftest.ts: the boot self-tests of
   * kernel/<component>/selftest*.ts run with the command-line word `selftest`),
   * written as build/ntoskrnl-selftest.bin; the product kernel has none.
   */
  selfTest?: boolean;
  /**
   * The chaos kernel (entry kernel/chaos.ts, translated with a chaos probe at
   * every function entry and loop head: kernel/ke/chaos.ts), written as
   * build/chaos/ntoskrnl.bin; `chaos=SEED` on its command line forces thread
   * switches at pseudo-random points (`npm run stress`). Never the product.
   */
  chaos?: boolean;
  /**
   * Reuse earlier work (default true): the AssemblyScript compile (build/cache/asc,
   * scripts/asc.ts) and, for `write: false` without `dump`, the linked image
   * (build/cache/kernel, keyed by the wasm, the boot modules and the translator's
   * sources). False measures the whole pipeline (the bench).
   */
  cache?: boolean;
}

/**
 * AssemblyScript options of the kernels beyond every program's (scripts/asc.ts):
 * binaryen -O3 that shrinks (inlines only where the code does not grow); issue 16's
 * size row, README "Benchmark".
 */
export const KERNEL_ASC_FLAGS = ['--shrinkLevel', '1'];
/** Then one more binaryen round that inlines every function with one caller (scripts/asc.ts, AscOptions.shrinkAfter): about 3.7 KiB of image. */
export const KERNEL_SHRINK_AFTER = true;

/** The AssemblyScript entry of the product kernel and of the self-test kernel. */
export const KERNEL_ENTRY = 'kernel/main.ts';
export const SELFTEST_KERNEL_ENTRY = 'kernel/selftest.ts';
export const CHAOS_KERNEL_ENTRY = 'kernel/chaos.ts';
/** Where `npm run build -- --chaos` writes the chaos kernel. */
export const CHAOS_KERNEL_PATH = join(BUILD, 'chaos', 'ntoskrnl.bin');
/** The chaos build's probes (CompileOptions.chaosProbe): the handler gets none of its own. */
const CHAOS_PROBE = { handler: 'KiChaosPoint', loops: true, exclude: ['KiChaosPoint'] };

const ascCache = new Map<string, { fingerprint: string; wasm: Uint8Array; wat?: string }>();
/** The translated kernel per wasm (a test builds many kernels that differ only in their boot modules). */
const translated = new Map<string, ReturnType<typeof compileModule>>();

/** Linked kernels of earlier runs: build/cache/kernel/<key>.bin and <key>.labels.json. */
const KERNEL_CACHE_DIR = join(BUILD, 'cache', 'kernel');

const sha256 = (...parts: Array<string | Uint8Array>) => { const h = createHash('sha256'); for (const p of parts) h.update(p); return h.digest('hex'); };

/** A hash of the translator and linker sources (what turns the wasm into the image). */
function translatorFingerprint(): string {
  const hash = createHash('sha256');
  const dir = join(ROOT, 'scripts', 'wasm2x86');
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.ts')).sort()) { hash.update(name); hash.update(readFileSync(join(dir, name))); }
  for (const file of ['scripts/build.ts', 'scripts/services.ts']) { hash.update(file); hash.update(readFileSync(join(ROOT, file))); }
  return hash.digest('hex');
}

/** Keeps the newest 200 linked kernels (about 0.4 MB each with their labels). */
function pruneKernelCache(): void {
  const entries = readdirSync(KERNEL_CACHE_DIR).filter((n) => n.endsWith('.bin'))
    .map((n) => ({ n, t: statSync(join(KERNEL_CACHE_DIR, n)).mtimeMs })).sort((a, b) => b.t - a.t);
  for (const { n } of entries.slice(200)) {
    for (const f of [n, n.replace(/\.bin$/, '.labels.json')]) { try { unlinkSync(join(KERNEL_CACHE_DIR, f)); } catch { /* gone */ } }
  }
}

function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.${process.pid}.${threadId}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** A hash of every kernel source file (path and contents). */
function kernelFingerprint(): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) { hash.update(path); hash.update(readFileSync(path)); }
    }
  };
  walk(join(ROOT, 'kernel'));
  return hash.digest('hex');
}

/**
 * The names ntoskrnl.exe exports to kernel-mode images: what
 * kernel/exports.ts re-exports or defines (the entry files re-export it).
 */
export function kernelExportNames(): string[] {
  const text = readFileSync(join(ROOT, 'kernel/exports.ts'), 'utf8');
  const names = [...text.matchAll(/^export \{([^}]*)\} from/gm)].flatMap((m) => m[1].split(',').map((x) => x.trim()).filter(Boolean));
  names.push(...[...text.matchAll(/^export function (\w+)/gm)].map((m) => m[1]));
  return names;
}

export async function buildKernel(opts: BuildOptions = {}): Promise<BuildResult> {
  const log = opts.log ?? (() => {});
  const times: Record<string, number> = {};
  let t = performance.now();
  const step = (name: string) => { const now = performance.now(); times[name] = now - t; t = now; log(`build: ${name} ${(times[name] / 1000).toFixed(2)} s`); };

  if (writeSysent()) log('build: regenerated kernel/ke/sysent.ts from scripts/services.ts');
  // One AssemblyScript compile per process for the same kernel sources: tests
  // build many kernels that differ only in their boot modules.
  const entry = opts.chaos ? CHAOS_KERNEL_ENTRY : opts.selfTest ? SELFTEST_KERNEL_ENTRY : KERNEL_ENTRY;
  const fingerprint = kernelFingerprint();
  let compiledAsc = ascCache.get(entry)?.fingerprint === fingerprint ? ascCache.get(entry) : undefined;
  if (!compiledAsc) {
    const out = await compileAssemblyScript(join(ROOT, entry), [
      '--use', 'abort=kernel/ke/bugcheck/KiAbort',
      '--memoryBase', String(KERNEL_MEMORY_BASE),
      ...KERNEL_ASC_FLAGS,
    ], true, { cache: opts.cache, threads: true, shrinkAfter: KERNEL_SHRINK_AFTER });
    compiledAsc = { fingerprint, wasm: out.wasm, wat: out.wat };
    ascCache.set(entry, compiledAsc);
  }
  const { wasm, wat } = compiledAsc;
  step(`asc ${entry}`);
  const exports = kernelExportNames();
  // a test variant linked before (same wasm, modules, exports and translator): the image as it was
  const useImageCache = opts.write === false && !opts.dump && opts.cache !== false && process.env.ASC_CACHE !== '0';
  let imageKey = '';
  if (useImageCache) {
    const modules = opts.bootModules ?? [];
    imageKey = sha256(translatorFingerprint(), wasm, JSON.stringify({ exports, chaos: opts.chaos ? CHAOS_PROBE : undefined, modules: modules.map((m) => [m.name, m.bytes.length]) }), ...modules.map((m) => m.bytes));
    const bin = join(KERNEL_CACHE_DIR, `${imageKey}.bin`);
    const labelsFile = join(KERNEL_CACHE_DIR, `${imageKey}.labels.json`);
    if (existsSync(labelsFile)) {
      try {
        const kernelImage = new Uint8Array(readFileSync(bin));
        const labels = new Map<string, number>(JSON.parse(readFileSync(labelsFile, 'utf8')));
        step('cached image');
        return { kernelWasm: wasm, kernelImage, times, labels, wat };
      } catch {
        // a damaged entry: build it again
      }
    }
  }
  const translateKey = opts.dump ? '' : sha256(wasm, opts.chaos ? 'chaos' : '');
  let compiled = translated.get(translateKey);
  if (!compiled) {
    compiled = compileModule(wasm, {
      name: 'kernel.wasm',
      trapHandler: 'export:KiWasmTrap',
      stackLimit: '__stack_limit',
      trapDispatchExport: 'KiTrapDispatch',
      maxMemoryPages: kernelMemoryPages(wasm),
      compressData: true,
      dump: opts.dump,
      chaosProbe: opts.chaos ? CHAOS_PROBE : undefined,
    });
    if (translateKey) { translated.clear(); translated.set(translateKey, compiled); }
  }
  step('wasm2x86 translate');
  const linked = linkKernel(compiled, { entryExport: 'KiSystemStartup', stackLimitSymbol: '__stack_limit', bootModules: opts.bootModules, exports });
  step('assemble + link');
  if (useImageCache) {
    try {
      mkdirSync(KERNEL_CACHE_DIR, { recursive: true });
      writeAtomic(join(KERNEL_CACHE_DIR, `${imageKey}.bin`), linked.image);
      writeAtomic(join(KERNEL_CACHE_DIR, `${imageKey}.labels.json`), JSON.stringify([...linked.assembled.labels]));
      pruneKernelCache();
    } catch {
      // a read-only tree: no cache
    }
  }
  if (opts.write === false) return { kernelWasm: wasm, kernelImage: linked.image, times, labels: linked.assembled.labels, wat };

  mkdirSync(BUILD, { recursive: true });
  if (opts.chaos) {
    mkdirSync(dirname(CHAOS_KERNEL_PATH), { recursive: true });
    writeFileSync(CHAOS_KERNEL_PATH, linked.image);
    log(`build: chaos/ntoskrnl.bin ${linked.image.length} bytes (chaos probes; boot it with chaos=SEED)`);
    return { kernelWasm: wasm, kernelImage: linked.image, times };
  }
  if (opts.selfTest) {
    writeFileSync(join(BUILD, 'ntoskrnl-selftest.bin'), linked.image);
    log(`build: ntoskrnl-selftest.bin ${linked.image.length} bytes`);
    return { kernelWasm: wasm, kernelImage: linked.image, times };
  }
  writeFileSync(join(BUILD, 'kernel.wasm'), wasm);
  if (wat) writeFileSync(join(BUILD, 'kernel.wat'), wat);
  writeFileSync(join(BUILD, 'ntoskrnl.bin'), linked.image);
  let listing: string | undefined;
  if (opts.dump) {
    listing = await makeListing(compiled.dumps!, linked.assembled, linked.insns);
    writeFileSync(join(BUILD, 'ntoskrnl.lst'), listing);
    step('listing');
  }
  log(`build: ntoskrnl.bin ${linked.image.length} bytes, entry 0x${(linked.entry - KERNEL_BASE).toString(16)} (physical)`);
  return { kernelWasm: wasm, kernelImage: linked.image, times, listing };
}

/** The dump: each pass's text, then every instruction with its address, bytes and the wasm op. */
async function makeListing(dumps: Map<string, string>, asm: import('./wasm2x86/x86.ts').Assembled, insns: import('./wasm2x86/x86.ts').Insn[]): Promise<string> {
  const parts: string[] = [];
  for (const [pass, text] of dumps) parts.push(`==== pass: ${pass}\n${text}\n`);
  parts.push('==== pass: emit (address  bytes  instruction  ; wasm)');
  const addrToLabel = new Map<number, string[]>();
  for (const [name, a] of asm.labels) { const l = addrToLabel.get(a) ?? []; l.push(name); addrToLabel.set(a, l); }
  // Disassemble with iced-x86 when it is installed (a dev dependency); else print bytes only.
  let disasm: ((bytes: Uint8Array, ip: number) => string) | undefined;
  try {
    const iced = await import('iced-x86');
    const fmt = new iced.Formatter(iced.FormatterSyntax.Nasm);
    disasm = (bytes, ip) => {
      const dec = new iced.Decoder(32, bytes, iced.DecoderOptions.None);
      dec.ip = BigInt(ip);
      const ins = dec.decode();
      const s = fmt.format(ins);
      ins.free(); dec.free();
      return s;
    };
  } catch { /* no disassembler */ }
  return parts.join('\n') + '\n' + listingBody(asm, insns, addrToLabel, disasm);
}

function listingBody(asm: import('./wasm2x86/x86.ts').Assembled, insns: import('./wasm2x86/x86.ts').Insn[], labels: Map<number, string[]>, disasm?: (b: Uint8Array, ip: number) => string): string {
  const lines: string[] = [];
  const seen = new Set<number>();
  for (let i = 0; i < asm.spans.length; i++) {
    const span = asm.spans[i];
    const insn = insns[i];
    if (insn.op === 'label' || insn.op === 'align') continue;
    if (insn.op === 'db' || insn.op === 'dd') { lines.push(`  ${(asm.origin + span.offset).toString(16).padStart(8, '0')}  (${span.length} bytes of data)`); continue; }
    if (span.length === 0 || seen.has(span.offset)) continue;
    seen.add(span.offset);
    const addr = asm.origin + span.offset;
    for (const l of labels.get(addr) ?? []) lines.push(`${l}:`);
    const bytes = asm.code.subarray(span.offset, span.offset + span.length);
    const hex = Array.from(bytes.subarray(0, 12), (b) => b.toString(16).padStart(2, '0')).join(' ');
    const text = disasm ? disasm(bytes, addr) : formatInsn(insn);
    lines.push(`  ${addr.toString(16).padStart(8, '0')}  ${hex.padEnd(36)} ${text.padEnd(40)}${insn.note ? ' ; ' + insn.note : ''}`);
  }
  return lines.join('\n') + '\n';
}

async function main() {
  const args = process.argv.slice(2);
  const quiet = args.includes('--quiet');
  const log = quiet ? undefined : (s: string) => console.error(s);
  const t0 = performance.now();
  // A plain build records its inputs' hash (taken before it starts) for `npm run build`'s skip (scripts/buildstamp.mjs).
  const stamp = args.length === 0 ? buildInputsHash() : undefined;
  const chaos = args.includes('--chaos');
  const kernel = () => buildKernel({ dump: args.includes('--dump'), chaos, log }).then(() => undefined);
  // --chaos: the chaos kernel only (build/chaos/ntoskrnl.bin); it boots the product's disk, built when missing.
  if (chaos && existsSync(join(BUILD, 'disk.img'))) {
    await kernel();
    if (!quiet) console.error(`build: done in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
    return;
  }
  // The kernel on this thread while System32's images are compiled on the other cores (scripts/buildpool.ts);
  // this thread then takes the images still waiting.
  await runBuildJobs(staleSystemImages().map((name) => ({ kind: 'image', name })), { log, first: kernel });
  // The disk: MBR + FAT volume with the Windows tree, System32's programs and the SYSTEM hive (images/build.ts).
  const files = await system32Files(log);
  const disk = buildDisk({ files });
  writeFileSync(join(BUILD, 'disk.img'), disk);
  if (!quiet) console.error(`build: disk.img ${disk.length >> 20} MiB (Windows tree, ${[...files.keys()].map((f) => f.split('\\').pop()).join(', ')}, SYSTEM hive from images/registry/SYSTEM.reg)`);
  if (stamp) writeBuildStamp(stamp);
  if (!quiet) console.error(`build: done in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e) => { console.error(`build: FAILED: ${e.message}`); process.exit(1); });
}
