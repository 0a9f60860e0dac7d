// The object manager's services as ring 3 calls them: handles from user mode
// may not name the kernel's table (bit 31), pointers are probed and
// OBJECT_ATTRIBUTES captured before the object manager sees them.

import { ExGetPreviousMode, ProbeForRead, ProbeForWrite, UserMode } from "../ke/probe";
import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import { IopProcessDeferredCloses } from "../io/iomgr";
import { ExCaptureObjectAttributes, ExProbeHandle, ExReleaseObjectAttributes } from "./capture";
import { NtClose as ObClose } from "../ob/obhandle";
import { NtCreateDirectoryObject as ObCreateDirectory, NtOpenDirectoryObject as ObOpenDirectory } from "../ob/obdir";
import { NtCreateSymbolicLinkObject as ObCreateLink, NtOpenSymbolicLinkObject as ObOpenLink, NtQuerySymbolicLinkObject as ObQueryLink } from "../ob/oblink";
import { NtMakeTemporaryObject as ObMakeTemporary, NtMakePermanentObject as ObMakePermanent } from "../ob/obquery";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "./pool";


/** A handle user mode may use: not a kernel handle (bit 31), except the pseudo handles -1 and -2. */
@inline export function ExIsUserHandleAllowed(handle: u32): bool {
  if ((handle & 0x80000000) == 0) return true; // most handles: decided without looking at the thread
  return handle >= 0xFFFFFFFE || ExGetPreviousMode() != UserMode;
}

export function NtClose(handle: u32): u32 {
  if (!ExIsUserHandleAllowed(handle)) return STATUS_INVALID_HANDLE;
  const status = ObClose(handle);
  IopProcessDeferredCloses(); // a file's last close: its driver hears CLEANUP and CLOSE now, outside Ob's lock
  return status;
}

export function NtMakeTemporaryObject(handle: u32): u32 {
  if (!ExIsUserHandleAllowed(handle)) return STATUS_INVALID_HANDLE;
  return ObMakeTemporary(handle);
}

export function NtMakePermanentObject(handle: u32): u32 {
  if (!ExIsUserHandleAllowed(handle)) return STATUS_INVALID_HANDLE;
  return ObMakePermanent(handle);
}

type OPEN = (handle: usize, access: u32, objectAttributes: usize) => u32;

// Per-call blocks come from the thread's scratch arena (KeAllocateScratch):
// the captured attributes (8 bytes) and the handle Ob writes (+12) before it
// goes to the caller.

function ExpCreateOrOpen(handle: usize, access: u32, objectAttributes: usize, routine: OPEN): u32 {
  if (!ExProbeHandle(handle)) return STATUS_ACCESS_VIOLATION;
  const s = KeAllocateScratch(16);
  let status = ExCaptureObjectAttributes(objectAttributes, s);
  if (status == STATUS_SUCCESS) {
    status = routine(s + 12, access, load<usize>(s));
    if (!NT_ERROR(status)) store<u32>(handle, load<u32>(s, 12));
    ExReleaseObjectAttributes(s);
  }
  KeFreeScratch(s);
  return status;
}

export function NtCreateDirectoryObject(handle: usize, access: u32, objectAttributes: usize): u32 {
  return ExpCreateOrOpen(handle, access, objectAttributes, ObCreateDirectory);
}
export function NtOpenDirectoryObject(handle: usize, access: u32, objectAttributes: usize): u32 {
  return ExpCreateOrOpen(handle, access, objectAttributes, ObOpenDirectory);
}
export function NtOpenSymbolicLinkObject(handle: usize, access: u32, objectAttributes: usize): u32 {
  return ExpCreateOrOpen(handle, access, objectAttributes, ObOpenLink);
}

/** NtCreateSymbolicLinkObject(LinkHandle, DesiredAccess, ObjectAttributes, LinkTarget): the target string is captured too. */
export function NtCreateSymbolicLinkObject(handle: usize, access: u32, objectAttributes: usize, target: usize): u32 {
  if (!ExProbeHandle(handle)) return STATUS_ACCESS_VIOLATION;
  if (!ProbeForRead(target, 8, 4)) return STATUS_ACCESS_VIOLATION;
  const length = <u32>load<u16>(target);
  const buffer = load<usize>(target, 4);
  if ((length & 1) != 0) return STATUS_OBJECT_NAME_INVALID;
  if (!ProbeForRead(buffer, length, 2)) return STATUS_ACCESS_VIOLATION;
  const copy = ExAllocatePoolWithTag(NonPagedPool, 8 + length, 0x74706143); // 'Capt'
  if (copy == 0) return STATUS_INSUFFICIENT_RESOURCES;
  store<u16>(copy, <u16>length); store<u16>(copy, <u16>length, 2); store<usize>(copy, copy + 8, 4);
  memory.copy(copy + 8, buffer, length);
  const s = KeAllocateScratch(16);
  let status = ExCaptureObjectAttributes(objectAttributes, s);
  if (status == STATUS_SUCCESS) {
    status = ObCreateLink(s + 12, access, load<usize>(s), copy);
    if (!NT_ERROR(status)) store<u32>(handle, load<u32>(s, 12));
    ExReleaseObjectAttributes(s);
  }
  KeFreeScratch(s);
  ExFreePoolWithTag(copy, 0x74706143);
  return status;
}

/**
 * NtQuerySymbolicLinkObject(LinkHandle, LinkTarget (in: MaximumLength and Buffer; out: Length), ReturnedLength optional).
 * LinkTarget is read once into a kernel UNICODE_STRING (single fetch): Ob
 * writes through the captured Buffer and MaximumLength, the probed ones, and
 * never reads the caller's structure again; Length and the returned length go
 * back at the end. (A second thread flipping Buffer to a kernel address after
 * the probe used to redirect the copy into kernel memory.)
 */
export function NtQuerySymbolicLinkObject(handle: u32, target: usize, returnedLength: usize): u32 {
  if (!ExIsUserHandleAllowed(handle)) return STATUS_INVALID_HANDLE;
  if (!ProbeForWrite(target, 8, 4)) return STATUS_ACCESS_VIOLATION;
  if (returnedLength != 0 && !ProbeForWrite(returnedLength, 4, 4)) return STATUS_ACCESS_VIOLATION;
  const captured = KeAllocateScratch(12);    // kernel UNICODE_STRING: Length, MaximumLength, Buffer
  const length = captured + 8;                // kernel slot for the returned length
  store<u64>(captured, load<u64>(target));    // the one read of the caller's structure
  const maximum = <u32>load<u16>(captured, 2);
  let status = STATUS_ACCESS_VIOLATION;
  if (ProbeForWrite(load<usize>(captured, 4), maximum, 2)) {
    status = ObQueryLink(handle, captured, returnedLength != 0 ? length : 0);
    if (status == STATUS_SUCCESS) store<u16>(target, load<u16>(captured));
    if (returnedLength != 0 && (status == STATUS_SUCCESS || status == STATUS_BUFFER_TOO_SMALL)) store<u32>(returnedLength, load<u32>(length));
  }
  KeFreeScratch(captured);
  return status;
}

import { NtQueryDirectoryObject as ObQueryDirectory } from "../ob/obdir";
import { NtQueryObject as ObQueryObject, NtSetInformationObject as ObSetInformationObject } from "../ob/obquery";
import { NtDuplicateObject as ObDuplicateObject } from "../ob/obhandle";
import {
  NT_ERROR, STATUS_ACCESS_VIOLATION, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_HANDLE,
  STATUS_OBJECT_NAME_INVALID, STATUS_SUCCESS, STATUS_BUFFER_TOO_SMALL,
} from "../sdk/ntstatus";

/** NtQueryDirectoryObject(DirectoryHandle, Buffer, Length, ReturnSingleEntry, RestartScan, Context, ReturnLength optional). */
export function NtQueryDirectoryObject(handle: u32, buffer: usize, length: u32, single: u32, restart: u32, context: usize, returnLength: usize): u32 {
  if (!ExIsUserHandleAllowed(handle)) return STATUS_INVALID_HANDLE;
  if (!ProbeForWrite(buffer, length, 4) || !ProbeForWrite(context, 4, 4)) return STATUS_ACCESS_VIOLATION;
  if (returnLength != 0 && !ProbeForWrite(returnLength, 4, 4)) return STATUS_ACCESS_VIOLATION;
  return ObQueryDirectory(handle, buffer, length, (single & 0xFF) != 0, (restart & 0xFF) != 0, context, returnLength);
}

/** NtQueryObject(Handle, ObjectInformationClass, Buffer, Length, ReturnLength optional). */
export function NtQueryObject(handle: u32, infoClass: u32, buffer: usize, length: u32, returnLength: usize): u32 {
  if (!ExIsUserHandleAllowed(handle)) return STATUS_INVALID_HANDLE;
  if (!ProbeForWrite(buffer, length, 4)) return STATUS_ACCESS_VIOLATION;
  if (returnLength != 0 && !ProbeForWrite(returnLength, 4, 4)) return STATUS_ACCESS_VIOLATION;
  return ObQueryObject(handle, infoClass, buffer, length, returnLength);
}

/** NtSetInformationObject(Handle, ObjectInformationClass, Buffer, Length). */
export function NtSetInformationObject(handle: u32, infoClass: u32, buffer: usize, length: u32): u32 {
  if (!ExIsUserHandleAllowed(handle)) return STATUS_INVALID_HANDLE;
  if (!ProbeForRead(buffer, length, 1)) return STATUS_ACCESS_VIOLATION;
  return ObSetInformationObject(handle, infoClass, buffer, length);
}

/** NtDuplicateObject(SourceProcess, SourceHandle, TargetProcess, TargetHandle optional, DesiredAccess, HandleAttributes, Options). */
export function NtDuplicateObject(sourceProcess: u32, sourceHandle: u32, targetProcess: u32, targetHandle: usize,
                                  access: u32, attributes: u32, options: u32): u32 {
  if (!ExIsUserHandleAllowed(sourceHandle) || !ExIsUserHandleAllowed(sourceProcess) || !ExIsUserHandleAllowed(targetProcess)) return STATUS_INVALID_HANDLE;
  if (targetHandle != 0 && !ProbeForWrite(targetHandle, 4, 4)) return STATUS_ACCESS_VIOLATION;
  const out = KeAllocateScratch(4); // the new handle, in kernel memory until the end
  const status = ObDuplicateObject(sourceProcess, sourceHandle, targetProcess, targetHandle != 0 ? out : 0, access, attributes, options);
  if (targetHandle != 0 && !NT_ERROR(status)) store<u32>(targetHandle, load<u32>(out));
  KeFreeScratch(out);
  return status;
}
