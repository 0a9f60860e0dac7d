// What LPC's port views need of processes (kernel/lpc/view.ts), given to it
// at phase 1 because Ps sits above LPC: map a section into a process,
// unmap it, keep the process referenced while a port holds views in it.
//
// A view goes into another process with the current thread attached to it
// (KeStackAttachProcess) and interrupts off, so the process cannot end
// halfway; a process that has ended (its address space is the kernel's
// again) gets STATUS_PROCESS_IS_TERMINATING and unmaps nothing.

import { cli, read_eflags, sti } from "../sdk/intrinsics";
import { MmMapViewOfSectionKernel, MmUnmapViewOfSectionKernel } from "../mm/section";
import { MmKernelDirectory } from "../mm/procmm";
import { LpcSetProcessViewHooks } from "../lpc/view";
import { EPROCESS, EPROCESS_VAD_LIST, PsGetCurrentProcess, PspDereferenceProcess, PspReferenceProcess } from "./psmain";
import { KeStackAttachProcess, KeUnstackDetachProcess } from "../ke/attach";
import { STATUS_IMAGE_NOT_AT_BASE, STATUS_PROCESS_IS_TERMINATING, STATUS_SUCCESS } from "../sdk/ntstatus";

/** A process whose address space still exists (an ended process's is the kernel's). */
function PspProcessAlive(process: usize): bool {
  return changetype<EPROCESS>(process).DirectoryTableBase != MmKernelDirectory;
}

function PspMapView(section: usize, process: usize, offset: u32, size: u32, out: usize): u32 {
  const f = read_eflags() & 0x200;
  cli();
  let status = STATUS_PROCESS_IS_TERMINATING;
  if (PspProcessAlive(process)) {
    const other = process != PsGetCurrentProcess();
    if (other) KeStackAttachProcess(process);
    status = MmMapViewOfSectionKernel(section, process + EPROCESS_VAD_LIST, <u64>offset, size, out);
    if (status == STATUS_IMAGE_NOT_AT_BASE) status = STATUS_SUCCESS; // an image section: mapped, elsewhere than its base
    if (other) KeUnstackDetachProcess();
  }
  if (f != 0) sti();
  return status;
}

function PspUnmapView(process: usize, base: usize): void {
  if (!PspProcessAlive(process)) return;
  const f = read_eflags() & 0x200;
  cli();
  const other = process != PsGetCurrentProcess();
  if (other) KeStackAttachProcess(process);
  MmUnmapViewOfSectionKernel(process + EPROCESS_VAD_LIST, base);
  if (other) KeUnstackDetachProcess();
  if (f != 0) sti();
}

function PspReferenceForLpc(process: usize): void { PspReferenceProcess(process); }
function PspDereferenceForLpc(process: usize): void { PspDereferenceProcess(process); }

/** Phase 1, after LpcInitSystem: LPC may map port views into processes. */
export function PsInitializeLpcViews(): void {
  LpcSetProcessViewHooks(PspMapView, PspUnmapView, PspReferenceForLpc, PspDereferenceForLpc);
}
