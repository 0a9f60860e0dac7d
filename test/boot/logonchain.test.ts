// The whole chain on the image as built, nothing added: the kernel starts
// smss; smss starts session 0 (csrss, wininit -> services, lsass, the event
// log service) and session 1 (csrss, winlogon); a person logs on through
// COM1 with a wrong password, then the right one; the shell (nsh.exe) shows
// its prompt; its `logoff` ends it and the logon screen comes back; the user
// name `shutdown` powers the machine off (NtShutdownSystem), leaving a
// clean volume with the event log's records.

import { beforeAll, describe, expect, it } from 'vitest';
import { openDisk } from '../../images/build.ts';
import { bootUntil, LOGON_SCREEN, standardMachine, type BootResult } from './helpers.ts';
import { msg } from './usermode.ts';

const W = 'winlogon: session 1: ';
let lines: string[] = [];
let result: BootResult;
let after: Uint8Array;
const of = (component: string) => lines.filter((l) => l.startsWith(`${component}: `)).map((l) => l.slice(component.length + 2));

beforeAll(async () => {
  // The boot to the logon screen is the shared snapshot (test/boot/helpers.ts); the log before it is in the result.
  const r = await bootUntil(await standardMachine(), undefined, {
    from: LOGON_SCREEN, timeoutMs: 240000,
    send: 'Administrator\r', // at the first "user name:"
    input: [
      { after: `${W}password:`, text: 'Password1\r' },
      { after: `${W}user name:`, text: 'Administrator\r' }, { after: `${W}password:`, text: 'password\r' },
      { after: 'nsh: session 1: prompt', text: 'logoff\r' },
      { after: `${W}user name:`, text: 'shutdown\r' },
    ],
    onDiskDone: (image) => { after = image; },
  });
  result = r;
  if (process.env.LOGON_TEST_LOG) (await import('node:fs')).writeFileSync(process.env.LOGON_TEST_LOG, r.lines.join('\n'));
  lines = msg(r.lines);
  expect(r.stop, lines.join('\n')).toBeUndefined();
}, 600000);

describe('boot to the logon screen and log on through COM1', () => {
  it('session 0 runs wininit, services, lsass and the event log service; session 1 runs winlogon', () => {
    expect(of('wininit')[0]).toMatch(/^session 0, process \d+, critical$/);
    expect(of('lsass')[0]).toMatch(/^process \d+, critical; SAM: 3 accounts; \\LsaAuthenticationPort ready$/);
    expect(of('services').some((l) => /^started EventLog \(Event Log, group Event Log\): process \d+$/.test(l))).toBe(true);
    expect(of('winlogon')[0]).toMatch(/^session 1: process \d+$/);
    expect(lines).toContain('lsass: logon process "Winlogon" (process ' + /^session 1: process (\d+)$/.exec(of('winlogon')[0])![1] + ') connected');
  });

  it('refuses the wrong password, takes the right one, starts the shell in session 1, and logs off back to the screen', () => {
    const w = of('winlogon').filter((l) => l.startsWith('session 1: ')).map((l) => l.slice(11).replace(/process \d+/, 'process N'));
    const failed = w.indexOf('logon failed for Administrator: 0xC000006D (unknown user name or bad password; wrong password)');
    const on = w.findIndex((l) => /^Administrator logged on \(logon id 0x[0-9A-F]{8}\)$/.test(l));
    const shell = w.indexOf('shell nsh.exe (process N) started for Administrator');
    const off = w.indexOf('Administrator logged off (the shell ended with status 0x00000000)');
    expect(failed, w.join('\n')).toBeGreaterThan(w.indexOf('logon screen'));
    expect(on).toBeGreaterThan(failed);
    expect(shell).toBeGreaterThan(on);
    expect(off).toBeGreaterThan(shell);
    expect(w.lastIndexOf('logon screen')).toBeGreaterThan(off);
    expect(of('nsh')).toEqual(expect.arrayContaining(['session 1: prompt', 'C:\\Windows\\System32> logoff']));
    expect(lines).toContain('lsass: logon of Administrator (RID 500): 0xC000006D (wrong password, sub-status 0xC000006A)');
  });

  it('the user name shutdown powers the machine off: processes ended, hives flushed, the volume clean, the records on it', () => {
    expect(lines).toContain(`${W}shutdown requested: powering off`);
    expect(lines.some((l) => /^ke: shutdown: power off requested by process \d+ \(winlogon\.exe\)$/.test(l)), lines.join('\n')).toBe(true);
    expect(result.reason).toBe('exit');
    expect(result.exitCode).toBe(0);
    const text = new TextDecoder().decode(openDisk(after).readPath('\\Windows\\System32\\config\\SysEvent.log'));
    const entries = text.split('\r\n').filter(Boolean).map((l) => l.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d /, ''));
    expect(entries).toEqual([
      'information EventLog 6005: The Event log service was started.',
      'audit-failure Security 529: logon failure for Administrator in session 1: 0xC000006D',
      'audit-success Security 528: Administrator logged on in session 1',
      'audit-success Security 538: Administrator logged off in session 1',
      'audit-success Security 513: shutdown requested at the logon screen of session 1',
    ]);
  });
});
