// Master boot record and whole-disk assembly: one primary partition holding
// a FAT volume, starting at LBA 2048 (1 MiB, the alignment modern
// partitioners use).
//
//   0x000  boot code (a stub: INT 18h, "no bootable disk")
//   0x1B8  disk signature (u32)
//   0x1BE  partition entry 1 (16 bytes), entries 2-4 zero
//   0x1FE  0x55 0xAA

import { FatBuildVolume, SECTOR_SIZE, type FatNode, type FatType, type FatVolumeOptions } from './fat.ts';

/** Partition type bytes. */
export const PART_FAT16 = 0x06; // FAT16, 32 MiB and larger
export const PART_FAT32_LBA = 0x0c; // FAT32 addressed by LBA
/** First LBA of the partition. */
export const PARTITION_START_LBA = 2048;
/** Offset of the first partition entry, and the disk signature. */
const PART_TABLE = 0x1be;
const DISK_SIGNATURE = 0x1b8;
/** The translated geometry CHS fields use (as the BPB says too). */
const HEADS = 255;
const SECTORS_PER_TRACK = 63;

/** CHS triple as the 3 bytes of a partition entry; past cylinder 1023 it saturates (1023/254/63). */
export function MbrChs(lba: number): [number, number, number] {
  let c = Math.floor(lba / (HEADS * SECTORS_PER_TRACK));
  let h = Math.floor(lba / SECTORS_PER_TRACK) % HEADS;
  let s = (lba % SECTORS_PER_TRACK) + 1;
  if (c > 1023) [c, h, s] = [1023, HEADS - 1, SECTORS_PER_TRACK];
  return [h, s | ((c >> 2) & 0xc0), c & 0xff];
}

export interface MbrPartition {
  type: number;
  startLba: number;
  sectors: number;
  active?: boolean;
}

/** A 512-byte MBR with one partition entry. */
export function MbrBuild(p: MbrPartition, diskSignature = 0x4e54534d /* "MSTN" */): Uint8Array {
  const mbr = new Uint8Array(SECTOR_SIZE);
  const dv = new DataView(mbr.buffer);
  mbr.set([0xcd, 0x18, 0xf4, 0xeb, 0xfd], 0); // INT 18h, then HLT forever
  dv.setUint32(DISK_SIGNATURE, diskSignature >>> 0, true);
  const e = PART_TABLE;
  mbr[e] = p.active === false ? 0x00 : 0x80; // status: active
  mbr.set(MbrChs(p.startLba), e + 1); // CHS of the first sector
  mbr[e + 4] = p.type;
  mbr.set(MbrChs(p.startLba + p.sectors - 1), e + 5); // CHS of the last sector
  dv.setUint32(e + 8, p.startLba, true); // LBA of the first sector
  dv.setUint32(e + 12, p.sectors, true); // number of sectors
  mbr[510] = 0x55;
  mbr[511] = 0xaa;
  return mbr;
}

/** MBR + gap + partition: a whole disk with `volume` at `startLba`. */
export function MbrAssembleDisk(volume: Uint8Array, type: FatType, startLba = PARTITION_START_LBA): Uint8Array {
  if (volume.length % SECTOR_SIZE) throw new Error('MBR: partition size is not a whole number of sectors');
  const sectors = volume.length / SECTOR_SIZE;
  const disk = new Uint8Array((startLba + sectors) * SECTOR_SIZE);
  disk.set(MbrBuild({ type: type === 'fat16' ? PART_FAT16 : PART_FAT32_LBA, startLba, sectors }), 0);
  disk.set(volume, startLba * SECTOR_SIZE);
  return disk;
}

/** Builds a whole disk: MBR plus one FAT partition of `partitionSectors` holding `root`. */
export function MbrBuildFatDisk(
  root: FatNode[],
  opts: Omit<FatVolumeOptions, 'totalSectors' | 'hiddenSectors'> & { partitionSectors: number; startLba?: number },
): Uint8Array {
  const startLba = opts.startLba ?? PARTITION_START_LBA;
  const volume = FatBuildVolume(root, { ...opts, totalSectors: opts.partitionSectors, hiddenSectors: startLba });
  return MbrAssembleDisk(volume, opts.type, startLba);
}

/** The partition (first entry) of a disk image: its bytes and where it starts. */
export function MbrReadPartition(disk: Uint8Array): { type: number; startLba: number; sectors: number; volume: Uint8Array } {
  const dv = new DataView(disk.buffer, disk.byteOffset, disk.byteLength);
  if (dv.getUint16(510, true) !== 0xaa55) throw new Error('MBR: no 0x55AA signature');
  const startLba = dv.getUint32(PART_TABLE + 8, true);
  const sectors = dv.getUint32(PART_TABLE + 12, true);
  const volume = disk.subarray(startLba * SECTOR_SIZE, (startLba + sectors) * SECTOR_SIZE);
  return { type: disk[PART_TABLE + 4], startLba, sectors, volume };
}
