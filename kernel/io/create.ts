// Opening files by name: NtCreateFile, NtOpenFile, NtDeleteFile,
// NtQueryAttributesFile, NtQueryFullAttributesFile, and IoOpenFileObject
// for kernel components.
//
// The path: capture the caller's OBJECT_ATTRIBUTES; the object manager's
// lookup ends in a device's parse procedure, which makes an unopened file
// object (iomgr.ts); IRP_MJ_CREATE goes to the driver behind it with the
// access, disposition, options, attributes and share access; on success the
// file object gets a handle in the caller's table (or the kernel's, with
// OBJ_KERNEL_HANDLE from kernel mode). IoStatusBlock.Information says what
// happened (FILE_OPENED, FILE_CREATED, FILE_OVERWRITTEN, FILE_SUPERSEDED).

import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { ExCopyToUser, ExWriteUserUlong, ProbeUserRange } from "../ke/probe";
import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import { IO_STATUS_BLOCK } from "../sdk/ntdef";
import {
  FILE_DISPOSITION_INFORMATION, SIZEOF_FILE_BASIC_INFORMATION, SIZEOF_FILE_NETWORK_OPEN_INFORMATION, FileBasicInformation,
  FileDispositionInformation, FileNetworkOpenInformation,
} from "../sdk/fileinfo";
import { ExCaptureObjectAttributes, ExProbeHandle, ExReleaseObjectAttributes } from "../ex/capture";
import { ObReferenceObjectByAttributes, ObInsertParsedObject } from "../ob/obname";
import { ObDereferenceObject } from "../ob/obref";
import {
  DELETE, GENERIC_ALL, GENERIC_EXECUTE, GENERIC_READ, GENERIC_WRITE, MAXIMUM_ALLOWED, SYNCHRONIZE,
} from "../ob/obp";
import { IoAllocateIrp, IoCallDriver, IoFileObjectType, IoFreeIrp, IoIsDirectDeviceOpen, IopProcessDeferredCloses } from "./iomgr";
import { ObCheckObjectAccess } from "../ob/obsecure";
import {
  FILE_ALL_ACCESS, FILE_CREATE, FILE_DELETE_ON_CLOSE, FILE_DIRECTORY_FILE, FILE_GENERIC_EXECUTE, FILE_GENERIC_READ,
  FILE_GENERIC_WRITE, FILE_MAXIMUM_DISPOSITION, FILE_NON_DIRECTORY_FILE, FILE_OBJECT, FILE_OPEN, FILE_OPEN_IF,
  FILE_READ_ATTRIBUTES, FILE_SHARE_DELETE, FILE_SHARE_READ, FILE_SHARE_VALID_FLAGS, FILE_SHARE_WRITE,
  FILE_SYNCHRONOUS_IO_ALERT, FILE_SYNCHRONOUS_IO_NONALERT, FILE_VALID_OPTION_FLAGS, FO_DELETE_ON_CLOSE, FO_DIRECTORY_FILE,
  FO_OPENED, FO_SYNCHRONOUS_IO, IRP, IRP_MJ_CREATE, IRP_MJ_QUERY_INFORMATION, IRP_MJ_SET_INFORMATION,
} from "./iop";
import {
  NT_SUCCESS, STATUS_ACCESS_VIOLATION, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_PARAMETER, STATUS_SUCCESS,
} from "../sdk/ntstatus";

const CONTEXT_TAG: u32 = 0x78436F49; // 'IoCx'
// A service's context block: out-parameters and a kernel OBJECT_ATTRIBUTES.
const C_CAPTURE: u32 = 0;   // 8: ExCaptureObjectAttributes' out
const C_FILE: u32 = 8;      // the file object
const C_HANDLE: u32 = 12;   // the new handle
const C_INFO: u32 = 16;     // IoStatusBlock.Information
const C_OA: u32 = 20;       // 24: OBJECT_ATTRIBUTES for ObInsertObject (attributes only)
const C_BUFFER: u32 = 48;   // 64: a small information buffer (FILE_NETWORK_OPEN_INFORMATION at most)
const SIZEOF_IO_STATUS_BLOCK: u32 = offsetof<IO_STATUS_BLOCK>();
const CONTEXT_SIZE: u32 = 112;

/** GENERIC_* and MAXIMUM_ALLOWED as the file rights they stand for. */
export function IoMapFileAccess(access: u32): u32 {
  let mapped = access & ~(GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL | MAXIMUM_ALLOWED);
  if ((access & GENERIC_READ) != 0) mapped |= FILE_GENERIC_READ;
  if ((access & GENERIC_WRITE) != 0) mapped |= FILE_GENERIC_WRITE;
  if ((access & GENERIC_EXECUTE) != 0) mapped |= FILE_GENERIC_EXECUTE;
  if ((access & (GENERIC_ALL | MAXIMUM_ALLOWED)) != 0) mapped |= FILE_ALL_ACCESS;
  return mapped;
}

/**
 * Opens or creates the file OBJECT_ATTRIBUTES (kernel memory) name and
 * stores the referenced, opened file object at `file` and the create's
 * result (FILE_OPENED, ...) at `information`. For kernel components and the
 * services below; no probing here.
 */
export function IoOpenFileObject(objectAttributes: usize, access: u32, disposition: u32, options: u32, attributes: u32,
                                 share: u32, information: usize, file: usize): u32 {
  store<usize>(file, 0);
  store<u32>(information, 0);
  if (disposition > FILE_MAXIMUM_DISPOSITION) return STATUS_INVALID_PARAMETER;
  if ((options & ~FILE_VALID_OPTION_FLAGS) != 0) return STATUS_INVALID_PARAMETER;
  if ((share & ~FILE_SHARE_VALID_FLAGS) != 0) return STATUS_INVALID_PARAMETER;
  if ((options & FILE_DIRECTORY_FILE) != 0) {
    if ((options & FILE_NON_DIRECTORY_FILE) != 0) return STATUS_INVALID_PARAMETER;
    if (disposition != FILE_CREATE && disposition != FILE_OPEN && disposition != FILE_OPEN_IF) return STATUS_INVALID_PARAMETER;
  }
  if ((options & FILE_SYNCHRONOUS_IO_ALERT) != 0 && (options & FILE_SYNCHRONOUS_IO_NONALERT) != 0) return STATUS_INVALID_PARAMETER;
  if ((options & (FILE_SYNCHRONOUS_IO_ALERT | FILE_SYNCHRONOUS_IO_NONALERT)) != 0 && (access & SYNCHRONIZE) == 0) {
    return STATUS_INVALID_PARAMETER; // NT: synchronous I/O needs SYNCHRONIZE
  }
  if ((options & FILE_DELETE_ON_CLOSE) != 0 && (access & DELETE) == 0) return STATUS_INVALID_PARAMETER;
  IopProcessDeferredCloses();
  let status = ObReferenceObjectByAttributes(objectAttributes, IoFileObjectType, file);
  if (!NT_SUCCESS(status)) return status;
  const object = load<usize>(file);
  const f = changetype<FILE_OBJECT>(object);
  if (IoIsDirectDeviceOpen(object)) {
    // The device itself (a raw partition, the null device, the serial port): a user-mode caller's access
    // is checked against the device's descriptor, as NT's IopParseDevice does for an open with no
    // remaining name; a file of a mounted file system is the file system's to check (FAT keeps no security).
    const granted = KeAllocateScratch(4);
    status = ObCheckObjectAccess(f.DeviceObject, access, granted);
    access = load<u32>(granted);
    KeFreeScratch(granted);
    if (status != STATUS_SUCCESS) {
      ObDereferenceObject(object);
      store<usize>(file, 0);
      return status;
    }
  }
  f.GrantedAccess = IoMapFileAccess(access);
  f.CreateOptions = options;
  f.ShareAccess = share;
  if ((options & (FILE_SYNCHRONOUS_IO_ALERT | FILE_SYNCHRONOUS_IO_NONALERT)) != 0) f.Flags |= FO_SYNCHRONOUS_IO;
  if ((options & FILE_DELETE_ON_CLOSE) != 0) f.Flags |= FO_DELETE_ON_CLOSE;
  const reason = KeAllocateScratch(4);
  const irp = IoAllocateIrp(IRP_MJ_CREATE, f.DeviceObject, object, true, reason);
  const refused = load<u32>(reason);
  KeFreeScratch(reason);
  if (irp == 0) {
    ObDereferenceObject(object);
    store<usize>(file, 0);
    return refused;
  }
  const i = changetype<IRP>(irp);
  i.P0 = f.GrantedAccess;
  i.P1 = (disposition << 24) | (options & FILE_VALID_OPTION_FLAGS);
  i.P2 = attributes;
  i.P3 = share;
  status = IoCallDriver(irp);
  store<u32>(information, i.Information);
  IoFreeIrp(irp);
  if (!NT_SUCCESS(status)) {
    ObDereferenceObject(object); // never opened: no CLEANUP or CLOSE
    store<usize>(file, 0);
    return status;
  }
  f.Flags |= FO_OPENED;
  if ((options & FILE_DIRECTORY_FILE) != 0) f.Flags |= FO_DIRECTORY_FILE;
  return status;
}

/** Sends a query or set information request with a kernel buffer. */
export function IoFileInformation(file: usize, major: u32, informationClass: u32, buffer: usize, length: u32, information: usize): u32 {
  const irp = IoAllocateIrp(major, changetype<FILE_OBJECT>(file).DeviceObject, file);
  if (irp == 0) return STATUS_INSUFFICIENT_RESOURCES;
  const i = changetype<IRP>(irp);
  i.P0 = informationClass;
  i.Buffer = buffer;
  i.Length = length;
  const status = IoCallDriver(irp);
  if (information != 0) store<u32>(information, i.Information);
  IoFreeIrp(irp);
  return status;
}

function IopNewContext(): usize { return ExAllocatePoolWithTag(NonPagedPool, CONTEXT_SIZE, CONTEXT_TAG); }
function IopFreeContext(context: usize): void {
  ExReleaseObjectAttributes(context + C_CAPTURE);
  ExFreePoolWithTag(context, CONTEXT_TAG);
}

/**
 * NtCreateFile(FileHandle, DesiredAccess, ObjectAttributes, IoStatusBlock,
 * AllocationSize, FileAttributes, ShareAccess, CreateDisposition,
 * CreateOptions, EaBuffer, EaLength). Extended attributes are not kept (FAT
 * has none): an EA buffer is refused.
 */
export function NtCreateFile(fileHandle: usize, desiredAccess: u32, objectAttributes: usize, ioStatusBlock: usize,
                             allocationSize: usize, fileAttributes: u32, shareAccess: u32, createDisposition: u32,
                             createOptions: u32, eaBuffer: usize, eaLength: u32): u32 {
  if (!ExProbeHandle(fileHandle)) return STATUS_ACCESS_VIOLATION;
  // Range checks only: the handle and the IO_STATUS_BLOCK are written once, at the end, through
  // ExWriteUserUlong; AllocationSize is not read (FAT allocates as it writes).
  if (!ProbeUserRange(ioStatusBlock, SIZEOF_IO_STATUS_BLOCK, 4)) return STATUS_ACCESS_VIOLATION;
  if (allocationSize != 0 && !ProbeUserRange(allocationSize, 8, 4)) return STATUS_ACCESS_VIOLATION;
  if (objectAttributes == 0) return STATUS_INVALID_PARAMETER;
  if (eaBuffer != 0 && eaLength != 0) return 0xC000004F; // STATUS_EAS_NOT_SUPPORTED
  const context = IopNewContext();
  if (context == 0) return STATUS_INSUFFICIENT_RESOURCES;
  let status = ExCaptureObjectAttributes(objectAttributes, context + C_CAPTURE);
  if (NT_SUCCESS(status)) {
    const oa = load<usize>(context + C_CAPTURE);
    status = IoOpenFileObject(oa, desiredAccess, createDisposition, createOptions, fileAttributes, shareAccess,
                              context + C_INFO, context + C_FILE);
    if (NT_SUCCESS(status)) {
      const file = load<usize>(context + C_FILE);
      const createStatus = status;
      status = ObInsertParsedObject(file, oa, context + C_OA, changetype<FILE_OBJECT>(file).GrantedAccess, context + C_HANDLE);
      if (NT_SUCCESS(status)) {
        status = createStatus;
        // A page gone since the checks: the handle stays open (as in NT), the caller hears STATUS_ACCESS_VIOLATION.
        if (!ExWriteUserUlong(fileHandle, load<u32>(context + C_HANDLE))
            || !ExWriteUserUlong(ioStatusBlock + offsetof<IO_STATUS_BLOCK>("Status"), status)
            || !ExWriteUserUlong(ioStatusBlock + offsetof<IO_STATUS_BLOCK>("Information"), load<u32>(context + C_INFO))) status = STATUS_ACCESS_VIOLATION;
      }
    }
  }
  IopFreeContext(context);
  return status;
}

/** NtOpenFile(FileHandle, DesiredAccess, ObjectAttributes, IoStatusBlock, ShareAccess, OpenOptions). */
export function NtOpenFile(fileHandle: usize, desiredAccess: u32, objectAttributes: usize, ioStatusBlock: usize,
                           shareAccess: u32, openOptions: u32): u32 {
  return NtCreateFile(fileHandle, desiredAccess, objectAttributes, ioStatusBlock, 0, 0, shareAccess, FILE_OPEN, openOptions, 0, 0);
}

/**
 * Opens the file OBJECT_ATTRIBUTES name (captured into `context`) with
 * `access` for a one-shot operation; the referenced file object is at
 * context + C_FILE.
 */
function IopOpenForOperation(objectAttributes: usize, context: usize, access: u32, options: u32): u32 {
  if (objectAttributes == 0) return STATUS_INVALID_PARAMETER;
  const status = ExCaptureObjectAttributes(objectAttributes, context + C_CAPTURE);
  if (!NT_SUCCESS(status)) return status;
  return IoOpenFileObject(load<usize>(context + C_CAPTURE), access, FILE_OPEN, options, 0,
                          FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, context + C_INFO, context + C_FILE);
}

/** NtDeleteFile(ObjectAttributes): the file or empty directory is gone when this returns. */
export function NtDeleteFile(objectAttributes: usize): u32 {
  const context = IopNewContext();
  if (context == 0) return STATUS_INSUFFICIENT_RESOURCES;
  let status = IopOpenForOperation(objectAttributes, context, DELETE, 0);
  if (NT_SUCCESS(status)) {
    const file = load<usize>(context + C_FILE);
    changetype<FILE_DISPOSITION_INFORMATION>(context + C_BUFFER).DeleteFile = 1;
    status = IoFileInformation(file, IRP_MJ_SET_INFORMATION, FileDispositionInformation, context + C_BUFFER, offsetof<FILE_DISPOSITION_INFORMATION>(), 0);
    ObDereferenceObject(file);
    IopProcessDeferredCloses(); // the close deletes it
  }
  IopFreeContext(context);
  return status;
}

function IopQueryAttributes(objectAttributes: usize, information: usize, informationClass: u32, length: u32): u32 {
  if (!ProbeUserRange(information, length, 4)) return STATUS_ACCESS_VIOLATION;
  const context = IopNewContext();
  if (context == 0) return STATUS_INSUFFICIENT_RESOURCES;
  let status = IopOpenForOperation(objectAttributes, context, FILE_READ_ATTRIBUTES, 0);
  if (NT_SUCCESS(status)) {
    const file = load<usize>(context + C_FILE);
    status = IoFileInformation(file, IRP_MJ_QUERY_INFORMATION, informationClass, context + C_BUFFER, length, 0);
    ObDereferenceObject(file);
    IopProcessDeferredCloses();
    if (NT_SUCCESS(status) && !ExCopyToUser(information, context + C_BUFFER, length)) status = STATUS_ACCESS_VIOLATION;
  }
  IopFreeContext(context);
  return status;
}

/** NtQueryAttributesFile(ObjectAttributes, FILE_BASIC_INFORMATION*). */
export function NtQueryAttributesFile(objectAttributes: usize, fileInformation: usize): u32 {
  return IopQueryAttributes(objectAttributes, fileInformation, FileBasicInformation, SIZEOF_FILE_BASIC_INFORMATION);
}

/** NtQueryFullAttributesFile(ObjectAttributes, FILE_NETWORK_OPEN_INFORMATION*). */
export function NtQueryFullAttributesFile(objectAttributes: usize, fileInformation: usize): u32 {
  return IopQueryAttributes(objectAttributes, fileInformation, FileNetworkOpenInformation, SIZEOF_FILE_NETWORK_OPEN_INFORMATION);
}
