// A process that makes itself critical (ProcessBreakOnTermination) and then
// ends: the system must stop with CRITICAL_PROCESS_DIED.
import { NtQueryInformationProcess, NtSetInformationProcess, say, put, putHex, flush } from "./nt";
import { ProcessBreakOnTermination } from "../../../kernel/sdk/procinfo";
const value = memory.data(8, 4);
export function main(): void {
  store<u32>(value, 1);
  put("set critical "); putHex(NtSetInformationProcess(0xFFFFFFFF, ProcessBreakOnTermination, value, 4)); flush();
  say("ending while critical");
}
