// Access tokens from ring 3: this process's primary token (one object for
// every open), NtAdjustPrivilegesToken with Windows' semantics (previous
// state of what changed only, STATUS_NOT_ALL_ASSIGNED, buffer too small,
// access rights, hostile pointers), NtOpenThreadToken without impersonation,
// and the tokens of child processes -- a copy of this one (NtCreateProcessEx
// without a section, a thread running `child` there) and one from an image
// (\Images\hello.exe) -- that are copies: what changes there is not seen here.
//
// Every line is "what status [length N previous LUID=attributes ...]".
import { InitializeObjectAttributes, OBJ_CASE_INSENSITIVE } from "../../../kernel/sdk/ntdef";
import { show, NtClose, NtCreateProcessEx, NtAllocateVirtualMemory, NtWriteVirtualMemory, NtCreateThread, NtWaitForSingleObject,
  NtQueryInformationProcess, NtQueryObject, NtOpenProcess, NtTerminateProcess, ms, put, putHex, putDec, putUnicode, flush, unicode } from "./nt";
import { ProcessBasicInformation, PROCESS_BASIC_INFORMATION, SIZEOF_PROCESS_BASIC_INFORMATION } from "../../../kernel/sdk/procinfo";
@external("kernel", "func_address") declare function func_address(slot: u32): usize;
@external("ntdll", "NtOpenProcessToken") declare function NtOpenProcessToken(process: u32, access: u32, token: usize): u32;
@external("ntdll", "NtOpenThreadToken") declare function NtOpenThreadToken(thread: u32, access: u32, openAsSelf: u32, token: usize): u32;
@external("ntdll", "NtAdjustPrivilegesToken") declare function NtAdjustPrivilegesToken(token: u32, disableAll: u32, newState: usize, length: u32, previous: usize, returnLength: usize): u32;
@external("ntdll", "NtCreateFile") declare function NtCreateFile(h: usize, access: u32, oa: usize, iosb: usize, alloc: usize, attrs: u32, share: u32, disposition: u32, options: u32, ea: usize, eaLength: u32): u32;
@external("ntdll", "NtCreateSection") declare function NtCreateSection(handle: usize, access: u32, oa: usize, maximumSize: usize, protect: u32, attributes: u32, file: u32): u32;
@external("ntdll", "NtQuerySection") declare function NtQuerySection(section: u32, cls: u32, info: usize, length: u32, result: usize): u32;

const SELF: u32 = 0xFFFFFFFF, THREAD: u32 = 0xFFFFFFFE;
const TOKEN_QUERY: u32 = 0x8, TOKEN_ADJUST_PRIVILEGES: u32 = 0x20;
const ENABLED: u32 = 2, REMOVED: u32 = 4;
const h = memory.data(64, 4);          // handles: +0 token, +4 query-only, +8 adjust-only, +12 process, +16 thread, ...
const state = memory.data(64, 4);      // NewState
const previous = memory.data(512, 4);  // PreviousState
const returned = memory.data(4, 4);    // ReturnLength
const info = memory.data(256, 8);
const cid = memory.data(8, 4);
const cell = memory.data(32, 4);
const context = memory.data(716, 4);
const initialTeb = memory.data(20, 4);
const pbi = memory.data(28, 4);
const t = memory.data(8, 8);
const iosb = memory.data(8, 4);
const oa = memory.data(24, 4);
const name = memory.data(8, 4);

/** NewState with one entry (LUID low, high, attributes). */
function one(luid: u32, attributes: u32, high: u32 = 0): usize {
  store<u32>(state, 1);
  store<u32>(state, luid, 4); store<u32>(state, high, 8); store<u32>(state, attributes, 12);
  return state;
}
/** NewState with two entries. */
function two(luid: u32, attributes: u32, luid2: u32, attributes2: u32): usize {
  one(luid, attributes);
  store<u32>(state, 2);
  store<u32>(state, luid2, 16); store<u32>(state, 0, 20); store<u32>(state, attributes2, 24);
  return state;
}

/** NtAdjustPrivilegesToken with a PreviousState of `length` bytes; prints the status, *ReturnLength and the previous state. */
function adjust(what: string, token: u32, newState: usize, length: u32 = 512, disableAll: u32 = 0): u32 {
  store<u32>(returned, 0xDEAD);
  memory.fill(previous, 0xEE, 512);
  const status = NtAdjustPrivilegesToken(token, disableAll, newState, length, previous, returned);
  put(what); put(" "); putHex(status); put(" length "); putDec(load<u32>(returned));
  if (status == 0 || status == 0x106) {
    put(" previous");
    const count = load<u32>(previous);
    if (count == 0) put(" none");
    for (let i: u32 = 0; i < count && i < 34; i++) {
      put(" "); putDec(load<u32>(previous + 4 + i * 12));
      if (load<u32>(previous + 8 + i * 12) != 0) put("!"); // a high part: never
      put("="); putDec(load<u32>(previous + 12 + i * 12));
    }
  }
  flush();
  return status;
}

/** Runs in the copy of this process: its own token. */
function child(p: u32): void {
  show("child: open its token", NtOpenProcessToken(SELF, TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY, h + 32));
  const token = load<u32>(h + 32);
  adjust("child: enable 23", token, one(23, ENABLED));                 // the parent had disabled it: so is the copy
  adjust("child: remove 20", token, one(20, REMOVED));
  adjust("child: enable 20", token, one(20, ENABLED));                 // gone from this token
  adjust("child: disable all, buffer too small", token, 0, 16, 1);
  adjust("child: disable all", token, 0, 512, 1);
  adjust("child: disable all again", token, 0x80000000, 512, 1);       // NewState is not looked at
  NtClose(token);
  NtTerminateProcess(SELF, 0x0C);
}
function returnedFromChild(p: u32): void { NtTerminateProcess(SELF, 0x44); }

/** A copy of this process (its handles not inherited) with a thread in `child`; waits for it. Returns the process handle. */
function copyChild(): u32 {
  show("copy this process", NtCreateProcessEx(h + 12, 0x1F0FFF, 0, SELF, 0, 0, 0, 0, 0));
  const process = load<u32>(h + 12);
  store<u32>(cell, 0); store<u32>(cell, 0x10000, 4);
  show("stack there", NtAllocateVirtualMemory(process, cell, 0, cell + 4, 0x3000, 0x04));
  const bottom = load<u32>(cell), top = bottom + 0x10000;
  store<u32>(cell, <u32>func_address(load<u32>(changetype<usize>(returnedFromChild))), 8); store<u32>(cell, 0, 12);
  NtWriteVirtualMemory(process, top - 8, cell + 8, 8, 0);
  memory.fill(context, 0, 716);
  store<u32>(context, <u32>func_address(load<u32>(changetype<usize>(child))), 0xB8);
  store<u32>(context, top - 8, 0xC4);
  store<u32>(initialTeb, top, 8); store<u32>(initialTeb, bottom + 0x2000, 12);
  show("its thread", NtCreateThread(h + 16, 0x1F03FF, 0, process, 0, context, initialTeb, 0));
  show("wait for it", NtWaitForSingleObject(process, 0, ms(t, 5000)));
  NtQueryInformationProcess(process, ProcessBasicInformation, pbi, SIZEOF_PROCESS_BASIC_INFORMATION, 0);
  show("its exit status", changetype<PROCESS_BASIC_INFORMATION>(pbi).ExitStatus);
  NtClose(load<u32>(h + 16));
  return process;
}

/** A process from \Images\hello.exe (not started yet); its handle, or 0. Its section is at h+24 (the caller starts it). */
function imageChild(): u32 {
  unicode(name, "\\??\\C:\\Images\\hello.exe");
  InitializeObjectAttributes(oa, name, OBJ_CASE_INSENSITIVE, 0, 0);
  let status = NtCreateFile(h + 20, 0x80000000 | 0x20000000 | 0x100000, oa, iosb, 0, 0, 1, 1, 0x60, 0, 0);
  if (status == 0) {
    status = NtCreateSection(h + 24, 0xF001F, 0, 0, 0x10, 0x1000000, load<u32>(h + 20));
    NtClose(load<u32>(h + 20));
  }
  if (status == 0) status = NtCreateProcessEx(h + 28, 0x1F0FFF, 0, SELF, 0, load<u32>(h + 24), 0, 0, 0);
  show("process from an image", status);
  return status == 0 ? load<u32>(h + 28) : 0;
}

/** Starts the image process at its entry point and waits for it. */
function runImageChild(process: u32): void {
  const section = load<u32>(h + 24);
  NtQuerySection(section, 1, info, 48, 0);
  NtClose(section);
  store<u32>(cell, 0); store<u32>(cell, 0x10000, 4);
  NtAllocateVirtualMemory(process, cell, 0, cell + 4, 0x3000, 0x04);
  const bottom = load<u32>(cell), top = bottom + 0x10000;
  memory.fill(context, 0, 716);
  store<u32>(context, 0x10007, 0);
  store<u32>(context, load<u32>(info), 0xB8);
  store<u32>(context, top - 16, 0xC4);
  store<u32>(initialTeb, top, 8); store<u32>(initialTeb, bottom, 12);
  show("image process thread", NtCreateThread(h + 16, 0x1F03FF, 0, process, 0, context, initialTeb, 0));
  show("wait for the image process", NtWaitForSingleObject(process, 0, ms(t, 5000)));
  NtQueryInformationProcess(process, ProcessBasicInformation, pbi, SIZEOF_PROCESS_BASIC_INFORMATION, 0);
  show("image process exit status", changetype<PROCESS_BASIC_INFORMATION>(pbi).ExitStatus);
  NtClose(load<u32>(h + 16));
}

export function main(): void {
  // An indirect call keeps the function table (func_address reads it) in the image; never taken.
  const indirect: (p: u32) => void = child;
  if (load<u32>(0x7FFDF0F0) == 0x12345678) indirect(0);
  // Open: the same object every time.
  show("open", NtOpenProcessToken(SELF, TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY, h));
  const token = load<u32>(h);
  show("open query only", NtOpenProcessToken(SELF, TOKEN_QUERY, h + 4));
  show("open adjust only", NtOpenProcessToken(SELF, TOKEN_ADJUST_PRIVILEGES, h + 8));
  let status = NtQueryObject(token, 0, info, 56, 0);
  put("basic "); putHex(status); put(" access "); putHex(load<u32>(info, 4)); put(" handles "); putDec(load<u32>(info, 8)); flush();
  status = NtQueryObject(load<u32>(h + 4), 0, info, 56, 0);
  put("query-only handle access "); putHex(load<u32>(info, 4)); flush();
  status = NtQueryObject(token, 2, info, 256, 0);
  put("type "); putHex(status); put(" "); putUnicode(info); flush();
  show("open with MAXIMUM_ALLOWED", NtOpenProcessToken(SELF, 0x02000000, h + 36));
  NtQueryObject(load<u32>(h + 36), 0, info, 56, 0);
  put("maximum allowed access "); putHex(load<u32>(info, 4)); flush();
  NtClose(load<u32>(h + 36));

  // SeCreatePagefilePrivilege (15): enabled by default in the System token, which boot processes copy.
  adjust("enable 15", token, one(15, ENABLED));
  adjust("disable 15", token, one(15, 0));
  adjust("enable 15 again", token, one(15, ENABLED));
  adjust("disable 15 again", token, one(15, 0));
  adjust("enable 15, buffer too small", token, one(15, ENABLED), 12);
  adjust("enable 15, buffer of 16", token, one(15, ENABLED), 16);   // previous 15=1: the failed call changed nothing
  adjust("unknown LUID 99 and disable 15", token, two(99, ENABLED, 15, 0));
  adjust("LUID 15 with a high part", token, one(15, ENABLED, 1));
  adjust("same LUID twice", token, two(15, ENABLED, 15, ENABLED));
  adjust("empty NewState", token, one(0, 0)); // then PrivilegeCount 0
  store<u32>(state, 0);
  adjust("no entries", token, state);
  show("no previous state", NtAdjustPrivilegesToken(token, 0, one(15, 0), 0, 0, 0));
  adjust("enable 15 after that", token, one(15, ENABLED));

  // Access rights.
  adjust("query-only handle", load<u32>(h + 4), one(15, 0));
  adjust("adjust-only handle with a previous state", load<u32>(h + 8), one(15, 0));
  show("adjust-only handle without one", NtAdjustPrivilegesToken(load<u32>(h + 8), 0, one(15, 0), 0, 0, 0));
  adjust("enable 15 once more", token, one(15, ENABLED));
  adjust("bad token handle", 0x1234, one(15, 0));
  adjust("a process handle as the token", SELF, one(15, 0));
  store<u32>(cid, load<u32>(0x7FFDE020)); store<u32>(cid, 0, 4);
  show("open this process for terminate only", NtOpenProcess(h + 40, 0x0001, 0, cid));
  show("its token", NtOpenProcessToken(load<u32>(h + 40), TOKEN_QUERY, h + 44));
  NtClose(load<u32>(h + 40));

  // Hostile pointers and arguments: a status back, the token untouched.
  adjust("NewState in the kernel", token, 0x80000000);
  adjust("NewState unmapped", token, 0x00001000);
  adjust("NewState null", token, 0);
  store<u32>(state, 1000);
  adjust("1000 entries", token, state);
  store<u32>(state, 0);
  show("PreviousState unmapped", NtAdjustPrivilegesToken(token, 0, one(15, 0), 16, 0x00002000, returned));
  show("ReturnLength null", NtAdjustPrivilegesToken(token, 0, one(15, 0), 16, previous, 0));
  show("ReturnLength in the kernel", NtAdjustPrivilegesToken(token, 0, one(15, 0), 16, previous, 0x80000000));
  show("token handle pointer in the kernel", NtOpenProcessToken(SELF, TOKEN_QUERY, 0x80000000));
  show("token handle pointer null", NtOpenProcessToken(SELF, TOKEN_QUERY, 0));
  adjust("15 still enabled", token, one(15, ENABLED));

  // No impersonation: a thread has no token of its own.
  show("thread token", NtOpenThreadToken(THREAD, TOKEN_QUERY, 0, h + 48));
  show("thread token as self", NtOpenThreadToken(THREAD, TOKEN_QUERY, 1, h + 48));
  show("thread token, bad handle", NtOpenThreadToken(0x1234, TOKEN_QUERY, 0, h + 48));
  show("thread token, a process handle", NtOpenThreadToken(SELF, TOKEN_QUERY, 0, h + 48));
  show("thread token, pointer in the kernel", NtOpenThreadToken(THREAD, TOKEN_QUERY, 0, 0x80000000));

  // Children get a copy of this token as it is when they are made.
  adjust("disable 23", token, one(23, 0));
  const copy = copyChild();
  adjust("enable 23 here", token, one(23, ENABLED));                  // still disabled here: 23=1
  adjust("enable 20 here", token, one(20, ENABLED));                  // still here and enabled: none
  show("open the copy's token", NtOpenProcessToken(copy, TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY, h + 52));
  adjust("the copy's token: enable 20 and 15", load<u32>(h + 52), two(20, ENABLED, 15, ENABLED));
  NtClose(load<u32>(h + 52));
  NtClose(copy);

  adjust("disable 30", token, one(30, 0));
  const image = imageChild();
  if (image != 0) {
    show("open its token", NtOpenProcessToken(image, TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY, h + 56));
    adjust("its token: enable 30", load<u32>(h + 56), one(30, ENABLED));   // copied while 30 was disabled here
    adjust("its token: remove 15", load<u32>(h + 56), one(15, REMOVED));
    adjust("here: enable 30 and 15", token, two(30, ENABLED, 15, ENABLED)); // 30=1 only: 15 is still here, enabled
    NtClose(load<u32>(h + 56));
    runImageChild(image);
    NtClose(image);
  }

  show("close", NtClose(token));
  NtClose(load<u32>(h + 4));
  NtClose(load<u32>(h + 8));
  show("done", 0);
}
