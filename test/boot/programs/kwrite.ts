// Kernel memory is supervisor-only: a write ends the process with STATUS_ACCESS_VIOLATION.
import { say } from "./nt";
export function main(): void { say("about to write kernel memory"); store<u32>(0x80100000, 0xDEADBEEF); say("wrote kernel memory"); }
