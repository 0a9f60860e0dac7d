// Previous mode and probes: how a service knows whether its pointers came
// from user mode, and checks them when they did.
//
// KiSystemService sets the thread's PreviousMode to UserMode for the length
// of a service; everything the kernel calls on its own behalf runs with
// KernelMode and skips the probes (NT's ExGetPreviousMode). A probe checks
// alignment, that the range lies below MM_USER_PROBE_ADDRESS and that every
// page is mapped for user access (and writable, for ProbeForWrite). Services
// copy what they read twice (capture) before using it.

import { KeAllocateScratch, KeCurrentThread, KeFreeScratch, KTHREAD } from "./thread";
import { user_copy, user_store32 } from "../sdk/intrinsics";
import { MM_USER_PROBE_ADDRESS } from "../sdk/ntdef";

/**
 * Whether [address, address + length) is user memory the current process
 * may read (or write): Mm's page-table walk (MmIsUserRangeAccessible), which
 * Mm, above Ke, hands in when it builds the address spaces. No user memory
 * exists before that.
 */
export type KE_USER_RANGE_ROUTINE = (address: usize, length: u32, write: bool) => bool;
function KiNoUserRange(address: usize, length: u32, write: bool): bool { return false; }
let KiUserRangeRoutine: KE_USER_RANGE_ROUTINE = KiNoUserRange;
export function KeSetUserRangeRoutine(routine: KE_USER_RANGE_ROUTINE): void { KiUserRangeRoutine = routine; }
/** Mm's answer for a user range (see KeSetUserRangeRoutine). */
export function KeIsUserRangeAccessible(address: usize, length: u32, write: bool): bool { return KiUserRangeRoutine(address, length, write); }

export const KernelMode: u32 = 0;
export const UserMode: u32 = 1;

/** The mode the current service was called from. */
@inline export function ExGetPreviousMode(): u32 {
  return KeCurrentThread != 0 ? changetype<KTHREAD>(KeCurrentThread).PreviousMode : KernelMode;
}

/** Sets the previous mode; returns the old one (KiSystemService restores it). */
@inline export function KiSetPreviousMode(mode: u32): u32 {
  const t = changetype<KTHREAD>(KeCurrentThread);
  const old = t.PreviousMode;
  t.PreviousMode = mode;
  return old;
}

/**
 * What NT's Zw* entry does for a kernel caller: the services called until
 * KeLeaveKernelCall take their pointers as kernel memory (PreviousMode
 * KernelMode, no probes). Returns the mode to give back.
 */
export function KeEnterKernelCall(): u32 { return KiSetPreviousMode(KernelMode); }

/** Ends a KeEnterKernelCall: the thread's previous mode as it was. */
export function KeLeaveKernelCall(mode: u32): void { KiSetPreviousMode(mode); }

/** True when [address, address + length) may be read: always in kernel mode, probed in user mode. */
export function ProbeForRead(address: usize, length: u32, alignment: u32): bool {
  if (ExGetPreviousMode() == KernelMode || length == 0) return true;
  if ((address & (alignment - 1)) != 0) return false;
  return KiUserRangeRoutine(address, length, false);
}

/** True when [address, address + length) may be written: always in kernel mode, probed in user mode. */
export function ProbeForWrite(address: usize, length: u32, alignment: u32): bool {
  if (ExGetPreviousMode() == KernelMode || length == 0) return true;
  if ((address & (alignment - 1)) != 0) return false;
  return KiUserRangeRoutine(address, length, true);
}

// ---- NT's probes: a range check, then accesses that cannot bug-check ----
//
// ProbeUserRange is NT's ProbeForRead/ProbeForWrite: alignment and the range
// below MM_USER_PROBE_ADDRESS, no page walk. What makes that enough is the
// access that follows: ExCopyFromUser, ExCopyToUser and ExWriteUserUlong run
// the toolchain's user-copy routines, which the page-fault handler finds in
// its exception table (ke/trap.ts): a page unmapped, decommitted or read-only
// under them, even by another thread after the probe, makes them return
// false and the service answer STATUS_ACCESS_VIOLATION. Services not yet
// moved to them keep ProbeForRead/ProbeForWrite above, which also walk the
// page tables.

/** True when [address, address + length) is aligned and below MM_USER_PROBE_ADDRESS (always in kernel mode). */
export function ProbeUserRange(address: usize, length: u32, alignment: u32): bool {
  if (ExGetPreviousMode() == KernelMode || length == 0) return true;
  if ((address & (alignment - 1)) != 0) return false;
  const end = address + length;
  return end >= address && end <= MM_USER_PROBE_ADDRESS;
}

/**
 * NT's ProbeForWrite for an out-pointer whose service changes something it
 * cannot take back (a token's privileges): the range check, then every page
 * touched, a byte read and written back through the user-copy routines, so a
 * buffer unmapped or read-only at the call fails before the change. A page
 * taken away after this still gives a status at the final write.
 */
export function ProbeUserWrite(address: usize, length: u32, alignment: u32): bool {
  if (!ProbeUserRange(address, length, alignment)) return false;
  if (ExGetPreviousMode() == KernelMode || length == 0) return true;
  const cell = KeAllocateScratch(4);
  let ok = true;
  for (let page = address & ~(<usize>0xFFF); ok && page < address + length; page += 0x1000) {
    const at = page < address ? address : page;
    ok = user_copy(cell, at, 1) == 0 && user_copy(at, cell, 1) == 0;
  }
  KeFreeScratch(cell);
  return ok;
}

/** Copies `length` bytes of (probed) user memory to `kernel`; false when a page faulted. */
@inline export function ExCopyFromUser(kernel: usize, user: usize, length: u32): bool {
  return user_copy(kernel, user, length) == 0;
}

/** Copies `length` bytes from `kernel` to (probed) user memory; false when a page faulted. */
@inline export function ExCopyToUser(user: usize, kernel: usize, length: u32): bool {
  return user_copy(user, kernel, length) == 0;
}

/** Stores a u32 in (probed) user memory; false when the page faulted. */
@inline export function ExWriteUserUlong(user: usize, value: u32): bool {
  return user_store32(user, value) == 0;
}
