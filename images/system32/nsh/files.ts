// nsh's file commands: cd, dir, type, copy, ren, del, mkdir, rmdir.
//
// Paths are DOS paths relative to the current directory (ntdll's
// RtlSetCurrentDirectory_U / RtlGetFullPathName_U keep it in the process
// parameters); each becomes an NT path (`\??\C:\...`) through
// RtlDosPathNameToNtPathName_U_WithStatus and is opened with NtOpenFile /
// NtCreateFile. Listing is NtQueryDirectoryFile (FileDirectoryInformation,
// the last part of the path as its pattern when it has * or ?); renaming is
// FileRenameInformation (a bare new name stays in the same directory);
// deleting is FileDispositionInformation on an open with DELETE access.
// Each command returns 0 or the failing NTSTATUS, already printed.

import { FILE_RENAME_INFORMATION, FileDirectoryInformation, FileDispositionInformation, FileRenameInformation } from "../../../kernel/sdk/fileinfo";
import { IO_STATUS_BLOCK, InitializeObjectAttributes, OBJECT_ATTRIBUTES, OBJ_CASE_INSENSITIVE } from "../../../kernel/sdk/ntdef";
import {
  NtOpenFile, NtCreateFile, NtReadFile, NtWriteFile, NtClose, RtlTimeToTimeFields,
  GENERIC_READ, GENERIC_WRITE, SYNCHRONIZE, FILE_SHARE_READ, FILE_SHARE_WRITE, FILE_SYNCHRONOUS_IO_NONALERT,
  FILE_NON_DIRECTORY_FILE, FILE_ATTRIBUTE_NORMAL, STATUS_SUCCESS,
} from "../native/nt";
import { Decimal, EqualNoCase, Slot, Unicode } from "../native/util";
import {
  NtQueryDirectoryFile, NtSetInformationFile, RtlGetCurrentDirectory_U, RtlSetCurrentDirectory_U, RtlGetFullPathName_U,
  RtlDosPathNameToNtPathName_U_WithStatus, RtlFreeUnicodeString, DELETE, FILE_LIST_DIRECTORY, FILE_READ_DATA, FILE_TRAVERSE,
  FILE_OPEN, FILE_CREATE, FILE_OVERWRITE_IF, FILE_DIRECTORY_FILE, FILE_SHARE_DELETE, FILE_ATTRIBUTE_DIRECTORY, FDI_NEXT,
  FDI_LAST_WRITE_TIME, FDI_END_OF_FILE, FDI_ATTRIBUTES, FDI_NAME_LENGTH, FDI_NAME,
} from "./ntapi";
import { ShStatus, ShWrite, ShWriteLine } from "./io";
import {
  STATUS_END_OF_FILE, STATUS_NO_MORE_FILES, STATUS_NOT_A_DIRECTORY, STATUS_OBJECT_NAME_INVALID,
} from "../../../kernel/sdk/ntstatus";

const PATH_CHARS: u32 = 520;
const pathBuffer = memory.data(<i32>PATH_CHARS * 2 + 4, 4);
const iosb = memory.data(8, 4);
const CHUNK: u32 = 4096;
const chunk = memory.data(<i32>CHUNK, 8);
const SHARE_ALL: u32 = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;

// ---- paths ----

/** The current directory as NT's cmd shows it (`C:\Windows\System32`, `C:\`). */
export function CurrentDirectory(): string {
  const bytes = RtlGetCurrentDirectory_U(PATH_CHARS * 2, pathBuffer);
  if (bytes == 0 || bytes >= PATH_CHARS * 2) return "?";
  return String.UTF16.decodeUnsafe(pathBuffer, bytes);
}

/** The shell starts in `path` (C:\ when that fails). */
export function SetStartDirectory(path: string): void {
  if (path.startsWith("%") || RtlSetCurrentDirectory_U(Unicode(path)) != STATUS_SUCCESS) RtlSetCurrentDirectory_U(Unicode("C:\\"));
}

/** The full DOS path of `path` ("" when it has none). */
export function FullPath(path: string): string {
  const bytes = RtlGetFullPathName_U(load<usize>(Unicode(path), 4), PATH_CHARS * 2, pathBuffer, 0);
  if (bytes == 0 || bytes >= PATH_CHARS * 2) return "";
  return String.UTF16.decodeUnsafe(pathBuffer, bytes);
}

/** An NT path, or the status of the conversion. */
class NtName {
  constructor(public path: string, public status: u32) {}
}

function ToNt(path: string): NtName {
  if (path.length == 0) return new NtName("", STATUS_OBJECT_NAME_INVALID);
  const nt = Slot();
  const status = RtlDosPathNameToNtPathName_U_WithStatus(load<usize>(Unicode(path), 4), nt, 0, 0);
  if (status != STATUS_SUCCESS) return new NtName("", status);
  const name = String.UTF16.decodeUnsafe(load<usize>(nt, 4), <usize>load<u16>(nt));
  RtlFreeUnicodeString(nt);
  return new NtName(name, STATUS_SUCCESS);
}

/** An open handle, or the status the open failed with. */
class Opened {
  constructor(public handle: u32, public status: u32) {}
}

/** NtCreateFile on the DOS path `path`. */
function Open(path: string, access: u32, disposition: u32, options: u32): Opened {
  const nt = ToNt(path);
  if (nt.status != STATUS_SUCCESS) return new Opened(0, nt.status);
  const h = Slot();
  const status = NtCreateFile(h, access | SYNCHRONIZE, AttributesOf(nt.path), iosb, 0, FILE_ATTRIBUTE_NORMAL, SHARE_ALL,
    disposition, options | FILE_SYNCHRONOUS_IO_NONALERT, 0, 0);
  return new Opened(status == STATUS_SUCCESS ? load<u32>(h) : 0, status);
}

/** OBJECT_ATTRIBUTES for an NT path (case-insensitive). */
function AttributesOf(ntPath: string): usize {
  return InitializeObjectAttributes(heap.alloc(offsetof<OBJECT_ATTRIBUTES>()), Unicode(ntPath), OBJ_CASE_INSENSITIVE, 0, 0);
}

/** The last part of a path (after its last \ or /, or a drive's colon). */
function LastPart(path: string): string {
  let i = path.length;
  while (i > 0) {
    const c = path.charCodeAt(i - 1);
    if (c == 0x5C || c == 0x2F || c == 0x3A) break;
    i--;
  }
  return path.substring(i, path.length);
}

function Usage(text: string): i32 { ShWriteLine("usage: " + text); return 0; }

// ---- cd ----

export function CmdCd(args: Array<string>): i32 {
  let at = 0;
  if (args.length > at && EqualNoCase(args[at], "/d")) at++;
  if (args.length <= at) { ShWriteLine(CurrentDirectory()); return 0; }
  const status = RtlSetCurrentDirectory_U(Unicode(args[at]));
  if (status != STATUS_SUCCESS) ShStatus("cd " + args[at], <i32>status);
  return <i32>status;
}

// ---- dir ----

/** Right-aligned in `width` characters. */
function Pad(s: string, width: i32): string {
  let out = s;
  while (out.length < width) out = " " + out;
  return out;
}
function Two(n: u32): string { return n < 10 ? "0" + Decimal(n) : Decimal(n); }

const fields = memory.data(16, 4);
/** A FILETIME as `YYYY-MM-DD  HH:MM`. */
function When(time: usize): string {
  RtlTimeToTimeFields(time, fields);
  return Decimal(load<u16>(fields)) + "-" + Two(load<u16>(fields, 2)) + "-" + Two(load<u16>(fields, 4)) + "  "
    + Two(load<u16>(fields, 6)) + ":" + Two(load<u16>(fields, 8));
}

export function CmdDir(args: Array<string>): i32 {
  let path = args.length != 0 ? args[0] : ".";
  let pattern = "";
  const last = LastPart(path);
  if (last.indexOf("*") >= 0 || last.indexOf("?") >= 0) {
    pattern = last;
    path = path.substring(0, path.length - last.length);
    if (path.length == 0) path = ".";
  }
  let opened = Open(path, FILE_LIST_DIRECTORY, FILE_OPEN, FILE_DIRECTORY_FILE);
  if (opened.status == STATUS_NOT_A_DIRECTORY && pattern.length == 0) {
    // A file: its directory, with its name as the pattern.
    pattern = LastPart(path);
    path = path.substring(0, path.length - pattern.length);
    if (path.length == 0) path = ".";
    opened = Open(path, FILE_LIST_DIRECTORY, FILE_OPEN, FILE_DIRECTORY_FILE);
  }
  if (opened.status != STATUS_SUCCESS) { ShStatus("dir " + (args.length != 0 ? args[0] : "."), <i32>opened.status); return <i32>opened.status; }
  ShWriteLine(" Directory of " + FullPath(path));
  ShWriteLine("");
  let files = 0, directories = 0;
  let bytes: u64 = 0;
  let status: u32 = STATUS_SUCCESS;
  const mask = pattern.length != 0 ? Unicode(pattern) : 0;
  for (let first = true; ; first = false) {
    status = NtQueryDirectoryFile(opened.handle, 0, 0, 0, iosb, chunk, CHUNK, FileDirectoryInformation, false, mask, first);
    if (status != STATUS_SUCCESS) break;
    let entry = chunk;
    while (true) {
      const name = String.UTF16.decodeUnsafe(entry + FDI_NAME, load<u32>(entry + FDI_NAME_LENGTH));
      const isDirectory = (load<u32>(entry + FDI_ATTRIBUTES) & FILE_ATTRIBUTE_DIRECTORY) != 0;
      const size = load<u64>(entry + FDI_END_OF_FILE);
      ShWriteLine(When(entry + FDI_LAST_WRITE_TIME) + "    " + (isDirectory ? "<DIR>         " : Pad(Decimal(size), 14)) + " " + name);
      if (isDirectory) directories++; else { files++; bytes += size; }
      const next = load<u32>(entry + FDI_NEXT);
      if (next == 0) break;
      entry += next;
    }
  }
  NtClose(opened.handle);
  if (status != STATUS_NO_MORE_FILES) { ShStatus("dir", <i32>status); return <i32>status; }
  ShWriteLine(Pad(Decimal(files), 16) + " File(s) " + Pad(Decimal(bytes), 14) + " bytes");
  ShWriteLine(Pad(Decimal(directories), 16) + " Dir(s)");
  return 0;
}

// ---- type ----

export function CmdType(args: Array<string>): i32 {
  if (args.length == 0) return Usage("type FILE");
  for (let i = 0; i < args.length; i++) {
    const opened = Open(args[i], GENERIC_READ, FILE_OPEN, FILE_NON_DIRECTORY_FILE);
    if (opened.status != STATUS_SUCCESS) { ShStatus("type " + args[i], <i32>opened.status); return <i32>opened.status; }
    let status: u32 = STATUS_SUCCESS;
    let lastByte: u8 = 0x0A;
    while (true) {
      status = NtReadFile(opened.handle, 0, 0, 0, iosb, chunk, CHUNK, 0, 0);
      if (status != STATUS_SUCCESS) break;
      const got = changetype<IO_STATUS_BLOCK>(iosb).Information;
      if (got == 0) break;
      lastByte = load<u8>(chunk + got - 1);
      ShWrite(Latin1(chunk, got));
    }
    NtClose(opened.handle);
    if (lastByte != 0x0A) ShWriteLine("");
    if (status != STATUS_SUCCESS && status != STATUS_END_OF_FILE) { ShStatus("type " + args[i], <i32>status); return <i32>status; }
  }
  return 0;
}

/** Bytes as characters 0-255 (NUL shown as a space). */
function Latin1(p: usize, n: u32): string {
  const s = changetype<string>(__new(<usize>n << 1, idof<string>()));
  for (let i: u32 = 0; i < n; i++) {
    const b = load<u8>(p + i);
    store<u16>(changetype<usize>(s) + (i << 1), b == 0 ? 0x20 : b);
  }
  return s;
}

// ---- copy ----

export function CmdCopy(args: Array<string>): i32 {
  if (args.length != 2) return Usage("copy FROM TO");
  let to = args[1];
  // A directory as the target: the file keeps its name there.
  const directory = Open(to, FILE_TRAVERSE, FILE_OPEN, FILE_DIRECTORY_FILE);
  if (directory.status == STATUS_SUCCESS) {
    NtClose(directory.handle);
    to = (to.endsWith("\\", to.length) ? to : to + "\\") + LastPart(args[0]);
  }
  if (EqualNoCase(FullPath(args[0]), FullPath(to))) { ShWriteLine("The file cannot be copied onto itself."); return 0; }
  const from = Open(args[0], GENERIC_READ, FILE_OPEN, FILE_NON_DIRECTORY_FILE);
  if (from.status != STATUS_SUCCESS) { ShStatus("copy " + args[0], <i32>from.status); return <i32>from.status; }
  const target = Open(to, GENERIC_WRITE, FILE_OVERWRITE_IF, FILE_NON_DIRECTORY_FILE);
  if (target.status != STATUS_SUCCESS) { NtClose(from.handle); ShStatus("copy " + to, <i32>target.status); return <i32>target.status; }
  let status: u32 = STATUS_SUCCESS;
  let total: u64 = 0;
  while (true) {
    status = NtReadFile(from.handle, 0, 0, 0, iosb, chunk, CHUNK, 0, 0);
    if (status != STATUS_SUCCESS) break;
    const got = changetype<IO_STATUS_BLOCK>(iosb).Information;
    if (got == 0) break;
    status = NtWriteFile(target.handle, 0, 0, 0, iosb, chunk, got, 0, 0);
    if (status != STATUS_SUCCESS) break;
    total += got;
  }
  NtClose(from.handle);
  NtClose(target.handle);
  if (status != STATUS_SUCCESS && status != STATUS_END_OF_FILE) { ShStatus("copy " + args[0] + " " + to, <i32>status); return <i32>status; }
  ShWriteLine("        1 file(s) copied (" + Decimal(total) + " bytes).");
  return 0;
}

// ---- ren, del, rmdir ----

export function CmdRen(args: Array<string>): i32 {
  if (args.length != 2) return Usage("ren FROM NAME");
  const opened = Open(args[0], DELETE, FILE_OPEN, 0);
  if (opened.status != STATUS_SUCCESS) { ShStatus("ren " + args[0], <i32>opened.status); return <i32>opened.status; }
  // A bare name stays in the file's directory; a path goes through the object manager.
  let name = args[1];
  if (name.indexOf("\\") >= 0 || name.indexOf(":") >= 0) {
    const nt = ToNt(name);
    if (nt.status != STATUS_SUCCESS) { NtClose(opened.handle); ShStatus("ren " + name, <i32>nt.status); return <i32>nt.status; }
    name = nt.path;
  }
  const bytes = <u32>name.length << 1;
  const at = <u32>offsetof<FILE_RENAME_INFORMATION>("FileName");
  const info = heap.alloc(at + bytes);
  memory.fill(info, 0, at); // ReplaceIfExists FALSE (its padding too), no RootDirectory
  changetype<FILE_RENAME_INFORMATION>(info).FileNameLength = bytes;
  memory.copy(info + at, changetype<usize>(name), bytes);
  const status = NtSetInformationFile(opened.handle, iosb, info, at + bytes, FileRenameInformation);
  NtClose(opened.handle);
  if (status != STATUS_SUCCESS) ShStatus("ren " + args[0] + " " + args[1], <i32>status);
  return <i32>status;
}

/** Opens `path` for deletion (a file or a directory, as `options` says) and marks it; it goes at the close. */
function Delete(command: string, path: string, options: u32): i32 {
  const opened = Open(path, DELETE, FILE_OPEN, options);
  if (opened.status != STATUS_SUCCESS) { ShStatus(command + " " + path, <i32>opened.status); return <i32>opened.status; }
  const flag = memory.data(4, 4);
  store<u32>(flag, 1); // FILE_DISPOSITION_INFORMATION.DeleteFile
  const status = NtSetInformationFile(opened.handle, iosb, flag, 1, FileDispositionInformation);
  NtClose(opened.handle);
  if (status != STATUS_SUCCESS) ShStatus(command + " " + path, <i32>status);
  return <i32>status;
}

export function CmdDel(args: Array<string>): i32 {
  if (args.length == 0) return Usage("del FILE");
  for (let i = 0; i < args.length; i++) {
    const status = Delete("del", args[i], FILE_NON_DIRECTORY_FILE);
    if (status != 0) return status;
  }
  return 0;
}

export function CmdRmdir(args: Array<string>): i32 {
  if (args.length == 0) return Usage("rmdir DIR");
  for (let i = 0; i < args.length; i++) {
    const status = Delete("rmdir", args[i], FILE_DIRECTORY_FILE);
    if (status != 0) return status;
  }
  return 0;
}

// ---- mkdir ----

export function CmdMkdir(args: Array<string>): i32 {
  if (args.length == 0) return Usage("mkdir DIR");
  for (let i = 0; i < args.length; i++) {
    const opened = Open(args[i], FILE_LIST_DIRECTORY, FILE_CREATE, FILE_DIRECTORY_FILE);
    if (opened.status != STATUS_SUCCESS) { ShStatus("mkdir " + args[i], <i32>opened.status); return <i32>opened.status; }
    NtClose(opened.handle);
  }
  return 0;
}
