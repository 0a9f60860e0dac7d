// What the kernel debugger (kernel/kd) reads of the registry.
//
// The debugger answers from its interrupt routine: nothing may wait or
// allocate there, and the tree's lock (the object manager's: interrupts
// off) is held in effect, and no key is built here (a hive's key not built
// yet is read from its cells, regf.ts). CmDebugLookupKey finds a key by its full name
// (\REGISTRY\MACHINE\SYSTEM\...), following link keys such as
// CurrentControlSet through their SymbolicLinkValue as a lookup through
// the object manager would; the debugger then reads the CM_KEY and its
// values with cmp.ts's accessors (CmKey, CmSubKey, CmValueAt, ...).

import { CM_KEY_DELETED, CM_KEY_LAZY, CM_KEY_LINK, CmKey, CmSubKey, CmpFindValue, CmpSearchSubKeys, CmValueData, CM_VALUE } from "./cmp";
import { CmRegfCellFindSubKey } from "./regfview";
import { CmpRegistryRoot } from "./cmhive";

const BACKSLASH: u16 = 0x5C;
/** Links followed in one lookup before it is given up (a loop). */
const MAX_LINKS: u32 = 8;
/** Longest name a lookup handles, in bytes of UTF-16. */
const PATH_MAX: u32 = 1024;

/** The path being resolved (the caller's copy, then rebuilt after each link). */
const PathBuffer: usize = memory.data(<i32>PATH_MAX, 4);
const RestBuffer: usize = memory.data(<i32>PATH_MAX, 4);
/** "SymbolicLinkValue" in UTF-16. */
const LinkValueName: usize = memory.data(34, 4);
let LinkValueNameReady: bool = false;

function CmpUpcaseAscii(c: u32): u32 { return c >= 0x61 && c <= 0x7A ? c - 0x20 : c; }

/** True when the UTF-16 text at `text` starts with the ASCII `prefix`, ignoring case. */
function CmpStartsWith(text: usize, bytes: u32, prefix: string): bool {
  if (bytes < <u32>prefix.length * 2) return false;
  for (let i = 0; i < prefix.length; i++) {
    if (CmpUpcaseAscii(<u32>load<u16>(text + (<u32>i << 1))) != CmpUpcaseAscii(<u32>prefix.charCodeAt(i))) return false;
  }
  return true;
}

/** After CmDebugLookupKey: when not 0, the key found is not built yet and is this hive image's nk cell (regf.ts reads it). */
export let CmDebugView: usize = 0;
export let CmDebugCell: u32 = 0;

/**
 * The key named by the UTF-16 full name at `path` (`bytes` long, starting
 * with \REGISTRY), or 0 when there is none. Link keys on the way (and at
 * the end) are followed. A key of a hive not built yet (cmp.ts) is not
 * built here: CmDebugView and CmDebugCell then name its cell.
 */
export function CmDebugLookupKey(path: usize, bytes: u32): usize {
  if (CmpRegistryRoot == 0 || bytes > PATH_MAX) return 0;
  if (!LinkValueNameReady) {
    const name = "SymbolicLinkValue";
    for (let i = 0; i < name.length; i++) store<u16>(LinkValueName + (<u32>i << 1), <u16>name.charCodeAt(i));
    LinkValueNameReady = true;
  }
  memory.copy(PathBuffer, path, bytes);
  let length = bytes;
  for (let links: u32 = 0; links <= MAX_LINKS; links++) {
    if (!CmpStartsWith(PathBuffer, length, "\\REGISTRY")) return 0;
    let at: u32 = 18; // past "\REGISTRY"
    if (at < length && load<u16>(PathBuffer + at) != BACKSLASH) return 0;
    let key = CmpRegistryRoot;
    let relinked = false;
    let view: usize = 0, cell: u32 = 0; // view != 0: below `key`, a hive's keys not built yet: their cells
    while (at < length) {
      while (at < length && load<u16>(PathBuffer + at) == BACKSLASH) at += 2;
      if (at >= length) break;
      let end = at;
      while (end < length && load<u16>(PathBuffer + end) != BACKSLASH) end += 2;
      if (view == 0 && (CmKey(key).Flags & CM_KEY_LAZY) != 0) { view = CmKey(key).View; cell = CmKey(key).Cell; }
      if (view != 0) { // (a hive's key is never a link)
        cell = CmRegfCellFindSubKey(view, cell, PathBuffer + at, end - at);
        if (cell == 0xFFFFFFFF) return 0;
        at = end;
        continue;
      }
      const index = CmpSearchSubKeys(key, PathBuffer + at, end - at); // nothing built here: no allocation
      if (index < 0) return 0;
      const sub = CmSubKey(key, <u32>index);
      if ((CmKey(sub).Flags & CM_KEY_DELETED) != 0) return 0;
      key = sub;
      at = end;
      if ((CmKey(key).Flags & CM_KEY_LINK) != 0) {
        // The target, then what is left of the name.
        const value = CmpFindValue(key, LinkValueName, 34);
        if (value == 0) return 0;
        let target = changetype<CM_VALUE>(value).DataLength & ~1;
        const data = CmValueData(value);
        while (target >= 2 && load<u16>(data + target - 2) == 0) target -= 2; // a terminating NUL
        const rest = length - at;
        if (target + rest > PATH_MAX) return 0;
        memory.copy(RestBuffer, PathBuffer + at, rest);
        memory.copy(PathBuffer, data, target);
        memory.copy(PathBuffer + target, RestBuffer, rest);
        length = target + rest;
        relinked = true;
        break;
      }
    }
    if (!relinked) {
      if (view == 0 && (CmKey(key).Flags & CM_KEY_LAZY) != 0) { view = CmKey(key).View; cell = CmKey(key).Cell; }
      CmDebugView = view;
      CmDebugCell = cell;
      return key;
    }
  }
  return 0;
}
