// smss part 2 (SMSS.md step 4h, sections 5-7) on the emulated machine: the
// real smss.exe with stand-ins for csrss.exe, wininit.exe and winlogon.exe
// (programs/smsession.ts: a minimal Windows subsystem that connects to
// \SmApiPort with SB_CONNECTION_INFO, and initial commands that stay up),
// and the same program as a test driver run from BootExecute (async) that
// waits for the sessions, lists the processes, asks \SmSsWinStationApiPort
// for a session, ends processes by pid.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { boot } from '../../emulator/node/boot.ts';
import { buildDisk } from '../../images/build.ts';
import { buildSystem32 } from '../../images/system32.ts';
import { buildUserImage } from '../../scripts/pe/link.ts';
import { msg } from './usermode.ts';

const SM = 'HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Session Manager';
const hexBytes = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(',');
const multi = (list: string[]) => `hex(7):${hexBytes(new Uint8Array(Buffer.from(list.map((s) => `${s}\0`).join('') + '\0', 'utf16le')))}`;
const expand = (s: string) => `hex(2):${hexBytes(new Uint8Array(Buffer.from(`${s}\0`, 'utf16le')))}`;

let kernel: Uint8Array;
let system32: Map<string, Uint8Array>;
const standIns = new Map<string, Uint8Array>();
beforeAll(async () => {
  kernel = (await buildKernel({ write: false })).kernelImage;
  system32 = await buildSystem32();
  for (const name of ['csrss.exe', 'wininit.exe', 'winlogon.exe', 'smsession.exe']) {
    standIns.set(name, (await buildUserImage('test/boot/programs/smsession.ts', { name })).bytes);
  }
}, 600000);

/** Boots with the stand-ins and `driver` (smsession's actions, run async from BootExecute) until `until`. */
async function run(driver: string, until: string, overlay = '', timeoutMs = 240000, realCsrss = false, without: string[] = []) {
  const files = new Map<string, Uint8Array>([...system32].map(([n, b]) => [`\\Windows\\System32\\${n}`, b]));
  for (const [n, b] of standIns) if (!(realCsrss && n === 'csrss.exe')) files.set(`\\Windows\\System32\\${n}`, b);
  for (const n of without) files.delete(`\\Windows\\System32\\${n}`);
  const reg = `[${SM}]\n"BootExecute"=${multi(['autocheck autochk *', `async smsession ${driver}`])}\n${overlay}`;
  const disk = buildDisk({ files, overlays: [{ text: `Windows Registry Editor Version 5.00\n\n${reg}\n`, fileName: 'sessions-test.reg' }] });
  const r = await boot({ kernel, disk, until, timeoutMs });
  return { ...r, lines: msg(r.lines) };
}
const find = (lines: string[], re: RegExp) => lines.findIndex((l) => re.test(l));

describe('sessions 0 and 1 at boot', () => {
  let r: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    r = await run('await 1 tree winstation', 'smsession: done', `[${SM}\\SubSystems]\n"Windows"=${expand('%SystemRoot%\\system32\\csrss.exe ObjectDirectory=\\Windows SharedSection=1024,3072,512 Windows=On SubSystemType=Windows')}`);
  }, 600000);

  it('csrss gets the Windows value, expanded, as its whole command line', () => {
    if (process.env.SESSIONS_DUMP) console.log(r.lines.join('\n'));
    expect(r.stop).toBeUndefined();
    const lines = r.lines.filter((l) => l.startsWith('csrss: command line '));
    expect(lines).toHaveLength(3); // sessions 0, 1 and 2
    for (const l of lines) expect(l).toBe('csrss: command line C:\\Windows\\system32\\csrss.exe ObjectDirectory=\\Windows SharedSection=1024,3072,512 Windows=On SubSystemType=Windows');
  });

  it('each initial command starts only after its session\'s csrss connected and smss connected back', () => {
    const c0 = find(r.lines, /^smss: SM API: session 0: the Windows subsystem \(process \d+\) connected; smss connected back to \\Windows\\SbApiPort/);
    const c1 = find(r.lines, /^smss: SM API: session 1: the Windows subsystem \(process \d+\) connected; smss connected back to /);
    const wininit = find(r.lines, /^wininit: started in session/);
    const winlogon = find(r.lines, /^winlogon: started in session/);
    expect(c0).toBeGreaterThanOrEqual(0);
    expect(c1).toBeGreaterThan(c0);
    expect(wininit).toBeGreaterThan(c0);
    expect(winlogon).toBeGreaterThan(c1);
    expect(wininit).toBeLessThan(c1);
    // The SB connection reached the subsystem's own port.
    expect(r.lines.filter((l) => /^csrss: SbApiPort: connection from process \d+ 0x00000000$/.test(l))).toHaveLength(3); // sessions 0, 1 and 2
    expect(find(r.lines, /^smss: session 1: csrss \(process \d+\) and winlogon \(process \d+\) started$/)).toBeGreaterThan(c1);
    expect(find(r.lines, /^smss: waiting on session 1's csrss and winlogon: /)).toBeGreaterThan(winlogon);
  });

  it('the process tree: one smss.exe (child of System), csrss and wininit/winlogon children of the exited session copies', () => {
    const procs = r.lines.filter((l) => l.startsWith('smsession: process ')).map((l) => {
      const m = /^smsession: process (\S+) pid (\d+) parent (\d+) session (\d+)$/.exec(l)!;
      return { name: m[1], pid: +m[2], parent: +m[3], session: +m[4] };
    });
    const smss = procs.filter((p) => p.name === 'smss.exe');
    expect(smss).toHaveLength(1);
    expect(smss[0].parent).toBe(4);
    const csrss = procs.filter((p) => p.name === 'csrss.exe');
    const wininit = procs.filter((p) => p.name === 'wininit.exe');
    const winlogon = procs.filter((p) => p.name === 'winlogon.exe');
    expect(csrss).toHaveLength(2);
    expect(wininit).toHaveLength(1);
    expect(winlogon).toHaveLength(1);
    // The copies that started them are gone; each pair shares its copy as parent, a different one per session.
    const copies = r.lines.map((l) => /^smss: session (\d): smss\.exe 0000000\d \(process (\d+)\)$/.exec(l)).filter((m) => m && +m[1] < 2).map((m) => +m![2]);
    expect(copies).toHaveLength(2);
    expect(procs.find((p) => copies.includes(p.pid))).toBeUndefined();
    expect(csrss[0].parent).toBe(copies[0]);
    expect(wininit[0].parent).toBe(copies[0]);
    expect(csrss[1].parent).toBe(copies[1]);
    expect(winlogon[0].parent).toBe(copies[1]);
    for (const p of [...smss, csrss[0], ...wininit]) expect(p.session).toBe(0);
    // Session 1's pair is in session 1 once the kernel makes sessions (SystemSessionCreate); until then smss says it is not.
    if (!r.lines.some((l) => /^smss: session 1: the kernel makes no sessions yet/.test(l))) for (const p of [csrss[1], ...winlogon]) expect(p.session).toBe(1);
  });

  it('\\SmSsWinStationApiPort makes session 2 on request, with its own csrss and winlogon, while session 1 runs', () => {
    const m = /^smsession: winstation 0x00000000 return 0x00000000 session (\d+) csrss (\d+) winlogon (\d+)$/.exec(r.lines.find((l) => l.startsWith('smsession: winstation 0x')) ?? '');
    expect(m).not.toBeNull();
    const [session, csrss, winlogon] = [+m![1], +m![2], +m![3]];
    expect(session).toBe(2);
    expect(r.lines).toContain(`smss: session 2: csrss (process ${csrss}) and winlogon (process ${winlogon}) started`);
    expect(find(r.lines, new RegExp(`^smss: SM API: session 2: the Windows subsystem \\(process ${csrss}\\) connected; smss connected back to `))).toBeGreaterThan(0);
    expect(find(r.lines, new RegExp(`^smss: session 2: made on request of process \\d+: csrss \\(process ${csrss}\\), winlogon \\(process ${winlogon}\\)$`))).toBeGreaterThan(0);
    // Session 1's pair is still what smss waits on: no stop, and an unknown request is refused.
    expect(r.stop).toBeUndefined();
    expect(r.lines).toContain('smsession: winstation api 7 0x00000000 return 0xC0000002');
  });
});

describe('the death of session 1\'s csrss or winlogon, ended by pid from another process', () => {
  for (const [name, k, status, what] of [['winlogon.exe', 1, 0xC0000123, 'Windows Logon Process'], ['csrss.exe', 2, 0xC0DE0042, 'Windows SubSystem']] as const) {
    it(`${name}: STOP 0xC000021A naming "${what}" with its exit status`, async () => {
      const hex = status.toString(16).toUpperCase().padStart(8, '0');
      const r = await run(`await 1 kill ${name} ${k} ${hex} sleep 100000`, 'smsession: done');
      expect(r.lines.find((l) => l.startsWith(`smsession: kill ${name} `))).toMatch(/ 0x00000000$/);
      expect(r.stop?.code).toBe(0xC000021A);
      expect(r.stop?.params.slice(1)).toEqual([status, 0, 0]);
      expect(r.stop?.text?.[1]).toBe(`The ${what} system process terminated unexpectedly with a status of 0x${hex} (0x00000000 0x00000000).`);
      expect(find(r.lines, new RegExp(`^smss: session 1: ${name.slice(0, -4)} \\(process \\d+\\) ended with status 0x${hex}: ${what} terminated$`))).toBeGreaterThan(0);
    }, 600000);
  }
});

describe('the death of session 1\'s real csrss.exe (images/system32/csrss), ended by pid from another process', () => {
  it('STOP 0xC000021A naming "Windows SubSystem" with the status it was ended with', async () => {
    const r = await run('await 1 kill csrss.exe 2 C0DE0043 sleep 100000', 'smsession: done', '', 240000, true);
    expect(r.lines.find((l) => l.startsWith('smsession: kill csrss.exe '))).toMatch(/ 0x00000000$/);
    // It was the real one: it had made session 1's ports before it was ended.
    expect(find(r.lines, /^csrss: session 1: ApiPort \\Sessions\\1\\Windows\\ApiPort ready/)).toBeGreaterThan(0);
    expect(r.stop?.code).toBe(0xC000021A);
    expect(r.stop?.params.slice(1)).toEqual([0xC0DE0043, 0, 0]);
    expect(r.stop?.text?.[1]).toBe('The Windows SubSystem system process terminated unexpectedly with a status of 0xC0DE0043 (0x00000000 0x00000000).');
  }, 600000);
});

describe('smss\'s critical flag', () => {
  // smss is ended after the kernel's first 5 s (guest time), when its end is no longer SESSION5_INITIALIZATION_FAILED.
  it('cleared from another process (with its main thread\'s): new sessions are refused and smss can end without CRITICAL_PROCESS_DIED', async () => {
    const r = await run('await 1 uncriticalthread uncritical winstation sleep 6000 killsmss sleep 3000', 'smsession: done');
    expect(r.lines.find((l) => l.startsWith('smsession: uncriticalthread smss '))).toMatch(/ 0x00000000$/);
    expect(r.stop).toBeUndefined();
    expect(r.lines.find((l) => l.startsWith('smsession: uncritical smss '))).toMatch(/ 0x00000000$/);
    expect(r.lines.find((l) => l.startsWith('smsession: winstation 0x'))).toMatch(/^smsession: winstation 0x00000000 return 0xC0000022 session 0 /);
    expect(find(r.lines, /^smss: WinStation API: request from process \d+ refused: smss is no longer a critical process$/)).toBeGreaterThan(0);
    expect(r.lines.find((l) => l.startsWith('smsession: killsmss smss '))).toMatch(/ 0x00000000$/);
    expect(find(r.lines, /^ps: process 8 \(smss\) exited with status 0x00001234$/)).toBeGreaterThan(0);
  }, 600000);

  it('still set (its main thread\'s cleared): ending smss stops the system with CRITICAL_PROCESS_DIED (0xEF)', async () => {
    const r = await run('await 1 uncriticalthread killsmss sleep 100000', 'smsession: done');
    expect(r.lines.find((l) => l.startsWith('smsession: uncriticalthread smss '))).toMatch(/ 0x00000000$/);
    expect(r.stop?.code).toBe(0xEF);
  }, 600000);
});

describe('session 0 with the real csrss.exe (images/system32/csrss)', () => {
  it('csrss gets the default Windows value, connects as the Windows subsystem, smss connects back, then wininit starts', async () => {
    expect(system32.has('csrss.exe')).toBe(true);
    const r = await run('tree', 'smss: waiting', '', 240000, true);
    expect(r.stop, r.lines.join('\n')).toBeUndefined();
    const csrssLine = r.lines.find((l) => /^ps: process \d+ \(csrss\.exe\) created .* parent \d+, session 0$/.test(l))!;
    const pid = /process (\d+)/.exec(csrssLine)![1];
    const windows = 'C:\\Windows\\system32\\csrss.exe ObjectDirectory=\\Windows SharedSection=1024,3072,512 Windows=On SubSystemType=Windows ServerDll=basesrv,1 ServerDll=winsrv:UserServerDllInitialization,3 ServerDll=winsrv:ConServerDllInitialization,2 ProfileControl=Off MaxRequestThreads=16';
    expect(r.lines).toContain(`smss: session 0: Windows: ${windows} (process ${pid}), waiting for it to connect`);
    // Windows XP's own value: csrss takes every part of it.
    expect(r.lines).toContain('csrss: session 0: command line: 9 parts taken, 0 skipped: ObjectDirectory=\\Windows SharedSection=1024,3072,512 Windows=On ServerDll=basesrv (1), winsrv (3), winsrv (2) ProfileControl=Off MaxRequestThreads=16');
    const ready = find(r.lines, /^csrss: session 0: ApiPort \\Windows\\ApiPort ready, SbApiPort \\Windows\\SbApiPort/);
    const back = r.lines.indexOf(`smss: SM API: session 0: the Windows subsystem (process ${pid}) connected; smss connected back to \\Windows\\SbApiPort`);
    const sb = find(r.lines, /^csrss: session 0: SB API: connection from process 8 accepted$/);
    const wininit = find(r.lines, /^wininit: started in session 0/);
    expect(ready).toBeGreaterThan(0);
    expect(sb).toBeGreaterThan(ready);
    expect(back).toBeGreaterThan(ready);
    expect(wininit).toBeGreaterThan(back);
  }, 600000);
});

describe('a program of the boot that is not on the disk', () => {
  it('no winlogon.exe: session 1\'s initial command fails, which is fatal (0xC000021A, "Session Manager Initialization", STATUS_OBJECT_NAME_NOT_FOUND)', async () => {
    const r = await run('tree', 'never', '', 240000, false, ['winlogon.exe']);
    expect(r.lines).toContain('smss: session 1: initial command winlogon.exe not found - Status == 0xC0000034');
    expect(find(r.lines, /^smss: session 1: fatal, status 0xC0000034/)).toBeGreaterThan(0);
    expect(r.stop?.code).toBe(0xC000021A);
    expect(r.stop?.params.slice(1)).toEqual([0xC0000034, 0, 0]);
    expect(r.stop?.text?.[1]).toBe('The Session Manager Initialization system process terminated unexpectedly with a status of 0xC0000034 (0x00000000 0x00000000).');
  }, 600000);
});
