// Cluster chains: following one from a directory entry, with the owner
// table that finds cross-links, loops and invalid links, and the repairs
// that keep every chain whole: an invalid link ends the chain there; a
// chain that runs into another file's clusters gets its own copy of them
// (as Windows' chkdsk copies cross-linked allocation units) or, when there
// is no room, ends before them; a chain longer than its file's size is cut
// and the rest freed.
//
// Owner table: one u32 per cluster, 0 for unclaimed, else the id of the
// entry (file, directory, recovered chain) whose chain holds it.

import { AcAllocate, AcRead, AcWrite, put, putDec, putPath, flush } from "./nt";
import { ClusterBytes, ClusterCount, FAT_BAD, FAT_EOC, FatGet, FatSet, SectorsPerCluster, VolClusterSector, VolIsCluster } from "./volume";
import { NT_SUCCESS } from "../../../kernel/sdk/ntstatus";

export let Owner: usize = 0;
/** Repair (/r) or only report. */
export let Fix: bool = false;
/** Problems found, and repairs made. */
export let Problems: u32 = 0;
export let Repairs: u32 = 0;
/** The first cluster of the chain ChainWalk followed, after its repairs (0: none left). */
export let ChainStart: u32 = 0;
/** Set by ChainWalk when the chain ran into clusters another entry owns. */
export let ChainCrossLinked: bool = false;
/** The clusters ChainWalk claimed for the entry (its own, copies included). */
export let ChainOwned: u32 = 0;
let NextFree: u32 = 2;
let CopyBuffer: usize = 0;

export function ChainInitialize(fix: bool): bool {
  Fix = fix; Problems = 0; Repairs = 0; NextFree = 2;
  Owner = AcAllocate((ClusterCount + 2) << 2);
  CopyBuffer = AcAllocate(ClusterBytes);
  return Owner != 0 && CopyBuffer != 0;
}

@inline export function OwnerOf(c: u32): u32 { return load<u32>(Owner + (c << 2)); }
@inline export function SetOwner(c: u32, id: u32): void { store<u32>(Owner + (c << 2), id); }

/** A problem with the current path: "<path> <text>" (the caller finishes the line). */
export function problem(): void { Problems++; putPath(); put(" "); }

/** With /r: what was done about the problem just reported, on a line of its own. */
export function fixed(text: string): void { put("  "); put(text); flush(); }

/** A free, unclaimed cluster for a repair, or 0 when the volume is full. */
export function ChainAllocate(id: u32): u32 {
  for (let n: u32 = 0; n < ClusterCount; n++) {
    if (!VolIsCluster(NextFree)) NextFree = 2;
    const c = NextFree++;
    if (FatGet(c) == 0 && OwnerOf(c) == 0) { FatSet(c, FAT_EOC); SetOwner(c, id); return c; }
  }
  return 0;
}

/** Is `next` (a FAT entry) a link to a valid cluster? */
@inline function isLink(next: u32): bool { return next < FAT_BAD && VolIsCluster(next); }

/**
 * Copies the chain that starts at `from` (another entry's clusters), at most
 * `want` clusters, to new clusters owned by `id`, linked after `prev` (0:
 * the copy is the chain's start, ChainStart). Returns the clusters copied;
 * the chain ends after the last.
 */
function ChainCopy(prev: u32, from: u32, want: u32, id: u32): u32 {
  let copied: u32 = 0, last = prev, src = from;
  while (copied < want) {
    const dst = ChainAllocate(id);
    if (dst == 0) break;
    if (!NT_SUCCESS(AcRead(VolClusterSector(src), SectorsPerCluster, CopyBuffer))
        || !NT_SUCCESS(AcWrite(VolClusterSector(dst), SectorsPerCluster, CopyBuffer))) { FatSet(dst, 0); SetOwner(dst, 0); break; }
    if (last == 0) ChainStart = dst; else FatSet(last, dst);
    last = dst;
    copied++;
    const next = FatGet(src);
    if (!isLink(next)) break;
    src = next;
  }
  if (last == 0) ChainStart = 0; else FatSet(last, FAT_EOC);
  return copied;
}

/**
 * Follows the chain from `start` for entry `id` and claims its clusters.
 * `want` is how many clusters the entry needs (its size; 0xFFFFFFFF for a
 * directory, 0 to never copy: recovered chains); `list`, when not 0,
 * receives the clusters (at most `listMax`). Returns the chain's length
 * after repairs (or, when only reporting, its length as the FAT has it).
 */
export function ChainWalk(start: u32, id: u32, want: u32, list: usize, listMax: u32): u32 {
  ChainStart = start;
  ChainCrossLinked = false;
  ChainOwned = 0;
  if (start == 0) return 0;
  if (!VolIsCluster(start)) {
    problem(); put("has an invalid first allocation unit ("); putDec(start); put(")."); flush();
    if (Fix) { ChainStart = 0; Repairs++; fixed("The entry now has no allocation units."); }
    return 0;
  }
  let prev: u32 = 0, c = start, n: u32 = 0;
  while (true) {
    const o = OwnerOf(c);
    if (o != 0) {
      if (o == id) {
        problem(); put("has a chain that loops back to allocation unit "); putDec(c); put("."); flush();
        if (Fix) { FatSet(prev, FAT_EOC); Repairs++; put("  The chain now ends at allocation unit "); putDec(prev); put("."); flush(); }
        break;
      }
      ChainCrossLinked = true;
      problem(); put("is cross-linked on allocation unit "); putDec(c); put("."); flush();
      if (Fix) {
        const rest = want == 0xFFFFFFFF || want == 0 ? 0 : want > n ? want - n : 0;
        let copied: u32 = 0;
        if (rest != 0) { copied = ChainCopy(prev, c, rest, id); n += copied; ChainOwned += copied; }
        else if (prev != 0) FatSet(prev, FAT_EOC);
        else ChainStart = 0;
        Repairs++;
        if (copied != 0) { put("  The shared allocation units were copied for it: "); putDec(copied); put(copied == 1 ? " allocation unit." : " allocation units."); flush(); }
        else fixed("Its chain now ends before the shared allocation unit.");
      } else {
        // Only reporting: count the shared rest as this entry's, for its size check.
        let k: u32 = 0, s = c;
        while (k < ClusterCount) { k++; const next = FatGet(s); if (!isLink(next)) break; s = next; }
        n += k;
      }
      break;
    }
    SetOwner(c, id);
    if (list != 0 && n < listMax) store<u32>(list + (n << 2), c);
    n++;
    ChainOwned++;
    const next = FatGet(c);
    if (next >= FAT_EOC) break;
    if (!isLink(next)) {
      problem(); put("has an invalid link in allocation unit "); putDec(c); put(" ("); putDec(next); put(")."); flush();
      if (Fix) { FatSet(c, FAT_EOC); Repairs++; put("  The chain now ends at allocation unit "); putDec(c); put("."); flush(); }
      break;
    }
    prev = c;
    c = next;
  }
  return n;
}

/** Cuts entry `id`'s chain from `start` after `keep` clusters (0: all freed) and frees the rest. */
export function ChainTruncate(start: u32, keep: u32, id: u32): void {
  let c = start, k: u32 = 1;
  if (keep == 0) { ChainFree(start, id); return; }
  while (k < keep) { const next = FatGet(c); if (!isLink(next)) return; c = next; k++; }
  const rest = FatGet(c);
  FatSet(c, FAT_EOC);
  if (isLink(rest)) ChainFree(rest, id);
}

/** Frees the clusters of entry `id`'s chain from `c` (only those it owns). */
export function ChainFree(c: u32, id: u32): void {
  for (let n: u32 = 0; n < ClusterCount && VolIsCluster(c) && OwnerOf(c) == id; n++) {
    const next = FatGet(c);
    FatSet(c, 0);
    SetOwner(c, 0);
    if (!isLink(next)) break;
    c = next;
  }
}
