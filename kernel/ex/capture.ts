// Capturing a caller's OBJECT_ATTRIBUTES: a service called from user mode
// works on a kernel copy, made once, of the attributes, the UNICODE_STRING
// they point at and the name's characters (another thread of the caller
// cannot change them under the object manager). Each user structure is read
// exactly once, through the user-copy routine (ExCopyFromUser): every field
// used afterwards (ObjectName included) comes from the kernel copy, and a page
// that vanishes under the copy gives STATUS_ACCESS_VIOLATION, not a bug check.
// Called from kernel mode the caller's pointer is used as it is.
//
//   copy (pool 'Capt'):  +0 OBJECT_ATTRIBUTES (24)  +24 UNICODE_STRING (8)  +32 the name (Length bytes)

import { ExCopyFromUser, ExGetPreviousMode, ExWriteUserUlong, KernelMode, ProbeForWrite, ProbeUserRange } from "../ke/probe";
import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "./pool";
import {
  STATUS_ACCESS_VIOLATION, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_PARAMETER,
  STATUS_OBJECT_NAME_INVALID, STATUS_SUCCESS,
} from "../sdk/ntstatus";
import { InitializeCountedString } from "../sdk/ntdef";

const CAPTURE_TAG: u32 = 0x74706143; // 'Capt'
const OA_SIZE: u32 = 24;
const NAME_AT: u32 = OA_SIZE;       // the captured UNICODE_STRING
const TEXT_AT: u32 = OA_SIZE + 8;   // its characters

/**
 * Captures `objectAttributes` (0 allowed: no attributes). On success the
 * pointer to use is at `out`+0 and the copy at `out`+4 (release it with
 * ExReleaseObjectAttributes); `out` is 8 bytes of kernel memory.
 */
export function ExCaptureObjectAttributes(objectAttributes: usize, out: usize): u32 {
  store<usize>(out, objectAttributes);
  store<usize>(out, 0, 4);
  if (objectAttributes == 0 || ExGetPreviousMode() == KernelMode) return STATUS_SUCCESS;
  const head = KeAllocateScratch(TEXT_AT); // the attributes and the name's UNICODE_STRING, read once each
  const status = ExpCaptureObjectAttributes(objectAttributes, head, out);
  KeFreeScratch(head);
  return status;
}

function ExpCaptureObjectAttributes(objectAttributes: usize, head: usize, out: usize): u32 {
  if (!ProbeUserRange(objectAttributes, OA_SIZE, 4) || !ExCopyFromUser(head, objectAttributes, OA_SIZE)) return STATUS_ACCESS_VIOLATION;
  if (load<u32>(head) != OA_SIZE) return STATUS_INVALID_PARAMETER;
  const name = load<usize>(head, 8);
  let length: u32 = 0, buffer: usize = 0;
  if (name != 0) {
    if (!ProbeUserRange(name, 8, 4) || !ExCopyFromUser(head + NAME_AT, name, 8)) return STATUS_ACCESS_VIOLATION;
    length = <u32>load<u16>(head + NAME_AT);
    const maximum = <u32>load<u16>(head + NAME_AT, 2);
    buffer = load<usize>(head + NAME_AT, 4);
    if ((length & 1) != 0 || length > maximum) return STATUS_OBJECT_NAME_INVALID;
    if (!ProbeUserRange(buffer, length, 2)) return STATUS_ACCESS_VIOLATION;
  }
  const copy = ExAllocatePoolWithTag(NonPagedPool, TEXT_AT + length, CAPTURE_TAG);
  if (copy == 0) return STATUS_INSUFFICIENT_RESOURCES;
  memory.copy(copy, head, OA_SIZE);
  if (name != 0) {
    if (!ExCopyFromUser(copy + TEXT_AT, buffer, length)) { ExFreePoolWithTag(copy, CAPTURE_TAG); return STATUS_ACCESS_VIOLATION; }
    InitializeCountedString(copy + NAME_AT, copy + TEXT_AT, length, length);
    store<usize>(copy, copy + NAME_AT, 8);
  }
  store<usize>(out, copy);
  store<usize>(out, copy, 4);
  return STATUS_SUCCESS;
}

export function ExReleaseObjectAttributes(out: usize): void {
  const copy = load<usize>(out, 4);
  if (copy != 0) ExFreePoolWithTag(copy, CAPTURE_TAG);
  store<usize>(out, 0, 4);
}

/** Probes an output handle pointer (HANDLE*) of the caller. */
export function ExProbeHandle(handle: usize): bool { return ProbeForWrite(handle, 4, 4); }

/** Reads an optional LARGE_INTEGER* timeout of the caller into `into`; returns the pointer to use (0 = none) or 1 on a bad pointer. */
export function ExCaptureTimeout(timeout: usize, into: usize): usize {
  if (timeout == 0) return 0;
  if (!ProbeUserRange(timeout, 8, 4) || !ExCopyFromUser(into, timeout, 8)) return 1;
  return into;
}

/** Stores a new handle (or any ULONG result) at a probed user pointer: false when its page is gone (STATUS_ACCESS_VIOLATION). */
export function ExReturnHandle(handle: usize, value: u32): bool { return ExWriteUserUlong(handle, value); }
