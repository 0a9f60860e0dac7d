// The FAT file system driver: IRP_MJ_QUERY_INFORMATION and
// IRP_MJ_SET_INFORMATION: basic, standard, internal, name, network-open,
// attribute-tag and all information; attributes and times, disposition
// (a non-empty directory is STATUS_DIRECTORY_NOT_EMPTY), end of file and
// allocation (the paging file's clusters unzeroed), and renames with and
// without ReplaceIfExists in the write order fatdir.ts describes.

import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { ExAllocatePoolWithQuotaTag, ExFreePoolWithQuotaTag } from "../ex/quota";
import { FILE_ATTRIBUTE_DIRECTORY, FILE_ATTRIBUTE_NORMAL, FILE_ATTRIBUTE_VALID_SET_FLAGS, FILE_OBJECT, IO_PAGING_FILE, IRP } from "../io/iop";
import {
  FAT_TAG, FatAcquireVolume, FatCacheRead, FatCacheReadStatus, FatCacheWrite, FatClusterSector, FatReleaseVolume,
  NtToFatDateTime, VCB,
} from "./fatvol";
import {
  DIRSCAN, DIR_ERROR, END_OF_DIRECTORY, EntryCluster, FatBuildEntries, FatEqualNames, FatFindFreeRun, FatFreeScan,
  FatIsDirectoryEmpty, FatIsValidName, FatLookup, FatMarkDeleted, FatNewScan, FatSectorOfEntry, FatWriteEntries, ScanEntry,
  SetEntryCluster,
} from "./fatdir";
import {
  ClustersFor, FCB, FatDeleteOnDisk, FatFindFcb, FatReadFcbEntry, FatRootCluster, FatUpdateEntry, FatWriteBasic, NextComponent,
  NtAttributes, ROOT_PARENT, TOUCH_WRITE, VcbOf,
} from "./fatfcb";
import { FatEnsureClusters, FatIsOneRun, FatSetFileSize } from "./fatdata";
import { ATTR_DIRECTORY, ATTR_READ_ONLY, FAT_DIRENT } from "../sdk/fat";
import {
  FILE_ALL_INFORMATION, FILE_ATTRIBUTE_TAG_INFORMATION, FILE_BASIC_INFORMATION, FILE_DISPOSITION_INFORMATION,
  FILE_END_OF_FILE_INFORMATION, FILE_INTERNAL_INFORMATION, FILE_NAME_INFORMATION, FILE_NETWORK_OPEN_INFORMATION,
  FILE_STANDARD_INFORMATION, SIZEOF_FILE_BASIC_INFORMATION, SIZEOF_FILE_NETWORK_OPEN_INFORMATION,
  SIZEOF_FILE_STANDARD_INFORMATION, FileAllInformation, FileAllocationInformation, FileAttributeTagInformation,
  FileBasicInformation, FileDispositionInformation, FileEndOfFileInformation, FileInternalInformation, FileNameInformation,
  FileNetworkOpenInformation, FileRenameInformation, FileStandardInformation,
} from "../sdk/fileinfo";
import { UNICODE_STRING } from "../sdk/ntdef";
import {
  NT_SUCCESS, STATUS_ACCESS_DENIED, STATUS_BUFFER_OVERFLOW, STATUS_CANNOT_DELETE, STATUS_DIRECTORY_NOT_EMPTY, STATUS_DISK_FULL,
  STATUS_FILE_CORRUPT_ERROR, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_DEVICE_REQUEST, STATUS_INVALID_INFO_CLASS, STATUS_INVALID_PARAMETER,
  STATUS_OBJECT_NAME_COLLISION, STATUS_OBJECT_NAME_INVALID, STATUS_OBJECT_PATH_NOT_FOUND, STATUS_SUCCESS,
} from "../sdk/ntstatus";

// ---- information ----

export function FatQueryInformation(device: usize, irp: usize): u32 {
  const vcb = VcbOf(device);
  const i = changetype<IRP>(irp);
  const file = changetype<FILE_OBJECT>(i.FileObject);
  const f = file.FsContext;
  if (f == 0) return STATUS_INVALID_DEVICE_REQUEST; // an open without the file system's context (fuzz: services seed 4)
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
        i.Information = SIZEOF_FILE_BASIC_INFORMATION;
        break;
      case FileStandardInformation:
        FatWriteStandard(fcb, allocation, out);
        i.Information = SIZEOF_FILE_STANDARD_INFORMATION;
        break;
      case FileInternalInformation:
        changetype<FILE_INTERNAL_INFORMATION>(out).IndexNumber = FatIndexNumber(fcb);
        i.Information = offsetof<FILE_INTERNAL_INFORMATION>();
        break;
      case FileNameInformation:
        status = FatWriteName(fcb, out, i.Length, irp);
        break;
      case FileNetworkOpenInformation: {
        FatWriteBasic(vcb, entry, NtAttributes(fcb), out); // the times (the two layouts begin alike)
        const n = changetype<FILE_NETWORK_OPEN_INFORMATION>(out);
        n.AllocationSize = <i64>allocation;
        n.EndOfFile = <i64>fcb.FileSize;
        n.FileAttributes = NtAttributes(fcb) == 0 ? FILE_ATTRIBUTE_NORMAL : NtAttributes(fcb);
        store<u32>(out + offsetof<FILE_NETWORK_OPEN_INFORMATION>("FileAttributes"), 0, 4); // the padding
        i.Information = SIZEOF_FILE_NETWORK_OPEN_INFORMATION;
        break;
      }
      case FileAttributeTagInformation: {
        const t = changetype<FILE_ATTRIBUTE_TAG_INFORMATION>(out);
        t.FileAttributes = NtAttributes(fcb) == 0 ? FILE_ATTRIBUTE_NORMAL : NtAttributes(fcb);
        t.ReparseTag = 0;
        i.Information = offsetof<FILE_ATTRIBUTE_TAG_INFORMATION>();
        break;
      }
      case FileAllInformation: {
        const name = offsetof<FILE_ALL_INFORMATION>("NameInformation_FileNameLength");
        FatWriteBasic(vcb, entry, NtAttributes(fcb), out + offsetof<FILE_ALL_INFORMATION>("BasicInformation_CreationTime"));
        FatWriteStandard(fcb, allocation, out + offsetof<FILE_ALL_INFORMATION>("StandardInformation_AllocationSize"));
        changetype<FILE_ALL_INFORMATION>(out).InternalInformation_IndexNumber = FatIndexNumber(fcb);
        status = FatWriteName(fcb, out + name, i.Length - name, irp);
        i.Information += name;
        break;
      }
      default:
        status = STATUS_INVALID_INFO_CLASS;
    }
  }
  FatReleaseVolume(vcb);
  ExFreePoolWithTag(entry, FAT_TAG);
  return status;
}

/** A FILE_STANDARD_INFORMATION at `out`. */
function FatWriteStandard(fcb: FCB, allocation: u64, out: usize): void {
  const t = changetype<FILE_STANDARD_INFORMATION>(out);
  memory.fill(out, 0, SIZEOF_FILE_STANDARD_INFORMATION);
  t.AllocationSize = <i64>allocation;
  t.EndOfFile = <i64>fcb.FileSize;
  t.NumberOfLinks = 1;
  t.DeletePending = <u8>(fcb.DeletePending != 0 ? 1 : 0);
  t.Directory = <u8>(fcb.IsDirectory != 0 ? 1 : 0);
}

/** FileInternalInformation's number: where the short entry is (directory, index), unique on the volume. */
@inline function FatIndexNumber(fcb: FCB): i64 { return (<i64>fcb.Directory << 32) | <i64>fcb.EntryIndex; }

/** FILE_NAME_INFORMATION: the path on the volume; STATUS_BUFFER_OVERFLOW with what fits. */
function FatWriteName(fcb: FCB, out: usize, length: u32, irp: usize): u32 {
  const fixed = offsetof<FILE_NAME_INFORMATION>("FileName");
  changetype<FILE_NAME_INFORMATION>(out).FileNameLength = fcb.PathLength;
  let n = fcb.PathLength;
  let status = STATUS_SUCCESS;
  if (fixed + n > length) { n = (length - fixed) & ~<u32>1; status = STATUS_BUFFER_OVERFLOW; }
  memory.copy(out + fixed, fcb.Path, n);
  changetype<IRP>(irp).Information = fixed + n;
  return status;
}

export function FatSetInformation(device: usize, irp: usize): u32 {
  const vcb = VcbOf(device);
  const i = changetype<IRP>(irp);
  const file = changetype<FILE_OBJECT>(i.FileObject);
  const f = file.FsContext;
  if (f == 0) return STATUS_INVALID_DEVICE_REQUEST; // an open without the file system's context (fuzz: services seed 4)
  const fcb = changetype<FCB>(f);
  const input = i.Buffer;
  FatAcquireVolume(vcb);
  let status = STATUS_SUCCESS;
  if (fcb.Gone != 0) status = STATUS_FILE_CORRUPT_ERROR;
  else switch (i.P0) {
    case FileBasicInformation: {
      const basic = changetype<FILE_BASIC_INFORMATION>(input);
      const attributes = basic.FileAttributes;
      if (fcb.Directory == ROOT_PARENT) break;
      if (attributes != 0) {
        if ((attributes & FILE_ATTRIBUTE_DIRECTORY) != 0 && fcb.IsDirectory == 0) { status = STATUS_INVALID_PARAMETER; break; }
        fcb.Attributes = (fcb.Attributes & ATTR_DIRECTORY) | (attributes & FILE_ATTRIBUTE_VALID_SET_FLAGS);
      }
      status = FatUpdateEntry(vcb, f, 0);
      if (!NT_SUCCESS(status)) break;
      // Times: 0 means "leave it", -1 "stop updating it" (taken as leave it here).
      const written = <u64>basic.LastWriteTime, created = <u64>basic.CreationTime, accessed = <u64>basic.LastAccessTime;
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
      const del = changetype<FILE_DISPOSITION_INFORMATION>(input).DeleteFile != 0;
      if (!del) { fcb.DeletePending = 0; break; }
      if (fcb.Directory == ROOT_PARENT || (fcb.Attributes & ATTR_READ_ONLY) != 0) { status = STATUS_CANNOT_DELETE; break; }
      if (fcb.IsDirectory != 0 && !FatIsDirectoryEmpty(vcb, fcb.FirstCluster)) { status = STATUS_DIRECTORY_NOT_EMPTY; break; }
      fcb.DeletePending = 1;
      break;
    }
    case FileEndOfFileInformation:
    case FileAllocationInformation: {
      if (fcb.IsDirectory != 0) { status = STATUS_INVALID_PARAMETER; break; }
      const size = <u64>changetype<FILE_END_OF_FILE_INFORMATION>(input).EndOfFile; // FILE_ALLOCATION_INFORMATION alike
      if (i.P0 == FileEndOfFileInformation && (i.P1 & IO_PAGING_FILE) != 0 && size > <u64>fcb.FileSize) {
        // The paging file (IoSetPagingFileSize): its clusters, one run where the
        // volume has one, are not zeroed: nothing reads a page before writing it.
        if (size > 0xFFFFFFFF) { status = STATUS_DISK_FULL; break; }
        status = FatEnsureClusters(vcb, f, ClustersFor(vcb, size), false);
        if (NT_SUCCESS(status)) { fcb.FileSize = <u32>size; status = FatUpdateEntry(vcb, f, TOUCH_WRITE); }
        if (NT_SUCCESS(status)) fcb.PagingRun = FatIsOneRun(vcb, f) ? 1 : 0;
      } else if (i.P0 == FileEndOfFileInformation) status = FatSetFileSize(vcb, f, size, false);
      else if (size < <u64>fcb.FileSize) status = FatSetFileSize(vcb, f, size, false);
      else if (size > 0xFFFFFFFF) status = STATUS_DISK_FULL;
      else {
        status = FatEnsureClusters(vcb, f, ClustersFor(vcb, size), false);
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

/** True when `path` (bytes) starts with the directory `prefix` followed by a backslash (case-insensitive). */
function IsUnder(path: usize, pathLength: u32, prefix: usize, prefixLength: u32): bool {
  if (pathLength <= prefixLength || load<u16>(path + prefixLength) != 0x5C) return false;
  return FatEqualNames(path, prefix, prefixLength >> 1);
}

function FatRename(vcb: usize, f: usize, target: usize, replace: bool): u32 {
  const fcb = changetype<FCB>(f);
  if (fcb.Directory == ROOT_PARENT) return STATUS_INVALID_PARAMETER;
  const path = changetype<UNICODE_STRING>(target).Buffer;
  const length = <u32>changetype<UNICODE_STRING>(target).Length;
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
    if (!FatLookup(vcb, scan, path + nameStart, nameLength) || (<u32>changetype<FAT_DIRENT>(ScanEntry(scan)).Attr & ATTR_DIRECTORY) == 0) {
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
    } else if (changetype<DIRSCAN>(scan).Status != STATUS_SUCCESS) {
      status = changetype<DIRSCAN>(scan).Status;
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
    if (data == 0) status = FatCacheReadStatus(vcb);
    else if (load<u8>(data, 32) == 0x2E && load<u8>(data, 33) == 0x2E) {
      SetEntryCluster(data + 32, directory == FatRootCluster(vcb) ? 0 : directory);
      status = FatCacheWrite(vcb, sector, data);
    }
  }
  if (NT_SUCCESS(status)) {
    fcb.Directory = directory;
    fcb.FirstIndex = first;
    fcb.EntryIndex = first + count - 1;
    const copy = ExAllocatePoolWithQuotaTag(NonPagedPool, length + 2, 0x46746146);
    if (copy != 0) {
      memory.copy(copy, path, length);
      if (fcb.Path != 0) ExFreePoolWithQuotaTag(fcb.Path, 0x46746146);
      fcb.Path = copy;
      fcb.PathLength = length;
    }
  }
  FatFreeScan(scan);
  ExFreePoolWithTag(entries, FAT_TAG);
  return status;
}
