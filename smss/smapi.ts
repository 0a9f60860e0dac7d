// Step 1 and the SM API: \SmApiPort, the thread that serves it, and the
// event \Device\VolumesSafeForWriteAccess (set once the paging files exist,
// step 4f, so that programs waiting on it may write).
//
// A client connects with or without connection information (a subsystem's
// SB_CONNECTION_INFO: its image type and the name of its own port, which
// smss connects back to once part 2 starts subsystems). Every connection is
// accepted with a client context from a fixed table (the API thread never
// allocates: smss's allocator is not shared between threads). A request
// (SM_API_MSG, kernel/sdk/sm.ts) is answered with its ReturnValue:
//   ApiNumber 7 or more                 STATUS_NOT_IMPLEMENTED
//   0-2 from a client not a subsystem   STATUS_INVALID_PARAMETER
//   ExecPgm (3) from an untrusted one   STATUS_ACCESS_DENIED (trusted: smss
//                                       itself and the subsystems it started)
//   a request too short for ApiNumber   STATUS_INVALID_PARAMETER
// ExecPgm takes the caller's process and thread handles (duplicated from
// it) and, for a native image, resumes the thread, as NT's smss does when no
// subsystem has to be told. smss connects to itself as NT's does, to start
// programs through its own API. Each connection and each refused request is
// one log line `smss: SM API: ...`.
//
// Sessions (smsessn.ts): the first smss starts one copy of itself per
// session and registers it here (SmpRegisterSession) before it runs. A
// client with SB_CONNECTION_INFO whose parent is such a copy is that
// session's subsystem (the copy started it): it is accepted, smss connects
// back to the SbApiPort it named, then sets the session's event, which the
// copy waits on before it starts winlogon or wininit. The copy itself is a
// trusted client that reports with SessionComplete (1).
//
// The other APIs (any connected client may call them: \SmApiPort is the
// SYSTEM account's in NT, and so is every process here):
//   0 CreateForeignSession     (a subsystem) a new foreign session id, remembered with
//                              the caller's SbApiPort connection
//   2 TerminateForeignSession  (a subsystem) the session is over: smss tells the subsystem
//                              that created it (SbForeignSessionComplete with the status)
//                              and answers with that subsystem's answer; unknown id:
//                              STATUS_INVALID_PARAMETER
//   4 LoadDeferedSubsystem     a subsystem named in SubSystems\Optional, started once
//   5 StartCsr                 a new session with its csrss and initial command
//   6 StopCsr                  ends a session's csrss (not session 0's or 1's)
// 4-6 need the main thread (they start processes and allocate): the request
// is queued (SmpApiWorkEvent) and answered later with NtReplyPort on the
// client's port by the main thread (smsessn.ts, SmpServeDeferredRequests);
// this thread goes on serving, so the copies of smss those requests start
// can report here meanwhile. A program the main thread is waiting for (a
// BootExecute entry run without `async`) is refused them with
// STATUS_INVALID_DEVICE_STATE: the main thread would never get to its
// request, and the two would wait on each other for ever.

import {
  NtClose, NtCreateEvent, NtSetEvent, PROCESS_QUERY_INFORMATION, STATUS_OBJECT_NAME_NOT_FOUND, NtCreatePort, NtConnectPort, NtReplyWaitReceivePort, NtAcceptConnectPort, NtCompleteConnectPort,
  NtOpenProcess, NtDuplicateObject, NtResumeThread, NtQueryInformationProcess, NtDisplayString, RtlCreateUserThread, func_address, NtReplyPort, NtRequestWaitReplyPort,
  NtCurrentProcess, EVENT_ALL_ACCESS, OBJ_PERMANENT, PROCESS_DUP_HANDLE, PROCESS_ALL_ACCESS, THREAD_ALL_ACCESS,
  STATUS_SUCCESS, STATUS_NOT_IMPLEMENTED, STATUS_INVALID_PARAMETER, STATUS_ACCESS_DENIED, STATUS_INVALID_IMAGE_FORMAT,
} from "./ntapi";
import {
  SIZEOF_SM_API_MSG, SM_API_MSG_API_NUMBER, SM_API_MSG_RETURN_VALUE, SM_API_MSG_U, SM_API_MSG_MINIMUM_DATA, SmpMaxApiNumber,
  SmpTerminateForeignSessionApi, SmpExecPgmApi, SmpSessionCompleteApi, SIZEOF_SB_CONNECTION_INFO, SB_CONNECTION_INFO_SUBSYSTEM_TYPE,
  SB_CONNECTION_INFO_PORT_NAME, SB_CONNECTION_INFO_PORT_NAME_CHARS, SM_SESSION_COMPLETE_SESSION_ID, SM_SESSION_COMPLETE_STATUS,
  RTL_USER_PROCESS_INFORMATION_PROCESS, RTL_USER_PROCESS_INFORMATION_THREAD, RTL_USER_PROCESS_INFORMATION_SUBSYSTEM,
  SM_EXEC_PGM_PROCESS_INFORMATION, SmpCreateForeignSessionApi, SmpLoadDeferedSubsystemApi, SmpStartCsrApi, SmpStopCsrApi,
  SM_CREATE_FOREIGN_SESSION_ID, SIZEOF_SM_CREATE_FOREIGN_SESSION_MSG, SM_TERMINATE_FOREIGN_SESSION_ID, SM_TERMINATE_FOREIGN_SESSION_STATUS,
  SM_LOAD_DEFERED_LENGTH, SM_LOAD_DEFERED_BUFFER_CHARS, SM_START_CSR_LENGTH, SM_START_CSR_BUFFER_CHARS, SIZEOF_SM_START_CSR_MSG,
  SIZEOF_SB_API_MSG, SB_API_MSG_API_NUMBER, SB_API_MSG_RETURN_VALUE, SB_API_MSG_U, SbpForeignSessionComplete, SB_FOREIGN_SESSION_COMPLETE_SESSION_ID,
  SB_FOREIGN_SESSION_COMPLETE_STATUS,
} from "../kernel/sdk/sm";
import { STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_DEVICE_STATE } from "../kernel/sdk/ntstatus";
import {
  LPC_CONNECTION_REQUEST, LPC_PORT_CLOSED, LPC_CLIENT_DIED, LPC_REQUEST, LPC_DATAGRAM, PORT_MESSAGE_DATA_LENGTH, PORT_MESSAGE_TYPE,
  PORT_MESSAGE_CLIENT_ID, InitializeSecurityQualityOfService, SecurityIdentification, SECURITY_DYNAMIC_TRACKING
} from "../kernel/sdk/lpc";
import { SmpAttributes, SmpLog, SmpLogFailure, SmpSlot, SmpUnicode } from "./smutil";
import { ProcessBasicInformation, PROCESS_BASIC_INFORMATION, SIZEOF_PROCESS_BASIC_INFORMATION } from "../kernel/sdk/procinfo";
import { InitializeCountedString, InitializeObjectAttributes } from "../kernel/sdk/ntdef";

const NotificationEvent: u32 = 0;
const IMAGE_SUBSYSTEM_NATIVE: u32 = 1;
let SmpVolumesSafeEvent: u32 = 0;
let SmpApiPort: u32 = 0;
/** smss's own connection to \SmApiPort. */
export let SmpApiConnection: u32 = 0;
let SmpUniqueProcessId: u32 = 0;

// ---- client contexts: a fixed table, the PortContext of each connection is its entry's address ----
const MAX_CLIENTS: u32 = 64;
const CONTEXT_SIZE: u32 = 24; // InUse, ProcessId, Flags, SubsystemType, the client's port (smss's end), its SbApiPort (smss connected back)
const CLIENT_SUBSYSTEM: u32 = 1; // a subsystem smss started (part 2 marks them)
const CLIENT_TRUSTED: u32 = 2;   // may use ExecPgm: smss itself and its subsystems
const CLIENT_SESSION: u32 = 4;   // a per-session copy of smss: may report SessionComplete
const SmpClients = memory.data(MAX_CLIENTS * CONTEXT_SIZE, 4);
/** Processes smss started as subsystems (part 2 adds them), by id. */
export const SmpKnownSubSystems = memory.data(4 * 16, 4);
export let SmpKnownSubSystemCount: u32 = 0;

// ---- sessions: one entry per copy of smss the first smss started (smsessn.ts) ----
//   +0 InUse, +4 SessionId (asked; the copy's report replaces it), +8 CopyPid,
//   +12 Event (set once the subsystem connected), +16 SubsystemPid, +20 SbApiPort,
//   +24 Completed, +28 SessionStatus
const MAX_SESSIONS: u32 = 32;
const SESSION_SIZE: u32 = 32;
const SmpSessions = memory.data(MAX_SESSIONS * SESSION_SIZE, 4);

/** A session entry for the copy about to start (0 when the table is full). */
export function SmpRegisterSession(sessionId: u32, event: u32): usize {
  for (let i: u32 = 0; i < MAX_SESSIONS; i++) {
    const e = SmpSessions + i * SESSION_SIZE;
    if (load<u32>(e) != 0) continue;
    memory.fill(e, 0, SESSION_SIZE);
    store<u32>(e, sessionId, 4); store<u32>(e, event, 12);
    store<u32>(e, 1);
    return e;
  }
  return 0;
}
/** The copy's process id, set before its thread runs. */
export function SmpSetSessionCopy(entry: usize, pid: u32): void { store<u32>(entry, pid, 8); }
export function SmpSessionId(entry: usize): u32 { return load<u32>(entry, 4); }
export function SmpSessionSubsystem(entry: usize): u32 { return load<u32>(entry, 16); }
export function SmpSessionCompleted(entry: usize): bool { return load<u32>(entry, 24) != 0; }
export function SmpSessionStatus(entry: usize): u32 { return load<u32>(entry, 28); }
/** The highest session id any entry has. */
export function SmpHighestSessionId(): u32 {
  let high: u32 = 0;
  for (let i: u32 = 0; i < MAX_SESSIONS; i++) {
    const e = SmpSessions + i * SESSION_SIZE;
    if (load<u32>(e) != 0 && load<u32>(e, 4) > high) high = load<u32>(e, 4);
  }
  return high;
}
function SmpSessionOfCopy(pid: u32): usize {
  if (pid == 0) return 0;
  for (let i: u32 = 0; i < MAX_SESSIONS; i++) {
    const e = SmpSessions + i * SESSION_SIZE;
    if (load<u32>(e) != 0 && load<u32>(e, 8) == pid) return e;
  }
  return 0;
}

// ---- subsystems LoadDeferedSubsystem started: +0 pid, +4 event (set once it connected), +8 smss's port to its SbApiPort ----
const MAX_DEFERRED: u32 = 8;
const SmpDeferred = memory.data(MAX_DEFERRED * 12, 4);
/** Main thread, before the subsystem runs: its entry (0 when full); its connection sets `event`. */
export function SmpRegisterDeferredSubsystem(pid: u32, event: u32): usize {
  for (let i: u32 = 0; i < MAX_DEFERRED; i++) {
    const e = SmpDeferred + i * 12;
    if (load<u32>(e) != 0) continue;
    store<u32>(e, 0, 8); store<u32>(e, event, 4); store<u32>(e, pid);
    if (SmpKnownSubSystemCount < 16) { store<u32>(SmpKnownSubSystems + (SmpKnownSubSystemCount << 2), pid); SmpKnownSubSystemCount++; }
    return e;
  }
  return 0;
}
function SmpDeferredOf(pid: u32): usize {
  for (let i: u32 = 0; i < MAX_DEFERRED; i++) { const e = SmpDeferred + i * 12; if (pid != 0 && load<u32>(e) == pid) return e; }
  return 0;
}
/** The csrss process id of session `id` (0 when smss knows none). */
export function SmpSessionSubsystemById(id: u32): u32 {
  for (let i: u32 = 0; i < MAX_SESSIONS; i++) {
    const e = SmpSessions + i * SESSION_SIZE;
    if (load<u32>(e) != 0 && load<u32>(e, 4) == id && load<u32>(e, 16) != 0) return load<u32>(e, 16);
  }
  return 0;
}
/** StopCsr ended it: the session has no csrss any more. */
export function SmpForgetSessionSubsystem(id: u32): void {
  for (let i: u32 = 0; i < MAX_SESSIONS; i++) {
    const e = SmpSessions + i * SESSION_SIZE;
    if (load<u32>(e) != 0 && load<u32>(e, 4) == id) store<u32>(e, 0, 16);
  }
}

// ---- foreign sessions: +0 id (0 = free), +4 the creating subsystem's SbApiPort (smss's connection) ----
const MAX_FOREIGN: u32 = 16;
const SmpForeign = memory.data(MAX_FOREIGN * 8, 4);
let SmpNextForeignSessionId: u32 = 0x100;

// ---- requests for the main thread: +0 state (0 free, 1 queued), +4 the client's port, +8 the SM_API_MSG ----
const MAX_DEFERRED_REQUESTS: u32 = 4;
const REQUEST_SLOT: u32 = 8 + SIZEOF_SM_API_MSG;
const SmpDeferredRequests = memory.data(MAX_DEFERRED_REQUESTS * REQUEST_SLOT, 4);
/** Set (auto-reset) when a request waits in SmpDeferredRequests. */
export let SmpApiWorkEvent: u32 = 0;
/** The process the main thread is waiting for to end (0: none): its requests for the main thread are refused. */
let SmpMainThreadWaitsFor: u32 = 0;
/** Main thread: it is about to wait for process `pid` to end (0: it no longer waits). */
export function SmpSetMainThreadWait(pid: u32): void { SmpMainThreadWaitsFor = pid; }
/** SmpDispatch's answer for a request the main thread answers later. */
const SMP_DEFERRED: u32 = 0xFFFFFFFF;

/** Main thread: each queued request, handed to `serve` (which fills its answer and returns the status), then answered. */
export function SmpServeDeferredRequests(serve: (message: usize, clientPid: u32) => u32): void {
  for (let i: u32 = 0; i < MAX_DEFERRED_REQUESTS; i++) {
    const slot = SmpDeferredRequests + i * REQUEST_SLOT;
    if (load<u32>(slot) != 1) continue;
    const m = slot + 8;
    const status = serve(m, load<u32>(m + PORT_MESSAGE_CLIENT_ID));
    store<u32>(m + SM_API_MSG_RETURN_VALUE, status);
    store<u16>(m + PORT_MESSAGE_DATA_LENGTH, <u16>(SIZEOF_SM_API_MSG - 24));
    store<u16>(m + 2, <u16>SIZEOF_SM_API_MSG);
    const replied = NtReplyPort(load<u32>(slot, 4), m);
    if (replied != STATUS_SUCCESS) SmpLogFailure("NtReplyPort", replied, "SM API");
    store<u32>(slot, 0);
  }
}

/** API thread: queues the request for the main thread (STATUS_INSUFFICIENT_RESOURCES when the queue is full). */
function SmpDefer(context: usize): u32 {
  for (let i: u32 = 0; i < MAX_DEFERRED_REQUESTS; i++) {
    const slot = SmpDeferredRequests + i * REQUEST_SLOT;
    if (load<u32>(slot) != 0) continue;
    memory.copy(slot + 8, request, SIZEOF_SM_API_MSG);
    store<u32>(slot, load<u32>(context, 16), 4);
    store<u32>(slot, 1);
    NtSetEvent(SmpApiWorkEvent, 0);
    return SMP_DEFERRED;
  }
  return STATUS_INSUFFICIENT_RESOURCES;
}

const sbMessage = memory.data(SIZEOF_SB_API_MSG, 4);

/** CreateForeignSession from a subsystem: a new id, remembered with the subsystem's SbApiPort. */
function SmpCreateForeignSession(context: usize): u32 {
  const sb = load<u32>(context, 20);
  if (sb == 0) return STATUS_INVALID_PARAMETER; // smss has no connection to its SbApiPort to report the end on
  for (let i: u32 = 0; i < MAX_FOREIGN; i++) {
    const e = SmpForeign + (i << 3);
    if (load<u32>(e) != 0) continue;
    const id = SmpNextForeignSessionId++;
    store<u32>(e, id); store<u32>(e, sb, 4);
    store<u32>(request + SM_API_MSG_U + SM_CREATE_FOREIGN_SESSION_ID, id);
    return STATUS_SUCCESS;
  }
  return STATUS_INSUFFICIENT_RESOURCES;
}

/** TerminateForeignSession: SbForeignSessionComplete to the subsystem that created the session; its answer. */
function SmpTerminateForeignSession(): u32 {
  const id = load<u32>(request + SM_API_MSG_U + SM_TERMINATE_FOREIGN_SESSION_ID);
  for (let i: u32 = 0; i < MAX_FOREIGN; i++) {
    const e = SmpForeign + (i << 3);
    if (id == 0 || load<u32>(e) != id) continue;
    store<u32>(e, 0);
    memory.fill(sbMessage, 0, SIZEOF_SB_API_MSG);
    store<u16>(sbMessage, <u16>(SIZEOF_SB_API_MSG - 24)); store<u16>(sbMessage, <u16>SIZEOF_SB_API_MSG, 2);
    store<u32>(sbMessage + SB_API_MSG_API_NUMBER, SbpForeignSessionComplete);
    store<u32>(sbMessage + SB_API_MSG_U + SB_FOREIGN_SESSION_COMPLETE_SESSION_ID, id);
    store<u32>(sbMessage + SB_API_MSG_U + SB_FOREIGN_SESSION_COMPLETE_STATUS, load<u32>(request + SM_API_MSG_U + SM_TERMINATE_FOREIGN_SESSION_STATUS));
    const sent = NtRequestWaitReplyPort(load<u32>(e, 4), sbMessage, sbMessage);
    return sent != STATUS_SUCCESS ? sent : load<u32>(sbMessage + SB_API_MSG_RETURN_VALUE);
  }
  return STATUS_INVALID_PARAMETER;
}

function SmpIsKnownSubSystem(pid: u32): bool {
  for (let i: u32 = 0; i < SmpKnownSubSystemCount; i++) if (load<u32>(SmpKnownSubSystems + (i << 2)) == pid) return true;
  return false;
}

// ---- the API thread's log lines: static buffers only ----
const apiLine = memory.data(480, 2), apiString = memory.data(8, 4);
let apiLength: u32 = 0;
function put(s: string): void {
  for (let i = 0; i < s.length && apiLength < 236; i++) { store<u16>(apiLine + (apiLength << 1), <u16>s.charCodeAt(i)); apiLength++; }
}
function putWide(p: usize, chars: u32): void {
  for (let i: u32 = 0; i < chars && apiLength < 236; i++) { store<u16>(apiLine + (apiLength << 1), load<u16>(p + (i << 1))); apiLength++; }
}
function putDec(v: u32): void {
  if (v >= 10) putDec(v / 10);
  if (apiLength < 236) { store<u16>(apiLine + (apiLength << 1), <u16>(48 + v % 10)); apiLength++; }
}
function putHex(v: u32): void {
  put("0x");
  for (let s = 28; s >= 0; s -= 4) { const d = (v >>> <u32>s) & 15; if (apiLength < 236) { store<u16>(apiLine + (apiLength << 1), <u16>(d < 10 ? 48 + d : 55 + d)); apiLength++; } }
}
function flush(): void {
  InitializeCountedString(apiString, apiLine, apiLength << 1, apiLength << 1);
  NtDisplayString(apiString);
  apiLength = 0;
}

// ---- the API thread's buffers ----
const request = memory.data(SIZEOF_SM_API_MSG, 4);
const contextOut = memory.data(4, 4), portOut = memory.data(4, 4), handleOut = memory.data(8, 4);
const noAttributes = memory.data(24, 4), info = memory.data(0x44, 4);
const parentCid = memory.data(8, 4), parentHandle = memory.data(4, 4), parentInfo = memory.data(<i32>offsetof<PROCESS_BASIC_INFORMATION>(), 4);
const sbName = memory.data(8, 4), sbBuffer = memory.data(SB_CONNECTION_INFO_PORT_NAME_CHARS * 2, 2), sbHandle = memory.data(4, 4), sbQos = memory.data(12, 4);

/** The id of the process `pid` was created from, or 0. */
function SmpParentOf(pid: u32): u32 {
  InitializeObjectAttributes(noAttributes, 0, 0, 0, 0);
  store<u32>(parentCid, pid); store<u32>(parentCid, 0, 4);
  if (NtOpenProcess(parentHandle, PROCESS_QUERY_INFORMATION, noAttributes, parentCid) != STATUS_SUCCESS) return 0;
  const h = load<u32>(parentHandle);
  const status = NtQueryInformationProcess(h, ProcessBasicInformation, parentInfo, SIZEOF_PROCESS_BASIC_INFORMATION, 0);
  NtClose(h);
  return status == STATUS_SUCCESS ? changetype<PROCESS_BASIC_INFORMATION>(parentInfo).InheritedFromUniqueProcessId : 0;
}

/**
 * smss connects back to a subsystem's SbApiPort (named in its SB_CONNECTION_INFO): for a session's csrss
 * (`session`: then the session's copy goes on) or a subsystem LoadDeferedSubsystem started (`deferred`).
 */
function SmpConnectBack(session: usize, deferred: usize, context: usize, pid: u32, infoLength: u32): void {
  let chars: u32 = 0;
  const name = request + 0x18 + SB_CONNECTION_INFO_PORT_NAME;
  const most = infoLength > SB_CONNECTION_INFO_PORT_NAME ? (infoLength - SB_CONNECTION_INFO_PORT_NAME) >> 1 : 0;
  while (chars < most && chars < SB_CONNECTION_INFO_PORT_NAME_CHARS && load<u16>(name + (chars << 1)) != 0) {
    store<u16>(sbBuffer + (chars << 1), load<u16>(name + (chars << 1))); chars++;
  }
  InitializeCountedString(sbName, sbBuffer, chars << 1, chars << 1);
  InitializeSecurityQualityOfService(sbQos, SecurityIdentification, SECURITY_DYNAMIC_TRACKING, true);
  store<u32>(sbHandle, 0);
  const status = chars != 0 ? NtConnectPort(sbHandle, sbName, sbQos, 0, 0, 0, 0, 0) : STATUS_OBJECT_NAME_NOT_FOUND;
  const sb = status == STATUS_SUCCESS ? load<u32>(sbHandle) : 0;
  store<u32>(context, sb, 20);
  if (session != 0) {
    store<u32>(session, pid, 16);
    store<u32>(session, sb, 20);
    put("SM API: session "); putDec(load<u32>(session, 4)); put(": the Windows subsystem (process "); putDec(pid); put(") connected");
  } else {
    store<u32>(deferred, sb, 8);
    put("SM API: the deferred subsystem (process "); putDec(pid); put(") connected");
  }
  if (status == STATUS_SUCCESS) { put("; smss connected back to "); putWide(sbBuffer, chars); }
  else { put("; connecting back to "); putWide(sbBuffer, chars); put(" failed - Status == "); putHex(status); }
  flush();
  NtSetEvent(session != 0 ? load<u32>(session, 12) : load<u32>(deferred, 4), 0);
}

/** LPC_CONNECTION_REQUEST: accept, with a context that says what the client is. */
function SmpHandleConnectionRequest(): void {
  const pid = load<u32>(request + PORT_MESSAGE_CLIENT_ID);
  const infoLength = <u32>load<u16>(request + PORT_MESSAGE_DATA_LENGTH);
  const hasInfo = infoLength >= 4;
  const type = hasInfo ? load<u32>(request + 0x18 + SB_CONNECTION_INFO_SUBSYSTEM_TYPE) : 0;
  let context: usize = 0;
  for (let i: u32 = 0; i < MAX_CLIENTS; i++) {
    const c = SmpClients + i * CONTEXT_SIZE;
    if (load<u32>(c) == 0) { context = c; break; }
  }
  let flags: u32 = 0;
  let session: usize = 0;
  if (pid == SmpUniqueProcessId) flags = CLIENT_TRUSTED;
  else if (SmpIsKnownSubSystem(pid)) flags = CLIENT_SUBSYSTEM | CLIENT_TRUSTED;
  else if (SmpSessionOfCopy(pid) != 0) flags = CLIENT_SESSION | CLIENT_TRUSTED;
  else if (hasInfo) {
    // A subsystem a session's copy of smss started: the first one per session.
    session = SmpSessionOfCopy(SmpParentOf(pid));
    if (session != 0 && load<u32>(session, 16) == 0) flags = CLIENT_SUBSYSTEM | CLIENT_TRUSTED;
    else session = 0;
  }
  const accept = context != 0;
  if (accept) { store<u32>(context, 1); store<u32>(context, pid, 4); store<u32>(context, flags, 8); store<u32>(context, type, 12); store<u32>(context, 0, 16); store<u32>(context, 0, 20); }
  store<u32>(portOut, 0);
  let status = NtAcceptConnectPort(portOut, context, request, accept, 0, 0);
  if (accept && status == STATUS_SUCCESS) { store<u32>(context, load<u32>(portOut), 16); status = NtCompleteConnectPort(load<u32>(portOut)); }
  else if (accept) store<u32>(context, 0);
  put("SM API: connection from process "); putDec(pid);
  if (hasInfo) { put(" with connection information (subsystem type "); putDec(type); put(")"); } else put(" without connection information");
  if (!accept) put(" refused: no free client context");
  else if (status != STATUS_SUCCESS) { put(" failed "); putHex(status); }
  else if ((flags & CLIENT_SESSION) != 0) put(" accepted (the smss of a session)");
  else put((flags & CLIENT_SUBSYSTEM) != 0 ? " accepted as a subsystem" : (pid == SmpUniqueProcessId ? " accepted (smss itself)" : " accepted, not a subsystem"));
  flush();
  if (session != 0 && accept && status == STATUS_SUCCESS) SmpConnectBack(session, 0, context, pid, infoLength);
  const deferred = hasInfo && (flags & CLIENT_SUBSYSTEM) != 0 ? SmpDeferredOf(pid) : 0;
  if (deferred != 0 && load<u32>(deferred, 8) == 0 && accept && status == STATUS_SUCCESS) SmpConnectBack(0, deferred, context, pid, infoLength);
}

/** SessionComplete from a session's copy of smss: the session it made (its id) and how it went. */
function SmpSessionComplete(context: usize): u32 {
  const session = SmpSessionOfCopy(load<u32>(context, 4));
  if (session == 0) return STATUS_INVALID_PARAMETER;
  store<u32>(session, load<u32>(request + SM_API_MSG_U + SM_SESSION_COMPLETE_SESSION_ID), 4);
  store<u32>(session, load<u32>(request + SM_API_MSG_U + SM_SESSION_COMPLETE_STATUS), 28);
  store<u32>(session, 1, 24);
  return STATUS_SUCCESS;
}

/** SmExecPgm: the caller made a process; smss takes its handles and lets it run. */
function SmpExecPgm(context: usize): u32 {
  const pid = load<u32>(context, 4);
  InitializeObjectAttributes(noAttributes, 0, 0, 0, 0);
  const cid = handleOut; // CLIENT_ID { pid, 0 }
  store<u32>(cid, pid); store<u32>(cid, 0, 4);
  let status = NtOpenProcess(portOut, PROCESS_DUP_HANDLE, noAttributes, cid);
  if (status != STATUS_SUCCESS) return status;
  const client = load<u32>(portOut);
  const pi = request + SM_API_MSG_U + SM_EXEC_PGM_PROCESS_INFORMATION;
  memory.copy(info, pi, 0x44);
  status = NtDuplicateObject(client, load<u32>(pi + RTL_USER_PROCESS_INFORMATION_PROCESS), NtCurrentProcess, info + RTL_USER_PROCESS_INFORMATION_PROCESS, PROCESS_ALL_ACCESS, 0, 0);
  if (status == STATUS_SUCCESS) {
    status = NtDuplicateObject(client, load<u32>(pi + RTL_USER_PROCESS_INFORMATION_THREAD), NtCurrentProcess, info + RTL_USER_PROCESS_INFORMATION_THREAD, THREAD_ALL_ACCESS, 0, 0);
    if (status != STATUS_SUCCESS) NtClose(load<u32>(info + RTL_USER_PROCESS_INFORMATION_PROCESS));
  }
  NtClose(client);
  if (status != STATUS_SUCCESS) return status;
  // No subsystem runs yet (part 2): a native program is simply let go; anything else has nobody to serve it.
  if (load<u32>(info + RTL_USER_PROCESS_INFORMATION_SUBSYSTEM) == IMAGE_SUBSYSTEM_NATIVE) status = NtResumeThread(load<u32>(info + RTL_USER_PROCESS_INFORMATION_THREAD), 0);
  else status = STATUS_INVALID_IMAGE_FORMAT;
  NtClose(load<u32>(info + RTL_USER_PROCESS_INFORMATION_THREAD));
  NtClose(load<u32>(info + RTL_USER_PROCESS_INFORMATION_PROCESS));
  return status;
}

/** One request: the status that goes back as ReturnValue. */
function SmpDispatch(context: usize): u32 {
  const pid = load<u32>(context, 4), flags = load<u32>(context, 8);
  // What the kernel did not copy reads as zeros (a short request carries nothing of an earlier one's).
  const dataLength = <u32>load<u16>(request + PORT_MESSAGE_DATA_LENGTH);
  if (dataLength + 24 < SIZEOF_SM_API_MSG) memory.fill(request + 24 + dataLength, 0, SIZEOF_SM_API_MSG - 24 - dataLength);
  const api = load<u32>(request + SM_API_MSG_API_NUMBER);
  let status: u32;
  let why = "";
  if (<u32>load<u16>(request + PORT_MESSAGE_DATA_LENGTH) < SM_API_MSG_MINIMUM_DATA) { status = STATUS_INVALID_PARAMETER; why = "too short for an ApiNumber"; }
  else if (api >= SmpMaxApiNumber) { status = STATUS_NOT_IMPLEMENTED; why = "no such API"; }
  else if (api == SmpSessionCompleteApi && (flags & CLIENT_SESSION) != 0) status = SmpSessionComplete(context);
  else if (api <= SmpTerminateForeignSessionApi && (flags & CLIENT_SUBSYSTEM) == 0) { status = STATUS_INVALID_PARAMETER; why = "not a subsystem"; }
  else if (api == SmpExecPgmApi) {
    if ((flags & CLIENT_TRUSTED) == 0) { status = STATUS_ACCESS_DENIED; why = "ExecPgm from an untrusted caller"; }
    else status = SmpExecPgm(context);
  } else if (api == SmpCreateForeignSessionApi) {
    status = SmpCreateForeignSession(context);
    if (status == STATUS_SUCCESS) { put("SM API: process "); putDec(pid); put(" created foreign session "); putDec(load<u32>(request + SM_API_MSG_U + SM_CREATE_FOREIGN_SESSION_ID)); flush(); }
  } else if (api == SmpTerminateForeignSessionApi) {
    status = SmpTerminateForeignSession();
  } else if (api == SmpLoadDeferedSubsystemApi || api == SmpStartCsrApi || api == SmpStopCsrApi) {
    // Checked here (no allocation), done by the main thread.
    const length = load<u32>(request + SM_API_MSG_U + (api == SmpStartCsrApi ? SM_START_CSR_LENGTH : SM_LOAD_DEFERED_LENGTH));
    if (api == SmpLoadDeferedSubsystemApi && ((length & 1) != 0 || length == 0 || length > SM_LOAD_DEFERED_BUFFER_CHARS * 2)) { status = STATUS_INVALID_PARAMETER; why = "a subsystem name of a bad length"; }
    else if (api == SmpStartCsrApi && ((length & 1) != 0 || length > SM_START_CSR_BUFFER_CHARS * 2)) { status = STATUS_INVALID_PARAMETER; why = "a command line of a bad length"; }
    else if (<u32>load<u16>(request + PORT_MESSAGE_DATA_LENGTH) < 8 + (api == SmpStartCsrApi ? SIZEOF_SM_START_CSR_MSG - 8 : 4)) { status = STATUS_INVALID_PARAMETER; why = "too short"; }
    else if (load<u32>(context, 16) == 0) { status = STATUS_INVALID_PARAMETER; why = "no port to answer on"; }
    else if (pid != 0 && pid == SmpMainThreadWaitsFor) { status = STATUS_INVALID_DEVICE_STATE; why = "the main thread is waiting for this process to end"; }
    else {
      status = SmpDefer(context);
      if (status == SMP_DEFERRED) return status;
      why = "the main thread's queue is full";
    }
  } else { status = STATUS_NOT_IMPLEMENTED; why = "not served by this smss"; }
  put("SM API: process "); putDec(pid); put(" ApiNumber "); putDec(api);
  if (api == SmpSessionCompleteApi && why.length == 0) {
    put(" (SessionComplete: session "); putDec(load<u32>(request + SM_API_MSG_U + SM_SESSION_COMPLETE_SESSION_ID));
    put(", status "); putHex(load<u32>(request + SM_API_MSG_U + SM_SESSION_COMPLETE_STATUS)); put(")");
  }
  if (why.length != 0) { put(" refused, "); put(why); put(": "); } else put(": ");
  putHex(status);
  flush();
  return status;
}

/** The API thread: receive, answer, receive. */
function SmpApiLoop(parameter: usize): void {
  let reply: usize = 0;
  while (true) {
    const status = NtReplyWaitReceivePort(SmpApiPort, contextOut, reply, request);
    reply = 0;
    if (status != STATUS_SUCCESS) { put("SM API: NtReplyWaitReceivePort failed - Status == "); putHex(status); flush(); continue; }
    const type = <u32>load<u16>(request + PORT_MESSAGE_TYPE) & 0xFF;
    const context = load<usize>(contextOut);
    if (type == LPC_CONNECTION_REQUEST) { SmpHandleConnectionRequest(); continue; }
    if (type == LPC_PORT_CLOSED || type == LPC_CLIENT_DIED) { if (context != 0) store<u32>(context, 0); continue; }
    if ((type != LPC_REQUEST && type != LPC_DATAGRAM) || context == 0) continue;
    if (type == LPC_DATAGRAM && load<u32>(request + SM_API_MSG_API_NUMBER) >= SmpLoadDeferedSubsystemApi && load<u32>(request + SM_API_MSG_API_NUMBER) < SmpMaxApiNumber) continue; // nobody to answer
    const answer = SmpDispatch(context);
    if (answer == SMP_DEFERRED) continue; // the main thread answers
    store<u32>(request + SM_API_MSG_RETURN_VALUE, answer);
    // The answer is a whole SM_API_MSG, whatever the request's length was.
    store<u16>(request + PORT_MESSAGE_DATA_LENGTH, <u16>(SIZEOF_SM_API_MSG - 24));
    store<u16>(request + 2, <u16>SIZEOF_SM_API_MSG); // TotalLength
    if (type == LPC_REQUEST) reply = request;
  }
}

/** Step 1. */
export function SmpCreateApiPort(): void {
  const opaque = SmpSlot();        // a value the optimiser cannot know
  const basic = heap.alloc(SIZEOF_PROCESS_BASIC_INFORMATION);
  NtQueryInformationProcess(NtCurrentProcess, ProcessBasicInformation, basic, SIZEOF_PROCESS_BASIC_INFORMATION, 0);
  SmpUniqueProcessId = changetype<PROCESS_BASIC_INFORMATION>(basic).UniqueProcessId;
  const handle = SmpSlot();
  let status = NtCreatePort(handle, SmpAttributes("\\SmApiPort", 0, 0), SIZEOF_SB_CONNECTION_INFO, SIZEOF_SM_API_MSG, 128 * SIZEOF_SM_API_MSG);
  let port = "\\SmApiPort not created";
  if (status != STATUS_SUCCESS) SmpLogFailure("NtCreatePort", status, "\\SmApiPort");
  else {
    SmpApiPort = load<u32>(handle);
    // Keeps SmpApiLoop in the function table (func_address reads it): an indirect call the optimiser cannot remove.
    const loop: (p: usize) => void = SmpApiLoop;
    if (load<u32>(opaque) == 0x12345678) loop(0);
    const thread = SmpSlot();
    status = RtlCreateUserThread(NtCurrentProcess, 0, false, 0, 0, 0, func_address(load<u32>(changetype<usize>(loop))), 0, thread, 0);
    if (status != STATUS_SUCCESS) SmpLogFailure("RtlCreateUserThread", status, "SmApiPort thread");
    else {
      NtClose(load<u32>(thread));
      port = "\\SmApiPort and its thread";
    }
  }
  if (NtCreateEvent(handle, EVENT_ALL_ACCESS, 0, 1 /* SynchronizationEvent */, false) == STATUS_SUCCESS) SmpApiWorkEvent = load<u32>(handle);
  status = NtCreateEvent(handle, EVENT_ALL_ACCESS, SmpAttributes("\\Device\\VolumesSafeForWriteAccess", OBJ_PERMANENT, 0), NotificationEvent, false);
  if (status != STATUS_SUCCESS) SmpLogFailure("NtCreateEvent", status, "\\Device\\VolumesSafeForWriteAccess");
  else SmpVolumesSafeEvent = load<u32>(handle);
  SmpConnectToSelf();
  SmpLog("API port", port + (SmpApiConnection != 0 ? " (smss connected to itself)" : "") + ", \\Device\\VolumesSafeForWriteAccess (not set)");
}

/** smss connects to its own port, as NT's does (its ExecPgm goes through it). */
function SmpConnectToSelf(): void {
  if (SmpApiPort == 0) return;
  const handle = SmpSlot();
  const qos = heap.alloc(12);
  InitializeSecurityQualityOfService(qos, SecurityIdentification, SECURITY_DYNAMIC_TRACKING, true); // Identification, dynamic, effective only
  const status = NtConnectPort(handle, SmpUnicode("\\SmApiPort"), qos, 0, 0, 0, 0, 0);
  if (status != STATUS_SUCCESS) SmpLogFailure("NtConnectPort", status, "\\SmApiPort");
  else SmpApiConnection = load<u32>(handle);
}

/** After step 4f: volumes are safe to write to. */
export function SmpVolumesSafe(): void {
  if (SmpVolumesSafeEvent == 0) return;
  NtSetEvent(SmpVolumesSafeEvent, 0);
  NtClose(SmpVolumesSafeEvent);
  SmpVolumesSafeEvent = 0;
}
