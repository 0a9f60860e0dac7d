// The FAT file system driver, part 4: directory listing and volume queries.
// IRP_MJ_DIRECTORY_CONTROL (NtQueryDirectoryFile: the directory, full,
// both and names classes, with NT's wildcards * ? < > " matched
// case-insensitively), IRP_MJ_QUERY_VOLUME_INFORMATION (volume, size, full
// size, device, attribute), IRP_MJ_FLUSH_BUFFERS, and the volume locks of
// IRP_MJ_FILE_SYSTEM_CONTROL. Registered by fatmount.ts when it mounts a
// volume.

import { FatRereadDirtyState } from "./fatdirty";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { ExAllocatePoolWithQuotaTag, ExFreePoolWithQuotaTag } from "../ex/quota";
import { RtlUpcaseUnicodeChar } from "../rtl/unicode";
import { FILE_ATTRIBUTE_NORMAL, FILE_OBJECT, IRP, SL_RESTART_SCAN, SL_RETURN_SINGLE_ENTRY } from "../io/iop";
import { FAT_FREE_UNKNOWN, FAT_TAG, FatAcquireVolume, FatDropCache, FatFlushDisk, FatFreeClusters, FatReleaseVolume, FatRereadVolume, SECTOR, VCB, VcbLabel } from "./fatvol";
import { DISK_EXTENSION } from "../drivers/disk";
import { DEVICE_OBJECT } from "../io/iop";
import { KeLogBegin, KeLogDecimal, KeLogEnd, KeLogHex, KeLogString } from "../ke/log";
import {
  DIRSCAN, FatFreeScan, FatNewScan, FatNextFile, MAX_NAME_CHARS, ScanEntry, ScanName, ScanShortName,
} from "./fatdir";
import { CCB, ClustersFor, FCB, FatWriteBasic, VcbOf } from "./fatfcb";
import { FAT_DIRENT } from "../sdk/fat";
import {
  FILE_BASIC_INFORMATION, FILE_BOTH_DIR_INFORMATION, FILE_DIRECTORY_INFORMATION, FILE_FS_ATTRIBUTE_INFORMATION,
  FILE_FS_FULL_SIZE_INFORMATION, FILE_FS_SIZE_INFORMATION, FILE_FS_VOLUME_INFORMATION, FILE_FULL_DIR_INFORMATION,
  FILE_CASE_PRESERVED_NAMES, FILE_NAMES_INFORMATION, FILE_UNICODE_ON_DISK, SIZEOF_FILE_FS_FULL_SIZE_INFORMATION,
  SIZEOF_FILE_FS_SIZE_INFORMATION, FileBothDirectoryInformation, FileDirectoryInformation, FileFsAttributeInformation,
  FileFsFullSizeInformation, FileFsSizeInformation, FileFsVolumeInformation, FileFullDirectoryInformation,
  FileNamesInformation,
} from "../sdk/fileinfo";
import {
  NT_SUCCESS, STATUS_ACCESS_DENIED, STATUS_BUFFER_OVERFLOW, STATUS_INSUFFICIENT_RESOURCES,
  STATUS_INVALID_DEVICE_REQUEST, STATUS_INVALID_INFO_CLASS, STATUS_INVALID_PARAMETER,
  STATUS_NOT_LOCKED, STATUS_NO_MORE_FILES, STATUS_NO_SUCH_FILE, STATUS_SUCCESS,
} from "../sdk/ntstatus";
import { ATTR_DIRECTORY } from "../sdk/fat";

// ---- directories ----

/** Wildcard match, case-insensitive: * and ? (and DOS_STAR <, DOS_QM >, DOS_DOT " as * ? .). */
function FatMatch(pattern: usize, pl: u32, name: usize, nl: u32): bool {
  let p: u32 = 0, n: u32 = 0, starP: i32 = -1, starN: u32 = 0;
  while (n < nl) {
    if (p < pl) {
      let pc = <u32>load<u16>(pattern + (p << 1));
      if (pc == 0x3C) pc = 0x2A; else if (pc == 0x3E) pc = 0x3F; else if (pc == 0x22) pc = 0x2E;
      if (pc == 0x2A) { starP = <i32>p; starN = n; p++; continue; }
      const nc = <u32>load<u16>(name + (n << 1));
      if (pc == 0x3F || RtlUpcaseUnicodeChar(pc) == RtlUpcaseUnicodeChar(nc)) { p++; n++; continue; }
    }
    if (starP >= 0) { p = <u32>starP + 1; n = ++starN; continue; }
    return false;
  }
  while (p < pl) {
    const pc = <u32>load<u16>(pattern + (p << 1));
    if (pc != 0x2A && pc != 0x3C && pc != 0x22 && pc != 0x2E) return false;
    p++;
  }
  return true;
}

export function FatQueryDirectory(device: usize, irp: usize): u32 {
  const vcb = VcbOf(device);
  const i = changetype<IRP>(irp);
  const file = changetype<FILE_OBJECT>(i.FileObject);
  const f = file.FsContext;
  const c = file.FsContext2;
  if (f == 0 || c == 0) return STATUS_INVALID_DEVICE_REQUEST; // an open without the file system's context
  const fcb = changetype<FCB>(f);
  const ccb = changetype<CCB>(c);
  if (fcb.IsDirectory == 0) return STATUS_INVALID_PARAMETER;
  const restart = (i.P1 & SL_RESTART_SCAN) != 0;
  const single = (i.P1 & SL_RETURN_SINGLE_ENTRY) != 0;
  if (restart || ccb.EnumStarted == 0) {
    ccb.EnumIndex = 0;
    ccb.EnumFound = 0;
    if (i.P2 != 0 && (ccb.EnumStarted == 0 || restart)) {
      const n = <u32>load<u16>(i.P2);
      if (ccb.Pattern != 0) ExFreePoolWithQuotaTag(ccb.Pattern, 0x43746146);
      ccb.Pattern = n != 0 ? ExAllocatePoolWithQuotaTag(NonPagedPool, n, 0x43746146) : 0;
      if (ccb.Pattern != 0) memory.copy(ccb.Pattern, load<usize>(i.P2, 4), n);
      ccb.PatternLength = ccb.Pattern != 0 ? n >> 1 : 0;
    }
    ccb.EnumStarted = 1;
  }
  const scan = FatNewScan(fcb.FirstCluster);
  const entry = ExAllocatePoolWithTag(NonPagedPool, 40, FAT_TAG); // FatWriteBasic writes 40
  if (scan == 0 || entry == 0) {
    if (scan != 0) FatFreeScan(scan);
    if (entry != 0) ExFreePoolWithTag(entry, FAT_TAG);
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  FatAcquireVolume(vcb);
  const s = changetype<DIRSCAN>(scan);
  s.Index = ccb.EnumIndex;
  const out = i.Buffer;
  let used: u32 = 0, previous: i32 = -1;
  let status = STATUS_SUCCESS;
  const cls = i.P0;
  const fixed = DirectoryFixedPart(cls);
  while (true) {
    const before = s.Index;
    if (!FatNextFile(vcb, scan)) { if (s.Status != STATUS_SUCCESS) status = s.Status; break; }
    const name = ScanName(scan);
    if (ccb.PatternLength != 0 && !FatMatch(ccb.Pattern, ccb.PatternLength, name, s.NameLength)) continue;
    const nameBytes = s.NameLength << 1;
    const at = (used + 7) & ~<u32>7;
    const size = fixed + nameBytes;
    if (at + size > i.Length) {
      if (previous < 0) {
        // Not even one entry fits: what fits of it, and STATUS_BUFFER_OVERFLOW (NT does the same).
        if (i.Length >= fixed) {
          FatWriteDirectoryEntry(vcb, scan, cls, out, i.Length, entry);
          used = i.Length; // the entry is consumed
          status = STATUS_BUFFER_OVERFLOW;
        } else {
          s.Index = before;
          status = STATUS_BUFFER_OVERFLOW;
        }
        ccb.EnumFound = 1;
      } else {
        s.Index = before; // it goes first next time
      }
      break;
    }
    if (previous >= 0) store<u32>(out + <u32>previous, at - <u32>previous); // NextEntryOffset of the one before
    FatWriteDirectoryEntry(vcb, scan, cls, out + at, size, entry);
    previous = <i32>at;
    used = at + size;
    ccb.EnumFound = 1;
    if (single) break;
  }
  ccb.EnumIndex = s.Index;
  FatReleaseVolume(vcb);
  const foundBefore = ccb.EnumFound;
  FatFreeScan(scan);
  ExFreePoolWithTag(entry, FAT_TAG);
  // Nothing this time: the end of a scan that found something, or no match at all.
  if (NT_SUCCESS(status) && previous < 0) status = foundBefore != 0 ? STATUS_NO_MORE_FILES : STATUS_NO_SUCH_FILE;
  i.Information = used;
  return status;
}


/** Bytes cleared at an entry's start: the longest fixed part (BOTH_DIR's 94) and the padding after a short name. */
const ENTRY_CLEARED: u32 = 104;

/** One directory entry of class `cls` at `out` (`room` bytes, at least the class's fixed part), its name cut to fit. */
function FatWriteDirectoryEntry(vcb: usize, scan: usize, cls: u32, out: usize, room: u32, scratch: usize): void {
  const s = changetype<DIRSCAN>(scan);
  const e = ScanEntry(scan);
  const nameBytes = s.NameLength << 1;
  memory.fill(out, 0, room < ENTRY_CLEARED ? room : ENTRY_CLEARED);
  const d = changetype<FILE_DIRECTORY_INFORMATION>(out); // the fields every class has before its name
  d.NextEntryOffset = 0; // set by the next entry
  d.FileIndex = s.ShortIndex;
  let nameAt: u32;
  if (cls == FileNamesInformation) {
    changetype<FILE_NAMES_INFORMATION>(out).FileNameLength = nameBytes;
    nameAt = offsetof<FILE_NAMES_INFORMATION>("FileName");
  } else {
    const attributes = <u32>changetype<FAT_DIRENT>(e).Attr & 0x37;
    FatWriteBasic(vcb, e, attributes, scratch);
    const basic = changetype<FILE_BASIC_INFORMATION>(scratch);
    d.CreationTime = basic.CreationTime;
    d.LastAccessTime = basic.LastAccessTime;
    d.LastWriteTime = basic.LastWriteTime;
    d.ChangeTime = basic.ChangeTime;
    const isDirectory = (attributes & ATTR_DIRECTORY) != 0;
    const size: u64 = isDirectory ? 0 : <u64>changetype<FAT_DIRENT>(e).FileSize;
    d.EndOfFile = <i64>size;
    d.AllocationSize = <i64>(<u64>ClustersFor(vcb, size) * <u64>changetype<VCB>(vcb).ClusterBytes);
    d.FileAttributes = attributes == 0 ? FILE_ATTRIBUTE_NORMAL : attributes;
    d.FileNameLength = nameBytes;
    nameAt = DirectoryFixedPart(cls);
    if (cls == FileBothDirectoryInformation && s.FirstIndex != s.ShortIndex && room >= nameAt) {
      // The 8.3 alias only when the long name differs from it.
      changetype<FILE_BOTH_DIR_INFORMATION>(out).ShortNameLength = <u8>(s.ShortLength << 1);
      memory.copy(out + offsetof<FILE_BOTH_DIR_INFORMATION>("ShortName"), ScanShortName(scan), s.ShortLength << 1);
    }
  }
  let n = nameBytes;
  if (nameAt + n > room) n = room > nameAt ? (room - nameAt) & ~<u32>1 : 0;
  memory.copy(out + nameAt, ScanName(scan), n);
}

/** Where a listing class's name starts: its fixed part. */
function DirectoryFixedPart(cls: u32): u32 {
  if (cls == FileNamesInformation) return offsetof<FILE_NAMES_INFORMATION>("FileName");
  if (cls == FileDirectoryInformation) return offsetof<FILE_DIRECTORY_INFORMATION>("FileName");
  if (cls == FileFullDirectoryInformation) return offsetof<FILE_FULL_DIR_INFORMATION>("FileName");
  return offsetof<FILE_BOTH_DIR_INFORMATION>("FileName");
}

// ---- volume ----

/** The free clusters for a query: counted under the volume's lock the first time (fatvol.ts). */
function FatQueryFreeClusters(vcb: usize): u32 {
  if (changetype<VCB>(vcb).FreeClusters != FAT_FREE_UNKNOWN) return changetype<VCB>(vcb).FreeClusters;
  FatAcquireVolume(vcb);
  const free = FatFreeClusters(vcb);
  FatReleaseVolume(vcb);
  return free;
}

export function FatQueryVolume(device: usize, irp: usize): u32 {
  const vcb = VcbOf(device);
  const v = changetype<VCB>(vcb);
  const i = changetype<IRP>(irp);
  const out = i.Buffer;
  switch (i.P0) {
    case FileFsVolumeInformation: {
      const info = changetype<FILE_FS_VOLUME_INFORMATION>(out);
      const fixed = offsetof<FILE_FS_VOLUME_INFORMATION>("VolumeLabel");
      info.VolumeCreationTime = 0;
      info.VolumeSerialNumber = v.SerialNumber;
      let n: u32 = 11;
      while (n > 0 && load<u8>(VcbLabel(vcb) + n - 1) == 0x20) n--;
      info.VolumeLabelLength = n << 1;
      info.SupportsObjects = 0;
      store<u8>(out + fixed - 1, 0);
      let status = STATUS_SUCCESS;
      if (fixed + (n << 1) > i.Length) { n = (i.Length - fixed) >> 1; status = STATUS_BUFFER_OVERFLOW; }
      for (let k: u32 = 0; k < n; k++) store<u16>(out + fixed + (k << 1), <u16>load<u8>(VcbLabel(vcb) + k));
      i.Information = fixed + (n << 1);
      return status;
    }
    case FileFsSizeInformation: {
      const info = changetype<FILE_FS_SIZE_INFORMATION>(out);
      info.TotalAllocationUnits = <i64>v.ClusterCount;
      info.AvailableAllocationUnits = <i64>FatQueryFreeClusters(vcb);
      info.SectorsPerAllocationUnit = v.SectorsPerCluster;
      info.BytesPerSector = SECTOR;
      i.Information = SIZEOF_FILE_FS_SIZE_INFORMATION;
      return STATUS_SUCCESS;
    }
    case FileFsFullSizeInformation: {
      const info = changetype<FILE_FS_FULL_SIZE_INFORMATION>(out);
      info.TotalAllocationUnits = <i64>v.ClusterCount;
      const free = FatQueryFreeClusters(vcb);
      info.CallerAvailableAllocationUnits = <i64>free;
      info.ActualAvailableAllocationUnits = <i64>free;
      info.SectorsPerAllocationUnit = v.SectorsPerCluster;
      info.BytesPerSector = SECTOR;
      i.Information = SIZEOF_FILE_FS_FULL_SIZE_INFORMATION;
      return STATUS_SUCCESS;
    }
    case FileFsAttributeInformation: {
      const info = changetype<FILE_FS_ATTRIBUTE_INFORMATION>(out);
      const fixed = offsetof<FILE_FS_ATTRIBUTE_INFORMATION>("FileSystemName");
      info.FileSystemAttributes = FILE_CASE_PRESERVED_NAMES | FILE_UNICODE_ON_DISK;
      info.MaximumComponentNameLength = <i32>MAX_NAME_CHARS;
      const fat32 = v.FatType == 32;
      const n: u32 = fat32 ? 5 : 3;
      info.FileSystemNameLength = n << 1;
      if (fixed + (n << 1) > i.Length) { i.Information = fixed; return STATUS_BUFFER_OVERFLOW; }
      const name = out + fixed;
      store<u16>(name, 0x46); store<u16>(name, 0x41, 2); store<u16>(name, 0x54, 4); // "FAT"
      if (fat32) { store<u16>(name, 0x33, 6); store<u16>(name, 0x32, 8); }        // "32"
      i.Information = fixed + (n << 1);
      return STATUS_SUCCESS;
    }
    default:
      return STATUS_INVALID_INFO_CLASS;
  }
}

export function FatFlush(device: usize, irp: usize): u32 {
  const vcb = VcbOf(device);
  FatAcquireVolume(vcb);
  const status = FatFlushDisk(vcb); // the cache is write-through: the disk's own cache is what is left
  FatReleaseVolume(vcb);
  return status;
}


// ---- volume locks (IRP_MJ_FILE_SYSTEM_CONTROL) ----
//
// A checker such as autochk opens the partition itself (\??\C: with no path:
// a raw open, whose requests go to the disk) and writes sectors behind this
// driver's back; the I/O manager sends that handle's FSCTLs here. The lock
// is NT's: FSCTL_LOCK_VOLUME succeeds only when no file of the volume is
// open, and while it holds, opens fail with STATUS_ACCESS_DENIED; the
// locking file object is marked (FsContext2 = the VCB), so only it unlocks,
// and closing it unlocks too (the I/O manager sends FSCTL_UNLOCK_VOLUME for
// it). FSCTL_DISMOUNT_VOLUME forgets the cached sectors; the unlock reads
// the volume again (boot sector, free count) as a new mount would, so what
// the checker wrote is what the driver sees.

export const FSCTL_LOCK_VOLUME: u32 = 0x00090018;
export const FSCTL_UNLOCK_VOLUME: u32 = 0x0009001C;
export const FSCTL_DISMOUNT_VOLUME: u32 = 0x00090020;

function FatLogVolume(v: VCB, what: string): void {
  KeLogBegin("fat");
  KeLogString("volume ");
  KeLogHex(v.SerialNumber);
  KeLogString(what);
}

export function FatFileSystemControl(device: usize, irp: usize): u32 {
  const vcb = VcbOf(device);
  const v = changetype<VCB>(vcb);
  const i = changetype<IRP>(irp);
  const file = changetype<FILE_OBJECT>(i.FileObject);
  let status = STATUS_SUCCESS;
  FatAcquireVolume(vcb);
  switch (i.P0) {
    case FSCTL_LOCK_VOLUME:
      if (v.Locked != 0 || v.FcbList != 0) status = STATUS_ACCESS_DENIED;
      else { v.Locked = 1; file.FsContext2 = vcb; FatLogVolume(v, " locked for direct access"); KeLogEnd(); }
      break;
    case FSCTL_DISMOUNT_VOLUME:
      if (v.Locked == 0 || file.FsContext2 != vcb) status = STATUS_ACCESS_DENIED; // only under its own lock
      else FatDropCache(vcb);
      break;
    case FSCTL_UNLOCK_VOLUME: {
      if (v.Locked == 0 || file.FsContext2 != vcb) { status = STATUS_NOT_LOCKED; break; }
      const sectors = changetype<DISK_EXTENSION>(changetype<DEVICE_OBJECT>(v.Partition).DeviceExtension).SectorCount;
      const reread = FatRereadVolume(vcb, sectors);
      if (NT_SUCCESS(reread)) FatRereadDirtyState(vcb); // what the checker left in FAT[1]
      v.Locked = 0;
      file.FsContext2 = 0;
      const free = NT_SUCCESS(reread) ? FatFreeClusters(vcb) : 0; // counted (and logged) before this line opens
      FatLogVolume(v, " unlocked and read again: ");
      if (NT_SUCCESS(reread)) { KeLogDecimal(free); KeLogString(" free clusters"); }
      else { KeLogString("status "); KeLogHex(reread); }
      KeLogEnd();
      break;
    }
    default:
      status = STATUS_INVALID_DEVICE_REQUEST;
  }
  FatReleaseVolume(vcb);
  return status;
}
