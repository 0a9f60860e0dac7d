// Processes as objects: the "Process" object type, NtCurrentProcess (-1),
// NtOpenProcess by client id, and the process handle behind the services that
// take one (NtTerminateProcess, NtQueryInformationProcess,
// NtSetInformationProcess, waits).
//
// As for threads, the object's body holds a reference to the EPROCESS (in
// pool, see psmain.ts); waits on a Process handle wait on the EPROCESS,
// which is signalled when its last thread has ended.

import {
  KTHREAD, KeAllocateScratch, KeFreeScratch, KeForEachThread,
} from "../ke/thread";
import { ExCopyFromUser, ExWriteUserUlong, ProbeUserRange, ProbeUserWrite } from "../ke/probe";
import { KeBugCheckEx } from "../ke/bugcheck";
import { ObCreateObject, ObCreateObjectType, ObInitializeTypeInitializer } from "../ob/obcreate";
import { ObInsertObject } from "../ob/obname";
import { ObReferenceObjectByHandle, ObSetProcessHandleTables } from "../ob/obhandle";
import { ObDereferenceObject, ObReferenceObject } from "../ob/obref";
import { InitializeObjectAttributes, OBJECT_TYPE_INITIALIZER, SYNCHRONIZE, STANDARD_RIGHTS_REQUIRED, READ_CONTROL, ObAcquireObjectLock, ObReleaseObjectLock } from "../ob/obp";
import { OBJ_KERNEL_HANDLE } from "../sdk/ntdef";
import { KeLogBegin, KeLogEnd, KeLogHex, KeLogString, KeLogFormat1 } from "../ke/log";
import { RtlInitUnicodeString } from "../rtl/unicode";
import { ExCaptureObjectAttributes, ExReleaseObjectAttributes } from "../ex/capture";
import { ObRegisterIndirectWaitableType } from "../ob/obwait";
import { ObCheckAccess, ObSetTypeSecurity } from "../ob/obsecure";
import { SeSinglePrivilegeCheck } from "../se/token";
import { SE_DEBUG_PRIVILEGE } from "../se/tokenobj";
import { SeThreadSecurity } from "../se/threadsd";
import { MAXIMUM_ALLOWED } from "../ob/obp";
import {
  EPROCESS, EPROCESS_ACTIVE_LINKS, EPROCESS_THREAD_LIST, PsActiveProcessHead, PsGetCurrentProcess, PsInitialSystemProcess, PspDereferenceProcess, PspReferenceProcess, PspReferenceProcessById,
} from "./psmain";
import { PspAskToEnd, PspEndProcessWithoutThreads, PspTerminateProcess } from "./psexit";
import {
  STATUS_ACCESS_DENIED, STATUS_ACCESS_VIOLATION, STATUS_INVALID_CID, STATUS_INVALID_HANDLE,
  STATUS_INVALID_PARAMETER, STATUS_OBJECT_TYPE_MISMATCH, STATUS_SUCCESS,
} from "../sdk/ntstatus";


export const PROCESS_TERMINATE: u32 = 0x0001;
export const PROCESS_SET_INFORMATION: u32 = 0x0200;
export const PROCESS_QUERY_INFORMATION: u32 = 0x0400;
export const PROCESS_ALL_ACCESS: u32 = STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0xFFF;

export let PsProcessType: usize = 0;
/**
 * A kernel handle to the System process with PROCESS_ALL_ACCESS, open for the
 * life of the system (NT's PspInitialSystemProcessHandle). Ring 3 must never
 * reach it: the kernel's table is never empty, and a guessed kernel handle
 * from user mode is STATUS_INVALID_HANDLE (ob/obhandle.ts).
 */
export let PspInitialSystemProcessHandle: u32 = 0;

function PspDeleteProcessObject(object: usize): void {
  const process = load<usize>(object);
  if (process == 0) return;
  const p = changetype<EPROCESS>(process);
  if (p.ObjectWrapper == object) p.ObjectWrapper = 0;
  PspDereferenceProcess(process);
}

// The type's creation arguments: phase 1 only, before a second thread exists.
const TypeName = memory.data(8, 4);
const TypeInit = memory.data(128, 4);
const TypeOut = memory.data(4, 4);

/** Phase 1: the Process type. */
export function PsInitializeProcessType(): void {
  ObInitializeTypeInitializer(TypeInit, READ_CONTROL | PROCESS_QUERY_INFORMATION, READ_CONTROL | PROCESS_TERMINATE | PROCESS_SET_INFORMATION,
    READ_CONTROL | SYNCHRONIZE, PROCESS_ALL_ACCESS, PROCESS_ALL_ACCESS, 4);
  const info = changetype<OBJECT_TYPE_INITIALIZER>(TypeInit);
  info.PoolTag = 0x636F7250; // 'Proc'
  info.DeleteProcedure = PspDeleteProcessObject;
  RtlInitUnicodeString(TypeName, "Process");
  const status = ObCreateObjectType(TypeName, TypeInit, TypeOut);
  if (status != STATUS_SUCCESS) KeBugCheckEx(0x5E, 12, status, 0, 0);
  PsProcessType = load<usize>(TypeOut);
  ObRegisterIndirectWaitableType(PsProcessType);
  ObSetProcessHandleTables(PsProcessType, PspProcessHandleTable);
  ObSetTypeSecurity(PsProcessType, 0, PspQueryProcessSecurity, PspAssignProcessSecurity);
  PspOpenSystemProcessHandle();
}

/** Phase 1, the System thread only: PspInitialSystemProcessHandle. */
function PspOpenSystemProcessHandle(): void {
  const attributes = memory.data(24, 4); // boot only: one thread
  InitializeObjectAttributes(attributes, 0, OBJ_KERNEL_HANDLE, 0, 0);
  let status = PspCreateProcessObject(PsInitialSystemProcess, attributes, TypeOut);
  if (status == STATUS_SUCCESS) status = ObInsertObject(load<usize>(TypeOut), PROCESS_ALL_ACCESS, TypeOut);
  if (status != STATUS_SUCCESS) KeBugCheckEx(0x5E, 12, status, 1, 0);
  PspInitialSystemProcessHandle = load<u32>(TypeOut);
  KeLogFormat1("ps", "System process kernel handle %x", PspInitialSystemProcessHandle);
}

/** A Process object's descriptor: its process's (EPROCESS.SecurityDescriptor), which the process's threads share. */
function PspQueryProcessSecurity(object: usize): usize {
  const process = load<usize>(object);
  return process == 0 ? 0 : changetype<EPROCESS>(process).SecurityDescriptor;
}

/** NtSetSecurityObject on a process: the EPROCESS takes the new descriptor; the previous one goes back to Ob's caller. */
function PspAssignProcessSecurity(object: usize, sd: usize): usize {
  const process = load<usize>(object);
  if (process == 0) return sd; // ended: nothing to describe, the new one is freed
  const p = changetype<EPROCESS>(process);
  const previous = p.SecurityDescriptor;
  p.SecurityDescriptor = sd;
  return previous;
}

/** A Process object's process's handle table (0 once it has ended): NtDuplicateObject between processes. */
function PspProcessHandleTable(object: usize): usize {
  const process = load<usize>(object);
  return process == 0 ? 0 : changetype<EPROCESS>(process).ObjectTable;
}

/** A Process object for `process` (new, one reference), stored at `out`. */
export function PspCreateProcessObject(process: usize, objectAttributes: usize, out: usize, chargeQuota: bool = true): u32 {
  const status = ObCreateObject(PsProcessType, objectAttributes, 4, out, chargeQuota);
  if (status != STATUS_SUCCESS) return status;
  const object = load<usize>(out);
  PspReferenceProcess(process);
  store<usize>(object, process);
  if (changetype<EPROCESS>(process).ObjectWrapper == 0) changetype<EPROCESS>(process).ObjectWrapper = object;
  return STATUS_SUCCESS;
}

/** NtCurrentProcess (-1): the current process's object, made on first use. */
export function PspResolveCurrentProcess(access: u32, type: usize, object: usize): u32 {
  if (type != 0 && type != PsProcessType) return STATUS_OBJECT_TYPE_MISMATCH;
  const process = PsGetCurrentProcess();
  const wrapper = changetype<EPROCESS>(process).ObjectWrapper;
  if (wrapper != 0) { ObReferenceObject(wrapper); store<usize>(object, wrapper); return STATUS_SUCCESS; }
  return PspCreateProcessObject(process, 0, object, false); // a pseudo handle: charged to no one
}

/**
 * The EPROCESS behind a process handle (-1 included), at `*out` with a
 * reference of its own (drop it with PsDereferenceProcess): the caller's
 * handle may be closed by another of its threads meanwhile. Returns the
 * status of the handle's check; `*out` is written only on success.
 */
export function PsReferenceProcessByHandle(handle: u32, access: u32, out: usize): u32 {
  const cell = KeAllocateScratch(4);
  const status = ObReferenceObjectByHandle(handle, access, PsProcessType, cell, 0);
  if (status == STATUS_SUCCESS) {
    const object = load<usize>(cell);
    const process = load<usize>(object);
    PspReferenceProcess(process);
    ObDereferenceObject(object);
    store<usize>(out, process);
  }
  KeFreeScratch(cell);
  return status;
}
/** Drops a reference PsReferenceProcessByHandle took. */
export function PsDereferenceProcess(process: usize): void { PspDereferenceProcess(process); }

/** NtOpenProcess(ProcessHandle, DesiredAccess, ObjectAttributes, ClientId): by process id. */
export function NtOpenProcess(handle: usize, access: u32, objectAttributes: usize, clientId: usize): u32 {
  if (!ProbeUserWrite(handle, 4, 4)) return STATUS_ACCESS_VIOLATION;
  if (clientId == 0) return STATUS_INVALID_PARAMETER;
  const cid = KeAllocateScratch(8); // the CLIENT_ID, read once
  const ok = ProbeUserRange(clientId, 8, 4) && ExCopyFromUser(cid, clientId, 8);
  const pid = load<u32>(cid);
  KeFreeScratch(cid);
  if (!ok) return STATUS_ACCESS_VIOLATION;
  const process = PspReferenceProcessById(pid);
  if (process == 0) return STATUS_INVALID_CID;
  const s = KeAllocateScratch(16); // +0 captured attributes (8), +8 object, +12 handle
  let status = PspCheckProcessAccess(process, access, s);
  access = load<u32>(s);
  if (status == STATUS_SUCCESS) status = ExCaptureObjectAttributes(objectAttributes, s);
  if (status == STATUS_SUCCESS) {
    status = PspCreateProcessObject(process, load<usize>(s), s + 8);
    if (status == STATUS_SUCCESS) {
      status = ObInsertObject(load<usize>(s, 8), access, s + 12);
      if (status == STATUS_SUCCESS && !ExWriteUserUlong(handle, load<u32>(s, 12))) status = STATUS_ACCESS_VIOLATION;
    }
    ExReleaseObjectAttributes(s);
  }
  KeFreeScratch(s);
  PspDereferenceProcess(process); // the object holds its own
  return status;
}

/**
 * The access an open of `process` (by id: NtOpenProcess, or one of its
 * threads: NtOpenThread with `type` PsThreadType) gets, at `granted`: NT's
 * PsOpenProcess. A caller with SeDebugPrivilege enabled gets what it asks
 * (MAXIMUM_ALLOWED: all access) whatever the DACL says; anyone else what
 * the process's descriptor grants its token (STATUS_ACCESS_DENIED else) --
 * for a thread (`thread`, its KTHREAD) its own descriptor when it has one.
 */
export function PsCheckOpenAccess(process: usize, type: usize, allAccess: u32, access: u32, granted: usize, thread: usize): u32 {
  if (SeSinglePrivilegeCheck(SE_DEBUG_PRIVILEGE)) {
    store<u32>(granted, (access & MAXIMUM_ALLOWED) != 0 ? allAccess | (access & ~MAXIMUM_ALLOWED) : access);
    return STATUS_SUCCESS;
  }
  // Under Ob's lock: NtSetSecurityObject replaces a descriptor and frees the old one.
  const lock = ObAcquireObjectLock();
  const own = thread != 0 ? SeThreadSecurity(thread, changetype<KTHREAD>(thread).UniqueThread) : 0;
  const status = ObCheckAccess(own != 0 ? own : changetype<EPROCESS>(process).SecurityDescriptor, type, access, granted);
  ObReleaseObjectLock(lock);
  return status;
}

function PspCheckProcessAccess(process: usize, access: u32, granted: usize): u32 {
  return PsCheckOpenAccess(process, PsProcessType, PROCESS_ALL_ACCESS, access, granted, 0);
}

/** NtTerminateProcess(ProcessHandle, ExitStatus): the current process ends now, another as its threads next return to user mode. */
export function NtTerminateProcess(handle: u32, status: u32): u32 {
  const cell = KeAllocateScratch(4);
  const checked = PsReferenceProcessByHandle(handle, PROCESS_TERMINATE, cell);
  const process = load<usize>(cell);
  KeFreeScratch(cell);
  if (checked != STATUS_SUCCESS) return checked;
  if (process == PsInitialSystemProcess) { PsDereferenceProcess(process); return STATUS_ACCESS_DENIED; }
  if (process == PsGetCurrentProcess()) { PsDereferenceProcess(process); PspTerminateProcess(process, status); return STATUS_SUCCESS; }
  if (PspEndProcessWithoutThreads(process, status)) { PsDereferenceProcess(process); return STATUS_SUCCESS; }
  const p = changetype<EPROCESS>(process);
  p.ExitStatus = status;
  KeForEachThread(process + EPROCESS_THREAD_LIST, PspAskToEnd, status);
  PsDereferenceProcess(process);
  return STATUS_SUCCESS;
}


