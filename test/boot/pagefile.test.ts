// NtCreatePagingFile from ring 3 (programs/pagefile.ts) on a FAT16 volume:
// NT's checks in NT's order, the file made at its minimum size in one
// contiguous run (hidden, system, kept open exclusively), listed by
// SystemPageFileInformation, the commit limit grown by its pages; the disk
// the guest left read by our FAT reader and fsck.fat.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { boot } from '../../emulator/node/boot.ts';
import { buildDisk, openDisk } from '../../images/build.ts';
import { MbrReadPartition } from '../../images/disk/mbr.ts';
import { msg, program } from './usermode.ts';

function has(tool: string): boolean {
  try { execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'pipe' }); return true; } catch { return false; }
}

describe('paging files from ring 3', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'pagefile-test-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  let out: string[] = [];
  let all: string[] = [];
  let after: Uint8Array;

  beforeAll(async () => {
    const { kernelImage } = await buildKernel({ bootModules: [{ name: 'pagefile.exe', bytes: await program('pagefile') }], write: false });
    const r = await boot({ kernel: kernelImage, disk: buildDisk({ fat: 'fat16', sizeMB: 32 }), until: 'ke: idle loop', timeoutMs: 150000,
      onDiskDone: (image) => { after = image; } });
    expect(r.stop).toBeUndefined();
    all = msg(r.lines);
    out = all.filter((l) => l.startsWith('pagefile: ')).map((l) => l.slice(10));
  }, 300000);

  it('SystemPerformanceInformation and an empty SystemPageFileInformation', () => {
    expect(out.slice(0, 4)).toEqual([
      'performance 0x00000000', 'performance length 0x00000138', 'performance short buffer 0xC0000004', 'list 0x00000000 length 0',
    ]);
  });

  it('NT\'s checks: privilege, sizes, name, pointers; a file too big for the volume leaves nothing', () => {
    const at = out.indexOf('open token 0x00000000');
    expect(at).toBeGreaterThan(0);
    expect(out.slice(at + 1, at + 14)).toEqual([
      'disable privilege 0x00000000',
      'no privilege 0xC0000061',
      'enable privilege 0x00000000',
      'under 1 MiB 0xC00000F0',
      'maximum under minimum 0xC00000F1',
      'over 4 GiB 0xC00000F1',
      'empty name 0xC0000033',
      'kernel name 0xC0000005',
      'kernel size 0xC0000005',
      'bigger than the volume 0xC000007F',
      'no file left behind 0xC0000034',
      'commit limit unchanged 0x00000001',
      'create 0x00000000',
    ]);
  });

  it('the paging file is listed, the commit limit grows by its pages, and nobody else may write it', () => {
    const at = out.indexOf('create 0x00000000');
    expect(out.slice(at + 1, at + 8)).toEqual([
      'commit limit grew by 512 pages',
      'list 0x00000000 length 64',
      'entry next 0 total 512 in use 0 peak 0 name \\??\\C:\\pagefile.sys',
      'open it for writing 0xC0000043',
      'a second one 0x00000000',
      'list 0x00000000 length 124',
      'entry next 64 total 512 in use 0 peak 0 name \\??\\C:\\pagefile.sys',
    ]);
    expect(out.slice(at + 8)).toEqual([
      'entry next 0 total 256 in use 0 peak 0 name \\??\\C:\\second.sys',
      'list short buffer 0xC0000004', 'needed 0x0000007C', 'done 0x00000000',
    ]);
    expect(all).toContainEqual(expect.stringMatching(/^mm: paging file \\\?\?\\C:\\pagefile\.sys: 2048 KiB \(maximum 4096 KiB\), commit limit now \d+ pages; the modified page writer pages to it$/));
  });

  it('leaves pagefile.sys on the disk at its minimum size, contiguous, hidden and system; fsck.fat agrees', (ctx) => {
    const volume = openDisk(after);
    const entry = volume.lookup('\\pagefile.sys')!;
    expect(entry).not.toBeNull();
    expect(entry.size).toBe(2 * 1024 * 1024);
    expect(entry.attr & 0x06).toBe(0x06);
    const chain = volume.chain(entry.cluster);
    expect(chain.length * volume.bpb.bytesPerSector * volume.bpb.sectorsPerCluster).toBe(2 * 1024 * 1024);
    chain.forEach((c, i) => expect(c).toBe(entry.cluster + i));
    expect(volume.lookup('\\second.sys')?.size).toBe(1024 * 1024);
    expect(volume.lookup('\\big.sys')).toBeNull();
    if (!has('fsck.fat')) { console.log('skipped: fsck.fat (dosfstools) is not installed'); ctx.skip(); }
    const part = join(tmp, 'part.img');
    writeFileSync(part, MbrReadPartition(after).volume);
    const text = execFileSync('fsck.fat', ['-n', part], { encoding: 'utf8' });
    expect(text).not.toMatch(/differ|lost|wrong|invalid|shorten|truncat/i);
  });
});
