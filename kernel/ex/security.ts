// Capturing a SECURITY_DESCRIPTOR (NT's SeCaptureSecurityDescriptor): the
// caller's descriptor, absolute or self-relative, becomes one self-relative
// kernel copy in pool ('SeSd'), validated in that copy. From user mode each
// part is read through the user-copy routine (ExCopyFromUser): the header
// once, then each part's fixed head (to size it) and the whole part into the
// copy; the sizes from the first reads are only bounds, everything the
// kernel later uses is re-checked in the copy (RtlValidRelativeSecurityDescriptor
// against the copy's length), so a second thread changing the descriptor
// meanwhile gets STATUS_INVALID_SECURITY_DESCR (or _ACL, _SID), never a
// kernel read past the copy. A SACL is dropped (there is no auditing).
// From kernel mode the descriptor is read in place.

import { ExCopyFromUser, ProbeUserRange } from "../ke/probe";
import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "./pool";
import { RtlLengthRelativeSecurityDescriptor, RtlValidRelativeSecurityDescriptor } from "../rtl/security";
import {
  SECURITY_DESCRIPTOR_RELATIVE, SECURITY_DESCRIPTOR_REVISION, SE_DACL_PRESENT, SE_DACL_PROTECTED, SE_DACL_DEFAULTED,
  SE_OWNER_DEFAULTED, SE_GROUP_DEFAULTED, SE_SELF_RELATIVE, SID_HEADER_SIZE, SID_MAX_SUB_AUTHORITIES, SIZEOF_ACL,
  SIZEOF_SECURITY_DESCRIPTOR_RELATIVE,
} from "../sdk/security";
import {
  STATUS_ACCESS_VIOLATION, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_ACL, STATUS_INVALID_SECURITY_DESCR,
  STATUS_INVALID_SID, STATUS_SUCCESS, STATUS_UNKNOWN_REVISION,
} from "../sdk/ntstatus";

/** Pool tag of every captured or assigned security descriptor: 'SeSd'. */
export const SE_SD_TAG: u32 = 0x64536553;
/** The largest ACL taken (NT's AclSize is a USHORT). */
const MAX_ACL_SIZE: u32 = 0xFFFC;

@inline function fetch(kernel: usize, source: usize, length: u32, user: bool): bool {
  if (!user) { memory.copy(kernel, source, length); return true; }
  return ProbeUserRange(source, length, 1) && ExCopyFromUser(kernel, source, length);
}

/** Frees a descriptor from ExCaptureSecurityDescriptor (or any 'SeSd' block). */
export function ExFreeSecurityDescriptor(sd: usize): void { if (sd != 0) ExFreePoolWithTag(sd, SE_SD_TAG); }

/**
 * Captures the descriptor at `source` (user memory when `user`) into a new
 * self-relative pool copy, stored at `out`. Statuses: STATUS_ACCESS_VIOLATION
 * (a fault), STATUS_UNKNOWN_REVISION, STATUS_INVALID_SID, STATUS_INVALID_ACL,
 * STATUS_INVALID_SECURITY_DESCR, STATUS_INSUFFICIENT_RESOURCES.
 */
export function ExCaptureSecurityDescriptor(source: usize, user: bool, out: usize): u32 {
  store<usize>(out, 0);
  // Scratch: +0 the header (20), +20 a part's head (8), +28 the parts' addresses and lengths (3 x 8).
  const s = KeAllocateScratch(52);
  const status = ExpCaptureSecurityDescriptor(source, user, s, out);
  KeFreeScratch(s);
  return status;
}

function ExpCaptureSecurityDescriptor(source: usize, user: bool, s: usize, out: usize): u32 {
  if (!fetch(s, source, SIZEOF_SECURITY_DESCRIPTOR_RELATIVE, user)) return STATUS_ACCESS_VIOLATION;
  const header = changetype<SECURITY_DESCRIPTOR_RELATIVE>(s);
  if (header.Revision != SECURITY_DESCRIPTOR_REVISION) return STATUS_UNKNOWN_REVISION;
  const control = header.Control;
  const relative = (control & SE_SELF_RELATIVE) != 0;
  // Where each part is: owner (+4), group (+8), DACL (+16); offsets or pointers.
  const parts = s + 28;
  let total: u32 = SIZEOF_SECURITY_DESCRIPTOR_RELATIVE;
  for (let i: u32 = 0; i < 3; i++) {
    const field: u32 = i == 2 ? 16 : 4 + i * 4;
    let at = load<usize>(s + field);
    if (i == 2 && (control & SE_DACL_PRESENT) == 0) at = 0;
    if (at != 0 && relative) {
      if (at < SIZEOF_SECURITY_DESCRIPTOR_RELATIVE) return STATUS_INVALID_SECURITY_DESCR;
      at = source + at;
      if (at < source) return STATUS_INVALID_SECURITY_DESCR;
    }
    let length: u32 = 0;
    if (at != 0) {
      if (!fetch(s + 20, at, 8, user)) return STATUS_ACCESS_VIOLATION;
      if (i < 2) {
        const count = <u32>load<u8>(s + 20, 1);
        if (load<u8>(s + 20) != 1 || count > SID_MAX_SUB_AUTHORITIES) return STATUS_INVALID_SID;
        length = SID_HEADER_SIZE + (count << 2);
      } else {
        length = <u32>load<u16>(s + 20, 2);
        if (length < SIZEOF_ACL || length > MAX_ACL_SIZE || (length & 3) != 0) return STATUS_INVALID_ACL;
      }
    }
    store<usize>(parts + i * 8, at);
    store<u32>(parts + i * 8, length, 4);
    total += length;
  }
  const copy = ExAllocatePoolWithTag(NonPagedPool, total, SE_SD_TAG);
  if (copy == 0) return STATUS_INSUFFICIENT_RESOURCES;
  const d = changetype<SECURITY_DESCRIPTOR_RELATIVE>(copy);
  d.Revision = SECURITY_DESCRIPTOR_REVISION;
  d.Sbz1 = 0;
  d.Control = SE_SELF_RELATIVE | (control & (SE_OWNER_DEFAULTED | SE_GROUP_DEFAULTED | SE_DACL_PRESENT | SE_DACL_DEFAULTED | SE_DACL_PROTECTED));
  d.Owner = 0; d.Group = 0; d.Sacl = 0; d.Dacl = 0;
  let offset: u32 = SIZEOF_SECURITY_DESCRIPTOR_RELATIVE;
  for (let i: u32 = 0; i < 3; i++) {
    const at = load<usize>(parts + i * 8), length = load<u32>(parts + i * 8, 4);
    if (at == 0) continue;
    if (!fetch(copy + offset, at, length, user)) { ExFreePoolWithTag(copy, SE_SD_TAG); return STATUS_ACCESS_VIOLATION; }
    if (i == 0) d.Owner = offset; else if (i == 1) d.Group = offset; else d.Dacl = offset;
    offset += length;
  }
  // Everything from here on is read from the copy only.
  if (!RtlValidRelativeSecurityDescriptor(copy, total) || RtlLengthRelativeSecurityDescriptor(copy) > total) {
    ExFreePoolWithTag(copy, SE_SD_TAG);
    return STATUS_INVALID_SECURITY_DESCR;
  }
  store<usize>(out, copy);
  return STATUS_SUCCESS;
}

/** A pool copy of a self-relative descriptor already in kernel memory (valid), at `out`. */
export function ExDuplicateSecurityDescriptor(sd: usize, out: usize): u32 {
  const length = RtlLengthRelativeSecurityDescriptor(sd);
  const copy = ExAllocatePoolWithTag(NonPagedPool, length, SE_SD_TAG);
  store<usize>(out, copy);
  if (copy == 0) return STATUS_INSUFFICIENT_RESOURCES;
  memory.copy(copy, sd, length);
  return STATUS_SUCCESS;
}
