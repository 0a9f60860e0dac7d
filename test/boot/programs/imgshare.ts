// ntdll.dll's image is one section mapped into every image process: its
// code pages are the same physical frames everywhere. This program makes two
// image processes (A and B, from \Images\hello.exe, each with ntdll.dll at
// 0x7C900000) and attacks ntdll's first code page in A through the memory
// services, then reads the page in B, and in a process C made after the
// attacks: each must still hold the original bytes.
//   1. MEM_COMMIT with PAGE_EXECUTE_READWRITE over the image page (NT:
//      STATUS_ALREADY_COMMITTED, file-backed views cannot be committed), then
//      a write into it (the page stays read-only: STATUS_ACCESS_VIOLATION).
//   2. NtProtectVirtualMemory to PAGE_NOACCESS and then PAGE_READWRITE (the
//      frame was still the shared one behind a not-present PTE), then a write.
//   3. NtProtectVirtualMemory straight to PAGE_READWRITE on the headers page.
// A's writes must land in A's own copies (A reads them back).
import { InitializeObjectAttributes, OBJ_CASE_INSENSITIVE, MEMORY_BASIC_INFORMATION, SIZEOF_MEMORY_BASIC_INFORMATION } from "../../../kernel/sdk/ntdef";
import { show, put, putHex, flush, unicode, NtClose, NtCreateProcessEx, NtAllocateVirtualMemory, NtProtectVirtualMemory, NtQueryVirtualMemory,
  NtReadVirtualMemory, NtWriteVirtualMemory, NtTerminateProcess } from "./nt";
@external("ntdll", "NtCreateFile") declare function NtCreateFile(h: usize, access: u32, oa: usize, iosb: usize, alloc: usize, attrs: u32, share: u32, disposition: u32, options: u32, ea: usize, eaLength: u32): u32;
@external("ntdll", "NtCreateSection") declare function NtCreateSection(handle: usize, access: u32, oa: usize, maximumSize: usize, protect: u32, attributes: u32, file: u32): u32;

const CODE: u32 = 0x7C901000, HEADERS: u32 = 0x7C900000;
const MEM_COMMIT: u32 = 0x1000, PAGE_NOACCESS: u32 = 0x01, PAGE_READWRITE: u32 = 0x04, PAGE_EXECUTE_READWRITE: u32 = 0x40;
const h = memory.data(16, 4);
const iosb = memory.data(8, 4);
const oa = memory.data(24, 4);
const name = memory.data(8, 4);
const range = memory.data(8, 4);
const old = memory.data(4, 4);
const mbi = memory.data(<i32>SIZEOF_MEMORY_BASIC_INFORMATION, 4);
const originalCode = memory.data(16, 4);
const originalHeaders = memory.data(16, 4);
const seen = memory.data(16, 4);
const evil = memory.data<u8>([0xCC, 0xCC, 0xCC, 0xCC, 0x45, 0x56, 0x49, 0x4C, 0xCC, 0xCC, 0xCC, 0xCC, 0x45, 0x56, 0x49, 0x4C]);

function newProcess(what: string, section: u32, slot: u32): u32 {
  show(what, NtCreateProcessEx(h + slot, 0x1F0FFF, 0, 0xFFFFFFFF, 0, section, 0, 0, 0));
  return load<u32>(h + slot);
}
function same(a: usize, b: usize): bool { return load<u64>(a) == load<u64>(b) && load<u64>(a, 8) == load<u64>(b, 8); }
/** "what: original" or "what: CHANGED" for 16 bytes at `address` in `process`. */
function check(what: string, process: u32, address: u32, original: usize): void {
  const status = NtReadVirtualMemory(process, address, seen, 16, 0);
  put(what); put(" "); putHex(status); put(same(seen, original) ? " original" : same(seen, evil) ? " WRITTEN" : " other"); flush();
}
function setRange(address: u32): usize { store<u32>(range, address); store<u32>(range, 0x1000, 4); return range; }

export function main(): void {
  unicode(name, "\\??\\C:\\Images\\hello.exe");
  InitializeObjectAttributes(oa, name, OBJ_CASE_INSENSITIVE, 0, 0);
  show("open", NtCreateFile(h, 0x80000000 | 0x20000000 | 0x100000, oa, iosb, 0, 0, 1, 1, 0x60, 0, 0));
  show("section", NtCreateSection(h + 4, 0xF001F, 0, 0, 0x10, 0x1000000, load<u32>(h)));
  NtClose(load<u32>(h));
  const section = load<u32>(h + 4);
  const a = newProcess("process A", section, 8);
  const b = newProcess("process B", section, 12);
  show("read ntdll code in B", NtReadVirtualMemory(b, CODE, originalCode, 16, 0));
  show("read ntdll headers in B", NtReadVirtualMemory(b, HEADERS, originalHeaders, 16, 0));
  put("code starts "); putHex(load<u32>(originalCode)); put(" headers start "); putHex(load<u32>(originalHeaders)); flush();

  // 1. A commit over the image page.
  show("commit read-write over ntdll code in A", NtAllocateVirtualMemory(a, setRange(CODE), 0, range + 4, MEM_COMMIT, PAGE_EXECUTE_READWRITE));
  show("write ntdll code in A", NtWriteVirtualMemory(a, CODE, evil, 16, 0));
  check("ntdll code in A", a, CODE, originalCode);
  check("ntdll code in B", b, CODE, originalCode);

  // 2. No access, then read-write: the shared frame behind a not-present PTE.
  show("protect ntdll code no-access in A", NtProtectVirtualMemory(a, setRange(CODE), range + 4, PAGE_NOACCESS, old));
  show("protect ntdll code read-write in A", NtProtectVirtualMemory(a, setRange(CODE), range + 4, PAGE_READWRITE, old));
  show("write ntdll code in A", NtWriteVirtualMemory(a, CODE, evil, 16, 0));
  check("ntdll code in A", a, CODE, originalCode);
  check("ntdll code in B", b, CODE, originalCode);

  // 3. Read-write at once, on the headers.
  show("protect ntdll headers read-write in A", NtProtectVirtualMemory(a, setRange(HEADERS), range + 4, PAGE_READWRITE, old));
  show("write ntdll headers in A", NtWriteVirtualMemory(a, HEADERS, evil, 16, 0));
  check("ntdll headers in A", a, HEADERS, originalHeaders);
  check("ntdll headers in B", b, HEADERS, originalHeaders);
  const q = NtQueryVirtualMemory(a, HEADERS, 0, mbi, SIZEOF_MEMORY_BASIC_INFORMATION, 0);
  put("ntdll headers in A "); putHex(q); put(" protect "); putHex(changetype<MEMORY_BASIC_INFORMATION>(mbi).Protect); put(" type "); putHex(changetype<MEMORY_BASIC_INFORMATION>(mbi).Type); flush();

  // A process made after the attacks maps the section's frames as they are.
  const c = newProcess("process C", section, 0);
  check("ntdll code in C", c, CODE, originalCode);
  check("ntdll headers in C", c, HEADERS, originalHeaders);
  NtClose(section);
  show("end A", NtTerminateProcess(a, 0));
  show("end B", NtTerminateProcess(b, 0));
  show("end C", NtTerminateProcess(c, 0));
  NtClose(a); NtClose(b); NtClose(c);
}
