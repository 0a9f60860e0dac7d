// Physical memory, as the loader reports it.
//
// Phase 0 reads the multiboot memory map (or, without one, the loader's
// lower/upper memory sizes), logs every range and keeps the usable ones,
// trimmed to whole pages and to the first 4 GiB, in MmPhysicalRanges for the
// page allocator to come.
//
//   memory map entry:  +0 size (of the rest of the entry, not counting itself)
//                      +4 base (u64)  +12 length (u64)  +20 type

import { KeBugCheckEx, PHASE0_INITIALIZATION_FAILED } from "../ke/bugcheck";
import { KeLoaderBlock, LOADER_PARAMETER_BLOCK } from "../ke/loader";
import { KeLogBegin, KeLogDecimal, KeLogEnd, KeLogHex, KeLogString, KeLog, KeLogFormat3 } from "../ke/log";
import { PAGE_SIZE } from "../sdk/ntdef";

/** Most usable ranges kept; more are logged but ignored. */
export const MM_MAX_RANGES: u32 = 32;

const MMAP_ENTRY_SIZE: u32 = 0;   // size of the rest of the entry
const MMAP_ENTRY_BASE_LO: u32 = 4;
const MMAP_ENTRY_BASE_HI: u32 = 8;
const MMAP_ENTRY_LENGTH_LO: u32 = 12;
const MMAP_ENTRY_LENGTH_HI: u32 = 16;
const MMAP_ENTRY_TYPE: u32 = 20;

const MMAP_TYPE_USABLE: u32 = 1;        // RAM the OS may use
const MMAP_TYPE_RESERVED: u32 = 2;      // firmware, devices
const MMAP_TYPE_ACPI_RECLAIM: u32 = 3;  // ACPI tables, usable once read
const MMAP_TYPE_ACPI_NVS: u32 = 4;      // ACPI non-volatile storage
const MMAP_TYPE_BAD: u32 = 5;           // defective RAM

/** Extended memory (mem_upper) starts at 1 MiB. */
const EXTENDED_MEMORY_BASE: u32 = 0x100000;
/** Phase 0 step reported in p1 when there is no memory information at all. */
const PHASE0_STEP_MEMORY: u32 = 2;

/** Usable physical ranges, page aligned: MM_MAX_RANGES pairs of (first byte, bytes). */
export const MmPhysicalRanges: usize = memory.data(MM_MAX_RANGES * 8, 4);
/** Entries in MmPhysicalRanges. */
export let MmPhysicalRangeCount: u32 = 0;
/** Usable memory in KiB, as reported by the loader. */
export let MmUsableKiB: u32 = 0;

function MiRangeTypeName(type: u32): string {
  switch (type) {
    case MMAP_TYPE_USABLE: return "usable";
    case MMAP_TYPE_RESERVED: return "reserved";
    case MMAP_TYPE_ACPI_RECLAIM: return "ACPI reclaimable";
    case MMAP_TYPE_ACPI_NVS: return "ACPI NVS";
    case MMAP_TYPE_BAD: return "bad";
  }
  return "unknown type";
}

/** Logs one range and, when usable, counts it and keeps its whole pages. */
function MiAddRange(baseLow: u32, baseHigh: u32, lengthLow: u32, lengthHigh: u32, type: u32): void {
  if (lengthLow == 0 && lengthHigh == 0) return;
  KeLogBegin("mm");
  if (baseHigh != 0) {
    KeLogString("range above 4 GiB ignored (");
    KeLogString(MiRangeTypeName(type));
    KeLogString(")");
    KeLogEnd();
    return;
  }
  // Clip to the 32-bit physical address space.
  let length = lengthLow;
  if (lengthHigh != 0 || length > 0xFFFFFFFF - baseLow) length = 0 - baseLow;
  const last = length == 0 ? 0xFFFFFFFF : baseLow + length - 1;
  KeLogHex(baseLow);
  KeLogString("-");
  KeLogHex(last);
  KeLogString(" ");
  KeLogString(MiRangeTypeName(type));
  KeLogEnd();
  if (type != MMAP_TYPE_USABLE) return;
  MmUsableKiB += length == 0 ? 0x400000 : length >>> 10;
  const first = (baseLow + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
  const end = (last + 1) & ~(PAGE_SIZE - 1); // 0 when the range reaches 4 GiB
  if (MmPhysicalRangeCount < MM_MAX_RANGES && first >= baseLow && (end == 0 || end > first)) {
    const slot = MmPhysicalRanges + (MmPhysicalRangeCount << 3);
    store<u32>(slot, first);
    store<u32>(slot, end - first, 4);
    MmPhysicalRangeCount++;
  }
}

/** Reads the loader's memory information; bug-checks when there is none. */
export function MmInitializePhysicalMemory(): void {
  const block = changetype<LOADER_PARAMETER_BLOCK>(KeLoaderBlock);
  if (block.MemoryMap != 0) {
    let entry = block.MemoryMap;
    const end = block.MemoryMap + block.MemoryMapLength;
    while (entry < end) {
      MiAddRange(
        load<u32>(entry + MMAP_ENTRY_BASE_LO), load<u32>(entry + MMAP_ENTRY_BASE_HI),
        load<u32>(entry + MMAP_ENTRY_LENGTH_LO), load<u32>(entry + MMAP_ENTRY_LENGTH_HI),
        load<u32>(entry + MMAP_ENTRY_TYPE));
      entry += load<u32>(entry + MMAP_ENTRY_SIZE) + 4;
    }
  } else if (block.MemoryLowerKiB != 0 || block.MemoryUpperKiB != 0) {
    KeLog("mm", "no memory map; using the loader's lower and upper memory sizes");
    MiAddRange(0, 0, block.MemoryLowerKiB << 10, 0, MMAP_TYPE_USABLE);
    MiAddRange(EXTENDED_MEMORY_BASE, 0, block.MemoryUpperKiB << 10, 0, MMAP_TYPE_USABLE);
  } else {
    KeLog("mm", "the loader gave no memory information");
    KeBugCheckEx(PHASE0_INITIALIZATION_FAILED, PHASE0_STEP_MEMORY, block.Flags, 0, 0);
  }
  KeLogFormat3("mm", "%u KiB usable in %u%s", MmUsableKiB, MmPhysicalRangeCount, changetype<usize>(MmPhysicalRangeCount == 1 ? " range" : " ranges"));
}
