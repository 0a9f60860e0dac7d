// Runs until another process terminates it.
import { say } from "./nt";
@external("kernel", "pause") declare function pause(): void;
export function main(): void {
  say("running until terminated");
  let x: u32 = 0;
  while (load<u32>(0x7FFDF0F8) == 0) { x++; pause(); } // the PEB word is never set: forever
  say("should not get here");
}
