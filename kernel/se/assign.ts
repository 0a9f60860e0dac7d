// A new object's descriptor from its parent's and its creator's (NT's
// SeAssignSecurity, as NT 4 applies it to registry keys through CmpDoCreate).
//
//   - Owner: the creator's explicit descriptor's owner, else the token's
//     default owner. Group: the explicit one's, else the token's primary group.
//   - DACL: an explicit DACL (present, NULL included) wins; else the ACEs the
//     parent's DACL passes down; else the token's default DACL; else none.
//   - Inheritance (ACCESS_ALLOWED and ACCESS_DENIED ACEs of the parent, in
//     order; every inherited ACE gets INHERITED_ACE, as Windows 2000 marks it):
//       a container child takes an ACE with CONTAINER_INHERIT_ACE as an
//       effective ACE that keeps CONTAINER_INHERIT_ACE / OBJECT_INHERIT_ACE
//       for its own children, or with NO_PROPAGATE_INHERIT_ACE as an
//       effective ACE with no inheritance flags; an ACE with
//       OBJECT_INHERIT_ACE alone (and no NO_PROPAGATE_INHERIT_ACE) becomes
//       INHERIT_ONLY_ACE | OBJECT_INHERIT_ACE (for the child's objects, not
//       the child); a non-container child takes each OBJECT_INHERIT_ACE ACE
//       as an effective ACE with no inheritance flags. INHERIT_ONLY_ACE of
//       the parent's ACE does not matter to its children.
//   - Generic rights stay in the masks: SeAccessCheck maps each ACE with the
//     object's type when it checks (access.ts).
//   - No SACL (there is no auditing).

import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { SE_SD_TAG } from "../ex/security";
import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import { RtlLengthSid, RtlRelativeOwner } from "../rtl/security";
import {
  ACCESS_ALLOWED_ACE_TYPE, ACCESS_DENIED_ACE_TYPE, ACE_HEADER, ACL, ACL_REVISION, CONTAINER_INHERIT_ACE, INHERIT_ONLY_ACE,
  INHERITED_ACE, NO_PROPAGATE_INHERIT_ACE, OBJECT_INHERIT_ACE, SECURITY_DESCRIPTOR_RELATIVE, SECURITY_DESCRIPTOR_REVISION,
  SE_DACL_PRESENT, SE_SELF_RELATIVE, SID_AND_ATTRIBUTES, SIZEOF_ACL, SIZEOF_SECURITY_DESCRIPTOR_RELATIVE, SIZEOF_SID_AND_ATTRIBUTES,
} from "../sdk/security";
import { TOKEN } from "./tokenobj";
import { SeTokenDefaultOwner } from "./access";

const INHERIT_FLAGS: u8 = OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE | NO_PROPAGATE_INHERIT_ACE | INHERIT_ONLY_ACE;
const ASSIGN_TAG: u32 = 0x73416553; // 'SeAs' the inherited ACL while it is built

/** The DACL of a self-relative descriptor when present (its ACL), 0 for none or a NULL DACL (SepDaclPresent tells them apart). */
function SepDacl(sd: usize): usize {
  const d = changetype<SECURITY_DESCRIPTOR_RELATIVE>(sd);
  return (d.Control & SE_DACL_PRESENT) != 0 && d.Dacl != 0 ? sd + d.Dacl : 0;
}
@inline function SepDaclPresent(sd: usize): bool { return sd != 0 && (changetype<SECURITY_DESCRIPTOR_RELATIVE>(sd).Control & SE_DACL_PRESENT) != 0; }

/** The flags an inherited copy of an ACE with `flags` gets, or 0xFF when the child does not inherit it. */
function SepInheritedFlags(flags: u8, isContainer: bool): u8 {
  if (isContainer) {
    if ((flags & CONTAINER_INHERIT_ACE) != 0) {
      return (flags & NO_PROPAGATE_INHERIT_ACE) != 0 ? INHERITED_ACE : (flags & (CONTAINER_INHERIT_ACE | OBJECT_INHERIT_ACE)) | INHERITED_ACE;
    }
    if ((flags & OBJECT_INHERIT_ACE) != 0 && (flags & NO_PROPAGATE_INHERIT_ACE) == 0) return OBJECT_INHERIT_ACE | INHERIT_ONLY_ACE | INHERITED_ACE;
    return 0xFF;
  }
  return (flags & OBJECT_INHERIT_ACE) != 0 ? INHERITED_ACE : 0xFF;
}

/**
 * The ACL a child inherits from `parentDacl` (an ACL), in a new pool block
 * ('SeAs', the caller frees it), at `out`; 0 there when nothing is inherited.
 * False when the pool is out.
 */
function SepInheritAcl(parentDacl: usize, isContainer: bool, out: usize): bool {
  store<usize>(out, 0);
  const p = changetype<ACL>(parentDacl);
  const size = <u32>p.AclSize;
  let kept: u32 = 0, bytes: u32 = SIZEOF_ACL;
  for (let i: u32 = 0, at: u32 = SIZEOF_ACL; i < <u32>p.AceCount; i++) {
    const ace = changetype<ACE_HEADER>(parentDacl + at);
    at += <u32>ace.AceSize;
    if (ace.AceType != ACCESS_ALLOWED_ACE_TYPE && ace.AceType != ACCESS_DENIED_ACE_TYPE) continue;
    if (SepInheritedFlags(ace.AceFlags, isContainer) == 0xFF) continue;
    kept++;
    bytes += <u32>ace.AceSize;
  }
  if (kept == 0) return true;
  const acl = ExAllocatePoolWithTag(NonPagedPool, bytes, ASSIGN_TAG);
  if (acl == 0) return false;
  const a = changetype<ACL>(acl);
  a.AclRevision = p.AclRevision >= ACL_REVISION ? p.AclRevision : ACL_REVISION;
  a.Sbz1 = 0;
  a.AclSize = <u16>bytes;
  a.AceCount = <u16>kept;
  a.Sbz2 = 0;
  let to: u32 = SIZEOF_ACL;
  for (let i: u32 = 0, at: u32 = SIZEOF_ACL; i < <u32>p.AceCount && at < size; i++) {
    const ace = changetype<ACE_HEADER>(parentDacl + at);
    const aceSize = <u32>ace.AceSize;
    at += aceSize;
    if (ace.AceType != ACCESS_ALLOWED_ACE_TYPE && ace.AceType != ACCESS_DENIED_ACE_TYPE) continue;
    const flags = SepInheritedFlags(ace.AceFlags, isContainer);
    if (flags == 0xFF) continue;
    memory.copy(acl + to, changetype<usize>(ace), aceSize);
    changetype<ACE_HEADER>(acl + to).AceFlags = (ace.AceFlags & ~(INHERIT_FLAGS | INHERITED_ACE)) | flags;
    to += aceSize;
  }
  store<usize>(out, acl);
  return true;
}

/**
 * A new self-relative descriptor ('SeSd' pool, the caller gives it to the
 * object) for an object created under a container whose descriptor is
 * `parent` (valid self-relative, or 0), by a creator with primary `token`
 * (0: none) who gave `explicit` (a captured, valid self-relative descriptor,
 * or 0). `isContainer`: the new object can hold others (a key, a directory).
 * 0 when the pool is out.
 */
export function SeAssignSecurity(parent: usize, explicit: usize, isContainer: bool, token: usize): usize {
  let owner: usize = explicit != 0 ? RtlRelativeOwner(explicit) : 0;
  let group: usize = 0;
  if (explicit != 0 && changetype<SECURITY_DESCRIPTOR_RELATIVE>(explicit).Group != 0) group = explicit + changetype<SECURITY_DESCRIPTOR_RELATIVE>(explicit).Group;
  const t = changetype<TOKEN>(token);
  if (owner == 0 && token != 0 && t.UserAndGroupCount != 0) owner = SeTokenDefaultOwner(token);
  if (group == 0 && token != 0 && t.PrimaryGroupIndex < t.UserAndGroupCount) {
    group = changetype<SID_AND_ATTRIBUTES>(t.UserAndGroups + t.PrimaryGroupIndex * SIZEOF_SID_AND_ATTRIBUTES).Sid;
  }
  let dacl: usize = 0, present = false, inherited: usize = 0;
  if (SepDaclPresent(explicit)) { dacl = SepDacl(explicit); present = true; }
  else {
    const parentDacl = parent != 0 ? SepDacl(parent) : 0;
    if (parentDacl != 0) {
      const s = KeAllocateScratch(4);
      const ok = SepInheritAcl(parentDacl, isContainer, s);
      inherited = load<usize>(s);
      KeFreeScratch(s);
      if (!ok) return 0;
      if (inherited != 0) { dacl = inherited; present = true; }
    }
    if (!present && token != 0 && t.DefaultDacl != 0) { dacl = t.DefaultDacl; present = true; }
  }
  const ownerLength: u32 = owner != 0 ? RtlLengthSid(owner) : 0;
  const groupLength: u32 = group != 0 ? RtlLengthSid(group) : 0;
  const daclLength: u32 = dacl != 0 ? <u32>changetype<ACL>(dacl).AclSize : 0;
  const sd = ExAllocatePoolWithTag(NonPagedPool, SIZEOF_SECURITY_DESCRIPTOR_RELATIVE + ownerLength + groupLength + daclLength, SE_SD_TAG);
  if (sd != 0) {
    const d = changetype<SECURITY_DESCRIPTOR_RELATIVE>(sd);
    d.Revision = SECURITY_DESCRIPTOR_REVISION;
    d.Sbz1 = 0;
    d.Control = SE_SELF_RELATIVE | (present ? SE_DACL_PRESENT : 0);
    d.Owner = 0; d.Group = 0; d.Sacl = 0; d.Dacl = 0;
    let at: u32 = SIZEOF_SECURITY_DESCRIPTOR_RELATIVE;
    if (owner != 0) { memory.copy(sd + at, owner, ownerLength); d.Owner = at; at += ownerLength; }
    if (group != 0) { memory.copy(sd + at, group, groupLength); d.Group = at; at += groupLength; }
    if (dacl != 0) { memory.copy(sd + at, dacl, daclLength); d.Dacl = at; }
  }
  if (inherited != 0) ExFreePoolWithTag(inherited, ASSIGN_TAG);
  return sd;
}
