// Single fetch under a vanishing page (issue 17): every service of ex/, ob/,
// ps/, se/ and ke/ that reads or writes caller memory gets its in and out
// buffers in one page that a second thread decommits and commits again
// (NtFreeVirtualMemory MEM_DECOMMIT / NtAllocateVirtualMemory MEM_COMMIT)
// over and over. A kernel that probes with a page walk and then loads or
// stores the user pointer faults in ring 0 when the page goes between the
// two (STOP 0x50); one that reads and writes through the user-copy routines
// answers STATUS_ACCESS_VIOLATION. This thread never touches the page
// itself: it fills the inputs with NtWriteVirtualMemory and reads the
// handles back with NtReadVirtualMemory, which answer a status too.
//
// Lines: "<service> calls N success N access violation N normal N other N"
// for each service (normal: the service's own error for inputs the zero
// page gave it, e.g. a zero handle or priority), "switches N" (pages taken
// away during the calls), then "the kernel is still running".
import { spawnThread as spawn, threadReturned } from "./nt";
import { show, say, put, putHex, putDec, flush, NtAllocateVirtualMemory, NtFreeVirtualMemory, NtSuspendThread, NtResumeThread,
  NtReadVirtualMemory, NtWriteVirtualMemory, NtClose, NtCreateEvent, NtSetEvent, NtResetEvent, NtCreateMutant, NtReleaseMutant,
  NtCreateSemaphore, NtReleaseSemaphore, NtCreateTimer, NtSetTimer, NtCancelTimer, NtWaitForSingleObject, NtWaitForMultipleObjects,
  NtQueryObject, NtQueryDirectoryObject, NtOpenDirectoryObject, NtDuplicateObject, NtOpenProcess, NtOpenThread,
  NtQueryInformationProcess, NtSetInformationProcess, NtQueryInformationThread, NtSetInformationThread, NtQuerySystemInformation,
  NtDelayExecution, NtQuerySystemTime, NtQueryPerformanceCounter, NtDisplayString, NtCreateDirectoryObject, attributes } from "./nt";
import {
  ProcessBasePriority, ProcessBasicInformation, ProcessImageFileName, ProcessSessionInformation, ThreadBasicInformation, ThreadPriority, PROCESS_BASIC_INFORMATION, SIZEOF_PROCESS_BASIC_INFORMATION, SIZEOF_THREAD_BASIC_INFORMATION, THREAD_BASIC_INFORMATION,
} from "../../../kernel/sdk/procinfo";
import {
  SIZEOF_SYSTEM_BASIC_INFORMATION, SIZEOF_SYSTEM_PERFORMANCE_INFORMATION, SystemBasicInformation, SystemPerformanceInformation, SystemProcessInformation,
} from "../../../kernel/sdk/sysinfo";
@external("ntdll", "NtPulseEvent") declare function NtPulseEvent(handle: u32, previous: usize): u32;
@external("ntdll", "NtSetInformationObject") declare function NtSetInformationObject(handle: u32, infoClass: u32, buffer: usize, length: u32): u32;
@external("ntdll", "NtOpenProcessToken") declare function NtOpenProcessToken(process: u32, access: u32, token: usize): u32;
@external("ntdll", "NtAdjustPrivilegesToken") declare function NtAdjustPrivilegesToken(token: u32, disableAll: u32, newState: usize, length: u32, previous: usize, returnLength: usize): u32;
@external("ntdll", "NtRaiseHardError") declare function NtRaiseHardError(status: u32, count: u32, mask: u32, parameters: usize, options: u32, response: usize): u32;

const SELF: u32 = 0xFFFFFFFF, SELF_THREAD: u32 = 0xFFFFFFFE;
const MEM_COMMIT: u32 = 0x1000, MEM_RESERVE: u32 = 0x2000, MEM_DECOMMIT: u32 = 0x4000, PAGE_READWRITE: u32 = 0x04;
const AV: u32 = 0xC0000005;
const ROUNDS: u32 = 120;

// Offsets in the page.
const HANDLE: u32 = 0x000, CID: u32 = 0x010, PREV: u32 = 0x020, RLEN: u32 = 0x030, TIME: u32 = 0x040, TIME2: u32 = 0x048;
const HANDLES: u32 = 0x050, STRING: u32 = 0x060, TEXT: u32 = 0x070, PARAMS: u32 = 0x090, NEWSTATE: u32 = 0x0A0;
const OLDSTATE: u32 = 0x0C0, VALUE: u32 = 0x0E0, CONTEXT: u32 = 0x0F0, BUFFER: u32 = 0x100, BUFFER_SIZE: u32 = 0xF00;

const cell = memory.data(64, 4);
const flip = memory.data(16, 4);   // the toggling thread's own cells
const local = memory.data(4096, 16);
const counts = memory.data(64 * 5 * 4, 4);
const zero = memory.data(8, 8);    // a timeout of 0: the waits never block (a release refused by a vanished page leaves the count taken)
let page: usize = 0;
let stop = false;
let toggles: u32 = 0;
let ev: u32 = 0, mutant: u32 = 0, semaphore: u32 = 0, timer: u32 = 0, dir: u32 = 0, token: u32 = 0, parked: u32 = 0;
let pid: u32 = 0, tid: u32 = 0, priority: u32 = 0, basePriority: u32 = 0;

function toggler(p: u32): void {
  while (!stop) {
    store<u32>(flip, <u32>page); store<u32>(flip, 4096, 4);
    NtFreeVirtualMemory(SELF, flip, flip + 4, MEM_DECOMMIT);
    store<u32>(flip, <u32>page); store<u32>(flip, 4096, 4);
    NtAllocateVirtualMemory(SELF, flip, 0, flip + 4, MEM_COMMIT, PAGE_READWRITE);
    toggles++;
  }
}
/** The thread parked for NtSuspend/ResumeThread: never runs. */
function parkedThread(p: u32): void { while (true) NtDelayExecution(0, 0); }

/** Puts a u32 at page + offset through the kernel (a status, never a user fault). */
function put32(offset: u32, value: u32): void { store<u32>(local, value); NtWriteVirtualMemory(SELF, page + offset, local, 4, 0); }
function put64(offset: u32, value: i64): void { store<i64>(local, value); NtWriteVirtualMemory(SELF, page + offset, local, 8, 0); }
/** Reads a u32 at page + offset through the kernel (0 when the page is gone). */
function get32(offset: u32): u32 { store<u32>(local, 0); NtReadVirtualMemory(SELF, page + offset, local, 4, 0); return load<u32>(local); }
/** Closes the handle a service wrote at page + HANDLE, when it is there. */
function closeOut(): void { const h = get32(HANDLE); if (h != 0) NtClose(h); }

const NAMES: string[] = [
  "NtQueryObject basic", "NtQueryObject name", "NtQueryObject type", "NtQueryObject types", "NtQueryObject flags",
  "NtSetInformationObject", "NtQueryDirectoryObject", "NtCreateDirectoryObject", "NtOpenDirectoryObject", "NtDuplicateObject",
  "NtCreateEvent", "NtSetEvent", "NtResetEvent", "NtPulseEvent", "NtReleaseMutant",
  "NtReleaseSemaphore", "NtSetTimer", "NtCancelTimer", "NtWaitForMultipleObjects", "NtWaitForSingleObject",
  "NtDelayExecution", "NtOpenProcess", "NtOpenThread", "NtQueryInformationProcess basic", "NtQueryInformationProcess image",
  "NtSetInformationProcess", "NtQueryInformationThread", "NtSetInformationThread", "NtSuspendThread", "NtResumeThread",
  "NtQuerySystemInformation basic", "NtQuerySystemInformation processes", "NtQuerySystemTime", "NtQueryPerformanceCounter", "NtOpenProcessToken",
  "NtAdjustPrivilegesToken", "NtRaiseHardError", "NtDisplayString", "NtQueryInformationProcess session", "NtQuerySystemInformation performance",
];

/** A status a service gives without any race: a wait with a zero timeout on an event not set. */
function usual(i: i32): u32 { return i == 18 || i == 19 ? 0x00000102 : 0; }
/** The error a service gives for what a zeroed page holds as its input (0: none). */
function normal(i: i32): u32 {
  switch (i) {
    case 18: return 0xC0000008;      // NtWaitForMultipleObjects: handle 0, STATUS_INVALID_HANDLE
    case 21: case 22: return 0xC000000B; // NtOpenProcess/Thread: CLIENT_ID 0, STATUS_INVALID_CID
    case 25: case 27: return 0xC000000D; // priority 0: STATUS_INVALID_PARAMETER
    case 35: return 0x00000106;      // NtAdjustPrivilegesToken: privilege 0, STATUS_NOT_ALL_ASSIGNED
    case 15: return 0xC0000047;      // NtReleaseSemaphore after a release whose page was gone: STATUS_SEMAPHORE_LIMIT_EXCEEDED
  }
  return 0;
}

function call(i: i32): u32 {
  const b = page + BUFFER;
  switch (i) {
    case 0: return NtQueryObject(ev, 0, b, 56, page + RLEN);
    case 1: return NtQueryObject(dir, 1, b, BUFFER_SIZE, page + RLEN);
    case 2: return NtQueryObject(ev, 2, b, BUFFER_SIZE, page + RLEN);
    case 3: return NtQueryObject(0, 3, b, BUFFER_SIZE, page + RLEN);
    case 4: return NtQueryObject(ev, 4, b, 2, page + RLEN);
    case 5: put32(VALUE, 0); return NtSetInformationObject(ev, 4, page + VALUE, 2);
    case 6: return NtQueryDirectoryObject(dir, b, BUFFER_SIZE, 0, 1, page + CONTEXT, page + RLEN);
    case 7: { const s = NtCreateDirectoryObject(page + HANDLE, 0xF000F, 0); closeOut(); return s; }
    case 8: { const s = NtOpenDirectoryObject(page + HANDLE, 0x3, attributes("\\", 0)); closeOut(); return s; }
    case 9: { const s = NtDuplicateObject(SELF, ev, SELF, page + HANDLE, 0, 0, 2); closeOut(); return s; }
    case 10: { const s = NtCreateEvent(page + HANDLE, 0x1F0003, 0, 0, 0); closeOut(); return s; }
    case 11: return NtSetEvent(ev, page + PREV);
    case 12: return NtResetEvent(ev, page + PREV);
    case 13: return NtPulseEvent(ev, page + PREV);
    case 14: NtWaitForSingleObject(mutant, 0, zero); return NtReleaseMutant(mutant, page + PREV);
    case 15: NtWaitForSingleObject(semaphore, 0, zero); return NtReleaseSemaphore(semaphore, 1, page + PREV);
    case 16: put64(TIME, -10000000); return NtSetTimer(timer, page + TIME, 0, 0, 0, 0, page + PREV);
    case 17: return NtCancelTimer(timer, page + PREV);
    case 18: put32(HANDLES, ev); put64(TIME2, 0); return NtWaitForMultipleObjects(1, page + HANDLES, 1, 0, page + TIME2);
    case 19: put64(TIME2, 0); return NtWaitForSingleObject(ev, 0, page + TIME2);
    case 20: put64(TIME, -1); return NtDelayExecution(0, page + TIME);
    case 21: { put32(CID, pid); put32(CID + 4, 0); const s = NtOpenProcess(page + HANDLE, 0x400, attributes("", 0), page + CID); closeOut(); return s; }
    case 22: { put32(CID, pid); put32(CID + 4, tid); const s = NtOpenThread(page + HANDLE, 0x40, attributes("", 0), page + CID); closeOut(); return s; }
    case 23: return NtQueryInformationProcess(SELF, ProcessBasicInformation, b, SIZEOF_PROCESS_BASIC_INFORMATION, page + RLEN);
    case 24: return NtQueryInformationProcess(SELF, ProcessImageFileName, b, BUFFER_SIZE, page + RLEN);
    case 25: put32(VALUE, basePriority); return NtSetInformationProcess(SELF, ProcessBasePriority, page + VALUE, 4);
    case 26: return NtQueryInformationThread(SELF_THREAD, ThreadBasicInformation, b, SIZEOF_THREAD_BASIC_INFORMATION, page + RLEN);
    case 27: put32(VALUE, priority); return NtSetInformationThread(SELF_THREAD, ThreadPriority, page + VALUE, 4);
    case 28: return NtSuspendThread(parked, page + PREV);
    case 29: return NtResumeThread(parked, page + PREV);
    case 30: return NtQuerySystemInformation(SystemBasicInformation, b, SIZEOF_SYSTEM_BASIC_INFORMATION, page + RLEN);
    case 31: return NtQuerySystemInformation(SystemProcessInformation, b, BUFFER_SIZE, page + RLEN);
    case 32: return NtQuerySystemTime(page + TIME);
    case 33: return NtQueryPerformanceCounter(page + TIME, page + TIME2);
    case 34: { const s = NtOpenProcessToken(SELF, 0x28, page + HANDLE); closeOut(); return s; }
    case 35: {
      put32(NEWSTATE, 1); put32(NEWSTATE + 4, 23); put32(NEWSTATE + 8, 0); put32(NEWSTATE + 12, 2); // SeChangeNotifyPrivilege enabled
      return NtAdjustPrivilegesToken(token, 0, page + NEWSTATE, 16, page + OLDSTATE, page + RLEN);
    }
    case 36: {
      put32(PARAMS, <u32>(page + STRING)); put32(STRING, 0x00120012); put32(STRING + 4, <u32>(page + TEXT));
      for (let k: u32 = 0; k < 9; k++) { store<u16>(local + 16 + (k << 1), <u16>(0x61 + k)); }
      NtWriteVirtualMemory(SELF, page + TEXT, local + 16, 18, 0);
      return NtRaiseHardError(0x40000015, 1, 1, page + PARAMS, 1, page + PREV);
    }
    case 37: {
      put32(STRING, 0x00120012); put32(STRING + 4, <u32>(page + TEXT));
      for (let k: u32 = 0; k < 9; k++) { store<u16>(local + 16 + (k << 1), <u16>(0x61 + k)); }
      NtWriteVirtualMemory(SELF, page + TEXT, local + 16, 18, 0);
      return NtDisplayString(page + STRING);
    }
    case 38: return NtQueryInformationProcess(SELF, ProcessSessionInformation, b, 4, page + RLEN);
    case 39: return NtQuerySystemInformation(SystemPerformanceInformation, b, SIZEOF_SYSTEM_PERFORMANCE_INFORMATION, page + RLEN);
  }
  return 0;
}

export function main(): void {
  const indirect: (p: u32) => void = threadReturned;
  if (load<u32>(0x7FFDF0F0) == 0x12345678) indirect(load<u32>(0x7FFDF0F4));
  store<u32>(cell, 0); store<u32>(cell, 4096, 4);
  show("allocate", NtAllocateVirtualMemory(SELF, cell, 0, cell + 4, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE));
  page = load<u32>(cell);
  NtQueryInformationProcess(SELF, ProcessBasicInformation, local, SIZEOF_PROCESS_BASIC_INFORMATION, 0);
  pid = changetype<PROCESS_BASIC_INFORMATION>(local).UniqueProcessId; basePriority = changetype<PROCESS_BASIC_INFORMATION>(local).BasePriority;
  NtQueryInformationThread(SELF_THREAD, ThreadBasicInformation, local, SIZEOF_THREAD_BASIC_INFORMATION, 0);
  tid = changetype<THREAD_BASIC_INFORMATION>(local).ClientId_UniqueThread; priority = changetype<THREAD_BASIC_INFORMATION>(local).Priority;
  NtCreateEvent(cell, 0x1F0003, 0, 0, 0); ev = load<u32>(cell);
  NtCreateMutant(cell, 0x1F0001, 0, 0); mutant = load<u32>(cell);
  NtCreateSemaphore(cell, 0x1F0003, 0, 1, 1); semaphore = load<u32>(cell);
  NtCreateTimer(cell, 0x1F0003, 0, 0); timer = load<u32>(cell);
  NtOpenDirectoryObject(cell, 0x3, attributes("\\", 0)); dir = load<u32>(cell);
  NtOpenProcessToken(SELF, 0x28, cell); token = load<u32>(cell);
  parked = spawn(parkedThread, 0, 1);
  show("set up", ev != 0 && mutant != 0 && semaphore != 0 && timer != 0 && dir != 0 && token != 0 && parked != 0 ? 0 : 1);

  const n = NAMES.length;
  // Once with the page there: every service's answer as it is without a race.
  for (let i = 0; i < n; i++) { const s = call(i); if (s != 0 && s != usual(i) && s != normal(i)) { put(NAMES[i]); put(" without a race "); putHex(s); flush(); } }

  const t = spawn(toggler, 0, 0);
  let switches: u32 = 0, seen: u32 = 0;
  for (let round: u32 = 0; round < ROUNDS; round++) {
    if (round % 40 == 0) { put("round "); putDec(round); flush(); }
    for (let i = 0; i < n; i++) {
      if ((i == 36 || i == 37) && (round & 15) != 0) continue; // each logs a line
      const s = call(i);
      if (toggles != seen) { seen = toggles; switches++; }
      const c = counts + <usize>(i * 20);
      store<u32>(c, load<u32>(c) + 1);
      const slot: u32 = s == 0 || s == usual(i) ? 1 : s == AV ? 2 : s == normal(i) ? 3 : 4;
      store<u32>(c + (slot << 2), load<u32>(c + (slot << 2)) + 1);
      if (slot == 4 && load<u32>(c + 16) == 1) { put(NAMES[i]); put(" unexpected "); putHex(s); flush(); }
    }
  }
  stop = true;
  NtSuspendThread(t, 0);
  for (let i = 0; i < n; i++) {
    const c = counts + <usize>(i * 20);
    put(NAMES[i]); put(" calls "); putDec(load<u32>(c)); put(" success "); putDec(load<u32>(c, 4));
    put(" access violation "); putDec(load<u32>(c, 8)); put(" normal "); putDec(load<u32>(c, 12)); put(" other "); putDec(load<u32>(c, 16)); flush();
  }
  put("switches "); putDec(switches); flush();
  say("the kernel is still running");
}
