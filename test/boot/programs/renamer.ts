// One rename in one directory, then exit: the power-cut test replays every
// prefix of the disk writes this makes.
import { NtClose, put, putHex, flush, unicode } from "./nt";
import { InitializeObjectAttributes, OBJ_CASE_INSENSITIVE } from "../../../kernel/sdk/ntdef";
import { FILE_RENAME_INFORMATION, FileRenameInformation } from "../../../kernel/sdk/fileinfo";

@external("ntdll", "NtOpenFile") declare function NtOpenFile(h: usize, access: u32, oa: usize, iosb: usize, share: u32, options: u32): u32;
@external("ntdll", "NtSetInformationFile") declare function NtSetInformationFile(h: u32, iosb: usize, info: usize, length: u32, cls: u32): u32;

const h = memory.data(4, 4);
const iosb = memory.data(8, 4);
const oa = memory.data(24, 4);
const name = memory.data(8, 4);
const info = memory.data(256, 4);

export function main(): void {
  unicode(name, "\\??\\C:\\Data\\Old Name Of The File.txt");
  InitializeObjectAttributes(oa, name, OBJ_CASE_INSENSITIVE, 0, 0);
  put("open "); putHex(NtOpenFile(h, 0x10000 | 0x100000, oa, iosb, 7, 0x20)); flush();
  const to = "New Name Of The File.txt";
  const rename = changetype<FILE_RENAME_INFORMATION>(info);
  rename.ReplaceIfExists = 0; rename.RootDirectory = 0; rename.FileNameLength = to.length << 1;
  const at = offsetof<FILE_RENAME_INFORMATION>("FileName");
  memory.copy(info + at, changetype<usize>(to), to.length << 1);
  put("rename "); putHex(NtSetInformationFile(load<u32>(h), iosb, info, <u32>at + (to.length << 1), FileRenameInformation)); flush();
  NtClose(load<u32>(h));
}
