// wininit.exe, session 0's initialization (Vista's): started by session 0's
// smss copy after csrss. It is critical (its end stops the system), starts
// services.exe (the service control manager) and lsass.exe (the local
// security authority), in NT's order, and waits on them: the end of either
// is logged with its status. NT's wininit shuts the system down when lsass
// ends; here lsass is critical itself, so the kernel stops the system first.
//
// Threads: one (audited 2026-12-07): it starts none, so its static buffers and
// globals have one user; the ntdll routines it calls lock for themselves.

import {
  NtWaitForMultipleObjects, NtDelayExecution, NtClose, RtlSetProcessIsCritical, STATUS_SUCCESS,
} from "../native/nt";
import { CurrentProcessId, CurrentSessionId, Decimal, ExitStatus, Hex, Log, LogFailure, StartProcess, Started } from "../native/util";

const PROGRAMS: string[] = ["services.exe", "lsass.exe"];
const forever = memory.data<u64>([0x8000000000000000]);

export function main(): void {
  const critical = RtlSetProcessIsCritical(true, 0, false);
  Log("session " + Decimal(CurrentSessionId()) + ", process " + Decimal(CurrentProcessId()) + (critical == STATUS_SUCCESS ? ", critical" : ""));
  const started = new Array<Started>();
  const names = new Array<string>();
  let text = "";
  for (let i = 0; i < PROGRAMS.length; i++) {
    const path = "\\SystemRoot\\System32\\" + PROGRAMS[i];
    const s = StartProcess(path, path, 0, false);
    if (s.process == 0) { LogFailure("RtlCreateUserProcess", s.status, path); continue; }
    NtClose(s.thread);
    started.push(s);
    names.push(PROGRAMS[i]);
    text += (text.length != 0 ? " and " : "") + PROGRAMS[i] + " (process " + Decimal(s.pid) + ")";
  }
  Log("started " + (text.length != 0 ? text : "nothing") + "; waiting on them");
  const handles = heap.alloc(4 * 8);
  while (started.length != 0) {
    for (let i = 0; i < started.length; i++) store<u32>(handles + (<usize>i << 2), started[i].process);
    const which = NtWaitForMultipleObjects(<u32>started.length, handles, 1 /* WaitAny */, 0, 0);
    if (which >= <u32>started.length) { LogFailure("NtWaitForMultipleObjects", which, ""); break; }
    const s = started[which];
    Log(names[which] + " (process " + Decimal(s.pid) + ") ended with status " + Hex(ExitStatus(s.process)));
    NtClose(s.process);
    started.splice(which, 1);
    names.splice(which, 1);
  }
  while (true) NtDelayExecution(0, forever);
}
