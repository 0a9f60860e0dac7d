// A service for test/boot/logon.test.ts: logs the command line services.exe
// started it with (its ImagePath), then ends with status 0x00005E5E.
import { NtTerminateProcess, RtlGetCurrentPeb } from "../../../images/system32/native/nt";
import { Log, StringAt } from "../../../images/system32/native/util";

export function main(): void {
  const params = load<usize>(RtlGetCurrentPeb(), 0x10);
  // RTL_USER_PROCESS_PARAMETERS.CommandLine (UNICODE_STRING at +0x40), normalized: a real pointer.
  Log("started as " + StringAt(load<usize>(params, 0x44), <u32>load<u16>(params, 0x40)));
  NtTerminateProcess(0xFFFFFFFF, 0x5E5E);
}
