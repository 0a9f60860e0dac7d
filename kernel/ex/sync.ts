// The executive's synchronization objects as object-manager types -- Event,
// Mutant, Semaphore, Timer -- and their services. The bodies are the
// kernel's dispatcher objects (ke/wait.ts); the object manager gives them
// names, handles and lifetimes. The waits on their handles are Ob's
// (ob/obwait.ts, as NT's ob/obwait.c).
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
//
// Ob sits above Ex (object bodies are Ex's pool), as in NT, where the two
// depend on each other: Ob hands Ex the routines these services need when
// it initialises (ExSetObjectRoutines, from ObInitSystem), before any of
// them can run.

import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import {
  KEVENT_SIZE, KMUTANT_SIZE, KSEMAPHORE_SIZE, KTIMER_SIZE, KeCancelTimer, KeInitializeEvent, KeInitializeMutant,
  KeInitializeSemaphore, KeInitializeTimer, KePulseEvent, KeReadStateObject, KeReleaseMutant, KeReleaseSemaphore,
  KeResetEvent, KeSetEvent, KeSetTimer,
} from "../ke/wait";
import { ExCopyFromUser, ExCopyToUser, ExWriteUserUlong, ProbeUserRange, ProbeUserWrite } from "../ke/probe";
import { READ_CONTROL, STANDARD_RIGHTS_REQUIRED, SYNCHRONIZE } from "../sdk/ntdef";
import { RemoveEntryList } from "../sdk/list";
import { KeBugCheckEx } from "../ke/bugcheck";
import { STATUS_ACCESS_VIOLATION, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_PARAMETER, STATUS_SUCCESS } from "../sdk/ntstatus";

// ---- the object manager's routines (see the file's head) ----

/** Initialises a new object's body from two arguments; returns an NTSTATUS (a failure deletes the object). */
export type EX_OBJECT_INIT = (body: usize, a: u32, b: u32) => u32;
/** ObCreateServiceType: a type (name, pool tag, body size, generic read/write/execute/all, delete procedure, out). */
export type EX_CREATE_TYPE = (name: string, tag: u32, bodySize: u32, read: u32, write: u32, execute: u32, all: u32,
                              deleteProcedure: ((o: usize) => void) | null, type: usize) => u32;
/** ObCreateObjectService: NtCreateXxx's body. */
export type EX_CREATE_OBJECT = (handle: usize, access: u32, objectAttributes: usize, type: usize, bodySize: u32, init: EX_OBJECT_INIT, a: u32, b: u32) => u32;
/** ObOpenObjectService: NtOpenXxx's body. */
export type EX_OPEN_OBJECT = (handle: usize, access: u32, objectAttributes: usize, type: usize) => u32;
/** ObReferenceHandle: the object behind a handle, for `access`, of `type`. */
export type EX_REFERENCE_HANDLE = (handle: u32, access: u32, type: usize, object: usize) => u32;
/** ObDereferenceObject. */
export type EX_DEREFERENCE_OBJECT = (object: usize) => void;

function ExpNoType(name: string, tag: u32, bodySize: u32, read: u32, write: u32, execute: u32, all: u32,
                   deleteProcedure: ((o: usize) => void) | null, type: usize): u32 { return STATUS_INSUFFICIENT_RESOURCES; }
function ExpNoCreate(handle: usize, access: u32, objectAttributes: usize, type: usize, bodySize: u32, init: EX_OBJECT_INIT, a: u32, b: u32): u32 { return STATUS_INSUFFICIENT_RESOURCES; }
function ExpNoOpen(handle: usize, access: u32, objectAttributes: usize, type: usize): u32 { return STATUS_INSUFFICIENT_RESOURCES; }
function ExpNoReference(handle: u32, access: u32, type: usize, object: usize): u32 { store<usize>(object, 0); return STATUS_INSUFFICIENT_RESOURCES; }
function ExpNoDereference(object: usize): void {}
let ExpCreateType: EX_CREATE_TYPE = ExpNoType;
let ExpCreateObject: EX_CREATE_OBJECT = ExpNoCreate;
let ExpOpenObject: EX_OPEN_OBJECT = ExpNoOpen;
let ExpReferenceHandle: EX_REFERENCE_HANDLE = ExpNoReference;
let ExpDereferenceObject: EX_DEREFERENCE_OBJECT = ExpNoDereference;

/** Phase 0, from ObInitSystem: how Ex's services make, open, reference and let go of objects. */
export function ExSetObjectRoutines(createType: EX_CREATE_TYPE, create: EX_CREATE_OBJECT, open: EX_OPEN_OBJECT,
                                    reference: EX_REFERENCE_HANDLE, dereference: EX_DEREFERENCE_OBJECT): void {
  ExpCreateType = createType;
  ExpCreateObject = create;
  ExpOpenObject = open;
  ExpReferenceHandle = reference;
  ExpDereferenceObject = dereference;
}

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
const TypeOut = memory.data(4, 4);

function ExpCreateSyncType(name: string, tag: u32, bodySize: u32, modify: u32, all: u32, deleteProcedure: ((o: usize) => void) | null): usize {
  const status = ExpCreateType(name, tag, bodySize, READ_CONTROL | 0x1, READ_CONTROL | modify, READ_CONTROL | SYNCHRONIZE, all, deleteProcedure, TypeOut);
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
  ExEventObjectType = ExpCreateSyncType("Event", 0x6E657645, KEVENT_SIZE, EVENT_MODIFY_STATE, EVENT_ALL_ACCESS, null);          // 'Even'
  ExMutantObjectType = ExpCreateSyncType("Mutant", 0x6174754D, KMUTANT_SIZE, 0, MUTANT_ALL_ACCESS, ExpDeleteMutant);             // 'Muta'
  ExSemaphoreObjectType = ExpCreateSyncType("Semaphore", 0x616D6553, KSEMAPHORE_SIZE, SEMAPHORE_MODIFY_STATE, SEMAPHORE_ALL_ACCESS, null); // 'Sema'
  ExTimerObjectType = ExpCreateSyncType("Timer", 0x656D6954, KTIMER_SIZE, TIMER_MODIFY_STATE, TIMER_ALL_ACCESS, ExpDeleteTimer);  // 'Time'
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
  return ExpCreateObject(handle, access, objectAttributes, ExEventObjectType, KEVENT_SIZE, ExpInitEvent, type, initialState & 0xFF);
}
export function NtOpenEvent(handle: usize, access: u32, objectAttributes: usize): u32 {
  return ExpOpenObject(handle, access, objectAttributes, ExEventObjectType);
}

const EV_SET: u32 = 0, EV_RESET: u32 = 1, EV_PULSE: u32 = 2;
function ExpEventOp(handle: u32, previous: usize, op: u32): u32 {
  if (previous != 0 && !ProbeUserWrite(previous, 4, 4)) return STATUS_ACCESS_VIOLATION;
  const out = KeAllocateScratch(4);
  const status = ExpReferenceHandle(handle, EVENT_MODIFY_STATE, ExEventObjectType, out);
  const event = load<usize>(out);
  KeFreeScratch(out);
  if (status != STATUS_SUCCESS) return status;
  const old = op == EV_SET ? KeSetEvent(event) : op == EV_RESET ? KeResetEvent(event) : KePulseEvent(event);
  ExpDereferenceObject(event);
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
  return ExpCreateObject(handle, access, objectAttributes, ExMutantObjectType, KMUTANT_SIZE, ExpInitMutant, initialOwner & 0xFF, 0);
}
export function NtOpenMutant(handle: usize, access: u32, objectAttributes: usize): u32 {
  return ExpOpenObject(handle, access, objectAttributes, ExMutantObjectType);
}
/** NtReleaseMutant(MutantHandle, PreviousCount optional). */
export function NtReleaseMutant(handle: u32, previousCount: usize): u32 {
  if (previousCount != 0 && !ProbeUserWrite(previousCount, 4, 4)) return STATUS_ACCESS_VIOLATION;
  const s = KeAllocateScratch(8); // +0 the mutant, +4 its previous count
  let status = ExpReferenceHandle(handle, 0, ExMutantObjectType, s);
  if (status == STATUS_SUCCESS) {
    const mutant = load<usize>(s);
    status = KeReleaseMutant(mutant, s + 4);
    ExpDereferenceObject(mutant);
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
  return ExpCreateObject(handle, access, objectAttributes, ExSemaphoreObjectType, KSEMAPHORE_SIZE, ExpInitSemaphore, initialCount, maximumCount);
}
export function NtOpenSemaphore(handle: usize, access: u32, objectAttributes: usize): u32 {
  return ExpOpenObject(handle, access, objectAttributes, ExSemaphoreObjectType);
}
/** NtReleaseSemaphore(SemaphoreHandle, ReleaseCount, PreviousCount optional). */
export function NtReleaseSemaphore(handle: u32, releaseCount: u32, previousCount: usize): u32 {
  if (previousCount != 0 && !ProbeUserWrite(previousCount, 4, 4)) return STATUS_ACCESS_VIOLATION;
  const s = KeAllocateScratch(8); // +0 the semaphore, +4 its previous count
  let status = ExpReferenceHandle(handle, SEMAPHORE_MODIFY_STATE, ExSemaphoreObjectType, s);
  if (status == STATUS_SUCCESS) {
    const semaphore = load<usize>(s);
    status = KeReleaseSemaphore(semaphore, <i32>releaseCount, s + 4);
    ExpDereferenceObject(semaphore);
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
  return ExpCreateObject(handle, access, objectAttributes, ExTimerObjectType, KTIMER_SIZE, ExpInitTimer, type, 0);
}
export function NtOpenTimer(handle: usize, access: u32, objectAttributes: usize): u32 {
  return ExpOpenObject(handle, access, objectAttributes, ExTimerObjectType);
}
/** NtSetTimer(TimerHandle, DueTime, TimerApcRoutine (unsupported: must be 0), TimerContext, ResumeTimer, Period (ms), PreviousState). */
export function NtSetTimer(handle: u32, dueTime: usize, apcRoutine: u32, context: u32, resume: u32, period: u32, previousState: usize): u32 {
  if (apcRoutine != 0) return STATUS_INVALID_PARAMETER; // APCs do not exist yet
  if (previousState != 0 && !ProbeUserWrite(previousState, 1, 1)) return STATUS_ACCESS_VIOLATION;
  const s = KeAllocateScratch(12); // +0 the due time, read once; +8 the timer
  if (!ProbeUserRange(dueTime, 8, 4) || !ExCopyFromUser(s, dueTime, 8)) { KeFreeScratch(s); return STATUS_ACCESS_VIOLATION; }
  const due = load<i64>(s);
  const status = ExpReferenceHandle(handle, TIMER_MODIFY_STATE, ExTimerObjectType, s + 8);
  const timer = load<usize>(s, 8);
  KeFreeScratch(s);
  if (status != STATUS_SUCCESS) return status;
  const state = KeReadStateObject(timer);
  KeSetTimer(timer, due, period);
  ExpDereferenceObject(timer);
  return ExpWriteOptionalBoolean(previousState, state != 0);
}
/** NtCancelTimer(TimerHandle, CurrentState optional). */
export function NtCancelTimer(handle: u32, currentState: usize): u32 {
  if (currentState != 0 && !ProbeUserWrite(currentState, 1, 1)) return STATUS_ACCESS_VIOLATION;
  const out = KeAllocateScratch(4);
  const status = ExpReferenceHandle(handle, TIMER_MODIFY_STATE, ExTimerObjectType, out);
  const timer = load<usize>(out);
  KeFreeScratch(out);
  if (status != STATUS_SUCCESS) return status;
  KeCancelTimer(timer);
  const state = KeReadStateObject(timer);
  ExpDereferenceObject(timer);
  return ExpWriteOptionalBoolean(currentState, state != 0);
}
