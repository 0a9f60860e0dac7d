import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ATTR_ARCHIVE, ATTR_DIRECTORY, ATTR_HIDDEN, ATTR_READ_ONLY, ATTR_SYSTEM,
  FatBuildVolume, FatComputeLayout, FatDateTime, FatVolume,
  type FatNode, type FatReadNode, type FatType,
} from '../../images/disk/fat.ts';
import { FatLfnChecksum, NTRES_LOWER_BASE, NTRES_LOWER_EXT } from '../../images/disk/fatnames.ts';
import { MbrAssembleDisk, MbrBuildFatDisk, MbrChs, MbrReadPartition, PARTITION_START_LBA } from '../../images/disk/mbr.ts';

const tmp = mkdtempSync(join(tmpdir(), 'fat-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const DATE = new Date(Date.UTC(2024, 4, 17, 13, 45, 30));
/** FAT16 partition (16 MiB, 4 sectors per cluster) and FAT32 (35 MB, 1 sector per cluster). */
const SIZES: Record<FatType, number> = { fat16: 32768, fat32: 70000 };

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}
const text = (s: string) => new TextEncoder().encode(s);

function sampleTree(): FatNode[] {
  const many: FatNode[] = [];
  for (let i = 0; i < 40; i++) many.push({ kind: 'file', name: `Entry number ${i} with a long name.txt`, data: text(`file ${i}\n`) });
  return [
    { kind: 'file', name: 'README.TXT', data: text('hello from the root\n') },
    { kind: 'file', name: 'lower.txt', data: text('lowercase 8.3\n') },
    { kind: 'file', name: 'Mixed.Txt', data: text('mixed case needs an LFN\n') },
    { kind: 'file', name: 'Long name 1.txt', data: text('1') },
    { kind: 'file', name: 'Long name 2.txt', data: text('2') },
    { kind: 'file', name: 'empty.bin', data: new Uint8Array(0) },
    { kind: 'file', name: 'big file spanning many clusters.dat', data: bytes(300_000, 7) },
    { kind: 'file', name: 'ntldr', data: text('sys'), readOnly: true, hidden: true, system: true },
    {
      kind: 'dir', name: 'Windows', children: [
        {
          kind: 'dir', name: 'System32', children: [
            { kind: 'file', name: 'smss.exe', data: bytes(5000, 1) },
            { kind: 'file', name: 'ntdll.dll', data: bytes(70_000, 2) },
            { kind: 'dir', name: 'config', children: [{ kind: 'file', name: 'SYSTEM', data: bytes(8192, 3) }] },
            { kind: 'dir', name: 'many', children: many },
          ],
        },
        { kind: 'file', name: 'a name with spaces and ünïcødé €.log', data: text('utf-16\n') },
        { kind: 'file', name: 'archive.tar.gz', data: bytes(1, 4) },
        { kind: 'dir', name: 'empty dir', children: [] },
      ],
    },
  ];
}

/** The tree without the reader's entry records, to compare with the input. */
function strip(nodes: FatReadNode[]): unknown[] {
  return nodes.map((n) => (n.kind === 'dir'
    ? { kind: 'dir', name: n.name, children: strip(n.children) }
    : { kind: 'file', name: n.name, data: Buffer.from(n.data).toString('hex') }));
}
function plain(nodes: FatNode[]): unknown[] {
  return nodes.map((n) => (n.kind === 'dir'
    ? { kind: 'dir', name: n.name, children: plain(n.children) }
    : { kind: 'file', name: n.name, data: Buffer.from(n.data).toString('hex') }));
}

function has(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

for (const type of ['fat16', 'fat32'] as FatType[]) {
  describe(`${type.toUpperCase()} volume`, () => {
    const tree = sampleTree();
    const disk = MbrBuildFatDisk(tree, { type, partitionSectors: SIZES[type], date: DATE, label: 'NT SMSS' });
    const part = MbrReadPartition(disk);
    const vol = new FatVolume(part.volume);
    const diskPath = join(tmp, `${type}.img`);
    const partPath = join(tmp, `${type}.part`);
    writeFileSync(diskPath, disk);
    writeFileSync(partPath, part.volume);
    const offset = PARTITION_START_LBA * 512;

    it('has an MBR with one partition at LBA 2048', () => {
      expect(part.type).toBe(type === 'fat16' ? 0x06 : 0x0c);
      expect(part.startLba).toBe(2048);
      expect(part.sectors).toBe(SIZES[type]);
      expect(disk.length).toBe((2048 + SIZES[type]) * 512);
      expect([disk[510], disk[511]]).toEqual([0x55, 0xaa]);
      expect([...disk.subarray(0x1bf, 0x1c2)]).toEqual(MbrChs(2048)); // CHS start: 0/32/33
      expect(MbrChs(2048)).toEqual([32, 33, 0]);
    });

    it('has a BPB with the spec values', () => {
      const b = vol.bpb;
      const L = FatComputeLayout(type, SIZES[type]);
      expect(b.type).toBe(type);
      expect(b.bytesPerSector).toBe(512);
      expect(b.sectorsPerCluster).toBe(type === 'fat16' ? 4 : 1);
      expect(b.reservedSectors).toBe(type === 'fat16' ? 1 : 32);
      expect(b.numFats).toBe(2);
      expect(b.media).toBe(0xf8);
      expect(b.hiddenSectors).toBe(2048);
      expect(b.totalSectors).toBe(SIZES[type]);
      expect(b.fatSize).toBe(L.fatSize);
      expect(b.label).toBe('NT SMSS');
      expect(b.fsType).toBe(type === 'fat16' ? 'FAT16' : 'FAT32');
      expect(b.rootEntries).toBe(type === 'fat16' ? 512 : 0);
      // FAT entries 0 and 1, and both FAT copies identical.
      expect(vol.fatEntry(0)).toBe(type === 'fat16' ? 0xfff8 : 0x0ffffff8);
      const fatBytes = b.fatSize * 512;
      const f1 = part.volume.subarray(b.reservedSectors * 512, b.reservedSectors * 512 + fatBytes);
      const f2 = part.volume.subarray(b.reservedSectors * 512 + fatBytes, b.reservedSectors * 512 + 2 * fatBytes);
      expect(Buffer.compare(f1, f2)).toBe(0);
      if (type === 'fat32') {
        const v = part.volume;
        const dv = new DataView(v.buffer, v.byteOffset);
        expect(b.rootCluster).toBe(2);
        expect(dv.getUint32(512, true)).toBe(0x41615252);
        expect(dv.getUint32(512 + 484, true)).toBe(0x61417272);
        expect(dv.getUint32(512 + 508, true)).toBe(0xaa550000);
        expect(Buffer.compare(v.subarray(0, 1024), v.subarray(6 * 512, 8 * 512))).toBe(0);
      }
    });

    it('reads back the same tree (round trip)', () => {
      expect(strip(vol.readTree())).toEqual(plain(tree));
      expect(Buffer.from(vol.readPath('/windows/system32/CONFIG/system')).toString('hex')).toBe(Buffer.from(bytes(8192, 3)).toString('hex'));
    });

    it('writes short names, NT case flags, LFNs, attributes and timestamps', () => {
      const root = vol.readDir();
      const byName = (n: string) => root.find((e) => e.name === n)!;
      expect(byName('README.TXT').shortName).toBe('README.TXT');
      expect(byName('README.TXT').ntRes).toBe(0);
      expect(byName('lower.txt').shortName).toBe('LOWER.TXT');
      expect(byName('lower.txt').ntRes).toBe(NTRES_LOWER_BASE | NTRES_LOWER_EXT);
      expect(byName('Mixed.Txt').shortName).toBe('MIXED.TXT'); // lossless: no numeric tail
      expect(byName('Long name 1.txt').shortName).toBe('LONGNA~1.TXT');
      expect(byName('Long name 2.txt').shortName).toBe('LONGNA~2.TXT');
      expect(byName('big file spanning many clusters.dat').shortName).toBe('BIGFIL~1.DAT');
      expect(byName('big file spanning many clusters.dat').attr).toBe(ATTR_ARCHIVE);
      expect(byName('ntldr').attr).toBe(ATTR_READ_ONLY | ATTR_HIDDEN | ATTR_SYSTEM | ATTR_ARCHIVE);
      expect(byName('empty.bin').cluster).toBe(0);
      expect(byName('empty.bin').size).toBe(0);
      const win = byName('Windows');
      expect(win.attr).toBe(ATTR_DIRECTORY);
      expect(win.shortName).toBe('WINDOWS');
      const st = FatDateTime(DATE);
      expect(st.date).toBe(((2024 - 1980) << 9) | (5 << 5) | 17);
      expect(st.time).toBe((13 << 11) | (45 << 5) | 15);
      expect([win.wrtDate, win.wrtTime, win.crtDate, win.crtTime]).toEqual([st.date, st.time, st.date, st.time]);
      // "." and ".." of a first-level directory: itself, and 0 for the root.
      const dots = vol.readDir(win.cluster, true).slice(0, 2);
      expect(dots.map((d) => [d.shortName, d.cluster, d.attr])).toEqual([['.', win.cluster, ATTR_DIRECTORY], ['..', 0, ATTR_DIRECTORY]]);
      const sys32 = vol.lookup('/Windows/System32')!;
      const dots2 = vol.readDir(sys32.cluster, true).slice(0, 2);
      expect(dots2.map((d) => d.cluster)).toEqual([sys32.cluster, win.cluster]);
      // The big file's chain is long enough.
      const big = byName('big file spanning many clusters.dat');
      expect(vol.chain(big.cluster).length).toBe(Math.ceil(300_000 / (vol.bpb.sectorsPerCluster * 512)));
      expect(vol.readDir(vol.lookup('/Windows/System32/many')!.cluster).length).toBe(40);
    });

    it('lays out LFN entries in order with the 0x40 flag and the checksum', () => {
      // The first root entries: label, README.TXT, lower.txt, then Mixed.Txt's LFN + short entry.
      const b = vol.bpb;
      const rootOff = type === 'fat16'
        ? (b.reservedSectors + 2 * b.fatSize) * 512
        : (b.firstDataSector + (b.rootCluster - 2) * b.sectorsPerCluster) * 512;
      const raw = part.volume.subarray(rootOff, rootOff + 6 * 32);
      expect(raw[11]).toBe(0x08); // volume label entry
      expect(String.fromCharCode(...raw.subarray(0, 11))).toBe('NT SMSS    ');
      const lfn = raw.subarray(3 * 32, 4 * 32);
      const short = raw.subarray(4 * 32, 4 * 32 + 11);
      expect(String.fromCharCode(...short)).toBe('MIXED   TXT');
      expect(lfn[0]).toBe(0x41); // ord 1 | last
      expect(lfn[11]).toBe(0x0f);
      expect(lfn[13]).toBe(FatLfnChecksum(short));
      const dv = new DataView(lfn.buffer, lfn.byteOffset);
      expect(dv.getUint16(1, true)).toBe('M'.charCodeAt(0));
      expect(dv.getUint16(20, true)).toBe('t'.charCodeAt(0)); // 9th unit
      expect(dv.getUint16(22, true)).toBe(0x0000); // NUL after the name
      expect([24, 28, 30].map((o) => dv.getUint16(o, true))).toEqual([0xffff, 0xffff, 0xffff]); // padding
    });

    it('passes fsck.fat -n', (ctx) => {
      if (!has('fsck.fat')) {
        console.log('skipped: fsck.fat (dosfstools) is not installed');
        ctx.skip();
      }
      const r = spawnSync('fsck.fat', ['-n', '-v', partPath], { encoding: 'utf8' });
      expect(r.stdout + r.stderr).not.toMatch(/differ|invalid|bad|error|Fix|Free cluster summary wrong|Reclaim/i);
      expect(r.status, r.stdout + r.stderr).toBe(0);
    });

    it('is read by mdir and mcopy (mtools)', (ctx) => {
      if (!has('mdir') || !has('mcopy')) {
        console.log('skipped: mdir/mcopy (mtools) is not installed');
        ctx.skip();
      }
      const img = `${diskPath}@@${offset}`;
      const env = { ...process.env, MTOOLS_SKIP_CHECK: '0' };
      const list = execFileSync('mdir', ['-i', img, '::/Windows/System32'], { encoding: 'utf8', env });
      expect(list).toContain('ntdll');
      expect(list).toContain('config');
      const label = execFileSync('mdir', ['-i', img, '::/'], { encoding: 'utf8', env });
      expect(label).toMatch(/Volume in drive : is NT SMSS/);
      expect(label).toContain('big file spanning many clusters.dat');
      for (const [src, want] of [
        ['::/big file spanning many clusters.dat', bytes(300_000, 7)],
        ['::/Windows/System32/ntdll.dll', bytes(70_000, 2)],
        ['::/Windows/a name with spaces and ünïcødé €.log', text('utf-16\n')],
      ] as const) {
        const out = join(tmp, `${type}-out.bin`);
        execFileSync('mcopy', ['-n', '-o', '-i', img, src, out], { env });
        expect(Buffer.compare(readFileSync(out), Buffer.from(want)), src).toBe(0);
      }
    });
  });
}

describe('FAT builder errors', () => {
  const opts = { type: 'fat16' as const, totalSectors: 32768, date: DATE };
  it('rejects a name longer than 255 characters, naming the path', () => {
    const tree: FatNode[] = [{ kind: 'dir', name: 'd', children: [{ kind: 'file', name: 'x'.repeat(256), data: new Uint8Array(0) }] }];
    expect(() => FatBuildVolume(tree, opts)).toThrow(/name too long.*\/d\/xxxx/);
  });
  it('rejects names differing only by case in one directory', () => {
    const tree: FatNode[] = [{ kind: 'dir', name: 'sub', children: [
      { kind: 'file', name: 'Readme.txt', data: new Uint8Array(0) },
      { kind: 'file', name: 'README.TXT', data: new Uint8Array(0) },
    ] }];
    expect(() => FatBuildVolume(tree, opts)).toThrow('/sub/Readme.txt and /sub/README.TXT');
  });
  it('allows the same name in different directories', () => {
    const tree: FatNode[] = [
      { kind: 'dir', name: 'a', children: [{ kind: 'file', name: 'x', data: text('1') }] },
      { kind: 'dir', name: 'b', children: [{ kind: 'file', name: 'X', data: text('2') }] },
    ];
    expect(strip(new FatVolume(FatBuildVolume(tree, opts)).readTree())).toEqual(plain(tree));
  });
  it('rejects a volume too small for its type, and files that do not fit', () => {
    expect(() => FatBuildVolume([], { ...opts, totalSectors: 4000 })).toThrow(/volume too small for FAT16/);
    expect(() => FatBuildVolume([], { ...opts, type: 'fat32', totalSectors: 32768 })).toThrow(/volume too small for FAT32/);
    expect(() => FatBuildVolume([{ kind: 'dir', name: 'd', children: [{ kind: 'file', name: 'huge', data: new Uint8Array(17 << 20) }] }], opts))
      .toThrow(/volume too small: out of clusters at \/d\/huge/);
  });
  it('rejects bad characters and reserved names', () => {
    expect(() => FatBuildVolume([{ kind: 'file', name: 'a:b', data: new Uint8Array(0) }], opts)).toThrow(/invalid character.*\/a:b/);
    expect(() => FatBuildVolume([{ kind: 'file', name: '..', data: new Uint8Array(0) }], opts)).toThrow(/reserved/);
  });
  it('rejects a FAT16 root with more than 512 entries', () => {
    const tree: FatNode[] = Array.from({ length: 200 }, (_, i) => ({ kind: 'file' as const, name: `long file name ${i}`, data: new Uint8Array(0) }));
    expect(() => FatBuildVolume(tree, opts)).toThrow(/root directory \/ needs/);
  });
  it('builds the same bytes twice (reproducible)', () => {
    const a = MbrAssembleDisk(FatBuildVolume(sampleTree(), opts), 'fat16');
    const b = MbrAssembleDisk(FatBuildVolume(sampleTree(), opts), 'fat16');
    expect(Buffer.compare(a, b)).toBe(0);
  });
});
