// The access check (NT's SeAccessCheck) and default security descriptors.
//
// SeAccessCheck(descriptor, desired access, generic mapping, token):
//   - generic rights asked for are mapped with the object type's mapping,
//     and so is every ACE's mask (descriptors here keep the generic rights
//     their creator wrote: a token's default DACL says GENERIC_ALL, and the
//     same descriptor serves a process and its threads, each type mapping it);
//   - no DACL (absent, or a NULL DACL) grants everything asked;
//   - the owner (a SID of the token: its user or an enabled group) always
//     gets READ_CONTROL and WRITE_DAC (NT before 6.0's OWNER RIGHTS);
//   - the ACEs are walked in order: an ACCESS_DENIED_ACE for a SID of the
//     token (user, enabled group, deny-only group) that names a right still
//     wanted denies the whole request; an ACCESS_ALLOWED_ACE for the user or
//     an enabled group grants its rights; rights no ACE grants are denied;
//   - MAXIMUM_ALLOWED: the walk collects everything the DACL grants (a
//     right is granted by the first ACE that names it, allow or deny), and
//     the result is that set (plus what was asked explicitly, which must be
//     in it).
// An empty DACL grants nothing (but the owner's two rights).
//
// A token's default descriptor (SeDefaultSecurityDescriptor) is what NT
// gives an object its creator does not describe: owner the token's default
// owner, DACL the token's default DACL. Processes, threads and tokens get it.

import { ExAllocatePoolWithTag, NonPagedPool } from "../ex/pool";
import { SE_SD_TAG } from "../ex/security";
import {
  RtlBuildRelativeSecurityDescriptor, RtlEqualSid, RtlLengthSid, RtlRelativeDacl, RtlRelativeOwner,
} from "../rtl/security";
import {
  ACL, ACCESS_ALLOWED_ACE_TYPE, ACCESS_DENIED_ACE_TYPE, ACE_HEADER, ACE_SID_OFFSET, GENERIC_MAPPING, SE_GROUP_ENABLED,
  SE_GROUP_USE_FOR_DENY_ONLY, SIZEOF_ACL, SIZEOF_SECURITY_DESCRIPTOR_RELATIVE, SID_AND_ATTRIBUTES, SIZEOF_SID_AND_ATTRIBUTES,
  INHERIT_ONLY_ACE,
} from "../sdk/security";
import { STATUS_ACCESS_DENIED, STATUS_SUCCESS } from "../sdk/ntstatus";
import { TOKEN } from "./tokenobj";

const READ_CONTROL: u32 = 0x00020000;
const WRITE_DAC: u32 = 0x00040000;
const MAXIMUM_ALLOWED: u32 = 0x02000000;
const GENERIC_READ: u32 = 0x80000000;
const GENERIC_WRITE: u32 = 0x40000000;
const GENERIC_EXECUTE: u32 = 0x20000000;
const GENERIC_ALL: u32 = 0x10000000;

/** NT's RtlMapGenericMask: generic rights become the type's specific ones. */
export function SeMapGenericMask(access: u32, mapping: usize): u32 {
  const m = changetype<GENERIC_MAPPING>(mapping);
  if ((access & GENERIC_READ) != 0) access |= m.GenericRead;
  if ((access & GENERIC_WRITE) != 0) access |= m.GenericWrite;
  if ((access & GENERIC_EXECUTE) != 0) access |= m.GenericExecute;
  if ((access & GENERIC_ALL) != 0) access |= m.GenericAll;
  return access & ~(GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL);
}

/** True when `sid` is the token's user or one of its groups that counts: enabled ones, and for a deny ACE deny-only ones too. */
export function SepSidInToken(token: usize, sid: usize, deny: bool): bool {
  const t = changetype<TOKEN>(token);
  for (let i: u32 = 0; i < t.UserAndGroupCount; i++) {
    const entry = changetype<SID_AND_ATTRIBUTES>(t.UserAndGroups + i * SIZEOF_SID_AND_ATTRIBUTES);
    if (i != 0) {
      const counts = (entry.Attributes & SE_GROUP_ENABLED) != 0 || (deny && (entry.Attributes & SE_GROUP_USE_FOR_DENY_ONLY) != 0);
      if (!counts) continue;
    }
    if (RtlEqualSid(entry.Sid, sid)) return true;
  }
  return false;
}

/**
 * NT's SeAccessCheck for a primary token: `sd` a valid self-relative
 * descriptor, `mapping` the type's GENERIC_MAPPING. The access granted goes
 * to `granted` (specific and standard rights); STATUS_ACCESS_DENIED when
 * something asked for is not granted.
 */
export function SeAccessCheck(sd: usize, desiredAccess: u32, mapping: usize, token: usize, granted: usize): u32 {
  store<u32>(granted, 0);
  const maximum = (desiredAccess & MAXIMUM_ALLOWED) != 0;
  let desired = SeMapGenericMask(desiredAccess & ~MAXIMUM_ALLOWED, mapping);
  const dacl = RtlRelativeDacl(sd);
  if (dacl == 0) {
    store<u32>(granted, maximum ? desired | changetype<GENERIC_MAPPING>(mapping).GenericAll : desired);
    return STATUS_SUCCESS;
  }
  const owner = RtlRelativeOwner(sd);
  const ownerRights: u32 = owner != 0 && token != 0 && SepSidInToken(token, owner, false) ? READ_CONTROL | WRITE_DAC : 0;
  const a = changetype<ACL>(dacl);
  let allowed: u32 = ownerRights, decided: u32 = ownerRights;
  let at: u32 = SIZEOF_ACL;
  for (let i: u32 = 0; i < <u32>a.AceCount; i++) {
    const ace = changetype<ACE_HEADER>(dacl + at);
    at += <u32>ace.AceSize;
    if ((ace.AceFlags & INHERIT_ONLY_ACE) != 0) continue;
    const isAllow = ace.AceType == ACCESS_ALLOWED_ACE_TYPE, isDeny = ace.AceType == ACCESS_DENIED_ACE_TYPE;
    if (!isAllow && !isDeny) continue;
    const aceAddress = changetype<usize>(ace);
    if (token == 0 || !SepSidInToken(token, aceAddress + ACE_SID_OFFSET, isDeny)) continue;
    const mask = SeMapGenericMask(load<u32>(aceAddress, 4), mapping) & ~decided;
    if (isAllow) allowed |= mask;
    else if (!maximum && (mask & desired) != 0) return STATUS_ACCESS_DENIED;
    decided |= mask;
    if (!maximum && (desired & ~allowed) == 0) break;
  }
  if ((desired & ~allowed) != 0) return STATUS_ACCESS_DENIED;
  store<u32>(granted, maximum ? allowed : desired);
  if (maximum && allowed == 0) return STATUS_ACCESS_DENIED;
  return STATUS_SUCCESS;
}

/** A token's default owner SID (its user, or the group DefaultOwnerIndex names). */
export function SeTokenDefaultOwner(token: usize): usize {
  const t = changetype<TOKEN>(token);
  const index = t.DefaultOwnerIndex < t.UserAndGroupCount ? t.DefaultOwnerIndex : 0;
  return changetype<SID_AND_ATTRIBUTES>(t.UserAndGroups + index * SIZEOF_SID_AND_ATTRIBUTES).Sid;
}

/**
 * A new self-relative descriptor ('SeSd' pool, the caller owns it) from a
 * token's defaults: owner its default owner, DACL its default DACL (none when
 * the token has none). 0 when the pool is out or there is no token.
 */
export function SeDefaultSecurityDescriptor(token: usize): usize {
  if (token == 0) return 0;
  const t = changetype<TOKEN>(token);
  if (t.UserAndGroupCount == 0) return 0;
  const owner = SeTokenDefaultOwner(token);
  const length = SIZEOF_SECURITY_DESCRIPTOR_RELATIVE + RtlLengthSid(owner) + (t.DefaultDacl != 0 ? <u32>changetype<ACL>(t.DefaultDacl).AclSize : 0);
  const sd = ExAllocatePoolWithTag(NonPagedPool, length, SE_SD_TAG);
  if (sd == 0) return 0;
  RtlBuildRelativeSecurityDescriptor(sd, owner, t.DefaultDacl);
  return sd;
}
