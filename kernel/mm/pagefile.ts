// Paging files (Mm): NtCreatePagingFile and what the system information
// services report about them.
//
// smss creates the paging files its registry lists (`Memory Management\
// PagingFiles`), each with NtCreatePagingFile(Name, MinimumSize,
// MaximumSize, Priority). The kernel opens or creates the file (hidden,
// system; opened exclusively and kept open, so nobody can delete or change
// it while the system runs), gives it its minimum size through the file
// system with IO_PAGING_FILE (FAT: one contiguous run of clusters where the
// volume has one, not zeroed) and registers it: SystemPageFileInformation
// lists it and the commit limit (SystemPerformanceInformation's CommitLimit)
// grows by its pages. From then on it is backing store (mm/paging.ts): the
// modified page writer writes private pages out to it, page by page, with
// paging I/O (IoTransferFile with `paging`, IRP_PAGING_IO: the file system maps the
// offset through the file's one run of clusters without its locks), and a
// fault reads them back. Each file has a bitmap of its pages in use; page 0
// is never used (a paging-file PTE with PageFileHigh 0 would be NT's
// demand-zero PTE).
//
// NT's checks, in NT's order: sixteen files already, STATUS_TOO_MANY_PAGING_FILES;
// SeCreatePagefilePrivilege not enabled, STATUS_PRIVILEGE_NOT_HELD; a bad
// pointer, STATUS_ACCESS_VIOLATION; a minimum under 1 MiB (256 pages) or
// over the x86 maximum (4 GiB - 4 KiB), STATUS_INVALID_PARAMETER_2; a
// maximum under the minimum or over that, STATUS_INVALID_PARAMETER_3; an
// empty name or one over 256 bytes, STATUS_OBJECT_NAME_INVALID. Then the
// file system's status (STATUS_DISK_FULL when the volume has no room; a
// file created for the attempt is deleted again).
//
//   paging file (pool 'MmPf'): see MMPAGING_FILE; its name's characters follow it

import { ExCopyFromUser, KeEnterKernelCall, KeLeaveKernelCall, ProbeUserRange } from "../ke/probe";
import { KeLogBegin, KeLogCharacter, KeLogDecimal, KeLogEnd, KeLogString } from "../ke/log";
import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import { cli, read_eflags, sti } from "../sdk/intrinsics";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { MmNumberOfManagedPages, MmPeakCommitment, MmTotalCommittedPages } from "./pfn";
import { InitializeObjectAttributes, SYNCHRONIZE } from "../ob/obp";
import { ObDereferenceObject } from "../ob/obref";
import { MmOpenFile, MmSetDeleteFile, MmSetPagingFileSize, MmTransferFile } from "./mmfile";
import { MiPagingActive, MiStartModifiedPageWriter, MmPagesRead, MmPagesWritten, MmTransitionFaults } from "./paging";
import {
  FILE_ATTRIBUTE_ARCHIVE, FILE_ATTRIBUTE_HIDDEN, FILE_ATTRIBUTE_SYSTEM, FILE_CREATED, FILE_NON_DIRECTORY_FILE, FILE_OPEN_IF,
  FILE_READ_DATA, FILE_SYNCHRONOUS_IO_NONALERT, FILE_WRITE_DATA, IRP_MJ_READ, IRP_MJ_WRITE,
} from "../sdk/io";
import { SeSinglePrivilegeCheck } from "../se/token";
import { SE_CREATE_PAGEFILE_PRIVILEGE } from "../se/tokenobj";
import {
  NT_SUCCESS, STATUS_ACCESS_VIOLATION, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_PARAMETER_2,
  STATUS_INVALID_PARAMETER_3, STATUS_OBJECT_NAME_INVALID, STATUS_PRIVILEGE_NOT_HELD,
  STATUS_SUCCESS, STATUS_TOO_MANY_PAGING_FILES,
} from "../sdk/ntstatus";
import { InitializeCountedString, OBJ_CASE_INSENSITIVE, PAGE_SIZE } from "../sdk/ntdef";
import { SIZEOF_SYSTEM_PAGEFILE_INFORMATION, SYSTEM_PAGEFILE_INFORMATION, SYSTEM_PERFORMANCE_INFORMATION } from "../sdk/sysinfo";

/** NT's MAX_PAGING_FILES. */
export const MAX_PAGING_FILES: u32 = 16;
/** 256 pages: the smallest paging file NT takes. */
const MINIMUM_PAGEFILE_SIZE: u64 = 256 * PAGE_SIZE;
/** x86 without PAE: (1M - 1) pages. */
const MAXIMUM_PAGEFILE_SIZE: u64 = (1024 * 1024 - 1) * PAGE_SIZE;
/** MAXIMUM_FILENAME_LENGTH, compared with the name's length in bytes as NT does. */
const MAXIMUM_FILENAME_LENGTH: u32 = 256;
const PAGEFILE_TAG: u32 = 0x66506D4D; // 'MmPf'

/** One registered paging file. Sizes in pages. */
@unmanaged class MMPAGING_FILE {
  FileObject: usize;     // referenced for good: the file stays open
  MinimumPages: u32;
  MaximumPages: u32;
  CurrentPages: u32;     // the file's size now (its minimum: it never grows yet)
  InUsePages: u32;       // pages holding a paged-out page
  PeakPages: u32;
  Bitmap: usize;         // pool: a bit per page, set when in use (page 0 always)
  Hint: u32;             // where the next search for a free page starts
  NameLength: u32;       // bytes; the characters follow the record
}
const SIZEOF_MMPAGING_FILE: u32 = offsetof<MMPAGING_FILE>();

/** The paging files, in creation order; slot i is 0 while being made or unused. */
const MmPagingFiles: usize = memory.data(MAX_PAGING_FILES * 4, 4);
/** Slots taken (made, or being made). */
let MmNumberOfPagingFiles: u32 = 0;
/** Pages of every paging file: added to the physical pages for the commit limit. */
let MmTotalPagingFilePages: u32 = 0;
/** Pages of the paging files holding paged-out pages (they stay committed, charged at their commit). */
export let MmPagedOutPages: u32 = 0;

/**
 * NT's MmTotalCommitLimit: physical pages plus every paging file's pages,
 * counted only once the modified page writer runs. A commit the paging files
 * let through before then would take pages no one could page out: user
 * allocations would empty the free list, reserve and all (STATUS_NO_MEMORY).
 */
export function MmTotalCommitLimit(): u32 { return MmNumberOfManagedPages + (MiPagingActive ? MmTotalPagingFilePages : 0); }
export function MmPeakCommitmentPages(): u32 { MmTotalCommittedPages(); return MmPeakCommitment; }

/**
 * Paging's counters in SYSTEM_PERFORMANCE_INFORMATION (`buffer`, probed):
 * TransitionCount (+68, soft faults), PageReadCount and PageReadIoCount
 * (+80, +84: pages read back, one read each), DirtyPagesWriteCount and
 * DirtyWriteIoCount (+96, +100: pages the modified page writer wrote, one
 * write each).
 */
export function MmQueryPagingCounts(buffer: usize): void {
  const p = changetype<SYSTEM_PERFORMANCE_INFORMATION>(buffer);
  p.TransitionFaults = MmTransitionFaults;
  p.PagesRead = MmPagesRead;
  p.PageReadIos = MmPagesRead;            // one page per read
  p.PagefilePagesWritten = MmPagesWritten;
  p.PagefilePageWriteIos = MmPagesWritten; // one page per write
}

/** Takes a slot (0xFFFFFFFF: sixteen are taken), interrupts off while counting. */
function MiReservePagingFileSlot(): u32 {
  const on = (read_eflags() & 0x200) != 0;
  cli();
  let slot: u32 = 0xFFFFFFFF;
  if (MmNumberOfPagingFiles < MAX_PAGING_FILES) slot = MmNumberOfPagingFiles++;
  if (on) sti();
  return slot;
}

/**
 * NtCreatePagingFile(PageFileName, MinimumSize, MaximumSize, Priority):
 * see the head of this file. Priority is not used (NT 5 ignores it too).
 */
export function NtCreatePagingFile(name: usize, minimumSize: usize, maximumSize: usize, priority: u32): u32 {
  if (MmNumberOfPagingFiles >= MAX_PAGING_FILES) return STATUS_TOO_MANY_PAGING_FILES;
  if (!SeSinglePrivilegeCheck(SE_CREATE_PAGEFILE_PRIVILEGE)) return STATUS_PRIVILEGE_NOT_HELD;
  // The sizes and the UNICODE_STRING are read once, into this thread's scratch.
  if (!ProbeUserRange(minimumSize, 8, 4) || !ProbeUserRange(maximumSize, 8, 4) || !ProbeUserRange(name, 8, 4)) return STATUS_ACCESS_VIOLATION;
  const captured = KeAllocateScratch(24);
  const ok = ExCopyFromUser(captured, minimumSize, 8) && ExCopyFromUser(captured + 8, maximumSize, 8) && ExCopyFromUser(captured + 16, name, 8);
  const minimum = load<u64>(captured), maximum = load<u64>(captured, 8);
  const length = <u32>load<u16>(captured, 16);
  const buffer = load<usize>(captured, 20);
  KeFreeScratch(captured);
  if (!ok) return STATUS_ACCESS_VIOLATION;
  if (minimum < MINIMUM_PAGEFILE_SIZE || minimum > MAXIMUM_PAGEFILE_SIZE) return STATUS_INVALID_PARAMETER_2;
  if (maximum < minimum || maximum > MAXIMUM_PAGEFILE_SIZE) return STATUS_INVALID_PARAMETER_3;
  if (length == 0 || length > MAXIMUM_FILENAME_LENGTH || (length & 1) != 0) return STATUS_OBJECT_NAME_INVALID;
  if (!ProbeUserRange(buffer, length, 2)) return STATUS_ACCESS_VIOLATION;
  const record = ExAllocatePoolWithTag(NonPagedPool, SIZEOF_MMPAGING_FILE + length, PAGEFILE_TAG);
  if (record == 0) return STATUS_INSUFFICIENT_RESOURCES;
  const pf = changetype<MMPAGING_FILE>(record);
  if (!ExCopyFromUser(record + SIZEOF_MMPAGING_FILE, buffer, length)) { ExFreePoolWithTag(record, PAGEFILE_TAG); return STATUS_ACCESS_VIOLATION; } // captured: read once
  pf.NameLength = length;
  pf.MinimumPages = <u32>(minimum / PAGE_SIZE);
  pf.MaximumPages = <u32>(maximum / PAGE_SIZE);
  pf.CurrentPages = pf.MinimumPages;
  pf.InUsePages = 0;
  pf.PeakPages = 0;
  pf.Hint = 1;
  pf.Bitmap = ExAllocatePoolWithTag(NonPagedPool, (pf.CurrentPages + 7) >>> 3, PAGEFILE_TAG);
  if (pf.Bitmap == 0) { ExFreePoolWithTag(record, PAGEFILE_TAG); return STATUS_INSUFFICIENT_RESOURCES; }
  store<u8>(pf.Bitmap, 1); // page 0: never used
  const slot = MiReservePagingFileSlot();
  if (slot == 0xFFFFFFFF) { ExFreePoolWithTag(pf.Bitmap, PAGEFILE_TAG); ExFreePoolWithTag(record, PAGEFILE_TAG); return STATUS_TOO_MANY_PAGING_FILES; }
  const status = MiOpenPagingFile(record, minimum);
  if (!NT_SUCCESS(status)) {
    ExFreePoolWithTag(pf.Bitmap, PAGEFILE_TAG);
    ExFreePoolWithTag(record, PAGEFILE_TAG);
    // The slot goes back only if it is the last one taken; otherwise it stays empty.
    const on = (read_eflags() & 0x200) != 0;
    cli();
    if (slot + 1 == MmNumberOfPagingFiles) MmNumberOfPagingFiles--;
    if (on) sti();
    return status;
  }
  store<usize>(MmPagingFiles + (slot << 2), record);
  // The writer first: the commit limit grows by this file only once pages can go to it.
  MiStartModifiedPageWriter();
  const on = (read_eflags() & 0x200) != 0;
  cli(); // two NtCreatePagingFile calls may add at once
  MmTotalPagingFilePages += pf.CurrentPages;
  if (on) sti();
  KeLogBegin("mm");
  KeLogString("paging file ");
  for (let i: u32 = 0; i < length; i += 2) KeLogCharacter(<u32>load<u16>(record + SIZEOF_MMPAGING_FILE + i));
  KeLogString(": ");
  KeLogDecimal(<u32>(minimum >> 10));
  KeLogString(" KiB (maximum ");
  KeLogDecimal(<u32>(maximum >> 10));
  KeLogString(" KiB), commit limit now ");
  KeLogDecimal(MmTotalCommitLimit());
  KeLogString(" pages; the modified page writer pages to it");
  KeLogEnd();
  return STATUS_SUCCESS;
}

// ---- pages of the paging files ----

/**
 * Takes a free page of a paging file, interrupts off: returns the
 * paging-file PTE bits that name it (PageFileHigh = page, PageFileLow =
 * file), 0 when every file is full.
 */
export function MiAllocatePageFileSlot(): u32 {
  const on = (read_eflags() & 0x200) != 0;
  cli();
  let result: u32 = 0;
  for (let i: u32 = 0; i < MmNumberOfPagingFiles && result == 0; i++) {
    const record = load<usize>(MmPagingFiles + (i << 2));
    if (record == 0) continue;
    const pf = changetype<MMPAGING_FILE>(record);
    if (pf.InUsePages + 1 >= pf.CurrentPages) continue;
    let page = pf.Hint;
    for (let n: u32 = 0; n < pf.CurrentPages; n++, page++) {
      if (page >= pf.CurrentPages) page = 1;
      const byte = pf.Bitmap + (page >>> 3), bit: u32 = <u32>1 << (page & 7);
      const bits = <u32>load<u8>(byte);
      if ((bits & bit) != 0) continue;
      store<u8>(byte, <u8>(bits | bit));
      pf.InUsePages++;
      if (pf.InUsePages > pf.PeakPages) pf.PeakPages = pf.InUsePages;
      pf.Hint = page + 1;
      result = (page << 12) | (i << 1);
      break;
    }
  }
  if (on) sti();
  return result;
}

/** Gives back the paging-file page a paging-file PTE names (its page is gone or back in memory). */
export function MiFreePageFileSlot(e: u32): void {
  const on = (read_eflags() & 0x200) != 0;
  cli();
  const record = load<usize>(MmPagingFiles + (((e >>> 1) & 0xF) << 2));
  const page = e >>> 12;
  if (record != 0) {
    const pf = changetype<MMPAGING_FILE>(record);
    const byte = pf.Bitmap + (page >>> 3), bit: u32 = <u32>1 << (page & 7);
    const bits = <u32>load<u8>(byte);
    if (page < pf.CurrentPages && (bits & bit) != 0) {
      store<u8>(byte, <u8>(bits & ~bit));
      pf.InUsePages--;
      if (page < pf.Hint) pf.Hint = page;
    }
  }
  if (on) sti();
}

/** Counts pages going to (+1) or coming back from (-1) the paging files, interrupts off. */
export function MiCountPagedOut(delta: i32): void {
  const on = (read_eflags() & 0x200) != 0;
  cli();
  MmPagedOutPages += <u32>delta;
  if (on) sti();
}

/** A paged-out page was released with its PTE (decommitted, or its process ended). */
export function MiReleasePagedOut(e: u32): void {
  MiFreePageFileSlot(e);
  MiCountPagedOut(-1);
}

/** Reads or writes one page at kernel address `buffer` from or to the paging-file page a PTE names. */
export function MiPageFileIo(e: u32, write: bool, buffer: usize): u32 {
  const record = load<usize>(MmPagingFiles + (((e >>> 1) & 0xF) << 2));
  if (record == 0) return STATUS_INSUFFICIENT_RESOURCES;
  return MmTransferFile(changetype<MMPAGING_FILE>(record).FileObject, write ? IRP_MJ_WRITE : IRP_MJ_READ, <u64>(e >>> 12) * PAGE_SIZE, buffer, PAGE_SIZE, 0, true);
}

/**
 * Opens (or creates: hidden, system) the file the record names, in kernel
 * mode, and sets its size to `size` bytes as a paging file. The file object
 * is kept referenced in the record. A file created here and not sized is
 * deleted again.
 */
function MiOpenPagingFile(record: usize, size: u64): u32 {
  const pf = changetype<MMPAGING_FILE>(record);
  const scratch = ExAllocatePoolWithTag(NonPagedPool, 40, PAGEFILE_TAG); // +0 UNICODE_STRING, +8 OBJECT_ATTRIBUTES, +32 file, +36 information
  if (scratch == 0) return STATUS_INSUFFICIENT_RESOURCES;
  InitializeCountedString(scratch, record + SIZEOF_MMPAGING_FILE, pf.NameLength, pf.NameLength);
  InitializeObjectAttributes(scratch + 8, scratch, OBJ_CASE_INSENSITIVE, 0, 0);
  const mode = KeEnterKernelCall();
  let status = MmOpenFile(scratch + 8, FILE_READ_DATA | FILE_WRITE_DATA | SYNCHRONIZE, FILE_OPEN_IF,
    FILE_NON_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_NONALERT, FILE_ATTRIBUTE_HIDDEN | FILE_ATTRIBUTE_SYSTEM | FILE_ATTRIBUTE_ARCHIVE,
    0, scratch + 36, scratch + 32);
  if (NT_SUCCESS(status)) {
    const file = load<usize>(scratch + 32);
    const created = load<u32>(scratch + 36) == FILE_CREATED;
    status = MmSetPagingFileSize(file, size);
    if (NT_SUCCESS(status)) pf.FileObject = file;
    else {
      if (created) MmSetDeleteFile(file);
      ObDereferenceObject(file);
    }
  }
  KeLeaveKernelCall(mode);
  ExFreePoolWithTag(scratch, PAGEFILE_TAG);
  return status;
}

/** A SYSTEM_PAGEFILE_INFORMATION record; the name follows it. */
const PAGEFILE_RECORD: u32 = SIZEOF_SYSTEM_PAGEFILE_INFORMATION;

/** Bytes SystemPageFileInformation takes: a record and the name (NUL-terminated, 4-byte aligned) per paging file; 0 with none. */
export function MmPageFileInformationLength(): u32 {
  let total: u32 = 0;
  for (let i: u32 = 0; i < MmNumberOfPagingFiles; i++) {
    const record = load<usize>(MmPagingFiles + (i << 2));
    if (record != 0) total += PAGEFILE_RECORD + ((changetype<MMPAGING_FILE>(record).NameLength + 2 + 3) & ~3);
  }
  return total;
}

/**
 * Writes SystemPageFileInformation at `buffer` (MmPageFileInformationLength
 * bytes, probed by the caller): one record per paging file in creation
 * order, each followed by its name, the last NextEntryOffset 0. The name is
 * the one NtCreatePagingFile was given.
 */
export function MmQueryPageFileInformation(buffer: usize): void {
  let at = buffer, previous: usize = 0;
  for (let i: u32 = 0; i < MmNumberOfPagingFiles; i++) {
    const record = load<usize>(MmPagingFiles + (i << 2));
    if (record == 0) continue;
    const pf = changetype<MMPAGING_FILE>(record);
    const size = PAGEFILE_RECORD + ((pf.NameLength + 2 + 3) & ~3);
    if (previous != 0) changetype<SYSTEM_PAGEFILE_INFORMATION>(previous).NextEntryOffset = <u32>(at - previous);
    const r = changetype<SYSTEM_PAGEFILE_INFORMATION>(at);
    r.NextEntryOffset = 0;
    r.CurrentSize = pf.CurrentPages;
    r.TotalUsed = pf.InUsePages;
    r.PeakUsed = pf.PeakPages;
    r.FileName_Length = <u16>pf.NameLength;
    r.FileName_MaximumLength = <u16>(pf.NameLength + 2);
    r.FileName_Buffer = at + PAGEFILE_RECORD; // the name, in the caller's buffer
    memory.copy(at + PAGEFILE_RECORD, record + SIZEOF_MMPAGING_FILE, pf.NameLength);
    store<u16>(at + PAGEFILE_RECORD + pf.NameLength, 0);
    previous = at;
    at += size;
  }
}
