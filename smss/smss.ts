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
// Part 2 (issue 13) continues after step 4g; what is here for it:
// SmpSubSystem* (sminit.ts) hold Kmode, Required, Optional and the Windows
// value (REG_EXPAND_SZ: expand it with SmpExpand for csrss's command line);
// SmpExecuteImage (smexec.ts) starts a subsystem suspended; its pid goes in
// SmpKnownSubSystems (smapi.ts) so that its connection to \SmApiPort (with
// SB_CONNECTION_INFO, kernel/sdk/sm.ts) is accepted as a subsystem, may use
// APIs 0-2 and ExecPgm, and is connected back to its SbApiPort (SB_API_MSG,
// SbpCreateSession...). Sessions get \Sessions\<n> under the directory of
// step 4b. Until then smss says so on its last line and serves \SmApiPort.

import {
  NtDelayExecution, NtSetInformationProcess, NtQueryInformationProcess, RtlSetProcessIsCritical, RtlSetThreadIsCritical, NtCurrentProcess,
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
import { SmpDecimal, SmpJoin, SmpLog, SmpLogFailure, SmpSlot } from "./smutil";

const ProcessBasePriority: u32 = 5;
const SMSS_BASE_PRIORITY: u32 = 11;
const forever = memory.data<u64>([0x8000000000000000]); // the longest relative interval

/** Start: critical process and main thread, base priority 11. */
function SmpStart(): void {
  const pbi = heap.alloc(24);
  NtQueryInformationProcess(NtCurrentProcess, 0, pbi, 24, 0);
  let status = RtlSetProcessIsCritical(true, 0, false);
  if (status != STATUS_SUCCESS) SmpLogFailure("RtlSetProcessIsCritical", status, "");
  const thread = RtlSetThreadIsCritical(true, 0, false);
  if (thread != STATUS_SUCCESS) SmpLogFailure("RtlSetThreadIsCritical", thread, "");
  const priority = SmpSlot();
  store<u32>(priority, SMSS_BASE_PRIORITY);
  const set = NtSetInformationProcess(NtCurrentProcess, ProcessBasePriority, priority, 4);
  if (set != STATUS_SUCCESS) SmpLogFailure("NtSetInformationProcess", set, "ProcessBasePriority");
  SmpLog("start", "process " + SmpDecimal(load<u32>(pbi, 16)) + ", parent " + SmpDecimal(load<u32>(pbi, 20))
    + (status == STATUS_SUCCESS ? ", critical" : "") + (thread == STATUS_SUCCESS ? ", main thread critical" : "")
    + (set == STATUS_SUCCESS ? ", base priority 11" : ""));
}

export function main(): void {
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
  SmpLog("waiting for subsystems", "Kmode and Required (" + SmpJoin(SmpSubSystemsRequired, ", ")
    + ") are started by part 2 (issue 13); \\SmApiPort stays served");
  while (true) NtDelayExecution(0, forever);
}
