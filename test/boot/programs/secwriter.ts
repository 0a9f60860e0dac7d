// Shared memory, the creating side: a named 64 KiB section, mapped and filled
// with a pattern that secreader.ts checks and answers in. Two views of one
// section alias; a view outlives its section's handle; views at a chosen
// base and offset; the bad requests get NT's statuses.
import { show,
  NtClose, NtCreateEvent, NtSetEvent, NtWaitForSingleObject, NtCreateSection, NtOpenSection, NtMapViewOfSection, NtUnmapViewOfSection,
  NtQueryVirtualMemory, NtFreeVirtualMemory, NtProtectVirtualMemory, attributes, ms, put, putHex, flush,
} from "./nt";
import { SEC_COMMIT, MEMORY_BASIC_INFORMATION, SIZEOF_MEMORY_BASIC_INFORMATION } from "../../../kernel/sdk/ntdef";

const SELF: u32 = 0xFFFFFFFF;
const SECTION_ALL_ACCESS: u32 = 0xF001F;
const h = memory.data(16, 4);      // +0 the shared section, +4 ready event, +8 answer event, +12 others
const base = memory.data(4, 4);
const size = memory.data(4, 4);
const offset = memory.data(8, 8);
const maximum = memory.data(8, 8);
const mbi = memory.data(<i32>SIZEOF_MEMORY_BASIC_INFORMATION, 4);
const t = memory.data(8, 8);
const old = memory.data(4, 4);

/** Maps all of `section` (or `bytes` of it) at `at` (0: anywhere); the view is at `base`, its size at `size`. */
function map(section: u32, at: u32, bytes: u32, protect: u32): u32 {
  store<u32>(base, at); store<u32>(size, bytes);
  return NtMapViewOfSection(section, SELF, base, 0, 0, 0, size, 2, 0, protect);
}
function query(what: string, address: u32, view: u32): void {
  const s = NtQueryVirtualMemory(SELF, address, 0, mbi, SIZEOF_MEMORY_BASIC_INFORMATION, 0);
  put(what); put(" "); putHex(s);
  put(" at the view "); putHex(changetype<MEMORY_BASIC_INFORMATION>(mbi).BaseAddress == address && changetype<MEMORY_BASIC_INFORMATION>(mbi).AllocationBase == view ? 1 : 0);
  put(" alloc protect "); putHex(changetype<MEMORY_BASIC_INFORMATION>(mbi).AllocationProtect); put(" size "); putHex(changetype<MEMORY_BASIC_INFORMATION>(mbi).RegionSize);
  flush();
  put(what); put(": state "); putHex(changetype<MEMORY_BASIC_INFORMATION>(mbi).State); put(" protect "); putHex(changetype<MEMORY_BASIC_INFORMATION>(mbi).Protect); put(" type "); putHex(changetype<MEMORY_BASIC_INFORMATION>(mbi).Type);
  flush();
}
function protect(address: u32, bytes: u32, protection: u32): u32 {
  store<u32>(base, address); store<u32>(size, bytes);
  return NtProtectVirtualMemory(SELF, base, size, protection, old);
}

export function main(): void {
  // The shared section: create, map, fill.
  store<u64>(maximum, 0x10000);
  show("create", NtCreateSection(h, SECTION_ALL_ACCESS, attributes("\\BaseNamedObjects\\TestSection", 0x40), maximum, 0x04, SEC_COMMIT, 0));
  const section = load<u32>(h);
  show("map", map(section, 0, 0, 0x04));
  const view = load<u32>(base);
  show("view size", load<u32>(size));
  show("64 KiB aligned", view != 0 && (view & 0xFFFF) == 0 ? 1 : 0);
  let zero = true;
  for (let p: u32 = 0; p < 16; p++) if (load<u32>(view + p * 4096) != 0 || load<u32>(view + p * 4096 + 4092) != 0) zero = false;
  show("zeroed", zero ? 1 : 0);
  for (let p: u32 = 0; p < 16; p++) { store<u32>(view + p * 4096, 0x5EC70000 + p); store<u32>(view + p * 4096 + 4092, 0xA5A50000 + p); }
  query("query the view", view + 0x3000, view);

  // A second, read-only view of the same section in this process.
  show("second view", map(section, 0, 0, 0x02));
  const view2 = load<u32>(base);
  show("it aliases the first", view2 != view && load<u32>(view2 + 5 * 4096) == 0x5EC70005 ? 1 : 0);
  store<u32>(view + 0x100, 0x12345678);
  show("a write shows in both", load<u32>(view2 + 0x100) == 0x12345678 ? 1 : 0);
  query("query the second view", view2, view2);
  show("make it writable", protect(view2, 0x1000, 0x04));
  show("no access on a page of it", protect(view2 + 0x1000, 0x1000, 0x01));
  show("old protection", load<u32>(old));
  store<u32>(base, view2); store<u32>(size, 0);
  show("free it", NtFreeVirtualMemory(SELF, base, size, 0x8000));
  show("unmap it by an address inside", NtUnmapViewOfSection(SELF, view2 + 0x2345));
  query("query where it was", view2, view2);
  show("unmap it again", NtUnmapViewOfSection(SELF, view2));

  // The other process: it waits for "ready", checks the pattern, writes back and answers.
  const answer = NtCreateEvent(h + 8, 0x1F0003, attributes("\\BaseNamedObjects\\SectionAnswer", 0xC0), 0, 0);
  show("answer event", answer);
  show("ready event", NtCreateEvent(h + 4, 0x1F0003, attributes("\\BaseNamedObjects\\SectionReady", 0xC0), 0, 0));
  show("signal the reader", NtSetEvent(load<u32>(h, 4), 0));
  show("wait for the reader", NtWaitForSingleObject(load<u32>(h, 8), 0, ms(t, 10000)));
  show("the reader's writes landed", load<u32>(view + 0xF000) == 0x52454144 && load<u32>(view + 0xFFFC) == 0x454E4F44 ? 1 : 0);

  // 128 KiB at a chosen base, and a view of its second half.
  store<u64>(maximum, 0x20000);
  show("unnamed section", NtCreateSection(h + 12, SECTION_ALL_ACCESS, 0, maximum, 0x04, SEC_COMMIT, 0));
  const big = load<u32>(h, 12);
  show("map at a chosen base", map(big, 0x20000000, 0, 0x04));
  show("there", load<u32>(base) == 0x20000000 ? 1 : 0);
  show("its size", load<u32>(size));
  store<u32>(0x20010000, 0xCAFE0001);
  store<u64>(offset, 0x10000); store<u32>(base, 0); store<u32>(size, 0);
  show("map from an offset", NtMapViewOfSection(big, SELF, base, 0, 0, offset, size, 1, 0, 0x04));
  show("to the end", load<u32>(size));
  show("it sees the second half", load<u32>(load<u32>(base)) == 0xCAFE0001 ? 1 : 0);

  // Views that cannot be.
  show("conflicting address", map(big, 0x20000000, 0, 0x04));
  show("unaligned base", map(big, 0x30001000, 0, 0x04));
  store<u64>(offset, 0x1000); store<u32>(base, 0); store<u32>(size, 0);
  show("unaligned offset", NtMapViewOfSection(big, SELF, base, 0, 0, offset, size, 1, 0, 0x04));
  show("view past the end", map(big, 0, 0x30000, 0x04));
  store<u64>(offset, 0x20000); store<u32>(base, 0); store<u32>(size, 0);
  show("offset at the end", NtMapViewOfSection(big, SELF, base, 0, 0, offset, size, 1, 0, 0x04));
  show("bad protection", map(big, 0, 0, 0x77));
  store<u32>(base, 0); store<u32>(size, 0);
  show("bad inherit", NtMapViewOfSection(big, SELF, base, 0, 0, 0, size, 3, 0, 0x04));
  show("bad allocation type", NtMapViewOfSection(big, SELF, base, 0, 0, 0, size, 1, 0x1000, 0x04));
  show("reserve a view of memory", NtMapViewOfSection(big, SELF, base, 0, 0, 0, size, 1, 0x2000, 0x04));
  show("commit more than the view", NtMapViewOfSection(big, SELF, base, 0, 0x30000, 0, size, 1, 0, 0x04));
  show("too many zero bits", NtMapViewOfSection(big, SELF, base, 22, 0, 0, size, 1, 0, 0x04));
  show("kernel base", map(big, 0x80000000, 0, 0x04));
  show("kernel pointer for the base", NtMapViewOfSection(big, SELF, 0x80100000, 0, 0, 0, size, 1, 0, 0x04));
  show("kernel pointer for the size", NtMapViewOfSection(big, SELF, base, 0, 0, 0, 0x80100000, 1, 0, 0x04));
  show("kernel pointer for the offset", NtMapViewOfSection(big, SELF, base, 0, 0, 0x80100000, size, 1, 0, 0x04));
  store<u32>(base, 0); store<u32>(size, 0);
  show("bad process", NtMapViewOfSection(big, 0x1234, base, 0, 0, 0, size, 1, 0, 0x04));
  show("bad section handle", NtMapViewOfSection(0x1234, SELF, base, 0, 0, 0, size, 1, 0, 0x04));
  show("a kernel handle", NtMapViewOfSection(0x80000004, SELF, base, 0, 0, 0, size, 1, 0, 0x04));
  show("an event is no section", NtMapViewOfSection(load<u32>(h, 8), SELF, base, 0, 0, 0, size, 1, 0, 0x04));

  // A read-only section maps read-only only.
  store<u64>(maximum, 0x1000);
  show("read-only section", NtCreateSection(h + 12, SECTION_ALL_ACCESS, 0, maximum, 0x02, SEC_COMMIT, 0));
  const ro = load<u32>(h, 12);
  show("writable view of it", map(ro, 0, 0, 0x04));
  show("read-only view of it", map(ro, 0, 0, 0x02));
  show("its size", load<u32>(size));
  show("readable and zeroed", load<u32>(load<u32>(base) + 0xFFC) == 0 ? 1 : 0);

  // Sections that cannot be.
  show("no size", NtCreateSection(h + 12, SECTION_ALL_ACCESS, 0, 0, 0x04, SEC_COMMIT, 0));
  store<u64>(maximum, 0);
  show("zero size", NtCreateSection(h + 12, SECTION_ALL_ACCESS, 0, maximum, 0x04, SEC_COMMIT, 0));
  store<u64>(maximum, 0x1000);
  show("no allocation type", NtCreateSection(h + 12, SECTION_ALL_ACCESS, 0, maximum, 0x04, 0, 0));
  show("commit and reserve", NtCreateSection(h + 12, SECTION_ALL_ACCESS, 0, maximum, 0x04, 0xC000000, 0));
  show("no-access section", NtCreateSection(h + 12, SECTION_ALL_ACCESS, 0, maximum, 0x01, SEC_COMMIT, 0));
  show("file handle that is no handle", NtCreateSection(h + 12, SECTION_ALL_ACCESS, 0, maximum, 0x04, SEC_COMMIT, 0x1234));
  show("file handle of an event", NtCreateSection(h + 12, SECTION_ALL_ACCESS, 0, maximum, 0x04, SEC_COMMIT, load<u32>(h, 8)));
  show("image without a file", NtCreateSection(h + 12, SECTION_ALL_ACCESS, 0, maximum, 0x02, 0x1000000, 0));
  store<u64>(maximum, 0x7FFFF000);
  show("more than memory", NtCreateSection(h + 12, SECTION_ALL_ACCESS, 0, maximum, 0x04, SEC_COMMIT, 0));
  show("kernel pointer for the size", NtCreateSection(h + 12, SECTION_ALL_ACCESS, 0, 0x80100000, 0x04, SEC_COMMIT, 0));
  store<u64>(maximum, 0x1000);
  show("kernel pointer for the handle", NtCreateSection(0x80100000, SECTION_ALL_ACCESS, 0, maximum, 0x04, SEC_COMMIT, 0));

  // Opening by name: missing, and with map-read access only.
  show("open a missing section", NtOpenSection(h + 12, 0x4, attributes("\\BaseNamedObjects\\NoSuchSection", 0x40)));
  show("open for reading", NtOpenSection(h + 12, 0x4, attributes("\\BaseNamedObjects\\TestSection", 0x40)));
  show("writable view through it", map(load<u32>(h, 12), 0, 0, 0x04));

  // Unmapping what is not a view.
  show("unmap private memory", NtUnmapViewOfSection(SELF, 0x01000000));
  show("unmap a free address", NtUnmapViewOfSection(SELF, 0x30000000));
  show("unmap a kernel address", NtUnmapViewOfSection(SELF, 0x80100000));
  show("unmap in a bad process", NtUnmapViewOfSection(0x1234, view));

  // The view outlives the handle; unmapped, the pages go (the big section's views stay for the process's end).
  show("close", NtClose(section));
  show("the view outlives the handle", load<u32>(view + 0x1000) == 0x5EC70001 ? 1 : 0);
  show("unmap", NtUnmapViewOfSection(SELF, view));
}
