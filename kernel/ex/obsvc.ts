// The object manager's services as ring 3 calls them: pointers are probed and
// OBJECT_ATTRIBUTES captured before the object manager sees them. (Kernel
// handles from user mode are refused by Ob itself, in every handle lookup.)

import { ExCopyFromUser, ExCopyToUser, ExWriteUserUlong, ProbeForRead, ProbeForWrite, ProbeUserRange } from "../ke/probe";
import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import { IopProcessDeferredCloses } from "../io/iomgr";
import { ExCaptureObjectAttributes, ExProbeHandle, ExReleaseObjectAttributes } from "./capture";
import { NtClose as ObClose } from "../ob/obhandle";
import { NtCreateDirectoryObject as ObCreateDirectory, NtOpenDirectoryObject as ObOpenDirectory } from "../ob/obdir";
import { NtCreateSymbolicLinkObject as ObCreateLink, NtOpenSymbolicLinkObject as ObOpenLink, NtQuerySymbolicLinkObject as ObQueryLink } from "../ob/oblink";
import { NtMakeTemporaryObject as ObMakeTemporary, NtMakePermanentObject as ObMakePermanent } from "../ob/obquery";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "./pool";


export function NtClose(handle: u32): u32 {
  const status = ObClose(handle);
  IopProcessDeferredCloses(); // a file's last close: its driver hears CLEANUP and CLOSE now, outside Ob's lock
  return status;
}

export function NtMakeTemporaryObject(handle: u32): u32 {
  return ObMakeTemporary(handle);
}

export function NtMakePermanentObject(handle: u32): u32 {
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
    if (!NT_ERROR(status) && !ExWriteUserUlong(handle, load<u32>(s, 12))) status = STATUS_ACCESS_VIOLATION;
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
  // LinkTarget read once (s+16: Length, MaximumLength, Buffer), its text through the user-copy routine.
  const s = KeAllocateScratch(24);
  let status = ExpCaptureLinkTarget(target, s + 16);
  const copy = load<usize>(s, 16);
  if (status == STATUS_SUCCESS) status = ExCaptureObjectAttributes(objectAttributes, s);
  if (status == STATUS_SUCCESS) {
    status = ObCreateLink(s + 12, access, load<usize>(s), copy);
    if (!NT_ERROR(status) && !ExWriteUserUlong(handle, load<u32>(s, 12))) status = STATUS_ACCESS_VIOLATION;
    ExReleaseObjectAttributes(s);
  }
  KeFreeScratch(s);
  if (copy != 0) ExFreePoolWithTag(copy, 0x74706143);
  return status;
}

/** A pool copy ('Capt': UNICODE_STRING then the text) of the caller's LinkTarget at `out` (0 on failure). */
function ExpCaptureLinkTarget(target: usize, out: usize): u32 {
  store<usize>(out, 0);
  if (!ProbeUserRange(target, 8, 4) || !ExCopyFromUser(out, target, 8)) { store<usize>(out, 0); return STATUS_ACCESS_VIOLATION; }
  const length = <u32>load<u16>(out);
  const buffer = load<usize>(out, 4);
  store<usize>(out, 0);
  if ((length & 1) != 0) return STATUS_OBJECT_NAME_INVALID;
  if (!ProbeUserRange(buffer, length, 2)) return STATUS_ACCESS_VIOLATION;
  const copy = ExAllocatePoolWithTag(NonPagedPool, 8 + length, 0x74706143); // 'Capt'
  if (copy == 0) return STATUS_INSUFFICIENT_RESOURCES;
  store<u16>(copy, <u16>length); store<u16>(copy, <u16>length, 2); store<usize>(copy, copy + 8, 4);
  store<usize>(out, copy);
  return ExCopyFromUser(copy + 8, buffer, length) ? STATUS_SUCCESS : STATUS_ACCESS_VIOLATION;
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
  if (!ProbeForWrite(target, 8, 4)) return STATUS_ACCESS_VIOLATION;
  if (returnedLength != 0 && !ProbeForWrite(returnedLength, 4, 4)) return STATUS_ACCESS_VIOLATION;
  const captured = KeAllocateScratch(12);    // kernel UNICODE_STRING: Length, MaximumLength, Buffer
  const length = captured + 8;                // kernel slot for the returned length
  let status = STATUS_ACCESS_VIOLATION;
  // The one read of the caller's structure, then the writes back, through the user-copy routines.
  if (ExCopyFromUser(captured, target, 8) && ProbeForWrite(load<usize>(captured, 4), <u32>load<u16>(captured, 2), 2)) {
    status = ObQueryLink(handle, captured, returnedLength != 0 ? length : 0);
    if (status == STATUS_SUCCESS && !ExCopyToUser(target, captured, 2)) status = STATUS_ACCESS_VIOLATION;
    if (returnedLength != 0 && (status == STATUS_SUCCESS || status == STATUS_BUFFER_TOO_SMALL)
        && !ExWriteUserUlong(returnedLength, load<u32>(length))) status = STATUS_ACCESS_VIOLATION;
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
  if (!ProbeForWrite(buffer, length, 4) || !ProbeForWrite(context, 4, 4)) return STATUS_ACCESS_VIOLATION;
  if (returnLength != 0 && !ProbeForWrite(returnLength, 4, 4)) return STATUS_ACCESS_VIOLATION;
  return ObQueryDirectory(handle, buffer, length, (single & 0xFF) != 0, (restart & 0xFF) != 0, context, returnLength);
}

/** NtQueryObject(Handle, ObjectInformationClass, Buffer, Length, ReturnLength optional). */
export function NtQueryObject(handle: u32, infoClass: u32, buffer: usize, length: u32, returnLength: usize): u32 {
  if (!ProbeForWrite(buffer, length, 4)) return STATUS_ACCESS_VIOLATION;
  if (returnLength != 0 && !ProbeForWrite(returnLength, 4, 4)) return STATUS_ACCESS_VIOLATION;
  return ObQueryObject(handle, infoClass, buffer, length, returnLength);
}

/** NtSetInformationObject(Handle, ObjectInformationClass, Buffer, Length). */
export function NtSetInformationObject(handle: u32, infoClass: u32, buffer: usize, length: u32): u32 {
  if (!ProbeForRead(buffer, length, 1)) return STATUS_ACCESS_VIOLATION;
  return ObSetInformationObject(handle, infoClass, buffer, length);
}

/** NtDuplicateObject(SourceProcess, SourceHandle, TargetProcess, TargetHandle optional, DesiredAccess, HandleAttributes, Options). */
export function NtDuplicateObject(sourceProcess: u32, sourceHandle: u32, targetProcess: u32, targetHandle: usize,
                                  access: u32, attributes: u32, options: u32): u32 {
  if (targetHandle != 0 && !ProbeForWrite(targetHandle, 4, 4)) return STATUS_ACCESS_VIOLATION;
  const out = KeAllocateScratch(4); // the new handle, in kernel memory until the end
  const status = ObDuplicateObject(sourceProcess, sourceHandle, targetProcess, targetHandle != 0 ? out : 0, access, attributes, options);
  const created = load<u32>(out);
  KeFreeScratch(out);
  if (targetHandle != 0 && !NT_ERROR(status) && !ExWriteUserUlong(targetHandle, created)) return STATUS_ACCESS_VIOLATION;
  return status;
}
