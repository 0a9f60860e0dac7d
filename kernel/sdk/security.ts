// Security structures (winnt.h, ntseapi.h; NT 32-bit x86 layouts): SIDs,
// ACLs and ACEs, security descriptors, and the token information classes.
//
//   SID                           Revision, SubAuthorityCount, IdentifierAuthority[6], SubAuthority[n]
//   ACL                           AclRevision, Sbz1, AclSize, AceCount, Sbz2; AceCount ACEs follow
//   ACE_HEADER, ACCESS_ALLOWED_ACE, ACCESS_DENIED_ACE  Header, Mask, SidStart (the SID is inline)
//   SECURITY_DESCRIPTOR_RELATIVE  offsets from its start (Control has SE_SELF_RELATIVE)
//   SECURITY_DESCRIPTOR           the absolute form: pointers
//   SID_AND_ATTRIBUTES, LUID_AND_ATTRIBUTES, TOKEN_USER, TOKEN_GROUPS, TOKEN_PRIVILEGES,
//   TOKEN_OWNER, TOKEN_PRIMARY_GROUP, TOKEN_DEFAULT_DACL, TOKEN_SOURCE, TOKEN_STATISTICS
//   GENERIC_MAPPING
//   PROCESS_ACCESS_TOKEN          NtSetInformationProcess(ProcessAccessToken)
//
// test/kernel/sdk.test.ts checks the layouts and constants against MinGW's winnt.h.

// ---- SID ----

@unmanaged export class SID {
  Revision: u8;
  SubAuthorityCount: u8;
  /** SID_IDENTIFIER_AUTHORITY: six bytes, big-endian. */
  IdentifierAuthority: u8;
  _IdentifierAuthority1: u8;
  _IdentifierAuthority2: u8;
  _IdentifierAuthority3: u8;
  _IdentifierAuthority4: u8;
  _IdentifierAuthority5: u8;
  /** The first of SubAuthorityCount ULONGs (ANYSIZE_ARRAY). */
  SubAuthority: u32;
}
export const SID_REVISION: u8 = 1;
export const SID_MAX_SUB_AUTHORITIES: u32 = 15;
/** The bytes of a SID before its sub-authorities. */
export const SID_HEADER_SIZE: u32 = 8;
/** The largest SID: 8 + 4 * 15 = 68 bytes. */
export const SECURITY_MAX_SID_SIZE: u32 = 68;

// Identifier authorities (the last byte; the others are 0) and well-known sub-authorities.
export const SECURITY_WORLD_SID_AUTHORITY: u8 = 1;      // S-1-1: Everyone is S-1-1-0
export const SECURITY_WORLD_RID: u32 = 0;
export const SECURITY_NT_AUTHORITY: u8 = 5;             // S-1-5
export const SECURITY_INTERACTIVE_RID: u32 = 4;         // S-1-5-4
export const SECURITY_LOGON_IDS_RID: u32 = 5;           // S-1-5-5-X-Y: a logon session
export const SECURITY_AUTHENTICATED_USER_RID: u32 = 11; // S-1-5-11
export const SECURITY_LOCAL_SYSTEM_RID: u32 = 18;       // S-1-5-18: LocalSystem
export const SECURITY_NT_NON_UNIQUE: u32 = 21;          // S-1-5-21-a-b-c-RID: accounts
export const SECURITY_BUILTIN_DOMAIN_RID: u32 = 32;     // S-1-5-32-alias
export const DOMAIN_ALIAS_RID_ADMINS: u32 = 544;
export const DOMAIN_ALIAS_RID_USERS: u32 = 545;
export const DOMAIN_USER_RID_ADMIN: u32 = 500;

// ---- ACL and ACEs ----

@unmanaged export class ACL {
  AclRevision: u8;
  Sbz1: u8;
  AclSize: u16;
  AceCount: u16;
  Sbz2: u16;
}
export const ACL_REVISION: u8 = 2;
export const ACL_REVISION_DS: u8 = 4;
export const SIZEOF_ACL: u32 = 8;

@unmanaged export class ACE_HEADER {
  AceType: u8;
  AceFlags: u8;
  AceSize: u16;
}
export const SIZEOF_ACE_HEADER: u32 = 4;

/** ACCESS_ALLOWED_ACE and ACCESS_DENIED_ACE: the header, the mask, then the SID from SidStart. */
@unmanaged export class ACCESS_ALLOWED_ACE {
  Header_AceType: u8;
  Header_AceFlags: u8;
  Header_AceSize: u16;
  Mask: u32;
  SidStart: u32;
}
@unmanaged export class ACCESS_DENIED_ACE {
  Header_AceType: u8;
  Header_AceFlags: u8;
  Header_AceSize: u16;
  Mask: u32;
  SidStart: u32;
}
/** Where an ACCESS_ALLOWED/DENIED_ACE's SID starts. */
export const ACE_SID_OFFSET: u32 = 8;

export const ACCESS_ALLOWED_ACE_TYPE: u8 = 0;
export const ACCESS_DENIED_ACE_TYPE: u8 = 1;
export const SYSTEM_AUDIT_ACE_TYPE: u8 = 2;

export const OBJECT_INHERIT_ACE: u8 = 0x01;
export const CONTAINER_INHERIT_ACE: u8 = 0x02;
export const NO_PROPAGATE_INHERIT_ACE: u8 = 0x04;
export const INHERIT_ONLY_ACE: u8 = 0x08;
export const INHERITED_ACE: u8 = 0x10;

// ---- security descriptors ----

@unmanaged export class SECURITY_DESCRIPTOR_RELATIVE {
  Revision: u8;
  Sbz1: u8;
  Control: u16;
  /** Offsets from the descriptor's start; 0 = absent. */
  Owner: u32;
  Group: u32;
  Sacl: u32;
  Dacl: u32;
}
export const SIZEOF_SECURITY_DESCRIPTOR_RELATIVE: u32 = 20;

@unmanaged export class SECURITY_DESCRIPTOR {
  Revision: u8;
  Sbz1: u8;
  Control: u16;
  /** Pointers; 0 = absent. */
  Owner: usize;
  Group: usize;
  Sacl: usize;
  Dacl: usize;
}
export const SIZEOF_SECURITY_DESCRIPTOR: u32 = 20;
export const SECURITY_DESCRIPTOR_REVISION: u8 = 1;

// SECURITY_DESCRIPTOR_CONTROL
export const SE_OWNER_DEFAULTED: u16 = 0x0001;
export const SE_GROUP_DEFAULTED: u16 = 0x0002;
export const SE_DACL_PRESENT: u16 = 0x0004;
export const SE_DACL_DEFAULTED: u16 = 0x0008;
export const SE_SACL_PRESENT: u16 = 0x0010;
export const SE_SACL_DEFAULTED: u16 = 0x0020;
export const SE_DACL_PROTECTED: u16 = 0x1000;
export const SE_SELF_RELATIVE: u16 = (<u16>0x8000);

// ---- token information ----

/** SID_AND_ATTRIBUTES: PSID Sid, ULONG Attributes. */
@unmanaged export class SID_AND_ATTRIBUTES {
  Sid: usize;
  Attributes: u32;
}
export const SIZEOF_SID_AND_ATTRIBUTES: u32 = 8;

/** LUID_AND_ATTRIBUTES: LUID (LowPart, HighPart), Attributes. */
@unmanaged export class LUID_AND_ATTRIBUTES {
  Luid_LowPart: u32;
  Luid_HighPart: i32;
  Attributes: u32;
}
export const SIZEOF_LUID_AND_ATTRIBUTES: u32 = 12;

/** TOKEN_USER: one SID_AND_ATTRIBUTES. */
@unmanaged export class TOKEN_USER {
  User_Sid: usize;
  User_Attributes: u32;
}
/** TOKEN_GROUPS: GroupCount, then Groups[GroupCount] (SID_AND_ATTRIBUTES). */
@unmanaged export class TOKEN_GROUPS {
  GroupCount: u32;
  Groups: u32;
}
export const TOKEN_GROUPS_GROUPS: u32 = 4;
/** TOKEN_PRIVILEGES: PrivilegeCount, then Privileges[PrivilegeCount] (LUID_AND_ATTRIBUTES). */
@unmanaged export class TOKEN_PRIVILEGES {
  PrivilegeCount: u32;
  Privileges: u32;
}
export const TOKEN_PRIVILEGES_PRIVILEGES: u32 = 4;
@unmanaged export class TOKEN_OWNER { Owner: usize; }
@unmanaged export class TOKEN_PRIMARY_GROUP { PrimaryGroup: usize; }
@unmanaged export class TOKEN_DEFAULT_DACL { DefaultDacl: usize; }
/** TOKEN_SOURCE: CHAR SourceName[8], LUID SourceIdentifier. */
@unmanaged export class TOKEN_SOURCE {
  SourceName: u64;
  SourceIdentifier: u64;
}
export const SIZEOF_TOKEN_SOURCE: u32 = 16;

/** TOKEN_STATISTICS (56 bytes). */
@unmanaged export class TOKEN_STATISTICS {
  TokenId: u64;
  AuthenticationId: u64;
  ExpirationTime: u64;
  TokenType: u32;
  ImpersonationLevel: u32;
  DynamicCharged: u32;
  DynamicAvailable: u32;
  GroupCount: u32;
  PrivilegeCount: u32;
  ModifiedId: u64;
}
export const SIZEOF_TOKEN_STATISTICS: u32 = 56;

// TOKEN_INFORMATION_CLASS (the ones NtQueryInformationToken answers here, and a few more).
export const TokenUser: u32 = 1;
export const TokenGroups: u32 = 2;
export const TokenPrivileges: u32 = 3;
export const TokenOwner: u32 = 4;
export const TokenPrimaryGroup: u32 = 5;
export const TokenDefaultDacl: u32 = 6;
export const TokenSource: u32 = 7;
export const TokenType: u32 = 8;
export const TokenImpersonationLevel: u32 = 9;
export const TokenStatistics: u32 = 10;
export const TokenSessionId: u32 = 12;

// SID_AND_ATTRIBUTES.Attributes of groups (winnt.h SE_GROUP_*).
export const SE_GROUP_MANDATORY: u32 = 0x00000001;
export const SE_GROUP_ENABLED_BY_DEFAULT: u32 = 0x00000002;
export const SE_GROUP_ENABLED: u32 = 0x00000004;
export const SE_GROUP_OWNER: u32 = 0x00000008;
export const SE_GROUP_USE_FOR_DENY_ONLY: u32 = 0x00000010;
export const SE_GROUP_LOGON_ID: u32 = 0xC0000000;

/** GENERIC_MAPPING: what each generic right means for a type. */
@unmanaged export class GENERIC_MAPPING {
  GenericRead: u32;
  GenericWrite: u32;
  GenericExecute: u32;
  GenericAll: u32;
}
export const SIZEOF_GENERIC_MAPPING: u32 = 16;

/** NtSetInformationProcess(ProcessAccessToken = 9): PROCESS_ACCESS_TOKEN { HANDLE Token; HANDLE Thread; } (ntddk.h). */
export const ProcessAccessToken: u32 = 9;
@unmanaged export class PROCESS_ACCESS_TOKEN {
  Token: u32;
  Thread: u32;
}
export const SIZEOF_PROCESS_ACCESS_TOKEN: u32 = 8;
