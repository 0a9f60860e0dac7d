// Reading the registry: keys, values with their types, and the checks that
// NT's Session Manager applies to what it reads (a value of the wrong type
// or an odd length falls back to its default, with a log line).
//
// A REG_MULTI_SZ is parsed by the value's length, not by its first empty
// string: PendingFileRenameOperations holds empty strings (a delete's
// target) in the middle of the list.

import {
  NtOpenKey, NtQueryValueKey, NtEnumerateValueKey, NtClose, KEY_READ, REG_SZ, REG_EXPAND_SZ, REG_DWORD, REG_MULTI_SZ,
  STATUS_SUCCESS, STATUS_OBJECT_NAME_NOT_FOUND, STATUS_BUFFER_OVERFLOW, STATUS_BUFFER_TOO_SMALL,
} from "./ntapi";
import { SmpAttributes, SmpLog, SmpSlot, SmpStringAt, SmpUnicode, SmpDecimal } from "./smutil";
import {
  KeyValueFullInformation, KeyValuePartialInformation, KEY_VALUE_FULL_INFORMATION, KEY_VALUE_PARTIAL_INFORMATION,
} from "../kernel/sdk/keyinfo";


/** One registry value: its name, type and a private copy of its data. */
export class SmpValue {
  constructor(public name: string, public type: u32, public data: usize, public length: u32) {}
  /** The data as a string, up to its first NUL (REG_SZ, REG_EXPAND_SZ). */
  text(): string { return SmpStringAt(this.data, this.length); }
}

const handleSlot = SmpSlot();

/** Opens `path` (an NT path, or relative to `root`) into `handle` (0 there on failure): NtOpenKey's status. */
export function SmpTryOpenKey(path: string, root: u32, access: u32, handle: usize): u32 {
  store<u32>(handle, 0);
  const status = NtOpenKey(handle, access, SmpAttributes(path, 0, root));
  if (status != STATUS_SUCCESS) store<u32>(handle, 0);
  return status;
}

/** Opens `path` (an NT path, or relative to `root`): the handle, or 0 (SmpTryOpenKey says why). */
export function SmpOpenKey(path: string, root: u32, access: u32): u32 {
  return SmpTryOpenKey(path, root, access, handleSlot) == STATUS_SUCCESS ? load<u32>(handleSlot) : 0;
}

let buffer: usize = 0;
let bufferSize: u32 = 0;
function room(size: u32): usize {
  if (size > bufferSize) { buffer = heap.alloc(size); bufferSize = size; }
  return buffer;
}

/** The length a too-small answer asked for is one to retry with: more than `size`, at most 1 MB (NT's largest value). */
function SmpLargerRoom(needed: u32, size: u32): bool { return needed + 16 > size && needed <= 0x100000; }

/** The value `name` of `key`, or null when it is missing. */
export function SmpQueryValue(key: u32, name: string): SmpValue | null {
  if (key == 0) return null;
  const u = SmpUnicode(name);
  const result = SmpSlot();
  let size: u32 = 512;
  let status: u32;
  while (true) {
    store<u32>(result, 0);
    status = NtQueryValueKey(key, u, KeyValuePartialInformation, room(size), size, result);
    if (status != STATUS_BUFFER_OVERFLOW && status != STATUS_BUFFER_TOO_SMALL) break;
    if (!SmpLargerRoom(load<u32>(result), size)) return null; // a length that would not fit better: no value
    size = load<u32>(result) + 16;
  }
  if (status != STATUS_SUCCESS) return null;
  const info = changetype<KEY_VALUE_PARTIAL_INFORMATION>(buffer);
  const length = info.DataLength;
  if (length > size - offsetof<KEY_VALUE_PARTIAL_INFORMATION>("Data")) return null; // more than the answer held
  const data = heap.alloc(length + 2);
  memory.copy(data, buffer + offsetof<KEY_VALUE_PARTIAL_INFORMATION>("Data"), length);
  store<u16>(data + length, 0);
  return new SmpValue(name, info.Type, data, length);
}

/** Every value of `key`, in the key's order. */
export function SmpEnumerateValues(key: u32): SmpValue[] {
  const values = new Array<SmpValue>();
  if (key == 0) return values;
  const result = SmpSlot();
  for (let index: u32 = 0; ; index++) {
    let size: u32 = 1024;
    let status: u32;
    while (true) {
      store<u32>(result, 0);
      status = NtEnumerateValueKey(key, index, KeyValueFullInformation, room(size), size, result);
      if (status != STATUS_BUFFER_OVERFLOW && status != STATUS_BUFFER_TOO_SMALL) break;
      if (!SmpLargerRoom(load<u32>(result), size)) return values;
      size = load<u32>(result) + 16;
    }
    if (status != STATUS_SUCCESS) break;
    const info = changetype<KEY_VALUE_FULL_INFORMATION>(buffer);
    const type = info.Type, offset = info.DataOffset, length = info.DataLength;
    // Lengths and offsets from the kernel are used only inside the answer they describe.
    if (offset > size || length > size - offset || info.NameLength > size - offsetof<KEY_VALUE_FULL_INFORMATION>("Name")) break;
    const name = String.UTF16.decodeUnsafe(buffer + offsetof<KEY_VALUE_FULL_INFORMATION>("Name"), info.NameLength);
    const data = heap.alloc(length + 2);
    memory.copy(data, buffer + offset, length);
    store<u16>(data + length, 0);
    values.push(new SmpValue(name, type, data, length));
  }
  return values;
}

/** The strings of a REG_MULTI_SZ's data, empty ones kept, the list's terminator dropped. */
export function SmpParseMultiSz(data: usize, length: u32): string[] {
  const list = new Array<string>();
  const chars = length >> 1;
  let start: u32 = 0;
  for (let i: u32 = 0; i < chars; i++) {
    if (load<u16>(data + (i << 1)) == 0) {
      list.push(String.UTF16.decodeUnsafe(data + (start << 1), (i - start) << 1));
      start = i + 1;
    }
  }
  // Text after the last NUL (a value written without its terminator) still counts.
  if (start < chars) list.push(String.UTF16.decodeUnsafe(data + (start << 1), (chars - start) << 1));
  // The empty string that ends a MULTI_SZ.
  else if (list.length != 0 && list[list.length - 1].length == 0) list.pop();
  return list;
}

function typeName(type: u32): string {
  if (type == REG_SZ) return "REG_SZ";
  if (type == REG_EXPAND_SZ) return "REG_EXPAND_SZ";
  if (type == REG_DWORD) return "REG_DWORD";
  if (type == REG_MULTI_SZ) return "REG_MULTI_SZ";
  return "type " + SmpDecimal(type);
}

/**
 * A REG_MULTI_SZ value as its list (`keepEmpty`: the empty strings stay, as
 * renames need); missing: `fallback` quietly; wrong type or odd length:
 * `fallback` with a log line.
 */
export function SmpReadMultiSz(key: u32, name: string, fallback: string[], keepEmpty: bool = false): string[] {
  const v = SmpQueryValue(key, name);
  if (v == null) return fallback;
  if (v.type != REG_MULTI_SZ && v.type != REG_SZ) {
    SmpLog("configuration", name + " is " + typeName(v.type) + ", not REG_MULTI_SZ - using the default");
    return fallback;
  }
  if ((v.length & 1) != 0) {
    SmpLog("configuration", name + " has an odd length (" + SmpDecimal(v.length) + " bytes) - using the default");
    return fallback;
  }
  const list = SmpParseMultiSz(v.data, v.length);
  if (keepEmpty) return list;
  const out = new Array<string>();
  for (let i = 0; i < list.length; i++) if (list[i].length != 0) out.push(list[i]);
  return out;
}

/** A REG_DWORD value, or `fallback` (with a log line when the value is there but malformed). */
export function SmpReadDword(key: u32, name: string, fallback: u32): u32 {
  const v = SmpQueryValue(key, name);
  if (v == null) return fallback;
  if (v.type != REG_DWORD || v.length != 4) {
    SmpLog("configuration", name + " is " + typeName(v.type) + " of " + SmpDecimal(v.length) + " bytes, not a REG_DWORD - using the default");
    return fallback;
  }
  return load<u32>(v.data);
}

/** A REG_SZ or REG_EXPAND_SZ value (unexpanded; `expand` tells which it was), or `fallback`. */
export function SmpReadString(key: u32, name: string, fallback: string): string {
  const v = SmpQueryValue(key, name);
  if (v == null) return fallback;
  if ((v.type != REG_SZ && v.type != REG_EXPAND_SZ) || (v.length & 1) != 0) {
    SmpLog("configuration", name + " is " + typeName(v.type) + " of " + SmpDecimal(v.length) + " bytes, not a string - using the default");
    return fallback;
  }
  SmpLastStringExpand = v.type == REG_EXPAND_SZ;
  return v.text();
}
export let SmpLastStringExpand = false;

/** Whether `path` names an existing key. */
export function SmpKeyExists(path: string): bool {
  const status = SmpTryOpenKey(path, 0, KEY_READ, handleSlot);
  if (status != STATUS_SUCCESS) return status != STATUS_OBJECT_NAME_NOT_FOUND && status != 0xC000003A;
  NtClose(load<u32>(handleSlot));
  return true;
}

/** `true` for a value smss can take as text (REG_SZ or REG_EXPAND_SZ, even length). */
export function SmpIsText(v: SmpValue): bool {
  return (v.type == REG_SZ || v.type == REG_EXPAND_SZ) && (v.length & 1) == 0;
}

export { typeName as SmpTypeName };
