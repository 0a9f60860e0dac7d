// The commit charge is checked and taken in one step (kernel/mm/pfn.ts
// MiChargeCommitment): two threads commit at once, each three quarters of
// what is left under the commit limit, so either fits alone and both do
// not. In every round exactly one must succeed and the other get
// STATUS_COMMITMENT_LIMIT; the one that succeeded frees its region before
// the next round. A check made apart from the charge (the commit charge
// computed from the pages in use, as before) lets both through. Only the
// main thread prints.
import { spawnThread as spawn, threadReturned } from "./nt";
import { put, putDec, putHex, flush, ms, NtAllocateVirtualMemory, NtCreateEvent, NtFreeVirtualMemory, NtQuerySystemInformation,
  NtSetEvent, NtWaitForSingleObject } from "./nt";
import { SIZEOF_SYSTEM_PERFORMANCE_INFORMATION, SYSTEM_PERFORMANCE_INFORMATION, SystemPerformanceInformation } from "../../../kernel/sdk/sysinfo";
import { STATUS_COMMITMENT_LIMIT } from "../../../kernel/sdk/ntstatus";

const SELF: u32 = 0xFFFFFFFF;
const ROUNDS: u32 = 20;
const perf = memory.data(<i32>SIZEOF_SYSTEM_PERFORMANCE_INFORMATION, 8);
const t = memory.data(8, 8);
const events = memory.data(16, 4);   // start[0], start[1], done[0], done[1]
const cells = memory.data(32, 4);    // per thread: base, size, status (+0, +4, +8; 16 bytes each)
let pages: u32 = 0;                  // what each thread commits this round (set before the starts)

function worker(id: u32): void {
  const cell = cells + (id << 4);
  for (let round: u32 = 0; round < ROUNDS; round++) {
    NtWaitForSingleObject(load<u32>(events + (id << 2)), 0, 0);
    store<u32>(cell, 0); store<u32>(cell, pages << 12, 4);
    store<u32>(cell, NtAllocateVirtualMemory(SELF, cell, 0, cell + 4, 0x3000, 0x04), 8); // MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE
    NtSetEvent(load<u32>(events + ((2 + id) << 2)), 0);
  }
}

export function main(): void {
  const indirect: (p: u32) => void = threadReturned;
  if (load<u32>(0x7FFDF0F0) == 0x12345678) indirect(load<u32>(0x7FFDF0F4));
  for (let i: u32 = 0; i < 4; i++) NtCreateEvent(events + (i << 2), 0x1F0003, 0, 1, 0); // synchronization events, not signalled
  const a = spawn(worker, 0, 0), b = spawn(worker, 1, 0);
  if (a == 0 || b == 0) return;
  let one: u32 = 0, both: u32 = 0, neither: u32 = 0, other: u32 = 0;
  for (let round: u32 = 0; round < ROUNDS; round++) {
    NtQuerySystemInformation(SystemPerformanceInformation, perf, SIZEOF_SYSTEM_PERFORMANCE_INFORMATION, 0);
    const p = changetype<SYSTEM_PERFORMANCE_INFORMATION>(perf);
    const left = p.TotalCommitLimit - p.TotalCommittedPages;
    pages = left - left / 4; // each fits; both are 1.5 times what is left
    if (round == 0) { put("left "); putDec(left); put(" pages; each thread commits "); putDec(pages); flush(); }
    NtSetEvent(load<u32>(events), 0);
    NtSetEvent(load<u32>(events + 4), 0);
    NtWaitForSingleObject(load<u32>(events + 8), 0, ms(t, 60000));
    NtWaitForSingleObject(load<u32>(events + 12), 0, ms(t, 60000));
    const s0 = load<u32>(cells, 8), s1 = load<u32>(cells + 16, 8);
    if ((s0 == 0 && s1 == STATUS_COMMITMENT_LIMIT) || (s1 == 0 && s0 == STATUS_COMMITMENT_LIMIT)) one++;
    else if (s0 == 0 && s1 == 0) both++;
    else if (s0 == STATUS_COMMITMENT_LIMIT && s1 == STATUS_COMMITMENT_LIMIT) neither++;
    else { other++; put("round "); putDec(round); put(": "); putHex(s0); put(" "); putHex(s1); flush(); }
    for (let id: u32 = 0; id < 2; id++) {
      const cell = cells + (id << 4);
      if (load<u32>(cell, 8) != 0) continue;
      store<u32>(cell, 0, 4);
      NtFreeVirtualMemory(SELF, cell, cell + 4, 0x8000); // MEM_RELEASE
    }
  }
  put("rounds "); putDec(ROUNDS); put(": exactly one refused "); putDec(one); put(", both passed "); putDec(both);
  put(", both refused "); putDec(neither); put(", other "); putDec(other); flush();
  NtWaitForSingleObject(a, 0, ms(t, 10000));
  NtWaitForSingleObject(b, 0, ms(t, 10000));
}
