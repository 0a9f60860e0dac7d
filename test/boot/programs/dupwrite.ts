// Handle access escalation through NtDuplicateObject: a file opened for
// reading only, duplicated asking FILE_WRITE_DATA without
// DUPLICATE_SAME_ACCESS, must not give a handle that writes (Windows:
// "a file handle created with the GENERIC_READ access right cannot be
// duplicated so that it has both the GENERIC_READ and GENERIC_WRITE access
// right", DuplicateHandle). The file's first bytes tell whether it was written.
import { show, NtClose, NtDuplicateObject, put, flush, unicode } from "./nt";
import { InitializeObjectAttributes, OBJ_CASE_INSENSITIVE } from "../../../kernel/sdk/ntdef";
@external("ntdll", "NtCreateFile") declare function NtCreateFile(h: usize, access: u32, oa: usize, iosb: usize, alloc: usize, attrs: u32, share: u32, disposition: u32, options: u32, ea: usize, eaLength: u32): u32;
@external("ntdll", "NtReadFile") declare function NtReadFile(h: u32, event: u32, apc: usize, ctx: usize, iosb: usize, buffer: usize, length: u32, offset: usize, key: usize): u32;
@external("ntdll", "NtWriteFile") declare function NtWriteFile(h: u32, event: u32, apc: usize, ctx: usize, iosb: usize, buffer: usize, length: u32, offset: usize, key: usize): u32;

const SYNCHRONIZE: u32 = 0x100000, GENERIC_READ: u32 = 0x80000000, GENERIC_WRITE: u32 = 0x40000000;
const FILE_READ_DATA: u32 = 1, FILE_WRITE_DATA: u32 = 2;
const h = memory.data(16, 4);
const iosb = memory.data(8, 4);
const oa = memory.data(24, 4);
const name = memory.data(8, 4);
const offset = memory.data(8, 8);
const buffer = memory.data(16, 4);

function create(slot: u32, access: u32, disposition: u32): u32 {
  unicode(name, "\\??\\C:\\dupwrite.txt");
  InitializeObjectAttributes(oa, name, OBJ_CASE_INSENSITIVE, 0, 0);
  return NtCreateFile(h + slot * 4, access | SYNCHRONIZE, oa, iosb, 0, 0, 7, disposition, 0x20 | 0x40, 0, 0);
}
function write(handle: u32, text: string): u32 {
  store<u64>(offset, 0);
  return NtWriteFile(handle, 0, 0, 0, iosb, changetype<usize>(text), text.length << 1, offset, 0);
}

export function main(): void {
  show("create", create(0, GENERIC_READ | GENERIC_WRITE, 5 /* FILE_OVERWRITE_IF */));
  show("write original", write(load<u32>(h), "original"));
  NtClose(load<u32>(h));
  show("open for read", create(0, GENERIC_READ, 1 /* FILE_OPEN */));
  const reader = load<u32>(h);
  show("write through the reader", write(reader, "attacker"));
  show("duplicate for write", NtDuplicateObject(0xFFFFFFFF, reader, 0xFFFFFFFF, h + 4, FILE_WRITE_DATA | SYNCHRONIZE, 0, 0));
  if (load<u32>(h, 4) != 0) show("write through the duplicate", write(load<u32>(h, 4), "attacker"));
  show("duplicate for less", NtDuplicateObject(0xFFFFFFFF, reader, 0xFFFFFFFF, h + 8, FILE_READ_DATA | SYNCHRONIZE, 0, 0));
  store<u64>(offset, 0);
  show("read", NtReadFile(load<u32>(h, 8), 0, 0, 0, iosb, buffer, 16, offset, 0));
  put("file starts with "); put(String.UTF16.decodeUnsafe(buffer, 16)); flush();
}
