// FAT16/FAT32 volume builder: lays out a tree of files and directories as a
// complete FAT volume image in memory. Facts from Microsoft's FAT32 File
// System Specification (fatgen103); the reader that tests use lives in
// fatread.ts and is re-exported here.
//
// Volume layout (sector numbers relative to the partition start):
//
//   0            boot sector + BPB            (FAT32: 1 FSInfo, 6 backup boot, 7 backup FSInfo)
//   rsvd         FAT #1   (fatSize sectors)
//   rsvd+fatSize FAT #2
//   ...          FAT16 only: fixed root directory (512 entries, 32 sectors)
//   firstData    cluster 2, 3, ...            (FAT32: the root directory starts at cluster 2)
//
// Clusters are handed out in one pass, depth first, so a file's chain is
// contiguous and the same tree always gives the same bytes (timestamps come
// from a date passed in, never the clock).

import {
  FatCheckLongName,
  FatLfnCount,
  FatLfnEntries,
  FatMakeName,
  type FatName,
} from './fatnames.ts';

export * from './fatread.ts';

/** Bytes per sector; the only size this builder writes. */
export const SECTOR_SIZE = 512;
/** BPB_Media for a fixed disk; also the low byte of FAT[0]. */
export const MEDIA_FIXED = 0xf8;
/** Number of FAT copies. */
export const NUM_FATS = 2;
/** FAT16 BPB_RootEntCnt: 512 entries (fatgen103 recommends it for FAT16). */
export const FAT16_ROOT_ENTRIES = 512;
/** BPB_RsvdSecCnt: FAT16 uses 1, FAT32 32 (room for FSInfo and the backup boot sector). */
export const FAT16_RESERVED = 1;
export const FAT32_RESERVED = 32;
/** FAT32 BPB_FSInfo and BPB_BkBootSec sector numbers. */
export const FAT32_FSINFO_SECTOR = 1;
export const FAT32_BACKUP_BOOT_SECTOR = 6;
/** FSInfo signatures (FSI_LeadSig, FSI_StrucSig, FSI_TrailSig). */
const FSI_LEAD_SIG = 0x41615252;
const FSI_STRUC_SIG = 0x61417272;
const FSI_TRAIL_SIG = 0xaa550000;
/** Cluster-count limits that define the FAT type (fatgen103 §3.5). */
export const FAT16_MIN_CLUSTERS = 4085;
export const FAT32_MIN_CLUSTERS = 65525;
/** Directory-entry attribute bits (DIR_Attr). */
export const ATTR_READ_ONLY = 0x01;
export const ATTR_HIDDEN = 0x02;
export const ATTR_SYSTEM = 0x04;
export const ATTR_VOLUME_ID = 0x08;
export const ATTR_DIRECTORY = 0x10;
export const ATTR_ARCHIVE = 0x20;
/** Bytes in one directory entry. */
export const DIR_ENTRY_SIZE = 32;

export type FatType = 'fat16' | 'fat32';

/** Extra attributes a tree node may carry. */
export interface FatAttrs {
  readOnly?: boolean;
  hidden?: boolean;
  system?: boolean;
  /** Files get the archive bit unless this is false. */
  archive?: boolean;
}
export interface FatFileNode extends FatAttrs {
  kind: 'file';
  name: string;
  data: Uint8Array;
}
export interface FatDirNode extends FatAttrs {
  kind: 'dir';
  name: string;
  children: FatNode[];
}
export type FatNode = FatFileNode | FatDirNode;

export interface FatVolumeOptions {
  type: FatType;
  /** Volume size in 512-byte sectors. */
  totalSectors: number;
  /** BPB_HiddSec: the partition's first LBA on the disk. */
  hiddenSectors?: number;
  /** Up to 11 characters; stored uppercase. Default "NO NAME". */
  label?: string;
  /** Timestamp of every entry (UTC fields are used). */
  date: Date;
  /** BS_VolID; default derived from the date. */
  volumeId?: number;
}

/** Sectors per cluster by volume size (fatgen103 DskTableFAT16/FAT32); 0 = size not allowed. */
const FAT16_TABLE: [number, number][] = [
  [8400, 0], [32680, 2], [262144, 4], [524288, 8], [1048576, 16], [2097152, 32], [4194304, 64], [Infinity, 0],
];
const FAT32_TABLE: [number, number][] = [
  [66600, 0], [532480, 1], [16777216, 8], [33554432, 16], [67108864, 32], [Infinity, 64],
];

/** Geometry of a volume, computed from its type and size. */
export interface FatLayout {
  type: FatType;
  totalSectors: number;
  sectorsPerCluster: number;
  reservedSectors: number;
  fatSize: number; // sectors per FAT
  rootDirSectors: number; // FAT16 fixed root; 0 on FAT32
  firstDataSector: number;
  clusterCount: number;
}

/** Geometry for a volume (fatgen103 §3.5 for the FAT size); throws when the size does not suit the type. */
export function FatComputeLayout(type: FatType, totalSectors: number): FatLayout {
  const table = type === 'fat16' ? FAT16_TABLE : FAT32_TABLE;
  const spc = table.find(([limit]) => totalSectors <= limit)![1];
  if (spc === 0) {
    const min = table[0][0] + 1;
    if (totalSectors < min)
      throw new Error(`FAT: volume too small for ${type.toUpperCase()}: ${totalSectors} sectors (needs at least ${min})`);
    throw new Error(`FAT: volume too large for ${type.toUpperCase()}: ${totalSectors} sectors`);
  }
  const reservedSectors = type === 'fat16' ? FAT16_RESERVED : FAT32_RESERVED;
  const rootDirSectors = type === 'fat16' ? (FAT16_ROOT_ENTRIES * DIR_ENTRY_SIZE) / SECTOR_SIZE : 0;
  const tmp1 = totalSectors - (reservedSectors + rootDirSectors);
  let tmp2 = 256 * spc + NUM_FATS;
  if (type === 'fat32') tmp2 /= 2;
  const fatSize = Math.ceil(tmp1 / tmp2);
  const firstDataSector = reservedSectors + NUM_FATS * fatSize + rootDirSectors;
  const clusterCount = Math.floor((totalSectors - firstDataSector) / spc);
  const ok = type === 'fat16'
    ? clusterCount >= FAT16_MIN_CLUSTERS && clusterCount < FAT32_MIN_CLUSTERS
    : clusterCount >= FAT32_MIN_CLUSTERS;
  if (!ok) throw new Error(`FAT: ${totalSectors} sectors give ${clusterCount} clusters, not a ${type.toUpperCase()} volume`);
  return { type, totalSectors, sectorsPerCluster: spc, reservedSectors, fatSize, rootDirSectors, firstDataSector, clusterCount };
}

/** FAT date and time words for a Date (UTC fields; FAT has 2-second resolution). */
export function FatDateTime(d: Date): { date: number; time: number; tenths: number } {
  const year = Math.min(Math.max(d.getUTCFullYear(), 1980), 2107);
  return {
    date: ((year - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1),
    tenths: (d.getUTCSeconds() & 1) * 100 + Math.floor(d.getUTCMilliseconds() / 10),
  };
}

/** One directory being laid out: its entries' names and where it lives. */
interface PlannedDir {
  kind: 'dir';
  path: string;
  node: FatDirNode | null; // null for the root
  names: FatName[]; // parallel to node.children
  entryCount: number;
  cluster: number; // 0 for the FAT16 root
  clusters: number;
  children: (PlannedDir | PlannedFile)[];
}
interface PlannedFile {
  kind: 'file';
  path: string;
  node: FatFileNode;
  cluster: number; // 0 for an empty file
  clusters: number;
}

/** Builds a FAT volume holding `root` (the root directory's children). */
export function FatBuildVolume(root: FatNode[], opts: FatVolumeOptions): Uint8Array {
  const L = FatComputeLayout(opts.type, opts.totalSectors);
  const clusterBytes = L.sectorsPerCluster * SECTOR_SIZE;
  const img = new Uint8Array(L.totalSectors * SECTOR_SIZE);
  const dv = new DataView(img.buffer);
  const stamp = FatDateTime(opts.date);
  const label = (opts.label ?? 'NO NAME').toUpperCase();
  if (label.length > 11 || !/^[\x20-\x7e]*$/.test(label) || /["*/:<>?\\|+,.;=[\]]/.test(label))
    throw new Error(`FAT: bad volume label ${JSON.stringify(opts.label)}`);

  // Plan: names and entry counts for every directory, then clusters in DFS order.
  let next = 2;
  const maxCluster = L.clusterCount + 1;
  const alloc = (n: number, path: string): number => {
    if (next + n - 1 > maxCluster)
      throw new Error(`FAT: volume too small: out of clusters at ${path} (${L.clusterCount} clusters of ${clusterBytes} bytes)`);
    const first = next;
    next += n;
    return first;
  };
  const planDir = (path: string, node: FatDirNode | null, children: FatNode[], isRoot: boolean): PlannedDir => {
    const taken = new Set<string>();
    const seen = new Map<string, string>();
    const names = children.map((c) => {
      const p = path === '/' ? `/${c.name}` : `${path}/${c.name}`;
      FatCheckLongName(c.name, p);
      const key = c.name.toUpperCase();
      const other = seen.get(key);
      if (other !== undefined) throw new Error(`FAT: duplicate name (names differ only by case): ${path === '/' ? '' : path}/${other} and ${p}`);
      seen.set(key, c.name);
      return FatMakeName(c.name, taken);
    });
    let entryCount = isRoot ? (label !== 'NO NAME' ? 1 : 0) : 2; // label, or "." and ".."
    for (const n of names) entryCount += 1 + (n.long ? FatLfnCount(n.long) : 0);
    const inFixedRoot = isRoot && L.type === 'fat16';
    if (inFixedRoot && entryCount > FAT16_ROOT_ENTRIES)
      throw new Error(`FAT: root directory / needs ${entryCount} entries, FAT16 root holds ${FAT16_ROOT_ENTRIES}`);
    const clusters = inFixedRoot ? 0 : Math.max(1, Math.ceil((entryCount * DIR_ENTRY_SIZE) / clusterBytes));
    const d: PlannedDir = { kind: 'dir', path, node, names, entryCount, cluster: inFixedRoot ? 0 : alloc(clusters, path), clusters, children: [] };
    for (const c of children) {
      const p = path === '/' ? `/${c.name}` : `${path}/${c.name}`;
      if (c.kind === 'dir') d.children.push(planDir(p, c, c.children, false));
      else {
        const clusters = Math.ceil(c.data.length / clusterBytes);
        if (c.data.length > 0xffffffff) throw new Error(`FAT: file larger than 4 GiB - 1: ${p}`);
        d.children.push({ kind: 'file', path: p, node: c, clusters, cluster: clusters ? alloc(clusters, p) : 0 });
      }
    }
    return d;
  };
  const rootPlan = planDir('/', null, root, true);

  // Boot sector, FSInfo, backup.
  writeBootSector(img, dv, L, opts, label);
  const freeClusters = L.clusterCount - (next - 2);
  if (L.type === 'fat32') {
    const fsi = FAT32_FSINFO_SECTOR * SECTOR_SIZE;
    dv.setUint32(fsi + 0, FSI_LEAD_SIG, true);
    dv.setUint32(fsi + 484, FSI_STRUC_SIG, true);
    dv.setUint32(fsi + 488, freeClusters, true); // FSI_Free_Count
    dv.setUint32(fsi + 492, next <= maxCluster ? next : 0xffffffff, true); // FSI_Nxt_Free
    dv.setUint32(fsi + 508, FSI_TRAIL_SIG, true);
    const bk = FAT32_BACKUP_BOOT_SECTOR * SECTOR_SIZE;
    img.copyWithin(bk, 0, 2 * SECTOR_SIZE); // backup boot sector and backup FSInfo
  }

  // FAT #1, then copy to FAT #2.
  const fatOff = L.reservedSectors * SECTOR_SIZE;
  const setFat = (cluster: number, value: number) => {
    if (L.type === 'fat16') dv.setUint16(fatOff + cluster * 2, value & 0xffff, true);
    else dv.setUint32(fatOff + cluster * 4, value & 0x0fffffff, true);
  };
  const EOC = L.type === 'fat16' ? 0xffff : 0x0fffffff;
  setFat(0, (L.type === 'fat16' ? 0xff00 : 0x0fffff00) | MEDIA_FIXED);
  setFat(1, EOC); // clean-shutdown and no-error bits set
  const chain = (first: number, n: number) => {
    for (let i = 0; i < n; i++) setFat(first + i, i === n - 1 ? EOC : first + i + 1);
  };
  const clusterOffset = (c: number) => (L.firstDataSector + (c - 2) * L.sectorsPerCluster) * SECTOR_SIZE;

  // Directory contents and file data.
  const entry = (name: Uint8Array, ntRes: number, attr: number, cluster: number, size: number): Uint8Array => {
    const e = new Uint8Array(DIR_ENTRY_SIZE);
    const ev = new DataView(e.buffer);
    e.set(name, 0);
    e[11] = attr;
    e[12] = ntRes;
    e[13] = stamp.tenths; // DIR_CrtTimeTenth
    ev.setUint16(14, stamp.time, true); // DIR_CrtTime
    ev.setUint16(16, stamp.date, true); // DIR_CrtDate
    ev.setUint16(18, stamp.date, true); // DIR_LstAccDate
    ev.setUint16(20, cluster >>> 16, true); // DIR_FstClusHI
    ev.setUint16(22, stamp.time, true); // DIR_WrtTime
    ev.setUint16(24, stamp.date, true); // DIR_WrtDate
    ev.setUint16(26, cluster & 0xffff, true); // DIR_FstClusLO
    ev.setUint32(28, size, true); // DIR_FileSize
    return e;
  };
  const dotName = (s: string) => new Uint8Array(11).fill(0x20).map((b, i) => (i < s.length ? s.charCodeAt(i) : b));
  const attrsOf = (n: FatNode): number =>
    (n.readOnly ? ATTR_READ_ONLY : 0) | (n.hidden ? ATTR_HIDDEN : 0) | (n.system ? ATTR_SYSTEM : 0) |
    (n.kind === 'dir' ? ATTR_DIRECTORY : 0) | (n.kind === 'file' && n.archive !== false ? ATTR_ARCHIVE : 0) |
    (n.kind === 'dir' && n.archive ? ATTR_ARCHIVE : 0);

  const writeDir = (d: PlannedDir, parentCluster: number) => {
    const parts: Uint8Array[] = [];
    if (d.node === null) {
      if (label !== 'NO NAME') parts.push(entry(dotName(label), 0, ATTR_VOLUME_ID, 0, 0));
    } else {
      parts.push(entry(dotName('.'), 0, ATTR_DIRECTORY, d.cluster, 0));
      parts.push(entry(dotName('..'), 0, ATTR_DIRECTORY, parentCluster, 0)); // 0 means the root, also on FAT32
    }
    d.children.forEach((c, i) => {
      const nm = d.names[i];
      if (nm.long) parts.push(...FatLfnEntries(nm.long, nm.short));
      const size = c.kind === 'file' ? c.node.data.length : 0;
      parts.push(entry(nm.short, nm.ntRes, attrsOf(c.node!), c.cluster, size));
    });
    const base = d.cluster === 0 ? (L.reservedSectors + NUM_FATS * L.fatSize) * SECTOR_SIZE : clusterOffset(d.cluster);
    parts.forEach((p, i) => img.set(p, base + i * DIR_ENTRY_SIZE));
    if (d.cluster) chain(d.cluster, d.clusters);
    for (const c of d.children) {
      if (c.kind === 'dir') writeDir(c, d.node === null ? 0 : d.cluster);
      else if (c.cluster) {
        img.set(c.node.data, clusterOffset(c.cluster));
        chain(c.cluster, c.clusters);
      }
    }
  };
  writeDir(rootPlan, 0);
  img.copyWithin(fatOff + L.fatSize * SECTOR_SIZE, fatOff, fatOff + L.fatSize * SECTOR_SIZE);
  return img;
}

/** Boot code for a volume nobody boots: print nothing, ask the BIOS for the next device (INT 18h), then halt. */
const BOOT_STUB = [0xcd, 0x18, 0xf4, 0xeb, 0xfd];

function writeBootSector(img: Uint8Array, dv: DataView, L: FatLayout, opts: FatVolumeOptions, label: string): void {
  const fat32 = L.type === 'fat32';
  const codeAt = fat32 ? 0x5a : 0x3e; // first byte after the extended BPB
  img.set([0xeb, codeAt - 2, 0x90], 0); // BS_jmpBoot: JMP short to the boot code, NOP
  img.set(ascii('MSWIN4.1', 8), 3); // BS_OEMName (fatgen103's recommended value)
  dv.setUint16(11, SECTOR_SIZE, true); // BPB_BytsPerSec
  img[13] = L.sectorsPerCluster; // BPB_SecPerClus
  dv.setUint16(14, L.reservedSectors, true); // BPB_RsvdSecCnt
  img[16] = NUM_FATS; // BPB_NumFATs
  dv.setUint16(17, fat32 ? 0 : FAT16_ROOT_ENTRIES, true); // BPB_RootEntCnt
  const small = !fat32 && L.totalSectors < 0x10000;
  dv.setUint16(19, small ? L.totalSectors : 0, true); // BPB_TotSec16
  img[21] = MEDIA_FIXED; // BPB_Media
  dv.setUint16(22, fat32 ? 0 : L.fatSize, true); // BPB_FATSz16
  dv.setUint16(24, 63, true); // BPB_SecPerTrk: the usual LBA-translated geometry
  dv.setUint16(26, 255, true); // BPB_NumHeads
  dv.setUint32(28, opts.hiddenSectors ?? 0, true); // BPB_HiddSec
  dv.setUint32(32, small ? 0 : L.totalSectors, true); // BPB_TotSec32
  let ext = 36;
  if (fat32) {
    dv.setUint32(36, L.fatSize, true); // BPB_FATSz32
    dv.setUint16(40, 0, true); // BPB_ExtFlags: mirroring on
    dv.setUint16(42, 0, true); // BPB_FSVer 0.0
    dv.setUint32(44, 2, true); // BPB_RootClus
    dv.setUint16(48, FAT32_FSINFO_SECTOR, true); // BPB_FSInfo
    dv.setUint16(50, FAT32_BACKUP_BOOT_SECTOR, true); // BPB_BkBootSec
    ext = 64;
  }
  img[ext] = 0x80; // BS_DrvNum: first hard disk
  img[ext + 1] = 0; // BS_Reserved1
  img[ext + 2] = 0x29; // BS_BootSig: the next three fields are present
  const d = opts.date;
  const volId = opts.volumeId ?? (((d.getUTCFullYear() * 0x10000) ^ (d.getTime() / 1000)) >>> 0);
  dv.setUint32(ext + 3, volId >>> 0, true); // BS_VolID
  img.set(ascii(label, 11), ext + 7); // BS_VolLab
  img.set(ascii(fat32 ? 'FAT32' : 'FAT16', 8), ext + 18); // BS_FilSysType
  img.set(BOOT_STUB, codeAt);
  img[510] = 0x55;
  img[511] = 0xaa;
}

function ascii(s: string, width: number): Uint8Array {
  const out = new Uint8Array(width).fill(0x20);
  for (let i = 0; i < Math.min(s.length, width); i++) out[i] = s.charCodeAt(i);
  return out;
}
