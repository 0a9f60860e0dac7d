// The logon side in one boot (images/system32/{wininit,services,lsass,
// eventlog,winlogon,nsh}), started by smss as on every boot (session 0:
// wininit; session 1: winlogon), with test services added to the registry
// and a test program that talks to lsass (started from nsh after the first logon). What is checked: wininit starts services and lsass; services starts
// the auto-start own-process services in ServiceGroupOrder's order and logs
// what it skips and what fails; lsass answers logons against the SAM hive
// as NT does; winlogon shows its logon screen, refuses wrong logons, starts
// the Shell on a right one, and comes back to the screen at the log-off;
// the event log service records all of it in SysEvent.log on the disk.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ntHash } from '../../images/registry/md4.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { buildUserImage } from '../../scripts/pe/link.ts';
import { boot } from '../../emulator/node/boot.ts';
import { buildDisk, openDisk } from '../../images/build.ts';
import { system32Files } from '../../images/system32.ts';
import { msg } from './usermode.ts';
import { logOn, standardMachine } from './helpers.ts';

const multiSz = (...s: string[]) => 'hex(7):' + [...Buffer.from(s.join('\0') + '\0\0', 'utf16le')].map((b) => b.toString(16).padStart(2, '0')).join(',');
const CCS = 'HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet';
const service = (name: string, values: Record<string, string>) =>
  `[${CCS}\\Services\\${name}]\r\n` + Object.entries(values).map(([k, v]) => `"${k}"=${v}`).join('\r\n') + '\r\n\r\n';
const OVERLAY = 'Windows Registry Editor Version 5.00\r\n\r\n'
  + `[${CCS}\\Control\\Session Manager]\r\n"BootExecute"=${multiSz('autocheck autochk *')}\r\n\r\n`
  // Key order (by name): AProbe, Driver, EventLog, Manual, Missing, Shared, ZProbe. Start order: ZProbe (System
  // Reserved, the first group), EventLog (Event Log), then the ungrouped and unlisted ones in key order.
  + service('ZProbe', { Type: 'dword:00000010', Start: 'dword:00000002', Group: '"System Reserved"', ImagePath: '"C:\\\\Windows\\\\System32\\\\svcprobe.exe ZProbe"' })
  + service('AProbe', { Type: 'dword:00000010', Start: 'dword:00000002', Group: '"No Such Group"', ImagePath: '"svcprobe.exe AProbe"' })
  + service('Manual', { Type: 'dword:00000010', Start: 'dword:00000003', ImagePath: '"svcprobe.exe Manual"' })
  + service('Missing', { Type: 'dword:00000010', Start: 'dword:00000002', ImagePath: '"C:\\\\Windows\\\\System32\\\\nothere.exe"' })
  + service('Shared', { Type: 'dword:00000020', Start: 'dword:00000002', ImagePath: '"svcprobe.exe Shared"' })
  + service('Driver', { Type: 'dword:00000001', Start: 'dword:00000002', ImagePath: '"System32\\\\drivers\\\\x.sys"' });

const W = 'winlogon: session 1: ';
/** What is typed on COM1, each after the line that asks for it. */
const INPUT = [
  { after: `${W}user name:`, text: 'Administrator\r' }, { after: `${W}password:`, text: 'wrong\r' },
  { after: `${W}user name:`, text: 'nobody\r' }, { after: `${W}password:`, text: 'password\r' },
  { after: `${W}user name:`, text: 'administrator\r' }, { after: `${W}password:`, text: 'password\r' },
  // The probe of lsass's API runs from the shell once the boot has settled, then the log-off.
  { after: 'nsh: session 1: prompt', text: 'start lsaprobe.exe\r' }, { after: 'lsaprobe: done', text: 'logoff\r' },
  { after: `${W}user name:`, text: 'ADMINISTRATOR\r' }, { after: `${W}password:`, text: 'password\r' },
];

let lines: string[] = [];
let after: Uint8Array;
const of = (component: string) => lines.filter((l) => l.startsWith(`${component}: `)).map((l) => l.slice(component.length + 2));

beforeAll(async () => {
  const files = await system32Files();
  files.set('\\Windows\\System32\\lsaprobe.exe', (await buildUserImage('test/boot/programs/lsaprobe.ts', { name: 'lsaprobe.exe' })).bytes);
  files.set('\\Windows\\System32\\svcprobe.exe', (await buildUserImage('test/boot/programs/svcprobe.ts', { name: 'svcprobe.exe' })).bytes);
  const disk = buildDisk({ files, overlays: [{ text: OVERLAY, fileName: 'logon-test.reg' }] });
  const { kernelImage } = await buildKernel({ write: false });
  // The run ends when both the last logon and lsaprobe are done.
  const ends = ['eventlog: recorded audit-success Security 528: ADMINISTRATOR', 'lsaprobe: done'];
  const seen = new Set<string>();
  const done = new AbortController();
  const r = await boot({
    kernel: kernelImage, disk, input: INPUT, timeoutMs: 240000, signal: done.signal,
    onLine: (line) => {
      for (const end of ends) if (line.includes(end)) seen.add(end);
      if (seen.size === ends.length) done.abort();
    },
    onDiskDone: (image) => { after = image; },
  });
  lines = msg(r.lines);
  if (process.env.LOGON_TEST_LOG) writeFileSync(process.env.LOGON_TEST_LOG, r.lines.join('\n'));
  expect(r.stop, lines.join('\n')).toBeUndefined();
  expect([...seen].sort(), lines.join('\n')).toEqual([...ends].sort());
}, 600000);

describe('wininit, services and the event log service', () => {
  it('wininit starts services.exe and lsass.exe, critical', () => {
    expect(of('wininit')[0]).toMatch(/^session 0, process \d+, critical$/);
    expect(of('wininit')[1]).toMatch(/^started services\.exe \(process \d+\) and lsass\.exe \(process \d+\); waiting on them$/);
  });

  it('services starts auto-start own-process services in ServiceGroupOrder order and logs what it skips', () => {
    const s = of('services');
    expect(s[0]).toMatch(/^process \d+: 7 services in the registry, 6 auto-start, 9 groups in ServiceGroupOrder$/);
    const steps = s.slice(1, 8).map((l) => l.replace(/process \d+/g, 'process N'));
    expect(steps).toEqual([
      'started ZProbe (ZProbe, group System Reserved): process N',
      'started EventLog (Event Log, group Event Log): process N',
      'started AProbe (AProbe, group No Such Group): process N',
      'skipped Driver (Driver, no group): a driver, not a service process',
      'cannot start Missing (Missing, no group): C:\\Windows\\System32\\nothere.exe - Status == 0xC0000034',
      'skipped Shared (Shared, no group): type 0x00000020 (shared process: no host here)',
      '3 of 6 auto-start services started',
    ]);
    // Each probe saw the command line it was started with (its ImagePath), and its end was logged with its status.
    expect(of('svcprobe').sort()).toEqual(['started as C:\\Windows\\System32\\svcprobe.exe ZProbe', 'started as svcprobe.exe AProbe']);
    expect(s.filter((l) => l.startsWith('service ')).map((l) => l.replace(/process \d+/, 'process N')).sort())
      .toEqual(['service AProbe (process N) ended with status 0x00005E5E', 'service ZProbe (process N) ended with status 0x00005E5E']);
    expect(lines.some((l) => l.includes('Manual'))).toBe(false);
  });

  it('the event log service records its start, the logons, the failures and the log-off in SysEvent.log', () => {
    const text = new TextDecoder().decode(openDisk(after).readPath('\\Windows\\System32\\config\\SysEvent.log'));
    const entries = text.split('\r\n').filter(Boolean).map((l) => l.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d /, ''));
    expect(text.split('\r\n').filter(Boolean).every((l) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d /.test(l))).toBe(true);
    expect(entries).toEqual([
      'information EventLog 6005: The Event log service was started.',
      'audit-failure Security 529: logon failure for Administrator in session 1: 0xC000006D',
      'audit-failure Security 529: logon failure for nobody in session 1: 0xC000006D',
      'audit-success Security 528: administrator logged on in session 1',
      'audit-success Security 538: administrator logged off in session 1',
      'audit-success Security 528: ADMINISTRATOR logged on in session 1',
    ]);
    expect(of('eventlog').filter((l) => l.startsWith('recorded ')).length).toBe(6);
  });
});

describe('lsass', () => {
  it('serves \\LsaAuthenticationPort and sets its event, with the SAM read', () => {
    expect(of('lsass')[0]).toMatch(/^process \d+, critical; SAM: 3 accounts; \\LsaAuthenticationPort ready$/);
    expect(of('lsass')[1]).toBe('\\SECURITY\\LSA_AUTHENTICATION_INITIALIZED set');
  });

  it('answers logons as NT does: success, STATUS_LOGON_FAILURE with the sub-status, the disabled account, bad requests', () => {
    expect(of('lsaprobe')).toEqual([
      'wait for lsass 0x00000000',
      'connect without a name 0xC0000041',
      'connect 0x00000000',
      'right password: call 0x00000000 status 0x00000000 sub 0x00000000 rid 0x000001F4',
      'name in another case: call 0x00000000 status 0x00000000 sub 0x00000000 rid 0x000001F4',
      'password in another case: call 0x00000000 status 0xC000006D sub 0xC000006A rid 0x000001F4',
      'unknown user: call 0x00000000 status 0xC000006D sub 0xC0000064 rid 0x00000000',
      'disabled account: call 0x00000000 status 0xC000006E sub 0xC0000072 rid 0x000001F5',
      'a path for a name: call 0x00000000 status 0xC000006D sub 0xC0000064 rid 0x00000000',
      'name too long: call 0x00000000 status 0xC000000D sub 0xC000000D rid 0x00000000',
      'message too short: call 0x00000000 status 0xC000000D sub 0x00000000 rid 0x00000000',
      'API 9: call 0x00000000 status 0xC000000D sub 0x00000000 rid 0x00000000',
      'lookup MSV1_0: call 0x00000000 status 0x00000000 package 0x00000000',
      'lookup Kerberos: call 0x00000000 status 0xC00000FE package 0x00000000',
      'lookup a name too long: call 0x00000000 status 0xC000000D package 0x00000000',
      'change Guest\'s password, wrong old one: call 0x00000000 status 0x00000000 protocol 0xC000006A passwords cleared 0x00000001',
      'change Guest\'s password: call 0x00000000 status 0x00000000 protocol 0x00000000 passwords cleared 0x00000001',
      'Guest, the old password: call 0x00000000 status 0xC000006D sub 0xC000006A rid 0x000001F5',
      'Guest, the new password: call 0x00000000 status 0xC000006E sub 0xC0000072 rid 0x000001F5',
      'change the password of nobody: call 0x00000000 status 0x00000000 protocol 0xC0000064 passwords cleared 0x00000001',
      'another package: call 0x00000000 status 0xC00000FE protocol 0x00000000 passwords cleared 0x00000001',
      'another MSV1_0 message: call 0x00000000 status 0xC000000D protocol 0x00000000 passwords cleared 0x00000001',
      'a password too long: call 0x00000000 status 0x00000000 protocol 0xC000000D passwords cleared 0x00000001',
      'deregister: call 0x00000000 status 0x00000000',
      'a logon after deregistering: call 0xC0000037 status 0x00000000 sub 0x00000000 rid 0x00000000',
      'done',
    ]);
    expect(of('lsass')).toContain('password change of Guest (RID 501): 0x00000000 (the SAM hive is flushed)');
    expect(of('lsass').find((l) => /^logon process \(process \d+\) deregistered$/.test(l))).toBeDefined();
    expect(of('lsass')).toContain('logon of Guest (RID 501): 0xC000006E (account disabled, sub-status 0xC0000072)');
    expect(of('lsass')).toContain('logon of Administrator (RID 500): 0xC000006D (wrong password, sub-status 0xC000006A)');
    expect(of('lsass')).toContain('logon of ..\\000001F4: 0xC000006D (no such user, sub-status 0xC0000064)');
  });
});

describe('lsass\'s password change on the disk', () => {
  it('the SAM hive on the disk holds Guest\'s new NT hash (read by hivexget)', (ctx) => {
    if (spawnSync('hivexget', ['--help']).error) { console.log('skipped: hivexget not found (apt-get install libhivex-bin)'); ctx.skip(); }
    const dir = mkdtempSync(join(tmpdir(), 'sam-'));
    try {
      const file = join(dir, 'SAM');
      writeFileSync(file, openDisk(after).readPath('\\Windows\\System32\\config\\SAM'));
      const key = execFileSync('hivexget', [file, '\\SAM\\Domains\\Account\\Users\\000001F5'], { encoding: 'utf8' });
      const hash = Array.from(ntHash('guest2'), (b) => b.toString(16).padStart(2, '0')).join(',');
      expect(key).toContain(`"NTHash"=hex(3):${hash}`);
      expect(key).not.toContain(`"NTHash"=hex(3):${Array.from(ntHash(''), (b) => b.toString(16).padStart(2, '0')).join(',')}`);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
});

describe('winlogon and the default shell', () => {
  it('shows the logon screen, refuses a wrong password and an unknown user, and comes back to the screen each time', () => {
    const w = of('winlogon').filter((l) => l.startsWith('session 1: ')).map((l) => l.slice(11));
    const screens = w.filter((l) => l === 'logon screen').length;
    expect(screens).toBe(4); // the first, after each failure, after the log-off
    expect(w).toContain('logon failed for Administrator: 0xC000006D (unknown user name or bad password; wrong password)');
    expect(w).toContain('logon failed for nobody: 0xC000006D (unknown user name or bad password; no such user)');
    expect(w.findIndex((l) => l.startsWith('administrator logged on (logon id 0x'))).toBeGreaterThan(w.indexOf('logon failed for nobody: 0xC000006D (unknown user name or bad password; no such user)'));
  });

  it('starts the Shell from SOFTWARE\\...\\Winlogon with the user in its environment; its end is the log-off', () => {
    const w = of('winlogon').map((l) => l.replace(/process \d+/, 'process N'));
    const shell = w.indexOf('session 1: shell nsh.exe (process N) started for administrator');
    expect(shell).toBeGreaterThan(-1);
    expect(of('nsh').filter((l) => !l.startsWith('C:\\Windows\\System32>'))[0]).toMatch(/^session 1: process \d+$/);
    expect(of('nsh')).toContain('C:\\Windows\\System32> logoff'); // the line read from COM1
    const off = w.indexOf('session 1: administrator logged off (the shell ended with status 0x00000000)');
    expect(off).toBeGreaterThan(shell);
    const screen = w.indexOf('session 1: logon screen', off);
    expect(screen).toBeGreaterThan(off);
    expect(w.findIndex((l) => /^session 1: ADMINISTRATOR logged on \(logon id 0x[0-9A-F]{8}\)$/.test(l))).toBeGreaterThan(screen);
  });
});

/** Scan code set 1 make and break codes for lower-case letters and Enter. */
const SCAN: Record<string, number> = {
  q: 0x10, a: 0x1e, d: 0x20, f: 0x21, g: 0x22, i: 0x17, l: 0x26, m: 0x32, n: 0x31, o: 0x18, p: 0x19, r: 0x13, s: 0x1f, t: 0x14, w: 0x11, '\r': 0x1c,
};
const typed = (text: string) => [...text].flatMap((c) => [SCAN[c], SCAN[c] | 0x80]);

describe('winlogon with win32k.sys in its session: the screen and the keyboard', () => {
  let k: string[] = [];
  let screens: string[][] = [];
  beforeAll(async () => {
    // As built: smss loads win32k.sys (Kmode) in session 1 before winlogon starts there. The boot to
    // the logon screen is the shared snapshot (test/boot/helpers.ts); the name and password are typed
    // on the PS/2 keyboard there, a key logs off, and the run ends at the logon screen that comes back.
    let machine: { keys(codes: number[]): void } | undefined;
    const abort = new AbortController();
    let loggedOff = false;
    const r = await logOn(await standardMachine(), {
      user: 'administrator', password: 'password', keyboard: true, until: undefined,
      timeoutMs: 240000, screen: true, signal: abort.signal,
      onReady: (m) => { machine = m; },
      onLine: (line) => {
        if (line.includes(`${W}administrator logged off`)) loggedOff = true;
        else if (loggedOff && line.endsWith(`${W}user name:`)) abort.abort(); // back at the screen after the log-off
        else if (line.endsWith('nsh: session 1: prompt')) machine?.keys(typed('logoff\r'));
      },
    });
    k = msg(r.lines);
    if (process.env.LOGON_TEST_LOG) writeFileSync(`${process.env.LOGON_TEST_LOG}.keyboard`, r.lines.join('\n'));
    expect(r.stop, k.join('\n')).toBeUndefined();
    expect(k.filter((l) => l === `${W}user name:`).length, k.join('\n')).toBe(2);
    screens = [r.screen!.rows];
  }, 600000);

  it('draws the logon screen on the session screen and takes the name and password from the keyboard', () => {
    expect(k).toContain(`${W}the logon screen is on this session's screen; keys from its keyboard and COM1`);
    expect(k.find((l) => l.startsWith(`${W}administrator logged on (logon id 0x`))).toBeDefined();
    expect(k).toContain('nsh: session 1: prompt');
    expect(k).toContain('nsh: C:\\Windows\\System32> logoff'); // the line typed on the keyboard, echoed to COM1
    expect(k).toContain(`${W}administrator logged off (the shell ended with status 0x00000000)`);
    // After the log-off the logon screen is back, drawn anew (the Welcome line is gone).
    const rows = screens[0];
    expect(rows[0]).toContain('Log On to Windows');
    expect(rows.join('\n')).toContain('Session: 1');
    expect(rows.join('\n')).toContain('User name: ');
    expect(rows.join('\n')).not.toContain('Welcome');
  });
});
