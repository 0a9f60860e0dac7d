// Image sections from ring 3: NtCreateSection(SEC_IMAGE) on PE32 files the
// boot test put in \Images, NtQuerySection, views with each section's
// protection, private data pages per view, and bad images refused with
// their NTSTATUS. Every line is "what status [values]".
import { show, NtClose, put, putHex, flush, unicode } from "./nt";
import { InitializeObjectAttributes, OBJ_CASE_INSENSITIVE, MEMORY_BASIC_INFORMATION, SIZEOF_MEMORY_BASIC_INFORMATION } from "../../../kernel/sdk/ntdef";

@external("ntdll", "NtCreateFile") declare function NtCreateFile(h: usize, access: u32, oa: usize, iosb: usize, alloc: usize, attrs: u32, share: u32, disposition: u32, options: u32, ea: usize, eaLength: u32): u32;
@external("ntdll", "NtCreateSection") declare function NtCreateSection(handle: usize, access: u32, oa: usize, maximumSize: usize, protect: u32, attributes: u32, file: u32): u32;
@external("ntdll", "NtMapViewOfSection") declare function NtMapViewOfSection(section: u32, process: u32, base: usize, zeroBits: u32, commitSize: u32, offset: usize, viewSize: usize, inherit: u32, type: u32, protect: u32): u32;
@external("ntdll", "NtUnmapViewOfSection") declare function NtUnmapViewOfSection(process: u32, base: usize): u32;
@external("ntdll", "NtQuerySection") declare function NtQuerySection(section: u32, cls: u32, info: usize, length: u32, result: usize): u32;
@external("ntdll", "NtQueryVirtualMemory") declare function NtQueryVirtualMemory(process: u32, address: usize, infoClass: u32, buffer: usize, length: u32, result: usize): u32;

const GENERIC_READ: u32 = 0x80000000, GENERIC_EXECUTE: u32 = 0x20000000, SYNCHRONIZE: u32 = 0x100000;
const SECTION_ALL_ACCESS: u32 = 0xF001F, SEC_IMAGE: u32 = 0x1000000, PAGE_EXECUTE: u32 = 0x10;
const h = memory.data(16, 4);
const iosb = memory.data(8, 4);
const oa = memory.data(24, 4);
const name = memory.data(8, 4);
const info = memory.data(64, 8);
const result = memory.data(4, 4);
const base = memory.data(8, 4);
const size = memory.data(8, 4);
const mbi = memory.data(32, 4);
const maximum = memory.data(8, 8);

function openFile(path: string, access: u32): u32 {
  unicode(name, path);
  InitializeObjectAttributes(oa, name, OBJ_CASE_INSENSITIVE, 0, 0);
  return NtCreateFile(h, access | SYNCHRONIZE, oa, iosb, 0, 0, 1, 1 /* open */, 0x20 | 0x40, 0, 0);
}

/** Opens \Images\NAME and makes an image section of it; returns the status (the section at h+4). */
function imageSection(file: string, access: u32): u32 {
  const opened = openFile(file, access);
  if (opened != 0) return opened;
  const status = NtCreateSection(h + 4, SECTION_ALL_ACCESS, 0, 0, PAGE_EXECUTE, SEC_IMAGE, load<u32>(h));
  NtClose(load<u32>(h));
  return status;
}

function region(what: string, address: usize): void {
  const status = NtQueryVirtualMemory(0xFFFFFFFF, address, 0, mbi, SIZEOF_MEMORY_BASIC_INFORMATION, result);
  put(what); put(" "); putHex(status); put(" base "); putHex(changetype<MEMORY_BASIC_INFORMATION>(mbi).BaseAddress); put(" allocation "); putHex(changetype<MEMORY_BASIC_INFORMATION>(mbi).AllocationBase);
  put(" size "); putHex(changetype<MEMORY_BASIC_INFORMATION>(mbi).RegionSize); put(" protect "); putHex(changetype<MEMORY_BASIC_INFORMATION>(mbi).Protect); put(" type "); putHex(changetype<MEMORY_BASIC_INFORMATION>(mbi).Type);
  flush();
}

export function main(): void {
  show("good section", imageSection("\\??\\C:\\Images\\good.exe", GENERIC_READ | GENERIC_EXECUTE));
  const section = load<u32>(h + 4);
  let status = NtQuerySection(section, 1, info, 48, result);
  put("image info "); putHex(status); put(" entry "); putHex(load<u32>(info)); put(" stack "); putHex(load<u32>(info, 8));
  put(" commit "); putHex(load<u32>(info, 12)); flush();
  put("image info subsystem "); putHex(load<u32>(info, 16)); put(" version ");
  putHex(load<u16>(info, 22)); put(" characteristics "); putHex(load<u16>(info, 28)); put(" machine "); putHex(load<u16>(info, 32));
  flush();
  put("image info code "); putHex(load<u8>(info, 34)); put(" file size "); putHex(load<u32>(info, 40)); put(" result "); putHex(load<u32>(result));
  flush();
  status = NtQuerySection(section, 0, info, 16, result);
  put("basic info "); putHex(status); put(" attributes "); putHex(load<u32>(info, 4)); put(" size "); putHex(load<u32>(info, 8)); flush();
  show("short buffer", NtQuerySection(section, 1, info, 40, result));
  show("bad class", NtQuerySection(section, 7, info, 64, result));

  store<u32>(base, 0); store<u32>(size, 0);
  status = NtMapViewOfSection(section, 0xFFFFFFFF, base, 0, 0, 0, size, 1, 0, 0x04);
  const first = load<u32>(base);
  put("map "); putHex(status); put(" at "); putHex(first); put(" size "); putHex(load<u32>(size)); flush();
  put("headers "); putHex(load<u16>(first)); put(" text "); putHex(load<u32>(first + 0x1000)); flush();
  region("headers region", first);
  region("text region", first + 0x1000);
  region("data region", first + 0x3000);
  const data = first + 0x3000;
  put("data word "); putHex(load<u32>(data)); flush();
  store<u32>(data, 0x12345678);
  store<u32>(base, 0); store<u32>(size, 0);
  status = NtMapViewOfSection(section, 0xFFFFFFFF, base, 0, 0, 0, size, 1, 0, 0x04);
  const second = load<u32>(base);
  put("second map "); putHex(status); put(" elsewhere "); putHex(second != first ? 1 : 0); flush();
  put("second data word "); putHex(load<u32>(second + 0x3000)); put(" first now "); putHex(load<u32>(data)); flush();
  show("unmap second", NtUnmapViewOfSection(0xFFFFFFFF, second));
  show("unmap first", NtUnmapViewOfSection(0xFFFFFFFF, first + 0x1234));
  NtClose(section);

  show("without execute access", imageSection("\\??\\C:\\Images\\good.exe", GENERIC_READ));
  show("not mz", imageSection("\\??\\C:\\Images\\notmz.exe", GENERIC_READ | GENERIC_EXECUTE));
  show("bad signature", imageSection("\\??\\C:\\Images\\badsig.exe", GENERIC_READ | GENERIC_EXECUTE));
  show("wrong machine", imageSection("\\??\\C:\\Images\\machine.exe", GENERIC_READ | GENERIC_EXECUTE));
  show("pe32+", imageSection("\\??\\C:\\Images\\pe64.exe", GENERIC_READ | GENERIC_EXECUTE));
  show("truncated", imageSection("\\??\\C:\\Images\\truncated.exe", GENERIC_READ | GENERIC_EXECUTE));
  show("section past the end", imageSection("\\??\\C:\\Images\\pastend.exe", GENERIC_READ | GENERIC_EXECUTE));
  show("overlapping sections", imageSection("\\??\\C:\\Images\\overlap.exe", GENERIC_READ | GENERIC_EXECUTE));
  show("entry outside", imageSection("\\??\\C:\\Images\\entry.exe", GENERIC_READ | GENERIC_EXECUTE));
  show("empty file", imageSection("\\??\\C:\\Images\\empty.exe", GENERIC_READ | GENERIC_EXECUTE));
  store<u64>(maximum, 8192);
  status = NtCreateSection(h + 8, SECTION_ALL_ACCESS, 0, maximum, 0x04, 0x8000000, 0);
  show("data section", status);
  show("image info of data", NtQuerySection(load<u32>(h + 8), 1, info, 48, result));
  NtClose(load<u32>(h + 8));
  show("done", 0);
}
