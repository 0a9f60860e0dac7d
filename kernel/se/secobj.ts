// NtQuerySecurityObject and NtSetSecurityObject: an object's security
// descriptor read and changed through a handle, in NT's self-relative format.
//
// SECURITY_INFORMATION says which parts: OWNER_SECURITY_INFORMATION (1),
// GROUP_SECURITY_INFORMATION (2), DACL_SECURITY_INFORMATION (4),
// SACL_SECURITY_INFORMATION (8). The handle needs, as NT: READ_CONTROL to read
// the owner, group or DACL; WRITE_OWNER to change the owner or group;
// WRITE_DAC to change the DACL; ACCESS_SYSTEM_SECURITY for the SACL (no
// handle gets it: there is no auditing, so the SACL part is always refused).
//
// Query: the object's descriptor (ob/obsecure.ts: the header, or where its
// type keeps it) is copied under Ob's lock, the asked parts are built into a
// new self-relative descriptor in pool, and that is written to the caller's
// buffer once (STATUS_BUFFER_TOO_SMALL with the length needed when it does
// not fit). An object without a descriptor answers one without a DACL
// (everyone may do everything: NT's answer for FAT files too).
//
// Set: the caller's descriptor is captured once from user memory and
// validated in the copy (ex/security.ts; a malformed one is
// STATUS_INVALID_SECURITY_DESCR or the capture's own status, never a bug
// check); the parts asked for replace the object's, the others stay; the new
// owner must be the caller's user or a group of its token with SE_GROUP_OWNER
// unless it holds SeRestorePrivilege (STATUS_INVALID_OWNER). A key's is
// Cm's (cm/cmparse.ts), a file's Io's (io/iomgr.ts: its device's, or
// nothing kept on FAT), a thread's its own (threadsd.ts); a type that
// registers no way to change it gets STATUS_NOT_SUPPORTED. Between the copy and the assignment a second setter
// may win: the last one's parts stay (the descriptor is always whole).

import { ExCaptureSecurityDescriptor, ExFreeSecurityDescriptor, SE_SD_TAG } from "../ex/security";
import { ExAllocatePoolWithTag, NonPagedPool } from "../ex/pool";
import { ExCopyToUser, ExGetPreviousMode, ExWriteUserUlong, ProbeUserWrite, UserMode } from "../ke/probe";
import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import { ObReferenceObjectByHandle } from "../ob/obhandle";
import { ObDereferenceObject } from "../ob/obref";
import { ObAssignObjectSecurity, ObCopyObjectSecurity } from "../ob/obsecure";
import { READ_CONTROL, WRITE_DAC, WRITE_OWNER } from "../ob/obp";
import { RtlEqualSid, RtlLengthSid, RtlRelativeOwner } from "../rtl/security";
import {
  ACL, SECURITY_DESCRIPTOR_RELATIVE, SECURITY_DESCRIPTOR_REVISION, SE_DACL_PRESENT, SE_DACL_PROTECTED, SE_SELF_RELATIVE,
  SID_AND_ATTRIBUTES, SIZEOF_SECURITY_DESCRIPTOR_RELATIVE, SIZEOF_SID_AND_ATTRIBUTES, SE_GROUP_OWNER,
} from "../sdk/security";
import {
  STATUS_ACCESS_VIOLATION, STATUS_BUFFER_TOO_SMALL, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_OWNER,
  STATUS_INVALID_PARAMETER, STATUS_SUCCESS,
} from "../sdk/ntstatus";
import { SeQueryCurrentToken, SeSinglePrivilegeCheck } from "./token";
import { SE_RESTORE_PRIVILEGE, TOKEN } from "./tokenobj";

export const OWNER_SECURITY_INFORMATION: u32 = 0x1;
export const GROUP_SECURITY_INFORMATION: u32 = 0x2;
export const DACL_SECURITY_INFORMATION: u32 = 0x4;
export const SACL_SECURITY_INFORMATION: u32 = 0x8;
/** ACCESS_SYSTEM_SECURITY: the right the SACL needs (never granted here). */
const ACCESS_SYSTEM_SECURITY: u32 = 0x01000000;

/** The owner, group or DACL of a valid self-relative descriptor (0: none); `which` 0 owner, 1 group, 2 DACL. */
function SepPart(sd: usize, which: u32): usize {
  if (sd == 0) return 0;
  const d = changetype<SECURITY_DESCRIPTOR_RELATIVE>(sd);
  if (which == 0) return RtlRelativeOwner(sd);
  if (which == 1) return d.Group != 0 ? sd + d.Group : 0;
  return (d.Control & SE_DACL_PRESENT) != 0 && d.Dacl != 0 ? sd + d.Dacl : 0;
}

/**
 * A new self-relative descriptor ('SeSd' pool) from an owner, a group (SIDs
 * or 0) and a DACL (an ACL, or 0) present or not, with the DACL's control
 * bits `control` (SE_DACL_PRESENT, SE_DACL_PROTECTED). 0 when the pool is out.
 */
function SepBuildDescriptor(owner: usize, group: usize, dacl: usize, control: u16): usize {
  const ownerLength: u32 = owner != 0 ? RtlLengthSid(owner) : 0;
  const groupLength: u32 = group != 0 ? RtlLengthSid(group) : 0;
  const daclLength: u32 = dacl != 0 ? <u32>changetype<ACL>(dacl).AclSize : 0;
  const sd = ExAllocatePoolWithTag(NonPagedPool, SIZEOF_SECURITY_DESCRIPTOR_RELATIVE + ownerLength + groupLength + daclLength, SE_SD_TAG);
  if (sd == 0) return 0;
  const d = changetype<SECURITY_DESCRIPTOR_RELATIVE>(sd);
  d.Revision = SECURITY_DESCRIPTOR_REVISION;
  d.Sbz1 = 0;
  d.Control = SE_SELF_RELATIVE | (control & (SE_DACL_PRESENT | SE_DACL_PROTECTED));
  d.Owner = 0; d.Group = 0; d.Sacl = 0; d.Dacl = 0;
  let at: u32 = SIZEOF_SECURITY_DESCRIPTOR_RELATIVE;
  if (owner != 0) { memory.copy(sd + at, owner, ownerLength); d.Owner = at; at += ownerLength; }
  if (group != 0) { memory.copy(sd + at, group, groupLength); d.Group = at; at += groupLength; }
  if (dacl != 0) { memory.copy(sd + at, dacl, daclLength); d.Dacl = at; }
  return sd;
}

@inline function SepLength(owner: usize, group: usize, dacl: usize): u32 {
  return SIZEOF_SECURITY_DESCRIPTOR_RELATIVE + (owner != 0 ? RtlLengthSid(owner) : 0) + (group != 0 ? RtlLengthSid(group) : 0)
    + (dacl != 0 ? <u32>changetype<ACL>(dacl).AclSize : 0);
}

/** The access a handle needs for `information` to be read (`write` false) or written. */
function SepRequiredAccess(information: u32, write: bool): u32 {
  let access: u32 = 0;
  if (!write && (information & (OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION)) != 0) access |= READ_CONTROL;
  if (write && (information & (OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION)) != 0) access |= WRITE_OWNER;
  if (write && (information & DACL_SECURITY_INFORMATION) != 0) access |= WRITE_DAC;
  if ((information & SACL_SECURITY_INFORMATION) != 0) access |= ACCESS_SYSTEM_SECURITY;
  return access;
}

/** NtQuerySecurityObject(Handle, SecurityInformation, SecurityDescriptor, Length, LengthNeeded). */
export function NtQuerySecurityObject(handle: u32, information: u32, buffer: usize, length: u32, lengthNeeded: usize): u32 {
  const user = ExGetPreviousMode() == UserMode;
  if (user && !ProbeUserWrite(lengthNeeded, 4, 4)) return STATUS_ACCESS_VIOLATION;
  if (user && length != 0 && !ProbeUserWrite(buffer, length, 1)) return STATUS_ACCESS_VIOLATION;
  const s = KeAllocateScratch(8); // +0 the object, +4 its descriptor's copy
  let status = ObReferenceObjectByHandle(handle, SepRequiredAccess(information, false), 0, s, 0);
  if (status != STATUS_SUCCESS) { KeFreeScratch(s); return status; }
  const object = load<usize>(s);
  status = ObCopyObjectSecurity(object, s + 4);
  ObDereferenceObject(object);
  const current = load<usize>(s, 4);
  KeFreeScratch(s);
  if (status != STATUS_SUCCESS) return status;
  const owner = (information & OWNER_SECURITY_INFORMATION) != 0 ? SepPart(current, 0) : 0;
  const group = (information & GROUP_SECURITY_INFORMATION) != 0 ? SepPart(current, 1) : 0;
  const dacl = (information & DACL_SECURITY_INFORMATION) != 0 ? SepPart(current, 2) : 0;
  const control: u16 = current != 0 && (information & DACL_SECURITY_INFORMATION) != 0 ? changetype<SECURITY_DESCRIPTOR_RELATIVE>(current).Control : 0;
  const needed = SepLength(owner, group, dacl);
  if (needed > length) {
    ExFreeSecurityDescriptor(current);
    return ExWriteUserUlong(lengthNeeded, needed) ? STATUS_BUFFER_TOO_SMALL : STATUS_ACCESS_VIOLATION;
  }
  const answer = SepBuildDescriptor(owner, group, dacl, control);
  ExFreeSecurityDescriptor(current);
  if (answer == 0) return STATUS_INSUFFICIENT_RESOURCES;
  const ok = ExCopyToUser(buffer, answer, needed) && ExWriteUserUlong(lengthNeeded, needed);
  ExFreeSecurityDescriptor(answer);
  return ok ? STATUS_SUCCESS : STATUS_ACCESS_VIOLATION;
}

/** True when `owner` is a SID the current token may make an object's owner: its user, or a group with SE_GROUP_OWNER. */
function SepValidOwner(owner: usize): bool {
  if (SeSinglePrivilegeCheck(SE_RESTORE_PRIVILEGE)) return true;
  const token = SeQueryCurrentToken();
  if (token == 0) return false;
  const t = changetype<TOKEN>(token);
  for (let i: u32 = 0; i < t.UserAndGroupCount; i++) {
    const entry = changetype<SID_AND_ATTRIBUTES>(t.UserAndGroups + i * SIZEOF_SID_AND_ATTRIBUTES);
    if ((i == 0 || (entry.Attributes & SE_GROUP_OWNER) != 0) && RtlEqualSid(entry.Sid, owner)) return true;
  }
  return false;
}

/** NtSetSecurityObject(Handle, SecurityInformation, SecurityDescriptor). */
export function NtSetSecurityObject(handle: u32, information: u32, descriptor: usize): u32 {
  if ((information & (OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION | SACL_SECURITY_INFORMATION)) == 0
      || descriptor == 0) return STATUS_INVALID_PARAMETER;
  const s = KeAllocateScratch(12); // +0 the object, +4 the captured descriptor, +8 the object's current one
  let status = ObReferenceObjectByHandle(handle, SepRequiredAccess(information, true), 0, s, 0);
  if (status != STATUS_SUCCESS) { KeFreeScratch(s); return status; }
  const object = load<usize>(s);
  status = ExCaptureSecurityDescriptor(descriptor, ExGetPreviousMode() == UserMode, s + 4);
  if (status == STATUS_SUCCESS) status = ObCopyObjectSecurity(object, s + 8);
  const given = load<usize>(s, 4), current = load<usize>(s, 8);
  if (status == STATUS_SUCCESS) {
    const owner = (information & OWNER_SECURITY_INFORMATION) != 0 ? SepPart(given, 0) : SepPart(current, 0);
    const group = (information & GROUP_SECURITY_INFORMATION) != 0 ? SepPart(given, 1) : SepPart(current, 1);
    const fromGiven = (information & DACL_SECURITY_INFORMATION) != 0;
    const dacl = fromGiven ? SepPart(given, 2) : SepPart(current, 2);
    const control: u16 = fromGiven ? changetype<SECURITY_DESCRIPTOR_RELATIVE>(given).Control
      : current != 0 ? changetype<SECURITY_DESCRIPTOR_RELATIVE>(current).Control : 0;
    if ((information & OWNER_SECURITY_INFORMATION) != 0 && (owner == 0 || !SepValidOwner(owner))) status = STATUS_INVALID_OWNER;
    else {
      const sd = SepBuildDescriptor(owner, group, dacl, control);
      if (sd == 0) status = STATUS_INSUFFICIENT_RESOURCES;
      else {
        status = ObAssignObjectSecurity(object, sd);
        if (status != STATUS_SUCCESS) ExFreeSecurityDescriptor(sd);
      }
    }
  }
  if (given != 0) ExFreeSecurityDescriptor(given);
  if (current != 0) ExFreeSecurityDescriptor(current);
  ObDereferenceObject(object);
  KeFreeScratch(s);
  return status;
}
