// A pagefile-backed section's pages come on first touch (kernel/mm/segment.ts):
// a 64-page section takes no page frame at creation but raises the commit
// charge by 64; two views of it take none either; a page written through one
// view is seen through the other, a page never written reads as zero in both,
// and each page touched takes one frame whichever view touches it, from ring 3
// or from a kernel access (NtWriteVirtualMemory, NtReadVirtualMemory). A view
// page made PAGE_NOACCESS before its first touch stays out of reach. When the
// views and the section are gone, the charge goes back and so do the frames.
// test/boot/demandzero.test.ts checks the lines.
import { put, putDec, putHex, flush, NtClose, NtCreateSection, NtMapViewOfSection, NtUnmapViewOfSection, NtProtectVirtualMemory,
  NtReadVirtualMemory, NtWriteVirtualMemory } from "./nt";
import { CommittedMore, FramesTaken, lookAtMemory, queried, queryMemory } from "./memfigures";

const SELF: u32 = 0xFFFFFFFF;
const PAGES: u32 = 64;
const h = memory.data(4, 4);
const maximum = memory.data(8, 8);
const base = memory.data(4, 4);
const size = memory.data(4, 4);
const old = memory.data(4, 4);
const done = memory.data(4, 4);
const buffer = memory.data(64, 4);

function look(what: string): void {
  lookAtMemory();
  if (what.length != 0) { put(what); put(": frames taken "); putDec(FramesTaken); put(" committed "); putDec(CommittedMore); flush(); }
}
function map(): u32 {
  store<u32>(base, 0); store<u32>(size, 0);
  const status = NtMapViewOfSection(load<u32>(h), SELF, base, 0, 0, 0, size, 1, 0, 0x04); // ViewShare, PAGE_READWRITE
  put("map "); putHex(status); put(" size "); putDec(load<u32>(size) >>> 12); flush();
  return load<u32>(base);
}

export function main(): void {
  look("");
  store<u64>(maximum, <u64>PAGES << 12);
  put("section "); putHex(NtCreateSection(h, 0xF001F, 0, maximum, 0x04, 0x8000000, 0)); flush(); // SECTION_ALL_ACCESS, SEC_COMMIT
  look("after the section");
  const a = map(), b = map();
  look("after two views");
  store<u32>(a + (3 << 12) + 12, 0xC0FFEE);
  put("written through one view, read through the other "); putHex(load<u32>(b + (3 << 12) + 12)); flush();
  let nonzero: u32 = 0;
  for (let w: u32 = 0; w < 1024; w++) nonzero += (load<u32>(b + (10 << 12) + (w << 2)) != 0 ? 1 : 0) + (load<u32>(a + (10 << 12) + (w << 2)) != 0 ? 1 : 0);
  put("page 10 nonzero words "); putDec(nonzero); flush();
  look("after two pages touched");
  for (let i: u32 = 0; i < 16; i++) store<u8>(buffer + i, <u8>(0x50 + i));
  put("kernel write "); putHex(NtWriteVirtualMemory(SELF, b + (20 << 12), buffer, 16, done));
  put(" seen through the other view "); putHex(load<u32>(a + (20 << 12))); flush();
  memory.fill(buffer, 0xFF, 64);
  put("kernel read "); putHex(NtReadVirtualMemory(SELF, a + (30 << 12), buffer, 64, done)); put(" first word "); putHex(load<u32>(buffer)); flush();
  look("after two kernel accesses");
  store<u32>(base, a + (40 << 12)); store<u32>(size, 4096);
  put("protect no access "); putHex(NtProtectVirtualMemory(SELF, base, size, 0x01, old)); put(" old "); putHex(load<u32>(old)); flush();
  queryMemory(a + (40 << 12));
  const m = queried();
  put("page 40: state "); putHex(m.State); put(" protect "); putHex(m.Protect); put(" type "); putHex(m.Type); flush();
  put("kernel read of page 40 "); putHex(NtReadVirtualMemory(SELF, a + (40 << 12), buffer, 4, done)); flush();
  put("page 40 through the other view "); putHex(load<u32>(b + (40 << 12))); flush();
  look("");
  put("unmap "); putHex(NtUnmapViewOfSection(SELF, a)); put(" "); putHex(NtUnmapViewOfSection(SELF, b)); put(" close "); putHex(NtClose(load<u32>(h))); flush();
  lookAtMemory();
  put("after the views and the section: frames freed "); putDec(0 - FramesTaken); put(" committed -"); putDec(0 - CommittedMore); flush();
}
