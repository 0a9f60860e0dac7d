// NtDisplayString: a user process writes a line to the console. NT shows it
// on the boot screen; here it becomes a log line whose component is the
// process's image name (`[    1.234567] smss: text`).

import { ProbeForRead, ProbeForWrite } from "../ke/probe";
import { KeLogCharacter, KeLogEnd } from "../ke/log";
import { PsLogBeginForCurrentProcess } from "../ps/psmain";
import { STATUS_ACCESS_VIOLATION, STATUS_INVALID_PARAMETER, STATUS_SUCCESS } from "../sdk/ntstatus";


/** NtDisplayString(PUNICODE_STRING String). */
export function NtDisplayString(string: u32): u32 {
  // Capture the UNICODE_STRING (Length, MaximumLength, Buffer), then probe its buffer.
  if (!ProbeForRead(string, 8, 4)) return STATUS_ACCESS_VIOLATION;
  const length = <u32>load<u16>(string);
  const buffer = load<u32>(string, 4);
  if ((length & 1) != 0) return STATUS_INVALID_PARAMETER;
  if (length != 0 && (!ProbeForRead(buffer, length, 2))) return STATUS_ACCESS_VIOLATION;
  PsLogBeginForCurrentProcess();
  for (let i: u32 = 0; i < length; i += 2) {
    const c = <u32>load<u16>(buffer + i);
    if (c == 10 || c == 13) continue; // one event per line
    KeLogCharacter(c < 0x20 ? 0x20 : c);
  }
  KeLogEnd();
  return STATUS_SUCCESS;
}
