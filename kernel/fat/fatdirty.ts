// The FAT driver, part 4: the volume's dirty flag, kept as Windows keeps it.
//
// FAT16 and FAT32 carry a "clean shutdown" bit in the second FAT entry,
// FAT[1]: 0x8000 on FAT16, 0x08000000 on FAT32; set means the volume was
// left consistent, clear means it was in use (NT's FAT driver, autochk and
// fsck.fat all read it; fsck.fat says "Dirty bit is set. Fs was not
// properly unmounted").
//
//   - At mount the bit is read. A volume found dirty is logged
//     (`fat: ...: not cleanly dismounted (dirty): a check is due`) and stays
//     dirty until a checker clears it (NT's VCB_STATE_FLAG_MOUNTED_DIRTY):
//     autochk looks at exactly this bit.
//   - The first write after the volume was clean clears the bit in every
//     FAT copy (first copy first), before anything else is written.
//   - The volume is marked clean again (the disk flushed, the bit set in
//     every copy, flushed) once it has been quiet: five seconds after its
//     last write (NT's deferred clean), and at once at an orderly point:
//     FatCleanVolumes, which phase 1 calls when the boot's work is done
//     (before `ke: idle loop`, and so before a `poweroff`).
// A power cut or a bug check in between leaves it dirty, which is the point.

import { KEVENT_SIZE, KeInitializeEvent, KeSetEvent, KeWaitForSingleObject, KeQueryTickCount } from "../ke/wait";
import { KeAllocateScratch, KeCreateThread, KeReadyThread } from "../ke/thread";
import { KeLogBegin, KeLogEnd, KeLogString, KeLogFormat1 } from "../ke/log";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import {
  FAT_TAG, FatAcquireVolume, FatCacheLookup, FatCacheRead, FatFlushDisk, FatHasPending, FatReadSectors, FatReleaseVolume,
  FatSetPendingHook, FatSetWriteHook, FatWriteSectorsRaw, SECTOR, VCB,
} from "./fatvol";
import { NT_SUCCESS, STATUS_INSUFFICIENT_RESOURCES, STATUS_SUCCESS } from "../sdk/ntstatus";

/** The volumes mounted (the clean-volume thread walks them): appended at mount, the entry before the count, so a reader below the count sees whole entries. */
const MAX_VOLUMES: u32 = 8;
const FatVolumes: usize = memory.data(<i32>(MAX_VOLUMES * 4), 4);
let FatVolumeCount: u32 = 0;
/** Signalled by a volume's first write after it was clean: the clean-volume thread starts counting. */
const FatDirtyEvent: usize = memory.data(<i32>KEVENT_SIZE, 8);
let FatCleanerStarted: bool = false;
/** Quiet time before a dirty volume is marked clean: 5 s of 100 Hz ticks (NT's FastFat waits as long). */
const CLEAN_AFTER_TICKS: u32 = 500;
/** Quiet time before an append's deferred metadata (fatvol.ts) is written: 1 s, as often as NT's lazy writer looks. */
const PENDING_AFTER_TICKS: u32 = 100;

/** The bit of FAT[1] that says "clean", and where FAT[1] is in the first FAT sector. */
function CleanBit(v: VCB): u32 { return v.FatType == 32 ? 0x08000000 : 0x8000; }

/** FAT[1]'s clean bit in a copy of the first FAT sector. */
function IsClean(v: VCB, data: usize): bool {
  return v.FatType == 32 ? (load<u32>(data, 4) & CleanBit(v)) != 0 : (<u32>load<u16>(data, 2) & CleanBit(v)) != 0;
}
function SetClean(v: VCB, data: usize, clean: bool): void {
  if (v.FatType == 32) store<u32>(data, clean ? load<u32>(data, 4) | CleanBit(v) : load<u32>(data, 4) & ~CleanBit(v), 4);
  else store<u16>(data, <u16>(clean ? <u32>load<u16>(data, 2) | CleanBit(v) : <u32>load<u16>(data, 2) & ~CleanBit(v)), 2);
}

/** True when FAT[1] of the first FAT says clean (false on a read error). */
function FatReadCleanBit(vcb: usize): bool {
  const v = changetype<VCB>(vcb);
  const data = FatCacheRead(vcb, v.FatStart);
  return data != 0 && IsClean(v, data);
}

/**
 * Sets (clean) or clears (dirty) the bit in FAT[1] of every FAT copy, first
 * copy first. This runs inside another write (the hook), so it must not
 * move the sector cache: a cached copy is changed in place and written, an
 * uncached sector goes through a buffer of its own.
 */
function FatWriteCleanBit(vcb: usize, clean: bool): u32 {
  const v = changetype<VCB>(vcb);
  v.Marking = 1;
  let status = STATUS_SUCCESS;
  let own: usize = 0;
  for (let copy: u32 = 0; copy < v.NumberOfFats && NT_SUCCESS(status); copy++) {
    const sector = v.FatStart + copy * v.SectorsPerFat;
    let data = FatCacheLookup(vcb, sector);
    if (data == 0) {
      if (own == 0) own = ExAllocatePoolWithTag(NonPagedPool, SECTOR, FAT_TAG);
      if (own == 0) { status = STATUS_INSUFFICIENT_RESOURCES; break; }
      status = FatReadSectors(vcb, sector, 1, own);
      if (!NT_SUCCESS(status)) break;
      data = own;
    }
    SetClean(v, data, clean);
    status = FatWriteSectorsRaw(vcb, sector, 1, data);
  }
  if (own != 0) ExFreePoolWithTag(own, FAT_TAG);
  v.Marking = 0;
  return status;
}

/** The write hook (fatvol.ts): the first write of a clean volume marks it dirty first. */
function FatNoteWrite(vcb: usize): void {
  const v = changetype<VCB>(vcb);
  if (v.Marking != 0) return;
  v.LastWriteTick = KeQueryTickCount();
  if (v.OnDiskDirty != 0) return;
  v.OnDiskDirty = 1;
  FatWriteCleanBit(vcb, false);
  if (FatCleanerStarted) KeSetEvent(FatDirtyEvent);
}

/**
 * At mount (the VCB filled in by FatMountVolume): reads the bit, logs a
 * volume found dirty, and starts watching the volume's writes.
 */
export function FatMountDirtyState(vcb: usize, name: string): void {
  const v = changetype<VCB>(vcb);
  const clean = FatReadCleanBit(vcb);
  v.OnDiskDirty = clean ? 0 : 1;
  v.MountedDirty = clean ? 0 : 1;
  if (!clean) {
    KeLogFormat1("fat", "%s: not cleanly dismounted (dirty): a check is due", changetype<usize>(name));
  }
  if (FatVolumeCount < MAX_VOLUMES) store<usize>(FatVolumes + (FatVolumeCount++ << 2), vcb);
  FatSetWriteHook(FatNoteWrite);
  FatSetPendingHook(FatNotePending);
}

/** The pending hook (fatvol.ts): a volume got deferred metadata; the thread below writes it once the volume is quiet. */
function FatNotePending(vcb: usize): void {
  changetype<VCB>(vcb).LastWriteTick = KeQueryTickCount();
  if (FatCleanerStarted) KeSetEvent(FatDirtyEvent);
}

/**
 * After a checker had the volume locked (FSCTL_UNLOCK_VOLUME, fatquery.ts):
 * the bit is read again, so a volume autochk repaired and marked clean is
 * clean, and one it left dirty stays so.
 */
export function FatRereadDirtyState(vcb: usize): void {
  const v = changetype<VCB>(vcb);
  const clean = FatReadCleanBit(vcb);
  v.OnDiskDirty = clean ? 0 : 1;
  v.MountedDirty = clean ? 0 : 1;
}

/** Marks one volume clean if it is dirty by its own writes: disk flushed, bit set, flushed. */
function FatCleanVolume(vcb: usize): void {
  const v = changetype<VCB>(vcb);
  FatAcquireVolume(vcb);
  if (v.OnDiskDirty != 0 && v.MountedDirty == 0) {
    if (NT_SUCCESS(FatFlushDisk(vcb)) && NT_SUCCESS(FatWriteCleanBit(vcb, true)) && NT_SUCCESS(FatFlushDisk(vcb))) v.OnDiskDirty = 0;
  }
  FatReleaseVolume(vcb);
}

/**
 * An orderly point (the end of phase 1, before a power-off): every mounted
 * volume is flushed and marked clean. The next write marks it dirty again.
 */
export function FatCleanVolumes(): void {
  for (let i: u32 = 0; i < FatVolumeCount; i++) FatCleanVolume(load<usize>(FatVolumes + (i << 2)));
}

/** The deferred clean: a volume quiet for CLEAN_AFTER_TICKS after a write is marked clean; deferred metadata goes after PENDING_AFTER_TICKS. */
function FatCleanVolumeThread(context: usize): void {
  const delay = KeAllocateScratch(8); // the thread's own for as long as it runs (it never returns)
  while (true) {
    KeWaitForSingleObject(FatDirtyEvent, 0);
    let pending = true;
    while (pending) {
      store<i64>(delay, -10000000); // look again in 1 s
      KeWaitForSingleObject(FatDirtyEvent, delay);
      pending = false;
      for (let i: u32 = 0; i < FatVolumeCount; i++) {
        const vcb = load<usize>(FatVolumes + (i << 2));
        const v = changetype<VCB>(vcb);
        if (FatHasPending(vcb)) { // (read without the lock: at worst one take of it for nothing)
          if (KeQueryTickCount() - v.LastWriteTick >= PENDING_AFTER_TICKS) { FatAcquireVolume(vcb); FatReleaseVolume(vcb); } // writes it
          else pending = true;
        }
        if (v.OnDiskDirty == 0 || v.MountedDirty != 0) continue;
        if (KeQueryTickCount() - v.LastWriteTick >= CLEAN_AFTER_TICKS) FatCleanVolume(vcb);
        else pending = true;
      }
    }
  }
}

/** Starts the clean-volume thread (once, with the first mount). */
export function FatStartCleaner(): void {
  if (FatCleanerStarted) return;
  KeInitializeEvent(FatDirtyEvent, false, false);
  const thread = KeCreateThread(0, FatCleanVolumeThread, 0, 9);
  if (thread == 0) return;
  FatCleanerStarted = true;
  KeReadyThread(thread);
}

