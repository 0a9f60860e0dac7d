// Steps 5-7, the sessions (the Vista model): the first smss starts one copy
// of itself per session, `\SystemRoot\System32\smss.exe <session> <event>`
// (smsubsys.ts does the session's work: Kmode, csrss, then wininit in
// session 0 or winlogon in the others, and exits). The first smss stays:
//
//   5. session 0 (csrss, wininit), then session 1 (csrss, winlogon), each
//      copy waited for; a boot session that fails is fatal (NT's
//      "Session Manager Initialization" with the copy's status), a missing
//      csrss.exe, wininit.exe or winlogon.exe included.
//   6. it waits on session 1's csrss and winlogon: if either ends, the
//      hard error STATUS_SYSTEM_PROCESS_TERMINATED names it ("Windows
//      SubSystem", "Windows Logon Process") with its exit status: 0xC000021A.
//   7. \SmSsWinStationApiPort makes further sessions on request
//      (SMSS_WINSTATION_API_MSG, kernel/sdk/sm.ts): the next id, its own
//      copy of smss, csrss and winlogon; the answer carries the session id
//      and both process ids. Once smss's critical flag is cleared (its end
//      no longer stops the system), requests are refused.
//
// The port's thread only receives and answers, with static buffers (smss's
// allocator is not shared between threads): it hands each request to the
// main thread, which waits on the request event and on session 1's pair at
// once, and does the work.

import {
  NtClose, NtDelayExecution, NtCreateEvent, NtCreatePort, NtSetEvent, NtResumeThread, NtWaitForSingleObject, NtWaitForMultipleObjects, NtReplyWaitReceivePort,
  NtAcceptConnectPort, NtCompleteConnectPort, NtOpenProcess, NtQueryInformationProcess, NtQuerySystemInformation, RtlCreateUserThread, func_address,
  NtCurrentProcess, EVENT_ALL_ACCESS, OBJ_INHERIT, SYNCHRONIZE, PROCESS_QUERY_INFORMATION, STATUS_SUCCESS, STATUS_ACCESS_DENIED,
  STATUS_INVALID_PARAMETER, STATUS_NOT_IMPLEMENTED, STATUS_BUFFER_TOO_SMALL, STATUS_UNSUCCESSFUL,
} from "./ntapi";
import {
  SIZEOF_SMSS_WINSTATION_API_MSG, SMSS_WINSTATION_API_NUMBER, SMSS_WINSTATION_RETURN_VALUE, SMSS_WINSTATION_SESSION_ID, SMSS_WINSTATION_CSRSS_PID,
  SMSS_WINSTATION_INITIAL_COMMAND_PID, SMSS_WINSTATION_API_PORT_NAME, SmpWinStationMaxApiNumber,
} from "../kernel/sdk/sm";
import { LPC_CONNECTION_REQUEST, LPC_REQUEST, PORT_MESSAGE_DATA_LENGTH, PORT_MESSAGE_TOTAL_LENGTH, PORT_MESSAGE_TYPE, PORT_MESSAGE_CLIENT_ID } from "../kernel/sdk/lpc";
import {
  SmpRegisterSession, SmpSetSessionCopy, SmpSessionId, SmpSessionSubsystem, SmpSessionCompleted, SmpSessionStatus, SmpHighestSessionId,
} from "./smapi";
import { SmpExecuteImage, SmpExitStatus } from "./smexec";
import { SmpFatal, SmpTerminate } from "./smfail";
import { SmpAttributes, SmpDecimal, SmpHex, SmpLog, SmpLogFailure, SmpSlot } from "./smutil";

export const SMSS_PATH = "\\SystemRoot\\System32\\smss.exe";
const SynchronizationEvent: u32 = 1;
const NotificationEvent: u32 = 0;
const WaitAny: u32 = 1;
const SystemProcessInformation: u32 = 5;
const ProcessBreakOnTermination: u32 = 29;
// SYSTEM_PROCESS_INFORMATION (kernel/sdk/sysinfo.ts): the fields read here.
const SPI_NEXT: u32 = 0x00, SPI_PID: u32 = 0x44, SPI_PARENT: u32 = 0x48;

/** A session a copy of smss made: its id, status, and its csrss and initial command (handles the first smss keeps). */
export class SmpSession {
  constructor(public sessionId: u32, public status: u32, public csrssPid: u32, public csrss: u32, public initialPid: u32, public initial: u32) {}
}

function hex8(v: u32): string { return SmpHex(v).slice(2); }

/** The process ids whose parent is `parent`, but `except`. */
function SmpChildOf(parent: u32, except: u32): u32 {
  let size: u32 = 0x4000;
  while (size <= 0x40000) {
    const buffer = heap.alloc(size);
    const status = NtQuerySystemInformation(SystemProcessInformation, buffer, size, 0);
    if (status == STATUS_SUCCESS) {
      let at = buffer;
      while (true) {
        const pid = load<u32>(at + SPI_PID);
        if (load<u32>(at + SPI_PARENT) == parent && pid != except && pid != 0) return pid;
        const next = load<u32>(at + SPI_NEXT);
        if (next == 0) break;
        at += next;
      }
      return 0;
    }
    if (status != STATUS_BUFFER_TOO_SMALL && status != 0xC0000004 /* STATUS_INFO_LENGTH_MISMATCH */) return 0;
    size <<= 1;
  }
  return 0;
}

/** A handle to wait on process `pid` and read its exit status (0 when it is gone). */
function SmpOpenProcessById(pid: u32): u32 {
  if (pid == 0) return 0;
  const handle = SmpSlot(), cid = SmpSlot();
  store<u32>(cid, pid);
  const oa = heap.alloc(24);
  memory.fill(oa, 0, 24); store<u32>(oa, 24);
  return NtOpenProcess(handle, SYNCHRONIZE | PROCESS_QUERY_INFORMATION, oa, cid) == STATUS_SUCCESS ? load<u32>(handle) : 0;
}

/** Starts the copy of smss for session `wanted` and waits until it has made the session (or failed). */
export function SmpStartSession(wanted: u32): SmpSession {
  const slot = SmpSlot();
  const oa = heap.alloc(24);
  memory.fill(oa, 0, 24); store<u32>(oa, 24); store<u32>(oa, OBJ_INHERIT, 12);
  let status = NtCreateEvent(slot, EVENT_ALL_ACCESS, oa, NotificationEvent, false);
  if (status != STATUS_SUCCESS) { SmpLogFailure("NtCreateEvent", status, "session " + SmpDecimal(wanted)); return new SmpSession(wanted, status, 0, 0, 0, 0); }
  const event = load<u32>(slot);
  const entry = SmpRegisterSession(wanted, event);
  if (entry == 0) { NtClose(event); return new SmpSession(wanted, STATUS_UNSUCCESSFUL, 0, 0, 0, 0); }
  const copy = SmpExecuteImage(SMSS_PATH, SMSS_PATH + " " + hex8(wanted) + " " + hex8(event), true, false, true);
  if (copy.process == 0) return new SmpSession(wanted, copy.status, 0, 0, 0, 0);
  SmpSetSessionCopy(entry, copy.pid);
  SmpLog("session " + SmpDecimal(wanted), "smss.exe " + hex8(wanted) + " (process " + SmpDecimal(copy.pid) + ")");
  NtResumeThread(copy.thread, 0);
  NtClose(copy.thread);
  NtWaitForSingleObject(copy.process, 0, 0);
  status = SmpSessionCompleted(entry) ? SmpSessionStatus(entry) : SmpExitStatus(copy.process);
  if (status == STATUS_SUCCESS && SmpExitStatus(copy.process) != STATUS_SUCCESS) status = SmpExitStatus(copy.process);
  NtClose(copy.process);
  const csrssPid = SmpSessionSubsystem(entry);
  const initialPid = status == STATUS_SUCCESS ? SmpChildOf(copy.pid, csrssPid) : 0;
  return new SmpSession(SmpSessionId(entry), status, csrssPid, SmpOpenProcessById(csrssPid), initialPid, SmpOpenProcessById(initialPid));
}

/** Step 5: a boot session (0 or 1); its failure is fatal ("Session Manager Initialization" and the copy's status). */
function SmpBootSession(id: u32): SmpSession {
  const s = SmpStartSession(id);
  if (s.status != STATUS_SUCCESS) SmpFatal("session " + SmpDecimal(id), s.status);
  return s;
}

// ---- \SmSsWinStationApiPort: the thread receives, the main thread makes the session ----
let SmpWinStationPort: u32 = 0;
let SmpRequestEvent: u32 = 0;
let SmpDoneEvent: u32 = 0;
const wsMessage = memory.data(SIZEOF_SMSS_WINSTATION_API_MSG, 4);
const wsContext = memory.data(4, 4), wsHandle = memory.data(4, 4);

function SmpWinStationLoop(parameter: usize): void {
  let reply: usize = 0;
  while (true) {
    const status = NtReplyWaitReceivePort(SmpWinStationPort, wsContext, reply, wsMessage);
    reply = 0;
    if (status != STATUS_SUCCESS) continue;
    const type = <u32>load<u16>(wsMessage + PORT_MESSAGE_TYPE) & 0xFF;
    if (type == LPC_CONNECTION_REQUEST) {
      store<u32>(wsHandle, 0);
      if (NtAcceptConnectPort(wsHandle, 0, wsMessage, true, 0, 0) == STATUS_SUCCESS) NtCompleteConnectPort(load<u32>(wsHandle));
      continue;
    }
    if (type != LPC_REQUEST) continue;
    const length = <u32>load<u16>(wsMessage + PORT_MESSAGE_DATA_LENGTH);
    if (length < 8) store<u32>(wsMessage + SMSS_WINSTATION_RETURN_VALUE, STATUS_INVALID_PARAMETER);
    else if (load<u32>(wsMessage + SMSS_WINSTATION_API_NUMBER) >= SmpWinStationMaxApiNumber) store<u32>(wsMessage + SMSS_WINSTATION_RETURN_VALUE, STATUS_NOT_IMPLEMENTED);
    else {
      NtSetEvent(SmpRequestEvent, 0);
      NtWaitForSingleObject(SmpDoneEvent, 0, 0);
    }
    store<u16>(wsMessage + PORT_MESSAGE_DATA_LENGTH, <u16>(SIZEOF_SMSS_WINSTATION_API_MSG - 24));
    store<u16>(wsMessage + PORT_MESSAGE_TOTAL_LENGTH, <u16>SIZEOF_SMSS_WINSTATION_API_MSG);
    reply = wsMessage;
  }
}

/** \SmSsWinStationApiPort and its thread. */
function SmpCreateWinStationPort(): bool {
  const slot = SmpSlot();
  let status = NtCreateEvent(slot, EVENT_ALL_ACCESS, 0, SynchronizationEvent, false);
  if (status == STATUS_SUCCESS) { SmpRequestEvent = load<u32>(slot); status = NtCreateEvent(slot, EVENT_ALL_ACCESS, 0, SynchronizationEvent, false); }
  if (status == STATUS_SUCCESS) { SmpDoneEvent = load<u32>(slot); status = NtCreatePort(slot, SmpAttributes(SMSS_WINSTATION_API_PORT_NAME, 0, 0), 0, SIZEOF_SMSS_WINSTATION_API_MSG, 16 * SIZEOF_SMSS_WINSTATION_API_MSG); }
  if (status != STATUS_SUCCESS) { SmpLogFailure("NtCreatePort", status, SMSS_WINSTATION_API_PORT_NAME); return false; }
  SmpWinStationPort = load<u32>(slot);
  // Keeps SmpWinStationLoop in the function table (func_address reads it), as smapi.ts does.
  const loop: (p: usize) => void = SmpWinStationLoop;
  if (load<u32>(slot) == 0x12345678) loop(0);
  status = RtlCreateUserThread(NtCurrentProcess, 0, false, 0, 0, 0, func_address(load<u32>(changetype<usize>(loop))), 0, slot, 0);
  if (status != STATUS_SUCCESS) { SmpLogFailure("RtlCreateUserThread", status, SMSS_WINSTATION_API_PORT_NAME); return false; }
  NtClose(load<u32>(slot));
  return true;
}

/** smss's own critical flag (ProcessBreakOnTermination). */
function SmpIsCritical(): bool {
  const value = SmpSlot();
  return NtQueryInformationProcess(NtCurrentProcess, ProcessBreakOnTermination, value, 4, 0) == STATUS_SUCCESS && load<u32>(value) != 0;
}

/** A request on \SmSsWinStationApiPort, in the main thread: a new session, or a refusal. */
function SmpServeWinStationRequest(): void {
  const client = load<u32>(wsMessage + PORT_MESSAGE_CLIENT_ID);
  store<u32>(wsMessage + SMSS_WINSTATION_SESSION_ID, 0);
  store<u32>(wsMessage + SMSS_WINSTATION_CSRSS_PID, 0);
  store<u32>(wsMessage + SMSS_WINSTATION_INITIAL_COMMAND_PID, 0);
  if (!SmpIsCritical()) {
    SmpLog("WinStation API", "request from process " + SmpDecimal(client) + " refused: smss is no longer a critical process");
    store<u32>(wsMessage + SMSS_WINSTATION_RETURN_VALUE, STATUS_ACCESS_DENIED);
    return;
  }
  const wanted = SmpHighestSessionId() + 1;
  const s = SmpStartSession(wanted);
  if (s.status == STATUS_SUCCESS) {
    SmpLog("session " + SmpDecimal(s.sessionId), "made on request of process " + SmpDecimal(client) + ": csrss (process "
      + SmpDecimal(s.csrssPid) + "), winlogon (process " + SmpDecimal(s.initialPid) + ")");
    store<u32>(wsMessage + SMSS_WINSTATION_SESSION_ID, s.sessionId);
    store<u32>(wsMessage + SMSS_WINSTATION_CSRSS_PID, s.csrssPid);
    store<u32>(wsMessage + SMSS_WINSTATION_INITIAL_COMMAND_PID, s.initialPid);
  } else SmpLog("session " + SmpDecimal(wanted), "for process " + SmpDecimal(client) + " failed - Status == " + SmpHex(s.status));
  if (s.csrss != 0) NtClose(s.csrss);
  if (s.initial != 0) NtClose(s.initial);
  store<u32>(wsMessage + SMSS_WINSTATION_RETURN_VALUE, s.status);
}

/** Steps 5, 6 and 7. Never returns. */
export function SmpStartSessions(): void {
  SmpBootSession(0);
  const one = SmpBootSession(1);
  const serving = SmpCreateWinStationPort();
  const handles = heap.alloc(12);
  let count: u32 = 0;
  if (serving) { store<u32>(handles, SmpRequestEvent); count = 1; }
  if (one.csrss != 0 && one.initial != 0) {
    store<u32>(handles + (count << 2), one.csrss); store<u32>(handles + ((count + 1) << 2), one.initial);
    SmpLog("waiting on session 1's csrss and winlogon", "csrss (process " + SmpDecimal(one.csrssPid) + "), winlogon (process " + SmpDecimal(one.initialPid)
      + ")" + (serving ? "; " + SMSS_WINSTATION_API_PORT_NAME + " makes further sessions" : ""));
    count += 2;
  } else SmpLog("waiting", "no session 1 to wait on" + (serving ? "; " + SMSS_WINSTATION_API_PORT_NAME + " makes further sessions" : ""));
  const forever = heap.alloc(8);
  store<u64>(forever, 0x8000000000000000);
  while (true) {
    if (count == 0) { NtDelayExecution(0, forever); continue; }
    const woke = NtWaitForMultipleObjects(count, handles, WaitAny, 0, 0);
    const which = serving ? woke : woke + 1; // 0 request, 1 csrss, 2 winlogon
    if (which == 0) { SmpServeWinStationRequest(); NtSetEvent(SmpDoneEvent, 0); continue; }
    if (which == 1 || which == 2) {
      const process = load<u32>(handles + (woke << 2));
      const status = SmpExitStatus(process);
      const name = which == 1 ? "Windows SubSystem" : "Windows Logon Process";
      SmpLog("session 1", (which == 1 ? "csrss (process " + SmpDecimal(one!.csrssPid) : "winlogon (process " + SmpDecimal(one!.initialPid))
        + ") ended with status " + SmpHex(status) + ": " + name + " terminated");
      SmpTerminate(name, status, "");
    }
    SmpLogFailure("NtWaitForMultipleObjects", woke, "session 1");
    count = serving ? 1 : 0;
  }
}
