// The reader's second half: the import, export and base relocation tables
// of a PE32 image, read from its mapped view (headers at RVA 0, every
// section at its RVA, zeros elsewhere), the way a loader reads them after
// mapping. Each table is checked by the rule named in reader.ts; a
// violation is a PeError with STATUS_INVALID_IMAGE_FORMAT, as Windows'
// loader answers for a table it cannot follow.

import {
  ED, EXPORT_DIRECTORY_SIZE, ID, IMPORT_BY_ORDINAL, IMPORT_DESCRIPTOR_SIZE, PeError, RELOC_BLOCK_HEADER,
  REL_BASED_ABSOLUTE, REL_BASED_HIGH, REL_BASED_HIGHADJ, REL_BASED_HIGHLOW, REL_BASED_LOW, STATUS_INVALID_IMAGE_FORMAT, hex,
} from './format.ts';

/** Bounds-checked little-endian reads of the mapped image; errors name the rule. */
export class MappedView {
  private readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get size(): number {
    return this.bytes.length;
  }
  fail(rule: string, message: string): never {
    throw new PeError(STATUS_INVALID_IMAGE_FORMAT, rule, message);
  }
  /** Throw unless [rva, rva + length) lies inside the image. */
  check(rule: string, rva: number, length: number, what: string): void {
    if (rva < 0 || length < 0 || rva + length > this.size) {
      this.fail(rule, `${what} at RVA ${hex(rva)} (+${hex(length)}) is outside the image (SizeOfImage ${hex(this.size)})`);
    }
  }
  u16(rule: string, rva: number, what: string): number {
    this.check(rule, rva, 2, what);
    return this.view.getUint16(rva, true);
  }
  u32(rule: string, rva: number, what: string): number {
    this.check(rule, rva, 4, what);
    return this.view.getUint32(rva, true);
  }
  /** A NUL-terminated ASCII string that must end inside the image. */
  asciiz(rule: string, rva: number, what: string): string {
    this.check(rule, rva, 1, what);
    const end = this.bytes.indexOf(0, rva);
    if (end < 0) this.fail(rule, `${what} at RVA ${hex(rva)} is not NUL-terminated inside the image`);
    return String.fromCharCode(...this.bytes.subarray(rva, end));
  }
}

export interface PeImportedFunction {
  name?: string; // import by name
  hint?: number; // with its hint
  ordinal?: number; // import by ordinal
  iatRva: number; // RVA of the IAT slot the loader fills
}

export interface PeImport {
  dll: string;
  timeDateStamp: number;
  forwarderChain: number;
  iltRva: number; // OriginalFirstThunk (0 in old images: the IAT is read instead)
  iatRva: number; // FirstThunk
  functions: PeImportedFunction[];
}

export interface PeExportedFunction {
  ordinal: number;
  rva?: number; // the exported address
  forwarder?: string; // "DLL.Name" when the EAT entry points inside the export directory
  names: string[]; // the names that map to this ordinal (none: ordinal only)
}

export interface PeExports {
  dllName: string;
  ordinalBase: number;
  timeDateStamp: number;
  version: [number, number];
  functions: PeExportedFunction[]; // non-empty EAT entries, by ordinal
  names: string[]; // the name pointer table in file order
  sorted: boolean; // whether names are in ascending byte order (the loader binary-searches them)
}

export interface PeRelocation {
  rva: number; // the fixed-up address
  type: number; // REL_BASED_* (ABSOLUTE padding entries are not listed)
}

const IMPORT_RULE = 'R18 imports';
const EXPORT_RULE = 'R19 exports';
const RELOC_RULE = 'R20 relocations';

/** The DLL's thunk array: ILT entries (or IAT ones when there is no ILT) up to the 0 terminator. */
function readThunks(v: MappedView, dll: string, iltRva: number, iatRva: number): PeImportedFunction[] {
  const functions: PeImportedFunction[] = [];
  const table = iltRva || iatRva;
  for (let i = 0; ; i++) {
    const entry = v.u32(IMPORT_RULE, table + 4 * i, `${dll} import lookup entry ${i}`);
    v.check(IMPORT_RULE, iatRva + 4 * i, 4, `${dll} IAT slot ${i}`);
    if (entry === 0) return functions;
    if (entry & IMPORT_BY_ORDINAL) {
      if (entry & 0x7fff0000) v.fail(IMPORT_RULE, `${dll} import ${i}: ordinal entry ${hex(entry)} has bits set in 16..30`);
      functions.push({ ordinal: entry & 0xffff, iatRva: iatRva + 4 * i });
    } else {
      const hint = v.u16(IMPORT_RULE, entry, `${dll} import ${i} hint/name entry`);
      const name = v.asciiz(IMPORT_RULE, entry + 2, `${dll} import ${i} name`);
      functions.push({ name, hint, iatRva: iatRva + 4 * i });
    }
  }
}

/** R18: the import descriptors, up to the one whose Name and FirstThunk are 0. */
export function readImports(v: MappedView, rva: number, size: number): PeImport[] {
  if (size === 0) return [];
  const imports: PeImport[] = [];
  for (let d = rva; ; d += IMPORT_DESCRIPTOR_SIZE) {
    v.check(IMPORT_RULE, d, IMPORT_DESCRIPTOR_SIZE, 'import descriptor');
    const name = v.u32(IMPORT_RULE, d + ID.Name, 'import descriptor Name');
    const iatRva = v.u32(IMPORT_RULE, d + ID.FirstThunk, 'import descriptor FirstThunk');
    if (name === 0 && iatRva === 0) return imports;
    if (name === 0 || iatRva === 0) v.fail(IMPORT_RULE, `import descriptor at RVA ${hex(d)}: Name ${hex(name)} and FirstThunk ${hex(iatRva)} must both be set`);
    const dll = v.asciiz(IMPORT_RULE, name, `import descriptor ${imports.length} DLL name`);
    const iltRva = v.u32(IMPORT_RULE, d + ID.OriginalFirstThunk, 'import descriptor OriginalFirstThunk');
    imports.push({
      dll, iltRva, iatRva,
      timeDateStamp: v.u32(IMPORT_RULE, d + ID.TimeDateStamp, 'import descriptor TimeDateStamp'),
      forwarderChain: v.u32(IMPORT_RULE, d + ID.ForwarderChain, 'import descriptor ForwarderChain'),
      functions: readThunks(v, dll, iltRva, iatRva),
    });
  }
}

/** R19: the export directory, its three tables and its strings. */
export function readExports(v: MappedView, rva: number, size: number): PeExports | undefined {
  if (size === 0) return undefined;
  if (size < EXPORT_DIRECTORY_SIZE) v.fail(EXPORT_RULE, `export directory size ${hex(size)} is smaller than IMAGE_EXPORT_DIRECTORY (40)`);
  const field = (off: number, what: string) => v.u32(EXPORT_RULE, rva + off, `export directory ${what}`);
  const base = field(ED.Base, 'Base');
  const count = field(ED.NumberOfFunctions, 'NumberOfFunctions');
  const nameCount = field(ED.NumberOfNames, 'NumberOfNames');
  const eat = field(ED.AddressOfFunctions, 'AddressOfFunctions');
  const namePtrs = field(ED.AddressOfNames, 'AddressOfNames');
  const nameOrds = field(ED.AddressOfNameOrdinals, 'AddressOfNameOrdinals');
  v.check(EXPORT_RULE, eat, 4 * count, `export address table (${count} entries)`);
  v.check(EXPORT_RULE, namePtrs, 4 * nameCount, `export name pointer table (${nameCount} entries)`);
  v.check(EXPORT_RULE, nameOrds, 2 * nameCount, `export ordinal table (${nameCount} entries)`);

  const byIndex = new Map<number, string[]>();
  const names: string[] = [];
  for (let i = 0; i < nameCount; i++) {
    const name = v.asciiz(EXPORT_RULE, v.u32(EXPORT_RULE, namePtrs + 4 * i, 'export name pointer'), `export name ${i}`);
    const index = v.u16(EXPORT_RULE, nameOrds + 2 * i, 'export name ordinal');
    if (index >= count) v.fail(EXPORT_RULE, `export ${name}: ordinal index ${index} is past NumberOfFunctions ${count}`);
    names.push(name);
    byIndex.set(index, [...(byIndex.get(index) ?? []), name]);
  }
  const functions: PeExportedFunction[] = [];
  for (let i = 0; i < count; i++) {
    const target = v.u32(EXPORT_RULE, eat + 4 * i, 'export address table entry');
    if (target === 0) continue;
    const f: PeExportedFunction = { ordinal: base + i, names: byIndex.get(i) ?? [] };
    if (target >= rva && target < rva + size) f.forwarder = v.asciiz(EXPORT_RULE, target, `export ordinal ${base + i} forwarder`);
    else if (target >= v.size) v.fail(EXPORT_RULE, `export ordinal ${base + i}: RVA ${hex(target)} is outside the image`);
    else f.rva = target;
    functions.push(f);
  }
  const sorted = names.every((n, i) => i === 0 || names[i - 1] < n);
  return {
    dllName: v.asciiz(EXPORT_RULE, field(ED.Name, 'Name'), 'export DLL name'),
    ordinalBase: base,
    timeDateStamp: field(ED.TimeDateStamp, 'TimeDateStamp'),
    version: [v.u16(EXPORT_RULE, rva + ED.MajorVersion, 'export MajorVersion'), v.u16(EXPORT_RULE, rva + ED.MinorVersion, 'export MinorVersion')],
    functions, names, sorted,
  };
}

/** Bytes a fixup of each type touches at its address. */
const FIXUP_WIDTH: Record<number, number> = {
  [REL_BASED_HIGH]: 2, [REL_BASED_LOW]: 2, [REL_BASED_HIGHLOW]: 4, [REL_BASED_HIGHADJ]: 2,
};

/** R20: the base relocation blocks; every fixup must touch bytes inside the image. */
export function readRelocations(v: MappedView, rva: number, size: number): PeRelocation[] {
  const out: PeRelocation[] = [];
  const end = rva + size;
  for (let block = rva; block < end;) {
    if (end - block < RELOC_BLOCK_HEADER) v.fail(RELOC_RULE, `block at RVA ${hex(block)}: ${end - block} bytes left, a block header needs 8`);
    const page = v.u32(RELOC_RULE, block, 'relocation block PageRVA');
    const blockSize = v.u32(RELOC_RULE, block + 4, 'relocation block SizeOfBlock');
    if (blockSize < RELOC_BLOCK_HEADER || blockSize % 2 !== 0 || block + blockSize > end) {
      v.fail(RELOC_RULE, `block at RVA ${hex(block)}: SizeOfBlock ${hex(blockSize)} is not an even size of at least 8 inside the directory`);
    }
    for (let e = block + RELOC_BLOCK_HEADER; e < block + blockSize; e += 2) {
      const entry = v.u16(RELOC_RULE, e, 'relocation entry');
      const type = entry >>> 12;
      const target = page + (entry & 0xfff);
      if (type === REL_BASED_ABSOLUTE) continue;
      const width = FIXUP_WIDTH[type];
      if (!width) v.fail(RELOC_RULE, `entry at RVA ${hex(e)}: relocation type ${type} is not supported on i386`);
      if (target + width > v.size) v.fail(RELOC_RULE, `entry at RVA ${hex(e)}: fixup at RVA ${hex(target)} (+${width}) is outside the image (SizeOfImage ${hex(v.size)})`);
      out.push({ rva: target, type });
      if (type === REL_BASED_HIGHADJ) e += 2; // its second slot holds the low half of the value
    }
    block += blockSize;
  }
  return out;
}
