// One delete, then exit: the power-cut test replays every prefix of the disk
// writes this makes.
import { put, putHex, flush, unicode } from "./nt";

@external("ntdll", "NtDeleteFile") declare function NtDeleteFile(oa: usize): u32;

const oa = memory.data(24, 4);
const name = memory.data(8, 4);

export function main(): void {
  unicode(name, "\\??\\C:\\Data\\Old Name Of The File.txt");
  store<u32>(oa, 24); store<u32>(oa, 0, 4); store<u32>(oa, <u32>name, 8); store<u32>(oa, 0x40, 12); store<u32>(oa, 0, 16); store<u32>(oa, 0, 20);
  put("delete "); putHex(NtDeleteFile(oa)); flush();
}
