// User copies that fault (issue 17): the kernel probes a user buffer, then
// copies into it later, after other work (the rest of a copy, a device
// transfer). A buffer whose page is decommitted in between, by this thread
// before the call or by a second thread during it, made the copy fault in
// the kernel: STOP 0x50. With probes that are range checks and copies that
// the page-fault handler recovers, each call answers a status instead.
//
// Lines: first the cases without a race (a status and the bytes reported),
// then two races, each "<what> calls N success N partial N access violation N
// other N switches N", then "the kernel is still running".
import { IO_STATUS_BLOCK } from "../../../kernel/sdk/ntdef";
import { spawnThread as spawn, threadReturned } from "./nt";
import { show, say, put, putHex, putDec, flush, NtAllocateVirtualMemory, NtFreeVirtualMemory, NtCreateThread, NtTerminateThread,
  NtReadVirtualMemory, NtSuspendThread, attributes } from "./nt";
@external("ntdll", "NtOpenFile") declare function NtOpenFile(h: usize, access: u32, oa: usize, iosb: usize, share: u32, options: u32): u32;
@external("ntdll", "NtReadFile") declare function NtReadFile(h: u32, event: u32, apc: usize, ctx: usize, iosb: usize, buffer: usize, length: u32, offset: usize, key: usize): u32;

const SELF: u32 = 0xFFFFFFFF;
const MEM_COMMIT: u32 = 0x1000, MEM_RESERVE: u32 = 0x2000, MEM_DECOMMIT: u32 = 0x4000, PAGE_READWRITE: u32 = 0x04;
const SIZE: u32 = 0x10000;
const cell = memory.data(64, 4);
const flip = memory.data(16, 4);   // the toggling thread's own cells
const iosb = memory.data(8, 4);
const offset = memory.data(8, 8);
const source = memory.data(65536, 16);
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

function showDone(what: string, status: u32, done: u32): void { put(what); put(" "); putHex(status); put(" done "); putDec(done); flush(); }

function tally(what: string, calls: u32, ok: u32, partial: u32, av: u32, other: u32, switches: u32): void {
  put(what); put(" calls "); putDec(calls); put(" success "); putDec(ok); put(" partial "); putDec(partial);
  put(" access violation "); putDec(av); put(" other "); putDec(other); put(" switches "); putDec(switches); flush();
}

export function main(): void {
  const indirect: (p: u32) => void = threadReturned;
  if (load<u32>(0x7FFDF0F0) == 0x12345678) indirect(load<u32>(0x7FFDF0F4));
  for (let i: u32 = 0; i < SIZE; i += 4) store<u32>(source + i, i);
  store<u32>(cell, 0); store<u32>(cell, SIZE, 4);
  show("allocate", NtAllocateVirtualMemory(SELF, cell, 0, cell + 4, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE));
  region = load<u32>(cell);

  // Without a race: the buffer's last page is gone before the call.
  show("decommit the last page", decommit(region + SIZE - 4096, 4096));
  store<u32>(cell, 0xFFFF);
  showDone("read memory into it", NtReadVirtualMemory(SELF, source, region, SIZE, cell), load<u32>(cell));
  put("the copied part is right "); put(load<u32>(region + 0x1000) == 0x1000 && load<u32>(region + SIZE - 4100) == SIZE - 4100 ? "yes" : "no"); flush();
  show("decommit the whole buffer", decommit(region, SIZE));
  store<u32>(cell, 0xFFFF);
  showDone("read memory into it", NtReadVirtualMemory(SELF, source, region, SIZE, cell), load<u32>(cell));
  show("open the data file", NtOpenFile(cell + 16, 0x00100001 /* FILE_READ_DATA | SYNCHRONIZE */, attributes("\\??\\C:\\ucopy.bin", 0x40), iosb, 1, 0x60));
  const file = load<u32>(cell, 16);
  store<u64>(offset, 0);
  changetype<IO_STATUS_BLOCK>(iosb).Status = 0xFFFF; changetype<IO_STATUS_BLOCK>(iosb).Information = 0xFFFF;
  show("read the file into it", NtReadFile(file, 0, 0, 0, iosb, region, SIZE, offset, 0));
  show("commit the buffer again", commit(region, SIZE));

  // Races: the second thread takes the last page away and gives it back while the calls run.
  const t = spawn(toggler, 0, 0);
  let calls: u32 = 0, ok: u32 = 0, partial: u32 = 0, av: u32 = 0, other: u32 = 0, switches: u32 = 0, seen: u32 = 0;
  for (; calls < 2000000 && switches < 100; calls++) {
    const s = NtReadVirtualMemory(SELF, source, region, SIZE, cell);
    if (toggles != seen) { seen = toggles; switches++; }
    if (s == 0) ok++; else if (s == 0x8000000D) partial++; else if (s == 0xC0000005) av++; else { other++; if (other == 1) show("unexpected", s); }
  }
  tally("read memory", calls, ok, partial, av, other, switches);
  calls = 0; ok = 0; partial = 0; av = 0; other = 0; switches = 0;
  for (; calls < 200000 && switches < 100; calls++) {
    store<u64>(offset, 0);
    const s = NtReadFile(file, 0, 0, 0, iosb, region, SIZE, offset, 0);
    if (toggles != seen) { seen = toggles; switches++; }
    if (s == 0) ok++; else if (s == 0xC0000005) av++; else { other++; if (other == 1) show("unexpected", s); }
  }
  tally("read the file", calls, ok, partial, av, other, switches);
  stop = true;
  NtSuspendThread(t, 0);
  say("the kernel is still running");
}
