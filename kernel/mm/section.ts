// Sections: memory that several address spaces map at once. The "Section"
// object type and NtCreateSection, NtOpenSection, NtMapViewOfSection,
// NtUnmapViewOfSection.
//
// Data sections are backed by the page file (FileHandle 0; a file makes an
// image, mm/image.ts). One of MI_SEGMENT_MIN_PAGES pages or more has a
// segment (mm/segment.ts): its pages are charged to the commit at creation
// and each is taken, zeroed, when a view first touches it (NT's prototype
// PTEs); its frames are not paged. A smaller one, or one made while the
// segment table is full, has every page allocated, zeroed, at creation.
// SEC_RESERVE is accepted and committed at once like SEC_COMMIT.
//
// The body keeps one reference on each of its page frames. A view is a
// region of type MEM_MAPPED (mm/virtual.ts) whose PTEs point at the frames,
// each PTE holding a reference of its own. So, as in NT, a view outlives the
// section's handles: closing the last one deletes the object and drops the
// body's references, and a frame goes back to the free list when the last
// view of it is unmapped (NtUnmapViewOfSection, or the process's end in
// MmDeleteProcessAddressSpace). The delete procedure runs under the object
// manager's lock (interrupts off): it only drops references.
//
//   body: +0 SizeOfSection (LARGE_INTEGER, whole pages)  +8 InitialPageProtection
//         (its segment's slot + 1 in bits 16-20, 0 without one)
//         +12 AllocationAttributes  +16 page count  +20 the page frame numbers, a u32 each
//         (none with a segment)
//
// Protections: a section is PAGE_READONLY, PAGE_READWRITE, PAGE_EXECUTE,
// PAGE_EXECUTE_READ or PAGE_EXECUTE_READWRITE; a view may also be
// PAGE_NOACCESS, and must not ask for more than its section grants
// (STATUS_SECTION_PROTECTION). There is no copy-on-write: PAGE_WRITECOPY and
// PAGE_EXECUTE_WRITECOPY are refused (STATUS_INVALID_PAGE_PROTECTION).
//
// The process handle of the view services is the current process (-1) only,
// like the other Mm services, until Mm can work on another address space;
// any other handle gets STATUS_INVALID_HANDLE.

import { cli, invlpg, read_eflags, sti } from "../sdk/intrinsics";
import { ExCopyFromUser, ExCopyToUser, ExGetPreviousMode, ExWriteUserUlong, ProbeUserRange, UserMode } from "../ke/probe";
import { KeBugCheckEx } from "../ke/bugcheck";
import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import { ObCreateObjectType, ObInitializeTypeInitializer } from "../ob/obcreate";
import { ObDereferenceObject } from "../ob/obref";
import { OBJECT_TYPE_INITIALIZER, READ_CONTROL, STANDARD_RIGHTS_REQUIRED } from "../ob/obp";
import { RtlInitUnicodeString } from "../rtl/unicode";
import { OBJECT_TYPE_OF } from "../ob/obp";
import { MmFileObjectType } from "./mmfile";
import { MiCreateImageSection, MmIsImageSection, MmMapImageView, MiQuerySection } from "./image";
import { ExProbeHandle } from "../ex/capture";
import { ObCreateObjectService, ObOpenObjectService, ObReferenceHandle } from "../ob/obsvc";
import { MmAllocatePhysicalPage, MmAvailablePages, MmFreePhysicalPage, MmReferencePhysicalPage } from "./pfn";
import { MiAllocatePageWait, MiCommitFits, MiEnsureAvailablePages } from "./paging";
import { MI_SEGMENT_MIN_PAGES, MiCreateSegment, MiDereferenceSegment, MiMakePrototypePte, MiReferenceSegment } from "./segment";
import { MiMmProtection } from "./procmm";
import {
  MiDecommit, MiFindFreeRange, MiFindVad, MmInsertVad, MiInsertVadStatus, MiIsProtectionCompatible, MiOverlaps, MiPte, MiPteBits, MiRemoveVad, MiValidProtection, MiVadListOf, vadEnd, vadStart, vadType,
} from "./virtual";
import {
  STATUS_ACCESS_VIOLATION, STATUS_COMMITMENT_LIMIT, STATUS_CONFLICTING_ADDRESSES,
  STATUS_INFO_LENGTH_MISMATCH, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_FILE_FOR_SECTION,
  STATUS_INVALID_HANDLE, STATUS_INVALID_PAGE_PROTECTION, STATUS_INVALID_PARAMETER_3,
  STATUS_INVALID_PARAMETER_4, STATUS_INVALID_PARAMETER_5, STATUS_INVALID_PARAMETER_6,
  STATUS_INVALID_PARAMETER_8, STATUS_INVALID_PARAMETER_9, STATUS_INVALID_VIEW_SIZE,
  STATUS_MAPPED_ALIGNMENT, STATUS_NOT_MAPPED_VIEW, STATUS_NO_MEMORY, STATUS_OBJECT_TYPE_MISMATCH,
  STATUS_SECTION_PROTECTION, STATUS_SUCCESS, NT_SUCCESS,
} from "../sdk/ntstatus";
import {
  MEM_MAPPED, MEM_PRIVATE, MEM_RESERVE, MEM_TOP_DOWN, MM_HIGHEST_USER_ADDRESS, MM_LOWEST_USER_ADDRESS, OBJ_OPENLINK, PAGE_EXECUTE, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE, PAGE_READONLY, PAGE_READWRITE, PAGE_SIZE, SEC_COMMIT, SEC_IMAGE, SEC_RESERVE,
} from "../sdk/ntdef";

// ---- access rights and flags (ntddk.h, winnt.h) ----

export const SECTION_QUERY: u32 = 0x0001;
export const SECTION_MAP_WRITE: u32 = 0x0002;
export const SECTION_MAP_READ: u32 = 0x0004;
export const SECTION_MAP_EXECUTE: u32 = 0x0008;
export const SECTION_EXTEND_SIZE: u32 = 0x0010;
export const SECTION_ALL_ACCESS: u32 = STANDARD_RIGHTS_REQUIRED | 0x1F;

export const SEC_BASED: u32 = 0x00200000;       // accepted; the view goes anywhere (no based address table)
export const SEC_NO_CHANGE: u32 = 0x00400000;   // accepted; views may still be changed
export const SEC_NOCACHE: u32 = 0x10000000;     // accepted; memory is cached
export const SEC_LARGE_PAGES: u32 = 0x80000000; // accepted; 4 KiB pages
const SEC_VALID: u32 = SEC_BASED | SEC_NO_CHANGE | SEC_IMAGE | SEC_RESERVE | SEC_COMMIT | SEC_NOCACHE | SEC_LARGE_PAGES;

/** SECTION_INHERIT: what a child process gets of the view (no child processes yet: recorded nowhere). */
export const ViewShare: u32 = 1;
export const ViewUnmap: u32 = 2;

const MEM_LARGE_PAGES: u32 = 0x20000000;
/** x86 only: base and offset need only be page aligned. */
const MEM_DOS_LIM: u32 = 0x40000000;
const MAP_VALID: u32 = MEM_TOP_DOWN | MEM_LARGE_PAGES | MEM_DOS_LIM | SEC_NO_CHANGE | MEM_RESERVE;

const GRANULARITY: u32 = 0x10000;
/** The highest address a view may cover: user space less its top 64 KiB (NT's MM_HIGHEST_VAD_ADDRESS). */
const MM_HIGHEST_VAD_ADDRESS: usize = MM_HIGHEST_USER_ADDRESS - GRANULARITY;
/** ZeroBits beyond this leave no room (NT's MI_MAX_ZERO_BITS on x86). */
const MI_MAX_ZERO_BITS: u32 = 21;

// ---- the body ----

const SECTION_SIZE: u32 = 0;
const SECTION_PROTECTION: u32 = 8;
const SECTION_ATTRIBUTES: u32 = 12;
const SECTION_PAGES: u32 = 16;
const SECTION_FRAMES: u32 = 20;
@inline function frameOf(section: usize, index: u32): u32 { return load<u32>(section + SECTION_FRAMES + (index << 2)); }

export let MmSectionObjectType: usize = 0;

// Boot only (phase 1, before any second thread): the type's registration.
const TypeName = memory.data(8, 4);
const TypeInit = memory.data(128, 4);
const TypeOut = memory.data(4, 4);

/** The segment slot + 1 of a data section (0: its frames are in its body). */
@inline function segmentOf(section: usize): u32 { return (load<u32>(section, SECTION_PROTECTION) >>> 16) & 0x1F; }

/** Deleting a section drops its references on its frames, or on its segment; views keep their own. */
function MiDeleteSection(section: usize): void {
  const count = load<u32>(section, SECTION_PAGES);
  for (let i: u32 = 0; i < count; i++) MmFreePhysicalPage(frameOf(section, i));
  const segment = (load<u32>(section, SECTION_ATTRIBUTES) & SEC_IMAGE) == 0 ? segmentOf(section) : 0;
  if (segment != 0) MiDereferenceSegment(segment - 1);
}

/** Phase 1: registers \ObjectTypes\Section. */
export function MmInitializeSectionType(): void {
  ObInitializeTypeInitializer(TypeInit, READ_CONTROL | SECTION_MAP_READ | SECTION_QUERY, READ_CONTROL | SECTION_MAP_WRITE,
    READ_CONTROL | SECTION_MAP_EXECUTE, SECTION_ALL_ACCESS, SECTION_ALL_ACCESS, SECTION_FRAMES);
  const info = changetype<OBJECT_TYPE_INITIALIZER>(TypeInit);
  info.PoolTag = 0x74636553; // 'Sect'
  info.InvalidAttributes = OBJ_OPENLINK;
  info.DeleteProcedure = MiDeleteSection;
  RtlInitUnicodeString(TypeName, "Section");
  const status = ObCreateObjectType(TypeName, TypeInit, TypeOut);
  if (status != STATUS_SUCCESS) KeBugCheckEx(0x5E, 13, status, 0, 0); // OBJECT_INITIALIZATION_FAILED
  MmSectionObjectType = load<usize>(TypeOut);
}

// ---- helpers ----

/** Interrupts off while a process's regions and page tables change (a second thread of it may be preempted into them). */
@inline function MiLockAddressSpace(): u32 { const f = read_eflags() & 0x200; cli(); return f; }
@inline function MiUnlockAddressSpace(f: u32): void { if (f != 0) sti(); }

/** The protections a section may be created with. */
function MiValidSectionProtection(protect: u32): bool {
  return protect == PAGE_READONLY || protect == PAGE_READWRITE || protect == PAGE_EXECUTE
    || protect == PAGE_EXECUTE_READ || protect == PAGE_EXECUTE_READWRITE;
}

/** The access a view with `protect` needs on the section handle (NT's MmMakeSectionAccess). */
function MiSectionAccess(protect: u32): u32 {
  if (protect == PAGE_READWRITE) return SECTION_MAP_WRITE;
  if (protect == PAGE_EXECUTE) return SECTION_MAP_EXECUTE;
  if (protect == PAGE_EXECUTE_READ) return SECTION_MAP_EXECUTE | SECTION_MAP_READ;
  if (protect == PAGE_EXECUTE_READWRITE) return SECTION_MAP_EXECUTE | SECTION_MAP_WRITE;
  return SECTION_MAP_READ; // PAGE_READONLY, PAGE_NOACCESS
}

/** ObCreateObjectService's body initialiser: the size and every page, zeroed. `b` is the protection | the SEC_* attributes. */
function MiInitializeSection(section: usize, pages: u32, b: u32): u32 {
  store<u64>(section, <u64>pages << 12, SECTION_SIZE);
  const segment = (b >>> 8) & 0x1F;
  store<u32>(section, (b & 0xFF) | (segment << 16), SECTION_PROTECTION);
  store<u32>(section, b & ~0x1FFF, SECTION_ATTRIBUTES);
  store<u32>(section, 0, SECTION_PAGES);
  if (segment != 0) {
    // Pages on first touch: the body holds a reference on the segment NtCreateSection made (and charged).
    MiReferenceSegment(segment - 1);
    return STATUS_SUCCESS;
  }
  for (let i: u32 = 0; i < pages; i++) {
    const page = MiAllocatePageWait();
    if (page == 0) return STATUS_COMMITMENT_LIMIT; // the delete procedure gives back those taken so far
    store<u32>(section + SECTION_FRAMES + (i << 2), page);
    store<u32>(section, i + 1, SECTION_PAGES);
  }
  return STATUS_SUCCESS;
}

// ---- services ----

/**
 * NtCreateSection(SectionHandle, DesiredAccess, ObjectAttributes optional,
 * MaximumSize optional (LARGE_INTEGER; required without a file),
 * SectionPageProtection, AllocationAttributes, FileHandle optional).
 */
export function NtCreateSection(handle: usize, access: u32, objectAttributes: usize, maximumSize: usize, protect: u32, attributes: u32, fileHandle: u32): u32 {
  // The attribute and protection checks come first, in NT's order.
  if ((attributes & ~SEC_VALID) != 0) return STATUS_INVALID_PARAMETER_6;
  if ((attributes & (SEC_COMMIT | SEC_RESERVE | SEC_IMAGE)) == 0) return STATUS_INVALID_PARAMETER_6;
  if ((attributes & SEC_IMAGE) != 0 && (attributes & (SEC_COMMIT | SEC_RESERVE | SEC_NOCACHE | SEC_NO_CHANGE)) != 0) return STATUS_INVALID_PARAMETER_6;
  if ((attributes & SEC_COMMIT) != 0 && (attributes & SEC_RESERVE) != 0) return STATUS_INVALID_PARAMETER_6;
  if (!MiValidSectionProtection(protect)) return STATUS_INVALID_PAGE_PROTECTION;
  let size: i64 = 0;
  if (maximumSize != 0) {
    // Read once, into this thread's scratch.
    const cell = KeAllocateScratch(8);
    const ok = ProbeUserRange(maximumSize, 8, 4) && ExCopyFromUser(cell, maximumSize, 8);
    size = load<i64>(cell);
    KeFreeScratch(cell);
    if (!ok) return STATUS_ACCESS_VIOLATION;
  }
  if (!ExProbeHandle(handle)) return STATUS_ACCESS_VIOLATION;
  if (fileHandle == 0 && size == 0) return STATUS_INVALID_PARAMETER_4;
  if (fileHandle != 0) {
    // An image of a file (mm/image.ts). Mapped data files are not there yet:
    // a file without SEC_IMAGE is refused, and so is any other object.
    const cell = KeAllocateScratch(4);
    const status = ObReferenceHandle(fileHandle, 0, 0, cell);
    const object = load<usize>(cell);
    KeFreeScratch(cell);
    if (!NT_SUCCESS(status)) return status;
    const isFile = OBJECT_TYPE_OF(object) == MmFileObjectType;
    ObDereferenceObject(object);
    if (!isFile) return STATUS_OBJECT_TYPE_MISMATCH;
    if ((attributes & SEC_IMAGE) == 0) return STATUS_INVALID_FILE_FOR_SECTION;
    return MiCreateImageSection(handle, access, objectAttributes, fileHandle, MmSectionObjectType, ObCreateObjectService, protect);
  }
  if ((attributes & SEC_IMAGE) != 0) return STATUS_INVALID_FILE_FOR_SECTION; // an image needs its file
  if (size < 0) return STATUS_INVALID_PARAMETER_4;
  const pages = (<u64>size + PAGE_SIZE - 1) >> 12;
  if (pages > 0xFFFFF) return STATUS_COMMITMENT_LIMIT;
  // A segment when the section is large enough and a slot is free (charged now: past the limit,
  // STATUS_COMMITMENT_LIMIT); else every page now, which more than the free pages cannot have.
  let segment: u32 = pages >= <u64>MI_SEGMENT_MIN_PAGES ? MiCreateSegment(<u32>pages) : 0;
  if (segment == 0xFFFFFFFF) return STATUS_COMMITMENT_LIMIT;
  if (segment == 0 && (!MiCommitFits(<u32>pages) || !MiEnsureAvailablePages(<u32>pages))) return STATUS_COMMITMENT_LIMIT;
  // The segment's slot + 1 goes to the body's initialiser in bits 8-12 (the SEC_* attributes start at bit 21).
  const status = ObCreateObjectService(handle, access, objectAttributes, MmSectionObjectType, SECTION_FRAMES + (segment != 0 ? 0 : <u32>pages << 2),
    MiInitializeSection, <u32>pages, protect | (segment << 8) | (attributes & ~0xFF));
  // The creation's own reference: the body took one if it was made (its delete procedure drops that).
  if (segment != 0) MiDereferenceSegment(segment - 1);
  return status;
}

/** NtOpenSection(SectionHandle, DesiredAccess, ObjectAttributes). */
export function NtOpenSection(handle: usize, access: u32, objectAttributes: usize): u32 {
  return ObOpenObjectService(handle, access, objectAttributes, MmSectionObjectType);
}

/**
 * NtMapViewOfSection(SectionHandle, ProcessHandle (-1), BaseAddress (in: 0 =
 * anywhere, else 64 KiB aligned; out), ZeroBits, CommitSize, SectionOffset
 * optional (in/out, 64 KiB aligned), ViewSize (in: 0 = to the end of the
 * section; out), InheritDisposition, AllocationType, Win32Protect).
 */
export function NtMapViewOfSection(sectionHandle: u32, process: u32, baseAddress: usize, zeroBits: u32, commitSize: u32,
                                   sectionOffset: usize, viewSize: usize, inherit: u32, allocationType: u32, protect: u32): u32 {
  if (inherit < ViewShare || inherit > ViewUnmap) return STATUS_INVALID_PARAMETER_8;
  if ((allocationType & ~MAP_VALID) != 0) return STATUS_INVALID_PARAMETER_9;
  if (!MiValidProtection(protect)) return STATUS_INVALID_PAGE_PROTECTION;
  // *BaseAddress, *ViewSize and *SectionOffset are read once into kernel
  // cells (base +0, size +4, offset +8), the view is mapped with the cells as
  // its out-parameters, and the results go back through ExWriteUserUlong.
  if (!ProbeUserRange(baseAddress, 4, 4) || !ProbeUserRange(viewSize, 4, 4) || !ProbeUserRange(sectionOffset, 8, 4)) return STATUS_ACCESS_VIOLATION;
  const cells = KeAllocateScratch(20);
  if (!ExCopyFromUser(cells, baseAddress, 4) || !ExCopyFromUser(cells + 4, viewSize, 4)
      || (sectionOffset != 0 && !ExCopyFromUser(cells + 8, sectionOffset, 8))) { KeFreeScratch(cells); return STATUS_ACCESS_VIOLATION; }
  let status = MiMapViewOfSectionCaptured(sectionHandle, process, zeroBits, commitSize, allocationType, protect, cells, sectionOffset != 0);
  if (NT_SUCCESS(status) && (!ExWriteUserUlong(baseAddress, load<u32>(cells)) || !ExWriteUserUlong(viewSize, load<u32>(cells, 4))
      || (sectionOffset != 0 && (!ExWriteUserUlong(sectionOffset, load<u32>(cells, 8)) || !ExWriteUserUlong(sectionOffset + 4, load<u32>(cells, 12)))))) {
    status = STATUS_ACCESS_VIOLATION; // the view stays mapped, as in NT
  }
  KeFreeScratch(cells);
  return status;
}

/** NtMapViewOfSection on the captured values at `cells` (base +0, size +4, offset +8), which receive the results. */
function MiMapViewOfSectionCaptured(sectionHandle: u32, process: u32, zeroBits: u32, commitSize: u32, allocationType: u32, protect: u32,
                                    cells: usize, hasOffset: bool): u32 {
  const offset = load<u64>(cells, 8);
  const base = load<usize>(cells);
  const size = load<u32>(cells, 4);
  if (base > MM_HIGHEST_VAD_ADDRESS || MM_HIGHEST_VAD_ADDRESS - base < size) return STATUS_INVALID_PARAMETER_3;
  if (zeroBits != 0) {
    if (zeroBits > MI_MAX_ZERO_BITS) return STATUS_INVALID_PARAMETER_4;
    if (((base << zeroBits) >>> zeroBits) != base || (((base + size) << zeroBits) >>> zeroBits) != base + size) return STATUS_INVALID_PARAMETER_4;
  }
  const head = MiVadListOf(process);
  if (head == 0) return STATUS_INVALID_HANDLE;
  const referenced = ObReferenceHandle(sectionHandle, MiSectionAccess(protect), MmSectionObjectType, cells + 16);
  const section = load<usize>(cells + 16);
  if (!NT_SUCCESS(referenced)) return referenced;
  const status = MiMapViewOfSection(section, head, base, zeroBits, commitSize, offset, size, allocationType, protect, cells, cells + 4, hasOffset ? cells + 8 : 0);
  ObDereferenceObject(section);
  return status;
}

function MiMapViewOfSection(section: usize, head: usize, base: usize, zeroBits: u32, commitSize: u32, offset: u64, size: u32,
                            allocationType: u32, protect: u32, baseAddress: usize, viewSize: usize, sectionOffset: usize): u32 {
  // Alignment: 64 KiB, or a page with MEM_DOS_LIM (the view then starts at the page holding the offset).
  if (MmIsImageSection(section)) {
    return MmMapImageView(section, head, base, offset, size, baseAddress, viewSize, sectionOffset);
  }
  const dosLim = (allocationType & MEM_DOS_LIM) != 0;
  const granularity: u32 = dosLim ? PAGE_SIZE : GRANULARITY;
  if (!dosLim && ((base & (GRANULARITY - 1)) != 0 || (<u32>offset & (GRANULARITY - 1)) != 0)) return STATUS_MAPPED_ALIGNMENT;
  if (!MiIsProtectionCompatible(load<u32>(section, SECTION_PROTECTION) & 0xFF, protect)) return STATUS_SECTION_PROTECTION;
  const sectionSize = load<u64>(section, SECTION_SIZE);
  let bytes = <u64>size;
  if (offset + bytes < offset || offset + bytes > sectionSize) return STATUS_INVALID_VIEW_SIZE;
  if (bytes == 0) {
    bytes = sectionSize - offset;
    if (bytes == 0 || bytes > <u64>(MM_HIGHEST_VAD_ADDRESS - base)) return STATUS_INVALID_VIEW_SIZE;
  }
  if (<u64>commitSize > bytes) return STATUS_INVALID_PARAMETER_5;
  if ((allocationType & MEM_RESERVE) != 0) return STATUS_INVALID_PARAMETER_9; // only views of files may be reserved
  const aligned = offset & ~(<u64>granularity - 1);
  bytes += offset - aligned;
  const firstPage = <u32>(aligned >> 12);
  const pages = <u32>((bytes + PAGE_SIZE - 1) >> 12);
  const length = <usize>pages << 12;

  const f = MiLockAddressSpace();
  let start: usize;
  if (base != 0) {
    start = base & ~(<usize>granularity - 1);
    if (start < MM_LOWEST_USER_ADDRESS || MiOverlaps(head, start, start + length)) { MiUnlockAddressSpace(f); return STATUS_CONFLICTING_ADDRESSES; }
  } else {
    // FIXME: MEM_TOP_DOWN is accepted but the view goes bottom-up like every region.
    start = MiFindFreeRange(head, <u32>length);
    const limit: usize = zeroBits != 0 ? <usize>(0xFFFFFFFF >>> zeroBits) : MM_HIGHEST_VAD_ADDRESS;
    if (start == 0 || start + length - 1 > limit || start + length - 1 > MM_HIGHEST_VAD_ADDRESS) { MiUnlockAddressSpace(f); return STATUS_NO_MEMORY; }
  }
  const inserted = MiInsertVadStatus(head, start, start + length, protect, MEM_MAPPED);
  if (inserted != STATUS_SUCCESS) { MiUnlockAddressSpace(f); return inserted; }
  const bits = MiPteBits(protect);
  const segment = segmentOf(section);
  for (let i: u32 = 0; i < pages; i++) {
    const va = start + (<usize>i << 12);
    const pte = MiPte(va, true);
    if (pte == 0) {
      // No page for a page table: undo the view so far.
      MiDecommit(start, va);
      MiRemoveVad(MiFindVad(head, start));
      MiUnlockAddressSpace(f);
      return STATUS_INSUFFICIENT_RESOURCES;
    }
    if (segment != 0) {
      // A segment's page: a prototype PTE, which holds a reference on the segment until the page is touched.
      MiReferenceSegment(segment - 1);
      store<u32>(pte, MiMakePrototypePte(segment - 1, firstPage + i, MiMmProtection(protect)));
      continue;
    }
    const frame = frameOf(section, firstPage + i);
    MmReferencePhysicalPage(frame);
    store<u32>(pte, (frame << 12) | bits);
    invlpg(va);
  }
  MiUnlockAddressSpace(f);
  store<usize>(baseAddress, start);
  store<u32>(viewSize, <u32>length);
  if (sectionOffset != 0) store<u64>(sectionOffset, aligned);
  return STATUS_SUCCESS;
}

/**
 * Kernel callers (LPC port views, kernel/lpc/view.ts): a read/write view of
 * the referenced data or image `section` anywhere in the CURRENT address
 * space (attach first to map into another process), whose regions are at
 * `head`. `out` (kernel memory) receives the base (+0), the size (+4) and
 * the 64 KiB-aligned offset (+8, u64). The statuses are NtMapViewOfSection's
 * (STATUS_INVALID_VIEW_SIZE, STATUS_MAPPED_ALIGNMENT, STATUS_SECTION_PROTECTION, ...).
 */
export function MmMapViewOfSectionKernel(section: usize, head: usize, offset: u64, size: u32, out: usize): u32 {
  return MiMapViewOfSection(section, head, 0, 0, 0, offset, size, 0, PAGE_READWRITE, out, out + 4, out + 8);
}

/** Kernel callers: unmaps the view holding `address` from the current address space (regions at `head`). */
export function MmUnmapViewOfSectionKernel(head: usize, address: usize): u32 {
  return MiUnmapViewOfSection(head, address);
}

/** NtUnmapViewOfSection(ProcessHandle (-1), BaseAddress: any address in the view). */
export function NtUnmapViewOfSection(process: u32, baseAddress: usize): u32 {
  if (ExGetPreviousMode() == UserMode && baseAddress > MM_HIGHEST_USER_ADDRESS) return STATUS_NOT_MAPPED_VIEW;
  const head = MiVadListOf(process);
  if (head == 0) return STATUS_INVALID_HANDLE;
  return MiUnmapViewOfSection(head, baseAddress);
}

/**
 * Unmaps the view (or image: NT unmaps whatever is not private memory)
 * holding `address` from the current address space, whose regions are at
 * `head`: every page's reference goes, then the region.
 */
function MiUnmapViewOfSection(head: usize, address: usize): u32 {
  const f = MiLockAddressSpace();
  const vad = MiFindVad(head, address);
  if (vad == 0 || vadType(vad) == MEM_PRIVATE) { MiUnlockAddressSpace(f); return STATUS_NOT_MAPPED_VIEW; }
  MiDecommit(vadStart(vad), vadEnd(vad));
  MiRemoveVad(vad);
  MiUnlockAddressSpace(f);
  return STATUS_SUCCESS;
}

/**
 * NtQuerySection(SectionHandle, SectionInformationClass, SectionInformation,
 * Length, ResultLength optional): SectionBasicInformation (16 bytes) for any
 * section, SectionImageInformation (SECTION_IMAGE_INFORMATION, 48 bytes) for
 * an image (STATUS_SECTION_NOT_IMAGE otherwise). A shorter buffer:
 * STATUS_INFO_LENGTH_MISMATCH.
 */
export function NtQuerySection(sectionHandle: u32, informationClass: u32, information: usize, length: u32, resultLength: usize): u32 {
  if (!ProbeUserRange(information, length, 4)) return STATUS_ACCESS_VIOLATION;
  if (resultLength != 0 && !ProbeUserRange(resultLength, 4, 4)) return STATUS_ACCESS_VIOLATION;
  // The answer is this thread's own (a module-level block was another
  // caller's answer when a switch fell between building and copying it).
  const answer = KeAllocateScratch(64 + 8); // the answer, its status, the section
  const referenced = ObReferenceHandle(sectionHandle, SECTION_QUERY, MmSectionObjectType, answer + 68);
  if (!NT_SUCCESS(referenced)) { KeFreeScratch(answer); return referenced; }
  const section = load<usize>(answer + 68);
  const bytes = MiQuerySection(section, informationClass, answer, answer + 64);
  ObDereferenceObject(section);
  let status = load<u32>(answer + 64);
  if (status == STATUS_SUCCESS && length < bytes) status = STATUS_INFO_LENGTH_MISMATCH;
  if (status == STATUS_SUCCESS) {
    if (!ExCopyToUser(information, answer, bytes) || (resultLength != 0 && !ExWriteUserUlong(resultLength, bytes))) status = STATUS_ACCESS_VIOLATION;
  }
  KeFreeScratch(answer);
  return status;
}
