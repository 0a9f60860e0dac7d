// NtQuerySystemInformation: SystemBasicInformation (0),
// SystemProcessorInformation (1), SystemPerformanceInformation (2: the
// available, committed and commit-limit pages, the pool's pages, allocations
// and frees; the rest zero),
// SystemProcessInformation (5) and SystemPageFileInformation (18,
// mm/pagefile.ts), in their real 32-bit layouts.
//
// NtSetSystemInformation: the classes that change the system. Ex sits below
// the layers that check privileges, make sessions and load images, so each
// class is handed in at boot by the component that owns it
// (ExRegisterSetInformationHandler): SystemExtendServiceTableInformation (38)
// by ps/psw32.ts, SystemSessionCreate (47) and SystemSessionDetach (48) by
// ps/pssession.ts. Each handler checks the length first
// (STATUS_INFO_LENGTH_MISMATCH), then the privilege (STATUS_PRIVILEGE_NOT_HELD),
// then the pointer, as ReactOS orders them.
//
// SystemProcessInformation is Ps's answer (ps/pssysinfo.ts), and the memory
// figures of the basic, performance and paging-file classes are Mm's
// (mm/mminfo.ts): Ex sits below both, which hand them in at boot
// (ExSetProcessInformationRoutine, ExSetMemoryInformationRoutines).
//
// Every answer is built in pool and copied to the caller once, through the
// user-copy routine (ExCopyToUser), after the probes (range checks): a page
// another thread takes away meanwhile gives STATUS_ACCESS_VIOLATION. The
// pointers an answer holds into itself (image and paging-file names) are
// the caller's addresses.

import { KeFeatureBits, KeProcessorFamily, KeProcessorModel, KeProcessorStepping } from "../ke/cpu";
import { SYSTEM_BASIC_INFORMATION } from "../sdk/sysinfo";
import {
  STATUS_ACCESS_VIOLATION, STATUS_INFO_LENGTH_MISMATCH, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_INFO_CLASS, STATUS_SUCCESS,
  STATUS_NOT_IMPLEMENTED, STATUS_PRIVILEGE_NOT_HELD,
} from "../sdk/ntstatus";
import { ExCopyToUser, ExWriteUserUlong, ProbeUserRange } from "../ke/probe";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, ExPoolPages, ExPoolTotalAllocs, ExPoolTotalFrees, NonPagedPool } from "./pool";
import { SystemExtendServiceTableInformation } from "../sdk/sysinfo";
import { MM_ALLOCATION_GRANULARITY, MM_HIGHEST_USER_ADDRESS, MM_LOWEST_USER_ADDRESS, PAGE_SIZE } from "../sdk/ntdef";
import {
  SystemBasicInformation, SystemPageFileInformation, SystemPerformanceInformation, SystemProcessInformation, SystemProcessorInformation,
  SystemSessionCreate, SystemSessionDetach, SIZEOF_SYSTEM_PERFORMANCE_INFORMATION, SIZEOF_SYSTEM_PROCESSOR_INFORMATION,
  SYSTEM_PAGEFILE_INFORMATION, SYSTEM_PERFORMANCE_INFORMATION, SYSTEM_PROCESSOR_INFORMATION,
} from "../sdk/sysinfo";


const BASIC_SIZE: u32 = <u32>offsetof<SYSTEM_BASIC_INFORMATION>();
const PROCESSOR_SIZE: u32 = SIZEOF_SYSTEM_PROCESSOR_INFORMATION;
const PERFORMANCE_SIZE: u32 = SIZEOF_SYSTEM_PERFORMANCE_INFORMATION;
const SYSINFO_TAG: u32 = 0x49737953; // 'SysI'

// ---- what other components answer (Ex sits below them): handed in at boot ----

/** SystemProcessInformation's whole answer (Ps's, ps/pssysinfo.ts): (buffer, length, returnLength) -> NTSTATUS. */
export type EX_QUERY_INFORMATION = (buffer: usize, length: u32, returnLength: usize) => u32;
/** Fills Mm's part of a record (SYSTEM_BASIC_INFORMATION's pages, SYSTEM_PERFORMANCE_INFORMATION's memory figures, the paging files). */
export type EX_FILL_INFORMATION = (buffer: usize) => void;
/** The bytes of SystemPageFileInformation's answer now. */
export type EX_INFORMATION_LENGTH = () => u32;
function ExpNoProcesses(buffer: usize, length: u32, returnLength: usize): u32 { return STATUS_INVALID_INFO_CLASS; }
function ExpNoFill(buffer: usize): void {}
function ExpNoLength(): u32 { return 0; }
let ExpProcessInformation: EX_QUERY_INFORMATION = ExpNoProcesses;
let ExpFillBasicMemory: EX_FILL_INFORMATION = ExpNoFill;
let ExpFillPerformanceMemory: EX_FILL_INFORMATION = ExpNoFill;
let ExpPageFileInformationLength: EX_INFORMATION_LENGTH = ExpNoLength;
let ExpFillPageFileRecords: EX_FILL_INFORMATION = ExpNoFill;

/** Phase 1, by Ps (PsInitializeSystem): the process list. */
export function ExSetProcessInformationRoutine(routine: EX_QUERY_INFORMATION): void { ExpProcessInformation = routine; }
/** Phase 0, by Mm (MmInitializeAddressSpaces): its pages, commit figures and paging files. */
export function ExSetMemoryInformationRoutines(basic: EX_FILL_INFORMATION, performance: EX_FILL_INFORMATION,
                                               pageFileLength: EX_INFORMATION_LENGTH, pageFiles: EX_FILL_INFORMATION): void {
  ExpFillBasicMemory = basic;
  ExpFillPerformanceMemory = performance;
  ExpPageFileInformationLength = pageFileLength;
  ExpFillPageFileRecords = pageFiles;
}

/** NtQuerySystemInformation(SystemInformationClass, SystemInformation, Length, *ReturnLength). */
export function NtQuerySystemInformation(infoClass: u32, buffer: usize, length: u32, returnLength: usize): u32 {
  if (returnLength != 0 && !ProbeUserRange(returnLength, 4, 4)) return STATUS_ACCESS_VIOLATION;
  if (infoClass == SystemProcessInformation) return ExpProcessInformation(buffer, length, returnLength);
  let size: u32 = 0, exact = true;
  switch (infoClass) {
    case SystemBasicInformation: size = BASIC_SIZE; break;
    case SystemProcessorInformation: size = PROCESSOR_SIZE; break;
    case SystemPerformanceInformation: size = PERFORMANCE_SIZE; exact = false; break;
    case SystemPageFileInformation: size = ExpPageFileInformationLength(); exact = false; break;
    default: return STATUS_INVALID_INFO_CLASS;
  }
  if (returnLength != 0 && !ExWriteUserUlong(returnLength, size)) return STATUS_ACCESS_VIOLATION;
  if (exact ? length != size : length < size) return STATUS_INFO_LENGTH_MISMATCH;
  if (!ProbeUserRange(buffer, size, 4)) return STATUS_ACCESS_VIOLATION;
  if (size == 0) return STATUS_SUCCESS;
  const answer = ExAllocatePoolWithTag(NonPagedPool, size, SYSINFO_TAG);
  if (answer == 0) return STATUS_INSUFFICIENT_RESOURCES;
  memory.fill(answer, 0, size);
  if (infoClass == SystemBasicInformation) ExpFillBasic(answer);
  else if (infoClass == SystemProcessorInformation) ExpFillProcessor(answer);
  else if (infoClass == SystemPerformanceInformation) ExpFillPerformance(answer);
  else if (size == ExpPageFileInformationLength()) ExpFillPageFiles(answer, buffer);
  else size = 0; // a paging file came meanwhile: an empty answer rather than a write past the block
  const ok = size == 0 || ExCopyToUser(buffer, answer, size);
  ExFreePoolWithTag(answer, SYSINFO_TAG);
  return ok ? STATUS_SUCCESS : STATUS_ACCESS_VIOLATION;
}

function ExpFillBasic(buffer: usize): void {
  const b = changetype<SYSTEM_BASIC_INFORMATION>(buffer);
  b.TimerResolution = 100000; // 10 ms in 100 ns units
  b.PageSize = PAGE_SIZE;
  ExpFillBasicMemory(buffer); // NumberOfPhysicalPages, Lowest- and HighestPhysicalPageNumber (Mm)
  b.AllocationGranularity = MM_ALLOCATION_GRANULARITY;
  b.MinimumUserModeAddress = MM_LOWEST_USER_ADDRESS;
  b.MaximumUserModeAddress = MM_HIGHEST_USER_ADDRESS;
  b.ActiveProcessorsAffinityMask = 1;
  b.NumberOfProcessors = 1;
}

/**
 * Architecture 0 (x86), Level = cpuid family, Revision = model << 8 | stepping (family 6 and later,
 * as NT encodes it), MaximumProcessors, FeatureBits: what smss makes PROCESSOR_LEVEL and _REVISION of.
 */
function ExpFillProcessor(buffer: usize): void {
  const p = changetype<SYSTEM_PROCESSOR_INFORMATION>(buffer);
  p.ProcessorArchitecture = 0;
  p.ProcessorLevel = <u16>KeProcessorFamily;
  p.ProcessorRevision = <u16>((KeProcessorModel << 8) | KeProcessorStepping);
  p.MaximumProcessors = 1;
  p.FeatureBits = KeFeatureBits;
}

function ExpFillPerformance(buffer: usize): void {
  const p = changetype<SYSTEM_PERFORMANCE_INFORMATION>(buffer);
  ExpFillPerformanceMemory(buffer); // AvailablePages, commit figures, paging counts (Mm)
  // The pool (only nonpaged memory exists): its pages, and allocations and frees since boot.
  p.NonPagedPoolUsage = ExPoolPages;
  p.NonPagedPoolAllocs = ExPoolTotalAllocs();
  p.NonPagedPoolFrees = ExPoolTotalFrees();
}

/** Mm's paging-file records at `answer`, their name pointers moved to the caller's copy at `user`. */
function ExpFillPageFiles(answer: usize, user: usize): void {
  ExpFillPageFileRecords(answer);
  let at = answer;
  while (true) {
    const r = changetype<SYSTEM_PAGEFILE_INFORMATION>(at);
    r.FileName_Buffer = r.FileName_Buffer - answer + user;
    const next = r.NextEntryOffset;
    if (next == 0) break;
    at += next;
  }
}

// ---- NtSetSystemInformation ----

/** One class of NtSetSystemInformation: the caller's buffer and length as they are. */
export type SetInformationHandler = (buffer: usize, length: u32) => u32;

function ExpNoHandler(buffer: usize, length: u32): u32 { return STATUS_NOT_IMPLEMENTED; }
let ExpDriverLoader: SetInformationHandler = ExpNoHandler;
let ExpSessionCreate: SetInformationHandler = ExpNoHandler;
let ExpSessionDetach: SetInformationHandler = ExpNoHandler;

/**
 * Phase 1: the component that owns a class hands in its handler (Ps for the
 * session driver loader and for sessions), as Mm hands the pool its pages.
 * Until then the class answers STATUS_NOT_IMPLEMENTED.
 */
export function ExRegisterSetInformationHandler(infoClass: u32, handler: SetInformationHandler): void {
  if (infoClass == SystemExtendServiceTableInformation) ExpDriverLoader = handler;
  else if (infoClass == SystemSessionCreate) ExpSessionCreate = handler;
  else if (infoClass == SystemSessionDetach) ExpSessionDetach = handler;
}

/** NtSetSystemInformation(SystemInformationClass, SystemInformation, SystemInformationLength). */
export function NtSetSystemInformation(infoClass: u32, buffer: usize, length: u32): u32 {
  switch (infoClass) {
    case SystemExtendServiceTableInformation: return ExpDriverLoader(buffer, length);
    case SystemSessionCreate: return ExpSessionCreate(buffer, length);
    case SystemSessionDetach: return ExpSessionDetach(buffer, length);
  }
  return STATUS_INVALID_INFO_CLASS;
}
