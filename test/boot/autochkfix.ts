// Damaged FAT volumes for autochk's tests (test/boot/autochk.test.ts): each
// is a clean volume from the project's writer (images/disk/fat.ts) or, for
// FAT12, which the writer does not make, one written here by hand, with
// one kind of damage planted by editing its bytes. Also the disk that
// carries up to three of them as partitions 2-4 beside the boot volume.

import { FatBuildVolume, FatParseBpb, type FatBpb, type FatNode } from '../../images/disk/fat.ts';
import { FatLfnChecksum } from '../../images/disk/fatnames.ts';
import { MbrChs } from '../../images/disk/mbr.ts';

const DATE = new Date(Date.UTC(2026, 0, 1, 0, 0, 0));
const file = (name: string, size: number, seed = 1): FatNode => ({
  kind: 'file', name, data: Uint8Array.from({ length: size }, (_, i) => (i * 7 + seed * 13) & 0xff),
});
const dir = (name: string, children: FatNode[]): FatNode => ({ kind: 'dir', name, children });

/** The files every FAT16/FAT32 fixture holds (cluster sizes of 1 KiB: 16-bit volumes of 20480 sectors). */
function tree(): FatNode[] {
  return [
    file('ALPHA.BIN', 3000, 1),
    file('BETA.BIN', 900, 2),
    file('GAMMA.BIN', 5000, 3),
    file('A long file name.txt', 700, 4),
    dir('SUB', [file('INSIDE.TXT', 100, 5), dir('DEEPER', [file('DEEP.TXT', 50, 6)])]),
  ];
}

export function cleanVolume(type: 'fat16' | 'fat32', sectors = type === 'fat16' ? 20480 : 70000): Uint8Array {
  return FatBuildVolume(tree(), { type, totalSectors: sectors, date: DATE, label: 'FIXTURE', volumeId: 0x12345678 });
}

/** Byte-level access to a volume (any FAT type), for planting damage. */
export class Plant {
  readonly bpb: FatBpb;
  readonly dv: DataView;
  constructor(readonly vol: Uint8Array) {
    this.bpb = FatParseBpb(vol);
    this.dv = new DataView(vol.buffer, vol.byteOffset, vol.byteLength);
  }
  get clusterBytes(): number { return this.bpb.sectorsPerCluster * 512; }
  clusterOffset(c: number): number { return (this.bpb.firstDataSector + (c - 2) * this.bpb.sectorsPerCluster) * 512; }
  fat(c: number, copy = 0): number {
    const off = (this.bpb.reservedSectors + copy * this.bpb.fatSize) * 512;
    if (this.bpb.type === 'fat32') return this.dv.getUint32(off + c * 4, true) & 0x0fffffff;
    if (this.bpb.type === 'fat16') return this.dv.getUint16(off + c * 2, true);
    const w = this.dv.getUint16(off + c + (c >> 1), true);
    return c & 1 ? w >> 4 : w & 0xfff;
  }
  setFat(c: number, v: number, copies = [...Array(this.bpb.numFats).keys()]): void {
    for (const copy of copies) {
      const off = (this.bpb.reservedSectors + copy * this.bpb.fatSize) * 512;
      if (this.bpb.type === 'fat32') this.dv.setUint32(off + c * 4, (this.dv.getUint32(off + c * 4, true) & 0xf0000000) | v, true);
      else if (this.bpb.type === 'fat16') this.dv.setUint16(off + c * 2, v, true);
      else {
        const at = off + c + (c >> 1);
        const w = this.dv.getUint16(at, true);
        this.dv.setUint16(at, c & 1 ? (w & 0x000f) | (v << 4) : (w & 0xf000) | v, true);
      }
    }
  }
  eoc(): number { return this.bpb.type === 'fat32' ? 0x0fffffff : this.bpb.type === 'fat16' ? 0xffff : 0xfff; }
  chain(c: number): number[] {
    const out: number[] = [];
    const end = this.bpb.type === 'fat32' ? 0x0ffffff8 : this.bpb.type === 'fat16' ? 0xfff8 : 0xff8;
    while (c >= 2 && c < end) {
      out.push(c);
      c = this.fat(c);
      if (out.length > this.bpb.clusterCount) throw new Error('loop');
    }
    return out;
  }
  /** Offsets of the 32-byte entries of a directory (0: the root). */
  entries(cluster: number): number[] {
    const out: number[] = [];
    if (cluster === 0 && this.bpb.type !== 'fat32') {
      const start = (this.bpb.reservedSectors + this.bpb.numFats * this.bpb.fatSize) * 512;
      for (let i = 0; i < this.bpb.rootEntries; i++) out.push(start + i * 32);
      return out;
    }
    for (const c of this.chain(cluster === 0 ? this.bpb.rootCluster : cluster)) {
      for (let i = 0; i < this.clusterBytes / 32; i++) out.push(this.clusterOffset(c) + i * 32);
    }
    return out;
  }
  /** The short entry `NAME    EXT` (11 characters, as on disk) in directory `cluster`. */
  entry(cluster: number, short11: string): number {
    const want = Buffer.from(short11, 'latin1');
    const at = this.entries(cluster).find((o) => this.vol[o + 11] !== 0x0f && Buffer.from(this.vol.subarray(o, o + 11)).equals(want));
    if (at === undefined) throw new Error(`no entry ${short11}`);
    return at;
  }
  start(entry: number): number { return (this.bpb.type === 'fat32' ? this.dv.getUint16(entry + 20, true) << 16 : 0) | this.dv.getUint16(entry + 26, true); }
  setStart(entry: number, c: number): void { this.dv.setUint16(entry + 20, this.bpb.type === 'fat32' ? c >>> 16 : 0, true); this.dv.setUint16(entry + 26, c & 0xffff, true); }
  size(entry: number): number { return this.dv.getUint32(entry + 28, true); }
  setSize(entry: number, v: number): void { this.dv.setUint32(entry + 28, v, true); }
  /** Free clusters, lowest first. */
  free(count: number): number[] {
    const out: number[] = [];
    for (let c = 2; c < this.bpb.clusterCount + 2 && out.length < count; c++) if (this.fat(c) === 0) out.push(c);
    return out;
  }
}

// ---- the damage ----

/** Three free clusters linked into a chain no entry names. */
export function plantLost(vol: Uint8Array): void {
  const p = new Plant(vol);
  const [a, b, c] = p.free(40).slice(30);
  p.setFat(a, b); p.setFat(b, c); p.setFat(c, p.eoc());
}

/** BETA.BIN (one cluster) grows to two by linking into ALPHA.BIN's second cluster: a cross-link, and nothing lost. */
export function plantCrossLink(vol: Uint8Array): void {
  const p = new Plant(vol);
  const alpha = p.chain(p.start(p.entry(0, 'ALPHA   BIN')));
  const beta = p.entry(0, 'BETA    BIN');
  const b = p.chain(p.start(beta));
  if (b.length !== 1) throw new Error('BETA.BIN is not one cluster');
  p.setFat(b[0], alpha[1]);
  p.setSize(beta, p.clusterBytes + 100);
}

/** ALPHA.BIN's size says one cluster (its chain has three); GAMMA.BIN's says more than its five. */
export function plantSizes(vol: Uint8Array): void {
  const p = new Plant(vol);
  p.setSize(p.entry(0, 'ALPHA   BIN'), 200);
  p.setSize(p.entry(0, 'GAMMA   BIN'), 9000);
}

/** FAT 2 marks a free cluster used where FAT 1 does not. */
export function plantFatCopies(vol: Uint8Array): void {
  const p = new Plant(vol);
  const [c] = p.free(60).slice(50);
  p.setFat(c, p.eoc(), [1]);
}

/** The long name of "A long file name.txt" carries a checksum that is not its short name's. */
export function plantLfnChecksum(vol: Uint8Array): void {
  const p = new Plant(vol);
  const entries = p.entries(0);
  const short = entries.find((o) => vol[o + 11] !== 0x0f && Buffer.from(vol.subarray(o, o + 6)).toString('latin1') === 'ALONGF');
  if (short === undefined) throw new Error('no ALONGF~1.TXT');
  const lfn = short - 32;
  if (vol[lfn + 11] !== 0x0f || vol[lfn + 13] !== FatLfnChecksum(vol.subarray(short, short + 11))) throw new Error('no long name before it');
  for (let o = lfn; vol[o + 11] === 0x0f; o -= 32) {
    vol[o + 13] = (vol[o + 13] + 1) & 0xff;
    if (vol[o] & 0x40) break;
  }
}

/** FAT32: FSInfo's free count is wrong. */
export function plantFsInfo(vol: Uint8Array): void {
  const dv = new DataView(vol.buffer, vol.byteOffset);
  const at = 512 + 488;
  dv.setUint32(at, dv.getUint32(at, true) - 17, true);
}

/** FAT32: the backup boot sector (BPB_BkBootSec) says another volume label than the boot sector. */
export function plantBackupBoot(vol: Uint8Array): void {
  const backup = new DataView(vol.buffer, vol.byteOffset).getUint16(50, true) * 512;
  vol.set(Buffer.from('OTHERLABEL ', 'latin1'), backup + 71);
}

// ---- FAT12, by hand ----

/**
 * A 2 MiB FAT12 volume (4096 sectors, 1 sector per cluster, 2 FATs of 12
 * sectors, 512 root entries) with HELLO.TXT (1500 bytes) and SUB\INNER\DEEP.TXT,
 * laid out as fatgen103 says; `hidden` is the partition's first LBA.
 */
export function fat12Volume(hidden: number): Uint8Array {
  const total = 4096, fatSize = 12, reserved = 1, rootEntries = 512;
  const vol = new Uint8Array(total * 512);
  const dv = new DataView(vol.buffer);
  vol.set([0xeb, 0x3c, 0x90], 0);
  vol.set(Buffer.from('MSWIN4.1', 'latin1'), 3);
  dv.setUint16(11, 512, true); vol[13] = 1; dv.setUint16(14, reserved, true); vol[16] = 2;
  dv.setUint16(17, rootEntries, true); dv.setUint16(19, total, true); vol[21] = 0xf8; dv.setUint16(22, fatSize, true);
  dv.setUint16(24, 32, true); dv.setUint16(26, 2, true); dv.setUint32(28, hidden, true);
  vol[36] = 0x80; vol[38] = 0x29; dv.setUint32(39, 0x0f12abcd, true);
  vol.set(Buffer.from('FAT12 TEST FAT12   ', 'latin1'), 43);
  dv.setUint16(510, 0xaa55, true);
  const rootStart = (reserved + 2 * fatSize) * 512;
  const data = rootStart + rootEntries * 32;
  const cluster = (c: number) => data + (c - 2) * 512;
  const entry = (at: number, name: string, attr: number, start: number, size: number) => {
    vol.set(Buffer.from(name, 'latin1'), at); vol[at + 11] = attr;
    dv.setUint16(at + 24, (46 << 9) | (1 << 5) | 1, true); dv.setUint16(at + 26, start, true); dv.setUint32(at + 28, size, true);
  };
  const p = new Plant(vol);
  p.setFat(0, 0xff8); p.setFat(1, 0xfff);
  // HELLO.TXT: clusters 2-4; SUB: 5; INNER: 6; DEEP.TXT: 7.
  entry(rootStart, 'FAT12 TEST ', 0x08, 0, 0);
  entry(rootStart + 32, 'HELLO   TXT', 0x20, 2, 1500);
  p.setFat(2, 3); p.setFat(3, 4); p.setFat(4, 0xfff);
  for (let i = 0; i < 1500; i++) vol[cluster(2) + i] = 0x41 + (i % 26);
  entry(rootStart + 64, 'SUB        ', 0x10, 5, 0);
  p.setFat(5, 0xfff);
  entry(cluster(5), '.          ', 0x10, 5, 0); entry(cluster(5) + 32, '..         ', 0x10, 0, 0);
  entry(cluster(5) + 64, 'INNER      ', 0x10, 6, 0);
  p.setFat(6, 0xfff);
  entry(cluster(6), '.          ', 0x10, 6, 0); entry(cluster(6) + 32, '..         ', 0x10, 5, 0);
  entry(cluster(6) + 64, 'DEEP    TXT', 0x20, 7, 10);
  p.setFat(7, 0xfff);
  vol.set(Buffer.from('deep text\n', 'latin1'), cluster(7));
  if (FatParseBpb(vol).type !== 'fat12') throw new Error('not FAT12');
  return vol;
}

/** SUB\INNER's ".." names the root (0) instead of SUB. */
export function plantFat12DotDot(vol: Uint8Array): void {
  const p = new Plant(vol);
  p.setStart(p.entry(6, '..         '), 0);
}

// ---- the disk ----

/** Partition type bytes: FAT12, FAT16 (small), FAT32 LBA. */
const TYPE: Record<string, number> = { fat12: 0x01, fat16: 0x06, fat32: 0x0c };

/**
 * `boot` (a disk from images/build.ts, its volume in partition 1) with the
 * volumes appended after it as partitions 2, 3 and 4. Each volume's BPB
 * hidden-sectors field is set to where it lands.
 */
export function diskWith(boot: Uint8Array, volumes: Uint8Array[]): { disk: Uint8Array; starts: number[] } {
  if (volumes.length > 3) throw new Error('at most three more partitions');
  let lba = boot.length / 512;
  const starts: number[] = [];
  const total = lba + volumes.reduce((n, v) => n + v.length / 512, 0);
  const disk = new Uint8Array(total * 512);
  disk.set(boot);
  const dv = new DataView(disk.buffer);
  volumes.forEach((v, k) => {
    disk.set(v, lba * 512);
    const bpb = new DataView(disk.buffer, lba * 512);
    bpb.setUint32(28, lba, true); // BPB_HiddSec, and in FAT32's backup boot sector too
    if (FatParseBpb(v).type === 'fat32') bpb.setUint32(bpb.getUint16(50, true) * 512 + 28, lba, true);
    const e = 446 + (k + 1) * 16;
    disk[e] = 0;
    disk.set(MbrChs(lba), e + 1);
    disk[e + 4] = TYPE[FatParseBpb(v).type];
    disk.set(MbrChs(lba + v.length / 512 - 1), e + 5);
    dv.setUint32(e + 8, lba, true);
    dv.setUint32(e + 12, v.length / 512, true);
    starts.push(lba);
    lba += v.length / 512;
  });
  return { disk, starts };
}

// ---- more damage: links, loops, names, attributes, directories ----

/** GAMMA.BIN's second cluster links to a cluster number past the volume's last. */
export function plantInvalidLink(vol: Uint8Array): void {
  const p = new Plant(vol);
  const gamma = p.chain(p.start(p.entry(0, 'GAMMA   BIN')));
  if (gamma.length < 3) throw new Error('GAMMA.BIN is too short');
  p.setFat(gamma[1], p.bpb.clusterCount + 7);
}

/** ALPHA.BIN's last cluster links back to its first: a loop. */
export function plantLoop(vol: Uint8Array): void {
  const p = new Plant(vol);
  const alpha = p.chain(p.start(p.entry(0, 'ALPHA   BIN')));
  p.setFat(alpha[alpha.length - 1], alpha[0]);
}

/** BETA.BIN's short name gets a '?' (a character FAT does not allow). */
export function plantBadShortName(vol: Uint8Array): void {
  const p = new Plant(vol);
  vol[p.entry(0, 'BETA    BIN') + 2] = 0x3f;
}

/** SUB\INSIDE.TXT gets the reserved attribute bits 0x40 and 0x80. */
export function plantReservedAttributes(vol: Uint8Array): void {
  const p = new Plant(vol);
  const sub = p.start(p.entry(0, 'SUB        '));
  vol[p.entry(sub, 'INSIDE  TXT') + 11] |= 0xc0;
}

/** The directory SUB has a size of 1234 bytes (a directory's is 0). */
export function plantDirectorySize(vol: Uint8Array): void {
  const p = new Plant(vol);
  p.setSize(p.entry(0, 'SUB        '), 1234);
}

/** SUB\DEEPER has lost its '.' and '..' entries (both slots deleted). */
export function plantMissingDots(vol: Uint8Array): void {
  const p = new Plant(vol);
  const sub = p.start(p.entry(0, 'SUB        '));
  const deeper = p.start(p.entry(sub, 'DEEPER     '));
  const [dot, dotdot] = p.entries(deeper);
  if (vol[dot] !== 0x2e || vol[dotdot + 1] !== 0x2e) throw new Error('no dot entries');
  vol[dot] = 0xe5; vol[dotdot] = 0xe5;
}
