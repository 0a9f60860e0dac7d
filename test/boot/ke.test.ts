// Threads, scheduling and dispatcher objects: the kernel's own self-test on
// the phase 1 thread (command line `selftest`), in v86.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { boot } from '../../emulator/node/boot.ts';

let kernel: Uint8Array;
beforeAll(async () => { kernel = (await buildKernel({ selfTest: true, write: false })).kernelImage; }, 180000);

const msg = (lines: string[]) => lines.map((l) => l.replace(/^\[\s*\d+\.\d+\] /, ''));

describe('ke: threads, scheduler, waits', () => {
  it('boots onto the idle thread and runs phase 1 on a system thread', async () => {
    const r = await boot({ kernel, until: 'ke: idle loop', timeoutMs: 15000 });
    expect(r.reached).toBe(true);
    const lines = msg(r.lines);
    const sched = lines.findIndex((l) => l.startsWith('ke: scheduler: 32 priorities'));
    expect(sched).toBeGreaterThan(0);
    expect(sched).toBeLessThan(lines.indexOf('ke: idle loop'));
  }, 20000);

  it('powers off only for the whole word poweroff on the command line', async () => {
    const r = await boot({ kernel, cmdline: 'nopoweroff poweroff=1', until: 'ke: idle loop', timeoutMs: 15000 });
    expect(r.reached).toBe(true);
    expect(r.exitCode).toBeUndefined();
    expect(r.log).not.toContain('power off');
  }, 20000);

  it('the product kernel carries no self-tests: `selftest` on its command line runs none', async () => {
    const product = (await buildKernel({ write: false })).kernelImage;
    expect(product.length).toBeLessThan(kernel.length);
    const r = await boot({ kernel: product, cmdline: 'selftest', until: 'ke: idle loop', timeoutMs: 15000 });
    expect(r.reached).toBe(true);
    expect(msg(r.lines).filter((l) => l.includes('self-test'))).toEqual([]);
  }, 240000);

  it('preemption, events, WaitAll, timeouts, abandoned mutants, semaphores, timers, no leaks', async () => {
    const r = await boot({ kernel, cmdline: 'selftest', until: 'ke: idle loop', timeoutMs: 20000 });
    expect(r.stop).toBeUndefined();
    const lines = msg(r.lines);
    expect(lines.filter((l) => l.includes('FAILED'))).toEqual([]);
    const line = lines.find((l) => l.startsWith('ke: self-test'));
    expect(line).toMatch(/^ke: self-test passed: \d+ checks, \d+ context switches$/);
    expect(Number(/passed: (\d+)/.exec(line!)![1])).toBeGreaterThanOrEqual(40);
  }, 30000);
});
