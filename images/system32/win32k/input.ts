// Keys: the kernel's keyboard driver queues KEY_EVENT_RECORDs per session
// (kernel/io/kbdqueue.ts); NtUserReadKey takes the next one of the caller's
// session, waiting as long as the caller's timeout says.

import {
  ExAllocatePoolWithTag, ExCopyFromUser, ExCopyToUser, ExFreePoolWithTag, IoReadKeyboardEvent, NonPagedPool, ProbeUserRange,
  STATUS_ACCESS_VIOLATION, STATUS_INSUFFICIENT_RESOURCES, STATUS_SUCCESS,
} from "./ntos";
import { KEY_EVENT_RECORD_SIZE } from "../../../kernel/sdk/ntuser";

const KEY_TAG: u32 = 0x4B323357; // 'W32K'

export function NtUserReadKey(key: usize, timeout: usize): u32 {
  if (!ProbeUserRange(key, KEY_EVENT_RECORD_SIZE, 4)) return STATUS_ACCESS_VIOLATION;
  if (timeout != 0 && !ProbeUserRange(timeout, 8, 4)) return STATUS_ACCESS_VIOLATION;
  // A kernel copy: the record and the timeout (read once); the record goes out in one guarded copy.
  const block = ExAllocatePoolWithTag(NonPagedPool, KEY_EVENT_RECORD_SIZE + 8, KEY_TAG);
  if (block == 0) return STATUS_INSUFFICIENT_RESOURCES;
  let due: usize = 0;
  if (timeout != 0) {
    if (!ExCopyFromUser(block + KEY_EVENT_RECORD_SIZE, timeout, 8)) { ExFreePoolWithTag(block, KEY_TAG); return STATUS_ACCESS_VIOLATION; }
    due = block + KEY_EVENT_RECORD_SIZE;
  }
  let status = IoReadKeyboardEvent(block, due);
  if (status == STATUS_SUCCESS && !ExCopyToUser(key, block, KEY_EVENT_RECORD_SIZE)) status = STATUS_ACCESS_VIOLATION; // the key is gone, as a key read into a bad buffer is on NT
  ExFreePoolWithTag(block, KEY_TAG);
  return status;
}
