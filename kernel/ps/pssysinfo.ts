// SystemProcessInformation (NtQuerySystemInformation class 5, ex/sysinfo.ts,
// which Ps hands this answer to: ExSetProcessInformationRoutine): one
// SYSTEM_PROCESS_INFORMATION record (184 bytes) per process, each followed by
// a SYSTEM_THREAD_INFORMATION (64 bytes) per thread and then its image name
// (UTF-16, NUL-terminated, aligned); NextEntryOffset chains them, 0 ends the
// list. The Idle process (pid 0, its idle thread, no name) comes first, then
// the active processes in creation order (System, pid 4, first). Built in
// pool under the dispatcher lock, copied to the caller once, after the probe.

import { KTHREAD, KeGetIdleThread, KTHREAD_THREAD_LINKS, KeContextSwitches, KeAcquireDispatcherLock, KeReleaseDispatcherLock } from "../ke/thread";
import { ExCopyToUser, ExWriteUserUlong, ProbeUserRange } from "../ke/probe";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { EPROCESS_QUOTA_BLOCK } from "../ex/quota";
import { ObGetHandleCount } from "../ob/obhandle";
import { EPROCESS, EPROCESS_ACTIVE_LINKS, EPROCESS_THREAD_LIST, PsActiveProcessHead, PsImageFileName } from "./psmain";
import { SYSTEM_PROCESS_INFORMATION, SYSTEM_THREAD_INFORMATION } from "../sdk/sysinfo";
import { STATUS_ACCESS_VIOLATION, STATUS_INFO_LENGTH_MISMATCH, STATUS_INSUFFICIENT_RESOURCES, STATUS_SUCCESS } from "../sdk/ntstatus";

const PROCESS_RECORD: u32 = <u32>offsetof<SYSTEM_PROCESS_INFORMATION>();
const THREAD_RECORD: u32 = <u32>offsetof<SYSTEM_THREAD_INFORMATION>();
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

/** Bytes of the whole process list; under the dispatcher lock. */
function PspProcessListSize(): u32 {
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
export function PsQuerySystemProcessInformation(buffer: usize, length: u32, returnLength: usize): u32 {
  let answer: usize = 0, allocated: u32 = 0, total: u32 = 0;
  while (true) {
    const f = KeAcquireDispatcherLock();
    total = PspProcessListSize();
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
