// The FAT file system driver: file data. A file's cluster chain (walked
// with a remembered last stop, grown in one contiguous run where the volume
// has one, cut), moving bytes between a caller's buffer and the disk, file
// sizes, and IRP_MJ_READ / IRP_MJ_WRITE.
//
// Data goes straight between the caller's buffer and the disk (whole
// sectors; a partial sector through a bounce buffer from pool); the entry's
// size is written after the data, so a power cut keeps the old size. An
// append's FAT sector and entry are deferred (fatvol.ts, "deferred
// metadata"): written after the data, at the next request that is not a read
// or write (flush, cleanup, close, ...) or when the volume has been quiet.

import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { FILE_OBJECT, IRP, IRP_MJ_READ, IRP_PAGING_IO } from "../io/iop";
import {
  FAT_EOC, FAT_TAG, FatAcquireVolumeForData, FatAllocateCluster, FatDeferEntry, FatAllocateRun, FatCacheReadStatus, FatClusterSector, FatFindFreeClusters, FatFreeClusters,
  FatFreeChain, FatGetEntry, FatIsValidCluster, FatReadSectors, FatReleaseVolume, FatSetEntry, FatWriteSectors, SECTOR, VCB,
} from "./fatvol";
import { ClustersFor, FCB, FatUpdateEntry, TOUCH_WRITE, VcbOf } from "./fatfcb";
import { ATTR_ARCHIVE } from "../sdk/fat";
import {
  NT_SUCCESS, STATUS_DISK_FULL, STATUS_END_OF_FILE, STATUS_FILE_CORRUPT_ERROR, STATUS_INSUFFICIENT_RESOURCES,
  STATUS_INVALID_DEVICE_REQUEST, STATUS_SUCCESS,
} from "../sdk/ntstatus";

// ---- cluster chains of files ----

/** The `index`th cluster of the file, 0 past its chain (a read error is 0 too). */
function FatClusterAt(vcb: usize, f: usize, index: u32): u32 {
  const fcb = changetype<FCB>(f);
  let cluster = fcb.FirstCluster, at: u32 = 0;
  if (fcb.LastCluster != 0 && fcb.LastIndex <= index) { cluster = fcb.LastCluster; at = fcb.LastIndex; }
  while (at < index) {
    if (!FatIsValidCluster(vcb, cluster)) return 0;
    const next = FatGetEntry(vcb, cluster);
    if (next == 0xFFFFFFFF || next >= FAT_EOC || !FatIsValidCluster(vcb, next)) return 0;
    cluster = next;
    at++;
  }
  if (!FatIsValidCluster(vcb, cluster)) return 0;
  fcb.LastIndex = at;
  fcb.LastCluster = cluster;
  return cluster;
}

/** Is the file's chain one run of consecutive clusters from FirstCluster (under the volume lock)? */
export function FatIsOneRun(vcb: usize, f: usize): bool {
  const fcb = changetype<FCB>(f);
  let cluster = fcb.FirstCluster;
  if (!FatIsValidCluster(vcb, cluster)) return false;
  const count = ClustersFor(vcb, <u64>fcb.FileSize);
  for (let n: u32 = 1; n < count; n++) {
    const next = FatGetEntry(vcb, cluster);
    if (next != cluster + 1) return false;
    cluster = next;
  }
  return true;
}

/** Makes the file's chain at least `count` clusters long. */
export function FatEnsureClusters(vcb: usize, f: usize, count: u32, defer: bool): u32 {
  const fcb = changetype<FCB>(f);
  if (count == 0) return STATUS_SUCCESS;
  const slot = ExAllocatePoolWithTag(NonPagedPool, 4, FAT_TAG);
  if (slot == 0) return STATUS_INSUFFICIENT_RESOURCES;
  let status = STATUS_SUCCESS;
  let have: u32 = 0, last: u32 = 0;
  if (fcb.FirstCluster != 0) {
    last = fcb.FirstCluster; have = 1;
    // From the last position looked up (FatClusterAt's), not the chain's start: appending writes stay linear.
    if (fcb.LastCluster != 0 && FatIsValidCluster(vcb, fcb.LastCluster)) { last = fcb.LastCluster; have = fcb.LastIndex + 1; }
    while (true) {
      const next = FatGetEntry(vcb, last);
      if (next == 0xFFFFFFFF) { status = FatCacheReadStatus(vcb); break; }
      if (next >= FAT_EOC || !FatIsValidCluster(vcb, next)) break;
      last = next; have++;
      if (have > changetype<VCB>(vcb).ClusterCount) { status = STATUS_FILE_CORRUPT_ERROR; break; }
    }
  }
  // Not enough free clusters: refused before any is taken (as NT's FAT does).
  // (`have` may already be `count` or more: then nothing is needed, and count - have must not wrap.)
  if (NT_SUCCESS(status) && have < count && count - have > FatFreeClusters(vcb)) status = STATUS_DISK_FULL;
  // More than one cluster: one contiguous run if the volume has one, right
  // after the chain's end if that is free, else the first that fits.
  if (NT_SUCCESS(status) && have < count && count - have > 1) {
    const need = count - have;
    let first = FatFindFreeClusters(vcb, need, last != 0 ? last + 1 : changetype<VCB>(vcb).NextFree);
    if (first != 0) {
      status = FatAllocateRun(vcb, last, first, need, defer);
      if (NT_SUCCESS(status)) {
        if (fcb.FirstCluster == 0) fcb.FirstCluster = first;
        have = count;
      }
    }
  }
  while (NT_SUCCESS(status) && have < count) {
    status = FatAllocateCluster(vcb, last, slot);
    if (!NT_SUCCESS(status)) break;
    last = load<u32>(slot);
    if (fcb.FirstCluster == 0) fcb.FirstCluster = last;
    have++;
  }
  ExFreePoolWithTag(slot, FAT_TAG);
  return status;
}

/** Cuts the file's chain to `count` clusters (0: none), freeing the rest. The entry is updated by the caller first. */
function FatTruncateChain(vcb: usize, f: usize, count: u32, oldFirst: u32): u32 {
  const fcb = changetype<FCB>(f);
  fcb.LastCluster = 0; fcb.LastIndex = 0;
  if (count == 0) return FatFreeChain(vcb, oldFirst);
  const last = FatClusterAt(vcb, f, count - 1);
  if (last == 0) return STATUS_SUCCESS;
  const next = FatGetEntry(vcb, last);
  if (next == 0xFFFFFFFF) return FatCacheReadStatus(vcb);
  if (next >= FAT_EOC || !FatIsValidCluster(vcb, next)) return STATUS_SUCCESS;
  const status = FatSetEntry(vcb, last, 0x0FFFFFFF);
  if (!NT_SUCCESS(status)) return status;
  return FatFreeChain(vcb, next);
}


// ---- data ----

/** Moves bytes between `buffer` and the file at `offset` (within the allocated chain). */
function FatTransfer(vcb: usize, f: usize, write: bool, offset: u32, buffer: usize, length: u32): u32 {
  const v = changetype<VCB>(vcb);
  let bounce: usize = 0;
  let done: u32 = 0;
  let status = STATUS_SUCCESS;
  while (done < length) {
    const pos = offset + done;
    const cluster = FatClusterAt(vcb, f, pos / v.ClusterBytes);
    if (cluster == 0) { status = STATUS_FILE_CORRUPT_ERROR; break; }
    const inCluster = pos % v.ClusterBytes;
    const sector = FatClusterSector(vcb, cluster) + inCluster / SECTOR;
    const inSector = inCluster % SECTOR;
    const left = length - done;
    if (inSector == 0 && left >= SECTOR) {
      let count = left / SECTOR;
      let sectorsLeft = v.SectorsPerCluster - inCluster / SECTOR;
      // Clusters that follow on the disk go in the same request (one command, up to 256 sectors).
      const index = pos / v.ClusterBytes;
      for (let k: u32 = 1; count > sectorsLeft && sectorsLeft + v.SectorsPerCluster <= 256; k++) {
        if (FatClusterAt(vcb, f, index + k) != cluster + k) break;
        sectorsLeft += v.SectorsPerCluster;
      }
      if (count > sectorsLeft) count = sectorsLeft;
      status = write ? FatWriteSectors(vcb, sector, count, buffer + done) : FatReadSectors(vcb, sector, count, buffer + done);
      if (!NT_SUCCESS(status)) break;
      done += count * SECTOR;
      continue;
    }
    if (bounce == 0) {
      bounce = ExAllocatePoolWithTag(NonPagedPool, SECTOR, FAT_TAG);
      if (bounce == 0) { status = STATUS_INSUFFICIENT_RESOURCES; break; }
    }
    let n = SECTOR - inSector;
    if (n > left) n = left;
    status = FatReadSectors(vcb, sector, 1, bounce);
    if (!NT_SUCCESS(status)) break;
    if (write) {
      memory.copy(bounce + inSector, buffer + done, n);
      status = FatWriteSectors(vcb, sector, 1, bounce);
      if (!NT_SUCCESS(status)) break;
    } else {
      memory.copy(buffer + done, bounce + inSector, n);
    }
    done += n;
  }
  if (bounce != 0) ExFreePoolWithTag(bounce, FAT_TAG);
  return status;
}

/** Writes zeros over [from, to) of the file (allocated already). */
function FatZeroRange(vcb: usize, f: usize, from: u32, to: u32): u32 {
  if (to <= from) return STATUS_SUCCESS;
  const zeros = ExAllocatePoolWithTag(NonPagedPool, 4096, FAT_TAG);
  if (zeros == 0) return STATUS_INSUFFICIENT_RESOURCES;
  let status = STATUS_SUCCESS;
  for (let at = from; at < to && NT_SUCCESS(status);) {
    const n = to - at < 4096 ? to - at : 4096;
    status = FatTransfer(vcb, f, true, at, zeros, n);
    at += n;
  }
  ExFreePoolWithTag(zeros, FAT_TAG);
  return status;
}

/** Sets the file's size: a shorter file frees clusters (entry first), a longer one gets zeroed clusters. */
export function FatSetFileSize(vcb: usize, f: usize, size: u64, keepAllocation: bool): u32 {
  const fcb = changetype<FCB>(f);
  if (size > 0xFFFFFFFF) return STATUS_DISK_FULL;
  const newSize = <u32>size;
  if (newSize < fcb.FileSize) {
    const keep = ClustersFor(vcb, size);
    const oldFirst = fcb.FirstCluster;
    fcb.FileSize = newSize;
    if (keep == 0 && !keepAllocation) fcb.FirstCluster = 0;
    let status = FatUpdateEntry(vcb, f, TOUCH_WRITE);
    if (!NT_SUCCESS(status) || keepAllocation) return status;
    return FatTruncateChain(vcb, f, keep, oldFirst);
  }
  if (newSize > fcb.FileSize) {
    let status = FatEnsureClusters(vcb, f, ClustersFor(vcb, size), false);
    if (!NT_SUCCESS(status)) return status;
    status = FatZeroRange(vcb, f, fcb.FileSize, newSize);
    if (!NT_SUCCESS(status)) return status;
    fcb.FileSize = newSize;
    return FatUpdateEntry(vcb, f, TOUCH_WRITE);
  }
  return STATUS_SUCCESS;
}


// ---- read and write ----

/**
 * Paging I/O (IRP_PAGING_IO) on the paging file: whole sectors inside the
 * file's size, its size and entry never changed. A file in one run (every
 * paging file the volume had room for) maps an offset to a sector with no
 * chain walk and no lock, as NT's FAT maps paging I/O through the file's
 * fixed allocation: the modified page writer and a faulting thread never wait
 * for a caller of the file system. Otherwise the chain is walked under the lock.
 */
function FatPagingIo(vcb: usize, irp: usize): u32 {
  const i = changetype<IRP>(irp);
  const f = changetype<FILE_OBJECT>(i.FileObject).FsContext;
  const fcb = changetype<FCB>(f);
  const write = i.MajorFunction != IRP_MJ_READ;
  if (i.ByteOffsetHigh != 0 || (i.ByteOffsetLow & (SECTOR - 1)) != 0 || (i.Length & (SECTOR - 1)) != 0) return STATUS_INVALID_DEVICE_REQUEST;
  if (<u64>i.ByteOffsetLow + <u64>i.Length > <u64>fcb.FileSize) return STATUS_END_OF_FILE;
  let status: u32;
  if (fcb.PagingRun != 0) {
    const sector = FatClusterSector(vcb, fcb.FirstCluster) + i.ByteOffsetLow / SECTOR;
    const count = i.Length / SECTOR;
    status = write ? FatWriteSectors(vcb, sector, count, i.Buffer) : FatReadSectors(vcb, sector, count, i.Buffer);
  } else {
    FatAcquireVolumeForData(vcb);
    status = FatTransfer(vcb, f, write, i.ByteOffsetLow, i.Buffer, i.Length);
    FatReleaseVolume(vcb);
  }
  if (NT_SUCCESS(status)) i.Information = i.Length;
  return status;
}

export function FatReadWrite(device: usize, irp: usize): u32 {
  const vcb = VcbOf(device);
  const i = changetype<IRP>(irp);
  const file = changetype<FILE_OBJECT>(i.FileObject);
  const f = file.FsContext;
  i.Information = 0;
  if (f == 0) return STATUS_INVALID_DEVICE_REQUEST; // an open without the file system's context
  const fcb = changetype<FCB>(f);
  if (fcb.IsDirectory != 0) return STATUS_INVALID_DEVICE_REQUEST;
  if ((i.P1 & IRP_PAGING_IO) != 0) return FatPagingIo(vcb, irp);
  FatAcquireVolumeForData(vcb); // an earlier append's deferred metadata may stay deferred
  let status = STATUS_SUCCESS;
  if (i.MajorFunction == IRP_MJ_READ) {
    const offset = (<u64>i.ByteOffsetHigh << 32) | <u64>i.ByteOffsetLow;
    if (offset >= <u64>fcb.FileSize) status = i.Length == 0 && offset == <u64>fcb.FileSize ? STATUS_SUCCESS : STATUS_END_OF_FILE;
    else {
      let n = i.Length;
      if (<u64>n > <u64>fcb.FileSize - offset) n = fcb.FileSize - <u32>offset;
      status = FatTransfer(vcb, f, false, <u32>offset, i.Buffer, n);
      if (NT_SUCCESS(status)) i.Information = n;
    }
  } else if (fcb.Gone != 0) {
    status = STATUS_FILE_CORRUPT_ERROR;
  } else {
    let offset = (<u64>i.ByteOffsetHigh << 32) | <u64>i.ByteOffsetLow;
    if (offset == 0xFFFFFFFFFFFFFFFF) offset = <u64>fcb.FileSize; // at the end
    const end = offset + <u64>i.Length;
    if (end > 0xFFFFFFFF) status = STATUS_DISK_FULL;
    else if (i.Length != 0) {
      status = FatEnsureClusters(vcb, f, ClustersFor(vcb, end), true);
      if (NT_SUCCESS(status) && offset > <u64>fcb.FileSize) status = FatZeroRange(vcb, f, fcb.FileSize, <u32>offset);
      if (NT_SUCCESS(status)) status = FatTransfer(vcb, f, true, <u32>offset, i.Buffer, i.Length);
      if (NT_SUCCESS(status)) {
        if (<u32>end > fcb.FileSize) fcb.FileSize = <u32>end;
        fcb.Attributes |= ATTR_ARCHIVE;
        status = FatDeferEntry(vcb, f); // after the data and the FAT (FatFlushPending): a cut keeps the old size
        if (NT_SUCCESS(status)) i.Information = i.Length;
      }
    }
    if (NT_SUCCESS(status)) {
      // The file position after an append is its end.
      file.CurrentByteOffsetLow = <u32>end; file.CurrentByteOffsetHigh = <u32>(end >> 32);
    }
  }
  FatReleaseVolume(vcb);
  return status;
}
