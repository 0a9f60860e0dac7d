// Critical, then not critical again: its end is an ordinary exit. Also reads
// its basic information.
import { NtQueryInformationProcess, NtSetInformationProcess, put, putHex, putDec, flush } from "./nt";
import { ProcessBasicInformation, ProcessBreakOnTermination } from "../../../kernel/sdk/procinfo";
/** A PROCESSINFOCLASS number NT does not define: the "bad class" line. */
const NO_SUCH_PROCESS_CLASS: u32 = 77;
const value = memory.data(8, 4);
const info = memory.data(24, 4);
const length = memory.data(4, 4);
export function main(): void {
  store<u32>(value, 1);
  NtSetInformationProcess(0xFFFFFFFF, ProcessBreakOnTermination, value, 4);
  store<u32>(value, 0);
  put("clear critical "); putHex(NtSetInformationProcess(0xFFFFFFFF, ProcessBreakOnTermination, value, 4)); flush();
  put("query "); putHex(NtQueryInformationProcess(0xFFFFFFFF, ProcessBasicInformation, info, 24, length)); put(" length "); putDec(load<u32>(length)); flush();
  put("exit status "); putHex(load<u32>(info)); put(" peb "); putHex(load<u32>(info, 4)); put(" pid "); putDec(load<u32>(info, 16)); flush();
  put("wrong length "); putHex(NtQueryInformationProcess(0xFFFFFFFF, ProcessBasicInformation, info, 20, 0)); flush();
  put("bad class "); putHex(NtQueryInformationProcess(0xFFFFFFFF, NO_SUCH_PROCESS_CLASS, info, 24, 0)); flush();
  put("bad handle "); putHex(NtQueryInformationProcess(0x1234, ProcessBasicInformation, info, 24, 0)); flush();
}
