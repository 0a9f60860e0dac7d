// The kernel debugger on COM2 (kernel/kd, README "The kernel debugger"):
// every query against the system as built (this tree's kernel, System32 and
// hives: test/boot/helpers.ts standardMachine), booted once to the sessions'
// milestone and kept running (a live machine, so no snapshot: the test reads
// the log's earlier lines while it asks), each answer checked against what the log and
// the sources say (the process tree the log tells, the .reg source of the
// SYSTEM hive, the log lines themselves); malformed requests get JSON
// errors and the kernel goes on answering. A second boot runs a ring-3
// thread that raises itself to priority 31 and spins forever in BootExecute
// (test/boot/programs/kdspin.ts): the debugger still answers, and sees it.

import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/build.ts';
import { boot, type BootResult, type Machine } from '../../emulator/node/boot.ts';
import { standardMachine, type Machine as Built } from './helpers.ts';
import { BootLog } from '../../emulator/core/bootlog.ts';
import { formatKdAnswer, parseKdCommand, type KdAnswer } from '../../emulator/core/kd.ts';
import { buildUserImage } from '../../scripts/pe/link.ts';
import { regFindKey, REG_DWORD, REG_EXPAND_SZ, REG_MULTI_SZ, REG_QWORD, REG_SZ, type RegValue } from '../../images/registry/regfile.ts';
import { regTreeFromSources } from '../../images/registry/hive.ts';

const SESSIONS_UP = 'smss: waiting on session 1';

interface Live {
  machine: Machine;
  lines: string[];
  done: Promise<BootResult>;
  stop(): Promise<BootResult>;
}

/** Boots and keeps the machine running once a line contains `milestone`; stop() ends it. */
async function liveBoot(built: Built, milestone: string): Promise<Live> {
  const abort = new AbortController();
  const lines: string[] = [];
  let machine: Machine | undefined;
  let reached!: () => void;
  let failed!: (e: Error) => void;
  const up = new Promise<void>((resolve, reject) => { reached = resolve; failed = reject; });
  const done = boot({
    kernel: built.kernel, disk: built.disk, timeoutMs: 600_000, signal: abort.signal,
    onReady: (m) => { machine = m; },
    onLine: (l) => { lines.push(l); if (l.includes(milestone)) reached(); },
  });
  done.then((r) => failed(new Error(`the boot ended (${r.reason}) before "${milestone}"\n${r.lines.slice(-30).join('\n')}`)));
  await up;
  return { machine: machine!, lines, done, stop: () => { abort.abort(); return done; } };
}

/** The log's lines without the timestamp. */
const message = (l: string) => l.replace(/^\[\s*\d+\.\d+\] /, '');

/** A .reg value as the debugger writes its data. */
function regData(v: RegValue): unknown {
  const text = (b: Uint8Array) => Buffer.from(b).toString('utf16le');
  switch (v.type) {
    case REG_SZ: case REG_EXPAND_SZ: return text(v.data).replace(/\0+$/, '');
    case REG_MULTI_SZ: {
      const parts = text(v.data).split('\0');
      const end = parts.indexOf('');
      return end < 0 ? parts : parts.slice(0, end); // an empty string ends the list
    }
    case REG_DWORD: return Buffer.from(v.data).readUInt32LE(0);
    case REG_QWORD: return Number(Buffer.from(v.data).readBigUInt64LE(0));
    default: return Buffer.from(v.data).toString('hex');
  }
}
const TYPE_NAMES: Record<number, string> = { 0: 'REG_NONE', 1: 'REG_SZ', 2: 'REG_EXPAND_SZ', 3: 'REG_BINARY', 4: 'REG_DWORD', 6: 'REG_LINK', 7: 'REG_MULTI_SZ', 11: 'REG_QWORD' };

type Row = Record<string, any>;

describe('kernel debugger on COM2', () => {
  let live: Live;
  let log: BootLog;
  const kd = (q: string, args: Record<string, string | number> = {}) => live.machine.kd(q, args);

  beforeAll(async () => {
    live = await liveBoot(await standardMachine(), SESSIONS_UP);
    log = new BootLog();
    for (const l of live.lines) log.push(l);
  }, 600_000);
  afterAll(async () => { await live?.stop(); });

  it('announces itself on the log and answers help with every query', async () => {
    expect(live.lines.some((l) => /kd: kernel debugger on COM2 \(0x2F8, IRQ 3\)/.test(l))).toBe(true);
    const a = await kd('help');
    expect(a.id).toBeTypeOf('number');
    expect(a.queries).toEqual(['process', 'thread', 'object', 'handle', 'pool', 'reg', 'session', 'log', 'help']);
  });

  it('process: the tree the log tells (smss a child of System, csrss in sessions 0 and 1)', async () => {
    const a = await kd('process');
    const ps = a.processes as Row[];
    const system = ps.find((p) => p.pid === 4)!;
    expect(system).toMatchObject({ name: 'System', parent: 0, session: 0 });
    // the one smss.exe left is System's child; its session copies have ended
    const smss = ps.filter((p) => p.name === 'smss.exe');
    expect(smss).toHaveLength(1);
    expect(smss[0]).toMatchObject({ parent: 4, session: 0, critical: true, basePriority: 11 });
    expect(smss[0].threads).toBeGreaterThanOrEqual(1);
    const csrss = ps.filter((p) => p.name === 'csrss.exe');
    expect(csrss.map((p) => p.session).sort()).toEqual([0, 1]);
    // every user process as the log's "created" lines say: parent and session
    for (const p of ps.filter((x) => x.pid !== 4)) {
      const known = log.processes.get(p.pid);
      expect(known, `process ${p.pid} ${p.name} on the log`).toBeDefined();
      expect({ pid: p.pid, name: p.name, parent: p.parent, session: p.session }).toEqual({ pid: known!.pid, name: known!.name, parent: known!.parent, session: known!.session });
      expect(known!.exited).toBeUndefined();
    }
    // and every process the log says is still running is listed
    const running = [...log.processes.values()].filter((p) => p.exited === undefined && p.pid !== 4).map((p) => p.pid).sort((x, y) => x - y);
    expect(ps.filter((p) => p.pid !== 4).map((p) => p.pid).sort((x, y) => x - y)).toEqual(running);
    expect(formatKdAnswer(a)).toMatch(/smss\.exe/);
  });

  it('thread: one process\'s threads with state, priority and wait reason', async () => {
    const smss = ((await kd('process')).processes as Row[]).find((p) => p.name === 'smss.exe')!;
    const a = await kd('thread', { pid: smss.pid });
    const threads = a.threads as Row[];
    expect(threads).toHaveLength(smss.threads);
    for (const t of threads) {
      expect(t.pid).toBe(smss.pid);
      expect(['Initialized', 'Ready', 'Running', 'Standby', 'Terminated', 'Waiting']).toContain(t.state);
      expect(t.basePriority).toBe(11);
    }
    // smss waits on its sessions' processes and its API port: user-mode waits
    const waiting = threads.filter((t) => t.state === 'Waiting');
    expect(waiting.length).toBeGreaterThan(0);
    for (const t of waiting) {
      expect(t.wait).toBe('UserRequest');
      expect(['Event', 'Mutant', 'Process', 'Semaphore', 'Thread', 'Timer']).toContain(t.waitObject);
    }
    const all = (await kd('thread')).threads as Row[];
    expect(all.length).toBeGreaterThan(threads.length);
    expect((await kd('thread', { pid: 99999 })).error).toMatch(/no process/);
  });

  it('object: \\ with its directories, types and link targets', async () => {
    const root = await kd('object', { path: '\\' });
    expect(root.type).toBe('Directory');
    const entries = new Map((root.entries as Row[]).map((e) => [e.name, e]));
    for (const dir of ['ObjectTypes', 'Sessions', 'KnownDlls', 'Device']) expect(entries.get(dir)?.type, dir).toBe('Directory');
    expect(entries.get('SmApiPort')?.type).toBe('Port');
    // \SystemRoot's target is what the I/O manager's line says it made
    const ioLine = live.lines.map(message).find((l) => l.startsWith('io: \\??\\C: -> '))!;
    const target = /\\SystemRoot -> (\S+)/.exec(ioLine)![1];
    expect(entries.get('SystemRoot')).toEqual({ name: 'SystemRoot', type: 'SymbolicLink', target });
    const types = await kd('object', { path: '\\ObjectTypes' });
    const typeNames = (types.entries as Row[]).map((e) => e.name);
    for (const t of ['Directory', 'SymbolicLink', 'Process', 'Thread', 'Event', 'Port', 'Key', 'File']) expect(typeNames).toContain(t);
    expect(new Set((types.entries as Row[]).map((e) => e.type))).toEqual(new Set(['Type']));
    const known = await kd('object', { path: '\\KnownDlls' });
    const knownEntries = known.entries as Row[];
    expect(knownEntries.find((e) => e.name === 'ntdll.dll')?.type).toBe('Section');
    const smssLine = live.lines.map(message).find((l) => l.startsWith('smss: KnownDlls:'))!;
    expect(knownEntries.find((e) => e.name === 'KnownDllPath')).toEqual({ name: 'KnownDllPath', type: 'SymbolicLink', target: /KnownDllPath -> (\S+)/.exec(smssLine)![1] });
    const session1 = await kd('object', { path: '\\Sessions\\1\\Windows' });
    expect((session1.entries as Row[]).map((e) => e.name)).toContain('ApiPort');
    const link = await kd('object', { path: '\\DosDevices' });
    expect(link).toMatchObject({ type: 'SymbolicLink', target: '\\??' });
    expect(link.entries).toBeUndefined();
    expect((await kd('object', { path: '\\NoSuchThing' })).error).toMatch(/no object/);
  });

  it('handle: csrss holds handles to its named ports; counts match the list', async () => {
    const ps = (await kd('process')).processes as Row[];
    for (const c of ps.filter((p) => p.name === 'csrss.exe')) {
      const a = await kd('handle', { pid: c.pid });
      expect(a.count).toBeGreaterThan(0);
      expect(a.count).toBe(c.handles);
      const handles = a.handles as Row[];
      expect(handles).toHaveLength(a.count as number);
      for (const h of handles) expect(h.handle % 4).toBe(0);
      const dir = c.session === 0 ? '\\Windows' : `\\Sessions\\${c.session}\\Windows`;
      expect(handles.filter((h) => h.type === 'Port').map((h) => h.name)).toEqual(expect.arrayContaining([`${dir}\\ApiPort`, `${dir}\\SbApiPort`]));
    }
    const all = await kd('handle');
    expect((all.processes as Row[]).map((p) => [p.pid, p.handles])).toEqual(ps.map((p) => [p.pid, p.handles]));
  });

  it('pool: usage by tag adds up to the total', async () => {
    const a = await kd('pool');
    const tags = a.tags as Row[];
    const names = tags.map((t) => t.tag);
    for (const t of ['Proc', 'Thrd', 'ObDi', 'CmKy']) expect(names).toContain(t);
    expect(tags.reduce((s, t) => s + t.bytes, 0)).toBe(a.bytes);
    expect(tags.reduce((s, t) => s + t.allocs - t.frees, 0)).toBe(a.allocations);
    expect(a.pages).toBeGreaterThan(0);
  });

  it('reg: Session Manager\'s key as SYSTEM.reg has it (through CurrentControlSet)', async () => {
    const a = await kd('reg', { key: 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager' });
    expect(a.error).toBeUndefined();
    const tree = regTreeFromSources([{ text: readFileSync(join(ROOT, 'images/registry/SYSTEM.reg')), fileName: 'SYSTEM.reg' }]);
    const key = regFindKey(tree, ['ControlSet001', 'Control', 'Session Manager'])!;
    expect((a.subkeys as string[]).map((s) => s.toUpperCase()).sort()).toEqual([...key.subkeys.keys()].sort());
    const values = a.values as Row[];
    expect(values.map((v) => v.name.toUpperCase()).sort()).toEqual([...key.values.keys()].sort());
    for (const v of values) {
      const source = key.values.get(v.name.toUpperCase())!;
      expect({ name: v.name, type: v.type, data: v.data }).toEqual({ name: source.name, type: TYPE_NAMES[source.type], data: regData(source) });
    }
    // the same key by its kernel name, and the link key itself
    const same = await kd('reg', { key: '\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Control\\Session Manager' });
    expect(same.values).toEqual(a.values);
    expect((await kd('reg', { key: 'HKLM\\SYSTEM\\NoSuchKey' })).error).toMatch(/no such key/);
    expect((await kd('reg', { key: 'HKCU\\Software' })).error).toMatch(/starts with/);
  });

  it('session: sessions 0 and 1 with their processes; session 1 is active', async () => {
    const a = await kd('session');
    const ps = (await kd('process')).processes as Row[];
    const sessions = a.sessions as Row[];
    expect(sessions.map((s) => s.id)).toEqual([0, 1]);
    expect(a.active).toBe(1);
    for (const s of sessions) {
      expect(s.pids.sort()).toEqual(ps.filter((p) => p.session === s.id).map((p) => p.pid).sort());
      expect(s.processes).toBe(s.pids.length);
      expect(s.win32k).toBe(true);
    }
  });

  it('log: the last N lines are the lines COM1 carried', async () => {
    const a = await kd('log', { n: 5 });
    const lines = a.lines as string[];
    expect(lines).toHaveLength(5);
    expect(a.returned).toBe(5);
    expect(a.total).toBeGreaterThan(100);
    // COM1 may still be sending the newest: wait for it
    for (let i = 0; i < 100 && !live.lines.includes(lines[4]); i++) await new Promise((r) => setTimeout(r, 50));
    const at = live.lines.indexOf(lines[4]);
    expect(at, `"${lines[4]}" on COM1`).toBeGreaterThanOrEqual(0);
    expect(live.lines.slice(at - 4, at + 1)).toEqual(lines);
    const many = await kd('log', { n: 10000 });
    expect((many.lines as string[]).length).toBe(many.returned);
    expect(many.returned as number).toBeGreaterThan(50);
    expect((many.lines as string[])[0]).toMatch(/^\[\s*\d+\.\d{6}\] [a-z0-9.]+: /);
  });

  it('malformed requests get JSON errors and the kernel goes on answering', async () => {
    const m = live.machine;
    const bad: Array<[string, RegExp, number | null]> = [
      ['garbage', /JSON object/, null],
      ['{"id":"x","q":"process"}', /id must be a number/, null],
      ['{"id":3,"q":"process"', /expected/, 3],
      ['{"id":4,"q":"process",}', /member name/, 4],
      ['{"id":5,"q":["process"]}', /arrays/, 5],
      ['{"id":6,"q":"process"} trailing', /after the object/, 6],
      ['{"id":1.5,"q":"process"}', /whole numbers/, null],
      ['{"id":99999999999,"q":"process"}', /too large/, null],
      ['{"id":7,"q":"nope"}', /unknown query/, 7],
      ['{"id":8}', /no query/, 8],
      ['{"id":9,"q":"pro\\qcess"}', /bad escape/, 9],
      ['{"id":10,"q":"reg"}', /needs a key/, 10],
      [`{"id":11,"q":"object","path":"${'A'.repeat(2000)}"}`, /too long/, null],
      ['\u0000\u00ff\u0001{', /JSON object/, null],
    ];
    for (const [line, error, id] of bad) {
      const a = await m.kdRaw(line);
      expect(a.error, line.slice(0, 60)).toMatch(error);
      expect(a.id, line.slice(0, 60)).toBe(id);
    }
    // unknown members are skipped; numbers, literals and escapes in strings are read
    const ok = await m.kdRaw('  {"q":"object", "x":true, "y":null, "z":-1, "id":12, "path":"\\\\Kernel\\u004fbjects"}  ');
    expect(ok).toMatchObject({ id: 12, q: 'object', path: '\\KernelObjects', type: 'Directory' });
    expect(((await kd('process')).processes as Row[]).length).toBeGreaterThan(5);
    expect(live.lines.some((l) => /STOP/.test(l))).toBe(false);
  });

  it('the prompt\'s command names map to queries', () => {
    expect(parseKdCommand('!process')).toEqual({ q: 'process', args: {} });
    expect(parseKdCommand('!object \\Sessions\\1')).toEqual({ q: 'object', args: { path: '\\Sessions\\1' } });
    expect(parseKdCommand('!handle 0x14')).toEqual({ q: 'handle', args: { pid: 20 } });
    expect(parseKdCommand('!reg HKLM\\SYSTEM\\Select')).toEqual({ q: 'reg', args: { key: 'HKLM\\SYSTEM\\Select' } });
    expect(parseKdCommand('!log 50')).toEqual({ q: 'log', args: { n: 50 } });
    expect(parseKdCommand('!thread x')).toMatch(/takes a process id/);
    expect(parseKdCommand('!bogus')).toMatch(/unknown command/);
  });
});

describe('kernel debugger while ring 3 spins at priority 31', () => {
  let live: Live;
  beforeAll(async () => {
    const spin = (await buildUserImage('test/boot/programs/kdspin.ts', { name: 'kdspin.exe' })).bytes;
    const multiSz = 'hex(7):' + [...Buffer.from('kdspin\0\0', 'utf16le')].map((b) => b.toString(16)).join(',');
    const reg = 'Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Session Manager]\r\n'
      + `"BootExecute"=${multiSz}\r\n`;
    live = await liveBoot(await standardMachine({ reg, add: { '\\Windows\\System32\\kdspin.exe': spin } }), 'kdspin: priority 31');
  }, 600_000);
  afterAll(async () => { await live?.stop(); });

  it('answers every query, and shows the spinning thread running at 31 in user mode', async () => {
    expect(live.lines.find((l) => l.includes('kdspin: priority 31'))).toMatch(/0x00000000; spinning in user mode/);
    const ps = (await live.machine.kd('process')).processes as Row[];
    const spinner = ps.find((p) => p.name === 'kdspin.exe')!;
    expect(spinner).toBeDefined();
    const threads = (await live.machine.kd('thread', { pid: spinner.pid })).threads as Row[];
    expect(threads).toHaveLength(1);
    expect(threads[0]).toMatchObject({ state: 'Running', priority: 31, mode: 'User', wait: null });
    // smss waits for its BootExecute entry, which never ends
    const smss = ps.find((p) => p.name === 'smss.exe')!;
    expect(spinner.parent).toBe(smss.pid);
    for (const q of ['object', 'handle', 'pool', 'session', 'log', 'help']) {
      const a: KdAnswer = await live.machine.kd(q, q === 'object' ? { path: '\\' } : q === 'handle' ? { pid: smss.pid } : {});
      expect(a.error, q).toBeUndefined();
    }
    const reg = await live.machine.kd('reg', { key: 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager' });
    expect((reg.values as Row[]).find((v) => v.name === 'BootExecute')?.data).toEqual(['kdspin']);
    // the spinner is still at it: the last log line is its own, and still no later line
    const tail = (await live.machine.kd('log', { n: 1 })).lines as string[];
    expect(tail[0]).toMatch(/kdspin: priority 31/);
    // and it stays in the running state across many answers
    for (let i = 0; i < 5; i++) {
      const again = (await live.machine.kd('thread', { pid: spinner.pid })).threads as Row[];
      expect(again[0]).toMatchObject({ state: 'Running', priority: 31 });
    }
  });
});

describe('npm run kd and npm start -- --kd, against a saved machine state', () => {
  let dir: string;
  const files = { kernel: '', disk: '', state: '', socket: '' };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kd-'));
    const m = await standardMachine();
    Object.assign(files, { kernel: join(dir, 'ntoskrnl.bin'), disk: join(dir, 'disk.img'), state: join(dir, 'state.bin'), socket: join(dir, 'kd.sock') });
    writeFileSync(files.kernel, m.kernel);
    writeFileSync(files.disk, m.disk!);
    const r = await boot({ kernel: m.kernel, disk: m.disk, until: SESSIONS_UP, timeoutMs: 600_000, snapshot: files.state });
    expect(r.reason).toBe('marker');
  }, 600_000);
  afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  const kdScript = (args: string[]) => promisify(execFile)('node', ['--import', 'tsx', join(ROOT, 'scripts/kd.ts'), ...args], { cwd: ROOT, timeout: 300_000 });

  it('--snapshot: restores the state headless and prints the answers', async () => {
    const { stdout } = await kdScript(['--snapshot', files.state, '--kernel', files.kernel, '--disk', files.disk, '!session', '!object \\KnownDlls']);
    expect(stdout).toMatch(/^active session: 1\n/);
    expect(stdout).toMatch(/^1 +2 +\d+ +true +\d+ \d+$/m);
    expect(stdout).toMatch(/^KnownDllPath +SymbolicLink +C:\\Windows\\system32$/m);
    const json = await kdScript(['--snapshot', files.state, '--kernel', files.kernel, '--disk', files.disk, '--json', '!process']);
    const answer = JSON.parse(json.stdout.trim()) as KdAnswer;
    expect((answer.processes as Row[]).find((p) => p.name === 'smss.exe')).toMatchObject({ parent: 4 });
    await expect(kdScript(['--snapshot', files.state, '--kernel', files.kernel, '--disk', files.disk, '!bogus'])).rejects.toMatchObject({ code: 1 });
  }, 600_000);

  it('npm start -- --kd=SOCKET serves COM2 to npm run kd -- --socket', async () => {
    const child = spawn('node', ['--import', 'tsx', join(ROOT, 'emulator/node/cli.ts'), '--restore', files.state, '--kernel', files.kernel,
      '--disk', files.disk, `--kd=${files.socket}`, '--quiet', '--no-interactive', '--timeout', '280'], { cwd: ROOT });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); if (stderr.includes('gives a prompt')) resolve(); });
        child.on('exit', () => reject(new Error(`npm start ended: ${stderr}`)));
      });
      expect(stderr).toContain(`kd: kernel debugger (COM2, JSON lines) on ${files.socket}`);
      const { stdout } = await kdScript(['--socket', files.socket, '!handle', '!log 200']);
      expect(stdout).toMatch(/^pid +name +handles$/m);
      expect(stdout).toMatch(/^\d+ +csrss\.exe +[1-9]\d*$/m);
      expect(stdout).toMatch(/smss: waiting on session 1/);
    } finally {
      child.kill('SIGINT');
      await exited;
    }
    expect(stderr).toMatch(/boot: stopped \(Ctrl\+C\)/);
  }, 600_000);
});

describe('a run that misses its milestone shows what every thread waits on', () => {
  it('the timeout adds the kernel debugger\'s thread list to the lines (and not when turned off)', async () => {
    const { bootUntil, LOGON_SCREEN } = await import('./helpers.ts');
    const m = await standardMachine();
    const r = await bootUntil(m, 'a line no boot prints', { from: LOGON_SCREEN, timeoutMs: 4000 });
    expect(r.timedOut).toBe(true);
    const host = r.lines.filter((l) => l.startsWith('[host] '));
    expect(host[0]).toBe('[host] timed out; the kernel debugger\'s thread list at that moment:');
    expect(host[1]).toMatch(/^\[host\] tid\s+pid\s+name\s+state/);
    // the logon screen waits for keys: winlogon's thread is there, waiting; System's too
    expect(host).toContainEqual(expect.stringMatching(/^\[host\] \d+\s+\d+\s+winlogon\.exe\s+Waiting\s/));
    expect(host).toContainEqual(expect.stringMatching(/^\[host\] 4\s+4\s+System\s/));
    const quiet = await bootUntil(m, 'a line no boot prints', { from: LOGON_SCREEN, timeoutMs: 2000, kdOnTimeout: false });
    expect(quiet.timedOut).toBe(true);
    expect(quiet.lines.filter((l) => l.startsWith('[host] '))).toEqual([]);
  }, 300_000);
});
