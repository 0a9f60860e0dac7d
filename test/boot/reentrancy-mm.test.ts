// Reentrancy of the mm, io and cm services (issue 17): four threads of one
// ring-3 process call NtQuerySection, NtQueryVirtualMemory, NtOpenKey +
// NtQueryValueKey and NtCreateFile + NtQueryInformationFile in a loop, each
// with inputs of its own (test/boot/programs/reentmm.ts): the memory
// manager's alone for 8 s of guest time (a loop that never blocks, so the
// clock preempts the workers inside the services), then all of them for 2 s.
// Every answer must be the caller's own. It runs on the chaos kernel
// (chaos=SEED: forced switches at pseudo-random function entries and loop
// heads, far more often than the clock's every 30 ms). On the product kernel
// before the fix a run had 3 wrong answers in 8 s (NtQuerySection basic
// information answered with another thread's STATUS_SECTION_NOT_IMAGE). Before the fix NtQuerySection
// built its answer and status in module-level blocks and NtQueryVirtualMemory
// kept the handle's status in a module-level variable: a thread preempted
// inside the service got another thread's section size, status or handle
// failure.
import { describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { boot } from '../../emulator/node/boot.ts';
import { buildDisk } from '../../images/build.ts';
import { msg, program } from './usermode.ts';

const SERVICES = ['NtQuerySection basic', 'NtQuerySection image', 'NtQueryVirtualMemory', 'NtQueryVirtualMemory bad handle',
  'NtOpenKey+NtQueryValueKey', 'NtCreateFile+NtQueryInformationFile'];

describe('reentrancy: mm, io and cm services from four threads at once', () => {
  it('every answer is the caller\'s own', async () => {
    const bootModules = [{ name: 'reentmm.exe', bytes: await program('reentmm') }];
    const { kernelImage } = await buildKernel({ bootModules, write: false, chaos: true });
    const r = await boot({ kernel: kernelImage, disk: buildDisk({ fat: 'fat16', sizeMB: 32 }), cmdline: 'chaos=20261207', until: 'ke: idle loop', timeoutMs: 400000 });
    expect(r.stop, r.log.slice(-2000)).toBeUndefined();
    const lines = msg(r.lines);
    const out = lines.filter((l) => l.startsWith('reentmm: ')).map((l) => l.slice(9));
    expect(out, lines.slice(-40).join('\n')).toContain('done');
    expect(out.filter((l) => l.includes('setup failed'))).toEqual([]);
    const report = out.join('\n');
    for (let w = 0; w < 4; w++) {
      for (const service of SERVICES) {
        const line = out.find((l) => l.startsWith(`worker ${w} ${service}: `));
        const m = line && /: calls (\d+) wrong (\d+)/.exec(line);
        expect(m, `worker ${w} ${service}\n${report}`).toBeTruthy();
        expect(Number(m![1]), report).toBeGreaterThanOrEqual(20); // each worker ran its loop many times
        expect(line, report).toMatch(/ wrong 0$/);                // and never got another's answer
      }
    }
    const seen = Number(/^interleavings (\d+)$/.exec(out.find((l) => l.startsWith('interleavings '))!)![1]);
    expect(seen).toBeGreaterThanOrEqual(50); // the clock switched between the workers many times mid-loop
    expect(lines).toContainEqual(expect.stringMatching(/\(reentmm\) exited with status 0x00000000$/));
    // The chaos kernel forced switches at pseudo-random points inside the kernel, many of them.
    const chaos = lines.map((l) => /^ke: chaos: (\d+) points: (\d+) forced switches/.exec(l)).filter(Boolean).at(-1);
    expect(chaos, 'no chaos count line').toBeTruthy();
    expect(Number(chaos![2])).toBeGreaterThan(1000);
  }, 460000);
});
