// User-mode exceptions end to end (kernel/ke/except.ts, ntdll's except.ts
// and its x86 entries, smss's top-level filter). Two boots:
//
// 1. A boot module (programs/sehrun.ts) runs programs from \mingw one after
//    another and prints each exit status: seh.exe (MinGW: a vectored handler
//    and fs:[0] frames registered by hand catch an access violation, a divide
//    by zero, an int3, a raised exception and an illegal instruction with
//    RtlUnwind, each continued with a changed CONTEXT; NtContinue and
//    NtSetContextThread with hostile selectors and IOPL 3 stay in ring 3),
//    sehdie.exe (an unhandled access violation: the exit status is the code),
//    sehstack.exe three times (a stack the kernel cannot push the exception
//    frame on: the process ends, the kernel goes on), sehas.exe
//    (AssemblyScript: a vectored handler and a top-level filter).
// 2. smss with a BootExecute program (programs/sehsmss.ts) that starts a
//    thread inside smss at address 0: STOP 0xC000021A with NT's parameters
//    ("Unhandled Exception in Session Manager", the code, its address, the
//    CONTEXT), not CRITICAL_PROCESS_DIED.
//
// Without i686-w64-mingw32-gcc the MinGW programs' checks are skipped (the
// reason printed); the AssemblyScript and smss checks still run.

import { beforeAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { buildUserImage } from '../../scripts/pe/link.ts';
import { boot, type BootResult } from '../../emulator/node/boot.ts';
import { buildDisk } from '../../images/build.ts';
import { system32Files } from '../../images/system32.ts';
import { mingwPrograms } from '../mingw/build.ts';
import { msg, program } from './usermode.ts';

const built = mingwPrograms();
const missing = 'missing' in built ? built.missing : undefined;
const images = 'images' in built ? built.images : new Map<string, Uint8Array>();

function needMingw(ctx: { skip: () => void }): void {
  if (missing) {
    console.log(`skipped: ${missing}`);
    ctx.skip();
  }
}

describe('user-mode exceptions reach the program\'s own handlers', () => {
  let all: string[] = [];
  let r: BootResult;
  const of = (name: string) => all.filter((l) => l.startsWith(`${name}: `)).map((l) => l.slice(name.length + 2));

  beforeAll(async () => {
    const files = new Map<string, Uint8Array>(await system32Files());
    for (const [name, bytes] of images) if (name.startsWith('seh')) files.set(`\\mingw\\${name}`, bytes);
    files.set('\\mingw\\sehas.exe', (await buildUserImage('test/boot/programs/sehas.ts', { name: 'sehas.exe' })).bytes);
    const { kernelImage } = await buildKernel({ bootModules: [{ name: 'sehrun', bytes: await program('sehrun') }], write: false });
    r = await boot({ kernel: kernelImage, disk: buildDisk({ files }), until: 'ke: idle loop', timeoutMs: 300000 });
    all = msg(r.lines);
    if (process.env.SEH_LOG) console.log(all.join('\n'));
  }, 600000);

  it('the kernel finds KiUserExceptionDispatcher in ntdll.dll and never stops', () => {
    expect(all).toContainEqual(expect.stringMatching(/^ps: user-mode exceptions go to KiUserExceptionDispatcher 0x7C9[0-9A-F]{5}$/));
    expect(r.stop, all.join('\n')).toBeUndefined();
    expect(r.reached, all.join('\n')).toBe(true);
    expect(of('sehrun').at(-1)).toBe('done');
  });

  it('handled faults continue with the CONTEXT the handler changed; the vectored handler sees each first', (ctx) => {
    needMingw(ctx);
    expect(of('sehrun')).toContain('seh exit 0x00000000');
    expect(of('seh'), all.join('\n')).toEqual([
      'vectored handler added',
      'access violation code 0xC0000005 params 2 0x00000000 0x00000010',
      'resumed with eax 0x0005EC0A',
      'address is the faulting instruction: yes',
      'access violation order VF',
      'divide by zero code 0xC0000094 params 0',
      'resumed with eax 0x0000D1D0',
      'divide by zero order VF',
      'breakpoint at the int3: yes, address == Eip: yes',
      'after int3',
      'breakpoint order V',
      'raised code 0xE0531111 params 2 0x0000AAAA 0x0000BBBB',
      'RtlRaiseException returned, parameters 0x0000AAAA 0x0000BBBB',
      'raised order VF',
      'after the unwind the top frame is the outer one: yes',
      'unwind order VIOUW',
      // inner: the ud2 (flags 0), then its own handler's AV with EXCEPTION_NESTED_CALL (0x10); outer: the AV, flags 0
      'nested: inner saw 0xC000001D, then 0x00000010; outer saw 0xC0000005; seen 3',
      'nested order VV',
      'after NtContinue: cs 0x0000001B ss 0x00000023 ds 0x00000023 fs 0x0000003B iopl 0 if 1 tf 0',
      'cli after it code 0xC0000096 params 0',
      'after NtSetContextThread: cs 0x0000001B ss 0x00000023 ds 0x00000023 fs 0x0000003B iopl 0 if 1 tf 0',
      'cli after it code 0xC0000096 params 0',
      'NtGetContextThread 0x00000000 cs 0x0000001B ss 0x00000023 esp below ours on our stack: yes',
      'vectored handler removed: 1, again: 0',
    ]);
    // Each first chance went to user mode; none was a second chance.
    const pid = /^ps: process (\d+) \(seh\)/.exec(all.find((l) => /^ps: process \d+ \(seh\) exited/.test(l)) ?? '')?.[1];
    expect(pid).toBeDefined();
    const dispatched = all.filter((l) => new RegExp(`^ke: first-chance exception 0x[0-9A-F]{8} \\(.*\\) at 0x[0-9A-F]{8} in process ${pid}: to KiUserExceptionDispatcher$`).test(l));
    expect(dispatched.length).toBe(8); // av, divide, int3, ud2, ud2 and the AV in its handler, 2 x cli; the raise stays in user mode
    expect(all.filter((l) => l.startsWith(`ps: process ${pid} (seh): unhandled exception`))).toEqual([]);
  });

  it('an unhandled fault ends the process with the exception code as its exit status', (ctx) => {
    needMingw(ctx);
    expect(of('sehrun')).toContain('sehdie exit 0xC0000005');
    expect(of('sehdie')).toEqual(['writing to 0x00000040', 'vectored handler saw 0xC0000005 writing 0x00000040']);
    expect(all).toContainEqual(expect.stringMatching(/^ps: process \d+ \(sehdie\): unhandled exception 0xC0000005 \(access violation\) at 0x004[0-9A-F]{5}, address 0x00000040$/));
  });

  it('a stack the exception frame cannot go on ends the process with the code; the kernel goes on', (ctx) => {
    needMingw(ctx);
    expect(of('sehrun').filter((l) => l.startsWith('sehstack '))).toEqual(['sehstack exit 0xC000001D', 'sehstack exit 0xC000001D', 'sehstack exit 0xC000001D']);
    expect(of('sehstack')).toEqual(['stack pointer 0x00210000', 'stack pointer 0x80100000', expect.stringMatching(/^stack pointer 0x00401800$/)]);
    expect(all.filter((l) => /^ke: first-chance exception 0xC000001D \(illegal instruction\) at 0x004[0-9A-F]{5} in process \d+: the user stack cannot take the exception frame$/.test(l)).length).toBe(3);
    expect(all.filter((l) => /^ps: process \d+ \(sehstack\): unhandled exception 0xC000001D/.test(l)).length).toBe(3);
  });

  it('AssemblyScript: a vectored handler, then the top-level filter, which ends the process with the code', () => {
    expect(of('sehrun')).toContain('sehas exit 0xC0000005');
    expect(of('sehas')).toEqual([
      'handler added',
      'vectored: 0xC0000005 parameters 0x00000002 0x00000000 0x00000008',
      'top-level filter: 0xC0000005 context eip == address: yes',
    ]);
    // Ended by the filter's answer in user mode: no second chance in the kernel.
    expect(all.filter((l) => /^ps: process \d+ \(sehas\): unhandled exception/.test(l))).toEqual([]);
  });
});

const CCS = 'HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet';
const multiSz = (...s: string[]) => 'hex(7):' + [...Buffer.from(s.join('\0') + '\0\0', 'utf16le')].map((b) => b.toString(16).padStart(2, '0')).join(',');

describe('an exception inside smss stops the system with 0xC000021A', () => {
  let r: BootResult;
  let all: string[] = [];

  beforeAll(async () => {
    const files = await system32Files();
    files.set('\\Windows\\System32\\sehsmss.exe', (await buildUserImage('test/boot/programs/sehsmss.ts', { name: 'sehsmss.exe' })).bytes);
    const overlay = 'Windows Registry Editor Version 5.00\r\n\r\n'
      + `[${CCS}\\Control\\Session Manager]\r\n"BootExecute"=${multiSz('autocheck autochk *', 'async sehsmss')}\r\n\r\n`;
    const disk = buildDisk({ files, overlays: [{ text: overlay, fileName: 'seh-test.reg' }] });
    const { kernelImage } = await buildKernel({ write: false });
    r = await boot({ kernel: kernelImage, disk, timeoutMs: 300000 });
    all = msg(r.lines);
    if (process.env.SEH_LOG) console.log(all.join('\n'));
  }, 600000);

  it('the thread made inside smss faults at address 0 and smss\'s filter raises the hard error', () => {
    const sehsmss = all.filter((l) => l.startsWith('sehsmss: ')).map((l) => l.slice(9));
    expect(sehsmss.slice(1), all.join('\n')).toEqual(['open parent 0x00000000', 'stack in the parent 0x00000000', 'thread in the parent at address 0 0x00000000']);
    expect(all).toContainEqual(expect.stringMatching(/^ke: first-chance exception 0xC0000005 \(access violation\) at 0x00000000 in process \d+: to KiUserExceptionDispatcher$/));
    expect(all).toContainEqual('smss: exception: unhandled exception - Status == 0xC0000005 IP == 0x00000000, memory address 0x00000000 (read): the system is shut down');
  });

  it('STOP 0xC000021A ("Unhandled Exception in Session Manager", the code, its address, the context), not 0xEF', () => {
    expect(r.stop, all.join('\n')).toBeDefined();
    expect(r.stop!.code).toBe(0xC000021A);
    expect(r.stop!.params[1]).toBe(0xC0000005);
    expect(r.stop!.params[2]).toBe(0);                  // the exception address: the thread's start
    expect(r.stop!.params[3]).toBeGreaterThan(0x10000);  // the CONTEXT on the thread's stack, in smss
    expect(r.stop!.params[3]).toBeLessThan(0x80000000);
    expect(r.stop!.text?.join('\n')).toContain('The Unhandled Exception in Session Manager system process terminated unexpectedly with a status of 0xC0000005');
    expect(all.some((l) => l.includes('CRITICAL_PROCESS_DIED'))).toBe(false);
  });
});
