// Mm's figures for NtQuerySystemInformation (ex/sysinfo.ts): Ex sits below
// Mm, so Mm hands these in (ExSetMemoryInformationRoutines) when it builds
// the address spaces, before any caller can ask.

import { ExSetMemoryInformationRoutines } from "../ex/sysinfo";
import { MmAvailablePages, MmNumberOfManagedPages, MmTotalCommittedPages } from "./pfn";
import {
  MmPageFileInformationLength, MmPeakCommitmentPages, MmQueryPagingCounts, MmQueryPageFileInformation, MmTotalCommitLimit,
} from "./pagefile";
import { SYSTEM_BASIC_INFORMATION, SYSTEM_PERFORMANCE_INFORMATION } from "../sdk/sysinfo";

/** SYSTEM_BASIC_INFORMATION's physical pages. */
function MiFillBasicInformation(buffer: usize): void {
  const b = changetype<SYSTEM_BASIC_INFORMATION>(buffer);
  b.NumberOfPhysicalPages = MmNumberOfManagedPages;
  b.LowestPhysicalPageNumber = 1;
  b.HighestPhysicalPageNumber = MmNumberOfManagedPages + 0x800;
}

/** SYSTEM_PERFORMANCE_INFORMATION's memory figures. */
function MiFillPerformanceInformation(buffer: usize): void {
  const p = changetype<SYSTEM_PERFORMANCE_INFORMATION>(buffer);
  p.AvailablePages = MmAvailablePages;
  p.TotalCommittedPages = MmTotalCommittedPages();   // the private charge + what is not paged (mm/pfn.ts)
  p.TotalCommitLimit = MmTotalCommitLimit();       // physical pages + paging files
  p.PeakCommitment = MmPeakCommitmentPages();
  MmQueryPagingCounts(buffer);                     // TransitionFaults, PagesRead, PagefilePagesWritten, ...
}

/** Phase 0 (MmInitializeAddressSpaces). */
export function MmInitializeSystemInformation(): void {
  ExSetMemoryInformationRoutines(MiFillBasicInformation, MiFillPerformanceInformation, MmPageFileInformationLength, MmQueryPageFileInformation);
}
