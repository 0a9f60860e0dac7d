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
//
// The code: this file (constants, errors, the base block), regfread.ts
// (checking and building keys), regfview.ts (cells read in place for the
// debugger), regfwrite.ts (writing).

import { ExFreePoolWithTag } from "../ex/pool";
import { CM_KEY_NODE, CM_KEY_SECURITY, CM_KEY_VALUE, HBASE_BLOCK, HBIN } from "../sdk/regf";
import {
  CM_BIG_DATA_SIGNATURE, CM_KEY_FAST_LEAF, CM_KEY_HASH_LEAF, CM_KEY_INDEX_LEAF, CM_KEY_INDEX_ROOT, CM_KEY_NODE_SIGNATURE,
  CM_KEY_SECURITY_SIGNATURE, CM_KEY_VALUE_BIG, CM_KEY_VALUE_SIGNATURE, CM_KEY_VALUE_SPECIAL_SIZE, HBASE_BLOCK_SIZE, HBASE_CHECKSUM,
  HBASE_CHECKSUM_BYTES, HBIN_HEADER_SIZE, HBIN_SIGNATURE, HCELL_NIL, KEY_COMP_NAME, KEY_HIVE_ENTRY, KEY_NO_DELETE, REGF_SIGNATURE,
  VALUE_COMP_NAME,
} from "../sdk/regf";

export const REGF_BASE_BLOCK: u32 = HBASE_BLOCK_SIZE;
export const HBIN_HEADER: u32 = HBIN_HEADER_SIZE;
export const NIL: u32 = HCELL_NIL;
export const SIG_REGF: u32 = REGF_SIGNATURE;
export const SIG_HBIN: u32 = HBIN_SIGNATURE;
export const SIG_NK: u16 = <u16>CM_KEY_NODE_SIGNATURE;
export const SIG_VK: u16 = <u16>CM_KEY_VALUE_SIGNATURE;
export const SIG_SK: u16 = <u16>CM_KEY_SECURITY_SIGNATURE;
export const SIG_LF: u16 = <u16>CM_KEY_FAST_LEAF;
export const SIG_LH: u16 = <u16>CM_KEY_HASH_LEAF;
export const SIG_LI: u16 = <u16>CM_KEY_INDEX_LEAF;
export const SIG_RI: u16 = <u16>CM_KEY_INDEX_ROOT;
export const SIG_DB: u16 = <u16>CM_BIG_DATA_SIGNATURE;
export const NK_COMP_NAME: u16 = <u16>KEY_COMP_NAME;
export const NK_HIVE_ENTRY: u16 = <u16>KEY_HIVE_ENTRY;
export const NK_NO_DELETE: u16 = <u16>KEY_NO_DELETE;
export const VK_COMP_NAME: u16 = <u16>VALUE_COMP_NAME;
export const NK_NAME: u32 = <u32>offsetof<CM_KEY_NODE>("Name");
export const VK_NAME: u32 = <u32>offsetof<CM_KEY_VALUE>("Name");
export const SK_DESCRIPTOR: u32 = <u32>offsetof<CM_KEY_SECURITY>("Descriptor");
export const DATA_INLINE: u32 = CM_KEY_VALUE_SPECIAL_SIZE;
export const BIG_DATA_SEGMENT: u32 = CM_KEY_VALUE_BIG;
export const LEAF_MAX: u32 = 512;
export const REGF_TAG: u32 = 0x66526D43; // 'CmRf' work lists and written images

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
/** Notes the cell a check is at (the readers in regfread.ts). */
@inline export function CmpRegfSetErrorCell(cell: u32): void { CmpRegfErrorCell = cell; }

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

/** Converts `count` name bytes (Latin-1 when `compressed`) at `source` to UTF-16 at `target`. */
export function CopyName(target: usize, source: usize, count: u32, compressed: bool): void {
  if (!compressed) { memory.copy(target, source, count); return; }
  let i: u32 = 0;
  for (; i + 4 <= count; i += 4) { // four characters a step: Latin-1 bytes -> UTF-16 code units
    const four = load<u32>(source + i);
    store<u32>(target + (i << 1), (four & 0xFF) | ((four & 0xFF00) << 8));
    store<u32>(target + (i << 1), ((four >>> 16) & 0xFF) | ((four >>> 8) & 0xFF0000), 4);
  }
  for (; i < count; i++) store<u16>(target + (i << 1), <u16>load<u8>(source + i));
}

export function CmpRegfSetChecksum(image: usize): void { store<u32>(image + HBASE_CHECKSUM, CmpRegfChecksum(image)); }

export function CmpRegfFreeImage(image: usize): void { ExFreePoolWithTag(image, REGF_TAG); }
