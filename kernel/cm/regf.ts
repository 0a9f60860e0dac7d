// The regf hive format, read into the registry tree (cmp.ts) and written
// back from it.
//
//   +0      base block (4096 bytes): "regf", Sequence1 (+4), Sequence2 (+8),
//           timestamp (+12), version 1.x (+20, +24), type 0 = primary
//           (+28), format 1 (+32), root cell (+36), hive bins data size
//           (+40), clustering 1 (+44), file name (+48, 64 bytes UTF-16),
//           checksum (+508: XOR of the 127 dwords before it; 0 becomes 1,
//           -1 becomes -2)
//   +4096   hbins: "hbin", offset of this bin, size (multiple of 4096),
//           32-byte header, then cells. A cell offset counts from the first
//           bin; a cell is an i32 size (negative: in use; with the size
//           field, multiple of 8) and its record:
//   nk      +2 flags (0x20: Latin-1 name, 0x04: hive root), +4 write time,
//           +16 parent, +20 subkeys, +28 subkey list, +36 values, +40 value
//           list, +44 sk, +48 class, +52.. max lengths, +72 name length,
//           +74 class length, +76 name
//   vk      +2 name length, +4 data size (bit 31: the data, up to 4 bytes,
//           sits in the data offset field), +8 data offset, +12 type,
//           +16 flags (1: Latin-1 name), +20 name
//   lists   lf / lh: count, then (nk, hint) pairs; li: count, nk offsets;
//           ri: count, offsets of lf/lh/li lists; a value list is a bare
//           array of vk offsets
//   db      big data (1.4+): count, offset of a list of segments, each up
//           to 16344 bytes
//   sk      +4 flink, +8 blink, +12 references, +16 size, +20 descriptor
//
// Reading checks every cell it reaches from the root, once, at load: in
// range, in use, big enough for its record, the right signature; a key
// reachable twice (a cycle or a shared cell) or two subkeys with one name
// are corrupt. The walk is iterative (a work list in pool), so a deep or
// hostile hive cannot overflow the kernel stack. Keys are built from the
// checked image on first use (see "reading" below).
//
// Writing lays the tree out anew, fresh bins and cells (format 1.5: lh
// lists, db for data over 16344 bytes), with one sk that every key without
// a descriptor of its own shares -- the hive's, the one its root had when it
// was read -- and one sk per distinct descriptor of the keys that have their
// own (CM_KEY.Security), in the ring after it; a key read back gets its sk's
// descriptor as its own when that is not the root's. The bins
// never shrink below a given size, so a hive file that is rewritten in
// place keeps its length (and its clusters: cmhive.ts).

import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { SE_SD_TAG } from "../ex/security";
import { RtlLengthRelativeSecurityDescriptor, RtlValidRelativeSecurityDescriptor } from "../rtl/security";
import { RtlUpcaseUnicodeChar } from "../rtl/unicode";
import {
  CM_KEY_HIVE_ROOT, CM_KEY_LAZY, CM_KEY_VOLATILE, CM_MAX_KEY_NAME_CHARS, CM_VALUE, CmKey, CmSubKey, CmValueAt,
  CmValueData, CmValueName, CmpAllocateKeyBlock, CmpCompareNames, CmpExpand, CmpFreeKey, CmpFreeTree, CmpLinkSubKey, CmpReserve, CmpSetClass,
  CmpAllocateValue, CmpFreeValue, CmpInsertValue,
} from "./cmp";
import { CM_BIG_DATA, CM_KEY_INDEX, CM_KEY_NODE, CM_KEY_SECURITY, CM_KEY_VALUE, HBASE_BLOCK, HBIN } from "../sdk/regf";
import {
  CM_BIG_DATA_SIGNATURE, CM_KEY_FAST_LEAF, CM_KEY_HASH_LEAF, CM_KEY_INDEX_LEAF, CM_KEY_INDEX_ROOT, CM_KEY_NODE_SIGNATURE, CM_KEY_SECURITY_SIGNATURE, CM_KEY_VALUE_BIG, CM_KEY_VALUE_SIGNATURE, CM_KEY_VALUE_SPECIAL_SIZE, HBASE_BLOCK_SIZE, HBASE_CHECKSUM, HBASE_CHECKSUM_BYTES, HBIN_HEADER_SIZE, HBIN_SIGNATURE, HCELL_HEADER_SIZE, HCELL_NIL, KEY_COMP_NAME, KEY_HIVE_ENTRY, KEY_NO_DELETE, REGF_SIGNATURE, VALUE_COMP_NAME,
} from "../sdk/regf";

export const REGF_BASE_BLOCK: u32 = HBASE_BLOCK_SIZE;
const HBIN_HEADER: u32 = HBIN_HEADER_SIZE;
const NIL: u32 = HCELL_NIL;
const SIG_REGF: u32 = REGF_SIGNATURE;
const SIG_HBIN: u32 = HBIN_SIGNATURE;
const SIG_NK: u16 = <u16>CM_KEY_NODE_SIGNATURE;
const SIG_VK: u16 = <u16>CM_KEY_VALUE_SIGNATURE;
const SIG_SK: u16 = <u16>CM_KEY_SECURITY_SIGNATURE;
const SIG_LF: u16 = <u16>CM_KEY_FAST_LEAF;
const SIG_LH: u16 = <u16>CM_KEY_HASH_LEAF;
const SIG_LI: u16 = <u16>CM_KEY_INDEX_LEAF;
const SIG_RI: u16 = <u16>CM_KEY_INDEX_ROOT;
const SIG_DB: u16 = <u16>CM_BIG_DATA_SIGNATURE;
const NK_COMP_NAME: u16 = <u16>KEY_COMP_NAME;
const NK_HIVE_ENTRY: u16 = <u16>KEY_HIVE_ENTRY;
const NK_NO_DELETE: u16 = <u16>KEY_NO_DELETE;
const VK_COMP_NAME: u16 = <u16>VALUE_COMP_NAME;
const DATA_INLINE: u32 = CM_KEY_VALUE_SPECIAL_SIZE;
const BIG_DATA_SEGMENT: u32 = CM_KEY_VALUE_BIG;
const LEAF_MAX: u32 = 512;
const REGF_TAG: u32 = 0x66526D43; // 'CmRf' work lists and written images

// ---- errors (the bug check's second parameter, and the log's reason) ----

export const REGF_OK: u32 = 0;
export const REGF_TOO_SMALL: u32 = 1;
export const REGF_BAD_SIGNATURE: u32 = 2;
export const REGF_BAD_CHECKSUM: u32 = 3;
export const REGF_INCOMPLETE_WRITE: u32 = 4;
export const REGF_BAD_VERSION: u32 = 5;
export const REGF_BAD_SIZE: u32 = 6;
export const REGF_BAD_BIN: u32 = 7;
export const REGF_BAD_CELL: u32 = 8;
export const REGF_BAD_KEY: u32 = 9;
export const REGF_BAD_VALUE: u32 = 10;
export const REGF_BAD_LIST: u32 = 11;
export const REGF_CYCLE: u32 = 12;
export const REGF_NO_MEMORY: u32 = 13;

export function CmpRegfErrorText(code: u32): string {
  switch (code) {
    case REGF_TOO_SMALL: return "shorter than its base block and bins";
    case REGF_BAD_SIGNATURE: return "no \"regf\" signature";
    case REGF_BAD_CHECKSUM: return "base block checksum mismatch";
    case REGF_INCOMPLETE_WRITE: return "sequence numbers differ (a write did not finish)";
    case REGF_BAD_VERSION: return "not a primary hive of format 1.3-1.6";
    case REGF_BAD_SIZE: return "bad hive bins data size";
    case REGF_BAD_BIN: return "bad hbin header";
    case REGF_BAD_CELL: return "cell out of range or free";
    case REGF_BAD_KEY: return "bad key (nk) cell";
    case REGF_BAD_VALUE: return "bad value (vk) cell or data";
    case REGF_BAD_LIST: return "bad subkey or value list";
    case REGF_CYCLE: return "a key is reachable twice";
    case REGF_NO_MEMORY: return "out of pool";
  }
  return "ok";
}

/** The cell offset the last error was found at (NIL when it was not a cell). */
export let CmpRegfErrorCell: u32 = 0xFFFFFFFF;

// ---- the base block ----

export function CmpRegfChecksum(image: usize): u32 {
  let x: u32 = 0;
  for (let i: u32 = 0; i < HBASE_CHECKSUM_BYTES; i += 4) x ^= load<u32>(image + i);
  if (x == 0xFFFFFFFF) return 0xFFFFFFFE;
  if (x == 0) return 1;
  return x;
}

/** Checks the base block and the bins of a hive file of `length` bytes. */
export function CmpRegfCheckHeader(image: usize, length: u32): u32 {
  CmpRegfErrorCell = NIL;
  if (length < REGF_BASE_BLOCK) return REGF_TOO_SMALL;
  if (changetype<HBASE_BLOCK>(image).Signature != SIG_REGF) return REGF_BAD_SIGNATURE;
  if (CmpRegfChecksum(image) != load<u32>(image + HBASE_CHECKSUM)) return REGF_BAD_CHECKSUM;
  if (changetype<HBASE_BLOCK>(image).Sequence1 != changetype<HBASE_BLOCK>(image).Sequence2) return REGF_INCOMPLETE_WRITE;
  const minor = changetype<HBASE_BLOCK>(image).Minor;
  if (changetype<HBASE_BLOCK>(image).Major != 1 || minor < 3 || minor > 6 || changetype<HBASE_BLOCK>(image).Type != 0 || changetype<HBASE_BLOCK>(image).Format != 1) {
    return REGF_BAD_VERSION;
  }
  const size = changetype<HBASE_BLOCK>(image).Length;
  if (size == 0 || (size & 0xFFF) != 0 || size > 0x40000000) return REGF_BAD_SIZE;
  if (length - REGF_BASE_BLOCK < size) return REGF_TOO_SMALL;
  let at: u32 = 0;
  while (at < size) {
    const bin = image + REGF_BASE_BLOCK + at;
    const binSize = changetype<HBIN>(bin).Size;
    CmpRegfErrorCell = at;
    if (changetype<HBIN>(bin).Signature != SIG_HBIN || changetype<HBIN>(bin).FileOffset != at) return REGF_BAD_BIN;
    if (binSize < 4096 || (binSize & 0xFFF) != 0 || binSize > size - at) return REGF_BAD_BIN;
    at += binSize;
  }
  CmpRegfErrorCell = NIL;
  return REGF_OK;
}

@inline export function CmpRegfSequence(image: usize): u32 { return changetype<HBASE_BLOCK>(image).Sequence1; }
@inline export function CmpRegfDataSize(image: usize): u32 { return changetype<HBASE_BLOCK>(image).Length; }

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
// check. The writer's state below is used only by CmpRegfWrite, which runs
// under the tree's lock and within FlushLock.

let Data: usize = 0;      // the first bin
let DataSize: u32 = 0;
let Visited: usize = 0;   // a bit per 8 bytes of bins: nk cells seen
let Minor: u32 = 0;
/** The last successful check's keys and values (cmhive.ts logs them). */
export let CmpRegfKeys: u32 = 0;
export let CmpRegfValues: u32 = 0;

const NK_NAME: u32 = <u32>offsetof<CM_KEY_NODE>("Name");
const VK_NAME: u32 = <u32>offsetof<CM_KEY_VALUE>("Name");

/** The record of the in-use cell at `offset` with at least `need` bytes, or 0. */
@inline function Cell(offset: u32, need: u32): usize {
  CmpRegfErrorCell = offset;
  if (offset == NIL || (offset & 7) != 0 || offset >= DataSize || DataSize - offset < 4 + need) return 0;
  const size = load<i32>(Data + offset);
  if (size >= 0) return 0;
  const length = <u32>(-size);
  if (length < 4 + need || length > DataSize - offset) return 0;
  return Data + offset + 4;
}

/** Converts `count` name bytes (Latin-1 when `compressed`) at `source` to UTF-16 at `target`. */
function CopyName(target: usize, source: usize, count: u32, compressed: bool): void {
  if (!compressed) { memory.copy(target, source, count); return; }
  let i: u32 = 0;
  for (; i + 4 <= count; i += 4) { // four characters a step: Latin-1 bytes -> UTF-16 code units
    const four = load<u32>(source + i);
    store<u32>(target + (i << 1), (four & 0xFF) | ((four & 0xFF00) << 8));
    store<u32>(target + (i << 1), ((four >>> 16) & 0xFF) | ((four >>> 8) & 0xFF0000), 4);
  }
  for (; i < count; i++) store<u16>(target + (i << 1), <u16>load<u8>(source + i));
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
  if (dataLength == 0) return REGF_OK;
  const dataOffset = changetype<CM_KEY_VALUE>(vk).Data;
  const cell = Cell(dataOffset, 2);
  if (cell == 0) return REGF_BAD_VALUE;
  if (Minor >= 4 && dataLength > BIG_DATA_SEGMENT && changetype<CM_BIG_DATA>(cell).Signature == SIG_DB) {
    const segments = <u32>changetype<CM_BIG_DATA>(cell).Count;
    const list = Cell(changetype<CM_BIG_DATA>(cell).List, segments << 2);
    if (list == 0 || Cell(dataOffset, 8) == 0) return REGF_BAD_VALUE;
    let covered: u32 = 0;
    for (let i: u32 = 0; i < segments && covered < dataLength; i++) {
      const part = dataLength - covered < BIG_DATA_SEGMENT ? dataLength - covered : BIG_DATA_SEGMENT;
      if (Cell(load<u32>(list + (i << 2)), part) == 0) return REGF_BAD_VALUE;
      covered += part;
    }
    if (covered != dataLength) return REGF_BAD_VALUE;
  } else if (CellBytes(cell) < dataLength) return REGF_BAD_VALUE;
  return REGF_OK;
}

/** The nk record at `offset` when its name can be read (in use, signed, long enough), else 0; the error cell is left as it was. */
function PeekKey(offset: u32): usize {
  const saved = CmpRegfErrorCell;
  let nk = Cell(offset, NK_NAME);
  if (nk != 0 && (changetype<CM_KEY_NODE>(nk).Signature != SIG_NK || CellBytes(nk) < NK_NAME + <u32>changetype<CM_KEY_NODE>(nk).NameLength)) nk = 0;
  CmpRegfErrorCell = saved;
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
          if (a != 0 && CompareKeyNames(a, b) == 0) { CmpRegfErrorCell = load<u32>(Work + (j << 2)); return REGF_BAD_KEY; }
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

const SK_DESCRIPTOR: u32 = <u32>offsetof<CM_KEY_SECURITY>("Descriptor");

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
  if (inline) {
    for (let i: u32 = 0; i < dataLength; i++) store<u8>(data + i, <u8>(dataOffset >>> (i << 3))); // at most 4 bytes, in the vk itself
  } else if (dataLength != 0) {
    const cell = Cell(dataOffset, 2);
    if (cell == 0) return REGF_BAD_VALUE;
    if (Minor >= 4 && dataLength > BIG_DATA_SEGMENT && changetype<CM_BIG_DATA>(cell).Signature == SIG_DB) {
      const segments = <u32>changetype<CM_BIG_DATA>(cell).Count;
      const list = Cell(changetype<CM_BIG_DATA>(cell).List, segments << 2);
      if (list == 0 || Cell(dataOffset, 8) == 0) return REGF_BAD_VALUE;
      let copied: u32 = 0;
      for (let i: u32 = 0; i < segments && copied < dataLength; i++) {
        const part = dataLength - copied < BIG_DATA_SEGMENT ? dataLength - copied : BIG_DATA_SEGMENT;
        const segment = Cell(load<u32>(list + (i << 2)), part);
        if (segment == 0) return REGF_BAD_VALUE;
        memory.copy(data + copied, segment, part);
        copied += part;
      }
      if (copied != dataLength) return REGF_BAD_VALUE;
    } else {
      if (Cell(dataOffset, dataLength) == 0) return REGF_BAD_VALUE;
      memory.copy(data, cell, dataLength);
    }
  }
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
  CmpRegfErrorCell = savedError;
  return ok;
}

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
  const compressed = (changetype<CM_KEY_NODE>(nk).Flags & NK_COMP_NAME) != 0;
  const bytes = <u32>changetype<CM_KEY_NODE>(nk).NameLength;
  CopyName(DebugBuffer, nk + NK_NAME, bytes, compressed);
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
  const compressed = (changetype<CM_KEY_VALUE>(vk).Flags & VK_COMP_NAME) != 0;
  const bytes = <u32>changetype<CM_KEY_VALUE>(vk).NameLength;
  CopyName(DebugBuffer, vk + VK_NAME, bytes, compressed);
  CmRegfCellNameLength = compressed ? bytes << 1 : bytes;
  return DebugBuffer;
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
  if (status == REGF_OK && (changetype<CM_KEY_NODE>(Cell(rootOffset, NK_NAME)).Flags & NK_HIVE_ENTRY) == 0) { CmpRegfErrorCell = rootOffset; status = REGF_BAD_KEY; }
  if (status == REGF_OK) {
    const root = NewKey(rootOffset, hive, CM_KEY_HIVE_ROOT, image);
    if (root == 0) status = REGF_NO_MEMORY;
    else {
      store<usize>(rootOut, root);
      ReadSecurity(rootOffset, securityOut);
      CmpRegfErrorCell = NIL;
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

// ---- writing ----

/** A self-relative descriptor for hives that had none: owner Administrators, group SYSTEM,
 *  SYSTEM and Administrators KEY_ALL_ACCESS, Everyone KEY_READ, inherited. */
const DEFAULT_SECURITY: usize = memory.data<u8>([
  0x01, 0x00, 0x04, 0x80, 0x14, 0x00, 0x00, 0x00, 0x24, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x30, 0x00, 0x00, 0x00,
  0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x20, 0x00, 0x00, 0x00, 0x20, 0x02, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x05, 0x12, 0x00, 0x00, 0x00, 0x02, 0x00, 0x48, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x03, 0x14, 0x00,
  0x3f, 0x00, 0x0f, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x12, 0x00, 0x00, 0x00, 0x00, 0x03, 0x18, 0x00,
  0x3f, 0x00, 0x0f, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x20, 0x00, 0x00, 0x00, 0x20, 0x02, 0x00, 0x00,
  0x00, 0x03, 0x14, 0x00, 0x19, 0x00, 0x02, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
]);
const DEFAULT_SECURITY_LENGTH: u32 = 120;

// The image being written: base block, then bins; it grows by doubling.
let Out: usize = 0;
let OutCapacity: u32 = 0;
let BinEnd: u32 = 0;   // bins data offset where the current bin ends
let Position: u32 = 0; // next free bins data offset in it
let Failed: bool = false;
let Time: u64 = 0;

function Reserve(bytes: u32): bool {
  if (bytes <= OutCapacity) return true;
  let capacity = OutCapacity;
  while (capacity < bytes) capacity *= 2;
  const grown = ExAllocatePoolWithTag(NonPagedPool, capacity, REGF_TAG);
  if (grown == 0) { Failed = true; return false; }
  memory.copy(grown, Out, OutCapacity);
  memory.fill(grown + OutCapacity, 0, capacity - OutCapacity);
  ExFreePoolWithTag(Out, REGF_TAG);
  Out = grown;
  OutCapacity = capacity;
  return true;
}

@inline function At(offset: u32): usize { return Out + REGF_BASE_BLOCK + offset; }

function CloseBin(): void {
  if (Position < BinEnd) store<i32>(At(Position), <i32>(BinEnd - Position)); // the rest: one free cell
  Position = BinEnd;
}

function OpenBin(bytes: u32): bool {
  const size = (bytes + HBIN_HEADER + 0xFFF) & ~0xFFF;
  if (!Reserve(REGF_BASE_BLOCK + BinEnd + size)) return false;
  const bin = At(BinEnd);
  changetype<HBIN>(bin).Signature = SIG_HBIN;
  changetype<HBIN>(bin).FileOffset = BinEnd;
  changetype<HBIN>(bin).Size = size;
  store<u64>(bin + offsetof<HBIN>("TimeStamp_Low"), Time);
  Position = BinEnd + HBIN_HEADER;
  BinEnd += size;
  return true;
}

/** A zeroed in-use cell for `bytes` of record; returns its offset (NIL when out of pool). */
function Allocate(bytes: u32): u32 {
  if (Failed) return NIL;
  const size = (bytes + 4 + 7) & ~7;
  if (BinEnd == 0 || BinEnd - Position < size) {
    CloseBin();
    if (!OpenBin(size)) return NIL;
  }
  const offset = Position;
  memory.fill(At(offset), 0, size);
  store<i32>(At(offset), -<i32>size);
  Position += size;
  return offset;
}

/** True when every character of the name fits in Latin-1 (stored one byte each). */
function IsLatin1(name: usize, length: u32): bool {
  for (let i: u32 = 0; i < length; i += 2) if (load<u16>(name + i) > 0xFF) return false;
  return true;
}

/** Stores a name at `target`, compressed when it can be; returns the bytes stored. */
function StoreName(target: usize, name: usize, length: u32, compressed: bool): u32 {
  if (!compressed) { memory.copy(target, name, length); return length; }
  for (let i: u32 = 0; i < length; i += 2) store<u8>(target + (i >> 1), <u8>load<u16>(name + i));
  return length >> 1;
}

/** The lh hash of a name: h * 37 + upcase(c). */
function NameHash(name: usize, length: u32): u32 {
  let h: u32 = 0;
  for (let i: u32 = 0; i < length; i += 2) h = h * 37 + RtlUpcaseUnicodeChar(<u32>load<u16>(name + i));
  return h;
}

/** Allocates and fills the nk of `key` except its lists and counts. */
function WriteKeyHead(key: usize, parent: u32, security: u32): u32 {
  const k = CmKey(key);
  if (k.Security != 0) security = WriteSecurity(k.Security, security);
  else DefaultReferences++;
  if (security == NIL) return NIL;
  const compressed = IsLatin1(k.Name, k.NameLength);
  const stored = compressed ? k.NameLength >> 1 : k.NameLength;
  const offset = Allocate(76 + stored);
  if (offset == NIL) return NIL;
  const nk = At(offset) + HCELL_HEADER_SIZE;
  let flags: u16 = compressed ? NK_COMP_NAME : 0;
  if (parent == NIL) flags |= NK_HIVE_ENTRY | NK_NO_DELETE;
  changetype<CM_KEY_NODE>(nk).Signature = SIG_NK;
  changetype<CM_KEY_NODE>(nk).Flags = flags;
  store<u64>(nk + offsetof<CM_KEY_NODE>("LastWriteTime_Low"), k.LastWriteTime);
  changetype<CM_KEY_NODE>(nk).Parent = parent == NIL ? 0 : parent;
  changetype<CM_KEY_NODE>(nk).SubKeyList = NIL;
  changetype<CM_KEY_NODE>(nk).VolatileSubKeyList = NIL;
  changetype<CM_KEY_NODE>(nk).ValueList = NIL;
  changetype<CM_KEY_NODE>(nk).Security = security;
  changetype<CM_KEY_NODE>(nk).Class = NIL;
  changetype<CM_KEY_NODE>(nk).NameLength = <u16>stored;
  StoreName(nk + <u32>offsetof<CM_KEY_NODE>("Name"), k.Name, k.NameLength, compressed);
  return offset;
}

// Descriptors of keys that have their own, written so far: ('SeSd' block, sk offset) pairs. A key whose
// descriptor is byte for byte one already written shares its sk (ReferenceCount counts the keys).
let Written: usize = 0;
let WrittenCount: u32 = 0;
let WrittenCapacity: u32 = 0;
let DefaultReferences: u32 = 0; // keys sharing the hive's sk

/** The sk offset for a key's own descriptor `sd`, written now unless an equal one was; NIL on failure. `first` is the hive's sk. */
function WriteSecurity(sd: usize, first: u32): u32 {
  const length = RtlLengthRelativeSecurityDescriptor(sd);
  for (let i: u32 = 0; i < WrittenCount; i++) {
    const other = load<usize>(Written + (i << 3));
    if (RtlLengthRelativeSecurityDescriptor(other) == length && memory.compare(other, sd, length) == 0) {
      const cell = load<u32>(Written + (i << 3), 4);
      changetype<CM_KEY_SECURITY>(At(cell) + HCELL_HEADER_SIZE).ReferenceCount++;
      return cell;
    }
  }
  if (WrittenCount == WrittenCapacity) {
    const capacity = WrittenCapacity == 0 ? 16 : WrittenCapacity * 2;
    const grown = ExAllocatePoolWithTag(NonPagedPool, capacity << 3, REGF_TAG);
    if (grown == 0) { Failed = true; return NIL; }
    if (Written != 0) { memory.copy(grown, Written, WrittenCount << 3); ExFreePoolWithTag(Written, REGF_TAG); }
    Written = grown;
    WrittenCapacity = capacity;
  }
  const cell = Allocate(SK_DESCRIPTOR + length);
  if (cell == NIL || first == NIL) return NIL;
  const p = At(cell) + HCELL_HEADER_SIZE;
  changetype<CM_KEY_SECURITY>(p).Signature = SIG_SK;
  changetype<CM_KEY_SECURITY>(p).ReferenceCount = 1;
  changetype<CM_KEY_SECURITY>(p).DescriptorLength = length;
  memory.copy(p + SK_DESCRIPTOR, sd, length);
  // Into the ring of sk cells, after the hive's.
  const head = At(first) + HCELL_HEADER_SIZE;
  const next = changetype<CM_KEY_SECURITY>(head).Flink;
  changetype<CM_KEY_SECURITY>(p).Flink = next;
  changetype<CM_KEY_SECURITY>(p).Blink = first;
  changetype<CM_KEY_SECURITY>(At(next) + HCELL_HEADER_SIZE).Blink = cell;
  changetype<CM_KEY_SECURITY>(head).Flink = cell;
  store<usize>(Written + (WrittenCount << 3), sd);
  store<u32>(Written + (WrittenCount << 3), cell, 4);
  WrittenCount++;
  return cell;
}

/** Writes a value's data; returns the data offset for the vk (NIL on failure). */
function WriteData(data: usize, length: u32): u32 {
  if (length <= BIG_DATA_SEGMENT) {
    const cell = Allocate(length);
    if (cell != NIL) memory.copy(At(cell) + HCELL_HEADER_SIZE, data, length);
    return cell;
  }
  const segments = (length + BIG_DATA_SEGMENT - 1) / BIG_DATA_SEGMENT;
  const db = Allocate(8);
  const list = Allocate(segments << 2);
  if (list == NIL) return NIL;
  const big = changetype<CM_BIG_DATA>(At(db) + HCELL_HEADER_SIZE);
  big.Signature = <u16>SIG_DB;
  big.Count = <u16>segments;
  big.List = list;
  for (let i: u32 = 0; i < segments; i++) {
    const part = length - i * BIG_DATA_SEGMENT < BIG_DATA_SEGMENT ? length - i * BIG_DATA_SEGMENT : BIG_DATA_SEGMENT;
    const segment = Allocate(part);
    if (segment == NIL) return NIL;
    memory.copy(At(segment) + HCELL_HEADER_SIZE, data + i * BIG_DATA_SEGMENT, part);
    store<u32>(At(list) + HCELL_HEADER_SIZE + (i << 2), segment);
  }
  return db;
}

/** Writes the values of `key` and fills the counts and maxima of its nk at `offset`. */
function WriteValues(key: usize, offset: u32): void {
  const k = CmKey(key);
  if (k.ValueCount == 0) return;
  const list = Allocate(k.ValueCount << 2);
  if (list == NIL) return;
  let maxName: u32 = 0, maxData: u32 = 0;
  for (let i: u32 = 0; i < k.ValueCount; i++) {
    const value = CmValueAt(key, i);
    const v = changetype<CM_VALUE>(value);
    const compressed = IsLatin1(CmValueName(value), v.NameLength);
    const stored = compressed ? v.NameLength >> 1 : v.NameLength;
    const vk = Allocate(20 + stored);
    if (vk == NIL) return;
    let dataOffset: u32 = 0, dataSize = v.DataLength;
    if (v.DataLength <= 4) {
      if (v.DataLength != 0) memory.copy(At(vk) + HCELL_HEADER_SIZE + offsetof<CM_KEY_VALUE>("Data"), CmValueData(value), v.DataLength);
      dataSize |= DATA_INLINE;
      if (v.DataLength != 0) dataOffset = changetype<CM_KEY_VALUE>(At(vk) + HCELL_HEADER_SIZE).Data;
    } else {
      dataOffset = WriteData(CmValueData(value), v.DataLength);
      if (dataOffset == NIL) return;
    }
    const p = At(vk) + HCELL_HEADER_SIZE;
    changetype<CM_KEY_VALUE>(p).Signature = SIG_VK;
    changetype<CM_KEY_VALUE>(p).NameLength = <u16>stored;
    changetype<CM_KEY_VALUE>(p).DataLength = dataSize;
    changetype<CM_KEY_VALUE>(p).Data = dataOffset;
    changetype<CM_KEY_VALUE>(p).Type = v.Type;
    changetype<CM_KEY_VALUE>(p).Flags = compressed ? VK_COMP_NAME : 0;
    StoreName(p + <u32>offsetof<CM_KEY_VALUE>("Name"), CmValueName(value), v.NameLength, compressed);
    store<u32>(At(list) + HCELL_HEADER_SIZE + (i << 2), vk);
    if (v.NameLength > maxName) maxName = v.NameLength;
    if (v.DataLength > maxData) maxData = v.DataLength;
  }
  const nk = At(offset) + HCELL_HEADER_SIZE;
  changetype<CM_KEY_NODE>(nk).ValueCount = k.ValueCount;
  changetype<CM_KEY_NODE>(nk).ValueList = list;
  changetype<CM_KEY_NODE>(nk).MaxValueNameLen = maxName;
  changetype<CM_KEY_NODE>(nk).MaxValueDataLen = maxData;
}

// Keys written but whose values and subkeys are not: (CM_KEY, nk offset) pairs.
let Pending: usize = 0;
let PendingCount: u32 = 0;
let PendingCapacity: u32 = 0;
function PushPending(key: usize, offset: u32): bool {
  if (PendingCount == PendingCapacity) {
    const capacity = PendingCapacity == 0 ? 256 : PendingCapacity * 2;
    const grown = ExAllocatePoolWithTag(NonPagedPool, capacity << 3, REGF_TAG);
    if (grown == 0) { Failed = true; return false; }
    if (Pending != 0) { memory.copy(grown, Pending, PendingCount << 3); ExFreePoolWithTag(Pending, REGF_TAG); }
    Pending = grown;
    PendingCapacity = capacity;
  }
  store<usize>(Pending + (PendingCount << 3), key);
  store<u32>(Pending + (PendingCount << 3), offset, 4);
  PendingCount++;
  return true;
}

/** Writes the subkeys' nks of `key` (queued for their own contents) and its lh list (or ri of lh lists). */
function WriteSubKeys(key: usize, offset: u32, security: u32): u32 {
  const k = CmKey(key);
  let count: u32 = 0, maxName: u32 = 0, maxClass: u32 = 0;
  for (let i: u32 = 0; i < k.SubKeyCount; i++) if ((CmKey(CmSubKey(key, i)).Flags & CM_KEY_VOLATILE) == 0) count++;
  if (count == 0) return 0;
  const leaves = (count + LEAF_MAX - 1) / LEAF_MAX;
  let ri: u32 = NIL;
  if (leaves > 1) {
    ri = Allocate(4 + (leaves << 2));
    if (ri == NIL) return 0;
    changetype<CM_KEY_INDEX>(At(ri) + HCELL_HEADER_SIZE).Signature = <u16>SIG_RI;
    changetype<CM_KEY_INDEX>(At(ri) + HCELL_HEADER_SIZE).Count = <u16>leaves;
  }
  let leaf: u32 = NIL, inLeaf: u32 = 0, leafIndex: u32 = 0, written: u32 = 0;
  for (let i: u32 = 0; i < k.SubKeyCount; i++) {
    const sub = CmSubKey(key, i);
    if ((CmKey(sub).Flags & CM_KEY_VOLATILE) != 0) continue;
    if (leaf == NIL || inLeaf == LEAF_MAX) {
      const size = count - written < LEAF_MAX ? count - written : LEAF_MAX;
      leaf = Allocate(4 + (size << 3));
      if (leaf == NIL) return 0;
      changetype<CM_KEY_INDEX>(At(leaf) + HCELL_HEADER_SIZE).Signature = <u16>SIG_LH;
      changetype<CM_KEY_INDEX>(At(leaf) + HCELL_HEADER_SIZE).Count = <u16>size;
      if (ri != NIL) store<u32>(At(ri) + HCELL_HEADER_SIZE + offsetof<CM_KEY_INDEX>("List") + (leafIndex << 2), leaf);
      leafIndex++;
      inLeaf = 0;
    }
    const child = WriteKeyHead(sub, offset, security);
    if (child == NIL || !PushPending(sub, child)) return 0;
    const entry = At(leaf) + HCELL_HEADER_SIZE + offsetof<CM_KEY_INDEX>("List") + (inLeaf << 3);
    store<u32>(entry, child);
    store<u32>(entry + 4, NameHash(CmKey(sub).Name, CmKey(sub).NameLength));
    inLeaf++;
    written++;
    if (CmKey(sub).NameLength > maxName) maxName = CmKey(sub).NameLength;
    if (CmKey(sub).ClassLength > maxClass) maxClass = CmKey(sub).ClassLength;
  }
  const nk = At(offset) + HCELL_HEADER_SIZE;
  changetype<CM_KEY_NODE>(nk).SubKeyCount = count;
  changetype<CM_KEY_NODE>(nk).SubKeyList = ri != NIL ? ri : leaf;
  changetype<CM_KEY_NODE>(nk).MaxNameLen = maxName;
  changetype<CM_KEY_NODE>(nk).MaxClassLen = maxClass;
  return count;
}

/**
 * Writes the non-volatile tree under `root` as a regf image whose bins
 * data is at least `minimumDataSize` bytes. The base block carries
 * `sequence` in both sequence numbers, `fileName` (the last 31
 * characters) and `security` (a descriptor, or 0 for the default). On
 * success stores the image (pool; free with CmpRegfFreeImage) at `out` and
 * its length at `out + 4`.
 */
export function CmpRegfWrite(root: usize, security: usize, securityLength: u32, sequence: u32, time: u64,
                             fileName: string, minimumDataSize: u32, out: usize): bool {
  store<usize>(out, 0);
  store<u32>(out, 0, 4);
  OutCapacity = 0x10000;
  Out = ExAllocatePoolWithTag(NonPagedPool, OutCapacity, REGF_TAG);
  if (Out == 0) return false;
  memory.fill(Out, 0, OutCapacity);
  BinEnd = 0;
  Position = 0;
  Failed = false;
  Time = time;
  PendingCount = 0;
  WrittenCount = 0;
  DefaultReferences = 0;
  if (security == 0) { security = DEFAULT_SECURITY; securityLength = DEFAULT_SECURITY_LENGTH; }
  const sk = Allocate(20 + securityLength);
  if (sk != NIL) {
    const p = At(sk) + HCELL_HEADER_SIZE;
    changetype<CM_KEY_SECURITY>(p).Signature = SIG_SK;
    changetype<CM_KEY_SECURITY>(p).Flink = sk;
    changetype<CM_KEY_SECURITY>(p).Blink = sk;
    changetype<CM_KEY_SECURITY>(p).DescriptorLength = securityLength;
    memory.copy(p + <u32>offsetof<CM_KEY_SECURITY>("Descriptor"), security, securityLength);
  }
  const rootOffset = WriteKeyHead(root, NIL, sk);
  if (rootOffset != NIL) PushPending(root, rootOffset);
  while (!Failed && PendingCount != 0) {
    PendingCount--;
    const key = load<usize>(Pending + (PendingCount << 3));
    const offset = load<u32>(Pending + (PendingCount << 3), 4);
    if (!CmpExpand(key)) { Failed = true; break; } // a key not built yet is built to be written
    const k = CmKey(key);
    if (k.ClassLength != 0) {
      const text = Allocate(k.ClassLength);
      if (text == NIL) break;
      memory.copy(At(text) + HCELL_HEADER_SIZE, k.Class, k.ClassLength);
      changetype<CM_KEY_NODE>(At(offset) + HCELL_HEADER_SIZE).Class = text;
      changetype<CM_KEY_NODE>(At(offset) + HCELL_HEADER_SIZE).ClassLength = <u16>k.ClassLength;
    }
    WriteValues(key, offset);
    WriteSubKeys(key, offset, sk);
  }
  if (Pending != 0) { ExFreePoolWithTag(Pending, REGF_TAG); Pending = 0; PendingCapacity = 0; }
  if (Written != 0) { ExFreePoolWithTag(Written, REGF_TAG); Written = 0; WrittenCapacity = 0; WrittenCount = 0; }
  if (!Failed) {
    CloseBin();
    if (BinEnd < minimumDataSize) {
      // Pad with one bin holding one free cell, so the file keeps its length.
      if (OpenBin(minimumDataSize - BinEnd - HBIN_HEADER)) CloseBin();
    }
  }
  if (Failed) { ExFreePoolWithTag(Out, REGF_TAG); Out = 0; return false; }
  changetype<CM_KEY_SECURITY>(At(sk) + HCELL_HEADER_SIZE).ReferenceCount = DefaultReferences;
  // The base block.
  changetype<HBASE_BLOCK>(Out).Signature = SIG_REGF;
  changetype<HBASE_BLOCK>(Out).Sequence1 = sequence;
  changetype<HBASE_BLOCK>(Out).Sequence2 = sequence;
  store<u64>(Out + offsetof<HBASE_BLOCK>("TimeStamp_Low"), time);
  changetype<HBASE_BLOCK>(Out).Major = 1;
  changetype<HBASE_BLOCK>(Out).Minor = 5;
  changetype<HBASE_BLOCK>(Out).Type = 0;
  changetype<HBASE_BLOCK>(Out).Format = 1;
  changetype<HBASE_BLOCK>(Out).RootCell = rootOffset;
  changetype<HBASE_BLOCK>(Out).Length = BinEnd;
  changetype<HBASE_BLOCK>(Out).Cluster = 1;
  const nameChars = <u32>fileName.length;
  const first: u32 = nameChars > 31 ? nameChars - 31 : 0;
  memory.copy(Out + 48, changetype<usize>(fileName) + (first << 1), (nameChars - first) << 1);
  CmpRegfSetChecksum(Out);
  store<usize>(out, Out);
  store<u32>(out, REGF_BASE_BLOCK + BinEnd, 4);
  Out = 0;
  return true;
}

export function CmpRegfSetChecksum(image: usize): void { store<u32>(image + HBASE_CHECKSUM, CmpRegfChecksum(image)); }

export function CmpRegfFreeImage(image: usize): void { ExFreePoolWithTag(image, REGF_TAG); }
