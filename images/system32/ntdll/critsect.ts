// Critical sections: RtlInitializeCriticalSection(AndSpinCount),
// RtlEnterCriticalSection, RtlTryEnterCriticalSection,
// RtlLeaveCriticalSection, RtlDeleteCriticalSection, over NT's x86
// RTL_CRITICAL_SECTION (kernel/sdk/ntdef.ts), with NT's protocol:
//
//   LockCount  -1 when free. Enter adds one atomically (lock xadd): the
//              thread that moves it from -1 to 0 owns the section without a
//              system call; a recursive Enter by the owner adds one too.
//              Every other thread that added one waits on LockSemaphore.
//   Leave      takes one from RecursionCount; at zero it clears OwningThread
//              and takes one from LockCount: a result >= 0 means a thread is
//              waiting (or about to), and it is woken: it owns the section
//              when it returns from the wait (ownership is handed over).
//   LockSemaphore  an auto-reset (synchronization) event made on the first
//              contention by whichever side needs it first, installed with a
//              compare-exchange (the loser closes its own). At most one
//              NtSetEvent is outstanding at a time (a new owner exists only
//              after a wait consumed it), so an event serves as NT's does.
//
// The uncontended Enter and Leave are one locked instruction each and no
// system call. SpinCount is kept at 0: on one processor spinning only
// delays the owner (NT does the same). DebugInfo stays NULL (no lock list).

import { NtClose, NtCreateEvent, NtCurrentTeb, NtSetEvent, NtWaitForSingleObject, NtYieldExecution } from "./nt";
import { RTL_CRITICAL_SECTION } from "../../../kernel/sdk/ntdef";
import { TEB, TEB_SPARE_BYTES1 } from "../../../kernel/sdk/peb";

const LOCK_COUNT: usize = offsetof<RTL_CRITICAL_SECTION>("LockCount");
const LOCK_SEMAPHORE: usize = offsetof<RTL_CRITICAL_SECTION>("LockSemaphore");
const TEB_THREAD_ID: usize = offsetof<TEB>("ClientId_UniqueThread");
const EVENT_ALL_ACCESS: u32 = 0x1F0003;
const SYNCHRONIZATION_EVENT: u32 = 1;

@inline function currentThreadId(): u32 { return load<u32>(NtCurrentTeb() + TEB_THREAD_ID); }

export function RtlInitializeCriticalSection(section: usize): u32 {
  return RtlInitializeCriticalSectionAndSpinCount(section, 0);
}

export function RtlInitializeCriticalSectionAndSpinCount(section: usize, spinCount: u32): u32 {
  const cs = changetype<RTL_CRITICAL_SECTION>(section);
  cs.DebugInfo = 0;
  cs.LockCount = -1;
  cs.RecursionCount = 0;
  cs.OwningThread = 0;
  cs.LockSemaphore = 0;
  cs.SpinCount = 0; // one processor: no spinning (spinCount is accepted and ignored)
  return 0;
}

/** Closes the section's event, if contention ever made one. */
export function RtlDeleteCriticalSection(section: usize): u32 {
  const cs = changetype<RTL_CRITICAL_SECTION>(section);
  const event = atomic.xchg<u32>(section + LOCK_SEMAPHORE, 0);
  if (event != 0) NtClose(event);
  cs.LockCount = -1;
  cs.RecursionCount = 0;
  cs.OwningThread = 0;
  return 0;
}

export function RtlEnterCriticalSection(section: usize): u32 {
  const cs = changetype<RTL_CRITICAL_SECTION>(section);
  const me = currentThreadId();
  if (atomic.add<i32>(section + LOCK_COUNT, 1) != -1) {
    if (cs.OwningThread == me) { cs.RecursionCount++; return 0; }
    // Held by another thread: wait until a Leave hands the section over.
    NtWaitForSingleObject(RtlpCriticalSectionEvent(section), 0, 0);
  }
  cs.OwningThread = me;
  cs.RecursionCount = 1;
  return 0;
}

/** TRUE when the section was free (or already the caller's) and is now held; never waits. */
export function RtlTryEnterCriticalSection(section: usize): bool {
  const cs = changetype<RTL_CRITICAL_SECTION>(section);
  const me = currentThreadId();
  if (atomic.cmpxchg<i32>(section + LOCK_COUNT, -1, 0) == -1) {
    cs.OwningThread = me;
    cs.RecursionCount = 1;
    return true;
  }
  if (cs.OwningThread == me) {
    atomic.add<i32>(section + LOCK_COUNT, 1);
    cs.RecursionCount++;
    return true;
  }
  return false;
}

export function RtlLeaveCriticalSection(section: usize): u32 {
  const cs = changetype<RTL_CRITICAL_SECTION>(section);
  if (--cs.RecursionCount != 0) {
    atomic.sub<i32>(section + LOCK_COUNT, 1);
    return 0;
  }
  cs.OwningThread = 0;
  // The old value > 0: after this Leave the count is still >= 0, so some thread waits.
  if (atomic.sub<i32>(section + LOCK_COUNT, 1) > 0) NtSetEvent(RtlpCriticalSectionEvent(section), 0);
  return 0;
}

/**
 * The section's event, made on first need. The handle comes back in the
 * thread's own TEB cell; a thread that loses the race to install its event
 * closes it. If no event can be made (out of handles or pool), the thread
 * yields and tries again: a waiter cannot go on without one.
 */
function RtlpCriticalSectionEvent(section: usize): u32 {
  let event = atomic.load<u32>(section + LOCK_SEMAPHORE);
  while (event == 0) {
    const cell = NtCurrentTeb() + TEB_SPARE_BYTES1;
    if (NtCreateEvent(cell, EVENT_ALL_ACCESS, 0, SYNCHRONIZATION_EVENT, 0) != 0) { NtYieldExecution(); event = atomic.load<u32>(section + LOCK_SEMAPHORE); continue; }
    const mine = load<u32>(cell);
    event = atomic.cmpxchg<u32>(section + LOCK_SEMAPHORE, 0, mine);
    if (event != 0) NtClose(mine);
    else event = mine;
  }
  return event;
}
