// Memory manager boot tests: the page frame database and the pool, through the
// kernel's own self-test (command line `selftest`) in v86.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { boot } from '../../emulator/node/boot.ts';

let kernel: Uint8Array;
beforeAll(async () => { kernel = (await buildKernel({ selfTest: true })).kernelImage; }, 180000);

const msg = (lines: string[]) => lines.map((l) => l.replace(/^\[\s*\d+\.\d+\] /, ''));

describe('mm: page frames and pool', () => {
  it('manages the RAM above 8 MiB and reports it', async () => {
    for (const mb of [32, 64]) {
      const r = await boot({ kernel, memoryMB: mb, until: 'ke: idle loop', timeoutMs: 15000 });
      expect(r.reached).toBe(true);
      const pages = (mb - 8) * 256;
      expect(msg(r.lines)).toContain(`mm: page frame database: ${pages} pages (${pages >> 8} MiB) free from 0x00800000`);
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
