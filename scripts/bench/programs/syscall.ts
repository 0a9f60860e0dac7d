// Bench: ITERATIONS system calls that fail fast, NtClose of an invalid
// handle (the round trip through int 0x2e, the argument capture, the
// dispatch and the handle table lookup). The bench builds it with two values
// of ITERATIONS and takes the difference of the whole runs.
import { NtClose } from "../../../test/boot/programs/nt";
const ITERATIONS: u32 = 1000;
export function main(): void {
  for (let i: u32 = 0; i < ITERATIONS; i++) NtClose(0x1234); // STATUS_INVALID_HANDLE
}
