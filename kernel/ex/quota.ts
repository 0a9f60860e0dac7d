// Pool quotas (NT's EPROCESS_QUOTA_BLOCK, PsChargePoolQuota / PsReturnPoolQuota).
//
// Pool a user call makes the kernel allocate is charged to the calling
// process's quota block and returned when that pool is freed, so one process
// cannot take the machine's pool: past its limit a call fails with
// STATUS_QUOTA_EXCEEDED (and, when the pool itself is out, with
// STATUS_INSUFFICIENT_RESOURCES), never a bug check.
//
//   +0  ReferenceCount    the process (while its EPROCESS lives), plus one per
//                         outstanding charge: an object that outlives its
//                         creator returns its charge to a block still there
//   +4  PagedUsage        bytes charged, paged pool (object names, tables)
//   +8  PagedPeak
//   +12 PagedLimit        0xFFFFFFFF: no limit (the System process)
//   +16 NonPagedUsage     bytes charged, nonpaged pool (object blocks)
//   +20 NonPagedPeak
//   +24 NonPagedLimit
//
// A process shares its creator's block, as NT's EPROCESS->QuotaBlock (ps/
// psmain.ts PspQuotaBlockForNewProcess): what a process's children and
// theirs use counts against the one limit, so a program cannot escape it by
// starting processes. The System process's block is unlimited; each process
// it makes (smss, the boot's own modules) starts a new block at the default
// limits. A process's counters (ProcessVmCounters) are its block's. The block lives
// in Ex because the object manager charges it and sits below Ps: Ps hands in
// the routine that names the current process's block (ExSetQuotaBlockRoutine).
// Updates run with interrupts off (this uniprocessor's DISPATCH_LEVEL).

import { cli, read_eflags, sti } from "../sdk/intrinsics";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool, PagedPool, POOL_SMALL_MAX } from "./pool";
import { STATUS_INSUFFICIENT_RESOURCES, STATUS_QUOTA_EXCEEDED, STATUS_SUCCESS } from "../sdk/ntstatus";

@unmanaged export class EPROCESS_QUOTA_BLOCK {
  ReferenceCount: u32;
  PagedUsage: u32;
  PagedPeak: u32;
  PagedLimit: u32;
  NonPagedUsage: u32;
  NonPagedPeak: u32;
  NonPagedLimit: u32;
}
const SIZEOF_QUOTA_BLOCK: u32 = offsetof<EPROCESS_QUOTA_BLOCK>();
const QUOTA_BLOCK_TAG: u32 = 0x62517350; // 'PsQb'

/** No limit (the System process's block). */
export const QUOTA_UNLIMITED: u32 = 0xFFFFFFFF;
/**
 * A new process's limits: far above what any program of the system uses
 * (smss, csrss and winlogon stay under 64 KiB of each), far below the pool
 * a 32 MiB machine has, so a runaway process is refused long before the
 * pool runs out.
 */
export const QUOTA_DEFAULT_PAGED_LIMIT: u32 = 1024 * 1024;
export const QUOTA_DEFAULT_NONPAGED_LIMIT: u32 = 512 * 1024;

const EFLAGS_IF: u32 = 0x200;
@inline function ExpLock(): u32 { const state = read_eflags() & EFLAGS_IF; cli(); return state; }
@inline function ExpUnlock(state: u32): void { if (state != 0) sti(); }

function ExpNoBlock(): usize { return 0; }
let ExpCurrentQuotaBlock: () => usize = ExpNoBlock;

/** Ps's routine naming the current process's quota block (0: nothing is charged, as before Ps starts). */
export function ExSetQuotaBlockRoutine(routine: () => usize): void { ExpCurrentQuotaBlock = routine; }

/** The quota block charges of the running thread go to (its process's), or 0. */
export function ExCurrentQuotaBlock(): usize { return ExpCurrentQuotaBlock(); }

/** A new quota block with one reference (its process's), or 0 without pool. */
export function ExCreateQuotaBlock(pagedLimit: u32, nonPagedLimit: u32): usize {
  const block = ExAllocatePoolWithTag(NonPagedPool, SIZEOF_QUOTA_BLOCK, QUOTA_BLOCK_TAG);
  if (block == 0) return 0;
  memory.fill(block, 0, SIZEOF_QUOTA_BLOCK);
  const q = changetype<EPROCESS_QUOTA_BLOCK>(block);
  q.ReferenceCount = 1;
  q.PagedLimit = pagedLimit;
  q.NonPagedLimit = nonPagedLimit;
  return block;
}

export function ExReferenceQuotaBlock(block: usize): void {
  const state = ExpLock();
  changetype<EPROCESS_QUOTA_BLOCK>(block).ReferenceCount++;
  ExpUnlock(state);
}

export function ExDereferenceQuotaBlock(block: usize): void {
  const state = ExpLock();
  const left = --changetype<EPROCESS_QUOTA_BLOCK>(block).ReferenceCount;
  ExpUnlock(state);
  if (left == 0) ExFreePoolWithTag(block, QUOTA_BLOCK_TAG);
}

/**
 * Charges `paged` and `nonPaged` bytes to `block` (NT's PsChargeSharedPoolQuota):
 * STATUS_QUOTA_EXCEEDED, with nothing charged, when either would pass its
 * limit. A successful charge holds a reference on the block until
 * ExReturnPoolQuota gives the same amounts back. Block 0 charges nothing.
 */
export function ExChargePoolQuota(block: usize, paged: u32, nonPaged: u32): u32 {
  if (block == 0) return STATUS_SUCCESS;
  const q = changetype<EPROCESS_QUOTA_BLOCK>(block);
  const state = ExpLock();
  const pagedAfter = <u64>q.PagedUsage + paged, nonPagedAfter = <u64>q.NonPagedUsage + nonPaged;
  if ((q.PagedLimit != QUOTA_UNLIMITED && pagedAfter > <u64>q.PagedLimit) || pagedAfter > 0xFFFFFFFF
      || (q.NonPagedLimit != QUOTA_UNLIMITED && nonPagedAfter > <u64>q.NonPagedLimit) || nonPagedAfter > 0xFFFFFFFF) {
    ExpUnlock(state);
    return STATUS_QUOTA_EXCEEDED;
  }
  q.PagedUsage = <u32>pagedAfter;
  q.NonPagedUsage = <u32>nonPagedAfter;
  if (q.PagedUsage > q.PagedPeak) q.PagedPeak = q.PagedUsage;
  if (q.NonPagedUsage > q.NonPagedPeak) q.NonPagedPeak = q.NonPagedUsage;
  q.ReferenceCount++;
  ExpUnlock(state);
  return STATUS_SUCCESS;
}

/** Gives back a charge ExChargePoolQuota made (NT's PsReturnSharedPoolQuota), and its reference. */
export function ExReturnPoolQuota(block: usize, paged: u32, nonPaged: u32): void {
  if (block == 0) return;
  const q = changetype<EPROCESS_QUOTA_BLOCK>(block);
  const state = ExpLock();
  q.PagedUsage = paged <= q.PagedUsage ? q.PagedUsage - paged : 0;
  q.NonPagedUsage = nonPaged <= q.NonPagedUsage ? q.NonPagedUsage - nonPaged : 0;
  ExpUnlock(state);
  ExDereferenceQuotaBlock(block);
}

/**
 * Charges the running thread's process for a pool allocation of `bytes` of
 * `poolType` it is about to make; returns the block charged (to give to
 * ExReturnPoolQuota with the same amount) through `charged`, 0 when nothing
 * was. A helper for the services whose buffers are sized by the caller.
 */
export function ExChargeCurrentPoolQuota(poolType: u32, bytes: u32, charged: usize): u32 {
  store<usize>(charged, 0);
  const block = ExpCurrentQuotaBlock();
  const status = ExChargePoolQuota(block, poolType == PagedPool ? bytes : 0, poolType == PagedPool ? 0 : bytes);
  if (status == STATUS_SUCCESS) store<usize>(charged, block);
  return status;
}

// ---- pool charged to the caller (NT's ExAllocatePoolWithQuotaTag) ----
//
// Buffers a user call makes the kernel allocate outside the object manager
// (IRPs, buffered transfers, file names, a file system's per-open data, an
// image file read for its section) are charged to the calling process the
// same way. The block carries its charge in front of what the caller gets,
// as NT keeps the charged process in the pool header, so whoever frees it
// (another process, a worker thread, the last close) gives back the right
// amount to the right block:
//
//   +0 the EPROCESS_QUOTA_BLOCK charged (one reference), or 0
//   +4 the bytes charged
//   +8 the caller's buffer

const QUOTA_POOL_HEADER: u32 = 8;

/** What a buffer of `bytes` costs its process: pool header, our header, rounding (whole pages for large ones). */
function ExpQuotaPoolCharge(bytes: u32): u32 {
  const total = bytes + QUOTA_POOL_HEADER + 8;
  return total <= POOL_SMALL_MAX + 8 ? (total + 7) & ~7 : (total + 4095) & ~4095;
}

/**
 * A buffer of `bytes` from `poolType` charged to the running thread's
 * process; 0 when its quota refuses (STATUS_QUOTA_EXCEEDED) or the pool is
 * out (STATUS_INSUFFICIENT_RESOURCES): the status goes to `status` when it
 * is not 0. Freed with ExFreePoolWithQuotaTag. `chargeCaller` false: the
 * same layout charged to no one (for a structure allocated both ways).
 */
export function ExAllocatePoolWithQuotaTag(poolType: u32, bytes: u32, tag: u32, status: usize = 0, chargeCaller: bool = true): usize {
  if (bytes > 0xFFFFFFFF - 0x2000) { if (status != 0) store<u32>(status, STATUS_INSUFFICIENT_RESOURCES); return 0; }
  const charge = ExpQuotaPoolCharge(bytes);
  const block = chargeCaller ? ExpCurrentQuotaBlock() : 0;
  const charged = ExChargePoolQuota(block, poolType == PagedPool ? charge : 0, poolType == PagedPool ? 0 : charge);
  if (charged != STATUS_SUCCESS) { if (status != 0) store<u32>(status, charged); return 0; }
  const p = ExAllocatePoolWithTag(poolType, bytes + QUOTA_POOL_HEADER, tag);
  if (p == 0) {
    ExReturnPoolQuota(block, poolType == PagedPool ? charge : 0, poolType == PagedPool ? 0 : charge);
    if (status != 0) store<u32>(status, STATUS_INSUFFICIENT_RESOURCES);
    return 0;
  }
  store<usize>(p, block);
  store<u32>(p, poolType == PagedPool ? charge | 1 : charge, 4); // bit 0: paged (charges are multiples of 8)
  if (status != 0) store<u32>(status, STATUS_SUCCESS);
  return p + QUOTA_POOL_HEADER;
}

/** Frees a buffer of ExAllocatePoolWithQuotaTag and returns its charge to the block it was taken from. */
export function ExFreePoolWithQuotaTag(buffer: usize, tag: u32): void {
  const p = buffer - QUOTA_POOL_HEADER;
  const block = load<usize>(p), word = load<u32>(p, 4);
  const charge = word & ~7;
  ExFreePoolWithTag(p, tag);
  if ((word & 1) != 0) ExReturnPoolQuota(block, charge, 0);
  else ExReturnPoolQuota(block, 0, charge);
}
