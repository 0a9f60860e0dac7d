// NtCreateProcess / NtCreateProcessEx.
//
// With a section handle NT maps an image section as the new process's
// program; image sections come with the PE loader (a later issue), so a
// section handle is refused with STATUS_SECTION_NOT_IMAGE for now (every
// section is a data section). Without one the new process is a copy of its
// parent's address space -- what RtlCloneUserProcess builds on: private pages
// copied, section views shared, the regions list copied. It starts with no
// threads and, with handle inheritance asked for, the parent's inheritable
// handles at the same values; NtCreateThread gives it its first thread.

import { KeCurrentThread, KTHREAD_SERVICE_SCRATCH } from "../ke/thread";

import { KeLogBegin, KeLogDecimal, KeLogEnd, KeLogString } from "../ke/log";
import { ObReferenceObjectByHandle, ObCreateHandleTable, ObDestroyHandleTable, ObInheritHandles } from "../ob/obhandle";
import { ObInsertObject } from "../ob/obname";
import { ObDereferenceObject } from "../ob/obref";
import { ExCaptureObjectAttributes, ExProbeHandle, ExReleaseObjectAttributes } from "../ex/capture";
import { ExIsUserHandleAllowed } from "../ex/obsvc";
import { MmCloneUserRange, MmCreateProcessAddressSpace, MmDeleteProcessAddressSpace } from "../mm/procmm";
import { MEM_MAPPED, MiInsertVad, MmDeleteVads, vadEnd, vadStart } from "../mm/virtual";
import { EPROCESS, EPROCESS_VAD_LIST, PsInitialSystemProcess, PspAllocateProcessLike, PspDereferenceProcess } from "./psmain";
import { PsProcessFromHandle, PsProcessHandleStatus, PsReleaseProcessFromHandle, PspCreateProcessObject } from "./psprocess";
import { STATUS_ACCESS_VIOLATION, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_PARAMETER, STATUS_SUCCESS } from "../rtl/ntstatus";

const STATUS_SECTION_NOT_IMAGE: u32 = 0xC0000049;
const PROCESS_CREATE_PROCESS: u32 = 0x0080;
/** PROCESS_CREATE_FLAGS_* NtCreateProcessEx understands. */
const PROCESS_CREATE_FLAGS_BREAKAWAY: u32 = 0x1, PROCESS_CREATE_FLAGS_NO_DEBUG_INHERIT: u32 = 0x2, PROCESS_CREATE_FLAGS_INHERIT_HANDLES: u32 = 0x4;

@inline function scratch(): usize { return KeCurrentThread + KTHREAD_SERVICE_SCRATCH; }

function PspCreateProcess(handle: usize, access: u32, objectAttributes: usize, parentHandle: u32, flags: u32, sectionHandle: u32): u32 {
  if (!ExProbeHandle(handle)) return STATUS_ACCESS_VIOLATION;
  if ((flags & ~(PROCESS_CREATE_FLAGS_BREAKAWAY | PROCESS_CREATE_FLAGS_NO_DEBUG_INHERIT | PROCESS_CREATE_FLAGS_INHERIT_HANDLES)) != 0) return STATUS_INVALID_PARAMETER;
  const parent = PsProcessFromHandle(parentHandle, PROCESS_CREATE_PROCESS);
  if (parent == 0) return PsProcessHandleStatus();
  PsReleaseProcessFromHandle(); // the caller's handle keeps it
  if (parent == PsInitialSystemProcess) return STATUS_INVALID_PARAMETER; // no user half to copy
  if (sectionHandle != 0) {
    if (!ExIsUserHandleAllowed(sectionHandle)) return 0xC0000008;
    const status = ObReferenceObjectByHandle(sectionHandle, 0, 0, scratch() + 8, 0);
    if (status != STATUS_SUCCESS) return status;
    ObDereferenceObject(load<usize>(scratch(), 8));
    return STATUS_SECTION_NOT_IMAGE;
  }
  const p = changetype<EPROCESS>(parent);
  const child = PspAllocateProcessLike(parent);
  if (child == 0) return STATUS_INSUFFICIENT_RESOURCES;
  const c = changetype<EPROCESS>(child);
  c.DirectoryTableBase = MmCreateProcessAddressSpace();
  c.ObjectTable = ObCreateHandleTable();
  let ok = c.DirectoryTableBase != 0 && c.ObjectTable != 0;
  if (ok && (flags & PROCESS_CREATE_FLAGS_INHERIT_HANDLES) != 0) ok = ObInheritHandles(p.ObjectTable, c.ObjectTable);
  // The parent's regions, and their pages.
  const head = parent + EPROCESS_VAD_LIST;
  for (let v = load<usize>(head); ok && v != head; v = load<usize>(v)) {
    const type = load<u32>(v, 20);
    ok = MiInsertVad(child + EPROCESS_VAD_LIST, vadStart(v), vadEnd(v), load<u32>(v, 16), type)
      && MmCloneUserRange(p.DirectoryTableBase, c.DirectoryTableBase, vadStart(v), vadEnd(v), type == MEM_MAPPED);
  }
  if (!ok) {
    MmDeleteVads(child + EPROCESS_VAD_LIST);
    if (c.ObjectTable != 0) ObDestroyHandleTable(c.ObjectTable);
    if (c.DirectoryTableBase != 0) MmDeleteProcessAddressSpace(c.DirectoryTableBase);
    PspDereferenceProcess(child); // never alive: gone
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  c.Peb = p.Peb;
  c.SessionId = p.SessionId;
  c.BasePriority = p.BasePriority;
  // The handle.
  const s = scratch();
  let status = ExCaptureObjectAttributes(objectAttributes, s);
  if (status == STATUS_SUCCESS) {
    status = PspCreateProcessObject(child, load<usize>(s), s + 8);
    if (status == STATUS_SUCCESS) {
      status = ObInsertObject(load<usize>(s, 8), access, s + 12);
      if (status == STATUS_SUCCESS) store<u32>(handle, load<u32>(s, 12));
    }
    ExReleaseObjectAttributes(s);
  }
  KeLogBegin("ps");
  KeLogString("process ");
  KeLogDecimal(c.UniqueProcessId);
  KeLogString(" created as a copy of process ");
  KeLogDecimal(p.UniqueProcessId);
  KeLogEnd();
  return status;
}

/** NtCreateProcess(ProcessHandle, DesiredAccess, ObjectAttributes, ParentProcess, InheritObjectTable, SectionHandle, DebugPort, ExceptionPort). */
export function NtCreateProcess(handle: usize, access: u32, objectAttributes: usize, parent: u32, inherit: u32, section: u32, debugPort: u32, exceptionPort: u32): u32 {
  return PspCreateProcess(handle, access, objectAttributes, parent, (inherit & 0xFF) != 0 ? PROCESS_CREATE_FLAGS_INHERIT_HANDLES : 0, section);
}

/** NtCreateProcessEx(ProcessHandle, DesiredAccess, ObjectAttributes, ParentProcess, Flags, SectionHandle, DebugPort, ExceptionPort, JobMemberLevel). */
export function NtCreateProcessEx(handle: usize, access: u32, objectAttributes: usize, parent: u32, flags: u32, section: u32, debugPort: u32, exceptionPort: u32, job: u32): u32 {
  return PspCreateProcess(handle, access, objectAttributes, parent, flags, section);
}


