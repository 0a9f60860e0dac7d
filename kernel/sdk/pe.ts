// PE32 image layouts (winnt.h), for whoever reads an image in memory or in a
// file: the kernel's image sections (mm/image.ts), ntdll's loader, and any
// program that walks its own headers. The host-side writer and reader
// (scripts/pe/format.ts) name the same fields for Node.
//
//   +0       IMAGE_DOS_HEADER (64): e_magic "MZ" ... e_lfanew (+0x3C)
//   e_lfanew IMAGE_NT_HEADERS32: Signature "PE\0\0", IMAGE_FILE_HEADER (20),
//            IMAGE_OPTIONAL_HEADER32 (224 with 16 data directories)
//   then     IMAGE_SECTION_HEADER[NumberOfSections], 40 bytes each
//
// Addresses inside the tables are RVAs (offsets from the mapped image's base).

export const IMAGE_DOS_SIGNATURE: u32 = 0x5A4D;          // "MZ"
export const IMAGE_NT_SIGNATURE: u32 = 0x00004550;       // "PE\0\0"
export const IMAGE_NT_OPTIONAL_HDR32_MAGIC: u32 = 0x10B;
export const IMAGE_NT_OPTIONAL_HDR64_MAGIC: u32 = 0x20B;
export const IMAGE_FILE_MACHINE_I386: u32 = 0x14C;
export const IMAGE_NUMBEROF_DIRECTORY_ENTRIES: u32 = 16;

// IMAGE_FILE_HEADER.Characteristics
export const IMAGE_FILE_RELOCS_STRIPPED: u32 = 0x0001;
export const IMAGE_FILE_EXECUTABLE_IMAGE: u32 = 0x0002;
export const IMAGE_FILE_32BIT_MACHINE: u32 = 0x0100;
export const IMAGE_FILE_SYSTEM: u32 = 0x1000;
export const IMAGE_FILE_DLL: u32 = 0x2000;

// IMAGE_OPTIONAL_HEADER32.Subsystem
export const IMAGE_SUBSYSTEM_UNKNOWN: u32 = 0;
export const IMAGE_SUBSYSTEM_NATIVE: u32 = 1;
export const IMAGE_SUBSYSTEM_WINDOWS_GUI: u32 = 2;
export const IMAGE_SUBSYSTEM_WINDOWS_CUI: u32 = 3;

// Data directory indices.
export const IMAGE_DIRECTORY_ENTRY_EXPORT: u32 = 0;
export const IMAGE_DIRECTORY_ENTRY_IMPORT: u32 = 1;
export const IMAGE_DIRECTORY_ENTRY_RESOURCE: u32 = 2;
export const IMAGE_DIRECTORY_ENTRY_EXCEPTION: u32 = 3;
export const IMAGE_DIRECTORY_ENTRY_SECURITY: u32 = 4;
export const IMAGE_DIRECTORY_ENTRY_BASERELOC: u32 = 5;
export const IMAGE_DIRECTORY_ENTRY_DEBUG: u32 = 6;
export const IMAGE_DIRECTORY_ENTRY_TLS: u32 = 9;
export const IMAGE_DIRECTORY_ENTRY_BOUND_IMPORT: u32 = 11;
export const IMAGE_DIRECTORY_ENTRY_IAT: u32 = 12;
export const IMAGE_DIRECTORY_ENTRY_DELAY_IMPORT: u32 = 13;

// IMAGE_SECTION_HEADER.Characteristics
export const IMAGE_SCN_CNT_CODE: u32 = 0x00000020;
export const IMAGE_SCN_CNT_INITIALIZED_DATA: u32 = 0x00000040;
export const IMAGE_SCN_CNT_UNINITIALIZED_DATA: u32 = 0x00000080;
export const IMAGE_SCN_MEM_DISCARDABLE: u32 = 0x02000000;
export const IMAGE_SCN_MEM_SHARED: u32 = 0x10000000;
export const IMAGE_SCN_MEM_EXECUTE: u32 = 0x20000000;
export const IMAGE_SCN_MEM_READ: u32 = 0x40000000;
export const IMAGE_SCN_MEM_WRITE: u32 = 0x80000000;

// Base relocation types (the top 4 bits of each 16-bit entry).
export const IMAGE_REL_BASED_ABSOLUTE: u32 = 0;
export const IMAGE_REL_BASED_HIGHLOW: u32 = 3;
/** An import thunk with this bit imports by ordinal (the low 16 bits). */
export const IMAGE_ORDINAL_FLAG32: u32 = 0x80000000;

/** The MS-DOS header every image starts with; only e_magic and e_lfanew matter. */
@unmanaged export class IMAGE_DOS_HEADER {
  e_magic: u16;
  e_cblp: u16;
  e_cp: u16;
  e_crlc: u16;
  e_cparhdr: u16;
  e_minalloc: u16;
  e_maxalloc: u16;
  e_ss: u16;
  e_sp: u16;
  e_csum: u16;
  e_ip: u16;
  e_cs: u16;
  e_lfarlc: u16;
  e_ovno: u16;
  _e_res_01C: u32; _e_res_020: u32;
  e_oemid: u16;
  e_oeminfo: u16;
  _e_res2_028: u64; _e_res2_030: u64; _e_res2_038: u32;
  e_lfanew: i32;
}

/** The COFF file header (20 bytes). */
@unmanaged export class IMAGE_FILE_HEADER {
  Machine: u16;
  NumberOfSections: u16;
  TimeDateStamp: u32;
  PointerToSymbolTable: u32;
  NumberOfSymbols: u32;
  SizeOfOptionalHeader: u16;
  Characteristics: u16;
}

/** One data directory entry (8 bytes). */
@unmanaged export class IMAGE_DATA_DIRECTORY {
  VirtualAddress: u32;
  Size: u32;
}

/** The PE32 optional header (224 bytes with 16 data directories). */
@unmanaged export class IMAGE_OPTIONAL_HEADER32 {
  Magic: u16;
  MajorLinkerVersion: u8;
  MinorLinkerVersion: u8;
  SizeOfCode: u32;
  SizeOfInitializedData: u32;
  SizeOfUninitializedData: u32;
  AddressOfEntryPoint: u32;
  BaseOfCode: u32;
  BaseOfData: u32;
  ImageBase: u32;
  SectionAlignment: u32;
  FileAlignment: u32;
  MajorOperatingSystemVersion: u16;
  MinorOperatingSystemVersion: u16;
  MajorImageVersion: u16;
  MinorImageVersion: u16;
  MajorSubsystemVersion: u16;
  MinorSubsystemVersion: u16;
  Win32VersionValue: u32;
  SizeOfImage: u32;
  SizeOfHeaders: u32;
  CheckSum: u32;
  Subsystem: u16;
  DllCharacteristics: u16;
  SizeOfStackReserve: u32;
  SizeOfStackCommit: u32;
  SizeOfHeapReserve: u32;
  SizeOfHeapCommit: u32;
  LoaderFlags: u32;
  NumberOfRvaAndSizes: u32;
  /** DataDirectory[16] (0x60-0xDF): use DataDirectoryEntry(i). */
  DataDirectory: u64;
  _DataDirectory_068: u64; _DataDirectory_070: u64; _DataDirectory_078: u64; _DataDirectory_080: u64; _DataDirectory_088: u64; _DataDirectory_090: u64;
  _DataDirectory_098: u64; _DataDirectory_0A0: u64; _DataDirectory_0A8: u64; _DataDirectory_0B0: u64; _DataDirectory_0B8: u64; _DataDirectory_0C0: u64;
  _DataDirectory_0C8: u64; _DataDirectory_0D0: u64; _DataDirectory_0D8: u64;

  /** DataDirectory[index]. */
  @inline DataDirectoryEntry(index: u32): IMAGE_DATA_DIRECTORY {
    return changetype<IMAGE_DATA_DIRECTORY>(changetype<usize>(this) + offsetof<IMAGE_OPTIONAL_HEADER32>("DataDirectory") + (index << 3));
  }
}

/** "PE\0\0", the file header and the optional header, flattened (248 bytes). */
@unmanaged export class IMAGE_NT_HEADERS32 {
  Signature: u32;
  FileHeader_Machine: u16;
  FileHeader_NumberOfSections: u16;
  FileHeader_TimeDateStamp: u32;
  FileHeader_PointerToSymbolTable: u32;
  FileHeader_NumberOfSymbols: u32;
  FileHeader_SizeOfOptionalHeader: u16;
  FileHeader_Characteristics: u16;
  /** OptionalHeader starts here (0x18): use OptionalHeader. */
  OptionalHeader_Magic: u16;

  @inline get FileHeader(): IMAGE_FILE_HEADER {
    return changetype<IMAGE_FILE_HEADER>(changetype<usize>(this) + offsetof<IMAGE_NT_HEADERS32>("FileHeader_Machine"));
  }
  @inline get OptionalHeader(): IMAGE_OPTIONAL_HEADER32 {
    return changetype<IMAGE_OPTIONAL_HEADER32>(changetype<usize>(this) + offsetof<IMAGE_NT_HEADERS32>("OptionalHeader_Magic"));
  }
  /** The first section header (right after the optional header, whatever its declared size). */
  @inline get FirstSection(): usize {
    return changetype<usize>(this) + offsetof<IMAGE_NT_HEADERS32>("OptionalHeader_Magic") + <usize>this.FileHeader_SizeOfOptionalHeader;
  }
}
/** sizeof(IMAGE_NT_HEADERS32): the signature, 20 and 224 bytes. */
export const IMAGE_SIZEOF_NT_HEADERS32: u32 = 248;

/** One section (40 bytes). Name is 8 bytes, NUL padded, not terminated when full. */
@unmanaged export class IMAGE_SECTION_HEADER {
  Name: u64;
  VirtualSize: u32;
  VirtualAddress: u32;
  SizeOfRawData: u32;
  PointerToRawData: u32;
  PointerToRelocations: u32;
  PointerToLinenumbers: u32;
  NumberOfRelocations: u16;
  NumberOfLinenumbers: u16;
  Characteristics: u32;
}

/** The export directory (40 bytes). */
@unmanaged export class IMAGE_EXPORT_DIRECTORY {
  Characteristics: u32;
  TimeDateStamp: u32;
  MajorVersion: u16;
  MinorVersion: u16;
  Name: u32;
  Base: u32;
  NumberOfFunctions: u32;
  NumberOfNames: u32;
  AddressOfFunctions: u32;
  AddressOfNames: u32;
  AddressOfNameOrdinals: u32;
}

/** One imported DLL (20 bytes); the table ends with an all-zero entry. */
@unmanaged export class IMAGE_IMPORT_DESCRIPTOR {
  OriginalFirstThunk: u32;
  TimeDateStamp: u32;
  ForwarderChain: u32;
  Name: u32;
  FirstThunk: u32;
}

/** An import by name: the hint (an index into the export name table), then the NUL-terminated name. */
@unmanaged export class IMAGE_IMPORT_BY_NAME {
  Hint: u16;
  Name: u8;
}

/** A block of base relocations for one 4 KiB page: then (SizeOfBlock - 8) / 2 16-bit entries. */
@unmanaged export class IMAGE_BASE_RELOCATION {
  VirtualAddress: u32;
  SizeOfBlock: u32;
}

/** What NtQuerySection(SectionImageInformation) tells about an image section (48 bytes). */
@unmanaged export class SECTION_IMAGE_INFORMATION {
  TransferAddress: usize;
  ZeroBits: u32;
  MaximumStackSize: u32;
  CommittedStackSize: u32;
  SubSystemType: u32;
  SubSystemMinorVersion: u16;
  SubSystemMajorVersion: u16;
  GpValue: u32;
  ImageCharacteristics: u16;
  DllCharacteristics: u16;
  Machine: u16;
  ImageContainsCode: u8;
  ImageFlags: u8;
  LoaderFlags: u32;
  ImageFileSize: u32;
  CheckSum: u32;
}
/** sizeof(IMAGE_SECTION_HEADER). */
export const SECTION_HEADER_SIZE: u32 = 40;
/** "NE": a 16-bit Windows or OS/2 image's signature where "PE\0\0" would be. */
export const NE_SIGNATURE: u32 = 0x454E;
/** Relocation types HIGH and LOW: the high or low 16 bits of the delta added to a WORD. */
export const IMAGE_REL_BASED_HIGH: u32 = 1;
export const IMAGE_REL_BASED_LOW: u32 = 2;
