// Ring 3 has no I/O ports (the TSS has no permission bitmap): STATUS_PRIVILEGED_INSTRUCTION.
import { say } from "./nt";
@external("kernel", "outb") declare function outb(port: u32, value: u32): void;
export function main(): void { say("about to out"); outb(0x3F8, 0x41); say("still running after out"); }
