// The page frame database: one entry per physical page of the kernel window.
//
// Built in phase 0 from the usable ranges of the loader's memory map. Pages
// below MM_LOWEST_MANAGED (the real-mode area), the kernel image and its
// static data are never handed out (MmInitializePfnDatabase). Every other usable page
// starts free; MmAllocatePhysicalPage takes one (zeroed), MmFreePhysicalPage
// gives it back. Runs of contiguous pages are available for pool allocations
// larger than a page. All physical memory is visible at KSEG0_BASE + address,
// so a page needs no mapping of its own to be used by the kernel.
//
// Entry (u16): 0 = not RAM or reserved, 1 = free, 2.. = in use (reference
// count + 1). The database lives in static memory sized for the whole window.
//
// A private user page (committed by NtAllocateVirtualMemory) also has its
// owner here, NT's PFN PteAddress: the kernel address of the PTE that maps
// it and the user address (8 bytes per page, from the first managed pages).
// The modified page writer's clock (mm/paging.ts) finds what to page out
// there; the owner is forgotten when the page is freed. The commit charge
// (MmTotalCommittedPages, below) is kept here too, under the same lock.

import { KSEG0_BASE, KSEG0_SIZE, KeLoaderBlock, LOADER_PARAMETER_BLOCK } from "../ke/loader";
import { cli, read_eflags, sti } from "../sdk/intrinsics";
import { KeBugCheckEx, PHASE0_INITIALIZATION_FAILED, MEMORY_MANAGEMENT } from "../ke/bugcheck";
import { KeLogBegin, KeLogDecimal, KeLogEnd, KeLogHex, KeLogString } from "../ke/log";
import { MmPhysicalRangeCount, MmPhysicalRanges } from "./mminit";
import { ExRegisterPoolPages } from "../ex/pool";

/**
 * Below this the allocator manages nothing: the first MiB (real-mode area,
 * BIOS, where loaders put their multiboot information).
 */
export const MM_LOWEST_MANAGED: u32 = 0x00100000;
/** Where the loader puts the image (scripts/wasm2x86/link.ts LOAD_PHYS): its multiboot header is in the first 8 KiB. */
const KERNEL_LOAD_PHYSICAL: u32 = 0x00100000;
const MULTIBOOT_HEADER_MAGIC: u32 = 0x1BADB002;
const MULTIBOOT_HEADER_BSS_END: u32 = 24; // bss_end_addr: the image's end, its .bss (boot page directory, boot stack) included
/** Where the kernel's static data starts (KERNEL_MEMORY_BASE in scripts/build.ts, a contract), physical. */
const KERNEL_DATA_PHYSICAL: u32 = 0x00400000;
const PAGE_SHIFT: u32 = 12;
const MAX_PAGES: u32 = KSEG0_SIZE >>> PAGE_SHIFT;

const PFN_NOT_RAM: u16 = 0;
const PFN_FREE: u16 = 1;

/** Phase 0 step reported in p1 when no page is left to manage. */
const PHASE0_STEP_PFN: u32 = 3;

const MmPfnDatabase: usize = memory.data(<i32>(MAX_PAGES * 2), 4);
/** Pages of RAM the database manages (free or in use). */
export let MmNumberOfManagedPages: u32 = 0;
/** Pages free now. */
export let MmAvailablePages: u32 = 0;
/** Lowest and one-past-highest page number that may be free: the search window. */
let MiLowestPage: u32 = 0;
let MiHighestPage: u32 = 0;
/** Where the next single-page search starts. */
let MiHint: u32 = 0;
/** Owners of private user pages: (PTE address, user address) per page number, 0 when none. */
let MiPfnOwners: usize = 0;

// The database is changed with interrupts off (this uniprocessor kernel's
// PFN lock): a service allocating pages may be preempted by another's.
@inline function MiLockPfnDatabase(): u32 { const f = read_eflags() & 0x200; cli(); return f; }
@inline function MiUnlockPfnDatabase(f: u32): void { if (f != 0) sti(); }

@inline function pfn(page: u32): u16 { return load<u16>(MmPfnDatabase + (page << 1)); }
@inline function setPfn(page: u32, v: u16): void { store<u16>(MmPfnDatabase + (page << 1), v); }

/** Kernel virtual address of a physical page. */
@inline export function MmPageToVirtual(page: u32): usize { return KSEG0_BASE + (page << PAGE_SHIFT); }
/** Physical page of a kernel-window virtual address. */
@inline export function MmVirtualToPage(address: usize): u32 { return <u32>(address - KSEG0_BASE) >>> PAGE_SHIFT; }

/**
 * The end of the kernel image (physical, page aligned): the bss_end_addr of
 * its multiboot header, or the start of its static data when there is no
 * header to read.
 */
function MiKernelImageEnd(): u32 {
  for (let at: u32 = 0; at < 8192; at += 4) {
    const header = KSEG0_BASE + KERNEL_LOAD_PHYSICAL + at;
    const flags = load<u32>(header, 4);
    if (load<u32>(header) == MULTIBOOT_HEADER_MAGIC && load<u32>(header) + flags + load<u32>(header, 8) == 0) {
      if ((flags & 0x10000) == 0) break; // no address fields
      return (load<u32>(header, MULTIBOOT_HEADER_BSS_END) + 4095) & ~4095;
    }
  }
  return KERNEL_DATA_PHYSICAL;
}

/** Takes [first, end) (bytes) out of the free pages again: memory the kernel or the loader holds. */
function MiHoldBack(first: u32, end: u32): void {
  for (let p = first >>> PAGE_SHIFT; p < ((end + 4095) >>> PAGE_SHIFT) && p < MAX_PAGES; p++) {
    if (pfn(p) != PFN_FREE) continue;
    setPfn(p, PFN_NOT_RAM);
    MmNumberOfManagedPages--;
  }
}

/** Bytes the kernel holds back: its image with its .bss, and its static data (its wasm memory, which never grows). */
export let MmKernelHeldBytes: u32 = 0;

/**
 * Builds the database from MmPhysicalRanges; logs what it manages. Every
 * usable page from 1 MiB is managed except what the kernel takes: its image
 * (from 1 MiB to the bss end its multiboot header gives), its static data
 * (from 4 MiB to the end of its wasm memory: the page frame database, the
 * IDT and GDT, ... ; the kernel allocates from pool, never from a wasm heap,
 * and the build lets its memory not grow), and the loader's command line and
 * memory map, which the kernel reads later.
 */
export function MmInitializePfnDatabase(): void {
  MiLowestPage = MAX_PAGES;
  for (let i: u32 = 0; i < MmPhysicalRangeCount; i++) {
    let first = load<u32>(MmPhysicalRanges + (i << 3));
    const bytes = load<u32>(MmPhysicalRanges + (i << 3), 4);
    let end = first + bytes;
    if (end < first || end > KSEG0_SIZE) end = KSEG0_SIZE; // beyond the window: not managed
    if (first < MM_LOWEST_MANAGED) first = MM_LOWEST_MANAGED;
    if (end <= first) continue;
    const p0 = first >>> PAGE_SHIFT, p1 = end >>> PAGE_SHIFT;
    for (let p = p0; p < p1; p++) setPfn(p, PFN_FREE);
    MmNumberOfManagedPages += p1 - p0;
    if (p0 < MiLowestPage) MiLowestPage = p0;
    if (p1 > MiHighestPage) MiHighestPage = p1;
  }
  const imageEnd = MiKernelImageEnd();
  // The static data's end (AssemblyScript's __heap_base, on a 64 KiB page as the module's initial memory,
  // which the build keeps from growing); not memory.size(): a host that runs the kernel as wasm (the
  // wasm-host test) grows the memory to reach all of RAM through KSEG0.
  const dataEnd = <u32>((__heap_base + 0xFFFF) & ~<usize>0xFFFF) - <u32>KSEG0_BASE;
  MiHoldBack(KERNEL_LOAD_PHYSICAL, imageEnd);
  MiHoldBack(KERNEL_DATA_PHYSICAL, dataEnd);
  MmKernelHeldBytes = (imageEnd - KERNEL_LOAD_PHYSICAL) + (dataEnd - KERNEL_DATA_PHYSICAL);
  const block = changetype<LOADER_PARAMETER_BLOCK>(KeLoaderBlock);
  if (block.CommandLine != 0) MiHoldBack(<u32>(block.CommandLine - KSEG0_BASE), <u32>(block.CommandLine - KSEG0_BASE) + 4096); // its page (and the next: it may cross one)
  if (block.MemoryMap != 0) MiHoldBack(<u32>(block.MemoryMap - KSEG0_BASE), <u32>(block.MemoryMap - KSEG0_BASE) + block.MemoryMapLength);
  while (MiLowestPage < MiHighestPage && pfn(MiLowestPage) != PFN_FREE) MiLowestPage++;
  MmAvailablePages = MmNumberOfManagedPages;
  MiHint = MiLowestPage;
  if (MmNumberOfManagedPages == 0) KeBugCheckEx(PHASE0_INITIALIZATION_FAILED, PHASE0_STEP_PFN, MmPhysicalRangeCount, 0, 0);
  const ownerPages = ((MiHighestPage << 3) + 4095) >>> PAGE_SHIFT;
  const owners = MiTakePages(ownerPages);
  if (owners == 0) KeBugCheckEx(PHASE0_INITIALIZATION_FAILED, PHASE0_STEP_PFN, MmPhysicalRangeCount, 1, 0);
  MiPfnOwners = MmPageToVirtual(owners);
  memory.fill(MiPfnOwners, 0, ownerPages << PAGE_SHIFT);
  KeLogBegin("mm");
  KeLogString("page frame database: ");
  KeLogDecimal(MmNumberOfManagedPages);
  KeLogString(" pages (");
  KeLogDecimal(MmNumberOfManagedPages >>> 8);
  KeLogString(" MiB) free from ");
  KeLogHex(MiLowestPage << PAGE_SHIFT);
  KeLogString("; the kernel holds ");
  KeLogDecimal(MmKernelHeldBytes >>> 10);
  KeLogString(" KiB (image to ");
  KeLogHex(imageEnd);
  KeLogString(", data to ");
  KeLogHex(dataEnd);
  KeLogString(")");
  KeLogEnd();
  ExRegisterPoolPages(MmAllocatePhysicalPages, MmFreePhysicalPage); // the pool can have pages from here
}

/** Takes `count` contiguous free pages, zeroed; returns the first page number, or 0 when none. */
export function MmAllocatePhysicalPages(count: u32): u32 {
  const f = MiLockPfnDatabase();
  const first = MiTakePages(count);
  MiUnlockPfnDatabase(f);
  if (first != 0) memory.fill(MmPageToVirtual(first), 0, count << PAGE_SHIFT); // ours now: zeroed outside the lock
  return first;
}

function MiTakePages(count: u32): u32 {
  if (count == 0 || count > MmAvailablePages) return 0;
  // Single pages: start at the hint. Runs: first fit from the bottom.
  let p = count == 1 ? MiHint : MiLowestPage;
  let scanned: u32 = 0;
  const span = MiHighestPage - MiLowestPage;
  let run: u32 = 0;
  while (scanned < span + count) {
    if (p >= MiHighestPage) { p = MiLowestPage; run = 0; }
    if (pfn(p) == PFN_FREE) {
      run++;
      if (run == count) {
        const first = p + 1 - count;
        for (let q = first; q <= p; q++) setPfn(q, 2);
        MmAvailablePages -= count;
        if (count == 1) MiHint = p + 1;
        return first;
      }
    } else run = 0;
    p++;
    scanned++;
  }
  return 0;
}

/** One zeroed page, or 0 when memory is exhausted. */
export function MmAllocatePhysicalPage(): u32 { return MmAllocatePhysicalPages(1); }

/** One zeroed page if more than `reserve` are free (what pool and page tables may still take), else 0. */
export function MiAllocatePhysicalPageAbove(reserve: u32): u32 {
  const f = MiLockPfnDatabase();
  const page = MmAvailablePages > reserve ? MiTakePages(1) : 0;
  MiUnlockPfnDatabase(f);
  if (page != 0) memory.fill(MmPageToVirtual(page), 0, 1 << PAGE_SHIFT);
  return page;
}

/** Records the PTE (kernel address) and user address of a private user page: the writer's clock may page it out. */
export function MiSetPageOwner(page: u32, pte: usize, va: usize): void {
  const f = MiLockPfnDatabase();
  if (load<u32>(MiPfnOwners + (page << 3)) == 0) MiOwnedPages++;
  store<u32>(MiPfnOwners + (page << 3), <u32>pte);
  store<u32>(MiPfnOwners + (page << 3), <u32>va, 4);
  MiUnlockPfnDatabase(f);
}

// ---- the commit charge (NT's MmTotalCommittedPages) ----
//
// A private commit is charged when it is made (NtAllocateVirtualMemory,
// mm/virtual.ts), before any page backs it: demand-zero pages take their
// frames on first touch, and the modified page writer may send them to a
// paging file, so neither the free list nor the paging files show them.
// The charge is checked against the commit limit and raised in one step
// with the PFN lock held, so two commits cannot both pass a check that only
// one fits; it goes back when the page's PTE does (MiReleasePte: decommit,
// release, the process's end).
//
// A data section with a segment (mm/segment.ts) is charged at its creation
// too, and the frames its segment takes later are not counted again.
//
// What is not paged -- pool, page tables, kernel stacks, smaller sections' and
// images' frames, the pages Ps commits for a new process (PEB, TEB, first
// stack) -- is not charged at creation as NT charges some of it: it is
// counted as it is used, every page in use that no private PTE owns. So the
// committed pages are the charge plus those, and what is not paged still
// leaves the private commits only the room it does not hold. (Sections and
// images check that room before they take their frames, MiCommitFits in
// mm/paging.ts, without holding it for themselves.)

/** Pages charged to private commits now (committed by NtAllocateVirtualMemory and not yet released). */
export let MiChargedPages: u32 = 0;
/** Frames a private PTE owns (MiSetPageOwner): counted in MiChargedPages, not as pages in use. */
let MiOwnedPages: u32 = 0;
/** Frames segments hold (mm/segment.ts): their sections' pages were charged at creation. */
let MiSegmentFrames: u32 = 0;

/** A segment took (+) or gave back (-) frames. */
export function MiCountSegmentFrames(delta: i32): void {
  const f = MiLockPfnDatabase();
  MiSegmentFrames += <u32>delta;
  MiUnlockPfnDatabase(f);
}
/** The highest commit charge seen (SystemPerformanceInformation's PeakCommitment). */
export let MmPeakCommitment: u32 = 0;

/** NT's MmTotalCommittedPages: the private charge plus every page in use that is not a private page. */
export function MmTotalCommittedPages(): u32 {
  const f = MiLockPfnDatabase();
  const committed = MiChargedPages + (MmNumberOfManagedPages - MmAvailablePages - MiOwnedPages - MiSegmentFrames);
  if (committed > MmPeakCommitment) MmPeakCommitment = committed;
  MiUnlockPfnDatabase(f);
  return committed;
}

/**
 * Charges `pages` private pages if the committed pages stay within `limit`
 * (the commit limit): the check and the charge in one step, PFN lock held.
 * False (nothing charged) past the limit.
 */
export function MiChargeCommitment(pages: u32, limit: u32): bool {
  const f = MiLockPfnDatabase();
  const committed = <u64>MiChargedPages + <u64>(MmNumberOfManagedPages - MmAvailablePages - MiOwnedPages - MiSegmentFrames);
  const fits = committed + <u64>pages <= <u64>limit;
  if (fits) {
    MiChargedPages += pages;
    if (<u32>committed + pages > MmPeakCommitment) MmPeakCommitment = <u32>committed + pages;
  }
  MiUnlockPfnDatabase(f);
  return fits;
}

/** Gives back the charge of `pages` private pages (their PTEs are gone). */
export function MiReturnCommitment(pages: u32): void {
  const f = MiLockPfnDatabase();
  if (pages > MiChargedPages) KeBugCheckEx(MEMORY_MANAGEMENT, 0x41290, pages, MiChargedPages, 0);
  MiChargedPages -= pages;
  MiUnlockPfnDatabase(f);
}
@inline export function MiPageOwnerPte(page: u32): usize { return <usize>load<u32>(MiPfnOwners + (page << 3)); }
@inline export function MiPageOwnerVa(page: u32): usize { return <usize>load<u32>(MiPfnOwners + (page << 3), 4); }
/** The managed page numbers: [MiFirstManagedPage(), MiEndManagedPage()). */
export function MiFirstManagedPage(): u32 { return MiLowestPage; }
export function MiEndManagedPage(): u32 { return MiHighestPage; }

/** Adds a reference to an allocated page (a page shared by two mappings). */
export function MmReferencePhysicalPage(page: u32): void {
  const f = MiLockPfnDatabase();
  const v = page < MAX_PAGES ? pfn(page) : PFN_NOT_RAM;
  if (v < 2 || v == 0xFFFF) KeBugCheckEx(MEMORY_MANAGEMENT, 0x41284, page, v, 0);
  setPfn(page, v + 1);
  MiUnlockPfnDatabase(f);
}

/** Drops a reference; the page is free again when the last one goes. Bug-checks on a page that is not in use. */
export function MmFreePhysicalPage(page: u32): void {
  const f = MiLockPfnDatabase();
  const v = page < MAX_PAGES ? pfn(page) : PFN_NOT_RAM;
  if (v < 2) KeBugCheckEx(MEMORY_MANAGEMENT, 0x41287, page, v, 0);
  if (v > 2) setPfn(page, v - 1);
  else {
    setPfn(page, PFN_FREE);
    if (load<u32>(MiPfnOwners + (page << 3)) != 0) MiOwnedPages--;
    store<u64>(MiPfnOwners + (page << 3), 0); // no owner any more
    MmAvailablePages++;
    if (page < MiHint) MiHint = page;
  }
  MiUnlockPfnDatabase(f);
}

/** References on a page: 0 when free or not managed. */
export function MmPhysicalPageReferences(page: u32): u32 {
  const v = page < MAX_PAGES ? <u32>pfn(page) : 0;
  return v < 2 ? 0 : v - 1;
}
