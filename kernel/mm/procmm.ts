// Address spaces: one page directory per process, the kernel half shared.
//
// NT's 32-bit layout: user space 0x00010000-0x7FFEFFFF (the first 64 KiB is
// never mapped), kernel space from 0x80000000. The kernel half of every page
// directory is a copy of the boot directory's (4 MiB pages mapping physical
// memory at KSEG0_BASE), made when the process is created; the user half
// gets 4 KiB page tables on demand. Page tables and directories are ordinary
// pages of the page frame database, reached through KSEG0.
//
//   PDE/PTE bits: P 0x1, RW 0x2, US 0x4, PS 0x80 (4 MiB page, PDEs only)

import { invlpg, read_cr3, write_cr3 } from "../sdk/intrinsics";
import { KeLogBegin, KeLogEnd, KeLogString } from "../ke/log";
import { KSEG0_BASE } from "../ke/loader";
import { KeSetKernelDirectory } from "../ke/attach";
import { MmAllocatePhysicalPage, MmFreePhysicalPage, MmPageToVirtual, MmReferencePhysicalPage } from "./pfn";
import { MM_HIGHEST_USER_ADDRESS, MM_LOWEST_USER_ADDRESS, MM_SHARED_USER_DATA_VA, MM_USER_PROBE_ADDRESS } from "../sdk/ntdef";
import { MmSharedUserDataPage } from "./shared";


export const PTE_PRESENT: u32 = 0x1;
export const PTE_WRITE: u32 = 0x2;
export const PTE_USER: u32 = 0x4;
const PDE_LARGE: u32 = 0x80;
/** A committed PAGE_NOACCESS page (mm/virtual.ts): not present, but its frame is held. */
export const PTE_COMMITTED_NOACCESS: u32 = 0x200;
const KERNEL_PDE_FIRST: u32 = 512;

/** Physical address of the boot (system process) page directory. */
export let MmKernelDirectory: u32 = 0;

/** Phase 0: remember the boot directory and drop its identity map of the first 4 MiB (address 0 must fault). */
export function MmInitializeAddressSpaces(): void {
  MmKernelDirectory = read_cr3() & 0xFFFFF000;
  KeSetKernelDirectory(MmKernelDirectory); // a thread of no process detaches to it (ke/attach.ts)
  store<u32>(KSEG0_BASE + MmKernelDirectory, 0);
  write_cr3(MmKernelDirectory);
  KeLogBegin("mm");
  KeLogString("address spaces: user 0x00010000-0x7FFEFFFF, kernel from 0x80000000; address 0 unmapped");
  KeLogEnd();
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
    const page = MmAllocatePhysicalPage();
    if (page == 0 || !MmMapUserPage(pd, a, page, writable)) return false;
  }
  return true;
}

/** The physical page behind user address `va` in `pd`, 0 when not mapped. */
export function MmUserPageFrame(pd: u32, va: usize): u32 {
  const pte = MiPteAddress(pd, va, false);
  if (pte == 0) return 0;
  const e = load<u32>(pte);
  return (e & PTE_PRESENT) != 0 ? e >>> 12 : 0;
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
      if ((p & (PTE_PRESENT | PTE_COMMITTED_NOACCESS)) != 0) MmFreePhysicalPage(p >>> 12);
    }
    MmFreePhysicalPage(e >>> 12);
  }
  MmFreePhysicalPage(pd >>> 12);
}

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
    const e = load<u32>(source);
    if ((e & (PTE_PRESENT | PTE_COMMITTED_NOACCESS)) == 0) continue;
    const target = MiPteAddress(to, va, true);
    if (target == 0) return false;
    if (shared) {
      MmReferencePhysicalPage(e >>> 12);
      store<u32>(target, e);
    } else {
      const page = MmAllocatePhysicalPage();
      if (page == 0) return false;
      memory.copy(MmPageToVirtual(page), MmPageToVirtual(e >>> 12), 4096);
      store<u32>(target, (page << 12) | (e & 0xFFF));
    }
  }
  return true;
}

/** Switches to address space `pd` (a no-op when it is current). */
export function MmSwitchAddressSpace(pd: u32): void {
  if ((read_cr3() & 0xFFFFF000) != pd) write_cr3(pd);
}
