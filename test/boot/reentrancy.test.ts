// Reentrancy (issue 17: "no service keeps per-call state in module-level
// memory"): ring-3 threads of equal priority run the same object manager
// services at once, each with inputs of its own (test/boot/programs/obrace.ts),
// and every answer must be the caller's own. Besides, every service must
// leave the thread's scratch arena as it found it (ke/syscall.ts stops the
// system otherwise: run() fails on any STOP).
//
// What the test catches, tried once each: NtQuerySymbolicLinkObject with its
// captured UNICODE_STRING in a module-level block instead of the arena gave
// 6 wrong answers in 6,000 iterations (1,500 per worker, 150 switches);
// a KeFreeScratch skipped on NtDuplicateObject's failure path stopped the
// system with 0x7F (10, the service, 0, 8). The object manager's own
// out-parameter slots, before they moved to the arena, passed: Ob's lock
// keeps interrupts off and nothing under it waits, so they were not shared
// in practice.
import { describe, expect, it } from 'vitest';
import { run } from './usermode.ts';

describe('reentrancy: services run by several threads at once', () => {
  it('Ob services (link query, duplicate, query object, open and query directory) and the performance counter answer each thread its own', async () => {
    const lines = await run([['obrace.exe', 'obrace']], 400000);
    const out = lines.filter((l) => l.startsWith('obrace: ')).map((l) => l.slice(8));
    expect(out, lines.slice(-40).join('\n')).toContain('directory 0x00000000');
    expect(out.filter((l) => /^(link|dir|event|create failed) /.test(l))).toEqual([]);
    expect(out).toContain('wait 0x00000000');
    const workers = out.map((l) => /^worker (\d) iterations (\d+) wrong (\d+) switches (\d+)/.exec(l)).filter((m) => m);
    expect(workers.length, out.join('\n')).toBe(4);
    for (const m of workers) {
      expect(Number(m![2]), m![0]).toBe(3000);   // every iteration ran
      expect(Number(m![3]), out.join('\n')).toBe(0); // and every answer was the worker's own
    }
    const total = /^total iterations (\d+) wrong (\d+) switches (\d+)$/.exec(out.find((l) => l.startsWith('total ')) ?? '');
    expect(total, out.join('\n')).toBeTruthy();
    // The workers did interleave: another one ran between two iterations of a worker many times.
    expect(Number(total![3])).toBeGreaterThanOrEqual(40);
    expect(lines).toContainEqual(expect.stringMatching(/\(obrace\) exited with status 0x00000000$/));
  }, 460000);
});
