// The directory tree, depth first from the root: every entry's name and
// attributes, the `.` and `..` entries of each subdirectory, VFAT long-name
// sequences (ordinals, the last-entry flag, every part's checksum against
// the short name it belongs to), and each file's and directory's cluster
// chain (chain.ts) with the file size against the chain's length.
//
// A directory is read whole into memory, checked entry by entry, and with
// /r written back when a repair changed it. Repairs: orphaned long-name
// entries are deleted (0xE5), `.` and `..` point where they must, invalid
// characters in a short name become '_', reserved attribute bits are
// cleared, a directory's size is 0, a file's size is cut to its chain (or
// its chain to its size).

import { AcAllocate, AcFree, AcPathLength, AcPathPush, AcPathTruncate, AcRead, AcWrite, flush, put, putDec, putHex } from "./nt";
import { BytesPerSector, ClusterBytes, FatType, RootCluster, RootEntries, RootSectors, RootStart, SectorsPerCluster, VolClusterSector } from "./volume";
import { ChainOwned, ChainStart, ChainTruncate, ChainWalk, ChainCrossLinked, Fix, fixed, problem } from "./chain";
import {
  ATTR_ARCHIVE, ATTR_DIRECTORY, ATTR_HIDDEN, ATTR_LONG_NAME, ATTR_READ_ONLY, ATTR_SYSTEM, ATTR_VOLUME_ID, DIR_ENTRY_FREE,
  FAT_DIRENT, FAT_LFN_ENTRY,
} from "../../../kernel/sdk/fat";
import { NT_SUCCESS } from "../../../kernel/sdk/ntstatus";

const DELETED: u8 = <u8>DIR_ENTRY_FREE;
/** A directory holds at most 65536 entries (2 MiB). */
const DIRECTORY_MAX_BYTES: u32 = 65536 * 32;
const MAX_DEPTH: u32 = 32;

// What the summary counts (allocation in bytes).
export let Files: u32 = 0, FileBytes: u64 = 0;
export let HiddenFiles: u32 = 0, HiddenBytes: u64 = 0;
export let Folders: u32 = 0, FolderBytes: u64 = 0;
let NextId: u32 = 0;

export function TreeNewId(): u32 { return ++NextId; }

/** The FAT entry's first cluster (FAT32 keeps the high word at +20). */
export function EntryStart(e: usize): u32 {
  const d = changetype<FAT_DIRENT>(e);
  return (FatType == 32 ? <u32>d.FstClusHI << 16 : 0) | <u32>d.FstClusLO;
}
export function SetEntryStart(e: usize, c: u32): void {
  const d = changetype<FAT_DIRENT>(e);
  if (FatType == 32) d.FstClusHI = <u16>(c >> 16);
  d.FstClusLO = <u16>c;
}

/** The checksum of an 11-byte short name that its long-name entries carry. */
export function ShortNameChecksum(name: usize): u32 {
  let sum: u32 = 0;
  for (let i: u32 = 0; i < 11; i++) sum = (((sum & 1) << 7) | (sum >> 1)) + <u32>load<u8>(name + i) & 0xFF;
  return sum;
}

const LFN_OFFSETS: StaticArray<u8> = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30];
/** The entry's name as WCHARs: the long name when `longName` has one, else "NAME.EXT". Returns the count. */
const nameBuffer = memory.data(2 * 300, 4);

function shortName(e: usize, out: usize): u32 {
  let n: u32 = 0;
  let baseEnd: u32 = 8, extEnd: u32 = 3;
  while (baseEnd > 0 && load<u8>(e + baseEnd - 1) == 0x20) baseEnd--;
  while (extEnd > 0 && load<u8>(e + 8 + extEnd - 1) == 0x20) extEnd--;
  for (let i: u32 = 0; i < baseEnd; i++) {
    let ch = <u32>load<u8>(e + i);
    if (i == 0 && ch == 0x05) ch = 0xE5;
    store<u16>(out + (n++ << 1), <u16>ch);
  }
  if (extEnd != 0) {
    store<u16>(out + (n++ << 1), 0x2E);
    for (let i: u32 = 0; i < extEnd; i++) store<u16>(out + (n++ << 1), <u16>load<u8>(e + 8 + i));
  }
  return n;
}

/** The long name spread over `count` entries just before the short entry at `e` (already checked). */
function longName(e: usize, count: u32, out: usize): u32 {
  let n: u32 = 0;
  for (let k: u32 = 1; k <= count; k++) {
    const part = e - (k << 5);
    for (let j = 0; j < 13; j++) {
      const ch = <u32>load<u16>(part + LFN_OFFSETS[j]);
      if (ch == 0 || ch == 0xFFFF) return n;
      store<u16>(out + (n++ << 1), <u16>ch);
    }
  }
  return n;
}

/** Is the 11-byte short name `e` made of characters FAT allows? With /r, bad ones become '_'. */
function checkShortName(e: usize): bool {
  let bad = false;
  const first = <u32>load<u8>(e);
  if (first == 0x20) bad = true;
  for (let i: u32 = 0; i < 11; i++) {
    const ch = <u32>load<u8>(e + i);
    if (i == 0 && ch == 0x05) continue;
    if (ch < 0x20 || ch == 0x22 || ch == 0x2A || ch == 0x2B || ch == 0x2C || ch == 0x2E || ch == 0x2F || ch == 0x3A || ch == 0x3B
        || ch == 0x3C || ch == 0x3D || ch == 0x3E || ch == 0x3F || ch == 0x5B || ch == 0x5C || ch == 0x5D || ch == 0x7C || ch == 0x7F) {
      bad = true;
      if (Fix) store<u8>(e + i, 0x5F);
    }
  }
  if (first == 0x20 && Fix) store<u8>(e, 0x5F);
  return !bad;
}

function isDotName(e: usize, dots: u32): bool {
  for (let i: u32 = 0; i < 11; i++) {
    const want: u32 = i < dots ? 0x2E : 0x20;
    if (<u32>load<u8>(e + i) != want) return false;
  }
  return true;
}

/** A fresh `.` or `..` entry at `e`. */
function writeDotEntry(e: usize, dots: u32, cluster: u32): void {
  memory.fill(e, 0, 32);
  memory.fill(e, 0x20, 11);
  store<u8>(e, 0x2E);
  if (dots == 2) store<u8>(e, 0x2E, 1);
  changetype<FAT_DIRENT>(e).Attr = <u8>ATTR_DIRECTORY;
  SetEntryStart(e, cluster);
}

/** Checks `.` (entry 0) and `..` (entry 1) of the directory at `self` whose parent starts at `parent` (0: the root). */
function checkDots(buffer: usize, entries: u32, self: u32, parent: u32): bool {
  let changed = false;
  for (let k: u32 = 0; k < 2 && k < entries; k++) {
    const e = buffer + (k << 5);
    const dots = k + 1;
    const want = k == 0 ? self : parent;
    const what = k == 0 ? "'.'" : "'..'";
    if (!isDotName(e, dots) || (<u32>changetype<FAT_DIRENT>(e).Attr & ATTR_DIRECTORY) == 0) {
      const free = load<u8>(e) == 0 || load<u8>(e) == DELETED;
      problem(); put("has no "); put(what); put(" entry."); flush();
      if (Fix && free) { writeDotEntry(e, dots, want); changed = true; fixed("The entry was written."); }
      continue;
    }
    const start = EntryStart(e);
    // FAT32: `..` of a directory in the root may name 0 or the root's cluster.
    if (start != want && !(k == 1 && parent == 0 && FatType == 32 && start == RootCluster)) {
      problem(); put("has a "); put(what); put(" entry that points to allocation unit "); putDec(start); put(" instead of "); putDec(want); put("."); flush();
      if (Fix) { SetEntryStart(e, want); changed = true; fixed("The entry was corrected."); }
    }
  }
  return changed;
}

/** Reads the directory whose clusters are in `list` (or the FAT12/16 root when `count` is 0) into a new buffer. */
function readDirectory(list: usize, count: u32): usize {
  const bytes = count == 0 ? RootSectors * BytesPerSector : count * ClusterBytes;
  const buffer = AcAllocate(bytes);
  if (buffer == 0) return 0;
  if (count == 0) {
    if (!NT_SUCCESS(AcRead(RootStart, RootSectors, buffer))) { put("The root directory cannot be read."); flush(); }
  } else {
    for (let i: u32 = 0; i < count; i++) {
      if (!NT_SUCCESS(AcRead(VolClusterSector(load<u32>(list + (i << 2))), SectorsPerCluster, buffer + i * ClusterBytes))) {
        problem(); put("cannot be read (allocation unit "); putDec(load<u32>(list + (i << 2))); put(")."); flush();
      }
    }
  }
  return buffer;
}

function writeDirectory(list: usize, count: u32, buffer: usize): void {
  if (count == 0) { AcWrite(RootStart, RootSectors, buffer); return; }
  for (let i: u32 = 0; i < count; i++) AcWrite(VolClusterSector(load<u32>(list + (i << 2))), SectorsPerCluster, buffer + i * ClusterBytes);
}

/** Deletes long-name entries first..last (inclusive) of an orphaned run; true when it changed the buffer. */
function orphan(buffer: usize, first: u32, last: u32, why: string): bool {
  problem(); put("has long file name entries ("); putDec(first); put(" to "); putDec(last); put(") that belong to no file: "); put(why); put("."); flush();
  if (!Fix) return false;
  for (let i = first; i <= last; i++) store<u8>(buffer + (i << 5), DELETED);
  fixed("The entries were deleted.");
  return true;
}

/**
 * Checks the directory whose clusters are `list[0..count)` (count 0: the
 * FAT12/16 root) and, depth first, everything in it. `self` is its first
 * cluster (0 for the root), `parent` its parent's (0: the root).
 */
export function TreeCheckDirectory(list: usize, count: u32, self: u32, parent: u32, depth: u32, isRoot: bool): void {
  const buffer = readDirectory(list, count);
  if (buffer == 0) { put("Out of memory reading a directory."); flush(); return; }
  const entries = count == 0 ? RootEntries : count * ClusterBytes / 32;
  let changed = false;
  if (!isRoot) changed = checkDots(buffer, entries, self, parent);
  let runFirst: u32 = 0xFFFFFFFF, runExpect: u32 = 0, runChecksum: u32 = 0, runCount: u32 = 0;
  for (let i: u32 = isRoot ? 0 : 2; i < entries; i++) {
    const e = buffer + (i << 5);
    const first = load<u8>(e);
    if (first == 0) break;
    const attributes = <u32>changetype<FAT_DIRENT>(e).Attr;
    if (first == DELETED) {
      if (runFirst != 0xFFFFFFFF) { changed = orphan(buffer, runFirst, i - 1, "the sequence is cut by a deleted entry") || changed; runFirst = 0xFFFFFFFF; }
      continue;
    }
    if ((attributes & 0x3F) == ATTR_LONG_NAME) {
      const ordinal = <u32>first;
      const sum = <u32>changetype<FAT_LFN_ENTRY>(e).Chksum;
      if ((ordinal & 0x40) != 0) {
        if (runFirst != 0xFFFFFFFF) changed = orphan(buffer, runFirst, i - 1, "a new sequence starts before its short entry") || changed;
        const n = ordinal & 0x1F;
        if (n == 0 || n > 20) { changed = orphan(buffer, i, i, "its sequence number is not valid") || changed; runFirst = 0xFFFFFFFF; continue; }
        runFirst = i; runExpect = n; runChecksum = sum; runCount = n;
      } else if (runFirst == 0xFFFFFFFF || ordinal != runExpect - 1 || sum != runChecksum) {
        const from = runFirst == 0xFFFFFFFF ? i : runFirst;
        changed = orphan(buffer, from, i, runFirst != 0xFFFFFFFF && ordinal == runExpect - 1 ? "their checksums differ" : "the sequence numbers are out of order") || changed;
        runFirst = 0xFFFFFFFF;
        continue;
      } else {
        runExpect = ordinal;
      }
      continue;
    }
    // A short entry: the long name before it, if any, must end here and carry its checksum.
    let nameLength: u32 = 0;
    if (runFirst != 0xFFFFFFFF) {
      if (runExpect != 1) changed = orphan(buffer, runFirst, i - 1, "the sequence is incomplete") || changed;
      else if (runChecksum != ShortNameChecksum(e)) changed = orphan(buffer, runFirst, i - 1, "the checksum does not match the short name") || changed;
      else nameLength = longName(e, runCount, nameBuffer);
      runFirst = 0xFFFFFFFF;
    }
    if ((attributes & ATTR_VOLUME_ID) != 0) {
      if (!isRoot) { problem(); put("has a volume label entry outside the root directory."); flush(); if (Fix) { store<u8>(e, DELETED); changed = true; fixed("The entry was deleted."); } }
      // A label is never a directory: an entry with both attributes is neither (fsck.fat reads it as a
      // directory, this walk skipped it as a label and recovered its clusters as lost: found by the fuzzer).
      else if ((attributes & ATTR_DIRECTORY) != 0) { problem(); put("has both the volume label and the directory attribute."); flush(); if (Fix) { store<u8>(e, DELETED); changed = true; fixed("The entry was deleted."); } }
      continue;
    }
    if (nameLength == 0) nameLength = shortName(e, nameBuffer);
    const saved = AcPathLength();
    AcPathPush(nameBuffer, nameLength);
    if (isDotName(e, 1) || isDotName(e, 2)) {
      problem(); put("is a dot entry out of place."); flush();
      if (Fix) { store<u8>(e, DELETED); changed = true; fixed("The entry was deleted."); }
      AcPathTruncate(saved);
      continue;
    }
    if (!checkShortName(e)) {
      problem(); put("has a short name with characters FAT does not allow."); flush();
      if (Fix) { changed = true; fixed("The characters were replaced with '_'."); }
    }
    if ((attributes & 0xC0) != 0) {
      problem(); put("has reserved attribute bits set (attributes 0x"); putHex(attributes, 2); put(")."); flush();
      if (Fix) { changetype<FAT_DIRENT>(e).Attr = <u8>(attributes & 0x3F); changed = true; fixed("The reserved bits were cleared."); }
    }
    if ((attributes & ATTR_DIRECTORY) != 0) changed = TreeSubdirectory(e, isRoot ? 0 : self, depth) || changed;
    else changed = TreeFile(e) || changed;
    AcPathTruncate(saved);
  }
  if (runFirst != 0xFFFFFFFF) changed = orphan(buffer, runFirst, entries - 1, "the directory ends before their short entry") || changed;
  if (changed && Fix) writeDirectory(list, count, buffer);
  AcFree(buffer);
}

/** A file's entry: its chain against its size. True when the entry changed. */
function TreeFile(e: usize): bool {
  const id = TreeNewId();
  const size = changetype<FAT_DIRENT>(e).FileSize;
  const start = EntryStart(e);
  const need: u32 = size == 0 ? 0 : (size - 1) / ClusterBytes + 1;
  let changed = false;
  let n = ChainWalk(start, id, need, 0, 0);
  if (ChainStart != start) { SetEntryStart(e, ChainStart); changed = true; }
  if (start != 0 && ChainStart == 0 && Fix) {
    // Nothing of the chain could be kept: the file is empty now.
    if (size != 0) { changetype<FAT_DIRENT>(e).FileSize = 0; changed = true; }
    n = 0;
  } else if (n > need && !(ChainCrossLinked && !Fix)) {
    problem(); put("is "); putDec(size); put(" bytes long but has "); putDec(n); put(" allocation units of "); putDec(ClusterBytes); put(" bytes."); flush();
    if (Fix) {
      ChainTruncate(ChainStart, need, id);
      if (need == 0) { SetEntryStart(e, 0); }
      changed = true;
      put("  The chain was cut to "); putDec(need); put(need == 1 ? " allocation unit." : " allocation units."); flush();
    }
    n = need;
  } else if (n < need) {
    problem(); put("is "); putDec(size); put(" bytes long but has only "); putDec(n); put(n == 1 ? " allocation unit" : " allocation units"); put(" of "); putDec(ClusterBytes); put(" bytes."); flush();
    if (Fix) {
      changetype<FAT_DIRENT>(e).FileSize = n * ClusterBytes;
      if (n == 0) SetEntryStart(e, 0);
      changed = true;
      put("  The size was set to "); putDec(n * ClusterBytes); put(" bytes."); flush();
    }
  }
  const attributes = <u32>changetype<FAT_DIRENT>(e).Attr;
  const bytes = <u64>n * ClusterBytes;
  if ((attributes & ATTR_HIDDEN) != 0) { HiddenFiles++; HiddenBytes += bytes; }
  else { Files++; FileBytes += bytes; }
  return changed;
}

/** A subdirectory's entry: its chain, then its contents. True when the entry changed. */
function TreeSubdirectory(e: usize, parent: u32, depth: u32): bool {
  let changed = false;
  if (changetype<FAT_DIRENT>(e).FileSize != 0) {
    problem(); put("is a directory with a size ("); putDec(changetype<FAT_DIRENT>(e).FileSize); put(" bytes)."); flush();
    if (Fix) { changetype<FAT_DIRENT>(e).FileSize = 0; changed = true; fixed("The size was set to 0."); }
  }
  const start = EntryStart(e);
  if (start == 0) {
    problem(); put("is a directory with no allocation units."); flush();
    if (Fix) { store<u8>(e, DELETED); changed = true; fixed("The entry was deleted."); }
    return changed;
  }
  if (depth >= MAX_DEPTH) { problem(); put("is nested too deeply to check."); flush(); return changed; }
  const listMax = DIRECTORY_MAX_BYTES / ClusterBytes;
  const list = AcAllocate(listMax << 2);
  const id = TreeNewId();
  ChainWalk(start, id, 0xFFFFFFFF, list, listMax);
  let n = ChainOwned;
  if (ChainStart != start) {
    SetEntryStart(e, ChainStart);
    changed = true;
    if (ChainStart == 0) { store<u8>(e, DELETED); AcFree(list); return true; }
  }
  if (n > listMax) {
    problem(); put("is a directory larger than 2 MiB."); flush();
    n = listMax;
  }
  Folders++;
  FolderBytes += <u64>n * ClusterBytes;
  if (n != 0) TreeCheckDirectory(list, n, start, parent, depth + 1, false);
  AcFree(list);
  return changed;
}

/** The whole tree from the root. */
export function TreeCheck(): void {
  Files = 0; FileBytes = 0; HiddenFiles = 0; HiddenBytes = 0; Folders = 0; FolderBytes = 0; NextId = 0;
  AcPathTruncate(0);
  if (FatType != 32) { TreeCheckDirectory(0, 0, 0, 0, 0, true); return; }
  const listMax = DIRECTORY_MAX_BYTES / ClusterBytes;
  const list = AcAllocate(listMax << 2);
  ChainWalk(RootCluster, TreeNewId(), 0xFFFFFFFF, list, listMax);
  let n = ChainOwned;
  if (n > listMax) n = listMax;
  if (n != 0) TreeCheckDirectory(list, n, RootCluster, 0, 0, true);
  AcFree(list);
}

