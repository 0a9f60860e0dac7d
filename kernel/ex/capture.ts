// Capturing a caller's OBJECT_ATTRIBUTES: a service called from user mode
// works on a kernel copy, made once, of the attributes, the UNICODE_STRING
// they point at and the name's characters (another thread of the caller
// cannot change them under the object manager). Called from kernel mode the
// caller's pointer is used as it is.
//
//   copy (pool 'Capt'):  +0 OBJECT_ATTRIBUTES (24)  +24 UNICODE_STRING (8)  +32 the name (Length bytes)

import { ExGetPreviousMode, KernelMode, ProbeForRead, ProbeForWrite } from "../ke/probe";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "./pool";
import {
  STATUS_ACCESS_VIOLATION, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_PARAMETER,
  STATUS_OBJECT_NAME_INVALID, STATUS_SUCCESS,
} from "../sdk/ntstatus";

const CAPTURE_TAG: u32 = 0x74706143; // 'Capt'
const OA_SIZE: u32 = 24;

/**
 * Captures `objectAttributes` (0 allowed: no attributes). On success the
 * pointer to use is at `out`+0 and the copy at `out`+4 (release it with
 * ExReleaseObjectAttributes); `out` is 8 bytes of the thread's service scratch.
 */
export function ExCaptureObjectAttributes(objectAttributes: usize, out: usize): u32 {
  store<usize>(out, objectAttributes);
  store<usize>(out, 0, 4);
  if (objectAttributes == 0 || ExGetPreviousMode() == KernelMode) return STATUS_SUCCESS;
  if (!ProbeForRead(objectAttributes, OA_SIZE, 4)) return STATUS_ACCESS_VIOLATION;
  if (load<u32>(objectAttributes) != OA_SIZE) return STATUS_INVALID_PARAMETER;
  const name = load<usize>(objectAttributes, 8);
  let length: u32 = 0, buffer: usize = 0, maximum: u32 = 0;
  if (name != 0) {
    if (!ProbeForRead(name, 8, 4)) return STATUS_ACCESS_VIOLATION;
    length = <u32>load<u16>(name);
    maximum = <u32>load<u16>(name, 2);
    buffer = load<usize>(name, 4);
    if ((length & 1) != 0 || length > maximum) return STATUS_OBJECT_NAME_INVALID;
    if (length != 0 && !ProbeForRead(buffer, length, 2)) return STATUS_ACCESS_VIOLATION;
  }
  const copy = ExAllocatePoolWithTag(NonPagedPool, OA_SIZE + 8 + length, CAPTURE_TAG);
  if (copy == 0) return STATUS_INSUFFICIENT_RESOURCES;
  memory.copy(copy, objectAttributes, OA_SIZE);
  if (name != 0) {
    store<u16>(copy + OA_SIZE, <u16>length);
    store<u16>(copy + OA_SIZE, <u16>length, 2);
    store<usize>(copy + OA_SIZE, copy + OA_SIZE + 8, 4);
    memory.copy(copy + OA_SIZE + 8, buffer, length);
    store<usize>(copy, copy + OA_SIZE, 8);
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
  if (!ProbeForRead(timeout, 8, 4)) return 1;
  store<i64>(into, load<i64>(timeout));
  return into;
}
