// A division by zero in ring 3 ends the process with STATUS_INTEGER_DIVIDE_BY_ZERO.
import { say } from "./nt";
export function main(): void { say("about to divide by zero"); const d = load<u32>(0x7FFDF0FC); say((100 / d) == 7 ? "seven" : "divided by zero"); }
