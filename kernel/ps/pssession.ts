// Sessions: which processes are in which session, and the session's life.
//
// Every process is in a session (EPROCESS.Session / SessionId): System and
// everything the boot starts are in session 0, and a new process joins the
// session of the process that creates it (NT: MiSessionAddProcess on the
// creator's session), whoever its parent is. NtSetSystemInformation's
// SystemSessionCreate (ex/sysinfo.ts) makes the next free id with its
// session space (mm/session.ts) and its object directories
//   \Sessions\<n>  with  BaseNamedObjects, Windows, DosDevices
// (session 0 keeps \BaseNamedObjects; \Sessions is smss's, made here when
// smss has not), and moves the calling process into it. SystemSessionDetach
// moves the caller back to session 0. A session other than 0 ends when its
// last process has gone (ended, detached, or never started): its space is
// freed and its directories lose their names.
//
// Log lines: `ps: session <n> created by process <pid> (<name>): \Sessions\<n>`
// and `ps: session <n> ended: <k> pages of session space freed`.

import { KeLogAsciiz, KeLogBegin, KeLogDecimal, KeLogEnd, KeLogString, KeLog, KeLogFormat3 } from "../ke/log";
import { ExCopyFromUser, ExWriteUserUlong, KeEnterKernelCall, KeLeaveKernelCall, ProbeUserRange } from "../ke/probe";
import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import { cli, read_eflags, sti } from "../sdk/intrinsics";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import {
  MM_SESSION_SPACE, MmSessionCreateSpace, MmSetCurrentSessionRoutine, MmSessionDeleteSpace, MmSessionLookup, MmSessionSetDirectory, MmSessionZero,
} from "../mm/session";
import { MmCopyToUser } from "../mm/procmm";
import { PspSessionDriverGone } from "./psw32";
import { ObCreateDirectoryObject } from "../ob/obdir";
import { ObCloseHandle } from "../ob/obhandle";
import { ObReferenceObjectByHandle } from "../ob/obhandle";
import { ObDereferenceObject, ObMakeTemporaryObject } from "../ob/obref";
import { OB_SECURITY_OPEN, OB_SECURITY_PUBLIC, ObGetObjectSecurity, ObGetSystemSecurityDescriptor, ObSetObjectSecurity } from "../ob/obsecure";
import { DIRECTORY_ALL_ACCESS, InitializeObjectAttributes } from "../ob/obp";
import { TOKEN } from "../se/tokenobj";
import { EPROCESS, PsGetCurrentProcess, PsImageFileName } from "./psmain";
import { PEB } from "../sdk/peb";
import { OBJ_OPENIF, OBJ_PERMANENT } from "../sdk/ntdef";
import {
  NT_SUCCESS, STATUS_ACCESS_VIOLATION, STATUS_ALREADY_COMMITTED, STATUS_INFO_LENGTH_MISMATCH, STATUS_INSUFFICIENT_RESOURCES,
  STATUS_INVALID_PARAMETER, STATUS_PRIVILEGE_NOT_HELD, STATUS_SUCCESS, STATUS_UNABLE_TO_FREE_VM,
} from "../sdk/ntstatus";
import { SeSinglePrivilegeCheck } from "../se/token";
import { SE_LOAD_DRIVER_PRIVILEGE } from "../se/tokenobj";

/** A session's directories (PsData of its MM_SESSION_SPACE), each referenced: \Sessions\<n> and its three. */
const SESSION_DIRECTORIES: u32 = 4;
const DIRECTORY_TAG: u32 = 0x44736553; // 'SesD'
const SUBDIRECTORY_NAMES: StaticArray<string> = ["BaseNamedObjects", "Windows", "DosDevices"];

@inline function PspLock(): u32 { const f = read_eflags() & 0x200; cli(); return f; }
@inline function PspUnlock(f: u32): void { if (f != 0) sti(); }

/** Puts `process` (not yet running) in `session`, 0 meaning session 0. */
export function PspSessionAddProcess(process: usize, session: usize): void {
  if (session == 0) session = MmSessionZero;
  const p = changetype<EPROCESS>(process);
  p.Session = session;
  if (session == 0) return; // before session 0 exists: System itself (PsInitializeSystem fixes it)
  const f = PspLock();
  changetype<MM_SESSION_SPACE>(session).ProcessCount++;
  PspUnlock(f);
  p.SessionId = changetype<MM_SESSION_SPACE>(session).SessionId;
}

/**
 * Takes `process` out of its session; the session ends when that was its
 * last process. `pd` (the process's directory, 0 when it has none or it is
 * going anyway) gets session 0's PDEs instead.
 */
export function PspSessionRemoveProcess(process: usize, pd: u32): void {
  const p = changetype<EPROCESS>(process);
  const session = p.Session;
  if (session == 0) return;
  p.Session = 0;
  if (pd != 0) MmSessionSetDirectory(pd, MmSessionZero);
  const s = changetype<MM_SESSION_SPACE>(session);
  const f = PspLock();
  s.ProcessCount--;
  const last = s.ProcessCount == 0 && session != MmSessionZero;
  PspUnlock(f);
  if (last) PspSessionEnd(session);
}

/** Session 0 for the System process (phase 1, PsInitializeSystem): its space, in the boot directory. */
export function PsInitializeSessionZero(system: usize, pd: u32): void {
  MmSetCurrentSessionRoutine(PspCurrentSessionSpace);
  const session = MmSessionCreateSpace();
  if (session == 0) return; // no memory in phase 1: the boot fails soon anyway
  MmSessionSetDirectory(pd, session);
  PspSessionAddProcess(system, session);
  KeLog("ps", "session 0: session space 0xBF000000-0xBFFFFFFF");
}

/** The current process's session space, for Mm (0 when it is in none). */
function PspCurrentSessionSpace(): usize {
  return changetype<EPROCESS>(PsGetCurrentProcess()).Session;
}

/** The current process's session id (0 for System and kernel threads). */
export function PsGetCurrentSessionId(): u32 {
  return changetype<EPROCESS>(PsGetCurrentProcess()).SessionId;
}

// ---- names ----

// The names of a session's directories are built in the creating thread's
// scratch (two sessions may be made at once: smss's NewSession and another
// caller), in a PSP_NAME:
@unmanaged class PSP_NAME {
  Length: u32;         // characters in Text
  String_Length: u16;  // UNICODE_STRING over Text
  String_MaximumLength: u16;
  String_Buffer: usize;
  Attributes: usize;   // OBJECT_ATTRIBUTES (24 bytes)
  Attributes1: usize; Attributes2: usize; Attributes3: usize; Attributes4: usize; Attributes5: usize;
  Handle: u32;
  Object: usize;
  // then the text: PSP_NAME_CHARACTERS UTF-16 characters
}
const PSP_NAME_CHARACTERS: u32 = 46;
const PSP_NAME_TEXT: u32 = offsetof<PSP_NAME>();
const PSP_NAME_SIZE: u32 = PSP_NAME_TEXT + PSP_NAME_CHARACTERS * 2;

function PspNameReset(name: usize): void { changetype<PSP_NAME>(name).Length = 0; }
function PspNameAppend(name: usize, text: string): void {
  const n = changetype<PSP_NAME>(name);
  for (let i = 0; i < text.length && n.Length < PSP_NAME_CHARACTERS; i++) store<u16>(name + PSP_NAME_TEXT + (n.Length++ << 1), <u16>text.charCodeAt(i));
}
function PspNameAppendDecimal(name: usize, value: u32): void {
  if (value >= 10) PspNameAppendDecimal(name, value / 10);
  const n = changetype<PSP_NAME>(name);
  if (n.Length < PSP_NAME_CHARACTERS) store<u16>(name + PSP_NAME_TEXT + (n.Length++ << 1), <u16>(0x30 + value % 10));
}

/** Creates (or opens) the permanent directory `name` names; returns it referenced, or 0 (status at *statusOut). */
function PspCreateDirectory(name: usize, statusOut: usize): usize {
  const n = changetype<PSP_NAME>(name);
  n.String_Length = <u16>(n.Length << 1);
  n.String_MaximumLength = <u16>(n.Length << 1);
  n.String_Buffer = name + PSP_NAME_TEXT;
  const attributes = name + offsetof<PSP_NAME>("Attributes");
  InitializeObjectAttributes(attributes, name + offsetof<PSP_NAME>("String_Length"), OBJ_PERMANENT | OBJ_OPENIF, 0, 0);
  let status = ObCreateDirectoryObject(name + offsetof<PSP_NAME>("Handle"), DIRECTORY_ALL_ACCESS, attributes);
  store<u32>(statusOut, status);
  if (!NT_SUCCESS(status)) return 0;
  const handle = n.Handle;
  status = ObReferenceObjectByHandle(handle, 0, 0, name + offsetof<PSP_NAME>("Object"), 0); // any type: the handle was just made for a directory
  ObCloseHandle(handle);
  store<u32>(statusOut, status);
  return NT_SUCCESS(status) ? n.Object : 0;
}

/** Gives a session directory the kernel made NT's descriptor of `kind` (ob/obsecure.ts), unless it has one (smss made it). */
function PspProtectDirectory(directory: usize, kind: u32): void {
  if (ObGetObjectSecurity(directory) != 0) return;
  const sd = ObGetSystemSecurityDescriptor(kind);
  if (sd != 0) ObSetObjectSecurity(directory, sd);
}

/** Makes \Sessions (if smss has not), \Sessions\<n> and its three directories. */
function PspCreateSessionDirectories(session: usize): u32 {
  const s = changetype<MM_SESSION_SPACE>(session);
  const list = ExAllocatePoolWithTag(NonPagedPool, SESSION_DIRECTORIES * 4, DIRECTORY_TAG);
  if (list == 0) return STATUS_INSUFFICIENT_RESOURCES;
  memory.fill(list, 0, SESSION_DIRECTORIES * 4);
  s.PsData = list;
  const statusOut = KeAllocateScratch(4 + PSP_NAME_SIZE);
  const name = statusOut + 4;
  const mode = KeEnterKernelCall(); // our own names, in kernel memory
  PspNameReset(name);
  PspNameAppend(name, "\\Sessions");
  const sessions = PspCreateDirectory(name, statusOut);
  let status = load<u32>(statusOut);
  if (sessions != 0) { PspProtectDirectory(sessions, OB_SECURITY_PUBLIC); ObDereferenceObject(sessions); } // permanent: the namespace keeps it
  for (let i: u32 = 0; NT_SUCCESS(status) && i < SESSION_DIRECTORIES; i++) {
    PspNameReset(name);
    PspNameAppend(name, "\\Sessions\\");
    PspNameAppendDecimal(name, s.SessionId);
    if (i > 0) { PspNameAppend(name, "\\"); PspNameAppend(name, SUBDIRECTORY_NAMES[i - 1]); }
    const directory = PspCreateDirectory(name, statusOut);
    store<usize>(list + (i << 2), directory);
    status = load<u32>(statusOut);
    // NT's descriptors: everyone may look; everyone may create in the session's BaseNamedObjects.
    if (directory != 0) PspProtectDirectory(directory, i == 1 ? OB_SECURITY_OPEN : OB_SECURITY_PUBLIC);
  }
  KeLeaveKernelCall(mode);
  KeFreeScratch(statusOut);
  return NT_SUCCESS(status) ? STATUS_SUCCESS : status;
}

/** The session's directories lose their names (subdirectories first) and our references. */
function PspDeleteSessionDirectories(session: usize): void {
  const list = changetype<MM_SESSION_SPACE>(session).PsData;
  if (list == 0) return;
  for (let i = <i32>SESSION_DIRECTORIES - 1; i >= 0; i--) {
    const directory = load<usize>(list + (<u32>i << 2));
    if (directory == 0) continue;
    ObMakeTemporaryObject(directory);
    ObDereferenceObject(directory);
  }
  ExFreePoolWithTag(list, DIRECTORY_TAG);
  changetype<MM_SESSION_SPACE>(session).PsData = 0;
}

function PspSessionEnd(session: usize): void {
  const id = changetype<MM_SESSION_SPACE>(session).SessionId;
  PspSessionDriverGone(id); // win32k.sys's records (ps/psw32.ts)
  PspDeleteSessionDirectories(session);
  const pages = MmSessionDeleteSpace(session);
  KeLogFormat3("ps", "session %u ended: %u%s of session space freed", id, pages, changetype<usize>(pages == 1 ? " page" : " pages"));
}

// ---- moving the current process ----

/** `process` moves to `session`: its directory's session PDEs, SessionId, its token's and PEB's. */
function PspMoveProcess(process: usize, session: usize): void {
  const p = changetype<EPROCESS>(process);
  const old = p.Session;
  if (old == session) return;
  PspSessionAddProcess(process, session);
  if (p.DirectoryTableBase != 0) MmSessionSetDirectory(p.DirectoryTableBase, session);
  const id = changetype<MM_SESSION_SPACE>(session).SessionId;
  if (p.Token != 0) changetype<TOKEN>(p.Token).SessionId = id;
  if (p.Peb != 0 && p.DirectoryTableBase != 0) {
    const value = KeAllocateScratch(4);
    store<u32>(value, id);
    MmCopyToUser(p.DirectoryTableBase, p.Peb + offsetof<PEB>("SessionId"), value, 4);
    KeFreeScratch(value);
  }
  if (old != 0) {
    // out of the old session (the process's directory already has the new PDEs)
    p.Session = old;
    PspSessionRemoveProcess(process, 0);
    p.Session = session;
  }
}
function PspMoveCurrentProcess(session: usize): void { PspMoveProcess(PsGetCurrentProcess(), session); }

/**
 * NtSetInformationProcess(ProcessSessionInformation): `process` moves into
 * the existing session `id` (the caller checked SeTcbPrivilege).
 * STATUS_INVALID_PARAMETER when there is no such session.
 */
export function PsSetProcessSessionId(process: usize, id: u32): u32 {
  const session = MmSessionLookup(id);
  if (session == 0) return STATUS_INVALID_PARAMETER;
  PspMoveProcess(process, session);
  return STATUS_SUCCESS;
}

/**
 * NT's MmSessionCreate for the current process (SystemSessionCreate): a
 * process already in a session other than 0 gets STATUS_ALREADY_COMMITTED;
 * otherwise the next free id, its space and directories, and the process
 * moves in. Writes the id to `*sessionId` (kernel memory).
 */
export function PsCreateSession(): u32 {
  const process = PsGetCurrentProcess();
  const p = changetype<EPROCESS>(process);
  if (p.Session != 0 && p.Session != MmSessionZero) return STATUS_ALREADY_COMMITTED;
  const session = MmSessionCreateSpace();
  if (session == 0) return STATUS_INSUFFICIENT_RESOURCES;
  const status = PspCreateSessionDirectories(session);
  if (status != STATUS_SUCCESS) {
    PspDeleteSessionDirectories(session);
    MmSessionDeleteSpace(session);
    return status;
  }
  PspMoveCurrentProcess(session);
  const id = changetype<MM_SESSION_SPACE>(session).SessionId;
  KeLogBegin("ps");
  KeLogString("session ");
  KeLogDecimal(id);
  KeLogString(" created by process ");
  KeLogDecimal(p.UniqueProcessId);
  KeLogString(" (");
  KeLogAsciiz(PsImageFileName(process), 15);
  KeLogString("): \\Sessions\\");
  KeLogDecimal(id);
  KeLogEnd();
  return STATUS_SUCCESS;
}

/**
 * NT's MmSessionDelete (SystemSessionDetach): the current process, which
 * must be in session `id` (not 0: STATUS_UNABLE_TO_FREE_VM, as NT answers a
 * process in no session; another id: STATUS_INVALID_PARAMETER), goes back
 * to session 0; the session ends if it was the last process in it.
 */
export function PsDetachSession(id: u32): u32 {
  const process = PsGetCurrentProcess();
  const p = changetype<EPROCESS>(process);
  const session = p.Session;
  if (session == 0 || session == MmSessionZero) return STATUS_UNABLE_TO_FREE_VM;
  if (changetype<MM_SESSION_SPACE>(session).SessionId != id) return STATUS_INVALID_PARAMETER;
  KeLogBegin("ps");
  KeLogString("process ");
  KeLogDecimal(p.UniqueProcessId);
  KeLogString(" (");
  KeLogAsciiz(PsImageFileName(process), 15);
  KeLogString(") detached from session ");
  KeLogDecimal(id);
  KeLogEnd();
  PspMoveCurrentProcess(MmSessionZero);
  return STATUS_SUCCESS;
}

/**
 * NtSetSystemInformation(SystemSessionCreate): ULONG out, SeLoadDriverPrivilege.
 * The pointer is checked before the session is made and written after (as
 * NT's), through the user-copy routine; the id written is the one the
 * caller's process is now in.
 */
export function PspSessionCreateService(buffer: usize, length: u32): u32 {
  if (length != 4) return STATUS_INFO_LENGTH_MISMATCH;
  if (!SeSinglePrivilegeCheck(SE_LOAD_DRIVER_PRIVILEGE)) return STATUS_PRIVILEGE_NOT_HELD;
  if (!ProbeUserRange(buffer, 4, 4)) return STATUS_ACCESS_VIOLATION;
  const status = PsCreateSession();
  if (status == STATUS_SUCCESS && !ExWriteUserUlong(buffer, PsGetCurrentSessionId())) return STATUS_ACCESS_VIOLATION;
  return status;
}

/** NtSetSystemInformation(SystemSessionDetach): ULONG in, SeLoadDriverPrivilege. */
export function PspSessionDetachService(buffer: usize, length: u32): u32 {
  if (length != 4) return STATUS_INFO_LENGTH_MISMATCH;
  if (!SeSinglePrivilegeCheck(SE_LOAD_DRIVER_PRIVILEGE)) return STATUS_PRIVILEGE_NOT_HELD;
  const cell = KeAllocateScratch(4); // the session id, read once
  const read = ProbeUserRange(buffer, 4, 4) && ExCopyFromUser(cell, buffer, 4);
  const id = load<u32>(cell);
  KeFreeScratch(cell);
  return read ? PsDetachSession(id) : STATUS_ACCESS_VIOLATION;
}
