// The debugger's process queries: `process`, `thread`, `handle`, `session`.
//
// Each walks PsActiveProcessHead (the processes that have not ended, System
// first, in creation order) from the debugger's interrupt routine: the
// dispatcher's lock (interrupts off) is held in effect, so the lists are
// whole. Nothing here waits, allocates or takes a reference.
//
//   process  [{pid, parent, session, name, threads, handles, basePriority, critical}]
//   thread   [{tid, pid, name, state, priority, basePriority, wait, waitObject, mode}]  (pid: one process)
//   handle   with pid: {pid, name, count, handles: [{handle, type, name, access}]}
//            without:  {processes: [{pid, name, handles}]}
//   session  {active, sessions: [{id, processes, pages, win32k, pids}]}

import {
  EPROCESS, EPROCESS_ACTIVE_LINKS, EPROCESS_THREAD_LIST, PS_PROCESS_FLAGS_CRITICAL, PsActiveProcessHead, PsImageFileName,
} from "../ps/psmain";
import {
  KTHREAD, KTHREAD_THREAD_LINKS, KeCurrentThread, Initialized, Ready, Running, Standby, Terminated, Waiting,
  EventNotificationObject, EventSynchronizationObject, MutantObject, ProcessObject, SemaphoreObject, ThreadObject,
  TimerNotificationObject, TimerSynchronizationObject,
} from "../ke/thread";
import { KWAIT_BLOCK } from "../ke/wait";
import { KeGetActiveSession, KeHasSessionServices } from "../ke/shadow";
import { MM_MAX_SESSIONS, MM_SESSION_SPACE, MmSessionLookup } from "../mm/session";
import { ObGetHandleCount } from "../ob/obhandle";
import { ObDebugHandleAccess, ObDebugHandleCapacity, ObDebugHandleObject, ObDebugTypeName } from "../ob/obdebug";
import {
  KdpBool, KdpComma, KdpDecimal, KdpError, KdpHex, KdpMember, KdpPut, KdpRaw, KdpRoom, KdpString, KdpStringAsciiz, KdpUnicodeString,
} from "./kdjson";
import { KdpWriteObjectName } from "./kdob";
import { KTRAP_FRAME } from "../sdk/context";

/** The interrupt frame the debugger's request came in on (kdinit.ts sets it): the running thread's mode. */
let KdpFrame: usize = 0;
export function KdpSetInterruptFrame(frame: usize): void { KdpFrame = frame; }

/** Ring 3 was running when the interrupt came. */
function KdpInterruptedUserMode(): bool {
  return KdpFrame != 0 && (changetype<KTRAP_FRAME>(KdpFrame).SegCs & 3) == 3;
}

/** Longest image name (EPROCESS.ImageFileName). */
const IMAGE_NAME_MAX: u32 = 16;
/** Lists stop this far from the end of the answer buffer (the rest closes it). */
const LIST_MARGIN: u32 = 600;
/** Processes walked at most (a damaged list cannot loop forever). */
const WALK_LIMIT: u32 = 4096;

/** The process with id `pid`, or 0. */
export function KdpFindProcess(pid: u32): usize {
  const head = PsActiveProcessHead;
  let n: u32 = 0;
  for (let e = load<usize>(head); e != head && e != 0 && n < WALK_LIMIT; e = load<usize>(e), n++) {
    const process = e - EPROCESS_ACTIVE_LINKS;
    if (changetype<EPROCESS>(process).UniqueProcessId == pid) return process;
  }
  return 0;
}

function KdpThreadCount(process: usize): u32 {
  const head = process + EPROCESS_THREAD_LIST;
  let n: u32 = 0;
  for (let e = load<usize>(head); e != head && e != 0 && n < WALK_LIMIT; e = load<usize>(e)) n++;
  return n;
}

function KdpHandleCount(process: usize): u32 {
  const table = changetype<EPROCESS>(process).ObjectTable;
  return table != 0 ? ObGetHandleCount(table) : 0;
}

/** `"pid":N,"name":"smss.exe"` (after a `{`). */
function KdpProcessIdentity(process: usize): void {
  KdpRaw("\"pid\":");
  KdpDecimal(changetype<EPROCESS>(process).UniqueProcessId);
  KdpMember("name");
  KdpStringAsciiz(PsImageFileName(process), IMAGE_NAME_MAX);
}

/** `"processes":[...]`: every process, all its members or (`full` false) its identity and handle count. */
function KdpWriteProcesses(full: bool): void {
  KdpMember("processes");
  KdpPut(0x5B);
  const head = PsActiveProcessHead;
  let index: u32 = 0;
  for (let e = load<usize>(head); e != head && e != 0 && index < WALK_LIMIT; e = load<usize>(e)) {
    if (KdpRoom() < LIST_MARGIN) break;
    const process = e - EPROCESS_ACTIVE_LINKS;
    const p = changetype<EPROCESS>(process);
    KdpComma(index++);
    KdpPut(0x7B);
    KdpProcessIdentity(process);
    if (full) {
      KdpMember("parent"); KdpDecimal(p.InheritedFromUniqueProcessId);
      KdpMember("session"); KdpDecimal(p.SessionId);
      KdpMember("threads"); KdpDecimal(KdpThreadCount(process));
    }
    KdpMember("handles"); KdpDecimal(KdpHandleCount(process));
    if (full) {
      KdpMember("basePriority"); KdpDecimal(p.BasePriority);
      KdpMember("critical"); KdpBool((p.Flags & PS_PROCESS_FLAGS_CRITICAL) != 0);
    }
    KdpPut(0x7D);
  }
  KdpPut(0x5D);
}

export function KdpQueryProcesses(): void {
  KdpWriteProcesses(true);
}

function KdpStateName(state: u32): string {
  if (state == Initialized) return "Initialized";
  if (state == Ready) return "Ready";
  if (state == Running) return "Running";
  if (state == Standby) return "Standby";
  if (state == Terminated) return "Terminated";
  if (state == Waiting) return "Waiting";
  return "Unknown";
}

function KdpDispatcherTypeName(type: u32): string {
  if (type == EventNotificationObject || type == EventSynchronizationObject) return "Event";
  if (type == MutantObject) return "Mutant";
  if (type == ProcessObject) return "Process";
  if (type == SemaphoreObject) return "Semaphore";
  if (type == ThreadObject) return "Thread";
  if (type == TimerNotificationObject || type == TimerSynchronizationObject) return "Timer";
  return "Unknown";
}

/** One thread: `{tid, pid, name, state, priority, basePriority, mode, wait, waitObject}`. */
function KdpWriteThread(thread: usize, process: usize): void {
  const t = changetype<KTHREAD>(thread);
  KdpPut(0x7B);
  KdpRaw("\"tid\":"); KdpDecimal(t.UniqueThread);
  KdpMember("pid"); KdpDecimal(changetype<EPROCESS>(process).UniqueProcessId);
  KdpMember("name"); KdpStringAsciiz(PsImageFileName(process), IMAGE_NAME_MAX);
  // The thread the debugger's interrupt came in on is the one running.
  KdpMember("state"); KdpString(thread == KeCurrentThread ? "Running" : KdpStateName(t.State));
  KdpMember("priority"); KdpDecimal(t.Priority);
  KdpMember("basePriority"); KdpDecimal(t.BasePriority);
  // The running thread's mode is where the interrupt came from; any other
  // thread's, the mode its last wait or system call was entered from.
  const user = thread == KeCurrentThread ? KdpInterruptedUserMode() : t.PreviousMode != 0;
  KdpMember("mode"); KdpString(user ? "User" : "Kernel");
  KdpMember("suspended"); KdpBool(t.SuspendCount != 0);
  // NT's KWAIT_REASON, as far as the wait tells it: a wait with no object
  // is a delay; a suspended thread waits for its resume; a wait entered
  // from user mode is a UserRequest, from the kernel an Executive one.
  KdpMember("wait");
  if (t.State != Waiting || thread == KeCurrentThread) KdpRaw("null");
  else if (t.SuspendCount != 0 || t.Parked != 0) KdpString("Suspended");
  else if (t.WaitCount == 0 || t.WaitBlockList == 0) KdpString("DelayExecution");
  else if (t.PreviousMode != 0) KdpString("UserRequest");
  else KdpString("Executive");
  KdpMember("waitObject");
  if (t.State == Waiting && thread != KeCurrentThread && t.WaitCount != 0 && t.WaitBlockList != 0) {
    const object = changetype<KWAIT_BLOCK>(t.WaitBlockList).Object;
    KdpString(object != 0 ? KdpDispatcherTypeName(load<u32>(object)) : "Unknown");
  } else KdpRaw("null");
  KdpMember("waitCount"); KdpDecimal(t.State == Waiting ? t.WaitCount : 0);
  KdpPut(0x7D);
}

export function KdpQueryThreads(onePid: bool, pid: u32): void {
  if (onePid && KdpFindProcess(pid) == 0) { KdpError("no process with that pid"); return; }
  KdpMember("threads");
  KdpPut(0x5B);
  const head = PsActiveProcessHead;
  let index: u32 = 0;
  let walked: u32 = 0;
  for (let e = load<usize>(head); e != head && e != 0 && walked < WALK_LIMIT; e = load<usize>(e), walked++) {
    const process = e - EPROCESS_ACTIVE_LINKS;
    if (onePid && changetype<EPROCESS>(process).UniqueProcessId != pid) continue;
    const threads = process + EPROCESS_THREAD_LIST;
    let n: u32 = 0;
    for (let t = load<usize>(threads); t != threads && t != 0 && n < WALK_LIMIT; t = load<usize>(t), n++) {
      if (KdpRoom() < LIST_MARGIN) break;
      KdpComma(index++);
      KdpWriteThread(t - KTHREAD_THREAD_LINKS, process);
    }
  }
  KdpPut(0x5D);
}

export function KdpQueryHandles(onePid: bool, pid: u32): void {
  if (!onePid) { KdpWriteProcesses(false); return; }
  const process = KdpFindProcess(pid);
  if (process == 0) { KdpError("no process with that pid"); return; }
  KdpMember("process");
  KdpPut(0x7B);
  KdpProcessIdentity(process);
  KdpPut(0x7D);
  KdpMember("count"); KdpDecimal(KdpHandleCount(process));
  KdpMember("handles");
  KdpPut(0x5B);
  const table = changetype<EPROCESS>(process).ObjectTable;
  const capacity = ObDebugHandleCapacity(table);
  let index: u32 = 0;
  for (let i: u32 = 1; i < capacity; i++) {
    const object = ObDebugHandleObject(table, i);
    if (object == 0) continue;
    if (KdpRoom() < LIST_MARGIN) break;
    KdpComma(index++);
    KdpPut(0x7B);
    KdpRaw("\"handle\":"); KdpDecimal(i << 2);
    KdpMember("type"); KdpUnicodeString(ObDebugTypeName(object));
    KdpMember("name"); KdpWriteObjectName(object);
    KdpMember("access"); KdpHex(ObDebugHandleAccess(table, i));
    KdpPut(0x7D);
  }
  KdpPut(0x5D);
}

export function KdpQuerySessions(): void {
  KdpMember("active"); KdpDecimal(KeGetActiveSession());
  KdpMember("sessions");
  KdpPut(0x5B);
  let index: u32 = 0;
  for (let id: u32 = 0; id < MM_MAX_SESSIONS; id++) {
    const session = MmSessionLookup(id);
    if (session == 0) continue;
    const s = changetype<MM_SESSION_SPACE>(session);
    KdpComma(index++);
    KdpPut(0x7B);
    KdpRaw("\"id\":"); KdpDecimal(id);
    KdpMember("processes"); KdpDecimal(s.ProcessCount);
    KdpMember("pages"); KdpDecimal(s.MappedPages);
    KdpMember("win32k"); KdpBool(KeHasSessionServices(id));
    KdpMember("pids");
    KdpPut(0x5B);
    const head = PsActiveProcessHead;
    let k: u32 = 0;
    let walked: u32 = 0;
    for (let e = load<usize>(head); e != head && e != 0 && walked < WALK_LIMIT; e = load<usize>(e), walked++) {
      const p = changetype<EPROCESS>(e - EPROCESS_ACTIVE_LINKS);
      if (p.Session != session) continue;
      KdpComma(k++);
      KdpDecimal(p.UniqueProcessId);
    }
    KdpPut(0x5D);
    KdpPut(0x7D);
  }
  KdpPut(0x5D);
}
