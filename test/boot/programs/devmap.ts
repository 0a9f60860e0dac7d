// Device maps, SharedUserData's query, NtUserSwitchSession's privilege and
// win32k.sys in two sessions (test/boot/devmap.test.ts). This process (P,
// started by the kernel: session 0, the system device map) and copies of it:
//   - "\??" is \GLOBAL??: a link made as \??\P: is \GLOBAL??\P:;
//   - ProcessDeviceMap query: lengths, flags, DriveMap/DriveType;
//   - Z, a copy made now, stays in session 0 with the system map;
//   - win32k.sys loaded in session 0, P makes session 1 and loads it again
//     (the log shows which pages the two share);
//   - ProcessDeviceMap set: privilege, length, handle checks, then
//     \Sessions\1\DosDevices (with Global -> \GLOBAL??) is P's "\??": \??\Q:
//     goes there, \??\P: still resolves (the global fallback);
//   - Y, P's child in session 1, inherits the map and sees Q:; Z does not;
//   - NtQueryVirtualMemory at SharedUserData and around it;
//   - NtUserSwitchSession without and with SeTcbPrivilege.
import { OBJECT_ATTRIBUTES, SIZEOF_MEMORY_BASIC_INFORMATION } from "../../../kernel/sdk/ntdef";
import {
  show, put, putHex, putDec, flush, say, attributes, unicode, ms, putUnicode, NtQueryInformationProcess, NtSetInformationProcess,
  NtCreateProcessEx, NtAllocateVirtualMemory, NtWriteVirtualMemory, NtCreateThread, NtWaitForSingleObject, NtClose,
  NtOpenDirectoryObject, NtCreateEvent, NtOpenEvent, NtSetEvent, NtTerminateProcess, NtCreateSymbolicLinkObject,
  NtOpenSymbolicLinkObject, NtQueryObject, NtQueryVirtualMemory,
} from "./nt";
import { NtUserSwitchSession } from "../../../kernel/sdk/ntuser";
import { SystemExtendServiceTableInformation, SystemSessionCreate } from "../../../kernel/sdk/sysinfo";
import { ProcessDeviceMap } from "../../../kernel/sdk/procinfo";
@external("kernel", "func_address") declare function func_address(slot: u32): usize;
@external("ntdll", "NtSetSystemInformation") declare function NtSetSystemInformation(infoClass: u32, buffer: usize, length: u32): u32;
@external("ntdll", "NtOpenProcessToken") declare function NtOpenProcessToken(process: u32, access: u32, token: usize): u32;
@external("ntdll", "NtAdjustPrivilegesToken") declare function NtAdjustPrivilegesToken(token: u32, disableAll: u32, newState: usize, length: u32, previous: usize, returnLength: usize): u32;

const SELF: u32 = 0xFFFFFFFF;
const SE_TCB_PRIVILEGE: u32 = 7, SE_LOAD_DRIVER_PRIVILEGE: u32 = 10;
const h = memory.data(48, 4);
const cell = memory.data(32, 4);
const context = memory.data(716, 4);
const initialTeb = memory.data(20, 4);
const info = memory.data(40, 4);
const value = memory.data(4, 4);
const t = memory.data(8, 8);
const state = memory.data(16, 4);
const target = memory.data(8, 4);
const nameInfo = memory.data(520, 4);
const mbi = memory.data(<i32>SIZEOF_MEMORY_BASIC_INFORMATION, 4);
const path = memory.data(8, 4);

function privilege(luid: u32, enabled: bool): void {
  store<u32>(state, 1); store<u32>(state, luid, 4); store<u32>(state, 0, 8); store<u32>(state, enabled ? 2 : 0, 12);
  NtAdjustPrivilegesToken(load<u32>(h, 24), 0, state, 0, 0, 0);
}
function wait(name: string): void {
  NtOpenEvent(h + 20, 0x1F0003, attributes(name, 0));
  NtWaitForSingleObject(load<u32>(h, 20), 0, ms(t, 30000));
  NtClose(load<u32>(h, 20));
}
function signal(name: string): void {
  NtOpenEvent(h + 20, 0x1F0003, attributes(name, 0));
  NtSetEvent(load<u32>(h, 20), 0);
  NtClose(load<u32>(h, 20));
}

/** A copy of this process (parent `parent`) with a thread running `routine(parameter)`; its handle. */
function spawn(parent: u32, routine: (p: u32) => void, parameter: u32): u32 {
  NtCreateProcessEx(h + 16, 0x1F0FFF, attributes("", 0), parent, 0, 0, 0, 0, 0);
  const process = load<u32>(h, 16);
  store<u32>(cell, 0); store<u32>(cell, 0x10000, 4);
  NtAllocateVirtualMemory(process, cell, 0, cell + 4, 0x3000, 0x04);
  const bottom = load<u32>(cell), top = bottom + 0x10000;
  store<u32>(cell, 0, 8); store<u32>(cell, parameter, 12);
  NtWriteVirtualMemory(process, top - 8, cell + 8, 8, 0);
  memory.fill(context, 0, 716);
  store<u32>(context, <u32>func_address(load<u32>(changetype<usize>(routine))), 0xB8);
  store<u32>(context, top - 8, 0xC4);
  store<u32>(initialTeb, top, 8); store<u32>(initialTeb, bottom + 0x2000, 12);
  NtCreateThread(h + 12, 0x1F03FF, 0, process, 0, context, initialTeb, 0);
  NtClose(load<u32>(h, 12));
  return process;
}

/** "what <status>" for opening the link `name` itself. */
function openLink(what: string, name: string): void {
  const status = NtOpenSymbolicLinkObject(h + 28, 1, attributes(name, 0x40));
  show(what, status);
  if (status == 0) NtClose(load<u32>(h, 28));
}
/** "what <status> <full name>" for the directory `name` (following links). */
function openDirectory(what: string, name: string): void {
  const status = NtOpenDirectoryObject(h + 28, 0x3, attributes(name, 0x40));
  put(what); put(" "); putHex(status);
  if (status == 0) {
    if (NtQueryObject(load<u32>(h, 28), 1, nameInfo, 520, 0) == 0) { put(" "); putUnicode(nameInfo); }
    NtClose(load<u32>(h, 28));
  }
  flush();
}
function makeLink(what: string, name: string, to: string, root: u32 = 0): void {
  const oa = attributes(name, 0x40);
  changetype<OBJECT_ATTRIBUTES>(oa).RootDirectory = root;
  const status = NtCreateSymbolicLinkObject(h + 32, 0xF0001, oa, unicode(target, to));
  show(what, status);
  // The handle stays open: the link lives while the test runs.
}

/** "what <status> map <DriveMap> C <type> P <type> Q <type>" for ProcessDeviceMap of `process`. */
function queryMap(what: string, process: u32, length: u32, flags: u32): void {
  memory.fill(info, 0xEE, 40);
  store<u32>(info, flags, 36);
  const status = NtQueryInformationProcess(process, ProcessDeviceMap, info, length, 0);
  put(what); put(" "); putHex(status);
  if (status == 0) {
    put(" map "); putHex(load<u32>(info));
    put(" C "); putDec(load<u8>(info, 4 + 2)); put(" P "); putDec(load<u8>(info, 4 + 15)); put(" Q "); putDec(load<u8>(info, 4 + 16));
  }
  flush();
}
function setMap(what: string, handle: u32, length: u32): void {
  store<u32>(value, handle);
  show(what, NtSetInformationProcess(SELF, ProcessDeviceMap, value, length));
}

/** Z: a copy made in session 0; waits, then looks up the DOS devices session 1 made. */
function outsider(p: u32): void {
  wait("\\BaseNamedObjects\\devmap-z");
  openLink("Z: \\??\\Q:", "\\??\\Q:");
  openLink("Z: \\??\\P:", "\\??\\P:");
  openDirectory("Z: \\??", "\\??");
  queryMap("Z: map", SELF, 36, 0);
  signal("\\BaseNamedObjects\\devmap-z-done");
  NtTerminateProcess(SELF, 0);
}

/** Y: P's child in session 1: inherits P's device map. */
function insider(p: u32): void {
  openLink("Y: \\??\\Q:", "\\??\\Q:");
  openDirectory("Y: \\??", "\\??");
  queryMap("Y: map", SELF, 36, 0);
  NtTerminateProcess(SELF, 0);
}

function memoryAt(what: string, address: u32): void {
  memory.fill(mbi, 0xEE, SIZEOF_MEMORY_BASIC_INFORMATION);
  const status = NtQueryVirtualMemory(SELF, address, 0, mbi, SIZEOF_MEMORY_BASIC_INFORMATION, 0);
  put(what); put(" "); putHex(status);
  for (let i: u32 = 0; i < 7; i++) { put(" "); putHex(load<u32>(mbi + i * 4)); }
  flush();
}

export function main(): void {
  // An indirect call (never made) keeps the function table, which func_address reads.
  if (load<u32>(0x7FFDF0F0) == 0x12345678) { const indirect: (p: u32) => void = insider; indirect(0); }
  NtOpenProcessToken(SELF, 0x28, h + 24);
  privilege(SE_LOAD_DRIVER_PRIVILEGE, true);
  NtCreateEvent(h + 36, 0x1F0003, attributes("\\BaseNamedObjects\\devmap-z", 0), 0, 0);
  NtCreateEvent(h + 40, 0x1F0003, attributes("\\BaseNamedObjects\\devmap-z-done", 0), 0, 0);

  // Session 0: the system device map.
  openDirectory("P: \\??", "\\??");
  openDirectory("P: \\DosDevices", "\\DosDevices");
  openDirectory("P: \\??\\Global", "\\??\\Global");
  makeLink("P: create \\??\\P:", "\\??\\P:", "\\Device\\Null");
  openLink("P: \\GLOBAL??\\P:", "\\GLOBAL??\\P:");
  queryMap("P: map", SELF, 36, 0);
  queryMap("P: map, 20 bytes", SELF, 20, 0);
  queryMap("P: map ex, flags 2", SELF, 40, 2);
  queryMap("P: map ex, luid only", SELF, 40, 1);
  const z = spawn(SELF, outsider, 0);

  show("P: session 0 load", NtSetSystemInformation(SystemExtendServiceTableInformation, unicode(path, "\\SystemRoot\\System32\\win32k.sys"), 8));
  store<u32>(value, 0);
  show("P: create session", NtSetSystemInformation(SystemSessionCreate, value, 4));
  show("P: session 1 load", NtSetSystemInformation(SystemExtendServiceTableInformation, unicode(path, "\\SystemRoot\\System32\\win32k.sys"), 8));

  // Session 1: its own DOS devices directory.
  show("P: open \\Sessions\\1\\DosDevices", NtOpenDirectoryObject(h, 0xF000F, attributes("\\Sessions\\1\\DosDevices", 0x40)));
  const directory = load<u32>(h);
  makeLink("P: create Global", "Global", "\\GLOBAL??", directory);
  NtCreateEvent(h + 44, 0x1F0003, attributes("", 0), 0, 0);
  privilege(SE_TCB_PRIVILEGE, false);
  setMap("P: set without SeTcbPrivilege", directory, 4);
  privilege(SE_TCB_PRIVILEGE, true);
  setMap("P: set, 8 bytes", directory, 8);
  setMap("P: set, a bad handle", 0x1234, 4);
  setMap("P: set, an event", load<u32>(h, 44), 4);
  setMap("P: set", directory, 4);
  NtClose(directory);
  openDirectory("P: \\??", "\\??");
  openDirectory("P: \\DosDevices", "\\DosDevices");
  makeLink("P: create \\??\\Q:", "\\??\\Q:", "\\Device\\Null");
  openLink("P: \\Sessions\\1\\DosDevices\\Q:", "\\Sessions\\1\\DosDevices\\Q:");
  openLink("P: \\GLOBAL??\\Q:", "\\GLOBAL??\\Q:");
  openLink("P: \\??\\P:", "\\??\\P:");
  openLink("P: \\??\\Global\\P:", "\\??\\Global\\P:");
  openLink("P: \\??\\Global\\Q:", "\\??\\Global\\Q:");
  makeLink("P: create \\??\\P: again", "\\??\\P:", "\\Device\\Null");
  openLink("P: \\Sessions\\1\\DosDevices\\P:", "\\Sessions\\1\\DosDevices\\P:");
  queryMap("P: map", SELF, 36, 0);
  queryMap("P: map ex, luid only", SELF, 40, 1);

  const y = spawn(SELF, insider, 0);
  NtWaitForSingleObject(y, 0, ms(t, 30000));
  queryMap("P: Z's map", z, 36, 0);
  signal("\\BaseNamedObjects\\devmap-z");
  wait("\\BaseNamedObjects\\devmap-z-done");

  // SharedUserData and the free ranges around it.
  memoryAt("P: query 0x7FFE0000", 0x7FFE0000);
  memoryAt("P: query 0x7FFE0FFF", 0x7FFE0FFF);
  memoryAt("P: query 0x7FFE1000", 0x7FFE1000);
  memoryAt("P: query 0x7FFD0000", 0x7FFD0000);

  // NtUserSwitchSession: SeTcbPrivilege.
  privilege(SE_TCB_PRIVILEGE, false);
  show("P: switch without SeTcbPrivilege", NtUserSwitchSession(1));
  privilege(SE_TCB_PRIVILEGE, true);
  show("P: switch with SeTcbPrivilege", NtUserSwitchSession(1));
  say("P: done");
}
