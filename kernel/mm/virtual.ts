// Virtual memory services: NtAllocateVirtualMemory, NtFreeVirtualMemory,
// NtProtectVirtualMemory, NtQueryVirtualMemory.
//
// Each process keeps a list of regions (VADs, sorted by address): what was
// reserved, at which allocation protection. Reservations are 64 KiB aligned
// (NT's allocation granularity); commits are whole pages within a
// reservation. A private commit takes no page: its PTEs become NT's
// demand-zero PTEs (mm/procmm.ts), charged to the commit at once (mm/pfn.ts
// MiChargeCommitment, STATUS_COMMITMENT_LIMIT past the limit), and the first
// touch of each page -- from ring 3, or a kernel access after a probe --
// takes a zeroed page (MmAccessFault). A committed PAGE_NOACCESS page that
// has a frame keeps it with the present bit off and a software bit (PTE bit
// 9) on; one never touched stays demand-zero with NT's MM_NOACCESS.
// Protections: PAGE_NOACCESS 0x01, PAGE_READONLY 0x02, PAGE_READWRITE 0x04,
// PAGE_EXECUTE 0x10, PAGE_EXECUTE_READ 0x20, PAGE_EXECUTE_READWRITE 0x40
// (execute is read on i386 without NX).
//
// A view of a section (mm/section.ts) is a region of type MEM_MAPPED: its
// PTEs share the section's frames, one page reference each, so decommitting
// or deleting an address space drops references rather than freeing. The
// pages of a view or an image belong to their section: NtFreeVirtualMemory
// refuses them (STATUS_UNABLE_TO_DELETE_SECTION, NtUnmapViewOfSection is the
// way), and a view's protection may only change within what it was mapped
// with (STATUS_SECTION_PROTECTION, NT's MiIsPteProtectionCompatible).
// An image view (MEM_IMAGE) is all committed and backed by its file: MEM_COMMIT
// there is STATUS_ALREADY_COMMITTED, as NT says for every file-backed view
// ("only page file backed sections can be committed"); its pages change only
// through NtProtectVirtualMemory, where a page made writable that still maps
// a frame shared with the section gets this process's own copy first
// (copy-on-write, done at once): a write to ntdll.dll's code in one process
// is never seen by another.
//
//   VAD (pool, 24 bytes): +0 links  +8 first byte  +12 end (exclusive)
//                         +16 allocation protection  +20 type (MEM_PRIVATE / MEM_MAPPED / MEM_IMAGE)

import { cli, invlpg, read_cr3, read_eflags, sti } from "../sdk/intrinsics";
import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import { KSEG0_BASE } from "../ke/loader";
import { STACK_GROWN, STACK_NOT_STACK, STACK_OVERFLOW } from "../ke/trap";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { ExChargePoolQuota, ExReturnPoolQuota } from "../ex/quota";
import { MiChargeCommitment, MiSetPageOwner, MmAllocatePhysicalPage, MmFreePhysicalPage, MmPageToVirtual, MmPhysicalPageReferences } from "./pfn";
import {
  PTE_PRESENT, PTE_WRITE, PTE_USER, PTE_COMMITTED_NOACCESS, MM_NOACCESS, MM_READWRITE, MmIsUserRangeAccessible, MiDemandZeroPte, MiIsDemandZeroPte,
  MiIsPagedOutPte, MiLogNoPage, MiPteProtection, MiReleasePte, MiResolveDemandZero, MiResolvePagedOut, MiWithProtection,
} from "./procmm";
import { MiAllocatePageWait, MiEnsureAvailablePages } from "./paging";
import { MmTotalCommitLimit } from "./pagefile";
import { MiIsPrototypePte, MiResolvePrototypePte } from "./segment";
import { KeCurrentThread } from "../ke/thread";
import { InsertTailList, RemoveEntryList } from "../sdk/list";
import { TEB } from "../sdk/peb";
import {
  STATUS_ALREADY_COMMITTED, STATUS_CONFLICTING_ADDRESSES, STATUS_FREE_VM_NOT_AT_BASE,
  STATUS_COMMITMENT_LIMIT, STATUS_INFO_LENGTH_MISMATCH, STATUS_INVALID_HANDLE, STATUS_INVALID_INFO_CLASS,
  STATUS_INVALID_PAGE_PROTECTION, STATUS_INVALID_PARAMETER, STATUS_MEMORY_NOT_ALLOCATED,
  STATUS_NOT_COMMITTED, STATUS_NO_MEMORY, STATUS_SECTION_PROTECTION, STATUS_SUCCESS,
  STATUS_UNABLE_TO_DELETE_SECTION, STATUS_INSUFFICIENT_RESOURCES, STATUS_QUOTA_EXCEEDED,
} from "../sdk/ntstatus";
import {
  MEMORY_BASIC_INFORMATION, SIZEOF_MEMORY_BASIC_INFORMATION, MEM_COMMIT, MEM_DECOMMIT, MEM_FREE, MEM_IMAGE, MEM_MAPPED, MEM_PRIVATE, MEM_RELEASE, MEM_RESERVE, MEM_TOP_DOWN, MM_HIGHEST_USER_ADDRESS, MM_LOWEST_USER_ADDRESS, MM_SHARED_USER_DATA_VA, MM_USER_PROBE_ADDRESS, PAGE_SIZE, PAGE_EXECUTE, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY, PAGE_NOACCESS, PAGE_READONLY, PAGE_READWRITE, PAGE_WRITECOPY,
} from "../sdk/ntdef";
import { TEB_DEALLOCATION_STACK } from "../sdk/peb";



const GRANULARITY: u32 = 0x10000;
const VAD_TAG: u32 = 0x20646156; // 'Vad '

/** The process whose address space a handle names: the current one (-1) until process handles exist. Set by Ps. */
let MiCurrentVadList: usize = 0; // never set: 0 (no regions) until Ps registers its lookup at boot
export type MI_PROCESS_LOOKUP = (handle: u32) => usize;
let MiLookup: usize = 0; // set once at boot (MmSetProcessLookup), read after
/** Ps tells Mm how to find a process's VAD list head from a handle (0 when the handle is bad). */
export function MmSetProcessLookup(lookup: MI_PROCESS_LOOKUP): void { MiLookup = changetype<usize>(lookup); }
export function MiVadListOf(handle: u32): usize { return MiLookup != 0 ? changetype<MI_PROCESS_LOOKUP>(MiLookup)(handle) : MiCurrentVadList; }

@inline export function vadStart(v: usize): usize { return load<usize>(v, 8); }
@inline export function vadEnd(v: usize): usize { return load<usize>(v, 12); }
@inline export function vadProtection(v: usize): u32 { return load<u32>(v, 16); }
@inline export function vadType(v: usize): u32 { return load<u32>(v, 20); }

export function MiValidProtection(protect: u32): bool {
  return protect == PAGE_NOACCESS || protect == PAGE_READONLY || protect == PAGE_READWRITE
    || protect == PAGE_EXECUTE || protect == PAGE_EXECUTE_READ || protect == PAGE_EXECUTE_READWRITE;
}
@inline function MiWritable(protect: u32): bool { return protect == PAGE_READWRITE || protect == PAGE_EXECUTE_READWRITE; }

/**
 * May a page mapped (or a section created) with `old` be given `protect`?
 * NT's MmCompatibleProtectionMask: never more access than `old` grants
 * (write-copy counts as read).
 */
export function MiIsProtectionCompatible(old: u32, protect: u32): bool {
  let mask: u32 = PAGE_NOACCESS;
  if (old == PAGE_READONLY || old == PAGE_WRITECOPY) mask = 0x0B;          // NOACCESS READONLY WRITECOPY
  else if (old == PAGE_READWRITE) mask = 0x0F;                             // ... and READWRITE
  else if (old == PAGE_EXECUTE) mask = 0x11;                               // NOACCESS EXECUTE
  else if (old == PAGE_EXECUTE_READ || old == PAGE_EXECUTE_WRITECOPY) mask = 0xBB; // the read and execute ones
  else if (old == PAGE_EXECUTE_READWRITE) mask = 0xFF;                     // all of them
  return (mask | protect) == mask;
}

/** The region holding `address`, or 0. */
export function MiFindVad(head: usize, address: usize): usize {
  for (let v = load<usize>(head); v != head; v = load<usize>(v)) if (address >= vadStart(v) && address < vadEnd(v)) return v;
  return 0;
}

/** Does [start, end) overlap a region? */
export function MiOverlaps(head: usize, start: usize, end: usize): bool {
  // SharedUserData's page is in every process without a region of its own: nothing else goes there.
  if (start < MM_SHARED_USER_DATA_VA + PAGE_SIZE && end > MM_SHARED_USER_DATA_VA) return true;
  for (let v = load<usize>(head); v != head; v = load<usize>(v)) if (start < vadEnd(v) && end > vadStart(v)) return true;
  return false;
}

// A region's record is pool its process's calls make the kernel keep: it is
// charged to the process's quota (ex/quota.ts) while it exists, so a process
// cannot fill the pool with regions. Ps names the quota block of a region
// list (MmSetVadQuotaRoutine): every list is an EPROCESS's.
function MiNoVadQuota(head: usize): usize { return 0; }
let MiVadQuotaBlock: (head: usize) => usize = MiNoVadQuota;
/** Ps: the quota block of the process whose region list is `head`. */
export function MmSetVadQuotaRoutine(routine: (head: usize) => usize): void { MiVadQuotaBlock = routine; }
/** A region's record: links, start, end, protection, type, the quota block charged (+24). */
const VAD_BYTES: u32 = 28;
/** What one costs its process: the record with its pool header, rounded as the pool rounds. */
const VAD_CHARGE: u32 = (VAD_BYTES + 8 + 7) & ~7;

/** Inserts a region, keeping the list sorted by address. False without pool or past the process's quota. */
export function MmInsertVad(head: usize, start: usize, end: usize, protect: u32, type: u32): bool {
  return MiInsertVadStatus(head, start, end, protect, type) == STATUS_SUCCESS;
}

/**
 * MmInsertVad with the reason it refused: STATUS_QUOTA_EXCEEDED past the
 * process's quota, STATUS_INSUFFICIENT_RESOURCES without pool.
 */
export function MiInsertVadStatus(head: usize, start: usize, end: usize, protect: u32, type: u32): u32 {
  const block = MiVadQuotaBlock(head);
  const charged = ExChargePoolQuota(block, 0, VAD_CHARGE);
  if (charged != STATUS_SUCCESS) return charged;
  const vad = ExAllocatePoolWithTag(NonPagedPool, VAD_BYTES, VAD_TAG);
  if (vad == 0) { ExReturnPoolQuota(block, 0, VAD_CHARGE); return STATUS_INSUFFICIENT_RESOURCES; }
  store<usize>(vad, start, 8); store<usize>(vad, end, 12); store<u32>(vad, protect, 16); store<u32>(vad, type, 20);
  store<usize>(vad, block, 24);
  let at = load<usize>(head);
  while (at != head && vadStart(at) < start) at = load<usize>(at);
  InsertTailList(at, vad); // before `at`
  return STATUS_SUCCESS;
}

/** Takes a region off its list and frees it (its pages are the caller's business). */
export function MiRemoveVad(vad: usize): void {
  RemoveEntryList(vad);
  const block = load<usize>(vad, 24);
  ExFreePoolWithTag(vad, VAD_TAG);
  ExReturnPoolQuota(block, 0, VAD_CHARGE);
}

/** First free 64 KiB-aligned range of `bytes` at or above the lowest user address. */
export function MiFindFreeRange(head: usize, bytes: u32): usize {
  let candidate: usize = MM_LOWEST_USER_ADDRESS;
  for (let v = load<usize>(head); v != head; v = load<usize>(v)) {
    if (candidate + bytes <= vadStart(v)) return candidate;
    const after = (vadEnd(v) + GRANULARITY - 1) & ~(GRANULARITY - 1);
    if (after > candidate) candidate = after;
  }
  return candidate + bytes - 1 <= MM_HIGHEST_USER_ADDRESS && candidate + bytes > candidate ? candidate : 0;
}

// ---- page table entries of the current address space ----

/** The PTE of `va` in the current address space, creating its page table when `create`; 0 when absent. */
export function MiPte(va: usize, create: bool): usize {
  const pd = KSEG0_BASE + (read_cr3() & 0xFFFFF000);
  const pde = pd + ((va >>> 22) << 2);
  let e = load<u32>(pde);
  if ((e & PTE_PRESENT) == 0) {
    if (!create) return 0;
    const page = MmAllocatePhysicalPage();
    if (page == 0) return 0;
    e = (page << 12) | PTE_PRESENT | PTE_WRITE | PTE_USER;
    store<u32>(pde, e);
  }
  return KSEG0_BASE + (e & 0xFFFFF000) + (((va >>> 12) & 1023) << 2);
}

/** Is user page `va` committed? Every PTE but 0 is: valid, no-access, paged out or demand-zero. */
function MiIsCommitted(va: usize): bool {
  const pte = MiPte(va, false);
  return pte != 0 && load<u32>(pte) != 0;
}

/**
 * A page fault on a not-present user address (ring 3, or a kernel access
 * after a probe): true when the page was paged out and is valid again, was
 * demand-zero and has its zeroed page now, or another thread made it valid
 * first (the instruction runs again).
 */
export function MmAccessFault(address: usize): bool {
  if (address >= MM_USER_PROBE_ADDRESS || KeCurrentThread == 0) return false;
  const pte = MiPte(address, false);
  if (pte == 0) return false;
  const e = load<u32>(pte);
  if ((e & (PTE_PRESENT | PTE_USER)) == (PTE_PRESENT | PTE_USER)) return true;
  if (MiIsDemandZeroPte(e)) return MiResolveDemandZero(pte, address & ~4095);
  if (MiIsPrototypePte(e)) return MiResolvePrototypePte(pte, address & ~4095);
  return MiIsPagedOutPte(e) && MiResolvePagedOut(pte, address & ~4095);
}

/**
 * Gives committed page `va` (its PTE at `pte`) the protection `protect`,
 * one change with interrupts off (a fault or the modified page writer may
 * change the PTE at any time): a demand-zero or paged-out PTE keeps its
 * state with the new protection, a frame keeps its frame. A paged-out page
 * made PAGE_NOACCESS is brought back first (a paging-file PTE has no room
 * for MM_NOACCESS beside bit 9). False when it cannot be.
 */
function MiChangeProtection(pte: usize, va: usize, protect: u32): bool {
  for (let tries: u32 = 0; tries < 4; tries++) {
    const f = read_eflags() & 0x200; cli();
    const e = load<u32>(pte);
    let next: u32 = 0;
    if (MiIsDemandZeroPte(e)) next = MiDemandZeroPte(protect);
    else if (MiIsPrototypePte(e)) next = MiWithProtection(e, protect); // a view's page not taken yet: it stays so
    else if ((e & (PTE_PRESENT | PTE_COMMITTED_NOACCESS)) != 0) next = (e & 0xFFFFF000) | MiPteBits(protect);
    else if (MiIsPagedOutPte(e) && protect != PAGE_NOACCESS) next = MiWithProtection(e, protect);
    if (next != 0) { store<u32>(pte, next); invlpg(va); }
    if (f != 0) sti();
    if (next != 0) return true;
    if (!MiIsPagedOutPte(e) || !MiResolvePagedOut(pte, va)) return false;
  }
  return false;
}

export function MiPteBits(protect: u32): u32 {
  if (protect == PAGE_NOACCESS) return PTE_COMMITTED_NOACCESS;
  return PTE_PRESENT | PTE_USER | (MiWritable(protect) ? PTE_WRITE : 0);
}

/** The protection a committed page has now. */
function MiPageProtection(va: usize): u32 {
  const e = load<u32>(MiPte(va, false));
  if (MiIsPagedOutPte(e) || MiIsDemandZeroPte(e) || MiIsPrototypePte(e)) {
    const p = MiPteProtection(e);
    return p == MM_READWRITE ? PAGE_READWRITE : p == MM_NOACCESS ? PAGE_NOACCESS : PAGE_READONLY;
  }
  if ((e & PTE_PRESENT) == 0) return PAGE_NOACCESS;
  return (e & PTE_WRITE) != 0 ? PAGE_READWRITE : PAGE_READONLY;
}


// ---- services ----
//
// The routines below take kernel cells: vmsvc.ts captures the caller's values
// (single fetch) and writes the results back (ExWriteUserUlong).

/** NtAllocateVirtualMemory(ProcessHandle, *BaseAddress, ZeroBits, *RegionSize, AllocationType, Protect). */
export function MiAllocateVirtualMemory(process: u32, baseAddress: usize, zeroBits: u32, regionSize: usize, type: u32, protect: u32): u32 {
  const head = MiVadListOf(process);
  if (head == 0) return STATUS_INVALID_HANDLE;
  if (zeroBits > 21) return STATUS_INVALID_PARAMETER;
  if ((type & ~(MEM_COMMIT | MEM_RESERVE | MEM_TOP_DOWN)) != 0 || (type & (MEM_COMMIT | MEM_RESERVE)) == 0) return STATUS_INVALID_PARAMETER;
  if (!MiValidProtection(protect)) return STATUS_INVALID_PAGE_PROTECTION;
  let base = load<usize>(baseAddress);
  const size = load<u32>(regionSize);
  if (size == 0) return STATUS_INVALID_PARAMETER;
  if (base != 0 && (base < MM_LOWEST_USER_ADDRESS || base > MM_HIGHEST_USER_ADDRESS || base + size - 1 > MM_HIGHEST_USER_ADDRESS || base + size < base)) return STATUS_INVALID_PARAMETER;
  let start: usize, end: usize;
  if ((type & MEM_RESERVE) != 0) {
    // A new reservation: 64 KiB aligned start, whole pages.
    if (base != 0) {
      start = base & ~(GRANULARITY - 1);
      end = (base + size + 4095) & ~4095;
      if (MiOverlaps(head, start, end)) return STATUS_CONFLICTING_ADDRESSES;
    } else {
      const bytes = (size + 4095) & ~4095;
      start = MiFindFreeRange(head, bytes);
      if (start == 0) return STATUS_NO_MEMORY;
      end = start + bytes;
    }
    // Past the process's quota: STATUS_QUOTA_EXCEEDED, as NT's NtAllocateVirtualMemory says (no pool: no memory).
    const inserted = MiInsertVadStatus(head, start, end, protect, MEM_PRIVATE);
    if (inserted != STATUS_SUCCESS) return inserted == STATUS_QUOTA_EXCEEDED ? inserted : STATUS_NO_MEMORY;
  } else {
    // Commit within an existing reservation.
    if (base == 0) return STATUS_INVALID_PARAMETER;
    start = base & ~4095;
    end = (base + size + 4095) & ~4095;
    const vad = MiFindVad(head, start);
    if (vad == 0 || end > vadEnd(vad)) return STATUS_CONFLICTING_ADDRESSES;
    // An image view is committed from its file: a commit would make the section's shared frames this process's to write.
    if (vadType(vad) == MEM_IMAGE && (type & MEM_COMMIT) != 0) return STATUS_ALREADY_COMMITTED;
    // A view's pages are all committed: only their protection can change, within the view's.
    if (vadType(vad) == MEM_MAPPED && !MiIsProtectionCompatible(vadProtection(vad), protect)) return STATUS_SECTION_PROTECTION;
  }
  if ((type & MEM_COMMIT) != 0) {
    const vad = MiFindVad(head, start);
    const status = vadType(vad) == MEM_PRIVATE ? MiCommitPrivate(start, end, protect) : MiCommitView(start, end, protect);
    if (status != STATUS_SUCCESS) {
      if ((type & MEM_RESERVE) != 0) MiRemoveVad(vad); // a new reservation goes with its failed commit
      return status;
    }
  }
  store<usize>(baseAddress, start);
  store<u32>(regionSize, <u32>(end - start));
  return STATUS_SUCCESS;
}

/**
 * Commits [start, end) of a private region of the current address space:
 * its page tables first (the only pages a commit takes), then, interrupts
 * off, the charge for the pages not committed yet and their demand-zero
 * PTEs; pages committed already get the new protection (NT: MEM_COMMIT
 * over committed pages changes only that).
 */
function MiCommitPrivate(start: usize, end: usize, protect: u32): u32 {
  for (let va = start; va < end; va = (va & ~<usize>0x3FFFFF) + 0x400000) {
    if (MiPte(va, true) == 0) { MiLogNoPage("page table of a commit", va); return STATUS_NO_MEMORY; }
  }
  const zero = MiDemandZeroPte(protect);
  const f = read_eflags() & 0x200; cli();
  let wanted: u32 = 0, again: u32 = 0;
  for (let va = start; va < end; va += 4096) if (load<u32>(MiPte(va, false)) == 0) wanted++; else again++;
  if (!MiChargeCommitment(wanted, MmTotalCommitLimit())) { if (f != 0) sti(); return STATUS_COMMITMENT_LIMIT; }
  for (let va = start; va < end; va += 4096) {
    const pte = MiPte(va, false);
    if (load<u32>(pte) == 0) store<u32>(pte, zero); // not present before: no TLB entry to drop
  }
  if (f != 0) sti();
  if (again != 0) {
    for (let va = start; va < end; va += 4096) {
      const pte = MiPte(va, false);
      if (load<u32>(pte) != zero && !MiChangeProtection(pte, va, protect)) return STATUS_NO_MEMORY;
    }
  }
  return STATUS_SUCCESS;
}

/**
 * MEM_COMMIT in a view (its pages are the section's, committed already):
 * only their protection changes, within the view's (checked by the caller).
 */
function MiCommitView(start: usize, end: usize, protect: u32): u32 {
  for (let va = start; va < end; va += 4096) {
    const pte = MiPte(va, true);
    if (pte == 0) return STATUS_NO_MEMORY;
    const e = load<u32>(pte);
    if (e == 0) {
      // Not mapped (never so for a view): a page of its own, as a commit made one before.
      const page = MmAllocatePhysicalPage();
      if (page == 0) return STATUS_NO_MEMORY;
      store<u32>(pte, (page << 12) | MiPteBits(protect));
      invlpg(va);
    } else if (!MiChangeProtection(pte, va, protect)) return STATUS_NO_MEMORY;
  }
  return STATUS_SUCCESS;
}

/** Unmaps [start, end) of the current address space, dropping each committed page's reference (a shared frame stays with its other users). */
export function MiDecommit(start: usize, end: usize): void {
  for (let va = start; va < end; va += 4096) {
    const pte = MiPte(va, false);
    if (pte == 0) continue;
    const e = load<u32>(pte);
    if (e != 0) MiReleasePte(pte, e); // a frame's reference, or a paging-file page
    invlpg(va);
  }
}

/** NtFreeVirtualMemory(ProcessHandle, *BaseAddress, *RegionSize, FreeType). */
export function MiFreeVirtualMemory(process: u32, baseAddress: usize, regionSize: usize, freeType: u32): u32 {
  const head = MiVadListOf(process);
  if (head == 0) return STATUS_INVALID_HANDLE;
  if (freeType != MEM_DECOMMIT && freeType != MEM_RELEASE) return STATUS_INVALID_PARAMETER;
  const base = load<usize>(baseAddress);
  const size = load<u32>(regionSize);
  const vad = MiFindVad(head, base);
  if (vad == 0) return STATUS_MEMORY_NOT_ALLOCATED;
  if (vadType(vad) != MEM_PRIVATE) return STATUS_UNABLE_TO_DELETE_SECTION; // a view or an image: unmap it instead
  let start: usize, end: usize;
  if (freeType == MEM_RELEASE) {
    // The whole reservation, from its base, with a size of 0.
    if (size != 0) return STATUS_INVALID_PARAMETER;
    if (base != vadStart(vad)) return STATUS_FREE_VM_NOT_AT_BASE;
    start = vadStart(vad); end = vadEnd(vad);
    MiDecommit(start, end);
    MiRemoveVad(vad);
  } else {
    start = base & ~4095;
    end = size == 0 ? vadEnd(vad) : (base + size + 4095) & ~4095;
    if (end > vadEnd(vad)) return STATUS_INVALID_PARAMETER;
    MiDecommit(start, end);
  }
  store<usize>(baseAddress, start);
  store<u32>(regionSize, <u32>(end - start));
  return STATUS_SUCCESS;
}

/** Does a committed PTE map a frame someone else references too (an image section's page)? */
function MiIsSharedFrame(e: u32): bool {
  return (e & (PTE_PRESENT | PTE_COMMITTED_NOACCESS)) != 0 && (e >>> 12) != 0 && !MiIsPrototypePte(e) && MmPhysicalPageReferences(e >>> 12) > 1;
}

/** NtProtectVirtualMemory(ProcessHandle, *BaseAddress, *RegionSize, NewProtect, *OldProtect). */
export function MiProtectVirtualMemory(process: u32, baseAddress: usize, regionSize: usize, newProtect: u32, oldProtect: usize): u32 {
  const head = MiVadListOf(process);
  if (head == 0) return STATUS_INVALID_HANDLE;
  if (!MiValidProtection(newProtect)) return STATUS_INVALID_PAGE_PROTECTION;
  const base = load<usize>(baseAddress);
  const size = load<u32>(regionSize);
  const start = base & ~4095;
  const end = (base + size + 4095) & ~4095;
  const vad = MiFindVad(head, start);
  if (vad == 0 || end > vadEnd(vad) || end <= start) return STATUS_CONFLICTING_ADDRESSES;
  if (vadType(vad) == MEM_MAPPED && !MiIsProtectionCompatible(vadProtection(vad), newProtect)) return STATUS_SECTION_PROTECTION;
  for (let va = start; va < end; va += 4096) if (!MiIsCommitted(va)) return STATUS_NOT_COMMITTED;
  const old = MiPageProtection(start);
  // An image page that becomes writable while it maps the section's shared frame (code, read-only
  // data) gets its own copy first: what the loader writes there (relocations, bound imports) is
  // this process's alone, never seen by another view of the same image. Shared means referenced
  // by more than this PTE (the section holds one), whatever the PTE's bits say now: a page made
  // PAGE_NOACCESS keeps the shared frame behind a not-present PTE.
  const privatize = vadType(vad) == MEM_IMAGE && MiWritable(newProtect);
  if (privatize) {
    let wanted: u32 = 0;
    for (let va = start; va < end; va += 4096) if (MiIsSharedFrame(load<u32>(MiPte(va, false)))) wanted++;
    if (!MiEnsureAvailablePages(wanted)) return STATUS_NO_MEMORY;
  }
  for (let va = start; va < end; va += 4096) {
    const pte = MiPte(va, false);
    if (vadType(vad) != MEM_IMAGE) {
      // Private pages (demand-zero, paged out or valid) and views' frames: the PTE changed in one step.
      if (!MiChangeProtection(pte, va, newProtect)) return STATUS_NO_MEMORY;
      continue;
    }
    // An image's pages are never paged or demand-zero: each keeps its frame.
    let e = load<u32>(pte);
    if (privatize && MiIsSharedFrame(e)) {
      const copy = MiAllocatePageWait();
      if (copy == 0) return STATUS_NO_MEMORY;
      memory.copy(MmPageToVirtual(copy), MmPageToVirtual(e >>> 12), 4096);
      MmFreePhysicalPage(e >>> 12); // the view's reference to the shared frame
      e = (copy << 12) | (e & 0xFFF);
    }
    store<u32>(pte, (e & 0xFFFFF000) | MiPteBits(newProtect));
    invlpg(va);
  }
  store<u32>(oldProtect, old);
  store<usize>(baseAddress, start);
  store<u32>(regionSize, <u32>(end - start));
  return STATUS_SUCCESS;
}

/** NtQueryVirtualMemory(ProcessHandle, BaseAddress, MemoryBasicInformation = 0, Buffer, Length, *ResultLength). */
export function MiQueryVirtualMemory(process: u32, address: usize, infoClass: u32, buffer: usize, length: u32, resultLength: usize): u32 {
  const head = MiVadListOf(process);
  if (head == 0) return STATUS_INVALID_HANDLE;
  if (infoClass != 0) return STATUS_INVALID_INFO_CLASS;
  if (length < SIZEOF_MEMORY_BASIC_INFORMATION) return STATUS_INFO_LENGTH_MISMATCH;
  if (address > MM_HIGHEST_USER_ADDRESS) return STATUS_INVALID_PARAMETER;
  const page = address & ~4095;
  const vad = MiFindVad(head, page);
  const info = changetype<MEMORY_BASIC_INFORMATION>(buffer);
  info.BaseAddress = page;
  if (vad == 0 && page == MM_SHARED_USER_DATA_VA) {
    // SharedUserData has no VAD; NT reports its page as one committed, read-only, private page.
    info.AllocationBase = page; info.AllocationProtect = PAGE_READONLY; info.RegionSize = PAGE_SIZE;
    info.State = MEM_COMMIT; info.Protect = PAGE_READONLY; info.Type = MEM_PRIVATE;
  } else if (vad == 0) {
    // A free range: up to the next region, SharedUserData or the end of user space.
    let next: usize = MM_HIGHEST_USER_ADDRESS + 1;
    if (page < MM_SHARED_USER_DATA_VA) next = MM_SHARED_USER_DATA_VA;
    for (let v = load<usize>(head); v != head; v = load<usize>(v)) if (vadStart(v) > page && vadStart(v) < next) next = vadStart(v);
    info.AllocationBase = 0; info.AllocationProtect = 0; info.RegionSize = next - page;
    info.State = MEM_FREE; info.Protect = PAGE_NOACCESS; info.Type = 0;
  } else {
    // The run of pages from `page` with the same state and protection.
    const committed = MiIsCommitted(page);
    const protect = committed ? MiPageProtection(page) : 0;
    let end = page + 4096;
    while (end < vadEnd(vad) && MiIsCommitted(end) == committed && (!committed || MiPageProtection(end) == protect)) end += 4096;
    info.AllocationBase = vadStart(vad); info.AllocationProtect = vadProtection(vad); info.RegionSize = end - page;
    info.State = committed ? MEM_COMMIT : MEM_RESERVE; info.Protect = protect; info.Type = vadType(vad);
  }
  if (resultLength != 0) store<u32>(resultLength, SIZEOF_MEMORY_BASIC_INFORMATION);
  return STATUS_SUCCESS;
}

/** Frees every region descriptor of a process (its pages go with the address space). */
export function MmDeleteVads(head: usize): void {
  while (load<usize>(head) != head) {
    MiRemoveVad(load<usize>(head));
  }
}

// ---- user stacks ----


// What MmGrowUserStack found: STACK_NOT_STACK, STACK_GROWN, STACK_OVERFLOW (ke/trap.ts, which asks).

/**
 * A thread's stack grows as in NT, where a guard page below the committed
 * part turns the first touch into a commit: here a fault on an uncommitted
 * page of the current thread's stack reservation, below its committed part
 * (TEB StackLimit), commits the pages from there up to the limit and lowers
 * StackLimit (STACK_GROWN). The reservation's last page is never committed:
 * a touch there is STACK_OVERFLOW (STATUS_STACK_OVERFLOW for the thread), as
 * in NT. `teb` is the thread's TEB (current address space).
 */
export function MmGrowUserStack(teb: usize, address: usize): u32 {
  const t = changetype<TEB>(teb);
  if (teb == 0 || !MmIsUserRangeAccessible(teb + offsetof<TEB>("NtTib_StackLimit"), 4, true) || !MmIsUserRangeAccessible(teb + TEB_DEALLOCATION_STACK, 4, true)) return STACK_NOT_STACK;
  const limit = t.NtTib_StackLimit, bottom = t.DeallocationStack;
  const page = address & ~4095;
  if (bottom == 0 || page < bottom || page >= limit) return STACK_NOT_STACK;
  const head = MiVadListOf(0xFFFFFFFF);
  const vad = head != 0 ? MiFindVad(head, page) : 0;
  if (vad == 0 || vadType(vad) != MEM_PRIVATE || vadStart(vad) > bottom || vadEnd(vad) < limit) return STACK_NOT_STACK;
  if (page < bottom + 4096) return STACK_OVERFLOW;
  const cells = KeAllocateScratch(8); // the faulting thread's own: two threads' stacks may grow at once
  store<usize>(cells, page);
  store<u32>(cells, <u32>(limit - page), 4);
  const status = MiAllocateVirtualMemory(0xFFFFFFFF, cells, 0, cells + 4, MEM_COMMIT, PAGE_READWRITE);
  KeFreeScratch(cells);
  if (status != STATUS_SUCCESS) return STACK_NOT_STACK;
  t.NtTib_StackLimit = page;
  const pte = MiPte(page, false);
  if (pte != 0) MiResolveDemandZero(pte, page); // the page touched now: no second fault for it
  return STACK_GROWN;
}
