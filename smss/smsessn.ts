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

import { InitializeObjectAttributes, OBJECT_ATTRIBUTES } from "../kernel/sdk/ntdef";
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
  SmpApiWorkEvent, SmpServeDeferredRequests, SmpRegisterDeferredSubsystem, SmpSessionSubsystemById, SmpForgetSessionSubsystem,
} from "./smapi";
import { SmpSubSystemValue } from "./smsubsys";
import { SmpSubSystemsOptional } from "./sminit";
import { SmpExpand } from "./smenv";
import { SmpFindImage } from "./smexec";
import { SmpEqualNoCase, SmpWords } from "./smutil";
import {
  SM_API_MSG_API_NUMBER, SM_API_MSG_U, SmpLoadDeferedSubsystemApi, SmpStartCsrApi, SM_LOAD_DEFERED_LENGTH, SM_LOAD_DEFERED_BUFFER,
  SM_START_CSR_SESSION_ID, SM_START_CSR_LENGTH, SM_START_CSR_BUFFER, SM_START_CSR_WINDOWS_PID, SM_START_CSR_INITIAL_COMMAND_PID, SM_STOP_CSR_SESSION_ID,
} from "../kernel/sdk/sm";
import { STATUS_OBJECT_NAME_NOT_FOUND, STATUS_INSUFFICIENT_RESOURCES } from "../kernel/sdk/ntstatus";
import { SmpExecuteImage, SmpExitStatus } from "./smexec";
import { NtTerminateProcess } from "./ntapi";
import { SmpFatal, SmpTerminate } from "./smfail";
import { SmpAttributes, SmpDecimal, SmpHex, SmpLog, SmpLogFailure, SmpSlot } from "./smutil";
import { SystemProcessInformation } from "../kernel/sdk/sysinfo";
import { ProcessBreakOnTermination } from "../kernel/sdk/procinfo";

export const SMSS_PATH = "\\SystemRoot\\System32\\smss.exe";
const SynchronizationEvent: u32 = 1;
const NotificationEvent: u32 = 0;
const WaitAny: u32 = 1;
// SYSTEM_PROCESS_INFORMATION (kernel/sdk/sysinfo.ts): the fields read here.
const SPI_NEXT: u32 = 0x00, SPI_PID: u32 = 0x44, SPI_PARENT: u32 = 0x48;

/** A session a copy of smss made: its id, status, and its csrss and initial command (handles the first smss keeps). */
export class SmpSession {
  constructor(public sessionId: u32, public status: u32, public csrssPid: u32, public csrss: u32, public initialPid: u32, public initial: u32) {}
}

function hex8(v: u32): string { return SmpHex(v).slice(2, i32.MAX_VALUE); }

// SmpChildOf's buffer, kept for the next session (smss's allocator never
// frees: a new one per session ran the heap out by the second boot session).
let SmpProcessBuffer: usize = 0;
let SmpProcessBufferSize: u32 = 0;

/** The process ids whose parent is `parent`, but `except`. Main thread only. */
function SmpChildOf(parent: u32, except: u32): u32 {
  let size: u32 = SmpProcessBufferSize != 0 ? SmpProcessBufferSize : 0x4000;
  while (size <= 0x40000) {
    if (size > SmpProcessBufferSize) { SmpProcessBuffer = heap.alloc(size); SmpProcessBufferSize = size; }
    const buffer = SmpProcessBuffer;
    const status = NtQuerySystemInformation(SystemProcessInformation, buffer, size, 0);
    if (status == STATUS_SUCCESS) {
      let at = buffer;
      while (true) {
        const pid = load<u32>(at + SPI_PID);
        if (load<u32>(at + SPI_PARENT) == parent && pid != except && pid != 0) return pid;
        const next = load<u32>(at + SPI_NEXT);
        if (next == 0 || next > buffer + size - at - SPI_PARENT - 4) break; // the kernel's offsets stay inside the buffer
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
  const oa = InitializeObjectAttributes(heap.alloc(offsetof<OBJECT_ATTRIBUTES>()), 0, 0, 0, 0);
  return NtOpenProcess(handle, SYNCHRONIZE | PROCESS_QUERY_INFORMATION | 0x0001 /* PROCESS_TERMINATE */, oa, cid) == STATUS_SUCCESS ? load<u32>(handle) : 0;
}

/** Starts the copy of smss for session `wanted` and waits until it has made the session (or failed). */
export function SmpStartSession(wanted: u32, initialCommand: string = ""): SmpSession {
  const slot = SmpSlot();
  const oa = InitializeObjectAttributes(heap.alloc(offsetof<OBJECT_ATTRIBUTES>()), 0, OBJ_INHERIT, 0, 0);
  let status = NtCreateEvent(slot, EVENT_ALL_ACCESS, oa, NotificationEvent, false);
  if (status != STATUS_SUCCESS) { SmpLogFailure("NtCreateEvent", status, "session " + SmpDecimal(wanted)); return new SmpSession(wanted, status, 0, 0, 0, 0); }
  const event = load<u32>(slot);
  const entry = SmpRegisterSession(wanted, event);
  if (entry == 0) { NtClose(event); return new SmpSession(wanted, STATUS_UNSUCCESSFUL, 0, 0, 0, 0); }
  const copy = SmpExecuteImage(SMSS_PATH, SMSS_PATH + " " + hex8(wanted) + " " + hex8(event) + (initialCommand.length != 0 ? " " + initialCommand : ""), true, false, true);
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

// ---- SM API requests the API thread queued for this thread (smapi.ts) ----

/** Deferred subsystems started so far (by name), with their process handles. */
const SmpDeferredNames: string[] = [];
const SmpDeferredProcesses: u32[] = [];

/** LoadDeferedSubsystem: a name of SubSystems\Optional, its value the command line; started once, answered once it connected. */
function SmpLoadDeferedSubsystem(message: usize, client: u32): u32 {
  const name = String.UTF16.decodeUnsafe(message + SM_API_MSG_U + SM_LOAD_DEFERED_BUFFER, load<u32>(message + SM_API_MSG_U + SM_LOAD_DEFERED_LENGTH));
  let listed = false;
  for (let i = 0; i < SmpSubSystemsOptional.length; i++) if (SmpEqualNoCase(SmpSubSystemsOptional[i], name)) listed = true;
  const value = listed ? SmpSubSystemValue(name) : null;
  if (value === null || value.length == 0) {
    SmpLog("LoadDeferedSubsystem", name + " (for process " + SmpDecimal(client) + "): " + (listed ? "no value of that name under SubSystems" : "not an Optional subsystem") + " - Status == " + SmpHex(STATUS_OBJECT_NAME_NOT_FOUND));
    return STATUS_OBJECT_NAME_NOT_FOUND;
  }
  for (let i = 0; i < SmpDeferredNames.length; i++) {
    if (!SmpEqualNoCase(SmpDeferredNames[i], name)) continue;
    if (SmpExitStatus(SmpDeferredProcesses[i]) == 0x103 /* STATUS_PENDING: still running */) {
      SmpLog("LoadDeferedSubsystem", name + " (for process " + SmpDecimal(client) + "): already running");
      return STATUS_SUCCESS;
    }
  }
  const commandLine = SmpExpand(value!);
  const words = SmpWords(commandLine);
  const image = words.length != 0 ? SmpFindImage(words[0]) : "";
  if (image.length == 0) { SmpLog("LoadDeferedSubsystem", name + ": " + commandLine + " not found"); return STATUS_OBJECT_NAME_NOT_FOUND; }
  const started = SmpExecuteImage(image, commandLine, true);
  if (started.process == 0) { SmpLog("LoadDeferedSubsystem", name + ": " + image + " not started - Status == " + SmpHex(started.status)); return started.status; }
  const slot = SmpSlot();
  let status = NtCreateEvent(slot, EVENT_ALL_ACCESS, 0, NotificationEvent, false);
  const event = status == STATUS_SUCCESS ? load<u32>(slot) : 0;
  if (event == 0 || SmpRegisterDeferredSubsystem(started.pid, event) == 0) {
    NtTerminateProcess(started.process, STATUS_INSUFFICIENT_RESOURCES);
    NtClose(started.thread); NtClose(started.process);
    if (event != 0) NtClose(event);
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  SmpLog("LoadDeferedSubsystem", name + " for process " + SmpDecimal(client) + ": " + commandLine + " (process " + SmpDecimal(started.pid) + "), waiting for it to connect");
  NtResumeThread(started.thread, 0);
  NtClose(started.thread);
  const handles = SmpSlot();
  store<u32>(handles, event); store<u32>(handles, started.process, 4);
  const woke = NtWaitForMultipleObjects(2, handles, WaitAny, 0, 0);
  NtClose(event);
  if (woke != 0) {
    status = woke == 1 ? SmpExitStatus(started.process) : woke;
    SmpLog("LoadDeferedSubsystem", name + " (process " + SmpDecimal(started.pid) + ") ended before it connected - Status == " + SmpHex(status));
    NtClose(started.process);
    return status == STATUS_SUCCESS ? STATUS_UNSUCCESSFUL : status;
  }
  SmpDeferredNames.push(name);
  SmpDeferredProcesses.push(started.process);
  SmpLog("LoadDeferedSubsystem", name + " (process " + SmpDecimal(started.pid) + ") connected");
  return STATUS_SUCCESS;
}

/** StartCsr: a new session, its csrss and its initial command (the message's command line, or winlogon). */
function SmpStartCsr(message: usize, client: u32): u32 {
  const u = message + SM_API_MSG_U;
  const command = String.UTF16.decodeUnsafe(u + SM_START_CSR_BUFFER, load<u32>(u + SM_START_CSR_LENGTH));
  store<u32>(u + SM_START_CSR_SESSION_ID, 0); store<u32>(u + SM_START_CSR_WINDOWS_PID, 0); store<u32>(u + SM_START_CSR_INITIAL_COMMAND_PID, 0);
  if (!SmpIsCritical()) { SmpLog("StartCsr", "request from process " + SmpDecimal(client) + " refused: smss is no longer a critical process"); return STATUS_ACCESS_DENIED; }
  const wanted = SmpHighestSessionId() + 1;
  const s = SmpStartSession(wanted, command);
  if (s.csrss != 0) NtClose(s.csrss);
  if (s.initial != 0) NtClose(s.initial);
  if (s.status != STATUS_SUCCESS) { SmpLog("StartCsr", "session " + SmpDecimal(wanted) + " for process " + SmpDecimal(client) + " failed - Status == " + SmpHex(s.status)); return s.status; }
  SmpLog("session " + SmpDecimal(s.sessionId), "made by StartCsr of process " + SmpDecimal(client) + ": csrss (process " + SmpDecimal(s.csrssPid)
    + "), " + (command.length != 0 ? command : "winlogon") + " (process " + SmpDecimal(s.initialPid) + ")");
  store<u32>(u + SM_START_CSR_SESSION_ID, s.sessionId);
  store<u32>(u + SM_START_CSR_WINDOWS_PID, s.csrssPid);
  store<u32>(u + SM_START_CSR_INITIAL_COMMAND_PID, s.initialPid);
  return STATUS_SUCCESS;
}

/** StopCsr: ends the csrss of a session smss made (the boot sessions' csrss the system needs: refused). */
function SmpStopCsr(message: usize, client: u32): u32 {
  const id = load<u32>(message + SM_API_MSG_U + SM_STOP_CSR_SESSION_ID);
  if (id <= 1) { SmpLog("StopCsr", "session " + SmpDecimal(id) + " for process " + SmpDecimal(client) + " refused: the boot sessions keep their csrss"); return STATUS_ACCESS_DENIED; }
  const pid = SmpSessionSubsystemById(id);
  const process = SmpOpenProcessById(pid);
  if (process == 0) { SmpLog("StopCsr", "session " + SmpDecimal(id) + " for process " + SmpDecimal(client) + ": no csrss - Status == " + SmpHex(STATUS_INVALID_PARAMETER)); return STATUS_INVALID_PARAMETER; }
  let status = NtTerminateProcess(process, STATUS_SUCCESS);
  if (status == STATUS_SUCCESS) { NtWaitForSingleObject(process, 0, 0); SmpForgetSessionSubsystem(id); }
  NtClose(process);
  SmpLog("StopCsr", "session " + SmpDecimal(id) + " for process " + SmpDecimal(client) + ": csrss (process " + SmpDecimal(pid) + ") " + (status == STATUS_SUCCESS ? "ended" : "not ended - Status == " + SmpHex(status)));
  return status;
}

function SmpServeSmRequest(message: usize, client: u32): u32 {
  const api = load<u32>(message + SM_API_MSG_API_NUMBER);
  if (api == SmpLoadDeferedSubsystemApi) return SmpLoadDeferedSubsystem(message, client);
  if (api == SmpStartCsrApi) return SmpStartCsr(message, client);
  return SmpStopCsr(message, client);
}

/** Steps 5, 6 and 7. Never returns. */
export function SmpStartSessions(): void {
  SmpBootSession(0);
  const one = SmpBootSession(1);
  const serving = SmpCreateWinStationPort();
  const handles = heap.alloc(16);
  // Handle 0: the SM API's queued requests (LoadDeferedSubsystem, StartCsr, StopCsr); 1: the WinStation request; then session 1's pair.
  store<u32>(handles, SmpApiWorkEvent);
  let count: u32 = 1;
  if (serving) { store<u32>(handles + 4, SmpRequestEvent); count = 2; }
  const first = count; // the index of csrss
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
    if (woke == 0) { SmpServeDeferredRequests(SmpServeSmRequest); continue; }
    const which = woke >= first ? woke - first + 1 : 0; // 0 request, 1 csrss, 2 winlogon
    if (woke < first) { SmpServeWinStationRequest(); NtSetEvent(SmpDoneEvent, 0); continue; }
    if (which == 1 || which == 2) {
      const process = load<u32>(handles + (woke << 2));
      const status = SmpExitStatus(process);
      const name = which == 1 ? "Windows SubSystem" : "Windows Logon Process";
      SmpLog("session 1", (which == 1 ? "csrss (process " + SmpDecimal(one!.csrssPid) : "winlogon (process " + SmpDecimal(one!.initialPid))
        + ") ended with status " + SmpHex(status) + ": " + name + " terminated");
      SmpTerminate(name, status, "");
    }
    SmpLogFailure("NtWaitForMultipleObjects", woke, "session 1");
    count = first;
  }
}
