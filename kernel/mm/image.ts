// Image sections: NtCreateSection(SEC_IMAGE) on a file handle makes a
// section laid out as a PE32 image is in memory, NtMapViewOfSection maps it
// with each section's protection, NtQuerySection answers with its basic and
// image information.
//
// Creating one reads the whole file (the handle needs the access the
// section's protection asks, NT's MmMakeFileAccess: FILE_EXECUTE for
// PAGE_EXECUTE, as RtlCreateUserProcess opens the file, and FILE_READ_DATA
// as well for the protections that read) and checks its headers in this order, each failure a log
// line and the NTSTATUS Windows gives (the same rules, numbered alike, as
// the host's scripts/pe/reader.ts):
//
//   R1  a 64-byte DOS header starting "MZ"            STATUS_INVALID_IMAGE_NOT_MZ
//   R2  e_lfanew > 0, signature and file header in the file   STATUS_INVALID_IMAGE_PROTECT
//   R3  "PE\0\0" ("NE": STATUS_INVALID_IMAGE_WIN_16)   STATUS_INVALID_IMAGE_PROTECT
//   R4  the optional header's fixed part in the file   STATUS_INVALID_IMAGE_FORMAT
//   R5  magic 0x10b (0x20b: STATUS_INVALID_IMAGE_WIN_64)  STATUS_INVALID_IMAGE_FORMAT
//   R6  machine i386                                   STATUS_INVALID_IMAGE_FORMAT
//   R7  IMAGE_FILE_EXECUTABLE_IMAGE                    STATUS_INVALID_IMAGE_FORMAT
//   R8  the data directories fit the optional header   STATUS_INVALID_IMAGE_FORMAT
//   R9  alignments: powers of two, section >= file (equal below a page)
//   R10 ImageBase 64 KiB aligned, the image below 2 GiB (user space)
//   R11 at most 96 sections
//   R12 the section table inside SizeOfHeaders, SizeOfHeaders in the file
//   R13 sections in order, contiguous, aligned, not empty
//   R14 SizeOfImage covers them, at most 256 MiB
//   R15 raw data inside the file, after the headers, not overlapping
//   R16 the entry point 0 or inside a section        (all STATUS_INVALID_IMAGE_FORMAT)
//
// The section keeps one frame per page of SizeOfImage, filled from the file
// (headers, then each section's raw data, the rest zero), and a protection
// per page: headers read-only, code (IMAGE_SCN_MEM_EXECUTE) execute-read,
// writable sections write-copy, others read-only. Every view shares the
// read-only and code frames; a write-copy page gets a private copy when the
// view is mapped (no copy-on-write fault path yet), so one process's data
// never shows in another's. A view goes at the image's base when that range
// is free, elsewhere otherwise with STATUS_IMAGE_NOT_AT_BASE: the kernel
// does not relocate; the user-mode loader applies the base relocations.
//
//   body (after the data section's fields, mm/section.ts): +20 frames
//   (a u32 per page), then a byte of protection per page, then
//   SECTION_IMAGE_INFORMATION (48 bytes), then the image base, the file's
//   last name component (16 bytes of ASCII), and the file's full NT name
//   (a u32 byte count, then UTF-16, at most IMAGE_PATH_CHARS characters):
//   the name of the device the path named and the path on it,
//   "\Device\Harddisk0\Partition1\Windows\System32\smss.exe", what NT's
//   ProcessImageFileName reports (ps/psquery.ts).

import { NonPagedPool } from "../ex/pool";
import { ExAllocatePoolWithQuotaTag, ExFreePoolWithQuotaTag } from "../ex/quota";
import { MmAllocatePhysicalPage, MmAvailablePages, MmPageToVirtual, MmReferencePhysicalPage } from "./pfn";
import { MiAllocatePageWait, MiCommitFits, MiEnsureAvailablePages } from "./paging";
import { KeLogBegin, KeLogEnd, KeLogHex, KeLogString, KeLogFormat2 } from "../ke/log";
import { KEVENT_SIZE, KeInitializeEvent, KeSetEvent, KeWaitForSingleObject } from "../ke/wait";
import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import { invlpg, cli, read_eflags, sti } from "../sdk/intrinsics";
import { ObReferenceObjectByHandle } from "../ob/obhandle";
import { ObDereferenceObject } from "../ob/obref";
import { ObQueryNameString } from "../ob/obquery";
import { MmFileObjectType, MmQueryFileName, MmQueryFileSize, MmTransferFile } from "./mmfile";
import { FILE_EXECUTE, FILE_READ_DATA, FILE_WRITE_DATA, IRP_MJ_READ } from "../sdk/io";
import { MiDecommit, MiFindFreeRange, MiFindVad, MmInsertVad, MiInsertVadStatus, MiOverlaps, MiPte, MiPteBits, MiRemoveVad } from "./virtual";
import {
  IMAGE_DATA_DIRECTORY, IMAGE_DOS_HEADER, IMAGE_NT_HEADERS32, IMAGE_OPTIONAL_HEADER32, IMAGE_SECTION_HEADER, SECTION_IMAGE_INFORMATION,
} from "../sdk/pe";
import {
  NT_ERROR, NT_SUCCESS, STATUS_COMMITMENT_LIMIT, STATUS_CONFLICTING_ADDRESSES,
  STATUS_IMAGE_NOT_AT_BASE, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_IMAGE_FORMAT,
  STATUS_INVALID_IMAGE_NOT_MZ, STATUS_INVALID_IMAGE_PROTECT, STATUS_INVALID_IMAGE_WIN_16,
  STATUS_INVALID_IMAGE_WIN_64, STATUS_INVALID_INFO_CLASS, STATUS_INVALID_VIEW_SIZE,
  STATUS_NO_MEMORY, STATUS_SECTION_NOT_IMAGE, STATUS_SUCCESS,
} from "../sdk/ntstatus";
import {
  MEM_IMAGE, MM_HIGHEST_USER_ADDRESS, MM_LOWEST_USER_ADDRESS, PAGE_EXECUTE, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY, PAGE_READONLY, PAGE_READWRITE, SEC_FILE, SEC_IMAGE,
} from "../sdk/ntdef";
import {
  IMAGE_DOS_SIGNATURE, IMAGE_FILE_EXECUTABLE_IMAGE, IMAGE_FILE_MACHINE_I386, IMAGE_NT_OPTIONAL_HDR32_MAGIC, IMAGE_NT_OPTIONAL_HDR64_MAGIC, IMAGE_NT_SIGNATURE, IMAGE_NUMBEROF_DIRECTORY_ENTRIES, IMAGE_SCN_CNT_CODE, IMAGE_SCN_MEM_EXECUTE, IMAGE_SCN_MEM_WRITE, NE_SIGNATURE, SECTION_HEADER_SIZE,
} from "../sdk/pe";


const IMAGE_TAG: u32 = 0x67616D49; // 'Imag'
const MAX_IMAGE_FILE: u32 = 0x1000000; // 16 MiB: bigger files are not read whole
const MAX_IMAGE_SIZE: u32 = 0x10000000; // R14: 256 MiB
export const SIZEOF_SECTION_IMAGE_INFORMATION: u32 = <u32>offsetof<SECTION_IMAGE_INFORMATION>();

// The data section's body fields (mm/section.ts).
const SECTION_SIZE: u32 = 0;
const SECTION_PROTECTION: u32 = 8;
const SECTION_ATTRIBUTES: u32 = 12;
const SECTION_PAGES: u32 = 16;
const SECTION_FRAMES: u32 = 20;

@inline function ProtectionsOf(section: usize, pages: u32): usize { return section + SECTION_FRAMES + (pages << 2); }
@inline function InfoOf(section: usize, pages: u32): usize { return ProtectionsOf(section, pages) + ((pages + 3) & ~3); }
/** The size of an image section's body with `pages` pages. */
@inline export function MiImageBodySize(pages: u32): u32 {
  return SECTION_FRAMES + (pages << 2) + ((pages + 3) & ~3) + SIZEOF_SECTION_IMAGE_INFORMATION + 4 + IMAGE_NAME_BYTES + IMAGE_PATH_BYTES;
}
/** The file's name (its last component, ASCII, NUL-padded): what a process made from the image is called. */
const IMAGE_NAME_BYTES: u32 = 16;
export function MmImageName(section: usize): usize {
  return InfoOf(section, load<u32>(section, SECTION_PAGES)) + SIZEOF_SECTION_IMAGE_INFORMATION + 4;
}
/** The file's full NT name (UTF-16, 256 characters at most): a u32 byte count, the text after it. */
const IMAGE_PATH_CHARS: u32 = 256;
const IMAGE_PATH_BYTES: u32 = 4 + IMAGE_PATH_CHARS * 2;
export function MmImageFilePath(section: usize): usize { return MmImageName(section) + IMAGE_NAME_BYTES; }

/** The image information (SECTION_IMAGE_INFORMATION) of an image section, and its base after it. */
export function MmImageInformation(section: usize): usize { return InfoOf(section, load<u32>(section, SECTION_PAGES)); }
export function MmIsImageSection(section: usize): bool { return (load<u32>(section, SECTION_ATTRIBUTES) & SEC_IMAGE) != 0; }

// Protection codes kept per page (a byte each).
const P_READONLY: u8 = 1, P_EXECUTE_READ: u8 = 2, P_WRITECOPY: u8 = 3;

// ---- the header checks ----

// What a check refused (for the log line) goes beside the NT headers'
// offset in the caller's cells (MI_CHECK_CELLS bytes): two image checks may
// run at once (an image section and a session driver), so it is the call's own.
export const MI_CHECK_CELLS: u32 = 8;
/** The rule MiCheckImageHeaders refused, from its `ntOut` cells ("" when none). */
export function MiImageRefusal(ntOut: usize): string {
  const rule = load<usize>(ntOut, 4);
  return rule != 0 ? changetype<string>(rule) : "";
}
function Refuse(ntOut: usize, rule: string, status: u32): u32 { store<usize>(ntOut, changetype<usize>(rule), 4); return status; }

function IsPowerOfTwo(x: u32): bool { return x != 0 && (x & (x - 1)) == 0; }
@inline function AlignUp(x: u32, a: u32): u32 { return (x + a - 1) & ~(a - 1); }

/**
 * Checks the headers of the `length`-byte file at `file` (rules R1-R16); the
 * NT headers' offset goes to `ntOut` (MI_CHECK_CELLS bytes: the refused
 * rule after it, MiImageRefusal). A kernel-mode image (`system`, the
 * driver loader mm/sysload.ts) may have its base anywhere: R10 asks only the
 * 64 KiB alignment, since the loader always relocates.
 */
export function MiCheckImageHeaders(file: usize, length: u32, ntOut: usize, system: bool = false): u32 {
  store<usize>(ntOut, 0, 4);
  const dos = changetype<IMAGE_DOS_HEADER>(file);
  if (length < <u32>offsetof<IMAGE_DOS_HEADER>() || <u32>dos.e_magic != IMAGE_DOS_SIGNATURE) return Refuse(ntOut, "R1: no MZ header", STATUS_INVALID_IMAGE_NOT_MZ);
  const nt = <u32>dos.e_lfanew;
  const fixed = <u32>offsetof<IMAGE_NT_HEADERS32>("OptionalHeader_Magic"); // signature and file header
  if (nt == 0 || nt > length || length - nt < fixed) return Refuse(ntOut, "R2: e_lfanew outside the file", STATUS_INVALID_IMAGE_PROTECT);
  const headers = changetype<IMAGE_NT_HEADERS32>(file + nt);
  const signature = headers.Signature;
  if (signature != IMAGE_NT_SIGNATURE) {
    if ((signature & 0xFFFF) == NE_SIGNATURE) return Refuse(ntOut, "R3: a 16-bit NE image", STATUS_INVALID_IMAGE_WIN_16);
    return Refuse(ntOut, "R3: no PE signature", STATUS_INVALID_IMAGE_PROTECT);
  }
  const fh = headers.FileHeader;
  const optionalSize = <u32>fh.SizeOfOptionalHeader;
  const directoriesAt = <u32>offsetof<IMAGE_OPTIONAL_HEADER32>("DataDirectory");
  if (optionalSize < directoriesAt || nt + fixed + optionalSize > length) return Refuse(ntOut, "R4: optional header too short or past the end", STATUS_INVALID_IMAGE_FORMAT);
  const oh = headers.OptionalHeader;
  const magic = <u32>oh.Magic;
  if (magic == IMAGE_NT_OPTIONAL_HDR64_MAGIC) return Refuse(ntOut, "R5: a PE32+ (64-bit) image", STATUS_INVALID_IMAGE_WIN_64);
  if (magic != IMAGE_NT_OPTIONAL_HDR32_MAGIC) return Refuse(ntOut, "R5: bad optional header magic", STATUS_INVALID_IMAGE_FORMAT);
  if (<u32>fh.Machine != IMAGE_FILE_MACHINE_I386) return Refuse(ntOut, "R6: not an i386 image", STATUS_INVALID_IMAGE_FORMAT);
  if ((<u32>fh.Characteristics & IMAGE_FILE_EXECUTABLE_IMAGE) == 0) return Refuse(ntOut, "R7: not marked executable", STATUS_INVALID_IMAGE_FORMAT);
  const directories = oh.NumberOfRvaAndSizes;
  const used = directories < IMAGE_NUMBEROF_DIRECTORY_ENTRIES ? directories : IMAGE_NUMBEROF_DIRECTORY_ENTRIES;
  if (directoriesAt + used * <u32>offsetof<IMAGE_DATA_DIRECTORY>() > optionalSize) return Refuse(ntOut, "R8: data directories past the optional header", STATUS_INVALID_IMAGE_FORMAT);
  const sectionAlignment = oh.SectionAlignment, fileAlignment = oh.FileAlignment;
  if (!IsPowerOfTwo(sectionAlignment) || !IsPowerOfTwo(fileAlignment) ||
      (sectionAlignment < 4096 ? sectionAlignment != fileAlignment : sectionAlignment < fileAlignment)) {
    return Refuse(ntOut, "R9: bad section or file alignment", STATUS_INVALID_IMAGE_FORMAT);
  }
  const imageBase = oh.ImageBase, sizeOfImage = oh.SizeOfImage;
  if ((imageBase & 0xFFFF) != 0 || (!system && (imageBase < MM_LOWEST_USER_ADDRESS || <u64>imageBase + <u64>sizeOfImage > <u64>MM_HIGHEST_USER_ADDRESS))) {
    return Refuse(ntOut, "R10: image base not 64 KiB aligned or the image outside user space", STATUS_INVALID_IMAGE_FORMAT);
  }
  const count = <u32>fh.NumberOfSections;
  if (count > 96) return Refuse(ntOut, "R11: more than 96 sections", STATUS_INVALID_IMAGE_FORMAT);
  const table = nt + fixed + optionalSize;
  const sizeOfHeaders = oh.SizeOfHeaders;
  if (table + count * SECTION_HEADER_SIZE > sizeOfHeaders || sizeOfHeaders > length) return Refuse(ntOut, "R12: section table outside the headers", STATUS_INVALID_IMAGE_FORMAT);
  if (sizeOfImage == 0 || sizeOfImage > MAX_IMAGE_SIZE) return Refuse(ntOut, "R14: SizeOfImage 0 or over 256 MiB", STATUS_INVALID_IMAGE_FORMAT);
  let expected = AlignUp(sizeOfHeaders, sectionAlignment);
  let rawEnd = sizeOfHeaders;
  const entry = oh.AddressOfEntryPoint;
  let entryFound = entry == 0;
  for (let i: u32 = 0; i < count; i++) {
    const s = changetype<IMAGE_SECTION_HEADER>(file + table + i * SECTION_HEADER_SIZE);
    const virtualAddress = s.VirtualAddress;
    let virtualSize = s.VirtualSize;
    const rawSize = s.SizeOfRawData, rawPointer = s.PointerToRawData;
    if (virtualSize == 0) virtualSize = rawSize;
    if (virtualAddress != expected || virtualSize == 0 || <u64>virtualAddress + <u64>virtualSize > 0xFFFFFFFF) {
      return Refuse(ntOut, "R13: sections out of order, not contiguous or empty", STATUS_INVALID_IMAGE_FORMAT);
    }
    expected = AlignUp(virtualAddress + virtualSize, sectionAlignment);
    if (rawSize != 0 && rawPointer != 0) {
      if (rawPointer < rawEnd || <u64>rawPointer + <u64>rawSize > <u64>length) {
        return Refuse(ntOut, "R15: raw data past the end of the file or overlapping", STATUS_INVALID_IMAGE_FORMAT);
      }
      rawEnd = rawPointer + rawSize;
    }
    if (entry >= virtualAddress && entry - virtualAddress < virtualSize) entryFound = true;
  }
  if (expected > AlignUp(sizeOfImage, sectionAlignment)) return Refuse(ntOut, "R14: SizeOfImage does not cover the sections", STATUS_INVALID_IMAGE_FORMAT);
  if (!entryFound) return Refuse(ntOut, "R16: entry point outside the sections", STATUS_INVALID_IMAGE_FORMAT);
  store<u32>(ntOut, nt);
  return STATUS_SUCCESS;
}

// ---- building the section ----

// The image being built: set and read only under CreateLock (one image
// section is made at a time; MiInitializeImage, called back from ObCreateObjectService,
// reads them).
let Source: usize = 0;          // the file's bytes, for MiInitializeImage
const SourceName: usize = memory.data(16, 4); // its last name component, ASCII
const SourcePath: usize = memory.data(4 + 256 * 2, 4); // its full NT name: byte count, UTF-16 (IMAGE_PATH_BYTES)
const SOURCE_PATH_NAME_BYTES: u32 = 8 + 256 * 2 + 2;
const SourcePathName: usize = memory.data(8 + 256 * 2 + 2, 4); // OBJECT_NAME_INFORMATION of the file's device
let SourceLength: u32 = 0;
let SourceNt: u32 = 0;
const CreateLock: usize = memory.data(<i32>KEVENT_SIZE, 8);
let CreateLockReady: bool = false;

/** Copies `bytes` from the file at `offset` to the image at `rva` (frames of `section`). */
function MiCopyIntoImage(section: usize, rva: u32, offset: u32, bytes: u32): void {
  while (bytes != 0) {
    const page = rva >> 12, within = rva & 4095;
    const chunk: u32 = <u32>4096 - within < bytes ? <u32>4096 - within : bytes;
    memory.copy(MmPageToVirtual(load<u32>(section + SECTION_FRAMES + (page << 2))) + within, Source + offset, chunk);
    rva += chunk; offset += chunk; bytes -= chunk;
  }
}

function MiSetProtection(section: usize, pages: u32, rva: u32, bytes: u32, protection: u8): void {
  const first = rva >> 12, last = (rva + bytes + 4095) >> 12;
  for (let p = first; p < last && p < pages; p++) store<u8>(ProtectionsOf(section, pages) + p, protection);
}

/** ObCreateObjectService's body initialiser for an image: frames, contents, protections, information. */
function MiInitializeImage(section: usize, pages: u32, unused: u32): u32 {
  const headers = changetype<IMAGE_NT_HEADERS32>(Source + SourceNt);
  const oh = headers.OptionalHeader, fh = headers.FileHeader;
  store<u64>(section, <u64>pages << 12, SECTION_SIZE);
  store<u32>(section, PAGE_EXECUTE_WRITECOPY, SECTION_PROTECTION);
  store<u32>(section, SEC_IMAGE | SEC_FILE, SECTION_ATTRIBUTES);
  memory.fill(ProtectionsOf(section, pages), P_READONLY, pages);
  for (let i: u32 = 0; i < pages; i++) {
    const page = MiAllocatePageWait(); // zeroed
    if (page == 0) return STATUS_COMMITMENT_LIMIT; // the delete procedure gives back those taken so far
    store<u32>(section + SECTION_FRAMES + (i << 2), page);
    store<u32>(section, i + 1, SECTION_PAGES);
  }
  MiCopyIntoImage(section, 0, 0, oh.SizeOfHeaders);
  const count = <u32>fh.NumberOfSections;
  const table = headers.FirstSection;
  let containsCode = false;
  for (let i: u32 = 0; i < count; i++) {
    const s = changetype<IMAGE_SECTION_HEADER>(table + i * SECTION_HEADER_SIZE);
    const rva = s.VirtualAddress;
    let virtualSize = s.VirtualSize;
    const rawSize = s.SizeOfRawData, rawPointer = s.PointerToRawData;
    if (virtualSize == 0) virtualSize = rawSize;
    const characteristics = s.Characteristics;
    if (rawSize != 0 && rawPointer != 0) MiCopyIntoImage(section, rva, rawPointer, rawSize < virtualSize ? rawSize : virtualSize);
    let protection = P_READONLY;
    if ((characteristics & IMAGE_SCN_MEM_WRITE) != 0) protection = P_WRITECOPY;
    else if ((characteristics & IMAGE_SCN_MEM_EXECUTE) != 0) protection = P_EXECUTE_READ;
    if ((characteristics & (IMAGE_SCN_MEM_EXECUTE | IMAGE_SCN_CNT_CODE)) != 0) containsCode = true;
    MiSetProtection(section, pages, rva, virtualSize, protection);
  }
  // SECTION_IMAGE_INFORMATION.
  const info = InfoOf(section, pages);
  const ii = changetype<SECTION_IMAGE_INFORMATION>(info);
  const imageBase = oh.ImageBase;
  ii.TransferAddress = imageBase + oh.AddressOfEntryPoint;
  ii.ZeroBits = 0;
  ii.MaximumStackSize = oh.SizeOfStackReserve;
  ii.CommittedStackSize = oh.SizeOfStackCommit;
  ii.SubSystemType = <u32>oh.Subsystem;
  ii.SubSystemMinorVersion = oh.MinorSubsystemVersion;
  ii.SubSystemMajorVersion = oh.MajorSubsystemVersion;
  ii.GpValue = 0;
  ii.ImageCharacteristics = fh.Characteristics;
  ii.DllCharacteristics = oh.DllCharacteristics;
  ii.Machine = fh.Machine;
  ii.ImageContainsCode = containsCode ? 1 : 0;
  ii.ImageFlags = 0;
  ii.LoaderFlags = oh.LoaderFlags;
  ii.ImageFileSize = SourceLength;
  ii.CheckSum = oh.CheckSum;
  store<u32>(info + SIZEOF_SECTION_IMAGE_INFORMATION, imageBase);
  memory.copy(info + SIZEOF_SECTION_IMAGE_INFORMATION + 4, SourceName, IMAGE_NAME_BYTES);
  memory.copy(info + SIZEOF_SECTION_IMAGE_INFORMATION + 4 + IMAGE_NAME_BYTES, SourcePath, 4 + load<u32>(SourcePath));
  return STATUS_SUCCESS;
}

/**
 * Keeps the last component of the file object's name (up to 15 characters,
 * non-ASCII as '?') in SourceName, and its full NT name (the device's object
 * name, then the path on it; cut at IMAGE_PATH_CHARS) in SourcePath.
 */
function MiKeepFileName(file: usize): void {
  memory.fill(SourceName, 0, 16);
  const name = KeAllocateScratch(12); // +0 the device the path named, +4 the path on it, +8 its length in bytes
  MmQueryFileName(file, name);
  const device = load<usize>(name), buffer = load<usize>(name, 4), length = load<u32>(name, 8);
  KeFreeScratch(name);
  let path: u32 = 0;
  const text = SourcePath + 4;
  if (device != 0 && ObQueryNameString(device, SourcePathName, SOURCE_PATH_NAME_BYTES, 0) == STATUS_SUCCESS) {
    path = min<u32>(<u32>load<u16>(SourcePathName), IMAGE_PATH_CHARS * 2);
    memory.copy(text, load<usize>(SourcePathName, 4), path);
  }
  const rest = min<u32>(length, IMAGE_PATH_CHARS * 2 - path);
  memory.copy(text + path, buffer, rest);
  store<u32>(SourcePath, path + rest);
  let start: u32 = 0;
  for (let i: u32 = 0; i < length; i += 2) if (load<u16>(buffer + i) == 0x5C) start = i + 2;
  let n: u32 = 0;
  for (let i = start; i < length && n < 15; i += 2, n++) {
    const c = <u32>load<u16>(buffer + i);
    store<u8>(SourceName + n, <u8>(c >= 0x20 && c < 0x7F ? c : 0x3F));
  }
}

type MI_INIT = (body: usize, a: u32, b: u32) => u32;
type MI_CREATE = (handle: usize, access: u32, objectAttributes: usize, type: usize, bodySize: u32, init: MI_INIT, a: u32, b: u32) => u32;

function MiLogRefusal(rule: string, status: u32): void {
  KeLogFormat2("mm", "image section refused: %s, status %x", changetype<usize>(rule), status);
}

/**
 * NtCreateSection with SEC_IMAGE and a file handle: reads and checks the
 * file, then makes the section through `create` (ObCreateObjectService) with `type`.
 */
export function MiCreateImageSection(handle: usize, access: u32, objectAttributes: usize, fileHandle: u32, type: usize,
                                     create: MI_CREATE, protect: u32): u32 {
  if (!CreateLockReady) { // the first call (ntdll's section, at boot); interrupts off all the same
    const f = read_eflags() & 0x200; cli();
    if (!CreateLockReady) { KeInitializeEvent(CreateLock, false, true); CreateLockReady = true; }
    if (f != 0) sti();
  }
  KeWaitForSingleObject(CreateLock, 0); // one image at a time: the module's Source* variables (MiInitializeImage reads them)
  const status = MiCreateImageSectionLocked(handle, access, objectAttributes, fileHandle, type, create, MiFileAccess(protect));
  KeSetEvent(CreateLock);
  return status;
}

/** The access to the file a section with `protect` needs (NT's MmMakeFileAccess). */
function MiFileAccess(protect: u32): u32 {
  if (protect == PAGE_EXECUTE) return FILE_EXECUTE;
  if (protect == PAGE_EXECUTE_READ) return FILE_EXECUTE | FILE_READ_DATA;
  if (protect == PAGE_EXECUTE_READWRITE) return FILE_EXECUTE | FILE_READ_DATA | FILE_WRITE_DATA;
  if (protect == PAGE_READWRITE) return FILE_READ_DATA | FILE_WRITE_DATA;
  return FILE_READ_DATA;
}

function MiCreateImageSectionLocked(handle: usize, access: u32, objectAttributes: usize, fileHandle: u32, type: usize,
                                    create: MI_CREATE, fileAccess: u32): u32 {
  // The call's cells: +0 the file object, +4 the bytes read, +8 the file's size (u64), +16 the header check's (MI_CHECK_CELLS).
  const out = KeAllocateScratch(16 + MI_CHECK_CELLS);
  const check = out + 16;
  store<usize>(check, 0, 4);
  let status = ObReferenceObjectByHandle(fileHandle, fileAccess, MmFileObjectType, out, 0);
  if (!NT_SUCCESS(status)) { KeFreeScratch(out); return status; }
  const file = load<usize>(out);
  MiKeepFileName(file);
  status = MmQueryFileSize(file, out + 8);
  const size = load<u64>(out + 8);
  if (NT_SUCCESS(status) && size > <u64>MAX_IMAGE_FILE) status = Refuse(check, "the file is over 16 MiB", STATUS_INVALID_IMAGE_FORMAT);
  if (NT_SUCCESS(status) && size < 64) status = Refuse(check, "R1: no MZ header", STATUS_INVALID_IMAGE_NOT_MZ);
  let buffer: usize = 0;
  if (NT_SUCCESS(status)) {
    // The whole file, read while the section is built: the caller's pool (ex/quota.ts), so an
    // image is refused with STATUS_QUOTA_EXCEEDED when its file does not fit the caller's quota.
    buffer = ExAllocatePoolWithQuotaTag(NonPagedPool, <u32>size, IMAGE_TAG, out + 4);
    if (buffer == 0) status = load<u32>(out + 4);
  }
  if (NT_SUCCESS(status)) {
    status = MmTransferFile(file, IRP_MJ_READ, 0, buffer, <u32>size, out + 4, false);
    if (NT_SUCCESS(status) && load<u32>(out + 4) != <u32>size) status = Refuse(check, "the file could not be read whole", STATUS_INVALID_IMAGE_FORMAT);
  }
  ObDereferenceObject(file);
  if (NT_SUCCESS(status)) status = MiCheckImageHeaders(buffer, <u32>size, check);
  if (NT_SUCCESS(status)) {
    const sizeOfImage = changetype<IMAGE_NT_HEADERS32>(buffer + load<u32>(check)).OptionalHeader.SizeOfImage;
    const pages = (sizeOfImage + 4095) >> 12;
    if (!MiCommitFits(pages) || !MiEnsureAvailablePages(pages)) status = STATUS_COMMITMENT_LIMIT;
    else {
      Source = buffer; SourceLength = <u32>size; SourceNt = load<u32>(check);
      status = create(handle, access, objectAttributes, type, MiImageBodySize(pages), MiInitializeImage, pages, 0);
      Source = 0;
    }
  } else if (NT_ERROR(status) && MiImageRefusal(check).length != 0) {
    MiLogRefusal(MiImageRefusal(check), status);
  }
  if (buffer != 0) ExFreePoolWithQuotaTag(buffer, IMAGE_TAG);
  KeFreeScratch(out);
  return status;
}

/**
 * Copies `length` bytes of the image at `rva` (as mapped) into `into`;
 * false when the range is not inside the image.
 */
export function MmReadImage(section: usize, rva: u32, into: usize, length: u32): bool {
  const pages = load<u32>(section, SECTION_PAGES);
  if (<u64>rva + <u64>length > (<u64>pages << 12)) return false;
  while (length != 0) {
    const page = rva >> 12, within = rva & 4095;
    const chunk: u32 = <u32>4096 - within < length ? <u32>4096 - within : length;
    memory.copy(into, MmPageToVirtual(load<u32>(section + SECTION_FRAMES + (page << 2))) + within, chunk);
    rva += chunk; into += chunk; length -= chunk;
  }
  return true;
}

// ---- mapping ----

@inline function MiLockAddressSpace(): u32 { const f = read_eflags() & 0x200; cli(); return f; }
@inline function MiUnlockAddressSpace(f: u32): void { if (f != 0) sti(); }

/**
 * Maps the whole image `section` into the address space whose regions are
 * at `head`: at `base` when given, else at the image base when free, else
 * anywhere. Stores the view's address and size.
 */
export function MmMapImageView(section: usize, head: usize, base: usize, offset: u64, size: u32,
                               baseAddress: usize, viewSize: usize, sectionOffset: usize): u32 {
  const pages = load<u32>(section, SECTION_PAGES);
  const length = <usize>pages << 12;
  if (offset != 0 || (size != 0 && <usize>size != length)) return STATUS_INVALID_VIEW_SIZE; // an image is mapped whole
  const imageBase = <usize>load<u32>(InfoOf(section, pages) + SIZEOF_SECTION_IMAGE_INFORMATION);
  // The view's own copies of its write-copy pages are taken with interrupts off below: make them free first
  // (with a paging file, the modified page writer pages out what it must; mm/paging.ts).
  let copies: u32 = 0;
  for (let i: u32 = 0; i < pages; i++) if (load<u8>(ProtectionsOf(section, pages) + i) == P_WRITECOPY) copies++;
  MiEnsureAvailablePages(copies + 8); // and a few page tables
  const f = MiLockAddressSpace();
  let start: usize = 0;
  if (base != 0) {
    start = base & ~0xFFFF;
    if (start < MM_LOWEST_USER_ADDRESS || start + length > MM_HIGHEST_USER_ADDRESS || MiOverlaps(head, start, start + length)) {
      MiUnlockAddressSpace(f);
      return STATUS_CONFLICTING_ADDRESSES;
    }
  } else if (!MiOverlaps(head, imageBase, imageBase + length)) {
    start = imageBase;
  } else {
    start = MiFindFreeRange(head, <u32>length);
    if (start == 0 || start + length > MM_HIGHEST_USER_ADDRESS) { MiUnlockAddressSpace(f); return STATUS_NO_MEMORY; }
  }
  const inserted = MiInsertVadStatus(head, start, start + length, PAGE_EXECUTE_WRITECOPY, MEM_IMAGE);
  if (inserted != STATUS_SUCCESS) { MiUnlockAddressSpace(f); return inserted; }
  const protections = ProtectionsOf(section, pages);
  for (let i: u32 = 0; i < pages; i++) {
    const va = start + (<usize>i << 12);
    const pte = MiPte(va, true);
    let frame = load<u32>(section + SECTION_FRAMES + (i << 2));
    const writeCopy = load<u8>(protections + i) == P_WRITECOPY;
    let copy: u32 = 0;
    if (writeCopy) {
      copy = MmAllocatePhysicalPage();
      if (copy != 0) memory.copy(MmPageToVirtual(copy), MmPageToVirtual(frame), 4096);
    }
    if (pte == 0 || (writeCopy && copy == 0)) {
      MiDecommit(start, va);
      MiRemoveVad(MiFindVad(head, start));
      MiUnlockAddressSpace(f);
      return STATUS_INSUFFICIENT_RESOURCES;
    }
    if (writeCopy) frame = copy; // the view's own page: its one reference is the PTE's
    else MmReferencePhysicalPage(frame);
    store<u32>(pte, (frame << 12) | MiPteBits(writeCopy ? PAGE_READWRITE : PAGE_READONLY));
    invlpg(va);
  }
  MiUnlockAddressSpace(f);
  store<usize>(baseAddress, start);
  store<u32>(viewSize, <u32>length);
  if (sectionOffset != 0) store<u64>(sectionOffset, 0);
  return start == imageBase ? STATUS_SUCCESS : STATUS_IMAGE_NOT_AT_BASE;
}

// ---- NtQuerySection ----

export const SectionBasicInformation: u32 = 0;
export const SectionImageInformation: u32 = 1;

/** The answer of NtQuerySection for a referenced `section` into the kernel buffer `into`; returns its length or a status via `status`. */
export function MiQuerySection(section: usize, informationClass: u32, into: usize, statusOut: usize): u32 {
  store<u32>(statusOut, STATUS_SUCCESS);
  if (informationClass == SectionBasicInformation) {
    // SECTION_BASIC_INFORMATION: BaseAddress, AllocationAttributes, MaximumSize (LARGE_INTEGER).
    store<u32>(into, 0);
    store<u32>(into + 4, load<u32>(section, SECTION_ATTRIBUTES) | load<u32>(section, SECTION_PROTECTION) * 0);
    store<u64>(into + 8, load<u64>(section, SECTION_SIZE));
    return 16;
  }
  if (informationClass == SectionImageInformation) {
    if (!MmIsImageSection(section)) { store<u32>(statusOut, STATUS_SECTION_NOT_IMAGE); return 0; }
    memory.copy(into, InfoOf(section, load<u32>(section, SECTION_PAGES)), SIZEOF_SECTION_IMAGE_INFORMATION);
    return SIZEOF_SECTION_IMAGE_INFORMATION;
  }
  store<u32>(statusOut, STATUS_INVALID_INFO_CLASS);
  return 0;
}
