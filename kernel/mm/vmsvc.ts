// The virtual memory services as callers see them: the current process (-1)
// directly, another process through its handle. For another process the
// caller's in/out values are captured into kernel memory first, the thread
// attaches to the other address space, runs the same routine in kernel mode
// on its own (current = attached) process, detaches, and writes the results
// back to the caller.
//
// Every per-call cell (the captured values, the handle's status) is in the
// calling thread's scratch arena: the services are preemptible, and a
// module-level cell was another caller's (a failed handle lookup in one
// thread made a concurrent good call in another return its status).

import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import { KernelMode, KiSetPreviousMode, ProbeForWrite } from "../ke/probe";
import { MiAllocateVirtualMemory, MiFreeVirtualMemory, MiProtectVirtualMemory, MiQueryVirtualMemory } from "./virtual";
import { PsGetCurrentProcess } from "../ps/psmain";
import { KeStackAttachProcess, KeUnstackDetachProcess } from "../ke/attach";
import { PsDereferenceProcess, PsReferenceProcessByHandle } from "../ps/psprocess";
import { NT_ERROR, STATUS_ACCESS_VIOLATION, STATUS_SUCCESS } from "../sdk/ntstatus";

export const PROCESS_VM_OPERATION: u32 = 0x0008;
export const PROCESS_QUERY_INFORMATION: u32 = 0x0400;
const SELF: u32 = 0xFFFFFFFF;

// A service's cells (KeAllocateScratch): base, size, old protection, result length, then the handle's status.
const CELLS_SIZE: u32 = 20;
const C_STATUS: u32 = 16;

/** The other process a handle names (0: it is the current one, or the handle failed: then the status is at cells + C_STATUS). */
function MiOtherProcess(handle: u32, access: u32, cells: usize): usize {
  if (handle == SELF) return 0;
  const cell = KeAllocateScratch(4);
  const status = PsReferenceProcessByHandle(handle, access, cell);
  const process = load<usize>(cell);
  KeFreeScratch(cell);
  if (status != STATUS_SUCCESS) { store<u32>(cells + C_STATUS, status); return 0; }
  PsDereferenceProcess(process); // the caller's handle keeps it
  return process == PsGetCurrentProcess() ? 0 : process;
}

function MiEnter(process: usize): u32 { const mode = KiSetPreviousMode(KernelMode); KeStackAttachProcess(process); return mode; }
function MiLeave(mode: u32): void { KeUnstackDetachProcess(); KiSetPreviousMode(mode); }

/** Copies the caller's *BaseAddress and *RegionSize into the kernel cells (probed in the caller). */
function MiCaptureRange(cells: usize, baseAddress: usize, regionSize: usize): bool {
  if (!ProbeForWrite(baseAddress, 4, 4) || !ProbeForWrite(regionSize, 4, 4)) return false;
  store<u32>(cells, load<u32>(baseAddress));
  store<u32>(cells, load<u32>(regionSize), 4);
  return true;
}
function MiReturnRange(cells: usize, baseAddress: usize, regionSize: usize): void {
  store<u32>(baseAddress, load<u32>(cells));
  store<u32>(regionSize, load<u32>(cells, 4));
}

export function NtAllocateVirtualMemory(process: u32, baseAddress: usize, zeroBits: u32, regionSize: usize, type: u32, protect: u32): u32 {
  const cells = KeAllocateScratch(CELLS_SIZE);
  const other = MiOtherProcess(process, PROCESS_VM_OPERATION, cells);
  let status = load<u32>(cells + C_STATUS);
  if (status == 0 && other == 0) status = MiAllocateVirtualMemory(SELF, baseAddress, zeroBits, regionSize, type, protect);
  else if (status == 0 && !MiCaptureRange(cells, baseAddress, regionSize)) status = STATUS_ACCESS_VIOLATION;
  else if (status == 0) {
    const mode = MiEnter(other);
    status = MiAllocateVirtualMemory(SELF, cells, zeroBits, cells + 4, type, protect);
    MiLeave(mode);
    MiReturnRange(cells, baseAddress, regionSize);
  }
  KeFreeScratch(cells);
  return status;
}

export function NtFreeVirtualMemory(process: u32, baseAddress: usize, regionSize: usize, freeType: u32): u32 {
  const cells = KeAllocateScratch(CELLS_SIZE);
  const other = MiOtherProcess(process, PROCESS_VM_OPERATION, cells);
  let status = load<u32>(cells + C_STATUS);
  if (status == 0 && other == 0) status = MiFreeVirtualMemory(SELF, baseAddress, regionSize, freeType);
  else if (status == 0 && !MiCaptureRange(cells, baseAddress, regionSize)) status = STATUS_ACCESS_VIOLATION;
  else if (status == 0) {
    const mode = MiEnter(other);
    status = MiFreeVirtualMemory(SELF, cells, cells + 4, freeType);
    MiLeave(mode);
    MiReturnRange(cells, baseAddress, regionSize);
  }
  KeFreeScratch(cells);
  return status;
}

export function NtProtectVirtualMemory(process: u32, baseAddress: usize, regionSize: usize, newProtect: u32, oldProtect: usize): u32 {
  const cells = KeAllocateScratch(CELLS_SIZE);
  const other = MiOtherProcess(process, PROCESS_VM_OPERATION, cells);
  let status = load<u32>(cells + C_STATUS);
  if (status == 0 && other == 0) status = MiProtectVirtualMemory(SELF, baseAddress, regionSize, newProtect, oldProtect);
  else if (status == 0 && (!MiCaptureRange(cells, baseAddress, regionSize) || !ProbeForWrite(oldProtect, 4, 4))) status = STATUS_ACCESS_VIOLATION;
  else if (status == 0) {
    const mode = MiEnter(other);
    status = MiProtectVirtualMemory(SELF, cells, cells + 4, newProtect, cells + 8);
    MiLeave(mode);
    MiReturnRange(cells, baseAddress, regionSize);
    store<u32>(oldProtect, load<u32>(cells, 8));
  }
  KeFreeScratch(cells);
  return status;
}

/** The only information class answers MEMORY_BASIC_INFORMATION. */
const MEMORY_BASIC_INFORMATION_SIZE: u32 = 28;

export function NtQueryVirtualMemory(process: u32, address: usize, infoClass: u32, buffer: usize, length: u32, resultLength: usize): u32 {
  const cells = KeAllocateScratch(CELLS_SIZE + MEMORY_BASIC_INFORMATION_SIZE);
  const other = MiOtherProcess(process, PROCESS_QUERY_INFORMATION, cells);
  let status = load<u32>(cells + C_STATUS);
  if (status == 0 && other == 0) status = MiQueryVirtualMemory(SELF, address, infoClass, buffer, length, resultLength);
  else if (status == 0 && (!ProbeForWrite(buffer, length, 4) || (resultLength != 0 && !ProbeForWrite(resultLength, 4, 4)))) status = STATUS_ACCESS_VIOLATION;
  else if (status == 0) {
    // The kernel copy is at most what the class answers, whatever length the
    // caller names: a user-chosen length here once made the kernel allocate
    // that much nonpaged pool. It is in the scratch arena, not pool.
    const bounded: u32 = length < MEMORY_BASIC_INFORMATION_SIZE ? length : MEMORY_BASIC_INFORMATION_SIZE;
    const copy = cells + CELLS_SIZE;
    const mode = MiEnter(other);
    status = MiQueryVirtualMemory(SELF, address, infoClass, copy, bounded, cells + 12);
    MiLeave(mode);
    if (!NT_ERROR(status)) memory.copy(buffer, copy, bounded);
    if (resultLength != 0) store<u32>(resultLength, load<u32>(cells, 12));
  }
  KeFreeScratch(cells);
  return status;
}
