// DOS paths: their kinds (RtlDetermineDosPathNameType_U), full paths
// (RtlGetFullPathName_U), NT paths (RtlDosPathNameToNtPathName_U), device
// names (RtlIsDosDeviceName_U) and the search along a path list
// (RtlDosSearchPath_U).
//
//   kind               example            NT path
//   1 UNC absolute     \\server\share\x   \??\UNC\server\share\x
//   2 drive absolute   C:\x               \??\C:\x
//   3 drive relative   C:x                against C:'s current directory
//   4 rooted           \x                 against the current drive (or share)
//   5 relative         x                  against the current directory
//   6 local device     \\.\COM1 \\?\C:\x  \??\COM1; \\?\ is passed through unparsed
//   7 root local dev.  \\. \\?            \\.\
//
// A full path is built as a root that ".." cannot climb over ("C:\",
// "\\server\share", "\\.\") and components: '/' is a separator too, empty
// and "." components vanish, ".." drops the one before, and trailing dots
// and spaces leave the last component. A DOS device name in the last
// component (CON, PRN, AUX, NUL, COM1-9, LPT1-9, with or without an
// extension) makes the path "\\.\NAME". The current directory is
// ProcessParameters->CurrentDirectory.DosPath (it ends with '\'); "=X:"
// variables give the current directory of other drives.
//
// Not done: the RelativeName of RtlDosPathNameToNtPathName_U is always empty
// (callers then open by the full name, which is always correct).

import {
  RtlpProcessHeap, RtlpProcessParameters, RtlpWcsLen, RtlpInitObjectAttributes, NtQueryAttributesFile, NtOpenFile, NtClose,
} from "./nt";
import { RtlAllocateHeap, RtlFreeHeap } from "./heap";
import { RtlUpcaseUnicodeChar } from "./string";
import { RtlpCurrentEnvironment } from "./env";
import { CURDIR, RTL_USER_PROCESS_PARAMETERS } from "../../../kernel/sdk/peb";
import {
  NT_SUCCESS, STATUS_ACCESS_DENIED, STATUS_NAME_TOO_LONG, STATUS_NO_MEMORY, STATUS_OBJECT_NAME_INVALID,
  STATUS_SHARING_VIOLATION, STATUS_SUCCESS,
} from "../../../kernel/sdk/ntstatus";
import { IO_STATUS_BLOCK, OBJ_CASE_INSENSITIVE, OBJ_INHERIT, OBJECT_ATTRIBUTES, UNICODE_STRING } from "../../../kernel/sdk/ntdef";
import { SIZEOF_FILE_BASIC_INFORMATION } from "../../../kernel/sdk/fileinfo";

export const RtlPathTypeUnknown: u32 = 0;
export const RtlPathTypeUncAbsolute: u32 = 1;
export const RtlPathTypeDriveAbsolute: u32 = 2;
export const RtlPathTypeDriveRelative: u32 = 3;
export const RtlPathTypeRooted: u32 = 4;
export const RtlPathTypeRelative: u32 = 5;
export const RtlPathTypeLocalDevice: u32 = 6;
export const RtlPathTypeRootLocalDevice: u32 = 7;

/** RTL_USER_PROCESS_PARAMETERS.CurrentDirectory.DosPath. */
const PARAMS_CURDIR: u32 = <u32>offsetof<RTL_USER_PROCESS_PARAMETERS>("CurrentDirectory_DosPath_Length");
const BACKSLASH: u32 = 0x5C;

@inline function ch(p: usize, i: u32): u32 { return <u32>load<u16>(p + (i << 1)); }
@inline function isSep(c: u32): bool { return c == 0x5C || c == 0x2F; }

/** The kind of a DOS path (see the table above). */
export function RtlDetermineDosPathNameType_U(path: usize): u32 {
  const c0 = ch(path, 0);
  if (c0 == 0) return RtlPathTypeRelative;
  if (isSep(c0)) {
    if (!isSep(ch(path, 1))) return RtlPathTypeRooted;
    const c2 = ch(path, 2);
    if (c2 == 0x2E || c2 == 0x3F) {
      if (isSep(ch(path, 3))) return RtlPathTypeLocalDevice;
      if (ch(path, 3) == 0) return RtlPathTypeRootLocalDevice;
    }
    return RtlPathTypeUncAbsolute;
  }
  if (ch(path, 1) == 0x3A) return isSep(ch(path, 2)) ? RtlPathTypeDriveAbsolute : RtlPathTypeDriveRelative;
  return RtlPathTypeRelative;
}

/** True when `count` characters at `p` are `name` (ASCII, any case). */
function isName(p: usize, count: u32, name: string): bool {
  if (count != <u32>name.length) return false;
  for (let i: u32 = 0; i < count; i++) if (RtlUpcaseUnicodeChar(ch(p, i)) != <u32>name.charCodeAt(i)) return false;
  return true;
}

/**
 * (offset << 16) | length, in bytes, of a DOS device name that is the last
 * component of `path`; 0 when there is none. "nul", "C:\x\con.txt",
 * "COM1:" and "lpt1 " are devices; "\\server\share\nul" is not.
 */
export function RtlIsDosDeviceName_U(path: usize): u32 {
  const type = RtlDetermineDosPathNameType_U(path);
  if (type == RtlPathTypeUncAbsolute || type == RtlPathTypeLocalDevice || type == RtlPathTypeRootLocalDevice) return 0;
  const n = RtlpWcsLen(path);
  if (n == 0) return 0;
  let start: u32 = 0;
  for (let i: u32 = 0; i < n; i++) if (isSep(ch(path, i)) || (i == 1 && ch(path, i) == 0x3A)) start = i + 1;
  let end = start;
  while (end < n && ch(path, end) != 0x2E && ch(path, end) != 0x3A) end++;
  while (end > start && ch(path, end - 1) == 0x20) end--;
  const name = path + (start << 1);
  const count = end - start;
  let device = isName(name, count, "CON") || isName(name, count, "PRN") || isName(name, count, "AUX") || isName(name, count, "NUL");
  if (!device && count == 4 && (isName(name, 3, "COM") || isName(name, 3, "LPT"))) {
    const d = ch(name, 3);
    device = d >= 0x31 && d <= 0x39;
  }
  return device ? ((start << 1) << 16) | (count << 1) : 0;
}

/** The current directory (a CURDIR: DosPath, Handle), or 0 without process parameters. */
function currentDirectory(): usize {
  const params = RtlpProcessParameters();
  return params == 0 ? 0 : params + PARAMS_CURDIR;
}

/** Characters of the root of an absolute path in `p` (UNC: up to the share; drive: "X:\"; device: "\\.\"). */
function rootLength(p: usize, type: u32): u32 {
  if (type == RtlPathTypeDriveAbsolute) return 3;
  if (type == RtlPathTypeLocalDevice) return 4;
  if (type == RtlPathTypeUncAbsolute) {
    let i: u32 = 2;
    let separators = 0;
    while (ch(p, i) != 0) {
      if (isSep(ch(p, i)) && ++separators == 2) return i;
      i++;
    }
    return i;
  }
  return 0;
}

/** The value of the "=X:" variable (drive X's current directory) in the process's environment, or 0. */
function driveDirectory(drive: u32): usize {
  let p = RtlpCurrentEnvironment();
  if (p == 0) return 0;
  while (load<u16>(p) != 0) {
    if (ch(p, 0) == 0x3D && RtlUpcaseUnicodeChar(ch(p, 1)) == drive && ch(p, 2) == 0x3A && ch(p, 3) == 0x3D) return p + 8;
    p += (RtlpWcsLen(p) + 1) << 1;
  }
  return 0;
}

/** (the directory a name of kind `type` is relative to) << 32 | its characters; 0: none. */
function baseOf(name: usize, type: u32): u64 {
  const cwd = currentDirectory();
  const cwdBuf: usize = cwd != 0 ? changetype<CURDIR>(cwd).DosPath_Buffer : 0;
  const cwdCount: u32 = cwd != 0 ? <u32>changetype<CURDIR>(cwd).DosPath_Length >> 1 : 0;
  if (type == RtlPathTypeDriveRelative) {
    const drive = RtlUpcaseUnicodeChar(ch(name, 0));
    if (cwdCount >= 2 && RtlUpcaseUnicodeChar(ch(cwdBuf, 0)) == drive && ch(cwdBuf, 1) == 0x3A) return pack(cwdBuf, cwdCount);
    const value = driveDirectory(drive);
    if (value != 0 && ch(value, 1) == 0x3A) return pack(value, RtlpWcsLen(value));
    return pack(name, 2); // just "X:": the drive's root
  }
  if (type == RtlPathTypeRooted) {
    if (cwdCount == 0) return 0;
    const root = rootLength(cwdBuf, RtlDetermineDosPathNameType_U(cwdBuf));
    return pack(cwdBuf, root == 3 ? 2 : root); // "X:" (the name brings the '\'), or "\\server\share"
  }
  if (type == RtlPathTypeRelative) return pack(cwdBuf, cwdCount);
  return 0;
}
@inline function pack(base: usize, count: u32): u64 { return (<u64>base << 32) | <u64>count; }

/** Characters buildFullPath may write for `name`, at most. */
function fullPathBound(name: usize): u32 {
  return RtlpWcsLen(name) + <u32>baseOf(name, RtlDetermineDosPathNameType_U(name)) + 8;
}

/**
 * Writes the full path of `name` into `out` (fullPathBound characters);
 * returns its characters. `*partFrom` gets the first index a file part may
 * start at (past a UNC root; ~0 for a device, which has none).
 */
function buildFullPath(name: usize, out: usize, partFrom: usize): u32 {
  let n: u32 = 0;
  const type = RtlDetermineDosPathNameType_U(name);
  store<u32>(partFrom, 0xFFFFFFFF);
  if (type == RtlPathTypeRootLocalDevice) return putString(out, n, "\\\\.\\");
  const device = RtlIsDosDeviceName_U(name);
  if (device != 0) {
    n = putString(out, n, "\\\\.\\");
    const from = name + (device >>> 16), count = (device & 0xFFFF) >> 1;
    for (let i: u32 = 0; i < count; i++) n = put(out, n, ch(from, i));
    return n;
  }
  const packed = baseOf(name, type);
  const baseCount = <u32>packed;
  const base = <usize>(packed >>> 32);
  // The root ("X:\", "\\server\share\", "\\.\") with '/' turned to '\'; ".." stops at its end.
  const root = base != 0 ? base : name;
  const rootType = base != 0 ? (baseCount >= 2 && ch(base, 1) == 0x3A ? RtlPathTypeDriveAbsolute : RtlDetermineDosPathNameType_U(base)) : type;
  let rootChars: u32 = rootType == RtlPathTypeDriveAbsolute ? 2 : rootLength(root, rootType);
  if (base != 0 && rootChars > baseCount) rootChars = baseCount;
  for (let i: u32 = 0; i < rootChars; i++) { const c = ch(root, i); n = put(out, n, isSep(c) ? BACKSLASH : c); }
  if (rootType == RtlPathTypeDriveAbsolute || rootType == RtlPathTypeUncAbsolute) n = put(out, n, BACKSLASH);
  const rootEnd = n;
  store<u32>(partFrom, rootEnd);
  let rest = name;
  if (base != 0) {
    n = components(base + (rootChars << 1), baseCount - rootChars, out, n, rootEnd, false);
    if (type == RtlPathTypeDriveRelative) rest = name + 4;
  } else {
    rest = name + ((rootType == RtlPathTypeDriveAbsolute ? 3 : rootChars) << 1);
  }
  const restCount = RtlpWcsLen(rest);
  n = components(rest, restCount, out, n, rootEnd, true);
  // "\\server\share" alone keeps no '\' after the share.
  if (rootType == RtlPathTypeUncAbsolute && base == 0 && restCount == 0) n--;
  return n;
}

@inline function put(out: usize, n: u32, c: u32): u32 { store<u16>(out + (n << 1), <u16>c); return n + 1; }
function putString(out: usize, n: u32, s: string): u32 {
  for (let i = 0; i < s.length; i++) n = put(out, n, s.charCodeAt(i));
  return n;
}

/**
 * Appends the components of `count` characters at `p` to the output, which
 * ends with a '\' at `n`: "." and empty ones vanish, ".." removes the last
 * one (not past `rootEnd`), each is followed by '\'. For the name's own
 * text (`final`), the last component loses trailing dots and spaces, and
 * the '\' after the last component stays only when the name ends with one.
 */
function components(p: usize, count: u32, out: usize, n: u32, rootEnd: u32, final: bool): u32 {
  let i: u32 = 0;
  let emptied = false; // a last component of only dots and spaces leaves the '\\' before it
  while (i < count) {
    while (i < count && isSep(ch(p, i))) i++;
    if (i >= count) break;
    let j = i;
    while (j < count && !isSep(ch(p, j))) j++;
    let len = j - i;
    if (len == 1 && ch(p, i) == 0x2E) { i = j; continue; }
    if (len == 2 && ch(p, i) == 0x2E && ch(p, i + 1) == 0x2E) {
      if (n > rootEnd) {
        n--; // the '\' after the previous component, then back to the '\' before it
        while (n > rootEnd && load<u16>(out + ((n - 1) << 1)) != <u16>BACKSLASH) n--;
      }
      i = j; continue;
    }
    if (final && j >= count) {
      while (len > 0 && (ch(p, i + len - 1) == 0x2E || ch(p, i + len - 1) == 0x20)) len--;
      if (len == 0) { emptied = true; break; }
    } else if (ch(p, i + len - 1) == 0x2E) {
      len--; // "test./x" is "test\x", "test../x" is "test.\x"
    }
    for (let k: u32 = 0; k < len; k++) n = put(out, n, ch(p, i + k));
    n = put(out, n, BACKSLASH);
    i = j;
  }
  if (final && n > rootEnd && !emptied && !(count > 0 && isSep(ch(p, count - 1)))) n--;
  return n;
}

/** Index just past the last '\\' of `count` characters at `p`, or ~0 when the text ends with one. */
function lastComponent(p: usize, count: u32): u32 {
  if (count == 0 || ch(p, count - 1) == BACKSLASH) return 0xFFFFFFFF;
  let i = count;
  while (i > 0 && ch(p, i - 1) != BACKSLASH) i--;
  return i;
}

/**
 * The full path of `fileName` into `buffer` (`size` bytes). Returns the
 * bytes of the path without its NUL, or when it does not fit, the bytes
 * needed with the NUL (and writes nothing). `*shortName` (if given) points
 * at the last component in `buffer`, or is NULL when the path ends in '\'.
 */
export function RtlGetFullPathName_U(fileName: usize, size: u32, buffer: usize, shortName: usize): u32 {
  if (shortName != 0) store<usize>(shortName, 0);
  if (fileName == 0 || load<u16>(fileName) == 0) return 0;
  const heap = RtlpProcessHeap();
  const bound = fullPathBound(fileName);
  const temp = RtlAllocateHeap(heap, 0, (bound << 1) + 4);
  if (temp == 0) return 0;
  const partFrom = temp + (bound << 1);
  const n = buildFullPath(fileName, temp, partFrom);
  let result: u32 = (n + 1) << 1;
  if (n + 1 <= size >> 1) {
    memory.copy(buffer, temp, n << 1);
    store<u16>(buffer + (n << 1), 0);
    const last = lastComponent(buffer, n);
    if (shortName != 0 && last != 0xFFFFFFFF && last >= load<u32>(partFrom)) store<usize>(shortName, buffer + (last << 1));
    result = n << 1;
  }
  RtlFreeHeap(heap, 0, temp);
  return result;
}

/** Copies the current directory (with its trailing '\', as NT keeps it, except for a root) into `buffer`. */
export function RtlGetCurrentDirectory_U(size: u32, buffer: usize): u32 {
  const cwd = currentDirectory();
  if (cwd == 0) return 0;
  let bytes = <u32>changetype<CURDIR>(cwd).DosPath_Length;
  const p = changetype<CURDIR>(cwd).DosPath_Buffer;
  // NT drops the trailing '\' unless the directory is a drive root ("C:\").
  if (bytes > 6 && ch(p, (bytes >> 1) - 1) == BACKSLASH && ch(p, (bytes >> 1) - 2) != 0x3A) bytes -= 2;
  if (bytes + 2 > size) return bytes + 2;
  memory.copy(buffer, p, bytes);
  store<u16>(buffer + bytes, 0);
  return bytes;
}

/**
 * Makes `path` (a UNICODE_STRING, relative or absolute) the current
 * directory: its full path with a trailing '\\' goes into
 * CurrentDirectory.DosPath (which must have room: STATUS_NAME_TOO_LONG),
 * and an open handle to the directory replaces the old one. A path that is
 * not a directory fails with NtOpenFile's status and changes nothing.
 */
export function RtlSetCurrentDirectory_U(path: usize): u32 {
  const cwd = currentDirectory();
  if (cwd == 0) return STATUS_OBJECT_NAME_INVALID;
  const heap = RtlpProcessHeap();
  const chars = <u32>changetype<UNICODE_STRING>(path).Length >> 1;
  // The path NUL-terminated, its full form, the NT form and the open's arguments, in one block.
  const bound = chars + fullPathBound0(cwd) + 8;
  const block = RtlAllocateHeap(heap, 0, (chars + 1 + bound + 2) * 2 + 68);
  if (block == 0) return STATUS_NO_MEMORY;
  // The arguments 4-byte aligned: the kernel's probes refuse a misaligned IO_STATUS_BLOCK or handle.
  const name = block, fullPath = block + ((chars + 1) << 1), args = (fullPath + ((bound + 2) << 1) + 3) & ~(<usize>3);
  const nt = args, oa = nt + offsetof<UNICODE_STRING>(), iosb = oa + offsetof<OBJECT_ATTRIBUTES>(), handle = iosb + offsetof<IO_STATUS_BLOCK>();
  memory.copy(name, changetype<UNICODE_STRING>(path).Buffer, chars << 1);
  store<u16>(name + (chars << 1), 0);
  let status: u32 = STATUS_SUCCESS;
  let bytes = RtlGetFullPathName_U(name, bound << 1, fullPath, 0);
  if (bytes == 0 || bytes > bound << 1) status = STATUS_OBJECT_NAME_INVALID;
  if (status == STATUS_SUCCESS && load<u16>(fullPath + bytes - 2) != <u16>BACKSLASH) {
    store<u16>(fullPath + bytes, <u16>BACKSLASH); bytes += 2; store<u16>(fullPath + bytes, 0);
  }
  if (status == STATUS_SUCCESS && bytes + 2 > <u32>changetype<CURDIR>(cwd).DosPath_MaximumLength) status = STATUS_NAME_TOO_LONG;
  if (status == STATUS_SUCCESS) status = RtlDosPathNameToNtPathName_U_WithStatus(fullPath, nt, 0, 0);
  if (status == STATUS_SUCCESS) {
    RtlpInitObjectAttributes(oa, nt, OBJ_CASE_INSENSITIVE | OBJ_INHERIT, 0);
    // FILE_TRAVERSE | SYNCHRONIZE; share read and write; FILE_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_NONALERT.
    status = NtOpenFile(handle, 0x100020, oa, iosb, 3, 0x21);
    RtlFreeHeap(heap, 0, changetype<UNICODE_STRING>(nt).Buffer);
  }
  if (NT_SUCCESS(status)) {
    const dir = changetype<CURDIR>(cwd);
    const old = dir.Handle;
    if (old != 0) NtClose(old);
    dir.Handle = load<u32>(handle);
    memory.copy(dir.DosPath_Buffer, fullPath, bytes + 2);
    dir.DosPath_Length = <u16>bytes;
  }
  RtlFreeHeap(heap, 0, block);
  return status;
}

/** Characters of the current directory (what a relative name can add). */
function fullPathBound0(cwd: usize): u32 { return <u32>changetype<CURDIR>(cwd).DosPath_Length >> 1; }

/**
 * Converts a DOS path into an NT path ("\??\..."), allocated on the process
 * heap (free with RtlFreeUnicodeString). `*filePart` (if given) points at
 * the last component inside it; `relativeName` (RTL_RELATIVE_NAME_U, 16
 * bytes, if given) is emptied. NTSTATUS form of RtlDosPathNameToNtPathName_U.
 */
export function RtlDosPathNameToNtPathName_U_WithStatus(dosName: usize, ntName: usize, filePart: usize, relativeName: usize): u32 {
  if (filePart != 0) store<usize>(filePart, 0);
  if (relativeName != 0) memory.fill(relativeName, 0, 16);
  if (dosName == 0 || load<u16>(dosName) == 0) return STATUS_OBJECT_NAME_INVALID;
  let k: u32 = 0;
  while (ch(dosName, k) == 0x20) k++;
  if (ch(dosName, k) == 0) return STATUS_OBJECT_NAME_INVALID; // only spaces
  const heap = RtlpProcessHeap();
  let full: usize = 0, fullCount: u32;
  // "\\?\x" and "\??\x" are passed through as they are.
  const raw = ch(dosName, 0) == BACKSLASH && (ch(dosName, 1) == BACKSLASH || ch(dosName, 1) == 0x3F) && ch(dosName, 2) == 0x3F
    && ch(dosName, 3) == BACKSLASH && (ch(dosName, 1) == BACKSLASH || ch(dosName, 4) != 0);
  let partFrom: u32 = 4;
  if (raw) {
    full = dosName; fullCount = RtlpWcsLen(dosName);
  } else {
    const bound = fullPathBound(dosName);
    full = RtlAllocateHeap(heap, 0, (bound << 1) + 4);
    if (full == 0) return STATUS_NO_MEMORY;
    fullCount = buildFullPath(dosName, full, full + (bound << 1));
    partFrom = load<u32>(full + (bound << 1));
  }
  let lastStart = lastComponent(full, fullCount);
  if (lastStart < partFrom) lastStart = 0xFFFFFFFF;
  // The NT prefix replaces the DOS one: "\\server" -> "\??\UNC\server", "\\.\" or "\\?\" -> "\??\", "C:" -> "\??\C:".
  let skip: u32 = 0;
  let prefix = "\\??\\";
  const fullType = raw ? RtlPathTypeLocalDevice : RtlDetermineDosPathNameType_U(full);
  if (fullType == RtlPathTypeUncAbsolute) { skip = 2; prefix = "\\??\\UNC\\"; }
  else if (fullType == RtlPathTypeLocalDevice || fullType == RtlPathTypeRootLocalDevice) skip = 4;
  if (skip > fullCount) skip = fullCount;
  const chars = <u32>prefix.length + fullCount - skip;
  let status = STATUS_SUCCESS;
  if ((chars + 1) << 1 > 0xFFFF) status = STATUS_OBJECT_NAME_INVALID;
  const buffer = status == STATUS_SUCCESS ? RtlAllocateHeap(heap, 0, (chars + 1) << 1) : 0;
  if (status == STATUS_SUCCESS && buffer == 0) status = STATUS_NO_MEMORY;
  if (status == STATUS_SUCCESS) {
    for (let i = 0; i < prefix.length; i++) store<u16>(buffer + (<usize>i << 1), <u16>prefix.charCodeAt(i));
    memory.copy(buffer + (<usize>prefix.length << 1), full + (skip << 1), (fullCount - skip) << 1);
    store<u16>(buffer + (chars << 1), 0);
    const nt = changetype<UNICODE_STRING>(ntName);
    nt.Length = <u16>(chars << 1);
    nt.MaximumLength = <u16>((chars + 1) << 1);
    nt.Buffer = buffer;
    if (filePart != 0 && lastStart != 0xFFFFFFFF && lastStart >= skip) {
      store<usize>(filePart, buffer + ((<u32>prefix.length + lastStart - skip) << 1));
    }
  }
  if (!raw) RtlFreeHeap(heap, 0, full);
  return status;
}

/** RtlDosPathNameToNtPathName_U_WithStatus with a BOOLEAN answer. */
export function RtlDosPathNameToNtPathName_U(dosName: usize, ntName: usize, filePart: usize, relativeName: usize): bool {
  return RtlDosPathNameToNtPathName_U_WithStatus(dosName, ntName, filePart, relativeName) == STATUS_SUCCESS;
}

/** TRUE when NtQueryAttributesFile finds the file (or finds it locked or denied). */
export function RtlDoesFileExists_U(fileName: usize): bool {
  const heap = RtlpProcessHeap();
  const block = RtlAllocateHeap(heap, 0, SIZEOF_FILE_BASIC_INFORMATION + offsetof<OBJECT_ATTRIBUTES>() + offsetof<UNICODE_STRING>());
  if (block == 0) return false;
  const info = block, oa = info + SIZEOF_FILE_BASIC_INFORMATION, nt = oa + offsetof<OBJECT_ATTRIBUTES>();
  let status: u32 = STATUS_OBJECT_NAME_INVALID;
  if (RtlDosPathNameToNtPathName_U(fileName, nt, 0, 0)) {
    RtlpInitObjectAttributes(oa, nt, OBJ_CASE_INSENSITIVE, 0);
    status = NtQueryAttributesFile(oa, info);
    RtlFreeHeap(heap, 0, changetype<UNICODE_STRING>(nt).Buffer);
  }
  RtlFreeHeap(heap, 0, block);
  // A file locked or denied is there.
  return status == STATUS_SUCCESS || status == STATUS_SHARING_VIOLATION || status == STATUS_ACCESS_DENIED;
}

/**
 * Looks for `fileName` in each directory of the ';'-separated `path`,
 * adding `extension` (e.g. ".exe") when the name has none. Returns what
 * RtlGetFullPathName_U returns for the first match (bytes, or bytes needed
 * when `bufferSize` is too small), 0 when nothing matched. A name that is
 * not relative is only checked where it is.
 */
export function RtlDosSearchPath_U(path: usize, fileName: usize, extension: usize, bufferSize: u32, buffer: usize, filePart: usize): u32 {
  if (filePart != 0) store<usize>(filePart, 0);
  if (RtlDetermineDosPathNameType_U(fileName) != RtlPathTypeRelative) {
    return RtlDoesFileExists_U(fileName) ? RtlGetFullPathName_U(fileName, bufferSize, buffer, filePart) : 0;
  }
  const nameCount = RtlpWcsLen(fileName);
  let hasExtension = false;
  for (let i: u32 = 0; i < nameCount; i++) {
    const c = ch(fileName, i);
    if (c == 0x2E) hasExtension = true; else if (isSep(c)) hasExtension = false;
  }
  const extCount: u32 = extension != 0 && !hasExtension ? RtlpWcsLen(extension) : 0;
  const pathCount = RtlpWcsLen(path);
  const heap = RtlpProcessHeap();
  const candidate = RtlAllocateHeap(heap, 0, (pathCount + nameCount + extCount + 2) << 1);
  if (candidate == 0) return 0;
  let result: u32 = 0;
  let i: u32 = 0;
  while (i < pathCount && result == 0) {
    let j = i;
    while (j < pathCount && ch(path, j) != 0x3B) j++;
    if (j > i) {
      let n = j - i;
      memory.copy(candidate, path + (i << 1), n << 1);
      if (!isSep(ch(path, j - 1))) { store<u16>(candidate + (n << 1), <u16>BACKSLASH); n++; }
      memory.copy(candidate + (n << 1), fileName, nameCount << 1); n += nameCount;
      if (extCount != 0) { memory.copy(candidate + (n << 1), extension, extCount << 1); n += extCount; }
      store<u16>(candidate + (n << 1), 0);
      if (RtlDoesFileExists_U(candidate)) result = RtlGetFullPathName_U(candidate, bufferSize, buffer, filePart);
    }
    i = j + 1;
  }
  RtlFreeHeap(heap, 0, candidate);
  return result;
}
