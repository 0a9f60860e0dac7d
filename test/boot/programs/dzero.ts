// Demand-zero private commits (kernel/mm/virtual.ts, mm/procmm.ts): a commit
// of PAGES pages takes no page frame but is charged to the commit at once;
// the pages read as zero, and each takes its frame on first touch, from
// ring 3 or from a kernel access (NtWriteVirtualMemory, NtReadVirtualMemory,
// a service's out-parameter). Protection changes and decommits of pages
// never touched work on their PTEs alone. Every figure comes from
// SystemPerformanceInformation and NtQueryVirtualMemory; the test
// (test/boot/demandzero.test.ts) checks them.
import { put, putDec, putHex, flush, NtAllocateVirtualMemory, NtFreeVirtualMemory, NtProtectVirtualMemory,
  NtQueryVirtualMemory, NtReadVirtualMemory, NtWriteVirtualMemory } from "./nt";
import { MEMORY_BASIC_INFORMATION, SIZEOF_MEMORY_BASIC_INFORMATION } from "../../../kernel/sdk/ntdef";
import { CommittedMore, FramesTaken, lookAtMemory, queried, queryMemory } from "./memfigures";

const SELF: u32 = 0xFFFFFFFF;
const PAGES: u32 = 512;
const base = memory.data(4, 4);
const size = memory.data(4, 4);
const old = memory.data(4, 4);
const done = memory.data(4, 4);
const buffer = memory.data(64, 4);

/** Takes the figures now; prints how they moved since the last look. */
function look(what: string): void {
  lookAtMemory();
  if (what.length != 0) { put(what); put(": frames taken "); putDec(FramesTaken); put(" committed +"); putDec(CommittedMore); flush(); }
}
function query(what: string, address: usize): void {
  const status = queryMemory(address);
  const m = queried();
  put(what); put(": "); putHex(status); put(" state "); putHex(m.State); put(" protect "); putHex(m.Protect);
  put(" pages "); putDec(<u32>(m.RegionSize >>> 12)); flush();
}
function zeroes(at: usize): u32 {
  let nonzero: u32 = 0;
  for (let w: u32 = 0; w < 1024; w++) if (load<u32>(at + (w << 2)) != 0) nonzero++;
  return nonzero;
}

export function main(): void {
  look("");
  store<u32>(base, 0); store<u32>(size, PAGES << 12);
  put("commit "); putHex(NtAllocateVirtualMemory(SELF, base, 0, size, 0x3000, 0x04)); flush(); // MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE
  const region = load<u32>(base);
  look("after the commit");
  query("region", region);
  // Ring 3 reads every fourth page: each reads as zero and takes its frame then.
  let nonzero: u32 = 0;
  for (let p: u32 = 0; p < PAGES; p += 4) nonzero += zeroes(region + (p << 12));
  look("after reading every fourth page");
  put("nonzero words "); putDec(nonzero); flush();
  // Kernel accesses to pages never touched: a service writes one, reads another, and writes its out-parameter into a third.
  for (let i: u32 = 0; i < 16; i++) store<u8>(buffer + i, <u8>(0xA0 + i));
  const written = NtWriteVirtualMemory(SELF, region + (1 << 12) + 8, buffer, 16, done);
  let same = true;
  for (let i: u32 = 0; i < 16; i++) if (load<u8>(region + (1 << 12) + 8 + i) != <u8>(0xA0 + i)) same = false;
  put("kernel write "); putHex(written); put(same ? " read back" : " lost"); flush();
  memory.fill(buffer, 0xFF, 64);
  const read = NtReadVirtualMemory(SELF, region + (2 << 12), buffer, 64, done);
  let zero = true;
  for (let i: u32 = 0; i < 64; i++) if (load<u8>(buffer + i) != 0) zero = false;
  put("kernel read "); putHex(read); put(zero ? " zeroes" : " not zero"); flush();
  put("out-parameter "); putHex(NtQueryVirtualMemory(SELF, region, 0, region + (3 << 12), SIZEOF_MEMORY_BASIC_INFORMATION, 0)); put(" size in it ");
  putDec(<u32>(changetype<MEMORY_BASIC_INFORMATION>(region + (3 << 12)).RegionSize >>> 12)); flush();
  look("after 3 kernel accesses");
  // Protection of pages never touched: read-only, no access, and back.
  store<u32>(base, region + (5 << 12)); store<u32>(size, 4096);
  put("protect read-only "); putHex(NtProtectVirtualMemory(SELF, base, size, 0x02, old)); put(" old "); putHex(load<u32>(old)); flush();
  query("page 5", region + (5 << 12));
  put("page 5 nonzero words "); putDec(zeroes(region + (5 << 12))); flush();
  store<u32>(base, region + (6 << 12)); store<u32>(size, 4096);
  put("protect no access "); putHex(NtProtectVirtualMemory(SELF, base, size, 0x01, old)); flush();
  query("page 6", region + (6 << 12));
  put("kernel read of page 6 "); putHex(NtReadVirtualMemory(SELF, region + (6 << 12), buffer, 4, done)); flush();
  store<u32>(base, region + (6 << 12)); store<u32>(size, 4096);
  put("protect read/write "); putHex(NtProtectVirtualMemory(SELF, base, size, 0x04, old)); put(" old "); putHex(load<u32>(old)); flush();
  store<u32>(region + (6 << 12) + 100, 0x600D);
  put("page 6 word "); putHex(load<u32>(region + (6 << 12) + 100)); flush();
  // Decommit the upper half (64 of its pages touched), then release all.
  look("");
  store<u32>(base, region + ((PAGES / 2) << 12)); store<u32>(size, (PAGES / 2) << 12);
  put("decommit "); putHex(NtFreeVirtualMemory(SELF, base, size, 0x4000)); flush();
  lookAtMemory();
  put("after the decommit: frames freed "); putDec(0 - FramesTaken); put(" committed -"); putDec(0 - CommittedMore); flush();
  query("upper half", region + ((PAGES / 2) << 12));
  look("");
  store<u32>(base, region); store<u32>(size, 0);
  put("release "); putHex(NtFreeVirtualMemory(SELF, base, size, 0x8000)); flush();
  lookAtMemory();
  put("after the release: committed -"); putDec(0 - CommittedMore); flush();
}
