// npm run bench: the figures issue by issue, measured in one run, each beside
// its reference as a ratio.
//
//  1. Build: wall time of the whole pipeline (asc + translate + link), image size.
//  2. Boot: wall time and guest instructions to `ke: idle loop`, against the
//     floor (the smallest multiboot image that prints one serial line).
//  3. Translator quality: guest instructions of compute kernels translated by
//     wasm2x86 (test/wasm2x86/programs/bench-kernels.ts), against the same
//     program compiled by gcc -O2 -m32 (scripts/bench/kernels.c; gcc is a
//     bench-only reference).
//  4. ... kernel paths, storage, processes, smss (see each function), and the
//     logon to the shell's first prompt (scripts/bench/shell.ts).
//
// How kernels are measured. v86's instruction counter, read from a port
// handler, does not include the instructions of the block the interpreter is
// running (it adds them when the block ends; an `out` ends one). So a read at a
// mark is off by however far the last block boundary was, and bracketing a
// kernel with two marks gives garbage. What is exact is the difference of two
// whole runs that execute the same instructions before and after the measured
// code: each program ends with an `out` to the mark port (a block boundary at a
// fixed place) and then the exit write to port 0xF4, where boot() reads the
// counter. The command line "K N M 0" runs N repetitions of kernel K's loop
// with the kernel call on (M=1) or off (M=0), so
//     per call = (t(K, N, 1) - t(K, N, 0)) / N,
// which includes the call, its arguments and the dispatch (a few dozen
// instructions at most). The bench checks that N=1 and N=2 give the same
// figure, that a trivial two-instruction loop counts exactly 2 per iteration,
// that a run repeated gives the same count and that the JIT does not change it;
// it fails if any of these does not hold, or if the two programs' checksums
// (verify mode, "0 0 0 1") differ.
//
// The boot figure is read in the serial handler of the marker line's last
// byte, so it lacks the few instructions since the previous port write.
//
// `npx tsx scripts/bench/listing.ts` prints each kernel's wasm, its wasm2x86
// translation and gcc's code side by side.
//
// Guest instruction counts do not depend on host speed; wall times do (median of runs).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildKernel, ROOT } from './build.ts';
import { buildTestProgram } from './testprog.ts';
import { buildUserProgram } from './userprog.ts';
import { writeFileSync, unlinkSync } from 'node:fs';
import { buildGccReference } from './bench/gcc.ts';
import { assemble } from './wasm2x86/emit.ts';
import { reg, imm, EAX, ECX, EDX, type Insn, type Mnemonic, type Operand } from './wasm2x86/x86.ts';
import { boot, type BootResult } from '../emulator/node/boot.ts';
import { buildDisk, buildSystemHive } from '../images/build.ts';
import { helloImage } from '../test/pe/tiny.ts';
import { buildSystem32, system32Files } from '../images/system32.ts';
import { buildUserImage } from './pe/link.ts';
import { SERVICES } from './services.ts';
import { shellLogon } from './bench/shell.ts';
import { loadavg } from 'node:os';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);

function median(xs: number[]): number { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; }
const fmtMs = (ms: number) => `${ms.toFixed(0)} ms`;
const fmtN = (n: number) => n.toLocaleString('en-US');
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

function fail(msg: string): never { throw new Error(msg); }

const I = (op: Mnemonic, ...ops: Operand[]): Insn => ({ op, ops });
const multibootHeader = (): Insn[] => [
  { op: 'label', target: 'hdr' },
  { op: 'dd', ops: [imm(0x1BADB002), imm(0x00010000), imm(-(0x1BADB002 + 0x00010000) | 0), imm(0, 'hdr'), imm(0x100000), imm(0, 'end'), imm(0, 'end'), imm(0, 'entry')] },
  { op: 'label', target: 'entry' },
];
const outb = (port: number, v: number): Insn[] => [I('mov', reg(EDX), imm(port)), I('mov', reg(EAX), imm(v)), I('out', reg(EDX, 2), reg(EAX, 1))];
const haltForever: Insn[] = [{ op: 'label', target: 'halt' }, I('cli'), I('hlt'), { op: 'jmp', target: 'halt' }, { op: 'label', target: 'end' }];

/** The floor: a multiboot image that prints one log line and powers off. */
function floorImage(): Uint8Array {
  const msg = '[    0.000000] ke: floor\n';
  const code: Insn[] = [
    ...multibootHeader(),
    I('mov', reg(EDX), imm(0x3F8)),
    ...[...msg].flatMap((c): Insn[] => [I('mov', reg(EAX), imm(c.charCodeAt(0))), I('out', reg(EDX, 2), reg(EAX, 1))]),
    ...outb(0xF4, 0),
    ...haltForever,
  ];
  return assemble(code, 0x100000).code;
}

/** The method's check: `dec ecx; jnz` n times, then a mark and the exit, as the kernel programs end. */
function loopImage(n: number): Uint8Array {
  const code: Insn[] = [
    ...multibootHeader(),
    I('mov', reg(ECX), imm(n)),
    { op: 'label', target: 'loop' }, I('dec', reg(ECX)), { op: 'jcc', cc: 'ne', target: 'loop' },
    ...outb(0xF5, 0), ...outb(0xF4, 0),
    ...haltForever,
  ];
  return assemble(code, 0x100000).code;
}

async function bootMedian(kernel: Uint8Array, until?: string): Promise<{ wall: number; instr: number; last: BootResult }> {
  const walls: number[] = [], instrs: number[] = [];
  let last!: BootResult;
  for (let i = 0; i < RUNS; i++) {
    last = await boot({ kernel, until, timeoutMs: 20000, cmdline: 'poweroff' });
    if (!last.reached && last.exitCode === undefined) fail(`bench: boot did not finish (${last.reason}): ${last.log.slice(-300)}`);
    walls.push(last.wallMs); instrs.push(last.instructions);
  }
  return { wall: median(walls), instr: median(instrs), last };
}

/** One whole run to the exit port; its guest instruction count. */
async function total(what: string, kernel: Uint8Array, cmdline: string, jit = false): Promise<number> {
  const r = await boot({ kernel, cmdline, timeoutMs: 60000, disableJit: !jit });
  if (r.reason !== 'exit' || r.exitCode !== 0) fail(`bench: ${what} "${cmdline}" ended with ${r.reason} ${r.exitCode ?? ''}: ${r.log.slice(-300)}`);
  return r.instructions;
}

/** How many element moves (inner-loop iterations) the insertion sort of the bench's 600 ints makes. */
function sortShifts(): number {
  let x = 7, shifts = 0;
  const a: number[] = [];
  for (let i = 0; i < 600; i++) { x = (x ^ (x << 13)) >>> 0; x = (x ^ (x >>> 17)) >>> 0; x = (x ^ (x << 5)) >>> 0; a.push(x | 0); }
  for (let i = 1; i < a.length; i++) {
    const v = a[i];
    let j = i - 1;
    while (j >= 0 && a[j] > v) { a[j + 1] = a[j]; j--; shifts++; }
    a[j + 1] = v;
  }
  return shifts;
}

interface Kernel { k: number; label: string; per: string; elems: number }
const KERNELS: Kernel[] = [
  { k: 1, label: 'crc32 16 KiB', per: 'byte', elems: 16384 },
  { k: 2, label: 'word copy 16 KiB', per: 'word', elems: 4096 },
  { k: 3, label: 'insertion sort 600 ints', per: 'move', elems: sortShifts() },
  { k: 4, label: 'fnv1a32 8 KiB', per: 'byte', elems: 8192 },
  { k: 5, label: 'string compare 8 KiB', per: 'byte', elems: 8192 },
  { k: 6, label: 'pool 256 alloc+free', per: 'pair', elems: 256 },
  { k: 7, label: 'hash lookup 4096', per: 'lookup', elems: 4096 },
  { k: 8, label: 'memcpy+memset 16 KiB', per: 'KiB', elems: 32 },
];

/** Instructions per kernel call: (t(N=2, on) - t(N=2, off)) / 2, checked against N=1. */
async function perCall(what: string, image: Uint8Array, k: number): Promise<number> {
  const runs = await Promise.all([`${k} 1 0 0`, `${k} 1 1 0`, `${k} 2 0 0`, `${k} 2 1 0`].map((c) => total(what, image, c)));
  const d1 = runs[1] - runs[0], d2 = runs[3] - runs[2];
  if (d2 !== 2 * d1) fail(`bench: ${what} kernel ${k}: 2 calls cost ${d2}, 1 call ${d1}: the counts are not exact`);
  return d1;
}

async function verify(what: string, image: Uint8Array): Promise<string> {
  const r = await boot({ kernel: image, cmdline: '0 0 0 1', timeoutMs: 60000, disableJit: true });
  if (r.reason !== 'exit' || r.exitCode !== 0 || !r.log.endsWith('done\n')) fail(`bench: ${what} verify run ended with ${r.reason}: ${r.log.slice(-300)}`);
  return r.log;
}

async function main() {
  const tStart = performance.now();
  // `npm run bench -- processes`: only the process figures.
  if (process.argv.includes('processes')) { await processes(); return; }
  // `npm run bench -- heap`: only ntdll's heap allocate/free pair.
  if (process.argv.includes('heap')) { await heapPair(); return; }
  // `npm run bench -- smss`: only the Session Manager's figures.
  if (process.argv.includes('smss')) { await smssSteps(); return; }
  // `npm run bench -- kernel`: only the system call, thread switch and LPC figures.
  if (process.argv.includes('kernel')) { await kernelPaths(); return; }
  // `npm run bench -- session-memory`: only win32k.sys's pages per session.
  if (process.argv.includes('session-memory')) { await sessionMemory(); return; }
  // `npm run bench -- shell`: only the logon to nsh's first prompt.
  if (process.argv.includes('shell')) { await shellLogon(RUNS); return; }
  // `npm run bench -- logon`: boot to the logon screen, a new session, System32's sizes.
  if (process.argv.includes('logon')) { await logonFigures(); return; }
  // `npm run bench -- storage`: only the IDE, hive load and FAT mount figures.
  if (process.argv.includes('storage')) { await storage(); return; }
  // `npm run bench -- paging`: page-out and page-in costs, and the smallest RAM that reaches the logon screen.
  if (process.argv.includes('paging')) { await paging(); return; }
  // `npm run bench -- boottime`: wall time to smss's first line, JIT on and off, 32 MiB disk and one sized to its content.
  if (process.argv.includes('boottime')) { await bootTime(); return; }
  // `npm run bench -- translator`: only the translator against gcc.
  if (process.argv.includes('translator')) { await translator(); return; }
  console.log('== build');
  const t0 = performance.now();
  const built = await buildKernel({ cache: false }); // the whole pipeline, not build/cache
  const buildMs = performance.now() - t0;
  console.log(`pipeline (asc + wasm2x86 + link): ${fmtMs(buildMs)}  [${Object.entries(built.times).map(([k, v]) => `${k} ${fmtMs(v)}`).join(', ')}]`);
  const floor = floorImage();
  console.log(`ntoskrnl.bin: ${built.kernelImage.length} bytes; floor image: ${floor.length} bytes (${ratio(built.kernelImage.length, floor.length)}); reference 409,600 before the packed data segments (${ratio(built.kernelImage.length, 409600)}), target 262,144 (${ratio(built.kernelImage.length, 262144)})`);
  const selfTest = await buildKernel({ selfTest: true });
  console.log(`ntoskrnl-selftest.bin (the same kernel with its boot self-tests): ${selfTest.kernelImage.length} bytes (${ratio(selfTest.kernelImage.length, built.kernelImage.length)} of ntoskrnl.bin)`);

  console.log('== boot (median of %d)', RUNS);
  const k = await bootMedian(built.kernelImage, 'ke: idle loop');
  const f = await bootMedian(floor, 'ke: floor');
  console.log(`boot to "ke: idle loop": ${fmtMs(k.wall)}, ${fmtN(k.instr)} guest instructions`);
  console.log(`floor (one serial line): ${fmtMs(f.wall)}, ${fmtN(f.instr)} guest instructions`);
  console.log(`ratio kernel/floor: wall ${ratio(k.wall, f.wall)}, instructions ${ratio(k.instr, f.instr)}`);

  await translator();
  await kernelPaths();
  await storage();
  await paging();
  await processes();
  await heapPair();
  await smssSteps();
  await sessionMemory();
  await logonFigures();
  await bootTime();
  await shellLogon(RUNS);
  console.log(`(bench ran ${((performance.now() - tStart) / 1000).toFixed(1)} s)`);
}

/** Issue 2's and issue 16's figures: guest instructions per call of eight compute kernels, ours against gcc -O2 -m32. */
async function translator(): Promise<void> {
  console.log('== translator vs gcc -O2 -m32 (guest instructions per kernel call; whole-run differences)');
  // The method on a loop whose count is known: 2 instructions per iteration, exactly.
  const [l1, l2, l2again, l2jit] = await Promise.all([
    total('loop', loopImage(1000), ''), total('loop', loopImage(3000), ''), total('loop', loopImage(3000), ''), total('loop', loopImage(3000), '', true),
  ]);
  if (l2 - l1 !== 4000 || l2again !== l2 || l2jit !== l2) fail(`bench: the counting method is not exact: loop 1000 -> ${l1}, 3000 -> ${l2}, again ${l2again}, JIT ${l2jit}`);
  const t1 = performance.now();
  const prog = await buildTestProgram(join(ROOT, 'test/wasm2x86/programs/bench-kernels.ts'));
  console.log(`bench-kernels.ts built in ${fmtMs(performance.now() - t1)}; check: a ${'`dec; jnz`'} loop counts ${(l2 - l1) / 2000} instructions per iteration, a repeated run and a JIT run count the same`);
  const ref = buildGccReference();
  const gccImage = 'skip' in ref ? undefined : new Uint8Array(readFileSync(ref.bin));
  if ('skip' in ref) console.log(`(gcc reference skipped: ${ref.skip})`);

  const oursLog = await verify('wasm2x86', prog.image);
  if (gccImage) {
    const gccLog = await verify('gcc', gccImage);
    if (gccLog !== oursLog) fail(`bench: the two programs disagree:\nwasm2x86: ${JSON.stringify(oursLog)}\ngcc:      ${JSON.stringify(gccLog)}`);
  }
  console.log(`checksums (both programs): ${oursLog.trim().split('\n').filter((l) => l !== 'done').join(' ')}`);

  const ratios: number[] = [];
  console.log(`${'kernel'.padEnd(24)} ${'wasm2x86'.padStart(10)} ${'gcc -O2'.padStart(10)}  ratio   per element, call overhead included (ours / gcc)`);
  for (const kern of KERNELS) {
    const [o, g] = await Promise.all([perCall('wasm2x86', prog.image, kern.k), gccImage ? perCall('gcc', gccImage, kern.k) : Promise.resolve(undefined)]);
    if (g) ratios.push(o / g);
    const per = `${(o / kern.elems).toFixed(2)} / ${g ? (g / kern.elems).toFixed(2) : 'n/a'} per ${kern.per}`;
    console.log(`${kern.label.padEnd(24)} ${String(o).padStart(10)} ${(g === undefined ? 'n/a' : String(g)).padStart(10)}  ${(g ? ratio(o, g) : 'n/a').padStart(5)}   ${per}`);
  }
  if (ratios.length) console.log(`geometric mean ratio: ${Math.exp(ratios.reduce((a, b) => a + Math.log(b), 0) / ratios.length).toFixed(2)}x`);
}

/** A bench user program with ITERATIONS set to `n` (built from a copy next to the source). */
async function benchProgram(name: string, n: number): Promise<Uint8Array> {
  const src = join(ROOT, 'scripts/bench/programs', `${name}.ts`);
  const copy = join(ROOT, 'scripts/bench/programs', `.${name}-${n}.ts`);
  writeFileSync(copy, readFileSync(src, 'utf8').replace(/const ITERATIONS: u32 = \d+;/, `const ITERATIONS: u32 = ${n};`)
    .replace(/const NTCLOSE: u32 = \d+;/, `const NTCLOSE: u32 = ${SERVICES.findIndex((s) => s.name === 'NtClose')};`));
  try { return await buildUserProgram(copy); } finally { unlinkSync(copy); }
}

/** Guest instructions of a whole boot with these user programs (the kernel powers off when they end). */
async function kernelRun(modules: Array<{ name: string; bytes: Uint8Array }>): Promise<number> {
  const { kernelImage } = await buildKernel({ bootModules: modules, write: false });
  const r = await boot({ kernel: kernelImage, cmdline: 'poweroff', timeoutMs: 600000 }); // wall time: generous on a busy machine
  if (r.exitCode !== 0) fail(`bench: the kernel run did not power off (${r.reason}): ${r.log.slice(-300)}`);
  return r.instructions;
}

/** Issue 3's figures: a system call's round trip and a thread switch, in guest instructions. */
async function kernelPaths(): Promise<void> {
  console.log('== kernel paths (guest instructions, difference of two whole boots / iterations)');
  const N = 20000;
  const [s0, s1] = await Promise.all([0, N].map(async (n) => kernelRun([{ name: 'sysbench.exe', bytes: await benchProgram('syscall', n) }])));
  const perCall = (s1 - s0) / N;
  const [i0, i1] = await Promise.all([0, N].map(async (n) => kernelRun([{ name: 'sysbench.exe', bytes: await benchProgram('syscall2e', n) }])));
  const perInt = (i1 - i0) / N;
  const [y0, y1] = await Promise.all([0, N].map(async (n) => kernelRun([
    { name: 'yielda.exe', bytes: await benchProgram('yield', n) }, { name: 'yieldb.exe', bytes: await benchProgram('yield', n) },
  ])));
  const perYield = (y1 - y0) / (2 * N);
  // One process alone: the same system call finds nobody to yield to (no switch).
  const [a0, a1] = await Promise.all([0, N].map(async (n) => kernelRun([{ name: 'yielda.exe', bytes: await benchProgram('yield', n) }])));
  const perYieldAlone = (a1 - a0) / N;
  console.log(`NtClose(invalid handle) round trip (user loop + ntdll-style stub + SharedUserData's sysenter stub + capture + dispatch + sysexit): ${perCall.toFixed(1)} instructions; reference 454 before the fast call (${ratio(perCall, 454)}), 272 before the translator's dataflow and condition work (${ratio(perCall, 272)}), target 200`);
  console.log(`NtClose(invalid handle) round trip through int 0x2e (user loop + int 0x2e + capture + dispatch + iret): ${perInt.toFixed(1)} instructions (sysenter path: ${ratio(perCall, perInt)} of it)`);
  console.log(`NtYieldExecution with nobody to yield to: ${perYieldAlone.toFixed(1)} instructions`);
  console.log(`NtYieldExecution between two processes (system call + thread switch with address space): ${perYield.toFixed(1)} instructions`);
  console.log(`thread switch (the difference): ${(perYield - perYieldAlone).toFixed(1)} instructions; reference 220 (${ratio(perYield - perYieldAlone, 220)}), 212 before the translator's dataflow and condition work (${ratio(perYield - perYieldAlone, 212)}), target 150`);
  await lpcRoundTrip(perCall, perYield - perYieldAlone);
}

/**
 * Issue 12's figure: one NtRequestWaitReplyPort round trip between two
 * processes (client request, server reply-and-receive, a switch each way),
 * beside two system calls plus two thread switches from the same run.
 */
async function lpcRoundTrip(perCall: number, perSwitch: number): Promise<void> {
  const N = 5000;
  const server = await benchProgram('lpcserver', 0);
  const [l0, l1] = await Promise.all([0, N].map(async (n) => kernelRun([
    { name: 'lpcserver.exe', bytes: server }, { name: 'lpcclient.exe', bytes: await benchProgram('lpcclient', n) },
  ])));
  const perTrip = (l1 - l0) / N;
  const reference = 2 * perCall + 2 * perSwitch;
  console.log(`LPC round trip between two processes (NtRequestWaitReplyPort + NtReplyWaitReceivePort, 16 bytes of data): ${perTrip.toFixed(1)} instructions; two system calls + two thread switches: ${reference.toFixed(1)} (${ratio(perTrip, reference)})`);
}

/**
 * Issue 4's figures: IDE throughput through the whole file stack in KiB per
 * second of guest time (the guest's clock, NtQueryPerformanceCounter), and
 * the SYSTEM hive's load in guest instructions (the kernel brackets it with
 * marks when its command line says "benchmarks").
 */
async function storage(): Promise<void> {
  console.log('== storage and registry');
  const bytes = await buildUserProgram(join(ROOT, 'scripts/bench/programs/disk.ts'));
  const { kernelImage } = await buildKernel({ bootModules: [{ name: 'disk', bytes }], write: false });
  const payload = new Uint8Array(4 << 20).map((_, i) => (i * 7) & 0xff);
  const disk = buildDisk({ sizeMB: 64, files: new Map([['\\bench.bin', payload]]) });
  const hive = buildSystemHive();
  // The same program twice: bus-master DMA (the default where the controller offers it) and PIO (`nodma`).
  const run = async (cmdline: string) => {
    const r = await boot({ kernel: kernelImage, disk, cmdline, timeoutMs: 600000 });
    if (r.exitCode !== 0) fail(`bench: the disk run "${cmdline}" did not power off (${r.reason}): ${r.log.slice(-300)}`);
    return r;
  };
  const r = await run('poweroff benchmarks');
  const pio = await run('poweroff benchmarks nodma');
  if (!/bus-master DMA/.test(r.log)) fail('bench: the kernel did not use bus-master DMA');
  const line = (log: string, what: string) => {
    const m = new RegExp(`disk: ${what} (\\d+) (\\d+)`).exec(log);
    if (!m) fail(`bench: no "${what}" line from the disk program: ${log.slice(-300)}`);
    return { bytes: Number(m[1]), us: Number(m[2]) };
  };
  for (const what of ['read', 'write']) {
    const dma = line(r.log, what), p = line(pio.log, what);
    const rate = (x: { bytes: number; us: number }) => x.bytes / 1024 / (x.us / 1e6);
    console.log(`IDE ${what} of ${dma.bytes >> 20} MiB in 64 KiB requests${what === 'write' ? ' + flush' : ''}: ${rate(dma).toFixed(0)} KiB/s of guest time by bus-master DMA (${(dma.us / 1000).toFixed(0)} ms);`
      + ` PIO in the same run: ${rate(p).toFixed(0)} KiB/s (${(p.us / 1000).toFixed(0)} ms); DMA/PIO ${ratio(rate(dma), rate(p))} (target 4x)`);
  }
  const span = (res: BootResult, a: number, b: number, what: string) => {
    const begin = res.marks.find((m) => m.value === a), end = res.marks.find((m) => m.value === b);
    if (!begin || !end) fail(`bench: the kernel did not mark the ${what}`);
    return end.instructions - begin.instructions;
  };
  const hiveInstr = span(r, 0x10, 0x11, 'hive load');
  console.log(`SYSTEM hive load (${hive.length} bytes: open, read, check every cell, root key, mount; keys built on first use): ${fmtN(hiveInstr)} guest instructions; reference 103,685 when the load built the whole tree (${ratio(hiveInstr, 103685)}), 310,442 before the pool's free-list bitmap and DMA (${ratio(hiveInstr, 310442)}), target 60,000 (${ratio(hiveInstr, 60000)}); by PIO: ${fmtN(span(pio, 0x10, 0x11, 'hive load'))}`);
  const mountInstr = span(r, 0x12, 0x13, 'FAT mount');
  console.log(`FAT16 mount of the 64 MiB volume (boot sector; the free count waits for its first use): ${fmtN(mountInstr)} guest instructions; reference 1,202,141 when the mount counted the free clusters of this volume (${ratio(mountInstr, 1202141)}), target 100,000 (${ratio(mountInstr, 100000)})`);
  await systemDll();
}

/**
 * Issue 16's ntdll.dll rows: the kernel's marks around PsInitializeSystemDll
 * (open \SystemRoot\System32\ntdll.dll, read it, check it, build its image
 * section once, find LdrInitializeThunk and KiUserExceptionDispatcher, log
 * two lines) and around the first process's PspMapSystemDll (the shared
 * section mapped into smss.exe), on the default disk.
 */
async function systemDll(): Promise<void> {
  const system32 = await buildSystem32();
  const { kernelImage } = await buildKernel({ write: false });
  const disk = buildDisk({ files: new Map([...system32].map(([n, b]) => [`\\Windows\\System32\\${n}`, b])) });
  const r = await boot({ kernel: kernelImage, disk, cmdline: 'benchmarks', until: 'ps: session manager started', timeoutMs: 600000 });
  if (!r.reached) fail(`bench: the boot did not start smss (${r.reason}): ${r.log.slice(-300)}`);
  const at = (v: number) => r.marks.find((m) => m.value === v)?.instructions ?? fail(`bench: no mark ${v.toString(16)}`);
  const section = at(0x15) - at(0x14), map = at(0x17) - at(0x16);
  console.log(`ntdll.dll (${fmtN(system32.get('ntdll.dll')!.length)} bytes) read into its image section once at boot (open, read, check, section, two exports, two log lines): ${fmtN(section)} guest instructions;`
    + ` mapped into the first process: ${fmtN(map)}; both: ${fmtN(section + map)}, reference 440,000 (${ratio(section + map, 440000)}), target 100,000 (${ratio(section + map, 100000)})`);
}

/**
 * Issue 16's paging figures (kernel/mm/paging.ts). scripts/bench/programs/paging.ts
 * commits PAGES pages and writes a word in each (READ: and reads them back), on
 * a 10 MiB machine (the pages do not fit: the modified page writer pages out)
 * and on a 32 MiB one (they fit: nothing is paged), each also with PAGES 0 (the
 * boot alone, which differs with the RAM). Guest instructions per page:
 *   page-out = ((write, 10) - (0, 10) - ((write, 32) - (0, 32))) / pages written
 *   page-in  = ((read, 10) - (write, 10) - ((read, 32) - (write, 32)) - page-out x more pages written) / pages read
 * Both include everything paging adds: the waits for the writer, its clock,
 * the paging I/O through FAT and the ATA driver (PIO), the faults, the thread
 * switches and the clock ticks while the disk works. Then: the smallest RAM
 * (MiB) that reaches the logon screen, against the reference (8 MiB, the
 * target; NT 3.1 and 4.0 asked for 12 MB).
 */
async function paging(): Promise<void> {
  console.log('== paging (guest instructions per page, differences of whole boots)');
  const PAGES = 3000;
  const build = async (pages: number, read: number) => {
    const src = join(ROOT, 'scripts/bench/programs/paging.ts');
    const copy = join(ROOT, 'scripts/bench/programs', `.paging-${pages}-${read}.ts`);
    writeFileSync(copy, readFileSync(src, 'utf8').replace(/const PAGES: u32 = \d+;/, `const PAGES: u32 = ${pages};`).replace(/const READ: u32 = \d+;/, `const READ: u32 = ${read};`));
    try { return await buildUserProgram(copy); } finally { unlinkSync(copy); }
  };
  const programs = new Map<string, Uint8Array>();
  for (const [pages, read] of [[0, 0], [PAGES, 0], [PAGES, 1]]) programs.set(`${pages}-${read}`, await build(pages, read));
  const run = async (pages: number, read: number, memoryMB: number) => {
    const bytes = programs.get(`${pages}-${read}`)!;
    const { kernelImage } = await buildKernel({ bootModules: [{ name: 'paging', bytes }], write: false });
    const r = await boot({ kernel: kernelImage, disk: buildDisk({ fat: 'fat16', sizeMB: 48 }), memoryMB, cmdline: 'poweroff', timeoutMs: 1200000 });
    if (r.exitCode !== 0) fail(`bench: the paging run did not power off (${r.reason}): ${r.log.slice(-300)}`);
    const m = /paging: paging written (\d+) read (\d+) transition (\d+) bad (\d+)/.exec(r.log);
    if (!m || m[4] !== '0') fail(`bench: the paging run went wrong: ${r.log.slice(-400)}`);
    return { instr: r.instructions, written: Number(m[1]), read: Number(m[2]), transition: Number(m[3]) };
  };
  const [e10, e32, w10, w32, r10, r32] = await Promise.all([
    run(0, 0, 10), run(0, 0, 32), run(PAGES, 0, 10), run(PAGES, 0, 32), run(PAGES, 1, 10), run(PAGES, 1, 32),
  ]);
  if (w32.written !== 0 || r32.written !== 0 || w32.read !== 0) fail(`bench: the 32 MiB runs paged (${w32.written}, ${r32.written} pages written)`);
  // Either pass may page out and in (the write pass takes each demand-zero page as it touches it and
  // pages older ones out; the read pass reads them back): two equations, one per pass, in the two costs.
  //   write pass: dW = out * wOut + in * wIn;  read pass: dR = out * rOut + in * rIn
  const dW = (w10.instr - e10.instr) - (w32.instr - e32.instr), wOut = w10.written, wIn = w10.read;
  const dR = (r10.instr - w10.instr) - (r32.instr - w32.instr), rOut = r10.written - w10.written, rIn = r10.read - w10.read;
  const det = wOut * rIn - wIn * rOut;
  if (det === 0) fail('bench: the paging runs do not separate page-out from page-in');
  const out = (dW * rIn - wIn * dR) / det;
  const inCost = (wOut * dR - rOut * dW) / det;
  console.log(`page-out: ${fmtN(Math.round(out))} guest instructions per page; page-in: ${fmtN(Math.round(inCost))} per page (everything paging adds per page: the writer, its clock, the waits, the faults, FAT paging I/O and ATA PIO, switches and clock ticks meanwhile)`);
  console.log(`  ${PAGES} pages committed and written once on a 10 MiB machine: ${wOut} pages written out, ${wIn} read in, ${w10.transition} soft faults; then read back in order: ${rOut} more out, ${rIn} in, ${r10.transition - w10.transition} soft faults`);
  console.log(`  (whole boots: ${[e10, e32, w10, w32, r10, r32].map((x) => fmtN(x.instr)).join(', ')})`);
  // The smallest machine that reaches the logon screen, in MiB (the standard disk and registry).
  const { kernelImage } = await buildKernel({ write: false });
  const disk = buildDisk({ files: await system32Files() });
  let smallest = 0;
  for (const mb of [8, 9, 10, 12]) {
    const r = await boot({ kernel: kernelImage, disk, memoryMB: mb, until: 'winlogon: session 1: user name:', timeoutMs: 600000 });
    if (r.reached) { smallest = mb; break; }
    console.log(`  ${mb} MiB: no logon screen (${r.stop ? `STOP ${r.stop.name}` : r.reason}; ${r.log.split('\n').filter((l) => /failed - Status/.test(l)).slice(0, 2).map((l) => l.replace(/^\[[^\]]*\] /, '')).join('; ')})`);
  }
  console.log(`smallest RAM reaching the logon screen: ${smallest ? `${smallest} MiB` : 'over 12 MiB'}; target 8 MiB (${smallest ? ratio(smallest, 8) : 'n/a'}); the first 8 MiB held back before this work: 32 MiB was the default and 10 MiB left 2 MiB to manage`);
}

/**
 * Issue 5's figures: the size of each System32 image, and the guest
 * instructions to make a process from a PE32 file and run it to its end
 * (open, image section, NtCreateProcessEx, stack, thread, wait, close), as
 * the difference of two whole boots: a hand-assembled program without
 * ntdll.dll, the same with ntdll.dll (its loader sets up the heap, the
 * parameters and PEB->Ldr before NtContinue), and a linked program that
 * imports from ntdll.dll.
 */
async function processes(): Promise<void> {
  console.log('== processes from PE32 images');
  const system32 = await buildSystem32();
  for (const [name, bytes] of system32) console.log(`System32\\${name}: ${bytes.length} bytes`);
  const hello = helloImage();
  const quick = (await buildUserImage('test/pe/programs/quick.ts', { name: 'quick.exe' })).bytes;
  console.log(`hello.exe (hand-assembled, no imports): ${hello.length} bytes; quick.exe (linked, imports from ntdll.dll): ${quick.length} bytes`);
  const N = 20;
  const cases: Array<[string, Uint8Array, boolean]> = [
    ['hello.exe, no ntdll.dll', hello, false],
    ['hello.exe through ntdll.dll\'s loader', hello, true],
    ['quick.exe through ntdll.dll\'s loader, imports bound', quick, true],
  ];
  for (const [what, image, withNtdll] of cases) {
    const files = new Map([['\\Images\\hello.exe', image]]);
    if (withNtdll) files.set('\\Windows\\System32\\ntdll.dll', system32.get('ntdll.dll')!);
    const disk = buildDisk({ files });
    const [r0, r1] = await Promise.all([0, N].map(async (n) => {
      const { kernelImage } = await buildKernel({ bootModules: [{ name: 'spawn', bytes: await benchProgram('spawn', n) }], write: false });
      const r = await boot({ kernel: kernelImage, disk, cmdline: 'poweroff', timeoutMs: 600000 });
      if (r.exitCode !== 0) fail(`bench: the spawn run did not power off (${r.reason}): ${r.log.slice(-300)}`);
      return r.instructions;
    }));
    console.log(`create a process (${what}) and run it to its end: ${fmtN(Math.round((r1 - r0) / N))} guest instructions`);
  }
}

/**
 * Issue 16's heap row: one RtlAllocateHeap + RtlFreeHeap pair on the process
 * heap, uncontended, in guest instructions (difference of two whole boots
 * running a linked program with two iteration counts). Its lock is a
 * critical section (no system call; test/ntdll/heap.test.ts asserts none);
 * before, a kernel mutant took a wait and a release per call: four system
 * calls per pair.
 */
async function heapPair(): Promise<void> {
  console.log('== ntdll heap (uncontended)');
  const system32 = await buildSystem32();
  const N = 2000;
  const image = async (n: number) => {
    const src = join(ROOT, 'scripts/bench/programs/heap.ts');
    const copy = join(ROOT, 'scripts/bench/programs', `.heap-${n}.ts`);
    writeFileSync(copy, readFileSync(src, 'utf8').replace(/const ITERATIONS: u32 = \d+;/, `const ITERATIONS: u32 = ${n};`));
    try { return (await buildUserImage(copy, { name: 'heap.exe' })).bytes; } finally { unlinkSync(copy); }
  };
  const spawn = await benchProgram('spawn', 1);
  const [r0, r1] = await Promise.all([0, N].map(async (n) => {
    const disk = buildDisk({ files: new Map([['\\Images\\hello.exe', await image(n)], ['\\Windows\\System32\\ntdll.dll', system32.get('ntdll.dll')!]]) });
    const { kernelImage } = await buildKernel({ bootModules: [{ name: 'spawn', bytes: spawn }], write: false });
    const r = await boot({ kernel: kernelImage, disk, cmdline: 'poweroff', timeoutMs: 600000 });
    if (r.exitCode !== 0) fail(`bench: the heap run did not power off (${r.reason}): ${r.log.slice(-300)}`);
    return r.instructions;
  }));
  const pair = (r1 - r0) / N;
  console.log(`RtlAllocateHeap + RtlFreeHeap on the process heap, uncontended: ${pair.toFixed(1)} guest instructions per pair, no system call `
    + `(the heap's lock: a critical section; before: a kernel mutant, four system calls per pair, each at least one NtClose round trip, about 150-450 instructions)`);
}

/** What Windows XP SP3's \\Windows\\System32\\smss.exe weighs (5.1.2600.5512). */
const XP_SMSS_BYTES = 50688;
/** smss's steps (SMSS.md), as its log lines name them. */
const SMSS_STEPS = ['start', 'API port', 'configuration', 'object directories', 'environment', 'DOS devices', 'sessions', 'BootExecute',
  'renames', 'KnownDlls', 'paging files', 'dynamic environment', 'subsystems'];

/**
 * The Session Manager: smss.exe's size beside Windows XP's, and each of its
 * steps in guest instructions on the default disk (the counter read at the
 * end of each log line: a step's figure runs from the previous step's line
 * to its own, so it includes whatever the step started, such as BootExecute's
 * programs; "start" runs from the kernel's "session manager started" line and
 * includes ntdll's loader).
 */
async function smssSteps(): Promise<void> {
  console.log('== smss (the Session Manager)');
  const system32 = await buildSystem32();
  const smss = system32.get('smss.exe')!;
  console.log(`System32\\smss.exe: ${fmtN(smss.length)} bytes; Windows XP SP3's smss.exe: ${fmtN(XP_SMSS_BYTES)} bytes (${ratio(smss.length, XP_SMSS_BYTES)})`);
  const { kernelImage } = await buildKernel({ write: false });
  const disk = buildDisk({ files: new Map([...system32].map(([n, b]) => [`\\Windows\\System32\\${n}`, b])) });
  const r = await boot({ kernel: kernelImage, disk, until: 'smss: subsystems: ', timeoutMs: 600000, lineInstructions: true });
  if (!r.reached || !r.lineInstructions) fail(`bench: smss did not reach "subsystems" (${r.reason}): ${r.log.slice(-400)}`);
  const at = r.lineInstructions;
  const body = (l: string) => l.replace(/^\[\s*\d+\.\d+\] /, '');
  const started = r.lines.findIndex((l) => body(l).startsWith('ps: session manager started'));
  let previous = started;
  const rows: Array<[string, number]> = [];
  for (let i = started + 1; i < r.lines.length && i < at.length; i++) {
    const m = /^smss: ([^:]+): /.exec(body(r.lines[i]));
    if (!m || !SMSS_STEPS.includes(m[1]) || rows.some(([s]) => s === m[1])) continue;
    rows.push([m[1], at[i] - at[previous]]);
    previous = i;
  }
  for (const [step, n] of rows) console.log(`  ${step.padEnd(24)} ${fmtN(n).padStart(12)} guest instructions`);
  const total = at[previous] - at[started];
  console.log(`smss from "session manager started" to "subsystems": ${fmtN(total)} guest instructions; ${fmtN(at[started])} before it (kernel boot)`);
}

/**
 * Issue 13: what a new session costs in win32k.sys pages. The kernel's line
 * for each load (mm/sysshare.ts) counts the pages it maps from the shared
 * copy and those it owns, read from its page tables; before sharing every
 * page was the session's own.
 */
async function sessionMemory(): Promise<void> {
  console.log('== session memory (win32k.sys per session)');
  const system32 = await buildSystem32();
  const { kernelImage } = await buildKernel({ write: false });
  const disk = buildDisk({ files: new Map([...system32].map(([n, b]) => [`\\Windows\\System32\\${n}`, b])) });
  const r = await boot({ kernel: kernelImage, disk, until: 'winlogon: session 1: logon screen', timeoutMs: 600000 });
  if (!r.reached) fail(`bench: the boot did not reach session 1's logon screen (${r.reason}): ${r.log.slice(-400)}`);
  const line = r.lines.map((l) => l.replace(/^\[\s*\d+\.\d+\] /, '')).find((l) => l.startsWith('mm: session 1: ') && l.includes(' mapped from the shared copy'));
  const m = line && /: (\d+) pages of the image mapped from the shared copy .* (\d+) private /.exec(line);
  if (!m) fail('bench: no "mapped from the shared copy" line for session 1');
  const shared = Number(m[1]), own = Number(m[2]);
  console.log(`win32k.sys in a new session: ${own} pages (${own * 4} KiB) of its own, ${shared} read-only pages (${shared * 4} KiB) mapped from the shared copy; `
    + `without sharing ${shared + own} pages (${(shared + own) * 4} KiB): ${ratio(own, shared + own)}`);
}

// ---- boot to the logon screen, a new session, System32's sizes (issue 13's "Done when") ----

/** nsh's first prompt in session 1 (a milestone line). */
const NSH_PROMPT = 'nsh: session 1: prompt';
/** winlogon's prompt in session N: the logon screen is up and reads a name. */
const logonPrompt = (n: number) => `winlogon: session ${n}: user name:`;

/**
 * Windows XP SP3's sizes (5.1.2600.5512) of the images System32 has a
 * counterpart of, where this project has recorded them; others print n/a.
 */
const XP_BYTES: Record<string, number> = { 'smss.exe': XP_SMSS_BYTES };

interface LogonRun {
  /** wall ms from the boot() call to the line, and the guest instructions then */
  at(pattern: string, from?: number): { index: number; wall: number; instructions: number };
  result: BootResult;
}

/**
 * One boot of the image as built: to session 1's logon screen, a logon
 * through COM1, `newsession` in the shell (nsh asks smss over
 * \SmSsWinStationApiPort), until session 2's logon screen. Every line's host
 * time and guest instruction counter are kept.
 */
async function logonRun(kernel: Uint8Array, disk: Uint8Array, shellPrompt: string, disableJit = false): Promise<LogonRun> {
  const t0 = performance.now();
  const walls: number[] = [];
  // the run ends when both smss's answer (nsh prints it) and session 2's logon screen are there, in either order
  const done = new AbortController();
  let replied = false, screen = false;
  const result = await boot({
    kernel, disk, timeoutMs: 600000, lineInstructions: true, disableJit, signal: done.signal,
    onLine: (line) => {
      walls.push(performance.now() - t0);
      if (line.includes('newsession: session ')) replied = true;
      if (line.includes(logonPrompt(2))) screen = true;
      if ((replied && screen) || (shellPrompt !== NSH_PROMPT && line.includes(logonPrompt(1)))) done.abort();
    },
    input: [
      { after: logonPrompt(1), text: 'Administrator\r' }, { after: 'winlogon: session 1: password:', text: 'password\r' },
      { after: shellPrompt, text: 'newsession\r' },
    ],
  });
  if (result.reason !== 'interrupted') fail(`bench: the logon run did not reach session 2's logon screen (${result.reason}): ${result.log.slice(-600)}`);
  const at = (pattern: string, from = 0) => {
    const index = result.lines.findIndex((l, i) => i >= from && l.includes(pattern));
    if (index < 0) fail(`bench: no line "${pattern}" in the logon run: ${result.log.slice(-600)}`);
    return { index, wall: walls[index], instructions: result.lineInstructions![index] };
  };
  return { at, result };
}

async function logonFigures(): Promise<void> {
  console.log('== logon: the boot to the logon screen, a new session, System32 (median of %d; wall times are this host\'s)', RUNS);
  const system32 = await buildSystem32();
  const { kernelImage } = await buildKernel({ write: false });
  const files = new Map([...system32].map(([n, b]) => [`\\Windows\\System32\\${n}`, b]));
  const disk = buildDisk({ files });
  // The shell SOFTWARE names (nsh.exe or defshell.exe) says it is ready with one of these lines.
  const shellPrompt = system32.has('nsh.exe') ? NSH_PROMPT : 'press a key to log off';
  if (shellPrompt !== NSH_PROMPT) console.log('(no nsh.exe: the new-session figure is skipped)');

  // the floor: one serial line, with the same disk attached (v86's own cost of a boot with this disk)
  const floors: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await boot({ kernel: floorImage(), disk, until: 'ke: floor', timeoutMs: 60000 });
    if (!r.reached) fail(`bench: the floor did not print its line (${r.reason})`);
    floors.push(r.wallMs);
  }
  const floor = median(floors);

  const runs: LogonRun[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await logonRun(kernelImage, disk, shellPrompt));
  const logon = runs.map((r) => r.at(logonPrompt(1)));
  const logonWall = median(logon.map((x) => x.wall));
  const logonInstr = median(logon.map((x) => x.instructions));
  const noJit = (await logonRun(kernelImage, disk, shellPrompt, true)).at(logonPrompt(1));
  console.log(`boot to "${logonPrompt(1)}" (disk ${disk.length >> 20} MiB): ${fmtMs(logonWall)} wall, ${fmtN(logonInstr)} guest instructions (JIT); without the JIT ${fmtMs(noJit.wall)}, ${fmtN(noJit.instructions)} guest instructions`);
  console.log(`floor (one serial line, same disk attached): ${fmtMs(floor)} wall; logon screen / floor: ${ratio(logonWall, floor)} (target 1.5x)`);
  const milestones = ['ps: session manager started', 'smss: subsystems: ', 'winlogon: session 1: process'];
  const first = runs[0];
  console.log(`  ${milestones.map((m) => `"${m.trim()}" at ${fmtN(first.at(m).instructions)}`).join(', ')} guest instructions (first run)`);

  if (shellPrompt === NSH_PROMPT) {
    const asks = runs.map((r) => {
      const ask = r.at('newsession: asking smss for a session');
      const reply = r.at('newsession: session ', ask.index + 1);
      const screen = r.at(logonPrompt(2), ask.index);
      return { reply: { wall: reply.wall - ask.wall, instr: reply.instructions - ask.instructions }, screen: { wall: screen.wall - ask.wall, instr: screen.instructions - ask.instructions } };
    });
    const m = (f: (x: typeof asks[number]) => number) => median(asks.map(f));
    console.log(`new session through \\SmSsWinStationApiPort (nsh's newsession): smss's reply (session id, csrss and winlogon started) ${fmtMs(m((x) => x.reply.wall))} wall, ${fmtN(m((x) => x.reply.instr))} guest instructions;`
      + ` to session 2's logon screen ${fmtMs(m((x) => x.screen.wall))} wall, ${fmtN(m((x) => x.screen.instr))} guest instructions`);
    const r0 = first.result.lines[first.at('newsession: session ').index].replace(/^\[\s*\d+\.\d+\] /, '');
    console.log(`  (${r0}; session 1's logon screen took ${fmtN(logonInstr)} guest instructions from power-on: a new session is ${ratio(m((x) => x.screen.instr), logonInstr)} of it)`);
  }

  console.log('System32 images (build/system32), beside Windows XP SP3\'s where recorded:');
  let ours = 0;
  for (const [name, bytes] of [...system32].sort(([a], [b]) => a.localeCompare(b))) {
    ours += bytes.length;
    const xp = XP_BYTES[name];
    console.log(`  ${name.padEnd(14)} ${fmtN(bytes.length).padStart(9)} bytes${xp ? `   XP: ${fmtN(xp).padStart(9)} bytes (${ratio(bytes.length, xp)})` : '   XP: n/a'}`);
  }
  console.log(`  ${'total'.padEnd(14)} ${fmtN(ours).padStart(9)} bytes in ${system32.size} images`);
}

/** FAT16's smallest volume (sectors; the image builder refuses less) and the MBR's gap before the partition. */
const FAT16_MIN_SECTORS = 8401;

/**
 * Issue 16's first-boot row: wall time from the boot() call (the disk
 * copied into an ArrayBuffer, `new V86`, v86's wasm instantiated, the disk
 * attached) to smss's first line, for the four choices a first boot makes:
 * v86's JIT on or off, and the default 32 MiB disk or one sized to its
 * content (the smallest FAT16 volume that holds System32 and the hives).
 * Beside each, the floor (one serial line) with the same disk and JIT
 * setting: what v86 itself costs. Runs alternate between the choices so
 * that a change in the host's load falls on all of them; each figure is the
 * median with the spread (min-max), and the load average is printed before
 * and after (wall times on a loaded host are not comparable between runs).
 */
async function bootTime(): Promise<void> {
  const runs = Math.max(RUNS, 5);
  console.log(`== first boot: wall time from new V86 to smss's first line (median of ${runs}, min-max; load average before ${loadavg().map((x) => x.toFixed(1)).join(' ')})`);
  const files = await system32Files();
  const { kernelImage } = await buildKernel({ write: false });
  const big = buildDisk({ files });
  // The smallest whole MiB whose FAT16 volume holds the files (the builder throws while it is too small).
  let found: Uint8Array | undefined;
  for (let mb = Math.ceil((FAT16_MIN_SECTORS + 2048) / 2048); !found; mb++) {
    try { found = buildDisk({ files, sizeMB: mb }); } catch (e) { if (mb > 64) throw e; }
  }
  const small = found!;
  const cases: Array<{ what: string; disk: Uint8Array; jit: boolean }> = [
    { what: `JIT on,  disk ${big.length >> 20} MiB`, disk: big, jit: true },
    { what: `JIT off, disk ${big.length >> 20} MiB`, disk: big, jit: false },
    { what: `JIT on,  disk ${small.length >> 20} MiB`, disk: small, jit: true },
    { what: `JIT off, disk ${small.length >> 20} MiB`, disk: small, jit: false },
  ];
  const walls = cases.map(() => [] as number[]), floors = cases.map(() => [] as number[]);
  for (let i = 0; i < runs; i++) {
    for (const [k, c] of cases.entries()) {
      const r = await boot({ kernel: kernelImage, disk: c.disk, until: 'smss: ', timeoutMs: 600000, disableJit: !c.jit });
      if (!r.reached) fail(`bench: the boot did not reach smss's first line (${r.reason}): ${r.log.slice(-300)}`);
      walls[k].push(r.wallMs);
      const f = await boot({ kernel: floorImage(), disk: c.disk, until: 'ke: floor', timeoutMs: 60000, disableJit: !c.jit });
      if (!f.reached) fail(`bench: the floor did not print its line (${f.reason})`);
      floors[k].push(f.wallMs);
    }
  }
  const spread = (xs: number[]) => `${fmtMs(median(xs))} (${fmtMs(Math.min(...xs))}-${fmtMs(Math.max(...xs))})`;
  for (const [k, c] of cases.entries()) {
    console.log(`  ${c.what}: ${spread(walls[k])}; floor with the same disk ${spread(floors[k])}; boot / floor ${ratio(median(walls[k]), median(floors[k]))}`);
  }
  console.log(`  (load average after ${loadavg().map((x) => x.toFixed(1)).join(' ')})`);
}

main().catch((e) => { console.error(`bench: FAILED: ${e.stack ?? e}`); process.exit(1); });
