// Files from ring 3: the I/O manager's services on the FAT volume, through
// \??\C: and \SystemRoot. Every line is "what status [values]"; the boot test
// compares them, then reads the disk the guest left with our FAT reader and
// with fsck.fat.
import { show, NtClose, put, putHex, putDec, putUnicode, flush, unicode } from "./nt";
import { IO_STATUS_BLOCK, InitializeObjectAttributes, OBJ_CASE_INSENSITIVE, UNICODE_STRING } from "../../../kernel/sdk/ntdef";
import {
  FILE_BASIC_INFORMATION, FILE_BOTH_DIR_INFORMATION, FILE_END_OF_FILE_INFORMATION, FILE_FS_ATTRIBUTE_INFORMATION,
  FILE_FS_SIZE_INFORMATION, FILE_NAME_INFORMATION, FILE_NETWORK_OPEN_INFORMATION, FILE_POSITION_INFORMATION,
  FILE_RENAME_INFORMATION, FILE_STANDARD_INFORMATION, SIZEOF_FILE_BASIC_INFORMATION, SIZEOF_FILE_FS_SIZE_INFORMATION,
  SIZEOF_FILE_STANDARD_INFORMATION, FileBasicInformation, FileBothDirectoryInformation, FileEndOfFileInformation,
  FileFsAttributeInformation, FileFsSizeInformation, FileNameInformation, FilePositionInformation, FileRenameInformation,
  FileStandardInformation,
} from "../../../kernel/sdk/fileinfo";
/** A FILE_INFORMATION_CLASS number NT does not define: the "bad class" line. */
const NO_SUCH_FILE_CLASS: u32 = 99;

@external("ntdll", "NtCreateFile") declare function NtCreateFile(h: usize, access: u32, oa: usize, iosb: usize, alloc: usize, attrs: u32, share: u32, disposition: u32, options: u32, ea: usize, eaLength: u32): u32;
@external("ntdll", "NtOpenFile") declare function NtOpenFile(h: usize, access: u32, oa: usize, iosb: usize, share: u32, options: u32): u32;
@external("ntdll", "NtReadFile") declare function NtReadFile(h: u32, event: u32, apc: usize, ctx: usize, iosb: usize, buffer: usize, length: u32, offset: usize, key: usize): u32;
@external("ntdll", "NtWriteFile") declare function NtWriteFile(h: u32, event: u32, apc: usize, ctx: usize, iosb: usize, buffer: usize, length: u32, offset: usize, key: usize): u32;
@external("ntdll", "NtQueryInformationFile") declare function NtQueryInformationFile(h: u32, iosb: usize, info: usize, length: u32, cls: u32): u32;
@external("ntdll", "NtSetInformationFile") declare function NtSetInformationFile(h: u32, iosb: usize, info: usize, length: u32, cls: u32): u32;
@external("ntdll", "NtQueryDirectoryFile") declare function NtQueryDirectoryFile(h: u32, event: u32, apc: usize, ctx: usize, iosb: usize, info: usize, length: u32, cls: u32, single: u32, name: usize, restart: u32): u32;
@external("ntdll", "NtQueryVolumeInformationFile") declare function NtQueryVolumeInformationFile(h: u32, iosb: usize, info: usize, length: u32, cls: u32): u32;
@external("ntdll", "NtQueryAttributesFile") declare function NtQueryAttributesFile(oa: usize, info: usize): u32;
@external("ntdll", "NtQueryFullAttributesFile") declare function NtQueryFullAttributesFile(oa: usize, info: usize): u32;
@external("ntdll", "NtFlushBuffersFile") declare function NtFlushBuffersFile(h: u32, iosb: usize): u32;
@external("ntdll", "NtDeleteFile") declare function NtDeleteFile(oa: usize): u32;

const SYNCHRONIZE: u32 = 0x100000, DELETE: u32 = 0x10000;
const GENERIC_READ: u32 = 0x80000000, GENERIC_WRITE: u32 = 0x40000000;
const FILE_LIST_DIRECTORY: u32 = 1;
const SHARE_ALL: u32 = 7;
const FILE_SUPERSEDE: u32 = 0, FILE_OPEN: u32 = 1, FILE_CREATE: u32 = 2, FILE_OPEN_IF: u32 = 3, FILE_OVERWRITE_IF: u32 = 5;
const DIRECTORY: u32 = 1, SYNC: u32 = 0x20, NON_DIRECTORY: u32 = 0x40;

const h = memory.data(64, 4);
const iosb = memory.data(8, 4);
const oa = memory.data(24, 4);
const name = memory.data(8, 4);
const buffer = memory.data(8192, 8);
const data = memory.data(8192, 8);
const offset = memory.data(8, 8);
const info = memory.data(1024, 8);
const pattern = memory.data(8, 4);
const standard = changetype<FILE_STANDARD_INFORMATION>(info);
const basic = changetype<FILE_BASIC_INFORMATION>(info);

function at(path: string): usize {
  unicode(name, path);
  InitializeObjectAttributes(oa, name, OBJ_CASE_INSENSITIVE, 0, 0);
  return oa;
}
const text = memory.data(8, 4);
/** Appends `bytes` of UTF-16 at `at` to the line. */
function putText(at: usize, bytes: u32): void {
  const s = changetype<UNICODE_STRING>(text);
  s.Length = <u16>bytes; s.MaximumLength = <u16>bytes; s.Buffer = at;
  putUnicode(text);
}
function showInfo(what: string, status: u32): void { put(what); put(" "); putHex(status); put(" info "); putDec(changetype<IO_STATUS_BLOCK>(iosb).Information); flush(); }

function create(slot: u32, path: string, access: u32, disposition: u32, options: u32, share: u32, attributes: u32): u32 {
  return NtCreateFile(h + slot * 4, access | SYNCHRONIZE, at(path), iosb, 0, attributes, share, disposition, options | SYNC, 0, 0);
}
@inline function handle(slot: u32): u32 { return load<u32>(h + slot * 4); }

function listDirectory(slot: u32, mask: string): void {
  let restart: u32 = 1;
  let usePattern = mask.length != 0;
  while (true) {
    const status = NtQueryDirectoryFile(handle(slot), 0, 0, 0, iosb, info, 1024, FileBothDirectoryInformation, 0,
                                        usePattern ? unicode(pattern, mask) : 0, restart);
    restart = 0; usePattern = false;
    if (status != 0) { show("list end", status); return; }
    let e: usize = info;
    while (true) {
      put("entry ");
      const entry = changetype<FILE_BOTH_DIR_INFORMATION>(e);
      putText(e + offsetof<FILE_BOTH_DIR_INFORMATION>("FileName"), entry.FileNameLength);
      put(" size "); putDec(<u32>entry.EndOfFile); put(" attributes "); putHex(entry.FileAttributes);
      flush();
      const next = entry.NextEntryOffset;
      if (next == 0) break;
      e += next;
    }
  }
}

function rename(slot: u32, to: string, replace: u32): u32 {
  const r = changetype<FILE_RENAME_INFORMATION>(info);
  r.ReplaceIfExists = <u8>replace; r.RootDirectory = 0; r.FileNameLength = to.length << 1;
  const name = offsetof<FILE_RENAME_INFORMATION>("FileName");
  memory.copy(info + name, changetype<usize>(to), to.length << 1);
  return NtSetInformationFile(handle(slot), iosb, info, <u32>name + (to.length << 1), FileRenameInformation);
}

export function main(): void {
  // Directories and files, with the create's result in Information.
  showInfo("mkdir", create(0, "\\??\\C:\\Test", FILE_LIST_DIRECTORY, FILE_CREATE, DIRECTORY, SHARE_ALL, 0));
  showInfo("mkdir again", create(1, "\\??\\C:\\Test", FILE_LIST_DIRECTORY, FILE_CREATE, DIRECTORY, SHARE_ALL, 0));
  showInfo("create", create(1, "\\??\\C:\\Test\\Hello World.txt", GENERIC_READ | GENERIC_WRITE, FILE_CREATE, NON_DIRECTORY, SHARE_ALL, 0));
  for (let i: u32 = 0; i < 5000; i++) store<u8>(data + i, <u8>(i * 7 + 3));
  showInfo("write", NtWriteFile(handle(1), 0, 0, 0, iosb, data, 5000, 0, 0));
  store<u64>(offset, 0);
  showInfo("read", NtReadFile(handle(1), 0, 0, 0, iosb, buffer, 8192, offset, 0));
  show("same bytes", memory.compare(buffer, data, 5000) == 0 ? 1 : 0);
  showInfo("read at the end", NtReadFile(handle(1), 0, 0, 0, iosb, buffer, 100, 0, 0));
  store<u64>(offset, 4990);
  showInfo("read across the end", NtReadFile(handle(1), 0, 0, 0, iosb, buffer, 100, offset, 0));
  // A write past the end: the gap reads as zeros.
  store<u64>(offset, 9000);
  showInfo("write past the end", NtWriteFile(handle(1), 0, 0, 0, iosb, data, 10, offset, 0));
  store<u64>(offset, 5000);
  NtReadFile(handle(1), 0, 0, 0, iosb, buffer, 4000, offset, 0);
  let zeros = true;
  for (let i: u32 = 0; i < 4000; i++) if (load<u8>(buffer + i) != 0) zeros = false;
  show("gap is zeros", zeros ? 1 : 0);
  show("standard", NtQueryInformationFile(handle(1), iosb, info, SIZEOF_FILE_STANDARD_INFORMATION, FileStandardInformation));
  put("size "); putDec(<u32>standard.EndOfFile); put(" allocation "); putDec(<u32>standard.AllocationSize); put(" directory "); putDec(standard.Directory); flush();
  show("position", NtQueryInformationFile(handle(1), iosb, info, offsetof<FILE_POSITION_INFORMATION>(), FilePositionInformation));
  put("at "); putDec(<u32>changetype<FILE_POSITION_INFORMATION>(info).CurrentByteOffset); flush();
  show("name", NtQueryInformationFile(handle(1), iosb, info, 512, FileNameInformation));
  put("name "); putText(info + offsetof<FILE_NAME_INFORMATION>("FileName"), changetype<FILE_NAME_INFORMATION>(info).FileNameLength); flush();
  show("name, small buffer", NtQueryInformationFile(handle(1), iosb, info, 12, FileNameInformation));
  show("bad class", NtQueryInformationFile(handle(1), iosb, info, 512, NO_SUCH_FILE_CLASS));
  show("short buffer", NtQueryInformationFile(handle(1), iosb, info, 8, FileStandardInformation));
  // Truncate with end of file.
  changetype<FILE_END_OF_FILE_INFORMATION>(info).EndOfFile = 100;
  show("set end of file", NtSetInformationFile(handle(1), iosb, info, offsetof<FILE_END_OF_FILE_INFORMATION>(), FileEndOfFileInformation));
  NtQueryInformationFile(handle(1), iosb, info, SIZEOF_FILE_STANDARD_INFORMATION, FileStandardInformation);
  put("size now "); putDec(<u32>standard.EndOfFile); flush();
  show("close", NtClose(handle(1)));
  // Dispositions on an existing file.
  showInfo("create existing", create(1, "\\??\\c:\\test\\HELLO WORLD.TXT", GENERIC_READ, FILE_CREATE, NON_DIRECTORY, SHARE_ALL, 0));
  showInfo("open_if existing", create(1, "\\??\\c:\\test\\HELLO WORLD.TXT", GENERIC_READ, FILE_OPEN_IF, NON_DIRECTORY, SHARE_ALL, 0));
  NtClose(handle(1));
  showInfo("overwrite_if", create(1, "\\??\\C:\\Test\\Hello World.txt", GENERIC_WRITE, FILE_OVERWRITE_IF, NON_DIRECTORY, SHARE_ALL, 0));
  NtQueryInformationFile(handle(1), iosb, info, SIZEOF_FILE_STANDARD_INFORMATION, FileStandardInformation);
  put("size after overwrite "); putDec(<u32>standard.EndOfFile); flush();
  NtWriteFile(handle(1), 0, 0, 0, iosb, data, 3000, 0, 0);
  NtClose(handle(1));
  showInfo("supersede", create(1, "\\??\\C:\\Test\\super.txt", GENERIC_WRITE, FILE_SUPERSEDE, NON_DIRECTORY, SHARE_ALL, 0));
  NtClose(handle(1));
  show("missing file", create(1, "\\??\\C:\\Test\\nope.txt", GENERIC_READ, FILE_OPEN, NON_DIRECTORY, SHARE_ALL, 0));
  show("missing path", create(1, "\\??\\C:\\Nope\\nope.txt", GENERIC_READ, FILE_OPEN, NON_DIRECTORY, SHARE_ALL, 0));
  show("bad name", create(1, "\\??\\C:\\Test\\a*b", GENERIC_READ, FILE_CREATE, NON_DIRECTORY, SHARE_ALL, 0));
  show("directory as file", create(1, "\\??\\C:\\Test", GENERIC_READ, FILE_OPEN, NON_DIRECTORY, SHARE_ALL, 0));
  show("file as directory", create(1, "\\??\\C:\\Test\\super.txt", FILE_LIST_DIRECTORY, FILE_OPEN, DIRECTORY, SHARE_ALL, 0));
  // Share access.
  create(1, "\\??\\C:\\Test\\super.txt", GENERIC_WRITE, FILE_OPEN, NON_DIRECTORY, 0, 0);
  show("sharing violation", create(2, "\\??\\C:\\Test\\super.txt", GENERIC_READ, FILE_OPEN, NON_DIRECTORY, SHARE_ALL, 0));
  NtClose(handle(1));
  show("shared again", create(2, "\\??\\C:\\Test\\super.txt", GENERIC_READ, FILE_OPEN, NON_DIRECTORY, SHARE_ALL, 0));
  NtClose(handle(2));
  // Renames: in the directory, to another directory (absolute), onto a name with and without replace.
  create(1, "\\??\\C:\\Test\\Hello World.txt", DELETE | GENERIC_READ, FILE_OPEN, NON_DIRECTORY, SHARE_ALL, 0);
  show("rename here", rename(1, "Renamed File.txt", 0));
  show("rename onto existing", rename(1, "super.txt", 0));
  show("rename elsewhere", rename(1, "\\??\\C:\\Moved.txt", 0));
  show("name after", NtQueryInformationFile(handle(1), iosb, info, 512, FileNameInformation));
  put("name "); putText(info + offsetof<FILE_NAME_INFORMATION>("FileName"), changetype<FILE_NAME_INFORMATION>(info).FileNameLength); flush();
  NtClose(handle(1));
  create(1, "\\??\\C:\\Test\\super.txt", DELETE, FILE_OPEN, NON_DIRECTORY, SHARE_ALL, 0);
  show("rename with replace", rename(1, "\\??\\C:\\Moved.txt", 1));
  NtClose(handle(1));
  show("old name gone", create(1, "\\??\\C:\\Test\\super.txt", GENERIC_READ, FILE_OPEN, NON_DIRECTORY, SHARE_ALL, 0));
  // Listing.
  create(3, "\\??\\C:\\Test\\Second File With A Long Name.bin", GENERIC_WRITE, FILE_CREATE, NON_DIRECTORY, SHARE_ALL, 0);
  NtWriteFile(handle(3), 0, 0, 0, iosb, data, 1234, 0, 0);
  NtClose(handle(3));
  create(3, "\\??\\C:\\Test\\short.txt", GENERIC_WRITE, FILE_CREATE, NON_DIRECTORY, SHARE_ALL, 0);
  NtClose(handle(3));
  listDirectory(0, "");
  listDirectory(0, "*.bin");
  // Read-only files.
  create(3, "\\??\\C:\\Test\\short.txt", 0x100 /* FILE_WRITE_ATTRIBUTES */, FILE_OPEN, NON_DIRECTORY, SHARE_ALL, 0);
  memory.fill(info, 0, SIZEOF_FILE_BASIC_INFORMATION); basic.FileAttributes = 1; // FILE_ATTRIBUTE_READONLY
  show("set read-only", NtSetInformationFile(handle(3), iosb, info, SIZEOF_FILE_BASIC_INFORMATION, FileBasicInformation));
  NtClose(handle(3));
  show("write a read-only file", create(3, "\\??\\C:\\Test\\short.txt", GENERIC_WRITE, FILE_OPEN, NON_DIRECTORY, SHARE_ALL, 0));
  show("delete a read-only file", NtDeleteFile(at("\\??\\C:\\Test\\short.txt")));
  show("attributes", NtQueryAttributesFile(at("\\??\\C:\\Test\\short.txt"), info));
  put("attributes "); putHex(basic.FileAttributes); flush();
  // Deleting.
  show("delete a full directory", NtDeleteFile(at("\\??\\C:\\Test")));
  show("delete a file", NtDeleteFile(at("\\??\\C:\\Test\\Second File With A Long Name.bin")));
  show("gone", NtQueryAttributesFile(at("\\??\\C:\\Test\\Second File With A Long Name.bin"), info));
  create(3, "\\??\\C:\\Test\\temp.txt", DELETE | GENERIC_WRITE, FILE_CREATE, NON_DIRECTORY | 0x1000 /* DELETE_ON_CLOSE */, SHARE_ALL, 0);
  show("delete on close: there", NtQueryAttributesFile(at("\\??\\C:\\Test\\temp.txt"), info));
  NtClose(handle(3));
  show("delete on close: gone", NtQueryAttributesFile(at("\\??\\C:\\Test\\temp.txt"), info));
  // The system files, through \SystemRoot.
  show("hive attributes", NtQueryFullAttributesFile(at("\\SystemRoot\\System32\\config\\SYSTEM"), info));
  put("hive size "); putDec(<u32>changetype<FILE_NETWORK_OPEN_INFORMATION>(info).EndOfFile); flush();
  show("open hive", create(4, "\\SystemRoot\\System32\\config\\SYSTEM", GENERIC_READ, FILE_OPEN, NON_DIRECTORY, SHARE_ALL, 0));
  store<u64>(offset, 0);
  NtReadFile(handle(4), 0, 0, 0, iosb, buffer, 4, offset, 0);
  put("hive magic "); putHex(load<u32>(buffer)); flush();
  show("volume size", NtQueryVolumeInformationFile(handle(4), iosb, info, SIZEOF_FILE_FS_SIZE_INFORMATION, FileFsSizeInformation));
  const size = changetype<FILE_FS_SIZE_INFORMATION>(info);
  put("clusters "); putDec(<u32>size.TotalAllocationUnits); put(" free "); putDec(<u32>size.AvailableAllocationUnits);
  put(" sectors per cluster "); putDec(size.SectorsPerAllocationUnit); flush();
  show("volume attributes", NtQueryVolumeInformationFile(handle(4), iosb, info, 64, FileFsAttributeInformation));
  const fs = changetype<FILE_FS_ATTRIBUTE_INFORMATION>(info);
  put("file system "); putText(info + offsetof<FILE_FS_ATTRIBUTE_INFORMATION>("FileSystemName"), fs.FileSystemNameLength); flush();
  // Hostile input.
  show("kernel buffer", NtReadFile(handle(4), 0, 0, 0, iosb, 0x80100000, 16, offset, 0));
  show("bad handle", NtReadFile(0x1234, 0, 0, 0, iosb, buffer, 16, offset, 0));
  show("write without access", NtWriteFile(handle(4), 0, 0, 0, iosb, data, 16, offset, 0));
  show("kernel name", NtCreateFile(h, GENERIC_READ, 0x80100000, iosb, 0, 0, 0, FILE_OPEN, 0, 0, 0));
  NtClose(handle(4));
  // \Device\Null.
  show("open null", NtOpenFile(h + 20, GENERIC_READ | GENERIC_WRITE | SYNCHRONIZE, at("\\Device\\Null"), iosb, SHARE_ALL, SYNC));
  showInfo("write null", NtWriteFile(handle(5), 0, 0, 0, iosb, data, 77, 0, 0));
  show("read null", NtReadFile(handle(5), 0, 0, 0, iosb, buffer, 77, 0, 0));
  NtClose(handle(5));
  // A file the host checks after the boot, flushed.
  create(6, "\\??\\C:\\Result with a long name.bin", GENERIC_WRITE, FILE_CREATE, NON_DIRECTORY, SHARE_ALL, 0);
  for (let i: u32 = 0; i < 8192; i++) store<u8>(data + i, <u8>(i ^ (i >> 8)));
  NtWriteFile(handle(6), 0, 0, 0, iosb, data, 8192, 0, 0);
  NtWriteFile(handle(6), 0, 0, 0, iosb, data, 1808, 0, 0);
  show("flush", NtFlushBuffersFile(handle(6), iosb));
  NtClose(handle(6));
  NtClose(handle(0));
  show("done", 0);
}
