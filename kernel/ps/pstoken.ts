// Processes and their primary tokens (NT's ps/security.c): the System
// process's token, the routine that lets Se read a process's token (Se sits
// below Ps: SeSetProcessTokenRoutine), NtOpenProcessToken and
// NtOpenThreadToken (the process or thread is Ps's; the token handle is
// Se's, SeOpenToken), and a new primary token for a process that has not
// run (NtSetInformationProcess(ProcessAccessToken)).

import { ExWriteUserUlong, ProbeUserWrite } from "../ke/probe";
import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import { KeLogFormat2 } from "../ke/log";
import { ObReferenceObjectByHandle } from "../ob/obhandle";
import { ObDereferenceObject } from "../ob/obref";
import { ObAcquireObjectLock, ObReleaseObjectLock } from "../ob/obp";
import { SeDefaultSecurityDescriptor } from "../se/access";
import { SeCopyTokenForAssignment, SeOpenToken, SeSetProcessTokenRoutine, SeSystemToken, SeTokenLogonId } from "../se/token";
import { EPROCESS, PsInitialSystemProcess } from "./psmain";
import { PROCESS_QUERY_INFORMATION, PsDereferenceProcess, PsReferenceProcessByHandle } from "./psprocess";
import { PsThreadType, THREAD_QUERY_INFORMATION } from "./psthread";
import { STATUS_ACCESS_VIOLATION, STATUS_NO_TOKEN, STATUS_SUCCESS, STATUS_UNSUCCESSFUL } from "../sdk/ntstatus";

/** Phase 1, after SeInitializeTokenType: the System process gets the System token and its descriptor; Se may read processes' tokens. */
export function PsInitializeSystemToken(): void {
  const token = SeSystemToken();
  changetype<EPROCESS>(PsInitialSystemProcess).Token = token;
  changetype<EPROCESS>(PsInitialSystemProcess).SecurityDescriptor = SeDefaultSecurityDescriptor(token);
  SeSetProcessTokenRoutine(PspProcessToken);
}

/** The primary token of `process` (an EPROCESS; 0: a kernel thread's, the System process's). */
function PspProcessToken(process: usize): usize {
  return changetype<EPROCESS>(process != 0 ? process : PsInitialSystemProcess).Token;
}

/** NtOpenProcessToken(ProcessHandle, DesiredAccess, *TokenHandle): the process's primary token; needs PROCESS_QUERY_INFORMATION. */
export function NtOpenProcessToken(process: u32, access: u32, token: usize): u32 {
  if (!ProbeUserWrite(token, 4, 4)) return STATUS_ACCESS_VIOLATION;
  const out = KeAllocateScratch(4); // the process, then the new handle
  let status = PsReferenceProcessByHandle(process, PROCESS_QUERY_INFORMATION, out);
  if (status == STATUS_SUCCESS) {
    const p = load<usize>(out);
    const primary = changetype<EPROCESS>(p).Token; // the reference we hold keeps the EPROCESS, and so its token
    status = primary != 0 ? SeOpenToken(primary, access, out) : STATUS_NO_TOKEN;
    PsDereferenceProcess(p);
    if (status == STATUS_SUCCESS && !ExWriteUserUlong(token, load<u32>(out))) status = STATUS_ACCESS_VIOLATION;
  }
  KeFreeScratch(out);
  return status;
}

/**
 * NtOpenThreadToken(ThreadHandle, DesiredAccess, OpenAsSelf, *TokenHandle):
 * the thread's impersonation token. The thread handle is checked
 * (THREAD_QUERY_INFORMATION); no thread impersonates here, so the answer
 * is STATUS_NO_TOKEN.
 */
export function NtOpenThreadToken(thread: u32, access: u32, openAsSelf: u32, token: usize): u32 {
  if (!ProbeUserWrite(token, 4, 4)) return STATUS_ACCESS_VIOLATION;
  const out = KeAllocateScratch(4);
  const status = ObReferenceObjectByHandle(thread, THREAD_QUERY_INFORMATION, PsThreadType, out, 0);
  const object = load<usize>(out);
  KeFreeScratch(out);
  if (status != STATUS_SUCCESS) return status;
  ObDereferenceObject(object);
  return STATUS_NO_TOKEN;
}

/**
 * NtSetInformationProcess(ProcessAccessToken): `process` (an EPROCESS the
 * caller holds with PROCESS_SET_INFORMATION) gets a copy of the primary
 * token behind `tokenHandle` as its primary token, in its own session
 * (SeCopyTokenForAssignment checks the privilege and the handle). The
 * process must not have run yet (its threads would see the token change
 * under them): `mayChange`, asked under the lock the change is made in
 * (interrupts off, as Ke's dispatcher lock: no thread of the process starts
 * meanwhile), refuses it with STATUS_UNSUCCESSFUL, as NT does.
 */
export function PsAssignPrimaryToken(process: usize, tokenHandle: u32, mayChange: (process: usize) => bool): u32 {
  const p = changetype<EPROCESS>(process);
  const out = KeAllocateScratch(4);
  const status = SeCopyTokenForAssignment(tokenHandle, p.SessionId, out);
  const copy = load<usize>(out);
  KeFreeScratch(out);
  if (status != STATUS_SUCCESS) return status;
  const lock = ObAcquireObjectLock();
  if (!mayChange(process)) {
    ObReleaseObjectLock(lock);
    ObDereferenceObject(copy);
    return STATUS_UNSUCCESSFUL;
  }
  const previous = p.Token;
  p.Token = copy;
  ObReleaseObjectLock(lock);
  if (previous != 0) ObDereferenceObject(previous);
  KeLogFormat2("se", "process %u has a new primary token (logon session %x)", p.UniqueProcessId, SeTokenLogonId(copy));
  return STATUS_SUCCESS;
}
