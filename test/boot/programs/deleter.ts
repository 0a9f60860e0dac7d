// One delete, then exit: the power-cut test replays every prefix of the disk
// writes this makes.
import { put, putHex, flush, unicode } from "./nt";
import { InitializeObjectAttributes, OBJ_CASE_INSENSITIVE } from "../../../kernel/sdk/ntdef";

@external("ntdll", "NtDeleteFile") declare function NtDeleteFile(oa: usize): u32;

const oa = memory.data(24, 4);
const name = memory.data(8, 4);

export function main(): void {
  unicode(name, "\\??\\C:\\Data\\Old Name Of The File.txt");
  InitializeObjectAttributes(oa, name, OBJ_CASE_INSENSITIVE, 0, 0);
  put("delete "); putHex(NtDeleteFile(oa)); flush();
}
