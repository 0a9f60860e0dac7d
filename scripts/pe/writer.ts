// PE32 image writer: turns a description (sections with their bytes,
// imports, exports, base relocations, header values) into the bytes of an
// .exe, .dll or .sys that Windows' loader, `objdump -p` and our kernel's
// loader accept. format.ts has the layout; tables.ts builds the import,
// export and relocation tables.
//
// Layout rules the writer follows (the reader checks them, see reader.ts):
// - headers: DOS header + DOS stub (128 bytes, e_lfanew = 0x80), "PE\0\0",
//   COFF header, the 224-byte optional header, section headers; padded to
//   SizeOfHeaders, a multiple of FileAlignment (0x200);
// - sections in the order given, then the generated ones: .idata (imports,
//   read/write so the loader can fill the IAT), .edata (exports), .reloc
//   (base relocations, discardable); each at the next SectionAlignment
//   (0x1000) boundary after the previous one, with no gap, so the first is
//   at RVA 0x1000; raw data at FileAlignment boundaries, SizeOfRawData is a
//   multiple of FileAlignment, an uninitialized section has none;
// - section RVAs depend only on the sections' sizes and the import and
//   export names, never on section contents, entry point or relocations:
//   call peLayout() to learn them (and each IAT slot), patch code that
//   refers to them, then peWrite() the same description.
// - output is deterministic: TimeDateStamp is 0 unless given, CheckSum is
//   computed as Windows does (checksum.ts).

import { peStoreChecksum } from './checksum.ts';
import {
  DIR_BASERELOC, DIR_EXPORT, DIR_IAT, DIR_IMPORT, DLLCHAR_DYNAMIC_BASE, DOS_E_LFANEW, DOS_HEADER_SIZE, DOS_SIGNATURE,
  FH, FILE_32BIT_MACHINE, FILE_DLL, FILE_EXECUTABLE_IMAGE, FILE_HEADER_SIZE, FILE_RELOCS_STRIPPED, IMAGE_BASE_GRANULARITY,
  MACHINE_I386, MAX_SECTIONS, NUMBER_OF_DIRECTORIES, OH, OPTIONAL_HEADER32_SIZE, OPTIONAL_MAGIC_PE32, PE_SIGNATURE,
  SCN_CNT_CODE, SCN_CNT_INITIALIZED_DATA, SCN_CNT_UNINITIALIZED_DATA, SCN_MEM_DISCARDABLE, SCN_MEM_EXECUTE, SCN_MEM_READ,
  SCN_MEM_WRITE, SECTION_HEADER_SIZE, SH, SUBSYSTEM_NATIVE, alignUp, hex,
} from './format.ts';
import {
  type PeExportEntry, type PeImportLayout, type PeImportSpec, buildExports, buildImports, buildRelocations,
} from './tables.ts';

export type { PeImportSpec, PeImportFunction, PeImportLayout, PeImportSlot } from './tables.ts';

/** An address in the image: an RVA, or an offset in a named section. */
export type PeRef = number | { section: string; offset: number };

export type PeSectionKind = 'text' | 'rdata' | 'data' | 'bss';

export interface PeSectionSpec {
  name: string; // at most 8 ASCII characters: ".text", ".rdata", ".data", ".bss"
  kind: PeSectionKind; // code (RX), read-only data (R), data (RW), uninitialized data (RW)
  data?: Uint8Array; // the initialized bytes; none for 'bss'
  virtualSize?: number; // bytes in memory, >= data length (required for 'bss')
  characteristics?: number; // IMAGE_SCN_* to use instead of the kind's
}

export interface PeExportSpec {
  dllName: string; // the DLL's own name, e.g. "ntdll.dll"
  ordinalBase?: number; // first ordinal, 1 by default
  functions: (Omit<PeExportEntry, 'rva'> & { rva?: PeRef })[];
}

export interface PeImageSpec {
  sections: PeSectionSpec[];
  imageBase?: number; // 0x00400000 for an .exe, 0x10000000 for a DLL by default
  entry?: PeRef; // AddressOfEntryPoint; 0 (none) by default
  dll?: boolean; // IMAGE_FILE_DLL
  subsystem?: number; // IMAGE_SUBSYSTEM_NATIVE by default
  imports?: PeImportSpec[];
  exports?: PeExportSpec;
  relocations?: PeRef[]; // addresses of 32-bit absolute addresses (IMAGE_REL_BASED_HIGHLOW)
  relocsStripped?: boolean; // set IMAGE_FILE_RELOCS_STRIPPED (only with no relocations)
  timeDateStamp?: number; // COFF and export directory time stamp, 0 by default
  linkerVersion?: [number, number];
  osVersion?: [number, number]; // 5.1 by default (the XP/2003 native API this project follows)
  imageVersion?: [number, number];
  subsystemVersion?: [number, number]; // 5.1 by default
  dllCharacteristics?: number; // DYNAMIC_BASE when relocations are given, by default
  stackReserve?: number;
  stackCommit?: number;
  heapReserve?: number;
  heapCommit?: number;
  checksum?: boolean; // compute CheckSum (default true); false leaves 0
}

export interface PeSectionLayout {
  name: string;
  rva: number;
  virtualSize: number;
  fileOffset: number; // PointerToRawData, 0 for uninitialized data
  rawSize: number; // SizeOfRawData
  characteristics: number;
  data: Uint8Array; // initialized bytes (shorter than rawSize: zero padded)
}

export interface PeLayout {
  imageBase: number;
  sizeOfHeaders: number;
  sizeOfImage: number;
  sections: PeSectionLayout[];
  imports: PeImportLayout[];
  /** RVA of an address given as a PeRef. */
  rva(ref: PeRef): number;
  /** RVA of the IAT slot of `dll`'s function (a name or an ordinal). */
  iatSlot(dll: string, fn: string | number): number;
}

export const SECTION_ALIGNMENT = 0x1000;
export const FILE_ALIGNMENT = 0x200;
export const DEFAULT_EXE_BASE = 0x00400000;
export const DEFAULT_DLL_BASE = 0x10000000;
const LFANEW = 0x80; // DOS header (64) + DOS stub (64)

const KIND_FLAGS: Record<PeSectionKind, number> = {
  text: SCN_CNT_CODE | SCN_MEM_EXECUTE | SCN_MEM_READ,
  rdata: SCN_CNT_INITIALIZED_DATA | SCN_MEM_READ,
  data: SCN_CNT_INITIALIZED_DATA | SCN_MEM_READ | SCN_MEM_WRITE,
  bss: SCN_CNT_UNINITIALIZED_DATA | SCN_MEM_READ | SCN_MEM_WRITE,
};
const IDATA_FLAGS = SCN_CNT_INITIALIZED_DATA | SCN_MEM_READ | SCN_MEM_WRITE;
const EDATA_FLAGS = SCN_CNT_INITIALIZED_DATA | SCN_MEM_READ;
const RELOC_FLAGS = SCN_CNT_INITIALIZED_DATA | SCN_MEM_DISCARDABLE | SCN_MEM_READ;

/**
 * The DOS stub: a real-mode program run when the file is started under DOS.
 *   0E        push cs
 *   1F        pop ds          ; ds = the program's segment
 *   BA 0E 00  mov dx, 0x000E  ; the message follows these 14 bytes of code
 *   B4 09     mov ah, 09h     ; DOS: print the '$'-terminated string at ds:dx
 *   CD 21     int 21h
 *   B8 01 4C  mov ax, 4C01h   ; DOS: exit with code 1
 *   CD 21     int 21h
 */
export function dosStub(): Uint8Array {
  const code = [0x0e, 0x1f, 0xba, 0x0e, 0x00, 0xb4, 0x09, 0xcd, 0x21, 0xb8, 0x01, 0x4c, 0xcd, 0x21];
  const text = 'This program cannot be run in DOS mode.\r\r\n$';
  const stub = new Uint8Array(LFANEW - DOS_HEADER_SIZE);
  stub.set(code);
  for (let i = 0; i < text.length; i++) stub[code.length + i] = text.charCodeAt(i);
  return stub;
}

/** The DOS header of a 128-byte DOS program (header + stub) whose e_lfanew points at the PE header. */
function writeDosHeader(v: DataView): void {
  v.setUint16(0x00, DOS_SIGNATURE, true); // e_magic
  v.setUint16(0x02, LFANEW % 512, true); // e_cblp: bytes in the last 512-byte page
  v.setUint16(0x04, Math.ceil(LFANEW / 512), true); // e_cp: 512-byte pages in the DOS program
  v.setUint16(0x08, DOS_HEADER_SIZE / 16, true); // e_cparhdr: header size in paragraphs
  v.setUint16(0x0a, 0x0010, true); // e_minalloc: 256 bytes beyond the program for the stack
  v.setUint16(0x0c, 0xffff, true); // e_maxalloc
  v.setUint16(0x10, 0x00b8, true); // e_sp (e_ss = 0: the program's own segment)
  v.setUint16(0x18, DOS_HEADER_SIZE, true); // e_lfarlc: relocation table right after the header (empty)
  v.setUint32(DOS_E_LFANEW, LFANEW, true);
}

function checkSectionSpec(s: PeSectionSpec): void {
  if (!/^[\x21-\x7e]{1,8}$/.test(s.name)) throw new Error(`section "${s.name}": the name must be 1..8 printable ASCII characters`);
  const size = s.data?.length ?? 0;
  if (s.kind === 'bss' && size > 0) throw new Error(`section ${s.name}: a bss section has no data`);
  if (s.virtualSize !== undefined && s.virtualSize < size) {
    throw new Error(`section ${s.name}: virtualSize ${hex(s.virtualSize)} is smaller than its ${size} bytes of data`);
  }
  if ((s.virtualSize ?? size) <= 0) throw new Error(`section ${s.name}: empty (give data or virtualSize)`);
}

interface PlannedSection {
  name: string;
  characteristics: number;
  data: Uint8Array;
  virtualSize: number;
}

/** Place the sections: RVAs from 0x1000 without gaps, raw data after the headers. */
function placeSections(planned: PlannedSection[]): { sections: PeSectionLayout[]; sizeOfHeaders: number; sizeOfImage: number } {
  if (planned.length > MAX_SECTIONS) throw new Error(`${planned.length} sections: at most ${MAX_SECTIONS}`);
  const headersEnd = LFANEW + 4 + FILE_HEADER_SIZE + OPTIONAL_HEADER32_SIZE + SECTION_HEADER_SIZE * planned.length;
  const sizeOfHeaders = alignUp(headersEnd, FILE_ALIGNMENT);
  let rva = alignUp(sizeOfHeaders, SECTION_ALIGNMENT);
  let file = sizeOfHeaders;
  const sections = planned.map((p) => {
    const rawSize = alignUp(p.data.length, FILE_ALIGNMENT);
    const s: PeSectionLayout = {
      name: p.name, rva, virtualSize: p.virtualSize, fileOffset: rawSize ? file : 0, rawSize,
      characteristics: p.characteristics, data: p.data,
    };
    rva = alignUp(rva + p.virtualSize, SECTION_ALIGNMENT);
    file += rawSize;
    return s;
  });
  return { sections, sizeOfHeaders, sizeOfImage: rva };
}

/** Resolve PeRefs against placed sections. */
function resolver(sections: PeSectionLayout[], sizeOfImage: number): (ref: PeRef, what?: string) => number {
  return (ref, what = 'address') => {
    if (typeof ref === 'number') {
      if (!Number.isInteger(ref) || ref < 0 || ref >= sizeOfImage) throw new Error(`${what}: RVA ${hex(ref)} is outside the image (SizeOfImage ${hex(sizeOfImage)})`);
      return ref;
    }
    const s = sections.find((x) => x.name === ref.section);
    if (!s) throw new Error(`${what}: no section ${ref.section}`);
    if (!Number.isInteger(ref.offset) || ref.offset < 0 || ref.offset > s.virtualSize) {
      throw new Error(`${what}: offset ${hex(ref.offset)} is outside ${s.name} (${hex(s.virtualSize)} bytes)`);
    }
    return s.rva + ref.offset;
  };
}

interface FullLayout extends PeLayout {
  importDirectory?: { rva: number; size: number; iatRva: number; iatSize: number };
  exportDirectory?: { rva: number; size: number };
  relocDirectory?: { rva: number; size: number };
}

/** The sections to place, in order: the caller's, then .idata, .edata and .reloc as needed. */
function planSections(spec: PeImageSpec, relocations: PeRef[]): PlannedSection[] {
  const names = new Set<string>();
  const planned: PlannedSection[] = spec.sections.map((s) => {
    checkSectionSpec(s);
    if (names.has(s.name)) throw new Error(`section ${s.name} is listed twice`);
    names.add(s.name);
    const data = s.data ?? new Uint8Array(0);
    return { name: s.name, characteristics: s.characteristics ?? KIND_FLAGS[s.kind], data, virtualSize: s.virtualSize ?? data.length };
  });
  const generated = (name: string, characteristics: number, size: number) => {
    if (names.has(name)) throw new Error(`section ${name} is generated by the writer; use another name`);
    planned.push({ name, characteristics, data: new Uint8Array(size), virtualSize: size });
  };
  // The import and export tables' sizes do not depend on where they go: measure them at RVA 0.
  if (spec.imports?.length) generated('.idata', IDATA_FLAGS, buildImports(spec.imports, 0).bytes.length);
  if (spec.exports) {
    const e = spec.exports;
    const entries = e.functions.map((f) => ({ ...f, rva: f.rva === undefined ? undefined : 0 }));
    generated('.edata', EDATA_FLAGS, buildExports(e.dllName, entries, e.ordinalBase ?? 1, 0, 0).bytes.length);
  }
  // .reloc comes last: its size depends on the relocations' RVAs, known once
  // the sections are placed, and changes nothing but itself and SizeOfImage.
  if (relocations.length) generated('.reloc', RELOC_FLAGS, 1);
  return planned;
}

/** Lay the image out and build the generated sections. */
function layout(spec: PeImageSpec, withRelocations: boolean): FullLayout {
  const relocRvas = withRelocations ? (spec.relocations ?? []) : [];
  const planned = planSections(spec, relocRvas);
  const placed = placeSections(planned);
  const imageBase = spec.imageBase ?? (spec.dll ? DEFAULT_DLL_BASE : DEFAULT_EXE_BASE);
  if (imageBase % IMAGE_BASE_GRANULARITY !== 0 || imageBase <= 0 || imageBase + placed.sizeOfImage > 0x100000000) {
    throw new Error(`imageBase ${hex(imageBase)}: must be a non-zero multiple of 64 KiB with the image below 4 GiB`);
  }
  const resolve = resolver(placed.sections, placed.sizeOfImage);
  const result: FullLayout = {
    imageBase, sizeOfHeaders: placed.sizeOfHeaders, sizeOfImage: placed.sizeOfImage, sections: placed.sections, imports: [],
    rva: (ref) => resolve(ref),
    iatSlot: (dll, fn) => {
      const d = result.imports.find((x) => x.dll.toLowerCase() === dll.toLowerCase());
      const slot = d?.functions.find((f) => (typeof fn === 'number' ? f.ordinal === fn : f.name === fn));
      if (!slot) throw new Error(`iatSlot: ${dll}!${fn} is not imported`);
      return slot.iatRva;
    },
  };
  fillGenerated(spec, result, resolve, relocRvas);
  return result;
}

/** Build the generated sections' real bytes now that their RVAs are known. */
function fillGenerated(spec: PeImageSpec, l: FullLayout, resolve: (ref: PeRef, what?: string) => number, relocs: PeRef[]): void {
  const section = (name: string) => l.sections.find((s) => s.name === name)!;
  if (spec.imports?.length) {
    const s = section('.idata');
    const t = buildImports(spec.imports, s.rva);
    s.data = t.bytes;
    l.imports = t.dlls;
    l.importDirectory = { rva: t.directoryRva, size: t.directorySize, iatRva: t.iatRva, iatSize: t.iatSize };
  }
  if (spec.exports) {
    const s = section('.edata');
    const entries = spec.exports.functions.map((f) => ({
      ...f, rva: f.rva === undefined ? undefined : resolve(f.rva, `export ${f.name ?? '#' + f.ordinal}`),
    }));
    s.data = buildExports(spec.exports.dllName, entries, spec.exports.ordinalBase ?? 1, spec.timeDateStamp ?? 0, s.rva).bytes;
    l.exportDirectory = { rva: s.rva, size: s.data.length };
  }
  if (relocs.length) {
    const s = section('.reloc');
    const rvas = relocs.map((r, i) => {
      const rva = resolve(r, `relocation ${i}`);
      if (!l.sections.some((x) => rva >= x.rva && rva + 4 <= x.rva + x.virtualSize)) {
        throw new Error(`relocation ${i}: the DWORD at RVA ${hex(rva)} is not inside one section`);
      }
      return rva;
    });
    s.data = buildRelocations(rvas);
    s.virtualSize = s.data.length;
    s.rawSize = alignUp(s.data.length, FILE_ALIGNMENT);
    l.sizeOfImage = alignUp(s.rva + s.virtualSize, SECTION_ALIGNMENT);
    l.relocDirectory = { rva: s.rva, size: s.data.length };
  }
}

/** Section RVAs and IAT slots of the image `spec` describes (contents, entry and relocations ignored). */
export function peLayout(spec: PeImageSpec): PeLayout {
  return layout(spec, false);
}

function writeFileHeader(v: DataView, at: number, spec: PeImageSpec, count: number): void {
  v.setUint16(at + FH.Machine, MACHINE_I386, true);
  v.setUint16(at + FH.NumberOfSections, count, true);
  v.setUint32(at + FH.TimeDateStamp, spec.timeDateStamp ?? 0, true);
  v.setUint16(at + FH.SizeOfOptionalHeader, OPTIONAL_HEADER32_SIZE, true);
  let characteristics = FILE_EXECUTABLE_IMAGE | FILE_32BIT_MACHINE;
  if (spec.dll) characteristics |= FILE_DLL;
  if (spec.relocsStripped) characteristics |= FILE_RELOCS_STRIPPED;
  v.setUint16(at + FH.Characteristics, characteristics, true);
}

/** Sizes and bases the optional header summarizes from the section table. */
function sectionTotals(sections: PeSectionLayout[]) {
  let code = 0, init = 0, uninit = 0, baseOfCode = 0, baseOfData = 0;
  for (const s of sections) {
    if (s.characteristics & SCN_CNT_CODE) {
      code += s.rawSize;
      if (!baseOfCode) baseOfCode = s.rva;
      continue;
    }
    if (s.characteristics & SCN_CNT_INITIALIZED_DATA) init += s.rawSize;
    if (s.characteristics & SCN_CNT_UNINITIALIZED_DATA) uninit += alignUp(s.virtualSize, FILE_ALIGNMENT);
    if (!baseOfData && s.characteristics & (SCN_CNT_INITIALIZED_DATA | SCN_CNT_UNINITIALIZED_DATA)) baseOfData = s.rva;
  }
  return { code, init, uninit, baseOfCode, baseOfData };
}

function writeOptionalHeader(v: DataView, at: number, spec: PeImageSpec, l: FullLayout, entry: number): void {
  const t = sectionTotals(l.sections);
  const pair = (off: number, p: [number, number] | undefined, d: [number, number]) => {
    v.setUint16(at + off, (p ?? d)[0], true);
    v.setUint16(at + off + 2, (p ?? d)[1], true);
  };
  v.setUint16(at + OH.Magic, OPTIONAL_MAGIC_PE32, true);
  v.setUint8(at + OH.MajorLinkerVersion, (spec.linkerVersion ?? [1, 0])[0]);
  v.setUint8(at + OH.MinorLinkerVersion, (spec.linkerVersion ?? [1, 0])[1]);
  v.setUint32(at + OH.SizeOfCode, t.code, true);
  v.setUint32(at + OH.SizeOfInitializedData, t.init, true);
  v.setUint32(at + OH.SizeOfUninitializedData, t.uninit, true);
  v.setUint32(at + OH.AddressOfEntryPoint, entry, true);
  v.setUint32(at + OH.BaseOfCode, t.baseOfCode, true);
  v.setUint32(at + OH.BaseOfData, t.baseOfData, true);
  v.setUint32(at + OH.ImageBase, l.imageBase, true);
  v.setUint32(at + OH.SectionAlignment, SECTION_ALIGNMENT, true);
  v.setUint32(at + OH.FileAlignment, FILE_ALIGNMENT, true);
  pair(OH.MajorOperatingSystemVersion, spec.osVersion, [5, 1]);
  pair(OH.MajorImageVersion, spec.imageVersion, [0, 0]);
  pair(OH.MajorSubsystemVersion, spec.subsystemVersion, [5, 1]);
  v.setUint32(at + OH.SizeOfImage, l.sizeOfImage, true);
  v.setUint32(at + OH.SizeOfHeaders, l.sizeOfHeaders, true);
  v.setUint16(at + OH.Subsystem, spec.subsystem ?? SUBSYSTEM_NATIVE, true);
  const dynamic = l.relocDirectory ? DLLCHAR_DYNAMIC_BASE : 0;
  v.setUint16(at + OH.DllCharacteristics, spec.dllCharacteristics ?? dynamic, true);
  v.setUint32(at + OH.SizeOfStackReserve, spec.stackReserve ?? 0x40000, true);
  v.setUint32(at + OH.SizeOfStackCommit, spec.stackCommit ?? 0x1000, true);
  v.setUint32(at + OH.SizeOfHeapReserve, spec.heapReserve ?? 0x100000, true);
  v.setUint32(at + OH.SizeOfHeapCommit, spec.heapCommit ?? 0x1000, true);
  v.setUint32(at + OH.NumberOfRvaAndSizes, NUMBER_OF_DIRECTORIES, true);
  const dir = (index: number, rva: number, size: number) => {
    v.setUint32(at + OH.DataDirectory + 8 * index, rva, true);
    v.setUint32(at + OH.DataDirectory + 8 * index + 4, size, true);
  };
  if (l.exportDirectory) dir(DIR_EXPORT, l.exportDirectory.rva, l.exportDirectory.size);
  if (l.importDirectory) {
    dir(DIR_IMPORT, l.importDirectory.rva, l.importDirectory.size);
    dir(DIR_IAT, l.importDirectory.iatRva, l.importDirectory.iatSize);
  }
  if (l.relocDirectory) dir(DIR_BASERELOC, l.relocDirectory.rva, l.relocDirectory.size);
}

function writeSectionHeader(v: DataView, at: number, s: PeSectionLayout): void {
  for (let i = 0; i < s.name.length; i++) v.setUint8(at + SH.Name + i, s.name.charCodeAt(i));
  v.setUint32(at + SH.VirtualSize, s.virtualSize, true);
  v.setUint32(at + SH.VirtualAddress, s.rva, true);
  v.setUint32(at + SH.SizeOfRawData, s.rawSize, true);
  v.setUint32(at + SH.PointerToRawData, s.fileOffset, true);
  v.setUint32(at + SH.Characteristics, s.characteristics >>> 0, true);
}

export interface PeWriteResult {
  bytes: Uint8Array;
  layout: PeLayout;
}

/** Write the PE32 image `spec` describes. */
export function peWrite(spec: PeImageSpec): PeWriteResult {
  if (spec.relocsStripped && spec.relocations?.length) throw new Error('relocsStripped with relocations: choose one');
  const l = layout(spec, true);
  const entry = spec.entry === undefined ? 0 : l.rva(spec.entry);
  const last = l.sections.reduce((end, s) => Math.max(end, s.fileOffset + s.rawSize), l.sizeOfHeaders);
  const bytes = new Uint8Array(last);
  const v = new DataView(bytes.buffer);
  writeDosHeader(v);
  bytes.set(dosStub(), DOS_HEADER_SIZE);
  v.setUint32(LFANEW, PE_SIGNATURE, true);
  writeFileHeader(v, LFANEW + 4, spec, l.sections.length);
  const optional = LFANEW + 4 + FILE_HEADER_SIZE;
  writeOptionalHeader(v, optional, spec, l, entry);
  l.sections.forEach((s, i) => {
    writeSectionHeader(v, optional + OPTIONAL_HEADER32_SIZE + SECTION_HEADER_SIZE * i, s);
    if (s.rawSize) bytes.set(s.data, s.fileOffset);
  });
  if (spec.checksum !== false) peStoreChecksum(bytes);
  return { bytes, layout: l };
}
