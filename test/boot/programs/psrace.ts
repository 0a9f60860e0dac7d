// Reentrancy of the process and thread services (test/boot/reentrancy.test.ts):
// four worker threads at one priority run the same services at once, each
// with inputs of its own, and check every answer:
//   - NtCreateThread (suspended) with the worker's own stack: the new
//     thread's TEB (read back at the TebBaseAddress NtQueryInformationThread
//     gives) must hold that stack, its own TEB address and the ClientId the
//     call returned; then it is terminated, waited for and closed;
//   - NtQueryInformationProcess(ProcessDeviceMap), _EX form, with the flags
//     the worker alternates: PROCESS_LUID_DOSDEVICES_ONLY gives the drives of
//     this process's own "\??" (\PsRace: Q: only), 0 gives them and the
//     global ones; each answer must equal the one taken before the race.
// A kernel that keeps a call's state in module memory hands one worker
// another's TEB fields or drive map when the clock switches between them.
import {
  show, put, putDec, putHex, flush, attributes, unicode, ms, NtAllocateVirtualMemory, NtCreateThread, NtTerminateThread, NtWaitForSingleObject,
  NtClose, NtQueryInformationProcess, NtSetInformationProcess, NtQueryInformationThread, NtCreateDirectoryObject, NtCreateSymbolicLinkObject,
} from "./nt";
import { ThreadBasicInformation, ProcessDeviceMap, SIZEOF_THREAD_BASIC_INFORMATION, THREAD_BASIC_INFORMATION } from "../../../kernel/sdk/procinfo";
@external("kernel", "func_address") declare function func_address(slot: u32): usize;

const SELF: u32 = 0xFFFFFFFF;
const PROCESS_LUID_DOSDEVICES_ONLY: u32 = 1;
const WORKERS: u32 = 4;
const ITERATIONS: u32 = 150;
const MAP_BYTES: u32 = 40; // PROCESS_DEVICEMAP_INFORMATION_EX

// Per worker (index i): its cells, CONTEXT, INITIAL_TEB, device map answer, counts.
const SLOT: u32 = 1024;
const slots = memory.data(<i32>(WORKERS * SLOT), 16);
const expected = memory.data(<i32>(2 * MAP_BYTES), 4); // [flags 0, flags LUID-only]
const mainCell = memory.data(64, 4);
const mainContext = memory.data(716, 16);
const mainTeb = memory.data(20, 4);
const t = memory.data(8, 8);
const workerHandles = memory.data(<i32>(WORKERS * 4), 4);
const results = memory.data(<i32>(WORKERS * 16), 4); // iterations, wrong TEBs, wrong maps, failed calls

@inline function slot(i: u32): usize { return slots + i * SLOT; }
// Slot layout: +0 cells (64), +64 CONTEXT (716), +784 INITIAL_TEB (20), +816 map answer (40), +864 thread info (28)
const S_CELL: u32 = 0, S_CONTEXT: u32 = 64, S_TEB: u32 = 784, S_MAP: u32 = 816, S_INFO: u32 = 864;

function threadReturned(p: u32): void { NtTerminateThread(0xFFFFFFFE, 0); }
function child(p: u32): void { NtTerminateThread(0xFFFFFFFE, 0); }

/** A 64 KiB stack: its top, or 0. */
function allocateStack(cell: usize): u32 {
  store<u32>(cell, 0); store<u32>(cell, 0x10000, 4);
  if (NtAllocateVirtualMemory(SELF, cell, 0, cell + 4, 0x3000, 0x04) != 0) return 0;
  return load<u32>(cell) + 0x10000;
}

/** Starts `routine(param)` with the CONTEXT and INITIAL_TEB at `context`/`initialTeb`; the handle at cell+8, ClientId at cell+12. */
function create(routine: (p: u32) => void, param: u32, top: u32, limit: u32, cell: usize, context: usize, initialTeb: usize, suspended: u32): u32 {
  store<u32>(top - 8, <u32>func_address(load<u32>(changetype<usize>(threadReturned))));
  store<u32>(top - 4, param);
  memory.fill(context, 0, 716);
  store<u32>(context, <u32>func_address(load<u32>(changetype<usize>(routine))), 0xB8); // Eip
  store<u32>(context, top - 8, 0xC4);                                                     // Esp
  memory.fill(initialTeb, 0, 20);
  store<u32>(initialTeb, top, 8); store<u32>(initialTeb, limit, 12);
  return NtCreateThread(cell + 8, 0x1F03FF, 0, SELF, cell + 12, context, initialTeb, suspended);
}

function worker(i: u32): void {
  const s = slot(i);
  const cell = s + S_CELL, info = s + S_INFO, answer = s + S_MAP;
  const top = allocateStack(cell + 32);
  const limit = top - 0x8000 + i * 0x1000; // each worker's own limit too
  let wrongTeb: u32 = 0, wrongMap: u32 = 0, failed: u32 = 0, n: u32 = 0;
  for (; n < ITERATIONS && top != 0; n++) {
    // A thread of its own, suspended: its TEB must be what this call asked for.
    let status = create(child, i, top, limit, cell, s + S_CONTEXT, s + S_TEB, 1);
    if (status != 0) { failed++; continue; }
    const h = load<u32>(cell, 8), tid = load<u32>(cell, 16);
    status = NtQueryInformationThread(h, ThreadBasicInformation, info, SIZEOF_THREAD_BASIC_INFORMATION, 0);
    if (status != 0) failed++;
    else {
      const teb = changetype<THREAD_BASIC_INFORMATION>(info).TebBaseAddress;
      const ok = changetype<THREAD_BASIC_INFORMATION>(info).ClientId_UniqueThread == tid && teb != 0
        && load<u32>(teb, 0x04) == top && load<u32>(teb, 0x08) == limit && load<u32>(teb, 0x18) == teb
        && load<u32>(teb, 0x20) == load<u32>(cell, 12) && load<u32>(teb, 0x24) == tid;
      if (!ok) wrongTeb++;
    }
    NtTerminateThread(h, 0);
    if (NtWaitForSingleObject(h, 0, ms(cell + 24, 5000)) != 0) failed++;
    NtClose(h);
    // The device map, in the form this worker takes this time.
    const luidOnly = ((i + n) & 1) != 0;
    memory.fill(answer, 0xEE, MAP_BYTES);
    store<u32>(answer, luidOnly ? PROCESS_LUID_DOSDEVICES_ONLY : 0, 36);
    status = NtQueryInformationProcess(SELF, ProcessDeviceMap, answer, MAP_BYTES, 0);
    if (status != 0) failed++;
    else if (memory.compare(answer, expected + (luidOnly ? MAP_BYTES : 0), 36) != 0) wrongMap++;
  }
  const r = results + i * 16;
  store<u32>(r, n); store<u32>(r, wrongTeb, 4); store<u32>(r, wrongMap, 8); store<u32>(r, failed, 12);
}

export function main(): void {
  const indirect: (p: u32) => void = threadReturned;
  if (load<u32>(0x7FFDF0F0) == 0x12345678) indirect(load<u32>(0x7FFDF0F4)); // keeps the function table (see threads.ts)
  // A global drive, R:, then this process's own "\??": \PsRace with Q: in it (and Global -> \GLOBAL??, the fallback).
  show("link R:", NtCreateSymbolicLinkObject(mainCell + 20, 0xF0001, attributes("\\GLOBAL??\\R:", 0x40), unicode(mainCell + 8, "\\Device\\Null")));
  show("directory", NtCreateDirectoryObject(mainCell, 0xF, attributes("\\PsRace", 0x40)));
  show("link Q:", NtCreateSymbolicLinkObject(mainCell + 4, 0xF0001, attributes("\\PsRace\\Q:", 0x40), unicode(mainCell + 8, "\\Device\\Null")));
  show("link Global", NtCreateSymbolicLinkObject(mainCell + 16, 0xF0001, attributes("\\PsRace\\Global", 0x40), unicode(mainCell + 24, "\\GLOBAL??")));
  show("set the device map", NtSetInformationProcess(SELF, ProcessDeviceMap, mainCell, 4));
  for (let k: u32 = 0; k < 2; k++) {
    const at = expected + k * MAP_BYTES;
    memory.fill(at, 0, MAP_BYTES);
    store<u32>(at, k, 36);
    NtQueryInformationProcess(SELF, ProcessDeviceMap, at, MAP_BYTES, 0);
  }
  put("drive maps: own and global "); putHex(load<u32>(expected)); put(", own only "); putHex(load<u32>(expected + MAP_BYTES)); flush();
  // The workers, all at this thread's priority.
  let started: u32 = 0;
  for (let i: u32 = 0; i < WORKERS; i++) {
    const top = allocateStack(mainCell + 40);
    if (create(worker, i, top, top - 0x8000, mainCell + 32, mainContext, mainTeb, 0) != 0) { show("worker not started", i); continue; }
    store<u32>(workerHandles + started * 4, load<u32>(mainCell, 40));
    started++;
  }
  for (let i: u32 = 0; i < started; i++) NtWaitForSingleObject(load<u32>(workerHandles + i * 4), 0, 0);
  for (let i: u32 = 0; i < WORKERS; i++) {
    const r = results + i * 16;
    put("worker "); putDec(i); put(": "); putDec(load<u32>(r)); put(" iterations, wrong TEBs "); putDec(load<u32>(r, 4));
    put(", wrong device maps "); putDec(load<u32>(r, 8)); put(", failed calls "); putDec(load<u32>(r, 12)); flush();
  }
}
