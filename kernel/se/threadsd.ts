// Threads' own security descriptors (NtSetSecurityObject on a thread).
//
// A thread is protected by its process's descriptor (the EPROCESS's, ps/)
// until NtSetSecurityObject gives it one of its own, as NT's threads have
// theirs. Ke's KTHREAD has no room for it and Ke cannot free pool, so the
// descriptors live here: a list of (KTHREAD, thread id, 'SeSd' block)
// records under Ob's lock. The id (never reused while the kernel runs: Ke
// counts up) makes a record that outlives its thread harmless: a new thread
// at the same address has another id. Ps forgets a thread's record when it
// ends (PspExitThread); a thread ended before it ever ran keeps its record,
// unreachable, until the next one of its address is given a descriptor.

import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { ExFreeSecurityDescriptor } from "../ex/security";
import { ObAcquireObjectLock, ObReleaseObjectLock } from "../ob/obp";

@unmanaged class SE_THREAD_SECURITY {
  Next: usize;
  Thread: usize;
  Id: u32;
  Descriptor: usize;
}
const SIZEOF_SE_THREAD_SECURITY: u32 = 16;
const SE_THREAD_TAG: u32 = 0x64546553; // 'SeTd'

let SepThreadSecurity: usize = 0; // the list's head, under Ob's lock

/** The record of `thread` (a KTHREAD) with id `id`, or 0. Under Ob's lock. */
function SepFind(thread: usize, id: u32): usize {
  for (let r = SepThreadSecurity; r != 0; r = changetype<SE_THREAD_SECURITY>(r).Next) {
    const t = changetype<SE_THREAD_SECURITY>(r);
    if (t.Thread == thread && t.Id == id) return r;
  }
  return 0;
}

/** A thread's own descriptor, or 0 (it has its process's). Under Ob's lock; valid while it is held. */
export function SeThreadSecurity(thread: usize, id: u32): usize {
  const r = SepFind(thread, id);
  return r != 0 ? changetype<SE_THREAD_SECURITY>(r).Descriptor : 0;
}

/**
 * Gives `thread` (id `id`) the descriptor `sd` (a 'SeSd' block it then
 * owns). Returns the block for the caller to free: the thread's previous
 * one (0 when it had none), or `sd` itself when no pool was left for a
 * record (then nothing changed: NtSetSecurityObject still answers success,
 * as the Ob routine cannot say otherwise). Under Ob's lock.
 */
export function SeSetThreadSecurity(thread: usize, id: u32, sd: usize): usize {
  let r = SepFind(thread, id);
  if (r != 0) {
    const previous = changetype<SE_THREAD_SECURITY>(r).Descriptor;
    changetype<SE_THREAD_SECURITY>(r).Descriptor = sd;
    return previous;
  }
  // A record of an ended thread at this address (another id) goes now.
  for (let at = changetype<usize>(0), p = SepThreadSecurity; p != 0; at = p, p = changetype<SE_THREAD_SECURITY>(p).Next) {
    if (changetype<SE_THREAD_SECURITY>(p).Thread != thread) continue;
    const next = changetype<SE_THREAD_SECURITY>(p).Next;
    if (at == 0) SepThreadSecurity = next; else changetype<SE_THREAD_SECURITY>(at).Next = next;
    ExFreeSecurityDescriptor(changetype<SE_THREAD_SECURITY>(p).Descriptor);
    ExFreePoolWithTag(p, SE_THREAD_TAG);
    break;
  }
  r = ExAllocatePoolWithTag(NonPagedPool, SIZEOF_SE_THREAD_SECURITY, SE_THREAD_TAG);
  if (r == 0) return sd;
  const t = changetype<SE_THREAD_SECURITY>(r);
  t.Thread = thread;
  t.Id = id;
  t.Descriptor = sd;
  t.Next = SepThreadSecurity;
  SepThreadSecurity = r;
  return 0;
}

/** Ps, when a thread ends: its own descriptor goes (takes Ob's lock; the pool is freed after it). */
export function SeForgetThreadSecurity(thread: usize, id: u32): void {
  const lock = ObAcquireObjectLock();
  let found: usize = 0;
  for (let at = changetype<usize>(0), p = SepThreadSecurity; p != 0; at = p, p = changetype<SE_THREAD_SECURITY>(p).Next) {
    const t = changetype<SE_THREAD_SECURITY>(p);
    if (t.Thread != thread || t.Id != id) continue;
    if (at == 0) SepThreadSecurity = t.Next; else changetype<SE_THREAD_SECURITY>(at).Next = t.Next;
    found = p;
    break;
  }
  ObReleaseObjectLock(lock);
  if (found == 0) return;
  ExFreeSecurityDescriptor(changetype<SE_THREAD_SECURITY>(found).Descriptor);
  ExFreePoolWithTag(found, SE_THREAD_TAG);
}
