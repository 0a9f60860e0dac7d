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
// views go when the port is deleted, as NT's LpcpDeletePort unmaps them.
// Mapping into a process is Ps's (ps/psview.ts registers it at phase 1:
// Ps sits above LPC). A
// section handle or view NT refuses gets NT's status: the handle's
// (STATUS_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH, STATUS_ACCESS_DENIED
// without SECTION_MAP_READ | SECTION_MAP_WRITE), or NtMapViewOfSection's
// (STATUS_INVALID_VIEW_SIZE past the section's end, STATUS_MAPPED_ALIGNMENT
// for an offset not 64 KiB aligned, STATUS_SECTION_PROTECTION for a
// read-only section).
//
//   PORT_VIEW (24):        +0 Length  +4 SectionHandle  +8 SectionOffset  +12 ViewSize  +16 ViewBase  +20 ViewRemoteBase
//   REMOTE_PORT_VIEW (12): +0 Length  +4 ViewSize  +8 ViewBase

import { ExCopyFromUser, ProbeUserRange } from "../ke/probe";
import { KeCurrentThread, KTHREAD } from "../ke/thread";
import { ObDereferenceObject } from "../ob/obref";
import { ObReferenceObjectByHandle } from "../ob/obhandle";
import { MmSectionObjectType, SECTION_MAP_READ, SECTION_MAP_WRITE } from "../mm/section";
import { SIZEOF_PORT_VIEW, SIZEOF_REMOTE_PORT_VIEW } from "../sdk/lpc";
import { STATUS_ACCESS_VIOLATION, STATUS_INVALID_HANDLE, STATUS_INVALID_PARAMETER, STATUS_NOT_IMPLEMENTED, STATUS_SUCCESS } from "../sdk/ntstatus";
import { Port } from "./lpcp";

// PORT_VIEW and REMOTE_PORT_VIEW fields (sdk/lpc.ts has the classes).
export const VIEW_SECTION_HANDLE: u32 = 4;
export const VIEW_SECTION_OFFSET: u32 = 8;
export const VIEW_SIZE: u32 = 12;
export const VIEW_BASE: u32 = 16;
export const VIEW_REMOTE_BASE: u32 = 20;
export const REMOTE_VIEW_SIZE: u32 = 4;
export const REMOTE_VIEW_BASE: u32 = 8;

/**
 * Copies a PORT_VIEW (in/out) to `into` (kernel, 24 bytes), read once
 * (ExCopyFromUser, no lock held); STATUS_INVALID_PARAMETER unless its Length
 * is 24. What goes back to the caller is written by ExCopyToUser later.
 */
export function LpcpCaptureView(view: usize, into: usize): u32 {
  if (!ProbeUserRange(view, SIZEOF_PORT_VIEW, 4) || !ExCopyFromUser(into, view, SIZEOF_PORT_VIEW)) return STATUS_ACCESS_VIOLATION;
  return load<u32>(into) != SIZEOF_PORT_VIEW ? STATUS_INVALID_PARAMETER : STATUS_SUCCESS;
}

/** Checks a REMOTE_PORT_VIEW (out): its Length, read once, must be 12 (STATUS_INVALID_PARAMETER). `cell`: 4 bytes of kernel memory. */
export function LpcpCheckRemoteView(view: usize, cell: usize): u32 {
  if (!ProbeUserRange(view, SIZEOF_REMOTE_PORT_VIEW, 4) || !ExCopyFromUser(cell, view, 4)) return STATUS_ACCESS_VIOLATION;
  return load<u32>(cell) != SIZEOF_REMOTE_PORT_VIEW ? STATUS_INVALID_PARAMETER : STATUS_SUCCESS;
}

/** The section a captured PORT_VIEW names, referenced for mapping read/write; 0 with the status at `statusOut` (two words of kernel memory). */
export function LpcpReferenceViewSection(captured: usize, statusOut: usize): usize {
  const handle = load<u32>(captured, VIEW_SECTION_HANDLE);
  const status = ObReferenceObjectByHandle(handle, SECTION_MAP_READ | SECTION_MAP_WRITE, MmSectionObjectType, statusOut + 4, 0);
  store<u32>(statusOut, status);
  return status == STATUS_SUCCESS ? load<usize>(statusOut, 4) : 0;
}

// ---- processes: Ps (above LPC) registers how to work in one (ps/psview.ts) ----

/** Maps `section` read/write anywhere into `process`; `out`: base, size, offset (u64). */
export type LPC_MAP_VIEW = (section: usize, process: usize, offset: u32, size: u32, out: usize) => u32;
/** Unmaps the view at `base` from `process`, if the process still has an address space. */
export type LPC_UNMAP_VIEW = (process: usize, base: usize) => void;
/** Takes or drops a reference on a process. */
export type LPC_PROCESS_REFERENCE = (process: usize) => void;
let LpcpMapHook: usize = 0, LpcpUnmapHook: usize = 0, LpcpReferenceHook: usize = 0, LpcpDereferenceHook: usize = 0;

/** Phase 1, by Ps: how LPC maps views into processes and keeps them referenced. */
export function LpcSetProcessViewHooks(map: LPC_MAP_VIEW, unmap: LPC_UNMAP_VIEW, reference: LPC_PROCESS_REFERENCE, dereference: LPC_PROCESS_REFERENCE): void {
  LpcpMapHook = changetype<usize>(map);
  LpcpUnmapHook = changetype<usize>(unmap);
  LpcpReferenceHook = changetype<usize>(reference);
  LpcpDereferenceHook = changetype<usize>(dereference);
}

/** The current thread's process. */
export function LpcpCurrentProcess(): usize { return changetype<KTHREAD>(KeCurrentThread).Process; }

/** Maps `section` into `process` (see LPC_MAP_VIEW); STATUS_NOT_IMPLEMENTED before Ps registered. */
export function LpcpMapView(section: usize, process: usize, offset: u32, size: u32, out: usize): u32 {
  if (LpcpMapHook == 0) return STATUS_NOT_IMPLEMENTED;
  return changetype<LPC_MAP_VIEW>(LpcpMapHook)(section, process, offset, size, out);
}

/** Records `process` (referenced once per port) as the one holding `port`'s views. */
export function LpcpSetMappingProcess(port: usize, process: usize): void {
  const p = Port(port);
  if (p.MappingProcess != 0) return;
  changetype<LPC_PROCESS_REFERENCE>(LpcpReferenceHook)(process);
  p.MappingProcess = process;
}

/** The process of the thread whose LPC state is `thread` (a KTHREAD). */
export function LpcpProcessOfThread(thread: usize): usize { return changetype<KTHREAD>(thread).Process; }

/** The Port delete procedure's part: the views this side mapped, its section and its process go. */
export function LpcpDeleteViews(port: usize): void {
  const p = Port(port);
  const process = p.MappingProcess;
  if (process != 0) {
    const unmap = changetype<LPC_UNMAP_VIEW>(LpcpUnmapHook);
    if (p.ClientSectionBase != 0) unmap(process, p.ClientSectionBase);
    if (p.ServerSectionBase != 0) unmap(process, p.ServerSectionBase);
    p.ClientSectionBase = 0;
    p.ServerSectionBase = 0;
    p.MappingProcess = 0;
    changetype<LPC_PROCESS_REFERENCE>(LpcpDereferenceHook)(process);
  }
  const section = p.SectionToMap;
  if (section != 0) { p.SectionToMap = 0; ObDereferenceObject(section); }
}
