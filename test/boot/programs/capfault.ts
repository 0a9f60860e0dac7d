// Captures that fault (issue 17, single fetch): OBJECT_ATTRIBUTES' name
// (ExCaptureObjectAttributes) and a registry value name (CmpCaptureString)
// were probed and then copied with a plain memory copy: a second thread that
// decommits the name's last page between the probe and the copy (here, while
// the kernel copies a name of 64 KiB or 32 KiB) made the copy fault in the
// kernel, STOP 0x50. Captured through the user-copy routine, each structure
// read once, the call answers STATUS_ACCESS_VIOLATION instead.
//
// Lines: the cases without a race, then each race as "<what> calls N access
// violation N other N switches N" (other: the status the call gives when the
// name is all there), then "the kernel is still running".
import { InitializeCountedString, InitializeObjectAttributes, OBJ_CASE_INSENSITIVE } from "../../../kernel/sdk/ntdef";
import { spawnThread as spawn, threadReturned } from "./nt";
import { show, say, put, putHex, putDec, flush, NtAllocateVirtualMemory, NtFreeVirtualMemory, NtCreateThread, NtTerminateThread,
  NtOpenDirectoryObject, NtSuspendThread } from "./nt";
import { KeyValuePartialInformation } from "../../../kernel/sdk/keyinfo";
@external("ntdll", "NtQueryValueKey") declare function NtQueryValueKey(h: u32, name: usize, cls: u32, info: usize, length: u32, result: usize): u32;

const SELF: u32 = 0xFFFFFFFF;
const MEM_COMMIT: u32 = 0x1000, MEM_RESERVE: u32 = 0x2000, MEM_DECOMMIT: u32 = 0x4000, PAGE_READWRITE: u32 = 0x04;
const SIZE: u32 = 0x10000;
const cell = memory.data(64, 4);
const flip = memory.data(16, 4);   // the toggling thread's own cells
let region: usize = 0;
let stop = false;
let toggles: u32 = 0;


/** Decommits `pages` pages at `at` (this thread's cells). */
function decommit(at: usize, bytes: u32): u32 {
  store<u32>(flip, <u32>at); store<u32>(flip, bytes, 4);
  return NtFreeVirtualMemory(SELF, flip, flip + 4, MEM_DECOMMIT);
}
function commit(at: usize, bytes: u32): u32 {
  store<u32>(flip, <u32>at); store<u32>(flip, bytes, 4);
  return NtAllocateVirtualMemory(SELF, flip, 0, flip + 4, MEM_COMMIT, PAGE_READWRITE);
}

/** The second thread: the buffer's last page goes and comes back, over and over. */
function toggler(p: u32): void {
  while (!stop) {
    decommit(region + SIZE - 4096, 4096);
    commit(region + SIZE - 4096, 4096);
    toggles++;
  }
}


const OBJECT_NAME: u32 = 0xFFFE, VALUE_NAME: u32 = 0x7FFE;
const oa = memory.data(24, 4);
const name = memory.data(8, 4);
const info = memory.data(64, 4);
const result = memory.data(4, 4);

/** NtOpenDirectoryObject with a name of `bytes` that ends where the region ends. */
function openLongName(): u32 {
  InitializeCountedString(name, <u32>(region + SIZE - OBJECT_NAME), OBJECT_NAME, OBJECT_NAME);
  InitializeObjectAttributes(oa, name, OBJ_CASE_INSENSITIVE, 0, 0);
  return NtOpenDirectoryObject(cell + 16, 1, oa);
}
/** NtQueryValueKey (no key: the name is captured before the handle is looked up) with a value name that ends where the region ends. */
function queryLongValue(): u32 {
  InitializeCountedString(name, <u32>(region + SIZE - VALUE_NAME), VALUE_NAME, VALUE_NAME);
  return NtQueryValueKey(0, name, KeyValuePartialInformation, info, 64, result);
}
function fill(): void { for (let i: u32 = 0; i < SIZE; i += 2) store<u16>(region + i, 0x41); }

function race(what: string, call: () => u32, other: u32): void {
  let calls: u32 = 0, av: u32 = 0, expected: u32 = 0, unexpected: u32 = 0, switches: u32 = 0, seen = toggles;
  for (; calls < 1000000 && switches < 100; calls++) {
    const s = call();
    if (toggles != seen) { seen = toggles; switches++; }
    if (s == 0xC0000005) av++; else if (s == other) expected++; else { unexpected++; if (unexpected == 1) show("unexpected", s); }
  }
  put(what); put(" calls "); putDec(calls); put(" access violation "); putDec(av); put(" other "); putHex(other); put(" "); putDec(expected);
  put(" unexpected "); putDec(unexpected); put(" switches "); putDec(switches); flush();
}

export function main(): void {
  const indirect: (p: u32) => void = threadReturned;
  if (load<u32>(0x7FFDF0F0) == 0x12345678) indirect(load<u32>(0x7FFDF0F4));
  store<u32>(cell, 0); store<u32>(cell, SIZE, 4);
  show("allocate", NtAllocateVirtualMemory(SELF, cell, 0, cell + 4, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE));
  region = load<u32>(cell);
  fill();
  // Without a race.
  show("open a long name", openLongName());                 // no such name: the name was read
  show("query a long value name", queryLongValue());        // no such key: the name was read
  show("decommit the last page", decommit(region + SIZE - 4096, 4096));
  show("open a long name", openLongName());
  show("query a long value name", queryLongValue());
  show("commit it again", commit(region + SIZE - 4096, 4096));
  fill();
  // Races: the second thread takes the name's last page away and gives it back while the calls run.
  const t = spawn(toggler, 0, 0);
  race("open a long name", openLongName, 0xC000003B);         // STATUS_OBJECT_PATH_SYNTAX_BAD: a relative name without a root
  race("query a long value name", queryLongValue, 0xC0000008); // STATUS_INVALID_HANDLE
  stop = true;
  NtSuspendThread(t, 0);
  say("the kernel is still running");
}
