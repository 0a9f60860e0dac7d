// Access tokens as objects: the Token object type and the token body.
//
// A token here carries what NT's privilege model needs: its ids, its type
// and session, and the privileges as three bitmasks over the well-known
// privilege LUIDs (bit n is the privilege whose LUID is n, 2..35 as in
// winnt.h): present, enabled, enabled by default; and who it speaks for:
// its user and groups (UserAndGroups: one pool block, 'TokS', of
// SID_AND_ATTRIBUTES entries, the user first, then the SIDs they point to),
// the default owner, and the default DACL (an ACL in pool, 'TokD') that
// objects it creates get (se/access.ts). Each token object carries a
// security descriptor made from its own defaults (its user can open it).
// Every process holds a primary token (EPROCESS.Token,
// one reference); a new process gets a copy of its parent's, so adjusting
// one never changes the other. A token goes with its last reference.
//
// This module imports nothing from Ps: Ps calls it to copy and release a
// process's token (se/token.ts holds the services and the System token).

import { KeBugCheckEx } from "../ke/bugcheck";
import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import { cli, read_eflags, sti } from "../sdk/intrinsics";
import { ObCreateObject, ObCreateObjectType, ObInitializeTypeInitializer } from "../ob/obcreate";
import { ObDereferenceObject } from "../ob/obref";
import { ObSetObjectSecurity } from "../ob/obsecure";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { ExFreeSecurityDescriptor } from "../ex/security";
import { SIZEOF_SID_AND_ATTRIBUTES } from "../sdk/security";
import { SeDefaultSecurityDescriptor } from "./access";
import {
  OB_FLAG_NEW_OBJECT, OBJECT_TO_OBJECT_HEADER, OBJECT_TYPE_INITIALIZER, READ_CONTROL, STANDARD_RIGHTS_REQUIRED,
} from "../ob/obp";
import { RtlInitUnicodeString } from "../rtl/unicode";
import { STATUS_SUCCESS } from "../sdk/ntstatus";
import { OBJ_OPENLINK } from "../sdk/ntdef";

// ---- access rights (winnt.h) ----

export const TOKEN_ASSIGN_PRIMARY: u32 = 0x0001;
export const TOKEN_DUPLICATE: u32 = 0x0002;
export const TOKEN_IMPERSONATE: u32 = 0x0004;
export const TOKEN_QUERY: u32 = 0x0008;
export const TOKEN_QUERY_SOURCE: u32 = 0x0010;
export const TOKEN_ADJUST_PRIVILEGES: u32 = 0x0020;
export const TOKEN_ADJUST_GROUPS: u32 = 0x0040;
export const TOKEN_ADJUST_DEFAULT: u32 = 0x0080;
export const TOKEN_ADJUST_SESSIONID: u32 = 0x0100;
/** 0x000F01FF. */
export const TOKEN_ALL_ACCESS: u32 = STANDARD_RIGHTS_REQUIRED | 0x1FF;
/** The generic mapping: TOKEN_READ, TOKEN_WRITE, TOKEN_EXECUTE, TOKEN_ALL_ACCESS. */
export const TOKEN_READ: u32 = READ_CONTROL | TOKEN_QUERY;
export const TOKEN_WRITE: u32 = READ_CONTROL | TOKEN_ADJUST_PRIVILEGES | TOKEN_ADJUST_GROUPS | TOKEN_ADJUST_DEFAULT;
export const TOKEN_EXECUTE: u32 = READ_CONTROL;

// ---- privileges (winnt.h: LUID_AND_ATTRIBUTES.Attributes; the LUIDs of ntseapi.h) ----

export const SE_PRIVILEGE_ENABLED_BY_DEFAULT: u32 = 0x00000001;
export const SE_PRIVILEGE_ENABLED: u32 = 0x00000002;
/** NT 6.0's addition: NtAdjustPrivilegesToken takes the privilege out of the token for good. */
export const SE_PRIVILEGE_REMOVED: u32 = 0x00000004;
export const SE_PRIVILEGE_USED_FOR_ACCESS: u32 = 0x80000000;

export const SE_MIN_WELL_KNOWN_PRIVILEGE: u32 = 2;
export const SE_CREATE_TOKEN_PRIVILEGE: u32 = 2;
export const SE_ASSIGNPRIMARYTOKEN_PRIVILEGE: u32 = 3;
export const SE_LOCK_MEMORY_PRIVILEGE: u32 = 4;
export const SE_INCREASE_QUOTA_PRIVILEGE: u32 = 5;
export const SE_MACHINE_ACCOUNT_PRIVILEGE: u32 = 6;
export const SE_TCB_PRIVILEGE: u32 = 7;
export const SE_SECURITY_PRIVILEGE: u32 = 8;
export const SE_TAKE_OWNERSHIP_PRIVILEGE: u32 = 9;
export const SE_LOAD_DRIVER_PRIVILEGE: u32 = 10;
export const SE_SYSTEM_PROFILE_PRIVILEGE: u32 = 11;
export const SE_SYSTEMTIME_PRIVILEGE: u32 = 12;
export const SE_PROF_SINGLE_PROCESS_PRIVILEGE: u32 = 13;
export const SE_INC_BASE_PRIORITY_PRIVILEGE: u32 = 14;
export const SE_CREATE_PAGEFILE_PRIVILEGE: u32 = 15;
export const SE_CREATE_PERMANENT_PRIVILEGE: u32 = 16;
export const SE_BACKUP_PRIVILEGE: u32 = 17;
export const SE_RESTORE_PRIVILEGE: u32 = 18;
export const SE_SHUTDOWN_PRIVILEGE: u32 = 19;
export const SE_DEBUG_PRIVILEGE: u32 = 20;
export const SE_AUDIT_PRIVILEGE: u32 = 21;
export const SE_SYSTEM_ENVIRONMENT_PRIVILEGE: u32 = 22;
export const SE_CHANGE_NOTIFY_PRIVILEGE: u32 = 23;
export const SE_REMOTE_SHUTDOWN_PRIVILEGE: u32 = 24;
export const SE_UNDOCK_PRIVILEGE: u32 = 25;
export const SE_SYNC_AGENT_PRIVILEGE: u32 = 26;
export const SE_ENABLE_DELEGATION_PRIVILEGE: u32 = 27;
export const SE_MANAGE_VOLUME_PRIVILEGE: u32 = 28;
export const SE_IMPERSONATE_PRIVILEGE: u32 = 29;
export const SE_CREATE_GLOBAL_PRIVILEGE: u32 = 30;
export const SE_TRUSTED_CREDMAN_ACCESS_PRIVILEGE: u32 = 31;
export const SE_RELABEL_PRIVILEGE: u32 = 32;
export const SE_INC_WORKING_SET_PRIVILEGE: u32 = 33;
export const SE_TIME_ZONE_PRIVILEGE: u32 = 34;
export const SE_CREATE_SYMBOLIC_LINK_PRIVILEGE: u32 = 35;
export const SE_MAX_WELL_KNOWN_PRIVILEGE: u32 = 35;

/** The bit of privilege `luid` in a token's masks. */
@inline export function SepPrivilegeBit(luid: u32): u64 { return (<u64>1) << <u64>luid; }

/** Every well-known privilege, 2..35 (a literal: the kernel has no start function). */
export const SE_ALL_PRIVILEGES: u64 = 0x0000000FFFFFFFFC;

// ---- the token body ----

export const TokenPrimary: u32 = 1;
export const TokenImpersonation: u32 = 2;
/** SYSTEM_LUID: the logon session of LocalSystem. */
export const SYSTEM_LUID: u32 = 0x3E7;

@unmanaged export class TOKEN {
  /** Bit n: privilege LUID n is in the token / enabled / enabled by default. */
  Present: u64;
  Enabled: u64;
  EnabledByDefault: u64;
  TokenId: u64;           // a LUID: unique per token
  ModifiedId: u64;        // a new LUID at every change
  AuthenticationId: u64;  // the logon session (SYSTEM_LUID)
  TokenType: u32;         // TokenPrimary
  SessionId: u32;
  /** SID_AND_ATTRIBUTES[UserAndGroupCount] then the SIDs ('TokS' pool); [0] is the user. */
  UserAndGroups: usize;
  UserAndGroupCount: u32;
  UserAndGroupsLength: u32;
  /** Index in UserAndGroups of the default owner, and of the primary group. */
  DefaultOwnerIndex: u32;
  PrimaryGroupIndex: u32;
  /** The default DACL ('TokD' pool), or 0. */
  DefaultDacl: usize;
  /** TOKEN_SOURCE.SourceName (8 characters) and SourceIdentifier. */
  SourceName: u64;
  SourceIdentifier: u64;
}
export const SIZEOF_TOKEN: u32 = offsetof<TOKEN>();

/** Locally unique ids (ExAllocateLocallyUniqueId): after the well-known ones. */
let SepNextLuid: u64 = 0x10000;
/** Interrupts off for a few instructions (this uniprocessor kernel's DISPATCH_LEVEL): the global counters below. */
@inline function SepLock(): u32 { const f = read_eflags() & 0x200; cli(); return f; }
@inline function SepUnlock(f: u32): void { if (f != 0) sti(); }
/** A new LUID. The counter is global: read and bumped with interrupts off, so two threads never get the same one. */
export function SepAllocateLuid(): u64 {
  const f = SepLock();
  const luid = SepNextLuid++;
  SepUnlock(f);
  return luid;
}

export let SeTokenObjectType: usize = 0;
/** Tokens alive (for the log and leak checks). */
export let SepTokenCount: u32 = 0;

// Boot only (SepCreateTokenType runs once in phase 1, before a second thread exists).
const TypeName = memory.data(8, 4);
const TypeInit = memory.data(64, 4);
const Out = memory.data(4, 4);

export const SE_TOKEN_SIDS_TAG: u32 = 0x536B6F54; // 'TokS'
export const SE_TOKEN_DACL_TAG: u32 = 0x446B6F54; // 'TokD'

function SepDeleteToken(object: usize): void { // under Ob's lock
  const t = changetype<TOKEN>(object);
  if (t.UserAndGroups != 0) ExFreePoolWithTag(t.UserAndGroups, SE_TOKEN_SIDS_TAG);
  if (t.DefaultDacl != 0) ExFreePoolWithTag(t.DefaultDacl, SE_TOKEN_DACL_TAG);
  t.UserAndGroups = 0; t.DefaultDacl = 0;
  const f = SepLock();
  SepTokenCount--;
  SepUnlock(f);
}

/**
 * Gives `token` its identity: a copy of a user-and-groups block (`length`
 * bytes, `count` entries whose SID pointers point inside `block`) and of a
 * default DACL (or 0), and its security descriptor from them. False when
 * the pool is out (the token then keeps what it had).
 */
export function SepSetTokenIdentity(token: usize, block: usize, count: u32, length: u32, ownerIndex: u32, groupIndex: u32, dacl: usize): bool {
  const copy = ExAllocatePoolWithTag(NonPagedPool, length != 0 ? length : 4, SE_TOKEN_SIDS_TAG);
  if (copy == 0) return false;
  let daclCopy: usize = 0;
  if (dacl != 0) {
    const size = <u32>load<u16>(dacl, 2);
    daclCopy = ExAllocatePoolWithTag(NonPagedPool, size, SE_TOKEN_DACL_TAG);
    if (daclCopy == 0) { ExFreePoolWithTag(copy, SE_TOKEN_SIDS_TAG); return false; }
    memory.copy(daclCopy, dacl, size);
  }
  memory.copy(copy, block, length);
  for (let i: u32 = 0; i < count; i++) { // the SID pointers, rebased into the copy
    const entry = copy + i * SIZEOF_SID_AND_ATTRIBUTES;
    store<usize>(entry, load<usize>(entry) - block + copy);
  }
  const t = changetype<TOKEN>(token);
  if (t.UserAndGroups != 0) ExFreePoolWithTag(t.UserAndGroups, SE_TOKEN_SIDS_TAG);
  if (t.DefaultDacl != 0) ExFreePoolWithTag(t.DefaultDacl, SE_TOKEN_DACL_TAG);
  t.UserAndGroups = copy;
  t.UserAndGroupCount = count;
  t.UserAndGroupsLength = length;
  t.DefaultOwnerIndex = ownerIndex < count ? ownerIndex : 0;
  t.PrimaryGroupIndex = groupIndex < count ? groupIndex : 0;
  t.DefaultDacl = daclCopy;
  const sd = SeDefaultSecurityDescriptor(token);
  if (sd != 0) { const previous = ObSetObjectSecurity(token, sd); if (previous != 0) ExFreeSecurityDescriptor(previous); }
  return true;
}

/** \ObjectTypes\Token. */
export function SepCreateTokenType(): void {
  ObInitializeTypeInitializer(TypeInit, TOKEN_READ, TOKEN_WRITE, TOKEN_EXECUTE, TOKEN_ALL_ACCESS, TOKEN_ALL_ACCESS, SIZEOF_TOKEN);
  const info = changetype<OBJECT_TYPE_INITIALIZER>(TypeInit);
  info.InvalidAttributes = OBJ_OPENLINK;
  info.PoolTag = 0x656B6F54; // 'Toke', as NT tags token objects
  info.DeleteProcedure = SepDeleteToken;
  RtlInitUnicodeString(TypeName, "Token");
  const status = ObCreateObjectType(TypeName, TypeInit, Out);
  if (status != STATUS_SUCCESS) KeBugCheckEx(0x5E, 14, status, 0, 0); // OBJECT_INITIALIZATION_FAILED
  SeTokenObjectType = load<usize>(Out);
}

/** A new token object (one reference, no handle), or 0 when the pool is out. */
export function SepCreateToken(present: u64, enabled: u64, enabledByDefault: u64, authenticationId: u64, sessionId: u32): usize {
  if (SeTokenObjectType == 0) return 0;
  // The out-parameter is the thread's own: processes are made by several threads at once.
  const out = KeAllocateScratch(4);
  const status = ObCreateObject(SeTokenObjectType, 0, SIZEOF_TOKEN, out);
  const token = load<usize>(out);
  KeFreeScratch(out);
  if (status != STATUS_SUCCESS) return 0;
  // Never inserted: it is reached through its process, and handles come from ObCreateHandle.
  OBJECT_TO_OBJECT_HEADER(token).Flags &= ~OB_FLAG_NEW_OBJECT;
  const t = changetype<TOKEN>(token);
  t.Present = present & SE_ALL_PRIVILEGES;
  t.Enabled = enabled & t.Present;
  t.EnabledByDefault = enabledByDefault & t.Present;
  t.TokenId = SepAllocateLuid();
  t.ModifiedId = SepAllocateLuid();
  t.AuthenticationId = authenticationId;
  t.TokenType = TokenPrimary;
  t.SessionId = sessionId;
  t.UserAndGroups = 0; t.UserAndGroupCount = 0; t.UserAndGroupsLength = 0; t.DefaultDacl = 0;
  t.DefaultOwnerIndex = 0; t.PrimaryGroupIndex = 0; t.SourceName = 0; t.SourceIdentifier = 0;
  const f = SepLock();
  SepTokenCount++;
  SepUnlock(f);
  return token;
}

/**
 * A new primary token with the privileges of `source` as they are now
 * (NT's SeSubProcessToken: the child's token is a duplicate of the
 * parent's), or 0 when the pool is out.
 */
export function SeCopyPrimaryToken(source: usize): usize {
  const s = changetype<TOKEN>(source);
  const token = SepCreateToken(s.Present, s.Enabled, s.EnabledByDefault, s.AuthenticationId, s.SessionId);
  if (token == 0) return 0;
  const t = changetype<TOKEN>(token);
  t.SourceName = s.SourceName;
  t.SourceIdentifier = s.SourceIdentifier;
  if (s.UserAndGroupCount != 0
      && !SepSetTokenIdentity(token, s.UserAndGroups, s.UserAndGroupCount, s.UserAndGroupsLength, s.DefaultOwnerIndex, s.PrimaryGroupIndex, s.DefaultDacl)) {
    ObDereferenceObject(token);
    return 0;
  }
  return token;
}

/** Drops a reference on a token (a process's, when its EPROCESS goes). */
export function SeDereferenceToken(token: usize): void { ObDereferenceObject(token); }
