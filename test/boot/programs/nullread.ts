// Address 0 is never mapped: STATUS_ACCESS_VIOLATION.
import { say } from "./nt";
export function main(): void { say("about to read address 0"); const v = load<u32>(0); say(v == 0x12345678 ? "read 0x12345678" : "read something at 0"); }
