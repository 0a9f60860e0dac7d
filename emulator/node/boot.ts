// Boots a multiboot kernel in v86 under Node and watches COM1 until a marker,
// a bug check, a guest exit (port 0xF4), a halt, a crash, a timeout or the
// caller's abort signal. Optionally: a .reg overlay and extra files put into
// a copy of the disk first (images/disk/edit.ts), the machine state saved when
// the marker is reached or a run started from such a state, the VGA text
// screen read at the end. The log is also parsed (emulator/core/bootlog.ts).

import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { V86 } from 'v86';
import { SerialMonitor, type Marker, type StopSeen } from '../core/monitor.ts';
import { DEFAULT_TIMEOUT_MS, padToSectors, toArrayBuffer, v86Config } from '../core/options.ts';
import { BootLog, type DecodedStop, type LogEvent } from '../core/bootlog.ts';
import { editDisk } from '../../images/disk/edit.ts';
import { KdClient, formatKdAnswer, type KdAnswer } from '../core/kd.ts';

/** A .reg overlay: a file path, or the text itself with a name for messages. */
export type RegSource = string | { text: string | Uint8Array; fileName: string };

/** A machine state saved by `snapshot`, with the serial output that came before it. */
export interface Snapshot {
  /** v86's state (memory, devices, the disk as it then was) */
  state: ArrayBuffer;
  /** every serial byte up to the save, one character per byte */
  log: string;
}

export interface BootOptions {
  /** multiboot kernel: bytes or a file path */
  kernel: Uint8Array | string;
  /** IDE primary master image: bytes or a file path (never modified; see saveDisk) */
  disk?: Uint8Array | string;
  /** guest RAM in MiB, default 32 */
  memoryMB?: number;
  /** milestone: a substring of one serial line, or a RegExp tested per line */
  until?: Marker;
  /** default 10000; counted from the call, so it includes loading v86 */
  timeoutMs?: number;
  /** each serial line, without its terminator, as it completes (and the unterminated rest at the end) */
  onLine?: (line: string) => void;
  /** type `text` into COM1 once a serial line contains `after` (each entry once, in order) */
  input?: Array<{ after: string; text: string }>;
  /** each serial byte */
  onByte?: (b: number) => void;
  /** multiboot command line */
  cmdline?: string;
  /** record the guest instruction counter at the end of each serial line (BootResult.lineInstructions) */
  lineInstructions?: boolean;
  /** run v86 without its JIT: exact guest instruction counts (benchmarks), slower */
  disableJit?: boolean;
  /** copy this range of guest physical memory into the result when the run ends */
  readMemory?: { address: number; length: number };
  /** end the run (reason 'exit') when the guest writes this value to the mark port 0xF5 */
  stopAtMark?: number;
  /** after the run, write the (possibly guest-modified) disk image to this path */
  saveDisk?: string;
  /**
   * each write the guest's IDE disk takes, in order: the byte offset and a
   * copy of the bytes (tests replay prefixes of these to model power cuts)
   */
  onDiskWrite?: (offset: number, bytes: Uint8Array) => void;
  /** the disk image as the guest left it (the buffer v86 wrote), when the run ends */
  onDiskDone?: (image: Uint8Array) => void;
  /** .reg overlays for the SYSTEM hive of (a copy of) the disk, applied before the boot */
  reg?: RegSource | RegSource[];
  /** files into (a copy of) the disk: image path (\\Windows\\System32\\x.exe) -> host path or bytes */
  add?: Record<string, string | Uint8Array> | Map<string, string | Uint8Array>;
  /** the timeout in seconds (instead of timeoutMs); Infinity or 0: none */
  timeout?: number;
  /**
   * save the machine state when `until` is reached: into the result
   * (`snapshot: true`), and to this file too when a path is given
   */
  snapshot?: boolean | string;
  /** start from a saved state (a file path, the bytes, or a Snapshot whose log comes first) instead of booting */
  restore?: string | ArrayBuffer | Uint8Array | Snapshot;
  /** end the run (reason 'interrupted') when this signal aborts */
  signal?: AbortSignal;
  /**
   * called once the machine runs, with a way to type into COM1, to press keys
   * (PS/2 scan code set 1 bytes) and to read the VGA text screen now
   */
  onReady?: (machine: Machine) => void;
  /** each byte the guest sends on COM2 (the kernel debugger's answers) */
  onKdByte?: (b: number) => void;
  /** read the VGA text screen into the result when the run ends */
  screen?: boolean;
  /**
   * on a timeout, ask the kernel debugger for its thread list first (up to 3 s
   * more; only when the log announced it: `kd: kernel debugger on COM2`) and
   * add it to `lines` as `[host] ...` lines, so a stalled boot's failure shows
   * what every thread waits on; default true
   */
  kdOnTimeout?: boolean;
}

/** What onReady gets: the running machine. */
export interface Machine {
  /** types `text` into COM1 */
  send(text: string): void;
  /** presses keys (PS/2 scan code set 1 bytes) */
  keys(scancodes: number[]): void;
  /** the VGA text screen now */
  screen(): { rows: string[]; attributes: Uint8Array[] } | undefined;
  /**
   * asks the kernel debugger on COM2 (README, "The kernel debugger"):
   * `kd('process')`, `kd('object', { path: '\\Sessions' })`, `kd('reg', { key: 'HKLM\\SYSTEM' })`
   */
  kd(q: string, args?: Record<string, string | number>): Promise<KdAnswer>;
  /** sends one line to COM2 as it is and resolves with the answer to it */
  kdRaw(line: string): Promise<KdAnswer>;
  /** writes raw bytes to COM2 (no answer awaited) */
  kdSend(bytes: Uint8Array): void;
}

/** A guest write to port 0xF5 (benchmarks mark measured regions with it). */
export interface Mark { value: number; instructions: number }

export type EndReason = 'marker' | 'stop' | 'exit' | 'reset' | 'halt' | 'timeout' | 'crash' | 'interrupted';

export interface BootResult {
  /** the whole serial output, one character per byte (Latin-1) */
  log: string;
  /** the serial output split into lines (the unterminated rest included) */
  lines: string[];
  /** the `until` marker was seen */
  reached: boolean;
  /** a bug check block was seen */
  stop?: StopSeen;
  /** the guest wrote this value to port 0xF4 */
  exitCode?: number;
  /** the guest reset the machine (8042 pulse 0xFE to port 0x64, or 0xCF9): the run ends there */
  reset: boolean;
  /** an exception from the emulator (a v86 wasm panic, a throwing callback, ...) */
  crash?: string;
  timedOut: boolean;
  /** the guest executed `hlt` with interrupts off */
  halted: boolean;
  /** what ended the run */
  reason: EndReason;
  /** guest instructions executed when the run was decided */
  instructions: number;
  /** with `lineInstructions`: the guest instruction counter when each line of `lines` ended (its last byte's handler) */
  lineInstructions?: number[];
  /** writes to port 0xF5, each with the guest instruction counter at that moment */
  marks: Mark[];
  /** wall-clock milliseconds from the call to the end decision */
  wallMs: number;
  /** the guest memory asked for with `readMemory`, as it was when the run ended */
  memory?: Uint8Array;
  /** the log parsed: events, milestones, processes, sessions, the bug check */
  bootLog: BootLog;
  /** every line as an event (bootLog.events) */
  events: LogEvent[];
  /** the bug check decoded (codes named, parameters explained), if there was one */
  decodedStop?: DecodedStop;
  /** the disk image as the guest left it (when the run had a disk) */
  disk?: Uint8Array;
  /** the machine state saved at the marker (with `snapshot`) */
  snapshot?: Snapshot;
  /** the VGA text screen at the end (with `screen`): 25 rows of text and their attribute bytes */
  screen?: { rows: string[]; attributes: Uint8Array[] };
}

/** How long to wait for the rest of a line (STOP name, marker line end). */
const LINE_GRACE_MS = 200;
/** Upper bound for tearing the emulator down. */
const DESTROY_TIMEOUT_MS = 2000;

// The parts of v86 0.5.462 that its type declarations do not show.
interface V86Internals {
  v86?: {
    cpu: {
      mem8?: Uint8Array;
      /** v86 calls it for a keyboard-controller or 0xCF9 reset */
      reboot_internal?: () => void;
      /** control registers: cr[3] is the page directory */
      cr?: Int32Array;
      devices?: {
        ide?: { primary?: { master?: { buffer?: { buffer?: ArrayBuffer; set(start: number, slice: Uint8Array, fn: () => void): void } } } };
        vga?: { vga_memory: Uint8Array; max_rows: number; max_cols: number; start_address: number; graphical_mode: boolean };
      };
      io: {
        register_write(
          port: number,
          device: object,
          w8?: (v: number) => void,
          w16?: (v: number) => void,
          w32?: (v: number) => void,
        ): void;
      };
    };
    do_tick(): void;
    next_tick(t: number): void;
  };
  add_listener(event: string, fn: (arg: any) => void): void;
  remove_listener(event: string, fn: (arg: any) => void): void;
  get_instruction_counter(): number;
  destroy(): Promise<void>;
  stop(): Promise<void>;
  save_state(): Promise<ArrayBuffer>;
  serial0_send(text: string): void;
  serial_send_bytes(serial: number, bytes: Uint8Array): void;
  keyboard_send_scancodes(codes: number[]): void;
}

/** The VGA text screen as v86 holds it: rows of text (code page 437 bytes as Latin-1) and attributes. */
function readScreen(emu: V86Internals): { rows: string[]; attributes: Uint8Array[] } | undefined {
  const vga = emu.v86?.cpu.devices?.vga;
  if (!vga || vga.graphical_mode) return undefined;
  const rows: string[] = [];
  const attributes: Uint8Array[] = [];
  const cols = vga.max_cols || 80;
  let addr = vga.start_address << 1;
  for (let r = 0; r < (vga.max_rows || 25); r++) {
    let text = '';
    const attr = new Uint8Array(cols);
    for (let c = 0; c < cols; c++, addr += 2) {
      const ch = vga.vga_memory[addr];
      text += ch === 0 ? ' ' : String.fromCharCode(ch);
      attr[c] = vga.vga_memory[addr | 1];
    }
    rows.push(text);
    attributes.push(attr);
  }
  return { rows, attributes };
}

/**
 * Reads a NUL-terminated ANSI string at a guest virtual address through the
 * current page tables (non-PAE 2-level paging, 4 KiB and 4 MiB pages).
 * Undefined when a page is not present or nothing ends within `max` bytes.
 */
export function readGuestString(emu: V86Internals, address: number, max = 256): string | undefined {
  const cpu = emu.v86?.cpu;
  const mem = cpu?.mem8;
  if (!cpu?.cr || !mem) return undefined;
  const cr3 = cpu.cr[3] & 0xfffff000;
  const dword = (pa: number) => (pa + 4 <= mem.length ? (mem[pa] | (mem[pa + 1] << 8) | (mem[pa + 2] << 16) | (mem[pa + 3] << 24)) >>> 0 : 0);
  const physical = (va: number): number | undefined => {
    const pde = dword(cr3 + ((va >>> 22) << 2));
    if (!(pde & 1)) return undefined;
    if (pde & 0x80) return ((pde & 0xffc00000) | (va & 0x3fffff)) >>> 0;
    const pte = dword((pde & 0xfffff000) + (((va >>> 12) & 0x3ff) << 2));
    if (!(pte & 1)) return undefined;
    return ((pte & 0xfffff000) | (va & 0xfff)) >>> 0;
  };
  let out = '';
  for (let i = 0; i < max; i++) {
    const pa = physical((address + i) >>> 0);
    if (pa === undefined || pa >= mem.length) return undefined;
    if (mem[pa] === 0) return out;
    out += String.fromCharCode(mem[pa]);
  }
  return undefined;
}

async function regSources(reg: BootOptions['reg']): Promise<Array<{ text: string | Uint8Array; fileName: string }>> {
  const list = reg === undefined ? [] : Array.isArray(reg) ? reg : [reg];
  return Promise.all(list.map(async (r) => (typeof r === 'string' ? { text: new Uint8Array(await readFile(r)), fileName: r } : r)));
}

async function addedFiles(add: BootOptions['add']): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  const entries = add === undefined ? [] : add instanceof Map ? [...add] : Object.entries(add);
  for (const [path, src] of entries) out.set(path, typeof src === 'string' ? new Uint8Array(await readFile(src)) : src);
  return out;
}

async function restoreState(r: NonNullable<BootOptions['restore']>): Promise<Snapshot> {
  if (typeof r === 'string') return { state: toArrayBuffer(new Uint8Array(await readFile(r))), log: '' };
  if (r instanceof ArrayBuffer) return { state: r, log: '' };
  if (r instanceof Uint8Array) return { state: toArrayBuffer(r), log: '' };
  return r;
}

let wasmPathCache: string | undefined;
export function v86WasmPath(): string {
  wasmPathCache ??= createRequire(import.meta.url).resolve('v86/build/v86.wasm');
  return wasmPathCache;
}

// v86.wasm (2 MB) compiled once per process: every boot instantiates the same
// WebAssembly.Module (with V8's optimised code for it) instead of reading and
// compiling the file again. A module that fails to compile falls back to v86's
// own loader (which then tries v86-fallback.wasm).
let v86Module: Promise<WebAssembly.Module | undefined> | undefined;
function v86CompiledModule(): Promise<WebAssembly.Module | undefined> {
  v86Module ??= readFile(v86WasmPath()).then((bytes) => WebAssembly.compile(bytes), () => undefined).catch(() => undefined);
  return v86Module;
}

async function bytesOf(x: Uint8Array | string): Promise<Uint8Array> {
  return typeof x === 'string' ? new Uint8Array(await readFile(x)) : x;
}

// Exceptions that escape v86's own scheduling (setImmediate/setTimeout
// callbacks) reach the process. While boots are running, a process-wide
// handler turns them into crashes of the running boots instead of killing
// the process.
const activeBoots = new Set<(err: unknown) => void>();
function onProcessError(err: unknown): void {
  for (const crash of [...activeBoots]) crash(err);
}

// v86 prints a wasm panic's message with console.error just before the
// RuntimeError unwinds; keep the last few for the crash report.
const panicNotes: string[] = [];
let savedConsoleError: typeof console.error | undefined;
function filteringConsoleError(...args: unknown[]): void {
  const text = args.map(String).join(' ');
  if (/panicked at|Unimplemented/.test(text)) {
    panicNotes.push(text.replace(/\s+/g, ' ').trim());
    if (panicNotes.length > 3) panicNotes.shift();
    return;
  }
  savedConsoleError!.apply(console, args);
}

function enterBoot(crash: (err: unknown) => void): void {
  if (activeBoots.size === 0) {
    process.on('uncaughtException', onProcessError);
    process.on('unhandledRejection', onProcessError);
    savedConsoleError = console.error;
    console.error = filteringConsoleError;
    panicNotes.length = 0;
  }
  activeBoots.add(crash);
}
function leaveBoot(crash: (err: unknown) => void): void {
  if (!activeBoots.delete(crash)) return;
  if (activeBoots.size === 0) {
    process.off('uncaughtException', onProcessError);
    process.off('unhandledRejection', onProcessError);
    if (console.error === filteringConsoleError) console.error = savedConsoleError!;
    savedConsoleError = undefined;
  }
}

function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

/** The innermost JavaScript frames of a host-side error (v86 or this harness), for the crash report. */
function whereFrom(err: unknown): string {
  if (!(err instanceof Error) || !err.stack) return '';
  const frames = err.stack.split('\n').slice(1).map((l) => l.trim()).filter((l) => l.startsWith('at ')).slice(0, 6);
  return frames.length ? ` [${frames.join(' | ')}]` : '';
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Stops and destroys an emulator, whatever state it is in. */
async function teardown(emu: V86Internals): Promise<void> {
  if (!emu.v86) {
    // v86 is still loading its wasm: destroy it as soon as it starts
    emu.add_listener('emulator-started', () => void teardown(emu));
    return;
  }
  let destroyed: Promise<void>;
  try {
    destroyed = emu.destroy();
  } catch {
    return;
  }
  // destroy() waits for the next scheduler tick to report "stopped"; that
  // tick may be ~100 ms away (halted guest) or never come (the CPU loop threw).
  // Schedule one now.
  try {
    emu.v86.next_tick(0);
  } catch {
    // nothing to kick
  }
  await Promise.race([destroyed.catch(() => undefined), delay(DESTROY_TIMEOUT_MS)]);
}

export async function boot(opts: BootOptions): Promise<BootResult> {
  const t0 = performance.now();
  const timeoutMs = opts.timeout !== undefined ? opts.timeout * 1000 : opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const kernel = toArrayBuffer(await bytesOf(opts.kernel));
  let diskBytes = opts.disk !== undefined ? await bytesOf(opts.disk) : undefined;
  const overlays = await regSources(opts.reg);
  const files = await addedFiles(opts.add);
  if (overlays.length || files.size) {
    if (!diskBytes) throw new Error('reg and add need a disk image');
    diskBytes = editDisk(diskBytes, { overlays, files });
  }
  const disk = diskBytes !== undefined ? toArrayBuffer(padToSectors(diskBytes)) : undefined;
  const config = v86Config({ kernel, disk, memoryMB: opts.memoryMB, cmdline: opts.cmdline, disableJit: opts.disableJit, wasmPath: v86WasmPath() });
  if ((opts.snapshot || opts.restore !== undefined) && !disk) throw new Error('snapshot and restore need a disk image (v86 0.5 cannot restore a machine without one)');
  const restore = opts.restore !== undefined ? await restoreState(opts.restore) : undefined;
  if (restore) config.initial_state = { buffer: restore.state };
  const v86wasm = await v86CompiledModule();
  if (v86wasm) config.wasm_fn = async (imports: WebAssembly.Imports) => (await WebAssembly.instantiate(v86wasm, imports)).exports;
  const monitor = new SerialMonitor(opts.until);
  const bootLog = new BootLog();
  // every serial byte, also after the end is decided (for the snapshot's log)
  let serialSoFar = restore?.log ?? '';
  if (restore?.log) {
    // the log before the saved state, as if it had just been received (without ending the run on it)
    monitor.preload(restore.log);
    for (const l of monitor.lines) bootLog.push(l);
  }

  let emulator: V86Internals | undefined;
  let kd: KdClient | undefined;

  const result = await new Promise<BootResult>((resolve) => {
    let done = false;
    let exitCode: number | undefined;
    let crash: string | undefined;
    let halted = false;
    let reset = false;
    const marks: Mark[] = [];
    const lineInstructions: number[] = [];
    let markerTimer: ReturnType<typeof setTimeout> | undefined;
    let stalledThreads: string[] | undefined;
    let stopTimer: ReturnType<typeof setTimeout> | undefined;

    const finish = (reason: EndReason): void => {
      if (done) return;
      done = true;
      const wallMs = performance.now() - t0;
      let instructions = 0;
      try {
        instructions = emulator ? emulator.get_instruction_counter() : 0;
      } catch {
        // emulator half-built
      }
      let memory: Uint8Array | undefined;
      if (opts.readMemory) {
        const m = emulator?.v86?.cpu.mem8;
        const { address, length } = opts.readMemory;
        if (m && address + length <= m.length) memory = m.slice(address, address + length);
      }
      clearTimeout(timeoutTimer);
      clearTimeout(markerTimer);
      clearTimeout(stopTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      leaveBoot(onCrash);
      kd?.close();
      const last = monitor.end();
      if (last !== undefined) bootLog.push(last);
      if (reason === 'timeout' && stalledThreads) {
        monitor.lines.push('[host] timed out; the kernel debugger\'s thread list at that moment:', ...stalledThreads.map((l) => `[host] ${l}`));
      }
      // 0xC000021A: p1 is the kernel's copy of the process's description; read it back
      const decoded = bootLog.stop;
      if (decoded && (decoded.code === 0xc000021a || decoded.code === 0x21a) && emulator) {
        const text = readGuestString(emulator, decoded.params[0].value);
        if (text !== undefined) {
          decoded.processName = text;
          decoded.params[0].explained = `"${text}"`;
        }
      }
      if (last !== undefined && opts.onLine) {
        try {
          opts.onLine(last);
        } catch {
          // too late to matter
        }
      }
      // a halt right after an unterminated STOP or marker line
      if (reason === 'halt') reason = monitor.stop ? 'stop' : monitor.reached ? 'marker' : 'halt';
      resolve({
        log: monitor.log,
        lines: monitor.lines,
        reached: monitor.reached,
        stop: monitor.stop,
        exitCode,
        reset,
        crash,
        timedOut: reason === 'timeout',
        halted,
        reason,
        instructions,
        marks,
        lineInstructions: opts.lineInstructions ? lineInstructions : undefined,
        wallMs,
        memory,
        bootLog,
        events: bootLog.events,
        decodedStop: bootLog.stop,
        screen: opts.screen && emulator ? readScreen(emulator) : undefined,
      });
    };

    function onCrash(err: unknown): void {
      if (done) return;
      const note = panicNotes.length ? ` (${panicNotes.join('; ')})` : '';
      crash = describeError(err) + note + whereFrom(err);
      finish('crash');
    }

    // a user callback that throws must not unwind through v86
    const safeCall = (fn: () => void): void => {
      try {
        fn();
      } catch (err) {
        onCrash(new Error(`callback threw: ${describeError(err)}`));
      }
    };

    const onTimeout = (): void => {
      if (done) return;
      const client = kd;
      // only a kernel that announced its debugger on COM2 is asked (a test kernel without one would cost 3 s)
      const hasKd = monitor.lines.some((l) => l.includes('kd: kernel debugger on COM2'));
      if (opts.kdOnTimeout === false || !client || !emulator || !hasKd) return finish('timeout');
      // the machine keeps running while the debugger answers (interrupt-driven, COM2)
      let answered = false;
      const giveUp = setTimeout(() => { if (!answered) { stalledThreads = ['no answer from the kernel debugger within 3 s']; finish('timeout'); } }, 3000);
      client.query('thread').then((a) => {
        answered = true;
        clearTimeout(giveUp);
        stalledThreads = formatKdAnswer(a).split('\n');
        finish('timeout');
      }, () => { answered = true; clearTimeout(giveUp); finish('timeout'); });
    };
    const timeoutTimer = Number.isFinite(timeoutMs) && timeoutMs > 0 ? setTimeout(onTimeout, timeoutMs) : undefined;
    const onAbort = (): void => finish('interrupted');
    if (opts.signal?.aborted) return finish('interrupted');
    opts.signal?.addEventListener('abort', onAbort);
    enterBoot(onCrash);
    let inputAt = 0;
    const onSerialByte = (b: number): void => {
      serialSoFar += String.fromCharCode(b & 0xff);
      if (done) return;
      if (opts.onByte) safeCall(() => opts.onByte!(b));
      if (done) return;
      const line = monitor.pushByte(b);
      if (line !== undefined) {
        bootLog.push(line);
        if (opts.lineInstructions && emulator) lineInstructions.push(emulator.get_instruction_counter());
        if (opts.onLine) safeCall(() => opts.onLine!(line));
        const next = opts.input?.[inputAt];
        if (next && line.includes(next.after)) {
          inputAt++;
          (emulator as unknown as { serial0_send(s: string): void }).serial0_send(next.text);
        }
        if (done) return;
        // a bug check wins over a marker on the same line; the block's text
        // lines may follow its name: the halt that ends every bug check (or
        // a moment's grace) ends the run
        if (monitor.stopComplete) {
          clearTimeout(markerTimer);
          clearTimeout(stopTimer);
          stopTimer = setTimeout(() => finish('stop'), LINE_GRACE_MS);
          return;
        }
        if (monitor.stopPending) {
          // wait a moment for the name line
          clearTimeout(markerTimer);
          stopTimer ??= setTimeout(() => finish('stop'), LINE_GRACE_MS);
          return;
        }
        if (monitor.reached) return finish('marker');
      } else if (markerTimer === undefined && !monitor.stopPending && monitor.markerInPartial()) {
        // the marker is here; give the rest of its line a moment to arrive
        markerTimer = setTimeout(() => finish('marker'), LINE_GRACE_MS);
      }
    };

    const onExitPort = (value: number): void => {
      if (done) return;
      exitCode = value >>> 0;
      finish('exit');
    };

    let emu: V86Internals;
    try {
      emu = emulator = new V86(config as any) as unknown as V86Internals;
    } catch (err) {
      onCrash(err);
      return;
    }
    emu.add_listener('emulator-ready', () => {
      const v86 = emu.v86;
      if (!v86) return;
      // v86 reserves port 0xF4 for multiboot test kernels and throws "HALT"
      // on a write; take it over so the guest can exit with a code.
      const dev = { name: 'harness-exit' };
      v86.cpu.io.register_write(0xf4, dev, onExitPort, onExitPort, onExitPort);
      // A reset ends the run instead of rebooting: the harness reports it.
      v86.cpu.reboot_internal = () => {
        if (done) return;
        reset = true;
        finish('reset');
      };
      // Port 0xF5: a benchmark mark; record the instruction counter.
      const onMark = (value: number): void => {
        marks.push({ value: value >>> 0, instructions: emu.get_instruction_counter() });
        if (opts.stopAtMark !== undefined && value >>> 0 === opts.stopAtMark) finish('exit');
      };
      v86.cpu.io.register_write(0xf5, { name: 'harness-mark' }, onMark, onMark, onMark);
      // Disk writes, for whoever asked to see them.
      const diskBuffer = v86.cpu.devices?.ide?.primary?.master?.buffer;
      if (opts.onDiskWrite && diskBuffer) {
        const set = diskBuffer.set.bind(diskBuffer);
        const hook = opts.onDiskWrite;
        diskBuffer.set = (start, slice, fn) => { hook(start, new Uint8Array(slice)); set(start, slice, fn); };
      }
      // Exceptions from the CPU loop (wasm panics) are caught here, for this
      // emulator, before they can reach the process.
      const doTick = v86.do_tick.bind(v86);
      v86.do_tick = () => {
        try {
          doTick();
        } catch (err) {
          onCrash(err);
        }
      };
    });
    // after a restored state is in place (emulator-ready comes before it)
    kd = new KdClient((bytes) => { if (!done) emu.serial_send_bytes(1, bytes); });
    const kdClient = kd;
    emu.add_listener('serial1-output-byte', (b: number) => {
      if (opts.onKdByte) safeCall(() => opts.onKdByte!(b));
      kdClient.pushByte(b);
    });
    emu.add_listener('emulator-loaded', () => {
      if (opts.onReady) safeCall(() => opts.onReady!({
        send: (text) => { if (!done) emu.serial0_send(text); },
        keys: (scancodes) => { if (!done) emu.keyboard_send_scancodes(scancodes); },
        screen: () => readScreen(emu),
        kd: (q, args) => kdClient.query(q, args),
        kdRaw: (line) => kdClient.raw(line),
        kdSend: (bytes) => { if (!done) emu.serial_send_bytes(1, bytes); },
      }));
    });
    emu.add_listener('serial0-output-byte', onSerialByte);
    emu.add_listener('cpu-event-halt', () => {
      if (done) return;
      halted = true;
      finish('halt');
    });
  });

  if (emulator && opts.snapshot && result.reason === 'marker' && emulator.v86) {
    // stop the CPU, then save: the log kept is everything up to the save
    try {
      await emulator.stop();
      const state = await emulator.save_state();
      result.snapshot = { state, log: serialSoFar };
      if (typeof opts.snapshot === 'string') await writeFile(opts.snapshot, new Uint8Array(state));
    } catch (err) {
      result.crash = `cannot save the machine state: ${describeError(err)}`;
      result.reason = 'crash';
    }
  }
  // after a restore v86 writes into a buffer of its own: take the disk from the device
  const diskBuffer = emulator?.v86?.cpu.devices?.ide?.primary?.master?.buffer?.buffer ?? disk;
  if (emulator) await teardown(emulator);
  if (diskBuffer) result.disk = new Uint8Array(diskBuffer);
  if (opts.saveDisk && result.disk) await writeFile(opts.saveDisk, result.disk);
  if (opts.onDiskDone && result.disk) opts.onDiskDone(result.disk);
  return result;
}
