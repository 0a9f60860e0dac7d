// Keys: the kernel's keyboard driver queues KEY_EVENT_RECORDs per session
// (kernel/io/kbdqueue.ts); NtUserReadKey takes the next one of the caller's
// session, waiting as long as the caller's timeout says.

import {
  ExAllocatePoolWithTag, ExFreePoolWithTag, IoReadKeyboardEvent, NonPagedPool, ProbeForRead, ProbeForWrite,
  STATUS_ACCESS_VIOLATION, STATUS_INSUFFICIENT_RESOURCES, STATUS_SUCCESS,
} from "./ntos";
import { KEY_EVENT_RECORD_SIZE } from "../../../kernel/sdk/ntuser";

const KEY_TAG: u32 = 0x4B323357; // 'W32K'

export function NtUserReadKey(key: usize, timeout: usize): u32 {
  if (!ProbeForWrite(key, KEY_EVENT_RECORD_SIZE, 4)) return STATUS_ACCESS_VIOLATION;
  if (timeout != 0 && !ProbeForRead(timeout, 8, 4)) return STATUS_ACCESS_VIOLATION;
  // A kernel copy: the record and the timeout (read once).
  const block = ExAllocatePoolWithTag(NonPagedPool, KEY_EVENT_RECORD_SIZE + 8, KEY_TAG);
  if (block == 0) return STATUS_INSUFFICIENT_RESOURCES;
  let due: usize = 0;
  if (timeout != 0) { store<i64>(block + KEY_EVENT_RECORD_SIZE, load<i64>(timeout)); due = block + KEY_EVENT_RECORD_SIZE; }
  const status = IoReadKeyboardEvent(block, due);
  if (status == STATUS_SUCCESS) memory.copy(key, block, KEY_EVENT_RECORD_SIZE);
  ExFreePoolWithTag(block, KEY_TAG);
  return status;
}
