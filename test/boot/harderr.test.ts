// NtRaiseHardError from ring 3 (programs/harderr.ts): a hard error nobody
// handles is one log line and ResponseReturnToCaller; bad arguments get
// NT's statuses; STATUS_SYSTEM_PROCESS_TERMINATED with OptionShutdownSystem
// from a process with SeShutdownPrivilege enabled stops the system with
// STOP 0xC000021A, NT's parameters and the text Windows shows.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { boot, type BootResult } from '../../emulator/node/boot.ts';
import { msg, program } from './usermode.ts';

describe('hard errors from ring 3', () => {
  let r: BootResult;
  let out: string[] = [];
  let all: string[] = [];

  beforeAll(async () => {
    const { kernelImage } = await buildKernel({ bootModules: [{ name: 'harderr.exe', bytes: await program('harderr') }], write: false });
    r = await boot({ kernel: kernelImage, timeoutMs: 150000 });
    all = msg(r.lines);
    out = all.filter((l) => l.startsWith('harderr: ')).map((l) => l.slice(9));
  }, 300000);

  it('a hard error nobody handles: one log line with its parameters and message, ResponseReturnToCaller', () => {
    expect(out.slice(0, 6)).toEqual([
      'dll not found 0x00000000 response 0x00000000',
      'numbers 0x00000000 response 0x00000000',
      'no parameters 0x00000000 response 0x00000000',
      'yes or no 0x00000000 response 0x00000000',
      'ok, no wait 0x00000000 response 0x00000000',
      'cancel, try again, continue 0x00000000 response 0x00000000',
    ]);
    expect(all).toContainEqual(expect.stringMatching(
      /^ex: hard error 0xC0000135 from harderr\.exe \(pid \d+\), options 1, parameters "missing\.dll": no hard error port, ResponseReturnToCaller: \{Unable To Locate Component\} This application has failed to start because missing\.dll was not found\. Re-installing the application may fix this problem\.$/));
    expect(all).toContainEqual(expect.stringMatching(/^ex: hard error 0xC0000001 from harderr\.exe \(pid \d+\), options 1, parameters 0x00000011 0x00000022: no hard error port, ResponseReturnToCaller$/));
    expect(all).toContainEqual(expect.stringMatching(/^ex: hard error 0x40000000 from harderr\.exe \(pid \d+\), options 1, no parameters: no hard error port, ResponseReturnToCaller$/));
    for (const [status, options] of [['C0000022', 4], ['80000005', 7], ['C0000001', 8]]) {
      expect(all).toContainEqual(expect.stringMatching(new RegExp(`^ex: hard error 0x${status} from harderr\\.exe \\(pid \\d+\\), options ${options}, no parameters: no hard error port, ResponseReturnToCaller$`)));
    }
  });

  it('bad arguments and hostile pointers get NT\'s statuses, and no response', () => {
    expect(out.slice(6, 13)).toEqual([
      'six parameters 0xC00000F0 response 0x0000DEAD',
      'parameters without count 0xC00000F0 response 0x0000DEAD',
      'bad option 0xC00000F2 response 0x0000DEAD',
      'kernel response 0xC0000005 response 0x0000DEAD',
      'unmapped parameters 0xC0000005 response 0x0000DEAD',
      'kernel string 0xC0000005 response 0x0000DEAD',
      'kernel string buffer 0xC0000005 response 0x0000DEAD',
    ]);
  });

  it('OptionShutdownSystem needs SeShutdownPrivilege enabled; a success status does not stop', () => {
    expect(out.slice(13, 17)).toEqual([
      'shutdown without privilege 0xC0000061 response 0x0000DEAD',
      'open token 0x00000000',
      'enable shutdown privilege 0x00000000',
      'shutdown with a success status 0x00000000 response 0x00000000',
    ]);
  });

  it('STATUS_SYSTEM_PROCESS_TERMINATED with OptionShutdownSystem: STOP 0xC000021A with Windows\' text', () => {
    expect(out).not.toContain('still running after the shutdown hard error 0x00000000');
    expect(r.stop?.code).toBe(0xC000021A);
    expect(r.stop?.name).toBe('STATUS_SYSTEM_PROCESS_TERMINATED');
    // p1: the kernel's ANSI copy of the string parameter; p2: the status; p3, p4: the other parameters
    expect(r.stop?.params[0]).toBeGreaterThanOrEqual(0x80000000);
    expect(r.stop?.params.slice(1)).toEqual([0xC000003A, 0, 0]);
    expect(r.stop?.text).toEqual([
      '{Fatal System Error}',
      'The Session Manager Initialization system process terminated unexpectedly with a status of 0xC000003A (0x00000000 0x00000000).',
      'The system has been shut down.',
    ]);
  });
});
