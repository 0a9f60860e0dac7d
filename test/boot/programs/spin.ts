// CPU-bound in ring 3: reports progress every few million iterations; with
// two of these running, both must make progress (the clock preempts them).
import { put, putDec, flush, NtDisplayString } from "./nt";
@external("kernel", "pause") declare function pause(): void;

export function main(): void {
  let x: u32 = 1;
  for (let round: u32 = 1; round <= 4; round++) {
    for (let i = 0; i < 3000000; i++) { x = x * 1103515245 + 12345; }
    put("round "); putDec(round); flush();
  }
  put("done "); putDec(x & 1); flush();
}
