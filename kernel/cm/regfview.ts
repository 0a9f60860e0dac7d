// A loaded hive's cells read in place, for the kernel debugger (the format:
// regf.ts): nothing is allocated and no key is built.

import { CM_BIG_DATA, CM_KEY_INDEX, CM_KEY_NODE, CM_KEY_VALUE, HBASE_BLOCK, HCELL_HEADER_SIZE } from "../sdk/regf";
import { CmpCompareNames } from "./cmp";
import {
  REGF_BASE_BLOCK, NIL, SIG_LI, SIG_RI, SIG_DB, NK_COMP_NAME, VK_COMP_NAME, DATA_INLINE, BIG_DATA_SEGMENT, CopyName, NK_NAME, VK_NAME,
} from "./regf";

// ---- reading cells in place, for the debugger ----
// The kernel debugger answers from its interrupt routine, where nothing may
// be allocated (cmdebug.ts): a key not built yet is read from its cells.
// `view` is a loaded hive's image, `cell` a checked nk's offset in it.

/** A name or a value's inline data, read out of the image for the debugger (interrupts off: one user). */
const DebugBuffer: usize = memory.data(512, 4);
const DebugIndex: usize = memory.data(4, 4);

@inline function ViewCell(view: usize, offset: u32): usize { return view + REGF_BASE_BLOCK + offset + HCELL_HEADER_SIZE; }

/** The `index`th nk offset of a checked subkey list (lf, lh, li, or ri of those), or NIL; `index` counts down the entries passed. */
function ListEntry(view: usize, offset: u32, index: usize, outerRi: bool): u32 {
  const list = ViewCell(view, offset);
  const signature = changetype<CM_KEY_INDEX>(list).Signature;
  const count = <u32>changetype<CM_KEY_INDEX>(list).Count;
  const entries = list + offsetof<CM_KEY_INDEX>("List");
  if (signature == SIG_RI && outerRi) {
    for (let i: u32 = 0; i < count; i++) {
      const found = ListEntry(view, load<u32>(entries + (i << 2)), index, false);
      if (found != NIL) return found;
    }
    return NIL;
  }
  const left = load<u32>(index);
  if (left < count) return load<u32>(entries + left * (signature == SIG_LI ? 4 : 8));
  store<u32>(index, left - count);
  return NIL;
}

/** The subkeys of the nk at `cell`. */
export function CmRegfCellSubKeyCount(view: usize, cell: u32): u32 { return changetype<CM_KEY_NODE>(ViewCell(view, cell)).SubKeyCount; }
/** The `i`th subkey's nk offset (file order), NIL past the end. */
export function CmRegfCellSubKey(view: usize, cell: u32, i: u32): u32 {
  const nk = ViewCell(view, cell);
  if (i >= changetype<CM_KEY_NODE>(nk).SubKeyCount) return NIL;
  store<u32>(DebugIndex, i);
  return ListEntry(view, changetype<CM_KEY_NODE>(nk).SubKeyList, DebugIndex, true);
}
/** The name of the nk at `cell` in UTF-16 (a buffer the next call reuses); its length in bytes at CmRegfCellNameLength. */
export let CmRegfCellNameLength: u32 = 0;
export function CmRegfCellKeyName(view: usize, cell: u32): usize {
  const nk = ViewCell(view, cell);
  return DebugName(nk + NK_NAME, <u32>changetype<CM_KEY_NODE>(nk).NameLength, (changetype<CM_KEY_NODE>(nk).Flags & NK_COMP_NAME) != 0);
}
/** A cell's name (`bytes` at `name`, Latin-1 when `compressed`) in UTF-16 in DebugBuffer; its length in CmRegfCellNameLength. */
function DebugName(name: usize, bytes: u32, compressed: bool): usize {
  CopyName(DebugBuffer, name, bytes, compressed);
  CmRegfCellNameLength = compressed ? bytes << 1 : bytes;
  return DebugBuffer;
}
/** The subkey of the nk at `cell` named by the `length` bytes at `name` (any case), NIL when none. */
export function CmRegfCellFindSubKey(view: usize, cell: u32, name: usize, length: u32): u32 {
  const count = CmRegfCellSubKeyCount(view, cell);
  for (let i: u32 = 0; i < count; i++) {
    const child = CmRegfCellSubKey(view, cell, i);
    if (child == NIL) break;
    const text = CmRegfCellKeyName(view, child);
    if (CmpCompareNames(text, CmRegfCellNameLength, name, length) == 0) return child;
  }
  return NIL;
}
/** The values of the nk at `cell`, and the `i`th one's vk offset. */
export function CmRegfCellValueCount(view: usize, cell: u32): u32 { return changetype<CM_KEY_NODE>(ViewCell(view, cell)).ValueCount; }
export function CmRegfCellValue(view: usize, cell: u32, i: u32): u32 {
  return load<u32>(ViewCell(view, changetype<CM_KEY_NODE>(ViewCell(view, cell)).ValueList) + (i << 2));
}
/** A vk's name in UTF-16 (the buffer the next call reuses; length at CmRegfCellNameLength), type, data length, and data (0 for big data, which is in segments). */
export function CmRegfCellValueName(view: usize, vkCell: u32): usize {
  const vk = ViewCell(view, vkCell);
  return DebugName(vk + VK_NAME, <u32>changetype<CM_KEY_VALUE>(vk).NameLength, (changetype<CM_KEY_VALUE>(vk).Flags & VK_COMP_NAME) != 0);
}
export function CmRegfCellValueType(view: usize, vkCell: u32): u32 { return changetype<CM_KEY_VALUE>(ViewCell(view, vkCell)).Type; }
export function CmRegfCellValueLength(view: usize, vkCell: u32): u32 { return changetype<CM_KEY_VALUE>(ViewCell(view, vkCell)).DataLength & ~DATA_INLINE; }
export function CmRegfCellValueData(view: usize, vkCell: u32): usize {
  const vk = ViewCell(view, vkCell);
  const length = changetype<CM_KEY_VALUE>(vk).DataLength;
  if ((length & DATA_INLINE) != 0) { store<u32>(DebugBuffer, changetype<CM_KEY_VALUE>(vk).Data); return DebugBuffer; }
  if (length == 0) return DebugBuffer;
  const data = ViewCell(view, changetype<CM_KEY_VALUE>(vk).Data);
  const minor = changetype<HBASE_BLOCK>(view).Minor;
  if (minor >= 4 && length > BIG_DATA_SEGMENT && changetype<CM_BIG_DATA>(data).Signature == SIG_DB) return 0;
  return data;
}

