// Image pages are the section's frames, shared by every process mapping the
// image (ntdll.dll is one section mapped into every process). This process
// tries to make ntdll's first page writable with MEM_COMMIT (refused: it
// used to keep the shared frame and make it writable for everyone), then
// with NtProtectVirtualMemory (a private copy), writes a marker, and tells
// imgread, which looks at the same page of its own ntdll view.
import { show, put, putHex, flush, attributes, NtAllocateVirtualMemory, NtProtectVirtualMemory, NtQueryVirtualMemory,
  NtCreateEvent, NtSetEvent } from "./nt";

const SELF: u32 = 0xFFFFFFFF;
const mbi = memory.data(32, 4);
const cell = memory.data(32, 4);
const MARKER: u32 = 0x5EC0DE17;

/** The allocation base of the first image view that is not this program's own image. */
export function ntdllBase(): u32 {
  const own = load<u32>(0x7FFDF008); // PEB ImageBaseAddress
  let at: u32 = 0x10000;
  while (at < 0x7FFE0000) {
    if (NtQueryVirtualMemory(SELF, at, 0, mbi, 28, 0) != 0) return 0;
    const base = load<u32>(mbi, 4), size = load<u32>(mbi, 12), type = load<u32>(mbi, 24);
    if (type == 0x1000000 && base != own) return base;
    at = load<u32>(mbi) + (size != 0 ? size : 0x1000);
  }
  return 0;
}

export function main(): void {
  const base = ntdllBase();
  show("found ntdll", base != 0 ? 1 : 0);
  store<u32>(cell, base); store<u32>(cell, 0x1000, 4);
  const commit = NtAllocateVirtualMemory(SELF, cell, 0, cell + 4, 0x1000, 0x04); // MEM_COMMIT, PAGE_READWRITE
  show("commit read-write over the image", commit);
  if (commit == 0) store<u32>(base + 0xF00, MARKER);
  store<u32>(cell, base); store<u32>(cell, 0x1000, 4);
  show("protect read-write", NtProtectVirtualMemory(SELF, cell, cell + 4, 0x04, cell + 8));
  store<u32>(base + 0xF04, MARKER);
  put("own view "); putHex(load<u32>(base + 0xF04)); flush();
  show("signal", NtCreateEvent(cell + 12, 0x1F0003, attributes("\\BaseNamedObjects\\ImageShare", 0xC0), 0, 1));
}
