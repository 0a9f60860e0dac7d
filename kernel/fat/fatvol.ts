// The FAT file system driver, part 1: the volume. Boot sector (BPB)
// checks, the sector cache, the file allocation table, free space, and
// FAT date/time conversion.
//
// Sectors are 512 bytes (other sizes are refused at mount). Sector numbers
// here are relative to the partition. Each volume has its own cache of
// metadata sectors (FAT and directories), which only the holder of the
// volume's lock touches (every request holds it for its whole length, disk
// waits included, so no other thread evicts a sector a request is using);
// it is write-through: every change reaches the disk in
// the order the driver makes it, which the crash-ordering rules of
// fatdir.ts depend on. File data moves between the caller's buffer and the
// disk directly (whole sectors) and keeps the cache coherent by updating
// any cached copy it overwrites.
//
// A FAT entry change is written to every copy of the FAT, first copy first.
// On FAT32 the FSInfo free-cluster count is set to "unknown" (0xFFFFFFFF)
// before the first allocation change of a session, so a power cut never
// leaves a wrong count (fsck.fat then recomputes it, as Windows does).

import { KeBenchmarkMark } from "../ke/loader";
import { KeLogBegin, KeLogDecimal, KeLogEnd, KeLogHex, KeLogString, KeLogFormat2 } from "../ke/log";
import { RtlCivilFromDays, RtlDaysFromCivil, TICKS_PER_SECOND } from "../rtl/time";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { KeInitializeEvent, KeSetEvent, KeWaitForSingleObject, KeQuerySystemTime } from "../ke/wait";
import { IoDeviceTransfer } from "../io/iomgr";
import { IRP_MJ_FLUSH_BUFFERS, IRP_MJ_READ, IRP_MJ_WRITE } from "../io/iop";
import { FAT_BOOT_SECTOR } from "../sdk/fat";
import {
  NT_SUCCESS, STATUS_DISK_FULL, STATUS_FILE_CORRUPT_ERROR, STATUS_INSUFFICIENT_RESOURCES,
  STATUS_SUCCESS, STATUS_UNRECOGNIZED_VOLUME,
} from "../sdk/ntstatus";
import {
  BS_BOOT_SIG, BS_BOOT_SIG_VALUE, BS_EXTENDED_FAT16, BS_EXTENDED_FAT32, BS_SIGNATURE, BS_VOL_ID, BS_VOL_LAB, FAT_DIRENT_SIZE, FSI_FREE_COUNT, FSI_LEAD_SIG, FSI_LEAD_SIG_OFFSET, FSI_NXT_FREE, FSI_STRUC_SIG, FSI_STRUC_SIG_OFFSET,
} from "../sdk/fat";

export const SECTOR: u32 = 512;
export const FAT_TAG: u32 = 0x20746146; // 'Fat '

/** The volume control block: the device extension of a mounted FAT volume's device. */
@unmanaged export class VCB {
  Partition: usize;         // the partition device: where sectors are read and written
  FatType: u32;             // 16 or 32
  SectorsPerCluster: u32;
  ClusterBytes: u32;
  FatStart: u32;            // first sector of the first FAT (= reserved sectors)
  NumberOfFats: u32;
  SectorsPerFat: u32;
  RootEntries: u32;         // FAT16: entries in the fixed root directory
  RootStart: u32;           // FAT16: its first sector
  RootSectors: u32;
  DataStart: u32;           // the sector of cluster 2
  ClusterCount: u32;        // data clusters: valid numbers are 2 .. ClusterCount + 1
  RootCluster: u32;         // FAT32: the root directory's first cluster (FAT16: 0)
  FsInfoSector: u32;        // FAT32: 0 when there is none
  NextFree: u32;            // where the next allocation search starts
  FreeClusters: u32;        // FAT_FREE_UNKNOWN until first needed (FatFreeClusters counts it), then kept up to date
  SerialNumber: u32;
  TotalSectors: u32;
  FcbList: usize;           // open files (fatfcb.ts)
  FsInfoInvalidated: u32;   // FAT32: FSInfo's free count already set to unknown
  Label0: u32;              // the volume label: 11 bytes from the boot sector
  Label1: u32;
  Label2: u32;
  Lock: u64;                // KEVENT (synchronization, signalled when free): the volume's mutex
  Lock2: u64;
  Locked: u32;              // FSCTL_LOCK_VOLUME holds it: no file may be opened (fatquery.ts)
  // +116: the clean-shutdown bit of FAT[1] (fatdirty.ts)
  OnDiskDirty: u32;         // the bit says dirty now (written by this mount, or found so)
  MountedDirty: u32;        // it was dirty at mount: it stays so until a checker clears it, as NT keeps it
  Marking: u32;             // the bit's own writes are under way (they must not mark again)
  LastWriteTick: u32;       // the clock tick of the last write: the volume is cleaned when it has been quiet
  // +132
  Cache: usize;             // FAT_CACHE (pool): the volume's sector cache, under Lock
  // +136: an append's deferred metadata (see "Deferred metadata" below)
  PendingFat: u32;          // the first FAT's sector (relative, + 1) changed in the cache and not yet written; 0: none
  PendingFcb: usize;        // the FCB whose directory entry is not yet written; 0: none
  Flushing: u32;            // FatFlushPending is writing them
}
export const SIZEOF_VCB: u32 = 148;
@inline export function VcbLock(vcb: usize): usize { return vcb + offsetof<VCB>("Lock"); }
@inline export function VcbLabel(vcb: usize): usize { return vcb + offsetof<VCB>("Label0"); }

/** Takes the volume for a request; an append's deferred metadata is written first (FatFlushPending). */
export function FatAcquireVolume(vcb: usize): void {
  KeWaitForSingleObject(VcbLock(vcb), 0);
  FatFlushPending(vcb);
}
/** Takes the volume for a read or write: deferred metadata may stay deferred. */
export function FatAcquireVolumeForData(vcb: usize): void { KeWaitForSingleObject(VcbLock(vcb), 0); }
export function FatReleaseVolume(vcb: usize): void { KeSetEvent(VcbLock(vcb)); }

// ---- deferred metadata ----
//
// An append (IRP_MJ_WRITE past the file's end, fatdata.ts) changes the FAT
// (the new run and its link) and the file's directory entry (size, write
// time). As NT's FAT driver leaves them to the cache manager's lazy writer,
// these writes wait: the changed FAT sector stays in the cache (never
// evicted meanwhile) and the FCB is noted, so a file written in 64 KiB
// requests costs one data command per request, not four. They go to the
// disk, FAT first (every copy) and then the entry -- the order of a
// write-through append, so a cut still leaves at most lost clusters and the
// old size -- before anything else is written (any other metadata write),
// when another sector or file would be deferred, and at the start of every
// request that is not a read or write (FatAcquireVolume: flush, cleanup,
// close, queries, renames, FSCTLs), so the volume's quiet-time clean and
// an orderly shutdown find nothing left.

let FatWritePendingEntry: (vcb: usize, f: usize) => u32 = FatNoPendingEntry;
function FatNoPendingEntry(vcb: usize, f: usize): u32 { return STATUS_SUCCESS; }
/** fatmount.ts hands in the routine that writes an FCB's entry (fatfcb.ts: FatUpdateEntry). */
export function FatSetPendingEntryWriter(writer: (vcb: usize, f: usize) => u32): void { FatWritePendingEntry = writer; }
/** Called when the volume first gets deferred metadata (fatdirty.ts wakes its thread: it flushes after a quiet time). */
let FatOnPending: (vcb: usize) => void = FatNoHook;
export function FatSetPendingHook(hook: (vcb: usize) => void): void { FatOnPending = hook; }

@inline export function FatHasPending(vcb: usize): bool {
  return (changetype<VCB>(vcb).PendingFat | <u32>changetype<VCB>(vcb).PendingFcb) != 0;
}

/** Writes the deferred FAT sector (every copy, first first), then the deferred entry. Under the volume's lock. */
export function FatFlushPending(vcb: usize): u32 {
  const v = changetype<VCB>(vcb);
  if (!FatHasPending(vcb) || v.Flushing != 0) return STATUS_SUCCESS;
  v.Flushing = 1;
  let status = STATUS_SUCCESS;
  if (v.PendingFat != 0) {
    const sector = v.PendingFat - 1;
    const data = FatCacheLookup(vcb, v.FatStart + sector);
    status = data != 0 ? FatWriteFatSector(vcb, sector, data) : STATUS_FILE_CORRUPT_ERROR; // never evicted while pending
    v.PendingFat = 0;
  }
  const f = v.PendingFcb;
  v.PendingFcb = 0;
  if (f != 0 && NT_SUCCESS(status)) status = FatWritePendingEntry(vcb, f); // the entry only after its clusters
  v.Flushing = 0;
  return status;
}

/** Defers the write of the first FAT's sector `offsetSector` (changed in the cache); another deferred one is written first. */
export function FatDeferFatSector(vcb: usize, offsetSector: u32): u32 {
  const v = changetype<VCB>(vcb);
  if (v.PendingFat == offsetSector + 1) return STATUS_SUCCESS;
  let status = STATUS_SUCCESS;
  if (FatHasPending(vcb)) status = FatFlushPending(vcb);
  else FatOnPending(vcb);
  v.PendingFat = offsetSector + 1;
  return status;
}

/** Defers the write of `f`'s directory entry; another file's deferred entry is written first. */
export function FatDeferEntry(vcb: usize, f: usize): u32 {
  const v = changetype<VCB>(vcb);
  if (v.PendingFcb == f) return STATUS_SUCCESS;
  let status = STATUS_SUCCESS;
  if (v.PendingFcb != 0) status = FatFlushPending(vcb); // (its FAT sector goes too: it may be this file's run)
  else if (v.PendingFat == 0) FatOnPending(vcb);
  v.PendingFcb = f;
  return status;
}

// ---- raw sector transfers ----

export function FatReadSectors(vcb: usize, sector: u32, count: u32, buffer: usize): u32 {
  return IoDeviceTransfer(changetype<VCB>(vcb).Partition, IRP_MJ_READ, <u64>sector * SECTOR, buffer, count * SECTOR);
}

/**
 * Called before every write: the first write after the volume was clean
 * marks it dirty on the disk first (fatdirty.ts, through this hook so that
 * this file needs nothing from it); every write notes the time.
 */
let FatBeforeWrite: (vcb: usize) => void = FatNoHook;
function FatNoHook(vcb: usize): void {}
export function FatSetWriteHook(hook: (vcb: usize) => void): void { FatBeforeWrite = hook; }

/** Writes sectors straight to the disk; cached copies of them are refreshed. */
export function FatWriteSectors(vcb: usize, sector: u32, count: u32, buffer: usize): u32 {
  FatBeforeWrite(vcb);
  const status = IoDeviceTransfer(changetype<VCB>(vcb).Partition, IRP_MJ_WRITE, <u64>sector * SECTOR, buffer, count * SECTOR);
  const cache = changetype<VCB>(vcb).Cache;
  for (let i: u32 = 0; i < CACHE_ENTRIES; i++) {
    const entry = changetype<FAT_CACHE_ENTRY>(CacheEntry(cache, i));
    if (entry.Stamp != 0 && entry.Sector >= sector && entry.Sector - sector < count) {
      if (NT_SUCCESS(status)) memory.copy(CacheData(cache, i), buffer + (entry.Sector - sector) * SECTOR, SECTOR);
      else entry.Stamp = 0; // unknown now: drop it
    }
  }
  return status;
}

/** Writes sectors to the disk and nothing else: no hook, no cache update (the dirty flag's own writes, fatdirty.ts). */
export function FatWriteSectorsRaw(vcb: usize, sector: u32, count: u32, buffer: usize): u32 {
  return IoDeviceTransfer(changetype<VCB>(vcb).Partition, IRP_MJ_WRITE, <u64>sector * SECTOR, buffer, count * SECTOR);
}

/** The cached copy of `sector`, or 0 when it is not cached (nothing is read or evicted). */
export function FatCacheLookup(vcb: usize, sector: u32): usize {
  const cache = changetype<VCB>(vcb).Cache;
  for (let i: u32 = 0; i < CACHE_ENTRIES; i++) {
    const entry = changetype<FAT_CACHE_ENTRY>(CacheEntry(cache, i));
    if (entry.Stamp != 0 && entry.Sector == sector) return CacheData(cache, i);
  }
  return 0;
}

/** Sends FLUSH to the disk under the volume: everything written is on the media after it. */
export function FatFlushDisk(vcb: usize): u32 {
  return IoDeviceTransfer(changetype<VCB>(vcb).Partition, IRP_MJ_FLUSH_BUFFERS, 0, 0, 0);
}

// ---- the sector cache ----
//
// One per volume, made at mount and guarded by the volume's lock:
//
//   FAT_CACHE   +0  Clock, Hits, Misses, ReadStatus, Last
//               +24 CACHE_ENTRIES x FAT_CACHE_ENTRY (Sector, Stamp; Stamp 0: empty)
//               CACHE_DATA_AT: CACHE_ENTRIES sectors of 512 bytes
//
// A sector FatCacheRead returns stays where it is until CACHE_ENTRIES - 1
// other sectors have been read after it (least recently used goes first):
// a request may hold a few at once.

const CACHE_ENTRIES: u32 = 64;
@unmanaged class FAT_CACHE {
  Clock: u32;               // stamps in use order (1, 2, ...)
  Hits: u32;
  Misses: u32;
  ReadStatus: u32;          // why the last FatCacheRead that returned 0 failed
  Last: u32;                // the entry the last FatCacheRead returned: looked at first (a chain walk stays in one sector)
}
@unmanaged class FAT_CACHE_ENTRY {
  Sector: u32;
  Stamp: u32;               // the Clock at its last use; 0: the entry holds nothing
}
const CACHE_ENTRIES_AT: u32 = 24;
const CACHE_DATA_AT: u32 = CACHE_ENTRIES_AT + CACHE_ENTRIES * 8;
const SIZEOF_FAT_CACHE: u32 = CACHE_DATA_AT + CACHE_ENTRIES * SECTOR;
@inline function CacheEntry(cache: usize, i: u32): usize { return cache + CACHE_ENTRIES_AT + (i << 3); }
@inline function CacheData(cache: usize, i: u32): usize { return cache + CACHE_DATA_AT + i * SECTOR; }

/**
 * The 512 bytes of `sector`, from the cache or the disk; 0 on a read error
 * (FatCacheReadStatus says which). The pointer is good while the caller
 * holds the volume's lock and reads fewer than CACHE_ENTRIES other sectors.
 */
export function FatCacheRead(vcb: usize, sector: u32): usize {
  const cache = changetype<VCB>(vcb).Cache;
  const c = changetype<FAT_CACHE>(cache);
  // A deferred FAT sector is never the victim: it is written at FatFlushPending from here.
  const last = changetype<FAT_CACHE_ENTRY>(CacheEntry(cache, c.Last));
  if (last.Stamp != 0 && last.Sector == sector) { // the usual case: the sector of the last call
    last.Stamp = ++c.Clock;
    c.Hits++;
    return CacheData(cache, c.Last);
  }
  const pinned = changetype<VCB>(vcb).PendingFat != 0 ? changetype<VCB>(vcb).FatStart + changetype<VCB>(vcb).PendingFat - 1 : 0xFFFFFFFF;
  let victim: u32 = 0, oldest: u32 = 0xFFFFFFFF;
  for (let i: u32 = 0; i < CACHE_ENTRIES; i++) {
    const entry = changetype<FAT_CACHE_ENTRY>(CacheEntry(cache, i));
    if (entry.Stamp != 0 && entry.Sector == sector) {
      entry.Stamp = ++c.Clock;
      c.Hits++;
      c.Last = i;
      return CacheData(cache, i);
    }
    if (entry.Stamp < oldest && (entry.Stamp == 0 || entry.Sector != pinned)) { oldest = entry.Stamp; victim = i; }
  }
  c.Misses++;
  const entry = changetype<FAT_CACHE_ENTRY>(CacheEntry(cache, victim));
  const data = CacheData(cache, victim);
  entry.Stamp = 0;
  const status = FatReadSectors(vcb, sector, 1, data);
  if (!NT_SUCCESS(status)) { c.ReadStatus = status; return 0; }
  entry.Sector = sector;
  entry.Stamp = ++c.Clock;
  c.Last = victim;
  return data;
}

/** Why the volume's last FatCacheRead that returned 0 failed (read it at once, under the volume's lock). */
export function FatCacheReadStatus(vcb: usize): u32 { return changetype<FAT_CACHE>(changetype<VCB>(vcb).Cache).ReadStatus; }

/** Writes a sector the caller changed in the cache (the pointer FatCacheRead gave) through to the disk. */
export function FatCacheWrite(vcb: usize, sector: u32, data: usize): u32 {
  if (FatHasPending(vcb) && changetype<VCB>(vcb).Flushing == 0) {
    const pending = FatFlushPending(vcb); // deferred metadata before any other
    if (!NT_SUCCESS(pending)) return pending;
  }
  FatBeforeWrite(vcb);
  const status = IoDeviceTransfer(changetype<VCB>(vcb).Partition, IRP_MJ_WRITE, <u64>sector * SECTOR, data, SECTOR);
  if (!NT_SUCCESS(status)) {
    const cache = changetype<VCB>(vcb).Cache;
    for (let i: u32 = 0; i < CACHE_ENTRIES; i++) {
      const entry = changetype<FAT_CACHE_ENTRY>(CacheEntry(cache, i));
      if (entry.Stamp != 0 && entry.Sector == sector) entry.Stamp = 0;
    }
  }
  return status;
}

/** Forgets every cached sector of the volume (another writer changed the disk under it: FSCTL_DISMOUNT_VOLUME). */
export function FatDropCache(vcb: usize): void {
  const cache = changetype<VCB>(vcb).Cache;
  for (let i: u32 = 0; i < CACHE_ENTRIES; i++) changetype<FAT_CACHE_ENTRY>(CacheEntry(cache, i)).Stamp = 0;
}

/**
 * Reads the volume again, as a new mount would, without a new device: the
 * cache dropped, the boot sector parsed, the free clusters counted. For the
 * end of a lock under which a checker wrote the volume directly.
 */
export function FatRereadVolume(vcb: usize, partitionSectors: u32): u32 {
  FatDropCache(vcb);
  const v = changetype<VCB>(vcb);
  const boot = ExAllocatePoolWithTag(NonPagedPool, SECTOR, FAT_TAG);
  if (boot == 0) return STATUS_INSUFFICIENT_RESOURCES;
  let status = FatReadSectors(vcb, 0, 1, boot);
  if (NT_SUCCESS(status)) status = FatParseBootSector(vcb, boot, partitionSectors);
  ExFreePoolWithTag(boot, FAT_TAG);
  if (!NT_SUCCESS(status)) return status;
  v.FsInfoInvalidated = 0;
  v.FreeClusters = FAT_FREE_UNKNOWN; // counted again when next needed
  return STATUS_SUCCESS;
}

// ---- the allocation table ----

export const FAT_FREE: u32 = 0;
/** Any value at or above this ends a chain (FAT16 values are widened). */
export const FAT_EOC: u32 = 0x0FFFFFF8;
const FAT_BAD: u32 = 0x0FFFFFF7;

@inline export function FatIsValidCluster(vcb: usize, cluster: u32): bool {
  return cluster >= 2 && cluster - 2 < changetype<VCB>(vcb).ClusterCount;
}

/** The sector of `cluster`'s first byte. */
@inline export function FatClusterSector(vcb: usize, cluster: u32): u32 {
  const v = changetype<VCB>(vcb);
  return v.DataStart + (cluster - 2) * v.SectorsPerCluster;
}

/**
 * The FAT entry of `cluster`: the next cluster, FAT_FREE, or a value >=
 * FAT_EOC (FAT16's 0xFFF8.. is widened). 0xFFFFFFFF on a read error.
 */
export function FatGetEntry(vcb: usize, cluster: u32): u32 {
  const v = changetype<VCB>(vcb);
  const offset = v.FatType == 32 ? cluster << 2 : cluster << 1;
  const data = FatCacheRead(vcb, v.FatStart + offset / SECTOR);
  if (data == 0) return 0xFFFFFFFF;
  if (v.FatType == 32) return load<u32>(data + offset % SECTOR) & 0x0FFFFFFF;
  const value = <u32>load<u16>(data + offset % SECTOR);
  return value >= 0xFFF7 ? value | 0x0FFF0000 : value;
}

/** Sets the FAT entry of `cluster` in every FAT copy, first copy first. */
export function FatSetEntry(vcb: usize, cluster: u32, value: u32): u32 {
  const v = changetype<VCB>(vcb);
  const offset = v.FatType == 32 ? cluster << 2 : cluster << 1;
  for (let copy: u32 = 0; copy < v.NumberOfFats; copy++) {
    const sector = v.FatStart + copy * v.SectorsPerFat + offset / SECTOR;
    const data = FatCacheRead(vcb, sector);
    if (data == 0) return FatCacheReadStatus(vcb);
    if (v.FatType == 32) {
      const p = data + offset % SECTOR;
      store<u32>(p, (load<u32>(p) & 0xF0000000) | (value & 0x0FFFFFFF)); // the top four bits are reserved
    } else {
      store<u16>(data + offset % SECTOR, <u16>(value >= FAT_EOC ? 0xFFFF : value));
    }
    const status = FatCacheWrite(vcb, sector, data);
    if (!NT_SUCCESS(status)) return status;
  }
  return STATUS_SUCCESS;
}

/** FAT32: marks FSInfo's free count unknown before the first change of this session. */
function FatInvalidateFsInfo(vcb: usize): u32 {
  const v = changetype<VCB>(vcb);
  if (v.FatType != 32 || v.FsInfoSector == 0 || v.FsInfoInvalidated != 0) return STATUS_SUCCESS;
  const data = FatCacheRead(vcb, v.FsInfoSector);
  if (data == 0) return FatCacheReadStatus(vcb);
  v.FsInfoInvalidated = 1;
  if (load<u32>(data + FSI_LEAD_SIG_OFFSET) != FSI_LEAD_SIG || load<u32>(data + FSI_STRUC_SIG_OFFSET) != FSI_STRUC_SIG) return STATUS_SUCCESS; // not a valid FSInfo: leave it
  store<u32>(data + FSI_FREE_COUNT, 0xFFFFFFFF);
  store<u32>(data + FSI_NXT_FREE, 0xFFFFFFFF);
  return FatCacheWrite(vcb, v.FsInfoSector, data);
}

/**
 * Allocates one free cluster, marks it end of chain, and links it after
 * `previous` (0: a new chain). The new cluster is written before the link,
 * so a cut leaves at most a lost cluster, never a chain into garbage.
 */
export function FatAllocateCluster(vcb: usize, previous: u32, out: usize): u32 {
  const v = changetype<VCB>(vcb);
  if (FatFreeClusters(vcb) == 0) return STATUS_DISK_FULL;
  let status = FatInvalidateFsInfo(vcb);
  if (!NT_SUCCESS(status)) return status;
  let cluster = v.NextFree;
  for (let n: u32 = 0; n < v.ClusterCount; n++) {
    if (!FatIsValidCluster(vcb, cluster)) cluster = 2;
    const entry = FatGetEntry(vcb, cluster);
    if (entry == 0xFFFFFFFF) return FatCacheReadStatus(vcb);
    if (entry == FAT_FREE) {
      status = FatSetEntry(vcb, cluster, 0x0FFFFFFF);
      if (!NT_SUCCESS(status)) return status;
      if (previous != 0) {
        status = FatSetEntry(vcb, previous, cluster);
        if (!NT_SUCCESS(status)) return status;
      }
      v.FreeClusters--;
      v.NextFree = cluster + 1;
      store<u32>(out, cluster);
      return STATUS_SUCCESS;
    }
    cluster++;
  }
  v.FreeClusters = 0;
  return STATUS_DISK_FULL;
}

/**
 * The first cluster of a run of `count` free clusters, searched from
 * `from` to the end of the volume and then from cluster 2; 0 when there is
 * none (or on a read error). Used to give a growing file (the paging file
 * above all) one contiguous extent, as NT's FAT driver tries to.
 */
export function FatFindFreeClusters(vcb: usize, count: u32, from: u32): u32 {
  const v = changetype<VCB>(vcb);
  if (count == 0 || count > FatFreeClusters(vcb)) return 0;
  const last = v.ClusterCount + 1;
  if (!FatIsValidCluster(vcb, from)) from = 2;
  for (let pass: u32 = 0; pass < 2; pass++) {
    let start = pass == 0 ? from : 2;
    const end = pass == 0 ? last : from + count - 1;
    let run: u32 = 0;
    for (let cluster = start; cluster <= end && cluster <= last; cluster++) {
      const entry = FatGetEntry(vcb, cluster);
      if (entry == 0xFFFFFFFF) return 0;
      if (entry != FAT_FREE) { run = 0; start = cluster + 1; continue; }
      if (++run == count) return start;
    }
  }
  return 0;
}

/**
 * Allocates the free clusters first .. first + count - 1 as one chain (each
 * entry the next, the last end of chain) and links it after `previous` (0:
 * a new chain). One write per FAT sector and copy; the run is on the disk
 * before the link (or in the same sector write), so a cut leaves at most
 * lost clusters.
 */
export function FatAllocateRun(vcb: usize, previous: u32, first: u32, count: u32, defer: bool): u32 {
  const v = changetype<VCB>(vcb);
  let status = FatInvalidateFsInfo(vcb);
  if (!NT_SUCCESS(status)) return status;
  const shift: u32 = v.FatType == 32 ? 2 : 1;
  const end = first + count; // one past the run
  // An append's usual case: one FAT sector holds the whole run and the entry
  // of `previous`. The link then goes in the same write as the run (per FAT
  // copy), which a cut leaves whole or not at all: one write instead of two.
  const firstSector = (first << shift) / SECTOR;
  const together = previous != 0 && (previous << shift) / SECTOR == firstSector && ((end - 1) << shift) / SECTOR == firstSector;
  let cluster = first;
  while (cluster < end) {
    const sector = (cluster << shift) / SECTOR;
    const data = FatCacheRead(vcb, v.FatStart + sector);
    if (data == 0) return FatCacheReadStatus(vcb);
    // Every entry of the run in this FAT sector.
    while (cluster < end && (cluster << shift) / SECTOR == sector) {
      const next = cluster + 1 < end ? cluster + 1 : 0x0FFFFFFF;
      const p = data + ((cluster << shift) % SECTOR);
      if (v.FatType == 32) store<u32>(p, (load<u32>(p) & 0xF0000000) | next);
      else store<u16>(p, <u16>(next >= FAT_EOC ? 0xFFFF : next));
      cluster++;
    }
    if (together) {
      const p = data + ((previous << shift) % SECTOR);
      if (v.FatType == 32) store<u32>(p, (load<u32>(p) & 0xF0000000) | first);
      else store<u16>(p, <u16>first);
    }
    // An append's run may wait in the cache (deferred metadata, above); the last sector of the run only,
    // so the sectors before it still reach the disk first.
    status = defer && cluster >= end ? FatDeferFatSector(vcb, sector) : FatWriteFatSector(vcb, sector, data);
    if (!NT_SUCCESS(status)) return status;
  }
  if (previous != 0 && !together) {
    status = FatSetEntry(vcb, previous, first);
    if (!NT_SUCCESS(status)) return status;
  }
  if (v.FreeClusters != FAT_FREE_UNKNOWN) v.FreeClusters -= count;
  if (v.NextFree >= first && v.NextFree < end) v.NextFree = end;
  return STATUS_SUCCESS;
}

/** Writes a changed sector of the first FAT, then the same bytes to that sector of every other copy. */
function FatWriteFatSector(vcb: usize, offsetSector: u32, data: usize): u32 {
  const v = changetype<VCB>(vcb);
  let status = FatCacheWrite(vcb, v.FatStart + offsetSector, data);
  for (let copy: u32 = 1; copy < v.NumberOfFats && NT_SUCCESS(status); copy++) {
    status = FatWriteSectors(vcb, v.FatStart + copy * v.SectorsPerFat + offsetSector, 1, data);
  }
  return status;
}

/**
 * Frees the chain that starts at `first` (0: nothing), one write per FAT
 * sector and copy (first FAT first), following at most ClusterCount links.
 */
export function FatFreeChain(vcb: usize, first: u32): u32 {
  const v = changetype<VCB>(vcb);
  if (first == 0) return STATUS_SUCCESS;
  let status = FatInvalidateFsInfo(vcb);
  if (!NT_SUCCESS(status)) return status;
  const shift: u32 = v.FatType == 32 ? 2 : 1;
  let cluster = first;
  let pending: u32 = 0xFFFFFFFF; // the FAT sector (relative) changed in the cache and not yet written
  for (let n: u32 = 0; n < v.ClusterCount && FatIsValidCluster(vcb, cluster); n++) {
    const sector = (cluster << shift) / SECTOR;
    if (pending != 0xFFFFFFFF && pending != sector) {
      const data = FatCacheRead(vcb, v.FatStart + pending);
      if (data == 0) return FatCacheReadStatus(vcb);
      status = FatWriteFatSector(vcb, pending, data);
      if (!NT_SUCCESS(status)) return status;
    }
    const data = FatCacheRead(vcb, v.FatStart + sector);
    if (data == 0) return FatCacheReadStatus(vcb);
    const p = data + ((cluster << shift) % SECTOR);
    let next: u32;
    if (v.FatType == 32) { next = load<u32>(p) & 0x0FFFFFFF; store<u32>(p, load<u32>(p) & 0xF0000000); }
    else { next = <u32>load<u16>(p); if (next >= 0xFFF7) next |= 0x0FFF0000; store<u16>(p, 0); }
    pending = sector;
    if (v.FreeClusters != FAT_FREE_UNKNOWN) v.FreeClusters++;
    if (cluster < v.NextFree) v.NextFree = cluster;
    if (next >= FAT_BAD || next == FAT_FREE) break;
    cluster = next;
  }
  if (pending != 0xFFFFFFFF) {
    const data = FatCacheRead(vcb, v.FatStart + pending);
    if (data == 0) return FatCacheReadStatus(vcb);
    status = FatWriteFatSector(vcb, pending, data);
  }
  return status;
}

/** Zeroes a cluster on the disk (new directory clusters). */
export function FatZeroCluster(vcb: usize, cluster: u32): u32 {
  const v = changetype<VCB>(vcb);
  const buffer = ExAllocatePoolWithTag(NonPagedPool, v.ClusterBytes, FAT_TAG);
  if (buffer == 0) return STATUS_INSUFFICIENT_RESOURCES;
  const status = FatWriteSectors(vcb, FatClusterSector(vcb, cluster), v.SectorsPerCluster, buffer);
  ExFreePoolWithTag(buffer, FAT_TAG);
  return status;
}

/** VCB.FreeClusters before the free clusters are counted. */
export const FAT_FREE_UNKNOWN: u32 = 0xFFFFFFFF;

/**
 * The volume's free clusters, counted on the first call after a mount (or a
 * re-read) and kept up to date from then on; 0 when the FAT cannot be read
 * (the next call tries again). The caller holds the volume (FatAcquireVolume).
 */
export function FatFreeClusters(vcb: usize): u32 {
  const v = changetype<VCB>(vcb);
  if (v.FreeClusters != FAT_FREE_UNKNOWN) return v.FreeClusters;
  const free = FatCountFree(vcb);
  if (free == FAT_FREE_UNKNOWN) return 0;
  v.FreeClusters = free;
  KeLogFormat2("fat", "volume %x: %u free clusters (counted on first use)", v.SerialNumber, free);
  return free;
}

/**
 * Counts the free clusters (and sets NextFree to the first), reading the first FAT 16 sectors
 * at a time past the cache; FAT_FREE_UNKNOWN on a read error.
 */
function FatCountFree(vcb: usize): u32 {
  const v = changetype<VCB>(vcb);
  const CHUNK: u32 = 16;
  const buffer = ExAllocatePoolWithTag(NonPagedPool, CHUNK * SECTOR, FAT_TAG);
  if (buffer == 0) return FAT_FREE_UNKNOWN;
  const perSector: u32 = v.FatType == 32 ? SECTOR / 4 : SECTOR / 2;
  const last = v.ClusterCount + 1;
  let free: u32 = 0;
  v.NextFree = 0;
  for (let sector: u32 = 0; sector * perSector <= last; sector += CHUNK) {
    let count = CHUNK;
    if (sector + count > v.SectorsPerFat) count = v.SectorsPerFat - sector;
    if (!NT_SUCCESS(FatReadSectors(vcb, v.FatStart + sector, count, buffer))) { free = FAT_FREE_UNKNOWN; break; }
    const firstCluster = sector * perSector;
    for (let k: u32 = 0; k < count * perSector; k++) {
      const cluster = firstCluster + k;
      if (cluster < 2) continue;
      if (cluster > last) break;
      const value = v.FatType == 32 ? load<u32>(buffer + (k << 2)) & 0x0FFFFFFF : <u32>load<u16>(buffer + (k << 1));
      if (value == 0) { free++; if (v.NextFree == 0) v.NextFree = cluster; }
    }
  }
  ExFreePoolWithTag(buffer, FAT_TAG);
  if (v.NextFree == 0) v.NextFree = 2;
  return free;
}

// ---- mount ----

/**
 * Reads and checks the boot sector of the volume on `vcb.Partition` and
 * fills in the VCB. STATUS_UNRECOGNIZED_VOLUME for anything that is not a
 * FAT16 or FAT32 volume with 512-byte sectors, STATUS_FILE_CORRUPT_ERROR
 * for a BPB whose numbers do not fit the partition.
 */
export function FatMountVolume(vcb: usize, partitionSectors: u32): u32 {
  KeBenchmarkMark(0x12);                      // npm run bench: the mount, in guest instructions (to 0x13)
  const status = FatMountVolumeInner(vcb, partitionSectors);
  KeBenchmarkMark(0x13);
  return status;
}

function FatMountVolumeInner(vcb: usize, partitionSectors: u32): u32 {
  const v = changetype<VCB>(vcb);
  KeInitializeEvent(VcbLock(vcb), false, true);
  if (v.Cache == 0) {
    v.Cache = ExAllocatePoolWithTag(NonPagedPool, SIZEOF_FAT_CACHE, FAT_TAG);
    if (v.Cache == 0) return STATUS_INSUFFICIENT_RESOURCES;
    memory.fill(v.Cache, 0, SIZEOF_FAT_CACHE);
  }
  const boot = ExAllocatePoolWithTag(NonPagedPool, SECTOR, FAT_TAG);
  if (boot == 0) return STATUS_INSUFFICIENT_RESOURCES;
  let status = FatReadSectors(vcb, 0, 1, boot);
  if (NT_SUCCESS(status)) status = FatParseBootSector(vcb, boot, partitionSectors);
  ExFreePoolWithTag(boot, FAT_TAG);
  if (!NT_SUCCESS(status)) return status;
  // The free count is not read at mount (a scan of the whole FAT): the first
  // query of free space or the first allocation counts it, as NT's FAT16 does.
  v.FreeClusters = FAT_FREE_UNKNOWN;
  v.NextFree = 2;
  return STATUS_SUCCESS;
}

function FatParseBootSector(vcb: usize, b: usize, partitionSectors: u32): u32 {
  const v = changetype<VCB>(vcb);
  const bs = changetype<FAT_BOOT_SECTOR>(b);
  const jump = <u32>bs.JmpBoot0;
  if (jump != 0xEB && jump != 0xE9) return STATUS_UNRECOGNIZED_VOLUME;
  if (<u32>bs.Signature != BS_SIGNATURE) return STATUS_UNRECOGNIZED_VOLUME;
  const bytesPerSector = <u32>bs.BytsPerSec;
  const spc = <u32>bs.SecPerClus;
  const reserved = <u32>bs.RsvdSecCnt;
  const fats = <u32>bs.NumFATs;
  const rootEntries = <u32>bs.RootEntCnt;
  let total = <u32>bs.TotSec16;
  const fat16Size = <u32>bs.FATSz16;
  if (total == 0) total = bs.TotSec32;
  if (bytesPerSector != SECTOR || spc == 0 || (spc & (spc - 1)) != 0 || spc > 128) return STATUS_UNRECOGNIZED_VOLUME;
  if (reserved == 0 || fats == 0 || fats > 4) return STATUS_UNRECOGNIZED_VOLUME;
  const fatSize = fat16Size != 0 ? fat16Size : bs.FATSz32;
  if (fatSize == 0) return STATUS_UNRECOGNIZED_VOLUME;
  if (total > partitionSectors) return STATUS_FILE_CORRUPT_ERROR;
  const rootSectors = (rootEntries * FAT_DIRENT_SIZE + SECTOR - 1) / SECTOR;
  const meta = <u64>reserved + <u64>fats * <u64>fatSize + <u64>rootSectors;
  if (meta >= <u64>total) return STATUS_FILE_CORRUPT_ERROR;
  const clusters = (total - <u32>meta) / spc;
  if (clusters < 4085) return STATUS_UNRECOGNIZED_VOLUME; // FAT12: not served
  const fat32 = clusters >= 65525;
  if (fat32 != (fat16Size == 0) || (fat32 && rootEntries != 0)) return STATUS_FILE_CORRUPT_ERROR;
  // The FAT must be big enough for every cluster.
  if (<u64>fatSize * SECTOR < <u64>(clusters + 2) * (fat32 ? 4 : 2)) return STATUS_FILE_CORRUPT_ERROR;
  v.FatType = fat32 ? 32 : 16;
  v.SectorsPerCluster = spc;
  v.ClusterBytes = spc * SECTOR;
  v.FatStart = reserved;
  v.NumberOfFats = fats;
  v.SectorsPerFat = fatSize;
  v.RootEntries = rootEntries;
  v.RootStart = reserved + fats * fatSize;
  v.RootSectors = rootSectors;
  v.DataStart = <u32>meta;
  v.ClusterCount = clusters;
  v.TotalSectors = total;
  v.NextFree = 0;
  const ebpb: u32 = fat32 ? BS_EXTENDED_FAT32 : BS_EXTENDED_FAT16; // drive number, signature 0x29, serial, label
  if (fat32) {
    v.RootCluster = bs.RootClus;
    if (!FatIsValidCluster(vcb, v.RootCluster)) return STATUS_FILE_CORRUPT_ERROR;
    const fsInfo = <u32>bs.FSInfo;
    v.FsInfoSector = fsInfo != 0 && fsInfo != 0xFFFF && fsInfo < reserved ? fsInfo : 0;
  }
  if (<u32>load<u8>(b + ebpb + BS_BOOT_SIG) == BS_BOOT_SIG_VALUE) {
    v.SerialNumber = load<u32>(b + ebpb + BS_VOL_ID);
    memory.copy(VcbLabel(vcb), b + ebpb + BS_VOL_LAB, 11);
  } else {
    memory.fill(VcbLabel(vcb), 0x20, 11);
  }
  return STATUS_SUCCESS;
}

// ---- time ----
//
// FAT keeps local date and time (2-second steps); this kernel's clock is
// UTC and so is what it writes. NT time: 100 ns units since 1601-01-01.

/** Days from 1601-01-01 to 1980-01-01. */
const DAYS_1601_TO_1980: u64 = 138426;

/** NT time of a FAT date and time (0 when the date is 0: never set). */
export function FatToNtTime(date: u32, time: u32): u64 {
  if (date == 0) return 0;
  const y = <i32>((date >> 9) + 1980), m = <i32>((date >> 5) & 15), d = <i32>(date & 31);
  const days = RtlDaysFromCivil(y, m < 1 ? 1 : m, d < 1 ? 1 : d) - RtlDaysFromCivil(1980, 1, 1);
  const seconds = <u64>((time >> 11) * 3600 + ((time >> 5) & 63) * 60 + (time & 31) * 2);
  return ((<u64>days + DAYS_1601_TO_1980) * 86400 + seconds) * TICKS_PER_SECOND;
}

/** FAT (date << 16 | time) of an NT time; clamped to 1980..2107. */
export function NtToFatDateTime(ntTime: u64): u32 {
  const base = DAYS_1601_TO_1980 * 86400 * TICKS_PER_SECOND;
  if (ntTime < base) return (0 << 25 | 1 << 21 | 1 << 16);
  const total = (ntTime - base) / TICKS_PER_SECOND;
  let days = <i32>(total / 86400);
  const secs = <u32>(total % 86400);
  const civil = RtlCivilFromDays(days + RtlDaysFromCivil(1980, 1, 1));
  const y = <i32>(civil >> 16), m = (civil >> 8) & 0xFF, d = civil & 0xFF;
  if (y > 2107) return (127 << 25) | (12 << 21) | (31 << 16) | (23 << 11) | (59 << 5) | 29;
  const date = (<u32>(y - 1980) << 9) | (<u32>m << 5) | <u32>d;
  const time = ((secs / 3600) << 11) | (((secs / 60) % 60) << 5) | ((secs % 60) >> 1);
  return (date << 16) | time;
}

/** Now, as FAT (date << 16 | time). */
export function FatNow(): u32 { return NtToFatDateTime(KeQuerySystemTime()); }
