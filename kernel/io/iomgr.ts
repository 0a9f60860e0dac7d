// The I/O manager: driver, device and file object types, the request path,
// and the parse of a device path into a file object.
//
// A name like \??\C:\Windows\System32\smss.exe is looked up by the object
// manager: \??\C: is a symbolic link to \Device\Harddisk0\Partition1, whose
// type's parse procedure (IopParseDevice) takes the rest of the name. The
// parse runs under the object manager's lock, where nothing may wait, so it
// only makes a file object: which device serves it (the file system's
// volume device when one is mounted on the partition) and the path on that
// device ("\Windows\System32\smss.exe"). The create service then sends
// IRP_MJ_CREATE to the driver outside the lock, where the file system may
// read the disk. A relative open (RootDirectory = a directory's file handle)
// goes through the File type's parse procedure the same way.
//
// A file object's last reference also goes under that lock, so its delete
// procedure does not call the driver: it queues a copy of the object for
// IRP_MJ_CLEANUP and IRP_MJ_CLOSE, which IopProcessDeferredCloses sends
// outside the lock (after NtClose, at the start of every file service, and
// from the I/O worker thread).

import { MmSetFileRoutines } from "../mm/mmfile";
import { IoSetDeleteFile, IoSetPagingFileSize, IoTransferFile } from "./iofunc";
import { IoQueryFileSize } from "./iofile";
import { IoOpenFileObject } from "./create";
import {
  OB_SECURITY_OPEN, OB_SECURITY_OWN_METHOD, OB_SECURITY_PRIVATE, OB_SECURITY_PUBLIC, ObGetObjectSecurity, ObGetSystemSecurityDescriptor,
  ObGetWorldSecurityDescriptor, ObSetObjectSecurity, ObSetTypeSecurity,
} from "../ob/obsecure";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { ExAllocatePoolWithQuotaTag, ExFreePoolWithQuotaTag } from "../ex/quota";
import { KeBugCheckEx } from "../ke/bugcheck";
import { KeAllocateScratch, KeCreateThread, KeCurrentThread, KeFreeScratch, KeReadyThread } from "../ke/thread";
import { KEVENT_SIZE, KeInitializeEvent, KeSetEvent, KeWaitForSingleObject } from "../ke/wait";
import { cli, read_eflags, sti } from "../sdk/intrinsics";
import { RtlInitUnicodeString, RtlUnicodeString, RtlStartsWithSeparator } from "../rtl/unicode";
import { ObCreateObject, ObCreateObjectType, ObInitializeTypeInitializer } from "../ob/obcreate";
import { ObInsertObject } from "../ob/obname";
import { ObDereferenceObject, ObReferenceObject } from "../ob/obref";
import { ObCloseHandle, ObReferenceObjectByHandle } from "../ob/obhandle";
import { ObDeferredCloseActive, ObDeferredCloseQueue, ObRegisterCloseRoutine } from "../ob/obsvc";
import { ObCreateDirectoryObject } from "../ob/obdir";
import { ObCreateSymbolicLinkObject } from "../ob/oblink";
import {
  InitializeObjectAttributes, OBJECT_TYPE_INITIALIZER, DIRECTORY_ALL_ACCESS, SYMBOLIC_LINK_ALL_ACCESS, STANDARD_RIGHTS_REQUIRED, SYNCHRONIZE, READ_CONTROL,
} from "../ob/obp";
import {
  DEVICE_OBJECT, DriverMajorFunction, FILE_ALL_ACCESS, FILE_DEVICE_DISK, FILE_GENERIC_EXECUTE, FILE_GENERIC_READ, FILE_GENERIC_WRITE,
  FILE_OBJECT, FileObjectName, FO_OPENED, FO_VOLUME_OPEN, IO_EXTENSION_TAG, IO_IRP_TAG, IO_NAME_TAG, IRP, IRP_MJ_CLEANUP,
  IRP_MJ_CLOSE, IRP_MJ_CREATE, IRP_MJ_FILE_SYSTEM_CONTROL, IRP_MJ_MAXIMUM_FUNCTION, PDRIVER_DISPATCH, SIZEOF_DEVICE_OBJECT,
  SIZEOF_DRIVER_OBJECT, SIZEOF_FILE_OBJECT, SIZEOF_IRP, IRP_PAGING_IO,
} from "./iop";
import {
  NT_SUCCESS, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_DEVICE_REQUEST, STATUS_NAME_TOO_LONG,
  STATUS_OBJECT_NAME_INVALID, STATUS_SUCCESS,
} from "../sdk/ntstatus";
import { OBJ_CASE_INSENSITIVE, OBJ_KERNEL_HANDLE, OBJ_PERMANENT } from "../sdk/ntdef";

export let IoDriverObjectType: usize = 0;
export let IoDeviceObjectType: usize = 0;
export let IoFileObjectType: usize = 0;

/** The longest path a file object keeps (bytes of UTF-16). */
const IO_MAX_PATH_BYTES: u32 = 0xFFFC;

// ---- cells for the calls below ----

// Devices are made after boot too (a file system's volume device when it
// mounts), so each call takes its cells from its thread's scratch arena:
// +0 a name (UNICODE_STRING), +8 a link target (UNICODE_STRING),
// +16 OBJECT_ATTRIBUTES (24), +40 the object made, +44 its handle.
const C_NAME: u32 = 0, C_TARGET: u32 = 8, C_ATTRIBUTES: u32 = 16, C_OUT: u32 = 40, C_HANDLE: u32 = 44;
const CELLS_SIZE: u32 = 48;
// IoInitSystem's type initializer: boot only (phase 1, before any second thread).
const Init = memory.data(64, 4);
const TypeName = memory.data(8, 4);
const TypeOut = memory.data(4, 4);

// ---- requests ----

/**
 * A zeroed IRP for `major` on `file` (0 for none) to `device`, or 0 when pool
 * is exhausted. With `charge`, a request a user call makes: charged to the
 * calling process (ex/quota.ts), 0 past its quota, the reason at `status`.
 * Paging, cleanup and close requests are never charged: they must not fail
 * for a process's quota.
 */
export function IoAllocateIrp(major: u32, device: usize, file: usize, charge: bool = false, status: usize = 0): usize {
  const irp = ExAllocatePoolWithQuotaTag(NonPagedPool, SIZEOF_IRP, IO_IRP_TAG, status, charge);
  if (irp == 0) return 0;
  const i = changetype<IRP>(irp);
  i.MajorFunction = major;
  i.DeviceObject = device;
  i.FileObject = file;
  return irp;
}

export function IoFreeIrp(irp: usize): void { ExFreePoolWithQuotaTag(irp, IO_IRP_TAG); }

/** Sends `irp` to the driver of its device; returns the driver's status. */
export function IoCallDriver(irp: usize): u32 {
  const i = changetype<IRP>(irp);
  const device = changetype<DEVICE_OBJECT>(i.DeviceObject);
  if (i.MajorFunction > IRP_MJ_MAXIMUM_FUNCTION) return STATUS_INVALID_DEVICE_REQUEST;
  const routine = load<usize>(DriverMajorFunction(device.DriverObject, i.MajorFunction));
  if (routine == 0) return STATUS_INVALID_DEVICE_REQUEST;
  return changetype<PDRIVER_DISPATCH>(routine)(i.DeviceObject, irp);
}

/**
 * Reads or writes (or flushes) `length` bytes of kernel memory at `offset`
 * through `device`, for `file` (0: the device itself, as file systems use
 * their disk). The count moved goes to `information` when it is not 0.
 * `paging`: paging I/O (IRP_PAGING_IO), the memory manager moving whole
 * sectors of its paging file, which the file system maps without its caches.
 */
export function IoTransfer(device: usize, file: usize, major: u32, offset: u64, buffer: usize, length: u32, information: usize,
                           paging: bool = false): u32 {
  const irp = IoAllocateIrp(major, device, file);
  if (irp == 0) return STATUS_INSUFFICIENT_RESOURCES;
  const i = changetype<IRP>(irp);
  i.Buffer = buffer;
  i.Length = length;
  i.ByteOffsetLow = <u32>offset;
  i.ByteOffsetHigh = <u32>(offset >> 32);
  if (paging) i.P1 = IRP_PAGING_IO;
  const status = IoCallDriver(irp);
  if (information != 0) store<u32>(information, i.Information);
  IoFreeIrp(irp);
  return status;
}

/** IoTransfer on a device with no file object: what file systems do to their disk. */
export function IoDeviceTransfer(device: usize, major: u32, offset: u64, buffer: usize, length: u32): u32 {
  return IoTransfer(device, 0, major, offset, buffer, length, 0);
}

// ---- drivers and devices ----

function IopMakeAttributes(cells: usize, name: string): usize {
  RtlInitUnicodeString(cells + C_NAME, name);
  InitializeObjectAttributes(cells + C_ATTRIBUTES, cells + C_NAME, OBJ_PERMANENT | OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, 0, 0);
  return cells + C_ATTRIBUTES;
}

/** Creates a permanent named object of `type` with a zeroed body; returns it (0 on failure). */
function IopCreatePermanentObject(type: usize, name: string, bodySize: u32): usize {
  const cells = KeAllocateScratch(CELLS_SIZE);
  let object: usize = 0;
  if (NT_SUCCESS(ObCreateObject(type, IopMakeAttributes(cells, name), bodySize, cells + C_OUT))
      && NT_SUCCESS(ObInsertObject(load<usize>(cells + C_OUT), 0, cells + C_HANDLE))) {
    object = load<usize>(cells + C_OUT);
    ObCloseHandle(load<u32>(cells + C_HANDLE)); // the name (permanent) keeps it
  }
  KeFreeScratch(cells);
  return object;
}

/** Creates the driver object `name` (e.g. "\\Driver\\Disk"); the caller fills in its dispatch table. */
export function IoCreateDriver(name: string): usize {
  const driver = IopCreatePermanentObject(IoDriverObjectType, name, SIZEOF_DRIVER_OBJECT);
  if (driver == 0) KeBugCheckEx(0x5E, 0x10, 0, 0, 0); // OBJECT_INITIALIZATION_FAILED: no driver object
  const sd = ObGetSystemSecurityDescriptor(OB_SECURITY_PUBLIC);
  if (sd != 0) ObSetObjectSecurity(driver, sd);
  return driver;
}

/** Sets `driver`'s routine for `major`. */
export function IoSetMajorFunction(driver: usize, major: u32, routine: PDRIVER_DISPATCH): void {
  store<usize>(DriverMajorFunction(driver, major), changetype<usize>(routine));
}

function IopSucceed(device: usize, irp: usize): u32 { return STATUS_SUCCESS; }

/** Lets `driver` accept CREATE, CLEANUP and CLOSE with nothing to do (devices without per-open state). */
export function IoAcceptOpenAndClose(driver: usize): void {
  IoSetMajorFunction(driver, IRP_MJ_CREATE, IopSucceed);
  IoSetMajorFunction(driver, IRP_MJ_CLEANUP, IopSucceed);
  IoSetMajorFunction(driver, IRP_MJ_CLOSE, IopSucceed);
}

/**
 * The default descriptor of a named device of `deviceType`, as NT's
 * IoCreateDevice gives one (IopCreateDefaultDeviceSecurityDescriptor):
 * SYSTEM and Administrators everything; Everyone, on a disk (the raw
 * partitions and the whole disk), only FILE_GENERIC_EXECUTE -- query and
 * synchronize, never read or write the sectors (NT's default lets Everyone
 * read a disk; Windows' disk class installs narrow it to SYSTEM and
 * Administrators, and here the raw sectors hold the SAM hive); on any other
 * device (the null device, the serial port that is session 1's terminal)
 * read, write and execute, as NT's SePublicOpenUnrestrictedSd.
 */
function IopDefaultDeviceSecurity(deviceType: u32): u32 {
  return deviceType == FILE_DEVICE_DISK || deviceType == FILE_DEVICE_CD_ROM || deviceType == FILE_DEVICE_MASS_STORAGE
    || deviceType == FILE_DEVICE_VIRTUAL_DISK ? OB_SECURITY_PRIVATE : OB_SECURITY_OPEN;
}
const FILE_DEVICE_CD_ROM: u32 = 0x02, FILE_DEVICE_VIRTUAL_DISK: u32 = 0x24, FILE_DEVICE_MASS_STORAGE: u32 = 0x2D;

/**
 * Creates a device of `driver` named `name` ("" for an unnamed device, such
 * as a file system's volume device) with a zeroed extension of
 * `extensionSize` bytes. Returns the device, 0 on failure. A named device
 * gets its type's default descriptor (IopDefaultDeviceSecurity), which a
 * user-mode open of the device itself is checked against (create.ts); an
 * unnamed one (a file system's volume) has none: its files' security is the
 * file system's.
 */
export function IoCreateDevice(driver: usize, name: string, extensionSize: u32, deviceType: u32): usize {
  let device: usize = 0;
  if (name.length != 0) {
    device = IopCreatePermanentObject(IoDeviceObjectType, name, SIZEOF_DEVICE_OBJECT);
  } else {
    const cells = KeAllocateScratch(CELLS_SIZE);
    if (NT_SUCCESS(ObCreateObject(IoDeviceObjectType, 0, SIZEOF_DEVICE_OBJECT, cells + C_OUT))) {
      device = load<usize>(cells + C_OUT); // unnamed: its creator's reference keeps it
    }
    KeFreeScratch(cells);
  }
  if (device == 0) return 0;
  if (name.length != 0) {
    const sd = ObGetSystemSecurityDescriptor(IopDefaultDeviceSecurity(deviceType));
    if (sd == 0) KeBugCheckEx(0x5E, 0x13, 0, 0, 0); // no pool for it at boot: a device left open to all must not exist
    ObSetObjectSecurity(device, sd);
  }
  const d = changetype<DEVICE_OBJECT>(device);
  d.DriverObject = driver;
  d.DeviceType = deviceType;
  if (extensionSize != 0) {
    d.DeviceExtension = ExAllocatePoolWithTag(NonPagedPool, extensionSize, IO_EXTENSION_TAG);
    if (d.DeviceExtension == 0) return 0;
  }
  return device;
}

/**
 * Gives the object of the handle in `cells` NT's public descriptor (as
 * IoCreateSymbolicLink and the I/O manager's directories get
 * SePublicDefaultUnrestrictedSd): everyone may look, only SYSTEM and
 * Administrators change or delete it.
 */
function IopProtect(cells: usize): void {
  if (!NT_SUCCESS(ObReferenceObjectByHandle(load<u32>(cells + C_HANDLE), 0, 0, cells + C_OUT, 0))) return;
  const sd = ObGetSystemSecurityDescriptor(OB_SECURITY_PUBLIC);
  if (sd != 0) ObSetObjectSecurity(load<usize>(cells + C_OUT), sd);
  ObDereferenceObject(load<usize>(cells + C_OUT));
}

/** Makes the permanent symbolic link `name` -> `target`, with NT's public descriptor. */
export function IoCreateSymbolicLink(name: string, target: string): u32 {
  const cells = KeAllocateScratch(CELLS_SIZE);
  RtlInitUnicodeString(cells + C_TARGET, target);
  const status = ObCreateSymbolicLinkObject(cells + C_HANDLE, SYMBOLIC_LINK_ALL_ACCESS, IopMakeAttributes(cells, name), cells + C_TARGET);
  if (NT_SUCCESS(status)) { IopProtect(cells); ObCloseHandle(load<u32>(cells + C_HANDLE)); }
  KeFreeScratch(cells);
  return status;
}

function IopCreateDirectory(name: string): void {
  const cells = KeAllocateScratch(CELLS_SIZE);
  const status = ObCreateDirectoryObject(cells + C_HANDLE, DIRECTORY_ALL_ACCESS, IopMakeAttributes(cells, name));
  if (!NT_SUCCESS(status)) KeBugCheckEx(0x5E, 0x11, status, 0, 0);
  IopProtect(cells);
  ObCloseHandle(load<u32>(cells + C_HANDLE));
  KeFreeScratch(cells);
}

// ---- file objects: parse ----

/**
 * Makes an unopened file object for `device` whose path is the `aLength`
 * bytes at `a`, then a backslash and the `bLength` bytes at `b` when both
 * parts are there.
 */
function IopMakeFileObject(device: usize, realDevice: usize, a: usize, aLength: u32, b: usize, bLength: u32, object: usize): u32 {
  const joiner: u32 = aLength != 0 && bLength != 0 ? 2 : 0;
  const length = aLength + joiner + bLength;
  if (length > IO_MAX_PATH_BYTES) return STATUS_NAME_TOO_LONG;
  let buffer: usize = 0;
  if (length != 0) {
    const reason = KeAllocateScratch(4);
    buffer = ExAllocatePoolWithQuotaTag(NonPagedPool, length + 2, IO_NAME_TAG, reason); // the opener's quota
    const refused = load<u32>(reason);
    KeFreeScratch(reason);
    if (buffer == 0) return refused;
    memory.copy(buffer, a, aLength);
    if (joiner != 0) store<u16>(buffer + aLength, 0x5C);
    if (bLength != 0) memory.copy(buffer + aLength + joiner, b, bLength);
    store<u16>(buffer + length, 0);
  }
  const status = ObCreateObject(IoFileObjectType, 0, SIZEOF_FILE_OBJECT, object);
  if (!NT_SUCCESS(status)) {
    if (buffer != 0) ExFreePoolWithQuotaTag(buffer, IO_NAME_TAG);
    return status;
  }
  const f = changetype<FILE_OBJECT>(load<usize>(object));
  f.DeviceObject = device;
  ObReferenceObject(device);
  f.RelatedDevice = realDevice;
  ObReferenceObject(realDevice);
  f.FileNameLength = <u16>length;
  f.FileNameMaximumLength = <u16>(length + 2);
  f.FileNameBuffer = buffer;
  if (length == 0) f.Flags |= FO_VOLUME_OPEN;
  return STATUS_SUCCESS;
}

/**
 * The Device type's parse procedure: the rest of the name is a path on the
 * device. With a volume mounted on the device and a path left, requests go
 * to the volume; the device itself (no path) is opened raw.
 */
function IopParseDevice(parseObject: usize, objectType: usize, attributes: u32, completeName: usize,
                        remainingName: usize, object: usize): u32 {
  store<usize>(object, 0);
  const d = changetype<DEVICE_OBJECT>(parseObject);
  const remaining = RtlUnicodeString(remainingName);
  if (remaining.Length != 0 && !RtlStartsWithSeparator(remainingName)) return STATUS_OBJECT_NAME_INVALID;
  let target = parseObject;
  if (remaining.Length != 0 && d.MountedVolume != 0) target = d.MountedVolume;
  return IopMakeFileObject(target, parseObject, remaining.Buffer, <u32>remaining.Length, 0, 0, object);
}

/** The File type's parse procedure: a name relative to an open directory (RootDirectory of a create). */
function IopParseFile(parseObject: usize, objectType: usize, attributes: u32, completeName: usize,
                      remainingName: usize, object: usize): u32 {
  store<usize>(object, 0);
  const f = changetype<FILE_OBJECT>(parseObject);
  if (RtlStartsWithSeparator(remainingName)) return STATUS_OBJECT_NAME_INVALID;
  const remaining = RtlUnicodeString(remainingName);
  let device = f.DeviceObject; // a raw open of a partition: names under it go to its volume
  const mounted = changetype<DEVICE_OBJECT>(device).MountedVolume;
  if (remaining.Length != 0 && mounted != 0) device = mounted;
  return IopMakeFileObject(device, f.RelatedDevice, f.FileNameBuffer, <u32>f.FileNameLength,
                           remaining.Buffer, <u32>remaining.Length, object);
}

// ---- file objects: the end ----

// Copies of file objects whose driver still has to hear CLEANUP and CLOSE
// (singly linked at +SIZEOF_FILE_OBJECT): the list's head is Ob's word
// ObDeferredCloseQueue, which NtClose tests before it calls Io back.
const IopCloseEvent: usize = memory.data(<i32>KEVENT_SIZE, 8);
// One thread at a time sends queued closes (a synchronization event as its
// lock; its owner's thread in ObDeferredCloseActive). A thread that finds
// the queue empty while another drains waits for it: its own file may be the
// one in flight, and a file deleted on close must be gone before NtClose, or
// the create that follows it, goes on.
const IopCloseLock: usize = memory.data(<i32>KEVENT_SIZE, 8);
let IopCloseEventReady: bool = false;
const CLOSE_PACKET_SIZE: u32 = SIZEOF_FILE_OBJECT + 4;
const CLOSE_TAG: u32 = 0x6C436F49; // 'IoCl'

/** The File type's delete procedure (under the object manager's lock). */
function IopDeleteFile(file: usize): void {
  const f = changetype<FILE_OBJECT>(file);
  if ((f.Flags & FO_OPENED) != 0) {
    const packet = ExAllocatePoolWithTag(NonPagedPool, CLOSE_PACKET_SIZE, CLOSE_TAG);
    if (packet != 0) {
      memory.copy(packet, file, SIZEOF_FILE_OBJECT);
      // LIFO is fine: each file's CLEANUP and CLOSE stay together, and files are independent.
      // Interrupts off for the push, as for the pop (IopDrainCloseQueue): a
      // drain preempting a push between its read and its write of the head
      // would free a packet the push then links.
      const state = read_eflags() & 0x200;
      cli();
      store<usize>(packet + SIZEOF_FILE_OBJECT, load<usize>(ObDeferredCloseQueue));
      store<usize>(ObDeferredCloseQueue, packet);
      if (state != 0) sti();
      return; // the packet owns the name and the device references now
    }
    // No pool: the driver never hears the close (its per-open data leaks), the rest is freed.
  }
  IopReleaseFileObjectParts(file);
}

function IopReleaseFileObjectParts(file: usize): void {
  const f = changetype<FILE_OBJECT>(file);
  if (f.FileNameBuffer != 0) ExFreePoolWithQuotaTag(f.FileNameBuffer, IO_NAME_TAG);
  f.FileNameBuffer = 0;
  if (f.DeviceObject != 0) ObDereferenceObject(f.DeviceObject);
  if (f.RelatedDevice != 0) ObDereferenceObject(f.RelatedDevice);
  f.DeviceObject = 0;
  f.RelatedDevice = 0;
}

/** Sends CLEANUP and CLOSE for every queued file object. Call with no lock held, on a thread that may wait. */
@inline export function IopProcessDeferredCloses(): void {
  // the empty queue with no drain under way costs a load, an or and a compare
  if ((load<usize>(ObDeferredCloseQueue) | load<usize>(ObDeferredCloseActive)) != 0) IopDrainCloseQueue();
}

/** What NtClose runs after a close that queued a file (ObRegisterCloseRoutine). */
function IopCloseAfterNtClose(): void { IopProcessDeferredCloses(); }

function IopDrainCloseQueue(): void {
  // A driver's CLEANUP that closed a file of its own comes back here: the drain under way takes it.
  if (load<usize>(ObDeferredCloseActive) == KeCurrentThread) return;
  KeWaitForSingleObject(IopCloseLock, 0);
  store<usize>(ObDeferredCloseActive, KeCurrentThread);
  while (load<usize>(ObDeferredCloseQueue) != 0) {
    const state = read_eflags() & 0x200;
    cli();
    const packet = load<usize>(ObDeferredCloseQueue);
    if (packet != 0) store<usize>(ObDeferredCloseQueue, load<usize>(packet + SIZEOF_FILE_OBJECT));
    if (state != 0) sti();
    if (packet == 0) break;
    const device = changetype<FILE_OBJECT>(packet).DeviceObject;
    IopEndVolumeLock(packet);
    for (let step = 0; step < 2; step++) {
      const irp = IoAllocateIrp(step == 0 ? IRP_MJ_CLEANUP : IRP_MJ_CLOSE, device, packet);
      if (irp == 0) break;
      IoCallDriver(irp);
      IoFreeIrp(irp);
    }
    IopReleaseFileObjectParts(packet);
    ExFreePoolWithTag(packet, CLOSE_TAG);
  }
  store<usize>(ObDeferredCloseActive, 0);
  KeSetEvent(IopCloseLock);
}

/**
 * A raw open of a partition that holds its file system's volume lock (the
 * file system marked it: FsContext2 set) gives the lock up when it closes:
 * the file system hears FSCTL_UNLOCK_VOLUME for it, as if it had asked.
 */
function IopEndVolumeLock(file: usize): void {
  const f = changetype<FILE_OBJECT>(file);
  if ((f.Flags & FO_VOLUME_OPEN) == 0 || f.FsContext2 == 0) return;
  const mounted = changetype<DEVICE_OBJECT>(f.DeviceObject).MountedVolume;
  if (mounted == 0) return;
  const irp = IoAllocateIrp(IRP_MJ_FILE_SYSTEM_CONTROL, mounted, file);
  if (irp == 0) return;
  changetype<IRP>(irp).P0 = 0x0009001C; // FSCTL_UNLOCK_VOLUME
  IoCallDriver(irp);
  IoFreeIrp(irp);
}

/** The I/O worker: closes what handle tables of ended processes let go, twice a second at most. */
function IopWorkerThread(context: usize): void {
  const timeout = memory.data(8, 8); // one worker thread runs this: the block is its own
  while (true) {
    store<i64>(timeout, -5000000); // 0.5 s
    KeWaitForSingleObject(IopCloseEvent, timeout);
    IopProcessDeferredCloses();
  }
}

/** Wakes the worker (from a thread, never under the object manager's lock). */
export function IoWakeWorker(): void { if (IopCloseEventReady) KeSetEvent(IopCloseEvent); }

// ---- a file's security (NT's IopGetSetSecurityObject) ----

/**
 * True when `file` is an open of a device itself (a raw partition, the null
 * device, the serial port), not a file on a mounted file system: the
 * device named by the path serves it (IopParseDevice, IopParseFile).
 */
export function IoIsDirectDeviceOpen(file: usize): bool {
  const f = changetype<FILE_OBJECT>(file);
  return f.DeviceObject != 0 && f.DeviceObject == f.RelatedDevice;
}

/**
 * A file object's descriptor, under Ob's lock: a direct device open has its
 * device's; a file of the file system has the file system's, and FAT keeps
 * none, so NT's I/O manager answers for it with SeAssignWorldSecurityDescriptor
 * (owner and group Everyone, a NULL DACL) when FAT refuses IRP_MJ_QUERY_SECURITY
 * with STATUS_INVALID_DEVICE_REQUEST.
 */
function IopQueryFileSecurity(file: usize): usize {
  if (IoIsDirectDeviceOpen(file)) {
    const sd = ObGetObjectSecurity(changetype<FILE_OBJECT>(file).DeviceObject);
    if (sd != 0) return sd;
  }
  return ObGetWorldSecurityDescriptor();
}

/**
 * NtSetSecurityObject on a file, under Ob's lock: a direct device open
 * changes its device's descriptor (the handle needed WRITE_DAC or
 * WRITE_OWNER, which a device's default grants SYSTEM and Administrators
 * alone); a file of a file system without security (FAT) keeps nothing and
 * the call succeeds, as NT's IopGetSetSecurityObject answers STATUS_SUCCESS
 * for a set the file system refused with STATUS_INVALID_DEVICE_REQUEST.
 * Returns the descriptor for the caller to free (the previous, or `sd`).
 */
function IopAssignFileSecurity(file: usize, sd: usize): usize {
  if (IoIsDirectDeviceOpen(file)) {
    const device = changetype<FILE_OBJECT>(file).DeviceObject;
    if (ObGetObjectSecurity(device) != 0) return ObSetObjectSecurity(device, sd);
  }
  return sd;
}

// ---- initialization ----

function IopCreateType(name: string, tag: u32, bodySize: u32, read: u32, write: u32, execute: u32, all: u32,
                       parse: ((a: usize, b: usize, c: u32, d: usize, e: usize, f: usize) => u32) | null,
                       deleteProcedure: ((o: usize) => void) | null): usize {
  ObInitializeTypeInitializer(Init, read, write, execute, all, all, bodySize);
  const info = changetype<OBJECT_TYPE_INITIALIZER>(Init);
  info.PoolTag = tag;
  info.ParseProcedure = parse;
  info.DeleteProcedure = deleteProcedure;
  RtlInitUnicodeString(TypeName, name);
  const status = ObCreateObjectType(TypeName, Init, TypeOut);
  if (!NT_SUCCESS(status)) KeBugCheckEx(0x5E, 0x12, status, 0, 0);
  return load<usize>(TypeOut);
}

/** Phase 1: the types, \Driver and \FileSystem, and the I/O worker thread. Drivers come after. */
/** IoTransferFile with every argument (a table call must not reach a function with optional arguments: README, "Concurrency"). */
function IopTransferFileForMm(file: usize, major: u32, offset: u64, buffer: usize, length: u32, information: usize, paging: bool): u32 {
  return IoTransferFile(file, major, offset, buffer, length, information, paging);
}

/** For Mm: the device a file's path named, the path on it and its length in bytes, at `out` (+0, +4, +8). */
function IopQueryFileName(file: usize, out: usize): void {
  const f = changetype<FILE_OBJECT>(file);
  store<usize>(out, f.RelatedDevice);
  store<usize>(out, f.FileNameBuffer, 4);
  store<u32>(out, <u32>f.FileNameLength, 8);
}

export function IoInitSystem(): void {
  const deviceAll = STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x1FF;
  IoDriverObjectType = IopCreateType("Driver", 0x76697244, SIZEOF_DRIVER_OBJECT, READ_CONTROL, READ_CONTROL, READ_CONTROL,
                                     STANDARD_RIGHTS_REQUIRED | 0x1, null, null); // 'Driv'
  IoDeviceObjectType = IopCreateType("Device", 0x69766544, SIZEOF_DEVICE_OBJECT, FILE_GENERIC_READ, FILE_GENERIC_WRITE,
                                     FILE_GENERIC_EXECUTE, deviceAll, IopParseDevice, null); // 'Devi'
  IoFileObjectType = IopCreateType("File", 0x656C6946, SIZEOF_FILE_OBJECT, FILE_GENERIC_READ, FILE_GENERIC_WRITE,
                                   FILE_GENERIC_EXECUTE, FILE_ALL_ACCESS, IopParseFile, IopDeleteFile); // 'File'
  // A file's security is the file system's (NT's IopGetSetSecurityObject; FAT keeps none), or its device's
  // for a direct open of a device: a duplicate never gains rights.
  ObGetWorldSecurityDescriptor();
  ObSetTypeSecurity(IoFileObjectType, OB_SECURITY_OWN_METHOD, IopQueryFileSecurity, IopAssignFileSecurity);
  // Mm reads image files and pages through Io (mm/mmfile.ts): Io sits above Mm and hands its routines in.
  MmSetFileRoutines(IoFileObjectType, IopTransferFileForMm, IoQueryFileSize, IoOpenFileObject, IoSetPagingFileSize, IoSetDeleteFile, IopQueryFileName);
  IopCreateDirectory("\\Driver");
  IopCreateDirectory("\\FileSystem");
  KeInitializeEvent(IopCloseEvent, false, false);
  KeInitializeEvent(IopCloseLock, false, true);
  IopCloseEventReady = true;
  ObRegisterCloseRoutine(IopCloseAfterNtClose);
  const worker = KeCreateThread(0, IopWorkerThread, 0, 9);
  if (worker != 0) KeReadyThread(worker);
}
