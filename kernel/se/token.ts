// Access tokens (Se): the System token, NtAdjustPrivilegesToken, privilege
// checks, and what Ps's token services use (ps/pstoken.ts: NtOpenProcessToken,
// NtOpenThreadToken, a new primary token; Se reads a process's token through
// the routine Ps hands in, SeSetProcessTokenRoutine).
//
// Tokens are objects of the type Token (tokenobj.ts). Each process has one
// primary token, EPROCESS.Token: NtOpenProcessToken hands out handles to
// that very object, so every open of a process's token sees the same
// privileges. A new process gets a copy of its parent's token (psmain.ts,
// PspAllocateProcess). There is no impersonation: no thread has a token of
// its own, so NtOpenThreadToken answers STATUS_NO_TOKEN, as NT does for a
// thread that is not impersonating (ntdll's RtlAdjustPrivilege with
// CurrentThread passes that status on).
//
// NtAdjustPrivilegesToken follows NT's SepAdjustPrivileges: the token's
// privileges are walked in LUID order and each takes the attributes of the
// first entry of NewState with its LUID; PreviousState receives only the
// privileges whose state changes, with their old attributes; a NewState
// entry that matches no privilege of the token (an unknown LUID such as 99
// included: the LUID is not checked, the token simply lacks it) makes the
// result STATUS_NOT_ALL_ASSIGNED while the rest is applied. A PreviousState
// buffer too small for the changes leaves the token as it was:
// STATUS_BUFFER_TOO_SMALL, with the length needed in *ReturnLength.

import { ExCopyFromUser, ExCopyToUser, ExGetPreviousMode, ExWriteUserUlong, KernelMode, ProbeUserRange, ProbeUserWrite } from "../ke/probe";
import { KeAllocateScratch, KeCurrentThread, KeFreeScratch, KTHREAD } from "../ke/thread";
import { KeBugCheckEx } from "../ke/bugcheck";
import { KeLogBegin, KeLogDecimal, KeLogEnd, KeLogHex, KeLogString, KeLog, KeLogFormat2 } from "../ke/log";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { ObReferenceObjectByHandle, ObCreateHandle } from "../ob/obhandle";
import { ObDereferenceObject, ObReferenceObject } from "../ob/obref";
import { GENERIC_ALL, GENERIC_EXECUTE, GENERIC_READ, ObAcquireObjectLock, ObReleaseObjectLock, READ_CONTROL } from "../ob/obp";
import { ExProbeHandle } from "../ex/capture";
import { ObCheckAccess, ObGetObjectSecurity, ObSetAccessCheckRoutine, ObSetDefaultSecurityRoutine, ObSetPrivilegeCheckRoutine } from "../ob/obsecure";
import { RtlAddAccessAllowedAceAt, RtlCreateAcl, RtlInitializeSid } from "../rtl/security";
import { SeAccessCheck, SeDefaultSecurityDescriptor } from "./access";
import {
  DOMAIN_ALIAS_RID_ADMINS, SECURITY_AUTHENTICATED_USER_RID, SECURITY_BUILTIN_DOMAIN_RID, SECURITY_LOCAL_SYSTEM_RID, SECURITY_NT_AUTHORITY,
  SECURITY_WORLD_RID, SECURITY_WORLD_SID_AUTHORITY, SE_GROUP_ENABLED, SE_GROUP_ENABLED_BY_DEFAULT, SE_GROUP_MANDATORY, SE_GROUP_OWNER,
  SIZEOF_ACL, SIZEOF_SID_AND_ATTRIBUTES,
} from "../sdk/security";
import {
  TOKEN, SeTokenObjectType, SepCreateTokenType, SepCreateToken, SepSetTokenIdentity, SepAllocateLuid, SepPrivilegeBit, SE_ALL_PRIVILEGES, SYSTEM_LUID,
  SE_MIN_WELL_KNOWN_PRIVILEGE, SE_MAX_WELL_KNOWN_PRIVILEGE, SE_PRIVILEGE_ENABLED, SE_PRIVILEGE_ENABLED_BY_DEFAULT, SE_PRIVILEGE_REMOVED,
  TOKEN_ADJUST_PRIVILEGES, TOKEN_QUERY, TOKEN_ASSIGN_PRIMARY, TokenPrimary, SeCopyPrimaryToken, SE_ASSIGNPRIMARYTOKEN_PRIVILEGE,
} from "./tokenobj";
import {
  STATUS_ACCESS_VIOLATION, STATUS_BUFFER_TOO_SMALL, STATUS_INSUFFICIENT_RESOURCES,
  STATUS_INVALID_HANDLE, STATUS_INVALID_PARAMETER, STATUS_NOT_ALL_ASSIGNED, STATUS_NO_TOKEN,
  STATUS_SUCCESS, STATUS_PRIVILEGE_NOT_HELD, STATUS_BAD_TOKEN_TYPE, STATUS_UNSUCCESSFUL,
} from "../sdk/ntstatus";

/**
 * The privileges the System token has enabled (and enabled by default).
 * Source: the kernel's SeMakeSystemToken as NT 6.x/10 builds it (the same
 * list `whoami /priv` shows for NT AUTHORITY\SYSTEM): enabled are SeTcb,
 * SeCreatePagefile, SeLockMemory, SeIncreaseBasePriority, SeCreatePermanent,
 * SeDebug, SeAudit, SeChangeNotify, SeProfileSingleProcess, SeImpersonate,
 * SeCreateGlobal, SeIncreaseWorkingSet, SeTimeZone, SeCreateSymbolicLink and
 * SeSystemProfile; NT 5.x (ReactOS's SepCreateSystemProcessToken follows it)
 * enables the first nine of those. Every other privilege is present and
 * disabled: here the System token has all of 2..35.
 */
const SYSTEM_ENABLED_PRIVILEGES: u64 = 0x0000000E60B1E890; // bits 4 7 11 13 14 15 16 20 21 23 29 30 33 34 35 (a literal: no start function)

/** Most LUID_AND_ATTRIBUTES a TOKEN_PRIVILEGES may carry (NT's SEP_MAX_PRIVILEGE_COUNT). */
const SEP_MAX_PRIVILEGE_COUNT: u32 = SE_MAX_WELL_KNOWN_PRIVILEGE - SE_MIN_WELL_KNOWN_PRIVILEGE + 32;
/** LUID_AND_ATTRIBUTES: LUID (LowPart, HighPart), Attributes. */
const SIZEOF_LUID_AND_ATTRIBUTES: u32 = 12;
/** TOKEN_PRIVILEGES: PrivilegeCount and one LUID_AND_ATTRIBUTES (ANYSIZE_ARRAY). */
const SIZEOF_TOKEN_PRIVILEGES: u32 = 16;
/** The largest previous state: every well-known privilege changed. */
const PREVIOUS_STATE_MAX: u32 = 4 + (SE_MAX_WELL_KNOWN_PRIVILEGE - SE_MIN_WELL_KNOWN_PRIVILEGE + 1) * SIZEOF_LUID_AND_ATTRIBUTES;
const SE_TAG: u32 = 0x72506553; // 'SePr': captured privileges

// Out-parameters and results come from the thread's scratch arena
// (KeAllocateScratch), never from module-level memory: the services are
// preemptible and every thread runs the same code.

/** Phase 1, after the Process type: \ObjectTypes\Token and the System process's token. */
export function SeInitializeTokenType(): void {
  SepCreateTokenType();
  const token = SepCreateToken(SE_ALL_PRIVILEGES, SYSTEM_ENABLED_PRIVILEGES, SYSTEM_ENABLED_PRIVILEGES, SYSTEM_LUID, 0);
  if (token == 0) KeBugCheckEx(0x5E, 14, STATUS_INSUFFICIENT_RESOURCES, 0, 0);
  if (!SepSetTokenIdentity(token, SystemIdentity, SYSTEM_GROUP_COUNT, SepBuildSystemIdentity(), 1, 0, SystemDacl)) {
    KeBugCheckEx(0x5E, 14, STATUS_INSUFFICIENT_RESOURCES, 1, 0);
  }
  changetype<TOKEN>(token).SourceName = SYSTEM_SOURCE_NAME;
  SepSystemToken = token; // Ps gives it to the System process (PsInitializeSystemToken)
  ObSetAccessCheckRoutine(SepObjectAccessCheck);
  ObSetPrivilegeCheckRoutine(SeSinglePrivilegeCheck);
  ObSetDefaultSecurityRoutine(SepCreatorDefaultSecurity);
  KeLogFormat2("se", "System token: %u privileges, %u enabled", SepCountPrivileges(SE_ALL_PRIVILEGES), SepCountPrivileges(SYSTEM_ENABLED_PRIVILEGES));
  KeLog("se", "System token: user S-1-5-18, groups S-1-5-32-544 (owner) S-1-1-0 S-1-5-11; default DACL SYSTEM all, Administrators read");
}

/** "*SYSTEM*" as 8 ASCII bytes (NT's system token source name). */
const SYSTEM_SOURCE_NAME: u64 = 0x2A4D45545359532A;
/** The System token's user and groups: SYSTEM, Administrators (the default owner), Everyone, Authenticated Users. */
const SYSTEM_GROUP_COUNT: u32 = 4;
// Boot only (phase 1, one thread): the blocks SepSetTokenIdentity copies.
const SystemIdentity = memory.data(128, 4);
const SystemDacl = memory.data(64, 4);
const GROUP_DEFAULT: u32 = SE_GROUP_MANDATORY | SE_GROUP_ENABLED_BY_DEFAULT | SE_GROUP_ENABLED;

/**
 * Writes the System token's identity into SystemIdentity and its default
 * DACL into SystemDacl (NT's SeMakeSystemToken: SYSTEM GENERIC_ALL,
 * Administrators GENERIC_READ | GENERIC_EXECUTE | READ_CONTROL); returns the
 * identity block's length.
 */
function SepBuildSystemIdentity(): u32 {
  const b = SystemIdentity;
  let at: u32 = SYSTEM_GROUP_COUNT * SIZEOF_SID_AND_ATTRIBUTES;
  const system = b + at; at += RtlInitializeSid(b + at, SECURITY_NT_AUTHORITY, 1, SECURITY_LOCAL_SYSTEM_RID, 0, 0, 0, 0);
  const admins = b + at; at += RtlInitializeSid(b + at, SECURITY_NT_AUTHORITY, 2, SECURITY_BUILTIN_DOMAIN_RID, DOMAIN_ALIAS_RID_ADMINS, 0, 0, 0);
  const world = b + at; at += RtlInitializeSid(b + at, SECURITY_WORLD_SID_AUTHORITY, 1, SECURITY_WORLD_RID, 0, 0, 0, 0);
  const users = b + at; at += RtlInitializeSid(b + at, SECURITY_NT_AUTHORITY, 1, SECURITY_AUTHENTICATED_USER_RID, 0, 0, 0, 0);
  store<usize>(b, system); store<u32>(b, 0, 4);
  store<usize>(b, admins, 8); store<u32>(b, GROUP_DEFAULT | SE_GROUP_OWNER, 12);
  store<usize>(b, world, 16); store<u32>(b, GROUP_DEFAULT, 20);
  store<usize>(b, users, 24); store<u32>(b, GROUP_DEFAULT, 28);
  RtlCreateAcl(SystemDacl, 64);
  let end = RtlAddAccessAllowedAceAt(SystemDacl, SIZEOF_ACL, GENERIC_ALL, system);
  end = RtlAddAccessAllowedAceAt(SystemDacl, end, GENERIC_READ | GENERIC_EXECUTE | READ_CONTROL, admins);
  store<u16>(SystemDacl, <u16>end, 2);
  return at;
}

/** The System process's token, made by SeInitializeTokenType. */
let SepSystemToken: usize = 0;
export function SeSystemToken(): usize { return SepSystemToken; }

/**
 * Ps's routine that reads a process's primary token (its EPROCESS is Ps's;
 * 0 stands for the System process), handed in by PsInitializeSystemToken:
 * Se sits below Ps and does not import it. NT's PsReferencePrimaryToken.
 */
let SepProcessToken: usize = 0;
export function SeSetProcessTokenRoutine(routine: (process: usize) => usize): void { SepProcessToken = changetype<usize>(routine); }
@inline function SepPrimaryToken(process: usize): usize {
  return SepProcessToken != 0 ? changetype<(process: usize) => usize>(SepProcessToken)(process) : 0;
}

/** The primary token of the current thread's process (the System process's for kernel threads); there is no impersonation. */
export function SeQueryCurrentToken(): usize {
  return SepPrimaryToken(changetype<KTHREAD>(KeCurrentThread).Process);
}

/**
 * What Ob runs on a user-mode open (ob/obsecure.ts): SeAccessCheck with the
 * caller's token, or for a duplicate with the primary token of the target
 * process (`processObject`, a Process object: its body holds the EPROCESS).
 */
function SepObjectAccessCheck(sd: usize, desiredAccess: u32, mapping: usize, granted: usize, processObject: usize): u32 {
  const process = processObject != 0 ? load<usize>(processObject) : 0;
  const token = processObject == 0 ? SeQueryCurrentToken() : process != 0 ? SepPrimaryToken(process) : 0;
  return SeAccessCheck(sd, desiredAccess, mapping, token, granted);
}

/** What Ob gives a new named object without a descriptor (ob/obsecure.ts): the caller's token's defaults. */
function SepCreatorDefaultSecurity(): usize {
  return SeDefaultSecurityDescriptor(SeQueryCurrentToken());
}

/**
 * NT's SeSinglePrivilegeCheck: true when the current thread's token has
 * privilege `luid` enabled. Kernel-mode callers hold every privilege; a
 * service called from user mode checks the primary token of the thread's
 * process (there is no impersonation). The System process's token is used
 * for kernel threads.
 */
export function SeSinglePrivilegeCheck(luid: u32): bool {
  return SePrivilegeCheckMode(luid, ExGetPreviousMode());
}

/** The same check for an explicit processor mode (NT's SeSinglePrivilegeCheck(Privilege, PreviousMode), which drivers call). */
export function SePrivilegeCheckMode(luid: u32, previousMode: u32): bool {
  if (previousMode == KernelMode) return true;
  const token = SeQueryCurrentToken();
  return token != 0 && (changetype<TOKEN>(token).Enabled & SepPrivilegeBit(luid)) != 0;
}

function SepCountPrivileges(mask: u64): u32 {
  let n: u32 = 0;
  for (let luid = SE_MIN_WELL_KNOWN_PRIVILEGE; luid <= SE_MAX_WELL_KNOWN_PRIVILEGE; luid++) if ((mask & SepPrivilegeBit(luid)) != 0) n++;
  return n;
}

/**
 * A handle to `token` with `access` (generic rights mapped) in the current
 * handle table, at `out`, if the token's security descriptor grants it to
 * the caller (its own defaults: its user and SYSTEM, for a System token
 * SYSTEM and Administrators' read).
 */
export function SeOpenToken(token: usize, access: u32, out: usize): u32 {
  const lock = ObAcquireObjectLock();
  const granted = KeAllocateScratch(4);
  let status = ObCheckAccess(ObGetObjectSecurity(token), SeTokenObjectType, access, granted); // the token's own descriptor
  access = load<u32>(granted);
  KeFreeScratch(granted);
  if (status != STATUS_SUCCESS) { ObReleaseObjectLock(lock); return status; }
  ObReferenceObject(token);
  status = ObCreateHandle(token, access, 0, out);
  if (status != STATUS_SUCCESS) ObDereferenceObject(token);
  ObReleaseObjectLock(lock);
  return status;
}

/**
 * NtAdjustPrivilegesToken(TokenHandle, DisableAllPrivileges, NewState,
 * BufferLength, PreviousState, ReturnLength): enables, disables or (with
 * SE_PRIVILEGE_REMOVED, as NT 6.0 added) removes privileges of a token, or
 * disables all of them. Needs TOKEN_ADJUST_PRIVILEGES, and TOKEN_QUERY
 * when PreviousState is asked for (ReturnLength is then required too).
 * NewState is read once (its count, then its entries) into pool before the
 * token is touched; the previous state is built there and copied out once.
 */
export function NtAdjustPrivilegesToken(token: u32, disableAll: u32, newState: usize, length: u32, previous: usize, returnLength: usize): u32 {
  const disable = (disableAll & 0xFF) != 0; // a BOOLEAN
  if (!disable && newState == 0) return STATUS_INVALID_PARAMETER;
  let count: u32 = 0;
  if (!disable) {
    const cell = KeAllocateScratch(4); // PrivilegeCount, read once
    const read = ProbeUserRange(newState, SIZEOF_TOKEN_PRIVILEGES, 4) && ExCopyFromUser(cell, newState, 4);
    count = load<u32>(cell);
    KeFreeScratch(cell);
    if (!read) return STATUS_ACCESS_VIOLATION;
    if (count > SEP_MAX_PRIVILEGE_COUNT) return STATUS_INVALID_PARAMETER;
    if (!ProbeUserRange(newState, 4 + count * SIZEOF_LUID_AND_ATTRIBUTES, 4)) return STATUS_ACCESS_VIOLATION;
  }
  // ReturnLength is required with PreviousState (NT's probe of a NULL one faults).
  if (previous != 0 && (returnLength == 0 || !ProbeUserWrite(previous, length, 4) || !ProbeUserWrite(returnLength, 4, 4))) return STATUS_ACCESS_VIOLATION;
  // One block: the captured entries, then the previous state as it will be returned.
  const captured = ExAllocatePoolWithTag(NonPagedPool, count * SIZEOF_LUID_AND_ATTRIBUTES + PREVIOUS_STATE_MAX, SE_TAG);
  if (captured == 0) return STATUS_INSUFFICIENT_RESOURCES;
  if (count != 0 && !ExCopyFromUser(captured, newState + 4, count * SIZEOF_LUID_AND_ATTRIBUTES)) {
    ExFreePoolWithTag(captured, SE_TAG);
    return STATUS_ACCESS_VIOLATION;
  }
  const old = captured + count * SIZEOF_LUID_AND_ATTRIBUTES;
  const out = KeAllocateScratch(4);
  let status = ObReferenceObjectByHandle(token, TOKEN_ADJUST_PRIVILEGES | (previous != 0 ? TOKEN_QUERY : 0), SeTokenObjectType, out, 0);
  const object = load<usize>(out);
  KeFreeScratch(out);
  if (status != STATUS_SUCCESS) { ExFreePoolWithTag(captured, SE_TAG); return status; }
  const result = changetype<SEP_ADJUST_RESULT>(KeAllocateScratch(<u32>offsetof<SEP_ADJUST_RESULT>()));
  const lock = ObAcquireObjectLock(); // the token's lock: another thread adjusting it waits
  const changes = SepAdjustPrivileges(changetype<TOKEN>(object), disable, captured, count, old, result);
  const required: u32 = 4 + changes * SIZEOF_LUID_AND_ATTRIBUTES;
  if (previous != 0 && length < required) status = STATUS_BUFFER_TOO_SMALL; // nothing changes
  else {
    status = !disable && result.Found < count ? STATUS_NOT_ALL_ASSIGNED : STATUS_SUCCESS;
    const t = changetype<TOKEN>(object);
    if (changes != 0) {
      t.Present = result.Present;
      t.Enabled = result.Enabled;
      t.EnabledByDefault &= result.Present;
      t.ModifiedId = SepAllocateLuid();
    }
  }
  ObReleaseObjectLock(lock);
  KeFreeScratch(changetype<usize>(result));
  ObDereferenceObject(object);
  if (previous != 0) {
    // The token has changed by now: a page gone is reported, the change stays (as NT's).
    if (!ExWriteUserUlong(returnLength, required)) status = STATUS_ACCESS_VIOLATION;
    else if (status != STATUS_BUFFER_TOO_SMALL) {
      store<u32>(old, changes);
      if (!ExCopyToUser(previous, old, required)) status = STATUS_ACCESS_VIOLATION;
    }
  }
  ExFreePoolWithTag(captured, SE_TAG);
  return status;
}

/** SepAdjustPrivileges' results besides the count of changes: privileges matched, and the token's masks as they would become. */
@unmanaged class SEP_ADJUST_RESULT {
  Present: u64;
  Enabled: u64;
  Found: u32;
}

/**
 * Works out an adjustment without applying it: for every privilege of the
 * token (in LUID order), its new state from the first entry of `entries`
 * with its LUID (or disabled, with `disableAll`); each privilege that
 * changes goes with its old attributes to `old` + 4 + 12 * i. Returns the
 * number of changes; the new masks and the number of matched privileges
 * go to `result`. Runs under the token's lock.
 */
function SepAdjustPrivileges(t: TOKEN, disableAll: bool, entries: usize, count: u32, old: usize, result: SEP_ADJUST_RESULT): u32 {
  let present = t.Present, enabled = t.Enabled;
  let found: u32 = 0, changes: u32 = 0;
  for (let luid = SE_MIN_WELL_KNOWN_PRIVILEGE; luid <= SE_MAX_WELL_KNOWN_PRIVILEGE; luid++) {
    const bit = SepPrivilegeBit(luid);
    if ((t.Present & bit) == 0) continue;
    let attributes: u32 = 0;
    if (!disableAll) {
      let j: u32 = 0;
      while (j < count && (load<u32>(entries + j * SIZEOF_LUID_AND_ATTRIBUTES) != luid || load<u32>(entries + j * SIZEOF_LUID_AND_ATTRIBUTES, 4) != 0)) j++;
      if (j == count) continue;
      attributes = load<u32>(entries + j * SIZEOF_LUID_AND_ATTRIBUTES, 8);
    }
    found++;
    const wasEnabled = (t.Enabled & bit) != 0;
    const remove = !disableAll && (attributes & SE_PRIVILEGE_REMOVED) != 0;
    const enable = !remove && (attributes & SE_PRIVILEGE_ENABLED) != 0;
    if (!remove && enable == wasEnabled) continue;
    const entry = old + 4 + changes * SIZEOF_LUID_AND_ATTRIBUTES;
    store<u32>(entry, luid);
    store<u32>(entry, 0, 4);
    store<u32>(entry, (wasEnabled ? SE_PRIVILEGE_ENABLED : 0) | ((t.EnabledByDefault & bit) != 0 ? SE_PRIVILEGE_ENABLED_BY_DEFAULT : 0), 8);
    changes++;
    if (remove) { present &= ~bit; enabled &= ~bit; }
    else if (enable) enabled |= bit;
    else enabled &= ~bit;
  }
  result.Found = found;
  result.Present = present;
  result.Enabled = enabled;
  return changes;
}

/**
 * NtSetInformationProcess(ProcessAccessToken)'s token (Ps makes the change,
 * PsAssignPrimaryToken): a copy, at `out`, of the primary token behind
 * `tokenHandle` (TOKEN_ASSIGN_PRIMARY), in session `sessionId`. As in NT
 * this takes SeAssignPrimaryTokenPrivilege (STATUS_PRIVILEGE_NOT_HELD):
 * CreateProcessAsUser's step, which winlogon runs as SYSTEM for the user's
 * shell.
 */
export function SeCopyTokenForAssignment(tokenHandle: u32, sessionId: u32, out: usize): u32 {
  store<usize>(out, 0);
  if (!SeSinglePrivilegeCheck(SE_ASSIGNPRIMARYTOKEN_PRIVILEGE)) return STATUS_PRIVILEGE_NOT_HELD;
  const status = ObReferenceObjectByHandle(tokenHandle, TOKEN_ASSIGN_PRIMARY, SeTokenObjectType, out, 0);
  const object = load<usize>(out);
  store<usize>(out, 0);
  if (status != STATUS_SUCCESS) return status;
  if (changetype<TOKEN>(object).TokenType != TokenPrimary) { ObDereferenceObject(object); return STATUS_BAD_TOKEN_TYPE; }
  const copy = SeCopyPrimaryToken(object);
  ObDereferenceObject(object);
  if (copy == 0) return STATUS_INSUFFICIENT_RESOURCES;
  changetype<TOKEN>(copy).SessionId = sessionId;
  store<usize>(out, copy);
  return STATUS_SUCCESS;
}

/** A token's logon session (AuthenticationId's low part), for Ps's log line. */
export function SeTokenLogonId(token: usize): u32 { return <u32>changetype<TOKEN>(token).AuthenticationId; }

/** The token's three privilege masks (present, enabled, enabled by default) at `out` (24 bytes), read under its lock. */
export function SepReadPrivileges(token: usize, out: usize): void {
  const lock = ObAcquireObjectLock();
  const t = changetype<TOKEN>(token);
  store<u64>(out, t.Present);
  store<u64>(out, t.Enabled, 8);
  store<u64>(out, t.EnabledByDefault, 16);
  ObReleaseObjectLock(lock);
}

/** A handle to a new token (its creator's reference goes to the handle) with `access`, at `out`. */
export function SepInsertToken(token: usize, access: u32, out: usize): u32 {
  const lock = ObAcquireObjectLock();
  const status = ObCreateHandle(token, access, 0, out);
  ObReleaseObjectLock(lock);
  return status;
}
