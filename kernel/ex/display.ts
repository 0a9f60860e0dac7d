// NtDisplayString: a user process writes a line to the console. NT shows it
// on the boot screen; here it becomes a log line whose component is the
// process's image name (`[    1.234567] smss: text`).

import { ExCopyFromUser, ProbeUserRange } from "../ke/probe";
import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "./pool";
import { KeLogCharacter, KeLogEnd } from "../ke/log";
import { KeLogBeginForCurrentProcess } from "../ke/log";
import { STATUS_ACCESS_VIOLATION, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_PARAMETER, STATUS_SUCCESS } from "../sdk/ntstatus";


/** The most text a log line holds (ke/log.ts keeps 640 characters): bytes of the caller's string looked at. */
const DISPLAY_MAX_BYTES: u32 = 1280;
const DISPLAY_TAG: u32 = 0x70736944; // 'Disp'

/**
 * NtDisplayString(PUNICODE_STRING String). The UNICODE_STRING is read once
 * into kernel memory and the text a line can hold copied into pool through
 * the user-copy routine, before the line starts (the log runs with
 * interrupts off): a page that goes away under the copy is
 * STATUS_ACCESS_VIOLATION, and no line.
 */
export function NtDisplayString(string: u32): u32 {
  const s = KeAllocateScratch(8); // the UNICODE_STRING
  const ok = ProbeUserRange(string, 8, 4) && ExCopyFromUser(s, string, 8);
  const length = <u32>load<u16>(s);
  const buffer = load<u32>(s, 4);
  KeFreeScratch(s);
  if (!ok) return STATUS_ACCESS_VIOLATION;
  if ((length & 1) != 0) return STATUS_INVALID_PARAMETER;
  if (!ProbeUserRange(buffer, length, 2)) return STATUS_ACCESS_VIOLATION;
  const bytes = length < DISPLAY_MAX_BYTES ? length : DISPLAY_MAX_BYTES;
  const text = bytes != 0 ? ExAllocatePoolWithTag(NonPagedPool, bytes, DISPLAY_TAG) : 0;
  if (bytes != 0 && text == 0) return STATUS_INSUFFICIENT_RESOURCES;
  if (bytes != 0 && !ExCopyFromUser(text, buffer, bytes)) { ExFreePoolWithTag(text, DISPLAY_TAG); return STATUS_ACCESS_VIOLATION; }
  KeLogBeginForCurrentProcess();
  for (let i: u32 = 0; i < bytes; i += 2) {
    const c = <u32>load<u16>(text + i);
    if (c == 10 || c == 13) continue; // one event per line
    KeLogCharacter(c < 0x20 ? 0x20 : c);
  }
  KeLogEnd();
  if (text != 0) ExFreePoolWithTag(text, DISPLAY_TAG);
  return STATUS_SUCCESS;
}
