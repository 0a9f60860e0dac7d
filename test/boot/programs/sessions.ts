// Sessions from ring 3 (kernel/ps/pssession.ts, ex/sysinfo.ts): this
// process (P, started by the kernel like smss: session 0) and copies of it.
//   - ProcessSessionInformation and SYSTEM_PROCESS_INFORMATION.SessionId: 0;
//   - SystemSessionCreate/Detach: length, privilege (SeLoadDriverPrivilege),
//     pointer checks; detaching from session 0 is refused;
//   - Q, a copy made while P is in session 0, stays in session 0;
//   - P makes session 1 and moves in (PEB.SessionId too), its directories exist,
//     a second create is STATUS_ALREADY_COMMITTED;
//   - R, made by P with Q as its parent, is in P's session 1, not Q's 0;
//   - Q makes session 2, makes S (session 2), detaches: session 2 lives on
//     while S does and its directories go when S ends;
//   - P detaches: session 1 ends (R is gone); P makes a session again (id 1
//     reused), moves a child X to session 0 with ProcessSessionInformation
//     (SeTcbPrivilege; an existing session), and ends in it.
import {
  show, put, putHex, putDec, flush, attributes, ms, NtQueryInformationProcess, NtQuerySystemInformation, NtCreateProcessEx,
  NtAllocateVirtualMemory, NtWriteVirtualMemory, NtCreateThread, NtWaitForSingleObject, NtClose, NtOpenDirectoryObject,
  NtCreateEvent, NtOpenEvent, NtSetEvent, NtOpenProcess, NtTerminateProcess, NtSetInformationProcess,
} from "./nt";
import { ProcessBasicInformation, ProcessSessionInformation, PROCESS_BASIC_INFORMATION, SIZEOF_PROCESS_BASIC_INFORMATION } from "../../../kernel/sdk/procinfo";
import { SYSTEM_PROCESS_INFORMATION, SystemProcessInformation, SystemSessionCreate, SystemSessionDetach } from "../../../kernel/sdk/sysinfo";
/** A SYSTEM_INFORMATION_CLASS number this system does not know: the "unknown class" line. */
const NO_SUCH_SYSTEM_CLASS: u32 = 1234;
@external("kernel", "func_address") declare function func_address(slot: u32): usize;
@external("ntdll", "NtSetSystemInformation") declare function NtSetSystemInformation(infoClass: u32, buffer: usize, length: u32): u32;
@external("ntdll", "NtOpenProcessToken") declare function NtOpenProcessToken(process: u32, access: u32, token: usize): u32;
@external("ntdll", "NtAdjustPrivilegesToken") declare function NtAdjustPrivilegesToken(token: u32, disableAll: u32, newState: usize, length: u32, previous: usize, returnLength: usize): u32;

const SELF: u32 = 0xFFFFFFFF;
const PEB_SESSION_ID: usize = 0x7FFDF000 + 0x1D4;
const h = memory.data(32, 4);
const cell = memory.data(32, 4);
const context = memory.data(716, 4);
const initialTeb = memory.data(20, 4);
const pbi = memory.data(<i32>offsetof<PROCESS_BASIC_INFORMATION>(), 4);
const value = memory.data(4, 4);
const t = memory.data(8, 8);
const state = memory.data(16, 4);
const list = memory.data(16384, 4);

function sessionOf(process: u32): u32 {
  store<u32>(value, 0xDEAD);
  NtQueryInformationProcess(process, ProcessSessionInformation, value, 4, 0);
  return load<u32>(value);
}
function parentOf(process: u32): u32 { NtQueryInformationProcess(process, ProcessBasicInformation, pbi, SIZEOF_PROCESS_BASIC_INFORMATION, 0); return changetype<PROCESS_BASIC_INFORMATION>(pbi).InheritedFromUniqueProcessId; }
function pidOf(process: u32): u32 { NtQueryInformationProcess(process, ProcessBasicInformation, pbi, SIZEOF_PROCESS_BASIC_INFORMATION, 0); return changetype<PROCESS_BASIC_INFORMATION>(pbi).UniqueProcessId; }

/** SYSTEM_PROCESS_INFORMATION.SessionId of process `pid` (0xFFFFFFFF: not listed). */
function listedSession(pid: u32): u32 {
  NtQuerySystemInformation(SystemProcessInformation, list, 16384, 0);
  let at = list;
  while (true) {
    const r = changetype<SYSTEM_PROCESS_INFORMATION>(at);
    if (r.UniqueProcessId == pid) return r.SessionId;
    const next = r.NextEntryOffset;
    if (next == 0) return 0xFFFFFFFF;
    at += next;
  }
}
/** The first listed process in session `id` other than `except` (0: none). */
function listedIn(id: u32, except: u32): u32 {
  NtQuerySystemInformation(SystemProcessInformation, list, 16384, 0);
  let at = list;
  while (true) {
    const r = changetype<SYSTEM_PROCESS_INFORMATION>(at);
    const pid = r.UniqueProcessId;
    if (pid != 0 && pid != except && r.SessionId == id) return pid;
    const next = r.NextEntryOffset;
    if (next == 0) return 0;
    at += next;
  }
}

function create(what: string): u32 {
  store<u32>(value, 0xDEAD);
  const status = NtSetSystemInformation(SystemSessionCreate, value, 4);
  put(what); put(" "); putHex(status); put(" id "); putDec(load<u32>(value)); flush();
  return load<u32>(value);
}
function detach(what: string, id: u32): void { store<u32>(value, id); show(what, NtSetSystemInformation(SystemSessionDetach, value, 4)); }
function openDirectory(what: string, name: string): void {
  const status = NtOpenDirectoryObject(h + 28, 0x3, attributes(name, 0x40));
  show(what, status);
  if (status == 0) NtClose(load<u32>(h, 28));
}
function privilege(luid: u32, enabled: bool): void {
  store<u32>(state, 1); store<u32>(state, luid, 4); store<u32>(state, 0, 8); store<u32>(state, enabled ? 2 : 0, 12);
  NtAdjustPrivilegesToken(load<u32>(h, 24), 0, state, 0, 0, 0);
}
function wait(name: string): void {
  NtOpenEvent(h + 20, 0x1F0003, attributes(name, 0));
  NtWaitForSingleObject(load<u32>(h, 20), 0, ms(t, 20000));
  NtClose(load<u32>(h, 20));
}
function signal(name: string): void {
  NtOpenEvent(h + 20, 0x1F0003, attributes(name, 0));
  NtSetEvent(load<u32>(h, 20), 0);
  NtClose(load<u32>(h, 20));
}

/** A copy of `parent`'s address space made by this process, with a thread running `routine(parameter)`; its handle. */
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

/** R: made by P (session 1) with Q (session 0) as its parent. */
function reporter(q: u32): void {
  put("R: session "); putDec(sessionOf(SELF)); put(" peb "); putDec(load<u32>(PEB_SESSION_ID));
  put(" listed "); putDec(listedSession(pidOf(SELF))); put(" parent "); putDec(parentOf(SELF)); flush();
  NtTerminateProcess(SELF, 0);
}

/** S: Q's child in session 2; ends when P says so. */
function lingerer(p: u32): void {
  put("S: session "); putDec(sessionOf(SELF)); flush();
  wait("\\BaseNamedObjects\\sess-end-s");
  NtTerminateProcess(SELF, 0);
}

/** X: waits until it is ended. */
function idler(p: u32): void { while (true) NtWaitForSingleObject(0xFFFFFFFF, 0, ms(t, 10000)); }

/** ProcessSessionInformation set on another process: `x`, in session `id`. */
function move(x: u32, id: u32): void {
  put("P: X in "); putDec(sessionOf(x)); flush();
  store<u32>(cell, 99, 28);
  show("P: X to session 99", NtSetInformationProcess(x, ProcessSessionInformation, cell + 28, 4));
  privilege(7, false); // SeTcbPrivilege
  store<u32>(cell, 0, 28);
  show("P: X to session 0 without SeTcbPrivilege", NtSetInformationProcess(x, ProcessSessionInformation, cell + 28, 4));
  privilege(7, true);
  show("P: X to session 0", NtSetInformationProcess(x, ProcessSessionInformation, cell + 28, 4));
  put("P: X now in "); putDec(sessionOf(x)); put(" listed "); putDec(listedSession(pidOf(x))); put(", P still in "); putDec(sessionOf(SELF)); flush();
  NtTerminateProcess(x, 0);
  NtWaitForSingleObject(x, 0, ms(t, 5000));
  NtClose(x);
}

/** Q: a copy made while P was in session 0. */
function second(p: u32): void {
  put("Q: session "); putDec(sessionOf(SELF)); flush();
  wait("\\BaseNamedObjects\\sess-go-q");
  const id = create("Q: create");
  put("Q: now in "); putDec(sessionOf(SELF)); flush();
  openDirectory("Q: its Windows directory", "\\Sessions\\2\\Windows");
  const s = spawn(SELF, lingerer, 0);
  NtWaitForSingleObject(s, 0, ms(t, 300)); // let S say its session first
  detach("Q: detach", id);
  put("Q: after detach "); putDec(sessionOf(SELF)); flush();
  openDirectory("Q: with S still there, Windows", "\\Sessions\\2\\Windows");
  NtTerminateProcess(SELF, 0);
}

export function main(): void {
  // An indirect call (never made) keeps the function table, which func_address reads.
  if (load<u32>(0x7FFDF0F0) == 0x12345678) { const indirect: (p: u32) => void = second; indirect(0); }
  put("P: session "); putDec(sessionOf(SELF)); put(" peb "); putDec(load<u32>(PEB_SESSION_ID));
  put(" listed "); putDec(listedSession(pidOf(SELF))); put(" System listed "); putDec(listedSession(4)); flush();
  // The checks before any session is made.
  show("open token", NtOpenProcessToken(SELF, 0x28, h + 24));
  privilege(10, false); // SeLoadDriverPrivilege
  store<u32>(value, 0xDEAD);
  show("create without SeLoadDriverPrivilege", NtSetSystemInformation(SystemSessionCreate, value, 4));
  detach("detach without it", 0);
  privilege(10, true);
  show("create, short buffer", NtSetSystemInformation(SystemSessionCreate, value, 2));
  show("create, kernel buffer", NtSetSystemInformation(SystemSessionCreate, 0x80100000, 4));
  show("unknown class", NtSetSystemInformation(NO_SUCH_SYSTEM_CLASS, value, 4));
  detach("detach from session 0", 0);
  NtCreateEvent(h + 8, 0x1F0003, attributes("\\BaseNamedObjects\\sess-go-q", 0), 0, 0);
  NtCreateEvent(h + 4, 0x1F0003, attributes("\\BaseNamedObjects\\sess-end-s", 0), 0, 0);
  const q = spawn(SELF, second, 0);
  NtWaitForSingleObject(q, 0, ms(t, 300)); // Q says its session
  // Session 1.
  const id = create("P: create");
  put("P: now in "); putDec(sessionOf(SELF)); put(" peb "); putDec(load<u32>(PEB_SESSION_ID)); put(" listed "); putDec(listedSession(pidOf(SELF)));
  put(" Q still in "); putDec(sessionOf(q)); flush();
  create("P: create again");
  openDirectory("P: BaseNamedObjects", "\\Sessions\\1\\BaseNamedObjects");
  openDirectory("P: Windows", "\\Sessions\\1\\Windows");
  openDirectory("P: DosDevices", "\\Sessions\\1\\DosDevices");
  const r = spawn(q, reporter, 0);
  show("P: R ended", NtWaitForSingleObject(r, 0, ms(t, 5000)));
  NtClose(r);
  // Session 2, made by Q.
  signal("\\BaseNamedObjects\\sess-go-q");
  show("P: Q ended", NtWaitForSingleObject(q, 0, ms(t, 5000)));
  const s = listedIn(2, 0);
  put("P: a process left in session 2 "); putDec(s != 0 ? 1 : 0); flush();
  store<u32>(cell, s); store<u32>(cell, 0, 4);
  NtOpenProcess(h + 16, 0x100000, attributes("", 0), cell);
  signal("\\BaseNamedObjects\\sess-end-s");
  show("P: S ended", NtWaitForSingleObject(load<u32>(h, 16), 0, ms(t, 5000)));
  openDirectory("P: session 2's Windows after S", "\\Sessions\\2\\Windows");
  openDirectory("P: \\Sessions\\2 after S", "\\Sessions\\2");
  // Session 1 ends when P leaves it.
  detach("P: detach from another session", id + 5);
  detach("P: detach", id);
  put("P: after detach "); putDec(sessionOf(SELF)); put(" peb "); putDec(load<u32>(PEB_SESSION_ID)); flush();
  openDirectory("P: session 1's Windows after detach", "\\Sessions\\1\\Windows");
  const again = create("P: create after detach");
  move(spawn(SELF, idler, 0), again);
  show("P: ends in it", 0);
}
