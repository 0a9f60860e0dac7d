// The registry helpers drivers and native programs use: RtlQueryRegistryValues
// (a table of values to read, each handed to a callback or stored
// directly), RtlWriteRegistryValue, RtlCheckRegistryKey,
// RtlCreateRegistryKey, RtlDeleteRegistryValue; all on NtOpenKey,
// NtQueryValueKey, NtEnumerateValueKey, NtSetValueKey.
//
//   RTL_QUERY_REGISTRY_TABLE (x86, 28 bytes)
//     +0 QueryRoutine  +4 Flags  +8 Name (PWSTR)  +12 EntryContext
//     +16 DefaultType  +20 DefaultData  +24 DefaultLength
//
//   QueryRoutine(ValueName, ValueType, ValueData, ValueLength, Context, EntryContext): NTSTATUS
//
// Paths are relative to a root chosen by RelativeTo (the table below) or a
// key handle (RTL_REGISTRY_HANDLE). The table ends at an entry with no
// QueryRoutine and none of SUBKEY, TOPKEY, DIRECT. Per entry:
//   SUBKEY    Name is a subkey of the path's key; the entries after it read
//             that key (until TOPKEY or the next SUBKEY); with a QueryRoutine
//             every value of the subkey goes to it. A missing subkey that is
//             not REQUIRED skips the entries that would read it.
//   TOPKEY    back to the path's key.
//   Name      one value; missing: REQUIRED gives STATUS_OBJECT_NAME_NOT_FOUND,
//             else DefaultType/DefaultData stand in (REG_NONE: skipped).
//   no Name   every value of the key (NOVALUE: one call with no value).
//   DIRECT    no routine: strings go to the UNICODE_STRING at EntryContext
//             (a NULL Buffer is allocated from the process heap), data up to a
//             ULONG is copied there, longer data goes to a buffer whose first
//             LONG is its size (negative: data only; positive: length, type,
//             then data).
//   NOEXPAND  REG_EXPAND_SZ is passed as it is (else expanded with the
//             Environment argument and passed as REG_SZ) and REG_MULTI_SZ
//             whole (else one REG_SZ call per string).
//   DELETE    the value is deleted after it was passed on.
// A routine's failure status ends the query and is returned.
//
// The routine is a raw address in any module of the process: it is called
// through RtlpCallQueryRoutine, a stdcall helper the DLL linker provides
// (scripts/pe/ntdll.ts); the Node tests' stand-in calls their wasm table.

import {
  NtOpenKey, NtCreateKey, NtClose, NtQueryValueKey, NtEnumerateValueKey, NtSetValueKey, NtDeleteValueKey, RtlpProcessHeap, RtlpWcsLen, RtlpInitObjectAttributes,
} from "./nt";
/** Calls QueryRoutine(ValueName, ValueType, ValueData, ValueLength, Context, EntryContext) at a raw address (stdcall). */
@external("ntdll", "RtlpCallQueryRoutine") declare function RtlpCallQueryRoutine(routine: usize, name: usize, type: u32, data: usize, length: u32, context: usize, entryContext: usize): u32;

import { RtlAllocateHeap, RtlFreeHeap, RtlSizeHeap, RtlpAllocateScratch, RtlpFreeScratch } from "./heap";
import { RtlExpandEnvironmentStrings_U } from "./env";
import { setString } from "./string";
import {
  NT_SUCCESS, STATUS_BUFFER_OVERFLOW, STATUS_BUFFER_TOO_SMALL, STATUS_INVALID_PARAMETER,
  STATUS_NO_MEMORY, STATUS_NO_MORE_ENTRIES, STATUS_OBJECT_NAME_NOT_FOUND, STATUS_SUCCESS,
} from "../../../kernel/sdk/ntstatus";
import { OBJ_CASE_INSENSITIVE, OBJECT_ATTRIBUTES, UNICODE_STRING } from "../../../kernel/sdk/ntdef";
import { KeyValueFullInformation, KEY_VALUE_FULL_INFORMATION } from "../../../kernel/sdk/keyinfo";

export const RTL_REGISTRY_ABSOLUTE: u32 = 0;
export const RTL_REGISTRY_SERVICES: u32 = 1;
export const RTL_REGISTRY_CONTROL: u32 = 2;
export const RTL_REGISTRY_WINDOWS_NT: u32 = 3;
export const RTL_REGISTRY_DEVICEMAP: u32 = 4;
export const RTL_REGISTRY_USER: u32 = 5;
export const RTL_REGISTRY_HANDLE: u32 = 0x40000000;
export const RTL_REGISTRY_OPTIONAL: u32 = 0x80000000;

export const RTL_QUERY_REGISTRY_SUBKEY: u32 = 0x01;
export const RTL_QUERY_REGISTRY_TOPKEY: u32 = 0x02;
export const RTL_QUERY_REGISTRY_REQUIRED: u32 = 0x04;
export const RTL_QUERY_REGISTRY_NOVALUE: u32 = 0x08;
export const RTL_QUERY_REGISTRY_NOEXPAND: u32 = 0x10;
export const RTL_QUERY_REGISTRY_DIRECT: u32 = 0x20;
export const RTL_QUERY_REGISTRY_DELETE: u32 = 0x40;

const REG_NONE: u32 = 0, REG_SZ: u32 = 1, REG_EXPAND_SZ: u32 = 2, REG_MULTI_SZ: u32 = 7;
const KEY_READ: u32 = 0x20019, KEY_WRITE: u32 = 0x20006, KEY_ALL_ACCESS: u32 = 0xF003F;
const ENTRY_SIZE: u32 = 28;

/** The root path of a RelativeTo value, or null for ABSOLUTE / unknown. */
function rootPath(relativeTo: u32): string | null {
  switch (relativeTo) {
    case RTL_REGISTRY_SERVICES: return "\\Registry\\Machine\\System\\CurrentControlSet\\Services";
    case RTL_REGISTRY_CONTROL: return "\\Registry\\Machine\\System\\CurrentControlSet\\Control";
    case RTL_REGISTRY_WINDOWS_NT: return "\\Registry\\Machine\\Software\\Microsoft\\Windows NT\\CurrentVersion";
    case RTL_REGISTRY_DEVICEMAP: return "\\Registry\\Machine\\Hardware\\DeviceMap";
    case RTL_REGISTRY_USER: return "\\Registry\\User\\.Default";
  }
  return null;
}

/**
 * Opens (or with `create`, creates) the key for RelativeTo/Path into
 * `*handle`. With RTL_REGISTRY_HANDLE, Path is the handle itself and
 * `*owned` is 0 (the caller's handle is not closed).
 */
function openKey(relativeTo: u32, path: usize, create: bool, access: u32, handle: usize, owned: usize): u32 {
  store<u32>(owned, 0);
  if ((relativeTo & RTL_REGISTRY_HANDLE) != 0) { store<u32>(handle, <u32>path); return STATUS_SUCCESS; }
  const which = relativeTo & ~RTL_REGISTRY_OPTIONAL;
  if (which > RTL_REGISTRY_USER) return STATUS_INVALID_PARAMETER;
  const root = rootPath(which);
  const rootChars: u32 = root != null ? <u32>root.length : 0;
  const pathChars: u32 = path != 0 ? RtlpWcsLen(path) : 0;
  const heap = RtlpProcessHeap();
  const block = RtlAllocateHeap(heap, 0, 32 + ((rootChars + 1 + pathChars) << 1));
  if (block == 0) return STATUS_NO_MEMORY;
  const name = block, oa = name + offsetof<UNICODE_STRING>(), text = oa + offsetof<OBJECT_ATTRIBUTES>();
  let n: u32 = 0;
  if (root != null) {
    for (let i: u32 = 0; i < rootChars; i++) store<u16>(text + (i << 1), <u16>root.charCodeAt(<i32>i));
    n = rootChars;
    if (pathChars != 0 && load<u16>(path) != 0x5C) { store<u16>(text + (n << 1), 0x5C); n++; }
  }
  memory.copy(text + (n << 1), path, pathChars << 1);
  n += pathChars;
  setString(name, n << 1, n << 1, text);
  RtlpInitObjectAttributes(oa, name, OBJ_CASE_INSENSITIVE, 0);
  const status = create ? NtCreateKey(handle, access, oa, 0, 0, 0, 0) : NtOpenKey(handle, access, oa);
  RtlFreeHeap(heap, 0, block);
  if (NT_SUCCESS(status)) store<u32>(owned, 1);
  return status;
}

/** Opens `name` (a NUL-terminated subkey path) under `parent`. */
function openSubkey(parent: u32, name: usize, handle: usize): u32 {
  const block = RtlpAllocateScratch(32);
  if (block == 0) return STATUS_NO_MEMORY;
  const us = block, oa = us + offsetof<UNICODE_STRING>();
  const bytes = RtlpWcsLen(name) << 1;
  setString(us, bytes, bytes, name);
  RtlpInitObjectAttributes(oa, us, OBJ_CASE_INSENSITIVE, parent);
  const status = NtOpenKey(handle, KEY_READ, oa);
  RtlpFreeScratch(block);
  return status;
}

// ---- one value handed to the routine or stored ----

/** Bytes of a default REG_SZ/EXPAND_SZ (with NUL) or MULTI_SZ (with both NULs) given with length 0. */
function defaultLength(type: u32, data: usize, length: u32): u32 {
  if (length != 0 || data == 0) return length;
  if (type == REG_SZ || type == REG_EXPAND_SZ) return (RtlpWcsLen(data) + 1) << 1;
  if (type == REG_MULTI_SZ) {
    let p = data;
    while (load<u16>(p) != 0) p += (RtlpWcsLen(p) + 1) << 1;
    return <u32>(p - data) + 2;
  }
  return length;
}

/** Stores a value for an RTL_QUERY_REGISTRY_DIRECT entry at `entryContext`. */
function storeDirect(type: u32, data: usize, length: u32, entryContext: usize): u32 {
  if (type == REG_SZ || type == REG_EXPAND_SZ || type == REG_MULTI_SZ) {
    let bytes = length & ~1;
    if (type != REG_MULTI_SZ && bytes >= 2 && load<u16>(data + bytes - 2) == 0) bytes -= 2; // text without its NUL
    if (bytes > 0xFFFC) return STATUS_BUFFER_TOO_SMALL;
    let buffer = load<usize>(entryContext, 4);
    if (buffer == 0) {
      buffer = RtlAllocateHeap(RtlpProcessHeap(), 0, bytes + 2);
      if (buffer == 0) return STATUS_NO_MEMORY;
      store<u16>(entryContext, <u16>(bytes + 2), 2);
      store<usize>(entryContext, buffer, 4);
    } else if (<u32>load<u16>(entryContext, 2) < bytes + 2) {
      return STATUS_BUFFER_TOO_SMALL;
    }
    memory.copy(buffer, data, bytes);
    store<u16>(buffer + bytes, 0);
    store<u16>(entryContext, <u16>bytes);
    return STATUS_SUCCESS;
  }
  if (length <= 4) { memory.copy(entryContext, data, length); return STATUS_SUCCESS; }
  const size = load<i32>(entryContext);
  if (size < 0) {
    if (<u32>(-size) < length) return STATUS_BUFFER_TOO_SMALL;
    memory.copy(entryContext, data, length);
    return STATUS_SUCCESS;
  }
  if (<u32>size < length + 8) return STATUS_BUFFER_TOO_SMALL;
  store<u32>(entryContext, length);
  store<u32>(entryContext, type, 4);
  memory.copy(entryContext + 8, data, length);
  return STATUS_SUCCESS;
}

/** Hands one value (already typed and sized) to the entry's routine, or stores it (DIRECT). */
function deliver(entry: usize, name: usize, type: u32, data: usize, length: u32, context: usize): u32 {
  const entryContext = load<usize>(entry, 12);
  if ((load<u32>(entry, 4) & RTL_QUERY_REGISTRY_DIRECT) != 0) return storeDirect(type, data, length, entryContext);
  return RtlpCallQueryRoutine(load<usize>(entry), name, type, data, length, context, entryContext);
}

/** Expands and splits as the entry's flags ask, then delivers. */
function processValue(entry: usize, name: usize, type: u32, data: usize, length: u32, context: usize, environment: usize): u32 {
  const flags = load<u32>(entry, 4);
  const noExpand = (flags & RTL_QUERY_REGISTRY_NOEXPAND) != 0;
  if (type == REG_MULTI_SZ && !noExpand && (flags & RTL_QUERY_REGISTRY_DIRECT) == 0) {
    // One REG_SZ per string, each with its NUL.
    const end = data + (length & ~1);
    let p = data;
    while (p < end && load<u16>(p) != 0) {
      let q = p;
      while (q < end && load<u16>(q) != 0) q += 2;
      const status = deliver(entry, name, REG_SZ, p, <u32>(q - p) + 2, context);
      if (!NT_SUCCESS(status)) return status;
      p = q + 2;
    }
    return STATUS_SUCCESS;
  }
  if (type == REG_EXPAND_SZ && !noExpand) {
    const heap = RtlpProcessHeap();
    const block = RtlAllocateHeap(heap, 0, 24);
    if (block == 0) return STATUS_NO_MEMORY;
    const source = block, dest = block + 8, needed = block + 16;
    let chars = (length >> 1);
    if (chars > 0 && load<u16>(data + ((chars - 1) << 1)) == 0) chars--;
    setString(source, chars << 1, chars << 1, data);
    let capacity: u32 = (chars << 1) + 256;
    let status: u32 = STATUS_BUFFER_TOO_SMALL;
    let out: usize = 0;
    for (let attempt = 0; attempt < 2 && status == STATUS_BUFFER_TOO_SMALL; attempt++) {
      if (capacity > 0xFFFE) capacity = 0xFFFE;
      out = RtlAllocateHeap(heap, 0, capacity);
      if (out == 0) { status = STATUS_NO_MEMORY; break; }
      setString(dest, 0, capacity, out);
      status = RtlExpandEnvironmentStrings_U(environment, source, dest, needed);
      if (status == STATUS_BUFFER_TOO_SMALL) { RtlFreeHeap(heap, 0, out); out = 0; capacity = load<u32>(needed); }
    }
    if (NT_SUCCESS(status)) status = deliver(entry, name, REG_SZ, out, <u32>load<u16>(dest) + 2, context);
    if (out != 0) RtlFreeHeap(heap, 0, out);
    RtlFreeHeap(heap, 0, block);
    return status;
  }
  return deliver(entry, name, type, data, length, context);
}

// ---- reading values ----

/**
 * KEY_VALUE_FULL_INFORMATION of value `name` (a UNICODE_STRING; 0 with
 * `index` to enumerate) into a heap block at `*info` (grown as needed).
 */
function readValue(key: u32, name: usize, index: u32, info: usize): u32 {
  const heap = RtlpProcessHeap();
  const result = info + 4; // the caller's word after the block pointer (RtlQueryRegistryValues: +16)
  let size: u32 = 512;
  for (let attempt = 0; attempt < 4; attempt++) {
    let block = load<usize>(info);
    if (block == 0 || RtlSizeHeap(heap, 0, block) < size) {
      if (block != 0) RtlFreeHeap(heap, 0, block);
      block = RtlAllocateHeap(heap, 0, size);
      store<usize>(info, block);
      if (block == 0) return STATUS_NO_MEMORY;
    }
    size = RtlSizeHeap(heap, 0, block);
    const status = name != 0
      ? NtQueryValueKey(key, name, KeyValueFullInformation, block, size, result)
      : NtEnumerateValueKey(key, index, KeyValueFullInformation, block, size, result);
    if (status != STATUS_BUFFER_OVERFLOW && status != STATUS_BUFFER_TOO_SMALL) return status;
    size = load<u32>(result) + 2;
  }
  return STATUS_BUFFER_OVERFLOW; // the value kept growing
}


/** Delivers a KEY_VALUE_FULL_INFORMATION; the name is copied out NUL-terminated for the routine. */
function deliverInfo(entry: usize, info: usize, context: usize, environment: usize): u32 {
  const v = changetype<KEY_VALUE_FULL_INFORMATION>(info);
  const nameBytes = v.NameLength;
  const heap = RtlpProcessHeap();
  const name = RtlAllocateHeap(heap, 0, nameBytes + 2);
  if (name == 0) return STATUS_NO_MEMORY;
  memory.copy(name, info + offsetof<KEY_VALUE_FULL_INFORMATION>("Name"), nameBytes);
  store<u16>(name + nameBytes, 0);
  const status = processValue(entry, name, v.Type, info + v.DataOffset, v.DataLength, context, environment);
  RtlFreeHeap(heap, 0, name);
  return status;
}

/** The entry's default value, if it has one (REG_NONE: none). */
function deliverDefault(entry: usize, context: usize, environment: usize): u32 {
  const type = load<u32>(entry, 16);
  if (type == REG_NONE) return STATUS_SUCCESS;
  const data = load<usize>(entry, 20);
  return processValue(entry, load<usize>(entry, 8), type, data, defaultLength(type, data, load<u32>(entry, 24)), context, environment);
}

/** Every value of `key` (or the default when there are none). */
function queryAll(entry: usize, key: u32, info: usize, context: usize, environment: usize): u32 {
  const flags = load<u32>(entry, 4);
  let index: u32 = 0;
  for (;; index++) {
    const status = readValue(key, 0, index, info);
    if (status == STATUS_NO_MORE_ENTRIES) break;
    if (!NT_SUCCESS(status)) return status;
    const delivered = deliverInfo(entry, load<usize>(info), context, environment);
    if (!NT_SUCCESS(delivered)) return delivered;
  }
  if (index == 0) {
    if ((flags & RTL_QUERY_REGISTRY_REQUIRED) != 0) return STATUS_OBJECT_NAME_NOT_FOUND;
    return deliverDefault(entry, context, environment);
  }
  return STATUS_SUCCESS;
}

/** Reads the values a query table names (see the header). */
export function RtlQueryRegistryValues(relativeTo: u32, path: usize, table: usize, context: usize, environment: usize): u32 {
  // On the heap, not static: a query routine may query the registry itself.
  const heap = RtlpProcessHeap();
  const handles = RtlAllocateHeap(heap, 8, 28); // +0 top key, +4 owned, +8 subkey, +12 the info block, +16 its result length, +20 a name
  if (handles == 0) return STATUS_NO_MEMORY;
  let status = openKey(relativeTo, path, false, KEY_READ, handles, handles + 4);
  if (!NT_SUCCESS(status)) { RtlFreeHeap(heap, 0, handles); return status; }
  const top = load<u32>(handles), ownsTop = load<u32>(handles, 4) != 0;
  let current = top;
  let skipping = false;
  const us = handles + 20;
  for (let entry = table; ; entry += ENTRY_SIZE) {
    const routine = load<u32>(entry), flags = load<u32>(entry, 4), name = load<usize>(entry, 8);
    if (routine == 0 && (flags & (RTL_QUERY_REGISTRY_SUBKEY | RTL_QUERY_REGISTRY_TOPKEY | RTL_QUERY_REGISTRY_DIRECT)) == 0) break;
    if ((flags & RTL_QUERY_REGISTRY_DIRECT) != 0 && name == 0) { status = STATUS_INVALID_PARAMETER; break; }
    if ((flags & (RTL_QUERY_REGISTRY_SUBKEY | RTL_QUERY_REGISTRY_TOPKEY)) != 0) {
      if (current != top) NtClose(current);
      current = top;
      skipping = false;
    }
    if ((flags & RTL_QUERY_REGISTRY_SUBKEY) != 0) {
      if (name == 0) { status = STATUS_INVALID_PARAMETER; break; }
      status = openSubkey(top, name, handles + 8);
      if (!NT_SUCCESS(status)) {
        if ((flags & RTL_QUERY_REGISTRY_REQUIRED) != 0) break;
        status = STATUS_SUCCESS;
        skipping = true;
        continue;
      }
      current = load<u32>(handles, 8);
      if (routine != 0) {
        status = queryAll(entry, current, handles + 12, context, environment);
        if (!NT_SUCCESS(status)) break;
      }
      continue;
    }
    if (skipping || (flags & RTL_QUERY_REGISTRY_TOPKEY) != 0 && routine == 0) continue;
    if (name == 0) {
      if ((flags & RTL_QUERY_REGISTRY_NOVALUE) != 0) status = RtlpCallQueryRoutine(routine, 0, REG_NONE, 0, 0, context, load<usize>(entry, 12));
      else status = queryAll(entry, current, handles + 12, context, environment);
      if (!NT_SUCCESS(status)) break;
      continue;
    }
    const bytes = RtlpWcsLen(name) << 1;
    setString(us, bytes, bytes, name);
    status = readValue(current, us, 0, handles + 12);
    if (status == STATUS_OBJECT_NAME_NOT_FOUND) {
      if ((flags & RTL_QUERY_REGISTRY_REQUIRED) != 0) break;
      status = deliverDefault(entry, context, environment);
    } else if (NT_SUCCESS(status)) {
      const info = load<usize>(handles, 12);
      const v = changetype<KEY_VALUE_FULL_INFORMATION>(info);
      status = processValue(entry, name, v.Type, info + v.DataOffset, v.DataLength, context, environment);
      if (NT_SUCCESS(status) && (flags & RTL_QUERY_REGISTRY_DELETE) != 0) {
        setString(us, bytes, bytes, name);
        NtDeleteValueKey(current, us);
      }
    }
    if (!NT_SUCCESS(status)) break;
  }
  if (load<usize>(handles, 12) != 0) RtlFreeHeap(heap, 0, load<usize>(handles, 12));
  if (current != top) NtClose(current);
  if (ownsTop) NtClose(top);
  RtlFreeHeap(heap, 0, handles);
  return status;
}

// ---- writing and the small helpers ----

/** Sets value `valueName` of the key RelativeTo/Path (the key is created when missing). */
export function RtlWriteRegistryValue(relativeTo: u32, path: usize, valueName: usize, type: u32, data: usize, length: u32): u32 {
  const handles = RtlpAllocateScratch(16);
  if (handles == 0) return STATUS_NO_MEMORY;
  let status = openKey(relativeTo, path, true, KEY_WRITE, handles, handles + 4);
  if (!NT_SUCCESS(status)) { RtlpFreeScratch(handles); return status; }
  const us = handles + 8;
  const bytes = RtlpWcsLen(valueName) << 1;
  setString(us, bytes, bytes, valueName);
  status = NtSetValueKey(load<u32>(handles), us, 0, type, data, length);
  if (load<u32>(handles, 4) != 0) NtClose(load<u32>(handles));
  RtlpFreeScratch(handles);
  return status;
}

/** Deletes value `valueName` of the key RelativeTo/Path. */
export function RtlDeleteRegistryValue(relativeTo: u32, path: usize, valueName: usize): u32 {
  const handles = RtlpAllocateScratch(16);
  if (handles == 0) return STATUS_NO_MEMORY;
  let status = openKey(relativeTo, path, false, KEY_ALL_ACCESS, handles, handles + 4);
  if (!NT_SUCCESS(status)) { RtlpFreeScratch(handles); return status; }
  const us = handles + 8;
  const bytes = RtlpWcsLen(valueName) << 1;
  setString(us, bytes, bytes, valueName);
  status = NtDeleteValueKey(load<u32>(handles), us);
  if (load<u32>(handles, 4) != 0) NtClose(load<u32>(handles));
  RtlpFreeScratch(handles);
  return status;
}

/** STATUS_SUCCESS when the key RelativeTo/Path opens. */
export function RtlCheckRegistryKey(relativeTo: u32, path: usize): u32 {
  const handles = RtlpAllocateScratch(8);
  if (handles == 0) return STATUS_NO_MEMORY;
  const status = openKey(relativeTo, path, false, KEY_READ, handles, handles + 4);
  if (NT_SUCCESS(status) && load<u32>(handles, 4) != 0) NtClose(load<u32>(handles));
  RtlpFreeScratch(handles);
  return status;
}

/** Creates the key RelativeTo/Path (its parent must exist). */
export function RtlCreateRegistryKey(relativeTo: u32, path: usize): u32 {
  const handles = RtlpAllocateScratch(8);
  if (handles == 0) return STATUS_NO_MEMORY;
  const status = openKey(relativeTo, path, true, KEY_ALL_ACCESS, handles, handles + 4);
  if (NT_SUCCESS(status) && load<u32>(handles, 4) != 0) NtClose(load<u32>(handles));
  RtlpFreeScratch(handles);
  return status;
}
