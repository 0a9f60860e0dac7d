// The event log service's port, \EventLogPort, served by eventlog.exe
// (images/system32/eventlog/): a program reports an event with one message
// (a datagram, NtRequestPort; or a request, and the answer's Status says
// whether it was recorded). NT's event log is reached through RPC; this
// fixed message is ours. Event types and ids are NT's (winnt.h EVENTLOG_*;
// 6005 "The Event log service was started", 528/538/529 logon, log-off and
// logon failure, 513 shutdown, as NT 5's Security log numbers them).
//
//   ELF_REPORT_MSG (0xE4 bytes)
//   +0x00 PORT_MESSAGE h          (24 bytes, sdk/lpc.ts)
//   +0x18 EventId                 ULONG
//   +0x1C EventType               USHORT (EVENTLOG_*_TYPE)
//   +0x1E SourceLength            USHORT, bytes (at most 32)
//   +0x20 TextLength              USHORT, bytes (at most 160)
//   +0x22 Status                  USHORT: 0 recorded, 1 not (in a request's answer)
//   +0x24 Source                  WCHAR[16]
//   +0x44 Text                    WCHAR[80]

export const EVENTLOG_PORT_NAME = "\\EventLogPort";
/** The file the service appends one text line per event to. */
export const EVENTLOG_FILE_NAME = "\\SystemRoot\\System32\\config\\SysEvent.log";

export const EVENTLOG_ERROR_TYPE: u32 = 0x0001;
export const EVENTLOG_WARNING_TYPE: u32 = 0x0002;
export const EVENTLOG_INFORMATION_TYPE: u32 = 0x0004;
export const EVENTLOG_AUDIT_SUCCESS: u32 = 0x0008;
export const EVENTLOG_AUDIT_FAILURE: u32 = 0x0010;

export const EVENT_EVENTLOG_STARTED: u32 = 6005;
export const EVENT_LOGON: u32 = 528;
export const EVENT_LOGON_FAILURE: u32 = 529;
export const EVENT_LOGOFF: u32 = 538;
/** Ours in the Security log's style: a shutdown asked for at the logon screen (NT logs 513 when the system shuts down). */
export const EVENT_SHUTDOWN: u32 = 513;

export const SIZEOF_ELF_REPORT_MSG: u32 = 0xE4;
export const ELF_REPORT_EVENT_ID: u32 = 0x18;
export const ELF_REPORT_EVENT_TYPE: u32 = 0x1C;
export const ELF_REPORT_SOURCE_LENGTH: u32 = 0x1E;
export const ELF_REPORT_TEXT_LENGTH: u32 = 0x20;
export const ELF_REPORT_STATUS: u32 = 0x22;
export const ELF_REPORT_SOURCE: u32 = 0x24;
export const ELF_REPORT_TEXT: u32 = 0x44;
export const ELF_SOURCE_MAX: u32 = 32;   // bytes
export const ELF_TEXT_MAX: u32 = 160;    // bytes
