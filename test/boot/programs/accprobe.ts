// Access checks from ring 3 (test/boot/access.test.ts). The same program runs
// twice: as a service (services.exe starts it with the System token's copy:
// SYSTEM) and from the
// shell of `User`, an ordinary user who logged on through winlogon. It says
// who it is (NtQueryInformationToken), then tries what only SYSTEM (or a
// holder of SeDebugPrivilege) may: open csrss and winlogon to end them, open
// csrss's thread, set the critical flag, open the SAM hive; and what anyone
// may: objects with descriptors of its own (explicit SECURITY_DESCRIPTORs in
// OBJECT_ATTRIBUTES, captured and checked on each open), malformed ones.
// Every line: "<who>: <what> <status> [more]".
import { InitializeObjectAttributes, OBJECT_ATTRIBUTES, OBJ_CASE_INSENSITIVE, OBJ_PERMANENT } from "../../../kernel/sdk/ntdef";
import { show, put, putHex, putDec, flush, NtClose, NtOpenProcess, NtQuerySystemInformation, NtSetInformationProcess, NtDelayExecution,
  NtCreateEvent, NtOpenEvent, NtQueryObject, NtDuplicateObject, NtMakeTemporaryObject, NtCreateDirectoryObject, NtCreateSymbolicLinkObject,
  NtOpenSymbolicLinkObject, NtQueryInformationProcess, ms, unicode } from "./nt";
import { SYSTEM_PROCESS_INFORMATION, SYSTEM_THREAD_INFORMATION, SystemProcessInformation } from "../../../kernel/sdk/sysinfo";
import { PROCESS_BASIC_INFORMATION, ProcessBasicInformation, ProcessBreakOnTermination, SIZEOF_PROCESS_BASIC_INFORMATION } from "../../../kernel/sdk/procinfo";
import { ProcessAccessToken } from "../../../kernel/sdk/security";
import { makeSharedKey, objects, savedKeyOpens } from "./accobjects";
import { InitializeSecurityQualityOfService, SECURITY_STATIC_TRACKING, SecurityImpersonation } from "../../../kernel/sdk/lpc";

@external("ntdll", "NtOpenProcessToken") declare function NtOpenProcessToken(process: u32, access: u32, token: usize): u32;
@external("ntdll", "NtQueryInformationToken") declare function NtQueryInformationToken(token: u32, cls: u32, buffer: usize, length: u32, returned: usize): u32;
@external("ntdll", "NtCreateToken") declare function NtCreateToken(handle: usize, access: u32, oa: usize, type: u32, luid: usize, expiration: usize,
  user: usize, groups: usize, privileges: usize, owner: usize, group: usize, dacl: usize, source: usize): u32;
@external("ntdll", "NtOpenThread") declare function NtOpenThread(handle: usize, access: u32, oa: usize, clientId: usize): u32;
@external("ntdll", "NtOpenKey") declare function NtOpenKey(handle: usize, access: u32, oa: usize): u32;
@external("ntdll", "NtConnectPort") declare function NtConnectPort(handle: usize, name: usize, qos: usize, clientView: usize, serverView: usize,
  maxLength: usize, info: usize, infoLength: usize): u32;
@external("ntdll", "NtQuerySecurityObject") declare function NtQuerySecurityObject(handle: u32, information: u32, sd: usize, length: u32, needed: usize): u32;
@external("ntdll", "NtSetSecurityObject") declare function NtSetSecurityObject(handle: u32, information: u32, sd: usize): u32;
@external("ntdll", "NtMakePermanentObject") declare function NtMakePermanentObject(handle: u32): u32;
@external("ntdll", "NtAdjustPrivilegesToken") declare function NtAdjustPrivilegesToken(token: u32, disableAll: u32, newState: usize, length: u32, previous: usize, returnLength: usize): u32;

/** RtlAdjustPrivilege's way (a boot module links to services only): enable `luid`; STATUS_NOT_ALL_ASSIGNED becomes STATUS_PRIVILEGE_NOT_HELD. */
function enablePrivilege(luid: u32): u32 {
  let status = NtOpenProcessToken(SELF, 0x28 /* TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY */, h);
  if (status != 0) return status;
  const token = load<u32>(h);
  store<u32>(info, 1); store<u32>(info, luid, 4); store<u32>(info, 0, 8); store<u32>(info, 2, 12);
  status = NtAdjustPrivilegesToken(token, 0, info, 0, 0, 0);
  NtClose(token);
  return status == 0x106 ? 0xC0000061 : status;
}

const SELF: u32 = 0xFFFFFFFF;
const PROCESS_TERMINATE: u32 = 0x1, PROCESS_QUERY_INFORMATION: u32 = 0x400, THREAD_TERMINATE: u32 = 0x1, MAXIMUM_ALLOWED: u32 = 0x02000000;
const KEY_READ: u32 = 0x20019, KEY_SET_VALUE: u32 = 0x2;
const EVENT_QUERY_STATE: u32 = 0x1, EVENT_MODIFY_STATE: u32 = 0x2, EVENT_ALL_ACCESS: u32 = 0x1F0003;
const TokenUser: u32 = 1, TokenGroups: u32 = 2, TokenPrivileges: u32 = 3, TokenType: u32 = 8, TokenStatistics: u32 = 10;

const h = memory.data(16, 4);
const returned = memory.data(4, 4);
const info = memory.data(1024, 8);
const list = memory.data(65536, 8);
const cid = memory.data(8, 4);
const oa = memory.data(24, 4);
const name = memory.data(8, 4);
const value = memory.data(4, 4);
const sd = memory.data(128, 4);
const basic = memory.data(56, 4);
const t = memory.data(8, 8);
let who = "user";

function line(what: string, status: u32): void { put(who); put(": "); show(what, status); }
function attributesOf(path: string, descriptor: usize): usize {
  return InitializeObjectAttributes(oa, unicode(name, path), OBJ_CASE_INSENSITIVE, 0, descriptor);
}
function putSid(sid: usize): void {
  put("S-1-"); putDec(load<u8>(sid, 7));
  for (let i: u32 = 0; i < <u32>load<u8>(sid, 1); i++) { put("-"); putDec(load<u32>(sid + 8 + i * 4)); }
}

/** Who this process runs as: its token's user, groups, privileges 2, 3, 7, 19, 20, 23; "system" when the user is S-1-5-18. */
function identify(): void {
  const status = NtOpenProcessToken(SELF, 0x8 /* TOKEN_QUERY */, h);
  if (status != 0) { line("open own token", status); return; }
  const token = load<u32>(h);
  store<u32>(returned, 0);
  const small = NtQueryInformationToken(token, TokenUser, info, 4, returned);
  const user = NtQueryInformationToken(token, TokenUser, info, 1024, returned);
  const sid = load<usize>(info);
  if (user == 0 && load<u8>(sid, 1) == 1 && load<u32>(sid, 8) == 18) who = "system";
  put(who); put(": token user "); putHex(user); put(" "); if (user == 0) putSid(sid); flush();
  put(who); put(": TokenUser in 4 bytes "); putHex(small); put(" needs "); putDec(load<u32>(returned)); flush();
  const groups = NtQueryInformationToken(token, TokenGroups, info, 1024, returned);
  put(who); put(": token groups "); putHex(groups);
  if (groups == 0) for (let i: u32 = 0; i < load<u32>(info); i++) { put(" "); putSid(load<usize>(info + 4 + i * 8)); }
  flush();
  const privileges = NtQueryInformationToken(token, TokenPrivileges, info, 1024, returned);
  put(who); put(": token privileges "); putHex(privileges);
  if (privileges == 0) for (let i: u32 = 0; i < load<u32>(info); i++) {
    const luid = load<u32>(info + 4 + i * 12);
    if (luid == 2 || luid == 3 || luid == 7 || luid == 19 || luid == 20 || luid == 23) { put(" "); putDec(luid); put("="); putDec(load<u32>(info + 12 + i * 12)); }
  }
  flush();
  const type = NtQueryInformationToken(token, TokenType, info, 4, returned);
  put(who); put(": token type "); putHex(type); put(" "); putDec(load<u32>(info)); flush();
  const statistics = NtQueryInformationToken(token, TokenStatistics, info, 56, returned);
  put(who); put(": token statistics "); putHex(statistics); put(" groups "); putDec(load<u32>(info, 40)); put(" logon session "); putHex(load<u32>(info, 8)); flush();
  line("token impersonation level (a primary token)", NtQueryInformationToken(token, 9, info, 4, returned));
  NtClose(token);
}

/** Whether the `length` characters at `b` are `name` (case-insensitive; `name` in lower case). */
function nameIs(b: usize, length: u32, name: string): bool {
  if (length != <u32>name.length) return false;
  for (let i: u32 = 0; i < length; i++) {
    let c = <u32>load<u16>(b + (i << 1));
    if (c >= 0x41 && c <= 0x5A) c += 0x20;
    if (c != <u32>name.charCodeAt(i)) return false;
  }
  return true;
}

/** Ids of session `session`'s csrss and winlogon and csrss's first thread, at cid-like cells: +0 csrss, +4 winlogon, +8 thread; false until all are there. */
const found = memory.data(12, 4);
function findSystemProcesses(): bool {
  store<u32>(found, 0); store<u32>(found, 0, 4); store<u32>(found, 0, 8);
  if (NtQuerySystemInformation(SystemProcessInformation, list, 65536, 0) != 0) return false;
  let at: usize = list;
  while (true) {
    const p = changetype<SYSTEM_PROCESS_INFORMATION>(at);
    const image = nameIs(p.ImageName_Buffer, <u32>p.ImageName_Length >> 1, "csrss.exe") ? "csrss"
      : nameIs(p.ImageName_Buffer, <u32>p.ImageName_Length >> 1, "winlogon.exe") ? "winlogon" : "";
    if (p.SessionId == 1 && image == "csrss" && load<u32>(found) == 0) {
      store<u32>(found, p.UniqueProcessId);
      if (p.NumberOfThreads > 0) store<u32>(found, changetype<SYSTEM_THREAD_INFORMATION>(at + offsetof<SYSTEM_PROCESS_INFORMATION>()).ClientId_UniqueThread, 8);
    }
    if (p.SessionId == 1 && image == "winlogon" && load<u32>(found, 4) == 0) store<u32>(found, p.UniqueProcessId, 4);
    if (p.NextEntryOffset == 0) break;
    at += p.NextEntryOffset;
  }
  return load<u32>(found) != 0 && load<u32>(found, 4) != 0 && load<u32>(found, 8) != 0;
}

function openProcess(what: string, pid: u32, access: u32): void {
  store<u32>(cid, pid); store<u32>(cid, 0, 4);
  InitializeObjectAttributes(oa, 0, 0, 0, 0);
  const status = NtOpenProcess(h, access, oa, cid);
  put(who); put(": "); put(what); put(" "); putHex(status);
  if (status == 0) {
    NtQueryObject(load<u32>(h), 0, basic, 56, 0);
    put(" granted "); putHex(load<u32>(basic, 4));
    NtClose(load<u32>(h));
  }
  flush();
}

function openKey(what: string, path: string, access: u32): void {
  const status = NtOpenKey(h, access, attributesOf(path, 0));
  line(what, status);
  if (status == 0) NtClose(load<u32>(h));
}

/** A self-relative SD at `sd`: no owner, a DACL with the given ACEs for Everyone (type, mask pairs); `count` 0..2. */
function everyoneSd(count: u32, type0: u8, mask0: u32, type1: u8, mask1: u32): usize {
  memory.fill(sd, 0, 128);
  store<u8>(sd, 1); store<u16>(sd, 0x8004, 2); store<u32>(sd, 20, 16); // SE_SELF_RELATIVE | SE_DACL_PRESENT; DACL at 20
  const acl = sd + 20;
  store<u8>(acl, 2); store<u16>(acl, <u16>(8 + count * 20), 2); store<u16>(acl, <u16>count, 4);
  for (let i: u32 = 0; i < count; i++) {
    const ace = acl + 8 + i * 20;
    store<u8>(ace, i == 0 ? type0 : type1); store<u16>(ace, 20, 2); store<u32>(ace, i == 0 ? mask0 : mask1, 4);
    store<u8>(ace + 8, 1); store<u8>(ace + 9, 1); store<u8>(ace + 15, 1); store<u32>(ace + 16, 0); // S-1-1-0
  }
  return sd;
}

function openEvent(what: string, path: string, access: u32): void {
  const status = NtOpenEvent(h, access, attributesOf(path, 0));
  put(who); put(": "); put(what); put(" "); putHex(status);
  if (status == 0) {
    NtQueryObject(load<u32>(h), 0, basic, 56, 0);
    put(" granted "); putHex(load<u32>(basic, 4));
    NtClose(load<u32>(h));
  }
  flush();
}

/** Opens `path` with `access` and duplicates that handle (into this process, without DUPLICATE_SAME_ACCESS) asking `asked`. */
function duplicate(what: string, path: string, access: u32, asked: u32): void {
  let status = NtOpenEvent(h, access, attributesOf(path, 0));
  if (status == 0) {
    const source = load<u32>(h);
    status = NtDuplicateObject(SELF, source, SELF, h + 4, asked, 0, 0);
    NtClose(source);
  }
  grantedLine(what, status, h + 4);
}

/** "<who>: <what> <status>" and, on success, " granted <the handle's access>" (the handle at `cell` is closed). */
function grantedLine(what: string, status: u32, cell: usize): void {
  put(who); put(": "); put(what); put(" "); putHex(status);
  if (status == 0) {
    NtQueryObject(load<u32>(cell), 0, basic, 56, 0);
    put(" granted "); putHex(load<u32>(basic, 4));
    NtClose(load<u32>(cell));
  }
  flush();
}

/**
 * NtDuplicateObject without DUPLICATE_SAME_ACCESS: rights beyond the source
 * handle's are checked against the object's descriptor (for the target
 * process's token: this one), as an open would be; MAXIMUM_ALLOWED gives the
 * source's rights and what the descriptor grants; an object without a
 * descriptor has no protection (NT); files never gain rights (security.test's dupwrite).
 */
function duplicates(base: string): void {
  duplicate("duplicate a query handle of the query-only event for modify", base + "Query", EVENT_QUERY_STATE, EVENT_MODIFY_STATE);
  duplicate("duplicate it with MAXIMUM_ALLOWED", base + "Query", EVENT_QUERY_STATE, MAXIMUM_ALLOWED);
  duplicate("duplicate a modify handle of the deny event for query and modify", base + "Deny", EVENT_MODIFY_STATE, EVENT_QUERY_STATE | EVENT_MODIFY_STATE);
  duplicate("duplicate it for SYNCHRONIZE", base + "Deny", EVENT_MODIFY_STATE, 0x100000);
  duplicate("duplicate a query handle of the NULL-DACL event for all access", base + "Null", EVENT_QUERY_STATE, EVENT_ALL_ACCESS);
  duplicate("duplicate a query handle of the NULL-DACL event with GENERIC_ALL", base + "Null", EVENT_QUERY_STATE, 0x10000000);
  let status = NtCreateEvent(h, EVENT_QUERY_STATE, 0, 0, 0);
  line("create an unnamed event for query only", status);
  if (status == 0) {
    const source = load<u32>(h);
    grantedLine("duplicate it for modify (no descriptor)", NtDuplicateObject(SELF, source, SELF, h + 4, EVENT_MODIFY_STATE, 0, 0), h + 4);
    grantedLine("duplicate it with DUPLICATE_SAME_ACCESS", NtDuplicateObject(SELF, source, SELF, h + 4, EVENT_ALL_ACCESS, 0, 2), h + 4);
    NtClose(source);
  }
}

/** Objects with descriptors of their own: each create keeps its handle open (the name stays) until the end. */
function descriptors(): void {
  const base = who == "system" ? "\\BaseNamedObjects\\AccProbeSystem" : "\\BaseNamedObjects\\AccProbeUser";
  // Everyone may query, nothing else.
  let status = NtCreateEvent(h, EVENT_ALL_ACCESS, attributesOf(base + "Query", everyoneSd(1, 0, EVENT_QUERY_STATE | 0x100000, 0, 0)), 0, 0);
  line("create an event Everyone may only query", status);
  const q = load<u32>(h);
  openEvent("open it to query", base + "Query", EVENT_QUERY_STATE);
  openEvent("open it to modify", base + "Query", EVENT_MODIFY_STATE);
  openEvent("open it with MAXIMUM_ALLOWED", base + "Query", MAXIMUM_ALLOWED);
  openEvent("open it with GENERIC_READ", base + "Query", 0x80000000);
  // A deny ACE before an allow-all ACE.
  status = NtCreateEvent(h, EVENT_ALL_ACCESS, attributesOf(base + "Deny", everyoneSd(2, 1, EVENT_QUERY_STATE, 0, EVENT_ALL_ACCESS)), 0, 0);
  line("create an event denying Everyone query, then allowing all", status);
  const d = load<u32>(h);
  openEvent("open the deny event to query", base + "Deny", EVENT_QUERY_STATE);
  openEvent("open the deny event to modify", base + "Deny", EVENT_MODIFY_STATE);
  openEvent("open the deny event with MAXIMUM_ALLOWED", base + "Deny", MAXIMUM_ALLOWED);
  // An empty DACL: nobody (no owner here).
  status = NtCreateEvent(h, EVENT_ALL_ACCESS, attributesOf(base + "Empty", everyoneSd(0, 0, 0, 0, 0)), 0, 0);
  line("create an event with an empty DACL", status);
  const e = load<u32>(h);
  openEvent("open the empty-DACL event to query", base + "Empty", EVENT_QUERY_STATE);
  // A NULL DACL: everybody.
  everyoneSd(0, 0, 0, 0, 0); store<u32>(sd, 0, 16);
  status = NtCreateEvent(h, EVENT_ALL_ACCESS, attributesOf(base + "Null", sd), 0, 0);
  line("create an event with a NULL DACL", status);
  const n = load<u32>(h);
  openEvent("open the NULL-DACL event for all access", base + "Null", EVENT_ALL_ACCESS);
  // Malformed descriptors: refused at the create, nothing made.
  everyoneSd(1, 0, EVENT_ALL_ACCESS, 0, 0); store<u8>(sd, 2);
  line("a descriptor of revision 2", NtCreateEvent(h, EVENT_ALL_ACCESS, attributesOf(base + "Bad1", sd), 0, 0));
  everyoneSd(1, 0, EVENT_ALL_ACCESS, 0, 0); store<u16>(sd + 20, 16, 2); // AclSize shorter than its ACE
  line("a DACL shorter than its ACE", NtCreateEvent(h, EVENT_ALL_ACCESS, attributesOf(base + "Bad2", sd), 0, 0));
  everyoneSd(1, 0, EVENT_ALL_ACCESS, 0, 0); store<u8>(sd + 20 + 8 + 9, 40); // a SID of 40 sub-authorities
  line("an ACE's SID with 40 sub-authorities", NtCreateEvent(h, EVENT_ALL_ACCESS, attributesOf(base + "Bad3", sd), 0, 0));
  line("a descriptor in kernel memory", NtCreateEvent(h, EVENT_ALL_ACCESS, attributesOf(base + "Bad4", 0x80100000), 0, 0));
  line("a descriptor at an unmapped address", NtCreateEvent(h, EVENT_ALL_ACCESS, attributesOf(base + "Bad5", 0x10), 0, 0));
  openEvent("open the first bad one", base + "Bad1", EVENT_QUERY_STATE);
  duplicates(base);
  // Permanent objects outlive their creator: SeCreatePermanentPrivilege (SYSTEM has it enabled).
  status = NtMakePermanentObject(q);
  line("make the query-only event permanent", status);
  if (status == 0) line("and temporary again", NtMakeTemporaryObject(q));
  attributesOf(base + "Permanent", 0);
  changetype<OBJECT_ATTRIBUTES>(oa).Attributes = OBJ_PERMANENT | OBJ_CASE_INSENSITIVE;
  status = NtCreateEvent(h, EVENT_ALL_ACCESS, oa, 0, 0);
  line("create a permanent event", status);
  if (status == 0) { NtMakeTemporaryObject(load<u32>(h)); NtClose(load<u32>(h)); }
  NtClose(q); NtClose(d); NtClose(e); NtClose(n);
}

/** Where SYSTEM's run leaves an event with SYSTEM's default descriptor (permanent: the user's run comes later). */
const SYSTEM_DEFAULT_EVENT = "\\BaseNamedObjects\\AccProbeSystemDefault";
const target = memory.data(8, 4);
const qos = memory.data(12, 4);

/** An object made and closed at once (made temporary first: the test leaves nothing behind). */
function made(what: string, status: u32): void {
  line(what, status);
  if (status == 0) { NtMakeTemporaryObject(load<u32>(h)); NtClose(load<u32>(h)); }
}

/**
 * The namespace's descriptors (NT's): the user may not create in \, \KnownDlls,
 * \ObjectTypes or the global DOS devices, nor open their links to delete them,
 * nor connect to \SmApiPort; it may create in \BaseNamedObjects, and what it
 * makes there gets its token's default DACL. SYSTEM may do all of it.
 */
function namespace(): void {
  made("create an event in \\", NtCreateEvent(h, EVENT_ALL_ACCESS, attributesOf("\\AccProbeRoot" + who, 0), 0, 0));
  made("create an event in \\KnownDlls", NtCreateEvent(h, EVENT_ALL_ACCESS, attributesOf("\\KnownDlls\\AccProbe" + who, 0), 0, 0));
  made("create an event in \\ObjectTypes", NtCreateEvent(h, EVENT_ALL_ACCESS, attributesOf("\\ObjectTypes\\AccProbe" + who, 0), 0, 0));
  made("create a directory in \\", NtCreateDirectoryObject(h, 0xF000F, attributesOf("\\AccProbeDirectory" + who, 0)));
  made("create a DOS device link in \\GLOBAL??", NtCreateSymbolicLinkObject(h, 0xF0001, attributesOf("\\GLOBAL??\\AccProbe" + who + ":", 0),
    unicode(target, "\\Device\\Null")));
  let status = NtOpenSymbolicLinkObject(h, 0x10000 /* DELETE */, attributesOf("\\GLOBAL??\\C:", 0));
  line("open the global C: link to delete it", status);
  if (status == 0) NtClose(load<u32>(h));
  status = NtOpenSymbolicLinkObject(h, 0x1 /* SYMBOLIC_LINK_QUERY */, attributesOf("\\GLOBAL??\\C:", 0));
  line("open the global C: link to query it", status);
  if (status == 0) NtClose(load<u32>(h));
  status = NtOpenSymbolicLinkObject(h, 0x10000, attributesOf("\\KnownDlls\\KnownDllPath", 0));
  line("open KnownDllPath to delete it", status);
  if (status == 0) NtClose(load<u32>(h));
  // SECURITY_QUALITY_OF_SERVICE: 12 bytes, SecurityImpersonation, static, effective only.
  InitializeSecurityQualityOfService(qos, SecurityImpersonation, SECURITY_STATIC_TRACKING, true);
  status = NtConnectPort(h, unicode(name, "\\SmApiPort"), qos, 0, 0, 0, 0, 0);
  line("connect to \\SmApiPort", status == 0x00000000 || status == 0xC0000041 ? 0 : status); // SUCCESS or refused by smss: let in
  if (status == 0) NtClose(load<u32>(h));
  // Created here: the creator's token's defaults. The user's (winlogon's token): the user and SYSTEM GENERIC_ALL.
  status = NtCreateEvent(h, EVENT_QUERY_STATE, attributesOf("\\BaseNamedObjects\\AccProbeDefault" + who, 0), 0, 0);
  line("create an event in \\BaseNamedObjects for query only", status);
  const own = status == 0 ? load<u32>(h) : 0; // open until the end: the traverse checks open it by name
  if (status == 0) {
    grantedLine("duplicate it for all access (its default DACL gives the creator all)", NtDuplicateObject(SELF, own, SELF, h + 4, EVENT_ALL_ACCESS, 0, 0), h + 4);
  }
  // SYSTEM's event (SYSTEM's default DACL: SYSTEM all, Administrators read): wait for it up to a minute.
  status = NtOpenEvent(h, EVENT_QUERY_STATE, attributesOf(SYSTEM_DEFAULT_EVENT, 0));
  for (let i = 0; i < 240 && status == 0xC0000034; i++) { NtDelayExecution(0, ms(t, 250)); status = NtOpenEvent(h, EVENT_QUERY_STATE, attributesOf(SYSTEM_DEFAULT_EVENT, 0)); }
  line("open SYSTEM's event in \\BaseNamedObjects to query", status);
  if (status == 0) NtClose(load<u32>(h));
  // Traverse checking: a directory that lets Everyone create and query, not traverse.
  status = NtCreateDirectoryObject(h, 0xF000F, attributesOf("\\BaseNamedObjects\\AccProbeNoTraverse" + who, everyoneSd(1, 0, 0x5 /* QUERY | CREATE_OBJECT */, 0, 0)));
  line("create a directory Everyone may not traverse", status);
  if (status != 0) { NtClose(own); return; }
  const directory = load<u32>(h);
  const inside = "\\BaseNamedObjects\\AccProbeNoTraverse" + who + "\\Event";
  status = NtCreateEvent(h, EVENT_ALL_ACCESS, attributesOf(inside, 0), 0, 0);
  line("create an event in it (SeChangeNotifyPrivilege bypasses traverse checking)", status);
  const event = load<u32>(h);
  line("disable SeChangeNotifyPrivilege", setPrivilege(23, false));
  openEvent("open the event through the directory", inside, EVENT_QUERY_STATE);
  openEvent("open an event through directories everyone may traverse", "\\BaseNamedObjects\\AccProbeDefault" + who, EVENT_QUERY_STATE);
  line("enable SeChangeNotifyPrivilege", setPrivilege(23, true));
  openEvent("open the event through the directory again", inside, EVENT_QUERY_STATE);
  if (status == 0) NtClose(event);
  NtClose(directory);
  NtClose(own);
}

/**
 * NtQuerySecurityObject / NtSetSecurityObject: READ_CONTROL to read, WRITE_DAC
 * and WRITE_OWNER to change; the self-relative format; malformed descriptors
 * refused; an owner the token may not assign refused (STATUS_INVALID_OWNER).
 */
function securityServices(): void {
  const path = "\\BaseNamedObjects\\AccProbeSd" + who;
  let status = NtCreateEvent(h, EVENT_ALL_ACCESS, attributesOf(path, 0), 0, 0);
  line("create an event for the security services", status);
  if (status != 0) return;
  const event = load<u32>(h);
  store<u32>(returned, 0);
  status = NtQuerySecurityObject(event, 5 /* OWNER | DACL */, info, 4, returned);
  put(who); put(": query its owner and DACL in 4 bytes "); putHex(status); put(" needs "); putDec(load<u32>(returned)); flush();
  status = NtQuerySecurityObject(event, 5, info, 1024, returned);
  put(who); put(": query its owner and DACL "); putHex(status);
  if (status == 0) {
    // Self-relative: revision 1, SE_SELF_RELATIVE | SE_DACL_PRESENT, owner and DACL offsets.
    put(" revision "); putDec(load<u8>(info)); put(" control "); putHex(load<u16>(info, 2)); flush();
    put(who); put(": its owner "); putSid(info + load<u32>(info, 4)); flush();
    const acl = info + load<u32>(info, 16);
    put(who); put(": its DACL's ACEs "); putDec(load<u16>(acl, 4));
    for (let i: u32 = 0, at: u32 = 8; i < <u32>load<u16>(acl, 4); i++) { put(" "); putSid(acl + at + 8); at += <u32>load<u16>(acl + at, 2); }
  }
  flush();
  status = NtOpenEvent(h, EVENT_QUERY_STATE, attributesOf(path, 0));
  if (status == 0) {
    line("query it through a handle without READ_CONTROL", NtQuerySecurityObject(load<u32>(h), 4, info, 1024, returned));
    line("set its DACL through a handle without WRITE_DAC", NtSetSecurityObject(load<u32>(h), 4, everyoneSd(0, 0, 0, 0, 0)));
    NtClose(load<u32>(h));
  }
  line("set its DACL to Everyone query only", NtSetSecurityObject(event, 4, everyoneSd(1, 0, EVENT_QUERY_STATE, 0, 0)));
  openEvent("open it to modify", path, EVENT_MODIFY_STATE);
  openEvent("open it to read its descriptor (the owner may)", path, 0x20000);
  everyoneSd(1, 0, EVENT_ALL_ACCESS, 0, 0); store<u8>(sd, 2);
  line("set a descriptor of revision 2", NtSetSecurityObject(event, 4, sd));
  everyoneSd(1, 0, EVENT_ALL_ACCESS, 0, 0); store<u16>(sd + 20, 16, 2);
  line("set a DACL shorter than its ACE", NtSetSecurityObject(event, 4, sd));
  line("set a descriptor in kernel memory", NtSetSecurityObject(event, 4, 0x80100000));
  // Owner SYSTEM: only a token whose user or owner group it is (or SeRestorePrivilege).
  memory.fill(sd, 0, 128);
  store<u8>(sd, 1); store<u16>(sd, 0x8000, 2); store<u32>(sd, 20, 4);
  store<u8>(sd + 20, 1); store<u8>(sd + 21, 1); store<u8>(sd + 27, 5); store<u32>(sd + 28, 18);
  line("make SYSTEM its owner", NtSetSecurityObject(event, 1, sd));
  line("query this process's DACL", NtQuerySecurityObject(SELF, 4, info, 1024, returned));
  NtClose(event);
}

/** Enables or disables privilege `luid` of this process's token. */
function setPrivilege(luid: u32, enable: bool): u32 {
  let status = NtOpenProcessToken(SELF, 0x28, h + 8);
  if (status != 0) return status;
  const token = load<u32>(h, 8);
  store<u32>(info, 1); store<u32>(info, luid, 4); store<u32>(info, 0, 8); store<u32>(info, enable ? 2 : 0, 12);
  status = NtAdjustPrivilegesToken(token, 0, info, 0, 0, 0);
  NtClose(token);
  return status;
}

/**
 * SeDebugPrivilege opens any process whatever its DACL (NT's PsOpenProcess):
 * this process's DACL is made empty (nobody may do anything; its owner keeps
 * READ_CONTROL and WRITE_DAC), then it is opened by id with the privilege
 * enabled and disabled; its DACL is given back after.
 */
function debugOpens(): void {
  NtQueryInformationProcess(SELF, ProcessBasicInformation, basic, SIZEOF_PROCESS_BASIC_INFORMATION, 0);
  const pid = changetype<PROCESS_BASIC_INFORMATION>(basic).UniqueProcessId;
  const previous = info + 512; // this process's DACL as it was (a descriptor with the DACL alone)
  const kept = NtQuerySecurityObject(SELF, 4, previous, 512, returned);
  line("keep this process's DACL", kept);
  line("empty this process's DACL", NtSetSecurityObject(SELF, 4, everyoneSd(0, 0, 0, 0, 0)));
  openProcess("open this process by id to query it, SeDebugPrivilege as given", pid, PROCESS_QUERY_INFORMATION);
  line("disable SeDebugPrivilege", setPrivilege(20, false));
  openProcess("open this process by id to query it without SeDebugPrivilege", pid, PROCESS_QUERY_INFORMATION);
  line("enable SeDebugPrivilege again", setPrivilege(20, true));
  openProcess("open this process by id to query it with SeDebugPrivilege", pid, PROCESS_QUERY_INFORMATION);
  if (kept == 0) line("give this process its DACL back", NtSetSecurityObject(SELF, 4, previous));
}

const SYSTEM_DONE_EVENT = "\\BaseNamedObjects\\AccProbeSystemDone";

export function main(): void {
  identify();
  if (who == "system") {
    // Left for the user's run (permanent: SYSTEM holds SeCreatePermanentPrivilege), with SYSTEM's default descriptor.
    attributesOf(SYSTEM_DEFAULT_EVENT, 0);
    changetype<OBJECT_ATTRIBUTES>(oa).Attributes = OBJ_PERMANENT | OBJ_CASE_INSENSITIVE;
    const status = NtCreateEvent(h, EVENT_ALL_ACCESS, oa, 0, 0);
    line("leave an event in \\BaseNamedObjects", status);
    if (status == 0) NtClose(load<u32>(h));
    makeSharedKey(who);
  }
  // The service starts before session 1 exists: wait (up to ten minutes) for its csrss and winlogon.
  for (let i = 0; i < 2400 && !findSystemProcesses(); i++) NtDelayExecution(0, ms(t, 250));
  line("found csrss and winlogon of session 1", findSystemProcesses() ? 0 : 0xC0000225);
  openProcess("open csrss to end it", load<u32>(found), PROCESS_TERMINATE);
  openProcess("open winlogon to end it", load<u32>(found, 4), PROCESS_TERMINATE);
  openProcess("open csrss to query it", load<u32>(found), PROCESS_QUERY_INFORMATION);
  openProcess("open csrss with MAXIMUM_ALLOWED", load<u32>(found), MAXIMUM_ALLOWED);
  store<u32>(cid, 0); store<u32>(cid, load<u32>(found, 8), 4);
  let status = NtOpenThread(h, THREAD_TERMINATE, attributesOf("", 0), cid);
  line("open csrss's thread to end it", status);
  if (status == 0) NtClose(load<u32>(h));
  // The critical flag: SeDebugPrivilege (SYSTEM has it enabled; the user has none).
  store<u32>(value, 1);
  status = NtSetInformationProcess(SELF, ProcessBreakOnTermination, value, 4);
  line("set this process critical", status);
  if (status == 0) { store<u32>(value, 0); line("and not critical again", NtSetInformationProcess(SELF, ProcessBreakOnTermination, value, 4)); }
  line("enable SeDebugPrivilege", enablePrivilege(20));
  openKey("open the SAM hive", "\\Registry\\Machine\\SAM", KEY_READ);
  openKey("open SAM's accounts", "\\Registry\\Machine\\SAM\\SAM\\Domains\\Account\\Users", KEY_READ);
  openKey("open SOFTWARE to read", "\\Registry\\Machine\\SOFTWARE", KEY_READ);
  openKey("open SOFTWARE to set values", "\\Registry\\Machine\\SOFTWARE", KEY_SET_VALUE);
  store<u32>(info, 0);
  line("create a token", NtCreateToken(h, 0xF01FF, 0, 1, info, 0, info, info, info, 0, info, 0, 0));
  store<u32>(info, load<u32>(h)); store<u32>(info, 0, 4);
  line("give this process another primary token", NtSetInformationProcess(SELF, ProcessAccessToken, info, 8));
  descriptors();
  namespace();
  securityServices();
  debugOpens();
  objects(who);
  if (who == "system") {
    // Says to the user's run that this one is through (the test stops at the user's "done"): a permanent event
    // with a NULL DACL, which the user's run waits for before its last line.
    memory.fill(sd, 0, 20); store<u8>(sd, 1); store<u16>(sd, 0x8004, 2);
    attributesOf(SYSTEM_DONE_EVENT, sd);
    changetype<OBJECT_ATTRIBUTES>(oa).Attributes = OBJ_PERMANENT | OBJ_CASE_INSENSITIVE;
    const made = NtCreateEvent(h, EVENT_ALL_ACCESS, oa, 0, 0);
    if (made == 0) NtClose(load<u32>(h));
  } else {
    let seen: u32 = 0xC0000034;
    for (let i = 0; i < 1200 && seen != 0; i++) {
      seen = NtOpenEvent(h, EVENT_QUERY_STATE, attributesOf(SYSTEM_DONE_EVENT, 0));
      if (seen == 0) NtClose(load<u32>(h)); else NtDelayExecution(0, ms(t, 250));
    }
    savedKeyOpens(who);
  }
  line("done", 0);
}
