// User-mode exception dispatching, as NT's ntdll does it on x86.
//
// The kernel hands a fault (or NtRaiseException's first chance) to
// KiUserExceptionDispatcher (x86, scripts/pe/ntdll.ts) with an
// EXCEPTION_RECORD and a CONTEXT on the thread's stack; it calls
// RtlDispatchException here, then continues into the context (NtContinue)
// when a handler took the exception, or raises the second chance
// (NtRaiseException with FirstChance FALSE), after which the kernel ends the
// process. RtlRaiseException (x86: it captures the caller's context) comes
// to RtlpRaiseException, which dispatches the same way without the kernel.
//
// RtlDispatchException asks, in order:
//   1. the vectored handlers (RtlAddVectoredExceptionHandler), first added
//      with First = TRUE first: one answering EXCEPTION_CONTINUE_EXECUTION
//      ends the search;
//   2. the fs:[0] chain (TEB NtTib.ExceptionList, newest first). A
//      registration outside the stack's limits (TEB StackLimit..StackBase)
//      or misaligned stops the search with EXCEPTION_STACK_INVALID, as NT
//      does; each handler runs under a registration of our own that turns
//      an exception inside the handler into ExceptionNestedException
//      (RtlpExecuteHandler, x86);
//   3. the process's top-level filter (RtlSetUnhandledExceptionFilter),
//      which NT's Vista+ RtlUserThreadStart calls from the outermost frame
//      of every thread: EXCEPTION_CONTINUE_EXECUTION continues,
//      EXCEPTION_EXECUTE_HANDLER ends the process with the exception code,
//      EXCEPTION_CONTINUE_SEARCH leaves it to the second chance. Our
//      threads do not start in RtlUserThreadStart, so the chain's end
//      stands for its frame.
//
// RtlUnwind (x86 wrapper: it captures the context and makes the record
// when the caller gives none) calls every handler between the top of the
// chain and the target frame with EXCEPTION_UNWINDING and takes their
// registrations off the chain.
//
// Differences from NT: no SafeSEH image checks and no pointer encoding of
// the vectored list; a collided unwind is not detected (a handler that
// unwinds during an unwind sees its own frames once more).

import { NtCurrentTeb, RtlpProcessHeap } from "./nt";
import { RtlAllocateHeap, RtlFreeHeap } from "./heap";
import { RtlEnterCriticalSection, RtlLeaveCriticalSection } from "./critsect";
import {
  EXCEPTION_CHAIN_END, EXCEPTION_CONTINUE_EXECUTION, EXCEPTION_EXECUTE_HANDLER, EXCEPTION_EXIT_UNWIND,
  EXCEPTION_NESTED_CALL, EXCEPTION_NONCONTINUABLE, EXCEPTION_RECORD, EXCEPTION_REGISTRATION_RECORD, EXCEPTION_STACK_INVALID,
  EXCEPTION_UNWINDING, ExceptionCollidedUnwind, ExceptionContinueExecution, ExceptionContinueSearch,
  ExceptionNestedException,
} from "../../../kernel/sdk/context";
import { TEB } from "../../../kernel/sdk/peb";
import {
  STATUS_BAD_STACK, STATUS_INVALID_DISPOSITION, STATUS_INVALID_UNWIND_TARGET, STATUS_NONCONTINUABLE_EXCEPTION,
} from "../../../kernel/sdk/ntstatus";

@external("ntdll", "NtContinue") declare function NtContinue(context: usize, testAlert: u32): u32;
@external("ntdll", "NtRaiseException") declare function NtRaiseException(record: usize, context: usize, firstChance: u32): u32;
@external("ntdll", "NtTerminateProcess") declare function NtTerminateProcess(process: u32, status: u32): u32;
// x86 helpers (scripts/pe/ntdll.ts).
/** Calls handler(record, frame, context, &dispatcherContext) under a nested-exception registration: disposition | dispatcherContext << 32. */
@external("ntdll", "RtlpExecuteHandler") declare function RtlpExecuteHandler(handler: usize, record: usize, frame: usize, context: usize): u64;
/** Calls filter(&EXCEPTION_POINTERS{record, context}) (stdcall, one argument): its answer. */
@external("ntdll", "RtlpCallExceptionFilter") declare function RtlpCallExceptionFilter(filter: usize, record: usize, context: usize): i32;
/** Raises `status` as a non-continuable exception whose ExceptionRecord is `nested` (0: none). */
@external("ntdll", "RtlpRaiseChained") declare function RtlpRaiseChained(status: u32, nested: usize): void;

const NtCurrentProcess: u32 = 0xFFFFFFFF;
const TEB_STACK_BASE: u32 = <u32>offsetof<TEB>("NtTib_StackBase");
const TEB_STACK_LIMIT: u32 = <u32>offsetof<TEB>("NtTib_StackLimit");
const REGISTRATION_SIZE: u32 = <u32>offsetof<EXCEPTION_REGISTRATION_RECORD>();

// ---- the vectored handlers ----

// A list entry (process heap): +0 Flink, +4 Blink, +8 Handler.
const VEH_HANDLER: u32 = 8;
const VEH_ENTRY_SIZE: u32 = 12;
/** The list head: the handlers in call order. */
const RtlpVectoredHandlers: usize = memory.data(8, 4);
/**
 * Guards the list (and its first-use set-up): held to add, remove, and
 * while the handlers are called, as XP holds its lock during the callouts
 * (recursive: a handler may add or remove handlers on the same thread).
 */
const RtlpVectoredHandlerLock = memory.data<i32>([0, -1, 0, 0, 0, 0]);

function RtlpVectoredListHead(): usize {
  if (load<usize>(RtlpVectoredHandlers) == 0) { store<usize>(RtlpVectoredHandlers, RtlpVectoredHandlers); store<usize>(RtlpVectoredHandlers, RtlpVectoredHandlers, 4); }
  return RtlpVectoredHandlers;
}

/**
 * RtlAddVectoredExceptionHandler(First, Handler): `LONG CALLBACK
 * Handler(PEXCEPTION_POINTERS)` sees every exception of the process before
 * the frame handlers; First != 0 puts it before the others. Returns the
 * registration (for RtlRemoveVectoredExceptionHandler), 0 without memory.
 */
export function RtlAddVectoredExceptionHandler(first: u32, handler: usize): usize {
  const entry = RtlAllocateHeap(RtlpProcessHeap(), 0, VEH_ENTRY_SIZE);
  if (entry == 0) return 0;
  store<usize>(entry, handler, VEH_HANDLER);
  RtlEnterCriticalSection(RtlpVectoredHandlerLock);
  const head = RtlpVectoredListHead();
  if (first != 0) {
    const next = load<usize>(head);
    store<usize>(entry, next); store<usize>(entry, head, 4);
    store<usize>(next, entry, 4); store<usize>(head, entry);
  } else {
    const prev = load<usize>(head, 4);
    store<usize>(entry, head); store<usize>(entry, prev, 4);
    store<usize>(prev, entry); store<usize>(head, entry, 4);
  }
  RtlLeaveCriticalSection(RtlpVectoredHandlerLock);
  return entry;
}

/** RtlRemoveVectoredExceptionHandler(Handle): 1 when it was registered (and is no longer), 0 otherwise. */
export function RtlRemoveVectoredExceptionHandler(handle: usize): u32 {
  RtlEnterCriticalSection(RtlpVectoredHandlerLock);
  const head = RtlpVectoredListHead();
  let found: u32 = 0;
  for (let entry = load<usize>(head); entry != head; entry = load<usize>(entry)) {
    if (entry != handle) continue;
    const next = load<usize>(entry), prev = load<usize>(entry, 4);
    store<usize>(prev, next); store<usize>(next, prev, 4);
    found = 1;
    break;
  }
  RtlLeaveCriticalSection(RtlpVectoredHandlerLock);
  if (found != 0) RtlFreeHeap(RtlpProcessHeap(), 0, handle);
  return found;
}

/** True when a vectored handler answered EXCEPTION_CONTINUE_EXECUTION. */
function RtlpCallVectoredHandlers(record: usize, context: usize): bool {
  RtlEnterCriticalSection(RtlpVectoredHandlerLock);
  const head = RtlpVectoredListHead();
  let handled = false;
  for (let entry = load<usize>(head); entry != head; entry = load<usize>(entry)) {
    if (RtlpCallExceptionFilter(load<usize>(entry, VEH_HANDLER), record, context) == EXCEPTION_CONTINUE_EXECUTION) { handled = true; break; }
  }
  RtlLeaveCriticalSection(RtlpVectoredHandlerLock);
  return handled;
}

// ---- the top-level filter ----

let RtlpUnhandledExceptionFilter: usize = 0;

/** RtlSetUnhandledExceptionFilter(Filter): the process's top-level filter (see the top); 0 removes it. */
export function RtlSetUnhandledExceptionFilter(filter: usize): void {
  RtlpUnhandledExceptionFilter = filter;
}

// ---- the registration chain ----

/** TEB NtTib.ExceptionList: the newest registration (fs:[0]). */
@inline function RtlpGetExceptionList(): usize { return load<usize>(NtCurrentTeb()); }
@inline function RtlpSetExceptionList(registration: usize): void { store<usize>(NtCurrentTeb(), registration); }

/** A registration the dispatcher may use: on the thread's stack (TEB limits) and 4-aligned. */
function RtlpIsValidRegistration(registration: usize): bool {
  const teb = NtCurrentTeb();
  const low = load<usize>(teb + TEB_STACK_LIMIT), high = load<usize>(teb + TEB_STACK_BASE);
  return registration >= low && registration + REGISTRATION_SIZE <= high && (registration & 3) == 0;
}

/**
 * RtlDispatchException(ExceptionRecord, ContextRecord): asks the vectored
 * handlers, the frame handlers and the top-level filter (see the top).
 * True when one of them took the exception and the thread may continue
 * with `context`; false for the second chance.
 */
export function RtlDispatchException(record: usize, context: usize): bool {
  if (RtlpCallVectoredHandlers(record, context)) return true;
  const r = changetype<EXCEPTION_RECORD>(record);
  let nested: usize = 0;
  let registration = RtlpGetExceptionList();
  while (registration != EXCEPTION_CHAIN_END) {
    if (!RtlpIsValidRegistration(registration)) {
      r.ExceptionFlags |= EXCEPTION_STACK_INVALID;
      return false;
    }
    const answer = RtlpExecuteHandler(changetype<EXCEPTION_REGISTRATION_RECORD>(registration).Handler, record, registration, context);
    const disposition = <u32>answer, dispatcherContext = <usize>(answer >>> 32);
    // Past the frame whose handler raised this one: no longer nested.
    if (registration == nested) { r.ExceptionFlags &= ~EXCEPTION_NESTED_CALL; nested = 0; }
    if (disposition == ExceptionContinueExecution) {
      if ((r.ExceptionFlags & EXCEPTION_NONCONTINUABLE) != 0) RtlpRaiseChained(STATUS_NONCONTINUABLE_EXCEPTION, record);
      else return true;
    } else if (disposition == ExceptionNestedException) {
      // Raised inside the handler of `dispatcherContext`: the frames up to that one see it as nested.
      r.ExceptionFlags |= EXCEPTION_NESTED_CALL;
      if (dispatcherContext > nested) nested = dispatcherContext;
    } else if (disposition != ExceptionContinueSearch) {
      RtlpRaiseChained(STATUS_INVALID_DISPOSITION, record);
    }
    registration = changetype<EXCEPTION_REGISTRATION_RECORD>(registration).Next;
  }
  return RtlpTopLevelFilter(record, context);
}

/** The chain's end: the process's top-level filter, as the outermost frame of a Vista+ thread calls it. */
function RtlpTopLevelFilter(record: usize, context: usize): bool {
  const filter = RtlpUnhandledExceptionFilter;
  if (filter == 0) return false;
  const answer = RtlpCallExceptionFilter(filter, record, context);
  if (answer == EXCEPTION_CONTINUE_EXECUTION) return (changetype<EXCEPTION_RECORD>(record).ExceptionFlags & EXCEPTION_NONCONTINUABLE) == 0;
  if (answer == EXCEPTION_EXECUTE_HANDLER) NtTerminateProcess(NtCurrentProcess, changetype<EXCEPTION_RECORD>(record).ExceptionCode);
  return false;
}

/**
 * Where RtlRaiseException goes with the caller's context (x86 entry):
 * dispatch in user mode, then continue or raise the second chance. Returns
 * only when the kernel refused both (the caller then ends the thread's process).
 */
export function RtlpRaiseException(record: usize, context: usize): u32 {
  if (RtlDispatchException(record, context)) return NtContinue(context, 0);
  return NtRaiseException(record, context, 0);
}

/**
 * RtlUnwind's work (its x86 entry captured `context` and made `ownRecord`):
 * every handler between the top of the chain and `target` is called with
 * EXCEPTION_UNWINDING and its registration taken off; `target` itself stays.
 * `target` 0 is an exit unwind: the whole chain, then the second chance;
 * EXCEPTION_CHAIN_END unwinds the whole chain and returns.
 */
export function RtlpUnwind(target: usize, record: usize, ownRecord: usize, context: usize): void {
  if (record == 0) record = ownRecord;
  const r = changetype<EXCEPTION_RECORD>(record);
  r.ExceptionFlags |= target == 0 ? EXCEPTION_UNWINDING | EXCEPTION_EXIT_UNWIND : EXCEPTION_UNWINDING;
  let registration = RtlpGetExceptionList();
  while (registration != EXCEPTION_CHAIN_END) {
    if (registration == target) return; // reached: the caller goes on with the target on top
    // A target below the registration cannot be on the chain any more.
    if (target != 0 && target != EXCEPTION_CHAIN_END && target < registration) RtlpRaiseChained(STATUS_INVALID_UNWIND_TARGET, record);
    if (!RtlpIsValidRegistration(registration)) RtlpRaiseChained(STATUS_BAD_STACK, record);
    const answer = RtlpExecuteHandler(changetype<EXCEPTION_REGISTRATION_RECORD>(registration).Handler, record, registration, context);
    const disposition = <u32>answer;
    if (disposition != ExceptionContinueSearch && disposition != ExceptionCollidedUnwind) RtlpRaiseChained(STATUS_INVALID_DISPOSITION, record);
    registration = changetype<EXCEPTION_REGISTRATION_RECORD>(registration).Next;
    RtlpSetExceptionList(registration);
  }
  if (target == EXCEPTION_CHAIN_END) return;
  // An exit unwind, or a target that was not on the chain: the second chance.
  NtRaiseException(record, context, 0);
}
