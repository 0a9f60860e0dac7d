// eventlog.exe, the event log service: an auto-start service (SYSTEM hive,
// Services\EventLog, group "Event Log") that services.exe starts. It serves
// \EventLogPort (kernel/sdk/eventlog.ts) and records every event reported
// to it, in arrival order, as one text line appended to
// \SystemRoot\System32\config\SysEvent.log (C:\Windows\System32\config\SysEvent.log:
// `mtype` or the browser page's files show it after a boot) and as a log line on COM1:
//
//   2026-12-07 04:12:33 information EventLog 6005: The Event log service was started.
//   2026-12-07 04:12:40 audit-success Security 528: Administrator logged on in session 1
//
// Its first event is its own start, as NT's (6005). winlogon reports logons,
// log-offs and failed logons (528, 538, 529).
//
// Threads: one (audited 2026-12-07): it starts none, so its static buffers and
// globals have one user; the ntdll routines it calls lock for themselves.

import { WorldSecurityDescriptor } from "../native/security";
import { OBJECT_ATTRIBUTES } from "../../../kernel/sdk/ntdef";
import {
  NtCreatePort, NtReplyWaitReceivePort, NtAcceptConnectPort, NtCompleteConnectPort, NtClose, NtCreateFile, NtWriteFile,
  NtQuerySystemTime, RtlTimeToTimeFields, NtFlushBuffersFile,
  GENERIC_WRITE, FILE_APPEND_DATA, SYNCHRONIZE, FILE_SHARE_READ, FILE_OPEN_IF, FILE_SYNCHRONOUS_IO_NONALERT,
  FILE_NON_DIRECTORY_FILE, FILE_ATTRIBUTE_NORMAL, STATUS_SUCCESS,
} from "../native/nt";
import { Attributes, CurrentProcessId, Decimal, Log, LogFailure, Slot, StringAt } from "../native/util";
import {
  EVENTLOG_PORT_NAME, EVENTLOG_FILE_NAME, SIZEOF_ELF_REPORT_MSG, ELF_REPORT_EVENT_ID, ELF_REPORT_EVENT_TYPE,
  ELF_REPORT_SOURCE_LENGTH, ELF_REPORT_TEXT_LENGTH, ELF_REPORT_STATUS, ELF_REPORT_SOURCE, ELF_REPORT_TEXT, ELF_SOURCE_MAX,
  ELF_TEXT_MAX, EVENTLOG_ERROR_TYPE, EVENTLOG_WARNING_TYPE, EVENTLOG_INFORMATION_TYPE, EVENTLOG_AUDIT_SUCCESS,
  EVENTLOG_AUDIT_FAILURE, EVENT_EVENTLOG_STARTED,
} from "../../../kernel/sdk/eventlog";
import {
  LPC_CONNECTION_REQUEST, LPC_REQUEST, LPC_DATAGRAM, PORT_MESSAGE_TYPE, PORT_MESSAGE_DATA_LENGTH, SIZEOF_PORT_MESSAGE,
} from "../../../kernel/sdk/lpc";

const request = memory.data(0x148, 8);
const contextOut = memory.data(4, 4);
const iosb = memory.data(8, 4);
const toEnd = memory.data<u32>([0xFFFFFFFF, 0xFFFFFFFF]); // FILE_WRITE_TO_END_OF_FILE
const fields = memory.data(16, 4);
const time = memory.data(8, 8);
const bytes = memory.data(512, 4);
let File: u32 = 0;
let Recorded: u32 = 0;

function two(v: u32): string { return (v < 10 ? "0" : "") + Decimal(v); }

function typeName(type: u32): string {
  if (type == EVENTLOG_ERROR_TYPE) return "error";
  if (type == EVENTLOG_WARNING_TYPE) return "warning";
  if (type == EVENTLOG_INFORMATION_TYPE) return "information";
  if (type == EVENTLOG_AUDIT_SUCCESS) return "audit-success";
  if (type == EVENTLOG_AUDIT_FAILURE) return "audit-failure";
  return "type " + Decimal(type);
}

/** Records one event: the file line and the COM1 line. */
function ElfRecord(source: string, type: u32, id: u32, text: string): bool {
  NtQuerySystemTime(time);
  RtlTimeToTimeFields(time, fields);
  // TIME_FIELDS: Year, Month, Day, Hour, Minute, Second, Milliseconds, Weekday (CSHORT each).
  const stamp = Decimal(load<u16>(fields)) + "-" + two(load<u16>(fields, 2)) + "-" + two(load<u16>(fields, 4)) + " "
    + two(load<u16>(fields, 6)) + ":" + two(load<u16>(fields, 8)) + ":" + two(load<u16>(fields, 10));
  const entry = typeName(type) + " " + source + " " + Decimal(id) + ": " + text;
  // The file first, then the COM1 line: whoever sees the line finds the record on the disk.
  let written = false;
  if (File != 0) {
    const line = stamp + " " + entry + "\r\n";
    let n: u32 = 0;
    for (let i = 0; i < line.length && n < 512; i++) {
      const c = line.charCodeAt(i);
      store<u8>(bytes + n++, <u8>(c < 0x80 ? c : 0x3F));
    }
    const status = NtWriteFile(File, 0, 0, 0, iosb, bytes, n, toEnd, 0);
    if (status != STATUS_SUCCESS) LogFailure("NtWriteFile", status, EVENTLOG_FILE_NAME);
    else {
      NtFlushBuffersFile(File, iosb); // on the disk at once: the record outlives a power cut
      Recorded++;
      written = true;
    }
  }
  Log("recorded " + entry);
  return written;
}

function ElfReport(): bool {
  if (<u32>load<u16>(request + PORT_MESSAGE_DATA_LENGTH) + SIZEOF_PORT_MESSAGE < SIZEOF_ELF_REPORT_MSG) return false;
  const sourceBytes = min<u32>(<u32>load<u16>(request + ELF_REPORT_SOURCE_LENGTH), ELF_SOURCE_MAX);
  const textBytes = min<u32>(<u32>load<u16>(request + ELF_REPORT_TEXT_LENGTH), ELF_TEXT_MAX);
  // Controls would break the one-line-per-event file: they become spaces.
  for (let i: u32 = 0; i < textBytes; i += 2) if (load<u16>(request + ELF_REPORT_TEXT + i) < 0x20) store<u16>(request + ELF_REPORT_TEXT + i, 0x20);
  for (let i: u32 = 0; i < sourceBytes; i += 2) if (load<u16>(request + ELF_REPORT_SOURCE + i) <= 0x20) store<u16>(request + ELF_REPORT_SOURCE + i, 0x5F);
  return ElfRecord(StringAt(request + ELF_REPORT_SOURCE, sourceBytes), <u32>load<u16>(request + ELF_REPORT_EVENT_TYPE),
    load<u32>(request + ELF_REPORT_EVENT_ID), StringAt(request + ELF_REPORT_TEXT, textBytes));
}

export function main(): void {
  const h = Slot();
  let status = NtCreateFile(h, GENERIC_WRITE | FILE_APPEND_DATA | SYNCHRONIZE, Attributes(EVENTLOG_FILE_NAME, 0, 0), iosb, 0,
    FILE_ATTRIBUTE_NORMAL, FILE_SHARE_READ, FILE_OPEN_IF, FILE_SYNCHRONOUS_IO_NONALERT | FILE_NON_DIRECTORY_FILE, 0, 0);
  if (status != STATUS_SUCCESS) LogFailure("NtCreateFile", status, EVENTLOG_FILE_NAME);
  else File = load<u32>(h);
  // Every program may report events: Everyone gets PORT_CONNECT (native/security.ts).
  const attributes = Attributes(EVENTLOG_PORT_NAME, 0, 0);
  changetype<OBJECT_ATTRIBUTES>(attributes).SecurityDescriptor = WorldSecurityDescriptor(0x00020001);
  status = NtCreatePort(h, attributes, 0, SIZEOF_ELF_REPORT_MSG, 32 * SIZEOF_ELF_REPORT_MSG);
  if (status != STATUS_SUCCESS) { LogFailure("NtCreatePort", status, EVENTLOG_PORT_NAME); return; }
  const port = load<u32>(h);
  Log("process " + Decimal(CurrentProcessId()) + ": " + EVENTLOG_PORT_NAME + " ready, recording to " + EVENTLOG_FILE_NAME);
  ElfRecord("EventLog", EVENTLOG_INFORMATION_TYPE, EVENT_EVENTLOG_STARTED, "The Event log service was started.");
  let reply: usize = 0;
  while (true) {
    const s = NtReplyWaitReceivePort(port, contextOut, reply, request);
    reply = 0;
    if (s != STATUS_SUCCESS) { LogFailure("NtReplyWaitReceivePort", s, ""); continue; }
    const type = <u32>load<u16>(request + PORT_MESSAGE_TYPE) & 0xFF;
    if (type == LPC_CONNECTION_REQUEST) {
      // Anyone may report; the server side of the connection is not kept (replies go through the port).
      if (NtAcceptConnectPort(h, 0, request, true, 0, 0) == STATUS_SUCCESS) NtCompleteConnectPort(load<u32>(h));
      continue;
    }
    if (type != LPC_DATAGRAM && type != LPC_REQUEST) continue;
    const ok = ElfReport();
    if (type == LPC_REQUEST) {
      store<u16>(request + ELF_REPORT_STATUS, ok ? 0 : 1);
      store<u16>(request + PORT_MESSAGE_DATA_LENGTH, <u16>(SIZEOF_ELF_REPORT_MSG - SIZEOF_PORT_MESSAGE));
      store<u16>(request + 2, <u16>SIZEOF_ELF_REPORT_MSG);
      reply = request;
    }
  }
}
