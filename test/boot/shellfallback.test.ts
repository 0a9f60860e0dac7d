// winlogon's fallback shell: when SOFTWARE\Microsoft\Windows NT\CurrentVersion
// \Winlogon `Shell` names an image that cannot start, winlogon says so and
// starts defshell.exe instead. Driven from the logon screen's snapshot: log on
// (nsh.exe, the Shell the image ships), point `Shell` at a missing image with
// nsh's `reg add`, log off, log on again: defshell says who is logged on and
// a key on COM1 logs off back to the logon screen. The Shell value is read
// afresh at each logon, so the change needs no reboot.

import { beforeAll, describe, expect, it } from 'vitest';
import { logOn, messages, standardMachine, type BootResult } from './helpers.ts';

const W = 'winlogon: session 1: ';
const KEY = '"HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon"';
const STEPS = [`reg add ${KEY} Shell REG_SZ nothere.exe\r`, 'logoff\r'];

let result: BootResult;
let lines: string[] = [];

beforeAll(async () => {
  const m = await standardMachine({});
  let machine: { send(text: string): void } | undefined;
  let sent = 0, screens = 0, keyed = false;
  // The logon screen comes back twice live (the snapshot's is the first): after nsh's log-off
  // (log on again), after defshell's (the user name `shutdown` powers off: the run's end).
  result = await logOn(m, {
    until: undefined,
    timeoutMs: 480000,
    onReady: (mm) => { machine = mm; },
    onLine: (line) => {
      const l = line.replace(/^\[\s*\d+\.\d+\] /, '');
      if (/^nsh: [^>]*> $/.test(l) && sent < STEPS.length) machine?.send(STEPS[sent++]);
      else if (l === `${W}user name:`) machine?.send(++screens === 1 ? 'Administrator\r' : 'shutdown\r');
      else if (l === `${W}password:` && screens === 1) machine?.send('password\r');
      else if (/^defshell: .* press a key to log off$/.test(l) && !keyed) { keyed = true; machine?.send('x'); }
    },
  });
  lines = messages(result);
}, 600000);

describe('winlogon: a Shell that cannot start', () => {
  it('falls back to defshell.exe, naming the Shell and its status', () => {
    expect(result.stop, lines.join('\n')).toBeUndefined();
    expect(lines, lines.join('\n')).toContain(`${W}the Shell "nothere.exe" cannot start - Status == 0xC0000034; starting defshell.exe`);
    expect(lines.some((l) => /^winlogon: session 1: shell defshell\.exe \(process \d+\) started for Administrator$/.test(l))).toBe(true);
  });

  it('runs defshell for the user, whose key on COM1 logs off back to the logon screen', () => {
    const said = lines.find((l) => l.startsWith('defshell: '));
    expect(said, lines.join('\n')).toMatch(/^defshell: NTWASM86\\Administrator is logged on in session 1 \(process \d+\); press a key to log off$/);
    expect(lines).toContain('defshell: Administrator logs off (a key on COM1)');
    const off = lines.lastIndexOf(`${W}Administrator logged off (the shell ended with status 0x00000000)`);
    expect(off).toBeGreaterThan(lines.indexOf('defshell: Administrator logs off (a key on COM1)'));
    expect(lines.slice(off)).toContain(`${W}user name:`);
    expect(result.reason, lines.join('\n')).toBe('exit');
  });

  it('kept the first logon on nsh.exe, the Shell the image ships', () => {
    const first = lines.find((l) => /^winlogon: session 1: shell \S+ \(process \d+\) started for Administrator$/.test(l));
    expect(first).toMatch(/shell nsh\.exe /);
  });
});
