// PE32 image reader: parses and checks an .exe/.dll/.sys file the way an NT
// image loader does before it maps it, and returns its headers, sections,
// imports, exports and base relocations. The kernel's loader will port
// these checks, so they are one ordered list of rules. The first rule an
// image breaks throws a PeError with the NTSTATUS Windows answers for it
// (facts from ReactOS's PeFmtCreateSection/MmCreateImageSection and Wine's
// get_image_params, which follow Windows; "ours" marks a check of our own).
//
// Headers
//   R1  dos-header   the file holds a 64-byte IMAGE_DOS_HEADER starting "MZ"
//                    -> STATUS_INVALID_IMAGE_NOT_MZ
//   R2  nt-offset    e_lfanew > 0 and the signature and the 20-byte file header
//                    at e_lfanew lie in the file -> STATUS_INVALID_IMAGE_PROTECT
//   R3  signature    "PE\0\0" at e_lfanew; "NE" there is a 16-bit image:
//                    Windows type -> STATUS_INVALID_IMAGE_WIN_16, else
//                    STATUS_INVALID_IMAGE_NE_FORMAT; anything else ->
//                    STATUS_INVALID_IMAGE_PROTECT
//   R4  optional-size SizeOfOptionalHeader covers the 96 bytes of fixed fields
//                    and the optional header lies in the file
//                    -> STATUS_INVALID_IMAGE_FORMAT
//   R5  magic        Magic is 0x10b (PE32); 0x20b (PE32+) ->
//                    STATUS_INVALID_IMAGE_WIN_64; else STATUS_INVALID_IMAGE_FORMAT
//   R6  machine      Machine is i386 (0x14c) -> STATUS_INVALID_IMAGE_FORMAT
//                    (NtCreateSection). With allowForeignMachine it is only a
//                    warning, STATUS_IMAGE_MACHINE_TYPE_MISMATCH (0x4000000E),
//                    the warning NtMapViewOfSection returns for an image of
//                    another CPU.
//   R7  image-flag   Characteristics has IMAGE_FILE_EXECUTABLE_IMAGE (an
//                    object file is not an image) -> STATUS_INVALID_IMAGE_FORMAT
//   R8  directories  the NumberOfRvaAndSizes data directories (at most 16 are
//                    used) fit in SizeOfOptionalHeader -> STATUS_INVALID_IMAGE_FORMAT
//   R9  alignment    SectionAlignment and FileAlignment are powers of two;
//                    below the page size (4 KiB) they are equal, otherwise
//                    SectionAlignment >= FileAlignment -> STATUS_INVALID_IMAGE_FORMAT
//   R10 image-base   ImageBase is a multiple of 64 KiB and ImageBase +
//                    SizeOfImage stays below 4 GiB -> STATUS_INVALID_IMAGE_FORMAT
//   R11 section-count NumberOfSections <= 96 -> STATUS_INVALID_IMAGE_FORMAT
//   R12 headers-size the section table ends inside SizeOfHeaders and
//                    SizeOfHeaders lies in the file -> STATUS_INVALID_IMAGE_FORMAT
// Sections (in section table order)
//   R13 section-va   each VirtualAddress is a multiple of SectionAlignment and
//                    equals the end of the previous section (the first: the
//                    headers rounded up to SectionAlignment): sections are
//                    ordered, contiguous and never overlap in memory; each
//                    has a non-zero size (VirtualSize, or SizeOfRawData when
//                    VirtualSize is 0) and ends below 4 GiB
//                    -> STATUS_INVALID_IMAGE_FORMAT
//   R14 size-of-image SizeOfImage covers the last section (rounded to
//                    SectionAlignment) and is at most 256 MiB (ours)
//                    -> STATUS_INVALID_IMAGE_FORMAT
//   R15 raw-data     a section with raw data (PointerToRawData and
//                    SizeOfRawData both non-zero) has it inside the file,
//                    after the headers, not overlapping another section's
//                    (overlap: ours) -> STATUS_INVALID_IMAGE_FORMAT
//   R16 entry-point  AddressOfEntryPoint is 0 or inside a section (ours)
//                    -> STATUS_INVALID_IMAGE_FORMAT
// Tables (read from the mapped view, see reader-dirs.ts)
//   R17 directory-range every used data directory but Security (a file
//                    offset) lies inside SizeOfImage -> STATUS_INVALID_IMAGE_FORMAT
//   R18 imports      descriptors, DLL names, lookup entries, hint/name entries
//                    and IAT slots lie in the image, strings are NUL-terminated,
//                    the ordinal flag has no stray bits; the descriptor array
//                    ends with Name = FirstThunk = 0, and one of the two alone
//                    is refused (ours: Windows stops the walk there silently)
//                    -> STATUS_INVALID_IMAGE_FORMAT
//   R19 exports      the directory, the EAT, the name and ordinal tables and
//                    all strings lie in the image; every name's ordinal index
//                    is below NumberOfFunctions -> STATUS_INVALID_IMAGE_FORMAT
//   R20 relocations  blocks have an even SizeOfBlock >= 8 inside the
//                    directory; every fixup is a known i386 type (ABSOLUTE,
//                    HIGH, LOW, HIGHLOW, HIGHADJ) touching bytes inside the
//                    image -> STATUS_INVALID_IMAGE_FORMAT (LdrRelocateImage)
// Reported, not refused (PeImage.warnings; the loader decides):
//   W1  checksum     a non-zero CheckSum differs from the computed one
//                    (STATUS_IMAGE_CHECKSUM_MISMATCH if the loader insists)
//   W2  subsystem    Subsystem is not the expected one (NATIVE by default)
//   W3  machine      see R6 with allowForeignMachine
//   W4  relocs-stripped IMAGE_FILE_RELOCS_STRIPPED with a relocation directory
//   W5  export-order the export name table is not sorted (lookups by name fail)

import { type ChecksumResult, peVerifyChecksum } from './checksum.ts';
import {
  DIR_BASERELOC, DIR_EXPORT, DIR_IMPORT, DIR_SECURITY, DOS_E_LFANEW, DOS_HEADER_SIZE, DOS_SIGNATURE, FH,
  FILE_DLL, FILE_EXECUTABLE_IMAGE, FILE_HEADER_SIZE, FILE_RELOCS_STRIPPED, IMAGE_BASE_GRANULARITY, MACHINE_I386, MAX_SECTIONS,
  NE_EXETYPE, NE_SIGNATURE, NUMBER_OF_DIRECTORIES, OH, OPTIONAL_HEADER32_FIXED, OPTIONAL_MAGIC_PE32,
  OPTIONAL_MAGIC_PE32PLUS, PAGE_SIZE, PE_SIGNATURE, PeError, SECTION_HEADER_SIZE, SH, STATUS_IMAGE_CHECKSUM_MISMATCH,
  STATUS_IMAGE_MACHINE_TYPE_MISMATCH, STATUS_INVALID_IMAGE_FORMAT, STATUS_INVALID_IMAGE_NE_FORMAT,
  STATUS_INVALID_IMAGE_NOT_MZ, STATUS_INVALID_IMAGE_PROTECT, STATUS_INVALID_IMAGE_WIN_16, STATUS_INVALID_IMAGE_WIN_64,
  SUBSYSTEM_NAMES, SUBSYSTEM_NATIVE, alignUp, hex, isPowerOfTwo, sectionName,
} from './format.ts';
import {
  MappedView, type PeExports, type PeImport, type PeRelocation, readExports, readImports, readRelocations,
} from './reader-dirs.ts';

export type { PeExportedFunction, PeExports, PeImport, PeImportedFunction, PeRelocation } from './reader-dirs.ts';

export const MAX_IMAGE_SIZE = 0x10000000; // 256 MiB: the largest image we map (ours)

export interface PeHeaders {
  e_lfanew: number;
  machine: number;
  numberOfSections: number;
  timeDateStamp: number;
  sizeOfOptionalHeader: number;
  characteristics: number;
  magic: number;
  linkerVersion: [number, number];
  sizeOfCode: number;
  sizeOfInitializedData: number;
  sizeOfUninitializedData: number;
  addressOfEntryPoint: number;
  baseOfCode: number;
  baseOfData: number;
  imageBase: number;
  sectionAlignment: number;
  fileAlignment: number;
  osVersion: [number, number];
  imageVersion: [number, number];
  subsystemVersion: [number, number];
  win32VersionValue: number;
  sizeOfImage: number;
  sizeOfHeaders: number;
  checkSum: number;
  subsystem: number;
  dllCharacteristics: number;
  sizeOfStackReserve: number;
  sizeOfStackCommit: number;
  sizeOfHeapReserve: number;
  sizeOfHeapCommit: number;
  loaderFlags: number;
  numberOfRvaAndSizes: number;
}

export interface PeSection {
  name: string;
  virtualSize: number;
  virtualAddress: number;
  sizeOfRawData: number;
  pointerToRawData: number;
  characteristics: number;
}

export interface PeWarning {
  rule: string;
  status?: number; // the NTSTATUS a strict loader would answer
  message: string;
}

export interface PeImage {
  headers: PeHeaders;
  directories: { rva: number; size: number }[]; // NumberOfRvaAndSizes entries (at most 16)
  sections: PeSection[];
  imports: PeImport[];
  exports?: PeExports;
  relocations: PeRelocation[];
  checksum: ChecksumResult;
  warnings: PeWarning[];
  mapped: Uint8Array; // the image as the loader maps it (SizeOfImage bytes)
  isDll: boolean;
}

export interface PeReadOptions {
  allowForeignMachine?: boolean; // R6 becomes warning W3
  subsystem?: number; // expected subsystem for W2 (NATIVE by default)
}

const fail = (status: number, rule: string, message: string): never => {
  throw new PeError(status, rule, message);
};
const FORMAT = STATUS_INVALID_IMAGE_FORMAT;

/** R1-R3: the DOS header and the signature it leads to; returns e_lfanew. */
function checkSignature(file: Uint8Array, v: DataView): number {
  if (file.length < DOS_HEADER_SIZE) fail(STATUS_INVALID_IMAGE_NOT_MZ, 'R1 dos-header', `the file is ${file.length} bytes, an IMAGE_DOS_HEADER needs 64`);
  const magic = v.getUint16(0, true);
  if (magic !== DOS_SIGNATURE) fail(STATUS_INVALID_IMAGE_NOT_MZ, 'R1 dos-header', `e_magic at offset 0 is ${hex(magic, 4)}, not "MZ"`);
  const lfanew = v.getInt32(DOS_E_LFANEW, true);
  if (lfanew <= 0) fail(STATUS_INVALID_IMAGE_PROTECT, 'R2 nt-offset', `e_lfanew at offset 0x3c is ${lfanew}, not a positive offset`);
  const word = lfanew + 2 <= file.length ? v.getUint16(lfanew, true) : -1;
  if (word === NE_SIGNATURE) {
    const windows = lfanew + NE_EXETYPE < file.length && file[lfanew + NE_EXETYPE] === 2;
    fail(windows ? STATUS_INVALID_IMAGE_WIN_16 : STATUS_INVALID_IMAGE_NE_FORMAT, 'R3 signature', `an NE (16-bit) header at offset ${hex(lfanew)}`);
  }
  if (lfanew + 4 + FILE_HEADER_SIZE > file.length) {
    fail(STATUS_INVALID_IMAGE_PROTECT, 'R2 nt-offset', `e_lfanew ${hex(lfanew)}: the PE signature and file header end past the file (${hex(file.length)} bytes)`);
  }
  const signature = v.getUint32(lfanew, true);
  if (signature !== PE_SIGNATURE) fail(STATUS_INVALID_IMAGE_PROTECT, 'R3 signature', `${hex(signature)} at e_lfanew ${hex(lfanew)} is not "PE\\0\\0"`);
  return lfanew;
}

function readHeaders(v: DataView, lfanew: number): PeHeaders {
  const f = lfanew + 4;
  const o = f + FILE_HEADER_SIZE;
  const u16 = (at: number) => v.getUint16(at, true);
  const u32 = (at: number) => v.getUint32(at, true);
  const pair = (at: number): [number, number] => [u16(at), u16(at + 2)];
  return {
    e_lfanew: lfanew, machine: u16(f + FH.Machine), numberOfSections: u16(f + FH.NumberOfSections),
    timeDateStamp: u32(f + FH.TimeDateStamp), sizeOfOptionalHeader: u16(f + FH.SizeOfOptionalHeader),
    characteristics: u16(f + FH.Characteristics), magic: u16(o + OH.Magic),
    linkerVersion: [v.getUint8(o + OH.MajorLinkerVersion), v.getUint8(o + OH.MinorLinkerVersion)],
    sizeOfCode: u32(o + OH.SizeOfCode), sizeOfInitializedData: u32(o + OH.SizeOfInitializedData),
    sizeOfUninitializedData: u32(o + OH.SizeOfUninitializedData), addressOfEntryPoint: u32(o + OH.AddressOfEntryPoint),
    baseOfCode: u32(o + OH.BaseOfCode), baseOfData: u32(o + OH.BaseOfData), imageBase: u32(o + OH.ImageBase),
    sectionAlignment: u32(o + OH.SectionAlignment), fileAlignment: u32(o + OH.FileAlignment),
    osVersion: pair(o + OH.MajorOperatingSystemVersion), imageVersion: pair(o + OH.MajorImageVersion),
    subsystemVersion: pair(o + OH.MajorSubsystemVersion), win32VersionValue: u32(o + OH.Win32VersionValue),
    sizeOfImage: u32(o + OH.SizeOfImage), sizeOfHeaders: u32(o + OH.SizeOfHeaders), checkSum: u32(o + OH.CheckSum),
    subsystem: u16(o + OH.Subsystem), dllCharacteristics: u16(o + OH.DllCharacteristics),
    sizeOfStackReserve: u32(o + OH.SizeOfStackReserve), sizeOfStackCommit: u32(o + OH.SizeOfStackCommit),
    sizeOfHeapReserve: u32(o + OH.SizeOfHeapReserve), sizeOfHeapCommit: u32(o + OH.SizeOfHeapCommit),
    loaderFlags: u32(o + OH.LoaderFlags), numberOfRvaAndSizes: u32(o + OH.NumberOfRvaAndSizes),
  };
}

/** R4-R6: the optional header is there, is PE32, and is for i386. */
function checkOptionalHeader(file: Uint8Array, v: DataView, lfanew: number, options: PeReadOptions, warnings: PeWarning[]): void {
  const f = lfanew + 4;
  const size = v.getUint16(f + FH.SizeOfOptionalHeader, true);
  const o = f + FILE_HEADER_SIZE;
  if (size < OPTIONAL_HEADER32_FIXED) fail(FORMAT, 'R4 optional-size', `SizeOfOptionalHeader is ${size}, the PE32 fields need ${OPTIONAL_HEADER32_FIXED}`);
  if (o + size > file.length) fail(FORMAT, 'R4 optional-size', `the optional header (${size} bytes at ${hex(o)}) ends past the file (${hex(file.length)} bytes)`);
  const magic = v.getUint16(o + OH.Magic, true);
  if (magic === OPTIONAL_MAGIC_PE32PLUS) fail(STATUS_INVALID_IMAGE_WIN_64, 'R5 magic', `Magic at ${hex(o)} is 0x20b: a PE32+ (64-bit) image`);
  if (magic !== OPTIONAL_MAGIC_PE32) fail(FORMAT, 'R5 magic', `Magic at ${hex(o)} is ${hex(magic, 4)}, not 0x10b (PE32)`);
  const machine = v.getUint16(f + FH.Machine, true);
  if (machine !== MACHINE_I386) {
    const message = `Machine at ${hex(f)} is ${hex(machine, 4)}, not i386 (0x14c)`;
    if (!options.allowForeignMachine) fail(FORMAT, 'R6 machine', message);
    warnings.push({ rule: 'W3 machine', status: STATUS_IMAGE_MACHINE_TYPE_MISMATCH, message });
  }
}

/** R7-R12: values in the headers that everything after relies on. */
function checkHeaderValues(file: Uint8Array, h: PeHeaders): void {
  if (!(h.characteristics & FILE_EXECUTABLE_IMAGE)) fail(FORMAT, 'R7 image-flag', `Characteristics ${hex(h.characteristics, 4)} lack IMAGE_FILE_EXECUTABLE_IMAGE`);
  const dirs = Math.min(h.numberOfRvaAndSizes, NUMBER_OF_DIRECTORIES);
  if (OPTIONAL_HEADER32_FIXED + 8 * dirs > h.sizeOfOptionalHeader) {
    fail(FORMAT, 'R8 directories', `NumberOfRvaAndSizes ${h.numberOfRvaAndSizes} does not fit in SizeOfOptionalHeader ${h.sizeOfOptionalHeader}`);
  }
  const { sectionAlignment: sa, fileAlignment: fa } = h;
  if (!isPowerOfTwo(sa) || !isPowerOfTwo(fa)) fail(FORMAT, 'R9 alignment', `SectionAlignment ${hex(sa)} and FileAlignment ${hex(fa)} must be powers of two`);
  if (sa < PAGE_SIZE ? fa !== sa : sa < fa) {
    fail(FORMAT, 'R9 alignment', `SectionAlignment ${hex(sa)} with FileAlignment ${hex(fa)}: below 4 KiB they must be equal, else SectionAlignment >= FileAlignment`);
  }
  if (h.imageBase % IMAGE_BASE_GRANULARITY !== 0 || h.imageBase + h.sizeOfImage > 0x100000000) {
    fail(FORMAT, 'R10 image-base', `ImageBase ${hex(h.imageBase)} must be a multiple of 64 KiB with ImageBase + SizeOfImage (${hex(h.sizeOfImage)}) below 4 GiB`);
  }
  if (h.numberOfSections > MAX_SECTIONS) fail(FORMAT, 'R11 section-count', `NumberOfSections is ${h.numberOfSections}, at most ${MAX_SECTIONS}`);
  const tableEnd = h.e_lfanew + 4 + FILE_HEADER_SIZE + h.sizeOfOptionalHeader + SECTION_HEADER_SIZE * h.numberOfSections;
  if (tableEnd > h.sizeOfHeaders) fail(FORMAT, 'R12 headers-size', `the section table ends at ${hex(tableEnd)}, past SizeOfHeaders ${hex(h.sizeOfHeaders)}`);
  if (h.sizeOfHeaders > file.length) fail(FORMAT, 'R12 headers-size', `SizeOfHeaders ${hex(h.sizeOfHeaders)} is past the end of the file (${hex(file.length)} bytes)`);
}

function readSections(file: Uint8Array, v: DataView, h: PeHeaders): PeSection[] {
  const table = h.e_lfanew + 4 + FILE_HEADER_SIZE + h.sizeOfOptionalHeader;
  return Array.from({ length: h.numberOfSections }, (_, i) => {
    const at = table + SECTION_HEADER_SIZE * i;
    return {
      name: sectionName(file.subarray(at + SH.Name, at + SH.Name + 8)),
      virtualSize: v.getUint32(at + SH.VirtualSize, true),
      virtualAddress: v.getUint32(at + SH.VirtualAddress, true),
      sizeOfRawData: v.getUint32(at + SH.SizeOfRawData, true),
      pointerToRawData: v.getUint32(at + SH.PointerToRawData, true),
      characteristics: v.getUint32(at + SH.Characteristics, true),
    };
  });
}

/** A section's size in memory: VirtualSize, or SizeOfRawData when VirtualSize is 0. */
export function sectionMemorySize(s: PeSection): number {
  return s.virtualSize || s.sizeOfRawData;
}

const hasRawData = (s: PeSection) => s.pointerToRawData !== 0 && s.sizeOfRawData !== 0;

/** R13-R16: the sections' places in memory and in the file, and the entry point. */
function checkSections(file: Uint8Array, h: PeHeaders, sections: PeSection[]): void {
  let next = alignUp(h.sizeOfHeaders, h.sectionAlignment);
  sections.forEach((s, i) => {
    const what = `section ${i} (${s.name})`;
    if (s.virtualAddress % h.sectionAlignment !== 0) fail(FORMAT, 'R13 section-va', `${what}: VirtualAddress ${hex(s.virtualAddress)} is not a multiple of SectionAlignment ${hex(h.sectionAlignment)}`);
    if (s.virtualAddress !== next) {
      const how = s.virtualAddress < next ? 'overlaps the previous section or the headers' : 'leaves a gap after the previous section';
      fail(FORMAT, 'R13 section-va', `${what}: VirtualAddress ${hex(s.virtualAddress)} ${how} (expected ${hex(next)})`);
    }
    const size = sectionMemorySize(s);
    if (size === 0) fail(FORMAT, 'R13 section-va', `${what}: VirtualSize and SizeOfRawData are both 0`);
    next = alignUp(s.virtualAddress + size, h.sectionAlignment);
    if (next > 0xffffffff) fail(FORMAT, 'R13 section-va', `${what}: ends past 4 GiB`);
  });
  if (h.sizeOfImage < next) fail(FORMAT, 'R14 size-of-image', `SizeOfImage ${hex(h.sizeOfImage)} does not cover the sections, which end at ${hex(next)}`);
  if (h.sizeOfImage > MAX_IMAGE_SIZE) fail(FORMAT, 'R14 size-of-image', `SizeOfImage ${hex(h.sizeOfImage)} is over 256 MiB`);

  const raw = sections.map((s, i) => ({ s, i })).filter(({ s }) => hasRawData(s));
  for (const { s, i } of raw) {
    const end = s.pointerToRawData + s.sizeOfRawData;
    if (end > file.length) fail(FORMAT, 'R15 raw-data', `section ${i} (${s.name}): raw data ${hex(s.pointerToRawData)}..${hex(end)} ends past the file (${hex(file.length)} bytes)`);
    if (s.pointerToRawData < h.sizeOfHeaders) fail(FORMAT, 'R15 raw-data', `section ${i} (${s.name}): raw data at ${hex(s.pointerToRawData)} is inside the headers (SizeOfHeaders ${hex(h.sizeOfHeaders)})`);
  }
  const byOffset = [...raw].sort((a, b) => a.s.pointerToRawData - b.s.pointerToRawData);
  for (let k = 1; k < byOffset.length; k++) {
    const a = byOffset[k - 1], b = byOffset[k];
    if (a.s.pointerToRawData + a.s.sizeOfRawData > b.s.pointerToRawData) {
      fail(FORMAT, 'R15 raw-data', `section ${b.i} (${b.s.name}): raw data at ${hex(b.s.pointerToRawData)} overlaps section ${a.i} (${a.s.name})'s, which ends at ${hex(a.s.pointerToRawData + a.s.sizeOfRawData)}`);
    }
  }
  const entry = h.addressOfEntryPoint;
  if (entry !== 0 && !sections.some((s) => entry >= s.virtualAddress && entry < s.virtualAddress + sectionMemorySize(s))) {
    fail(FORMAT, 'R16 entry-point', `AddressOfEntryPoint ${hex(entry)} is not inside a section`);
  }
}

/** The image as the loader maps it: headers at 0, each section's raw data at its RVA, zeros elsewhere. */
export function mapImage(file: Uint8Array, h: PeHeaders, sections: PeSection[]): Uint8Array {
  const mapped = new Uint8Array(h.sizeOfImage);
  mapped.set(file.subarray(0, h.sizeOfHeaders));
  for (const s of sections) {
    if (!hasRawData(s)) continue;
    const length = Math.min(s.sizeOfRawData, alignUp(sectionMemorySize(s), h.sectionAlignment));
    mapped.set(file.subarray(s.pointerToRawData, s.pointerToRawData + length), s.virtualAddress);
  }
  return mapped;
}

function readDirectories(v: DataView, h: PeHeaders): { rva: number; size: number }[] {
  const at = h.e_lfanew + 4 + FILE_HEADER_SIZE + OH.DataDirectory;
  return Array.from({ length: Math.min(h.numberOfRvaAndSizes, NUMBER_OF_DIRECTORIES) }, (_, i) => ({
    rva: v.getUint32(at + 8 * i, true),
    size: v.getUint32(at + 8 * i + 4, true),
  }));
}

/** R17: used directories (but Security) lie inside the image. */
function checkDirectories(dirs: { rva: number; size: number }[], h: PeHeaders): void {
  dirs.forEach((d, i) => {
    if (i === DIR_SECURITY || d.size === 0) return;
    if (d.rva === 0 || d.rva + d.size > h.sizeOfImage) {
      fail(FORMAT, 'R17 directory-range', `data directory ${i}: RVA ${hex(d.rva)} size ${hex(d.size)} is not inside the image (SizeOfImage ${hex(h.sizeOfImage)})`);
    }
  });
}

function collectWarnings(h: PeHeaders, dirs: { rva: number; size: number }[], checksum: ChecksumResult, exports: PeExports | undefined, options: PeReadOptions): PeWarning[] {
  const warnings: PeWarning[] = [];
  if (checksum.status !== 0) {
    warnings.push({ rule: 'W1 checksum', status: STATUS_IMAGE_CHECKSUM_MISMATCH, message: `CheckSum ${hex(checksum.stored)} differs from the computed ${hex(checksum.computed)}` });
  }
  const expected = options.subsystem ?? SUBSYSTEM_NATIVE;
  if (h.subsystem !== expected) {
    warnings.push({ rule: 'W2 subsystem', message: `Subsystem ${h.subsystem} (${SUBSYSTEM_NAMES[h.subsystem] ?? 'unknown'}) is not ${expected} (${SUBSYSTEM_NAMES[expected] ?? 'unknown'})` });
  }
  if (h.characteristics & FILE_RELOCS_STRIPPED && (dirs[DIR_BASERELOC]?.size ?? 0) > 0) {
    warnings.push({ rule: 'W4 relocs-stripped', message: 'IMAGE_FILE_RELOCS_STRIPPED is set but the image has a relocation directory' });
  }
  if (exports && !exports.sorted) warnings.push({ rule: 'W5 export-order', message: 'the export name pointer table is not sorted' });
  return warnings;
}

/** Parse and check a PE32 image; throws PeError (with .status) for the first rule it breaks. */
export function peRead(file: Uint8Array, options: PeReadOptions = {}): PeImage {
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const lfanew = checkSignature(file, v);
  const early: PeWarning[] = [];
  checkOptionalHeader(file, v, lfanew, options, early);
  const headers = readHeaders(v, lfanew);
  checkHeaderValues(file, headers);
  const sections = readSections(file, v, headers);
  checkSections(file, headers, sections);
  const directories = readDirectories(v, headers);
  checkDirectories(directories, headers);
  const mapped = mapImage(file, headers, sections);
  const m = new MappedView(mapped);
  const dir = (i: number) => directories[i] ?? { rva: 0, size: 0 };
  const imports = readImports(m, dir(DIR_IMPORT).rva, dir(DIR_IMPORT).size);
  const exports = readExports(m, dir(DIR_EXPORT).rva, dir(DIR_EXPORT).size);
  const relocations = readRelocations(m, dir(DIR_BASERELOC).rva, dir(DIR_BASERELOC).size);
  const checksum = peVerifyChecksum(file);
  const warnings = [...early, ...collectWarnings(headers, directories, checksum, exports, options)];
  return { headers, directories, sections, imports, exports, relocations, checksum, warnings, mapped, isDll: (headers.characteristics & FILE_DLL) !== 0 };
}

/** peRead that answers an NTSTATUS instead of throwing (STATUS_SUCCESS with the image). */
export function peCheck(file: Uint8Array, options: PeReadOptions = {}): { status: number; image?: PeImage; error?: PeError } {
  try {
    return { status: 0, image: peRead(file, options) };
  } catch (e) {
    if (e instanceof PeError) return { status: e.status, error: e };
    throw e;
  }
}
