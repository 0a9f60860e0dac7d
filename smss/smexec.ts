// Step 4c, BootExecute, and how smss starts a program (part 2 starts the
// subsystems with the same SmpExecuteImage).
//
// An entry is `[debug|async|autocheck]... image args...`. The image is
// looked for on the environment's Path, then in %SystemRoot%\System32, with
// `.exe` added when it has no extension. Entries run one at a time, smss
// waiting for each to end, unless `async`. `debug` starts the program with
// DebugFlags 1 in its process parameters, as NT's smss does (other programs
// inherit smss's own DebugFlags); NT once handed such a process to its
// debug subsystem, which no longer exists, and no debugger is attached
// here either: the entry's line says so and the program runs as any other. A missing `autocheck` image is
// NT's `<name> program not found - skipping AUTOCHECK`; any other failure
// is logged and the next entry runs. These programs run before any
// subsystem and before the renames, so they see the old names.

import {
  NtClose, NtQueryAttributesFile, NtResumeThread, RtlGetCurrentPeb, NtWaitForSingleObject, NtTerminateProcess, NtQueryInformationProcess,
  RtlCreateProcessParameters, RtlDestroyProcessParameters, RtlCreateUserProcess, RtlDosPathNameToNtPathName_U,
  OBJ_CASE_INSENSITIVE, STATUS_SUCCESS, STATUS_OBJECT_NAME_NOT_FOUND, STATUS_INVALID_IMAGE_FORMAT,
} from "./ntapi";
import { SmpBootExecute } from "./sminit";
import { SmpSetMainThreadWait } from "./smapi";
import { SmpQueryVariable } from "./smenv";
import { SmpAttributes, SmpDecimal, SmpEqualNoCase, SmpHex, SmpJoin, SmpLog, SmpLogText, SmpLogFailure, SmpSlot, SmpString, SmpUnicode, SmpWords } from "./smutil";
import { ProcessBasicInformation, PROCESS_BASIC_INFORMATION, SIZEOF_PROCESS_BASIC_INFORMATION } from "../kernel/sdk/procinfo";
import {
  RTL_USER_PROCESS_INFORMATION_CLIENT_ID, RTL_USER_PROCESS_INFORMATION_PROCESS, RTL_USER_PROCESS_INFORMATION_SIZE,
  RTL_USER_PROCESS_INFORMATION_SUBSYSTEM, RTL_USER_PROCESS_INFORMATION_THREAD, SIZEOF_RTL_USER_PROCESS_INFORMATION,
} from "../kernel/sdk/sm";

export const SMP_DEBUG_FLAG: u32 = 1;
export const SMP_ASYNC_FLAG: u32 = 2;
export const SMP_AUTOCHECK_FLAG: u32 = 4;

const IMAGE_SUBSYSTEM_NATIVE: u32 = 1;

/** A DOS path's NT path (`C:\x` -> `\??\C:\x`), or "" when it is not a path. */
export function SmpNtPath(dos: string): string {
  const nt = SmpSlot();
  store<u64>(nt, 0);
  if (!RtlDosPathNameToNtPathName_U(load<usize>(SmpUnicode(dos), 4), nt, 0, 0)) return "";
  return SmpString(nt);
}

function fileExists(ntPath: string): bool {
  const info = heap.alloc(40);
  return NtQueryAttributesFile(SmpAttributes(ntPath, 0, 0), info) == STATUS_SUCCESS;
}

/**
 * The NT path of program `name`: as given when it is a path, else on Path
 * then in %SystemRoot%\System32, `.exe` added when there is no extension.
 * "" when it is nowhere.
 */
export function SmpFindImage(name: string): string {
  let file = name;
  let dot = false;
  for (let i = file.length - 1; i >= 0 && file.charCodeAt(i) != 0x5C; i--) if (file.charCodeAt(i) == 0x2E) { dot = true; break; }
  if (!dot) file += ".exe";
  if (file.indexOf("\\") >= 0) {
    const nt = file.startsWith("\\") ? file : SmpNtPath(file);
    return nt.length != 0 && fileExists(nt) ? nt : "";
  }
  const dirs = SmpQueryVariable("Path").split(";", i32.MAX_VALUE);
  const root = SmpQueryVariable("SystemRoot");
  if (root.length != 0) dirs.push(root + "\\System32");
  for (let i = 0; i < dirs.length; i++) {
    let dir = dirs[i];
    if (dir.length == 0) continue;
    if (!dir.endsWith("\\", dir.length)) dir += "\\";
    const nt = SmpNtPath(dir + file);
    if (nt.length != 0 && fileExists(nt)) return nt;
  }
  return "";
}

/** What SmpExecuteImage started: the process and thread handles and its id (0 when it failed). */
export class SmpProcess {
  constructor(public process: u32, public thread: u32, public pid: u32, public status: u32) {}
}

/** RTL_USER_PROCESS_PARAMETERS.DebugFlags, and PEB.ProcessParameters. */
const PROCESS_PARAMETERS_DEBUG_FLAGS: u32 = 0x0C;
const PEB_PROCESS_PARAMETERS: u32 = 0x10;

/** smss's own DebugFlags, which the programs it starts inherit unless `debug` asks for 1. */
export function SmpOwnDebugFlags(): u32 {
  const params = load<usize>(RtlGetCurrentPeb(), PEB_PROCESS_PARAMETERS);
  return params == 0 ? 0 : load<u32>(params, PROCESS_PARAMETERS_DEBUG_FLAGS);
}

/**
 * Starts `ntPath` with `commandLine` in smss's environment: a native image
 * only (anything else is ended unstarted with STATUS_INVALID_IMAGE_FORMAT);
 * resumed unless `suspended`. `debug` sets DebugFlags 1 in its process
 * parameters (else smss's own DebugFlags are passed on); with smss's
 * inheritable handles when `inherit`.
 */
export function SmpExecuteImage(ntPath: string, commandLine: string, suspended: bool, debug: bool = false, inherit: bool = false): SmpProcess {
  const params = SmpSlot();
  const image = SmpUnicode(ntPath);
  let status = RtlCreateProcessParameters(params, image, 0, 0, SmpUnicode(commandLine), 0, 0, 0, 0, 0);
  if (status != STATUS_SUCCESS) {
    SmpLogFailure("RtlCreateProcessParameters", status, ntPath);
    return new SmpProcess(0, 0, 0, status);
  }
  store<u32>(load<usize>(params), debug ? 1 : SmpOwnDebugFlags(), PROCESS_PARAMETERS_DEBUG_FLAGS);
  const info = heap.alloc(SIZEOF_RTL_USER_PROCESS_INFORMATION);
  memory.fill(info, 0, SIZEOF_RTL_USER_PROCESS_INFORMATION);
  store<u32>(info + RTL_USER_PROCESS_INFORMATION_SIZE, SIZEOF_RTL_USER_PROCESS_INFORMATION);
  status = RtlCreateUserProcess(image, OBJ_CASE_INSENSITIVE, load<usize>(params), 0, 0, 0, inherit, 0, 0, info);
  RtlDestroyProcessParameters(load<usize>(params));
  if (status != STATUS_SUCCESS) {
    SmpLogFailure("RtlCreateUserProcess", status, ntPath);
    return new SmpProcess(0, 0, 0, status);
  }
  const process = load<u32>(info + RTL_USER_PROCESS_INFORMATION_PROCESS), thread = load<u32>(info + RTL_USER_PROCESS_INFORMATION_THREAD);
  const pid = load<u32>(info + RTL_USER_PROCESS_INFORMATION_CLIENT_ID);
  if (load<u32>(info + RTL_USER_PROCESS_INFORMATION_SUBSYSTEM) != IMAGE_SUBSYSTEM_NATIVE) {
    NtTerminateProcess(process, STATUS_INVALID_IMAGE_FORMAT);
    NtClose(thread); NtClose(process);
    SmpLogFailure("SmpExecuteImage", STATUS_INVALID_IMAGE_FORMAT, ntPath + " is not a native image");
    return new SmpProcess(0, 0, 0, STATUS_INVALID_IMAGE_FORMAT);
  }
  if (!suspended) NtResumeThread(thread, 0);
  return new SmpProcess(process, thread, pid, STATUS_SUCCESS);
}

/** A process's exit status (PROCESS_BASIC_INFORMATION.ExitStatus). */
export function SmpExitStatus(process: u32): u32 {
  const pbi = heap.alloc(SIZEOF_PROCESS_BASIC_INFORMATION);
  NtQueryInformationProcess(process, ProcessBasicInformation, pbi, SIZEOF_PROCESS_BASIC_INFORMATION, 0);
  return changetype<PROCESS_BASIC_INFORMATION>(pbi).ExitStatus;
}

/** Runs one BootExecute entry; what happened, for the step's line. */
function SmpRunBootEntry(entry: string): string {
  const words = SmpWords(entry);
  let flags: u32 = 0;
  let at = 0;
  while (at < words.length) {
    const w = words[at];
    if (SmpEqualNoCase(w, "autocheck")) flags |= SMP_AUTOCHECK_FLAG;
    else if (SmpEqualNoCase(w, "async")) flags |= SMP_ASYNC_FLAG;
    else if (SmpEqualNoCase(w, "debug")) flags |= SMP_DEBUG_FLAG;
    else break;
    at++;
  }
  if (at >= words.length) {
    SmpLog("BootExecute", "\"" + entry + "\" names no program - skipped");
    return entry + " (no program)";
  }
  const name = words[at];
  const commandLine = SmpJoin(words.slice(at, words.length), " ");
  const image = SmpFindImage(name);
  if (image.length == 0) {
    if ((flags & SMP_AUTOCHECK_FLAG) != 0) SmpLogText(name + " program not found - skipping AUTOCHECK");
    else SmpLogFailure("SmpFindImage", STATUS_OBJECT_NAME_NOT_FOUND, name + " - skipped");
    return commandLine + " (not found)";
  }
  const debug = (flags & SMP_DEBUG_FLAG) != 0;
  const started = SmpExecuteImage(image, commandLine, false, debug);
  if (started.process == 0) return commandLine + " (not started, " + SmpHex(started.status) + ")";
  let result: string;
  const debugged = debug ? ", DebugFlags 1: no debugger is attached, it runs undebugged" : "";
  if ((flags & SMP_ASYNC_FLAG) != 0) {
    result = commandLine + " (process " + SmpDecimal(started.pid) + ", async" + debugged + ")";
  } else {
    SmpSetMainThreadWait(started.pid);
    NtWaitForSingleObject(started.process, 0, 0);
    SmpSetMainThreadWait(0);
    result = commandLine + " (process " + SmpDecimal(started.pid) + ", exit " + SmpHex(SmpExitStatus(started.process)) + debugged + ")";
  }
  NtClose(started.thread);
  NtClose(started.process);
  return result;
}

/** Step 4c: one line per entry (the children's own lines fall between them, in order). */
export function SmpRunBootExecute(): void {
  for (let i = 0; i < SmpBootExecute.length; i++) SmpLog("BootExecute", SmpRunBootEntry(SmpBootExecute[i]));
  if (SmpBootExecute.length == 0) SmpLog("BootExecute", "nothing to run");
}
