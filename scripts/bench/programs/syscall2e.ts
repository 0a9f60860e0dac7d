// Bench: the same NtClose of an invalid handle as syscall.ts, through
// `int 0x2e` (test.syscall: eax = the service number, edx = the arguments)
// instead of ntdll-style stubs through SharedUserData's sysenter stub.
// NTCLOSE is set by the bench from scripts/services.ts.
import { syscall } from "../../../test/boot/programs/nt";
const ITERATIONS: u32 = 1000;
const NTCLOSE: u32 = 0;
const args = memory.data(4, 4);
export function main(): void {
  store<u32>(args, 0x1234);
  for (let i: u32 = 0; i < ITERATIONS; i++) syscall(NTCLOSE, args); // STATUS_INVALID_HANDLE
}
