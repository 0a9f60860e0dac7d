// NtReadVirtualMemory / NtWriteVirtualMemory: copying between the caller's
// address space and another process's, a page at a time through a pool
// bounce buffer, attached to the other process for its half of each copy.

import { ProbeForRead, ProbeForWrite } from "../ke/probe";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { MmIsUserRangeAccessible } from "./procmm";
import { KeStackAttachProcess, KeUnstackDetachProcess, PsGetCurrentProcess } from "../ps/psmain";
import { PsProcessFromHandle, PsProcessHandleStatus, PsReleaseProcessFromHandle } from "../ps/psprocess";
import {
  STATUS_ACCESS_VIOLATION, STATUS_INSUFFICIENT_RESOURCES, STATUS_PARTIAL_COPY, STATUS_SUCCESS,
} from "../sdk/ntstatus";

export const PROCESS_VM_READ: u32 = 0x0010;
export const PROCESS_VM_WRITE: u32 = 0x0020;
const COPY_TAG: u32 = 0x79706F43; // 'Copy'
const CHUNK: u32 = 4096;

function MiCopyVirtualMemory(handle: u32, processAddress: usize, callerBuffer: usize, size: u32, done: usize, toProcess: bool): u32 {
  if (!(toProcess ? ProbeForRead(callerBuffer, size, 1) : ProbeForWrite(callerBuffer, size, 1))) return STATUS_ACCESS_VIOLATION;
  if (done != 0 && !ProbeForWrite(done, 4, 4)) return STATUS_ACCESS_VIOLATION;
  const process = PsProcessFromHandle(handle, toProcess ? PROCESS_VM_WRITE : PROCESS_VM_READ);
  if (process == 0) return PsProcessHandleStatus();
  const other = process != PsGetCurrentProcess();
  const bounce = ExAllocatePoolWithTag(NonPagedPool, CHUNK, COPY_TAG);
  let status = bounce == 0 ? STATUS_INSUFFICIENT_RESOURCES : STATUS_SUCCESS;
  let copied: u32 = 0;
  while (status == STATUS_SUCCESS && copied < size) {
    const n = size - copied < CHUNK ? size - copied : CHUNK;
    if (toProcess) memory.copy(bounce, callerBuffer + copied, n);
    if (other) KeStackAttachProcess(process);
    const ok = MmIsUserRangeAccessible(processAddress + copied, n, toProcess);
    if (ok) { if (toProcess) memory.copy(processAddress + copied, bounce, n); else memory.copy(bounce, processAddress + copied, n); }
    if (other) KeUnstackDetachProcess();
    if (!ok) { status = copied == 0 ? STATUS_ACCESS_VIOLATION : STATUS_PARTIAL_COPY; break; }
    if (!toProcess) memory.copy(callerBuffer + copied, bounce, n);
    copied += n;
  }
  if (bounce != 0) ExFreePoolWithTag(bounce, COPY_TAG);
  PsReleaseProcessFromHandle();
  if (done != 0) store<u32>(done, copied);
  return status;
}

/** NtReadVirtualMemory(ProcessHandle, BaseAddress, Buffer, NumberOfBytesToRead, NumberOfBytesRead optional). */
export function NtReadVirtualMemory(handle: u32, base: usize, buffer: usize, size: u32, done: usize): u32 {
  return MiCopyVirtualMemory(handle, base, buffer, size, done, false);
}

/** NtWriteVirtualMemory(ProcessHandle, BaseAddress, Buffer, NumberOfBytesToWrite, NumberOfBytesWritten optional). */
export function NtWriteVirtualMemory(handle: u32, base: usize, buffer: usize, size: u32, done: usize): u32 {
  return MiCopyVirtualMemory(handle, base, buffer, size, done, true);
}
