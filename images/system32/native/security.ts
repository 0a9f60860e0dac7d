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

const SD_SIZE: u32 = 20 + 8 + 20 + 20 + 24;

/** Writes the descriptor into `sd` (SD_SIZE = 92 bytes) and returns `sd`. */
export function WorldSecurityDescriptorAt(sd: usize, worldAccess: u32): usize {
  memory.fill(sd, 0, SD_SIZE);
  store<u8>(sd, 1);
  store<u16>(sd, 0x8004, 2);                 // SE_SELF_RELATIVE | SE_DACL_PRESENT
  store<u32>(sd, 20, 16);                    // the DACL
  const acl = sd + 20;
  store<u8>(acl, 2);                         // ACL_REVISION
  store<u16>(acl, <u16>(SD_SIZE - 20), 2);
  store<u16>(acl, 3, 4);
  let ace = acl + 8;
  ace = allowed(ace, worldAccess, 1, 0, 0);                 // S-1-1-0
  ace = allowed(ace, 0x10000000, 5, 18, 0);                 // S-1-5-18, GENERIC_ALL
  allowed(ace, 0x10000000, 5, 32, 544);                     // S-1-5-32-544, GENERIC_ALL
  return sd;
}

/** An ACCESS_ALLOWED_ACE at `ace` for S-1-`authority`-`rid0`[-`rid1`]; returns the next ACE's address. */
function allowed(ace: usize, mask: u32, authority: u8, rid0: u32, rid1: u32): usize {
  const count: u32 = rid1 != 0 ? 2 : 1;
  const size: u32 = 8 + 8 + count * 4;
  store<u8>(ace, 0);                         // ACCESS_ALLOWED_ACE_TYPE
  store<u8>(ace, 0, 1);
  store<u16>(ace, <u16>size, 2);
  store<u32>(ace, mask, 4);
  store<u8>(ace + 8, 1); store<u8>(ace + 9, <u8>count); store<u8>(ace + 15, authority);
  store<u32>(ace + 16, rid0);
  if (count == 2) store<u32>(ace + 20, rid1);
  return ace + size;
}

/** A new descriptor (92 bytes of the heap) for Everyone `worldAccess`, SYSTEM and Administrators all. */
export function WorldSecurityDescriptor(worldAccess: u32): usize {
  return WorldSecurityDescriptorAt(heap.alloc(SD_SIZE), worldAccess);
}
