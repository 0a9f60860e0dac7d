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
import { KeLogBegin, KeLogDecimal, KeLogEnd, KeLogString, KeLogFormat2 } from "../ke/log";
import { SeSinglePrivilegeCheck } from "../se/token";
import { SeSetThreadSecurity, SeThreadSecurity } from "../se/threadsd";
import { SE_DEBUG_PRIVILEGE } from "../se/tokenobj";
import {
  KTHREAD, KeCreateThread, KeCurrentThread, KeDereferenceThread, KeReadyThread, KeReferenceThread, KeResumeThread,
  KeSuspendThread, KeRequestTermination, KeDeleteUnstartedThread, KeSetPriorityThread, KeAllocateScratch, KeFreeScratch, KTHREAD_THREAD_LINKS, KeAcquireDispatcherLock, KeReleaseDispatcherLock, Terminated,
} from "../ke/thread";
import { ExCopyFromUser, ExCopyToUser, ExWriteUserUlong, ProbeUserRange, ProbeUserWrite } from "../ke/probe";
import { KeBugCheckEx } from "../ke/bugcheck";
import { ObCreateObject, ObCreateObjectType, ObInitializeTypeInitializer } from "../ob/obcreate";
import { ObInsertObject } from "../ob/obname";
import { ObCloseHandle, ObReferenceObjectByHandle, ObSetPseudoHandleResolver } from "../ob/obhandle";
import { ObDereferenceObject, ObReferenceObject } from "../ob/obref";
import { ObSetTypeSecurity } from "../ob/obsecure";
import { OBJECT_TYPE_INITIALIZER, SYNCHRONIZE, STANDARD_RIGHTS_REQUIRED, READ_CONTROL } from "../ob/obp";
import { RtlInitUnicodeString } from "../rtl/unicode";
import { ExCaptureObjectAttributes, ExReleaseObjectAttributes } from "../ex/capture";
import { ObRegisterIndirectWaitableType } from "../ob/obwait";
import { MmCommitUserPages, MmCopyToUser, MmUserPageFrame } from "../mm/procmm";
import { MmPageToVirtual } from "../mm/pfn";
import { MmInsertVad } from "../mm/virtual";
import {
  EPROCESS, EPROCESS_THREAD_LIST, EPROCESS_VAD_LIST, PS_CROSS_THREAD_FLAGS_BREAK_ON_TERMINATION, PsGetCurrentProcess, PspAllocateTeb, PspAttachThreadToProcess, PspFreeTeb, PspStartUserThread, PEB_ADDRESS,
} from "./psmain";
import { PspExitThread } from "./psexit";
import { InsertTailList } from "../sdk/list";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { PspSystemDllStart } from "./psdll";
import { KeGetContextThread, KeSetContextThread, KeUserTrapFrame } from "../ke/except";
import { PspResolveCurrentProcess, PsCheckOpenAccess, PsDereferenceProcess, PsReferenceProcessByHandle } from "./psprocess";
import { PsActiveProcessHead, EPROCESS_ACTIVE_LINKS, PsInitialSystemProcess, PsProcessHasEnded } from "./psmain";
import { MmLockAddressSpace, MmUnlockAddressSpace } from "../mm/aslock";
import {
  STATUS_ACCESS_VIOLATION, STATUS_INFO_LENGTH_MISMATCH, STATUS_INSUFFICIENT_RESOURCES,
  STATUS_INVALID_CID, STATUS_INVALID_HANDLE, STATUS_INVALID_INFO_CLASS, STATUS_INVALID_PARAMETER,
  STATUS_PENDING, STATUS_PRIVILEGE_NOT_HELD, STATUS_SUCCESS, STATUS_THREAD_IS_TERMINATING, STATUS_PROCESS_IS_TERMINATING,
} from "../sdk/ntstatus";
import { MEM_PRIVATE, MM_USER_PROBE_ADDRESS, NtCurrentThread, PAGE_READWRITE } from "../sdk/ntdef";
import { TEB_DEALLOCATION_STACK, TEB_SIZE } from "../sdk/peb";
import {
  SIZEOF_THREAD_BASIC_INFORMATION, THREAD_BASIC_INFORMATION, ThreadBasicInformation, ThreadPriority, ThreadHideFromDebugger, ThreadBreakOnTermination,
} from "../sdk/procinfo";

const PROCESS_CREATE_THREAD: u32 = 0x0002;

/** NtOpenThread(ThreadHandle, DesiredAccess, ObjectAttributes, ClientId): by thread id (and process id, when given). */
export function NtOpenThread(handle: usize, access: u32, objectAttributes: usize, clientId: usize): u32 {
  if (!ProbeUserWrite(handle, 4, 4)) return STATUS_ACCESS_VIOLATION;
  if (clientId == 0) return STATUS_INVALID_PARAMETER;
  const cid = KeAllocateScratch(8); // the CLIENT_ID, read once
  const ok = ProbeUserRange(clientId, 8, 4) && ExCopyFromUser(cid, clientId, 8);
  const pid = load<u32>(cid), tid = load<u32>(cid, 4);
  KeFreeScratch(cid);
  if (!ok) return STATUS_ACCESS_VIOLATION;
  let thread: usize = 0;
  const f = KeAcquireDispatcherLock(); // found and referenced before it can end and go
  for (let e = load<usize>(PsActiveProcessHead); e != PsActiveProcessHead && thread == 0; e = load<usize>(e)) {
    const process = e - EPROCESS_ACTIVE_LINKS;
    if (pid != 0 && changetype<EPROCESS>(process).UniqueProcessId != pid) continue;
    const head = process + EPROCESS_THREAD_LIST;
    for (let t = load<usize>(head); t != head; t = load<usize>(t)) {
      if (changetype<KTHREAD>(t - KTHREAD_THREAD_LINKS).UniqueThread == tid) { thread = t - KTHREAD_THREAD_LINKS; break; }
    }
  }
  if (thread != 0) KeReferenceThread(thread);
  KeReleaseDispatcherLock(f);
  if (thread == 0) return STATUS_INVALID_CID;
  const s = KeAllocateScratch(16); // +0 captured attributes (8), +8 object, +12 handle
  // A thread is protected by its own descriptor when NtSetSecurityObject gave it one (se/threadsd.ts), else by
  // its process's, mapped with the Thread type's rights (psprocess.ts).
  const owner = changetype<KTHREAD>(thread).Process != 0 ? changetype<KTHREAD>(thread).Process : PsInitialSystemProcess;
  let status = PsCheckOpenAccess(owner, PsThreadType, THREAD_ALL_ACCESS, access, s, thread);
  access = load<u32>(s);
  if (status == STATUS_SUCCESS) status = ExCaptureObjectAttributes(objectAttributes, s);
  if (status == STATUS_SUCCESS) {
    status = PspCreateThreadObject(thread, load<usize>(s), s + 8);
    if (status == STATUS_SUCCESS) {
      status = ObInsertObject(load<usize>(s, 8), access, s + 12);
      if (status == STATUS_SUCCESS && !ExWriteUserUlong(handle, load<u32>(s, 12))) status = STATUS_ACCESS_VIOLATION;
    }
    ExReleaseObjectAttributes(s);
  }
  KeFreeScratch(s);
  KeDereferenceThread(thread); // the object holds its own
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

// The type's creation arguments: phase 1 only, before a second thread exists.
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
  ObRegisterIndirectWaitableType(PsThreadType);
  ObSetPseudoHandleResolver(PspResolvePseudoHandle);
  ObSetTypeSecurity(PsThreadType, 0, PspQueryThreadSecurity, PspAssignThreadSecurity);
}

/** A Thread object's descriptor (under Ob's lock): the thread's own (se/threadsd.ts), else its process's. */
function PspQueryThreadSecurity(object: usize): usize {
  const thread = load<usize>(object);
  if (thread == 0) return 0;
  const own = SeThreadSecurity(thread, changetype<KTHREAD>(thread).UniqueThread);
  if (own != 0) return own;
  const process = changetype<KTHREAD>(thread).Process;
  return process == 0 ? 0 : changetype<EPROCESS>(process).SecurityDescriptor;
}

/** NtSetSecurityObject on a thread (under Ob's lock): the thread gets a descriptor of its own; its process's stays. */
function PspAssignThreadSecurity(object: usize, sd: usize): usize {
  const thread = load<usize>(object);
  if (thread == 0) return sd;
  return SeSetThreadSecurity(thread, changetype<KTHREAD>(thread).UniqueThread, sd);
}

/** A Thread object for `thread` (new, with one reference), or 0. */
function PspCreateThreadObject(thread: usize, objectAttributes: usize, out: usize, chargeQuota: bool = true): u32 {
  const status = ObCreateObject(PsThreadType, objectAttributes, 4, out, chargeQuota);
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
  return PspCreateThreadObject(KeCurrentThread, 0, object, false); // a pseudo handle: charged to no one
}

/**
 * The Thread object behind a handle, referenced, at `*out` (drop it with
 * ObDereferenceObject; its KTHREAD is load<usize>(object)). Returns the
 * status; `*out` is written only on success.
 */
function PspReferenceThreadByHandle(handle: u32, access: u32, out: usize): u32 {
  return ObReferenceObjectByHandle(handle, access, PsThreadType, out, 0);
}

// NtCreateThread's work area (scratch): +0 the process, then the captured
// attributes (8), the new object, the new handle, the start's stack pointer,
// and the head of the TEB built for the new thread.
const CW_ATTRIBUTES: u32 = 4, CW_OBJECT: u32 = 12, CW_HANDLE: u32 = 16, CW_ESP: u32 = 20, CW_TEB: u32 = 24;
const CW_TEB_BYTES: u32 = 64;
// PspBuildThread's results: the thread, its TEB's address.
const CW_THREAD: u32 = CW_TEB + CW_TEB_BYTES, CW_TEB_ADDRESS: u32 = CW_THREAD + 4;
const CREATE_WORK_SIZE: u32 = CW_TEB_ADDRESS + 4;

/**
 * NtCreateThread(ThreadHandle, DesiredAccess, ObjectAttributes, ProcessHandle (-1),
 * ClientId optional, ThreadContext, InitialTeb, CreateSuspended).
 */
export function NtCreateThread(handle: usize, access: u32, objectAttributes: usize, processHandle: u32, clientId: usize,
                               context: usize, initialTeb: usize, createSuspended: u32): u32 {
  if (!ProbeUserWrite(handle, 4, 4)) return STATUS_ACCESS_VIOLATION;
  if (clientId != 0 && !ProbeUserWrite(clientId, 8, 4)) return STATUS_ACCESS_VIOLATION;
  if (!ProbeUserRange(context, CONTEXT_SIZE, 4) || !ProbeUserRange(initialTeb, INITIAL_TEB_SIZE, 4)) return STATUS_ACCESS_VIOLATION;
  // CONTEXT and INITIAL_TEB read once, into pool: everything after uses the copies.
  const captured = ExAllocatePoolWithTag(NonPagedPool, CONTEXT_SIZE + INITIAL_TEB_SIZE, CONTEXT_TAG);
  if (captured == 0) return STATUS_INSUFFICIENT_RESOURCES;
  if (!ExCopyFromUser(captured, context, CONTEXT_SIZE) || !ExCopyFromUser(captured + CONTEXT_SIZE, initialTeb, INITIAL_TEB_SIZE)) {
    ExFreePoolWithTag(captured, CONTEXT_TAG);
    return STATUS_ACCESS_VIOLATION;
  }
  // The call's own memory (never the image's: two callers at once would share it).
  const work = KeAllocateScratch(CREATE_WORK_SIZE);
  let status = PsReferenceProcessByHandle(processHandle, PROCESS_CREATE_THREAD, work);
  if (status == STATUS_SUCCESS) {
    const process = load<usize>(work);
    status = PspCreateThread(work, process, handle, access, objectAttributes, clientId, captured, captured + CONTEXT_SIZE, createSuspended);
    PsDereferenceProcess(process);
  }
  KeFreeScratch(work);
  ExFreePoolWithTag(captured, CONTEXT_TAG);
  return status;
}

const CONTEXT_TAG: u32 = 0x78746E43; // 'Cntx'

/**
 * PspCreateThread's work: `context` and `initialTeb` are kernel copies; the
 * handle and the CLIENT_ID go to the caller's (probed) pointers through the
 * user-copy routine at the end.
 */

function PspCreateThread(work: usize, process: usize, handle: usize, access: u32, objectAttributes: usize, clientId: usize,
                         context: usize, initialTeb: usize, createSuspended: u32): u32 {
  const p = changetype<EPROCESS>(process);
  if (p.DirectoryTableBase == 0 || p.Peb == 0) return STATUS_INVALID_HANDLE; // the System process has no user half
  // Capture what is read: registers and the stack.
  const ctx = changetype<CONTEXT>(context), stack = changetype<INITIAL_TEB>(initialTeb);
  const eip = ctx.Eip, esp = ctx.Esp;
  const stackBase = stack.StackBase, stackLimit = stack.StackLimit, allocationBase = stack.AllocatedStackBase;
  if (eip >= MM_USER_PROBE_ADDRESS || esp >= MM_USER_PROBE_ADDRESS || stackBase >= MM_USER_PROBE_ADDRESS) return STATUS_INVALID_PARAMETER;
  // A process that has ended takes no thread (NT: STATUS_PROCESS_IS_TERMINATING): its address
  // space is gone. Its end tears the space down under the address-space lock, which this holds
  // while it builds the thread's TEB and stack frame there: the space stays until that is done.
  MmLockAddressSpace();
  const status = PsProcessHasEnded(process) ? STATUS_PROCESS_IS_TERMINATING
    : PspBuildThread(work, process, handle, access, objectAttributes, clientId, context, initialTeb, createSuspended);
  MmUnlockAddressSpace();
  if (status != STATUS_SUCCESS) return status;
  return PspStartBuiltThread(work, process, handle, clientId);
}

/** The thread, its TEB and its handle, not yet in the process's list (the address-space lock held). */
function PspBuildThread(work: usize, process: usize, handle: usize, access: u32, objectAttributes: usize, clientId: usize,
                        context: usize, initialTeb: usize, createSuspended: u32): u32 {
  const p = changetype<EPROCESS>(process);
  const ctx = changetype<CONTEXT>(context), stack = changetype<INITIAL_TEB>(initialTeb);
  const eip = ctx.Eip, esp = ctx.Esp;
  const stackBase = stack.StackBase, stackLimit = stack.StackLimit, allocationBase = stack.AllocatedStackBase;
  // A TEB page for it.
  const teb = PspAllocateTeb(process);
  if (teb == 0) return STATUS_INSUFFICIENT_RESOURCES;
  // A page used by an earlier thread is reused: cleared first; a new one is committed and recorded.
  const tebFrame = MmUserPageFrame(p.DirectoryTableBase, teb);
  if (tebFrame != 0) memory.fill(MmPageToVirtual(tebFrame), 0, TEB_SIZE);
  else {
    if (!MmCommitUserPages(p.DirectoryTableBase, teb, TEB_SIZE, true)) { PspFreeTeb(process, teb); return STATUS_INSUFFICIENT_RESOURCES; }
    MmInsertVad(process + EPROCESS_VAD_LIST, teb, teb + TEB_SIZE, PAGE_READWRITE, MEM_PRIVATE);
  }
  // With ntdll.dll in the process, the thread enters LdrInitializeThunk(Context, NtdllBase) first (psdll.ts).
  let startEip: usize = eip, startEsp: usize = esp;
  if (p.SystemDllBase != 0) {
    const thunk = PspSystemDllStart(process, context, esp, work + CW_ESP);
    if (thunk == 0) { PspFreeTeb(process, teb); return STATUS_ACCESS_VIOLATION; } // its stack cannot take the context
    startEip = thunk;
    startEsp = load<usize>(work, CW_ESP);
  }
  const thread = KeCreateThread(process, changetype<(c: usize) => void>(0), 0, changetype<KTHREAD>(KeCurrentThread).Priority);
  if (thread == 0) { PspFreeTeb(process, teb); return STATUS_INSUFFICIENT_RESOURCES; }
  PspAttachThreadToProcess(thread, process);
  const t = changetype<KTHREAD>(thread);
  const block = work + CW_TEB; // zeroed
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
  const s = work + CW_ATTRIBUTES;
  let status = ExCaptureObjectAttributes(objectAttributes, s);
  if (status == STATUS_SUCCESS) {
    status = PspCreateThreadObject(thread, load<usize>(s), work + CW_OBJECT);
    if (status == STATUS_SUCCESS) status = ObInsertObject(load<usize>(work, CW_OBJECT), access, work + CW_HANDLE);
    ExReleaseObjectAttributes(s);
  }
  if (status != STATUS_SUCCESS) {
    // Never ran: give it back.
    PspFreeTeb(process, teb);
    KeDeleteUnstartedThread(thread);
    return status;
  }
  store<usize>(work + CW_THREAD, thread);
  store<usize>(work + CW_TEB_ADDRESS, teb);
  return STATUS_SUCCESS;
}

/**
 * Puts a built thread in its process's list and lets it run, unless the
 * process ended meanwhile (its last thread ended, or it was terminated,
 * after the lock was let go): then the thread goes again, never started,
 * and the caller hears STATUS_PROCESS_IS_TERMINATING.
 */
function PspStartBuiltThread(work: usize, process: usize, handle: usize, clientId: usize): u32 {
  const p = changetype<EPROCESS>(process);
  const thread = load<usize>(work + CW_THREAD);
  const t = changetype<KTHREAD>(thread);
  const f = KeAcquireDispatcherLock();
  const ended = PsProcessHasEnded(process);
  if (!ended) {
    InsertTailList(process + EPROCESS_THREAD_LIST, thread + KTHREAD_THREAD_LINKS);
    p.ActiveThreads++;
  }
  KeReleaseDispatcherLock(f);
  if (ended) {
    ObCloseHandle(load<u32>(work, CW_HANDLE)); // the object, and its reference on the thread, go
    PspFreeTeb(process, load<usize>(work + CW_TEB_ADDRESS));
    KeDeleteUnstartedThread(thread);
    return STATUS_PROCESS_IS_TERMINATING;
  }
  // A page gone by now: the thread still starts (its handle is in the table), the caller hears of the fault.
  let written = ExWriteUserUlong(handle, load<u32>(work, CW_HANDLE));
  if (clientId != 0 && written) written = ExWriteUserUlong(clientId, p.UniqueProcessId) && ExWriteUserUlong(clientId + 4, t.UniqueThread);
  KeReadyThread(thread); // parked instead while suspended
  KeDereferenceThread(thread); // the creator's: the object and the process keep it
  return written ? STATUS_SUCCESS : STATUS_ACCESS_VIOLATION;
}

// The services below that take a thread handle share one shape: the
// object is referenced into a cell of the thread's scratch, the work is done
// on its KTHREAD, the object is dropped.

/** NtResumeThread(ThreadHandle, PreviousSuspendCount optional). */
export function NtResumeThread(handle: u32, previous: usize): u32 {
  if (previous != 0 && !ProbeUserWrite(previous, 4, 4)) return STATUS_ACCESS_VIOLATION;
  const cell = KeAllocateScratch(4);
  const status = PspReferenceThreadByHandle(handle, THREAD_SUSPEND_RESUME, cell);
  const object = load<usize>(cell);
  KeFreeScratch(cell);
  if (status != STATUS_SUCCESS) return status;
  const count = KeResumeThread(load<usize>(object));
  ObDereferenceObject(object);
  return previous == 0 || ExWriteUserUlong(previous, count) ? STATUS_SUCCESS : STATUS_ACCESS_VIOLATION;
}

/** NtSuspendThread(ThreadHandle, PreviousSuspendCount optional). */
export function NtSuspendThread(handle: u32, previous: usize): u32 {
  if (previous != 0 && !ProbeUserWrite(previous, 4, 4)) return STATUS_ACCESS_VIOLATION;
  const cell = KeAllocateScratch(4);
  const status = PspReferenceThreadByHandle(handle, THREAD_SUSPEND_RESUME, cell);
  const object = load<usize>(cell);
  KeFreeScratch(cell);
  if (status != STATUS_SUCCESS) return status;
  const thread = load<usize>(object);
  const terminated = changetype<KTHREAD>(thread).State == Terminated;
  ObDereferenceObject(object);
  if (terminated) return STATUS_THREAD_IS_TERMINATING;
  const count = KeSuspendThread(thread);
  return previous == 0 || ExWriteUserUlong(previous, count) ? STATUS_SUCCESS : STATUS_ACCESS_VIOLATION;
}

/** NtTerminateThread(ThreadHandle (0 or -2: the caller), ExitStatus). */
export function NtTerminateThread(handle: u32, status: u32): u32 {
  if (handle == 0 || handle == NtCurrentThread) { PspExitThread(status); return STATUS_SUCCESS; }
  const cell = KeAllocateScratch(4);
  const lookup = PspReferenceThreadByHandle(handle, THREAD_TERMINATE, cell);
  const object = load<usize>(cell);
  KeFreeScratch(cell);
  if (lookup != STATUS_SUCCESS) return lookup;
  const thread = load<usize>(object);
  if (thread == KeCurrentThread) { ObDereferenceObject(object); PspExitThread(status); }
  KeRequestTermination(thread, status);
  ObDereferenceObject(object);
  return STATUS_SUCCESS;
}

/**
 * NtQueryInformationThread(ThreadHandle, ThreadBasicInformation, Buffer, Length, ReturnLength): a THREAD_BASIC_INFORMATION (28 bytes):
 * ExitStatus (STATUS_PENDING while it runs), TebBaseAddress, ClientId, AffinityMask, Priority, BasePriority.
 * ThreadBreakOnTermination (a ULONG) too.
 */
export function NtQueryInformationThread(handle: u32, infoClass: u32, buffer: usize, length: u32, returnLength: usize): u32 {
  let size: u32 = 0;
  if (infoClass == ThreadBreakOnTermination) size = 4;
  else if (infoClass == ThreadBasicInformation) size = SIZEOF_THREAD_BASIC_INFORMATION;
  else return STATUS_INVALID_INFO_CLASS;
  if (length != size) return STATUS_INFO_LENGTH_MISMATCH;
  if (!ProbeUserRange(buffer, size, 4) || (returnLength != 0 && !ProbeUserRange(returnLength, 4, 4))) return STATUS_ACCESS_VIOLATION;
  // The answer is built here (+4), then copied to the caller once.
  const s = KeAllocateScratch(4 + SIZEOF_THREAD_BASIC_INFORMATION);
  let status = PspReferenceThreadByHandle(handle, THREAD_QUERY_INFORMATION, s);
  const object = load<usize>(s);
  if (status == STATUS_SUCCESS) {
    const info = s + 4;
    const t = changetype<KTHREAD>(load<usize>(object));
    if (infoClass == ThreadBreakOnTermination) {
      store<u32>(info, (t.CrossThreadFlags & PS_CROSS_THREAD_FLAGS_BREAK_ON_TERMINATION) != 0 ? 1 : 0);
    } else {
      const process = t.Process;
      const basic = changetype<THREAD_BASIC_INFORMATION>(info);
      basic.ExitStatus = t.State == Terminated ? t.ExitStatus : STATUS_PENDING;
      basic.TebBaseAddress = t.Teb;
      basic.ClientId_UniqueProcess = process != 0 ? changetype<EPROCESS>(process).UniqueProcessId : 4;
      basic.ClientId_UniqueThread = t.UniqueThread;
      basic.AffinityMask = 1;               // one processor
      basic.Priority = t.Priority;
      basic.BasePriority = t.BasePriority;
    }
    ObDereferenceObject(object);
    if (!ExCopyToUser(buffer, info, size) || (returnLength != 0 && !ExWriteUserUlong(returnLength, size))) status = STATUS_ACCESS_VIOLATION;
  }
  KeFreeScratch(s);
  return status;
}

const THREAD_SET_INFORMATION: u32 = 0x0020;

/**
 * NtSetInformationThread(ThreadHandle, ThreadInformationClass, Buffer, Length):
 * ThreadPriority (a KPRIORITY, 1-31), ThreadHideFromDebugger (no buffer;
 * there is no debugger to hide from) and ThreadBreakOnTermination (a ULONG).
 */
export function NtSetInformationThread(handle: u32, infoClass: u32, buffer: usize, length: u32): u32 {
  let value: u32 = 0;
  if (infoClass == ThreadHideFromDebugger) {
    if (length != 0) return STATUS_INFO_LENGTH_MISMATCH;
  } else if (infoClass == ThreadBreakOnTermination || infoClass == ThreadPriority) {
    if (length != 4) return STATUS_INFO_LENGTH_MISMATCH;
    const cell = KeAllocateScratch(4); // the value, read once
    const ok = ProbeUserRange(buffer, 4, 4) && ExCopyFromUser(cell, buffer, 4);
    value = load<u32>(cell);
    KeFreeScratch(cell);
    if (!ok) return STATUS_ACCESS_VIOLATION;
    if (infoClass == ThreadPriority && (value == 0 || value > 31)) return STATUS_INVALID_PARAMETER;
    if (infoClass == ThreadBreakOnTermination && !SeSinglePrivilegeCheck(SE_DEBUG_PRIVILEGE)) return STATUS_PRIVILEGE_NOT_HELD;
  } else return STATUS_INVALID_INFO_CLASS;
  const cell = KeAllocateScratch(4);
  const status = PspReferenceThreadByHandle(handle, THREAD_SET_INFORMATION, cell);
  const object = load<usize>(cell);
  KeFreeScratch(cell);
  if (status != STATUS_SUCCESS) return status;
  const thread = load<usize>(object);
  if (infoClass == ThreadPriority) KeSetPriorityThread(thread, value);
  else if (infoClass == ThreadBreakOnTermination) {
    const t = changetype<KTHREAD>(thread);
    const critical = value != 0;
    if (critical) t.CrossThreadFlags |= PS_CROSS_THREAD_FLAGS_BREAK_ON_TERMINATION;
    else t.CrossThreadFlags &= ~PS_CROSS_THREAD_FLAGS_BREAK_ON_TERMINATION;
    KeLogFormat2("ps", "thread %u%s", t.UniqueThread, changetype<usize>(critical ? " is critical: its end stops the system" : " is no longer critical"));
  }
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
  const cell = KeAllocateScratch(4);
  let status = PspReferenceThreadByHandle(handle, THREAD_GET_CONTEXT, cell);
  const object = load<usize>(cell);
  KeFreeScratch(cell);
  if (status != STATUS_SUCCESS) return status;
  const thread = load<usize>(object);
  status = PspContextThread(thread) ? KeGetContextThread(thread, context) : STATUS_INVALID_PARAMETER;
  ObDereferenceObject(object);
  return status;
}

/**
 * NtSetContextThread(ThreadHandle, Context): sets the thread's user
 * registers, sanitised as NtContinue's (it stays in ring 3). For the calling
 * thread, the service returns into the new context (its eax is the context's).
 */
export function NtSetContextThread(handle: u32, context: usize): u32 {
  const cell = KeAllocateScratch(4);
  let status = PspReferenceThreadByHandle(handle, THREAD_SET_CONTEXT, cell);
  const object = load<usize>(cell);
  KeFreeScratch(cell);
  if (status != STATUS_SUCCESS) return status;
  const thread = load<usize>(object);
  status = PspContextThread(thread) ? KeSetContextThread(thread, context) : STATUS_INVALID_PARAMETER;
  ObDereferenceObject(object);
  if (status == STATUS_SUCCESS && thread == KeCurrentThread) status = changetype<KTRAP_FRAME>(KeUserTrapFrame(thread)).Eax;
  return status;
}
