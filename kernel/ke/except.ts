// Exceptions in user mode: how a fault or a raise reaches the thread's own
// handlers, as NT's KiDispatchException does on x86.
//
// A processor exception in ring 3 (ke/trap.ts) or NtRaiseException becomes
// an EXCEPTION_RECORD and a CONTEXT made from the trap frame. The first
// chance goes to user mode: both are copied onto the thread's own stack, and
// the thread goes on at ntdll's KiUserExceptionDispatcher, which runs the
// vectored handlers and the fs:[0] chain (RtlDispatchException) and then
// either continues with the (maybe changed) context through NtContinue or
// raises the second chance with NtRaiseException(FirstChance FALSE). The
// user stack, from the faulting esp down:
//
//   (esp & ~3) - sizeof(CONTEXT)      CONTEXT        <- the dispatcher's [esp+4]
//   below it, 0x14 + 4*NumberParameters bytes       EXCEPTION_RECORD  <- [esp]
//   esp = two pointers: ExceptionRecord, ContextRecord (no return address)
//
// There is no debugger and no exception port: the second chance (or a first
// chance in a process without ntdll's dispatcher, or a stack that cannot take
// the frame) ends the process with the exception code as its exit status,
// and a critical process then stops the system as its end always does.
//
// Going back to user mode with a context (NtContinue, NtRaiseException,
// NtSetContextThread) is KeContextToTrapFrame: whatever the CONTEXT says, the
// thread stays in ring 3: cs, ss, ds, es and fs are the user selectors, gs is
// null, eflags keep only the arithmetic flags, DF and OF, with IF set and IOPL 0.

import { CONTEXT, CONTEXT_CONTROL, CONTEXT_FULL, CONTEXT_INTEGER, CONTEXT_SEGMENTS, EXCEPTION_MAXIMUM_PARAMETERS, EXCEPTION_RECORD, KTRAP_FRAME } from "../sdk/context";
import { MM_USER_PROBE_ADDRESS } from "../sdk/ntdef";
import { STATUS_ACCESS_VIOLATION, STATUS_INVALID_PARAMETER, STATUS_SUCCESS } from "../sdk/ntstatus";
import { TEB } from "../sdk/peb";
import { KGDT_R3_CODE, KGDT_R3_DATA, KGDT_R3_TEB, RPL_USER } from "./gdt";
import { KeAllocateScratch, KeCurrentThread, KeFreeScratch, KiLockDispatcher, KiUnlockDispatcher, KTHREAD } from "./thread";
import { ExCopyFromUser, ExCopyToUser, ProbeUserRange } from "./probe";
import { KeLogBegin, KeLogDecimal, KeLogEnd, KeLogHex, KeLogString } from "./log";
import { KeBugCheckEx, KMODE_EXCEPTION_NOT_HANDLED } from "./bugcheck";

export const CONTEXT_SIZE: u32 = <u32>offsetof<CONTEXT>();
const RECORD_HEADER: u32 = <u32>offsetof<EXCEPTION_RECORD>("ExceptionInformation");
const RECORD_SIZE: u32 = <u32>offsetof<EXCEPTION_RECORD>();

/** EFLAGS a user context may set: CF PF AF ZF SF DF OF (no TF, no IOPL, no IF: IF is forced on). */
const EFLAGS_USER: u32 = 0x0CD5;
/** IF, and bit 1 (always 1). */
const EFLAGS_IF_RESERVED: u32 = 0x202;

// Where the dispatch builds what it copies: the thread's scratch arena (a
// CONTEXT, 716 bytes, and a record, 80, fit in its 1 KiB beside nothing else:
// a trap from ring 3 and a service from ring 3 find it empty). Not module
// memory: a user copy may wait (a page read back from the paging file turns
// interrupts on), and another thread's dispatch may run meanwhile.

// ---- what Ps tells Ke (Ps sits above Ke: it hands these in at PsInitializeSystem) ----

/** Where the current process's KiUserExceptionDispatcher is (NT's KeUserExceptionDispatcher, per process here), or 0. */
export type KE_USER_DISPATCHER_ROUTINE = () => usize;
/** Ends the current process for an exception nobody handled (and logs it): code, address, access address, what. */
export type KE_UNHANDLED_EXCEPTION_ROUTINE = (status: u32, eip: u32, address: u32, what: string) => void;
/** The current process's id, for the log. */
export type KE_PROCESS_ID_ROUTINE = () => u32;

function KiNoUserDispatcher(): usize { return 0; }
function KiNoProcessId(): u32 { return 0; }
function KiUnhandledBeforePs(status: u32, eip: u32, address: u32, what: string): void {
  KeBugCheckEx(KMODE_EXCEPTION_NOT_HANDLED, status, eip, address, 0);
}
let KiUserDispatcher: KE_USER_DISPATCHER_ROUTINE = KiNoUserDispatcher;
let KiUnhandledException: KE_UNHANDLED_EXCEPTION_ROUTINE = KiUnhandledBeforePs;
let KiProcessId: KE_PROCESS_ID_ROUTINE = KiNoProcessId;

/** Ps's part of user-mode exceptions (see the types above). */
export function KeSetUserExceptionRoutines(dispatcher: KE_USER_DISPATCHER_ROUTINE, unhandled: KE_UNHANDLED_EXCEPTION_ROUTINE, processId: KE_PROCESS_ID_ROUTINE): void {
  KiUserDispatcher = dispatcher;
  KiUnhandledException = unhandled;
  KiProcessId = processId;
}

/** The current thread's trap frame from ring 3: at the top of its kernel stack. */
export function KeUserTrapFrame(thread: usize): usize {
  return changetype<KTHREAD>(thread).InitialStack - <usize>offsetof<KTRAP_FRAME>();
}

/** Fills `context` (CONTEXT_FULL) from a ring-3 trap frame (NT's KeContextFromKframes). */
export function KeContextFromTrapFrame(frame: usize, context: usize): void {
  memory.fill(context, 0, CONTEXT_SIZE);
  const f = changetype<KTRAP_FRAME>(frame), c = changetype<CONTEXT>(context);
  c.ContextFlags = CONTEXT_FULL;
  c.SegGs = f.SegGs; c.SegFs = f.SegFs; c.SegEs = f.SegEs; c.SegDs = f.SegDs;
  c.Edi = f.Edi; c.Esi = f.Esi; c.Ebx = f.Ebx; c.Edx = f.Edx; c.Ecx = f.Ecx; c.Eax = f.Eax;
  c.Ebp = f.Ebp; c.Eip = f.Eip; c.SegCs = f.SegCs; c.EFlags = f.EFlags;
  c.Esp = f.HardwareEsp; c.SegSs = f.HardwareSegSs;
}

/**
 * Moves the parts of `context` its ContextFlags name into a ring-3 trap
 * frame, sanitised so that the thread stays in ring 3 (see the top). A
 * control part whose eip or esp points into the kernel is refused
 * (STATUS_INVALID_PARAMETER) and nothing changes.
 */
export function KeContextToTrapFrame(frame: usize, context: usize): u32 {
  const f = changetype<KTRAP_FRAME>(frame), c = changetype<CONTEXT>(context);
  const flags = c.ContextFlags;
  if ((flags & CONTEXT_CONTROL) == CONTEXT_CONTROL) {
    const eip = c.Eip, esp = c.Esp;
    if (<usize>eip >= MM_USER_PROBE_ADDRESS || <usize>esp >= MM_USER_PROBE_ADDRESS) return STATUS_INVALID_PARAMETER;
    f.Eip = eip;
    f.HardwareEsp = esp;
    f.Ebp = c.Ebp;
    f.EFlags = (c.EFlags & EFLAGS_USER) | EFLAGS_IF_RESERVED;
    // Whatever selectors the context names: ring 3's (a kernel selector would fault in the exit path).
    f.SegCs = KGDT_R3_CODE | RPL_USER;
    f.HardwareSegSs = KGDT_R3_DATA | RPL_USER;
  }
  if ((flags & CONTEXT_INTEGER) == CONTEXT_INTEGER) {
    f.Edi = c.Edi; f.Esi = c.Esi; f.Ebx = c.Ebx; f.Edx = c.Edx; f.Ecx = c.Ecx; f.Eax = c.Eax;
  }
  if ((flags & CONTEXT_SEGMENTS) == CONTEXT_SEGMENTS) {
    f.SegDs = KGDT_R3_DATA | RPL_USER;
    f.SegEs = KGDT_R3_DATA | RPL_USER;
    f.SegFs = KGDT_R3_TEB | RPL_USER;
    // gs: null, or the user data selector when the context asks for it.
    f.SegGs = c.SegGs == (KGDT_R3_DATA | RPL_USER) ? KGDT_R3_DATA | RPL_USER : 0;
  }
  return STATUS_SUCCESS;
}

/** A short name for an exception code, for the log. */
export function KeExceptionName(code: u32): string {
  switch (code) {
    case 0xC0000005: return "access violation";
    case 0xC0000094: return "integer divide by zero";
    case 0xC0000095: return "integer overflow";
    case 0xC000001D: return "illegal instruction";
    case 0xC0000096: return "privileged instruction";
    case 0xC00000FD: return "stack overflow";
    case 0xC0000090: return "invalid floating-point operation";
    case 0xC0000025: return "noncontinuable exception";
    case 0xC0000026: return "invalid disposition";
    case 0x80000003: return "breakpoint";
    case 0x80000004: return "single step";
  }
  return "raised";
}

/**
 * Copies the record (kernel memory) and the context made from `frame` onto
 * the user stack and points the frame at `dispatcher`. False when the stack
 * cannot take them (the frame is then unchanged).
 */
function KiDispatchToUser(record: usize, frame: usize, dispatcher: usize): bool {
  const context = KeAllocateScratch(CONTEXT_SIZE + 8); // the CONTEXT, then the two pointers
  const done = KiCopyDispatchFrame(record, frame, dispatcher, context, context + CONTEXT_SIZE);
  KeFreeScratch(context);
  return done;
}

function KiCopyDispatchFrame(record: usize, frame: usize, dispatcher: usize, context: usize, pointers: usize): bool {
  const f = changetype<KTRAP_FRAME>(frame);
  KeContextFromTrapFrame(frame, context);
  const count = changetype<EXCEPTION_RECORD>(record).NumberParameters;
  const recordBytes = RECORD_HEADER + (count << 2);
  const esp = <usize>f.HardwareEsp & ~3;
  const need = <usize>(CONTEXT_SIZE + recordBytes + 8);
  if (esp < need) return false;
  const contextAt = esp - CONTEXT_SIZE;
  const recordAt = contextAt - recordBytes;
  const bottom = recordAt - 8;
  // Not ProbeUserRange: a trap runs with PreviousMode KernelMode, which that skips.
  if (esp > MM_USER_PROBE_ADDRESS) return false;
  // Below the committed part of its stack, the copies' page faults commit it as a touch from ring 3 would (ke/trap.ts).
  store<u32>(pointers, <u32>recordAt);
  store<u32>(pointers, <u32>contextAt, 4);
  if (!ExCopyToUser(contextAt, context, CONTEXT_SIZE)) return false;
  if (!ExCopyToUser(recordAt, record, recordBytes)) return false;
  if (!ExCopyToUser(bottom, pointers, 8)) return false;
  f.HardwareEsp = <u32>bottom;
  f.Eip = <u32>dispatcher;
  f.SegCs = KGDT_R3_CODE | RPL_USER;
  f.HardwareSegSs = KGDT_R3_DATA | RPL_USER;
  f.SegDs = KGDT_R3_DATA | RPL_USER;
  f.SegEs = KGDT_R3_DATA | RPL_USER;
  f.SegFs = KGDT_R3_TEB | RPL_USER;
  f.SegGs = 0;
  f.EFlags = (f.EFlags & EFLAGS_USER) | EFLAGS_IF_RESERVED;
  return true;
}

/** One line per exception handed to user mode: what, where, which process. */
function KiLogDispatch(record: usize, firstChance: bool, dispatched: bool): void {
  const r = changetype<EXCEPTION_RECORD>(record);
  KeLogBegin("ke");
  KeLogString(firstChance ? "first-chance exception " : "second-chance exception ");
  KeLogHex(r.ExceptionCode);
  KeLogString(" (");
  KeLogString(KeExceptionName(r.ExceptionCode));
  KeLogString(") at ");
  KeLogHex(<u32>r.ExceptionAddress);
  KeLogString(" in process ");
  KeLogDecimal(KiProcessId());
  KeLogString(dispatched ? ": to KiUserExceptionDispatcher" : ": the user stack cannot take the exception frame");
  KeLogEnd();
}

/**
 * NT's KiDispatchException for an exception from user mode: `record` is a
 * kernel copy, `frame` the thread's ring-3 trap frame. The first chance
 * goes to ntdll's KiUserExceptionDispatcher; what user mode cannot handle
 * (the second chance) ends the process with the exception code. Called with
 * interrupts off.
 */
export function KiDispatchException(record: usize, frame: usize, firstChance: bool, what: string): void {
  const r = changetype<EXCEPTION_RECORD>(record);
  if (firstChance) {
    const dispatcher = KiUserDispatcher();
    if (dispatcher != 0) {
      const dispatched = KiDispatchToUser(record, frame, dispatcher);
      KiLogDispatch(record, true, dispatched);
      if (dispatched) return;
    }
  }
  // No debugger, no exception port: the process ends with the code (Ps logs it).
  const access = r.ExceptionCode == STATUS_ACCESS_VIOLATION && r.NumberParameters >= 2 ? load<u32>(record + RECORD_HEADER, 4) : 0;
  KiUnhandledException(r.ExceptionCode, <u32>r.ExceptionAddress, access, what);
}

/**
 * A processor exception in ring 3 (ke/trap.ts): its record (code, address,
 * up to two parameters) to the user's handlers.
 */
export function KiDispatchUserTrap(frame: usize, code: u32, address: usize, count: u32, p0: u32, p1: u32, what: string): void {
  const record = KeAllocateScratch(RECORD_SIZE); // zeroed
  const r = changetype<EXCEPTION_RECORD>(record);
  r.ExceptionCode = code;
  r.ExceptionAddress = address;
  r.NumberParameters = count;
  store<u32>(record + RECORD_HEADER, p0);
  store<u32>(record + RECORD_HEADER, p1, 4);
  KiDispatchException(record, frame, true, what); // returns only when user mode takes it
  KeFreeScratch(record);
}

// ---- services ----

/**
 * NtContinue(Context, TestAlert): the calling thread goes on in user mode
 * with `Context` (what its ContextFlags name, sanitised: see the top), as
 * ntdll's LdrInitializeThunk and KiUserExceptionDispatcher do. Returns the
 * context's eax, which the system call path leaves in eax. TestAlert: no
 * APCs yet, ignored.
 */
export function NtContinue(context: usize, testAlert: u32): u32 {
  if (!ProbeUserRange(context, CONTEXT_SIZE, 4)) return STATUS_ACCESS_VIOLATION;
  const captured = KeAllocateScratch(CONTEXT_SIZE);
  let status = ExCopyFromUser(captured, context, CONTEXT_SIZE) ? STATUS_SUCCESS : STATUS_ACCESS_VIOLATION;
  const frame = KeUserTrapFrame(KeCurrentThread);
  if (status == STATUS_SUCCESS) status = KeContextToTrapFrame(frame, captured); // the caller's own frame: nobody else writes it
  KeFreeScratch(captured);
  if (status != STATUS_SUCCESS) return status;
  return changetype<KTRAP_FRAME>(frame).Eax;
}

/**
 * NtRaiseException(ExceptionRecord, ContextRecord, FirstChance): user mode
 * raising an exception (RtlRaiseException, the second chance of
 * KiUserExceptionDispatcher, a WebAssembly trap). The record is captured
 * (at most 15 parameters), the thread's registers become the context's, and
 * the exception is dispatched as a fault would be. A null ContextRecord
 * (the trap handler of our linked programs has no context to give) means
 * the caller's own registers at the call.
 */
export function NtRaiseException(record: usize, context: usize, firstChance: u32): u32 {
  if (!ProbeUserRange(record, RECORD_HEADER, 4)) return STATUS_ACCESS_VIOLATION;
  const captured = KeAllocateScratch(RECORD_SIZE);
  const status = KiCaptureRaise(captured, record, context);
  if (status != STATUS_SUCCESS) { KeFreeScratch(captured); return status; }
  const frame = KeUserTrapFrame(KeCurrentThread);
  // Dispatched to user mode (KiDispatchToUser takes its own CONTEXT buffer) or the process ends here.
  KiDispatchException(captured, frame, (firstChance & 0xFF) != 0, KeExceptionName(changetype<EXCEPTION_RECORD>(captured).ExceptionCode));
  KeFreeScratch(captured);
  return changetype<KTRAP_FRAME>(frame).Eax;
}

/** NtRaiseException's capture: the record (header, then its parameters) into `captured`, the context into the caller's trap frame. */
function KiCaptureRaise(captured: usize, record: usize, context: usize): u32 {
  if (!ExCopyFromUser(captured, record, RECORD_HEADER)) return STATUS_ACCESS_VIOLATION;
  const r = changetype<EXCEPTION_RECORD>(captured);
  if (r.NumberParameters > EXCEPTION_MAXIMUM_PARAMETERS) return STATUS_INVALID_PARAMETER;
  const more = r.NumberParameters << 2;
  if (!ProbeUserRange(record, RECORD_HEADER + more, 4) || !ExCopyFromUser(captured + RECORD_HEADER, record + RECORD_HEADER, more)) return STATUS_ACCESS_VIOLATION;
  r.ExceptionCode &= ~0x10000000; // the reserved bit, as NT clears it
  if (context == 0) return STATUS_SUCCESS;
  if (!ProbeUserRange(context, CONTEXT_SIZE, 4)) return STATUS_ACCESS_VIOLATION;
  const c = KeAllocateScratch(CONTEXT_SIZE);
  const copied = ExCopyFromUser(c, context, CONTEXT_SIZE);
  // A context whose eip or esp is in the kernel (a jump there faulted) keeps the thread's own: the
  // exception is dispatched all the same, so that its second chance ends the process with its code.
  if (copied) KeContextToTrapFrame(KeUserTrapFrame(KeCurrentThread), c);
  KeFreeScratch(c);
  return copied ? STATUS_SUCCESS : STATUS_ACCESS_VIOLATION;
}

/**
 * NtGetContextThread's work once the thread is referenced: `thread`'s user
 * registers (its ring-3 trap frame) into the caller's CONTEXT, whose
 * ContextFlags say which parts are wanted (CONTEXT_FULL at most: no
 * floating-point or debug registers are kept).
 */
export function KeGetContextThread(thread: usize, context: usize): u32 {
  if (!ProbeUserRange(context, CONTEXT_SIZE, 4)) return STATUS_ACCESS_VIOLATION;
  const built = KeAllocateScratch(CONTEXT_SIZE);
  const status = KiGetContext(thread, context, built);
  KeFreeScratch(built);
  return status;
}

function KiGetContext(thread: usize, context: usize, built: usize): u32 {
  if (!ExCopyFromUser(built, context, 4)) return STATUS_ACCESS_VIOLATION; // ContextFlags
  const wanted = load<u32>(built);
  const f = KiLockDispatcher(); // the registers of one moment
  KeContextFromTrapFrame(KeUserTrapFrame(thread), built);
  KiUnlockDispatcher(f);
  const c = changetype<CONTEXT>(built);
  if ((wanted & CONTEXT_CONTROL) != CONTEXT_CONTROL) { c.Ebp = 0; c.Eip = 0; c.SegCs = 0; c.EFlags = 0; c.Esp = 0; c.SegSs = 0; }
  if ((wanted & CONTEXT_INTEGER) != CONTEXT_INTEGER) { c.Edi = 0; c.Esi = 0; c.Ebx = 0; c.Edx = 0; c.Ecx = 0; c.Eax = 0; }
  if ((wanted & CONTEXT_SEGMENTS) != CONTEXT_SEGMENTS) { c.SegGs = 0; c.SegFs = 0; c.SegEs = 0; c.SegDs = 0; }
  c.ContextFlags = wanted;
  return ExCopyToUser(context, built, CONTEXT_SIZE) ? STATUS_SUCCESS : STATUS_ACCESS_VIOLATION;
}

/**
 * NtSetContextThread's work: the parts of the caller's CONTEXT its
 * ContextFlags name become `thread`'s user registers, sanitised as
 * NtContinue's. For the calling thread this is where it goes back to user mode.
 */
export function KeSetContextThread(thread: usize, context: usize): u32 {
  if (!ProbeUserRange(context, CONTEXT_SIZE, 4)) return STATUS_ACCESS_VIOLATION;
  const captured = KeAllocateScratch(CONTEXT_SIZE);
  let status = ExCopyFromUser(captured, context, CONTEXT_SIZE) ? STATUS_SUCCESS : STATUS_ACCESS_VIOLATION;
  if (status == STATUS_SUCCESS) {
    const f = KiLockDispatcher(); // all the registers at one moment
    status = KeContextToTrapFrame(KeUserTrapFrame(thread), captured);
    KiUnlockDispatcher(f);
  }
  KeFreeScratch(captured);
  return status;
}
