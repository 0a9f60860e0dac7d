// The FAT file system driver (\FileSystem\Fastfat): its dispatch table
// and mounting a volume. The driver's files, lowest first:
//   fatvol.ts    the volume: boot sector, sector cache, allocation table, time
//   fatdir.ts    directories: entries, long names, lookups, the write order
//   fatdirty.ts  the volume's dirty flag (FAT[1]) and the deferred clean
//   fatfcb.ts    FCB and CCB: open files, share access, their entries
//   fatdata.ts   file data: cluster chains, read and write
//   fatcreate.ts create, cleanup, close
//   fatinfo.ts   query and set information, rename
//   fatquery.ts  directory listing, volume queries, flush, volume locks
//   fatmount.ts  this file
// Every request holds its volume's lock (VCB.Lock, a KEVENT used as a
// mutex, as NT's FAT holds the VCB resource) for its whole length, disk
// waits included: all of a volume's state (its sector cache, FAT, FCBs)
// belongs to one request at a time. Per-call state is in the request's own
// allocations (scans, entry buffers), never in module memory.

import { KeLogBegin, KeLogCharacter, KeLogDecimal, KeLogEnd, KeLogHex, KeLogString } from "../ke/log";
import { IoCreateDevice, IoCreateDriver, IoSetMajorFunction } from "../io/iomgr";
import { IoRegisterFileSystem } from "../io/iosys";
import { DISK_EXTENSION } from "../drivers/disk";
import {
  DEVICE_OBJECT, FILE_DEVICE_DISK_FILE_SYSTEM, IRP_MJ_CLEANUP, IRP_MJ_CLOSE, IRP_MJ_CREATE, IRP_MJ_DIRECTORY_CONTROL,
  IRP_MJ_FILE_SYSTEM_CONTROL, IRP_MJ_FLUSH_BUFFERS, IRP_MJ_QUERY_INFORMATION, IRP_MJ_QUERY_VOLUME_INFORMATION, IRP_MJ_READ,
  IRP_MJ_SET_INFORMATION, IRP_MJ_WRITE,
} from "../io/iop";
import { FatMountVolume, FatSetPendingEntryWriter, SIZEOF_VCB, VCB, VcbLabel } from "./fatvol";
import { FatWriteDeferredEntry } from "./fatfcb";
import { FatMountDirtyState, FatStartCleaner } from "./fatdirty";
import { FatCleanup, FatClose, FatCreate } from "./fatcreate";
import { FatReadWrite } from "./fatdata";
import { FatQueryInformation, FatSetInformation } from "./fatinfo";
import { FatFileSystemControl, FatFlush, FatQueryDirectory, FatQueryVolume } from "./fatquery";
import { NT_SUCCESS, STATUS_INSUFFICIENT_RESOURCES, STATUS_SUCCESS } from "../sdk/ntstatus";

// ---- mounting ----

let FatDriver: usize = 0;

/** Boot: Io mounts the system volume through FatMountPartition. */
export function FatInitialize(): void { IoRegisterFileSystem(FatMountPartition); }

/** Mounts the FAT volume on `partition` (a disk device); logs what it found. Returns the status. */
export function FatMountPartition(partition: usize, name: string): u32 {
  if (FatDriver == 0) {
    FatDriver = IoCreateDriver("\\FileSystem\\Fastfat");
    IoSetMajorFunction(FatDriver, IRP_MJ_CREATE, FatCreate);
    IoSetMajorFunction(FatDriver, IRP_MJ_READ, FatReadWrite);
    IoSetMajorFunction(FatDriver, IRP_MJ_WRITE, FatReadWrite);
    IoSetMajorFunction(FatDriver, IRP_MJ_QUERY_INFORMATION, FatQueryInformation);
    IoSetMajorFunction(FatDriver, IRP_MJ_SET_INFORMATION, FatSetInformation);
    IoSetMajorFunction(FatDriver, IRP_MJ_DIRECTORY_CONTROL, FatQueryDirectory);
    IoSetMajorFunction(FatDriver, IRP_MJ_QUERY_VOLUME_INFORMATION, FatQueryVolume);
    IoSetMajorFunction(FatDriver, IRP_MJ_FLUSH_BUFFERS, FatFlush);
    IoSetMajorFunction(FatDriver, IRP_MJ_FILE_SYSTEM_CONTROL, FatFileSystemControl);
    IoSetMajorFunction(FatDriver, IRP_MJ_CLEANUP, FatCleanup);
    IoSetMajorFunction(FatDriver, IRP_MJ_CLOSE, FatClose);
    FatSetPendingEntryWriter(FatWriteDeferredEntry);
  }
  const volume = IoCreateDevice(FatDriver, "", SIZEOF_VCB, FILE_DEVICE_DISK_FILE_SYSTEM);
  if (volume == 0) return STATUS_INSUFFICIENT_RESOURCES;
  const vcb = changetype<DEVICE_OBJECT>(volume).DeviceExtension;
  const v = changetype<VCB>(vcb);
  v.Partition = partition;
  const sectors = changetype<DISK_EXTENSION>(changetype<DEVICE_OBJECT>(partition).DeviceExtension).SectorCount;
  const status = FatMountVolume(vcb, sectors);
  KeLogBegin("fat");
  if (!NT_SUCCESS(status)) {
    KeLogString(name);
    KeLogString(": no FAT volume mounted, status ");
    KeLogHex(status);
    KeLogEnd();
    return status;
  }
  changetype<DEVICE_OBJECT>(partition).MountedVolume = volume;
  changetype<DEVICE_OBJECT>(volume).RealDevice = partition;
  KeLogString("mounted ");
  KeLogString(name);
  KeLogString(v.FatType == 32 ? ": FAT32, " : ": FAT16, ");
  KeLogDecimal(v.ClusterCount);
  KeLogString(" clusters of ");
  KeLogDecimal(v.ClusterBytes);
  KeLogString(" bytes (free ones counted on first use), label \"");
  let n: u32 = 11;
  while (n > 0 && load<u8>(VcbLabel(vcb) + n - 1) == 0x20) n--;
  for (let k: u32 = 0; k < n; k++) {
    const ch = <u32>load<u8>(VcbLabel(vcb) + k);
    KeLogCharacter(ch >= 0x20 && ch < 0x7F ? ch : 0x3F);
  }
  KeLogString("\"");
  KeLogEnd();
  FatMountDirtyState(vcb, name); // FAT[1]'s clean bit: logged if dirty, watched from now on
  FatStartCleaner();
  return STATUS_SUCCESS;
}
