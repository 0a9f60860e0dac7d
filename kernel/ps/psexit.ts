// How threads and processes end.
//
// A thread ends on its own stack (PspExitThread): asked to by another thread
// (KeRequestTermination), it does so at its next return to user mode
// (ke/trap.ts calls it there, through KeSetExitThreadRoutine). The last thread of a process
// ends the process (PspProcessEnded): its handles closed, its address space
// and regions freed, off the active list, signalled. A process that never had
// a thread ends from the terminating thread (PspEndProcessWithoutThreads).
// A user-mode exception nobody handles ends its process too
// (PspUnhandledUserException, which Ke calls through the routines
// PsInitializeExceptionRoutines registers). The shutdown's end of every
// process is in psshutdown.ts.

import { SeForgetThreadSecurity } from "../se/threadsd";
import { MmLockAddressSpace, MmUnlockAddressSpace } from "../mm/aslock";
import { KeSetUserExceptionRoutines } from "../ke/except";
import { KeSetExitThreadRoutine } from "../ke/trap";
import { KeBugCheckEx, CRITICAL_OBJECT_TERMINATION, CRITICAL_PROCESS_DIED } from "../ke/bugcheck";
import { KeLogBegin, KeLogCharacter, KeLogDecimal, KeLogEnd, KeLogHex, KeLogString } from "../ke/log";
import {
  KTHREAD, KeCurrentThread, KeForEachThread, KeRequestTermination, KeTerminateThread, KeAcquireDispatcherLock, KeReleaseDispatcherLock,
} from "../ke/thread";
import { KeSignalObject } from "../ke/wait";
import { MmDeleteProcessAddressSpace, MmKernelDirectory, MmSwitchAddressSpace } from "../mm/procmm";
import { MmDeleteVads } from "../mm/virtual";
import { ObDestroyHandleTable } from "../ob/obhandle";
import { LpcExitThread } from "../lpc/lpcp";
import { RemoveEntryList } from "../sdk/list";
import { cli } from "../sdk/intrinsics";
import { STATUS_ACCESS_VIOLATION } from "../sdk/ntstatus";
import { PsUserExceptionDispatcher } from "./psdll";
import { PspSessionRemoveProcess } from "./pssession";
import {
  EPROCESS, EPROCESS_ACTIVE_LINKS, EPROCESS_THREAD_LIST, EPROCESS_VAD_LIST, PS_CROSS_THREAD_FLAGS_BREAK_ON_TERMINATION,
  PS_PROCESS_FLAGS_CRITICAL, PsGetCurrentProcess, PsImageFileName, PspDereferenceProcess, PspFreeTeb, PspLogShortName,
  PspRemoveActiveProcess, PSP_PROCESS_EXITED,
} from "./psmain";

/** The current process's KiUserExceptionDispatcher (psdll.ts), for Ke. */
function PspCurrentUserDispatcher(): usize { return PsUserExceptionDispatcher(PsGetCurrentProcess()); }
function PspCurrentProcessId(): u32 { return changetype<EPROCESS>(PsGetCurrentProcess()).UniqueProcessId; }

/** Phase 1, beside PsInitializeSystem: what Ke calls on a user-mode exception (ke/except.ts). */
export function PsInitializeExceptionRoutines(): void {
  KeSetUserExceptionRoutines(PspCurrentUserDispatcher, PspUnhandledUserException, PspCurrentProcessId);
  KeSetExitThreadRoutine(PspExitThread); // a thread asked to end ends at its next return to user mode (ke/trap.ts)
}

/** CRITICAL_OBJECT_TERMINATION's first parameter for a thread: the object's dispatcher type (ThreadObject). */
const CRITICAL_THREAD_OBJECT_TYPE: u32 = 6;


/** Ends the current thread; the last thread of a process ends the process. Never returns. */
export function PspExitThread(status: u32): void {
  const thread = KeCurrentThread;
  if ((changetype<KTHREAD>(thread).CrossThreadFlags & PS_CROSS_THREAD_FLAGS_BREAK_ON_TERMINATION) != 0) PspCriticalThreadExited(thread, status);
  LpcExitThread(thread); // LPC_CLIENT_DIED to its terminate ports, while its process's handles are still open
  SeForgetThreadSecurity(thread, changetype<KTHREAD>(thread).UniqueThread); // its own descriptor, if it was given one
  const process = changetype<KTHREAD>(thread).Process;
  if (process != 0) PspFreeTeb(process, changetype<KTHREAD>(thread).Teb);
  if (process != 0) {
    const p = changetype<EPROCESS>(process);
    const f = KeAcquireDispatcherLock();
    p.ActiveThreads--;
    const last = p.ActiveThreads == 0;
    KeReleaseDispatcherLock(f);
    if (last) PspProcessEnded(process, status);
  }
  KeTerminateThread(status);
}

/**
 * A critical thread ended (NT's PspCatchCriticalBreak): one log line, then
 * CRITICAL_OBJECT_TERMINATION (6 = a thread, the thread, its process's
 * image name, 0).
 */
function PspCriticalThreadExited(thread: usize, status: u32): void {
  const process = changetype<KTHREAD>(thread).Process;
  KeLogBegin("ps");
  KeLogString("critical thread ");
  KeLogDecimal(changetype<KTHREAD>(thread).UniqueThread);
  if (process != 0) {
    KeLogString(" (in ");
    PspLogShortName(process);
    KeLogCharacter(0x29);
  }
  KeLogString(" exited with status ");
  KeLogHex(status);
  KeLogEnd();
  KeBugCheckEx(CRITICAL_OBJECT_TERMINATION, CRITICAL_THREAD_OBJECT_TYPE, <u32>thread, process != 0 ? <u32>PsImageFileName(process) : 0, 0);
}

function PspProcessEnded(process: usize, status: u32): void {
  const p = changetype<EPROCESS>(process);
  if (!PspMarkProcessExited(process)) return; // ended already, threadless (PspEndProcessWithoutThreads)
  if (p.ExitStatus == 0 || p.ExitStatus == 0x103) p.ExitStatus = status;
  KeLogBegin("ps");
  KeLogString("process ");
  KeLogDecimal(p.UniqueProcessId);
  KeLogString(" (");
  PspLogShortName(process);
  KeLogString(") exited with status ");
  KeLogHex(p.ExitStatus);
  KeLogEnd();
  if ((p.Flags & PS_PROCESS_FLAGS_CRITICAL) != 0) KeBugCheckEx(CRITICAL_PROCESS_DIED, <u32>process, 0, 0, 0);
  // Every handle it still has is closed (objects lose their references), then
  // off its address space for good and free it (the kernel half is all this thread needs).
  const table = p.ObjectTable;
  p.ObjectTable = 0;
  if (table != 0) ObDestroyHandleTable(table);
  PspSessionRemoveProcess(process, p.DirectoryTableBase); // the session ends with its last process
  MmLockAddressSpace(); // a copy of this process made by another (NtCreateProcessEx) may be walking its regions
  cli();
  changetype<KTHREAD>(KeCurrentThread).Teb = 0;
  MmSwitchAddressSpace(MmKernelDirectory);
  const pd = p.DirectoryTableBase;
  p.DirectoryTableBase = MmKernelDirectory;
  MmDeleteProcessAddressSpace(pd);
  MmDeleteVads(process + EPROCESS_VAD_LIST);
  MmUnlockAddressSpace();
  RemoveEntryList(process + EPROCESS_ACTIVE_LINKS);
  KeSignalObject(process);
  PspDereferenceProcess(process); // no longer alive (threads and handles may still hold it)
}


/** Marks a process ended; false when it already was (its teardown must not run twice). */
function PspMarkProcessExited(process: usize): bool {
  const p = changetype<EPROCESS>(process);
  const f = KeAcquireDispatcherLock();
  const first = (p.Flags & PSP_PROCESS_EXITED) == 0;
  p.Flags |= PSP_PROCESS_EXITED;
  KeReleaseDispatcherLock(f);
  return first;
}

/**
 * NtTerminateProcess of a process that has no thread (NtCreateProcess made
 * it and nobody gave it one): no last thread will end it, so it ends here,
 * from the terminating thread -- its handles closed, its address space and
 * regions freed, off the active list, signalled, no longer alive -- as NT
 * ends it. Without this, every such process stayed for ever (leaks.test.ts
 * saw 8 pool blocks and 15 pages go per process). False when it has threads:
 * the last of them ends it.
 */
export function PspEndProcessWithoutThreads(process: usize, status: u32): bool {
  const p = changetype<EPROCESS>(process);
  const f = KeAcquireDispatcherLock();
  const alone = p.ActiveThreads == 0 && (p.Flags & PSP_PROCESS_EXITED) == 0 && p.DirectoryTableBase != 0 && p.DirectoryTableBase != MmKernelDirectory;
  if (alone) p.Flags |= PSP_PROCESS_EXITED;
  KeReleaseDispatcherLock(f);
  if (!alone) return false;
  p.ExitStatus = status;
  KeLogBegin("ps");
  KeLogString("process ");
  KeLogDecimal(p.UniqueProcessId);
  KeLogString(" (");
  PspLogShortName(process);
  KeLogString(") ended before any thread ran, status ");
  KeLogHex(status);
  KeLogEnd();
  if ((p.Flags & PS_PROCESS_FLAGS_CRITICAL) != 0) KeBugCheckEx(CRITICAL_PROCESS_DIED, <u32>process, 0, 0, 0);
  const table = p.ObjectTable;
  p.ObjectTable = 0;
  if (table != 0) ObDestroyHandleTable(table);
  const pd = p.DirectoryTableBase;
  PspSessionRemoveProcess(process, pd);
  MmLockAddressSpace();
  p.DirectoryTableBase = MmKernelDirectory; // never current: the caller runs in its own space
  MmDeleteProcessAddressSpace(pd);
  MmDeleteVads(process + EPROCESS_VAD_LIST);
  MmUnlockAddressSpace();
  PspRemoveActiveProcess(process);
  KeSignalObject(process);
  PspDereferenceProcess(process); // no longer alive (handles may still hold it)
  return true;
}

/** A user-mode exception nobody handles: log it and end the process with its status. */
function PspUnhandledUserException(status: u32, eip: u32, address: u32, what: string): void {
  const process = PsGetCurrentProcess();
  const p = changetype<EPROCESS>(process);
  KeLogBegin("ps");
  KeLogString("process ");
  KeLogDecimal(p.UniqueProcessId);
  KeLogString(" (");
  PspLogShortName(process);
  KeLogString("): unhandled exception ");
  KeLogHex(status);
  KeLogString(" (");
  KeLogString(what);
  KeLogString(") at ");
  KeLogHex(eip);
  if (status == STATUS_ACCESS_VIOLATION) { KeLogString(", address "); KeLogHex(address); }
  KeLogEnd();
  PspTerminateProcess(process, status);
}

/**
 * Ends every thread of `process`: the others when they next return to user
 * mode (the last one to go ends the process), the current one now.
 */
export function PspTerminateProcess(process: usize, status: u32): void {
  const p = changetype<EPROCESS>(process);
  p.ExitStatus = status;
  KeForEachThread(process + EPROCESS_THREAD_LIST, PspAskToEnd, status);
  if (changetype<KTHREAD>(KeCurrentThread).Process == process) PspExitThread(status);
}

/** KeForEachThread's visit: asks `thread` (but not the caller) to end with `status`. */
export function PspAskToEnd(thread: usize, status: usize): void {
  if (thread != KeCurrentThread) KeRequestTermination(thread, <u32>status);
}
