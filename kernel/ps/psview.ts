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
import { LpcSetProcessRoutines } from "../lpc/lpcp";
import { KTHREAD, KTHREAD_THREAD_LINKS } from "../ke/thread";
import {
  EPROCESS, EPROCESS_ACTIVE_LINKS, EPROCESS_THREAD_LIST, EPROCESS_VAD_LIST, PsActiveProcessHead, PsGetCurrentProcess, PsInitialSystemProcess,
  PspDereferenceProcess, PspReferenceProcess,
} from "./psmain";
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
  LpcSetProcessRoutines(PspProcessIdForLpc, PspCreateTimeForLpc, PspThreadExists);
}

/** A process's id for LPC (0: the System process). */
function PspProcessIdForLpc(process: usize): u32 {
  return changetype<EPROCESS>(process != 0 ? process : PsInitialSystemProcess).UniqueProcessId;
}
/** A process's creation time for LPC's closed and died messages (0: the System process's). */
function PspCreateTimeForLpc(process: usize): u64 {
  const p = changetype<EPROCESS>(process != 0 ? process : PsInitialSystemProcess);
  return (<u64>p.CreateTimeHigh << 32) | <u64>p.CreateTimeLow;
}
/** Is there a running thread with this ClientId (PsLookupProcessThreadByCid)? */
function PspThreadExists(process: u32, thread: u32): bool {
  for (let e = load<usize>(PsActiveProcessHead); e != PsActiveProcessHead; e = load<usize>(e)) {
    const p = e - EPROCESS_ACTIVE_LINKS;
    if (changetype<EPROCESS>(p).UniqueProcessId != process) continue;
    const head = p + EPROCESS_THREAD_LIST;
    for (let t = load<usize>(head); t != head; t = load<usize>(t)) {
      if (changetype<KTHREAD>(t - KTHREAD_THREAD_LINKS).UniqueThread == thread) return true;
    }
  }
  return false;
}
