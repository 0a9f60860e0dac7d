// Ring 3 may not halt the processor: STATUS_PRIVILEGED_INSTRUCTION.
import { say } from "./nt";
@external("kernel", "hlt") declare function hlt(): void;
export function main(): void { say("about to hlt"); hlt(); say("still running after hlt"); }
