// Fatal failures (SMSS.md "Failures"): smss raises the hard error
// STATUS_SYSTEM_PROCESS_TERMINATED with OptionShutdownSystem, which the
// kernel turns into bug check 0xC000021A. Its first parameter names what
// terminated ("Session Manager Initialization" for a failed step, or NT's
// own text for a bad KnownDll), its second the status. The step that failed
// is named on the log line before.
//
// An exception inside smss is fatal too. main() sets the process's top-level
// filter (ntdll's RtlSetUnhandledExceptionFilter, which every thread's
// unhandled exception reaches: images/system32/ntdll/except.ts) to
// SmpUnhandledExceptionFilter, which raises the same hard error with NT's
// four parameters: "Unhandled Exception in Session Manager", the exception
// code, its address and the CONTEXT (STOP 0xC000021A (string, code, address,
// context)), as the Session Manager of Windows XP and later does.

import { NtRaiseHardError, NtTerminateProcess, RtlAdjustPrivilege, RtlSetUnhandledExceptionFilter, NtCurrentProcess, STATUS_SYSTEM_PROCESS_TERMINATED } from "./ntapi";
import { EXCEPTION_POINTERS, EXCEPTION_RECORD } from "../kernel/sdk/context";
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

/** The address of SmpUnhandledExceptionFilter (exported by smss.ts for this). */
@external("pe", "address_of:SmpUnhandledExceptionFilter") declare function AddressOfSmpUnhandledExceptionFilter(): usize;

/** Every thread of this smss: an exception nothing handles stops the system (see the top). */
export function SmpInstallExceptionFilter(): void {
  RtlSetUnhandledExceptionFilter(AddressOfSmpUnhandledExceptionFilter());
}

/**
 * The top-level filter: `LONG WINAPI filter(EXCEPTION_POINTERS*)`. Logs the
 * exception and raises STATUS_SYSTEM_PROCESS_TERMINATED with OptionShutdownSystem;
 * if the kernel refuses, ends smss with the exception code.
 */
export function SmpUnhandledExceptionFilter(pointers: usize): i32 {
  const record = changetype<EXCEPTION_POINTERS>(pointers).ExceptionRecord;
  const context = changetype<EXCEPTION_POINTERS>(pointers).ContextRecord;
  const r = changetype<EXCEPTION_RECORD>(record);
  const code = r.ExceptionCode, address = <u32>r.ExceptionAddress;
  const info = r.NumberParameters >= 2 ? ", memory address " + SmpHex(load<u32>(record + offsetof<EXCEPTION_RECORD>("ExceptionInformation"), 4))
    + (load<u32>(record + offsetof<EXCEPTION_RECORD>("ExceptionInformation")) != 0 ? " (write)" : " (read)") : "";
  SmpLog("exception", "unhandled exception - Status == " + SmpHex(code) + " IP == " + SmpHex(address) + info + ": the system is shut down");
  const block = heap.alloc(16);
  store<usize>(block, SmpUnicode("Unhandled Exception in Session Manager"));
  store<u32>(block, code, 4);
  store<u32>(block, address, 8);
  store<u32>(block, <u32>context, 12);
  RtlAdjustPrivilege(SE_SHUTDOWN_PRIVILEGE, true, false, SmpSlot());
  const raised = NtRaiseHardError(STATUS_SYSTEM_PROCESS_TERMINATED, 4, 1, block, OptionShutdownSystem, SmpSlot());
  SmpLog("exception", "NtRaiseHardError answered " + SmpHex(raised) + "; ending the Session Manager");
  NtTerminateProcess(NtCurrentProcess, code);
  return 1; // EXCEPTION_EXECUTE_HANDLER: not reached
}
