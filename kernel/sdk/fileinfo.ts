// What NtQueryInformationFile, NtSetInformationFile, NtQueryDirectoryFile and
// NtQueryVolumeInformationFile exchange (winternl.h, ntifs.h), in their
// 32-bit x86 layouts: the records a file system writes and a caller reads.
// Times and sizes are LARGE_INTEGERs (8-aligned); a name at the end is
// counted (its length in bytes beside it) and not NUL-terminated: `FileName`
// is its first character. Conventions as ntdef.ts.
//
//   FILE_BOTH_DIR_INFORMATION           FILE_BASIC_INFORMATION (40)   FILE_STANDARD_INFORMATION (24)
//     +0  NextEntryOffset                 +0  CreationTime              +0  AllocationSize
//     +4  FileIndex                       +8  LastAccessTime            +8  EndOfFile
//     +8  CreationTime .. +32 ChangeTime  +16 LastWriteTime             +16 NumberOfLinks
//     +40 EndOfFile  +48 AllocationSize   +24 ChangeTime                +20 DeletePending
//     +56 FileAttributes                  +32 FileAttributes            +21 Directory
//     +60 FileNameLength
//     +64 EaSize (FULL_DIR, BOTH_DIR)     FILE_DIRECTORY_INFORMATION: FileName at 64;
//     +68 ShortNameLength, +70 ShortName   FULL_DIR: at 68; BOTH_DIR: at 94; NAMES: at 12
//     +94 FileName

// FILE_INFORMATION_CLASS (NtQueryInformationFile, NtSetInformationFile,
// NtQueryDirectoryFile) and FS_INFORMATION_CLASS (NtQueryVolumeInformationFile):
// the classes this system knows, with NT's numbers.

export const FileDirectoryInformation: u32 = 1;
export const FileFullDirectoryInformation: u32 = 2;
export const FileBothDirectoryInformation: u32 = 3;
export const FileBasicInformation: u32 = 4;
export const FileStandardInformation: u32 = 5;
export const FileInternalInformation: u32 = 6;
export const FileEaInformation: u32 = 7;
export const FileAccessInformation: u32 = 8;
export const FileNameInformation: u32 = 9;
export const FileRenameInformation: u32 = 10;
export const FileNamesInformation: u32 = 12;
export const FileDispositionInformation: u32 = 13;
export const FilePositionInformation: u32 = 14;
export const FileModeInformation: u32 = 16;
export const FileAlignmentInformation: u32 = 17;
export const FileAllInformation: u32 = 18;
export const FileAllocationInformation: u32 = 19;
export const FileEndOfFileInformation: u32 = 20;
export const FileNetworkOpenInformation: u32 = 34;
export const FileAttributeTagInformation: u32 = 35;
/** One past the last class NT 5 defines: a class number at or above it is invalid. */
export const FileMaximumInformation: u32 = 36;

export const FileFsVolumeInformation: u32 = 1;
export const FileFsSizeInformation: u32 = 3;
export const FileFsDeviceInformation: u32 = 4;
export const FileFsAttributeInformation: u32 = 5;
export const FileFsFullSizeInformation: u32 = 7;

/** FileDirectoryInformation (1): one entry of a directory listing. */
@unmanaged export class FILE_DIRECTORY_INFORMATION {
  NextEntryOffset: u32;
  FileIndex: u32;
  CreationTime: i64;
  LastAccessTime: i64;
  LastWriteTime: i64;
  ChangeTime: i64;
  EndOfFile: i64;
  AllocationSize: i64;
  FileAttributes: u32;
  FileNameLength: u32;
  FileName: u16;
}

/** FileFullDirectoryInformation (2): as FILE_DIRECTORY_INFORMATION with EaSize before the name. */
@unmanaged export class FILE_FULL_DIR_INFORMATION {
  NextEntryOffset: u32;
  FileIndex: u32;
  CreationTime: i64;
  LastAccessTime: i64;
  LastWriteTime: i64;
  ChangeTime: i64;
  EndOfFile: i64;
  AllocationSize: i64;
  FileAttributes: u32;
  FileNameLength: u32;
  EaSize: u32;
  FileName: u16;
}

/** FileBothDirectoryInformation (3): with the 8.3 alias (ShortName, 12 characters at most). */
@unmanaged export class FILE_BOTH_DIR_INFORMATION {
  NextEntryOffset: u32;
  FileIndex: u32;
  CreationTime: i64;
  LastAccessTime: i64;
  LastWriteTime: i64;
  ChangeTime: i64;
  EndOfFile: i64;
  AllocationSize: i64;
  FileAttributes: u32;
  FileNameLength: u32;
  EaSize: u32;
  ShortNameLength: u8;   // bytes
  ShortName: u16;        // WCHAR[12]
  _ShortName_048: u16; _ShortName_04A: u16; _ShortName_04C: u16; _ShortName_04E: u16; _ShortName_050: u16;
  _ShortName_052: u16; _ShortName_054: u16; _ShortName_056: u16; _ShortName_058: u16; _ShortName_05A: u16; _ShortName_05C: u16;
  FileName: u16;
}

/** FileNamesInformation (12): the name alone. */
@unmanaged export class FILE_NAMES_INFORMATION {
  NextEntryOffset: u32;
  FileIndex: u32;
  FileNameLength: u32;
  FileName: u16;
}

/** FileBasicInformation (4): times (0: unchanged, -1: stop updating, on a set) and attributes. */
@unmanaged export class FILE_BASIC_INFORMATION {
  CreationTime: i64;
  LastAccessTime: i64;
  LastWriteTime: i64;
  ChangeTime: i64;
  FileAttributes: u32;
}
export const SIZEOF_FILE_BASIC_INFORMATION: u32 = 40;

/** FileStandardInformation (5). */
@unmanaged export class FILE_STANDARD_INFORMATION {
  AllocationSize: i64;
  EndOfFile: i64;
  NumberOfLinks: u32;
  DeletePending: u8;
  Directory: u8;
}
export const SIZEOF_FILE_STANDARD_INFORMATION: u32 = 24;

/** FileInternalInformation (6): the file's number on its volume. */
@unmanaged export class FILE_INTERNAL_INFORMATION {
  IndexNumber: i64;
}

/** FilePositionInformation (14): the file object's current byte offset. */
@unmanaged export class FILE_POSITION_INFORMATION {
  CurrentByteOffset: i64;
}

/** FileNameInformation (9): the path on the volume. */
@unmanaged export class FILE_NAME_INFORMATION {
  FileNameLength: u32;
  FileName: u16;
}
/** sizeof(FILE_NAME_INFORMATION): the length and the first WCHAR, padded (the least a query's buffer may be). */
export const SIZEOF_FILE_NAME_INFORMATION: u32 = 8;

/** FileEaInformation (7): no extended attributes here (0). */
@unmanaged export class FILE_EA_INFORMATION {
  EaSize: u32;
}

/** FileAccessInformation (8): the handle's granted access. */
@unmanaged export class FILE_ACCESS_INFORMATION {
  AccessFlags: u32;
}

/** FileModeInformation (16): the FILE_SYNCHRONOUS_IO_* / FILE_WRITE_THROUGH options of the open. */
@unmanaged export class FILE_MODE_INFORMATION {
  Mode: u32;
}

/** FileAlignmentInformation (17): the device's buffer alignment (FILE_*_ALIGNMENT). */
@unmanaged export class FILE_ALIGNMENT_INFORMATION {
  AlignmentRequirement: u32;
}

/** FileAllocationInformation (19): the clusters to allocate, in bytes. */
@unmanaged export class FILE_ALLOCATION_INFORMATION {
  AllocationSize: i64;
}

/** FileRenameInformation (10). */
@unmanaged export class FILE_RENAME_INFORMATION {
  ReplaceIfExists: u8;
  RootDirectory: u32;
  FileNameLength: u32;
  FileName: u16;
}

/** FileNetworkOpenInformation (34). */
@unmanaged export class FILE_NETWORK_OPEN_INFORMATION {
  CreationTime: i64;
  LastAccessTime: i64;
  LastWriteTime: i64;
  ChangeTime: i64;
  AllocationSize: i64;
  EndOfFile: i64;
  FileAttributes: u32;
}
export const SIZEOF_FILE_NETWORK_OPEN_INFORMATION: u32 = 56;

/** FileAttributeTagInformation (35). */
@unmanaged export class FILE_ATTRIBUTE_TAG_INFORMATION {
  FileAttributes: u32;
  ReparseTag: u32;
}

/** FileAllInformation (18): basic, standard, internal, EA, access, position, mode, alignment and name, flattened. */
@unmanaged export class FILE_ALL_INFORMATION {
  BasicInformation_CreationTime: i64;
  BasicInformation_LastAccessTime: i64;
  BasicInformation_LastWriteTime: i64;
  BasicInformation_ChangeTime: i64;
  BasicInformation_FileAttributes: u32;
  StandardInformation_AllocationSize: i64;
  StandardInformation_EndOfFile: i64;
  StandardInformation_NumberOfLinks: u32;
  StandardInformation_DeletePending: u8;
  StandardInformation_Directory: u8;
  InternalInformation_IndexNumber: i64;
  EaInformation_EaSize: u32;
  AccessInformation_AccessFlags: u32;
  PositionInformation_CurrentByteOffset: i64;
  ModeInformation_Mode: u32;
  AlignmentInformation_AlignmentRequirement: u32;
  NameInformation_FileNameLength: u32;
  NameInformation_FileName: u16;
}
/** sizeof(FILE_ALL_INFORMATION): up to the name's first WCHAR, padded to the LARGE_INTEGERs' 8. */
export const SIZEOF_FILE_ALL_INFORMATION: u32 = 104;

/** FileFsVolumeInformation (1). */
@unmanaged export class FILE_FS_VOLUME_INFORMATION {
  VolumeCreationTime: i64;
  VolumeSerialNumber: u32;
  VolumeLabelLength: u32;
  SupportsObjects: u8;
  VolumeLabel: u16;
}

/** FileFsSizeInformation (3): in allocation units (clusters). */
@unmanaged export class FILE_FS_SIZE_INFORMATION {
  TotalAllocationUnits: i64;
  AvailableAllocationUnits: i64;
  SectorsPerAllocationUnit: u32;
  BytesPerSector: u32;
}
export const SIZEOF_FILE_FS_SIZE_INFORMATION: u32 = 24;

/** FileFsFullSizeInformation (7). */
@unmanaged export class FILE_FS_FULL_SIZE_INFORMATION {
  TotalAllocationUnits: i64;
  CallerAvailableAllocationUnits: i64;
  ActualAvailableAllocationUnits: i64;
  SectorsPerAllocationUnit: u32;
  BytesPerSector: u32;
}
export const SIZEOF_FILE_FS_FULL_SIZE_INFORMATION: u32 = 32;

/** FileFsDeviceInformation (4). */
@unmanaged export class FILE_FS_DEVICE_INFORMATION {
  DeviceType: u32;         // FILE_DEVICE_DISK ...
  Characteristics: u32;    // FILE_REMOVABLE_MEDIA ...
}

/** FileFsAttributeInformation (5). */
@unmanaged export class FILE_FS_ATTRIBUTE_INFORMATION {
  FileSystemAttributes: u32;
  MaximumComponentNameLength: i32;
  FileSystemNameLength: u32;
  FileSystemName: u16;
}

/** FileDispositionInformation (13): delete the file when its last handle goes (or not). */
@unmanaged export class FILE_DISPOSITION_INFORMATION {
  DeleteFile: u8;
}

/** FileEndOfFileInformation (20); FileAllocationInformation (19) has the same layout (AllocationSize). */
@unmanaged export class FILE_END_OF_FILE_INFORMATION {
  EndOfFile: i64;
}

/** FILE_FS_ATTRIBUTE_INFORMATION.FileSystemAttributes (winnt.h). */
export const FILE_CASE_SENSITIVE_SEARCH: u32 = 0x00000001;
export const FILE_CASE_PRESERVED_NAMES: u32 = 0x00000002;
export const FILE_UNICODE_ON_DISK: u32 = 0x00000004;
