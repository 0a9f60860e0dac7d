// csrss's shared section and its SB API from a client (test/boot/csrss.test.ts),
// linked as csrsb.exe and, for the processes csrss starts or is handed,
// csrsbkid.exe (the same program: `csrsbkid` prints its session and waits).
//
//   csrsb <dir>                  the shared section through ntdll's CsrClientConnectToServer
//                                (PEB.ReadOnlySharedMemoryBase / ReadOnlyStaticServerData),
//                                then <dir>\SbApiPort: CreateProcess, CreateSession +
//                                TerminateSession, ForeignSessionComplete, hostile messages
//   csrsb \Sessions\<n>\Windows  CreateProcess through another session's csrss: the
//                                process is in THAT session (this one stays in session 0)
// Every line is "what value".
import { put, putHex, putWide, flush } from "../../pe/programs/out";
import {
  SIZEOF_SB_API_MSG, SB_API_MSG_API_NUMBER, SB_API_MSG_RETURN_VALUE, SB_API_MSG_U, SbpCreateSession, SbpTerminateSession, SbpForeignSessionComplete,
  SbpCreateProcess, SB_CREATE_PROCESS_IN_IMAGE_NAME, SB_CREATE_PROCESS_IN_COMMAND_LINE, SB_CREATE_PROCESS_IN_FLAGS, SB_CREATE_PROCESS_OUT_PROCESS_HANDLE,
  SB_CREATE_PROCESS_OUT_THREAD_HANDLE, SB_CREATE_PROCESS_OUT_SUBSYSTEM_TYPE, SB_CREATE_PROCESS_OUT_CLIENT_ID, SB_CREATE_SESSION_SESSION_ID,
  SB_CREATE_SESSION_PROCESS_INFO, RTL_USER_PROCESS_INFORMATION, SIZEOF_RTL_USER_PROCESS_INFORMATION,
} from "../../../kernel/sdk/sm";
import {
  SIZEOF_CSR_API_MESSAGE, CSR_API_MESSAGE_DATA, CSR_CREATE_API_NUMBER, ConsolepWriteConsole, ConsolepSetTextAttribute, ConsolepSetCursorPosition,
  ConsolepGetTitle, ConsolepSetTitle, ConsolepReadConsole, UserpExitWindowsEx, UserpRegisterLogonProcess, SIZEOF_CONSOLE_WRITECONSOLE,
  CONSOLE_WRITECONSOLE_STATIC_BUFFER, CONSOLE_WRITECONSOLE_BUFFER, CONSOLE_WRITECONSOLE_NUM_BYTES, CONSOLE_WRITECONSOLE_USING_STATIC_BUFFER,
  CONSOLE_WRITECONSOLE_UNICODE, SIZEOF_CONSOLE_TITLE, CONSOLE_TITLE_LENGTH, CONSOLE_TITLE_TITLE, CONSOLE_TITLE_UNICODE, SIZEOF_EXITWINDOWSEX,
  EXITWINDOWSEX_FLAGS, EXITWINDOWSEX_SUCCESS, EWX_LOGOFF, EWX_POWEROFF,
  CSR_SHARED_SESSION_ID, CSR_SHARED_SERVER_PROCESS_ID, CSR_SHARED_CONNECTIONS, CSR_SHARED_SIZE_KB, BASE_STATIC_WINDOWS_DIRECTORY,
  BASE_STATIC_NAMED_OBJECT_DIRECTORY,
} from "../../../kernel/sdk/csr";
import { InitializeCountedString, InitializeObjectAttributes } from "../../../kernel/sdk/ntdef";
import { ProcessBasicInformation, ProcessSessionInformation, PROCESS_BASIC_INFORMATION, SIZEOF_PROCESS_BASIC_INFORMATION } from "../../../kernel/sdk/procinfo";
import { PEB, RTL_USER_PROCESS_PARAMETERS } from "../../../kernel/sdk/peb";
import { InitializeSecurityQualityOfService, PORT_MESSAGE, SECURITY_DYNAMIC_TRACKING, SecurityImpersonation, SIZEOF_PORT_MESSAGE } from "../../../kernel/sdk/lpc";

@external("ntdll", "CsrClientConnectToServer") declare function CsrClientConnectToServer(dir: usize, serverId: u32, info: usize, infoSize: usize, s2s: usize): u32;
@external("ntdll", "CsrGetProcessId") declare function CsrGetProcessId(): u32;
@external("ntdll", "RtlAdjustPrivilege") declare function RtlAdjustPrivilege(privilege: u32, enable: bool, currentThread: bool, enabled: usize): u32;
const privilegeWas = memory.data(4, 4);
@external("ntdll", "CsrClientCallServer") declare function CsrClientCallServer(message: usize, buffer: usize, api: u32, length: u32): u32;
@external("ntdll", "CsrAllocateCaptureBuffer") declare function CsrAllocateCaptureBuffer(count: u32, size: u32): usize;
@external("ntdll", "CsrCaptureMessageBuffer") declare function CsrCaptureMessageBuffer(buffer: usize, data: usize, length: u32, captured: usize): void;
@external("ntdll", "CsrAllocateMessagePointer") declare function CsrAllocateMessagePointer(buffer: usize, length: u32, captured: usize): u32;
@external("ntdll", "CsrFreeCaptureBuffer") declare function CsrFreeCaptureBuffer(buffer: usize): void;
@external("ntdll", "NtDelayExecution") declare function NtDelayExecution(alertable: u32, interval: usize): u32;
@external("ntdll", "NtClose") declare function NtClose(handle: u32): u32;
@external("ntdll", "NtConnectPort") declare function NtConnectPort(handle: usize, name: usize, qos: usize, clientView: usize, serverView: usize, maxMessage: usize, info: usize, infoLength: usize): u32;
@external("ntdll", "NtRequestWaitReplyPort") declare function NtRequestWaitReplyPort(port: u32, request: usize, reply: usize): u32;
@external("ntdll", "NtQueryInformationProcess") declare function NtQueryInformationProcess(process: u32, cls: u32, info: usize, length: u32, result: usize): u32;
@external("ntdll", "NtTerminateProcess") declare function NtTerminateProcess(process: u32, status: u32): u32;
@external("ntdll", "NtWaitForSingleObject") declare function NtWaitForSingleObject(handle: u32, alertable: u32, timeout: usize): u32;
@external("ntdll", "NtOpenProcess") declare function NtOpenProcess(handle: usize, access: u32, oa: usize, cid: usize): u32;
@external("ntdll", "NtDuplicateObject") declare function NtDuplicateObject(sp: u32, s: u32, tp: u32, t: usize, access: u32, attributes: u32, options: u32): u32;
@external("ntdll", "RtlGetCurrentPeb") declare function RtlGetCurrentPeb(): usize;
@external("ntdll", "NtResumeThread") declare function NtResumeThread(thread: u32, previous: usize): u32;
@external("ntdll", "RtlCreateProcessParameters") declare function RtlCreateProcessParameters(result: usize, image: usize, dllPath: usize, currentDirectory: usize,
  commandLine: usize, environment: usize, title: usize, desktop: usize, shell: usize, runtime: usize): u32;
@external("ntdll", "RtlCreateUserProcess") declare function RtlCreateUserProcess(image: usize, attributes: u32, params: usize, processSd: usize, threadSd: usize,
  parent: u32, inherit: u32, debugPort: u32, exceptionPort: u32, info: usize): u32;

const m = memory.data(SIZEOF_SB_API_MSG, 8);
const h = memory.data(16, 4), qos = memory.data(12, 4), us = memory.data(8, 4), oa = memory.data(24, 4), cid = memory.data(8, 4);
const basic = memory.data(<i32>offsetof<PROCESS_BASIC_INFORMATION>(), 4), sessionInfo = memory.data(4, 4), t = memory.data(8, 8);
const image = memory.data(8, 4), commandLine = memory.data(8, 4), params = memory.data(4, 4), info = memory.data(<i32>offsetof<RTL_USER_PROCESS_INFORMATION>(), 4);
const dirText = memory.data(256, 2);
let sb: u32 = 0;

function show(what: string, v: u32): void { put(what); put(" "); putHex(v); flush(); }
function wide(at: usize, s: string): usize {
  InitializeCountedString(at, changetype<usize>(s), s.length << 1, s.length << 1);
  return at;
}
function words(): string[] {
  const p = changetype<PEB>(RtlGetCurrentPeb()).ProcessParameters;
  const chars = <i32>(changetype<RTL_USER_PROCESS_PARAMETERS>(p).CommandLine_Length >>> 1), text = changetype<RTL_USER_PROCESS_PARAMETERS>(p).CommandLine_Buffer;
  let all = "";
  for (let i = 0; i < chars; i++) all += String.fromCharCode(load<u16>(text + (i << 1)));
  return all.split(" ");
}
function sleep(ms: i64): void { store<i64>(t, -ms * 10000); NtDelayExecution(0, t); }

/** One SB request of `length` bytes after the header; the answer's ReturnValue (or the port's failure). */
function sbCall(api: u32, dataLength: u32): u32 {
  const header = changetype<PORT_MESSAGE>(m);
  header.DataLength = <u16>dataLength; header.TotalLength = <u16>(dataLength + SIZEOF_PORT_MESSAGE); header.Type = 0; header.DataInfoOffset = 0;
  store<u32>(m + SB_API_MSG_API_NUMBER, api);
  store<u32>(m + SB_API_MSG_RETURN_VALUE, 0xDEAD);
  const status = NtRequestWaitReplyPort(sb, m, m);
  return status != 0 ? status : load<u32>(m + SB_API_MSG_RETURN_VALUE);
}
function clear(): void { memory.fill(m, 0, SIZEOF_SB_API_MSG); }
/** TerminateSession / ForeignSessionComplete of `id`. */
function sbSession(api: u32, id: u32): u32 { clear(); store<u32>(m + SB_API_MSG_U, id); return sbCall(api, SIZEOF_SB_API_MSG - 24); }
function sbEmpty(api: u32, length: u32): u32 { clear(); return sbCall(api, length); }

/** SbCreateProcess of csrsbkid.exe; the status. */
function createKid(name: string, args: string): u32 {
  clear();
  store<usize>(m + SB_API_MSG_U + SB_CREATE_PROCESS_IN_IMAGE_NAME, wide(image, name));
  store<usize>(m + SB_API_MSG_U + SB_CREATE_PROCESS_IN_COMMAND_LINE, wide(commandLine, args));
  return sbCall(SbpCreateProcess, SIZEOF_SB_API_MSG - 24);
}

function exitStatus(process: u32): u32 { NtQueryInformationProcess(process, ProcessBasicInformation, basic, SIZEOF_PROCESS_BASIC_INFORMATION, 0); return changetype<PROCESS_BASIC_INFORMATION>(basic).ExitStatus; }
function pidOf(process: u32): u32 { return NtQueryInformationProcess(process, ProcessBasicInformation, basic, SIZEOF_PROCESS_BASIC_INFORMATION, 0) == 0 ? changetype<PROCESS_BASIC_INFORMATION>(basic).UniqueProcessId : 0; }
function sessionOf(process: u32): u32 { store<u32>(sessionInfo, 0xFFFF); NtQueryInformationProcess(process, ProcessSessionInformation, sessionInfo, 4, 0); return load<u32>(sessionInfo); }
function poll(process: u32): u32 { store<i64>(t, 0); return NtWaitForSingleObject(process, 0, t); }

/** A csrsbkid.exe of ours, suspended; its process and thread handles in info. */
function startSuspended(): u32 {
  wide(image, "\\SystemRoot\\System32\\csrsbkid.exe");
  let s = RtlCreateProcessParameters(params, image, 0, 0, wide(commandLine, "csrsbkid handed"), 0, 0, 0, 0, 0);
  if (s != 0) return s;
  changetype<RTL_USER_PROCESS_INFORMATION>(info).Size = SIZEOF_RTL_USER_PROCESS_INFORMATION;
  return RtlCreateUserProcess(image, 0x40, load<usize>(params), 0, 0, 0, 0, 0, 0, info);
}

/** SbCreateSession `id` for a kid of ours: its handles duplicated into csrss (`csrss` = PROCESS_DUP_HANDLE handle). */
function handOver(csrss: u32, id: u32): u32 {
  clear();
  const pi = m + SB_API_MSG_U + SB_CREATE_SESSION_PROCESS_INFO;
  store<u32>(m + SB_API_MSG_U + SB_CREATE_SESSION_SESSION_ID, id);
  memory.copy(pi, info, SIZEOF_RTL_USER_PROCESS_INFORMATION);
  let s = NtDuplicateObject(0xFFFFFFFF, changetype<RTL_USER_PROCESS_INFORMATION>(info).ProcessHandle, csrss, pi + 4, 0, 0, 2);
  if (s == 0) s = NtDuplicateObject(0xFFFFFFFF, changetype<RTL_USER_PROCESS_INFORMATION>(info).ThreadHandle, csrss, pi + 8, 0, 0, 2);
  if (s != 0) return s;
  return sbCall(SbpCreateSession, SIZEOF_SB_API_MSG - 24);
}

function connectSb(dir: string): u32 {
  InitializeSecurityQualityOfService(qos, SecurityImpersonation, SECURITY_DYNAMIC_TRACKING, true);
  let status: u32 = 0;
  for (let i = 0; i < 300; i++) {
    status = NtConnectPort(h, wide(us, dir + "\\SbApiPort"), qos, 0, 0, 0, 0, 0);
    if (status != 0xC0000034 && status != 0xC000003A) break; // not there yet: no port, or no directory
    sleep(10);
  }
  sb = load<u32>(h);
  return status;
}

function sharedSection(dir: string): void {
  for (let i = 0; i < dir.length; i++) store<u16>(dirText + (i << 1), <u16>dir.charCodeAt(i));
  store<u16>(dirText + (dir.length << 1), 0);
  let status: u32 = 0;
  for (let i = 0; i < 300; i++) { status = CsrClientConnectToServer(dirText, 0, 0, 0, 0); if (status != 0xC0000034 && status != 0xC000003A) break; sleep(10); }
  show("connect", status);
  const peb = RtlGetCurrentPeb();
  const base = load<usize>(peb, 0x4C), staticData = load<usize>(peb, 0x54);
  show("shared section mapped", base != 0 ? 1 : 0);
  show("static server data in it", staticData == base ? 1 : 0);
  if (base == 0) return;
  show("session", load<u32>(base + CSR_SHARED_SESSION_ID));
  show("csrss named in it is csrss", load<u32>(base + CSR_SHARED_SERVER_PROCESS_ID) == CsrGetProcessId() ? 1 : 0);
  show("size in KB", load<u32>(base + CSR_SHARED_SIZE_KB));
  show("connections so far at least 2", load<u32>(base + CSR_SHARED_CONNECTIONS) >= 2 ? 1 : 0);
  const baseData = base + load<u32>(staticData, 4); // StaticServerData[BASESRV]: an offset
  const windows = baseData + BASE_STATIC_WINDOWS_DIRECTORY, objects = baseData + BASE_STATIC_NAMED_OBJECT_DIRECTORY;
  put("windows directory "); putWide(base + load<u32>(windows, 4), <u32>load<u16>(windows)); flush();
  put("named objects "); putWide(base + load<u32>(objects, 4), <u32>load<u16>(objects)); flush();
}

function sbApi(dir: string): void {
  show("connect to SbApiPort", connectSb(dir));
  const csrssPid = CsrGetProcessId();
  // CreateProcess: csrss starts the image, the handles are ours.
  show("create process", createKid("\\SystemRoot\\System32\\csrsbkid.exe", "csrsbkid started"));
  const process = load<u32>(m + SB_API_MSG_U + SB_CREATE_PROCESS_OUT_PROCESS_HANDLE), thread = load<u32>(m + SB_API_MSG_U + SB_CREATE_PROCESS_OUT_THREAD_HANDLE);
  const kid = load<u32>(m + SB_API_MSG_U + SB_CREATE_PROCESS_OUT_CLIENT_ID);
  show("the process handle is ours and names the ClientId", pidOf(process) == kid && kid != 0 ? 1 : 0);
  show("subsystem type", load<u32>(m + SB_API_MSG_U + SB_CREATE_PROCESS_OUT_SUBSYSTEM_TYPE));
  show("a thread handle", thread != 0 ? 1 : 0);
  sleep(300);
  show("it runs", poll(process));
  show("end it with our handle", NtTerminateProcess(process, 0x1234));
  NtWaitForSingleObject(process, 0, 0);
  show("its exit status", exitStatus(process));
  NtClose(process); NtClose(thread);
  // CreateSession: a suspended process of ours handed to csrss, which resumes it; TerminateSession ends it.
  store<u32>(cid, csrssPid); store<u32>(cid, 0, 4);
  InitializeObjectAttributes(oa, 0, 0, 0, 0);
  show("open csrss", NtOpenProcess(h + 4, 0x40 /* PROCESS_DUP_HANDLE */, oa, cid));
  const csrss = load<u32>(h, 4);
  show("start suspended", startSuspended());
  const mine = changetype<RTL_USER_PROCESS_INFORMATION>(info).ProcessHandle;
  show("create session 77", handOver(csrss, 77));
  sleep(300);
  show("resumed by csrss: it runs", poll(mine));
  show("terminate session 77", sbSession(SbpTerminateSession, 77));
  show("wait", NtWaitForSingleObject(mine, 0, 0));
  show("its exit status", exitStatus(mine));
  show("terminate session 77 again", sbSession(SbpTerminateSession, 77));
  NtClose(mine); NtClose(changetype<RTL_USER_PROCESS_INFORMATION>(info).ThreadHandle);
  // ForeignSessionComplete: csrss forgets the session; its process goes on.
  show("start suspended", startSuspended());
  const other = changetype<RTL_USER_PROCESS_INFORMATION>(info).ProcessHandle;
  show("create session 78", handOver(csrss, 78));
  show("foreign session complete 78", sbSession(SbpForeignSessionComplete, 78));
  show("terminate session 78 after it", sbSession(SbpTerminateSession, 78));
  sleep(300);
  show("its process still runs", poll(other));
  NtTerminateProcess(other, 0); NtClose(other); NtClose(changetype<RTL_USER_PROCESS_INFORMATION>(info).ThreadHandle);
  // Hostile requests: refused, csrss goes on.
  clear(); store<usize>(m + SB_API_MSG_U + SB_CREATE_PROCESS_IN_IMAGE_NAME, 0x10);
  show("an image name nobody maps", sbCall(SbpCreateProcess, SIZEOF_SB_API_MSG - 24));
  clear(); store<usize>(m + SB_API_MSG_U + SB_CREATE_PROCESS_IN_IMAGE_NAME, image); store<u16>(image, 7);
  show("an odd length", sbCall(SbpCreateProcess, SIZEOF_SB_API_MSG - 24));
  show("no image name", sbEmpty(SbpCreateProcess, SIZEOF_SB_API_MSG - 24));
  show("an image not on the disk", createKid("\\SystemRoot\\System32\\nothere.exe", "nothere"));
  clear(); store<usize>(m + SB_API_MSG_U + SB_CREATE_PROCESS_IN_IMAGE_NAME, wide(image, "\\SystemRoot\\System32\\csrsbkid.exe"));
  store<u32>(m + SB_API_MSG_U + SB_CREATE_PROCESS_IN_FLAGS, 1);
  show("debug flag", sbCall(SbpCreateProcess, SIZEOF_SB_API_MSG - 24));
  clear(); store<u32>(m + SB_API_MSG_U + SB_CREATE_SESSION_PROCESS_INFO + 4, 0x1234); store<u32>(m + SB_API_MSG_U + SB_CREATE_SESSION_PROCESS_INFO + 12, 4);
  show("create session with handles csrss has not", sbCall(SbpCreateSession, SIZEOF_SB_API_MSG - 24));
  show("a short create process", sbEmpty(SbpCreateProcess, 12));
  show("a request without ApiNumber", sbEmpty(0, 0));
  show("api 9", sbEmpty(9, SIZEOF_SB_API_MSG - 24));
  show("after all that, create process", createKid("\\SystemRoot\\System32\\csrsbkid.exe", "csrsbkid last"));
  const last = load<u32>(m + SB_API_MSG_U + SB_CREATE_PROCESS_OUT_PROCESS_HANDLE);
  NtTerminateProcess(last, 0); NtClose(last); NtClose(load<u32>(m + SB_API_MSG_U + SB_CREATE_PROCESS_OUT_THREAD_HANDLE));
  NtClose(csrss);
  put("done"); flush();
}

// ---- winsrv: the console and user servers ----
const cm = memory.data(SIZEOF_CSR_API_MESSAGE, 8);
const titleOut = memory.data(64, 2);
function csr(server: u32, api: u32, length: u32, buffer: usize = 0): u32 { return CsrClientCallServer(cm, buffer, CSR_CREATE_API_NUMBER(server, api), length); }
function cdata(): usize { memory.fill(cm, 0, SIZEOF_CSR_API_MESSAGE); return cm + CSR_API_MESSAGE_DATA; }
function csrEmpty(server: u32, api: u32): u32 { cdata(); return csr(server, api, 16); }

/** WriteConsole of an ANSI text from the message's static buffer; the status. */
function writeStatic(text: string, bytes: i32): u32 {
  const d = cdata();
  for (let i = 0; i < text.length && i < 80; i++) store<u8>(d + CONSOLE_WRITECONSOLE_STATIC_BUFFER + i, <u8>text.charCodeAt(i));
  store<u32>(d + CONSOLE_WRITECONSOLE_NUM_BYTES, bytes >= 0 ? <u32>bytes : text.length);
  store<u8>(d + CONSOLE_WRITECONSOLE_USING_STATIC_BUFFER, 1);
  return csr(2, ConsolepWriteConsole, SIZEOF_CONSOLE_WRITECONSOLE);
}
/** WriteConsole of a Unicode text through a capture buffer; the status. */
function writeCaptured(text: string, bytes: i32 = -1): u32 {
  const d = cdata();
  const buffer = CsrAllocateCaptureBuffer(1, text.length << 1);
  CsrCaptureMessageBuffer(buffer, changetype<usize>(text), text.length << 1, d + CONSOLE_WRITECONSOLE_BUFFER);
  store<u32>(d + CONSOLE_WRITECONSOLE_NUM_BYTES, bytes >= 0 ? <u32>bytes : text.length << 1);
  store<u8>(d + CONSOLE_WRITECONSOLE_UNICODE, 1);
  const status = csr(2, ConsolepWriteConsole, SIZEOF_CONSOLE_WRITECONSOLE, buffer);
  CsrFreeCaptureBuffer(buffer);
  return status;
}
function setAttribute(a: u32): u32 { const d = cdata(); store<u16>(d + 8, <u16>a); return csr(2, ConsolepSetTextAttribute, 12); }
function setCursor(x: u32, y: u32): u32 { const d = cdata(); store<u16>(d + 8, <u16>x); store<u16>(d + 10, <u16>y); return csr(2, ConsolepSetCursorPosition, 12); }
function exitWindows(flags: u32): u32 { const d = cdata(); store<u32>(d + EXITWINDOWSEX_FLAGS, flags); return csr(3, UserpExitWindowsEx, SIZEOF_EXITWINDOWSEX); }
function registerLogon(pid: u32): u32 { const d = cdata(); store<u32>(d, pid); return csr(3, UserpRegisterLogonProcess, 4); }
function myPid(): u32 { NtQueryInformationProcess(0xFFFFFFFF, ProcessBasicInformation, basic, SIZEOF_PROCESS_BASIC_INFORMATION, 0); return changetype<PROCESS_BASIC_INFORMATION>(basic).UniqueProcessId; }

/** A kid of ours that connects to csrss (`how`: console, or logon: it registers as the logon process); its process handle. */
function startClient(how: string, dir: string): u32 {
  wide(image, "\\SystemRoot\\System32\\csrsbkid.exe");
  RtlCreateProcessParameters(params, image, 0, 0, wide(commandLine, "csrsbkid " + how + " " + dir), 0, 0, 0, 0, 0);
  changetype<RTL_USER_PROCESS_INFORMATION>(info).Size = SIZEOF_RTL_USER_PROCESS_INFORMATION;
  if (RtlCreateUserProcess(image, 0x40, load<usize>(params), 0, 0, 0, 0, 0, 0, info) != 0) return 0;
  NtResumeThread(changetype<RTL_USER_PROCESS_INFORMATION>(info).ThreadHandle, 0);
  NtClose(changetype<RTL_USER_PROCESS_INFORMATION>(info).ThreadHandle);
  return changetype<RTL_USER_PROCESS_INFORMATION>(info).ProcessHandle;
}

function winsrv(dir: string): void {
  show("write console", writeStatic("hello from csrsb", -1));
  show("bytes written", load<u32>(cm + CSR_API_MESSAGE_DATA + CONSOLE_WRITECONSOLE_NUM_BYTES));
  show("set attribute", setAttribute(0x1E));
  show("set cursor", setCursor(10, 20));
  show("write console, captured", writeCaptured("WIDE TEXT AT 10,20"));
  show("set attribute back", setAttribute(0x07));
  show("a cursor off the screen", setCursor(80, 0));
  show("an attribute too big", setAttribute(0x100));
  show("more than the static buffer", writeStatic("x", 81));
  show("an odd Unicode length", writeCaptured("odd", 5));
  show("more than was captured", writeCaptured("four", 200));
  const d = cdata();
  const buffer = CsrAllocateCaptureBuffer(1, 64);
  CsrCaptureMessageBuffer(buffer, changetype<usize>("csrsb title"), 22, d + CONSOLE_TITLE_TITLE);
  store<u32>(d + CONSOLE_TITLE_LENGTH, 22); store<u8>(d + CONSOLE_TITLE_UNICODE, 1);
  show("set title", csr(2, ConsolepSetTitle, SIZEOF_CONSOLE_TITLE, buffer));
  CsrFreeCaptureBuffer(buffer);
  const g = cdata();
  const back = CsrAllocateCaptureBuffer(1, 64);
  CsrAllocateMessagePointer(back, 64, g + CONSOLE_TITLE_TITLE);
  store<u32>(g + CONSOLE_TITLE_LENGTH, 64); store<u8>(g + CONSOLE_TITLE_UNICODE, 1);
  show("get title", csr(2, ConsolepGetTitle, SIZEOF_CONSOLE_TITLE, back));
  const length = load<u32>(g + CONSOLE_TITLE_LENGTH);
  memory.copy(titleOut, load<usize>(g + CONSOLE_TITLE_TITLE), length < 64 ? length : 64);
  put("title "); putWide(titleOut, length < 64 ? length : 64); flush();
  CsrFreeCaptureBuffer(back);
  show("read console", csrEmpty(2, ConsolepReadConsole));
  show("a console API past the last", csrEmpty(2, 512 + 200));
  show("a user API below the first", csrEmpty(3, 5));
  // The logon process and a log-off.
  const before = load<u32>(changetype<PEB>(RtlGetCurrentPeb()).ReadOnlySharedMemoryBase + CSR_SHARED_CONNECTIONS);
  const a = startClient("console", dir), b = startClient("logon", dir);
  let connected = false;
  for (let i = 0; i < 200 && !connected; i++) { sleep(50); connected = load<u32>(changetype<PEB>(RtlGetCurrentPeb()).ReadOnlySharedMemoryBase + CSR_SHARED_CONNECTIONS) >= before + 2; }
  show("both kids connected", connected ? 1 : 0);
  sleep(500);
  // A process of ours csrss is told of (BasepCreateProcess): suspended, never connected.
  show("start suspended", startSuspended());
  const started = changetype<RTL_USER_PROCESS_INFORMATION>(info), c = started.ProcessHandle;
  let e = cdata();
  store<u32>(e, c); store<u32>(e, started.ThreadHandle, 4); store<u32>(e, started.ClientId_UniqueProcess, 8); store<u32>(e, started.ClientId_UniqueThread, 12);
  show("tell csrss of it", csr(1, 0, 0x18));
  e = cdata();
  store<u32>(e, c); store<u32>(e, started.ThreadHandle, 4); store<u32>(e, started.ClientId_UniqueProcess + 4, 8);
  show("a ClientId that is not its", csr(1, 0, 0x18));
  e = cdata();
  store<u32>(e, 0x7FF0);
  show("a handle this process has not", csr(1, 0, 0x18));
  show("register me as the logon process while the kid is", registerLogon(myPid()));
  show("register another process", registerLogon(myPid() + 4));
  show("log off", exitWindows(EWX_LOGOFF));
  show("success", load<u32>(cm + CSR_API_MESSAGE_DATA + EXITWINDOWSEX_SUCCESS));
  store<i64>(t, -50000000);
  show("the console kid ended", NtWaitForSingleObject(a, 0, t));
  show("its exit status", exitStatus(a));
  show("the logon kid did not", poll(b));
  store<i64>(t, -50000000);
  show("the process csrss was told of ended", NtWaitForSingleObject(c, 0, t));
  show("its exit status", exitStatus(c));
  NtTerminateProcess(b, 0); NtClose(a); NtClose(b); NtClose(c); NtClose(started.ThreadHandle);
}

/** The last step: ExitWindowsEx(EWX_POWEROFF) through csrss. */
function powerOff(dir: string): void {
  for (let i = 0; i < dir.length; i++) store<u16>(dirText + (i << 1), <u16>dir.charCodeAt(i));
  store<u16>(dirText + (dir.length << 1), 0);
  show("connect", CsrClientConnectToServer(dirText, 0, 0, 0, 0));
  // ExitWindowsEx's rule: the caller enables SeShutdownPrivilege first (csrss checks its token).
  show("power off without SeShutdownPrivilege enabled", exitWindows(EWX_POWEROFF));
  show("enable SeShutdownPrivilege", RtlAdjustPrivilege(19, true, false, privilegeWas));
  show("power off", exitWindows(EWX_POWEROFF));
}

/** Through another session's csrss: the process is in that session. */
function otherSession(dir: string): void {
  show("connect to SbApiPort", connectSb(dir));
  changetype<PROCESS_BASIC_INFORMATION>(basic).ExitStatus = 0;
  show("my session", sessionOf(0xFFFFFFFF));
  show("create process", createKid("\\SystemRoot\\System32\\csrsbkid.exe", "csrsbkid other"));
  const process = load<u32>(m + SB_API_MSG_U + SB_CREATE_PROCESS_OUT_PROCESS_HANDLE);
  show("its session", sessionOf(process));
  for (let i = 0; i < dir.length; i++) store<u16>(dirText + (i << 1), <u16>dir.charCodeAt(i));
  store<u16>(dirText + (dir.length << 1), 0);
  show("connect to its ApiPort", CsrClientConnectToServer(dirText, 0, 0, 0, 0));
  show("a console API of a csrss without the console server", writeStatic("x", -1));
  sleep(300);
  NtTerminateProcess(process, 0); NtClose(process); NtClose(load<u32>(m + SB_API_MSG_U + SB_CREATE_PROCESS_OUT_THREAD_HANDLE));
  put("session done"); flush();
}

export function main(): void {
  const w = words();
  if (w.length > 2 && w[0] == "csrsbkid") {
    // A client of csrss (`console`), or the session's logon process (`logon`).
    const dir = w[2];
    for (let i = 0; i < dir.length; i++) store<u16>(dirText + (i << 1), <u16>dir.charCodeAt(i));
    store<u16>(dirText + (dir.length << 1), 0);
    show(w[1] + " connect", CsrClientConnectToServer(dirText, 0, 0, 0, 0));
    if (w[1] == "logon") show("register as the logon process", registerLogon(myPid()));
    while (true) sleep(100000);
  }
  if (w.length > 1 && w[0] == "csrsbkid") {
    show("session", changetype<PEB>(RtlGetCurrentPeb()).SessionId);
    put(w[1]); put(" running"); flush();
    while (true) sleep(100000);
  }
  const dir = w.length > 1 ? w[1] : "\\Windows";
  if (dir.startsWith("\\Sessions\\")) { otherSession(dir); return; }
  if (w.length > 2 && w[2] == "poweroff") { powerOff(dir); return; }
  sharedSection(dir);
  sbApi(dir);
  winsrv(dir);
  put("winsrv done"); flush();
}
