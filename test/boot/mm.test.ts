// Memory manager boot tests: the page frame database and the pool, through the
// kernel's own self-test (command line `selftest`) in v86.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { boot } from '../../emulator/node/boot.ts';

let kernel: Uint8Array;
beforeAll(async () => { kernel = (await buildKernel({ selfTest: true, write: false })).kernelImage; }, 180000);

const msg = (lines: string[]) => lines.map((l) => l.replace(/^\[\s*\d+\.\d+\] /, ''));

describe('mm: page frames and pool', () => {
  it('manages the RAM above 1 MiB but what the kernel image and its data take, and reports it', async () => {
    for (const mb of [32, 64]) {
      const r = await boot({ kernel, memoryMB: mb, until: 'ke: idle loop', timeoutMs: 15000 });
      expect(r.reached).toBe(true);
      const line = msg(r.lines).find((l) => l.startsWith('mm: page frame database: ')) ?? '';
      const m = /^mm: page frame database: (\d+) pages \((\d+) MiB\) free from (0x[0-9A-F]{8}); the kernel holds (\d+) KiB \(image to (0x[0-9A-F]{8}), data to (0x[0-9A-F]{8})\)$/.exec(line);
      expect(m, line).not.toBeNull();
      const [pages, mib, from, heldKiB, imageEnd, dataEnd] = [Number(m![1]), Number(m![2]), Number(m![3]), Number(m![4]), Number(m![5]), Number(m![6])];
      // The image (at 1 MiB, this self-test kernel with its .bss) ends before the static data at 4 MiB,
      // which ends before 8 MiB; the first free page is the one after the image.
      expect(imageEnd).toBeGreaterThan(kernel.length + 0x100000 - 1);
      expect(imageEnd).toBeLessThanOrEqual(0x400000);
      expect(dataEnd).toBeGreaterThan(0x400000);
      expect(dataEnd).toBeLessThan(0x800000);
      expect(from).toBe(imageEnd);
      expect(heldKiB * 1024).toBe(imageEnd - 0x100000 + dataEnd - 0x400000);
      // Everything from 1 MiB to the end of RAM is managed but the kernel's pages (and at most the
      // loader's command line and memory map: a page or two).
      const held = heldKiB / 4;
      expect(pages).toBeLessThanOrEqual((mb - 1) * 256 - held);
      expect(pages).toBeGreaterThanOrEqual((mb - 1) * 256 - held - 4);
      expect(mib).toBe(pages >> 8);
      expect(msg(r.lines)).toContain('mm: pool: 0 pages, 0 allocations, 0 bytes in use');
    }
  }, 40000);

  it('pool blocks never overlap and every page comes back', async () => {
    const r = await boot({ kernel, cmdline: 'selftest', until: 'ke: idle loop', timeoutMs: 15000 });
    expect(r.stop).toBeUndefined();
    const line = msg(r.lines).find((l) => l.startsWith('mm: self-test'));
    expect(line).toMatch(/^mm: self-test passed: 1000 pool operations, peak \d+ pages, all returned$/);
    expect(Number(/peak (\d+)/.exec(line!)![1])).toBeGreaterThan(2);
  }, 20000);

  it('a block freed twice bug-checks with BAD_POOL_CALLER', async () => {
    const r = await boot({ kernel, cmdline: 'selftest selftest-double-free', timeoutMs: 15000 });
    expect(r.stop?.code).toBe(0xC2);
    expect(r.log).toContain('BAD_POOL_CALLER');
    expect(r.log).toMatch(/\*\*\* STOP: 0x000000C2 \(0x00000007, 0x74736554,/); // 'Test'
  }, 20000);
});
