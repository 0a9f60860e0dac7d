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
import { InitializeObjectAttributes, OBJ_CASE_INSENSITIVE } from "../../../kernel/sdk/ntdef";
import { show, put, putHex, putDec, flush, NtClose, NtOpenProcess, NtQuerySystemInformation, NtSetInformationProcess, NtDelayExecution,
  NtCreateEvent, NtOpenEvent, NtQueryObject, ms, unicode } from "./nt";
import { SYSTEM_PROCESS_INFORMATION, SYSTEM_THREAD_INFORMATION, SystemProcessInformation } from "../../../kernel/sdk/sysinfo";
import { ProcessBreakOnTermination } from "../../../kernel/sdk/procinfo";
import { ProcessAccessToken } from "../../../kernel/sdk/security";

@external("ntdll", "NtOpenProcessToken") declare function NtOpenProcessToken(process: u32, access: u32, token: usize): u32;
@external("ntdll", "NtQueryInformationToken") declare function NtQueryInformationToken(token: u32, cls: u32, buffer: usize, length: u32, returned: usize): u32;
@external("ntdll", "NtCreateToken") declare function NtCreateToken(handle: usize, access: u32, oa: usize, type: u32, luid: usize, expiration: usize,
  user: usize, groups: usize, privileges: usize, owner: usize, group: usize, dacl: usize, source: usize): u32;
@external("ntdll", "NtOpenThread") declare function NtOpenThread(handle: usize, access: u32, oa: usize, clientId: usize): u32;
@external("ntdll", "NtOpenKey") declare function NtOpenKey(handle: usize, access: u32, oa: usize): u32;
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

/** Objects with descriptors of their own: each create keeps its handle open (the name stays) until the end. */
function descriptors(): void {
  const base = who == "system" ? "\\AccProbeSystem" : "\\AccProbeUser";
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
  NtClose(q); NtClose(d); NtClose(e); NtClose(n);
}

export function main(): void {
  identify();
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
  line("done", 0);
}
