// The shell's process commands: tlist, kill, critical, sessions.
//
// tlist reads the system process list (NtQuerySystemInformation,
// SystemProcessInformation: pid, parent, session, threads, handles, name)
// and asks each process, through a handle from NtOpenProcess, for its image
// file's full NT name (ProcessImageFileName, 27) and its critical flag
// (ProcessBreakOnTermination, 29).
//
// It marks an smss.exe SUSPICIOUS, the classic sign of malware posing as the
// Session Manager, when
//   - its image is not \SystemRoot\System32\smss.exe. The kernel reports
//     the device form (\Device\Harddisk0\Partition1\Windows\System32\smss.exe),
//     so the expected name is \SystemRoot's link target (read with
//     NtQuerySymbolicLinkObject) followed by \System32\smss.exe, compared
//     without regard to case; or
//   - it is a second long-lived smss.exe. The Session Manager is the
//     smss.exe whose parent is the System process (pid 4); the copies it
//     starts to make sessions are its children and end once their session
//     is up. Any other smss.exe -- a second child of System, or one whose
//     parent is not the Session Manager -- is not a session copy in progress.

import { ShStatus, ShWriteLine } from "./io";
import { Emit, EmitLine, ParseNumber, Put, PutDecRight, SameNoCase, UnicodeText } from "./toolsfmt";
import {
  NtOpenProcess, NtQuerySystemInformation, NtSetInformationProcess, NtOpenSymbolicLinkObject, NtQuerySymbolicLinkObject,
  PROCESS_QUERY_INFORMATION, PROCESS_SET_INFORMATION, PROCESS_TERMINATE, SYNCHRONIZE, SYMBOLIC_LINK_QUERY,
  SE_DEBUG_PRIVILEGE,
} from "./toolsnt";
import { NtClose, NtQueryInformationProcess, NtTerminateProcess, NtWaitForSingleObject, RtlAdjustPrivilege, STATUS_SUCCESS, STATUS_TIMEOUT } from "../native/nt";
import { Attributes, Slot } from "../native/util";
import { NtUserGetActiveSession } from "../../../kernel/sdk/ntuser";
import { SYSTEM_PROCESS_INFORMATION, SystemProcessInformation } from "../../../kernel/sdk/sysinfo";
import { STATUS_INFO_LENGTH_MISMATCH, STATUS_INVALID_PARAMETER } from "../../../kernel/sdk/ntstatus";
import { ProcessBreakOnTermination, ProcessImageFileName } from "../../../kernel/sdk/procinfo";
import { InitializeCountedString } from "../../../kernel/sdk/ntdef";

const SYSTEM_PID: u32 = 4;

/** One process of the list, with what its handle told. */
export class Process {
  pid: u32 = 0;
  parent: u32 = 0;
  session: u32 = 0;
  threads: u32 = 0;
  handles: u32 = 0;
  name: string = "";
  path: string = "";
  /** 1 critical, 0 not, -1 unknown (the process could not be opened or asked). */
  critical: i32 = -1;
  suspicious: string = "";
}

// ---- the process list ----

const needed = memory.data(4, 4);
const cid = memory.data(8, 4);
const handleSlot = memory.data(4, 4);
const value = memory.data(4, 4);
const nameInfo = memory.data(8 + 520, 4);
const linkTarget = memory.data(8 + 1024, 4);

/** Fills `list` with the system's processes; the status of the query. */
export function ProcessList(list: Array<Process>): u32 {
  // The heap is the command's (nsh/heap.ts): the buffer is made anew each time.
  let status: u32;
  let listSize: u32 = 16384;
  let listBuffer = heap.alloc(listSize);
  while (true) {
    status = NtQuerySystemInformation(SystemProcessInformation, listBuffer, listSize, needed);
    if (status != STATUS_INFO_LENGTH_MISMATCH) break;
    listSize = load<u32>(needed) + 4096; // room for processes started meanwhile
    listBuffer = heap.alloc(listSize);
  }
  if (status != STATUS_SUCCESS) return status;
  let at = listBuffer;
  while (true) {
    const r = changetype<SYSTEM_PROCESS_INFORMATION>(at);
    const p = new Process();
    p.pid = r.UniqueProcessId;
    p.parent = r.InheritedFromUniqueProcessId;
    p.session = r.SessionId;
    p.threads = r.NumberOfThreads;
    p.handles = r.HandleCount;
    p.name = r.ImageName_Length != 0 ? String.UTF16.decodeUnsafe(r.ImageName_Buffer, <usize>r.ImageName_Length) : (p.pid == 0 ? "Idle" : "");
    list.push(p);
    if (r.NextEntryOffset == 0) break;
    at += r.NextEntryOffset;
  }
  return STATUS_SUCCESS;
}

/** Opens process `pid` with `access` into `handle` (0 there on failure); the status of the open. */
export function OpenProcess(pid: u32, access: u32, handle: usize): u32 {
  store<u32>(cid, pid);
  store<u32>(cid, 0, 4);
  store<u32>(handle, 0);
  return NtOpenProcess(handle, access, Attributes("", 0, 0), cid);
}

/** Image path and critical flag of `p`, asked through a handle. */
function AskProcess(p: Process): void {
  if (p.pid == 0 || p.pid == SYSTEM_PID) { p.critical = 0; return; } // no image; System's end is the machine's
  if (OpenProcess(p.pid, PROCESS_QUERY_INFORMATION, handleSlot) != STATUS_SUCCESS) return;
  const h = load<u32>(handleSlot);
  if (NtQueryInformationProcess(h, ProcessImageFileName, nameInfo, 8 + 520, 0) == STATUS_SUCCESS) p.path = UnicodeText(nameInfo);
  store<u32>(value, 0);
  if (NtQueryInformationProcess(h, ProcessBreakOnTermination, value, 4, 0) == STATUS_SUCCESS) p.critical = load<u32>(value) != 0 ? 1 : 0;
  NtClose(h);
}

/** The target of the symbolic link `name`, or "" when it cannot be read. */
export function LinkTarget(name: string, root: u32): string {
  const h = Slot();
  if (NtOpenSymbolicLinkObject(h, SYMBOLIC_LINK_QUERY, Attributes(name, 0, root)) != STATUS_SUCCESS) return "";
  const target = linkTarget;
  InitializeCountedString(target, target + 8, 0, 1024);
  const status = NtQuerySymbolicLinkObject(load<u32>(h), target, 0);
  NtClose(load<u32>(h));
  return status == STATUS_SUCCESS ? UnicodeText(target) : "";
}

/** \SystemRoot\System32\smss.exe as the kernel names an image: \SystemRoot's target, then \System32\smss.exe. */
export function ExpectedSmssPath(): string {
  const root = LinkTarget("\\SystemRoot", 0);
  return (root.length != 0 ? root : "\\SystemRoot") + "\\System32\\smss.exe";
}

/** Sets `suspicious` on each smss.exe that is not the Session Manager or one of its session copies. */
export function MarkSuspicious(list: Array<Process>, expected: string): void {
  let manager: u32 = 0;
  for (let i = 0; i < list.length; i++) {
    const p = list[i];
    if (!SameNoCase(p.name, "smss.exe")) continue;
    let why = "";
    if (p.path.length == 0) why = "its image cannot be read";
    else if (!SameNoCase(p.path, expected)) why = "its image is not \\SystemRoot\\System32\\smss.exe";
    if (p.parent == SYSTEM_PID) {
      if (manager == 0 && why.length == 0) manager = p.pid; // the first, in creation order, with the right image
      else if (why.length == 0) why = "a second Session Manager (parent System)";
    } else if (manager == 0 || p.parent != manager) {
      why += (why.length != 0 ? "; " : "") + "a second smss.exe: not a session copy of the Session Manager"
        + (manager != 0 ? " (process " + manager.toString() + ")" : "");
    }
    p.suspicious = why;
  }
}

// ---- tlist ----

export function Tlist(args: Array<string>): i32 {
  const list = new Array<Process>();
  const listed = ProcessList(list);
  if (listed != STATUS_SUCCESS) { ShStatus("tlist: NtQuerySystemInformation", <i32>listed); return <i32>listed; }
  for (let i = 0; i < list.length; i++) AskProcess(list[i]);
  const expected = ExpectedSmssPath();
  MarkSuspicious(list, expected);
  EmitLine("  PID PPID SESS CRIT THR  HND IMAGE");
  let suspicious = 0;
  for (let i = 0; i < list.length; i++) {
    const p = list[i];
    PutDecRight(p.pid, 5); PutDecRight(p.parent, 5); PutDecRight(p.session, 5);
    Put(p.critical == 1 ? "  yes" : p.critical == 0 ? "   no" : "    ?");
    PutDecRight(p.threads, 4); PutDecRight(p.handles, 5); Put(" ");
    Put(p.path.length != 0 ? p.path : p.name);
    if (p.suspicious.length != 0) Put("  SUSPICIOUS");
    Emit();
    if (p.suspicious.length != 0) { Put("      ^ "); Put(p.name); Put(" "); Put(p.pid.toString()); Put(": "); Put(p.suspicious); Emit(); suspicious++; }
  }
  Put(list.length.toString()); Put(" processes");
  if (suspicious != 0) { Put(", "); Put(suspicious.toString()); Put(" SUSPICIOUS (the Session Manager's image is "); Put(expected); Put(")"); }
  Emit();
  return 0;
}

// ---- kill, critical ----

/** The pid argument, or 0 after printing why it is not one. */
function PidArgument(command: string, args: Array<string>, count: i32, usage: string): u32 {
  const pid = args.length == count ? ParseNumber(args[0]) : -1;
  if (pid <= 0 || pid > 0xFFFFFFFF) { ShWriteLine("usage: " + command + " " + usage); return 0; }
  return <u32>pid;
}

function NameOf(pid: u32): string {
  const list = new Array<Process>();
  if (ProcessList(list) == STATUS_SUCCESS) for (let i = 0; i < list.length; i++) if (list[i].pid == pid) return list[i].name;
  return "?";
}

const fiveSeconds = memory.data<i64>([-50000000]);

export function Kill(args: Array<string>): i32 {
  const pid = PidArgument("kill", args, 1, "PID");
  if (pid == 0) return <i32>STATUS_INVALID_PARAMETER;
  const name = NameOf(pid);
  RtlAdjustPrivilege(SE_DEBUG_PRIVILEGE, true, false, Slot()); // as NT's tools do; without it the open may still pass
  const opened = OpenProcess(pid, PROCESS_TERMINATE | SYNCHRONIZE, handleSlot);
  if (opened != STATUS_SUCCESS) { ShStatus("kill: NtOpenProcess " + pid.toString(), <i32>opened); return <i32>opened; }
  const h = load<u32>(handleSlot);
  const status = NtTerminateProcess(h, 1);
  if (status != STATUS_SUCCESS) { NtClose(h); ShStatus("kill: NtTerminateProcess " + pid.toString(), <i32>status); return <i32>status; }
  const waited = NtWaitForSingleObject(h, 0, fiveSeconds);
  NtClose(h);
  ShWriteLine("kill: process " + pid.toString() + " (" + name + ") " + (waited == STATUS_TIMEOUT ? "is ending" : "ended"));
  return 0;
}

export function Critical(args: Array<string>): i32 {
  const on = args.length == 2 && SameNoCase(args[1], "on"), off = args.length == 2 && SameNoCase(args[1], "off");
  if (!on && !off) { ShWriteLine("usage: critical PID on|off"); return <i32>STATUS_INVALID_PARAMETER; }
  const pid = PidArgument("critical", args, 2, "PID on|off");
  if (pid == 0) return <i32>STATUS_INVALID_PARAMETER;
  // ProcessBreakOnTermination needs SeDebugPrivilege enabled (NT 5.2's rule).
  let status = RtlAdjustPrivilege(SE_DEBUG_PRIVILEGE, true, false, Slot());
  if (status != STATUS_SUCCESS) { ShStatus("critical: SeDebugPrivilege", <i32>status); return <i32>status; }
  status = OpenProcess(pid, PROCESS_SET_INFORMATION | PROCESS_QUERY_INFORMATION, handleSlot);
  if (status != STATUS_SUCCESS) { ShStatus("critical: NtOpenProcess " + pid.toString(), <i32>status); return <i32>status; }
  const h = load<u32>(handleSlot);
  store<u32>(value, on ? 1 : 0);
  status = NtSetInformationProcess(h, ProcessBreakOnTermination, value, 4);
  NtClose(h);
  if (status != STATUS_SUCCESS) { ShStatus("critical: NtSetInformationProcess " + pid.toString(), <i32>status); return <i32>status; }
  ShWriteLine("critical: process " + pid.toString() + (on ? " is critical: its end stops the system" : " is no longer critical"));
  return 0;
}

// ---- sessions ----

const active = memory.data(4, 4);

export function Sessions(args: Array<string>): i32 {
  const list = new Array<Process>();
  const listed = ProcessList(list);
  if (listed != STATUS_SUCCESS) { ShStatus("sessions: NtQuerySystemInformation", <i32>listed); return <i32>listed; }
  store<u32>(active, 0xFFFFFFFF);
  const activeStatus = NtUserGetActiveSession(active);
  // Session ids in the order first seen; each one's processes.
  const ids = new Array<u32>();
  for (let i = 0; i < list.length; i++) if (!ids.includes(list[i].session)) ids.push(list[i].session);
  ids.sort((a: u32, b: u32): i32 => <i32>a - <i32>b);
  EmitLine("SESSION PROCESSES ACTIVE PROGRAMS");
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k];
    let count: u32 = 0;
    for (let i = 0; i < list.length; i++) if (list[i].session == id) count++;
    PutDecRight(id, 7); PutDecRight(count, 10);
    Put(activeStatus == STATUS_SUCCESS && load<u32>(active) == id ? "    yes " : "        ");
    for (let i = 0; i < list.length; i++) if (list[i].session == id) { Put(" "); Put(list[i].name); }
    Emit();
  }
  if (activeStatus != STATUS_SUCCESS) ShStatus("sessions: NtUserGetActiveSession", <i32>activeStatus);
  return 0;
}
