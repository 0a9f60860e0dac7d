// NT's constants for files and I/O requests (wdm.h, ntioapi.h, winnt.h,
// devioctl.h): major functions, NtCreateFile's dispositions, options and
// results, file access rights and share modes, file attributes, device
// types. The I/O manager's own layouts (DRIVER_OBJECT, DEVICE_OBJECT,
// FILE_OBJECT, IRP) are kernel/io/iop.ts's.

// ---- major functions (wdm.h) ----

export const IRP_MJ_CREATE: u32 = 0x00;
export const IRP_MJ_CLOSE: u32 = 0x02;
export const IRP_MJ_READ: u32 = 0x03;
export const IRP_MJ_WRITE: u32 = 0x04;
export const IRP_MJ_QUERY_INFORMATION: u32 = 0x05;
export const IRP_MJ_SET_INFORMATION: u32 = 0x06;
export const IRP_MJ_FLUSH_BUFFERS: u32 = 0x09;
export const IRP_MJ_QUERY_VOLUME_INFORMATION: u32 = 0x0A;
export const IRP_MJ_DIRECTORY_CONTROL: u32 = 0x0C;
export const IRP_MJ_FILE_SYSTEM_CONTROL: u32 = 0x0D;
export const IRP_MJ_DEVICE_CONTROL: u32 = 0x0E;
export const IRP_MJ_CLEANUP: u32 = 0x12;
export const IRP_MJ_MAXIMUM_FUNCTION: u32 = 0x1B;

// ---- NtCreateFile: dispositions, options, results ----

export const FILE_SUPERSEDE: u32 = 0;
export const FILE_OPEN: u32 = 1;
export const FILE_CREATE: u32 = 2;
export const FILE_OPEN_IF: u32 = 3;
export const FILE_OVERWRITE: u32 = 4;
export const FILE_OVERWRITE_IF: u32 = 5;
export const FILE_MAXIMUM_DISPOSITION: u32 = 5;

export const FILE_DIRECTORY_FILE: u32 = 0x00000001;
export const FILE_WRITE_THROUGH: u32 = 0x00000002;
export const FILE_SEQUENTIAL_ONLY: u32 = 0x00000004;
export const FILE_SYNCHRONOUS_IO_ALERT: u32 = 0x00000010;
export const FILE_SYNCHRONOUS_IO_NONALERT: u32 = 0x00000020;
export const FILE_NON_DIRECTORY_FILE: u32 = 0x00000040;
export const FILE_DELETE_ON_CLOSE: u32 = 0x00001000;
export const FILE_OPEN_BY_FILE_ID: u32 = 0x00002000;
export const FILE_OPEN_FOR_BACKUP_INTENT: u32 = 0x00004000;
export const FILE_VALID_OPTION_FLAGS: u32 = 0x00FFFFFF;

export const FILE_SUPERSEDED: u32 = 0;
export const FILE_OPENED: u32 = 1;
export const FILE_CREATED: u32 = 2;
export const FILE_OVERWRITTEN: u32 = 3;
export const FILE_EXISTS: u32 = 4;
export const FILE_DOES_NOT_EXIST: u32 = 5;

// ---- access rights for files (winnt.h) ----

export const FILE_READ_DATA: u32 = 0x0001;          // FILE_LIST_DIRECTORY for directories
export const FILE_WRITE_DATA: u32 = 0x0002;         // FILE_ADD_FILE
export const FILE_APPEND_DATA: u32 = 0x0004;        // FILE_ADD_SUBDIRECTORY
export const FILE_READ_EA: u32 = 0x0008;
export const FILE_WRITE_EA: u32 = 0x0010;
export const FILE_EXECUTE: u32 = 0x0020;            // FILE_TRAVERSE
export const FILE_DELETE_CHILD: u32 = 0x0040;
export const FILE_READ_ATTRIBUTES: u32 = 0x0080;
export const FILE_WRITE_ATTRIBUTES: u32 = 0x0100;
export const FILE_ALL_ACCESS: u32 = 0x001F01FF;
export const FILE_GENERIC_READ: u32 = 0x00120089;
export const FILE_GENERIC_WRITE: u32 = 0x00120116;
export const FILE_GENERIC_EXECUTE: u32 = 0x001200A0;

export const FILE_SHARE_READ: u32 = 1;
export const FILE_SHARE_WRITE: u32 = 2;
export const FILE_SHARE_DELETE: u32 = 4;
export const FILE_SHARE_VALID_FLAGS: u32 = 7;

// ---- file attributes ----

export const FILE_ATTRIBUTE_READONLY: u32 = 0x01;
export const FILE_ATTRIBUTE_HIDDEN: u32 = 0x02;
export const FILE_ATTRIBUTE_SYSTEM: u32 = 0x04;
export const FILE_ATTRIBUTE_DIRECTORY: u32 = 0x10;
export const FILE_ATTRIBUTE_ARCHIVE: u32 = 0x20;
export const FILE_ATTRIBUTE_NORMAL: u32 = 0x80;
/** The attributes a caller may set on a FAT file. */
export const FILE_ATTRIBUTE_VALID_SET_FLAGS: u32 = 0x27;

// Information classes (FILE_INFORMATION_CLASS, FS_INFORMATION_CLASS): fileinfo.ts.

// ---- device types and characteristics (devioctl.h) ----

export const FILE_DEVICE_DISK: u32 = 0x07;
export const FILE_DEVICE_DISK_FILE_SYSTEM: u32 = 0x08;
export const FILE_DEVICE_NULL: u32 = 0x15;
export const FILE_DEVICE_SERIAL_PORT: u32 = 0x1B;
export const FILE_REMOVABLE_MEDIA: u32 = 0x01;
export const FILE_DEVICE_IS_MOUNTED: u32 = 0x20;
