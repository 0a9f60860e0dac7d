// NtQuerySystemInformation from ring 3: the basic information, then the
// process list (sized by a first call that is too small), one line per process.
import { NtQuerySystemInformation, NtQueryInformationThread, put, putHex, putDec, flush } from "./nt";
import { ThreadBasicInformation, SIZEOF_THREAD_BASIC_INFORMATION, THREAD_BASIC_INFORMATION } from "../../../kernel/sdk/procinfo";
import {
  SYSTEM_BASIC_INFORMATION, SYSTEM_PROCESS_INFORMATION, SYSTEM_THREAD_INFORMATION, SystemBasicInformation, SystemProcessInformation,
} from "../../../kernel/sdk/sysinfo";

const basic = memory.data(<i32>offsetof<SYSTEM_BASIC_INFORMATION>(), 4);
const needed = memory.data(4, 4);
const list = memory.data(8192, 4);
const tbi = memory.data(<i32>offsetof<THREAD_BASIC_INFORMATION>(), 4);

export function main(): void {
  const b = changetype<SYSTEM_BASIC_INFORMATION>(basic);
  put("basic "); putHex(NtQuerySystemInformation(SystemBasicInformation, basic, <u32>offsetof<SYSTEM_BASIC_INFORMATION>(), needed)); put(" page "); putDec(b.PageSize);
  put(" granularity "); putHex(b.AllocationGranularity); put(" user "); putHex(b.MinimumUserModeAddress); put("-"); putHex(b.MaximumUserModeAddress);
  put(" processors "); putDec(<u32>b.NumberOfProcessors); flush();
  put("too small "); putHex(NtQuerySystemInformation(SystemProcessInformation, list, 16, needed)); put(" needed "); putDec(load<u32>(needed) > <u32>offsetof<SYSTEM_PROCESS_INFORMATION>() ? 1 : 0); flush();
  put("processes "); putHex(NtQuerySystemInformation(SystemProcessInformation, list, 8192, needed)); flush();
  let at = list;
  while (true) {
    const r = changetype<SYSTEM_PROCESS_INFORMATION>(at);
    const threads = r.NumberOfThreads;
    put("pid "); putDec(r.UniqueProcessId); put(" threads "); putDec(threads); put(" session "); putDec(r.SessionId); put(" name ");
    const length = <u32>r.ImageName_Length;
    const buffer = r.ImageName_Buffer;
    if (length == 0) put("(none)");
    for (let i: u32 = 0; i < length; i += 2) { const c = load<u16>(buffer + i); const s = String.fromCharCode(c); put(s); }
    put(" tid "); putDec(changetype<SYSTEM_THREAD_INFORMATION>(at + offsetof<SYSTEM_PROCESS_INFORMATION>()).ClientId_UniqueThread); flush();
    const next = r.NextEntryOffset;
    if (next == 0) break;
    at += next;
  }
  put("thread "); putHex(NtQueryInformationThread(0xFFFFFFFE, ThreadBasicInformation, tbi, SIZEOF_THREAD_BASIC_INFORMATION, 0)); put(" teb "); putHex(changetype<THREAD_BASIC_INFORMATION>(tbi).TebBaseAddress); put(" priority "); putDec(changetype<THREAD_BASIC_INFORMATION>(tbi).Priority); flush();
}
