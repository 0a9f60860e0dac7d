// Paging (Mm): the modified page writer, and the faults that bring pages back.
//
// Once a paging file exists (mm/pagefile.ts), private user pages (those
// NtAllocateVirtualMemory committed: the page frame database knows their
// PTE, mm/pfn.ts) are backing-store pages. Under memory pressure the
// modified page writer, a system thread at priority 17 (NT's
// MiModifiedPageWriter runs in the real-time range too), pages them out:
//
//   1. A clock over the page frames picks a victim: a private page mapped
//      valid by exactly one PTE whose accessed bit is clear (a set bit is
//      cleared and the page gets another round).
//   2. Interrupts off (the PFN lock): its PTE becomes a transition PTE (the
//      frame still holds the page; a touch now is a soft fault that makes
//      it valid again, no I/O), a paging-file page is taken, and the writer
//      references the frame and the page table so neither can be reused
//      while it writes.
//   3. The page is written with paging I/O (no lock a fault needs is held:
//      interrupts are on, only MiPagingIoLock, which a fault takes only
//      after it has its frame).
//   4. Interrupts off: if the PTE is still the same transition PTE, it
//      becomes a paging-file PTE and the frame is freed; otherwise the page
//      was touched, decommitted or its process ended in the meantime, and
//      the paging-file page goes back.
//
// A fault on a paging-file PTE (MiResolvePte, called for any not-present
// fault on a user address, from ring 3 or from a kernel access after a
// probe) takes a page (waiting for the writer if none is free), reads the
// page back under MiPagingIoLock (so the paging-file page cannot be given
// to another page while it is read), and, interrupts off, makes the PTE
// valid if it is still the one it read; the paging-file page is freed.
// The lock serialises paging I/O; it is never held while waiting for a page.
//
// Pages for user memory (MiAllocatePageWait) never take the last
// MI_RESERVE_PAGES: pool, page tables and the writer's own IRPs use those,
// and never wait. A user allocation finding none free wakes the writer and
// waits for it; if the writer twice finds nothing to page out, it takes from
// the reserve or fails (STATUS_NO_MEMORY), as before paging.
//
// A fault that must read a page comes with interrupts on from ring 3 and from
// services; a kernel copy made with interrupts off (a CONTEXT copied into a
// shared buffer by ke/except.ts, a service's arguments in KiSystemService)
// has them turned on for the read (MmInPagesInterruptsOff counts those).

import { cli, invlpg, read_eflags, sti } from "../sdk/intrinsics";
import { KEVENT_SIZE, KeInitializeEvent, KeResetEvent, KeSetEvent, KeWaitForSingleObject } from "../ke/wait";
import { KeCreateThread, KeCurrentThread, KeReadyThread } from "../ke/thread";
import {
  MiAllocatePhysicalPageAbove, MiEndManagedPage, MiFirstManagedPage, MiPageOwnerPte, MiPageOwnerVa, MiSetPageOwner,
  MmAllocatePhysicalPage, MmAvailablePages, MmFreePhysicalPage, MmPageToVirtual, MmPhysicalPageReferences,
  MmReferencePhysicalPage, MmTotalCommittedPages, MmVirtualToPage,
} from "./pfn";
import {
  MiIsPageFilePte, MiSetReleasePageFile, MiSetResolvePte, MiSoftwareProtection, MiValidBits, PTE_ACCESSED,
  PTE_PRESENT, PTE_TRANSITION, PTE_USER,
} from "./procmm";
import { MiAllocatePageFileSlot, MiCountPagedOut, MiFreePageFileSlot, MiPageFileIo, MiReleasePagedOut, MmTotalCommitLimit } from "./pagefile";
import { NT_SUCCESS } from "../sdk/ntstatus";

/** Pages user memory never takes: pool, page tables and paging I/O's own allocations do. */
const MI_RESERVE_PAGES: u32 = 48;
/** The writer pages out until this many pages are free. */
const MI_WRITER_GOAL: u32 = MI_RESERVE_PAGES + 64;
/** NT's MiModifiedPageWriter priority (LOW_REALTIME_PRIORITY + 1). */
const MI_WRITER_PRIORITY: u32 = 17;
/** How long a thread waiting for a page sleeps before it looks again (ms). */
const MI_PAGE_WAIT_MS: i64 = 50;

/** Synchronization event: a thread waits for pages (the writer's work). */
const MiWriterEvent: usize = memory.data(<i32>KEVENT_SIZE, 8);
/** Notification event: the writer freed pages, or gave up. */
const MiFreedEvent: usize = memory.data(<i32>KEVENT_SIZE, 8);
/** Synchronization event used as a mutex: held across one page's paging I/O (write or read). */
const MiPagingIoLock: usize = memory.data(<i32>KEVENT_SIZE, 8);
/** MI_PAGE_WAIT_MS in NT units, relative: written once when the writer starts, only read after. */
const MiPageWaitTimeout: usize = memory.data(8, 8);

/** True once a paging file exists and the writer runs. */
export let MiPagingActive: bool = false;
let MiWriterStarting: bool = false;
let MiWriterThread: usize = 0;
/** The clock's hand: the next page frame it looks at. */
let MiClockHand: u32 = 0;
/** The writer pages out until this many pages are free (MI_WRITER_GOAL, or more for a large request). */
let MiWriterWanted: u32 = 0; // MI_WRITER_GOAL from the writer's start (a constant initialiser: the kernel has no start function)
/** Passes of the writer that found nothing to page out. */
let MiWriterFutilePasses: u32 = 0;

/** Statistics: pages written out, read back, and soft faults on transition PTEs. */
export let MmPagesWritten: u32 = 0;
export let MmPagesRead: u32 = 0;
export let MmTransitionFaults: u32 = 0;
/** Page reads done for a fault taken with interrupts off (they were turned on for the read). */
export let MmInPagesInterruptsOff: u32 = 0;

/** Starts the modified page writer (NtCreatePagingFile, for the first paging file). */
export function MiStartModifiedPageWriter(): void {
  const on = (read_eflags() & 0x200) != 0;
  cli();
  const first = !MiWriterStarting;
  MiWriterStarting = true;
  if (first) MiWriterWanted = MI_WRITER_GOAL;
  if (on) sti();
  if (!first) return;
  KeInitializeEvent(MiWriterEvent, false, false);
  KeInitializeEvent(MiFreedEvent, true, false);
  KeInitializeEvent(MiPagingIoLock, false, true);
  store<i64>(MiPageWaitTimeout, -MI_PAGE_WAIT_MS * 10000);
  MiClockHand = MiFirstManagedPage();
  MiSetResolvePte(MiResolvePte);
  MiSetReleasePageFile(MiReleasePagedOut);
  const thread = KeCreateThread(0, MiModifiedPageWriter, 0, MI_WRITER_PRIORITY);
  if (thread == 0) return; // no pool: no paging, as before
  MiWriterThread = thread;
  MiPagingActive = true;
  KeReadyThread(thread);
}

/**
 * A page for user memory, zeroed: without paging, any free page (0 when
 * none); with it, one above the reserve, waiting for the modified page
 * writer when there is none. Called with interrupts on (it may wait).
 */
export function MiAllocatePageWait(): u32 {
  if (!MiPagingActive || KeCurrentThread == MiWriterThread) return MmAllocatePhysicalPage();
  const start = MiWriterFutilePasses;
  while (true) {
    KeResetEvent(MiFreedEvent); // before looking: a page freed after the look sets it again
    const page = MiAllocatePhysicalPageAbove(MI_RESERVE_PAGES);
    if (page != 0) return page;
    if (MiWriterFutilePasses - start >= 2) return MmAllocatePhysicalPage(); // nothing left to page out
    KeSetEvent(MiWriterEvent);
    KeWaitForSingleObject(MiFreedEvent, MiPageWaitTimeout);
  }
}

/**
 * Makes `pages` pages free above the reserve for memory that is not paged
 * (a section's or an image's frames, taken together), waiting for the writer
 * to page out what it can. False when they cannot be had.
 */
export function MiEnsureAvailablePages(pages: u32): bool {
  if (!MiPagingActive || KeCurrentThread == MiWriterThread) return pages <= MmAvailablePages;
  const start = MiWriterFutilePasses;
  while (MmAvailablePages < pages + MI_RESERVE_PAGES) {
    if (MiWriterFutilePasses - start >= 2) return pages <= MmAvailablePages;
    KeResetEvent(MiFreedEvent);
    if (MmAvailablePages >= pages + MI_RESERVE_PAGES) break;
    if (pages + MI_WRITER_GOAL > MiWriterWanted) MiWriterWanted = pages + MI_WRITER_GOAL; // a word: no lock needed
    KeSetEvent(MiWriterEvent);
    KeWaitForSingleObject(MiFreedEvent, MiPageWaitTimeout);
  }
  return true;
}

/**
 * Do `pages` more pages that are not paged (a section's, an image's) stay
 * within the commit limit (physical pages + paging files)? A look, not a
 * charge: those pages are counted once they are taken (mm/pfn.ts).
 */
export function MiCommitFits(pages: u32): bool {
  return pages == 0 || <u64>MmTotalCommittedPages() + <u64>pages <= <u64>MmTotalCommitLimit();
}

/** The modified page writer's thread. */
function MiModifiedPageWriter(context: usize): void {
  while (true) {
    KeWaitForSingleObject(MiWriterEvent, 0);
    let futile = false;
    while (MmAvailablePages < MiWriterWanted) {
      const written = MiWriteOnePage();
      if (written == 0) { futile = true; break; }
      if (written == 1) KeSetEvent(MiFreedEvent);
    }
    if (futile) MiWriterFutilePasses++;
    MiWriterWanted = MI_WRITER_GOAL;
    KeSetEvent(MiFreedEvent);
  }
}

/**
 * The clock (interrupts off): the next private page mapped valid, once,
 * whose accessed bit is clear; a set bit is cleared on the way (the page is
 * looked at again next time round). 0 when two turns found none.
 */
function MiFindVictim(): u32 {
  const first = MiFirstManagedPage(), end = MiEndManagedPage();
  const span = (end - first) << 1;
  let page = MiClockHand;
  for (let n: u32 = 0; n < span; n++, page++) {
    if (page >= end) page = first;
    const pte = MiPageOwnerPte(page);
    if (pte == 0 || MmPhysicalPageReferences(page) != 1) continue;
    const e = load<u32>(pte);
    if ((e & (PTE_PRESENT | PTE_USER)) != (PTE_PRESENT | PTE_USER) || (e >>> 12) != page) continue;
    if ((e & PTE_ACCESSED) != 0) {
      store<u32>(pte, e & ~PTE_ACCESSED);
      invlpg(MiPageOwnerVa(page)); // when its address space is the current one; else no TLB holds it
      continue;
    }
    MiClockHand = page + 1;
    return page;
  }
  MiClockHand = page;
  return 0;
}

/** Pages out one page: 1 when its frame was freed, 2 when it was touched (or freed) meanwhile, 0 when nothing could be written. */
function MiWriteOnePage(): u32 {
  KeWaitForSingleObject(MiPagingIoLock, 0);
  cli();
  const page = MiFindVictim();
  const slot = page != 0 ? MiAllocatePageFileSlot() : 0;
  if (slot == 0) { sti(); KeSetEvent(MiPagingIoLock); return 0; }
  const pte = MiPageOwnerPte(page), va = MiPageOwnerVa(page);
  const valid = load<u32>(pte);
  const protection = MiSoftwareProtection(valid);
  const transition = (page << 12) | PTE_TRANSITION | protection;
  store<u32>(pte, transition);
  invlpg(va);
  const table = MmVirtualToPage(pte);
  MmReferencePhysicalPage(page);  // the frame and its page table stay ours while the write runs
  MmReferencePhysicalPage(table);
  sti();
  const status = MiPageFileIo(slot, true, MmPageToVirtual(page));
  cli();
  let result: u32 = 2;
  if (NT_SUCCESS(status) && load<u32>(pte) == transition) {
    store<u32>(pte, slot | protection);
    MiCountPagedOut(1);
    MmFreePhysicalPage(page); // the PTE's reference
    result = 1;
  } else {
    MiFreePageFileSlot(slot);
    if (load<u32>(pte) == transition) store<u32>(pte, valid); // the write failed: valid again, as it was
  }
  MmFreePhysicalPage(page);
  MmFreePhysicalPage(table);
  if (result == 1) MmPagesWritten++;
  sti();
  KeSetEvent(MiPagingIoLock);
  return result;
}

/**
 * Makes the paged-out page at `pte` (the kernel address of the PTE of user
 * page `va`, in any address space) valid again: a transition PTE at once, a
 * paging-file PTE by reading the page back. True when the PTE is valid at
 * the end (also when another thread got there first); false when it is not
 * paged out, or no page could be had or read. Leaves interrupts as it found
 * them.
 */
function MiResolvePte(pte: usize, va: usize): bool {
  const on = (read_eflags() & 0x200) != 0;
  let result = false;
  cli();
  while (true) {
    const e = load<u32>(pte);
    if ((e & PTE_PRESENT) != 0) { result = true; break; }
    if ((e & PTE_TRANSITION) != 0) {
      store<u32>(pte, (e & 0xFFFFF000) | MiValidBits(e)); // soft fault: the frame never left
      invlpg(va);
      MmTransitionFaults++;
      result = true;
      break;
    }
    if (!MiIsPageFilePte(e)) break;
    if (!on) MmInPagesInterruptsOff++;
    sti(); // a page, then the disk: both wait
    const page = MiAllocatePageWait();
    if (page == 0) { cli(); break; }
    KeWaitForSingleObject(MiPagingIoLock, 0);
    let status: u32 = 0;
    if (load<u32>(pte) == e) status = MiPageFileIo(e, false, MmPageToVirtual(page));
    cli();
    if (NT_SUCCESS(status) && load<u32>(pte) == e) {
      store<u32>(pte, (page << 12) | MiValidBits(e));
      invlpg(va);
      MiSetPageOwner(page, pte, va);
      MiFreePageFileSlot(e);
      MiCountPagedOut(-1);
      MmPagesRead++;
      result = true;
    } else MmFreePhysicalPage(page);
    sti();
    KeSetEvent(MiPagingIoLock);
    cli();
    if (result || !NT_SUCCESS(status)) break;
    // The PTE changed while the page was read (another thread read it, or it was decommitted): look again.
  }
  if (on) sti(); else cli();
  return result;
}
