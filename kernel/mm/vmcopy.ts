// NtReadVirtualMemory / NtWriteVirtualMemory: copying between the caller's
// address space and another process's, a page at a time through a pool
// bounce buffer, attached to the other process for its half of each copy.
// Both halves go through the user-copy routines (ke/probe.ts): a page that is
// missing, or vanishes while the copy runs, ends it with STATUS_ACCESS_VIOLATION
// (nothing copied) or STATUS_PARTIAL_COPY, and NumberOfBytes says how far it got.

import { ExCopyFromUser, ExCopyToUser, ExWriteUserUlong, ProbeUserRange } from "../ke/probe";
import { MM_USER_PROBE_ADDRESS } from "../sdk/ntdef";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { KeStackAttachProcess, KeUnstackDetachProcess } from "../ke/attach";
import { MmDereferenceProcess, MmGetCurrentProcess, MmReferenceProcessByHandle } from "./mmproc";
import {
  STATUS_ACCESS_VIOLATION, STATUS_INSUFFICIENT_RESOURCES, STATUS_PARTIAL_COPY, STATUS_SUCCESS,
} from "../sdk/ntstatus";
import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";

export const PROCESS_VM_READ: u32 = 0x0010;
export const PROCESS_VM_WRITE: u32 = 0x0020;
const COPY_TAG: u32 = 0x79706F43; // 'Copy'
const CHUNK: u32 = 4096;

function MiCopyVirtualMemory(handle: u32, processAddress: usize, callerBuffer: usize, size: u32, done: usize, toProcess: bool): u32 {
  // Range checks only: every access below goes through the user-copy routines, so a page that
  // vanishes under a copy (another thread decommits it) ends the copy with a status, never a bug check.
  if (!ProbeUserRange(callerBuffer, size, 1)) return STATUS_ACCESS_VIOLATION;
  if (done != 0 && !ProbeUserRange(done, 4, 4)) return STATUS_ACCESS_VIOLATION;
  const cell = KeAllocateScratch(4);
  const referenced = MmReferenceProcessByHandle(handle, toProcess ? PROCESS_VM_WRITE : PROCESS_VM_READ, cell);
  const process = load<usize>(cell);
  KeFreeScratch(cell);
  if (referenced != STATUS_SUCCESS) return referenced;
  const other = process != MmGetCurrentProcess();
  const bounce = ExAllocatePoolWithTag(NonPagedPool, CHUNK, COPY_TAG);
  let status = bounce == 0 ? STATUS_INSUFFICIENT_RESOURCES : STATUS_SUCCESS;
  let copied: u32 = 0;
  while (status == STATUS_SUCCESS && copied < size) {
    const n = size - copied < CHUNK ? size - copied : CHUNK;
    let ok = !toProcess || ExCopyFromUser(bounce, callerBuffer + copied, n);
    if (ok) {
      if (other) KeStackAttachProcess(process);
      // The other process's range: user space (the kernel half is never copied), then a guarded copy.
      ok = processAddress + copied + n > processAddress + copied && processAddress + copied + n <= MM_USER_PROBE_ADDRESS
        && (toProcess ? ExCopyToUser(processAddress + copied, bounce, n) : ExCopyFromUser(bounce, processAddress + copied, n));
      if (other) KeUnstackDetachProcess();
    }
    if (ok && !toProcess) ok = ExCopyToUser(callerBuffer + copied, bounce, n);
    if (!ok) { status = copied == 0 ? STATUS_ACCESS_VIOLATION : STATUS_PARTIAL_COPY; break; }
    copied += n;
  }
  if (bounce != 0) ExFreePoolWithTag(bounce, COPY_TAG);
  MmDereferenceProcess(process);
  if (done != 0 && !ExWriteUserUlong(done, copied)) return STATUS_ACCESS_VIOLATION;
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
