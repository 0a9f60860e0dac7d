// The disk class driver (\Driver\Disk) over the ATA driver, and the null
// device (\Driver\Null).
//
// The disk: \Device\Harddisk0\Partition0 is the whole disk and
// \Device\Harddisk0\PartitionN the primary partitions of its MBR, numbered
// from 1 in table order (as NT numbers them). Reads and writes take whole
// sectors at sector-aligned byte offsets within the partition
// (STATUS_INVALID_PARAMETER otherwise); a read at or past the end is
// STATUS_END_OF_FILE and one that runs over it is cut at the end. A flush
// request is FLUSH CACHE.
//
// The null device swallows writes and reads as end of file.

import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { KeLogBegin, KeLogDecimal, KeLogEnd, KeLogString, KeLogFormat1, KeLogFormat2 } from "../ke/log";
import { AtaFlushCache, AtaReadSectors, AtaSectors, AtaWriteSectors } from "./ata";
import { IoAcceptOpenAndClose, IoCreateDevice, IoCreateDriver, IoSetMajorFunction } from "../io/iomgr";
import {
  DEVICE_OBJECT, FILE_DEVICE_DISK, FILE_DEVICE_NULL, IRP, IRP_MJ_CLEANUP, IRP_MJ_CLOSE, IRP_MJ_CREATE,
  IRP_MJ_FLUSH_BUFFERS, IRP_MJ_READ, IRP_MJ_WRITE,
} from "../io/iop";
import { ObCreateDirectoryObject } from "../ob/obdir";
import { ObCloseHandle } from "../ob/obhandle";
import { DIRECTORY_ALL_ACCESS, InitializeObjectAttributes } from "../ob/obp";
import { RtlInitUnicodeString } from "../rtl/unicode";
import { NT_SUCCESS, STATUS_END_OF_FILE, STATUS_INVALID_PARAMETER, STATUS_SUCCESS } from "../sdk/ntstatus";
import { OBJ_KERNEL_HANDLE, OBJ_PERMANENT } from "../sdk/ntdef";

/** A disk device's extension. */
@unmanaged export class DISK_EXTENSION {
  StartSector: u32;     // the partition's first sector on the disk
  SectorCount: u32;
  PartitionNumber: u32; // 0: the whole disk
  PartitionType: u32;   // the MBR's system id (0x06 FAT16, 0x0B/0x0C FAT32, ...)
}
const SIZEOF_DISK_EXTENSION: u32 = 16;

/** The partition devices found, by number (index 0: Partition0); 0 where there is none. */
const IopPartitions: usize = memory.data(4 * 5, 4);
let IopPartitionCount: u32 = 0;

/** \Device\Harddisk0\PartitionN, or 0. */
export function IoGetPartitionDevice(number: u32): usize {
  return number <= 4 ? load<usize>(IopPartitions + (number << 2)) : 0;
}
export function IoGetPartitionCount(): u32 { return IopPartitionCount; }

function DiskSucceed(device: usize, irp: usize): u32 { return STATUS_SUCCESS; }

/** Largest transfer per ATA command (256 sectors). */
const MAX_SECTORS_PER_COMMAND: u32 = 256;

function DiskTransfer(device: usize, irp: usize): u32 {
  const i = changetype<IRP>(irp);
  const e = changetype<DISK_EXTENSION>(changetype<DEVICE_OBJECT>(device).DeviceExtension);
  i.Information = 0;
  if ((i.ByteOffsetLow & 511) != 0 || (i.Length & 511) != 0 || i.ByteOffsetHigh >= 512) return STATUS_INVALID_PARAMETER;
  const first = (i.ByteOffsetHigh << 23) | (i.ByteOffsetLow >>> 9);
  let count = i.Length >>> 9;
  if (first >= e.SectorCount) return i.MajorFunction == IRP_MJ_READ ? STATUS_END_OF_FILE : STATUS_INVALID_PARAMETER;
  if (count > e.SectorCount - first) count = e.SectorCount - first;
  let done: u32 = 0;
  while (done < count) {
    let n = count - done;
    if (n > MAX_SECTORS_PER_COMMAND) n = MAX_SECTORS_PER_COMMAND;
    const lba = e.StartSector + first + done;
    const buffer = i.Buffer + (done << 9);
    const status = i.MajorFunction == IRP_MJ_READ ? AtaReadSectors(lba, n, buffer) : AtaWriteSectors(lba, n, buffer);
    if (!NT_SUCCESS(status)) { i.Information = done << 9; return status; }
    done += n;
  }
  i.Information = count << 9;
  return STATUS_SUCCESS;
}

function DiskFlush(device: usize, irp: usize): u32 { return AtaFlushCache(); }

function NullRead(device: usize, irp: usize): u32 { changetype<IRP>(irp).Information = 0; return STATUS_END_OF_FILE; }
function NullWrite(device: usize, irp: usize): u32 { const i = changetype<IRP>(irp); i.Information = i.Length; return STATUS_SUCCESS; }

const Scratch = memory.data(32, 4); // IoInitializeDisks only: boot (phase 1, before any second thread)

function DiskCreatePartition(driver: usize, number: u32, start: u32, count: u32, type: u32): usize {
  const name = number == 0 ? "\\Device\\Harddisk0\\Partition0" : number == 1 ? "\\Device\\Harddisk0\\Partition1"
    : number == 2 ? "\\Device\\Harddisk0\\Partition2" : number == 3 ? "\\Device\\Harddisk0\\Partition3" : "\\Device\\Harddisk0\\Partition4";
  const device = IoCreateDevice(driver, name, SIZEOF_DISK_EXTENSION, FILE_DEVICE_DISK);
  if (device == 0) return 0;
  const e = changetype<DISK_EXTENSION>(changetype<DEVICE_OBJECT>(device).DeviceExtension);
  e.StartSector = start;
  e.SectorCount = count;
  e.PartitionNumber = number;
  e.PartitionType = type;
  store<usize>(IopPartitions + (number << 2), device);
  return device;
}

/** Phase 1, after IoInitSystem and AtaInitialize: \Device\Null, and the disk's devices from its MBR. */
export function IoInitializeDisks(): void {
  const nullDriver = IoCreateDriver("\\Driver\\Null");
  IoAcceptOpenAndClose(nullDriver);
  IoSetMajorFunction(nullDriver, IRP_MJ_READ, NullRead);
  IoSetMajorFunction(nullDriver, IRP_MJ_WRITE, NullWrite);
  IoSetMajorFunction(nullDriver, IRP_MJ_FLUSH_BUFFERS, DiskSucceed);
  IoCreateDevice(nullDriver, "\\Device\\Null", 0, FILE_DEVICE_NULL);

  if (AtaSectors == 0) return;
  const driver = IoCreateDriver("\\Driver\\Disk");
  IoAcceptOpenAndClose(driver);
  IoSetMajorFunction(driver, IRP_MJ_READ, DiskTransfer);
  IoSetMajorFunction(driver, IRP_MJ_WRITE, DiskTransfer);
  IoSetMajorFunction(driver, IRP_MJ_FLUSH_BUFFERS, DiskFlush);
  RtlInitUnicodeString(Scratch, "\\Device\\Harddisk0");
  InitializeObjectAttributes(Scratch + 8, Scratch, OBJ_PERMANENT | OBJ_KERNEL_HANDLE, 0, 0);
  if (NT_SUCCESS(ObCreateDirectoryObject(Scratch + 28, DIRECTORY_ALL_ACCESS, Scratch + 8))) ObCloseHandle(load<u32>(Scratch + 28));
  DiskCreatePartition(driver, 0, 0, AtaSectors, 0);
  const mbr = ExAllocatePoolWithTag(NonPagedPool, 512, 0x6B736944); // 'Disk'
  if (mbr == 0) return;
  if (NT_SUCCESS(AtaReadSectors(0, 1, mbr)) && load<u16>(mbr, 510) == 0xAA55) {
    let number: u32 = 1;
    for (let p: u32 = 0; p < 4; p++) {
      const entry = mbr + 446 + (p << 4);
      const type = <u32>load<u8>(entry, 4);
      const start = load<u32>(entry, 8), count = load<u32>(entry, 12);
      if (type == 0 || count == 0) continue;
      if (start >= AtaSectors || count > AtaSectors - start) { // a table that does not fit the disk: log, skip
        KeLogFormat1("io", "partition %u lies outside the disk; ignored", p + 1);
        continue;
      }
      if (DiskCreatePartition(driver, number, start, count, type) != 0) number++;
    }
    IopPartitionCount = number - 1;
  }
  ExFreePoolWithTag(mbr, 0x6B736944);
  KeLogFormat2("io", "\\Device\\Harddisk0: %u%s", IopPartitionCount, changetype<usize>(IopPartitionCount == 1 ? " partition" : " partitions"));
}
