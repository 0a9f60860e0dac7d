// ntoskrnl.exe's export table: the kernel routines a kernel-mode image
// (win32k.sys) may import by name from "ntoskrnl.exe".
//
// The kernel's entry files (main.ts, selftest.ts) re-export this file, so
// each routine is a wasm export, kept whole by the optimiser; scripts/build.ts
// reads the names below and the linker writes the table (name, machine
// address) the intrinsic export_table points at. The driver loader
// (mm/sysload.ts) resolves imports there. It sits beside main.ts, above the
// components it takes routines from. Each routine is an ordinary
// translated function: stdcall, eax result, ebx/esi/edi/ebp kept, exactly
// what a driver's import thunk calls. Where NT has the routine the name and
// arguments are NT's; the others are ours (ProbeUserRange, the user copies:
// NT's drivers probe and copy inside try/except).

import { KeLogBeginAsciiz, KeLogCharacter, KeLogEnd } from "./ke/log";
import { KeGetCurrentSessionId } from "./ke/shadow";
import { KeAllocateScratch, KeFreeScratch } from "./ke/thread";
import { SePrivilegeCheckMode } from "./se/token";
import { ExCopyFromUser as copyFromUser, ExCopyToUser as copyToUser, ExWriteUserUlong as writeUserUlong } from "./ke/probe";

export { ExAllocatePoolWithTag, ExFreePoolWithTag } from "./ex/pool";
export { KeBugCheckEx } from "./ke/bugcheck";
export { ExGetPreviousMode, ProbeUserRange } from "./ke/probe";
export { KeAddSystemServiceTable, KeGetActiveSession } from "./ke/shadow";
export { HalDisplaySetCursor, InbvAcquireDisplayOwnership, InbvCheckDisplayOwnership } from "./hal/vga";
export { PsEstablishWin32Callouts, PsSwitchActiveSession } from "./ps/psw32";
export { IoReadKeyboardEvent } from "./io/kbdqueue";

// Ours (NT's drivers touch user memory inside try/except instead): the
// guarded user copies of ke/probe.ts, for a driver's services after
// ProbeUserRange. FALSE when a page faulted (STATUS_ACCESS_VIOLATION).

/** Copies `length` bytes of (range-checked) user memory to `kernel`; FALSE when a page faulted. */
export function ExCopyFromUser(kernel: usize, user: usize, length: u32): bool { return copyFromUser(kernel, user, length); }
/** Copies `length` bytes from `kernel` to (range-checked) user memory; FALSE when a page faulted. */
export function ExCopyToUser(user: usize, kernel: usize, length: u32): bool { return copyToUser(user, kernel, length); }
/** Stores a ULONG in (range-checked) user memory; FALSE when the page faulted. */
export function ExWriteUserUlong(user: usize, value: u32): bool { return writeUserUlong(user, value); }

/** NT's PsGetCurrentProcessSessionId. */
export function PsGetCurrentProcessSessionId(): u32 { return KeGetCurrentSessionId(); }

/**
 * NT's SeSinglePrivilegeCheck(LUID PrivilegeValue, KPROCESSOR_MODE
 * PreviousMode): the LUID comes by value, as two words (well-known
 * privileges have a zero high part). TRUE when `previousMode` is KernelMode
 * or the caller's token has the privilege enabled.
 */
export function SeSinglePrivilegeCheck(luidLow: u32, luidHigh: u32, previousMode: u32): bool {
  return luidHigh == 0 && SePrivilegeCheckMode(luidLow, previousMode);
}

/**
 * Ours (DbgPrint takes a format and varargs, which our drivers cannot
 * pass): one log line `component: message` from two UTF-16 strings.
 */
export function KeLogDriverMessage(component: usize, componentChars: u32, message: usize, messageChars: u32): void {
  const name = KeAllocateScratch(20); // the caller's own: two drivers' threads may log at once
  let n: u32 = 0;
  for (; n < componentChars && n < 16; n++) {
    const c = <u32>load<u16>(component + (n << 1));
    store<u8>(name + n, c > 0x20 && c < 0x7F ? c : 0x3F);
  }
  store<u8>(name + n, 0);
  KeLogBeginAsciiz(name);
  for (let i: u32 = 0; i < messageChars && i < 200; i++) KeLogCharacter(<u32>load<u16>(message + (i << 1)));
  KeLogEnd();
  KeFreeScratch(name);
}
