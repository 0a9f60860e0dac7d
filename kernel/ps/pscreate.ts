// NtCreateProcess / NtCreateProcessEx.
//
// With a section handle, which must be an image section (mm/image.ts; a
// data section is STATUS_SECTION_NOT_IMAGE), the new process is that image
// in a new address space, with a PEB (PspCreateProcessFromImage). Without
// one the new process is a copy of its
// parent's address space -- what RtlCloneUserProcess builds on: private pages
// copied, section views shared, the regions list copied. It starts with no
// threads and, with handle inheritance asked for, the parent's inheritable
// handles at the same values; NtCreateThread gives it its first thread.

import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";

import { KeLogAsciiz, KeLogBegin, KeLogDecimal, KeLogEnd, KeLogHex, KeLogString, KeLogFormat2 } from "../ke/log";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { MmSectionObjectType, SECTION_MAP_EXECUTE } from "../mm/section";
import { MmImageFilePath, MmImageInformation, MmImageName, MmIsImageSection, MmMapImageView } from "../mm/image";
import { MmCommitUserPages, MmCopyToUser } from "../mm/procmm";
import { PspMapSystemDll } from "./psdll";
import { ObReferenceObjectByHandle, ObCreateHandleTable, ObDestroyHandleTable, ObInheritHandles } from "../ob/obhandle";
import { ObInsertObject } from "../ob/obname";
import { ObGetObjectSecurity } from "../ob/obsecure";
import { ExDuplicateSecurityDescriptor, ExFreeSecurityDescriptor } from "../ex/security";
import { ObDereferenceObject, ObReferenceObject } from "../ob/obref";
import { ExCaptureObjectAttributes, ExProbeHandle, ExReleaseObjectAttributes } from "../ex/capture";
import { ExWriteUserUlong, ProbeUserWrite } from "../ke/probe";
import { MmCloneUserRange, MmDeleteProcessAddressSpace, MmKernelDirectory } from "../mm/procmm";
import { MmLockAddressSpace, MmUnlockAddressSpace } from "../mm/aslock";
import { MmInsertVad, MmDeleteVads, vadEnd, vadStart } from "../mm/virtual";
import {
  EPROCESS, EPROCESS_VAD_LIST, PEB_ADDRESS, PsInitialSystemProcess,
  PspAllocateProcessLike, PspAllocateProcessNamed, PspCreateAddressSpace, PspDereferenceProcess, EPROCESS_ACTIVE_LINKS,
  PsSetProcessImageFilePath, PspRemoveActiveProcess,
} from "./psmain";
import { KeStackAttachProcess, KeUnstackDetachProcess } from "../ke/attach";
import { PsDereferenceProcess, PsReferenceProcessByHandle, PspCreateProcessObject } from "./psprocess";
import { PEB } from "../sdk/peb";
import { SECTION_IMAGE_INFORMATION } from "../sdk/pe";
import {
  NT_ERROR, STATUS_ACCESS_VIOLATION, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_HANDLE, STATUS_INVALID_PARAMETER,
  STATUS_PROCESS_IS_TERMINATING, STATUS_SECTION_NOT_IMAGE, STATUS_SUCCESS,
} from "../sdk/ntstatus";
import { MEM_MAPPED, MEM_PRIVATE, PAGE_READWRITE } from "../sdk/ntdef";

const PROCESS_CREATE_PROCESS: u32 = 0x0080;
/** PROCESS_CREATE_FLAGS_* NtCreateProcessEx understands. */
const PROCESS_CREATE_FLAGS_BREAKAWAY: u32 = 0x1, PROCESS_CREATE_FLAGS_NO_DEBUG_INHERIT: u32 = 0x2, PROCESS_CREATE_FLAGS_INHERIT_HANDLES: u32 = 0x4;

/** A new process's empty address space and handle table (with the parent's inheritable handles when `flags` asks). */
function PspGiveAddressSpaceAndHandles(child: usize, parent: usize, flags: u32): bool {
  const c = changetype<EPROCESS>(child);
  c.DirectoryTableBase = PspCreateAddressSpace(child);
  c.ObjectTable = ObCreateHandleTable(c.QuotaBlock);
  let ok = c.DirectoryTableBase != 0 && c.ObjectTable != 0;
  if (ok && (flags & PROCESS_CREATE_FLAGS_INHERIT_HANDLES) != 0) ok = ObInheritHandles(parent + offsetof<EPROCESS>("ObjectTable"), c.ObjectTable);
  return ok;
}

/** Undoes a process that never got its object: regions, handles, address space, the block. */
function PspDeleteUnbornProcess(child: usize): void {
  const c = changetype<EPROCESS>(child);
  MmDeleteVads(child + EPROCESS_VAD_LIST);
  if (c.ObjectTable != 0) ObDestroyHandleTable(c.ObjectTable);
  if (c.DirectoryTableBase != 0) MmDeleteProcessAddressSpace(c.DirectoryTableBase);
  PspRemoveActiveProcess(child); // off the active list, where PspAllocateProcess* put it
  PspDereferenceProcess(child); // never alive: gone
}

function PspCreateProcess(handle: usize, access: u32, objectAttributes: usize, parentHandle: u32, flags: u32, sectionHandle: u32): u32 {
  if (!ProbeUserWrite(handle, 4, 4)) return STATUS_ACCESS_VIOLATION;
  if ((flags & ~(PROCESS_CREATE_FLAGS_BREAKAWAY | PROCESS_CREATE_FLAGS_NO_DEBUG_INHERIT | PROCESS_CREATE_FLAGS_INHERIT_HANDLES)) != 0) return STATUS_INVALID_PARAMETER;
  const cells = KeAllocateScratch(8); // +0 the parent, +4 the section
  let status = PsReferenceProcessByHandle(parentHandle, PROCESS_CREATE_PROCESS, cells);
  const parent = load<usize>(cells);
  if (status == STATUS_SUCCESS && sectionHandle != 0) {
    status = ObReferenceObjectByHandle(sectionHandle, SECTION_MAP_EXECUTE, MmSectionObjectType, cells + 4, 0);
  }
  const section = load<usize>(cells, 4);
  KeFreeScratch(cells);
  // A parent that has ended (its handle table gone) has nothing to give a child.
  if (status == STATUS_SUCCESS && changetype<EPROCESS>(parent).ObjectTable == 0) status = STATUS_PROCESS_IS_TERMINATING;
  if (status == STATUS_SUCCESS) {
    if (section == 0) status = PspCreateProcessCopy(handle, access, objectAttributes, parent, flags);
    else if (!MmIsImageSection(section)) status = STATUS_SECTION_NOT_IMAGE;
    else status = PspCreateProcessFromImage(handle, access, objectAttributes, parent, flags, section);
  }
  if (section != 0) ObDereferenceObject(section);
  if (parent != 0) PsDereferenceProcess(parent);
  return status;
}

/** NtCreateProcess(Ex) without a section: a copy of the parent's address space. */
function PspCreateProcessCopy(handle: usize, access: u32, objectAttributes: usize, parent: usize, flags: u32): u32 {
  if (parent == PsInitialSystemProcess) return STATUS_INVALID_PARAMETER; // no user half to copy (an image needs none)
  const p = changetype<EPROCESS>(parent);
  const child = PspAllocateProcessLike(parent);
  if (child == 0) return STATUS_INSUFFICIENT_RESOURCES;
  const c = changetype<EPROCESS>(child);
  let ok = PspGiveAddressSpaceAndHandles(child, parent, flags);
  // The parent's regions, and their pages, under the address-space lock: another thread of the parent
  // releasing a region meanwhile would free its record and its pages under the walk.
  const head = parent + EPROCESS_VAD_LIST;
  MmLockAddressSpace();
  if (p.DirectoryTableBase == MmKernelDirectory) ok = false; // the parent ended meanwhile: its regions are gone
  for (let v = load<usize>(head); ok && v != head; v = load<usize>(v)) {
    const type = load<u32>(v, 20);
    ok = MmInsertVad(child + EPROCESS_VAD_LIST, vadStart(v), vadEnd(v), load<u32>(v, 16), type)
      && MmCloneUserRange(p.DirectoryTableBase, c.DirectoryTableBase, vadStart(v), vadEnd(v), type == MEM_MAPPED);
  }
  MmUnlockAddressSpace();
  if (!ok) { PspDeleteUnbornProcess(child); return STATUS_INSUFFICIENT_RESOURCES; }
  c.Peb = p.Peb;
  if (c.Peb != 0) { // the copied PEB names the child's session (its creator's)
    const cell = KeAllocateScratch(4);
    store<u32>(cell, c.SessionId);
    MmCopyToUser(c.DirectoryTableBase, c.Peb + offsetof<PEB>("SessionId"), cell, 4);
    KeFreeScratch(cell);
  }
  c.BasePriority = p.BasePriority;
  const status = PspInsertNewProcess(child, handle, access, objectAttributes);
  KeLogFormat2("ps", "process %u created as a copy of process %u", c.UniqueProcessId, p.UniqueProcessId);
  return status;
}

/**
 * A descriptor the creator gave in OBJECT_ATTRIBUTES (ObInsertObject captured
 * it into the Process object's header) becomes the process's own, in place of
 * the creator's token defaults (ps/psmain.ts).
 */
function PspTakeCreatorSecurity(process: usize, object: usize): void {
  const given = ObGetObjectSecurity(object);
  if (given == 0) return;
  const out = KeAllocateScratch(4);
  if (ExDuplicateSecurityDescriptor(given, out) == STATUS_SUCCESS) {
    const p = changetype<EPROCESS>(process);
    const previous = p.SecurityDescriptor;
    p.SecurityDescriptor = load<usize>(out);
    if (previous != 0) ExFreeSecurityDescriptor(previous);
  }
  KeFreeScratch(out);
}

/** Gives the new process its object and the caller a handle to it. */
function PspInsertNewProcess(child: usize, handle: usize, access: u32, objectAttributes: usize): u32 {
  const s = KeAllocateScratch(16); // +0 captured attributes (8), +8 object, +12 handle
  let status = ExCaptureObjectAttributes(objectAttributes, s);
  if (status == STATUS_SUCCESS) {
    status = PspCreateProcessObject(child, load<usize>(s), s + 8);
    if (status == STATUS_SUCCESS) {
      const object = load<usize>(s, 8);
      // The descriptor is the process's before its handle exists: once inserted, another thread
      // of the caller can use the handle (or guess it), and must meet the descriptor it was given.
      PspTakeCreatorSecurity(child, object);
      status = ObInsertObject(object, access, s + 12);
      // A page gone by now: the process stays (its handle is in the table), the caller hears of the fault.
      if (status == STATUS_SUCCESS && !ExWriteUserUlong(handle, load<u32>(s, 12))) status = STATUS_ACCESS_VIOLATION;
    }
    ExReleaseObjectAttributes(s);
  }
  KeFreeScratch(s);
  return status;
}

// The PEB's fields that a new process from an image gets (x86 PEB of NT 5.2).
const PEB_BYTES: u32 = <u32>offsetof<PEB>();

/**
 * NtCreateProcess(Ex) with an image section: a new, empty address space
 * with the image mapped at its base (private write-copy pages, the rest
 * shared with every other view), a PEB describing it, no threads, and the
 * parent's inheritable handles when asked. The process is named after the
 * image's file. The caller (RtlCreateUserProcess) then writes the process
 * parameters, makes a stack and starts the first thread at the entry point
 * NtQuerySection gives.
 */
function PspCreateProcessFromImage(handle: usize, access: u32, objectAttributes: usize, parent: usize, flags: u32, section: usize): u32 {
  const p = changetype<EPROCESS>(parent);
  const child = PspAllocateProcessNamed(MmImageName(section), parent); // a copy of the parent's token
  if (child == 0) return STATUS_INSUFFICIENT_RESOURCES;
  const c = changetype<EPROCESS>(child);
  const path = MmImageFilePath(section);
  PsSetProcessImageFilePath(child, path + 4, load<u32>(path));
  let ok = PspGiveAddressSpaceAndHandles(child, parent, flags)
    && MmCommitUserPages(c.DirectoryTableBase, PEB_ADDRESS, 4096, true)
    && MmInsertVad(child + EPROCESS_VAD_LIST, PEB_ADDRESS, PEB_ADDRESS + 4096, PAGE_READWRITE, MEM_PRIVATE);
  const view = KeAllocateScratch(8); // base, size
  let mapStatus: u32 = STATUS_INSUFFICIENT_RESOURCES;
  if (ok) {
    KeStackAttachProcess(child);
    mapStatus = MmMapImageView(section, child + EPROCESS_VAD_LIST, 0, 0, 0, view, view + 4, 0);
    KeUnstackDetachProcess();
    ok = mapStatus == STATUS_SUCCESS; // an empty address space has the image's range free
    if (ok) { mapStatus = PspMapSystemDll(child); ok = mapStatus == STATUS_SUCCESS; } // ntdll.dll beside it
  }
  const imageBase = load<usize>(view);
  KeFreeScratch(view);
  if (!ok) {
    PspDeleteUnbornProcess(child);
    return NT_ERROR(mapStatus) ? mapStatus : STATUS_INSUFFICIENT_RESOURCES;
  }
  const info = MmImageInformation(section);
  const peb = ExAllocatePoolWithTag(NonPagedPool, PEB_BYTES, 0x62655050); // 'PPeb'
  if (peb != 0) {
    memory.fill(peb, 0, PEB_BYTES);
    const block = changetype<PEB>(peb), image = changetype<SECTION_IMAGE_INFORMATION>(info);
    block.ImageBaseAddress = imageBase;
    block.NumberOfProcessors = 1;
    block.OSMajorVersion = 5;
    block.OSMinorVersion = 2;
    block.OSBuildNumber = 3790;
    block.OSPlatformId = 2; // VER_PLATFORM_WIN32_NT
    block.ImageSubsystem = image.SubSystemType;
    block.ImageSubsystemMajorVersion = <u32>image.SubSystemMajorVersion;
    block.ImageSubsystemMinorVersion = <u32>image.SubSystemMinorVersion;
    block.SessionId = c.SessionId; // the creator's session (pssession.ts)
    MmCopyToUser(c.DirectoryTableBase, PEB_ADDRESS, peb, PEB_BYTES);
    ExFreePoolWithTag(peb, 0x62655050);
  }
  c.Peb = PEB_ADDRESS;
  c.BasePriority = p.BasePriority;
  const status = PspInsertNewProcess(child, handle, access, objectAttributes);
  KeLogBegin("ps");
  KeLogString("process ");
  KeLogDecimal(c.UniqueProcessId);
  KeLogString(" (");
  KeLogAsciiz(MmImageName(section), 15);
  KeLogString(") created from its image at ");
  KeLogHex(<u32>imageBase);
  KeLogString(", entry ");
  KeLogHex(load<u32>(info));
  KeLogString(", parent "); // the process tree and sessions, for whoever reads the log
  KeLogDecimal(p.UniqueProcessId);
  KeLogString(", session ");
  KeLogDecimal(c.SessionId);
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


