// Waits for a mutant whose owner process ends: STATUS_ABANDONED_WAIT_0 (0x80).
import { NtCreateMutant, NtCreateEvent, NtWaitForSingleObject, NtReleaseMutant, attributes, ms, put, putHex, flush } from "./nt";
const h = memory.data(8, 4);
const t = memory.data(8, 8);
export function main(): void {
  NtCreateEvent(h + 4, 0x1F0003, attributes("\\BaseNamedObjects\\MutantReady", 0xC0), 0, 0);
  NtWaitForSingleObject(load<u32>(h, 4), 0, ms(t, 5000));
  NtCreateMutant(h, 0x1F0001, attributes("\\BaseNamedObjects\\TestMutant", 0xC0), 0);
  put("wait "); putHex(NtWaitForSingleObject(load<u32>(h), 0, ms(t, 5000))); flush();
  put("release "); putHex(NtReleaseMutant(load<u32>(h), 0)); flush();
  put("release again "); putHex(NtReleaseMutant(load<u32>(h), 0)); flush();
}
