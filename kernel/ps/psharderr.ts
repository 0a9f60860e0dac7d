// The default hard error port: NtSetDefaultHardErrorPort, and the sending
// of a hard error to it for ex/harderr.ts's NtRaiseHardError (registered at
// phase 1: Ex sits below LPC and Ps).
//
// Each session has its own port, its csrss's ApiPort (NT has one for the
// system): a second call in a session whose port is still open gets
// STATUS_UNSUCCESSFUL, as NT's second call does; once that csrss has ended
// (its port closed) the session's next csrss may set one. A hard error from
// a process of the session (never from the port's own process, which would
// wait on itself) goes as NT's HARDERROR_MSG (kernel/sdk/csr.ts, type
// LPC_ERROR_EVENT, the raising thread's ClientId, the caller's own
// parameter vector: csrss reads its strings with NtReadVirtualMemory), and
// the raising thread waits for the answer; its Response goes back to the
// caller (ResponseReturnToCaller if the port fails or csrss says the
// message was not handled).

import { cli, read_eflags, sti } from "../sdk/intrinsics";
import { KeLogBegin, KeLogDecimal, KeLogEnd, KeLogString, KeLogAsciiz } from "../ke/log";
import { KeQuerySystemTime } from "../ke/wait";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { ExSetHardErrorCallerRoutines, ExSetHardErrorPortHandler, EX_HARD_ERROR_NO_PORT, MAXIMUM_HARDERROR_PARAMETERS } from "../ex/harderr";
import { ObDereferenceObject, ObReferenceObject } from "../ob/obref";
import { SeSinglePrivilegeCheck } from "../se/token";
import { SE_SHUTDOWN_PRIVILEGE, SE_TCB_PRIVILEGE } from "../se/tokenobj";
import { LpcIsPortClosed, LpcReferencePortByHandle, LpcReferencePortStatus, LpcRequestWaitReplyPortKernel } from "../lpc/send";
import { EPROCESS, PsGetCurrentProcess, PsImageFileName } from "./psmain";
import { LPC_ERROR_EVENT, SIZEOF_PORT_MESSAGE } from "../sdk/lpc";
import {
  SIZEOF_HARDERROR_MSG, HARDERROR_MSG_STATUS, HARDERROR_MSG_ERROR_STATUS, HARDERROR_MSG_VALID_RESPONSE_OPTIONS, HARDERROR_MSG_RESPONSE,
  HARDERROR_MSG_NUMBER_OF_PARAMETERS, HARDERROR_MSG_UNICODE_STRING_PARAMETER_MASK, HARDERROR_MSG_PARAMETERS, HARDERROR_MSG_ERROR_TIME,
} from "../sdk/csr";
import { ResponseReturnToCaller } from "../sdk/hardmsg";
import { STATUS_PRIVILEGE_NOT_HELD, STATUS_SUCCESS, STATUS_UNSUCCESSFUL } from "../sdk/ntstatus";

/** Sessions with a port of their own; a process of a later session has none. */
const PSP_PORT_SESSIONS: u32 = 16;
/** Per session: +0 the port (referenced), +4 the process that set it (its csrss). */
const PspDefaultErrorPorts = memory.data(PSP_PORT_SESSIONS * 8, 4);
const MESSAGE_TAG: u32 = 0x72724548; // 'HErr'

@inline function PspSessionOf(process: usize): u32 { return changetype<EPROCESS>(process).SessionId; }

/** The session's port if it is open and the caller is not its process (referenced), else 0. */
function PspReferenceErrorPort(process: usize): usize {
  const session = PspSessionOf(process);
  if (session >= PSP_PORT_SESSIONS) return 0;
  const f = read_eflags() & 0x200;
  cli(); // the table changes with interrupts off
  const slot = PspDefaultErrorPorts + session * 8;
  const port = load<usize>(slot);
  const usable = port != 0 && !LpcIsPortClosed(port) && load<usize>(slot, 4) != process;
  if (usable) ObReferenceObject(port);
  if (f != 0) sti();
  return usable ? port : 0;
}

/** NtSetDefaultHardErrorPort(PortHandle): SeTcbPrivilege; the port takes the hard errors of the caller's session. */
export function NtSetDefaultHardErrorPort(handle: u32): u32 {
  if (!SeSinglePrivilegeCheck(SE_TCB_PRIVILEGE)) return STATUS_PRIVILEGE_NOT_HELD;
  const process = PsGetCurrentProcess();
  const session = PspSessionOf(process);
  if (session >= PSP_PORT_SESSIONS) return STATUS_UNSUCCESSFUL;
  const port = LpcReferencePortByHandle(handle);
  if (port == 0) return LpcReferencePortStatus();
  const slot = PspDefaultErrorPorts + session * 8;
  const f = read_eflags() & 0x200;
  cli();
  const old = load<usize>(slot);
  const taken = old != 0 && !LpcIsPortClosed(old);
  if (!taken) { store<usize>(slot, port); store<usize>(slot, process, 4); }
  if (f != 0) sti();
  if (taken) { ObDereferenceObject(port); return STATUS_UNSUCCESSFUL; }
  if (old != 0) ObDereferenceObject(old);
  KeLogBegin("ex");
  KeLogString("session ");
  KeLogDecimal(session);
  KeLogString(": default hard error port set by ");
  KeLogAsciiz(PsImageFileName(process), 16);
  KeLogString(" (pid ");
  KeLogDecimal(changetype<EPROCESS>(process).UniqueProcessId);
  KeLogString(")");
  KeLogEnd();
  return STATUS_SUCCESS;
}

/** ex/harderr.ts's port handler (EX_HARD_ERROR_PORT_HANDLER). */
function PspSendHardError(status: u32, count: u32, mask: u32, parameters: usize, options: u32): u32 {
  const port = PspReferenceErrorPort(PsGetCurrentProcess());
  if (port == 0) return EX_HARD_ERROR_NO_PORT;
  let response = ResponseReturnToCaller;
  const message = ExAllocatePoolWithTag(NonPagedPool, SIZEOF_HARDERROR_MSG * 2, MESSAGE_TAG);
  if (message != 0) {
    memory.fill(message, 0, SIZEOF_HARDERROR_MSG * 2);
    store<u16>(message, <u16>(SIZEOF_HARDERROR_MSG - SIZEOF_PORT_MESSAGE));
    store<u16>(message, <u16>SIZEOF_HARDERROR_MSG, 2);
    store<u64>(message + HARDERROR_MSG_ERROR_TIME, KeQuerySystemTime());
    store<u32>(message + HARDERROR_MSG_ERROR_STATUS, status);
    store<u32>(message + HARDERROR_MSG_VALID_RESPONSE_OPTIONS, options);
    store<u32>(message + HARDERROR_MSG_NUMBER_OF_PARAMETERS, count);
    store<u32>(message + HARDERROR_MSG_UNICODE_STRING_PARAMETER_MASK, mask);
    memory.copy(message + HARDERROR_MSG_PARAMETERS, parameters, MAXIMUM_HARDERROR_PARAMETERS * 4);
    const reply = message + SIZEOF_HARDERROR_MSG;
    const sent = LpcRequestWaitReplyPortKernel(port, LPC_ERROR_EVENT, message, reply, SIZEOF_HARDERROR_MSG);
    if (sent == STATUS_SUCCESS && load<u32>(reply + HARDERROR_MSG_STATUS) == STATUS_SUCCESS) response = load<u32>(reply + HARDERROR_MSG_RESPONSE);
    ExFreePoolWithTag(message, MESSAGE_TAG);
  }
  ObDereferenceObject(port);
  return response;
}

/** Phase 1: NtRaiseHardError sends to the session's port once there is one. */
export function PsInitializeHardErrorPorts(): void {
  ExSetHardErrorPortHandler(PspSendHardError);
  ExSetHardErrorCallerRoutines(PspLogHardErrorCaller, PspMayShutDown);
}

/** For Ex's log line of a hard error nobody handles: `app.exe (pid 9`. */
function PspLogHardErrorCaller(): void {
  const process = PsGetCurrentProcess();
  KeLogAsciiz(PsImageFileName(process), 16);
  KeLogString(" (pid ");
  KeLogDecimal(changetype<EPROCESS>(process).UniqueProcessId);
}
/** A hard error with OptionShutdownSystem needs SeShutdownPrivilege. */
function PspMayShutDown(): bool { return SeSinglePrivilegeCheck(SE_SHUTDOWN_PRIVILEGE); }
