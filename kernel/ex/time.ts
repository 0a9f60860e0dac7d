// Time services: NtQuerySystemTime (100 ns units since 1601, from the boot
// time and the clock) and NtQueryPerformanceCounter (microseconds of uptime,
// frequency 1 MHz, from the PIT).

import { ExWriteUserUlong, ProbeUserRange } from "../ke/probe";
import { KeQuerySystemTime } from "../ke/wait";
import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import { HalQueryUptime, KUPTIME } from "../hal/pit";
import { STATUS_ACCESS_VIOLATION, STATUS_SUCCESS } from "../sdk/ntstatus";

const PERFORMANCE_FREQUENCY: u64 = 1000000;

/** NtQuerySystemTime(PLARGE_INTEGER SystemTime). */
export function NtQuerySystemTime(time: u32): u32 {
  if (!ProbeUserRange(time, 8, 4)) return STATUS_ACCESS_VIOLATION;
  return ExpWriteUserQuad(time, KeQuerySystemTime()) ? STATUS_SUCCESS : STATUS_ACCESS_VIOLATION;
}

/** NtQueryPerformanceCounter(PLARGE_INTEGER Counter, PLARGE_INTEGER Frequency optional). */
export function NtQueryPerformanceCounter(counter: u32, frequency: u32): u32 {
  if (!ProbeUserRange(counter, 8, 4)) return STATUS_ACCESS_VIOLATION;
  if (frequency != 0 && !ProbeUserRange(frequency, 8, 4)) return STATUS_ACCESS_VIOLATION;
  const uptime = KeAllocateScratch(<u32>offsetof<KUPTIME>()); // the thread's own: a preempting caller would overwrite a shared one
  HalQueryUptime(uptime);
  const u = changetype<KUPTIME>(uptime);
  const value = <u64>u.Seconds * PERFORMANCE_FREQUENCY + <u64>u.Microseconds;
  KeFreeScratch(uptime);
  if (!ExpWriteUserQuad(counter, value)) return STATUS_ACCESS_VIOLATION;
  if (frequency != 0 && !ExpWriteUserQuad(frequency, PERFORMANCE_FREQUENCY)) return STATUS_ACCESS_VIOLATION;
  return STATUS_SUCCESS;
}

/** A LARGE_INTEGER to (probed) user memory, through the user-copy routine; false when a page faulted. */
function ExpWriteUserQuad(user: usize, value: u64): bool {
  return ExWriteUserUlong(user, <u32>value) && ExWriteUserUlong(user + 4, <u32>(value >>> 32));
}
