// Time services: NtQuerySystemTime (100 ns units since 1601, from the boot
// time and the clock) and NtQueryPerformanceCounter (microseconds of uptime,
// frequency 1 MHz, from the PIT).

import { ProbeForRead, ProbeForWrite } from "../ke/probe";
import { KeQuerySystemTime } from "../ke/wait";
import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import { HalQueryUptime, KUPTIME } from "../hal/pit";
import { STATUS_ACCESS_VIOLATION, STATUS_SUCCESS } from "../sdk/ntstatus";

const PERFORMANCE_FREQUENCY: u64 = 1000000;

/** NtQuerySystemTime(PLARGE_INTEGER SystemTime). */
export function NtQuerySystemTime(time: u32): u32 {
  if (!ProbeForWrite(time, 8, 4)) return STATUS_ACCESS_VIOLATION;
  store<u64>(time, KeQuerySystemTime());
  return STATUS_SUCCESS;
}

/** NtQueryPerformanceCounter(PLARGE_INTEGER Counter, PLARGE_INTEGER Frequency optional). */
export function NtQueryPerformanceCounter(counter: u32, frequency: u32): u32 {
  if (!ProbeForWrite(counter, 8, 4)) return STATUS_ACCESS_VIOLATION;
  if (frequency != 0 && (!ProbeForWrite(frequency, 8, 4))) return STATUS_ACCESS_VIOLATION;
  const uptime = KeAllocateScratch(<u32>offsetof<KUPTIME>()); // the thread's own: a preempting caller would overwrite a shared one
  HalQueryUptime(uptime);
  const u = changetype<KUPTIME>(uptime);
  const value = <u64>u.Seconds * PERFORMANCE_FREQUENCY + <u64>u.Microseconds;
  KeFreeScratch(uptime);
  store<u64>(counter, value);
  if (frequency != 0) store<u64>(frequency, PERFORMANCE_FREQUENCY);
  return STATUS_SUCCESS;
}
