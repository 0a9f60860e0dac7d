// Threads from ring 3: NtCreateThread (suspended, then resumed), two
// CPU-bound threads of one process both progress, a thread that dies owning
// a mutant abandons it, waits on thread handles, exit statuses, suspend and
// resume, and terminating a waiting thread by handle.
import { show, NtAllocateVirtualMemory, NtCreateThread, NtResumeThread, NtSuspendThread, NtTerminateThread, NtWaitForSingleObject,
  NtCreateMutant, NtCreateEvent, NtReleaseMutant, NtQueryInformationThread, NtYieldExecution, NtDelayExecution, NtOpenThread, NtSetInformationThread, attributes, ms, put, putHex, putDec, flush } from "./nt";
import {
  ThreadBasicInformation, ThreadHideFromDebugger, ThreadPriority, SIZEOF_THREAD_BASIC_INFORMATION, THREAD_BASIC_INFORMATION,
} from "../../../kernel/sdk/procinfo";
/** A THREADINFOCLASS number NT does not define: the "unknown class" line. */
const NO_SUCH_THREAD_CLASS: u32 = 77;
@external("kernel", "func_address") declare function func_address(slot: u32): usize;
@external("kernel", "pause") declare function pause(): void;

const SELF: u32 = 0xFFFFFFFF;
const context = memory.data(716, 4);
const initialTeb = memory.data(20, 4);
const cell = memory.data(64, 4);
const t = memory.data(8, 8);
const tbi = memory.data(<i32>offsetof<THREAD_BASIC_INFORMATION>(), 4);
let mutant: u32 = 0;
let mainSpins: u32 = 0;
let workerSpins: u32 = 0;
let mainAtWorkerEnd: u32 = 0;

/** Starts `routine(param)` on a new 64 KiB stack; returns its handle. */
function spawn(routine: (p: u32) => void, param: u32, suspended: u32): u32 {
  store<u32>(cell, 0); store<u32>(cell, 0x10000, 4);
  NtAllocateVirtualMemory(SELF, cell, 0, cell + 4, 0x3000, 0x04);
  const bottom = load<u32>(cell), top = bottom + 0x10000;
  store<u32>(top - 8, <u32>func_address(load<u32>(changetype<usize>(threadReturned))));
  store<u32>(top - 4, param);
  memory.fill(context, 0, 716);
  store<u32>(context, <u32>func_address(load<u32>(changetype<usize>(routine))), 0xB8); // Eip
  store<u32>(context, top - 8, 0xC4);                                                     // Esp
  store<u32>(initialTeb, top, 8); store<u32>(initialTeb, bottom + 0x2000, 12);
  const s = NtCreateThread(cell + 8, 0x1F03FF, 0, SELF, cell + 12, context, initialTeb, suspended);
  if (s != 0) { show("create failed", s); return 0; }
  return load<u32>(cell, 8);
}

function threadReturned(p: u32): void { NtTerminateThread(0xFFFFFFFE, 0); }
// CPU-bound without yielding: each side only sees the other progress if the clock preempts it.
let workerDone = false;
function spinner(p: u32): void {
  const start = mainSpins;
  for (let i = 0; i < 200000000 && mainSpins == start; i++) { workerSpins++; pause(); }
  mainAtWorkerEnd = mainSpins - start;
  workerDone = true;
}
function owner(p: u32): void {
  put("owner takes the mutant "); putHex(NtWaitForSingleObject(mutant, 0, 0)); flush();
  NtTerminateThread(0xFFFFFFFE, p); // ends owning it
}
function sleeper(p: u32): void { show("sleeper woke", NtWaitForSingleObject(p, 0, 0)); }

export function main(): void {
  // An indirect call the optimiser cannot rule out keeps the function table
  // (func_address reads it): binaryen drops a table nothing calls through.
  const indirect: (p: u32) => void = threadReturned;
  // (Both condition and argument come from the PEB, which the optimiser cannot see: otherwise
  // it also concludes every such call passes 0 and folds the routines' parameter.)
  if (load<u32>(0x7FFDF0F0) == 0x12345678) indirect(load<u32>(0x7FFDF0F4));
  const a = spawn(spinner, 0, 1);
  store<u32>(cell, 0xFFFFFFFF, 16);
  show("resume", NtResumeThread(a, cell + 16));
  show("previous suspend count", load<u32>(cell, 16));
  for (let i = 0; i < 200000000 && workerSpins == 0; i++) { mainSpins++; pause(); }
  show("the worker ran while main spun", workerSpins > 0 ? 1 : 0);
  for (let i = 0; i < 200000000 && !workerDone; i++) { mainSpins++; pause(); }
  show("wait for the worker", NtWaitForSingleObject(a, 0, ms(t, 5000)));
  NtQueryInformationThread(a, ThreadBasicInformation, tbi, SIZEOF_THREAD_BASIC_INFORMATION, 0);
  show("worker exit status", changetype<THREAD_BASIC_INFORMATION>(tbi).ExitStatus);
  show("main ran while the worker ran", mainAtWorkerEnd > 0 ? 1 : 0);
  // A thread that dies owning a mutant.
  NtCreateMutant(cell + 20, 0x1F0001, 0, 0);
  mutant = load<u32>(cell, 20);
  const b = spawn(owner, 7, 0);
  show("wait for the owner", NtWaitForSingleObject(b, 0, ms(t, 5000)));
  NtQueryInformationThread(b, ThreadBasicInformation, tbi, SIZEOF_THREAD_BASIC_INFORMATION, 0);
  show("owner exit status", changetype<THREAD_BASIC_INFORMATION>(tbi).ExitStatus);
  show("abandoned", NtWaitForSingleObject(mutant, 0, ms(t, 1000)));
  show("release", NtReleaseMutant(mutant, 0));
  // Suspend a ready thread, resume it; terminate a waiting one by handle.
  NtCreateEvent(cell + 24, 0x1F0003, 0, 0, 0);
  const c = spawn(sleeper, load<u32>(cell, 24), 0);
  NtDelayExecution(0, ms(t, 20));
  show("suspend", NtSuspendThread(c, cell + 28));
  show("resume it", NtResumeThread(c, cell + 28));
  show("count was", load<u32>(cell, 28));
  show("terminate the sleeper", NtTerminateThread(c, 0x55));
  show("its handle is signalled", NtWaitForSingleObject(c, 0, ms(t, 1000)));
  NtQueryInformationThread(c, ThreadBasicInformation, tbi, SIZEOF_THREAD_BASIC_INFORMATION, 0);
  show("sleeper exit status", changetype<THREAD_BASIC_INFORMATION>(tbi).ExitStatus);
  show("current thread info", NtQueryInformationThread(0xFFFFFFFE, ThreadBasicInformation, tbi, SIZEOF_THREAD_BASIC_INFORMATION, 0));
  // Our own thread again, by its id from the TEB.
  store<u32>(cell, 0, 40); store<u32>(cell, load<u32>(0x7FFDE024), 44);
  show("open by id", NtOpenThread(cell + 48, 0x1F03FF, attributes("", 0), cell + 40));
  NtQueryInformationThread(load<u32>(cell, 48), ThreadBasicInformation, tbi, SIZEOF_THREAD_BASIC_INFORMATION, 0);
  show("same thread", changetype<THREAD_BASIC_INFORMATION>(tbi).ClientId_UniqueThread == load<u32>(0x7FFDE024) ? 1 : 0);
  store<u32>(cell, 0x99999, 44);
  show("no such thread", NtOpenThread(cell + 48, 0x1F03FF, attributes("", 0), cell + 40));
  // Priority.
  store<u32>(cell, 12, 52);
  show("set priority", NtSetInformationThread(0xFFFFFFFE, ThreadPriority, cell + 52, 4));
  NtQueryInformationThread(0xFFFFFFFE, ThreadBasicInformation, tbi, SIZEOF_THREAD_BASIC_INFORMATION, 0);
  show("priority now", changetype<THREAD_BASIC_INFORMATION>(tbi).Priority);
  store<u32>(cell, 0, 52);
  show("priority 0", NtSetInformationThread(0xFFFFFFFE, ThreadPriority, cell + 52, 4));
  show("hide from debugger", NtSetInformationThread(0xFFFFFFFE, ThreadHideFromDebugger, 0, 0));
  show("unknown class", NtSetInformationThread(0xFFFFFFFE, NO_SUCH_THREAD_CLASS, cell + 52, 4));
}
