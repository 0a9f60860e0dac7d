// NtQueryInformationToken and NtCreateToken.
//
// NtQueryInformationToken(TokenHandle, Class, Buffer, Length, ReturnLength)
// needs TOKEN_QUERY (TokenSource: TOKEN_QUERY_SOURCE). The answer is built in
// a kernel buffer, its pointers already those of the caller's buffer, and
// copied out once (ExCopyToUser); ReturnLength gets the length needed; a
// Length below it is STATUS_BUFFER_TOO_SMALL and nothing else is written.
// Classes: TokenUser, TokenGroups (the groups, not the user),
// TokenPrivileges (every present privilege with its attributes, in LUID
// order), TokenOwner, TokenPrimaryGroup, TokenDefaultDacl, TokenSource,
// TokenType, TokenStatistics, TokenSessionId; TokenImpersonationLevel of a
// primary token is STATUS_INVALID_INFO_CLASS, as in NT; the rest too.
//
// NtCreateToken(TokenHandle, DesiredAccess, ObjectAttributes, TokenType,
// AuthenticationId, ExpirationTime, User, Groups, Privileges, Owner,
// PrimaryGroup, DefaultDacl, Source) needs SeCreateTokenPrivilege
// (STATUS_PRIVILEGE_NOT_HELD): in NT only LSA, as SYSTEM, holds it. Every
// argument is captured once into kernel memory (the SIDs and the ACL sized
// from their heads, then copied whole and validated in the copy). Only
// primary tokens (STATUS_BAD_TOKEN_TYPE otherwise). The owner must be the
// user or a group of the token (STATUS_INVALID_OWNER); the primary group one
// of them (STATUS_INVALID_PRIMARY_GROUP). The new token is in the creator's
// session and is protected by a descriptor from its own defaults.

import { ExCopyFromUser, ExCopyToUser, ExWriteUserUlong, ProbeUserRange, ProbeUserWrite } from "../ke/probe";
import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { ExProbeHandle } from "../ex/capture";
import { ObReferenceObjectByHandle } from "../ob/obhandle";
import { ObDereferenceObject } from "../ob/obref";
import { RtlEqualSid, RtlLengthSid, RtlValidAcl, RtlValidSid } from "../rtl/security";
import {
  SID_AND_ATTRIBUTES, SIZEOF_SID_AND_ATTRIBUTES, SIZEOF_LUID_AND_ATTRIBUTES, SIZEOF_TOKEN_STATISTICS, TOKEN_STATISTICS, SID_HEADER_SIZE,
  SID_MAX_SUB_AUTHORITIES, SIZEOF_ACL, TokenUser, TokenGroups, TokenPrivileges, TokenOwner, TokenPrimaryGroup, TokenDefaultDacl,
  TokenSource, TokenType, TokenStatistics, TokenSessionId, SECURITY_MAX_SID_SIZE,
} from "../sdk/security";
import {
  STATUS_ACCESS_VIOLATION, STATUS_BAD_TOKEN_TYPE, STATUS_BUFFER_TOO_SMALL, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_ACL,
  STATUS_INVALID_INFO_CLASS, STATUS_INVALID_OWNER, STATUS_INVALID_PARAMETER, STATUS_INVALID_PRIMARY_GROUP, STATUS_INVALID_SID,
  STATUS_PRIVILEGE_NOT_HELD, STATUS_SUCCESS,
} from "../sdk/ntstatus";
import {
  TOKEN, SeTokenObjectType, SepCreateToken, SepSetTokenIdentity, SepPrivilegeBit, SE_CREATE_TOKEN_PRIVILEGE,
  SE_MIN_WELL_KNOWN_PRIVILEGE, SE_MAX_WELL_KNOWN_PRIVILEGE, SE_PRIVILEGE_ENABLED, SE_PRIVILEGE_ENABLED_BY_DEFAULT,
  TOKEN_QUERY, TOKEN_QUERY_SOURCE, TokenPrimary,
} from "./tokenobj";
import { SeQueryCurrentToken, SeSinglePrivilegeCheck, SepInsertToken, SepReadPrivileges } from "./token";

const INFO_TAG: u32 = 0x49656553; // 'SeeI': token information being built, captured arguments
/** Most groups NtCreateToken takes. */
const MAX_GROUPS: u32 = 64;
/** Most privileges a TOKEN_PRIVILEGES may list. */
const MAX_PRIVILEGES: u32 = 64;

function SepCountPresent(mask: u64): u32 {
  let n: u32 = 0;
  for (let luid = SE_MIN_WELL_KNOWN_PRIVILEGE; luid <= SE_MAX_WELL_KNOWN_PRIVILEGE; luid++) if ((mask & SepPrivilegeBit(luid)) != 0) n++;
  return n;
}

/** The bytes class `infoClass` needs for token `t`, or 0 for a class not answered. */
function SepInformationLength(t: TOKEN, infoClass: u32, present: u64): u32 {
  switch (infoClass) {
    case TokenUser: return SIZEOF_SID_AND_ATTRIBUTES + RtlLengthSid(load<usize>(t.UserAndGroups));
    case TokenGroups: {
      let n: u32 = 4;
      for (let i: u32 = 1; i < t.UserAndGroupCount; i++) n += SIZEOF_SID_AND_ATTRIBUTES + RtlLengthSid(load<usize>(t.UserAndGroups + i * SIZEOF_SID_AND_ATTRIBUTES));
      return n;
    }
    case TokenPrivileges: return 4 + SepCountPresent(present) * SIZEOF_LUID_AND_ATTRIBUTES;
    case TokenOwner: return 4 + RtlLengthSid(load<usize>(t.UserAndGroups + t.DefaultOwnerIndex * SIZEOF_SID_AND_ATTRIBUTES));
    case TokenPrimaryGroup: return 4 + RtlLengthSid(load<usize>(t.UserAndGroups + t.PrimaryGroupIndex * SIZEOF_SID_AND_ATTRIBUTES));
    case TokenDefaultDacl: return 4 + (t.DefaultDacl != 0 ? <u32>load<u16>(t.DefaultDacl, 2) : 0);
    case TokenSource: return 16;
    case TokenType: case TokenSessionId: return 4;
    case TokenStatistics: return SIZEOF_TOKEN_STATISTICS;
  }
  return 0;
}

/** Writes a SID_AND_ATTRIBUTES at `entry` (kernel) whose SID goes at `sidAt` (offset in the answer); returns the next SID offset. */
function SepPutSid(k: usize, user: usize, entry: usize, sidAt: u32, sid: usize, attributes: u32): u32 {
  const length = RtlLengthSid(sid);
  memory.copy(k + sidAt, sid, length);
  store<usize>(entry, user + sidAt);
  store<u32>(entry, attributes, 4);
  return sidAt + length;
}

/** Builds the answer in `k` for the caller's buffer at `user`. */
function SepBuildInformation(t: TOKEN, infoClass: u32, k: usize, user: usize, present: u64, enabled: u64, byDefault: u64): void {
  const groups = t.UserAndGroups;
  switch (infoClass) {
    case TokenUser: SepPutSid(k, user, k, SIZEOF_SID_AND_ATTRIBUTES, load<usize>(groups), 0); break;
    case TokenGroups: {
      const count = t.UserAndGroupCount - 1;
      store<u32>(k, count);
      let sidAt: u32 = 4 + count * SIZEOF_SID_AND_ATTRIBUTES;
      for (let i: u32 = 0; i < count; i++) {
        const e = changetype<SID_AND_ATTRIBUTES>(groups + (i + 1) * SIZEOF_SID_AND_ATTRIBUTES);
        sidAt = SepPutSid(k, user, k + 4 + i * SIZEOF_SID_AND_ATTRIBUTES, sidAt, e.Sid, e.Attributes);
      }
      break;
    }
    case TokenPrivileges: {
      let n: u32 = 0;
      for (let luid = SE_MIN_WELL_KNOWN_PRIVILEGE; luid <= SE_MAX_WELL_KNOWN_PRIVILEGE; luid++) {
        const bit = SepPrivilegeBit(luid);
        if ((present & bit) == 0) continue;
        const e = k + 4 + n * SIZEOF_LUID_AND_ATTRIBUTES;
        store<u32>(e, luid);
        store<u32>(e, 0, 4);
        store<u32>(e, ((enabled & bit) != 0 ? SE_PRIVILEGE_ENABLED : 0) | ((byDefault & bit) != 0 ? SE_PRIVILEGE_ENABLED_BY_DEFAULT : 0), 8);
        n++;
      }
      store<u32>(k, n);
      break;
    }
    case TokenOwner: case TokenPrimaryGroup: {
      const index = infoClass == TokenOwner ? t.DefaultOwnerIndex : t.PrimaryGroupIndex;
      const sid = load<usize>(groups + index * SIZEOF_SID_AND_ATTRIBUTES);
      memory.copy(k + 4, sid, RtlLengthSid(sid));
      store<usize>(k, user + 4);
      break;
    }
    case TokenDefaultDacl:
      if (t.DefaultDacl != 0) { memory.copy(k + 4, t.DefaultDacl, <u32>load<u16>(t.DefaultDacl, 2)); store<usize>(k, user + 4); }
      else store<usize>(k, 0);
      break;
    case TokenSource: store<u64>(k, t.SourceName); store<u64>(k, t.SourceIdentifier, 8); break;
    case TokenType: store<u32>(k, t.TokenType); break;
    case TokenSessionId: store<u32>(k, t.SessionId); break;
    case TokenStatistics: {
      const s = changetype<TOKEN_STATISTICS>(k);
      s.TokenId = t.TokenId;
      s.AuthenticationId = t.AuthenticationId;
      s.ExpirationTime = 0x7FFFFFFFFFFFFFFF; // never
      s.TokenType = t.TokenType;
      s.ImpersonationLevel = 0;
      s.DynamicCharged = 0x1F4; // NT's default dynamic part (500 bytes)
      s.DynamicAvailable = s.DynamicCharged - (t.DefaultDacl != 0 ? <u32>load<u16>(t.DefaultDacl, 2) : 0);
      s.GroupCount = t.UserAndGroupCount - 1;
      s.PrivilegeCount = SepCountPresent(present);
      s.ModifiedId = t.ModifiedId;
      break;
    }
  }
}

/** NtQueryInformationToken(TokenHandle, TokenInformationClass, TokenInformation, TokenInformationLength, ReturnLength). */
export function NtQueryInformationToken(handle: u32, infoClass: u32, buffer: usize, length: u32, returnLength: usize): u32 {
  if (!ProbeUserWrite(returnLength, 4, 4)) return STATUS_ACCESS_VIOLATION;
  if (length != 0 && !ProbeUserRange(buffer, length, 4)) return STATUS_ACCESS_VIOLATION;
  if (infoClass < TokenUser || infoClass > TokenSessionId || infoClass == 9 || infoClass == 11) return STATUS_INVALID_INFO_CLASS;
  const out = KeAllocateScratch(4);
  let status = ObReferenceObjectByHandle(handle, infoClass == TokenSource ? TOKEN_QUERY_SOURCE : TOKEN_QUERY, SeTokenObjectType, out, 0);
  const object = load<usize>(out);
  KeFreeScratch(out);
  if (status != STATUS_SUCCESS) return status;
  const t = changetype<TOKEN>(object);
  // The privilege masks change under the token's lock (NtAdjustPrivilegesToken): read them there, once.
  const masks = KeAllocateScratch(24);
  SepReadPrivileges(object, masks);
  const present = load<u64>(masks), enabled = load<u64>(masks, 8), byDefault = load<u64>(masks, 16);
  KeFreeScratch(masks);
  const required = t.UserAndGroupCount != 0 ? SepInformationLength(t, infoClass, present) : 0;
  if (required == 0) { ObDereferenceObject(object); return STATUS_INVALID_INFO_CLASS; }
  if (length < required) {
    ObDereferenceObject(object);
    return ExWriteUserUlong(returnLength, required) ? STATUS_BUFFER_TOO_SMALL : STATUS_ACCESS_VIOLATION;
  }
  const k = ExAllocatePoolWithTag(NonPagedPool, required, INFO_TAG);
  if (k == 0) { ObDereferenceObject(object); return STATUS_INSUFFICIENT_RESOURCES; }
  memory.fill(k, 0, required);
  SepBuildInformation(t, infoClass, k, buffer, present, enabled, byDefault);
  ObDereferenceObject(object);
  status = ExCopyToUser(buffer, k, required) && ExWriteUserUlong(returnLength, required) ? STATUS_SUCCESS : STATUS_ACCESS_VIOLATION;
  ExFreePoolWithTag(k, INFO_TAG);
  return status;
}

// ---- NtCreateToken ----

/** Copies `length` bytes from the caller (user or kernel mode) into `kernel`; false on a fault. */
@inline function fetch(kernel: usize, source: usize, length: u32): bool {
  return ProbeUserRange(source, length, 1) && ExCopyFromUser(kernel, source, length);
}

/** Captures a caller's SID at `source` to `dest` (room for SECURITY_MAX_SID_SIZE); its length, or 0 when it is bad or faults. */
function SepCaptureSid(source: usize, dest: usize): u32 {
  if (source == 0 || !fetch(dest, source, SID_HEADER_SIZE)) return 0;
  const count = <u32>load<u8>(dest, 1);
  if (count > SID_MAX_SUB_AUTHORITIES) return 0;
  const length = SID_HEADER_SIZE + (count << 2);
  if (!fetch(dest, source, length)) return 0;
  return RtlValidSid(dest, length) ? length : 0; // checked in the copy
}

/** Index in the block's entries of a SID equal to `sid`, or `count` when none is. */
function SepFindSid(block: usize, count: u32, sid: usize): u32 {
  for (let i: u32 = 0; i < count; i++) if (RtlEqualSid(load<usize>(block + i * SIZEOF_SID_AND_ATTRIBUTES), sid)) return i;
  return count;
}

/**
 * NtCreateToken: see the file's head. Scratch and pool: the identity block
 * (entries, then SIDs: (1 + MAX_GROUPS) x (8 + 68)), a DACL copy, small heads.
 */
export function NtCreateToken(handle: usize, desiredAccess: u32, objectAttributes: usize, tokenType: u32, authenticationId: usize,
                              expirationTime: usize, user: usize, groups: usize, privileges: usize, owner: usize, primaryGroup: usize,
                              defaultDacl: usize, source: usize): u32 {
  if (!ExProbeHandle(handle)) return STATUS_ACCESS_VIOLATION;
  if (!SeSinglePrivilegeCheck(SE_CREATE_TOKEN_PRIVILEGE)) return STATUS_PRIVILEGE_NOT_HELD;
  if (tokenType != TokenPrimary) return STATUS_BAD_TOKEN_TYPE;
  if (user == 0 || groups == 0 || privileges == 0 || primaryGroup == 0 || authenticationId == 0) return STATUS_INVALID_PARAMETER;
  const blockSize: u32 = (1 + MAX_GROUPS) * (SIZEOF_SID_AND_ATTRIBUTES + SECURITY_MAX_SID_SIZE);
  const block = ExAllocatePoolWithTag(NonPagedPool, blockSize + 2 * SECURITY_MAX_SID_SIZE + 64, INFO_TAG);
  if (block == 0) return STATUS_INSUFFICIENT_RESOURCES;
  const heads = block + blockSize; // +0 owner SID (68), +68 primary group SID (68), +136 small heads (64)
  const status = SepCreateTokenCaptured(handle, desiredAccess, authenticationId, user, groups, privileges, owner, primaryGroup,
    defaultDacl, source, block, heads);
  ExFreePoolWithTag(block, INFO_TAG); // SepCreateTokenCaptured frees the rest of what it allocates
  return status;
}

function SepCreateTokenCaptured(handle: usize, desiredAccess: u32, authenticationId: usize, user: usize, groups: usize, privileges: usize,
                                owner: usize, primaryGroup: usize, defaultDacl: usize, source: usize, block: usize, heads: usize): u32 {
  const small = heads + 2 * SECURITY_MAX_SID_SIZE;
  // Small heads: +0 TOKEN_USER (8), +8 the LUID (8), +16 group count (4), +20 privilege count (4), +24 pointers (4), +32 TOKEN_SOURCE (16).
  if (!fetch(small, user, 8) || !fetch(small + 8, authenticationId, 8) || !fetch(small + 16, groups, 4) || !fetch(small + 20, privileges, 4)) {
    return STATUS_ACCESS_VIOLATION;
  }
  const groupCount = load<u32>(small, 16), privilegeCount = load<u32>(small, 20);
  if (groupCount > MAX_GROUPS || privilegeCount > MAX_PRIVILEGES) return STATUS_INVALID_PARAMETER;
  const count = 1 + groupCount;
  // Entries first, SIDs after them.
  let at: u32 = count * SIZEOF_SID_AND_ATTRIBUTES;
  let length = SepCaptureSid(load<usize>(small), block + at);
  if (length == 0) return STATUS_INVALID_SID;
  store<usize>(block, block + at);
  store<u32>(block, 0, 4); // the user's attributes: none (NT ignores them but for deny-only)
  at += length;
  for (let i: u32 = 0; i < groupCount; i++) {
    const entry = block + (i + 1) * SIZEOF_SID_AND_ATTRIBUTES;
    if (!fetch(entry, groups + 4 + i * SIZEOF_SID_AND_ATTRIBUTES, SIZEOF_SID_AND_ATTRIBUTES)) return STATUS_ACCESS_VIOLATION;
    length = SepCaptureSid(load<usize>(entry), block + at);
    if (length == 0) return STATUS_INVALID_SID;
    store<usize>(entry, block + at);
    at += length;
  }
  // Privileges: the masks.
  let present: u64 = 0, enabled: u64 = 0, byDefault: u64 = 0;
  for (let i: u32 = 0; i < privilegeCount; i++) {
    if (!fetch(small + 24, privileges + 4 + i * SIZEOF_LUID_AND_ATTRIBUTES, 4)) return STATUS_ACCESS_VIOLATION;
    const luid = load<u32>(small, 24);
    if (!fetch(small + 24, privileges + 4 + i * SIZEOF_LUID_AND_ATTRIBUTES + 4, 4)) return STATUS_ACCESS_VIOLATION;
    const high = load<u32>(small, 24);
    if (!fetch(small + 24, privileges + 4 + i * SIZEOF_LUID_AND_ATTRIBUTES + 8, 4)) return STATUS_ACCESS_VIOLATION;
    const attributes = load<u32>(small, 24);
    if (high != 0 || luid < SE_MIN_WELL_KNOWN_PRIVILEGE || luid > SE_MAX_WELL_KNOWN_PRIVILEGE) return STATUS_INVALID_PARAMETER;
    const bit = SepPrivilegeBit(luid);
    present |= bit;
    if ((attributes & SE_PRIVILEGE_ENABLED) != 0) enabled |= bit;
    if ((attributes & SE_PRIVILEGE_ENABLED_BY_DEFAULT) != 0) byDefault |= bit;
  }
  // Owner (optional: the user) and primary group, as indexes.
  let ownerIndex: u32 = 0;
  if (owner != 0) {
    if (!fetch(small + 24, owner, 4)) return STATUS_ACCESS_VIOLATION;
    if (SepCaptureSid(load<usize>(small, 24), heads) == 0) return STATUS_INVALID_OWNER;
    ownerIndex = SepFindSid(block, count, heads);
    if (ownerIndex == count) return STATUS_INVALID_OWNER;
  }
  if (!fetch(small + 24, primaryGroup, 4)) return STATUS_ACCESS_VIOLATION;
  if (SepCaptureSid(load<usize>(small, 24), heads + SECURITY_MAX_SID_SIZE) == 0) return STATUS_INVALID_PRIMARY_GROUP;
  const groupIndex = SepFindSid(block, count, heads + SECURITY_MAX_SID_SIZE);
  if (groupIndex == count) return STATUS_INVALID_PRIMARY_GROUP;
  store<u64>(small + 32, 0); store<u64>(small + 40, 0);
  if (source != 0 && !fetch(small + 32, source, 16)) return STATUS_ACCESS_VIOLATION;
  // The default DACL (optional): sized from its head, copied whole, validated in the copy.
  let dacl: usize = 0;
  if (defaultDacl != 0) {
    if (!fetch(small + 24, defaultDacl, 4)) return STATUS_ACCESS_VIOLATION;
    const aclAddress = load<usize>(small, 24);
    if (aclAddress != 0) {
      if (!fetch(small + 24, aclAddress, 4)) return STATUS_ACCESS_VIOLATION;
      const size = <u32>load<u16>(small, 26);
      if (size < SIZEOF_ACL || size > 0xFFFC) return STATUS_INVALID_ACL;
      dacl = ExAllocatePoolWithTag(NonPagedPool, size, INFO_TAG);
      if (dacl == 0) return STATUS_INSUFFICIENT_RESOURCES;
      if (!fetch(dacl, aclAddress, size)) { ExFreePoolWithTag(dacl, INFO_TAG); return STATUS_ACCESS_VIOLATION; }
      if (!RtlValidAcl(dacl, size)) { ExFreePoolWithTag(dacl, INFO_TAG); return STATUS_INVALID_ACL; }
    }
  }
  const creator = SeQueryCurrentToken();
  const session = creator != 0 ? changetype<TOKEN>(creator).SessionId : 0;
  const token = SepCreateToken(present, enabled, byDefault, load<u64>(small, 8), session);
  let status = STATUS_INSUFFICIENT_RESOURCES;
  if (token != 0) {
    const t = changetype<TOKEN>(token);
    t.SourceName = load<u64>(small, 32);
    t.SourceIdentifier = load<u64>(small, 40);
    if (SepSetTokenIdentity(token, block, count, at, ownerIndex, groupIndex, dacl)) {
      const out = KeAllocateScratch(4);
      status = SepInsertToken(token, desiredAccess, out); // the creator's reference goes to the handle
      const value = load<u32>(out);
      KeFreeScratch(out);
      if (status == STATUS_SUCCESS && !ExWriteUserUlong(handle, value)) status = STATUS_ACCESS_VIOLATION; // the handle stays, as in NT
      if (status != STATUS_SUCCESS && status != STATUS_ACCESS_VIOLATION) ObDereferenceObject(token);
    } else ObDereferenceObject(token);
  }
  if (dacl != 0) ExFreePoolWithTag(dacl, INFO_TAG);
  return status;
}
