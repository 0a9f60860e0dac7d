// The FAT file system driver, part 3: files. The driver's dispatch routines
// (\FileSystem\Fastfat), the per-file FCB and per-open CCB, and mounting;
// directory listing and volume queries are in fatquery.ts.
//
// One FCB per open file or directory (found again by the place of its short
// entry), shared by its opens: size, first cluster, attributes, share
// access counts, delete-pending. One CCB per open: what it counted in the
// share access, and its directory enumeration. Every request holds the
// volume's mutex for its whole length.
//
// NT semantics kept: dispositions (SUPERSEDE, OPEN, CREATE, OPEN_IF,
// OVERWRITE, OVERWRITE_IF) and their results; FILE_DIRECTORY_FILE /
// FILE_NON_DIRECTORY_FILE (STATUS_NOT_A_DIRECTORY, STATUS_FILE_IS_A_DIRECTORY);
// read-only files refuse write access, overwrite and delete
// (STATUS_ACCESS_DENIED, STATUS_CANNOT_DELETE); share access
// (STATUS_SHARING_VIOLATION); delete on close and
// FileDispositionInformation (the file goes when its last open is cleaned
// up; a non-empty directory is STATUS_DIRECTORY_NOT_EMPTY); renames with and
// without ReplaceIfExists.

import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { KeLogBegin, KeLogDecimal, KeLogEnd, KeLogString, KeLogCharacter, KeLogHex } from "../ke/log";
import { DELETE } from "../ob/obp";
import { IoCreateDevice, IoCreateDriver, IoSetMajorFunction } from "../io/iomgr";
import { DISK_EXTENSION } from "../io/disk";
import {
  DEVICE_OBJECT, FILE_APPEND_DATA, FILE_ATTRIBUTE_DIRECTORY, FILE_ATTRIBUTE_NORMAL, FILE_ATTRIBUTE_READONLY,
  FILE_ATTRIBUTE_VALID_SET_FLAGS, FILE_CREATE, FILE_CREATED, FILE_DELETE_ON_CLOSE, FILE_DEVICE_DISK_FILE_SYSTEM,
  FILE_DIRECTORY_FILE, FILE_EXECUTE, FILE_NON_DIRECTORY_FILE, FILE_OBJECT, FILE_OPEN, FILE_OPEN_IF, FILE_OPENED,
  FILE_OVERWRITE, FILE_OVERWRITE_IF, FILE_OVERWRITTEN, FILE_READ_DATA, FILE_SHARE_DELETE, FILE_SHARE_READ,
  FILE_SHARE_WRITE, FILE_SUPERSEDE, FILE_SUPERSEDED, FILE_WRITE_DATA, FileAllInformation, FileAllocationInformation,
  FileAttributeTagInformation, FileBasicInformation, FileDispositionInformation, FileEndOfFileInformation,
  FileInternalInformation, FileNameInformation, FileNetworkOpenInformation, FileRenameInformation,
  FileStandardInformation, FO_DELETE_ON_CLOSE, IRP, IRP_MJ_CLEANUP, IRP_MJ_CLOSE, IRP_MJ_CREATE,
  IRP_MJ_DIRECTORY_CONTROL, IRP_MJ_FILE_SYSTEM_CONTROL, IRP_MJ_FLUSH_BUFFERS, IRP_MJ_QUERY_INFORMATION, IRP_MJ_QUERY_VOLUME_INFORMATION,
  IRP_MJ_READ, IRP_MJ_SET_INFORMATION, IRP_MJ_WRITE, IO_PAGING_FILE,
} from "../io/iop";
import {
  FAT_EOC, FAT_TAG, FatAcquireVolume, FatAllocateCluster, FatFreeClusters, FatAllocateRun, FatFindFreeClusters, FatCacheRead, FatCacheWrite, FatClusterSector,
  FatFreeChain, FatGetEntry, FatIsValidCluster, FatLastStatus, FatMountVolume, FatNow, FatReadSectors,
  FatReleaseVolume, FatSetEntry, FatToNtTime, FatWriteSectors, FatZeroCluster, NtToFatDateTime, SECTOR, SIZEOF_VCB,
  VCB, VcbLabel,
} from "./fatvol";
import {
  DIRSCAN, DIR_ERROR, END_OF_DIRECTORY, EntryCluster, FatBuildEntries, FatEqualNames, FatFindFreeRun, FatFreeScan, FatIsDirectoryEmpty, FatIsValidName, FatLookup, FatMarkDeleted, FatNewScan, FatScanStatus, FatSectorOfEntry, FatWriteEntries, ScanEntry, SetEntryCluster,
} from "./fatdir";
import { FatFileSystemControl, FatFlush, FatQueryDirectory, FatQueryVolume } from "./fatquery";
import { FAT_DIRENT } from "../sdk/fat";
import { FatMountDirtyState, FatStartCleaner } from "./fatdirty";
import {
  NT_SUCCESS, STATUS_ACCESS_DENIED, STATUS_BUFFER_OVERFLOW, STATUS_CANNOT_DELETE,
  STATUS_DELETE_PENDING, STATUS_DIRECTORY_NOT_EMPTY, STATUS_DISK_FULL, STATUS_END_OF_FILE,
  STATUS_FILE_CORRUPT_ERROR, STATUS_FILE_IS_A_DIRECTORY, STATUS_INSUFFICIENT_RESOURCES,
  STATUS_INVALID_DEVICE_REQUEST, STATUS_INVALID_INFO_CLASS, STATUS_INVALID_PARAMETER,
  STATUS_NOT_A_DIRECTORY, STATUS_OBJECT_NAME_COLLISION, STATUS_OBJECT_NAME_INVALID,
  STATUS_OBJECT_NAME_NOT_FOUND, STATUS_OBJECT_PATH_NOT_FOUND, STATUS_SHARING_VIOLATION,
  STATUS_SUCCESS,
} from "../sdk/ntstatus";
import { ATTR_ARCHIVE, ATTR_DIRECTORY, ATTR_READ_ONLY } from "../sdk/fat";

// ---- FCB and CCB ----

@unmanaged export class FCB {
  Next: usize;
  References: u32;       // CCBs pointing here
  FirstCluster: u32;
  FileSize: u32;
  Attributes: u32;
  Directory: u32;        // the parent directory's first cluster; ROOT_PARENT for the root
  EntryIndex: u32;       // its short entry in the parent
  FirstIndex: u32;       // its first long entry (= EntryIndex without one)
  IsDirectory: u32;
  DeletePending: u32;
  OpenCount: u32;        // opens counted in the share access
  Readers: u32; Writers: u32; Deleters: u32;
  SharedRead: u32; SharedWrite: u32; SharedDelete: u32;
  PathLength: u32;       // bytes of the path on the volume
  Path: usize;           // pool
  LastIndex: u32;        // the chain walk's last stop
  LastCluster: u32;
  Gone: u32;             // deleted from the disk: its entry is no more
}
const SIZEOF_FCB: u32 = 88;
const ROOT_PARENT: u32 = 0xFFFFFFFF;

@unmanaged export class CCB {
  Counted: u32;          // 1: this open is in the FCB's share counts
  Read: u32; Write: u32; Delete: u32;
  ShareRead: u32; ShareWrite: u32; ShareDelete: u32;
  EnumIndex: u32;        // the next directory entry to look at
  EnumStarted: u32;
  EnumFound: u32;
  Pattern: usize;        // pool: UTF-16, PatternLength characters
  PatternLength: u32;
}
const SIZEOF_CCB: u32 = 48;

@inline export function VcbOf(device: usize): usize { return changetype<DEVICE_OBJECT>(device).DeviceExtension; }

function FatRootCluster(vcb: usize): u32 { return changetype<VCB>(vcb).FatType == 32 ? changetype<VCB>(vcb).RootCluster : 0; }

/** The FCB of the entry at (directory, index), opened or not; `make` creates one from the scan when missing. */
function FatFindFcb(vcb: usize, directory: u32, index: u32): usize {
  let f = changetype<VCB>(vcb).FcbList;
  while (f != 0) {
    const fcb = changetype<FCB>(f);
    if (fcb.Gone == 0 && fcb.Directory == directory && fcb.EntryIndex == index) return f;
    f = fcb.Next;
  }
  return 0;
}

function FatNewFcb(vcb: usize, path: usize, pathLength: u32): usize {
  const f = ExAllocatePoolWithTag(NonPagedPool, SIZEOF_FCB, 0x46746146); // 'FatF'
  if (f == 0) return 0;
  const fcb = changetype<FCB>(f);
  if (pathLength != 0) {
    fcb.Path = ExAllocatePoolWithTag(NonPagedPool, pathLength + 2, 0x46746146);
    if (fcb.Path == 0) { ExFreePoolWithTag(f, 0x46746146); return 0; }
    memory.copy(fcb.Path, path, pathLength);
  }
  fcb.PathLength = pathLength;
  fcb.Next = changetype<VCB>(vcb).FcbList;
  changetype<VCB>(vcb).FcbList = f;
  return f;
}

function FatReleaseFcb(vcb: usize, f: usize): void {
  const fcb = changetype<FCB>(f);
  if (--fcb.References != 0) return;
  let p = vcb + 72; // &VCB.FcbList
  while (load<usize>(p) != 0 && load<usize>(p) != f) p = load<usize>(p); // FCB.Next is at +0
  if (load<usize>(p) == f) store<usize>(p, fcb.Next);
  if (fcb.Path != 0) ExFreePoolWithTag(fcb.Path, 0x46746146);
  ExFreePoolWithTag(f, 0x46746146);
}

/** Fills a new FCB from the scan's found entry. */
function FatFcbFromScan(f: usize, vcb: usize, scan: usize): void {
  const fcb = changetype<FCB>(f);
  const s = changetype<DIRSCAN>(scan);
  const e = ScanEntry(scan);
  fcb.Directory = s.Directory;
  fcb.EntryIndex = s.ShortIndex;
  fcb.FirstIndex = s.FirstIndex;
  fcb.FirstCluster = EntryCluster(vcb, e);
  fcb.FileSize = changetype<FAT_DIRENT>(e).FileSize;
  fcb.Attributes = <u32>changetype<FAT_DIRENT>(e).Attr;
  fcb.IsDirectory = (fcb.Attributes & ATTR_DIRECTORY) != 0 ? 1 : 0;
  if (fcb.IsDirectory != 0) fcb.FileSize = 0;
}

/** Reads the short entry of an FCB into `out` (32 bytes). */
function FatReadFcbEntry(vcb: usize, f: usize, out: usize): u32 {
  const fcb = changetype<FCB>(f);
  if (fcb.Directory == ROOT_PARENT) { memory.fill(out, 0, 32); changetype<FAT_DIRENT>(out).Attr = <u8>ATTR_DIRECTORY; return STATUS_SUCCESS; }
  const sector = FatSectorOfEntry(vcb, fcb.Directory, fcb.EntryIndex);
  if (sector >= DIR_ERROR) return STATUS_FILE_CORRUPT_ERROR;
  const data = FatCacheRead(vcb, sector);
  if (data == 0) return FatLastStatus;
  memory.copy(out, data + ((fcb.EntryIndex & 15) << 5), 32);
  return STATUS_SUCCESS;
}

const TOUCH_WRITE: u32 = 1;
/** Writes an FCB's size, first cluster and attributes (and with TOUCH_WRITE the write time) to its short entry. */
function FatUpdateEntry(vcb: usize, f: usize, touch: u32): u32 {
  const fcb = changetype<FCB>(f);
  if (fcb.Directory == ROOT_PARENT || fcb.Gone != 0) return STATUS_SUCCESS;
  const sector = FatSectorOfEntry(vcb, fcb.Directory, fcb.EntryIndex);
  if (sector >= DIR_ERROR) return STATUS_FILE_CORRUPT_ERROR;
  const data = FatCacheRead(vcb, sector);
  if (data == 0) return FatLastStatus;
  const e = data + ((fcb.EntryIndex & 15) << 5);
  SetEntryCluster(e, fcb.FirstCluster);
  changetype<FAT_DIRENT>(e).FileSize = fcb.IsDirectory != 0 ? 0 : fcb.FileSize;
  changetype<FAT_DIRENT>(e).Attr = <u8>fcb.Attributes;
  if ((touch & TOUCH_WRITE) != 0) {
    const now = FatNow();
    changetype<FAT_DIRENT>(e).WrtTime = <u16>now;
    changetype<FAT_DIRENT>(e).WrtDate = <u16>(now >> 16);
    changetype<FAT_DIRENT>(e).LstAccDate = <u16>(now >> 16);
  }
  return FatCacheWrite(vcb, sector, data);
}

// ---- cluster chains of files ----

/** The `index`th cluster of the file, 0 past its chain (FatLastStatus on errors is not separate: 0). */
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

/** Makes the file's chain at least `count` clusters long. */
function FatEnsureClusters(vcb: usize, f: usize, count: u32): u32 {
  const fcb = changetype<FCB>(f);
  if (count == 0) return STATUS_SUCCESS;
  const slot = ExAllocatePoolWithTag(NonPagedPool, 4, FAT_TAG);
  if (slot == 0) return STATUS_INSUFFICIENT_RESOURCES;
  let status = STATUS_SUCCESS;
  let have: u32 = 0, last: u32 = 0;
  if (fcb.FirstCluster != 0) {
    last = fcb.FirstCluster; have = 1;
    while (true) {
      const next = FatGetEntry(vcb, last);
      if (next == 0xFFFFFFFF) { status = FatLastStatus; break; }
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
      status = FatAllocateRun(vcb, last, first, need);
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
  if (next == 0xFFFFFFFF) return FatLastStatus;
  if (next >= FAT_EOC || !FatIsValidCluster(vcb, next)) return STATUS_SUCCESS;
  const status = FatSetEntry(vcb, last, 0x0FFFFFFF);
  if (!NT_SUCCESS(status)) return status;
  return FatFreeChain(vcb, next);
}

@inline export function ClustersFor(vcb: usize, bytes: u64): u32 {
  const cb = <u64>changetype<VCB>(vcb).ClusterBytes;
  return <u32>((bytes + cb - 1) / cb);
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
      const sectorsLeft = v.SectorsPerCluster - inCluster / SECTOR;
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
function FatSetFileSize(vcb: usize, f: usize, size: u64, keepAllocation: bool): u32 {
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
    let status = FatEnsureClusters(vcb, f, ClustersFor(vcb, size));
    if (!NT_SUCCESS(status)) return status;
    status = FatZeroRange(vcb, f, fcb.FileSize, newSize);
    if (!NT_SUCCESS(status)) return status;
    fcb.FileSize = newSize;
    return FatUpdateEntry(vcb, f, TOUCH_WRITE);
  }
  return STATUS_SUCCESS;
}

// ---- create ----

/** Splits the next component off `path` at `at` (bytes); returns its length in characters, with its start at `start`. */
function NextComponent(path: usize, length: u32, at: u32, start: usize): u32 {
  let p = at;
  if (p < length && load<u16>(path + p) == 0x5C) p += 2;
  store<u32>(start, p);
  let n: u32 = 0;
  while (p + (n << 1) < length && load<u16>(path + p + (n << 1)) != 0x5C) n++;
  return n;
}

function FatCheckShareAccess(f: usize, c: usize, access: u32, share: u32): u32 {
  const fcb = changetype<FCB>(f);
  const ccb = changetype<CCB>(c);
  const read = (access & (FILE_READ_DATA | FILE_EXECUTE)) != 0;
  const write = (access & (FILE_WRITE_DATA | FILE_APPEND_DATA)) != 0;
  const del = (access & DELETE) != 0;
  if (!read && !write && !del) return STATUS_SUCCESS; // attribute-only opens are not counted
  const sr = (share & FILE_SHARE_READ) != 0, sw = (share & FILE_SHARE_WRITE) != 0, sd = (share & FILE_SHARE_DELETE) != 0;
  if ((read && fcb.SharedRead < fcb.OpenCount) || (write && fcb.SharedWrite < fcb.OpenCount)
      || (del && fcb.SharedDelete < fcb.OpenCount) || (fcb.Readers != 0 && !sr) || (fcb.Writers != 0 && !sw)
      || (fcb.Deleters != 0 && !sd)) {
    return STATUS_SHARING_VIOLATION;
  }
  fcb.OpenCount++;
  if (read) fcb.Readers++;
  if (write) fcb.Writers++;
  if (del) fcb.Deleters++;
  if (sr) fcb.SharedRead++;
  if (sw) fcb.SharedWrite++;
  if (sd) fcb.SharedDelete++;
  ccb.Counted = 1;
  ccb.Read = read ? 1 : 0; ccb.Write = write ? 1 : 0; ccb.Delete = del ? 1 : 0;
  ccb.ShareRead = sr ? 1 : 0; ccb.ShareWrite = sw ? 1 : 0; ccb.ShareDelete = sd ? 1 : 0;
  return STATUS_SUCCESS;
}

function FatUncount(f: usize, c: usize): void {
  const fcb = changetype<FCB>(f);
  const ccb = changetype<CCB>(c);
  if (ccb.Counted == 0) return;
  ccb.Counted = 0;
  fcb.OpenCount--;
  fcb.Readers -= ccb.Read; fcb.Writers -= ccb.Write; fcb.Deleters -= ccb.Delete;
  fcb.SharedRead -= ccb.ShareRead; fcb.SharedWrite -= ccb.ShareWrite; fcb.SharedDelete -= ccb.ShareDelete;
}

/** Creates a new entry `name` in `directory` for a file or directory; the scan gets the found fields of it. */
function FatCreateEntry(vcb: usize, directory: u32, name: usize, length: u32, attributes: u32, isDirectory: bool, scan: usize): u32 {
  const entries = ExAllocatePoolWithTag(NonPagedPool, 768, FAT_TAG);
  if (entries == 0) return STATUS_INSUFFICIENT_RESOURCES;
  let status = STATUS_SUCCESS;
  const count = FatBuildEntries(vcb, directory, name, length, entries, END_OF_DIRECTORY);
  if (count == 0) status = FatScanStatus != STATUS_SUCCESS ? FatScanStatus : STATUS_OBJECT_NAME_COLLISION;
  let cluster: u32 = 0;
  const slot = entries + 760;
  if (NT_SUCCESS(status) && isDirectory) {
    // The new directory's cluster with "." and "..", written before any entry names it.
    status = FatAllocateCluster(vcb, 0, slot);
    if (NT_SUCCESS(status)) {
      cluster = load<u32>(slot);
      status = FatZeroCluster(vcb, cluster);
    }
    if (NT_SUCCESS(status)) {
      const data = FatCacheRead(vcb, FatClusterSector(vcb, cluster));
      if (data == 0) status = FatLastStatus;
      else {
        const now = FatNow();
        for (let k: u32 = 0; k < 2; k++) {
          const e = data + (k << 5);
          memory.fill(e, 0x20, 11);
          store<u8>(e, 0x2E);
          if (k == 1) store<u8>(e, 0x2E, 1);
          changetype<FAT_DIRENT>(e).Attr = <u8>ATTR_DIRECTORY;
          SetEntryCluster(e, k == 0 ? cluster : (directory == FatRootCluster(vcb) ? 0 : directory));
          changetype<FAT_DIRENT>(e).CrtTime = <u16>now; changetype<FAT_DIRENT>(e).CrtDate = <u16>(now >> 16);
          changetype<FAT_DIRENT>(e).WrtTime = <u16>now; changetype<FAT_DIRENT>(e).WrtDate = <u16>(now >> 16); changetype<FAT_DIRENT>(e).LstAccDate = <u16>(now >> 16);
        }
        status = FatCacheWrite(vcb, FatClusterSector(vcb, cluster), data);
      }
    }
  }
  if (NT_SUCCESS(status)) {
    const s = entries + ((count - 1) << 5);
    const now = FatNow();
    changetype<FAT_DIRENT>(s).Attr = <u8>((attributes & 0x27) | (isDirectory ? ATTR_DIRECTORY : ATTR_ARCHIVE));
    changetype<FAT_DIRENT>(s).CrtTime = <u16>now; changetype<FAT_DIRENT>(s).CrtDate = <u16>(now >> 16);
    changetype<FAT_DIRENT>(s).LstAccDate = <u16>(now >> 16);
    changetype<FAT_DIRENT>(s).WrtTime = <u16>now; changetype<FAT_DIRENT>(s).WrtDate = <u16>(now >> 16);
    SetEntryCluster(s, cluster);
    status = FatFindFreeRun(vcb, directory, count, END_OF_DIRECTORY, END_OF_DIRECTORY, slot);
    if (NT_SUCCESS(status)) {
      const first = load<u32>(slot);
      status = FatWriteEntries(vcb, directory, first, count, entries, END_OF_DIRECTORY);
      if (NT_SUCCESS(status)) {
        const sc = changetype<DIRSCAN>(scan);
        sc.Directory = directory;
        sc.ShortIndex = first + count - 1;
        sc.FirstIndex = first;
        memory.copy(ScanEntry(scan), s, 32);
      }
    }
  }
  if (!NT_SUCCESS(status) && cluster != 0) FatFreeChain(vcb, cluster);
  ExFreePoolWithTag(entries, FAT_TAG);
  return status;
}

function FatCreate(device: usize, irp: usize): u32 {
  const vcb = VcbOf(device);
  FatAcquireVolume(vcb);
  // A locked volume (FSCTL_LOCK_VOLUME, fatquery.ts) opens nothing.
  const status = changetype<VCB>(vcb).Locked != 0 ? STATUS_ACCESS_DENIED : FatCreateLocked(vcb, irp);
  FatReleaseVolume(vcb);
  return status;
}

function FatCreateLocked(vcb: usize, irp: usize): u32 {
  const i = changetype<IRP>(irp);
  const file = changetype<FILE_OBJECT>(i.FileObject);
  const access = i.P0;
  const disposition = i.P1 >>> 24;
  const options = i.P1 & 0x00FFFFFF;
  const attributes = i.P2 & FILE_ATTRIBUTE_VALID_SET_FLAGS;
  const share = i.P3;
  const path = file.FileNameBuffer;
  let length = <u32>file.FileNameLength;
  let mustBeDirectory = (options & FILE_DIRECTORY_FILE) != 0;
  // A trailing backslash names a directory.
  if (length > 2 && load<u16>(path + length - 2) == 0x5C) { length -= 2; mustBeDirectory = true; }
  const scan = FatNewScan(FatRootCluster(vcb));
  const c = ExAllocatePoolWithTag(NonPagedPool, SIZEOF_CCB, 0x43746146); // 'FatC'
  if (scan == 0 || c == 0) {
    if (scan != 0) FatFreeScan(scan);
    if (c != 0) ExFreePoolWithTag(c, 0x43746146);
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  let status = STATUS_SUCCESS;
  let f: usize = 0;
  let result = FILE_OPENED;
  const startSlot = scan + 608; // scratch: the DIRSCAN allocation has room after its short name
  // ---- the root directory ----
  if (length <= 2) {
    if ((options & FILE_NON_DIRECTORY_FILE) != 0) status = STATUS_FILE_IS_A_DIRECTORY;
    else if (disposition != FILE_OPEN && disposition != FILE_OPEN_IF) status = disposition == FILE_CREATE ? STATUS_OBJECT_NAME_COLLISION : STATUS_ACCESS_DENIED;
    else {
      f = FatFindFcb(vcb, ROOT_PARENT, 0);
      if (f == 0) {
        f = FatNewFcb(vcb, path, 2);
        if (f == 0) status = STATUS_INSUFFICIENT_RESOURCES;
        else {
          const fcb = changetype<FCB>(f);
          fcb.Directory = ROOT_PARENT; fcb.EntryIndex = 0; fcb.FirstIndex = 0;
          fcb.FirstCluster = FatRootCluster(vcb); fcb.IsDirectory = 1; fcb.Attributes = ATTR_DIRECTORY;
        }
      }
    }
  } else {
    // ---- walk the directories ----
    let directory = FatRootCluster(vcb);
    let at: u32 = 0;
    let nameStart: u32 = 0, nameLength: u32 = 0;
    while (true) {
      nameLength = NextComponent(path, length, at, startSlot);
      nameStart = load<u32>(startSlot);
      const last = nameStart + (nameLength << 1) >= length;
      if (!FatIsValidName(path + nameStart, nameLength)) { status = last ? STATUS_OBJECT_NAME_INVALID : STATUS_OBJECT_PATH_NOT_FOUND; break; }
      if (last) break;
      changetype<DIRSCAN>(scan).Directory = directory;
      changetype<DIRSCAN>(scan).Cluster = 0;
      if (!FatLookup(vcb, scan, path + nameStart, nameLength)) {
        status = FatScanStatus != STATUS_SUCCESS ? FatScanStatus : STATUS_OBJECT_PATH_NOT_FOUND;
        break;
      }
      const e = ScanEntry(scan);
      if ((changetype<FAT_DIRENT>(e).Attr & ATTR_DIRECTORY) == 0) { status = STATUS_OBJECT_PATH_NOT_FOUND; break; }
      directory = EntryCluster(vcb, e);
      if (directory == 0) directory = FatRootCluster(vcb); // ".." of a first-level directory
      at = nameStart + (nameLength << 1);
    }
    if (NT_SUCCESS(status)) {
      changetype<DIRSCAN>(scan).Directory = directory;
      changetype<DIRSCAN>(scan).Cluster = 0;
      const exists = FatLookup(vcb, scan, path + nameStart, nameLength);
      if (!exists && FatScanStatus != STATUS_SUCCESS) status = FatScanStatus;
      else if (exists) {
        const s = changetype<DIRSCAN>(scan);
        const e = ScanEntry(scan);
        const attr = <u32>changetype<FAT_DIRENT>(e).Attr;
        const isDirectory = (attr & ATTR_DIRECTORY) != 0;
        if (disposition == FILE_CREATE) status = STATUS_OBJECT_NAME_COLLISION;
        else if (isDirectory && (options & FILE_NON_DIRECTORY_FILE) != 0) status = STATUS_FILE_IS_A_DIRECTORY;
        else if (!isDirectory && mustBeDirectory) status = STATUS_NOT_A_DIRECTORY;
        else if (isDirectory && disposition != FILE_OPEN && disposition != FILE_OPEN_IF) status = STATUS_OBJECT_NAME_COLLISION;
        else if ((attr & ATTR_READ_ONLY) != 0 && ((access & (FILE_WRITE_DATA | FILE_APPEND_DATA)) != 0
                 || disposition == FILE_OVERWRITE || disposition == FILE_OVERWRITE_IF || disposition == FILE_SUPERSEDE)) {
          status = STATUS_ACCESS_DENIED;
        } else if ((attr & ATTR_READ_ONLY) != 0 && (options & FILE_DELETE_ON_CLOSE) != 0) {
          status = STATUS_CANNOT_DELETE;
        } else {
          f = FatFindFcb(vcb, directory, s.ShortIndex);
          if (f != 0 && changetype<FCB>(f).DeletePending != 0) { status = STATUS_DELETE_PENDING; f = 0; }
          else if (f == 0) {
            f = FatNewFcb(vcb, path, length);
            if (f == 0) status = STATUS_INSUFFICIENT_RESOURCES;
            else FatFcbFromScan(f, vcb, scan);
          }
          if (NT_SUCCESS(status) && (disposition == FILE_OVERWRITE || disposition == FILE_OVERWRITE_IF || disposition == FILE_SUPERSEDE)) {
            // Share access first: an overwrite is a write.
            status = FatCheckShareAccess(f, c, access, share);
            if (NT_SUCCESS(status)) {
              const fcb = changetype<FCB>(f);
              const oldFirst = fcb.FirstCluster;
              fcb.FileSize = 0; fcb.FirstCluster = 0; fcb.LastCluster = 0;
              fcb.Attributes = (disposition == FILE_SUPERSEDE ? 0 : fcb.Attributes & ~(<u32>0x27)) | attributes | ATTR_ARCHIVE;
              status = FatUpdateEntry(vcb, f, TOUCH_WRITE);
              if (NT_SUCCESS(status)) status = FatFreeChain(vcb, oldFirst);
              if (!NT_SUCCESS(status)) FatUncount(f, c);
              result = disposition == FILE_SUPERSEDE ? FILE_SUPERSEDED : FILE_OVERWRITTEN;
            }
            if (!NT_SUCCESS(status) && changetype<FCB>(f).References == 0) { FatReleaseFcbUnused(vcb, f); f = 0; }
          }
        }
      } else if (disposition == FILE_OPEN || disposition == FILE_OVERWRITE) {
        status = STATUS_OBJECT_NAME_NOT_FOUND;
      } else {
        // ---- a new file or directory ----
        status = FatCreateEntry(vcb, directory, path + nameStart, nameLength, attributes, mustBeDirectory, scan);
        if (NT_SUCCESS(status)) {
          f = FatNewFcb(vcb, path, length);
          if (f == 0) status = STATUS_INSUFFICIENT_RESOURCES;
          else FatFcbFromScan(f, vcb, scan);
          result = FILE_CREATED;
        }
      }
    }
  }
  if (NT_SUCCESS(status) && changetype<CCB>(c).Counted == 0) {
    status = FatCheckShareAccess(f, c, access, share);
    if (!NT_SUCCESS(status) && changetype<FCB>(f).References == 0) { FatReleaseFcbUnused(vcb, f); f = 0; }
  }
  if (NT_SUCCESS(status) && (options & FILE_DELETE_ON_CLOSE) != 0 && changetype<FCB>(f).Directory == ROOT_PARENT) {
    FatUncount(f, c);
    status = STATUS_CANNOT_DELETE;
  }
  FatFreeScan(scan);
  if (!NT_SUCCESS(status)) {
    ExFreePoolWithTag(c, 0x43746146);
    return status;
  }
  changetype<FCB>(f).References++;
  file.FsContext = f;
  file.FsContext2 = c;
  i.Information = result;
  return STATUS_SUCCESS;
}

/** An FCB made during a create that failed before anyone referenced it. */
function FatReleaseFcbUnused(vcb: usize, f: usize): void {
  changetype<FCB>(f).References = 1;
  FatReleaseFcb(vcb, f);
}

// ---- read and write ----

function FatReadWrite(device: usize, irp: usize): u32 {
  const vcb = VcbOf(device);
  const i = changetype<IRP>(irp);
  const file = changetype<FILE_OBJECT>(i.FileObject);
  const f = file.FsContext;
  const fcb = changetype<FCB>(f);
  i.Information = 0;
  if (fcb.IsDirectory != 0) return STATUS_INVALID_DEVICE_REQUEST;
  FatAcquireVolume(vcb);
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
      status = FatEnsureClusters(vcb, f, ClustersFor(vcb, end));
      if (NT_SUCCESS(status) && offset > <u64>fcb.FileSize) status = FatZeroRange(vcb, f, fcb.FileSize, <u32>offset);
      if (NT_SUCCESS(status)) status = FatTransfer(vcb, f, true, <u32>offset, i.Buffer, i.Length);
      if (NT_SUCCESS(status)) {
        if (<u32>end > fcb.FileSize) fcb.FileSize = <u32>end;
        fcb.Attributes |= ATTR_ARCHIVE;
        status = FatUpdateEntry(vcb, f, TOUCH_WRITE); // after the data: a cut keeps the old size
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

// ---- information ----

export function FatWriteBasic(vcb: usize, e: usize, attributes: u32, out: usize): void {
  const created = FatToNtTime(<u32>changetype<FAT_DIRENT>(e).CrtDate, <u32>changetype<FAT_DIRENT>(e).CrtTime);
  const accessed = FatToNtTime(<u32>changetype<FAT_DIRENT>(e).LstAccDate, 0);
  const written = FatToNtTime(<u32>changetype<FAT_DIRENT>(e).WrtDate, <u32>changetype<FAT_DIRENT>(e).WrtTime);
  store<u64>(out, created);
  store<u64>(out, accessed, 8);
  store<u64>(out, written, 16);
  store<u64>(out, written, 24);
  store<u32>(out, attributes == 0 ? FILE_ATTRIBUTE_NORMAL : attributes, 32);
  store<u32>(out, 0, 36);
}

@inline function NtAttributes(fcb: FCB): u32 { return fcb.Attributes & 0x37; }

function FatQueryInformation(device: usize, irp: usize): u32 {
  const vcb = VcbOf(device);
  const i = changetype<IRP>(irp);
  const file = changetype<FILE_OBJECT>(i.FileObject);
  const f = file.FsContext;
  const fcb = changetype<FCB>(f);
  const out = i.Buffer;
  const entry = ExAllocatePoolWithTag(NonPagedPool, 32, FAT_TAG);
  if (entry == 0) return STATUS_INSUFFICIENT_RESOURCES;
  FatAcquireVolume(vcb);
  let status = FatReadFcbEntry(vcb, f, entry);
  const allocation = <u64>ClustersFor(vcb, <u64>fcb.FileSize) * <u64>changetype<VCB>(vcb).ClusterBytes;
  if (NT_SUCCESS(status)) {
    switch (i.P0) {
      case FileBasicInformation:
        FatWriteBasic(vcb, entry, NtAttributes(fcb), out);
        i.Information = 40;
        break;
      case FileStandardInformation:
        FatWriteStandard(fcb, allocation, out);
        i.Information = 24;
        break;
      case FileInternalInformation:
        store<u32>(out, fcb.EntryIndex);
        store<u32>(out, fcb.Directory, 4);
        i.Information = 8;
        break;
      case FileNameInformation:
        status = FatWriteName(fcb, out, i.Length, irp);
        break;
      case FileNetworkOpenInformation:
        FatWriteBasic(vcb, entry, NtAttributes(fcb), out);
        store<u64>(out, allocation, 32);
        store<u64>(out, <u64>fcb.FileSize, 40);
        store<u32>(out, NtAttributes(fcb) == 0 ? FILE_ATTRIBUTE_NORMAL : NtAttributes(fcb), 48);
        store<u32>(out, 0, 52);
        i.Information = 56;
        break;
      case FileAttributeTagInformation:
        store<u32>(out, NtAttributes(fcb) == 0 ? FILE_ATTRIBUTE_NORMAL : NtAttributes(fcb));
        store<u32>(out, 0, 4);
        i.Information = 8;
        break;
      case FileAllInformation:
        FatWriteBasic(vcb, entry, NtAttributes(fcb), out);
        FatWriteStandard(fcb, allocation, out + 40);
        store<u32>(out, fcb.EntryIndex, 64);
        store<u32>(out, fcb.Directory, 68);
        status = FatWriteName(fcb, out + 96, i.Length - 96, irp);
        i.Information += 96;
        break;
      default:
        status = STATUS_INVALID_INFO_CLASS;
    }
  }
  FatReleaseVolume(vcb);
  ExFreePoolWithTag(entry, FAT_TAG);
  return status;
}

function FatWriteStandard(fcb: FCB, allocation: u64, out: usize): void {
  store<u64>(out, allocation);
  store<u64>(out, <u64>fcb.FileSize, 8);
  store<u32>(out, 1, 16);
  store<u8>(out, <u8>(fcb.DeletePending != 0 ? 1 : 0), 20);
  store<u8>(out, <u8>(fcb.IsDirectory != 0 ? 1 : 0), 21);
  store<u16>(out, 0, 22);
}

/** FILE_NAME_INFORMATION: the path on the volume; STATUS_BUFFER_OVERFLOW with what fits. */
function FatWriteName(fcb: FCB, out: usize, length: u32, irp: usize): u32 {
  store<u32>(out, fcb.PathLength);
  let n = fcb.PathLength;
  let status = STATUS_SUCCESS;
  if (<u32>4 + n > length) { n = (length - 4) & ~<u32>1; status = STATUS_BUFFER_OVERFLOW; }
  memory.copy(out + 4, fcb.Path, n);
  changetype<IRP>(irp).Information = 4 + n;
  return status;
}

function FatSetInformation(device: usize, irp: usize): u32 {
  const vcb = VcbOf(device);
  const i = changetype<IRP>(irp);
  const file = changetype<FILE_OBJECT>(i.FileObject);
  const f = file.FsContext;
  const fcb = changetype<FCB>(f);
  const input = i.Buffer;
  FatAcquireVolume(vcb);
  let status = STATUS_SUCCESS;
  if (fcb.Gone != 0) status = STATUS_FILE_CORRUPT_ERROR;
  else switch (i.P0) {
    case FileBasicInformation: {
      const attributes = load<u32>(input, 32);
      if (fcb.Directory == ROOT_PARENT) break;
      if (attributes != 0) {
        if ((attributes & FILE_ATTRIBUTE_DIRECTORY) != 0 && fcb.IsDirectory == 0) { status = STATUS_INVALID_PARAMETER; break; }
        fcb.Attributes = (fcb.Attributes & ATTR_DIRECTORY) | (attributes & FILE_ATTRIBUTE_VALID_SET_FLAGS);
      }
      status = FatUpdateEntry(vcb, f, 0);
      if (!NT_SUCCESS(status)) break;
      // Times: 0 means "leave it", -1 "stop updating it" (taken as leave it here).
      const written = load<u64>(input, 16), created = load<u64>(input, 0), accessed = load<u64>(input, 8);
      if ((written != 0 && written != 0xFFFFFFFFFFFFFFFF) || (created != 0 && created != 0xFFFFFFFFFFFFFFFF)
          || (accessed != 0 && accessed != 0xFFFFFFFFFFFFFFFF)) {
        const sector = FatSectorOfEntry(vcb, fcb.Directory, fcb.EntryIndex);
        const data = sector < DIR_ERROR ? FatCacheRead(vcb, sector) : 0;
        if (data == 0) { status = STATUS_FILE_CORRUPT_ERROR; break; }
        const e = data + ((fcb.EntryIndex & 15) << 5);
        if (written != 0 && written != 0xFFFFFFFFFFFFFFFF) { const t = NtToFatDateTime(written); changetype<FAT_DIRENT>(e).WrtTime = <u16>t; changetype<FAT_DIRENT>(e).WrtDate = <u16>(t >> 16); }
        if (created != 0 && created != 0xFFFFFFFFFFFFFFFF) { const t = NtToFatDateTime(created); changetype<FAT_DIRENT>(e).CrtTime = <u16>t; changetype<FAT_DIRENT>(e).CrtDate = <u16>(t >> 16); }
        if (accessed != 0 && accessed != 0xFFFFFFFFFFFFFFFF) { const t = NtToFatDateTime(accessed); changetype<FAT_DIRENT>(e).LstAccDate = <u16>(t >> 16); }
        status = FatCacheWrite(vcb, sector, data);
      }
      break;
    }
    case FileDispositionInformation: {
      const del = load<u8>(input) != 0;
      if (!del) { fcb.DeletePending = 0; break; }
      if (fcb.Directory == ROOT_PARENT || (fcb.Attributes & ATTR_READ_ONLY) != 0) { status = STATUS_CANNOT_DELETE; break; }
      if (fcb.IsDirectory != 0 && !FatIsDirectoryEmpty(vcb, fcb.FirstCluster)) { status = STATUS_DIRECTORY_NOT_EMPTY; break; }
      fcb.DeletePending = 1;
      break;
    }
    case FileEndOfFileInformation:
    case FileAllocationInformation: {
      if (fcb.IsDirectory != 0) { status = STATUS_INVALID_PARAMETER; break; }
      const size = load<u64>(input);
      if (i.P0 == FileEndOfFileInformation && (i.P1 & IO_PAGING_FILE) != 0 && size > <u64>fcb.FileSize) {
        // The paging file (IoSetPagingFileSize): its clusters, one run where the
        // volume has one, are not zeroed: nothing reads a page before writing it.
        if (size > 0xFFFFFFFF) { status = STATUS_DISK_FULL; break; }
        status = FatEnsureClusters(vcb, f, ClustersFor(vcb, size));
        if (NT_SUCCESS(status)) { fcb.FileSize = <u32>size; status = FatUpdateEntry(vcb, f, TOUCH_WRITE); }
      } else if (i.P0 == FileEndOfFileInformation) status = FatSetFileSize(vcb, f, size, false);
      else if (size < <u64>fcb.FileSize) status = FatSetFileSize(vcb, f, size, false);
      else if (size > 0xFFFFFFFF) status = STATUS_DISK_FULL;
      else {
        status = FatEnsureClusters(vcb, f, ClustersFor(vcb, size));
        if (NT_SUCCESS(status)) status = FatUpdateEntry(vcb, f, 0);
      }
      break;
    }
    case FileRenameInformation:
      status = FatRename(vcb, f, i.P2, i.P1 != 0);
      break;
    default:
      status = STATUS_INVALID_INFO_CLASS;
  }
  FatReleaseVolume(vcb);
  return status;
}

/** Removes a file's entries and frees its clusters (the write order of fatdir.ts). */
function FatDeleteOnDisk(vcb: usize, directory: u32, firstIndex: u32, shortIndex: u32, firstCluster: u32): u32 {
  let status = STATUS_SUCCESS;
  if (firstIndex < shortIndex) status = FatMarkDeleted(vcb, directory, firstIndex, shortIndex - firstIndex);
  if (NT_SUCCESS(status)) status = FatMarkDeleted(vcb, directory, shortIndex, 1);
  if (NT_SUCCESS(status)) status = FatFreeChain(vcb, firstCluster);
  return status;
}

/** True when `path` (bytes) starts with the directory `prefix` followed by a backslash (case-insensitive). */
function IsUnder(path: usize, pathLength: u32, prefix: usize, prefixLength: u32): bool {
  if (pathLength <= prefixLength || load<u16>(path + prefixLength) != 0x5C) return false;
  return FatEqualNames(path, prefix, prefixLength >> 1);
}

function FatRename(vcb: usize, f: usize, target: usize, replace: bool): u32 {
  const fcb = changetype<FCB>(f);
  if (fcb.Directory == ROOT_PARENT) return STATUS_INVALID_PARAMETER;
  const path = load<usize>(target, 4);
  const length = <u32>load<u16>(target);
  if (fcb.IsDirectory != 0 && (IsUnder(path, length, fcb.Path, fcb.PathLength))) return STATUS_INVALID_PARAMETER;
  const scan = FatNewScan(FatRootCluster(vcb));
  const entries = ExAllocatePoolWithTag(NonPagedPool, 768, FAT_TAG);
  if (scan == 0 || entries == 0) {
    if (scan != 0) FatFreeScan(scan);
    if (entries != 0) ExFreePoolWithTag(entries, FAT_TAG);
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  const slot = entries + 760;
  let status = STATUS_SUCCESS;
  // The target's directory.
  let directory = FatRootCluster(vcb);
  let at: u32 = 0, nameStart: u32 = 0, nameLength: u32 = 0;
  while (true) {
    nameLength = NextComponent(path, length, at, slot);
    nameStart = load<u32>(slot);
    const last = nameStart + (nameLength << 1) >= length;
    if (!FatIsValidName(path + nameStart, nameLength)) { status = last ? STATUS_OBJECT_NAME_INVALID : STATUS_OBJECT_PATH_NOT_FOUND; break; }
    if (last) break;
    changetype<DIRSCAN>(scan).Directory = directory;
    changetype<DIRSCAN>(scan).Cluster = 0;
    if (!FatLookup(vcb, scan, path + nameStart, nameLength) || (load<u8>(ScanEntry(scan), 11) & ATTR_DIRECTORY) == 0) {
      status = STATUS_OBJECT_PATH_NOT_FOUND; break;
    }
    directory = EntryCluster(vcb, ScanEntry(scan));
    if (directory == 0) directory = FatRootCluster(vcb);
    at = nameStart + (nameLength << 1);
  }
  const sameDirectory = directory == fcb.Directory;
  if (NT_SUCCESS(status)) {
    changetype<DIRSCAN>(scan).Directory = directory;
    changetype<DIRSCAN>(scan).Cluster = 0;
    if (FatLookup(vcb, scan, path + nameStart, nameLength)) {
      const s = changetype<DIRSCAN>(scan);
      if (!(sameDirectory && s.ShortIndex == fcb.EntryIndex)) { // not just a change of case
        const e = ScanEntry(scan);
        const other = FatFindFcb(vcb, directory, s.ShortIndex);
        if (!replace) status = STATUS_OBJECT_NAME_COLLISION;
        else if ((changetype<FAT_DIRENT>(e).Attr & (ATTR_DIRECTORY | ATTR_READ_ONLY)) != 0 || (other != 0 && changetype<FCB>(other).References != 0)) {
          status = STATUS_ACCESS_DENIED;
        } else {
          // Replace: the old target goes first (a cut leaves the source under its old name).
          status = FatDeleteOnDisk(vcb, directory, s.FirstIndex, s.ShortIndex, EntryCluster(vcb, e));
        }
      }
    } else if (FatScanStatus != STATUS_SUCCESS) {
      status = FatScanStatus;
    }
  }
  let count: u32 = 0;
  if (NT_SUCCESS(status)) {
    count = FatBuildEntries(vcb, directory, path + nameStart, nameLength, entries, sameDirectory ? fcb.EntryIndex : END_OF_DIRECTORY);
    if (count == 0) status = STATUS_OBJECT_NAME_COLLISION;
  }
  if (NT_SUCCESS(status)) {
    // The new short entry takes everything but the name from the old one.
    const old = entries + 736; // scratch (up to 22 entries are 704 bytes)
    status = FatReadFcbEntry(vcb, f, old);
    if (NT_SUCCESS(status)) {
      const s = entries + ((count - 1) << 5);
      const caseFlags = changetype<FAT_DIRENT>(s).NTRes; // the new name's
      memory.copy(s + 11, old + 11, 21);
      changetype<FAT_DIRENT>(s).NTRes = caseFlags;
    }
  }
  if (NT_SUCCESS(status) && fcb.FirstIndex < fcb.EntryIndex) {
    // Step 1: the old long entries go; the file stays under its short name.
    status = FatMarkDeleted(vcb, fcb.Directory, fcb.FirstIndex, fcb.EntryIndex - fcb.FirstIndex);
    if (NT_SUCCESS(status)) fcb.FirstIndex = fcb.EntryIndex;
  }
  let first: u32 = 0;
  if (NT_SUCCESS(status)) {
    let atomic = false;
    if (sameDirectory) {
      const oldSector = FatSectorOfEntry(vcb, directory, fcb.EntryIndex);
      if (NT_SUCCESS(FatFindFreeRun(vcb, directory, count, oldSector, fcb.EntryIndex, slot))) {
        // Step 2, one sector write: the new run in, the old short entry out.
        first = load<u32>(slot);
        const inside = fcb.EntryIndex >= first && fcb.EntryIndex < first + count;
        status = FatWriteEntries(vcb, directory, first, count, entries, inside ? END_OF_DIRECTORY : fcb.EntryIndex);
        atomic = true;
      }
    }
    if (!atomic && NT_SUCCESS(status)) {
      status = FatFindFreeRun(vcb, directory, count, END_OF_DIRECTORY, END_OF_DIRECTORY, slot);
      if (NT_SUCCESS(status)) {
        first = load<u32>(slot);
        status = FatWriteEntries(vcb, directory, first, count, entries, END_OF_DIRECTORY);
        if (NT_SUCCESS(status)) status = FatMarkDeleted(vcb, fcb.Directory, fcb.EntryIndex, 1);
      }
    }
  }
  if (NT_SUCCESS(status) && fcb.IsDirectory != 0 && !sameDirectory) {
    // A directory that moved: its ".." names the new parent.
    const sector = FatClusterSector(vcb, fcb.FirstCluster);
    const data = FatCacheRead(vcb, sector);
    if (data == 0) status = FatLastStatus;
    else if (load<u8>(data, 32) == 0x2E && load<u8>(data, 33) == 0x2E) {
      SetEntryCluster(data + 32, directory == FatRootCluster(vcb) ? 0 : directory);
      status = FatCacheWrite(vcb, sector, data);
    }
  }
  if (NT_SUCCESS(status)) {
    fcb.Directory = directory;
    fcb.FirstIndex = first;
    fcb.EntryIndex = first + count - 1;
    const copy = ExAllocatePoolWithTag(NonPagedPool, length + 2, 0x46746146);
    if (copy != 0) {
      memory.copy(copy, path, length);
      if (fcb.Path != 0) ExFreePoolWithTag(fcb.Path, 0x46746146);
      fcb.Path = copy;
      fcb.PathLength = length;
    }
  }
  FatFreeScan(scan);
  ExFreePoolWithTag(entries, FAT_TAG);
  return status;
}

// ---- the end of an open ----

function FatCleanup(device: usize, irp: usize): u32 {
  const vcb = VcbOf(device);
  const i = changetype<IRP>(irp);
  const file = changetype<FILE_OBJECT>(i.FileObject);
  const f = file.FsContext;
  const c = file.FsContext2;
  if (f == 0) return STATUS_SUCCESS;
  const fcb = changetype<FCB>(f);
  FatAcquireVolume(vcb);
  if ((file.Flags & FO_DELETE_ON_CLOSE) != 0 && fcb.Directory != ROOT_PARENT) {
    if (fcb.IsDirectory == 0 || FatIsDirectoryEmpty(vcb, fcb.FirstCluster)) fcb.DeletePending = 1;
  }
  FatUncount(f, c);
  if (fcb.DeletePending != 0 && fcb.References == 1 && fcb.Gone == 0) {
    // The last open of a file that is to go: it goes now.
    if (FatDeleteOnDisk(vcb, fcb.Directory, fcb.FirstIndex, fcb.EntryIndex, fcb.FirstCluster) == STATUS_SUCCESS) fcb.Gone = 1;
  }
  FatReleaseVolume(vcb);
  return STATUS_SUCCESS;
}

function FatClose(device: usize, irp: usize): u32 {
  const vcb = VcbOf(device);
  const i = changetype<IRP>(irp);
  const file = changetype<FILE_OBJECT>(i.FileObject);
  const f = file.FsContext;
  const c = file.FsContext2;
  FatAcquireVolume(vcb);
  if (c != 0) {
    const ccb = changetype<CCB>(c);
    if (ccb.Pattern != 0) ExFreePoolWithTag(ccb.Pattern, 0x43746146);
    ExFreePoolWithTag(c, 0x43746146);
  }
  if (f != 0) FatReleaseFcb(vcb, f);
  FatReleaseVolume(vcb);
  return STATUS_SUCCESS;
}

// ---- mounting ----

let FatDriver: usize = 0;

/** Mounts the FAT volume on `partition` (a disk device); logs what it found. Returns the status. */
export function FatMountPartition(partition: usize, name: string): u32 {
  if (FatDriver == 0) {
    FatDriver = IoCreateDriver("\\FileSystem\\Fastfat");
    IoSetMajorFunction(FatDriver, IRP_MJ_CREATE, FatCreate);
    IoSetMajorFunction(FatDriver, IRP_MJ_READ, FatReadWrite);
    IoSetMajorFunction(FatDriver, IRP_MJ_WRITE, FatReadWrite);
    IoSetMajorFunction(FatDriver, IRP_MJ_QUERY_INFORMATION, FatQueryInformation);
    IoSetMajorFunction(FatDriver, IRP_MJ_SET_INFORMATION, FatSetInformation);
    IoSetMajorFunction(FatDriver, IRP_MJ_DIRECTORY_CONTROL, FatQueryDirectory);
    IoSetMajorFunction(FatDriver, IRP_MJ_QUERY_VOLUME_INFORMATION, FatQueryVolume);
    IoSetMajorFunction(FatDriver, IRP_MJ_FLUSH_BUFFERS, FatFlush);
    IoSetMajorFunction(FatDriver, IRP_MJ_FILE_SYSTEM_CONTROL, FatFileSystemControl);
    IoSetMajorFunction(FatDriver, IRP_MJ_CLEANUP, FatCleanup);
    IoSetMajorFunction(FatDriver, IRP_MJ_CLOSE, FatClose);
  }
  const volume = IoCreateDevice(FatDriver, "", SIZEOF_VCB, FILE_DEVICE_DISK_FILE_SYSTEM);
  if (volume == 0) return STATUS_INSUFFICIENT_RESOURCES;
  const vcb = changetype<DEVICE_OBJECT>(volume).DeviceExtension;
  const v = changetype<VCB>(vcb);
  v.Partition = partition;
  const sectors = changetype<DISK_EXTENSION>(changetype<DEVICE_OBJECT>(partition).DeviceExtension).SectorCount;
  const status = FatMountVolume(vcb, sectors);
  KeLogBegin("fat");
  if (!NT_SUCCESS(status)) {
    KeLogString(name);
    KeLogString(": no FAT volume mounted, status ");
    KeLogHex(status);
    KeLogEnd();
    return status;
  }
  changetype<DEVICE_OBJECT>(partition).MountedVolume = volume;
  changetype<DEVICE_OBJECT>(volume).RealDevice = partition;
  KeLogString("mounted ");
  KeLogString(name);
  KeLogString(v.FatType == 32 ? ": FAT32, " : ": FAT16, ");
  KeLogDecimal(v.ClusterCount);
  KeLogString(" clusters of ");
  KeLogDecimal(v.ClusterBytes);
  KeLogString(" bytes (free ones counted on first use), label \"");
  let n: u32 = 11;
  while (n > 0 && load<u8>(VcbLabel(vcb) + n - 1) == 0x20) n--;
  for (let k: u32 = 0; k < n; k++) {
    const ch = <u32>load<u8>(VcbLabel(vcb) + k);
    KeLogCharacter(ch >= 0x20 && ch < 0x7F ? ch : 0x3F);
  }
  KeLogString("\"");
  KeLogEnd();
  FatMountDirtyState(vcb, name); // FAT[1]'s clean bit: logged if dirty, watched from now on
  FatStartCleaner();
  return STATUS_SUCCESS;
}
