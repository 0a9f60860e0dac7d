// Object manager boot tests, in v86: the namespace ObInitSystem builds (its
// log line lists the root directory as the namespace holds it) and the
// kernel's own self-test of the object manager (command line `selftest`,
// kernel/ob/selftest.ts), which exercises the Nt* services and Ob routines
// and checks the pool afterwards.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { boot } from '../../emulator/node/boot.ts';

let kernel: Uint8Array;
beforeAll(async () => { kernel = (await buildKernel({ selfTest: true, write: false })).kernelImage; }, 180000);

const msg = (lines: string[]) => lines.map((l) => l.replace(/^\[\s*\d+\.\d+\] /, ''));

/**
 * The self-test made 382 checks when this was written, in 12 parts of 11 to
 * 83 checks each (kernel/ob/selftest.ts runs them). A floor of 375 fails when
 * any part is dropped from the runner or stops counting (382 - 11 = 371),
 * and leaves a little room to rework single checks.
 */
const CHECKS_FLOOR = 375;

/** The summary ObInitSystem logs, counted from the directories: \ObjectTypes has Type, Directory, SymbolicLink. */
const NAMESPACE_LINE = 'ob: namespace: 6 entries in \\, 3 types in \\ObjectTypes';

describe('ob: object manager', () => {
  it('builds the namespace in phase 0, after the pool and before the scheduler', async () => {
    const r = await boot({ kernel, until: 'ke: idle loop', timeoutMs: 15000 });
    expect(r.reached).toBe(true);
    expect(r.stop).toBeUndefined();
    const t = msg(r.lines);
    const at = t.indexOf(NAMESPACE_LINE);
    expect(at, t.join('\n')).toBeGreaterThan(t.findIndex((l) => l.startsWith('mm: pool: ')));
    expect(at).toBeLessThan(t.findIndex((l) => l.startsWith('ke: scheduler: ')));
    // One console row: the VGA log scrolls by no more than one line for it.
    expect(r.lines.find((l) => l.endsWith(NAMESPACE_LINE))!.length).toBeLessThanOrEqual(80);
    expect(t.filter((l) => l.startsWith('ob: '))).toEqual([NAMESPACE_LINE]); // no self-test without `selftest`
  }, 20000);

  it('passes its self-test, right after building the namespace', async () => {
    const r = await boot({ kernel, cmdline: 'selftest', until: 'ke: idle loop', timeoutMs: 30000 });
    expect(r.reached).toBe(true);
    expect(r.stop).toBeUndefined();
    const t = msg(r.lines);
    const results = t.filter((l) => l.startsWith('ob: self-test'));
    expect(results, t.join('\n')).toHaveLength(1);
    const m = /^ob: self-test passed: (\d+) checks$/.exec(results[0]);
    expect(m, results[0]).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(CHECKS_FLOOR);
    expect(t[t.indexOf(results[0]) - 1]).toBe(NAMESPACE_LINE);
  }, 40000);
});
