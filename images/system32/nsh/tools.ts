// The shell's system commands (CONTRACTS.md section 1): the shell hands
// every command line here first; ToolRun answers -1 for a name that is not
// one of these, otherwise 0 or the failing NTSTATUS (already printed with
// ShStatus). The commands live beside this file:
//
//   tlist, kill, critical, sessions   toolsproc.ts
//   reg                               toolsreg.ts
//   obj                               toolsobj.ts
//   newsession, switch, events        here
//
// toolsfmt.ts builds output lines, toolsnt.ts declares the native API they
// use beyond images/system32/native/nt.ts.

import { IO_STATUS_BLOCK } from "../../../kernel/sdk/ntdef";
import { ShStatus, ShWriteLine } from "./io";
import { Emit, EmitLine, ParseNumber, Put, PutLeft, UpperAscii } from "./toolsfmt";
import { Critical, Kill, Sessions, Tlist } from "./toolsproc";
import { Reg } from "./toolsreg";
import { Obj } from "./toolsobj";
import { FILE_READ_DATA, SYNCHRONIZE } from "./toolsnt";
import {
  NtClose, NtConnectPort, NtOpenFile, NtReadFile, NtRequestWaitReplyPort, FILE_SHARE_READ, FILE_SHARE_WRITE,
  FILE_SYNCHRONOUS_IO_NONALERT, FILE_NON_DIRECTORY_FILE, STATUS_SUCCESS,
} from "../native/nt";
import { Attributes, Slot, Unicode } from "../native/util";
import { NtUserSwitchSession } from "../../../kernel/sdk/ntuser";
import {
  SMSS_WINSTATION_API_PORT_NAME, SIZEOF_SMSS_WINSTATION_API_MSG, SMSS_WINSTATION_API_NUMBER, SMSS_WINSTATION_RETURN_VALUE,
  SMSS_WINSTATION_SESSION_ID, SMSS_WINSTATION_CSRSS_PID, SMSS_WINSTATION_INITIAL_COMMAND_PID, SmpWinStationCreateSessionApi,
} from "../../../kernel/sdk/sm";
import { EVENTLOG_FILE_NAME } from "../../../kernel/sdk/eventlog";
import { InitializeSecurityQualityOfService, SECURITY_DYNAMIC_TRACKING, SecurityIdentification, SIZEOF_PORT_MESSAGE } from "../../../kernel/sdk/lpc";
import { STATUS_END_OF_FILE, STATUS_INVALID_PARAMETER } from "../../../kernel/sdk/ntstatus";

export function ToolHelp(): Array<string> {
  return [
    "tlist                 processes: pid, parent, session, critical, threads, handles, image (SUSPICIOUS smss.exe marked)",
    "kill PID              ends a process",
    "critical PID on|off   makes a process critical (its end stops the system) or not",
    "reg query|add|delete KEY [VALUE [TYPE DATA]]  the registry (HKLM\\..., changes flushed)",
    "obj [DIR]             an object directory: names, types, symbolic link targets",
    "sessions              the sessions, their processes, the active one",
    "newsession            asks smss for a new session (csrss and winlogon)",
    "switch N              makes session N the active screen",
    "events [N]            the event log (the last N records)",
  ];
}

export function ToolRun(name: string, args: Array<string>): i32 {
  const n = UpperAscii(name);
  if (n == "TLIST") return Tlist(args);
  if (n == "KILL") return Kill(args);
  if (n == "CRITICAL") return Critical(args);
  if (n == "REG") return Reg(args);
  if (n == "OBJ") return Obj(args);
  if (n == "SESSIONS") return Sessions(args);
  if (n == "NEWSESSION") return NewSession(args);
  if (n == "SWITCH") return Switch(args);
  if (n == "EVENTS") return Events(args);
  return -1;
}

// ---- newsession: \SmSsWinStationApiPort (kernel/sdk/sm.ts) ----

const qos = memory.data(12, 4);
const message = memory.data(<i32>SIZEOF_SMSS_WINSTATION_API_MSG, 8);

function NewSession(args: Array<string>): i32 {
  // SECURITY_QUALITY_OF_SERVICE: Length, SecurityIdentification, dynamic tracking, effective only.
  InitializeSecurityQualityOfService(qos, SecurityIdentification, SECURITY_DYNAMIC_TRACKING, true);
  const h = Slot();
  let status = NtConnectPort(h, Unicode(SMSS_WINSTATION_API_PORT_NAME), qos, 0, 0, 0, 0, 0);
  if (status != STATUS_SUCCESS) { ShStatus("newsession: NtConnectPort " + SMSS_WINSTATION_API_PORT_NAME, <i32>status); return <i32>status; }
  const port = load<u32>(h);
  memory.fill(message, 0, SIZEOF_SMSS_WINSTATION_API_MSG);
  store<u16>(message, <u16>(SIZEOF_SMSS_WINSTATION_API_MSG - SIZEOF_PORT_MESSAGE)); // DataLength
  store<u16>(message, <u16>SIZEOF_SMSS_WINSTATION_API_MSG, 2);                      // TotalLength
  store<u32>(message + SMSS_WINSTATION_API_NUMBER, SmpWinStationCreateSessionApi);
  ShWriteLine("newsession: asking smss for a session...");
  status = NtRequestWaitReplyPort(port, message, message);
  NtClose(port);
  if (status != STATUS_SUCCESS) { ShStatus("newsession: NtRequestWaitReplyPort", <i32>status); return <i32>status; }
  status = load<u32>(message + SMSS_WINSTATION_RETURN_VALUE);
  if (status != STATUS_SUCCESS) { ShStatus("newsession: smss", <i32>status); return <i32>status; }
  ShWriteLine("newsession: session " + load<u32>(message + SMSS_WINSTATION_SESSION_ID).toString() + ": csrss (process "
    + load<u32>(message + SMSS_WINSTATION_CSRSS_PID).toString() + "), winlogon (process "
    + load<u32>(message + SMSS_WINSTATION_INITIAL_COMMAND_PID).toString() + ")");
  return 0;
}

// ---- switch N ----

function Switch(args: Array<string>): i32 {
  const id = args.length == 1 ? ParseNumber(args[0]) : -1;
  if (id < 0 || id > 0xFFFF) { ShWriteLine("usage: switch SESSION"); return <i32>STATUS_INVALID_PARAMETER; }
  const status = NtUserSwitchSession(<u32>id);
  if (status != STATUS_SUCCESS) { ShStatus("switch: NtUserSwitchSession " + id.toString(), <i32>status); return <i32>status; }
  ShWriteLine("switch: session " + id.toString() + " is on the screen");
  return 0;
}

// ---- events: the event log service's file (kernel/sdk/eventlog.ts) ----
//
// Each record is one line `YYYY-MM-DD HH:MM:SS type source id: text`
// (images/system32/eventlog/eventlog.ts); the service keeps the file open
// for appending and shares it for reading.

const CHUNK: u32 = 4096;
const chunk = memory.data(<i32>CHUNK, 4);
const iosb = memory.data(8, 4);

class Record {
  constructor(public time: string, public type: string, public source: string, public id: string, public text: string) {}
}

/** One record from a line of the file, or null when the line is not one. */
function ParseRecord(line: string): Record | null {
  // date, time, type, source, then "id:" and the text.
  const words = new Array<string>();
  let start = 0;
  for (let i = 0; i < line.length && words.length < 5; i++) {
    if (line.charCodeAt(i) == 32) { if (i > start) words.push(line.substring(start, i)); start = i + 1; }
  }
  if (words.length < 5 || !words[4].endsWith(":", String.MAX_LENGTH)) return null;
  return new Record(words[0] + " " + words[1], words[2], words[3], words[4].substring(0, words[4].length - 1), line.substring(start, line.length));
}

function Events(args: Array<string>): i32 {
  const last = args.length >= 1 ? ParseNumber(args[0]) : 0;
  if (last < 0) { ShWriteLine("usage: events [N]"); return <i32>STATUS_INVALID_PARAMETER; }
  const h = Slot();
  let status = NtOpenFile(h, FILE_READ_DATA | SYNCHRONIZE, Attributes(EVENTLOG_FILE_NAME, 0, 0), iosb, FILE_SHARE_READ | FILE_SHARE_WRITE,
    FILE_SYNCHRONOUS_IO_NONALERT | FILE_NON_DIRECTORY_FILE);
  if (status != STATUS_SUCCESS) { ShStatus("events: NtOpenFile " + EVENTLOG_FILE_NAME, <i32>status); return <i32>status; }
  const file = load<u32>(h);
  const records = new Array<Record>();
  let partial = "";
  while (true) {
    status = NtReadFile(file, 0, 0, 0, iosb, chunk, CHUNK, 0, 0);
    const got = changetype<IO_STATUS_BLOCK>(iosb).Information;
    if (status != STATUS_SUCCESS || got == 0) break;
    // ASCII lines ending in CR LF; a line may span two reads.
    let from: u32 = 0;
    for (let i: u32 = 0; i < got; i++) {
      if (load<u8>(chunk + i) != 10) continue;
      partial += String.UTF8.decodeUnsafe(chunk + from, i - from);
      if (partial.endsWith("\r", partial.length)) partial = partial.substring(0, partial.length - 1);
      const r = ParseRecord(partial);
      if (r != null) records.push(r);
      partial = "";
      from = i + 1;
    }
    if (from < got) partial += String.UTF8.decodeUnsafe(chunk + from, got - from);
  }
  NtClose(file);
  if (status != STATUS_SUCCESS && status != STATUS_END_OF_FILE) { ShStatus("events: NtReadFile", <i32>status); return <i32>status; }
  const first = last > 0 && <i64>records.length > last ? records.length - <i32>last : 0;
  EmitLine("TIME                TYPE           SOURCE      ID    TEXT");
  for (let i = first; i < records.length; i++) {
    const r = records[i];
    PutLeft(r.time, 20); PutLeft(r.type, 15); PutLeft(r.source, 12); PutLeft(r.id, 6); Put(r.text);
    Emit();
  }
  Put(records.length.toString()); Put(records.length == 1 ? " record" : " records");
  if (first > 0) { Put(", the last "); Put((records.length - first).toString()); Put(" shown"); }
  Emit();
  return 0;
}
