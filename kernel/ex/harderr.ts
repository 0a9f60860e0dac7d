// Hard errors (Ex): NtRaiseHardError. (NtSetDefaultHardErrorPort and the
// sending to the port are ps/psharderr.ts: they need LPC and processes,
// which sit above Ex; Ps registers them here at phase 1, with the caller's
// name for the log line and the shutdown privilege check.)
//
// A hard error is a status a process (or the kernel) wants a person to see:
// "Unable To Locate Component", or smss's last words. NT sends it to the
// default hard error port (csrss's ApiPort, set with
// NtSetDefaultHardErrorPort) as a HARDERROR_MSG (kernel/sdk/csr.ts,
// type LPC_ERROR_EVENT, the raising thread's ClientId) and waits for the
// answer a person clicks: its Response goes back to the caller. String
// parameters go as the caller passed them (addresses of UNICODE_STRINGs in
// its process), which csrss reads with NtReadVirtualMemory, as NT's does.
// Each session has its own port (its csrss's; a second call in a session
// whose port is open gets STATUS_UNSUCCESSFUL, as NT's second call does),
// and the port's own process never waits on itself.
//
// Without a port (or when it is gone), a hard error is answered as NT
// answers one nobody handles: Response = ResponseReturnToCaller,
// STATUS_SUCCESS, with one log line that spells the status's message and the
// parameters:
//
//   ex: hard error 0xC0000135 from app.exe (pid 9), options 1, parameters "x.dll": no hard error port, ResponseReturnToCaller: {Unable To Locate Component} This application has failed ...
//
// One kind ends the system: an error status raised with OptionShutdownSystem
// by a caller whose token has SeShutdownPrivilege enabled (smss when a system
// process dies or its initialization fails; NT's ExpSystemErrorHandler).
// The STOP code is the status itself, its parameters the first four hard
// error parameters with each string parameter replaced by the address of
// the kernel's ANSI copy of it (as NT's KeBugCheck2 reports a
// FATAL_UNHANDLED_HARD_ERROR), and the block carries the message as Windows
// shows it:
//
//   *** STOP: 0xC000021A (0x80A0F010, 0xC000003A, 0x00000000, 0x00000000)
//   STATUS_SYSTEM_PROCESS_TERMINATED
//   {Fatal System Error}
//   The Session Manager Initialization system process terminated unexpectedly with a status of 0xC000003A (0x00000000 0x00000000).
//   The system has been shut down.
//
// Where this differs from NT: before a hard error port exists NT bug-checks
// for *any* error status (ExReadyForErrors is false until csrss registers);
// here only OptionShutdownSystem does, and the others are logged.
//
// Capture (user callers): Response probed for writing; Parameters probed and
// copied; each string parameter's UNICODE_STRING probed and copied, its
// buffer probed for MaximumLength bytes and Length bytes converted to ASCII
// ('?' for anything else) into one pool block:
//
//   block (pool 'Err '): +0 ULONG Vector[5]  +20 the strings, NUL-terminated, each at most 255 characters

import { ExCopyFromUser, ExGetPreviousMode, ExWriteUserUlong, KernelMode, ProbeUserRange } from "../ke/probe";
import { KeBugCheckWithMessage } from "../ke/bugcheck";
import { KeLogBegin, KeLogCharacter, KeLogDecimal, KeLogEnd, KeLogHex, KeLogString, KeLogAsciiz } from "../ke/log";
import { cli } from "../sdk/intrinsics";
import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "./pool";
import {
  NT_ERROR, STATUS_ACCESS_VIOLATION, STATUS_DLL_INIT_FAILED, STATUS_DLL_NOT_FOUND,
  STATUS_ENTRYPOINT_NOT_FOUND, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_PARAMETER_2,
  STATUS_INVALID_PARAMETER_4, STATUS_PRIVILEGE_NOT_HELD, STATUS_SUCCESS,
  STATUS_SYSTEM_PROCESS_TERMINATED,
} from "../sdk/ntstatus";

/** Most parameters a hard error carries (NT's MAXIMUM_HARDERROR_PARAMETERS). */
export const MAXIMUM_HARDERROR_PARAMETERS: u32 = 5;

export {
  OptionAbortRetryIgnore, OptionOk, OptionOkCancel, OptionRetryCancel, OptionYesNo, OptionYesNoCancel, OptionShutdownSystem, OptionOkNoWait,
  OptionCancelTryContinue, ResponseReturnToCaller, ResponseNotHandled, ResponseOk,
} from "../sdk/hardmsg";
import { HardErrorMessageTemplate, OptionCancelTryContinue, OptionShutdownSystem, ResponseReturnToCaller } from "../sdk/hardmsg";

/** The first parameters' status a system process's death is raised with. */

const ERR_TAG: u32 = 0x20727245; // 'Err '
/** Longest string parameter kept, in characters. */
const STRING_MAX: u32 = 255;
const VECTOR_BYTES: u32 = MAXIMUM_HARDERROR_PARAMETERS * 4;
/** The STOP block's text, formatted with interrupts off just before the bug check. */
const MESSAGE_MAX: u32 = 512;
// One buffer is enough: it is written only by ExpSystemErrorHandler, with
// interrupts off, on the way to the bug check (nothing runs after it).
const ExpMessage: usize = memory.data(MESSAGE_MAX, 4);

/** NT's message for `status` (sdk/hardmsg.ts). */
function ExpMessageTemplate(status: u32): string { return HardErrorMessageTemplate(status); }

// ---- formatting, into the log line (ExpOut == 0) or into ExpMessage ----
//
// ExpOut and ExpOutLength are set and used only with interrupts off: inside
// a log line (KeLogBegin to KeLogEnd) or on the way to the bug check.

let ExpOut: usize = 0;
let ExpOutLength: u32 = 0;

function ExpPut(c: u32): void {
  if (ExpOut == 0) { KeLogCharacter(c == 10 ? 0x20 : c); return; }
  if (ExpOutLength + 1 < MESSAGE_MAX) { store<u8>(ExpOut + ExpOutLength, <u8>c); ExpOutLength++; }
}
function ExpPutText(text: string): void { for (let i = 0; i < text.length; i++) ExpPut(<u32>text.charCodeAt(i)); }
function ExpPutHex(value: u32): void {
  for (let shift: i32 = 28; shift >= 0; shift -= 4) {
    const d = (value >>> <u32>shift) & 15;
    ExpPut(d < 10 ? 0x30 + d : 0x41 + d - 10);
  }
}
function ExpPutAsciiz(address: usize): void {
  for (let i: u32 = 0; i < STRING_MAX; i++) {
    const c = <u32>load<u8>(address + i);
    if (c == 0) break;
    ExpPut(c);
  }
}

/** Writes the template with the parameters of `block` substituted (strings from the block, numbers in hex). */
function ExpFormat(template: string, block: usize, count: u32, mask: u32): void {
  let next: u32 = 0;
  for (let i = 0; i < template.length; i++) {
    const c = <u32>template.charCodeAt(i);
    if (c != 0x25 || i + 1 >= template.length) { ExpPut(c); continue; } // '%'
    const kind = <u32>template.charCodeAt(++i);
    const value = next < count ? load<u32>(block + (next << 2)) : 0;
    const isString = next < count && (mask & (1 << next)) != 0;
    next++;
    if (kind == 0x73 && isString) ExpPutAsciiz(value); // 's'
    else ExpPutHex(value);
  }
}

/** The parameters as the log shows them: strings quoted, numbers in hex. */
function ExpLogParameters(block: usize, count: u32, mask: u32): void {
  if (count == 0) { KeLogString("no parameters"); return; }
  KeLogString("parameters");
  for (let i: u32 = 0; i < count; i++) {
    KeLogCharacter(0x20);
    const value = load<u32>(block + (i << 2));
    if ((mask & (1 << i)) != 0) { KeLogCharacter(0x22); KeLogAsciiz(value, STRING_MAX); KeLogCharacter(0x22); }
    else KeLogHex(value);
  }
}

// ---- capture ----

/**
 * Copies the caller's parameters into a new pool block (see the file's
 * head); the block is at `out`, and the caller's vector as it was read at
 * `vector` (VECTOR_BYTES of the caller's scratch). Each user value is read
 * once, through the user-copy routine: the vector, each string's
 * UNICODE_STRING and the characters kept. STATUS_ACCESS_VIOLATION for a
 * pointer a probe refuses or a page that is gone.
 */
function ExpCaptureParameters(parameters: usize, count: u32, mask: u32, out: usize, vector: usize): u32 {
  store<usize>(out, 0);
  memory.fill(vector, 0, VECTOR_BYTES);
  if (count != 0 && (!ProbeUserRange(parameters, count * 4, 4) || !ExCopyFromUser(vector, parameters, count * 4))) return STATUS_ACCESS_VIOLATION;
  let textBytes: u32 = 0;
  for (let i: u32 = 0; i < count; i++) if ((mask & (1 << i)) != 0) textBytes += STRING_MAX + 1;
  // The block, then room for one string's UNICODE_STRING and raw characters as they are copied in.
  const block = ExAllocatePoolWithTag(NonPagedPool, VECTOR_BYTES + textBytes + 8 + STRING_MAX * 2, ERR_TAG);
  if (block == 0) return STATUS_INSUFFICIENT_RESOURCES;
  memory.copy(block, vector, VECTOR_BYTES);
  const raw = block + VECTOR_BYTES + textBytes;
  let text = block + VECTOR_BYTES;
  for (let i: u32 = 0; i < count; i++) {
    if ((mask & (1 << i)) == 0) continue;
    const string = load<u32>(vector + (i << 2));
    if (!ProbeUserRange(string, 8, 4) || !ExCopyFromUser(raw, string, 8)) { ExFreePoolWithTag(block, ERR_TAG); return STATUS_ACCESS_VIOLATION; }
    let length = <u32>load<u16>(raw);
    const maximum = <u32>load<u16>(raw, 2);
    const buffer = load<u32>(raw, 4);
    if (!ProbeUserRange(buffer, maximum, 1)) { ExFreePoolWithTag(block, ERR_TAG); return STATUS_ACCESS_VIOLATION; }
    if (length > maximum) length = maximum; // stay inside what was probed
    let characters = length >> 1;
    if (characters > STRING_MAX) characters = STRING_MAX;
    if (!ExCopyFromUser(raw + 8, buffer, characters << 1)) { ExFreePoolWithTag(block, ERR_TAG); return STATUS_ACCESS_VIOLATION; }
    for (let n: u32 = 0; n < characters; n++) {
      const c = <u32>load<u16>(raw + 8 + (n << 1));
      store<u8>(text + n, <u8>(c >= 0x20 && c < 0x7F ? c : 0x3F));
    }
    store<u8>(text + characters, 0);
    store<u32>(block + (i << 2), <u32>text);
    text += STRING_MAX + 1;
  }
  store<usize>(out, block);
  return STATUS_SUCCESS;
}

// ---- the services ----

/**
 * The system error handler: the hard error ends the system. The message is
 * formatted with interrupts off into ExpMessage and the STOP code is the
 * status itself (see the file's head). Never returns.
 */
function ExpSystemErrorHandler(status: u32, block: usize, count: u32, mask: u32): void {
  cli();
  ExpOut = ExpMessage;
  ExpOutLength = 0;
  const template = ExpMessageTemplate(status);
  if (template.length != 0) ExpFormat(template, block, count, mask);
  else {
    ExpPutText("Unknown Hard Error\n");
    for (let i: u32 = 0; i < count; i++) {
      ExpPut(0x20);
      if ((mask & (1 << i)) != 0) ExpPutAsciiz(load<u32>(block + (i << 2)));
      else { ExpPutText("0x"); ExpPutHex(load<u32>(block + (i << 2))); }
    }
  }
  store<u8>(ExpOut + ExpOutLength, 0);
  KeBugCheckWithMessage(status, load<u32>(block), load<u32>(block, 4), load<u32>(block, 8), load<u32>(block, 12), ExpMessage);
}

/** The log line of a hard error nobody handles (see the file's head). */
function ExpLogHardError(status: u32, block: usize, count: u32, mask: u32, options: u32): void {
  KeLogBegin("ex");
  KeLogString("hard error ");
  KeLogHex(status);
  KeLogString(" from ");
  ExpLogCaller(); // "app.exe (pid 9"
  KeLogString("), options ");
  KeLogDecimal(options);
  KeLogString(", ");
  ExpLogParameters(block, count, mask);
  KeLogString(": no hard error port, ResponseReturnToCaller");
  const template = ExpMessageTemplate(status);
  if (template.length != 0) {
    KeLogString(": ");
    ExpOut = 0;
    ExpFormat(template, block, count, mask);
  }
  KeLogEnd();
}

// ---- the default hard error port (Ps keeps it: ps/psharderr.ts, above LPC) ----

/**
 * Sends a hard error to the raising process's session's port and returns
 * the response, or EX_HARD_ERROR_NO_PORT when the session has none (or the
 * caller is the port's own process). `parameters` is the caller's own
 * vector (its string parameters are addresses in its process).
 */
export type EX_HARD_ERROR_PORT_HANDLER = (status: u32, count: u32, mask: u32, parameters: usize, options: u32) => u32;
export const EX_HARD_ERROR_NO_PORT: u32 = 0xFFFFFFFF;
let ExpPortHandler: usize = 0;

/** Phase 1, by Ps: where hard errors go when a session has a port. */
export function ExSetHardErrorPortHandler(handler: EX_HARD_ERROR_PORT_HANDLER): void { ExpPortHandler = changetype<usize>(handler); }

/** Logs who raised a hard error: the current process's image name and id (`app.exe (pid 9`). */
export type EX_HARD_ERROR_LOG_CALLER = () => void;
/** May the caller shut the system down (its token has SeShutdownPrivilege; a kernel caller may)? */
export type EX_HARD_ERROR_MAY_SHUT_DOWN = () => bool;
function ExpLogUnknownCaller(): void { KeLogString("?"); }
function ExpKernelMayShutDown(): bool { return ExGetPreviousMode() == KernelMode; }
let ExpLogCaller: EX_HARD_ERROR_LOG_CALLER = ExpLogUnknownCaller;
let ExpMayShutDown: EX_HARD_ERROR_MAY_SHUT_DOWN = ExpKernelMayShutDown;

/** Phase 1, by Ps (processes and tokens sit above Ex): who the caller is, and whether it may shut down. */
export function ExSetHardErrorCallerRoutines(logCaller: EX_HARD_ERROR_LOG_CALLER, mayShutDown: EX_HARD_ERROR_MAY_SHUT_DOWN): void {
  ExpLogCaller = logCaller;
  ExpMayShutDown = mayShutDown;
}

/**
 * NtRaiseHardError(ErrorStatus, NumberOfParameters, UnicodeStringParameterMask,
 * Parameters, ValidResponseOptions, *Response). NT's checks, in NT's order:
 * more than five parameters, or Parameters without a count:
 * STATUS_INVALID_PARAMETER_2; an unknown response option:
 * STATUS_INVALID_PARAMETER_4; a pointer a probe refuses:
 * STATUS_ACCESS_VIOLATION; OptionShutdownSystem without SeShutdownPrivilege
 * enabled: STATUS_PRIVILEGE_NOT_HELD. Then an error status with
 * OptionShutdownSystem stops the system; anything else is logged and
 * answered ResponseReturnToCaller.
 */
export function NtRaiseHardError(status: u32, count: u32, mask: u32, parameters: usize, options: u32, response: usize): u32 {
  if (count > MAXIMUM_HARDERROR_PARAMETERS) return STATUS_INVALID_PARAMETER_2;
  if (parameters != 0 && count == 0) return STATUS_INVALID_PARAMETER_2;
  if (options > OptionCancelTryContinue) return STATUS_INVALID_PARAMETER_4;
  if (!ProbeUserRange(response, 4, 4)) return STATUS_ACCESS_VIOLATION;
  if (parameters == 0) count = 0;
  // The thread's own (probes and the port's reply may switch threads): +0 the block, +4 the caller's vector.
  const out = KeAllocateScratch(4 + VECTOR_BYTES);
  const original = out + 4;
  const captured = ExpCaptureParameters(parameters, count, mask, out, original);
  if (captured != STATUS_SUCCESS) { KeFreeScratch(out); return captured; }
  const block = load<usize>(out);
  if (options == OptionShutdownSystem && !ExpMayShutDown()) {
    ExFreePoolWithTag(block, ERR_TAG);
    KeFreeScratch(out);
    return STATUS_PRIVILEGE_NOT_HELD;
  }
  if (options == OptionShutdownSystem && NT_ERROR(status)) ExpSystemErrorHandler(status, block, count, mask);
  // The caller's own parameters, for the port (the block holds the kernel's copies of the strings).
  let answer = ExpPortHandler != 0 ? changetype<EX_HARD_ERROR_PORT_HANDLER>(ExpPortHandler)(status, count, mask, original, options) : EX_HARD_ERROR_NO_PORT;
  if (answer == EX_HARD_ERROR_NO_PORT) {
    ExpLogHardError(status, block, count, mask, options);
    answer = ResponseReturnToCaller;
  }
  ExFreePoolWithTag(block, ERR_TAG);
  KeFreeScratch(out);
  return ExWriteUserUlong(response, answer) ? STATUS_SUCCESS : STATUS_ACCESS_VIOLATION;
}
