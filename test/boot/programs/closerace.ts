// Delete on close under concurrency (test/boot/closerace.test.ts): THREADS
// threads of one process each make files of their own, close them, open
// them again with FILE_DELETE_ON_CLOSE, close that, and open the name at
// once: STATUS_OBJECT_NAME_NOT_FOUND is the only right answer, however the
// threads' queued CLEANUPs and CLOSEs (kernel/io/iomgr.ts) interleave. The
// threads keep their counts in their own memory; the main thread reports
// them.
import { spawnThread as spawn, threadReturned } from "./nt";
import { put, putDec, putHex, flush, show, NtAllocateVirtualMemory, NtClose, NtTerminateThread, NtWaitForSingleObject, ms } from "./nt";
import { InitializeObjectAttributes, UNICODE_STRING } from "../../../kernel/sdk/ntdef";
import { STATUS_OBJECT_NAME_NOT_FOUND } from "../../../kernel/sdk/ntstatus";
@external("ntdll", "NtCreateFile") declare function NtCreateFile(h: usize, access: u32, oa: usize, iosb: usize, alloc: usize, attrs: u32, share: u32, disposition: u32, options: u32, ea: usize, eaLength: u32): u32;

const THREADS: u32 = 4;
const ROUNDS: u32 = 40;
const SELF: u32 = 0xFFFFFFFF;
const SYNCHRONIZE: u32 = 0x100000, DELETE: u32 = 0x10000, GENERIC_READ: u32 = 0x80000000, GENERIC_WRITE: u32 = 0x40000000;
const FILE_LIST_DIRECTORY: u32 = 1, SHARE_ALL: u32 = 7, FILE_OPEN: u32 = 1, FILE_CREATE: u32 = 2;
const DIRECTORY: u32 = 1, SYNC: u32 = 0x20, NON_DIRECTORY: u32 = 0x40, DELETE_ON_CLOSE: u32 = 0x1000;
const OBJ_CASE_INSENSITIVE: u32 = 0x40;

// A thread's own memory (committed by main before the thread starts).
const T_DONE: u32 = 0, T_FAILED: u32 = 4, T_FIRST_ROUND: u32 = 8, T_FIRST_STATUS: u32 = 12, T_FIRST_STEP: u32 = 16;
const T_HANDLE: u32 = 32, T_IOSB: u32 = 40, T_OA: u32 = 64, T_USTR: u32 = 96, T_NAME: u32 = 128;
const T_SIZE: u32 = 0x1000;

const areas = memory.data(<i32>(THREADS * 4), 4);
const threads = memory.data(<i32>(THREADS * 4), 4);
const cell = memory.data(16, 4);
const timeout = memory.data(8, 8);

function ascii(t: usize, at: u32, s: string): u32 {
  for (let i = 0; i < s.length; i++) store<u16>(t + T_NAME + ((at + <u32>i) << 1), <u16>s.charCodeAt(i));
  return at + <u32>s.length;
}
function decimal(t: usize, at: u32, v: u32): u32 {
  if (v >= 10) at = decimal(t, at, v / 10);
  store<u16>(t + T_NAME + (at << 1), <u16>(48 + v % 10));
  return at + 1;
}
/** OBJECT_ATTRIBUTES for \??\C:\CloseRace\t<thread>r<round>.tmp in t's memory. */
function path(t: usize, thread: u32, round: u32): usize {
  let n = ascii(t, 0, "\\??\\C:\\CloseRace\\t"); n = decimal(t, n, thread); n = ascii(t, n, "r"); n = decimal(t, n, round); n = ascii(t, n, ".tmp");
  const u = changetype<UNICODE_STRING>(t + T_USTR);
  u.Length = <u16>(n << 1); u.MaximumLength = <u16>(n << 1); u.Buffer = t + T_NAME;
  return InitializeObjectAttributes(t + T_OA, t + T_USTR, OBJ_CASE_INSENSITIVE, 0, 0);
}
function fail(t: usize, round: u32, step: u32, status: u32): void {
  if (load<u32>(t + T_FAILED) == 0) { store<u32>(t + T_FIRST_ROUND, round); store<u32>(t + T_FIRST_STATUS, status); store<u32>(t + T_FIRST_STEP, step); }
  store<u32>(t + T_FAILED, load<u32>(t + T_FAILED) + 1);
}

function racer(index: u32): void {
  const t = <usize>load<u32>(areas + (index << 2));
  for (let k: u32 = 0; k < ROUNDS; k++) {
    // 1, 2: made and closed; 3, 4: opened again to be deleted when its last handle goes, and closed; 5: the name is free at once.
    // The reopen finds the first open's FCB while another thread may still hold that open's CLOSE: the delete must not wait for it.
    const made = NtCreateFile(t + T_HANDLE, GENERIC_WRITE | SYNCHRONIZE, path(t, index, k), t + T_IOSB, 0, 0, SHARE_ALL, FILE_CREATE, NON_DIRECTORY | SYNC, 0, 0);
    if (made != 0) { fail(t, k, 1, made); continue; }
    const closed = NtClose(load<u32>(t + T_HANDLE));
    if (closed != 0) { fail(t, k, 2, closed); continue; }
    const opened = NtCreateFile(t + T_HANDLE, DELETE | SYNCHRONIZE, path(t, index, k), t + T_IOSB, 0, 0, SHARE_ALL, FILE_OPEN,
      NON_DIRECTORY | SYNC | DELETE_ON_CLOSE, 0, 0);
    if (opened != 0) { fail(t, k, 3, opened); continue; }
    const closedAgain = NtClose(load<u32>(t + T_HANDLE));
    if (closedAgain != 0) { fail(t, k, 4, closedAgain); continue; }
    const again = NtCreateFile(t + T_HANDLE, GENERIC_READ | SYNCHRONIZE, path(t, index, k), t + T_IOSB, 0, 0, SHARE_ALL, FILE_OPEN, NON_DIRECTORY | SYNC, 0, 0);
    if (again == 0) NtClose(load<u32>(t + T_HANDLE));
    if (again != STATUS_OBJECT_NAME_NOT_FOUND) { fail(t, k, 5, again); continue; }
    store<u32>(t + T_DONE, load<u32>(t + T_DONE) + 1);
  }
}
function racerEntry(p: u32): void { racer(p); NtTerminateThread(0xFFFFFFFE, 0); }

function allocate(size: u32): usize {
  store<u32>(cell, 0); store<u32>(cell, size, 4);
  const s = NtAllocateVirtualMemory(SELF, cell, 0, cell + 4, 0x3000, 0x04);
  if (s != 0) { show("allocate", s); return 0; }
  return <usize>load<u32>(cell);
}

export function main(): void {
  // An indirect call the optimiser cannot rule out keeps the function table (see threads.ts).
  const indirect: (p: u32) => void = threadReturned;
  if (load<u32>(0x7FFDF0F0) == 0x12345678) indirect(load<u32>(0x7FFDF0F4));
  const t0 = allocate(T_SIZE);
  let n = ascii(t0, 0, "\\??\\C:\\CloseRace");
  const u = changetype<UNICODE_STRING>(t0 + T_USTR);
  u.Length = <u16>(n << 1); u.MaximumLength = <u16>(n << 1); u.Buffer = t0 + T_NAME;
  show("mkdir", NtCreateFile(t0 + T_HANDLE, FILE_LIST_DIRECTORY | SYNCHRONIZE, InitializeObjectAttributes(t0 + T_OA, t0 + T_USTR, OBJ_CASE_INSENSITIVE, 0, 0),
    t0 + T_IOSB, 0, 0, SHARE_ALL, FILE_CREATE, DIRECTORY | SYNC, 0, 0));
  NtClose(load<u32>(t0 + T_HANDLE));
  for (let i: u32 = 0; i < THREADS; i++) store<u32>(areas + (i << 2), <u32>allocate(T_SIZE));
  for (let i: u32 = 0; i < THREADS; i++) store<u32>(threads + (i << 2), spawn(racerEntry, i, 0));
  put("threads "); putDec(THREADS); put(" rounds "); putDec(ROUNDS); flush();
  for (let i: u32 = 0; i < THREADS; i++) {
    const h = load<u32>(threads + (i << 2));
    const s = NtWaitForSingleObject(h, 0, ms(timeout, 600000));
    if (s != 0) { put("thread "); putDec(i); put(" wait "); putHex(s); flush(); }
    NtClose(h);
  }
  for (let i: u32 = 0; i < THREADS; i++) {
    const t = <usize>load<u32>(areas + (i << 2));
    put("thread "); putDec(i); put(": rounds "); putDec(load<u32>(t + T_DONE)); put(" failed "); putDec(load<u32>(t + T_FAILED)); flush();
    if (load<u32>(t + T_FAILED) != 0) {
      put("thread "); putDec(i); put(": first failure: round "); putDec(load<u32>(t + T_FIRST_ROUND)); put(" step "); putDec(load<u32>(t + T_FIRST_STEP));
      put(" status "); putHex(load<u32>(t + T_FIRST_STATUS)); flush();
    }
  }
  show("done", 0);
}
