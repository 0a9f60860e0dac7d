// Reentrancy of the memory manager's, I/O manager's and registry's services
// (issue 17): four threads of one process, at one priority, call the same
// services in a loop, each with inputs of its own, and check that every
// answer is its own: first the memory manager's alone for 8 s (a loop that
// never blocks, so the clock preempts it anywhere), then all for 2 s. The kernel is preemptible inside a service; a service
// that kept per-call state in module-level memory answered one thread with
// another's (NtQuerySection's answer and status, NtQueryVirtualMemory's
// handle status). Each worker counts its calls and its wrong answers per
// service and notes when another worker ran between two of its calls (the
// clock preempted it: the interleavings the test needs).
//
// Per worker w: a page-file section of (w + 1) * 12 KiB (NtQuerySection basic
// information: its size; image information: STATUS_SECTION_NOT_IMAGE), a
// real handle to its own process (NtQueryVirtualMemory of its own page:
// success and that page) beside an invalid handle (STATUS_INVALID_HANDLE), a
// volatile key \Registry\Machine\ReentW with Index = 1000 + w (NtOpenKey and
// NtQueryValueKey), and a file C:\reentW.tmp of (w + 1) * 100 bytes
// (NtCreateFile and NtQueryInformationFile FileStandardInformation).
import { InitializeCountedString, InitializeObjectAttributes, OBJ_CASE_INSENSITIVE, SIZEOF_MEMORY_BASIC_INFORMATION } from "../../../kernel/sdk/ntdef";
import { FILE_STANDARD_INFORMATION, SIZEOF_FILE_STANDARD_INFORMATION, FileStandardInformation } from "../../../kernel/sdk/fileinfo";
import { spawnThread as spawn, threadReturned } from "./nt";
import { put, putHex, putDec, flush, say, show, NtAllocateVirtualMemory, NtCreateThread, NtTerminateThread, NtClose,
  NtCreateSection, NtDelayExecution, NtOpenProcess, NtQueryInformationProcess, NtQueryVirtualMemory, NtWaitForSingleObject, ms } from "./nt";
import { ProcessBasicInformation, PROCESS_BASIC_INFORMATION, SIZEOF_PROCESS_BASIC_INFORMATION } from "../../../kernel/sdk/procinfo";
import { KeyValuePartialInformation, KEY_VALUE_PARTIAL_INFORMATION } from "../../../kernel/sdk/keyinfo";
import { STATUS_SECTION_NOT_IMAGE, STATUS_INVALID_HANDLE } from "../../../kernel/sdk/ntstatus";
@external("ntdll", "NtQuerySection") declare function NtQuerySection(h: u32, cls: u32, info: usize, length: u32, result: usize): u32;
@external("ntdll", "NtCreateKey") declare function NtCreateKey(h: usize, access: u32, oa: usize, titleIndex: u32, cls: usize, options: u32, disposition: usize): u32;
@external("ntdll", "NtOpenKey") declare function NtOpenKey(h: usize, access: u32, oa: usize): u32;
@external("ntdll", "NtQueryValueKey") declare function NtQueryValueKey(h: u32, name: usize, cls: u32, info: usize, length: u32, result: usize): u32;
@external("ntdll", "NtSetValueKey") declare function NtSetValueKey(h: u32, name: usize, titleIndex: u32, type: u32, data: usize, size: u32): u32;
@external("ntdll", "NtDeleteKey") declare function NtDeleteKey(h: u32): u32;
@external("ntdll", "NtCreateFile") declare function NtCreateFile(h: usize, access: u32, oa: usize, iosb: usize, alloc: usize, attrs: u32, share: u32, disposition: u32, options: u32, ea: usize, eaLength: u32): u32;
@external("ntdll", "NtWriteFile") declare function NtWriteFile(h: u32, event: u32, apc: usize, ctx: usize, iosb: usize, buffer: usize, length: u32, offset: usize, key: usize): u32;
@external("ntdll", "NtQueryInformationFile") declare function NtQueryInformationFile(h: u32, iosb: usize, info: usize, length: u32, cls: u32): u32;

const SELF: u32 = 0xFFFFFFFF;
const WORKERS: u32 = 4;
const SERVICES: u32 = 6; // the counters below, in this order
function serviceName(i: u32): string {
  if (i == 0) return "NtQuerySection basic";
  if (i == 1) return "NtQuerySection image";
  if (i == 2) return "NtQueryVirtualMemory";
  if (i == 3) return "NtQueryVirtualMemory bad handle";
  if (i == 4) return "NtOpenKey+NtQueryValueKey";
  return "NtCreateFile+NtQueryInformationFile";
}
const BAD_HANDLE: u32 = 0x00FFFFF0; // never a handle of this process

// Each worker's own page: its handles, its buffers, its counters.
const AREA = memory.data(<i32>(WORKERS * 4096), 4096);
const A_SECTION: u32 = 0, A_PROCESS: u32 = 4, A_KEY: u32 = 8, A_FILE: u32 = 12;
const A_OA: u32 = 16;       // OBJECT_ATTRIBUTES (24)
const A_NAME: u32 = 40;     // UNICODE_STRING (8)
const A_SIZE: u32 = 48;     // LARGE_INTEGER
const A_IOSB: u32 = 56;     // IO_STATUS_BLOCK (8)
const A_RESULT: u32 = 64;   // a result length
const A_VALUE: u32 = 72;    // UNICODE_STRING "Index"
const A_DATA: u32 = 80;     // a DWORD to set
const A_CALLS: u32 = 96;    // u32 per service
const A_WRONG: u32 = 128;   // u32 per service
const A_FIRST: u32 = 160;   // the first wrong answer per service: status, value (8 each)
const A_SEEN: u32 = 256;    // interleavings seen
const A_SETUP: u32 = 260;   // the setup's status (0: done)
const A_INFO: u32 = 512;    // answers (512)
const A_TEXT: u32 = 1024;   // a path (UTF-16, 512)
const A_FILL: u32 = 2048;   // file contents (1024)

const threads = memory.data(<i32>(WORKERS * 4), 4);
const delay = memory.data(8, 8);
// 1: the memory manager's services only (the loop never blocks, so the clock
// preempts the workers anywhere, inside the services too); 2: all of them
// (the file system's I/O waits switch threads at every open); 3: stop.
let phase: u32 = 1;
let last: u32 = 0xFFFFFFFF; // the worker that called last


/** The worker's path: `text` with its '#' replaced by the worker's digit, as a UNICODE_STRING in its OBJECT_ATTRIBUTES. */
function path(area: usize, w: u32, text: string): usize {
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    store<u16>(area + A_TEXT + (<usize>i << 1), <u16>(c == 0x23 ? 0x30 + w : c));
  }
  InitializeCountedString(area + A_NAME, <u32>(area + A_TEXT), n << 1, n << 1);
  const oa = area + A_OA;
  return InitializeObjectAttributes(oa, area + A_NAME, OBJ_CASE_INSENSITIVE, 0, 0);
}

function count(area: usize, service: u32, ok: bool, status: u32, value: u32): void {
  store<u32>(area + A_CALLS + (service << 2), load<u32>(area + A_CALLS + (service << 2)) + 1);
  if (ok) return;
  const wrong = load<u32>(area + A_WRONG + (service << 2));
  if (wrong == 0) { store<u32>(area + A_FIRST + (service << 3), status); store<u32>(area + A_FIRST + (service << 3), value, 4); }
  store<u32>(area + A_WRONG + (service << 2), wrong + 1);
}

function setup(area: usize, w: u32): u32 {
  // The section.
  store<u64>(area + A_SIZE, <u64>(w + 1) * 0x3000);
  let s = NtCreateSection(area + A_SECTION, 0xF001F, 0, area + A_SIZE, 0x04, 0x8000000, 0); // PAGE_READWRITE, SEC_COMMIT
  if (s != 0) return s;
  // A real handle to this process.
  s = NtQueryInformationProcess(SELF, ProcessBasicInformation, area + A_INFO, SIZEOF_PROCESS_BASIC_INFORMATION, 0);
  if (s != 0) return s;
  store<u32>(area + A_INFO + 32, changetype<PROCESS_BASIC_INFORMATION>(area + A_INFO).UniqueProcessId); store<u32>(area + A_INFO + 36, 0); // CLIENT_ID
  const oa = area + A_OA;
  InitializeObjectAttributes(oa, 0, 0, 0, 0);
  s = NtOpenProcess(area + A_PROCESS, 0x0400, oa, area + A_INFO + 32); // PROCESS_QUERY_INFORMATION
  if (s != 0) return s;
  // The key and its value.
  s = NtCreateKey(area + A_KEY, 0xF003F, path(area, w, "\\Registry\\Machine\\Reent#"), 0, 0, 1, 0); // REG_OPTION_VOLATILE
  if (s != 0) return s;
  InitializeCountedString(area + A_VALUE, <u32>changetype<usize>("Index"), 10, 10);
  store<u32>(area + A_DATA, 1000 + w);
  s = NtSetValueKey(load<u32>(area + A_KEY), area + A_VALUE, 0, 4, area + A_DATA, 4); // REG_DWORD
  NtClose(load<u32>(area + A_KEY));
  if (s != 0) return s;
  // The file.
  s = NtCreateFile(area + A_FILE, 0x40000000 | 0x100000, path(area, w, "\\??\\C:\\reent#.tmp"), area + A_IOSB, 0, 0x80, 0, 5, 0x60, 0, 0);
  if (s != 0) return s; // GENERIC_WRITE | SYNCHRONIZE, FILE_OVERWRITE_IF, synchronous, not a directory
  memory.fill(area + A_FILL, <u8>(0x41 + w), 1000);
  s = NtWriteFile(load<u32>(area + A_FILE), 0, 0, 0, area + A_IOSB, area + A_FILL, (w + 1) * 100, 0, 0);
  NtClose(load<u32>(area + A_FILE));
  return s;
}

function worker(w: u32): void {
  const area = AREA + (<usize>w << 12);
  const info = area + A_INFO, result = area + A_RESULT;
  const s0 = setup(area, w);
  store<u32>(area + A_SETUP, s0 == 0 ? 0 : s0);
  if (s0 != 0) return;
  const section = load<u32>(area + A_SECTION), process = load<u32>(area + A_PROCESS);
  const size: u64 = <u64>(w + 1) * 0x3000, fileSize: u64 = <u64>(w + 1) * 100;
  while (phase != 3) {
    if (last != w) { if (last != 0xFFFFFFFF) store<u32>(area + A_SEEN, load<u32>(area + A_SEEN) + 1); last = w; }
    // NtQuerySection, basic: 16 bytes, its own size.
    memory.fill(info, 0xCC, 64);
    let s = NtQuerySection(section, 0, info, 48, result);
    count(area, 0, s == 0 && load<u64>(info, 8) == size && load<u32>(result) == 16, s, <u32>load<u64>(info, 8));
    // NtQuerySection, image: not an image.
    s = NtQuerySection(section, 1, info, 48, result);
    count(area, 1, s == STATUS_SECTION_NOT_IMAGE, s, 0);
    // NtQueryVirtualMemory of its own page through a real process handle.
    s = NtQueryVirtualMemory(process, area, 0, info, SIZEOF_MEMORY_BASIC_INFORMATION, result);
    count(area, 2, s == 0 && load<u32>(info) == <u32>area && load<u32>(info, 16) == 0x1000, s, load<u32>(info));
    // ... and through a handle that is none.
    s = NtQueryVirtualMemory(BAD_HANDLE, area, 0, info, SIZEOF_MEMORY_BASIC_INFORMATION, result);
    count(area, 3, s == STATUS_INVALID_HANDLE, s, 0);
    if (phase == 1) continue;
    // The key, by its name, and its value.
    s = NtOpenKey(area + A_KEY, 0x20019, path(area, w, "\\Registry\\Machine\\Reent#"));
    let value: u32 = 0;
    if (s == 0) {
      s = NtQueryValueKey(load<u32>(area + A_KEY), area + A_VALUE, KeyValuePartialInformation, info, 64, result);
      const partial = changetype<KEY_VALUE_PARTIAL_INFORMATION>(info);
      value = load<u32>(info + offsetof<KEY_VALUE_PARTIAL_INFORMATION>("Data"));
      if (s == 0 && (partial.Type != 4 || partial.DataLength != 4)) value = 0xFFFFFFFF;
      NtClose(load<u32>(area + A_KEY));
    }
    count(area, 4, s == 0 && value == 1000 + w, s, value);
    // The file, by its name, and its size.
    s = NtCreateFile(area + A_FILE, 0x80 | 0x100000, path(area, w, "\\??\\C:\\reent#.tmp"), area + A_IOSB, 0, 0, 7, 1, 0x60, 0, 0);
    let eof: u64 = 0xFFFFFFFF; // FILE_READ_ATTRIBUTES | SYNCHRONIZE, shared, FILE_OPEN
    if (s == 0) {
      s = NtQueryInformationFile(load<u32>(area + A_FILE), area + A_IOSB, info, SIZEOF_FILE_STANDARD_INFORMATION, FileStandardInformation);
      eof = changetype<FILE_STANDARD_INFORMATION>(info).EndOfFile;
      NtClose(load<u32>(area + A_FILE));
    }
    count(area, 5, s == 0 && eof == fileSize, s, <u32>eof);
  }
}

export function main(): void {
  const indirect: (p: u32) => void = threadReturned; // keeps threadReturned in the function table (func_address)
  if (load<u32>(0x7FFDF0F0) == 0x12345678) indirect(load<u32>(0x7FFDF0F4));
  for (let w: u32 = 0; w < WORKERS; w++) store<u32>(threads + (w << 2), spawn(worker, w, 0));
  NtDelayExecution(0, ms(delay, 8000));
  phase = 2;
  NtDelayExecution(0, ms(delay, 2000));
  phase = 3;
  for (let w: u32 = 0; w < WORKERS; w++) NtWaitForSingleObject(load<u32>(threads + (w << 2)), 0, 0);
  let seen: u32 = 0;
  for (let w: u32 = 0; w < WORKERS; w++) {
    const area = AREA + (<usize>w << 12);
    if (load<u32>(area + A_SETUP) != 0) { put("worker "); putDec(w); put(" setup failed "); putHex(load<u32>(area + A_SETUP)); flush(); continue; }
    seen += load<u32>(area + A_SEEN);
    for (let i: u32 = 0; i < SERVICES; i++) {
      put("worker "); putDec(w); put(" "); put(serviceName(i)); put(": calls "); putDec(load<u32>(area + A_CALLS + (i << 2)));
      const wrong = load<u32>(area + A_WRONG + (i << 2));
      put(" wrong "); putDec(wrong);
      if (wrong != 0) { put(" first "); putHex(load<u32>(area + A_FIRST + (i << 3))); put(" "); putHex(load<u32>(area + A_FIRST + (i << 3), 4)); }
      flush();
    }
  }
  put("interleavings "); putDec(seen); flush();
  say("done");
}
