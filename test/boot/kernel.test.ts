// Boots the real kernel: build it once (AssemblyScript -> wasm -> wasm2x86 ->
// multiboot image), run it in v86 and, when installed, in QEMU, and check the
// serial log against DESIGN.md section 5 and the boot order of kernel/main.ts.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { boot, type BootResult } from '../../emulator/node/boot.ts';

/** `[    s.uuuuuu] component: message`: seconds at least 5 wide, 6 decimals, a lowercase component. */
const LOG_LINE = /^\[( *\d+)\.(\d{6})\] ([a-z][a-z0-9]*): (.*)$/;
const FIRST_LINE = 'ke: NT-style kernel 0.1 (wasm2x86) starting';
const IDLE = 'ke: idle loop';
const POWER_OFF = 'ke: power off (poweroff on the command line)';

/** The boot order of kernel/main.ts, as the lines any machine prints (timestamps dropped). */
const MILESTONES = [
  FIRST_LINE,
  'hal: COM1 16550 at 0x3F8, 115200 8N1, FIFO on',
  'hal: VGA text 80x25 at 0xB8000',
  'hal: PIC remapped to 0x30/0x38',
  'hal: PIT channel 0 at 100 Hz',
  'ke: interrupts enabled',
  IDLE,
];

interface LogLine { seconds: number; component: string; message: string; text: string }

function parseLine(line: string): LogLine {
  const m = LOG_LINE.exec(line);
  if (!m) throw new Error(`not a log line: ${JSON.stringify(line)}`);
  // the seconds are right-aligned in at least 5 columns
  expect(m[1].length).toBeGreaterThanOrEqual(5);
  return { seconds: Number(m[1]) + Number(m[2]) / 1e6, component: m[3], message: m[4], text: `${m[3]}: ${m[4]}` };
}

/** Log lines without their timestamps, in order. */
const texts = (lines: string[]) => lines.filter((l) => l.length > 0).map((l) => parseLine(l).text);

/** Expects `want` to appear in `got` in the same order (other lines may come between). */
function expectInOrder(got: string[], want: string[]): void {
  let at = -1;
  for (const w of want) {
    const i = got.indexOf(w, at + 1);
    expect(i, `"${w}" after line ${at} in:\n${got.join('\n')}`).toBeGreaterThan(at);
    at = i;
  }
}

interface MemoryRange { first: number; last: number; type: string }
/** The `mm:` map lines and the total line. */
function memoryReport(lines: string[]): { ranges: MemoryRange[]; usableKiB: number; rangeCount: number } {
  const ranges: MemoryRange[] = [];
  let usableKiB = -1, rangeCount = -1;
  for (const t of texts(lines)) {
    let m = /^mm: 0x([0-9A-F]{8})-0x([0-9A-F]{8}) (.+)$/.exec(t);
    if (m) { ranges.push({ first: parseInt(m[1], 16), last: parseInt(m[2], 16), type: m[3] }); continue; }
    m = /^mm: (\d+) KiB usable in (\d+) ranges?$/.exec(t);
    if (m) { usableKiB = Number(m[1]); rangeCount = Number(m[2]); }
  }
  return { ranges, usableKiB, rangeCount };
}

let kernelImage: Uint8Array;
const tmp = mkdtempSync(join(tmpdir(), 'kernel-boot-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

beforeAll(async () => {
  ({ kernelImage } = await buildKernel());
});

describe('the kernel in v86', () => {
  let r32: BootResult;
  let r64: BootResult;
  beforeAll(async () => {
    r32 = await boot({ kernel: kernelImage, until: IDLE, timeoutMs: 20000, memoryMB: 32 });
    r64 = await boot({ kernel: kernelImage, until: IDLE, timeoutMs: 20000, memoryMB: 64 });
  });

  it('reaches the idle loop without a bug check', () => {
    for (const r of [r32, r64]) {
      expect(r.crash).toBeUndefined();
      expect(r.stop).toBeUndefined();
      expect(r.reason).toBe('marker');
      expect(r.reached).toBe(true);
      expect(r.lines[r.lines.length - 1]).toMatch(/\] ke: idle loop$/);
    }
  });

  it('every line has the DESIGN.md format, the first one names the kernel', () => {
    const lines = r32.lines.filter((l) => l.length > 0);
    expect(lines.length).toBeGreaterThanOrEqual(MILESTONES.length);
    const parsed = lines.map(parseLine);
    expect(parsed[0].text).toBe(FIRST_LINE);
    // uptime never runs backwards
    for (let i = 1; i < parsed.length; i++) expect(parsed[i].seconds).toBeGreaterThanOrEqual(parsed[i - 1].seconds);
    // nothing but log lines on COM1: lines end in CR LF or LF, no stray bytes
    // (the run stops at the marker, possibly between its CR and LF)
    expect(r32.log.replace(/\r?\n/g, '').replace(/\r$/, '')).toBe(lines.join(''));
  });

  it('the boot steps come in the order of kernel/main.ts', () => {
    const t = texts(r32.lines);
    expectInOrder(t, MILESTONES);
    expect(t.some((l) => /^ke: IDT loaded \(256 vectors\) at 0x[0-9A-F]{8}$/.test(l))).toBe(true);
    expect(t).toContain('ke: command line ""');
    expect(t.some((l) => /^ke: multiboot information at 0x[0-9A-F]{8}, flags 0x[0-9A-F]{8}$/.test(l))).toBe(true);
    expect(t.some((l) => /^ke: CPU \S+ family \d+ model \d+ stepping \d+$/.test(l))).toBe(true);
  });

  it('the memory map follows the RAM size', () => {
    for (const [r, mb] of [[r32, 32], [r64, 64]] as const) {
      const { ranges, usableKiB, rangeCount } = memoryReport(r.lines);
      const usable = ranges.filter((x) => x.type === 'usable');
      expect(usable.length).toBe(rangeCount);
      // the total is the sum of the usable ranges
      expect(usableKiB).toBe(usable.reduce((s, x) => s + (x.last - x.first + 1) / 1024, 0));
      // the highest usable byte is the last byte of RAM
      expect(Math.max(...usable.map((x) => x.last))).toBe(mb * 1024 * 1024 - 1);
      // conventional memory below 640 KiB plus extended memory, minus at most the 384 KiB hole
      expect(usableKiB).toBeLessThanOrEqual(mb * 1024);
      expect(usableKiB).toBeGreaterThanOrEqual(mb * 1024 - 384);
      // the mm lines come after interrupts are on and before the idle loop
      const t = texts(r.lines);
      const firstMm = t.findIndex((l) => l.startsWith('mm: '));
      expect(firstMm).toBeGreaterThan(t.indexOf('ke: interrupts enabled'));
      expect(firstMm).toBeLessThan(t.indexOf(IDLE));
    }
    // twice the RAM: 32 MiB more usable, the same map otherwise
    const a = memoryReport(r32.lines), b = memoryReport(r64.lines);
    expect(b.usableKiB - a.usableKiB).toBe(32 * 1024);
    expect(b.ranges.length).toBe(a.ranges.length);
  });

  it('with `poweroff` the guest leaves through port 0xF4', async () => {
    const r = await boot({ kernel: kernelImage, cmdline: 'poweroff', timeoutMs: 20000 });
    expect(r.crash).toBeUndefined();
    expect(r.reason).toBe('exit');
    expect(r.exitCode).toBeDefined();
    expect(r.exitCode).toBe(0);
    const t = texts(r.lines);
    expect(t).toContain('ke: command line "poweroff"');
    expectInOrder(t, [...MILESTONES, POWER_OFF]);
    expect(t[t.length - 1]).toBe(POWER_OFF);
  });
});

function haveTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).status === 0;
}

describe('the kernel in QEMU', () => {
  const qemu = 'qemu-system-i386';
  it('boots to the same milestones and exits through isa-debug-exit', async (ctx) => {
    if (!haveTool(qemu)) {
      console.log(`skipped: ${qemu} not installed`);
      ctx.skip();
      return;
    }
    const image = join(tmp, 'ntoskrnl.bin');
    writeFileSync(image, kernelImage);
    const q = spawnSync(qemu, [
      '-kernel', image, '-serial', 'stdio', '-display', 'none', '-append', 'poweroff',
      '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04', '-no-reboot', '-m', '64',
    ], { encoding: 'latin1', timeout: 20000 });
    expect(q.error, String(q.error)).toBeUndefined();
    expect(q.signal).toBeNull();
    // isa-debug-exit makes QEMU exit with (value << 1) | 1; the kernel writes 0
    expect(q.status).toBe((0 << 1) | 1);

    const lines = q.stdout.split(/\r?\n/).filter((l) => l.length > 0);
    const t = texts(lines);
    expect(t[0]).toBe(FIRST_LINE);
    expectInOrder(t, [...MILESTONES, POWER_OFF]);
    // the machine-independent lines are the same as under v86
    const v86 = await boot({ kernel: kernelImage, cmdline: 'poweroff', timeoutMs: 20000 });
    const common = texts(v86.lines).filter((l) => MILESTONES.includes(l) || l === POWER_OFF || l.startsWith('ke: IDT loaded'));
    expectInOrder(t, common);
    // QEMU's own memory map is consistent with its total
    const { ranges, usableKiB, rangeCount } = memoryReport(lines);
    const usable = ranges.filter((x) => x.type === 'usable');
    expect(usable.length).toBe(rangeCount);
    expect(usableKiB).toBe(usable.reduce((s, x) => s + Math.floor((x.last - x.first + 1) / 1024), 0));
    expect(usableKiB).toBeLessThanOrEqual(64 * 1024);
    expect(usableKiB).toBeGreaterThan(60 * 1024);
  });
});
