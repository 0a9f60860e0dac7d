// The log library (emulator/core/bootlog.ts) and `npm run log`, on logs saved
// from real boots (test/emulator/logs/: a default boot with `npm start`, and
// the double-free self-test's bug check) and on handcrafted bug check blocks.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BootLog, levelOf, parseBootLog } from '../../emulator/core/bootlog.ts';
import { summaryText, timelineText, treeText } from '../../emulator/core/logtext.ts';
import { logMain } from '../../emulator/node/logcmd.ts';

const LOGS = join(dirname(fileURLToPath(import.meta.url)), 'logs');
const bootText = readFileSync(join(LOGS, 'boot.log'), 'latin1');
const doubleFreeText = readFileSync(join(LOGS, 'double-free.log'), 'latin1');
const smssText = readFileSync(join(LOGS, 'boot-smss.log'), 'latin1');

const line = (s: number, c: string, m: string) => `[${s.toFixed(6).padStart(12)}] ${c}: ${m}`;

describe('a real boot log', () => {
  const log = parseBootLog(bootText);

  it('reads every line as a log event with its time and component', () => {
    expect(log.events.length).toBe(bootText.trimEnd().split('\n').length);
    expect(log.events.every((e) => e.kind === 'log')).toBe(true);
    // times never go backwards
    for (let i = 1; i < log.events.length; i++) expect(log.events[i].seconds).toBeGreaterThanOrEqual(log.events[i - 1].seconds);
    expect(log.grep('smss').map((e) => e.message)).toEqual(bootText.split('\n').filter((l) => /\] smss: /.test(l)).map((l) => l.replace(/^.*\] smss: /, '')));
  });

  it('finds the milestones in boot order, each at the line that reached it', () => {
    const ids = log.milestones.map((m) => m.id);
    expect(ids.slice(0, 4)).toEqual(['kernel', 'interrupts', 'memory', 'phase0']);
    for (const id of ['volume', 'hive', 'ntdll', 'smss', 'smss-running', 'idle']) expect(ids).toContain(id);
    for (let i = 1; i < log.milestones.length; i++) expect(log.milestones[i].index).toBeGreaterThan(log.milestones[i - 1].index);
    const hive = log.milestones.find((m) => m.id === 'hive')!;
    expect(log.events[hive.index].message).toMatch(/^loaded \\SystemRoot\\System32\\config\\SYSTEM: \d+ keys/);
    expect(log.lastMilestone?.id).toBe('idle');
  });

  it('builds the process tree: smss.exe, child of System, in session 0', () => {
    const smss = [...log.processes.values()].find((p) => p.name === 'smss.exe')!;
    expect(smss).toBeDefined();
    expect(smss.imagePath).toBe('\\SystemRoot\\System32\\smss.exe');
    expect(smss.parent).toBe(4);
    expect(smss.session).toBe(0);
    expect(smss.exited).toBeUndefined();
    expect(log.processes.get(4)?.name).toBe('System');
    const tree = log.tree();
    expect(tree.map((n) => n.process.pid)).toEqual([4]);
    expect(tree[0].children.map((n) => n.process.name)).toEqual(['smss.exe']);
    expect(log.sessions()).toEqual([{ id: 0, processes: [smss.pid] }]);
    expect(treeText(log)[1]).toMatch(/^ {2}└ \\SystemRoot\\System32\\smss\.exe \(pid \d+, parent 4, session 0\) running since/);
  });

  it('has no bug check, warnings or errors; the summary names the last milestone', () => {
    expect(log.stop).toBeUndefined();
    expect(log.counts()).toEqual({});
    const summary = summaryText(log).join('\n');
    expect(summary).toContain('no bug check; last milestone: phase 1 done (idle loop)');
    expect(summary).toMatch(/ {5}0\.\d{6} {2}SYSTEM hive loaded/);
  });

  it('draws a timeline: phases between milestones, smss steps, processes', () => {
    const t = log.timeline();
    const phases = t.filter((e) => e.kind === 'phase');
    expect(phases.length).toBe(log.milestones.length);
    // every log line up to the last milestone belongs to exactly one phase or smss step
    const covered = new Set([...phases.flatMap((p) => p.lines), ...t.filter((e) => e.kind === 'smss').flatMap((e) => e.lines)]);
    expect(covered.size).toBe(log.lastMilestone!.index + 1);
    const smss = t.find((e) => e.kind === 'process' && e.label.startsWith('smss.exe'))!;
    expect(smss.end).toBeUndefined();
    expect(smss.session).toBe(0);
    const text = timelineText(log, 40);
    expect(text.length).toBe(t.length + 1);
    for (const row of text.slice(1)) expect(row).toMatch(/\|[ =#!>-]{40,41}\| \d/);
  });
});

describe('a real boot log with the Session Manager at work', () => {
  const log = parseBootLog(smssText);
  it("finds smss's steps as milestones and smss critical in session 0", () => {
    const ids = log.milestones.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['smss', 'smss-running', 'bootexecute', 'renames', 'knowndlls', 'subsystems']));
    expect(ids.indexOf('bootexecute')).toBeLessThan(ids.indexOf('renames'));
    const smss = log.processes.get(8)!;
    expect(smss.critical).toBe(true);
    expect(smss.session).toBe(0);
    // the failed paging file calls count as errors of smss
    const failed = log.grep('smss').filter((e) => /failed - Status == /.test(e.message)).length;
    expect(log.counts().smss.errors).toBe(failed);
  });
  it('each smss step runs from the step before it to its own line', () => {
    const steps = log.timeline().filter((e) => e.kind === 'smss');
    expect(steps.length).toBe(log.grep('smss').length);
    for (let i = 1; i < steps.length; i++) expect(steps[i].start).toBe(steps[i - 1].end);
    expect(steps.map((s) => s.label)).toEqual(expect.arrayContaining(['BootExecute', 'renames', 'KnownDlls']));
  });
});

describe('a real bug check (double free in the pool self-test)', () => {
  const log = parseBootLog(doubleFreeText);
  it('decodes the STOP block: name, parameters explained', () => {
    expect(log.stop).toBeDefined();
    const s = log.stop!;
    expect(s.code).toBe(0xc2);
    expect(s.name).toBe('BAD_POOL_CALLER');
    expect(s.params.map((p) => p.value)).toEqual([7, 0x74736554, 0x80800008, 0x74736554]);
    expect(s.params[0].meaning).toMatch(/7 = double free/);
    expect(log.events[s.index].kind).toBe('stop');
    expect(log.counts().stop).toEqual({ errors: 1, warnings: 0 });
    expect(summaryText(log).join('\n')).toMatch(/bug check:\n {2}STOP 0x000000C2 BAD_POOL_CALLER: .*\n {4}p1 0x00000007 /);
  });
  it('`npm run log` exits 2 on a log that ends in a bug check', () => {
    let out = '';
    expect(logMain([join(LOGS, 'double-free.log')], (s) => (out += s))).toBe(2);
    expect(out).toContain('STOP 0x000000C2 BAD_POOL_CALLER');
  });
});

describe('handcrafted bug check blocks', () => {
  it('0xEF names the critical process that died, from the log', () => {
    const log = parseBootLog([
      line(0.01, 'ps', 'System process (pid 4)'),
      line(0.2, 'ps', 'process 8 (smss.exe) created from its image at 0x00400000, entry 0x00401000, parent 4, session 0'),
      line(0.21, 'ps', 'process 8 is critical: its end stops the system'),
      line(0.3, 'ps', 'process 12 (csrss.exe) created from its image at 0x00400000, entry 0x00401000, parent 8, session 1'),
      line(0.4, 'ps', 'process 12 (csrss.exe) exited with status 0x00000000'),
      line(0.5, 'ps', 'process 8 (smss.exe) exited with status 0xC0000005'),
      '*** STOP: 0x000000EF (0x80A1B000, 0x00000000, 0x00000000, 0x00000000)',
      'CRITICAL_PROCESS_DIED',
    ].join('\n'));
    const s = log.stop!;
    expect(s.name).toBe('CRITICAL_PROCESS_DIED');
    expect(s.process?.pid).toBe(8);
    expect(s.params[0].explained).toBe('process 8 (smss.exe), exit status 0xC0000005 STATUS_ACCESS_VIOLATION');
    expect(log.processes.get(8)!.critical).toBe(true);
    expect(log.processes.get(12)!.session).toBe(1);
    expect(log.sessions().map((x) => x.id)).toEqual([0, 1]);
    expect(log.tree()[0].children[0].children[0].process.name).toBe('csrss.exe');
  });

  it("0xC000021A reads back the process's name from the block and explains the status", () => {
    const log = parseBootLog([
      line(1.0, 'smss', 'KnownDlls: \\SystemRoot\\System32\\kernel32.dll is not a DLL'),
      '*** STOP: 0xC000021A (0xE1001234, 0xC000007B, 0x00000000, 0x00000000)',
      'STATUS_SYSTEM_PROCESS_TERMINATED',
      'The Session Manager Initialization system process terminated unexpectedly with a status of 0xC000007B (0x00000000 0x00000000).',
      'The system has been shut down.',
    ].join('\r\n'));
    const s = log.stop!;
    expect(s.processName).toBe('Session Manager Initialization');
    expect(s.params[0].explained).toBe('"Session Manager Initialization"');
    expect(s.params[1].explained).toBe('STATUS_INVALID_IMAGE_FORMAT');
    expect(s.text).toHaveLength(2);
    const text = summaryText(log).join('\n');
    expect(text).toContain("p1 0xE1001234 address of the kernel's copy of the process's description = \"Session Manager Initialization\"");
    expect(text).toContain('p2 0xC000007B its status = STATUS_INVALID_IMAGE_FORMAT');
  });

  it('0x6D explains the failed status; an unknown code keeps the kernel name line', () => {
    const a = parseBootLog('*** STOP: 0x0000006D (0xC0000034, 0x00000000, 0x00000000, 0x00000000)\nSESSION1_INITIALIZATION_FAILED\n');
    expect(a.stop!.params[0].explained).toBe('STATUS_OBJECT_NAME_NOT_FOUND');
    const b = parseBootLog('*** STOP: 0x00001234 (0x00000001, 0x00000002, 0x00000003, 0x00000004)\nMY_OWN_BUGCHECK\n');
    expect(b.stop!.name).toBe('MY_OWN_BUGCHECK');
    const c = parseBootLog('*** STOP: 0x00001234 (0x00000001, 0x00000002, 0x00000003, 0x00000004)\n');
    expect(c.stop!.name).toBe('UNKNOWN_BUGCHECK_CODE');
  });

  it('reads QEMU -serial file: logs (escape codes, CR LF)', () => {
    const log = parseBootLog('\x1bc\x1b[?7l' + line(0, 'ke', 'NT-style kernel 0.1 (wasm2x86) starting') + '\r\n' + line(0.5, 'ke', 'idle loop') + '\r\n');
    expect(log.milestones.map((m) => m.id)).toEqual(['kernel', 'idle']);
  });

  it('is fed live: milestones and processes announce themselves as lines arrive', () => {
    const seen: string[] = [];
    const log = new BootLog();
    log.onChange = (what, e) => seen.push(`${what}:${e.index}`);
    log.push(line(0, 'ke', 'scheduler: 32 priorities'));
    log.push(line(0.1, 'ps', 'System process (pid 4)'));
    log.push(line(0.2, 'xx', 'nothing special'));
    expect(seen).toEqual(['event:0', 'milestone:0', 'event:1', 'process:1', 'event:2']);
  });

  it('counts warnings and errors by how the message reads', () => {
    expect(levelOf('cannot start \\SystemRoot\\System32\\smss.exe: open failed, status 0xC0000034')).toBe('error');
    expect(levelOf('autochk.exe program not found - skipping AUTOCHECK')).toBe('warning');
    expect(levelOf('mounted \\Device\\Harddisk0\\Partition1')).toBe('info');
  });
});

describe('npm run log', () => {
  const run = (...args: string[]) => {
    let out = '';
    let err = '';
    const code = logMain(args, (s) => (out += s), (s) => (err += s));
    return { code, out, err };
  };
  it('--tree, --grep, --json, --timeline', () => {
    const file = join(LOGS, 'boot.log');
    expect(run(file, '--tree').out).toMatch(/^System \(pid 4, critical\)/);
    const grep = run(file, '--grep', 'cm').out.trim().split('\n');
    expect(grep.length).toBe(bootText.split('\n').filter((l) => l.includes('] cm: ')).length);
    const json = JSON.parse(run(file, '--json').out);
    expect(json.milestones.at(-1).id).toBe('idle');
    expect(json.stop).toBeNull();
    expect(run(file, '--timeline').out.split('\n')[0]).toMatch(/\|0\.000 s +5\.\d{3} s\|/);
  });
  it('refuses unknown options and unreadable files with exit 4 and one line', () => {
    const a = run('--frobnicate');
    expect(a.code).toBe(4);
    expect(a.err).toBe('log: unknown option: --frobnicate (see --help)\n');
    const b = run('/nonexistent/x.log');
    expect(b.code).toBe(4);
    expect(b.err).toBe('log: cannot read /nonexistent/x.log: ENOENT\n');
    expect(run().code).toBe(4);
  });
});
