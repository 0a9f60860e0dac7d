// Virtual memory from ring 3: reserve, commit, use, query, protect, decommit,
// release, and the statuses for bad requests. Ends by writing to a page it
// made read-only: the process must end with STATUS_ACCESS_VIOLATION.
import { show, NtAllocateVirtualMemory, NtFreeVirtualMemory, NtProtectVirtualMemory, NtQueryVirtualMemory, put, putHex, flush } from "./nt";
import { MEMORY_BASIC_INFORMATION, SIZEOF_MEMORY_BASIC_INFORMATION } from "../../../kernel/sdk/ntdef";

const base = memory.data(4, 4);
const size = memory.data(4, 4);
const old = memory.data(4, 4);
const mbi = memory.data(<i32>SIZEOF_MEMORY_BASIC_INFORMATION, 4);
const SELF: u32 = 0xFFFFFFFF;

function query(what: string, address: u32): void {
  const s = NtQueryVirtualMemory(SELF, address, 0, mbi, SIZEOF_MEMORY_BASIC_INFORMATION, 0);
  put(what); put(" "); putHex(s);
  put(" base "); putHex(changetype<MEMORY_BASIC_INFORMATION>(mbi).BaseAddress); put(" alloc "); putHex(changetype<MEMORY_BASIC_INFORMATION>(mbi).AllocationBase);
  put(" size "); putHex(changetype<MEMORY_BASIC_INFORMATION>(mbi).RegionSize); put(" state "); putHex(changetype<MEMORY_BASIC_INFORMATION>(mbi).State); put(" protect "); putHex(changetype<MEMORY_BASIC_INFORMATION>(mbi).Protect);
  flush();
}

export function main(): void {
  // Reserve 256 KiB anywhere, then commit 8 KiB in its middle.
  store<u32>(base, 0); store<u32>(size, 0x40000);
  show("reserve", NtAllocateVirtualMemory(SELF, base, 0, size, 0x2000, 0x04));
  const region = load<u32>(base);
  show("reserved size", load<u32>(size));
  show("64 KiB aligned", (region & 0xFFFF) == 0 ? 1 : 0);
  store<u32>(base, region + 0x10000); store<u32>(size, 0x2000);
  show("commit", NtAllocateVirtualMemory(SELF, base, 0, size, 0x1000, 0x04));
  const page = region + 0x10000;
  show("zeroed", load<u32>(page) == 0 && load<u32>(page + 0x1FFC) == 0 ? 1 : 0);
  store<u32>(page, 0x12345678); store<u32>(page + 0x1FFC, 0x9ABCDEF0);
  show("kept", load<u32>(page) == 0x12345678 && load<u32>(page + 0x1FFC) == 0x9ABCDEF0 ? 1 : 0);
  query("query reserved", region);
  query("query committed", page);
  // Bad requests.
  store<u32>(base, region); store<u32>(size, 0x1000);
  show("overlapping reserve", NtAllocateVirtualMemory(SELF, base, 0, size, 0x2000, 0x04));
  show("bad protection", NtAllocateVirtualMemory(SELF, base, 0, size, 0x1000, 0x77));
  show("bad handle", NtAllocateVirtualMemory(0x1234, base, 0, size, 0x2000, 0x04));
  show("kernel pointer", NtAllocateVirtualMemory(SELF, 0x80100000, 0, size, 0x2000, 0x04));
  store<u32>(base, region + 0x1000); store<u32>(size, 0);
  show("release not at base", NtFreeVirtualMemory(SELF, base, size, 0x8000));
  // Protect the first committed page read-only; query shows it.
  store<u32>(base, page); store<u32>(size, 0x1000);
  show("protect", NtProtectVirtualMemory(SELF, base, size, 0x02, old));
  show("old protection", load<u32>(old));
  query("query read-only", page);
  show("still readable", load<u32>(page) == 0x12345678 ? 1 : 0);
  // Decommit the second page, release a separate region.
  store<u32>(base, page + 0x1000); store<u32>(size, 0x1000);
  show("decommit", NtFreeVirtualMemory(SELF, base, size, 0x4000));
  query("query decommitted", page + 0x1000);
  store<u32>(base, 0); store<u32>(size, 0x3000);
  NtAllocateVirtualMemory(SELF, base, 0, size, 0x3000, 0x04);
  const other = load<u32>(base);
  store<u32>(size, 0);
  show("release", NtFreeVirtualMemory(SELF, base, size, 0x8000));
  query("query released", other);
  put("writing the read-only page"); flush();
  store<u32>(page, 1);
  put("wrote a read-only page"); flush();
}
