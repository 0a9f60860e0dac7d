// The sessions tests' program (a PE32 .exe, test/boot/sessions.test.ts),
// three programs in one, told apart by its command line:
//
//   ... ObjectDirectory=...   a minimal Windows subsystem standing in for
//                             csrss.exe: says its command line, creates its
//                             SbApiPort and a thread serving it, connects to
//                             \SmApiPort with SB_CONNECTION_INFO, stays up
//   winlogon.exe / wininit.exe  a stand-in initial command: says it started, stays up
//   smsession ACTIONS...      the test driver, run from BootExecute (async):
//     await N                 until N processes named winlogon.exe run and
//                             only one smss.exe does (polls every 100 ms)
//     tree                    one line per process: name, pid, parent, session
//     kill NAME K STATUS      ends the K-th process named NAME with STATUS (hex)
//     winstation              asks \SmSsWinStationApiPort for a session
//     uncritical              clears smss.exe's critical flag
//     uncriticalthread        clears its main thread's
//     killsmss                ends smss.exe

import { put, putWide, putHex, putDec, flush } from "../../pe/programs/out";
import { InitializeCountedString, InitializeObjectAttributes, OBJ_CASE_INSENSITIVE } from "../../../kernel/sdk/ntdef";
import {
  ProcessBasicInformation, ProcessBreakOnTermination, ProcessSessionInformation, ThreadBreakOnTermination, PROCESS_BASIC_INFORMATION, SIZEOF_PROCESS_BASIC_INFORMATION,
} from "../../../kernel/sdk/procinfo";
import { SystemProcessInformation } from "../../../kernel/sdk/sysinfo";
import { PEB, RTL_USER_PROCESS_PARAMETERS } from "../../../kernel/sdk/peb";
import { InitializeSecurityQualityOfService, SECURITY_DYNAMIC_TRACKING, SecurityIdentification } from "../../../kernel/sdk/lpc";

@external("ntdll", "RtlGetCurrentPeb") declare function RtlGetCurrentPeb(): usize;
@external("ntdll", "NtDelayExecution") declare function NtDelayExecution(alertable: u32, interval: usize): u32;
@external("ntdll", "NtClose") declare function NtClose(handle: u32): u32;
@external("ntdll", "NtCreatePort") declare function NtCreatePort(handle: usize, oa: usize, maxConnectionInfo: u32, maxMessage: u32, maxPool: u32): u32;
@external("ntdll", "NtConnectPort") declare function NtConnectPort(handle: usize, name: usize, qos: usize, clientView: usize, serverView: usize,
  maxMessage: usize, info: usize, infoLength: usize): u32;
@external("ntdll", "NtReplyWaitReceivePort") declare function NtReplyWaitReceivePort(port: u32, context: usize, reply: usize, receive: usize): u32;
@external("ntdll", "NtAcceptConnectPort") declare function NtAcceptConnectPort(handle: usize, context: usize, message: usize, accept: bool, serverView: usize, clientView: usize): u32;
@external("ntdll", "NtCompleteConnectPort") declare function NtCompleteConnectPort(port: u32): u32;
@external("ntdll", "NtRequestWaitReplyPort") declare function NtRequestWaitReplyPort(port: u32, request: usize, reply: usize): u32;
@external("ntdll", "NtQuerySystemInformation") declare function NtQuerySystemInformation(cls: u32, info: usize, length: u32, result: usize): u32;
@external("ntdll", "NtQueryInformationProcess") declare function NtQueryInformationProcess(process: u32, cls: u32, info: usize, length: u32, result: usize): u32;
@external("ntdll", "NtSetInformationProcess") declare function NtSetInformationProcess(process: u32, cls: u32, info: usize, length: u32): u32;
@external("ntdll", "NtOpenProcess") declare function NtOpenProcess(handle: usize, access: u32, oa: usize, clientId: usize): u32;
@external("ntdll", "NtTerminateProcess") declare function NtTerminateProcess(process: u32, status: u32): u32;
@external("ntdll", "RtlAdjustPrivilege") declare function RtlAdjustPrivilege(privilege: u32, enable: bool, currentThread: bool, enabled: usize): u32;
@external("ntdll", "RtlCreateUserThread") declare function RtlCreateUserThread(process: u32, sd: usize, suspended: bool, zeroBits: u32,
  maximumStack: u32, committedStack: u32, start: usize, parameter: usize, thread: usize, clientId: usize): u32;
@external("ntdll", "NtOpenThread") declare function NtOpenThread(handle: usize, access: u32, oa: usize, clientId: usize): u32;
@external("ntdll", "NtSetInformationThread") declare function NtSetInformationThread(thread: u32, cls: u32, info: usize, length: u32): u32;
@external("kernel", "func_address") declare function func_address(slot: u32): usize;

const oa = memory.data(24, 4), us = memory.data(8, 4), handle = memory.data(4, 4), qos = memory.data(12, 4), cid = memory.data(8, 4);
const interval = memory.data(8, 8), info = memory.data(<i32>offsetof<PROCESS_BASIC_INFORMATION>(), 4), value = memory.data(4, 4), sbPort = memory.data(4, 4);
const message = memory.data(0x130, 4), sbMessage = memory.data(0x110, 4), sbContext = memory.data(4, 4), sbAccepted = memory.data(4, 4);
const processes = memory.data(0x20000, 8);

function unicode(u: usize, s: string): usize {
  InitializeCountedString(u, changetype<usize>(s), s.length << 1, s.length << 1);
  return u;
}
function attributes(name: string): usize {
  InitializeObjectAttributes(oa, name.length != 0 ? unicode(us, name) : 0, OBJ_CASE_INSENSITIVE, 0, 0);
  return oa;
}
function setQos(): usize { InitializeSecurityQualityOfService(qos, SecurityIdentification, SECURITY_DYNAMIC_TRACKING, true); return qos; }
function sleep(ms: i64): void { store<i64>(interval, -ms * 10000); NtDelayExecution(0, interval); }
function sleepForever(): void { while (true) sleep(1000000); }
function hex(s: string): u32 {
  let v: u32 = 0;
  for (let i = 0; i < s.length; i++) { const c = s.charCodeAt(i); v = (v << 4) | <u32>(c <= 57 ? c - 48 : (c | 0x20) - 87); }
  return v;
}
function dec(s: string): i32 { let v = 0; for (let i = 0; i < s.length; i++) v = v * 10 + s.charCodeAt(i) - 48; return v; }
function mySession(): u32 { store<u32>(value, 0xFFFF); NtQueryInformationProcess(0xFFFFFFFF, ProcessSessionInformation, value, 4, 0); return load<u32>(value); }
function myParent(): u32 { NtQueryInformationProcess(0xFFFFFFFF, ProcessBasicInformation, info, SIZEOF_PROCESS_BASIC_INFORMATION, 0); return changetype<PROCESS_BASIC_INFORMATION>(info).InheritedFromUniqueProcessId; }
function myPid(): u32 { NtQueryInformationProcess(0xFFFFFFFF, ProcessBasicInformation, info, SIZEOF_PROCESS_BASIC_INFORMATION, 0); return changetype<PROCESS_BASIC_INFORMATION>(info).UniqueProcessId; }

// ---- the subsystem stand-in ----
function sbLoop(parameter: usize): void {
  let reply: usize = 0;
  while (true) {
    const status = NtReplyWaitReceivePort(load<u32>(sbPort), sbContext, reply, sbMessage);
    reply = 0;
    if (status != 0) continue;
    const type = <u32>load<u16>(sbMessage, 4) & 0xFF;
    if (type == 10 /* LPC_CONNECTION_REQUEST */) {
      const accepted = NtAcceptConnectPort(sbAccepted, 0, sbMessage, true, 0, 0);
      if (accepted == 0) NtCompleteConnectPort(load<u32>(sbAccepted));
      put("SbApiPort: connection from process "); putDec(load<u32>(sbMessage, 8)); put(" "); putHex(accepted); flush();
      continue;
    }
    if (type != 1 /* LPC_REQUEST */) continue;
    put("SbApiPort: request "); putDec(load<u32>(sbMessage, 0x18)); flush();
    store<u32>(sbMessage, 0, 0x1C);
    reply = sbMessage;
  }
}

function subsystem(line: string, words: string[]): void {
  const session = mySession();
  put("command line "); put(line); flush();
  put("session "); putDec(session); put(" parent "); putDec(myParent()); flush();
  let directory = "\\Windows";
  for (let i = 1; i < words.length; i++) if (words[i].startsWith("ObjectDirectory=")) directory = words[i].slice(16);
  if (session != 0) directory = "\\Sessions\\" + session.toString() + "\\Windows";
  let name = directory + "\\SbApiPort";
  let status = NtCreatePort(sbPort, attributes(name), 0xF4, 0x110, 16 * 0x110);
  if (status != 0) { name = "\\Windows\\SbApiPort-" + myPid().toString(); status = NtCreatePort(sbPort, attributes(name), 0xF4, 0x110, 16 * 0x110); }
  put("SbApiPort "); put(name); put(" "); putHex(status); flush();
  const loop: (p: usize) => void = sbLoop;
  if (load<u32>(value) == 0x12345678) loop(0);
  status = RtlCreateUserThread(0xFFFFFFFF, 0, false, 0, 0, 0, func_address(load<u32>(changetype<usize>(loop))), 0, handle, 0);
  // SB_CONNECTION_INFO: SubsystemType 2 (IMAGE_SUBSYSTEM_WINDOWS_GUI), SbApiPortName.
  const connection = memory.data(0xF4, 4), length = memory.data(4, 4);
  memory.fill(connection, 0, 0xF4);
  store<u32>(connection, 2);
  for (let i = 0; i < name.length; i++) store<u16>(connection + 4 + (i << 1), <u16>name.charCodeAt(i));
  store<u32>(length, 0xF4);
  status = NtConnectPort(handle, unicode(us, "\\SmApiPort"), setQos(), 0, 0, 0, connection, length);
  put("connected to \\SmApiPort "); putHex(status); flush();
  sleepForever();
}

// ---- the test driver ----
/** The process list; how many processes named `name`, and the pid of the `k`-th (1-based) in `found`. */
let found: u32 = 0, foundThread: u32 = 0;
function scan(name: string, k: i32, show: bool): i32 {
  found = 0;
  const status = NtQuerySystemInformation(SystemProcessInformation, processes, 0x20000, 0);
  if (status != 0) { put("NtQuerySystemInformation "); putHex(status); flush(); return -1; }
  let at = processes;
  let count = 0;
  while (true) {
    const nameLength = <u32>load<u16>(at, 0x38), nameBuffer = load<usize>(at, 0x3C);
    const pid = load<u32>(at, 0x44);
    if (show) {
      put("process "); if (nameLength != 0) putWide(nameBuffer, nameLength); else put("(idle)");
      put(" pid "); putDec(pid); put(" parent "); putDec(load<u32>(at, 0x48)); put(" session "); putDec(load<u32>(at, 0x50)); flush();
    }
    if (nameLength == <u32>(name.length << 1) && String.UTF16.decodeUnsafe(nameBuffer, nameLength) == name) {
      count++;
      if (count == k) { found = pid; foundThread = load<u32>(at, 0xB8 + 0x24); }
    }
    const next = load<u32>(at);
    if (next == 0) break;
    at += next;
  }
  return count;
}

function open(pid: u32, access: u32): u32 {
  store<u32>(cid, pid); store<u32>(cid, 0, 4);
  const status = NtOpenProcess(handle, access, attributes(""), cid);
  return status == 0 ? load<u32>(handle) : 0;
}

function winstation(): void {
  memory.fill(message, 0, 0x40);
  // smss makes the port when it starts waiting on session 1 (step 7): until then, try again (10 s at most).
  let status: u32 = 0;
  for (let tries = 0; tries < 100; tries++) {
    status = NtConnectPort(handle, unicode(us, "\\SmSsWinStationApiPort"), setQos(), 0, 0, 0, 0, 0);
    if (status != 0xC0000034) break; // STATUS_OBJECT_NAME_NOT_FOUND
    sleep(100);
  }
  put("winstation connect "); putHex(status); flush();
  if (status != 0) return;
  const port = load<u32>(handle);
  store<u16>(message, 0x40 - 24); store<u16>(message, 0x40, 2);
  status = NtRequestWaitReplyPort(port, message, message);
  put("winstation "); putHex(status); put(" return "); putHex(load<u32>(message, 0x1C)); put(" session "); putDec(load<u32>(message, 0x20));
  put(" csrss "); putDec(load<u32>(message, 0x24)); put(" winlogon "); putDec(load<u32>(message, 0x28)); flush();
  // An unknown ApiNumber is refused.
  memory.fill(message, 0, 0x40);
  store<u16>(message, 0x40 - 24); store<u16>(message, 0x40, 2); store<u32>(message, 7, 0x18);
  status = NtRequestWaitReplyPort(port, message, message);
  put("winstation api 7 "); putHex(status); put(" return "); putHex(load<u32>(message, 0x1C)); flush();
  NtClose(port);
}

function driver(words: string[]): void {
  RtlAdjustPrivilege(20 /* SeDebugPrivilege */, true, false, value);
  let i = 1;
  while (i < words.length) {
    const what = words[i++];
    if (what == "await") {
      const n = dec(words[i++]);
      while (!(scan("winlogon.exe", 0, false) >= n && scan("smss.exe", 0, false) == 1)) sleep(100);
      put("await "); putDec(n); put(" done"); flush();
    } else if (what == "tree") scan("", 0, true);
    else if (what == "kill") {
      const name = words[i++], k = dec(words[i++]), status = hex(words[i++]);
      scan(name, k, false);
      const h = open(found, 0x1 /* PROCESS_TERMINATE */);
      put("kill "); put(name); put(" "); putDec(found); put(" "); putHex(h != 0 ? NtTerminateProcess(h, status) : 0xFFFFFFFF); flush();
      if (h != 0) NtClose(h);
    } else if (what == "winstation") winstation();
    else if (what == "uncriticalthread") {
      // smss's main thread is critical too (its first thread record: ClientId at +0x20 of SYSTEM_THREAD_INFORMATION).
      scan("smss.exe", 1, false);
      store<u32>(cid, found); store<u32>(cid, foundThread, 4);
      let status = NtOpenThread(handle, 0x20 /* THREAD_SET_INFORMATION */, attributes(""), cid);
      if (status == 0) { store<u32>(value, 0); status = NtSetInformationThread(load<u32>(handle), ThreadBreakOnTermination, value, 4); NtClose(load<u32>(handle)); }
      put("uncriticalthread smss "); putDec(found); put(" thread "); putDec(foundThread); put(" "); putHex(status); flush();
    } else if (what == "uncritical" || what == "killsmss") {
      scan("smss.exe", 1, false);
      const h = open(found, 0x1 | 0x200 /* PROCESS_TERMINATE | PROCESS_SET_INFORMATION */);
      let status: u32 = 0xFFFFFFFF;
      if (h != 0 && what == "uncritical") { store<u32>(value, 0); status = NtSetInformationProcess(h, ProcessBreakOnTermination, value, 4); }
      if (h != 0 && what == "killsmss") status = NtTerminateProcess(h, 0x1234);
      put(what); put(" smss "); putDec(found); put(" "); putHex(status); flush();
      if (h != 0) NtClose(h);
    } else if (what == "sleep") sleep(dec(words[i++]));
  }
  put("done"); flush();
}

export function main(): void {
  const params = changetype<PEB>(RtlGetCurrentPeb()).ProcessParameters;
  const line = String.UTF16.decodeUnsafe(changetype<RTL_USER_PROCESS_PARAMETERS>(params).CommandLine_Buffer, changetype<RTL_USER_PROCESS_PARAMETERS>(params).CommandLine_Length);
  const all = line.split(" ");
  const words = new Array<string>();
  for (let i = 0; i < all.length; i++) if (all[i].length != 0) words.push(all[i]);
  if (line.includes("ObjectDirectory=")) { subsystem(line, words); return; }
  if (words.length != 0 && (words[0] == "winlogon.exe" || words[0] == "wininit.exe")) {
    put("started in session "); putDec(mySession()); put(", parent "); putDec(myParent()); flush();
    sleepForever();
  }
  driver(words);
}
