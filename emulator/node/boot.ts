// Boots a multiboot kernel in v86 under Node and watches COM1 until a marker,
// a bug check, a guest exit (port 0xF4), a halt, a crash or a timeout.

import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { V86 } from 'v86';
import { SerialMonitor, type Marker, type StopSeen } from '../core/monitor.ts';
import { DEFAULT_TIMEOUT_MS, padToSectors, toArrayBuffer, v86Config } from '../core/options.ts';

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
}

/** A guest write to port 0xF5 (benchmarks mark measured regions with it). */
export interface Mark { value: number; instructions: number }

export type EndReason = 'marker' | 'stop' | 'exit' | 'halt' | 'timeout' | 'crash';

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
      devices?: { ide?: { primary?: { master?: { buffer?: { set(start: number, slice: Uint8Array, fn: () => void): void } } } } };
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
}

let wasmPathCache: string | undefined;
export function v86WasmPath(): string {
  wasmPathCache ??= createRequire(import.meta.url).resolve('v86/build/v86.wasm');
  return wasmPathCache;
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
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const kernel = toArrayBuffer(await bytesOf(opts.kernel));
  const disk = opts.disk !== undefined ? toArrayBuffer(padToSectors(await bytesOf(opts.disk))) : undefined;
  const config = v86Config({ kernel, disk, memoryMB: opts.memoryMB, cmdline: opts.cmdline, disableJit: opts.disableJit, wasmPath: v86WasmPath() });
  const monitor = new SerialMonitor(opts.until);

  let emulator: V86Internals | undefined;

  const result = await new Promise<BootResult>((resolve) => {
    let done = false;
    let exitCode: number | undefined;
    let crash: string | undefined;
    let halted = false;
    const marks: Mark[] = [];
    const lineInstructions: number[] = [];
    let markerTimer: ReturnType<typeof setTimeout> | undefined;
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
      leaveBoot(onCrash);
      const last = monitor.end();
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
        crash,
        timedOut: reason === 'timeout',
        halted,
        reason,
        instructions,
        marks,
        lineInstructions: opts.lineInstructions ? lineInstructions : undefined,
        wallMs,
        memory,
      });
    };

    function onCrash(err: unknown): void {
      if (done) return;
      const note = panicNotes.length ? ` (${panicNotes.join('; ')})` : '';
      crash = describeError(err) + note;
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

    const timeoutTimer = setTimeout(() => finish('timeout'), timeoutMs);
    enterBoot(onCrash);
    let inputAt = 0;
    const onSerialByte = (b: number): void => {
      if (done) return;
      if (opts.onByte) safeCall(() => opts.onByte!(b));
      if (done) return;
      const line = monitor.pushByte(b);
      if (line !== undefined) {
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
    emu.add_listener('serial0-output-byte', onSerialByte);
    emu.add_listener('cpu-event-halt', () => {
      if (done) return;
      halted = true;
      finish('halt');
    });
  });

  if (emulator) await teardown(emulator);
  if (opts.saveDisk && disk) await writeFile(opts.saveDisk, new Uint8Array(disk));
  if (opts.onDiskDone && disk) opts.onDiskDone(new Uint8Array(disk));
  return result;
}
