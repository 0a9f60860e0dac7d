// `unreachable` in ring 3 ends the process with STATUS_ILLEGAL_INSTRUCTION.
import { say } from "./nt";
export function main(): void { say("about to reach unreachable"); if (load<u32>(0x7FFDF0FC) == 0) unreachable(); say("after unreachable"); }
