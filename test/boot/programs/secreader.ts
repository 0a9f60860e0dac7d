// Shared memory, the other side: waits until secwriter.ts has filled its named
// section, opens it by name, maps it, checks the pattern, writes back and
// answers. It ends with the view still mapped (one page of it no-access) and
// the handle open: the process's end must give every page back.
import { show,
  NtCreateEvent, NtSetEvent, NtWaitForSingleObject, NtOpenSection, NtMapViewOfSection, NtQueryVirtualMemory, NtProtectVirtualMemory,
  attributes, ms, put, putHex, flush,
} from "./nt";
import { MEMORY_BASIC_INFORMATION, SIZEOF_MEMORY_BASIC_INFORMATION } from "../../../kernel/sdk/ntdef";

const SELF: u32 = 0xFFFFFFFF;
const h = memory.data(12, 4);      // +0 the section, +4 ready event, +8 answer event
const base = memory.data(4, 4);
const size = memory.data(4, 4);
const mbi = memory.data(<i32>SIZEOF_MEMORY_BASIC_INFORMATION, 4);
const t = memory.data(8, 8);
const old = memory.data(4, 4);

export function main(): void {
  show("ready event", NtCreateEvent(h + 4, 0x1F0003, attributes("\\BaseNamedObjects\\SectionReady", 0xC0), 0, 0));
  show("wait for the writer", NtWaitForSingleObject(load<u32>(h, 4), 0, ms(t, 10000)));
  show("open", NtOpenSection(h, 0x6, attributes("\\BaseNamedObjects\\TestSection", 0x40))); // SECTION_MAP_READ | SECTION_MAP_WRITE
  store<u32>(base, 0); store<u32>(size, 0);
  show("map", NtMapViewOfSection(load<u32>(h), SELF, base, 0, 0, 0, size, 1, 0, 0x04));
  const view = load<u32>(base);
  show("view size", load<u32>(size));
  let same = true;
  for (let p: u32 = 0; p < 16; p++) if (load<u32>(view + p * 4096) != 0x5EC70000 + p || load<u32>(view + p * 4096 + 4092) != 0xA5A50000 + p) same = false;
  show("the writer's pattern", same ? 1 : 0);
  const s = NtQueryVirtualMemory(SELF, view, 0, mbi, SIZEOF_MEMORY_BASIC_INFORMATION, 0);
  put("query the view "); putHex(s); put(" alloc protect "); putHex(changetype<MEMORY_BASIC_INFORMATION>(mbi).AllocationProtect); put(" size "); putHex(changetype<MEMORY_BASIC_INFORMATION>(mbi).RegionSize);
  put(" state "); putHex(changetype<MEMORY_BASIC_INFORMATION>(mbi).State); put(" type "); putHex(changetype<MEMORY_BASIC_INFORMATION>(mbi).Type); flush();
  store<u32>(view + 0xF000, 0x52454144); // 'READ'
  store<u32>(view + 0xFFFC, 0x454E4F44); // 'DONE'
  store<u32>(base, view + 0x1000); store<u32>(size, 0x1000);
  show("no access on a page", NtProtectVirtualMemory(SELF, base, size, 0x01, old));
  show("answer event", NtCreateEvent(h + 8, 0x1F0003, attributes("\\BaseNamedObjects\\SectionAnswer", 0xC0), 0, 0));
  show("answer", NtSetEvent(load<u32>(h, 8), 0));
}
