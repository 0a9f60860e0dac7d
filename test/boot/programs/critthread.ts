// What smss's start needs from Ps (kernel/ps/psquery.ts, psthread.ts): its
// parent is the System process (pid 4); ThreadBreakOnTermination set,
// queried and cleared; ProcessBreakOnTermination and ThreadBreakOnTermination
// need SeDebugPrivilege; ProcessBasePriority moves the threads' base
// priority with it and raising it needs SeIncreaseBasePriorityPrivilege.
// Last, the main thread made critical ends: the system stops with
// CRITICAL_OBJECT_TERMINATION.
import { show, put, putDec, putHex, flush, NtQueryInformationProcess, NtSetInformationProcess, NtQueryInformationThread, NtSetInformationThread, NtTerminateThread } from "./nt";
import {
  ProcessBasePriority, ProcessBasicInformation, ProcessBreakOnTermination, ThreadBasicInformation, ThreadBreakOnTermination, PROCESS_BASIC_INFORMATION, SIZEOF_PROCESS_BASIC_INFORMATION, SIZEOF_THREAD_BASIC_INFORMATION, THREAD_BASIC_INFORMATION,
} from "../../../kernel/sdk/procinfo";
@external("ntdll", "NtOpenProcessToken") declare function NtOpenProcessToken(process: u32, access: u32, token: usize): u32;
@external("ntdll", "NtAdjustPrivilegesToken") declare function NtAdjustPrivilegesToken(token: u32, disableAll: u32, newState: usize, length: u32, previous: usize, returnLength: usize): u32;

const SELF: u32 = 0xFFFFFFFF, THREAD: u32 = 0xFFFFFFFE;
const pbi = memory.data(<i32>offsetof<PROCESS_BASIC_INFORMATION>(), 4);
const tbi = memory.data(<i32>offsetof<THREAD_BASIC_INFORMATION>(), 4);
const value = memory.data(4, 4);
const returned = memory.data(4, 4);
const token = memory.data(4, 4);
const state = memory.data(16, 4);

function privilege(luid: u32, enabled: bool): void {
  store<u32>(state, 1); store<u32>(state, luid, 4); store<u32>(state, 0, 8); store<u32>(state, enabled ? 2 : 0, 12);
  put(enabled ? "enable " : "disable "); putDec(luid); put(" "); putHex(NtAdjustPrivilegesToken(load<u32>(token), 0, state, 0, 0, 0)); flush();
}
function setThreadCritical(what: string, on: u32): void { store<u32>(value, on); show(what, NtSetInformationThread(THREAD, ThreadBreakOnTermination, value, 4)); }
function queryThreadCritical(what: string): void {
  store<u32>(value, 0xDEAD);
  const s = NtQueryInformationThread(THREAD, ThreadBreakOnTermination, value, 4, returned);
  put(what); put(" "); putHex(s); put(" value "); putDec(load<u32>(value)); flush();
}
function priorities(what: string): void {
  NtQueryInformationProcess(SELF, ProcessBasicInformation, pbi, SIZEOF_PROCESS_BASIC_INFORMATION, 0);
  NtQueryInformationThread(THREAD, ThreadBasicInformation, tbi, SIZEOF_THREAD_BASIC_INFORMATION, 0);
  put(what); put(" process "); putDec(changetype<PROCESS_BASIC_INFORMATION>(pbi).BasePriority); put(" thread base "); putDec(changetype<THREAD_BASIC_INFORMATION>(tbi).BasePriority); put(" priority "); putDec(changetype<THREAD_BASIC_INFORMATION>(tbi).Priority); flush();
}
function basePriority(what: string, priority: u32): void { store<u32>(value, priority); show(what, NtSetInformationProcess(SELF, ProcessBasePriority, value, 4)); }

export function main(): void {
  show("basic", NtQueryInformationProcess(SELF, ProcessBasicInformation, pbi, SIZEOF_PROCESS_BASIC_INFORMATION, 0));
  put("pid "); putDec(changetype<PROCESS_BASIC_INFORMATION>(pbi).UniqueProcessId); put(" parent "); putDec(changetype<PROCESS_BASIC_INFORMATION>(pbi).InheritedFromUniqueProcessId); flush();
  queryThreadCritical("thread critical at first");
  setThreadCritical("set thread critical", 1);
  queryThreadCritical("thread critical now");
  setThreadCritical("clear thread critical", 0);
  queryThreadCritical("thread critical cleared");
  store<u32>(value, 1);
  show("thread critical, short buffer", NtSetInformationThread(THREAD, ThreadBreakOnTermination, value, 2));
  show("thread critical, kernel buffer", NtSetInformationThread(THREAD, ThreadBreakOnTermination, 0x80100000, 4));
  show("query, kernel buffer", NtQueryInformationThread(THREAD, ThreadBreakOnTermination, 0x80100000, 4, 0));
  show("query, bad handle", NtQueryInformationThread(0x1234, ThreadBreakOnTermination, value, 4, 0));
  show("open token", NtOpenProcessToken(SELF, 0x28, token));
  privilege(20, false); // SeDebugPrivilege
  store<u32>(value, 1);
  show("process critical without SeDebugPrivilege", NtSetInformationProcess(SELF, ProcessBreakOnTermination, value, 4));
  show("thread critical without SeDebugPrivilege", NtSetInformationThread(THREAD, ThreadBreakOnTermination, value, 4));
  privilege(20, true);
  priorities("at first");
  basePriority("base priority 11", 11);
  priorities("after 11");
  basePriority("base priority 9", 9);
  priorities("after 9");
  privilege(14, false); // SeIncreaseBasePriorityPrivilege
  basePriority("raise to 13 without the privilege", 13);
  basePriority("lower to 8 without it", 8);
  priorities("after 8");
  basePriority("base priority 0", 0);
  setThreadCritical("critical again", 1);
  show("ending the critical thread", 0);
  NtTerminateThread(THREAD, 0x1234);
  show("still running", 0);
}
