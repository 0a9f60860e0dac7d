// The window manager's side of Ps: loading a session's win32k.sys, its
// callouts, and switching the active session (the one with the screen and
// the keyboard; ke/shadow.ts keeps the records).
//
// NtSetSystemInformation(SystemExtendServiceTableInformation) (ex/sysinfo.ts)
// calls PsLoadSessionDriver through the routine registered at boot: it reads
// the file and mm/sysload.ts lays the image out in the caller's session space.
//
// Each session's win32k.sys registers, from its DriverEntry, the routine that
// paints its buffer on the screen (PsEstablishWin32Callouts; NT's passes a
// larger table). Switching the active session calls the new session's
// routine in that session's address space (its buffer is in its session
// space): from one of its processes when the caller is in another session.

import { call_address, cli, read_eflags, sti } from "../sdk/intrinsics";
import { InbvAcquireDisplayOwnership } from "../hal/vga";
import {
  KE_MAX_SESSIONS, KeGetActiveSession, KeGetCurrentSessionId, KeHasSessionServices, KeRemoveSessionServices, KeSessionPaintRoutine,
  KeSetActiveSession, KeSetSessionIdRoutine, KeSetSessionPaintRoutine,
} from "../ke/shadow";
import { KeLogBegin, KeLogDecimal, KeLogEnd, KeLogString, KeLogFormat2 } from "../ke/log";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import { ExCopyFromUser, ProbeUserRange } from "../ke/probe";
import { SeSinglePrivilegeCheck } from "../se/token";
import { SE_LOAD_DRIVER_PRIVILEGE } from "../se/tokenobj";
import { ExRegisterSetInformationHandler } from "../ex/sysinfo";
import { SystemExtendServiceTableInformation, SystemSessionCreate, SystemSessionDetach } from "../sdk/sysinfo";
import { PsGetCurrentSessionId, PspSessionCreateService, PspSessionDetachService } from "./pssession";
import { MmForgetSessionDriver, MmLoadSessionImage, MmRefuseSessionDriver } from "../mm/sysload";
import { IoLoadFileCounted } from "../io/iofile";
import { IoFlushKeyQueue } from "../io/kbdqueue";
import {
  EPROCESS, EPROCESS_ACTIVE_LINKS, PsActiveProcessHead, PsInitialSystemProcess,
  PspDereferenceProcess, PspReferenceProcess,
} from "./psmain";
import { KeStackAttachProcess, KeUnstackDetachProcess } from "../ke/attach";
import {
  NT_SUCCESS, STATUS_ACCESS_VIOLATION, STATUS_INFO_LENGTH_MISMATCH, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_PARAMETER,
  STATUS_PRIVILEGE_NOT_HELD, STATUS_SUCCESS,
} from "../sdk/ntstatus";

const FILE_TAG: u32 = 0x6C694644; // 'DFil': a driver file while it loads

/** Phase 1: Ke learns how to tell the current session; NtSetSystemInformation learns how to load a session driver and make and leave sessions. */
export function PsInitializeWin32(): void {
  KeSetSessionIdRoutine(PsGetCurrentSessionId);
  ExRegisterSetInformationHandler(SystemExtendServiceTableInformation, PsLoadSessionDriverService);
  ExRegisterSetInformationHandler(SystemSessionCreate, PspSessionCreateService);
  ExRegisterSetInformationHandler(SystemSessionDetach, PspSessionDetachService);
}

const PATH_TAG: u32 = 0x68746150; // 'Path'
/** The longest driver path accepted (bytes of UTF-16). */
const MAX_DRIVER_PATH: u32 = 512;

/**
 * NtSetSystemInformation(SystemExtendServiceTableInformation): `buffer` is
 * the caller's UNICODE_STRING naming a session driver (win32k.sys). The
 * length first, then SeLoadDriverPrivilege, then the pointers (ReactOS's
 * order); the name is captured and the driver loaded.
 */
function PsLoadSessionDriverService(buffer: usize, length: u32): u32 {
  if (length != 8) return STATUS_INFO_LENGTH_MISMATCH;
  if (!SeSinglePrivilegeCheck(SE_LOAD_DRIVER_PRIVILEGE)) return STATUS_PRIVILEGE_NOT_HELD;
  // The UNICODE_STRING and then the name, each read once through the user-copy routine.
  const cell = KeAllocateScratch(8);
  const read = ProbeUserRange(buffer, 8, 4) && ExCopyFromUser(cell, buffer, 8);
  const bytes = <u32>load<u16>(cell);
  const text = load<usize>(cell, 4);
  KeFreeScratch(cell);
  if (!read) return STATUS_ACCESS_VIOLATION;
  if (bytes == 0 || (bytes & 1) != 0 || bytes > MAX_DRIVER_PATH) return STATUS_INVALID_PARAMETER;
  if (!ProbeUserRange(text, bytes, 2)) return STATUS_ACCESS_VIOLATION;
  const copy = ExAllocatePoolWithTag(NonPagedPool, bytes, PATH_TAG);
  if (copy == 0) return STATUS_INSUFFICIENT_RESOURCES;
  if (!ExCopyFromUser(copy, text, bytes)) { ExFreePoolWithTag(copy, PATH_TAG); return STATUS_ACCESS_VIOLATION; }
  const status = PsLoadSessionDriver(copy, bytes);
  ExFreePoolWithTag(copy, PATH_TAG);
  return status;
}

/**
 * Loads the session driver at the NT path `path` (kernel memory, `bytes`
 * bytes of UTF-16) into the current session (mm/sysload.ts) and runs its
 * DriverEntry; a failure takes back what the driver registered.
 */
function PsLoadSessionDriver(path: usize, bytes: u32): u32 {
  const session = KeGetCurrentSessionId();
  if (KeHasSessionServices(session)) return MmRefuseSessionDriver(session, path, bytes);
  const result = KeAllocateScratch(8); // the file's pool copy and its size: this call's own (sessions load their drivers at once)
  let status = IoLoadFileCounted(path, bytes, FILE_TAG, result);
  const file = load<usize>(result), size = load<u32>(result, 4);
  KeFreeScratch(result);
  if (!NT_SUCCESS(status)) return MmLoadSessionImage(session, path, bytes, 0, 0, status);
  status = MmLoadSessionImage(session, path, bytes, file, size, STATUS_SUCCESS);
  ExFreePoolWithTag(file, FILE_TAG);
  if (!NT_SUCCESS(status)) KeRemoveSessionServices(session);
  return status;
}

/** NT's PsEstablishWin32Callouts, cut to what we need: `callouts` points at one machine address, the routine that paints the calling session's screen. */
export function PsEstablishWin32Callouts(callouts: usize): void {
  if (callouts != 0) KeSetSessionPaintRoutine(load<usize>(callouts));
}

/**
 * Works in session `session`'s address space until PspDetachSession, from
 * one of its processes (KeStackAttachProcess): the System process for
 * session 0. Returns that process (referenced: give it to
 * PspDetachSession), or 0 when the session has no process.
 */
function PspAttachSession(session: u32): usize {
  let found: usize = 0;
  const f = read_eflags() & 0x200; // the process list changes with interrupts off (a uniprocessor's lock)
  cli();
  if (session == 0) found = PsInitialSystemProcess;
  else {
    const head = PsActiveProcessHead;
    for (let e = load<usize>(head); e != head && found == 0; e = load<usize>(e)) {
      const process = e - EPROCESS_ACTIVE_LINKS;
      if (changetype<EPROCESS>(process).SessionId == session && changetype<EPROCESS>(process).Session != 0) found = process;
    }
  }
  if (found != 0) PspReferenceProcess(found);
  if (f != 0) sti();
  if (found != 0) KeStackAttachProcess(found);
  return found;
}
function PspDetachSession(process: usize): void {
  KeUnstackDetachProcess();
  PspDereferenceProcess(process);
}

/**
 * Makes `session` the active session and paints its screen: the session must
 * have its win32k.sys (a registered table and paint routine), else
 * STATUS_INVALID_PARAMETER.
 */
export function PsSwitchActiveSession(session: u32): u32 {
  if (session >= KE_MAX_SESSIONS || !KeHasSessionServices(session)) return STATUS_INVALID_PARAMETER;
  const paint = KeSessionPaintRoutine(session);
  if (paint == 0) return STATUS_INVALID_PARAMETER;
  const previous = KeGetActiveSession();
  KeSetActiveSession(session);
  InbvAcquireDisplayOwnership();
  if (session == KeGetCurrentSessionId()) {
    call_address(paint, 0, 0);
  } else {
    const attached = PspAttachSession(session);
    if (attached != 0) {
      call_address(paint, 0, 0);
      PspDetachSession(attached);
    }
  }
  if (previous != session) {
    KeLogFormat2("ps", "active session %u -> %u", previous, session);
  }
  return STATUS_SUCCESS;
}

/** Session `session` has ended (ps/pssession.ts, before its space is freed): its driver's records and key queue go with it. */
export function PspSessionDriverGone(session: u32): void {
  KeRemoveSessionServices(session);
  IoFlushKeyQueue(session);
  MmForgetSessionDriver(session);
}
