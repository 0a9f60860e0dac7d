// SIDs, ACLs and self-relative security descriptors in kernel memory (NT's
// RtlLengthSid, RtlValidSid, RtlEqualSid, RtlValidAcl,
// RtlValidRelativeSecurityDescriptor and the accessors of a self-relative
// descriptor). Layouts: kernel/sdk/security.ts. Nothing here reads user
// memory: callers capture first (ex/security.ts).

import {
  ACCESS_ALLOWED_ACE, ACL, ACL_REVISION, ACL_REVISION_DS, ACE_HEADER, ACE_SID_OFFSET, ACCESS_ALLOWED_ACE_TYPE, ACCESS_DENIED_ACE_TYPE,
  SECURITY_DESCRIPTOR_RELATIVE, SECURITY_DESCRIPTOR_REVISION, SE_DACL_PRESENT, SE_SELF_RELATIVE, SID_HEADER_SIZE,
  SID_MAX_SUB_AUTHORITIES, SID_REVISION, SIZEOF_ACL, SIZEOF_ACE_HEADER, SIZEOF_SECURITY_DESCRIPTOR_RELATIVE,
} from "../sdk/security";

/** The length of a SID: 8 + 4 per sub-authority. */
@inline export function RtlLengthSid(sid: usize): u32 { return SID_HEADER_SIZE + (<u32>load<u8>(sid, 1) << 2); }

/** A SID of revision 1 with at most 15 sub-authorities that fits in `room` bytes. */
export function RtlValidSid(sid: usize, room: u32): bool {
  if (room < SID_HEADER_SIZE) return false;
  if (load<u8>(sid) != SID_REVISION || <u32>load<u8>(sid, 1) > SID_MAX_SUB_AUTHORITIES) return false;
  return RtlLengthSid(sid) <= room;
}

/** Same revision, authority and sub-authorities. */
export function RtlEqualSid(a: usize, b: usize): bool {
  const length = RtlLengthSid(a);
  if (length != RtlLengthSid(b)) return false;
  return memory.compare(a, b, length) == 0;
}

/** Writes a SID S-1-`authority`-`sub...` (up to five sub-authorities given, `count` used) at `sid`; returns its length. */
export function RtlInitializeSid(sid: usize, authority: u8, count: u32, s0: u32, s1: u32, s2: u32, s3: u32, s4: u32): u32 {
  store<u8>(sid, SID_REVISION);
  store<u8>(sid, <u8>count, 1);
  store<u32>(sid, 0, 2);
  store<u8>(sid, 0, 6);
  store<u8>(sid, authority, 7);
  if (count > 0) store<u32>(sid, s0, 8);
  if (count > 1) store<u32>(sid, s1, 12);
  if (count > 2) store<u32>(sid, s2, 16);
  if (count > 3) store<u32>(sid, s3, 20);
  if (count > 4) store<u32>(sid, s4, 24);
  return SID_HEADER_SIZE + (count << 2);
}

/**
 * An ACL that fits in `room` bytes: revision 2..4, AclSize at least its
 * header, every ACE inside AclSize, and each allowed/denied ACE's SID valid
 * inside its ACE.
 */
export function RtlValidAcl(acl: usize, room: u32): bool {
  if (room < SIZEOF_ACL) return false;
  const a = changetype<ACL>(acl);
  if (a.AclRevision < ACL_REVISION || a.AclRevision > ACL_REVISION_DS) return false;
  const size = <u32>a.AclSize;
  if (size < SIZEOF_ACL || size > room || (size & 3) != 0) return false;
  let at: u32 = SIZEOF_ACL;
  for (let i: u32 = 0; i < <u32>a.AceCount; i++) {
    if (at + SIZEOF_ACE_HEADER > size) return false;
    const ace = changetype<ACE_HEADER>(acl + at);
    const aceSize = <u32>ace.AceSize;
    if (aceSize < SIZEOF_ACE_HEADER || at + aceSize > size || (aceSize & 3) != 0) return false;
    if (ace.AceType == ACCESS_ALLOWED_ACE_TYPE || ace.AceType == ACCESS_DENIED_ACE_TYPE) {
      if (aceSize < ACE_SID_OFFSET || !RtlValidSid(acl + at + ACE_SID_OFFSET, aceSize - ACE_SID_OFFSET)) return false;
    }
    at += aceSize;
  }
  return true;
}

/** A self-relative descriptor of `length` bytes whose owner, group and DACL are valid and inside it. */
export function RtlValidRelativeSecurityDescriptor(sd: usize, length: u32): bool {
  if (length < SIZEOF_SECURITY_DESCRIPTOR_RELATIVE) return false;
  const d = changetype<SECURITY_DESCRIPTOR_RELATIVE>(sd);
  if (d.Revision != SECURITY_DESCRIPTOR_REVISION || (d.Control & SE_SELF_RELATIVE) == 0) return false;
  if (d.Owner != 0 && (d.Owner >= length || !RtlValidSid(sd + d.Owner, length - d.Owner))) return false;
  if (d.Group != 0 && (d.Group >= length || !RtlValidSid(sd + d.Group, length - d.Group))) return false;
  if ((d.Control & SE_DACL_PRESENT) != 0 && d.Dacl != 0 && (d.Dacl >= length || !RtlValidAcl(sd + d.Dacl, length - d.Dacl))) return false;
  return true;
}

/** The owner SID of a self-relative descriptor, or 0. */
export function RtlRelativeOwner(sd: usize): usize {
  const offset = changetype<SECURITY_DESCRIPTOR_RELATIVE>(sd).Owner;
  return offset != 0 ? sd + offset : 0;
}

/**
 * The DACL of a self-relative descriptor: 0 when it has none (no DACL
 * present, or a NULL DACL: both grant everything, as in NT), else the ACL.
 */
export function RtlRelativeDacl(sd: usize): usize {
  const d = changetype<SECURITY_DESCRIPTOR_RELATIVE>(sd);
  if ((d.Control & SE_DACL_PRESENT) == 0 || d.Dacl == 0) return 0;
  return sd + d.Dacl;
}

/** The length of a self-relative descriptor: the end of its furthest part. */
export function RtlLengthRelativeSecurityDescriptor(sd: usize): u32 {
  const d = changetype<SECURITY_DESCRIPTOR_RELATIVE>(sd);
  let end: u32 = SIZEOF_SECURITY_DESCRIPTOR_RELATIVE;
  if (d.Owner != 0 && d.Owner + RtlLengthSid(sd + d.Owner) > end) end = d.Owner + RtlLengthSid(sd + d.Owner);
  if (d.Group != 0 && d.Group + RtlLengthSid(sd + d.Group) > end) end = d.Group + RtlLengthSid(sd + d.Group);
  const dacl = RtlRelativeDacl(sd);
  if (dacl != 0 && d.Dacl + <u32>changetype<ACL>(dacl).AclSize > end) end = d.Dacl + <u32>changetype<ACL>(dacl).AclSize;
  return end;
}

/**
 * Builds a self-relative descriptor at `sd` (room for 20 + the owner's length +
 * the DACL's AclSize) from an owner SID (or 0) and a DACL (or 0: no DACL);
 * returns its length.
 */
export function RtlBuildRelativeSecurityDescriptor(sd: usize, owner: usize, dacl: usize): u32 {
  const d = changetype<SECURITY_DESCRIPTOR_RELATIVE>(sd);
  d.Revision = SECURITY_DESCRIPTOR_REVISION;
  d.Sbz1 = 0;
  d.Control = SE_SELF_RELATIVE;
  d.Owner = 0; d.Group = 0; d.Sacl = 0; d.Dacl = 0;
  let at: u32 = SIZEOF_SECURITY_DESCRIPTOR_RELATIVE;
  if (owner != 0) {
    const length = RtlLengthSid(owner);
    memory.copy(sd + at, owner, length);
    d.Owner = at;
    at += length;
  }
  if (dacl != 0) {
    const length = <u32>changetype<ACL>(dacl).AclSize;
    memory.copy(sd + at, dacl, length);
    d.Dacl = at;
    d.Control |= SE_DACL_PRESENT;
    at += length;
  }
  return at;
}

/** Starts an empty ACL of `size` bytes at `acl`. */
export function RtlCreateAcl(acl: usize, size: u32): void {
  const a = changetype<ACL>(acl);
  a.AclRevision = ACL_REVISION;
  a.Sbz1 = 0;
  a.AclSize = <u16>size;
  a.AceCount = 0;
  a.Sbz2 = 0;
}

/** Appends an ACCESS_ALLOWED_ACE for `sid` with `mask` at byte `at` of `acl`; returns the next free byte. */
export function RtlAddAccessAllowedAceAt(acl: usize, at: u32, mask: u32, sid: usize): u32 {
  const length = RtlLengthSid(sid);
  const ace = changetype<ACCESS_ALLOWED_ACE>(acl + at);
  ace.Header_AceType = ACCESS_ALLOWED_ACE_TYPE;
  ace.Header_AceFlags = 0;
  ace.Header_AceSize = <u16>(ACE_SID_OFFSET + length);
  ace.Mask = mask;
  memory.copy(acl + at + ACE_SID_OFFSET, sid, length);
  changetype<ACL>(acl).AceCount++;
  return at + ACE_SID_OFFSET + length;
}
