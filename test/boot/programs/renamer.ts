// One rename in one directory, then exit: the power-cut test replays every
// prefix of the disk writes this makes.
import { NtClose, put, putHex, flush, unicode } from "./nt";

@external("ntdll", "NtOpenFile") declare function NtOpenFile(h: usize, access: u32, oa: usize, iosb: usize, share: u32, options: u32): u32;
@external("ntdll", "NtSetInformationFile") declare function NtSetInformationFile(h: u32, iosb: usize, info: usize, length: u32, cls: u32): u32;

const h = memory.data(4, 4);
const iosb = memory.data(8, 4);
const oa = memory.data(24, 4);
const name = memory.data(8, 4);
const info = memory.data(256, 4);

export function main(): void {
  unicode(name, "\\??\\C:\\Data\\Old Name Of The File.txt");
  store<u32>(oa, 24); store<u32>(oa, 0, 4); store<u32>(oa, <u32>name, 8); store<u32>(oa, 0x40, 12); store<u32>(oa, 0, 16); store<u32>(oa, 0, 20);
  put("open "); putHex(NtOpenFile(h, 0x10000 | 0x100000, oa, iosb, 7, 0x20)); flush();
  const to = "New Name Of The File.txt";
  store<u32>(info, 0); store<u32>(info, 0, 4); store<u32>(info, to.length << 1, 8);
  memory.copy(info + 12, changetype<usize>(to), to.length << 1);
  put("rename "); putHex(NtSetInformationFile(load<u32>(h), iosb, info, 12 + (to.length << 1), 10)); flush();
  NtClose(load<u32>(h));
}
