// Single fetch in the memory, section, file, LPC and paging-file services
// (issue 17): every in/out value and buffer of each service is on one page
// that a second thread decommits and commits again, over and over, while
// this thread calls the service in a loop. The kernel reads each value once
// and writes through its guarded copies, so every call answers SUCCESS,
// STATUS_ACCESS_VIOLATION or the service's own error for what it read (a
// freshly committed page is zeros); a kernel that touched the page after
// its probe stopped the machine (STOP 0x50).
//
// Inputs go onto the racing page through NtWriteVirtualMemory (a store from
// ring 3 would fault when the page is gone) and outputs are read back with
// NtReadVirtualMemory. A third thread serves an LPC port: it accepts
// connections, answers requests and sends a datagram back for each one it
// receives, so the client's receives copy messages onto the racing page too.
//
// Lines: "<service> calls N success N access violation N other N switches N",
// then "<service> other 0x........" for each other status seen (at most 4),
// then "the kernel is still running".
import { spawnThread as spawn, threadReturned } from "./nt";
import { show, say, put, putHex, putDec, flush, NtAllocateVirtualMemory, NtFreeVirtualMemory, NtProtectVirtualMemory,
  NtQueryVirtualMemory, NtReadVirtualMemory, NtWriteVirtualMemory, NtSuspendThread, NtClose, NtCreateSection, NtMapViewOfSection,
  NtUnmapViewOfSection, attributes, unicode } from "./nt";
import {
  NtCreatePort, NtConnectPort, NtAcceptConnectPort, NtCompleteConnectPort, NtRequestPort, NtRequestWaitReplyPort, NtReplyPort,
  NtReplyWaitReceivePortEx, NtQueryInformationPort, header, msgType, qos,
} from "./lpcnt";
@external("ntdll", "NtCreateFile") declare function NtCreateFile(h: usize, access: u32, oa: usize, iosb: usize, alloc: usize, attrs: u32, share: u32, disposition: u32, options: u32, ea: usize, eaLength: u32): u32;
@external("ntdll", "NtOpenFile") declare function NtOpenFile(h: usize, access: u32, oa: usize, iosb: usize, share: u32, options: u32): u32;
@external("ntdll", "NtWriteFile") declare function NtWriteFile(h: u32, event: u32, apc: usize, ctx: usize, iosb: usize, buffer: usize, length: u32, offset: usize, key: usize): u32;
@external("ntdll", "NtQueryInformationFile") declare function NtQueryInformationFile(h: u32, iosb: usize, info: usize, length: u32, cls: u32): u32;
@external("ntdll", "NtSetInformationFile") declare function NtSetInformationFile(h: u32, iosb: usize, info: usize, length: u32, cls: u32): u32;
@external("ntdll", "NtQueryDirectoryFile") declare function NtQueryDirectoryFile(h: u32, event: u32, apc: usize, ctx: usize, iosb: usize, info: usize, length: u32, cls: u32, single: u32, name: usize, restart: u32): u32;
@external("ntdll", "NtQueryVolumeInformationFile") declare function NtQueryVolumeInformationFile(h: u32, iosb: usize, info: usize, length: u32, cls: u32): u32;
@external("ntdll", "NtQueryAttributesFile") declare function NtQueryAttributesFile(oa: usize, info: usize): u32;
@external("ntdll", "NtQuerySection") declare function NtQuerySection(h: u32, cls: u32, info: usize, length: u32, result: usize): u32;
@external("ntdll", "NtCreatePagingFile") declare function NtCreatePagingFile(name: usize, minimum: usize, maximum: usize, priority: u32): u32;
@external("ntdll", "NtSetSystemInformation") declare function NtSetSystemInformation(infoClass: u32, buffer: usize, length: u32): u32;
@external("ntdll", "NtOpenProcessToken") declare function NtOpenProcessToken(process: u32, access: u32, token: usize): u32;
@external("ntdll", "NtAdjustPrivilegesToken") declare function NtAdjustPrivilegesToken(token: u32, disableAll: u32, newState: usize, length: u32, previous: usize, returnLength: usize): u32;
import { NtUserConsoleWrite, NtUserGetActiveSession, NtUserReadKey } from "../../../kernel/sdk/ntuser";
import {
  FileBothDirectoryInformation, FileDirectoryInformation, FileFsDeviceInformation, FileFsSizeInformation,
  FilePositionInformation, FileStandardInformation, FileAccessInformation,
} from "../../../kernel/sdk/fileinfo";
import { SystemExtendServiceTableInformation } from "../../../kernel/sdk/sysinfo";
import { InitializeCountedString, SIZEOF_MEMORY_BASIC_INFORMATION } from "../../../kernel/sdk/ntdef";
import { InitializeSecurityQualityOfService, SECURITY_STATIC_TRACKING, SecurityImpersonation } from "../../../kernel/sdk/lpc";

const SELF: u32 = 0xFFFFFFFF;
const MEM_COMMIT: u32 = 0x1000, MEM_RESERVE: u32 = 0x2000, MEM_DECOMMIT: u32 = 0x4000, MEM_RELEASE: u32 = 0x8000;
const PAGE_READWRITE: u32 = 0x04;
const SIZE: u32 = 0x10000;
const cell = memory.data(64, 8);
const flip = memory.data(16, 4);       // the toggling thread's own cells
const serverCells = memory.data(16, 4); // the server thread's own cells
const poked = memory.data(64, 8);      // what poke writes from
const peeked = memory.data(8, 8);      // what peek reads into
const iosb = memory.data(8, 4);
const receive = memory.data(0x200, 8); // the server's receive buffer
const answer = memory.data(0x200, 8);  // the server's replies and datagrams
const request = memory.data(0x200, 8); // a good request (for the set-up)
const pfName = memory.data(8, 4);
const portName = memory.data(8, 4);
const zeroTimeout = memory.data(8, 8);
let region: usize = 0;    // 64 KiB; its second page races
let P: usize = 0;         // the racing page
let spare: usize = 0;     // a reserved 64 KiB region whose first page is committed and decommitted
let stop = false;
let toggles: u32 = 0;
let section: u32 = 0, file: u32 = 0, dir: u32 = 0, client: u32 = 0, serverPort: u32 = 0, firstComm: u32 = 0, lastComm: u32 = 0;

/** Commits or decommits one page (the calling thread's `cells`). */
function pageOp(cells: usize, at: usize, commit: bool): u32 {
  store<u32>(cells, <u32>at); store<u32>(cells, 4096, 4);
  return commit ? NtAllocateVirtualMemory(SELF, cells, 0, cells + 4, MEM_COMMIT, PAGE_READWRITE)
                : NtFreeVirtualMemory(SELF, cells, cells + 4, MEM_DECOMMIT);
}

/** The second thread: the racing page goes and comes back (zero-filled), over and over. */
function toggler(p: u32): void {
  while (!stop) {
    pageOp(flip, P, false);
    pageOp(flip, P, true);
    toggles++;
  }
}

/** The third thread: the port's server. */
function server(p: u32): void {
  while (!stop) {
    const s = NtReplyWaitReceivePortEx(serverPort, 0, 0, receive, 0);
    if (s != 0) continue;
    const type = msgType(receive) & 0xFF;
    if (type == 10) { // LPC_CONNECTION_REQUEST
      if (NtAcceptConnectPort(serverCells, 0, receive, 1, 0, 0) == 0) {
        const comm = load<u32>(serverCells);
        NtCompleteConnectPort(comm);
        // The racing connects' ports go one connection later (closed at once, the client could wake to a closed port).
        if (firstComm == 0) firstComm = comm; else { if (lastComm != 0) NtClose(lastComm); lastComm = comm; }
      }
    } else if (type == 1) { // LPC_REQUEST: answer it, through the connection port
      memory.copy(answer, receive, 24 + 8);
      store<u16>(answer, 8); store<u16>(answer, 32, 2); store<u16>(answer, 0, 4);
      store<u32>(answer + 24, 0x600D);
      NtReplyPort(serverPort, answer);
    } else if (type == 3 && firstComm != 0) { // LPC_DATAGRAM: one back to the client, for its receives
      header(answer, 8, 0xFFFFFFFF);
      store<u32>(answer + 24, 0xDA7A);
      NtRequestPort(firstComm, answer);
    }
  }
}

/** Puts `bytes` bytes from `poked` at `at` (on the racing page: it may be gone, then nothing). */
function pokeBytes(at: usize, bytes: u32): void { NtWriteVirtualMemory(SELF, at, poked, bytes, 0); }
function poke(at: usize, value: u32): void { store<u32>(poked, value); pokeBytes(at, 4); }
function poke64(at: usize, value: u64): void { store<u64>(poked, value); pokeBytes(at, 8); }
/** A ULONG from the racing page; 0 when it is gone. */
function peek(at: usize): u32 {
  store<u32>(peeked, 0);
  NtReadVirtualMemory(SELF, at, peeked, 4, 0);
  return load<u32>(peeked);
}
function closeIf(status: u32, at: usize): void {
  if (status != 0) return;
  const h = peek(at);
  if (h != 0) NtClose(h);
}

// ---- the services, each one call with its values on the racing page ----

function allocate(i: u32): u32 { poke(P, <u32>spare); poke(P + 4, 4096); return NtAllocateVirtualMemory(SELF, P, 0, P + 4, MEM_COMMIT, PAGE_READWRITE); }
function free(i: u32): u32 { poke(P, <u32>spare); poke(P + 4, 4096); return NtFreeVirtualMemory(SELF, P, P + 4, MEM_DECOMMIT); }
function protect(i: u32): u32 { poke(P, <u32>region); poke(P + 4, 4096); return NtProtectVirtualMemory(SELF, P, P + 4, PAGE_READWRITE, P + 8); }
function queryMemory(i: u32): u32 { return NtQueryVirtualMemory(SELF, region + (i & 1) * 4096, 0, P + 16, SIZEOF_MEMORY_BASIC_INFORMATION, P + 12); }
function createSection(i: u32): u32 {
  // The maximum size on the racing page (the handle is written by Ex's ExpCreate, raced in fetchrace).
  poke64(P, SIZE);
  const s = NtCreateSection(cell + 48, 0xF001F, 0, P, PAGE_READWRITE, 0x8000000 /* SEC_COMMIT */, 0);
  if (s == 0) NtClose(load<u32>(cell, 48));
  return s;
}
function mapView(i: u32): u32 {
  poke(P, 0); poke(P + 4, 0); poke64(P + 8, 0);
  const s = NtMapViewOfSection(section, SELF, P, 0, 0, P + 8, P + 4, 2 /* ViewUnmap */, 0, PAGE_READWRITE);
  if (s == 0) { const base = peek(P); if (base != 0) NtUnmapViewOfSection(SELF, base); }
  return s;
}
function querySection(i: u32): u32 { return NtQuerySection(section, 0 /* SectionBasicInformation */, P + 16, 16, P + 12); }
function createFile(i: u32): u32 {
  const s = NtCreateFile(P, 0x80100000 /* GENERIC_READ | SYNCHRONIZE */, attributes("\\??\\C:\\copyrace.txt", 0x40), P + 8, P + 24, 0x80, 7, 1 /* FILE_OPEN */, 0x60, 0, 0);
  closeIf(s, P);
  return s;
}
function openFile(i: u32): u32 {
  const s = NtOpenFile(P, 0x00100001 /* FILE_READ_DATA | SYNCHRONIZE */, attributes("\\??\\C:\\copyrace.txt", 0x40), P + 8, 7, 0x60);
  closeIf(s, P);
  return s;
}
function queryFile(i: u32): u32 {
  // FileStandardInformation (from the file system), FilePositionInformation and FileAccessInformation (the I/O manager's)
  const cls: u32 = (i % 3) == 0 ? FileStandardInformation : (i % 3) == 1 ? FilePositionInformation : FileAccessInformation;
  return NtQueryInformationFile(file, P + 8, P + 16, 24, cls);
}
function setFile(i: u32): u32 { poke64(P + 16, <u64>(i & 7)); return NtSetInformationFile(file, P + 8, P + 16, 8, FilePositionInformation); }
function queryDirectory(i: u32): u32 {
  return NtQueryDirectoryFile(dir, 0, 0, 0, P + 8, P + 16, 0x400, (i & 1) != 0 ? FileDirectoryInformation : FileBothDirectoryInformation, 1, 0, 1);
}
function queryDirectoryPattern(i: u32): u32 {
  // The pattern's UNICODE_STRING and text on the racing page too: "*.*".
  InitializeCountedString(poked, <u32>(P + 0x40), 6, 6);
  store<u16>(poked, 0x2A, 8); store<u16>(poked, 0x2E, 10); store<u16>(poked, 0x2A, 12);
  pokeBytes(P + 0x38, 14);
  return NtQueryDirectoryFile(dir, 0, 0, 0, P + 8, P + 0x100, 0x400, FileDirectoryInformation, 1, P + 0x38, 1);
}
function queryVolume(i: u32): u32 {
  return (i & 1) != 0 ? NtQueryVolumeInformationFile(file, P + 8, P + 16, 24, FileFsSizeInformation)
                      : NtQueryVolumeInformationFile(file, P + 8, P + 16, 8, FileFsDeviceInformation);
}
function queryAttributes(i: u32): u32 { return NtQueryAttributesFile(attributes("\\??\\C:\\copyrace.txt", 0x40), P + 16); }
function pagingFile(i: u32): u32 {
  // A name, and a maximum below the minimum: refused after the capture (STATUS_INVALID_PARAMETER_3).
  InitializeCountedString(poked, load<u32>(pfName, 4), load<u16>(pfName), load<u16>(pfName, 2));
  pokeBytes(P, 8);
  poke64(P + 8, 4 << 20); poke64(P + 16, 2 << 20);
  return NtCreatePagingFile(P, P + 8, P + 16, 0);
}
function requestReply(i: u32): u32 {
  header(poked, 8, 0xFFFFFFFF); store<u32>(poked + 24, i); store<u32>(poked + 28, 0);
  pokeBytes(P + 0x100, 32);
  return NtRequestWaitReplyPort(client, P + 0x100, P + 0x200);
}
function datagram(i: u32): u32 {
  header(poked, 8, 0xFFFFFFFF); store<u32>(poked + 24, i); store<u32>(poked + 28, 0);
  pokeBytes(P + 0x100, 32);
  return NtRequestPort(client, P + 0x100);
}
function receiveMessage(i: u32): u32 { return NtReplyWaitReceivePortEx(client, P + 4, 0, P + 0x300, zeroTimeout); }
function queryPort(i: u32): u32 { return NtQueryInformationPort(client, 0, P + 16, 16, P + 12); }
function connect(i: u32): u32 {
  InitializeSecurityQualityOfService(poked, SecurityImpersonation, SECURITY_STATIC_TRACKING, false);
  pokeBytes(P + 0x20, 12);                 // SECURITY_QUALITY_OF_SERVICE
  poke(P + 0x30, 16);                      // ConnectionInformationLength
  const s = NtConnectPort(P, portName, P + 0x20, 0, 0, P + 0x34, P + 0x40, P + 0x30);
  closeIf(s, P);
  return s;
}

function consoleWrite(i: u32): u32 {
  for (let k: u32 = 0; k < 16; k++) store<u16>(poked + (k << 1), <u16>(k == 15 ? 0x0D : 0x2E));
  pokeBytes(P + 0x100, 32);
  return NtUserConsoleWrite(P + 0x100, 32);
}
function activeSession(i: u32): u32 { return NtUserGetActiveSession(P + 16); }
function readKey(i: u32): u32 { poke64(P + 8, 0); return NtUserReadKey(P + 0x20, P + 8); }

let calls: u32 = 0, ok: u32 = 0, av: u32 = 0, other: u32 = 0, switches: u32 = 0;
const seen = memory.data(16, 4);  // the other statuses seen (4 at most)
let seenCount: u32 = 0;

/** Calls `service` until the page went and came back `rounds` times between calls (or `limit` calls); one tally line. */
function race(what: string, service: (i: u32) => u32, rounds: u32, limit: u32): void {
  calls = 0; ok = 0; av = 0; other = 0; switches = 0; seenCount = 0;
  let last = toggles;
  for (; calls < limit && switches < rounds; calls++) {
    const s = service(calls);
    if (toggles != last) { last = toggles; switches++; }
    if (s == 0) ok++;
    else if (s == 0xC0000005) av++;
    else {
      other++;
      let known = false;
      for (let k: u32 = 0; k < seenCount; k++) if (load<u32>(seen + (k << 2)) == s) known = true;
      if (!known && seenCount < 4) { store<u32>(seen + (seenCount << 2), s); seenCount++; }
    }
  }
  put(what); put(" calls "); putDec(calls); put(" success "); putDec(ok); put(" access violation "); putDec(av);
  put(" other "); putDec(other); put(" switches "); putDec(switches); flush();
  for (let k: u32 = 0; k < seenCount; k++) { put(what); put(" other "); putHex(load<u32>(seen + (k << 2))); flush(); }
}

export function main(): void {
  const indirect: (p: u32) => void = threadReturned;
  if (load<u32>(0x7FFDF0F0) == 0x12345678) indirect(load<u32>(0x7FFDF0F4));
  store<u32>(cell, 0); store<u32>(cell, SIZE, 4);
  show("allocate", NtAllocateVirtualMemory(SELF, cell, 0, cell + 4, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE));
  region = load<u32>(cell);
  P = region + 4096;
  store<u32>(cell, 0); store<u32>(cell, SIZE, 4);
  show("reserve", NtAllocateVirtualMemory(SELF, cell, 0, cell + 4, MEM_RESERVE, PAGE_READWRITE));
  spare = load<u32>(cell);
  store<u64>(cell + 8, SIZE);
  show("section", NtCreateSection(cell + 16, 0xF001F, 0, cell + 8, PAGE_READWRITE, 0x8000000, 0));
  section = load<u32>(cell, 16);
  show("create the file", NtCreateFile(cell + 16, 0xC0100000, attributes("\\??\\C:\\copyrace.txt", 0x40), iosb, 0, 0x80, 7, 5 /* FILE_OVERWRITE_IF */, 0x60, 0, 0));
  file = load<u32>(cell, 16);
  store<u64>(cell + 24, 0);
  show("write it", NtWriteFile(file, 0, 0, 0, iosb, changetype<usize>("copyrace: some text"), 38, cell + 24, 0));
  show("open the root", NtOpenFile(cell + 16, 0x00100001, attributes("\\??\\C:\\", 0x40), iosb, 7, 0x21 /* FILE_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_NONALERT */));
  dir = load<u32>(cell, 16);
  unicode(pfName, "\\??\\C:\\copyrace.sys");
  unicode(portName, "\\CopyRacePort");
  show("port", NtCreatePort(cell + 16, attributes("\\CopyRacePort", 0), 16, 0x148, 0));
  serverPort = load<u32>(cell, 16);
  spawn(server, 0, 0);
  show("connect", NtConnectPort(cell + 16, portName, qos(cell + 32), 0, 0, 0, 0, 0));
  client = load<u32>(cell, 16);
  header(request, 8, 0xFFFFFFFF);
  show("request", NtRequestWaitReplyPort(client, request, request + 0x100));
  store<i64>(zeroTimeout, 0);

  // win32k.sys, for its services (SeLoadDriverPrivilege first).
  show("open token", NtOpenProcessToken(0xFFFFFFFF, 0x28, cell + 16));
  store<u32>(cell, 1, 32); store<u32>(cell, 10 /* SE_LOAD_DRIVER_PRIVILEGE */, 36); store<u32>(cell, 0, 40); store<u32>(cell, 2, 44);
  show("enable SeLoadDriverPrivilege", NtAdjustPrivilegesToken(load<u32>(cell, 16), 0, cell + 32, 0, 0, 0));
  show("load win32k.sys", NtSetSystemInformation(SystemExtendServiceTableInformation, unicode(cell + 48, "\\SystemRoot\\System32\\win32k.sys"), 8));

  const t = spawn(toggler, 0, 0);
  const R: u32 = 40, N: u32 = 50000;
  race("NtAllocateVirtualMemory", allocate, R, N);
  race("NtFreeVirtualMemory", free, R, N);
  race("NtProtectVirtualMemory", protect, R, N);
  race("NtQueryVirtualMemory", queryMemory, R, N);
  race("NtCreateSection", createSection, R, N);
  race("NtMapViewOfSection", mapView, R, N);
  race("NtQuerySection", querySection, R, N);
  race("NtCreateFile", createFile, R, N);
  race("NtOpenFile", openFile, R, N);
  race("NtQueryInformationFile", queryFile, R, N);
  race("NtSetInformationFile", setFile, R, N);
  race("NtQueryDirectoryFile", queryDirectory, R, N);
  race("NtQueryDirectoryFile (pattern)", queryDirectoryPattern, R, N);
  race("NtQueryVolumeInformationFile", queryVolume, R, N);
  race("NtQueryAttributesFile", queryAttributes, R, N);
  race("NtCreatePagingFile", pagingFile, R, N);
  race("NtRequestWaitReplyPort", requestReply, R, N);
  race("NtRequestPort", datagram, R, N);
  race("NtReplyWaitReceivePortEx", receiveMessage, R, N);
  race("NtQueryInformationPort", queryPort, R, N);
  race("NtConnectPort", connect, R, 2000);
  race("NtUserConsoleWrite", consoleWrite, R, N);
  race("NtUserGetActiveSession", activeSession, R, N);
  race("NtUserReadKey", readKey, R, N);
  stop = true;
  NtSuspendThread(t, 0);
  say("the kernel is still running");
}
