// The memory figures two test programs watch (dzero.ts, lazysec.ts): how
// SystemPerformanceInformation's AvailablePages and TotalCommittedPages moved
// since the last look, and NtQueryVirtualMemory's answer for one address.
import { NtQuerySystemInformation, NtQueryVirtualMemory } from "./nt";
import { SIZEOF_SYSTEM_PERFORMANCE_INFORMATION, SYSTEM_PERFORMANCE_INFORMATION, SystemPerformanceInformation } from "../../../kernel/sdk/sysinfo";
import { MEMORY_BASIC_INFORMATION, SIZEOF_MEMORY_BASIC_INFORMATION } from "../../../kernel/sdk/ntdef";

const perf = memory.data(<i32>SIZEOF_SYSTEM_PERFORMANCE_INFORMATION, 8);
const basic = memory.data(<i32>SIZEOF_MEMORY_BASIC_INFORMATION, 4);
let available: u32 = 0, committed: u32 = 0;

/** Frames taken and pages committed between the last two looks (two's complement when they went down). */
export let FramesTaken: u32 = 0;
export let CommittedMore: u32 = 0;

/** Takes the figures now; FramesTaken and CommittedMore say how they moved since the last look. */
export function lookAtMemory(): void {
  NtQuerySystemInformation(SystemPerformanceInformation, perf, SIZEOF_SYSTEM_PERFORMANCE_INFORMATION, 0);
  const p = changetype<SYSTEM_PERFORMANCE_INFORMATION>(perf);
  FramesTaken = available - p.AvailablePages;
  CommittedMore = p.TotalCommittedPages - committed;
  available = p.AvailablePages; committed = p.TotalCommittedPages;
}

/** NtQueryVirtualMemory(MemoryBasicInformation) of this process at `address`: its status; the record in `queried()`. */
export function queryMemory(address: usize): u32 {
  return NtQueryVirtualMemory(0xFFFFFFFF, address, 0, basic, SIZEOF_MEMORY_BASIC_INFORMATION, 0);
}
export function queried(): MEMORY_BASIC_INFORMATION { return changetype<MEMORY_BASIC_INFORMATION>(basic); }
