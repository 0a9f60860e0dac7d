// Objects' security descriptors and the access check on opens.
//
// An object may carry a self-relative SECURITY_DESCRIPTOR (pool 'SeSd') in
// OBJECT_HEADER.SecurityDescriptor: the one its creator gave in
// OBJECT_ATTRIBUTES.SecurityDescriptor (captured by ObCreateObject, before
// anything is made, through ExCaptureSecurityDescriptor), or the one
// a component assigns (tokens: se/; processes and threads keep theirs on the
// EPROCESS: ps/). An object without one is open to everybody (NT's NULL
// DACL). It goes with the object (ObpDeleteObject).
//
// The access check itself is Se's (SeAccessCheck against the caller's
// token): Se sits above Ob, so it registers it here at boot
// (ObSetAccessCheckRoutine), and Ob runs it when a name is opened
// (ObOpenObjectByName, OBJ_OPENIF's open of an existing object) for a
// caller whose previous mode is UserMode.
//
// Where a type keeps its objects' descriptors (ObSetTypeSecurity):
//   - in the object header (every type that registers nothing: NT's
//     SeDefaultObjectMethod);
//   - elsewhere, through the component's query and assign routines: a
//     Process or Thread object is a wrapper (one per open) of the EPROCESS
//     or KTHREAD; the EPROCESS's descriptor serves the process and those of
//     its threads that have none of their own (se/threadsd.ts);
//   - by a method of the component's own (files, keys: NT's
//     IopGetSetSecurityObject and CmpSecurityMethod). NtDuplicateObject
//     never gives a handle to such an object rights its source lacked (NT:
//     "we can't allow this privilege elevation"), which is why a file opened
//     for reading cannot be duplicated into a writer.

//
// Default descriptors (NT's SeAssignSecurity, without inheritance: keys have
// theirs, se/assign.ts): an object
// created by name from user mode without a descriptor of its creator's gets
// one from the creator's token (owner its default owner, DACL its default
// DACL: TOKEN_DEFAULT_DACL), through the routine Se registers
// (ObSetDefaultSecurityRoutine). Objects the kernel names for itself get
// none unless it gives them one: the directories of the namespace's top get
// NT's (ObGetSystemSecurityDescriptor: "public", everyone may look and
// traverse, SYSTEM and Administrators may do everything; "open", everyone may
// also create objects and subdirectories, as \BaseNamedObjects).
//
// Directory checks (ObpCheckDirectoryAccess), for user-mode callers only:
// creating a name in a directory needs DIRECTORY_CREATE_OBJECT
// (DIRECTORY_CREATE_SUBDIRECTORY for a directory); looking a name up through
// a directory needs DIRECTORY_TRAVERSE unless the token has
// SeChangeNotifyPrivilege enabled (bypass traverse checking, which NT gives
// everyone).

import { ExGetPreviousMode, UserMode } from "../ke/probe";
import { ExAllocatePoolWithTag, NonPagedPool } from "../ex/pool";
import { ExDuplicateSecurityDescriptor, ExFreeSecurityDescriptor, SE_SD_TAG } from "../ex/security";
import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import { RtlAddAccessAllowedAceAt, RtlBuildRelativeSecurityDescriptor, RtlCreateAcl, RtlInitializeSid } from "../rtl/security";
import {
  DOMAIN_ALIAS_RID_ADMINS, SECURITY_BUILTIN_DOMAIN_RID, SECURITY_LOCAL_SYSTEM_RID, SECURITY_NT_AUTHORITY, SECURITY_WORLD_RID,
  SECURITY_WORLD_SID_AUTHORITY, SIZEOF_ACL, SECURITY_DESCRIPTOR_RELATIVE, SECURITY_DESCRIPTOR_REVISION, SE_DACL_PRESENT, SE_SELF_RELATIVE,
  SIZEOF_SECURITY_DESCRIPTOR_RELATIVE,
} from "../sdk/security";
import {
  DIRECTORY_CREATE_OBJECT, DIRECTORY_CREATE_SUBDIRECTORY, DIRECTORY_TRAVERSE, GENERIC_ALL, GENERIC_EXECUTE, GENERIC_READ, GENERIC_WRITE,
  OB_FLAG_PERMANENT_OBJECT, OBJECT_TO_OBJECT_HEADER, ObpAcquireLock, ObpReleaseLock, ObpTypeInfo,
} from "./obp";
import { STATUS_ACCESS_DENIED, STATUS_NOT_SUPPORTED, STATUS_PRIVILEGE_NOT_HELD, STATUS_SUCCESS } from "../sdk/ntstatus";

/**
 * Checks `desiredAccess` (generic rights allowed, MAXIMUM_ALLOWED too) against
 * a self-relative descriptor with the type's generic mapping (GENERIC_MAPPING
 * at `mapping`, 16 bytes), for the current thread's token; the granted access
 * goes to `granted`. Returns STATUS_SUCCESS or STATUS_ACCESS_DENIED.
 * `processObject` is a Process object whose primary token is checked (the
 * target of a duplicate), or 0 for the current thread's.
 */
export type OB_ACCESS_CHECK = (sd: usize, desiredAccess: u32, mapping: usize, granted: usize, processObject: usize) => u32;
let ObpAccessCheck: OB_ACCESS_CHECK | null = null;

/** Se, at boot: the routine opens run. */
export function ObSetAccessCheckRoutine(routine: OB_ACCESS_CHECK): void { ObpAccessCheck = routine; }

/** True when the current thread's token has privilege `luid` enabled (Se's SeSinglePrivilegeCheck: kernel-mode callers have all). */
export type OB_PRIVILEGE_CHECK = (luid: u32) => bool;
let ObpPrivilegeCheckRoutine: OB_PRIVILEGE_CHECK | null = null;
/** Se, at boot: the privilege check Ob runs (SeCreatePermanentPrivilege). */
export function ObSetPrivilegeCheckRoutine(routine: OB_PRIVILEGE_CHECK): void { ObpPrivilegeCheckRoutine = routine; }
/** SeCreatePermanentPrivilege's LUID (ntseapi.h): permanent objects. */
export const SE_CREATE_PERMANENT_PRIVILEGE: u32 = 16;
/** Se's privilege check; before Se registers it (phase 0, kernel only) every privilege is held. */
export function ObpPrivilegeCheck(luid: u32): bool {
  const check = ObpPrivilegeCheckRoutine;
  return !check || check!(luid);
}

/** An object's security descriptor (self-relative, owned by the object), or 0. */
export function ObGetObjectSecurity(object: usize): usize { return OBJECT_TO_OBJECT_HEADER(object).SecurityDescriptor; }

/** Gives an object a descriptor (a 'SeSd' pool block it then owns); one it had before is returned for the caller to free. */
export function ObSetObjectSecurity(object: usize, sd: usize): usize {
  const header = OBJECT_TO_OBJECT_HEADER(object);
  const previous = header.SecurityDescriptor;
  header.SecurityDescriptor = sd;
  return previous;
}

/** The type's GENERIC_MAPPING (its initializer's GenericRead..GenericAll, 16 bytes). */
export function ObGetTypeGenericMapping(type: usize): usize { return changetype<usize>(ObpTypeInfo(type)) + 8; }

/**
 * The access a user-mode open of `object` gets (at `granted`): the check of
 * `desiredAccess` against the object's descriptor. Kernel-mode callers and
 * objects without a descriptor get what they ask for (generic rights are
 * mapped later, with the handle). Runs under the object manager's lock (the
 * check reads only kernel memory and does not wait).
 */
export function ObpCheckObjectAccess(object: usize, desiredAccess: u32, granted: usize): u32 {
  store<u32>(granted, desiredAccess);
  const sd = OBJECT_TO_OBJECT_HEADER(object).SecurityDescriptor;
  const check = ObpAccessCheck;
  if (sd == 0 || !check || ExGetPreviousMode() != UserMode) return STATUS_SUCCESS;
  return check!(sd, desiredAccess, ObGetTypeGenericMapping(OBJECT_TO_OBJECT_HEADER(object).Type), granted, 0);
}

/**
 * ObpCheckObjectAccess for a component that holds a reference to `object`
 * but not Ob's lock (Io's check of a device on a raw open): the descriptor
 * is read and checked under the lock, so a concurrent NtSetSecurityObject
 * cannot free it meanwhile. Generic rights and MAXIMUM_ALLOWED are mapped
 * with the object's type; kernel-mode callers and objects without a
 * descriptor get what they ask.
 */
export function ObCheckObjectAccess(object: usize, desiredAccess: u32, granted: usize): u32 {
  const lock = ObpAcquireLock();
  const status = ObpCheckObjectAccess(object, desiredAccess, granted);
  ObpReleaseLock(lock);
  return status;
}

/** The same check for a descriptor kept outside the object header (a process's, a thread's), with the type's mapping. */
export function ObCheckAccess(sd: usize, type: usize, desiredAccess: u32, granted: usize): u32 {
  store<u32>(granted, desiredAccess);
  const check = ObpAccessCheck;
  if (sd == 0 || !check || ExGetPreviousMode() != UserMode) return STATUS_SUCCESS;
  return check!(sd, desiredAccess, ObGetTypeGenericMapping(type), granted, 0);
}

// ---- types that keep descriptors elsewhere ----

/** The descriptor of an object whose type keeps it elsewhere (kernel memory, valid under Ob's lock), or 0. */
export type OB_SECURITY_QUERY = (object: usize) => usize;
/** Gives such an object a new descriptor (a 'SeSd' block it then owns); returns the one it had, for the caller to free. */
export type OB_SECURITY_ASSIGN = (object: usize, sd: usize) => usize;

/** A type's descriptors are kept by a method of its component's own (files, keys). */
export const OB_SECURITY_OWN_METHOD: u32 = 1;

@unmanaged class OB_TYPE_SECURITY {
  Type: usize;
  Flags: u32;
  Query: OB_SECURITY_QUERY | null;
  Assign: OB_SECURITY_ASSIGN | null;
}
const SIZEOF_OB_TYPE_SECURITY: u32 = 16;
const OBP_MAX_TYPE_SECURITY: u32 = 8;
const ObpTypeSecurity = memory.data(<i32>(SIZEOF_OB_TYPE_SECURITY * OBP_MAX_TYPE_SECURITY), 4);
let ObpTypeSecurityCount: u32 = 0;

/**
 * A component, at boot: where objects of `type` keep their descriptors
 * (`query`, `assign`; either may be null: nothing to return, or no change
 * allowed), and `flags` (OB_SECURITY_OWN_METHOD).
 */
export function ObSetTypeSecurity(type: usize, flags: u32, query: OB_SECURITY_QUERY | null, assign: OB_SECURITY_ASSIGN | null): void {
  if (ObpTypeSecurityCount == OBP_MAX_TYPE_SECURITY) return;
  const r = changetype<OB_TYPE_SECURITY>(ObpTypeSecurity + ObpTypeSecurityCount * SIZEOF_OB_TYPE_SECURITY);
  r.Type = type; r.Flags = flags; r.Query = query; r.Assign = assign;
  ObpTypeSecurityCount++;
}

/** The record of a type that registered one, or 0 (the descriptor is in the header). */
function ObpTypeSecurityOf(type: usize): usize {
  for (let i: u32 = 0; i < ObpTypeSecurityCount; i++) {
    const r = ObpTypeSecurity + i * SIZEOF_OB_TYPE_SECURITY;
    if (changetype<OB_TYPE_SECURITY>(r).Type == type) return r;
  }
  return 0;
}

/** True when the type's descriptors are its component's own business (files, keys). */
export function ObpHasOwnSecurityMethod(type: usize): bool {
  const r = ObpTypeSecurityOf(type);
  return r != 0 && (changetype<OB_TYPE_SECURITY>(r).Flags & OB_SECURITY_OWN_METHOD) != 0;
}

/** An object's descriptor wherever its type keeps it (the header, or the component's query routine), or 0. Under Ob's lock. */
export function ObpQueryObjectSecurity(object: usize): usize {
  const r = ObpTypeSecurityOf(OBJECT_TO_OBJECT_HEADER(object).Type);
  if (r == 0) return OBJECT_TO_OBJECT_HEADER(object).SecurityDescriptor;
  const query = changetype<OB_TYPE_SECURITY>(r).Query;
  return query ? query(object) : 0;
}

/**
 * NtQuerySecurityObject's read: a pool copy ('SeSd', the caller frees it
 * with ExFreeSecurityDescriptor) of an object's descriptor wherever its type
 * keeps it, at `out` (0 when it has none). STATUS_INSUFFICIENT_RESOURCES.
 */
export function ObCopyObjectSecurity(object: usize, out: usize): u32 {
  store<usize>(out, 0);
  const lock = ObpAcquireLock();
  const sd = ObpQueryObjectSecurity(object);
  const status = sd != 0 ? ExDuplicateSecurityDescriptor(sd, out) : STATUS_SUCCESS;
  ObpReleaseLock(lock);
  return status;
}

/**
 * NtSetSecurityObject's write: `sd` (a valid 'SeSd' block) replaces the
 * object's descriptor wherever its type keeps it; the object owns it from
 * here (on failure the caller still does). STATUS_NOT_SUPPORTED when the type
 * allows no change. Threads, keys and files have
 * routines of their components' (Cm: the key's own; Io: a device open's
 * device, and nothing kept for a FAT file).
 */
export function ObAssignObjectSecurity(object: usize, sd: usize): u32 {
  const lock = ObpAcquireLock();
  const r = ObpTypeSecurityOf(OBJECT_TO_OBJECT_HEADER(object).Type);
  let previous: usize = 0, status = STATUS_SUCCESS;
  if (r == 0) previous = ObSetObjectSecurity(object, sd);
  else {
    const assign = changetype<OB_TYPE_SECURITY>(r).Assign;
    if (assign) previous = assign(object, sd); else status = STATUS_NOT_SUPPORTED;
  }
  ObpReleaseLock(lock);
  if (previous != 0) ExFreeSecurityDescriptor(previous);
  return status;
}

/**
 * The access check of a duplicate that asks for rights its source lacks
 * (NT's ObDuplicateObject with an access state, ObpIncrementHandleCount's
 * ObCheckObjectAccess): `desiredAccess` (generic rights mapped; it may have
 * MAXIMUM_ALLOWED) against the object's descriptor for the primary token of
 * the TARGET process (`processObject`, 0 for the current one). A type with a
 * method of its own refuses (STATUS_ACCESS_DENIED; with MAXIMUM_ALLOWED it
 * grants nothing more). An object without a descriptor, or a kernel-mode
 * caller, gets what it asks for (MAXIMUM_ALLOWED: every right of the type),
 * as NT: no descriptor, no protection. Under Ob's lock.
 */
export function ObpCheckDuplicateAccess(object: usize, desiredAccess: u32, processObject: usize, granted: usize): u32 {
  const type = OBJECT_TO_OBJECT_HEADER(object).Type;
  const maximum = (desiredAccess & MAXIMUM_ALLOWED_RIGHT) != 0;
  const asked = desiredAccess & ~MAXIMUM_ALLOWED_RIGHT;
  store<u32>(granted, 0);
  if (ObpHasOwnSecurityMethod(type)) return maximum ? STATUS_SUCCESS : STATUS_ACCESS_DENIED;
  const sd = ObpQueryObjectSecurity(object);
  const check = ObpAccessCheck;
  if (sd == 0 || !check || ExGetPreviousMode() != UserMode) {
    store<u32>(granted, maximum ? asked | ObpTypeInfo(type).ValidAccessMask : asked);
    return STATUS_SUCCESS;
  }
  const status = check!(sd, desiredAccess, ObGetTypeGenericMapping(type), granted, processObject);
  if (status != STATUS_SUCCESS && maximum && asked == 0) { store<u32>(granted, 0); return STATUS_SUCCESS; } // nothing more than the source's
  return status;
}
const MAXIMUM_ALLOWED_RIGHT: u32 = 0x02000000;

// ---- default descriptors ----

/** A new descriptor ('SeSd' pool) from the current thread's token's defaults, or 0 (Se's SeDefaultSecurityDescriptor). */
export type OB_DEFAULT_SECURITY = () => usize;
let ObpDefaultSecurity: OB_DEFAULT_SECURITY | null = null;
/** Se, at boot: the routine that makes a creator's default descriptor. */
export function ObSetDefaultSecurityRoutine(routine: OB_DEFAULT_SECURITY): void { ObpDefaultSecurity = routine; }

/**
 * The descriptor a new object named from user mode gets when its creator gave
 * none (ObCreateObject): the creator's token's defaults, for types whose
 * descriptors Ob keeps; 0 otherwise (kernel-mode creators, other types).
 */
export function ObpDefaultObjectSecurity(type: usize): usize {
  const routine = ObpDefaultSecurity;
  if (!routine || ExGetPreviousMode() != UserMode || ObpTypeSecurityOf(type) != 0) return 0;
  return routine!();
}

/** ObGetSystemSecurityDescriptor kinds. */
export const OB_SECURITY_PUBLIC: u32 = 0;  // Everyone GENERIC_READ | GENERIC_EXECUTE; SYSTEM, Administrators GENERIC_ALL
export const OB_SECURITY_OPEN: u32 = 1;    // the same, and Everyone GENERIC_WRITE (a directory: create objects and subdirectories)
export const OB_SECURITY_PRIVATE: u32 = 2; // Everyone GENERIC_EXECUTE only (a raw disk: query and synchronize, never read or write data)

/**
 * A new descriptor ('SeSd' pool, the caller gives it to an object) as NT
 * gives the namespace's top (SePublicDefaultUnrestrictedSd and the
 * \BaseNamedObjects descriptor): owner Administrators, DACL Everyone
 * (GENERIC_READ | GENERIC_EXECUTE, with OB_SECURITY_OPEN GENERIC_WRITE too),
 * SYSTEM and Administrators GENERIC_ALL; OB_SECURITY_PRIVATE gives Everyone
 * GENERIC_EXECUTE alone. The ACEs keep generic rights: each
 * type maps them (a directory's GENERIC_READ is query and traverse, a link's
 * is query). 0 when the pool is out.
 */
export function ObGetSystemSecurityDescriptor(kind: u32): usize {
  // Scratch: +0 Everyone (12), +12 SYSTEM (12), +24 Administrators (16), +40 the ACL (8 + 20 + 20 + 24).
  const s = KeAllocateScratch(112);
  const world = s, system = s + 12, admins = s + 24, acl = s + 40;
  RtlInitializeSid(world, SECURITY_WORLD_SID_AUTHORITY, 1, SECURITY_WORLD_RID, 0, 0, 0, 0);
  RtlInitializeSid(system, SECURITY_NT_AUTHORITY, 1, SECURITY_LOCAL_SYSTEM_RID, 0, 0, 0, 0);
  RtlInitializeSid(admins, SECURITY_NT_AUTHORITY, 2, SECURITY_BUILTIN_DOMAIN_RID, DOMAIN_ALIAS_RID_ADMINS, 0, 0, 0);
  const aclSize: u32 = SIZEOF_ACL + 20 + 20 + 24;
  RtlCreateAcl(acl, aclSize);
  const worldMask = kind == OB_SECURITY_PRIVATE ? GENERIC_EXECUTE
    : GENERIC_READ | GENERIC_EXECUTE | (kind == OB_SECURITY_OPEN ? GENERIC_WRITE : 0);
  let at = RtlAddAccessAllowedAceAt(acl, SIZEOF_ACL, worldMask, world);
  at = RtlAddAccessAllowedAceAt(acl, at, GENERIC_ALL, system);
  RtlAddAccessAllowedAceAt(acl, at, GENERIC_ALL, admins);
  const sd = ExAllocatePoolWithTag(NonPagedPool, 20 + 16 + aclSize, SE_SD_TAG);
  if (sd != 0) RtlBuildRelativeSecurityDescriptor(sd, admins, acl);
  KeFreeScratch(s);
  return sd;
}

/**
 * NT's SeAssignWorldSecurityDescriptor: what a file of a file system that
 * keeps no security (FAT) answers to NtQuerySecurityObject -- owner and
 * group Everyone, a NULL DACL (everyone may do everything). One block, built
 * at boot (IoInitSystem, phase 1, one thread) and never changed or freed.
 */
const ObpWorldDescriptor = memory.data(<i32>(20 + 12 + 12), 4);
export function ObGetWorldSecurityDescriptor(): usize {
  const sd = ObpWorldDescriptor;
  const d = changetype<SECURITY_DESCRIPTOR_RELATIVE>(sd);
  if (d.Revision == 0) {
    RtlInitializeSid(sd + SIZEOF_SECURITY_DESCRIPTOR_RELATIVE, SECURITY_WORLD_SID_AUTHORITY, 1, SECURITY_WORLD_RID, 0, 0, 0, 0);
    RtlInitializeSid(sd + SIZEOF_SECURITY_DESCRIPTOR_RELATIVE + 12, SECURITY_WORLD_SID_AUTHORITY, 1, SECURITY_WORLD_RID, 0, 0, 0, 0);
    d.Sbz1 = 0;
    d.Control = SE_SELF_RELATIVE | SE_DACL_PRESENT;
    d.Owner = SIZEOF_SECURITY_DESCRIPTOR_RELATIVE;
    d.Group = SIZEOF_SECURITY_DESCRIPTOR_RELATIVE + 12;
    d.Sacl = 0;
    d.Dacl = 0;
    d.Revision = SECURITY_DESCRIPTOR_REVISION;
  }
  return sd;
}

// ---- directory checks ----

const SE_CHANGE_NOTIFY_PRIVILEGE: u32 = 23;

/**
 * A user-mode caller's right to create `object`'s name in `directory`
 * (`object` 0: to traverse it). STATUS_SUCCESS, STATUS_ACCESS_DENIED, or
 * STATUS_PRIVILEGE_NOT_HELD for a permanent object.
 * Under Ob's lock; reads only kernel memory.
 */
export function ObpCheckDirectoryAccess(directory: usize, object: usize, directoryType: usize): u32 {
  if (ExGetPreviousMode() != UserMode) return STATUS_SUCCESS;
  // A new permanent name (OBJ_PERMANENT) outlives its creator: SeCreatePermanentPrivilege, as NtMakePermanentObject.
  // Only a name made: OBJ_OPENIF | OBJ_PERMANENT on an existing object opens it.
  if (object != 0 && (OBJECT_TO_OBJECT_HEADER(object).Flags & OB_FLAG_PERMANENT_OBJECT) != 0
      && !ObpPrivilegeCheck(SE_CREATE_PERMANENT_PRIVILEGE)) return STATUS_PRIVILEGE_NOT_HELD;
  const sd = OBJECT_TO_OBJECT_HEADER(directory).SecurityDescriptor;
  if (sd == 0) return STATUS_SUCCESS;
  let access: u32;
  if (object == 0) {
    if (ObpPrivilegeCheck(SE_CHANGE_NOTIFY_PRIVILEGE)) return STATUS_SUCCESS;
    access = DIRECTORY_TRAVERSE;
  } else {
    access = OBJECT_TO_OBJECT_HEADER(object).Type == directoryType ? DIRECTORY_CREATE_SUBDIRECTORY : DIRECTORY_CREATE_OBJECT;
  }
  const granted = KeAllocateScratch(4);
  const status = ObpCheckObjectAccess(directory, access, granted);
  KeFreeScratch(granted);
  return status;
}
