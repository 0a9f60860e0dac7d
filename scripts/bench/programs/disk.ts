// Bench: IDE throughput through the whole stack (system call, I/O manager,
// FAT, sector cache, ATA PIO on IRQ 14). Reads \bench.bin (the bench puts
// 4 MiB there) in 64 KiB requests, then writes \bench-out.bin the same way
// and flushes it, timing each with the guest's clock (NtQueryPerformanceCounter,
// microseconds from the PIT). Prints "read BYTES USEC" and "write BYTES USEC".
import { put, putDec, flush, unicode } from "../../../test/boot/programs/nt";

@external("ntdll", "NtCreateFile") declare function NtCreateFile(h: usize, access: u32, oa: usize, iosb: usize, alloc: usize, attrs: u32, share: u32, disposition: u32, options: u32, ea: usize, eaLength: u32): u32;
@external("ntdll", "NtReadFile") declare function NtReadFile(h: u32, event: u32, apc: usize, ctx: usize, iosb: usize, buffer: usize, length: u32, offset: usize, key: usize): u32;
@external("ntdll", "NtWriteFile") declare function NtWriteFile(h: u32, event: u32, apc: usize, ctx: usize, iosb: usize, buffer: usize, length: u32, offset: usize, key: usize): u32;
@external("ntdll", "NtFlushBuffersFile") declare function NtFlushBuffersFile(h: u32, iosb: usize): u32;
@external("ntdll", "NtQueryPerformanceCounter") declare function NtQueryPerformanceCounter(counter: usize, frequency: usize): u32;
@external("ntdll", "NtClose") declare function NtClose(h: u32): u32;

const CHUNK: u32 = 65536;
const TOTAL: u32 = 4 << 20;
const h = memory.data(4, 4);
const iosb = memory.data(8, 4);
const oa = memory.data(24, 4);
const name = memory.data(8, 4);
const buffer = memory.data(65536, 16);
const t0 = memory.data(8, 8);
const t1 = memory.data(8, 8);

function open(path: string, access: u32, disposition: u32): u32 {
  unicode(name, path);
  store<u32>(oa, 24); store<u32>(oa, 0, 4); store<u32>(oa, <u32>name, 8); store<u32>(oa, 0x40, 12);
  store<u32>(oa, 0, 16); store<u32>(oa, 0, 20);
  return NtCreateFile(h, access | 0x100000, oa, iosb, 0, 0, 1, disposition, 0x20 | 0x40, 0, 0);
}

function report(what: string, bytes: u32): void {
  put(what); put(" "); putDec(bytes); put(" "); putDec(<u32>(load<u64>(t1) - load<u64>(t0))); flush();
}

export function main(): void {
  if (open("\\??\\C:\\bench.bin", 0x80000000, 1 /* open */) != 0) { put("no bench.bin"); flush(); return; }
  let done: u32 = 0;
  NtQueryPerformanceCounter(t0, 0);
  while (NtReadFile(load<u32>(h), 0, 0, 0, iosb, buffer, CHUNK, 0, 0) == 0) done += load<u32>(iosb, 4);
  NtQueryPerformanceCounter(t1, 0);
  NtClose(load<u32>(h));
  report("read", done);
  if (open("\\??\\C:\\bench-out.bin", 0x40000000, 5 /* overwrite_if */) != 0) { put("cannot create"); flush(); return; }
  done = 0;
  NtQueryPerformanceCounter(t0, 0);
  for (let at: u32 = 0; at < TOTAL; at += CHUNK) {
    if (NtWriteFile(load<u32>(h), 0, 0, 0, iosb, buffer, CHUNK, 0, 0) != 0) break;
    done += load<u32>(iosb, 4);
  }
  NtFlushBuffersFile(load<u32>(h), iosb);
  NtQueryPerformanceCounter(t1, 0);
  NtClose(load<u32>(h));
  report("write", done);
}
