// The FAT file system driver: the per-file FCB and per-open CCB, what the
// dispatch routines (fatcreate.ts, fatdata.ts, fatinfo.ts, fatquery.ts)
// share about them.
//
// One FCB per open file or directory (found again by the place of its short
// entry), shared by its opens: size, first cluster, attributes, share
// access counts, delete-pending. One CCB per open: what it counted in the
// share access, and its directory enumeration. FCBs are on their volume's
// list, which (like everything of a volume) only the holder of the volume's
// lock touches: every request holds it for its whole length.

import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { ExAllocatePoolWithQuotaTag, ExFreePoolWithQuotaTag } from "../ex/quota";
import { DELETE } from "../ob/obp";
import {
  DEVICE_OBJECT, FILE_APPEND_DATA, FILE_ATTRIBUTE_NORMAL, FILE_EXECUTE, FILE_READ_DATA, FILE_SHARE_DELETE, FILE_SHARE_READ,
  FILE_SHARE_WRITE, FILE_WRITE_DATA,
} from "../io/iop";
import { FatCacheRead, FatCacheReadStatus, FatCacheWrite, FatFreeChain, FatNow, FatToNtTime, VCB } from "./fatvol";
import { DIRSCAN, DIR_ERROR, EntryCluster, FatMarkDeleted, FatSectorOfEntry, ScanEntry, SetEntryCluster } from "./fatdir";
import { ATTR_DIRECTORY, FAT_DIRENT } from "../sdk/fat";
import { FILE_BASIC_INFORMATION, SIZEOF_FILE_BASIC_INFORMATION } from "../sdk/fileinfo";
import { NT_SUCCESS, STATUS_FILE_CORRUPT_ERROR, STATUS_SHARING_VIOLATION, STATUS_SUCCESS } from "../sdk/ntstatus";

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
  PagingRun: u32;        // a paging file in one run of clusters from FirstCluster: paging I/O needs no chain walk
}
export const SIZEOF_FCB: u32 = 92;
export const ROOT_PARENT: u32 = 0xFFFFFFFF;

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
export const SIZEOF_CCB: u32 = 48;

@inline export function VcbOf(device: usize): usize { return changetype<DEVICE_OBJECT>(device).DeviceExtension; }

export function FatRootCluster(vcb: usize): u32 { return changetype<VCB>(vcb).FatType == 32 ? changetype<VCB>(vcb).RootCluster : 0; }

/** The FCB of the entry at (directory, index), opened or not; `make` creates one from the scan when missing. */
export function FatFindFcb(vcb: usize, directory: u32, index: u32): usize {
  let f = changetype<VCB>(vcb).FcbList;
  while (f != 0) {
    const fcb = changetype<FCB>(f);
    if (fcb.Gone == 0 && fcb.Directory == directory && fcb.EntryIndex == index) return f;
    f = fcb.Next;
  }
  return 0;
}

export function FatNewFcb(vcb: usize, path: usize, pathLength: u32): usize {
  const f = ExAllocatePoolWithQuotaTag(NonPagedPool, SIZEOF_FCB, 0x46746146); // 'FatF'
  if (f == 0) return 0;
  const fcb = changetype<FCB>(f);
  if (pathLength != 0) {
    fcb.Path = ExAllocatePoolWithQuotaTag(NonPagedPool, pathLength + 2, 0x46746146);
    if (fcb.Path == 0) { ExFreePoolWithQuotaTag(f, 0x46746146); return 0; }
    memory.copy(fcb.Path, path, pathLength);
  }
  fcb.PathLength = pathLength;
  fcb.PagingRun = 0;
  fcb.Next = changetype<VCB>(vcb).FcbList;
  changetype<VCB>(vcb).FcbList = f;
  return f;
}

export function FatReleaseFcb(vcb: usize, f: usize): void {
  const fcb = changetype<FCB>(f);
  if (--fcb.References != 0) return;
  let p = vcb + offsetof<VCB>("FcbList");
  while (load<usize>(p) != 0 && load<usize>(p) != f) p = load<usize>(p); // FCB.Next is at +0
  if (load<usize>(p) == f) store<usize>(p, fcb.Next);
  if (fcb.Path != 0) ExFreePoolWithQuotaTag(fcb.Path, 0x46746146);
  ExFreePoolWithQuotaTag(f, 0x46746146);
}

/** Fills a new FCB from the scan's found entry. */
export function FatFcbFromScan(f: usize, vcb: usize, scan: usize): void {
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
export function FatReadFcbEntry(vcb: usize, f: usize, out: usize): u32 {
  const fcb = changetype<FCB>(f);
  if (fcb.Directory == ROOT_PARENT) { memory.fill(out, 0, 32); changetype<FAT_DIRENT>(out).Attr = <u8>ATTR_DIRECTORY; return STATUS_SUCCESS; }
  const sector = FatSectorOfEntry(vcb, fcb.Directory, fcb.EntryIndex);
  if (sector >= DIR_ERROR) return STATUS_FILE_CORRUPT_ERROR;
  const data = FatCacheRead(vcb, sector);
  if (data == 0) return FatCacheReadStatus(vcb);
  memory.copy(out, data + ((fcb.EntryIndex & 15) << 5), 32);
  return STATUS_SUCCESS;
}

export const TOUCH_WRITE: u32 = 1;
/** Writes an FCB's size, first cluster and attributes (and with TOUCH_WRITE the write time) to its short entry. */
export function FatUpdateEntry(vcb: usize, f: usize, touch: u32): u32 {
  const fcb = changetype<FCB>(f);
  if (fcb.Directory == ROOT_PARENT || fcb.Gone != 0) return STATUS_SUCCESS;
  const sector = FatSectorOfEntry(vcb, fcb.Directory, fcb.EntryIndex);
  if (sector >= DIR_ERROR) return STATUS_FILE_CORRUPT_ERROR;
  const data = FatCacheRead(vcb, sector);
  if (data == 0) return FatCacheReadStatus(vcb);
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

/** An append's deferred entry (fatvol.ts, FatFlushPending): size, first cluster, attributes and the write time. */
export function FatWriteDeferredEntry(vcb: usize, f: usize): u32 { return FatUpdateEntry(vcb, f, TOUCH_WRITE); }

@inline export function ClustersFor(vcb: usize, bytes: u64): u32 {
  const cb = <u64>changetype<VCB>(vcb).ClusterBytes;
  return <u32>((bytes + cb - 1) / cb);
}

/** Splits the next component off `path` at `at` (bytes); returns its length in characters, with its start at `start`. */
export function NextComponent(path: usize, length: u32, at: u32, start: usize): u32 {
  let p = at;
  if (p < length && load<u16>(path + p) == 0x5C) p += 2;
  store<u32>(start, p);
  let n: u32 = 0;
  while (p + (n << 1) < length && load<u16>(path + p + (n << 1)) != 0x5C) n++;
  return n;
}

export function FatCheckShareAccess(f: usize, c: usize, access: u32, share: u32): u32 {
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

export function FatUncount(f: usize, c: usize): void {
  const fcb = changetype<FCB>(f);
  const ccb = changetype<CCB>(c);
  if (ccb.Counted == 0) return;
  ccb.Counted = 0;
  fcb.OpenCount--;
  fcb.Readers -= ccb.Read; fcb.Writers -= ccb.Write; fcb.Deleters -= ccb.Delete;
  fcb.SharedRead -= ccb.ShareRead; fcb.SharedWrite -= ccb.ShareWrite; fcb.SharedDelete -= ccb.ShareDelete;
}


/** An FCB made during a create that failed before anyone referenced it. */
export function FatReleaseFcbUnused(vcb: usize, f: usize): void {
  changetype<FCB>(f).References = 1;
  FatReleaseFcb(vcb, f);
}

/** A FILE_BASIC_INFORMATION at `out` from a short entry (the change time is the write time). */
export function FatWriteBasic(vcb: usize, e: usize, attributes: u32, out: usize): void {
  const d = changetype<FAT_DIRENT>(e);
  const b = changetype<FILE_BASIC_INFORMATION>(out);
  memory.fill(out, 0, SIZEOF_FILE_BASIC_INFORMATION);
  b.CreationTime = <i64>FatToNtTime(<u32>d.CrtDate, <u32>d.CrtTime);
  b.LastAccessTime = <i64>FatToNtTime(<u32>d.LstAccDate, 0);
  b.LastWriteTime = <i64>FatToNtTime(<u32>d.WrtDate, <u32>d.WrtTime);
  b.ChangeTime = b.LastWriteTime;
  b.FileAttributes = attributes == 0 ? FILE_ATTRIBUTE_NORMAL : attributes;
}

@inline export function NtAttributes(fcb: FCB): u32 { return fcb.Attributes & 0x37; }

/** Removes a file's entries and frees its clusters (the write order of fatdir.ts). */
export function FatDeleteOnDisk(vcb: usize, directory: u32, firstIndex: u32, shortIndex: u32, firstCluster: u32): u32 {
  let status = STATUS_SUCCESS;
  if (firstIndex < shortIndex) status = FatMarkDeleted(vcb, directory, firstIndex, shortIndex - firstIndex);
  if (NT_SUCCESS(status)) status = FatMarkDeleted(vcb, directory, shortIndex, 1);
  if (NT_SUCCESS(status)) status = FatFreeChain(vcb, firstCluster);
  return status;
}
