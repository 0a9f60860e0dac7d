// Lost clusters: allocated in the FAT (neither free nor bad) but in no
// entry's chain after the tree walk. They are grouped into chains (a chain
// starts at a lost cluster no other lost cluster links to; a ring of lost
// clusters is a chain from any of its clusters), counted and reported as
// Windows does ("N lost allocation units found in M chains."). With /r each
// chain becomes a file FILEnnnn.CHK in a new directory FOUND.nnn of the
// root (the first number not taken), its size the chain's length in bytes,
// as chkdsk's "convert lost chains to files".

import { AcAllocate, AcFree, AcRead, AcSetQuiet, AcWrite, flush, put, putDec } from "./nt";
import {
  BytesPerSector, ClusterBytes, ClusterCount, FAT_BAD, FatGet, FatSet, FatType, RootCluster, RootSectors, RootStart,
  SectorsPerCluster, VolClusterSector, VolIsCluster,
} from "./volume";
import { ChainAllocate, ChainWalk, ChainOwned, OwnerOf } from "./chain";
import { SetEntryStart, TreeNewId } from "./tree";
import { ATTR_ARCHIVE, ATTR_DIRECTORY, FAT_DIRENT, FAT_DIRENT_SIZE } from "../../../kernel/sdk/fat";
import { NT_SUCCESS } from "../../../kernel/sdk/ntstatus";

export let LostClusters: u32 = 0;
export let LostChains: u32 = 0;
export let RecoveredFiles: u32 = 0;

/** Heads and lengths of the lost chains (at most MAX_CHAINS are kept). */
const MAX_CHAINS: u32 = 4096;
let Heads: usize = 0, Lengths: usize = 0;

@inline function isLost(c: u32): bool {
  const v = FatGet(c);
  return v != 0 && v != FAT_BAD && OwnerOf(c) == 0;
}

/** Finds the lost chains (claiming their clusters); returns the number of lost clusters. */
export function LostFind(): u32 {
  LostClusters = 0; LostChains = 0; RecoveredFiles = 0;
  const pointed = AcAllocate(ClusterCount + 2);
  if (Heads == 0) { Heads = AcAllocate(MAX_CHAINS << 2); Lengths = AcAllocate(MAX_CHAINS << 2); }
  if (pointed == 0 || Heads == 0 || Lengths == 0) return 0;
  for (let c: u32 = 2; c < ClusterCount + 2; c++) {
    if (!isLost(c)) continue;
    const next = FatGet(c);
    if (next < FAT_BAD && VolIsCluster(next) && next != c && isLost(next)) store<u8>(pointed + next, 1);
  }
  // Chain walks here report nothing: the summary line below says it all.
  AcSetQuiet(true);
  for (let pass: u32 = 0; pass < 2; pass++) {
    for (let c: u32 = 2; c < ClusterCount + 2; c++) {
      if (!isLost(c) || (pass == 0 && load<u8>(pointed + c) != 0)) continue;
      ChainWalk(c, TreeNewId(), 0, 0, 0);
      const n = ChainOwned;
      if (LostChains < MAX_CHAINS) { store<u32>(Heads + (LostChains << 2), c); store<u32>(Lengths + (LostChains << 2), n); }
      LostChains++;
      LostClusters += n;
    }
  }
  AcSetQuiet(false);
  AcFree(pointed);
  if (LostClusters != 0) {
    putDec(LostClusters); put(" lost allocation units found in "); putDec(LostChains); put(LostChains == 1 ? " chain." : " chains."); flush();
  }
  return LostClusters;
}

// ---- /r: the chains as files ----

function setName(e: usize, name: string): void {
  for (let i = 0; i < 11; i++) store<u8>(e + i, <u8>name.charCodeAt(i));
}
function setNumber(e: usize, at: u32, digits: u32, v: u32): void {
  for (let i = <i32>digits - 1; i >= 0; i--) { store<u8>(e + at + <u32>i, <u8>(48 + v % 10)); v /= 10; }
}

/** The root directory: its sectors (FAT12/16) or clusters (FAT32) as a list of (sector, count) runs in `runs`; returns the run count. */
function rootRuns(runs: usize, max: u32): u32 {
  if (FatType != 32) { store<u32>(runs, RootStart); store<u32>(runs, RootSectors, 4); return 1; }
  let n: u32 = 0, c = RootCluster;
  while (n < max && VolIsCluster(c)) {
    store<u32>(runs + (n << 3), VolClusterSector(c)); store<u32>(runs + (n << 3), SectorsPerCluster, 4); n++;
    const next = FatGet(c);
    if (next >= FAT_BAD) break;
    c = next;
  }
  return n;
}

const scratchRuns = memory.data(8 * 512, 4);

/** Is there a directory FOUND.`number` in the root? (`sector`: a buffer.) */
function rootFindFound(number: u32, sector: usize): bool {
  const runs = rootRuns(scratchRuns, 512);
  for (let r: u32 = 0; r < runs; r++) {
    for (let s: u32 = 0; s < load<u32>(scratchRuns + (r << 3), 4); s++) {
      if (!NT_SUCCESS(AcRead(load<u32>(scratchRuns + (r << 3)) + s, 1, sector))) return false;
      for (let o: u32 = 0; o < BytesPerSector; o += 32) {
        const e = sector + o;
        if (load<u8>(e) == 0) return false;
        if (load<u8>(e) == 0x46 && isFound(e, number)) return true;
      }
    }
  }
  return false;
}
function isFound(e: usize, number: u32): bool {
  const want = "FOUND   ";
  for (let i = 0; i < 8; i++) if (<u32>load<u8>(e + i) != <u32>want.charCodeAt(i)) return false;
  let v: u32 = 0;
  for (let i: u32 = 8; i < 11; i++) { const ch = <u32>load<u8>(e + i); if (ch < 48 || ch > 57) return false; v = v * 10 + ch - 48; }
  return v == number && (<u32>changetype<FAT_DIRENT>(e).Attr & ATTR_DIRECTORY) != 0;
}

/**
 * Adds the entry at `entry` to the root directory in its first free slot;
 * FAT32's root grows by a cluster when it is full. False when there is no room.
 */
function rootAdd(entry: usize, sector: usize): bool {
  let runs = rootRuns(scratchRuns, 512);
  for (let r: u32 = 0; r < runs; r++) {
    for (let s: u32 = 0; s < load<u32>(scratchRuns + (r << 3), 4); s++) {
      const at = load<u32>(scratchRuns + (r << 3)) + s;
      if (!NT_SUCCESS(AcRead(at, 1, sector))) return false;
      for (let o: u32 = 0; o < BytesPerSector; o += 32) {
        const first = load<u8>(sector + o);
        if (first != 0 && first != 0xE5) continue;
        memory.copy(sector + o, entry, 32);
        return NT_SUCCESS(AcWrite(at, 1, sector));
      }
    }
  }
  if (FatType != 32 || runs == 0) return false;
  // FAT32: a new, zeroed cluster at the root's end.
  let last = RootCluster;
  for (let n: u32 = 0; n < ClusterCount; n++) { const next = FatGet(last); if (next >= FAT_BAD || !VolIsCluster(next)) break; last = next; }
  const c = ChainAllocate(OwnerOf(RootCluster));
  if (c == 0) return false;
  const zero = AcAllocate(ClusterBytes);
  memory.copy(zero, entry, 32);
  const ok = NT_SUCCESS(AcWrite(VolClusterSector(c), SectorsPerCluster, zero));
  AcFree(zero);
  if (!ok) { FatSet(c, 0); return false; }
  FatSet(last, c);
  return true;
}

/** /r: FOUND.nnn\FILEnnnn.CHK for every lost chain found. */
export function LostRecover(): void {
  if (LostChains == 0) return;
  const kept = LostChains < MAX_CHAINS ? LostChains : MAX_CHAINS;
  const sector = AcAllocate(BytesPerSector);
  let number: u32 = 0;
  while (number < 1000 && rootFindFound(number, sector)) number++;
  if (number == 1000) { put("There is no free name FOUND.nnn for the recovered files."); flush(); AcFree(sector); return; }
  // The directory: ., .., then one entry per chain.
  const perCluster = ClusterBytes / 32;
  const clusters = (kept + 2 + perCluster - 1) / perCluster;
  const id = TreeNewId();
  const buffer = AcAllocate(clusters * ClusterBytes);
  const list = AcAllocate(clusters << 2);
  let got: u32 = 0, prev: u32 = 0;
  for (; got < clusters; got++) {
    const c = ChainAllocate(id);
    if (c == 0) break;
    store<u32>(list + (got << 2), c);
    if (prev != 0) FatSet(prev, c);
    prev = c;
  }
  if (got < clusters) {
    put("There is not enough free space to recover the lost chains."); flush();
    for (let i: u32 = 0; i < got; i++) FatSet(load<u32>(list + (i << 2)), 0);
    AcFree(buffer); AcFree(list); AcFree(sector);
    return;
  }
  const first = load<u32>(list);
  // `.` and `..` (the root: 0).
  memory.fill(buffer, 0x20, 11); store<u8>(buffer, 0x2E); changetype<FAT_DIRENT>(buffer).Attr = <u8>ATTR_DIRECTORY; SetEntryStart(buffer, first);
  memory.fill(buffer + 32, 0x20, 11); store<u8>(buffer + 32, 0x2E); store<u8>(buffer + 33, 0x2E); changetype<FAT_DIRENT>(buffer + FAT_DIRENT_SIZE).Attr = <u8>ATTR_DIRECTORY;
  for (let k: u32 = 0; k < kept; k++) {
    const e = buffer + ((k + 2) << 5);
    setName(e, "FILE0000CHK");
    setNumber(e, 4, 4, k);
    changetype<FAT_DIRENT>(e).Attr = <u8>ATTR_ARCHIVE;
    SetEntryStart(e, load<u32>(Heads + (k << 2)));
    changetype<FAT_DIRENT>(e).FileSize = load<u32>(Lengths + (k << 2)) * ClusterBytes;
    RecoveredFiles++;
  }
  let ok = true;
  for (let i: u32 = 0; i < clusters && ok; i++) {
    ok = NT_SUCCESS(AcWrite(VolClusterSector(load<u32>(list + (i << 2))), SectorsPerCluster, buffer + i * ClusterBytes));
  }
  // The directory's entry in the root.
  const entry = memory.data(32, 4);
  memory.fill(entry, 0, 32);
  setName(entry, "FOUND   000");
  setNumber(entry, 8, 3, number);
  changetype<FAT_DIRENT>(entry).Attr = <u8>ATTR_DIRECTORY;
  SetEntryStart(entry, first);
  if (ok) ok = rootAdd(entry, sector);
  if (!ok) {
    put("The recovered files could not be written; the lost chains are left as they are."); flush();
    RecoveredFiles = 0;
    for (let i: u32 = 0; i < clusters; i++) FatSet(load<u32>(list + (i << 2)), 0);
  } else {
    put("Converting "); putDec(LostChains); put(LostChains == 1 ? " lost chain" : " lost chains"); put(" into files in \\FOUND.");
    putDec(number / 100); putDec(number / 10 % 10); putDec(number % 10); put("\\ ("); putDec(<u64>LostClusters * ClusterBytes); put(" bytes).");
    flush();
  }
  AcFree(buffer); AcFree(list); AcFree(sector);
}
