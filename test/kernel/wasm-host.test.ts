// The kernel as WebAssembly in Node: compiled with the build's exact asc
// command, run on a fake PC (fake-machine.ts) that implements every
// `kernel.*` intrinsic in JavaScript. Checks phase 0 up to the idle loop, the
// structures it leaves in memory (IDT, PIC, PIT, COM1, VGA) and the bug check
// paths, all from the serial log the way the boot tests will.
//
// The module's memory is its own: with --memoryBase 0x80400000 it is just over
// 2 GiB, which V8 in Node 20 allocates (up to 4 GiB), so the kernel's real
// addresses (0x800B8000 for VGA, 0x80007C00 for the multiboot block) work
// unchanged.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LineSplitter, parseLogLine, parseStop } from '../../emulator/core/log.ts';
import { KERNEL_INTRINSICS } from '../../scripts/wasm2x86/api.ts';
import { kernelExportNames } from '../../scripts/build.ts';
import {
  FakeMachine, Halted, MULTIBOOT_INFO, SchedulerStarted, TRAP_ENTRY_BASE, TRAP_ENTRY_STRIDE, V86_MMAP, type BootInfo,
} from './fake-machine.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);

/** The build's compile command, with only the output paths changed. */
function ascArgs(entry: string, out: string): string[] {
  return [
    entry, '-O3', '--runtime', 'stub', '--noAssert',
    '--use', 'abort=kernel/ke/bugcheck/KiAbort',
    '--memoryBase', '2151677952',
    '-o', `${out}.wasm`, '-t', `${out}.wat`,
  ];
}

/** The intrinsics the translator knows: its own table (scripts/wasm2x86/api.ts). */
const INTRINSICS = KERNEL_INTRINSICS;

const BOOT: BootInfo = { cmdline: 'console=com1 debug', mmap: V86_MMAP };

let dir: string;
let kernelWat: string;
let kernelModule: WebAssembly.Module;
let probeModule: WebAssembly.Module;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kernel-wasm-'));
  const asc = join(ROOT, 'node_modules/.bin/asc');
  await Promise.all([
    run(asc, ascArgs('kernel/main.ts', join(dir, 'kernel')), { cwd: ROOT }),
    run(asc, ascArgs('test/kernel/programs/abort.ts', join(dir, 'abort')), { cwd: ROOT }),
  ]);
  kernelWat = readFileSync(join(dir, 'kernel.wat'), 'utf8');
  kernelModule = await WebAssembly.compile(readFileSync(join(dir, 'kernel.wasm')));
  probeModule = await WebAssembly.compile(readFileSync(join(dir, 'abort.wasm')));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function machine(): Promise<FakeMachine> {
  const m = new FakeMachine();
  await m.instantiate(kernelModule);
  return m;
}

/** A machine that went through phase 0 up to the switch onto the idle thread. */
async function booted(info: BootInfo = BOOT): Promise<FakeMachine> {
  const m = await machine();
  const end = m.boot(info);
  expect(end).toBeInstanceOf(SchedulerStarted);
  return m;
}

function lines(m: FakeMachine): string[] {
  const splitter = new LineSplitter();
  const out = splitter.push(m.serial);
  expect(splitter.partial, 'serial output ends with a complete line').toBe('');
  return out;
}

/** Serial lines written after the first `skip` lines. */
function linesAfter(m: FakeMachine, skip: number): string[] {
  return lines(m).slice(skip);
}

/** The STOP block: checks the STOP line and the name line right after it. */
function stopBlock(all: string[]) {
  const at = all.findIndex((l) => l.startsWith('*** STOP: '));
  expect(at, all.join('\n')).toBeGreaterThanOrEqual(0);
  const stop = parseStop(all[at]);
  expect(stop, all[at]).not.toBeNull();
  expect(all[at]).toMatch(/^\*\*\* STOP: 0x[0-9A-F]{8} \(0x[0-9A-F]{8}, 0x[0-9A-F]{8}, 0x[0-9A-F]{8}, 0x[0-9A-F]{8}\)$/);
  expect(all.length, 'the name line follows and ends the output').toBe(at + 2);
  return { ...stop!, name: all[at + 1], before: all.slice(0, at) };
}

describe('kernel build', () => {
  it('imports only intrinsics, exports the entry points and ntoskrnl.exe\'s routines, needs no start function and no heap', () => {
    const imports = WebAssembly.Module.imports(kernelModule);
    for (const i of imports) {
      expect(i.module).toBe('kernel');
      expect(i.kind).toBe('function');
      expect(INTRINSICS.has(i.name), i.name).toBe(true);
    }
    const exports = WebAssembly.Module.exports(kernelModule).map((e) => `${e.kind}:${e.name}`).sort();
    // The entry points, and the routines kernel/exports.ts offers drivers (win32k.sys) as ntoskrnl.exe's export table.
    const driverExports = kernelExportNames();
    expect(driverExports).toContain('ExAllocatePoolWithTag');
    const expected = ['function:KiSystemStartup', 'function:KiTrapDispatch', 'function:KiWasmTrap', 'memory:memory', ...driverExports.map((n) => `function:${n}`)].sort();
    expect(exports).toEqual(expected);
    expect(kernelWat).not.toMatch(/\(start /);
    expect(kernelWat).not.toMatch(/memory\.grow|rt\/stub|__new|__alloc/);
    // Static data at 0x80400000 (printed by wasm-opt as a signed i32).
    const firstData = /\(data \$\S+ \(i32\.const (-?\d+)\)/.exec(kernelWat);
    expect(firstData).not.toBeNull();
    expect(Number(firstData![1]) >>> 0).toBeGreaterThanOrEqual(0x80400000);
  });
});

describe('phase 0 in a fake PC', () => {
  it('runs phase 0 to the scheduler with a well-formed log', async () => {
    const m = await booted();
    const all = lines(m);
    for (const l of all) expect(parseLogLine(l), l).not.toBeNull();
    expect(m.serialText).toMatch(/^(\[[ \d]{5,}\.\d{6}\] [a-z]+: [^\r\n]*\r\n)+$/);
    const messages = all.map((l) => { const p = parseLogLine(l)!; return `${p.component}: ${p.message}`; });
    const expected: Array<string | RegExp> = [
      'ke: NT-style kernel 0.1 (wasm2x86) starting',
      /^hal: COM1 16550 at 0x3F8/,
      'ke: multiboot information at 0x00007C00, flags 0x00000044',
      'ke: command line "console=com1 debug"',
      /^ke: IDT loaded \(256 vectors\) at 0x804[0-9A-F]{5}$/,
      'hal: PIC remapped to 0x30/0x38',
      'hal: PIT channel 0 at 100 Hz',
      'hal: RTC 2026-01-02 03:04:05 UTC', // the fake CMOS's BCD clock, decoded
      'mm: 0x00000000-0x0009FFFF usable',
      'mm: 0x000F0000-0x000FFFFF reserved',
      'mm: 0x00100000-0x01FFFFFF usable',
      'mm: 32384 KiB usable in 2 ranges',
      'ke: CPU GenuineIntel family 6 model 58 stepping 9',
      'ke: CPU features edx 0xBFEBFBFF ecx 0x7FBAE3FF',
      'ke: CPU "Intel(R) Core(TM) i5-3570 CPU @ 3.40GHz"',
      /^ke: scheduler: 32 priorities/,
    ];
    let at = 0;
    for (const e of expected) {
      const found = messages.findIndex((msg, i) => i >= at && (typeof e === 'string' ? msg === e : e.test(msg)));
      expect(found, `${e} after line ${at}:\n${messages.join('\n')}`).toBeGreaterThanOrEqual(at);
      at = found + 1;
    }
    expect(messages[messages.length - 1]).toMatch(/^ke: scheduler: 32 priorities/);
  });

  it('loads an IDT of 256 interrupt gates to the entry stubs', async () => {
    const m = await booted();
    const mem = m.memory;
    expect(m.lidtAddress).not.toBe(0);
    expect(mem.getUint16(m.lidtAddress, true)).toBe(256 * 8 - 1);
    const base = mem.getUint32(m.lidtAddress + 2, true);
    expect(base % 8).toBe(0);
    for (let v = 0; v < 256; v++) {
      const gate = base + v * 8;
      const offset = mem.getUint16(gate, true) | (mem.getUint16(gate + 6, true) << 16);
      expect(offset >>> 0, `vector ${v}`).toBe(TRAP_ENTRY_BASE + v * TRAP_ENTRY_STRIDE);
      expect(mem.getUint16(gate + 2, true), `vector ${v} selector`).toBe(0x08);
      expect(mem.getUint8(gate + 4)).toBe(0);
      // int 3 and int 0x2e (system services) may be raised from ring 3: DPL 3.
      expect(mem.getUint8(gate + 5), `vector ${v} type`).toBe(v === 3 || v === 0x2e ? 0xee : 0x8e);
    }
  });

  it('programs COM1, the PICs and the PIT', async () => {
    const m = await booted();
    // COM1: divisor 1 (115200), 8N1, FIFO on, its interrupts off.
    expect(m.uartDivisor).toEqual([1, 0]);
    expect(m.uartRegisters.get(3)).toBe(0x03);
    expect(m.uartRegisters.get(2)! & 0x01).toBe(1);
    expect(m.uartRegisters.get(1)).toBe(0);
    // PICs remapped, everything masked but IRQ 0.
    expect(m.picVectorBase).toEqual([0x30, 0x38]);
    expect(m.picMask).toEqual([0xfe, 0xff]);
    // PIT channel 0, mode 2, 100 Hz.
    expect(m.pitMode).toBe(2);
    expect(m.pitReload).toBe(11932);
  });

  it('keeps uptime from the PIT and acknowledges every tick', async () => {
    const m = await booted();
    const seconds = lines(m).map((l) => parseLogLine(l)!.seconds);
    for (let i = 1; i < seconds.length; i++) expect(seconds[i]).toBeGreaterThanOrEqual(seconds[i - 1]);
    expect(seconds[0]).toBe(0);
    // Every clock interrupt, delivered by the fake PIC or dispatched here, is acknowledged once.
    m.run(() => {
      for (let i = 0; i < 3; i++) m.exports.KiTrapDispatch(m.writeFrame({ vector: 0x30, eip: 0x80100000 }));
      throw new Halted(true);
    });
    expect(m.eoiCount[0]).toBe(m.ticksDelivered + 3);
    expect(m.eoiCount[1]).toBe(0);
  });

  it('shows the banner and the log on VGA text', async () => {
    const m = await booted();
    expect(m.vgaGraphics.get(6)).toBe(0x0e); // memory map select: 0xB8000
    const banner = m.screenRow(0);
    expect(banner.text).toContain('NT-style kernel 0.1 (wasm2x86) booting');
    expect(new Set(banner.attributes)).toEqual(new Set([0x1f]));
    const screen = m.screenText();
    expect(screen).toMatch(/\] ke: scheduler: /);
    expect(screen).toMatch(/\] mm: 32384 KiB usable/);
    // Rows 1-24 hold the end of the serial log, long lines wrapped at 80 columns (the top scrolls away).
    const logLines = m.serialText.split(/\r?\n/).filter((l) => l.length > 0);
    const wrapped = logLines.flatMap((l) => l.match(/.{1,80}/g)!);
    const rows = Array.from({ length: 24 }, (_, i) => m.screenRow(i + 1).text.trimEnd()).filter((t) => t.length > 0);
    expect(rows).toEqual(wrapped.slice(-rows.length).map((r) => r.trimEnd()));
    expect(m.screenRow(1).attributes[0]).toBe(0x07);
    expect(logLines[0]).toMatch(/^\[    0\.000000\] ke: NT-style kernel 0\.1 \(wasm2x86\) starting/);
  });

  it('scrolls the console under the banner', async () => {
    const m = await booted();
    // Each stray vector logs one line: enough to scroll the 24-row console.
    for (let i = 0; i < 30; i++) {
      m.run(() => { m.exports.KiTrapDispatch(m.writeFrame({ vector: 0x80, eip: 0x80100000 + i })); throw new Halted(true); });
    }
    const all = lines(m);
    expect(m.screenRow(0).text).toContain('NT-style kernel 0.1 (wasm2x86) booting');
    // Rows 1-23 hold the last 23 lines; row 24 is the fresh empty line.
    for (let r = 1; r <= 23; r++) expect(m.screenRow(r).text.trimEnd(), `row ${r}`).toBe(all[all.length - 24 + r]);
    expect(m.screenRow(24).text.trim()).toBe('');
    expect(m.screenRow(23).text).toContain('unexpected interrupt 0x80 at 0x8010001D');
  });

  it('falls back to mem_lower/mem_upper without a memory map', async () => {
    const m = await booted({ memLowerUpper: [639, 31744] });
    const text = lines(m).join('\n');
    expect(text).toContain('mm: 0x00000000-0x0009FBFF usable');
    expect(text).toContain('mm: 0x00100000-0x01FFFFFF usable');
    expect(text).toContain('mm: 32383 KiB usable in 2 ranges');
    expect(text).toContain('ke: command line ""');
  });

  it('bug-checks PHASE0_INITIALIZATION_FAILED without the multiboot magic', async () => {
    const m = await machine();
    m.writeBootInfo(BOOT);
    const end = m.run(() => m.exports.KiSystemStartup(0x12345678, MULTIBOOT_INFO));
    expect(end).toBeInstanceOf(Halted);
    const stop = stopBlock(lines(m));
    expect(stop.code).toBe(0x31);
    expect(stop.params).toEqual([1, 0x12345678, MULTIBOOT_INFO, 0]);
    expect(stop.name).toBe('PHASE0_INITIALIZATION_FAILED');
  });
});

describe('traps and bug checks', () => {
  it('a kernel page fault prints the frame and stops with 0x50', async () => {
    const m = await booted();
    const before = lines(m).length;
    m.cr2 = 0x80a00000;
    const frame = m.writeFrame({ vector: 14, errorCode: 0x2, eip: 0x80101234, eax: 0x11111111, edi: 0x77777777 });
    const end = m.run(() => m.exports.KiTrapDispatch(frame));
    expect(end).toBeInstanceOf(Halted);
    expect((end as Halted).interruptsOn).toBe(false);
    const out = linesAfter(m, before);
    const stop = stopBlock(out);
    expect(stop.code).toBe(0x50);
    expect(stop.params).toEqual([0x80a00000, 1, 0x80101234, 0]);
    expect(stop.name).toBe('PAGE_FAULT_IN_NONPAGED_AREA');
    for (const l of stop.before) expect(parseLogLine(l), l).not.toBeNull();
    const dump = stop.before.join('\n');
    expect(dump).toContain('ke: trap 0x0E (page fault) error 0x00000002 at 0x0008:0x80101234 (kernel)');
    expect(dump).toContain('eax=0x11111111');
    expect(dump).toContain('edi=0x77777777');
    expect(dump).toContain('esp=0x80090044'); // the frame address + 68: where the interrupted esp was
    expect(dump).toContain('cr2=0x80A00000 (write)');
    // The blue screen.
    const row = m.screenRow(1);
    expect(row.text).toContain('*** STOP: 0x00000050 (0x80A00000, 0x00000001, 0x80101234, 0x00000000)');
    expect(m.screenRow(2).text).toContain('PAGE_FAULT_IN_NONPAGED_AREA');
    for (let r = 0; r < 25; r++) expect(new Set(m.screenRow(r).attributes), `row ${r}`).toEqual(new Set([0x1f]));
  });

  it.each([
    [0, 0, 0x1e, 0xc0000094, 'KMODE_EXCEPTION_NOT_HANDLED'],
    [6, 0, 0x1e, 0xc000001d, 'KMODE_EXCEPTION_NOT_HANDLED'],
    [13, 0x18, 0x1e, 0xc0000005, 'KMODE_EXCEPTION_NOT_HANDLED'],
    [8, 0, 0x7f, 8, 'UNEXPECTED_KERNEL_MODE_TRAP'],
    [12, 0x10, 0x7f, 12, 'UNEXPECTED_KERNEL_MODE_TRAP'],
  ])('exception %i (error %i) stops with 0x%s', async (vector, errorCode, code, p1, name) => {
    const m = await booted();
    const before = lines(m).length;
    const end = m.run(() => m.exports.KiTrapDispatch(m.writeFrame({ vector, errorCode, eip: 0x80105678 })));
    expect(end).toBeInstanceOf(Halted);
    const stop = stopBlock(linesAfter(m, before));
    expect(stop.code).toBe(code);
    expect(stop.params[0]).toBe(p1);
    expect(stop.params).toEqual(code === 0x7f ? [vector, errorCode, 0x80105678, 0] : [p1, 0x80105678, errorCode, 0]);
    expect(stop.name).toBe(name);
  });

  it.each([
    [1, 0xc000001d], [2, 0xc0000094], [3, 0xc0000095], [4, 0xc0000005], [5, 0xc0000005],
    [6, 0xc0000005], [7, 0xc000001d], [8, 0xc00000fd], [9, 0xc0000090],
  ])('KiWasmTrap(%i) stops with 0x1E and status 0x%s', async (trapCode, status) => {
    const m = await booted();
    const before = lines(m).length;
    const end = m.run(() => m.exports.KiWasmTrap(trapCode, 0x1234));
    expect(end).toBeInstanceOf(Halted);
    expect((end as Halted).interruptsOn).toBe(false);
    const stop = stopBlock(linesAfter(m, before));
    expect(stop.code).toBe(0x1e);
    expect(stop.params).toEqual([status, 0x1234, trapCode, 0]);
    expect(stop.name).toBe('KMODE_EXCEPTION_NOT_HANDLED');
    expect(stop.before.join('\n')).toContain(`ke: wasm trap ${trapCode} at 0x00001234`);
  });

  it('a bug check during a bug check only halts', async () => {
    const m = await booted();
    expect(m.run(() => m.exports.KiWasmTrap(1, 0))).toBeInstanceOf(Halted);
    const count = m.serial.length;
    expect(m.run(() => m.exports.KiWasmTrap(2, 0))).toBeInstanceOf(Halted);
    // Only the second trap's log line (no second STOP block).
    expect(m.serialText.slice(count)).not.toContain('STOP');
  });

  it('masks an IRQ nobody connected, and ignores spurious IRQ 7', async () => {
    const m = await booted();
    const before = lines(m).length;
    const eoi = [...m.eoiCount];
    m.run(() => { m.exports.KiTrapDispatch(m.writeFrame({ vector: 0x31 })); throw new Halted(true); });
    expect(linesAfter(m, before).map((l) => parseLogLine(l)?.message)).toEqual(['unexpected IRQ 1, line masked']);
    expect(m.picMask[0] & 0x02).toBe(0x02);
    expect(m.eoiCount[0]).toBe(eoi[0] + 1);
    // IRQ 7 with its in-service bit clear is spurious: no log, no EOI.
    m.run(() => { m.exports.KiTrapDispatch(m.writeFrame({ vector: 0x37 })); throw new Halted(true); });
    expect(lines(m).length).toBe(before + 1);
    expect(m.eoiCount[0]).toBe(eoi[0] + 1);
    // Spurious IRQ 15: the master still gets its EOI (the cascade was real), the slave none.
    m.run(() => { m.exports.KiTrapDispatch(m.writeFrame({ vector: 0x3f })); throw new Halted(true); });
    expect(m.eoiCount).toEqual([eoi[0] + 2, eoi[1]]);
    // A vector past the PICs is logged and otherwise ignored.
    m.run(() => { m.exports.KiTrapDispatch(m.writeFrame({ vector: 0x80, eip: 0x80100010 })); throw new Halted(true); });
    expect(parseLogLine(lines(m).at(-1)!)?.message).toBe('unexpected interrupt 0x80 at 0x80100010');
  });

  it('AssemblyScript abort goes to KiAbort: message, location, then 0x1E', async () => {
    const m = new FakeMachine();
    const instance = await WebAssembly.instantiate(probeModule, { kernel: m.imports });
    m.exports = instance.exports as any;
    const end = m.run(() => (instance.exports as any).probe());
    expect(end).toBeInstanceOf(Halted);
    const stop = stopBlock(lines(m));
    const abortLine = parseLogLine(stop.before[stop.before.length - 1]);
    expect(abortLine?.message).toMatch(/^abort: probe failure at test\/kernel\/programs\/abort\.ts:(\d+):(\d+)$/);
    const [, line, column] = /:(\d+):(\d+)$/.exec(abortLine!.message)!;
    expect(stop.code).toBe(0x1e);
    expect(stop.params).toEqual([0xc0000420, 0, Number(line), Number(column)]);
    expect(stop.name).toBe('KMODE_EXCEPTION_NOT_HANDLED');
  });
});
