// FAT under concurrent requests: WORKERS threads of one process, at one
// priority, each create, write, read back, query, rename, reopen and delete
// files of their own in one shared directory (\FatRace), ROUNDS times, all
// at once: their requests interleave at every disk wait and clock tick.
// Every status, size and byte is checked; each worker keeps its last file.
// The workers write nothing to the log while they run (the line buffer of
// nt.ts is one for the process): each keeps its counts and its first
// failure in its own memory, and the main thread reports them at the end.
// test/boot/fatrace.test.ts then reads the disk (our reader, fsck.fat).
import { spawnThread as spawn, threadReturned } from "./nt";
import { show, put, putDec, putHex, flush, NtAllocateVirtualMemory, NtClose, NtCreateThread, NtTerminateThread, NtWaitForSingleObject, ms } from "./nt";
import { InitializeCountedString, InitializeObjectAttributes, IO_STATUS_BLOCK, OBJ_CASE_INSENSITIVE } from "../../../kernel/sdk/ntdef";
import {
  FILE_DISPOSITION_INFORMATION, FILE_RENAME_INFORMATION, FILE_STANDARD_INFORMATION, SIZEOF_FILE_STANDARD_INFORMATION,
  FileDispositionInformation, FileRenameInformation, FileStandardInformation,
} from "../../../kernel/sdk/fileinfo";
import { STATUS_OBJECT_NAME_NOT_FOUND } from "../../../kernel/sdk/ntstatus";
@external("ntdll", "NtCreateFile") declare function NtCreateFile(h: usize, access: u32, oa: usize, iosb: usize, alloc: usize, attrs: u32, share: u32, disposition: u32, options: u32, ea: usize, eaLength: u32): u32;
@external("ntdll", "NtReadFile") declare function NtReadFile(h: u32, event: u32, apc: usize, ctx: usize, iosb: usize, buffer: usize, length: u32, offset: usize, key: usize): u32;
@external("ntdll", "NtWriteFile") declare function NtWriteFile(h: u32, event: u32, apc: usize, ctx: usize, iosb: usize, buffer: usize, length: u32, offset: usize, key: usize): u32;
@external("ntdll", "NtQueryInformationFile") declare function NtQueryInformationFile(h: u32, iosb: usize, info: usize, length: u32, cls: u32): u32;
@external("ntdll", "NtSetInformationFile") declare function NtSetInformationFile(h: u32, iosb: usize, info: usize, length: u32, cls: u32): u32;

const WORKERS: u32 = 4;
const ROUNDS: u32 = 12;
const SELF: u32 = 0xFFFFFFFF;
const SYNCHRONIZE: u32 = 0x100000, DELETE: u32 = 0x10000, GENERIC_READ: u32 = 0x80000000, GENERIC_WRITE: u32 = 0x40000000;
const FILE_LIST_DIRECTORY: u32 = 1, FILE_SHARE_READ: u32 = 1, SHARE_ALL: u32 = 7;
const FILE_OPEN: u32 = 1, FILE_CREATE: u32 = 2;
const DIRECTORY: u32 = 1, SYNC: u32 = 0x20, NON_DIRECTORY: u32 = 0x40;
const FILE_OPENED: u32 = 1, FILE_CREATED: u32 = 2;

// A worker's own memory (64 KiB, committed by main before the worker starts).
const W_ROUNDS: u32 = 0, W_ERRORS: u32 = 4, W_STEP: u32 = 8, W_ROUND: u32 = 12, W_STATUS: u32 = 16, W_DETAIL: u32 = 20;
const W_HANDLE: u32 = 64, W_IOSB: u32 = 72, W_OA: u32 = 80, W_USTR: u32 = 104, W_OFFSET: u32 = 112, W_INFO: u32 = 128;
const W_NAME: u32 = 256;       // UTF-16 path, 512 bytes
const W_RENAME: u32 = 768;     // FILE_RENAME_INFORMATION: ReplaceIfExists, RootDirectory, FileNameLength, FileName
const W_DATA: u32 = 2048;      // what is written (16 KiB)
const W_READ: u32 = 18432;     // what is read back (16 KiB)
const W_SIZE: u32 = 0x10000;

const areas = memory.data(<i32>(WORKERS * 4), 4);
const threads = memory.data(<i32>(WORKERS * 4), 4);
const cell = memory.data(64, 4);
const timeout = memory.data(8, 8);

function ascii(w: usize, at: u32, s: string): u32 {
  for (let i = 0; i < s.length; i++) store<u16>(w + W_NAME + ((at + <u32>i) << 1), <u16>s.charCodeAt(i));
  return at + <u32>s.length;
}
function decimal(w: usize, at: u32, v: u32): u32 {
  if (v >= 10) at = decimal(w, at, v / 10);
  store<u16>(w + W_NAME + (at << 1), <u16>(48 + v % 10));
  return at + 1;
}
/** The file's name in the worker's name buffer (characters): a long name on even rounds, an 8.3 one on odd. */
function fileName(w: usize, at: u32, worker: u32, round: u32, renamed: bool): u32 {
  const long = (round & 1) == 0;
  if (long != renamed) {
    at = ascii(w, at, "Worker "); at = decimal(w, at, worker);
    at = ascii(w, at, renamed ? " renamed file " : " file with a long name "); at = decimal(w, at, round);
    return ascii(w, at, renamed ? ".dat" : ".bin");
  }
  at = ascii(w, at, "w"); at = decimal(w, at, worker); at = ascii(w, at, renamed ? "n" : "r"); at = decimal(w, at, round);
  return ascii(w, at, renamed ? ".dat" : ".bin");
}
/** An OBJECT_ATTRIBUTES for \??\C:\FatRace\<file name>. */
function path(w: usize, worker: u32, round: u32, renamed: bool): usize {
  const n = fileName(w, ascii(w, 0, "\\??\\C:\\FatRace\\"), worker, round, renamed);
  InitializeCountedString(w + W_USTR, <u32>(w + W_NAME), n << 1, n << 1);
  return InitializeObjectAttributes(w + W_OA, w + W_USTR, OBJ_CASE_INSENSITIVE, 0, 0);
}

/** Records a failed check (the first one is kept); false so that a round can stop at it. */
function fail(w: usize, step: u32, round: u32, status: u32, detail: u32): bool {
  if (load<u32>(w + W_ERRORS) == 0) {
    store<u32>(w + W_STEP, step); store<u32>(w + W_ROUND, round); store<u32>(w + W_STATUS, status); store<u32>(w + W_DETAIL, detail);
  }
  store<u32>(w + W_ERRORS, load<u32>(w + W_ERRORS) + 1);
  return false;
}
/** Status and Information as expected, else a failure of `step`. */
function check(w: usize, step: u32, round: u32, status: u32, information: u32): bool {
  if (status != 0) return fail(w, step, round, status, 0);
  if (changetype<IO_STATUS_BLOCK>(w + W_IOSB).Information != information) return fail(w, step, round, status, 0x10000000 | changetype<IO_STATUS_BLOCK>(w + W_IOSB).Information);
  return true;
}
/** The file's size for a round, and its bytes (different per worker, round and position). */
function roundSize(worker: u32, round: u32): u32 { return 700 + (round * 2731 + worker * 977) % 9000; }
function roundByte(worker: u32, round: u32, j: u32): u8 { return <u8>(j * 13 + round * 7 + worker * 51 + (j >> 9)); }

/** Reads the whole file at `handle` and compares it with the round's bytes. */
function readBack(w: usize, step: u32, round: u32, handle: u32, size: u32): bool {
  memory.fill(w + W_READ, 0xEE, size + 64);
  store<u64>(w + W_OFFSET, 0);
  if (!check(w, step, round, NtReadFile(handle, 0, 0, 0, w + W_IOSB, w + W_READ, size + 64, w + W_OFFSET, 0), size)) return false;
  if (memory.compare(w + W_READ, w + W_DATA, size) != 0) {
    let j: u32 = 0;
    while (load<u8>(w + W_READ + j) == load<u8>(w + W_DATA + j)) j++;
    return fail(w, step + 1, round, 0, j);
  }
  return true;
}

function round(w: usize, worker: u32, k: u32): bool {
  const size = roundSize(worker, k);
  for (let j: u32 = 0; j < size; j++) store<u8>(w + W_DATA + j, roundByte(worker, k, j));
  const h = w + W_HANDLE;
  // 1: a new file; 2, 3: written in two parts (the first ends inside a sector).
  if (!check(w, 1, k, NtCreateFile(h, GENERIC_READ | GENERIC_WRITE | DELETE | SYNCHRONIZE, path(w, worker, k, false), w + W_IOSB, 0, 0,
    FILE_SHARE_READ, FILE_CREATE, NON_DIRECTORY | SYNC, 0, 0), FILE_CREATED)) return false;
  const first = size / 3;
  store<u64>(w + W_OFFSET, 0);
  if (!check(w, 2, k, NtWriteFile(load<u32>(h), 0, 0, 0, w + W_IOSB, w + W_DATA, first, w + W_OFFSET, 0), first)) return false;
  store<u64>(w + W_OFFSET, <u64>first);
  if (!check(w, 3, k, NtWriteFile(load<u32>(h), 0, 0, 0, w + W_IOSB, w + W_DATA + first, size - first, w + W_OFFSET, 0), size - first)) return false;
  // 4, 5: read back; 6: its size.
  if (!readBack(w, 4, k, load<u32>(h), size)) return false;
  if (!check(w, 6, k, NtQueryInformationFile(load<u32>(h), w + W_IOSB, w + W_INFO, SIZEOF_FILE_STANDARD_INFORMATION, FileStandardInformation), SIZEOF_FILE_STANDARD_INFORMATION)) return false;
  const eof = <u32>changetype<FILE_STANDARD_INFORMATION>(w + W_INFO).EndOfFile;
  if (eof != size) return fail(w, 6, k, 0, 0x20000000 | eof);
  // 7: renamed in its directory (a name relative to it); 8: closed.
  const n = fileName(w, 0, worker, k, true);
  const info = w + W_RENAME;
  const rename = changetype<FILE_RENAME_INFORMATION>(info);
  rename.ReplaceIfExists = 0; rename.RootDirectory = 0; rename.FileNameLength = n << 1;
  const at = offsetof<FILE_RENAME_INFORMATION>("FileName");
  memory.copy(info + at, w + W_NAME, n << 1);
  if (!check(w, 7, k, NtSetInformationFile(load<u32>(h), w + W_IOSB, info, <u32>at + (n << 1), FileRenameInformation), 0)) return false;
  const closed = NtClose(load<u32>(h));
  if (closed != 0) return fail(w, 8, k, closed, 0);
  // 9: the new name opens, 10, 11: with the same bytes; 12: the old name is gone.
  if (!check(w, 9, k, NtCreateFile(h, GENERIC_READ | DELETE | SYNCHRONIZE, path(w, worker, k, true), w + W_IOSB, 0, 0,
    SHARE_ALL, FILE_OPEN, NON_DIRECTORY | SYNC, 0, 0), FILE_OPENED)) return false;
  if (!readBack(w, 10, k, load<u32>(h), size)) return false;
  const old = NtCreateFile(w + W_HANDLE + 4, GENERIC_READ | SYNCHRONIZE, path(w, worker, k, false), w + W_IOSB, 0, 0, SHARE_ALL, FILE_OPEN, NON_DIRECTORY | SYNC, 0, 0);
  if (old != STATUS_OBJECT_NAME_NOT_FOUND) { if (old == 0) NtClose(load<u32>(h, 4)); return fail(w, 12, k, old, 0); }
  // The last round's file stays; 13: the others are deleted, 14: closed, 15: gone.
  if (k + 1 < ROUNDS) {
    changetype<FILE_DISPOSITION_INFORMATION>(w + W_INFO).DeleteFile = 1;
    if (!check(w, 13, k, NtSetInformationFile(load<u32>(h), w + W_IOSB, w + W_INFO, 1, FileDispositionInformation), 0)) return false;
  }
  const closedAgain = NtClose(load<u32>(h));
  if (closedAgain != 0) return fail(w, 14, k, closedAgain, 0);
  if (k + 1 < ROUNDS) {
    const gone = NtCreateFile(h, GENERIC_READ | SYNCHRONIZE, path(w, worker, k, true), w + W_IOSB, 0, 0, SHARE_ALL, FILE_OPEN, NON_DIRECTORY | SYNC, 0, 0);
    if (gone != STATUS_OBJECT_NAME_NOT_FOUND) { if (gone == 0) NtClose(load<u32>(h)); return fail(w, 15, k, gone, 0); }
  }
  return true;
}

function worker(index: u32): void {
  const w = <usize>load<u32>(areas + (index << 2));
  for (let k: u32 = 0; k < ROUNDS; k++) {
    if (!round(w, index, k)) continue; // counted in W_ERRORS; the next round goes on
    store<u32>(w + W_ROUNDS, load<u32>(w + W_ROUNDS) + 1);
  }
}
function workerEntry(p: u32): void { worker(p); NtTerminateThread(0xFFFFFFFE, 0); }

/** 64 KiB committed at `base` cell; its address. */
function allocate(size: u32): usize {
  store<u32>(cell, 0); store<u32>(cell, size, 4);
  const s = NtAllocateVirtualMemory(SELF, cell, 0, cell + 4, 0x3000, 0x04);
  if (s != 0) { show("allocate", s); return 0; }
  return <usize>load<u32>(cell);
}


/** An OBJECT_ATTRIBUTES for `prefix` + `number` (none: 0xFFFFFFFF) + `suffix` in w's buffers. */
function named(w: usize, prefix: string, number: u32, suffix: string): usize {
  let n = ascii(w, 0, prefix);
  if (number != 0xFFFFFFFF) n = decimal(w, n, number);
  n = ascii(w, n, suffix);
  InitializeCountedString(w + W_USTR, <u32>(w + W_NAME), n << 1, n << 1);
  return InitializeObjectAttributes(w + W_OA, w + W_USTR, OBJ_CASE_INSENSITIVE, 0, 0);
}

/**
 * One thread, before the workers: a directory whose end marker (the first
 * zero entry) is entry 14, two entries before a sector ends, then a name
 * that needs four entries. They must start at the end marker: a run put in
 * the next sector instead (in one sector, as the driver prefers) would sit
 * behind zero entries where no reader looks.
 */
function endMarker(w: usize): void {
  const h = w + W_HANDLE;
  show("marker: mkdir", NtCreateFile(h, FILE_LIST_DIRECTORY | SYNCHRONIZE, named(w, "\\??\\C:\\FatRace\\Marker", 0xFFFFFFFF, ""), w + W_IOSB, 0, 0,
    SHARE_ALL, FILE_CREATE, DIRECTORY | SYNC, 0, 0));
  NtClose(load<u32>(h));
  let failed: u32 = 0;
  for (let k: u32 = 0; k < 12; k++) { // entries 2..13 ("." and ".." are 0 and 1)
    const s = NtCreateFile(h, GENERIC_WRITE | SYNCHRONIZE, named(w, "\\??\\C:\\FatRace\\Marker\\m", k, ".txt"), w + W_IOSB, 0, 0,
      SHARE_ALL, FILE_CREATE, NON_DIRECTORY | SYNC, 0, 0);
    if (s != 0) failed++; else NtClose(load<u32>(h));
  }
  show("marker: twelve short names, failures", failed);
  show("marker: a long name", NtCreateFile(h, GENERIC_WRITE | SYNCHRONIZE, named(w, "\\??\\C:\\FatRace\\Marker\\A long name after twelve short ones.txt", 0xFFFFFFFF, ""),
    w + W_IOSB, 0, 0, SHARE_ALL, FILE_CREATE, NON_DIRECTORY | SYNC, 0, 0));
  NtClose(load<u32>(h));
  show("marker: opened again", NtCreateFile(h, GENERIC_READ | SYNCHRONIZE, named(w, "\\??\\C:\\FatRace\\Marker\\A long name after twelve short ones.txt", 0xFFFFFFFF, ""),
    w + W_IOSB, 0, 0, SHARE_ALL, FILE_OPEN, NON_DIRECTORY | SYNC, 0, 0));
  NtClose(load<u32>(h));
}

export function main(): void {
  // An indirect call the optimiser cannot rule out keeps the function table (see threads.ts).
  const indirect: (p: u32) => void = threadReturned;
  if (load<u32>(0x7FFDF0F0) == 0x12345678) indirect(load<u32>(0x7FFDF0F4));
  // The shared directory.
  const w0 = allocate(W_SIZE);
  const n = ascii(w0, 0, "\\??\\C:\\FatRace");
  InitializeCountedString(w0 + W_USTR, <u32>(w0 + W_NAME), n << 1, n << 1);
  InitializeObjectAttributes(w0 + W_OA, w0 + W_USTR, OBJ_CASE_INSENSITIVE, 0, 0);
  show("mkdir", NtCreateFile(w0 + W_HANDLE, FILE_LIST_DIRECTORY | SYNCHRONIZE, w0 + W_OA, w0 + W_IOSB, 0, 0, SHARE_ALL, FILE_CREATE, DIRECTORY | SYNC, 0, 0));
  NtClose(load<u32>(w0 + W_HANDLE));
  endMarker(w0);
  for (let i: u32 = 0; i < WORKERS; i++) store<u32>(areas + (i << 2), <u32>allocate(W_SIZE));
  for (let i: u32 = 0; i < WORKERS; i++) store<u32>(threads + (i << 2), spawn(workerEntry, i, 0));
  put("workers "); putDec(WORKERS); put(" rounds "); putDec(ROUNDS); flush();
  for (let i: u32 = 0; i < WORKERS; i++) {
    const t = load<u32>(threads + (i << 2));
    const s = NtWaitForSingleObject(t, 0, ms(timeout, 600000));
    if (s != 0) { put("worker "); putDec(i); put(" wait "); putHex(s); flush(); }
    NtClose(t);
  }
  for (let i: u32 = 0; i < WORKERS; i++) {
    const w = <usize>load<u32>(areas + (i << 2));
    put("worker "); putDec(i); put(": rounds "); putDec(load<u32>(w + W_ROUNDS)); put(" errors "); putDec(load<u32>(w + W_ERRORS)); flush();
    if (load<u32>(w + W_ERRORS) != 0) {
      put("worker "); putDec(i); put(": first failure: step "); putDec(load<u32>(w + W_STEP)); put(" round "); putDec(load<u32>(w + W_ROUND));
      put(" status "); putHex(load<u32>(w + W_STATUS)); put(" detail "); putHex(load<u32>(w + W_DETAIL)); flush();
    }
  }
  show("done", 0);
}
