// The object manager's system services: the entries ring 3 reaches through
// the service table. Each one probes and captures what the caller passed
// (the OBJECT_ATTRIBUTES, a UNICODE_STRING, an in-out context), calls the
// one kernel-mode routine that does the work (ObCloseHandle,
// ObCreateDirectoryObject, ObQueryObject, ...; kernel callers in io/ps/cm
// call those directly, with kernel memory), and copies the answer out.
//
// Single fetch: every user value is read once, through ExCopyFromUser, into
// kernel memory; answers are built in pool or in the thread's scratch arena
// (the Ob routines run under Ob's lock, with interrupts off) and copied to
// the caller once, after the lock, through ExCopyToUser / ExWriteUserUlong.
// Probes are range checks (ProbeUserRange; the handle out-pointers also have
// their page touched, ProbeUserWrite, so a bad one fails before a handle is
// made); a page another thread takes away between the probe and the copy
// gives STATUS_ACCESS_VIOLATION. Kernel
// handles from user mode are refused by Ob itself, in every handle lookup.

import { ExCopyFromUser, ExCopyToUser, ExWriteUserUlong, ProbeUserRange, ProbeUserWrite } from "../ke/probe";
import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import { ExCaptureObjectAttributes, ExReleaseObjectAttributes } from "../ex/capture";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { ObCloseHandle, ObDuplicateObject, ObReferenceObjectByHandle } from "./obhandle";
import { ObCreateObject, ObCreateObjectType, ObInitializeTypeInitializer } from "./obcreate";
import { ObInsertObject, ObOpenObjectByName } from "./obname";
import { ObDereferenceObject } from "./obref";
import { RtlInitUnicodeString } from "../rtl/unicode";
import { ObCreateDirectoryObject, ObOpenDirectoryObject, ObQueryDirectoryObject } from "./obdir";
import { ObCreateSymbolicLinkObject, ObOpenSymbolicLinkObject, ObQuerySymbolicLinkObject } from "./oblink";
import { ObMakePermanentHandle, ObMakeTemporaryHandle, ObQueryObject, ObSetInformationObject } from "./obquery";
import {
  OBJECT_TYPE_INITIALIZER, ObjectNameInformation, ObjectTypeInformation, ObjectTypesInformation, SIZEOF_OBJECT_DIRECTORY_INFORMATION,
  SIZEOF_OBJECT_HANDLE_FLAG_INFORMATION, SIZEOF_OBJECT_TYPE_INFORMATION,
} from "./obp";
import {
  NT_ERROR, NT_SUCCESS, STATUS_ACCESS_VIOLATION, STATUS_BUFFER_TOO_SMALL, STATUS_INSUFFICIENT_RESOURCES,
  STATUS_MORE_ENTRIES, STATUS_OBJECT_NAME_INVALID, STATUS_SUCCESS,
} from "../sdk/ntstatus";
import { InitializeCountedString } from "../sdk/ntdef";

const CAPTURE_TAG: u32 = 0x74706143; // 'Capt'
const ANSWER_TAG: u32 = 0x7341624F;  // 'ObAs': an answer on its way to the caller
/**
 * The largest answer built in pool for one call: a caller's buffer longer
 * than this is answered as if it were this long (only a directory listing
 * could need more; it says STATUS_MORE_ENTRIES and goes on at the next call).
 */
const OB_ANSWER_MAX: u32 = 0x10000;

// ---- handles ----

/** Io's routine that sends a file's last CLEANUP and CLOSE outside Ob's lock (ObRegisterCloseRoutine). */
let ObpCloseRoutine: usize = 0;
/**
 * The head of Io's list of closed files whose driver has yet to hear CLEANUP
 * and CLOSE (Io pushes and pops; 0 when empty). Ob keeps the word so that
 * NtClose calls Io's routine only when a close left work: the common close
 * (and every failed one) costs a load and a compare, not a call.
 */
export const ObDeferredCloseQueue: usize = memory.data(4, 4);
/**
 * Nonzero while a thread sends queued CLEANUPs and CLOSEs (Io writes it).
 * A close whose file another thread took off the queue is not over until
 * that thread is done, so NtClose calls Io's routine then too: a file
 * deleted on close is gone from the disk when NtClose returns, as in NT.
 */
export const ObDeferredCloseActive: usize = memory.data(4, 4);
/** Phase 1, by Io: what NtClose runs after a close that queued work (Io sits above Ob and hands it in). */
export function ObRegisterCloseRoutine(routine: () => void): void { ObpCloseRoutine = changetype<usize>(routine); }

export function NtClose(handle: u32): u32 {
  const status = ObCloseHandle(handle);
  // a file's last close: its driver hears it now
  if ((load<usize>(ObDeferredCloseQueue) | load<usize>(ObDeferredCloseActive)) != 0 && ObpCloseRoutine != 0) {
    changetype<() => void>(ObpCloseRoutine)();
  }
  return status;
}

export function NtMakeTemporaryObject(handle: u32): u32 { return ObMakeTemporaryHandle(handle); }
export function NtMakePermanentObject(handle: u32): u32 { return ObMakePermanentHandle(handle); }

/** NtDuplicateObject(SourceProcess, SourceHandle, TargetProcess, TargetHandle optional, DesiredAccess, HandleAttributes, Options). */
export function NtDuplicateObject(sourceProcess: u32, sourceHandle: u32, targetProcess: u32, targetHandle: usize,
                                  access: u32, attributes: u32, options: u32): u32 {
  if (targetHandle != 0 && !ProbeUserWrite(targetHandle, 4, 4)) return STATUS_ACCESS_VIOLATION;
  const out = KeAllocateScratch(4); // the new handle, in kernel memory until the end
  const status = ObDuplicateObject(sourceProcess, sourceHandle, targetProcess, targetHandle != 0 ? out : 0, access, attributes, options);
  const created = load<u32>(out);
  KeFreeScratch(out);
  if (targetHandle != 0 && !NT_ERROR(status) && !ExWriteUserUlong(targetHandle, created)) return STATUS_ACCESS_VIOLATION;
  return status;
}

// ---- create and open by name ----

type OPEN = (handle: usize, access: u32, objectAttributes: usize) => u32;

// Per-call blocks come from the thread's scratch arena (KeAllocateScratch):
// the captured attributes (8 bytes) and the handle Ob writes (+12) before it
// goes to the caller.

function ObpCreateOrOpen(handle: usize, access: u32, objectAttributes: usize, routine: OPEN): u32 {
  if (!ProbeUserWrite(handle, 4, 4)) return STATUS_ACCESS_VIOLATION;
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
  return ObpCreateOrOpen(handle, access, objectAttributes, ObCreateDirectoryObject);
}
export function NtOpenDirectoryObject(handle: usize, access: u32, objectAttributes: usize): u32 {
  return ObpCreateOrOpen(handle, access, objectAttributes, ObOpenDirectoryObject);
}
export function NtOpenSymbolicLinkObject(handle: usize, access: u32, objectAttributes: usize): u32 {
  return ObpCreateOrOpen(handle, access, objectAttributes, ObOpenSymbolicLinkObject);
}

/** NtCreateSymbolicLinkObject(LinkHandle, DesiredAccess, ObjectAttributes, LinkTarget): the target string is captured too. */
export function NtCreateSymbolicLinkObject(handle: usize, access: u32, objectAttributes: usize, target: usize): u32 {
  if (!ProbeUserWrite(handle, 4, 4)) return STATUS_ACCESS_VIOLATION;
  // LinkTarget read once (s+16: Length, MaximumLength, Buffer), its text through the user-copy routine.
  const s = KeAllocateScratch(24);
  let status = ObpCaptureLinkTarget(target, s + 16);
  const copy = load<usize>(s, 16);
  if (status == STATUS_SUCCESS) status = ExCaptureObjectAttributes(objectAttributes, s);
  if (status == STATUS_SUCCESS) {
    status = ObCreateSymbolicLinkObject(s + 12, access, load<usize>(s), copy);
    if (!NT_ERROR(status) && !ExWriteUserUlong(handle, load<u32>(s, 12))) status = STATUS_ACCESS_VIOLATION;
    ExReleaseObjectAttributes(s);
  }
  KeFreeScratch(s);
  if (copy != 0) ExFreePoolWithTag(copy, CAPTURE_TAG);
  return status;
}

/** A pool copy ('Capt': UNICODE_STRING then the text) of the caller's LinkTarget at `out` (0 on failure). */
function ObpCaptureLinkTarget(target: usize, out: usize): u32 {
  store<usize>(out, 0);
  if (!ProbeUserRange(target, 8, 4) || !ExCopyFromUser(out, target, 8)) { store<usize>(out, 0); return STATUS_ACCESS_VIOLATION; }
  const length = <u32>load<u16>(out);
  const buffer = load<usize>(out, 4);
  store<usize>(out, 0);
  if ((length & 1) != 0) return STATUS_OBJECT_NAME_INVALID;
  if (!ProbeUserRange(buffer, length, 2)) return STATUS_ACCESS_VIOLATION;
  const copy = ExAllocatePoolWithTag(NonPagedPool, 8 + length, CAPTURE_TAG);
  if (copy == 0) return STATUS_INSUFFICIENT_RESOURCES;
  InitializeCountedString(copy, copy + 8, length, length);
  store<usize>(out, copy);
  return ExCopyFromUser(copy + 8, buffer, length) ? STATUS_SUCCESS : STATUS_ACCESS_VIOLATION;
}

// ---- queries ----

/**
 * NtQuerySymbolicLinkObject(LinkHandle, LinkTarget (in: MaximumLength and Buffer; out: Length), ReturnedLength optional).
 * LinkTarget is read once into a kernel UNICODE_STRING (single fetch) whose
 * Buffer is pool of the caller's MaximumLength: Ob copies the target there
 * under its lock, and the text, Length and the returned length go to the
 * caller afterwards, to the captured Buffer (the probed one; a second thread
 * flipping Buffer to a kernel address after the probe used to redirect the
 * copy into kernel memory).
 */
export function NtQuerySymbolicLinkObject(handle: u32, target: usize, returnedLength: usize): u32 {
  if (!ProbeUserRange(target, 8, 4)) return STATUS_ACCESS_VIOLATION;
  if (returnedLength != 0 && !ProbeUserRange(returnedLength, 4, 4)) return STATUS_ACCESS_VIOLATION;
  const s = KeAllocateScratch(12);
  const result = ObpQuerySymbolicLink(handle, target, returnedLength, s);
  KeFreeScratch(s);
  return result;
}

function ObpQuerySymbolicLink(handle: u32, target: usize, returnedLength: usize, s: usize): u32 {
  // s+0: the caller's UNICODE_STRING as read (Buffer then replaced by the pool copy's); s+8: the returned length.
  if (!ExCopyFromUser(s, target, 8)) return STATUS_ACCESS_VIOLATION;
  const maximum = <u32>load<u16>(s, 2);
  const buffer = load<usize>(s, 4);
  if (!ProbeUserRange(buffer, maximum, 2)) return STATUS_ACCESS_VIOLATION;
  const text = maximum != 0 ? ExAllocatePoolWithTag(NonPagedPool, maximum, ANSWER_TAG) : 0;
  if (maximum != 0 && text == 0) return STATUS_INSUFFICIENT_RESOURCES;
  store<usize>(s, text, 4); // Ob writes to the pool copy
  let status = ObQuerySymbolicLinkObject(handle, s, returnedLength != 0 ? s + 8 : 0);
  if (status == STATUS_SUCCESS) {
    // The text (with its NUL when a returned length was asked for), then Length.
    const bytes = returnedLength != 0 ? load<u32>(s, 8) : <u32>load<u16>(s);
    if (!ExCopyToUser(buffer, text, bytes) || !ExCopyToUser(target, s, 2)) status = STATUS_ACCESS_VIOLATION;
  }
  if (returnedLength != 0 && (status == STATUS_SUCCESS || status == STATUS_BUFFER_TOO_SMALL)
      && !ExWriteUserUlong(returnedLength, load<u32>(s, 8))) status = STATUS_ACCESS_VIOLATION;
  if (text != 0) ExFreePoolWithTag(text, ANSWER_TAG);
  return status;
}

/** Ob wrote no length (it refused the handle first): nothing goes to the caller's ReturnLength. */
const OBP_NO_LENGTH: u32 = 0xFFFFFFFF;

/** A pointer inside an answer built at kernel address K, moved to where the caller's copy of it is (K + delta); 0 stays 0. */
@inline function ObpRelocate(at: usize, delta: usize): void {
  const pointer = load<usize>(at);
  if (pointer != 0) store<usize>(at, pointer + delta);
}

/** Pool for an answer of up to `length` bytes of the caller's, zeroed (nothing of the pool's past goes out); 0 for none. */
function ObpAllocateAnswer(length: u32): usize {
  const size = length < OB_ANSWER_MAX ? length : OB_ANSWER_MAX;
  if (size == 0) return 0;
  const answer = ExAllocatePoolWithTag(NonPagedPool, size, ANSWER_TAG);
  if (answer != 0) memory.fill(answer, 0, size);
  return answer;
}

/** NtQueryDirectoryObject(DirectoryHandle, Buffer, Length, ReturnSingleEntry, RestartScan, Context (in-out), ReturnLength optional). */
export function NtQueryDirectoryObject(handle: u32, buffer: usize, length: u32, single: u32, restart: u32, context: usize, returnLength: usize): u32 {
  if (!ProbeUserRange(buffer, length, 4) || !ProbeUserRange(context, 4, 4)) return STATUS_ACCESS_VIOLATION;
  if (returnLength != 0 && !ProbeUserRange(returnLength, 4, 4)) return STATUS_ACCESS_VIOLATION;
  const size = length < OB_ANSWER_MAX ? length : OB_ANSWER_MAX;
  const answer = ObpAllocateAnswer(size);
  if (size != 0 && answer == 0) return STATUS_INSUFFICIENT_RESOURCES;
  const s = KeAllocateScratch(8); // +0 the context (read once), +4 the length used
  store<u32>(s, OBP_NO_LENGTH, 4);
  let status = ExCopyFromUser(s, context, 4)
    ? ObQueryDirectoryObject(handle, answer, size, (single & 0xFF) != 0, (restart & 0xFF) != 0, s, s + 4)
    : STATUS_ACCESS_VIOLATION;
  if (status == STATUS_SUCCESS || status == STATUS_MORE_ENTRIES) {
    // The records' strings point into the answer: move them to the caller's copy.
    const delta = buffer - answer;
    for (let at = answer; load<u16>(at, 2) != 0 || load<usize>(at, 4) != 0; at += SIZEOF_OBJECT_DIRECTORY_INFORMATION) {
      ObpRelocate(at + 4, delta);
      ObpRelocate(at + 12, delta);
    }
    if (!ExCopyToUser(buffer, answer, load<u32>(s, 4)) || !ExWriteUserUlong(context, load<u32>(s))) status = STATUS_ACCESS_VIOLATION;
  }
  if (returnLength != 0 && status != STATUS_ACCESS_VIOLATION && load<u32>(s, 4) != OBP_NO_LENGTH
      && !ExWriteUserUlong(returnLength, load<u32>(s, 4))) status = STATUS_ACCESS_VIOLATION;
  KeFreeScratch(s);
  if (answer != 0) ExFreePoolWithTag(answer, ANSWER_TAG);
  return status;
}

/** NtQueryObject(Handle, ObjectInformationClass, Buffer, Length, ReturnLength optional). */
export function NtQueryObject(handle: u32, infoClass: u32, buffer: usize, length: u32, returnLength: usize): u32 {
  if (!ProbeUserRange(buffer, length, 4)) return STATUS_ACCESS_VIOLATION;
  if (returnLength != 0 && !ProbeUserRange(returnLength, 4, 4)) return STATUS_ACCESS_VIOLATION;
  // The lengths above OB_ANSWER_MAX answer as that: no class needs more, and one that wants exactly `length` wants less.
  const size = length < OB_ANSWER_MAX ? length : OB_ANSWER_MAX;
  const answer = ObpAllocateAnswer(size);
  if (size != 0 && answer == 0) return STATUS_INSUFFICIENT_RESOURCES;
  const used = KeAllocateScratch(4);
  store<u32>(used, OBP_NO_LENGTH);
  let status = ObQueryObject(handle, infoClass, answer, size, used);
  const bytes = load<u32>(used);
  KeFreeScratch(used);
  if (NT_SUCCESS(status)) {
    ObpRelocateObjectAnswer(infoClass, answer, buffer - answer);
    if (!ExCopyToUser(buffer, answer, bytes < size ? bytes : size)) status = STATUS_ACCESS_VIOLATION;
  }
  if (returnLength != 0 && status != STATUS_ACCESS_VIOLATION && bytes != OBP_NO_LENGTH
      && !ExWriteUserUlong(returnLength, bytes)) status = STATUS_ACCESS_VIOLATION;
  if (answer != 0) ExFreePoolWithTag(answer, ANSWER_TAG);
  return status;
}

/** The UNICODE_STRING buffers of an NtQueryObject answer (name, type, every type), moved to the caller's copy. */
function ObpRelocateObjectAnswer(infoClass: u32, answer: usize, delta: usize): void {
  if (infoClass == ObjectNameInformation || infoClass == ObjectTypeInformation) ObpRelocate(answer + 4, delta);
  else if (infoClass == ObjectTypesInformation) {
    let at = answer + 4;
    for (let i: u32 = 0, n = load<u32>(answer); i < n; i++) {
      ObpRelocate(at + 4, delta);
      at += SIZEOF_OBJECT_TYPE_INFORMATION + ((<u32>load<u16>(at, 2) + 3) & ~3);
    }
  }
}

/** NtSetInformationObject(Handle, ObjectInformationClass, Buffer, Length): the information read once. */
export function NtSetInformationObject(handle: u32, infoClass: u32, buffer: usize, length: u32): u32 {
  if (!ProbeUserRange(buffer, length, 1)) return STATUS_ACCESS_VIOLATION;
  const copy = KeAllocateScratch(4);
  // Ob checks the class and the length before it reads: only the one size it takes is copied.
  const ok = length != SIZEOF_OBJECT_HANDLE_FLAG_INFORMATION || ExCopyFromUser(copy, buffer, length);
  const status = ok ? ObSetInformationObject(handle, infoClass, copy, length) : STATUS_ACCESS_VIOLATION;
  KeFreeScratch(copy);
  return status;
}

// ---- the Create/Open services of the other components' object types ----
//
// Ex's events, mutants, semaphores and timers, Mm's sections and LPC's ports
// are created and opened the same way; these are those services' bodies.
// Ex, below Ob, gets them through ExSetObjectRoutines (ObInitSystem).
// Per-call blocks (captured attributes, out-parameters) come from the
// thread's scratch arena, freed on every return path (README, "Concurrency").

/** Initialises a new object's body from two arguments; returns an NTSTATUS (a failure deletes the object). */
export type OB_SERVICE_INIT = (body: usize, a: u32, b: u32) => u32;

/**
 * NtCreateXxx: probe the handle, capture the attributes, create, initialise
 * the body, insert, hand out the handle (through the user-copy routine: a
 * page gone by then is STATUS_ACCESS_VIOLATION, the handle stays open, as NT's).
 */
export function ObCreateObjectService(handle: usize, access: u32, objectAttributes: usize, type: usize, bodySize: u32, init: OB_SERVICE_INIT, a: u32, b: u32): u32 {
  if (!ProbeUserWrite(handle, 4, 4)) return STATUS_ACCESS_VIOLATION;
  const s = KeAllocateScratch(16); // +0 captured attributes (8), +8 the object, +12 the handle
  let status = ExCaptureObjectAttributes(objectAttributes, s);
  if (status == STATUS_SUCCESS) {
    status = ObCreateObject(type, load<usize>(s), bodySize, s + 8, true);
    if (status == STATUS_SUCCESS) {
      const body = load<usize>(s, 8);
      status = init(body, a, b);
      if (status != STATUS_SUCCESS) { ObDereferenceObject(body); }
      else {
        status = ObInsertObject(body, access, s + 12);
        if (!NT_ERROR(status) && !ExWriteUserUlong(handle, load<u32>(s, 12))) status = STATUS_ACCESS_VIOLATION;
      }
    }
    ExReleaseObjectAttributes(s);
  }
  KeFreeScratch(s);
  return status;
}

/** NtOpenXxx: probe the handle, capture the attributes, open by name, hand out the handle. */
export function ObOpenObjectService(handle: usize, access: u32, objectAttributes: usize, type: usize): u32 {
  if (!ProbeUserWrite(handle, 4, 4)) return STATUS_ACCESS_VIOLATION;
  const s = KeAllocateScratch(16); // +0 captured attributes (8), +12 the handle
  let status = ExCaptureObjectAttributes(objectAttributes, s);
  if (status == STATUS_SUCCESS) {
    status = ObOpenObjectByName(load<usize>(s), type, access, s + 12);
    if (status == STATUS_SUCCESS && !ExWriteUserUlong(handle, load<u32>(s, 12))) status = STATUS_ACCESS_VIOLATION;
    ExReleaseObjectAttributes(s);
  }
  KeFreeScratch(s);
  return status;
}

/**
 * References the object behind a handle a service was given: the status,
 * and on success the object at `object` (4 bytes the caller owns, e.g. from
 * KeAllocateScratch; 0 there on failure). A kernel handle from user mode is
 * STATUS_INVALID_HANDLE.
 */
export function ObReferenceHandle(handle: u32, access: u32, type: usize, object: usize): u32 {
  store<usize>(object, 0);
  return ObReferenceObjectByHandle(handle, access, type, object, 0);
}

// Boot only (the types are made in phase 1, before user processes exist).
const ServiceTypeName = memory.data(8, 4);
const ServiceTypeInit = memory.data(128, 4);

/**
 * A type for a component's objects (\ObjectTypes\<name>): its pool tag, body
 * size, generic mapping (read, write, execute, all; all is also the valid
 * access) and delete procedure. The status; the type at `type` on success.
 */
export function ObCreateServiceType(name: string, tag: u32, bodySize: u32, read: u32, write: u32, execute: u32, all: u32,
                                    deleteProcedure: ((o: usize) => void) | null, type: usize): u32 {
  ObInitializeTypeInitializer(ServiceTypeInit, read, write, execute, all, all, bodySize);
  const info = changetype<OBJECT_TYPE_INITIALIZER>(ServiceTypeInit);
  info.PoolTag = tag;
  info.DeleteProcedure = deleteProcedure;
  RtlInitUnicodeString(ServiceTypeName, name);
  return ObCreateObjectType(ServiceTypeName, ServiceTypeInit, type);
}
