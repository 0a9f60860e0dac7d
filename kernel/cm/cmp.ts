// The configuration manager's registry tree in memory.
//
// Every key is a CM_KEY in nonpaged pool, its name right after it; its
// subkeys are an array of pointers kept sorted by upcased name (the order
// NtEnumerateKey returns and the order a hive's lh lists need), its values
// an array in the order they were created (the order NtEnumerateValueKey
// returns). A value is one block: CM_VALUE, the name, then the data.
//
// Keys of a hive file are built on first use, as NT works on the hive's
// cells in place: a loaded hive's image stays in pool (checked whole at
// load, regf.ts), and a key read from it is CM_KEY_LAZY -- its name and
// class are there, its subkeys and values are still the cells of its nk.
// Whatever looks at them (the find routines here, the enumerations, the
// writer) calls CmpExpand first, which builds them (the subkeys lazy in
// turn). A key that cannot be built (no pool) stays lazy and looks empty;
// nothing is added to it then, so nothing of the file is lost.
//
//   \REGISTRY                     volatile, the root (named object "\REGISTRY")
//     MACHINE                     volatile
//       SYSTEM                    the SYSTEM hive's root key (loaded from regf)
//         CurrentControlSet       volatile link -> ControlSet00N
//       HARDWARE                  volatile, built at boot (cmhw.ts)
//       SOFTWARE, SAM, SECURITY   other hives, after NtInitializeRegistry
//     USER
//       .DEFAULT                  the DEFAULT hive
//
// A key belongs to the hive its nearest hive root belongs to (CM_KEY.Hive);
// volatile keys are never written to a hive file. Key objects (handles) point
// at a CM_KEY and count as references on it: a deleted key leaves the tree
// at once but its memory stays until its last key object is gone, and every
// operation on it then answers STATUS_KEY_DELETED.
//
// One lock guards the tree: the object manager's (interrupts off; the
// parse procedure already runs under it). Nothing here waits.

import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { ExFreeSecurityDescriptor } from "../ex/security";
import { KeQuerySystemTime } from "../ke/wait";
import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import { cli, read_eflags, sti } from "../sdk/intrinsics";
import { RtlUpcaseUnicodeChar } from "../rtl/unicode";
import { CmpRegfExpandKey } from "./regfread";

export const CM_KEY_TAG: u32 = 0x794B6D43;   // 'CmKy'
export const CM_VALUE_TAG: u32 = 0x61566D43; // 'CmVa'
export const CM_ARRAY_TAG: u32 = 0x72416D43; // 'CmAr'
export const CM_NAME_TAG: u32 = 0x6D4E6D43;  // 'CmNm' captured names and scratch

// ---- CM_KEY.Flags ----
export const CM_KEY_VOLATILE: u32 = 0x01;   // never written to a hive file
export const CM_KEY_LINK: u32 = 0x02;       // a symbolic link: SymbolicLinkValue names the target
export const CM_KEY_DELETED: u32 = 0x04;    // out of the tree; handles answer STATUS_KEY_DELETED
export const CM_KEY_HIVE_ROOT: u32 = 0x08;  // the root key of a hive (cannot be deleted)
export const CM_KEY_NO_DELETE: u32 = 0x10;  // a master key (\REGISTRY, MACHINE, USER, HARDWARE)
export const CM_KEY_LAZY: u32 = 0x20;       // from a hive file, its subkeys and values not built yet: they are the nk cell's (View, Cell)

// ---- value types (winnt.h) ----
export const REG_NONE: u32 = 0;
export const REG_SZ: u32 = 1;
export const REG_EXPAND_SZ: u32 = 2;
export const REG_BINARY: u32 = 3;
export const REG_DWORD: u32 = 4;
export const REG_LINK: u32 = 6;
export const REG_MULTI_SZ: u32 = 7;
export const REG_RESOURCE_LIST: u32 = 8;
export const REG_QWORD: u32 = 11;

/** The longest key name component and value name, in characters (as NT). */
export const CM_MAX_KEY_NAME_CHARS: u32 = 255;
export const CM_MAX_VALUE_NAME_CHARS: u32 = 16383;
/** The largest value a caller may set (bytes); NT allows about 1 MiB in a hive. */
export const CM_MAX_VALUE_DATA: u32 = 0x100000;

@unmanaged export class CM_KEY {
  Parent: usize;
  Hive: u32;            // index + 1 of the hive (cmhive.ts), 0 for the volatile master keys
  Flags: u32;
  References: u32;      // key objects pointing here
  SubKeys: usize;       // CM_KEY* array, sorted by upcased name
  SubKeyCount: u32;
  SubKeyCapacity: u32;
  Values: usize;        // CM_VALUE* array, creation order
  ValueCount: u32;
  ValueCapacity: u32;
  LastWriteTime: u64;
  Name: usize;          // UTF-16, right after the CM_KEY
  NameLength: u32;      // bytes
  Class: usize;         // UTF-16 (pool, CM_NAME_TAG) or 0
  ClassLength: u32;
  TitleIndex: u32;
  View: usize;          // CM_KEY_LAZY: the hive file's image (kept while the hive is loaded)
  Cell: u32;            // CM_KEY_LAZY: its nk cell's offset in the image's bins
  Security: usize;      // its own descriptor ('SeSd' pool, owned), or 0: its hive's (cmsecure.ts)
}
export const SIZEOF_CM_KEY: u32 = 84;

@unmanaged export class CM_VALUE {
  Type: u32;
  NameLength: u32;      // bytes; the name follows this header
  DataLength: u32;      // bytes; the data follows the name, 4-aligned
}
export const SIZEOF_CM_VALUE: u32 = 12;

@inline export function CmValueName(value: usize): usize { return value + SIZEOF_CM_VALUE; }
@inline export function CmValueData(value: usize): usize {
  return value + SIZEOF_CM_VALUE + ((changetype<CM_VALUE>(value).NameLength + 3) & ~3);
}
@inline export function CmKey(key: usize): CM_KEY { return changetype<CM_KEY>(key); }
/** Builds a lazy key's subkeys and values from its hive cells (regf.ts); false without pool (it stays lazy). */
@inline export function CmpExpand(key: usize): bool {
  return (CmKey(key).Flags & CM_KEY_LAZY) == 0 || CmpRegfExpandKey(key);
}
@inline export function CmSubKey(key: usize, index: u32): usize { return load<usize>(CmKey(key).SubKeys + (index << 2)); }
@inline export function CmValueAt(key: usize, index: u32): usize { return load<usize>(CmKey(key).Values + (index << 2)); }

// ---- names ----

/** Compares two UTF-16 names as NT orders registry names: by upcased code units, then by length. */
export function CmpCompareNames(a: usize, aLength: u32, b: usize, bLength: u32): i32 {
  const n = aLength < bLength ? aLength : bLength;
  for (let i: u32 = 0; i < n; i += 2) {
    let ca = <u32>load<u16>(a + i), cb = <u32>load<u16>(b + i);
    if (ca == cb) continue;
    // ASCII inline (most names); the table only for the rest
    if (ca < 0x80) { if (ca - 0x61 < 26) ca -= 0x20; } else ca = RtlUpcaseUnicodeChar(ca);
    if (cb < 0x80) { if (cb - 0x61 < 26) cb -= 0x20; } else cb = RtlUpcaseUnicodeChar(cb);
    if (ca != cb) return ca < cb ? -1 : 1;
  }
  if (aLength == bLength) return 0;
  return aLength < bLength ? -1 : 1;
}

/**
 * Finds the subkey `name` of `key` by binary search. Returns its index, or
 * (when missing) -(insertion index) - 1.
 */
export function CmpFindSubKeyIndex(key: usize, name: usize, nameLength: u32): i32 {
  CmpExpand(key);
  return CmpSearchSubKeys(key, name, nameLength);
}

/** CmpFindSubKeyIndex among the subkeys built so far (a lazy key has none): nothing is built or allocated (the debugger's). */
export function CmpSearchSubKeys(key: usize, name: usize, nameLength: u32): i32 {
  let low: i32 = 0, high: i32 = <i32>CmKey(key).SubKeyCount - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const sub = CmSubKey(key, <u32>middle);
    const c = CmpCompareNames(CmKey(sub).Name, CmKey(sub).NameLength, name, nameLength);
    if (c == 0) return middle;
    if (c < 0) low = middle + 1; else high = middle - 1;
  }
  return -low - 1;
}

export function CmpFindSubKey(key: usize, name: usize, nameLength: u32): usize {
  const index = CmpFindSubKeyIndex(key, name, nameLength);
  return index >= 0 ? CmSubKey(key, <u32>index) : 0;
}

/** The index of the value `name` (case-insensitive) of `key`, or -1. */
export function CmpFindValueIndex(key: usize, name: usize, nameLength: u32): i32 {
  CmpExpand(key);
  const k = CmKey(key);
  for (let i: u32 = 0; i < k.ValueCount; i++) {
    const v = CmValueAt(key, i);
    if (CmpCompareNames(CmValueName(v), changetype<CM_VALUE>(v).NameLength, name, nameLength) == 0) return <i32>i;
  }
  return -1;
}

export function CmpFindValue(key: usize, name: usize, nameLength: u32): usize {
  const index = CmpFindValueIndex(key, name, nameLength);
  return index >= 0 ? CmValueAt(key, <u32>index) : 0;
}

// ---- growable pointer arrays ----

/** Makes room for one more pointer in the array at `field` (count at +4, capacity at +8). False without pool. */
function CmpGrow(field: usize): bool {
  const count = load<u32>(field, 4), capacity = load<u32>(field, 8);
  if (count < capacity) return true;
  return CmpResize(field, capacity == 0 ? 4 : capacity * 2);
}

/**
 * Room for `count` subkeys and values in a key that has none yet, in one
 * allocation each (a hive load knows both counts from the nk cell). False
 * without pool.
 */
export function CmpReserve(key: usize, subKeys: u32, values: u32): bool {
  if (subKeys > CmKey(key).SubKeyCapacity && !CmpResize(key + offsetof<CM_KEY>("SubKeys"), subKeys)) return false;
  if (values > CmKey(key).ValueCapacity && !CmpResize(key + offsetof<CM_KEY>("Values"), values)) return false;
  return true;
}

function CmpResize(field: usize, newCapacity: u32): bool {
  const count = load<u32>(field, 4);
  const array = ExAllocatePoolWithTag(NonPagedPool, newCapacity << 2, CM_ARRAY_TAG);
  if (array == 0) return false;
  const old = load<usize>(field);
  if (old != 0) {
    memory.copy(array, old, count << 2);
    ExFreePoolWithTag(old, CM_ARRAY_TAG);
  }
  store<usize>(field, array);
  store<u32>(field, newCapacity, 8);
  return true;
}

function CmpInsertPointer(field: usize, index: u32, pointer: usize): void {
  const array = load<usize>(field), count = load<u32>(field, 4);
  memory.copy(array + ((index + 1) << 2), array + (index << 2), (count - index) << 2);
  store<usize>(array + (index << 2), pointer);
  store<u32>(field, count + 1, 4);
}

function CmpRemovePointer(field: usize, index: u32): void {
  const array = load<usize>(field), count = load<u32>(field, 4);
  memory.copy(array + (index << 2), array + ((index + 1) << 2), (count - index - 1) << 2);
  store<u32>(field, count - 1, 4);
}

// ---- keys ----

/** Marks `key` changed now: its write time, and its hive dirty. */
export function CmpTouch(key: usize): void {
  CmKey(key).LastWriteTime = KeQuerySystemTime();
  if ((CmKey(key).Flags & CM_KEY_VOLATILE) == 0) CmpMarkHiveDirty(CmKey(key).Hive);
}

/** Hive dirty bits, one per hive index + 1 (cmhive.ts reads and clears them). */
// Both changes are read-modify-writes done with interrupts off: some callers
// (the flusher's failure path, a hive's recovery) do not hold the tree's lock,
// and a switch between the read and the write would lose another's bit.
export let CmpDirtyHives: u32 = 0;
export function CmpMarkHiveDirty(hive: u32): void {
  if (hive == 0) return;
  const f = read_eflags() & 0x200; cli();
  CmpDirtyHives |= 1 << hive;
  if (f != 0) sti();
}
export function CmpDirtyHivesClear(bits: u32): void {
  const f = read_eflags() & 0x200; cli();
  CmpDirtyHives &= ~bits;
  if (f != 0) sti();
}

// ---- the registry's quota ----
//
// Keys and values live in pool for as long as the registry holds them,
// whoever made them and long after: a process cannot be charged for them
// (NT charges the registry's own global quota, CmpGlobalQuota). Their bytes
// are counted here, and past CM_REGISTRY_QUOTA a new key or value is refused
// (the callers answer STATUS_INSUFFICIENT_RESOURCES), so NtSetValueKey in a
// loop cannot take the machine's pool. Hives loaded at boot count too.

/** Most bytes of keys and values the registry holds (NT's RegistrySizeLimit is at least 4 MiB). */
export const CM_REGISTRY_QUOTA: u32 = 4 * 1024 * 1024;
/** Bytes of keys and values held now. */
export let CmpRegistryBytes: u32 = 0;

function CmpAllocateRegistryBlock(bytes: u32, tag: u32): usize {
  const f = read_eflags() & 0x200;
  cli();
  const ok = <u64>CmpRegistryBytes + bytes <= <u64>CM_REGISTRY_QUOTA;
  if (ok) CmpRegistryBytes += bytes;
  if (f != 0) sti();
  if (!ok) return 0;
  const block = ExAllocatePoolWithTag(NonPagedPool, bytes, tag);
  if (block == 0) CmpReturnRegistryBytes(bytes);
  return block;
}
function CmpReturnRegistryBytes(bytes: u32): void {
  const f = read_eflags() & 0x200;
  cli();
  CmpRegistryBytes = bytes <= CmpRegistryBytes ? CmpRegistryBytes - bytes : 0;
  if (f != 0) sti();
}
function CmpFreeRegistryBlock(block: usize, bytes: u32, tag: u32): void {
  ExFreePoolWithTag(block, tag);
  CmpReturnRegistryBytes(bytes);
}
export function CmpFreeValue(value: usize): void {
  const v = changetype<CM_VALUE>(value);
  CmpFreeRegistryBlock(value, SIZEOF_CM_VALUE + ((v.NameLength + 3) & ~3) + v.DataLength, CM_VALUE_TAG);
}

/**
 * A new key named by the `nameLength` bytes at `name`, not yet in the tree.
 * Returns 0 without pool.
 */
export function CmpAllocateKey(name: usize, nameLength: u32, flags: u32, hive: u32, time: u64): usize {
  const key = CmpAllocateKeyBlock(nameLength, flags, hive, time);
  if (key != 0) memory.copy(CmKey(key).Name, name, nameLength);
  return key;
}

/** CmpAllocateKey without the name: the caller writes its `nameLength` bytes at CmKey(key).Name. */
export function CmpAllocateKeyBlock(nameLength: u32, flags: u32, hive: u32, time: u64): usize {
  const key = CmpAllocateRegistryBlock(SIZEOF_CM_KEY + nameLength + 2, CM_KEY_TAG);
  if (key == 0) return 0;
  memory.fill(key, 0, SIZEOF_CM_KEY);
  const k = CmKey(key);
  k.Name = key + SIZEOF_CM_KEY;
  k.NameLength = nameLength;
  store<u16>(k.Name + nameLength, 0);
  k.Flags = flags;
  k.Hive = hive;
  k.LastWriteTime = time;
  return key;
}

/** Puts `child` (from CmpAllocateKey, not named like a sibling) under `parent`. False without pool. */
export function CmpLinkSubKey(parent: usize, child: usize): bool {
  const index = CmpFindSubKeyIndex(parent, CmKey(child).Name, CmKey(child).NameLength);
  if (index >= 0 || (CmKey(parent).Flags & CM_KEY_LAZY) != 0) return false; // (still lazy: its own subkeys could not be built)
  if (!CmpGrow(parent + offsetof<CM_KEY>("SubKeys"))) return false;
  CmpInsertPointer(parent + offsetof<CM_KEY>("SubKeys"), <u32>(-index - 1), child);
  CmKey(child).Parent = parent;
  return true;
}

/** Takes `key` out of its parent's subkeys (it stays allocated). */
export function CmpUnlinkSubKey(key: usize): void {
  const parent = CmKey(key).Parent;
  if (parent == 0) return;
  const index = CmpFindSubKeyIndex(parent, CmKey(key).Name, CmKey(key).NameLength);
  if (index >= 0 && CmSubKey(parent, <u32>index) == key) CmpRemovePointer(parent + offsetof<CM_KEY>("SubKeys"), <u32>index);
  CmKey(key).Parent = 0;
}

/** Sets the class of `key` (copies `length` bytes). False without pool. */
export function CmpSetClass(key: usize, text: usize, length: u32): bool {
  if (length == 0) return true;
  const copy = ExAllocatePoolWithTag(NonPagedPool, length, CM_NAME_TAG);
  if (copy == 0) return false;
  memory.copy(copy, text, length);
  CmKey(key).Class = copy;
  CmKey(key).ClassLength = length;
  return true;
}

/** Frees a key's values, arrays, class and the key itself (not its subkeys). */
export function CmpFreeKey(key: usize): void {
  const k = CmKey(key);
  for (let i: u32 = 0; i < k.ValueCount; i++) CmpFreeValue(CmValueAt(key, i));
  if (k.Values != 0) ExFreePoolWithTag(k.Values, CM_ARRAY_TAG);
  if (k.SubKeys != 0) ExFreePoolWithTag(k.SubKeys, CM_ARRAY_TAG);
  if (k.Class != 0) ExFreePoolWithTag(k.Class, CM_NAME_TAG);
  if (k.Security != 0) ExFreeSecurityDescriptor(k.Security);
  CmpFreeRegistryBlock(key, SIZEOF_CM_KEY + k.NameLength + 2, CM_KEY_TAG);
}

/** Marks `key` deleted and frees what only it used; the block goes when its last reference does. */
export function CmpDeleteKeyContents(key: usize): void {
  const k = CmKey(key);
  for (let i: u32 = 0; i < k.ValueCount; i++) CmpFreeValue(CmValueAt(key, i));
  k.ValueCount = 0;
  k.Flags |= CM_KEY_DELETED;
  if (k.References == 0) CmpFreeKey(key);
}

/** Frees a whole detached subtree (a hive that failed to load), children first, without recursion. */
export function CmpFreeTree(root: usize): void {
  let key = root;
  while (key != 0) {
    const k = CmKey(key);
    if (k.SubKeyCount != 0) {
      key = CmSubKey(key, k.SubKeyCount - 1);
      k.SubKeyCount--;
      continue;
    }
    const parent: usize = key == root ? 0 : k.Parent;
    CmpFreeKey(key);
    key = parent;
  }
}

// ---- values ----

/**
 * Sets (creates or replaces) the value `name` of `key` to `type` and the
 * `dataLength` bytes at `data`. Returns false without pool (the old value
 * stays).
 */
export function CmpSetValue(key: usize, name: usize, nameLength: u32, type: u32, data: usize, dataLength: u32): bool {
  const value = CmpAllocateValue(type, nameLength, dataLength);
  if (value == 0) return false;
  memory.copy(CmValueName(value), name, nameLength);
  memory.copy(CmValueData(value), data, dataLength);
  return CmpInsertValue(key, value);
}

/**
 * A value block for `nameLength` bytes of name and `dataLength` of data, its
 * header filled; the caller writes the name and the data in place (a hive
 * load copies them straight from the image) and gives it to CmpInsertValue,
 * or frees it with CmpFreeValue. 0 without pool or past the registry's quota.
 */
export function CmpAllocateValue(type: u32, nameLength: u32, dataLength: u32): usize {
  const value = CmpAllocateRegistryBlock(SIZEOF_CM_VALUE + ((nameLength + 3) & ~3) + dataLength, CM_VALUE_TAG);
  if (value == 0) return 0;
  const v = changetype<CM_VALUE>(value);
  v.Type = type;
  v.NameLength = nameLength;
  v.DataLength = dataLength;
  return value;
}

/**
 * Puts a filled value block (CmpAllocateValue) into `key`: it replaces the
 * value of the same name (keeping that name's original case) or goes last.
 * False without pool (the block is freed; the old value stays).
 */
export function CmpInsertValue(key: usize, value: usize): bool {
  const nameLength = changetype<CM_VALUE>(value).NameLength;
  const index = CmpFindValueIndex(key, CmValueName(value), nameLength);
  if ((CmKey(key).Flags & CM_KEY_LAZY) != 0) { CmpFreeValue(value); return false; } // its own values could not be built
  if (index >= 0) {
    const old = CmValueAt(key, <u32>index);
    memory.copy(CmValueName(value), CmValueName(old), nameLength); // keep the name's original case
    store<usize>(CmKey(key).Values + (<u32>index << 2), value);
    CmpFreeValue(old);
    return true;
  }
  if (!CmpGrow(key + offsetof<CM_KEY>("Values"))) {
    CmpFreeValue(value);
    return false;
  }
  CmpInsertPointer(key + offsetof<CM_KEY>("Values"), CmKey(key).ValueCount, value);
  return true;
}

/** Removes the value `name` of `key`; false when there is none. */
export function CmpDeleteValue(key: usize, name: usize, nameLength: u32): bool {
  const index = CmpFindValueIndex(key, name, nameLength);
  if (index < 0) return false;
  const value = CmValueAt(key, <u32>index);
  CmpRemovePointer(key + offsetof<CM_KEY>("Values"), <u32>index);
  CmpFreeValue(value);
  return true;
}

// ---- kernel helpers with constant names (boot-time keys) ----

/** The subkey named by the `length` bytes at `text` of `key`, made (with `flags`, in `key`'s hive) when missing. 0 without pool. */
export function CmpCreateSubKeyNamed(key: usize, text: usize, length: u32, flags: u32): usize {
  const found = CmpFindSubKey(key, text, length);
  if (found != 0) return found;
  const child = CmpAllocateKey(text, length, flags, CmKey(key).Hive, KeQuerySystemTime());
  if (child == 0) return 0;
  if (!CmpLinkSubKey(key, child)) { CmpFreeKey(child); return 0; }
  return child;
}

/** The key at `path` ("A\\B\\C", a constant) under `key`, made volatile where missing. 0 without pool. */
export function CmpCreateVolatilePath(key: usize, path: string): usize {
  const text = changetype<usize>(path), count = <u32>path.length;
  let start: u32 = 0;
  while (key != 0 && start < count) {
    let end = start;
    while (end < count && load<u16>(text + (end << 1)) != 0x5C) end++;
    key = CmpCreateSubKeyNamed(key, text + (start << 1), (end - start) << 1, CM_KEY_VOLATILE);
    start = end + 1;
  }
  return key;
}

export function CmpSetStringValue(key: usize, name: string, type: u32, text: string): bool {
  // The data is the text and its terminating NUL, as RegSetValueEx stores REG_SZ.
  const length = <u32>text.length << 1;
  const buffer = ExAllocatePoolWithTag(NonPagedPool, length + 2, CM_NAME_TAG);
  if (buffer == 0) return false;
  memory.copy(buffer, changetype<usize>(text), length);
  store<u16>(buffer + length, 0);
  const ok = CmpSetValue(key, changetype<usize>(name), <u32>name.length << 1, type, buffer, length + 2);
  ExFreePoolWithTag(buffer, CM_NAME_TAG);
  return ok;
}

export function CmpSetDwordValue(key: usize, name: string, data: u32): bool {
  const buffer = KeAllocateScratch(4); // the caller's own
  store<u32>(buffer, data);
  const ok = CmpSetValue(key, changetype<usize>(name), <u32>name.length << 1, REG_DWORD, buffer, 4);
  KeFreeScratch(buffer);
  return ok;
}

/** The DWORD value `name` of `key`, or `otherwise` when it is missing or not 4 bytes. */
export function CmpGetDwordValue(key: usize, name: string, otherwise: u32): u32 {
  const value = CmpFindValue(key, changetype<usize>(name), <u32>name.length << 1);
  if (value == 0 || changetype<CM_VALUE>(value).DataLength != 4) return otherwise;
  return load<u32>(CmValueData(value));
}
