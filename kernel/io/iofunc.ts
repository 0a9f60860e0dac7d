// I/O services on file handles: NtReadFile, NtWriteFile,
// NtQueryInformationFile, NtSetInformationFile, NtQueryDirectoryFile,
// NtQueryVolumeInformationFile, NtFlushBuffersFile, NtDeviceIoControlFile,
// NtFsControlFile; and IoReadFile/IoWriteFile for kernel components.
//
// Each service references the handle's file object with the rights the
// operation needs (FILE_READ_DATA to read, ...: STATUS_ACCESS_DENIED
// otherwise), moves the caller's data through a kernel buffer of at most
// IO_CHUNK bytes at a time (drivers never touch user memory), and writes the
// IO_STATUS_BLOCK. All I/O is synchronous; an Event handle, when given, is
// set when the request is done. Without a ByteOffset (or with
// FILE_USE_FILE_POINTER_POSITION) the file's current position is used, and
// every read or write moves it.

import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { ExCopyFromUser, ExCopyToUser, ExWriteUserUlong, ProbeUserRange } from "../ke/probe";
import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import { ExAllocatePoolWithQuotaTag, ExFreePoolWithQuotaTag } from "../ex/quota";
import {
  FILE_ALL_INFORMATION, FileAccessInformation, FileAlignmentInformation, FileAllocationInformation, FileAllInformation,
  FileAttributeTagInformation, FileBasicInformation, FileBothDirectoryInformation, FileDirectoryInformation,
  FileDispositionInformation, FileEaInformation, FileEndOfFileInformation, FileFsAttributeInformation,
  FileFsDeviceInformation, FileFsFullSizeInformation, FileFsSizeInformation, FileFsVolumeInformation,
  FileFullDirectoryInformation, FileInternalInformation, FileModeInformation, FileNameInformation, FileNamesInformation,
  FileNetworkOpenInformation, FilePositionInformation, FileRenameInformation, FileStandardInformation,
  FILE_DISPOSITION_INFORMATION, FILE_END_OF_FILE_INFORMATION, FILE_POSITION_INFORMATION, FILE_RENAME_INFORMATION,
  SIZEOF_FILE_BASIC_INFORMATION, FILE_ATTRIBUTE_TAG_INFORMATION, FILE_INTERNAL_INFORMATION,
  SIZEOF_FILE_STANDARD_INFORMATION, SIZEOF_FILE_NETWORK_OPEN_INFORMATION, SIZEOF_FILE_FS_SIZE_INFORMATION,
  SIZEOF_FILE_FS_FULL_SIZE_INFORMATION, FILE_EA_INFORMATION, FILE_ACCESS_INFORMATION, FILE_MODE_INFORMATION, FILE_ALIGNMENT_INFORMATION,
  FILE_ALLOCATION_INFORMATION, FILE_FS_VOLUME_INFORMATION, FILE_FS_DEVICE_INFORMATION, FILE_FS_ATTRIBUTE_INFORMATION,
  SIZEOF_FILE_NAME_INFORMATION, SIZEOF_FILE_ALL_INFORMATION,
} from "../sdk/fileinfo";
import { KeSetEvent, KeResetEvent } from "../ke/wait";
import { ExEventObjectType } from "../ex/sync";
import { ObReferenceObjectByHandle } from "../ob/obhandle";
import { ObReferenceObjectByAttributes } from "../ob/obname";
import { ObDereferenceObject } from "../ob/obref";
import { DELETE, InitializeObjectAttributes } from "../ob/obp";
import { IoAllocateIrp, IoCallDriver, IoFileObjectType, IoFreeIrp, IopProcessDeferredCloses, IoTransfer } from "./iomgr";
import { IoFileInformation } from "./create";
import {
  DEVICE_OBJECT, FILE_APPEND_DATA, FILE_OBJECT, FILE_READ_ATTRIBUTES, FILE_READ_DATA, FILE_WRITE_ATTRIBUTES, FO_VOLUME_OPEN,
  FILE_WRITE_DATA, FileObjectName, FO_SYNCHRONOUS_IO, IO_BUFFER_TAG, IRP, IRP_MJ_DEVICE_CONTROL, IRP_MJ_DIRECTORY_CONTROL,
  IRP_MJ_FILE_SYSTEM_CONTROL, IRP_MJ_FLUSH_BUFFERS, IRP_MJ_QUERY_INFORMATION, IRP_MJ_QUERY_VOLUME_INFORMATION, IRP_MJ_READ,
  IRP_MJ_SET_INFORMATION, IRP_MJ_WRITE, SL_RESTART_SCAN, SL_RETURN_SINGLE_ENTRY, FILE_DEVICE_IS_MOUNTED, IO_PAGING_FILE,
} from "./iop";
import {
  NT_SUCCESS, STATUS_ACCESS_DENIED, STATUS_ACCESS_VIOLATION, STATUS_BUFFER_OVERFLOW,
  STATUS_END_OF_FILE, STATUS_INFO_LENGTH_MISMATCH, STATUS_INSUFFICIENT_RESOURCES,
  STATUS_INVALID_HANDLE, STATUS_INVALID_INFO_CLASS, STATUS_INVALID_PARAMETER,
  STATUS_NOT_SAME_DEVICE, STATUS_OBJECT_NAME_INVALID, STATUS_SUCCESS,
} from "../sdk/ntstatus";
import { InitializeCountedString, IO_STATUS_BLOCK, OBJ_CASE_INSENSITIVE } from "../sdk/ntdef";

/** The most a request moves at once; longer reads and writes are split. */
const IO_CHUNK: u32 = 65536;
/** The largest information buffer a query takes (directory listings). */
const IO_MAX_INFORMATION: u32 = 65536;
/** ByteOffset.HighPart -1 with these LowParts (ntioapi.h). */
const FILE_WRITE_TO_END_OF_FILE: u32 = 0xFFFFFFFF;
const FILE_USE_FILE_POINTER_POSITION: u32 = 0xFFFFFFFE;

const CONTEXT_TAG: u32 = 0x66436F49; // 'IoCf'

/** References the file behind `handle` with `access`; the status goes to `status`. */
function IopReferenceFile(handle: u32, access: u32, out: usize): u32 {
  IopProcessDeferredCloses();
  return ObReferenceObjectByHandle(handle, access, IoFileObjectType, out, 0);
}

/** References an optional event handle; resets it. */
function IopReferenceEvent(handle: u32, out: usize): u32 {
  store<usize>(out, 0);
  if (handle == 0) return STATUS_SUCCESS;
  const status = ObReferenceObjectByHandle(handle, 0x0002, ExEventObjectType, out, 0); // EVENT_MODIFY_STATE
  if (NT_SUCCESS(status)) KeResetEvent(load<usize>(out));
  return status;
}

function IopFinishEvent(event: usize): void {
  if (event != 0) { KeSetEvent(event); ObDereferenceObject(event); }
}

function IopWriteIoStatus(ioStatusBlock: usize, status: u32, information: u32): void {
  // Guarded stores: the block was probed before the request, and may be gone after it (nothing to report then).
  if (ExWriteUserUlong(ioStatusBlock + offsetof<IO_STATUS_BLOCK>("Status"), status)) ExWriteUserUlong(ioStatusBlock + offsetof<IO_STATUS_BLOCK>("Information"), information);
}

/** The IO_STATUS_BLOCK of a request that succeeded, or filled the buffer as far as it went (STATUS_BUFFER_OVERFLOW). */
function IopReportStatus(ioStatusBlock: usize, status: u32, information: u32): void {
  if (NT_SUCCESS(status) || status == STATUS_BUFFER_OVERFLOW) IopWriteIoStatus(ioStatusBlock, status, information);
}

/** The end of a file service: the file's reference and the service's context go; the status is returned. */
function IopEndService(file: usize, context: usize, status: u32): u32 {
  ObDereferenceObject(file);
  ExFreePoolWithTag(context, CONTEXT_TAG);
  return status;
}

// ---- kernel-side transfers ----

/**
 * Reads or writes `length` bytes of kernel memory at `offset` of `file`
 * (offset 0xFFFFFFFF_FFFFFFFF with a write: at the end of the file). The
 * bytes moved go to `information` (when not 0). `paging`: paging I/O on the
 * paging file (whole sectors), as the memory manager pages to it.
 */
export function IoTransferFile(file: usize, major: u32, offset: u64, buffer: usize, length: u32, information: usize,
                               paging: bool = false): u32 {
  return IoTransfer(changetype<FILE_OBJECT>(file).DeviceObject, file, major, offset, buffer, length, information, paging);
}

/**
 * Sends `major` with parameters P0-P3 to the driver of `file` through one
 * kernel buffer (METHOD_BUFFERED): `inputLength` bytes from `input` go in
 * first, and on success (or STATUS_BUFFER_OVERFLOW) the bytes the driver
 * reports, at most `outputLength`, come back to `output`. The count goes to
 * `information`. The IRP's Length is the input's length when there is
 * input, else the output's.
 */
/**
 * Where a request on `file` goes: its device, except that a file system
 * control request on a raw open of a partition (\\??\\C: with no path) goes
 * to the file system mounted there, as NT's volume opens do: that is how a
 * checker locks the volume it writes directly (FSCTL_LOCK_VOLUME).
 */
function IopControlTarget(file: usize, major: u32): usize {
  const f = changetype<FILE_OBJECT>(file);
  if (major == IRP_MJ_FILE_SYSTEM_CONTROL && (f.Flags & FO_VOLUME_OPEN) != 0) {
    const mounted = changetype<DEVICE_OBJECT>(f.DeviceObject).MountedVolume;
    if (mounted != 0) return mounted;
  }
  return f.DeviceObject;
}

function IopBufferedRequest(file: usize, major: u32, p0: u32, p1: u32, p2: usize, p3: u32, input: usize, inputLength: u32,
                            output: usize, outputLength: u32, information: usize): u32 {
  store<u32>(information, 0);
  const size = outputLength > inputLength ? outputLength : inputLength;
  // The system buffer and the IRP are the caller's pool: charged to its process (ex/quota.ts).
  const kernel = ExAllocatePoolWithQuotaTag(NonPagedPool, size != 0 ? size : 4, IO_BUFFER_TAG, information);
  if (kernel == 0) { const refused = load<u32>(information); store<u32>(information, 0); return refused; }
  const irp = IoAllocateIrp(major, IopControlTarget(file, major), file, true, information);
  if (irp == 0) { const refused = load<u32>(information); store<u32>(information, 0); ExFreePoolWithQuotaTag(kernel, IO_BUFFER_TAG); return refused; }
  store<u32>(information, 0);
  // The caller's input is read once, here; its output is written once, below (both guarded).
  if (inputLength != 0 && !ExCopyFromUser(kernel, input, inputLength)) {
    IoFreeIrp(irp);
    ExFreePoolWithQuotaTag(kernel, IO_BUFFER_TAG);
    return STATUS_ACCESS_VIOLATION;
  }
  const i = changetype<IRP>(irp);
  i.P0 = p0; i.P1 = p1; i.P2 = p2; i.P3 = p3;
  i.Buffer = kernel;
  i.Length = inputLength != 0 ? inputLength : outputLength;
  let status = IoCallDriver(irp);
  let moved = i.Information;
  if (moved > outputLength) moved = outputLength;
  if (NT_SUCCESS(status) || status == STATUS_BUFFER_OVERFLOW) {
    if (ExCopyToUser(output, kernel, moved)) store<u32>(information, moved);
    else status = STATUS_ACCESS_VIOLATION;
  }
  IoFreeIrp(irp);
  ExFreePoolWithQuotaTag(kernel, IO_BUFFER_TAG);
  return status;
}

/**
 * Sets the size of the paging file `file` (a referenced file object) to
 * `size` bytes through its file system, flagged IO_PAGING_FILE: one
 * contiguous run where the volume has one, not zero-filled (Mm's
 * NtCreatePagingFile).
 */
export function IoSetPagingFileSize(file: usize, size: u64): u32 {
  const irp = IoAllocateIrp(IRP_MJ_SET_INFORMATION, changetype<FILE_OBJECT>(file).DeviceObject, file);
  const kernel = ExAllocatePoolWithTag(NonPagedPool, 8, IO_BUFFER_TAG);
  if (irp == 0 || kernel == 0) {
    if (irp != 0) IoFreeIrp(irp);
    if (kernel != 0) ExFreePoolWithTag(kernel, IO_BUFFER_TAG);
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  store<u64>(kernel, size);
  const i = changetype<IRP>(irp);
  i.P0 = FileEndOfFileInformation;
  i.P1 = IO_PAGING_FILE;
  i.Buffer = kernel;
  i.Length = 8;
  const status = IoCallDriver(irp);
  IoFreeIrp(irp);
  ExFreePoolWithTag(kernel, IO_BUFFER_TAG);
  return status;
}

/** Marks `file` (a referenced file object) for deletion when its last handle and reference go (FileDispositionInformation). */
export function IoSetDeleteFile(file: usize): u32 {
  const flag = ExAllocatePoolWithTag(NonPagedPool, 4, IO_BUFFER_TAG);
  if (flag == 0) return STATUS_INSUFFICIENT_RESOURCES;
  store<u32>(flag, 1);
  const status = IoFileInformation(file, IRP_MJ_SET_INFORMATION, FileDispositionInformation, flag, 4, 0);
  ExFreePoolWithTag(flag, IO_BUFFER_TAG);
  return status;
}

// ---- read and write ----

function IopReadWrite(write: bool, fileHandle: u32, eventHandle: u32, ioStatusBlock: usize, buffer: usize, length: u32,
                      byteOffset: usize): u32 {
  if (!ProbeUserRange(ioStatusBlock, 8, 4)) return STATUS_ACCESS_VIOLATION;
  // The buffer: a range check. The device may take long, and the buffer may be gone by the time
  // the data is there: the copies below are guarded (ke/probe.ts) and answer STATUS_ACCESS_VIOLATION.
  if (!ProbeUserRange(buffer, length, 1)) return STATUS_ACCESS_VIOLATION;
  let offsetLow: u32 = FILE_USE_FILE_POINTER_POSITION, offsetHigh: u32 = 0xFFFFFFFF;
  if (byteOffset != 0) {
    const cell = KeAllocateScratch(8); // read once
    const ok = ProbeUserRange(byteOffset, 8, 4) && ExCopyFromUser(cell, byteOffset, 8);
    offsetLow = load<u32>(cell);
    offsetHigh = load<u32>(cell, 4);
    KeFreeScratch(cell);
    if (!ok) return STATUS_ACCESS_VIOLATION;
  }
  const context = ExAllocatePoolWithTag(NonPagedPool, 16, CONTEXT_TAG);
  if (context == 0) return STATUS_INSUFFICIENT_RESOURCES;
  let status = IopReferenceFile(fileHandle, 0, context);
  if (!NT_SUCCESS(status)) { ExFreePoolWithTag(context, CONTEXT_TAG); return status; }
  const file = load<usize>(context);
  const f = changetype<FILE_OBJECT>(file);
  // The rights: checked against what the handle was granted.
  status = ObReferenceObjectByHandle(fileHandle, write ? 0 : FILE_READ_DATA, IoFileObjectType, context + 12, 0);
  if (NT_SUCCESS(status)) ObDereferenceObject(load<usize>(context + 12));
  let append = false;
  if (write && NT_SUCCESS(status)) {
    // FILE_WRITE_DATA writes anywhere; FILE_APPEND_DATA alone only at the end.
    if (NT_SUCCESS(ObReferenceObjectByHandle(fileHandle, FILE_WRITE_DATA, IoFileObjectType, context + 12, 0))) {
      ObDereferenceObject(load<usize>(context + 12));
    } else if (NT_SUCCESS(ObReferenceObjectByHandle(fileHandle, FILE_APPEND_DATA, IoFileObjectType, context + 12, 0))) {
      ObDereferenceObject(load<usize>(context + 12));
      append = true;
    } else {
      status = STATUS_ACCESS_DENIED;
    }
  }
  if (NT_SUCCESS(status)) status = IopReferenceEvent(eventHandle, context + 4);
  if (!NT_SUCCESS(status)) {
    ObDereferenceObject(file);
    ExFreePoolWithTag(context, CONTEXT_TAG);
    return status;
  }
  let offset: u64;
  let toEnd = append;
  if (offsetHigh == 0xFFFFFFFF && offsetLow == FILE_USE_FILE_POINTER_POSITION) {
    offset = (<u64>f.CurrentByteOffsetHigh << 32) | <u64>f.CurrentByteOffsetLow;
  } else if (write && offsetHigh == 0xFFFFFFFF && offsetLow == FILE_WRITE_TO_END_OF_FILE) {
    offset = 0; toEnd = true;
  } else if ((offsetHigh & 0x80000000) != 0) {
    status = STATUS_INVALID_PARAMETER;
    offset = 0;
  } else {
    offset = (<u64>offsetHigh << 32) | <u64>offsetLow;
  }
  let done: u32 = 0;
  let kernel: usize = 0;
  if (NT_SUCCESS(status) && length != 0) {
    // The transfer buffer is the caller's pool: charged to its process (ex/quota.ts).
    kernel = ExAllocatePoolWithQuotaTag(NonPagedPool, length < IO_CHUNK ? length : IO_CHUNK, IO_BUFFER_TAG, context + 12);
    if (kernel == 0) status = load<u32>(context + 12);
  }
  if (NT_SUCCESS(status) && length == 0 && !write) {
    // A read of nothing still reports the end of the file (NT checks the offset against the size).
    status = IoTransferFile(file, IRP_MJ_READ, offset, context, 0, context + 8);
  }
  while (NT_SUCCESS(status) && done < length) {
    const n = length - done < IO_CHUNK ? length - done : IO_CHUNK;
    if (write && !ExCopyFromUser(kernel, buffer + done, n)) { status = STATUS_ACCESS_VIOLATION; break; }
    const at: u64 = toEnd ? 0xFFFFFFFFFFFFFFFF : offset + <u64>done;
    const s = IoTransferFile(file, write ? IRP_MJ_WRITE : IRP_MJ_READ, at, kernel, n, context + 8);
    const moved = load<u32>(context + 8);
    if (!write && moved != 0 && !ExCopyToUser(buffer + done, kernel, moved)) { status = STATUS_ACCESS_VIOLATION; break; }
    if (!NT_SUCCESS(s)) {
      if (!(s == STATUS_END_OF_FILE && done != 0)) status = s; // a read that got something succeeds
      break;
    }
    if (s != STATUS_SUCCESS) status = s; // a success code with news (a serial read's STATUS_TIMEOUT) reaches the caller
    done += moved;
    if (moved < n) break; // short read: the end of the file
  }
  if (kernel != 0) ExFreePoolWithQuotaTag(kernel, IO_BUFFER_TAG);
  if (NT_SUCCESS(status)) {
    // The position moves for every transfer (it is what synchronous files use next).
    let end = offset + <u64>done;
    if (toEnd) end = 0xFFFFFFFFFFFFFFFF; // unknown here: the driver set it
    if (!toEnd) { f.CurrentByteOffsetLow = <u32>end; f.CurrentByteOffsetHigh = <u32>(end >> 32); }
    IopWriteIoStatus(ioStatusBlock, status, done);
  } else if (status == STATUS_END_OF_FILE) {
    IopWriteIoStatus(ioStatusBlock, status, 0);
  }
  IopFinishEvent(load<usize>(context + 4));
  return IopEndService(file, context, status);
}

/** NtReadFile(FileHandle, Event, ApcRoutine, ApcContext, IoStatusBlock, Buffer, Length, ByteOffset, Key). */
export function NtReadFile(fileHandle: u32, event: u32, apcRoutine: usize, apcContext: usize, ioStatusBlock: usize,
                           buffer: usize, length: u32, byteOffset: usize, key: usize): u32 {
  return IopReadWrite(false, fileHandle, event, ioStatusBlock, buffer, length, byteOffset);
}

/** NtWriteFile(FileHandle, Event, ApcRoutine, ApcContext, IoStatusBlock, Buffer, Length, ByteOffset, Key). */
export function NtWriteFile(fileHandle: u32, event: u32, apcRoutine: usize, apcContext: usize, ioStatusBlock: usize,
                            buffer: usize, length: u32, byteOffset: usize, key: usize): u32 {
  return IopReadWrite(true, fileHandle, event, ioStatusBlock, buffer, length, byteOffset);
}

// ---- information ----

/** The fixed size of each FILE_INFORMATION_CLASS structure (0: not a class we serve). */
function IopQueryInformationSize(informationClass: u32): u32 {
  switch (informationClass) {
    case FileBasicInformation: return SIZEOF_FILE_BASIC_INFORMATION;
    case FileStandardInformation: return SIZEOF_FILE_STANDARD_INFORMATION;
    case FileInternalInformation: return <u32>offsetof<FILE_INTERNAL_INFORMATION>();
    case FileEaInformation: return <u32>offsetof<FILE_EA_INFORMATION>();
    case FileAccessInformation: return <u32>offsetof<FILE_ACCESS_INFORMATION>();
    case FileNameInformation: return SIZEOF_FILE_NAME_INFORMATION;
    case FilePositionInformation: return <u32>offsetof<FILE_POSITION_INFORMATION>();
    case FileModeInformation: return <u32>offsetof<FILE_MODE_INFORMATION>();
    case FileAlignmentInformation: return <u32>offsetof<FILE_ALIGNMENT_INFORMATION>();
    case FileAllInformation: return SIZEOF_FILE_ALL_INFORMATION;
    case FileNetworkOpenInformation: return SIZEOF_FILE_NETWORK_OPEN_INFORMATION;
    case FileAttributeTagInformation: return <u32>offsetof<FILE_ATTRIBUTE_TAG_INFORMATION>();
    default: return 0;
  }
}

/** Access a query class needs (NT: most need nothing beyond the handle, attributes need FILE_READ_ATTRIBUTES). */
function IopQueryAccess(informationClass: u32): u32 {
  return informationClass == FileBasicInformation || informationClass == FileNetworkOpenInformation
    || informationClass == FileAttributeTagInformation || informationClass == FileAllInformation ? FILE_READ_ATTRIBUTES : 0;
}

/** NtQueryInformationFile(FileHandle, IoStatusBlock, FileInformation, Length, FileInformationClass). */
export function NtQueryInformationFile(fileHandle: u32, ioStatusBlock: usize, fileInformation: usize, length: u32,
                                       informationClass: u32): u32 {
  const size = IopQueryInformationSize(informationClass);
  if (size == 0) return STATUS_INVALID_INFO_CLASS;
  if (length < size) return STATUS_INFO_LENGTH_MISMATCH;
  if (!ProbeUserRange(ioStatusBlock, 8, 4)) return STATUS_ACCESS_VIOLATION;
  if (!ProbeUserRange(fileInformation, length, 4)) return STATUS_ACCESS_VIOLATION;
  const context = ExAllocatePoolWithTag(NonPagedPool, 16, CONTEXT_TAG);
  if (context == 0) return STATUS_INSUFFICIENT_RESOURCES;
  let status = IopReferenceFile(fileHandle, IopQueryAccess(informationClass), context);
  if (!NT_SUCCESS(status)) { ExFreePoolWithTag(context, CONTEXT_TAG); return status; }
  const file = load<usize>(context);
  const f = changetype<FILE_OBJECT>(file);
  if (length > IO_MAX_INFORMATION) length = IO_MAX_INFORMATION;
  // Every answer is built in a kernel buffer and reaches the caller in one guarded copy.
  let information: u32 = 0;
  const kernel = ExAllocatePoolWithQuotaTag(NonPagedPool, length, IO_BUFFER_TAG, context + 4); // the caller's quota
  if (kernel == 0) status = load<u32>(context + 4);
  else if (informationClass == FilePositionInformation) {
    store<u32>(kernel, f.CurrentByteOffsetLow);
    store<u32>(kernel, f.CurrentByteOffsetHigh, 4);
    information = 8;
  } else if (informationClass == FileModeInformation) {
    store<u32>(kernel, f.CreateOptions & 0x103E); // the mode bits NT reports
    information = 4;
  } else if (informationClass == FileAccessInformation) {
    ObReferenceObjectByHandle(fileHandle, 0, IoFileObjectType, context + 4, context + 8);
    ObDereferenceObject(load<usize>(context + 4));
    store<u32>(kernel, load<u32>(context + 12));
    information = 4;
  } else if (informationClass == FileAlignmentInformation) {
    store<u32>(kernel, 0); // FILE_BYTE_ALIGNMENT
    information = 4;
  } else if (informationClass == FileEaInformation) {
    store<u32>(kernel, 0);
    information = 4;
  } else {
    status = IoFileInformation(file, IRP_MJ_QUERY_INFORMATION, informationClass, kernel, length, context + 4);
    information = load<u32>(context + 4);
    if ((NT_SUCCESS(status) || status == STATUS_BUFFER_OVERFLOW) && informationClass == FileAllInformation) {
      // The I/O manager's parts of FILE_ALL_INFORMATION: access, position, mode, alignment.
      const all = changetype<FILE_ALL_INFORMATION>(kernel);
      all.EaInformation_EaSize = 0; // the driver wrote basic, standard and internal before it, the name after
      ObReferenceObjectByHandle(fileHandle, 0, IoFileObjectType, context + 4, context + 8);
      ObDereferenceObject(load<usize>(context + 4));
      all.AccessInformation_AccessFlags = load<u32>(context + 12);
      all.PositionInformation_CurrentByteOffset = <i64>((<u64>f.CurrentByteOffsetHigh << 32) | <u64>f.CurrentByteOffsetLow);
      all.ModeInformation_Mode = f.CreateOptions & 0x103E;
      all.AlignmentInformation_AlignmentRequirement = 0;
    }
  }
  if ((NT_SUCCESS(status) || status == STATUS_BUFFER_OVERFLOW) && !ExCopyToUser(fileInformation, kernel, information)) status = STATUS_ACCESS_VIOLATION;
  if (kernel != 0) ExFreePoolWithQuotaTag(kernel, IO_BUFFER_TAG);
  IopReportStatus(ioStatusBlock, status, information);
  return IopEndService(file, context, status);
}

function IopSetInformationSize(informationClass: u32): u32 {
  switch (informationClass) {
    case FileBasicInformation: return SIZEOF_FILE_BASIC_INFORMATION;
    case FileRenameInformation: return <u32>offsetof<FILE_RENAME_INFORMATION>("FileName"); // (+ the name)
    case FileDispositionInformation: return <u32>offsetof<FILE_DISPOSITION_INFORMATION>();
    case FilePositionInformation: return <u32>offsetof<FILE_POSITION_INFORMATION>();
    case FileAllocationInformation: return <u32>offsetof<FILE_ALLOCATION_INFORMATION>();
    case FileEndOfFileInformation: return <u32>offsetof<FILE_END_OF_FILE_INFORMATION>();
    case FileModeInformation: return <u32>offsetof<FILE_MODE_INFORMATION>();
    default: return 0;
  }
}

function IopSetAccess(informationClass: u32): u32 {
  switch (informationClass) {
    case FileBasicInformation: return FILE_WRITE_ATTRIBUTES;
    case FileRenameInformation: return DELETE;
    case FileDispositionInformation: return DELETE;
    case FileAllocationInformation: return FILE_WRITE_DATA;
    case FileEndOfFileInformation: return FILE_WRITE_DATA;
    default: return 0;
  }
}

/**
 * Resolves a rename's target (FILE_RENAME_INFORMATION in kernel memory) to
 * a path on the file's volume, stored as a UNICODE_STRING at `target` (its
 * buffer in pool 'IoNm', freed by the caller). An absolute name goes through
 * the object manager like a create (so \??\C:\x works) and must reach the
 * same volume; a name relative to RootDirectory joins that directory's path;
 * a bare name stays in the file's directory.
 */
function IopResolveRenameTarget(file: usize, information: usize, length: u32, context: usize, target: usize): u32 {
  const rename = changetype<FILE_RENAME_INFORMATION>(information);
  const fixed = <u32>offsetof<FILE_RENAME_INFORMATION>("FileName");
  const nameLength = rename.FileNameLength;
  if (nameLength == 0 || (nameLength & 1) != 0 || nameLength > length - fixed || nameLength > 0xFFF0) return STATUS_INVALID_PARAMETER;
  const name = information + fixed;
  const root = rename.RootDirectory;
  const f = changetype<FILE_OBJECT>(file);
  const absolute = load<u16>(name) == 0x5C;
  if (absolute || root != 0) {
    // Let the object manager and the devices' parse procedures say where it is.
    store<u16>(context + 32, <u16>nameLength);
    store<u16>(context + 34, <u16>nameLength);
    store<usize>(context + 36, name);
    InitializeObjectAttributes(context + 40, context + 32, OBJ_CASE_INSENSITIVE, root, 0);
    const status = ObReferenceObjectByAttributes(context + 40, IoFileObjectType, context + 64);
    if (!NT_SUCCESS(status)) return status == 0xC0000024 ? STATUS_OBJECT_NAME_INVALID : status; // type mismatch: not a file path
    const probe = load<usize>(context + 64);
    const p = changetype<FILE_OBJECT>(probe);
    let result = STATUS_SUCCESS;
    if (p.DeviceObject != f.DeviceObject) result = STATUS_NOT_SAME_DEVICE;
    else {
      const buffer = ExAllocatePoolWithTag(NonPagedPool, <u32>p.FileNameLength + 2, 0x6D4E6F49); // 'IoNm'
      if (buffer == 0) result = STATUS_INSUFFICIENT_RESOURCES;
      else {
        memory.copy(buffer, p.FileNameBuffer, <u32>p.FileNameLength);
        InitializeCountedString(target, buffer, p.FileNameLength, p.FileNameLength);
      }
    }
    ObDereferenceObject(probe); // never opened: freed at once
    return result;
  }
  // A bare name: the file's directory + "\" + name.
  for (let i: u32 = 0; i < nameLength; i += 2) if (load<u16>(name + i) == 0x5C) return STATUS_INVALID_PARAMETER;
  let parent = <u32>f.FileNameLength;
  while (parent > 0 && load<u16>(f.FileNameBuffer + parent - 2) != 0x5C) parent -= 2;
  // parent now includes the trailing backslash (or is 0 for the volume itself)
  const total = parent + nameLength;
  const buffer = ExAllocatePoolWithTag(NonPagedPool, total + 2, 0x6D4E6F49);
  if (buffer == 0) return STATUS_INSUFFICIENT_RESOURCES;
  if (parent == 0) { store<u16>(buffer, 0x5C); memory.copy(buffer + 2, name, nameLength); store<u16>(target, <u16>(nameLength + 2)); }
  else { memory.copy(buffer, f.FileNameBuffer, parent); memory.copy(buffer + parent, name, nameLength); store<u16>(target, <u16>total); }
  store<u16>(target, load<u16>(target), 2);
  store<usize>(target, buffer, 4);
  return STATUS_SUCCESS;
}

/** NtSetInformationFile(FileHandle, IoStatusBlock, FileInformation, Length, FileInformationClass). */
export function NtSetInformationFile(fileHandle: u32, ioStatusBlock: usize, fileInformation: usize, length: u32,
                                     informationClass: u32): u32 {
  const size = IopSetInformationSize(informationClass);
  if (size == 0) return STATUS_INVALID_INFO_CLASS;
  if (length < size) return STATUS_INFO_LENGTH_MISMATCH;
  if (!ProbeUserRange(ioStatusBlock, 8, 4)) return STATUS_ACCESS_VIOLATION;
  if (!ProbeUserRange(fileInformation, length, informationClass == FileDispositionInformation ? 1 : 4)) return STATUS_ACCESS_VIOLATION;
  if (length > IO_MAX_INFORMATION) return STATUS_INVALID_PARAMETER;
  const context = ExAllocatePoolWithTag(NonPagedPool, 96, CONTEXT_TAG);
  if (context == 0) return STATUS_INSUFFICIENT_RESOURCES;
  let status = IopReferenceFile(fileHandle, IopSetAccess(informationClass), context);
  if (!NT_SUCCESS(status)) { ExFreePoolWithTag(context, CONTEXT_TAG); return status; }
  const file = load<usize>(context);
  const f = changetype<FILE_OBJECT>(file);
  const kernel = ExAllocatePoolWithQuotaTag(NonPagedPool, length, IO_BUFFER_TAG, context + 4); // captured: read once; the caller's quota
  if (kernel == 0) status = load<u32>(context + 4);
  else if (!ExCopyFromUser(kernel, fileInformation, length)) status = STATUS_ACCESS_VIOLATION;
  if (NT_SUCCESS(status)) {
    if (informationClass == FilePositionInformation) {
      const high = load<u32>(kernel, 4);
      if ((high & 0x80000000) != 0) status = STATUS_INVALID_PARAMETER;
      else { f.CurrentByteOffsetLow = load<u32>(kernel); f.CurrentByteOffsetHigh = high; }
    } else if (informationClass == FileModeInformation) {
      const mode = load<u32>(kernel);
      if ((mode & ~0x103E) != 0) status = STATUS_INVALID_PARAMETER;
      // Only the write-through and sequential bits may change on an open file.
      else f.CreateOptions = (f.CreateOptions & ~<u32>0x6) | (mode & 0x6);
    } else if (informationClass == FileRenameInformation) {
      status = IopResolveRenameTarget(file, kernel, length, context, context + 8);
      if (NT_SUCCESS(status)) {
        const reason = KeAllocateScratch(4);
        const irp = IoAllocateIrp(IRP_MJ_SET_INFORMATION, f.DeviceObject, file, true, reason);
        if (irp == 0) status = load<u32>(reason);
        KeFreeScratch(reason);
        if (irp != 0) {
          const i = changetype<IRP>(irp);
          i.P0 = informationClass;
          i.P1 = <u32>changetype<FILE_RENAME_INFORMATION>(kernel).ReplaceIfExists;
          i.P2 = context + 8;           // the target path on the volume
          i.Buffer = kernel;
          i.Length = length;
          status = IoCallDriver(irp);
          IoFreeIrp(irp);
        }
        ExFreePoolWithTag(load<usize>(context + 8, 4), 0x6D4E6F49);
      }
    } else {
      status = IoFileInformation(file, IRP_MJ_SET_INFORMATION, informationClass, kernel, length, 0);
    }
  }
  if (kernel != 0) ExFreePoolWithQuotaTag(kernel, IO_BUFFER_TAG);
  if (NT_SUCCESS(status)) IopWriteIoStatus(ioStatusBlock, status, 0);
  return IopEndService(file, context, status);
}

// ---- directories and volumes ----

/**
 * NtQueryDirectoryFile(FileHandle, Event, ApcRoutine, ApcContext,
 * IoStatusBlock, FileInformation, Length, FileInformationClass,
 * ReturnSingleEntry, FileName, RestartScan).
 */
export function NtQueryDirectoryFile(fileHandle: u32, eventHandle: u32, apcRoutine: usize, apcContext: usize,
                                     ioStatusBlock: usize, fileInformation: usize, length: u32, informationClass: u32,
                                     returnSingleEntry: u32, fileName: usize, restartScan: u32): u32 {
  if (informationClass != FileDirectoryInformation && informationClass != FileFullDirectoryInformation
      && informationClass != FileBothDirectoryInformation && informationClass != FileNamesInformation) {
    return STATUS_INVALID_INFO_CLASS;
  }
  if (!ProbeUserRange(ioStatusBlock, 8, 4)) return STATUS_ACCESS_VIOLATION;
  if (!ProbeUserRange(fileInformation, length, 4)) return STATUS_ACCESS_VIOLATION;
  if (length < 16) return STATUS_INFO_LENGTH_MISMATCH;
  if (length > IO_MAX_INFORMATION) length = IO_MAX_INFORMATION;
  const context = ExAllocatePoolWithTag(NonPagedPool, 32, CONTEXT_TAG);
  if (context == 0) return STATUS_INSUFFICIENT_RESOURCES;
  // The pattern: captured.
  let pattern: usize = 0;
  let status = STATUS_SUCCESS;
  if (fileName != 0) {
    // The UNICODE_STRING, then its characters, each read once.
    if (!ProbeUserRange(fileName, 8, 4) || !ExCopyFromUser(context + 16, fileName, 8)) status = STATUS_ACCESS_VIOLATION;
    else {
      const n = <u32>load<u16>(context + 16);
      const b = load<usize>(context + 16, 4);
      if ((n & 1) != 0) status = STATUS_INVALID_PARAMETER;
      else if (n != 0 && !ProbeUserRange(b, n, 2)) status = STATUS_ACCESS_VIOLATION;
      else {
        pattern = ExAllocatePoolWithTag(NonPagedPool, 8 + n + 2, IO_BUFFER_TAG);
        if (pattern == 0) status = STATUS_INSUFFICIENT_RESOURCES;
        else if (!ExCopyFromUser(pattern + 8, b, n)) status = STATUS_ACCESS_VIOLATION;
        else { InitializeCountedString(pattern, pattern + 8, n, n); }
      }
    }
  }
  if (NT_SUCCESS(status)) status = IopReferenceFile(fileHandle, FILE_READ_DATA, context);
  if (!NT_SUCCESS(status)) {
    if (pattern != 0) ExFreePoolWithTag(pattern, IO_BUFFER_TAG);
    ExFreePoolWithTag(context, CONTEXT_TAG);
    return status;
  }
  const file = load<usize>(context);
  status = IopReferenceEvent(eventHandle, context + 4);
  let information: u32 = 0;
  if (NT_SUCCESS(status)) {
    const flags = ((restartScan & 0xFF) != 0 ? SL_RESTART_SCAN : 0) | ((returnSingleEntry & 0xFF) != 0 ? SL_RETURN_SINGLE_ENTRY : 0);
    status = IopBufferedRequest(file, IRP_MJ_DIRECTORY_CONTROL, informationClass, flags, pattern, 0, 0, 0,
                                fileInformation, length, context + 8);
    information = load<u32>(context + 8);
    IopReportStatus(ioStatusBlock, status, information);
    IopFinishEvent(load<usize>(context + 4));
  }
  if (pattern != 0) ExFreePoolWithTag(pattern, IO_BUFFER_TAG);
  return IopEndService(file, context, status);
}

function IopVolumeInformationSize(informationClass: u32): u32 {
  switch (informationClass) {
    case FileFsVolumeInformation: return <u32>offsetof<FILE_FS_VOLUME_INFORMATION>("VolumeLabel"); // the label follows
    case FileFsSizeInformation: return SIZEOF_FILE_FS_SIZE_INFORMATION;
    case FileFsDeviceInformation: return <u32>offsetof<FILE_FS_DEVICE_INFORMATION>();
    case FileFsAttributeInformation: return <u32>offsetof<FILE_FS_ATTRIBUTE_INFORMATION>("FileSystemName"); // the name follows
    case FileFsFullSizeInformation: return SIZEOF_FILE_FS_FULL_SIZE_INFORMATION;
    default: return 0;
  }
}

/** NtQueryVolumeInformationFile(FileHandle, IoStatusBlock, FsInformation, Length, FsInformationClass). */
export function NtQueryVolumeInformationFile(fileHandle: u32, ioStatusBlock: usize, fsInformation: usize, length: u32,
                                             informationClass: u32): u32 {
  const size = IopVolumeInformationSize(informationClass);
  if (size == 0) return STATUS_INVALID_INFO_CLASS;
  if (length < size) return STATUS_INFO_LENGTH_MISMATCH;
  if (!ProbeUserRange(ioStatusBlock, 8, 4)) return STATUS_ACCESS_VIOLATION;
  if (!ProbeUserRange(fsInformation, length, 4)) return STATUS_ACCESS_VIOLATION;
  if (length > IO_MAX_INFORMATION) length = IO_MAX_INFORMATION;
  const context = ExAllocatePoolWithTag(NonPagedPool, 16, CONTEXT_TAG);
  if (context == 0) return STATUS_INSUFFICIENT_RESOURCES;
  let status = IopReferenceFile(fileHandle, 0, context);
  if (!NT_SUCCESS(status)) { ExFreePoolWithTag(context, CONTEXT_TAG); return status; }
  const file = load<usize>(context);
  const f = changetype<FILE_OBJECT>(file);
  let information: u32 = 0;
  if (informationClass == FileFsDeviceInformation) {
    // The I/O manager answers this one: the type and characteristics of the device named by the path.
    const d = changetype<DEVICE_OBJECT>(f.RelatedDevice);
    store<u32>(context + 8, d.DeviceType);
    store<u32>(context + 12, d.Characteristics | (d.MountedVolume != 0 ? FILE_DEVICE_IS_MOUNTED : 0));
    information = 8;
    if (!ExCopyToUser(fsInformation, context + 8, 8)) status = STATUS_ACCESS_VIOLATION;
  } else {
    status = IopBufferedRequest(file, IRP_MJ_QUERY_VOLUME_INFORMATION, informationClass, 0, 0, 0, 0, 0,
                                fsInformation, length, context + 4);
    information = load<u32>(context + 4);
  }
  IopReportStatus(ioStatusBlock, status, information);
  return IopEndService(file, context, status);
}

/** NtFlushBuffersFile(FileHandle, IoStatusBlock): the file's data and metadata reach the disk's media. */
export function NtFlushBuffersFile(fileHandle: u32, ioStatusBlock: usize): u32 {
  if (!ProbeUserRange(ioStatusBlock, 8, 4)) return STATUS_ACCESS_VIOLATION;
  const context = ExAllocatePoolWithTag(NonPagedPool, 16, CONTEXT_TAG);
  if (context == 0) return STATUS_INSUFFICIENT_RESOURCES;
  let status = IopReferenceFile(fileHandle, 0, context);
  if (NT_SUCCESS(status)) {
    const file = load<usize>(context);
    // NT: the handle needs write or append access (else STATUS_ACCESS_DENIED).
    if (!NT_SUCCESS(ObReferenceObjectByHandle(fileHandle, FILE_WRITE_DATA, IoFileObjectType, context + 4, 0))
        && !NT_SUCCESS(ObReferenceObjectByHandle(fileHandle, FILE_APPEND_DATA, IoFileObjectType, context + 4, 0))) {
      status = STATUS_ACCESS_DENIED;
    } else {
      ObDereferenceObject(load<usize>(context + 4));
      status = IoTransferFile(file, IRP_MJ_FLUSH_BUFFERS, 0, 0, 0, context + 8);
      if (NT_SUCCESS(status)) IopWriteIoStatus(ioStatusBlock, status, 0);
    }
    ObDereferenceObject(file);
  }
  ExFreePoolWithTag(context, CONTEXT_TAG);
  return status;
}

function IopControl(major: u32, fileHandle: u32, eventHandle: u32, ioStatusBlock: usize, code: u32, input: usize,
                    inputLength: u32, output: usize, outputLength: u32): u32 {
  if (!ProbeUserRange(ioStatusBlock, 8, 4)) return STATUS_ACCESS_VIOLATION;
  if (!ProbeUserRange(input, inputLength, 1) || !ProbeUserRange(output, outputLength, 1)) return STATUS_ACCESS_VIOLATION;
  if (inputLength > IO_MAX_INFORMATION || outputLength > IO_MAX_INFORMATION) return STATUS_INVALID_PARAMETER;
  const context = ExAllocatePoolWithTag(NonPagedPool, 16, CONTEXT_TAG);
  if (context == 0) return STATUS_INSUFFICIENT_RESOURCES;
  // The access the control code asks of the handle (CTL_CODE's RequiredAccess, bits 14-15: FILE_READ_ACCESS,
  // FILE_WRITE_ACCESS), as NT's IopXxxControlFile: a query-only handle to a device sends only FILE_ANY_ACCESS codes.
  const required: u32 = ((code & 0x4000) != 0 ? FILE_READ_DATA : 0) | ((code & 0x8000) != 0 ? FILE_WRITE_DATA : 0);
  let status = IopReferenceFile(fileHandle, required, context);
  if (!NT_SUCCESS(status)) { ExFreePoolWithTag(context, CONTEXT_TAG); return status; }
  const file = load<usize>(context);
  status = IopReferenceEvent(eventHandle, context + 4);
  if (NT_SUCCESS(status)) {
    status = IopBufferedRequest(file, major, code, 0, 0, outputLength, input, inputLength, output, outputLength, context + 8);
    IopReportStatus(ioStatusBlock, status, load<u32>(context + 8));
    IopFinishEvent(load<usize>(context + 4));
  }
  return IopEndService(file, context, status);
}

/** NtDeviceIoControlFile(FileHandle, Event, ApcRoutine, ApcContext, IoStatusBlock, IoControlCode, InputBuffer, InputBufferLength, OutputBuffer, OutputBufferLength). */
export function NtDeviceIoControlFile(fileHandle: u32, event: u32, apcRoutine: usize, apcContext: usize, ioStatusBlock: usize,
                                      code: u32, input: usize, inputLength: u32, output: usize, outputLength: u32): u32 {
  return IopControl(IRP_MJ_DEVICE_CONTROL, fileHandle, event, ioStatusBlock, code, input, inputLength, output, outputLength);
}

/** NtFsControlFile: the same shape, to the file system. */
export function NtFsControlFile(fileHandle: u32, event: u32, apcRoutine: usize, apcContext: usize, ioStatusBlock: usize,
                                code: u32, input: usize, inputLength: u32, output: usize, outputLength: u32): u32 {
  return IopControl(IRP_MJ_FILE_SYSTEM_CONTROL, fileHandle, event, ioStatusBlock, code, input, inputLength, output, outputLength);
}
