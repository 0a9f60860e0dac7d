// NtQuerySystemInformation: SystemBasicInformation (0),
// SystemProcessorInformation (1), SystemPerformanceInformation (2: the
// available, committed and commit-limit pages, the pool's pages, allocations
// and frees; the rest zero),
// SystemProcessInformation (5) and SystemPageFileInformation (18,
// mm/pagefile.ts), in their real 32-bit layouts.
//
// NtSetSystemInformation: the classes that change the system. Ex sits below
// the layers that check privileges, make sessions and load images, so each
// class is handed in at boot by the component that owns it
// (ExRegisterSetInformationHandler): SystemExtendServiceTableInformation (38)
// by ps/psw32.ts, SystemSessionCreate (47) and SystemSessionDetach (48) by
// ps/pssession.ts. Each handler checks the length first
// (STATUS_INFO_LENGTH_MISMATCH), then the privilege (STATUS_PRIVILEGE_NOT_HELD),
// then the pointer, as ReactOS orders them.
//
// SystemProcessInformation is one SYSTEM_PROCESS_INFORMATION record (184
// bytes) per process, each followed by a SYSTEM_THREAD_INFORMATION (64 bytes)
// per thread and then its image name (UTF-16, NUL-terminated, aligned);
// NextEntryOffset chains them, 0 ends the list. The Idle process (pid 0, its
// idle thread, no name) comes first, then the active processes in creation
// order (System, pid 4, first).
//
// Every answer is built in pool and copied to the caller once, through the
// user-copy routine (ExCopyToUser), after the probes (range checks): a page
// another thread takes away meanwhile gives STATUS_ACCESS_VIOLATION. The
// pointers an answer holds into itself (image and paging-file names) are
// the caller's addresses.

import { KTHREAD, KeGetIdleThread, KTHREAD_THREAD_LINKS, KeContextSwitches, KeAcquireDispatcherLock, KeReleaseDispatcherLock } from "../ke/thread";
import { KeFeatureBits, KeProcessorFamily, KeProcessorModel, KeProcessorStepping } from "../ke/cpu";
import { MmAvailablePages, MmNumberOfManagedPages } from "../mm/pfn";
import { MmPageFileInformationLength, MmPeakCommitmentPages, MmQueryPagingCounts, MmQueryPageFileInformation, MmTotalCommitLimit, MmTotalCommittedPages } from "../mm/pagefile";
import { ObGetHandleCount } from "../ob/obhandle";
import { EPROCESS_QUOTA_BLOCK } from "./quota";
import { EPROCESS, EPROCESS_ACTIVE_LINKS, EPROCESS_THREAD_LIST, PsActiveProcessHead, PsImageFileName } from "../ps/psmain";
import { SYSTEM_BASIC_INFORMATION, SYSTEM_PROCESS_INFORMATION, SYSTEM_THREAD_INFORMATION } from "../sdk/sysinfo";
import {
  STATUS_ACCESS_VIOLATION, STATUS_INFO_LENGTH_MISMATCH, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_INFO_CLASS, STATUS_SUCCESS,
  STATUS_NOT_IMPLEMENTED, STATUS_PRIVILEGE_NOT_HELD,
} from "../sdk/ntstatus";
import { ExCopyToUser, ExWriteUserUlong, ProbeUserRange } from "../ke/probe";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, ExPoolPages, ExPoolTotalAllocs, ExPoolTotalFrees, NonPagedPool } from "./pool";
import { SystemExtendServiceTableInformation } from "../sdk/sysinfo";
import { MM_ALLOCATION_GRANULARITY, MM_HIGHEST_USER_ADDRESS, MM_LOWEST_USER_ADDRESS, PAGE_SIZE } from "../sdk/ntdef";
import {
  SystemBasicInformation, SystemPageFileInformation, SystemPerformanceInformation, SystemProcessInformation, SystemProcessorInformation,
  SystemSessionCreate, SystemSessionDetach, SIZEOF_SYSTEM_PERFORMANCE_INFORMATION, SIZEOF_SYSTEM_PROCESSOR_INFORMATION,
  SYSTEM_PAGEFILE_INFORMATION, SYSTEM_PERFORMANCE_INFORMATION, SYSTEM_PROCESSOR_INFORMATION,
} from "../sdk/sysinfo";


const BASIC_SIZE: u32 = <u32>offsetof<SYSTEM_BASIC_INFORMATION>();
const PROCESS_RECORD: u32 = <u32>offsetof<SYSTEM_PROCESS_INFORMATION>();
const THREAD_RECORD: u32 = <u32>offsetof<SYSTEM_THREAD_INFORMATION>();
const PROCESSOR_SIZE: u32 = SIZEOF_SYSTEM_PROCESSOR_INFORMATION;
const PERFORMANCE_SIZE: u32 = SIZEOF_SYSTEM_PERFORMANCE_INFORMATION;
const SYSINFO_TAG: u32 = 0x49737953; // 'SysI'

function PspNameBytes(process: usize): u32 {
  if (process == 0) return 0;
  const name = PsImageFileName(process);
  let n: u32 = 0;
  while (n < 15 && load<u8>(name + n) != 0) n++;
  return n;
}

/** Bytes of one process's record: header, threads, name (UTF-16 + NUL, 4-byte aligned). */
function PspRecordSize(process: usize, threads: u32): u32 {
  const name = PspNameBytes(process);
  return PROCESS_RECORD + threads * THREAD_RECORD + (name != 0 ? ((name + 1) * 2 + 3) & ~3 : 0);
}

function PspThreadCount(process: usize): u32 {
  if (process == 0) return 1;
  let n: u32 = 0;
  const head = process + EPROCESS_THREAD_LIST;
  for (let e = load<usize>(head); e != head; e = load<usize>(e)) n++;
  return n;
}

function PspWriteThread(at: usize, thread: usize, pid: u32): void {
  const t = changetype<KTHREAD>(thread);
  memory.fill(at, 0, THREAD_RECORD);
  const r = changetype<SYSTEM_THREAD_INFORMATION>(at);
  r.StartAddress = <usize>t.StartRoutine;
  r.ClientId_UniqueProcess = pid;
  r.ClientId_UniqueThread = t.UniqueThread;
  r.Priority = <i32>t.Priority;
  r.BasePriority = <i32>t.BasePriority;
  r.ContextSwitches = thread == KeGetIdleThread() ? KeContextSwitches : 0;
  r.ThreadState = t.State; // KTHREAD_STATE
  r.WaitReason = 0;
}

/** Writes one process's record at `at` (its name pointer moved by `delta`, to the caller's copy); returns its size. */
function PspWriteProcess(at: usize, process: usize, last: bool, delta: usize): u32 {
  const threads = PspThreadCount(process);
  const size = PspRecordSize(process, threads);
  memory.fill(at, 0, PROCESS_RECORD);
  const r = changetype<SYSTEM_PROCESS_INFORMATION>(at);
  r.NextEntryOffset = last ? 0 : size;
  r.NumberOfThreads = threads;
  if (process != 0) {
    const p = changetype<EPROCESS>(process);
    r.CreateTime_Low = p.CreateTimeLow;
    r.CreateTime_High = p.CreateTimeHigh;
    r.BasePriority = <i32>p.BasePriority;
    r.UniqueProcessId = p.UniqueProcessId;
    r.InheritedFromUniqueProcessId = p.InheritedFromUniqueProcessId;
    r.HandleCount = p.ObjectTable != 0 ? ObGetHandleCount(p.ObjectTable) : 0;
    r.SessionId = p.SessionId;
    if (p.QuotaBlock != 0) { // what its calls have charged (ex/quota.ts)
      const q = changetype<EPROCESS_QUOTA_BLOCK>(p.QuotaBlock);
      r.QuotaPeakPagedPoolUsage = q.PagedPeak;
      r.QuotaPagedPoolUsage = q.PagedUsage;
      r.QuotaPeakNonPagedPoolUsage = q.NonPagedPeak;
      r.QuotaNonPagedPoolUsage = q.NonPagedUsage;
    }
    const nameBytes = PspNameBytes(process);
    const nameAt = at + PROCESS_RECORD + threads * THREAD_RECORD;
    const name = PsImageFileName(process);
    for (let i: u32 = 0; i < nameBytes; i++) store<u16>(nameAt + (i << 1), <u16>load<u8>(name + i));
    store<u16>(nameAt + (nameBytes << 1), 0);
    r.ImageName_Length = <u16>(nameBytes * 2);
    r.ImageName_MaximumLength = <u16>(nameBytes * 2 + 2);
    r.ImageName_Buffer = nameAt + delta; // in the caller's buffer
    let k: u32 = 0;
    const head = process + EPROCESS_THREAD_LIST;
    for (let e = load<usize>(head); e != head; e = load<usize>(e)) {
      PspWriteThread(at + PROCESS_RECORD + k * THREAD_RECORD, e - KTHREAD_THREAD_LINKS, p.UniqueProcessId);
      k++;
    }
  } else {
    r.BasePriority = 0;
    PspWriteThread(at + PROCESS_RECORD, KeGetIdleThread(), 0);
  }
  return size;
}

/** NtQuerySystemInformation(SystemInformationClass, SystemInformation, Length, *ReturnLength). */
export function NtQuerySystemInformation(infoClass: u32, buffer: usize, length: u32, returnLength: usize): u32 {
  if (returnLength != 0 && !ProbeUserRange(returnLength, 4, 4)) return STATUS_ACCESS_VIOLATION;
  if (infoClass == SystemProcessInformation) return ExpQueryProcessInformation(buffer, length, returnLength);
  let size: u32 = 0, exact = true;
  switch (infoClass) {
    case SystemBasicInformation: size = BASIC_SIZE; break;
    case SystemProcessorInformation: size = PROCESSOR_SIZE; break;
    case SystemPerformanceInformation: size = PERFORMANCE_SIZE; exact = false; break;
    case SystemPageFileInformation: size = MmPageFileInformationLength(); exact = false; break;
    default: return STATUS_INVALID_INFO_CLASS;
  }
  if (returnLength != 0 && !ExWriteUserUlong(returnLength, size)) return STATUS_ACCESS_VIOLATION;
  if (exact ? length != size : length < size) return STATUS_INFO_LENGTH_MISMATCH;
  if (!ProbeUserRange(buffer, size, 4)) return STATUS_ACCESS_VIOLATION;
  if (size == 0) return STATUS_SUCCESS;
  const answer = ExAllocatePoolWithTag(NonPagedPool, size, SYSINFO_TAG);
  if (answer == 0) return STATUS_INSUFFICIENT_RESOURCES;
  memory.fill(answer, 0, size);
  if (infoClass == SystemBasicInformation) ExpFillBasic(answer);
  else if (infoClass == SystemProcessorInformation) ExpFillProcessor(answer);
  else if (infoClass == SystemPerformanceInformation) ExpFillPerformance(answer);
  else if (size == MmPageFileInformationLength()) ExpFillPageFiles(answer, buffer);
  else size = 0; // a paging file came meanwhile: an empty answer rather than a write past the block
  const ok = size == 0 || ExCopyToUser(buffer, answer, size);
  ExFreePoolWithTag(answer, SYSINFO_TAG);
  return ok ? STATUS_SUCCESS : STATUS_ACCESS_VIOLATION;
}

function ExpFillBasic(buffer: usize): void {
  const b = changetype<SYSTEM_BASIC_INFORMATION>(buffer);
  b.TimerResolution = 100000; // 10 ms in 100 ns units
  b.PageSize = PAGE_SIZE;
  b.NumberOfPhysicalPages = MmNumberOfManagedPages;
  b.LowestPhysicalPageNumber = 1;
  b.HighestPhysicalPageNumber = MmNumberOfManagedPages + 0x800;
  b.AllocationGranularity = MM_ALLOCATION_GRANULARITY;
  b.MinimumUserModeAddress = MM_LOWEST_USER_ADDRESS;
  b.MaximumUserModeAddress = MM_HIGHEST_USER_ADDRESS;
  b.ActiveProcessorsAffinityMask = 1;
  b.NumberOfProcessors = 1;
}

/**
 * Architecture 0 (x86), Level = cpuid family, Revision = model << 8 | stepping (family 6 and later,
 * as NT encodes it), MaximumProcessors, FeatureBits: what smss makes PROCESSOR_LEVEL and _REVISION of.
 */
function ExpFillProcessor(buffer: usize): void {
  const p = changetype<SYSTEM_PROCESSOR_INFORMATION>(buffer);
  p.ProcessorArchitecture = 0;
  p.ProcessorLevel = <u16>KeProcessorFamily;
  p.ProcessorRevision = <u16>((KeProcessorModel << 8) | KeProcessorStepping);
  p.MaximumProcessors = 1;
  p.FeatureBits = KeFeatureBits;
}

function ExpFillPerformance(buffer: usize): void {
  const p = changetype<SYSTEM_PERFORMANCE_INFORMATION>(buffer);
  p.AvailablePages = MmAvailablePages;
  p.TotalCommittedPages = MmTotalCommittedPages();
  p.TotalCommitLimit = MmTotalCommitLimit();       // physical pages + paging files
  p.PeakCommitment = MmPeakCommitmentPages();
  MmQueryPagingCounts(buffer);                     // TransitionFaults, PagesRead, PagefilePagesWritten, ...
  // The pool (only nonpaged memory exists): its pages, and allocations and frees since boot.
  p.NonPagedPoolUsage = ExPoolPages;
  p.NonPagedPoolAllocs = ExPoolTotalAllocs();
  p.NonPagedPoolFrees = ExPoolTotalFrees();
}

/** Mm's paging-file records at `answer`, their name pointers moved to the caller's copy at `user`. */
function ExpFillPageFiles(answer: usize, user: usize): void {
  MmQueryPageFileInformation(answer);
  let at = answer;
  while (true) {
    const r = changetype<SYSTEM_PAGEFILE_INFORMATION>(at);
    r.FileName_Buffer = r.FileName_Buffer - answer + user;
    const next = r.NextEntryOffset;
    if (next == 0) break;
    at += next;
  }
}

/** Bytes of the whole process list; under the dispatcher lock. */
function ExpProcessListSize(): u32 {
  let total = PspRecordSize(0, 1);
  const head = PsActiveProcessHead;
  for (let e = load<usize>(head); e != head; e = load<usize>(e)) {
    const process = e - EPROCESS_ACTIVE_LINKS;
    total += PspRecordSize(process, PspThreadCount(process));
  }
  return total;
}

/**
 * SystemProcessInformation: sized under the dispatcher lock, then written
 * into pool under it again (a list that grew in between is sized anew), and
 * copied out with the lock released.
 */
function ExpQueryProcessInformation(buffer: usize, length: u32, returnLength: usize): u32 {
  let answer: usize = 0, allocated: u32 = 0, total: u32 = 0;
  while (true) {
    const f = KeAcquireDispatcherLock();
    total = ExpProcessListSize();
    if (total <= allocated) {
      const head = PsActiveProcessHead;
      const delta = buffer - answer;
      let at = answer;
      at += PspWriteProcess(at, 0, load<usize>(head) == head, delta);
      for (let e = load<usize>(head); e != head; e = load<usize>(e)) at += PspWriteProcess(at, e - EPROCESS_ACTIVE_LINKS, load<usize>(e) == head, delta);
      KeReleaseDispatcherLock(f);
      break;
    }
    KeReleaseDispatcherLock(f);
    if (answer != 0) ExFreePoolWithTag(answer, SYSINFO_TAG);
    answer = 0;
    if (length < total) break;
    answer = ExAllocatePoolWithTag(NonPagedPool, total, SYSINFO_TAG);
    if (answer == 0) return STATUS_INSUFFICIENT_RESOURCES;
    allocated = total;
  }
  let status = STATUS_SUCCESS;
  if (returnLength != 0 && !ExWriteUserUlong(returnLength, total)) status = STATUS_ACCESS_VIOLATION;
  else if (answer == 0) status = STATUS_INFO_LENGTH_MISMATCH;
  else if (!ProbeUserRange(buffer, total, 4) || !ExCopyToUser(buffer, answer, total)) status = STATUS_ACCESS_VIOLATION;
  if (answer != 0) ExFreePoolWithTag(answer, SYSINFO_TAG);
  return status;
}

// ---- NtSetSystemInformation ----

/** One class of NtSetSystemInformation: the caller's buffer and length as they are. */
export type SetInformationHandler = (buffer: usize, length: u32) => u32;

function ExpNoHandler(buffer: usize, length: u32): u32 { return STATUS_NOT_IMPLEMENTED; }
let ExpDriverLoader: SetInformationHandler = ExpNoHandler;
let ExpSessionCreate: SetInformationHandler = ExpNoHandler;
let ExpSessionDetach: SetInformationHandler = ExpNoHandler;

/**
 * Phase 1: the component that owns a class hands in its handler (Ps for the
 * session driver loader and for sessions), as Mm hands the pool its pages.
 * Until then the class answers STATUS_NOT_IMPLEMENTED.
 */
export function ExRegisterSetInformationHandler(infoClass: u32, handler: SetInformationHandler): void {
  if (infoClass == SystemExtendServiceTableInformation) ExpDriverLoader = handler;
  else if (infoClass == SystemSessionCreate) ExpSessionCreate = handler;
  else if (infoClass == SystemSessionDetach) ExpSessionDetach = handler;
}

/** NtSetSystemInformation(SystemInformationClass, SystemInformation, SystemInformationLength). */
export function NtSetSystemInformation(infoClass: u32, buffer: usize, length: u32): u32 {
  switch (infoClass) {
    case SystemExtendServiceTableInformation: return ExpDriverLoader(buffer, length);
    case SystemSessionCreate: return ExpSessionCreate(buffer, length);
    case SystemSessionDetach: return ExpSessionDetach(buffer, length);
  }
  return STATUS_INVALID_INFO_CLASS;
}
