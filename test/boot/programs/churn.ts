// 1,000 create/close cycles of each object type from ring 3 -- events,
// mutants, semaphores, timers, directories, symbolic links, sections, threads
// (each with its own stack) and process handles; the kernel compares its
// pool usage before and after the boot processes.
import { NtClose, NtCreateEvent, NtCreateMutant, NtCreateSemaphore, NtCreateTimer, NtCreateDirectoryObject, NtCreateSymbolicLinkObject,
  NtCreateThread, NtCreateSection, NtWaitForSingleObject, NtAllocateVirtualMemory, NtFreeVirtualMemory, NtTerminateThread, NtOpenProcess,
  attributes, unicode, put, putDec, flush } from "./nt";
@external("kernel", "func_address") declare function func_address(slot: u32): usize;

const SELF: u32 = 0xFFFFFFFF;
const h = memory.data(4, 4);
const target = memory.data(8, 4);
const cell = memory.data(32, 4);
const context = memory.data(716, 4);
const initialTeb = memory.data(20, 4);

function quick(p: u32): void { NtTerminateThread(0xFFFFFFFE, p); }

/** One thread on its own stack, run to its end, then its handle and stack released. */
function threadCycle(): bool {
  store<u32>(cell, 0); store<u32>(cell, 0x10000, 4);
  if (NtAllocateVirtualMemory(SELF, cell, 0, cell + 4, 0x3000, 0x04) != 0) return false;
  const bottom = load<u32>(cell), top = bottom + 0x10000;
  store<u32>(top - 4, 3);
  memory.fill(context, 0, 716);
  store<u32>(context, <u32>func_address(load<u32>(changetype<usize>(quick))), 0xB8);
  store<u32>(context, top - 8, 0xC4);
  store<u32>(initialTeb, top, 8); store<u32>(initialTeb, bottom + 0x2000, 12);
  if (NtCreateThread(cell + 8, 0x1F03FF, 0, SELF, 0, context, initialTeb, 0) != 0) return false;
  const ok = NtWaitForSingleObject(load<u32>(cell, 8), 0, 0) == 0 && NtClose(load<u32>(cell, 8)) == 0;
  store<u32>(cell, 0, 4);
  return ok && NtFreeVirtualMemory(SELF, cell, cell + 4, 0x8000) == 0;
}

export function main(): void {
  // Keeps the function table (func_address reads it): an indirect call the optimiser cannot remove.
  const indirect: (p: u32) => void = quick;
  if (load<u32>(0x7FFDF0F0) == 0x12345678) indirect(load<u32>(0x7FFDF0F4));
  store<u32>(cell, load<u32>(0x7FFDE020), 24); store<u32>(cell, 0, 28); // our own ClientId, from the TEB
  let failures: u32 = 0;
  for (let i = 0; i < 1000; i++) {
    if (NtCreateEvent(h, 0x1F0003, attributes("\\BaseNamedObjects\\ChurnEvent", 0), 0, 0) != 0 || NtClose(load<u32>(h)) != 0) failures++;
    if (NtCreateMutant(h, 0x1F0001, attributes("", 0), 1) != 0 || NtClose(load<u32>(h)) != 0) failures++;
    if (NtCreateSemaphore(h, 0x1F0003, attributes("\\BaseNamedObjects\\ChurnSemaphore", 0), 0, 5) != 0 || NtClose(load<u32>(h)) != 0) failures++;
    if (NtCreateTimer(h, 0x1F0003, attributes("", 0), 0) != 0 || NtClose(load<u32>(h)) != 0) failures++;
    if (NtCreateDirectoryObject(h, 0xF000F, attributes("\\BaseNamedObjects\\ChurnDir", 0)) != 0 || NtClose(load<u32>(h)) != 0) failures++;
    if (NtCreateSymbolicLinkObject(h, 0xF0001, attributes("\\BaseNamedObjects\\ChurnLink", 0), unicode(target, "\\Device")) != 0 || NtClose(load<u32>(h)) != 0) failures++;
    if (NtOpenProcess(h, 0x1F0FFF, attributes("", 0), cell + 24) != 0 || NtClose(load<u32>(h)) != 0) failures++;
    store<u64>(cell, 0x10000, 16);
    if (NtCreateSection(h, 0xF001F, attributes("\\BaseNamedObjects\\ChurnSection", 0), cell + 16, 0x04, 0x8000000, 0) != 0 || NtClose(load<u32>(h)) != 0) failures++;
    if (!threadCycle()) failures++;
  }
  put("cycles done, failures "); putDec(failures); flush();
}
