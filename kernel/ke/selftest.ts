// Boot-time self-test of threads, the scheduler and the dispatcher objects,
// run on the phase 1 thread when the command line has `selftest`. Each check
// is real: it fails with a log line naming it. Kernel threads only (ring 3
// comes with processes).

import { pause } from "../sdk/intrinsics";
import { KeLogBegin, KeLogDecimal, KeLogEnd, KeLogHex, KeLogString, KeLogFormat2 } from "./log";
import {
  KTHREAD, KeCreateThread, KeReadyThread, KeCurrentThread, KeContextSwitches, KeDereferenceThread, KeTerminateThread,
  KeAllocateScratch, KeFreeScratch, KeScratchInUse, KeRequestTermination,
} from "./thread";
import {
  KEVENT_SIZE, KMUTANT_SIZE, KSEMAPHORE_SIZE, KTIMER_SIZE, WaitAll, WaitAny, KeDelayExecution, KeInitializeEvent, KeInitializeMutant, KeInitializeSemaphore, KeInitializeTimer, KeQueryTickCount, KeReleaseMutant, KeReleaseSemaphore, KeResetEvent, KeSetEvent, KeSetTimer, KeWaitForMultipleObjects, KeWaitForSingleObject, KePulseEvent,
} from "./wait";
import {
  STATUS_ABANDONED_WAIT_0, STATUS_KERNEL_APC, STATUS_MUTANT_NOT_OWNED, STATUS_SEMAPHORE_LIMIT_EXCEEDED,
  STATUS_TIMEOUT,
} from "../sdk/ntstatus";

let checks: u32 = 0;
let failed = false;

function check(ok: bool, what: string, value: u32 = 0): void {
  if (failed) return;
  checks++;
  if (ok) return;
  failed = true;
  KeLogFormat2("ke", "self-test FAILED: %s (%x)", changetype<usize>(what), value);
}

// Objects the test threads share (static memory, 8-byte aligned).
const eventA = memory.data(<i32>KEVENT_SIZE, 8);
const eventB = memory.data(<i32>KEVENT_SIZE, 8);
const mutant = memory.data(<i32>KMUTANT_SIZE, 8);
const semaphore = memory.data(<i32>KSEMAPHORE_SIZE, 8);
const timer = memory.data(<i32>KTIMER_SIZE, 8);
const objects = memory.data(16, 4);
const timeout = memory.data(8, 8);

let counterA: u32 = 0;
let counterB: u32 = 0;
let stop = false;
let wakeStatus: u32 = 0xFFFFFFFF;
let wakeOrder: u32 = 0;

// `pause` is an import: the optimiser must assume it can change `stop`, so the
// loop reads it every time (WebAssembly has no volatile).
function spinA(context: usize): void { while (!stop) { counterA++; pause(); } }
function spinB(context: usize): void { while (!stop) { counterB++; pause(); } }
function waitOnA(context: usize): void { wakeStatus = KeWaitForSingleObject(eventA, 0); wakeOrder = wakeOrder * 10 + <u32>context; }
function waitOnAAbortable(context: usize): void { wakeStatus = KeWaitForSingleObject(eventA, 0, true); }
function delayAbortable(context: usize): void { wakeStatus = KeDelayExecution(-10000 * 10000, true); }
function takeMutantAndDie(context: usize): void { KeWaitForSingleObject(mutant, 0); KeTerminateThread(7); }
function waitOnSemaphore(context: usize): void { KeWaitForSingleObject(semaphore, 0); wakeOrder = wakeOrder * 10 + <u32>context; }

let scratchA: usize = 0, scratchB: usize = 0;
let scratchIntact = false, scratchZeroed = false;
/** Takes 96 bytes of its scratch, fills them, sleeps on eventA while B runs, then checks they are still its own. */
function scratchOwner(context: usize): void {
  const p = KeAllocateScratch(96);
  scratchA = p;
  let zero = true;
  for (let i: u32 = 0; i < 96; i++) { if (load<u8>(p + i) != 0) zero = false; store<u8>(p + i, 0xAA); }
  scratchZeroed = zero;
  KeWaitForSingleObject(eventA, 0);
  let intact = true;
  for (let i: u32 = 0; i < 96; i++) if (load<u8>(p + i) != 0xAA) intact = false;
  scratchIntact = intact;
  KeFreeScratch(p);
  if (KeScratchInUse() != 0) scratchIntact = false;
}
/** Runs the same code path as scratchOwner would, on another thread, while A sleeps. */
function scratchIntruder(context: usize): void {
  const p = KeAllocateScratch(96);
  scratchB = p;
  memory.fill(p, 0xBB, 96);
  KeFreeScratch(p);
}

function start(routine: (c: usize) => void, context: usize, priority: u32): usize {
  const t = KeCreateThread(0, routine, context, priority);
  check(t != 0, "KeCreateThread");
  KeReadyThread(t);
  return t;
}

/** Waits for a thread to end and drops the creator's reference. */
function join(thread: usize): u32 {
  const s = KeWaitForSingleObject(thread, 0);
  const status = changetype<KTHREAD>(thread).ExitStatus;
  KeDereferenceThread(thread);
  check(s == 0, "wait for a thread's end", s);
  return status;
}

function relative(ms: i64): usize { store<i64>(timeout, -ms * 10000); return timeout; }

/**
 * `poolBytes`, `poolPages`: the pool's use (Ex sits above Ke: the self-test
 * kernel hands in readers of ExPoolBytesInUse and ExPoolPages), which the
 * tests must leave as they found it.
 */
export function KeRunSelfTest(poolBytes: () => u32, poolPages: () => u32): bool {
  const pool0 = poolBytes(), pages0 = poolPages();
  const me = changetype<KTHREAD>(KeCurrentThread);

  // 1. Preemption: two CPU-bound threads at our priority both run while we sleep.
  const switches0 = KeContextSwitches;
  const a = start(spinA, 0, me.Priority), b = start(spinB, 0, me.Priority);
  KeDelayExecution(-300 * 10000);
  stop = true;
  join(a); join(b);
  check(counterA > 1000 && counterB > 1000, "both spinning threads made progress", counterA < counterB ? counterA : counterB);
  // 300 ms at 3 ticks (30 ms) per quantum: about 10 switches between the two.
  check(KeContextSwitches - switches0 >= 8, "round robin switched between them", KeContextSwitches - switches0);

  // 2. Events: a waiter wakes when the event is set; a notification event wakes every waiter.
  KeInitializeEvent(eventA, false, false);
  const w = start(waitOnA, 1, me.Priority + 1);
  check(wakeStatus == 0xFFFFFFFF, "waiter blocks until the event is set");
  KeSetEvent(eventA);
  check(wakeStatus == 0, "waiter woke with STATUS_WAIT_0", wakeStatus);
  check(changetype<KTHREAD>(eventA).SignalState == 0, "a synchronization event resets when it wakes a waiter");
  join(w);
  KeInitializeEvent(eventA, true, false);
  wakeOrder = 0;
  const w1 = start(waitOnA, 1, me.Priority + 1), w2 = start(waitOnA, 2, me.Priority + 1);
  KePulseEvent(eventA);
  check(wakeOrder == 12, "a pulse wakes every waiter, first come first served", wakeOrder);
  check(changetype<KTHREAD>(eventA).SignalState == 0, "a pulsed event is left reset");

  // 2b. A request to end a thread ends an abortable wait (a service's wait for its caller) at once, but never a
  // wait for a lock or a device: the thread would be let into what the lock guards beside its owner.
  KeInitializeEvent(eventA, false, false);
  wakeStatus = 0xFFFFFFFF;
  const locked = start(waitOnA, 3, me.Priority + 1);
  KeRequestTermination(locked, 5);
  check(wakeStatus == 0xFFFFFFFF, "a request to end a thread leaves its wait for a lock alone", wakeStatus);
  KeSetEvent(eventA);
  check(wakeStatus == 0, "that wait ends when the lock is let go", wakeStatus);
  join(locked);
  wakeStatus = 0xFFFFFFFF;
  const service = start(waitOnAAbortable, 4, me.Priority + 1);
  check(wakeStatus == 0xFFFFFFFF, "an abortable wait blocks", wakeStatus);
  KeRequestTermination(service, 5);
  check(wakeStatus == STATUS_KERNEL_APC, "a request to end a thread ends its abortable wait", wakeStatus);
  join(service);
  check(changetype<KTHREAD>(eventA).SignalState == 0 && KeWaitForSingleObject(eventA, relative(0)) == STATUS_TIMEOUT, "the aborted wait took nothing");
  wakeStatus = 0xFFFFFFFF;
  const sleeper = start(delayAbortable, 5, me.Priority + 1);
  KeRequestTermination(sleeper, 5);
  check(wakeStatus == STATUS_KERNEL_APC, "a request to end a thread ends its abortable sleep", wakeStatus);
  join(sleeper);
  join(w1); join(w2);

  // 3. Timeouts and WaitAll.
  KeInitializeEvent(eventA, true, false);
  KeInitializeEvent(eventB, true, false);
  const t0 = KeQueryTickCount();
  let s = KeWaitForSingleObject(eventA, relative(50));
  const elapsed = KeQueryTickCount() - t0;
  check(s == STATUS_TIMEOUT, "a wait on an unset event times out", s);
  check(elapsed >= 5 && elapsed <= 20, "a 50 ms timeout takes 5-20 ticks", elapsed);
  store<usize>(objects, eventA); store<usize>(objects, eventB, 4);
  KeSetEvent(eventA);
  s = KeWaitForMultipleObjects(2, objects, WaitAll, relative(30), false, 0);
  check(s == STATUS_TIMEOUT, "WaitAll with one of two events set times out", s);
  s = KeWaitForMultipleObjects(2, objects, WaitAny, relative(30), false, 0);
  check(s == 0, "WaitAny returns the index of the set event", s);
  KeResetEvent(eventA); KeSetEvent(eventB);
  s = KeWaitForMultipleObjects(2, objects, WaitAny, relative(30), false, 0);
  check(s == 1, "WaitAny returns index 1", s);
  KeSetEvent(eventA);
  s = KeWaitForMultipleObjects(2, objects, WaitAll, relative(30), false, 0);
  check(s == 0, "WaitAll with both events set", s);
  store<i64>(timeout, 0);
  KeResetEvent(eventA);
  s = KeWaitForSingleObject(eventA, timeout);
  check(s == STATUS_TIMEOUT, "a zero timeout polls", s);

  // 4. Mutants: recursion, ownership, abandonment.
  KeInitializeMutant(mutant, false);
  check(KeWaitForSingleObject(mutant, 0) == 0 && KeWaitForSingleObject(mutant, 0) == 0, "a mutant is acquired recursively");
  check(KeReleaseMutant(mutant, 0) == 0 && KeReleaseMutant(mutant, 0) == 0, "and released twice");
  s = KeReleaseMutant(mutant, 0);
  check(s == STATUS_MUTANT_NOT_OWNED, "releasing an unowned mutant fails", s);
  const m = start(takeMutantAndDie, 0, me.Priority + 1);
  check(join(m) == 7, "a thread's exit status");
  s = KeWaitForSingleObject(mutant, relative(100));
  check(s == STATUS_ABANDONED_WAIT_0, "a mutant whose owner died is abandoned", s);
  check(KeReleaseMutant(mutant, 0) == 0, "the new owner releases it");

  // 5. Semaphores.
  KeInitializeSemaphore(semaphore, 0, 2);
  wakeOrder = 0;
  const s1 = start(waitOnSemaphore, 1, me.Priority + 1), s2 = start(waitOnSemaphore, 2, me.Priority + 1);
  check(KeReleaseSemaphore(semaphore, 1, 0) == 0 && wakeOrder == 1, "a release wakes one waiter", wakeOrder);
  check(KeReleaseSemaphore(semaphore, 1, 0) == 0 && wakeOrder == 12, "the next release the next", wakeOrder);
  join(s1); join(s2);
  check(KeReleaseSemaphore(semaphore, 2, 0) == 0, "count up to the limit");
  s = KeReleaseSemaphore(semaphore, 1, 0);
  check(s == STATUS_SEMAPHORE_LIMIT_EXCEEDED, "past the limit fails", s);

  // 6. Timer objects.
  KeInitializeTimer(timer, true);
  const t1 = KeQueryTickCount();
  KeSetTimer(timer, -40 * 10000, 0);
  s = KeWaitForSingleObject(timer, relative(1000));
  check(s == 0 && KeQueryTickCount() - t1 >= 4, "a timer signals when due", s);

  // 7. Scratch memory is the thread's own: another thread taking the same
  // amount while the first sleeps gets other memory and leaves its bytes alone.
  KeInitializeEvent(eventA, false, false);
  const before = KeScratchInUse();
  const sa = start(scratchOwner, 0, me.Priority + 1);
  const sb = start(scratchIntruder, 0, me.Priority + 1);
  join(sb);
  KeSetEvent(eventA);
  join(sa);
  check(scratchA != 0 && scratchB != 0 && scratchA != scratchB, "two threads' scratch blocks differ", <u32>scratchA);
  check(scratchZeroed, "scratch memory comes zeroed");
  check(scratchIntact, "a sleeping thread's scratch survives another thread's use, and its free empties the arena");
  const x = KeAllocateScratch(20), y = KeAllocateScratch(12);
  check((x & 7) == 0 && y == x + 24, "blocks are 8-aligned and stacked", <u32>(y - x));
  KeFreeScratch(x);
  check(KeScratchInUse() == before, "freeing a block frees the ones after it", KeScratchInUse());

  // 8. Nothing leaked: every thread's stack and body are back in the pool.
  const pool1 = poolBytes(), pages1 = poolPages();
  check(pool1 == pool0, "pool bytes back to the baseline", pool1);
  check(pages1 == pages0, "pool pages back to the baseline", pages1);

  if (failed) return false;
  KeLogFormat2("ke", "self-test passed: %u checks, %u context switches", checks, KeContextSwitches);
  return true;
}
