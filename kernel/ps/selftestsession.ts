// Boot-time self-test of session space (mm/session.ts, from Ps: it needs processes), run in phase 1 right
// after the System process and session 0 exist, when the command line has
// `selftest`. Two processes are put in two new sessions; through the public
// API, in each one's address space (KeStackAttachProcess), it checks that a
// page committed at the same session address is a different frame with
// different contents in each session, that a frame one session shares with
// MmSessionMapShared is the same frame and bytes in the other, read-only
// pages stay read-only to the API, session 0 sees neither, and that ending
// the sessions gives every page back (the shared one only with its last
// session). One line: `mm: session self-test passed: N checks` or a
// `mm: session self-test FAILED: ...` line per failed check.

import { KeLogBegin, KeLogDecimal, KeLogEnd, KeLogHex, KeLogString, KeLogFormat2 } from "../ke/log";
import { MmAvailablePages } from "../mm/pfn";
import { ExPoolPages } from "../ex/pool";
import { MmDeleteProcessAddressSpace } from "../mm/procmm";
import {
  MM_SESSION_SPACE, MmSessionCommit, MmSessionCreateSpace, MmSessionDecommit, MmSessionMapShared, MmSessionPageFrame,
  MmSessionProtect, MmSessionSpaceEnd, MmSessionSpaceStart,
} from "../mm/session";
import {
  EPROCESS, EPROCESS_ACTIVE_LINKS, PspAllocateProcessNamed, PspCreateAddressSpace,
  PspDereferenceProcess,
} from "./psmain";
import { KeStackAttachProcess, KeUnstackDetachProcess } from "../ke/attach";
import { PsGetCurrentSessionId, PspSessionAddProcess, PspSessionRemoveProcess } from "./pssession";
import { RemoveEntryList } from "../sdk/list";
import { STATUS_CONFLICTING_ADDRESSES, STATUS_INVALID_PARAMETER, STATUS_NOT_COMMITTED, STATUS_SUCCESS } from "../sdk/ntstatus";

let checks: u32 = 0;
let failures: u32 = 0;

function check(ok: bool, what: string, value: u32): void {
  checks++;
  if (ok) return;
  failures++;
  KeLogFormat2("mm", "session self-test FAILED: %s %x", changetype<usize>(what), value);
}

/** Moves `process` (no threads) into a new session and gives it an address space. */
function MiTestProcess(process: usize): usize {
  if (process == 0) return 0;
  PspSessionRemoveProcess(process, 0);          // out of session 0 (System's, its creator's)
  const session = MmSessionCreateSpace();
  if (session == 0) return 0;
  PspSessionAddProcess(process, session);
  changetype<EPROCESS>(process).DirectoryTableBase = PspCreateAddressSpace(process);
  return process;
}

/** Its session ends with it (the last process); the block goes. */
function MiEndTestProcess(process: usize): void {
  const p = changetype<EPROCESS>(process);
  MmDeleteProcessAddressSpace(p.DirectoryTableBase);
  p.DirectoryTableBase = 0;
  RemoveEntryList(process + EPROCESS_ACTIVE_LINKS);
  PspDereferenceProcess(process); // never ran: its session loses it and ends
}

export function PsRunSessionSelfTest(): void {
  const data = MmSessionSpaceStart + 0x10000;   // two private pages
  const code = MmSessionSpaceStart + 0x800000;  // one shared page
  const frame = memory.data(4, 4);
  const pa = PspAllocateProcessNamed(memory.data<u8>([0x73, 0x65, 0x73, 0x73, 0x2D, 0x61, 0])); // "sess-a"
  const pb = PspAllocateProcessNamed(memory.data<u8>([0x73, 0x65, 0x73, 0x73, 0x2D, 0x62, 0])); // "sess-b"
  // Pages free or in the pool (which keeps its pages): what the sessions take must all come back.
  const free0 = MmAvailablePages + ExPoolPages;
  const a = MiTestProcess(pa);
  const b = MiTestProcess(pb);
  check(a != 0 && b != 0, "two processes in two new sessions", 0);
  if (a == 0 || b == 0) return;
  const idA = changetype<EPROCESS>(a).SessionId, idB = changetype<EPROCESS>(b).SessionId;
  check(idA != 0 && idB != 0 && idA != idB, "session ids", (idA << 16) | idB);

  KeStackAttachProcess(a);
  check(PsGetCurrentSessionId() == idA, "current session id in A", PsGetCurrentSessionId());
  check(MmSessionCommit(data, 8192) == STATUS_SUCCESS, "commit in A", 0);
  store<u32>(data, 0xAAAA0001);
  store<u32>(data + 4096, 0xAAAA0002);
  check(MmSessionCommit(code, 4096) == STATUS_SUCCESS, "commit the page to share", 0);
  for (let i: u32 = 0; i < 4096; i += 4) store<u32>(code + i, 0xC0DE0000 ^ i);
  const sharedFrame = MmSessionPageFrame(code);
  const frameA = MmSessionPageFrame(data);
  check(sharedFrame != 0 && frameA != 0, "frames in A", frameA);
  check(MmSessionProtect(code, 4096, false) == STATUS_SUCCESS, "protect the shared page", 0);
  check(MmSessionProtect(code + 4096, 4096, false) == STATUS_NOT_COMMITTED, "protect a page not there", 0);
  check(MmSessionCommit(MmSessionSpaceEnd, 4096) == STATUS_INVALID_PARAMETER, "commit above session space", 0);
  check(MmSessionCommit(MmSessionSpaceStart - 4096, 8192) == STATUS_INVALID_PARAMETER, "commit across its start", 0);
  KeUnstackDetachProcess();

  KeStackAttachProcess(b);
  check(PsGetCurrentSessionId() == idB, "current session id in B", PsGetCurrentSessionId());
  check(MmSessionPageFrame(data) == 0, "B does not see A's page", MmSessionPageFrame(data));
  check(MmSessionCommit(data, 8192) == STATUS_SUCCESS, "commit in B", 0);
  check(load<u32>(data) == 0 && load<u32>(data + 4096) == 0, "B's pages start zeroed", load<u32>(data));
  store<u32>(data, 0xBBBB0001);
  check(MmSessionPageFrame(data) != frameA, "B's page is another frame", MmSessionPageFrame(data));
  store<u32>(frame, sharedFrame);
  check(MmSessionMapShared(code, frame, 1) == STATUS_SUCCESS, "map the shared frame in B", 0);
  check(MmSessionPageFrame(code) == sharedFrame, "same frame in B", MmSessionPageFrame(code));
  let same = true;
  for (let i: u32 = 0; i < 4096; i += 4) if (load<u32>(code + i) != (0xC0DE0000 ^ i)) same = false;
  check(same, "same bytes in B", load<u32>(code));
  check(MmSessionMapShared(code, frame, 1) == STATUS_CONFLICTING_ADDRESSES, "map over a page that is there", 0);
  check(MmSessionDecommit(data + 4096, 4096) == STATUS_SUCCESS && MmSessionPageFrame(data + 4096) == 0, "decommit in B", 0);
  KeUnstackDetachProcess();

  KeStackAttachProcess(a);
  check(load<u32>(data) == 0xAAAA0001 && load<u32>(data + 4096) == 0xAAAA0002, "A's pages kept their bytes", load<u32>(data));
  KeUnstackDetachProcess();
  check(MmSessionPageFrame(data) == 0 && MmSessionPageFrame(code) == 0, "session 0 sees neither", 0);

  // A ends: the shared frame stays B's.
  MiEndTestProcess(a);
  KeStackAttachProcess(b);
  check(MmSessionPageFrame(code) == sharedFrame && load<u32>(code + 8) == (0xC0DE0000 ^ 8), "shared page outlives A", load<u32>(code + 8));
  KeUnstackDetachProcess();
  MiEndTestProcess(b);
  check(MmAvailablePages + ExPoolPages == free0, "every page back", MmAvailablePages + ExPoolPages - free0);

  KeLogBegin("mm");
  if (failures == 0) {
    KeLogString("session self-test passed: ");
    KeLogDecimal(checks);
    KeLogString(" checks");
  } else {
    KeLogString("session self-test: ");
    KeLogDecimal(failures);
    KeLogString(" of ");
    KeLogDecimal(checks);
    KeLogString(" checks failed");
  }
  KeLogEnd();
}
