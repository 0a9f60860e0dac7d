// Threads and the dispatcher's scheduler.
//
// A KTHREAD lives in nonpaged pool with its kernel stack. The scheduler keeps
// one ready queue per priority (0-31) and a summary bitmask; the highest
// non-empty queue runs, round robin within it: the clock takes one unit of
// quantum per tick, and a thread whose quantum runs out goes to the tail of
// its queue if another thread of its priority is ready. A thread made ready
// at a higher priority than the running one preempts it at the end of the
// interrupt (or right away when readied outside one). The idle thread
// (priority 0, never on a queue) runs when nothing else can.
//
// Switching is the toolchain's swap_context: the old thread's callee-saved
// registers stay on its stack, esp goes to KTHREAD.SavedEsp, the new
// thread's stack limit is loaded. Everything that touches the queues runs
// with interrupts off (KiLockDispatcher / KiUnlockDispatcher), which is this
// uniprocessor kernel's DISPATCH_LEVEL.

import { cli, func_address, read_cr3, read_eflags, sti, swap_context, hlt, write_cr3 } from "../sdk/intrinsics";
import { KiSetKernelStack, KiSetTebSegment } from "./gdt";
import { KeBugCheckEx, PHASE0_INITIALIZATION_FAILED, UNEXPECTED_KERNEL_MODE_TRAP } from "./bugcheck";
import { KeLogBegin, KeLogDecimal, KeLogEnd, KeLogString, KeLogFormat2 } from "./log";
import { InitializeListHead, InsertHeadList, InsertTailList, IsListEmpty, RemoveEntryList } from "../sdk/list";
import { STATUS_KERNEL_APC } from "../sdk/ntstatus";

export const MAXIMUM_PRIORITY: u32 = 32;
export const LOW_REALTIME_PRIORITY: u32 = 16;
/** Clock ticks of quantum a thread gets each time it is scheduled (NT: 2 * 3 units / 3 per tick = 2 ticks on clients; we use 3). */
export const THREAD_QUANTUM: i32 = 3;
/** Kernel stack of every thread. */
export const KERNEL_STACK_SIZE: u32 = 16384;
/** Stack the wasm prologues leave untouched below the limit: interrupt frames and the trap path. */
const KERNEL_STACK_GUARD: u32 = 3072;

// Dispatcher object types (DISPATCHER_HEADER.Type), NT's numbering.
export const EventNotificationObject: u32 = 0;
export const EventSynchronizationObject: u32 = 1;
export const MutantObject: u32 = 2;
export const ProcessObject: u32 = 3;
export const SemaphoreObject: u32 = 5;
export const ThreadObject: u32 = 6;
export const TimerNotificationObject: u32 = 8;
export const TimerSynchronizationObject: u32 = 9;

// Thread states (KTHREAD_STATE).
export const Initialized: u32 = 0;
export const Ready: u32 = 1;
export const Running: u32 = 2;
export const Standby: u32 = 3;
export const Terminated: u32 = 4;
export const Waiting: u32 = 5;

/**
 * DISPATCHER_HEADER: +0 Type, +4 SignalState, +8 WaitListHead (LIST_ENTRY).
 * Every waitable object starts with one.
 */
@unmanaged export class DISPATCHER_HEADER {
  Type: u32;
  SignalState: i32;
  WaitListFlink: usize;
  WaitListBlink: usize;
}
export const DISPATCHER_HEADER_SIZE: u32 = 16;
export const WAIT_LIST_OFFSET: u32 = 8;

/** Wait blocks a thread carries inline (NT: THREAD_WAIT_OBJECTS = 3). */
export const THREAD_WAIT_OBJECTS: u32 = 3;
/** KWAIT_BLOCK: 24 bytes. */
export const KWAIT_BLOCK_SIZE: u32 = 24;

/** The head of a process that Ke reads (EPROCESS's first fields; ke/attach.ts). */
@unmanaged export class KPROCESS {
  Type: u32;
  SignalState: i32;
  WaitListFlink: usize;
  WaitListBlink: usize;
  // +16
  DirectoryTableBase: u32;  // the physical address of its page directory
}

/**
 * KTHREAD (ours; NT's field names where they exist). The timer used for wait
 * timeouts and the inline wait blocks are part of it.
 */
@unmanaged export class KTHREAD {
  // DISPATCHER_HEADER: a thread is signalled when it terminates.
  Type: u32;
  SignalState: i32;
  WaitListFlink: usize;
  WaitListBlink: usize;
  // +16
  ReadyListFlink: usize;
  ReadyListBlink: usize;
  // +24
  SavedEsp: usize;
  StackLimit: usize;
  StackBase: usize;      // lowest address of the kernel stack
  InitialStack: usize;   // one past its highest address
  // +40
  State: u32;
  Priority: u32;
  BasePriority: u32;
  Quantum: i32;
  // +56
  Process: usize;
  StartRoutine: usize;   // a KSTART_ROUTINE function reference
  StartContext: usize;
  ExitStatus: u32;
  // +72: waits
  WaitStatus: u32;
  WaitBlockList: usize;  // first KWAIT_BLOCK of the current wait
  WaitCount: u32;
  WaitType: u32;         // WaitAll / WaitAny
  // +88: the wait timeout timer (KTIMER-like: due tick, list links, armed)
  TimerDueTick: u32;
  TimerFlink: usize;
  TimerBlink: usize;
  TimerArmed: u32;
  // +104
  ThreadListFlink: usize; // in the process
  ThreadListBlink: usize;
  UniqueThread: u32;
  MutantListFlink: usize; // mutants it owns (abandoned when it ends)
  MutantListBlink: usize;
  Teb: usize;
  TrapFrame: usize;
  References: u32;
  // +136
  PreviousMode: u32;     // KernelMode 0 / UserMode 1 (ke/probe.ts)
  SuspendCount: u32;     // NtSuspendThread / NtResumeThread, create-suspended
  Parked: u32;           // runnable but suspended: kept off the ready queues
  ObjectWrapper: usize;  // the object manager's Thread object for it (ps), uncounted
  AttachedProcess: usize; // while it works in another process's address space (KeStackAttachProcess)
  TerminatePending: u32; // another thread asked it to end: it does at its next return to user mode
  TerminateStatus: u32;
  LpcThread: usize;      // the thread's LPC state (lpc/lpcp.ts LPCP_THREAD), made on its first LPC wait, freed when it ends
  CrossThreadFlags: u32; // PS_CROSS_THREAD_FLAGS_* (ps/psthread.ts): BreakOnTermination
  WaitObject: usize;     // KeWaitForSingleObject's one-entry object array (the thread's own: a wait may be preempted before it reads it)
  ScratchUsed: u32;      // bytes of the scratch arena in use (KeAllocateScratch)
  WaitAbortable: u32;    // the current wait may be ended by a request to end the thread (see KeWaitForMultipleObjects)
  // +152: inline wait blocks (THREAD_WAIT_OBJECTS + 1 for the timer)
}
export const KTHREAD_SIZE: u32 = offsetof<KTHREAD>();
export const KTHREAD_WAIT_BLOCKS: u32 = KTHREAD_SIZE;
/** After the wait blocks: the arguments of the current system service, copied from the user stack (16 at most). */
export const KTHREAD_SERVICE_ARGS: u32 = KTHREAD_SIZE + (THREAD_WAIT_OBJECTS + 1) * KWAIT_BLOCK_SIZE;
/** Then 40 bytes a service may use as its own scratch (captured values, out-parameters), per thread. */
export const KTHREAD_SERVICE_SCRATCH: u32 = KTHREAD_SERVICE_ARGS + 64;
/**
 * Then the LPC services' frame (lpc/lpcp.ts LPCP_SERVICE_FRAME, at most
 * KTHREAD_LPC_FRAME_SIZE bytes): as NT's ETHREAD keeps its LPC fields.
 */
export const KTHREAD_LPC_FRAME: u32 = KTHREAD_SERVICE_SCRATCH + 40;
export const KTHREAD_LPC_FRAME_SIZE: u32 = 24;
/** Then the thread's scratch arena (KeAllocateScratch). */
const KTHREAD_SCRATCH_ARENA: u32 = (KTHREAD_LPC_FRAME + KTHREAD_LPC_FRAME_SIZE + 7) & ~7; // 8-aligned (pool blocks are)
/** Bytes in each thread's scratch arena. */
export const KE_SCRATCH_SIZE: u32 = 1024;
const KTHREAD_ALLOCATION: u32 = KTHREAD_SCRATCH_ARENA + KE_SCRATCH_SIZE;
export const KTHREAD_WAIT_OBJECT: u32 = offsetof<KTHREAD>("WaitObject");
export const KTHREAD_READY_LINKS: u32 = offsetof<KTHREAD>("ReadyListFlink");
export const KTHREAD_TIMER_LINKS: u32 = offsetof<KTHREAD>("TimerFlink");
export const KTHREAD_THREAD_LINKS: u32 = offsetof<KTHREAD>("ThreadListFlink");
export const KTHREAD_MUTANT_LIST: u32 = offsetof<KTHREAD>("MutantListFlink");
/** swap_context saves the stack pointer here (KiSwapThread passes its address). */
const KTHREAD_SAVED_ESP: u32 = offsetof<KTHREAD>("SavedEsp");

/** A system thread's routine. */
export type KSTART_ROUTINE = (context: usize) => void;

const KiReadyQueues: usize = memory.data(<i32>(MAXIMUM_PRIORITY * 8), 4);
let KiReadySummary: u32 = 0;
/** The thread on the processor. */
export let KeCurrentThread: usize = 0;
/** The idle thread: runs when no thread is ready. */
export let KiIdleThread: usize = 0;
/** Set when a switch is due at the end of the current interrupt. */
let KiDispatchPending: bool = false;
/** Non-zero while an interrupt is being handled: switches wait for its end. */
export let KiInterruptDepth: u32 = 0;
/** Threads ended but still on their own stacks (linked through ReadyListFlink): freed by the next thread that runs. */
let KiDeadThread: usize = 0;
let KiNextThreadId: u32 = 4;
/** Context switches so far. */
export let KeContextSwitches: u32 = 0;
// What a switch loads for the new thread once processes exist, as NT's
// KiSwapContext does in place: its process's page directory (or the one it
// is attached to), its process's handle table into Ob's current-table word,
// the kernel stack ring-3 traps start on (TSS Esp0) and its TEB segment. Ps
// hands in what Ke does not know (KeEnableProcessSwitch): where a process
// keeps its handle table, the kernel's table and Ob's word.
let KiProcessSwitch: bool = false;
let KiSwitchKernelDirectory: u32 = 0;   // the directory of a thread of no process
let KiProcessHandleTableOffset: u32 = 0;
let KiKernelHandleTable: usize = 0;      // the table of a thread of no process (or of one whose table is gone)
let KiHandleTableCell: usize = 0;        // Ob's current-table word
export function KeEnableProcessSwitch(kernelDirectory: u32, handleTableOffset: u32, kernelHandleTable: usize, handleTableCell: usize): void {
  KiSwitchKernelDirectory = kernelDirectory;
  KiProcessHandleTableOffset = handleTableOffset;
  KiKernelHandleTable = kernelHandleTable;
  KiHandleTableCell = handleTableCell;
  KiProcessSwitch = true;
}

@inline function KiSwapProcessContext(thread: usize): void {
  const n = changetype<KTHREAD>(thread);
  // each field read once (the translator does not reuse a load)
  const process = n.Process;
  const attached = n.AttachedProcess;
  const space = attached != 0 ? attached : process;
  const directory = space != 0 ? changetype<KPROCESS>(space).DirectoryTableBase : KiSwitchKernelDirectory;
  if ((read_cr3() & 0xFFFFF000) != directory) write_cr3(directory);
  const table = process != 0 ? load<usize>(process + KiProcessHandleTableOffset) : 0;
  store<usize>(KiHandleTableCell, table != 0 ? table : KiKernelHandleTable);
  KiSetKernelStack(n.InitialStack);
  const teb = n.Teb;
  if (teb != 0) KiSetTebSegment(teb);
}

const THREAD_TAG: u32 = 0x64726854; // 'Thrd'
const STACK_TAG: u32 = 0x6B617453;  // 'Stak'

// A thread's body and kernel stack are nonpaged pool, which Ex keeps above
// Ke: Ex hands its allocator in (KeSetThreadPoolRoutines, from
// ExRegisterPoolPages, when Mm gives the pool its pages and before the first
// thread is made), as NT's KeInitThread takes its stack from Mm
// (MmCreateKernelStack). Until then a thread cannot be made, as the pool had
// no pages.
export type KE_POOL_ALLOCATE = (bytes: u32, tag: u32) => usize;
export type KE_POOL_FREE = (block: usize, tag: u32) => void;
function KiNoPool(bytes: u32, tag: u32): usize { return 0; }
function KiNoPoolFree(block: usize, tag: u32): void {}
let KiAllocatePool: KE_POOL_ALLOCATE = KiNoPool;
let KiFreePool: KE_POOL_FREE = KiNoPoolFree;

/** Ex's nonpaged pool for threads' bodies and stacks. */
export function KeSetThreadPoolRoutines(allocate: KE_POOL_ALLOCATE, free: KE_POOL_FREE): void {
  KiAllocatePool = allocate;
  KiFreePool = free;
}

// ---- the dispatcher lock ----

/** Interrupts off; returns what to give KiUnlockDispatcher. */
@inline export function KiLockDispatcher(): u32 { const f = read_eflags() & 0x200; cli(); return f; }
@inline export function KiUnlockDispatcher(old: u32): void { if (old != 0) sti(); }
/** The dispatcher lock for the components above Ke (Ps, Lpc, Ex): KiLockDispatcher under NT's public naming. */
@inline export function KeAcquireDispatcherLock(): u32 { return KiLockDispatcher(); }
/** Gives back what KeAcquireDispatcherLock took (interrupts on again if they were). */
@inline export function KeReleaseDispatcherLock(old: u32): void { KiUnlockDispatcher(old); }
/** The idle thread, for the components that report on threads (SystemProcessInformation's idle process). */
@inline export function KeGetIdleThread(): usize { return KiIdleThread; }

// ---- ready queues ----

@inline function queueOf(priority: u32): usize { return KiReadyQueues + (priority << 3); }

/** Puts `thread` on its ready queue (tail); asks for preemption when it outranks the running thread. */
export function KiReadyThread(thread: usize): void {
  const t = changetype<KTHREAD>(thread);
  if (thread == KiIdleThread) { t.State = Ready; return; }
  if (t.SuspendCount != 0) { t.State = Waiting; t.Parked = 1; return; } // suspended: runs when resumed
  t.State = Ready;
  InsertTailList(queueOf(t.Priority), thread + KTHREAD_READY_LINKS);
  KiReadySummary |= 1 << t.Priority;
  if (KeCurrentThread != 0 && t.Priority > changetype<KTHREAD>(KeCurrentThread).Priority) KiDispatchPending = true;
}

function KiSelectReadyThread(minimum: u32): usize {
  const summary = KiReadySummary;
  if (summary == 0) return 0;
  const p = (<u32>31 - clz<u32>(summary));
  if (p < minimum) return 0;
  // The queue's first thread, unlinked by hand: the summary bit says the queue has one.
  const head = queueOf(p);
  const entry = load<usize>(head);
  const next = load<usize>(entry);
  store<usize>(head, next);
  store<usize>(next, head, 4);
  if (next == head) KiReadySummary = summary & ~(1 << p);
  return entry - KTHREAD_READY_LINKS;
}

/**
 * Gives the processor to the best ready thread (or idle). The caller holds the
 * dispatcher lock and has already set the current thread's new state (Ready
 * and queued, Waiting, Terminated). Returns when this thread runs again.
 */
export function KiSwapThread(): void {
  const old = KeCurrentThread;
  let next = KiSelectReadyThread(0);
  if (next == 0) next = KiIdleThread;
  if (next == old) { changetype<KTHREAD>(old).State = Running; return; }
  const n = changetype<KTHREAD>(next);
  n.State = Running;
  n.Quantum = THREAD_QUANTUM;
  KeCurrentThread = next;
  KeContextSwitches++;
  if (KiProcessSwitch) KiSwapProcessContext(next);
  swap_context(old + KTHREAD_SAVED_ESP, n.SavedEsp, n.StackLimit);
  // Back on this thread. A thread that ended before us left its stack to free.
  if (KiDeadThread != 0) KiReapDeadThread();
}

/**
 * Frees the threads that ended (their stacks) other than the running one. A
 * list, not one slot: a user thread's first run starts at the interrupt exit,
 * not here, so several may end before anyone reaps.
 */
function KiReapDeadThread(): void {
  let prev: usize = 0;
  let dead = KiDeadThread;
  while (dead != 0) {
    const next = changetype<KTHREAD>(dead).ReadyListFlink;
    if (dead == KeCurrentThread) { prev = dead; dead = next; continue; }
    if (prev == 0) KiDeadThread = next; else changetype<KTHREAD>(prev).ReadyListFlink = next;
    const t = changetype<KTHREAD>(dead);
    KiFreePool(t.StackBase, STACK_TAG);
    t.StackBase = 0;
    KeDereferenceThread(dead);
    dead = next;
  }
}

/** The running thread gives up the rest of its quantum to a ready thread of its priority or better. */
export function KeYieldExecution(): bool {
  const f = KiLockDispatcher();
  const cur = changetype<KTHREAD>(KeCurrentThread);
  let switched = false;
  // A ready thread of this priority or better: a summary bit at or above it.
  if ((KiReadySummary >>> cur.Priority) != 0 && KeCurrentThread != KiIdleThread) {
    // KiReadyThread for the running thread: it never outranks itself, so no preemption to ask for.
    if (cur.SuspendCount != 0) { cur.State = Waiting; cur.Parked = 1; }
    else {
      cur.State = Ready;
      // InsertTailList by hand (the switch path: no call)
      const priority = cur.Priority;
      const head = queueOf(priority);
      const entry = KeCurrentThread + KTHREAD_READY_LINKS;
      const last = load<usize>(head, 4);
      store<usize>(entry, head);
      store<usize>(entry, last, 4);
      store<usize>(last, entry);
      store<usize>(head, entry, 4);
      KiReadySummary |= 1 << priority;
    }
    KiSwapThread();
    switched = true;
  }
  KiUnlockDispatcher(f);
  return switched;
}

/** Called from KiTrapDispatch when an interrupt is done: switch if the clock or a wake-up asked for it. */
@inline export function KiDispatchInterruptEnd(): void {
  if (KiDispatchPending) KiDispatchAtInterruptEnd(); // every system call passes here: a compare when nothing is pending
}

function KiDispatchAtInterruptEnd(): void {
  if (!KiDispatchPending || KiInterruptDepth != 0 || KeCurrentThread == 0) return;
  KiDispatchPending = false;
  const cur = changetype<KTHREAD>(KeCurrentThread);
  if (cur.State == Running && KeCurrentThread != KiIdleThread) KiReadyThread(KeCurrentThread);
  KiSwapThread();
}

/** Non-zero while KeForEachThread walks a thread list: a switch asked for meanwhile waits for the walk's end. */
let KiDispatchDeferred: u32 = 0;

/** Outside interrupts: switch now if something better became ready (after signalling an object). */
export function KiCheckPreemption(): void {
  if (KiInterruptDepth != 0 || KiDispatchDeferred != 0) return;
  const f = KiLockDispatcher();
  if (KiDispatchPending && KeCurrentThread != 0) {
    KiDispatchPending = false;
    const cur = changetype<KTHREAD>(KeCurrentThread);
    if (cur.State == Running && KeCurrentThread != KiIdleThread) KiReadyThread(KeCurrentThread);
    KiSwapThread();
  }
  KiUnlockDispatcher(f);
}

@inline export function KiEnterInterrupt(): void { KiInterruptDepth++; }
@inline export function KiLeaveInterrupt(): void { KiInterruptDepth--; }

/** The clock's share of scheduling, once per tick (interrupts off). */
export function KeUpdateRunTime(): void {
  if (KeCurrentThread == 0) return;
  const cur = changetype<KTHREAD>(KeCurrentThread);
  if (KeCurrentThread == KiIdleThread) {
    if (KiReadySummary != 0) KiDispatchPending = true;
    return;
  }
  cur.Quantum--;
  if (cur.Quantum <= 0) {
    cur.Quantum = THREAD_QUANTUM;
    if (KiReadySummary != 0 && (<u32>31 - clz<u32>(KiReadySummary)) >= cur.Priority) KiDispatchPending = true;
  }
}

// ---- creating and ending threads ----

/**
 * Where every new thread starts: interrupts on, then its routine; a routine
 * that returns ends the thread. It takes an (unused) argument so that its type
 * is KSTART_ROUTINE's: binaryen empties a table function whose type no
 * call_indirect uses, and this one is entered by swap_context's `ret`.
 */
function KiThreadStartup(unused: usize): void {
  const t = changetype<KTHREAD>(KeCurrentThread);
  KiReapDeadThread();
  sti();
  changetype<KSTART_ROUTINE>(t.StartRoutine)(t.StartContext);
  KeTerminateThread(0);
}

/**
 * Allocates and initialises a thread that will run `routine(context)` at
 * `priority` in `process` (0 for the system process). It is not ready yet:
 * KeReadyThread starts it. Returns 0 when pool is exhausted.
 */
export function KeCreateThread(process: usize, routine: KSTART_ROUTINE, context: usize, priority: u32): usize {
  const thread = KiAllocatePool(KTHREAD_ALLOCATION, THREAD_TAG);
  if (thread == 0) return 0;
  const stack = KiAllocatePool(KERNEL_STACK_SIZE, STACK_TAG);
  if (stack == 0) { KiFreePool(thread, THREAD_TAG); return 0; }
  const t = changetype<KTHREAD>(thread);
  t.Type = ThreadObject;
  t.SignalState = 0;
  InitializeListHead(thread + WAIT_LIST_OFFSET);
  InitializeListHead(thread + KTHREAD_THREAD_LINKS);
  InitializeListHead(thread + KTHREAD_MUTANT_LIST);
  t.StackBase = stack;
  t.InitialStack = stack + KERNEL_STACK_SIZE;
  t.StackLimit = stack + KERNEL_STACK_GUARD;
  t.State = Initialized;
  t.Priority = priority & 31;
  t.BasePriority = priority & 31;
  t.Quantum = THREAD_QUANTUM;
  t.Process = process;
  t.StartRoutine = changetype<usize>(routine);
  t.StartContext = context;
  t.UniqueThread = KiNextThreadId;
  KiNextThreadId += 4;
  t.LpcThread = 0;
  t.ScratchUsed = 0;
  t.References = 2; // the creator's, and its own while it runs (dropped when its stack is freed)
  // The first switch to it "returns" into KiThreadStartup (see swap_context).
  const sp = t.InitialStack - 64;
  store<usize>(sp, func_address(load<u32>(changetype<usize>(KiThreadStartup))), 16);
  store<usize>(sp, func_address(load<u32>(changetype<usize>(KiThreadReturned))), 32);
  t.SavedEsp = sp;
  return thread;
}

/** A new thread's stack, as swap_context expects it, for a thread that resumes at `resume` (e.g. trap_exit). */
export function KiSetThreadResume(thread: usize, stackPointer: usize, resume: usize): void {
  const sp = stackPointer - 32;
  memory.fill(sp, 0, 32);
  store<usize>(sp, resume, 16);
  changetype<KTHREAD>(thread).SavedEsp = sp;
}

// ---- scratch memory ----
//
// Kernel code that needs a small buffer for the length of a call (a
// UNICODE_STRING and its OBJECT_ATTRIBUTES, an out-parameter a service
// fills, a captured structure) takes it from the running thread's scratch
// arena, never from a module-level buffer: the kernel is preemptible, and a
// buffer in the image is shared by every thread that runs the same code. A
// thread that is switched out between writing such a buffer and reading it
// back reads what another thread wrote (KeWaitForSingleObject's object array
// did just that and lost wake-ups). The arena is a stack: KeFreeScratch frees
// a block and everything taken after it. Interrupt routines may use it too,
// as long as they free what they took before they return. Before the first
// thread exists (phase 0) a boot arena stands in.

const KiBootScratch: usize = memory.data(<i32>KE_SCRATCH_SIZE, 8);
let KiBootScratchUsed: u32 = 0;

/**
 * `bytes` of zeroed memory, 8-aligned, owned by the running thread until
 * KeFreeScratch. Running out is a kernel bug: bug check 0x7F (as a kernel
 * stack overflow is), parameters 8, the bytes asked for and the bytes in use.
 */
export function KeAllocateScratch(bytes: u32): usize {
  const size = (bytes + 7) & ~7;
  const thread = KeCurrentThread;
  const used = thread != 0 ? changetype<KTHREAD>(thread).ScratchUsed : KiBootScratchUsed;
  if (size > KE_SCRATCH_SIZE - used) KeBugCheckEx(UNEXPECTED_KERNEL_MODE_TRAP, 8, bytes, used, 0);
  const base = thread != 0 ? thread + KTHREAD_SCRATCH_ARENA : KiBootScratch;
  if (thread != 0) changetype<KTHREAD>(thread).ScratchUsed = used + size; else KiBootScratchUsed = used + size;
  memory.fill(base + used, 0, size);
  return base + used;
}

/** Frees `block` (from KeAllocateScratch on this thread) and every block taken after it. */
export function KeFreeScratch(block: usize): void {
  const thread = KeCurrentThread;
  const base = thread != 0 ? thread + KTHREAD_SCRATCH_ARENA : KiBootScratch;
  const used = thread != 0 ? changetype<KTHREAD>(thread).ScratchUsed : KiBootScratchUsed;
  if (block < base || block > base + used) KeBugCheckEx(UNEXPECTED_KERNEL_MODE_TRAP, 9, <u32>block, used, 0);
  if (thread != 0) changetype<KTHREAD>(thread).ScratchUsed = <u32>(block - base); else KiBootScratchUsed = <u32>(block - base);
}

/** Bytes of the running thread's scratch arena in use (tests and kd). */
export function KeScratchInUse(): u32 {
  return KeCurrentThread != 0 ? changetype<KTHREAD>(KeCurrentThread).ScratchUsed : KiBootScratchUsed;
}

function KiThreadReturned(unused: usize): void { KeBugCheckEx(PHASE0_INITIALIZATION_FAILED, 0x7E, <u32>KeCurrentThread, 0, 0); }

/** References on a thread (its creator's and waiters'): the memory goes with the last. */
// The count changes with interrupts off: two threads dropping the last two
// references must not both see zero (or neither), and none may read the
// count of a thread another one has just freed.
export function KeReferenceThread(thread: usize): void {
  const f = KiLockDispatcher();
  changetype<KTHREAD>(thread).References++;
  KiUnlockDispatcher(f);
}
export function KeDereferenceThread(thread: usize): void {
  const t = changetype<KTHREAD>(thread);
  const f = KiLockDispatcher();
  const left = --t.References;
  const free = left == 0 && t.StackBase == 0;
  KiUnlockDispatcher(f);
  if (free) {
    if (KiThreadFreeHook != 0) changetype<KTHREAD_FREE_HOOK>(KiThreadFreeHook)(thread);
    KiFreePool(thread, THREAD_TAG);
  }
}

/** Frees a thread that never ran (its creation failed half way): stack, and both references. */
export function KeDeleteUnstartedThread(thread: usize): void {
  const t = changetype<KTHREAD>(thread);
  t.State = Terminated;
  if (t.StackBase != 0) { KiFreePool(t.StackBase, STACK_TAG); t.StackBase = 0; }
  KeDereferenceThread(thread);
  KeDereferenceThread(thread);
}

/** Called with a thread's memory about to go (Ps drops the thread's reference on its process). */
let KiThreadFreeHook: usize = 0;
export type KTHREAD_FREE_HOOK = (thread: usize) => void;
export function KeSetThreadFreeHook(hook: KTHREAD_FREE_HOOK): void { KiThreadFreeHook = changetype<usize>(hook); }

/** Suspends `thread` (count + 1); the current thread stops at once. Returns the previous count. */
export function KeSuspendThread(thread: usize): u32 {
  const f = KiLockDispatcher();
  const t = changetype<KTHREAD>(thread);
  const previous = t.SuspendCount;
  if (t.TerminatePending != 0) { KiUnlockDispatcher(f); return previous; }
  t.SuspendCount++;
  if (previous == 0) {
    if (t.State == Ready && thread != KiIdleThread) {
      KiRemoveFromReadyQueue(thread);
      t.State = Waiting; t.Parked = 1;
    } else if (thread == KeCurrentThread) {
      t.State = Waiting; t.Parked = 1;
      KiSwapThread();
    }
  }
  KiUnlockDispatcher(f);
  return previous;
}

/** Resumes `thread` (count - 1); at 0 a parked thread becomes ready. Returns the previous count. */
export function KeResumeThread(thread: usize): u32 {
  const f = KiLockDispatcher();
  const t = changetype<KTHREAD>(thread);
  const previous = t.SuspendCount;
  if (previous != 0) {
    t.SuspendCount--;
    if (t.SuspendCount == 0 && t.Parked != 0) { t.Parked = 0; KiReadyThread(thread); }
  }
  KiUnlockDispatcher(f);
  KiCheckPreemption();
  return previous;
}

function KiRemoveFromReadyQueue(thread: usize): void {
  const p = changetype<KTHREAD>(thread).Priority;
  RemoveEntryList(thread + KTHREAD_READY_LINKS);
  if (IsListEmpty(queueOf(p))) KiReadySummary &= ~(1 << p);
}

/** Called by wait.ts to take a waiting thread out of its wait (no wake-up). */
export let KiAbortWaitHook: usize = 0;
export type KABORT_WAIT = (thread: usize) => void;
export function KeSetAbortWaitHook(hook: KABORT_WAIT): void { KiAbortWaitHook = changetype<usize>(hook); }

/**
 * Asks another thread to end with `status` (NT does this with a kernel APC):
 * a waiting thread's wait ends (STATUS_KERNEL_APC), a suspended one is let
 * go, and the thread ends itself at its next return to user mode, so what it
 * holds in the kernel is released on its own stack.
 */
export function KeRequestTermination(thread: usize, status: u32): void {
  const f = KiLockDispatcher();
  const t = changetype<KTHREAD>(thread);
  if (t.State != Terminated && t.TerminatePending == 0) {
    t.TerminatePending = 1;
    t.TerminateStatus = status;
    if (t.Parked != 0) { t.Parked = 0; t.SuspendCount = 0; KiReadyThread(thread); }
    else if (t.State == Waiting && t.WaitAbortable != 0 && thread != KeCurrentThread) {
      if (KiAbortWaitHook != 0) changetype<KABORT_WAIT>(KiAbortWaitHook)(thread);
      t.WaitStatus = STATUS_KERNEL_APC;
      KiReadyThread(thread);
    }
  }
  KiUnlockDispatcher(f);
  KiCheckPreemption();
}

export type KTHREAD_VISITOR = (thread: usize, context: usize) => void;

/**
 * Calls `visit(thread, context)` for every thread on a process's thread list
 * (`head`; linked through KTHREAD_THREAD_LINKS) with the dispatcher lock held
 * and no switch until the walk ends: a thread asked to end unlinks itself and
 * is freed only when it next runs, which is after the walk, so the walk never
 * follows a link of a freed thread. The visits may ready threads or change
 * priorities (KeRequestTermination, KeSetPriorityThread) but never wait; the
 * switch they call for comes once, at the end.
 */
export function KeForEachThread(head: usize, visit: KTHREAD_VISITOR, context: usize): void {
  const f = KiLockDispatcher();
  KiDispatchDeferred++;
  for (let e = load<usize>(head); e != head; e = load<usize>(e)) visit(e - KTHREAD_THREAD_LINKS, context);
  KiDispatchDeferred--;
  KiUnlockDispatcher(f);
  KiCheckPreemption();
}

/** Sets a thread's priority (and base priority); a ready thread changes queue, a lowered running thread may be preempted. Returns the old one. */
export function KeSetPriorityThread(thread: usize, priority: u32): u32 {
  const f = KiLockDispatcher();
  const t = changetype<KTHREAD>(thread);
  const old = t.Priority;
  const queued = t.State == Ready && t.Parked == 0 && thread != KiIdleThread;
  if (queued) KiRemoveFromReadyQueue(thread);
  t.Priority = priority & 31;
  t.BasePriority = priority & 31;
  if (queued) KiReadyThread(thread);
  if (thread == KeCurrentThread && KiReadySummary != 0 && (<u32>31 - clz<u32>(KiReadySummary)) > t.Priority) KiDispatchPending = true;
  KiUnlockDispatcher(f);
  KiCheckPreemption();
  return old;
}

/** Makes a new thread runnable. */
export function KeReadyThread(thread: usize): void {
  const f = KiLockDispatcher();
  KiReadyThread(thread);
  KiUnlockDispatcher(f);
  KiCheckPreemption();
}

/** Called by wait.ts when a thread ends: abandon mutants, signal waiters. Set by wait.ts. */
export let KiThreadExitHook: usize = 0;
export type KTHREAD_EXIT_HOOK = (thread: usize) => void;
export function KeSetThreadExitHook(hook: KTHREAD_EXIT_HOOK): void { KiThreadExitHook = changetype<usize>(hook); }

/** Ends the current thread with `status`. Never returns. */
export function KeTerminateThread(status: u32): void {
  cli();
  const thread = KeCurrentThread;
  const t = changetype<KTHREAD>(thread);
  t.ExitStatus = status;
  if (KiThreadExitHook != 0) changetype<KTHREAD_EXIT_HOOK>(KiThreadExitHook)(thread);
  RemoveEntryList(thread + KTHREAD_THREAD_LINKS);
  t.State = Terminated;
  t.ReadyListFlink = KiDeadThread; // onto the list of threads to reap
  KiDeadThread = thread;
  KiSwapThread();
  KeBugCheckEx(PHASE0_INITIALIZATION_FAILED, 0x7F, <u32>thread, 0, 0); // a dead thread ran again
}

// ---- phase 0 ----

/** The idle thread: starts phase 1 on a system thread, then halts until the next interrupt, forever. */
function KiIdleRoutine(context: usize): void {
  const phase1 = KeCreateThread(0, changetype<KSTART_ROUTINE>(context), 0, PHASE1_PRIORITY);
  if (phase1 == 0) KeBugCheckEx(PHASE0_INITIALIZATION_FAILED, 5, 0, 0, 0);
  KeReadyThread(phase1); // outranks idle: runs at once
  while (true) { sti(); hlt(); } // (a switch back here may come with interrupts off)
}
/** Priority of the phase 1 thread (NT: a system thread at 8, raised to 16 at times). */
const PHASE1_PRIORITY: u32 = 8;

/**
 * Sets up the scheduler and moves the boot processor onto the idle thread,
 * which starts `phase1(0)` (the rest of the boot) on a system thread and then
 * idles. Never returns.
 */
export function KiInitializeScheduler(phase1: KSTART_ROUTINE): void {
  for (let p: u32 = 0; p < MAXIMUM_PRIORITY; p++) InitializeListHead(queueOf(p));
  const idle = KeCreateThread(0, KiIdleRoutine, changetype<usize>(phase1), 0);
  if (idle == 0) KeBugCheckEx(PHASE0_INITIALIZATION_FAILED, 4, 0, 0, 0);
  changetype<KTHREAD>(idle).UniqueThread = 0;
  KiIdleThread = idle;
  KiNextThreadId = 4;
  KeLogFormat2("ke", "scheduler: %u priorities, quantum %u ticks; switching to the idle thread", MAXIMUM_PRIORITY, <u32>THREAD_QUANTUM);
  cli();
  const boot = memory.data(8);
  const t = changetype<KTHREAD>(idle);
  t.State = Running;
  KeCurrentThread = idle;
  if (KiProcessSwitch) KiSwapProcessContext(idle);
  swap_context(boot, t.SavedEsp, t.StackLimit); // the boot stack is left behind for good
}

// ---- chaos builds ----

/**
 * The chaos kernel's forced switch (kernel/ke/chaos.ts; the product kernel
 * never calls it, so none of it is in build/ntoskrnl.bin): the running thread
 * goes to the tail of its ready queue and the processor goes to ready thread
 * number `choice` (modulo their count, queues walked from priority 0 up),
 * whatever its priority, so a second thread runs the same code while the
 * first is stopped anywhere. A lower-priority choice runs until the next
 * scheduling event (an interrupt's end or KiCheckPreemption). The caller holds
 * the dispatcher lock. False when no other thread is ready.
 */
export function KiSwitchToAnyReadyThread(choice: u32): bool {
  const cur = KeCurrentThread;
  if (cur == 0 || cur == KiIdleThread || changetype<KTHREAD>(cur).State != Running) return false;
  let count: u32 = 0;
  for (let p: u32 = 0; p < MAXIMUM_PRIORITY; p++) {
    const head = queueOf(p);
    for (let e = load<usize>(head); e != head; e = load<usize>(e)) count++;
  }
  if (count == 0) return false;
  let k = choice % count;
  let target: usize = 0;
  for (let p: u32 = 0; p < MAXIMUM_PRIORITY && target == 0; p++) {
    const head = queueOf(p);
    for (let e = load<usize>(head); e != head; e = load<usize>(e)) {
      if (k == 0) { target = e - KTHREAD_READY_LINKS; break; }
      k--;
    }
  }
  const best = <u32>31 - clz<u32>(KiReadySummary);
  KiRemoveFromReadyQueue(target);
  KiReadyThread(cur);
  // KiSwapThread takes the head of the highest queue: the target goes there for this one pick
  // (its Priority is unchanged, so it goes back to its own queue when it is readied again).
  InsertHeadList(queueOf(MAXIMUM_PRIORITY - 1), target + KTHREAD_READY_LINKS);
  KiReadySummary |= 1 << (MAXIMUM_PRIORITY - 1);
  if (changetype<KTHREAD>(target).Priority < best || changetype<KTHREAD>(target).Priority < changetype<KTHREAD>(cur).Priority) KiDispatchPending = true;
  KiSwapThread();
  return true;
}
