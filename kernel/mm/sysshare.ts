// One copy of a session image's read-only pages for every session, as NT
// shares win32k.sys's code between sessions while each session gets its own
// data.
//
// A session image (sysload.ts) is loaded at the same address in every
// session (MmSessionImageStart) and its imports resolve to the same kernel
// routines, so once relocated its read-only pages -- the headers, .text,
// .reloc, any section without IMAGE_SCN_MEM_WRITE -- are byte for byte the
// same in every session. The first load builds the image in its session as
// before, then makes those pages read-only and records their frames here,
// with a reference of the record's own (NT's prototype PTEs keep an image's
// pages the same way), so they outlive the session. A later load of the same
// file (same length and FNV-1a hash of every byte) maps those frames
// (MmSessionMapShared, read-only) and commits fresh pages only for the rest:
// the writable sections, copied from the file and relocated again, the
// import table resolved again. A page that holds any writable section is
// private; nothing is shared unless the image fits MI_SHARED_MAX_PAGES.
//
// Log line per load: `mm: session <n>: <k> pages of the image shared with
// every session (frames <first>..., sum <s>), <p> private (sum <t>)`: the
// frame sums let a test see that two sessions share the one and not the other.

import { KeLogBegin, KeLogDecimal, KeLogEnd, KeLogHex, KeLogString } from "../ke/log";
import { MmSessionCommit, MmSessionMapShared, MmSessionPageFrame, MmSessionProtect } from "./session";
import { MmReferencePhysicalPage } from "./pfn";
import { IMAGE_NT_HEADERS32, IMAGE_SCN_MEM_WRITE, IMAGE_SECTION_HEADER, SECTION_HEADER_SIZE } from "../sdk/pe";
import { NT_SUCCESS, STATUS_SUCCESS } from "../sdk/ntstatus";

/** The largest image whose pages are shared: 1 MiB. */
const MI_SHARED_MAX_PAGES: u32 = 256;
const PAGE_SHIFT: u32 = 12;
const PAGE_BYTES: u32 = 4096;

// All of the state below is the session image loader's: it is read and
// written only under its lock (MiLoadLock, mm/sysload.ts), one load at a time.

// This load's plan: per page of the image, 1 = read-only (shareable), 2 = writable, 0 = neither.
const PLAN_READ_ONLY: u8 = 1;
const PLAN_WRITABLE: u8 = 2;
const MiSharePlan: usize = memory.data(<i32>MI_SHARED_MAX_PAGES, 4);
/** True while a load maps the recorded copy's pages: writes to those pages are skipped. */
let MiLoadingShared: bool = false;

// The recorded copy: its file's length and hash, its SizeOfImage, and the frame of each read-only page.
let MiSharedLength: u32 = 0;
let MiSharedHash: u32 = 0;
let MiSharedSize: u32 = 0;
const MiSharedFrames: usize = memory.data(<i32>(MI_SHARED_MAX_PAGES * 4), 4);

/** FNV-1a over the file: what makes two loads "the same image". */
export function MiHashImageFile(file: usize, length: u32): u32 {
  let hash: u32 = 0x811C9DC5;
  for (let i: u32 = 0; i < length; i++) hash = (hash ^ <u32>load<u8>(file + i)) * 0x01000193;
  return hash;
}

/**
 * Fills this load's plan from the (checked) headers of an image of `size`
 * bytes; returns the read-only pages, 0 when nothing can be shared.
 */
export function MiPlanSharing(nt: IMAGE_NT_HEADERS32, size: u32): u32 {
  const pages = (size + PAGE_BYTES - 1) >> PAGE_SHIFT;
  memory.fill(MiSharePlan, 0, MI_SHARED_MAX_PAGES);
  if (pages > MI_SHARED_MAX_PAGES) return 0;
  const headerPages = (nt.OptionalHeader.SizeOfHeaders + PAGE_BYTES - 1) >> PAGE_SHIFT;
  for (let p: u32 = 0; p < headerPages && p < pages; p++) store<u8>(MiSharePlan + p, PLAN_READ_ONLY);
  const count = <u32>nt.FileHeader_NumberOfSections;
  for (let i: u32 = 0; i < count; i++) {
    const s = changetype<IMAGE_SECTION_HEADER>(nt.FirstSection + i * SECTION_HEADER_SIZE);
    const bytes = s.VirtualSize > s.SizeOfRawData ? s.VirtualSize : s.SizeOfRawData;
    if (bytes == 0) continue;
    const first = s.VirtualAddress >> PAGE_SHIFT;
    const last = (s.VirtualAddress + bytes - 1) >> PAGE_SHIFT;
    const kind = (s.Characteristics & IMAGE_SCN_MEM_WRITE) != 0 ? PLAN_WRITABLE : PLAN_READ_ONLY;
    for (let p = first; p <= last && p < pages; p++) {
      if (load<u8>(MiSharePlan + p) != PLAN_WRITABLE) store<u8>(MiSharePlan + p, kind);
    }
  }
  let shared: u32 = 0;
  for (let p: u32 = 0; p < pages; p++) if (load<u8>(MiSharePlan + p) == PLAN_READ_ONLY) shared++;
  return shared;
}

/** True when a copy of exactly this file is recorded: the load maps its pages (MiMapSharedImage). */
export function MiSharedCopyMatches(length: u32, hash: u32, size: u32): bool {
  return MiSharedLength != 0 && MiSharedLength == length && MiSharedHash == hash && MiSharedSize == size;
}

/** True when `address` (inside the image at `image`) is on a page this load maps from the shared copy. */
@inline function MiSharedPage(image: usize, address: usize): bool {
  return load<u8>(MiSharePlan + <u32>((address - image) >> PAGE_SHIFT)) == PLAN_READ_ONLY;
}

/** True when the load may write the 4 bytes at `address`: always, unless they touch a shared page. */
export function MiImageWritable(image: usize, address: usize): bool {
  return !MiLoadingShared || (!MiSharedPage(image, address) && !MiSharedPage(image, address + 3));
}

/** Copies `bytes` from `source` into the image at `destination`, leaving out the shared pages. */
export function MiCopyIntoImage(image: usize, destination: usize, source: usize, bytes: u32): void {
  if (!MiLoadingShared) { memory.copy(destination, source, bytes); return; }
  let done: u32 = 0;
  while (done < bytes) {
    const at = destination + done;
    let chunk = <u32>(((at & ~<usize>(PAGE_BYTES - 1)) + PAGE_BYTES) - at);
    if (chunk > bytes - done) chunk = bytes - done;
    if (!MiSharedPage(image, at)) memory.copy(at, source + done, chunk);
    done += chunk;
  }
}

/**
 * The image's pages in the current session from the recorded copy: its
 * read-only frames mapped, fresh zeroed pages for the rest. Writes to the
 * shared pages are skipped until MiEndSharedLoad.
 */
export function MiMapSharedImage(image: usize, size: u32): u32 {
  const pages = (size + PAGE_BYTES - 1) >> PAGE_SHIFT;
  for (let p: u32 = 0; p < pages; p++) {
    const va = image + (<usize>p << PAGE_SHIFT);
    const status = load<u8>(MiSharePlan + p) == PLAN_READ_ONLY
      ? MmSessionMapShared(va, MiSharedFrames + (p << 2), 1, false)
      : MmSessionCommit(va, PAGE_BYTES);
    if (!NT_SUCCESS(status)) return status;
  }
  MiLoadingShared = true;
  return STATUS_SUCCESS;
}

export function MiEndSharedLoad(): void { MiLoadingShared = false; }

/**
 * After the first load of an image: its read-only pages become read-only
 * and their frames the recorded copy (one reference each of its own), for
 * every later session. Nothing is recorded twice.
 */
export function MiRecordSharedImage(image: usize, size: u32, length: u32, hash: u32): void {
  if (MiSharedLength != 0) return;
  const pages = (size + PAGE_BYTES - 1) >> PAGE_SHIFT;
  if (pages > MI_SHARED_MAX_PAGES) return;
  for (let p: u32 = 0; p < pages; p++) {
    if (load<u8>(MiSharePlan + p) != PLAN_READ_ONLY) continue;
    const va = image + (<usize>p << PAGE_SHIFT);
    MmSessionProtect(va, PAGE_BYTES, false);
    const frame = MmSessionPageFrame(va);
    MmReferencePhysicalPage(frame);
    store<u32>(MiSharedFrames + (p << 2), frame);
  }
  MiSharedLength = length;
  MiSharedHash = hash;
  MiSharedSize = size;
}

/** The log line: this session's shared and private pages of the image, and the sums of their frames. */
export function MiLogSharing(session: u32, image: usize, size: u32, mapped: bool): void {
  const pages = (size + PAGE_BYTES - 1) >> PAGE_SHIFT;
  let shared: u32 = 0, own: u32 = 0, sharedSum: u32 = 0, ownSum: u32 = 0, first: u32 = 0;
  for (let p: u32 = 0; p < pages; p++) {
    const frame = MmSessionPageFrame(image + (<usize>p << PAGE_SHIFT));
    if (load<u8>(MiSharePlan + p) == PLAN_READ_ONLY && MiSharedLength != 0) {
      if (shared == 0) first = frame;
      shared++;
      sharedSum += frame;
    } else {
      own++;
      ownSum += frame;
    }
  }
  KeLogBegin("mm");
  KeLogString("session ");
  KeLogDecimal(session);
  KeLogString(": ");
  KeLogDecimal(shared);
  KeLogString(mapped ? " pages of the image mapped from the shared copy (frames from " : " pages of the image are the shared copy from now on (frames from ");
  KeLogHex(first);
  KeLogString(", sum ");
  KeLogHex(sharedSum);
  KeLogString("), ");
  KeLogDecimal(own);
  KeLogString(" private (sum ");
  KeLogHex(ownSum);
  KeLogString(")");
  KeLogEnd();
}
