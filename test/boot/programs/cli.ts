// Ring 3 may not turn interrupts off: the process ends with STATUS_PRIVILEGED_INSTRUCTION.
import { say } from "./nt";
@external("kernel", "cli") declare function cli(): void;
export function main(): void { say("about to cli"); cli(); say("still running after cli"); }
