// Dispatcher objects and waits: events, mutants, semaphores, timers, and
// threads (signalled when they end), with KeWaitForSingleObject /
// KeWaitForMultipleObjects (WaitAny, WaitAll, timeouts) and the clock.
//
// A waiting thread links one KWAIT_BLOCK per object into that object's wait
// list (plus one for its timeout timer). When an object is signalled the
// waiters are examined in order: a WaitAny waiter takes the object (an
// auto-reset event is reset, a semaphore count goes down, a mutant becomes
// owned) and wakes with STATUS_WAIT_0 + its index; a WaitAll waiter wakes
// only when all its objects are signalled, and takes them all at once.
// Waits are not alertable; there are no APCs yet.
//
// Times are NT's: 100 ns units, negative = relative, positive = absolute
// system time (KeQuerySystemTime). The clock ticks every 10 ms; a timeout
// ends at the first tick at or after its due time.
//
//   KWAIT_BLOCK (24 bytes): +0 WaitListEntry (in the object), +8 Thread,
//                           +12 Object, +16 NextWaitBlock, +20 WaitKey (u16), WaitType (u16)

import {
  DISPATCHER_HEADER, KTHREAD, KWAIT_BLOCK_SIZE, KTHREAD_WAIT_BLOCKS, KTHREAD_WAIT_OBJECT, KTHREAD_TIMER_LINKS, KTHREAD_MUTANT_LIST,
  THREAD_WAIT_OBJECTS, WAIT_LIST_OFFSET, KeCurrentThread, KiLockDispatcher, KiUnlockDispatcher, KiReadyThread,
  KiSwapThread, KiCheckPreemption, KeUpdateRunTime, Waiting, KeSetThreadExitHook, KeSetAbortWaitHook,
  EventNotificationObject, EventSynchronizationObject, MutantObject, SemaphoreObject, ThreadObject,
  TimerNotificationObject, TimerSynchronizationObject, ProcessObject,
} from "./thread";
import { InitializeListHead, InsertTailList, IsListEmpty, RemoveEntryList } from "../sdk/list";
import { HalQueryTickCount } from "../hal/pit";
import { KeBugCheckEx, MAXIMUM_WAIT_OBJECTS_EXCEEDED } from "./bugcheck";
import {
  STATUS_ABANDONED_WAIT_0, STATUS_INVALID_PARAMETER, STATUS_KERNEL_APC,
  STATUS_MUTANT_NOT_OWNED, STATUS_SEMAPHORE_LIMIT_EXCEEDED, STATUS_SUCCESS, STATUS_TIMEOUT,
  STATUS_WAIT_0,
} from "../sdk/ntstatus";


export const WaitAll: u32 = 0;
export const WaitAny: u32 = 1;
/** Most objects one wait may name. */
export const MAXIMUM_WAIT_OBJECTS: u32 = 64;

/** 100 ns units per clock tick (10 ms). */
const TICK_100NS: u64 = 100000;

// ---- object layouts past the header ----
//   KEVENT      16 bytes: header only (Type says notification or synchronization)
//   KSEMAPHORE  20 bytes: header, +16 Limit
//   KMUTANT     32 bytes: header, +16 MutantListEntry (in the owner), +24 OwnerThread, +28 Abandoned
//   KTIMER      40 bytes: header, +16 DueTick, +20 TimerListEntry, +28 Period (ms), +32 Armed
export const KEVENT_SIZE: u32 = 16;
export const KSEMAPHORE_SIZE: u32 = 20;
export const KMUTANT_SIZE: u32 = 32;
export const KTIMER_SIZE: u32 = 40;

@unmanaged class KMUTANT { Type: u32; SignalState: i32; WaitListFlink: usize; WaitListBlink: usize; MutantListFlink: usize; MutantListBlink: usize; OwnerThread: usize; Abandoned: u32; }
@unmanaged class KSEMAPHORE { Type: u32; SignalState: i32; WaitListFlink: usize; WaitListBlink: usize; Limit: i32; }
@unmanaged class KTIMER { Type: u32; SignalState: i32; WaitListFlink: usize; WaitListBlink: usize; DueTick: u32; TimerListFlink: usize; TimerListBlink: usize; Period: u32; Armed: u32; }
@unmanaged export class KWAIT_BLOCK { WaitListFlink: usize; WaitListBlink: usize; Thread: usize; Object: usize; NextWaitBlock: usize; WaitKey: u16; WaitType: u16; }

/** Armed timer objects (their +20 links). */
const KiTimerListHead: usize = memory.data(8, 4);
/** Threads waiting with a timeout (their KTHREAD_TIMER_LINKS). */
const KiTimeoutListHead: usize = memory.data(8, 4);
let KiTimersReady = false;
/** Tick count at boot: the system time base. Set from the RTC later; 0 = 1601-01-01. */
export let KeBootTime: u64 = 0;

function KiInitTimers(): void {
  if (KiTimersReady) return;
  InitializeListHead(KiTimerListHead);
  InitializeListHead(KiTimeoutListHead);
  KeSetThreadExitHook(KiThreadExiting);
  KeSetAbortWaitHook(KiAbortWait);
  KiTimersReady = true;
}

// ---- initialising objects ----

export function KeInitializeEvent(event: usize, notification: bool, signalled: bool): void {
  const h = changetype<DISPATCHER_HEADER>(event);
  h.Type = notification ? EventNotificationObject : EventSynchronizationObject;
  h.SignalState = signalled ? 1 : 0;
  InitializeListHead(event + WAIT_LIST_OFFSET);
}

export function KeInitializeSemaphore(semaphore: usize, count: i32, limit: i32): void {
  const s = changetype<KSEMAPHORE>(semaphore);
  s.Type = SemaphoreObject;
  s.SignalState = count;
  s.Limit = limit;
  InitializeListHead(semaphore + WAIT_LIST_OFFSET);
}

export function KeInitializeMutant(mutant: usize, initialOwner: bool): void {
  KiInitTimers();
  const m = changetype<KMUTANT>(mutant);
  m.Type = MutantObject;
  InitializeListHead(mutant + WAIT_LIST_OFFSET);
  InitializeListHead(mutant + 16);
  m.Abandoned = 0;
  if (initialOwner) {
    m.SignalState = 0;
    m.OwnerThread = KeCurrentThread;
    InsertTailList(KeCurrentThread + KTHREAD_MUTANT_LIST, mutant + 16);
  } else {
    m.SignalState = 1;
    m.OwnerThread = 0;
  }
}

export function KeInitializeTimer(timer: usize, notification: bool): void {
  KiInitTimers();
  const t = changetype<KTIMER>(timer);
  t.Type = notification ? TimerNotificationObject : TimerSynchronizationObject;
  t.SignalState = 0;
  t.Armed = 0;
  InitializeListHead(timer + WAIT_LIST_OFFSET);
  InitializeListHead(timer + 20);
}

/** Process objects (Ps) start with a header too: not signalled until the process ends. */
export function KeInitializeDispatcherHeader(object: usize, type: u32): void {
  const h = changetype<DISPATCHER_HEADER>(object);
  h.Type = type;
  h.SignalState = 0;
  InitializeListHead(object + WAIT_LIST_OFFSET);
}

// ---- signal state ----

/** Is `object` signalled for `thread`? (A mutant its owner holds counts as signalled: it may recurse.) */
function KiIsSignalled(object: usize, thread: usize): bool {
  const h = changetype<DISPATCHER_HEADER>(object);
  if (h.Type == MutantObject) return h.SignalState > 0 || changetype<KMUTANT>(object).OwnerThread == thread;
  return h.SignalState > 0;
}

/** `thread` takes the signalled `object`; returns STATUS_ABANDONED_WAIT_0 for an abandoned mutant, else 0. */
function KiSatisfy(object: usize, thread: usize): u32 {
  const h = changetype<DISPATCHER_HEADER>(object);
  switch (h.Type) {
    case EventSynchronizationObject: case TimerSynchronizationObject: h.SignalState = 0; break;
    case SemaphoreObject: h.SignalState--; break;
    case MutantObject: {
      const m = changetype<KMUTANT>(object);
      h.SignalState--;
      if (m.OwnerThread != thread) {
        m.OwnerThread = thread;
        InsertTailList(thread + KTHREAD_MUTANT_LIST, object + 16);
      }
      if (m.Abandoned != 0) { m.Abandoned = 0; return STATUS_ABANDONED_WAIT_0; }
      break;
    }
  }
  return 0;
}

/** Ends `thread`'s wait with `status`: unlink its wait blocks and timer, make it ready. */
/** Takes `thread` out of its wait: wait blocks off the objects, timeout off the list. */
function KiAbortWait(thread: usize): void {
  const t = changetype<KTHREAD>(thread);
  let wb = t.WaitBlockList;
  for (let i: u32 = 0; i < t.WaitCount && wb != 0; i++) {
    RemoveEntryList(wb);
    wb = changetype<KWAIT_BLOCK>(wb).NextWaitBlock;
  }
  t.WaitCount = 0;
  if (t.TimerArmed != 0) { RemoveEntryList(thread + KTHREAD_TIMER_LINKS); t.TimerArmed = 0; }
}

function KiUnwaitThread(thread: usize, status: u32): void {
  const t = changetype<KTHREAD>(thread);
  KiAbortWait(thread);
  t.WaitStatus = status;
  KiReadyThread(thread);
}

/** Wakes what `object` now satisfies (called after its signal state went up). */
function KiWaitTest(object: usize): void {
  const head = object + WAIT_LIST_OFFSET;
  let entry = load<usize>(head);
  while (entry != head) {
    const wb = changetype<KWAIT_BLOCK>(entry);
    const next = wb.WaitListFlink;
    const thread = wb.Thread;
    if (!KiIsSignalled(object, thread)) return;
    if (wb.WaitType == <u16>WaitAny) {
      const extra = KiSatisfy(object, thread);
      KiUnwaitThread(thread, (extra != 0 ? STATUS_ABANDONED_WAIT_0 : STATUS_WAIT_0) + wb.WaitKey);
    } else {
      // WaitAll: only when every object of the wait is signalled.
      const t = changetype<KTHREAD>(thread);
      let all = true;
      let b = t.WaitBlockList;
      for (let i: u32 = 0; i < t.WaitCount; i++) {
        if (!KiIsSignalled(changetype<KWAIT_BLOCK>(b).Object, thread)) { all = false; break; }
        b = changetype<KWAIT_BLOCK>(b).NextWaitBlock;
      }
      if (all) {
        let abandoned: u32 = 0;
        b = t.WaitBlockList;
        for (let i: u32 = 0; i < t.WaitCount; i++) {
          abandoned |= KiSatisfy(changetype<KWAIT_BLOCK>(b).Object, thread);
          b = changetype<KWAIT_BLOCK>(b).NextWaitBlock;
        }
        KiUnwaitThread(thread, abandoned != 0 ? STATUS_ABANDONED_WAIT_0 : STATUS_WAIT_0);
      }
    }
    entry = next;
    // The list may have changed under us (a woken WaitAll thread unlinked other blocks): restart if so.
    if (entry != head && load<usize>(load<usize>(entry, 4)) != entry) entry = load<usize>(head);
  }
}

/** Sets `object`'s signal state and wakes waiters; returns the previous state. */
function KiSignal(object: usize, state: i32): i32 {
  const h = changetype<DISPATCHER_HEADER>(object);
  const previous = h.SignalState;
  h.SignalState = state;
  if (state > 0 && !IsListEmpty(object + WAIT_LIST_OFFSET)) KiWaitTest(object);
  return previous;
}

// ---- events ----

export function KeSetEvent(event: usize): i32 {
  const f = KiLockDispatcher();
  const previous = KiSignal(event, 1);
  KiUnlockDispatcher(f);
  KiCheckPreemption();
  return previous;
}

export function KeResetEvent(event: usize): i32 {
  const f = KiLockDispatcher();
  const h = changetype<DISPATCHER_HEADER>(event);
  const previous = h.SignalState;
  h.SignalState = 0;
  KiUnlockDispatcher(f);
  return previous;
}

/** Wakes what can be woken, then leaves the event reset (NT's PulseEvent). */
export function KePulseEvent(event: usize): i32 {
  const f = KiLockDispatcher();
  const previous = KiSignal(event, 1);
  changetype<DISPATCHER_HEADER>(event).SignalState = 0;
  KiUnlockDispatcher(f);
  KiCheckPreemption();
  return previous;
}

export function KeReadStateObject(object: usize): i32 { return changetype<DISPATCHER_HEADER>(object).SignalState; }

// ---- semaphores ----

/** Adds `adjustment` to the count; STATUS_SEMAPHORE_LIMIT_EXCEEDED past the limit. Previous count in *previous. */
export function KeReleaseSemaphore(semaphore: usize, adjustment: i32, previous: usize): u32 {
  const s = changetype<KSEMAPHORE>(semaphore);
  if (adjustment <= 0) return STATUS_INVALID_PARAMETER;
  const f = KiLockDispatcher();
  const old = s.SignalState;
  if (old + adjustment > s.Limit || old + adjustment < old) { KiUnlockDispatcher(f); return STATUS_SEMAPHORE_LIMIT_EXCEEDED; }
  KiSignal(semaphore, old + adjustment);
  KiUnlockDispatcher(f);
  if (previous != 0) store<i32>(previous, old);
  KiCheckPreemption();
  return STATUS_SUCCESS;
}

// ---- mutants ----

/** Releases one level of ownership; STATUS_MUTANT_NOT_OWNED for a thread that does not own it. */
export function KeReleaseMutant(mutant: usize, previous: usize): u32 {
  const m = changetype<KMUTANT>(mutant);
  const f = KiLockDispatcher();
  if (m.OwnerThread != KeCurrentThread) { KiUnlockDispatcher(f); return STATUS_MUTANT_NOT_OWNED; }
  const old = m.SignalState;
  if (old == 0) {
    // Free now: no owner.
    RemoveEntryList(mutant + 16);
    m.OwnerThread = 0;
    KiSignal(mutant, 1);
  } else m.SignalState = old + 1;
  KiUnlockDispatcher(f);
  if (previous != 0) store<i32>(previous, old);
  KiCheckPreemption();
  return STATUS_SUCCESS;
}

/** A thread is ending: its mutants are abandoned (the next owner learns it), its waiters wake. */
function KiThreadExiting(thread: usize): void {
  const head = thread + KTHREAD_MUTANT_LIST;
  while (!IsListEmpty(head)) {
    const entry = load<usize>(head);
    const mutant = entry - 16;
    const m = changetype<KMUTANT>(mutant);
    RemoveEntryList(entry);
    m.OwnerThread = 0;
    m.Abandoned = 1;
    KiSignal(mutant, 1);
  }
  KiSignal(thread, 1);
}

/** Ps signals a process object when its last thread is gone. */
export function KeSignalObject(object: usize): void {
  const f = KiLockDispatcher();
  KiSignal(object, 1);
  KiUnlockDispatcher(f);
}

// ---- time ----

/** Clock ticks since boot. */
@inline export function KeQueryTickCount(): u32 { return HalQueryTickCount(); }
/** 100 ns units since 1601-01-01 (the boot time plus uptime). */
export function KeQuerySystemTime(): u64 { return KeBootTime + <u64>KeQueryTickCount() * TICK_100NS; }
export function KeSetBootTime(systemTime: u64): void { KeBootTime = systemTime - <u64>KeQueryTickCount() * TICK_100NS; }

/** The tick at which a timeout (100 ns units: < 0 relative, >= 0 absolute) ends. */
function KiDueTick(timeout: i64): u32 {
  const now = KeQueryTickCount();
  if (timeout < 0) {
    const ticks = (<u64>(-timeout) + TICK_100NS - 1) / TICK_100NS;
    return now + <u32>(ticks > 0x7FFFFFFF ? 0x7FFFFFFF : ticks);
  }
  const t = <u64>timeout;
  const sys = KeQuerySystemTime();
  if (t <= sys) return now;
  const ticks = (t - sys + TICK_100NS - 1) / TICK_100NS;
  return now + <u32>(ticks > 0x7FFFFFFF ? 0x7FFFFFFF : ticks);
}

/** Arms a timer object: due after `dueTime` (NT units), then every `periodMs` if non-zero. Returns whether it was armed before. */
export function KeSetTimer(timer: usize, dueTime: i64, periodMs: u32): bool {
  const t = changetype<KTIMER>(timer);
  const f = KiLockDispatcher();
  const was = t.Armed != 0;
  if (was) RemoveEntryList(timer + 20);
  t.SignalState = 0;
  t.DueTick = KiDueTick(dueTime);
  t.Period = periodMs;
  t.Armed = 1;
  InsertTailList(KiTimerListHead, timer + 20);
  KiUnlockDispatcher(f);
  return was;
}

export function KeCancelTimer(timer: usize): bool {
  const t = changetype<KTIMER>(timer);
  const f = KiLockDispatcher();
  const was = t.Armed != 0;
  if (was) { RemoveEntryList(timer + 20); t.Armed = 0; }
  KiUnlockDispatcher(f);
  return was;
}

/** Signals the timers and ends the timed-out waits that are due. */
function KiExpireTimers(): void {
  const now = KeQueryTickCount();
  let entry = load<usize>(KiTimeoutListHead);
  while (entry != KiTimeoutListHead) {
    const next = load<usize>(entry);
    const thread = entry - KTHREAD_TIMER_LINKS;
    if (<i32>(now - changetype<KTHREAD>(thread).TimerDueTick) >= 0) KiUnwaitThread(thread, STATUS_TIMEOUT);
    entry = next;
  }
  entry = load<usize>(KiTimerListHead);
  while (entry != KiTimerListHead) {
    const next = load<usize>(entry);
    const timer = entry - 20;
    const t = changetype<KTIMER>(timer);
    if (<i32>(now - t.DueTick) >= 0) {
      RemoveEntryList(entry);
      t.Armed = 0;
      if (t.Period != 0) {
        t.DueTick = now + (t.Period + 9) / 10;
        t.Armed = 1;
        InsertTailList(KiTimerListHead, entry);
      }
      KiSignal(timer, 1);
    }
    entry = next;
  }
}

/** The clock interrupt's kernel work (HAL calls it every tick, interrupts off). */
export function KeClockInterrupt(): void {
  if (!KiTimersReady) return;
  KiExpireTimers();
  KeUpdateRunTime();
}

// ---- waiting ----

/**
 * Waits for `count` objects (addresses in the array at `objects`). `timeout`:
 * 0 = no timeout (wait forever), else a pointer to an i64 in NT units.
 * Returns STATUS_WAIT_0 + i (WaitAny), STATUS_WAIT_0 (WaitAll),
 * STATUS_ABANDONED_WAIT_0 (+ i), or STATUS_TIMEOUT.
 */
/**
 * Waits for `count` dispatcher objects (WaitAny / WaitAll), `timeout` a
 * pointer to a relative (negative) or absolute due time, 0 for none.
 * `abortable`: a request to end the thread (KeRequestTermination) ends this
 * wait with STATUS_KERNEL_APC, and a wait begun after such a request does not
 * block. Only the waits a thread makes on its caller's behalf, holding no
 * lock and able to give up (NtWaitFor*, NtDelayExecution, LPC, console and
 * serial reads), pass true: as NT delivers its termination APC only outside
 * critical regions, a wait for a lock, a device or a page is never ended
 * early, so a thread being ended can never be let into what the lock guards;
 * it ends at its next return to user mode.
 * `waitBlockArray`: as NT's, `count` KWAIT_BLOCK_SIZE blocks the caller
 * owns for the length of the wait, needed when `count` is more than the
 * THREAD_WAIT_OBJECTS blocks the thread carries (0 otherwise): the kernel
 * allocates nothing here.
 */
export function KeWaitForMultipleObjects(count: u32, objects: usize, waitType: u32, timeout: usize, abortable: bool, waitBlockArray: usize): u32 {
  if (count == 0 || count > MAXIMUM_WAIT_OBJECTS) return STATUS_INVALID_PARAMETER;
  if (count > THREAD_WAIT_OBJECTS && waitBlockArray == 0) KeBugCheckEx(MAXIMUM_WAIT_OBJECTS_EXCEEDED, count, 0, 0, 0);
  KiInitTimers();
  const thread = KeCurrentThread;
  const t = changetype<KTHREAD>(thread);
  const blocks = count > THREAD_WAIT_OBJECTS ? waitBlockArray : thread + KTHREAD_WAIT_BLOCKS;
  const f = KiLockDispatcher();
  let status: u32 = 0;
  // Already satisfied?
  if (waitType == WaitAny) {
    for (let i: u32 = 0; i < count; i++) {
      const o = load<usize>(objects + (i << 2));
      if (KiIsSignalled(o, thread)) {
        status = (KiSatisfy(o, thread) != 0 ? STATUS_ABANDONED_WAIT_0 : STATUS_WAIT_0) + i;
        return KiWaitDone(f, status);
      }
    }
  } else {
    let all = true;
    for (let i: u32 = 0; i < count; i++) if (!KiIsSignalled(load<usize>(objects + (i << 2)), thread)) { all = false; break; }
    if (all) {
      let abandoned: u32 = 0;
      for (let i: u32 = 0; i < count; i++) abandoned |= KiSatisfy(load<usize>(objects + (i << 2)), thread);
      return KiWaitDone(f, abandoned != 0 ? STATUS_ABANDONED_WAIT_0 : STATUS_WAIT_0);
    }
  }
  if (timeout != 0 && load<i64>(timeout) == 0) return KiWaitDone(f, STATUS_TIMEOUT);
  if (abortable && t.TerminatePending != 0) return KiWaitDone(f, STATUS_KERNEL_APC);
  // Block: one wait block per object, then the timeout.
  for (let i: u32 = 0; i < count; i++) {
    const wb = blocks + i * KWAIT_BLOCK_SIZE;
    const b = changetype<KWAIT_BLOCK>(wb);
    b.Thread = thread;
    b.Object = load<usize>(objects + (i << 2));
    b.NextWaitBlock = i + 1 < count ? wb + KWAIT_BLOCK_SIZE : 0;
    b.WaitKey = <u16>i;
    b.WaitType = <u16>waitType;
    InsertTailList(b.Object + WAIT_LIST_OFFSET, wb);
  }
  t.WaitBlockList = blocks;
  t.WaitCount = count;
  t.WaitType = waitType;
  t.WaitStatus = STATUS_TIMEOUT;
  if (timeout != 0) {
    t.TimerDueTick = KiDueTick(load<i64>(timeout));
    t.TimerArmed = 1;
    InsertTailList(KiTimeoutListHead, thread + KTHREAD_TIMER_LINKS);
  }
  t.WaitAbortable = abortable ? 1 : 0;
  t.State = Waiting;
  KiSwapThread();
  t.WaitAbortable = 0;
  return KiWaitDone(f, t.WaitStatus);
}

function KiWaitDone(f: u32, status: u32): u32 {
  KiUnlockDispatcher(f);
  return status;
}

/** KeWaitForMultipleObjects for one object (`abortable` as there). */
export function KeWaitForSingleObject(object: usize, timeout: usize, abortable: bool = false): u32 {
  // The one-entry array is the thread's own: a module-level cell was
  // overwritten by whichever thread preempted this one before the wait read
  // it, and this thread then waited on that thread's object for ever.
  const one = KeCurrentThread + KTHREAD_WAIT_OBJECT;
  store<usize>(one, object);
  return KeWaitForMultipleObjects(1, one, WaitAny, timeout, abortable, 0);
}

/**
 * Sleeps for `interval` (NT units, < 0 relative). Returns STATUS_SUCCESS, or
 * STATUS_KERNEL_APC when `abortable` and the thread is asked to end (see
 * KeWaitForMultipleObjects).
 */
export function KeDelayExecution(interval: i64, abortable: bool = false): u32 {
  KiInitTimers();
  const thread = KeCurrentThread;
  const t = changetype<KTHREAD>(thread);
  const f = KiLockDispatcher();
  if (abortable && t.TerminatePending != 0) { KiUnlockDispatcher(f); return STATUS_KERNEL_APC; }
  t.WaitBlockList = 0;
  t.WaitCount = 0;
  t.TimerDueTick = KiDueTick(interval);
  t.TimerArmed = 1;
  InsertTailList(KiTimeoutListHead, thread + KTHREAD_TIMER_LINKS);
  t.WaitStatus = STATUS_SUCCESS;
  t.WaitAbortable = abortable ? 1 : 0;
  t.State = Waiting;
  KiSwapThread();
  t.WaitAbortable = 0;
  KiUnlockDispatcher(f);
  return t.WaitStatus == STATUS_KERNEL_APC ? STATUS_KERNEL_APC : STATUS_SUCCESS;
}
