// Session space: a kernel range whose page tables belong to a session.
//
// NT x86 puts session space just below the page tables at 0xC0000000
// (session image space 0xBF800000-0xBFFFFFFF, session pool and views below
// it). Our kernel half has physical memory at 0x80000000-0x8FFFFFFF (KSEG0,
// 4 MiB pages) and nothing else above it, no self-map at 0xC0000000; so we
// take the same top 16 MiB below 0xC0000000, four page-directory entries:
//
//   0x80000000 - 0x8FFFFFFF  KSEG0: physical memory, shared by every directory
//   0x90000000 - 0xBEFFFFFF  unused
//   0xBF000000 - 0xBFFFFFFF  session space: PDEs 764-767, per session
//                            (0xBF800000 up: where NT loads win32k.sys)
//
// A session owns four page tables, made with it, so its PDEs never change:
// every process of the session has the same four PDEs in its directory and
// sees the same pages, and a page committed by one process is there for all
// of them at once. Session 0 (System, smss, services) has its own set too;
// the boot directory (the System process's, kernel threads') holds it.
// Nothing in session space is global (no PTE_GLOBAL): a cr3 switch to a
// process of another session forgets the old session's translations.
//
// A page of session space is either private to the session (MmSessionCommit:
// zeroed, one reference) or a frame shared by several sessions
// (MmSessionMapShared: one reference per session that maps it), which is how
// an image's read-only pages are loaded once and mapped in every session
// while each session gets its own writable pages. When a session's last
// process is gone every frame its tables map loses the session's reference
// and the tables are freed (MmSessionDelete).
//
// Ps (ps/pssession.ts) keeps the sessions' processes and object directories;
// this file keeps the address space. The session list changes with
// interrupts off (a uniprocessor kernel's lock).

import { KeBugCheckEx, MEMORY_MANAGEMENT } from "../ke/bugcheck";
import { KSEG0_BASE } from "../ke/loader";
import { cli, invlpg, read_cr3, read_eflags, sti, write_cr3 } from "../sdk/intrinsics";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { InitializeListHead, InsertTailList, RemoveEntryList } from "../sdk/list";
import { MmAllocatePhysicalPage, MmFreePhysicalPage, MmReferencePhysicalPage } from "./pfn";
import {
  STATUS_CONFLICTING_ADDRESSES, STATUS_INVALID_PARAMETER, STATUS_NO_MEMORY, STATUS_NOT_COMMITTED, STATUS_SUCCESS,
} from "../sdk/ntstatus";

/** First byte of session space. */
export const MmSessionSpaceStart: usize = 0xBF000000;
/** One past its last byte. */
export const MmSessionSpaceEnd: usize = 0xC0000000;
/** Where NT x86 starts session image space (win32k.sys's usual base); a suggestion, not a rule. */
export const MmSessionImageStart: usize = 0xBF800000;

/** Page-directory index of the first session PDE, and how many there are. */
const SESSION_PDE_FIRST: u32 = <u32>(0xBF000000 >>> 22); // 764
const SESSION_PDE_COUNT: u32 = 4;

const PTE_PRESENT: u32 = 0x1;
const PTE_WRITE: u32 = 0x2;
/** Most sessions at once (ids 0 .. MM_MAX_SESSIONS - 1). */
export const MM_MAX_SESSIONS: u32 = 32;
const SESSION_TAG: u32 = 0x6E736553; // 'Sesn'

/**
 * One session's space (ours; NT's MM_SESSION_SPACE holds much more). Ps's
 * per-session data hangs off `PsData`.
 */
@unmanaged export class MM_SESSION_SPACE {
  ListFlink: usize;
  ListBlink: usize;
  SessionId: u32;
  /** Processes in it (EPROCESS.Session points here). */
  ProcessCount: u32;
  /** Physical addresses of its page tables, PDEs 764..767. */
  PageTable0: u32;
  PageTable1: u32;
  PageTable2: u32;
  PageTable3: u32;
  /** Pages of session space mapped now (private and shared). */
  MappedPages: u32;
  /** Owned by ps/pssession.ts (the session's object directories). */
  PsData: usize;
}
const SESSION_SIZE: u32 = offsetof<MM_SESSION_SPACE>();
const SESSION_TABLES: u32 = offsetof<MM_SESSION_SPACE>("PageTable0");

/** Every session, session 0 first. */
const MiSessionList: usize = memory.data(8, 4);
/** Bit n: session id n is taken. */
let MiSessionIds: u32 = 0;
/** Session 0: System's, made in phase 1. */
export let MmSessionZero: usize = 0;

@inline function MiLock(): u32 { const f = read_eflags() & 0x200; cli(); return f; }
@inline function MiUnlock(f: u32): void { if (f != 0) sti(); }

@inline function table(session: usize, i: u32): u32 { return load<u32>(session + SESSION_TABLES + (i << 2)); }

/**
 * A new session space with the lowest free id (session 0 the first time):
 * its page tables, empty. 0 when ids or memory run out.
 */
export function MmSessionCreateSpace(): usize {
  const f = MiLock();
  let id: u32 = 0;
  while (id < MM_MAX_SESSIONS && ((MiSessionIds >>> id) & 1) != 0) id++;
  if (id == MM_MAX_SESSIONS) { MiUnlock(f); return 0; }
  MiSessionIds |= 1 << id;
  MiUnlock(f);
  const session = ExAllocatePoolWithTag(NonPagedPool, SESSION_SIZE, SESSION_TAG);
  if (session == 0) { MiFreeId(id); return 0; }
  memory.fill(session, 0, SESSION_SIZE);
  const s = changetype<MM_SESSION_SPACE>(session);
  s.SessionId = id;
  for (let i: u32 = 0; i < SESSION_PDE_COUNT; i++) {
    const page = MmAllocatePhysicalPage();
    if (page == 0) {
      for (let j: u32 = 0; j < i; j++) MmFreePhysicalPage(table(session, j) >>> 12);
      ExFreePoolWithTag(session, SESSION_TAG);
      MiFreeId(id);
      return 0;
    }
    store<u32>(session + SESSION_TABLES + (i << 2), page << 12);
  }
  const g = MiLock();
  if (load<usize>(MiSessionList) == 0) InitializeListHead(MiSessionList);
  InsertTailList(MiSessionList, session);
  if (id == 0) MmSessionZero = session;
  MiUnlock(g);
  return session;
}

function MiFreeId(id: u32): void {
  const f = MiLock();
  MiSessionIds &= ~(1 << id);
  MiUnlock(f);
}

/** Writes `session`'s PDEs into page directory `pd` (physical); 0 clears them. Flushes the TLB when `pd` is current. */
export function MmSessionSetDirectory(pd: u32, session: usize): void {
  const dir = KSEG0_BASE + pd + (SESSION_PDE_FIRST << 2);
  for (let i: u32 = 0; i < SESSION_PDE_COUNT; i++) {
    store<u32>(dir + (i << 2), session != 0 ? table(session, i) | PTE_PRESENT | PTE_WRITE : 0);
  }
  const cr3 = read_cr3();
  if ((cr3 & 0xFFFFF000) == pd) write_cr3(cr3);
}

/**
 * Ends a session space nobody uses any more: every frame its tables map
 * loses this session's reference (a frame shared with other sessions stays
 * theirs), then the tables and the id go. Returns the pages it had mapped.
 * No directory may still hold its PDEs.
 */
export function MmSessionDeleteSpace(session: usize): u32 {
  const s = changetype<MM_SESSION_SPACE>(session);
  if (session == MmSessionZero || s.ProcessCount != 0) KeBugCheckEx(MEMORY_MANAGEMENT, 0x5E55, <u32>session, s.ProcessCount, 0);
  const f = MiLock();
  RemoveEntryList(session);
  MiUnlock(f);
  let pages: u32 = 0;
  for (let i: u32 = 0; i < SESSION_PDE_COUNT; i++) {
    const t = KSEG0_BASE + table(session, i);
    for (let j: u32 = 0; j < 1024; j++) {
      const e = load<u32>(t + (j << 2));
      if ((e & PTE_PRESENT) != 0) { MmFreePhysicalPage(e >>> 12); pages++; }
    }
    MmFreePhysicalPage(table(session, i) >>> 12);
  }
  MiFreeId(s.SessionId);
  ExFreePoolWithTag(session, SESSION_TAG);
  return pages;
}

/** The session space with id `id`, or 0. */
export function MmSessionLookup(id: u32): usize {
  if (load<usize>(MiSessionList) == 0) return 0;
  const f = MiLock();
  let found: usize = 0;
  for (let e = load<usize>(MiSessionList); e != MiSessionList; e = load<usize>(e)) {
    if (changetype<MM_SESSION_SPACE>(e).SessionId == id) { found = e; break; }
  }
  MiUnlock(f);
  return found;
}

// ---- the kernel API (CONTRACTS.md section 1) ----

/** How Mm learns the current process's session space (Ps sits above Mm and hands it in). */
export type MM_CURRENT_SESSION_ROUTINE = () => usize;
let MiCurrentSessionRoutine: usize = 0;

/** Ps tells Mm how to find the current process's session space (0: none yet). */
export function MmSetCurrentSessionRoutine(routine: MM_CURRENT_SESSION_ROUTINE): void {
  MiCurrentSessionRoutine = changetype<usize>(routine);
}

/** The current process's session space (session 0's for kernel threads and before Ps has said). */
export function MmSessionCurrent(): usize {
  const session = MiCurrentSessionRoutine != 0 ? changetype<MM_CURRENT_SESSION_ROUTINE>(MiCurrentSessionRoutine)() : 0;
  return session != 0 ? session : MmSessionZero;
}

/** The PTE of session address `va` in `session`'s tables. */
@inline function MiSessionPte(session: usize, va: usize): usize {
  const offset = <u32>(va - MmSessionSpaceStart);
  return KSEG0_BASE + table(session, offset >>> 22) + (((offset >>> 12) & 1023) << 2);
}

/** Is [va, va + bytes) a non-empty range inside session space? */
function MiIsSessionRange(va: usize, bytes: usize): bool {
  return bytes != 0 && va >= MmSessionSpaceStart && va < MmSessionSpaceEnd && bytes <= MmSessionSpaceEnd - va;
}

/**
 * Commits [va, va + bytes) of session space (rounded out to pages) in the
 * current process's session: fresh zeroed writable pages, private to the
 * session. Pages already there are kept as they are. STATUS_INVALID_PARAMETER
 * outside session space, STATUS_NO_MEMORY when pages run out (what was
 * committed stays, as in NT).
 */
export function MmSessionCommit(va: usize, bytes: usize): u32 {
  if (!MiIsSessionRange(va, bytes)) return STATUS_INVALID_PARAMETER;
  const session = MmSessionCurrent();
  const s = changetype<MM_SESSION_SPACE>(session);
  const end = va + bytes;
  for (let a = va & ~4095; a < end && a >= (va & ~4095); a += 4096) {
    const pte = MiSessionPte(session, a);
    if ((load<u32>(pte) & PTE_PRESENT) != 0) continue;
    const page = MmAllocatePhysicalPage();
    if (page == 0) return STATUS_NO_MEMORY;
    store<u32>(pte, (page << 12) | PTE_PRESENT | PTE_WRITE);
    s.MappedPages++;
    invlpg(a);
  }
  return STATUS_SUCCESS;
}

/**
 * Maps `count` physical pages (page numbers, u32 each, at `frames`) at
 * session address `va` onwards in the current process's session, each
 * taking a reference: the way one copy of an image's read-only pages serves
 * every session. Read-only unless `writable`. Every page of the range must
 * be free in this session (else STATUS_CONFLICTING_ADDRESSES, nothing mapped).
 */
export function MmSessionMapShared(va: usize, frames: usize, count: u32, writable: bool = false): u32 {
  if ((va & 4095) != 0 || count == 0 || !MiIsSessionRange(va, <usize>count << 12)) return STATUS_INVALID_PARAMETER;
  const session = MmSessionCurrent();
  for (let i: u32 = 0; i < count; i++) {
    if ((load<u32>(MiSessionPte(session, va + (<usize>i << 12))) & PTE_PRESENT) != 0) return STATUS_CONFLICTING_ADDRESSES;
  }
  for (let i: u32 = 0; i < count; i++) {
    const page = load<u32>(frames + (i << 2));
    MmReferencePhysicalPage(page); // bug-checks on a page nobody holds
    const a = va + (<usize>i << 12);
    store<u32>(MiSessionPte(session, a), (page << 12) | PTE_PRESENT | (writable ? PTE_WRITE : 0));
    invlpg(a);
  }
  changetype<MM_SESSION_SPACE>(session).MappedPages += count;
  return STATUS_SUCCESS;
}

/** The physical page behind session address `va` in the current session, 0 when none (to collect frames for MmSessionMapShared). */
export function MmSessionPageFrame(va: usize): u32 {
  if (!MiIsSessionRange(va, 1)) return 0;
  const e = load<u32>(MiSessionPte(MmSessionCurrent(), va));
  return (e & PTE_PRESENT) != 0 ? e >>> 12 : 0;
}

/**
 * Makes the committed pages of [va, va + bytes) read-only (`writable`
 * false) or writable, in the current session: after relocating an image's
 * code. Kernel-mode writes honour it (CR0.WP is set). STATUS_NOT_COMMITTED
 * when a page of the range is not there (nothing changed).
 */
export function MmSessionProtect(va: usize, bytes: usize, writable: bool): u32 {
  if (!MiIsSessionRange(va, bytes)) return STATUS_INVALID_PARAMETER;
  const session = MmSessionCurrent();
  const first = va & ~4095, end = va + bytes;
  for (let a = first; a < end && a >= first; a += 4096) if ((load<u32>(MiSessionPte(session, a)) & PTE_PRESENT) == 0) return STATUS_NOT_COMMITTED;
  for (let a = first; a < end && a >= first; a += 4096) {
    const pte = MiSessionPte(session, a);
    const e = load<u32>(pte);
    store<u32>(pte, writable ? e | PTE_WRITE : e & ~PTE_WRITE);
    invlpg(a);
  }
  return STATUS_SUCCESS;
}

/** Drops the pages of [va, va + bytes) from the current session (each loses this session's reference). */
export function MmSessionDecommit(va: usize, bytes: usize): u32 {
  if (!MiIsSessionRange(va, bytes)) return STATUS_INVALID_PARAMETER;
  const session = MmSessionCurrent();
  const s = changetype<MM_SESSION_SPACE>(session);
  const first = va & ~4095, end = va + bytes;
  for (let a = first; a < end && a >= first; a += 4096) {
    const pte = MiSessionPte(session, a);
    const e = load<u32>(pte);
    if ((e & PTE_PRESENT) == 0) continue;
    store<u32>(pte, 0);
    invlpg(a);
    MmFreePhysicalPage(e >>> 12);
    s.MappedPages--;
  }
  return STATUS_SUCCESS;
}
