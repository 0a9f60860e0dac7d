// Boot-time self-test of the page frame database and the pool, run when the
// command line has `selftest`. It allocates and frees pool blocks of mixed
// sizes in an interleaved pattern, checks that no two live blocks overlap
// (each is filled with its own pattern and verified before it is freed), and
// that pool pages, bytes in use and free physical pages all return to where
// they started. The result is one log line the boot tests look for.
// With `selftest-double-free` too, it then frees a block twice, which must
// bug-check with BAD_POOL_CALLER.

import { KeCommandLineHasOption } from "../ke/loader";
import { KeLogBegin, KeLogDecimal, KeLogEnd, KeLogHex, KeLogString, KeLogFormat2 } from "../ke/log";
import { MmAvailablePages, MmAllocatePhysicalPages, MmFreePhysicalPage, MmPageToVirtual } from "./pfn";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, ExPoolBytesInUse, ExPoolPages, ExPoolTagBytes, NonPagedPool, PoolTag } from "../ex/pool";

const LIVE: u32 = 64;
const CYCLES: u32 = 1000;

function fail(what: string, value: u32): bool {
  KeLogFormat2("mm", "self-test FAILED: %s %x", changetype<usize>(what), value);
  return false;
}

function fillPattern(p: usize, bytes: u32, seed: u32): void {
  for (let i: u32 = 0; i < bytes; i += 4) store<u32>(p + i, seed ^ i);
}
function checkPattern(p: usize, bytes: u32, seed: u32): bool {
  for (let i: u32 = 0; i < bytes; i += 4) if (load<u32>(p + i) != (seed ^ i)) return false;
  return true;
}

export function MmRunSelfTest(): bool {
  const tag = PoolTag("Test");
  const pages0 = ExPoolPages, bytes0 = ExPoolBytesInUse, free0 = MmAvailablePages;
  const ptrs = memory.data(<i32>(LIVE * 4), 4);
  const sizes = memory.data(<i32>(LIVE * 4), 4);
  memory.fill(ptrs, 0, LIVE * 4);
  let rng: u32 = 0x2545F491;
  let peak: u32 = 0;
  for (let n: u32 = 0; n < CYCLES; n++) {
    rng = rng * 1664525 + 1013904223;
    const slot = (rng >>> 8) % LIVE;
    const sp = ptrs + slot * 4, ss = sizes + slot * 4;
    const old = load<usize>(sp);
    if (old != 0) {
      if (!checkPattern(old, load<u32>(ss) & ~3, slot * 0x01010101 ^ <u32>old)) return fail("block overwritten at", <u32>old);
      ExFreePoolWithTag(old, tag);
      store<usize>(sp, 0);
      continue;
    }
    // Mostly small blocks, sometimes one or two pages.
    const bytes: u32 = (rng >>> 24) < 16 ? 4096 + ((rng >>> 4) & 4095) : 4 + ((rng >>> 12) % 600);
    const p = ExAllocatePoolWithTag(NonPagedPool, bytes, tag);
    if (p == 0) return fail("out of pool at cycle", n);
    if ((p & 7) != 0) return fail("misaligned block", <u32>p);
    for (let i: u32 = 0; i < bytes; i++) if (load<u8>(p + i) != 0) return fail("block not zeroed", <u32>p);
    fillPattern(p, bytes & ~3, slot * 0x01010101 ^ <u32>p);
    store<usize>(sp, p);
    store<u32>(ss, bytes);
    if (ExPoolPages > peak) peak = ExPoolPages;
  }
  for (let slot: u32 = 0; slot < LIVE; slot++) {
    const p = load<usize>(ptrs + slot * 4);
    if (p == 0) continue;
    if (!checkPattern(p, load<u32>(sizes + slot * 4) & ~3, slot * 0x01010101 ^ <u32>p)) return fail("block overwritten at", <u32>p);
    ExFreePoolWithTag(p, tag);
  }
  if (ExPoolTagBytes(tag) != 0) return fail("bytes left under the tag:", ExPoolTagBytes(tag));
  if (ExPoolBytesInUse != bytes0) return fail("pool bytes in use differ:", ExPoolBytesInUse);
  if (ExPoolPages != pages0) return fail("pool pages differ:", ExPoolPages);
  if (MmAvailablePages != free0) return fail("free pages differ:", MmAvailablePages);
  // Contiguous runs come back whole.
  const run = MmAllocatePhysicalPages(8);
  if (run == 0) return fail("no run of 8 pages", 0);
  for (let i: u32 = 0; i < 8 * 4096; i += 4) if (load<u32>(MmPageToVirtual(run) + i) != 0) return fail("run not zeroed", i);
  for (let i: u32 = 0; i < 8; i++) MmFreePhysicalPage(run + i);
  if (MmAvailablePages != free0) return fail("free pages differ after a run:", MmAvailablePages);
  if (KeCommandLineHasOption("selftest-double-free")) {
    // A deliberate caller bug: NT answers BAD_POOL_CALLER (0x7, tag, address, owner).
    const p = ExAllocatePoolWithTag(NonPagedPool, 40, tag);
    ExFreePoolWithTag(p, tag);
    ExFreePoolWithTag(p, tag);
  }
  KeLogFormat2("mm", "self-test passed: %u pool operations, peak %u pages, all returned", CYCLES, peak);
  return true;
}
