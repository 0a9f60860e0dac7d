// csrss's SbApiPort thread: the SB API, which smss calls on the subsystem
// (SB_API_MSG, kernel/sdk/sm.ts). smss connects back to <dir>\SbApiPort
// while csrss's own connection to \SmApiPort is pending; every connection
// is accepted (as NT's csrss does) and logged.
//   0 SbCreateSession          the session's first process (winlogon, wininit): smss
//                              duplicated its handles into csrss; csrss checks them
//                              against the ClientId, registers the process and resumes
//                              its first thread
//   1 SbTerminateSession       STATUS_NOT_IMPLEMENTED (NT's csrss does not implement it)
//   2 SbForeignSessionComplete STATUS_NOT_IMPLEMENTED (likewise)
//   3 SbCreateProcess          STATUS_NOT_IMPLEMENTED (likewise: smss starts processes itself)
//   4 and later                STATUS_NOT_IMPLEMENTED, logged as unknown
// A request too short for ApiNumber gets STATUS_INVALID_PARAMETER.

import {
  NtAcceptConnectPort, NtCompleteConnectPort, NtReplyWaitReceivePort, NtResumeThread, NtQueryInformationProcess, NtClose,
  STATUS_SUCCESS, STATUS_NOT_IMPLEMENTED, STATUS_INVALID_PARAMETER, put, putDec, putHex, flush, CSR_LINE_BYTES,
} from "./csrutil";
import { CsrSbApiPortHandle, CsrSessionId } from "./csrss";
import {
  SIZEOF_SB_API_MSG, SB_API_MSG_API_NUMBER, SB_API_MSG_RETURN_VALUE, SB_API_MSG_U, SbpCreateSession, SbpTerminateSession,
  SbpForeignSessionComplete, SbpCreateProcess, SB_CREATE_SESSION_SESSION_ID, SB_CREATE_SESSION_PROCESS_INFO,
  RTL_USER_PROCESS_INFORMATION_PROCESS, RTL_USER_PROCESS_INFORMATION_THREAD, RTL_USER_PROCESS_INFORMATION_CLIENT_ID,
} from "../../../kernel/sdk/sm";
import { LPC_CONNECTION_REQUEST, LPC_REQUEST, LPC_PORT_CLOSED } from "../../../kernel/sdk/lpc";
import { STATUS_INVALID_HANDLE, STATUS_INVALID_CID, STATUS_INSUFFICIENT_RESOURCES } from "../../../kernel/sdk/ntstatus";


const line = memory.data(CSR_LINE_BYTES, 4);
const message = memory.data(SIZEOF_SB_API_MSG, 8);
const contextOut = memory.data(4, 4);
const portOut = memory.data(4, 4);
const basic = memory.data(24, 4);
/** Sessions' first processes csrss was told of: process handle and id. */
const MAX_SESSIONS: u32 = 16;
const CsrSessions = memory.data(MAX_SESSIONS * 8, 4);
let CsrSessionCount: u32 = 0;

function session(): void { put(line, "session "); putDec(line, CsrSessionId); put(line, ": SB API: "); }

/** SbCreateSession: the process smss started for a session, its handles already csrss's. */
function CsrpSbCreateSession(): u32 {
  const u = message + SB_API_MSG_U;
  const info = u + SB_CREATE_SESSION_PROCESS_INFO;
  const process = load<u32>(info + RTL_USER_PROCESS_INFORMATION_PROCESS), thread = load<u32>(info + RTL_USER_PROCESS_INFORMATION_THREAD);
  const pid = load<u32>(info + RTL_USER_PROCESS_INFORMATION_CLIENT_ID);
  let status = NtQueryInformationProcess(process, 0, basic, 24, 0);
  if (status != STATUS_SUCCESS) status = STATUS_INVALID_HANDLE;
  else if (load<u32>(basic, 16) != pid) status = STATUS_INVALID_CID;
  else if (CsrSessionCount >= MAX_SESSIONS) status = STATUS_INSUFFICIENT_RESOURCES;
  else {
    status = NtResumeThread(thread, 0);
    if (status == STATUS_SUCCESS) {
      store<u32>(CsrSessions + CsrSessionCount * 8, process);
      store<u32>(CsrSessions + CsrSessionCount * 8, pid, 4);
      CsrSessionCount++;
      NtClose(thread);
    }
  }
  session(); put(line, "CreateSession "); putDec(line, load<u32>(u + SB_CREATE_SESSION_SESSION_ID)); put(line, ": process "); putDec(line, pid);
  put(line, status == STATUS_SUCCESS ? " registered and resumed" : " refused "); if (status != STATUS_SUCCESS) putHex(line, status);
  flush(line);
  return status;
}

function CsrpSbDispatch(): u32 {
  if (<u32>load<u16>(message) < SB_API_MSG_U - 24) return STATUS_INVALID_PARAMETER;
  const api = load<u32>(message + SB_API_MSG_API_NUMBER);
  if (api == SbpCreateSession) return CsrpSbCreateSession();
  session();
  if (api == SbpTerminateSession) put(line, "TerminateSession");
  else if (api == SbpForeignSessionComplete) put(line, "ForeignSessionComplete");
  else if (api == SbpCreateProcess) put(line, "CreateProcess");
  else { put(line, "unknown ApiNumber "); putDec(line, api); }
  put(line, ": "); putHex(line, STATUS_NOT_IMPLEMENTED); flush(line);
  return STATUS_NOT_IMPLEMENTED;
}

/** The SbApiPort thread. */
export function CsrSbApiLoop(parameter: usize): void {
  let reply: usize = 0;
  while (true) {
    const status = NtReplyWaitReceivePort(CsrSbApiPortHandle, contextOut, reply, message);
    reply = 0;
    if (status != STATUS_SUCCESS) { session(); put(line, "NtReplyWaitReceivePort failed - Status == "); putHex(line, status); flush(line); continue; }
    const type = <u32>load<u16>(message, 4) & 0xFF;
    if (type == LPC_CONNECTION_REQUEST) {
      const pid = load<u32>(message, 8);
      let accepted = NtAcceptConnectPort(portOut, 1, message, true, 0, 0);
      if (accepted == STATUS_SUCCESS) accepted = NtCompleteConnectPort(load<u32>(portOut));
      session(); put(line, "connection from process "); putDec(line, pid); put(line, accepted == STATUS_SUCCESS ? " accepted" : " failed ");
      if (accepted != STATUS_SUCCESS) putHex(line, accepted);
      flush(line);
      continue;
    }
    if (type == LPC_PORT_CLOSED) continue;
    if (type != LPC_REQUEST) continue;
    store<u32>(message + SB_API_MSG_RETURN_VALUE, CsrpSbDispatch());
    store<u16>(message, <u16>(SIZEOF_SB_API_MSG - 24));
    store<u16>(message, <u16>SIZEOF_SB_API_MSG, 2);
    reply = message;
  }
}
