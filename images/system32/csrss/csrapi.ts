// csrss's ApiPort thread: client processes, their API requests, and the
// kernel's hard errors.
//
// A client (ntdll's CsrClientConnectToServer) connects with a
// CSR_API_CONNECTINFO and a port view; csrss accepts with a REMOTE_PORT_VIEW
// (where the client's view lies in csrss), registers the process in a fixed
// table (the PortContext of its messages is its entry), and answers with its
// process id and the number of server DLLs. A request (CSR_API_MESSAGE,
// kernel/sdk/csr.ts) names ServerId and API; its capture buffer, if any,
// must lie in that client's view, and every pointer it lists must point into
// the buffer (else STATUS_INVALID_PARAMETER, as NT's CsrCaptureArguments).
// Answered here:
//   CSRSRV (0)   CsrpClientConnect: a server DLL's connection step
//   BASESRV (1)  BasepCreateProcess (the caller's new process: csrss takes a handle
//                of its own, checks it names the ClientId, and knows the process
//                from then on: a log-off ends it), BasepGetTempFile (a unique number), BasepSet/GetProcessShutdownParam
//                (kept per process), BasepDefineDosDevice (\??\ links)
//   CONSRV (2), USERSRV (3): a subset, winsrv.ts (console writes, title; log-off, shutdown)
// Any other API of a server DLL named on the command line answers
// STATUS_NOT_IMPLEMENTED; a server not loaded or an API past its last,
// STATUS_ILLEGAL_FUNCTION (NT's words).
//
// A hard error (LPC_ERROR_EVENT on the connection port, HARDERROR_MSG from
// the kernel): its string parameters are read from the raising process,
// the message is written as Windows shows it, on the session's screen
// (win32k's NtUserConsoleWrite, once win32k is loaded in the session) and
// on COM1:
//   csrss: hard error 0xC0000135 from process 12 (options 1): {Unable To Locate Component} This application has failed ...: ResponseOk
// and it is answered with the default button's response (nobody here to
// press another).
//
// The thread allocates nothing: every buffer below is static.

import { OBJECT_ATTRIBUTES, UNICODE_STRING } from "../../../kernel/sdk/ntdef";
import {
  NtAcceptConnectPort, NtCompleteConnectPort, NtReplyWaitReceivePort, NtClose, NtOpenProcess, NtReadVirtualMemory, NtCreateSymbolicLinkObject,
  NtDuplicateObject, NtQueryInformationProcess, NtCurrentProcess, PROCESS_DUP_HANDLE, PROCESS_QUERY_INFORMATION, SYNCHRONIZE,
  NtOpenSymbolicLinkObject, NtMakeTemporaryObject, STATUS_SUCCESS, STATUS_NOT_IMPLEMENTED, STATUS_INVALID_PARAMETER,
  OBJ_CASE_INSENSITIVE, OBJ_PERMANENT, SYMBOLIC_LINK_ALL_ACCESS, CsrpAttributes, CsrpCounted, put, putChar, putDec, putHex, putWide, flush, CSR_LINE_BYTES,
} from "./csrutil";
import { CsrApiPortHandle, CsrProcessId, CsrServerDllIndexes, CsrServerDllNames, CsrSessionId, CsrSharedSection, CsrSharedSectionBase, CsrSharedSectionSize } from "./csrss";
import {
  SIZEOF_CSR_API_CONNECTINFO, SIZEOF_CSR_API_MESSAGE, CSR_API_MESSAGE_CAPTURE_DATA, CSR_API_MESSAGE_API_NUMBER, CSR_API_MESSAGE_STATUS, CSR_API_MESSAGE_DATA,
  CSR_CONNECTINFO_SERVER_PROCESS_ID, CSR_CONNECTINFO_NUMBER_OF_SERVER_DLL_NAMES, CSR_CONNECTINFO_SHARED_SECTION_BASE, CSR_CONNECTINFO_SHARED_STATIC_SERVER_DATA,
  CSR_SHARED_STATIC_SERVER_DATA, CSR_SHARED_CONNECTIONS, CSR_CAPTURE_BUFFER_SIZE, CSR_CAPTURE_BUFFER_POINTER_COUNT,
  CSR_CAPTURE_BUFFER_POINTER_OFFSETS, CSR_CLIENT_CONNECT_SERVER_ID, CSR_CLIENT_CONNECT_INFO, CSR_CLIENT_CONNECT_INFO_SIZE, CSR_SERVER_DLL_MAX,
  CSRSRV_SERVERDLL_INDEX, BASESRV_SERVERDLL_INDEX, CsrpClientConnect, CsrpMaxApiNumber, BasepGetTempFile, BasepCreateProcess,
  BASE_CREATE_PROCESS_PROCESS_HANDLE, BASE_CREATE_PROCESS_CLIENT_ID, BasepSetProcessShutdownParam,
  BasepGetProcessShutdownParam, BasepDefineDosDevice, BasepMaxApiNumber, BASE_DEFINE_DOS_DEVICE_FLAGS, BASE_DEFINE_DOS_DEVICE_NAME,
  BASE_DEFINE_DOS_DEVICE_TARGET, DDD_RAW_TARGET_PATH, DDD_REMOVE_DEFINITION, SIZEOF_HARDERROR_MSG, HARDERROR_MSG_STATUS, HARDERROR_MSG_ERROR_STATUS,
  HARDERROR_MSG_VALID_RESPONSE_OPTIONS, HARDERROR_MSG_RESPONSE, HARDERROR_MSG_NUMBER_OF_PARAMETERS, HARDERROR_MSG_UNICODE_STRING_PARAMETER_MASK,
  HARDERROR_MSG_PARAMETERS,
} from "../../../kernel/sdk/csr";
import { HardErrorMessageTemplate, HardErrorDefaultResponse } from "../../../kernel/sdk/hardmsg";
import { STATUS_ILLEGAL_FUNCTION, STATUS_TOO_MANY_NAMES, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_CID } from "../../../kernel/sdk/ntstatus";
const PROCESS_TERMINATE: u32 = 0x0001;
import { NtUserConsoleWrite } from "../../../kernel/sdk/ntuser";
import { CsrConsoleApi, CsrUserApi } from "./winsrv";
import { CONSRV_SERVERDLL_INDEX, USERSRV_SERVERDLL_INDEX, CONSRV_FIRST_API_NUMBER, ConsolepMaxApiNumber, USERSRV_FIRST_API_NUMBER, UserpMaxApiNumber } from "../../../kernel/sdk/csr";

const CRLF = "\r\n";
import {
  LPC_CONNECTION_REQUEST, LPC_REQUEST, LPC_PORT_CLOSED, LPC_CLIENT_DIED, LPC_ERROR_EVENT, PORT_MAXIMUM_MESSAGE_LENGTH,
  InitializePortView, InitializeRemotePortView, PORT_VIEW, REMOTE_PORT_VIEW, SIZEOF_PORT_VIEW, SIZEOF_REMOTE_PORT_VIEW,
} from "../../../kernel/sdk/lpc";
import { ProcessBasicInformation, PROCESS_BASIC_INFORMATION, SIZEOF_PROCESS_BASIC_INFORMATION } from "../../../kernel/sdk/procinfo";

const PROCESS_VM_READ: u32 = 0x0010;

// ---- client processes: a fixed table; a connection's PortContext is its entry ----
const MAX_CLIENTS: u32 = 64;
const C_IN_USE = 0, C_PID = 4, C_PORT = 8, C_VIEW = 12, C_VIEW_SIZE = 16, C_SHUTDOWN_LEVEL = 20, C_SHUTDOWN_FLAGS = 24, C_SERVERS = 28;
const CLIENT_BYTES: u32 = 32;
const CsrClients = memory.data(MAX_CLIENTS * CLIENT_BYTES, 4);
let CsrTempFileId: u32 = 0;
/** Server DLLs by index: bit n set when ServerDll=...,n was on the command line (CSRSRV, 0, always). */
let CsrLoadedServers: u32 = 1;

// ---- the thread's buffers ----
const line = memory.data(CSR_LINE_BYTES, 4);
const message = memory.data(0x148, 8);
const contextOut = memory.data(4, 4);
const portOut = memory.data(4, 4);
const remoteView = memory.data(<i32>SIZEOF_REMOTE_PORT_VIEW, 4);
const sharedView = memory.data(<i32>SIZEOF_PORT_VIEW, 4);
const oa = memory.data(24, 4);
const cid = memory.data(8, 4);
const linkName = memory.data(8, 4), linkTarget = memory.data(8, 4);
const nameText = memory.data(2 * 140, 2), targetText = memory.data(2 * 260, 2);
const stringOut = memory.data(8, 4);
const stringText = memory.data(2 * 256, 2);
const done = memory.data(4, 4);

/** Called by the first thread before this one starts. */
export function CsrApiInitialize(): void {
  for (let i = 0; i < CsrServerDllIndexes.length; i++) CsrLoadedServers |= 1 << CsrServerDllIndexes[i];
}

function session(): void { put(line, "session "); putDec(line, CsrSessionId); put(line, ": "); }

/** LPC_CONNECTION_REQUEST: a client process with its CSR_API_CONNECTINFO and its view. */
function CsrpHandleConnectionRequest(): void {
  const pid = load<u32>(message, 8);
  const infoLength = <u32>load<u16>(message);
  let entry: usize = 0;
  for (let i: u32 = 0; i < MAX_CLIENTS; i++) {
    const c = CsrClients + i * CLIENT_BYTES;
    if (load<u32>(c, C_IN_USE) == 0) { entry = c; break; }
  }
  const accept = entry != 0 && infoLength >= SIZEOF_CSR_API_CONNECTINFO;
  if (accept) {
    memory.fill(entry, 0, CLIENT_BYTES);
    store<u32>(entry, 1, C_IN_USE);
    store<u32>(entry, pid, C_PID);
    // The answer: csrss's process id, its server DLLs, where csrss has the shared section (mapped into the client as the ServerView).
    memory.fill(message + 24, 0, SIZEOF_CSR_API_CONNECTINFO);
    store<u32>(message + 24 + CSR_CONNECTINFO_SERVER_PROCESS_ID, CsrProcessId);
    if (CsrSharedSection != 0) {
      store<u32>(message + 24 + CSR_CONNECTINFO_SHARED_SECTION_BASE, <u32>CsrSharedSectionBase);
      store<u32>(message + 24 + CSR_CONNECTINFO_SHARED_STATIC_SERVER_DATA, <u32>(CsrSharedSectionBase + CSR_SHARED_STATIC_SERVER_DATA));
    }
    store<u32>(message + 24 + CSR_CONNECTINFO_NUMBER_OF_SERVER_DLL_NAMES, CsrServerDllNames.length);
    store<u16>(message, <u16>SIZEOF_CSR_API_CONNECTINFO);
    store<u16>(message, <u16>(24 + SIZEOF_CSR_API_CONNECTINFO), 2);
  }
  InitializeRemotePortView(remoteView);
  InitializePortView(sharedView, CsrSharedSection, 0, CsrSharedSectionSize);
  const shared = accept && CsrSharedSection != 0;
  let status = NtAcceptConnectPort(portOut, entry, message, accept, shared ? sharedView : 0, accept ? remoteView : 0);
  if (accept && status == STATUS_SUCCESS) {
    store<u32>(entry, load<u32>(portOut), C_PORT);
    store<u32>(entry, changetype<REMOTE_PORT_VIEW>(remoteView).ViewBase, C_VIEW);
    store<u32>(entry, changetype<REMOTE_PORT_VIEW>(remoteView).ViewSize, C_VIEW_SIZE);
    status = NtCompleteConnectPort(load<u32>(portOut));
  }
  if (accept && status != STATUS_SUCCESS) store<u32>(entry, 0, C_IN_USE);
  if (shared && status == STATUS_SUCCESS) store<u32>(CsrSharedSectionBase + CSR_SHARED_CONNECTIONS, load<u32>(CsrSharedSectionBase + CSR_SHARED_CONNECTIONS) + 1);
  session(); put(line, "process "); putDec(line, pid);
  if (!accept) put(line, entry == 0 ? " refused: no free client entry" : " refused: no CSR_API_CONNECTINFO");
  else if (status != STATUS_SUCCESS) { put(line, " connection failed "); putHex(line, status); }
  else {
    put(line, " connected");
    if (load<u32>(entry, C_VIEW) != 0) { put(line, ", port view of "); putHex(line, load<u32>(entry, C_VIEW_SIZE)); put(line, " bytes"); }
    else put(line, " without a port view");
    if (shared) { put(line, ", shared section at "); putHex(line, changetype<PORT_VIEW>(sharedView).ViewRemoteBase); put(line, " in it"); }
  }
  flush(line);
}

// ---- captured arguments ----

let CaptureBase: usize = 0, CaptureSize: u32 = 0;

/** Checks the request's capture buffer (see the file's head); STATUS_SUCCESS when it has none. */
function CsrpValidateCapture(client: usize): u32 {
  CaptureBase = load<usize>(message + CSR_API_MESSAGE_CAPTURE_DATA);
  CaptureSize = 0;
  if (CaptureBase == 0) return STATUS_SUCCESS;
  const view = load<usize>(client, C_VIEW), viewSize = load<u32>(client, C_VIEW_SIZE);
  if (view == 0 || CaptureBase < view || CaptureBase + CSR_CAPTURE_BUFFER_POINTER_OFFSETS > view + viewSize) return STATUS_INVALID_PARAMETER;
  const size = load<u32>(CaptureBase + CSR_CAPTURE_BUFFER_SIZE), count = load<u32>(CaptureBase + CSR_CAPTURE_BUFFER_POINTER_COUNT);
  if (size > viewSize || CaptureBase + size > view + viewSize || count > 64 || CSR_CAPTURE_BUFFER_POINTER_OFFSETS + (count << 2) > size) return STATUS_INVALID_PARAMETER;
  const total = <u32>load<u16>(message, 2);
  for (let i: u32 = 0; i < count; i++) {
    const offset = load<u32>(CaptureBase + CSR_CAPTURE_BUFFER_POINTER_OFFSETS + (i << 2));
    if (offset == 0) continue;
    if (offset < CSR_API_MESSAGE_DATA || offset + 4 > total) return STATUS_INVALID_PARAMETER;
    const pointer = load<usize>(message + offset);
    if (pointer < CaptureBase || pointer >= CaptureBase + size) return STATUS_INVALID_PARAMETER;
  }
  CaptureSize = size;
  return STATUS_SUCCESS;
}

/** Is [pointer, pointer + length) inside the validated capture buffer? */
function CsrpInCapture(pointer: usize, length: u32): bool {
  return CaptureSize != 0 && pointer >= CaptureBase && length <= CaptureSize && pointer + length <= CaptureBase + CaptureSize;
}

/** Copies the UNICODE_STRING at `s` (in the message, its buffer captured) into `into` (at most `max` characters); the count, or -1. */
function CsrpCaptureString(s: usize, into: usize, max: u32): i32 {
  const length = <u32>load<u16>(s), buffer = load<usize>(s, 4);
  if ((length & 1) != 0 || (length >> 1) > max || (length != 0 && !CsrpInCapture(buffer, length))) return -1;
  memory.copy(into, buffer, length);
  return <i32>(length >> 1);
}

// ---- the APIs ----

function CsrpClientConnectApi(client: usize): u32 {
  const data = message + CSR_API_MESSAGE_DATA;
  const serverId = load<u32>(data + CSR_CLIENT_CONNECT_SERVER_ID);
  if (serverId >= CSR_SERVER_DLL_MAX) return STATUS_TOO_MANY_NAMES;
  if ((CsrLoadedServers & (1 << serverId)) == 0) return STATUS_INVALID_PARAMETER;
  const info = load<usize>(data + CSR_CLIENT_CONNECT_INFO), size = load<u32>(data + CSR_CLIENT_CONNECT_INFO_SIZE);
  if (size != 0 && !CsrpInCapture(info, size)) return STATUS_INVALID_PARAMETER;
  store<u32>(client, load<u32>(client, C_SERVERS) | (1 << serverId), C_SERVERS);
  return STATUS_SUCCESS;
}

function CsrpDefineDosDevice(): u32 {
  const data = message + CSR_API_MESSAGE_DATA;
  const flags = load<u32>(data + BASE_DEFINE_DOS_DEVICE_FLAGS);
  // \??\<DeviceName>
  const prefix = "\\??\\";
  for (let i = 0; i < prefix.length; i++) store<u16>(nameText + (i << 1), <u16>prefix.charCodeAt(i));
  const n = CsrpCaptureString(data + BASE_DEFINE_DOS_DEVICE_NAME, nameText + 8, 128);
  if (n <= 0) return STATUS_INVALID_PARAMETER;
  CsrpAttributes(oa, CsrpCounted(linkName, nameText, 4 + <u32>n), OBJ_CASE_INSENSITIVE);
  if ((flags & DDD_REMOVE_DEFINITION) != 0) {
    let status = NtOpenSymbolicLinkObject(portOut, SYMBOLIC_LINK_ALL_ACCESS, oa);
    if (status != STATUS_SUCCESS) return status;
    status = NtMakeTemporaryObject(load<u32>(portOut));
    NtClose(load<u32>(portOut));
    return status;
  }
  // The target: as given with DDD_RAW_TARGET_PATH, else a DOS path under \??\.
  let at: u32 = 0;
  if ((flags & DDD_RAW_TARGET_PATH) == 0) { for (let i = 0; i < prefix.length; i++) store<u16>(targetText + (i << 1), <u16>prefix.charCodeAt(i)); at = 4; }
  const t = CsrpCaptureString(data + BASE_DEFINE_DOS_DEVICE_TARGET, targetText + (at << 1), 250);
  if (t <= 0) return STATUS_INVALID_PARAMETER;
  changetype<OBJECT_ATTRIBUTES>(oa).Attributes = OBJ_CASE_INSENSITIVE | OBJ_PERMANENT;
  const status = NtCreateSymbolicLinkObject(portOut, SYMBOLIC_LINK_ALL_ACCESS, oa, CsrpCounted(linkTarget, targetText, at + <u32>t));
  if (status == STATUS_SUCCESS) NtClose(load<u32>(portOut));
  return status;
}

// ---- processes a client made and told csrss of (BasepCreateProcess): +0 pid, +4 csrss's handle (0 = free) ----
const MAX_BASE_PROCESSES: u32 = 32;
const CsrBaseProcesses = memory.data(MAX_BASE_PROCESSES * 8, 4);
const basic = memory.data(<i32>offsetof<PROCESS_BASIC_INFORMATION>(), 4);

/** BasepCreateProcess: the caller's new process (its handle and ClientId in the caller's terms), known to csrss from now on. */
function CsrpBaseCreateProcess(client: usize): u32 {
  const data = message + CSR_API_MESSAGE_DATA;
  const pid = load<u32>(data + BASE_CREATE_PROCESS_CLIENT_ID);
  let entry: usize = 0;
  for (let i: u32 = 0; i < MAX_BASE_PROCESSES; i++) {
    const e = CsrBaseProcesses + (i << 3);
    if (load<u32>(e, 4) == 0) { entry = e; break; }
    // An entry whose process has ended is free again.
    if (NtQueryInformationProcess(load<u32>(e, 4), ProcessBasicInformation, basic, SIZEOF_PROCESS_BASIC_INFORMATION, 0) == STATUS_SUCCESS && changetype<PROCESS_BASIC_INFORMATION>(basic).ExitStatus != 0x103 /* STATUS_PENDING */) {
      NtClose(load<u32>(e, 4)); store<u32>(e, 0, 4); entry = e; break;
    }
  }
  if (entry == 0) return STATUS_INSUFFICIENT_RESOURCES;
  store<u32>(cid, load<u32>(client, C_PID)); store<u32>(cid, 0, 4);
  CsrpAttributes(oa, 0, 0);
  let status = NtOpenProcess(portOut, PROCESS_DUP_HANDLE, oa, cid);
  if (status != STATUS_SUCCESS) return status;
  const caller = load<u32>(portOut);
  status = NtDuplicateObject(caller, load<u32>(data + BASE_CREATE_PROCESS_PROCESS_HANDLE), NtCurrentProcess, done, PROCESS_QUERY_INFORMATION | PROCESS_TERMINATE | SYNCHRONIZE, 0, 0);
  NtClose(caller);
  if (status != STATUS_SUCCESS) return status;
  const process = load<u32>(done);
  if (NtQueryInformationProcess(process, ProcessBasicInformation, basic, SIZEOF_PROCESS_BASIC_INFORMATION, 0) != STATUS_SUCCESS || changetype<PROCESS_BASIC_INFORMATION>(basic).UniqueProcessId != pid) { NtClose(process); return STATUS_INVALID_CID; }
  store<u32>(entry, pid); store<u32>(entry, process, 4);
  session(); put(line, "process "); putDec(line, load<u32>(client, C_PID)); put(line, " created process "); putDec(line, pid); flush(line);
  return STATUS_SUCCESS;
}

/** The processes BasepCreateProcess told of, for the log-off (winsrv.ts): entry `i`'s handle (0: none), 0xFFFFFFFF past the table. */
export function CsrBaseProcessAt(i: u32): u32 {
  if (i >= MAX_BASE_PROCESSES) return 0xFFFFFFFF;
  return load<u32>(CsrBaseProcesses + (i << 3), 4);
}
export function CsrBaseProcessIdAt(i: u32): u32 { return i < MAX_BASE_PROCESSES ? load<u32>(CsrBaseProcesses + (i << 3)) : 0; }

function CsrpBaseApi(client: usize, api: u32): u32 {
  const data = message + CSR_API_MESSAGE_DATA;
  if (api == BasepCreateProcess) return CsrpBaseCreateProcess(client);
  if (api == BasepGetTempFile) {
    CsrTempFileId++;
    if (CsrTempFileId == 0) CsrTempFileId = 1;
    store<u32>(data, CsrTempFileId);
    return STATUS_SUCCESS;
  }
  if (api == BasepSetProcessShutdownParam) {
    store<u32>(client, load<u32>(data), C_SHUTDOWN_LEVEL);
    store<u32>(client, load<u32>(data, 4), C_SHUTDOWN_FLAGS);
    return STATUS_SUCCESS;
  }
  if (api == BasepGetProcessShutdownParam) {
    store<u32>(data, load<u32>(client, C_SHUTDOWN_LEVEL));
    store<u32>(data, load<u32>(client, C_SHUTDOWN_FLAGS), 4);
    return STATUS_SUCCESS;
  }
  if (api == BasepDefineDosDevice) return CsrpDefineDosDevice();
  return STATUS_NOT_IMPLEMENTED;
}

/** Is process `pid` a connected client? */
function CsrpIsClient(pid: u32): bool {
  for (let i: u32 = 0; i < MAX_CLIENTS; i++) { const c = CsrClients + i * CLIENT_BYTES; if (load<u32>(c, C_IN_USE) != 0 && load<u32>(c, C_PID) == pid) return true; }
  return false;
}
/** The process id of client entry `i` (0: free), 0xFFFFFFFF past the table. */
function CsrpClientAt(i: u32): u32 {
  if (i >= MAX_CLIENTS) return 0xFFFFFFFF;
  const c = CsrClients + i * CLIENT_BYTES;
  return load<u32>(c, C_IN_USE) != 0 ? load<u32>(c, C_PID) : 0;
}

/** One request of a registered client: the status it gets. */
function CsrpDispatch(client: usize): u32 {
  const number = <u32>load<u16>(message) >= 8 ? load<u32>(message + CSR_API_MESSAGE_API_NUMBER) : 0; // the second word of data
  const serverId = number >>> 16, api = number & 0xFFFF;
  let status: u32;
  if (<u32>load<u16>(message) < CSR_API_MESSAGE_DATA - 24) status = STATUS_INVALID_PARAMETER; // no room for Status and Reserved
  else if (serverId >= CSR_SERVER_DLL_MAX || (CsrLoadedServers & (1 << serverId)) == 0) status = STATUS_ILLEGAL_FUNCTION;
  else if ((serverId == CSRSRV_SERVERDLL_INDEX && api >= CsrpMaxApiNumber) || (serverId == BASESRV_SERVERDLL_INDEX && api >= BasepMaxApiNumber)
    || (serverId == CONSRV_SERVERDLL_INDEX && (api < CONSRV_FIRST_API_NUMBER || api >= ConsolepMaxApiNumber))
    || (serverId == USERSRV_SERVERDLL_INDEX && (api < USERSRV_FIRST_API_NUMBER || api >= UserpMaxApiNumber))) status = STATUS_ILLEGAL_FUNCTION;
  else {
    // What the kernel did not copy reads as zeros (a short request carries nothing of an earlier one's).
    const length = <u32>load<u16>(message);
    if (length + 24 < SIZEOF_CSR_API_MESSAGE) memory.fill(message + 24 + length, 0, SIZEOF_CSR_API_MESSAGE - 24 - length);
    status = CsrpValidateCapture(client);
    if (status == STATUS_SUCCESS) {
      if (serverId == CSRSRV_SERVERDLL_INDEX) status = api == CsrpClientConnect ? CsrpClientConnectApi(client) : STATUS_NOT_IMPLEMENTED;
      else if (serverId == BASESRV_SERVERDLL_INDEX) status = CsrpBaseApi(client, api);
      else if (serverId == CONSRV_SERVERDLL_INDEX) status = CsrConsoleApi(load<u32>(client, C_PID), api, message + CSR_API_MESSAGE_DATA, CsrpInCapture);
      else status = CsrUserApi(load<u32>(client, C_PID), api, message + CSR_API_MESSAGE_DATA, CsrpIsClient, CsrpClientAt);
    }
  }
  session(); put(line, "process "); putDec(line, load<u32>(client, C_PID)); put(line, ": API "); putDec(line, serverId); putChar(line, 0x3A); putDec(line, api);
  put(line, " -> "); putHex(line, status); flush(line);
  return status;
}

// ---- hard errors ----

/** Reads string parameter `address` (a UNICODE_STRING in `process`) into stringText; the count of characters, or -1. */
function CsrpReadString(process: u32, address: usize): i32 {
  if (NtReadVirtualMemory(process, address, stringOut, 8, done) != STATUS_SUCCESS) return -1;
  let length = <u32>changetype<UNICODE_STRING>(stringOut).Length;
  if (length > 500) length = 500;
  if (NtReadVirtualMemory(process, changetype<UNICODE_STRING>(stringOut).Buffer, stringText, length, done) != STATUS_SUCCESS) return -1;
  return <i32>(length >> 1);
}

/** A parameter: a string read from the process, or a number (`prefixed`: with "0x"). */
function CsrpPutParameter(process: u32, index: u32, isString: bool, prefixed: bool): void {
  const value = load<u32>(message + HARDERROR_MSG_PARAMETERS + (index << 2));
  if (!isString) {
    if (prefixed) put(line, "0x");
    for (let s = 28; s >= 0; s -= 4) { const d = (value >>> <u32>s) & 15; putChar(line, d < 10 ? 48 + d : 55 + d); }
    return;
  }
  const n = process != 0 ? CsrpReadString(process, value) : -1;
  if (n < 0) put(line, "?"); else putWide(line, stringText, <u32>n);
}

/** HARDERROR_RESPONSE's names (static strings: this thread allocates nothing). */
function CsrpResponseName(response: u32): string {
  switch (response) {
    case 0: return "ResponseReturnToCaller";
    case 1: return "ResponseNotHandled";
    case 2: return "ResponseAbort";
    case 3: return "ResponseCancel";
    case 4: return "ResponseIgnore";
    case 5: return "ResponseNo";
    case 6: return "ResponseOk";
    case 7: return "ResponseRetry";
    case 8: return "ResponseYes";
    case 9: return "ResponseTryAgain";
    case 10: return "ResponseContinue";
  }
  return "?";
}

/** LPC_ERROR_EVENT from the kernel: show it, answer with the default button. */
function CsrpHandleHardError(): void {
  const status = load<u32>(message + HARDERROR_MSG_ERROR_STATUS);
  const options = load<u32>(message + HARDERROR_MSG_VALID_RESPONSE_OPTIONS);
  let count = load<u32>(message + HARDERROR_MSG_NUMBER_OF_PARAMETERS);
  if (count > 5) count = 5;
  const mask = load<u32>(message + HARDERROR_MSG_UNICODE_STRING_PARAMETER_MASK);
  const pid = load<u32>(message, 8);
  store<u32>(portOut, 0);
  let process: u32 = 0;
  if (mask != 0) {
    store<u32>(cid, pid); store<u32>(cid, 0, 4);
    CsrpAttributes(oa, 0, 0);
    if (NtOpenProcess(portOut, PROCESS_VM_READ, oa, cid) == STATUS_SUCCESS) process = load<u32>(portOut);
  }
  const response = HardErrorDefaultResponse(options);
  session(); put(line, "hard error "); putHex(line, status); put(line, " from process "); putDec(line, pid);
  put(line, " (options "); putDec(line, options); put(line, "): ");
  const textStart = load<u32>(line);
  const template = HardErrorMessageTemplate(status);
  if (template.length == 0) {
    put(line, "Unknown Hard Error");
    for (let i: u32 = 0; i < count; i++) { putChar(line, 0x20); CsrpPutParameter(process, i, (mask & (1 << i)) != 0, true); }
  } else {
    let next: u32 = 0;
    for (let i = 0; i < template.length; i++) {
      const c = <u32>template.charCodeAt(i);
      if (c == 10) { putChar(line, 0x20); continue; }
      if (c != 0x25 || i + 1 >= template.length) { putChar(line, c); continue; }
      i++;
      if (next < count) CsrpPutParameter(process, next, (mask & (1 << next)) != 0, false); else put(line, "00000000");
      next++;
    }
  }
  put(line, ": ");
  put(line, CsrpResponseName(response));
  // The session's screen too, once win32k is loaded in it (before, the service is not there: COM1 only).
  const textEnd = load<u32>(line);
  if (NtUserConsoleWrite(changetype<usize>(CRLF), 4) == STATUS_SUCCESS) {
    NtUserConsoleWrite(line + 12 + (textStart << 1), (textEnd - textStart) << 1);
    NtUserConsoleWrite(changetype<usize>(CRLF), 4);
  }
  flush(line);
  if (process != 0) NtClose(process);
  store<u32>(message + HARDERROR_MSG_RESPONSE, response);
  store<u32>(message + HARDERROR_MSG_STATUS, STATUS_SUCCESS);
}

/** The ApiPort thread: receive, answer, receive. */
export function CsrApiLoop(parameter: usize): void {
  let reply: usize = 0;
  while (true) {
    const status = NtReplyWaitReceivePort(CsrApiPortHandle, contextOut, reply, message);
    reply = 0;
    if (status != STATUS_SUCCESS) { session(); put(line, "ApiPort: NtReplyWaitReceivePort failed - Status == "); putHex(line, status); flush(line); continue; }
    const type = <u32>load<u16>(message, 4) & 0xFF;
    const client = load<usize>(contextOut);
    if (type == LPC_CONNECTION_REQUEST) { CsrpHandleConnectionRequest(); continue; }
    if (type == LPC_ERROR_EVENT) {
      if (<u32>load<u16>(message, 2) >= SIZEOF_HARDERROR_MSG) { CsrpHandleHardError(); reply = message; }
      continue;
    }
    if (type == LPC_PORT_CLOSED || type == LPC_CLIENT_DIED) {
      if (client != 0 && type == LPC_PORT_CLOSED && load<u32>(client, C_IN_USE) != 0) {
        session(); put(line, "process "); putDec(line, load<u32>(client, C_PID)); put(line, " disconnected"); flush(line);
        NtClose(load<u32>(client, C_PORT));
        store<u32>(client, 0, C_IN_USE);
      }
      continue;
    }
    if (type != LPC_REQUEST || client == 0) continue;
    store<u32>(message + CSR_API_MESSAGE_STATUS, CsrpDispatch(client));
    reply = message;
  }
}
