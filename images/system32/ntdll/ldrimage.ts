// The image side of the loader (ldr.ts): the statuses and structure layouts
// it shares, strings and lists on the process heap, the PE header fields it
// reads (every RVA checked against the image's size), its "LDR:" lines, and
// base relocation of a mapped image.

import { NtDisplayString, RtlpProcessHeap } from "./nt";
import { RtlAllocateHeap, RtlFreeHeap } from "./heap";
import { setString } from "./string";
import { LDR_DATA_TABLE_ENTRY, PEB, PEB_LDR_DATA, RTL_USER_PROCESS_PARAMETERS } from "../../../kernel/sdk/peb";
import {
  IMAGE_BASE_RELOCATION, IMAGE_DOS_HEADER, IMAGE_NT_HEADERS32, IMAGE_OPTIONAL_HEADER32, IMAGE_SECTION_HEADER,
} from "../../../kernel/sdk/pe";
import {
  STATUS_CONFLICTING_ADDRESSES, STATUS_INVALID_IMAGE_FORMAT, STATUS_NO_MEMORY, STATUS_SUCCESS,
} from "../../../kernel/sdk/ntstatus";
import { NtCurrentProcess, PAGE_EXECUTE_READ, PAGE_READONLY, PAGE_READWRITE } from "../../../kernel/sdk/ntdef";
import {
  IMAGE_DIRECTORY_ENTRY_BASERELOC, IMAGE_FILE_RELOCS_STRIPPED, IMAGE_REL_BASED_ABSOLUTE, IMAGE_REL_BASED_HIGH, IMAGE_REL_BASED_HIGHLOW, IMAGE_REL_BASED_LOW, IMAGE_SCN_MEM_EXECUTE, IMAGE_SCN_MEM_WRITE, SECTION_HEADER_SIZE,
} from "../../../kernel/sdk/pe";

@external("ntdll", "NtProtectVirtualMemory") declare function NtProtectVirtualMemory(process: u32, base: usize, size: usize, protect: u32, old: usize): u32;

// ---- structures: the SDK's layouts (kernel/sdk/peb.ts), as offsets for address arithmetic ----
export const LDR_DATA_SIZE: u32 = <u32>offsetof<PEB_LDR_DATA>();
export const LD_INITIALIZED: u32 = <u32>offsetof<PEB_LDR_DATA>("Initialized");
export const LD_LOAD_ORDER: u32 = <u32>offsetof<PEB_LDR_DATA>("InLoadOrderModuleList_Flink");
export const LD_MEMORY_ORDER: u32 = <u32>offsetof<PEB_LDR_DATA>("InMemoryOrderModuleList_Flink");
export const LD_INIT_ORDER: u32 = <u32>offsetof<PEB_LDR_DATA>("InInitializationOrderModuleList_Flink");
export const E_LOAD_LINKS: u32 = <u32>offsetof<LDR_DATA_TABLE_ENTRY>("InLoadOrderLinks_Flink");
export const E_MEMORY_LINKS: u32 = <u32>offsetof<LDR_DATA_TABLE_ENTRY>("InMemoryOrderLinks_Flink");
export const E_INIT_LINKS: u32 = <u32>offsetof<LDR_DATA_TABLE_ENTRY>("InInitializationOrderLinks_Flink");
export const E_DLL_BASE: u32 = <u32>offsetof<LDR_DATA_TABLE_ENTRY>("DllBase");
export const E_ENTRY: u32 = <u32>offsetof<LDR_DATA_TABLE_ENTRY>("EntryPoint");
export const E_SIZE: u32 = <u32>offsetof<LDR_DATA_TABLE_ENTRY>("SizeOfImage");
export const E_FULL_NAME: u32 = <u32>offsetof<LDR_DATA_TABLE_ENTRY>("FullDllName_Length");
export const E_BASE_NAME: u32 = <u32>offsetof<LDR_DATA_TABLE_ENTRY>("BaseDllName_Length");
export const E_FLAGS: u32 = <u32>offsetof<LDR_DATA_TABLE_ENTRY>("Flags");
export const E_LOAD_COUNT: u32 = <u32>offsetof<LDR_DATA_TABLE_ENTRY>("LoadCount");
export const E_HASH_LINKS: u32 = <u32>offsetof<LDR_DATA_TABLE_ENTRY>("HashLinks_Flink");
export const E_TIMESTAMP: u32 = <u32>offsetof<LDR_DATA_TABLE_ENTRY>("TimeDateStamp");
export const ENTRY_SIZE: u32 = <u32>offsetof<LDR_DATA_TABLE_ENTRY>();
export const PEB_LDR: u32 = <u32>offsetof<PEB>("Ldr");
export const PEB_IMAGE_BASE: u32 = <u32>offsetof<PEB>("ImageBaseAddress");
export const P_DLLPATH: u32 = <u32>offsetof<RTL_USER_PROCESS_PARAMETERS>("DllPath_Length");
export const P_IMAGE: u32 = <u32>offsetof<RTL_USER_PROCESS_PARAMETERS>("ImagePathName_Length");
export const HEAP_GROWABLE: u32 = 2, HEAP_ZERO_MEMORY: u32 = 8;

// ---- small helpers ----

export function heap(): usize { return RtlpProcessHeap(); }
@inline export function ustrLength(s: usize): u32 { return <u32>load<u16>(s); }
@inline export function ustrBuffer(s: usize): usize { return load<usize>(s, 4); }

/** The PE headers' fields the loader reads (the kernel checked them when it made the section). */
@inline export function ntHeaders(base: usize): usize { return base + <usize>changetype<IMAGE_DOS_HEADER>(base).e_lfanew; }
@inline function optionalHeader(base: usize): IMAGE_OPTIONAL_HEADER32 { return changetype<IMAGE_NT_HEADERS32>(ntHeaders(base)).OptionalHeader; }
@inline export function sizeOfImage(base: usize): u32 { return optionalHeader(base).SizeOfImage; }
@inline export function headerImageBase(base: usize): usize { return optionalHeader(base).ImageBase; }
@inline export function characteristics(base: usize): u32 { return <u32>changetype<IMAGE_NT_HEADERS32>(ntHeaders(base)).FileHeader_Characteristics; }
/** Data directory `index` (IMAGE_DIRECTORY_ENTRY_*): its RVA (0 when absent); its size at *size. */
export function directory(base: usize, index: u32, size: usize): u32 {
  const optional = optionalHeader(base);
  store<u32>(size, 0);
  if (index >= optional.NumberOfRvaAndSizes) return 0;
  const entry = optional.DataDirectoryEntry(index);
  store<u32>(size, entry.Size);
  return entry.VirtualAddress;
}
/** True when [rva, rva + length) lies inside the image. */
@inline export function inside(base: usize, rva: u32, length: u32): bool {
  const limit = sizeOfImage(base);
  return rva <= limit && length <= limit - rva;
}
/** True when the NUL-terminated CHAR string at `rva` ends inside the image. */
export function asciiInside(base: usize, rva: u32): bool {
  const limit = sizeOfImage(base);
  for (let at = rva; at < limit; at++) if (load<u8>(base + at) == 0) return true;
  return false;
}

/** A UNICODE_STRING (and its buffer, in one heap block) from a CHAR string, `suffix` appended (ASCII). */
export function LdrpAnsiToUnicode(chars: usize, count: u32, suffix: string): usize {
  const total = count + <u32>suffix.length;
  const block = RtlAllocateHeap(heap(), 0, 8 + ((total + 1) << 1));
  if (block == 0) return 0;
  const buffer = block + 8;
  for (let i: u32 = 0; i < count; i++) store<u16>(buffer + (i << 1), <u16>load<u8>(chars + i));
  for (let i: u32 = 0; i < <u32>suffix.length; i++) store<u16>(buffer + ((count + i) << 1), <u16>suffix.charCodeAt(i));
  store<u16>(buffer + (total << 1), 0);
  setString(block, total << 1, (total + 1) << 1, buffer);
  return block;
}

/**
 * A UNICODE_STRING with a NUL-terminated copy of `a` + `text` + `b` (`a`
 * and `b` UNICODE_STRINGs or 0), in one heap block (free it once).
 */
export function LdrpConcat(a: usize, text: string, b: usize): usize {
  const la = a != 0 ? ustrLength(a) : 0, lt = <u32>text.length << 1, lb = b != 0 ? ustrLength(b) : 0;
  const bytes = la + lt + lb;
  const block = RtlAllocateHeap(heap(), 0, 8 + bytes + 2);
  if (block == 0) return 0;
  if (la != 0) memory.copy(block + 8, ustrBuffer(a), la);
  for (let i = 0; i < text.length; i++) store<u16>(block + 8 + la + (<u32>i << 1), <u16>text.charCodeAt(i));
  if (lb != 0) memory.copy(block + 8 + la + lt, ustrBuffer(b), lb);
  store<u16>(block + 8 + bytes, 0);
  setString(block, bytes, bytes + 2, block + 8);
  return block;
}

// ---- messages ----
// A line is built in one heap block (512 WCHARs at most, as DbgPrint) and
// shown with NtDisplayString: "LDR: " + pieces + ", status 0x........".

export let LdrpLine: usize = 0;
export let LdrpLineCount: u32 = 0;
export const LINE_MAX: u32 = 510;

export function lineChar(c: u32): void {
  if (LdrpLine != 0 && LdrpLineCount < LINE_MAX) store<u16>(LdrpLine + 8 + (LdrpLineCount << 1), <u16>c);
  LdrpLineCount++;
}
export function lineText(s: string): void { for (let i = 0; i < s.length; i++) lineChar(s.charCodeAt(i)); }
export function lineName(u: usize): void {
  if (u != 0) for (let i: u32 = 0; i < ustrLength(u) >> 1; i++) lineChar(load<u16>(ustrBuffer(u) + (i << 1)));
}
export function lineBegin(s: string): void {
  LdrpLine = RtlAllocateHeap(heap(), 0, 8 + (LINE_MAX << 1));
  LdrpLineCount = 0;
  lineText("LDR: ");
  lineText(s);
}
export function lineEnd(status: u32): void {
  if (status != 0) {
    lineText(", status 0x");
    for (let shift = 28; shift >= 0; shift -= 4) lineChar(<u32>"0123456789ABCDEF".charCodeAt((status >>> shift) & 15));
  }
  if (LdrpLine == 0) return;
  const n = LdrpLineCount < LINE_MAX ? LdrpLineCount : LINE_MAX;
  setString(LdrpLine, n << 1, n << 1, LdrpLine + 8);
  NtDisplayString(LdrpLine);
  RtlFreeHeap(heap(), 0, LdrpLine);
  LdrpLine = 0;
}
/** "LDR: <name><text>, status S". */
export function LdrpReport(name: usize, text: string, status: u32): void {
  lineBegin("");
  lineName(name);
  lineText(text);
  lineEnd(status);
}

/** The name of the module an entry stands for (its base name), for messages. */
@inline export function nameOf(entry: usize): usize { return entry != 0 ? entry + E_BASE_NAME : 0; }

// ---- relocation ----

/** The protection a section's pages get back after the loader wrote them. */
export function sectionProtection(flags: u32): u32 {
  if ((flags & IMAGE_SCN_MEM_WRITE) != 0) return PAGE_READWRITE;
  return (flags & IMAGE_SCN_MEM_EXECUTE) != 0 ? PAGE_EXECUTE_READ : PAGE_READONLY;
}

/** Sets the protection of [base + rva, + size) in this process. */
export function LdrpProtect(base: usize, rva: u32, size: u32, protect: u32, args: usize): u32 {
  store<usize>(args, base + rva); store<u32>(args, size, 4);
  return NtProtectVirtualMemory(NtCurrentProcess, args, args + 4, protect, args + 8);
}

/** Gives the header page and every section its own protection again. */
export function LdrpRestoreProtection(base: usize, args: usize): void {
  const nt = changetype<IMAGE_NT_HEADERS32>(ntHeaders(base));
  const sections = <u32>nt.FileHeader_NumberOfSections;
  const table = nt.FirstSection;
  LdrpProtect(base, 0, 1, PAGE_READONLY, args);
  for (let i: u32 = 0; i < sections; i++) {
    const s = changetype<IMAGE_SECTION_HEADER>(table + i * SECTION_HEADER_SIZE);
    const size = s.VirtualSize != 0 ? s.VirtualSize : s.SizeOfRawData;
    if (size != 0) LdrpProtect(base, s.VirtualAddress, size, sectionProtection(s.Characteristics), args);
  }
}

/**
 * Applies the base relocations of the image at `base` (mapped elsewhere than
 * its header's ImageBase). Each block must lie in the directory and each
 * target inside the image; HIGHLOW, HIGH, LOW and ABSOLUTE are known.
 */
export function LdrpRelocate(entry: usize): u32 {
  const base = load<usize>(entry + E_DLL_BASE);
  const delta = <u32>(base - headerImageBase(base));
  if (delta == 0) return STATUS_SUCCESS;
  const args = RtlAllocateHeap(heap(), 0, 16);
  if (args == 0) return STATUS_NO_MEMORY;
  const rva = directory(base, IMAGE_DIRECTORY_ENTRY_BASERELOC, args);
  const size = load<u32>(args);
  if ((characteristics(base) & IMAGE_FILE_RELOCS_STRIPPED) != 0 || rva == 0 || size == 0) {
    RtlFreeHeap(heap(), 0, args);
    LdrpReport(nameOf(entry), " cannot be relocated: it has no relocations", STATUS_CONFLICTING_ADDRESSES);
    return STATUS_CONFLICTING_ADDRESSES;
  }
  const limit = sizeOfImage(base);
  let status = inside(base, rva, size) ? STATUS_SUCCESS : STATUS_INVALID_IMAGE_FORMAT;
  if (status != STATUS_SUCCESS) LdrpReport(nameOf(entry), " has a relocation directory outside the image", status);
  if (status == STATUS_SUCCESS) status = LdrpProtect(base, 0, limit, PAGE_READWRITE, args);
  let at = rva;
  const end = rva + size;
  const header = <u32>offsetof<IMAGE_BASE_RELOCATION>();
  while (status == STATUS_SUCCESS && end - at >= header) {
    const block = changetype<IMAGE_BASE_RELOCATION>(base + at);
    const page = block.VirtualAddress, blockSize = block.SizeOfBlock;
    if (blockSize < header || (blockSize & 1) != 0 || blockSize > end - at || page >= limit) {
      status = STATUS_INVALID_IMAGE_FORMAT;
      LdrpReport(nameOf(entry), " has a bad relocation block", status);
      break;
    }
    for (let p = at + header; p + 2 <= at + blockSize; p += 2) {
      const word = <u32>load<u16>(base + p);
      const type = word >> 12, target = page + (word & 0xFFF);
      if (type == IMAGE_REL_BASED_ABSOLUTE) continue; // padding
      const width: u32 = type == IMAGE_REL_BASED_HIGHLOW ? 4 : 2;
      if (target > limit - width) {
        status = STATUS_INVALID_IMAGE_FORMAT;
        LdrpReport(nameOf(entry), " has a relocation outside the image", status);
        break;
      }
      const a = base + target;
      if (type == IMAGE_REL_BASED_HIGHLOW) store<u32>(a, load<u32>(a) + delta);
      else if (type == IMAGE_REL_BASED_HIGH) store<u16>(a, <u16>((<u32>load<u16>(a) + (delta >>> 16)) & 0xFFFF));
      else if (type == IMAGE_REL_BASED_LOW) store<u16>(a, <u16>((<u32>load<u16>(a) + delta) & 0xFFFF));
      else {
        status = STATUS_INVALID_IMAGE_FORMAT;
        LdrpReport(nameOf(entry), " has a relocation of an unknown type", status);
        break;
      }
    }
    at += blockSize;
  }
  LdrpRestoreProtection(base, args);
  RtlFreeHeap(heap(), 0, args);
  return status;
}
