// NtQueryInformationProcess / NtSetInformationProcess: the information
// classes smss and the tests use. Buffers are user memory: probed, and
// written only after the length is checked.
//
//   ProcessBasicInformation (0)      PROCESS_BASIC_INFORMATION, 24 bytes:
//       ExitStatus, PebBaseAddress, AffinityMask, BasePriority,
//       UniqueProcessId, InheritedFromUniqueProcessId
//   ProcessQuotaLimits (1)           QUOTA_LIMITS (32): the pool limits (ex/quota.ts); set: new limits,
//                                    raising one needs SeIncreaseQuotaPrivilege
//   ProcessVmCounters (3)            VM_COUNTERS (44) or _EX (48): the pool quota in use and at peak
//                                    (QuotaPagedPoolUsage, QuotaNonPagedPoolUsage); the rest 0
//   ProcessBasePriority (5)          set: a KPRIORITY (1-31); raising it needs SeIncreaseBasePriorityPrivilege;
//                                    every thread's base priority moves with it
//   ProcessDeviceMap (23)            query: PROCESS_DEVICEMAP_INFORMATION (36) or _EX (40): drive letters of
//                                    its "\??" and the global ones; set: a directory handle
//                                    (SeTcbPrivilege) becomes its "\??" (ob/obdevmap.ts)
//   ProcessSessionInformation (24)   ULONG SessionId; set: SeTcbPrivilege, an existing session (the
//                                    process moves there with its session space; ps/pssession.ts)
//   ProcessImageFileName (27)        UNICODE_STRING, then its text (NUL-terminated) in the same buffer: the
//                                    image file's full NT name as the kernel opened it (the device's name, then
//                                    the path on it: \Device\Harddisk0\Partition1\Windows\System32\smss.exe);
//                                    empty for the System process and boot modules. A buffer shorter than that is
//                                    STATUS_INFO_LENGTH_MISMATCH with the size needed at ReturnLength (NT's rule)
//   ProcessBreakOnTermination (29)   ULONG: non-zero = critical (its end bug-checks 0xEF); setting it
//                                    needs SeDebugPrivilege (NT 5.2's rule)

import { KTHREAD, KTHREAD_THREAD_LINKS, KeAllocateScratch, KeForEachThread, KeFreeScratch, KeSetPriorityThread } from "../ke/thread";
import { SeSinglePrivilegeCheck } from "../se/token";
import { PsAssignPrimaryToken } from "./pstoken";
import { ProcessAccessToken, SIZEOF_PROCESS_ACCESS_TOKEN } from "../sdk/security";
import { SE_DEBUG_PRIVILEGE, SE_INC_BASE_PRIORITY_PRIVILEGE, SE_INCREASE_QUOTA_PRIVILEGE, SE_TCB_PRIVILEGE } from "../se/tokenobj";
import { EPROCESS_QUOTA_BLOCK } from "../ex/quota";
import { PsSetProcessSessionId } from "./pssession";
import { ExCopyFromUser, ExCopyToUser, ExWriteUserUlong, ProbeUserRange } from "../ke/probe";
import { EPROCESS, EPROCESS_DEVICE_MAP, EPROCESS_THREAD_LIST, PS_PROCESS_FLAGS_CRITICAL, PsGetCurrentProcess, PsProcessHasEnded } from "./psmain";
import { ObQueryDeviceMapInformation, ObSetDeviceMap } from "../ob/obdevmap";
import {
  PROCESS_DEVICEMAP_INFORMATION_EX_FLAGS, PROCESS_LUID_DOSDEVICES_ONLY, ProcessDeviceMap,
  SIZEOF_PROCESS_DEVICEMAP_INFORMATION, SIZEOF_PROCESS_DEVICEMAP_INFORMATION_EX, ProcessQuotaLimits, ProcessVmCounters,
  QUOTA_LIMITS, SIZEOF_QUOTA_LIMITS, SIZEOF_VM_COUNTERS, SIZEOF_VM_COUNTERS_EX, VM_COUNTERS, ProcessBasicInformation,
  PROCESS_BASIC_INFORMATION, SIZEOF_PROCESS_BASIC_INFORMATION,
  ProcessBasePriority, ProcessSessionInformation, ProcessImageFileName, ProcessBreakOnTermination,
} from "../sdk/procinfo";
import { KeLogBegin, KeLogDecimal, KeLogEnd, KeLogString, KeLogFormat2 } from "../ke/log";
import { PsDereferenceProcess, PsReferenceProcessByHandle, PROCESS_QUERY_INFORMATION, PROCESS_SET_INFORMATION } from "./psprocess";
import {
  STATUS_ACCESS_VIOLATION, STATUS_INFO_LENGTH_MISMATCH, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_INFO_CLASS,
  STATUS_INVALID_PARAMETER, STATUS_PENDING, STATUS_PRIVILEGE_NOT_HELD, STATUS_SUCCESS,
} from "../sdk/ntstatus";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { InitializeCountedString } from "../sdk/ntdef";

const PSP_ANSWER_TAG: u32 = 0x73417350; // 'PsAs': an answer on its way to the caller

/**
 * Runs an information routine on the process a handle names, referenced
 * meanwhile (another thread of the caller may close the handle).
 */
function PspWithProcess(handle: u32, access: u32, routine: (process: usize, infoClass: u32, buffer: u32, length: u32, returnLength: u32) => u32,
                        infoClass: u32, buffer: u32, length: u32, returnLength: u32): u32 {
  const cell = KeAllocateScratch(4);
  let status = PsReferenceProcessByHandle(handle, access, cell);
  const process = load<usize>(cell);
  KeFreeScratch(cell);
  if (status != STATUS_SUCCESS) return status;
  status = routine(process, infoClass, buffer, length, returnLength);
  PsDereferenceProcess(process);
  return status;
}

/**
 * Exactly `want` bytes expected, in the caller's range (a range check: the
 * answers are built in kernel memory and copied out once, the values set are
 * read once, through the user-copy routines).
 */
function PspCheckBuffer(buffer: u32, length: u32, want: u32): u32 {
  if (length != want) return STATUS_INFO_LENGTH_MISMATCH;
  if (!ProbeUserRange(buffer, length, 4)) return STATUS_ACCESS_VIOLATION;
  return STATUS_SUCCESS;
}

/** Copies an answer built in kernel memory to the caller, and its size to ReturnLength (optional). */
function PspCopyAnswer(buffer: u32, answer: usize, size: u32, returnLength: u32): u32 {
  if (!ExCopyToUser(buffer, answer, size)) return STATUS_ACCESS_VIOLATION;
  return returnLength == 0 || ExWriteUserUlong(returnLength, size) ? STATUS_SUCCESS : STATUS_ACCESS_VIOLATION;
}

export function NtQueryInformationProcess(handle: u32, infoClass: u32, buffer: u32, length: u32, returnLength: u32): u32 {
  return PspWithProcess(handle, PROCESS_QUERY_INFORMATION, PspQueryInformationProcess, infoClass, buffer, length, returnLength);
}

function PspQueryInformationProcess(process: usize, infoClass: u32, buffer: u32, length: u32, returnLength: u32): u32 {
  const p = changetype<EPROCESS>(process);
  if (returnLength != 0 && !ProbeUserRange(returnLength, 4, 4)) return STATUS_ACCESS_VIOLATION;
  if (infoClass == ProcessDeviceMap) return PspQueryDeviceMap(process, buffer, length, returnLength);
  if (infoClass == ProcessImageFileName) return PspQueryImageFileName(p, buffer, length, returnLength);
  if (infoClass == ProcessQuotaLimits || infoClass == ProcessVmCounters) return PspQueryQuota(p, infoClass, buffer, length, returnLength);
  let size: u32 = 0;
  switch (infoClass) {
    case ProcessBasicInformation: size = SIZEOF_PROCESS_BASIC_INFORMATION; break;
    case ProcessSessionInformation: case ProcessBreakOnTermination: size = 4; break;
    default: return STATUS_INVALID_INFO_CLASS;
  }
  const check = PspCheckBuffer(buffer, length, size);
  if (check != STATUS_SUCCESS) return check;
  const info = KeAllocateScratch(SIZEOF_PROCESS_BASIC_INFORMATION);
  switch (infoClass) {
    case ProcessBasicInformation: {
      const basic = changetype<PROCESS_BASIC_INFORMATION>(info);
      basic.ExitStatus = p.ActiveThreads != 0 ? STATUS_PENDING : p.ExitStatus;
      basic.PebBaseAddress = p.Peb;
      basic.AffinityMask = 1;               // one processor
      basic.BasePriority = p.BasePriority;
      basic.UniqueProcessId = p.UniqueProcessId;
      basic.InheritedFromUniqueProcessId = p.InheritedFromUniqueProcessId;
      break;
    }
    case ProcessSessionInformation: store<u32>(info, p.SessionId); break;
    case ProcessBreakOnTermination: store<u32>(info, (p.Flags & PS_PROCESS_FLAGS_CRITICAL) != 0 ? 1 : 0); break;
  }
  const status = PspCopyAnswer(buffer, info, size, returnLength);
  KeFreeScratch(info);
  return status;
}

/** ProcessImageFileName: a UNICODE_STRING whose text follows it in the caller's buffer. */
function PspQueryImageFileName(p: EPROCESS, buffer: u32, length: u32, returnLength: u32): u32 {
  const path = p.ImageFilePath;
  const bytes: u32 = path != 0 ? load<u32>(path) : 0;
  const size: u32 = 8 + (bytes != 0 ? bytes + 2 : 0);
  if (returnLength != 0 && !ExWriteUserUlong(returnLength, size)) return STATUS_ACCESS_VIOLATION;
  if (length < size) return STATUS_INFO_LENGTH_MISMATCH;
  if (!ProbeUserRange(buffer, size, 4)) return STATUS_ACCESS_VIOLATION;
  // Built in pool (the UNICODE_STRING pointing at the caller's copy of the text), copied out once.
  const answer = ExAllocatePoolWithTag(NonPagedPool, size, PSP_ANSWER_TAG);
  if (answer == 0) return STATUS_INSUFFICIENT_RESOURCES;
  InitializeCountedString(answer, bytes != 0 ? buffer + 8 : 0, bytes, (bytes != 0 ? bytes + 2 : 0));
  if (bytes != 0) {
    memory.copy(answer + 8, path + 4, bytes);
    store<u16>(answer + 8 + bytes, 0);
  }
  const ok = ExCopyToUser(buffer, answer, size);
  ExFreePoolWithTag(answer, PSP_ANSWER_TAG);
  return ok ? STATUS_SUCCESS : STATUS_ACCESS_VIOLATION;
}

export function NtSetInformationProcess(handle: u32, infoClass: u32, buffer: u32, length: u32): u32 {
  return PspWithProcess(handle, PROCESS_SET_INFORMATION, PspSetInformationProcess, infoClass, buffer, length, 0);
}

/**
 * May a process still get another primary token? Only before it runs: it has
 * not ended and each of its threads (none, for a process NtCreateProcess just
 * made) was created suspended and is still parked, as CreateProcessAsUser's
 * shell is (winlogon). Asked with interrupts off (PsAssignPrimaryToken), so no
 * thread is resumed or added meanwhile. A thread that ran and was suspended
 * again is parked too: the answer does not tell it from one that never ran.
 */
function PspHasNotRun(process: usize): bool {
  if (PsProcessHasEnded(process)) return false;
  const head = process + EPROCESS_THREAD_LIST;
  for (let e = load<usize>(head); e != head; e = load<usize>(e)) {
    const t = changetype<KTHREAD>(e - KTHREAD_THREAD_LINKS);
    if (t.Parked == 0 || t.SuspendCount == 0) return false;
  }
  return true;
}

function PspSetInformationProcess(process: usize, infoClass: u32, buffer: u32, length: u32, unused: u32): u32 {
  const p = changetype<EPROCESS>(process);
  if (infoClass == ProcessQuotaLimits) return PspSetQuotaLimits(p, buffer, length);
  switch (infoClass) {
    case ProcessBasePriority: case ProcessSessionInformation: case ProcessBreakOnTermination: case ProcessDeviceMap: break;
    case ProcessAccessToken: {
      // PROCESS_ACCESS_TOKEN { Token, Thread }: a new primary token (pstoken.ts; se/token.ts checks SeAssignPrimaryTokenPrivilege).
      if (length != SIZEOF_PROCESS_ACCESS_TOKEN) return STATUS_INFO_LENGTH_MISMATCH;
      const cell = KeAllocateScratch(SIZEOF_PROCESS_ACCESS_TOKEN);
      const copied = ProbeUserRange(buffer, SIZEOF_PROCESS_ACCESS_TOKEN, 4) && ExCopyFromUser(cell, buffer, SIZEOF_PROCESS_ACCESS_TOKEN);
      const token = load<u32>(cell);
      KeFreeScratch(cell);
      if (!copied) return STATUS_ACCESS_VIOLATION;
      return PsAssignPrimaryToken(process, token, PspHasNotRun);
    }
    default: return STATUS_INVALID_INFO_CLASS;
  }
  const check = PspCheckBuffer(buffer, length, 4);
  if (check != STATUS_SUCCESS) return check;
  const cell = KeAllocateScratch(4); // the value, read once
  const read = ExCopyFromUser(cell, buffer, 4);
  const value = load<u32>(cell);
  KeFreeScratch(cell);
  if (!read) return STATUS_ACCESS_VIOLATION;
  switch (infoClass) {
    case ProcessBasePriority: {
      if (value == 0 || value > 31) return STATUS_INVALID_PARAMETER;
      // Raising it takes SeIncreaseBasePriorityPrivilege (NT's check); lowering does not.
      if (value > p.BasePriority && !SeSinglePrivilegeCheck(SE_INC_BASE_PRIORITY_PRIVILEGE)) return STATUS_PRIVILEGE_NOT_HELD;
      PspSetProcessBasePriority(process, value);
      break;
    }
    case ProcessSessionInformation: {
      // NT asks for SeTcbPrivilege; the session must exist (its space and directories come with it).
      if (!SeSinglePrivilegeCheck(SE_TCB_PRIVILEGE)) return STATUS_PRIVILEGE_NOT_HELD;
      const status = PsSetProcessSessionId(process, value);
      if (status != STATUS_SUCCESS) return status;
      break;
    }
    case ProcessDeviceMap: {
      // PROCESS_DEVICEMAP_INFORMATION.Set: a directory handle (DIRECTORY_TRAVERSE). With LUID
      // device maps on (NT 5.1's default) changing a process's map takes SeTcbPrivilege.
      if (!SeSinglePrivilegeCheck(SE_TCB_PRIVILEGE)) return STATUS_PRIVILEGE_NOT_HELD;
      const status = ObSetDeviceMap(process + EPROCESS_DEVICE_MAP, value);
      if (status != STATUS_SUCCESS) return status;
      break;
    }
    case ProcessBreakOnTermination:
      if (!SeSinglePrivilegeCheck(SE_DEBUG_PRIVILEGE)) return STATUS_PRIVILEGE_NOT_HELD; // as NT 5.2 and later
      if (value != 0) p.Flags |= PS_PROCESS_FLAGS_CRITICAL; else p.Flags &= ~PS_PROCESS_FLAGS_CRITICAL;
      KeLogFormat2("ps", "process %u%s", p.UniqueProcessId, changetype<usize>(value != 0 ? " is critical: its end stops the system" : " is no longer critical"));
      break;
  }
  return STATUS_SUCCESS;
}


/**
 * NtQueryInformationProcess(ProcessDeviceMap): PROCESS_DEVICEMAP_INFORMATION
 * (36 bytes) or its _EX form (40, whose Flags the caller sets:
 * PROCESS_LUID_DOSDEVICES_ONLY or 0, anything else STATUS_INVALID_PARAMETER).
 */
function PspQueryDeviceMap(process: usize, buffer: u32, length: u32, returnLength: u32): u32 {
  let flags: u32 = 0;
  if (length == SIZEOF_PROCESS_DEVICEMAP_INFORMATION_EX) {
    if (!ProbeUserRange(buffer, length, 4)) return STATUS_ACCESS_VIOLATION;
    const cell = KeAllocateScratch(4); // Flags, read once
    const read = ExCopyFromUser(cell, buffer + PROCESS_DEVICEMAP_INFORMATION_EX_FLAGS, 4);
    flags = load<u32>(cell);
    KeFreeScratch(cell);
    if (!read) return STATUS_ACCESS_VIOLATION;
    if ((flags & ~PROCESS_LUID_DOSDEVICES_ONLY) != 0) return STATUS_INVALID_PARAMETER;
  } else {
    const check = PspCheckBuffer(buffer, length, SIZEOF_PROCESS_DEVICEMAP_INFORMATION);
    if (check != STATUS_SUCCESS) return check;
  }
  // A kernel copy of the query form, filled under Ob's lock, then copied out: the
  // thread's own (a module-level one was another caller's by the time it was copied).
  const info = KeAllocateScratch(SIZEOF_PROCESS_DEVICEMAP_INFORMATION);
  ObQueryDeviceMapInformation(changetype<EPROCESS>(process).DeviceMap, info, flags);
  let status = ExCopyToUser(buffer, info, SIZEOF_PROCESS_DEVICEMAP_INFORMATION) ? STATUS_SUCCESS : STATUS_ACCESS_VIOLATION;
  KeFreeScratch(info);
  if (status == STATUS_SUCCESS && returnLength != 0 && !ExWriteUserUlong(returnLength, length)) status = STATUS_ACCESS_VIOLATION;
  return status;
}

/**
 * NT's KeSetPriorityProcess: the process's base priority becomes `priority`
 * and every thread's base priority moves by the same amount (kept within
 * 1-15, or 16-31 for a real-time base), its current priority with it.
 */
function PspSetProcessBasePriority(process: usize, priority: u32): void {
  const p = changetype<EPROCESS>(process);
  const delta = <i32>priority - <i32>p.BasePriority;
  p.BasePriority = priority;
  // The visit's context: the change and the class's bounds, packed (delta + 32) | low << 8 | high << 16.
  const low: u32 = priority >= 16 ? 16 : 1, high: u32 = priority >= 16 ? 31 : 15;
  KeForEachThread(process + EPROCESS_THREAD_LIST, PspShiftBasePriority, <u32>(delta + 32) | low << 8 | high << 16);
}

/** KeForEachThread's visit: moves `thread`'s base priority by the packed delta, kept within the packed bounds. */
function PspShiftBasePriority(thread: usize, packed: usize): void {
  const low = <i32>((packed >> 8) & 0xFF), high = <i32>((packed >> 16) & 0xFF);
  let base = <i32>changetype<KTHREAD>(thread).BasePriority + (<i32>(packed & 0xFF) - 32);
  if (base < low) base = low;
  if (base > high) base = high;
  KeSetPriorityThread(thread, <u32>base);
}

/**
 * ProcessQuotaLimits (QUOTA_LIMITS) and ProcessVmCounters (VM_COUNTERS or
 * its _EX form) from the process's quota block: filled in the thread's
 * scratch, then copied out once.
 */
function PspQueryQuota(p: EPROCESS, infoClass: u32, buffer: u32, length: u32, returnLength: u32): u32 {
  const size = infoClass == ProcessQuotaLimits ? SIZEOF_QUOTA_LIMITS
    : length == SIZEOF_VM_COUNTERS_EX ? SIZEOF_VM_COUNTERS_EX : SIZEOF_VM_COUNTERS;
  const check = PspCheckBuffer(buffer, length, size);
  if (check != STATUS_SUCCESS) return check;
  const info = KeAllocateScratch(size);
  const q = changetype<EPROCESS_QUOTA_BLOCK>(p.QuotaBlock);
  if (infoClass == ProcessQuotaLimits) {
    const l = changetype<QUOTA_LIMITS>(info);
    l.PagedPoolLimit = p.QuotaBlock != 0 ? q.PagedLimit : 0xFFFFFFFF;
    l.NonPagedPoolLimit = p.QuotaBlock != 0 ? q.NonPagedLimit : 0xFFFFFFFF;
    l.PagefileLimit = 0xFFFFFFFF;
  } else if (p.QuotaBlock != 0) {
    const v = changetype<VM_COUNTERS>(info);
    v.QuotaPeakPagedPoolUsage = q.PagedPeak;
    v.QuotaPagedPoolUsage = q.PagedUsage;
    v.QuotaPeakNonPagedPoolUsage = q.NonPagedPeak;
    v.QuotaNonPagedPoolUsage = q.NonPagedUsage;
  }
  const status = PspCopyAnswer(buffer, info, size, returnLength);
  KeFreeScratch(info);
  return status;
}

/**
 * ProcessQuotaLimits set: the pool limits become the ones given (0 keeps a
 * limit as it is). Lowering one below what is in use refuses the next
 * charges, nothing more; raising one needs SeIncreaseQuotaPrivilege, as NT asks.
 */
function PspSetQuotaLimits(p: EPROCESS, buffer: u32, length: u32): u32 {
  const check = PspCheckBuffer(buffer, length, SIZEOF_QUOTA_LIMITS);
  if (check != STATUS_SUCCESS) return check;
  const cell = KeAllocateScratch(8); // the two limits, read once
  const read = ExCopyFromUser(cell, buffer, 8);
  const paged = load<u32>(cell), nonPaged = load<u32>(cell, 4);
  KeFreeScratch(cell);
  if (!read) return STATUS_ACCESS_VIOLATION;
  if (p.QuotaBlock == 0) return STATUS_INVALID_PARAMETER;
  const q = changetype<EPROCESS_QUOTA_BLOCK>(p.QuotaBlock);
  const newPaged = paged != 0 ? paged : q.PagedLimit, newNonPaged = nonPaged != 0 ? nonPaged : q.NonPagedLimit;
  if ((newPaged > q.PagedLimit || newNonPaged > q.NonPagedLimit) && !SeSinglePrivilegeCheck(SE_INCREASE_QUOTA_PRIVILEGE)) return STATUS_PRIVILEGE_NOT_HELD;
  q.PagedLimit = newPaged;
  q.NonPagedLimit = newNonPaged;
  return STATUS_SUCCESS;
}
