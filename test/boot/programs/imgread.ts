// The other process of imgwrite.ts: once imgwrite has written, its own view
// of ntdll's first page must not show imgwrite's marker.
import { show, put, flush, attributes, ms, NtCreateEvent, NtWaitForSingleObject, NtQueryVirtualMemory } from "./nt";

const SELF: u32 = 0xFFFFFFFF;
const mbi = memory.data(32, 4);
const cell = memory.data(32, 4);
const t = memory.data(8, 8);
const MARKER: u32 = 0x5EC0DE17;

function ntdllBase(): u32 {
  const own = load<u32>(0x7FFDF008);
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
  NtCreateEvent(cell, 0x1F0003, attributes("\\BaseNamedObjects\\ImageShare", 0xC0), 0, 0);
  show("wait for imgwrite", NtWaitForSingleObject(load<u32>(cell), 0, ms(t, 30000)));
  const base = ntdllBase();
  show("found ntdll", base != 0 ? 1 : 0);
  put("first marker "); put(load<u32>(base + 0xF00) == MARKER ? "seen" : "not seen"); flush();
  put("second marker "); put(load<u32>(base + 0xF04) == MARKER ? "seen" : "not seen"); flush();
}
