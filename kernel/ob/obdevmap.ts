// Device maps: which directory a process's "\??" names (NT 5.1+'s DOS
// devices per session).
//
// The global DOS devices live in the permanent directory \GLOBAL?? (drive
// letters, COM1, NUL ...). "\??" is not an object: a lookup of "\??" or
// "\??\rest" (obname.ts) starts in the DosDevicesDirectory of the current
// process's DEVICE_MAP instead of the root. A process without one (System,
// kernel threads) uses the system device map, whose directory is \GLOBAL??.
// A map whose directory is not \GLOBAL?? also names \GLOBAL?? as its
// GlobalDosDevicesDirectory: a name not found in the process's directory is
// looked up there (NT's shadow directory), except for the last component of
// a name being created, which goes into the process's own directory. So a
// session's smss makes \Sessions\<n>\DosDevices (with a link Global ->
// \GLOBAL??) its device map, its csrss and winlogon inherit it, and a drive
// letter defined in session 2 is not seen in session 1, while C: (global)
// is seen by both.
//
// A directory holds at most one map (OBJECT_DIRECTORY.DeviceMap); a map
// references its directory and keeps it permanent; processes reference the
// map (one count each, NT's ObSetDeviceMap / ObInheritDeviceMap /
// ObDereferenceDeviceMap). Ob sits below Ps: Ps hands in the address of the
// process's DeviceMap field, and tells Ob how to find the current process's
// map (ObSetCurrentDeviceMapRoutine).
//
//   DEVICE_MAP (x86, NT 5.1): +0x00 DosDevicesDirectory  +0x04 GlobalDosDevicesDirectory
//                             +0x08 ReferenceCount  +0x0C DriveMap  +0x10 DriveType[32]   (0x30 bytes)

import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import { RtlCharAt, RtlCharCount, RtlUnicodeString } from "../rtl/unicode";
import {
  DIRECTORY_TRAVERSE, OB_FLAG_PERMANENT_OBJECT, OBJECT_DIRECTORY_ENTRY, OBJECT_TO_OBJECT_HEADER, OBJECT_TYPE_OF,
  ObpAcquireLock, ObpDirectoryDeviceMap, ObpLinkTarget, ObpReleaseLock,
} from "./obp";
import { ObpNextDirectoryEntry, ObpObjectName } from "./obdir";
import { ObReferenceObjectByHandle } from "./obhandle";
import { ObDereferenceObject, ObReferenceObject, ObpDeleteNameCheck } from "./obref";
import { ObpDirectoryObjectType, ObpSymbolicLinkObjectType } from "./obp";
import { NT_SUCCESS, STATUS_INSUFFICIENT_RESOURCES } from "../sdk/ntstatus";
import {
  DOSDEVICE_DRIVE_CALCULATE, DOSDEVICE_DRIVE_CDROM, DOSDEVICE_DRIVE_FIXED, DOSDEVICE_DRIVE_REMOVABLE, PROCESS_LUID_DOSDEVICES_ONLY,
} from "../sdk/procinfo";

@unmanaged export class DEVICE_MAP {
  DosDevicesDirectory: usize;        // referenced, permanent while the map lives
  GlobalDosDevicesDirectory: usize;  // \GLOBAL?? (not referenced: it is permanent), 0 for the system map
  ReferenceCount: u32;               // processes using it (+1 for the system map's own)
  DriveMap: u32;                     // bit n: drive letter 'A' + n is a link in its directory (filled on query)
}
export const SIZEOF_DEVICE_MAP: u32 = 0x30;
const DEVICE_MAP_DRIVE_TYPE: u32 = 0x10;
const DEVICE_MAP_TAG: u32 = 0x6D44624F; // 'ObDm', as NT tags device maps

/** The map of \GLOBAL??: processes without their own use it. */
export let ObSystemDeviceMap: usize = 0;

/** How Ob finds the current process's device map (Ps registers it; 0 from it: the system map). */
export type OB_CURRENT_DEVICE_MAP_ROUTINE = () => usize;
let ObpCurrentDeviceMapRoutine: usize = 0;
export function ObSetCurrentDeviceMapRoutine(routine: OB_CURRENT_DEVICE_MAP_ROUTINE): void {
  ObpCurrentDeviceMapRoutine = changetype<usize>(routine);
}

/** A new map of `directory` (the caller's reference on it goes to the map), or 0. Under the lock. */
function ObpCreateDeviceMap(directory: usize): usize {
  const map = ExAllocatePoolWithTag(NonPagedPool, SIZEOF_DEVICE_MAP, DEVICE_MAP_TAG);
  if (map == 0) return 0;
  memory.fill(map, 0, SIZEOF_DEVICE_MAP);
  const m = changetype<DEVICE_MAP>(map);
  m.DosDevicesDirectory = directory;
  m.ReferenceCount = 1;
  if (ObSystemDeviceMap != 0) {
    const global = changetype<DEVICE_MAP>(ObSystemDeviceMap).DosDevicesDirectory;
    if (global != directory) m.GlobalDosDevicesDirectory = global;
  }
  store<usize>(ObpDirectoryDeviceMap(directory), map);
  OBJECT_TO_OBJECT_HEADER(directory).Flags |= OB_FLAG_PERMANENT_OBJECT;
  return map;
}

/** Phase 0 (obinit.ts): \GLOBAL?? becomes the system device map's directory. */
export function ObpCreateSystemDeviceMap(globalDirectory: usize): bool {
  const lock = ObpAcquireLock();
  ObReferenceObject(globalDirectory);
  ObSystemDeviceMap = ObpCreateDeviceMap(globalDirectory);
  ObpReleaseLock(lock);
  return ObSystemDeviceMap != 0;
}

/** The current process's map, or the system map. Under the lock. */
export function ObpCurrentDeviceMap(): usize {
  const map = ObpCurrentDeviceMapRoutine != 0 ? changetype<OB_CURRENT_DEVICE_MAP_ROUTINE>(ObpCurrentDeviceMapRoutine)() : 0;
  return map != 0 ? map : ObSystemDeviceMap;
}

/** The directory "\??" names for the current process. Under the lock. */
export function ObpDosDevicesDirectory(): usize {
  return changetype<DEVICE_MAP>(ObpCurrentDeviceMap()).DosDevicesDirectory;
}

/** The directory a lookup that misses in `directory` tries next (the global DOS devices), or 0. */
export function ObpShadowDirectory(directory: usize): usize {
  const map = load<usize>(ObpDirectoryDeviceMap(directory));
  if (map == 0) return 0;
  const global = changetype<DEVICE_MAP>(map).GlobalDosDevicesDirectory;
  return global != directory ? global : 0;
}

/** Drops one reference on `map`; the last one unlinks it from its directory, which becomes temporary. Under the lock. */
function ObpDereferenceDeviceMap(map: usize): void {
  const m = changetype<DEVICE_MAP>(map);
  if (--m.ReferenceCount != 0) return;
  const directory = m.DosDevicesDirectory;
  store<usize>(ObpDirectoryDeviceMap(directory), 0);
  OBJECT_TO_OBJECT_HEADER(directory).Flags &= ~OB_FLAG_PERMANENT_OBJECT;
  ObpDeleteNameCheck(directory);
  ObDereferenceObject(directory);
  ExFreePoolWithTag(map, DEVICE_MAP_TAG);
}

/**
 * NT's ObSetDeviceMap: the process whose DeviceMap field is at `slot` uses
 * the directory of `directoryHandle` (DIRECTORY_TRAVERSE) for "\??": the
 * directory's map if it has one, else a new one. The process's previous map
 * loses its reference.
 */
export function ObSetDeviceMap(slot: usize, directoryHandle: u32): u32 {
  const out = KeAllocateScratch(4); // out-parameters: the thread's own (see obdir.ts)
  const lock = ObpAcquireLock();
  let status = ObReferenceObjectByHandle(directoryHandle, DIRECTORY_TRAVERSE, ObpDirectoryObjectType, out, 0);
  if (NT_SUCCESS(status)) {
    const directory = load<usize>(out);
    let map = load<usize>(ObpDirectoryDeviceMap(directory));
    if (map != 0) {
      changetype<DEVICE_MAP>(map).ReferenceCount++;
      ObDereferenceObject(directory);
    } else {
      map = ObpCreateDeviceMap(directory);
      if (map == 0) {
        ObDereferenceObject(directory);
        status = STATUS_INSUFFICIENT_RESOURCES;
      }
    }
    if (map != 0) {
      const old = load<usize>(slot);
      store<usize>(slot, map);
      if (old != 0) ObpDereferenceDeviceMap(old);
    }
  }
  ObpReleaseLock(lock);
  KeFreeScratch(out);
  return status;
}

/** NT's ObInheritDeviceMap: a new process (its DeviceMap field at `slot`) takes `parentMap` (0: the system map). */
export function ObInheritDeviceMap(slot: usize, parentMap: usize): void {
  const lock = ObpAcquireLock();
  const map = parentMap != 0 ? parentMap : ObSystemDeviceMap;
  if (map != 0) changetype<DEVICE_MAP>(map).ReferenceCount++;
  store<usize>(slot, map);
  ObpReleaseLock(lock);
}

/** NT's ObDereferenceDeviceMap: the process (its DeviceMap field at `slot`) is deleted. */
export function ObDereferenceDeviceMap(slot: usize): void {
  const lock = ObpAcquireLock();
  const map = load<usize>(slot);
  store<usize>(slot, 0);
  if (map != 0) ObpDereferenceDeviceMap(map);
  ObpReleaseLock(lock);
}

/** The drive type of a drive letter link: by the device its target names (NT asks the device). */
function ObpDriveType(link: usize): u8 {
  const target = ObpLinkTarget(link);
  if (ObpStartsWith(target, "\\Device\\Harddisk")) return DOSDEVICE_DRIVE_FIXED;
  if (ObpStartsWith(target, "\\Device\\Floppy")) return DOSDEVICE_DRIVE_REMOVABLE;
  if (ObpStartsWith(target, "\\Device\\CdRom")) return DOSDEVICE_DRIVE_CDROM;
  return DOSDEVICE_DRIVE_CALCULATE; // a subst drive: NT computes it when asked
}

function ObpStartsWith(string: usize, prefix: string): bool {
  const count = RtlCharCount(string);
  if (count < <u32>prefix.length) return false;
  for (let i: u32 = 0; i < <u32>prefix.length; i++) {
    let c = RtlCharAt(string, i);
    let p = <u32>prefix.charCodeAt(i);
    if (c >= 0x61 && c <= 0x7A) c -= 0x20;
    if (p >= 0x61 && p <= 0x7A) p -= 0x20;
    if (c != p) return false;
  }
  return true;
}

/** Adds the drive letter links of `directory` (those not already in the map) to DriveMap/DriveType at `info`. */
function ObpCollectDrives(directory: usize, info: usize): void {
  for (let entry = ObpNextDirectoryEntry(directory, 0); entry != 0; entry = ObpNextDirectoryEntry(directory, entry)) {
    const object = changetype<OBJECT_DIRECTORY_ENTRY>(entry).Object;
    if (OBJECT_TYPE_OF(object) != ObpSymbolicLinkObjectType) continue;
    const name = ObpObjectName(object);
    if (RtlUnicodeString(name).Length != 4 || RtlCharAt(name, 1) != 0x3A) continue; // "X:"
    let letter = RtlCharAt(name, 0);
    if (letter >= 0x61 && letter <= 0x7A) letter -= 0x20;
    if (letter < 0x41 || letter > 0x5A) continue;
    const bit: u32 = 1 << (letter - 0x41);
    if ((load<u32>(info) & bit) != 0) continue; // the process's own letter hides the global one
    store<u32>(info, load<u32>(info) | bit);
    store<u8>(info + 4 + (letter - 0x41), ObpDriveType(object));
  }
}

/**
 * NT's ObQueryDeviceMapInformation: PROCESS_DEVICEMAP_INFORMATION.Query
 * (DriveMap, DriveType[32]) at `info` (kernel memory, 36 bytes) for `map`
 * (0: the system map): its drive letters, and unless `flags` has
 * PROCESS_LUID_DOSDEVICES_ONLY, the global ones too. DriveMap is kept in the map.
 */
export function ObQueryDeviceMapInformation(map: usize, info: usize, flags: u32): void {
  const lock = ObpAcquireLock();
  if (map == 0) map = ObSystemDeviceMap;
  memory.fill(info, 0, 36);
  if (map != 0) {
    const m = changetype<DEVICE_MAP>(map);
    ObpCollectDrives(m.DosDevicesDirectory, info);
    m.DriveMap = load<u32>(info);
    memory.copy(map + DEVICE_MAP_DRIVE_TYPE, info + 4, 32);
    if ((flags & PROCESS_LUID_DOSDEVICES_ONLY) == 0 && m.GlobalDosDevicesDirectory != 0) ObpCollectDrives(m.GlobalDosDevicesDirectory, info);
  }
  ObpReleaseLock(lock);
}

/** Processes using `map` (the system map counts its own reference). For tests and the log. */
export function ObDeviceMapReferences(map: usize): u32 {
  return map != 0 ? changetype<DEVICE_MAP>(map).ReferenceCount : 0;
}
