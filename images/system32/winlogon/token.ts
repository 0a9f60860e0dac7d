// The logged-on user's token and the shell started with it (what NT's LSA
// and CreateProcessAsUser do for winlogon):
//
//   1. NtCreateToken, as SYSTEM with SeCreateTokenPrivilege enabled: a
//      primary token for the account (user S-1-5-21-<machine>-<RID>), with
//      the groups Everyone, BUILTIN\Users, INTERACTIVE, Authenticated Users,
//      the logon SID S-1-5-5-0-<logon id> and, for the Administrator (RID
//      500), BUILTIN\Administrators; the privileges an ordinary user gets
//      (SeChangeNotifyPrivilege enabled, SeShutdownPrivilege) or, for the
//      Administrator, NT's administrators' set (SeDebugPrivilege among them,
//      disabled until a tool enables it; never SeTcb, SeCreateToken or
//      SeAssignPrimaryToken); the default DACL: the user and SYSTEM
//      GENERIC_ALL (what the user's own objects get); logon session = the
//      logon id lsass gave.
//   2. The shell's process is created suspended with a security descriptor
//      of its own (owner the user; DACL the user and SYSTEM GENERIC_ALL),
//      gets the token through NtSetInformationProcess(ProcessAccessToken)
//      (SeAssignPrimaryTokenPrivilege enabled), then runs.
// The kernel sides: kernel/se/tokeninfo.ts, se/token.ts (SeAssignPrimaryToken).

import { NtClose, NtResumeThread, NtTerminateProcess, RtlAdjustPrivilege, STATUS_SUCCESS } from "../native/nt";
import { Slot, StartProcess, Started } from "../native/util";
import {
  SE_GROUP_ENABLED, SE_GROUP_ENABLED_BY_DEFAULT, SE_GROUP_MANDATORY, SE_GROUP_LOGON_ID, SE_GROUP_OWNER, ProcessAccessToken,
  SECURITY_NT_AUTHORITY, SECURITY_WORLD_SID_AUTHORITY, SECURITY_WORLD_RID, SECURITY_BUILTIN_DOMAIN_RID, DOMAIN_ALIAS_RID_USERS,
  DOMAIN_ALIAS_RID_ADMINS, SECURITY_INTERACTIVE_RID, SECURITY_AUTHENTICATED_USER_RID, SECURITY_LOGON_IDS_RID, SECURITY_NT_NON_UNIQUE,
  SECURITY_LOCAL_SYSTEM_RID, DOMAIN_USER_RID_ADMIN, SE_SELF_RELATIVE, SE_DACL_PRESENT, ACL_REVISION, ACCESS_ALLOWED_ACE_TYPE,
  ACCESS_ALLOWED_ACE, ACE_SID_OFFSET, ACL, SID, SID_HEADER_SIZE, SIZEOF_ACL,
} from "../../../kernel/sdk/security";
import { GENERIC_ALL } from "../../../kernel/sdk/ntdef";

@external("ntdll", "NtCreateToken") declare function NtCreateToken(handle: usize, access: u32, oa: usize, type: u32, authenticationId: usize,
  expiration: usize, user: usize, groups: usize, privileges: usize, owner: usize, primaryGroup: usize, dacl: usize, source: usize): u32;
@external("ntdll", "NtSetInformationProcess") declare function NtSetInformationProcess(process: u32, infoClass: u32, buffer: usize, length: u32): u32;

const SE_CREATE_TOKEN_PRIVILEGE: u32 = 2;
const SE_ASSIGNPRIMARYTOKEN_PRIVILEGE: u32 = 3;
const TOKEN_ALL_ACCESS: u32 = 0xF01FF;
const TokenPrimary: u32 = 1;
const GROUP: u32 = SE_GROUP_MANDATORY | SE_GROUP_ENABLED_BY_DEFAULT | SE_GROUP_ENABLED;
/** This machine's account domain: S-1-5-21-<these three> (NT makes them at setup; ours are fixed). */
const MACHINE_0: u32 = 2043285416, MACHINE_1: u32 = 1339146052, MACHINE_2: u32 = 3805766411;

/** NT's administrators' privileges (LUIDs); 23, 29 and 30 enabled by default. */
const ADMIN_PRIVILEGES: u32[] = [5, 8, 9, 10, 11, 12, 13, 14, 15, 17, 18, 19, 20, 22, 23, 24, 25, 28, 29, 30, 33, 34, 35];
/** An ordinary user's: SeShutdownPrivilege, SeChangeNotifyPrivilege (enabled), SeUndockPrivilege, SeIncreaseWorkingSet, SeTimeZone. */
const USER_PRIVILEGES: u32[] = [19, 23, 25, 33, 34];
function EnabledByDefault(luid: u32): bool { return luid == 23 || luid == 29 || luid == 30; }

/** Writes SID S-1-<authority>-<subs> at `at`; returns its length. */
function PutSid(at: usize, authority: u8, subs: u32[]): u32 {
  store<u8>(at, 1);
  store<u8>(at, <u8>subs.length, 1);
  for (let i: u32 = 0; i < 5; i++) store<u8>(at + 2 + i, 0);
  store<u8>(at, authority, 7);
  for (let i = 0; i < subs.length; i++) store<u32>(at + 8 + (<u32>i << 2), subs[i]);
  return 8 + (<u32>subs.length << 2);
}

/** An ACL at `at` granting GENERIC_ALL to each SID given; returns its length. */
function PutAcl(at: usize, sids: usize[]): u32 {
  let size: u32 = SIZEOF_ACL;
  for (let i = 0; i < sids.length; i++) {
    const sidLength = SID_HEADER_SIZE + (<u32>changetype<SID>(sids[i]).SubAuthorityCount << 2);
    const ace = changetype<ACCESS_ALLOWED_ACE>(at + size);
    ace.Header_AceType = ACCESS_ALLOWED_ACE_TYPE; ace.Header_AceFlags = 0; ace.Header_AceSize = <u16>(ACE_SID_OFFSET + sidLength);
    ace.Mask = GENERIC_ALL;
    memory.copy(at + size + ACE_SID_OFFSET, sids[i], sidLength);
    size += ACE_SID_OFFSET + sidLength;
  }
  const acl = changetype<ACL>(at);
  acl.AclRevision = ACL_REVISION; acl.Sbz1 = 0; acl.AclSize = <u16>size; acl.AceCount = <u16>sids.length; acl.Sbz2 = 0;
  return size;
}

/** The user's SID (valid after WlCreateUserToken), for the shell's descriptor. */
let UserSid: usize = 0;
/** Makes a primary token for account `rid` in logon session `logonId`, its handle in `token` (0 there on failure); NtCreateToken's status. */
export function WlCreateUserToken(rid: u32, logonId: u32, token: usize): u32 {
  const admin = rid == DOMAIN_USER_RID_ADMIN;
  const b = heap.alloc(1024);
  memory.fill(b, 0, 1024);
  // SIDs from +512.
  let at: usize = b + 512;
  const user = at; at += PutSid(at, SECURITY_NT_AUTHORITY, [SECURITY_NT_NON_UNIQUE, MACHINE_0, MACHINE_1, MACHINE_2, rid]);
  const world = at; at += PutSid(at, SECURITY_WORLD_SID_AUTHORITY, [SECURITY_WORLD_RID]);
  const users = at; at += PutSid(at, SECURITY_NT_AUTHORITY, [SECURITY_BUILTIN_DOMAIN_RID, DOMAIN_ALIAS_RID_USERS]);
  const interactive = at; at += PutSid(at, SECURITY_NT_AUTHORITY, [SECURITY_INTERACTIVE_RID]);
  const authenticated = at; at += PutSid(at, SECURITY_NT_AUTHORITY, [SECURITY_AUTHENTICATED_USER_RID]);
  const logon = at; at += PutSid(at, SECURITY_NT_AUTHORITY, [SECURITY_LOGON_IDS_RID, 0, logonId]);
  const admins = at; at += PutSid(at, SECURITY_NT_AUTHORITY, [SECURITY_BUILTIN_DOMAIN_RID, DOMAIN_ALIAS_RID_ADMINS]);
  const system = at; at += PutSid(at, SECURITY_NT_AUTHORITY, [SECURITY_LOCAL_SYSTEM_RID]);
  UserSid = user;
  // +0 TOKEN_USER, +8 TOKEN_GROUPS (up to 8), +80 TOKEN_PRIVILEGES (up to 24), +376 owner, +380 primary group, +384 TOKEN_DEFAULT_DACL,
  // +388 TOKEN_SOURCE, +404 the LUID, +412 the DACL (up to 96 bytes).
  store<usize>(b, user);
  const groups: usize[] = [world, users, interactive, authenticated, logon];
  const attributes: u32[] = [GROUP, GROUP, GROUP, GROUP, GROUP | SE_GROUP_LOGON_ID];
  if (admin) { groups.push(admins); attributes.push(GROUP | SE_GROUP_OWNER); }
  store<u32>(b + 8, groups.length);
  for (let i = 0; i < groups.length; i++) { store<usize>(b + 12 + (<u32>i << 3), groups[i]); store<u32>(b + 16 + (<u32>i << 3), attributes[i]); }
  const privileges = admin ? ADMIN_PRIVILEGES : USER_PRIVILEGES;
  store<u32>(b + 80, privileges.length);
  for (let i = 0; i < privileges.length; i++) {
    const e = b + 84 + <u32>i * 12;
    store<u32>(e, privileges[i]); store<u32>(e, 0, 4); store<u32>(e, EnabledByDefault(privileges[i]) ? 3 : 0, 8);
  }
  store<usize>(b + 376, user);
  store<usize>(b + 380, user);
  PutAcl(b + 412, [user, system]);
  store<usize>(b + 384, b + 412);
  const source = "User32  "; // NT's interactive logons' source name
  for (let i = 0; i < 8; i++) store<u8>(b + 388 + i, <u8>source.charCodeAt(i));
  store<u32>(b + 404, logonId); store<u32>(b + 408, 0);
  const enabled = Slot();
  RtlAdjustPrivilege(SE_CREATE_TOKEN_PRIVILEGE, true, false, enabled);
  store<u32>(token, 0);
  const status = NtCreateToken(token, TOKEN_ALL_ACCESS, 0, TokenPrimary, b + 404, 0, b, b + 8, b + 80, b + 376, b + 380, b + 384, b + 388);
  RtlAdjustPrivilege(SE_CREATE_TOKEN_PRIVILEGE, load<u8>(enabled) != 0, false, enabled);
  if (status != STATUS_SUCCESS) store<u32>(token, 0);
  return status;
}

/** A self-relative descriptor for the user's shell: owner the user, DACL the user and SYSTEM GENERIC_ALL. */
function ShellSecurity(): usize {
  const sd = heap.alloc(256);
  memory.fill(sd, 0, 256);
  const system = heap.alloc(12);
  PutSid(system, SECURITY_NT_AUTHORITY, [SECURITY_LOCAL_SYSTEM_RID]);
  const userLength = 8 + (<u32>load<u8>(UserSid, 1) << 2);
  store<u8>(sd, 1);
  store<u16>(sd, SE_SELF_RELATIVE | SE_DACL_PRESENT, 2);
  store<u32>(sd, 20, 4);                   // owner
  memory.copy(sd + 20, UserSid, userLength);
  store<u32>(sd, 20 + userLength, 16);     // DACL
  PutAcl(sd + 20 + userLength, [UserSid, system]);
  return sd;
}

/** Starts `commandLine` (at `ntPath`) as the token's user: suspended, its descriptor and token set, then resumed. */
export function StartAsUser(token: u32, ntPath: string, commandLine: string, environment: usize): Started {
  const started = StartProcess(ntPath, commandLine, environment, true, ShellSecurity());
  if (started.process == 0) return started;
  const enabled = Slot();
  RtlAdjustPrivilege(SE_ASSIGNPRIMARYTOKEN_PRIVILEGE, true, false, enabled);
  const info = Slot(); // 8 bytes
  store<u32>(info, token); store<u32>(info, started.thread, 4);
  const status = NtSetInformationProcess(started.process, ProcessAccessToken, info, 8);
  RtlAdjustPrivilege(SE_ASSIGNPRIMARYTOKEN_PRIVILEGE, load<u8>(enabled) != 0, false, enabled);
  if (status != STATUS_SUCCESS) {
    NtTerminateProcess(started.process, status);
    NtClose(started.thread); NtClose(started.process);
    return new Started(0, 0, 0, status);
  }
  NtResumeThread(started.thread, 0);
  return started;
}
