// For test/boot/kd.test.ts: a native program that raises its thread to
// priority 31 (the highest) and then spins in ring 3 forever, never making
// a system call again. Nothing of lower priority runs after that; the
// kernel debugger on COM2 must still answer (its IRQ 3 comes whatever ring
// 3 does).
import { Hex, Log } from "../../../images/system32/native/util";
import { ThreadPriority } from "../../../kernel/sdk/procinfo";

@external("ntdll", "NtSetInformationThread")
declare function NtSetInformationThread(thread: u32, informationClass: u32, information: usize, length: u32): u32;

/** NtCurrentThread(). */
const CURRENT_THREAD: u32 = 0xFFFFFFFE;
/** THREADINFOCLASS ThreadPriority: a KPRIORITY (LONG). */
const HIGHEST_PRIORITY: u32 = 31;

const priority = memory.data(4, 4);
/** Written every turn so the loop is not optimised away. */
let state: u32 = 1;

export function main(): void {
  store<u32>(priority, HIGHEST_PRIORITY);
  const status = NtSetInformationThread(CURRENT_THREAD, ThreadPriority, priority, 4);
  Log("priority " + HIGHEST_PRIORITY.toString() + ": " + Hex(status) + "; spinning in user mode");
  while (true) state = state * 1103515245 + 12345;
}
