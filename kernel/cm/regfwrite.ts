// Writing a registry tree as a regf hive image (the format: regf.ts):
// fresh bins and cells, format 1.5, one sk per distinct descriptor.

import { CM_BIG_DATA, CM_KEY_INDEX, CM_KEY_NODE, CM_KEY_SECURITY, CM_KEY_VALUE, HBASE_BLOCK, HBIN, HCELL_HEADER_SIZE } from "../sdk/regf";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { RtlLengthRelativeSecurityDescriptor } from "../rtl/security";
import { RtlUpcaseUnicodeChar } from "../rtl/unicode";
import { CM_KEY_VOLATILE, CM_VALUE, CmKey, CmSubKey, CmValueAt, CmValueData, CmValueName, CmpExpand } from "./cmp";
import {
  REGF_BASE_BLOCK, HBIN_HEADER, NIL, SIG_REGF, SIG_HBIN, SIG_NK, SIG_VK, SIG_SK, SIG_LH, SIG_RI, SIG_DB, NK_COMP_NAME, NK_HIVE_ENTRY,
  NK_NO_DELETE, VK_COMP_NAME, DATA_INLINE, BIG_DATA_SEGMENT, LEAF_MAX, REGF_TAG, CmpRegfSetChecksum, CmpRegfFreeImage, SK_DESCRIPTOR,
} from "./regf";

// ---- writing ----
// The writer's state is module-level: it is used only by CmpRegfWrite,
// which runs under the tree's lock and within FlushLock.

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

