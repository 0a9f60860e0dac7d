// Started by nsh's `start` in test/boot/nsh.test.ts: logs its command line,
// its session and NSHVAR from the environment it was given (the shell's).
import { RtlQueryEnvironmentVariable_U, RtlGetCurrentPeb, STATUS_SUCCESS } from "../../../images/system32/native/nt";
import { CurrentSessionId, Decimal, Log, Unicode } from "../../../images/system32/native/util";
import { PEB, RTL_USER_PROCESS_PARAMETERS } from "../../../kernel/sdk/peb";
import { InitializeCountedString } from "../../../kernel/sdk/ntdef";

function Variable(name: string): string {
  const value = heap.alloc(8 + 256);
  InitializeCountedString(value, value + 8, 0, 256);
  if (RtlQueryEnvironmentVariable_U(0, Unicode(name), value) != STATUS_SUCCESS) return "(not set)";
  return String.UTF16.decodeUnsafe(value + 8, load<u16>(value));
}

export function main(): void {
  const params = changetype<RTL_USER_PROCESS_PARAMETERS>(changetype<PEB>(RtlGetCurrentPeb()).ProcessParameters);
  const commandLine = String.UTF16.decodeUnsafe(params.CommandLine_Buffer, params.CommandLine_Length);
  Log("session " + Decimal(CurrentSessionId()) + "; command line \"" + commandLine + "\"; NSHVAR=" + Variable("NSHVAR"));
}
