// Reentrancy of the object manager's services (issue 17): four threads of
// equal priority call the same services in a loop, each with inputs of its
// own, and check that every answer is theirs. A service that keeps per-call
// state in module-level memory (an out-parameter slot, a captured string)
// hands one thread's object, name or length to another when the clock
// switches threads inside it.
//
// Each worker i has \RaceDir\Link<i> (a link to a target text of its own
// length) and \RaceDir\Dir<i> (holding one event, Ev<i>). Per iteration:
// NtQuerySymbolicLinkObject (text and length), NtDuplicateObject then
// NtQueryObject of the copy (its full name, its access) and NtClose,
// NtOpenDirectoryObject by name then NtQueryDirectoryObject (the one entry's
// name), NtQueryObject (type name), NtQueryPerformanceCounter (never goes
// back). The workers count the times another worker ran between two of their
// own iterations (switches), to show the services did interleave.
import { InitializeObjectAttributes, OBJ_CASE_INSENSITIVE } from "../../../kernel/sdk/ntdef";
import { spawnThread, threadReturned } from "./nt";
import { show, say, put, putDec, putHex, flush, unicode, attributes, NtAllocateVirtualMemory, NtCreateThread, NtTerminateThread,
  NtCreateDirectoryObject, NtCreateSymbolicLinkObject, NtCreateEvent, NtQuerySymbolicLinkObject, NtDuplicateObject,
  NtQueryObject, NtClose, NtOpenDirectoryObject, NtQueryDirectoryObject, NtQueryPerformanceCounter,
  NtWaitForMultipleObjects } from "./nt";

const SELF: u32 = 0xFFFFFFFF;
const WORKERS: u32 = 4;
const ITERATIONS: u32 = 3000;
const DIRECTORY_QUERY: u32 = 1, DIRECTORY_TRAVERSE: u32 = 2;
const SYMBOLIC_LINK_QUERY: u32 = 1;

const cell = memory.data(64, 4);
const threads = memory.data(16, 4);

// Per worker: 2 KiB of its own (the helpers in nt.ts share static buffers, so workers never use them).
const AREA: u32 = 2048;
const areas = memory.data(<i32>(WORKERS * AREA), 8);
const LINK = 0, DIR = 4, DUP = 8, OPENED = 12, RETLEN = 16, CTX = 20, COUNTER = 24; // u32 cells (COUNTER: u64)
const OA = 40;           // OBJECT_ATTRIBUTES (24)
const NAME = 64;         // UNICODE_STRING (8)
const TARGET = 72;       // UNICODE_STRING (8) for the link query
const WANT_TARGET = 80;  // expected target text (up to 64 bytes)
const WANT_LINK = 160;   // expected full name of the link (up to 64 bytes)
const WANT_DIR = 240;    // \RaceDir\Dir<i> text
const WANT_EVENT = 320;  // Ev<i> text
const BUFFER = 512;      // query output (1 KiB)

const progress = memory.data(16, 4);   // iterations done, per worker
const bad = memory.data(16, 4);        // wrong answers, per worker
const firstBad = memory.data(16, 4);   // which check failed first (step * 0x1000 + iteration % 0x1000), per worker
const firstStatus = memory.data(16, 4);
const switches = memory.data(16, 4);

@inline function area(i: u32): usize { return areas + i * AREA; }

/** Writes `s` then, if `digit` < 10, the digit; returns the byte length. */
function text(at: usize, s: string, digit: u32): u32 {
  let n: u32 = 0;
  for (let k = 0; k < s.length; k++) { store<u16>(at + (n << 1), <u16>s.charCodeAt(k)); n++; }
  if (digit < 10) { store<u16>(at + (n << 1), <u16>(0x30 + digit)); n++; }
  return n << 1;
}
function same(a: usize, b: usize, bytes: u32): bool {
  for (let k: u32 = 0; k < bytes; k += 2) if (load<u16>(a + k) != load<u16>(b + k)) return false;
  return true;
}
function oa(at: usize, name: usize, root: u32): usize {
  return InitializeObjectAttributes(at, name, OBJ_CASE_INSENSITIVE, root, 0);
}
/** The expected link target of worker i: \RaceTarget\ then 3*(i+1) letters 'A'+i (lengths differ per worker). */
function targetText(i: u32, at: usize): u32 {
  let n = text(at, "\\RaceTarget\\", 10);
  for (let k: u32 = 0; k < 3 * (i + 1); k++) { store<u16>(at + n, <u16>(0x41 + i)); n += 2; }
  return n;
}

function fail(i: u32, step: u32, iteration: u32, status: u32): void {
  const at = bad + (i << 2);
  if (load<u32>(at) == 0) { store<u32>(firstBad + (i << 2), step * 0x1000 + (iteration & 0xFFF)); store<u32>(firstStatus + (i << 2), status); }
  store<u32>(at, load<u32>(at) + 1);
}

function others(i: u32): u32 {
  let sum: u32 = 0;
  for (let k: u32 = 0; k < WORKERS; k++) if (k != i) sum += load<u32>(progress + (k << 2));
  return sum;
}

function worker(i: u32): void {
  const a = area(i);
  const link = load<u32>(a, LINK), dir = load<u32>(a, DIR);
  const targetBytes = load<u16>(a, TARGET + 2); // main stored the expected length there
  const linkBytes = load<u32>(a, 32), dirBytes = load<u32>(a, 36);
  const eventBytes: u32 = 6;
  let seen = others(i);
  store<u64>(a, 0, COUNTER);
  for (let n: u32 = 0; n < ITERATIONS; n++) {
    // 1. the link's target: this worker's text and length
    store<u16>(a, 0, TARGET); store<u16>(a, 128, TARGET + 2); store<u32>(a, <u32>(a + BUFFER), TARGET + 4);
    store<u32>(a, 0, RETLEN);
    let s = NtQuerySymbolicLinkObject(link, a + TARGET, a + RETLEN);
    if (s != 0) fail(i, 1, n, s);
    else if (<u32>load<u16>(a, TARGET) != <u32>targetBytes || load<u32>(a, RETLEN) != <u32>targetBytes + 2
             || !same(a + BUFFER, a + WANT_TARGET, targetBytes)) fail(i, 2, n, load<u16>(a, TARGET));
    // 2. a duplicate of the link: its full name and its access
    store<u32>(a, 0, DUP);
    s = NtDuplicateObject(SELF, link, SELF, a + DUP, 0, 0, 2); // DUPLICATE_SAME_ACCESS
    if (s != 0 || load<u32>(a, DUP) == 0) fail(i, 3, n, s);
    else {
      const dup = load<u32>(a, DUP);
      s = NtQueryObject(dup, 1, a + BUFFER, 1024, a + RETLEN); // ObjectNameInformation
      if (s != 0) fail(i, 4, n, s);
      else if (<u32>load<u16>(a, BUFFER) != linkBytes || !same(load<u32>(a, BUFFER + 4), a + WANT_LINK, linkBytes)) fail(i, 5, n, load<u16>(a, BUFFER));
      s = NtQueryObject(dup, 0, a + BUFFER, 56, 0); // ObjectBasicInformation
      if (s != 0) fail(i, 6, n, s);
      else if (load<u32>(a, BUFFER + 4) != SYMBOLIC_LINK_QUERY) fail(i, 7, n, load<u32>(a, BUFFER + 4));
      s = NtClose(dup);
      if (s != 0) fail(i, 8, n, s);
    }
    // 3. the worker's directory, opened by name: its one entry is this worker's event
    store<u16>(a, <u16>dirBytes, NAME); store<u16>(a, <u16>dirBytes, NAME + 2); store<u32>(a, <u32>(a + WANT_DIR), NAME + 4);
    store<u32>(a, 0, OPENED);
    s = NtOpenDirectoryObject(a + OPENED, DIRECTORY_QUERY, oa(a + OA, a + NAME, 0));
    if (s != 0) fail(i, 9, n, s);
    else {
      const opened = load<u32>(a, OPENED);
      store<u32>(a, 0, CTX);
      s = NtQueryDirectoryObject(opened, a + BUFFER, 1024, 1, 1, a + CTX, a + RETLEN);
      if (s != 0) fail(i, 10, n, s);
      else if (<u32>load<u16>(a, BUFFER) != eventBytes || !same(load<u32>(a, BUFFER + 4), a + WANT_EVENT, eventBytes) || load<u32>(a, CTX) != 1) fail(i, 11, n, load<u16>(a, BUFFER));
      s = NtClose(opened);
      if (s != 0) fail(i, 12, n, s);
    }
    // 4. the type of the directory handle main gave this worker
    s = NtQueryObject(dir, 2, a + BUFFER, 1024, a + RETLEN); // ObjectTypeInformation
    if (s != 0) fail(i, 13, n, s);
    else if (<u32>load<u16>(a, BUFFER) != 18 || load<u16>(load<u32>(a, BUFFER + 4)) != 0x44) fail(i, 14, n, load<u16>(a, BUFFER)); // "Directory"
    // 5. the performance counter never goes back
    const before = load<u64>(a, COUNTER);
    s = NtQueryPerformanceCounter(a + COUNTER, 0);
    if (s != 0 || load<u64>(a, COUNTER) < before) fail(i, 15, n, s);
    store<u32>(progress + (i << 2), n + 1);
    const now = others(i);
    if (now != seen) { seen = now; store<u32>(switches + (i << 2), load<u32>(switches + (i << 2)) + 1); }
  }
  NtTerminateThread(0xFFFFFFFE, 0);
}


@external("ntdll", "NtResumeThread") declare function NtResumeThread(handle: u32, previous: usize): u32;

/** Every worker starts suspended: all start together. */
function spawn(routine: (p: u32) => void, param: u32): u32 { return spawnThread(routine, param, 1); }

export function main(): void {
  const indirect: (p: u32) => void = threadReturned;
  if (load<u32>(0x7FFDF0F0) == 0x12345678) indirect(load<u32>(0x7FFDF0F4));
  show("directory", NtCreateDirectoryObject(cell + 40, 0xF000F, attributes("\\RaceDir", 0x40)));
  const root = load<u32>(cell, 40);
  for (let i: u32 = 0; i < WORKERS; i++) {
    const a = area(i);
    // the link \RaceDir\Link<i> -> \RaceTarget\AAA... (its own length)
    const targetBytes = targetText(i, a + WANT_TARGET);
    store<u16>(a, <u16>targetBytes, TARGET); store<u16>(a, <u16>targetBytes, TARGET + 2); store<u32>(a, <u32>(a + WANT_TARGET), TARGET + 4);
    const nameBytes = text(a + BUFFER, "Link", i);
    store<u16>(a, <u16>nameBytes, NAME); store<u16>(a, <u16>nameBytes, NAME + 2); store<u32>(a, <u32>(a + BUFFER), NAME + 4);
    let s = NtCreateSymbolicLinkObject(a + LINK, SYMBOLIC_LINK_QUERY, oa(a + OA, a + NAME, root), a + TARGET);
    if (s != 0) show("link", s);
    store<u32>(a, text(a + WANT_LINK, "\\RaceDir\\Link", i), 32);
    // the directory \RaceDir\Dir<i> with the event Ev<i>
    const dirNameBytes = text(a + BUFFER, "Dir", i);
    store<u16>(a, <u16>dirNameBytes, NAME); store<u16>(a, <u16>dirNameBytes, NAME + 2);
    s = NtCreateDirectoryObject(a + DIR, 0xF000F, oa(a + OA, a + NAME, root));
    if (s != 0) show("dir", s);
    store<u32>(a, text(a + WANT_DIR, "\\RaceDir\\Dir", i), 36);
    const eventBytes = text(a + WANT_EVENT, "Ev", i);
    store<u16>(a, <u16>eventBytes, NAME); store<u16>(a, <u16>eventBytes, NAME + 2); store<u32>(a, <u32>(a + WANT_EVENT), NAME + 4);
    s = NtCreateEvent(cell + 44, 0x1F0003, oa(a + OA, a + NAME, load<u32>(a, DIR)), 0, 0);
    if (s != 0) show("event", s);
    store<u32>(threads + (i << 2), spawn(worker, i));
  }
  say("workers made");
  for (let i: u32 = 0; i < WORKERS; i++) NtResumeThread(load<u32>(threads + (i << 2)), 0);
  show("wait", NtWaitForMultipleObjects(WORKERS, threads, 0, 0, 0)); // WaitAll
  let total: u32 = 0, wrong: u32 = 0, switched: u32 = 0;
  for (let i: u32 = 0; i < WORKERS; i++) {
    put("worker "); putDec(i); put(" iterations "); putDec(load<u32>(progress + (i << 2)));
    put(" wrong "); putDec(load<u32>(bad + (i << 2))); put(" switches "); putDec(load<u32>(switches + (i << 2)));
    if (load<u32>(bad + (i << 2)) != 0) { put(" first "); putHex(load<u32>(firstBad + (i << 2))); put(" "); putHex(load<u32>(firstStatus + (i << 2))); }
    flush();
    total += load<u32>(progress + (i << 2)); wrong += load<u32>(bad + (i << 2)); switched += load<u32>(switches + (i << 2));
  }
  put("total iterations "); putDec(total); put(" wrong "); putDec(wrong); put(" switches "); putDec(switched); flush();
}
