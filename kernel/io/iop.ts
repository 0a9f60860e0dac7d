// The I/O manager's structures and constants (NT's io.h, ntioapi.h, iop.h).
//
// Three object types: Driver (a table of dispatch routines), Device (what a
// driver serves, named under \Device) and File (an open instance of a device
// or of a file on a volume). A request is an IRP: one pool block that says
// what to do (major function and parameters), on which file object, with
// which kernel buffer, and that comes back with a status and a count. Every
// request is synchronous: IoCallDriver returns when the driver is done (the
// driver may wait on the disk meanwhile). Drivers never see user pointers:
// the services copy in and out through the IRP's kernel buffer.
//
// Layouts here are the kernel's own (they never cross the native API
// boundary); the constants are NT's.

// ---- NT's constants (major functions, NtCreateFile's, access rights, attributes, device types): the SDK's ----

export * from "../sdk/io";
import { IRP_MJ_MAXIMUM_FUNCTION } from "../sdk/io";

// ---- DRIVER_OBJECT (body) ----
//
//   +0   MajorFunction[IRP_MJ_MAXIMUM_FUNCTION + 1]: dispatch routines (0: not served)

/** A driver's routine for one major function. */
export type PDRIVER_DISPATCH = (device: usize, irp: usize) => u32;
export const SIZEOF_DRIVER_OBJECT: u32 = (IRP_MJ_MAXIMUM_FUNCTION + 1) * 4;
@inline export function DriverMajorFunction(driver: usize, major: u32): usize { return driver + (major << 2); }

// ---- DEVICE_OBJECT (body) ----

@unmanaged export class DEVICE_OBJECT {
  DriverObject: usize;      // the driver that serves it
  DeviceExtension: usize;   // the driver's per-device data (pool, freed with the device)
  DeviceType: u32;          // FILE_DEVICE_*
  Characteristics: u32;     // FILE_REMOVABLE_MEDIA, FILE_DEVICE_IS_MOUNTED, ...
  MountedVolume: usize;     // the file system's volume device mounted on this one, or 0
  RealDevice: usize;        // for a volume device: the device it is mounted on
  Flags: u32;
}
export const SIZEOF_DEVICE_OBJECT: u32 = 28;

// ---- FILE_OBJECT (body) ----

@unmanaged export class FILE_OBJECT {
  DeviceObject: usize;      // where requests go: the volume device for a file on a volume (referenced)
  FsContext: usize;         // the driver's per-file data (FAT: the FCB)
  FsContext2: usize;        // the driver's per-open data (FAT: the CCB)
  CurrentByteOffsetLow: u32; // the position of synchronous I/O
  CurrentByteOffsetHigh: u32;
  Flags: u32;               // FO_*
  FileNameLength: u16;      // FileName: the path on the device ("\Windows\System32\x"), pool 'IoNm'
  FileNameMaximumLength: u16;
  FileNameBuffer: usize;
  GrantedAccess: u32;       // what the create was granted (the handle may narrow it)
  CreateOptions: u32;       // FILE_* options of the create
  RelatedDevice: usize;     // the device named by the path (referenced)
  ShareAccess: u32;
  Reserved: u32;
}
export const SIZEOF_FILE_OBJECT: u32 = 52;
/** FILE_OBJECT.FileName as a UNICODE_STRING. */
@inline export function FileObjectName(file: usize): usize { return file + 24; }

export const FO_SYNCHRONOUS_IO: u32 = 0x00000002;
export const FO_ALERTABLE_IO: u32 = 0x00000004;
export const FO_DIRECTORY_FILE: u32 = 0x00000080;  // our use: opened as a directory
export const FO_DELETE_ON_CLOSE: u32 = 0x00010000; // FILE_DELETE_ON_CLOSE was given
export const FO_OPENED: u32 = 0x00100000;          // the driver accepted IRP_MJ_CREATE: it gets CLEANUP and CLOSE
export const FO_VOLUME_OPEN: u32 = 0x00400000;     // the device itself (no name on it)

// ---- IRP ----
//
// One pool block ('Irp '). Parameters by major function:
//   CREATE     P0 DesiredAccess  P1 Options (disposition << 24 | create options)  P2 FileAttributes  P3 ShareAccess
//   READ/WRITE ByteOffset, Length, Buffer
//   QUERY/SET_INFORMATION, QUERY_VOLUME_INFORMATION  P0 information class, Buffer/Length
//     SET rename: P1 ReplaceIfExists, P2 the target path on the volume (UNICODE_STRING*)
//   DIRECTORY_CONTROL  P0 information class  P1 flags (SL_*)  P2 file name pattern (UNICODE_STRING* or 0)
//   DEVICE_CONTROL / FILE_SYSTEM_CONTROL  P0 control code, Buffer/Length in, P2/P3 output buffer/length

@unmanaged export class IRP {
  MajorFunction: u32;
  FileObject: usize;
  DeviceObject: usize;
  Buffer: usize;            // kernel memory
  Length: u32;
  ByteOffsetLow: u32;
  ByteOffsetHigh: u32;
  Information: u32;         // IO_STATUS_BLOCK.Information: bytes moved, create result, ...
  P0: u32;
  P1: u32;
  P2: usize;
  P3: u32;
}
export const SIZEOF_IRP: u32 = 48;

/**
 * IRP_MJ_SET_INFORMATION P1 with FileEndOfFileInformation: the file is a
 * paging file (NT's SL_OPEN_PAGING_FILE): the file system gives it one
 * contiguous run where it can and does not zero it (IoSetPagingFileSize).
 */
export const IO_PAGING_FILE: u32 = 0x01;
/**
 * IRP_MJ_READ / IRP_MJ_WRITE P1: paging I/O on a paging file (NT's
 * IRP_PAGING_IO): the memory manager moves whole pages inside the file's
 * size; the file system takes none of its locks when the file is one run
 * (the modified page writer and a page fault must not wait on a caller of
 * the file system), never changes the file's size or entry.
 */
export const IRP_PAGING_IO: u32 = 0x02;

export const SL_RESTART_SCAN: u32 = 0x01;
export const SL_RETURN_SINGLE_ENTRY: u32 = 0x02;
export const SL_INDEX_SPECIFIED: u32 = 0x04;

// ---- pool tags ----

export const IO_IRP_TAG: u32 = 0x20707249;   // 'Irp '
export const IO_NAME_TAG: u32 = 0x6D4E6F49;  // 'IoNm'
export const IO_BUFFER_TAG: u32 = 0x66426F49; // 'IoBf'
export const IO_EXTENSION_TAG: u32 = 0x78456F49; // 'IoEx'
