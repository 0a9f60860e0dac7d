// Process races from ring 3 (test/boot/psraces.test.ts), on copies of this
// process (NtCreateProcessEx with no section):
//   - ProcessAccessToken: accepted for a copy that has not run (no thread,
//     or one created suspended), refused with STATUS_UNSUCCESSFUL for this
//     running process, for a copy whose thread was resumed and for one that
//     has ended;
//   - NtCreateThread into a process that has ended (one whose last thread
//     ended, one terminated before any thread ran) is refused with
//     STATUS_PROCESS_IS_TERMINATING, and so is reserving memory in it (the
//     virtual memory services on an ended process), and the machine goes on.
// Every line is "what status".
import {
  NtAllocateVirtualMemory, NtClose, NtCreateProcessEx, NtCreateThread, NtDelayExecution, NtResumeThread, NtSetInformationProcess,
  NtTerminateProcess, NtWaitForSingleObject, attributes, ms, show,
} from "./nt";

import { ProcessAccessToken } from "../../../kernel/sdk/security";

@external("kernel", "func_address") declare function func_address(slot: u32): usize;
@external("ntdll", "NtOpenProcessToken") declare function NtOpenProcessToken(process: u32, access: u32, token: usize): u32;
@external("ntdll", "NtAdjustPrivilegesToken") declare function NtAdjustPrivilegesToken(token: u32, disableAll: u32, newState: usize, length: u32, previous: usize, returnLength: usize): u32;

const SELF: u32 = 0xFFFFFFFF;

const SE_ASSIGNPRIMARYTOKEN_PRIVILEGE: u32 = 3;
const h = memory.data(32, 4);
const cell = memory.data(32, 4);
const info = memory.data(16, 4);
const t = memory.data(8, 8);
const context = memory.data(716, 4);
const initialTeb = memory.data(20, 4);

/** What a thread in a copy runs: it sleeps until its process is ended. */
function sleeper(p: u32): void {
  while (true) NtDelayExecution(0, ms(t, 1000));
}

/** A copy of this process with no thread; its handle. */
function copy(): u32 {
  show("copy", NtCreateProcessEx(h, 0x1F0FFF, attributes("", 0), SELF, 0, 0, 0, 0, 0));
  return load<u32>(h);
}

/** NtCreateThread into `process` running sleeper() on a stack of its own there; the thread's handle at h + 4. */
function thread(process: u32, suspended: u32): u32 {
  store<u32>(cell, 0); store<u32>(cell, 0x10000, 4);
  NtAllocateVirtualMemory(process, cell, 0, cell + 4, 0x3000, 0x04);
  const bottom = load<u32>(cell), top = bottom + 0x10000;
  memory.fill(context, 0, 716);
  store<u32>(context, <u32>func_address(load<u32>(changetype<usize>(sleeper))), 0xB8); // Eip
  store<u32>(context, top - 8, 0xC4);                                                      // Esp
  store<u32>(initialTeb, top, 8); store<u32>(initialTeb, bottom + 0x2000, 12);
  store<u32>(h, 0, 4);
  return NtCreateThread(h + 4, 0x1F03FF, 0, process, 0, context, initialTeb, suspended);
}

function setToken(what: string, process: u32, token: u32): void {
  store<u32>(info, token); store<u32>(info, 0, 4);
  show(what, NtSetInformationProcess(process, ProcessAccessToken, info, 8));
}

export function main(): void {
  // An indirect call (never made) keeps the function table, which func_address reads.
  if (load<u32>(0x7FFDF0F0) == 0x12345678) { const indirect: (p: u32) => void = sleeper; indirect(0); }
  // SeAssignPrimaryTokenPrivilege, which SYSTEM has disabled.
  show("open token", NtOpenProcessToken(SELF, 0x2B /* TOKEN_ASSIGN_PRIMARY | TOKEN_DUPLICATE | TOKEN_QUERY | TOKEN_ADJUST_PRIVILEGES */, h + 8));
  const token = load<u32>(h, 8);
  store<u32>(cell, 1); store<u32>(cell, SE_ASSIGNPRIMARYTOKEN_PRIVILEGE, 4); store<u32>(cell, 0, 8); store<u32>(cell, 2, 12);
  show("enable SeAssignPrimaryTokenPrivilege", NtAdjustPrivilegesToken(token, 0, cell, 0, 0, 0));

  // ProcessAccessToken before and after a process runs.
  const a = copy();
  setToken("token: a copy with no thread", a, token);
  setToken("token: this process, running", SELF, token);
  show("a suspended thread in the copy", thread(a, 1));
  const suspended = load<u32>(h, 4);
  setToken("token: the copy, its thread suspended", a, token);
  show("resume it", NtResumeThread(suspended, 0));
  setToken("token: the copy, its thread resumed", a, token);
  // It ends when terminated (its thread sleeps): then no thread may go into it.
  show("end the copy", NtTerminateProcess(a, 0x77));
  show("wait for it", NtWaitForSingleObject(a, 0, ms(t, 10000)));
  NtClose(suspended);
  show("thread: into the ended copy", thread(a, 0));
  show("thread: into the ended copy, suspended", thread(a, 1));
  setToken("token: the ended copy", a, token);
  store<u32>(cell, 0); store<u32>(cell, 0x10000, 4);
  show("reserve in the ended copy", NtAllocateVirtualMemory(a, cell, 0, cell + 4, 0x2000, 0x04));
  NtClose(a);

  // A copy ended before any thread ran (NtTerminateProcess of a threadless process).
  const b = copy();
  show("end the threadless copy", NtTerminateProcess(b, 0x78));
  show("wait for it", NtWaitForSingleObject(b, 0, ms(t, 10000)));
  show("thread: into the ended threadless copy", thread(b, 0));
  NtClose(b);

  // The machine goes on: a copy made now takes a thread and runs.
  const c = copy();
  show("thread: into a live copy", thread(c, 0));
  NtClose(load<u32>(h, 4));
  show("end it", NtTerminateProcess(c, 0x79));
  show("wait for it", NtWaitForSingleObject(c, 0, ms(t, 10000)));
  NtClose(c);
  NtClose(token);
  show("done", 0);
}
