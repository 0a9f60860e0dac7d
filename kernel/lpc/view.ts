// Port views: a section shared by the two ends of a connection, for
// messages too big for a PORT_MESSAGE (csrss's clients pass their capture
// buffers this way).
//
// The client names its section in NtConnectPort's PORT_VIEW (ClientView):
// the kernel maps it read/write into the client at once, and into the
// server when the server accepts. The server may name a section of its own
// in NtAcceptConnectPort's PORT_VIEW (ServerView): mapped into the server
// and into the client. Each side learns where the other's view is through
// the REMOTE_PORT_VIEW it passes (NtConnectPort's ServerView,
// NtAcceptConnectPort's ClientView) and the ViewRemoteBase of its own
// PORT_VIEW:
//
//   client                                  server
//   ClientView.ViewBase        <- client's section ->  ClientView(remote).ViewBase = ClientView.ViewRemoteBase
//   ServerView(remote).ViewBase <- server's section ->  ServerView.ViewBase; ServerView.ViewRemoteBase = the client's address
//
// Each port records what it mapped and in which process (referenced); the
// views go when the port is deleted, as NT's LpcpDeletePort unmaps them. A
// section handle or view NT refuses gets NT's status: the handle's
// (STATUS_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH, STATUS_ACCESS_DENIED
// without SECTION_MAP_READ | SECTION_MAP_WRITE), or NtMapViewOfSection's
// (STATUS_INVALID_VIEW_SIZE past the section's end, STATUS_MAPPED_ALIGNMENT
// for an offset not 64 KiB aligned, STATUS_SECTION_PROTECTION for a
// read-only section).
//
//   PORT_VIEW (24):        +0 Length  +4 SectionHandle  +8 SectionOffset  +12 ViewSize  +16 ViewBase  +20 ViewRemoteBase
//   REMOTE_PORT_VIEW (12): +0 Length  +4 ViewSize  +8 ViewBase

import { ProbeForWrite } from "../ke/probe";
import { KTHREAD } from "../ke/thread";
import { ObDereferenceObject } from "../ob/obref";
import { ExpLastStatus, ExpReference } from "../ex/sync";
import { MmMapViewOfSectionKernel, MmSectionObjectType, MmUnmapViewOfSectionKernel, SECTION_MAP_READ, SECTION_MAP_WRITE } from "../mm/section";
import { MmKernelDirectory } from "../mm/procmm";
import { EPROCESS, EPROCESS_VAD_LIST, KeStackAttachProcess, KeUnstackDetachProcess, PsGetCurrentProcess, PspDereferenceProcess, PspReferenceProcess } from "../ps/psmain";
import { cli, read_eflags, sti } from "../sdk/intrinsics";
import { SIZEOF_PORT_VIEW, SIZEOF_REMOTE_PORT_VIEW } from "../sdk/lpc";
import { STATUS_ACCESS_VIOLATION, STATUS_INVALID_PARAMETER, STATUS_IMAGE_NOT_AT_BASE, STATUS_PROCESS_IS_TERMINATING, STATUS_SUCCESS } from "../sdk/ntstatus";
import { LpcpLock, LpcpUnlock, Port } from "./lpcp";

// PORT_VIEW and REMOTE_PORT_VIEW fields (sdk/lpc.ts has the classes).
export const VIEW_SECTION_HANDLE: u32 = 4;
export const VIEW_SECTION_OFFSET: u32 = 8;
export const VIEW_SIZE: u32 = 12;
export const VIEW_BASE: u32 = 16;
export const VIEW_REMOTE_BASE: u32 = 20;
export const REMOTE_VIEW_SIZE: u32 = 4;
export const REMOTE_VIEW_BASE: u32 = 8;

/**
 * Probes a PORT_VIEW (in/out) and copies it to `into` (kernel, 24 bytes),
 * read once under the lock; STATUS_INVALID_PARAMETER unless its Length is 24.
 */
export function LpcpCaptureView(view: usize, into: usize): u32 {
  const lock = LpcpLock();
  let status = STATUS_SUCCESS;
  if (!ProbeForWrite(view, SIZEOF_PORT_VIEW, 4)) status = STATUS_ACCESS_VIOLATION;
  else {
    memory.copy(into, view, SIZEOF_PORT_VIEW);
    if (load<u32>(into) != SIZEOF_PORT_VIEW) status = STATUS_INVALID_PARAMETER;
  }
  LpcpUnlock(lock);
  return status;
}

/** Probes a REMOTE_PORT_VIEW (out); STATUS_INVALID_PARAMETER unless its Length is 12. */
export function LpcpCheckRemoteView(view: usize): u32 {
  const lock = LpcpLock();
  let status = STATUS_SUCCESS;
  if (!ProbeForWrite(view, SIZEOF_REMOTE_PORT_VIEW, 4)) status = STATUS_ACCESS_VIOLATION;
  else if (load<u32>(view) != SIZEOF_REMOTE_PORT_VIEW) status = STATUS_INVALID_PARAMETER;
  LpcpUnlock(lock);
  return status;
}

/** The section a captured PORT_VIEW names, referenced for mapping read/write; 0 with the status at `statusOut`. */
export function LpcpReferenceViewSection(captured: usize, statusOut: usize): usize {
  const section = ExpReference(load<u32>(captured, VIEW_SECTION_HANDLE), SECTION_MAP_READ | SECTION_MAP_WRITE, MmSectionObjectType);
  store<u32>(statusOut, section == 0 ? ExpLastStatus() : STATUS_SUCCESS);
  return section;
}

/** A process whose address space still exists (an ended process's is the kernel's). */
function LpcpProcessAlive(process: usize): bool {
  return changetype<EPROCESS>(process).DirectoryTableBase != MmKernelDirectory;
}

/**
 * Maps `section` read/write anywhere into `process` (attached to when it is
 * not the current one; interrupts stay off meanwhile so it cannot end
 * halfway). `out` (kernel memory): base, size, offset (u64), as
 * MmMapViewOfSectionKernel.
 */
export function LpcpMapView(section: usize, process: usize, offset: u32, size: u32, out: usize): u32 {
  const f = read_eflags() & 0x200;
  cli();
  let status = STATUS_PROCESS_IS_TERMINATING;
  if (LpcpProcessAlive(process)) {
    const other = process != PsGetCurrentProcess();
    if (other) KeStackAttachProcess(process);
    status = MmMapViewOfSectionKernel(section, process + EPROCESS_VAD_LIST, <u64>offset, size, out);
    if (status == STATUS_IMAGE_NOT_AT_BASE) status = STATUS_SUCCESS; // an image section: mapped, elsewhere than its base
    if (other) KeUnstackDetachProcess();
  }
  if (f != 0) sti();
  return status;
}

/** Unmaps the view at `base` from `process` if it still exists. */
function LpcpUnmapView(process: usize, base: usize): void {
  if (base == 0 || !LpcpProcessAlive(process)) return;
  const f = read_eflags() & 0x200;
  cli();
  const other = process != PsGetCurrentProcess();
  if (other) KeStackAttachProcess(process);
  MmUnmapViewOfSectionKernel(process + EPROCESS_VAD_LIST, base);
  if (other) KeUnstackDetachProcess();
  if (f != 0) sti();
}

/** Records `process` (referenced once per port) as the one holding `port`'s views. */
export function LpcpSetMappingProcess(port: usize, process: usize): void {
  const p = Port(port);
  if (p.MappingProcess != 0) return;
  PspReferenceProcess(process);
  p.MappingProcess = process;
}

/** The process of the thread whose LPC state is `thread` (a KTHREAD). */
export function LpcpProcessOfThread(thread: usize): usize { return changetype<KTHREAD>(thread).Process; }

/** The Port delete procedure's part: the views this side mapped, its section and its process go. */
export function LpcpDeleteViews(port: usize): void {
  const p = Port(port);
  const process = p.MappingProcess;
  if (process != 0) {
    LpcpUnmapView(process, p.ClientSectionBase);
    LpcpUnmapView(process, p.ServerSectionBase);
    p.ClientSectionBase = 0;
    p.ServerSectionBase = 0;
    p.MappingProcess = 0;
    PspDereferenceProcess(process);
  }
  const section = p.SectionToMap;
  if (section != 0) { p.SectionToMap = 0; ObDereferenceObject(section); }
}
