// The services fuzzer's host side (npm run fuzz -- services): builds the
// ring-3 fuzzer test/boot/programs/svcfuzz.ts into a kernel as its boot
// module, then boots that kernel once per seed (in worker processes, one boot
// at a time each: v86 runs on its process's main thread) with the seed and
// the call budget patched into the program's PARAMS block, and collects what
// each boot reports: calls made, per-service counts, stalls (a caller stuck in
// a service for 2 s, ended by the fuzzer's watchdog) and any STOP, with the
// fuzzer's ring of its last calls read back from guest memory.

import { fork } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildKernel } from '../build.ts';
import { buildUserProgram } from '../userprog.ts';
import { boot } from '../../emulator/node/boot.ts';
import { buildDisk } from '../../images/build.ts';
import { fuzzServices, serviceNames, svcTableSource } from './svctable.ts';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '../..');
const PARAMS_MAGIC = [0x46, 0x5A, 0x46, 0x5A, 0x53, 0x56, 0x43, 0x46]; // "FZFZ" "SVCF" as two little-endian words
const RING_MAGIC0 = 0x474E5246, RING_MAGIC1 = 0x5A5A5646;
const MEMORY_MB = 32;

export interface ServiceCount { number: number; name: string; calls: number; ok: number; av: number }
export interface RingCall { seq: number; number: number; name: string; block: number; args: number[]; status?: number }
export interface BootOutcome {
  seed: number; calls: number; requested: number; ok: boolean; what: string; seconds: number;
  counts: ServiceCount[]; stalls: number; stuck: string[]; ring?: RingCall[]; last: string[]; log?: string; file?: string;
  leak?: string;
}

/** The kernel image with the fuzzer as its boot module, and the disk it runs with. */
export async function buildServicesFuzzer(): Promise<{ kernel: Uint8Array; disk: Uint8Array }> {
  mkdirSync(join(ROOT, 'build/fuzz'), { recursive: true });
  const tablePath = join(ROOT, 'build/fuzz/svctable.ts');
  const src = svcTableSource();
  if (!existsSync(tablePath) || readFileSync(tablePath, 'utf8') !== src) writeFileSync(tablePath, src);
  const bytes = await buildUserProgram(join(ROOT, 'test/boot/programs/svcfuzz.ts'));
  const { kernelImage } = await buildKernel({ bootModules: [{ name: 'svcfuzz.exe', bytes }], write: false });
  const smss = join(ROOT, 'build/system32/smss.exe');
  const image = existsSync(smss) ? new Uint8Array(readFileSync(smss)) : new Uint8Array(4096);
  const disk = buildDisk({ fat: 'fat16', sizeMB: 32, files: new Map([['\\fuzz\\img.exe', image], ['\\fuzz\\f2', new Uint8Array(1000).fill(0x41)]]) });
  return { kernel: new Uint8Array(kernelImage), disk };
}

function findBytes(hay: Uint8Array, needle: number[]): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** A copy of the kernel with seed, calls and the progress interval patched into the fuzzer's PARAMS. */
export function patchKernel(kernel: Uint8Array, seed: number, calls: number, progress: number): Uint8Array {
  const k = new Uint8Array(kernel);
  const at = findBytes(k, PARAMS_MAGIC);
  if (at < 0) throw new Error('svcfuzz: PARAMS block not found in the kernel image');
  const dv = new DataView(k.buffer, k.byteOffset + at);
  dv.setUint32(8, seed >>> 0, true); dv.setUint32(12, calls >>> 0, true); dv.setUint32(16, progress >>> 0, true); dv.setUint32(20, 0, true);
  return k;
}

/** The fuzzer's ring, found by its magic in guest physical memory (the copy with the most calls: forked children hold old copies). */
export function readRing(memory: Uint8Array, seed: number): RingCall[] | undefined {
  const dv = new DataView(memory.buffer, memory.byteOffset, memory.byteLength);
  const names = serviceNames();
  let best = -1, bestCalls = -1;
  for (let p = 0; p + 4096 <= memory.length; p += 4096) {
    if (dv.getUint32(p, true) !== RING_MAGIC0 || dv.getUint32(p + 4, true) !== RING_MAGIC1 || dv.getUint32(p + 8, true) !== (seed >>> 0)) continue;
    const calls = dv.getUint32(p + 12, true);
    if (calls > bestCalls) { best = p; bestCalls = calls; }
  }
  if (best < 0) return undefined;
  const out: RingCall[] = [];
  for (let i = 0; i < 63; i++) {
    const e = best + 64 + i * 64;
    const seq = dv.getUint32(e, true);
    if (seq === 0) continue;
    const number = dv.getUint32(e + 4, true);
    const status = dv.getUint32(e + 12, true);
    out.push({ seq, number, name: names.get(number) ?? `service ${number}`, block: dv.getUint32(e + 8, true),
      args: Array.from({ length: 12 }, (_, k) => dv.getUint32(e + 16 + k * 4, true)), status: status === 0xFFFFFFFF ? undefined : status });
  }
  return out.sort((a, b) => a.seq - b.seq);
}

const hex = (n: number) => '0x' + (n >>> 0).toString(16).toUpperCase().padStart(8, '0');
export function formatRing(ring: RingCall[], count = 20): string[] {
  const services = new Map(fuzzServices().map((s) => [s.number, s]));
  return ring.slice(-count).map((c) => {
    const n = services.get(c.number)?.args ?? 12;
    return `#${c.seq} ${c.name}(${c.args.slice(0, n).map(hex).join(', ')})${c.block ? '' : ''} -> ${c.status === undefined ? 'did not return' : hex(c.status)}` +
      (c.block !== 0 ? '' : ' [argument block NULL]');
  });
}

/** One boot: the fuzzer with `seed` and `calls`, until the idle loop (or a STOP, a timeout). */
export async function runServicesBoot(kernel: Uint8Array, disk: Uint8Array, seed: number, calls: number,
  opts: { progress?: number; timeoutMs?: number; onLine?: (l: string) => void; out?: string } = {}): Promise<BootOutcome> {
  const progress = opts.progress ?? 0;
  const t0 = Date.now();
  const r = await boot({
    kernel: patchKernel(kernel, seed, calls, progress), disk, until: 'ke: idle loop', memoryMB: MEMORY_MB,
    timeoutMs: opts.timeoutMs ?? Math.max(180_000, calls * 60), readMemory: { address: 0, length: MEMORY_MB << 20 },
    onLine: opts.onLine,
  });
  const seconds = (Date.now() - t0) / 1000;
  const lines = r.lines.map((l) => l.replace(/^\[\s*\d+\.\d+\] /, ''));
  const mine = lines.filter((l) => l.startsWith('svcfuzz: ')).map((l) => l.slice(9));
  const names = serviceNames();
  const counts: ServiceCount[] = [];
  for (const l of mine.filter((x) => x.startsWith('count '))) {
    const nums = l.slice(6).trim().split(/\s+/).map(Number);
    for (let i = 0; i + 3 < nums.length; i += 4) counts.push({ number: nums[i], name: names.get(nums[i]) ?? `service ${nums[i]}`, calls: nums[i + 1], ok: nums[i + 2], av: nums[i + 3] });
  }
  const done = mine.map((l) => /^done (\d+) calls (\d+) stalls/.exec(l)).find((m) => m);
  const stuck = mine.filter((l) => l.startsWith('stuck in service'));
  const leak = lines.find((l) => l.startsWith('ps: boot processes ended'));
  let what: string;
  const ok = r.reached && !r.stop && !!done;
  if (r.stop) what = `STOP ${r.decodedStop ? `${hex(r.decodedStop.code)} ${r.decodedStop.name} (${r.decodedStop.params.map((p) => hex(p.value)).join(', ')})` : ''}`;
  else if (!r.reached) what = `${r.reason.toUpperCase()}${r.crash ? ` ${r.crash}` : ''}`;
  else if (!done) what = 'the fuzzer ended early (no "done" line)';
  else what = 'ok';
  const ring = !ok && r.memory ? readRing(r.memory, seed) : undefined;
  const progressCalls = mine.map((l) => /^progress (\d+) calls/.exec(l)).filter((m) => m).map((m) => Number(m![1]));
  const callsMade = done ? Number(done[1]) : ring?.length ? ring[ring.length - 1].seq : (progressCalls.at(-1) ?? 0);
  const outcome: BootOutcome = {
    seed, calls: callsMade, requested: calls, ok, what, seconds, counts, stalls: done ? Number(done[2]) : stuck.length, stuck,
    ring, last: lines.filter((l) => l.trim() !== '').slice(-12), leak,
  };
  if (!ok) {
    const dir = opts.out ?? join(ROOT, 'build/fuzz');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `services-seed-${seed}.log`);
    writeFileSync(file, [`# ${what}`, `# npm run fuzz -- services --seed ${seed} --boots 1 --calls ${calls}`, '',
      ...(ring ? ['# the fuzzer\'s last calls (from its ring in guest memory):', ...formatRing(ring, 63).map((l) => '#   ' + l), ''] : []),
      ...r.lines, ...(r.decodedStop ? ['---- stop', JSON.stringify(r.decodedStop, null, 2)] : [])].join('\n') + '\n');
    outcome.file = file;
  }
  return outcome;
}

// ---- the runner: boots in worker processes ----

interface Job { seed: number; calls: number; progress: number }
const KERNEL_FILE = join(ROOT, 'build/fuzz/svcfuzz-kernel.bin');
const DISK_FILE = join(ROOT, 'build/fuzz/svcfuzz-disk.img');

function worker(): void {
  let built: { kernel: Uint8Array; disk: Uint8Array } | undefined;
  process.on('message', async (msg: Job | 'exit') => {
    if (msg === 'exit') process.exit(0);
    try {
      built ??= { kernel: new Uint8Array(readFileSync(KERNEL_FILE)), disk: new Uint8Array(readFileSync(DISK_FILE)) };
      const o = await runServicesBoot(built.kernel, built.disk, msg.seed, msg.calls, {
        progress: msg.progress, onLine: (l) => { if (/svcfuzz: (progress|stuck)/.test(l)) process.send!({ line: `seed ${msg.seed}: ${l.replace(/^\[\s*\d+\.\d+\] svcfuzz: /, '')}` }); },
      });
      process.send!({ outcome: o });
    } catch (e) {
      process.send!({ outcome: { seed: msg.seed, calls: 0, requested: msg.calls, ok: false, what: `CRASH ${(e as Error).stack}`, seconds: 0, counts: [], stalls: 0, stuck: [], last: [] } satisfies BootOutcome });
    }
  });
}

export interface ServicesRun { outcomes: BootOutcome[]; calls: number; stops: number; failures: number; seconds: number; counts: Map<string, ServiceCount> }

/** Runs `boots` boots of `calls` calls each, seeds seed, seed+1, ..., in `jobs` workers. */
export async function fuzzServicesRun(o: { seed: number; boots: number; calls: number; jobs: number; progress: number; log: (s: string) => void }): Promise<ServicesRun> {
  const t0 = Date.now();
  // Built once here; the workers read the kernel and the disk from build/fuzz.
  const built = await buildServicesFuzzer();
  writeFileSync(KERNEL_FILE, built.kernel);
  writeFileSync(DISK_FILE, built.disk);
  const queue: Job[] = Array.from({ length: o.boots }, (_, i) => ({ seed: (o.seed + i) >>> 0, calls: o.calls, progress: o.progress }));
  const outcomes: BootOutcome[] = [];
  const jobs = Math.max(1, Math.min(o.jobs, o.boots));
  await Promise.all(Array.from({ length: jobs }, () => new Promise<void>((resolve) => {
    const child = fork(fileURLToPath(import.meta.url), ['--fuzz-worker'], { execArgv: ['--import', new URL('../tsx.mjs', import.meta.url).href], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let current: Job | undefined;
    const next = () => { current = queue.shift(); if (!current) { child.send('exit'); return; } child.send(current); };
    child.on('message', (m: { line?: string; outcome?: BootOutcome }) => {
      if (m.line) { o.log(m.line); return; }
      const r = m.outcome!;
      outcomes.push(r);
      const total = outcomes.reduce((a, x) => a + x.calls, 0);
      o.log(`seed ${r.seed}: ${r.what}, ${r.calls} calls, ${r.stalls} stalls, ${r.seconds.toFixed(0)} s (total ${total} calls in ${((Date.now() - t0) / 1000).toFixed(0)} s)` +
        (r.ok ? '' : `\n  last lines:\n    ${r.last.join('\n    ')}` + (r.ring ? `\n  last calls:\n    ${formatRing(r.ring, 12).join('\n    ')}` : '') + (r.file ? `\n  log: ${r.file}` : '')));
      next();
    });
    child.on('exit', () => {
      if (current && !outcomes.some((x) => x.seed === current!.seed)) {
        outcomes.push({ seed: current.seed, calls: 0, requested: current.calls, ok: false, what: 'CRASH (worker exited)', seconds: 0, counts: [], stalls: 0, stuck: [], last: [] });
      }
      resolve();
    });
    next();
  })));
  const counts = new Map<string, ServiceCount>();
  for (const r of outcomes) for (const c of r.counts) {
    const x = counts.get(c.name) ?? { ...c, calls: 0, ok: 0, av: 0 };
    x.calls += c.calls; x.ok += c.ok; x.av += c.av; counts.set(c.name, x);
  }
  return {
    outcomes: outcomes.sort((a, b) => a.seed - b.seed), calls: outcomes.reduce((a, x) => a + x.calls, 0),
    stops: outcomes.filter((x) => x.what.startsWith('STOP')).length, failures: outcomes.filter((x) => !x.ok).length,
    seconds: (Date.now() - t0) / 1000, counts,
  };
}

if (process.argv.includes('--fuzz-worker')) worker();
