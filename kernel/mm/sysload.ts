// Session drivers: NtSetSystemInformation(SystemExtendServiceTableInformation)
// loads a kernel-mode PE32 image (win32k.sys) into the caller's session, as
// NT's MmLoadSystemImage does for session images:
//
//   1. once per session: a second load answers STATUS_IMAGE_ALREADY_LOADED;
//   2. the whole file (read by ps/psw32.ts) has its headers checked with the
//      same rules as user images (mm/image.ts R1-R16, any 64 KiB aligned base);
//   3. its SizeOfImage is committed in the caller's session space at
//      MmSessionImageStart (0xBF800000, where NT x86 loads win32k.sys); the
//      headers and each section's raw data are copied, the rest zero. The
//      first session's load keeps its read-only pages (code, .reloc) as the
//      shared copy; a later load of the same file maps those frames and
//      copies only the writable sections, so each session's data (the screen
//      buffer) is its own while the code is in memory once (sysshare.ts);
//   4. base relocations applied: blocks inside the directory, each target
//      inside the image, types ABSOLUTE and HIGHLOW only;
//   5. imports resolved by name against ntoskrnl.exe's export table
//      (kernel/exports.ts): another DLL is STATUS_DLL_NOT_FOUND, an ordinal
//      STATUS_DRIVER_ORDINAL_NOT_FOUND, an unknown name
//      STATUS_DRIVER_ENTRYPOINT_NOT_FOUND;
//   6. DriverEntry(DriverObject, NULL) is called, with a DRIVER_OBJECT
//      (kernel/sdk/driver.ts) describing the image (it registers the shadow table with
//      KeAddSystemServiceTable and its paint routine); a failure unloads
//      (ps/psw32.ts takes back what the driver registered).
//
// Every refusal is one log line `mm: session <n>: <path> refused: <why>
// (status 0x...)`; nothing in a bad file can crash the kernel, since every
// offset is checked before it is used.

import { call_address, cli, export_table, read_eflags, sti } from "../sdk/intrinsics";
import { KEVENT_SIZE, KeInitializeEvent, KeSetEvent, KeWaitForSingleObject } from "../ke/wait";
import { KeLogBegin, KeLogCharacter, KeLogDecimal, KeLogEnd, KeLogHex, KeLogString, KeLogUnicode } from "../ke/log";
import { KE_MAX_SESSIONS, KeHasSessionServices } from "../ke/shadow";
import { MmSessionCommit, MmSessionDecommit, MmSessionImageStart, MmSessionSpaceEnd } from "./session";
import { MI_CHECK_CELLS, MiCheckImageHeaders, MiImageRefusal } from "./image";
import {
  MiCopyIntoImage, MiEndSharedLoad, MiHashImageFile, MiImageWritable, MiLogSharing, MiMapSharedImage, MiPlanSharing, MiRecordSharedImage,
  MiSharedCopyMatches,
} from "./sysshare";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import {
  DRIVER_EXTENSION, DRIVER_OBJECT, DRVO_LEGACY_DRIVER, IO_TYPE_DRIVER, SIZEOF_DRIVER_EXTENSION, SIZEOF_DRIVER_OBJECT,
} from "../sdk/driver";
import {
  IMAGE_BASE_RELOCATION, IMAGE_DIRECTORY_ENTRY_BASERELOC, IMAGE_DIRECTORY_ENTRY_IMPORT, IMAGE_IMPORT_DESCRIPTOR,
  IMAGE_NT_HEADERS32, IMAGE_ORDINAL_FLAG32, IMAGE_REL_BASED_ABSOLUTE, IMAGE_REL_BASED_HIGHLOW, IMAGE_SECTION_HEADER, SECTION_HEADER_SIZE,
} from "../sdk/pe";
import {
  NT_SUCCESS, STATUS_DLL_NOT_FOUND, STATUS_DRIVER_ENTRYPOINT_NOT_FOUND, STATUS_DRIVER_ORDINAL_NOT_FOUND, STATUS_IMAGE_ALREADY_LOADED,
  STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_IMAGE_FORMAT, STATUS_SUCCESS,
} from "../sdk/ntstatus";

/** Per session: the loaded image's base (1 while it loads), and its size. */
const MiSessionImages: usize = memory.data(<i32>(KE_MAX_SESSIONS * 8), 4);

/** The driver image's place: `bytes` committed at MmSessionImageStart in the current session, zeroed; 0 when that fails. */
function MiAllocateDriverImage(bytes: u32): usize {
  if (<u64>MmSessionImageStart + <u64>bytes > <u64>MmSessionSpaceEnd) return 0;
  if (!NT_SUCCESS(MmSessionCommit(MmSessionImageStart, bytes))) { MmSessionDecommit(MmSessionImageStart, bytes); return 0; }
  memory.fill(MmSessionImageStart, 0, bytes);
  return MmSessionImageStart;
}
/** The driver image's place from the shared copy (sysshare.ts): its read-only frames mapped, the rest fresh; 0 when that fails. */
function MiMapDriverImage(bytes: u32): usize {
  if (!NT_SUCCESS(MiMapSharedImage(MmSessionImageStart, bytes))) { MiEndSharedLoad(); MmSessionDecommit(MmSessionImageStart, bytes); return 0; }
  return MmSessionImageStart;
}
function MiFreeDriverImage(base: usize, bytes: u32): void {
  MmSessionDecommit(base, bytes);
}

/** Per session: the DRIVER_OBJECT its image's DriverEntry got (pool), 0 when none. */
const MiSessionDriverObjects: usize = memory.data(<i32>(KE_MAX_SESSIONS * 4), 4);
const DRIVER_OBJECT_TAG: u32 = 0x76697244; // 'Driv'

/**
 * The driver object NT hands a session image's DriverEntry (NT's is a local
 * one; ours lives as long as the session's image): NT x86's DRIVER_OBJECT
 * with its DRIVER_EXTENSION right after it, describing the image. 0 when the
 * pool is out.
 */
function MiCreateDriverObject(image: usize, size: u32, entry: usize): usize {
  const block = ExAllocatePoolWithTag(NonPagedPool, SIZEOF_DRIVER_OBJECT + SIZEOF_DRIVER_EXTENSION, DRIVER_OBJECT_TAG);
  if (block == 0) return 0;
  const d = changetype<DRIVER_OBJECT>(block);
  d.Type = IO_TYPE_DRIVER;
  d.Size = <u16>SIZEOF_DRIVER_OBJECT;
  d.Flags = DRVO_LEGACY_DRIVER;
  d.DriverStart = image;
  d.DriverSize = size;
  d.DriverExtension = block + SIZEOF_DRIVER_OBJECT;
  d.DriverInit = entry;
  changetype<DRIVER_EXTENSION>(block + SIZEOF_DRIVER_OBJECT).DriverObject = block;
  return block;
}

function MiDeleteDriverObject(session: u32): void {
  const slot = MiSessionDriverObjects + session * 4;
  const block = load<usize>(slot);
  if (block != 0) ExFreePoolWithTag(block, DRIVER_OBJECT_TAG);
  store<usize>(slot, 0);
}

/** Session `session` has ended (ps/psw32.ts): its image went with its session space. */
export function MmForgetSessionDriver(session: u32): void {
  if (session >= KE_MAX_SESSIONS) return;
  MiDeleteDriverObject(session);
  store<usize>(MiSessionImages + session * 8, 0);
  store<u32>(MiSessionImages + session * 8, 0, 4);
}

/** True when session `session` has a session driver. */
export function MmSessionDriverLoaded(session: u32): bool {
  return session < KE_MAX_SESSIONS && load<usize>(MiSessionImages + session * 8) > 1;
}

/** A second load in `session`: refused with STATUS_IMAGE_ALREADY_LOADED and a log line. */
export function MmRefuseSessionDriver(session: u32, name: usize, nameBytes: u32): u32 {
  MiLogRefusal(session, name, nameBytes, "already loaded in this session", STATUS_IMAGE_ALREADY_LOADED);
  return STATUS_IMAGE_ALREADY_LOADED;
}

// One session image is loaded at a time (MiLoadLock, a KEVENT used as a
// mutex): the load's state below, the sharing plan (sysshare.ts) and the
// per-session slots are the loader's, and two sessions' smss may load
// win32k.sys at once.
const MiLoadLock: usize = memory.data(<i32>KEVENT_SIZE, 8);
let MiLoadLockReady: bool = false;
let MiWhy: string = "";                       // why the load under the lock was refused (for its log line)
const MiImportCount: usize = memory.data(4, 4); // imports resolved by the load under the lock
function MiRefuse(why: string, status: u32): u32 { MiWhy = why; return status; }

function MiAcquireLoadLock(): void {
  if (!MiLoadLockReady) {
    const f = read_eflags() & 0x200; cli();
    if (!MiLoadLockReady) { KeInitializeEvent(MiLoadLock, false, true); MiLoadLockReady = true; }
    if (f != 0) sti();
  }
  KeWaitForSingleObject(MiLoadLock, 0);
}

/** True when [rva, rva + bytes) is inside the image. */
@inline function MiInside(rva: u32, bytes: u32, size: u32): bool {
  return <u64>rva + <u64>bytes <= <u64>size;
}

/** The bytes of the NUL-terminated ASCII name at `rva` inside the image, or -1 when it runs out of it. */
function MiNameLength(image: usize, rva: u32, size: u32): i32 {
  if (rva >= size) return -1;
  for (let i: u32 = 0; rva + i < size && i < 256; i++) if (load<u8>(image + rva + i) == 0) return <i32>i;
  return -1;
}

/** Applies the base relocations for a move of `delta` (rule 4). */
function MiRelocate(image: usize, nt: IMAGE_NT_HEADERS32, size: u32, delta: u32): u32 {
  const oh = nt.OptionalHeader;
  if (oh.NumberOfRvaAndSizes <= IMAGE_DIRECTORY_ENTRY_BASERELOC) return delta == 0 ? STATUS_SUCCESS : MiRefuse("no relocation directory", STATUS_INVALID_IMAGE_FORMAT);
  const dir = oh.DataDirectoryEntry(IMAGE_DIRECTORY_ENTRY_BASERELOC);
  const start = dir.VirtualAddress, bytes = dir.Size;
  if (bytes == 0) return delta == 0 ? STATUS_SUCCESS : MiRefuse("no relocations", STATUS_INVALID_IMAGE_FORMAT);
  if (!MiInside(start, bytes, size)) return MiRefuse("relocation directory outside the image", STATUS_INVALID_IMAGE_FORMAT);
  let at: u32 = 0;
  while (at + 8 <= bytes) {
    const block = changetype<IMAGE_BASE_RELOCATION>(image + start + at);
    const page = block.VirtualAddress, blockSize = block.SizeOfBlock;
    if (blockSize < 8 || (blockSize & 1) != 0 || blockSize > bytes - at) return MiRefuse("relocation block size", STATUS_INVALID_IMAGE_FORMAT);
    for (let e: u32 = 8; e < blockSize; e += 2) {
      const entry = <u32>load<u16>(image + start + at + e);
      const type = entry >> 12;
      if (type == IMAGE_REL_BASED_ABSOLUTE) continue;
      if (type != IMAGE_REL_BASED_HIGHLOW) return MiRefuse("relocation type not HIGHLOW", STATUS_INVALID_IMAGE_FORMAT);
      const target = <u64>page + <u64>(entry & 0xFFF);
      if (target + 4 > <u64>size) return MiRefuse("relocation target outside the image", STATUS_INVALID_IMAGE_FORMAT);
      const p = image + <usize>target;
      if (MiImageWritable(image, p)) store<u32>(p, load<u32>(p) + delta); // a shared page has it already
    }
    at += blockSize;
  }
  if (at != bytes) return MiRefuse("relocation directory ends inside a block", STATUS_INVALID_IMAGE_FORMAT);
  return STATUS_SUCCESS;
}

/** Fills the import address table from ntoskrnl.exe's exports (rule 5); the count goes to `countOut`. */
function MiResolveImports(image: usize, nt: IMAGE_NT_HEADERS32, size: u32, countOut: usize): u32 {
  store<u32>(countOut, 0);
  const oh = nt.OptionalHeader;
  if (oh.NumberOfRvaAndSizes <= IMAGE_DIRECTORY_ENTRY_IMPORT) return STATUS_SUCCESS;
  const dir = oh.DataDirectoryEntry(IMAGE_DIRECTORY_ENTRY_IMPORT);
  if (dir.Size == 0) return STATUS_SUCCESS;
  const descriptorSize = <u32>offsetof<IMAGE_IMPORT_DESCRIPTOR>();
  let count: u32 = 0;
  for (let d = dir.VirtualAddress; ; d += descriptorSize) {
    if (!MiInside(d, descriptorSize, size)) return MiRefuse("import directory outside the image", STATUS_INVALID_IMAGE_FORMAT);
    const desc = changetype<IMAGE_IMPORT_DESCRIPTOR>(image + d);
    if (desc.Name == 0 && desc.FirstThunk == 0) break;
    const nameLength = MiNameLength(image, desc.Name, size);
    if (nameLength < 0) return MiRefuse("import DLL name outside the image", STATUS_INVALID_IMAGE_FORMAT);
    if (!MiAsciiEqualsNoCase(image + desc.Name, <u32>nameLength, "ntoskrnl.exe")) {
      KeLogBegin("mm");
      KeLogString("driver imports from ");
      MiLogAscii(image + desc.Name, <u32>nameLength);
      KeLogString(", which is not loaded");
      KeLogEnd();
      return MiRefuse("import from a DLL other than ntoskrnl.exe", STATUS_DLL_NOT_FOUND);
    }
    const lookup = desc.OriginalFirstThunk != 0 ? desc.OriginalFirstThunk : desc.FirstThunk;
    for (let i: u32 = 0; ; i++) {
      if (!MiInside(lookup + i * 4, 4, size) || !MiInside(desc.FirstThunk + i * 4, 4, size)) return MiRefuse("import thunks outside the image", STATUS_INVALID_IMAGE_FORMAT);
      const thunk = load<u32>(image + lookup + i * 4);
      if (thunk == 0) break;
      if ((thunk & IMAGE_ORDINAL_FLAG32) != 0) return MiRefuse("import by ordinal", STATUS_DRIVER_ORDINAL_NOT_FOUND);
      const length = MiNameLength(image, thunk + 2, size); // IMAGE_IMPORT_BY_NAME: hint, then the name
      if (length < 0) return MiRefuse("import name outside the image", STATUS_INVALID_IMAGE_FORMAT);
      const address = MmLookupKernelExport(image + thunk + 2, <u32>length);
      if (address == 0) {
        KeLogBegin("mm");
        KeLogString("ntoskrnl.exe exports no ");
        MiLogAscii(image + thunk + 2, <u32>length);
        KeLogEnd();
        return MiRefuse("unknown import", STATUS_DRIVER_ENTRYPOINT_NOT_FOUND);
      }
      if (MiImageWritable(image, image + desc.FirstThunk + i * 4)) store<u32>(image + desc.FirstThunk + i * 4, <u32>address);
      count++;
    }
  }
  store<u32>(countOut, count);
  return STATUS_SUCCESS;
}

function MiAsciiEqualsNoCase(address: usize, length: u32, text: string): bool {
  if (length != <u32>text.length) return false;
  for (let i: u32 = 0; i < length; i++) {
    let a = <u32>load<u8>(address + i), b = <u32>text.charCodeAt(i);
    if (a >= 0x41 && a <= 0x5A) a += 0x20;
    if (b >= 0x41 && b <= 0x5A) b += 0x20;
    if (a != b) return false;
  }
  return true;
}

function MiLogAscii(address: usize, length: u32): void {
  for (let i: u32 = 0; i < length && i < 64; i++) {
    const c = <u32>load<u8>(address + i);
    KeLogCharacter(c >= 0x20 && c < 0x7F ? c : 0x3F);
  }
}

/**
 * The address of ntoskrnl.exe's export named by the `length` ASCII bytes at
 * `name` (the linker's table, kernel/exports.ts), or 0.
 */
export function MmLookupKernelExport(name: usize, length: u32): usize {
  const table = export_table();
  const count = load<u32>(table);
  for (let i: u32 = 0; i < count; i++) {
    const candidate = load<usize>(table + 4 + i * 8);
    let k: u32 = 0;
    while (k < length && load<u8>(candidate + k) == load<u8>(name + k)) k++;
    if (k == length && load<u8>(candidate + k) == 0) return load<usize>(table + 8 + i * 8);
  }
  return 0;
}

/** Lays the checked file out at `image` (rule 3). */
function MiCopySections(image: usize, file: usize, nt: IMAGE_NT_HEADERS32): void {
  MiCopyIntoImage(image, image, file, nt.OptionalHeader.SizeOfHeaders);
  const count = <u32>nt.FileHeader_NumberOfSections;
  const table = nt.FirstSection;
  for (let i: u32 = 0; i < count; i++) {
    const s = changetype<IMAGE_SECTION_HEADER>(table + i * SECTION_HEADER_SIZE);
    let raw = s.SizeOfRawData;
    const virtualSize = s.VirtualSize != 0 ? s.VirtualSize : raw;
    if (raw > virtualSize) raw = virtualSize;
    if (raw != 0 && s.PointerToRawData != 0) MiCopyIntoImage(image, image + s.VirtualAddress, file + s.PointerToRawData, raw);
  }
}

/**
 * Lays out the driver file `file` (`length` bytes, read by ps/psw32.ts;
 * `readStatus` is the read's status) in session `session`, the current one,
 * and runs its DriverEntry. `name` is its path (`nameBytes` bytes of UTF-16), for the log.
 */
export function MmLoadSessionImage(session: u32, name: usize, nameBytes: u32, file: usize, length: u32, readStatus: u32): u32 {
  if (session >= KE_MAX_SESSIONS) return STATUS_INSUFFICIENT_RESOURCES;
  MiAcquireLoadLock();
  const status = MiLoadSessionImageLocked(session, name, nameBytes, file, length, readStatus);
  KeSetEvent(MiLoadLock);
  return status;
}

function MiLoadSessionImageLocked(session: u32, name: usize, nameBytes: u32, file: usize, length: u32, readStatus: u32): u32 {
  const slot = MiSessionImages + session * 8;
  if (load<usize>(slot) != 0 || KeHasSessionServices(session)) return MmRefuseSessionDriver(session, name, nameBytes);
  if (!NT_SUCCESS(readStatus)) {
    MiLogRefusal(session, name, nameBytes, "cannot read the file", readStatus);
    return readStatus;
  }
  store<usize>(slot, 1); // loading: a second caller meanwhile is refused
  const ntOffset = memory.data(<i32>MI_CHECK_CELLS, 4); // under the lock
  let image: usize = 0, size: u32 = 0, imports: u32 = 0, mapped = false;
  MiWhy = "";
  const hash = MiHashImageFile(file, length);
  let status = MiCheckImageHeaders(file, length, ntOffset, true);
  if (!NT_SUCCESS(status)) MiWhy = MiImageRefusal(ntOffset);
  if (NT_SUCCESS(status)) {
    const fileNt = changetype<IMAGE_NT_HEADERS32>(file + load<u32>(ntOffset));
    size = fileNt.OptionalHeader.SizeOfImage;
    if (fileNt.OptionalHeader.AddressOfEntryPoint == 0) status = MiRefuse("no entry point", STATUS_INVALID_IMAGE_FORMAT);
    else {
      // The same file loaded in another session already: its read-only pages are mapped, not copied (sysshare.ts).
      mapped = MiPlanSharing(fileNt, size) != 0 && MiSharedCopyMatches(length, hash, size);
      image = mapped ? MiMapDriverImage(size) : MiAllocateDriverImage(size);
      if (image == 0) status = MiRefuse("no memory for the image", STATUS_INSUFFICIENT_RESOURCES);
    }
    if (NT_SUCCESS(status)) {
      MiCopySections(image, file, fileNt);
      const nt = changetype<IMAGE_NT_HEADERS32>(image + load<u32>(ntOffset));
      status = MiRelocate(image, nt, size, <u32>image - fileNt.OptionalHeader.ImageBase);
      if (NT_SUCCESS(status)) status = MiResolveImports(image, nt, size, MiImportCount);
      if (NT_SUCCESS(status)) imports = load<u32>(MiImportCount);
    }
  }
  if (NT_SUCCESS(status)) {
    const nt = changetype<IMAGE_NT_HEADERS32>(image + load<u32>(ntOffset));
    if (nt.OptionalHeader.ImageBase != <u32>image) nt.OptionalHeader.ImageBase = <u32>image; // a shared header page has it already
    MiEndSharedLoad();
    if (!mapped) MiRecordSharedImage(image, size, length, hash);
    MiLogSharing(session, image, size, mapped);
    const entry = image + nt.OptionalHeader.AddressOfEntryPoint;
    const driverObject = MiCreateDriverObject(image, size, entry);
    if (driverObject == 0) status = MiRefuse("no memory for the driver object", STATUS_INSUFFICIENT_RESOURCES);
    else {
      store<usize>(MiSessionDriverObjects + session * 4, driverObject);
      const args = memory.data(8, 4); // under the lock
      store<usize>(args, driverObject); // DriverObject
      store<u32>(args, 0, 4);           // RegistryPath: NULL, as NT passes it to a session image
      store<usize>(slot, image);
      store<u32>(slot, size, 4);
      status = call_address(entry, args, 8);
      if (!NT_SUCCESS(status)) MiWhy = "DriverEntry failed";
    }
  }
  if (!NT_SUCCESS(status)) {
    MiEndSharedLoad();
    MiDeleteDriverObject(session);
    if (image != 0) MiFreeDriverImage(image, size);
    store<usize>(slot, 0);
    store<u32>(slot, 0, 4);
    MiLogRefusal(session, name, nameBytes, MiWhy, status);
    return status;
  }
  KeLogBegin("mm");
  KeLogString("session ");
  KeLogDecimal(session);
  KeLogString(": ");
  KeLogUnicode(name, nameBytes);
  KeLogString(" loaded at ");
  KeLogHex(<u32>image);
  KeLogString(" (");
  KeLogDecimal(size);
  KeLogString(" bytes, ");
  KeLogDecimal(imports);
  KeLogString(" imports from ntoskrnl.exe), shadow table ");
  KeLogString(KeHasSessionServices(session) ? "registered" : "absent");
  KeLogEnd();
  return STATUS_SUCCESS;
}

function MiLogRefusal(session: u32, name: usize, nameBytes: u32, why: string, status: u32): void {
  KeLogBegin("mm");
  KeLogString("session ");
  KeLogDecimal(session);
  KeLogString(": ");
  KeLogUnicode(name, nameBytes);
  KeLogString(" refused: ");
  KeLogString(why);
  KeLogString(" (status ");
  KeLogHex(status);
  KeLogString(")");
  KeLogEnd();
}
