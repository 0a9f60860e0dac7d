// What the ring-3 test programs use: native services (imports from "ntdll",
// linked to the sysenter stubs by scripts/userprog.ts), a raw service call (int 0x2e), and
// output through NtDisplayString (a log line named after the process).

@external("ntdll", "NtDisplayString") export declare function NtDisplayString(string: usize): u32;
@external("ntdll", "NtTerminateProcess") export declare function NtTerminateProcess(process: u32, status: u32): u32;
@external("ntdll", "NtTerminateThread") export declare function NtTerminateThread(thread: u32, status: u32): u32;
@external("ntdll", "NtDelayExecution") export declare function NtDelayExecution(alertable: u32, interval: usize): u32;
@external("ntdll", "NtYieldExecution") export declare function NtYieldExecution(): u32;
@external("ntdll", "NtQuerySystemTime") export declare function NtQuerySystemTime(time: usize): u32;
@external("ntdll", "NtQueryPerformanceCounter") export declare function NtQueryPerformanceCounter(counter: usize, frequency: usize): u32;
/** int 0x2e with any service number and argument pointer. */
@external("test", "syscall") export declare function syscall(service: u32, args: usize): u32;

import { InitializeCountedString, InitializeObjectAttributes, UNICODE_STRING } from "../../../kernel/sdk/ntdef";
import { SYSTEM_PROCESS_INFORMATION, SystemProcessInformation } from "../../../kernel/sdk/sysinfo";

const line = memory.data(256, 4);
const ustr = memory.data(8, 4);
let length: u32 = 0;

export function put(s: string): void {
  for (let i = 0; i < s.length && length < 126; i++) { store<u16>(line + (length << 1), <u16>s.charCodeAt(i)); length++; }
}
export function putHex(v: u32): void {
  put("0x");
  for (let i = 28; i >= 0; i -= 4) {
    const d = (v >>> <u32>i) & 15;
    store<u16>(line + (length << 1), <u16>(d < 10 ? 48 + d : 55 + d));
    length++;
  }
}
export function putDec(v: u32): void {
  if (v >= 10) putDec(v / 10);
  store<u16>(line + (length << 1), <u16>(48 + v % 10));
  length++;
}
/** Sends the line built with put*: one NtDisplayString. */
export function flush(): u32 {
  InitializeCountedString(ustr, <u32>line, length << 1, 256);
  length = 0;
  return NtDisplayString(ustr);
}
export function say(s: string): void { put(s); flush(); }
/** "what 0x........": a step and the status it gave, one line. */
export function show(what: string, status: u32): void { put(what); put(" "); putHex(status); flush(); }
@external("ntdll", "NtQueryInformationProcess") export declare function NtQueryInformationProcess(process: u32, infoClass: u32, buffer: usize, length: u32, returnLength: usize): u32;
@external("ntdll", "NtSetInformationProcess") export declare function NtSetInformationProcess(process: u32, infoClass: u32, buffer: usize, length: u32): u32;
@external("ntdll", "NtAllocateVirtualMemory") export declare function NtAllocateVirtualMemory(process: u32, base: usize, zeroBits: u32, size: usize, type: u32, protect: u32): u32;
@external("ntdll", "NtFreeVirtualMemory") export declare function NtFreeVirtualMemory(process: u32, base: usize, size: usize, freeType: u32): u32;
@external("ntdll", "NtProtectVirtualMemory") export declare function NtProtectVirtualMemory(process: u32, base: usize, size: usize, protect: u32, old: usize): u32;
@external("ntdll", "NtQueryVirtualMemory") export declare function NtQueryVirtualMemory(process: u32, address: usize, infoClass: u32, buffer: usize, length: u32, result: usize): u32;
@external("ntdll", "NtQuerySystemInformation") export declare function NtQuerySystemInformation(infoClass: u32, buffer: usize, length: u32, returnLength: usize): u32;
@external("ntdll", "NtQueryInformationThread") export declare function NtQueryInformationThread(thread: u32, infoClass: u32, buffer: usize, length: u32, returnLength: usize): u32;
@external("ntdll", "NtClose") export declare function NtClose(handle: u32): u32;
@external("ntdll", "NtCreateEvent") export declare function NtCreateEvent(handle: usize, access: u32, oa: usize, type: u32, state: u32): u32;
@external("ntdll", "NtOpenEvent") export declare function NtOpenEvent(handle: usize, access: u32, oa: usize): u32;
@external("ntdll", "NtSetEvent") export declare function NtSetEvent(handle: u32, previous: usize): u32;
@external("ntdll", "NtResetEvent") export declare function NtResetEvent(handle: u32, previous: usize): u32;
@external("ntdll", "NtCreateMutant") export declare function NtCreateMutant(handle: usize, access: u32, oa: usize, owner: u32): u32;
@external("ntdll", "NtReleaseMutant") export declare function NtReleaseMutant(handle: u32, previous: usize): u32;
@external("ntdll", "NtCreateSemaphore") export declare function NtCreateSemaphore(handle: usize, access: u32, oa: usize, count: u32, limit: u32): u32;
@external("ntdll", "NtReleaseSemaphore") export declare function NtReleaseSemaphore(handle: u32, count: u32, previous: usize): u32;
@external("ntdll", "NtCreateTimer") export declare function NtCreateTimer(handle: usize, access: u32, oa: usize, type: u32): u32;
@external("ntdll", "NtSetTimer") export declare function NtSetTimer(handle: u32, due: usize, apc: u32, context: u32, resume: u32, period: u32, previous: usize): u32;
@external("ntdll", "NtCancelTimer") export declare function NtCancelTimer(handle: u32, state: usize): u32;
@external("ntdll", "NtWaitForSingleObject") export declare function NtWaitForSingleObject(handle: u32, alertable: u32, timeout: usize): u32;
@external("ntdll", "NtWaitForMultipleObjects") export declare function NtWaitForMultipleObjects(count: u32, handles: usize, waitType: u32, alertable: u32, timeout: usize): u32;
@external("ntdll", "NtCreateDirectoryObject") export declare function NtCreateDirectoryObject(handle: usize, access: u32, oa: usize): u32;
@external("ntdll", "NtCreateSymbolicLinkObject") export declare function NtCreateSymbolicLinkObject(handle: usize, access: u32, oa: usize, target: usize): u32;

const oaBuffer = memory.data(24, 4);
const nameBuffer = memory.data(8, 4);
/** An OBJECT_ATTRIBUTES for `name` (a static string; "" for none) with `attributes` (OBJ_CASE_INSENSITIVE 0x40, OBJ_OPENIF 0x80). */
export function attributes(name: string, flags: u32): usize {
  return InitializeObjectAttributes(oaBuffer, name.length == 0 ? 0 : unicode(nameBuffer, name), flags, 0, 0);
}
/** A UNICODE_STRING at `at` for a static string. */
export function unicode(at: usize, s: string): usize {
  const u = changetype<UNICODE_STRING>(at);
  u.Length = <u16>(s.length << 1); u.MaximumLength = <u16>(s.length << 1); u.Buffer = changetype<usize>(s);
  return at;
}
export function ms(at: usize, milliseconds: i64): usize { store<i64>(at, -milliseconds * 10000); return at; }
@external("ntdll", "NtCreateThread") export declare function NtCreateThread(handle: usize, access: u32, oa: usize, process: u32, clientId: usize, context: usize, initialTeb: usize, suspended: u32): u32;
@external("ntdll", "NtResumeThread") export declare function NtResumeThread(handle: u32, previous: usize): u32;
@external("ntdll", "NtSuspendThread") export declare function NtSuspendThread(handle: u32, previous: usize): u32;
@external("ntdll", "NtOpenProcess") export declare function NtOpenProcess(handle: usize, access: u32, oa: usize, clientId: usize): u32;
@external("ntdll", "NtOpenDirectoryObject") export declare function NtOpenDirectoryObject(handle: usize, access: u32, oa: usize): u32;
@external("ntdll", "NtQueryDirectoryObject") export declare function NtQueryDirectoryObject(handle: u32, buffer: usize, length: u32, single: u32, restart: u32, context: usize, returnLength: usize): u32;
@external("ntdll", "NtOpenSymbolicLinkObject") export declare function NtOpenSymbolicLinkObject(handle: usize, access: u32, oa: usize): u32;
@external("ntdll", "NtQuerySymbolicLinkObject") export declare function NtQuerySymbolicLinkObject(handle: u32, target: usize, returnLength: usize): u32;
@external("ntdll", "NtQueryObject") export declare function NtQueryObject(handle: u32, infoClass: u32, buffer: usize, length: u32, returnLength: usize): u32;
@external("ntdll", "NtDuplicateObject") export declare function NtDuplicateObject(sourceProcess: u32, source: u32, targetProcess: u32, target: usize, access: u32, attributes: u32, options: u32): u32;
@external("ntdll", "NtMakeTemporaryObject") export declare function NtMakeTemporaryObject(handle: u32): u32;
/** Appends a UNICODE_STRING's text to the line being built. */
export function putUnicode(string: usize): void {
  const length = <u32>changetype<UNICODE_STRING>(string).Length;
  const buffer = changetype<UNICODE_STRING>(string).Buffer;
  for (let i: u32 = 0; i < length; i += 2) put(String.fromCharCode(load<u16>(buffer + i)));
}
@external("ntdll", "NtCreateSection") export declare function NtCreateSection(handle: usize, access: u32, oa: usize, maximumSize: usize, protect: u32, attributes: u32, file: u32): u32;
@external("ntdll", "NtOpenSection") export declare function NtOpenSection(handle: usize, access: u32, oa: usize): u32;
@external("ntdll", "NtMapViewOfSection") export declare function NtMapViewOfSection(section: u32, process: u32, base: usize, zeroBits: u32, commitSize: u32, offset: usize, viewSize: usize, inherit: u32, type: u32, protect: u32): u32;
@external("ntdll", "NtUnmapViewOfSection") export declare function NtUnmapViewOfSection(process: u32, base: usize): u32;
@external("ntdll", "NtReadVirtualMemory") export declare function NtReadVirtualMemory(process: u32, base: usize, buffer: usize, size: u32, done: usize): u32;
@external("ntdll", "NtWriteVirtualMemory") export declare function NtWriteVirtualMemory(process: u32, base: usize, buffer: usize, size: u32, done: usize): u32;
@external("ntdll", "NtOpenThread") export declare function NtOpenThread(handle: usize, access: u32, oa: usize, clientId: usize): u32;

const processList = memory.data(8192, 4);
/** The id of the first process whose image name starts with the two characters `first`, `second` (0: none). */
export function findPid(first: u32, second: u32): u32 {
  NtQuerySystemInformation(SystemProcessInformation, processList, 8192, 0);
  let at = processList;
  while (true) {
    const r = changetype<SYSTEM_PROCESS_INFORMATION>(at);
    const name = r.ImageName_Buffer;
    if (r.ImageName_Length >= 4 && load<u16>(name) == first && load<u16>(name + 2) == second) return r.UniqueProcessId;
    const next = r.NextEntryOffset;
    if (next == 0) return 0;
    at += next;
  }
}
@external("ntdll", "NtCreateProcessEx") export declare function NtCreateProcessEx(handle: usize, access: u32, oa: usize, parent: u32, flags: u32, section: u32, debugPort: u32, exceptionPort: u32, job: u32): u32;
@external("ntdll", "NtSetInformationThread") export declare function NtSetInformationThread(thread: u32, infoClass: u32, buffer: usize, length: u32): u32;

// ---- threads ----
@external("kernel", "func_address") declare function spawnFuncAddress(slot: u32): usize;
const spawnContext = memory.data(716, 4);  // CONTEXT: only Eip and Esp are set
const spawnTeb = memory.data(20, 4);       // INITIAL_TEB
const spawnCell = memory.data(24, 4);      // base, size, handle, ClientId
/** Where a thread's routine returns to (its first stack slot): the thread ends. */
export function threadReturned(p: u32): void { NtTerminateThread(0xFFFFFFFE, 0); }
/**
 * Starts `routine(param)` in this process on a new 64 KiB stack (suspended
 * when asked); returns its handle, or 0 after a "create failed" line. The
 * program's main must keep the function table alive (an indirect call
 * through `threadReturned` that never runs; see threads.ts), since the
 * start address comes from func_address.
 */
export function spawnThread(routine: (p: u32) => void, param: u32, suspended: u32): u32 {
  store<u32>(spawnCell, 0); store<u32>(spawnCell, 0x10000, 4);
  NtAllocateVirtualMemory(0xFFFFFFFF, spawnCell, 0, spawnCell + 4, 0x3000 /* MEM_COMMIT | MEM_RESERVE */, 0x04 /* PAGE_READWRITE */);
  const bottom = load<u32>(spawnCell), top = bottom + 0x10000;
  store<u32>(top - 8, <u32>spawnFuncAddress(load<u32>(changetype<usize>(threadReturned))));
  store<u32>(top - 4, param);
  memory.fill(spawnContext, 0, 716);
  store<u32>(spawnContext, <u32>spawnFuncAddress(load<u32>(changetype<usize>(routine))), 0xB8); // Eip
  store<u32>(spawnContext, top - 8, 0xC4);                                                          // Esp
  store<u32>(spawnTeb, top, 8); store<u32>(spawnTeb, bottom + 0x2000, 12);
  const s = NtCreateThread(spawnCell + 8, 0x1F03FF, 0, 0xFFFFFFFF, spawnCell + 12, spawnContext, spawnTeb, suspended);
  if (s != 0) { show("create failed", s); return 0; }
  return load<u32>(spawnCell, 8);
}
