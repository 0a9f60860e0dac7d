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

import {
  NtClose, NtCreateEvent, NtSetEvent, PROCESS_QUERY_INFORMATION, STATUS_OBJECT_NAME_NOT_FOUND, NtCreatePort, NtConnectPort, NtReplyWaitReceivePort, NtAcceptConnectPort, NtCompleteConnectPort,
  NtOpenProcess, NtDuplicateObject, NtResumeThread, NtQueryInformationProcess, NtDisplayString, RtlCreateUserThread, func_address,
  NtCurrentProcess, EVENT_ALL_ACCESS, OBJ_PERMANENT, PROCESS_DUP_HANDLE, PROCESS_ALL_ACCESS, THREAD_ALL_ACCESS,
  STATUS_SUCCESS, STATUS_NOT_IMPLEMENTED, STATUS_INVALID_PARAMETER, STATUS_ACCESS_DENIED, STATUS_INVALID_IMAGE_FORMAT,
} from "./ntapi";
import {
  SIZEOF_SM_API_MSG, SM_API_MSG_API_NUMBER, SM_API_MSG_RETURN_VALUE, SM_API_MSG_U, SM_API_MSG_MINIMUM_DATA, SmpMaxApiNumber,
  SmpTerminateForeignSessionApi, SmpExecPgmApi, SmpSessionCompleteApi, SIZEOF_SB_CONNECTION_INFO, SB_CONNECTION_INFO_SUBSYSTEM_TYPE,
  SB_CONNECTION_INFO_PORT_NAME, SB_CONNECTION_INFO_PORT_NAME_CHARS, SM_SESSION_COMPLETE_SESSION_ID, SM_SESSION_COMPLETE_STATUS,
  RTL_USER_PROCESS_INFORMATION_PROCESS, RTL_USER_PROCESS_INFORMATION_THREAD, RTL_USER_PROCESS_INFORMATION_SUBSYSTEM,
  SM_EXEC_PGM_PROCESS_INFORMATION,
} from "../kernel/sdk/sm";
import {
  LPC_CONNECTION_REQUEST, LPC_PORT_CLOSED, LPC_CLIENT_DIED, LPC_REQUEST, LPC_DATAGRAM, PORT_MESSAGE_DATA_LENGTH, PORT_MESSAGE_TYPE,
  PORT_MESSAGE_CLIENT_ID,
} from "../kernel/sdk/lpc";
import { SmpAttributes, SmpLog, SmpLogFailure, SmpSlot, SmpUnicode } from "./smutil";

const NotificationEvent: u32 = 0;
const IMAGE_SUBSYSTEM_NATIVE: u32 = 1;
let SmpVolumesSafeEvent: u32 = 0;
let SmpApiPort: u32 = 0;
/** smss's own connection to \SmApiPort. */
export let SmpApiConnection: u32 = 0;
let SmpUniqueProcessId: u32 = 0;

// ---- client contexts: a fixed table, the PortContext of each connection is its entry's address ----
const MAX_CLIENTS: u32 = 64;
const CONTEXT_SIZE: u32 = 16; // InUse, ProcessId, Flags, SubsystemType
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
  store<u16>(apiString, <u16>(apiLength << 1)); store<u16>(apiString, <u16>(apiLength << 1), 2); store<usize>(apiString, apiLine, 4);
  NtDisplayString(apiString);
  apiLength = 0;
}

// ---- the API thread's buffers ----
const request = memory.data(SIZEOF_SM_API_MSG, 4);
const contextOut = memory.data(4, 4), portOut = memory.data(4, 4), handleOut = memory.data(8, 4);
const noAttributes = memory.data(24, 4), info = memory.data(0x44, 4);
const parentCid = memory.data(8, 4), parentHandle = memory.data(4, 4), parentInfo = memory.data(24, 4);
const sbName = memory.data(8, 4), sbBuffer = memory.data(SB_CONNECTION_INFO_PORT_NAME_CHARS * 2, 2), sbHandle = memory.data(4, 4), sbQos = memory.data(12, 4);

/** The id of the process `pid` was created from, or 0. */
function SmpParentOf(pid: u32): u32 {
  memory.fill(noAttributes, 0, 24); store<u32>(noAttributes, 24);
  store<u32>(parentCid, pid); store<u32>(parentCid, 0, 4);
  if (NtOpenProcess(parentHandle, PROCESS_QUERY_INFORMATION, noAttributes, parentCid) != STATUS_SUCCESS) return 0;
  const h = load<u32>(parentHandle);
  const status = NtQueryInformationProcess(h, 0, parentInfo, 24, 0);
  NtClose(h);
  return status == STATUS_SUCCESS ? load<u32>(parentInfo, 20) : 0;
}

/** smss connects back to a session's subsystem's SbApiPort (named in its SB_CONNECTION_INFO), then lets the session's copy go on. */
function SmpConnectBack(session: usize, pid: u32, infoLength: u32): void {
  let chars: u32 = 0;
  const name = request + 0x18 + SB_CONNECTION_INFO_PORT_NAME;
  const most = infoLength > SB_CONNECTION_INFO_PORT_NAME ? (infoLength - SB_CONNECTION_INFO_PORT_NAME) >> 1 : 0;
  while (chars < most && chars < SB_CONNECTION_INFO_PORT_NAME_CHARS && load<u16>(name + (chars << 1)) != 0) {
    store<u16>(sbBuffer + (chars << 1), load<u16>(name + (chars << 1))); chars++;
  }
  store<u16>(sbName, <u16>(chars << 1)); store<u16>(sbName, <u16>(chars << 1), 2); store<usize>(sbName, sbBuffer, 4);
  store<u32>(sbQos, 12); store<u32>(sbQos, 1, 4); store<u16>(sbQos, 0x0101, 8); store<u16>(sbQos, 0, 10);
  store<u32>(sbHandle, 0);
  const status = chars != 0 ? NtConnectPort(sbHandle, sbName, sbQos, 0, 0, 0, 0, 0) : STATUS_OBJECT_NAME_NOT_FOUND;
  store<u32>(session, pid, 16);
  store<u32>(session, status == STATUS_SUCCESS ? load<u32>(sbHandle) : 0, 20);
  put("SM API: session "); putDec(load<u32>(session, 4)); put(": the Windows subsystem (process "); putDec(pid); put(") connected");
  if (status == STATUS_SUCCESS) { put("; smss connected back to "); putWide(sbBuffer, chars); }
  else { put("; connecting back to "); putWide(sbBuffer, chars); put(" failed - Status == "); putHex(status); }
  flush();
  NtSetEvent(load<u32>(session, 12), 0);
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
  if (accept) { store<u32>(context, 1); store<u32>(context, pid, 4); store<u32>(context, flags, 8); store<u32>(context, type, 12); }
  store<u32>(portOut, 0);
  let status = NtAcceptConnectPort(portOut, context, request, accept, 0, 0);
  if (accept && status == STATUS_SUCCESS) status = NtCompleteConnectPort(load<u32>(portOut));
  else if (accept) store<u32>(context, 0);
  put("SM API: connection from process "); putDec(pid);
  if (hasInfo) { put(" with connection information (subsystem type "); putDec(type); put(")"); } else put(" without connection information");
  if (!accept) put(" refused: no free client context");
  else if (status != STATUS_SUCCESS) { put(" failed "); putHex(status); }
  else if ((flags & CLIENT_SESSION) != 0) put(" accepted (the smss of a session)");
  else put((flags & CLIENT_SUBSYSTEM) != 0 ? " accepted as a subsystem" : (pid == SmpUniqueProcessId ? " accepted (smss itself)" : " accepted, not a subsystem"));
  flush();
  if (session != 0 && accept && status == STATUS_SUCCESS) SmpConnectBack(session, pid, infoLength);
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
  store<u32>(noAttributes, 24); store<u32>(noAttributes, 0, 4); store<u32>(noAttributes, 0, 8); store<u32>(noAttributes, 0, 12);
  store<u32>(noAttributes, 0, 16); store<u32>(noAttributes, 0, 20);
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
    store<u32>(request + SM_API_MSG_RETURN_VALUE, SmpDispatch(context));
    // The answer is a whole SM_API_MSG, whatever the request's length was.
    store<u16>(request + PORT_MESSAGE_DATA_LENGTH, <u16>(SIZEOF_SM_API_MSG - 24));
    store<u16>(request + 2, <u16>SIZEOF_SM_API_MSG); // TotalLength
    if (type == LPC_REQUEST) reply = request;
  }
}

/** Step 1. */
export function SmpCreateApiPort(): void {
  const pbi = SmpSlot();
  const basic = heap.alloc(24);
  NtQueryInformationProcess(NtCurrentProcess, 0, basic, 24, 0);
  SmpUniqueProcessId = load<u32>(basic, 16);
  const handle = SmpSlot();
  let status = NtCreatePort(handle, SmpAttributes("\\SmApiPort", 0, 0), SIZEOF_SB_CONNECTION_INFO, SIZEOF_SM_API_MSG, 128 * SIZEOF_SM_API_MSG);
  let port = "\\SmApiPort not created";
  if (status != STATUS_SUCCESS) SmpLogFailure("NtCreatePort", status, "\\SmApiPort");
  else {
    SmpApiPort = load<u32>(handle);
    // Keeps SmpApiLoop in the function table (func_address reads it): an indirect call the optimiser cannot remove.
    const loop: (p: usize) => void = SmpApiLoop;
    if (load<u32>(pbi) == 0x12345678) loop(0);
    const thread = SmpSlot();
    status = RtlCreateUserThread(NtCurrentProcess, 0, false, 0, 0, 0, func_address(load<u32>(changetype<usize>(loop))), 0, thread, 0);
    if (status != STATUS_SUCCESS) SmpLogFailure("RtlCreateUserThread", status, "SmApiPort thread");
    else {
      NtClose(load<u32>(thread));
      port = "\\SmApiPort and its thread";
    }
  }
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
  store<u32>(qos, 12); store<u32>(qos, 1, 4); store<u16>(qos, 0x0101, 8); store<u16>(qos, 0, 10); // Identification, dynamic, effective only
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
