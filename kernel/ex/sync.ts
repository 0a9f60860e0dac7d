// The executive's synchronization objects as object-manager types -- Event,
// Mutant, Semaphore, Timer -- and their services, plus the waits on handles
// (NtWaitForSingleObject, NtWaitForMultipleObjects). The bodies are the
// kernel's dispatcher objects (ke/wait.ts); the object manager gives them
// names, handles and lifetimes.
//
// Each service works the NT way: probe and capture what the caller passed
// (only when it came from user mode), reference the object by handle with
// the access it needs, call the kernel routine, dereference, write results.
// Probes are range checks (ProbeUserRange; ProbeUserWrite, which also
// touches the pages, for the out-pointers of a service that changes state:
// a bad one fails before the change); every read of the caller's memory is
// one ExCopyFromUser into kernel memory and every result goes out through
// ExWriteUserUlong / ExCopyToUser, so a page another thread takes away
// meanwhile gives STATUS_ACCESS_VIOLATION, never a kernel fault.

import { KWAIT_BLOCK_SIZE, KeAllocateScratch, KeFreeScratch, THREAD_WAIT_OBJECTS } from "../ke/thread";
import {
  KEVENT_SIZE, KMUTANT_SIZE, KSEMAPHORE_SIZE, KTIMER_SIZE, KeCancelTimer, KeInitializeEvent, KeInitializeMutant,
  KeInitializeSemaphore, KeInitializeTimer, KePulseEvent, KeReadStateObject, KeReleaseMutant, KeReleaseSemaphore,
  KeResetEvent, KeSetEvent, KeSetTimer, KeWaitForMultipleObjects, MAXIMUM_WAIT_OBJECTS, WaitAll, WaitAny,
} from "../ke/wait";
import { ExCopyFromUser, ExCopyToUser, ExWriteUserUlong, ProbeUserRange, ProbeUserWrite } from "../ke/probe";
import { ExCaptureObjectAttributes, ExCaptureTimeout, ExReleaseObjectAttributes } from "./capture";
import { ObCreateObject, ObCreateObjectType, ObInitializeTypeInitializer } from "../ob/obcreate";
import { ObInsertObject, ObOpenObjectByName } from "../ob/obname";
import { ObReferenceObjectByHandle } from "../ob/obhandle";
import { ObDereferenceObject } from "../ob/obref";
import { OBJECT_TYPE_INITIALIZER, OBJECT_TO_OBJECT_HEADER, SYNCHRONIZE, STANDARD_RIGHTS_REQUIRED, READ_CONTROL } from "../ob/obp";
import { RtlInitUnicodeString } from "../rtl/unicode";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "./pool";
import { RemoveEntryList } from "../sdk/list";
import { KeBugCheckEx } from "../ke/bugcheck";
import {
  NT_ERROR, STATUS_ACCESS_VIOLATION, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_HANDLE, STATUS_INVALID_PARAMETER,
  STATUS_INVALID_PARAMETER_2, STATUS_OBJECT_TYPE_MISMATCH, STATUS_SUCCESS,
} from "../sdk/ntstatus";


export const EVENT_QUERY_STATE: u32 = 0x0001;
export const EVENT_MODIFY_STATE: u32 = 0x0002;
export const EVENT_ALL_ACCESS: u32 = STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x3;
export const MUTANT_QUERY_STATE: u32 = 0x0001;
export const MUTANT_ALL_ACCESS: u32 = STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x1;
export const SEMAPHORE_QUERY_STATE: u32 = 0x0001;
export const SEMAPHORE_MODIFY_STATE: u32 = 0x0002;
export const SEMAPHORE_ALL_ACCESS: u32 = STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x3;
export const TIMER_QUERY_STATE: u32 = 0x0001;
export const TIMER_MODIFY_STATE: u32 = 0x0002;
export const TIMER_ALL_ACCESS: u32 = STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x3;

export let ExEventObjectType: usize = 0;
export let ExMutantObjectType: usize = 0;
export let ExSemaphoreObjectType: usize = 0;
export let ExTimerObjectType: usize = 0;

// ---- types ----

// Boot only (ExInitializeSynchronizationTypes runs once in phase 1, before user processes exist).
const TypeName = memory.data(8, 4);
const TypeInit = memory.data(128, 4);
const TypeOut = memory.data(4, 4);

function ExpCreateType(name: string, tag: u32, bodySize: u32, modify: u32, all: u32, deleteProcedure: ((o: usize) => void) | null): usize {
  ObInitializeTypeInitializer(TypeInit, READ_CONTROL | 0x1, READ_CONTROL | modify, READ_CONTROL | SYNCHRONIZE, all, all, bodySize);
  const info = changetype<OBJECT_TYPE_INITIALIZER>(TypeInit);
  info.PoolTag = tag;
  info.DeleteProcedure = deleteProcedure;
  RtlInitUnicodeString(TypeName, name);
  const status = ObCreateObjectType(TypeName, TypeInit, TypeOut);
  if (status != STATUS_SUCCESS) KeBugCheckEx(0x5E, 10, status, 0, 0); // OBJECT_INITIALIZATION_FAILED
  return load<usize>(TypeOut);
}

/** An owned mutant that is deleted leaves its owner's list. */
function ExpDeleteMutant(mutant: usize): void {
  if (load<usize>(mutant, 24) != 0) RemoveEntryList(mutant + 16);
}
/** A timer that is deleted is cancelled first. */
function ExpDeleteTimer(timer: usize): void { KeCancelTimer(timer); }

/** Phase 1: registers the types (\ObjectTypes\Event, Mutant, Semaphore, Timer). */
export function ExInitializeSynchronizationTypes(): void {
  ExEventObjectType = ExpCreateType("Event", 0x6E657645, KEVENT_SIZE, EVENT_MODIFY_STATE, EVENT_ALL_ACCESS, null);          // 'Even'
  ExMutantObjectType = ExpCreateType("Mutant", 0x6174754D, KMUTANT_SIZE, 0, MUTANT_ALL_ACCESS, ExpDeleteMutant);             // 'Muta'
  ExSemaphoreObjectType = ExpCreateType("Semaphore", 0x616D6553, KSEMAPHORE_SIZE, SEMAPHORE_MODIFY_STATE, SEMAPHORE_ALL_ACCESS, null); // 'Sema'
  ExTimerObjectType = ExpCreateType("Timer", 0x656D6954, KTIMER_SIZE, TIMER_MODIFY_STATE, TIMER_ALL_ACCESS, ExpDeleteTimer);  // 'Time'
}

// ---- helpers shared by the services (exported: other components' Create/Open services use them too) ----

// Per-call blocks (captured attributes, out-parameters, a captured timeout)
// come from the thread's scratch arena (KeAllocateScratch), freed on every
// return path: a module-level block would be shared by every thread running
// the service (see CONTRACTS.md, the reentrancy rule).

/** Initialises a new object's body from two arguments; returns an NTSTATUS (a failure deletes the object). */
export type EXP_INIT = (body: usize, a: u32, b: u32) => u32;

/**
 * Create: probe the handle, capture the attributes, create, initialise the
 * body, insert, hand out the handle (through the user-copy routine: a page
 * gone by then is STATUS_ACCESS_VIOLATION, the handle stays open, as NT's).
 */
export function ExpCreate(handle: usize, access: u32, objectAttributes: usize, type: usize, bodySize: u32, init: EXP_INIT, a: u32, b: u32): u32 {
  if (!ProbeUserWrite(handle, 4, 4)) return STATUS_ACCESS_VIOLATION;
  const s = KeAllocateScratch(16); // +0 captured attributes (8), +8 the object, +12 the handle
  let status = ExCaptureObjectAttributes(objectAttributes, s);
  if (status == STATUS_SUCCESS) {
    status = ObCreateObject(type, load<usize>(s), bodySize, s + 8);
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

export function ExpOpen(handle: usize, access: u32, objectAttributes: usize, type: usize): u32 {
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
export function ExReferenceHandle(handle: u32, access: u32, type: usize, object: usize): u32 {
  store<usize>(object, 0);
  return ObReferenceObjectByHandle(handle, access, type, object, 0);
}


/** A result for an optional out-pointer the service probed: SUCCESS, or STATUS_ACCESS_VIOLATION when its page is gone. */
function ExpWriteOptional(pointer: usize, value: i32): u32 {
  return pointer == 0 || ExWriteUserUlong(pointer, <u32>value) ? STATUS_SUCCESS : STATUS_ACCESS_VIOLATION;
}
/** The same for a BOOLEAN (one byte), copied from the caller's scratch. */
function ExpWriteOptionalBoolean(pointer: usize, value: bool): u32 {
  if (pointer == 0) return STATUS_SUCCESS;
  const cell = KeAllocateScratch(4);
  store<u8>(cell, value ? 1 : 0);
  const ok = ExCopyToUser(pointer, cell, 1);
  KeFreeScratch(cell);
  return ok ? STATUS_SUCCESS : STATUS_ACCESS_VIOLATION;
}

// ---- events ----

function ExpInitEvent(body: usize, type: u32, state: u32): u32 {
  if (type > 1) return STATUS_INVALID_PARAMETER;
  KeInitializeEvent(body, type == 0, state != 0);
  return STATUS_SUCCESS;
}

/** NtCreateEvent(EventHandle, DesiredAccess, ObjectAttributes, EventType (0 notification, 1 synchronization), InitialState). */
export function NtCreateEvent(handle: usize, access: u32, objectAttributes: usize, type: u32, initialState: u32): u32 {
  return ExpCreate(handle, access, objectAttributes, ExEventObjectType, KEVENT_SIZE, ExpInitEvent, type, initialState & 0xFF);
}
export function NtOpenEvent(handle: usize, access: u32, objectAttributes: usize): u32 {
  return ExpOpen(handle, access, objectAttributes, ExEventObjectType);
}

const EV_SET: u32 = 0, EV_RESET: u32 = 1, EV_PULSE: u32 = 2;
function ExpEventOp(handle: u32, previous: usize, op: u32): u32 {
  if (previous != 0 && !ProbeUserWrite(previous, 4, 4)) return STATUS_ACCESS_VIOLATION;
  const out = KeAllocateScratch(4);
  const status = ExReferenceHandle(handle, EVENT_MODIFY_STATE, ExEventObjectType, out);
  const event = load<usize>(out);
  KeFreeScratch(out);
  if (status != STATUS_SUCCESS) return status;
  const old = op == EV_SET ? KeSetEvent(event) : op == EV_RESET ? KeResetEvent(event) : KePulseEvent(event);
  ObDereferenceObject(event);
  return ExpWriteOptional(previous, old);
}
export function NtSetEvent(handle: u32, previousState: usize): u32 { return ExpEventOp(handle, previousState, EV_SET); }
export function NtResetEvent(handle: u32, previousState: usize): u32 { return ExpEventOp(handle, previousState, EV_RESET); }
export function NtPulseEvent(handle: u32, previousState: usize): u32 { return ExpEventOp(handle, previousState, EV_PULSE); }
export function NtClearEvent(handle: u32): u32 { return ExpEventOp(handle, 0, EV_RESET); }

// ---- mutants ----

function ExpInitMutant(body: usize, owner: u32, unused: u32): u32 { KeInitializeMutant(body, owner != 0); return STATUS_SUCCESS; }

/** NtCreateMutant(MutantHandle, DesiredAccess, ObjectAttributes, InitialOwner). */
export function NtCreateMutant(handle: usize, access: u32, objectAttributes: usize, initialOwner: u32): u32 {
  return ExpCreate(handle, access, objectAttributes, ExMutantObjectType, KMUTANT_SIZE, ExpInitMutant, initialOwner & 0xFF, 0);
}
export function NtOpenMutant(handle: usize, access: u32, objectAttributes: usize): u32 {
  return ExpOpen(handle, access, objectAttributes, ExMutantObjectType);
}
/** NtReleaseMutant(MutantHandle, PreviousCount optional). */
export function NtReleaseMutant(handle: u32, previousCount: usize): u32 {
  if (previousCount != 0 && !ProbeUserWrite(previousCount, 4, 4)) return STATUS_ACCESS_VIOLATION;
  const s = KeAllocateScratch(8); // +0 the mutant, +4 its previous count
  let status = ExReferenceHandle(handle, 0, ExMutantObjectType, s);
  if (status == STATUS_SUCCESS) {
    const mutant = load<usize>(s);
    status = KeReleaseMutant(mutant, s + 4);
    ObDereferenceObject(mutant);
    if (status == STATUS_SUCCESS) status = ExpWriteOptional(previousCount, load<i32>(s, 4));
  }
  KeFreeScratch(s);
  return status;
}

// ---- semaphores ----

function ExpInitSemaphore(body: usize, count: u32, limit: u32): u32 {
  if (<i32>limit <= 0 || <i32>count < 0 || count > limit) return STATUS_INVALID_PARAMETER;
  KeInitializeSemaphore(body, <i32>count, <i32>limit);
  return STATUS_SUCCESS;
}
/** NtCreateSemaphore(SemaphoreHandle, DesiredAccess, ObjectAttributes, InitialCount, MaximumCount). */
export function NtCreateSemaphore(handle: usize, access: u32, objectAttributes: usize, initialCount: u32, maximumCount: u32): u32 {
  return ExpCreate(handle, access, objectAttributes, ExSemaphoreObjectType, KSEMAPHORE_SIZE, ExpInitSemaphore, initialCount, maximumCount);
}
export function NtOpenSemaphore(handle: usize, access: u32, objectAttributes: usize): u32 {
  return ExpOpen(handle, access, objectAttributes, ExSemaphoreObjectType);
}
/** NtReleaseSemaphore(SemaphoreHandle, ReleaseCount, PreviousCount optional). */
export function NtReleaseSemaphore(handle: u32, releaseCount: u32, previousCount: usize): u32 {
  if (previousCount != 0 && !ProbeUserWrite(previousCount, 4, 4)) return STATUS_ACCESS_VIOLATION;
  const s = KeAllocateScratch(8); // +0 the semaphore, +4 its previous count
  let status = ExReferenceHandle(handle, SEMAPHORE_MODIFY_STATE, ExSemaphoreObjectType, s);
  if (status == STATUS_SUCCESS) {
    const semaphore = load<usize>(s);
    status = KeReleaseSemaphore(semaphore, <i32>releaseCount, s + 4);
    ObDereferenceObject(semaphore);
    if (status == STATUS_SUCCESS) status = ExpWriteOptional(previousCount, load<i32>(s, 4));
  }
  KeFreeScratch(s);
  return status;
}

// ---- timers ----

function ExpInitTimer(body: usize, type: u32, unused: u32): u32 {
  if (type > 1) return STATUS_INVALID_PARAMETER;
  KeInitializeTimer(body, type == 0);
  return STATUS_SUCCESS;
}
/** NtCreateTimer(TimerHandle, DesiredAccess, ObjectAttributes, TimerType (0 notification, 1 synchronization)). */
export function NtCreateTimer(handle: usize, access: u32, objectAttributes: usize, type: u32): u32 {
  return ExpCreate(handle, access, objectAttributes, ExTimerObjectType, KTIMER_SIZE, ExpInitTimer, type, 0);
}
export function NtOpenTimer(handle: usize, access: u32, objectAttributes: usize): u32 {
  return ExpOpen(handle, access, objectAttributes, ExTimerObjectType);
}
/** NtSetTimer(TimerHandle, DueTime, TimerApcRoutine (unsupported: must be 0), TimerContext, ResumeTimer, Period (ms), PreviousState). */
export function NtSetTimer(handle: u32, dueTime: usize, apcRoutine: u32, context: u32, resume: u32, period: u32, previousState: usize): u32 {
  if (apcRoutine != 0) return STATUS_INVALID_PARAMETER; // APCs do not exist yet
  if (previousState != 0 && !ProbeUserWrite(previousState, 1, 1)) return STATUS_ACCESS_VIOLATION;
  const s = KeAllocateScratch(12); // +0 the due time, read once; +8 the timer
  if (!ProbeUserRange(dueTime, 8, 4) || !ExCopyFromUser(s, dueTime, 8)) { KeFreeScratch(s); return STATUS_ACCESS_VIOLATION; }
  const due = load<i64>(s);
  const status = ExReferenceHandle(handle, TIMER_MODIFY_STATE, ExTimerObjectType, s + 8);
  const timer = load<usize>(s, 8);
  KeFreeScratch(s);
  if (status != STATUS_SUCCESS) return status;
  const state = KeReadStateObject(timer);
  KeSetTimer(timer, due, period);
  ObDereferenceObject(timer);
  return ExpWriteOptionalBoolean(previousState, state != 0);
}
/** NtCancelTimer(TimerHandle, CurrentState optional). */
export function NtCancelTimer(handle: u32, currentState: usize): u32 {
  if (currentState != 0 && !ProbeUserWrite(currentState, 1, 1)) return STATUS_ACCESS_VIOLATION;
  const out = KeAllocateScratch(4);
  const status = ExReferenceHandle(handle, TIMER_MODIFY_STATE, ExTimerObjectType, out);
  const timer = load<usize>(out);
  KeFreeScratch(out);
  if (status != STATUS_SUCCESS) return status;
  KeCancelTimer(timer);
  const state = KeReadStateObject(timer);
  ObDereferenceObject(timer);
  return ExpWriteOptionalBoolean(currentState, state != 0);
}

// ---- waits on handles ----

/** Is this object waitable (a dispatcher object: its header's type is one of the kernel's)? */
function ExpIsWaitable(object: usize): bool {
  const type = OBJECT_TO_OBJECT_HEADER(object).Type;
  return type == ExEventObjectType || type == ExMutantObjectType || type == ExSemaphoreObjectType || type == ExTimerObjectType
    || ExpExtraWaitable(type);
}
/**
 * Other components' waitable types whose body points at the dispatcher
 * object (Ps: Thread -> KTHREAD, Process -> EPROCESS).
 */
const ExpIndirectTypes = memory.data(16, 4);
let ExpIndirectCount: u32 = 0;
export function ExRegisterIndirectWaitableType(type: usize): void { if (ExpIndirectCount < 4) { store<usize>(ExpIndirectTypes + ExpIndirectCount * 4, type); ExpIndirectCount++; } }
function ExpExtraWaitable(type: usize): bool {
  for (let i: u32 = 0; i < ExpIndirectCount; i++) if (load<usize>(ExpIndirectTypes + i * 4) == type) return true;
  return false;
}
/** The dispatcher object to wait on for an object body. */
function ExpDispatcherObject(object: usize): usize {
  return ExpExtraWaitable(OBJECT_TO_OBJECT_HEADER(object).Type) ? load<usize>(object) : object;
}

/** NtWaitForSingleObject(Handle, Alertable, Timeout optional). */
export function NtWaitForSingleObject(handle: u32, alertable: u32, timeout: usize): u32 {
  return NtWaitForMultipleObjectsInternal(1, 0, handle, WaitAny, timeout);
}

/** NtWaitForMultipleObjects(Count, Handles, WaitType (0 all, 1 any), Alertable, Timeout optional). */
export function NtWaitForMultipleObjects(count: u32, handles: usize, waitType: u32, alertable: u32, timeout: usize): u32 {
  if (count == 0 || count > MAXIMUM_WAIT_OBJECTS) return STATUS_INVALID_PARAMETER;
  if (waitType != WaitAll && waitType != WaitAny) return STATUS_INVALID_PARAMETER_2;
  if (!ProbeUserRange(handles, count * 4, 4)) return STATUS_ACCESS_VIOLATION;
  return NtWaitForMultipleObjectsInternal(count, handles, 0, waitType, timeout);
}

function NtWaitForMultipleObjectsInternal(count: u32, handles: usize, single: u32, waitType: u32, timeout: usize): u32 {
  const s = KeAllocateScratch(16); // +0 the captured timeout (8), +8 an object
  const due = ExCaptureTimeout(timeout, s);
  const objects = due != 1 ? ExAllocatePoolWithTag(NonPagedPool, count * 4, 0x74696157) : 0; // 'Wait'
  if (objects == 0) {
    KeFreeScratch(s);
    return due == 1 ? STATUS_ACCESS_VIOLATION : STATUS_INSUFFICIENT_RESOURCES;
  }
  // The caller's handles, read once into the block that then holds their objects.
  if (handles != 0 && !ExCopyFromUser(objects, handles, count * 4)) {
    ExFreePoolWithTag(objects, 0x74696157);
    KeFreeScratch(s);
    return STATUS_ACCESS_VIOLATION;
  }
  let referenced: u32 = 0;
  let status: u32 = STATUS_SUCCESS;
  for (; referenced < count; referenced++) {
    const handle = handles != 0 ? load<u32>(objects + referenced * 4) : single;
    status = ExReferenceHandle(handle, SYNCHRONIZE, 0, s + 8);
    if (status != STATUS_SUCCESS) break;
    const object = load<usize>(s, 8);
    if (!ExpIsWaitable(object)) { ObDereferenceObject(object); status = STATUS_OBJECT_TYPE_MISMATCH; break; }
    store<usize>(objects + referenced * 4, object);
  }
  if (status == STATUS_SUCCESS) {
    // Wait on the dispatcher objects; keep the object bodies to dereference.
    const waitOn = ExAllocatePoolWithTag(NonPagedPool, count * 4, 0x74696157);
    if (waitOn == 0) status = STATUS_INSUFFICIENT_RESOURCES;
    else {
      for (let i: u32 = 0; i < count; i++) store<usize>(waitOn + i * 4, ExpDispatcherObject(load<usize>(objects + i * 4)));
      // More objects than the thread's own wait blocks: the blocks come from pool (NT's WaitBlockArray).
      const blocks = count > THREAD_WAIT_OBJECTS ? ExAllocatePoolWithTag(NonPagedPool, count * KWAIT_BLOCK_SIZE, 0x74696157) : 0; // 'Wait'
      if (count > THREAD_WAIT_OBJECTS && blocks == 0) status = STATUS_INSUFFICIENT_RESOURCES;
      else status = KeWaitForMultipleObjects(count, waitOn, waitType, due, true, blocks);
      if (blocks != 0) ExFreePoolWithTag(blocks, 0x74696157);
      ExFreePoolWithTag(waitOn, 0x74696157);
    }
  }
  for (let i: u32 = 0; i < referenced; i++) ObDereferenceObject(load<usize>(objects + i * 4));
  ExFreePoolWithTag(objects, 0x74696157);
  KeFreeScratch(s);
  return status;
}
