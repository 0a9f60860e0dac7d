// Bug checks: the kernel's last words.
//
// KeBugCheckEx stops the machine when it cannot go on safely. With interrupts
// off it writes the STOP block on COM1, on its own lines and without a
// timestamp (DESIGN.md section 5):
//
//   *** STOP: 0x00000050 (0x80A00000, 0x00000001, 0x80101234, 0x00000000)
//   PAGE_FAULT_IN_NONPAGED_AREA
//
// paints the blue screen with the same text, and halts for good. A second bug
// check while the first is being reported (a fault in the reporting code)
// only halts.
//
// Also here: KiAbort, AssemblyScript's `abort` for the kernel (built with
// `--use abort=kernel/ke/bugcheck/KiAbort`), and KiWasmTrap, which the
// translated code calls on a WebAssembly trap.

import { HalSerialEnsureLineStart, HalSerialFlush } from "../hal/serial";
import { HalDisplayBlueScreen, HalDisplayNewLine, HalDisplayString } from "../hal/vga";
import { cli, hlt } from "../sdk/intrinsics";
import { KeLogBegin, KeLogBeginBare, KeLogCharacter, KeLogDecimal, KeLogEnd, KeLogHex, KeLogString, KeLogFormat2 } from "./log";
import {
  STATUS_ACCESS_VIOLATION, STATUS_ASSERTION_FAILURE, STATUS_FLOAT_INVALID_OPERATION,
  STATUS_ILLEGAL_INSTRUCTION, STATUS_INTEGER_DIVIDE_BY_ZERO, STATUS_INTEGER_OVERFLOW,
  STATUS_STACK_OVERFLOW, STATUS_SYSTEM_PROCESS_TERMINATED,
} from "../sdk/ntstatus";

// ---- Bug check codes used across the project ----

/** p1 the count: a wait on more objects than the thread's own wait blocks without a block array (ke/wait.ts). */
export const MAXIMUM_WAIT_OBJECTS_EXCEEDED: u32 = 0x0C;
/** p1 what is wrong (see ex/pool.ts), p2 the pool block, p3/p4 details. */
export const BAD_POOL_HEADER: u32 = 0x19;
/** p1 what is wrong (0x41284 reference on a free page, 0x41287 free of a free page), p2 the page. */
export const MEMORY_MANAGEMENT: u32 = 0x1A;
/** p1 exception code (NTSTATUS), p2 address, p3/p4 exception parameters. */
export const KMODE_EXCEPTION_NOT_HANDLED: u32 = 0x1E;
/** p1 what the caller did wrong (0x7 double free), p2 the pool tag, p3 the address. */
export const BAD_POOL_CALLER: u32 = 0xC2;
/** p1 the phase 0 step that failed. */
export const PHASE0_INITIALIZATION_FAILED: u32 = 0x31;
/** p1 the phase 1 step that failed. */
export const PHASE1_INITIALIZATION_FAILED: u32 = 0x32;
/** p1 address referenced, p2 1 = write, p3 faulting instruction, p4 0. */
export const PAGE_FAULT_IN_NONPAGED_AREA: u32 = 0x50;
/** The HAL could not start. */
export const HAL_INITIALIZATION_FAILED: u32 = 0x5C;
/** The processor lacks a required feature. */
export const UNSUPPORTED_PROCESSOR: u32 = 0x5D;
/** The registry could not be initialised. */
export const CONFIG_INITIALIZATION_FAILED: u32 = 0x67;
/** The first user process (smss) could not be started. */
export const PROCESS1_INITIALIZATION_FAILED: u32 = 0x6B;
/** The session manager could not be started: p1 the status of the step that failed (ps/psinit.ts). */
export const SESSION1_INITIALIZATION_FAILED: u32 = 0x6D;
/** The session manager ended within its first five seconds: p1 its exit status (ps/psinit.ts). */
export const SESSION5_INITIALIZATION_FAILED: u32 = 0x71;
/** The SYSTEM hive is missing or bad. */
export const BAD_SYSTEM_CONFIG_INFO: u32 = 0x74;
/** The boot disk is unreadable. */
export const INACCESSIBLE_BOOT_DEVICE: u32 = 0x7B;
/** A system thread raised an exception nobody handled. */
export const SYSTEM_THREAD_EXCEPTION_NOT_HANDLED: u32 = 0x7E;
/** p1 the trap vector (e.g. 8 = double fault), p2 error code, p3 eip. */
export const UNEXPECTED_KERNEL_MODE_TRAP: u32 = 0x7F;
/** A critical process (csrss, wininit, ...) died. */
export const CRITICAL_PROCESS_DIED: u32 = 0xEF;
/** A critical process or thread was terminated. */
export const CRITICAL_OBJECT_TERMINATION: u32 = 0xF4;

// ---- NTSTATUS exception codes reported in p1 of KMODE_EXCEPTION_NOT_HANDLED ----


// ---- WebAssembly trap codes passed to KiWasmTrap by the translated code ----

const WASM_TRAP_UNREACHABLE: u32 = 1;          // `unreachable` executed
const WASM_TRAP_DIVIDE_BY_ZERO: u32 = 2;       // integer division by zero
const WASM_TRAP_INTEGER_OVERFLOW: u32 = 3;     // INT_MIN / -1
const WASM_TRAP_OUT_OF_BOUNDS: u32 = 4;        // memory access out of bounds
const WASM_TRAP_UNDEFINED_ELEMENT: u32 = 5;    // call_indirect past the table
const WASM_TRAP_UNINITIALIZED_ELEMENT: u32 = 6; // call_indirect through a null slot
const WASM_TRAP_SIGNATURE_MISMATCH: u32 = 7;   // call_indirect type mismatch
const WASM_TRAP_STACK_EXHAUSTED: u32 = 8;      // call stack exhausted
const WASM_TRAP_INVALID_CONVERSION: u32 = 9;   // float to integer out of range

/** Set by the first bug check: a nested one only halts. */
let KiBugCheckActive: bool = false;

/** The symbolic name of a bug check code, as printed under the STOP line. */
export function KeBugCheckName(code: u32): string {
  switch (code) {
    case 0x0A: return "IRQL_NOT_LESS_OR_EQUAL";
    case 0x18: return "REFERENCE_BY_POINTER";
    case BAD_POOL_HEADER: return "BAD_POOL_HEADER";
    case MEMORY_MANAGEMENT: return "MEMORY_MANAGEMENT";
    case MAXIMUM_WAIT_OBJECTS_EXCEEDED: return "MAXIMUM_WAIT_OBJECTS_EXCEEDED";
    case KMODE_EXCEPTION_NOT_HANDLED: return "KMODE_EXCEPTION_NOT_HANDLED";
    case PHASE0_INITIALIZATION_FAILED: return "PHASE0_INITIALIZATION_FAILED";
    case PHASE1_INITIALIZATION_FAILED: return "PHASE1_INITIALIZATION_FAILED";
    case 0x3B: return "SYSTEM_SERVICE_EXCEPTION";
    case PAGE_FAULT_IN_NONPAGED_AREA: return "PAGE_FAULT_IN_NONPAGED_AREA";
    case HAL_INITIALIZATION_FAILED: return "HAL_INITIALIZATION_FAILED";
    case 0x5E: return "OBJECT_INITIALIZATION_FAILED";
    case UNSUPPORTED_PROCESSOR: return "UNSUPPORTED_PROCESSOR";
    case CONFIG_INITIALIZATION_FAILED: return "CONFIG_INITIALIZATION_FAILED";
    case PROCESS1_INITIALIZATION_FAILED: return "PROCESS1_INITIALIZATION_FAILED";
    case SESSION1_INITIALIZATION_FAILED: return "SESSION1_INITIALIZATION_FAILED";
    case SESSION5_INITIALIZATION_FAILED: return "SESSION5_INITIALIZATION_FAILED";
    case BAD_SYSTEM_CONFIG_INFO: return "BAD_SYSTEM_CONFIG_INFO";
    case INACCESSIBLE_BOOT_DEVICE: return "INACCESSIBLE_BOOT_DEVICE";
    case SYSTEM_THREAD_EXCEPTION_NOT_HANDLED: return "SYSTEM_THREAD_EXCEPTION_NOT_HANDLED";
    case UNEXPECTED_KERNEL_MODE_TRAP: return "UNEXPECTED_KERNEL_MODE_TRAP";
    case 0x8E: return "KERNEL_MODE_EXCEPTION_NOT_HANDLED";
    case BAD_POOL_CALLER: return "BAD_POOL_CALLER";
    case 0xD1: return "DRIVER_IRQL_NOT_LESS_OR_EQUAL";
    case CRITICAL_PROCESS_DIED: return "CRITICAL_PROCESS_DIED";
    case CRITICAL_OBJECT_TERMINATION: return "CRITICAL_OBJECT_TERMINATION";
    case STATUS_SYSTEM_PROCESS_TERMINATED: return "STATUS_SYSTEM_PROCESS_TERMINATED";
  }
  return "UNKNOWN_BUGCHECK_CODE";
}

/** Halts with interrupts off, for good. */
function KiHaltForever(): void {
  while (true) {
    cli();
    hlt();
  }
}

/** Stops the system: STOP block on COM1, blue screen on VGA, halt. Never returns. */
export function KeBugCheckEx(code: u32, p1: u32, p2: u32, p3: u32, p4: u32): void {
  KeBugCheckWithMessage(code, p1, p2, p3, p4, 0);
}

/**
 * KeBugCheckEx with the text Windows shows for a fatal hard error (NT's
 * FATAL_UNHANDLED_HARD_ERROR path, ex/harderr.ts): `message` is a
 * NUL-terminated ASCII text whose lines (split at '\n') follow the name
 * line of the STOP block, on COM1 and on the blue screen, e.g.
 *
 *   *** STOP: 0xC000021A (0x80A01234, 0xC000003A, 0x00000000, 0x00000000)
 *   STATUS_SYSTEM_PROCESS_TERMINATED
 *   {Fatal System Error}
 *   The Session Manager Initialization system process terminated unexpectedly ...
 *   The system has been shut down.
 *
 * 0 for no text (the two-line block). Never returns.
 */
export function KeBugCheckWithMessage(code: u32, p1: u32, p2: u32, p3: u32, p4: u32, message: usize): void {
  cli();
  if (KiBugCheckActive) KiHaltForever();
  KiBugCheckActive = true;
  HalSerialFlush(); // what the log queued goes out first; the STOP block is polled
  HalSerialEnsureLineStart();
  HalDisplayBlueScreen();
  KeLogBeginBare();
  KeLogString("*** STOP: ");
  KeLogHex(code);
  KeLogString(" (");
  KeLogHex(p1);
  KeLogString(", ");
  KeLogHex(p2);
  KeLogString(", ");
  KeLogHex(p3);
  KeLogString(", ");
  KeLogHex(p4);
  KeLogCharacter(0x29); // ')'
  KeLogEnd();
  KeLogBeginBare();
  KeLogString(KeBugCheckName(code));
  KeLogEnd();
  if (message != 0) {
    KeLogBeginBare();
    for (let at = message; load<u8>(at) != 0; at++) {
      const c = <u32>load<u8>(at);
      if (c == 10) { KeLogEnd(); KeLogBeginBare(); } else KeLogCharacter(c);
    }
    KeLogEnd();
  }
  // On the screen only: COM1 carries nothing but the STOP block.
  HalDisplayNewLine();
  HalDisplayString("The system has been stopped to prevent damage.");
  HalDisplayNewLine();
  HalDisplayString("The kernel log on COM1 shows what led to this.");
  KiHaltForever();
}

/** KeBugCheckEx with the parameters zero. */
export function KeBugCheck(code: u32): void {
  KeBugCheckEx(code, 0, 0, 0, 0);
}

/** Logs an AssemblyScript string argument of KiAbort, or `what` when it is null. */
function KiLogAbortString(text: string | null, what: string): void {
  if (text === null) KeLogString(what);
  else KeLogString(text);
}

/**
 * AssemblyScript's `abort` (a failed assertion, a `throw`, a runtime error in
 * the standard library): logs the message and source location, then bug
 * checks KMODE_EXCEPTION_NOT_HANDLED with STATUS_ASSERTION_FAILURE, the way
 * an unhandled kernel exception ends in NT. p2 is 0 (there is no faulting
 * instruction address), p3 and p4 are the line and column.
 */
export function KiAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  KeLogBegin("ke");
  KeLogString("abort: ");
  KiLogAbortString(message, "(no message)");
  KeLogString(" at ");
  KiLogAbortString(fileName, "(unknown file)");
  KeLogCharacter(0x3A); // ':'
  KeLogDecimal(line);
  KeLogCharacter(0x3A);
  KeLogDecimal(column);
  KeLogEnd();
  KeBugCheckEx(KMODE_EXCEPTION_NOT_HANDLED, STATUS_ASSERTION_FAILURE, 0, line, column);
}

/**
 * The NTSTATUS that matches a WebAssembly trap. Calls through a bad table
 * slot (past the end or empty) are what a jump through a wild or null
 * function pointer is in native code: an access violation. A signature
 * mismatch reaches an existing function that cannot run as called, which we
 * report like an invalid instruction. Unknown codes too.
 */
export function KiWasmTrapStatus(code: u32): u32 {
  switch (code) {
    case WASM_TRAP_UNREACHABLE: return STATUS_ILLEGAL_INSTRUCTION;
    case WASM_TRAP_DIVIDE_BY_ZERO: return STATUS_INTEGER_DIVIDE_BY_ZERO;
    case WASM_TRAP_INTEGER_OVERFLOW: return STATUS_INTEGER_OVERFLOW;
    case WASM_TRAP_OUT_OF_BOUNDS: return STATUS_ACCESS_VIOLATION;
    case WASM_TRAP_UNDEFINED_ELEMENT: return STATUS_ACCESS_VIOLATION;
    case WASM_TRAP_UNINITIALIZED_ELEMENT: return STATUS_ACCESS_VIOLATION;
    case WASM_TRAP_SIGNATURE_MISMATCH: return STATUS_ILLEGAL_INSTRUCTION;
    case WASM_TRAP_STACK_EXHAUSTED: return STATUS_STACK_OVERFLOW;
    case WASM_TRAP_INVALID_CONVERSION: return STATUS_FLOAT_INVALID_OPERATION;
  }
  return STATUS_ILLEGAL_INSTRUCTION;
}

/**
 * Called by the translated code on a WebAssembly trap in the kernel, with the
 * trap code and the address of the trapping instruction. Never returns:
 * KMODE_EXCEPTION_NOT_HANDLED (status, address, trap code, 0).
 */
export function KiWasmTrap(code: u32, address: usize): void {
  KeLogFormat2("ke", "wasm trap %u at %x", code, <u32>address);
  KeBugCheckEx(KMODE_EXCEPTION_NOT_HANDLED, KiWasmTrapStatus(code), <u32>address, code, 0);
}
