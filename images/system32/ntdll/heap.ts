// The Rtl heap: RtlCreateHeap, RtlAllocateHeap, RtlReAllocateHeap,
// RtlFreeHeap, RtlSizeHeap, RtlDestroyHeap (and RtlValidateHeap, which
// walks every block, for tests and for callers that suspect corruption).
//
// A heap is one or more segments of reserved address space
// (NtAllocateVirtualMemory MEM_RESERVE), committed from the bottom up as
// blocks are needed. The first segment starts with the heap header; the
// handle is the address of that header.
//
//   heap header                              segment header (32 bytes)
//     +0  Signature 0xEEFFEEFF                 +0  Next segment
//     +4  Flags (HEAP_GROWABLE, ...)           +4  Base (region to release)
//     +8  first segment                        +8  ReservedEnd
//     +12 SegmentReserve (for new segments)    +12 CommittedEnd
//     +16 SegmentCommit (commit step)          +16 FirstBlock
//     +20 UserMemory (1: caller's region)      +20 Heap
//     +24 Lock (the address of the critical section at +656; 0 with HEAP_NO_SERIALIZE)
//     +28 bitmap of non-empty bins (5 words)
//     +48 scratch for system call arguments (8 bytes, used under the lock)
//     +56 bins[150]: free-list heads
//     +656 the heap's RTL_CRITICAL_SECTION (24 bytes)
//
// Blocks are contiguous in a segment, 8-byte granular, each after a 16-byte
// header; a zero-size busy header (the sentinel) ends the committed part.
//
//   +0 Size | BUSY (bit 0)  size with the header     busy: +8 requested bytes, +12 heap
//   +4 PrevSize (0 for a segment's first block)       free: +8 next free, +12 prev free
//
// Free blocks never touch (freeing coalesces with both neighbours). Bins
// 0..127 hold one exact size each (size/8, below 1 KiB), bins 128..149 one
// power of two each (first fit inside the bin). Allocation takes the first
// fitting block from the bins, splits off the rest, and when none fits
// commits more of a segment, then (HEAP_GROWABLE) reserves a new one. A
// segment other than the first that becomes wholly free is released.
//
// Serialization: unless the heap was made with HEAP_NO_SERIALIZE, every
// call (without HEAP_NO_SERIALIZE) holds the heap's lock, a critical section
// in the header (critsect.ts): one locked instruction to take and one to
// release when no other thread holds it, no system call; an event is made
// only when two threads meet on the heap.
//
// Not done: HEAP_GENERATE_EXCEPTIONS (failure returns NULL, no STATUS_NO_MEMORY
// exception), tail checking and free-block fill patterns, decommitting
// free pages inside a segment.

import {
  NtAllocateVirtualMemory, NtFreeVirtualMemory, NtQueryVirtualMemory, RtlpProcessHeap,
} from "./nt";
import { RtlDeleteCriticalSection, RtlEnterCriticalSection, RtlInitializeCriticalSection, RtlLeaveCriticalSection } from "./critsect";
import {
  MEMORY_BASIC_INFORMATION, MEM_COMMIT, MEM_RELEASE, MEM_RESERVE, NtCurrentProcess, PAGE_READWRITE, PAGE_SIZE, RTL_CRITICAL_SECTION, SIZEOF_MEMORY_BASIC_INFORMATION,
} from "../../../kernel/sdk/ntdef";

export const HEAP_NO_SERIALIZE: u32 = 0x1;
export const HEAP_GROWABLE: u32 = 0x2;
export const HEAP_GENERATE_EXCEPTIONS: u32 = 0x4;
export const HEAP_ZERO_MEMORY: u32 = 0x8;
export const HEAP_REALLOC_IN_PLACE_ONLY: u32 = 0x10;

const HEAP_SIGNATURE: u32 = 0xEEFFEEFF;
const H_SIGNATURE: u32 = 0, H_FLAGS: u32 = 4, H_SEGMENTS: u32 = 8, H_RESERVE: u32 = 12, H_COMMIT: u32 = 16, H_USER: u32 = 20;
const H_LOCK: u32 = 24, H_BITMAP: u32 = 28, H_SCRATCH: u32 = 48, H_BINS: u32 = 56;
const BIN_COUNT: u32 = 150;
const H_CRITICAL_SECTION: u32 = H_BINS + BIN_COUNT * 4;
const HEAP_HEADER_SIZE: u32 = (H_CRITICAL_SECTION + <u32>offsetof<RTL_CRITICAL_SECTION>() + 7) & ~7;
const S_NEXT: u32 = 0, S_BASE: u32 = 4, S_RESERVED_END: u32 = 8, S_COMMITTED_END: u32 = 12, S_FIRST: u32 = 16, S_HEAP: u32 = 20;
const SEGMENT_HEADER_SIZE: u32 = 32;
const BLOCK_HEADER: u32 = 16;
const MIN_BLOCK: u32 = 24;
const BUSY: u32 = 1;
const DEFAULT_RESERVE: u32 = 0x100000;
const DEFAULT_COMMIT: u32 = 0x2000;
const SEGMENT_ALIGN: u32 = 0x10000;
const MAX_REQUEST: u32 = 0x7FFF0000;

@inline function blockSize(b: usize): u32 { return load<u32>(b) & ~7; }
@inline function isBusy(b: usize): bool { return (load<u32>(b) & BUSY) != 0; }
@inline function prevSize(b: usize): u32 { return load<u32>(b, 4); }
@inline function nextFree(b: usize): usize { return load<usize>(b, 8); }
@inline function prevFree(b: usize): usize { return load<usize>(b, 12); }
@inline function roundUp(n: u32, to: u32): u32 { return (n + to - 1) & ~(to - 1); }

function binIndex(size: u32): u32 {
  if (size < 1024) return size >> 3;
  const index: u32 = 128 + (31 - clz(size)) - 10;
  return index < BIN_COUNT ? index : BIN_COUNT - 1;
}

// ---- free lists ----

function insertFree(heap: usize, b: usize): void {
  const bin = binIndex(blockSize(b));
  const head = heap + H_BINS + (bin << 2);
  const first = load<usize>(head);
  store<usize>(b, first, 8);
  store<usize>(b, 0, 12);
  if (first != 0) store<usize>(first, b, 12);
  store<usize>(head, b);
  const word = heap + H_BITMAP + ((bin >> 5) << 2);
  store<u32>(word, load<u32>(word) | (1 << (bin & 31)));
}

function removeFree(heap: usize, b: usize): void {
  const bin = binIndex(blockSize(b));
  const next = nextFree(b), prev = prevFree(b);
  if (prev != 0) store<usize>(prev, next, 8);
  else {
    store<usize>(heap + H_BINS + (bin << 2), next);
    if (next == 0) {
      const word = heap + H_BITMAP + ((bin >> 5) << 2);
      store<u32>(word, load<u32>(word) & ~(1 << (bin & 31)));
    }
  }
  if (next != 0) store<usize>(next, prev, 12);
}

/** Marks `b` (of `size` bytes) free, merges it with free neighbours and files it; returns the merged block. */
function releaseBlock(heap: usize, b: usize, size: u32): usize {
  let next = b + size;
  if (!isBusy(next)) { removeFree(heap, next); size += blockSize(next); }
  if (prevSize(b) != 0) {
    const prev = b - prevSize(b);
    if (!isBusy(prev)) { removeFree(heap, prev); size += blockSize(prev); b = prev; }
  }
  store<u32>(b, size);
  store<u32>(b + size, size, 4);
  insertFree(heap, b);
  return b;
}

/** Takes `need` bytes from the front of free block `b` (already out of its bin); files the rest. */
function carve(heap: usize, b: usize, need: u32, request: u32): usize {
  const size = blockSize(b);
  if (size - need >= MIN_BLOCK) {
    const rest = b + need;
    store<u32>(rest, size - need);
    store<u32>(rest, need, 4);
    store<u32>(rest + size - need, size - need, 4);
    insertFree(heap, rest);
  } else need = size;
  store<u32>(b, need | BUSY);
  store<u32>(b, request, 8);
  store<usize>(b, heap, 12);
  return b;
}

/** The first free block of at least `need` bytes, out of its bin; 0 when none. */
function findFree(heap: usize, need: u32): usize {
  let bin = binIndex(need);
  if (bin >= 128) {
    for (let b = load<usize>(heap + H_BINS + (bin << 2)); b != 0; b = nextFree(b)) {
      if (blockSize(b) >= need) { removeFree(heap, b); return b; }
    }
    bin++;
  }
  while (bin < BIN_COUNT) {
    const word = load<u32>(heap + H_BITMAP + ((bin >> 5) << 2)) & (0xFFFFFFFF << (bin & 31));
    if (word == 0) { bin = (bin | 31) + 1; continue; }
    bin = (bin & ~31) + ctz(word);
    const b = load<usize>(heap + H_BINS + (bin << 2));
    removeFree(heap, b);
    return b;
  }
  return 0;
}

// ---- segments ----

/** Commits `bytes` more of `segment` (rounded up to the commit step); false when the reserve is used up. */
function extendSegment(heap: usize, segment: usize, bytes: u32): bool {
  const committed = load<usize>(segment + S_COMMITTED_END);
  const reservedEnd = load<usize>(segment + S_RESERVED_END);
  let step = roundUp(bytes, PAGE_SIZE);
  const commit = load<u32>(heap + H_COMMIT);
  if (step < commit) step = commit;
  if (step > <u32>(reservedEnd - committed)) step = <u32>(reservedEnd - committed);
  if (step < bytes || step == 0) return false;
  const args = heap + H_SCRATCH;
  store<usize>(args, committed); store<u32>(args, step, 4);
  if (NtAllocateVirtualMemory(NtCurrentProcess, args, 0, args + 4, MEM_COMMIT, PAGE_READWRITE) != 0) return false;
  // The old sentinel becomes a free block over the new pages; a new sentinel ends them.
  const old = committed - BLOCK_HEADER;
  const end = committed + step - BLOCK_HEADER;
  store<u32>(end, BUSY);
  store<u32>(end, 0, 4);
  store<u32>(old, BUSY);
  releaseBlock(heap, old, <u32>(end - old));
  store<usize>(segment + S_COMMITTED_END, committed + step);
  return true;
}

/** Lays out a segment header, its first free block and sentinel over committed memory. */
function initSegment(heap: usize, segment: usize, base: usize, reservedEnd: usize, committedEnd: usize): void {
  store<usize>(segment + S_NEXT, 0);
  store<usize>(segment + S_BASE, base);
  store<usize>(segment + S_RESERVED_END, reservedEnd);
  store<usize>(segment + S_COMMITTED_END, committedEnd);
  const first = segment + SEGMENT_HEADER_SIZE;
  store<usize>(segment + S_FIRST, first);
  store<usize>(segment + S_HEAP, heap);
  const end = committedEnd - BLOCK_HEADER;
  store<u32>(end, BUSY);
  const size = <u32>(end - first);
  store<u32>(end, size, 4);
  store<u32>(first, size);
  store<u32>(first, 0, 4);
  insertFree(heap, first);
}

/** Reserves and starts a new segment with room for a block of `need` bytes. */
function addSegment(heap: usize, need: u32): bool {
  let reserve = load<u32>(heap + H_RESERVE);
  const least = roundUp(need + SEGMENT_HEADER_SIZE + BLOCK_HEADER, SEGMENT_ALIGN);
  if (reserve < least) reserve = least;
  const args = heap + H_SCRATCH;
  store<usize>(args, 0); store<u32>(args, reserve, 4);
  if (NtAllocateVirtualMemory(NtCurrentProcess, args, 0, args + 4, MEM_RESERVE, PAGE_READWRITE) != 0) return false;
  const base = load<usize>(args);
  reserve = load<u32>(args, 4);
  let commit = roundUp(need + SEGMENT_HEADER_SIZE + BLOCK_HEADER, PAGE_SIZE);
  if (commit < load<u32>(heap + H_COMMIT)) commit = load<u32>(heap + H_COMMIT);
  if (commit > reserve) commit = reserve;
  store<usize>(args, base); store<u32>(args, commit, 4);
  if (NtAllocateVirtualMemory(NtCurrentProcess, args, 0, args + 4, MEM_COMMIT, PAGE_READWRITE) != 0) {
    store<usize>(args, base); store<u32>(args, 0, 4);
    NtFreeVirtualMemory(NtCurrentProcess, args, args + 4, MEM_RELEASE);
    return false;
  }
  initSegment(heap, base, base, base + reserve, base + commit);
  // Newest segment last, so earlier (lower) blocks are found first by the walkers.
  let s = load<usize>(heap + H_SEGMENTS);
  while (load<usize>(s + S_NEXT) != 0) s = load<usize>(s + S_NEXT);
  store<usize>(s + S_NEXT, base);
  return true;
}

/** Releases segment `segment` (not the first) when its only block is free. */
function maybeReleaseSegment(heap: usize, b: usize): void {
  const first = load<usize>(heap + H_SEGMENTS);
  if (prevSize(b) != 0 || !isBusy(b + blockSize(b)) || load<u32>(b + blockSize(b)) != BUSY) return;
  const segment = b - SEGMENT_HEADER_SIZE;
  if (segment == first || load<usize>(segment + S_FIRST) != b || load<usize>(segment + S_HEAP) != heap) return;
  removeFree(heap, b);
  let s = first;
  while (load<usize>(s + S_NEXT) != segment) s = load<usize>(s + S_NEXT);
  store<usize>(s + S_NEXT, load<usize>(segment + S_NEXT));
  const args = heap + H_SCRATCH;
  store<usize>(args, load<usize>(segment + S_BASE)); store<u32>(args, 0, 4);
  NtFreeVirtualMemory(NtCurrentProcess, args, args + 4, MEM_RELEASE);
}

// ---- the exports ----

/**
 * Creates a heap. `base` != 0: the heap lives in the caller's memory
 * (`reserve` bytes, `commit` of them committed; 0 asks NtQueryVirtualMemory).
 * `reserve` 0 makes the heap growable. `lock` and `parameters` are ignored.
 */
export function RtlCreateHeap(flags: u32, base: usize, reserve: u32, commit: u32, lock: usize, parameters: usize): usize {
  // System call arguments: on the process heap once there is one (the
  // process heap itself is made before any second thread exists).
  const processHeap = RtlpProcessHeap();
  const scratch = processHeap != 0 ? RtlAllocateHeap(processHeap, 0, 8 + SIZEOF_MEMORY_BASIC_INFORMATION) : 0;
  const heap = RtlpCreateHeap(flags, base, reserve, commit,
    scratch != 0 ? scratch : memory.data(8, 4), scratch != 0 ? scratch + 8 : memory.data(<i32>SIZEOF_MEMORY_BASIC_INFORMATION, 4));
  if (scratch != 0) RtlFreeHeap(processHeap, 0, scratch);
  return heap;
}

function RtlpCreateHeap(flags: u32, base: usize, reserve: u32, commit: u32, args: usize, info: usize): usize {
  let user: u32 = 0;
  const askRegion = base != 0 && (reserve == 0 || commit == 0);
  if (reserve == 0) { flags |= HEAP_GROWABLE; reserve = DEFAULT_RESERVE; }
  if (commit == 0) commit = DEFAULT_COMMIT;
  reserve = roundUp(reserve, SEGMENT_ALIGN);
  commit = roundUp(commit, PAGE_SIZE);
  if (base != 0) {
    user = 1;
    if (askRegion) {
      if (NtQueryVirtualMemory(NtCurrentProcess, base, 0, info, SIZEOF_MEMORY_BASIC_INFORMATION, 0) != 0) return 0;
      const m = changetype<MEMORY_BASIC_INFORMATION>(info);
      const region = <u32>m.RegionSize;
      if (reserve > region) reserve = region;
      if (m.State == MEM_COMMIT) commit = reserve;
    }
  } else {
    store<usize>(args, 0); store<u32>(args, reserve, 4);
    if (NtAllocateVirtualMemory(NtCurrentProcess, args, 0, args + 4, MEM_RESERVE, PAGE_READWRITE) != 0) return 0;
    base = load<usize>(args);
    reserve = load<u32>(args, 4);
  }
  if (commit > reserve) commit = reserve;
  if (commit < HEAP_HEADER_SIZE + SEGMENT_HEADER_SIZE + PAGE_SIZE) commit = roundUp(HEAP_HEADER_SIZE + SEGMENT_HEADER_SIZE + PAGE_SIZE, PAGE_SIZE);
  if (commit > reserve) return 0;
  if (user == 0) {
    store<usize>(args, base); store<u32>(args, commit, 4);
    if (NtAllocateVirtualMemory(NtCurrentProcess, args, 0, args + 4, MEM_COMMIT, PAGE_READWRITE) != 0) {
      store<usize>(args, base); store<u32>(args, 0, 4);
      NtFreeVirtualMemory(NtCurrentProcess, args, args + 4, MEM_RELEASE);
      return 0;
    }
  }
  const heap = base;
  memory.fill(heap, 0, HEAP_HEADER_SIZE);
  store<u32>(heap + H_SIGNATURE, HEAP_SIGNATURE);
  store<u32>(heap + H_FLAGS, flags);
  store<usize>(heap + H_SEGMENTS, heap + HEAP_HEADER_SIZE);
  store<u32>(heap + H_RESERVE, DEFAULT_RESERVE);
  store<u32>(heap + H_COMMIT, DEFAULT_COMMIT);
  store<u32>(heap + H_USER, user);
  initSegment(heap, heap + HEAP_HEADER_SIZE, base, base + reserve, base + commit);
  if ((flags & HEAP_NO_SERIALIZE) == 0) {
    RtlInitializeCriticalSection(heap + H_CRITICAL_SECTION);
    store<usize>(heap + H_LOCK, heap + H_CRITICAL_SECTION);
  }
  return heap;
}

/** Releases every segment; returns NULL on success, the heap when it cannot be destroyed. */
export function RtlDestroyHeap(heap: usize): usize {
  if (heap == 0 || load<u32>(heap + H_SIGNATURE) != HEAP_SIGNATURE) return heap;
  if (heap == RtlpProcessHeap()) return heap;
  const user = load<u32>(heap + H_USER);
  const firstSegment = load<usize>(heap + H_SEGMENTS);
  store<u32>(heap + H_SIGNATURE, 0);
  if (load<usize>(heap + H_LOCK) != 0) RtlDeleteCriticalSection(load<usize>(heap + H_LOCK));
  // Later segments first, with the header's scratch; then the first segment, which holds the header.
  let args = heap + H_SCRATCH;
  let s = load<usize>(firstSegment + S_NEXT);
  while (s != 0) {
    const next = load<usize>(s + S_NEXT);
    store<usize>(args, load<usize>(s + S_BASE)); store<u32>(args, 0, 4);
    NtFreeVirtualMemory(NtCurrentProcess, args, args + 4, MEM_RELEASE);
    s = next;
  }
  if (user == 0) {
    // The service writes its results back into the arguments: not into the region it releases.
    const processHeap = RtlpProcessHeap();
    const scratch = processHeap != 0 ? RtlAllocateHeap(processHeap, 0, 8) : 0;
    args = scratch != 0 ? scratch : memory.data(8, 4);
    store<usize>(args, load<usize>(firstSegment + S_BASE)); store<u32>(args, 0, 4);
    NtFreeVirtualMemory(NtCurrentProcess, args, args + 4, MEM_RELEASE);
    if (scratch != 0) RtlFreeHeap(processHeap, 0, scratch);
  }
  return 0;
}

/** Takes the heap's lock (unless the heap or the call says HEAP_NO_SERIALIZE); returns what unlock needs. */
function lock(heap: usize, flags: u32): usize {
  const section = load<usize>(heap + H_LOCK);
  if (section == 0 || (flags & HEAP_NO_SERIALIZE) != 0) return 0;
  RtlEnterCriticalSection(section);
  return section;
}
@inline function unlock(section: usize): void { if (section != 0) RtlLeaveCriticalSection(section); }

/** A valid heap (its signature), before any lock is taken. */
@inline function isHeap(heap: usize): bool { return heap != 0 && load<u32>(heap + H_SIGNATURE) == HEAP_SIGNATURE; }

function blockNeed(size: u32): u32 {
  let need = roundUp(size, 8) + BLOCK_HEADER;
  return need < MIN_BLOCK ? MIN_BLOCK : need;
}

/** A block of `size` bytes (zeroed with HEAP_ZERO_MEMORY), 8-byte aligned; NULL when out of memory. */
export function RtlAllocateHeap(heap: usize, flags: u32, size: u32): usize {
  if (!isHeap(heap) || size > MAX_REQUEST) return 0;
  const held = lock(heap, flags);
  const p = RtlpAllocate(heap, flags, size);
  unlock(held);
  return p;
}

function RtlpAllocate(heap: usize, flags: u32, size: u32): usize {
  const need = blockNeed(size);
  let b = findFree(heap, need);
  if (b == 0) b = RtlpGrowHeap(heap, need);
  if (b == 0) return 0;
  carve(heap, b, need, size);
  const p = b + BLOCK_HEADER;
  if (((flags | load<u32>(heap + H_FLAGS)) & HEAP_ZERO_MEMORY) != 0) memory.fill(p, 0, size);
  return p;
}

/** Makes room for a block of `need` bytes and returns it (out of its bin), or 0. */
function RtlpGrowHeap(heap: usize, need: u32): usize {
  for (let s = load<usize>(heap + H_SEGMENTS); s != 0; s = load<usize>(s + S_NEXT)) {
    // What the segment's last block already offers when it is free.
    const sentinel = load<usize>(s + S_COMMITTED_END) - BLOCK_HEADER;
    const last = sentinel - prevSize(sentinel);
    const have: u32 = prevSize(sentinel) != 0 && !isBusy(last) ? blockSize(last) : 0;
    if (extendSegment(heap, s, need - have)) return findFree(heap, need);
  }
  if ((load<u32>(heap + H_FLAGS) & HEAP_GROWABLE) == 0) return 0;
  if (!addSegment(heap, need)) return 0;
  return findFree(heap, need);
}

/** The busy block header of `p` in `heap`, or 0 when `p` is not one of its blocks. */
function blockOf(heap: usize, p: usize): usize {
  if (heap == 0 || p < BLOCK_HEADER || (p & 7) != 0 || load<u32>(heap + H_SIGNATURE) != HEAP_SIGNATURE) return 0;
  const b = p - BLOCK_HEADER;
  if (!isBusy(b) || load<usize>(b, 12) != heap || blockSize(b) < MIN_BLOCK) return 0;
  return b;
}

/** Frees a block; TRUE on success (and for NULL), FALSE for a pointer that is not a busy block. */
export function RtlFreeHeap(heap: usize, flags: u32, p: usize): bool {
  if (p == 0) return true;
  if (!isHeap(heap)) return false;
  const held = lock(heap, flags);
  const ok = RtlpFree(heap, p);
  unlock(held);
  return ok;
}

function RtlpFree(heap: usize, p: usize): bool {
  const b = blockOf(heap, p);
  if (b == 0) return false;
  store<usize>(b, 0, 12);
  const merged = releaseBlock(heap, b, blockSize(b));
  maybeReleaseSegment(heap, merged);
  return true;
}

/** The size asked for when the block was (re)allocated; ~0 for a bad pointer. */
export function RtlSizeHeap(heap: usize, flags: u32, p: usize): u32 {
  if (!isHeap(heap)) return 0xFFFFFFFF;
  const held = lock(heap, flags);
  const b = blockOf(heap, p);
  const size = b == 0 ? 0xFFFFFFFF : load<u32>(b, 8);
  unlock(held);
  return size;
}

/**
 * Resizes a block, in place when it shrinks or the next block is free and
 * big enough, else (unless HEAP_REALLOC_IN_PLACE_ONLY) by moving it. With
 * HEAP_ZERO_MEMORY the grown part is zeroed. NULL on failure (the old block
 * stays valid).
 */
export function RtlReAllocateHeap(heap: usize, flags: u32, p: usize, size: u32): usize {
  if (!isHeap(heap)) return 0;
  const held = lock(heap, flags);
  const q = RtlpReAllocate(heap, flags, p, size);
  unlock(held);
  return q;
}

function RtlpReAllocate(heap: usize, flags: u32, p: usize, size: u32): usize {
  const b = blockOf(heap, p);
  if (b == 0 || size > MAX_REQUEST) return 0;
  const old = load<u32>(b, 8);
  const need = blockNeed(size);
  let have = blockSize(b);
  const zero = ((flags | load<u32>(heap + H_FLAGS)) & HEAP_ZERO_MEMORY) != 0;
  if (need > have) {
    const next = b + have;
    if (!isBusy(next) && have + blockSize(next) >= need) {
      removeFree(heap, next);
      have += blockSize(next);
      store<u32>(b, have | BUSY);
      store<u32>(b + have, have, 4);
    }
  }
  if (need <= have) {
    if (have - need >= MIN_BLOCK) {
      const rest = b + need;
      store<u32>(b, need | BUSY);
      store<u32>(rest, have - need | BUSY);
      store<u32>(rest, need, 4);
      store<u32>(rest + have - need, have - need, 4);
      releaseBlock(heap, rest, have - need);
    }
    store<u32>(b, size, 8);
    if (zero && size > old) memory.fill(p + old, 0, size - old);
    return p;
  }
  if ((flags & HEAP_REALLOC_IN_PLACE_ONLY) != 0) return 0;
  const q = RtlpAllocate(heap, flags & ~HEAP_ZERO_MEMORY, size);
  if (q == 0) return 0;
  memory.copy(q, p, old);
  if (zero) memory.fill(q + old, 0, size - old);
  RtlpFree(heap, p);
  return q;
}

/**
 * Walks every block of every segment: sizes chain to the sentinel, PrevSize
 * matches, busy blocks name the heap, no two free blocks touch, and every
 * free block is in the bin its size selects. `p` != 0 checks that block only.
 */
export function RtlValidateHeap(heap: usize, flags: u32, p: usize): bool {
  if (!isHeap(heap)) return false;
  const held = lock(heap, flags);
  const ok = RtlpValidate(heap, p);
  unlock(held);
  return ok;
}

function RtlpValidate(heap: usize, p: usize): bool {
  if (p != 0) return blockOf(heap, p) != 0;
  let freeCount: u32 = 0;
  for (let s = load<usize>(heap + H_SEGMENTS); s != 0; s = load<usize>(s + S_NEXT)) {
    const end = load<usize>(s + S_COMMITTED_END) - BLOCK_HEADER;
    let b = load<usize>(s + S_FIRST);
    let prev: u32 = 0;
    let prevWasFree = false;
    while (b != end) {
      const size = blockSize(b);
      if (size < MIN_BLOCK || b + size > end || prevSize(b) != prev) return false;
      if (isBusy(b)) {
        if (load<usize>(b, 12) != heap || load<u32>(b, 8) + BLOCK_HEADER > size) return false;
        prevWasFree = false;
      } else {
        if (prevWasFree) return false;
        prevWasFree = true;
        freeCount++;
      }
      prev = size;
      b += size;
    }
    if (load<u32>(end) != BUSY || prevSize(end) != prev) return false;
  }
  let listed: u32 = 0;
  for (let bin: u32 = 0; bin < BIN_COUNT; bin++) {
    const head = load<usize>(heap + H_BINS + (bin << 2));
    const marked = (load<u32>(heap + H_BITMAP + ((bin >> 5) << 2)) & (1 << (bin & 31))) != 0;
    if (marked != (head != 0)) return false;
    let before: usize = 0;
    for (let b = head; b != 0; b = nextFree(b)) {
      if (isBusy(b) || binIndex(blockSize(b)) != bin || prevFree(b) != before) return false;
      before = b;
      if (++listed > freeCount) return false;
    }
  }
  return listed == freeCount;
}

/**
 * Zeroed scratch memory for a routine's system call arguments, from the
 * process heap: static buffers would be shared by every thread.
 */
export function RtlpAllocateScratch(bytes: u32): usize {
  return RtlAllocateHeap(RtlpProcessHeap(), HEAP_ZERO_MEMORY, bytes);
}
export function RtlpFreeScratch(p: usize): void {
  RtlFreeHeap(RtlpProcessHeap(), 0, p);
}
