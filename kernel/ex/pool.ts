// Nonpaged pool: ExAllocatePoolWithTag / ExFreePoolWithTag.
//
// Small blocks (up to POOL_SMALL_MAX bytes) are carved from pool pages in
// 8-byte units, each preceded by an 8-byte POOL_HEADER, as NT does:
//
//   +0 u16 PreviousSize  units of the block before it in the page (0 = first)
//   +2 u16 BlockSize     units of this block, header included; bit 15 = in use
//   +4 u32 PoolTag       four characters naming the owner ('ObDi', 'Proc', ...)
//
// Free blocks sit on ListHeads[units] (doubly linked through their body);
// a bitmap says which lists are not empty, so an allocation finds the
// smallest fitting list with a bit scan instead of trying every size.
// Freeing merges a block with free neighbours in its page; a page that is
// wholly free again goes back to the page frame database. Larger requests
// take whole contiguous pages and are recorded in a big-allocation table.
// Usage is counted per tag (allocations, frees, bytes in use) so tests can
// check that create/close cycles leak nothing.
//
// Bad frees bug-check like NT: BAD_POOL_CALLER 0x7 (a block freed twice) or
// 0xD (the tag given to ExFreePoolWithTag is not the block's), BAD_POOL_HEADER
// (a header that does not fit its neighbours: corruption).

import { cli, read_eflags, sti } from "../sdk/intrinsics";
import { InitializeListHead, InsertHeadList, LIST_ENTRY, RemoveEntryList } from "../sdk/list";
import { BAD_POOL_CALLER, BAD_POOL_HEADER, KeBugCheckEx } from "../ke/bugcheck";
import { KeLogBegin, KeLogDecimal, KeLogEnd, KeLogString, KeLogFormat3 } from "../ke/log";
import { KSEG0_BASE } from "../ke/loader";
import { KeSetThreadPoolRoutines } from "../ke/thread";

// Pages come from Mm's page frame database, which sits above Ex: Mm hands
// its allocator in with ExRegisterPoolPages once the database is built
// (mm/pfn.ts). Before that the pool has no pages and allocations fail.
function ExpNoPages(count: u32): u32 { return 0; }
function ExpNoFree(page: u32): void {}
let ExpAllocatePages: (count: u32) => u32 = ExpNoPages;
let ExpFreePage: (page: u32) => void = ExpNoFree;

/** Mm's physical page allocator for the pool: `allocate` returns `count` contiguous zeroed pages (their first number) or 0. */
export function ExRegisterPoolPages(allocate: (count: u32) => u32, free: (page: u32) => void): void {
  ExpAllocatePages = allocate;
  ExpFreePage = free;
  KeSetThreadPoolRoutines(ExpAllocateNonPaged, ExFreePoolWithTag); // Ke's threads (bodies and stacks) are pool from here on
}
function ExpAllocateNonPaged(bytes: u32, tag: u32): usize { return ExAllocatePoolWithTag(NonPagedPool, bytes, tag); }

/** Pool pages are in the kernel window (KSEG0): virtual = KSEG0_BASE + physical. */
@inline function ExpPageToVirtual(page: u32): usize { return KSEG0_BASE + (<usize>page << 12); }
@inline function ExpVirtualToPage(address: usize): u32 { return <u32>(address - KSEG0_BASE) >>> 12; }

/** Pool types (only nonpaged memory exists; paged requests get nonpaged memory). */
export const NonPagedPool: u32 = 0;
export const PagedPool: u32 = 1;

const PAGE: u32 = 4096;
const UNIT: u32 = 8;
const UNITS_PER_PAGE: u32 = PAGE / UNIT;    // 512
const HEADER: u32 = 8;
const IN_USE: u16 = 0x8000;
/** Largest request served from pool pages; larger ones take whole pages. */
export const POOL_SMALL_MAX: u32 = PAGE - HEADER;
const MIN_FREE_UNITS: u32 = 2;              // header + the two list links

const ListHeads: usize = memory.data(<i32>((UNITS_PER_PAGE + 1) * 8), 8);
let listsReady = false;
/** Bit u: ListHeads[u] is not empty (UNITS_PER_PAGE + 1 bits). */
const LIST_WORDS: u32 = (UNITS_PER_PAGE >> 5) + 1;
const NonEmpty: usize = memory.data(<i32>(LIST_WORDS * 4), 4);

const BIG_MAX: u32 = 512;
const BigTable: usize = memory.data(<i32>(BIG_MAX * 12), 4); // address, pages, tag
let bigCount: u32 = 0;

const TAGS_MAX: u32 = 128;
const TagTable: usize = memory.data(<i32>(TAGS_MAX * 16), 4); // tag, allocs, frees, bytes
let tagCount: u32 = 0;
/** Open-addressed index of TagTable: slot + 1 per entry, 0 empty (twice TAGS_MAX entries). */
const TAG_HASH_SIZE: u32 = 256;
const TagHash: usize = memory.data(<i32>TAG_HASH_SIZE, 4);
@inline function tagHash(tag: u32): u32 { return (tag * 0x9E3779B1) >>> 24; }

/** Pages the pool holds from the page frame database. */
export let ExPoolPages: u32 = 0;
/** Bytes handed out and not yet freed (whole blocks: headers and rounding included). */
export let ExPoolBytesInUse: u32 = 0;
/** Allocations not yet freed. */
export let ExPoolAllocationsInUse: u32 = 0;

// ---- the free lists: a free block's LIST_ENTRY is its body (kernel/sdk/list.ts) ----

@inline function linksOf(block: usize): usize { return block + HEADER; }
@inline function headOf(units: u32): usize { return ListHeads + (units << 3); }

function initLists(): void {
  for (let u: u32 = 0; u <= UNITS_PER_PAGE; u++) InitializeListHead(headOf(u));
  listsReady = true;
}
function listInsert(units: u32, links: usize): void {
  InsertHeadList(headOf(units), links);
  const w = NonEmpty + ((units >> 5) << 2);
  store<u32>(w, load<u32>(w) | (<u32>1 << (units & 31)));
}
function listRemove(links: usize): void {
  const f = changetype<LIST_ENTRY>(links).Flink;
  if (RemoveEntryList(links)) { // it was the only block: f is its list's head
    const units = <u32>(f - ListHeads) >> 3;
    const w = NonEmpty + ((units >> 5) << 2);
    store<u32>(w, load<u32>(w) & ~(<u32>1 << (units & 31)));
  }
}
/** The smallest list of at least `need` units that has a block (UNITS_PER_PAGE + 1 when none). */
function firstListFrom(need: u32): u32 {
  let i = need >> 5;
  let bits = load<u32>(NonEmpty + (i << 2)) & (<u32>0xFFFFFFFF << (need & 31));
  while (bits == 0) {
    if (++i == LIST_WORDS) return UNITS_PER_PAGE + 1;
    bits = load<u32>(NonEmpty + (i << 2));
  }
  return (i << 5) + ctz<u32>(bits);
}

@inline function sizeOf(block: usize): u32 { return <u32>(load<u16>(block, 2) & 0x7FFF); }
@inline function prevOf(block: usize): u32 { return <u32>load<u16>(block); }
@inline function inUse(block: usize): bool { return (load<u16>(block, 2) & IN_USE) != 0; }
@inline function setHeader(block: usize, prev: u32, units: u32, used: bool, tag: u32): void {
  store<u16>(block, <u16>prev);
  store<u16>(block, <u16>units | (used ? IN_USE : 0), 2);
  store<u32>(block, tag, 4);
}

// ---- per-tag usage ----

function tagSlot(tag: u32): usize {
  let h = tagHash(tag);
  while (true) {
    const slot = <u32>load<u8>(TagHash + h);
    if (slot == 0) break;
    const s = TagTable + (slot - 1) * 16;
    if (load<u32>(s) == tag) return s;
    h = (h + 1) & (TAG_HASH_SIZE - 1);
  }
  if (tagCount == TAGS_MAX) return TagTable + (TAGS_MAX - 1) * 16; // the last slot takes the overflow
  const s = TagTable + tagCount * 16;
  tagCount++;
  store<u8>(TagHash + h, <u8>tagCount);
  store<u32>(s, tag); store<u32>(s, 0, 4); store<u32>(s, 0, 8); store<u32>(s, 0, 12);
  return s;
}
function countAlloc(tag: u32, bytes: u32): void {
  const s = tagSlot(tag);
  store<u32>(s, load<u32>(s, 4) + 1, 4); store<u32>(s, load<u32>(s, 12) + bytes, 12);
  ExPoolBytesInUse += bytes; ExPoolAllocationsInUse++;
}
function countFree(tag: u32, bytes: u32): void {
  const s = tagSlot(tag);
  store<u32>(s, load<u32>(s, 8) + 1, 8); store<u32>(s, load<u32>(s, 12) - bytes, 12);
  ExPoolBytesInUse -= bytes; ExPoolAllocationsInUse--;
}

/** Bytes in use under `tag` (0 for a tag never seen). */
export function ExPoolTagBytes(tag: u32): u32 {
  for (let i: u32 = 0; i < tagCount; i++) if (load<u32>(TagTable + i * 16) == tag) return load<u32>(TagTable + i * 16, 12);
  return 0;
}
/** Allocations made under `tag` so far, and frees. */
export function ExPoolTagAllocs(tag: u32): u32 {
  for (let i: u32 = 0; i < tagCount; i++) if (load<u32>(TagTable + i * 16) == tag) return load<u32>(TagTable + i * 16, 4);
  return 0;
}
export function ExPoolTagFrees(tag: u32): u32 {
  for (let i: u32 = 0; i < tagCount; i++) if (load<u32>(TagTable + i * 16) == tag) return load<u32>(TagTable + i * 16, 8);
  return 0;
}

/** Tags seen so far (the debugger's pool query walks 0 .. count - 1 with ExPoolTagAt). */
export function ExPoolTagCount(): u32 { return tagCount; }
/** Allocations since boot, every tag. */
export function ExPoolTotalAllocs(): u32 { let n: u32 = 0; for (let i: u32 = 0; i < tagCount; i++) n += load<u32>(TagTable + i * 16, 4); return n; }
/** Frees since boot, every tag. */
export function ExPoolTotalFrees(): u32 { let n: u32 = 0; for (let i: u32 = 0; i < tagCount; i++) n += load<u32>(TagTable + i * 16, 8); return n; }
/** The tag in slot `index` (creation order), 0 past the end. */
export function ExPoolTagAt(index: u32): u32 { return index < tagCount ? load<u32>(TagTable + index * 16) : 0; }

/** A tag from four characters, as NT writes them ('Proc' reads P, r, o, c in memory). */
export function PoolTag(s: string): u32 {
  let t: u32 = 0;
  for (let i = 0; i < 4; i++) t |= (i < s.length ? <u32>s.charCodeAt(i) & 0xFF : 0x20) << (<u32>i * 8);
  return t;
}

// ---- interrupts off around the lists ----

@inline function enter(): u32 { const f = read_eflags() & 0x200; cli(); return f; }
@inline function leave(f: u32): void { if (f != 0) sti(); }

/**
 * Allocates `bytes` of nonpaged pool, 8-byte aligned, zeroed, owned by `tag`.
 * Returns 0 when memory is exhausted (callers answer STATUS_INSUFFICIENT_RESOURCES).
 */
export function ExAllocatePoolWithTag(poolType: u32, bytes: u32, tag: u32): usize {
  if (bytes == 0) bytes = 1;
  if (tag == 0) tag = 0x656E6F4E; // 'None'
  const f = enter();
  let p: usize = 0;
  if (bytes > POOL_SMALL_MAX) p = allocateBig(bytes, tag);
  else p = allocateSmall(bytes, tag);
  leave(f);
  if (p != 0) memory.fill(p, 0, bytes);
  return p;
}

function allocateBig(bytes: u32, tag: u32): usize {
  if (bigCount == BIG_MAX) return 0;
  const pages = (bytes + PAGE - 1) / PAGE;
  const first = ExpAllocatePages(pages);
  if (first == 0) return 0;
  const p = ExpPageToVirtual(first);
  const e = BigTable + bigCount * 12;
  store<u32>(e, <u32>p); store<u32>(e, pages, 4); store<u32>(e, tag, 8);
  bigCount++;
  ExPoolPages += pages;
  countAlloc(tag, pages * PAGE);
  return p;
}

function allocateSmall(bytes: u32, tag: u32): usize {
  if (!listsReady) initLists();
  let need = (bytes + HEADER + UNIT - 1) / UNIT;
  if (need < MIN_FREE_UNITS) need = MIN_FREE_UNITS;
  let block: usize = 0;
  const u = firstListFrom(need);
  if (u <= UNITS_PER_PAGE) {
    const first = load<usize>(headOf(u));
    block = first - HEADER;
    listRemove(first);
  }
  if (block == 0) {
    const page = ExpAllocatePages(1);
    if (page == 0) return 0;
    ExPoolPages++;
    block = ExpPageToVirtual(page);
    setHeader(block, 0, UNITS_PER_PAGE, false, 0);
  }
  const have = sizeOf(block);
  const prev = prevOf(block);
  let units = have;
  if (have - need >= MIN_FREE_UNITS) {
    // Split: the tail stays free.
    units = need;
    const rest = block + need * UNIT;
    setHeader(rest, need, have - need, false, 0);
    fixNextPrev(rest, have - need);
    listInsert(have - need, linksOf(rest));
  }
  setHeader(block, prev, units, true, tag);
  countAlloc(tag, units * UNIT);
  return block + HEADER;
}

/** The block after `block` (of `units`) starts with a PreviousSize that must say `units`. */
function fixNextPrev(block: usize, units: u32): void {
  const next = block + units * UNIT;
  if ((next & (PAGE - 1)) != 0) store<u16>(next, <u16>units);
}

/** Frees pool memory, checking that `tag` is the block's owner. */
export function ExFreePoolWithTag(p: usize, tag: u32): void {
  if (p == 0) return;
  const f = enter();
  if ((p & (PAGE - 1)) == 0) freeBig(p, tag);
  else freeSmall(p, tag);
  leave(f);
}

/** Frees pool memory whatever its tag. */
export function ExFreePool(p: usize): void { ExFreePoolWithTag(p, 0); }

function freeBig(p: usize, tag: u32): void {
  for (let i: u32 = 0; i < bigCount; i++) {
    const e = BigTable + i * 12;
    if (<usize>load<u32>(e) != p) continue;
    const pages = load<u32>(e, 4), owner = load<u32>(e, 8);
    if (tag != 0 && tag != owner) KeBugCheckEx(BAD_POOL_CALLER, 0xD, tag, <u32>p, owner);
    const first = ExpVirtualToPage(p);
    for (let k: u32 = 0; k < pages; k++) ExpFreePage(first + k);
    ExPoolPages -= pages;
    countFree(owner, pages * PAGE);
    bigCount--;
    const last = BigTable + bigCount * 12;
    store<u32>(e, load<u32>(last)); store<u32>(e, load<u32>(last, 4), 4); store<u32>(e, load<u32>(last, 8), 8);
    return;
  }
  KeBugCheckEx(BAD_POOL_CALLER, 0x7, tag, <u32>p, 0); // not a pool address (or freed twice)
}

function freeSmall(p: usize, tag: u32): void {
  let block = p - HEADER;
  const units = sizeOf(block);
  const owner = load<u32>(block, 4);
  if (!inUse(block)) KeBugCheckEx(BAD_POOL_CALLER, 0x7, tag, <u32>p, owner);
  if (units < MIN_FREE_UNITS || (block & (PAGE - 1)) + units * UNIT > PAGE) KeBugCheckEx(BAD_POOL_HEADER, 0x20, <u32>block, units, 0);
  if (tag != 0 && tag != owner) KeBugCheckEx(BAD_POOL_CALLER, 0xD, tag, <u32>p, owner);
  const prevUnits = prevOf(block);
  if (prevUnits != 0) {
    const prev = block - prevUnits * UNIT;
    if ((prev & ~(PAGE - 1)) != (block & ~(PAGE - 1)) || sizeOf(prev) != prevUnits) KeBugCheckEx(BAD_POOL_HEADER, 0x5, <u32>block, prevUnits, <u32>prev);
  }
  countFree(owner, units * UNIT);
  store<u16>(block, <u16>units, 2); // not in use from here on: a second free of it is caught
  let size = units;
  let prevSize = prevUnits;
  // Merge with the next block.
  const next = block + size * UNIT;
  if ((next & (PAGE - 1)) != 0 && !inUse(next)) {
    listRemove(linksOf(next));
    size += sizeOf(next);
  }
  // Merge with the previous block.
  if (prevSize != 0) {
    const prev = block - prevSize * UNIT;
    if (!inUse(prev)) {
      listRemove(linksOf(prev));
      size += prevSize;
      block = prev;
      prevSize = prevOf(prev);
    }
  }
  if (size == UNITS_PER_PAGE) {
    ExpFreePage(ExpVirtualToPage(block));
    ExPoolPages--;
    return;
  }
  setHeader(block, prevSize, size, false, 0);
  fixNextPrev(block, size);
  listInsert(size, linksOf(block));
}

/** Logs the pool's state on one line (pages, allocations, bytes). */
export function ExLogPoolUsage(): void {
  KeLogFormat3("mm", "pool: %u pages, %u allocations, %u bytes in use", ExPoolPages, ExPoolAllocationsInUse, ExPoolBytesInUse);
}
