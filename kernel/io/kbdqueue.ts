// Key queues: one per session. The i8042 driver (drivers/i8042.ts) turns scan
// codes into KEY_EVENT_RECORDs and puts them in the ACTIVE session's queue
// (ke/shadow.ts); a thread reads its OWN session's queue (win32k.sys's
// NtUserReadKey calls IoReadKeyboardEvent, an ntoskrnl.exe export).
//
// The queues are kernel memory, not session space: the keyboard interrupt
// comes in whatever process is running, whose session may not be the active
// one. A full queue drops the oldest event.
//
//   queue (per session): +0 KEVENT (notification: signalled while not empty)
//                        +16 head  +20 count  +24 the events, QUEUE_LENGTH x 16

import { cli, read_eflags, sti } from "../sdk/intrinsics";
import { KEVENT_SIZE, KeInitializeEvent, KeResetEvent, KeSetEvent, KeWaitForSingleObject } from "../ke/wait";
import { KEY_EVENT_RECORD_SIZE } from "../sdk/ntuser";
import { STATUS_INVALID_PARAMETER, STATUS_SUCCESS, STATUS_TIMEOUT } from "../sdk/ntstatus";
import { KE_MAX_SESSIONS as MM_MAX_SESSIONS, KeGetCurrentSessionId } from "../ke/shadow";

/** Events a session's queue holds. */
const QUEUE_LENGTH: u32 = 32;
const Q_HEAD: u32 = KEVENT_SIZE;
const Q_COUNT: u32 = KEVENT_SIZE + 4;
const Q_EVENTS: u32 = KEVENT_SIZE + 8;
const QUEUE_BYTES: u32 = Q_EVENTS + QUEUE_LENGTH * KEY_EVENT_RECORD_SIZE;

const IopKeyQueues: usize = memory.data(<i32>(MM_MAX_SESSIONS * QUEUE_BYTES), 8);
let IopKeyQueuesReady: bool = false;
/** Events dropped because a queue was full (all sessions). */
export let IoKeyEventsDropped: u32 = 0;

@inline function Queue(session: u32): usize { return IopKeyQueues + session * QUEUE_BYTES; }

/** Phase 1: the empty queues. */
export function IoInitializeKeyQueues(): void {
  for (let s: u32 = 0; s < MM_MAX_SESSIONS; s++) {
    memory.fill(Queue(s), 0, QUEUE_BYTES);
    KeInitializeEvent(Queue(s), true, false);
  }
  IopKeyQueuesReady = true;
}

/** Appends the 16-byte event at `record` to session `session`'s queue (interrupt time). */
export function IoQueueKeyEvent(session: u32, record: usize): void {
  if (!IopKeyQueuesReady || session >= MM_MAX_SESSIONS) return;
  const f = read_eflags() & 0x200;
  cli();
  const q = Queue(session);
  let head = load<u32>(q, Q_HEAD), count = load<u32>(q, Q_COUNT);
  if (count == QUEUE_LENGTH) { head = (head + 1) % QUEUE_LENGTH; count--; IoKeyEventsDropped++; }
  memory.copy(q + Q_EVENTS + ((head + count) % QUEUE_LENGTH) * KEY_EVENT_RECORD_SIZE, record, KEY_EVENT_RECORD_SIZE);
  store<u32>(q, head, Q_HEAD);
  store<u32>(q, count + 1, Q_COUNT);
  if (f != 0) sti();
  KeSetEvent(q);
}

/** Empties session `session`'s queue (the session ended). */
export function IoFlushKeyQueue(session: u32): void {
  if (!IopKeyQueuesReady || session >= MM_MAX_SESSIONS) return;
  const f = read_eflags() & 0x200;
  cli();
  store<u32>(Queue(session), 0, Q_HEAD);
  store<u32>(Queue(session), 0, Q_COUNT);
  KeResetEvent(Queue(session));
  if (f != 0) sti();
}

/** Takes the oldest event of `session`'s queue into `record` (kernel memory); false when empty. */
function IopDequeue(session: u32, record: usize): bool {
  const f = read_eflags() & 0x200;
  cli();
  const q = Queue(session);
  const head = load<u32>(q, Q_HEAD), count = load<u32>(q, Q_COUNT);
  let got = false;
  if (count != 0) {
    memory.copy(record, q + Q_EVENTS + head * KEY_EVENT_RECORD_SIZE, KEY_EVENT_RECORD_SIZE);
    store<u32>(q, (head + 1) % QUEUE_LENGTH, Q_HEAD);
    store<u32>(q, count - 1, Q_COUNT);
    if (count == 1) KeResetEvent(q);
    got = true;
  }
  if (f != 0) sti();
  return got;
}

/**
 * Waits for the next key event of the calling thread's session and copies
 * it to `record` (kernel memory, 16 bytes). `timeout` points at an NT
 * timeout (kernel memory; negative = relative) or is 0 to wait forever.
 * STATUS_SUCCESS or STATUS_TIMEOUT.
 */
export function IoReadKeyboardEvent(record: usize, timeout: usize): u32 {
  const session = KeGetCurrentSessionId();
  if (!IopKeyQueuesReady || session >= MM_MAX_SESSIONS || record == 0) return STATUS_INVALID_PARAMETER;
  let status = STATUS_SUCCESS;
  while (!IopDequeue(session, record)) {
    status = KeWaitForSingleObject(Queue(session), timeout, true);
    if (status != STATUS_SUCCESS) break; // STATUS_TIMEOUT (or an alert)
  }
  return status;
}
