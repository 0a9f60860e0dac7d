// Step 4h for one session, done by the session's own copy of smss (the
// Vista model, smsessn.ts starts it): its session (SystemSessionCreate for
// sessions above 0: the copy moves into the new session, so everything it
// starts is in it), Kmode (win32k.sys loaded into that session), the
// Required subsystems (Debug, Windows; the Windows value, REG_EXPAND_SZ, is
// csrss's whole command line), the wait for csrss to connect to \SmApiPort
// (the first smss accepts it, connects back to its SbApiPort and sets the
// event this copy inherited), then the initial command: wininit.exe in
// session 0, winlogon.exe in the others. The copy reports the session to
// the first smss with SessionComplete and exits with the session's status.
//
//   smss.exe 00000001 0000004C      session id, the inherited event's handle
//
// NT treats a failure here as fatal for the boot's sessions (the first smss
// decides, smsessn.ts): a missing csrss.exe, wininit.exe or winlogon.exe
// ends the copy with STATUS_OBJECT_NAME_NOT_FOUND after one line saying so.
// Until win32k.sys is on the disk and the kernel loads it, Kmode's failure
// for that reason only is logged (NT's line) and the session goes on.

import {
  NtClose, NtConnectPort, NtRequestWaitReplyPort, NtResumeThread, NtSetSystemInformation, NtTerminateProcess, NtWaitForMultipleObjects,
  RtlAdjustPrivilege, NtCurrentProcess, STATUS_SUCCESS, STATUS_OBJECT_NAME_NOT_FOUND, STATUS_INVALID_INFO_CLASS, STATUS_NOT_IMPLEMENTED,
  STATUS_INVALID_SYSTEM_SERVICE,
} from "./ntapi";
import { SIZEOF_SM_API_MSG, SM_API_MSG_API_NUMBER, SM_API_MSG_RETURN_VALUE, SM_API_MSG_U, SmpSessionCompleteApi, SM_SESSION_COMPLETE_SESSION_ID, SM_SESSION_COMPLETE_STATUS } from "../kernel/sdk/sm";
import { SmpLoadConfiguration, SmpSubSystemsRequired, SmpSubSystemValues, SmpSubSystemKmode } from "./sminit";
import { SmpExpand, SmpInheritEnvironment } from "./smenv";
import { SmpExecuteImage, SmpExitStatus, SmpFindImage } from "./smexec";
import { SmpSetSessionObjectDirectories } from "./smdevmap";
import { SmpDecimal, SmpEqualNoCase, SmpHex, SmpLog, SmpLogText, SmpSlot, SmpUnicode, SmpWords } from "./smutil";
import { SystemExtendServiceTableInformation, SystemSessionCreate } from "../kernel/sdk/sysinfo";
import { STATUS_IMAGE_ALREADY_LOADED } from "../kernel/sdk/ntstatus";
import { InitializeSecurityQualityOfService, SECURITY_DYNAMIC_TRACKING, SecurityIdentification } from "../kernel/sdk/lpc";
const SE_LOAD_DRIVER_PRIVILEGE: u32 = 10;
const WaitAny: u32 = 1;
/** NT loads this path whatever Kmode's value says (the value only has to be there). */
export const SMP_WIN32K = "\\SystemRoot\\System32\\win32k.sys";

let SmpSessionStep = "session 0";
function log(text: string): void { SmpLog(SmpSessionStep, text); }

/** The failure that ends the copy: the line, then SessionComplete with the status, then the exit. */
function SmpSessionFailed(sessionId: u32, what: string, status: u32): void {
  log(what + " - Status == " + SmpHex(status));
  SmpReportSession(sessionId, status);
  NtTerminateProcess(NtCurrentProcess, status);
}

/** Sessions above 0: NtSetSystemInformation(SystemSessionCreate) moves this copy into a new session; its id. */
function SmpCreateSessionSpace(wanted: u32): u32 {
  const id = SmpSlot();
  store<u32>(id, wanted);
  RtlAdjustPrivilege(SE_LOAD_DRIVER_PRIVILEGE, true, false, SmpSlot());
  const status = NtSetSystemInformation(SystemSessionCreate, id, 4);
  if (status != STATUS_SUCCESS) SmpSessionFailed(wanted, "SystemSessionCreate failed: session space creation failed", status);
  const got = load<u32>(id);
  if (got != wanted) {
    SmpSessionStep = "session " + SmpDecimal(got);
    log("the kernel made session " + SmpDecimal(got) + " (session " + SmpDecimal(wanted) + " was asked for)");
  }
  return got;
}

/** Kmode: win32k.sys into this session (SystemExtendServiceTableInformation). */
function SmpLoadKmode(sessionId: u32): string {
  if (SmpSubSystemKmode.length == 0) return "no Kmode value";
  RtlAdjustPrivilege(SE_LOAD_DRIVER_PRIVILEGE, true, false, SmpSlot());
  const status = NtSetSystemInformation(SystemExtendServiceTableInformation, SmpUnicode(SMP_WIN32K), 8);
  if (status == STATUS_SUCCESS) return "Kmode " + SMP_WIN32K + " loaded";
  if (status == STATUS_IMAGE_ALREADY_LOADED) return "Kmode " + SMP_WIN32K + " already loaded in this session";
  // NT's line for this failure, then the session fails; a driver that is not there yet is only logged.
  SmpLogText("Load of WIN32K failed - Status == " + SmpHex(status) + " (" + SMP_WIN32K + ", session " + SmpDecimal(sessionId) + ")");
  if (status == STATUS_OBJECT_NAME_NOT_FOUND || status == STATUS_INVALID_INFO_CLASS || status == STATUS_NOT_IMPLEMENTED || status == STATUS_INVALID_SYSTEM_SERVICE) {
    return "Kmode " + SMP_WIN32K + " not loaded (" + SmpHex(status) + ", not on this system yet)";
  }
  SmpSessionFailed(sessionId, "Kmode failed", status);
  return "";
}

export function SmpSubSystemValue(name: string): string | null {
  for (let i = 0; i < SmpSubSystemValues.length; i++) {
    const v = SmpSubSystemValues[i];
    if (SmpEqualNoCase(v.name, name)) return v.text();
  }
  return null;
}

/**
 * The Windows subsystem: csrss started with the Windows value as its command
 * line (expanded), suspended, then let go; this copy waits until the first
 * smss has its connection (the event) or csrss ends first (a failure).
 */
function SmpStartWindowsSubSystem(sessionId: u32, value: string, event: u32): u32 {
  const commandLine = SmpExpand(value);
  const words = SmpWords(commandLine);
  const image = words.length != 0 ? SmpFindImage(words[0]) : "";
  if (image.length == 0) {
    SmpSessionFailed(sessionId, "Windows: " + (words.length != 0 ? words[0] : "(empty)") + " not found", STATUS_OBJECT_NAME_NOT_FOUND);
  }
  const csrss = SmpExecuteImage(image, commandLine, true);
  if (csrss.process == 0) SmpSessionFailed(sessionId, "Windows subsystem " + image + " not started", csrss.status);
  log("Windows: " + commandLine + " (process " + SmpDecimal(csrss.pid) + "), waiting for it to connect");
  NtResumeThread(csrss.thread, 0);
  NtClose(csrss.thread);
  const handles = SmpSlot();
  store<u32>(handles, event); store<u32>(handles, csrss.process, 4);
  const woke = NtWaitForMultipleObjects(2, handles, WaitAny, 0, 0);
  if (woke != 0) {
    const status = woke == 1 ? SmpExitStatus(csrss.process) : woke;
    SmpSessionFailed(sessionId, "the Windows subsystem (process " + SmpDecimal(csrss.pid) + ") ended before it connected", status);
  }
  NtClose(csrss.process);
  return csrss.pid;
}

/** Required: Debug and Windows; other names are logged. The Windows subsystem's process id. */
function SmpLoadRequired(sessionId: u32, event: u32): u32 {
  let csrss: u32 = 0;
  for (let i = 0; i < SmpSubSystemsRequired.length; i++) {
    const name = SmpSubSystemsRequired[i];
    const value = SmpSubSystemValue(name);
    if (value === null) { log("Required " + name + ": no value of that name under SubSystems - skipped"); continue; }
    if (SmpEqualNoCase(name, "Debug")) {
      if (value.length == 0) { log("Debug: nothing to start (empty value)"); continue; }
      const image = SmpFindImage(SmpWords(value)[0]);
      const debug = image.length != 0 ? SmpExecuteImage(image, SmpExpand(value), false, true) : null;
      if (debug === null || debug.process == 0) SmpSessionFailed(sessionId, "Debug subsystem " + value + " not started", debug === null ? STATUS_OBJECT_NAME_NOT_FOUND : debug.status);
      else { log("Debug: " + value + " (process " + SmpDecimal(debug.pid) + ")"); NtClose(debug.thread); NtClose(debug.process); }
    } else if (SmpEqualNoCase(name, "Windows")) {
      if (csrss == 0) csrss = SmpStartWindowsSubSystem(sessionId, value!, event);
    } else log("Required " + name + ": unknown subsystem - not started");
  }
  return csrss;
}

/** The initial command: wininit.exe in session 0, winlogon.exe elsewhere, or StartCsr's `command`; its process id. */
function SmpExecuteInitialCommand(sessionId: u32, command: string): u32 {
  const name = command.length != 0 ? SmpWords(command)[0] : sessionId == 0 ? "wininit.exe" : "winlogon.exe";
  const image = SmpFindImage(name);
  if (image.length == 0) {
    SmpSessionFailed(sessionId, "initial command " + name + " not found", STATUS_OBJECT_NAME_NOT_FOUND);
  }
  const started = SmpExecuteImage(image, command.length != 0 ? command : name, false);
  if (started.process == 0) SmpSessionFailed(sessionId, "initial command " + name + " failed", started.status);
  NtClose(started.thread);
  NtClose(started.process);
  return started.pid;
}

/** SessionComplete (SM API 1) to the first smss: the session's id and status. */
function SmpReportSession(sessionId: u32, status: u32): void {
  const port = SmpSlot();
  const qos = heap.alloc(12);
  InitializeSecurityQualityOfService(qos, SecurityIdentification, SECURITY_DYNAMIC_TRACKING, true); // Identification, dynamic, effective only
  const connected = NtConnectPort(port, SmpUnicode("\\SmApiPort"), qos, 0, 0, 0, 0, 0);
  if (connected != STATUS_SUCCESS) { log("NtConnectPort failed - Status == " + SmpHex(connected) + " (\\SmApiPort)"); return; }
  const m = heap.alloc(SIZEOF_SM_API_MSG);
  memory.fill(m, 0, SIZEOF_SM_API_MSG);
  store<u16>(m, <u16>(SIZEOF_SM_API_MSG - 24)); store<u16>(m, <u16>SIZEOF_SM_API_MSG, 2);
  store<u32>(m + SM_API_MSG_API_NUMBER, SmpSessionCompleteApi);
  store<u32>(m + SM_API_MSG_U + SM_SESSION_COMPLETE_SESSION_ID, sessionId);
  store<u32>(m + SM_API_MSG_U + SM_SESSION_COMPLETE_STATUS, status);
  const sent = NtRequestWaitReplyPort(load<u32>(port), m, m);
  if (sent != STATUS_SUCCESS || load<u32>(m + SM_API_MSG_RETURN_VALUE) != STATUS_SUCCESS) {
    log("SessionComplete failed - Status == " + SmpHex(sent != STATUS_SUCCESS ? sent : load<u32>(m + SM_API_MSG_RETURN_VALUE)));
  }
  NtClose(load<u32>(port));
}

/** A session's copy of smss, from its command line's session id and event handle. Never returns. */
export function SmpSessionMain(wanted: u32, event: u32, command: string = ""): void {
  SmpSessionStep = "session " + SmpDecimal(wanted);
  SmpInheritEnvironment();
  SmpLoadConfiguration(true);
  const sessionId = wanted != 0 ? SmpCreateSessionSpace(wanted) : 0;
  SmpSetSessionObjectDirectories(sessionId); // smdevmap.ts: its "\??" and BaseNamedObjects links, inherited by what it starts
  const kmode = SmpLoadKmode(sessionId);
  log(kmode + "; Required " + SmpJoinRequired());
  const csrss = SmpLoadRequired(sessionId, event);
  const initial = SmpExecuteInitialCommand(sessionId, command);
  log("csrss (process " + SmpDecimal(csrss) + ") and " + (command.length != 0 ? "the initial command " + command : sessionId == 0 ? "wininit" : "winlogon")
    + " (process " + SmpDecimal(initial) + ") started");
  SmpReportSession(sessionId, STATUS_SUCCESS);
  NtTerminateProcess(NtCurrentProcess, STATUS_SUCCESS);
}

function SmpJoinRequired(): string {
  let s = "";
  for (let i = 0; i < SmpSubSystemsRequired.length; i++) s += (i != 0 ? " " : "") + SmpSubSystemsRequired[i];
  return s;
}
