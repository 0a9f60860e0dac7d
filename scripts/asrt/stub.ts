// The AssemblyScript runtime every program of this project is built with
// (`--runtime stub`: a bump allocator that never frees), replaced by this
// file in the compiler's library (scripts/asc.ts installs it as
// `~lib/rt/stub`), so that two threads of one process may allocate at once:
// the kernel preempts user threads anywhere, and a program whose threads
// concatenate strings or call `new` shares this one heap.
//
//   TOP   the next free byte (a cell in linear memory, 0 until the first
//         allocation): an allocation takes [TOP, TOP + block) with one
//         compare-exchange, retried when another thread moved TOP first.
//   GROW  a spin lock around memory.grow: the translator's memory.grow
//         zeroes the new pages before it publishes the new size, so two
//         grows at once could zero pages a third thread was already given.
//         Only the thread whose block passes memory.size() takes it, and
//         it re-checks under the lock. On one processor a waiter spins
//         until the kernel preempts it and the holder finishes (grows are
//         a handful per process).
//   free and shrink give back the last block only, by compare-exchange on
//         TOP (a block that is no longer last stays used, as with AS's stub).
//
// The kernel does not use this heap (it allocates from pool); ntdll uses no
// managed objects. The API is the one the compiler expects of a runtime:
// __alloc, __realloc, __free, __new, __renew, __link, __pin, __unpin,
// __visit, __collect, __reset.

import { AL_MASK, OBJECT, OBJECT_OVERHEAD, BLOCK_MAXSIZE, BLOCK_OVERHEAD, BLOCK, OBJECT_MAXSIZE } from "./common";
import { E_ALLOCATION_TOO_LARGE } from "../util/error";

const TOP: usize = memory.data(4, 4);
const GROW: usize = memory.data(4, 4);

/** Where the first block goes: its payload aligned past the static data. */
// @ts-ignore: decorator
@inline function heapStart(): usize { return ((__heap_base + BLOCK_OVERHEAD + AL_MASK) & ~AL_MASK) - BLOCK_OVERHEAD; }
/** A block's payload for `size` bytes: the next block's payload stays aligned. */
// @ts-ignore: decorator
@inline function payloadFor(size: usize): usize { return ((size + BLOCK_OVERHEAD + AL_MASK) & ~AL_MASK) - BLOCK_OVERHEAD; }

function top(): usize {
  let t = atomic.load<usize>(TOP);
  if (t == 0) {
    atomic.cmpxchg<usize>(TOP, 0, heapStart());
    t = atomic.load<usize>(TOP);
  }
  return t;
}

/** Grows the memory (doubling, at least to `end`) until it covers `end`. */
function cover(end: usize): void {
  if (end <= (<usize>memory.size() << 16)) return;
  while (atomic.cmpxchg<u32>(GROW, 0, 1) != 0) {} // spin: the holder is mid-grow
  let pages = memory.size();
  while (end > (<usize>pages << 16)) {
    const need = <i32>((end - (<usize>pages << 16) + 0xFFFF) >>> 16);
    if (memory.grow(max(pages, need)) < 0 && memory.grow(need) < 0) {
      atomic.store<u32>(GROW, 0);
      unreachable(); // out of memory
    }
    pages = memory.size();
  }
  atomic.store<u32>(GROW, 0);
}

// @ts-ignore: decorator
@unsafe @global
export function __alloc(size: usize): usize {
  if (size > BLOCK_MAXSIZE) throw new Error(E_ALLOCATION_TOO_LARGE);
  const payload = payloadFor(size);
  let block: usize;
  do {
    block = top();
    cover(block + BLOCK_OVERHEAD + payload);
  } while (atomic.cmpxchg<usize>(TOP, block, block + BLOCK_OVERHEAD + payload) != block);
  changetype<BLOCK>(block).mmInfo = payload;
  return block + BLOCK_OVERHEAD;
}

// @ts-ignore: decorator
@unsafe @global
export function __realloc(ptr: usize, size: usize): usize {
  const block = changetype<BLOCK>(ptr - BLOCK_OVERHEAD);
  const have = block.mmInfo;
  const payload = payloadFor(size);
  if (size <= have) {
    // Shrinking the last block gives the rest back; any other block keeps its size.
    if (atomic.cmpxchg<usize>(TOP, ptr + have, ptr + payload) == ptr + have) block.mmInfo = payload;
    return ptr;
  }
  if (size > BLOCK_MAXSIZE) throw new Error(E_ALLOCATION_TOO_LARGE);
  // The last block grows in place when no other thread allocated meanwhile.
  if (atomic.load<usize>(TOP) == ptr + have) {
    cover(ptr + payload);
    if (atomic.cmpxchg<usize>(TOP, ptr + have, ptr + payload) == ptr + have) {
      block.mmInfo = payload;
      return ptr;
    }
  }
  // Elsewhere: a new block at least twice the old, the contents copied.
  const moved = __alloc(max<usize>(payload, have << 1));
  memory.copy(moved, ptr, have);
  return moved;
}

// @ts-ignore: decorator
@unsafe @global
export function __free(ptr: usize): void {
  const block = ptr - BLOCK_OVERHEAD;
  atomic.cmpxchg<usize>(TOP, ptr + changetype<BLOCK>(block).mmInfo, block); // the last block only
}

// @ts-ignore: decorator
@unsafe @global
export function __reset(): void {
  atomic.store<usize>(TOP, heapStart());
}

// @ts-ignore: decorator
@unsafe @global
export function __new(size: usize, id: u32): usize {
  if (size > OBJECT_MAXSIZE) throw new Error(E_ALLOCATION_TOO_LARGE);
  const ptr = __alloc(OBJECT_OVERHEAD + size);
  const object = changetype<OBJECT>(ptr - BLOCK_OVERHEAD);
  object.gcInfo = 0;
  object.gcInfo2 = 0;
  object.rtId = id;
  object.rtSize = <u32>size;
  return ptr + OBJECT_OVERHEAD;
}

// @ts-ignore: decorator
@unsafe @global
export function __renew(oldPtr: usize, size: usize): usize {
  if (size > OBJECT_MAXSIZE) throw new Error(E_ALLOCATION_TOO_LARGE);
  const ptr = __realloc(oldPtr - OBJECT_OVERHEAD, OBJECT_OVERHEAD + size);
  changetype<OBJECT>(ptr - BLOCK_OVERHEAD).rtSize = <u32>size;
  return ptr + OBJECT_OVERHEAD;
}

// No collector: references need no bookkeeping.
// @ts-ignore: decorator
@global @unsafe
export function __link(parentPtr: usize, childPtr: usize, expectMultiple: bool): void {}
// @ts-ignore: decorator
@global @unsafe
export function __pin(ptr: usize): usize { return ptr; }
// @ts-ignore: decorator
@global @unsafe
export function __unpin(ptr: usize): void {}
// @ts-ignore: decorator
@global @unsafe
function __visit(ptr: usize, cookie: u32): void {}
// @ts-ignore: decorator
@global @unsafe
export function __collect(): void {}
