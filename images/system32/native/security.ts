// Security descriptors the system's programs give the objects they share
// (NT's smss and csrss build the same ones): a DACL that lets Everyone have
// `worldAccess`, and SYSTEM and Administrators GENERIC_ALL, no owner (the
// kernel's rules then give the object no owner rights). Without one, an
// object named by a SYSTEM program gets SYSTEM's default DACL (SYSTEM all,
// Administrators read), and an ordinary user cannot use it.
//
//   SECURITY_DESCRIPTOR_RELATIVE  20 bytes: revision 1, SE_SELF_RELATIVE | SE_DACL_PRESENT, DACL at 20
//   ACL                           8 bytes, then three ACCESS_ALLOWED_ACEs:
//     Everyone (S-1-1-0)          20 bytes
//     SYSTEM (S-1-5-18)           20 bytes
//     Administrators (S-1-5-32-544) 24 bytes

import {
  ACCESS_ALLOWED_ACE, ACCESS_ALLOWED_ACE_TYPE, ACE_SID_OFFSET, ACL, ACL_REVISION, DOMAIN_ALIAS_RID_ADMINS, SE_DACL_PRESENT, SE_SELF_RELATIVE,
  SECURITY_BUILTIN_DOMAIN_RID, SECURITY_DESCRIPTOR_RELATIVE, SECURITY_DESCRIPTOR_REVISION, SECURITY_LOCAL_SYSTEM_RID, SECURITY_NT_AUTHORITY,
  SECURITY_WORLD_RID, SECURITY_WORLD_SID_AUTHORITY, SID, SID_HEADER_SIZE, SID_REVISION, SIZEOF_ACL, SIZEOF_SECURITY_DESCRIPTOR_RELATIVE,
} from "../../../kernel/sdk/security";
import { GENERIC_ALL } from "../../../kernel/sdk/ntdef";

const SD_SIZE: u32 = 20 + 8 + 20 + 20 + 24;

/** Writes the descriptor into `sd` (SD_SIZE = 92 bytes) and returns `sd`. */
export function WorldSecurityDescriptorAt(sd: usize, worldAccess: u32): usize {
  memory.fill(sd, 0, SD_SIZE);
  const d = changetype<SECURITY_DESCRIPTOR_RELATIVE>(sd);
  d.Revision = SECURITY_DESCRIPTOR_REVISION;
  d.Control = SE_SELF_RELATIVE | SE_DACL_PRESENT;
  d.Dacl = SIZEOF_SECURITY_DESCRIPTOR_RELATIVE;
  const acl = sd + SIZEOF_SECURITY_DESCRIPTOR_RELATIVE;
  const a = changetype<ACL>(acl);
  a.AclRevision = ACL_REVISION;
  a.AclSize = <u16>(SD_SIZE - SIZEOF_SECURITY_DESCRIPTOR_RELATIVE);
  a.AceCount = 3;
  let ace = acl + SIZEOF_ACL;
  ace = allowed(ace, worldAccess, SECURITY_WORLD_SID_AUTHORITY, SECURITY_WORLD_RID, 0);                      // S-1-1-0
  ace = allowed(ace, GENERIC_ALL, SECURITY_NT_AUTHORITY, SECURITY_LOCAL_SYSTEM_RID, 0);                      // S-1-5-18
  allowed(ace, GENERIC_ALL, SECURITY_NT_AUTHORITY, SECURITY_BUILTIN_DOMAIN_RID, DOMAIN_ALIAS_RID_ADMINS);     // S-1-5-32-544
  return sd;
}

/** An ACCESS_ALLOWED_ACE at `ace` (zeroed) for S-1-`authority`-`rid0`[-`rid1`]; returns the next ACE's address. */
function allowed(ace: usize, mask: u32, authority: u8, rid0: u32, rid1: u32): usize {
  const count: u32 = rid1 != 0 ? 2 : 1;
  const size: u32 = ACE_SID_OFFSET + SID_HEADER_SIZE + count * 4;
  const e = changetype<ACCESS_ALLOWED_ACE>(ace);
  e.Header_AceType = ACCESS_ALLOWED_ACE_TYPE;
  e.Header_AceFlags = 0;
  e.Header_AceSize = <u16>size;
  e.Mask = mask;
  const sid = changetype<SID>(ace + ACE_SID_OFFSET);
  sid.Revision = SID_REVISION;
  sid.SubAuthorityCount = <u8>count;
  sid._IdentifierAuthority5 = authority;
  store<u32>(changetype<usize>(sid) + offsetof<SID>("SubAuthority"), rid0);
  if (count == 2) store<u32>(changetype<usize>(sid) + offsetof<SID>("SubAuthority") + 4, rid1);
  return ace + size;
}

/** A new descriptor (92 bytes of the heap) for Everyone `worldAccess`, SYSTEM and Administrators all. */
export function WorldSecurityDescriptor(worldAccess: u32): usize {
  return WorldSecurityDescriptorAt(heap.alloc(SD_SIZE), worldAccess);
}
