// Ring 3: every service answers, and bad input gets a status back, never a crash.
import { NtDelayExecution, NtQueryPerformanceCounter, NtQuerySystemTime, NtYieldExecution, NtDisplayString, syscall, put, putHex, flush, say } from "./nt";
import { STATUS_ACCESS_VIOLATION } from "../../../kernel/sdk/ntstatus";

const buffer = memory.data(16, 8);

function report(what: string, status: u32): void { put(what); put(" "); putHex(status); flush(); }

export function main(): void {
  say("hello from ring 3");
  // Time: the system time moves forward across a 30 ms sleep.
  NtQuerySystemTime(buffer);
  const t0 = load<u64>(buffer);
  store<i64>(buffer, -30 * 10000, 8);
  report("delay", NtDelayExecution(0, buffer + 8));
  NtQuerySystemTime(buffer);
  const elapsed = load<u64>(buffer) - t0;
  report("slept at least 30 ms", elapsed >= 300000 ? 1 : 0);
  report("counter", NtQueryPerformanceCounter(buffer, buffer + 8));
  report("frequency", <u32>load<u64>(buffer, 8));
  report("yield", NtYieldExecution());
  // Hostile pointers: a kernel address, an unmapped page, a misaligned one.
  report("kernel pointer", NtDisplayString(0x80100000));
  report("unmapped pointer", NtDisplayString(0x00002000));
  report("misaligned pointer", NtQuerySystemTime(buffer + 1));
  report("time into kernel", NtQuerySystemTime(0x80400000));
  // A service number past the table, and an argument block the kernel cannot read.
  report("unknown service", syscall(0x1234, buffer));
  report("bad argument block", syscall(0, 0x7FFF0000));
  report("status after all that", STATUS_ACCESS_VIOLATION);
}
