// nsh.exe, the native shell, driven through COM1 on the image as built (plus
// one probe program): one run from the logon screen's snapshot
// (helpers.ts), a logon, many commands, a log-off, a second logon and
// `shutdown`. Checked: what the shell prints (its prompt with the
// current directory, listings, files, NTSTATUS failures with their names,
// line editing and history), what the programs it starts see, and the disk
// the guest leaves (files copied, renamed, deleted; directories made and
// removed; fsck.fat finds nothing wrong).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildUserImage } from '../../scripts/pe/link.ts';
import { listDisk, openDisk } from '../../images/build.ts';
import { system32Files } from '../../images/system32.ts';
import { MbrReadPartition } from '../../images/disk/mbr.ts';
import { logOn, messages, standardMachine, type BootResult } from './helpers.ts';

const FSCK = spawnSync('fsck.fat', ['--help']).error === undefined;
if (!FSCK) console.log('nsh tests: fsck.fat (dosfstools) is missing: the volume check is skipped');
const W = 'winlogon: session 1: ';
const BS = '\x7f', UP = '\x1b[A';
/** PS/2 scan code set 1 make and break codes of a line typed on the session's keyboard; '^' is the up arrow (E0 48). */
const SCAN: Record<string, number> = { b: 0x30, d: 0x20, i: 0x17, k: 0x25, m: 0x32, r: 0x13, ' ': 0x39, '\r': 0x1c };
const keys = (text: string) => [...text].flatMap((c) => (c === '^' ? [0xe0, 0x48, 0xe0, 0xc8] : [SCAN[c], SCAN[c] | 0x80]));
/**
 * What is typed at each prompt, in order: text on COM1, or keys on the
 * keyboard (the log-off comes back to the logon screen; then a new logon).
 */
const STEPS: Array<string | { keys: number[] }> = [
  'help\r',
  'mkdir \\nshtest\r',
  'cd \\nshtest\r',
  'copy \\Windows\\System32\\smss.exe a.bin\r',
  'copy a.bin b.bin\r',
  'ren b.bin c.bin\r',
  'del a.bin\r',
  'mkdir sub\r',
  'copy c.bin sub\r',
  'rmdir sub\r',
  `mkdir sbx${BS}${BS}ub2\r`,
  'mkdir gone\r',
  'rmdir gone\r',
  `${UP}${UP}\r`,
  { keys: keys('mkdir kb\r') },
  { keys: keys('rmdir kb\r') },
  { keys: keys('^^\r') },
  'dir\r',
  'dir *.bin\r',
  // Without the heap given back after each command nsh.exe runs out of memory (0xC000001D) after about 15 of these.
  ...Array.from({ length: 24 }, () => 'dir \\Windows\\System32\r'),
  'type \\Windows\\System32\\config\\SysEvent.log\r',
  'cd \\nothere\\x\r',
  'type nothere.txt\r',
  'mkdir \\nothere\\x\r',
  'ren c.bin sub\r',
  'del sub\r',
  'copy c.bin \\nshtest\\C.BIN\r',
  'start nothere.exe\r',
  'set NSHVAR=hello world\r',
  'set nshv\r',
  'start nshprobe.exe one "two three"\r',
  'frobnicate now\r',
  'cd ..\r',
  'logoff\r',
  'cd\r',
  'shutdown\r',
];

let lines: string[] = [];
let nsh: string[] = [];
let result: BootResult;
let after: Uint8Array;
let smss: Uint8Array;
let sent = 0;
let probe: Promise<Uint8Array> | undefined;
/** test/boot/programs/nshprobe.ts as C:\Windows\System32\nshprobe.exe (built once: both runs share the snapshot). */
const probeImage = () => (probe ??= buildUserImage('test/boot/programs/nshprobe.ts', { name: 'nshprobe.exe' }).then((r) => r.bytes));

beforeAll(async () => {
  const m = await standardMachine({ add: { '\\Windows\\System32\\nshprobe.exe': await probeImage() } });
  smss = (await system32Files()).get('\\Windows\\System32\\smss.exe')!;
  let machine: { send(text: string): void; keys(codes: number[]): void } | undefined;
  let loggedOff = false;
  // From the logon screen's snapshot: logOn types the first user name and password; the second logon is typed here.
  result = await logOn(m, {
    until: undefined, timeoutMs: 480000, screen: true,
    onReady: (mm) => { machine = mm; },
    onLine: (line) => {
      const l = line.replace(/^\[\s*\d+\.\d+\] /, '');
      if (loggedOff && l === `${W}user name:`) machine?.send('Administrator\r');
      else if (loggedOff && l === `${W}password:`) machine?.send('password\r');
      else if (/^nsh: [^>]*> $/.test(l) && sent < STEPS.length) {
        const step = STEPS[sent++];
        if (step === 'logoff\r') loggedOff = true;
        if (typeof step === 'string') machine?.send(step); else machine?.keys(step.keys);
      }
    },
    onDiskDone: (image) => { after = image; },
  });
  lines = messages(result);
  if (process.env.NSH_TEST_LOG) writeFileSync(process.env.NSH_TEST_LOG, result.lines.join('\n'));
  nsh = lines.filter((l) => l.startsWith('nsh: ')).map((l) => l.slice(5));
  expect(result.stop, lines.join('\n')).toBeUndefined();
  expect(sent, lines.join('\n')).toBe(STEPS.length);
}, 600000);

/** The shell's output after the line `<prompt><command>` up to the next prompt. */
function output(prompt: string, command: string, nth = 0): string[] {
  let at = -1;
  for (let k = 0; k <= nth; k++) at = nsh.indexOf(prompt + command, at + 1);
  expect(at, `${prompt}${command} in\n${nsh.join('\n')}`).toBeGreaterThan(-1);
  const end = nsh.findIndex((l, i) => i > at && /^[^>]*> $/.test(l));
  return nsh.slice(at + 1, end);
}

describe('nsh: the prompt, the commands, their output', () => {
  it('shows its prompt with the current directory, logs its milestone once, and lists its commands', () => {
    expect(nsh[nsh.indexOf('session 1: prompt') - 1]).toBe('C:\\Windows\\System32> ');
    expect(lines.filter((l) => l === 'nsh: session 1: prompt')).toHaveLength(2); // one per shell (two logons)
    const help = output('C:\\Windows\\System32> ', 'help');
    for (const c of ['cd', 'dir', 'type', 'copy', 'ren', 'del', 'mkdir', 'rmdir', 'set', 'start', 'logoff', 'shutdown', 'reboot', 'help']) {
      expect(help.some((l) => l.startsWith(`  ${c} `)), c).toBe(true);
    }
    expect(nsh).toContain('C:\\nshtest> '); // cd changed the prompt
    expect(nsh).toContain('C:\\> ');         // cd ..
  });

  it('copies, renames, deletes and lists files, and says why a directory cannot go', () => {
    expect(output('C:\\nshtest> ', 'copy \\Windows\\System32\\smss.exe a.bin')).toEqual([`        1 file(s) copied (${smss.length} bytes).`]);
    expect(output('C:\\nshtest> ', 'ren b.bin c.bin')).toEqual([]);
    expect(output('C:\\nshtest> ', 'rmdir sub')).toEqual(['rmdir sub: 0xC0000101 STATUS_DIRECTORY_NOT_EMPTY']);
    const dir = output('C:\\nshtest> ', 'dir');
    expect(dir[0]).toBe(' Directory of C:\\nshtest');
    const names = dir.filter((l) => /^\d{4}-\d\d-\d\d  \d\d:\d\d /.test(l)).map((l) => l.slice(21));
    expect(names).toEqual(expect.arrayContaining(['<DIR>          .', '<DIR>          ..', '<DIR>          sub', '<DIR>          sub2', '<DIR>          gone', '<DIR>          kb',
      `${String(smss.length).padStart(14)} c.bin`]));
    expect(names).toHaveLength(7);
    expect(dir.at(-2)).toMatch(new RegExp(`^ +1 File\\(s\\) +${smss.length} bytes$`));
    expect(dir.at(-1)).toMatch(/^ +6 Dir\(s\)$/);
    const bins = output('C:\\nshtest> ', 'dir *.bin').filter((l) => /^\d{4}-/.test(l));
    expect(bins.map((l) => l.slice(36))).toEqual(['c.bin']);
  });

  it('gives its heap back after each command: two dozen listings in a row, the shell still there', () => {
    const runs = nsh.filter((l) => l === 'C:\\nshtest> dir \\Windows\\System32');
    expect(runs).toHaveLength(24);
    const listings = output('C:\\nshtest> ', 'dir \\Windows\\System32', 23);
    expect(listings.at(-1)).toMatch(/^ +\d+ Dir\(s\)$/);
    expect(lines.filter((l) => /^ps: process \d+ \(nsh(\.exe)?\) exited with status 0x00000000$/.test(l))).toHaveLength(1); // the logoff
    expect(lines.some((l) => /unhandled exception/.test(l))).toBe(false);
  });

  it('types a file', () => {
    const text = output('C:\\nshtest> ', 'type \\Windows\\System32\\config\\SysEvent.log');
    expect(text.some((l) => l.endsWith('information EventLog 6005: The Event log service was started.')), text.join('\n')).toBe(true);
    expect(text.some((l) => l.endsWith('audit-success Security 528: Administrator logged on in session 1'))).toBe(true);
  });

  it('prints the NTSTATUS and its name for a bad path', () => {
    expect(output('C:\\nshtest> ', 'cd \\nothere\\x')).toEqual(['cd \\nothere\\x: 0xC000003A STATUS_OBJECT_PATH_NOT_FOUND']);
    expect(output('C:\\nshtest> ', 'type nothere.txt')).toEqual(['type nothere.txt: 0xC0000034 STATUS_OBJECT_NAME_NOT_FOUND']);
    expect(output('C:\\nshtest> ', 'mkdir \\nothere\\x')).toEqual(['mkdir \\nothere\\x: 0xC000003A STATUS_OBJECT_PATH_NOT_FOUND']);
    expect(output('C:\\nshtest> ', 'ren c.bin sub')).toEqual(['ren c.bin sub: 0xC0000035 STATUS_OBJECT_NAME_COLLISION']);
    expect(output('C:\\nshtest> ', 'del sub')).toEqual(['del sub: 0xC00000BA STATUS_FILE_IS_A_DIRECTORY']);
    expect(output('C:\\nshtest> ', 'copy c.bin \\nshtest\\C.BIN')).toEqual(['The file cannot be copied onto itself.']);
    expect(output('C:\\nshtest> ', 'start nothere.exe')).toEqual(['start \\SystemRoot\\System32\\nothere.exe: 0xC0000034 STATUS_OBJECT_NAME_NOT_FOUND']);
    expect(output('C:\\nshtest> ', 'frobnicate now')).toEqual(['\'frobnicate\' is not a command; type help for the list.']);
  });

  it('edits the line: backspace, and the up arrow recalls earlier lines', () => {
    expect(nsh).toContain('C:\\nshtest> mkdir sub2'); // "mkdir sbx", two backspaces, "ub2"
    expect(nsh).not.toContain('C:\\nshtest> mkdir sbx');
    // rmdir gone, then Up Up Enter: the line shown for each recall, then the line run.
    const at = nsh.indexOf('C:\\nshtest> rmdir gone');
    expect(nsh.slice(at + 1, at + 5)).toEqual(['C:\\nshtest> ', 'C:\\nshtest> rmdir gone', 'C:\\nshtest> mkdir gone', 'C:\\nshtest> mkdir gone']);
  });

  it('reads lines from the session\'s keyboard too, where the up arrow (VK_UP) recalls', () => {
    const at = nsh.indexOf('C:\\nshtest> mkdir kb');
    expect(at, nsh.join('\n')).toBeGreaterThan(-1);
    expect(nsh.slice(at + 1, at + 7)).toEqual(['C:\\nshtest> ', 'C:\\nshtest> rmdir kb', 'C:\\nshtest> ', 'C:\\nshtest> rmdir kb', 'C:\\nshtest> mkdir kb', 'C:\\nshtest> mkdir kb']);
  });

  it('shows the session on its screen: what was typed and what the commands printed', () => {
    const rows = result.screen!.rows.map((r) => r.trimEnd());
    expect(rows, rows.join('\n')).toContain('C:\\Windows\\System32> cd');
    expect(rows).toContain('C:\\Windows\\System32> shutdown');
    expect(rows).toContain('Shutting down...');
  });

  it('sets variables and starts programs with its environment, printing their process id', () => {
    expect(output('C:\\nshtest> ', 'set nshv')).toEqual(['NSHVAR=hello world']);
    const started = output('C:\\nshtest> ', 'start nshprobe.exe one "two three"');
    expect(started[0]).toMatch(/^started \\SystemRoot\\System32\\nshprobe\.exe: process \d+$/);
    const pid = /process (\d+)$/.exec(started[0])![1];
    expect(lines).toContain('nshprobe: session 1; command line "nshprobe.exe one "two three""; NSHVAR=hello world');
    expect(lines.some((l) => new RegExp(`^ps: process ${pid} \\(nshprobe(\\.exe)?\\) created`).test(l)), lines.join('\n')).toBe(true);
  });
});

describe('nsh: logoff, shutdown and the disk afterwards', () => {
  it('logoff ends the shell: winlogon shows the logon screen again and a new logon gets a new shell', () => {
    const w = lines.filter((l) => l.startsWith(W)).map((l) => l.slice(W.length));
    const off = w.indexOf('Administrator logged off (the shell ended with status 0x00000000)');
    expect(off, w.join('\n')).toBeGreaterThan(-1);
    expect(w.indexOf('logon screen', off)).toBeGreaterThan(off);
    expect(w.findIndex((l, i) => i > off && /^shell nsh\.exe \(process \d+\) started for Administrator$/.test(l))).toBeGreaterThan(off);
    expect(output('C:\\Windows\\System32> ', 'cd', 0)).toEqual(['C:\\Windows\\System32']); // a new shell starts in System32
  });

  it('shutdown powers the machine off (NtShutdownSystem from nsh)', () => {
    expect(lines.some((l) => /^ke: shutdown: power off requested by process \d+ \(nsh(\.exe)?\)$/.test(l)), lines.join('\n')).toBe(true);
    expect(result.reason).toBe('exit');
    expect(result.exitCode).toBe(0);
  });

  it('left the files and directories the commands made on the disk', () => {
    const paths = listDisk(after).map((p) => p.toLowerCase());
    const under = paths.filter((p) => p.startsWith('\\nshtest\\')).sort();
    expect(under).toEqual([
      '\\nshtest\\', `\\nshtest\\c.bin  ${smss.length}`, '\\nshtest\\gone\\', '\\nshtest\\kb\\', '\\nshtest\\sub\\', `\\nshtest\\sub\\c.bin  ${smss.length}`, '\\nshtest\\sub2\\',
    ].sort());
    const volume = openDisk(after);
    expect(Buffer.from(volume.readPath('\\nshtest\\c.bin')).equals(Buffer.from(smss))).toBe(true);
    expect(Buffer.from(volume.readPath('\\nshtest\\sub\\c.bin')).equals(Buffer.from(smss))).toBe(true);
  });

  it.skipIf(!FSCK)('fsck.fat -n has nothing to say about the volume', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'nsh-')), 'part.img');
    writeFileSync(path, MbrReadPartition(after).volume);
    const r = spawnSync('fsck.fat', ['-n', path], { encoding: 'utf8' });
    const said = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.trim() && !/^fsck\.fat \d/.test(l) && !l.startsWith(`${path}: `));
    expect(said).toEqual([]);
    expect(r.status).toBe(0);
  });
});

describe('nsh: reboot', () => {
  it('reboot restarts the machine (NtShutdownSystem(ShutdownReboot) from nsh)', async () => {
    const m = await standardMachine({ add: { '\\Windows\\System32\\nshprobe.exe': await probeImage() } });
    const r = await logOn(m, { until: undefined, timeoutMs: 240000, input: [{ after: 'nsh: session 1: prompt', text: 'reboot\r' }] });
    const l = messages(r);
    expect(l).toContain('nsh: Restarting...');
    expect(l.some((x) => /^ke: shutdown: reboot requested by process \d+ \(nsh(\.exe)?\)$/.test(x)), l.join('\n')).toBe(true);
    expect(r.reason).toBe('reset');
  }, 300000);
});
