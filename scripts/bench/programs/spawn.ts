// Bench: ITERATIONS processes made from \Images\hello.exe and run to their
// end: open the file, NtCreateSection(SEC_IMAGE), NtCreateProcessEx, a
// stack, NtCreateThread at the entry point, wait, close. The bench builds it
// with two values of ITERATIONS and takes the difference of the whole runs.
import { NtClose, NtCreateProcessEx, NtAllocateVirtualMemory, NtCreateThread, NtWaitForSingleObject, unicode } from "../../../test/boot/programs/nt";

@external("ntdll", "NtCreateFile") declare function NtCreateFile(h: usize, access: u32, oa: usize, iosb: usize, alloc: usize, attrs: u32, share: u32, disposition: u32, options: u32, ea: usize, eaLength: u32): u32;
@external("ntdll", "NtCreateSection") declare function NtCreateSection(handle: usize, access: u32, oa: usize, maximumSize: usize, protect: u32, attributes: u32, file: u32): u32;
@external("ntdll", "NtQuerySection") declare function NtQuerySection(section: u32, cls: u32, info: usize, length: u32, result: usize): u32;

const ITERATIONS: u32 = 10;
const h = memory.data(16, 4);
const iosb = memory.data(8, 4);
const oa = memory.data(24, 4);
const name = memory.data(8, 4);
const info = memory.data(64, 8);
const context = memory.data(716, 4);
const initialTeb = memory.data(20, 4);
const stack = memory.data(8, 4);

export function main(): void {
  unicode(name, "\\??\\C:\\Images\\hello.exe");
  store<u32>(oa, 24); store<u32>(oa, 0, 4); store<u32>(oa, <u32>name, 8); store<u32>(oa, 0x40, 12);
  for (let i: u32 = 0; i < ITERATIONS; i++) {
    NtCreateFile(h, 0x80000000 | 0x20000000 | 0x100000, oa, iosb, 0, 0, 1, 1, 0x60, 0, 0);
    NtCreateSection(h + 4, 0xF001F, 0, 0, 0x10, 0x1000000, load<u32>(h));
    NtClose(load<u32>(h));
    NtCreateProcessEx(h + 8, 0x1F0FFF, 0, 0xFFFFFFFF, 0, load<u32>(h + 4), 0, 0, 0);
    NtQuerySection(load<u32>(h + 4), 1, info, 48, 0);
    NtClose(load<u32>(h + 4));
    store<u32>(stack, 0); store<u32>(stack, 0x10000, 4);
    NtAllocateVirtualMemory(load<u32>(h + 8), stack, 0, stack + 4, 0x3000, 0x04);
    const top = load<u32>(stack) + load<u32>(stack, 4);
    memory.fill(context, 0, 716);
    store<u32>(context, 0x10007, 0);
    store<u32>(context, load<u32>(info), 0xB8);
    store<u32>(context, top - 16, 0xC4);
    store<u32>(initialTeb, top, 8); store<u32>(initialTeb, load<u32>(stack), 12);
    NtCreateThread(h + 12, 0x1F03FF, 0, load<u32>(h + 8), 0, context, initialTeb, 0);
    NtWaitForSingleObject(load<u32>(h + 8), 0, 0);
    NtClose(load<u32>(h + 12));
    NtClose(load<u32>(h + 8));
  }
}
