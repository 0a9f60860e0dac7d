// Address spaces: one page directory per process, the kernel half shared.
//
// NT's 32-bit layout: user space 0x00010000-0x7FFEFFFF (the first 64 KiB is
// never mapped), kernel space from 0x80000000. The kernel half of every page
// directory is a copy of the boot directory's (4 MiB pages mapping physical
// memory at KSEG0_BASE), made when the process is created; the user half
// gets 4 KiB page tables on demand. Page tables and directories are ordinary
// pages of the page frame database, reached through KSEG0.
//
//   PDE/PTE bits: P 0x1, RW 0x2, US 0x4, A 0x20, PS 0x80 (4 MiB page, PDEs only)
//
// A PTE with P clear is the memory manager's (NT's x86 software PTEs,
// MMPTE_SOFTWARE / MMPTE_TRANSITION / MMPTE_PROTOTYPE without PAE):
//
//   31                     12 11 10 9     5 4     1 0
//   +------------------------+--+--+-------+-------+-+
//   | PageFileHigh           | 0| 0| Prot  |PFLow  |0|  paging file: page PageFileHigh (never 0) of paging file PFLow
//   | PageFrameNumber        | 1| 0| Prot  |   0   |0|  transition: the frame still holds the page (being written, or written)
//   | page index in section  | 0| 1| Prot  | slot  |0|  prototype: a page of a segment (mm/segment.ts), not taken by this view yet
//   | PageFrameNumber        | 0| 0|1 (bit 9, ours)|0|  committed PAGE_NOACCESS: the frame is held, no access
//   | 0                      | 0| 0| Prot  |   0   |0|  demand zero: committed, no frame yet (NT's, PageFileHigh 0)
//   +------------------------+--+--+-------+-------+-+
//
// Prot is NT's MM_* protection: MM_READONLY 1, MM_READWRITE 4 (execute is
// read without NX); only these two are written in a paging-file or
// transition PTE, so bit 9 stays clear there and tells the no-access PTE
// apart. A demand-zero PTE may also hold MM_NOACCESS (0x18: bits 8 and 9),
// told from the no-access PTE by its frame number 0 (page 0 is never
// managed). 0 is a page not committed. See mm/paging.ts for who moves a
// page between them.
//
// A private commit (NtAllocateVirtualMemory, mm/virtual.ts) writes
// demand-zero PTEs and takes no page; the first touch (MmAccessFault: a
// fault from ring 3, or a kernel access after a probe) takes a zeroed page,
// makes it the PTE's (MiSetPageOwner: the modified page writer may page it
// out) and runs the access again. The commit charge for those pages was
// taken at the commit (mm/pfn.ts MiChargeCommitment) and goes back with
// the PTE (MiReleasePte).

import { KeSetUserRangeRoutine } from "../ke/probe";
import { KeSetPageFaultRoutines } from "../ke/trap";
import { MmAccessFault, MmGrowUserStack } from "./virtual";
import { MmInitializeSystemInformation } from "./mminfo";
import { MmInitializeAddressSpaceLock } from "./aslock";
import { cli, invlpg, read_cr3, read_eflags, sti, write_cr3 } from "../sdk/intrinsics";
import { KeLog, KeLogBegin, KeLogDecimal, KeLogEnd, KeLogHex, KeLogString } from "../ke/log";
import { KSEG0_BASE } from "../ke/loader";
import { KeSetKernelDirectory } from "../ke/attach";
import {
  MiChargeCommitment, MiPageOwnerPte, MiReturnCommitment, MiSetPageOwner, MmAllocatePhysicalPage, MmAvailablePages, MmFreePhysicalPage, MmPageToVirtual, MmReferencePhysicalPage, MmVirtualToPage,
} from "./pfn";
import { MM_HIGHEST_USER_ADDRESS, MM_LOWEST_USER_ADDRESS, MM_SHARED_USER_DATA_VA, MM_USER_PROBE_ADDRESS } from "../sdk/ntdef";
import { MmSharedUserDataPage } from "./shared";
import { MiAllocatePageWait, MiPagingActive } from "./paging";
import { MmTotalCommitLimit } from "./pagefile";
import { MiDereferenceSegment, MiIsPrototypePte, MiPrototypeSlot, MiReferenceSegment, MiResolvePrototypePte } from "./segment";


export const PTE_PRESENT: u32 = 0x1;
export const PTE_WRITE: u32 = 0x2;
export const PTE_USER: u32 = 0x4;
const PDE_LARGE: u32 = 0x80;
/** A committed PAGE_NOACCESS page (mm/virtual.ts): not present, but its frame is held. */
export const PTE_COMMITTED_NOACCESS: u32 = 0x200;
/** Accessed: the processor sets it on every use; the modified page writer's clock clears it. */
export const PTE_ACCESSED: u32 = 0x20;
/** Software PTE: the page's frame is still in memory (NT's MMPTE_TRANSITION.Transition). */
export const PTE_TRANSITION: u32 = 0x800;
/** Software PTE: a prototype PTE (NT's MMPTE_PROTOTYPE.Prototype): a segment's page (mm/segment.ts). */
export const PTE_PROTOTYPE: u32 = 0x400;
/** NT's protection codes in bits 5-9 of a software PTE. */
export const MM_READONLY: u32 = 1;
export const MM_READWRITE: u32 = 4;
/** NT's MM_NOACCESS (MM_GUARD_PAGE | MM_NOCACHE): written only in a demand-zero PTE. */
export const MM_NOACCESS: u32 = 0x18;
const PTE_PROTECTION_SHIFT: u32 = 5;
const PTE_PROTECTION_MASK: u32 = 0x1F << PTE_PROTECTION_SHIFT;

/** Does a PTE value hold a frame (valid, transition or committed no-access)? A demand-zero PTE has frame number 0, a prototype PTE none. */
@inline export function MiPteHoldsFrame(e: u32): bool {
  return (e & (PTE_PRESENT | PTE_COMMITTED_NOACCESS | PTE_TRANSITION)) != 0 && (e >>> 12) != 0 && (e & (PTE_PRESENT | PTE_PROTOTYPE)) != PTE_PROTOTYPE;
}
/** Is a PTE value NT's demand-zero PTE: committed, no frame and no paging-file page yet? */
@inline export function MiIsDemandZeroPte(e: u32): bool { return e != 0 && (e & (PTE_PRESENT | PTE_TRANSITION | PTE_PROTOTYPE)) == 0 && (e >>> 12) == 0; }
/** NT's MM_* protection for a Win32 one: PAGE_NOACCESS (1), writable (PAGE_READWRITE 4, PAGE_EXECUTE_READWRITE 0x40), or read. */
@inline export function MiMmProtection(protect: u32): u32 { return protect == 0x01 ? MM_NOACCESS : (protect == 0x04 || protect == 0x40) ? MM_READWRITE : MM_READONLY; }
/** The demand-zero PTE of a page committed with `protect`. */
@inline export function MiDemandZeroPte(protect: u32): u32 { return MiMmProtection(protect) << PTE_PROTECTION_SHIFT; }
/** A software PTE (paging file, transition, demand zero) with its protection replaced by `protect`'s. */
@inline export function MiWithProtection(e: u32, protect: u32): u32 { return (e & ~PTE_PROTECTION_MASK) | (MiMmProtection(protect) << PTE_PROTECTION_SHIFT); }
/** Is a (not present) PTE value a paging-file PTE? */
@inline export function MiIsPageFilePte(e: u32): bool { return (e & (PTE_PRESENT | PTE_COMMITTED_NOACCESS | PTE_TRANSITION | PTE_PROTOTYPE)) == 0 && (e >>> 12) != 0; }
/** Is the page out of the working set (transition or in the paging file): a fault brings it back? */
@inline export function MiIsPagedOutPte(e: u32): bool { return (e & PTE_PRESENT) == 0 && ((e & PTE_TRANSITION) != 0 || MiIsPageFilePte(e)); }
/** The MM_* protection of a software PTE. */
@inline export function MiPteProtection(e: u32): u32 { return (e >>> PTE_PROTECTION_SHIFT) & 0x1F; }
/** Protection bits for a software PTE made from a valid one. */
@inline export function MiSoftwareProtection(valid: u32): u32 { return ((valid & PTE_WRITE) != 0 ? MM_READWRITE : MM_READONLY) << PTE_PROTECTION_SHIFT; }
/** The valid PTE bits (frame not included) a software PTE's protection gives back. */
@inline export function MiValidBits(e: u32): u32 { return PTE_PRESENT | PTE_USER | (MiPteProtection(e) == MM_READWRITE ? PTE_WRITE : 0); }

/**
 * Resolves a paged-out PTE (mm/paging.ts, set at boot): makes the page at
 * `pte` (kernel address of the PTE of user address `va`) valid again.
 * False when the PTE is not paged out or the page cannot be read back.
 */
export type MI_RESOLVE_PTE = (pte: usize, va: usize) => bool;
let MiResolveRoutine: usize = 0;
export function MiSetResolvePte(routine: MI_RESOLVE_PTE): void { MiResolveRoutine = changetype<usize>(routine); }
export function MiResolvePagedOut(pte: usize, va: usize): bool {
  return MiResolveRoutine != 0 && changetype<MI_RESOLVE_PTE>(MiResolveRoutine)(pte, va);
}
const KERNEL_PDE_FIRST: u32 = 512;

/** Physical address of the boot (system process) page directory. */
export let MmKernelDirectory: u32 = 0;

/** Phase 0: remember the boot directory and drop its identity map of the first 4 MiB (address 0 must fault). */
export function MmInitializeAddressSpaces(): void {
  MmInitializeAddressSpaceLock();
  MmKernelDirectory = read_cr3() & 0xFFFFF000;
  KeSetKernelDirectory(MmKernelDirectory); // a thread of no process detaches to it (ke/attach.ts)
  KeSetUserRangeRoutine(MmIsUserRangeAccessible);          // the probes' page walk (ke/probe.ts)
  KeSetPageFaultRoutines(MmAccessFault, MmGrowUserStack);  // user page faults: paged out, or the stack to grow (ke/trap.ts)
  MmInitializeSystemInformation();                         // NtQuerySystemInformation's memory figures (mm/mminfo.ts)
  store<u32>(KSEG0_BASE + MmKernelDirectory, 0);
  write_cr3(MmKernelDirectory);
  KeLog("mm", "address spaces: user 0x00010000-0x7FFEFFFF, kernel from 0x80000000; address 0 unmapped");
}

@inline function directory(pd: u32): usize { return KSEG0_BASE + pd; }

/** A new address space: a page directory with the kernel half. Returns its physical address, 0 when out of memory. */
export function MmCreateProcessAddressSpace(): u32 {
  const page = MmAllocatePhysicalPage();
  if (page == 0) return 0;
  const pd = page << 12;
  memory.copy(directory(pd) + KERNEL_PDE_FIRST * 4, directory(MmKernelDirectory) + KERNEL_PDE_FIRST * 4, KERNEL_PDE_FIRST * 4);
  // SharedUserData, read-only for ring 3: one more reference on its frame per address space.
  if (MmSharedUserDataPage != 0) {
    const pte = MiPteAddress(pd, MM_SHARED_USER_DATA_VA, true);
    if (pte == 0) { MmFreePhysicalPage(page); return 0; }
    MmReferencePhysicalPage(MmSharedUserDataPage);
    store<u32>(pte, (MmSharedUserDataPage << 12) | PTE_PRESENT | PTE_USER);
  }
  return pd;
}

/** The PTE address for `va` in `pd`, creating its page table when `create`; 0 when absent (or out of memory). */
function MiPteAddress(pd: u32, va: usize, create: bool): usize {
  const pde = directory(pd) + ((va >>> 22) << 2);
  let e = load<u32>(pde);
  if ((e & PTE_PRESENT) == 0) {
    if (!create) return 0;
    const page = MmAllocatePhysicalPage();
    if (page == 0) return 0;
    e = (page << 12) | PTE_PRESENT | PTE_WRITE | PTE_USER;
    store<u32>(pde, e);
  }
  if ((e & PDE_LARGE) != 0) return 0;
  return KSEG0_BASE + (e & 0xFFFFF000) + (((va >>> 12) & 1023) << 2);
}

/** Maps physical `page` at user address `va` in `pd`. False when out of memory or `va` is not a user address. */
export function MmMapUserPage(pd: u32, va: usize, page: u32, writable: bool): bool {
  if (va < MM_LOWEST_USER_ADDRESS || va > MM_HIGHEST_USER_ADDRESS) return false;
  const pte = MiPteAddress(pd, va, true);
  if (pte == 0) return false;
  store<u32>(pte, (page << 12) | PTE_PRESENT | PTE_USER | (writable ? PTE_WRITE : 0));
  if ((read_cr3() & 0xFFFFF000) == pd) invlpg(va);
  return true;
}

/** Commits fresh zeroed pages over [va, va + bytes) in `pd`. Returns the kernel address of the first page's frame mapping, or 0. */
export function MmCommitUserPages(pd: u32, va: usize, bytes: u32, writable: bool): bool {
  const first = va & ~4095;
  const end = (va + bytes + 4095) & ~4095;
  for (let a = first; a < end; a += 4096) {
    if (MmUserPageFrame(pd, a) != 0) continue;
    const page = MiAllocatePageWait();
    if (page == 0 || !MmMapUserPage(pd, a, page, writable)) return false;
  }
  return true;
}

/** The physical page behind user address `va` in `pd`, 0 when not mapped. */
export function MmUserPageFrame(pd: u32, va: usize): u32 {
  const pte = MiPteAddress(pd, va, false);
  if (pte == 0) return 0;
  let e = load<u32>(pte);
  if (MiIsPagedOutPte(e) && MiResolvePagedOut(pte, va)) e = load<u32>(pte); // paged out: read back first
  if (MiIsDemandZeroPte(e) && MiResolveDemandZero(pte, va & ~4095)) e = load<u32>(pte); // not touched yet: its page now
  if (MiIsPrototypePte(e) && MiResolvePrototypePte(pte, va & ~4095)) e = load<u32>(pte); // a section's page: the segment's frame
  return (e & PTE_PRESENT) != 0 ? e >>> 12 : 0;
}

/** One mm: line when a user page cannot be had (the fault or commit fails with it): what, where, and the free pages. */
export function MiLogNoPage(what: string, va: usize): void {
  KeLogBegin("mm");
  KeLogString("no page for a ");
  KeLogString(what);
  KeLogString(" at ");
  KeLogHex(<u32>va);
  KeLogString(" (");
  KeLogDecimal(MmAvailablePages);
  KeLogString(" pages free)");
  KeLogEnd();
}

/**
 * The first touch of a demand-zero page (the PTE at `pte`, kernel address,
 * of user page `va`, in any address space): a zeroed page, owned by the PTE
 * so the modified page writer may page it out, and the PTE valid with the
 * protection it kept. True when the PTE is valid at the end (also when
 * another thread made it so first); false for a PAGE_NOACCESS page, a PTE
 * that is not demand-zero (any more), or no page. With a paging file the
 * page may have to wait for the writer: interrupts are turned on for that
 * (as for a page read back) and left as they were found.
 */
export function MiResolveDemandZero(pte: usize, va: usize): bool {
  const on = (read_eflags() & 0x200) != 0;
  // The page table stays while this waits: the address space may be deleted meanwhile (an attached copy).
  const table = MmVirtualToPage(pte);
  MmReferencePhysicalPage(table);
  let result = false;
  while (true) {
    const e = load<u32>(pte);
    if ((e & PTE_PRESENT) != 0) { result = true; break; }
    if (!MiIsDemandZeroPte(e) || MiPteProtection(e) == MM_NOACCESS) break;
    if (MiPagingActive) sti(); // MiAllocatePageWait may wait for the writer
    const page = MiAllocatePageWait();
    if (page == 0) { MiLogNoPage("demand-zero fault", va); break; }
    cli();
    if (load<u32>(pte) == e) {
      store<u32>(pte, (page << 12) | MiValidBits(e));
      MiSetPageOwner(page, pte, va);
      invlpg(va);
      result = true;
    } else MmFreePhysicalPage(page); // changed meanwhile (another thread's touch, a new protection, a decommit): look again
    if (on) sti();
    if (result) break;
  }
  if (on) sti(); else cli();
  MmFreePhysicalPage(table);
  return result;
}

/** Copies `bytes` from kernel memory into user range `va` of `pd` (pages must be committed). */
export function MmCopyToUser(pd: u32, va: usize, source: usize, bytes: u32): bool {
  let done: u32 = 0;
  while (done < bytes) {
    const a = va + done;
    const frame = MmUserPageFrame(pd, a);
    if (frame == 0) return false;
    const offset = <u32>(a & 4095);
    let chunk: u32 = 4096 - offset;
    if (chunk > bytes - done) chunk = bytes - done;
    memory.copy(MmPageToVirtual(frame) + offset, source + done, chunk);
    done += chunk;
  }
  return true;
}

/**
 * Is [address, address + length) user memory the current process may read
 * (or write)? The probe every system service runs on a user pointer.
 */
export function MmIsUserRangeAccessible(address: usize, length: u32, write: bool): bool {
  if (length == 0) return true;
  const end = address + length;
  if (end < address || end > MM_USER_PROBE_ADDRESS || address < MM_LOWEST_USER_ADDRESS) return false;
  const pd = read_cr3() & 0xFFFFF000;
  for (let a = address & ~4095; a < end; a += 4096) {
    const pte = MiPteAddress(pd, a, false);
    if (pte == 0) return false;
    const e = load<u32>(pte);
    if (MiIsPagedOutPte(e) || MiIsDemandZeroPte(e) || MiIsPrototypePte(e)) {
      // Paged out, or not touched yet: the access brings it in (a fault the handler resolves).
      if (MiPteProtection(e) == MM_NOACCESS || (write && MiPteProtection(e) != MM_READWRITE)) return false;
      continue;
    }
    if ((e & (PTE_PRESENT | PTE_USER)) != (PTE_PRESENT | PTE_USER)) return false;
    if (write && (e & PTE_WRITE) == 0) return false;
  }
  return true;
}

/**
 * Frees every user page, page table and the directory of an address space
 * (not the current one). A page is freed by dropping this mapping's
 * reference: a frame a section or another process also maps stays theirs.
 */
export function MmDeleteProcessAddressSpace(pd: u32): void {
  const dir = directory(pd);
  for (let i: u32 = 0; i < KERNEL_PDE_FIRST; i++) {
    const e = load<u32>(dir + (i << 2));
    if ((e & PTE_PRESENT) == 0) continue;
    const table = KSEG0_BASE + (e & 0xFFFFF000);
    for (let j: u32 = 0; j < 1024; j++) {
      const p = load<u32>(table + (j << 2));
      if (p == 0) continue;
      // Cleared as it goes: the modified page writer compares a PTE it is writing out before it changes it.
      MiReleasePte(table + (j << 2), p);
    }
    MmFreePhysicalPage(e >>> 12);
  }
  MmFreePhysicalPage(pd >>> 12);
}

/**
 * Releases what a user PTE holds and clears it, interrupts off (the
 * modified page writer changes PTEs with interrupts off): a frame's
 * reference (valid, transition, no-access) or a paging-file page. A private
 * page's commit charge goes back with it: a demand-zero or paging-file PTE,
 * or a frame this PTE owns (MiSetPageOwner); a view's, an image's or a
 * page Ps committed for a new process was never charged.
 */
export function MiReleasePte(pte: usize, e: u32): void {
  const f = read_eflags() & 0x200; cli();
  const now = load<u32>(pte); // the writer may have changed it since the caller read it
  store<u32>(pte, 0);
  if (MiPteHoldsFrame(now)) {
    if (MiPageOwnerPte(now >>> 12) == pte) MiReturnCommitment(1);
    MmFreePhysicalPage(now >>> 12);
  } else if (MiIsPageFilePte(now)) {
    MiReleasePageFileRoutineCall(now);
    MiReturnCommitment(1);
  } else if (MiIsDemandZeroPte(now)) MiReturnCommitment(1);
  else if (MiIsPrototypePte(now)) MiDereferenceSegment(MiPrototypeSlot(now));
  if (f != 0) sti();
}

/** Frees a paging-file page (mm/pagefile.ts registers it: this file is below the paging file's I/O). */
export type MI_RELEASE_PAGEFILE = (e: u32) => void;
let MiReleasePageFileRoutine: usize = 0;
export function MiSetReleasePageFile(routine: MI_RELEASE_PAGEFILE): void { MiReleasePageFileRoutine = changetype<usize>(routine); }
function MiReleasePageFileRoutineCall(e: u32): void { if (MiReleasePageFileRoutine != 0) changetype<MI_RELEASE_PAGEFILE>(MiReleasePageFileRoutine)(e); }

/**
 * Copies the user half of address space `from` into `to` (a new, empty one)
 * for the regions [start, end) listed by the caller: private pages are
 * copied (the child gets its own), pages of mapped views (`shared`) are
 * mapped to the same frames. False when memory runs out.
 */
export function MmCloneUserRange(from: u32, to: u32, start: usize, end: usize, shared: bool): bool {
  for (let va = start; va < end; va += 4096) {
    const source = MiPteAddress(from, va, false);
    if (source == 0) continue;
    let e = load<u32>(source);
    if (MiIsPagedOutPte(e) && MiResolvePagedOut(source, va)) e = load<u32>(source); // the parent's page, read back first
    if (MiIsPrototypePte(e) && shared) {
      // A view's page not taken yet: the child's PTE names the same segment page.
      const proto = MiPteAddress(to, va, true);
      if (proto == 0) return false;
      MiReferenceSegment(MiPrototypeSlot(e));
      store<u32>(proto, e);
      continue;
    }
    if (MiIsDemandZeroPte(e)) {
      // Not touched: the child's page is demand-zero too, and charged as the parent's was.
      const zero = MiPteAddress(to, va, true);
      if (zero == 0 || !MiChargeCommitment(1, MmTotalCommitLimit())) return false;
      store<u32>(zero, e);
      continue;
    }
    if ((e & (PTE_PRESENT | PTE_COMMITTED_NOACCESS)) == 0 || (e >>> 12) == 0 || MiIsPrototypePte(e)) continue;
    const target = MiPteAddress(to, va, true);
    if (target == 0) return false;
    const page = shared ? 0 : MmAllocatePhysicalPage(); // before interrupts go off: it may wait for the writer
    if (!shared && page == 0) return false;
    // The parent's PTE again, with interrupts off to the copy's end: the modified page writer may have
    // taken the page out meanwhile, and a frame must not be referenced or read after it was freed.
    const f = read_eflags() & 0x200; cli();
    e = load<u32>(source);
    const resident = (e & (PTE_PRESENT | PTE_COMMITTED_NOACCESS)) != 0 && (e >>> 12) != 0 && !MiIsPrototypePte(e);
    if (resident && shared) {
      MmReferencePhysicalPage(e >>> 12);
      store<u32>(target, e);
    } else if (resident) {
      memory.copy(MmPageToVirtual(page), MmPageToVirtual(e >>> 12), 4096);
      store<u32>(target, (page << 12) | (e & 0xFFF));
    }
    if (f != 0) sti();
    if (!resident) {
      if (page != 0) MmFreePhysicalPage(page);
      if (MiIsPagedOutPte(e)) va -= 4096; // paged out in between: read it back and copy it again
    }
  }
  return true;
}

/** Switches to address space `pd` (a no-op when it is current). */
export function MmSwitchAddressSpace(pd: u32): void {
  if ((read_cr3() & 0xFFFFF000) != pd) write_cr3(pd);
}
