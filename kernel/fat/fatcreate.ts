// The FAT file system driver: IRP_MJ_CREATE (open or make a file or
// directory), and the end of an open (IRP_MJ_CLEANUP, IRP_MJ_CLOSE).
//
// NT semantics kept: dispositions (SUPERSEDE, OPEN, CREATE, OPEN_IF,
// OVERWRITE, OVERWRITE_IF) and their results; FILE_DIRECTORY_FILE /
// FILE_NON_DIRECTORY_FILE (STATUS_NOT_A_DIRECTORY, STATUS_FILE_IS_A_DIRECTORY);
// read-only files refuse write access, overwrite and delete
// (STATUS_ACCESS_DENIED, STATUS_CANNOT_DELETE); share access
// (STATUS_SHARING_VIOLATION); delete on close (the file goes when its last
// open is cleaned up). A locked volume (FSCTL_LOCK_VOLUME) opens nothing.

import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { ExAllocatePoolWithQuotaTag, ExFreePoolWithQuotaTag } from "../ex/quota";
import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import {
  FILE_APPEND_DATA, FILE_ATTRIBUTE_VALID_SET_FLAGS, FILE_CREATE, FILE_CREATED, FILE_DELETE_ON_CLOSE, FILE_DIRECTORY_FILE,
  FILE_NON_DIRECTORY_FILE, FILE_OBJECT, FILE_OPEN, FILE_OPEN_IF, FILE_OPENED, FILE_OVERWRITE, FILE_OVERWRITE_IF, FILE_OVERWRITTEN,
  FILE_SUPERSEDE, FILE_SUPERSEDED, FILE_WRITE_DATA, FO_DELETE_ON_CLOSE, IRP,
} from "../io/iop";
import {
  FAT_TAG, FatAcquireVolume, FatAllocateCluster, FatCacheRead, FatCacheReadStatus, FatCacheWrite, FatClusterSector, FatFreeChain,
  FatNow, FatReleaseVolume, FatZeroCluster, VCB,
} from "./fatvol";
import {
  DIRSCAN, END_OF_DIRECTORY, EntryCluster, FatBuildEntries, FatFindFreeRun, FatFreeScan, FatIsDirectoryEmpty, FatIsValidName,
  FatLookup, FatNewScan, FatWriteEntries, ScanEntry, SetEntryCluster,
} from "./fatdir";
import {
  CCB, FCB, FatCheckShareAccess, FatDeleteOnDisk, FatFcbFromScan, FatFindFcb, FatNewFcb, FatReleaseFcb, FatReleaseFcbUnused,
  FatRootCluster, FatUncount, FatUpdateEntry, NextComponent, ROOT_PARENT, SIZEOF_CCB, TOUCH_WRITE, VcbOf,
} from "./fatfcb";
import { ATTR_ARCHIVE, ATTR_DIRECTORY, ATTR_READ_ONLY, FAT_DIRENT } from "../sdk/fat";
import {
  NT_SUCCESS, STATUS_ACCESS_DENIED, STATUS_CANNOT_DELETE, STATUS_DELETE_PENDING, STATUS_FILE_IS_A_DIRECTORY,
  STATUS_INSUFFICIENT_RESOURCES, STATUS_NOT_A_DIRECTORY, STATUS_OBJECT_NAME_COLLISION, STATUS_OBJECT_NAME_INVALID,
  STATUS_OBJECT_NAME_NOT_FOUND, STATUS_OBJECT_PATH_NOT_FOUND, STATUS_SUCCESS,
} from "../sdk/ntstatus";

/** Creates a new entry `name` in `directory` for a file or directory; the scan gets the found fields of it. */
function FatCreateEntry(vcb: usize, directory: u32, name: usize, length: u32, attributes: u32, isDirectory: bool, scan: usize): u32 {
  const entries = ExAllocatePoolWithTag(NonPagedPool, 768, FAT_TAG);
  if (entries == 0) return STATUS_INSUFFICIENT_RESOURCES;
  let status = STATUS_SUCCESS;
  const count = FatBuildEntries(vcb, directory, name, length, entries, END_OF_DIRECTORY);
  if (count == 0) status = STATUS_OBJECT_NAME_COLLISION;
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
      if (data == 0) status = FatCacheReadStatus(vcb);
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

export function FatCreate(device: usize, irp: usize): u32 {
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
  // The open's own data is the opener's pool: charged to its process (ex/quota.ts).
  const reason = KeAllocateScratch(4);
  const c = scan != 0 ? ExAllocatePoolWithQuotaTag(NonPagedPool, SIZEOF_CCB, 0x43746146, reason) : 0; // 'FatC'
  const refused = scan != 0 ? load<u32>(reason) : STATUS_INSUFFICIENT_RESOURCES;
  KeFreeScratch(reason);
  if (scan == 0 || c == 0) {
    if (scan != 0) FatFreeScan(scan);
    return refused;
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
        status = changetype<DIRSCAN>(scan).Status != STATUS_SUCCESS ? changetype<DIRSCAN>(scan).Status : STATUS_OBJECT_PATH_NOT_FOUND;
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
      if (!exists && changetype<DIRSCAN>(scan).Status != STATUS_SUCCESS) status = changetype<DIRSCAN>(scan).Status;
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
    ExFreePoolWithQuotaTag(c, 0x43746146);
    return status;
  }
  changetype<FCB>(f).References++;
  file.FsContext = f;
  file.FsContext2 = c;
  i.Information = result;
  return STATUS_SUCCESS;
}


// ---- the end of an open ----

export function FatCleanup(device: usize, irp: usize): u32 {
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

export function FatClose(device: usize, irp: usize): u32 {
  const vcb = VcbOf(device);
  const i = changetype<IRP>(irp);
  const file = changetype<FILE_OBJECT>(i.FileObject);
  const f = file.FsContext;
  const c = file.FsContext2;
  FatAcquireVolume(vcb);
  if (c != 0) {
    const ccb = changetype<CCB>(c);
    if (ccb.Pattern != 0) ExFreePoolWithQuotaTag(ccb.Pattern, 0x43746146);
    ExFreePoolWithQuotaTag(c, 0x43746146);
  }
  if (f != 0) {
    // A file whose last CLEANUP found another open still referenced (its CLOSE not yet heard) goes with the last CLOSE.
    const fcb = changetype<FCB>(f);
    if (fcb.References == 1 && fcb.DeletePending != 0 && fcb.Gone == 0
        && FatDeleteOnDisk(vcb, fcb.Directory, fcb.FirstIndex, fcb.EntryIndex, fcb.FirstCluster) == STATUS_SUCCESS) fcb.Gone = 1;
    FatReleaseFcb(vcb, f);
  }
  FatReleaseVolume(vcb);
  return STATUS_SUCCESS;
}
