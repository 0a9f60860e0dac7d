// NtQuerySystemInformation: SystemBasicInformation (0) and
// SystemProcessInformation (5), in their real 32-bit layouts.
//
// SystemProcessInformation is one SYSTEM_PROCESS_INFORMATION record (184
// bytes) per process, each followed by a SYSTEM_THREAD_INFORMATION (64 bytes)
// per thread and then its image name (UTF-16, NUL-terminated, aligned);
// NextEntryOffset chains them, 0 ends the list. The Idle process (pid 0, its
// idle thread, no name) comes first, then the active processes in creation
// order (System, pid 4, first).

import { ProbeForWrite } from "../ke/probe";
import { KTHREAD, KiIdleThread, KTHREAD_THREAD_LINKS, KeContextSwitches, KiLockDispatcher, KiUnlockDispatcher } from "../ke/thread";
import { MmNumberOfManagedPages } from "../mm/pfn";
import { ObGetHandleCount } from "../ob/obhandle";
import { EPROCESS, EPROCESS_ACTIVE_LINKS, EPROCESS_THREAD_LIST, PsActiveProcessHead, PsImageFileName } from "../ps/psmain";
import {
  STATUS_ACCESS_VIOLATION, STATUS_INFO_LENGTH_MISMATCH, STATUS_INVALID_INFO_CLASS, STATUS_SUCCESS,
} from "../sdk/ntstatus";


export const SystemBasicInformation: u32 = 0;
export const SystemProcessInformation: u32 = 5;

const BASIC_SIZE: u32 = 44;
const PROCESS_RECORD: u32 = 184;
const THREAD_RECORD: u32 = 64;

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
  store<u32>(at, <u32>t.StartRoutine, 28);     // StartAddress
  store<u32>(at, pid, 32);                     // ClientId.UniqueProcess
  store<u32>(at, t.UniqueThread, 36);          // ClientId.UniqueThread
  store<u32>(at, t.Priority, 40);
  store<u32>(at, t.BasePriority, 44);
  store<u32>(at, thread == KiIdleThread ? KeContextSwitches : 0, 48);
  store<u32>(at, t.State, 52);                 // KTHREAD_STATE
  store<u32>(at, 0, 56);                       // WaitReason
}

/** Writes one process's record at `at`; returns its size. */
function PspWriteProcess(at: usize, process: usize, last: bool): u32 {
  const threads = PspThreadCount(process);
  const size = PspRecordSize(process, threads);
  memory.fill(at, 0, PROCESS_RECORD);
  store<u32>(at, last ? 0 : size, 0);          // NextEntryOffset
  store<u32>(at, threads, 4);                  // NumberOfThreads
  if (process != 0) {
    const p = changetype<EPROCESS>(process);
    store<u32>(at, p.CreateTimeLow, 32);
    store<u32>(at, p.CreateTimeHigh, 36);
    store<u32>(at, p.BasePriority, 64);
    store<u32>(at, p.UniqueProcessId, 68);
    store<u32>(at, p.ObjectTable != 0 ? ObGetHandleCount(p.ObjectTable) : 0, 76); // HandleCount
    store<u32>(at, p.SessionId, 80);
    const nameBytes = PspNameBytes(process);
    const nameAt = at + PROCESS_RECORD + threads * THREAD_RECORD;
    const name = PsImageFileName(process);
    for (let i: u32 = 0; i < nameBytes; i++) store<u16>(nameAt + (i << 1), <u16>load<u8>(name + i));
    store<u16>(nameAt + (nameBytes << 1), 0);
    store<u16>(at, <u16>(nameBytes * 2), 56);   // ImageName.Length
    store<u16>(at, <u16>(nameBytes * 2 + 2), 58);
    store<u32>(at, <u32>nameAt, 60);            // ImageName.Buffer (in the caller's buffer)
    let k: u32 = 0;
    const head = process + EPROCESS_THREAD_LIST;
    for (let e = load<usize>(head); e != head; e = load<usize>(e)) {
      PspWriteThread(at + PROCESS_RECORD + k * THREAD_RECORD, e - KTHREAD_THREAD_LINKS, p.UniqueProcessId);
      k++;
    }
  } else {
    store<u32>(at, 0, 64);
    PspWriteThread(at + PROCESS_RECORD, KiIdleThread, 0);
  }
  return size;
}

/** NtQuerySystemInformation(SystemInformationClass, SystemInformation, Length, *ReturnLength). */
export function NtQuerySystemInformation(infoClass: u32, buffer: usize, length: u32, returnLength: usize): u32 {
  if (returnLength != 0 && !ProbeForWrite(returnLength, 4, 4)) return STATUS_ACCESS_VIOLATION;
  if (infoClass == SystemBasicInformation) {
    if (returnLength != 0) store<u32>(returnLength, BASIC_SIZE);
    if (length != BASIC_SIZE) return STATUS_INFO_LENGTH_MISMATCH;
    if (!ProbeForWrite(buffer, BASIC_SIZE, 4)) return STATUS_ACCESS_VIOLATION;
    memory.fill(buffer, 0, BASIC_SIZE);
    store<u32>(buffer, 100000, 4);            // TimerResolution: 10 ms in 100 ns units
    store<u32>(buffer, 4096, 8);              // PageSize
    store<u32>(buffer, MmNumberOfManagedPages, 12);
    store<u32>(buffer, 1, 16);                // LowestPhysicalPageNumber
    store<u32>(buffer, MmNumberOfManagedPages + 0x800, 20); // HighestPhysicalPageNumber
    store<u32>(buffer, 65536, 24);            // AllocationGranularity
    store<u32>(buffer, 0x00010000, 28);       // MinimumUserModeAddress
    store<u32>(buffer, 0x7FFEFFFF, 32);       // MaximumUserModeAddress
    store<u32>(buffer, 1, 36);                // ActiveProcessorsAffinityMask
    store<u8>(buffer, 1, 40);                 // NumberOfProcessors
    return STATUS_SUCCESS;
  }
  if (infoClass != SystemProcessInformation) return STATUS_INVALID_INFO_CLASS;
  const f = KiLockDispatcher();
  let total = PspRecordSize(0, 1);
  const head = PsActiveProcessHead;
  for (let e = load<usize>(head); e != head; e = load<usize>(e)) {
    const process = e - EPROCESS_ACTIVE_LINKS;
    total += PspRecordSize(process, PspThreadCount(process));
  }
  if (returnLength != 0) store<u32>(returnLength, total);
  if (length < total) { KiUnlockDispatcher(f); return STATUS_INFO_LENGTH_MISMATCH; }
  if (!ProbeForWrite(buffer, total, 4)) { KiUnlockDispatcher(f); return STATUS_ACCESS_VIOLATION; }
  let at = buffer;
  at += PspWriteProcess(at, 0, load<usize>(head) == head);
  for (let e = load<usize>(head); e != head; e = load<usize>(e)) at += PspWriteProcess(at, e - EPROCESS_ACTIVE_LINKS, load<usize>(e) == head);
  KiUnlockDispatcher(f);
  return STATUS_SUCCESS;
}
