// Helpers for boot tests: boot a machine to a milestone once, keep its state
// (a v86 snapshot), and start each further case from there; assertions on
// the log that print the log when they fail.
//
//   // the system as `npm run build` makes it (this tree's kernel, System32 and hives)
//   const m = await standardMachine();
//   // boots to the logon screen once per run (or reuses build/cache/snapshots),
//   // restores that state, logs on through COM1 and runs on to `until`
//   const r = await logOn(m, { until: 'nsh: session 1: prompt' });
//   // any milestone as the starting point, any input after it
//   const r2 = await bootUntil(m, /tlist/, { from: LOGON_SCREEN, send: 'Administrator\r', input: [...] });
//   expectLine(r, /smss: /);            // lines from before the snapshot are in the result too
//   expectNoLine(r, '*** STOP');
//   expectStop(await bootUntil(m2, 'ke: idle loop'), 0x6d, { p1: 0xC0000034 });
//
// `from` names the milestone where the snapshot is taken: the first call boots
// to it and saves the state; every call (the first included) then restores it
// and runs on to `until`. A snapshot is kept in memory per worker and on disk
// under build/cache/snapshots, keyed by the machine's contents (kernel, disk,
// command line, memory), `from` and v86's version: the first worker that needs
// it makes it (the other waits for it), and the next run reuses it while the
// kernel and disk are the same bytes. A machine without a disk is booted in
// full every time (v86 0.5 cannot restore one). SNAPSHOT_CACHE=0 keeps
// snapshots in memory only.
//
// Whatever a test checks in the lines before `from` it still checks: the
// restored run's result starts with the log the snapshot was taken after.

import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { expect } from 'vitest';
import { boot, type BootOptions, type BootResult, type Snapshot } from '../../emulator/node/boot.ts';
import { hex32 } from '../../emulator/core/log.ts';
import type { Marker } from '../../emulator/core/monitor.ts';
import { buildKernel, BUILD } from '../../scripts/build.ts';
import { buildDisk } from '../../images/build.ts';
import { system32Files } from '../../images/system32.ts';

export type { BootResult } from '../../emulator/node/boot.ts';

export interface Machine {
  kernel: Uint8Array;
  disk?: Uint8Array;
  cmdline?: string;
  memoryMB?: number;
}

export function machine(m: Machine): Machine {
  return m;
}

/** Milestones (kernel log lines) that make good snapshot points. */
export const MILESTONE = {
  /** the kernel started smss */
  smssStarted: 'ps: session manager started',
  /** smss is done with its own steps and waits on session 1's csrss and winlogon */
  smssWaiting: 'smss: waiting for subsystems',
  /** winlogon shows the logon screen in session 1 and reads the user name (COM1 and keyboard) */
  logonScreen: 'winlogon: session 1: user name:',
} as const;
/** winlogon's prompt for the user name in session 1: the usual starting point for tests that log on. */
export const LOGON_SCREEN = MILESTONE.logonScreen;

/** The default account (images/registry/SAM.reg; the README names it). */
export const DEFAULT_USER = { user: 'Administrator', password: 'password' };

const standard = new Map<string, Promise<Machine>>();

/**
 * How many standard machines and snapshots a worker keeps in memory (each
 * holds a disk image or a saved machine, tens of MB). A worker runs file
 * after file (vitest.config.ts: isolate false), so the least recently used
 * ones go; snapshots stay in build/cache/snapshots.
 */
const KEPT_IN_MEMORY = 4;
function remember<T>(map: Map<string, T>, key: string, value: T): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > KEPT_IN_MEMORY) map.delete(map.keys().next().value!);
}
function recall<T>(map: Map<string, T>, key: string): T | undefined {
  const v = map.get(key);
  if (v !== undefined) { map.delete(key); map.set(key, v); }
  return v;
}

export interface StandardOptions {
  /** .reg overlays (the text of each) on the SYSTEM hive, as `images/build.ts --reg` */
  reg?: string | string[];
  /** more files in the image: image path (\\Windows\\System32\\x.exe) -> bytes */
  add?: Record<string, Uint8Array>;
  /** user programs the kernel carries and starts in phase 1 */
  bootModules?: Array<{ name: string; bytes: Uint8Array }>;
  memoryMB?: number;
  cmdline?: string;
}

/**
 * The system as `npm run build` makes it, built in this process from this
 * tree (the kernel, System32's images, the hives), with what `opts` adds.
 * The same options give the same bytes, so their snapshots are shared.
 */
export function standardMachine(opts: StandardOptions = {}): Promise<Machine> {
  const key = JSON.stringify({
    reg: opts.reg, memoryMB: opts.memoryMB, cmdline: opts.cmdline,
    add: Object.entries(opts.add ?? {}).map(([k, v]) => [k, sha256(v)]),
    mods: (opts.bootModules ?? []).map((m) => [m.name, sha256(m.bytes)]),
  });
  let m = recall(standard, key);
  if (!m) {
    m = (async () => {
      const files = await system32Files();
      for (const [path, bytes] of Object.entries(opts.add ?? {})) files.set(path, bytes);
      const regs = opts.reg === undefined ? [] : Array.isArray(opts.reg) ? opts.reg : [opts.reg];
      const disk = buildDisk({ files, overlays: regs.map((text, i) => ({ text, fileName: `overlay${i}.reg` })) });
      // CHAOS=SEED in the environment: the chaos kernel with `chaos=SEED` (README, "Races"), for any boot test
      const chaos = process.env.CHAOS;
      const { kernelImage } = await buildKernel({ write: false, bootModules: opts.bootModules, chaos: chaos !== undefined });
      const cmdline = chaos !== undefined ? [opts.cmdline, `chaos=${chaos}`].filter(Boolean).join(' ') : opts.cmdline;
      return { kernel: kernelImage, disk, memoryMB: opts.memoryMB, cmdline };
    })();
    remember(standard, key, m);
  }
  return m;
}

const snapshots = new Map<string, Promise<Snapshot | undefined>>();
/** Forgets the snapshots this worker holds in memory (build/cache keeps its copies): for tests of the helpers. */
export function forgetSnapshots(): void {
  snapshots.clear();
}
/** What the snapshots saved in this worker (for tests of the helpers): boots to `from`, states read from build/cache, restores. */
export const snapshotStats = { taken: 0, loaded: 0, restored: 0 };

/** Where snapshots are kept between runs. */
export const SNAPSHOT_DIR = join(BUILD, 'cache', 'snapshots');
/** Bump when the saved form changes. */
const SNAPSHOT_FORMAT = 1;

function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

let v86Version: string | undefined;
function v86VersionOf(): string {
  if (v86Version === undefined) {
    try {
      const require = createRequire(import.meta.url);
      v86Version = String(JSON.parse(readFileSync(require.resolve('v86/package.json'), 'utf8')).version);
    } catch {
      v86Version = 'unknown';
    }
  }
  return v86Version;
}

/** The key of a machine's snapshot at `from`: its contents, the milestone, v86's version. */
export function snapshotKey(m: Machine, from: Marker): string {
  const h = createHash('sha256');
  h.update(m.kernel);
  h.update(m.disk ?? new Uint8Array(0));
  h.update(`\0${m.cmdline ?? ''}\0${m.memoryMB ?? ''}\0${String(from)}\0${v86VersionOf()}\0${SNAPSHOT_FORMAT}`);
  return h.digest('hex');
}

function diskCacheOn(): boolean {
  return process.env.SNAPSHOT_CACHE !== '0';
}

function readCached(key: string): Snapshot | undefined {
  const state = join(SNAPSHOT_DIR, `${key}.state`);
  const log = join(SNAPSHOT_DIR, `${key}.log`);
  if (!existsSync(log) || !existsSync(state)) return undefined;
  try {
    const bytes = readFileSync(state);
    try { const now = new Date(); utimesSync(state, now, now); } catch { /* the newest-used stay when pruning */ }
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    return { state: buffer, log: readFileSync(log, 'latin1') };
  } catch {
    return undefined;
  }
}

function writeCached(key: string, snap: Snapshot): void {
  try {
    mkdirSync(SNAPSHOT_DIR, { recursive: true });
    const put = (name: string, data: Uint8Array | string, enc?: BufferEncoding) => {
      const tmp = join(SNAPSHOT_DIR, `${name}.${process.pid}.tmp`);
      writeFileSync(tmp, data, enc ? { encoding: enc } : undefined);
      renameSync(tmp, join(SNAPSHOT_DIR, name));
    };
    put(`${key}.state`, new Uint8Array(snap.state));
    put(`${key}.log`, snap.log, 'latin1'); // last: a reader takes the pair only when the log is there
    prune();
  } catch {
    // a read-only tree: memory only
  }
}

/** How many snapshots build/cache keeps (the newest; each is the guest's RAM and disk, ~40 MB). */
const SNAPSHOTS_KEPT = 12;

function prune(): void {
  const states = readdirSync(SNAPSHOT_DIR).filter((n) => n.endsWith('.state'))
    .map((n) => ({ n, t: (() => { try { return statSync(join(SNAPSHOT_DIR, n)).mtimeMs; } catch { return 0; } })() }))
    .sort((a, b) => b.t - a.t);
  for (const { n } of states.slice(SNAPSHOTS_KEPT)) {
    const key = n.slice(0, -'.state'.length);
    for (const f of [`${key}.log`, n]) { try { unlinkSync(join(SNAPSHOT_DIR, f)); } catch { /* gone */ } }
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock for making `key`'s snapshot; false while another live process holds it. */
function tryLock(key: string): boolean {
  const lock = join(SNAPSHOT_DIR, `${key}.lock`);
  mkdirSync(SNAPSHOT_DIR, { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch {
      // held: by a live process, or left by one that died
      let owner = NaN;
      try { owner = Number(readFileSync(lock, 'utf8')); } catch { /* gone meanwhile */ }
      const age = (() => { try { return Date.now() - statSync(lock).mtimeMs; } catch { return 0; } })();
      if ((Number.isFinite(owner) && owner > 0 && !pidAlive(owner)) || (!Number.isFinite(owner) && age > 5000)) {
        try { unlinkSync(lock); } catch { /* someone else cleaned it */ }
        continue;
      }
      return false;
    }
  }
  return false;
}

function unlock(key: string): void {
  try { unlinkSync(join(SNAPSHOT_DIR, `${key}.lock`)); } catch { /* already gone */ }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Boots `base` to `from` and saves the state, or undefined when the boot never gets there. */
async function takeSnapshot(base: BootOptions, from: Marker): Promise<Snapshot | undefined> {
  const r = await boot({ ...base, until: from, snapshot: true });
  if (r.reason !== 'marker' || !r.snapshot) return undefined;
  snapshotStats.taken++;
  return r.snapshot;
}

/** The snapshot of `m` at `from`: from memory, from build/cache, from another worker making it, or made now. */
async function snapshotOf(m: Machine, from: Marker, base: BootOptions): Promise<Snapshot | undefined> {
  if (!diskCacheOn()) return takeSnapshot(base, from);
  const key = snapshotKey(m, from);
  const deadline = Date.now() + (base.timeoutMs ?? 60_000) * 2;
  for (;;) {
    const cached = readCached(key);
    if (cached) { snapshotStats.loaded++; return cached; }
    if (tryLock(key)) {
      try {
        const again = readCached(key); // made while we waited for the lock
        if (again) { snapshotStats.loaded++; return again; }
        const snap = await takeSnapshot(base, from);
        if (snap) writeCached(key, snap);
        return snap;
      } finally {
        unlock(key);
      }
    }
    // another process is making it: wait, or make our own if it takes too long
    if (Date.now() > deadline) return takeSnapshot(base, from);
    await sleep(500);
  }
}

export interface BootUntilOptions extends Omit<BootOptions, 'kernel' | 'disk' | 'cmdline' | 'memoryMB' | 'until' | 'restore' | 'snapshot'> {
  /** take (or reuse) a snapshot at this milestone and start from it */
  from?: Marker;
  /** type this into COM1 as soon as the machine runs (after the restore: the `from` line was already seen) */
  send?: string;
  /** press these keys (PS/2 scan code set 1) as soon as the machine runs */
  keys?: number[];
}

/**
 * Boots `m` until `until` (from a snapshot at `from` when given and possible);
 * `until` undefined: until the guest powers off, stops or the run times out.
 * `input` entries wait for lines after `from` (the lines before it were not
 * seen live); `send`/`keys` go in right at `from`.
 */
export async function bootUntil(m: Machine, until: Marker | undefined, opts: BootUntilOptions = {}): Promise<BootResult> {
  const { from, send, keys, onReady, ...rest } = opts;
  const base: BootOptions = { kernel: m.kernel, disk: m.disk, cmdline: m.cmdline, memoryMB: m.memoryMB, timeoutMs: 60_000, ...rest };
  const ready: BootOptions['onReady'] = send !== undefined || keys !== undefined || onReady
    ? (machine) => {
      if (send !== undefined) machine.send(send);
      if (keys !== undefined) machine.keys(keys);
      onReady?.(machine);
    }
    : undefined;
  if (from !== undefined && m.disk) {
    const key = snapshotKey(m, from);
    let snap = recall(snapshots, key);
    if (!snap) {
      // the snapshot boot gets its own time: the caller's timeout is for the run after it
      snap = snapshotOf(m, from, { kernel: m.kernel, disk: m.disk, cmdline: m.cmdline, memoryMB: m.memoryMB, timeoutMs: Math.max(base.timeoutMs ?? 0, 240_000) });
      remember(snapshots, key, snap);
    }
    const state = await snap;
    if (state) {
      snapshotStats.restored++;
      return boot({ ...base, until, restore: state, onReady: ready });
    }
  }
  // no snapshot: a whole boot; `send` and `keys` then wait for the `from` line
  const input = [...(base.input ?? [])];
  if (from !== undefined && send !== undefined && typeof from === 'string') input.unshift({ after: from, text: send });
  let machineNow: Parameters<NonNullable<BootOptions['onReady']>>[0] | undefined;
  let keysSent = false;
  return boot({
    ...base,
    until,
    input,
    onReady: (mm) => { machineNow = mm; onReady?.(mm); },
    onLine: (line) => {
      if (keys !== undefined && !keysSent && from !== undefined && (typeof from === 'string' ? line.includes(from) : from.test(line))) {
        keysSent = true;
        machineNow?.keys(keys);
      }
      base.onLine?.(line);
    },
  });
}

export interface LogOnOptions extends Omit<BootUntilOptions, 'from' | 'send' | 'keys'> {
  /** default Administrator */
  user?: string;
  /** default the account's password (password) */
  password?: string;
  /** type on the PS/2 keyboard instead of COM1 */
  keyboard?: boolean;
}

/** Scan code set 1 make codes of the characters logOn types on the keyboard. */
const SCAN: Record<string, number> = {
  '1': 0x02, '2': 0x03, '3': 0x04, '4': 0x05, '5': 0x06, '6': 0x07, '7': 0x08, '8': 0x09, '9': 0x0a, '0': 0x0b,
  q: 0x10, w: 0x11, e: 0x12, r: 0x13, t: 0x14, y: 0x15, u: 0x16, i: 0x17, o: 0x18, p: 0x19,
  a: 0x1e, s: 0x1f, d: 0x20, f: 0x21, g: 0x22, h: 0x23, j: 0x24, k: 0x25, l: 0x26,
  z: 0x2c, x: 0x2d, c: 0x2e, v: 0x2f, b: 0x30, n: 0x31, m: 0x32, ' ': 0x39, '\r': 0x1c, '\\': 0x2b, '.': 0x34, '-': 0x0c,
};
const LSHIFT = 0x2a;

/** Scan code set 1 make and break codes that type `text` (letters, digits, space, Enter; capitals with Shift). */
export function scancodes(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) {
    const lower = ch.toLowerCase();
    const code = SCAN[lower];
    if (code === undefined) throw new Error(`scancodes: no key for ${JSON.stringify(ch)}`);
    const shifted = ch !== lower;
    if (shifted) out.push(LSHIFT);
    out.push(code, code | 0x80);
    if (shifted) out.push(LSHIFT | 0x80);
  }
  return out;
}

/**
 * Logs on in session 1 from the logon-screen snapshot: the user name right
 * away, the password at winlogon's prompt (COM1, or the keyboard), then runs
 * on to `until`.
 */
export async function logOn(m: Machine, opts: LogOnOptions & { until: Marker | undefined }): Promise<BootResult> {
  const { user = DEFAULT_USER.user, password = DEFAULT_USER.password, keyboard, until, ...rest } = opts;
  if (!keyboard) {
    return bootUntil(m, until, {
      ...rest,
      from: LOGON_SCREEN,
      send: `${user}\r`,
      input: [{ after: 'winlogon: session 1: password:', text: `${password}\r` }, ...(rest.input ?? [])],
    });
  }
  let machineNow: Parameters<NonNullable<BootOptions['onReady']>>[0] | undefined;
  let typed = false;
  return bootUntil(m, until, {
    ...rest,
    from: LOGON_SCREEN,
    keys: scancodes(`${user}\r`),
    onReady: (mm) => { machineNow = mm; rest.onReady?.(mm); },
    onLine: (line) => {
      if (!typed && line.includes('winlogon: session 1: password:')) { typed = true; machineNow?.keys(scancodes(`${password}\r`)); }
      rest.onLine?.(line);
    },
  });
}

function showLog(r: BootResult): string {
  return `\n--- the log (${r.reason}) ---\n${r.lines.join('\n')}\n---`;
}

/** A line matches `pattern` (a substring or a RegExp); returns the first such line. */
export function expectLine(r: BootResult, pattern: string | RegExp): string {
  const found = r.lines.find((l) => (typeof pattern === 'string' ? l.includes(pattern) : pattern.test(l)));
  expect(found, `no line matches ${String(pattern)}${showLog(r)}`).toBeDefined();
  return found!;
}

/** No line matches `pattern`. */
export function expectNoLine(r: BootResult, pattern: string | RegExp): void {
  const found = r.lines.find((l) => (typeof pattern === 'string' ? l.includes(pattern) : pattern.test(l)));
  expect(found, `a line matches ${String(pattern)}: ${found}${showLog(r)}`).toBeUndefined();
}

/** The run ended in a bug check with this code (and these parameters, where given). */
export function expectStop(r: BootResult, code: number, params: { p1?: number; p2?: number; p3?: number; p4?: number } = {}): void {
  expect(r.decodedStop, `no bug check; expected ${hex32(code)}${showLog(r)}`).toBeDefined();
  const s = r.decodedStop!;
  expect(hex32(s.code), `bug check code${showLog(r)}`).toBe(hex32(code));
  ['p1', 'p2', 'p3', 'p4'].forEach((p, i) => {
    const want = params[p as keyof typeof params];
    if (want !== undefined) expect(hex32(s.params[i].value), `${p} of ${s.name}`).toBe(hex32(want));
  });
}

/** Log lines without their `[seconds]` prefix. */
export const messages = (r: BootResult | string[]) => (Array.isArray(r) ? r : r.lines).map((l) => l.replace(/^\[\s*\d+\.\d+\] /, ''));
