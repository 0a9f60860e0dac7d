// The per-session names smss sets up (test/boot/devmap.test.ts, part 2): run
// from BootExecute (async) on the real boot, in session 0. It waits for
// session 1's winlogon, asks \SmSsWinStationApiPort for session 2, waits for
// its winlogon, then reports
//   - the links smss made: each session's DosDevices\Global, the
//     BaseNamedObjects' Global/Local/Session, \Sessions\BNOLINKS\<n>;
//   - where names through them lead (NtQueryObject's full name);
//   - a DOS device Q: made in session 2's DosDevices: ProcessDeviceMap of
//     session 2's csrss and winlogon has it, session 1's and this process's not.

import { put, putString, putHex, putDec, flush } from "../../pe/programs/out";
import { InitializeCountedString, InitializeObjectAttributes, OBJ_CASE_INSENSITIVE } from "../../../kernel/sdk/ntdef";
import { ProcessDeviceMap } from "../../../kernel/sdk/procinfo";
import { SystemProcessInformation } from "../../../kernel/sdk/sysinfo";
import { InitializeSecurityQualityOfService, SECURITY_DYNAMIC_TRACKING, SecurityIdentification } from "../../../kernel/sdk/lpc";

@external("ntdll", "NtDelayExecution") declare function NtDelayExecution(alertable: u32, interval: usize): u32;
@external("ntdll", "NtClose") declare function NtClose(handle: u32): u32;
@external("ntdll", "NtConnectPort") declare function NtConnectPort(handle: usize, name: usize, qos: usize, clientView: usize, serverView: usize,
  maxMessage: usize, info: usize, infoLength: usize): u32;
@external("ntdll", "NtRequestWaitReplyPort") declare function NtRequestWaitReplyPort(port: u32, request: usize, reply: usize): u32;
@external("ntdll", "NtQuerySystemInformation") declare function NtQuerySystemInformation(cls: u32, info: usize, length: u32, result: usize): u32;
@external("ntdll", "NtQueryInformationProcess") declare function NtQueryInformationProcess(process: u32, cls: u32, info: usize, length: u32, result: usize): u32;
@external("ntdll", "NtOpenProcess") declare function NtOpenProcess(handle: usize, access: u32, oa: usize, clientId: usize): u32;
@external("ntdll", "NtOpenSymbolicLinkObject") declare function NtOpenSymbolicLinkObject(handle: usize, access: u32, oa: usize): u32;
@external("ntdll", "NtQuerySymbolicLinkObject") declare function NtQuerySymbolicLinkObject(handle: u32, target: usize, returnLength: usize): u32;
@external("ntdll", "NtCreateSymbolicLinkObject") declare function NtCreateSymbolicLinkObject(handle: usize, access: u32, oa: usize, target: usize): u32;
@external("ntdll", "NtOpenDirectoryObject") declare function NtOpenDirectoryObject(handle: usize, access: u32, oa: usize): u32;
@external("ntdll", "NtQueryObject") declare function NtQueryObject(handle: u32, cls: u32, info: usize, length: u32, result: usize): u32;
@external("ntdll", "RtlAdjustPrivilege") declare function RtlAdjustPrivilege(privilege: u32, enable: bool, currentThread: bool, enabled: usize): u32;

const oa = memory.data(24, 4), us = memory.data(8, 4), us2 = memory.data(8, 4), handle = memory.data(4, 4), link = memory.data(4, 4);
const qos = memory.data(12, 4), cid = memory.data(8, 4), interval = memory.data(8, 8), value = memory.data(4, 4);
const message = memory.data(0x40, 4), info = memory.data(40, 4), text = memory.data(520, 4), target = memory.data(8, 4);
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

/** The pid of the process named `name` in session `session` (0: none). */
function find(name: string, session: u32): u32 {
  if (NtQuerySystemInformation(SystemProcessInformation, processes, 0x20000, 0) != 0) return 0;
  let at = processes;
  while (true) {
    const nameLength = <u32>load<u16>(at, 0x38), nameBuffer = load<usize>(at, 0x3C);
    if (load<u32>(at, 0x50) == session && nameLength == <u32>(name.length << 1) && String.UTF16.decodeUnsafe(nameBuffer, nameLength) == name) return load<u32>(at, 0x44);
    const next = load<u32>(at);
    if (next == 0) return 0;
    at += next;
  }
}
function awaitProcess(name: string, session: u32): u32 {
  let pid: u32 = 0;
  for (let tries = 0; tries < 600 && pid == 0; tries++) { pid = find(name, session); if (pid == 0) sleep(100); }
  return pid;
}

function winstation(): void {
  let status: u32 = 0;
  for (let tries = 0; tries < 100; tries++) {
    status = NtConnectPort(handle, unicode(us, "\\SmSsWinStationApiPort"), setQos(), 0, 0, 0, 0, 0);
    if (status != 0xC0000034) break;
    sleep(100);
  }
  if (status == 0) {
    const port = load<u32>(handle);
    memory.fill(message, 0, 0x40);
    store<u16>(message, 0x40 - 24); store<u16>(message, 0x40, 2);
    status = NtRequestWaitReplyPort(port, message, message);
    NtClose(port);
  }
  put("session 2 requested "); putHex(status); put(" session "); putDec(load<u32>(message, 0x20)); flush();
}

/** "link NAME -> TARGET" or "link NAME STATUS". */
function showLink(name: string): void {
  put("link "); put(name);
  let status = NtOpenSymbolicLinkObject(link, 1, attributes(name));
  if (status == 0) {
    InitializeCountedString(target, text, 0, 512);
    status = NtQuerySymbolicLinkObject(load<u32>(link), target, 0);
    NtClose(load<u32>(link));
  }
  if (status == 0) { put(" -> "); putString(target); } else { put(" "); putHex(status); }
  flush();
}
/** "directory NAME is FULLNAME" or "directory NAME STATUS". */
function showDirectory(name: string): void {
  put("directory "); put(name);
  let status = NtOpenDirectoryObject(handle, 1, attributes(name));
  if (status == 0) {
    status = NtQueryObject(load<u32>(handle), 1, text, 520, 0);
    NtClose(load<u32>(handle));
  }
  if (status == 0) { put(" is "); putString(text); } else { put(" "); putHex(status); }
  flush();
}
/** "map WHO DriveMap" of process `pid` (0: this one). */
function showMap(who: string, pid: u32): void {
  let process: u32 = 0xFFFFFFFF;
  let status: u32 = 0;
  if (pid != 0) {
    store<u32>(cid, pid); store<u32>(cid, 0, 4);
    status = NtOpenProcess(handle, 0x400 /* PROCESS_QUERY_INFORMATION */, attributes(""), cid);
    process = load<u32>(handle);
  }
  if (status == 0) status = NtQueryInformationProcess(process, ProcessDeviceMap, info, 36, 0);
  if (pid != 0) NtClose(process);
  put("map "); put(who); put(" "); putHex(status); put(" "); putHex(load<u32>(info)); flush();
}

export function main(): void {
  RtlAdjustPrivilege(20 /* SeDebugPrivilege */, true, false, value);
  const winlogon1 = awaitProcess("winlogon.exe", 1);
  winstation();
  const winlogon2 = awaitProcess("winlogon.exe", 2);
  put("winlogon 1 "); putDec(winlogon1); put(" winlogon 2 "); putDec(winlogon2); flush();

  showLink("\\Sessions\\1\\DosDevices\\Global");
  showLink("\\Sessions\\2\\DosDevices\\Global");
  showLink("\\BaseNamedObjects\\Global");
  showLink("\\BaseNamedObjects\\Local");
  showLink("\\BaseNamedObjects\\Session");
  showLink("\\Sessions\\2\\BaseNamedObjects\\Global");
  showLink("\\Sessions\\2\\BaseNamedObjects\\Local");
  showLink("\\Sessions\\2\\BaseNamedObjects\\Session");
  showLink("\\Sessions\\BNOLINKS\\0");
  showLink("\\Sessions\\BNOLINKS\\1");
  showLink("\\Sessions\\BNOLINKS\\2");
  showDirectory("\\Sessions\\1\\BaseNamedObjects\\Session\\2");
  showDirectory("\\Sessions\\2\\BaseNamedObjects\\Global");
  showDirectory("\\Sessions\\2\\BaseNamedObjects\\Local");
  showDirectory("\\Sessions\\2\\DosDevices\\Global");

  // A DOS device of session 2 only.
  const status = NtCreateSymbolicLinkObject(link, 0xF0001, attributes("\\Sessions\\2\\DosDevices\\Q:"), unicode(us2, "\\Device\\Null"));
  put("create \\Sessions\\2\\DosDevices\\Q: "); putHex(status); flush();
  showMap("session 2 winlogon", winlogon2);
  showMap("session 2 csrss", find("csrss.exe", 2));
  showMap("session 1 winlogon", winlogon1);
  showMap("session 1 csrss", find("csrss.exe", 1));
  showMap("session 0 (this process)", 0);
  put("done"); flush();
  while (true) sleep(1000000);
}
