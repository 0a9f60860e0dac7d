// The I/O side of the kernel on real emulated hardware: the ATA driver finds
// v86's IDE disk (IDENTIFY, interrupt-driven on IRQ 14), reads the MBR that
// images/build.ts wrote, and a boot without a disk goes on without one; the
// FAT volume is mounted and a ring-3 program (programs/files.ts) works on it
// through the file services; the host then checks the disk it left.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { boot } from '../../emulator/node/boot.ts';
import { buildDisk, listDisk, openDisk, SYSTEM_HIVE_PATH } from '../../images/build.ts';
import { MbrReadPartition } from '../../images/disk/mbr.ts';
import { msg, program } from './usermode.ts';
import { sleepingSmssImage } from '../pe/tiny.ts';

function has(tool: string): boolean {
  try { execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'pipe' }); return true; } catch { return false; }
}

let kernel: Uint8Array;
beforeAll(async () => { kernel = (await buildKernel({ write: false })).kernelImage; }, 120000);

describe('ATA driver', () => {
  it('identifies the primary master and reads the partition table through IRQ 14', async () => {
    // A stand-in smss.exe that sleeps: without one a kernel with no boot modules stops with 0x6D.
    const disk = buildDisk({ sizeMB: 48, files: new Map([['\\Windows\\System32\\smss.exe', sleepingSmssImage()]]) });
    const r = await boot({ kernel, disk, until: 'ke: idle loop', timeoutMs: 30000 });
    expect(r.stop).toBeUndefined();
    const lines = msg(r.lines);
    const sectors = disk.length / 512;
    // v86's PIIX3 IDE function offers bus mastering: transfers go by DMA (BAR4's registers)
    expect(lines).toContain(`io: ATA primary master "v86 ATA HD", ${sectors} sectors (48 MiB), bus-master DMA LBA28 on IRQ 14 (registers at 0x0000B400)`);
    // The partition the image builder made, as the MBR on the disk says.
    const view = new DataView(disk.buffer, disk.byteOffset + 446);
    const type = view.getUint8(4), first = view.getUint32(8, true), count = view.getUint32(12, true);
    expect(lines).toContain(`io: partition 1: type 0x${type.toString(16).toUpperCase().padStart(8, '0')}, LBA ${first}, ${count} sectors`);
    expect(lines.filter((l) => l.startsWith('io: partition'))).toHaveLength(1);
  }, 60000);

  it('falls back to PIO with `nodma` and reads the same volume', async () => {
    const disk = buildDisk({ sizeMB: 48, files: new Map([['\\Windows\\System32\\smss.exe', sleepingSmssImage()]]) });
    const r = await boot({ kernel, disk, cmdline: 'nodma', until: 'ke: idle loop', timeoutMs: 30000 });
    expect(r.stop).toBeUndefined();
    const lines = msg(r.lines);
    expect(lines).toContain(`io: ATA primary master "v86 ATA HD", ${disk.length / 512} sectors (48 MiB), PIO LBA28 on IRQ 14`);
    expect(lines.filter((l) => l.startsWith('io: partition'))).toHaveLength(1);
    expect(lines.some((l) => l.startsWith('fat: ') && l.includes('mounted'))).toBe(true);
  }, 60000);

  it('boots on without a disk', async () => {
    const r = await boot({ kernel, until: 'ke: idle loop', timeoutMs: 30000 });
    expect(r.stop).toBeUndefined();
    expect(r.reached).toBe(true);
    expect(msg(r.lines)).toContain('io: no ATA disk on the primary channel');
  }, 60000);
});

describe.each([['fat16', 32], ['fat32', 300]] as const)('files on a %s volume, from ring 3', (fat, sizeMB) => {
  const tmp = mkdtempSync(join(tmpdir(), 'io-test-'));
  const disk = () => buildDisk({ fat, sizeMB });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  let lines: string[] = [];
  let after: Uint8Array;
  let clusterBytes = 0;

  beforeAll(async () => {
    const bytes = await program('files');
    const { kernelImage } = await buildKernel({ bootModules: [{ name: 'files', bytes }], write: false });
    const saved = join(tmp, 'after.img');
    const r = await boot({ kernel: kernelImage, disk: disk(), until: 'ke: idle loop', timeoutMs: 60000, saveDisk: saved });
    expect(r.stop).toBeUndefined();
    lines = msg(r.lines).filter((l) => l.startsWith('files: ')).map((l) => l.slice(7));
    clusterBytes = Number(/clusters of (\d+) bytes/.exec(msg(r.lines).find((l) => l.startsWith('fat: mounted')) ?? '')?.[1]);
    after = new Uint8Array(readFileSync(saved));
  }, 120000);

  it('mounts the volume and makes \\??\\C: and \\SystemRoot', async () => {
    const r = await boot({ kernel, disk: disk(), until: 'ke: idle loop', timeoutMs: 30000 });
    const t = msg(r.lines);
    expect(t.find((l) => l.startsWith(`fat: mounted \\Device\\Harddisk0\\Partition1: ${fat.toUpperCase()}, `))).toMatch(/label "NTWASM86"$/);
    expect(t).toContain('io: \\??\\C: -> \\Device\\Harddisk0\\Partition1, \\SystemRoot -> \\Device\\Harddisk0\\Partition1\\Windows');
  }, 60000);

  it('creates, writes, reads and queries with NT statuses', () => {
    for (const want of [
      'mkdir 0x00000000 info 2', 'mkdir again 0xC0000035', 'create 0x00000000 info 2', 'write 0x00000000 info 5000',
      'read 0x00000000 info 5000', 'same bytes 0x00000001', 'read at the end 0xC0000011 info 0',
      'read across the end 0x00000000 info 10', 'write past the end 0x00000000 info 10', 'gap is zeros 0x00000001',
      `size 9010 allocation ${Math.ceil(9010 / clusterBytes) * clusterBytes} directory 0`, 'at 9000', 'name \\Test\\Hello World.txt', 'name, small buffer 0x80000005',
      'bad class 0xC0000003', 'short buffer 0xC0000004', 'size now 100', 'close 0x00000000',
    ]) expect(lines.some((l) => l.startsWith(want)), `${want}\n${lines.join('\n')}`).toBe(true);
  });

  it('keeps the dispositions, directory rules and share access', () => {
    for (const want of [
      'create existing 0xC0000035', 'open_if existing 0x00000000 info 1', 'overwrite_if 0x00000000 info 3',
      'size after overwrite 0', 'supersede 0x00000000 info 2', 'missing file 0xC0000034', 'missing path 0xC000003A',
      'bad name 0xC0000033', 'directory as file 0xC00000BA', 'file as directory 0xC0000103',
      'sharing violation 0xC0000043', 'shared again 0x00000000',
    ]) expect(lines.some((l) => l.startsWith(want)), `${want}\n${lines.join('\n')}`).toBe(true);
  });

  it('renames, lists, refuses read-only changes and deletes', () => {
    for (const want of [
      'rename here 0x00000000', 'rename onto existing 0xC0000035', 'rename elsewhere 0x00000000', 'name \\Moved.txt',
      'rename with replace 0x00000000', 'old name gone 0xC0000034',
      'set read-only 0x00000000', 'write a read-only file 0xC0000022', 'delete a read-only file 0xC0000121',
      'attributes 0x00000001', 'delete a full directory 0xC0000101', 'delete a file 0x00000000', 'gone 0xC0000034',
      'delete on close: there 0x00000000', 'delete on close: gone 0xC0000034',
    ]) expect(lines.some((l) => l.startsWith(want)), `${want}\n${lines.join('\n')}`).toBe(true);
    const listing = lines.filter((l) => l.startsWith('entry '));
    expect(listing).toEqual([
      'entry . size 0 attributes 0x00000010', 'entry .. size 0 attributes 0x00000010',
      'entry Second File With A Long Name.bin size 1234 attributes 0x00000020', 'entry short.txt size 0 attributes 0x00000020',
      'entry Second File With A Long Name.bin size 1234 attributes 0x00000020', // the *.bin listing
    ]);
    expect(lines.filter((l) => l.startsWith('list end'))).toEqual(['list end 0x80000006', 'list end 0x80000006']);
  });

  it('reads the system files through \\SystemRoot, answers volume queries, and refuses hostile input', () => {
    const hive = openDisk(disk()).readPath(SYSTEM_HIVE_PATH);
    for (const want of [
      'hive attributes 0x00000000', `hive size ${hive.length}`, 'hive magic 0x66676572', 'volume size 0x00000000',
      `file system ${fat === 'fat32' ? 'FAT32' : 'FAT'}`, 'kernel buffer 0xC0000005', 'bad handle 0xC0000008', 'write without access 0xC0000022',
      'kernel name 0xC0000005', 'open null 0x00000000', 'write null 0x00000000 info 77', 'read null 0xC0000011',
      'flush 0x00000000', 'done 0x00000000',
    ]) expect(lines.some((l) => l.startsWith(want)), `${want}\n${lines.join('\n')}`).toBe(true);
  });

  it('leaves a volume our reader and fsck.fat accept, with the files it wrote', (ctx) => {
    const volume = openDisk(after);
    const result = volume.readPath('\\Result with a long name.bin');
    expect(result.length).toBe(10000);
    for (let i = 0; i < 10000; i++) {
      const k = i < 8192 ? i : i - 8192;
      if (result[i] !== ((k ^ (k >> 8)) & 0xff)) throw new Error(`byte ${i} differs`);
    }
    expect(volume.readPath('\\moved.txt').length).toBe(0);
    const list = listDisk(after);
    expect(list).toContain('\\Test\\short.txt  0');
    expect(list.some((l) => l.startsWith('\\Test\\Second File'))).toBe(false);
    expect(list.some((l) => l.startsWith('\\Test\\temp.txt'))).toBe(false);
    if (!has('fsck.fat')) { console.log('skipped: fsck.fat (dosfstools) is not installed'); ctx.skip(); }
    const part = join(tmp, 'part.img');
    writeFileSync(part, MbrReadPartition(after).volume);
    const out = execFileSync('fsck.fat', ['-n', part], { encoding: 'utf8' });
    expect(out).toMatch(/ 13 files, /); // \, Windows tree (SYSTEM, SAM, SOFTWARE) and what the program left
    if (!has('mtype')) { console.log('skipped: mtype/mdir (mtools) are not installed'); return; }
    const typed = execFileSync('mtype', ['-i', part, '::/Result with a long name.bin'], { maxBuffer: 1 << 20 });
    expect(Buffer.compare(typed, Buffer.from(result))).toBe(0);
    const dir = execFileSync('mdir', ['-i', part, '::/Test'], { encoding: 'utf8' });
    expect(dir).toMatch(/^short\s+txt\s+0 /m);
    expect(dir).not.toMatch(/Second File/);
  });
});

describe('\\Device\\Serial0 (COM1, interrupt-driven on IRQ 4)', () => {
  it('turns written lines into log lines and hands typed bytes to a waiting read', async () => {
    const { kernelImage } = await buildKernel({ bootModules: [{ name: 'serial', bytes: await program('serial') }], write: false });
    const r = await boot({ kernel: kernelImage, until: 'ke: idle loop', timeoutMs: 30000, input: [{ after: 'serial: waiting for input', text: 'hello' }, { after: 'serial: waiting with a timeout', text: 'z' }] });
    expect(r.stop).toBeUndefined();
    const t = msg(r.lines);
    const at = t.indexOf('serial: open 0x00000000');
    expect(at).toBeGreaterThan(-1);
    expect(t.slice(at + 1, at + 4)).toEqual(['serial: first line', 'serial: second line', 'serial: write 0x00000000 24']);
    expect(t).toContain('serial: read 5 bytes: 104,101,108,108,111');
    // Read timeouts per open (IOCTL_SERIAL_SET_TIMEOUTS): at once, a bounded wait, a wait that gets the typed byte.
    const after = t.indexOf('serial: read 5 bytes: 104,101,108,108,111');
    expect(t.slice(after + 1, after + 10)).toEqual([
      'serial: set immediate timeouts 0x00000000',
      'serial: read with nothing there 0x00000102 0',
      'serial: set a 200 ms first-byte wait 0x00000000',
      'serial: get timeouts 0x00000000 0xFFFFFFFF 0xFFFFFFFF 200',
      'serial: read that times out 0x00000102',
      'serial: a short set 0xC0000023',
      'serial: an unknown control code 0xC0000010',
      'serial: waiting with a timeout',
      'serial: read within the timeout 0x00000000 1 122',
    ]);
    expect(t).toContain('serial: another open\'s timeouts 0x00000000 0x00000000');
    // Every line kept the log format although the port is interrupt-driven now.
    for (const line of r.lines.filter((l) => l.length > 0)) expect(line).toMatch(/^\[ *\d+\.\d{6}\] [a-z][a-z0-9]*: /);
  }, 60000);
});
