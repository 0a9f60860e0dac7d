// Paging to pagefile.sys from ring 3 (kernel/mm/paging.ts). Two copies of
// this program run at once, as two processes, on a machine with little RAM.
// Each enables SeCreatePagefilePrivilege and asks for the paging file (one of
// them makes it: the other's open of the same file is refused, and it waits
// until the commit limit has grown), then commits twice the pages available
// the memory manager has (all of RAM above the kernel) in one region, writes every word of every page with a value
// of (process, page, word), reads every page back and counts the words that
// differ; then a commit past the commit limit must fail with
// STATUS_COMMITMENT_LIMIT. It reports the paging files' use at the end.
import { put, putHex, putDec, flush, unicode, ms, NtAllocateVirtualMemory, NtFreeVirtualMemory, NtQuerySystemInformation,
  NtQueryInformationProcess, NtDelayExecution, NtYieldExecution } from "./nt";
import { ProcessBasicInformation, PROCESS_BASIC_INFORMATION, SIZEOF_PROCESS_BASIC_INFORMATION } from "../../../kernel/sdk/procinfo";
import {
  SIZEOF_SYSTEM_BASIC_INFORMATION, SIZEOF_SYSTEM_PERFORMANCE_INFORMATION, SYSTEM_BASIC_INFORMATION, SYSTEM_PAGEFILE_INFORMATION, SYSTEM_PERFORMANCE_INFORMATION, SystemBasicInformation,
  SystemPageFileInformation, SystemPerformanceInformation,
} from "../../../kernel/sdk/sysinfo";
import { STATUS_COMMITMENT_LIMIT } from "../../../kernel/sdk/ntstatus";
@external("ntdll", "NtCreatePagingFile") declare function NtCreatePagingFile(name: usize, minimum: usize, maximum: usize, priority: u32): u32;
@external("ntdll", "NtOpenProcessToken") declare function NtOpenProcessToken(process: u32, access: u32, token: usize): u32;
@external("ntdll", "NtAdjustPrivilegesToken") declare function NtAdjustPrivilegesToken(token: u32, disableAll: u32, newState: usize, length: u32, previous: usize, returnLength: usize): u32;

const SELF: u32 = 0xFFFFFFFF;
const MiB: u64 = 1024 * 1024;
const PAGEFILE_MB: u64 = 28;

const name = memory.data(8, 4);
const minimum = memory.data(8, 8);
const maximum = memory.data(8, 8);
const perf = memory.data(<i32>SIZEOF_SYSTEM_PERFORMANCE_INFORMATION, 8);
const list = memory.data(512, 8);
const basic = memory.data(<i32>SIZEOF_SYSTEM_BASIC_INFORMATION, 4); // also PROCESS_BASIC_INFORMATION (24 bytes)
const token = memory.data(4, 4);
const state = memory.data(16, 4);
const base = memory.data(4, 4);
const size = memory.data(4, 4);
const delay = memory.data(8, 8);

let pid: u32 = 0;
function line(): void { put("pid "); putDec(pid); put(" "); }

function performance(offset: usize): u32 {
  return NtQuerySystemInformation(SystemPerformanceInformation, perf, SIZEOF_SYSTEM_PERFORMANCE_INFORMATION, 0) == 0 ? load<u32>(perf + offset) : 0;
}
const AVAILABLE = offsetof<SYSTEM_PERFORMANCE_INFORMATION>("AvailablePages");
const COMMITTED = offsetof<SYSTEM_PERFORMANCE_INFORMATION>("TotalCommittedPages");
const LIMIT = offsetof<SYSTEM_PERFORMANCE_INFORMATION>("TotalCommitLimit");

/** The value word `word` of page `page` holds in this process. */
@inline function pattern(page: u32, word: u32): u32 { return (page * 0x9E3779B1) ^ (word * 0x85EBCA77) ^ (pid << 20) ^ 0x5A5A0000; }

export function main(): void {
  NtQueryInformationProcess(SELF, ProcessBasicInformation, basic, SIZEOF_PROCESS_BASIC_INFORMATION, 0);
  pid = changetype<PROCESS_BASIC_INFORMATION>(basic).UniqueProcessId;
  NtQuerySystemInformation(SystemBasicInformation, basic, SIZEOF_SYSTEM_BASIC_INFORMATION, 0);
  const physical = changetype<SYSTEM_BASIC_INFORMATION>(basic).NumberOfPhysicalPages; // the pages the memory manager has
  // SeCreatePagefilePrivilege, then the paging file (whichever process gets there first makes it).
  NtOpenProcessToken(SELF, 0x28, token); // TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY
  store<u32>(state, 1); store<u32>(state, 15, 4); store<u32>(state, 0, 8); store<u32>(state, 2, 12);
  NtAdjustPrivilegesToken(load<u32>(token), 0, state, 0, 0, 0);
  store<u64>(minimum, PAGEFILE_MB * MiB); store<u64>(maximum, PAGEFILE_MB * MiB);
  const created = NtCreatePagingFile(unicode(name, "\\??\\C:\\pagefile.sys"), minimum, maximum, 0);
  line(); put("create "); putHex(created); flush();
  // The other process may still be making it: wait for the commit limit to grow by it, looking
  // between yields first (so the commit follows the growth at once, as closely as a race can:
  // the limit must not grow before pages can go to the file), then every 10 ms (at most 20 s).
  const grown = physical + <u32>(PAGEFILE_MB * MiB / 4096);
  for (let i = 0; i < 20000 && performance(LIMIT) < grown; i++) NtYieldExecution();
  for (let i = 0; i < 2000 && performance(LIMIT) < grown; i++) NtDelayExecution(0, ms(delay, 10));
  const pages = physical * 2;
  line(); put("commit "); putDec(pages); put(" pages: twice the "); putDec(physical); put(" physical pages ("); putDec(performance(AVAILABLE));
  put(" available); limit grew by "); putDec(performance(LIMIT) - physical); flush();
  store<u32>(base, 0); store<u32>(size, pages * 4096);
  const status = NtAllocateVirtualMemory(SELF, base, 0, size, 0x3000, 0x04); // MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE
  line(); put("allocate "); putHex(status); flush();
  if (status != 0) return;
  const region = load<u32>(base);
  for (let p: u32 = 0; p < pages; p++) {
    const at = region + (p << 12);
    for (let w: u32 = 0; w < 1024; w++) store<u32>(at + (w << 2), pattern(p, w));
  }
  line(); put("wrote "); putDec(pages); put(" pages"); flush();
  let wrong: u32 = 0, wrongPages: u32 = 0, firstWrong: u32 = 0xFFFFFFFF;
  for (let p: u32 = 0; p < pages; p++) {
    const at = region + (p << 12);
    let bad: u32 = 0;
    for (let w: u32 = 0; w < 1024; w++) if (load<u32>(at + (w << 2)) != pattern(p, w)) bad++;
    if (bad != 0) { wrong += bad; wrongPages++; if (firstWrong == 0xFFFFFFFF) firstWrong = p; }
  }
  line(); put("checked "); putDec(pages); put(" pages: "); putDec(wrongPages); put(" pages wrong ("); putDec(wrong);
  put(" words"); if (firstWrong != 0xFFFFFFFF) { put(", first page "); putDec(firstWrong); } put(")"); flush();
  // The commit charge stays within the commit limit: one page more than is left fails. (The other
  // process may free its memory between the look and the commit: then it is tried again.)
  const over = memory.data(4, 4), overSize = memory.data(4, 4);
  let refused: u32 = 0;
  for (let i = 0; i < 5; i++) {
    const left = performance(LIMIT) - performance(COMMITTED);
    store<u32>(over, 0); store<u32>(overSize, (left + 1) * 4096);
    refused = NtAllocateVirtualMemory(SELF, over, 0, overSize, 0x3000, 0x04);
    if (refused != 0) break;
    store<u32>(overSize, 0); NtFreeVirtualMemory(SELF, over, overSize, 0x8000);
  }
  line(); put("commit past the limit "); putHex(refused); put(refused == STATUS_COMMITMENT_LIMIT ? " (STATUS_COMMITMENT_LIMIT)" : ""); flush();
  // The paging file's use: SystemPageFileInformation (pages in use now and at the peak).
  if (NtQuerySystemInformation(SystemPageFileInformation, list, 512, 0) == 0) {
    const r = changetype<SYSTEM_PAGEFILE_INFORMATION>(list);
    line(); put("paging file total "); putDec(r.CurrentSize); put(" in use "); putDec(r.TotalUsed);
    put(" peak "); putDec(r.PeakUsed); flush();
  }
  store<u32>(size, 0);
  line(); put("free "); putHex(NtFreeVirtualMemory(SELF, base, size, 0x8000)); flush();
}
