// Process races found in review, from ring 3 (programs/psended.ts): a
// thread cannot go into a process that has ended (its address space is
// gone: NtCreateThread refuses with STATUS_PROCESS_IS_TERMINATING, the
// ended process's TEB and stack are never built in the kernel's page
// directory), and ProcessAccessToken is refused (STATUS_UNSUCCESSFUL) once
// the process has run: this running process, a copy whose thread was
// resumed, an ended copy; accepted before (no thread, or one created
// suspended, as winlogon starts the user's shell). The virtual memory
// services refuse an ended process too (its region list is gone: a region
// reserved there stayed charged and leaked). Nothing is left behind: the
// pool in use after the process ends is what it was before.
import { describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { boot } from '../../emulator/node/boot.ts';
import { buildDisk } from '../../images/build.ts';
import { msg, program } from './usermode.ts';

const OK = '0x00000000', UNSUCCESSFUL = '0xC0000001', TERMINATING = '0xC000010A';

describe('process races', () => {
  it('NtCreateThread into an ended process is refused; ProcessAccessToken only before the process runs', async () => {
    const { kernelImage } = await buildKernel({ bootModules: [{ name: 'psended', bytes: await program('psended') }], write: false });
    const r = await boot({ kernel: kernelImage, disk: buildDisk({ sizeMB: 8 }), until: 'ke: idle loop', timeoutMs: 240000 });
    const lines = msg(r.lines);
    const text = lines.join('\n');
    expect(r.stop, text).toBeUndefined();
    expect(r.reached, text).toBe(true);
    const out = lines.filter((l) => l.startsWith('psended: ')).map((l) => l.slice(9));
    expect(out, text).toEqual([
      `open token ${OK}`,
      `enable SeAssignPrimaryTokenPrivilege ${OK}`,
      `copy ${OK}`,
      `token: a copy with no thread ${OK}`,
      `token: this process, running ${UNSUCCESSFUL}`,
      `a suspended thread in the copy ${OK}`,
      `token: the copy, its thread suspended ${OK}`,
      `resume it ${OK}`,
      `token: the copy, its thread resumed ${UNSUCCESSFUL}`,
      `end the copy ${OK}`,
      `wait for it ${OK}`,
      `thread: into the ended copy ${TERMINATING}`,
      `thread: into the ended copy, suspended ${TERMINATING}`,
      `token: the ended copy ${UNSUCCESSFUL}`,
      `reserve in the ended copy ${TERMINATING}`,
      `copy ${OK}`,
      `end the threadless copy ${OK}`,
      `wait for it ${OK}`,
      `thread: into the ended threadless copy ${TERMINATING}`,
      `copy ${OK}`,
      `thread: into a live copy ${OK}`,
      `end it ${OK}`,
      `wait for it ${OK}`,
      `done ${OK}`,
    ]);
    // The accepted token changes were logged; the refused threads left nothing behind.
    expect(lines.filter((l) => /^se: process \d+ has a new primary token/.test(l)).length).toBe(2);
    const m = /^ps: boot processes ended: 1; pool in use (\d+) bytes before them, (\d+) after$/.exec(lines.find((l) => l.startsWith('ps: boot processes ended')) ?? '');
    expect(m, text).not.toBeNull();
    expect(Number(m![2])).toBe(Number(m![1]));
  }, 300000);
});
