// The FAT file system driver, part 2: directories. Walking entries,
// long file names (VFAT), lookups, short-name aliases, and adding, removing
// and renaming entries.
//
// A directory is its first cluster (0: FAT16's fixed root). Entry i of a
// directory is 32 bytes at a place FatEntrySector finds. A file is a run of
// long-name entries (last part first, 13 UTF-16 characters each, with the
// checksum of the short name) followed by its short entry. Lookups compare
// case-insensitively with the long name and with the short name, so names
// are case-insensitive and case-preserving; a name that fits 8.3 in one
// case per part gets no long entries (NT's lowercase flags keep its case).
//
// Write order, for power cuts (fsck.fat -n is the judge; a sector write is
// atomic, two sectors are not):
//   create  the long entries and the short entry in index order: a cut can
//           leave long entries without their short entry only when the run
//           crosses a sector, which FatFindFreeRun avoids when it can.
//   delete  long entries first (the file stays, under its short name), then
//           the short entry, then the clusters are freed (first FAT, then the
//           copies). A cut after the short entry and before the last FAT copy
//           leaves lost clusters or FAT copies that differ, which fsck.fat
//           repairs; the file is gone or whole, never half. (FAT cannot do
//           better: the entry and the FAT are different sectors.)
//   rename  the old long entries are deleted first (the file stays under its
//           short name); then, when the new run fits in the sector of the old
//           short entry (the usual case in one directory), one sector write
//           adds the new run and removes the old short entry: the file is
//           under exactly one of its names at every point. Otherwise (another
//           directory, a full sector) the new run is written before the old
//           short entry is removed: a cut between the two leaves the file
//           under both names (shared clusters, which fsck.fat reports).

import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { RtlUpcaseUnicodeChar } from "../rtl/unicode";
import {
  FAT_EOC, FAT_TAG, FatAllocateCluster, FatCacheRead, FatCacheWrite, FatClusterSector, FatGetEntry, FatIsValidCluster, FatCacheReadStatus, FatSetEntry, FatZeroCluster, VCB,
} from "./fatvol";
import { FAT_DIRENT, FAT_LFN_ENTRY } from "../sdk/fat";
import {
  NT_SUCCESS, STATUS_DISK_FULL, STATUS_FILE_CORRUPT_ERROR, STATUS_INSUFFICIENT_RESOURCES,
  STATUS_OBJECT_NAME_COLLISION, STATUS_SUCCESS,
} from "../sdk/ntstatus";
import { ATTR_LONG_NAME, ATTR_VOLUME_ID } from "../sdk/fat";

const LOWER_BASE: u32 = 0x08, LOWER_EXT: u32 = 0x10;
export const MAX_NAME_CHARS: u32 = 255;

/** A directory scan: where it is, and the last file it found. */
@unmanaged export class DIRSCAN {
  Directory: u32;     // first cluster (0: FAT16 root)
  Index: u32;         // the next entry to read
  Cluster: u32;       // the cluster that holds entries from ClusterIndex * per-cluster on
  ClusterIndex: u32;
  ShortIndex: u32;    // the found file's short entry
  FirstIndex: u32;    // its first long entry (= ShortIndex without one)
  Sector: u32;        // where the short entry is
  Status: u32;        // why FatNextFile or FatLookup last returned false: STATUS_SUCCESS at the end of the directory
  NameLength: u32;    // characters of Name
  ShortLength: u32;   // characters of ShortName
}
export const SIZEOF_DIRSCAN: u32 = 40;
/** The found short entry (32 bytes), its long (or short) name (UTF-16), and its short name. */
@inline export function ScanEntry(scan: usize): usize { return scan + 40; }
@inline export function ScanName(scan: usize): usize { return scan + 72; }
@inline export function ScanShortName(scan: usize): usize { return scan + 72 + 512; }
export const DIRSCAN_ALLOCATION: u32 = 72 + 512 + 32;

export function FatNewScan(directory: u32): usize {
  const scan = ExAllocatePoolWithTag(NonPagedPool, DIRSCAN_ALLOCATION, FAT_TAG);
  if (scan != 0) changetype<DIRSCAN>(scan).Directory = directory;
  return scan;
}
export function FatFreeScan(scan: usize): void { ExFreePoolWithTag(scan, FAT_TAG); }

export const END_OF_DIRECTORY: u32 = 0xFFFFFFFF;
export const DIR_ERROR: u32 = 0xFFFFFFFE;

/** Entries per directory cluster. */
@inline function PerCluster(vcb: usize): u32 { return changetype<VCB>(vcb).ClusterBytes >> 5; }

/**
 * The sector that holds entry `index` of the scan's directory, END_OF_DIRECTORY
 * past its last cluster, DIR_ERROR on a read error or a broken chain.
 */
export function FatEntrySector(vcb: usize, scan: usize, index: u32): u32 {
  const v = changetype<VCB>(vcb);
  const s = changetype<DIRSCAN>(scan);
  if (s.Directory == 0) {
    if (index >= v.RootEntries) return END_OF_DIRECTORY;
    return v.RootStart + (index >> 4);
  }
  const per = PerCluster(vcb);
  const want = index / per;
  if (s.Cluster == 0 || want < s.ClusterIndex) { s.Cluster = s.Directory; s.ClusterIndex = 0; }
  while (s.ClusterIndex < want) {
    const next = FatGetEntry(vcb, s.Cluster);
    if (next == 0xFFFFFFFF) return DIR_ERROR;
    if (next >= FAT_EOC) return END_OF_DIRECTORY;
    if (!FatIsValidCluster(vcb, next) || s.ClusterIndex > v.ClusterCount) return DIR_ERROR;
    s.Cluster = next;
    s.ClusterIndex++;
  }
  return FatClusterSector(vcb, s.Cluster) + ((index % per) >> 4);
}

/** The 11-byte short-name checksum long entries carry. */
export function FatShortChecksum(name: usize): u32 {
  let sum: u32 = 0;
  for (let i: u32 = 0; i < 11; i++) sum = ((((sum & 1) << 7) | (sum >> 1)) + <u32>load<u8>(name + i)) & 0xFF;
  return sum;
}

/** The short name of a short entry as text ("README.TXT", or "readme.txt" with NT's case flags). */
function FatFormatShortName(entry: usize, out: usize): u32 {
  const flags = <u32>changetype<FAT_DIRENT>(entry).NTRes;
  let n: u32 = 0;
  let end: u32 = 8;
  while (end > 0 && load<u8>(entry + end - 1) == 0x20) end--;
  for (let i: u32 = 0; i < end; i++) {
    let c = <u32>load<u8>(entry + i);
    if (i == 0 && c == 0x05) c = 0xE5;
    if ((flags & LOWER_BASE) != 0 && c >= 0x41 && c <= 0x5A) c += 0x20;
    store<u16>(out + (n++ << 1), <u16>c);
  }
  let extEnd: u32 = 11;
  while (extEnd > 8 && load<u8>(entry + extEnd - 1) == 0x20) extEnd--;
  if (extEnd > 8) {
    store<u16>(out + (n++ << 1), 0x2E);
    for (let i: u32 = 8; i < extEnd; i++) {
      let c = <u32>load<u8>(entry + i);
      if ((flags & LOWER_EXT) != 0 && c >= 0x41 && c <= 0x5A) c += 0x20;
      store<u16>(out + (n++ << 1), <u16>c);
    }
  }
  return n;
}

/**
 * Finds the next file (or directory) of the scan from scan.Index on; true
 * with the scan's found fields set, false at the end (or on an error, with
 * the scan's Status set).
 */
export function FatNextFile(vcb: usize, scan: usize): bool {
  const s = changetype<DIRSCAN>(scan);
  const name = ScanName(scan);
  let lfnExpected: u32 = 0, lfnChecksum: u32 = 0, lfnTotal: u32 = 0, lfnFirst: u32 = 0, lfnValid = false;
  s.Status = STATUS_SUCCESS;
  while (true) {
    const index = s.Index;
    const sector = FatEntrySector(vcb, scan, index);
    if (sector == END_OF_DIRECTORY) return false;
    if (sector == DIR_ERROR) { s.Status = STATUS_FILE_CORRUPT_ERROR; return false; }
    const data = FatCacheRead(vcb, sector);
    if (data == 0) { s.Status = FatCacheReadStatus(vcb); return false; }
    const e = data + ((index & 15) << 5);
    const first = <u32>load<u8>(e);
    if (first == 0) return false;
    s.Index = index + 1;
    if (first == 0xE5) { lfnValid = false; lfnExpected = 0; continue; }
    const attr = <u32>changetype<FAT_DIRENT>(e).Attr;
    if ((attr & 0x3F) == ATTR_LONG_NAME) {
      const seq = first & 0x1F;
      if ((first & 0x40) != 0) {
        lfnExpected = seq; lfnChecksum = <u32>changetype<FAT_LFN_ENTRY>(e).Chksum; lfnTotal = seq * 13; lfnFirst = index;
        lfnValid = seq >= 1 && seq <= 20;
      } else if (!lfnValid || seq != lfnExpected - 1 || <u32>changetype<FAT_LFN_ENTRY>(e).Chksum != lfnChecksum) {
        lfnValid = false; continue;
      } else {
        lfnExpected = seq;
      }
      if (!lfnValid) continue;
      // 13 characters: 5 at 1, 6 at 14, 2 at 28.
      const base = (seq - 1) * 13;
      for (let k: u32 = 0; k < 13; k++) {
        const off: u32 = k < 5 ? 1 + k * 2 : k < 11 ? 14 + (k - 5) * 2 : 28 + (k - 11) * 2;
        const c = <u32>load<u16>(e + off);
        if (base + k < 256) store<u16>(name + ((base + k) << 1), <u16>c);
      }
      continue;
    }
    if ((attr & ATTR_VOLUME_ID) != 0) { lfnValid = false; continue; } // the volume label
    // A short entry: the file.
    memory.copy(ScanEntry(scan), e, 32);
    s.ShortIndex = index;
    s.Sector = sector;
    s.ShortLength = FatFormatShortName(e, ScanShortName(scan));
    if (lfnValid && lfnExpected == 1 && FatShortChecksum(e) == lfnChecksum) {
      let n: u32 = 0;
      while (n < lfnTotal && n < MAX_NAME_CHARS && load<u16>(name + (n << 1)) != 0) n++;
      s.NameLength = n;
      s.FirstIndex = lfnFirst;
    } else {
      memory.copy(name, ScanShortName(scan), s.ShortLength << 1);
      s.NameLength = s.ShortLength;
      s.FirstIndex = index;
    }
    return true;
  }
  return false;
}

/** Case-insensitive comparison of `count` UTF-16 characters. */
export function FatEqualNames(a: usize, b: usize, count: u32): bool {
  for (let i: u32 = 0; i < count; i++) {
    const x = <u32>load<u16>(a + (i << 1)), y = <u32>load<u16>(b + (i << 1));
    if (x != y && RtlUpcaseUnicodeChar(x) != RtlUpcaseUnicodeChar(y)) return false;
  }
  return true;
}

/** Looks `name` (`length` characters) up in the scan's directory from the start; true with the scan's found fields set. */
export function FatLookup(vcb: usize, scan: usize, name: usize, length: u32): bool {
  const s = changetype<DIRSCAN>(scan);
  s.Index = 0;
  while (FatNextFile(vcb, scan)) {
    if (s.NameLength == length && FatEqualNames(ScanName(scan), name, length)) return true;
    if (s.ShortLength == length && FatEqualNames(ScanShortName(scan), name, length)) return true;
  }
  return false;
}

// ---- names ----

function IsInvalidLongChar(c: u32): bool {
  return c < 0x20 || c == 0x22 || c == 0x2A || c == 0x2F || c == 0x3A || c == 0x3C || c == 0x3E || c == 0x3F
    || c == 0x5C || c == 0x7C;
}

/** A name FAT can hold: 1-255 characters, none of the reserved ones (quote, star, slash, colon, angle brackets, question mark, backslash, bar) or controls, not "." or "..". */
export function FatIsValidName(name: usize, length: u32): bool {
  if (length == 0 || length > MAX_NAME_CHARS) return false;
  for (let i: u32 = 0; i < length; i++) if (IsInvalidLongChar(<u32>load<u16>(name + (i << 1)))) return false;
  if (load<u16>(name) == 0x2E && (length == 1 || (length == 2 && load<u16>(name, 2) == 0x2E))) return false;
  return true;
}

function IsShortChar(c: u32): bool {
  if (c >= 0x41 && c <= 0x5A) return true;
  if (c >= 0x30 && c <= 0x39) return true;
  return c == 0x24 || c == 0x25 || c == 0x27 || c == 0x2D || c == 0x5F || c == 0x40 || c == 0x7E || c == 0x60
    || c == 0x21 || c == 0x28 || c == 0x29 || c == 0x7B || c == 0x7D || c == 0x5E || c == 0x23 || c == 0x26;
}

/**
 * When `name` fits 8.3 exactly (one case per part), writes its 11 bytes
 * at `out` and returns the NT case flags + 1 (so 0 means "needs a long name").
 */
function FatExactShortName(name: usize, length: u32, out: usize): u32 {
  memory.fill(out, 0x20, 11);
  let dot: i32 = -1;
  for (let i: u32 = 0; i < length; i++) if (load<u16>(name + (i << 1)) == 0x2E) { if (dot >= 0) return 0; dot = <i32>i; }
  const baseLength: u32 = dot < 0 ? length : <u32>dot;
  const extLength: u32 = dot < 0 ? 0 : length - <u32>dot - 1;
  if (baseLength == 0 || baseLength > 8 || extLength > 3 || (dot >= 0 && extLength == 0)) return 0;
  let flags: u32 = 0;
  for (let part: u32 = 0; part < 2; part++) {
    const start: u32 = part == 0 ? 0 : <u32>dot + 1;
    const count = part == 0 ? baseLength : extLength;
    let lower = false, upper = false;
    for (let i: u32 = 0; i < count; i++) {
      let c = <u32>load<u16>(name + ((start + i) << 1));
      if (c >= 0x61 && c <= 0x7A) { lower = true; c -= 0x20; } else if (c >= 0x41 && c <= 0x5A) upper = true;
      if (!IsShortChar(c)) return 0;
      store<u8>(out + (part == 0 ? 0 : 8) + i, <u8>c);
    }
    if (lower && upper) return 0;
    if (lower) flags |= part == 0 ? LOWER_BASE : LOWER_EXT;
  }
  if (load<u8>(out) == 0xE5) store<u8>(out, 0x05);
  return flags + 1;
}

/** True when a short entry in the directory has exactly these 11 bytes. */
function FatShortNameExists(vcb: usize, directory: u32, short: usize, ignoreIndex: u32): bool {
  const scan = FatNewScan(directory);
  if (scan == 0) return true;
  let found = false;
  while (FatNextFile(vcb, scan)) {
    if (changetype<DIRSCAN>(scan).ShortIndex == ignoreIndex) continue;
    if (memory.compare(ScanEntry(scan), short, 11) == 0) { found = true; break; }
  }
  FatFreeScan(scan);
  return found;
}

/** A unique short alias "BASIS~N.EXT" for a long name in `directory`. */
function FatGenerateShortName(vcb: usize, directory: u32, name: usize, length: u32, out: usize, ignoreIndex: u32): u32 {
  const basis = out + 16; // 8 + 3 scratch after the 11 bytes
  memory.fill(out, 0x20, 11);
  let lastDot: i32 = -1;
  for (let i: u32 = 0; i < length; i++) if (load<u16>(name + (i << 1)) == 0x2E) lastDot = <i32>i;
  let baseCount: u32 = 0;
  const baseEnd: u32 = lastDot > 0 ? <u32>lastDot : length;
  for (let i: u32 = 0; i < baseEnd && baseCount < 8; i++) {
    let c = RtlUpcaseUnicodeChar(<u32>load<u16>(name + (i << 1)));
    if (c == 0x20 || c == 0x2E) continue;
    if (!IsShortChar(c)) c = 0x5F; // '_'
    store<u8>(basis + baseCount++, <u8>c);
  }
  if (baseCount == 0) { store<u8>(basis, 0x5F); baseCount = 1; }
  if (lastDot > 0) {
    let e: u32 = 0;
    for (let i: u32 = <u32>lastDot + 1; i < length && e < 3; i++) {
      let c = RtlUpcaseUnicodeChar(<u32>load<u16>(name + (i << 1)));
      if (c == 0x20) continue;
      if (!IsShortChar(c)) c = 0x5F;
      store<u8>(out + 8 + e++, <u8>c);
    }
  }
  for (let n: u32 = 1; n < 1000000; n++) {
    let digits: u32 = 1;
    for (let t = n; t >= 10; t /= 10) digits++;
    let keep: u32 = 8 - 1 - digits;
    if (keep > baseCount) keep = baseCount;
    memory.copy(out, basis, keep);
    memory.fill(out + keep, 0x20, 8 - keep);
    store<u8>(out + keep, 0x7E); // '~'
    let t = n;
    for (let d: u32 = 0; d < digits; d++) { store<u8>(out + keep + digits - d, <u8>(0x30 + t % 10)); t /= 10; }
    if (!FatShortNameExists(vcb, directory, out, ignoreIndex)) return STATUS_SUCCESS;
  }
  return STATUS_OBJECT_NAME_COLLISION;
}

/**
 * Builds the entries for `name` into `entries` (32 bytes each: the long
 * entries, then the short entry, whose 11-byte name and case flags are
 * set; the caller fills in the rest of it). Returns the count, 0 on failure.
 * The short entry at `ignoreIndex` (a file being renamed in its directory)
 * does not count as taking a short name.
 */
export function FatBuildEntries(vcb: usize, directory: u32, name: usize, length: u32, entries: usize, ignoreIndex: u32): u32 {
  const short = entries + 21 * 32; // scratch after the 21 entries a name can need (the buffer holds 768 bytes)
  const exact = FatExactShortName(name, length, short);
  let longCount: u32 = 0;
  if (exact == 0) {
    if (!NT_SUCCESS(FatGenerateShortName(vcb, directory, name, length, short, ignoreIndex))) return 0;
    longCount = (length + 12) / 13;
  } else if (FatShortNameExists(vcb, directory, short, ignoreIndex)) {
    return 0;
  }
  const sum = FatShortChecksum(short);
  for (let k: u32 = 0; k < longCount; k++) {
    const seq = longCount - k; // entries are stored last part first
    const e = entries + (k << 5);
    memory.fill(e, 0, 32);
    store<u8>(e, <u8>(seq | (k == 0 ? 0x40 : 0)));
    changetype<FAT_LFN_ENTRY>(e).Attr = <u8>ATTR_LONG_NAME;
    changetype<FAT_DIRENT>(e).CrtTimeTenth = <u8>sum;
    for (let j: u32 = 0; j < 13; j++) {
      const at = (seq - 1) * 13 + j;
      const c: u32 = at < length ? <u32>load<u16>(name + (at << 1)) : at == length ? 0 : 0xFFFF;
      const off: u32 = j < 5 ? 1 + j * 2 : j < 11 ? 14 + (j - 5) * 2 : 28 + (j - 11) * 2;
      store<u16>(e + off, <u16>c);
    }
  }
  const s = entries + (longCount << 5);
  memory.fill(s, 0, 32);
  memory.copy(s, short, 11);
  changetype<FAT_DIRENT>(s).NTRes = <u8>(exact == 0 ? 0 : exact - 1);
  return longCount + 1;
}

function FatWriteRun(vcb: usize, scan: usize, first: u32, count: u32, entries: usize, deleteIndex: u32): u32 {
  // One write per sector, in index order. `deleteIndex` (or END_OF_DIRECTORY) is an entry to mark
  // deleted in the same pass (the old short entry of a rename in the same sector).
  let i: u32 = 0;
  while (i < count) {
    const sector = FatEntrySector(vcb, scan, first + i);
    if (sector >= DIR_ERROR) return STATUS_FILE_CORRUPT_ERROR;
    const data = FatCacheRead(vcb, sector);
    if (data == 0) return FatCacheReadStatus(vcb);
    while (i < count) {
      const index = first + i;
      if (FatEntrySector(vcb, scan, index) != sector) break;
      memory.copy(data + ((index & 15) << 5), entries + (i << 5), 32);
      i++;
    }
    if (deleteIndex != END_OF_DIRECTORY && FatEntrySector(vcb, scan, deleteIndex) == sector) {
      store<u8>(data + ((deleteIndex & 15) << 5), 0xE5);
      deleteIndex = END_OF_DIRECTORY;
    }
    const status = FatCacheWrite(vcb, sector, data);
    if (!NT_SUCCESS(status)) return status;
  }
  return STATUS_SUCCESS;
}

/** Marks entries [first, first + count) deleted, one write per sector, in index order. */
export function FatMarkDeleted(vcb: usize, directory: u32, first: u32, count: u32): u32 {
  const scan = FatNewScan(directory);
  if (scan == 0) return STATUS_INSUFFICIENT_RESOURCES;
  let status = STATUS_SUCCESS;
  let i: u32 = 0;
  while (i < count && NT_SUCCESS(status)) {
    const sector = FatEntrySector(vcb, scan, first + i);
    if (sector >= DIR_ERROR) { status = STATUS_FILE_CORRUPT_ERROR; break; }
    const data = FatCacheRead(vcb, sector);
    if (data == 0) { status = FatCacheReadStatus(vcb); break; }
    while (i < count && FatEntrySector(vcb, scan, first + i) == sector) {
      store<u8>(data + (((first + i) & 15) << 5), 0xE5);
      i++;
    }
    status = FatCacheWrite(vcb, sector, data);
  }
  FatFreeScan(scan);
  return status;
}

/**
 * Finds `count` consecutive free entries in `directory`, growing it by a
 * cluster when it must (not FAT16's root: STATUS_DISK_FULL). A run that
 * stays in one sector is preferred, but never one that would start after
 * the end marker. With `sameSector` (not END_OF_DIRECTORY)
 * only runs in that sector count, and `treatFree` is an index taken as free.
 * The first index goes to `out`.
 */
export function FatFindFreeRun(vcb: usize, directory: u32, count: u32, sameSector: u32, treatFree: u32, out: usize): u32 {
  const scan = FatNewScan(directory);
  if (scan == 0) return STATUS_INSUFFICIENT_RESOURCES;
  let runStart: u32 = 0, runLength: u32 = 0, crossing: u32 = END_OF_DIRECTORY;
  let index: u32 = 0;
  let status = STATUS_SUCCESS;
  let found = false;
  let ended = false;
  while (true) {
    const sector = FatEntrySector(vcb, scan, index);
    if (sector == DIR_ERROR) { status = STATUS_FILE_CORRUPT_ERROR; break; }
    if (sector == END_OF_DIRECTORY) break;
    const data = FatCacheRead(vcb, sector);
    if (data == 0) { status = FatCacheReadStatus(vcb); break; }
    const first = <u32>load<u8>(data + ((index & 15) << 5));
    if (first == 0) ended = true;
    const free = ended || first == 0xE5 || index == treatFree;
    const allowed = sameSector == END_OF_DIRECTORY || sector == sameSector;
    if (free && allowed) {
      if (runLength == 0) runStart = index;
      runLength++;
      if (runLength == count) {
        // In one sector? Runs of more than 16 never are.
        if (FatEntrySector(vcb, scan, runStart) == sector || count > 16) { found = true; break; }
        if (crossing == END_OF_DIRECTORY) crossing = runStart; // keep looking for a better one
        // Not past the end marker (the first entry whose first byte is 0):
        // a run that started after it would leave zero entries before the
        // file, and every reader (ours, fsck.fat, Windows) stops at the
        // first one: the file, and any file after it, would be lost.
        if (ended) break;
        runStart++; runLength--;
      }
    } else {
      runLength = 0;
    }
    index++;
  }
  if (!found && NT_SUCCESS(status) && crossing != END_OF_DIRECTORY) { runStart = crossing; found = true; }
  if (!found && NT_SUCCESS(status) && sameSector == END_OF_DIRECTORY) {
    // Grow the directory: new zeroed clusters after its last one.
    if (directory == 0) status = STATUS_DISK_FULL;
    else {
      if (runLength == 0) runStart = index;
      let need = count - runLength;
      const per = PerCluster(vcb);
      let last = changetype<DIRSCAN>(scan).Cluster;
      // Find the chain's last cluster.
      while (true) {
        const next = FatGetEntry(vcb, last);
        if (next == 0xFFFFFFFF) { status = FatCacheReadStatus(vcb); break; }
        if (next >= FAT_EOC) break;
        last = next;
      }
      while (NT_SUCCESS(status) && need > 0) {
        const cell = scan + 36; // scratch
        status = FatAllocateCluster(vcb, 0, cell);
        if (!NT_SUCCESS(status)) break;
        const cluster = load<u32>(cell);
        status = FatZeroCluster(vcb, cluster); // zeroed before it joins the chain
        if (!NT_SUCCESS(status)) break;
        status = FatLinkCluster(vcb, last, cluster);
        last = cluster;
        need = need > per ? need - per : 0;
      }
      found = NT_SUCCESS(status);
    }
  }
  FatFreeScan(scan);
  if (NT_SUCCESS(status) && !found) status = STATUS_DISK_FULL;
  if (NT_SUCCESS(status)) store<u32>(out, runStart);
  return status;
}

function FatLinkCluster(vcb: usize, previous: u32, cluster: u32): u32 { return FatSetEntry(vcb, previous, cluster); }

/** Writes a prepared run of entries at `first` of `directory`. */
export function FatWriteEntries(vcb: usize, directory: u32, first: u32, count: u32, entries: usize, deleteIndex: u32): u32 {
  const scan = FatNewScan(directory);
  if (scan == 0) return STATUS_INSUFFICIENT_RESOURCES;
  const status = FatWriteRun(vcb, scan, first, count, entries, deleteIndex);
  FatFreeScan(scan);
  return status;
}

/** The sector of entry `index` of `directory` (END_OF_DIRECTORY/DIR_ERROR as FatEntrySector). */
export function FatSectorOfEntry(vcb: usize, directory: u32, index: u32): u32 {
  const scan = FatNewScan(directory);
  if (scan == 0) return DIR_ERROR;
  const sector = FatEntrySector(vcb, scan, index);
  FatFreeScan(scan);
  return sector;
}

/** True when `directory` holds nothing but "." and "..". */
export function FatIsDirectoryEmpty(vcb: usize, directory: u32): bool {
  const scan = FatNewScan(directory);
  if (scan == 0) return false;
  let empty = true;
  while (FatNextFile(vcb, scan)) {
    const e = ScanEntry(scan);
    if (load<u8>(e) == 0x2E && (load<u8>(e, 1) == 0x20 || (load<u8>(e, 1) == 0x2E && load<u8>(e, 2) == 0x20))) continue;
    empty = false;
    break;
  }
  if (changetype<DIRSCAN>(scan).Status != STATUS_SUCCESS) empty = false;
  FatFreeScan(scan);
  return empty;
}

/** The first cluster a short entry names. */
@inline export function EntryCluster(vcb: usize, e: usize): u32 {
  const high = changetype<VCB>(vcb).FatType == 32 ? <u32>changetype<FAT_DIRENT>(e).FstClusHI << 16 : 0;
  return high | <u32>changetype<FAT_DIRENT>(e).FstClusLO;
}
@inline export function SetEntryCluster(e: usize, cluster: u32): void {
  changetype<FAT_DIRENT>(e).FstClusHI = <u16>(cluster >>> 16);
  changetype<FAT_DIRENT>(e).FstClusLO = <u16>cluster;
}
