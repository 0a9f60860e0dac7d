// A csrss client (test/boot/csrss.test.ts), linked as a PE32 .exe that
// imports ntdll.dll: CsrClientConnectToServer to <argv[1]>\ApiPort with the
// port view, base server APIs through CsrClientCallServer (one with a
// capture buffer), hostile messages on a connection of its own, and hard
// errors that csrss answers. Every line is "what value".
// `csrcli session`: makes a new session (SystemSessionCreate), starts a
// csrss in it, and talks to that one: its directory is \Sessions\<n>\Windows
// and it takes the session's hard errors.
import { put, putHex, putWide, flush } from "../../pe/programs/out";
import { SIZEOF_CSR_API_MESSAGE, CSR_API_MESSAGE_DATA, CSR_API_MESSAGE_STATUS, CSR_API_MESSAGE_CAPTURE_DATA, CSR_CREATE_API_NUMBER } from "../../../kernel/sdk/csr";
import { InitializeCountedString, InitializeObjectAttributes, OBJ_CASE_INSENSITIVE } from "../../../kernel/sdk/ntdef";
import { SystemExtendServiceTableInformation, SystemSessionCreate } from "../../../kernel/sdk/sysinfo";
import { RTL_USER_PROCESS_INFORMATION, SIZEOF_RTL_USER_PROCESS_INFORMATION } from "../../../kernel/sdk/sm";
import { PEB, RTL_USER_PROCESS_PARAMETERS } from "../../../kernel/sdk/peb";
import { InitializeSecurityQualityOfService, PORT_MESSAGE, SECURITY_STATIC_TRACKING, SecurityImpersonation, SIZEOF_PORT_MESSAGE, InitializePortView, InitializeRemotePortView } from "../../../kernel/sdk/lpc";

@external("ntdll", "CsrClientConnectToServer") declare function CsrClientConnectToServer(dir: usize, serverId: u32, info: usize, infoSize: usize, s2s: usize): u32;
@external("ntdll", "CsrClientCallServer") declare function CsrClientCallServer(message: usize, buffer: usize, api: u32, length: u32): u32;
@external("ntdll", "CsrAllocateCaptureBuffer") declare function CsrAllocateCaptureBuffer(count: u32, size: u32): usize;
@external("ntdll", "CsrCaptureMessageBuffer") declare function CsrCaptureMessageBuffer(buffer: usize, data: usize, length: u32, captured: usize): void;
@external("ntdll", "CsrFreeCaptureBuffer") declare function CsrFreeCaptureBuffer(buffer: usize): void;
@external("ntdll", "CsrGetProcessId") declare function CsrGetProcessId(): u32;
@external("ntdll", "NtDelayExecution") declare function NtDelayExecution(alertable: u32, interval: usize): u32;
@external("ntdll", "NtOpenSymbolicLinkObject") declare function NtOpenSymbolicLinkObject(handle: usize, access: u32, oa: usize): u32;
@external("ntdll", "NtQuerySymbolicLinkObject") declare function NtQuerySymbolicLinkObject(handle: u32, target: usize, length: usize): u32;
@external("ntdll", "NtClose") declare function NtClose(handle: u32): u32;
@external("ntdll", "NtConnectPort") declare function NtConnectPort(handle: usize, name: usize, qos: usize, clientView: usize, serverView: usize, maxMessage: usize, info: usize, infoLength: usize): u32;
@external("ntdll", "NtRequestWaitReplyPort") declare function NtRequestWaitReplyPort(port: u32, request: usize, reply: usize): u32;
@external("ntdll", "NtCreateSection") declare function NtCreateSection(handle: usize, access: u32, oa: usize, size: usize, protect: u32, attributes: u32, file: u32): u32;
@external("ntdll", "NtRaiseHardError") declare function NtRaiseHardError(status: u32, count: u32, mask: u32, parameters: usize, options: u32, response: usize): u32;
@external("ntdll", "RtlGetCurrentPeb") declare function RtlGetCurrentPeb(): usize;
@external("ntdll", "RtlAdjustPrivilege") declare function RtlAdjustPrivilege(privilege: u32, enable: u32, thread: u32, enabled: usize): u32;
@external("ntdll", "NtSetSystemInformation") declare function NtSetSystemInformation(infoClass: u32, buffer: usize, length: u32): u32;
@external("ntdll", "RtlCreateProcessParameters") declare function RtlCreateProcessParameters(result: usize, image: usize, dllPath: usize, currentDirectory: usize,
  commandLine: usize, environment: usize, title: usize, desktop: usize, shell: usize, runtime: usize): u32;
@external("ntdll", "RtlCreateUserProcess") declare function RtlCreateUserProcess(image: usize, attributes: u32, params: usize, processSd: usize, threadSd: usize,
  parent: u32, inherit: u32, debugPort: u32, exceptionPort: u32, info: usize): u32;
@external("ntdll", "NtResumeThread") declare function NtResumeThread(thread: u32, previous: usize): u32;

const BASESRV: u32 = 1;
const message = memory.data(SIZEOF_CSR_API_MESSAGE, 8);
const reply = memory.data(0x148, 8);
const connection = memory.data(16, 4), connectionSize = memory.data(4, 4), s2s = memory.data(4, 4);
const t = memory.data(8, 8);
const h = memory.data(16, 4);
const oa = memory.data(24, 4), us = memory.data(8, 4), target = memory.data(8, 4), targetText = memory.data(128, 2);
const view = memory.data(24, 4), remote = memory.data(12, 4), size = memory.data(8, 8), qos = memory.data(12, 4);
const conn = memory.data(0x24, 4), connLength = memory.data(4, 4);
const params = memory.data(20, 4), response = memory.data(4, 4), dllName = memory.data(8, 4);

function show(what: string, v: u32): void { put(what); put(" "); putHex(v); flush(); }
function wide(at: usize, s: string): usize {
  const text = changetype<usize>(s);
  InitializeCountedString(at, text, s.length << 1, s.length << 1);
  return at;
}
function attributes(name: usize): usize {
  InitializeObjectAttributes(oa, name, OBJ_CASE_INSENSITIVE, 0, 0);
  return oa;
}
function base(api: u32, length: u32, buffer: usize = 0): u32 { return CsrClientCallServer(message, buffer, CSR_CREATE_API_NUMBER(BASESRV, api), length); }

/** The object directory: the first word of the command line after the image name. */
function directory(): string {
  const params = changetype<PEB>(RtlGetCurrentPeb()).ProcessParameters;
  const chars = <i32>(changetype<RTL_USER_PROCESS_PARAMETERS>(params).CommandLine_Length >>> 1), text = changetype<RTL_USER_PROCESS_PARAMETERS>(params).CommandLine_Buffer;
  let all = "";
  for (let i = 0; i < chars; i++) all += String.fromCharCode(load<u16>(text + (i << 1)));
  const words = all.split(" ");
  return words.length > 1 ? words[1] : "\\Windows";
}

const dirText = memory.data(256, 2);
const sessionId = memory.data(4, 4), processParams = memory.data(4, 4), processInfo = memory.data(<i32>offsetof<RTL_USER_PROCESS_INFORMATION>(), 4);
const imageName = memory.data(8, 4), commandLine = memory.data(8, 4);

/** `csrcli session`: a csrss of a new session, and a client of it in that session. */
function session(): void {
  show("enable SeLoadDriverPrivilege", RtlAdjustPrivilege(10, 1, 0, response));
  show("create a session", NtSetSystemInformation(SystemSessionCreate, sessionId, 4)); // SystemSessionCreate: this process moves into it
  show("session", load<u32>(sessionId));
  // csrss, started by this process: it joins this process's session.
  wide(imageName, "\\SystemRoot\\System32\\csrss.exe");
  wide(commandLine, "csrss ObjectDirectory=\\Windows ServerDll=basesrv,1");
  show("process parameters", RtlCreateProcessParameters(processParams, imageName, 0, 0, commandLine, 0, 0, 0, 0, 0));
  changetype<RTL_USER_PROCESS_INFORMATION>(processInfo).Size = SIZEOF_RTL_USER_PROCESS_INFORMATION;
  show("start csrss", RtlCreateUserProcess(imageName, 0x40, load<usize>(processParams), 0, 0, 0, 0, 0, 0, processInfo));
  show("resume", NtResumeThread(changetype<RTL_USER_PROCESS_INFORMATION>(processInfo).ThreadHandle, 0));
  const dir = "\\Sessions\\" + load<u32>(sessionId).toString() + "\\Windows";
  for (let i = 0; i < dir.length; i++) store<u16>(dirText + (i << 1), <u16>dir.charCodeAt(i));
  store<u16>(dirText + (<u32>dir.length << 1), 0);
  let status: u32 = 0;
  for (let i = 0; i < 500; i++) {
    status = CsrClientConnectToServer(dirText, 0, 0, 0, 0);
    if (status != 0xC0000034 && status != 0xC000003A) break; // not there yet: no port, or no directory
    store<i64>(t, -100000); NtDelayExecution(0, t);
  }
  show("connect to the session's csrss", status);
  show("csrss is the one started", CsrGetProcessId() == changetype<RTL_USER_PROCESS_INFORMATION>(processInfo).ClientId_UniqueProcess ? 1 : 0);
  show("get temp file", base(2, 4));
  store<u32>(params, wide(dllName, "session.dll"));
  store<u32>(response, 0xDEAD);
  show("hard error", NtRaiseHardError(0xC0000135, 1, 1, params, 1, response));
  show("response", load<u32>(response));
  put("session done"); flush();
}

export function main(): void {
  const dir = directory();
  if (dir == "session") { session(); return; }
  for (let i = 0; i < dir.length && i < 120; i++) store<u16>(dirText + (i << 1), <u16>dir.charCodeAt(i));
  store<u16>(dirText + (<u32>(dir.length < 120 ? dir.length : 120) << 1), 0); // a PWSTR: NUL-terminated
  // Connect (csrss may still be starting): the view, then basesrv's connection step with 8 bytes of information.
  let status: u32 = 0;
  for (let i = 0; i < 500; i++) {
    store<u32>(connection, 0x12345678); store<u32>(connection, 0x9ABCDEF0, 4); store<u32>(connectionSize, 8);
    status = CsrClientConnectToServer(dirText, BASESRV, connection, connectionSize, s2s);
    if (status != 0xC0000034 && status != 0xC000003A) break; // STATUS_OBJECT_NAME_NOT_FOUND, STATUS_OBJECT_PATH_NOT_FOUND (no directory yet)
    store<i64>(t, -100000); NtDelayExecution(0, t);
  }
  show("connect", status);
  show("server to server", load<u8>(s2s));
  show("csrss process", CsrGetProcessId());
  show("connect again, csrsrv", CsrClientConnectToServer(dirText, 0, 0, 0, 0));
  // Base server APIs.
  show("get temp file", base(2, 4));
  const first = load<u32>(message + CSR_API_MESSAGE_DATA);
  show("get temp file again", base(2, 4));
  show("the second number follows the first", load<u32>(message + CSR_API_MESSAGE_DATA) == first + 1 ? 1 : 0);
  store<u32>(message + CSR_API_MESSAGE_DATA, 0x280); store<u32>(message + CSR_API_MESSAGE_DATA, 1, 4);
  show("set shutdown parameters", base(12, 8));
  store<u32>(message + CSR_API_MESSAGE_DATA, 0); store<u32>(message + CSR_API_MESSAGE_DATA, 0, 4);
  show("get shutdown parameters", base(13, 8));
  show("shutdown level", load<u32>(message + CSR_API_MESSAGE_DATA));
  show("shutdown flags", load<u32>(message + CSR_API_MESSAGE_DATA + 4));
  // DefineDosDevice("Q:", "\Device\Null", DDD_RAW_TARGET_PATH): two strings through a capture buffer in the view.
  const nameText = "Q:", targetPath = "\\Device\\Null";
  const buffer = CsrAllocateCaptureBuffer(2, (nameText.length + targetPath.length) << 1);
  const data = message + CSR_API_MESSAGE_DATA;
  store<u32>(data, 1);
  store<u16>(data + 4, <u16>(nameText.length << 1)); store<u16>(data + 6, <u16>(nameText.length << 1));
  CsrCaptureMessageBuffer(buffer, changetype<usize>(nameText), nameText.length << 1, data + 8);
  store<u16>(data + 12, <u16>(targetPath.length << 1)); store<u16>(data + 14, <u16>(targetPath.length << 1));
  CsrCaptureMessageBuffer(buffer, changetype<usize>(targetPath), targetPath.length << 1, data + 16);
  show("define Q:", base(23, 20, buffer));
  show("pointers back to mine", load<usize>(data + 8) >= buffer && load<usize>(message + CSR_API_MESSAGE_CAPTURE_DATA) == buffer ? 1 : 0);
  CsrFreeCaptureBuffer(buffer);
  status = NtOpenSymbolicLinkObject(h, 1, attributes(wide(us, "\\??\\Q:")));
  show("open \\??\\Q:", status);
  InitializeCountedString(target, targetText, 0, 128);
  if (status == 0) { NtQuerySymbolicLinkObject(load<u32>(h), target, 0); NtClose(load<u32>(h)); }
  put("\\??\\Q: -> "); putWide(targetText, load<u16>(target)); flush();
  // Remove it again (the name only: a capture buffer of one string).
  const again = CsrAllocateCaptureBuffer(1, nameText.length << 1);
  store<u32>(data, 2);
  store<u16>(data + 4, <u16>(nameText.length << 1)); store<u16>(data + 6, <u16>(nameText.length << 1));
  CsrCaptureMessageBuffer(again, changetype<usize>(nameText), nameText.length << 1, data + 8);
  store<u32>(data + 12, 0); store<u32>(data + 16, 0);
  show("remove Q:", base(23, 20, again));
  CsrFreeCaptureBuffer(again);
  show("open \\??\\Q: after the removal", NtOpenSymbolicLinkObject(h, 1, attributes(wide(us, "\\??\\Q:"))));
  show("an API below the console server's first", CsrClientCallServer(message, 0, CSR_CREATE_API_NUMBER(2, 0), 4));
  show("a base API past the last", base(200, 4));
  show("a base API csrss has not", base(3, 4)); // BasepExitProcess

  // A connection of its own, for messages ntdll would never send.
  store<i64>(size, 0x10000);
  NtCreateSection(h + 4, 0xF001F, 0, size, 0x04, 0x8000000, 0);
  InitializePortView(view, load<u32>(h, 4), 0, 0x10000);
  InitializeRemotePortView(remote);
  InitializeSecurityQualityOfService(qos, SecurityImpersonation, SECURITY_STATIC_TRACKING, false);
  memory.fill(conn, 0, 0x24); store<u32>(connLength, 0x24);
  show("raw connect", NtConnectPort(h + 8, wide(us, dir + "\\ApiPort"), qos, view, remote, 0, conn, connLength));
  const port = load<u32>(h, 8), mine = load<usize>(view, 16), theirs = load<usize>(view, 20);
  show("csrss answered with its process id", load<u32>(conn, 0x20) == CsrGetProcessId() ? 1 : 0);
  // A capture buffer outside the view.
  raw(port, 0x7FFE0000, 2, "capture buffer outside the view");
  // A capture buffer in the view whose pointer points outside it: Size 0x20, one pointer at Data+0.
  store<u32>(mine, 0x20); store<u32>(mine, 0, 4); store<u32>(mine, 1, 8); store<u32>(mine, 0, 12); store<u32>(mine, CSR_API_MESSAGE_DATA, 16);
  store<u32>(reply + CSR_API_MESSAGE_DATA, 0x12345678);
  raw(port, theirs, 2, "a captured pointer outside its buffer");
  // The same pointer offset past the message.
  store<u32>(mine, 0x100, 16);
  raw(port, theirs, 2, "a pointer offset past the message");
  // A request too short for CsrCaptureData, ApiNumber, Status and Reserved.
  // (Status lies past its end: the answer cannot carry it; csrss logs the refusal.)
  setLengths(reply, 8, 32);
  store<u32>(reply + 0x1C, CSR_CREATE_API_NUMBER(BASESRV, 5));
  store<u32>(reply + CSR_API_MESSAGE_STATUS, 0xDEAD);
  put("a request too short "); putHex(NtRequestWaitReplyPort(port, reply, reply)); put(" "); putHex(load<u32>(reply + CSR_API_MESSAGE_STATUS)); flush();
  NtClose(port);
  // No CSR_API_CONNECTINFO: refused. Without a port view: accepted, but a capture buffer has nowhere to be.
  show("connect without connection information", NtConnectPort(h + 8, wide(us, dir + "\\ApiPort"), qos, 0, 0, 0, 0, 0));
  store<u32>(connLength, 0x24);
  show("connect without a port view", NtConnectPort(h + 12, wide(us, dir + "\\ApiPort"), qos, 0, 0, 0, conn, connLength));
  raw(load<u32>(h, 12), 0x00400000, 2, "a capture buffer without a view");
  raw(load<u32>(h, 12), 0, 2, "no capture buffer, no view");
  NtClose(load<u32>(h, 12));

  // win32k.sys in this session (csrss's): csrss then shows hard errors on the session's screen too.
  show("enable SeLoadDriverPrivilege", RtlAdjustPrivilege(10, 1, 0, response));
  show("load win32k.sys", NtSetSystemInformation(SystemExtendServiceTableInformation, wide(us, "\\SystemRoot\\System32\\win32k.sys"), 8));
  // Hard errors: csrss answers with the default button.
  store<u32>(params, wide(dllName, "missing.dll"));
  store<u32>(response, 0xDEAD);
  show("hard error, OptionOk", NtRaiseHardError(0xC0000135, 1, 1, params, 1, response));
  show("response", load<u32>(response));
  store<u32>(params, 0x11); store<u32>(params, 0x22, 4);
  store<u32>(response, 0xDEAD);
  show("hard error, OptionYesNo", NtRaiseHardError(0xC0000001, 2, 0, params, 4, response));
  show("response", load<u32>(response));
  put("done"); flush();
}

/** A PORT_MESSAGE header's lengths, Type and DataInfoOffset 0. */
function setLengths(message: usize, dataLength: u32, totalLength: u32): void {
  const header = changetype<PORT_MESSAGE>(message);
  header.DataLength = <u16>dataLength; header.TotalLength = <u16>totalLength; header.Type = 0; header.DataInfoOffset = 0;
}

/** A base GetTempFile request with CsrCaptureData set by hand, on the raw port. */
function raw(port: u32, capture: usize, api: u32, what: string): void {
  setLengths(reply, 0x28 + 4 - SIZEOF_PORT_MESSAGE, 0x28 + 4);
  const header = changetype<PORT_MESSAGE>(reply);
  header.UniqueProcess = 0; header.UniqueThread = 0; header.MessageId = 0; header.ClientViewSize = 0;
  store<usize>(reply + CSR_API_MESSAGE_CAPTURE_DATA, capture);
  store<u32>(reply + 0x1C, CSR_CREATE_API_NUMBER(BASESRV, api));
  store<u32>(reply + CSR_API_MESSAGE_STATUS, 0xDEAD);
  const status = NtRequestWaitReplyPort(port, reply, reply);
  put(what); put(" "); putHex(status); put(" "); putHex(load<u32>(reply + CSR_API_MESSAGE_STATUS)); flush();
}
