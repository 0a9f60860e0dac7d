// Segments: the pages of a pagefile-backed data section, taken on first
// touch (NT's segment and its prototype PTEs).
//
// A data section of MI_SEGMENT_MIN_PAGES pages or more (mm/section.ts) gets
// a segment instead of frames taken whole at its creation: a pool block
// with a frame number per page, 0 until a view's page is first touched. A
// view maps such a page with a prototype PTE (mm/procmm.ts draws it):
// bit 10 set, the segment's slot in bits 1-4, the view's MM_* protection in
// 5-9 and the page's index in the section in 12-31. NT's prototype PTE
// holds the address of the prototype PTE itself; here the slot and the
// index name it, from a table of MI_SEGMENT_SLOTS segments (a section made
// while every slot is taken gets its frames at once, as before).
//
// The first touch of such a page (MiResolvePrototypePte: a fault from ring
// 3, a kernel access after a probe, Ps writing into a process) takes a
// zeroed page into the segment if no view took it yet, and makes the PTE a
// valid one holding a reference on the frame, as the PTE of every view of
// a section's frame does. A segment lives while its section object or a
// prototype PTE names it (its reference count, changed with interrupts
// off); when the last goes, its frames' references and its commit charge
// go back. Its pages are charged when it is made (NT charges a
// pagefile-backed section's commitment at its creation), and the frames it
// holds are counted as charged, not again as pages in use (mm/pfn.ts
// MiCountSegmentFrames). Its frames are not paged.
//
//   segment (pool 'MmSg'): +0 references  +4 pages  +8 frames taken
//                          +12 the frame numbers, a u32 each (0: not taken yet)

import { cli, invlpg, read_eflags, sti } from "../sdk/intrinsics";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { MiChargeCommitment, MiCountSegmentFrames, MiReturnCommitment, MmFreePhysicalPage, MmReferencePhysicalPage } from "./pfn";
import { MiAllocatePageWait, MiPagingActive } from "./paging";
import { MmTotalCommitLimit } from "./pagefile";

/** Smaller data sections get their frames at creation: a segment is for what is mostly never touched. */
export const MI_SEGMENT_MIN_PAGES: u32 = 16;
/** Slots of the segment table: the prototype PTE has four bits for one. */
const MI_SEGMENT_SLOTS: u32 = 16;
const SEGMENT_TAG: u32 = 0x67536D4D; // 'MmSg'
const SEG_REFERENCES: u32 = 0;
const SEG_PAGES: u32 = 4;
const SEG_TAKEN: u32 = 8;
const SEG_FRAMES: u32 = 12;

/** Software PTE bit 10: a prototype PTE (NT's MMPTE_PROTOTYPE.Prototype). */
const PTE_PROTOTYPE: u32 = 0x400;
const PTE_PRESENT: u32 = 0x1;
const PTE_WRITE: u32 = 0x2;
const PTE_USER: u32 = 0x4;
const MM_READWRITE: u32 = 4;
const MM_NOACCESS: u32 = 0x18;

/** The segments, by slot (0: free). */
const MiSegmentTable: usize = memory.data(MI_SEGMENT_SLOTS * 4, 4);

@inline function MiLock(): u32 { const f = read_eflags() & 0x200; cli(); return f; }
@inline function MiUnlock(f: u32): void { if (f != 0) sti(); }

/** Is a PTE value a prototype PTE? */
@inline export function MiIsPrototypePte(e: u32): bool { return (e & (PTE_PRESENT | PTE_PROTOTYPE)) == PTE_PROTOTYPE; }

/**
 * A segment of `pages` pages, charged to the commit: its slot + 1, 0 when
 * every slot is taken or there is no pool (make the frames at once then),
 * 0xFFFFFFFF past the commit limit.
 */
export function MiCreateSegment(pages: u32): u32 {
  const segment = ExAllocatePoolWithTag(NonPagedPool, SEG_FRAMES + (pages << 2), SEGMENT_TAG);
  if (segment == 0) return 0;
  memory.fill(segment, 0, SEG_FRAMES + (pages << 2));
  store<u32>(segment, 1, SEG_REFERENCES); // the section's
  store<u32>(segment, pages, SEG_PAGES);
  const f = MiLock();
  let slot: u32 = 0;
  while (slot < MI_SEGMENT_SLOTS && load<usize>(MiSegmentTable + (slot << 2)) != 0) slot++;
  let result: u32 = 0;
  if (slot < MI_SEGMENT_SLOTS) {
    if (MiChargeCommitment(pages, MmTotalCommitLimit())) {
      store<usize>(MiSegmentTable + (slot << 2), segment);
      result = slot + 1;
    } else result = 0xFFFFFFFF;
  }
  MiUnlock(f);
  if (result == 0 || result == 0xFFFFFFFF) ExFreePoolWithTag(segment, SEGMENT_TAG);
  return result;
}

/** A reference on the segment in `slot` (a prototype PTE copied, a fault at work). */
export function MiReferenceSegment(slot: u32): void {
  const f = MiLock();
  const segment = load<usize>(MiSegmentTable + (slot << 2));
  if (segment != 0) store<u32>(segment, load<u32>(segment, SEG_REFERENCES) + 1, SEG_REFERENCES);
  MiUnlock(f);
}

/** Drops a reference; the last one gives back the frames' references, the charge and the slot. */
export function MiDereferenceSegment(slot: u32): void {
  const f = MiLock();
  const segment = load<usize>(MiSegmentTable + (slot << 2));
  if (segment != 0) {
    const left = load<u32>(segment, SEG_REFERENCES) - 1;
    store<u32>(segment, left, SEG_REFERENCES);
    if (left == 0) {
      const pages = load<u32>(segment, SEG_PAGES);
      for (let i: u32 = 0; i < pages; i++) {
        const frame = load<u32>(segment + SEG_FRAMES + (i << 2));
        if (frame != 0) MmFreePhysicalPage(frame); // a view still mapping it keeps its own reference
      }
      MiCountSegmentFrames(-<i32>load<u32>(segment, SEG_TAKEN));
      MiReturnCommitment(pages);
      store<usize>(MiSegmentTable + (slot << 2), 0);
      ExFreePoolWithTag(segment, SEGMENT_TAG);
    }
  }
  MiUnlock(f);
}

/** The prototype PTE of page `index` of the segment in `slot`, for a view mapped with MM_* protection `mm`. */
@inline export function MiMakePrototypePte(slot: u32, index: u32, mm: u32): u32 {
  return (index << 12) | PTE_PROTOTYPE | (mm << 5) | (slot << 1);
}
/** The segment slot a prototype PTE names. */
@inline export function MiPrototypeSlot(e: u32): u32 { return (e >>> 1) & 0xF; }

/**
 * Makes the prototype PTE at `pte` (kernel address of the PTE of user page
 * `va`, any address space) valid: the segment's frame for the page, taken
 * now (zeroed) when no view took it yet, referenced by the PTE. True when
 * the PTE is valid at the end (also when another thread made it so); false
 * for a PAGE_NOACCESS view, a PTE that is no prototype PTE, or no page.
 * Interrupts are turned on while a page is waited for (paging runs) and
 * left as found.
 */
export function MiResolvePrototypePte(pte: usize, va: usize): bool {
  const on = (read_eflags() & 0x200) != 0;
  cli();
  let result = false;
  let e = load<u32>(pte);
  const slot = MiPrototypeSlot(e);
  const segment = MiIsPrototypePte(e) ? load<usize>(MiSegmentTable + (slot << 2)) : 0;
  if ((e & PTE_PRESENT) != 0) result = true;
  else if (segment != 0) {
    store<u32>(segment, load<u32>(segment, SEG_REFERENCES) + 1, SEG_REFERENCES); // ours, while this works
    while (MiIsPrototypePte(e) && MiPrototypeSlot(e) == slot && ((e >>> 5) & 0x1F) != MM_NOACCESS) {
      const cell = segment + SEG_FRAMES + ((e >>> 12) << 2);
      if ((e >>> 12) >= load<u32>(segment, SEG_PAGES)) break;
      if (load<u32>(cell) == 0) {
        if (MiPagingActive) sti(); // the page may wait for the modified page writer
        const page = MiAllocatePageWait();
        cli();
        if (page == 0) break;
        if (load<u32>(cell) == 0) {
          store<u32>(cell, page);
          store<u32>(segment, load<u32>(segment, SEG_TAKEN) + 1, SEG_TAKEN);
          MiCountSegmentFrames(1);
        } else MmFreePhysicalPage(page); // another view took it meanwhile
      }
      if (load<u32>(pte) == e) {
        const frame = load<u32>(cell);
        MmReferencePhysicalPage(frame);
        const mm = (e >>> 5) & 0x1F;
        store<u32>(pte, (frame << 12) | PTE_PRESENT | PTE_USER | (mm == MM_READWRITE ? PTE_WRITE : 0));
        invlpg(va);
        store<u32>(segment, load<u32>(segment, SEG_REFERENCES) - 1, SEG_REFERENCES); // the prototype PTE's (never the last: ours is held)
        result = true;
        break;
      }
      e = load<u32>(pte); // changed meanwhile (another thread's touch, a new protection, an unmap): look again
      if ((e & PTE_PRESENT) != 0) { result = true; break; }
    }
    MiDereferenceSegment(slot); // ours
  }
  if (on) sti(); else cli();
  return result;
}
