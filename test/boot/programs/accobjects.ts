// accprobe.exe's part for the objects the kernel names for itself (issue 17):
// devices (raw partitions, the null device) and the registry's master keys.
// A user's program must not open a raw partition or the whole disk to write
// or read its sectors, nor create keys under \Registry\Machine or in
// SOFTWARE; SYSTEM can. Files on the FAT volume stay the file system's.
// Every line: "<who>: <what> <status> [granted <access>]".
import { InitializeObjectAttributes, OBJ_CASE_INSENSITIVE } from "../../../kernel/sdk/ntdef";
import { put, putHex, putDec, flush, NtClose, NtQueryObject, NtOpenThread, NtQueryInformationThread, unicode } from "./nt";
import { SIZEOF_THREAD_BASIC_INFORMATION, THREAD_BASIC_INFORMATION, ThreadBasicInformation } from "../../../kernel/sdk/procinfo";

@external("ntdll", "NtOpenFile") declare function NtOpenFile(handle: usize, access: u32, oa: usize, iosb: usize, share: u32, options: u32): u32;
@external("ntdll", "NtCreateKey") declare function NtCreateKey(handle: usize, access: u32, oa: usize, titleIndex: u32, klass: usize, options: u32,
  disposition: usize): u32;
@external("ntdll", "NtOpenKey") declare function NtOpenKey(handle: usize, access: u32, oa: usize): u32;
@external("ntdll", "NtDeleteKey") declare function NtDeleteKey(handle: u32): u32;
@external("ntdll", "NtQuerySecurityObject") declare function NtQuerySecurityObject(handle: u32, information: u32, sd: usize, length: u32, needed: usize): u32;
@external("ntdll", "NtSetSecurityObject") declare function NtSetSecurityObject(handle: u32, information: u32, sd: usize): u32;
@external("ntdll", "NtFlushKey") declare function NtFlushKey(handle: u32): u32;
@external("ntdll", "NtDeviceIoControlFile") declare function NtDeviceIoControlFile(h: u32, event: u32, apc: usize, ctx: usize, iosb: usize, code: u32,
  input: usize, inputLength: u32, output: usize, outputLength: u32): u32;

const FILE_READ_DATA: u32 = 0x1, FILE_WRITE_DATA: u32 = 0x2, FILE_READ_ATTRIBUTES: u32 = 0x80, SYNCHRONIZE: u32 = 0x100000;
const READ_CONTROL: u32 = 0x20000, WRITE_DAC: u32 = 0x40000;
const GENERIC_WRITE: u32 = 0x40000000, MAXIMUM_ALLOWED: u32 = 0x02000000, DELETE: u32 = 0x10000;
const KEY_READ: u32 = 0x20019, KEY_SET_VALUE: u32 = 0x2, KEY_CREATE_SUB_KEY: u32 = 0x4;
const REG_OPTION_VOLATILE: u32 = 1;
const SHARE_ALL: u32 = 7;

const h = memory.data(8, 4);
const iosb = memory.data(8, 4);
const oa = memory.data(24, 4);
const name = memory.data(8, 4);
const basic = memory.data(56, 4);
const sd = memory.data(512, 4);
const needed = memory.data(4, 4);
let who = "user";

function attributesOf(path: string, root: u32): usize {
  return InitializeObjectAttributes(oa, unicode(name, path), OBJ_CASE_INSENSITIVE, root, 0);
}

/** "<who>: <what> <status>" and, on success, " granted <the handle's access>"; the handle is closed unless `keep`. */
function report(what: string, status: u32, keep: bool): void {
  put(who); put(": "); put(what); put(" "); putHex(status);
  if (status == 0) {
    NtQueryObject(load<u32>(h), 0, basic, 56, 0);
    put(" granted "); putHex(load<u32>(basic, 4));
    if (!keep) NtClose(load<u32>(h));
  }
  flush();
}

function openFile(what: string, path: string, access: u32, root: u32): u32 {
  const status = NtOpenFile(h, access, attributesOf(path, root), iosb, SHARE_ALL, 0);
  report(what, status, true);
  const handle = status == 0 ? load<u32>(h) : 0;
  return handle;
}

function closeIf(handle: u32): void { if (handle != 0) NtClose(handle); }

function putSid(sid: usize): void {
  put("S-1-"); putDec(load<u8>(sid, 7));
  for (let i: u32 = 0; i < <u32>load<u8>(sid, 1); i++) { put("-"); putDec(load<u32>(sid + 8 + i * 4)); }
}

/**
 * "<who>: <what> <status>" and, on success, the descriptor's control, owner,
 * group and DACL (its ACEs' SIDs, or NULL when present without an ACL).
 */
function querySecurity(what: string, handle: u32): void {
  const status = NtQuerySecurityObject(handle, 7 /* OWNER | GROUP | DACL */, sd, 512, needed);
  put(who); put(": "); put(what); put(" "); putHex(status);
  if (status == 0) {
    put(" control "); putHex(load<u16>(sd, 2));
    put(" owner "); if (load<u32>(sd, 4) != 0) putSid(sd + load<u32>(sd, 4)); else put("none");
    put(" group "); if (load<u32>(sd, 8) != 0) putSid(sd + load<u32>(sd, 8)); else put("none");
    flush();
    put(who); put(": and its DACL ");
    const dacl = load<u32>(sd, 16);
    if ((load<u16>(sd, 2) & 4) == 0) put("none");
    else if (dacl == 0) put("NULL");
    else {
      const acl = sd + dacl;
      putDec(load<u16>(acl, 4));
      for (let i: u32 = 0, at: u32 = 8; i < <u32>load<u16>(acl, 4); i++) {
        put(" "); putSid(acl + at + 8); put("="); putHex(load<u32>(acl + at, 4)); at += <u32>load<u16>(acl + at + 2);
      }
    }
  }
  flush();
}

/** A self-relative descriptor at `sd` with an empty DACL (nobody may do anything). */
function emptyDacl(): usize {
  memory.fill(sd, 0, 64);
  store<u8>(sd, 1); store<u16>(sd, 0x8004, 2); store<u32>(sd, 20, 16);
  store<u8>(sd + 20, 2); store<u16>(sd + 20, 8, 2);
  return sd;
}

/** A file on FAT has NT's answer for a file system without security; a device open has its device's descriptor. */
function fileSecurity(): void {
  const file = openFile("open smss.exe on C: to read and change its DACL", "\\??\\C:\\Windows\\System32\\smss.exe",
    FILE_READ_DATA | SYNCHRONIZE | READ_CONTROL | WRITE_DAC, 0);
  if (file != 0) {
    querySecurity("query smss.exe's descriptor", file);
    put(who); put(": give smss.exe an empty DACL "); putHex(NtSetSecurityObject(file, 4, emptyDacl())); flush();
    querySecurity("query smss.exe's descriptor again", file);
    NtClose(file);
  }
  closeIf(openFile("open smss.exe again to read (FAT kept nothing)", "\\??\\C:\\Windows\\System32\\smss.exe", FILE_READ_DATA | SYNCHRONIZE, 0));
  const disk = openFile("open the whole disk to read its descriptor", "\\Device\\Harddisk0\\Partition0", READ_CONTROL | SYNCHRONIZE, 0);
  if (disk != 0) {
    querySecurity("query the whole disk's descriptor", disk);
    put(who); put(": give the whole disk an empty DACL through a READ_CONTROL handle "); putHex(NtSetSecurityObject(disk, 4, emptyDacl())); flush();
    NtClose(disk);
  }
}

/** Raw opens of the disk's devices: checked against each device's default descriptor. */
function devices(): void {
  closeIf(openFile("open the whole disk (Partition0) to write", "\\Device\\Harddisk0\\Partition0", FILE_WRITE_DATA | SYNCHRONIZE, 0));
  closeIf(openFile("open the system partition (Partition1) to write", "\\Device\\Harddisk0\\Partition1", FILE_WRITE_DATA | SYNCHRONIZE, 0));
  closeIf(openFile("open the system partition to read its sectors", "\\Device\\Harddisk0\\Partition1", FILE_READ_DATA | SYNCHRONIZE, 0));
  closeIf(openFile("open C: with GENERIC_WRITE", "\\??\\C:", GENERIC_WRITE | SYNCHRONIZE, 0));
  closeIf(openFile("open a name under the whole disk to write", "\\Device\\Harddisk0\\Partition0\\AccProbe", FILE_WRITE_DATA | SYNCHRONIZE, 0));
  closeIf(openFile("open the system partition with MAXIMUM_ALLOWED", "\\Device\\Harddisk0\\Partition1", MAXIMUM_ALLOWED, 0));
  const query = openFile("open the whole disk to query it", "\\Device\\Harddisk0\\Partition0", FILE_READ_ATTRIBUTES | SYNCHRONIZE, 0);
  if (query != 0) {
    // A relative open with no name through the query handle is an open of the same device: checked again.
    closeIf(openFile("open the whole disk again through the query handle to write", "", FILE_WRITE_DATA | SYNCHRONIZE, query));
    NtClose(query);
  }
  closeIf(openFile("open \\Device\\Null to write", "\\Device\\Null", FILE_WRITE_DATA | SYNCHRONIZE, 0));
  // A control code's access bits (CTL_CODE RequiredAccess) are asked of the handle: FILE_WRITE_ACCESS through a
  // query-only handle is refused before the driver hears it (the null device has no DEVICE_CONTROL: it would answer
  // STATUS_INVALID_DEVICE_REQUEST); FILE_ANY_ACCESS goes through.
  const nul = openFile("open \\Device\\Null to query it", "\\Device\\Null", FILE_READ_ATTRIBUTES | SYNCHRONIZE, 0);
  if (nul != 0) {
    put(who); put(": a FILE_WRITE_ACCESS control code through it "); putHex(NtDeviceIoControlFile(nul, 0, 0, 0, iosb, 0x0015A000, 0, 0, 0, 0)); flush();
    put(who); put(": a FILE_ANY_ACCESS control code through it "); putHex(NtDeviceIoControlFile(nul, 0, 0, 0, iosb, 0x00152000, 0, 0, 0, 0)); flush();
    NtClose(nul);
  }
  closeIf(openFile("open smss.exe on C: to read", "\\??\\C:\\Windows\\System32\\smss.exe", FILE_READ_DATA | SYNCHRONIZE, 0));
}

function createKey(what: string, path: string, options: u32): void {
  const status = NtCreateKey(h, KEY_READ | DELETE, attributesOf(path, 0), 0, 0, options, 0);
  put(who); put(": "); put(what); put(" "); putHex(status); flush();
  if (status == 0) {
    const key = load<u32>(h);
    put(who); put(": and delete it "); putHex(NtDeleteKey(key)); flush();
    NtClose(key);
  }
}

function openKey(what: string, path: string, access: u32): void {
  report(what, NtOpenKey(h, access, attributesOf(path, 0)), false);
}

/** The master keys (\Registry, MACHINE, HARDWARE) have NT's descriptor; a new key needs KEY_CREATE_SUB_KEY on its parent. */
function keys(): void {
  openKey("open \\Registry to read", "\\Registry", KEY_READ);
  openKey("open \\Registry to create keys", "\\Registry", KEY_CREATE_SUB_KEY);
  openKey("open \\Registry\\Machine\\HARDWARE to set values", "\\Registry\\Machine\\HARDWARE", KEY_SET_VALUE);
  createKey("create a volatile key under \\Registry\\Machine", "\\Registry\\Machine\\AccProbe" + who, REG_OPTION_VOLATILE);
  createKey("create a key in SOFTWARE", "\\Registry\\Machine\\SOFTWARE\\AccProbe" + who, 0);
}

/**
 * A key of the SOFTWARE hive with a descriptor of its own, flushed: the hive
 * file then has an sk cell for it besides the hive's (access.test reads the
 * disk afterwards). SYSTEM makes it; the user's run opens it.
 */
export const SAVED_KEY = "\\Registry\\Machine\\SOFTWARE\\AccProbeSaved";
function savedKey(): void {
  if (who == "system") {
    const status = NtCreateKey(h, KEY_ALL_ACCESS, InitializeObjectAttributes(oa, unicode(name, SAVED_KEY), OBJ_CASE_INSENSITIVE, 0,
      everyoneAce(KEY_QUERY_VALUE, 0)), 0, 0, 0, 0);
    put(who); put(": create a saved key Everyone may only query "); putHex(status); flush();
    if (status == 0) {
      put(who); put(": flush it "); putHex(NtFlushKey(load<u32>(h))); flush();
      NtClose(load<u32>(h));
    }
  }
}

/** Opens of the saved key (the user's run: after SYSTEM's is through). */
export function savedKeyOpens(whoami: string): void {
  who = whoami;
  report("open the saved key to query it", NtOpenKey(h, KEY_QUERY_VALUE, attributesOf(SAVED_KEY, 0)), false);
  report("open the saved key to set values", NtOpenKey(h, KEY_SET_VALUE, attributesOf(SAVED_KEY, 0)), false);
}

// ---- a thread's own descriptor ----

const THREAD_TERMINATE: u32 = 0x1, THREAD_QUERY_INFORMATION: u32 = 0x40, THREAD_ALL_ACCESS: u32 = 0x1F03FF;
const CURRENT_THREAD: u32 = 0xFFFFFFFE;
const tbi = memory.data(32, 4);
const cid = memory.data(8, 4);
const kept = memory.data(256, 4);

function openOwnThread(what: string, access: u32): void {
  store<u32>(cid, 0); store<u32>(cid, changetype<THREAD_BASIC_INFORMATION>(tbi).ClientId_UniqueThread, 4);
  report(what, NtOpenThread(h, access, InitializeObjectAttributes(oa, 0, 0, 0, 0), cid), false);
}

/**
 * NtSetSecurityObject on this thread (before: STATUS_NOT_SUPPORTED, threads had
 * only their process's): Everyone may then only query it, which the next open
 * by id is checked against (SYSTEM has SeDebugPrivilege enabled: it opens
 * whatever the DACL); the process's own descriptor does not change.
 */
function threadSecurity(): void {
  NtQueryInformationThread(CURRENT_THREAD, ThreadBasicInformation, tbi, SIZEOF_THREAD_BASIC_INFORMATION, 0);
  const saved = NtQuerySecurityObject(CURRENT_THREAD, 4, kept, 256, needed);
  put(who); put(": keep this thread's DACL "); putHex(saved); flush();
  put(who); put(": let Everyone only query this thread "); putHex(NtSetSecurityObject(CURRENT_THREAD, 4, everyoneAce(THREAD_QUERY_INFORMATION, 0))); flush();
  keyDescriptor("this thread's descriptor", CURRENT_THREAD);
  openOwnThread("open this thread by id to end it", THREAD_TERMINATE);
  openOwnThread("open this thread by id to query it", THREAD_QUERY_INFORMATION);
  keyDescriptor("this process's descriptor (unchanged)", 0xFFFFFFFF);
  if (saved == 0) { put(who); put(": give this thread its DACL back "); putHex(NtSetSecurityObject(CURRENT_THREAD, 4, kept)); flush(); }
  openOwnThread("open this thread by id to end it again", THREAD_TERMINATE);
}

export function objects(whoami: string): void {
  who = whoami;
  devices();
  fileSecurity();
  keys();
  keySecurity();
  threadSecurity();
  savedKey();
  if (who == "system") savedKeyOpens(who);
  put(who); put(": objects done 0x00000000"); flush();
}

// ---- keys' own descriptors (NtCreateKey inheritance, NtSetSecurityObject, NtQuerySecurityObject) ----

const KEY_ALL_ACCESS: u32 = 0xF003F, KEY_QUERY_VALUE: u32 = 0x1, KEY_ENUMERATE_SUB_KEYS: u32 = 0x8;
/** SYSTEM's volatile key every run may create under (Everyone KEY_ALL_ACCESS, CONTAINER_INHERIT_ACE): made at the start of SYSTEM's run. */
export const SHARED_KEY = "\\Registry\\Machine\\SOFTWARE\\AccProbeShared";

/** A self-relative descriptor at `sd`: no owner, one ACE for Everyone (`mask`, ACE flags `flags`). */
function everyoneAce(mask: u32, flags: u8): usize {
  memory.fill(sd, 0, 64);
  store<u8>(sd, 1); store<u16>(sd, 0x8004, 2); store<u32>(sd, 20, 16);
  const acl = sd + 20;
  store<u8>(acl, 2); store<u16>(acl, 28, 2); store<u16>(acl, 1, 4);
  const ace = acl + 8;
  store<u8>(ace, 0); store<u8>(ace, flags, 1); store<u16>(ace, 20, 2); store<u32>(ace, mask, 4);
  store<u8>(ace + 8, 1); store<u8>(ace + 9, 1); store<u8>(ace + 15, 1); // S-1-1-0
  return sd;
}

/** SYSTEM's run, first of all: the shared parent (volatile), left for both runs. */
export function makeSharedKey(whoami: string): void {
  who = whoami;
  const status = NtCreateKey(h, KEY_ALL_ACCESS, InitializeObjectAttributes(oa, unicode(name, SHARED_KEY), OBJ_CASE_INSENSITIVE, 0,
    everyoneAce(KEY_ALL_ACCESS, 2 /* CONTAINER_INHERIT_ACE */)), 0, 0, REG_OPTION_VOLATILE, 0);
  put(who); put(": make the shared key "); putHex(status); flush();
  if (status == 0) NtClose(load<u32>(h));
}

/** "<who>: <what> <status>" then the key's descriptor: owner, and each ACE's SID, mask and flags. */
function keyDescriptor(what: string, handle: u32): void {
  const status = NtQuerySecurityObject(handle, 5 /* OWNER | DACL */, sd, 512, needed);
  put(who); put(": "); put(what); put(" "); putHex(status);
  if (status == 0) {
    put(" owner "); if (load<u32>(sd, 4) != 0) putSid(sd + load<u32>(sd, 4)); else put("none");
    flush();
    put(who); put(": and its ACEs");
    const dacl = load<u32>(sd, 16);
    if ((load<u16>(sd, 2) & 4) == 0) put(" none");
    else if (dacl == 0) put(" NULL");
    else {
      const acl = sd + dacl;
      for (let i: u32 = 0, at: u32 = 8; i < <u32>load<u16>(acl, 4); i++) {
        put(" "); putSid(acl + at + 8); put("="); putHex(load<u32>(acl + at, 4)); put("/"); putHex(load<u8>(acl + at + 1));
        at += <u32>load<u16>(acl + at + 2);
      }
    }
  }
  flush();
}

function createSub(what: string, path: string, access: u32, descriptor: usize): u32 {
  const status = NtCreateKey(h, access, InitializeObjectAttributes(oa, unicode(name, path), OBJ_CASE_INSENSITIVE, 0, descriptor), 0, 0,
                             REG_OPTION_VOLATILE, 0);
  put(who); put(": "); put(what); put(" "); putHex(status); flush();
  return status == 0 ? load<u32>(h) : 0;
}

function keySecurity(): void {
  const base = SHARED_KEY + "\\" + who;
  const key = createSub("create a key under the shared key", base, KEY_ALL_ACCESS, 0);
  if (key == 0) return;
  keyDescriptor("its descriptor (inherited)", key);
  const child = createSub("create a subkey", base + "\\Child", KEY_READ, 0);
  if (child != 0) { keyDescriptor("the subkey's descriptor (inherited again)", child); NtClose(child); }
  put(who); put(": let Everyone only read the key and create subkeys "); putHex(NtSetSecurityObject(key, 4, everyoneAce(KEY_READ | KEY_CREATE_SUB_KEY, 2))); flush();
  keyDescriptor("its descriptor now", key);
  report("open the key to set values", NtOpenKey(h, KEY_SET_VALUE, attributesOf(base, 0)), false);
  report("open the subkey to set values (its own descriptor did not change)", NtOpenKey(h, KEY_SET_VALUE, attributesOf(base + "\\Child", 0)), false);
  const second = createSub("create a second subkey", base + "\\Second", KEY_READ, 0);
  if (second != 0) NtClose(second);
  report("open the second subkey to set values (it inherited the new DACL)", NtOpenKey(h, KEY_SET_VALUE, attributesOf(base + "\\Second", 0)), false);
  const explicit = createSub("create a subkey with a descriptor of its own (Everyone KEY_QUERY_VALUE)", base + "\\Explicit", KEY_READ,
    everyoneAce(KEY_QUERY_VALUE, 0));
  if (explicit != 0) { keyDescriptor("its descriptor", explicit); NtClose(explicit); }
  report("open it to enumerate subkeys", NtOpenKey(h, KEY_ENUMERATE_SUB_KEYS, attributesOf(base + "\\Explicit", 0)), false);
  const reader = NtOpenKey(h, KEY_READ, attributesOf(base, 0));
  if (reader == 0) {
    const r = load<u32>(h);
    put(who); put(": set the key's DACL through a KEY_READ handle "); putHex(NtSetSecurityObject(r, 4, everyoneAce(KEY_ALL_ACCESS, 2))); flush();
    NtClose(r);
  }
  put(who); put(": give the key back to Everyone "); putHex(NtSetSecurityObject(key, 4, everyoneAce(KEY_ALL_ACCESS, 2))); flush();
  report("open the key to set values again", NtOpenKey(h, KEY_SET_VALUE, attributesOf(base, 0)), false);
  NtClose(key);
}
