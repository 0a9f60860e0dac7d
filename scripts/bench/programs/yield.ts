// Bench: ITERATIONS yields; with two of these at the same priority each yield
// is a system call plus a switch to the other process (its address space too).
import { NtYieldExecution } from "../../../test/boot/programs/nt";
const ITERATIONS: u32 = 1000;
export function main(): void {
  for (let i: u32 = 0; i < ITERATIONS; i++) NtYieldExecution();
}
