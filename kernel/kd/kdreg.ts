// The debugger's registry query: `reg` dumps one key.
//
//   {"q":"reg","key":"HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager"}
//   -> {key, subkeys: [names], values: [{name, type, data}]}
//
// The key may be written as the kernel names it (\REGISTRY\MACHINE\...) or
// as regedit does (HKLM\..., HKEY_LOCAL_MACHINE\..., HKU\..., HKEY_USERS\...);
// link keys (CurrentControlSet) are followed. Data by type: REG_SZ,
// REG_EXPAND_SZ and REG_LINK a string (the terminating NUL dropped),
// REG_MULTI_SZ an array of strings, REG_DWORD and REG_QWORD a number,
// anything else its bytes as a string of hex digits.

import {
  CM_VALUE, CmKey, CmSubKey, CmValueAt, CmValueData, CmValueName,
  REG_BINARY, REG_DWORD, REG_EXPAND_SZ, REG_LINK, REG_MULTI_SZ, REG_NONE, REG_QWORD, REG_RESOURCE_LIST, REG_SZ,
} from "../cm/cmp";
import { CmDebugCell, CmDebugLookupKey, CmDebugView } from "../cm/cmdebug";
import {
  CmRegfCellKeyName, CmRegfCellNameLength, CmRegfCellSubKey, CmRegfCellSubKeyCount, CmRegfCellValue, CmRegfCellValueData,
  CmRegfCellValueLength, CmRegfCellValueName, CmRegfCellValueType, CmRegfCellValueCount,
} from "../cm/regfview";
import {
  KdpComma, KdpDecimal, KdpDecimal64, KdpError, KdpHexBytes, KdpMember, KdpPut, KdpRaw, KdpRoom, KdpString, KdpStringBytes,
  KdpStringCharacter, KdpStringUnicode,
} from "./kdjson";

const LIST_MARGIN: u32 = 600;
/** The kernel's name of the key, UTF-16. */
const KeyPath: usize = memory.data(1024, 4);
let KeyPathLength: u32 = 0;

function KdpUpcase(c: u32): u32 { return c >= 0x61 && c <= 0x7A ? c - 0x20 : c; }

/** The ASCII text at `text` starts with `prefix` (ignoring case) followed by a backslash or its end. */
function KdpRootIs(text: usize, length: u32, prefix: string): bool {
  const n = <u32>prefix.length;
  if (length < n) return false;
  for (let i: u32 = 0; i < n; i++) if (KdpUpcase(<u32>load<u8>(text + i)) != <u32>prefix.charCodeAt(i)) return false;
  return length == n || <u32>load<u8>(text + n) == 0x5C;
}

function KdpAppend(text: string): void {
  for (let i = 0; i < text.length && KeyPathLength < 1024; i++) { store<u16>(KeyPath + KeyPathLength, <u16>text.charCodeAt(i)); KeyPathLength += 2; }
}

/** The kernel's name for what was asked, in KeyPath; false for a root it does not know. */
function KdpTranslateKey(key: usize, length: u32): bool {
  KeyPathLength = 0;
  let skip: u32 = 0;
  if (KdpRootIs(key, length, "HKLM")) { KdpAppend("\\REGISTRY\\MACHINE"); skip = 4; }
  else if (KdpRootIs(key, length, "HKEY_LOCAL_MACHINE")) { KdpAppend("\\REGISTRY\\MACHINE"); skip = 18; }
  else if (KdpRootIs(key, length, "HKU")) { KdpAppend("\\REGISTRY\\USER"); skip = 3; }
  else if (KdpRootIs(key, length, "HKEY_USERS")) { KdpAppend("\\REGISTRY\\USER"); skip = 10; }
  else if (!KdpRootIs(key, length, "\\REGISTRY")) return false;
  if (length - skip > 500) return false;
  for (let i = skip; i < length; i++) { store<u16>(KeyPath + KeyPathLength, <u16>load<u8>(key + i)); KeyPathLength += 2; }
  // a trailing backslash names the same key
  while (KeyPathLength > 2 && load<u16>(KeyPath + KeyPathLength - 2) == 0x5C) KeyPathLength -= 2;
  return true;
}

function KdpTypeName(type: u32): string {
  if (type == REG_NONE) return "REG_NONE";
  if (type == REG_SZ) return "REG_SZ";
  if (type == REG_EXPAND_SZ) return "REG_EXPAND_SZ";
  if (type == REG_BINARY) return "REG_BINARY";
  if (type == REG_DWORD) return "REG_DWORD";
  if (type == REG_LINK) return "REG_LINK";
  if (type == REG_MULTI_SZ) return "REG_MULTI_SZ";
  if (type == REG_RESOURCE_LIST) return "REG_RESOURCE_LIST";
  if (type == REG_QWORD) return "REG_QWORD";
  return "REG_UNKNOWN";
}

/** UTF-16 text without its terminating NULs. */
function KdpTextLength(data: usize, bytes: u32): u32 {
  bytes &= ~1;
  while (bytes >= 2 && load<u16>(data + bytes - 2) == 0) bytes -= 2;
  return bytes;
}

function KdpWriteValueData(type: u32, data: usize, length: u32): void {
  if (type == REG_SZ || type == REG_EXPAND_SZ || type == REG_LINK) {
    KdpStringUnicode(data, KdpTextLength(data, length));
  } else if (type == REG_MULTI_SZ) {
    // strings, each ended by a NUL; an empty string ends the list
    KdpPut(0x5B);
    let at: u32 = 0;
    let index: u32 = 0;
    const end = length & ~1;
    while (at + 1 < end) {
      let stop = at;
      while (stop + 1 < end && load<u16>(data + stop) != 0) stop += 2;
      if (stop == at) break;
      KdpComma(index++);
      KdpStringUnicode(data + at, stop - at);
      at = stop + 2;
    }
    KdpPut(0x5D);
  } else if (type == REG_DWORD && length == 4) {
    KdpDecimal(load<u32>(data));
  } else if (type == REG_QWORD && length == 8) {
    KdpDecimal64(load<u64>(data));
  } else {
    KdpHexBytes(data, length);
  }
}

export function KdpQueryRegistry(key: usize, length: u32): void {
  if (!KdpTranslateKey(key, length)) { KdpError("a key starts with HKLM, HKU or \\REGISTRY"); return; }
  const k = CmDebugLookupKey(KeyPath, KeyPathLength);
  if (k == 0) { KdpError("no such key"); return; }
  KdpMember("key"); KdpStringBytes(key, length);
  KdpMember("name"); KdpStringUnicode(KeyPath, KeyPathLength);
  if (CmDebugView != 0) { KdpQueryCells(CmDebugView, CmDebugCell); return; }
  KdpMember("subkeys");
  KdpPut(0x5B);
  const keyNode = CmKey(k);
  for (let i: u32 = 0; i < keyNode.SubKeyCount; i++) {
    if (KdpRoom() < LIST_MARGIN) break;
    const sub = CmSubKey(k, i);
    KdpComma(i);
    KdpStringUnicode(CmKey(sub).Name, CmKey(sub).NameLength);
  }
  KdpPut(0x5D);
  KdpMember("values");
  KdpPut(0x5B);
  for (let i: u32 = 0; i < keyNode.ValueCount; i++) {
    const value = CmValueAt(k, i);
    const v = changetype<CM_VALUE>(value);
    // a value's data is escaped into up to 6 bytes per character
    if (KdpRoom() < LIST_MARGIN + v.DataLength * 3) break;
    KdpComma(i);
    KdpPut(0x7B);
    KdpRaw("\"name\":"); KdpStringUnicode(CmValueName(value), v.NameLength);
    KdpMember("type"); KdpString(KdpTypeName(v.Type));
    KdpMember("data"); KdpWriteValueData(v.Type, CmValueData(value), v.DataLength);
    KdpPut(0x7D);
  }
  KdpPut(0x5D);
}

/** The same for a key of a hive not built yet (cmp.ts): read from its nk cell, nothing built (no allocation here). */
function KdpQueryCells(view: usize, cell: u32): void {
  KdpMember("subkeys");
  KdpPut(0x5B);
  // (the file's order; a built key lists in name order, which every writer's lists keep)
  const subKeys = CmRegfCellSubKeyCount(view, cell);
  for (let i: u32 = 0; i < subKeys; i++) {
    if (KdpRoom() < LIST_MARGIN) break;
    const sub = CmRegfCellSubKey(view, cell, i);
    if (sub == 0xFFFFFFFF) break;
    KdpComma(i);
    KdpStringUnicode(CmRegfCellKeyName(view, sub), CmRegfCellNameLength);
  }
  KdpPut(0x5D);
  KdpMember("values");
  KdpPut(0x5B);
  const values = CmRegfCellValueCount(view, cell);
  for (let i: u32 = 0; i < values; i++) {
    const vk = CmRegfCellValue(view, cell, i);
    const dataLength = CmRegfCellValueLength(view, vk);
    const data = CmRegfCellValueData(view, vk);
    if (data == 0 || KdpRoom() < LIST_MARGIN + dataLength * 3) break; // (big data, in segments, is never this short)
    KdpComma(i);
    KdpPut(0x7B);
    KdpRaw("\"name\":"); KdpStringUnicode(CmRegfCellValueName(view, vk), CmRegfCellNameLength);
    const type = CmRegfCellValueType(view, vk);
    KdpMember("type"); KdpString(KdpTypeName(type));
    KdpMember("data"); KdpWriteValueData(type, CmRegfCellValueData(view, vk), dataLength);
    KdpPut(0x7D);
  }
  KdpPut(0x5D);
}
