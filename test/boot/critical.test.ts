// What smss's start needs from Ps, from ring 3 (programs/critthread.ts): the
// parent of a process the kernel starts is the System process (4), as
// smss's is on Windows; critical threads (ThreadBreakOnTermination) and the
// privileges NT asks for; ProcessBasePriority moving the threads with it;
// and a critical thread that ends stopping the system with
// CRITICAL_OBJECT_TERMINATION (6 = a thread, the thread, its image name).
import { beforeAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { boot, type BootResult } from '../../emulator/node/boot.ts';
import { msg, program } from './usermode.ts';

describe('critical threads, base priority and the parent process', () => {
  let r: BootResult;
  let out: string[] = [];
  let all: string[] = [];

  beforeAll(async () => {
    const { kernelImage } = await buildKernel({ bootModules: [{ name: 'critthread.exe', bytes: await program('critthread') }], write: false });
    r = await boot({ kernel: kernelImage, timeoutMs: 150000 });
    all = msg(r.lines);
    out = all.filter((l) => l.startsWith('critthread: ')).map((l) => l.slice(12));
  }, 300000);

  it('a process the kernel starts has the System process (pid 4) as its parent', () => {
    expect(out[0]).toBe('basic 0x00000000');
    expect(out[1]).toMatch(/^pid \d+ parent 4$/);
  });

  it('ThreadBreakOnTermination: set, queried, cleared; hostile lengths and pointers', () => {
    expect(out.slice(2, 11)).toEqual([
      'thread critical at first 0x00000000 value 0',
      'set thread critical 0x00000000',
      'thread critical now 0x00000000 value 1',
      'clear thread critical 0x00000000',
      'thread critical cleared 0x00000000 value 0',
      'thread critical, short buffer 0xC0000004',
      'thread critical, kernel buffer 0xC0000005',
      'query, kernel buffer 0xC0000005',
      'query, bad handle 0xC0000008',
    ]);
    expect(all).toContainEqual(expect.stringMatching(/^ps: thread \d+ is critical: its end stops the system$/));
    expect(all).toContainEqual(expect.stringMatching(/^ps: thread \d+ is no longer critical$/));
  });

  it('critical flags need SeDebugPrivilege; raising the base priority needs SeIncreaseBasePriorityPrivilege', () => {
    const at = out.indexOf('open token 0x00000000');
    expect(out.slice(at + 1, at + 20)).toEqual([
      'disable 20 0x00000000',
      'process critical without SeDebugPrivilege 0xC0000061',
      'thread critical without SeDebugPrivilege 0xC0000061',
      'enable 20 0x00000000',
      'at first process 8 thread base 8 priority 8',
      'base priority 11 0x00000000',
      'after 11 process 11 thread base 11 priority 11',
      'base priority 9 0x00000000',
      'after 9 process 9 thread base 9 priority 9',
      'disable 14 0x00000000',
      'raise to 13 without the privilege 0xC0000061',
      'lower to 8 without it 0x00000000',
      'after 8 process 8 thread base 8 priority 8',
      'base priority 0 0xC000000D',
      'critical again 0x00000000',
      'ending the critical thread 0x00000000',
    ]);
  });

  it('a critical thread that ends stops the system with CRITICAL_OBJECT_TERMINATION', () => {
    expect(out).not.toContain('still running 0x00000000');
    expect(all).toContainEqual(expect.stringMatching(/^ps: critical thread \d+ \(in critthread\) exited with status 0x00001234$/));
    expect(r.stop?.code).toBe(0xF4);
    expect(r.stop?.name).toBe('CRITICAL_OBJECT_TERMINATION');
    expect(r.stop?.params[0]).toBe(6);
    expect(r.stop?.params[1]).toBeGreaterThanOrEqual(0x80000000);
    expect(r.stop?.params[2]).toBeGreaterThanOrEqual(0x80000000);
  });
});
