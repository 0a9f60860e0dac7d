// smss.exe, the Session Manager: the first user process, started by the
// kernel from \SystemRoot\System32\smss.exe (kernel/ps/psinit.ts) and loaded
// by ntdll.dll like every native program. This file is the boot order of
// ../shared/SMSS.md, one call per step; each step writes one log line
// `smss: <step>: ...`, so the serial log reads as the boot's timeline.
//
//   smss.ts     this order                 sminit.ts   configuration, object directories
//   smenv.ts    environment (3, 4g)         smdosdev.ts DOS devices, \Sessions (4a, 4b)
//   smexec.ts   BootExecute, starting programs (4c)
//   smrename.ts file renames (4d)           smknown.ts  KnownDlls (4e)
//   pagefile.ts paging files (4f)           smapi.ts    \SmApiPort (1, the SM API)
//   smfail.ts   fatal failures              smreg.ts, smutil.ts  registry reading, log, strings
//
//   smsessn.ts  sessions (5, 6, 7)         smsubsys.ts a session's copy: Kmode, csrss, winlogon (4h)
//
// The same image is each session's copy of smss (smsessn.ts starts it with
// a command line naming the session): main() tells them apart by that.
//
// Threads (audited 2026-12-07; the kernel preempts any of them anywhere):
//   main        every step, the sessions, the deferred SM requests, the
//               WinStation requests; all logging through smutil.ts (SmpLog),
//               all allocation (strings, SmpSlot, heap.alloc)
//   SmApiPort   smapi.ts SmpApiLoop: its own static buffers (request, the
//               out-cells, apiLine/apiLength for its log lines through its
//               own put/flush: no other thread calls those), the client table
//   WinStation  smsessn.ts SmpWinStationLoop: receives into wsMessage and
//               hands it to main with two events (main touches wsMessage only
//               between them)
// Shared tables, each with one writer per field: the session entries (main
// fills one, then InUse; the API thread writes the subsystem fields main
// reads after the copy's exit), the deferred-subsystem entries and
// SmpKnownSubSystems (main appends, count last), the deferred-request slots
// (API thread fills, then state 1, then sets the event; main serves, then
// state 0). The AssemblyScript heap is thread-safe (scripts/asrt/stub.ts),
// and ntdll's heap has its critical section; a session's copy is another
// process, with its own copies of all of these.

import {
  RtlGetCurrentPeb, NtSetInformationProcess, NtQueryInformationProcess, RtlSetProcessIsCritical, RtlSetThreadIsCritical, NtCurrentProcess,
  STATUS_SUCCESS,
} from "./ntapi";
import { SmpCreateObjectDirectories, SmpLoadConfiguration, SmpSubSystemsRequired, SmpSubSystemKmode, SmpSubSystemWindows } from "./sminit";
import { SmpCreateDynamicEnvironmentVariables, SmpCreateEnvironment } from "./smenv";
import { SmpCreateSessionsDirectory, SmpInitializeDosDevices } from "./smdosdev";
import { SmpRunBootExecute } from "./smexec";
import { SmpProcessFileRenames } from "./smrename";
import { SmpInitializeKnownDlls } from "./smknown";
import { SmpCreatePagingFiles } from "./pagefile";
import { SmpCreateApiPort, SmpVolumesSafe } from "./smapi";
import { SmpStartSessions } from "./smsessn";
import { SmpSessionMain } from "./smsubsys";
import { SmpDecimal, SmpJoin, SmpLog, SmpLogFailure, SmpSlot, SmpWords } from "./smutil";
import { SmpInstallExceptionFilter } from "./smfail";
import { ProcessBasicInformation, ProcessBasePriority, PROCESS_BASIC_INFORMATION, SIZEOF_PROCESS_BASIC_INFORMATION } from "../kernel/sdk/procinfo";
import { PEB, RTL_USER_PROCESS_PARAMETERS } from "../kernel/sdk/peb";
/** The top-level exception filter (smfail.ts), exported so that the linker can give its address. */
export { SmpUnhandledExceptionFilter } from "./smfail";

const SMSS_BASE_PRIORITY: u32 = 11;

let SmpCopyInitialCommand = "";

/** A copy's command line: `smss.exe <session> <event> [initial command]` (eight hexadecimal digits each); -1 for the first smss. */
function SmpCopyArguments(event: usize): i64 {
  const params = changetype<PEB>(RtlGetCurrentPeb()).ProcessParameters;
  if (params == 0) return -1;
  const commandLine = changetype<RTL_USER_PROCESS_PARAMETERS>(params);
  const words = SmpWords(String.UTF16.decodeUnsafe(commandLine.CommandLine_Buffer, <usize>commandLine.CommandLine_Length));
  if (words.length < 3 || words[1].length != 8 || words[2].length != 8) return -1;
  // After them, StartCsr's initial command, when it named one.
  SmpCopyInitialCommand = words.slice(3, words.length).join(" ");
  const id = parseHex(words[1]), handle = parseHex(words[2]);
  if (id < 0 || handle < 0) return -1;
  store<u32>(event, <u32>handle);
  return id;
}
function parseHex(s: string): i64 {
  let v: i64 = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const d = c >= 48 && c <= 57 ? c - 48 : (c >= 65 && c <= 70 ? c - 55 : (c >= 97 && c <= 102 ? c - 87 : -1));
    if (d < 0) return -1;
    v = (v << 4) | <i64>d;
  }
  return v;
}

/** Start: critical process and main thread, base priority 11. */
function SmpStart(): void {
  const pbi = changetype<PROCESS_BASIC_INFORMATION>(heap.alloc(SIZEOF_PROCESS_BASIC_INFORMATION));
  NtQueryInformationProcess(NtCurrentProcess, ProcessBasicInformation, changetype<usize>(pbi), SIZEOF_PROCESS_BASIC_INFORMATION, 0);
  let status = RtlSetProcessIsCritical(true, 0, false);
  if (status != STATUS_SUCCESS) SmpLogFailure("RtlSetProcessIsCritical", status, "");
  const thread = RtlSetThreadIsCritical(true, 0, false);
  if (thread != STATUS_SUCCESS) SmpLogFailure("RtlSetThreadIsCritical", thread, "");
  const priority = SmpSlot();
  store<u32>(priority, SMSS_BASE_PRIORITY);
  const set = NtSetInformationProcess(NtCurrentProcess, ProcessBasePriority, priority, 4);
  if (set != STATUS_SUCCESS) SmpLogFailure("NtSetInformationProcess", set, "ProcessBasePriority");
  SmpLog("start", "process " + SmpDecimal(pbi.UniqueProcessId) + ", parent " + SmpDecimal(pbi.InheritedFromUniqueProcessId)
    + (status == STATUS_SUCCESS ? ", critical" : "") + (thread == STATUS_SUCCESS ? ", main thread critical" : "")
    + (set == STATUS_SUCCESS ? ", base priority 11" : ""));
}

export function main(): void {
  SmpInstallExceptionFilter();                // an exception in any smss thread stops the system (smfail.ts)
  const event = SmpSlot();
  const session = SmpCopyArguments(event);
  if (session >= 0) { SmpSessionMain(<u32>session, load<u32>(event), SmpCopyInitialCommand); return; }
  SmpStart();
  SmpCreateApiPort();                         // 1. \SmApiPort, its thread, \Device\VolumesSafeForWriteAccess
  SmpLoadConfiguration();                     // 2. the Session Manager key
  SmpCreateObjectDirectories();               //    ObjectDirectories: \Windows, \RPC Control
  SmpCreateEnvironment();                     // 3. the system environment
  SmpInitializeDosDevices();                  // 4a. \??\AUX, NUL, PRN, COM1, drives
  SmpCreateSessionsDirectory();               // 4b. \Sessions
  SmpRunBootExecute();                        // 4c. autocheck autochk *
  SmpProcessFileRenames();                    // 4d. PendingFileRenameOperations
  SmpInitializeKnownDlls();                   // 4e. \KnownDlls
  SmpCreatePagingFiles();                     // 4f. pagefile.sys
  SmpVolumesSafe();                           //     \Device\VolumesSafeForWriteAccess set
  SmpCreateDynamicEnvironmentVariables();     // 4g. OS, PROCESSOR_*, NUMBER_OF_PROCESSORS
  SmpLog("subsystems", "Kmode " + (SmpSubSystemKmode.length != 0 ? SmpSubSystemKmode : "(none)") + ", Required "
    + SmpJoin(SmpSubSystemsRequired, " ") + ": each session's smss starts them");
  SmpStartSessions();                         // 5-7. sessions 0 and 1, then wait and serve
}
