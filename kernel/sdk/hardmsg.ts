// Hard errors as a person reads them: NT's message text for the statuses
// that are raised as hard errors here (ntstatus.h's message table, as the
// message box and the blue screen show it), and HARDERROR_RESPONSE_OPTION /
// HARDERROR_RESPONSE. The kernel formats its STOP block and its log line
// with these (kernel/ex/harderr.ts), csrss its hard error lines.
//
// A template is "{Caption}\nText": `%s` takes a string parameter, `%x` a
// number as eight hexadecimal digits; "" for a status without text here.

import { STATUS_DLL_INIT_FAILED, STATUS_DLL_NOT_FOUND, STATUS_ENTRYPOINT_NOT_FOUND, STATUS_SYSTEM_PROCESS_TERMINATED } from "./ntstatus";

export function HardErrorMessageTemplate(status: u32): string {
  switch (status) {
    case STATUS_SYSTEM_PROCESS_TERMINATED:
      return "{Fatal System Error}\nThe %s system process terminated unexpectedly with a status of 0x%x (0x%x 0x%x).\nThe system has been shut down.";
    case STATUS_DLL_NOT_FOUND:
      return "{Unable To Locate Component}\nThis application has failed to start because %s was not found. Re-installing the application may fix this problem.";
    case STATUS_ENTRYPOINT_NOT_FOUND:
      return "{Entry Point Not Found}\nThe procedure entry point %s could not be located in the dynamic link library %s.";
    case STATUS_DLL_INIT_FAILED:
      return "{DLL Initialization Failed}\nInitialization of the dynamic link library %s failed. The process is terminating abnormally.";
  }
  return "";
}

// HARDERROR_RESPONSE_OPTION: the buttons a person would be offered.
export const OptionAbortRetryIgnore: u32 = 0;
export const OptionOk: u32 = 1;
export const OptionOkCancel: u32 = 2;
export const OptionRetryCancel: u32 = 3;
export const OptionYesNo: u32 = 4;
export const OptionYesNoCancel: u32 = 5;
/** The error ends the system (needs SeShutdownPrivilege). */
export const OptionShutdownSystem: u32 = 6;
export const OptionOkNoWait: u32 = 7;
/** The last valid option (XP's OptionCancelTryContinue). */
export const OptionCancelTryContinue: u32 = 8;

// HARDERROR_RESPONSE: what the caller gets back.
/** Nobody answered: the caller goes on as it sees fit. */
export const ResponseReturnToCaller: u32 = 0;
export const ResponseNotHandled: u32 = 1;
export const ResponseAbort: u32 = 2;
export const ResponseCancel: u32 = 3;
export const ResponseIgnore: u32 = 4;
export const ResponseNo: u32 = 5;
export const ResponseOk: u32 = 6;
export const ResponseRetry: u32 = 7;
export const ResponseYes: u32 = 8;
export const ResponseTryAgain: u32 = 9;
export const ResponseContinue: u32 = 10;

/** The response of the first (default) button of `option`: what a person pressing Enter answers. */
export function HardErrorDefaultResponse(option: u32): u32 {
  switch (option) {
    case OptionAbortRetryIgnore: return ResponseAbort;
    case OptionOk: case OptionOkCancel: case OptionOkNoWait: case OptionShutdownSystem: return ResponseOk;
    case OptionRetryCancel: return ResponseRetry;
    case OptionYesNo: case OptionYesNoCancel: return ResponseYes;
    case OptionCancelTryContinue: return ResponseCancel;
  }
  return ResponseNotHandled;
}
