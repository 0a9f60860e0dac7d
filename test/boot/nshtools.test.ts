// The shell's system commands (images/system32/nsh/tools*.ts) on the image
// as built, plus a harmless program planted as C:\Windows\Temp\smss.exe (the
// classic malware disguise): from the logon screen (a snapshot of the boot,
// test/boot/helpers.ts), a logon through COM1, then each
// command typed into COM1 and its output read back from the serial log
// (`nsh: ...` lines). What the commands say is checked against what the
// kernel and smss logged on their own (pids, parents, sessions, critical
// processes), and the registry changes against the SOFTWARE hive left on the
// disk, read by hivexsh.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDisk } from '../../images/build.ts';
import { buildUserImage } from '../../scripts/pe/link.ts';
import { logOn, standardMachine, type BootResult } from './helpers.ts';
import { msg } from './usermode.ts';

const FAKE = '\\Windows\\Temp\\smss.exe';
const DEVICE = '\\Device\\Harddisk0\\Partition1';
const PROMPT = /^nsh: [A-Z]:\\[^>]*> ?$/;

/** What each command printed (its `nsh: ` lines after the echo, up to the next prompt). */
const out = new Map<string, string[]>();
let all: string[] = [];
let after: Uint8Array | undefined;
let stop: BootResult['stop'];

/** The commands, in order; a key names one run of a command when it runs more than once. */
const script: Array<[key: string, command: string | (() => string)]> = [];
const step = (key: string, command: string | (() => string) = key) => script.push([key, command]);
const pidOf = (key: string, re: RegExp) => () => { const m = (out.get(key) ?? []).map((l) => re.exec(l)).find(Boolean); return m ? m[1] : 'none'; };

const fakePid = pidOf('start', /^started .*: process (\d+)$/);
step('tlist');
step('start', `start C:${FAKE}`);
step('tlist fake', 'tlist');
step('critical on', () => `critical ${fakePid()} on`);
step('tlist critical', 'tlist');
step('critical off', () => `critical ${fakePid()} off`);
step('tlist uncritical', 'tlist');
step('kill', () => `kill ${fakePid()}`);
step('tlist killed', 'tlist');
step('kill missing', 'kill 99999');
step('reg add sz', 'reg add HKLM\\SOFTWARE\\NshTools Greeting REG_SZ hello from nsh');
step('reg add dword', 'reg add HKLM\\SOFTWARE\\NshTools Count REG_DWORD 0x2A');
step('reg add multi', 'reg add HKLM\\SOFTWARE\\NshTools List REG_MULTI_SZ one\\0two words');
step('reg add expand', 'reg add HKLM\\SOFTWARE\\NshTools Where REG_EXPAND_SZ %SystemRoot%\\Temp');
step('reg add binary', 'reg add HKLM\\SOFTWARE\\NshTools Blob REG_BINARY 01ff7e');
step('reg add gone', 'reg add HKLM\\SOFTWARE\\NshTools\\Gone Temp REG_SZ soon deleted');
step('reg add doomed', 'reg add HKLM\\SOFTWARE\\NshTools Doomed REG_DWORD 7');
step('reg delete value', 'reg delete HKLM\\SOFTWARE\\NshTools Doomed');
step('reg delete key', 'reg delete HKLM\\SOFTWARE\\NshTools\\Gone');
step('reg query', 'reg query HKLM\\SOFTWARE\\NshTools');
step('reg query one', 'reg query HKLM\\SOFTWARE\\NshTools Count');
step('reg query gone', 'reg query HKLM\\SOFTWARE\\NshTools\\Gone');
step('obj', 'obj \\');
step('obj missing', 'obj \\NoSuchDirectory');
step('events');
step('sessions');
step('newsession');
step('tlist session 2', 'tlist');
step('switch 2');
step('sessions switched', 'sessions');
step('switch 1');
step('help');
// Last: session 1's csrss. smss watches it; its end stops the system with 0xC000021A, as on NT.
step('kill csrss', () => `kill ${rows('tlist').find((p) => p.session === 1 && p.image.toLowerCase().endsWith('\\csrss.exe'))?.pid ?? 'none'}`);

beforeAll(async () => {
  const m = await standardMachine({ add: { [FAKE]: (await buildUserImage('test/boot/programs/sleeper.ts', { name: 'smss.exe' })).bytes } });
  const lines: string[] = [];
  let send: (text: string) => void = () => {};
  let next = 0;          // the script's next command
  let typed = '';        // the command typed, until its echo (`<prompt><command>`) comes back
  let echoAt = -1;       // the running command's echo line
  const onLine = (raw: string) => {
    const line = msg([raw])[0];
    lines.push(line);
    if (typed && line.startsWith('nsh: ') && line.endsWith(`> ${typed}`)) { echoAt = lines.length - 1; typed = ''; return; }
    if (!PROMPT.test(line) || typed) return;
    if (echoAt >= 0) {
      const [key] = script[next - 1];
      out.set(key, lines.slice(echoAt + 1, -1).filter((l) => l.startsWith('nsh: ')).map((l) => l.slice(5)));
      echoAt = -1;
    }
    if (next < script.length) {
      const [, command] = script[next++];
      typed = typeof command === 'string' ? command : command();
      send(`${typed}\r`);
    }
  };
  // From the logon screen's snapshot (test/boot/helpers.ts), until the bug check the last command causes.
  const r = await logOn(m, {
    until: undefined, timeoutMs: 1500000,
    onReady: (machine) => { send = machine.send; }, onLine, onDiskDone: (image) => { after = image; },
  });
  all = msg(r.lines);
  stop = r.stop;
  if (process.env.NSHTOOLS_LOG) writeFileSync(process.env.NSHTOOLS_LOG, r.lines.join('\n'));
  expect([...out.keys()], all.slice(-40).join('\n')).toEqual(script.slice(0, -1).map(([key]) => key));
}, 1600000);

/** The tlist rows of one run: pid, parent, session, critical, threads, handles, image, and the SUSPICIOUS note. */
function rows(key: string) {
  const text = out.get(key) ?? [];
  const list: Array<{ pid: number; parent: number; session: number; critical: string; image: string; suspicious: boolean; why: string }> = [];
  for (const l of text) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(yes|no|\?)\s+(\d+)\s+(\d+) (.*?)( {2}SUSPICIOUS)?$/.exec(l);
    if (m) { list.push({ pid: +m[1], parent: +m[2], session: +m[3], critical: m[4], image: m[7], suspicious: !!m[8], why: '' }); continue; }
    const w = /^\s+\^ smss\.exe (\d+): (.*)$/.exec(l);
    if (w) list.find((p) => p.pid === +w[1])!.why = w[2];
  }
  return list;
}
const named = (key: string, file: string) => rows(key).filter((p) => p.image.toLowerCase().endsWith(`\\${file}`));
/** A pid the kernel or smss logged: the first match's group 1. */
const logged = (re: RegExp) => { const m = all.map((l) => re.exec(l)).find(Boolean); expect(m, String(re)).toBeTruthy(); return +m![1]; };

describe('nsh system commands', () => {
  it('tlist: smss, csrss and winlogon with their parents, sessions and critical flags as the kernel reported them', () => {
    const list = rows('tlist');
    expect(list.length, (out.get('tlist') ?? []).join('\n')).toBeGreaterThan(8);
    const smss = logged(/^ps: session manager started: process (\d+) /);
    const copy1 = logged(/^smss: session 1: smss\.exe 00000001 \(process (\d+)\)$/);
    const copy0 = logged(/^smss: session 0: smss\.exe 00000000 \(process (\d+)\)$/);
    expect(named('tlist', 'smss.exe')).toEqual([
      { pid: smss, parent: 4, session: 0, critical: 'yes', image: `${DEVICE}\\Windows\\System32\\smss.exe`, suspicious: false, why: '' },
    ]);
    const csrss = named('tlist', 'csrss.exe');
    expect(csrss.map((p) => [p.parent, p.session])).toEqual([[copy0, 0], [copy1, 1]]);
    const winlogon = named('tlist', 'winlogon.exe');
    expect(winlogon.map((p) => [p.pid, p.parent, p.session])).toEqual([[logged(/^winlogon: session 1: process (\d+)$/), copy1, 1]]);
    // Critical: exactly the processes the kernel said were made critical.
    const critical = new Set(all.map((l) => /^ps: process (\d+) is critical: /.exec(l)).filter(Boolean).map((m) => +m![1]));
    for (const p of list.filter((x) => x.pid > 4)) expect(p.critical, `${p.pid} ${p.image}`).toBe(critical.has(p.pid) ? 'yes' : 'no');
    expect(list.filter((p) => p.critical === 'yes').length).toBeGreaterThanOrEqual(3); // smss, wininit, lsass
    expect(list.some((p) => p.suspicious)).toBe(false);
    expect(named('tlist', 'nsh.exe').map((p) => p.session)).toEqual([1]);
  });

  it('tlist marks a planted smss.exe outside System32 as SUSPICIOUS, and only it', () => {
    const pid = +/^started .*: process (\d+)$/.exec((out.get('start') ?? []).join('\n'))![1];
    const smss = named('tlist fake', 'smss.exe');
    expect(smss.map((p) => [p.pid, p.suspicious])).toEqual([[logged(/^ps: session manager started: process (\d+) /), false], [pid, true]]);
    const fake = smss[1];
    expect(fake.image).toBe(`${DEVICE}\\Windows\\Temp\\smss.exe`);
    expect(fake.why).toContain('its image is not \\SystemRoot\\System32\\smss.exe');
    expect(fake.why).toContain('a second smss.exe: not a session copy of the Session Manager');
    expect(out.get('tlist fake')!.at(-1)).toMatch(/ processes, 1 SUSPICIOUS \(the Session Manager's image is \\Device\\Harddisk0\\Partition1\\Windows\\System32\\smss\.exe\)$/);
  });

  it('critical on and off, seen by tlist and by the kernel; kill ends the process', () => {
    const pid = +/process (\d+)$/.exec(out.get('start')![0])![1];
    expect(out.get('critical on')).toEqual([`critical: process ${pid} is critical: its end stops the system`]);
    expect(rows('tlist critical').find((p) => p.pid === pid)!.critical).toBe('yes');
    expect(all).toContain(`ps: process ${pid} is critical: its end stops the system`);
    expect(out.get('critical off')).toEqual([`critical: process ${pid} is no longer critical`]);
    expect(all).toContain(`ps: process ${pid} is no longer critical`);
    expect(rows('tlist uncritical').find((p) => p.pid === pid)!.critical).toBe('no');
    expect(out.get('kill')).toEqual([`kill: process ${pid} (smss.exe) ended`]);
    expect(all).toContain(`ps: process ${pid} (smss) exited with status 0x00000001`);
    expect(rows('tlist killed').some((p) => p.pid === pid)).toBe(false);
    expect(out.get('kill missing')).toEqual(['kill: NtOpenProcess 99999: 0xC000000B STATUS_INVALID_CID']);
  });

  it('reg add, query and delete; every type shown as reg.exe shows it', () => {
    expect(out.get('reg add sz')).toEqual(['reg add: HKLM\\SOFTWARE\\NshTools Greeting = REG_SZ, 30 bytes; flushed']);
    expect(out.get('reg delete value')).toEqual(['reg delete: HKLM\\SOFTWARE\\NshTools Doomed deleted; flushed']);
    expect(out.get('reg delete key')).toEqual(['reg delete: HKLM\\SOFTWARE\\NshTools\\Gone deleted; flushed']);
    expect(out.get('reg query')).toEqual([
      'HKLM\\SOFTWARE\\NshTools',
      '    Greeting    REG_SZ    hello from nsh',
      '    Count    REG_DWORD    0x0000002A (42)',
      '    List    REG_MULTI_SZ    one\\0two words',
      '    Where    REG_EXPAND_SZ    %SystemRoot%\\Temp',
      '    Blob    REG_BINARY    01FF7E',
    ]);
    expect(out.get('reg query one')).toEqual(['HKLM\\SOFTWARE\\NshTools', '    Count    REG_DWORD    0x0000002A (42)']);
    expect(out.get('reg query gone')).toEqual(['reg query: NtOpenKey \\Registry\\Machine\\SOFTWARE\\NshTools\\Gone: 0xC0000034 STATUS_OBJECT_NAME_NOT_FOUND']);
  });

  it('the flushed values are in the SOFTWARE hive on the disk (hivexsh), the deleted ones are not', (ctx) => {
    expect(after).toBeDefined();
    const hive = openDisk(after!).readPath('\\Windows\\System32\\config\\SOFTWARE');
    if (spawnSync('hivexsh', ['--help']).error) { console.log('skipped: hivexsh (libhivex-bin) is not installed'); ctx.skip(); }
    const path = join(mkdtempSync(join(tmpdir(), 'nshtools-')), 'SOFTWARE');
    writeFileSync(path, hive);
    const sh = (cmds: string) => execFileSync('hivexsh', [path], { input: cmds, encoding: 'utf8' });
    expect(sh('cd \\NshTools\nls\n').trim()).toBe('');
    const values = sh('cd \\NshTools\nlsval\n');
    expect(values).toContain('"Greeting"="hello from nsh"');
    expect(values).toContain('"Count"=dword:0000002a');
    expect(values).toContain(`"List"=hex(7):${[...Buffer.from('one\0two words\0\0', 'utf16le')].map((b) => b.toString(16).padStart(2, '0')).join(',')}`);
    expect(values).toContain('"Blob"=hex(3):01,ff,7e');
    expect(values).not.toContain('Doomed');
  });

  it('obj lists a directory with types and symbolic link targets; a missing one is a status', () => {
    const lines = out.get('obj')!;
    expect(lines[0]).toBe('\\');
    expect(lines).toContainEqual(expect.stringMatching(/^Device\s+Directory$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ObjectTypes\s+Directory$/));
    expect(lines).toContainEqual(expect.stringMatching(/^SmApiPort\s+Port$/));
    expect(lines).toContainEqual(expect.stringMatching(/^SystemRoot\s+SymbolicLink\s+-> \\Device\\Harddisk0\\Partition1\\Windows$/));
    expect(lines).toContainEqual(expect.stringMatching(/^DosDevices\s+SymbolicLink\s+-> \\\?\?$/));
    expect(lines.at(-1)).toBe(`${lines.length - 2} entries`);
    expect(out.get('obj missing')).toEqual(['obj: NtOpenDirectoryObject \\NoSuchDirectory: 0xC0000034 STATUS_OBJECT_NAME_NOT_FOUND']);
  });

  it('events shows what the event log service recorded: its start and the logon', () => {
    const lines = out.get('events')!;
    expect(lines).toContainEqual(expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+information\s+EventLog\s+6005\s+The Event log service was started\.$/));
    expect(lines).toContainEqual(expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+audit-success\s+Security\s+528\s+Administrator logged on in session 1$/));
    const recorded = all.slice(0, all.findIndex((l) => /^nsh: .*> events$/.test(l))).filter((l) => l.startsWith('eventlog: recorded ')).length;
    expect(lines.at(-1)).toBe(`${recorded} records`);
  });

  it('sessions, newsession (session 2 with its csrss and winlogon in tlist), switch refused without SeTcbPrivilege', () => {
    const table = (key: string) => (out.get(key) ?? []).slice(1).map((l) => l.trim().split(/\s+/));
    const before = table('sessions');
    expect(before.map((r) => r[0])).toEqual(['0', '1']);
    expect(before[1][2]).toBe('yes');
    expect(before[1]).toContain('nsh.exe');
    const made = /^newsession: session (\d+): csrss \(process (\d+)\), winlogon \(process (\d+)\)$/.exec(out.get('newsession')!.at(-1)!);
    expect(made, out.get('newsession')!.join('\n')).toBeTruthy();
    expect(made![1]).toBe('2');
    const list = rows('tlist session 2');
    const copy2 = logged(/^smss: session 2: smss\.exe 00000002 \(process (\d+)\)$/);
    expect(list.find((p) => p.pid === +made![2])).toMatchObject({ parent: copy2, session: 2 });
    expect(list.find((p) => p.pid === +made![3])).toMatchObject({ parent: copy2, session: 2 });
    expect(list.find((p) => p.pid === +made![2])!.image.toLowerCase()).toBe(`${DEVICE}\\Windows\\system32\\csrss.exe`.toLowerCase());
    // Session 2's logon screen takes keys from its keyboard only: COM1 stays session 1's shell's.
    expect(all).toContain("winlogon: session 2: the logon screen is on this session's screen; keys from its keyboard (COM1 is session 1's)");
    // The shell runs with the Administrator's token (winlogon's NtCreateToken), not SYSTEM's: moving the screen
    // and keyboard takes SeTcbPrivilege (win32k's rule: winlogon and csrss may), which no user token has.
    expect(out.get('switch 2')).toEqual(['switch: NtUserSwitchSession 2: 0xC0000061 STATUS_PRIVILEGE_NOT_HELD']);
    const switched = table('sessions switched');
    expect(switched.map((r) => r[0])).toEqual(['0', '1', '2']);
    // Session 2 is on the screen all the same: its winlogon's logon screen, the new session's first write, took it.
    expect(switched.filter((r) => r[2] === 'yes').map((r) => r[0])).toEqual(['2']);
    expect(out.get('switch 1')).toEqual(['switch: NtUserSwitchSession 1: 0xC0000061 STATUS_PRIVILEGE_NOT_HELD']);
  });

  it('help lists the system commands', () => {
    const text = out.get('help')!;
    const lines = text.slice(text.indexOf('System commands:') + 1);
    expect(text).toContain('System commands:');
    for (const command of ['tlist', 'kill PID', 'critical PID on|off', 'reg query|add|delete', 'obj [DIR]', 'sessions', 'newsession', 'switch N', 'events [N]']) {
      expect(lines.some((l) => l.trimStart().startsWith(command)), `${command}\n${lines.join('\n')}`).toBe(true);
    }
  });

  it('killing session 1\'s csrss stops the system with 0xC000021A (smss watches it), as NT does', () => {
    const csrss = rows('tlist').find((p) => p.session === 1 && p.image.toLowerCase().endsWith('\\csrss.exe'))!.pid;
    expect(stop?.code, all.slice(-20).join('\n')).toBe(0xC000021A);
    expect(all).toContainEqual(expect.stringMatching(new RegExp(`^smss: session 1: csrss \\(process ${csrss}\\) ended with status 0x00000001: Windows SubSystem terminated$`)));
    expect(all.indexOf(all.find((l) => l.endsWith(`> kill ${csrss}`))!)).toBeGreaterThan(0);
  });
});
