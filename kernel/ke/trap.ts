// Trap dispatch: every interrupt and exception lands in KiTrapDispatch.
//
// The toolchain's entry stub for each vector builds a KTRAP_FRAME on the
// current stack, calls KiTrapDispatch(frame), then restores every field (the
// kernel may change them) and returns with `iretd`. Vectors:
//
//   0x00-0x1F  processor exceptions: nothing in the kernel expects one yet,
//              so each is reported (the frame on the log) and bug-checks
//   0x30-0x3F  IRQ 0-15 from the PICs: KiDispatchInterrupt
//   0x40-0xFF  nothing is connected: logged and ignored
//
// Bug check chosen per exception, following what NT does in kernel mode:
//   #PF                 -> PAGE_FAULT_IN_NONPAGED_AREA (cr2, 1 if write, eip, 0)
//   #DE #DB #BP #OF #BR #UD #GP #MF #AC #XM, which NT turns into exceptions
//                       -> KMODE_EXCEPTION_NOT_HANDLED (NTSTATUS, eip, error code, 0)
//   the rest (NMI, #NM, #DF, #TS, #NP, #SS, #MC, reserved)
//                       -> UNEXPECTED_KERNEL_MODE_TRAP (vector, error code, eip, 0)

import { exception_table, read_cr2 } from "../sdk/intrinsics";
import { MM_USER_PROBE_ADDRESS } from "../sdk/ntdef";
import { KTRAP_FRAME } from "../sdk/context";
import { KeLogBegin, KeLogCharacter, KeLogEnd, KeLogHex, KeLogHexDigits, KeLogString } from "./log";
import { KiDispatchInterrupt } from "./interrupt";
import { KiDispatchInterruptEnd, KiEnterInterrupt, KiLeaveInterrupt, KeCurrentThread, KeTerminateThread, KTHREAD } from "./thread";
import { KiSystemService, KI_SYSTEM_SERVICE_VECTOR } from "./syscall";
import { KiDispatchUserTrap } from "./except";
import { KeIsUserRangeAccessible } from "./probe";
import { PIC_IRQ_COUNT, PIC_MASTER_VECTOR } from "../hal/pic";
import {
  KeBugCheckEx, KMODE_EXCEPTION_NOT_HANDLED, PAGE_FAULT_IN_NONPAGED_AREA, UNEXPECTED_KERNEL_MODE_TRAP,
} from "./bugcheck";
import {
  STATUS_ACCESS_VIOLATION, STATUS_ARRAY_BOUNDS_EXCEEDED, STATUS_BREAKPOINT,
  STATUS_DATATYPE_MISALIGNMENT, STATUS_FLOAT_INVALID_OPERATION, STATUS_FLOAT_MULTIPLE_TRAPS,
  STATUS_ILLEGAL_INSTRUCTION, STATUS_INTEGER_DIVIDE_BY_ZERO, STATUS_INTEGER_OVERFLOW,
  STATUS_PRIVILEGED_INSTRUCTION, STATUS_SINGLE_STEP, STATUS_STACK_OVERFLOW,
} from "../sdk/ntstatus";

// ---- what the trap handlers call in the components above Ke ----
//
// Mm resolves page faults and Ps ends threads, and both sit above Ke: each
// hands its routine in at its initialisation (Mm's when it builds the
// address spaces, Ps's with its exception routines), as the HAL takes the
// kernel's clock routine. No user thread exists before both have.

/** MmGrowUserStack's answers: not the thread's stack; committed (run the access again); the stack has overflowed. */
export const STACK_NOT_STACK: u32 = 0, STACK_GROWN: u32 = 1, STACK_OVERFLOW: u32 = 2;
/** Brings a paged-out user page back (MmAccessFault): true when the access can run again. */
export type KE_ACCESS_FAULT_ROUTINE = (address: usize) => bool;
/** Commits the thread's stack below its committed part (MmGrowUserStack): one of STACK_*. */
export type KE_GROW_STACK_ROUTINE = (teb: usize, address: usize) => u32;
/** Ends the current thread, which was asked to end (Ps's PspExitThread): never returns. */
export type KE_EXIT_THREAD_ROUTINE = (status: u32) => void;
function KiNoAccessFault(address: usize): bool { return false; }
function KiNoStackGrowth(teb: usize, address: usize): u32 { return STACK_NOT_STACK; }
let KiAccessFaultRoutine: KE_ACCESS_FAULT_ROUTINE = KiNoAccessFault;
let KiGrowStackRoutine: KE_GROW_STACK_ROUTINE = KiNoStackGrowth;
let KiExitThreadRoutine: KE_EXIT_THREAD_ROUTINE = KeTerminateThread;

/** Mm's page-fault routines. */
export function KeSetPageFaultRoutines(accessFault: KE_ACCESS_FAULT_ROUTINE, growStack: KE_GROW_STACK_ROUTINE): void {
  KiAccessFaultRoutine = accessFault;
  KiGrowStackRoutine = growStack;
}
/** Ps's end of a thread (until then a thread asked to end just ends, KeTerminateThread). */
export function KeSetExitThreadRoutine(routine: KE_EXIT_THREAD_ROUTINE): void { KiExitThreadRoutine = routine; }

/** At every return to user mode: a thread asked to end does so here, on its own stack. */
@inline function KiCheckTermination(): void {
  const t = changetype<KTHREAD>(KeCurrentThread);
  if (t.TerminatePending != 0) KiExitThreadRoutine(t.TerminateStatus);
}

/** Offset of HardwareEsp: where a ring-0 trap's stack pointer was. */
const KTRAP_FRAME_HARDWARE_ESP: u32 = 68;
/** First vector past the processor exceptions. */
const EXCEPTION_VECTORS: u32 = 32;
/** Page fault vector. */
const VECTOR_PAGE_FAULT: u32 = 14;
/** Page fault error code bit 1: the access was a write. */
const PF_ERROR_WRITE: u32 = 0x2;
const PF_ERROR_PRESENT: u32 = 0x1;
/** Requested privilege level bits of a selector. */
const SELECTOR_RPL_MASK: u32 = 3;

// NTSTATUS codes for exceptions NT raises as debug events or floating-point errors.

/** A short name for an exception vector, for the log. */
function KiExceptionName(vector: u32): string {
  switch (vector) {
    case 0: return "divide error";
    case 1: return "debug";
    case 2: return "non-maskable interrupt";
    case 3: return "breakpoint";
    case 4: return "overflow";
    case 5: return "bound range exceeded";
    case 6: return "invalid opcode";
    case 7: return "device not available";
    case 8: return "double fault";
    case 9: return "coprocessor segment overrun";
    case 10: return "invalid TSS";
    case 11: return "segment not present";
    case 12: return "stack-segment fault";
    case 13: return "general protection";
    case 14: return "page fault";
    case 16: return "x87 floating-point error";
    case 17: return "alignment check";
    case 18: return "machine check";
    case 19: return "SIMD floating-point error";
  }
  return "reserved exception";
}

/** The NTSTATUS NT raises for an exception vector, or 0 when it bug-checks 0x7F instead. */
function KiExceptionStatus(vector: u32): u32 {
  switch (vector) {
    case 0: return STATUS_INTEGER_DIVIDE_BY_ZERO;
    case 1: return STATUS_SINGLE_STEP;
    case 3: return STATUS_BREAKPOINT;
    case 4: return STATUS_INTEGER_OVERFLOW;
    case 5: return STATUS_ARRAY_BOUNDS_EXCEEDED;
    case 6: return STATUS_ILLEGAL_INSTRUCTION;
    case 13: return STATUS_ACCESS_VIOLATION;
    case 16: return STATUS_FLOAT_INVALID_OPERATION;
    case 17: return STATUS_DATATYPE_MISALIGNMENT;
    case 19: return STATUS_FLOAT_MULTIPLE_TRAPS;
  }
  return 0;
}

/** Appends ` name=0x%0*X` (`digits` hex digits); the line's first register has no leading space. */
function KiLogRegister(name: string, value: u32, digits: u32 = 8, first: bool = false): void {
  if (!first) KeLogCharacter(0x20);
  KeLogString(name);
  KeLogCharacter(0x3D); // '='
  KeLogHexDigits(value, digits);
}

/** Logs the whole frame: what happened, where, and every register. */
function KiDumpTrapFrame(frame: usize): void {
  const trap = changetype<KTRAP_FRAME>(frame);
  const fromUser = (trap.SegCs & SELECTOR_RPL_MASK) != 0;
  KeLogBegin("ke");
  KeLogString("trap ");
  KeLogHexDigits(trap.Vector, 2);
  KeLogString(" (");
  KeLogString(KiExceptionName(trap.Vector));
  KeLogString(") error ");
  KeLogHex(trap.ErrorCode);
  KeLogString(" at ");
  KeLogHexDigits(trap.SegCs, 4);
  KeLogCharacter(0x3A); // ':'
  KeLogHex(trap.Eip);
  KeLogString(fromUser ? " (user)" : " (kernel)");
  KeLogEnd();
  KeLogBegin("ke");
  KiLogRegister("eax", trap.Eax, 8, true);
  KiLogRegister("ebx", trap.Ebx);
  KiLogRegister("ecx", trap.Ecx);
  KiLogRegister("edx", trap.Edx);
  KeLogEnd();
  KeLogBegin("ke");
  KiLogRegister("esi", trap.Esi, 8, true);
  KiLogRegister("edi", trap.Edi);
  KiLogRegister("ebp", trap.Ebp);
  // A ring-0 trap pushes no esp: the interrupted stack continues right after the frame.
  KiLogRegister("esp", fromUser ? trap.HardwareEsp : <u32>frame + KTRAP_FRAME_HARDWARE_ESP);
  KeLogEnd();
  KeLogBegin("ke");
  KiLogRegister("eflags", trap.EFlags, 8, true);
  KiLogRegister("ds", trap.SegDs, 4);
  KiLogRegister("es", trap.SegEs, 4);
  KiLogRegister("fs", trap.SegFs, 4);
  KiLogRegister("gs", trap.SegGs, 4);
  if (fromUser) KiLogRegister("ss", trap.HardwareSegSs, 4);
  KeLogEnd();
}

/** An exception nobody expects: report it and bug-check (see the table at the top). */
function KiUnexpectedException(frame: usize): void {
  const trap = changetype<KTRAP_FRAME>(frame);
  const vector = trap.Vector;
  KiDumpTrapFrame(frame);
  if (vector == VECTOR_PAGE_FAULT) {
    // cr2 still holds the address: nothing between the fault and here can fault.
    const address = read_cr2();
    KeLogBegin("ke");
    KiLogRegister("cr2", address, 8, true);
    KeLogString((trap.ErrorCode & PF_ERROR_WRITE) != 0 ? " (write)" : " (read)");
    KeLogEnd();
    KeBugCheckEx(PAGE_FAULT_IN_NONPAGED_AREA, address, (trap.ErrorCode & PF_ERROR_WRITE) != 0 ? 1 : 0, trap.Eip, 0);
  }
  const status = KiExceptionStatus(vector);
  if (status != 0) KeBugCheckEx(KMODE_EXCEPTION_NOT_HANDLED, status, trap.Eip, trap.ErrorCode, 0);
  KeBugCheckEx(UNEXPECTED_KERNEL_MODE_TRAP, vector, trap.ErrorCode, trap.Eip, 0);
}


/** Is the instruction at user address `eip` one ring 3 may not run (cli, sti, hlt, in, out, ...)? */
function KiIsPrivilegedInstruction(eip: u32): bool {
  if (!KeIsUserRangeAccessible(eip, 2, false)) return false;
  let op = <u32>load<u8>(eip);
  let at = eip;
  // Skip prefixes (operand size, rep, segment overrides).
  for (let i = 0; i < 4 && (op == 0x66 || op == 0xF3 || op == 0xF2 || op == 0x2E || op == 0x3E || op == 0x26 || op == 0x36 || op == 0x64 || op == 0x65); i++) {
    at++;
    if (!KeIsUserRangeAccessible(at, 2, false)) return false;
    op = <u32>load<u8>(at);
  }
  if (op == 0xFA || op == 0xFB || op == 0xF4) return true;                  // cli sti hlt
  if ((op >= 0xE4 && op <= 0xE7) || (op >= 0xEC && op <= 0xEF)) return true; // in/out
  if (op >= 0x6C && op <= 0x6F) return true;                                // ins/outs
  if (op == 0x0F) {
    const op2 = <u32>load<u8>(at + 1);
    return op2 == 0x01 || op2 == 0x06 || op2 == 0x08 || op2 == 0x09 || op2 == 0x20 || op2 == 0x22 || op2 == 0x30 || op2 == 0x32 || op2 == 0x00;
  }
  return false;
}

/**
 * An exception in ring 3: its NTSTATUS and record go to the thread's own
 * handlers (ke/except.ts), as NT's trap handlers hand them to
 * KiDispatchException. A page fault below the committed stack commits it
 * instead; an access violation carries (read 0 / write 1, address), a
 * general protection fault (0, 0xFFFFFFFF) as NT gives it; a breakpoint
 * points back at its int3.
 */
function KiUserException(frame: usize): void {
  const trap = changetype<KTRAP_FRAME>(frame);
  const vector = trap.Vector;
  let status = KiExceptionStatus(vector);
  let count: u32 = 0, p0: u32 = 0, p1: u32 = 0;
  if (vector == VECTOR_PAGE_FAULT) {
    status = STATUS_ACCESS_VIOLATION;
    const address = read_cr2();
    // A touch below the committed part of the thread's stack: commit it and run the instruction again
    // (or, on the reservation's last page, the stack has overflowed).
    if ((trap.ErrorCode & PF_ERROR_PRESENT) == 0) {
      if (KiAccessFaultRoutine(address)) return; // paged out (mm/paging.ts): back in memory, run it again
      const stack = KiGrowStackRoutine(changetype<KTHREAD>(KeCurrentThread).Teb, address);
      if (stack == STACK_GROWN) return;
      if (stack == STACK_OVERFLOW) status = STATUS_STACK_OVERFLOW;
    }
    if (status == STATUS_ACCESS_VIOLATION) { count = 2; p0 = (trap.ErrorCode & PF_ERROR_WRITE) != 0 ? 1 : 0; p1 = address; }
  }
  else if (vector == 13 && KiIsPrivilegedInstruction(trap.Eip)) status = STATUS_PRIVILEGED_INSTRUCTION;
  else if (vector == 13) { status = STATUS_ACCESS_VIOLATION; count = 2; p0 = 0; p1 = 0xFFFFFFFF; }
  else if (vector == 3) { trap.Eip = trap.Eip - 1; count = 1; } // BREAKPOINT_BREAK
  else if (status == 0) status = STATUS_ACCESS_VIOLATION;
  KiDispatchUserTrap(frame, status, trap.Eip, count, p0, p1, KiExceptionName(vector));
}

/**
 * The code address where a fault at `eip` resumes, when `eip` lies in one of
 * the kernel's user-copy routines (the toolchain's exception table: a count,
 * then start, end and fixup per routine); 0 otherwise. NT finds the same in
 * the SEH frames around its user accesses, Linux in its exception table.
 */
export function KeFindExceptionFixup(eip: usize): usize {
  const table = exception_table();
  if (table == 0) return 0;
  const count = load<u32>(table);
  for (let i: u32 = 0; i < count; i++) {
    const entry = table + 4 + i * 12;
    if (eip >= <usize>load<u32>(entry) && eip < <usize>load<u32>(entry, 4)) return <usize>load<u32>(entry, 8);
  }
  return 0;
}

/**
 * A ring-0 page fault on a user address inside a user-copy routine: the copy
 * resumes at its fault exit, which tells its caller (STATUS_ACCESS_VIOLATION
 * for the service), unless the address is the thread's stack below its
 * committed part, which is committed and the copy goes on. Probes are range checks against MM_USER_PROBE_ADDRESS;
 * this is what makes a page unmapped, decommitted or read-only under a copy
 * harmless. Any other kernel fault still bug-checks.
 */
function KiUserCopyFault(frame: usize): bool {
  const trap = changetype<KTRAP_FRAME>(frame);
  const address = read_cr2();
  if (<usize>address >= MM_USER_PROBE_ADDRESS) return false;
  const fixup = KeFindExceptionFixup(trap.Eip);
  if (fixup == 0) return false;
  // Below the committed part of the thread's stack (the exception frame ke/except.ts pushes, say):
  // commit it and copy on, as a touch from ring 3 would.
  if ((trap.ErrorCode & PF_ERROR_PRESENT) == 0 && KeCurrentThread != 0 && KiGrowStackRoutine(changetype<KTHREAD>(KeCurrentThread).Teb, address) == STACK_GROWN) return true;
  trap.Eip = <u32>fixup;
  return true;
}

/**
 * A ring-0 not-present fault on a user page the memory manager paged out
 * (a copy, or a read after a probe): the page is read back and the access
 * runs again, as NT's MmAccessFault does for kernel accesses to pageable memory.
 */
function KiPagedOutFault(frame: usize): bool {
  const address = read_cr2();
  return (changetype<KTRAP_FRAME>(frame).ErrorCode & PF_ERROR_PRESENT) == 0 && KiAccessFaultRoutine(address);
}

/** Called by every interrupt entry stub with the address of its KTRAP_FRAME. */
export function KiTrapDispatch(frame: usize): void {
  // System services first: they are most of the traps.
  if (changetype<KTRAP_FRAME>(frame).Vector == KI_SYSTEM_SERVICE_VECTOR) {
    KiSystemService(frame);
    KiDispatchInterruptEnd();
    // Back to ring 3 (a system call's frame almost always is): the rare request to end is tested first.
    if (changetype<KTHREAD>(KeCurrentThread).TerminatePending != 0 && (changetype<KTRAP_FRAME>(frame).SegCs & SELECTOR_RPL_MASK) != 0) KiCheckTermination();
    return;
  }
  KiDispatchTrap(frame);
  // Back to ring 3: a thread asked to end ends here instead.
  if ((changetype<KTRAP_FRAME>(frame).SegCs & SELECTOR_RPL_MASK) != 0) KiCheckTermination();
}

function KiDispatchTrap(frame: usize): void {
  const vector = changetype<KTRAP_FRAME>(frame).Vector;
  if (vector < EXCEPTION_VECTORS && (changetype<KTRAP_FRAME>(frame).SegCs & SELECTOR_RPL_MASK) != 0) {
    KiUserException(frame);
  } else if (vector < EXCEPTION_VECTORS) {
    if (vector == VECTOR_PAGE_FAULT && KiPagedOutFault(frame)) return;
    if (vector == VECTOR_PAGE_FAULT && KiUserCopyFault(frame)) return;
    KiUnexpectedException(frame);
  } else if (vector - PIC_MASTER_VECTOR < PIC_IRQ_COUNT) {
    KiEnterInterrupt();
    KiDispatchInterrupt(frame, vector - PIC_MASTER_VECTOR);
    KiLeaveInterrupt();
    KiDispatchInterruptEnd(); // a preemption the clock or a wake-up asked for
  } else {
    KeLogBegin("ke");
    KeLogString("unexpected interrupt ");
    KeLogHexDigits(vector, 2);
    KeLogString(" at ");
    KeLogHex(changetype<KTRAP_FRAME>(frame).Eip);
    KeLogEnd();
  }
}
