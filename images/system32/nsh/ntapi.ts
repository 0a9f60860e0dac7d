// The native API nsh uses beyond ../native/nt.ts: files, directories and the
// current directory (ntdll.dll exports, stdcall, NT's x86 layouts), with the
// winnt.h / ntifs.h constants that go with them.

@external("ntdll", "NtQueryDirectoryFile") export declare function NtQueryDirectoryFile(file: u32, event: u32, apc: usize, context: usize, iosb: usize,
  info: usize, length: u32, cls: u32, single: bool, name: usize, restart: bool): u32;
@external("ntdll", "NtQueryInformationFile") export declare function NtQueryInformationFile(file: u32, iosb: usize, info: usize, length: u32, cls: u32): u32;
@external("ntdll", "NtSetInformationFile") export declare function NtSetInformationFile(file: u32, iosb: usize, info: usize, length: u32, cls: u32): u32;
@external("ntdll", "RtlGetCurrentDirectory_U") export declare function RtlGetCurrentDirectory_U(size: u32, buffer: usize): u32;
@external("ntdll", "RtlSetCurrentDirectory_U") export declare function RtlSetCurrentDirectory_U(path: usize): u32;
@external("ntdll", "RtlGetFullPathName_U") export declare function RtlGetFullPathName_U(name: usize, size: u32, buffer: usize, filePart: usize): u32;
@external("ntdll", "RtlDosPathNameToNtPathName_U_WithStatus") export declare function RtlDosPathNameToNtPathName_U_WithStatus(dos: usize, nt: usize,
  filePart: usize, relative: usize): u32;

// Access rights (winnt.h).
export const DELETE: u32 = 0x00010000;
export const FILE_READ_DATA: u32 = 0x0001;
export const FILE_LIST_DIRECTORY: u32 = 0x0001;
export const FILE_WRITE_DATA: u32 = 0x0002;
export const FILE_READ_ATTRIBUTES: u32 = 0x0080;
export const FILE_WRITE_ATTRIBUTES: u32 = 0x0100;
export const FILE_TRAVERSE: u32 = 0x0020;

// NtCreateFile dispositions and options (ntifs.h).
export const FILE_OPEN: u32 = 1;
export const FILE_CREATE: u32 = 2;
export const FILE_OVERWRITE_IF: u32 = 5;
export const FILE_DIRECTORY_FILE: u32 = 0x0001;
export const FILE_SHARE_DELETE: u32 = 4;
export const FILE_OPEN_FOR_BACKUP_INTENT: u32 = 0x4000;

// File attributes (winnt.h).
export const FILE_ATTRIBUTE_DIRECTORY: u32 = 0x10;

//   FILE_DIRECTORY_INFORMATION (one entry of NtQueryDirectoryFile's class 1)
//   +0x00 NextEntryOffset  +0x04 FileIndex      +0x08 CreationTime   +0x10 LastAccessTime
//   +0x18 LastWriteTime    +0x20 ChangeTime     +0x28 EndOfFile      +0x30 AllocationSize
//   +0x38 FileAttributes   +0x3C FileNameLength +0x40 FileName[]
export const FDI_NEXT: u32 = 0x00;
export const FDI_LAST_WRITE_TIME: u32 = 0x18;
export const FDI_END_OF_FILE: u32 = 0x28;
export const FDI_ATTRIBUTES: u32 = 0x38;
export const FDI_NAME_LENGTH: u32 = 0x3C;
export const FDI_NAME: u32 = 0x40;

@external("ntdll", "RtlFreeUnicodeString") export declare function RtlFreeUnicodeString(string: usize): void;
