// The Session Manager's initialization (smss/, SMSS.md steps 1-4g) on the
// emulated machine, with the real smss.exe and ntdll.dll on the disk and the
// registry varied by .reg overlays, as a user would edit it. A test program
// (programs/smsschild.ts, linked as a PE32 .exe) runs from BootExecute and
// reports what smss made: the environment, \??\NUL, \??\COM1, a subst
// drive, the object directories, \KnownDlls. The disk the guest left is read
// back with our FAT and regf readers, fsck.fat and hivexsh.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { boot } from '../../emulator/node/boot.ts';
import { buildDisk, openDisk, SYSTEM_HIVE_PATH } from '../../images/build.ts';
import { buildSystem32 } from '../../images/system32.ts';
import { MbrReadPartition } from '../../images/disk/mbr.ts';
import { RegfReader } from '../../images/registry/regf-reader.ts';
import { type RegKey } from '../../images/registry/regfile.ts';
import { buildUserImage } from '../../scripts/pe/link.ts';
import { msg } from './usermode.ts';
import { complaintsBesidesDirty } from './fsckdirty.ts';
import { mingwPrograms } from '../mingw/build.ts';

const tmp = mkdtempSync(join(tmpdir(), 'smss-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function has(tool: string): boolean {
  try { execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'pipe' }); return true; } catch { return false; }
}

const SM = 'HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Session Manager';
const hexBytes = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(',');
const utf16z = (s: string) => new Uint8Array(Buffer.from(`${s}\0`, 'utf16le'));
/** A REG_MULTI_SZ in .reg syntax: each string with its NUL, then the list's NUL. */
const multi = (list: string[]) => `hex(7):${hexBytes(new Uint8Array(Buffer.from(list.map((s) => `${s}\0`).join('') + '\0', 'utf16le')))}`;
const expand = (s: string) => `hex(2):${hexBytes(utf16z(s))}`;
const regText = (s: string) => `"${s.replace(/\\/g, '\\\\')}"`;

let kernel: Uint8Array;
let system32: Map<string, Uint8Array>;
let child: Uint8Array;
let mathlib: Uint8Array;
beforeAll(async () => {
  kernel = (await buildKernel({ write: false })).kernelImage;
  system32 = await buildSystem32();
  child = (await buildUserImage('test/boot/programs/smsschild.ts', { name: 'smsschild.exe' })).bytes;
  mathlib = (await buildUserImage('test/pe/programs/mathlib.ts', { kind: 'dll', name: 'mathlib.dll' })).bytes;
}, 300000);

/** A disk with the System32 images, `files` and the overlay; boots until `until`; the log (no timestamps) and the disk after. */
async function run(overlay: string, files: Array<[string, Uint8Array]>, until: string, timeoutMs = 90000) {
  const all = new Map<string, Uint8Array>([...system32].map(([n, b]) => [`\\Windows\\System32\\${n}`, b]));
  for (const [p, b] of files) all.set(p, b);
  const disk = buildDisk({ files: all, overlays: [{ text: `Windows Registry Editor Version 5.00\n\n${overlay}\n`, fileName: 'smss-test.reg' }] });
  let after = disk;
  const r = await boot({ kernel, disk, until, timeoutMs, onDiskDone: (image) => { after = image; } });
  const lines = msg(r.lines);
  return { ...r, lines, after, smss: lines.filter((l) => l.startsWith('smss: ')).map((l) => l.slice(6)) };
}
const indexOf = (lines: string[], re: RegExp) => lines.findIndex((l) => re.test(l));

describe('smss initialization with a varied registry', () => {
  let r: Awaited<ReturnType<typeof run>>;
  const text = (s: string) => new TextEncoder().encode(s);
  beforeAll(async () => {
    const overlay = [
      `[${SM}]`,
      `"BootExecute"=${multi([
        'autocheck autochk *',
        'autocheck nosuchchk *',
        'smsschild tag first',
        'async smsschild wait list \\KnownDlls',
        'async smsschild wait spawn load mathlib.dll',
        'smsschild env OS Path windir TESTVAR',
        'smsschild link \\??\\NUL',
        'debug smsschild debugflags',
        'smsschild debugflags',
        'smsschild write \\??\\COM1 hello-through-COM1',
        'smsschild read \\??\\X:\\hello.txt',
        'smsschild dirs \\Windows \\RPC+Control \\Sessions',
        'smsschild subsystem',
        'smsschild dup',
        'async smsschild sleep 20',
        'smsschild read \\??\\C:\\ren\\a.txt',
        'nosuchprogram arg',
        'smsschild smapi',
        'smsschild tag last',
      ])}`,
      `"PendingFileRenameOperations"=${multi([
        '\\??\\C:\\ren\\a.txt', '\\??\\C:\\ren\\b.txt',
        '\\??\\C:\\ren\\del.txt', '',
        '\\??\\C:\\ren\\c.txt', '!\\??\\C:\\ren\\d.txt',
        '\\??\\C:\\ren\\e.txt', '\\??\\C:\\ren\\f.txt',
        '\\??\\C:\\ren\\missing.txt', '\\??\\C:\\ren\\g.txt',
      ])}`,
      `"PendingFileRenameOperations2"=${multi(['\\??\\C:\\ren\\h.txt', '\\??\\C:\\ren\\i.txt'])}`,
      `"ExcludeFromKnownDlls"=${multi(['excluded.dll'])}`,
      `[${SM}\\DOS Devices]`,
      `"X:"=${regText('\\??\\C:\\Windows')}`,
      `[${SM}\\Environment]`,
      `"TESTVAR"=${expand('%SystemRoot%\\test;%windir%')}`,
      `[${SM}\\KnownDlls]`,
      '"ntdll"=-',
      `"DllDirectory"=${regText('C:\\known')}`,
      '"mathlib"="mathlib.dll"',
      '"excluded"="excluded.dll"',
      '"gone"="gone.dll"',
    ].join('\n');
    r = await run(overlay, [
      ['\\Windows\\System32\\smsschild.exe', child],
      // Only in DllDirectory, which is on no DLL path: a program finds it through \\KnownDlls alone.
      ['\\known\\mathlib.dll', mathlib],
      ['\\known\\excluded.dll', mathlib],
      ['\\known\\ntdll.dll', system32.get('ntdll.dll')!],
      ['\\Windows\\hello.txt', text('Hello from C:\\Windows')],
      ['\\ren\\a.txt', text('bytes of a')], ['\\ren\\del.txt', text('delete me')],
      ['\\ren\\c.txt', text('bytes of c')], ['\\ren\\d.txt', text('old d')],
      ['\\ren\\e.txt', text('bytes of e')], ['\\ren\\f.txt', text('bytes of f')],
      ['\\ren\\h.txt', text('bytes of h')],
    ], 'smsschild: slept 20');
  }, 300000);

  it('runs every step in SMSS.md order, one line each, and stays up', () => {
    expect(r.stop, r.lines.join('\n')).toBeUndefined();
    const steps = ['start', 'API port', 'configuration', 'object directories', 'environment', 'DOS devices', 'sessions', 'BootExecute',
      'renames', 'KnownDlls', 'paging files', 'dynamic environment', 'subsystems'];
    const at = steps.map((s) => r.smss.findIndex((l) => l.startsWith(`${s}: `)));
    for (let i = 0; i < steps.length; i++) expect(at[i], steps[i]).toBeGreaterThanOrEqual(0);
    for (let i = 1; i < steps.length; i++) expect(at[i], `${steps[i - 1]} before ${steps[i]}`).toBeGreaterThan(at[i - 1]);
  });

  it('starts as the first process, critical, at base priority 11', () => {
    expect(r.lines.find((l) => /^ps: session manager started: process \d+ \(\\SystemRoot\\System32\\smss\.exe\)$/.test(l))).toBeDefined();
    expect(r.smss.find((l) => l.startsWith('start: '))).toMatch(/^start: process \d+, .*critical.*base priority 11$/);
    expect(r.lines.find((l) => /^ps: process \d+ is critical: its end stops the system$/.test(l))).toBeDefined();
  });

  it('BootExecute runs in order after the links, one at a time unless async; a missing autocheck image is skipped with NT\'s words', () => {
    const L = r.lines;
    expect(r.smss).toContain('nosuchchk program not found - skipping AUTOCHECK');
    // autochk.exe is in System32: it ran, found C: clean (not dirty) and ended before the next entry.
    expect(r.smss.find((l) => /^BootExecute: autochk \* \(process \d+, exit 0x00000000\)$/.test(l)), r.smss.join('\n')).toBeDefined();
    const checked = indexOf(L, /^autochk: The volume C: is clean; it is not checked/);
    expect(checked).toBeGreaterThanOrEqual(0);
    expect(checked).toBeLessThan(indexOf(L, /^smsschild: tag first$/));
    expect(r.smss.find((l) => l.startsWith('SmpFindImage failed - Status == 0xC0000034 (nosuchprogram'))).toBeDefined();
    const dos = indexOf(L, /^smss: DOS devices: /), first = indexOf(L, /^smsschild: tag first$/), last = indexOf(L, /^smsschild: tag last$/);
    const renames = indexOf(L, /^smss: renames: /), slept = indexOf(L, /^smsschild: slept 20$/);
    expect(dos).toBeGreaterThanOrEqual(0);
    expect(first).toBeGreaterThan(dos);
    expect(last).toBeGreaterThan(first);
    expect(renames).toBeGreaterThan(last);
    // Each entry's line follows its own output: it waited for the entry to end.
    const firstDone = indexOf(L, /^smss: BootExecute: smsschild tag first \(process \d+, exit 0x00000000\)$/);
    expect(firstDone).toBeGreaterThan(first);
    expect(firstDone).toBeLessThan(indexOf(L, /^smsschild: env OS=/));
    // The async sleeper was not waited for: smss went on past the step before it woke.
    expect(indexOf(L, /^smss: BootExecute: smsschild sleep 20 \(process \d+, async\)$/)).toBeGreaterThan(first);
    expect(slept).toBeGreaterThan(renames);
    // Before the renames: it read a.txt under its old name.
    expect(L).toContain('smsschild: read \\??\\C:\\ren\\a.txt 0x00000000 bytes of a');
  });

  it('ExecPgm from a client smss did not start as a subsystem is refused (0xC0000022) and its suspended process never runs', () => {
    const L = r.lines;
    const said = L.filter((l) => l.startsWith('smsschild: subsystem')).map((l) => l.slice(11));
    expect(said, L.join('\n')).toEqual([
      'subsystem port 0x00000000',
      'subsystem connect 0x00000000',
      'subsystem: no connection back 0x00000102',
      'subsystem: suspended process 0x00000000',
      'subsystem ExecPgm -> 0x00000000 ReturnValue 0xC0000022',
      'subsystem: the process ExecPgm named ended 0x00000000 with 0xC0000022',
    ]);
    expect(r.smss.find((l) => /^SM API: connection from process \d+ with connection information \(subsystem type 2\) accepted, not a subsystem$/.test(l))).toBeDefined();
    expect(r.smss.find((l) => /^SM API: process \d+ ApiNumber 3 refused, ExecPgm from an untrusted caller: 0xC0000022$/.test(l))).toBeDefined();
    expect(L).not.toContain('smsschild: tag started by ExecPgm');
  });

  it('NtDuplicateObject between processes: into a child and back, closing the source there; PROCESS_DUP_HANDLE needed', () => {
    const said = r.lines.filter((l) => l.startsWith('smsschild: dup: ')).map((l) => l.slice(16));
    expect(said, r.lines.join('\n')).toEqual([
      'a suspended child 0x00000000',
      'into the child 0x00000000',
      'back from the child, closing its copy 0x00000000',
      'the event set through the copy is signalled 0x00000000',
      'the child\'s copy again 0xC0000008',
      'open itself for query only 0x00000000, duplicate from it 0xC0000022',
    ]);
    expect(r.lines).not.toContain('smsschild: tag never runs');
  });

  it('BootExecute\'s debug keyword starts the program with DebugFlags 1 and says no debugger is attached; others inherit smss\'s 0', () => {
    const L = r.lines;
    const debugged = indexOf(L, /^smss: BootExecute: smsschild debugflags \(process \d+, exit 0x00000000, DebugFlags 1: no debugger is attached, it runs undebugged\)$/);
    const plain = indexOf(L, /^smss: BootExecute: smsschild debugflags \(process \d+, exit 0x00000000\)$/);
    expect(debugged, L.join('\n')).toBeGreaterThanOrEqual(0);
    expect(plain).toBeGreaterThan(debugged);
    // Each program's own line comes before smss's line for it: 1 from the debug entry, 0 from the plain one.
    const said = L.map((l, i) => [l, i] as const).filter(([l]) => l.startsWith('smsschild: debugflags '));
    expect(said.map(([l]) => l)).toEqual(['smsschild: debugflags 0x00000001', 'smsschild: debugflags 0x00000000']);
    expect(said[0][1]).toBeLessThan(debugged);
    expect(said[1][1]).toBeGreaterThan(debugged);
    expect(said[1][1]).toBeLessThan(plain);
  });

  it('gives children the registry\'s environment (REG_EXPAND_SZ expanded) and OS=Windows_NT', () => {
    expect(r.lines).toContain('smsschild: env OS=Windows_NT');
    expect(r.lines).toContain('smsschild: env windir=C:\\Windows');
    expect(r.lines).toContain('smsschild: env TESTVAR=C:\\Windows\\test;C:\\Windows');
    expect(r.lines.find((l) => l.startsWith('smsschild: env Path='))).toBe('smsschild: env Path=C:\\Windows\\system32;C:\\Windows');
  });

  it('makes the DOS device links: \\??\\NUL resolves, \\??\\COM1 reaches the serial port, a subst drive opens a file', () => {
    expect(r.lines).toContain('smsschild: link \\??\\NUL -> \\Device\\Null');
    expect(r.lines).toContain('smsschild: write \\??\\COM1 0x00000000');
    expect(r.lines).toContain('smsschild: hello-through-COM1');
    expect(r.lines).toContain('smsschild: read \\??\\X:\\hello.txt 0x00000000 Hello from C:\\Windows');
    expect(r.smss.find((l) => l.startsWith('DOS devices: '))).toContain('X: (subst \\??\\C:\\Windows)');
  });

  it('serves \\SmApiPort: smss connects to itself; a client with and without connection information is accepted, bad requests refused', () => {
    const pid = /^start: process (\d+),/.exec(r.smss.find((l) => l.startsWith('start: '))!)![1];
    expect(r.smss).toContain(`SM API: connection from process ${pid} without connection information accepted (smss itself)`);
    expect(r.smss.find((l) => l.startsWith('API port: '))).toBe('API port: \\SmApiPort and its thread (smss connected to itself), \\Device\\VolumesSafeForWriteAccess (not set)');
    const child = r.lines.filter((l) => l.startsWith('smsschild: smapi ')).map((l) => l.slice(17));
    expect(child).toEqual([
      'connect without information 0x00000000',
      'plain ApiNumber 0x00000007 -> 0x00000000 ReturnValue 0xC0000002',
      'plain ApiNumber 0xFFFFFFFF -> 0x00000000 ReturnValue 0xC0000002',
      'plain ApiNumber 0x00000001 -> 0x00000000 ReturnValue 0xC000000D',
      'plain ApiNumber 0x00000003 -> 0x00000000 ReturnValue 0xC0000022',
      'short ApiNumber 0x00000001 -> 0x00000000 ReturnValue 0xC000000D',
      'connect with information 0x00000000',
      'typed ApiNumber 0x00000000 -> 0x00000000 ReturnValue 0xC000000D',
      'typed ApiNumber 0x00000002 -> 0x00000000 ReturnValue 0xC000000D',
    ]);
    expect(r.smss.find((l) => /^SM API: connection from process \d+ with connection information \(subsystem type 2\) accepted, not a subsystem$/.test(l))).toBeDefined();
    expect(r.smss.find((l) => /^SM API: process \d+ ApiNumber 7 refused, no such API: 0xC0000002$/.test(l))).toBeDefined();
    expect(r.smss.find((l) => /^SM API: process \d+ ApiNumber 3 refused, ExecPgm from an untrusted caller: 0xC0000022$/.test(l))).toBeDefined();
  });

  it('creates \\Windows, \\RPC Control and \\Sessions', () => {
    for (const d of ['\\Windows', '\\RPC Control', '\\Sessions']) expect(r.lines).toContain(`smsschild: dir ${d} 0x00000000`);
  });

  it('KnownDlls: a section per listed DLL and per DLL it imports, none for an excluded one; VolumesSafeForWriteAccess set after', () => {
    const line = r.lines.find((l) => l.startsWith('smsschild: list \\KnownDlls'));
    expect(line, r.lines.join('\n')).toBeDefined();
    expect(line).toContain(' mathlib.dll:Section');
    expect(line).toContain(' ntdll.dll:Section'); // not listed: mathlib.dll imports it
    expect(line).toContain(' KnownDllPath:SymbolicLink');
    expect(line).not.toContain('excluded.dll');
    expect(r.smss.find((l) => l.startsWith('NtOpenFile failed - Status == 0xC0000034 (\\??\\C:\\known\\gone.dll'))).toBeDefined();
    expect(r.smss.find((l) => l.startsWith('KnownDlls: '))).toContain('KnownDllPath -> C:\\known');
    // ntdll's loader maps it from its section: the file is on no DLL path.
    expect(r.lines, r.lines.filter((l) => /load|LDR|KnownDlls/.test(l)).join('\n')).toContain('smsschild: load mathlib.dll 0x00000000');
    const waited = indexOf(r.lines, /^smsschild: waited for VolumesSafeForWriteAccess 0x00000000$/);
    expect(waited).toBeGreaterThan(indexOf(r.lines, /^smss: paging files: /));
  });

  it('does the renames on the disk: renamed, deleted, replaced with !, left alone without it; the values are gone from the flushed hive', () => {
    const volume = openDisk(r.after);
    const read = (p: string) => new TextDecoder().decode(volume.readPath(p));
    const gone = (p: string) => expect(() => volume.readPath(p), p).toThrow();
    gone('\\ren\\a.txt'); expect(read('\\ren\\b.txt')).toBe('bytes of a');
    gone('\\ren\\del.txt');
    gone('\\ren\\c.txt'); expect(read('\\ren\\d.txt')).toBe('bytes of c');
    expect(read('\\ren\\e.txt')).toBe('bytes of e'); expect(read('\\ren\\f.txt')).toBe('bytes of f');
    gone('\\ren\\h.txt'); expect(read('\\ren\\i.txt')).toBe('bytes of h');
    expect(r.smss.find((l) => l.startsWith('NtSetInformationFile failed - Status == 0xC0000035 (\\??\\C:\\ren\\e.txt -> \\??\\C:\\ren\\f.txt)'))).toBeDefined();
    expect(r.smss.find((l) => l.startsWith('NtOpenFile failed - Status == 0xC0000034 (\\??\\C:\\ren\\missing.txt'))).toBeDefined();
    expect(r.smss.find((l) => l.startsWith('renames: '))).toBe('renames: 3 renamed, 1 deleted, 2 failed; PendingFileRenameOperations deleted, hive flushed');
    const flushed = indexOf(r.lines, /^cm: flushed \\SystemRoot\\System32\\config\\SYSTEM/);
    expect(flushed).toBeGreaterThan(indexOf(r.lines, /^smss: BootExecute: /));
    const tree: RegKey = new RegfReader(volume.readPath(SYSTEM_HIVE_PATH)).tree();
    const sm = tree.subkeys.get('CONTROLSET001')!.subkeys.get('CONTROL')!.subkeys.get('SESSION MANAGER')!;
    expect(sm.values.has('PENDINGFILERENAMEOPERATIONS')).toBe(false);
    expect(sm.values.has('PENDINGFILERENAMEOPERATIONS2')).toBe(false);
    expect(sm.values.has('BOOTEXECUTE')).toBe(true);
  });

  it('leaves a volume fsck.fat accepts and a hive hivexsh reads without the rename values', (ctx) => {
    if (!has('fsck.fat') || !has('hivexsh')) {
      console.log('skipped: fsck.fat (dosfstools) or hivexsh (libhivex-bin) is not installed');
      ctx.skip();
    }
    const part = join(tmp, 'part.img');
    writeFileSync(part, MbrReadPartition(r.after).volume);
    const fsck = spawnSync('fsck.fat', ['-n', part], { encoding: 'utf8' });
    // Taken while smss runs, within 5 s of its writes: the volume may still be marked in use (its dirty flag); nothing else.
    if (fsck.status !== 0) expect(complaintsBesidesDirty(fsck.stdout + fsck.stderr, r.after), fsck.stdout + fsck.stderr).toBe('');
    const hive = join(tmp, 'SYSTEM');
    writeFileSync(hive, openDisk(r.after).readPath(SYSTEM_HIVE_PATH));
    const values = execFileSync('hivexsh', [hive], { input: 'cd \\ControlSet001\\Control\\Session Manager\nlsval\n', encoding: 'utf8' });
    expect(values).toContain('"BootExecute"=');
    expect(values).not.toContain('PendingFileRenameOperations');
  });

  it('writes the dynamic variables from cpuid, spelled as Windows spells them', () => {
    const line = r.smss.find((l) => l.startsWith('dynamic environment: '))!;
    expect(line).toMatch(/OS=Windows_NT PROCESSOR_ARCHITECTURE=x86 PROCESSOR_LEVEL=(\d+) PROCESSOR_IDENTIFIER=x86 Family \1 Model \d+ Stepping \d+, \w+ PROCESSOR_REVISION=[0-9a-f]{4} NUMBER_OF_PROCESSORS=1/);
    // The kernel's cpuid line and the variables agree.
    const cpu = /CPU (\w+) family (\d+) model (\d+) stepping (\d+)/.exec(r.lines.find((l) => l.startsWith('ke: CPU '))!)!;
    expect(line).toContain(`PROCESSOR_IDENTIFIER=x86 Family ${cpu[2]} Model ${cpu[3]} Stepping ${cpu[4]}, ${cpu[1]}`);
    expect(line).toContain(`PROCESSOR_REVISION=${((Number(cpu[3]) << 8) | Number(cpu[4])).toString(16).padStart(4, '0')}`);
  });
});

describe('smss with malformed and missing registry values', () => {
  it('falls back to the defaults with a line for each, and MiniNT skips renames and paging files', async () => {
    const overlay = [
      `[${SM}]`,
      '"BootExecute"=dword:00000001',
      '"ObjectDirectories"=hex(7):5c,00,58,00,00', // 5 bytes: odd
      '"ProtectionMode"="one"',
      `"PendingFileRenameOperations"=${multi(['\\??\\C:\\keep.txt', ''])}`,
      `[${SM}\\DOS Devices]`,
      '"Y:"=dword:00000002',
      `[${SM}\\Environment]`,
      '"BINVAR"=hex:01,02,03',
      '[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\MiniNT]',
    ].join('\n');
    const r = await run(overlay, [['\\keep.txt', new TextEncoder().encode('keep')]], 'smss: subsystems: ');
    expect(r.stop, r.lines.join('\n')).toBeUndefined();
    expect(r.smss).toContain('configuration: BootExecute is REG_DWORD, not REG_MULTI_SZ - using the default');
    expect(r.smss).toContain('configuration: ObjectDirectories has an odd length (5 bytes) - using the default');
    expect(r.smss).toContain('configuration: ProtectionMode is REG_SZ of 8 bytes, not a REG_DWORD - using the default');
    expect(r.smss.find((l) => l.startsWith('configuration: Session Manager'))).toContain('ProtectionMode 1');
    expect(r.smss).toContain('object directories: \\Windows, \\RPC Control (permanent)');
    expect(r.smss.find((l) => /^BootExecute: autochk \* \(process \d+, exit 0x00000000\)$/.test(l))).toBeDefined(); // the default BootExecute
    expect(r.smss).toContain('DOS devices: Y: is REG_DWORD of 4 bytes, not a string - skipped');
    expect(r.smss).toContain('environment: BINVAR is type 3 of 3 bytes, not a string - skipped');
    expect(r.smss).toContain('renames: skipped (MiniNT)');
    expect(r.smss).toContain('paging files: skipped (MiniNT)');
    expect(new TextDecoder().decode(openDisk(r.after).readPath('\\keep.txt'))).toBe('keep');
  }, 180000);
});

describe('\\SmApiPort and a client built by MinGW (test/mingw/smapi.c, its own SM_API_MSG declaration)', () => {
  it('accepts its connections and answers its requests with NT\'s refusals', async (ctx) => {
    const built = mingwPrograms();
    if ('missing' in built) {
      console.log(`skipped: ${built.missing}`);
      ctx.skip();
      return;
    }
    const smapi = built.images.get('smapi.exe')!;
    const r = await run(`[${SM}]\n"BootExecute"=${multi(['smapi'])}`, [['\\Windows\\System32\\smapi.exe', smapi]], 'smss: subsystems: ');
    expect(r.stop, r.lines.join('\n')).toBeUndefined();
    const got = r.lines.filter((l) => l.startsWith('smapi: ')).map((l) => l.slice(7));
    expect(got, r.lines.join('\n')).toEqual([
      'connect 0x00000000 max message 0x00000130',
      'plain ApiNumber 0x00000007 -> 0x00000000 ReturnValue 0xC0000002',
      'plain ApiNumber 0x00000005 -> 0x00000000 ReturnValue 0xC0000184', // StartCsr from the BootExecute entry smss waits for
      'plain ApiNumber 0x00000000 -> 0x00000000 ReturnValue 0xC000000D',
      'connect with information 0x00000000',
      'typed ApiNumber 0x00000001 -> 0x00000000 ReturnValue 0xC000000D',
    ]);
    expect(r.smss.find((l) => /^BootExecute: smapi \(process \d+, exit 0x00005A5A\)$/.test(l))).toBeDefined();
    expect(r.smss.find((l) => /^SM API: connection from process \d+ with connection information \(subsystem type 3\) accepted, not a subsystem$/.test(l))).toBeDefined();
  }, 180000);
});

describe('paging files', () => {
  const pagefile = (disk: Uint8Array, path: string) => openDisk(disk).readPath(path).length;

  it('makes pagefile.sys at its configured minimum; an entry on a drive that is not there is logged and skipped', async () => {
    const overlay = [`[${SM}\\Memory Management]`, `"PagingFiles"=${multi(['C:\\pagefile.sys 6 12', 'Q:\\other.sys 4'])}`].join('\n');
    const r = await run(overlay, [], 'smss: subsystems: ');
    expect(r.stop, r.lines.join('\n')).toBeUndefined();
    expect(r.smss).toContain('paging files: \\??\\C:\\pagefile.sys 6 MB (max 12 MB) - registered');
    expect(r.smss.find((l) => l.startsWith('SmpCreatePagingFile failed - Status == 0xC000003A (Q:\\other.sys'))).toBeDefined();
    expect(pagefile(r.after, '\\pagefile.sys')).toBe(6 * 1024 * 1024);
  }, 180000);

  it('system-managed on any drive: capped by the free space, shrunk by 16 MB until it fits; fsck.fat accepts the volume', async (ctx) => {
    const overlay = [`[${SM}\\Memory Management]`, `"PagingFiles"=${multi(['?:\\pagefile.sys'])}`].join('\n');
    const r = await run(overlay, [], 'smss: subsystems: ');
    expect(r.stop, r.lines.join('\n')).toBeUndefined();
    const line = r.smss.find((l) => l.startsWith('paging files: '))!;
    const m = /^paging files: \\\?\?\\C:\\pagefile\.sys (\d+) MB/.exec(line);
    expect(m, line).not.toBeNull();
    expect(pagefile(r.after, '\\pagefile.sys')).toBe(Number(m![1]) * 1024 * 1024);
    if (!has('fsck.fat')) {
      console.log('skipped: fsck.fat (dosfstools) is not installed');
      ctx.skip();
    }
    const part = join(tmp, 'pagefile-part.img');
    writeFileSync(part, MbrReadPartition(r.after).volume);
    const fsck = spawnSync('fsck.fat', ['-n', part], { encoding: 'utf8' });
    // Taken while smss runs, just after it made the paging file: the volume may still be marked in use (its dirty flag); nothing else.
    if (fsck.status !== 0) expect(complaintsBesidesDirty(fsck.stdout + fsck.stderr, r.after), fsck.stdout + fsck.stderr).toBe('');
  }, 180000);

  it('makes an emergency file when no entry gives one', async () => {
    const overlay = [`[${SM}\\Memory Management]`, `"PagingFiles"=${multi(['Q:\\pagefile.sys 4 8'])}`].join('\n');
    const r = await run(overlay, [], 'smss: subsystems: ');
    expect(r.smss.find((l) => l.startsWith('paging files: '))).toBe('paging files: \\??\\C:\\pagefile.sys 16 MB (max 16 MB) (emergency) - registered');
    expect(pagefile(r.after, '\\pagefile.sys')).toBe(16 * 1024 * 1024);
  }, 180000);
});

describe('fatal failures: STATUS_SYSTEM_PROCESS_TERMINATED', () => {
  it('a Session Manager key that cannot be read stops the system with 0xC000021A, "Session Manager Initialization" and the status', async () => {
    const r = await run(`[-${SM}]`, [], 'never');
    expect(r.smss.find((l) => l.startsWith('NtOpenKey failed - Status == 0xC0000034'))).toBeDefined();
    expect(r.smss).toContain('configuration: fatal, status 0xC0000034: the system is shut down');
    expect(r.stop?.code, r.lines.join('\n')).toBe(0xC000021A);
    expect(r.stop?.params.slice(1)).toEqual([0xC0000034, 0, 0]);
    expect(r.stop?.text).toContain('The Session Manager Initialization system process terminated unexpectedly with a status of 0xC0000034 (0x00000000 0x00000000).');
  }, 180000);

  it('a KnownDll that is not a DLL stops the system with NT\'s text', async () => {
    const overlay = [`[${SM}\\KnownDlls]`, '"child"="smsschild.exe"'].join('\n');
    const r = await run(overlay, [['\\Windows\\System32\\smsschild.exe', child]], 'never');
    expect(r.smss).toContain('KnownDlls: smsschild.exe: Non-DLL file included in KnownDLL list.');
    expect(r.stop?.code, r.lines.join('\n')).toBe(0xC000021A);
    expect(r.stop?.params[1]).toBe(0xC000036F);
    expect(r.stop?.text?.join('\n')).toContain('The Non-DLL file included in KnownDLL list. system process terminated unexpectedly with a status of 0xC000036F');
    expect(r.smss.some((l) => l.startsWith('paging files: '))).toBe(false);
  }, 180000);
});
