// The address-space lock (NT's per-process AddressCreationLock; here one for
// every process, as the system is small): held while a region list and the
// page tables under it are changed or read as a whole -- the virtual memory
// services, a view's mapping and unmapping, and the copy of a parent's
// address space into a new process. Without it, a thread releasing a region
// while another thread of the same process copied it into a child (or
// released it too) freed its record and its pages under the other's feet:
// the copy took references on pages already freed, and each was later freed
// twice (STOP 0x1A, 0x41287, found by the services fuzzer).
//
// A waitable lock (a synchronization event): its holders may wait for free
// pages, which the modified page writer makes without taking it. Recursive
// for its owner, so that a fault inside a holder (a user copy that grows the
// stack) cannot deadlock on it. Page faults themselves do not take it.

import { KeCurrentThread } from "../ke/thread";
import { KEVENT_SIZE, KeInitializeEvent, KeSetEvent, KeWaitForSingleObject } from "../ke/wait";

const MiAddressSpaceEvent: usize = memory.data(<i32>KEVENT_SIZE, 4); // the lock object itself: one for the system
let MiAddressSpaceOwner: usize = 0;
let MiAddressSpaceDepth: u32 = 0;

/** Phase 0 (Mm's initialisation): the lock starts free. */
export function MmInitializeAddressSpaceLock(): void {
  KeInitializeEvent(MiAddressSpaceEvent, false, true);
}

export function MmLockAddressSpace(): void {
  const thread = KeCurrentThread;
  if (thread != 0 && MiAddressSpaceOwner == thread) { MiAddressSpaceDepth++; return; }
  KeWaitForSingleObject(MiAddressSpaceEvent, 0);
  MiAddressSpaceOwner = thread;
  MiAddressSpaceDepth = 1;
}

export function MmUnlockAddressSpace(): void {
  if (--MiAddressSpaceDepth != 0) return;
  MiAddressSpaceOwner = 0;
  KeSetEvent(MiAddressSpaceEvent);
}
