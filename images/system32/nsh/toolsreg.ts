// The shell's `reg` command, through the registry services:
//
//   reg query  KEY [VALUE]            the key's values and subkeys (or one value)
//   reg add    KEY [VALUE [TYPE DATA]] makes the key (and the keys above it), sets the value
//   reg delete KEY [VALUE]            deletes the value, or the key (it must have no subkeys)
//
// KEY is HKLM\... (HKEY_LOCAL_MACHINE\...), HKU\... (HKEY_USERS\...) or a
// \Registry\... path. VALUE `(Default)` or `""` is the key's default value.
// TYPE is REG_SZ, REG_EXPAND_SZ, REG_MULTI_SZ (DATA's strings separated by
// \0, as reg.exe takes them), REG_DWORD (decimal or 0x hex) or REG_BINARY
// (hex digits, two per byte). The rest of the line after TYPE is DATA, so a
// REG_SZ may hold spaces. Every change is flushed (NtFlushKey) before the
// command returns, so the hive file on the disk has it.
//
// Values print as reg.exe prints them: `    NAME    REG_SZ    text`,
// REG_DWORD as 0x%08X, REG_MULTI_SZ with \0 between the strings,
// REG_BINARY as hex digits.

import { ShStatus, ShWriteLine } from "./io";
import { Emit, EmitLine, Put, PutChar, PutDec, PutHex, PutHexDigits, PutText, UpperAscii, ParseNumber } from "./toolsfmt";
import {
  NtCreateKey, NtDeleteKey, NtDeleteValueKey, NtEnumerateValueKey, NtFlushKey, NtSetValueKey, DELETE, KEY_READ, KEY_WRITE,
  REG_OPTION_NON_VOLATILE,
} from "./toolsnt";
import { NtClose, NtEnumerateKey, NtOpenKey, NtQueryValueKey, REG_BINARY, REG_DWORD, REG_EXPAND_SZ, REG_MULTI_SZ, REG_SZ, STATUS_SUCCESS } from "../native/nt";
import { Attributes, Slot, Unicode } from "../native/util";
import { STATUS_BUFFER_OVERFLOW, STATUS_BUFFER_TOO_SMALL, STATUS_INVALID_PARAMETER, STATUS_NO_MORE_ENTRIES } from "../../../kernel/sdk/ntstatus";
import { KeyBasicInformation, KeyValueFullInformation, KEY_BASIC_INFORMATION, KEY_VALUE_FULL_INFORMATION } from "../../../kernel/sdk/keyinfo";

const REG_NONE: u32 = 0;

/** The NT name of a key the user typed (HKLM\x -> \Registry\Machine\x), or "" when the root is unknown. */
export function KeyPath(key: string): string {
  let k = key;
  while (k.endsWith("\\", k.length)) k = k.substring(0, k.length - 1);
  const slash = k.indexOf("\\");
  const root = UpperAscii(slash < 0 ? k : k.substring(0, slash));
  const rest = slash < 0 ? "" : k.substring(slash, k.length);
  if (root == "HKLM" || root == "HKEY_LOCAL_MACHINE") return "\\Registry\\Machine" + rest;
  if (root == "HKU" || root == "HKEY_USERS") return "\\Registry\\User" + rest;
  if (slash == 0 && UpperAscii(k).startsWith("\\REGISTRY")) return k;
  return "";
}

function TypeName(type: u32): string {
  switch (type) {
    case REG_NONE: return "REG_NONE";
    case REG_SZ: return "REG_SZ";
    case REG_EXPAND_SZ: return "REG_EXPAND_SZ";
    case REG_BINARY: return "REG_BINARY";
    case REG_DWORD: return "REG_DWORD";
    case REG_MULTI_SZ: return "REG_MULTI_SZ";
    case 5: return "REG_DWORD_BIG_ENDIAN";
    case 6: return "REG_LINK";
    case 11: return "REG_QWORD";
  }
  return "REG_" + type.toString();
}

function TypeOf(name: string): i32 {
  const n = UpperAscii(name);
  if (n == "REG_SZ") return REG_SZ;
  if (n == "REG_EXPAND_SZ") return REG_EXPAND_SZ;
  if (n == "REG_MULTI_SZ") return REG_MULTI_SZ;
  if (n == "REG_DWORD") return REG_DWORD;
  if (n == "REG_BINARY") return REG_BINARY;
  if (n == "REG_NONE") return REG_NONE;
  return -1;
}

/** One value's line: `    NAME    TYPE    DATA`. */
function PutValue(name: usize, nameBytes: u32, type: u32, data: usize, length: u32): void {
  Put("    ");
  if (nameBytes == 0) Put("(Default)"); else PutText(name, nameBytes);
  Put("    "); Put(TypeName(type)); Put("    ");
  if (type == REG_SZ || type == REG_EXPAND_SZ || type == 6) {
    let n = length & ~1;
    while (n >= 2 && load<u16>(data + n - 2) == 0) n -= 2; // the NUL the data carries
    PutText(data, n);
  } else if (type == REG_MULTI_SZ) {
    let n = length & ~1;
    while (n >= 2 && load<u16>(data + n - 2) == 0) n -= 2; // the list's closing NULs
    for (let i: u32 = 0; i < n; i += 2) {
      const c = load<u16>(data + i);
      if (c == 0) Put("\\0"); else PutChar(c);
    }
  } else if (type == REG_DWORD && length == 4) {
    PutHex(load<u32>(data)); Put(" ("); PutDec(load<u32>(data)); Put(")");
  } else {
    for (let i: u32 = 0; i < length && i < 256; i++) PutHexDigits(load<u8>(data + i), 2);
    if (length > 256) Put("...");
  }
  Emit();
}

/** Where value and key information lands: a static buffer, or a bigger one on the command's heap (nsh/heap.ts). */
const INFO_BYTES: u32 = 4096;
const infoBuffer = memory.data(<i32>INFO_BYTES, 8);
let info: usize = 0;
const resultLength = memory.data(4, 4);
function Room(size: u32): usize {
  info = size <= INFO_BYTES ? infoBuffer : heap.alloc(size);
  return info;
}

/** Opens `path` with `access` into the handle cell `handle`; a failure is printed and returned. */
function Open(command: string, path: string, access: u32, handle: usize): u32 {
  const status = NtOpenKey(handle, access, Attributes(path, 0, 0));
  if (status != STATUS_SUCCESS) ShStatus(command + ": NtOpenKey " + path, <i32>status);
  return status;
}

/** Prints the value a KEY_VALUE_FULL_INFORMATION at `at` holds. */
function PutFullValue(at: usize): void {
  const v = changetype<KEY_VALUE_FULL_INFORMATION>(at);
  PutValue(at + offsetof<KEY_VALUE_FULL_INFORMATION>("Name"), v.NameLength, v.Type, at + v.DataOffset, v.DataLength);
}

/** reg query KEY [VALUE] */
function Query(key: string, path: string, valueName: string | null): i32 {
  const keyCell = Slot();
  const opened = Open("reg query", path, KEY_READ, keyCell);
  if (opened != STATUS_SUCCESS) return <i32>opened;
  const h = load<u32>(keyCell);
  EmitLine(key);
  let status: u32 = STATUS_SUCCESS;
  if (valueName != null) {
    const name = Unicode(valueName);
    let size: u32 = 1024;
    while (true) {
      status = NtQueryValueKey(h, name, KeyValueFullInformation, Room(size), size, resultLength);
      if (status != STATUS_BUFFER_OVERFLOW && status != STATUS_BUFFER_TOO_SMALL) break;
      size = load<u32>(resultLength) + 16;
    }
    if (status == STATUS_SUCCESS) PutFullValue(info);
    else ShStatus("reg query: NtQueryValueKey " + valueName, <i32>status);
    NtClose(h);
    return <i32>status;
  }
  for (let index: u32 = 0; ; index++) {
    let size: u32 = 1024;
    while (true) {
      status = NtEnumerateValueKey(h, index, KeyValueFullInformation, Room(size), size, resultLength);
      if (status != STATUS_BUFFER_OVERFLOW && status != STATUS_BUFFER_TOO_SMALL) break;
      size = load<u32>(resultLength) + 16;
    }
    if (status != STATUS_SUCCESS) break;
    PutFullValue(info);
  }
  if (status != STATUS_NO_MORE_ENTRIES) { ShStatus("reg query: NtEnumerateValueKey", <i32>status); NtClose(h); return <i32>status; }
  let prefix = key;
  while (prefix.endsWith("\\", prefix.length)) prefix = prefix.substring(0, prefix.length - 1);
  for (let index: u32 = 0; ; index++) {
    status = NtEnumerateKey(h, index, KeyBasicInformation, Room(1024), 1024, resultLength);
    if (status != STATUS_SUCCESS) break;
    Put(prefix); Put("\\"); PutText(info + offsetof<KEY_BASIC_INFORMATION>("Name"), changetype<KEY_BASIC_INFORMATION>(info).NameLength); Emit();
  }
  NtClose(h);
  if (status != STATUS_NO_MORE_ENTRIES) { ShStatus("reg query: NtEnumerateKey", <i32>status); return <i32>status; }
  return 0;
}

/** Opens or creates `path` and every key above it that is missing, into the handle cell `handle`; a failure is printed and returned. */
function Create(path: string, handle: usize): u32 {
  const h = Slot();
  let status = NtCreateKey(h, KEY_READ | KEY_WRITE, Attributes(path, 0, 0), 0, 0, REG_OPTION_NON_VOLATILE, 0);
  if (status == STATUS_SUCCESS) { store<u32>(handle, load<u32>(h)); return status; }
  // One level at a time from \Registry\<root>\<hive> down (NtCreateKey makes only the last component).
  const parts = path.substring(1, path.length).split("\\", i32.MAX_VALUE);
  let parent: u32 = 0;
  let name = "";
  for (let i = 0; i < parts.length; i++) {
    name += "\\" + parts[i];
    if (i < 2) continue; // \Registry\Machine itself cannot be made
    status = NtCreateKey(h, KEY_READ | KEY_WRITE, Attributes(parent == 0 ? name : parts[i], 0, parent), 0, 0, REG_OPTION_NON_VOLATILE, 0);
    if (parent != 0) NtClose(parent);
    if (status != STATUS_SUCCESS) { ShStatus("reg add: NtCreateKey " + name, <i32>status); return status; }
    parent = load<u32>(h);
  }
  if (parent == 0) return status; // nothing below the hive to make
  store<u32>(handle, parent);
  return STATUS_SUCCESS;
}

/** The data of `type` from the words after TYPE (joined by spaces); -1 length when it does not parse. */
function Data(type: u32, words: Array<string>): usize {
  const text = words.join(" ");
  if (type == REG_SZ || type == REG_EXPAND_SZ || type == REG_NONE) {
    DataLength = (<u32>text.length + 1) << 1;
    const d = heap.alloc(DataLength);
    memory.copy(d, changetype<usize>(text), DataLength - 2);
    store<u16>(d + DataLength - 2, 0);
    return d;
  }
  if (type == REG_MULTI_SZ) {
    const strings = text.split("\\0", i32.MAX_VALUE);
    let chars: u32 = 1;
    for (let i = 0; i < strings.length; i++) chars += <u32>strings[i].length + 1;
    DataLength = chars << 1;
    const d = heap.alloc(DataLength);
    let at = d;
    for (let i = 0; i < strings.length; i++) {
      memory.copy(at, changetype<usize>(strings[i]), <usize>strings[i].length << 1);
      at += <usize>strings[i].length << 1;
      store<u16>(at, 0); at += 2;
    }
    store<u16>(at, 0);
    return d;
  }
  if (type == REG_DWORD) {
    const v = ParseNumber(text);
    if (v < 0 || v > 0xFFFFFFFF) { DataLength = -1; return 0; }
    DataLength = 4;
    const d = heap.alloc(4);
    store<u32>(d, <u32>v);
    return d;
  }
  // REG_BINARY: hex digits, two per byte (spaces and commas between them allowed).
  let hex = "";
  for (let i = 0; i < text.length; i++) { const c = text.charCodeAt(i); if (c != 32 && c != 44) hex += String.fromCharCode(c, -1); }
  if ((hex.length & 1) != 0) { DataLength = -1; return 0; }
  DataLength = <u32>hex.length >> 1;
  const d = heap.alloc(DataLength + 1);
  for (let i: u32 = 0; i < <u32>DataLength; i++) {
    const b = ParseNumber("0x" + hex.substr(<i32>(i << 1), 2));
    if (b < 0) { DataLength = -1; return 0; }
    store<u8>(d + i, <u8>b);
  }
  return d;
}
let DataLength: i32 = 0;

/** The value name the user typed: `(Default)` and `""` are the default value. */
function ValueName(s: string): string { return s == "(Default)" || s == "\"\"" ? "" : s; }

/** Flushes `h`'s hive; prints and returns the status when it fails. */
function Flush(command: string, h: u32): u32 {
  const status = NtFlushKey(h);
  if (status != STATUS_SUCCESS) ShStatus(command + ": NtFlushKey", <i32>status);
  return status;
}

/** reg add KEY [VALUE [TYPE DATA]] */
function Add(key: string, path: string, args: Array<string>): i32 {
  let type: i32 = REG_SZ;
  if (args.length >= 4) {
    type = TypeOf(args[3]);
    if (type < 0) { ShWriteLine("reg add: unknown type " + args[3] + " (REG_SZ, REG_EXPAND_SZ, REG_MULTI_SZ, REG_DWORD, REG_BINARY)"); return <i32>STATUS_INVALID_PARAMETER; }
  }
  const data = args.length >= 3 ? Data(<u32>type, args.slice(4, args.length)) : 0;
  if (args.length >= 3 && DataLength < 0) { ShWriteLine("reg add: the data is not a " + TypeName(<u32>type)); return <i32>STATUS_INVALID_PARAMETER; }
  const keyCell = Slot();
  const created = Create(path, keyCell);
  if (created != STATUS_SUCCESS) return <i32>created;
  const h = load<u32>(keyCell);
  let status: u32 = STATUS_SUCCESS;
  if (args.length >= 3) {
    const name = ValueName(args[2]);
    status = NtSetValueKey(h, Unicode(name), 0, <u32>type, data, <u32>DataLength);
    if (status != STATUS_SUCCESS) ShStatus("reg add: NtSetValueKey " + args[2], <i32>status);
  }
  if (status == STATUS_SUCCESS) status = Flush("reg add", h);
  NtClose(h);
  if (status == STATUS_SUCCESS) {
    if (args.length >= 3) ShWriteLine("reg add: " + key + " " + (args[2].length != 0 ? args[2] : "(Default)") + " = " + TypeName(<u32>type) + ", "
      + DataLength.toString() + " bytes; flushed");
    else ShWriteLine("reg add: " + key + "; flushed");
  }
  return <i32>status;
}

/** reg delete KEY [VALUE] */
function Delete(key: string, path: string, args: Array<string>): i32 {
  let status: u32;
  if (args.length >= 3) {
    const keyCell = Slot();
    const opened = Open("reg delete", path, KEY_READ | KEY_WRITE, keyCell);
    if (opened != STATUS_SUCCESS) return <i32>opened;
    const h = load<u32>(keyCell);
    status = NtDeleteValueKey(h, Unicode(ValueName(args[2])));
    if (status != STATUS_SUCCESS) ShStatus("reg delete: NtDeleteValueKey " + args[2], <i32>status);
    else status = Flush("reg delete", h);
    NtClose(h);
    if (status == STATUS_SUCCESS) ShWriteLine("reg delete: " + key + " " + args[2] + " deleted; flushed");
    return <i32>status;
  }
  const keyCell = Slot();
  const opened = Open("reg delete", path, DELETE | KEY_READ, keyCell);
  if (opened != STATUS_SUCCESS) return <i32>opened;
  const h = load<u32>(keyCell);
  status = NtDeleteKey(h);
  NtClose(h);
  if (status != STATUS_SUCCESS) { ShStatus("reg delete: NtDeleteKey " + path, <i32>status); return <i32>status; }
  // The key is gone: its parent's hive is what gets flushed.
  if (Open("reg delete", path.substring(0, path.lastIndexOf("\\")), KEY_READ, keyCell) == STATUS_SUCCESS) {
    const parent = load<u32>(keyCell);
    status = Flush("reg delete", parent);
    NtClose(parent);
  }
  if (status == STATUS_SUCCESS) ShWriteLine("reg delete: " + key + " deleted; flushed");
  return <i32>status;
}

export function Reg(args: Array<string>): i32 {
  const verb = args.length >= 2 ? UpperAscii(args[0]) : "";
  if (verb != "QUERY" && verb != "ADD" && verb != "DELETE") {
    ShWriteLine("usage: reg query KEY [VALUE] | reg add KEY [VALUE [TYPE DATA]] | reg delete KEY [VALUE]");
    return <i32>STATUS_INVALID_PARAMETER;
  }
  const path = KeyPath(args[1]);
  if (path.length == 0) { ShWriteLine("reg: " + args[1] + ": a key starts with HKLM, HKU or \\Registry"); return <i32>STATUS_INVALID_PARAMETER; }
  if (verb == "QUERY") return Query(args[1], path, args.length >= 3 ? ValueName(args[2]) : null);
  if (verb == "ADD") return Add(args[1], path, args);
  return Delete(args[1], path, args);
}
