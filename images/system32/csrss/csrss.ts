// csrss.exe, the Client/Server Runtime Subsystem: the Windows subsystem's
// server process, one per session, started by smss with the registry's
// `Windows` value as its whole command line:
//
//   %SystemRoot%\system32\csrss.exe ObjectDirectory=\Windows SharedSection=1024,3072,512
//     Windows=On SubSystemType=Windows ServerDll=basesrv,1
//     ServerDll=winsrv:UserServerDllInitialization,3 ProfileControl=Off MaxRequestThreads=16
//
// This file is its start, in NT's order (CsrServerInitialization):
//   1. the command line (CsrParseServerCommandLine): each `Name=Value`; a
//      part it does not know, or a bad value, is one log line and skipped;
//   2. the object directory, open-if (the kernel may have made
//      \Sessions\<n>\Windows), and in session n > 0 ObjectDirectory becomes
//      \Sessions\<n>\Windows;
//   3. <dir>\ApiPort and the thread that serves it (csrapi.ts): clients of
//      ntdll's CsrClientConnectToServer, the CSR and base server APIs, and
//      the kernel's hard errors;
//   4. <dir>\SbApiPort and its thread (csrsb.ts): smss's SB API;
//   5. the connection to \SmApiPort as the Windows subsystem (smss
//      connects back to SbApiPort meanwhile);
//   6. the default hard error port of its session (NtSetDefaultHardErrorPort);
// then it stays up: the threads serve, the first thread waits. Before the
// ports, the shared section (SharedSection='s first size, in KB): the static
// server data clients find through PEB.ReadOnlyStaticServerData
// (kernel/sdk/csr.ts has its layout); csrapi.ts maps it into each client.
//
// Threads (audited 2026-12-07; preempted anywhere):
//   main      this file: the steps above, then it waits; its own buffers
//             (line, handle, oa, name, sbInfo, ...)
//   ApiPort   csrapi.ts CsrApiLoop and winsrv.ts (called only from it): their
//             own line buffers and message, the client table, the base
//             process table
//   SbApiPort csrsb.ts CsrSbApiLoop: its own line, message and process table
// What threads share is written before the port threads start and read-only
// after (the command line's values, CsrApiPortHandle, CsrSbApiPortHandle,
// CsrSessionId, the shared section). Log lines go through csrutil.ts's put
// into the caller's own buffer. The AssemblyScript heap is thread-safe
// (scripts/asrt/stub.ts); ntdll's heap has its critical section.

import {
  NtCreateDirectoryObject, NtCreatePort, NtConnectPort, NtDelayExecution, NtSetDefaultHardErrorPort, NtQueryInformationProcess,
  RtlGetCurrentPeb, RtlCreateUserThread, RtlAdjustPrivilege, func_address, NtClose, NtTerminateProcess, NtCurrentProcess, STATUS_SUCCESS,
  NtCreateSection, NtMapViewOfSection, SECTION_ALL_ACCESS,
  OBJ_CASE_INSENSITIVE, OBJ_OPENIF, OBJ_PERMANENT, DIRECTORY_ALL_ACCESS, STATUS_OBJECT_NAME_EXISTS, CsrpAttributes, CsrpCounted,
  put, putDec, putHex, putWide, flush, CSR_LINE_BYTES,
} from "./csrutil";
import { CsrApiLoop, CsrApiInitialize } from "./csrapi";
import { WorldSecurityDescriptorAt } from "../native/security";
import { CsrSbApiLoop } from "./csrsb";
import {
  SIZEOF_CSR_API_CONNECTINFO, SIZEOF_CSR_API_MESSAGE, CSR_SHARED_STATIC_SERVER_DATA, CSR_SHARED_SESSION_ID, CSR_SHARED_SERVER_PROCESS_ID,
  CSR_SHARED_SIZE_KB, CSR_SHARED_BASE_STATIC_DATA, BASE_STATIC_WINDOWS_DIRECTORY, BASE_STATIC_WINDOWS_SYSTEM_DIRECTORY,
  BASE_STATIC_NAMED_OBJECT_DIRECTORY, CSR_SHARED_TEXT, BASESRV_SERVERDLL_INDEX,
} from "../../../kernel/sdk/csr";
import { InitializeCountedString, OBJECT_ATTRIBUTES, PAGE_READWRITE, SEC_COMMIT } from "../../../kernel/sdk/ntdef";
import { SIZEOF_SB_CONNECTION_INFO, SIZEOF_SB_API_MSG, SB_CONNECTION_INFO_SUBSYSTEM_TYPE, SB_CONNECTION_INFO_PORT_NAME, SB_CONNECTION_INFO_PORT_NAME_CHARS } from "../../../kernel/sdk/sm";
import { PEB, RTL_USER_PROCESS_PARAMETERS } from "../../../kernel/sdk/peb";
import { STATUS_UNSUCCESSFUL } from "../../../kernel/sdk/ntstatus";
import { ProcessBasicInformation, PROCESS_BASIC_INFORMATION, SIZEOF_PROCESS_BASIC_INFORMATION } from "../../../kernel/sdk/procinfo";
import { InitializeSecurityQualityOfService, SECURITY_DYNAMIC_TRACKING, SecurityImpersonation } from "../../../kernel/sdk/lpc";

const IMAGE_SUBSYSTEM_WINDOWS_GUI: u32 = 2;
const SE_TCB_PRIVILEGE: u32 = 7;
const forever = memory.data<u64>([0x8000000000000000]);
const line = memory.data(CSR_LINE_BYTES, 4);

// ---- what the command line says (read by the other files) ----
/** ObjectDirectory=, WCHARs and count (after the session rewrite). */
export const CsrObjectDirectory = memory.data(256, 2);
export let CsrObjectDirectoryLength: u32 = 0;
export let CsrSessionId: u32 = 0;
export let CsrSharedSection0: u32 = 0, CsrSharedSection1: u32 = 0, CsrSharedSection2: u32 = 0;
export let CsrWindowsOn: bool = false;
export let CsrMaxRequestThreads: u32 = 16;
export let CsrProfileControl: bool = false;
/** ServerDll= entries: name and index; the index is the ServerId clients name. */
export const CsrServerDllNames: string[] = [];
export const CsrServerDllIndexes: u32[] = [];
export let CsrProcessId: u32 = 0;
export let CsrApiPortHandle: u32 = 0;
export let CsrSbApiPortHandle: u32 = 0;
/** The shared section (0 when SharedSection= gave none or it could not be made), csrss's view of it, its size in bytes. */
export let CsrSharedSection: u32 = 0;
export let CsrSharedSectionBase: usize = 0;
export let CsrSharedSectionSize: u32 = 0;

function log(text: string): void { put(line, text); flush(line); }

/** A decimal number, or -1. */
function decimal(s: string): i64 {
  if (s.length == 0 || s.length > 9) return -1;
  let v: i64 = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
  }
  return v;
}

function lower(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) { const c = s.charCodeAt(i); out += String.fromCharCode(c >= 65 && c <= 90 ? c + 32 : c, -1); }
  return out;
}

function setObjectDirectory(value: string): void {
  const n = value.length < 120 ? value.length : 120;
  for (let i = 0; i < n; i++) store<u16>(CsrObjectDirectory + (i << 1), <u16>value.charCodeAt(i));
  CsrObjectDirectoryLength = n;
}

/** One `Name=Value` part; false (and a log line) for what csrss does not take. */
function CsrpParsePart(part: string): bool {
  const eq = part.indexOf("=");
  if (eq <= 0) { log("command line: \"" + part + "\" is not Name=Value - skipped"); return false; }
  const name = lower(part.substring(0, eq));
  const value = part.substring(eq + 1, part.length);
  if (name == "objectdirectory") {
    if (value.length == 0 || value.charCodeAt(0) != 0x5C) { log("command line: ObjectDirectory \"" + value + "\" is not an absolute name - skipped"); return false; }
    setObjectDirectory(value);
  } else if (name == "sharedsection") {
    const sizes = value.split(",", i32.MAX_VALUE);
    const a = sizes.length > 0 ? decimal(sizes[0]) : -1, b = sizes.length > 1 ? decimal(sizes[1]) : 0, c = sizes.length > 2 ? decimal(sizes[2]) : 0;
    if (a <= 0 || b < 0 || c < 0 || sizes.length > 3) { log("command line: SharedSection \"" + value + "\" is not size[,size[,size]] in KB - skipped"); return false; }
    CsrSharedSection0 = <u32>a; CsrSharedSection1 = <u32>b; CsrSharedSection2 = <u32>c;
  } else if (name == "windows") {
    const v = lower(value);
    if (v != "on" && v != "off") { log("command line: Windows \"" + value + "\" is not On or Off - skipped"); return false; }
    CsrWindowsOn = v == "on";
  } else if (name == "subsystemtype") {
    if (lower(value) != "windows") { log("command line: SubSystemType \"" + value + "\" is not Windows - skipped"); return false; }
  } else if (name == "serverdll") {
    // name[:InitRoutine],index
    const comma = value.lastIndexOf(",");
    const index = comma > 0 ? decimal(value.substring(comma + 1, value.length)) : -1;
    if (index < 0 || index > 3) { log("command line: ServerDll \"" + value + "\" has no server index 0-3 - skipped"); return false; }
    const colon = value.indexOf(":");
    CsrServerDllNames.push(value.substring(0, colon > 0 && colon < comma ? colon : comma));
    CsrServerDllIndexes.push(<u32>index);
  } else if (name == "profilecontrol") {
    const v = lower(value);
    if (v != "on" && v != "off") { log("command line: ProfileControl \"" + value + "\" is not On or Off - skipped"); return false; }
    CsrProfileControl = v == "on";
  } else if (name == "maxrequestthreads") {
    const n = decimal(value);
    if (n <= 0 || n > 256) { log("command line: MaxRequestThreads \"" + value + "\" is not 1-256 - skipped"); return false; }
    CsrMaxRequestThreads = <u32>n;
  } else {
    log("command line: unknown part \"" + part + "\" - skipped");
    return false;
  }
  return true;
}

/** Step 1: the command line, after the image name. */
function CsrpParseCommandLine(): void {
  const peb = changetype<PEB>(RtlGetCurrentPeb());
  CsrSessionId = peb.SessionId;
  const params = changetype<RTL_USER_PROCESS_PARAMETERS>(peb.ProcessParameters);
  const chars = <i32>(params.CommandLine_Length >>> 1);
  let text = "";
  for (let i = 0; i < chars; i++) text += String.fromCharCode(load<u16>(params.CommandLine_Buffer + (i << 1)), -1);
  setObjectDirectory("\\Windows");
  let taken = 0, skipped = 0;
  const parts = text.split(" ", i32.MAX_VALUE);
  let first = true;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (part.length == 0) continue;
    if (first) { first = false; continue; } // the image's name
    if (CsrpParsePart(part)) taken++; else skipped++;
  }
  // Session n > 0 has its own directory, whatever the value says (NT's CsrCreateSessionObjectDirectory).
  if (CsrSessionId != 0) setObjectDirectory("\\Sessions\\" + CsrSessionId.toString() + "\\Windows");
  let dlls = "";
  for (let i = 0; i < CsrServerDllNames.length; i++) dlls += (i != 0 ? ", " : "") + CsrServerDllNames[i] + " (" + CsrServerDllIndexes[i].toString() + ")";
  log("session " + CsrSessionId.toString() + ": command line: " + taken.toString() + " parts taken, " + skipped.toString() + " skipped: ObjectDirectory="
    + String.UTF16.decodeUnsafe(CsrObjectDirectory, CsrObjectDirectoryLength << 1) + " SharedSection=" + CsrSharedSection0.toString() + ","
    + CsrSharedSection1.toString() + "," + CsrSharedSection2.toString() + " Windows=" + (CsrWindowsOn ? "On" : "Off")
    + " ServerDll=" + (dlls.length != 0 ? dlls : "none") + " ProfileControl=" + (CsrProfileControl ? "On" : "Off")
    + " MaxRequestThreads=" + CsrMaxRequestThreads.toString());
}

/** A counted string for <ObjectDirectory><suffix>, in `text` (WCHARs) and `at`. */
function CsrpName(at: usize, text: usize, suffix: string): usize {
  memory.copy(text, CsrObjectDirectory, CsrObjectDirectoryLength << 1);
  for (let i = 0; i < suffix.length; i++) store<u16>(text + ((CsrObjectDirectoryLength + i) << 1), <u16>suffix.charCodeAt(i));
  store<u16>(text + ((CsrObjectDirectoryLength + suffix.length) << 1), 0);
  return CsrpCounted(at, text, CsrObjectDirectoryLength + suffix.length);
}

const handle = memory.data(8, 4);
const oa = memory.data(24, 4);
const nameText = memory.data(300, 2);
const name = memory.data(8, 4);
export const CsrSbApiPortName = memory.data(SB_CONNECTION_INFO_PORT_NAME_CHARS * 2, 2);
export let CsrSbApiPortNameLength: u32 = 0;

function failed(call: string, status: u32, about: string): void {
  put(line, call); put(line, " failed - Status == "); putHex(line, status); put(line, " ("); put(line, about); put(line, ")"); flush(line);
}

/** Starts `routine` in a thread of csrss (the thread handle is closed). */
function CsrpStartThread(routine: (p: usize) => void): u32 {
  // The indirect call keeps the routine in the function table func_address reads.
  if (load<u32>(handle, 4) == 0x12345678) routine(0);
  const status = RtlCreateUserThread(NtCurrentProcess, 0, false, 0, 0, 0, func_address(load<u32>(changetype<usize>(routine))), 0, handle, 0);
  if (status == STATUS_SUCCESS) NtClose(load<u32>(handle));
  return status;
}

/** \ApiPort's descriptor (native/security.ts). */
const apiPortSecurity = memory.data(92, 4);

/** Steps 2-4: the directory, the two ports and their threads. */
function CsrpCreatePorts(): bool {
  let status = NtCreateDirectoryObject(handle, DIRECTORY_ALL_ACCESS,
    CsrpAttributes(oa, CsrpCounted(name, CsrObjectDirectory, CsrObjectDirectoryLength), OBJ_CASE_INSENSITIVE | OBJ_OPENIF | OBJ_PERMANENT));
  const opened = status == STATUS_OBJECT_NAME_EXISTS; // made before (smss, or the kernel for a session)
  if (status != STATUS_SUCCESS && !opened) { failed("NtCreateDirectoryObject", status, "ObjectDirectory"); return false; }
  NtClose(load<u32>(handle));
  // Every process of the session connects to \ApiPort, whoever runs it: Everyone gets PORT_CONNECT (and READ_CONTROL).
  CsrpAttributes(oa, CsrpName(name, nameText, "\\ApiPort"), OBJ_CASE_INSENSITIVE);
  changetype<OBJECT_ATTRIBUTES>(oa).SecurityDescriptor = WorldSecurityDescriptorAt(apiPortSecurity, 0x00020001);
  status = NtCreatePort(handle, oa, SIZEOF_CSR_API_CONNECTINFO, SIZEOF_CSR_API_MESSAGE, 16 * 4096);
  if (status != STATUS_SUCCESS) { failed("NtCreatePort", status, "ApiPort"); return false; }
  CsrApiPortHandle = load<u32>(handle);
  CsrApiInitialize();
  status = CsrpStartThread(CsrApiLoop);
  if (status != STATUS_SUCCESS) { failed("RtlCreateUserThread", status, "ApiPort thread"); return false; }
  const sbName = CsrpName(name, nameText, "\\SbApiPort");
  CsrSbApiPortNameLength = load<u16>(sbName) >>> 1;
  memory.copy(CsrSbApiPortName, nameText, CsrSbApiPortNameLength << 1);
  status = NtCreatePort(handle, CsrpAttributes(oa, sbName, OBJ_CASE_INSENSITIVE), SIZEOF_SB_CONNECTION_INFO, SIZEOF_SB_API_MSG, 32 * SIZEOF_SB_API_MSG);
  if (status != STATUS_SUCCESS) { failed("NtCreatePort", status, "SbApiPort"); return false; }
  CsrSbApiPortHandle = load<u32>(handle);
  status = CsrpStartThread(CsrSbApiLoop);
  if (status != STATUS_SUCCESS) { failed("RtlCreateUserThread", status, "SbApiPort thread"); return false; }
  put(line, "session "); putDec(line, CsrSessionId); put(line, ": ApiPort "); putWide(line, CsrObjectDirectory, CsrObjectDirectoryLength);
  put(line, "\\ApiPort ready, SbApiPort "); putWide(line, CsrSbApiPortName, CsrSbApiPortNameLength);
  put(line, opened ? " (the directory existed)" : " (the directory made)"); flush(line);
  return true;
}

const sbInfo = memory.data(SIZEOF_SB_CONNECTION_INFO, 4);
const sbInfoLength = memory.data(4, 4);
const qos = memory.data(12, 4);
const smName = memory.data(8, 4);

/** Step 5: csrss connects to \SmApiPort as the Windows subsystem, naming its SbApiPort. */
function CsrpConnectToSm(): void {
  memory.fill(sbInfo, 0, SIZEOF_SB_CONNECTION_INFO);
  store<u32>(sbInfo + SB_CONNECTION_INFO_SUBSYSTEM_TYPE, IMAGE_SUBSYSTEM_WINDOWS_GUI);
  memory.copy(sbInfo + SB_CONNECTION_INFO_PORT_NAME, CsrSbApiPortName, CsrSbApiPortNameLength << 1);
  store<u32>(sbInfoLength, SIZEOF_SB_CONNECTION_INFO);
  InitializeSecurityQualityOfService(qos, SecurityImpersonation, SECURITY_DYNAMIC_TRACKING, true);
  const text = "\\SmApiPort";
  for (let i = 0; i < text.length; i++) store<u16>(nameText + (i << 1), <u16>text.charCodeAt(i));
  const status = NtConnectPort(handle, CsrpCounted(smName, nameText, text.length), qos, 0, 0, 0, sbInfo, sbInfoLength);
  put(line, "session "); putDec(line, CsrSessionId); put(line, ": connected to \\SmApiPort as the Windows subsystem (SbApiPort ");
  putWide(line, CsrSbApiPortName, CsrSbApiPortNameLength); put(line, "): "); putHex(line, status); flush(line);
  // The connection stays open: smss sees csrss's end through it.
}

/** Step 6: the session's default hard error port is csrss's ApiPort. */
function CsrpSetHardErrorPort(): void {
  const enabled = memory.data(4, 4);
  RtlAdjustPrivilege(SE_TCB_PRIVILEGE, true, false, enabled);
  const status = NtSetDefaultHardErrorPort(CsrApiPortHandle);
  put(line, "session "); putDec(line, CsrSessionId); put(line, ": default hard error port: "); putHex(line, status); flush(line);
}

/** Appends a counted string (Length, MaximumLength, offset) to the shared section: `text` at `*next`. */
function CsrpSharedString(field: usize, text: string, next: usize): void {
  const at = load<u32>(next);
  for (let i = 0; i < text.length; i++) store<u16>(CsrSharedSectionBase + at + (i << 1), <u16>text.charCodeAt(i));
  store<u16>(CsrSharedSectionBase + at + (text.length << 1), 0);
  InitializeCountedString(field, at, text.length << 1, (text.length + 1) << 1);
  store<u32>(next, (at + ((text.length + 1) << 1) + 3) & ~3);
}

/**
 * The shared section (NT's CsrSrvCreateSharedSection): SharedSection's first
 * size, committed, mapped here; the base server's static data written into
 * it (the Windows directory from SharedUserData.NtSystemRoot, the session's
 * named object directory). Without a size (or when it cannot be made) csrss
 * runs without one: clients then see no shared memory.
 */
function CsrpCreateSharedSection(): void {
  if (CsrSharedSection0 == 0) return;
  const size = memory.data(8, 8), base = memory.data(4, 4), viewSize = memory.data(4, 4);
  store<u64>(size, <u64>CsrSharedSection0 << 10);
  let status = NtCreateSection(handle, SECTION_ALL_ACCESS, 0, size, PAGE_READWRITE, SEC_COMMIT, 0);
  if (status == STATUS_SUCCESS) {
    CsrSharedSection = load<u32>(handle);
    store<u32>(base, 0); store<u32>(viewSize, 0);
    status = NtMapViewOfSection(CsrSharedSection, NtCurrentProcess, base, 0, 0, 0, viewSize, 2 /* ViewUnmap */, 0, PAGE_READWRITE);
    if (status != STATUS_SUCCESS) { NtClose(CsrSharedSection); CsrSharedSection = 0; }
  }
  if (status != STATUS_SUCCESS) { failed("NtCreateSection", status, "SharedSection"); return; }
  CsrSharedSectionBase = load<usize>(base);
  CsrSharedSectionSize = load<u32>(viewSize);
  const s = CsrSharedSectionBase;
  store<u32>(s + CSR_SHARED_SESSION_ID, CsrSessionId);
  store<u32>(s + CSR_SHARED_SERVER_PROCESS_ID, CsrProcessId);
  store<u32>(s + CSR_SHARED_SIZE_KB, CsrSharedSection0);
  // The base server's static data, its texts after it.
  let root = "";
  for (let i = 0; i < 259; i++) { const c = load<u16>(0x7FFE0030 + (i << 1)); if (c == 0) break; root += String.fromCharCode(c, -1); }
  const next = memory.data(4, 4);
  store<u32>(next, CSR_SHARED_TEXT);
  const data = s + CSR_SHARED_BASE_STATIC_DATA;
  CsrpSharedString(data + BASE_STATIC_WINDOWS_DIRECTORY, root, next);
  CsrpSharedString(data + BASE_STATIC_WINDOWS_SYSTEM_DIRECTORY, root + "\\system32", next);
  CsrpSharedString(data + BASE_STATIC_NAMED_OBJECT_DIRECTORY, CsrSessionId == 0 ? "\\BaseNamedObjects" : "\\Sessions\\" + CsrSessionId.toString() + "\\BaseNamedObjects", next);
  store<u32>(s + CSR_SHARED_STATIC_SERVER_DATA + (BASESRV_SERVERDLL_INDEX << 2), CSR_SHARED_BASE_STATIC_DATA);
  put(line, "session "); putDec(line, CsrSessionId); put(line, ": shared section of "); putDec(line, CsrSharedSection0); put(line, " KB at ");
  putHex(line, <u32>CsrSharedSectionBase); put(line, ", Windows directory "); put(line, root); flush(line);
}

export function main(): void {
  const basic = memory.data(<i32>offsetof<PROCESS_BASIC_INFORMATION>(), 4);
  NtQueryInformationProcess(NtCurrentProcess, ProcessBasicInformation, basic, SIZEOF_PROCESS_BASIC_INFORMATION, 0);
  CsrProcessId = changetype<PROCESS_BASIC_INFORMATION>(basic).UniqueProcessId;
  CsrpParseCommandLine();                     // 1. ObjectDirectory=, SharedSection=, ServerDll=, ...
  CsrpCreateSharedSection();                  //    the shared section and the base server's static data
  if (!CsrpCreatePorts()) NtTerminateProcess(NtCurrentProcess, STATUS_UNSUCCESSFUL); // 2-4. the directory, ApiPort, SbApiPort, their threads
  CsrpConnectToSm();                          // 5. \SmApiPort, as the Windows subsystem
  CsrpSetHardErrorPort();                     // 6. hard errors of the session come here
  while (true) NtDelayExecution(0, forever);
}
