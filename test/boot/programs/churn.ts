// 1,000 create/close cycles of each object type from ring 3 (the kernel
// compares its pool usage before and after the boot processes).
import { NtClose, NtCreateEvent, NtCreateMutant, NtCreateSemaphore, NtCreateTimer, NtCreateDirectoryObject, NtCreateSymbolicLinkObject,
  attributes, unicode, put, putDec, flush } from "./nt";
const h = memory.data(4, 4);
const target = memory.data(8, 4);
export function main(): void {
  let failures: u32 = 0;
  for (let i = 0; i < 1000; i++) {
    if (NtCreateEvent(h, 0x1F0003, attributes("\\BaseNamedObjects\\ChurnEvent", 0), 0, 0) != 0 || NtClose(load<u32>(h)) != 0) failures++;
    if (NtCreateMutant(h, 0x1F0001, attributes("", 0), 1) != 0 || NtClose(load<u32>(h)) != 0) failures++;
    if (NtCreateSemaphore(h, 0x1F0003, attributes("\\BaseNamedObjects\\ChurnSemaphore", 0), 0, 5) != 0 || NtClose(load<u32>(h)) != 0) failures++;
    if (NtCreateTimer(h, 0x1F0003, attributes("", 0), 0) != 0 || NtClose(load<u32>(h)) != 0) failures++;
    if (NtCreateDirectoryObject(h, 0xF000F, attributes("\\BaseNamedObjects\\ChurnDir", 0)) != 0 || NtClose(load<u32>(h)) != 0) failures++;
    if (NtCreateSymbolicLinkObject(h, 0xF0001, attributes("\\BaseNamedObjects\\ChurnLink", 0), unicode(target, "\\Device")) != 0 || NtClose(load<u32>(h)) != 0) failures++;
  }
  put("cycles done, failures "); putDec(failures); flush();
}
