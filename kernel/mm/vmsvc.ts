// The virtual memory services as callers see them: the current process (-1)
// directly, another process through its handle. For another process the
// caller's in/out values are captured into kernel memory first, the thread
// attaches to the other address space, runs the same routine in kernel mode
// on its own (current = attached) process, detaches, and writes the results
// back to the caller.

import { KeCurrentThread, KTHREAD_SERVICE_SCRATCH } from "../ke/thread";
import { KernelMode, KiSetPreviousMode, ProbeForWrite } from "../ke/probe";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { MiAllocateVirtualMemory, MiFreeVirtualMemory, MiProtectVirtualMemory, MiQueryVirtualMemory } from "./virtual";
import { PsGetCurrentProcess } from "../ps/psmain";
import { KeStackAttachProcess, KeUnstackDetachProcess } from "../ke/attach";
import { PsProcessFromHandle, PsProcessHandleStatus, PsReleaseProcessFromHandle } from "../ps/psprocess";
import { NT_ERROR, STATUS_ACCESS_VIOLATION, STATUS_INSUFFICIENT_RESOURCES } from "../sdk/ntstatus";

export const PROCESS_VM_OPERATION: u32 = 0x0008;
export const PROCESS_QUERY_INFORMATION: u32 = 0x0400;
const SELF: u32 = 0xFFFFFFFF;

@inline function cells(): usize { return KeCurrentThread + KTHREAD_SERVICE_SCRATCH + 44; } // base, size, old protection, result length

/** The other process a handle names (0: it is the current one, or the handle failed: then `failed` is set). */
let MiFailed: u32 = 0;
function MiOtherProcess(handle: u32, access: u32): usize {
  MiFailed = 0;
  if (handle == SELF) return 0;
  const process = PsProcessFromHandle(handle, access);
  if (process == 0) { MiFailed = PsProcessHandleStatus(); return 0; }
  PsReleaseProcessFromHandle(); // the caller's handle keeps it
  return process == PsGetCurrentProcess() ? 0 : process;
}

function MiEnter(process: usize): u32 { const mode = KiSetPreviousMode(KernelMode); KeStackAttachProcess(process); return mode; }
function MiLeave(mode: u32): void { KeUnstackDetachProcess(); KiSetPreviousMode(mode); }

/** Copies the caller's *BaseAddress and *RegionSize into kernel cells (probed in the caller). */
function MiCaptureRange(baseAddress: usize, regionSize: usize): bool {
  if (!ProbeForWrite(baseAddress, 4, 4) || !ProbeForWrite(regionSize, 4, 4)) return false;
  store<u32>(cells(), load<u32>(baseAddress));
  store<u32>(cells(), load<u32>(regionSize), 4);
  return true;
}
function MiReturnRange(baseAddress: usize, regionSize: usize): void {
  store<u32>(baseAddress, load<u32>(cells()));
  store<u32>(regionSize, load<u32>(cells(), 4));
}

export function NtAllocateVirtualMemory(process: u32, baseAddress: usize, zeroBits: u32, regionSize: usize, type: u32, protect: u32): u32 {
  const other = MiOtherProcess(process, PROCESS_VM_OPERATION);
  if (MiFailed != 0) return MiFailed;
  if (other == 0) return MiAllocateVirtualMemory(SELF, baseAddress, zeroBits, regionSize, type, protect);
  if (!MiCaptureRange(baseAddress, regionSize)) return STATUS_ACCESS_VIOLATION;
  const mode = MiEnter(other);
  const status = MiAllocateVirtualMemory(SELF, cells(), zeroBits, cells() + 4, type, protect);
  MiLeave(mode);
  MiReturnRange(baseAddress, regionSize);
  return status;
}

export function NtFreeVirtualMemory(process: u32, baseAddress: usize, regionSize: usize, freeType: u32): u32 {
  const other = MiOtherProcess(process, PROCESS_VM_OPERATION);
  if (MiFailed != 0) return MiFailed;
  if (other == 0) return MiFreeVirtualMemory(SELF, baseAddress, regionSize, freeType);
  if (!MiCaptureRange(baseAddress, regionSize)) return STATUS_ACCESS_VIOLATION;
  const mode = MiEnter(other);
  const status = MiFreeVirtualMemory(SELF, cells(), cells() + 4, freeType);
  MiLeave(mode);
  MiReturnRange(baseAddress, regionSize);
  return status;
}

export function NtProtectVirtualMemory(process: u32, baseAddress: usize, regionSize: usize, newProtect: u32, oldProtect: usize): u32 {
  const other = MiOtherProcess(process, PROCESS_VM_OPERATION);
  if (MiFailed != 0) return MiFailed;
  if (other == 0) return MiProtectVirtualMemory(SELF, baseAddress, regionSize, newProtect, oldProtect);
  if (!MiCaptureRange(baseAddress, regionSize) || !ProbeForWrite(oldProtect, 4, 4)) return STATUS_ACCESS_VIOLATION;
  const mode = MiEnter(other);
  const status = MiProtectVirtualMemory(SELF, cells(), cells() + 4, newProtect, cells() + 8);
  MiLeave(mode);
  MiReturnRange(baseAddress, regionSize);
  store<u32>(oldProtect, load<u32>(cells(), 8));
  return status;
}

export function NtQueryVirtualMemory(process: u32, address: usize, infoClass: u32, buffer: usize, length: u32, resultLength: usize): u32 {
  const other = MiOtherProcess(process, PROCESS_QUERY_INFORMATION);
  if (MiFailed != 0) return MiFailed;
  if (other == 0) return MiQueryVirtualMemory(SELF, address, infoClass, buffer, length, resultLength);
  if (!ProbeForWrite(buffer, length, 4) || (resultLength != 0 && !ProbeForWrite(resultLength, 4, 4))) return STATUS_ACCESS_VIOLATION;
  // The only class answers 28 bytes (MEMORY_BASIC_INFORMATION): the kernel
  // copy is at most that, whatever length the caller names (a user-chosen
  // length here once made the kernel allocate that much nonpaged pool).
  const bounded: u32 = length < 28 ? length : 28;
  const copy = ExAllocatePoolWithTag(NonPagedPool, 28, 0x6D6D7651); // 'Qvmm'
  if (copy == 0) return STATUS_INSUFFICIENT_RESOURCES;
  const mode = MiEnter(other);
  const status = MiQueryVirtualMemory(SELF, address, infoClass, copy, bounded, cells() + 12);
  MiLeave(mode);
  if (!NT_ERROR(status)) memory.copy(buffer, copy, bounded);
  if (resultLength != 0) store<u32>(resultLength, load<u32>(cells(), 12));
  ExFreePoolWithTag(copy, 0x6D6D7651);
  return status;
}
