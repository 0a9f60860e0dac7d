// Sessions (kernel/ps/pssession.ts, kernel/mm/session.ts, ex/sysinfo.ts):
// session ids from ring 3 (programs/sessions.ts: a process the kernel starts,
// as it starts smss, and copies of it), SystemSessionCreate/Detach with their
// checks, per-session directories, sessions ending with their last process;
// and session space itself through the self-test kernel (two sessions'
// pages differ, a shared frame is the same in both, every page comes back).
import { beforeAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { boot, type BootResult } from '../../emulator/node/boot.ts';
import { msg, program } from './usermode.ts';

describe('sessions from ring 3', () => {
  let r: BootResult;
  let all: string[] = [];
  const said = (who: string) => all.filter((l) => l.startsWith(`sessions: ${who}`)).map((l) => l.slice(10));

  beforeAll(async () => {
    const { kernelImage } = await buildKernel({ bootModules: [{ name: 'sessions.exe', bytes: await program('sessions') }], write: false });
    r = await boot({ kernel: kernelImage, until: 'ke: idle loop', timeoutMs: 150000 });
    all = msg(r.lines);
  }, 300000);

  it('runs to its end without a bug check', () => {
    expect(r.stop).toBeUndefined();
    expect(r.reached).toBe(true);
  });

  it('a process the kernel starts is in session 0, as System is, everywhere it is reported', () => {
    expect(said('P: session').filter((l) => / peb /.test(l))).toEqual(['P: session 0 peb 0 listed 0 System listed 0']);
    expect(said('Q: session')).toEqual(['Q: session 0']);
  });

  it('SystemSessionCreate and Detach: length, SeLoadDriverPrivilege, pointers, class, session 0', () => {
    const out = all.filter((l) => l.startsWith('sessions: ') && !/^sessions: [PQRS]:/.test(l)).map((l) => l.slice(10));
    expect(out).toEqual([
      'open token 0x00000000',
      'create without SeLoadDriverPrivilege 0xC0000061',
      'detach without it 0xC0000061',
      'create, short buffer 0xC0000004',
      'create, kernel buffer 0xC0000005',
      'unknown class 0xC0000003',
      'detach from session 0 0xC000001A',
    ]);
  });

  it('the creator moves into the new session, with its directories; a second create is refused', () => {
    expect(said('P:')).toEqual(expect.arrayContaining([
      'P: create 0x00000000 id 1',
      'P: now in 1 peb 1 listed 1 Q still in 0',
      'P: create again 0xC0000021 id 57005',
      'P: BaseNamedObjects 0x00000000',
      'P: Windows 0x00000000',
      'P: DosDevices 0x00000000',
    ]));
    expect(all).toContainEqual(expect.stringMatching(/^ps: session 1 created by process \d+ \(sessions\.exe\): \\Sessions\\1$/));
  });

  it("a new process takes its creator's session, not its parent's", () => {
    const q = /^ps: process (\d+) created as a copy of process (\d+)$/.exec(all.find((l) => / created as a copy of /.test(l))!)!;
    expect(said('R:')).toEqual([`R: session 1 peb 1 listed 1 parent ${q[1]}`]); // Q's pid, P made it
    expect(all).toContain(`ps: process ${Number(q[1]) + 4} created as a copy of process ${q[1]}`);
    expect(said('P: R ended')).toEqual(['P: R ended 0x00000000']);
  });

  it('session 2: made by another process, lives while a process is in it, its directories go with it', () => {
    expect(said('Q:')).toEqual([
      'Q: session 0',
      'Q: create 0x00000000 id 2',
      'Q: now in 2',
      'Q: its Windows directory 0x00000000',
      'Q: detach 0x00000000',
      'Q: after detach 0',
      'Q: with S still there, Windows 0x00000000',
    ]);
    expect(said('S:')).toEqual(['S: session 2']);
    expect(said('P:')).toEqual(expect.arrayContaining([
      'P: Q ended 0x00000000',
      'P: a process left in session 2 1',
      'P: S ended 0x00000000',
      'P: session 2\'s Windows after S 0xC000003A', // STATUS_OBJECT_PATH_NOT_FOUND: \\Sessions\\2 is gone
      'P: \\Sessions\\2 after S 0xC0000034',
    ]));
    // It ended after S, not when Q detached.
    const detached = all.findIndex((l) => /^ps: process \d+ \(sessions\.exe\) detached from session 2$/.test(l));
    const ended = all.findIndex((l) => /^ps: session 2 ended: \d+ pages? of session space freed$/.test(l));
    expect(detached).toBeGreaterThan(-1);
    expect(ended).toBeGreaterThan(detached);
    const sExited = all.slice(detached, ended).filter((l) => /^ps: process \d+ \(sessions\) exited with status 0x00000000$/.test(l));
    expect(sExited.length).toBe(2); // Q, then S
  });

  it('detach: another id is refused; the last process leaving ends the session; ids are reused', () => {
    expect(said('P:')).toEqual(expect.arrayContaining([
      'P: detach from another session 0xC000000D',
      'P: detach 0x00000000',
      'P: after detach 0 peb 0',
      "P: session 1's Windows after detach 0xC000003A",
      'P: create after detach 0x00000000 id 1',
    ]));
    expect(said('P: X')).toEqual([
      'P: X in 1',
      'P: X to session 99 0xC000000D',
      'P: X to session 0 without SeTcbPrivilege 0xC0000061',
      'P: X to session 0 0x00000000',
      'P: X now in 0 listed 0, P still in 1',
    ]);
    const ends = all.filter((l) => /^ps: session 1 ended: /.test(l));
    expect(ends.length).toBe(2); // at the detach, and when P ends in its second session 1
    const last = all.findIndex((l) => l === 'sessions: P: ends in it 0x00000000');
    expect(all.slice(last).some((l) => /^ps: session 1 ended: /.test(l))).toBe(true);
  });
});

describe('session space (self-test kernel)', () => {
  it('two sessions have their own pages at the same address, share a frame, and give every page back', async () => {
    const { kernelImage } = await buildKernel({ selfTest: true, write: false });
    const r = await boot({ kernel: kernelImage, cmdline: 'selftest', until: 'ke: idle loop', timeoutMs: 60000 });
    expect(r.stop).toBeUndefined();
    const lines = msg(r.lines);
    expect(lines.filter((l) => l.includes('session self-test'))).toEqual([expect.stringMatching(/^mm: session self-test passed: \d+ checks$/)]);
    expect(Number(/passed: (\d+)/.exec(lines.find((l) => l.includes('session self-test passed'))!)![1])).toBeGreaterThanOrEqual(24);
    // its two sessions ended, and the boot's real sessions start again at 1
    expect(lines).toContain('ps: session 0: session space 0xBF000000-0xBFFFFFFF');
    expect(lines.filter((l) => /^ps: session [12] ended: \d+ pages? of session space freed$/.test(l)).length).toBe(2);
  }, 300000);
});
