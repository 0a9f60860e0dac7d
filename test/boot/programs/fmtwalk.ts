// The format fuzzers' walker (scripts/fuzz/formats.ts), a boot module run on
// a disk whose hives or FAT volume were mutated: it loads the other hives
// (NtInitializeRegistry), walks every key and value of every hive it can
// open, writes a value and a key into each and flushes them; then walks the
// volume's directories, reads every file, and creates, writes, renames and
// deletes a file and a directory. Whatever the mutated bytes say, each call
// must answer a status: the kernel never bug-checks.
//
// Lines: "registry <status>", "hive <name> <status> keys N values N",
// "files N dirs N bytes N errors N", "write <what> <status>", "done".
import { put, putHex, putDec, flush, say, show, NtClose } from "./nt";
import { InitializeCountedString, InitializeObjectAttributes, IO_STATUS_BLOCK, OBJ_CASE_INSENSITIVE } from "../../../kernel/sdk/ntdef";
import {
  FileDirectoryInformation, FileDispositionInformation, FileFsSizeInformation, FileFsVolumeInformation,
  FileRenameInformation, FileStandardInformation, FILE_DIRECTORY_INFORMATION, FILE_RENAME_INFORMATION,
  SIZEOF_FILE_STANDARD_INFORMATION,
} from "../../../kernel/sdk/fileinfo";
import {
  KeyBasicInformation, KeyFullInformation, KeyValueFullInformation, KeyValuePartialInformation, KEY_BASIC_INFORMATION,
  KEY_VALUE_FULL_INFORMATION,
} from "../../../kernel/sdk/keyinfo";
@external("ntdll", "NtInitializeRegistry") declare function NtInitializeRegistry(condition: u32): u32;
@external("ntdll", "NtOpenKey") declare function NtOpenKey(h: usize, access: u32, oa: usize): u32;
@external("ntdll", "NtCreateKey") declare function NtCreateKey(h: usize, access: u32, oa: usize, index: u32, cls: usize, options: u32, disposition: usize): u32;
@external("ntdll", "NtDeleteKey") declare function NtDeleteKey(h: u32): u32;
@external("ntdll", "NtFlushKey") declare function NtFlushKey(h: u32): u32;
@external("ntdll", "NtQueryKey") declare function NtQueryKey(h: u32, cls: u32, buffer: usize, length: u32, result: usize): u32;
@external("ntdll", "NtEnumerateKey") declare function NtEnumerateKey(h: u32, index: u32, cls: u32, buffer: usize, length: u32, result: usize): u32;
@external("ntdll", "NtEnumerateValueKey") declare function NtEnumerateValueKey(h: u32, index: u32, cls: u32, buffer: usize, length: u32, result: usize): u32;
@external("ntdll", "NtQueryValueKey") declare function NtQueryValueKey(h: u32, name: usize, cls: u32, buffer: usize, length: u32, result: usize): u32;
@external("ntdll", "NtSetValueKey") declare function NtSetValueKey(h: u32, name: usize, index: u32, type: u32, data: usize, size: u32): u32;
@external("ntdll", "NtDeleteValueKey") declare function NtDeleteValueKey(h: u32, name: usize): u32;
@external("ntdll", "NtOpenFile") declare function NtOpenFile(h: usize, access: u32, oa: usize, iosb: usize, share: u32, options: u32): u32;
@external("ntdll", "NtCreateFile") declare function NtCreateFile(h: usize, access: u32, oa: usize, iosb: usize, alloc: usize, attrs: u32, share: u32, disposition: u32, options: u32, ea: usize, eaLength: u32): u32;
@external("ntdll", "NtReadFile") declare function NtReadFile(h: u32, event: u32, apc: usize, ctx: usize, iosb: usize, buffer: usize, length: u32, offset: usize, key: usize): u32;
@external("ntdll", "NtWriteFile") declare function NtWriteFile(h: u32, event: u32, apc: usize, ctx: usize, iosb: usize, buffer: usize, length: u32, offset: usize, key: usize): u32;
@external("ntdll", "NtQueryDirectoryFile") declare function NtQueryDirectoryFile(h: u32, event: u32, apc: usize, ctx: usize, iosb: usize, buffer: usize, length: u32, cls: u32, single: u32, mask: usize, restart: u32): u32;
@external("ntdll", "NtQueryInformationFile") declare function NtQueryInformationFile(h: u32, iosb: usize, buffer: usize, length: u32, cls: u32): u32;
@external("ntdll", "NtSetInformationFile") declare function NtSetInformationFile(h: u32, iosb: usize, buffer: usize, length: u32, cls: u32): u32;
@external("ntdll", "NtQueryVolumeInformationFile") declare function NtQueryVolumeInformationFile(h: u32, iosb: usize, buffer: usize, length: u32, cls: u32): u32;

const MAX_DEPTH: u32 = 12;
const buffers = memory.data(64 * 1024, 8);   // per depth: 4 KiB of enumeration output
const data = memory.data(16 * 1024, 8);
const cells = memory.data(MAX_DEPTH * 16, 4); // per depth: handle, UNICODE_STRING, OBJECT_ATTRIBUTES base below
const oas = memory.data(MAX_DEPTH * 24, 4);
const names = memory.data(MAX_DEPTH * 520, 4);
const iosb = memory.data(8, 4);
const result = memory.data(4, 4);
const ustr = memory.data(8, 4);
let keys: u32 = 0, values: u32 = 0, keyErrors: u32 = 0;
let files: u32 = 0, dirs: u32 = 0, bytes: u64 = 0, fileErrors: u32 = 0;

/** An OBJECT_ATTRIBUTES at depth `d` for `length` bytes of name at names[d], relative to `root`. */
function oaAt(d: u32, root: u32, length: u32): usize {
  const u = cells + d * 16 + 4;
  InitializeCountedString(u, <u32>(names + d * 520), length, length);
  const oa = oas + d * 24;
  return InitializeObjectAttributes(oa, u, OBJ_CASE_INSENSITIVE, root, 0);
}
function nameAt(d: u32, s: string): u32 {
  for (let i = 0; i < s.length; i++) store<u16>(names + d * 520 + (i << 1), <u16>s.charCodeAt(i));
  return <u32>s.length << 1;
}
function unicode(s: string): usize {
  InitializeCountedString(ustr, <u32>changetype<usize>(s), s.length << 1, s.length << 1);
  return ustr;
}

/** Every subkey and value under the open key `h` (depth d). */
function walkKey(h: u32, d: u32): void {
  keys++;
  const buf = buffers + d * 4096;
  NtQueryKey(h, KeyFullInformation, buf, 4096, result);
  for (let i: u32 = 0; i < 4096 && values < 20000; i++) {
    const s = NtEnumerateValueKey(h, i, KeyValueFullInformation, buf, 4096, result);
    if (s == 0x8000001A) break;                         // STATUS_NO_MORE_ENTRIES
    if (s != 0 && s != 0x80000005) { keyErrors++; if (s != 0xC0000023) break; continue; }
    values++;
    // the value again, by its name
    if (s == 0) {
      const n = changetype<KEY_VALUE_FULL_INFORMATION>(buf).NameLength;
      if (n <= 512) {
        memory.copy(names + d * 520, buf + offsetof<KEY_VALUE_FULL_INFORMATION>("Name"), n);
        const u = cells + d * 16 + 4;
        InitializeCountedString(u, <u32>(names + d * 520), n, n);
        NtQueryValueKey(h, u, KeyValuePartialInformation, data, 16384, result);
      }
    }
  }
  if (d + 1 >= MAX_DEPTH) return;
  for (let i: u32 = 0; i < 4096 && keys < 5000; i++) {
    const s = NtEnumerateKey(h, i, KeyBasicInformation, buf, 4096, result);
    if (s == 0x8000001A) break;
    if (s != 0) { keyErrors++; break; }
    const n = changetype<KEY_BASIC_INFORMATION>(buf).NameLength;
    if (n > 512) { keyErrors++; continue; }
    memory.copy(names + (d + 1) * 520, buf + offsetof<KEY_BASIC_INFORMATION>("Name"), n);
    const cell = cells + (d + 1) * 16;
    const o = NtOpenKey(cell, 0x20019 /* KEY_READ */, oaAt(d + 1, h, n));
    if (o != 0) { keyErrors++; continue; }
    const sub = load<u32>(cell);
    walkKey(sub, d + 1);
    NtClose(sub);
  }
}

function walkHive(path: string): void {
  keys = 0; values = 0; keyErrors = 0;
  const cell = cells;
  const s = NtOpenKey(cell, 0xF003F, oaAt(0, 0, nameAt(0, path)));
  put("hive "); put(path); put(" "); putHex(s);
  if (s != 0) { flush(); return; }
  const h = load<u32>(cell);
  walkKey(h, 0);
  put(" keys "); putDec(keys); put(" values "); putDec(values); put(" errors "); putDec(keyErrors); flush();
  // a write into the hive: a value, a key (deleted again), a flush
  store<u32>(data, 0x12345678);
  const v = NtSetValueKey(h, unicode("FuzzWalk"), 0, 4 /* REG_DWORD */, data, 4);
  const k = NtCreateKey(cell + 8, 0xF003F, oaAt(1, h, nameAt(1, "FuzzWalkKey")), 0, 0, 0, 0);
  let del: u32 = 0xFFFFFFFF;
  if (k == 0) { del = NtDeleteKey(load<u32>(cell, 8)); NtClose(load<u32>(cell, 8)); }
  const f = NtFlushKey(h);
  const dv = NtDeleteValueKey(h, unicode("FuzzWalk"));
  put("write "); put(path); put(" value "); putHex(v); put(" key "); putHex(k); put(" delete "); putHex(del); put(" flush "); putHex(f); put(" delete value "); putHex(dv); flush();
  NtClose(h);
}

/** The path being walked ("\\??\\C:\\..."), as UTF-16 at `path`, `pathBytes` long. */
const path = memory.data(4096, 4);
let pathBytes: u32 = 0;
let firstError: u32 = 0;
function fileError(s: u32): void { fileErrors++; if (firstError == 0) firstError = s; }
/** OBJECT_ATTRIBUTES for the current path (depth d's cells). */
function pathOa(d: u32): usize {
  const u = cells + d * 16 + 4;
  InitializeCountedString(u, <u32>path, pathBytes, pathBytes);
  const oa = oas + d * 24;
  return InitializeObjectAttributes(oa, u, OBJ_CASE_INSENSITIVE, 0, 0);
}
/** Every entry of the open directory `h` (depth d, its path at `path`): subdirectories walked, files read. */
function walkDir(h: u32, d: u32): void {
  dirs++;
  const buf = buffers + d * 4096;
  let restart: u32 = 1;
  for (let round = 0; round < 256; round++) {
    const s = NtQueryDirectoryFile(h, 0, 0, 0, iosb, buf, 4096, FileDirectoryInformation, 0, 0, restart);
    restart = 0;
    if (s != 0) { if (s != 0x80000006 /* STATUS_NO_MORE_FILES */) fileError(s); break; }
    let at = buf;
    for (let e = 0; e < 128; e++) {
      const entry = changetype<FILE_DIRECTORY_INFORMATION>(at);
      const next = entry.NextEntryOffset, attrs = entry.FileAttributes, n = entry.FileNameLength;
      const name = at + offsetof<FILE_DIRECTORY_INFORMATION>("FileName");
      const dot = (n == 2 && load<u16>(name) == 0x2E) || (n == 4 && load<u32>(name) == 0x002E002E);
      if (!dot && n <= 512 && d + 1 < MAX_DEPTH && pathBytes + 2 + n < 4096) {
        const saved = pathBytes;
        if (load<u16>(path + pathBytes - 2) != 0x5C) { store<u16>(path + pathBytes, 0x5C); pathBytes += 2; }
        memory.copy(path + pathBytes, name, n);
        pathBytes += n;
        const cell = cells + (d + 1) * 16;
        const dir = (attrs & 0x10) != 0;
        const o = NtOpenFile(cell, dir ? 0x100001 : 0x80100000, pathOa(d + 1), iosb, 7, dir ? 0x21 : 0x60);
        if (o != 0) fileError(o);
        else {
          const sub = load<u32>(cell);
          if (dir) walkDir(sub, d + 1);
          else readFile(sub);
          NtClose(sub);
        }
        pathBytes = saved;
      }
      if (next == 0 || next > 4096) break;
      at += next;
      if (at >= buf + 4096) break;
    }
  }
}
function readFile(h: u32): void {
  files++;
  NtQueryInformationFile(h, iosb, data, SIZEOF_FILE_STANDARD_INFORMATION, FileStandardInformation);
  for (let i = 0; i < 16; i++) {
    const s = NtReadFile(h, 0, 0, 0, iosb, data, 16384, 0, 0);
    if (s != 0) { if (s != 0xC0000011 /* STATUS_END_OF_FILE */) fileError(s); break; }
    bytes += <u64>changetype<IO_STATUS_BLOCK>(iosb).Information;
  }
}

function writes(): void {
  const cell = cells;
  let s = NtCreateFile(cell, 0x12019F | 0x10000, oaAt(0, 0, nameAt(0, "\\??\\C:\\fuzzwalk.txt")), iosb, 0, 0x80, 0, 5 /* FILE_OVERWRITE_IF */, 0x60, 0, 0);
  show("write create", s);
  if (s == 0) {
    const h = load<u32>(cell);
    for (let i: u32 = 0; i < 16384; i += 4) store<u32>(data + i, i * 2654435761);
    show("write data", NtWriteFile(h, 0, 0, 0, iosb, data, 16384, 0, 0));
    // rename to \fuzzwalk2.txt
    const n = nameAt(1, "\\??\\C:\\fuzzwalk2.txt");
    const rename = changetype<FILE_RENAME_INFORMATION>(data);
    const at = <u32>offsetof<FILE_RENAME_INFORMATION>("FileName");
    memory.fill(data, 0, at); // ReplaceIfExists's padding zero, no RootDirectory
    rename.ReplaceIfExists = 1;
    rename.FileNameLength = n;
    memory.copy(data + at, names + 520, n);
    show("write rename", NtSetInformationFile(h, iosb, data, at + n, FileRenameInformation));
    store<u8>(data, 1);
    show("write delete", NtSetInformationFile(h, iosb, data, 1, FileDispositionInformation));
    NtClose(h);
  }
  s = NtCreateFile(cell, 0x100001 | 0x10000, oaAt(0, 0, nameAt(0, "\\??\\C:\\fuzzwalkdir")), iosb, 0, 0, 7, 3 /* FILE_OPEN_IF */, 0x21, 0, 0);
  show("write directory", s);
  if (s == 0) {
    const dir = load<u32>(cell);
    const f = NtCreateFile(cell + 8, 0x12019F, oaAt(1, dir, nameAt(1, "inside.bin")), iosb, 0, 0x80, 0, 5, 0x60, 0, 0);
    show("write inside", f);
    if (f == 0) { NtWriteFile(load<u32>(cell, 8), 0, 0, 0, iosb, data, 5000, 0, 0); NtClose(load<u32>(cell, 8)); }
    NtClose(dir);
  }
}

export function main(): void {
  show("registry", NtInitializeRegistry(0));
  walkHive("\\Registry\\Machine\\SYSTEM");
  walkHive("\\Registry\\Machine\\SOFTWARE");
  walkHive("\\Registry\\Machine\\SAM");
  walkHive("\\Registry\\Machine\\SECURITY");
  walkHive("\\Registry\\User\\.DEFAULT");
  files = 0; dirs = 0; bytes = 0; fileErrors = 0;
  const cell = cells;
  pathBytes = nameAt(0, "\\??\\C:\\");
  memory.copy(path, names, pathBytes);
  const s = NtOpenFile(cell, 0x100001, pathOa(0), iosb, 7, 0x21);
  show("volume", s);
  if (s == 0) {
    const root = load<u32>(cell);
    NtQueryVolumeInformationFile(root, iosb, data, 4096, FileFsVolumeInformation);
    NtQueryVolumeInformationFile(root, iosb, data, 4096, FileFsSizeInformation);
    walkDir(root, 0);
    NtClose(root);
  }
  put("files "); putDec(files); put(" dirs "); putDec(dirs); put(" bytes "); putDec(<u32>bytes); put(" errors "); putDec(fileErrors); put(" first "); putHex(firstError); flush();
  if (s == 0) writes();
  say("done");
}
