// The SM API's remaining requests from clients (test/boot/smapi.test.ts),
// linked three times: smapicli.exe (the driver, run async from BootExecute),
// smapisub.exe (a subsystem: SubSystems\Optional names it, smss starts it on
// LoadDeferedSubsystem; it has its own SbApiPort and uses foreign sessions),
// smapikid.exe (StartCsr's initial command: says its session and waits).
// Every line is "what value".
import { put, putHex, flush } from "../../pe/programs/out";
import {
  SIZEOF_SM_API_MSG, SM_API_MSG_API_NUMBER, SM_API_MSG_RETURN_VALUE, SM_API_MSG_U, SmpCreateForeignSessionApi, SmpTerminateForeignSessionApi,
  SmpLoadDeferedSubsystemApi, SmpStartCsrApi, SmpStopCsrApi, SM_LOAD_DEFERED_LENGTH, SM_LOAD_DEFERED_BUFFER, SM_START_CSR_SESSION_ID,
  SM_START_CSR_LENGTH, SM_START_CSR_BUFFER, SM_START_CSR_WINDOWS_PID, SM_START_CSR_INITIAL_COMMAND_PID, SM_STOP_CSR_SESSION_ID,
  SM_CREATE_FOREIGN_SESSION_ID, SM_TERMINATE_FOREIGN_SESSION_ID, SM_TERMINATE_FOREIGN_SESSION_STATUS, SIZEOF_SB_CONNECTION_INFO,
  SIZEOF_SB_API_MSG, SB_API_MSG_API_NUMBER, SB_API_MSG_RETURN_VALUE, SB_API_MSG_U, SIZEOF_SMSS_WINSTATION_API_MSG, SMSS_WINSTATION_RETURN_VALUE,
  SMSS_WINSTATION_SESSION_ID,
} from "../../../kernel/sdk/sm";
import { InitializeCountedString, InitializeObjectAttributes, OBJ_CASE_INSENSITIVE } from "../../../kernel/sdk/ntdef";
import { ProcessSessionInformation } from "../../../kernel/sdk/procinfo";
import { PEB, RTL_USER_PROCESS_PARAMETERS } from "../../../kernel/sdk/peb";
import { InitializeSecurityQualityOfService, PORT_MESSAGE, SECURITY_DYNAMIC_TRACKING, SecurityImpersonation, SIZEOF_PORT_MESSAGE } from "../../../kernel/sdk/lpc";

@external("ntdll", "NtDelayExecution") declare function NtDelayExecution(alertable: u32, interval: usize): u32;
@external("ntdll", "NtClose") declare function NtClose(handle: u32): u32;
@external("ntdll", "NtConnectPort") declare function NtConnectPort(handle: usize, name: usize, qos: usize, clientView: usize, serverView: usize, maxMessage: usize, info: usize, infoLength: usize): u32;
@external("ntdll", "NtCreatePort") declare function NtCreatePort(handle: usize, oa: usize, maxInfo: u32, maxMessage: u32, maxPool: u32): u32;
@external("ntdll", "NtReplyWaitReceivePort") declare function NtReplyWaitReceivePort(port: u32, context: usize, reply: usize, receive: usize): u32;
@external("ntdll", "NtAcceptConnectPort") declare function NtAcceptConnectPort(handle: usize, context: usize, message: usize, accept: u32, serverView: usize, clientView: usize): u32;
@external("ntdll", "NtCompleteConnectPort") declare function NtCompleteConnectPort(port: u32): u32;
@external("ntdll", "NtRequestWaitReplyPort") declare function NtRequestWaitReplyPort(port: u32, request: usize, reply: usize): u32;
@external("ntdll", "NtQueryInformationProcess") declare function NtQueryInformationProcess(process: u32, cls: u32, info: usize, length: u32, result: usize): u32;
@external("ntdll", "NtWaitForSingleObject") declare function NtWaitForSingleObject(handle: u32, alertable: u32, timeout: usize): u32;
@external("ntdll", "NtOpenProcess") declare function NtOpenProcess(handle: usize, access: u32, oa: usize, cid: usize): u32;
@external("ntdll", "NtCreateEvent") declare function NtCreateEvent(handle: usize, access: u32, oa: usize, type: u32, initial: u32): u32;
@external("ntdll", "NtOpenEvent") declare function NtOpenEvent(handle: usize, access: u32, oa: usize): u32;
@external("ntdll", "NtSetEvent") declare function NtSetEvent(handle: u32, previous: usize): u32;
@external("ntdll", "RtlGetCurrentPeb") declare function RtlGetCurrentPeb(): usize;
@external("ntdll", "RtlCreateUserThread") declare function RtlCreateUserThread(process: u32, sd: usize, suspended: u32, zeroBits: u32, reserve: usize, commit: usize,
  start: usize, parameter: usize, thread: usize, cid: usize): u32;
@external("ntdll", "NtUserGetActiveSession") declare function NtUserGetActiveSession(session: usize): u32;
@external("ntdll", "NtUserSwitchSession") declare function NtUserSwitchSession(session: u32): u32;
@external("kernel", "func_address") declare function func_address(slot: u32): usize;

const m = memory.data(SIZEOF_SM_API_MSG, 8);
const h = memory.data(16, 4), qos = memory.data(12, 4), us = memory.data(8, 4), oa = memory.data(24, 4), cid = memory.data(8, 4);
const basic = memory.data(24, 4), sessionInfo = memory.data(4, 4), t = memory.data(8, 8), active = memory.data(4, 4);
let sm: u32 = 0;

function show(what: string, v: u32): void { put(what); put(" "); putHex(v); flush(); }
function wide(at: usize, s: string): usize {
  InitializeCountedString(at, changetype<usize>(s), s.length << 1, s.length << 1);
  return at;
}
function attributes(name: usize): usize {
  return InitializeObjectAttributes(oa, name, OBJ_CASE_INSENSITIVE, 0, 0);
}
function words(): string[] {
  const p = changetype<PEB>(RtlGetCurrentPeb()).ProcessParameters;
  const chars = <i32>(changetype<RTL_USER_PROCESS_PARAMETERS>(p).CommandLine_Length >>> 1), text = changetype<RTL_USER_PROCESS_PARAMETERS>(p).CommandLine_Buffer;
  let all = "";
  for (let i = 0; i < chars; i++) all += String.fromCharCode(load<u16>(text + (i << 1)));
  return all.split(" ");
}
function sleep(ms: i64): void { store<i64>(t, -ms * 10000); NtDelayExecution(0, t); }
function setQos(): void { InitializeSecurityQualityOfService(qos, SecurityImpersonation, SECURITY_DYNAMIC_TRACKING, true); }

/** Connects to `name`, retrying while it is not there yet. */
function connect(name: string, info: usize = 0, infoLength: usize = 0): u32 {
  setQos();
  let status: u32 = 0;
  for (let i = 0; i < 600; i++) {
    status = NtConnectPort(h, wide(us, name), qos, 0, 0, 0, info, infoLength);
    if (status != 0xC0000034 && status != 0xC000003A) break; // not there yet: no port, or no directory
    sleep(50);
  }
  return status;
}

function clear(): void { memory.fill(m, 0, SIZEOF_SM_API_MSG); }
function smEmpty(api: u32, dataLength: u32): u32 { clear(); return smCall(api, dataLength); }
function smCall(api: u32, dataLength: u32): u32 {
  const header = changetype<PORT_MESSAGE>(m);
  header.DataLength = <u16>dataLength; header.TotalLength = <u16>(dataLength + SIZEOF_PORT_MESSAGE); header.Type = 0; header.DataInfoOffset = 0;
  store<u32>(m + SM_API_MSG_API_NUMBER, api);
  store<u32>(m + SM_API_MSG_RETURN_VALUE, 0xDEAD);
  const status = NtRequestWaitReplyPort(sm, m, m);
  return status != 0 ? status : load<u32>(m + SM_API_MSG_RETURN_VALUE);
}
function loadDefered(name: string, length: u32 = 0xFFFFFFFF): u32 {
  clear();
  store<u32>(m + SM_API_MSG_U + SM_LOAD_DEFERED_LENGTH, length != 0xFFFFFFFF ? length : name.length << 1);
  for (let i = 0; i < name.length && i < 32; i++) store<u16>(m + SM_API_MSG_U + SM_LOAD_DEFERED_BUFFER + (i << 1), <u16>name.charCodeAt(i));
  return smCall(SmpLoadDeferedSubsystemApi, SIZEOF_SM_API_MSG - 24);
}
function startCsr(command: string, length: u32 = 0xFFFFFFFF): u32 {
  clear();
  store<u32>(m + SM_API_MSG_U + SM_START_CSR_LENGTH, length != 0xFFFFFFFF ? length : command.length << 1);
  for (let i = 0; i < command.length; i++) store<u16>(m + SM_API_MSG_U + SM_START_CSR_BUFFER + (i << 1), <u16>command.charCodeAt(i));
  return smCall(SmpStartCsrApi, SIZEOF_SM_API_MSG - 24);
}
function stopCsr(id: u32): u32 { clear(); store<u32>(m + SM_API_MSG_U + SM_STOP_CSR_SESSION_ID, id); return smCall(SmpStopCsrApi, SIZEOF_SM_API_MSG - 24); }

function open(pid: u32): u32 {
  store<u32>(cid, pid); store<u32>(cid, 0, 4);
  InitializeObjectAttributes(oa, 0, 0, 0, 0);
  return NtOpenProcess(h + 8, 0x100400 /* SYNCHRONIZE | PROCESS_QUERY_INFORMATION */, oa, cid) == 0 ? load<u32>(h, 8) : 0;
}
function sessionOfPid(pid: u32): u32 {
  const p = open(pid);
  if (p == 0) return 0xFFFFFFFF;
  store<u32>(sessionInfo, 0xFFFF); NtQueryInformationProcess(p, ProcessSessionInformation, sessionInfo, 4, 0); NtClose(p);
  return load<u32>(sessionInfo);
}

// ---- smapisub: a subsystem with its own SbApiPort ----
const SB_PORT = "\\SmApiTestSbApiPort";
const sbm = memory.data(SIZEOF_SB_API_MSG, 8), sbContext = memory.data(4, 4), sbAccepted = memory.data(4, 4);
let sbPort: u32 = 0;
const sbLine = memory.data(200, 2), sbString = memory.data(8, 4);
let sbLength: u32 = 0;
// The SB thread writes its lines without the shared `out` buffer (the main thread uses it meanwhile).
function sbPut(s: string): void { for (let i = 0; i < s.length; i++) { store<u16>(sbLine + (sbLength << 1), <u16>s.charCodeAt(i)); sbLength++; } }
function sbHex(v: u32): void { sbPut("0x"); for (let s = 28; s >= 0; s -= 4) { const d = (v >>> <u32>s) & 15; store<u16>(sbLine + (sbLength << 1), <u16>(d < 10 ? 48 + d : 55 + d)); sbLength++; } }
@external("ntdll", "NtDisplayString") declare function NtDisplayString(text: usize): u32;
function sbFlush(): void { InitializeCountedString(sbString, sbLine, sbLength << 1, sbLength << 1); NtDisplayString(sbString); sbLength = 0; }

function sbLoop(parameter: usize): void {
  let reply: usize = 0;
  while (true) {
    const s = NtReplyWaitReceivePort(sbPort, sbContext, reply, sbm);
    reply = 0;
    if (s != 0) continue;
    const type = <u32>load<u16>(sbm, 4) & 0xFF;
    if (type == 10 /* LPC_CONNECTION_REQUEST */) {
      if (NtAcceptConnectPort(sbAccepted, 0, sbm, 1, 0, 0) == 0) NtCompleteConnectPort(load<u32>(sbAccepted));
      sbPut("sb connection from process "); sbHex(load<u32>(sbm, 8)); sbFlush();
      continue;
    }
    if (type != 1 /* LPC_REQUEST */) continue;
    sbPut("sb api "); sbHex(load<u32>(sbm + SB_API_MSG_API_NUMBER)); sbPut(" session "); sbHex(load<u32>(sbm + SB_API_MSG_U)); sbPut(" status "); sbHex(load<u32>(sbm + SB_API_MSG_U + 4));
    sbFlush();
    store<u32>(sbm + SB_API_MSG_RETURN_VALUE, 0);
    reply = sbm;
  }
}

const sbInfo = memory.data(SIZEOF_SB_CONNECTION_INFO, 4), sbInfoLength = memory.data(4, 4);
function subsystem(): void {
  show("create SbApiPort", NtCreatePort(h, attributes(wide(us, SB_PORT)), SIZEOF_SB_CONNECTION_INFO, SIZEOF_SB_API_MSG, 8 * SIZEOF_SB_API_MSG));
  sbPort = load<u32>(h);
  const loop: (p: usize) => void = sbLoop;
  if (load<u32>(h, 12) == 0x12345678) loop(0);
  show("start its thread", RtlCreateUserThread(0xFFFFFFFF, 0, 0, 0, 0, 0, func_address(load<u32>(changetype<usize>(loop))), 0, h + 4, 0));
  memory.fill(sbInfo, 0, SIZEOF_SB_CONNECTION_INFO);
  store<u32>(sbInfo, 7); // IMAGE_SUBSYSTEM_POSIX_CUI
  for (let i = 0; i < SB_PORT.length; i++) store<u16>(sbInfo + 4 + (i << 1), <u16>SB_PORT.charCodeAt(i));
  store<u32>(sbInfoLength, SIZEOF_SB_CONNECTION_INFO);
  show("connect to \\SmApiPort as a subsystem", connect("\\SmApiPort", sbInfo, sbInfoLength));
  sm = load<u32>(h);
  show("create foreign session", smEmpty(SmpCreateForeignSessionApi, SIZEOF_SM_API_MSG - 24));
  const id = load<u32>(m + SM_API_MSG_U + SM_CREATE_FOREIGN_SESSION_ID);
  show("its id", id);
  clear(); store<u32>(m + SM_API_MSG_U + SM_TERMINATE_FOREIGN_SESSION_ID, id); store<u32>(m + SM_API_MSG_U + SM_TERMINATE_FOREIGN_SESSION_STATUS, 0x1234);
  show("terminate foreign session", smCall(SmpTerminateForeignSessionApi, SIZEOF_SM_API_MSG - 24));
  clear(); store<u32>(m + SM_API_MSG_U + SM_TERMINATE_FOREIGN_SESSION_ID, id);
  show("terminate it again", smCall(SmpTerminateForeignSessionApi, SIZEOF_SM_API_MSG - 24));
  show("open the driver's event", NtOpenEvent(h + 8, 0x1F0003, attributes(wide(us, "\\SmApiTestDone"))));
  NtSetEvent(load<u32>(h, 8), 0);
  while (true) sleep(100000);
}

// ---- the driver ----
function driver(): void {
  show("create event", NtCreateEvent(h + 12, 0x1F0003, attributes(wide(us, "\\SmApiTestDone")), 0, 0));
  const done = load<u32>(h, 12);
  show("connect to \\SmApiPort", connect("\\SmApiPort"));
  sm = load<u32>(h);
  // LoadDeferedSubsystem.
  show("load Posix", loadDefered("Posix"));
  store<i64>(t, -300000000); // 30 s
  show("the subsystem's foreign sessions are done", NtWaitForSingleObject(done, 0, t));
  show("load Posix again", loadDefered("Posix"));
  show("load Os2 (not Optional)", loadDefered("Os2"));
  show("load a name of odd length", loadDefered("Posix", 3));
  show("load a name too long", loadDefered("Posix", 66));
  show("create foreign session, not a subsystem", smEmpty(SmpCreateForeignSessionApi, SIZEOF_SM_API_MSG - 24));
  // StartCsr / StopCsr.
  show("start csr", startCsr(""));
  const a = load<u32>(m + SM_API_MSG_U + SM_START_CSR_SESSION_ID), csrss = load<u32>(m + SM_API_MSG_U + SM_START_CSR_WINDOWS_PID);
  const winlogon = load<u32>(m + SM_API_MSG_U + SM_START_CSR_INITIAL_COMMAND_PID);
  show("session", a);
  show("its csrss is in it", sessionOfPid(csrss) == a ? 1 : 0);
  show("its winlogon is in it", sessionOfPid(winlogon) == a ? 1 : 0);
  const process = open(csrss);
  show("stop csr", stopCsr(a));
  store<i64>(t, 0);
  show("its csrss ended", NtWaitForSingleObject(process, 0, t));
  NtClose(process);
  show("stop csr again", stopCsr(a));
  show("stop csr of session 1", stopCsr(1));
  show("stop csr of session 0", stopCsr(0));
  show("stop csr of a session nobody made", stopCsr(77));
  show("start csr with an initial command", startCsr("smapikid.exe hello"));
  const b = load<u32>(m + SM_API_MSG_U + SM_START_CSR_SESSION_ID);
  show("session", b);
  show("the initial command is in it", sessionOfPid(load<u32>(m + SM_API_MSG_U + SM_START_CSR_INITIAL_COMMAND_PID)) == b ? 1 : 0);
  show("start csr, odd length", startCsr("x", 3));
  show("start csr, too long", startCsr("x", 258));
  show("a short request", smEmpty(SmpStopCsrApi, 4));
  show("api 7", smEmpty(7, SIZEOF_SM_API_MSG - 24));
  // A session through \SmSsWinStationApiPort: its winlogon shows its logon screen; then session 1 is shown again.
  const ws = memory.data(SIZEOF_SMSS_WINSTATION_API_MSG, 8);
  show("connect to \\SmSsWinStationApiPort", connect("\\SmSsWinStationApiPort"));
  const port = load<u32>(h);
  memory.fill(ws, 0, SIZEOF_SMSS_WINSTATION_API_MSG);
  store<u16>(ws, <u16>(SIZEOF_SMSS_WINSTATION_API_MSG - 24)); store<u16>(ws, <u16>SIZEOF_SMSS_WINSTATION_API_MSG, 2);
  show("winstation", NtRequestWaitReplyPort(port, ws, ws));
  show("return", load<u32>(ws + SMSS_WINSTATION_RETURN_VALUE));
  const c = load<u32>(ws + SMSS_WINSTATION_SESSION_ID);
  show("session", c);
  let shown = false;
  for (let i = 0; i < 400 && !shown; i++) { NtUserGetActiveSession(active); shown = load<u32>(active) == c; if (!shown) sleep(50); }
  show("its winlogon made it the active session", shown ? 1 : 0);
  sleep(3000);
  show("switch to session 1", NtUserSwitchSession(1));
  sleep(1000);
  put("done"); flush();
}

export function main(): void {
  const w = words();
  const name = w[0].toLowerCase();
  if (name.startsWith("smapikid")) {
    store<u32>(sessionInfo, 0xFFFF); NtQueryInformationProcess(0xFFFFFFFF, ProcessSessionInformation, sessionInfo, 4, 0);
    put("session "); putHex(load<u32>(sessionInfo)); put(" "); put(w.length > 1 ? w[1] : ""); flush();
    while (true) sleep(100000);
  }
  if (name.indexOf("smapisub") >= 0) { subsystem(); return; }
  driver();
}
