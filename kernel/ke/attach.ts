// A thread working in another process's address space for a while (NT's
// KeStackAttachProcess / KeUnstackDetachProcess): Mm copying between
// processes, Ps mapping an image or a port view into a process it is
// making. The attached process is the thread's (KTHREAD.AttachedProcess),
// so the switch hook (ps) keeps it across preemption, and the caller's own
// user memory is out of reach until it detaches.
//
// Ke knows of a process only what NT's KPROCESS begins with: its dispatcher
// header and its page directory (KPROCESS, ke/thread.ts, beside KTHREAD).
// EPROCESS (ps/psmain.ts) begins with the same fields; the rest of it is Ps's.

import { KPROCESS, KTHREAD, KeCurrentThread } from "./thread";
import { read_cr3, write_cr3 } from "../sdk/intrinsics";

/** The directory of a thread that belongs to no process (Mm's boot directory, handed in at its initialisation). */
let KiKernelDirectory: u32 = 0;
export function KeSetKernelDirectory(directory: u32): void { KiKernelDirectory = directory; }

function KiSwitchDirectory(directory: u32): void {
  if ((read_cr3() & 0xFFFFF000) != directory) write_cr3(directory);
}

/** Works in `process`'s address space until KeUnstackDetachProcess. */
export function KeStackAttachProcess(process: usize): void {
  changetype<KTHREAD>(KeCurrentThread).AttachedProcess = process;
  KiSwitchDirectory(changetype<KPROCESS>(process).DirectoryTableBase);
}

/** Back in the thread's own process's address space. */
export function KeUnstackDetachProcess(): void {
  const t = changetype<KTHREAD>(KeCurrentThread);
  t.AttachedProcess = 0;
  KiSwitchDirectory(t.Process != 0 ? changetype<KPROCESS>(t.Process).DirectoryTableBase : KiKernelDirectory);
}
