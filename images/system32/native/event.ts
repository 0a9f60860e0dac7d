// Reporting an event to the event log service (\EventLogPort,
// kernel/sdk/eventlog.ts): one request per event, answered once the record is
// on the disk (so a shutdown right after a report keeps it). A program
// connects on its first report; while the service is not there, reports are
// dropped (and the next report tries to connect again).

import { NtConnectPort, NtRequestWaitReplyPort, NtClose, STATUS_SUCCESS } from "./nt";
import { Unicode } from "./util";
import {
  EVENTLOG_PORT_NAME, SIZEOF_ELF_REPORT_MSG, ELF_REPORT_EVENT_ID, ELF_REPORT_EVENT_TYPE, ELF_REPORT_SOURCE_LENGTH,
  ELF_REPORT_TEXT_LENGTH, ELF_REPORT_SOURCE, ELF_REPORT_TEXT, ELF_SOURCE_MAX, ELF_TEXT_MAX,
} from "../../../kernel/sdk/eventlog";
import { InitializeSecurityQualityOfService, SECURITY_DYNAMIC_TRACKING, SecurityIdentification } from "../../../kernel/sdk/lpc";

let EventPort: u32 = 0;
const message = memory.data(<i32>SIZEOF_ELF_REPORT_MSG, 8);
const handle = memory.data(4, 4);
const qos = memory.data(12, 4);

/** Reports an event; true when it was sent. */
export function ReportEvent(source: string, type: u32, id: u32, text: string): bool {
  if (EventPort == 0) {
    InitializeSecurityQualityOfService(qos, SecurityIdentification, SECURITY_DYNAMIC_TRACKING, true);
    if (NtConnectPort(handle, Unicode(EVENTLOG_PORT_NAME), qos, 0, 0, 0, 0, 0) != STATUS_SUCCESS) return false;
    EventPort = load<u32>(handle);
  }
  memory.fill(message, 0, SIZEOF_ELF_REPORT_MSG);
  const sourceBytes = <u32>min<i32>(source.length << 1, <i32>ELF_SOURCE_MAX);
  const textBytes = <u32>min<i32>(text.length << 1, <i32>ELF_TEXT_MAX);
  store<u16>(message, <u16>(SIZEOF_ELF_REPORT_MSG - 24));            // DataLength
  store<u16>(message, <u16>SIZEOF_ELF_REPORT_MSG, 2);                // TotalLength
  store<u32>(message + ELF_REPORT_EVENT_ID, id);
  store<u16>(message + ELF_REPORT_EVENT_TYPE, <u16>type);
  store<u16>(message + ELF_REPORT_SOURCE_LENGTH, <u16>sourceBytes);
  store<u16>(message + ELF_REPORT_TEXT_LENGTH, <u16>textBytes);
  memory.copy(message + ELF_REPORT_SOURCE, changetype<usize>(source), sourceBytes);
  memory.copy(message + ELF_REPORT_TEXT, changetype<usize>(text), textBytes);
  if (NtRequestWaitReplyPort(EventPort, message, message) == STATUS_SUCCESS) return true;
  NtClose(EventPort); // the service went away: connect again next time
  EventPort = 0;
  return false;
}
