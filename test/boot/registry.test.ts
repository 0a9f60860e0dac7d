// The registry (kernel/cm/) on real emulated hardware: the kernel loads the
// SYSTEM hive images/build.ts wrote, a ring-3 program (programs/registry.ts)
// uses every registry service, the kernel flushes the hive, and the host
// reads the hive from the saved disk with our reader and with hivex; the
// next boot sees the change. Bad hives stop the system with the bug check
// NT uses and a line that says why; a hive whose last write was cut off is
// recovered from its .ALT mirror; a power cut at any point of a flush leaves
// a hive that loads, with the change all there or not at all.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { boot } from '../../emulator/node/boot.ts';
import { buildDisk, buildSystemHive, openDisk, SYSTEM_HIVE_PATH } from '../../images/build.ts';
import { MbrReadPartition } from '../../images/disk/mbr.ts';
import { RegfReader } from '../../images/registry/regf-reader.ts';
import { regfChecksum } from '../../images/registry/regf.ts';
import { type RegKey } from '../../images/registry/regfile.ts';
import { complaintsBesidesDirty } from './fsckdirty.ts';
import { msg, program } from './usermode.ts';
import { sleepingSmssImage } from '../pe/tiny.ts';

const tmp = mkdtempSync(join(tmpdir(), 'registry-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const ALT_PATH = `${SYSTEM_HIVE_PATH}.ALT`;

function has(tool: string): boolean {
  try { execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'pipe' }); return true; } catch { return false; }
}

async function kernelWith(name: string): Promise<Uint8Array> {
  return (await buildKernel({ bootModules: [{ name, bytes: await program(name) }], write: false })).kernelImage;
}

/** Boots `kernel` on `disk`; returns the log lines (no timestamps), the STOP code if any, and the disk after. */
async function run(kernel: Uint8Array, disk: Uint8Array): Promise<{ lines: string[]; stop?: number; after: Uint8Array }> {
  let after = disk;
  const r = await boot({ kernel, disk, until: 'ke: idle loop', timeoutMs: 60000, onDiskDone: (image) => { after = image; } });
  return { lines: msg(r.lines), stop: r.stop?.code, after };
}

const sub = (k: RegKey, name: string): RegKey => {
  const s = k.subkeys.get(name.toUpperCase());
  if (!s) throw new Error(`no subkey ${name} in ${k.name}`);
  return s;
};
const utf16 = (d: Uint8Array) => new TextDecoder('utf-16le').decode(d).replace(/\0+$/, '');

/** What the kernel's loader would take from a disk: the hive file if whole, else its .ALT; null if neither. */
function loadableHive(disk: Uint8Array): { from: 'SYSTEM' | 'ALT'; tree: RegKey } | null {
  const volume = openDisk(disk);
  for (const [from, path] of [['SYSTEM', SYSTEM_HIVE_PATH], ['ALT', ALT_PATH]] as const) {
    try {
      const bytes = volume.readPath(path);
      const reader = new RegfReader(bytes);
      if (reader.header.sequence1 !== reader.header.sequence2) continue;
      return { from, tree: reader.tree() };
    } catch { /* missing or damaged: the other copy */ }
  }
  return null;
}

describe('the registry from ring 3', () => {
  let lines: string[] = [];
  let after: Uint8Array;
  let kernelLines: string[] = [];

  beforeAll(async () => {
    const r = await run(await kernelWith('registry'), buildDisk());
    expect(r.stop).toBeUndefined();
    kernelLines = r.lines;
    lines = r.lines.filter((l) => l.startsWith('registry: ')).map((l) => l.slice(10));
    after = r.after;
  }, 120000);

  const expectLines = (wanted: string[]) => {
    for (const want of wanted) expect(lines.some((l) => l.startsWith(want)), `${want}\n${lines.join('\n')}`).toBe(true);
  };

  it('loads SYSTEM, builds HARDWARE and links CurrentControlSet at boot', () => {
    expect(kernelLines).toContain('cm: \\REGISTRY\\MACHINE\\HARDWARE built (processor, memory, disk, serial port)');
    expect(kernelLines.find((l) => l.startsWith('cm: loaded \\SystemRoot\\System32\\config\\SYSTEM: '))).toMatch(/: \d+ keys, \d+ values$/);
    expect(kernelLines).toContain('cm: \\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet -> ControlSet001');
  });

  it('opens through the link, the link itself, and HARDWARE', () => {
    expectLines([
      'open session manager 0x00000000', 'value ProtectionMode 0x00000000 type 4 length 4 0x00000001',
      'value BootExecute 0x00000000 type 7 length 42',
      'name 0x00000000 \\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Control\\Session Manager',
      'open link itself 0x00000000', 'value SymbolicLinkValue 0x00000000 type 6 length 76 "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001"',
      'open hardware 0x00000000', 'value VendorIdentifier 0x00000000 type 1 length 26 "GenuineIntel"',
      'missing key 0xC0000034', 'missing path 0xC0000034',
    ]);
  });

  it('creates keys with dispositions, classes and the volatile rule', () => {
    expectLines([
      '\\Registry\\Machine\\SYSTEM\\Test created 0x00000000 disposition 1', '\\Registry\\Machine\\SYSTEM\\Test created 0x00000000 disposition 2',
      'relative create 0x00000000 disposition 1', 'node 0x00000000 name B class My Class', 'bad component 0xC0000033',
      'Vol created 0x00000000 disposition 1', 'stable under volatile 0xC0000181', 'Inner created 0x00000000 disposition 1',
    ]);
  });

  it('sets, queries and enumerates values of every type with NT length rules', () => {
    expectLines([
      'set sz 0x00000000', 'set expand 0x00000000', 'set dword 0x00000000', 'set qword 0x00000000', 'set binary 0x00000000',
      'set multi 0x00000000', 'set none 0x00000000', 'set default 0x00000000', 'set large 0x00000000', 'replace sz 0x00000000',
      'value Greeting 0x00000000 type 1 length 24 "Hello again"', 'value Where 0x00000000 type 2 length 36 "%SystemRoot%\\Temp"',
      'value Number 0x00000000 type 4 length 4 0xDEADBEEF', 'value Big Number 0x00000000 type 11 length 8 0x01234567:0x89ABCDEF',
      'value Bytes 0x00000000 type 3 length 6 1 41 81 121 161 201', 'value List 0x00000000 type 7 length 18',
      'value Nothing 0x00000000 type 0 length 0', 'value  0x00000000 type 1 length 28 "default value"',
      'value Large 0x00000000 type 3 length 20000', 'missing value 0xC0000034',
      'too small 0xC0000023 needs 36', 'overflow 0x80000005 needs 36 length 24', 'basic 0x00000000 type 4 name Number',
      'bad class 0xC0000003', 'delete value 0x00000000', 'delete value again 0xC0000034',
    ]);
    // Creation order; the full information's data offset is 4-aligned after the name.
    expect(lines.filter((l) => l.startsWith('enum '))).toEqual([
      'enum Greeting type 1 length 24 offset 36', 'enum Where type 2 length 36 offset 32', 'enum Number type 4 length 4 offset 32',
      'enum Big Number type 11 length 8 offset 40', 'enum Bytes type 3 length 6 offset 32', 'enum List type 7 length 18 offset 28',
      'enum Nothing type 0 length 0 offset 36', 'enum  type 1 length 28 offset 20', 'enum Large type 3 length 20000 offset 32',
    ]);
    expect(lines.filter((l) => l.startsWith('values end'))).toEqual(['values end 0x8000001A']);
  });

  it('enumerates subkeys in name order and deletes with NT rules', () => {
    expectLines([
      'full 0x00000000 subkeys 5 values 8 max value data 20000', 'delete with subkeys 0xC0000121', 'delete C 0x00000000',
      'use deleted 0xC000017C', 'set on deleted 0xC000017C', 'reopen deleted 0xC0000034', 'delete hive root 0xC0000121',
    ]);
    const keys = lines.filter((l) => l.startsWith('key '));
    // Case-insensitive order; the non-ASCII name prints as '?' on the ASCII console.
    expect(keys).toEqual(['key a', 'key B', 'key C', 'key Vol', 'key ?n??', 'key a', 'key B', 'key Vol', 'key ?n??']);
  });

  it('refuses missing access, hostile pointers and bad arguments', () => {
    expectLines([
      'open read-only 0x00000000', 'set without access 0xC0000022', 'kernel value name 0xC0000005', 'kernel name buffer 0xC0000005',
      'kernel data 0xC0000005', 'kernel info buffer 0xC0000005', 'bad handle 0xC0000008', 'bad options 0xC000000D',
    ]);
  });

  it('loads the other hives once (NtInitializeRegistry), and flushes', () => {
    expectLines(['initialize registry 0x00000000', 'initialize again 0xC0000022', 'open software 0x00000000',
      'open default user 0x00000000', 'flush 0x00000000', 'done 0x00000000']);
    // SOFTWARE and SAM are on the image (images/registry/*.reg): the kernel loaded them at boot.
    for (const hive of ['SOFTWARE', 'SAM']) {
      expect(kernelLines.find((l) => l.startsWith(`cm: loaded \\SystemRoot\\System32\\config\\${hive}: `))).toMatch(/: \d+ keys, \d+ values$/);
    }
    for (const hive of ['SECURITY', 'DEFAULT']) {
      expect(kernelLines).toContain(`cm: \\SystemRoot\\System32\\config\\${hive}: missing (and no .ALT): a new empty hive is mounted, written at the next flush`);
    }
    expect(kernelLines.find((l) => l.startsWith('cm: flushed \\SystemRoot\\System32\\config\\SYSTEM: '))).toMatch(/bytes, sequence 2$/);
  });

  it('leaves a hive on the disk that our reader finds the changes in, and its .ALT mirror', () => {
    const volume = openDisk(after);
    const bytes = volume.readPath(SYSTEM_HIVE_PATH);
    const reader = new RegfReader(bytes);
    expect(reader.header.sequence1).toBe(2);
    expect(reader.header.sequence2).toBe(2);
    expect(reader.header.minor).toBe(5);
    expect(reader.header.checksum).toBe(regfChecksum(bytes));
    const tree = reader.tree();
    const test = sub(tree, 'Test');
    expect([...test.subkeys.values()].map((k) => k.name)).toEqual(['a', 'B', 'Ünï中']); // C deleted, Vol volatile
    expect(sub(test, 'B').className).toBe('My Class');
    expect(utf16(test.values.get('GREETING')!.data)).toBe('Hello again');
    expect(test.values.get('GREETING')!.name).toBe('Greeting'); // the first spelling stays
    expect(new DataView(test.values.get('NUMBER')!.data.buffer).getUint32(test.values.get('NUMBER')!.data.byteOffset, true)).toBe(0xdeadbeef);
    const large = test.values.get('LARGE')!.data;
    expect(large.length).toBe(20000);
    expect(large.every((b, i) => b === ((i * 7) & 0xff))).toBe(true);
    expect(test.values.has('NOTHING')).toBe(false);
    expect(test.values.get('')!.type).toBe(1);
    expect(tree.subkeys.has('CURRENTCONTROLSET')).toBe(false); // volatile: never written
    expect(utf16(sub(sub(sub(tree, 'ControlSet001'), 'Control'), 'ComputerName').subkeys.get('COMPUTERNAME')!.values.get('COMPUTERNAME')!.data)).toBe('NTWASM86');
    expect(volume.readPath(ALT_PATH)).toEqual(bytes);
  });

  it('stamps the hive with the time the CMOS clock gave the kernel', () => {
    const rtc = /^hal: RTC (\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d) UTC$/.exec(kernelLines.find((l) => l.startsWith('hal: RTC')) ?? '');
    expect(rtc).not.toBeNull();
    const booted = Date.UTC(+rtc![1], +rtc![2] - 1, +rtc![3], +rtc![4], +rtc![5], +rtc![6]);
    expect(Math.abs(booted - Date.now())).toBeLessThan(3600e3); // v86's clock is the host's
    const bytes = openDisk(after).readPath(SYSTEM_HIVE_PATH);
    const written = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(12, true) / 10000n) - 11644473600000;
    expect(written).toBeGreaterThanOrEqual(booted - 1000);
    expect(written - booted).toBeLessThan(600e3);
  });

  it('leaves a volume fsck.fat accepts and a hive hivexsh reads the same way', (ctx) => {
    const hivePath = join(tmp, 'SYSTEM');
    writeFileSync(hivePath, openDisk(after).readPath(SYSTEM_HIVE_PATH));
    if (!has('fsck.fat') || !has('hivexsh')) {
      console.log('skipped: fsck.fat (dosfstools) or hivexsh (libhivex-bin) is not installed');
      ctx.skip();
    }
    const part = join(tmp, 'part.img');
    writeFileSync(part, MbrReadPartition(after).volume);
    const fsck = spawnSync('fsck.fat', ['-n', part], { encoding: 'utf8' });
    expect(fsck.status, fsck.stdout + fsck.stderr).toBe(0);
    const sh = (cmds: string) => execFileSync('hivexsh', [hivePath], { input: cmds, encoding: 'utf8' });
    expect(sh('ls\n').trim().split('\n')).toEqual(['ControlSet001', 'Select', 'Test']);
    expect(sh('cd \\Test\nls\n').trim().split('\n')).toEqual(['a', 'B', 'Ünï中']);
    const values = sh('cd \\Test\nlsval\n');
    expect(values).toContain('"Greeting"="Hello again"');
    expect(values).toContain('"Number"=dword:deadbeef');
    expect(values).toContain('"Big Number"=hex(11):ef,cd,ab,89,67,45,23,01');
    expect(values).toContain('"Bytes"=hex(3):01,29,51,79,a1,c9');
    expect(values).toContain('"@"="default value"');
  });

  it('the next boot reads what this one wrote, and HARDWARE names the disk and the serial port', async () => {
    const r = await run(await kernelWith('regcheck'), after);
    expect(r.stop).toBeUndefined();
    const got = r.lines.filter((l) => l.startsWith('regcheck: ')).map((l) => l.slice(10));
    for (const want of [
      'value Greeting 0x00000000 type 1 length 24 "Hello again"', 'value Number 0x00000000 type 4 length 4 0xDEADBEEF',
      `value Large 0x00000000 type 3 length 20000 sum ${Array.from({ length: 20000 }, (_, i) => (i * 7) & 0xff).reduce((a, b) => a + b, 0)}`,
      'value Nothing 0xC0000034', 'value Identifier 0x00000000 type 1 length 22 "v86 ATA HD"',
      'value Type 0x00000000 type 1 length 30 "DiskPeripheral"', 'value \\Device\\Serial0 0x00000000 type 1 length 10 "COM1"',
      'done',
    ]) expect(got, want).toContain(want);
    expect(got.filter((l) => l.startsWith('key '))).toEqual(['key a', 'key B', 'key ?n??']);
    expect(got.find((l) => l.startsWith('value Identifier 0x00000000 type 1') && l.includes('x86 Family'))).toMatch(/"x86 Family \d+ Model \d+ Stepping \d+"$/);
  }, 120000);
});

describe('bad hives', () => {
  let kernel: Uint8Array;
  beforeAll(async () => { kernel = (await buildKernel({ write: false })).kernelImage; }, 120000);
  const good = buildSystemHive();

  it('a missing SYSTEM hive stops the system with CONFIG_INITIALIZATION_FAILED', async () => {
    const r = await run(kernel, buildDisk({ systemHive: null }));
    expect(r.stop).toBe(0x67);
    expect(r.lines).toContain('cm: \\SystemRoot\\System32\\config\\SYSTEM: missing, status 0xC0000034');
    expect(r.lines).toContain('cm: the hive is missing: the registry cannot start');
  }, 60000);

  it('a damaged hive without a mirror stops the system with BAD_SYSTEM_CONFIG_INFO and says why', async () => {
    const bad = new Uint8Array(good);
    bad[0x1fc] ^= 0xff; // checksum
    const r = await run(kernel, buildDisk({ systemHive: bad }));
    expect(r.stop).toBe(0x74);
    expect(r.lines).toContain('cm: \\SystemRoot\\System32\\config\\SYSTEM: base block checksum mismatch');
    expect(r.lines).toContain('cm: no usable copy of the hive: the registry cannot start');
  }, 60000);

  it('a hive whose subkey list leads back to its root is refused, not walked forever', async () => {
    const bad = new Uint8Array(good);
    const dv = new DataView(bad.buffer);
    const root = dv.getUint32(36, true);
    const list = dv.getUint32(4096 + root + 4 + 28, true);
    dv.setUint32(4096 + list + 4 + 4, root, true); // first subkey: the root itself
    const r = await run(kernel, buildDisk({ systemHive: bad }));
    expect(r.stop).toBe(0x74);
    expect(r.lines.find((l) => l.startsWith('cm: \\SystemRoot\\System32\\config\\SYSTEM: a key is reachable twice at cell '))).toBeDefined();
  }, 60000);

  it('a hive cut off in the middle of a write is recovered from SYSTEM.ALT and rewritten', async () => {
    const torn = new Uint8Array(good);
    const dv = new DataView(torn.buffer);
    dv.setUint32(4, dv.getUint32(8, true) + 1, true); // Sequence1 ahead: a write began
    dv.setUint32(0x1fc, regfChecksum(torn), true);
    // With a stand-in smss.exe that sleeps, so the boot reaches the idle loop (see smss.test.ts).
    const r = await run(kernel, buildDisk({ systemHive: torn, files: new Map([[ALT_PATH, good], ['\\Windows\\System32\\smss.exe', sleepingSmssImage()]]) }));
    expect(r.stop).toBeUndefined();
    expect(r.lines).toContain('cm: \\SystemRoot\\System32\\config\\SYSTEM: sequence numbers differ (a write did not finish)');
    expect(r.lines).toContain('cm: \\SystemRoot\\System32\\config\\SYSTEM: recovered from the .ALT copy; rewriting the hive');
    expect(r.lines).toContain('cm: \\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet -> ControlSet001');
    const hive = new RegfReader(openDisk(r.after).readPath(SYSTEM_HIVE_PATH));
    expect(hive.header.sequence1).toBe(hive.header.sequence2);
    expect(sub(sub(hive.tree(), 'ControlSet001'), 'Control').subkeys.has('SESSION MANAGER')).toBe(true);
  }, 60000);

  it('a control set that Select\\Current names but the hive lacks stops the system', async () => {
    const overlay = 'Windows Registry Editor Version 5.00\n\n[HKEY_LOCAL_MACHINE\\SYSTEM\\Select]\n"Current"=dword:00000002\n';
    const r = await run(kernel, buildDisk({ overlays: [{ text: overlay, fileName: 'select.reg' }] }));
    expect(r.stop).toBe(0x67);
    expect(r.lines).toContain('cm: SYSTEM\\Select\\Current is 2, and there is no such control set: the registry cannot start');
  }, 60000);

  it('a disk without a volume leaves only the volatile registry', async () => {
    const disk = buildDisk();
    const first = new DataView(disk.buffer).getUint32(446 + 8, true);
    disk.fill(0, first * 512, first * 512 + 512); // the partition's boot sector
    const r = await run(kernel, disk);
    expect(r.stop).toBeUndefined();
    expect(r.lines).toContain('cm: no system volume: the registry has only its volatile keys');
  }, 60000);
});

/** Boots programs/regflush.ts on `image`, recording the disk's writes sector by sector (a cut can fall between the sectors of one command). */
async function recordFlush(image: Uint8Array, name = 'regflush'): Promise<{ writes: Array<{ offset: number; bytes: Uint8Array }>; after: Uint8Array }> {
  const writes: Array<{ offset: number; bytes: Uint8Array }> = [];
  let after = image;
  const r = await boot({
    kernel: await kernelWith(name), disk: image, until: 'ke: idle loop', timeoutMs: 60000, onDiskDone: (d) => { after = d; },
    onDiskWrite: (offset, bytes) => {
      for (let at = 0; at < bytes.length; at += 512) writes.push({ offset: offset + at, bytes: bytes.slice(at, at + 512) });
    },
  });
  expect(msg(r.lines)).toContain(`${name}: flush 0x00000000`);
  return { writes, after };
}

function applyWrites(image: Uint8Array, writes: Array<{ offset: number; bytes: Uint8Array }>, k: number): Uint8Array {
  const out = new Uint8Array(image);
  for (let i = 0; i < k; i++) out.set(writes[i].bytes, writes[i].offset);
  return out;
}

/** fsck.fat -n on a disk's volume: exit code and what it printed. */
function fsck(disk: Uint8Array, k: number): { code: number; out: string } {
  const part = join(tmp, `cut-${k}.img`);
  writeFileSync(part, MbrReadPartition(disk).volume);
  const f = spawnSync('fsck.fat', ['-n', part], { encoding: 'utf8' });
  rmSync(part);
  return { code: f.status ?? -1, out: f.stdout + f.stderr };
}

/**
 * Every prefix of a flush's sector writes: the hive the kernel's rules load
 * (SYSTEM when whole, else SYSTEM.ALT) has Select\Counter at `before` or
 * `after` and nothing else changed. Returns how many states loaded from each
 * file and the first state that needs the mirror.
 */
function checkEveryCut(image: Uint8Array, writes: Array<{ offset: number; bytes: Uint8Array }>, before: number | undefined, after: number) {
  const counter = (tree: RegKey) => {
    const v = sub(tree, 'Select').values.get('COUNTER');
    return v ? new DataView(v.data.buffer, v.data.byteOffset).getUint32(0, true) : undefined;
  };
  const sources: Record<string, number> = { SYSTEM: 0, ALT: 0 };
  let firstTorn = -1;
  for (let k = 0; k <= writes.length; k++) {
    const hive = loadableHive(applyWrites(image, writes, k));
    expect(hive, `no loadable hive after ${k} of ${writes.length} sector writes`).not.toBeNull();
    expect([before, after], `after ${k} writes`).toContain(counter(hive!.tree));
    expect(sub(sub(hive!.tree, 'ControlSet001'), 'Control').subkeys.size).toBe(3); // ComputerName, ServiceGroupOrder, Session Manager
    sources[hive!.from]++;
    if (hive!.from === 'ALT' && firstTorn < 0) firstTorn = k;
  }
  expect(counter(loadableHive(applyWrites(image, writes, 0))!.tree)).toBe(before);
  expect(counter(loadableHive(applyWrites(image, writes, writes.length))!.tree)).toBe(after);
  return { sources, firstTorn };
}

/**
 * fsck.fat -n on every prefix. A file made or grown (SYSTEM.ALT at the first
 * flush, both files when the hive grows) has its clusters allocated before
 * its directory entry names them, the safe order FAT allows: a cut in
 * between leaves clusters fsck.fat reclaims, and FAT copies that differ;
 * a cut while the volume is in use leaves its dirty flag set (fsckdirty.ts).
 * Nothing else may show; the end state must be clean.
 */
function fsckEveryCut(image: Uint8Array, writes: Array<{ offset: number; bytes: Uint8Array }>): void {
  // npm test checks up to 150 evenly spread states; POWERCUT_ALL=1 (npm run stress) every one.
  const step = process.env.POWERCUT_ALL ? 1 : Math.max(1, Math.ceil((writes.length + 1) / 150));
  let checked = 0;
  for (let k = 0; k <= writes.length; k += step) {
    checked++;
    const r = fsck(applyWrites(image, writes, k), k);
    if (r.code !== 0) {
      const complaints = complaintsBesidesDirty(r.out, applyWrites(image, writes, k))
        .replace(/FATs differ but appear to be intact\.\s+Using first FAT\.\n?/, '').trim();
      expect(complaints, `after ${k} of ${writes.length} writes:\n${r.out}`).toMatch(/^(Reclaimed \d+ unused clusters? \(\d+ bytes\)\.)?$/);
    }
  }
  if (writes.length % step !== 0) checked++;
  expect(fsck(applyWrites(image, writes, writes.length), writes.length).code).toBe(0);
  console.log(`fsck.fat -n on ${checked} of ${writes.length + 1} states${step > 1 ? ' (POWERCUT_ALL=1 checks every one)' : ''}`);
}

describe('power cuts during a hive flush', () => {
  let first: { writes: Array<{ offset: number; bytes: Uint8Array }>; after: Uint8Array };
  const fresh = buildDisk({ sizeMB: 8 }); // small: fsck.fat reads the whole volume hundreds of times
  beforeAll(async () => { first = await recordFlush(fresh); }, 120000);

  it('the first flush (it creates SYSTEM.ALT) leaves a hive that loads, with the change all there or not at all', async (ctx) => {
    const { writes } = first;
    expect(writes.length).toBeGreaterThan(16);
    const { sources, firstTorn } = checkEveryCut(fresh, writes, undefined, 1);
    console.log(`first hive flush: ${writes.length + 1} power-cut states, loaded from SYSTEM ${sources.SYSTEM}, from SYSTEM.ALT ${sources.ALT}`);
    expect(firstTorn).toBeGreaterThan(0); // the window the mirror covers was hit
    // The kernel agrees: a cut while SYSTEM itself is being written boots from SYSTEM.ALT, with the change.
    const torn = await run(await kernelWith('regcheck'), applyWrites(fresh, writes, firstTorn));
    expect(torn.stop).toBeUndefined();
    expect(torn.lines).toContain('cm: \\SystemRoot\\System32\\config\\SYSTEM: recovered from the .ALT copy; rewriting the hive');
    expect(torn.lines).toContain('regcheck: value Counter 0x00000000 type 4 length 4 0x00000001');
    // And a cut while SYSTEM.ALT is half written boots from SYSTEM, without the change, and leaves the mirror alone.
    const halfAlt = writes.findIndex((_, k) => {
      try {
        const alt = new RegfReader(openDisk(applyWrites(fresh, writes, k + 1)).readPath(ALT_PATH));
        return alt.header.sequence1 !== alt.header.sequence2;
      } catch { return false; }
    }) + 1;
    expect(halfAlt).toBeGreaterThan(0);
    const half = await run(await kernelWith('regcheck'), applyWrites(fresh, writes, halfAlt));
    expect(half.stop).toBeUndefined();
    expect(half.lines.some((l) => l.includes('recovered from the .ALT copy'))).toBe(false);
    expect(half.lines).toContain('regcheck: value Counter 0xC0000034');
    if (!has('fsck.fat')) { console.log('skipped: fsck.fat (dosfstools) is not installed'); ctx.skip(); }
    fsckEveryCut(fresh, writes);
  }, 300000);

  it('a flush that grows the hive makes each file anew at its size: every cut loads, fsck.fat at most reclaims clusters', async (ctx) => {
    const { writes } = await recordFlush(first.after, 'reggrow');
    const { sources, firstTorn } = checkEveryCut(first.after, writes, 1, 2);
    console.log(`growing hive flush: ${writes.length + 1} power-cut states, loaded from SYSTEM ${sources.SYSTEM}, from SYSTEM.ALT ${sources.ALT}`);
    expect(firstTorn).toBeGreaterThan(0);
    const grown = loadableHive(applyWrites(first.after, writes, writes.length))!;
    expect(sub(grown.tree, 'Select').values.get('BLOB')!.data.length).toBe(40000);
    if (!has('fsck.fat')) { console.log('skipped: fsck.fat (dosfstools) is not installed'); ctx.skip(); }
    fsckEveryCut(first.after, writes);
  }, 300000);

  it('a later flush rewrites both files in place: every cut passes fsck.fat -n and loads', async (ctx) => {
    const { writes } = await recordFlush(first.after);
    const { sources, firstTorn } = checkEveryCut(first.after, writes, 1, 2);
    console.log(`later hive flush: ${writes.length + 1} power-cut states, loaded from SYSTEM ${sources.SYSTEM}, from SYSTEM.ALT ${sources.ALT}`);
    expect(firstTorn).toBeGreaterThan(0);
    if (!has('fsck.fat')) { console.log('skipped: fsck.fat (dosfstools) is not installed'); ctx.skip(); }
    // In place: nothing but the volume's dirty flag (set by the first write, cleared at the end) may show.
    for (let k = 0; k <= writes.length; k++) {
      const state = applyWrites(first.after, writes, k);
      const r = fsck(state, k);
      if (r.code !== 0) expect(complaintsBesidesDirty(r.out, state), `fsck.fat after ${k} of ${writes.length} sector writes:\n${r.out}`).toBe('');
    }
    expect(fsck(applyWrites(first.after, writes, writes.length), writes.length).code).toBe(0);
  }, 300000);
});

void readFileSync;
