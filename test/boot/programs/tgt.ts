// Waits until another process has written into its PEB page, then shows the value.
import { NtCreateEvent, NtWaitForSingleObject, attributes, ms, put, putHex, flush } from "./nt";
const h = memory.data(4, 4);
const t = memory.data(8, 8);
export function main(): void {
  NtCreateEvent(h, 0x1F0003, attributes("\\BaseNamedObjects\\MemReady", 0xC0), 0, 0);
  put("wait "); putHex(NtWaitForSingleObject(load<u32>(h), 0, ms(t, 5000))); flush();
  put("value "); putHex(load<u32>(0x7FFDF100)); flush();
}
