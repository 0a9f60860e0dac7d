// The services fuzzer (npm run fuzz -- services; README "Fuzzing the kernel").
// A seeded ring-3 program that calls every service in the service list
// (build/fuzz/svctable.ts, generated from scripts/services.ts by
// scripts/fuzz/svctable.ts, which also says which services are left out or
// restricted and why) through int 0x2e with random and boundary arguments:
// handles of every object type (a pool opened first), closed, pseudo, kernel
// and garbage handles; pointers that are NULL, kernel addresses, around
// MM_USER_PROBE_ADDRESS, the last bytes of a committed page before a reserved
// one, a page a second thread decommits and commits, a view it unmaps and
// maps, a read-only page, memory a third thread keeps flipping; lengths 0, 1,
// odd, huge. A fourth thread serves an LPC port (\fuzz\port) the fuzzer
// connects to and sends mutated messages; a watchdog (main) ends a caller
// stuck in a service for 2 s and starts another.
//
// The host (scripts/fuzz/services.ts) patches the seed and the call budget
// into PARAMS in the kernel image; RING (one page, magic "FRNG") keeps the
// last 63 calls (number, argument block, the 12 words, the status), which the
// host reads from guest memory after a STOP. Every 4096 calls the fuzzer
// closes every handle it does not keep, releases memory outside its own
// regions and opens its pool again.
//
// Lines: "svcfuzz: seed S calls N", "pool ...", "progress N calls ...",
// "stuck in service 0x.. after N calls", then "count <number> <calls> <ok> <av>"
// per service (several per line) and "done N calls S stalls".
import { InitializeObjectAttributes, OBJ_CASE_INSENSITIVE } from "../../../kernel/sdk/ntdef";
import { STATUS_ACCESS_DENIED } from "../../../kernel/sdk/ntstatus";
import { put, putHex, putDec, flush, say, show, syscall, threadReturned, NtAllocateVirtualMemory, NtFreeVirtualMemory, NtProtectVirtualMemory,
  NtQueryVirtualMemory, NtCreateThread, NtTerminateThread, NtClose, NtCreateEvent, NtCreateMutant, NtCreateSemaphore, NtCreateTimer,
  NtCreateDirectoryObject, NtCreateSymbolicLinkObject, NtOpenDirectoryObject, NtOpenProcess, NtOpenThread, NtCreateSection,
  NtMapViewOfSection, NtUnmapViewOfSection, NtCreateProcessEx, NtQueryInformationThread, NtDelayExecution, NtWaitForSingleObject,
  NtYieldExecution, NtQueryInformationProcess, NtWriteVirtualMemory } from "./nt";
import { NtCreatePort, NtCreateWaitablePort, NtConnectPort, NtReplyWaitReceivePortEx, NtAcceptConnectPort, NtCompleteConnectPort, NtReplyPort } from "./lpcnt";
import { TABLE } from "../../../build/fuzz/svctable";

@external("kernel", "func_address") declare function fuzzFuncAddress(slot: u32): usize;
@external("ntdll", "NtCreateFile") declare function NtCreateFile(h: usize, access: u32, oa: usize, iosb: usize, alloc: usize, attrs: u32, share: u32, disposition: u32, options: u32, ea: usize, eaLength: u32): u32;
@external("ntdll", "NtWriteFile") declare function NtWriteFile(h: u32, event: u32, apc: usize, ctx: usize, iosb: usize, buffer: usize, length: u32, offset: usize, key: usize): u32;
@external("ntdll", "NtCreateKey") declare function NtCreateKey(h: usize, access: u32, oa: usize, index: u32, cls: usize, options: u32, disposition: usize): u32;
@external("ntdll", "NtOpenProcessToken") declare function NtOpenProcessToken(process: u32, access: u32, h: usize): u32;

// ---- parameters (patched by the host: magic "FZFZ" "SVCF", then seed, calls, progress interval, flags) ----
const PARAMS = memory.data<u32>([0x5A465A46, 0x46435653, 0x11111111, 0x22222222, 0x33333333, 0x44444444]);
// ---- the ring of the last calls: one page, found by its magic in guest memory after a STOP ----
const RING = memory.data(4096, 4096);
const RING_ENTRIES: u32 = 63;
// ---- per-service counts: calls, NT_SUCCESS, STATUS_ACCESS_VIOLATION ----
const MAX_SERVICES: u32 = 256;
const COUNTS = memory.data(<i32>MAX_SERVICES * 12, 4);
const SVC_NUMBER = memory.data(<i32>MAX_SERVICES * 4, 4);
const SVC_KINDS = memory.data(<i32>MAX_SERVICES * 16, 4);
const SVC_NARGS = memory.data(<i32>MAX_SERVICES, 4);
const SVC_CUMULATIVE = memory.data(<i32>MAX_SERVICES * 4, 4);
let services: u32 = 0;
let totalWeight: u32 = 0;

const SELF: u32 = 0xFFFFFFFF;
const SELF_THREAD: u32 = 0xFFFFFFFE;
const MEM_COMMIT: u32 = 0x1000, MEM_RESERVE: u32 = 0x2000, MEM_DECOMMIT: u32 = 0x4000, MEM_RELEASE: u32 = 0x8000;
const PAGE: u32 = 4096;
const STATUS_ACCESS_VIOLATION: u32 = 0xC0000005;

// ---- random numbers (xorshift32): the caller's, and the flipper's own ----
let rs: u32 = 1;
/** This argument is generated sane (a valid handle of its type, a good buffer, a plausible length): most of a "mostly valid" call. */
let sane = false;
function rnd(): u32 { let x = rs; x ^= x << 13; x ^= x >>> 17; x ^= x << 5; rs = x; return x; }
function below(n: u32): u32 { return n == 0 ? 0 : rnd() % n; }

// ---- regions (addresses fixed at the start) ----
let G: u32 = 0;   // good buffers: 64 KiB committed in a 1 MiB reservation
let F: u32 = 0;   // flipped by the flipper: 16 KiB committed in a 1 MiB reservation
let E: u32 = 0;   // edges: 16 pages reserved; 0-3 and 6 committed, 4 toggled, 5 read-only/no-access, 7-15 reserved
let V: u32 = 0;   // a 64 KiB view of a section, unmapped and mapped again by the pager
let stackRegion: u32 = 0; // the stack NtCreateThread's G context gives new threads
const E_PAGES: u32 = 16;
const V_SIZE: u32 = 0x10000;

// ---- state shared by the threads ----
let callsDone: u32 = 0;
let finished = false;
let stopHelpers = false;
let callerHandle: u32 = 0;
let stalls: u32 = 0;
let serverPort: u32 = 0;
let waitPort: u32 = 0;
let pagerSection: u32 = 0;
let fuzzDir: u32 = 0;
let victimThread: u32 = 0;
let selfPid: u32 = 0, selfTid: u32 = 0, victimTid: u32 = 0, victimPid: u32 = 0;
let maxHandle: u32 = 0x100;
let setupCalls: u32 = 0;
let serverAccepted: u32 = 0, serverReplied: u32 = 0;
let pagerRounds: u32 = 0, flips: u32 = 0;

// ---- the handle pool: per type up to 4 handles ----
// types: 0 P process, 1 T thread, 2 F file, 3 K key, 4 S section, 5 L port, 6 D directory, 7 Y symlink,
//        8 V event, 9 M mutant, 10 X semaphore, 11 R timer, 12 O token, 13 Q victim process, 14 U victim thread
const TYPES: u32 = 15;
const POOL = memory.data(<i32>TYPES * 4 * 4, 4);
const POOL_N = memory.data(<i32>TYPES * 4, 4);
const CLOSED = memory.data(16 * 4, 4);
let closedN: u32 = 0;
function poolAdd(type: u32, h: u32): void {
  const n = load<u32>(POOL_N + type * 4);
  if (n >= 4) return;
  store<u32>(POOL + (type * 4 + n) * 4, h); store<u32>(POOL_N + type * 4, n + 1);
  if (h > maxHandle && h < 0x10000) maxHandle = h;
}
function poolPick(type: u32): u32 {
  const n = load<u32>(POOL_N + type * 4);
  return n == 0 ? 0 : load<u32>(POOL + (type * 4 + below(n)) * 4);
}
function typeOf(kind: u32): i32 {
  switch (kind) {
    case 0x50: return 0;  case 0x54: return 1;  case 0x46: return 2;  case 0x4B: return 3;  case 0x53: return 4;
    case 0x4C: return 5;  case 0x44: return 6;  case 0x59: return 7;  case 0x56: return 8;  case 0x4D: return 9;
    case 0x58: return 10; case 0x52: return 11; case 0x4F: return 12; case 0x51: return 13; case 0x55: return 14;
  }
  return -1;
}

/** A handle for kind `kind` ('h' any, or a type letter; Q and U never name the fuzzer's own process or threads). */
/** True when `h` is safe for Q (not this process) or U (not one of this process's threads but the victim). */
const checkInfo = memory.data(32, 4);
function harmless(kind: u32, h: u32): bool {
  // A handle value may have been closed and reused for this process or one of its threads: asked, not assumed.
  // A handle the query is refused on (granted PROCESS_TERMINATE or THREAD_TERMINATE but no query right)
  // may still name this process or its main thread: not harmless. Other failures (another type, closed) are.
  if (kind == 0x51) {
    const s = NtQueryInformationProcess(h, 0, checkInfo, 24, 0);
    return s != 0 ? s != STATUS_ACCESS_DENIED : load<u32>(checkInfo, 16) != selfPid;
  }
  const s = NtQueryInformationThread(h, 0, checkInfo, 28, 0);
  if (s != 0) return s != STATUS_ACCESS_DENIED;
  return load<u32>(checkInfo, 8) != selfPid || load<u32>(checkInfo, 12) == victimTid;
}
function handle(kind: u32): u32 {
  if (kind == 0x51 || kind == 0x55) {
    for (let i = 0; i < 8; i++) { const h = handleOf(kind); if (harmless(kind, h)) return h; }
    return 0x12345678;
  }
  return handleOf(kind);
}
function handleOf(kind: u32): u32 {
  const safe = kind == 0x51 || kind == 0x55; // Q, U
  const type = typeOf(kind);
  const r = sane ? 0 : below(100);
  if (type >= 0 && r < 70) { const h = poolPick(<u32>type); if (h != 0) return h; }
  if (sane && type < 0) { const h = poolPick(safe ? 2 + below(TYPES - 2) : below(TYPES)); if (h != 0) return h; }
  if (r < 84) {
    // a handle of another type (never the fuzzer's own process or threads for Q/U)
    let t = below(TYPES);
    if (safe && (t == 0 || t == 1)) t = 2 + below(TYPES - 2);
    const h = poolPick(t);
    if (h != 0) return h;
  }
  if (r < 88 && !safe && closedN > 0) return load<u32>(CLOSED + below(closedN) * 4);
  if (r < 92) {
    if (safe) return 0xFFFFFFFA + below(4);  // -6..-3: not the current process or thread
    return 0xFFFFFFFA + below(6);            // -6..-1
  }
  if (r < 96) return 0x80000000 | (below(64) << 2); // kernel handles
  switch (below(5)) {
    case 0: return 0;
    case 1: return 0x12345678;
    case 2: return 0x7FFFFFFC;
    case 3: return 0x00010000 + (below(0x10000) << 2);
  }
  return 3;
}

// ---- pointers ----
const MM_USER_PROBE_ADDRESS: u32 = 0x7FFF0000;
const SMALL_BACK = memory.data<u32>([1, 2, 3, 4, 7, 8, 12, 16, 20, 24, 28, 32, 64, 0x100, 0x1000]);
function back(): u32 { return load<u32>(SMALL_BACK + below(15) * 4); }
/** A pointer the kernel must refuse or survive: NULL, kernel, around the probe address, unmapped. */
function badPointer(): u32 {
  switch (below(9)) {
    case 0: return 0;
    case 1: return 0x80000000 + (below(0x100000) << 2);
    case 2: return 0xFFFFF000 + (below(0x400) << 2);
    case 3: return MM_USER_PROBE_ADDRESS - back();
    case 4: return MM_USER_PROBE_ADDRESS + below(0x10000);
    case 5: return E + 7 * PAGE + below(9 * PAGE);   // reserved, never committed
    case 6: return 1 + below(0xFFFF);                // the first 64 KiB: never mapped
    case 7: return 0xC0000000 + below(0x400000);     // page tables
  }
  return 0x7FFFFFFF;
}
/** A buffer pointer: any of the interesting places, good ones filled with random words or zeros. */
function pointer(): u32 {
  const r = sane ? 100 : below(100);
  if (r < 16) return badPointer();
  if (r < 26) return E + 7 * PAGE - back();               // the committed page's last bytes, then a reserved page
  if (r < 32) return E + 4 * PAGE + below(PAGE) - (below(2) ? back() : 0); // the toggled page
  if (r < 38) return V + below(V_SIZE);                   // the view the pager unmaps
  if (r < 41) return E + 5 * PAGE + below(PAGE);          // read-only or no-access
  if (r < 43) return 0x7FFE0000 + below(PAGE);            // SharedUserData (read-only)
  if (r < 55) return F + (below(0x4000) & ~(below(4) == 0 ? 0 : 3)); // flipped under the kernel
  const p = G + (sane ? below(0xE0) << 8 : below(0xF000) & ~(below(8) == 0 ? 0 : 7));
  fill(p, 64);
  return p;
}
function fill(p: u32, bytes: u32): void {
  const mode = below(3);
  for (let i: u32 = 0; i < bytes; i += 4) store<u32>(p + i, mode == 0 ? 0 : mode == 1 ? rnd() : value());
}
/** A user address by value: only the fuzzer's own edge and view regions, or bad ones. */
function vaddr(): u32 {
  switch (below(8)) {
    case 0: case 1: case 2: return E + below(E_PAGES) * PAGE + (below(4) == 0 ? below(PAGE) : 0);
    case 3: return V + below(16) * PAGE;
    case 4: return 0;
    case 5: return badPointer();
    case 6: return 0x7FFE0000;
  }
  return MM_USER_PROBE_ADDRESS - PAGE * below(3);
}

// ---- values ----
const SIZES = memory.data<u32>([4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 56, 64, 0x44, 0x130]);
const LENGTHS = memory.data<u32>([0, 1, 2, 3, 4, 7, 8, 16, 24, 28, 0x100, 0x148, 0xFFF, 0x1000, 0x1001, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFE]);
function length(): u32 {
  if (sane) { const r = below(5); return r == 0 ? below(2) : r == 1 ? 4 << below(9) : r == 2 ? below(16) : r == 3 ? load<u32>(SIZES + below(16) * 4) : below(0x200); }
  const r = below(10);
  if (r < 6) return load<u32>(LENGTHS + below(20) * 4);
  if (r < 8) return below(64);
  if (r < 9) return below(0x2000);
  return rnd();
}
function value(): u32 {
  switch (below(6)) {
    case 0: return length();
    case 1: return pointer();
    case 2: return handle(0x68);
    case 3: return vaddr();
  }
  return rnd();
}
const ACCESS = memory.data<u32>([0, 0x1F0001, 0x10000000, 0x80000000, 0x40000000, 0x02000000, 0x1F03FF, 0x120089, 0x12019F, 0xF003F, 0x1F0FFF, 0x100000, 0x20000]);
const FLAGS = memory.data<u32>([0, 1, 2, 3, 4, 0x40, 0x80, 0xFFFFFFFF, 0x10, 0x100]);
const PROTECT = memory.data<u32>([1, 2, 4, 8, 0x10, 0x20, 0x40, 0x80, 0x104, 0x204, 0, 0x44, 0x3]);
const ALLOC = memory.data<u32>([0x1000, 0x2000, 0x3000, 0x4000, 0x8000, 0x103000, 0x80000, 0, 0x400000, 0x7000, 0x9000, 0xC000]);
const SECATTR = memory.data<u32>([0x8000000, 0x1000000, 0x4000000, 0, 0x18000000, 0x800000]);
const FILEOPT = memory.data<u32>([0, 0x20, 0x40, 1, 0x1000, 0x60, 0x21, 0x10, 0x4000, 0x200000, 0x60 | 0x1000]);
const STATUSES = memory.data<u32>([0, 0xC0000005, 0x80000003, 0x40000000, 0xC0000022, 0x103, 0xC000021A, 0xC0000420]);
function fromTable(t: usize, n: u32): u32 { return !sane && below(5) == 0 ? rnd() : load<u32>(t + below(n) * 4); }
function infoClass(): u32 { return sane ? below(48) : below(5) == 0 ? rnd() : below(64); }

// ---- structures built per call ----
const NAMES: StaticArray<string> = [
  "\\fuzz\\a", "\\fuzz\\b", "\\fuzz\\c", "\\fuzz", "\\", "\\fuzz\\port", "\\fuzz\\wport", "\\fuzz\\link", "\\Device\\Null",
  "\\??\\C:\\fuzz\\f1", "\\??\\C:\\fuzz\\f2", "\\??\\C:\\fuzz\\d", "\\??\\C:\\fuzz", "\\??\\C:\\fuzz\\f1:s", "\\??\\C:\\fuzz\\x\\..\\f1",
  "\\??\\C:\\fuzz\\img.exe", "\\??\\C:\\fuzz\\f2\\f3",
  "\\Registry\\Machine\\SYSTEM\\Fuzz", "\\Registry\\Machine\\SYSTEM\\Fuzz\\k", "\\Registry\\Machine\\SYSTEM\\Fuzz\\k\\l",
  "\\ObjectTypes", "\\ObjectTypes\\Event", "a", "k", "f1", "", "\\\\", "\\fuzz\\a\\..", "\\fuzz\\link\\x", "\\Device",
  "\\??\\C:\\fuzz\\aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "\\fuzz\\e?*", "\\??\\C:\\fuzz\\:", "\\??\\UNKNOWN\\x", "\\Registry\\Machine\\SYSTEM\\Fuzz\\k\\..",
];
/** Where a built structure goes: mostly good memory, sometimes the flipped region. */
function structAt(bytes: u32): u32 {
  if (below(7) == 0) return F + (below(64) << 3);
  return G + 0xF000 + (below(0xE0) << 3);
}
/** A UNICODE_STRING (valid, odd, too long, or pointing somewhere bad). */
function unicodeString(): u32 {
  if (!sane && below(12) == 0) return badPointer();
  const s = NAMES[below(<u32>NAMES.length)];
  const at = structAt(8);
  const text = G + 0xE000 + (below(8) << 9);
  const n = <u32>s.length < 0xFF ? <u32>s.length : 0xFF;
  for (let i: u32 = 0; i < n && i < 0xFF; i++) store<u16>(text + (i << 1), <u16>s.charCodeAt(i));
  let len = n << 1, max = len;
  switch (sane ? 11 : below(12)) {
    case 0: len |= 1; break;
    case 1: max = len - (len > 0 ? 2 : 0); break;
    case 2: len = 0xFFFE; max = 0xFFFE; break;
    case 3: max = len + 2 + below(32); break;
  }
  store<u16>(at, <u16>len); store<u16>(at, <u16>max, 2);
  let buffer = text;
  if (sane) {}
  else if (below(12) == 0) buffer = badPointer();
  else if (below(16) == 0) buffer = E + 7 * PAGE - (len > 4 ? len - 2 : 2); // runs into the reserved page
  store<u32>(at, buffer, 4);
  return at;
}
const ATTRS = memory.data<u32>([0x40, 0x40, 0xC0, 0, 0x80, 0x2, 0x200, 0x10, 0x100, 0x20]);
/** An OBJECT_ATTRIBUTES. */
function objectAttributes(): u32 {
  if (!sane && below(12) == 0) return badPointer();
  if (!sane && below(40) == 0) return 0;
  const at = structAt(24);
  const lengths = sane ? 1 : below(10);
  store<u32>(at, lengths == 0 ? oaLength() : 24);
  store<u32>(at, below(4) == 0 ? handle(0x68) : 0, 4);
  store<u32>(at, sane ? (below(4) == 0 ? 0 : unicodeString()) : below(10) == 0 ? (below(2) ? 0 : badPointer()) : unicodeString(), 8);
  store<u32>(at, sane ? (below(2) ? 0x40 : 0xC0) : fromTable(ATTRS, 10), 12);
  store<u32>(at, !sane && below(12) == 0 ? pointer() : 0, 16);
  store<u32>(at, !sane && below(12) == 0 ? pointer() : 0, 20);
  return at;
}
/** A PORT_MESSAGE with random lengths and type. */
function portMessage(): u32 {
  if (!sane && below(10) == 0) return badPointer();
  const at = !sane && below(8) == 0 ? F + (below(32) << 3) : G + 0xC000 + (below(0x20) << 4);
  fill(at, 0x160);
  const data = sane ? below(0x100 - 24) & ~3 : below(3) == 0 ? below(0x200) : load<u32>(MSGLEN + below(10) * 4);
  store<u16>(at, <u16>data);
  store<u16>(at, <u16>(!sane && below(6) == 0 ? rnd() : data + 24), 2);
  store<u16>(at, <u16>(sane ? 0 : below(3) == 0 ? below(12) : below(2) == 0 ? 0 : rnd()), 4);
  store<u16>(at, <u16>(!sane && below(4) == 0 ? rnd() : 0), 6);
  if (sane) { store<u32>(at, 0, 8); store<u32>(at, 0, 12); store<u32>(at, 0, 16); store<u32>(at, 0, 20); }
  return at;
}
const MSGLEN = memory.data<u32>([0, 4, 8, 16, 0x100 - 24, 0x148 - 24, 0x148, 0xFFFF, 2, 3]);
const DISPLEN = memory.data<u32>([0, 2, 8, 9, 0x40, 0x1FF, 0x200, 0x400]);
const OALEN = memory.data<u32>([0, 23, 25, 0xFFFFFFFF, 48]);
function oaLength(): u32 { return load<u32>(OALEN + below(5) * 4); }
const dupCell = memory.data(8, 4);
const tcell = memory.data(8, 8);
const tbad = memory.data<u32>([0x80000000, 0x7FFEFFFC, 0xFFFFFFF8]);
/** A timeout that ends a wait within a few ms, or a pointer the kernel must refuse (never NULL: that waits forever). */
function timeout(): u32 {
  if (!sane && below(5) == 0) return below(2) ? load<u32>(tbad + below(3) * 4) : E + 7 * PAGE - 4;
  store<i64>(tcell, below(4) == 0 ? 0 : -<i64>below(50000));
  return <u32>tcell;
}
const acell = memory.data(8, 4);
const zcell = memory.data(8, 4);
const outHandle = memory.data(8, 4);
const safeContext = memory.data(716, 4);
const safeTeb = memory.data(20, 4);
const displayText = memory.data(512, 4);
const displayString = memory.data(8, 4);
const clientId = memory.data(8, 4);

/** The value of one argument of kind `kind` (a letter of svctable.ts). */
function arg(kind: u32): u32 {
  switch (kind) {
    case 0x68: case 0x50: case 0x51: case 0x54: case 0x55: case 0x46: case 0x4B: case 0x53: case 0x4C: case 0x44: case 0x59:
    case 0x4D: case 0x58: case 0x52: case 0x4F: return handle(kind);
    case 0x56: return below(5) == 0 ? 0 : handle(kind);                  // V: an event, or none
    case 0x62: return pointer();                                          // b
    case 0x48: store<u32>(outHandle, 0); return below(8) == 0 ? pointer() : <u32>outHandle; // H
    case 0x45: return below(8) == 0 ? pointer() : <u32>dupCell;          // E: maybe another process's table: never closed
    case 0x6F: return objectAttributes();                                 // o
    case 0x75: return unicodeString();                                    // u
    case 0x79: {                                                          // y
      if (below(6) == 0) return badPointer();
      const len = load<u32>(DISPLEN + below(8) * 4);
      store<u16>(displayString, <u16>len); store<u16>(displayString, <u16>(len > 0x200 ? len : 0x200), 2);
      store<u32>(displayString, below(8) == 0 ? E + 7 * PAGE - 8 : <u32>displayText, 4);
      return <u32>displayString;
    }
    case 0x74: return timeout();                                          // t
    case 0x41: store<u32>(acell, below(4) == 0 ? 0 : vaddr()); return !sane && below(10) == 0 ? badPointer() : <u32>acell; // A
    case 0x5A: store<u32>(zcell, sane ? PAGE << below(4) : length() & (below(2) ? 0xFFFFF : 0xFFFFFFFF)); return !sane && below(10) == 0 ? badPointer() : <u32>zcell; // Z
    case 0x43: {                                                          // C
      if (!sane && below(8) == 0) return badPointer();
      const r = below(7);
      store<u32>(clientId, r == 0 ? selfPid : r == 1 ? victimPid : r == 2 ? 0 : r == 3 ? 4 : r == 4 ? rnd() : r == 5 ? 8 : 0xFFFFFFFF);
      const q = below(5);
      store<u32>(clientId, q == 0 ? selfTid : q == 1 ? victimTid : q == 2 ? 0 : q == 3 ? rnd() : 0xFFFFFFFF, 4);
      return <u32>clientId;
    }
    case 0x6D: return portMessage();                                      // m
    case 0x57: {                                                          // W
      if (!sane && below(8) == 0) return badPointer();
      const at = G + 0xD000;
      for (let i: u32 = 0; i < 70; i++) store<u32>(at + i * 4, handle(0x68));
      return at;
    }
    case 0x47: return !sane && below(10) == 0 ? badPointer() : <u32>safeContext;  // G
    case 0x67: return !sane && below(10) == 0 ? badPointer() : <u32>safeTeb;      // g
    case 0x42: {                                                          // B: never readable (a CONTEXT read from
      const r = below(4);                                                 // memory the fuzzer committed would send a thread anywhere)
      return r == 0 ? 0 : r == 1 ? 0x80000000 + (below(0x100000) << 2) : r == 2 ? MM_USER_PROBE_ADDRESS - 4 + below(8) : 0xFFFFF000;
    }
    case 0x4E: {                                                          // N
      if (below(2) == 0) return badPointer();
      store<u16>(displayString, 32); store<u16>(displayString, 32, 2);
      const text = G + 0xEF00;
      const s = "\\??\\C:\\fuzz\\pf";
      for (let i = 0; i < s.length; i++) store<u16>(text + (i << 1), <u16>s.charCodeAt(i));
      store<u16>(displayString, <u16>(s.length << 1)); store<u16>(displayString, <u16>(s.length << 1), 2);
      store<u32>(displayString, text, 4);
      return <u32>displayString;
    }
    case 0x6E: return length();                                           // n
    case 0x63: return infoClass();                                        // c
    case 0x4A: { let c: u32; do { c = infoClass(); } while (c == 5 || c == 7 || c == 8 || c == 18 || c == 29); return c; } // J
    case 0x6A: { let c: u32; do { c = infoClass(); } while (c == 2 || c == 3 || c == 18); return c; }                        // j
    case 0x61: return fromTable(ACCESS, 13);                              // a
    case 0x66: return below(4) == 0 ? 1 << below(32) : fromTable(FLAGS, 10); // f
    case 0x6B: return !sane && below(8) == 0 ? rnd() : below(2);          // k
    case 0x73: return fromTable(STATUSES, 8);                             // s
    case 0x76: return vaddr();                                            // v
    case 0x30: return 0;                                                  // 0
    case 0x49: { const o = below(8) == 7 ? rnd() : below(6); return o == 6 ? 0 : o; } // I: never OptionShutdownSystem (6)
    case 0x70: return fromTable(PROTECT, 13);                             // p
    case 0x72: return fromTable(ALLOC, 12);                               // r
    case 0x6C: return fromTable(SECATTR, 6);                              // l
    case 0x64: return below(5) == 0 ? rnd() : below(7);                   // d
    case 0x78: return fromTable(FILEOPT, 11);                             // x
  }
  return rnd();
}

// ---- one fuzzed call ----
const argv = memory.data(64, 4);
function pickService(): u32 {
  const w = below(totalWeight);
  let lo: u32 = 0, hi: u32 = services - 1;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (load<u32>(SVC_CUMULATIVE + mid * 4) > w) hi = mid; else lo = mid + 1; }
  return lo;
}
function fuzzOne(): void {
  const i = pickService();
  const number = load<u32>(SVC_NUMBER + i * 4);
  const n = <u32>load<u8>(SVC_NARGS + i);
  // Half the calls are mostly valid: every argument sane but one (or none), which is anything.
  const mostlyValid = below(2) == 0;
  const odd = below(n + 1);
  for (let k: u32 = 0; k < n; k++) {
    sane = mostlyValid && k != odd;
    store<u32>(argv + k * 4, arg(<u32>load<u8>(SVC_KINDS + i * 16 + k)));
  }
  sane = false;
  // The argument block itself: rarely somewhere bad or at a page's end.
  let block = <u32>argv;
  const r = mostlyValid ? 2 : below(64);
  if (r == 0) block = badPointer();
  else if (r == 1 && n > 0) {
    // the block runs off the end of the committed page: written with NtWriteVirtualMemory, which answers a status if the
    // fuzzer's own calls decommitted the page (a store here would end the fuzzer)
    block = E + 7 * PAGE - (n * 4 - 4 * below(n));
    NtWriteVirtualMemory(SELF, block, argv, E + 7 * PAGE - block, 0);
  }
  // Into the ring first: a STOP inside the call leaves it there.
  const slot = load<u32>(RING, 16);
  const entry = RING + 64 + slot * 64;
  store<u32>(entry, callsDone + 1); store<u32>(entry, number, 4); store<u32>(entry, block, 8); store<u32>(entry, 0xFFFFFFFF, 12);
  for (let k: u32 = 0; k < 12; k++) store<u32>(entry + 16 + k * 4, k < n ? load<u32>(argv + k * 4) : 0);
  store<u32>(RING, slot + 1 >= RING_ENTRIES ? 0 : slot + 1, 16);
  const status = syscall(number, block);
  store<u32>(entry, status, 12);
  const c = COUNTS + i * 12;
  store<u32>(c, load<u32>(c) + 1);
  if (<i32>status >= 0) store<u32>(c, load<u32>(c, 4) + 1, 4);
  else if (status == STATUS_ACCESS_VIOLATION) store<u32>(c, load<u32>(c, 8) + 1, 8);
  // A handle written to our cell: closed (handles in another process's table are not ours to close).
  const h = load<u32>(outHandle);
  if (h != 0 && <i32>status >= 0) {
    if (h > maxHandle && h < 0x10000) maxHandle = h;
    NtClose(h);
  }
  store<u32>(outHandle, 0);
  callsDone++;
  store<u32>(RING, callsDone, 12);
}

// ---- threads ----
const spawnCell = memory.data(24, 4);
const spawnContext = memory.data(716, 4);
const spawnTeb = memory.data(20, 4);
const KEEP = memory.data(64 * 4, 4);   // allocation bases the sweeps keep
const CALLER_STACKS: u32 = 8;
const STACKS = memory.data(<i32>(4 + CALLER_STACKS) * 4, 4); // victim, server, flipper, pager, then the callers'
let keepN: u32 = 0;
function keep(base: u32): void { if (keepN < 64) { store<u32>(KEEP + keepN * 4, base); keepN++; } }
function kept(base: u32): bool { for (let i: u32 = 0; i < keepN; i++) if (load<u32>(KEEP + i * 4) == base) return true; return false; }
/**
 * Starts routine(param) on stack `bottom` (64 KiB, allocated before any helper
 * runs: a stack allocated later could land where the pager has just unmapped
 * the view, an address the fuzzer then frees and protects).
 */
function spawn(routine: (p: u32) => void, param: u32, bottom: u32): u32 {
  const top = bottom + 0x10000;
  store<u32>(top - 8, <u32>fuzzFuncAddress(load<u32>(changetype<usize>(threadReturned))));
  store<u32>(top - 4, param);
  memory.fill(spawnContext, 0, 716);
  store<u32>(spawnContext, <u32>fuzzFuncAddress(load<u32>(changetype<usize>(routine))), 0xB8);
  store<u32>(spawnContext, top - 8, 0xC4);
  store<u32>(spawnTeb, top, 8); store<u32>(spawnTeb, bottom + 0x2000, 12);
  const s = NtCreateThread(spawnCell + 8, 0x1F03FF, 0, SELF, spawnCell + 12, spawnContext, spawnTeb, 0);
  if (s != 0) { show("create thread failed", s); return 0; }
  return load<u32>(spawnCell, 8);
}

const budget = memory.data(4, 4);
/** The caller: fuzzed calls until the budget is spent, a sweep every 4096. */
function caller(p: u32): void {
  const calls = load<u32>(PARAMS, 12);
  const progress = load<u32>(PARAMS, 16);
  while (callsDone < calls) {
    if ((callsDone & 4095) == 0 && callsDone != 0 && load<u32>(budget) != callsDone) { store<u32>(budget, callsDone); sweep(); }
    fuzzOne();
    if (progress != 0 && callsDone % progress == 0) { put("progress "); putDec(callsDone); put(" calls "); putDec(stalls); put(" stalls"); flush(); }
  }
  finished = true;
}

/** The victim thread: sleeps in a loop; the fuzzer may suspend, resume, query or end it. */
const victimDelay = memory.data(8, 8);
function victim(p: u32): void {
  store<i64>(victimDelay, -100000);
  while (true) NtDelayExecution(0, victimDelay);
}

/** The flipper: random words into F, the first 512 bytes (where structures go) most often. */
let fs: u32 = 0x9E3779B9;
function frnd(): u32 { let x = fs; x ^= x << 13; x ^= x >>> 17; x ^= x << 5; fs = x; return x; }
function flipper(p: u32): void {
  while (!stopHelpers) {
    for (let i: u32 = 0; i < 256; i++) {
      const at = F + ((frnd() & 1) != 0 ? (frnd() & 0x1FC) : (frnd() & 0x3FFC));
      const r = frnd() & 7;
      store<u32>(at, r == 0 ? 0x80000000 | (frnd() & 0xFFFFFC) : r == 1 ? E + 7 * PAGE - 4 : r == 2 ? 0 : r == 3 ? 0xFFFF : frnd());
    }
    flips++;
    NtYieldExecution();
  }
}

/** The pager: the toggled page goes and comes back, page 5 between read-only and no access, the view unmapped and mapped again. */
const pcell = memory.data(32, 4);
const pagerDelay = memory.data(8, 8);
function region(at: u32, bytes: u32, type: u32, protect: u32): u32 {
  store<u32>(pcell, at); store<u32>(pcell, bytes, 4);
  if (type == MEM_DECOMMIT || type == MEM_RELEASE) return NtFreeVirtualMemory(SELF, pcell, pcell + 4, type);
  return NtAllocateVirtualMemory(SELF, pcell, 0, pcell + 4, type, protect);
}
function protect(at: u32, bytes: u32, protection: u32): u32 {
  store<u32>(pcell, at); store<u32>(pcell, bytes, 4);
  return NtProtectVirtualMemory(SELF, pcell, pcell + 4, protection, pcell + 8);
}
function mapView(): u32 {
  store<u32>(pcell, V); store<u32>(pcell, V_SIZE, 4); store<u64>(pcell + 16, 0);
  return NtMapViewOfSection(pagerSection, SELF, pcell, 0, 0, pcell + 16, pcell + 4, 1, 0, 4);
}
function pager(p: u32): void {
  store<i64>(pagerDelay, -10000);
  while (!stopHelpers) {
    if (region(E, E_PAGES * PAGE, MEM_RESERVE, 4) == 0) {   // the fuzzer released it: the layout again
      region(E, 7 * PAGE, MEM_COMMIT, 4);
      protect(E + 5 * PAGE, PAGE, 2);
    }
    region(E, 4 * PAGE, MEM_COMMIT, 4);
    region(E + 6 * PAGE, PAGE, MEM_COMMIT, 4);
    region(E + 7 * PAGE, 9 * PAGE, MEM_DECOMMIT, 0);
    region(E + 4 * PAGE, PAGE, MEM_DECOMMIT, 0);
    NtYieldExecution();
    region(E + 4 * PAGE, PAGE, MEM_COMMIT, 4);
    region(E + 5 * PAGE, PAGE, MEM_COMMIT, 2);
    protect(E + 5 * PAGE, PAGE, (pagerRounds & 1) != 0 ? 1 : 2);
    NtUnmapViewOfSection(SELF, V);
    NtYieldExecution();
    mapView();
    pagerRounds++;
    if ((pagerRounds & 7) == 0) NtDelayExecution(0, pagerDelay);
  }
}

/** The LPC server on \fuzz\port: accepts every connection, answers every request. */
const srvReceive = memory.data(0x200, 8);
const srvReply = memory.data(0x200, 8);
const srvCell = memory.data(16, 4);
const srvTimeout = memory.data(8, 8);
const srvComm = memory.data(8 * 4, 4);
let srvCommN: u32 = 0;
const srvName = memory.data(8, 4);
const srvOa = memory.data(24, 4);
function nameOa(name: string): u32 {
  store<u16>(srvName, <u16>(name.length << 1)); store<u16>(srvName, <u16>(name.length << 1), 2);
  store<u32>(srvName, <u32>changetype<usize>(name), 4);
  InitializeObjectAttributes(srvOa, srvName, OBJ_CASE_INSENSITIVE, 0, 0);
  return <u32>srvOa;
}
/** The caller's and main's own OBJECT_ATTRIBUTES (the server thread has its own). */
const poolUstr = memory.data(8, 4);
const poolOaCell = memory.data(24, 4);
function poolName(name: string): u32 {
  store<u16>(poolUstr, <u16>(name.length << 1)); store<u16>(poolUstr, <u16>(name.length << 1), 2);
  store<u32>(poolUstr, <u32>changetype<usize>(name), 4);
  store<u32>(poolOaCell, 24); store<u32>(poolOaCell, 0, 4); store<u32>(poolOaCell, name.length == 0 ? 0 : <u32>poolUstr, 8); store<u32>(poolOaCell, 0x40, 12);
  store<u32>(poolOaCell, 0, 16); store<u32>(poolOaCell, 0, 20);
  return <u32>poolOaCell;
}
/** The server serves both its ports in turn: \fuzz\port and the waitable \fuzz\wport (a request to either gets a reply). */
function server(p: u32): void {
  store<i64>(srvTimeout, -200000);
  let turn: u32 = 0;
  while (!stopHelpers) {
    if (serverPort == 0) {
      const s = NtCreatePort(srvCell, nameOa("\\fuzz\\port"), 0x100, 0x148, 0);
      if (s != 0) { NtDelayExecution(0, srvTimeout); continue; }
      serverPort = load<u32>(srvCell);
    }
    if (waitPort == 0 && NtCreateWaitablePort(srvCell, nameOa("\\fuzz\\wport"), 0x40, 0x148, 0) == 0) waitPort = load<u32>(srvCell);
    turn++;
    const port = (turn & 1) != 0 || waitPort == 0 ? serverPort : waitPort;
    store<u32>(srvCell, 0, 4);
    const s = NtReplyWaitReceivePortEx(port, srvCell + 4, 0, srvReceive, srvTimeout);
    if (s == 0x102) continue;
    if (s == 0xC0000008 || s == 0xC0000024) { if (port == serverPort) serverPort = 0; else waitPort = 0; continue; } // the fuzzer closed it
    if (s != 0) { NtYieldExecution(); continue; }
    const type = <u32>load<u16>(srvReceive, 4) & 0xFF;
    if (type == 10) {
      if (NtAcceptConnectPort(srvCell + 8, 0, srvReceive, 1, 0, 0) == 0) {
        const comm = load<u32>(srvCell, 8);
        NtCompleteConnectPort(comm);
        if (srvCommN >= 8) { NtClose(load<u32>(srvComm)); memory.copy(srvComm, srvComm + 4, 28); srvCommN = 7; }
        store<u32>(srvComm + srvCommN * 4, comm); srvCommN++;
        serverAccepted++;
      }
    } else if (type == 1) {
      memory.copy(srvReply, srvReceive, 24);
      store<u16>(srvReply, 8); store<u16>(srvReply, 32, 2); store<u16>(srvReply, 0, 4); store<u16>(srvReply, 0, 6);
      store<u32>(srvReply, 0x52455054, 24); store<u32>(srvReply, serverReplied, 28);
      if (NtReplyPort(port, srvReply) == 0) serverReplied++;
    }
  }
}

// ---- the pool and the sweep ----
const swcell = memory.data(32, 8); // the caller's cells (pcell is the pager's)
const sc = memory.data(64, 4);      // cells for the set-up calls
const iosb = memory.data(8, 4);
const tbi = memory.data(28, 4);
const mbi = memory.data(28, 4);
const fileData = memory.data(4096, 4);
function ok(s: u32): bool { setupCalls++; return s == 0; }
function created(type: u32, s: u32): void { setupCalls++; if (s == 0) poolAdd(type, load<u32>(sc)); }
function openPool(): void {
  memory.fill(POOL_N, 0, TYPES * 4);
  poolAdd(0, SELF);
  store<u32>(clientId, selfPid); store<u32>(clientId, 0, 4);
  created(0, NtOpenProcess(sc, 0x1F0FFF, poolName(""), clientId));
  store<u32>(sc, 0);
  if (ok(NtCreateProcessEx(sc, 0x1F0FFF, 0, SELF, 0, 0, 0, 0, 0))) {
    const v = load<u32>(sc);
    poolAdd(0, v); poolAdd(13, v);
    if (NtQueryInformationProcess(v, 0, tbi, 24, 0) == 0) victimPid = load<u32>(tbi, 16);
  }
  poolAdd(1, SELF_THREAD);
  if (victimThread != 0) { poolAdd(1, victimThread); poolAdd(14, victimThread); }
  store<u32>(clientId, selfPid); store<u32>(clientId, victimTid, 4);
  if (ok(NtOpenThread(sc, 0x1F03FF, poolName(""), clientId))) { poolAdd(1, load<u32>(sc)); poolAdd(14, load<u32>(sc)); }
  // files: the data file, the directory, \Device\Null
  created(2, NtCreateFile(sc, 0x12019F | 0x10000, poolName("\\??\\C:\\fuzz\\f1"), iosb, 0, 0x80, 7, 3 /* FILE_OPEN_IF */, 0x60, 0, 0));
  created(2, NtCreateFile(sc, 0x100001, poolName("\\??\\C:\\fuzz"), iosb, 0, 0, 7, 3, 0x21, 0, 0));
  created(2, NtCreateFile(sc, 0x12019F, poolName("\\Device\\Null"), iosb, 0, 0, 7, 1, 0x60, 0, 0));
  created(3, NtCreateKey(sc, 0xF003F, poolName("\\Registry\\Machine\\SYSTEM\\Fuzz"), 0, 0, 0, 0));
  created(3, NtCreateKey(sc, 0xF003F, poolName("\\Registry\\Machine\\SYSTEM\\Fuzz\\k"), 0, 0, 0, 0));
  store<u64>(swcell + 24, 0x10000);
  created(4, NtCreateSection(sc, 0xF001F, 0, swcell + 24, 4, 0x8000000, 0));
  // an image section of the fuzz directory's image (mutated by the fuzzer's own writes, maybe)
  if (ok(NtCreateFile(sc, 0x1200A9, poolName("\\??\\C:\\fuzz\\img.exe"), iosb, 0, 0, 7, 1, 0x60, 0, 0))) {
    const file = load<u32>(sc);
    created(4, NtCreateSection(sc, 0xF001F, 0, 0, 2, 0x1000000, file));
    NtClose(file);
  }
  if (serverPort != 0) poolAdd(5, serverPort);
  if (fuzzDir != 0) poolAdd(6, fuzzDir);
  store<u32>(sc, 0);
  poolName("\\fuzz\\port");
  store<u32>(sc + 48, 12); store<u32>(sc + 52, 2); store<u32>(sc + 56, 0);  // SECURITY_QUALITY_OF_SERVICE
  created(5, NtConnectPort(sc, poolUstr, sc + 48, 0, 0, 0, 0, 0));
  if (waitPort != 0) poolAdd(5, waitPort);
  created(6, NtOpenDirectoryObject(sc, 0xF000F, poolName("\\")));
  store<u16>(sc + 32, 24); store<u16>(sc + 34, 24); store<u32>(sc + 36, <u32>changetype<usize>("\\Device\\Null"));
  created(7, NtCreateSymbolicLinkObject(sc, 0xF0001, poolName("\\fuzz\\link"), sc + 32));
  created(8, NtCreateEvent(sc, 0x1F0003, poolName("\\fuzz\\a"), 0, 0));
  created(8, NtCreateEvent(sc, 0x1F0003, 0, 1, 1));
  created(9, NtCreateMutant(sc, 0x1F0001, poolName("\\fuzz\\b"), 0));
  created(10, NtCreateSemaphore(sc, 0x1F0003, poolName("\\fuzz\\c"), 1, 10));
  created(11, NtCreateTimer(sc, 0x1F0003, 0, 0));
  created(12, NtOpenProcessToken(SELF, 0xF01FF, sc));
  // a closed handle
  if (ok(NtCreateEvent(sc, 0x1F0003, 0, 0, 0))) {
    const h = load<u32>(sc);
    NtClose(h);
    if (closedN < 16) { store<u32>(CLOSED + closedN * 4, h); closedN++; }
  }
}
/** Closes every handle but the kept ones, releases memory outside the fuzzer's regions, opens the pool again. */
function sweep(): void {
  const top = maxHandle + 0x100 < 0x4000 ? maxHandle + 0x100 : 0x4000;
  for (let h: u32 = 4; h <= top; h += 4) {
    if (h == callerHandle || h == serverPort || h == waitPort || h == pagerSection || h == victimThread || h == fuzzDir) continue;
    let mine = false;
    for (let i: u32 = 0; i < srvCommN; i++) if (load<u32>(srvComm + i * 4) == h) mine = true;
    if (!mine) NtClose(h);
  }
  maxHandle = 0x100;
  // memory
  // (below the TEBs and the PEB, which the kernel puts from 0x7FFDF000 down: never the fuzzer's)
  let at: u32 = 0x10000;
  while (at < 0x7FF00000) {
    if (NtQueryVirtualMemory(SELF, at, 0, mbi, 28, 0) != 0) break;
    const base = load<u32>(mbi, 4), size = load<u32>(mbi, 12), state = load<u32>(mbi, 16), type = load<u32>(mbi, 24);
    if (size == 0) break;
    // the view's place taken by an allocation while the pager had it unmapped: freed, the pager maps it again
    if (state != 0x10000 && base == V && type == 0x20000) { store<u32>(swcell, base); store<u32>(swcell, 0, 4); NtFreeVirtualMemory(SELF, swcell, swcell + 4, MEM_RELEASE); }
    else if (state != 0x10000 && !kept(base)) {
      if (type == 0x20000) { store<u32>(swcell, base); store<u32>(swcell, 0, 4); NtFreeVirtualMemory(SELF, swcell, swcell + 4, MEM_RELEASE); }
      else NtUnmapViewOfSection(SELF, base);
    }
    at = load<u32>(mbi) + size;
  }
  openPool();
}

function allocate(bytes: u32, commit: u32): u32 {
  store<u32>(sc, 0); store<u32>(sc, bytes, 4);
  if (NtAllocateVirtualMemory(SELF, sc, 0, sc + 4, MEM_RESERVE, 4) != 0) return 0;
  const base = load<u32>(sc);
  if (commit != 0) { store<u32>(sc, base); store<u32>(sc, commit, 4); NtAllocateVirtualMemory(SELF, sc, 0, sc + 4, MEM_COMMIT, 4); }
  keep(base);
  return base;
}

function parseTable(): void {
  const t = TABLE;
  let i = 0;
  while (i < t.length && services < MAX_SERVICES) {
    let number: u32 = 0;
    while (t.charCodeAt(i) != 58) { const c = <u32>t.charCodeAt(i); number = number * 16 + (c >= 97 ? c - 87 : c - 48); i++; }
    i++;
    let n: u32 = 0;
    while (t.charCodeAt(i) != 58) { store<u8>(SVC_KINDS + services * 16 + n, <u8>t.charCodeAt(i)); n++; i++; }
    i++;
    let weight: u32 = 0;
    while (i < t.length && t.charCodeAt(i) != 59) { weight = weight * 10 + <u32>t.charCodeAt(i) - 48; i++; }
    i++;
    store<u32>(SVC_NUMBER + services * 4, number);
    store<u8>(SVC_NARGS + services, <u8>n);
    totalWeight += weight;
    store<u32>(SVC_CUMULATIVE + services * 4, totalWeight);
    services++;
  }
}

const watchDelay = memory.data(8, 8);
export function main(): void {
  const indirect: (p: u32) => void = threadReturned;
  if (load<u32>(0x7FFDF0F0) == 0x12345678) indirect(load<u32>(0x7FFDF0F4));
  const seed = load<u32>(PARAMS, 8), calls = load<u32>(PARAMS, 12);
  rs = seed * 2654435761 + 0x6D2B79F5; if (rs == 0) rs = 1;
  fs = seed ^ 0x5BD1E995; if (fs == 0) fs = 7;
  store<u32>(RING, 0x474E5246); store<u32>(RING, 0x5A5A5646, 4); store<u32>(RING, seed, 8);
  parseTable();
  put("seed "); putDec(seed); put(" calls "); putDec(calls); put(" services "); putDec(services); flush();
  NtQueryInformationThread(SELF_THREAD, 0, tbi, 28, 0);
  selfPid = load<u32>(tbi, 8); selfTid = load<u32>(tbi, 12);
  // the regions: the image, data, stack and shared pages that exist now are kept
  let at: u32 = 0x10000;
  while (at < 0x7FFE0000) {
    if (NtQueryVirtualMemory(SELF, at, 0, mbi, 28, 0) != 0) break;
    const size = load<u32>(mbi, 12);
    if (size == 0) break;
    if (load<u32>(mbi, 16) != 0x10000) keep(load<u32>(mbi, 4));
    at = load<u32>(mbi) + size;
  }
  G = allocate(0x100000, 0x10000);
  F = allocate(0x100000, 0x4000);
  E = allocate(E_PAGES * PAGE, 7 * PAGE);
  protect(E + 5 * PAGE, PAGE, 2);
  stackRegion = allocate(0x10000, 0x10000);
  store<u64>(sc + 16, V_SIZE);
  NtCreateSection(sc, 0xF001F, 0, sc + 16, 4, 0x8000000, 0);
  pagerSection = load<u32>(sc);
  store<u32>(pcell, 0); store<u32>(pcell, V_SIZE, 4); store<u64>(pcell + 16, 0);
  NtMapViewOfSection(pagerSection, SELF, pcell, 0, 0, pcell + 16, pcell + 4, 1, 0, 4);
  V = load<u32>(pcell);
  keep(V);
  // NtCreateThread's safe context: the new thread returns at once (threadReturned ends it).
  const top = stackRegion + 0x10000;
  store<u32>(top - 8, <u32>fuzzFuncAddress(load<u32>(changetype<usize>(threadReturned))));
  store<u32>(safeContext, 0x10007);
  store<u32>(safeContext, <u32>fuzzFuncAddress(load<u32>(changetype<usize>(threadReturned))), 0xB8);
  store<u32>(safeContext, top - 8, 0xC4);
  store<u32>(safeTeb, top, 8); store<u32>(safeTeb, stackRegion + 0x2000, 12);
  for (let i: u32 = 0; i < 512; i += 2) store<u16>(displayText + i, 0x7A);
  // the on-disk objects: C:\fuzz\f1 with some data
  NtCreateFile(sc, 0x100001, poolName("\\??\\C:\\fuzz"), iosb, 0, 0, 7, 3, 0x21, 0, 0); NtClose(load<u32>(sc));
  if (NtCreateFile(sc, 0x12019F, poolName("\\??\\C:\\fuzz\\f1"), iosb, 0, 0x80, 7, 3, 0x60, 0, 0) == 0) {
    for (let i: u32 = 0; i < 4096; i += 4) store<u32>(fileData + i, rnd());
    NtWriteFile(load<u32>(sc), 0, 0, 0, iosb, fileData, 4096, 0, 0);
    NtClose(load<u32>(sc));
  }
  // \fuzz (kept open for the whole run: the server's port lives in it)
  if (NtCreateDirectoryObject(sc, 0xF000F, poolName("\\fuzz")) == 0) fuzzDir = load<u32>(sc);
  // every thread's stack, before any helper runs
  for (let i: u32 = 0; i < 4 + CALLER_STACKS; i++) store<u32>(STACKS + i * 4, allocate(0x10000, 0x10000));
  // helpers
  victimThread = spawn(victim, 0, load<u32>(STACKS));
  store<u32>(tbi, 0);
  NtQueryInformationThread(victimThread, 0, tbi, 28, 0);
  victimTid = load<u32>(tbi, 12);
  spawn(server, 0, load<u32>(STACKS, 4));
  spawn(flipper, 0, load<u32>(STACKS, 8));
  spawn(pager, 0, load<u32>(STACKS, 12));
  // wait for the server's port
  store<i64>(watchDelay, -100000);
  for (let i = 0; i < 50 && serverPort == 0; i++) NtDelayExecution(0, watchDelay);
  openPool();
  put("pool"); for (let t: u32 = 0; t < TYPES; t++) { put(" "); putDec(load<u32>(POOL_N + t * 4)); } put(" set-up calls "); putDec(setupCalls); flush();
  // the watchdog: a caller stuck for 2 s is ended and another started
  let callerStack: u32 = 0;
  callerHandle = spawn(caller, 0, load<u32>(STACKS + 16));
  store<i64>(watchDelay, -2500000);
  let last: u32 = 0xFFFFFFFF, still: u32 = 0;
  while (!finished) {
    NtDelayExecution(0, watchDelay);
    if (callsDone == last) still++; else { still = 0; last = callsDone; }
    if (still >= 8 && !finished) {
      const slot = load<u32>(RING, 16);
      const entry = RING + 64 + (slot == 0 ? RING_ENTRIES - 1 : slot - 1) * 64;
      put("stuck in service "); putHex(load<u32>(entry, 4)); put(" after "); putDec(callsDone); put(" calls"); flush();
      stalls++;
      NtTerminateThread(callerHandle, 0);
      // its stack is used again only once it has ended (else the next one: a caller may stay stuck)
      const ended = NtWaitForSingleObject(callerHandle, 0, watchDelay) == 0;
      NtClose(callerHandle);
      callsDone++; // the stuck call counts, and the caller does not repeat it
      if (!ended) callerStack = (callerStack + 1) % CALLER_STACKS;
      callerHandle = spawn(caller, 0, load<u32>(STACKS + 16 + callerStack * 4));
      still = 0;
    }
  }
  stopHelpers = true;
  NtDelayExecution(0, watchDelay);
  // the counts
  for (let i: u32 = 0; i < services; i++) {
    if (i % 4 == 0) put("count");
    const c = COUNTS + i * 12;
    put(" "); putDec(load<u32>(SVC_NUMBER + i * 4)); put(" "); putDec(load<u32>(c)); put(" "); putDec(load<u32>(c, 4)); put(" "); putDec(load<u32>(c, 8));
    if (i % 4 == 3 || i == services - 1) flush();
  }
  put("done "); putDec(callsDone); put(" calls "); putDec(stalls); put(" stalls "); putDec(serverAccepted); put(" accepted ");
  putDec(serverReplied); put(" replied "); putDec(pagerRounds); put(" pager rounds "); putDec(flips); put(" flips"); flush();
}
