// NtSetSystemInformation(SystemInformationClass, SystemInformation, Length):
// the classes that change the system, each with NT's privilege check.
//
//   SystemSessionCreate (47)   ULONG out: SeLoadDriverPrivilege; a new session,
//                              the caller moves into it (ps/pssession.ts)
//   SystemSessionDetach (48)   ULONG in: SeLoadDriverPrivilege; the caller leaves
//                              that session (back to session 0)
//
// The buffer's length is checked first (STATUS_INFO_LENGTH_MISMATCH), then
// the privilege (STATUS_PRIVILEGE_NOT_HELD), then the pointer, as ReactOS's
// ex/sysinfo.c orders them. Other classes: STATUS_INVALID_INFO_CLASS.

import { ProbeForRead, ProbeForWrite } from "../ke/probe";
import { SeSinglePrivilegeCheck } from "../se/token";
import { SE_LOAD_DRIVER_PRIVILEGE } from "../se/tokenobj";
import { PsCreateSession, PsDetachSession } from "../ps/pssession";
import {
  STATUS_ACCESS_VIOLATION, STATUS_INFO_LENGTH_MISMATCH, STATUS_INVALID_INFO_CLASS, STATUS_PRIVILEGE_NOT_HELD, STATUS_SUCCESS,
} from "../sdk/ntstatus";
import { SystemSessionCreate, SystemSessionDetach } from "../sdk/sysinfo";

/** NtSetSystemInformation(SystemInformationClass, SystemInformation, SystemInformationLength). */
export function NtSetSystemInformation(infoClass: u32, buffer: usize, length: u32): u32 {
  switch (infoClass) {
    case SystemSessionCreate: return ExpSessionCreate(buffer, length);
    case SystemSessionDetach: return ExpSessionDetach(buffer, length);
  }
  return STATUS_INVALID_INFO_CLASS;
}

function ExpSessionCreate(buffer: usize, length: u32): u32 {
  if (length != 4) return STATUS_INFO_LENGTH_MISMATCH;
  if (!SeSinglePrivilegeCheck(SE_LOAD_DRIVER_PRIVILEGE)) return STATUS_PRIVILEGE_NOT_HELD;
  if (!ProbeForWrite(buffer, 4, 4)) return STATUS_ACCESS_VIOLATION;
  const id = memory.data(4, 4);
  const status = PsCreateSession(id);
  // The page was probed before the session was made; the write comes after (as NT's).
  if (status == STATUS_SUCCESS && ProbeForWrite(buffer, 4, 4)) store<u32>(buffer, load<u32>(id));
  return status;
}

function ExpSessionDetach(buffer: usize, length: u32): u32 {
  if (length != 4) return STATUS_INFO_LENGTH_MISMATCH;
  if (!SeSinglePrivilegeCheck(SE_LOAD_DRIVER_PRIVILEGE)) return STATUS_PRIVILEGE_NOT_HELD;
  if (!ProbeForRead(buffer, 4, 4)) return STATUS_ACCESS_VIOLATION;
  return PsDetachSession(load<u32>(buffer));
}
