// Critical, then not critical again: its end is an ordinary exit. Also reads
// its basic information.
import { NtQueryInformationProcess, NtSetInformationProcess, put, putHex, putDec, flush } from "./nt";
import { ProcessBasicInformation, ProcessBreakOnTermination, PROCESS_BASIC_INFORMATION, SIZEOF_PROCESS_BASIC_INFORMATION } from "../../../kernel/sdk/procinfo";
/** A PROCESSINFOCLASS number NT does not define: the "bad class" line. */
const NO_SUCH_PROCESS_CLASS: u32 = 77;
const value = memory.data(8, 4);
const info = memory.data(<i32>offsetof<PROCESS_BASIC_INFORMATION>(), 4);
const length = memory.data(4, 4);
export function main(): void {
  store<u32>(value, 1);
  NtSetInformationProcess(0xFFFFFFFF, ProcessBreakOnTermination, value, 4);
  store<u32>(value, 0);
  put("clear critical "); putHex(NtSetInformationProcess(0xFFFFFFFF, ProcessBreakOnTermination, value, 4)); flush();
  put("query "); putHex(NtQueryInformationProcess(0xFFFFFFFF, ProcessBasicInformation, info, SIZEOF_PROCESS_BASIC_INFORMATION, length)); put(" length "); putDec(load<u32>(length)); flush();
  put("exit status "); putHex(changetype<PROCESS_BASIC_INFORMATION>(info).ExitStatus); put(" peb "); putHex(changetype<PROCESS_BASIC_INFORMATION>(info).PebBaseAddress); put(" pid "); putDec(changetype<PROCESS_BASIC_INFORMATION>(info).UniqueProcessId); flush();
  put("wrong length "); putHex(NtQueryInformationProcess(0xFFFFFFFF, ProcessBasicInformation, info, SIZEOF_PROCESS_BASIC_INFORMATION - 4, 0)); flush();
  put("bad class "); putHex(NtQueryInformationProcess(0xFFFFFFFF, NO_SUCH_PROCESS_CLASS, info, 24, 0)); flush();
  put("bad handle "); putHex(NtQueryInformationProcess(0x1234, ProcessBasicInformation, info, SIZEOF_PROCESS_BASIC_INFORMATION, 0)); flush();
}
