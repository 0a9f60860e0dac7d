// Writes \dirty.txt on the system volume and ends: the volume is dirty
// from that write until it is marked clean (kernel/fat/fatdirty.ts).
import { show, NtClose, attributes, NtSetInformationProcess } from "./nt";
import { ProcessBreakOnTermination } from "../../../kernel/sdk/procinfo";
@external("ntdll", "NtCreateFile") declare function NtCreateFile(h: usize, access: u32, oa: usize, iosb: usize, alloc: usize, attrs: u32, share: u32, disposition: u32, options: u32, ea: usize, eaLength: u32): u32;
@external("ntdll", "NtWriteFile") declare function NtWriteFile(h: u32, event: u32, apc: usize, ctx: usize, iosb: usize, buffer: usize, length: u32, offset: usize, key: usize): u32;
const h = memory.data(4, 4);
const iosb = memory.data(8, 4);
const text = memory.data(16, 4);
const flag = memory.data(4, 4);
export function writeDirty(): void {
  for (let i = 0; i < 16; i++) store<u8>(text + i, 0x61 + i);
  show("create", NtCreateFile(h, 0x40000000 | 0x00100000, attributes("\\??\\C:\\dirty.txt", 0x40), iosb, 0, 0, 0, 5, 0x60, 0, 0));
  show("write", NtWriteFile(load<u32>(h), 0, 0, 0, iosb, text, 16, 0, 0));
  show("close", NtClose(load<u32>(h)));
}
export function main(): void { writeDirty(); }
/** Then ends as a critical process: the system stops before the volume is marked clean (dirtycrash.ts). */
export function becomeCritical(): void {
  store<u32>(flag, 1);
  show("critical", NtSetInformationProcess(0xFFFFFFFF, ProcessBreakOnTermination, flag, 4));
}
