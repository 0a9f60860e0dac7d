// Whole-file helpers for kernel components: the configuration manager loads
// and saves hives with them. They run on a system thread (they wait for the
// disk) and never under the object manager's lock.

import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import { RtlInitUnicodeString } from "../rtl/unicode";
import { InitializeObjectAttributes, DELETE, SYNCHRONIZE } from "../ob/obp";
import { ObDereferenceObject } from "../ob/obref";
import { IoFileInformation, IoOpenFileObject } from "./create";
import { IoTransferFile } from "./iofunc";
import { IopProcessDeferredCloses } from "./iomgr";
import {
  FILE_OPEN, FILE_OPEN_IF, FILE_OVERWRITE_IF, FILE_NON_DIRECTORY_FILE, FILE_READ_DATA, FILE_SHARE_READ, FILE_WRITE_DATA,
  FILE_WRITE_THROUGH, FILE_READ_ATTRIBUTES, IRP_MJ_FLUSH_BUFFERS, IRP_MJ_QUERY_INFORMATION, IRP_MJ_READ,
  IRP_MJ_SET_INFORMATION, IRP_MJ_WRITE,
} from "./iop";
import { NT_SUCCESS, STATUS_FILE_INVALID, STATUS_INSUFFICIENT_RESOURCES, STATUS_OBJECT_NAME_INVALID } from "../sdk/ntstatus";
import { OBJ_CASE_INSENSITIVE, UNICODE_STRING } from "../sdk/ntdef";
import {
  FILE_STANDARD_INFORMATION, FileStandardInformation, FileEndOfFileInformation, FileDispositionInformation, SIZEOF_FILE_STANDARD_INFORMATION,
} from "../sdk/fileinfo";

const TAG: u32 = 0x6C466F49; // 'IoFl'
// A block: +0 UNICODE_STRING, +8 OBJECT_ATTRIBUTES (24), +32 file, +36 information, +40 FILE_STANDARD_INFORMATION (24)
const SIZE: u32 = 64;

function IopOpen(block: usize, path: string, access: u32, disposition: u32): u32 {
  RtlInitUnicodeString(block, path);
  return IopOpenInitialized(block, access, disposition);
}

/** IopOpen with the UNICODE_STRING at `block` already filled in. */
function IopOpenInitialized(block: usize, access: u32, disposition: u32): u32 {
  InitializeObjectAttributes(block + 8, block, OBJ_CASE_INSENSITIVE, 0, 0);
  return IoOpenFileObject(block + 8, access | SYNCHRONIZE, disposition, FILE_NON_DIRECTORY_FILE | FILE_WRITE_THROUGH, 0,
                          FILE_SHARE_READ, block + 36, block + 32);
}

/**
 * Reads the whole file at `path` (an NT path such as
 * "\\SystemRoot\\System32\\config\\SYSTEM"). On success stores at
 * `result` a pointer to a nonpaged pool block holding the bytes (tag `tag`,
 * the caller frees it with ExFreePoolWithTag) and at `result + 4` the length.
 * STATUS_OBJECT_NAME_NOT_FOUND / STATUS_OBJECT_PATH_NOT_FOUND when it is missing.
 */
export function IoLoadFile(path: string, tag: u32, result: usize): u32 {
  return IoLoadFileCounted(changetype<usize>(path), <u32>path.length << 1, tag, result);
}

/**
 * IoLoadFile for a path that is `bytes` bytes of UTF-16 at `path` (kernel
 * memory, a UNICODE_STRING's buffer): the kernel has no heap to make an
 * AssemblyScript string of it.
 */
export function IoLoadFileCounted(path: usize, bytes: u32, tag: u32, result: usize): u32 {
  store<usize>(result, 0);
  store<u32>(result, 0, 4);
  if (bytes > 0xFFFE) return STATUS_OBJECT_NAME_INVALID;
  const block = ExAllocatePoolWithTag(NonPagedPool, SIZE, TAG);
  if (block == 0) return STATUS_INSUFFICIENT_RESOURCES;
  const name = changetype<UNICODE_STRING>(block);
  name.Length = <u16>bytes;
  name.MaximumLength = <u16>bytes;
  name.Buffer = path;
  let status = IopOpenInitialized(block, FILE_READ_DATA | FILE_READ_ATTRIBUTES, FILE_OPEN);
  if (NT_SUCCESS(status)) {
    const file = load<usize>(block, 32);
    status = IoFileInformation(file, IRP_MJ_QUERY_INFORMATION, FileStandardInformation, block + 40, SIZEOF_FILE_STANDARD_INFORMATION, 0);
    const size = <u64>changetype<FILE_STANDARD_INFORMATION>(block + 40).EndOfFile;
    if (NT_SUCCESS(status) && size > 0x10000000) status = STATUS_FILE_INVALID; // 256 MiB: not a file to load whole
    let data: usize = 0;
    if (NT_SUCCESS(status)) {
      data = ExAllocatePoolWithTag(NonPagedPool, size != 0 ? <u32>size : 1, tag);
      if (data == 0) status = STATUS_INSUFFICIENT_RESOURCES;
    }
    if (NT_SUCCESS(status) && size != 0) {
      status = IoTransferFile(file, IRP_MJ_READ, 0, data, <u32>size, block + 36);
      if (NT_SUCCESS(status) && load<u32>(block, 36) != <u32>size) status = STATUS_FILE_INVALID;
    }
    if (NT_SUCCESS(status)) {
      store<usize>(result, data);
      store<u32>(result, <u32>size, 4);
    } else if (data != 0) {
      ExFreePoolWithTag(data, tag);
    }
    ObDereferenceObject(file);
    IopProcessDeferredCloses();
  }
  ExFreePoolWithTag(block, TAG);
  return status;
}

/**
 * Creates or replaces the file at `path` with exactly `length` bytes from
 * `buffer`, and flushes it to the disk before returning.
 */
export function IoSaveFile(path: string, buffer: usize, length: u32): u32 {
  const block = ExAllocatePoolWithTag(NonPagedPool, SIZE, TAG);
  if (block == 0) return STATUS_INSUFFICIENT_RESOURCES;
  let status = IopOpen(block, path, FILE_WRITE_DATA | FILE_READ_ATTRIBUTES, FILE_OVERWRITE_IF);
  if (NT_SUCCESS(status)) {
    const file = load<usize>(block, 32);
    if (length != 0) status = IoTransferFile(file, IRP_MJ_WRITE, 0, buffer, length, block + 36);
    if (NT_SUCCESS(status)) status = IoTransferFile(file, IRP_MJ_FLUSH_BUFFERS, 0, 0, 0, block + 36);
    ObDereferenceObject(file);
    IopProcessDeferredCloses();
  }
  ExFreePoolWithTag(block, TAG);
  return status;
}

/**
 * Opens (creating it when missing, never truncating) the file at `path` for
 * writing in place, and stores the referenced file object at `result`:
 * what a component that rewrites a file's blocks in a chosen order uses
 * (the configuration manager's hive writes). Close it with IoCloseFile.
 */
export function IoOpenFileForUpdate(path: string, result: usize): u32 {
  store<usize>(result, 0);
  const block = ExAllocatePoolWithTag(NonPagedPool, SIZE, TAG);
  if (block == 0) return STATUS_INSUFFICIENT_RESOURCES;
  const status = IopOpen(block, path, FILE_WRITE_DATA | FILE_READ_DATA | FILE_READ_ATTRIBUTES | DELETE, FILE_OPEN_IF);
  if (NT_SUCCESS(status)) store<usize>(result, load<usize>(block, 32));
  ExFreePoolWithTag(block, TAG);
  return status;
}

/** Writes `length` bytes at byte `offset` of an open file, then flushes the file to the disk. */
export function IoWriteFileAt(file: usize, offset: u64, buffer: usize, length: u32): u32 {
  const information = KeAllocateScratch(4); // the caller's own: these helpers run on any thread
  let status = IoTransferFile(file, IRP_MJ_WRITE, offset, buffer, length, information);
  if (NT_SUCCESS(status) && load<u32>(information) != length) status = STATUS_FILE_INVALID;
  if (NT_SUCCESS(status)) status = IoTransferFile(file, IRP_MJ_FLUSH_BUFFERS, 0, 0, 0, information);
  KeFreeScratch(information);
  return status;
}

/** The end-of-file of an open file at `size` (u64). */
export function IoQueryFileSize(file: usize, size: usize): u32 {
  const standard = KeAllocateScratch(SIZEOF_FILE_STANDARD_INFORMATION);
  const status = IoFileInformation(file, IRP_MJ_QUERY_INFORMATION, FileStandardInformation, standard, SIZEOF_FILE_STANDARD_INFORMATION, 0);
  store<u64>(size, NT_SUCCESS(status) ? <u64>changetype<FILE_STANDARD_INFORMATION>(standard).EndOfFile : 0);
  KeFreeScratch(standard);
  return status;
}

/** Sets the end-of-file of an open file (growing allocates and zero-fills before the entry names the clusters). */
export function IoSetFileSize(file: usize, size: u64): u32 {
  const information = KeAllocateScratch(8);
  store<u64>(information, size);
  const status = IoFileInformation(file, IRP_MJ_SET_INFORMATION, FileEndOfFileInformation, information, 8, 0);
  KeFreeScratch(information);
  return status;
}

/** Marks an open file (opened by IoOpenFileForUpdate) for deletion; it goes when IoCloseFile lets it go. */
export function IoMarkFileForDelete(file: usize): u32 {
  const information = KeAllocateScratch(4);
  store<u8>(information, 1);
  const status = IoFileInformation(file, IRP_MJ_SET_INFORMATION, FileDispositionInformation, information, 1, 0);
  KeFreeScratch(information);
  return status;
}

/** Lets go of a file object from IoOpenFileForUpdate (the driver hears CLEANUP and CLOSE now). */
export function IoCloseFile(file: usize): void {
  ObDereferenceObject(file);
  IopProcessDeferredCloses();
}
