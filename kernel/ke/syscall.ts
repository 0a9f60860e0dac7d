// System services: `int 0x2e` from ring 3 with eax = service number and
// edx = the caller's arguments (on its stack, after the stub's return address),
// or `sysenter` from SharedUserData's stub (mm/shared.ts), whose entry builds
// the same trap frame (edx = the arguments) and comes here too.
//
// The argument block is range-checked and copied into the thread's own buffer
// with user_copy (captured once: a second user thread cannot change it under
// the service; an unmapped page makes the copy fail, see ke/trap.ts),
// interrupts go back on, the service runs, and its NTSTATUS returns in eax.
// Numbers from 0x1000 go to the session's shadow table (ke/shadow.ts).
// An unknown number gives STATUS_INVALID_SYSTEM_SERVICE, an unreadable
// argument block STATUS_ACCESS_VIOLATION; the caller goes on either way.

import { cli, sti, sysenter_entry, user_copy, wrmsr } from "../sdk/intrinsics";
import { MM_USER_PROBE_ADDRESS } from "../sdk/ntdef";
import { KeLogBegin, KeLogEnd, KeLogHex, KeLogString, KeLogFormat1 } from "./log";
import { KGDT_R0_CODE, KiTss } from "./gdt";
import { KTRAP_FRAME } from "../sdk/context";
import { KeCurrentThread, KTHREAD, KTHREAD_SERVICE_ARGS } from "./thread";
import { KeBugCheckEx, UNEXPECTED_KERNEL_MODE_TRAP } from "./bugcheck";
import { KiCallService, KiServiceArgumentBytes, KiServiceCount } from "./sysent";
import { UserMode } from "./probe";
import { STATUS_ACCESS_VIOLATION, STATUS_INVALID_SYSTEM_SERVICE } from "../sdk/ntstatus";
import { KI_SHADOW_SERVICE_BASE, KiCallShadowService, KiShadowArgumentBytes } from "./shadow";

/** Vector of the system service gate (DPL 3). */
export const KI_SYSTEM_SERVICE_VECTOR: u32 = 0x2E;

/** The SYSENTER model-specific registers. */
const MSR_SYSENTER_CS: u32 = 0x174;
const MSR_SYSENTER_ESP: u32 = 0x175;
const MSR_SYSENTER_EIP: u32 = 0x176;

/**
 * Phase 0: the fast system call. `sysenter` loads cs from SYSENTER_CS (ss is
 * the next selector), eip from SYSENTER_EIP (the toolchain's fast entry) and
 * esp from SYSENTER_ESP: the TSS, whose Esp0 (the running thread's kernel
 * stack, set at every switch) the entry loads next, so no switch touches an
 * MSR. `sysexit` goes back to cs SYSENTER_CS + 16 and ss + 24, | 3: NT's
 * KGDT_R3_CODE and KGDT_R3_DATA.
 */
export function KiInitializeFastSystemCall(): void {
  wrmsr(MSR_SYSENTER_CS, KGDT_R0_CODE);
  wrmsr(MSR_SYSENTER_ESP, <u32>KiTss);
  wrmsr(MSR_SYSENTER_EIP, <u32>sysenter_entry());
  KeLogFormat1("ke", "fast system call: sysenter to %x, sysexit back; int 0x2e stays", <u32>sysenter_entry());
}

/** System calls made so far. */
export let KeSystemCalls: u32 = 0;

export function KiSystemService(frame: usize): void {
  const trap = changetype<KTRAP_FRAME>(frame);
  KeSystemCalls++;
  const service = trap.Eax;
  if (service >= KI_SHADOW_SERVICE_BASE) { KiShadowSystemService(trap, service); return; }
  if (service >= KiServiceCount) { trap.Eax = STATUS_INVALID_SYSTEM_SERVICE; return; }
  // The thread is the same when the service returns (a switch comes back to this stack).
  const thread = changetype<KTHREAD>(KeCurrentThread);
  const args = changetype<usize>(thread) + KTHREAD_SERVICE_ARGS;
  const bytes = KiServiceArgumentBytes(service);
  if (bytes != 0) {
    // A range check, then a copy that a page fault turns into a failure (the exception table).
    const from = trap.Edx;
    if (<usize>from > MM_USER_PROBE_ADDRESS - <usize>bytes) { trap.Eax = STATUS_ACCESS_VIOLATION; return; }
    if (user_copy(args, from, bytes) != 0) { trap.Eax = STATUS_ACCESS_VIOLATION; return; }
  }
  const mode = thread.PreviousMode;
  const scratch = thread.ScratchUsed;
  thread.PreviousMode = UserMode;
  sti();
  const status = KiCallService(service, args);
  cli();
  thread.PreviousMode = mode;
  if (thread.ScratchUsed != scratch) KiScratchLeaked(service, scratch, thread.ScratchUsed);
  trap.Eax = status;
}

/**
 * A service must leave the thread's scratch arena (KeAllocateScratch) as it
 * found it: a return path that forgot KeFreeScratch stops the system here,
 * naming the service, instead of running the arena out many calls later.
 * Bug check 0x7F (as the arena's own), parameters 10, the service number,
 * the bytes in use before and after.
 */
function KiScratchLeaked(service: u32, before: u32, after: u32): void {
  KeBugCheckEx(UNEXPECTED_KERNEL_MODE_TRAP, 10, service, before, after);
}

/** A service of the session's shadow table (win32k.sys, ke/shadow.ts): there only once the caller's session loaded it. */
function KiShadowSystemService(trap: KTRAP_FRAME, service: u32): void {
  const n = KiShadowArgumentBytes(service);
  if (n < 0) { trap.Eax = STATUS_INVALID_SYSTEM_SERVICE; return; }
  const bytes = <u32>n;
  const thread = changetype<KTHREAD>(KeCurrentThread);
  const args = changetype<usize>(thread) + KTHREAD_SERVICE_ARGS;
  if (bytes != 0) {
    const from = trap.Edx;
    if (<usize>from > MM_USER_PROBE_ADDRESS - <usize>bytes || user_copy(args, from, bytes) != 0) { trap.Eax = STATUS_ACCESS_VIOLATION; return; }
  }
  const mode = thread.PreviousMode;
  const scratch = thread.ScratchUsed;
  thread.PreviousMode = UserMode;
  sti();
  const status = KiCallShadowService(service, args, bytes);
  cli();
  thread.PreviousMode = mode;
  if (thread.ScratchUsed != scratch) KiScratchLeaked(service, scratch, thread.ScratchUsed);
  trap.Eax = status;
}
