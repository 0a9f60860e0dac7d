// Sets the named event another process waits on, after a short sleep.
import { NtClose, NtCreateEvent, NtDelayExecution, NtSetEvent, attributes, ms, put, putHex, flush } from "./nt";
const h = memory.data(4, 4);
const t = memory.data(8, 8);
export function main(): void {
  const s = NtCreateEvent(h, 0x1F0003, attributes("\\BaseNamedObjects\\TestEvent", 0xC0), 0, 0);
  put("created "); putHex(s); flush();
  NtDelayExecution(0, ms(t, 100));
  put("set "); putHex(NtSetEvent(load<u32>(h), 0)); flush();
  NtClose(load<u32>(h));
}
