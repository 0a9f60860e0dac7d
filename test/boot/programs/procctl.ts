// Process handles: open another process by id (found in the process list),
// query it, terminate it, wait for its end and read its exit status; its own
// process through NtCurrentProcess and by id.
import { show, NtOpenProcess, NtQueryInformationProcess, NtTerminateProcess, NtWaitForSingleObject, NtClose,
  NtDelayExecution, attributes, ms, put, putHex, flush, findPid } from "./nt";
import { ProcessBasicInformation, PROCESS_BASIC_INFORMATION, SIZEOF_PROCESS_BASIC_INFORMATION } from "../../../kernel/sdk/procinfo";

const h = memory.data(8, 4);
const cid = memory.data(8, 4);
const pbi = memory.data(<i32>offsetof<PROCESS_BASIC_INFORMATION>(), 4);
const t = memory.data(8, 8);

export function main(): void {
  NtDelayExecution(0, ms(t, 30));
  const victim = findPid(0x76, 0x69); // "vi..."
  show("found the victim", victim != 0 ? 1 : 0);
  store<u32>(cid, victim); store<u32>(cid, 0, 4);
  show("open it", NtOpenProcess(h, 0x1F0FFF, attributes("", 0), cid));
  const process = load<u32>(h);
  show("query it", NtQueryInformationProcess(process, ProcessBasicInformation, pbi, SIZEOF_PROCESS_BASIC_INFORMATION, 0));
  show("it is running", changetype<PROCESS_BASIC_INFORMATION>(pbi).ExitStatus);
  show("same pid", changetype<PROCESS_BASIC_INFORMATION>(pbi).UniqueProcessId == victim ? 1 : 0);
  show("terminate it", NtTerminateProcess(process, 0x42));
  show("wait for its end", NtWaitForSingleObject(process, 0, ms(t, 5000)));
  NtQueryInformationProcess(process, ProcessBasicInformation, pbi, SIZEOF_PROCESS_BASIC_INFORMATION, 0);
  show("its exit status", changetype<PROCESS_BASIC_INFORMATION>(pbi).ExitStatus);
  show("close", NtClose(process));
  store<u32>(cid, 0x7777);
  show("no such process", NtOpenProcess(h, 0x1F0FFF, attributes("", 0), cid));
  show("self by pseudo handle", NtQueryInformationProcess(0xFFFFFFFF, ProcessBasicInformation, pbi, SIZEOF_PROCESS_BASIC_INFORMATION, 0));
  show("wait on self times out", NtWaitForSingleObject(0xFFFFFFFF, 0, ms(t, 20)));
}
