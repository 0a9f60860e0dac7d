// The volume: the boot sector and BPB (FAT12, FAT16 or FAT32 by cluster
// count, as fatgen103 defines the type), the FAT copies and the FSInfo
// sector.
//
// Every FAT copy is read whole. The first copy is the working table: the
// checker reads chains from it and the repairs change it; at the end each
// copy gets the sectors where it differs from the working table, so the
// copies agree again. Entries are widened: 0 free, 2..ClusterCount+1 a
// link, FAT_BAD, and FAT_EOC or above for the end of a chain whatever the
// FAT's width.

import { AcAllocate, AcRead, AcWrite, put, putDec, flush } from "./nt";
import {
  BS_BOOT_SIG, BS_BOOT_SIG_VALUE, BS_EXTENDED_FAT16, BS_EXTENDED_FAT32, BS_SIGNATURE, BS_VOL_ID, FAT_BOOT_SECTOR,
  FSI_FREE_COUNT, FSI_LEAD_SIG, FSI_LEAD_SIG_OFFSET, FSI_NXT_FREE, FSI_STRUC_SIG, FSI_STRUC_SIG_OFFSET, FSI_TRAIL_SIG,
  FSI_TRAIL_SIG_OFFSET,
} from "../../../kernel/sdk/fat";
import { NT_SUCCESS } from "../../../kernel/sdk/ntstatus";

export const FAT_BAD: u32 = 0x0FFFFFF7;
export const FAT_EOC: u32 = 0x0FFFFFF8;

export let FatType: u32 = 0;          // 12, 16 or 32
export let BytesPerSector: u32 = 512;
export let SectorsPerCluster: u32 = 1;
export let ClusterBytes: u32 = 512;
export let ReservedSectors: u32 = 0;
export let NumberOfFats: u32 = 0;
export let FatSectors: u32 = 0;       // sectors per FAT copy
export let RootEntries: u32 = 0;      // FAT12/16: entries of the fixed root directory
export let RootStart: u32 = 0;
export let RootSectors: u32 = 0;
export let DataStart: u32 = 0;        // the sector of cluster 2
export let ClusterCount: u32 = 0;     // valid clusters: 2 .. ClusterCount + 1
export let TotalSectors: u32 = 0;
export let RootCluster: u32 = 0;      // FAT32
export let FsInfoSector: u32 = 0;     // FAT32: 0 when there is none
export let SerialNumber: u32 = 0;
export let Media: u32 = 0;
/** The boot sector as read (BytesPerSector bytes). */
export let BootSector: usize = 0;

/** The working FAT (copy 1, then the repairs), and every copy as the disk has it. */
export let Fat: usize = 0;
let FatOnDisk: usize = 0;
let FatBytes: u32 = 0;

/** Why the boot sector was refused (when VolReadBootSector fails). */
export let VolRefusal: string = "";

@inline export function VolIsCluster(c: u32): bool { return c >= 2 && c - 2 < ClusterCount; }
@inline export function VolClusterSector(c: u32): u32 { return DataStart + (c - 2) * SectorsPerCluster; }

function refuse(why: string): bool { VolRefusal = why; return false; }

/** Reads sector 0 and derives the geometry; false (VolRefusal says why) when it is no FAT volume this checker can read. */
export function VolReadBootSector(partitionSectors: u64): bool {
  if (BootSector == 0) BootSector = AcAllocate(4096);
  if (!NT_SUCCESS(AcRead(0, 1, BootSector))) return refuse("the boot sector cannot be read");
  const b = BootSector;
  const bs = changetype<FAT_BOOT_SECTOR>(b);
  const jump = <u32>bs.JmpBoot0;
  if (jump != 0xEB && jump != 0xE9) return refuse("the boot sector has no jump instruction");
  if (bs.Signature != BS_SIGNATURE) return refuse("the boot sector has no 0xAA55 signature");
  const bps = <u32>bs.BytsPerSec;
  if (bps < 512 || bps > 4096 || (bps & (bps - 1)) != 0) return refuse("the bytes per sector are not 512, 1024, 2048 or 4096");
  if (bps != 512) return refuse("sectors of other than 512 bytes are not supported");
  const spc = <u32>bs.SecPerClus;
  if (spc == 0 || (spc & (spc - 1)) != 0) return refuse("the sectors per cluster are not a power of two");
  const reserved = <u32>bs.RsvdSecCnt;
  if (reserved == 0) return refuse("there are no reserved sectors");
  const fats = <u32>bs.NumFATs;
  if (fats == 0 || fats > 4) return refuse("the number of FATs is not 1 to 4");
  const rootEntries = <u32>bs.RootEntCnt;
  let total = <u32>bs.TotSec16;
  if (total == 0) total = bs.TotSec32;
  const media = <u32>bs.Media;
  if (media != 0xF0 && media < 0xF8) return refuse("the media descriptor is not valid");
  const fat16Size = <u32>bs.FATSz16;
  const fatSize = fat16Size != 0 ? fat16Size : bs.FATSz32;
  if (fatSize == 0) return refuse("the FAT size is 0");
  if (<u64>total > partitionSectors) return refuse("the volume is larger than its partition");
  const rootSectors = (rootEntries * 32 + bps - 1) / bps;
  const meta = <u64>reserved + <u64>fats * <u64>fatSize + <u64>rootSectors;
  if (meta >= <u64>total) return refuse("the FATs and root directory do not fit the volume");
  const clusters = (total - <u32>meta) / spc;
  const type: u32 = clusters < 4085 ? 12 : clusters < 65525 ? 16 : 32;
  if (type == 32 && (fat16Size != 0 || rootEntries != 0)) return refuse("a FAT32 volume with a FAT16 BPB");
  if (type != 32 && rootEntries == 0) return refuse("a FAT12/16 volume without root directory entries");
  const fatBits: u64 = type == 12 ? 12 : type == 16 ? 16 : 32;
  if (<u64>fatSize * bps * 8 < (<u64>clusters + 2) * fatBits) return refuse("the FAT is too small for the volume's clusters");
  FatType = type; BytesPerSector = bps; SectorsPerCluster = spc; ClusterBytes = spc * bps;
  ReservedSectors = reserved; NumberOfFats = fats; FatSectors = fatSize; RootEntries = rootEntries;
  RootStart = reserved + fats * fatSize; RootSectors = rootSectors; DataStart = <u32>meta;
  ClusterCount = clusters; TotalSectors = total; Media = media;
  RootCluster = 0; FsInfoSector = 0;
  if (type == 32) {
    RootCluster = bs.RootClus;
    if (!VolIsCluster(RootCluster)) return refuse("the root directory's first cluster is not valid");
    const fsInfo = <u32>bs.FSInfo;
    FsInfoSector = fsInfo != 0 && fsInfo != 0xFFFF && fsInfo < reserved ? fsInfo : 0;
  }
  const ebpb: u32 = type == 32 ? BS_EXTENDED_FAT32 : BS_EXTENDED_FAT16;
  SerialNumber = <u32>load<u8>(b + ebpb + BS_BOOT_SIG) == BS_BOOT_SIG_VALUE ? load<u32>(b + ebpb + BS_VOL_ID) : 0;
  return true;
}

// ---- the FAT ----

/** The entry of cluster `c` in the table at `table`, widened. */
function VolEntryIn(table: usize, c: u32): u32 {
  if (FatType == 32) return load<u32>(table + (c << 2)) & 0x0FFFFFFF;
  let v: u32;
  if (FatType == 16) {
    v = <u32>load<u16>(table + (c << 1));
    return v >= 0xFFF7 ? v | 0x0FFF0000 : v;
  }
  const at = table + c + (c >> 1);
  v = <u32>load<u8>(at) | (<u32>load<u8>(at, 1) << 8);
  v = (c & 1) != 0 ? v >> 4 : v & 0xFFF;
  return v >= 0xFF7 ? v | 0x0FFFF000 : v;
}

export function FatGet(c: u32): u32 { return VolEntryIn(Fat, c); }

/** Sets cluster `c`'s entry in the working FAT (FAT_EOC: the type's end-of-chain value; FAT32 keeps the top four bits). */
export function FatSet(c: u32, value: u32): void {
  if (FatType == 32) {
    const p = Fat + (c << 2);
    store<u32>(p, (load<u32>(p) & 0xF0000000) | (value >= FAT_EOC ? 0x0FFFFFFF : value & 0x0FFFFFFF));
  } else if (FatType == 16) {
    store<u16>(Fat + (c << 1), <u16>(value >= FAT_EOC ? 0xFFFF : value == FAT_BAD ? 0xFFF7 : value));
  } else {
    const v: u32 = value >= FAT_EOC ? 0xFFF : value == FAT_BAD ? 0xFF7 : value & 0xFFF;
    const at = Fat + c + (c >> 1);
    let w = <u32>load<u8>(at) | (<u32>load<u8>(at, 1) << 8);
    w = (c & 1) != 0 ? (w & 0x000F) | (v << 4) : (w & 0xF000) | v;
    store<u8>(at, <u8>w); store<u8>(at, <u8>(w >> 8), 1);
  }
}

/** The bytes of a FAT copy that hold entries 0 .. ClusterCount + 1 (the rest of its last sector is unused). */
function VolUsedFatBytes(): u32 {
  const entries = ClusterCount + 2;
  return FatType == 32 ? entries << 2 : FatType == 16 ? entries << 1 : (entries * 3 + 1) >> 1;
}

/**
 * Reads every FAT copy; the first becomes the working table. Returns the
 * number of copies that differ from the first in the entries in use (each
 * reported), or 0xFFFFFFFF when the FAT cannot be read.
 */
export function VolLoadFats(): u32 {
  FatBytes = FatSectors * BytesPerSector;
  Fat = AcAllocate(FatBytes);
  FatOnDisk = AcAllocate(FatBytes * NumberOfFats);
  if (Fat == 0 || FatOnDisk == 0) return 0xFFFFFFFF;
  for (let copy: u32 = 0; copy < NumberOfFats; copy++) {
    if (!NT_SUCCESS(AcRead(ReservedSectors + copy * FatSectors, FatSectors, FatOnDisk + copy * FatBytes))) return 0xFFFFFFFF;
  }
  memory.copy(Fat, FatOnDisk, FatBytes);
  const used = VolUsedFatBytes();
  let differing: u32 = 0;
  for (let copy: u32 = 1; copy < NumberOfFats; copy++) {
    const other = FatOnDisk + copy * FatBytes;
    let first: u32 = 0xFFFFFFFF, count: u32 = 0;
    for (let i: u32 = 0; i < used; i++) {
      if (load<u8>(Fat + i) != load<u8>(other + i)) { if (first == 0xFFFFFFFF) first = i; count++; }
    }
    if (count != 0) {
      differing++;
      put("The file allocation tables (FATs) on the disk are not the same: FAT "); putDec(copy + 1);
      put(" differs from FAT 1 in "); putDec(count); put(count == 1 ? " byte" : " bytes"); put(", the first at offset "); putDec(first); put(".");
      flush();
    }
  }
  return differing;
}

/** Writes each copy's sectors that differ from the working table; the number of sectors written, or 0xFFFFFFFF on an error. */
export function VolWriteFats(): u32 {
  let written: u32 = 0;
  for (let copy: u32 = 0; copy < NumberOfFats; copy++) {
    const disk = FatOnDisk + copy * FatBytes;
    for (let s: u32 = 0; s < FatSectors; s++) {
      const o = s * BytesPerSector;
      if (memory.compare(Fat + o, disk + o, BytesPerSector) == 0) continue;
      if (!NT_SUCCESS(AcWrite(ReservedSectors + copy * FatSectors + s, 1, Fat + o))) return 0xFFFFFFFF;
      memory.copy(disk + o, Fat + o, BytesPerSector);
      written++;
    }
  }
  return written;
}

// ---- the clean-shutdown ("dirty") flag: FAT[1] bit 15 (FAT16) or bit 27 (FAT32); FAT12 has none ----

export function VolIsDirty(): bool {
  if (FatType == 16) return (load<u16>(Fat, 2) & 0x8000) == 0;
  if (FatType == 32) return (load<u32>(Fat, 4) & 0x08000000) == 0;
  return false;
}

/** Marks the volume clean in the working FAT (written with the copies). */
export function VolSetClean(): void {
  if (FatType == 16) store<u16>(Fat, load<u16>(Fat, 2) | 0x8000, 2);
  else if (FatType == 32) store<u32>(Fat, load<u32>(Fat, 4) | 0x08000000, 4);
}

/** Free clusters in the working FAT. */
export function VolCountFree(): u32 {
  let free: u32 = 0;
  for (let c: u32 = 2; c < ClusterCount + 2; c++) if (FatGet(c) == 0) free++;
  return free;
}

// ---- the backup boot sector (FAT32) ----

/**
 * FAT32 keeps a copy of the boot sector at BPB_BkBootSec (6): it must be the
 * same 512 bytes. With `fix`, the boot sector is written over the copy.
 * Returns the number of problems (0 or 1).
 */
export function VolCheckBackupBoot(fix: bool): u32 {
  if (FatType != 32) return 0;
  const backup = <u32>changetype<FAT_BOOT_SECTOR>(BootSector).BkBootSec;
  if (backup == 0 || backup == 0xFFFF || backup >= ReservedSectors || backup == FsInfoSector) return 0;
  const s = BootSector + 3072;
  if (!NT_SUCCESS(AcRead(backup, 1, s))) { put("The backup boot sector cannot be read."); flush(); return 1; }
  let first: u32 = 0xFFFFFFFF, count: u32 = 0;
  for (let i: u32 = 0; i < 512; i++) if (load<u8>(BootSector + i) != load<u8>(s + i)) { if (first == 0xFFFFFFFF) first = i; count++; }
  if (count == 0) return 0;
  put("The boot sector and its backup copy (sector "); putDec(backup); put(") differ in "); putDec(count);
  put(count == 1 ? " byte" : " bytes"); put(", the first at offset "); putDec(first); put(".");
  flush();
  if (fix && NT_SUCCESS(AcWrite(backup, 1, BootSector))) { put("The backup boot sector was rewritten from the boot sector."); flush(); }
  return 1;
}

// ---- FSInfo (FAT32) ----

/**
 * Checks the FSInfo sector against the real free count: its signatures, its
 * free count (0xFFFFFFFF: unknown, allowed) and its next-free hint. With
 * `fix`, writes a corrected sector. Returns the number of problems.
 */
export function VolCheckFsInfo(free: u32, fix: bool): u32 {
  if (FatType != 32 || FsInfoSector == 0) return 0;
  const s = BootSector + 2048; // the boot sector's buffer has room after its first 512 bytes
  if (!NT_SUCCESS(AcRead(FsInfoSector, 1, s))) { put("The FSInfo sector cannot be read."); flush(); return 1; }
  let problems: u32 = 0;
  if (load<u32>(s + FSI_LEAD_SIG_OFFSET) != FSI_LEAD_SIG || load<u32>(s + FSI_STRUC_SIG_OFFSET) != FSI_STRUC_SIG
      || load<u32>(s + FSI_TRAIL_SIG_OFFSET) != FSI_TRAIL_SIG) {
    say2("The FSInfo sector's signatures are not valid.");
    problems++;
    if (fix) { memory.fill(s, 0, 512); store<u32>(s + FSI_LEAD_SIG_OFFSET, FSI_LEAD_SIG); store<u32>(s + FSI_STRUC_SIG_OFFSET, FSI_STRUC_SIG); store<u32>(s + FSI_TRAIL_SIG_OFFSET, FSI_TRAIL_SIG); }
  }
  const count = load<u32>(s + FSI_FREE_COUNT);
  if (count != 0xFFFFFFFF && count != free || problems != 0) {
    if (problems == 0) {
      put("The free space count in the FSInfo sector is wrong: "); putDec(count); put(" allocation units, really "); putDec(free); put(".");
      flush();
      problems++;
    }
    if (fix) store<u32>(s + FSI_FREE_COUNT, free);
  }
  const next = load<u32>(s + FSI_NXT_FREE);
  if (next != 0xFFFFFFFF && !VolIsCluster(next)) {
    put("The next free allocation unit in the FSInfo sector ("); putDec(next); put(") is not on the volume."); flush();
    problems++;
    if (fix) store<u32>(s + FSI_NXT_FREE, 0xFFFFFFFF);
  }
  if (fix && problems != 0 && !NT_SUCCESS(AcWrite(FsInfoSector, 1, s))) return problems | 0x80000000;
  return problems;
}

function say2(s: string): void { put(s); flush(); }
