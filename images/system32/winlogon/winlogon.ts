// winlogon.exe, the logon process of session 1 and every later session,
// started by that session's smss copy after its csrss. It is critical in its
// session through smss, which waits on it: its end stops the system with
// 0xC000021A naming the "Windows Logon Process" and its exit status (so it
// does not set the kernel's critical flag, which would stop the system with
// 0xEF before smss could name it). It waits until lsass has set
// \SECURITY\LSA_AUTHENTICATION_INITIALIZED, connects to
// \LsaAuthenticationPort as the logon process "Winlogon", then loops:
//
//   1. the logon screen: `winlogon: session <n>: logon screen` on COM1 and
//      the prompts (console.ts: the session's screen once win32k's shadow
//      services are there, COM1 until then);
//   2. the user name and the password, one line each, typed on COM1
//      (headless) or on the session's keyboard (input.ts);
//   3. LsaLogonUser through the port (lsa.ts); a failure is shown and
//      reported to the event log (529), and the screen comes back;
//   4. on success (528 reported): the Shell that SOFTWARE\Microsoft\Windows
//      NT\CurrentVersion\Winlogon names (defshell.exe when it is missing or
//      cannot start), with USERNAME, USERDOMAIN and USERPROFILE in its
//      environment, run with a token of the user's own (token.ts:
//      NtCreateToken, then ProcessAccessToken on the suspended shell);
//      winlogon waits for it: its end is the log-off (538), and the logon
//      screen comes back.
//
// A user name of `shutdown` (no password asked, as NT's logon screen offers
// "Shut Down" before anyone logs on) shuts the system down: winlogon enables
// SeShutdownPrivilege and calls NtShutdownSystem(ShutdownPowerOff).
//
// Threads: one (audited 2026-12-07): it starts none, so its static buffers and
// globals have one user; the ntdll routines it calls lock for themselves.

import {
  NtClose, NtCreateDirectoryObject, NtCreateEvent, NtWaitForSingleObject,
  RtlCreateEnvironment, RtlSetEnvironmentVariable, RtlAdjustPrivilege, NtShutdownSystem,
  OBJ_OPENIF, OBJ_PERMANENT, DIRECTORY_ALL_ACCESS, EVENT_ALL_ACCESS, NotificationEvent,
  STATUS_SUCCESS, STATUS_LOGON_FAILURE, STATUS_NO_SUCH_USER, STATUS_WRONG_PASSWORD,
} from "../native/nt";
import {
  Attributes, CurrentProcessId, CurrentSessionId, Decimal, EqualNoCase, ExitStatus, Hex, Log, LogFailure, Milliseconds,
  ImagePathOf, OpenKey, ReadString, Slot, StartProcess, Unicode,
} from "../native/util";
import { ReportEvent } from "../native/event";
import { InputLine, InputOpen } from "./input";
import { ConsoleLogonScreen, ConsoleOpen, ConsoleWrite } from "./console";
import { LsaConnect, LsaLogonUser, LsaSubStatus, LsaLogonId, LsaRelativeId } from "./lsa";
import { StartAsUser, WlCreateUserToken } from "./token";
import { LSA_AUTHENTICATION_EVENT_NAME } from "../../../kernel/sdk/lsa";
import { EVENTLOG_AUDIT_SUCCESS, EVENTLOG_AUDIT_FAILURE, EVENT_LOGON, EVENT_LOGOFF, EVENT_LOGON_FAILURE, EVENT_SHUTDOWN } from "../../../kernel/sdk/eventlog";

const SE_SHUTDOWN_PRIVILEGE: u32 = 19;
const ShutdownPowerOff: u32 = 2;

const WINLOGON_KEY = "\\Registry\\Machine\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon";
const DEFAULT_SHELL = "defshell.exe";
let Session: u32 = 0;
const tokenSlot = Slot(); // the logged-on user's token handle (the logon loop is winlogon's one thread)

function Say(text: string): void { Log("session " + Decimal(Session) + ": " + text); }

/** Waits for lsass (its event, made here if lsass has not made it yet, as NT's winlogon does). */
function WlWaitForLsa(): bool {
  const h = Slot();
  let status = NtCreateDirectoryObject(h, DIRECTORY_ALL_ACCESS, Attributes("\\SECURITY", OBJ_OPENIF | OBJ_PERMANENT, 0));
  if (status == STATUS_SUCCESS || status == 0x40000000) NtClose(load<u32>(h));
  status = NtCreateEvent(h, EVENT_ALL_ACCESS, Attributes(LSA_AUTHENTICATION_EVENT_NAME, OBJ_OPENIF, 0), NotificationEvent, false);
  if (status != STATUS_SUCCESS && status != 0x40000000) { LogFailure("NtCreateEvent", status, LSA_AUTHENTICATION_EVENT_NAME); return false; }
  const event = load<u32>(h);
  let waited = 0;
  while (NtWaitForSingleObject(event, 0, Milliseconds(10000)) != STATUS_SUCCESS) {
    waited += 10;
    Say("still waiting for lsass (" + Decimal(waited) + " s)");
  }
  NtClose(event);
  return true;
}

/** The environment of a user's shell: winlogon's own, plus who logged on. */
function WlUserEnvironment(user: string): usize {
  const env = Slot();
  if (RtlCreateEnvironment(true, env) != STATUS_SUCCESS) return 0;
  RtlSetEnvironmentVariable(env, Unicode("USERNAME"), Unicode(user));
  RtlSetEnvironmentVariable(env, Unicode("USERDOMAIN"), Unicode("NTWASM86"));
  RtlSetEnvironmentVariable(env, Unicode("USERPROFILE"), Unicode("C:\\Users\\" + user));
  return load<usize>(env);
}

/** Runs the user's shell until it ends (the log-off). */
function WlRunShell(user: string, token: u32): void {
  const key = OpenKey(WINLOGON_KEY, 0);
  const shell = ReadString(key, "Shell", DEFAULT_SHELL);
  if (key != 0) NtClose(key);
  const env = WlUserEnvironment(user);
  let commandLine = shell.length != 0 ? shell : DEFAULT_SHELL;
  let started = StartAsUser(token, ImagePathOf(commandLine), commandLine, env);
  if (started.process == 0 && !EqualNoCase(commandLine, DEFAULT_SHELL)) {
    Say("the Shell \"" + commandLine + "\" cannot start - Status == " + Hex(started.status) + "; starting " + DEFAULT_SHELL);
    commandLine = DEFAULT_SHELL;
    started = StartAsUser(token, ImagePathOf(commandLine), commandLine, env);
  }
  if (started.process == 0) { Say("no shell could start - Status == " + Hex(started.status) + "; logged off"); return; }
  NtClose(started.thread);
  Say("shell " + commandLine + " (process " + Decimal(started.pid) + ") started for " + user);
  NtWaitForSingleObject(started.process, 0, 0);
  const status = ExitStatus(started.process);
  NtClose(started.process);
  Say(user + " logged off (the shell ended with status " + Hex(status) + ")");
  ReportEvent("Security", EVENTLOG_AUDIT_SUCCESS, EVENT_LOGOFF, user + " logged off in session " + Decimal(Session));
}

/** NtShutdownSystem(ShutdownPowerOff), with SeShutdownPrivilege enabled: returns only when it fails. */
function WlShutdown(): void {
  Say("shutdown requested: powering off");
  ReportEvent("Security", EVENTLOG_AUDIT_SUCCESS, EVENT_SHUTDOWN, "shutdown requested at the logon screen of session " + Decimal(Session));
  ConsoleWrite("\r\nShutting down...\r\n");
  const enabled = Slot();
  const privilege = RtlAdjustPrivilege(SE_SHUTDOWN_PRIVILEGE, true, false, enabled);
  if (privilege != STATUS_SUCCESS) LogFailure("RtlAdjustPrivilege", privilege, "SeShutdownPrivilege");
  const status = NtShutdownSystem(ShutdownPowerOff);
  LogFailure("NtShutdownSystem", status, "ShutdownPowerOff");
}

export function main(): void {
  Session = CurrentSessionId();
  Say("process " + Decimal(CurrentProcessId()));
  if (!WlWaitForLsa()) return;
  const connected = LsaConnect();
  if (connected != STATUS_SUCCESS) { LogFailure("NtConnectPort", connected, "\\LsaAuthenticationPort"); return; }
  const screen = ConsoleOpen(Session);
  // COM1 is session 1's (and a session without a screen has nothing else).
  const com1 = Session == 1 || !screen;
  if (!InputOpen(com1)) return;
  Say(screen ? "the logon screen is on this session's screen; keys from its keyboard" + (com1 ? " and COM1" : " (COM1 is session 1's)")
    : "no session screen (win32k is not loaded in this session): COM1 only");
  let message = "";
  while (true) {
    ConsoleLogonScreen(Session, message);
    Say("logon screen");
    ConsoleWrite("User name: ");
    Say("user name:");
    const user = InputLine(20, false);
    if (user == null) { Say("COM1 cannot be read"); return; }
    if (EqualNoCase(user, "shutdown")) { WlShutdown(); message = "The shutdown failed."; continue; }
    ConsoleWrite("Password:  ");
    Say("password:");
    const password = InputLine(64, true);
    if (password == null) { Say("COM1 cannot be read"); return; }
    const status = LsaLogonUser(user, password);
    if (status != STATUS_SUCCESS) {
      const sub = LsaSubStatus();
      Say("logon failed for " + user + ": " + Hex(status) + (status == STATUS_LOGON_FAILURE
        ? (sub == STATUS_NO_SUCH_USER ? " (unknown user name or bad password; no such user)" : sub == STATUS_WRONG_PASSWORD
          ? " (unknown user name or bad password; wrong password)" : "") : " (sub-status " + Hex(sub) + ")"));
      ReportEvent("Security", EVENTLOG_AUDIT_FAILURE, EVENT_LOGON_FAILURE, "logon failure for " + user + " in session " + Decimal(Session) + ": " + Hex(status));
      message = status == STATUS_LOGON_FAILURE ? "The user name or password is incorrect." : "Logon failure: " + Hex(status);
      continue;
    }
    const made = WlCreateUserToken(LsaRelativeId(), LsaLogonId(), tokenSlot);
    if (made != STATUS_SUCCESS) {
      LogFailure("NtCreateToken", made, user);
      message = "Logon failure: " + Hex(made);
      continue;
    }
    const token = load<u32>(tokenSlot);
    Say(user + " logged on (logon id " + Hex(LsaLogonId()) + ")");
    ReportEvent("Security", EVENTLOG_AUDIT_SUCCESS, EVENT_LOGON, user + " logged on in session " + Decimal(Session));
    ConsoleWrite("\r\nWelcome, " + user + ".\r\n");
    WlRunShell(user, token);
    NtClose(token);
    message = "";
  }
}
