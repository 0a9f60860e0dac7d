// FAT16/FAT32 volume reader: parses the BPB, follows cluster chains, walks
// directories (assembling VFAT long names and checking their checksums) and
// reads files. Host tests use it to check what fat.ts builds; it is written
// against the spec (fatgen103), not against the builder, so it also reads
// volumes made by mkfs.fat or Windows.

import {
  ATTR_LONG_NAME,
  FatLfnChecksum,
  FatShortToString,
  LFN_CHAR_OFFSETS,
  LFN_CHARS_PER_ENTRY,
  LFN_LAST_FLAG,
} from './fatnames.ts';

/** What the BPB says, plus the values derived from it (fatgen103 §3-4). */
export interface FatBpb {
  type: 'fat12' | 'fat16' | 'fat32';
  bytesPerSector: number;
  sectorsPerCluster: number;
  reservedSectors: number;
  numFats: number;
  rootEntries: number;
  totalSectors: number;
  media: number;
  fatSize: number;
  hiddenSectors: number;
  rootCluster: number; // FAT32 only; 0 otherwise
  volumeId: number;
  label: string;
  fsType: string;
  firstDataSector: number;
  clusterCount: number;
}

/** One directory entry as read back. */
export interface FatDirEntry {
  name: string; // long name if present, else the short name with NT case flags applied
  shortName: string; // "NAME.EXT" as stored (uppercase)
  attr: number;
  ntRes: number;
  cluster: number;
  size: number;
  wrtDate: number;
  wrtTime: number;
  crtDate: number;
  crtTime: number;
}

/** A tree as read back: same shape as the builder's input, with the entry kept. */
export type FatReadNode =
  | { kind: 'file'; name: string; data: Uint8Array; entry: FatDirEntry }
  | { kind: 'dir'; name: string; children: FatReadNode[]; entry: FatDirEntry };

export function FatParseBpb(vol: Uint8Array): FatBpb {
  const dv = new DataView(vol.buffer, vol.byteOffset, vol.byteLength);
  if (dv.getUint16(510, true) !== 0xaa55) throw new Error('FAT: boot sector lacks the 0x55AA signature');
  const bytesPerSector = dv.getUint16(11, true);
  const sectorsPerCluster = vol[13];
  const reservedSectors = dv.getUint16(14, true);
  const numFats = vol[16];
  const rootEntries = dv.getUint16(17, true);
  const totalSectors = dv.getUint16(19, true) || dv.getUint32(32, true);
  const fatSize = dv.getUint16(22, true) || dv.getUint32(36, true);
  if (![512, 1024, 2048, 4096].includes(bytesPerSector) || sectorsPerCluster === 0 || numFats === 0 || fatSize === 0)
    throw new Error('FAT: not a FAT boot sector (bad BPB)');
  const rootDirSectors = Math.ceil((rootEntries * 32) / bytesPerSector);
  const firstDataSector = reservedSectors + numFats * fatSize + rootDirSectors;
  const clusterCount = Math.floor((totalSectors - firstDataSector) / sectorsPerCluster);
  const type = clusterCount < 4085 ? 'fat12' : clusterCount < 65525 ? 'fat16' : 'fat32';
  const ext = type === 'fat32' ? 64 : 36;
  const text = (o: number, n: number) => String.fromCharCode(...vol.subarray(o, o + n)).trimEnd();
  return {
    type, bytesPerSector, sectorsPerCluster, reservedSectors, numFats, rootEntries, totalSectors,
    media: vol[21], fatSize, hiddenSectors: dv.getUint32(28, true),
    rootCluster: type === 'fat32' ? dv.getUint32(44, true) : 0,
    volumeId: dv.getUint32(ext + 3, true), label: text(ext + 7, 11), fsType: text(ext + 18, 8),
    firstDataSector, clusterCount,
  };
}

/** A FAT volume opened for reading. */
export class FatVolume {
  readonly bpb: FatBpb;
  private readonly dv: DataView;

  constructor(readonly vol: Uint8Array) {
    this.bpb = FatParseBpb(vol);
    if (this.bpb.type === 'fat12') throw new Error('FAT: FAT12 volumes are not supported');
    this.dv = new DataView(vol.buffer, vol.byteOffset, vol.byteLength);
  }

  /** FAT entry `n` from FAT #`copy` (0-based). */
  fatEntry(n: number, copy = 0): number {
    const b = this.bpb;
    const off = (b.reservedSectors + copy * b.fatSize) * b.bytesPerSector;
    return b.type === 'fat16' ? this.dv.getUint16(off + n * 2, true) : this.dv.getUint32(off + n * 4, true) & 0x0fffffff;
  }

  private isEoc(v: number): boolean {
    return this.bpb.type === 'fat16' ? v >= 0xfff8 : v >= 0x0ffffff8;
  }

  /** Clusters of the chain starting at `first`; throws on a loop, a free or bad link. */
  chain(first: number): number[] {
    const out: number[] = [];
    const max = this.bpb.clusterCount + 1;
    for (let c = first; ; ) {
      if (c < 2 || c > max) throw new Error(`FAT: chain from ${first} reaches invalid cluster ${c}`);
      if (out.length > this.bpb.clusterCount) throw new Error(`FAT: chain from ${first} loops`);
      out.push(c);
      const v = this.fatEntry(c);
      if (this.isEoc(v)) return out;
      c = v;
    }
  }

  private clusterBytes(c: number): Uint8Array {
    const b = this.bpb;
    const size = b.sectorsPerCluster * b.bytesPerSector;
    const off = (b.firstDataSector + (c - 2) * b.sectorsPerCluster) * b.bytesPerSector;
    return this.vol.subarray(off, off + size);
  }

  /** The bytes of a chain, concatenated. */
  readChain(first: number): Uint8Array {
    const cs = this.chain(first);
    const size = this.bpb.sectorsPerCluster * this.bpb.bytesPerSector;
    const out = new Uint8Array(cs.length * size);
    cs.forEach((c, i) => out.set(this.clusterBytes(c), i * size));
    return out;
  }

  /** Raw bytes of a directory; cluster 0 means the root. */
  private dirBytes(cluster: number): Uint8Array {
    const b = this.bpb;
    if (cluster === 0 && b.type === 'fat16') {
      const off = (b.reservedSectors + b.numFats * b.fatSize) * b.bytesPerSector;
      return this.vol.subarray(off, off + b.rootEntries * 32);
    }
    return this.readChain(cluster === 0 ? b.rootCluster : cluster);
  }

  /** Entries of a directory (cluster 0 = root), without "." / ".." / volume label / deleted entries. */
  readDir(cluster = 0, withDots = false): FatDirEntry[] {
    const raw = this.dirBytes(cluster);
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const out: FatDirEntry[] = [];
    let lfn: { parts: string[]; sum: number; expect: number } | null = null;
    for (let o = 0; o + 32 <= raw.length; o += 32) {
      const first = raw[o];
      if (first === 0x00) break; // end of directory
      const attr = raw[o + 11];
      if (first === 0xe5) { lfn = null; continue; } // deleted
      if ((attr & 0x3f) === ATTR_LONG_NAME) {
        const ord = first & 0x3f;
        if (first & LFN_LAST_FLAG) lfn = { parts: [], sum: raw[o + 13], expect: ord };
        if (!lfn || ord !== lfn.expect || raw[o + 13] !== lfn.sum) { lfn = null; continue; }
        let piece = '';
        for (let i = 0; i < LFN_CHARS_PER_ENTRY; i++) {
          const u = dv.getUint16(o + LFN_CHAR_OFFSETS[i], true);
          if (u === 0) break;
          piece += String.fromCharCode(u);
        }
        lfn.parts[ord - 1] = piece;
        lfn.expect = ord - 1;
        continue;
      }
      const short = raw.subarray(o, o + 11);
      const ntRes = raw[o + 12];
      let long: string | null = null;
      if (lfn && lfn.expect === 0 && lfn.sum === FatLfnChecksum(short)) long = lfn.parts.join('');
      lfn = null;
      if (attr & 0x08) continue; // volume label
      const shortName = FatShortToString(short, 0);
      if (!withDots && (shortName === '.' || shortName === '..')) continue;
      out.push({
        name: long ?? FatShortToString(short, ntRes), shortName, attr, ntRes,
        cluster: (dv.getUint16(o + 20, true) << 16) | dv.getUint16(o + 26, true),
        size: dv.getUint32(o + 28, true),
        crtTime: dv.getUint16(o + 14, true), crtDate: dv.getUint16(o + 16, true),
        wrtTime: dv.getUint16(o + 22, true), wrtDate: dv.getUint16(o + 24, true),
      });
    }
    return out;
  }

  /** Contents of a file entry (its size, from its chain). */
  readFile(e: FatDirEntry): Uint8Array {
    if (e.size === 0) return new Uint8Array(0);
    const data = this.readChain(e.cluster);
    if (data.length < e.size) throw new Error(`FAT: ${e.name}: chain shorter than the file size`);
    return data.slice(0, e.size);
  }

  /** The entry at a '/'-separated path (case-insensitive), or null. */
  lookup(path: string): FatDirEntry | null {
    const parts = path.split(/[\\/]/).filter((p) => p);
    let cluster = 0;
    let found: FatDirEntry | null = null;
    for (const p of parts) {
      if (found && !(found.attr & 0x10)) return null;
      found = this.readDir(cluster).find((e) => e.name.toUpperCase() === p.toUpperCase() || e.shortName === p.toUpperCase()) ?? null;
      if (!found) return null;
      cluster = found.cluster;
    }
    return found;
  }

  /** The bytes of the file at `path`; throws when missing. */
  readPath(path: string): Uint8Array {
    const e = this.lookup(path);
    if (!e || e.attr & 0x10) throw new Error(`FAT: no such file: ${path}`);
    return this.readFile(e);
  }

  /** The whole tree under a directory (default: the root). */
  readTree(cluster = 0): FatReadNode[] {
    return this.readDir(cluster).map((e): FatReadNode =>
      e.attr & 0x10
        ? { kind: 'dir', name: e.name, children: this.readTree(e.cluster), entry: e }
        : { kind: 'file', name: e.name, data: this.readFile(e), entry: e },
    );
  }
}
