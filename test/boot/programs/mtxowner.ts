// Owns a named mutant, tells the other process, and ends without releasing it.
import { NtCreateMutant, NtCreateEvent, NtSetEvent, NtDelayExecution, attributes, ms, put, putHex, flush } from "./nt";
const h = memory.data(8, 4);
const t = memory.data(8, 8);
export function main(): void {
  put("own "); putHex(NtCreateMutant(h, 0x1F0001, attributes("\\BaseNamedObjects\\TestMutant", 0xC0), 1)); flush();
  NtCreateEvent(h + 4, 0x1F0003, attributes("\\BaseNamedObjects\\MutantReady", 0xC0), 0, 0);
  NtSetEvent(load<u32>(h, 4), 0);
  NtDelayExecution(0, ms(t, 50));
  put("ending while owning it"); flush();
}
