// A service for test/boot/logon.test.ts: logs the command line services.exe
// started it with (its ImagePath), then ends with status 0x00005E5E.
import { NtTerminateProcess, RtlGetCurrentPeb } from "../../../images/system32/native/nt";
import { Log, StringAt } from "../../../images/system32/native/util";
import { PEB, RTL_USER_PROCESS_PARAMETERS } from "../../../kernel/sdk/peb";

export function main(): void {
  const params = changetype<PEB>(RtlGetCurrentPeb()).ProcessParameters;
  // RTL_USER_PROCESS_PARAMETERS.CommandLine (UNICODE_STRING at +0x40), normalized: a real pointer.
  Log("started as " + StringAt(changetype<RTL_USER_PROCESS_PARAMETERS>(params).CommandLine_Buffer, <u32>changetype<RTL_USER_PROCESS_PARAMETERS>(params).CommandLine_Length));
  NtTerminateProcess(0xFFFFFFFF, 0x5E5E);
}
