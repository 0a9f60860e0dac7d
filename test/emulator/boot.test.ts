import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { boot } from '../../emulator/node/boot.ts';
import { tinyKernel } from './tinykernel.ts';

const tmp = mkdtempSync(join(tmpdir(), 'boot-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const STOP_7F = '*** STOP: 0x0000007F (0x00000008, 0x00000000, 0x00000000, 0x00000000)\r\n';

describe('boot (v86, tiny multiboot kernels)', () => {
  it('(a) reaches a marker in the serial log', async () => {
    const lines: string[] = [];
    const kernel = tinyKernel((a) =>
      a.serial('[    0.000100] ke: hello\r\n[    0.000200] ke: idle loop\r\n').serial('[    0.000300] ke: after\r\n').spin(),
    );
    const r = await boot({ kernel, until: 'idle loop', timeoutMs: 5000, onLine: (l) => lines.push(l) });
    expect(r.reached).toBe(true);
    expect(r.reason).toBe('marker');
    expect(r.timedOut).toBe(false);
    expect(r.log).toContain('[    0.000200] ke: idle loop');
    expect(r.log).not.toContain('after'); // the run ends at the marker's line
    expect(r.lines).toEqual(['[    0.000100] ke: hello', '[    0.000200] ke: idle loop']);
    expect(lines).toEqual(r.lines);
    expect(r.instructions).toBeGreaterThan(0);
    expect(r.timedOut).toBe(false); // it ended on its own, long before the timeout (no wall-clock bound: timings are noise under load)
  });

  it('(a) a RegExp marker, a kernel given as a path, onByte', async () => {
    const path = join(tmp, 'k.bin');
    writeFileSync(path, tinyKernel((a) => a.serial('[    0.000001] smss: session 1 up\n').halt()));
    let bytes = 0;
    const r = await boot({ kernel: path, until: /session \d+ up/, timeoutMs: 5000, onByte: () => bytes++ });
    expect(r.reached).toBe(true);
    expect(bytes).toBe(r.log.length);
  });

  it('(b) port 0xF4 = 0 powers off with exit code 0', async () => {
    const r = await boot({ kernel: tinyKernel((a) => a.serial('bye\n').exit(0)), timeoutMs: 5000 });
    expect(r.exitCode).toBe(0);
    expect(r.reason).toBe('exit');
    expect(r.lines).toEqual(['bye']);
    expect(r.reached).toBe(false);
  });

  it('(b) port 0xF4 = 3 gives exit code 3 (8-bit and 32-bit writes)', async () => {
    const r8 = await boot({ kernel: tinyKernel((a) => a.exit8(3)), timeoutMs: 5000 });
    expect(r8.exitCode).toBe(3);
    const r32 = await boot({ kernel: tinyKernel((a) => a.exit(0xc000021a)), timeoutMs: 5000 });
    expect(r32.exitCode).toBe(0xc000021a);
  });

  it('(c) a STOP block is parsed, name line included', async () => {
    const kernel = tinyKernel((a) =>
      a.serial('[    0.000100] ke: oops\r\n' + STOP_7F + 'UNEXPECTED_KERNEL_MODE_TRAP\r\n').spin(),
    );
    const r = await boot({ kernel, until: 'never', timeoutMs: 5000 });
    expect(r.reason).toBe('stop');
    expect(r.stop).toEqual({ code: 0x7f, params: [8, 0, 0, 0], name: 'UNEXPECTED_KERNEL_MODE_TRAP' });
    expect(r.reached).toBe(false);
    expect(r.timedOut).toBe(false); // it ended on its own, long before the timeout (no wall-clock bound: timings are noise under load)
  });

  it('(c) a STOP line without a name ends ~200 ms later; STOP then cli;hlt ends at once', async () => {
    const lone = await boot({ kernel: tinyKernel((a) => a.serial(STOP_7F).spin()), timeoutMs: 5000 });
    expect(lone.reason).toBe('stop');
    expect(lone.stop?.code).toBe(0x7f);
    expect(lone.stop?.name).toBe('UNEXPECTED_KERNEL_MODE_TRAP'); // from the table
    const halted = await boot({
      kernel: tinyKernel((a) => a.serial('*** STOP: 0x0000021A (0x1, 0x2, 0x3, 0x4)\nMY_CHECK\n').halt()),
      timeoutMs: 5000,
    });
    expect(halted.stop).toEqual({ code: 0x21a, params: [1, 2, 3, 4], name: 'MY_CHECK' });
  });

  it('(d) a silent busy loop times out within the timeout', async () => {
    const t0 = performance.now();
    const r = await boot({ kernel: tinyKernel((a) => a.spin()), until: 'x', timeoutMs: 1000 });
    const elapsed = performance.now() - t0;
    expect(r.timedOut).toBe(true);
    expect(r.reason).toBe('timeout');
    expect(r.reached).toBe(false);
    expect(r.log).toBe('');
    expect(r.lines).toEqual([]);
    expect(r.instructions).toBeGreaterThan(0);
    expect(r.wallMs).toBeGreaterThanOrEqual(990);
    expect(elapsed).toBeLessThan(3000);
  });

  it('(e) cli; hlt ends the run at once', async () => {
    const r = await boot({ kernel: tinyKernel((a) => a.serial('halting').halt()), until: 'never', timeoutMs: 5000 });
    expect(r.halted).toBe(true);
    expect(r.reason).toBe('halt');
    expect(r.timedOut).toBe(false);
    expect(r.lines).toEqual(['halting']); // the unterminated rest is a line
    expect(r.timedOut).toBe(false); // it ended on its own, long before the timeout (no wall-clock bound: timings are noise under load)
  });

  it('(e) a halt right after an unterminated STOP or marker line counts as that', async () => {
    const stop = await boot({ kernel: tinyKernel((a) => a.serial(STOP_7F.trim()).halt()), timeoutMs: 5000 });
    expect(stop.reason).toBe('stop');
    expect(stop.halted).toBe(true);
    expect(stop.stop?.code).toBe(0x7f);
    const marker = await boot({ kernel: tinyKernel((a) => a.serial('ke: idle loop').halt()), until: 'idle', timeoutMs: 5000 });
    expect(marker.reason).toBe('marker');
    expect(marker.reached).toBe(true);
  });

  it('an emulator panic (#GP without an IDT) is reported as a crash', async () => {
    const r = await boot({ kernel: tinyKernel((a) => a.serial('hi\n').raw(0x0f, 0x0b) /* ud2 */), timeoutMs: 5000 });
    expect(r.reason).toBe('crash');
    expect(r.crash).toMatch(/RuntimeError/);
    expect(r.lines).toEqual(['hi']);
    // the process survives and can boot again
    const again = await boot({ kernel: tinyKernel((a) => a.exit(0)), timeoutMs: 5000 });
    expect(again.exitCode).toBe(0);
  });

  it('a throwing onLine callback is a crash, not an unhandled exception', async () => {
    const r = await boot({
      kernel: tinyKernel((a) => a.serial('one\n').spin()),
      timeoutMs: 5000,
      onLine: () => {
        throw new Error('boom');
      },
    });
    expect(r.reason).toBe('crash');
    expect(r.crash).toContain('boom');
  });

  it('reads the disk and saves the guest-modified image (input untouched)', async () => {
    const disk = new Uint8Array(4096);
    disk.set([0x44, 0x4b], 0); // "DK"
    const kernel = tinyKernel((a) =>
      a.ideReadSectorPrint2(0).serial('\n').ideWriteSector(1, 0x4241 /* "AB" */).serial('written\n').exit(0),
    );
    const saveDisk = join(tmp, 'saved.img');
    const r = await boot({ kernel, disk, saveDisk, timeoutMs: 5000 });
    expect(r.lines).toEqual(['DK', 'written']);
    expect(r.exitCode).toBe(0);
    const saved = readFileSync(saveDisk);
    expect(saved.length).toBe(4096);
    expect(saved.subarray(0, 2).toString('latin1')).toBe('DK');
    expect(saved.subarray(512, 1024).toString('latin1')).toBe('AB'.repeat(256));
    expect(saved[1024]).toBe(0);
    expect(disk[512]).toBe(0);
  });

  it('passes the multiboot command line and memory size', async () => {
    // the kernel prints the first byte of the command line: EBX -> info, [info+16] -> cmdline
    const kernel = tinyKernel((a) =>
      a
        .raw(0x8b, 0x73, 0x10) // mov esi, [ebx+16]
        .movDx(0x3f8)
        .raw(0x8a, 0x06) // mov al, [esi]
        .outDxAl()
        .exit(0),
    );
    const r = await boot({ kernel, cmdline: 'Zebra', memoryMB: 16, timeoutMs: 5000 });
    expect(r.log).toBe('Z');
    expect(r.exitCode).toBe(0);
  });
});
