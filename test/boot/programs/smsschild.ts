// A native program the smss tests list in BootExecute (built as a PE32 .exe
// by scripts/pe/link.ts): it reports what the Session Manager has made, one
// line each (`smsschild: ...`). Its first argument says what to look at:
//
//   env NAME...        the value of each variable in its environment
//   link NAME          the target of the symbolic link NAME
//   write PATH TEXT    opens PATH (a file or device) and writes TEXT to it
//   read PATH          opens PATH and shows its first bytes
//   dirs NAME...       whether each object directory opens
//   list DIR           the objects in directory DIR (name and type)
//   wait               waits for \Device\VolumesSafeForWriteAccess first, then does the rest (`wait list \KnownDlls`)
//   load DLL           LdrLoadDll(DLL) and its status
//   spawn WORDS...     runs smsschild again with WORDS (a process made now, after the wait)
//   sleep N            sleeps N x 100 ms, then says so
//   tag TEXT           just says TEXT (an entry's order in the log)
//   debugflags         the DebugFlags of its process parameters (BootExecute's `debug`)
//   smapi              a hostile \\SmApiPort client: connects without and with
//                      connection information and sends requests smss must refuse
//   subsystem [PORT] [stay]  a subsystem's side of the SM API, as csrss does it: its own
//                      port PORT (default \\Windows\\SbTestPort), a connection
//                      to \\SmApiPort naming it, smss's connection back accepted
//                      (if smss knows it as a subsystem), then ExecPgm (3) for a
//                      process it made suspended (`smsschild tag started by ExecPgm`);
//                      with `stay` it then sleeps for ever, as a subsystem does
//   dup                NtDuplicateObject between processes: an event into a child
//                      it made suspended and back, DUPLICATE_CLOSE_SOURCE in the
//                      child, a process handle without PROCESS_DUP_HANDLE

import { put, putWide, putHex, flush } from "../../pe/programs/out";
import { InitializeCountedString, InitializeObjectAttributes, IO_STATUS_BLOCK, OBJ_CASE_INSENSITIVE } from "../../../kernel/sdk/ntdef";
import { ProcessBasicInformation, PROCESS_BASIC_INFORMATION, SIZEOF_PROCESS_BASIC_INFORMATION } from "../../../kernel/sdk/procinfo";
import { RTL_USER_PROCESS_INFORMATION, SIZEOF_RTL_USER_PROCESS_INFORMATION } from "../../../kernel/sdk/sm";
import { PEB, RTL_USER_PROCESS_PARAMETERS } from "../../../kernel/sdk/peb";
import { InitializeSecurityQualityOfService, SECURITY_DYNAMIC_TRACKING, SecurityIdentification } from "../../../kernel/sdk/lpc";

@external("ntdll", "RtlGetCurrentPeb") declare function RtlGetCurrentPeb(): usize;
@external("ntdll", "RtlQueryEnvironmentVariable_U") declare function RtlQueryEnvironmentVariable_U(environment: usize, name: usize, value: usize): u32;
@external("ntdll", "NtOpenSymbolicLinkObject") declare function NtOpenSymbolicLinkObject(handle: usize, access: u32, oa: usize): u32;
@external("ntdll", "NtQuerySymbolicLinkObject") declare function NtQuerySymbolicLinkObject(handle: u32, target: usize, length: usize): u32;
@external("ntdll", "NtOpenDirectoryObject") declare function NtOpenDirectoryObject(handle: usize, access: u32, oa: usize): u32;
@external("ntdll", "NtQueryDirectoryObject") declare function NtQueryDirectoryObject(handle: u32, buffer: usize, length: u32, single: u32, restart: u32, context: usize, returned: usize): u32;
@external("ntdll", "NtCreateFile") declare function NtCreateFile(file: usize, access: u32, oa: usize, iosb: usize, allocation: usize, attributes: u32,
  share: u32, disposition: u32, options: u32, ea: usize, eaLength: u32): u32;
@external("ntdll", "NtWriteFile") declare function NtWriteFile(file: u32, event: u32, apc: usize, context: usize, iosb: usize, buffer: usize, length: u32, offset: usize, key: usize): u32;
@external("ntdll", "NtReadFile") declare function NtReadFile(file: u32, event: u32, apc: usize, context: usize, iosb: usize, buffer: usize, length: u32, offset: usize, key: usize): u32;
@external("ntdll", "NtOpenEvent") declare function NtOpenEvent(handle: usize, access: u32, oa: usize): u32;
@external("ntdll", "NtWaitForSingleObject") declare function NtWaitForSingleObject(handle: u32, alertable: u32, timeout: usize): u32;
@external("ntdll", "NtDelayExecution") declare function NtDelayExecution(alertable: u32, interval: usize): u32;
@external("ntdll", "NtClose") declare function NtClose(handle: u32): u32;
@external("ntdll", "RtlCreateProcessParameters") declare function RtlCreateProcessParameters(result: usize, image: usize, dllPath: usize, currentDirectory: usize,
  commandLine: usize, environment: usize, title: usize, desktop: usize, shell: usize, runtime: usize): u32;
@external("ntdll", "RtlCreateUserProcess") declare function RtlCreateUserProcess(image: usize, attributes: u32, params: usize, processSd: usize, threadSd: usize,
  parent: u32, inherit: bool, debugPort: u32, exceptionPort: u32, info: usize): u32;
@external("ntdll", "NtResumeThread") declare function NtResumeThread(thread: u32, previous: usize): u32;
@external("ntdll", "LdrLoadDll") declare function LdrLoadDll(path: usize, characteristics: usize, name: usize, handle: usize): u32;
@external("ntdll", "NtConnectPort") declare function NtConnectPort(handle: usize, name: usize, qos: usize, clientView: usize, serverView: usize,
  maxMessage: usize, info: usize, infoLength: usize): u32;
@external("ntdll", "NtRequestWaitReplyPort") declare function NtRequestWaitReplyPort(port: u32, request: usize, reply: usize): u32;
@external("ntdll", "NtCreateEvent") declare function NtCreateEvent(handle: usize, access: u32, oa: usize, type: u32, initial: u32): u32;
@external("ntdll", "NtSetEvent") declare function NtSetEvent(handle: u32, previous: usize): u32;
@external("ntdll", "NtDuplicateObject") declare function NtDuplicateObject(sourceProcess: u32, source: u32, targetProcess: u32, target: usize, access: u32, attributes: u32, options: u32): u32;
@external("ntdll", "NtOpenProcess") declare function NtOpenProcess(handle: usize, access: u32, oa: usize, cid: usize): u32;
@external("ntdll", "NtCreatePort") declare function NtCreatePort(handle: usize, oa: usize, maxConnectionInfo: u32, maxMessage: u32, maxPool: u32): u32;
@external("ntdll", "NtReplyWaitReceivePortEx") declare function NtReplyWaitReceivePortEx(port: u32, context: usize, reply: usize, receive: usize, timeout: usize): u32;
@external("ntdll", "NtAcceptConnectPort") declare function NtAcceptConnectPort(handle: usize, context: usize, message: usize, accept: u32, serverView: usize, clientView: usize): u32;
@external("ntdll", "NtCompleteConnectPort") declare function NtCompleteConnectPort(port: u32): u32;
@external("ntdll", "NtTerminateProcess") declare function NtTerminateProcess(process: u32, status: u32): u32;
@external("ntdll", "NtQueryInformationProcess") declare function NtQueryInformationProcess(process: u32, infoClass: u32, buffer: usize, length: u32, returned: usize): u32;

const words = new Array<string>();
const oa = memory.data(24, 4), us = memory.data(8, 4), us2 = memory.data(8, 4), handle = memory.data(4, 4), iosb = memory.data(8, 4);
const buffer = memory.data(4096, 4), context = memory.data(4, 4), interval = memory.data(8, 8);

function unicode(u: usize, s: string): usize {
  InitializeCountedString(u, changetype<usize>(s), s.length << 1, s.length << 1);
  return u;
}
function attributes(name: string): usize {
  InitializeObjectAttributes(oa, unicode(us, name), OBJ_CASE_INSENSITIVE, 0, 0);
  return oa;
}

function env(name: string): void {
  InitializeCountedString(us2, buffer, 0, 2000);
  const status = RtlQueryEnvironmentVariable_U(0, unicode(us, name), us2);
  put("env "); put(name); put("=");
  if (status == 0) putWide(buffer, load<u16>(us2)); else { put("(missing) "); putHex(status); }
  flush();
}

function link(name: string): void {
  let status = NtOpenSymbolicLinkObject(handle, 1, attributes(name));
  put("link "); put(name);
  if (status == 0) {
    InitializeCountedString(us2, buffer, 0, 2000);
    status = NtQuerySymbolicLinkObject(load<u32>(handle), us2, 0);
    NtClose(load<u32>(handle));
  }
  if (status == 0) { put(" -> "); putWide(buffer, load<u16>(us2)); } else { put(" failed "); putHex(status); }
  flush();
}

function open(path: string, access: u32, disposition: u32): u32 {
  return NtCreateFile(handle, access | 0x100000, attributes(path), iosb, 0, 0x80, 3, disposition, 0x60, 0, 0);
}

function write(path: string, text: string): void {
  let status = open(path, 0x40000000 /* GENERIC_WRITE */, 1 /* FILE_OPEN */);
  if (status == 0) {
    const bytes = buffer + 2048;
    for (let i = 0; i < text.length; i++) store<u8>(bytes + i, <u8>text.charCodeAt(i));
    store<u8>(bytes + text.length, 10);
    status = NtWriteFile(load<u32>(handle), 0, 0, 0, iosb, bytes, text.length + 1, 0, 0);
    NtClose(load<u32>(handle));
  }
  put("write "); put(path); put(" "); putHex(status); flush();
}

function read(path: string): void {
  let status = open(path, 0x80000000 /* GENERIC_READ */, 1);
  let n: u32 = 0;
  if (status == 0) {
    status = NtReadFile(load<u32>(handle), 0, 0, 0, iosb, buffer, 64, 0, 0);
    if (status == 0) n = changetype<IO_STATUS_BLOCK>(iosb).Information;
    NtClose(load<u32>(handle));
  }
  put("read "); put(path); put(" "); putHex(status); put(" ");
  for (let i: u32 = 0; i < n; i++) { const c = load<u8>(buffer + i); if (c >= 32 && c < 127) put(String.fromCharCode(c, -1)); }
  flush();
}

function dir(name: string): void {
  const status = NtOpenDirectoryObject(handle, 1, attributes(name));
  if (status == 0) NtClose(load<u32>(handle));
  put("dir "); put(name); put(" "); putHex(status); flush();
}

function list(name: string): void {
  let status = NtOpenDirectoryObject(handle, 3, attributes(name));
  put("list "); put(name);
  if (status == 0) {
    store<u32>(context, 0);
    status = NtQueryDirectoryObject(load<u32>(handle), buffer, 4096, 0, 1, context, 0);
    NtClose(load<u32>(handle));
    // OBJECT_DIRECTORY_INFORMATION: Name, TypeName (UNICODE_STRINGs), until an empty entry.
    for (let e = buffer; status == 0 && load<u16>(e) != 0; e += 16) {
      put(" "); putWide(load<usize>(e, 4), load<u16>(e)); put(":"); putWide(load<usize>(e, 12), load<u16>(e, 8));
    }
  }
  if (status != 0) { put(" failed "); putHex(status); }
  flush();
}

const message = memory.data(0x130, 4), qos = memory.data(12, 4), connectInfo = memory.data(0xF4, 4), infoLength = memory.data(4, 4);

/** Sends SM_API_MSG `api` with `dataLength` bytes after the header on `port`; shows what came back. */
function smRequest(port: u32, what: string, api: u32, dataLength: u32): void {
  memory.fill(message, 0, 0x130);
  store<u16>(message, <u16>dataLength);            // DataLength
  store<u16>(message, <u16>(dataLength + 24), 2);  // TotalLength
  store<u32>(message, api, 0x18);
  store<u32>(message, 0xDEADBEEF, 0x1C);
  const status = NtRequestWaitReplyPort(port, message, message);
  put("smapi "); put(what); put(" ApiNumber "); putHex(api); put(" -> "); putHex(status); put(" ReturnValue "); putHex(load<u32>(message, 0x1C)); flush();
}

function smapi(): void {
  InitializeSecurityQualityOfService(qos, SecurityIdentification, SECURITY_DYNAMIC_TRACKING, true);
  // Without connection information.
  let status = NtConnectPort(handle, unicode(us, "\\SmApiPort"), qos, 0, 0, 0, 0, 0);
  put("smapi connect without information "); putHex(status); flush();
  if (status == 0) {
    const port = load<u32>(handle);
    smRequest(port, "plain", 7, 0x130 - 24);
    smRequest(port, "plain", 0xFFFFFFFF, 0x130 - 24);
    smRequest(port, "plain", 1, 0x130 - 24);
    smRequest(port, "plain", 3, 0x130 - 24);
    smRequest(port, "short", 1, 4);
    NtClose(port);
  }
  // With a subsystem's connection information (type 2, a port of its own): still not a subsystem smss started.
  memory.fill(connectInfo, 0, 0xF4);
  store<u32>(connectInfo, 2);
  const name = "\\Fake\\SbApiPort";
  for (let i = 0; i < name.length; i++) store<u16>(connectInfo + 4 + (i << 1), <u16>name.charCodeAt(i));
  store<u32>(infoLength, 0xF4);
  status = NtConnectPort(handle, unicode(us, "\\SmApiPort"), qos, 0, 0, 0, connectInfo, infoLength);
  put("smapi connect with information "); putHex(status); flush();
  if (status == 0) {
    const port = load<u32>(handle);
    smRequest(port, "typed", 0, 0x130 - 24);
    smRequest(port, "typed", 2, 0x130 - 24);
    NtClose(port);
  }
}

const sbPort = memory.data(4, 4), sbServer = memory.data(4, 4), sbMessage = memory.data(0x110, 4), execInfo = memory.data(<i32>offsetof<RTL_USER_PROCESS_INFORMATION>(), 4);
const execParams = memory.data(4, 4), execImage = memory.data(8, 4), execLine = memory.data(8, 4), execBasic = memory.data(<i32>offsetof<PROCESS_BASIC_INFORMATION>(), 4);

/** A subsystem's side of the SM API (see the list at the top). */
function subsystem(portName: string): void {
  let status = NtCreatePort(sbPort, attributes(portName), 0xF4, 0x110, 0);
  put("subsystem port "); putHex(status); flush();
  InitializeSecurityQualityOfService(qos, SecurityIdentification, SECURITY_DYNAMIC_TRACKING, true);
  memory.fill(connectInfo, 0, 0xF4);
  store<u32>(connectInfo, 2); // IMAGE_SUBSYSTEM_WINDOWS_GUI, as csrss
  for (let i = 0; i < portName.length; i++) store<u16>(connectInfo + 4 + (i << 1), <u16>portName.charCodeAt(i));
  store<u32>(infoLength, 0xF4);
  status = NtConnectPort(handle, unicode(us, "\\SmApiPort"), qos, 0, 0, 0, connectInfo, infoLength);
  put("subsystem connect "); putHex(status); flush();
  if (status != 0) return;
  const port = load<u32>(handle);
  // smss connects back to a subsystem it started; anyone else waits in vain (2 s).
  store<i64>(interval, -20000000);
  status = NtReplyWaitReceivePortEx(load<u32>(sbPort), 0, 0, sbMessage, interval);
  if (status == 0 && (load<u16>(sbMessage, 4) & 0xFF) == 10) {
    status = NtAcceptConnectPort(sbServer, 0, sbMessage, 1, 0, 0);
    if (status == 0) status = NtCompleteConnectPort(load<u32>(sbServer));
    put("subsystem: smss connected back, accepted "); putHex(status); flush();
  } else { put("subsystem: no connection back "); putHex(status); flush(); }
  // A process made suspended, which ExecPgm hands to smss to let run.
  const image = "\\??\\C:\\Windows\\System32\\smsschild.exe";
  status = RtlCreateProcessParameters(execParams, unicode(execImage, image), 0, 0, unicode(execLine, "smsschild tag started by ExecPgm"), 0, 0, 0, 0, 0);
  memory.fill(execInfo, 0, SIZEOF_RTL_USER_PROCESS_INFORMATION); changetype<RTL_USER_PROCESS_INFORMATION>(execInfo).Size = SIZEOF_RTL_USER_PROCESS_INFORMATION;
  if (status == 0) status = RtlCreateUserProcess(execImage, 0x40, load<usize>(execParams), 0, 0, 0, false, 0, 0, execInfo);
  put("subsystem: suspended process "); putHex(status); flush();
  if (status != 0) return;
  memory.fill(message, 0, 0x130);
  store<u16>(message, <u16>(0x130 - 24)); store<u16>(message, <u16>0x130, 2);
  store<u32>(message, 3, 0x18);                // SmpExecPgmApi
  store<u32>(message, 0xDEADBEEF, 0x1C);
  memory.copy(message + 0x20, execInfo, SIZEOF_RTL_USER_PROCESS_INFORMATION);  // SM_EXEC_PGM_MSG.ProcessInformation; DebugFlag (+0x44) FALSE
  status = NtRequestWaitReplyPort(port, message, message);
  const returned = load<u32>(message, 0x1C);
  put("subsystem ExecPgm -> "); putHex(status); put(" ReturnValue "); putHex(returned); flush();
  const process = changetype<RTL_USER_PROCESS_INFORMATION>(execInfo).ProcessHandle;
  if (status != 0 || returned != 0) NtTerminateProcess(process, 0xC0000022);
  store<i64>(interval, -100000000);
  const waited = NtWaitForSingleObject(process, 0, interval);
  NtQueryInformationProcess(process, ProcessBasicInformation, execBasic, SIZEOF_PROCESS_BASIC_INFORMATION, 0);
  put("subsystem: the process ExecPgm named ended "); putHex(waited); put(" with "); putHex(changetype<PROCESS_BASIC_INFORMATION>(execBasic).ExitStatus); flush();
  NtClose(process); NtClose(changetype<RTL_USER_PROCESS_INFORMATION>(execInfo).ThreadHandle);
  NtClose(port);
}

const dupEvent = memory.data(4, 4), dupChild = memory.data(4, 4), dupBack = memory.data(4, 4), dupSelf = memory.data(4, 4), dupCid = memory.data(8, 4);
const dupOa = memory.data(24, 4), dupInfo = memory.data(<i32>offsetof<RTL_USER_PROCESS_INFORMATION>(), 4);

/** NtDuplicateObject from and into another process (see the list at the top). */
function dup(): void {
  const SELF: u32 = 0xFFFFFFFF, SAME_ACCESS: u32 = 2, CLOSE_SOURCE: u32 = 1;
  NtCreateEvent(dupEvent, 0x1F0003, 0, 0, 0); // a notification event, not signalled
  const event = load<u32>(dupEvent);
  const image = "\\??\\C:\\Windows\\System32\\smsschild.exe";
  let status = RtlCreateProcessParameters(execParams, unicode(execImage, image), 0, 0, unicode(execLine, "smsschild tag never runs"), 0, 0, 0, 0, 0);
  memory.fill(dupInfo, 0, SIZEOF_RTL_USER_PROCESS_INFORMATION); changetype<RTL_USER_PROCESS_INFORMATION>(dupInfo).Size = SIZEOF_RTL_USER_PROCESS_INFORMATION;
  if (status == 0) status = RtlCreateUserProcess(execImage, 0x40, load<usize>(execParams), 0, 0, 0, false, 0, 0, dupInfo);
  put("dup: a suspended child "); putHex(status); flush();
  if (status != 0) return;
  const child = changetype<RTL_USER_PROCESS_INFORMATION>(dupInfo).ProcessHandle;
  status = NtDuplicateObject(SELF, event, child, dupChild, 0, 0, SAME_ACCESS);
  put("dup: into the child "); putHex(status); flush();
  status = NtDuplicateObject(child, load<u32>(dupChild), SELF, dupBack, 0, 0, SAME_ACCESS | CLOSE_SOURCE);
  put("dup: back from the child, closing its copy "); putHex(status); flush();
  NtSetEvent(load<u32>(dupBack), 0);
  store<i64>(interval, 0);
  put("dup: the event set through the copy is signalled "); putHex(NtWaitForSingleObject(event, 0, interval)); flush();
  put("dup: the child's copy again "); putHex(NtDuplicateObject(child, load<u32>(dupChild), SELF, dupBack, 0, 0, SAME_ACCESS)); flush();
  // Its own process by id, with PROCESS_QUERY_INFORMATION only: no handle may be taken from it.
  InitializeObjectAttributes(dupOa, 0, 0, 0, 0);
  NtQueryInformationProcess(SELF, ProcessBasicInformation, execBasic, SIZEOF_PROCESS_BASIC_INFORMATION, 0);
  store<u32>(dupCid, changetype<PROCESS_BASIC_INFORMATION>(execBasic).UniqueProcessId); store<u32>(dupCid, 0, 4);
  status = NtOpenProcess(dupSelf, 0x0400, dupOa, dupCid);
  put("dup: open itself for query only "); putHex(status); put(", duplicate from it "); putHex(NtDuplicateObject(load<u32>(dupSelf), event, SELF, dupBack, 0, 0, SAME_ACCESS)); flush();
  NtTerminateProcess(child, 0x1234);
  NtClose(child); NtClose(changetype<RTL_USER_PROCESS_INFORMATION>(dupInfo).ThreadHandle);
}

function number(s: string): i64 {
  let v: i64 = 0;
  for (let i = 0; i < s.length; i++) v = v * 10 + (s.charCodeAt(i) - 48);
  return v;
}

export function main(): void {
  const params = changetype<PEB>(RtlGetCurrentPeb()).ProcessParameters;
  const line = String.UTF16.decodeUnsafe(changetype<RTL_USER_PROCESS_PARAMETERS>(params).CommandLine_Buffer, changetype<RTL_USER_PROCESS_PARAMETERS>(params).CommandLine_Length);
  const all = line.split(" ", i32.MAX_VALUE);
  for (let i = 0; i < all.length; i++) if (all[i].length != 0) words.push(all[i]);
  let at = 1; // words[0] is the program
  if (at < words.length && words[at] == "wait") {
    const status = NtOpenEvent(handle, 0x100000, attributes("\\Device\\VolumesSafeForWriteAccess"));
    if (status == 0) { NtWaitForSingleObject(load<u32>(handle), 0, 0); NtClose(load<u32>(handle)); }
    put("waited for VolumesSafeForWriteAccess "); putHex(status); flush();
    at++;
  }
  if (at >= words.length) return;
  const what = words[at];
  if (what == "env") for (let i = at + 1; i < words.length; i++) env(words[i]);
  else if (what == "link") link(words[at + 1]);
  else if (what == "debugflags") { put("debugflags "); putHex(changetype<RTL_USER_PROCESS_PARAMETERS>(changetype<PEB>(RtlGetCurrentPeb()).ProcessParameters).DebugFlags); flush(); }
  else if (what == "write") write(words[at + 1], words.slice(at + 2, words.length).join(" "));
  else if (what == "read") read(words[at + 1]);
  else if (what == "dirs") for (let i = at + 1; i < words.length; i++) dir(words[i].replaceAll("+", " ")); // `\RPC+Control`
  else if (what == "list") list(words[at + 1]);
  else if (what == "sleep") {
    store<i64>(interval, -number(words[at + 1]) * 1000000);
    NtDelayExecution(0, interval);
    put("slept "); put(words[at + 1]); flush();
  } else if (what == "tag") { put("tag "); put(words.slice(at + 1, words.length).join(" ")); flush(); }
  else if (what == "smapi") smapi();
  else if (what == "dup") dup();
  else if (what == "subsystem") {
    let port = "\\Windows\\SbTestPort", stay = false;
    for (let i = at + 1; i < words.length; i++) { if (words[i] == "stay") stay = true; else if (words[i].startsWith("\\")) port = words[i]; }
    subsystem(port);
    // A subsystem smss watches must not end (its end is fatal once sessions are watched).
    if (stay) { store<i64>(interval, 0x8000000000000000); while (true) NtDelayExecution(0, interval); }
  }
  else if (what == "spawn") {
    const image = "\\??\\C:\\Windows\\System32\\smsschild.exe";
    const command = "smsschild " + words.slice(at + 1, words.length).join(" ");
    const params = memory.data(4, 4), info = memory.data(<i32>offsetof<RTL_USER_PROCESS_INFORMATION>(), 4), u1 = memory.data(8, 4), u2 = memory.data(8, 4);
    let status = RtlCreateProcessParameters(params, unicode(u1, image), 0, 0, unicode(u2, command), 0, 0, 0, 0, 0);
    if (status == 0) status = RtlCreateUserProcess(u1, 0x40, load<usize>(params), 0, 0, 0, false, 0, 0, info);
    const started = changetype<RTL_USER_PROCESS_INFORMATION>(info);
    if (status == 0) { NtResumeThread(started.ThreadHandle, 0); NtWaitForSingleObject(started.ProcessHandle, 0, 0); }
    put("spawn "); putHex(status); flush();
  }
  else if (what == "load") {
    const status = LdrLoadDll(0, 0, unicode(us, words[at + 1]), handle);
    put("load "); put(words[at + 1]); put(" "); putHex(status); flush();
  }
}
