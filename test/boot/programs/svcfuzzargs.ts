// The services fuzzer's arguments (svcfuzz.ts): one value per argument kind,
// the letters of build/fuzz/svctable.ts (scripts/fuzz/svctable.ts says what
// each means): handles from a pool of every object type (and closed, pseudo,
// kernel and garbage ones), pointers into the fuzzer's regions or the places
// the kernel must refuse, lengths, values, and the structures built per call
// (UNICODE_STRING, OBJECT_ATTRIBUTES, PORT_MESSAGE, timeouts, client ids).
// A "sane" argument is a valid one: a handle of its type, a good buffer, a
// plausible length. The random numbers (xorshift32) are the caller's: the
// same seed gives the same calls.
import { NtQueryInformationProcess, NtQueryInformationThread } from "./nt";
import {
  ProcessBasicInformation, ThreadBasicInformation, PROCESS_BASIC_INFORMATION, SIZEOF_PROCESS_BASIC_INFORMATION, THREAD_BASIC_INFORMATION, SIZEOF_THREAD_BASIC_INFORMATION,
} from "../../../kernel/sdk/procinfo";
import { STATUS_ACCESS_DENIED } from "../../../kernel/sdk/ntstatus";
import { InitializeCountedString } from "../../../kernel/sdk/ntdef";

export const PAGE: u32 = 4096;
export const E_PAGES: u32 = 16;
export const V_SIZE: u32 = 0x10000;

// ---- random numbers (xorshift32): the caller's (the flipper has its own, in svcfuzz.ts) ----
let rs: u32 = 1;
/** Seeds the caller's random numbers. */
export function seedRandom(seed: u32): void { rs = seed * 2654435761 + 0x6D2B79F5; if (rs == 0) rs = 1; }
/** This argument is generated sane (a valid handle of its type, a good buffer, a plausible length): most of a "mostly valid" call. */
let sane = false;
export function setSane(on: bool): void { sane = on; }
export function rnd(): u32 { let x = rs; x ^= x << 13; x ^= x >>> 17; x ^= x << 5; rs = x; return x; }
export function below(n: u32): u32 { return n == 0 ? 0 : rnd() % n; }

// ---- regions (addresses fixed at the start, by svcfuzz.ts's main) ----
export let G: u32 = 0;   // good buffers: 64 KiB committed in a 1 MiB reservation
export let F: u32 = 0;   // flipped by the flipper: 16 KiB committed in a 1 MiB reservation
export let E: u32 = 0;   // edges: 16 pages reserved; 0-3 and 6 committed, 4 toggled, 5 read-only/no-access, 7-15 reserved
export let V: u32 = 0;   // a 64 KiB view of a section, unmapped and mapped again by the pager
export function setRegions(g: u32, f: u32, e: u32, v: u32): void { G = g; F = f; E = e; V = v; }

// ---- this process's and the victim's ids (the handle checks and client ids use them) ----
export let selfPid: u32 = 0, selfTid: u32 = 0, victimTid: u32 = 0, victimPid: u32 = 0;
export function setSelf(pid: u32, tid: u32): void { selfPid = pid; selfTid = tid; }
export function setVictimTid(tid: u32): void { victimTid = tid; }
export function setVictimPid(pid: u32): void { victimPid = pid; }

// ---- the handle pool: per type up to 4 handles ----
// types: 0 P process, 1 T thread, 2 F file, 3 K key, 4 S section, 5 L port, 6 D directory, 7 Y symlink,
//        8 V event, 9 M mutant, 10 X semaphore, 11 R timer, 12 O token, 13 Q victim process, 14 U victim thread
export const TYPES: u32 = 15;
const POOL = memory.data(<i32>TYPES * 4 * 4, 4);
export const POOL_N = memory.data(<i32>TYPES * 4, 4);
const CLOSED = memory.data(16 * 4, 4);
let closedN: u32 = 0;
/** The highest handle value seen (the sweep closes up to it). */
export let maxHandle: u32 = 0x100;
export function noteHandle(h: u32): void { if (h > maxHandle && h < 0x10000) maxHandle = h; }
export function resetMaxHandle(): void { maxHandle = 0x100; }
/** The pool empties before it is opened again. */
export function poolReset(): void { memory.fill(POOL_N, 0, TYPES * 4); }
/** A handle value that was closed (a "closed handle" argument). */
export function addClosed(h: u32): void { if (closedN < 16) { store<u32>(CLOSED + closedN * 4, h); closedN++; } }
export function poolAdd(type: u32, h: u32): void {
  const n = load<u32>(POOL_N + type * 4);
  if (n >= 4) return;
  store<u32>(POOL + (type * 4 + n) * 4, h); store<u32>(POOL_N + type * 4, n + 1);
  noteHandle(h);
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
    const s = NtQueryInformationProcess(h, ProcessBasicInformation, checkInfo, SIZEOF_PROCESS_BASIC_INFORMATION, 0);
    return s != 0 ? s != STATUS_ACCESS_DENIED : changetype<PROCESS_BASIC_INFORMATION>(checkInfo).UniqueProcessId != selfPid;
  }
  const s = NtQueryInformationThread(h, ThreadBasicInformation, checkInfo, SIZEOF_THREAD_BASIC_INFORMATION, 0);
  if (s != 0) return s != STATUS_ACCESS_DENIED;
  const basic = changetype<THREAD_BASIC_INFORMATION>(checkInfo);
  return basic.ClientId_UniqueProcess != selfPid || basic.ClientId_UniqueThread == victimTid;
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
export function badPointer(): u32 {
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
const SIZES = memory.data<u32>([4, 8, 12, 16, 20, 24, 28, 32, 2, 40, 44, 48, 56, 64, 0x44, 0x130]);
const LENGTHS = memory.data<u32>([0, 1, 2, 3, 4, 7, 8, 16, 24, 28, 0x100, 0x148, 0xFFF, 0x1000, 0x1001, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFE]);
function length(): u32 {
  if (sane) { const r = below(5); return r == 0 ? below(2) : r == 1 ? 4 << below(9) : r == 2 ? below(16) : r == 3 ? load<u32>(SIZES + below(16) * 4) : below(2) ? 0x200 : below(0x200); }
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
// Sane: mostly the low classes, where most of every class family's (file, key, value, object, process) are.
function infoClass(): u32 { return sane ? (below(2) ? below(16) : below(48)) : below(5) == 0 ? rnd() : below(64); }

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
const largeCells = memory.data(32, 8);
let largeNext: u32 = 0;
/** A LARGE_INTEGER in one of four cells (a service may take two). */
function large(v: u64): u32 { const at = <u32>largeCells + (largeNext++ & 3) * 8; store<u64>(at, v); return at; }
const LARGE_ODD = memory.data<u64>([0xFFFFFFFFFFFFFFFF, 0x8000000000000000, 0x7FFFFFFFFFFFFFFF, 0x100000000, 0xFFFFFFFF, 1, 0xFFF, 0x1001]);
const zcell = memory.data(8, 4);
export const outHandle = memory.data(8, 4);
export const safeContext = memory.data(716, 4);
// NtCreateThread's safe start: each new thread gets one of 56 1 KiB slots of the safe stack (above its TEB's StackLimit, 8 KiB up), picked at random.
// Threads that shared one slot, running at the same time, overwrote each other's frames and returned into the
// stack (seed 4004 of the 1,000,000-call run ended so, with 0xC0000096 at an address on that stack).
let safeStackTop: u32 = 0, safeReturn: u32 = 0;
export function setSafeStack(top: u32, ret: u32): void { safeStackTop = top; safeReturn = ret; }
function safeStart(): u32 {
  const esp = safeStackTop - (below(56) << 10) - 8;
  store<u32>(esp, safeReturn); // (threadReturned never returns: it ends the thread)
  store<u32>(safeContext, esp, 0xC4);
  return <u32>safeContext;
}
export const safeTeb = memory.data(20, 4);
export const displayText = memory.data(512, 4);
const displayString = memory.data(8, 4);
export const clientId = memory.data(8, 4);

/** The value of one argument of kind `kind` (a letter of svctable.ts). */
export function arg(kind: u32): u32 {
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
      InitializeCountedString(displayString, below(8) == 0 ? E + 7 * PAGE - 8 : <u32>displayText, len, (len > 0x200 ? len : 0x200));
      return <u32>displayString;
    }
    case 0x74: return timeout();                                          // t
    case 0x7A: {                                                          // z: a size (NtCreateSection, NtCreatePagingFile)
      if (!sane && below(10) == 0) return badPointer();
      return large(sane ? (below(4) == 0 ? 0 : <u64>PAGE << below(5)) : below(2) ? <u64>length() : load<u64>(LARGE_ODD + below(8) * 8));
    }
    case 0x71: {                                                          // q: an offset, or NULL
      if (sane) return below(3) == 0 ? 0 : large(<u64>(below(8) * PAGE));
      const r = below(10);
      return r == 0 ? badPointer() : r == 1 ? 0 : large(r < 5 ? <u64>below(0x20000) : load<u64>(LARGE_ODD + below(8) * 8));
    }
    case 0x69: return sane ? 1 + below(2) : below(2) ? below(4) : rnd(); // i: ViewShare (1) or ViewUnmap (2)
    case 0x65: return sane && below(2) ? 0 : handle(0x46);               // e: a file, or none (a section backed by the paging file)
    case 0x77: return sane && below(4) != 0 ? 0 : pointer();             // w: an optional buffer, mostly NULL when sane
    case 0x32: return below(2) ? 0 : unicodeString();                    // 2: an optional UNICODE_STRING
    case 0x41: store<u32>(acell, below(4) == 0 || (sane && below(2) == 0) ? 0 : vaddr()); return !sane && below(10) == 0 ? badPointer() : <u32>acell; // A
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
    case 0x47: return !sane && below(10) == 0 ? badPointer() : safeStart();        // G
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
      InitializeCountedString(displayString, text, s.length << 1, s.length << 1);
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
