// SharedUserData from ring 3: the page at 0x7FFE0000 carries the system call
// stub every service stub here goes through (mov edx, esp; sysenter; ret),
// Windows XP's version fields; nothing can be allocated over it, and a write
// to it ends the process with STATUS_ACCESS_VIOLATION.
import { show, say, put, putHex, flush, NtAllocateVirtualMemory, NtClose } from "./nt";

const SHARED: usize = 0x7FFE0000;
const cell = memory.data(8, 4);

export function main(): void {
  put("SystemCall");
  for (let i: usize = 0; i < 5; i++) { put(" "); putHex(load<u8>(SHARED + 0x300 + i)); }
  flush();
  put("version "); putHex(load<u32>(SHARED + 0x26C)); put("."); putHex(load<u32>(SHARED + 0x270));
  put(" machine "); putHex(load<u16>(SHARED + 0x2C)); flush();
  show("close through the sysenter stub", NtClose(0x1234));
  store<u32>(cell, <u32>SHARED); store<u32>(cell, 4096, 4);
  show("allocate over it", NtAllocateVirtualMemory(0xFFFFFFFF, cell, 0, cell + 4, 0x3000, 0x04));
  say("write to it");
  store<u8>(SHARED + 0x300, 0x90);
  say("the write went through");
}
