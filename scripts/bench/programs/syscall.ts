// Bench: ITERATIONS system calls that fail fast (the round trip through
// int 0x2e, the argument capture and the dispatch). The bench builds it with
// two values of ITERATIONS and takes the difference of the whole runs.
import { NtQueryInformationProcess } from "../../../test/boot/programs/nt";
const ITERATIONS: u32 = 1000;
export function main(): void {
  for (let i: u32 = 0; i < ITERATIONS; i++) NtQueryInformationProcess(0xFFFFFFFF, 77, 0, 0, 0); // STATUS_INVALID_INFO_CLASS
}
