// The stack grows: the image commits 4 KiB of its 256 KiB reservation, and
// a deep recursion touches far more; the kernel commits the pages as they
// are touched (MmGrowUserStack). With an argument the recursion never ends:
// it reaches the reservation's bottom and the program ends with
// STATUS_STACK_OVERFLOW.

import { put, putDec, flush } from "./out";
@external("ntdll", "RtlGetCurrentPeb") declare function RtlGetCurrentPeb(): usize;

let forever = false;
/** 1 + 2 + ... + n through n nested calls (the extra arguments widen each frame). */
function sum(n: u32, a: u64, b: u64): u64 {
  if (n == 0 && !forever) return a - b;
  return <u64>n + sum(n - 1, a + 1, b + 1);
}

export function main(): void {
  const params = load<usize>(RtlGetCurrentPeb(), 0x10);
  // An argument after the image name ("... forever"): never stop.
  forever = load<u16>(params, 0x40) > load<u16>(params, 0x38);
  put("depth 3000 sum "); putDec(<u32>sum(3000, 7, 7)); flush();
}
