// Fatal failures (SMSS.md "Failures"): smss raises the hard error
// STATUS_SYSTEM_PROCESS_TERMINATED with OptionShutdownSystem, which the
// kernel turns into bug check 0xC000021A. Its first parameter names what
// terminated ("Session Manager Initialization" for a failed step, or NT's
// own text for a bad KnownDll), its second the status. The step that failed
// is named on the log line before.

import { NtRaiseHardError, NtTerminateProcess, RtlAdjustPrivilege, NtCurrentProcess, STATUS_SYSTEM_PROCESS_TERMINATED } from "./ntapi";
import { SmpHex, SmpLog, SmpSlot, SmpUnicode } from "./smutil";

const SE_SHUTDOWN_PRIVILEGE: u32 = 19;
const OptionShutdownSystem: u32 = 6;

/**
 * Raises STATUS_SYSTEM_PROCESS_TERMINATED with (`what`, `status`[, `detail`]):
 * the system stops. Never returns.
 */
export function SmpTerminate(what: string, status: u32, detail: string): void {
  const parameters = SmpSlot();
  const more = SmpSlot();
  store<usize>(parameters, SmpUnicode(what));
  store<u32>(parameters, status, 4);
  store<usize>(more, detail.length != 0 ? SmpUnicode(detail) : 0);
  // The three parameters contiguous: string, status, string.
  const block = heap.alloc(12);
  store<usize>(block, load<usize>(parameters));
  store<u32>(block, status, 4);
  store<usize>(block, load<usize>(more), 8);
  const count: u32 = detail.length != 0 ? 3 : 2;
  const mask: u32 = detail.length != 0 ? 5 : 1; // which parameters are UNICODE_STRINGs
  RtlAdjustPrivilege(SE_SHUTDOWN_PRIVILEGE, true, false, SmpSlot());
  const response = SmpSlot();
  const raised = NtRaiseHardError(STATUS_SYSTEM_PROCESS_TERMINATED, count, mask, block, OptionShutdownSystem, response);
  // Not stopped: the kernel refused. smss is a critical process: ending it stops the system too.
  SmpLog("failure", "NtRaiseHardError answered " + SmpHex(raised) + "; ending the Session Manager");
  NtTerminateProcess(NtCurrentProcess, status);
}

/** A failed step that NT treats as fatal: "Session Manager Initialization" with its status. */
export function SmpFatal(step: string, status: u32): void {
  SmpLog(step, "fatal, status " + SmpHex(status) + ": the system is shut down");
  SmpTerminate("Session Manager Initialization", status, "");
}
