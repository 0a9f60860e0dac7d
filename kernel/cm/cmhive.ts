// Hives: loading regf files into the tree, and writing them back.
//
// The machine hives live in \SystemRoot\System32\config: SYSTEM (loaded at
// boot, CmInitSystem1) and SOFTWARE, SAM, SECURITY and DEFAULT (loaded when
// the session manager calls NtInitializeRegistry; a missing one starts
// empty and is written at its first flush).
//
// Power cuts. Every hive file has a mirror, NAME.ALT (NT 4's alternate
// hive, a full copy), and the regf sequence numbers mark a file that is
// being written: a flush serialises the tree into a new image with
// sequence s + 1 and, for NAME.ALT first and then NAME, writes
//
//   1. the base block with Sequence1 = s + 1, Sequence2 = s   (flush)
//   2. the bins                                               (flush)
//   3. the base block with Sequence2 = s + 1                  (flush)
//
// in place (the file is opened without truncation and never shrinks: the
// bins are padded to the largest size written before, so its clusters stay
// where they are and FAT itself is not touched once the file has its
// size; a file that must grow is deleted and made again at its new size,
// see CmpOpenHiveFile). A cut before step 3 of NAME.ALT leaves NAME whole; a cut before
// step 3 of NAME leaves NAME.ALT whole. At load, a file whose sequence
// numbers differ, whose checksum is wrong or whose cells do not check out
// is refused, and the other one is used (and NAME is rewritten from it at
// once). Both unusable: bug check BAD_SYSTEM_CONFIG_INFO (0x74); both
// missing: CONFIG_INITIALIZATION_FAILED (0x67); a clear line says which.
//
// Writes go through a lazy flusher too: a change wakes the registry's
// thread, which waits five seconds (changes in that time go together) and
// writes every dirty hive. NtFlushKey writes at once.

import { RtlValidRelativeSecurityDescriptor } from "../rtl/security";
import { ExFreePoolWithTag } from "../ex/pool";
import { KeBugCheckEx } from "../ke/bugcheck";
import { KeLog, KeLogBegin, KeLogEnd, KeLogHex, KeLogString, KeLogDecimal, KeLogFormat2, KeLogFormat3 } from "../ke/log";
import { KeAllocateScratch, KeCreateThread, KeFreeScratch, KeReadyThread } from "../ke/thread";
import { KEVENT_SIZE, KeInitializeEvent, KeQuerySystemTime, KeSetEvent, KeWaitForSingleObject } from "../ke/wait";
import { ObAcquireObjectLock, ObReleaseObjectLock } from "../ob/obp";
import {
  IoCloseFile, IoLoadFile, IoMarkFileForDelete, IoOpenFileForUpdate, IoQueryFileSize, IoSetFileSize, IoWriteFileAt,
} from "../io/iofile";
import {
  CM_KEY_HIVE_ROOT, CM_KEY_LAZY, CmKey, CmpAllocateKey, CmpDirtyHives, CmpDirtyHivesClear, CmpLinkSubKey, CmpMarkHiveDirty,
} from "./cmp";
import {
  CmpRegfCheckHeader, CmpRegfDataSize, CmpRegfErrorCell, CmpRegfErrorText, CmpRegfFreeImage, CmpRegfSequence, CmpRegfSetChecksum,
  REGF_BASE_BLOCK, REGF_OK, REGF_NO_MEMORY,
} from "./regf";
import { CmpRegfKeys, CmpRegfRead, CmpRegfValues } from "./regfread";
import { CmpRegfWrite } from "./regfwrite";
import {
  NT_SUCCESS, STATUS_INSUFFICIENT_RESOURCES, STATUS_OBJECT_NAME_NOT_FOUND,
  STATUS_OBJECT_PATH_NOT_FOUND, STATUS_SUCCESS,
} from "../sdk/ntstatus";

export const CM_HIVE_SYSTEM: u32 = 1;
export const CM_HIVE_SOFTWARE: u32 = 2;
export const CM_HIVE_SAM: u32 = 3;
export const CM_HIVE_SECURITY: u32 = 4;
export const CM_HIVE_DEFAULT: u32 = 5;
export const CM_HIVE_COUNT: u32 = 5;

const HIVE_TAG: u32 = 0x76486D43; // 'CmHv' loaded images
const BAD_SYSTEM_CONFIG_INFO: u32 = 0x74;
const CONFIG_INITIALIZATION_FAILED: u32 = 0x67;

// Per hive (index 1..5): +0 root key, +4 security descriptor, +8 its length,
// +12 sequence number on disk, +16 bins data size on disk, +20 loaded,
// +24 the file's image its keys are built from (regf.ts: kept while it is
// loaded), +28 keys and +32 values in the file.
const HIVE_SIZE: u32 = 36;
const Hives: usize = memory.data(<i32>(HIVE_SIZE * (CM_HIVE_COUNT + 1)), 4);
@inline function H(hive: u32): usize { return Hives + hive * HIVE_SIZE; }

export function CmpHiveRoot(hive: u32): usize { return load<usize>(H(hive)); }
/** The keys and values the hive had when it was loaded (its file's, counted by the load's check). */
export function CmpHiveLoadedKeys(hive: u32): u32 { return load<u32>(H(hive) + 28); }
export function CmpHiveLoadedValues(hive: u32): u32 { return load<u32>(H(hive) + 32); }
/**
 * The security descriptor every key of a hive has (the hive file's sk cell:
 * the writer shares one among all keys; images/registry/regf.ts), or 0 when
 * the hive has none or it is not a valid self-relative descriptor (then its
 * keys are open to all, as keys with a NULL DACL).
 */
export function CmHiveSecurity(hive: u32): usize {
  if (hive == 0) return CmpMasterSecurity;
  if (hive > CM_HIVE_COUNT) return 0;
  const sd = load<usize>(H(hive) + 4), length = load<u32>(H(hive) + 8);
  return sd != 0 && RtlValidRelativeSecurityDescriptor(sd, length) ? sd : 0;
}

/**
 * The descriptor of `key`: its own (CM_KEY.Security: one it was created with,
 * inherited from its parent, or given by NtSetSecurityObject, or read from
 * its own sk cell), else its hive's. Valid under the tree's lock.
 */
export function CmpKeySecurity(key: usize): usize {
  const own = CmKey(key).Security;
  return own != 0 ? own : CmHiveSecurity(CmKey(key).Hive);
}

/**
 * The descriptor of the volatile master keys (\REGISTRY, MACHINE, USER,
 * HARDWARE: hive 0), NT's CmpHiveRootSecurityDescriptor: SYSTEM and
 * Administrators KEY_ALL_ACCESS, Everyone KEY_READ (cmparse.ts makes it at boot).
 */
let CmpMasterSecurity: usize = 0;
export function CmpSetMasterSecurity(sd: usize): void { CmpMasterSecurity = sd; }

/** \REGISTRY, \REGISTRY\MACHINE and \REGISTRY\USER (cmparse.ts makes them). */
export let CmpRegistryRoot: usize = 0;
export let CmpMachineKey: usize = 0;
export let CmpUserKey: usize = 0;
export function CmpSetMasterKeys(root: usize, machine: usize, user: usize): void {
  CmpRegistryRoot = root;
  CmpMachineKey = machine;
  CmpUserKey = user;
}

export function CmpHiveFile(hive: u32): string {
  switch (hive) {
    case CM_HIVE_SYSTEM: return "\\SystemRoot\\System32\\config\\SYSTEM";
    case CM_HIVE_SOFTWARE: return "\\SystemRoot\\System32\\config\\SOFTWARE";
    case CM_HIVE_SAM: return "\\SystemRoot\\System32\\config\\SAM";
    case CM_HIVE_SECURITY: return "\\SystemRoot\\System32\\config\\SECURITY";
  }
  return "\\SystemRoot\\System32\\config\\DEFAULT";
}

function CmpHiveAltFile(hive: u32): string {
  switch (hive) {
    case CM_HIVE_SYSTEM: return "\\SystemRoot\\System32\\config\\SYSTEM.ALT";
    case CM_HIVE_SOFTWARE: return "\\SystemRoot\\System32\\config\\SOFTWARE.ALT";
    case CM_HIVE_SAM: return "\\SystemRoot\\System32\\config\\SAM.ALT";
    case CM_HIVE_SECURITY: return "\\SystemRoot\\System32\\config\\SECURITY.ALT";
  }
  return "\\SystemRoot\\System32\\config\\DEFAULT.ALT";
}

/** The key name the hive is mounted under (in MACHINE, or USER for DEFAULT). */
function CmpHiveMountName(hive: u32): string {
  switch (hive) {
    case CM_HIVE_SYSTEM: return "SYSTEM";
    case CM_HIVE_SOFTWARE: return "SOFTWARE";
    case CM_HIVE_SAM: return "SAM";
    case CM_HIVE_SECURITY: return "SECURITY";
  }
  return ".DEFAULT";
}

function CmpLogHive(hive: u32, text: string): void {
  KeLogFormat2("cm", "%s: %s", changetype<usize>(CmpHiveFile(hive)), changetype<usize>(text));
}

// ---- loading ----

// A load's cells (the loading thread's scratch arena): +0 the two files' I/O
// statuses, +8 IoLoadFile's result (image, length), +16 the root read,
// +20 the security cell (address, length).
const L_STATUS: u32 = 0, L_LOADED: u32 = 8, L_ROOT: u32 = 16, L_SECURITY: u32 = 20, L_SIZE: u32 = 28;

/**
 * Reads one file of a hive: checks it and makes its root key (its keys are
 * built from the image on first use, so a good image is kept: H(hive) + 24);
 * REGF_* (or 0x100 + a missing file). `status` gets the I/O status.
 */
function CmpReadHiveFile(hive: u32, path: string, statusOut: usize, cells: usize): u32 {
  const Loaded = cells + L_LOADED, Root = cells + L_ROOT, Security = cells + L_SECURITY;
  const status = IoLoadFile(path, HIVE_TAG, Loaded);
  store<u32>(statusOut, status);
  if (!NT_SUCCESS(status)) return 0x100;
  const image = load<usize>(Loaded), length = load<u32>(Loaded, 4);
  let result = CmpRegfCheckHeader(image, length);
  if (result == REGF_OK) result = CmpRegfRead(image, hive, Root, Security);
  if (result == REGF_OK) {
    store<u32>(H(hive) + 12, CmpRegfSequence(image));
    store<u32>(H(hive) + 16, CmpRegfDataSize(image));
    store<usize>(H(hive) + 24, image);
    store<u32>(H(hive) + 28, CmpRegfKeys);
    store<u32>(H(hive) + 32, CmpRegfValues);
  } else {
    ExFreePoolWithTag(image, HIVE_TAG);
  }
  return result;
}

function CmpLogRefusal(path: string, result: u32, status: u32): void {
  KeLogBegin("cm");
  KeLogString(path);
  if (result == 0x100) {
    KeLogString(status == STATUS_OBJECT_NAME_NOT_FOUND || status == STATUS_OBJECT_PATH_NOT_FOUND ? ": missing" : ": unreadable");
    KeLogString(", status ");
    KeLogHex(status);
  } else {
    KeLogString(": ");
    KeLogString(CmpRegfErrorText(result));
    if (CmpRegfErrorCell != 0xFFFFFFFF) { KeLogString(" at cell "); KeLogHex(CmpRegfErrorCell); }
  }
  KeLogEnd();
}

/**
 * Loads a hive from its file or, failing that, from its .ALT mirror, and
 * mounts it. `createMissing`: both files missing gives a new empty hive
 * instead of a bug check.
 */
/** Returns true when the hive came from a file (false: a new empty one). */
export function CmpLoadHive(hive: u32, createMissing: bool, optional: bool = false): bool {
  const cells = KeAllocateScratch(L_SIZE);
  const loaded = CmpLoadHiveWith(hive, createMissing, optional, cells);
  KeFreeScratch(cells);
  return loaded;
}

function CmpLoadHiveWith(hive: u32, createMissing: bool, optional: bool, cells: usize): bool {
  const status = cells + L_STATUS, Root = cells + L_ROOT, Security = cells + L_SECURITY;
  const path = CmpHiveFile(hive), altPath = CmpHiveAltFile(hive);
  const result = CmpReadHiveFile(hive, path, status, cells);
  if (result == REGF_OK) {
    CmpMountHive(hive, load<usize>(Root), load<usize>(Security), load<u32>(Security, 4));
    return true;
  }
  const alt = CmpReadHiveFile(hive, altPath, status + 4, cells);
  if (result == 0x100 && alt == 0x100 && createMissing) { CmpCreateEmptyHive(hive); return false; }
  if (result == 0x100 && alt == 0x100 && optional) return false; // not on this disk: NtInitializeRegistry makes it later
  CmpLogRefusal(path, result, load<u32>(status));
  if (alt == REGF_OK) {
    CmpMountHive(hive, load<usize>(Root), load<usize>(Security), load<u32>(Security, 4));
    CmpLogHive(hive, "recovered from the .ALT copy; rewriting the hive");
    CmpMarkHiveDirty(hive);
    CmpFlushHive(hive);
    return true;
  }
  CmpLogRefusal(altPath, alt, load<u32>(status, 4));
  if (result == 0x100 && alt == 0x100) {
    KeLog("cm", "the hive is missing: the registry cannot start");
    KeBugCheckEx(CONFIG_INITIALIZATION_FAILED, 5, hive, load<u32>(status), 0);
  }
  if (result == REGF_NO_MEMORY || alt == REGF_NO_MEMORY) KeBugCheckEx(CONFIG_INITIALIZATION_FAILED, 1, hive, STATUS_INSUFFICIENT_RESOURCES, 0);
  KeLog("cm", "no usable copy of the hive: the registry cannot start");
  KeBugCheckEx(BAD_SYSTEM_CONFIG_INFO, hive, result == 0x100 ? alt : result, CmpRegfErrorCell, 0);
  return false;
}

function CmpCreateEmptyHive(hive: u32): void {
  const name = CmpHiveMountName(hive);
  const root = CmpAllocateKey(changetype<usize>(name), <u32>name.length << 1, CM_KEY_HIVE_ROOT, hive, KeQuerySystemTime());
  if (root == 0) KeBugCheckEx(CONFIG_INITIALIZATION_FAILED, 1, hive, STATUS_INSUFFICIENT_RESOURCES, 0);
  store<u32>(H(hive) + 12, 0);
  store<u32>(H(hive) + 16, 0);
  store<u32>(H(hive) + 28, 1);
  store<u32>(H(hive) + 32, 0);
  CmpMountHive(hive, root, 0, 0);
  CmpMarkHiveDirty(hive);
  CmpLogHive(hive, "missing (and no .ALT): a new empty hive is mounted, written at the next flush");
}

/** Names the hive's root after its mount point and puts it under MACHINE (or USER). */
function CmpMountHive(hive: u32, root: usize, security: usize, securityLength: u32): void {
  const name = CmpHiveMountName(hive);
  // The root read from the file has the hive's own root name: mount a renamed root.
  const mounted = CmpAllocateKey(changetype<usize>(name), <u32>name.length << 1, CM_KEY_HIVE_ROOT, hive, CmKey(root).LastWriteTime);
  if (mounted == 0) KeBugCheckEx(CONFIG_INITIALIZATION_FAILED, 1, hive, STATUS_INSUFFICIENT_RESOURCES, 0);
  const m = CmKey(mounted), r = CmKey(root);
  m.SubKeys = r.SubKeys; m.SubKeyCount = r.SubKeyCount; m.SubKeyCapacity = r.SubKeyCapacity;
  m.Values = r.Values; m.ValueCount = r.ValueCount; m.ValueCapacity = r.ValueCapacity;
  m.Class = r.Class; m.ClassLength = r.ClassLength;
  m.Flags |= r.Flags & CM_KEY_LAZY; m.View = r.View; m.Cell = r.Cell; // still the file's cells: built on first use
  for (let i: u32 = 0; i < m.SubKeyCount; i++) CmKey(load<usize>(m.SubKeys + (i << 2))).Parent = mounted;
  r.SubKeys = 0; r.SubKeyCount = 0; r.Values = 0; r.ValueCount = 0; r.Class = 0; r.ClassLength = 0;
  ExFreePoolWithTag(root, 0x794B6D43); // 'CmKy': the husk
  const lock = ObAcquireObjectLock();
  CmpLinkSubKey(hive == CM_HIVE_DEFAULT ? CmpUserKey : CmpMachineKey, mounted);
  ObReleaseObjectLock(lock);
  store<usize>(H(hive), mounted);
  store<usize>(H(hive) + 4, security);
  store<u32>(H(hive) + 8, securityLength);
  store<u32>(H(hive) + 20, 1);
}

// ---- writing ----

const FlushLock: usize = memory.data(<i32>KEVENT_SIZE, 8);
const LazyEvent: usize = memory.data(<i32>KEVENT_SIZE, 8);
let FlushReady: bool = false;
// A flush's cells: used only under FlushLock (one flush at a time).
const Image: usize = memory.data(8, 4);
const File: usize = memory.data(4, 4);

/**
 * Opens a hive file for the writes below, at least `length` bytes long.
 * A file that must grow is made anew: deleted, then created empty and sized
 * at once, so that FAT links the clusters to the entry in one sector write
 * (a cut in between leaves only clusters that fsck.fat reclaims, and the
 * other copy is whole). Growing a file in place would leave a cluster chain
 * longer than the entry's size at some point.
 */
function CmpOpenHiveFile(path: string, length: u32): u32 {
  let status = IoOpenFileForUpdate(path, File);
  if (!NT_SUCCESS(status)) return status;
  const size = memory.data(8, 8); // under FlushLock
  status = IoQueryFileSize(load<usize>(File), size);
  if (NT_SUCCESS(status) && load<u64>(size) < <u64>length && load<u64>(size) != 0) {
    status = IoMarkFileForDelete(load<usize>(File));
    IoCloseFile(load<usize>(File));
    if (!NT_SUCCESS(status)) return status;
    status = IoOpenFileForUpdate(path, File);
    if (!NT_SUCCESS(status)) return status;
    store<u64>(size, 0);
  }
  if (NT_SUCCESS(status) && load<u64>(size) < <u64>length) status = IoSetFileSize(load<usize>(File), length);
  if (!NT_SUCCESS(status)) IoCloseFile(load<usize>(File));
  return status;
}

/** Writes one file of a hive in the three steps above. */
function CmpWriteHiveFile(path: string, image: usize, length: u32, sequence: u32): u32 {
  let status = CmpOpenHiveFile(path, length);
  if (!NT_SUCCESS(status)) return status;
  const file = load<usize>(File);
  store<u32>(image + 8, sequence - 1); // Sequence2: the write is not done
  CmpRegfSetChecksum(image);
  status = IoWriteFileAt(file, 0, image, REGF_BASE_BLOCK);
  if (NT_SUCCESS(status)) status = IoWriteFileAt(file, REGF_BASE_BLOCK, image + REGF_BASE_BLOCK, length - REGF_BASE_BLOCK);
  store<u32>(image + 8, sequence);
  CmpRegfSetChecksum(image);
  if (NT_SUCCESS(status)) status = IoWriteFileAt(file, 0, image, REGF_BASE_BLOCK);
  IoCloseFile(file);
  return status;
}

/** Writes `hive` to its .ALT and then its own file when it has changes. Waits for the disk. */
export function CmpFlushHive(hive: u32): u32 {
  if (load<u32>(H(hive) + 20) == 0) return STATUS_SUCCESS;
  KeWaitForSingleObject(FlushLock, 0);
  let status = STATUS_SUCCESS;
  const bit: u32 = 1 << hive;
  if ((CmpDirtyHives & bit) != 0) {
    const sequence = load<u32>(H(hive) + 12) + 1;
    const lock = ObAcquireObjectLock();
    CmpDirtyHivesClear(bit);
    const ok = CmpRegfWrite(CmpHiveRoot(hive), load<usize>(H(hive) + 4), load<u32>(H(hive) + 8), sequence,
                            KeQuerySystemTime(), CmpHiveFile(hive), load<u32>(H(hive) + 16), Image);
    ObReleaseObjectLock(lock);
    if (!ok) {
      status = STATUS_INSUFFICIENT_RESOURCES;
    } else {
      const image = load<usize>(Image), length = load<u32>(Image, 4);
      status = CmpWriteHiveFile(CmpHiveAltFile(hive), image, length, sequence);
      if (NT_SUCCESS(status)) status = CmpWriteHiveFile(CmpHiveFile(hive), image, length, sequence);
      if (NT_SUCCESS(status)) {
        store<u32>(H(hive) + 12, sequence);
        store<u32>(H(hive) + 16, length - REGF_BASE_BLOCK);
        KeLogFormat3("cm", "flushed %s: %u bytes, sequence %u", changetype<usize>(CmpHiveFile(hive)), length, sequence);
      }
      CmpRegfFreeImage(image);
    }
    if (!NT_SUCCESS(status)) {
      CmpMarkHiveDirty(hive);
      KeLogFormat2("cm", "flushing %s failed, status %x", changetype<usize>(CmpHiveFile(hive)), status);
    }
  }
  KeSetEvent(FlushLock);
  return status;
}

/** NT's CmShutdownSystem, as the shutdown calls it: every hive with changes written. Returns how many. */
export function CmShutdownSystem(): u32 { return CmpFlushAll(); }

/** Writes every hive with changes. */
export function CmpFlushAll(): u32 {
  let result = STATUS_SUCCESS;
  for (let hive: u32 = 1; hive <= CM_HIVE_COUNT; hive++) {
    const status = CmpFlushHive(hive);
    if (!NT_SUCCESS(status)) result = status;
  }
  return result;
}

/** Wakes the lazy flusher after a change (call without the lock held). */
export function CmpLazyFlush(): void { if (FlushReady && CmpDirtyHives != 0) KeSetEvent(LazyEvent); }

function CmpLazyFlushThread(context: usize): void {
  // One lazy flusher thread runs this: the blocks are its own.
  const delay = memory.data(8, 8);
  const never = memory.data(<i32>KEVENT_SIZE, 8);
  KeInitializeEvent(never, true, false);
  while (true) {
    KeWaitForSingleObject(LazyEvent, 0);
    store<i64>(delay, -50000000); // 5 s: what changes in that time is written together
    KeWaitForSingleObject(never, delay);
    CmpFlushAll();
  }
}

export function CmpInitializeFlusher(): void {
  KeInitializeEvent(FlushLock, false, true);
  KeInitializeEvent(LazyEvent, false, false);
  FlushReady = true;
  const thread = KeCreateThread(0, CmpLazyFlushThread, 0, 9);
  if (thread != 0) KeReadyThread(thread);
}

export function CmpHiveIsLoaded(hive: u32): bool { return load<u32>(H(hive) + 20) != 0; }

