// NtQueryVirtualMemory on another process with a huge buffer length: the
// kernel used to allocate that length of nonpaged pool for its copy (16 MiB
// here: STATUS_INSUFFICIENT_RESOURCES, or the pool drained for everyone when
// it fits). The copy is bounded by what the class answers (28 bytes), so the
// call succeeds like any other.
import { NtTerminateProcess, show, put, putHex, putDec, flush, attributes, findPid, NtOpenProcess, NtAllocateVirtualMemory, NtQueryVirtualMemory, NtClose } from "./nt";
import { MEMORY_BASIC_INFORMATION } from "../../../kernel/sdk/ntdef";

const cell = memory.data(32, 4);
const cid = memory.data(8, 4);
const BIG: u32 = 16 << 20;

export function main(): void {
  store<u32>(cid, findPid(0x76, 0x69)); store<u32>(cid, 0, 4); // "vi": victim
  show("open", NtOpenProcess(cell, 0x1F0FFF, attributes("", 0), cid));
  const victim = load<u32>(cell);
  store<u32>(cell, 0, 4); store<u32>(cell, BIG, 8);
  show("commit 16 MiB", NtAllocateVirtualMemory(0xFFFFFFFF, cell + 4, 0, cell + 8, 0x3000, 0x04));
  const buffer = load<u32>(cell, 4);
  for (let i = 0; i < 3; i++) {
    store<u32>(cell, 0, 12);
    const s = NtQueryVirtualMemory(victim, 0x7FFDF000, 0, buffer, BIG, cell + 12);
    put("query with a 16 MiB length "); putHex(s); put(" returned "); putDec(load<u32>(cell, 12));
    put(" state "); putHex(changetype<MEMORY_BASIC_INFORMATION>(buffer).State); flush();
  }
  show("query with a short length", NtQueryVirtualMemory(victim, 0x7FFDF000, 0, buffer, 8, cell + 12));
  show("end the victim", NtTerminateProcess(victim, 1));
  NtClose(victim);
}
