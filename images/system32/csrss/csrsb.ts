// csrss's SbApiPort thread: the SB API, which smss calls on the subsystem
// (SB_API_MSG, kernel/sdk/sm.ts). smss connects back to <dir>\SbApiPort
// while csrss's own connection to \SmApiPort is pending; every connection
// is accepted (as NT's csrss does) and logged.
//   0 SbCreateSession          a session's first process (winlogon, wininit): smss
//                              duplicated its handles into csrss; csrss checks them
//                              against the ClientId, registers the process under the
//                              message's SessionId and resumes its first thread
//   1 SbTerminateSession       ends every process registered under that SessionId
//                              (exit status STATUS_SYSTEM_SHUTDOWN, as a logoff ends
//                              them) and forgets the session; an unknown id:
//                              STATUS_INVALID_PARAMETER
//   2 SbForeignSessionComplete the session is over for csrss: its processes are
//                              forgotten (left running); unknown id: STATUS_INVALID_PARAMETER
//   3 SbCreateProcess          csrss starts ImageName (with CommandLine, CurrentDirectory,
//                              DllPath: UNICODE_STRINGs the caller points at in its own
//                              memory, read from it) in csrss's own session, resumes it,
//                              and answers with the process's and thread's handles
//                              (duplicated into the caller), its subsystem type and
//                              ClientId, as SB_CREATE_PROCESS_MSG's Out says
//   4 and later                STATUS_NOT_IMPLEMENTED, logged as unknown
// A request too short for its message gets STATUS_INVALID_PARAMETER; a string the
// caller's memory does not hold, STATUS_ACCESS_VIOLATION.
//
// The thread allocates nothing of AssemblyScript's (see csrutil.ts): static buffers.

import {
  NtAcceptConnectPort, NtCompleteConnectPort, NtReplyWaitReceivePort, NtResumeThread, NtQueryInformationProcess, NtClose, NtOpenProcess,
  NtReadVirtualMemory, NtDuplicateObject, NtTerminateProcess, RtlCreateProcessParameters, RtlDestroyProcessParameters, RtlCreateUserProcess,
  NtCurrentProcess, PROCESS_DUP_HANDLE, STATUS_SUCCESS, STATUS_NOT_IMPLEMENTED, STATUS_INVALID_PARAMETER, CsrpAttributes,
  put, putDec, putHex, putWide, flush, CSR_LINE_BYTES,
} from "./csrutil";
import { CsrSbApiPortHandle, CsrSessionId } from "./csrss";
import {
  SIZEOF_SB_API_MSG, SB_API_MSG_API_NUMBER, SB_API_MSG_RETURN_VALUE, SB_API_MSG_U, SbpCreateSession, SbpTerminateSession,
  SbpForeignSessionComplete, SbpCreateProcess, SB_CREATE_SESSION_SESSION_ID, SB_CREATE_SESSION_PROCESS_INFO, SIZEOF_SB_CREATE_SESSION_MSG,
  RTL_USER_PROCESS_INFORMATION_PROCESS, RTL_USER_PROCESS_INFORMATION_THREAD, RTL_USER_PROCESS_INFORMATION_CLIENT_ID, RTL_USER_PROCESS_INFORMATION_SUBSYSTEM,
  SIZEOF_RTL_USER_PROCESS_INFORMATION, SB_TERMINATE_SESSION_SESSION_ID, SB_FOREIGN_SESSION_COMPLETE_SESSION_ID, SIZEOF_SB_CREATE_PROCESS_MSG,
  SB_CREATE_PROCESS_IN_IMAGE_NAME, SB_CREATE_PROCESS_IN_CURRENT_DIRECTORY, SB_CREATE_PROCESS_IN_COMMAND_LINE, SB_CREATE_PROCESS_IN_DLL_PATH,
  SB_CREATE_PROCESS_IN_FLAGS, SB_CREATE_PROCESS_OUT_PROCESS_HANDLE, SB_CREATE_PROCESS_OUT_THREAD_HANDLE, SB_CREATE_PROCESS_OUT_SUBSYSTEM_TYPE,
  SB_CREATE_PROCESS_OUT_CLIENT_ID, SB_PROCESS_FLAGS_DEBUG,
} from "../../../kernel/sdk/sm";
import { LPC_CONNECTION_REQUEST, LPC_REQUEST, LPC_PORT_CLOSED } from "../../../kernel/sdk/lpc";
import { STATUS_INVALID_HANDLE, STATUS_INVALID_CID, STATUS_INSUFFICIENT_RESOURCES, STATUS_ACCESS_VIOLATION, STATUS_NOT_SUPPORTED, STATUS_SYSTEM_SHUTDOWN } from "../../../kernel/sdk/ntstatus";
import { ProcessBasicInformation, PROCESS_BASIC_INFORMATION, SIZEOF_PROCESS_BASIC_INFORMATION } from "../../../kernel/sdk/procinfo";
import { InitializeCountedString } from "../../../kernel/sdk/ntdef";

const PROCESS_VM_READ: u32 = 0x0010;
const DUPLICATE_SAME_ACCESS: u32 = 2;
const OBJ_CASE_INSENSITIVE: u32 = 0x40;

const line = memory.data(CSR_LINE_BYTES, 4);
const message = memory.data(SIZEOF_SB_API_MSG, 8);
const contextOut = memory.data(4, 4);
const portOut = memory.data(4, 4);
const basic = memory.data(<i32>offsetof<PROCESS_BASIC_INFORMATION>(), 4);
const oa = memory.data(24, 4), cid = memory.data(8, 4);
/** Processes csrss was told of by SbCreateSession: +0 SessionId, +4 process handle, +8 pid; handle 0 = free. */
const MAX_PROCESSES: u32 = 32;
const ENTRY: u32 = 12;
const CsrSbProcesses = memory.data(MAX_PROCESSES * ENTRY, 4);

function session(): void { put(line, "session "); putDec(line, CsrSessionId); put(line, ": SB API: "); }

/** SbCreateSession: the process smss started for a session, its handles already csrss's. */
function CsrpSbCreateSession(): u32 {
  const u = message + SB_API_MSG_U;
  const info = u + SB_CREATE_SESSION_PROCESS_INFO;
  const process = load<u32>(info + RTL_USER_PROCESS_INFORMATION_PROCESS), thread = load<u32>(info + RTL_USER_PROCESS_INFORMATION_THREAD);
  const pid = load<u32>(info + RTL_USER_PROCESS_INFORMATION_CLIENT_ID);
  const id = load<u32>(u + SB_CREATE_SESSION_SESSION_ID);
  let entry: usize = 0;
  for (let i: u32 = 0; i < MAX_PROCESSES; i++) if (load<u32>(CsrSbProcesses + i * ENTRY, 4) == 0) { entry = CsrSbProcesses + i * ENTRY; break; }
  let status = NtQueryInformationProcess(process, ProcessBasicInformation, basic, SIZEOF_PROCESS_BASIC_INFORMATION, 0);
  if (status != STATUS_SUCCESS) status = STATUS_INVALID_HANDLE;
  else if (changetype<PROCESS_BASIC_INFORMATION>(basic).UniqueProcessId != pid) status = STATUS_INVALID_CID;
  else if (entry == 0) status = STATUS_INSUFFICIENT_RESOURCES;
  else {
    status = NtResumeThread(thread, 0);
    if (status == STATUS_SUCCESS) {
      store<u32>(entry, id); store<u32>(entry, process, 4); store<u32>(entry, pid, 8);
      NtClose(thread);
    }
  }
  session(); put(line, "CreateSession "); putDec(line, id); put(line, ": process "); putDec(line, pid);
  put(line, status == STATUS_SUCCESS ? " registered and resumed" : " refused "); if (status != STATUS_SUCCESS) putHex(line, status);
  flush(line);
  return status;
}

/** SbTerminateSession (`end`) or SbForeignSessionComplete: every process of the session ended or just forgotten. */
function CsrpSbEndSession(id: u32, end: bool): u32 {
  let found: u32 = 0, ended: u32 = 0;
  for (let i: u32 = 0; i < MAX_PROCESSES; i++) {
    const e = CsrSbProcesses + i * ENTRY;
    const process = load<u32>(e, 4);
    if (process == 0 || load<u32>(e) != id) continue;
    found++;
    if (end && NtTerminateProcess(process, STATUS_SYSTEM_SHUTDOWN) == STATUS_SUCCESS) ended++;
    NtClose(process);
    store<u32>(e, 0, 4);
  }
  session(); put(line, end ? "TerminateSession " : "ForeignSessionComplete "); putDec(line, id); put(line, ": ");
  if (found == 0) put(line, "no such session");
  else if (end) { putDec(line, ended); put(line, " of "); putDec(line, found); put(line, " processes ended"); }
  else { putDec(line, found); put(line, " processes forgotten"); }
  flush(line);
  return found != 0 ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;
}

// ---- SbCreateProcess: the caller's strings, read from its memory ----
const strings = memory.data(4 * 8, 4);          // four UNICODE_STRINGs (image, directory, command line, dll path)
const texts = memory.data(4 * 520, 2);          // their texts, 259 characters each at most, NUL-terminated
const params = memory.data(4, 4);
const processInfo = memory.data(SIZEOF_RTL_USER_PROCESS_INFORMATION, 4);
const done = memory.data(4, 4);

/** Reads the caller's UNICODE_STRING at `pointer` into string `index`; 0 = absent (allowed unless `required`). */
function CsrpReadCallerString(caller: u32, pointer: usize, index: u32, required: bool): u32 {
  const s = strings + (index << 3), text = texts + index * 520;
  store<u32>(s, 0); store<usize>(s, 0, 4);
  if (pointer == 0) return required ? STATUS_INVALID_PARAMETER : STATUS_SUCCESS;
  if (NtReadVirtualMemory(caller, pointer, s, 8, done) != STATUS_SUCCESS) return STATUS_ACCESS_VIOLATION;
  const length = <u32>load<u16>(s), buffer = load<usize>(s, 4);
  if ((length & 1) != 0 || length > 518 || (length == 0 && required)) return STATUS_INVALID_PARAMETER;
  if (length != 0 && NtReadVirtualMemory(caller, buffer, text, length, done) != STATUS_SUCCESS) return STATUS_ACCESS_VIOLATION;
  store<u16>(text + length, 0);
  InitializeCountedString(s, length != 0 ? text : 0, length, length + 2);
  return STATUS_SUCCESS;
}

function CsrpSbCreateProcess(): u32 {
  const u = message + SB_API_MSG_U;
  const requester = load<u32>(message, 8);
  const flags = load<u32>(u + SB_CREATE_PROCESS_IN_FLAGS);
  store<u32>(cid, requester); store<u32>(cid, 0, 4);
  CsrpAttributes(oa, 0, 0);
  let status = NtOpenProcess(portOut, PROCESS_VM_READ | PROCESS_DUP_HANDLE, oa, cid);
  if (status != STATUS_SUCCESS) return status;
  const caller = load<u32>(portOut);
  status = CsrpReadCallerString(caller, load<usize>(u + SB_CREATE_PROCESS_IN_IMAGE_NAME), 0, true);
  if (status == STATUS_SUCCESS) status = CsrpReadCallerString(caller, load<usize>(u + SB_CREATE_PROCESS_IN_CURRENT_DIRECTORY), 1, false);
  if (status == STATUS_SUCCESS) status = CsrpReadCallerString(caller, load<usize>(u + SB_CREATE_PROCESS_IN_COMMAND_LINE), 2, false);
  if (status == STATUS_SUCCESS) status = CsrpReadCallerString(caller, load<usize>(u + SB_CREATE_PROCESS_IN_DLL_PATH), 3, false);
  if (status == STATUS_SUCCESS && (flags & SB_PROCESS_FLAGS_DEBUG) != 0) status = STATUS_NOT_SUPPORTED; // no debug subsystem to hand it to
  const image = strings, directory = strings + 8, commandLine = strings + 16, dllPath = strings + 24;
  if (status == STATUS_SUCCESS) {
    status = RtlCreateProcessParameters(params, image, load<usize>(dllPath, 4) != 0 ? dllPath : 0, load<usize>(directory, 4) != 0 ? directory : 0,
      load<usize>(commandLine, 4) != 0 ? commandLine : image, 0, 0, 0, 0, 0);
  }
  if (status == STATUS_SUCCESS) {
    memory.fill(processInfo, 0, SIZEOF_RTL_USER_PROCESS_INFORMATION);
    store<u32>(processInfo, SIZEOF_RTL_USER_PROCESS_INFORMATION);
    status = RtlCreateUserProcess(image, OBJ_CASE_INSENSITIVE, load<usize>(params), 0, 0, 0, false, 0, 0, processInfo);
    RtlDestroyProcessParameters(load<usize>(params));
  }
  const out = u;
  memory.fill(out, 0, SIZEOF_SB_CREATE_PROCESS_MSG);
  if (status == STATUS_SUCCESS) {
    const process = load<u32>(processInfo + RTL_USER_PROCESS_INFORMATION_PROCESS), thread = load<u32>(processInfo + RTL_USER_PROCESS_INFORMATION_THREAD);
    // The caller gets its own handles; csrss keeps none.
    status = NtDuplicateObject(NtCurrentProcess, process, caller, out + SB_CREATE_PROCESS_OUT_PROCESS_HANDLE, 0, 0, DUPLICATE_SAME_ACCESS);
    if (status == STATUS_SUCCESS) status = NtDuplicateObject(NtCurrentProcess, thread, caller, out + SB_CREATE_PROCESS_OUT_THREAD_HANDLE, 0, 0, DUPLICATE_SAME_ACCESS);
    if (status == STATUS_SUCCESS) status = NtResumeThread(thread, 0);
    if (status != STATUS_SUCCESS) NtTerminateProcess(process, status);
    else {
      store<u32>(out + SB_CREATE_PROCESS_OUT_SUBSYSTEM_TYPE, load<u32>(processInfo + RTL_USER_PROCESS_INFORMATION_SUBSYSTEM));
      store<u32>(out + SB_CREATE_PROCESS_OUT_CLIENT_ID, load<u32>(processInfo + RTL_USER_PROCESS_INFORMATION_CLIENT_ID));
      store<u32>(out + SB_CREATE_PROCESS_OUT_CLIENT_ID + 4, load<u32>(processInfo + RTL_USER_PROCESS_INFORMATION_CLIENT_ID + 4));
    }
    NtClose(thread);
    NtClose(process);
    if (status != STATUS_SUCCESS) memory.fill(out, 0, SIZEOF_SB_CREATE_PROCESS_MSG); // what went into the caller's table stays its to close
  }
  NtClose(caller);
  session(); put(line, "CreateProcess for process "); putDec(line, requester); put(line, ": ");
  if (load<usize>(image, 4) != 0) putWide(line, load<usize>(image, 4), <u32>load<u16>(image) >> 1); else put(line, "(no image name)");
  if (status == STATUS_SUCCESS) { put(line, " started as process "); putDec(line, load<u32>(out + SB_CREATE_PROCESS_OUT_CLIENT_ID)); put(line, " in session "); putDec(line, CsrSessionId); }
  else { put(line, " refused "); putHex(line, status); }
  flush(line);
  return status;
}

function CsrpSbDispatch(): u32 {
  const length = <u32>load<u16>(message);
  if (length < SB_API_MSG_U - 24) return STATUS_INVALID_PARAMETER;
  const api = load<u32>(message + SB_API_MSG_API_NUMBER);
  // What the kernel did not copy is cleared: a short request reads zeros.
  if (length + 24 < SIZEOF_SB_API_MSG) memory.fill(message + 24 + length, 0, SIZEOF_SB_API_MSG - 24 - length);
  const data = length + 24 - SB_API_MSG_U; // bytes of the union the request carries
  if (api == SbpCreateSession) return data >= SIZEOF_SB_CREATE_SESSION_MSG ? CsrpSbCreateSession() : STATUS_INVALID_PARAMETER;
  if (api == SbpTerminateSession) return data >= 4 ? CsrpSbEndSession(load<u32>(message + SB_API_MSG_U + SB_TERMINATE_SESSION_SESSION_ID), true) : STATUS_INVALID_PARAMETER;
  if (api == SbpForeignSessionComplete) return data >= 4 ? CsrpSbEndSession(load<u32>(message + SB_API_MSG_U + SB_FOREIGN_SESSION_COMPLETE_SESSION_ID), false) : STATUS_INVALID_PARAMETER;
  if (api == SbpCreateProcess) return data >= SIZEOF_SB_CREATE_PROCESS_MSG ? CsrpSbCreateProcess() : STATUS_INVALID_PARAMETER;
  session(); put(line, "unknown ApiNumber "); putDec(line, api); put(line, ": "); putHex(line, STATUS_NOT_IMPLEMENTED); flush(line);
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
