// Handle tables and the handle services: ObReferenceObjectByHandle, NtClose,
// NtDuplicateObject.
//
// A handle table (HANDLE_TABLE, 'Obtb') is a growable array of 8-byte
// entries: the object's body pointer with the handle attributes
// (OBJ_PROTECT_CLOSE, OBJ_INHERIT, OBJ_AUDIT_OBJECT_CLOSE) in its low three
// bits, and the access granted. A handle is the entry's index times 4, so 0
// is never a handle and handles are multiples of 4; like NT, the two low
// bits of a handle value are ignored when it is used. Free entries form a
// list (most recently freed first), so a closed handle's value comes back
// on the next open. A full table doubles.
//
// Each process will have its own table; until Ps exists there is the
// kernel's table (the System process's, NT's ObpKernelHandleTable) and
// ObpCurrentHandleTable(), which the thread switch (Ke) and ObSwitchHandleTable set. A
// handle with bit 31 set (OBJ_KERNEL_HANDLE) always indexes the kernel's
// table, and only from kernel mode: every lookup here (ObReferenceObjectByHandle
// and so every service, OBJECT_ATTRIBUTES.RootDirectory, the registry's key
// handles, NtClose, NtDuplicateObject, handle attributes) goes through
// ObpIsValidHandleIn, which refuses one from a caller whose previous mode is
// UserMode with STATUS_INVALID_HANDLE, as NT's ObReferenceObjectByHandle does
// with an AccessMode of UserMode. Services need no check of their own.
//
// NtCurrentProcess (-1) and NtCurrentThread (-2) are pseudo handles, not
// entries. ObReferenceObjectByHandle hands them to the resolver Ps installs
// with ObSetPseudoHandleResolver; until then they are STATUS_INVALID_HANDLE.
// NtDuplicateObject works between any two processes, as NT's does: a
// process handle (with PROCESS_DUP_HANDLE) names the table, found through
// what Ps installs with ObSetProcessHandleTables; until then only
// NtCurrentProcess is a process handle it takes.

import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { ExChargePoolQuota, ExDereferenceQuotaBlock, ExReferenceQuotaBlock, ExReturnPoolQuota } from "../ex/quota";
import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import {
  DUPLICATE_CLOSE_SOURCE, DUPLICATE_SAME_ACCESS, DUPLICATE_SAME_ATTRIBUTES, GENERIC_ALL, GENERIC_EXECUTE, GENERIC_READ, GENERIC_WRITE, HANDLE_TABLE, HANDLE_TABLE_ENTRY, KERNEL_HANDLE_FLAG, MAXIMUM_ALLOWED, OB_HANDLE_TABLE_TAG, OBJ_HANDLE_ATTRIBUTES, OBJ_PROTECT_CLOSE, OBJECT_HANDLE_INFORMATION, OBJECT_TO_OBJECT_HEADER, OBJECT_TYPE, ObpAcquireLock, ObpReleaseLock, ObpTypeInfo, SIZEOF_HANDLE_TABLE, SIZEOF_HANDLE_TABLE_ENTRY,
} from "./obp";
import { ObDereferenceObject, ObReferenceObject, ObpDeleteNameCheck } from "./obref";
import {
  NT_SUCCESS, STATUS_ACCESS_DENIED, STATUS_HANDLE_NOT_CLOSABLE, STATUS_INSUFFICIENT_RESOURCES,
  STATUS_INVALID_HANDLE, STATUS_INVALID_PARAMETER, STATUS_OBJECT_TYPE_MISMATCH, STATUS_PROCESS_IS_TERMINATING, STATUS_SUCCESS,
} from "../sdk/ntstatus";
import { NtCurrentProcess, NtCurrentThread, OBJ_INHERIT, OBJ_KERNEL_HANDLE } from "../sdk/ntdef";
import { ExGetPreviousMode, UserMode } from "../ke/probe";
import { ObpCheckDuplicateAccess } from "./obsecure";

/** Entries in a new table (512 bytes); entry 0 is never used. */
const HANDLE_TABLE_INITIAL_ENTRIES: u32 = 64;
/** Entries a table may grow to: handles stay below 2^26, clear of bit 31. */
const HANDLE_TABLE_MAX_ENTRIES: u32 = 1 << 24;

/** Resolves a pseudo handle (NtCurrentProcess, NtCurrentThread) like ObReferenceObjectByHandle. */
export type OB_PSEUDO_HANDLE_RESOLVER = (handle: u32, desiredAccess: u32, objectType: usize, object: usize, handleInformation: usize) => u32;

/** The kernel's (System process's) handle table. */
export let ObpKernelHandleTable: usize = 0;
/** The table handles of the running process live in. */
/**
 * The current process's handle table, in a word of memory: Ob's own
 * switches write it (ObSwitchHandleTable), and so does Ke's thread switch in
 * place (Ps hands Ke its address, KeEnableProcessSwitch), with no call.
 */
export const ObCurrentHandleTableCell: usize = memory.data(4, 4);
@inline export function ObpCurrentHandleTable(): usize { return load<usize>(ObCurrentHandleTableCell); }
let ObpPseudoHandleResolver: OB_PSEUDO_HANDLE_RESOLVER | null = null;

/** A process's handle table from its Process object's body (0 once the process has ended). */
export type OB_PROCESS_HANDLE_TABLE = (processObject: usize) => usize;
let ObpProcessType: usize = 0;
let ObpProcessHandleTable: OB_PROCESS_HANDLE_TABLE | null = null;
/** PROCESS_DUP_HANDLE: what a process handle needs to have handles duplicated from or into it. */
const PROCESS_DUP_HANDLE: u32 = 0x0040;

// ---- tables ----

/** Puts entries [from, to) on the free list, lowest first. */
function ObpFreeEntries(table: HANDLE_TABLE, from: u32, to: u32): void {
  for (let index = to; index > from; index--) {
    const entry = changetype<HANDLE_TABLE_ENTRY>(table.Table + (index - 1) * SIZEOF_HANDLE_TABLE_ENTRY);
    entry.Object = 0;
    entry.GrantedAccess = table.FirstFree;
    table.FirstFree = index - 1;
  }
}

/** A new, empty handle table, or 0 when the pool is exhausted. */
export function ObCreateHandleTable(quotaBlock: usize = 0): usize {
  const address = ExAllocatePoolWithTag(NonPagedPool, SIZEOF_HANDLE_TABLE, OB_HANDLE_TABLE_TAG);
  if (address == 0) return 0;
  const table = changetype<HANDLE_TABLE>(address);
  table.QuotaBlock = 0;
  table.QuotaCharged = 0;
  table.Table = ExAllocatePoolWithTag(NonPagedPool, HANDLE_TABLE_INITIAL_ENTRIES * SIZEOF_HANDLE_TABLE_ENTRY, OB_HANDLE_TABLE_TAG);
  if (table.Table == 0) {
    ExFreePoolWithTag(address, OB_HANDLE_TABLE_TAG);
    return 0;
  }
  table.Capacity = HANDLE_TABLE_INITIAL_ENTRIES;
  table.HandleCount = 0;
  table.FirstFree = 0;
  ObpFreeEntries(table, 1, HANDLE_TABLE_INITIAL_ENTRIES);
  // The first entries come with the process (its EPROCESS charge covers them); growth is charged.
  if (quotaBlock != 0) { ExReferenceQuotaBlock(quotaBlock); table.QuotaBlock = quotaBlock; }
  return address;
}

/**
 * Doubles a full table, charging the owning process's quota for the
 * entries added (ex/quota.ts): STATUS_QUOTA_EXCEEDED past its limit,
 * STATUS_INSUFFICIENT_RESOURCES without pool or past the largest table.
 */
function ObpGrowHandleTable(table: HANDLE_TABLE): u32 {
  const capacity = table.Capacity;
  if (capacity >= HANDLE_TABLE_MAX_ENTRIES) return STATUS_INSUFFICIENT_RESOURCES;
  const added = capacity * SIZEOF_HANDLE_TABLE_ENTRY;
  const charge = ExChargePoolQuota(table.QuotaBlock, 0, added);
  if (charge != STATUS_SUCCESS) return charge;
  const entries = ExAllocatePoolWithTag(NonPagedPool, capacity * 2 * SIZEOF_HANDLE_TABLE_ENTRY, OB_HANDLE_TABLE_TAG);
  if (entries == 0) { ExReturnPoolQuota(table.QuotaBlock, 0, added); return STATUS_INSUFFICIENT_RESOURCES; }
  if (table.QuotaBlock != 0) {
    // One reference on the block for the table, whatever its size: give back the charge's own.
    table.QuotaCharged += added;
    ExDereferenceQuotaBlock(table.QuotaBlock);
  }
  memory.copy(entries, table.Table, capacity * SIZEOF_HANDLE_TABLE_ENTRY);
  ExFreePoolWithTag(table.Table, OB_HANDLE_TABLE_TAG);
  table.Table = entries;
  table.Capacity = capacity * 2;
  ObpFreeEntries(table, capacity, capacity * 2);
  return STATUS_SUCCESS;
}

/**
 * Closes every handle of a table, protected or not (as at process exit),
 * and frees it. If it was the current table, the kernel's becomes current.
 */
export function ObDestroyHandleTable(address: usize): void {
  const lock = ObpAcquireLock();
  const table = changetype<HANDLE_TABLE>(address);
  for (let index: u32 = 1; index < table.Capacity; index++) {
    if (ObpTableEntry(address, index).Object != 0) ObpCloseHandleTableEntry(address, index);
  }
  ExFreePoolWithTag(table.Table, OB_HANDLE_TABLE_TAG);
  if (table.QuotaBlock != 0) ExReturnPoolQuota(table.QuotaBlock, 0, table.QuotaCharged); // and the table's reference
  ExFreePoolWithTag(address, OB_HANDLE_TABLE_TAG);
  if (ObpCurrentHandleTable() == address) store<usize>(ObCurrentHandleTableCell, ObpKernelHandleTable);
  ObpReleaseLock(lock);
}

/** Makes `table` the current one and returns the one it replaces (Ps, on a process switch). */
export function ObSwitchHandleTable(table: usize): usize {
  const previous = ObpCurrentHandleTable();
  store<usize>(ObCurrentHandleTableCell, table);
  return previous;
}

/** Handles open in a table. */
export function ObGetHandleCount(table: usize): u32 {
  return changetype<HANDLE_TABLE>(table).HandleCount;
}

/** Installs (or removes, with null) the resolver of NtCurrentProcess / NtCurrentThread. */
export function ObSetPseudoHandleResolver(resolver: OB_PSEUDO_HANDLE_RESOLVER | null): void {
  ObpPseudoHandleResolver = resolver;
}

/** Ps: the Process type and how to find a process's handle table (NtDuplicateObject between processes). */
export function ObSetProcessHandleTables(processType: usize, tableOf: OB_PROCESS_HANDLE_TABLE): void {
  ObpProcessType = processType;
  ObpProcessHandleTable = tableOf;
}

/** Creates the kernel's handle table and makes it current (ObInitSystem). */
export function ObpInitializeHandleTables(): bool {
  ObpKernelHandleTable = ObCreateHandleTable();
  store<usize>(ObCurrentHandleTableCell, ObpKernelHandleTable);
  return ObpKernelHandleTable != 0;
}

// ---- from handles to entries ----

@inline function ObpTableEntry(table: usize, index: u32): HANDLE_TABLE_ENTRY {
  return changetype<HANDLE_TABLE_ENTRY>(changetype<HANDLE_TABLE>(table).Table + index * SIZEOF_HANDLE_TABLE_ENTRY);
}

@inline function ObpIsPseudoHandle(handle: u32): bool {
  return handle == NtCurrentProcess || handle == NtCurrentThread;
}

/** The table a handle value belongs to (0 before ObInitSystem). */
function ObpHandleTableOf(handle: u32): usize {
  return ObpHandleTableIn(ObpCurrentHandleTable(), handle);
}

/** The table a handle value of the process whose table is `table` belongs to. */
@inline function ObpHandleTableIn(table: usize, handle: u32): usize {
  return (handle & KERNEL_HANDLE_FLAG) != 0 ? ObpKernelHandleTable : table;
}

/** The entry index of a handle value: the tag bits (1-0) and the kernel bit dropped. */
@inline function ObpHandleIndex(handle: u32): u32 {
  return (handle & ~KERNEL_HANDLE_FLAG) >> 2;
}

/** True when `handle` names a live entry of its table. */
function ObpIsValidHandle(handle: u32): bool {
  return ObpIsValidHandleIn(ObpCurrentHandleTable(), handle);
}

/**
 * True when `handle`, a handle of the process whose table is `processTable`,
 * names a live entry. A kernel handle (bit 31) names one only for a caller in
 * kernel mode: from user mode it is no handle at all.
 */
function ObpIsValidHandleIn(processTable: usize, handle: u32): bool {
  if (ObpIsPseudoHandle(handle)) return false;
  if ((handle & KERNEL_HANDLE_FLAG) != 0 && ExGetPreviousMode() == UserMode) return false;
  const table = ObpHandleTableIn(processTable, handle);
  const index = ObpHandleIndex(handle);
  if (table == 0 || index == 0 || index >= changetype<HANDLE_TABLE>(table).Capacity) return false;
  return ObpTableEntry(table, index).Object != 0;
}

@inline function ObpEntryOf(handle: u32): HANDLE_TABLE_ENTRY {
  return ObpTableEntry(ObpHandleTableOf(handle), ObpHandleIndex(handle));
}

// ---- access masks ----

/** Maps GENERIC_* and MAXIMUM_ALLOWED to the type's specific rights (there are no security descriptors to limit them). */
export function ObpMapGenericMask(type: usize, access: u32): u32 {
  const info = ObpTypeInfo(type);
  if ((access & GENERIC_READ) != 0) access |= info.GenericRead;
  if ((access & GENERIC_WRITE) != 0) access |= info.GenericWrite;
  if ((access & GENERIC_EXECUTE) != 0) access |= info.GenericExecute;
  if ((access & GENERIC_ALL) != 0) access |= info.GenericAll;
  if ((access & MAXIMUM_ALLOWED) != 0) access |= info.ValidAccessMask;
  return access & ~(GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL | MAXIMUM_ALLOWED);
}

// ---- creating and closing handles ----

/**
 * Enters `object` into `table` with an access mask already mapped and the
 * handle attributes, and stores the handle at `handle` (with bit 31 when
 * `attributes` has OBJ_KERNEL_HANDLE). The new handle takes
 * over one reference the caller holds (kept by the caller on failure).
 */
function ObpCreateHandleInTable(table: usize, object: usize, grantedAccess: u32, attributes: u32, handle: usize): u32 {
  const t = changetype<HANDLE_TABLE>(table);
  if (t.FirstFree == 0) {
    const grown = ObpGrowHandleTable(t);
    if (grown != STATUS_SUCCESS) return grown;
  }
  const index = t.FirstFree;
  const entry = ObpTableEntry(table, index);
  t.FirstFree = entry.GrantedAccess;
  entry.Object = object | (attributes & OBJ_HANDLE_ATTRIBUTES);
  entry.GrantedAccess = grantedAccess;
  t.HandleCount++;
  OBJECT_TO_OBJECT_HEADER(object).HandleCount++;
  const type = changetype<OBJECT_TYPE>(OBJECT_TO_OBJECT_HEADER(object).Type);
  type.TotalNumberOfHandles++;
  if (type.TotalNumberOfHandles > type.HighWaterNumberOfHandles) type.HighWaterNumberOfHandles = type.TotalNumberOfHandles;
  store<u32>(handle, (index << 2) | ((attributes & OBJ_KERNEL_HANDLE) != 0 ? KERNEL_HANDLE_FLAG : 0));
  return STATUS_SUCCESS;
}

/**
 * Creates a handle to `object` with `desiredAccess` (generic rights mapped)
 * in the current table, or the kernel's with OBJ_KERNEL_HANDLE from kernel
 * mode (a user-mode caller's OBJ_KERNEL_HANDLE is ignored, as in NT: it
 * could not use the handle), taking over one reference the caller holds.
 * OBJ_INHERIT is the only attribute a new handle takes from OBJECT_ATTRIBUTES.
 */
export function ObCreateHandle(object: usize, desiredAccess: u32, attributes: u32, handle: usize): u32 {
  if (ExGetPreviousMode() == UserMode) attributes &= ~OBJ_KERNEL_HANDLE;
  const table = (attributes & OBJ_KERNEL_HANDLE) != 0 ? ObpKernelHandleTable : ObpCurrentHandleTable();
  const granted = ObpMapGenericMask(OBJECT_TO_OBJECT_HEADER(object).Type, desiredAccess);
  return ObpCreateHandleInTable(table, object, granted, attributes & (OBJ_INHERIT | OBJ_KERNEL_HANDLE), handle);
}

/** Counts a handle gone: the type's close procedure, then the name check. */
function ObpDecrementHandleCount(object: usize): void {
  const header = OBJECT_TO_OBJECT_HEADER(object);
  header.HandleCount--;
  changetype<OBJECT_TYPE>(header.Type).TotalNumberOfHandles--;
  const closeProcedure = ObpTypeInfo(header.Type).CloseProcedure;
  if (closeProcedure) closeProcedure(object, <u32>header.HandleCount);
  ObpDeleteNameCheck(object);
}

/** Frees a live entry and releases what its handle held. */
function ObpCloseHandleTableEntry(table: usize, index: u32): void {
  const t = changetype<HANDLE_TABLE>(table);
  const entry = ObpTableEntry(table, index);
  const object = entry.Object & ~(<usize>OBJ_HANDLE_ATTRIBUTES);
  entry.Object = 0;
  entry.GrantedAccess = t.FirstFree;
  t.FirstFree = index;
  t.HandleCount--;
  ObpDecrementHandleCount(object);
  ObDereferenceObject(object);
}

// ---- services ----

/**
 * References the object behind `handle` and stores its address at `object`
 * (0 on failure). The handle must have been granted every right in
 * `desiredAccess` (else STATUS_ACCESS_DENIED) and, unless `objectType` is 0,
 * name an object of that type (else STATUS_OBJECT_TYPE_MISMATCH). With
 * `handleInformation` (an OBJECT_HANDLE_INFORMATION, or 0) the handle's
 * attributes and access are returned too.
 */
export function ObReferenceObjectByHandle(handle: u32, desiredAccess: u32, objectType: usize, object: usize, handleInformation: usize): u32 {
  const lock = ObpAcquireLock();
  const status = ObpReferenceObjectByHandle(handle, desiredAccess, objectType, object, handleInformation);
  ObpReleaseLock(lock);
  return status;
}

function ObpReferenceObjectByHandle(handle: u32, desiredAccess: u32, objectType: usize, object: usize, handleInformation: usize): u32 {
  return ObpReferenceObjectByHandleIn(ObpCurrentHandleTable(), handle, desiredAccess, objectType, object, handleInformation);
}

/** ObReferenceObjectByHandle for a handle of the process whose table is `processTable` (pseudo handles: the current process's only). */
function ObpReferenceObjectByHandleIn(processTable: usize, handle: u32, desiredAccess: u32, objectType: usize, object: usize, handleInformation: usize): u32 {
  store<usize>(object, 0);
  if (ObpIsPseudoHandle(handle)) {
    const resolver = ObpPseudoHandleResolver;
    if (resolver && processTable == ObpCurrentHandleTable()) return resolver(handle, desiredAccess, objectType, object, handleInformation);
    return STATUS_INVALID_HANDLE;
  }
  if (!ObpIsValidHandleIn(processTable, handle)) return STATUS_INVALID_HANDLE;
  const entry = ObpTableEntry(ObpHandleTableIn(processTable, handle), ObpHandleIndex(handle));
  const body = entry.Object & ~(<usize>OBJ_HANDLE_ATTRIBUTES);
  if (objectType != 0 && OBJECT_TO_OBJECT_HEADER(body).Type != objectType) return STATUS_OBJECT_TYPE_MISMATCH;
  if ((desiredAccess & ~entry.GrantedAccess) != 0) return STATUS_ACCESS_DENIED;
  ObReferenceObject(body);
  if (handleInformation != 0) {
    const info = changetype<OBJECT_HANDLE_INFORMATION>(handleInformation);
    info.HandleAttributes = <u32>(entry.Object & OBJ_HANDLE_ATTRIBUTES);
    info.GrantedAccess = entry.GrantedAccess;
  }
  store<usize>(object, body);
  return STATUS_SUCCESS;
}

/** Closes a handle. A handle marked protect-from-close stays: STATUS_HANDLE_NOT_CLOSABLE. */
export function ObCloseHandle(handle: u32): u32 {
  // An index past its table's end is the common failure (a stale or made-up
  // value; a pseudo handle's index is past any table), answered before the
  // lock and the full check, with the same status. Safe unlocked: the current
  // table is this thread's process's (a switch away and back restores it), a
  // table only grows, and an index past its capacity names no handle at any
  // moment before a growth (a destroyed table's stale capacity can only send
  // the call on to the locked check).
  const table = ObpHandleTableIn(ObpCurrentHandleTable(), handle);
  if (table == 0 || ObpHandleIndex(handle) >= changetype<HANDLE_TABLE>(table).Capacity) return STATUS_INVALID_HANDLE;
  return ObpCloseHandleLocked(handle);
}

function ObpCloseHandleLocked(handle: u32): u32 {
  const lock = ObpAcquireLock();
  const status = ObpCloseHandle(handle);
  ObpReleaseLock(lock);
  return status;
}

@inline function ObpCloseHandle(handle: u32): u32 {
  return ObpCloseHandleIn(ObpCurrentHandleTable(), handle);
}

/** Closes a handle of the process whose table is `processTable`. */
@inline function ObpCloseHandleIn(processTable: usize, handle: u32): u32 {
  if (!ObpIsValidHandleIn(processTable, handle)) return STATUS_INVALID_HANDLE;
  const table = ObpHandleTableIn(processTable, handle);
  if ((ObpTableEntry(table, ObpHandleIndex(handle)).Object & OBJ_PROTECT_CLOSE) != 0) return STATUS_HANDLE_NOT_CLOSABLE;
  ObpCloseHandleTableEntry(table, ObpHandleIndex(handle));
  return STATUS_SUCCESS;
}

/**
 * Sets a handle's inherit and protect-from-close attributes
 * (ObjectHandleFlagInformation). Inheritance is refused for types that
 * list OBJ_INHERIT among their invalid attributes (STATUS_ACCESS_DENIED).
 */
export function ObSetHandleAttributes(handle: u32, inherit: bool, protectFromClose: bool): u32 {
  const lock = ObpAcquireLock();
  const status = ObpSetHandleAttributes(handle, inherit, protectFromClose);
  ObpReleaseLock(lock);
  return status;
}

function ObpSetHandleAttributes(handle: u32, inherit: bool, protectFromClose: bool): u32 {
  if (!ObpIsValidHandle(handle)) return STATUS_INVALID_HANDLE;
  const entry = ObpEntryOf(handle);
  const object = entry.Object & ~(<usize>OBJ_HANDLE_ATTRIBUTES);
  if (inherit && (ObpTypeInfo(OBJECT_TO_OBJECT_HEADER(object).Type).InvalidAttributes & OBJ_INHERIT) != 0) return STATUS_ACCESS_DENIED;
  let attributes = <u32>(entry.Object & OBJ_HANDLE_ATTRIBUTES) & ~(OBJ_INHERIT | OBJ_PROTECT_CLOSE);
  if (inherit) attributes |= OBJ_INHERIT;
  if (protectFromClose) attributes |= OBJ_PROTECT_CLOSE;
  entry.Object = object | attributes;
  return STATUS_SUCCESS;
}

/**
 * The handle table of the process a handle names, at `out` (8 bytes of the
 * caller's scratch; +4 is used for the process): NtCurrentProcess's, or
 * through a process handle granted PROCESS_DUP_HANDLE
 * (STATUS_ACCESS_DENIED without it, STATUS_PROCESS_IS_TERMINATING once the
 * process has closed its table). The Process object (unreferenced: the
 * handle holds it; 0 for NtCurrentProcess) stays at +4. Under the lock.
 */
function ObpHandleTableOfProcess(processHandle: u32, out: usize): u32 {
  store<usize>(out, 0);
  store<usize>(out, 0, 4);
  if (processHandle == NtCurrentProcess) { store<usize>(out, ObpCurrentHandleTable()); return STATUS_SUCCESS; }
  const tableOf = ObpProcessHandleTable;
  if (!tableOf || ObpProcessType == 0) return STATUS_INVALID_HANDLE;
  const status = ObpReferenceObjectByHandle(processHandle, PROCESS_DUP_HANDLE, ObpProcessType, out + 4, 0);
  if (!NT_SUCCESS(status)) return status;
  const object = load<usize>(out, 4);
  const table = tableOf!(object);
  ObDereferenceObject(object); // the handle still holds it
  if (table == 0) return STATUS_PROCESS_IS_TERMINATING;
  store<usize>(out, table);
  return STATUS_SUCCESS;
}

/** NT's MAXIMUM_ALLOWED access bit. */
const MAXIMUM_ALLOWED_ACCESS: u32 = 0x02000000;

/**
 * Duplicates `sourceHandle` of a process into a process (each NtCurrentProcess
 * or a process handle with PROCESS_DUP_HANDLE) and stores the new handle at
 * `targetHandle`. DUPLICATE_SAME_ACCESS
 * keeps the source's access (else `desiredAccess`: rights beyond the source's
 * are checked against the object's descriptor for the target's token),
 * DUPLICATE_SAME_ATTRIBUTES its attributes (else `handleAttributes`:
 * OBJ_INHERIT, OBJ_PROTECT_CLOSE). DUPLICATE_CLOSE_SOURCE closes the source
 * handle (unless protected from close) before the new one is made, whatever
 * happens next; with no target process that is all it does.
 */
export function ObDuplicateObject(sourceProcessHandle: u32, sourceHandle: u32, targetProcessHandle: u32, targetHandle: usize,
                                  desiredAccess: u32, handleAttributes: u32, options: u32): u32 {
  // Out-parameters (see obdir.ts): +0 a handle table, +4 a process, +8 the source object, +12 its OBJECT_HANDLE_INFORMATION.
  const out = KeAllocateScratch(24); // +20 the access a check granted
  const lock = ObpAcquireLock();
  const status = ObpDuplicateObject(sourceProcessHandle, sourceHandle, targetProcessHandle, targetHandle, desiredAccess, handleAttributes, options, out);
  ObpReleaseLock(lock);
  KeFreeScratch(out);
  return status;
}

function ObpDuplicateObject(sourceProcessHandle: u32, sourceHandle: u32, targetProcessHandle: u32, targetHandle: usize,
                            desiredAccess: u32, handleAttributes: u32, options: u32, out: usize): u32 {
  if ((options & ~(DUPLICATE_CLOSE_SOURCE | DUPLICATE_SAME_ACCESS | DUPLICATE_SAME_ATTRIBUTES)) != 0) return STATUS_INVALID_PARAMETER;
  if ((handleAttributes & ~(OBJ_INHERIT | OBJ_PROTECT_CLOSE)) != 0) return STATUS_INVALID_PARAMETER;
  let status = ObpHandleTableOfProcess(sourceProcessHandle, out);
  if (!NT_SUCCESS(status)) return status;
  const sourceTable = load<usize>(out);
  status = ObpReferenceObjectByHandleIn(sourceTable, sourceHandle, 0, 0, out + 8, out + 12);
  if (!NT_SUCCESS(status)) return status;
  const object = load<usize>(out, 8);
  const source = changetype<OBJECT_HANDLE_INFORMATION>(out + 12);
  const sourceAccess = source.GrantedAccess, sourceAttributes = source.HandleAttributes;
  if ((options & DUPLICATE_CLOSE_SOURCE) != 0) ObpCloseHandleIn(sourceTable, sourceHandle); // as NtClose: a protected handle stays
  if (targetProcessHandle == 0) {
    ObDereferenceObject(object);
    return (options & DUPLICATE_CLOSE_SOURCE) != 0 ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;
  }
  status = ObpHandleTableOfProcess(targetProcessHandle, out);
  if (!NT_SUCCESS(status)) {
    ObDereferenceObject(object);
    return status;
  }
  const targetTable = load<usize>(out), targetProcess = load<usize>(out, 4);
  // Without DUPLICATE_SAME_ACCESS the new handle has the access asked for
  // (generic rights mapped, limited to the type's rights). Rights the source
  // lacks are checked as an open would be, against the object's descriptor
  // for the TARGET process's token (NT's ObDuplicateObject); a type with a
  // security method of its own (files, keys) never gets them: DuplicateHandle's
  // documentation says "a file handle created with the GENERIC_READ access
  // right cannot be duplicated so that it has both the GENERIC_READ and
  // GENERIC_WRITE access right". MAXIMUM_ALLOWED asks for the source's access
  // and whatever more the descriptor grants. obsecure.ts ObpCheckDuplicateAccess.
  let access = sourceAccess;
  if ((options & DUPLICATE_SAME_ACCESS) == 0) {
    const type = OBJECT_TO_OBJECT_HEADER(object).Type;
    const maximum = (desiredAccess & MAXIMUM_ALLOWED_ACCESS) != 0;
    access = ObpMapGenericMask(type, desiredAccess & ~MAXIMUM_ALLOWED_ACCESS) & ObpTypeInfo(type).ValidAccessMask;
    if (maximum || (access & ~sourceAccess) != 0) {
      status = ObpCheckDuplicateAccess(object, maximum ? (access & ~sourceAccess) | MAXIMUM_ALLOWED_ACCESS : access, targetProcess, out + 20);
      if (!NT_SUCCESS(status)) {
        ObDereferenceObject(object);
        return status;
      }
      if (maximum) access |= sourceAccess | load<u32>(out, 20);
    }
  }
  const attributes = (options & DUPLICATE_SAME_ATTRIBUTES) != 0 ? sourceAttributes : handleAttributes;
  status = ObpCreateHandleInTable(targetTable, object, access, attributes, targetHandle);
  if (!NT_SUCCESS(status)) ObDereferenceObject(object);
  return status;
}

/**
 * A new process inherits its parent's handles marked OBJ_INHERIT, at the same
 * values, with the same access and attributes (NtCreateProcess with handle
 * inheritance). `sourceCell` holds the parent's table (EPROCESS.ObjectTable: 0 once the
 * parent has ended); `target` is a new, empty table. False when it cannot grow or the parent has no table.
 */
export function ObInheritHandles(sourceCell: usize, target: usize): bool {
  const lock = ObpAcquireLock();
  // The parent's table, read under the lock: a parent that has ended has none (its exit zeroes the
  // cell, then destroys the table under this lock). Read before the lock, it bug-checked (services fuzzer, seeds 13, 15).
  const source = load<usize>(sourceCell);
  if (source == 0) { ObpReleaseLock(lock); return false; }
  const s = changetype<HANDLE_TABLE>(source), t = changetype<HANDLE_TABLE>(target);
  let ok = true;
  while (ok && t.Capacity < s.Capacity) ok = ObpGrowHandleTable(t) == STATUS_SUCCESS;
  if (ok) {
    for (let index: u32 = 1; index < s.Capacity; index++) {
      const from = ObpTableEntry(source, index);
      if (from.Object == 0 || (from.Object & OBJ_INHERIT) == 0) continue;
      const object = from.Object & ~(<usize>OBJ_HANDLE_ATTRIBUTES);
      const to = ObpTableEntry(target, index);
      to.Object = from.Object;
      to.GrantedAccess = from.GrantedAccess;
      t.HandleCount++;
      OBJECT_TO_OBJECT_HEADER(object).HandleCount++;
      const type = changetype<OBJECT_TYPE>(OBJECT_TO_OBJECT_HEADER(object).Type);
      type.TotalNumberOfHandles++;
      if (type.TotalNumberOfHandles > type.HighWaterNumberOfHandles) type.HighWaterNumberOfHandles = type.TotalNumberOfHandles;
      ObReferenceObject(object);
    }
    // The free list again, lowest first, through the entries left empty.
    t.FirstFree = 0;
    for (let index = t.Capacity - 1; index >= 1; index--) {
      const entry = ObpTableEntry(target, index);
      if (entry.Object != 0) continue;
      entry.GrantedAccess = t.FirstFree;
      t.FirstFree = index;
    }
  }
  ObpReleaseLock(lock);
  return ok;
}
