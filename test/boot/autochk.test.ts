// autochk.exe (images/system32/autochk/) on the emulated machine, against
// volumes damaged on purpose (test/boot/autochkfix.ts) with fsck.fat as the
// outside reference. The test launcher (test/pe/programs/launcher.ts) runs
// as smss.exe and starts autochk with each command line of \launch.txt:
// for every damaged volume a report-only check, a check with /r, and a
// check again. The damaged volumes are partitions 2-4 of the disk (opened
// raw, \Device\Harddisk0\PartitionN, as the kernel mounts only partition
// 1) and C: itself, which is mounted: /r must lock it first.
//
// For each kind of damage: fsck.fat -n on the damaged volume finds it, and
// autochk's report names it; after /r the volume the guest left
// (--save-disk) passes fsck.fat -n with nothing to say, and the files are
// what the repair promised.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { boot } from '../../emulator/node/boot.ts';
import { buildDisk } from '../../images/build.ts';
import { buildSystem32 } from '../../images/system32.ts';
import { buildUserImage } from '../../scripts/pe/link.ts';
import { FatVolume } from '../../images/disk/fat.ts';
import { MbrReadPartition } from '../../images/disk/mbr.ts';
import { msg } from './usermode.ts';
import {
  Plant, cleanVolume, diskWith, fat12Volume, plantBackupBoot, plantCrossLink, plantFat12DotDot, plantFatCopies, plantFsInfo,
  plantLfnChecksum, plantLost, plantSizes, plantInvalidLink, plantLoop, plantBadShortName, plantReservedAttributes, plantDirectorySize,
  plantMissingDots,
} from './autochkfix.ts';

function has(tool: string): boolean {
  try { execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'pipe' }); return true; } catch { return false; }
}
const FSCK = has('fsck.fat');
if (!FSCK) console.log('autochk tests: fsck.fat (dosfstools) is missing: the comparisons with it are skipped');

const tmp = mkdtempSync(join(tmpdir(), 'autochk-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** fsck.fat -n on a volume: its exit status and what it said (the version line and the summary line left out). */
function fsck(volume: Uint8Array, name: string): { status: number; said: string[] } {
  const path = join(tmp, `${name}.img`);
  writeFileSync(path, volume);
  const r = spawnSync('fsck.fat', ['-n', path], { encoding: 'utf8' });
  const said = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.trim() && !/^fsck\.fat \d/.test(l) && !l.startsWith(`${path}: `)
    && !/^Checking we can access the last sector/.test(l));
  return { status: r.status ?? -1, said };
}

const AUTOCHK = '\\??\\C:\\Windows\\System32\\autochk.exe';

interface Run { command: string; exit: string; lines: string[] }

/** Boots `disk` (launcher as smss.exe) running each autochk command line; the runs with their lines, and the saved disk. */
async function runAutochk(disk: Uint8Array, commands: string[], name: string): Promise<{ runs: Run[]; after: Uint8Array; log: string[] }> {
  const lines = commands.map((c) => c.startsWith('\\') ? c : `${AUTOCHK} ${c}`); // a line naming its own program, or autochk's arguments
  // The launch list goes on C: as a file; the disk already holds the launcher and autochk (see diskFor).
  const launch = new TextEncoder().encode(lines.join('\r\n') + '\r\n');
  const withList = replaceLaunchList(disk, launch);
  const { kernelImage } = await buildKernel({ write: false });
  const saved = join(tmp, `${name}-after.img`);
  const r = await boot({ kernel: kernelImage, disk: withList, until: 'launch: done', timeoutMs: 540000, saveDisk: saved });
  const log = msg(r.lines);
  expect(r.stop, log.join('\n')).toBeUndefined();
  expect(r.reached, log.join('\n')).toBe(true);
  // autochk's lines belong to the run whose "launch: ... -> exit" line follows them.
  const runs: Run[] = [];
  let pending: string[] = [];
  for (const l of log) {
    if (l.startsWith('autochk: ')) pending.push(l.slice(9));
    const m = /^smss: launch: (.*) -> (exit 0x[0-9A-F]{8}|not started.*)$/.exec(l);
    if (m) { runs.push({ command: m[1].startsWith(AUTOCHK) ? m[1].slice(AUTOCHK.length + 1) : m[1], exit: m[2], lines: pending }); pending = []; }
  }
  return { runs, after: new Uint8Array(readFileSync(saved)), log };
}

// The boot volume carries the launcher, ntdll.dll, autochk.exe and a launch list of fixed size that runAutochk overwrites.
const LIST_SIZE = 1024; // one cluster: the size replaceLaunchList writes never leaves a cluster over
let bootFiles: Map<string, Uint8Array>;
function bootVolumeDisk(): Uint8Array {
  return buildDisk({ files: new Map([...bootFiles, ['\\launch.txt', new Uint8Array(LIST_SIZE)]]) });
}
/** The disk with \launch.txt's bytes replaced (same cluster, padded with blanks and a final line break). */
function replaceLaunchList(disk: Uint8Array, list: Uint8Array): Uint8Array {
  if (list.length > LIST_SIZE) throw new Error('launch list too long');
  const copy = new Uint8Array(disk);
  const { volume } = MbrReadPartition(copy);
  const v = new FatVolume(volume);
  const entry = v.lookup('\\launch.txt')!;
  const p = new Plant(volume);
  const at = p.clusterOffset(entry.cluster);
  volume.fill(0, at, at + LIST_SIZE);
  volume.set(list, at);
  p.setSize(p.entry(0, 'LAUNCH  TXT'), list.length);
  return copy;
}

/** The volume of partition `n` (1-4) of a disk. */
function partition(disk: Uint8Array, n: number): Uint8Array {
  const dv = new DataView(disk.buffer, disk.byteOffset);
  const e = 446 + (n - 1) * 16;
  const start = dv.getUint32(e + 8, true), sectors = dv.getUint32(e + 12, true);
  return disk.slice(start * 512, (start + sectors) * 512);
}

/** The three runs of volume `v` (report, repair, check again). */
function threeRuns(runs: Run[], v: string): [Run, Run, Run] {
  const mine = runs.filter((r) => r.command.endsWith(` ${v}`));
  const report = mine.find((r) => r.command === `/p ${v}`)!;
  const repair = mine.find((r) => r.command === `/p /r ${v}`)!;
  const again = mine.filter((r) => r.command === `/p ${v}`)[1]!;
  expect(report && repair && again, `${v}: ${JSON.stringify(runs.map((r) => r.command))}`).toBeTruthy();
  return [report, repair, again];
}
const commandsFor = (v: string) => [`/p ${v}`, `/p /r ${v}`, `/p ${v}`];

const CLEAN = 'Windows has checked the file system and found no problems.';
const FOUND = 'Windows found errors on the disk, but will not fix them because disk checking was run without the /r parameter.';
const FIXED = 'Windows has made corrections to the file system.';
const CORRUPT = 'exit 0xC0000032';

beforeAll(async () => {
  const system32 = await buildSystem32();
  const launcher = (await buildUserImage('test/pe/programs/launcher.ts', { name: 'launcher.exe' })).bytes;
  bootFiles = new Map([
    ['\\Windows\\System32\\ntdll.dll', system32.get('ntdll.dll')!],
    ['\\Windows\\System32\\autochk.exe', system32.get('autochk.exe')!],
    ['\\Windows\\System32\\smss.exe', launcher],
    ['\\Images\\holdrun.exe', (await buildUserImage('test/boot/programs/holdrun.ts', { name: 'holdrun.exe' })).bytes],
  ]);
}, 300000);

describe('autochk on lost clusters (C:, mounted, dirty), a cross-link, wrong sizes, and a wrong FAT32 FSInfo and backup boot sector', () => {
  const P2 = '\\Device\\Harddisk0\\Partition2', P3 = '\\Device\\Harddisk0\\Partition3', P4 = '\\Device\\Harddisk0\\Partition4';
  let runs: Run[] = [];
  let log: string[] = [];
  let before: Uint8Array[] = [];
  let after: Uint8Array;

  beforeAll(async () => {
    const base = bootVolumeDisk();
    // C: is dirty (FAT[1] bit 15 clear, both copies) and has a lost chain.
    const c = MbrReadPartition(base).volume;
    plantLost(c);
    const pc = new Plant(c);
    pc.setFat(1, 0x7fff);
    const cross = cleanVolume('fat16'); plantCrossLink(cross);
    const sizes = cleanVolume('fat16'); plantSizes(sizes);
    const fsinfo = cleanVolume('fat32'); plantFsInfo(fsinfo); plantBackupBoot(fsinfo);
    const { disk } = diskWith(base, [cross, sizes, fsinfo]);
    before = [1, 2, 3, 4].map((n) => partition(disk, n));
    const r = await runAutochk(disk, ['*', '/r *', '*', '/p \\??\\C:', ...commandsFor(P2), ...commandsFor(P3), ...commandsFor(P4)], 'a');
    runs = r.runs; log = r.log; after = r.after;
  }, 600000);

  it('checks a dirty volume with *, repairs it with /r * under the volume lock, and leaves it clean', () => {
    expect(runs.map((r) => r.command)).toEqual(['*', '/r *', '*', '/p \\??\\C:', ...commandsFor(P2), ...commandsFor(P3), ...commandsFor(P4)]);
    const [check, repair, again, forced] = runs;
    expect(check.lines.slice(0, 3)).toEqual(['Checking file system on C:', 'The type of the file system is FAT.', 'One of your disks needs to be checked for consistency.']);
    expect(check.lines).toContain('3 lost allocation units found in 1 chain.');
    expect(check.lines, check.lines.join('\n')).toContain(FOUND);
    expect(check.exit).toBe(CORRUPT);
    expect(repair.lines).toContain('3 lost allocation units found in 1 chain.');
    expect(repair.lines).toContain(`Converting 1 lost chain into files in \\FOUND.000\\ (${3 * new Plant(before[0]).clusterBytes} bytes).`);
    expect(repair.lines, repair.lines.join('\n')).toContain(FIXED);
    expect(repair.exit).toBe('exit 0x00000000');
    expect(repair.lines.some((l) => / bytes in 1 recovered files\.$/.test(l))).toBe(true);
    // The file system driver was locked out while autochk wrote, then read the volume again.
    const lock = log.findIndex((l) => /^fat: volume 0x[0-9A-F]{8} locked for direct access$/.test(l));
    const unlock = log.findIndex((l) => /^fat: volume 0x[0-9A-F]{8} unlocked and read again: \d+ free clusters$/.test(l));
    expect(lock, log.join('\n')).toBeGreaterThan(-1);
    expect(unlock).toBeGreaterThan(lock);
    // What the driver counted when it read the volume again is what autochk left.
    const reread = Number(/(\d+) free clusters$/.exec(log[unlock])![1]);
    expect(repair.lines).toContain(`${reread.toLocaleString('en-US').padStart(14)} allocation units available on disk.`);
    // Not dirty any more: * passes it over; /p checks it and finds nothing.
    expect(again.lines).toEqual(['Checking file system on C:', 'The type of the file system is FAT.', 'The volume C: is clean; it is not checked (/p checks it anyway).']);
    expect(forced.lines, forced.lines.join('\n')).toContain(CLEAN);
    expect(forced.exit).toBe('exit 0x00000000');
  });

  it('recovers the lost chain as \\FOUND.000\\FILE0000.CHK', () => {
    const v = new FatVolume(partition(after, 1));
    const chk = v.lookup('\\FOUND.000\\FILE0000.CHK');
    expect(chk).not.toBeNull();
    expect(chk!.size).toBe(3 * v.bpb.sectorsPerCluster * 512);
    expect(v.fatEntry(1) & 0x8000).toBe(0x8000); // clean
  });

  it('finds a cross-link as fsck.fat does, and copies the shared allocation unit', () => {
    const [report, repair, again] = threeRuns(runs, P2);
    expect(report.lines.some((l) => /^\\BETA\.BIN is cross-linked on allocation unit \d+\.$/.test(l)), report.lines.join('\n')).toBe(true);
    expect(report.exit).toBe(CORRUPT);
    expect(repair.lines, repair.lines.join('\n')).toContain(FIXED);
    expect(repair.lines).toContain('  The shared allocation units were copied for it: 1 allocation unit.');
    expect(again.lines, again.lines.join('\n')).toContain(CLEAN);
    const v = new FatVolume(partition(after, 2)), old = new FatVolume(before[1]);
    const alpha = v.lookup('\\ALPHA.BIN')!, beta = v.lookup('\\BETA.BIN')!;
    expect(v.readFile(alpha)).toEqual(old.readFile(old.lookup('\\ALPHA.BIN')!));
    expect(beta.size).toBe(old.lookup('\\BETA.BIN')!.size);
    expect(v.readFile(beta)).toEqual(old.readFile(old.lookup('\\BETA.BIN')!)); // the copy holds what the shared unit held
    const shared = v.chain(alpha.cluster).filter((c) => v.chain(beta.cluster).includes(c));
    expect(shared).toEqual([]);
    if (FSCK) {
      expect(fsck(before[1], 'cross').said.join('\n')).toMatch(/\/ALPHA\.BIN\s+and\s+\/BETA\.BIN\s+share clusters/);
      expect(fsck(partition(after, 2), 'cross-after')).toEqual({ status: 0, said: [] });
    }
  });

  it('finds chains longer and shorter than their files as fsck.fat does, and fixes the sizes', () => {
    const [report, repair, again] = threeRuns(runs, P3);
    const cb = new Plant(before[2]).clusterBytes;
    expect(report.lines).toContain(`\\ALPHA.BIN is 200 bytes long but has 3 allocation units of ${cb} bytes.`);
    expect(report.lines).toContain(`\\GAMMA.BIN is 9000 bytes long but has only 5 allocation units of ${cb} bytes.`);
    expect(repair.lines).toContain('  The chain was cut to 1 allocation unit.');
    expect(repair.lines).toContain(`  The size was set to ${5 * cb} bytes.`);
    expect(repair.lines, repair.lines.join('\n')).toContain(FIXED);
    expect(again.lines, again.lines.join('\n')).toContain(CLEAN);
    const v = new FatVolume(partition(after, 3));
    expect(v.lookup('\\ALPHA.BIN')!.size).toBe(200);
    expect(v.chain(v.lookup('\\ALPHA.BIN')!.cluster)).toHaveLength(1);
    expect(v.lookup('\\GAMMA.BIN')!.size).toBe(5 * cb);
    if (FSCK) {
      const said = fsck(before[2], 'sizes').said.join('\n');
      expect(said).toMatch(/\/ALPHA\.BIN\s+File size is 200 bytes, cluster chain length is > 1024 bytes/);
      expect(said).toMatch(/\/GAMMA\.BIN\s+File size is 9000 bytes, cluster chain length is 5120 bytes/);
      expect(fsck(partition(after, 3), 'sizes-after')).toEqual({ status: 0, said: [] });
    }
  });

  it('finds a wrong FSInfo free count with the same numbers as fsck.fat, and a backup boot sector that differs, and corrects them', () => {
    const [report, repair, again] = threeRuns(runs, P4);
    expect(report.lines[1]).toBe('The type of the file system is FAT32.');
    const mine = report.lines.map((l) => /^The free space count in the FSInfo sector is wrong: (\d+) allocation units, really (\d+)\.$/.exec(l)).find(Boolean);
    expect(mine, report.lines.join('\n')).toBeTruthy();
    expect(repair.lines).toContain('The FSInfo sector was corrected.');
    expect(report.lines).toContain('The boot sector and its backup copy (sector 6) differ in 10 bytes, the first at offset 71.');
    expect(repair.lines).toContain('The backup boot sector was rewritten from the boot sector.');
    expect(again.lines, again.lines.join('\n')).toContain(CLEAN);
    const total = report.lines.find((l) => l.endsWith(' total allocation units on disk.'))!;
    const free = report.lines.find((l) => l.endsWith(' allocation units available on disk.'))!;
    if (FSCK) {
      const theirs = /Free cluster summary wrong \((\d+) vs\. really (\d+)\)/.exec(fsck(before[3], 'fsinfo').said.join('\n'));
      expect(theirs).toBeTruthy();
      expect([mine![1], mine![2]]).toEqual([theirs![1], theirs![2]]);
      expect(fsck(before[3], 'fsinfo').said.join('\n')).toMatch(/There are differences between boot sector and its backup/);
      expect(fsck(partition(after, 4), 'fsinfo-after')).toEqual({ status: 0, said: [] });
      // The summary's counts are fsck.fat's: "x/N clusters" (used of all).
      const r = spawnSync('fsck.fat', ['-n', join(tmp, 'fsinfo-after.img')], { encoding: 'utf8' });
      const [, used, all] = /(\d+)\/(\d+) clusters/.exec(r.stdout)!;
      expect(Number(total.replace(/[ ,a-z.]/g, ''))).toBe(Number(all));
      expect(Number(free.replace(/[ ,a-z.]/g, ''))).toBe(Number(all) - Number(used));
    }
  });

  it('leaves C: (mounted while it was repaired) passing fsck.fat', () => {
    if (FSCK) expect(fsck(partition(after, 1), 'c-after')).toEqual({ status: 0, said: [] });
  });
});

describe('autochk on a clean volume, FAT copies that differ, a bad long-name checksum and a bad ".." (FAT16 and FAT12)', () => {
  const P2 = '\\Device\\Harddisk0\\Partition2', P3 = '\\Device\\Harddisk0\\Partition3', P4 = '\\Device\\Harddisk0\\Partition4';
  // autochk /r on C: while holdrun.exe holds \launch.txt open.
  const HOLD = `\\??\\C:\\Images\\holdrun.exe \\??\\C:\\launch.txt ${AUTOCHK} /p /r \\??\\C:`;
  let runs: Run[] = [];
  let log: string[] = [];
  let before: Uint8Array[] = [];
  let after: Uint8Array;

  beforeAll(async () => {
    const base = bootVolumeDisk();
    const copies = cleanVolume('fat16'); plantFatCopies(copies);
    const lfn = cleanVolume('fat16'); plantLfnChecksum(lfn);
    const fat12 = fat12Volume(0); plantFat12DotDot(fat12);
    const { disk } = diskWith(base, [copies, lfn, fat12]);
    before = [1, 2, 3, 4].map((n) => partition(disk, n));
    const r = await runAutochk(disk, ['*', '/p C:', HOLD, ...commandsFor(P2), ...commandsFor(P3), ...commandsFor(P4)], 'b');
    runs = r.runs; after = r.after; log = r.log;
  }, 600000);

  it('passes over a clean volume with *, and finds nothing wrong with /p, with the counts fsck.fat gives', () => {
    expect(runs[0].lines).toEqual(['Checking file system on C:', 'The type of the file system is FAT.', 'The volume C: is clean; it is not checked (/p checks it anyway).']);
    const forced = runs[1];
    expect(forced.lines, forced.lines.join('\n')).toContain(CLEAN);
    expect(forced.exit).toBe('exit 0x00000000');
    expect(forced.lines.some((l) => / bytes total disk space\.$/.test(l))).toBe(true);
    expect(forced.lines.some((l) => / bytes in \d+ files\.$/.test(l))).toBe(true);
    if (FSCK) {
      const r = fsck(before[0], 'clean');
      expect(r).toEqual({ status: 0, said: [] });
      const out = spawnSync('fsck.fat', ['-n', join(tmp, 'clean.img')], { encoding: 'utf8' }).stdout;
      const [, used, all] = /(\d+)\/(\d+) clusters/.exec(out)!;
      const num = (suffix: string) => Number(forced.lines.find((l) => l.endsWith(suffix))!.replace(/[^0-9]/g, ''));
      expect(num(' total allocation units on disk.')).toBe(Number(all));
      expect(num(' allocation units available on disk.')).toBe(Number(all) - Number(used));
    }
  });

  it('refuses /r on a volume with an open file (the lock is refused) and only reports', () => {
    const held = runs.find((r) => r.command === HOLD)!;
    expect(held.exit).toBe('exit 0x00000000');
    expect(log).toContain('holdrun: open 0x00000000');
    expect(log).toContain('holdrun: exit 0x00000000');
    expect(held.lines, held.lines.join('\n')).toContain('Cannot lock the volume (status 0xC0000022): it is in use. The /r parameter is ignored; problems are only reported.');
    expect(held.lines).toContain(CLEAN);
    expect(log.some((l) => /^fat: volume .* locked for direct access$/.test(l))).toBe(false);
  });

  it('finds FAT copies that differ as fsck.fat does, and writes the first to both', () => {
    const [report, repair, again] = threeRuns(runs, P2);
    expect(report.lines.some((l) => /^The file allocation tables \(FATs\) on the disk are not the same: FAT 2 differs from FAT 1 in 2 bytes/.test(l)), report.lines.join('\n')).toBe(true);
    expect(repair.lines, repair.lines.join('\n')).toContain(FIXED);
    expect(again.lines, again.lines.join('\n')).toContain(CLEAN);
    const p = new Plant(partition(after, 2));
    const fat = (k: number) => p.vol.subarray((p.bpb.reservedSectors + k * p.bpb.fatSize) * 512, (p.bpb.reservedSectors + (k + 1) * p.bpb.fatSize) * 512);
    expect(Buffer.from(fat(0)).equals(Buffer.from(fat(1)))).toBe(true);
    if (FSCK) {
      expect(fsck(before[1], 'copies').said.join('\n')).toMatch(/FATs differ/);
      expect(fsck(partition(after, 2), 'copies-after')).toEqual({ status: 0, said: [] });
    }
  });

  it('finds a long name whose checksum is not its short name\'s as fsck.fat does, and deletes the orphaned entries', () => {
    const [report, repair, again] = threeRuns(runs, P3);
    expect(report.lines.some((l) => /^\\ has long file name entries \(\d+ to \d+\) that belong to no file: the checksum does not match the short name\.$/.test(l)), report.lines.join('\n')).toBe(true);
    expect(repair.lines, repair.lines.join('\n')).toContain(FIXED);
    expect(again.lines, again.lines.join('\n')).toContain(CLEAN);
    const v = new FatVolume(partition(after, 3));
    expect(repair.lines).toContain('  The entries were deleted.');
    expect(v.readDir().map((e) => e.name)).toContain('ALONGF~1.TXT');
    if (FSCK) {
      expect(fsck(before[2], 'lfn').said.join('\n')).toMatch(/Wrong checksum for long file name "A long file name\.txt"/);
      expect(fsck(partition(after, 3), 'lfn-after')).toEqual({ status: 0, said: [] });
    }
  });

  it('reads a FAT12 volume (hand-made) and finds its bad ".." as fsck.fat does', () => {
    const [report, repair, again] = threeRuns(runs, P4);
    expect(report.lines[1]).toBe('The type of the file system is FAT.');
    expect(report.lines).toContain('\\SUB\\INNER has a \'..\' entry that points to allocation unit 0 instead of 5.');
    expect(repair.lines).toContain('  The entry was corrected.');
    expect(repair.lines, repair.lines.join('\n')).toContain(FIXED);
    expect(again.lines, again.lines.join('\n')).toContain(CLEAN);
    expect(again.lines).toContain('         4,039 total allocation units on disk.');
    const p = new Plant(partition(after, 4));
    expect(p.start(p.entry(6, '..         '))).toBe(5);
    if (FSCK) {
      expect(fsck(before[3], 'fat12').said.join('\n')).toMatch(/\/SUB\/INNER\s+Invalid '\.\.' entry/);
      expect(fsck(partition(after, 4), 'fat12-after')).toEqual({ status: 0, said: [] });
    }
  });
});

describe('autochk on an invalid link, a loop, a bad short name, reserved attribute bits, a directory with a size, missing "." and ".." (FAT16, FAT32, FAT12)', () => {
  const P2 = '\\Device\\Harddisk0\\Partition2', P3 = '\\Device\\Harddisk0\\Partition3', P4 = '\\Device\\Harddisk0\\Partition4';
  let runs: Run[] = [];
  let before: Uint8Array[] = [];
  let after: Uint8Array;

  beforeAll(async () => {
    const base = bootVolumeDisk();
    // FAT16: GAMMA.BIN's chain links past the volume, BETA.BIN's short name has a '?', SUB has a size.
    const a = cleanVolume('fat16'); plantInvalidLink(a); plantBadShortName(a); plantDirectorySize(a);
    // FAT32: ALPHA.BIN's chain loops, SUB\INSIDE.TXT has reserved attribute bits, SUB\DEEPER lost "." and "..".
    const b = cleanVolume('fat32'); plantLoop(b); plantReservedAttributes(b); plantMissingDots(b);
    // FAT12: HELLO.TXT's chain loops, SUB has a size, FAT 2 differs from FAT 1.
    const c = fat12Volume(0);
    const p = new Plant(c);
    p.setFat(4, 2);
    p.setSize(p.entry(0, 'SUB        '), 512);
    plantFatCopies(c);
    const { disk } = diskWith(base, [a, b, c]);
    before = [1, 2, 3, 4].map((n) => partition(disk, n));
    const r = await runAutochk(disk, [...commandsFor(P2), ...commandsFor(P3), ...commandsFor(P4)], 'c');
    runs = r.runs; after = r.after;
  }, 600000);

  it('FAT16: finds an invalid cluster link, a bad short name and a directory size as fsck.fat does, and repairs them', () => {
    const [report, repair, again] = threeRuns(runs, P2);
    const old = new Plant(before[1]);
    const gamma = old.start(old.entry(0, 'GAMMA   BIN'));
    const second = old.fat(gamma);
    const said = report.lines.join('\n');
    expect(report.lines, said).toContain(`\\GAMMA.BIN has an invalid link in allocation unit ${second} (${old.bpb.clusterCount + 7}).`);
    expect(report.lines).toContain('\\BE?A.BIN has a short name with characters FAT does not allow.');
    expect(report.lines).toContain('\\SUB is a directory with a size (1234 bytes).');
    expect(report.exit).toBe(CORRUPT);
    expect(repair.lines).toContain(`  The chain now ends at allocation unit ${second}.`);
    expect(repair.lines).toContain('  The characters were replaced with \'_\'.');
    expect(repair.lines).toContain('  The size was set to 0.');
    expect(repair.lines, repair.lines.join('\n')).toContain(FIXED);
    expect(again.lines, again.lines.join('\n')).toContain(CLEAN);
    const v = new FatVolume(partition(after, 2));
    expect(v.lookup('\\BE_A.BIN')).not.toBeNull();
    expect(v.lookup('\\SUB')!.size).toBe(0);
    expect(v.chain(v.lookup('\\GAMMA.BIN')!.cluster)).toHaveLength(2);
    expect(v.lookup('\\GAMMA.BIN')!.size).toBe(2 * old.clusterBytes);
    if (FSCK) {
      const theirs = fsck(before[1], 'link').said.join('\n');
      // dosfstools numbers clusters from the first data cluster (ours minus 2), and names the last valid one.
      expect(theirs).toContain(`Cluster ${second - 2} out of range (${old.bpb.clusterCount + 7} > ${old.bpb.clusterCount + 1}). Setting to EOF.`);
      expect(theirs).toMatch(/\/BE\?A\.BIN\s+Bad short file name/);
      expect(theirs).toMatch(/\/SUB\s+Directory has non-zero size/);
      expect(fsck(partition(after, 2), 'link-after')).toEqual({ status: 0, said: [] });
    }
  });

  it('FAT32: finds a chain loop and missing "." and ".." as fsck.fat does, and reserved attribute bits (which fsck.fat 4.2 does not check); repairs them', () => {
    const [report, repair, again] = threeRuns(runs, P3);
    const old = new Plant(before[2]);
    const alpha = old.start(old.entry(0, 'ALPHA   BIN'));
    const said = report.lines.join('\n');
    expect(report.lines, said).toContain(`\\ALPHA.BIN has a chain that loops back to allocation unit ${alpha}.`);
    expect(report.lines).toContain('\\SUB\\INSIDE.TXT has reserved attribute bits set (attributes 0xE0).');
    expect(report.lines).toContain('\\SUB\\DEEPER has no \'.\' entry.');
    expect(report.lines).toContain('\\SUB\\DEEPER has no \'..\' entry.');
    expect(report.exit).toBe(CORRUPT);
    expect(repair.lines).toContain('  The reserved bits were cleared.');
    expect(repair.lines).toContain('  The entry was written.');
    expect(repair.lines, repair.lines.join('\n')).toContain(FIXED);
    expect(again.lines, again.lines.join('\n')).toContain(CLEAN);
    const p = new Plant(partition(after, 3));
    expect(p.chain(p.start(p.entry(0, 'ALPHA   BIN')))).toHaveLength(Math.ceil(3000 / p.clusterBytes));
    const sub = p.start(p.entry(0, 'SUB        '));
    expect(p.vol[p.entry(sub, 'INSIDE  TXT') + 11]).toBe(0x20);
    const deeper = p.start(p.entry(sub, 'DEEPER     '));
    expect(p.start(p.entry(deeper, '.          '))).toBe(deeper);
    expect(p.start(p.entry(deeper, '..         '))).toBe(sub);
    if (FSCK) {
      const theirs = fsck(before[2], 'loop').said.join('\n');
      expect(theirs).toMatch(/\/ALPHA\.BIN\s+Circular cluster chain/);
      expect(theirs).toMatch(/\/SUB\/DEEPER\s+Expected a valid '\.' entry in the first slot/);
      expect(theirs).toMatch(/\/SUB\/DEEPER\s+Expected a valid '\.\.' entry in the second slot/);
      expect(theirs).not.toMatch(/INSIDE/); // dosfstools does not look at the reserved bits
      expect(fsck(partition(after, 3), 'loop-after')).toEqual({ status: 0, said: [] });
    }
  });

  it('FAT12: finds a chain loop, a directory size and FAT copies that differ as fsck.fat does, and repairs them', () => {
    const [report, repair, again] = threeRuns(runs, P4);
    const said = report.lines.join('\n');
    expect(report.lines, said).toContain('\\HELLO.TXT has a chain that loops back to allocation unit 2.');
    expect(report.lines).toContain('\\SUB is a directory with a size (512 bytes).');
    expect(report.lines.some((l) => /^The file allocation tables \(FATs\) on the disk are not the same: FAT 2 differs from FAT 1/.test(l)), said).toBe(true);
    expect(report.exit).toBe(CORRUPT);
    expect(repair.lines, repair.lines.join('\n')).toContain(FIXED);
    expect(again.lines, again.lines.join('\n')).toContain(CLEAN);
    const p = new Plant(partition(after, 4));
    expect(p.chain(2)).toEqual([2, 3, 4]);
    expect(p.size(p.entry(0, 'SUB        '))).toBe(0);
    if (FSCK) {
      const theirs = fsck(before[3], 'fat12-loop').said.join('\n');
      expect(theirs).toMatch(/\/HELLO\.TXT\s+Circular cluster chain/);
      expect(theirs).toMatch(/\/SUB\s+Directory has non-zero size/);
      expect(theirs).toMatch(/FATs differ/);
      expect(fsck(partition(after, 4), 'fat12-loop-after')).toEqual({ status: 0, said: [] });
    }
  });
});
