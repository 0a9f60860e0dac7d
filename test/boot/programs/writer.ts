// Reads and writes another process's memory (NtRead/WriteVirtualMemory).
import { show, NtOpenProcess, NtReadVirtualMemory, NtWriteVirtualMemory, NtCreateEvent, NtSetEvent, NtDelayExecution,
  NtAllocateVirtualMemory, NtQueryVirtualMemory, NtProtectVirtualMemory, NtFreeVirtualMemory,
  attributes, ms, put, putHex, flush, findPid } from "./nt";
import { MEMORY_BASIC_INFORMATION, SIZEOF_MEMORY_BASIC_INFORMATION } from "../../../kernel/sdk/ntdef";
const h = memory.data(8, 4);
const cid = memory.data(8, 4);
const buf = memory.data(8192, 4);
const done = memory.data(4, 4);
const t = memory.data(8, 8);
export function main(): void {
  NtDelayExecution(0, ms(t, 20));
  store<u32>(cid, findPid(0x74, 0x67)); // "tg"
  show("open", NtOpenProcess(h, 0x1F0FFF, attributes("", 0), cid));
  const p = load<u32>(h);
  show("read its image base", NtReadVirtualMemory(p, 0x7FFDF008, buf, 4, done));
  show("image base", load<u32>(buf));
  store<u32>(buf, 0xCAFEF00D);
  show("write", NtWriteVirtualMemory(p, 0x7FFDF100, buf, 4, done));
  show("written", load<u32>(done));
  show("into the kernel", NtWriteVirtualMemory(p, 0x80100000, buf, 4, done));
  show("from an unmapped page", NtReadVirtualMemory(p, 0x00002000, buf, 4, done));
  show("across the end of SharedUserData", NtReadVirtualMemory(p, 0x7FFE0000, buf, 4100, done)); // the page after it is never mapped
  show("read before it stopped", load<u32>(done));
  show("bad handle", NtReadVirtualMemory(0x4444, 0x7FFDF008, buf, 4, done));
  crossProcessMemory(p);
  NtCreateEvent(h + 4, 0x1F0003, attributes("\\BaseNamedObjects\\MemReady", 0xC0), 0, 0);
  NtSetEvent(load<u32>(h, 4), 0);
}

const base = memory.data(4, 4);
const size = memory.data(4, 4);
const old = memory.data(4, 4);
const mbi = memory.data(<i32>SIZEOF_MEMORY_BASIC_INFORMATION, 4);
/** Virtual memory in the other process through its handle. */
export function crossProcessMemory(p: u32): void {
  store<u32>(base, 0); store<u32>(size, 0x3000);
  show("allocate there", NtAllocateVirtualMemory(p, base, 0, size, 0x3000, 0x04));
  const region = load<u32>(base);
  store<u32>(buf, 0x11223344);
  show("write there", NtWriteVirtualMemory(p, region + 0x1000, buf, 4, done));
  store<u32>(buf, 0);
  show("read back", NtReadVirtualMemory(p, region + 0x1000, buf, 4, done));
  show("value", load<u32>(buf));
  show("query there", NtQueryVirtualMemory(p, region, 0, mbi, SIZEOF_MEMORY_BASIC_INFORMATION, 0));
  show("state", changetype<MEMORY_BASIC_INFORMATION>(mbi).State);
  show("not here", NtQueryVirtualMemory(0xFFFFFFFF, region, 0, mbi, SIZEOF_MEMORY_BASIC_INFORMATION, 0) == 0 && changetype<MEMORY_BASIC_INFORMATION>(mbi).State == 0x10000 ? 1 : 0);
  store<u32>(base, region); store<u32>(size, 0x1000);
  show("protect there", NtProtectVirtualMemory(p, base, size, 0x02, old));
  show("old", load<u32>(old));
  store<u32>(base, region); store<u32>(size, 0);
  show("free there", NtFreeVirtualMemory(p, base, size, 0x8000));
}
