// Reading a regf hive (the format: regf.ts): CmpRegfRead checks a loaded
// image whole and makes its root key; CmpRegfExpandKey builds a key's
// subkeys and values from the same image on first use.

import { CM_BIG_DATA, CM_KEY_INDEX, CM_KEY_NODE, CM_KEY_SECURITY, CM_KEY_VALUE, HBASE_BLOCK, HCELL_HEADER_SIZE } from "../sdk/regf";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { SE_SD_TAG } from "../ex/security";
import { RtlValidRelativeSecurityDescriptor } from "../rtl/security";
import { RtlUpcaseUnicodeChar } from "../rtl/unicode";
import {
  CM_KEY_HIVE_ROOT, CM_KEY_LAZY, CM_MAX_KEY_NAME_CHARS, CmKey, CmSubKey, CmValueAt, CmValueData, CmValueName, CmpAllocateKeyBlock,
  CmpCompareNames, CmpExpand, CmpFreeKey, CmpFreeTree, CmpLinkSubKey, CmpReserve, CmpSetClass, CmpAllocateValue, CmpFreeValue,
  CmpInsertValue,
} from "./cmp";
import {
  REGF_BASE_BLOCK, NIL, SIG_NK, SIG_VK, SIG_SK, SIG_LF, SIG_LH, SIG_LI, SIG_RI, SIG_DB, NK_COMP_NAME, NK_HIVE_ENTRY, VK_COMP_NAME,
  DATA_INLINE, BIG_DATA_SEGMENT, REGF_TAG, REGF_OK, REGF_BAD_CELL, REGF_BAD_KEY, REGF_BAD_VALUE, REGF_BAD_LIST, REGF_CYCLE, REGF_NO_MEMORY,
  CmpRegfErrorCell, CmpRegfCheckHeader, CmpRegfSetErrorCell, CopyName, NK_NAME, VK_NAME, SK_DESCRIPTOR, CmpRegfDataSize,
} from "./regf";

// ---- reading ----
// A load checks the whole image once (CmpRegfRead): a walk from the root
// cell over every key, value, list and data cell it reaches, allocating
// nothing but the root key. The keys are built later, on first use
// (CmpRegfExpandKey, through cmp.ts's CmpExpand), from the same image,
// which stays in pool while the hive is loaded, as NT maps a hive's bins
// and reads its cells in place: the checks made here are what lets the
// expansion trust it.
//
// The reader's state is module-level: hives are checked one at a time (at
// boot, and by the one NtInitializeRegistry(REG_INIT_BOOT_SM) that may load
// them, cm/ntapi.ts). An expansion runs under the tree's lock (interrupts
// off) and puts back the state it borrows, so it may fall in the middle of a
// check.

let Data: usize = 0;      // the first bin
let DataSize: u32 = 0;
let Visited: usize = 0;   // a bit per 8 bytes of bins: nk cells seen
let Minor: u32 = 0;
/** The last successful check's keys and values (cmhive.ts logs them). */
export let CmpRegfKeys: u32 = 0;
export let CmpRegfValues: u32 = 0;


/** The record of the in-use cell at `offset` with at least `need` bytes, or 0. */
@inline function Cell(offset: u32, need: u32): usize {
  CmpRegfSetErrorCell(offset);
  if (offset == NIL || (offset & 7) != 0 || offset >= DataSize || DataSize - offset < 4 + need) return 0;
  const size = load<i32>(Data + offset);
  if (size >= 0) return 0;
  const length = <u32>(-size);
  if (length < 4 + need || length > DataSize - offset) return 0;
  return Data + offset + 4;
}

// The work list: nk offsets still to check.
let Work: usize = 0;
let WorkCount: u32 = 0;
let WorkCapacity: u32 = 0;
function Push(offset: u32): bool {
  if (WorkCount == WorkCapacity) {
    const capacity = WorkCapacity == 0 ? 256 : WorkCapacity * 2;
    const grown = ExAllocatePoolWithTag(NonPagedPool, capacity << 2, REGF_TAG);
    if (grown == 0) return false;
    if (Work != 0) { memory.copy(grown, Work, WorkCount << 2); ExFreePoolWithTag(Work, REGF_TAG); }
    Work = grown;
    WorkCapacity = capacity;
  }
  store<u32>(Work + (WorkCount << 2), offset);
  WorkCount++;
  return true;
}

/** The record bytes of a cell Cell() returned (its size field, which Cell checked, less the field). */
@inline function CellBytes(record: usize): u32 { return <u32>(-load<i32>(record - HCELL_HEADER_SIZE)) - HCELL_HEADER_SIZE; }

/**
 * The cells of a value's `dataLength` bytes of data at `dataOffset` (not
 * inline): one cell, or (format 1.4 and later, over 16344 bytes) a db cell
 * whose list names the segments. Checks each; copies the bytes to `target`
 * as well when it is not 0 (the load checks, the expansion copies).
 */
function ValueCells(dataOffset: u32, dataLength: u32, target: usize): u32 {
  if (dataLength == 0) return REGF_OK;
  const cell = Cell(dataOffset, 2);
  if (cell == 0) return REGF_BAD_VALUE;
  if (Minor >= 4 && dataLength > BIG_DATA_SEGMENT && changetype<CM_BIG_DATA>(cell).Signature == SIG_DB) {
    const segments = <u32>changetype<CM_BIG_DATA>(cell).Count;
    const list = Cell(changetype<CM_BIG_DATA>(cell).List, segments << 2);
    if (list == 0 || Cell(dataOffset, 8) == 0) return REGF_BAD_VALUE;
    let covered: u32 = 0;
    for (let i: u32 = 0; i < segments && covered < dataLength; i++) {
      const part = dataLength - covered < BIG_DATA_SEGMENT ? dataLength - covered : BIG_DATA_SEGMENT;
      const segment = Cell(load<u32>(list + (i << 2)), part);
      if (segment == 0) return REGF_BAD_VALUE;
      if (target != 0) memory.copy(target + covered, segment, part);
      covered += part;
    }
    return covered == dataLength ? REGF_OK : REGF_BAD_VALUE;
  }
  if (CellBytes(cell) < dataLength) return REGF_BAD_VALUE;
  if (target != 0) memory.copy(target, cell, dataLength);
  return REGF_OK;
}

/** Checks a vk cell and its data: what ReadValue reads from them later. */
function CheckValue(offset: u32): u32 {
  const vk = Cell(offset, VK_NAME);
  if (vk == 0) return REGF_BAD_CELL;
  if (changetype<CM_KEY_VALUE>(vk).Signature != SIG_VK) return REGF_BAD_VALUE;
  const nameBytes = <u32>changetype<CM_KEY_VALUE>(vk).NameLength;
  const compressed = (changetype<CM_KEY_VALUE>(vk).Flags & VK_COMP_NAME) != 0;
  if (CellBytes(vk) < VK_NAME + nameBytes) return REGF_BAD_VALUE; // (the error cell is still this one)
  if (!compressed && (nameBytes & 1) != 0) return REGF_BAD_VALUE;
  let dataLength = changetype<CM_KEY_VALUE>(vk).DataLength;
  const inline = (dataLength & DATA_INLINE) != 0;
  dataLength &= ~DATA_INLINE;
  if (dataLength > 0x4000000) return REGF_BAD_VALUE;
  if (inline) return dataLength > 4 ? REGF_BAD_VALUE : REGF_OK;
  return ValueCells(changetype<CM_KEY_VALUE>(vk).Data, dataLength, 0);
}

/** The nk record at `offset` when its name can be read (in use, signed, long enough), else 0; the error cell is left as it was. */
function PeekKey(offset: u32): usize {
  const saved = CmpRegfErrorCell;
  let nk = Cell(offset, NK_NAME);
  if (nk != 0 && (changetype<CM_KEY_NODE>(nk).Signature != SIG_NK || CellBytes(nk) < NK_NAME + <u32>changetype<CM_KEY_NODE>(nk).NameLength)) nk = 0;
  CmpRegfSetErrorCell(saved);
  return nk;
}

/** The `i`th character of an nk's name (Latin-1 or UTF-16), upcased as CmpCompareNames upcases. */
@inline function NameChar(nk: usize, compressed: bool, i: u32): u32 {
  let c = compressed ? <u32>load<u8>(nk + NK_NAME + i) : <u32>load<u16>(nk + NK_NAME + (i << 1));
  if (c < 0x80) { if (c - 0x61 < 26) c -= 0x20; } else c = RtlUpcaseUnicodeChar(c);
  return c;
}

/** Orders two nk records' names as the tree orders keys (CmpCompareNames: upcased code units, then length). */
function CompareKeyNames(a: usize, b: usize): i32 {
  const ac = (changetype<CM_KEY_NODE>(a).Flags & NK_COMP_NAME) != 0, bc = (changetype<CM_KEY_NODE>(b).Flags & NK_COMP_NAME) != 0;
  const an = ac ? <u32>changetype<CM_KEY_NODE>(a).NameLength : <u32>changetype<CM_KEY_NODE>(a).NameLength >> 1;
  const bn = bc ? <u32>changetype<CM_KEY_NODE>(b).NameLength : <u32>changetype<CM_KEY_NODE>(b).NameLength >> 1;
  const n = an < bn ? an : bn;
  for (let i: u32 = 0; i < n; i++) {
    const ca = NameChar(a, ac, i), cb = NameChar(b, bc, i);
    if (ca != cb) return ca < cb ? -1 : 1;
  }
  if (an == bn) return 0;
  return an < bn ? -1 : 1;
}

// The subkeys of the key being checked: the last one's nk, and whether the list is in name order so far.
let Previous: usize = 0;
let InOrder: bool = true;

/** Checks a subkey list (lf, lh, li, or ri of those) and queues its nk offsets; their count, -1 when bad, -2 without pool. */
function CheckSubKeyList(offset: u32, outerRi: bool): i32 {
  const list = Cell(offset, 4);
  if (list == 0) return -1;
  const signature = changetype<CM_KEY_INDEX>(list).Signature;
  const count = <u32>changetype<CM_KEY_INDEX>(list).Count;
  let found: i32 = 0;
  if (signature == SIG_RI && outerRi) {
    if (Cell(offset, 4 + (count << 2)) == 0) return -1;
    for (let i: u32 = 0; i < count; i++) {
      const inner = CheckSubKeyList(load<u32>(list + offsetof<CM_KEY_INDEX>("List") + (i << 2)), false);
      if (inner < 0) return inner;
      found += inner;
    }
    return found;
  }
  let step: u32 = 0;
  if (signature == SIG_LF || signature == SIG_LH) step = 8;
  else if (signature == SIG_LI) step = 4;
  else return -1;
  if (Cell(offset, 4 + count * step) == 0) return -1;
  for (let i: u32 = 0; i < count; i++) {
    const child = load<u32>(list + offsetof<CM_KEY_INDEX>("List") + i * step);
    if (!Push(child)) return -2;
    // Siblings in name order (as every writer keeps them: NT looks them up by binary search) cannot share a name;
    // a list out of order is searched pair by pair (CheckKey). A cell unfit to be read is reported when it is checked.
    const nk = PeekKey(child);
    if (nk != 0 && Previous != 0 && CompareKeyNames(Previous, nk) >= 0) InOrder = false;
    if (nk != 0) Previous = nk;
  }
  return <i32>count;
}

/** Checks the nk at `offset` and its class, values and subkey list; queues the subkeys. */
function CheckKey(offset: u32, root: bool): u32 {
  const nk = Cell(offset, NK_NAME);
  if (nk == 0) return REGF_BAD_CELL;
  if (changetype<CM_KEY_NODE>(nk).Signature != SIG_NK) return REGF_BAD_KEY;
  const bit = offset >> 3;
  if ((load<u8>(Visited + (bit >> 3)) & (1 << (bit & 7))) != 0) return REGF_CYCLE;
  store<u8>(Visited + (bit >> 3), <u8>(<u32>load<u8>(Visited + (bit >> 3)) | (<u32>1 << (bit & 7))));
  const compressed = (changetype<CM_KEY_NODE>(nk).Flags & NK_COMP_NAME) != 0;
  const nameBytes = <u32>changetype<CM_KEY_NODE>(nk).NameLength;
  if (CellBytes(nk) < NK_NAME + nameBytes) return REGF_BAD_KEY;
  const nameLength = compressed ? nameBytes << 1 : nameBytes;
  if ((nameLength & 1) != 0 || nameLength > CM_MAX_KEY_NAME_CHARS * 2) return REGF_BAD_KEY;
  if (!root && nameLength == 0) return REGF_BAD_KEY;
  if (compressed) { for (let i: u32 = 0; i < nameBytes; i++) if (load<u8>(nk + NK_NAME + i) == 0x5C) return REGF_BAD_KEY; } // no '\' in a name
  else { for (let i: u32 = 0; i < nameBytes; i += 2) if (load<u16>(nk + NK_NAME + i) == 0x5C) return REGF_BAD_KEY; }
  const classLength = <u32>changetype<CM_KEY_NODE>(nk).ClassLength;
  if (classLength != 0 && (Cell(changetype<CM_KEY_NODE>(nk).Class, classLength) == 0 || (classLength & 1) != 0)) return REGF_BAD_KEY;
  const values = changetype<CM_KEY_NODE>(nk).ValueCount;
  if (values != 0) {
    if (values > 0x100000) return REGF_BAD_LIST;
    const list = Cell(changetype<CM_KEY_NODE>(nk).ValueList, values << 2);
    if (list == 0) return REGF_BAD_LIST;
    for (let i: u32 = 0; i < values; i++) {
      const status = CheckValue(load<u32>(list + (i << 2)));
      if (status != REGF_OK) return status;
    }
  }
  const subKeys = changetype<CM_KEY_NODE>(nk).SubKeyCount;
  if (subKeys != 0) {
    const first = WorkCount;
    Previous = 0;
    InOrder = true;
    const listed = CheckSubKeyList(changetype<CM_KEY_NODE>(nk).SubKeyList, true);
    if (listed == -2) return REGF_NO_MEMORY;
    if (listed < 0 || <u32>listed != subKeys) return REGF_BAD_LIST;
    if (!InOrder) {
      // Two subkeys with one name (the tree could hold only one of them): each against those before it.
      for (let j = first + 1; j < WorkCount; j++) {
        const b = PeekKey(load<u32>(Work + (j << 2)));
        if (b == 0) continue;
        for (let i = first; i < j; i++) {
          const a = PeekKey(load<u32>(Work + (i << 2)));
          if (a != 0 && CompareKeyNames(a, b) == 0) { CmpRegfSetErrorCell(load<u32>(Work + (j << 2))); return REGF_BAD_KEY; }
        }
      }
    }
  }
  CmpRegfKeys++;
  CmpRegfValues += values;
  return REGF_OK;
}

/**
 * A key for the checked nk at `offset`, its name and class read, lazy when
 * it has subkeys or values (they are built from `view` on first use); 0
 * without pool.
 */
function NewKey(offset: u32, hive: u32, flags: u32, view: usize): usize {
  const nk = Data + offset + HCELL_HEADER_SIZE;
  const compressed = (changetype<CM_KEY_NODE>(nk).Flags & NK_COMP_NAME) != 0;
  const nameBytes = <u32>changetype<CM_KEY_NODE>(nk).NameLength;
  if (changetype<CM_KEY_NODE>(nk).SubKeyCount != 0 || changetype<CM_KEY_NODE>(nk).ValueCount != 0) flags |= CM_KEY_LAZY;
  const key = CmpAllocateKeyBlock(compressed ? nameBytes << 1 : nameBytes, flags, hive, load<u64>(nk + offsetof<CM_KEY_NODE>("LastWriteTime_Low")));
  if (key == 0) return 0;
  CopyName(CmKey(key).Name, nk + NK_NAME, nameBytes, compressed);
  const classLength = <u32>changetype<CM_KEY_NODE>(nk).ClassLength;
  if (classLength != 0 && !CmpSetClass(key, Data + changetype<CM_KEY_NODE>(nk).Class + HCELL_HEADER_SIZE, classLength)) {
    CmpFreeKey(key);
    return 0;
  }
  CmKey(key).View = view;
  CmKey(key).Cell = offset;
  if (!ReadKeySecurity(key, changetype<CM_KEY_NODE>(nk).Security, view)) { CmpFreeKey(key); return 0; }
  return key;
}


/**
 * A key whose nk names an sk cell other than its hive root's gets that cell's
 * descriptor as its own (a 'SeSd' copy: CM_KEY.Security); the others share
 * the hive's (cmhive.ts). An sk that is not a valid self-relative descriptor
 * (the load's check does not look at sk cells) leaves the key the hive's.
 * False without pool.
 */
function ReadKeySecurity(key: usize, skOffset: u32, view: usize): bool {
  const root = Cell(changetype<HBASE_BLOCK>(view).RootCell, NK_NAME);
  if (root == 0 || skOffset == changetype<CM_KEY_NODE>(root).Security) return true;
  const sk = Cell(skOffset, SK_DESCRIPTOR);
  if (sk == 0 || load<u16>(sk) != SIG_SK) return true;
  const length = changetype<CM_KEY_SECURITY>(sk).DescriptorLength;
  if (length > 0x10000 || Cell(skOffset, SK_DESCRIPTOR + length) == 0) return true;
  if (!RtlValidRelativeSecurityDescriptor(sk + SK_DESCRIPTOR, length)) return true;
  const copy = ExAllocatePoolWithTag(NonPagedPool, length, SE_SD_TAG);
  if (copy == 0) return false;
  memory.copy(copy, sk + SK_DESCRIPTOR, length);
  CmKey(key).Security = copy;
  return true;
}

function ReadValue(key: usize, offset: u32): u32 {
  const vk = Cell(offset, <u32>offsetof<CM_KEY_VALUE>("Name"));
  if (vk == 0) return REGF_BAD_CELL;
  if (changetype<CM_KEY_VALUE>(vk).Signature != SIG_VK) return REGF_BAD_VALUE;
  const nameBytes = <u32>changetype<CM_KEY_VALUE>(vk).NameLength;
  const compressed = (changetype<CM_KEY_VALUE>(vk).Flags & VK_COMP_NAME) != 0;
  if (Cell(offset, <u32>offsetof<CM_KEY_VALUE>("Name") + nameBytes) == 0) return REGF_BAD_VALUE;
  const nameLength = compressed ? nameBytes << 1 : nameBytes;
  if ((nameLength & 1) != 0) return REGF_BAD_VALUE;
  let dataLength = changetype<CM_KEY_VALUE>(vk).DataLength;
  const dataOffset = changetype<CM_KEY_VALUE>(vk).Data;
  const type = changetype<CM_KEY_VALUE>(vk).Type;
  const inline = (dataLength & DATA_INLINE) != 0;
  dataLength &= ~DATA_INLINE;
  if (dataLength > 0x4000000) return REGF_BAD_VALUE;
  if (inline && dataLength > 4) return REGF_BAD_VALUE;
  // The value block itself takes the name and the data, straight from the image.
  const value = CmpAllocateValue(type, nameLength, dataLength);
  if (value == 0) return REGF_NO_MEMORY;
  CopyName(CmValueName(value), vk + <u32>offsetof<CM_KEY_VALUE>("Name"), nameBytes, compressed);
  const status = ReadValueData(CmValueData(value), inline, dataOffset, dataLength);
  if (status != REGF_OK) { CmpFreeValue(value); return status; }
  return CmpInsertValue(key, value) ? REGF_OK : REGF_NO_MEMORY;
}

/** Copies a value's `dataLength` bytes (inline in the vk, one cell, or big-data segments) to `data`. */
function ReadValueData(data: usize, inline: bool, dataOffset: u32, dataLength: u32): u32 {
  if (!inline) return ValueCells(dataOffset, dataLength, data);
  for (let i: u32 = 0; i < dataLength; i++) store<u8>(data + i, <u8>(dataOffset >>> (i << 3))); // at most 4 bytes, in the vk itself
  return REGF_OK;
}

/** Builds the subkeys of a subkey list (lf, lh, li, or ri of those; checked) into `key`, lazy. False without pool. */
function ExpandSubKeyList(key: usize, offset: u32, outerRi: bool): bool {
  const list = Data + offset + HCELL_HEADER_SIZE;
  const signature = changetype<CM_KEY_INDEX>(list).Signature;
  const count = <u32>changetype<CM_KEY_INDEX>(list).Count;
  const entries = list + offsetof<CM_KEY_INDEX>("List");
  if (signature == SIG_RI && outerRi) {
    for (let i: u32 = 0; i < count; i++) if (!ExpandSubKeyList(key, load<u32>(entries + (i << 2)), false)) return false;
    return true;
  }
  const step: u32 = signature == SIG_LI ? 4 : 8;
  const k = CmKey(key);
  for (let i: u32 = 0; i < count; i++) {
    const child = NewKey(load<u32>(entries + i * step), k.Hive, 0, k.View);
    if (child == 0) return false;
    const c = CmKey(child);
    // In name order (the usual case) each goes last; otherwise into its place.
    if (k.SubKeyCount < k.SubKeyCapacity && (k.SubKeyCount == 0
        || CmpCompareNames(CmKey(CmSubKey(key, k.SubKeyCount - 1)).Name, CmKey(CmSubKey(key, k.SubKeyCount - 1)).NameLength, c.Name, c.NameLength) < 0)) {
      store<usize>(k.SubKeys + (k.SubKeyCount << 2), child);
      k.SubKeyCount++;
      c.Parent = key;
    } else if (!CmpLinkSubKey(key, child)) {
      CmpFreeKey(child);
      return false;
    }
  }
  return true;
}

/**
 * Builds a lazy key's values and subkeys (the subkeys lazy in turn) from
 * its hive image, checked at load. False without pool: what was built is
 * freed and the key stays lazy. Under the tree's lock.
 */
export function CmpRegfExpandKey(key: usize): bool {
  const k = CmKey(key);
  if ((k.Flags & CM_KEY_LAZY) == 0) return true;
  // A check may be under way on this thread's behalf (preempted): its state is borrowed and put back.
  const savedData = Data, savedSize = DataSize, savedMinor = Minor, savedError = CmpRegfErrorCell;
  Data = k.View + REGF_BASE_BLOCK;
  DataSize = CmpRegfDataSize(k.View);
  Minor = changetype<HBASE_BLOCK>(k.View).Minor;
  k.Flags &= ~CM_KEY_LAZY;
  const nk = Data + k.Cell + HCELL_HEADER_SIZE;
  const values = changetype<CM_KEY_NODE>(nk).ValueCount, subKeys = changetype<CM_KEY_NODE>(nk).SubKeyCount;
  let ok = CmpReserve(key, subKeys, values);
  if (ok && values != 0) {
    const list = Data + changetype<CM_KEY_NODE>(nk).ValueList + HCELL_HEADER_SIZE;
    for (let i: u32 = 0; i < values && ok; i++) ok = ReadValue(key, load<u32>(list + (i << 2))) == REGF_OK;
  }
  if (ok && subKeys != 0) ok = ExpandSubKeyList(key, changetype<CM_KEY_NODE>(nk).SubKeyList, true);
  if (!ok) {
    for (let i: u32 = 0; i < k.ValueCount; i++) CmpFreeValue(CmValueAt(key, i));
    k.ValueCount = 0;
    for (let i: u32 = 0; i < k.SubKeyCount; i++) CmpFreeTree(CmSubKey(key, i));
    k.SubKeyCount = 0;
    k.Flags |= CM_KEY_LAZY;
  }
  Data = savedData;
  DataSize = savedSize;
  Minor = savedMinor;
  CmpRegfSetErrorCell(savedError);
  return ok;
}

/** The security descriptor of the root key's sk cell, copied to pool at `out` (+4: length); 0 when absent. */
function ReadSecurity(rootOffset: u32, out: usize): void {
  store<usize>(out, 0);
  store<u32>(out, 0, 4);
  const nk = Cell(rootOffset, <u32>offsetof<CM_KEY_NODE>("Name"));
  if (nk == 0) return;
  const sk = Cell(changetype<CM_KEY_NODE>(nk).Security, <u32>offsetof<CM_KEY_SECURITY>("Descriptor"));
  if (sk == 0 || load<u16>(sk) != SIG_SK) return;
  const length = changetype<CM_KEY_SECURITY>(sk).DescriptorLength;
  if (length == 0 || length > 0x10000 || Cell(changetype<CM_KEY_NODE>(nk).Security, <u32>offsetof<CM_KEY_SECURITY>("Descriptor") + length) == 0) return;
  const copy = ExAllocatePoolWithTag(NonPagedPool, length, REGF_TAG);
  if (copy == 0) return;
  memory.copy(copy, sk + <u32>offsetof<CM_KEY_SECURITY>("Descriptor"), length);
  store<usize>(out, copy);
  store<u32>(out, length, 4);
}

/**
 * Checks a hive image (CmpRegfCheckHeader passed) whole and makes its root
 * key, lazy, for `hive` at `rootOut`; the root's security descriptor goes to
 * `securityOut` (pointer, length; free with CmpFreeSecurity). The image then
 * belongs to the tree: it must stay until the tree is freed. On failure
 * nothing is left allocated and the cell is in CmpRegfErrorCell.
 */
export function CmpRegfRead(image: usize, hive: u32, rootOut: usize, securityOut: usize): u32 {
  store<usize>(rootOut, 0);
  store<usize>(securityOut, 0);
  Data = image + REGF_BASE_BLOCK;
  DataSize = CmpRegfDataSize(image);
  Minor = changetype<HBASE_BLOCK>(image).Minor;
  const visitedBytes = (DataSize >> 6) + 1;
  Visited = ExAllocatePoolWithTag(NonPagedPool, visitedBytes, REGF_TAG);
  if (Visited == 0) return REGF_NO_MEMORY;
  memory.fill(Visited, 0, visitedBytes);
  WorkCount = 0;
  CmpRegfKeys = 0;
  CmpRegfValues = 0;
  const rootOffset = changetype<HBASE_BLOCK>(image).RootCell;
  let status = CheckKey(rootOffset, true);
  while (status == REGF_OK && WorkCount != 0) {
    WorkCount--;
    status = CheckKey(load<u32>(Work + (WorkCount << 2)), false);
  }
  if (status == REGF_OK && (changetype<CM_KEY_NODE>(Cell(rootOffset, NK_NAME)).Flags & NK_HIVE_ENTRY) == 0) { CmpRegfSetErrorCell(rootOffset); status = REGF_BAD_KEY; }
  if (status == REGF_OK) {
    const root = NewKey(rootOffset, hive, CM_KEY_HIVE_ROOT, image);
    if (root == 0) status = REGF_NO_MEMORY;
    else {
      store<usize>(rootOut, root);
      ReadSecurity(rootOffset, securityOut);
      CmpRegfSetErrorCell(NIL);
    }
  }
  ExFreePoolWithTag(Visited, REGF_TAG);
  Visited = 0;
  if (Work != 0) { ExFreePoolWithTag(Work, REGF_TAG); Work = 0; WorkCapacity = 0; }
  return status;
}

export function CmpFreeSecurity(security: usize): void {
  const copy = load<usize>(security);
  if (copy != 0) ExFreePoolWithTag(copy, REGF_TAG);
  store<usize>(security, 0);
  store<u32>(security, 0, 4);
}

