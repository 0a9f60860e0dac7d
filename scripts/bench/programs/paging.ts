// Bench: paging's cost (kernel/mm/paging.ts). Makes a 24 MiB paging file,
// commits PAGES pages, writes one word in each page in order, and with READ
// reads them back in order (checking each); then prints the paging counters
// of SystemPerformanceInformation: "paging written W read R transition T bad B".
// scripts/bench.ts runs it with different PAGES, READ and RAM sizes and takes
// differences of whole-boot guest instruction counts.
import { put, putDec, flush, unicode, NtAllocateVirtualMemory, NtQuerySystemInformation } from "../../../test/boot/programs/nt";
@external("ntdll", "NtCreatePagingFile") declare function NtCreatePagingFile(name: usize, minimum: usize, maximum: usize, priority: u32): u32;
@external("ntdll", "NtOpenProcessToken") declare function NtOpenProcessToken(process: u32, access: u32, token: usize): u32;
@external("ntdll", "NtAdjustPrivilegesToken") declare function NtAdjustPrivilegesToken(token: u32, disableAll: u32, newState: usize, length: u32, previous: usize, returnLength: usize): u32;

const PAGES: u32 = 0;
const READ: u32 = 0;
const SELF: u32 = 0xFFFFFFFF;
const name = memory.data(8, 4);
const minimum = memory.data(8, 8);
const token = memory.data(4, 4);
const state = memory.data(16, 4);
const base = memory.data(4, 4);
const size = memory.data(4, 4);
const perf = memory.data(312, 8);

export function main(): void {
  NtOpenProcessToken(SELF, 0x28, token);
  store<u32>(state, 1); store<u32>(state, 15, 4); store<u32>(state, 0, 8); store<u32>(state, 2, 12);
  NtAdjustPrivilegesToken(load<u32>(token), 0, state, 0, 0, 0);
  store<u64>(minimum, <u64>24 << 20);
  const created = NtCreatePagingFile(unicode(name, "\\??\\C:\\pagefile.sys"), minimum, minimum, 0);
  let bad: u32 = created;
  if (PAGES != 0) {
    store<u32>(base, 0); store<u32>(size, PAGES << 12);
    bad |= NtAllocateVirtualMemory(SELF, base, 0, size, 0x3000, 0x04);
    const region = load<u32>(base);
    for (let p: u32 = 0; p < PAGES; p++) store<u32>(region + (p << 12), p * 0x9E3779B1);
    if (READ != 0) for (let p: u32 = 0; p < PAGES; p++) if (load<u32>(region + (p << 12)) != p * 0x9E3779B1) bad++;
  }
  NtQuerySystemInformation(2, perf, 312, 0);
  put("paging written "); putDec(load<u32>(perf, 96)); put(" read "); putDec(load<u32>(perf, 80));
  put(" transition "); putDec(load<u32>(perf, 68)); put(" bad "); putDec(bad); flush();
}
