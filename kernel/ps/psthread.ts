// Threads as objects: the "Thread" object type and the thread services
// (NtCreateThread, NtResumeThread, NtSuspendThread, NtTerminateThread with a
// handle, NtQueryInformationThread with a handle), in the current process.
//
// A Thread object's body holds a reference to the KTHREAD (threads live in
// pool, see ke/thread.ts); waits on a Thread handle wait on the KTHREAD,
// which is signalled when the thread ends. NtCurrentThread (-2) resolves to
// the running thread's object, made on first use.
//
// NtCreateThread takes NT's arguments: the new thread starts in ring 3 at
// CONTEXT.Eip with CONTEXT.Esp (and the integer registers of the CONTEXT),
// with its own TEB whose stack fields come from the INITIAL_TEB.

import { CONTEXT, KTRAP_FRAME } from "../sdk/context";
import { INITIAL_TEB, TEB } from "../sdk/peb";
import { CLIENT_ID } from "../sdk/ntdef";
import { KeLogBegin, KeLogDecimal, KeLogEnd, KeLogString } from "../ke/log";
import { SeSinglePrivilegeCheck } from "../se/token";
import { SE_DEBUG_PRIVILEGE } from "../se/tokenobj";
import {
  KTHREAD, KeCreateThread, KeCurrentThread, KeDereferenceThread, KeReadyThread, KeReferenceThread, KeResumeThread,
  KeSuspendThread, KeRequestTermination, KeDeleteUnstartedThread, KeSetPriorityThread, KTHREAD_SERVICE_SCRATCH, KTHREAD_THREAD_LINKS, KiLockDispatcher, KiUnlockDispatcher, Terminated,
} from "../ke/thread";
import { ProbeForRead, ProbeForWrite } from "../ke/probe";
import { KeBugCheckEx } from "../ke/bugcheck";
import { ObCreateObject, ObCreateObjectType, ObInitializeTypeInitializer } from "../ob/obcreate";
import { ObInsertObject } from "../ob/obname";
import { ObReferenceObjectByHandle, ObSetPseudoHandleResolver } from "../ob/obhandle";
import { ObDereferenceObject, ObReferenceObject } from "../ob/obref";
import { OBJECT_TYPE_INITIALIZER, SYNCHRONIZE, STANDARD_RIGHTS_REQUIRED, READ_CONTROL } from "../ob/obp";
import { RtlInitUnicodeString } from "../rtl/unicode";
import { ExCaptureObjectAttributes, ExProbeHandle, ExReleaseObjectAttributes } from "../ex/capture";
import { ExRegisterIndirectWaitableType } from "../ex/sync";
import { MmCommitUserPages, MmCopyToUser, MmUserPageFrame } from "../mm/procmm";
import { MmPageToVirtual } from "../mm/pfn";
import { MiInsertVad } from "../mm/virtual";
import {
  EPROCESS, EPROCESS_THREAD_LIST, EPROCESS_VAD_LIST, PS_CROSS_THREAD_FLAGS_BREAK_ON_TERMINATION, PsGetCurrentProcess, PspAllocateTeb, PspAttachThreadToProcess, PspFreeTeb, PspExitThread, PspStartUserThread, PEB_ADDRESS,
} from "./psmain";
import { InsertTailList } from "../sdk/list";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { PspSystemDllStart } from "./psdll";
import { KeGetContextThread, KeSetContextThread, KeUserTrapFrame } from "../ke/except";
import { PspResolveCurrentProcess, PsProcessFromHandle, PsProcessHandleStatus, PsReleaseProcessFromHandle } from "./psprocess";
import { PsActiveProcessHead, EPROCESS_ACTIVE_LINKS } from "./psmain";
import {
  STATUS_ACCESS_VIOLATION, STATUS_INFO_LENGTH_MISMATCH, STATUS_INSUFFICIENT_RESOURCES,
  STATUS_INVALID_CID, STATUS_INVALID_HANDLE, STATUS_INVALID_INFO_CLASS, STATUS_INVALID_PARAMETER,
  STATUS_PENDING, STATUS_PRIVILEGE_NOT_HELD, STATUS_SUCCESS, STATUS_THREAD_IS_TERMINATING,
} from "../sdk/ntstatus";
import { MEM_PRIVATE, MM_USER_PROBE_ADDRESS, NtCurrentThread, PAGE_READWRITE } from "../sdk/ntdef";
import { TEB_DEALLOCATION_STACK, TEB_SIZE } from "../sdk/peb";

const PROCESS_CREATE_THREAD: u32 = 0x0002;

/** NtOpenThread(ThreadHandle, DesiredAccess, ObjectAttributes, ClientId): by thread id (and process id, when given). */
export function NtOpenThread(handle: usize, access: u32, objectAttributes: usize, clientId: usize): u32 {
  if (!ExProbeHandle(handle)) return STATUS_ACCESS_VIOLATION;
  if (clientId == 0) return STATUS_INVALID_PARAMETER;
  if (!ProbeForRead(clientId, 8, 4)) return STATUS_ACCESS_VIOLATION;
  const pid = load<u32>(clientId), tid = load<u32>(clientId, 4);
  let thread: usize = 0;
  for (let e = load<usize>(PsActiveProcessHead); e != PsActiveProcessHead && thread == 0; e = load<usize>(e)) {
    const process = e - EPROCESS_ACTIVE_LINKS;
    if (pid != 0 && changetype<EPROCESS>(process).UniqueProcessId != pid) continue;
    const head = process + EPROCESS_THREAD_LIST;
    for (let t = load<usize>(head); t != head; t = load<usize>(t)) {
      if (changetype<KTHREAD>(t - KTHREAD_THREAD_LINKS).UniqueThread == tid) { thread = t - KTHREAD_THREAD_LINKS; break; }
    }
  }
  if (thread == 0) return STATUS_INVALID_CID;
  const s = scratch();
  let status = ExCaptureObjectAttributes(objectAttributes, s);
  if (status != STATUS_SUCCESS) return status;
  status = PspCreateThreadObject(thread, load<usize>(s), s + 8);
  if (status == STATUS_SUCCESS) {
    status = ObInsertObject(load<usize>(s, 8), access, s + 12);
    if (status == STATUS_SUCCESS) store<u32>(handle, load<u32>(s, 12));
  }
  ExReleaseObjectAttributes(s);
  return status;
}


export const THREAD_TERMINATE: u32 = 0x0001;
export const THREAD_SUSPEND_RESUME: u32 = 0x0002;
export const THREAD_QUERY_INFORMATION: u32 = 0x0040;
export const THREAD_ALL_ACCESS: u32 = STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x3FF;
/** sizeof(CONTEXT) and sizeof(INITIAL_TEB): what a service probes. */
const CONTEXT_SIZE: u32 = <u32>offsetof<CONTEXT>();
const INITIAL_TEB_SIZE: u32 = <u32>offsetof<INITIAL_TEB>();

export let PsThreadType: usize = 0;

/** The Thread object's body: +0 the KTHREAD (one reference held). */
function PspDeleteThreadObject(object: usize): void {
  const thread = load<usize>(object);
  if (thread == 0) return;
  const t = changetype<KTHREAD>(thread);
  if (t.ObjectWrapper == object) t.ObjectWrapper = 0;
  KeDereferenceThread(thread);
}

const TypeName = memory.data(8, 4);
const TypeInit = memory.data(128, 4);
const TypeOut = memory.data(4, 4);

/** Phase 1: the Thread type, and the resolver of NtCurrentThread. */
export function PsInitializeThreadType(): void {
  ObInitializeTypeInitializer(TypeInit, READ_CONTROL | THREAD_QUERY_INFORMATION, READ_CONTROL | THREAD_TERMINATE | THREAD_SUSPEND_RESUME,
    READ_CONTROL | SYNCHRONIZE, THREAD_ALL_ACCESS, THREAD_ALL_ACCESS, 4);
  const info = changetype<OBJECT_TYPE_INITIALIZER>(TypeInit);
  info.PoolTag = 0x65726854; // 'Thre'
  info.DeleteProcedure = PspDeleteThreadObject;
  RtlInitUnicodeString(TypeName, "Thread");
  const status = ObCreateObjectType(TypeName, TypeInit, TypeOut);
  if (status != STATUS_SUCCESS) KeBugCheckEx(0x5E, 11, status, 0, 0);
  PsThreadType = load<usize>(TypeOut);
  ExRegisterIndirectWaitableType(PsThreadType);
  ObSetPseudoHandleResolver(PspResolvePseudoHandle);
}

/** A Thread object for `thread` (new, with one reference), or 0. */
function PspCreateThreadObject(thread: usize, objectAttributes: usize, out: usize): u32 {
  const status = ObCreateObject(PsThreadType, objectAttributes, 4, out);
  if (status != STATUS_SUCCESS) return status;
  const object = load<usize>(out);
  KeReferenceThread(thread);
  store<usize>(object, thread);
  if (changetype<KTHREAD>(thread).ObjectWrapper == 0) changetype<KTHREAD>(thread).ObjectWrapper = object;
  return STATUS_SUCCESS;
}

/** NtCurrentThread (-2): the running thread's object; NtCurrentProcess is not an object yet. */
function PspResolvePseudoHandle(handle: u32, access: u32, type: usize, object: usize, info: usize): u32 {
  if (handle == 0xFFFFFFFF) return PspResolveCurrentProcess(access, type, object);
  if (handle != NtCurrentThread) return STATUS_INVALID_HANDLE;
  if (type != 0 && type != PsThreadType) return 0xC0000024; // STATUS_OBJECT_TYPE_MISMATCH
  const t = changetype<KTHREAD>(KeCurrentThread);
  if (t.ObjectWrapper != 0) { ObReferenceObject(t.ObjectWrapper); store<usize>(object, t.ObjectWrapper); return STATUS_SUCCESS; }
  return PspCreateThreadObject(KeCurrentThread, 0, object);
}

@inline function scratch(): usize { return KeCurrentThread + KTHREAD_SERVICE_SCRATCH; }

/** The KTHREAD behind a handle (referenced: drop it with ObDereferenceObject(object at scratch+8)), 0 with the status at scratch+24. */
function PspThreadFromHandle(handle: u32, access: u32): usize {
  const s = scratch();
  const status = ObReferenceObjectByHandle(handle, access, PsThreadType, s + 8, 0);
  store<u32>(s, status, 24);
  return status == STATUS_SUCCESS ? load<usize>(load<usize>(s, 8)) : 0;
}

/**
 * NtCreateThread(ThreadHandle, DesiredAccess, ObjectAttributes, ProcessHandle (-1),
 * ClientId optional, ThreadContext, InitialTeb, CreateSuspended).
 */
export function NtCreateThread(handle: usize, access: u32, objectAttributes: usize, processHandle: u32, clientId: usize,
                               context: usize, initialTeb: usize, createSuspended: u32): u32 {
  if (!ExProbeHandle(handle)) return STATUS_ACCESS_VIOLATION;
  if (clientId != 0 && !ProbeForWrite(clientId, 8, 4)) return STATUS_ACCESS_VIOLATION;
  if (!ProbeForRead(context, CONTEXT_SIZE, 4) || !ProbeForRead(initialTeb, INITIAL_TEB_SIZE, 4)) return STATUS_ACCESS_VIOLATION;
  const process = PsProcessFromHandle(processHandle, PROCESS_CREATE_THREAD);
  if (process == 0) return PsProcessHandleStatus();
  PsReleaseProcessFromHandle(); // the caller's handle keeps it
  const p = changetype<EPROCESS>(process);
  if (p.DirectoryTableBase == 0 || p.Peb == 0) return STATUS_INVALID_HANDLE; // the System process has no user half
  // Capture what is read: registers and the stack.
  const ctx = changetype<CONTEXT>(context), stack = changetype<INITIAL_TEB>(initialTeb);
  const eip = ctx.Eip, esp = ctx.Esp;
  const stackBase = stack.StackBase, stackLimit = stack.StackLimit, allocationBase = stack.AllocatedStackBase;
  if (eip >= MM_USER_PROBE_ADDRESS || esp >= MM_USER_PROBE_ADDRESS || stackBase >= MM_USER_PROBE_ADDRESS) return STATUS_INVALID_PARAMETER;
  // A TEB page for it.
  const teb = PspAllocateTeb(process);
  if (teb == 0) return STATUS_INSUFFICIENT_RESOURCES;
  // A page used by an earlier thread is reused: cleared first; a new one is committed and recorded.
  const tebFrame = MmUserPageFrame(p.DirectoryTableBase, teb);
  if (tebFrame != 0) memory.fill(MmPageToVirtual(tebFrame), 0, TEB_SIZE);
  else {
    if (!MmCommitUserPages(p.DirectoryTableBase, teb, TEB_SIZE, true)) { PspFreeTeb(process, teb); return STATUS_INSUFFICIENT_RESOURCES; }
    MiInsertVad(process + EPROCESS_VAD_LIST, teb, teb + TEB_SIZE, PAGE_READWRITE, MEM_PRIVATE);
  }
  // With ntdll.dll in the process, the thread enters LdrInitializeThunk(Context, NtdllBase) first (psdll.ts).
  let startEip: usize = eip, startEsp: usize = esp;
  if (p.SystemDllBase != 0) {
    const copy = ExAllocatePoolWithTag(NonPagedPool, CONTEXT_SIZE, 0x78746E43); // 'Cntx'
    if (copy == 0) { PspFreeTeb(process, teb); return STATUS_INSUFFICIENT_RESOURCES; }
    memory.copy(copy, context, CONTEXT_SIZE);
    const newEsp = memory.data(4, 4);
    const thunk = PspSystemDllStart(process, copy, esp, newEsp);
    ExFreePoolWithTag(copy, 0x78746E43);
    if (thunk == 0) { PspFreeTeb(process, teb); return STATUS_ACCESS_VIOLATION; } // its stack cannot take the context
    startEip = thunk;
    startEsp = load<usize>(newEsp);
  }
  const thread = KeCreateThread(process, changetype<(c: usize) => void>(0), 0, changetype<KTHREAD>(KeCurrentThread).Priority);
  if (thread == 0) { PspFreeTeb(process, teb); return STATUS_INSUFFICIENT_RESOURCES; }
  PspAttachThreadToProcess(thread, process);
  const t = changetype<KTHREAD>(thread);
  const block = memory.data(64, 4);
  memory.fill(block, 0, 64);
  const head = changetype<TEB>(block); // the TEB's first fields, built here and copied into the new process
  head.NtTib_ExceptionList = 0xFFFFFFFF; // end of the exception handler chain
  head.NtTib_StackBase = stackBase;
  head.NtTib_StackLimit = stackLimit;
  head.NtTib_Self = teb;
  head.ClientId_UniqueProcess = p.UniqueProcessId;
  head.ClientId_UniqueThread = t.UniqueThread;
  head.ProcessEnvironmentBlock = PEB_ADDRESS;
  MmCopyToUser(p.DirectoryTableBase, teb, block, offsetof<TEB>("LastErrorValue"));
  // DeallocationStack: the stack's reservation, down to which it may grow (MmGrowUserStack); without one, it cannot.
  store<u32>(block, allocationBase != 0 && allocationBase < stackLimit ? allocationBase : stackLimit);
  MmCopyToUser(p.DirectoryTableBase, teb + TEB_DEALLOCATION_STACK, block, 4);
  t.Teb = teb;
  PspStartUserThread(thread, startEip, startEsp);
  const frame = changetype<KTRAP_FRAME>(t.TrapFrame);
  frame.Edi = ctx.Edi;
  frame.Esi = ctx.Esi;
  frame.Ebp = ctx.Ebp;
  frame.Ebx = ctx.Ebx;
  frame.Edx = ctx.Edx;
  frame.Ecx = ctx.Ecx;
  frame.Eax = ctx.Eax;
  if ((createSuspended & 0xFF) != 0) t.SuspendCount = 1;
  // The handle, before the thread can run.
  const s = scratch();
  let status = ExCaptureObjectAttributes(objectAttributes, s);
  if (status == STATUS_SUCCESS) {
    status = PspCreateThreadObject(thread, load<usize>(s), s + 8);
    if (status == STATUS_SUCCESS) status = ObInsertObject(load<usize>(s, 8), access, s + 12);
    ExReleaseObjectAttributes(s);
  }
  if (status != STATUS_SUCCESS) {
    // Never ran: give it back.
    PspFreeTeb(process, teb);
    KeDeleteUnstartedThread(thread);
    return status;
  }
  const f = KiLockDispatcher();
  InsertTailList(process + EPROCESS_THREAD_LIST, thread + KTHREAD_THREAD_LINKS);
  p.ActiveThreads++;
  KiUnlockDispatcher(f);
  store<u32>(handle, load<u32>(s, 12));
  if (clientId != 0) { changetype<CLIENT_ID>(clientId).UniqueProcess = p.UniqueProcessId; changetype<CLIENT_ID>(clientId).UniqueThread = t.UniqueThread; }
  KeReadyThread(thread); // parked instead while suspended
  KeDereferenceThread(thread); // the creator's: the object and the process keep it
  return STATUS_SUCCESS;
}

/** NtResumeThread(ThreadHandle, PreviousSuspendCount optional). */
export function NtResumeThread(handle: u32, previous: usize): u32 {
  if (previous != 0 && !ProbeForWrite(previous, 4, 4)) return STATUS_ACCESS_VIOLATION;
  const thread = PspThreadFromHandle(handle, THREAD_SUSPEND_RESUME);
  if (thread == 0) return load<u32>(scratch(), 24);
  const object = load<usize>(scratch(), 8);
  const count = KeResumeThread(thread);
  ObDereferenceObject(object);
  if (previous != 0) store<u32>(previous, count);
  return STATUS_SUCCESS;
}

/** NtSuspendThread(ThreadHandle, PreviousSuspendCount optional). */
export function NtSuspendThread(handle: u32, previous: usize): u32 {
  if (previous != 0 && !ProbeForWrite(previous, 4, 4)) return STATUS_ACCESS_VIOLATION;
  const thread = PspThreadFromHandle(handle, THREAD_SUSPEND_RESUME);
  if (thread == 0) return load<u32>(scratch(), 24);
  const object = load<usize>(scratch(), 8);
  if (changetype<KTHREAD>(thread).State == Terminated) { ObDereferenceObject(object); return STATUS_THREAD_IS_TERMINATING; }
  ObDereferenceObject(object);
  const count = KeSuspendThread(thread);
  if (previous != 0) store<u32>(previous, count);
  return STATUS_SUCCESS;
}

/** NtTerminateThread(ThreadHandle (0 or -2: the caller), ExitStatus). */
export function NtTerminateThread(handle: u32, status: u32): u32 {
  if (handle == 0 || handle == NtCurrentThread) { PspExitThread(status); return STATUS_SUCCESS; }
  const thread = PspThreadFromHandle(handle, THREAD_TERMINATE);
  if (thread == 0) return load<u32>(scratch(), 24);
  const object = load<usize>(scratch(), 8);
  if (thread == KeCurrentThread) { ObDereferenceObject(object); PspExitThread(status); }
  KeRequestTermination(thread, status);
  ObDereferenceObject(object);
  return STATUS_SUCCESS;
}

/**
 * NtQueryInformationThread(ThreadHandle, ThreadBasicInformation, Buffer, 28, ReturnLength):
 * ExitStatus (STATUS_PENDING while it runs), TebBaseAddress, ClientId, AffinityMask, Priority, BasePriority.
 */
export function NtQueryInformationThread(handle: u32, infoClass: u32, buffer: usize, length: u32, returnLength: usize): u32 {
  if (infoClass == ThreadBreakOnTermination) {
    if (length != 4) return STATUS_INFO_LENGTH_MISMATCH;
    if (!ProbeForWrite(buffer, 4, 4) || (returnLength != 0 && !ProbeForWrite(returnLength, 4, 4))) return STATUS_ACCESS_VIOLATION;
    const thread = PspThreadFromHandle(handle, THREAD_QUERY_INFORMATION);
    if (thread == 0) return load<u32>(scratch(), 24);
    store<u32>(buffer, (changetype<KTHREAD>(thread).CrossThreadFlags & PS_CROSS_THREAD_FLAGS_BREAK_ON_TERMINATION) != 0 ? 1 : 0);
    ObDereferenceObject(load<usize>(scratch(), 8));
    if (returnLength != 0) store<u32>(returnLength, 4);
    return STATUS_SUCCESS;
  }
  if (infoClass != 0) return STATUS_INVALID_INFO_CLASS;
  if (length != 28) return STATUS_INFO_LENGTH_MISMATCH;
  if (!ProbeForWrite(buffer, 28, 4) || (returnLength != 0 && !ProbeForWrite(returnLength, 4, 4))) return STATUS_ACCESS_VIOLATION;
  const thread = PspThreadFromHandle(handle, THREAD_QUERY_INFORMATION);
  if (thread == 0) return load<u32>(scratch(), 24);
  const object = load<usize>(scratch(), 8);
  const t = changetype<KTHREAD>(thread);
  const process = t.Process;
  store<u32>(buffer, t.State == Terminated ? t.ExitStatus : STATUS_PENDING);
  store<u32>(buffer, <u32>t.Teb, 4);
  store<u32>(buffer, process != 0 ? changetype<EPROCESS>(process).UniqueProcessId : 4, 8);
  store<u32>(buffer, t.UniqueThread, 12);
  store<u32>(buffer, 1, 16);
  store<u32>(buffer, t.Priority, 20);
  store<u32>(buffer, t.BasePriority, 24);
  ObDereferenceObject(object);
  if (returnLength != 0) store<u32>(returnLength, 28);
  return STATUS_SUCCESS;
}


export const ThreadPriority: u32 = 2;
export const ThreadHideFromDebugger: u32 = 17;
/** ULONG: non-zero = critical; its end stops the system (CRITICAL_OBJECT_TERMINATION). Setting it needs SeDebugPrivilege. */
export const ThreadBreakOnTermination: u32 = 18;
const THREAD_SET_INFORMATION: u32 = 0x0020;

/**
 * NtSetInformationThread(ThreadHandle, ThreadInformationClass, Buffer, Length):
 * ThreadPriority (a KPRIORITY, 1-31), ThreadHideFromDebugger (no buffer;
 * there is no debugger to hide from) and ThreadBreakOnTermination (a ULONG).
 */
export function NtSetInformationThread(handle: u32, infoClass: u32, buffer: usize, length: u32): u32 {
  if (infoClass == ThreadHideFromDebugger) {
    if (length != 0) return STATUS_INFO_LENGTH_MISMATCH;
    const thread = PspThreadFromHandle(handle, THREAD_SET_INFORMATION);
    if (thread == 0) return load<u32>(scratch(), 24);
    ObDereferenceObject(load<usize>(scratch(), 8));
    return STATUS_SUCCESS;
  }
  if (infoClass == ThreadBreakOnTermination) {
    if (length != 4) return STATUS_INFO_LENGTH_MISMATCH;
    if (!ProbeForRead(buffer, 4, 4)) return STATUS_ACCESS_VIOLATION;
    const critical = load<u32>(buffer) != 0;
    if (!SeSinglePrivilegeCheck(SE_DEBUG_PRIVILEGE)) return STATUS_PRIVILEGE_NOT_HELD;
    const thread = PspThreadFromHandle(handle, THREAD_SET_INFORMATION);
    if (thread == 0) return load<u32>(scratch(), 24);
    const t = changetype<KTHREAD>(thread);
    if (critical) t.CrossThreadFlags |= PS_CROSS_THREAD_FLAGS_BREAK_ON_TERMINATION;
    else t.CrossThreadFlags &= ~PS_CROSS_THREAD_FLAGS_BREAK_ON_TERMINATION;
    KeLogBegin("ps");
    KeLogString("thread ");
    KeLogDecimal(t.UniqueThread);
    KeLogString(critical ? " is critical: its end stops the system" : " is no longer critical");
    KeLogEnd();
    ObDereferenceObject(load<usize>(scratch(), 8));
    return STATUS_SUCCESS;
  }
  if (infoClass != ThreadPriority) return STATUS_INVALID_INFO_CLASS;
  if (length != 4) return STATUS_INFO_LENGTH_MISMATCH;
  if (!ProbeForRead(buffer, 4, 4)) return STATUS_ACCESS_VIOLATION;
  const priority = load<u32>(buffer);
  if (priority == 0 || priority > 31) return STATUS_INVALID_PARAMETER;
  const thread = PspThreadFromHandle(handle, THREAD_SET_INFORMATION);
  if (thread == 0) return load<u32>(scratch(), 24);
  const object = load<usize>(scratch(), 8);
  KeSetPriorityThread(thread, priority);
  ObDereferenceObject(object);
  return STATUS_SUCCESS;
}


// ---- thread contexts ----

const THREAD_GET_CONTEXT: u32 = 0x0008;
const THREAD_SET_CONTEXT: u32 = 0x0010;

/** A referenced thread whose user registers can be read or written (it runs in a process with a user half). */
function PspContextThread(thread: usize): bool {
  const t = changetype<KTHREAD>(thread);
  return t.Teb != 0 && t.Process != 0 && changetype<EPROCESS>(t.Process).Peb != 0;
}

/** NtGetContextThread(ThreadHandle, Context): the thread's user registers (ke/except.ts). */
export function NtGetContextThread(handle: u32, context: usize): u32 {
  const thread = PspThreadFromHandle(handle, THREAD_GET_CONTEXT);
  if (thread == 0) return load<u32>(scratch(), 24);
  const object = load<usize>(scratch(), 8);
  const status = PspContextThread(thread) ? KeGetContextThread(thread, context) : STATUS_INVALID_PARAMETER;
  ObDereferenceObject(object);
  return status;
}

/**
 * NtSetContextThread(ThreadHandle, Context): sets the thread's user
 * registers, sanitised as NtContinue's (it stays in ring 3). For the calling
 * thread, the service returns into the new context (its eax is the context's).
 */
export function NtSetContextThread(handle: u32, context: usize): u32 {
  const thread = PspThreadFromHandle(handle, THREAD_SET_CONTEXT);
  if (thread == 0) return load<u32>(scratch(), 24);
  const object = load<usize>(scratch(), 8);
  let status = PspContextThread(thread) ? KeSetContextThread(thread, context) : STATUS_INVALID_PARAMETER;
  ObDereferenceObject(object);
  if (status == STATUS_SUCCESS && thread == KeCurrentThread) status = changetype<KTRAP_FRAME>(KeUserTrapFrame(thread)).Eax;
  return status;
}
