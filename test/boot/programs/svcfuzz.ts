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
// The arguments are svcfuzzargs.ts's, the LPC server is svcfuzzlpc.ts.
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
import { InitializeCountedString, InitializeObjectAttributes, OBJ_CASE_INSENSITIVE, MEMORY_BASIC_INFORMATION, SIZEOF_MEMORY_BASIC_INFORMATION } from "../../../kernel/sdk/ntdef";
import { put, putHex, putDec, flush, say, show, syscall, threadReturned, NtAllocateVirtualMemory, NtFreeVirtualMemory, NtProtectVirtualMemory,
  NtQueryVirtualMemory, NtCreateThread, NtTerminateThread, NtClose, NtCreateEvent, NtCreateMutant, NtCreateSemaphore, NtCreateTimer,
  NtCreateDirectoryObject, NtCreateSymbolicLinkObject, NtOpenDirectoryObject, NtOpenProcess, NtOpenThread, NtCreateSection,
  NtMapViewOfSection, NtUnmapViewOfSection, NtCreateProcessEx, NtQueryInformationThread, NtDelayExecution, NtWaitForSingleObject,
  NtYieldExecution, NtQueryInformationProcess, NtWriteVirtualMemory } from "./nt";
import { NtConnectPort } from "./lpcnt";
import {
  E, E_PAGES, F, PAGE, POOL_N, TYPES, V, V_SIZE, addClosed, arg, badPointer, below, clientId, displayText, maxHandle, noteHandle, outHandle,
  poolAdd, poolReset, resetMaxHandle, rnd, safeContext, safeTeb, seedRandom, setSafeStack, selfPid, setRegions, setSane, setSelf, setVictimPid, setVictimTid,
  victimTid,
} from "./svcfuzzargs";
import { isServerHandle, serverAccepted, serverPort, serverReplied, server, stopLpcServer, waitPort } from "./svcfuzzlpc";
import { TABLE } from "../../../build/fuzz/svctable";
import {
  ProcessBasicInformation, ThreadBasicInformation, PROCESS_BASIC_INFORMATION, SIZEOF_PROCESS_BASIC_INFORMATION, THREAD_BASIC_INFORMATION, SIZEOF_THREAD_BASIC_INFORMATION,
} from "../../../kernel/sdk/procinfo";
import { STATUS_ACCESS_VIOLATION } from "../../../kernel/sdk/ntstatus";
import { InitializeSecurityQualityOfService, SECURITY_STATIC_TRACKING, SecurityImpersonation } from "../../../kernel/sdk/lpc";

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

let stackRegion: u32 = 0; // the stack NtCreateThread's G context gives new threads

// ---- state shared by the threads ----
let callsDone: u32 = 0;
let finished = false;
let stopHelpers = false;
let callerHandle: u32 = 0;
let stalls: u32 = 0;
let pagerSection: u32 = 0;
let fuzzDir: u32 = 0;
let victimThread: u32 = 0;
let setupCalls: u32 = 0;
let pagerRounds: u32 = 0, flips: u32 = 0;

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
    setSane(mostlyValid && k != odd);
    store<u32>(argv + k * 4, arg(<u32>load<u8>(SVC_KINDS + i * 16 + k)));
  }
  setSane(false);
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
    noteHandle(h);
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

/** The caller's and main's own OBJECT_ATTRIBUTES (the server thread has its own). */
const poolUstr = memory.data(8, 4);
const poolOaCell = memory.data(24, 4);
function poolName(name: string): u32 {
  InitializeCountedString(poolUstr, <u32>changetype<usize>(name), name.length << 1, name.length << 1);
  return <u32>InitializeObjectAttributes(poolOaCell, name.length == 0 ? 0 : poolUstr, OBJ_CASE_INSENSITIVE, 0, 0);
}
// ---- the pool and the sweep ----
const swcell = memory.data(32, 8); // the caller's cells (pcell is the pager's)
const sc = memory.data(64, 4);      // cells for the set-up calls
const iosb = memory.data(8, 4);
const tbi = memory.data(<i32>offsetof<THREAD_BASIC_INFORMATION>(), 4); // and PROCESS_BASIC_INFORMATION
const mbi = memory.data(<i32>SIZEOF_MEMORY_BASIC_INFORMATION, 4);
const fileData = memory.data(4096, 4);
function ok(s: u32): bool { setupCalls++; return s == 0; }
function created(type: u32, s: u32): void { setupCalls++; if (s == 0) poolAdd(type, load<u32>(sc)); }
function openPool(): void {
  poolReset();
  poolAdd(0, SELF);
  store<u32>(clientId, selfPid); store<u32>(clientId, 0, 4);
  created(0, NtOpenProcess(sc, 0x1F0FFF, poolName(""), clientId));
  store<u32>(sc, 0);
  if (ok(NtCreateProcessEx(sc, 0x1F0FFF, 0, SELF, 0, 0, 0, 0, 0))) {
    const v = load<u32>(sc);
    poolAdd(0, v); poolAdd(13, v);
    if (NtQueryInformationProcess(v, ProcessBasicInformation, tbi, SIZEOF_PROCESS_BASIC_INFORMATION, 0) == 0) setVictimPid(changetype<PROCESS_BASIC_INFORMATION>(tbi).UniqueProcessId);
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
  InitializeSecurityQualityOfService(sc + 48, SecurityImpersonation, SECURITY_STATIC_TRACKING, false);
  created(5, NtConnectPort(sc, poolUstr, sc + 48, 0, 0, 0, 0, 0));
  if (waitPort != 0) poolAdd(5, waitPort);
  created(6, NtOpenDirectoryObject(sc, 0xF000F, poolName("\\")));
  InitializeCountedString(sc + 32, changetype<usize>("\\Device\\Null"), 24, 24);
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
    addClosed(h);
  }
}
/** Closes every handle but the kept ones, releases memory outside the fuzzer's regions, opens the pool again. */
function sweep(): void {
  const top = maxHandle + 0x100 < 0x4000 ? maxHandle + 0x100 : 0x4000;
  for (let h: u32 = 4; h <= top; h += 4) {
    if (h == callerHandle || h == pagerSection || h == victimThread || h == fuzzDir || isServerHandle(h)) continue;
    NtClose(h);
  }
  resetMaxHandle();
  // memory
  // (below the TEBs and the PEB, which the kernel puts from 0x7FFDF000 down: never the fuzzer's)
  let at: u32 = 0x10000;
  while (at < 0x7FF00000) {
    if (NtQueryVirtualMemory(SELF, at, 0, mbi, SIZEOF_MEMORY_BASIC_INFORMATION, 0) != 0) break;
    const base = changetype<MEMORY_BASIC_INFORMATION>(mbi).AllocationBase, size = changetype<MEMORY_BASIC_INFORMATION>(mbi).RegionSize, state = changetype<MEMORY_BASIC_INFORMATION>(mbi).State, type = changetype<MEMORY_BASIC_INFORMATION>(mbi).Type;
    if (size == 0) break;
    // the view's place taken by an allocation while the pager had it unmapped: freed, the pager maps it again
    if (state != 0x10000 && base == V && type == 0x20000) { store<u32>(swcell, base); store<u32>(swcell, 0, 4); NtFreeVirtualMemory(SELF, swcell, swcell + 4, MEM_RELEASE); }
    else if (state != 0x10000 && !kept(base)) {
      if (type == 0x20000) { store<u32>(swcell, base); store<u32>(swcell, 0, 4); NtFreeVirtualMemory(SELF, swcell, swcell + 4, MEM_RELEASE); }
      else NtUnmapViewOfSection(SELF, base);
    }
    at = changetype<MEMORY_BASIC_INFORMATION>(mbi).BaseAddress + size;
  }
  openPool();
}

/**
 * A reservation of `bytes` (`commit` of them committed) followed by a
 * reserved, never committed guard of `guard` bytes: kernel copies that run
 * past a playground's end (NtWriteVirtualMemory or NtReadVirtualMemory into
 * it with a huge length, an output buffer near its end) stop there with a
 * status, instead of going on into whatever was allocated next (the helpers'
 * stacks: a boot of seed 3000 ended when such a write reached them). The
 * guard is a region of its own, kept; no argument ever names an address in
 * it (svcfuzzargs.ts vaddr), so nothing frees or commits it, and a range
 * that starts in the playground cannot span into it (the kernel refuses a
 * range across two regions).
 */
function guarded(bytes: u32, commit: u32, guard: u32, hole: bool): u32 {
  store<u32>(sc, 0); store<u32>(sc, bytes + guard, 4);
  if (NtAllocateVirtualMemory(SELF, sc, 0, sc + 4, MEM_RESERVE, 4) != 0) return 0;
  const base = load<u32>(sc);
  store<u32>(sc, base); store<u32>(sc, 0, 4);
  NtFreeVirtualMemory(SELF, sc, sc + 4, MEM_RELEASE);
  store<u32>(sc, base + bytes); store<u32>(sc, guard, 4);
  if (NtAllocateVirtualMemory(SELF, sc, 0, sc + 4, MEM_RESERVE, 1) == 0) keep(base + bytes);
  if (hole) return base; // the caller maps something of its own at `base`
  store<u32>(sc, base); store<u32>(sc, bytes, 4);
  if (NtAllocateVirtualMemory(SELF, sc, 0, sc + 4, MEM_RESERVE, 4) != 0) return 0;
  if (commit != 0) { store<u32>(sc, base); store<u32>(sc, commit, 4); NtAllocateVirtualMemory(SELF, sc, 0, sc + 4, MEM_COMMIT, 4); }
  keep(base);
  return base;
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
  seedRandom(seed);
  fs = seed ^ 0x5BD1E995; if (fs == 0) fs = 7;
  store<u32>(RING, 0x474E5246); store<u32>(RING, 0x5A5A5646, 4); store<u32>(RING, seed, 8);
  parseTable();
  put("seed "); putDec(seed); put(" calls "); putDec(calls); put(" services "); putDec(services); flush();
  NtQueryInformationThread(SELF_THREAD, ThreadBasicInformation, tbi, SIZEOF_THREAD_BASIC_INFORMATION, 0);
  setSelf(changetype<THREAD_BASIC_INFORMATION>(tbi).ClientId_UniqueProcess, changetype<THREAD_BASIC_INFORMATION>(tbi).ClientId_UniqueThread);
  // the regions: the image, data, stack and shared pages that exist now are kept
  let at: u32 = 0x10000;
  while (at < 0x7FFE0000) {
    if (NtQueryVirtualMemory(SELF, at, 0, mbi, SIZEOF_MEMORY_BASIC_INFORMATION, 0) != 0) break;
    const size = changetype<MEMORY_BASIC_INFORMATION>(mbi).RegionSize;
    if (size == 0) break;
    if (changetype<MEMORY_BASIC_INFORMATION>(mbi).State != 0x10000) keep(changetype<MEMORY_BASIC_INFORMATION>(mbi).AllocationBase);
    at = changetype<MEMORY_BASIC_INFORMATION>(mbi).BaseAddress + size;
  }
  const g = guarded(0x100000, 0x10000, 0x10000, false);
  const f = guarded(0x100000, 0x4000, 0x10000, false);
  const e = guarded(E_PAGES * PAGE, 7 * PAGE, 0x10000, false);
  protect(e + 5 * PAGE, PAGE, 2);
  stackRegion = allocate(0x10000, 0x10000);
  store<u64>(sc + 16, V_SIZE);
  NtCreateSection(sc, 0xF001F, 0, sc + 16, 4, 0x8000000, 0);
  pagerSection = load<u32>(sc);
  // the view, at a place with a guard after it (a hole of V_SIZE before a reserved guard)
  store<u32>(pcell, guarded(V_SIZE, 0, 0x10000, true)); store<u32>(pcell, V_SIZE, 4); store<u64>(pcell + 16, 0);
  NtMapViewOfSection(pagerSection, SELF, pcell, 0, 0, pcell + 16, pcell + 4, 1, 0, 4);
  const v = load<u32>(pcell);
  keep(v);
  setRegions(g, f, e, v);
  // NtCreateThread's safe context: the new thread returns at once (threadReturned ends it).
  const top = stackRegion + 0x10000;
  store<u32>(top - 8, <u32>fuzzFuncAddress(load<u32>(changetype<usize>(threadReturned))));
  store<u32>(safeContext, 0x10007);
  store<u32>(safeContext, <u32>fuzzFuncAddress(load<u32>(changetype<usize>(threadReturned))), 0xB8);
  store<u32>(safeContext, top - 8, 0xC4);
  setSafeStack(top, <u32>fuzzFuncAddress(load<u32>(changetype<usize>(threadReturned))));
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
  changetype<THREAD_BASIC_INFORMATION>(tbi).ExitStatus = 0;
  NtQueryInformationThread(victimThread, ThreadBasicInformation, tbi, SIZEOF_THREAD_BASIC_INFORMATION, 0);
  setVictimTid(changetype<THREAD_BASIC_INFORMATION>(tbi).ClientId_UniqueThread);
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
  stopLpcServer();
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
