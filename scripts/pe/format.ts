// PE32 format facts shared by the writer (writer.ts), the reader (reader.ts)
// and the dump tool (dump.ts): structure sizes and field offsets, flag
// values, the NTSTATUS codes an image loader answers, and small helpers.
//
// A PE32 file, as this project writes it:
//
//   0x0000  IMAGE_DOS_HEADER (64 bytes): "MZ" ... e_lfanew at +0x3C
//   0x0040  DOS stub: a real-mode program printing "This program cannot be
//           run in DOS mode." (so the file is still a valid MZ executable)
//   e_lfanew "PE\0\0" signature (4 bytes)
//   +4      IMAGE_FILE_HEADER (COFF header, 20 bytes)
//   +24     IMAGE_OPTIONAL_HEADER32 (96 bytes of fields, then 16 data
//           directories of 8 bytes: 224 bytes in all)
//   +248    IMAGE_SECTION_HEADER[NumberOfSections], 40 bytes each
//   ...     zero padding up to SizeOfHeaders (a multiple of FileAlignment)
//   then    each section's raw data at PointerToRawData (FileAlignment
//           multiples); an uninitialized section (.bss) has none
//
// In memory the loader maps the headers at ImageBase and each section at
// ImageBase + VirtualAddress (RVA), rounded up to SectionAlignment, zero
// filled past its raw data. Every address inside the tables (imports,
// exports, relocations) is an RVA: an offset from ImageBase in the mapped
// image, not a file offset.

// --- DOS header (IMAGE_DOS_HEADER, 64 bytes) ---------------------------------
export const DOS_SIGNATURE = 0x5a4d; // "MZ" at e_magic (+0x00)
export const DOS_HEADER_SIZE = 64; // sizeof(IMAGE_DOS_HEADER)
export const DOS_E_LFANEW = 0x3c; // LONG: file offset of the "PE\0\0" signature
export const NE_SIGNATURE = 0x454e; // "NE": a 16-bit Windows or OS/2 image
export const NE_EXETYPE = 0x36; // BYTE in the NE header: 2 = Windows

// --- NT headers -----------------------------------------------------------------
export const PE_SIGNATURE = 0x00004550; // "PE\0\0"
export const FILE_HEADER_SIZE = 20; // sizeof(IMAGE_FILE_HEADER)
export const OPTIONAL_HEADER32_SIZE = 224; // IMAGE_OPTIONAL_HEADER32 with 16 directories
export const OPTIONAL_HEADER32_FIXED = 96; // fields before DataDirectory[]
export const SECTION_HEADER_SIZE = 40; // sizeof(IMAGE_SECTION_HEADER)
export const NUMBER_OF_DIRECTORIES = 16; // IMAGE_NUMBEROF_DIRECTORY_ENTRIES

// IMAGE_FILE_HEADER field offsets (from the start of the file header).
export const FH = {
  Machine: 0, // WORD
  NumberOfSections: 2, // WORD
  TimeDateStamp: 4, // DWORD, seconds since 1970
  PointerToSymbolTable: 8, // DWORD, 0 in images
  NumberOfSymbols: 12, // DWORD, 0 in images
  SizeOfOptionalHeader: 16, // WORD
  Characteristics: 18, // WORD, IMAGE_FILE_*
} as const;

// IMAGE_OPTIONAL_HEADER32 field offsets (from the start of the optional header).
export const OH = {
  Magic: 0, // WORD, 0x10b
  MajorLinkerVersion: 2, // BYTE
  MinorLinkerVersion: 3, // BYTE
  SizeOfCode: 4, // DWORD, sum of code sections' raw sizes
  SizeOfInitializedData: 8, // DWORD
  SizeOfUninitializedData: 12, // DWORD
  AddressOfEntryPoint: 16, // DWORD RVA, 0 for a DLL without an entry
  BaseOfCode: 20, // DWORD RVA
  BaseOfData: 24, // DWORD RVA (PE32 only)
  ImageBase: 28, // DWORD, a multiple of 64 KiB
  SectionAlignment: 32, // DWORD
  FileAlignment: 36, // DWORD
  MajorOperatingSystemVersion: 40, // WORD
  MinorOperatingSystemVersion: 42, // WORD
  MajorImageVersion: 44, // WORD
  MinorImageVersion: 46, // WORD
  MajorSubsystemVersion: 48, // WORD
  MinorSubsystemVersion: 50, // WORD
  Win32VersionValue: 52, // DWORD, 0
  SizeOfImage: 56, // DWORD, multiple of SectionAlignment
  SizeOfHeaders: 60, // DWORD, multiple of FileAlignment
  CheckSum: 64, // DWORD
  Subsystem: 68, // WORD, IMAGE_SUBSYSTEM_*
  DllCharacteristics: 70, // WORD, IMAGE_DLLCHARACTERISTICS_*
  SizeOfStackReserve: 72, // DWORD
  SizeOfStackCommit: 76, // DWORD
  SizeOfHeapReserve: 80, // DWORD
  SizeOfHeapCommit: 84, // DWORD
  LoaderFlags: 88, // DWORD, 0
  NumberOfRvaAndSizes: 92, // DWORD, 16
  DataDirectory: 96, // IMAGE_DATA_DIRECTORY[16]: { DWORD VirtualAddress; DWORD Size; }
} as const;

// IMAGE_SECTION_HEADER field offsets.
export const SH = {
  Name: 0, // BYTE[8], NUL padded (not terminated when 8 long)
  VirtualSize: 8, // DWORD, bytes in memory (Misc.VirtualSize)
  VirtualAddress: 12, // DWORD RVA, multiple of SectionAlignment
  SizeOfRawData: 16, // DWORD, multiple of FileAlignment
  PointerToRawData: 20, // DWORD file offset, 0 for uninitialized data
  PointerToRelocations: 24, // DWORD, 0 in images
  PointerToLinenumbers: 28, // DWORD, 0 in images
  NumberOfRelocations: 32, // WORD
  NumberOfLinenumbers: 34, // WORD
  Characteristics: 36, // DWORD, IMAGE_SCN_*
} as const;

export const OPTIONAL_MAGIC_PE32 = 0x10b; // IMAGE_NT_OPTIONAL_HDR32_MAGIC
export const OPTIONAL_MAGIC_PE32PLUS = 0x20b; // IMAGE_NT_OPTIONAL_HDR64_MAGIC

export const MACHINE_I386 = 0x14c; // IMAGE_FILE_MACHINE_I386
export const MACHINE_AMD64 = 0x8664; // IMAGE_FILE_MACHINE_AMD64

// IMAGE_FILE_* characteristics (COFF header).
export const FILE_RELOCS_STRIPPED = 0x0001; // no base relocations: load at ImageBase only
export const FILE_EXECUTABLE_IMAGE = 0x0002; // an image, not an object file
export const FILE_LARGE_ADDRESS_AWARE = 0x0020; // may use addresses above 2 GiB
export const FILE_32BIT_MACHINE = 0x0100; // 32-bit words
export const FILE_DEBUG_STRIPPED = 0x0200; // debug information removed
export const FILE_SYSTEM = 0x1000; // a system file (driver)
export const FILE_DLL = 0x2000; // a dynamic-link library

// IMAGE_SUBSYSTEM_* values.
export const SUBSYSTEM_UNKNOWN = 0;
export const SUBSYSTEM_NATIVE = 1; // drivers and native programs (smss, csrss, autochk)
export const SUBSYSTEM_WINDOWS_GUI = 2;
export const SUBSYSTEM_WINDOWS_CUI = 3;
export const SUBSYSTEM_NAMES: Record<number, string> = {
  0: 'unknown', 1: 'native', 2: 'windows gui', 3: 'windows cui', 5: 'os/2 cui', 7: 'posix cui',
  8: 'native windows', 9: 'windows ce gui', 10: 'efi application', 11: 'efi boot service driver',
  12: 'efi runtime driver', 13: 'efi rom', 14: 'xbox', 16: 'windows boot application',
};

// IMAGE_DLLCHARACTERISTICS_* values.
export const DLLCHAR_DYNAMIC_BASE = 0x0040; // may be relocated (ASLR)
export const DLLCHAR_NX_COMPAT = 0x0100; // data pages not executable
export const DLLCHAR_NO_SEH = 0x0400; // no structured exception handlers

// IMAGE_SCN_* section characteristics.
export const SCN_CNT_CODE = 0x00000020;
export const SCN_CNT_INITIALIZED_DATA = 0x00000040;
export const SCN_CNT_UNINITIALIZED_DATA = 0x00000080;
export const SCN_MEM_DISCARDABLE = 0x02000000; // may be freed after load (.reloc)
export const SCN_MEM_SHARED = 0x10000000;
export const SCN_MEM_EXECUTE = 0x20000000;
export const SCN_MEM_READ = 0x40000000;
export const SCN_MEM_WRITE = 0x80000000;

// Data directory indexes (IMAGE_DIRECTORY_ENTRY_*).
export const DIR_EXPORT = 0;
export const DIR_IMPORT = 1;
export const DIR_RESOURCE = 2;
export const DIR_EXCEPTION = 3;
export const DIR_SECURITY = 4; // the only directory whose VirtualAddress is a file offset
export const DIR_BASERELOC = 5;
export const DIR_DEBUG = 6;
export const DIR_TLS = 9;
export const DIR_LOAD_CONFIG = 10;
export const DIR_BOUND_IMPORT = 11;
export const DIR_IAT = 12;
export const DIR_DELAY_IMPORT = 13;
export const DIR_CLR = 14;
export const DIRECTORY_NAMES = [
  'export', 'import', 'resource', 'exception', 'security', 'basereloc', 'debug', 'architecture',
  'globalptr', 'tls', 'load config', 'bound import', 'iat', 'delay import', 'clr', 'reserved',
];

// IMAGE_IMPORT_DESCRIPTOR (20 bytes; a zeroed one ends the array).
export const IMPORT_DESCRIPTOR_SIZE = 20;
export const ID = {
  OriginalFirstThunk: 0, // RVA of the import lookup table (ILT)
  TimeDateStamp: 4, // 0 unless bound
  ForwarderChain: 8, // 0 (or -1) unless bound
  Name: 12, // RVA of the DLL name (ASCII, NUL terminated)
  FirstThunk: 16, // RVA of the import address table (IAT) the loader overwrites
} as const;
export const IMPORT_BY_ORDINAL = 0x80000000; // ILT entry flag: low 16 bits are an ordinal

// IMAGE_EXPORT_DIRECTORY (40 bytes).
export const EXPORT_DIRECTORY_SIZE = 40;
export const ED = {
  Characteristics: 0, // DWORD, 0
  TimeDateStamp: 4, // DWORD
  MajorVersion: 8, // WORD
  MinorVersion: 10, // WORD
  Name: 12, // RVA of the DLL's own name
  Base: 16, // first ordinal (ordinal = Base + index in AddressOfFunctions)
  NumberOfFunctions: 20, // entries in the export address table (EAT)
  NumberOfNames: 24, // entries in the name pointer and ordinal tables
  AddressOfFunctions: 28, // RVA of the EAT: DWORD RVAs, a forwarder when inside this directory
  AddressOfNames: 32, // RVA of DWORD name RVAs, sorted by byte value for binary search
  AddressOfNameOrdinals: 36, // RVA of WORD indexes into the EAT (ordinal - Base)
} as const;

// Base relocation blocks: { DWORD PageRVA; DWORD SizeOfBlock; WORD entries[] },
// an entry is type << 12 | offset in the 4 KiB page.
export const RELOC_BLOCK_HEADER = 8;
export const RELOC_PAGE = 0x1000;
export const REL_BASED_ABSOLUTE = 0; // padding, no fixup
export const REL_BASED_HIGH = 1; // high 16 bits of the delta
export const REL_BASED_LOW = 2; // low 16 bits of the delta
export const REL_BASED_HIGHLOW = 3; // add the 32-bit delta to a DWORD
export const REL_BASED_HIGHADJ = 4; // high 16 bits, adjusted, takes two slots
export const RELOC_TYPE_NAMES = ['ABSOLUTE', 'HIGH', 'LOW', 'HIGHLOW', 'HIGHADJ'];

export const PAGE_SIZE = 0x1000; // i386 page: SectionAlignment below it means a flat-mapped image
export const IMAGE_BASE_GRANULARITY = 0x10000; // ImageBase must be a multiple of 64 KiB
export const MAX_SECTIONS = 96; // NumberOfSections above this is refused (PE spec 3.3, ReactOS)

// --- NTSTATUS codes an image loader answers --------------------------------------
export const STATUS_SUCCESS = 0x00000000;
export const STATUS_IMAGE_MACHINE_TYPE_MISMATCH = 0x4000000e; // warning: the image is for another CPU
export const STATUS_INVALID_IMAGE_FORMAT = 0xc000007b; // a malformed or unsupported image
export const STATUS_INVALID_IMAGE_NE_FORMAT = 0xc000011b; // an NE (16-bit Windows / OS/2) image
export const STATUS_INVALID_IMAGE_NOT_MZ = 0xc000012f; // no "MZ" at the start
export const STATUS_INVALID_IMAGE_PROTECT = 0xc0000130; // e_lfanew does not lead to a "PE\0\0" header
export const STATUS_INVALID_IMAGE_WIN_16 = 0xc0000131; // a 16-bit Windows image
export const STATUS_IMAGE_CHECKSUM_MISMATCH = 0xc0000221; // CheckSum differs from the computed one
export const STATUS_INVALID_IMAGE_WIN_64 = 0xc000035a; // a PE32+ image on a 32-bit system

export const STATUS_NAMES: Record<number, string> = {
  [STATUS_SUCCESS]: 'STATUS_SUCCESS',
  [STATUS_IMAGE_MACHINE_TYPE_MISMATCH]: 'STATUS_IMAGE_MACHINE_TYPE_MISMATCH',
  [STATUS_INVALID_IMAGE_FORMAT]: 'STATUS_INVALID_IMAGE_FORMAT',
  [STATUS_INVALID_IMAGE_NE_FORMAT]: 'STATUS_INVALID_IMAGE_NE_FORMAT',
  [STATUS_INVALID_IMAGE_NOT_MZ]: 'STATUS_INVALID_IMAGE_NOT_MZ',
  [STATUS_INVALID_IMAGE_PROTECT]: 'STATUS_INVALID_IMAGE_PROTECT',
  [STATUS_INVALID_IMAGE_WIN_16]: 'STATUS_INVALID_IMAGE_WIN_16',
  [STATUS_IMAGE_CHECKSUM_MISMATCH]: 'STATUS_IMAGE_CHECKSUM_MISMATCH',
  [STATUS_INVALID_IMAGE_WIN_64]: 'STATUS_INVALID_IMAGE_WIN_64',
};

/** "STATUS_NAME (0xC000007B)" for messages. */
export function statusText(status: number): string {
  const hex = '0x' + (status >>> 0).toString(16).toUpperCase().padStart(8, '0');
  const name = STATUS_NAMES[status >>> 0];
  return name ? `${name} (${hex})` : hex;
}

/** An image that a loader would refuse, with the NTSTATUS Windows answers for it. */
export class PeError extends Error {
  readonly status: number;
  readonly rule: string;
  constructor(status: number, rule: string, message: string) {
    super(`${rule}: ${message} [${statusText(status)}]`);
    this.name = 'PeError';
    this.status = status >>> 0;
    this.rule = rule;
  }
}

// --- helpers ------------------------------------------------------------------------
export function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

export function isPowerOfTwo(value: number): boolean {
  return value > 0 && (value & (value - 1)) === 0 && value <= 0x80000000;
}

export function hex(value: number, digits = 8): string {
  return '0x' + (value >>> 0).toString(16).padStart(digits, '0');
}

/** The 8-byte section name field, decoded up to its first NUL. */
export function sectionName(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return String.fromCharCode(...bytes.subarray(0, end < 0 ? bytes.length : end));
}
