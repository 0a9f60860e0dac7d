// The virtual memory services as callers see them: the current process (-1)
// or another process through its handle. The caller's in/out values
// (*BaseAddress, *RegionSize, the information) are captured into kernel
// cells first, each read once through ExCopyFromUser; the routine in
// virtual.ts runs in kernel mode on those cells (attached to the other
// address space when there is one), and the results go back through
// ExWriteUserUlong / ExCopyToUser: a page the caller's other thread
// decommits meanwhile gives STATUS_ACCESS_VIOLATION, never a kernel fault.
// As in NT, a result that cannot be written back leaves the work done
// (the region stays allocated).
//
// Every per-call cell (the captured values, the handle's status) is in the
// calling thread's scratch arena: the services are preemptible, and a
// module-level cell was another caller's (a failed handle lookup in one
// thread made a concurrent good call in another return its status).

import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import { ExCopyFromUser, ExCopyToUser, ExWriteUserUlong, KeEnterKernelCall, KeLeaveKernelCall, ProbeUserRange } from "../ke/probe";
import { MmLockAddressSpace, MmUnlockAddressSpace } from "./aslock";
import { MiAllocateVirtualMemory, MiFreeVirtualMemory, MiProtectVirtualMemory, MiQueryVirtualMemory } from "./virtual";
import { KeStackAttachProcess, KeUnstackDetachProcess } from "../ke/attach";
import { MmDereferenceProcess, MmGetCurrentProcess, MmProcessHasEnded, MmReferenceProcessByHandle } from "./mmproc";
import { NT_ERROR, NT_SUCCESS, STATUS_ACCESS_VIOLATION, STATUS_PROCESS_IS_TERMINATING, STATUS_SUCCESS } from "../sdk/ntstatus";
import { SIZEOF_MEMORY_BASIC_INFORMATION } from "../sdk/ntdef";


export const PROCESS_VM_OPERATION: u32 = 0x0008;
export const PROCESS_QUERY_INFORMATION: u32 = 0x0400;
const SELF: u32 = 0xFFFFFFFF;

// A service's cells (KeAllocateScratch): base, size, old protection, result length, then the handle's status.
const CELLS_SIZE: u32 = 20;
const C_STATUS: u32 = 16;

/**
 * The other process a handle names, referenced until MiDoneWithProcess (0: it
 * is the current one, or the handle failed: then the status is at cells +
 * C_STATUS). The reference is the service's own: another thread of the
 * caller may close the handle while the service is attached to the process,
 * and the process may end and go meanwhile.
 */
function MiOtherProcess(handle: u32, access: u32, cells: usize): usize {
  store<u32>(cells + C_STATUS, STATUS_SUCCESS);
  if (handle == SELF) return 0;
  const cell = KeAllocateScratch(4);
  const status = MmReferenceProcessByHandle(handle, access, cell);
  const process = load<usize>(cell);
  KeFreeScratch(cell);
  if (status != STATUS_SUCCESS) { store<u32>(cells + C_STATUS, status); return 0; }
  if (process == MmGetCurrentProcess()) { MmDereferenceProcess(process); return 0; } // the running thread keeps its own
  return process;
}

/** Drops MiOtherProcess's reference, once the service is done with the process. */
function MiDoneWithProcess(process: usize): void { if (process != 0) MmDereferenceProcess(process); }

/**
 * Kernel mode for the routine on the cells, in `process`'s address space (0: the current one), under the
 * address-space lock (mm/aslock.ts): two threads never change or read one region list at once. A process
 * that has ended has no address space (its end deletes it under this lock): the service is refused with
 * STATUS_PROCESS_IS_TERMINATING at cells + C_STATUS, as NT refuses it, and nothing is attached.
 */
function MiEnter(process: usize, cells: usize): u32 {
  const mode = KeEnterKernelCall();
  MmLockAddressSpace();
  if (process != 0 && MmProcessHasEnded(process)) store<u32>(cells + C_STATUS, STATUS_PROCESS_IS_TERMINATING);
  else if (process != 0) KeStackAttachProcess(process);
  return mode;
}
function MiLeave(process: usize, cells: usize, mode: u32): void {
  if (process != 0 && load<u32>(cells + C_STATUS) == STATUS_SUCCESS) KeUnstackDetachProcess();
  MmUnlockAddressSpace();
  KeLeaveKernelCall(mode);
}

/** Reads the caller's *BaseAddress and *RegionSize once into the kernel cells. */
function MiCaptureRange(cells: usize, baseAddress: usize, regionSize: usize): bool {
  return ProbeUserRange(baseAddress, 4, 4) && ProbeUserRange(regionSize, 4, 4)
    && ExCopyFromUser(cells, baseAddress, 4) && ExCopyFromUser(cells + 4, regionSize, 4);
}
function MiReturnRange(cells: usize, baseAddress: usize, regionSize: usize): bool {
  return ExWriteUserUlong(baseAddress, load<u32>(cells)) && ExWriteUserUlong(regionSize, load<u32>(cells, 4));
}

export function NtAllocateVirtualMemory(process: u32, baseAddress: usize, zeroBits: u32, regionSize: usize, type: u32, protect: u32): u32 {
  const cells = KeAllocateScratch(CELLS_SIZE);
  const other = MiOtherProcess(process, PROCESS_VM_OPERATION, cells);
  let status = load<u32>(cells + C_STATUS);
  if (status == 0 && !MiCaptureRange(cells, baseAddress, regionSize)) status = STATUS_ACCESS_VIOLATION;
  else if (status == 0) {
    const mode = MiEnter(other, cells);
    status = load<u32>(cells + C_STATUS) != STATUS_SUCCESS ? load<u32>(cells + C_STATUS) : MiAllocateVirtualMemory(SELF, cells, zeroBits, cells + 4, type, protect);
    MiLeave(other, cells, mode);
    if (NT_SUCCESS(status) && !MiReturnRange(cells, baseAddress, regionSize)) status = STATUS_ACCESS_VIOLATION;
  }
  MiDoneWithProcess(other);
  KeFreeScratch(cells);
  return status;
}

export function NtFreeVirtualMemory(process: u32, baseAddress: usize, regionSize: usize, freeType: u32): u32 {
  const cells = KeAllocateScratch(CELLS_SIZE);
  const other = MiOtherProcess(process, PROCESS_VM_OPERATION, cells);
  let status = load<u32>(cells + C_STATUS);
  if (status == 0 && !MiCaptureRange(cells, baseAddress, regionSize)) status = STATUS_ACCESS_VIOLATION;
  else if (status == 0) {
    const mode = MiEnter(other, cells);
    status = load<u32>(cells + C_STATUS) != STATUS_SUCCESS ? load<u32>(cells + C_STATUS) : MiFreeVirtualMemory(SELF, cells, cells + 4, freeType);
    MiLeave(other, cells, mode);
    if (NT_SUCCESS(status) && !MiReturnRange(cells, baseAddress, regionSize)) status = STATUS_ACCESS_VIOLATION;
  }
  MiDoneWithProcess(other);
  KeFreeScratch(cells);
  return status;
}

export function NtProtectVirtualMemory(process: u32, baseAddress: usize, regionSize: usize, newProtect: u32, oldProtect: usize): u32 {
  const cells = KeAllocateScratch(CELLS_SIZE);
  const other = MiOtherProcess(process, PROCESS_VM_OPERATION, cells);
  let status = load<u32>(cells + C_STATUS);
  if (status == 0 && (!MiCaptureRange(cells, baseAddress, regionSize) || !ProbeUserRange(oldProtect, 4, 4))) status = STATUS_ACCESS_VIOLATION;
  else if (status == 0) {
    const mode = MiEnter(other, cells);
    status = load<u32>(cells + C_STATUS) != STATUS_SUCCESS ? load<u32>(cells + C_STATUS) : MiProtectVirtualMemory(SELF, cells, cells + 4, newProtect, cells + 8);
    MiLeave(other, cells, mode);
    if (NT_SUCCESS(status) && (!MiReturnRange(cells, baseAddress, regionSize) || !ExWriteUserUlong(oldProtect, load<u32>(cells, 8)))) status = STATUS_ACCESS_VIOLATION;
  }
  MiDoneWithProcess(other);
  KeFreeScratch(cells);
  return status;
}

/** The only information class answers MEMORY_BASIC_INFORMATION (sdk/ntdef.ts). */
export function NtQueryVirtualMemory(process: u32, address: usize, infoClass: u32, buffer: usize, length: u32, resultLength: usize): u32 {
  const cells = KeAllocateScratch(CELLS_SIZE + SIZEOF_MEMORY_BASIC_INFORMATION);
  const other = MiOtherProcess(process, PROCESS_QUERY_INFORMATION, cells);
  let status = load<u32>(cells + C_STATUS);
  if (status == 0 && (!ProbeUserRange(buffer, length, 4) || (resultLength != 0 && !ProbeUserRange(resultLength, 4, 4)))) status = STATUS_ACCESS_VIOLATION;
  else if (status == 0) {
    // The kernel copy is at most what the class answers, whatever length the
    // caller names: a user-chosen length here once made the kernel allocate
    // that much nonpaged pool. It is in the scratch arena, not pool.
    const bounded: u32 = length < SIZEOF_MEMORY_BASIC_INFORMATION ? length : SIZEOF_MEMORY_BASIC_INFORMATION;
    const copy = cells + CELLS_SIZE;
    const mode = MiEnter(other, cells);
    status = load<u32>(cells + C_STATUS) != STATUS_SUCCESS ? load<u32>(cells + C_STATUS) : MiQueryVirtualMemory(SELF, address, infoClass, copy, bounded, cells + 12);
    MiLeave(other, cells, mode);
    if (!NT_ERROR(status) && !ExCopyToUser(buffer, copy, bounded)) status = STATUS_ACCESS_VIOLATION;
    else if (!NT_ERROR(status) && resultLength != 0 && !ExWriteUserUlong(resultLength, load<u32>(cells, 12))) status = STATUS_ACCESS_VIOLATION;
  }
  MiDoneWithProcess(other);
  KeFreeScratch(cells);
  return status;
}
