// Access tokens (kernel/se/) on real emulated hardware: a ring-3 program
// (programs/tokens.ts) opens its process token, adjusts privileges the way
// RtlAdjustPrivilege and smss do, tries what Windows refuses, and checks that
// the tokens of its children -- a copy of itself and a process from a PE
// image -- are copies of its own. Privilege LUIDs as in winnt.h; attributes
// 1 = enabled by default, 2 = enabled.

import { beforeAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { boot } from '../../emulator/node/boot.ts';
import { buildDisk } from '../../images/build.ts';
import { helloImage } from '../pe/tiny.ts';
import { msg, program } from './usermode.ts';

/** The privileges the System token (and so every boot process) has enabled, in LUID order. */
const SYSTEM_ENABLED = [4, 7, 11, 13, 14, 15, 16, 20, 21, 23, 29, 30, 33, 34, 35];

describe('access tokens from ring 3', () => {
  let all: string[] = [];
  let lines: string[] = [];

  beforeAll(async () => {
    const { kernelImage } = await buildKernel({ bootModules: [{ name: 'tokens.exe', bytes: await program('tokens') }], write: false });
    const disk = buildDisk({ files: new Map([['\\Images\\hello.exe', helloImage()]]) });
    const r = await boot({ kernel: kernelImage, disk, until: 'ke: idle loop', timeoutMs: 60000 });
    expect(r.stop).toBeUndefined();
    expect(r.reached).toBe(true);
    all = msg(r.lines);
    lines = all.filter((l) => l.startsWith('tokens: ')).map((l) => l.slice(8));
  }, 120000);

  /** Every wanted line, in this order (others may come between). */
  const inOrder = (want: string[]) => {
    let at = -1;
    for (const w of want) {
      const i = lines.indexOf(w, at + 1);
      expect(i, `"${w}" after line ${at} in:\n${lines.join('\n')}`).toBeGreaterThan(at);
      at = i;
    }
  };

  it('the System token: every privilege 2..35, the LocalSystem defaults enabled', () => {
    expect(all).toContain(`se: System token: 34 privileges, ${SYSTEM_ENABLED.length} enabled`);
  });

  it('one Token object per process, whatever the handles; access as asked', () => {
    inOrder([
      'open 0x00000000',
      'open query only 0x00000000',
      'open adjust only 0x00000000',
      'basic 0x00000000 access 0x00000028 handles 3',
      'query-only handle access 0x00000008',
      'type 0x00000000 Token',
      'open with MAXIMUM_ALLOWED 0x00000000',
      'maximum allowed access 0x000F01FF',
    ]);
  });

  it('NtAdjustPrivilegesToken: the previous state of what changed, not-all-assigned, buffer too small', () => {
    inOrder([
      'enable 15 0x00000000 length 4 previous none', // enabled by default: nothing changes
      'disable 15 0x00000000 length 16 previous 15=3',
      'enable 15 again 0x00000000 length 16 previous 15=1',
      'disable 15 again 0x00000000 length 16 previous 15=3',
      'enable 15, buffer too small 0xC0000023 length 16',
      'enable 15, buffer of 16 0x00000000 length 16 previous 15=1', // the failed call changed nothing
      'unknown LUID 99 and disable 15 0x00000106 length 16 previous 15=3', // the rest is applied
      'LUID 15 with a high part 0x00000106 length 4 previous none',
      'same LUID twice 0x00000106 length 16 previous 15=1', // NT counts matches per privilege of the token
      'empty NewState 0x00000106 length 4 previous none',
      'no entries 0x00000000 length 4 previous none',
      'no previous state 0x00000000',
      'enable 15 after that 0x00000000 length 16 previous 15=1',
    ]);
  });

  it('access rights on the token and the process handle', () => {
    inOrder([
      'query-only handle 0xC0000022 length 57005',
      'adjust-only handle with a previous state 0xC0000022 length 57005',
      'adjust-only handle without one 0x00000000',
      'enable 15 once more 0x00000000 length 16 previous 15=1',
      'bad token handle 0xC0000008 length 57005',
      'a process handle as the token 0xC0000024 length 57005',
      'open this process for terminate only 0x00000000',
      'its token 0xC0000022',
    ]);
  });

  it('hostile pointers and arguments get a status back and leave the token alone', () => {
    inOrder([
      'NewState in the kernel 0xC0000005 length 57005',
      'NewState unmapped 0xC0000005 length 57005',
      'NewState null 0xC000000D length 57005',
      '1000 entries 0xC000000D length 57005',
      'PreviousState unmapped 0xC0000005',
      'ReturnLength null 0xC0000005',
      'ReturnLength in the kernel 0xC0000005',
      'token handle pointer in the kernel 0xC0000005',
      'token handle pointer null 0xC0000005',
      '15 still enabled 0x00000000 length 4 previous none',
    ]);
  });

  it('NtOpenThreadToken: no impersonation, so STATUS_NO_TOKEN after the handle checks', () => {
    inOrder([
      'thread token 0xC000007C',
      'thread token as self 0xC000007C',
      'thread token, bad handle 0xC0000008',
      'thread token, a process handle 0xC0000024',
      'thread token, pointer in the kernel 0xC0000005',
    ]);
  });

  it('a copy of this process gets a copy of its token: changes there are not seen here', () => {
    const childEnabled = SYSTEM_ENABLED.filter((n) => n !== 20); // removed there; 23 enabled again
    inOrder([
      'disable 23 0x00000000 length 16 previous 23=3',
      'copy this process 0x00000000',
      'its thread 0x00000000',
      'child: open its token 0x00000000',
      'child: enable 23 0x00000000 length 16 previous 23=1',
      'child: remove 20 0x00000000 length 16 previous 20=3',
      'child: enable 20 0x00000106 length 4 previous none',
      `child: disable all, buffer too small 0xC0000023 length ${4 + 12 * childEnabled.length}`,
      `child: disable all 0x00000000 length ${4 + 12 * childEnabled.length} previous ${childEnabled.map((n) => `${n}=3`).join(' ')}`,
      'child: disable all again 0x00000000 length 4 previous none',
      'wait for it 0x00000000',
      'its exit status 0x0000000C',
      'enable 23 here 0x00000000 length 16 previous 23=1',
      'enable 20 here 0x00000000 length 4 previous none',
      'open the copy\'s token 0x00000000',
      'the copy\'s token: enable 20 and 15 0x00000106 length 16 previous 15=1',
    ]);
  });

  it('a process from an image gets a copy of its parent\'s token', () => {
    inOrder([
      'disable 30 0x00000000 length 16 previous 30=3',
      'process from an image 0x00000000',
      'open its token 0x00000000',
      'its token: enable 30 0x00000000 length 16 previous 30=1',
      'its token: remove 15 0x00000000 length 16 previous 15=3',
      'here: enable 30 and 15 0x00000000 length 16 previous 30=1',
      'image process thread 0x00000000',
      'wait for the image process 0x00000000',
      'image process exit status 0x00001234',
      'close 0x00000000',
      'done 0x00000000',
    ]);
    expect(all).toContain('hello: Hello from a PE image');
  });

  it('tokens go with their processes: no pool leaked, the program ended cleanly', () => {
    expect(all).toContainEqual(expect.stringMatching(/^ps: process \d+ \(tokens\) exited with status 0x00000000$/));
    expect(all).toContainEqual(expect.stringMatching(/^ps: boot processes ended: 1; pool in use (\d+) bytes before them, \1 after$/));
  });
});
