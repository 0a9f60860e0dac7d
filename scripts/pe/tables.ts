// The three tables a PE32 image carries besides its code and data, built
// as bytes for the writer (writer.ts) to place in generated sections:
//
// Import section (.idata), one block of bytes at RVA `base`:
//
//   IAT          per DLL: one DWORD per function, then a 0 DWORD; the
//                loader overwrites each slot with the function's address,
//                so code calls through it: `call dword [ImageBase + slot]`.
//                All DLLs' IATs are contiguous: the IAT data directory.
//   descriptors  IMAGE_IMPORT_DESCRIPTOR per DLL, then a zeroed one
//   ILTs         per DLL: the import lookup table, same entries as its IAT
//                (an unbound image's IAT starts as a copy of its ILT)
//   hint/names   per named import: WORD hint (the index in the DLL's name
//                table the loader tries first), ASCII name, NUL, pad to even
//   DLL names    ASCII, NUL terminated
//
//   An ILT/IAT entry is the RVA of a hint/name entry, or
//   IMPORT_BY_ORDINAL | ordinal.
//
// Export section (.edata), the export data directory spans all of it:
//
//   IMAGE_EXPORT_DIRECTORY, EAT (DWORD RVA per ordinal from Base; 0 for an
//   unused ordinal; an RVA inside the directory is a forwarder string
//   "DLL.Name" or "DLL.#ordinal"), name pointer table (DWORD RVAs, sorted by
//   byte value: the loader binary-searches it), ordinal table (WORD EAT
//   index per name), then the strings: DLL name, export names, forwarders.
//
// Base relocation section (.reloc): one block per 4 KiB page that holds
// fixups, in ascending page order: { DWORD PageRVA; DWORD SizeOfBlock; WORD
// entry[] } with entry = REL_BASED_HIGHLOW << 12 | offset in page, padded
// with one REL_BASED_ABSOLUTE entry so that every block is a multiple of 4.

import {
  ED, EXPORT_DIRECTORY_SIZE, ID, IMPORT_BY_ORDINAL, IMPORT_DESCRIPTOR_SIZE, RELOC_BLOCK_HEADER, RELOC_PAGE,
  REL_BASED_ABSOLUTE, REL_BASED_HIGHLOW,
} from './format.ts';

/** One imported function: a name (with an optional hint) or an ordinal. */
export type PeImportFunction = string | number | { name: string; hint?: number };

export interface PeImportSpec {
  dll: string; // e.g. "ntdll.dll"
  functions: PeImportFunction[];
}

export interface PeImportSlot {
  name?: string; // undefined for an import by ordinal
  ordinal?: number; // undefined for an import by name
  hint: number; // 0 for an import by ordinal
  iatRva: number; // the slot the loader fills with the function's address
}

export interface PeImportLayout {
  dll: string;
  descriptorRva: number;
  nameRva: number;
  iltRva: number;
  iatRva: number;
  functions: PeImportSlot[];
}

export interface PeImportTables {
  bytes: Uint8Array;
  directoryRva: number; // the descriptor array (import data directory)
  directorySize: number; // including the terminating zeroed descriptor
  iatRva: number; // the IAT data directory
  iatSize: number;
  dlls: PeImportLayout[];
}

/** The bytes of a NUL-terminated ASCII string; `what` names it in errors. */
export function asciiz(text: string, what: string): Uint8Array {
  if (text.length === 0) throw new Error(`${what}: empty name`);
  const bytes = new Uint8Array(text.length + 1);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) throw new Error(`${what}: "${text}" is not printable ASCII (char ${i})`);
    bytes[i] = c;
  }
  return bytes;
}

/** A growing little-endian byte buffer with absolute write positions. */
class Bytes {
  data = new Uint8Array(256);
  length = 0;
  private grow(end: number): void {
    if (end <= this.data.length) return;
    let size = this.data.length;
    while (size < end) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.data);
    this.data = next;
  }
  reserve(size: number, align = 1): number {
    const at = Math.ceil(this.length / align) * align;
    this.grow(at + size);
    this.length = at + size;
    return at;
  }
  u16(at: number, v: number): void {
    this.data[at] = v & 0xff;
    this.data[at + 1] = (v >>> 8) & 0xff;
  }
  u32(at: number, v: number): void {
    this.u16(at, v & 0xffff);
    this.u16(at + 2, v >>> 16);
  }
  bytes(b: Uint8Array, align = 1): number {
    const at = this.reserve(b.length, align);
    this.data.set(b, at);
    return at;
  }
  done(): Uint8Array {
    return this.data.slice(0, this.length);
  }
}

function normalizeImport(f: PeImportFunction, dll: string): { name?: string; ordinal?: number; hint: number } {
  if (typeof f === 'number') {
    if (!Number.isInteger(f) || f < 0 || f > 0xffff) throw new Error(`import ${dll}: ordinal ${f} is not 0..65535`);
    return { ordinal: f, hint: 0 };
  }
  const name = typeof f === 'string' ? f : f.name;
  const hint = typeof f === 'string' ? 0 : (f.hint ?? 0);
  if (!Number.isInteger(hint) || hint < 0 || hint > 0xffff) throw new Error(`import ${dll}!${name}: hint ${hint} is not 0..65535`);
  return { name, hint };
}

/** Build the import section's bytes for the given DLLs, to be placed at RVA `base`. */
export function buildImports(imports: PeImportSpec[], base: number): PeImportTables {
  const seen = new Set<string>();
  for (const imp of imports) {
    const key = imp.dll.toLowerCase();
    if (seen.has(key)) throw new Error(`import ${imp.dll}: the DLL is listed twice`);
    seen.add(key);
    if (imp.functions.length === 0) throw new Error(`import ${imp.dll}: no functions`);
  }
  const out = new Bytes();
  const funcs = imports.map((imp) => imp.functions.map((f) => normalizeImport(f, imp.dll)));
  // IATs first, contiguous, then the descriptors and the ILTs.
  const iatAt = funcs.map((list) => out.reserve(4 * (list.length + 1), 4));
  const iatEnd = out.length;
  const descAt = out.reserve(IMPORT_DESCRIPTOR_SIZE * (imports.length + 1), 4);
  const iltAt = funcs.map((list) => out.reserve(4 * (list.length + 1), 4));
  // Hint/name entries, then the DLL names.
  const entries = funcs.map((list, d) =>
    list.map((f) => {
      if (f.name === undefined) return (IMPORT_BY_ORDINAL | f.ordinal!) >>> 0;
      const name = asciiz(f.name, `import ${imports[d].dll}`);
      const at = out.reserve(2 + name.length, 2);
      out.u16(at, f.hint);
      out.data.set(name, at + 2);
      return base + at;
    }),
  );
  const nameAt = imports.map((imp) => out.bytes(asciiz(imp.dll, 'import DLL name'), 2));
  out.reserve(0, 4);

  const dlls: PeImportLayout[] = imports.map((imp, d) => {
    entries[d].forEach((entry, i) => {
      out.u32(iatAt[d] + 4 * i, entry);
      out.u32(iltAt[d] + 4 * i, entry);
    });
    const desc = descAt + IMPORT_DESCRIPTOR_SIZE * d;
    out.u32(desc + ID.OriginalFirstThunk, base + iltAt[d]);
    out.u32(desc + ID.Name, base + nameAt[d]);
    out.u32(desc + ID.FirstThunk, base + iatAt[d]);
    return {
      dll: imp.dll, descriptorRva: base + desc, nameRva: base + nameAt[d], iltRva: base + iltAt[d], iatRva: base + iatAt[d],
      functions: funcs[d].map((f, i) => ({ ...f, iatRva: base + iatAt[d] + 4 * i })),
    };
  });
  return {
    bytes: out.done(),
    directoryRva: base + descAt,
    directorySize: IMPORT_DESCRIPTOR_SIZE * (imports.length + 1),
    iatRva: base,
    iatSize: iatEnd,
    dlls,
  };
}

/** One export: by name and/or ordinal, of an RVA in the image or forwarded to another DLL. */
export interface PeExportEntry {
  name?: string; // omitted: exported by ordinal only
  ordinal?: number; // omitted: the next free ordinal from the base
  rva?: number; // the exported address (exactly one of rva and forwarder)
  forwarder?: string; // "DLL.Function" or "DLL.#ordinal"
}

export interface PeExportTables {
  bytes: Uint8Array; // the whole export directory (its data directory size is bytes.length)
  ordinals: Map<string, number>; // name -> ordinal
}

/** Give every export its ordinal: explicit ones first, the rest in order from `base`. */
export function assignOrdinals(entries: { name?: string; ordinal?: number }[], base: number): number[] {
  const used = new Set<number>();
  for (const e of entries) {
    if (e.ordinal === undefined) continue;
    if (!Number.isInteger(e.ordinal) || e.ordinal < base || e.ordinal > 0xffff) {
      throw new Error(`export ${e.name ?? '#' + e.ordinal}: ordinal ${e.ordinal} is not in ${base}..65535`);
    }
    if (used.has(e.ordinal)) throw new Error(`export ordinal ${e.ordinal} is used twice`);
    used.add(e.ordinal);
  }
  let next = base;
  return entries.map((e) => {
    if (e.ordinal !== undefined) return e.ordinal;
    while (used.has(next)) next++;
    used.add(next);
    return next;
  });
}

/** Byte-order comparison, the order of the name pointer table (ASCII: code unit order). */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Build the export directory for `dllName`, to be placed at RVA `base`. */
export function buildExports(dllName: string, entries: PeExportEntry[], ordinalBase: number, timeDateStamp: number, base: number): PeExportTables {
  if (!Number.isInteger(ordinalBase) || ordinalBase < 0 || ordinalBase > 0xffff) throw new Error(`export base ${ordinalBase} is not 0..65535`);
  const ordinals = assignOrdinals(entries, ordinalBase);
  const names = new Map<string, number>();
  entries.forEach((e, i) => {
    if ((e.rva === undefined) === (e.forwarder === undefined)) {
      throw new Error(`export ${e.name ?? '#' + ordinals[i]}: give exactly one of rva and forwarder`);
    }
    if (e.name === undefined) return;
    if (names.has(e.name)) throw new Error(`export ${e.name}: the name is used twice`);
    names.set(e.name, ordinals[i]);
  });
  const count = entries.length === 0 ? 0 : Math.max(...ordinals) - ordinalBase + 1;
  const sorted = [...names.keys()].sort(compareNames);

  const out = new Bytes();
  const dir = out.reserve(EXPORT_DIRECTORY_SIZE, 4);
  const eat = out.reserve(4 * count, 4);
  const namePtrs = out.reserve(4 * sorted.length, 4);
  const nameOrds = out.reserve(2 * sorted.length, 2);
  const dllNameAt = out.bytes(asciiz(dllName, 'export DLL name'));
  sorted.forEach((name, i) => {
    const at = out.bytes(asciiz(name, 'export'));
    out.u32(namePtrs + 4 * i, base + at);
    out.u16(nameOrds + 2 * i, names.get(name)! - ordinalBase);
  });
  entries.forEach((e, i) => {
    const slot = eat + 4 * (ordinals[i] - ordinalBase);
    if (e.forwarder !== undefined) {
      if (!/^[^.]+\..+$/.test(e.forwarder)) throw new Error(`export ${e.name ?? '#' + ordinals[i]}: forwarder "${e.forwarder}" is not DLL.Name`);
      out.u32(slot, base + out.bytes(asciiz(e.forwarder, 'export forwarder')));
    } else {
      out.u32(slot, e.rva!);
    }
  });
  out.reserve(0, 4);
  out.u32(dir + ED.TimeDateStamp, timeDateStamp);
  out.u32(dir + ED.Name, base + dllNameAt);
  out.u32(dir + ED.Base, ordinalBase);
  out.u32(dir + ED.NumberOfFunctions, count);
  out.u32(dir + ED.NumberOfNames, sorted.length);
  out.u32(dir + ED.AddressOfFunctions, base + eat);
  out.u32(dir + ED.AddressOfNames, base + namePtrs);
  out.u32(dir + ED.AddressOfNameOrdinals, base + nameOrds);
  return { bytes: out.done(), ordinals: names };
}

/** Build .reloc blocks for 32-bit absolute addresses at the given RVAs (duplicates removed). */
export function buildRelocations(rvas: number[]): Uint8Array {
  const sorted = [...new Set(rvas)].sort((a, b) => a - b);
  const out = new Bytes();
  for (let i = 0; i < sorted.length;) {
    const page = sorted[i] & ~(RELOC_PAGE - 1);
    let j = i;
    while (j < sorted.length && (sorted[j] & ~(RELOC_PAGE - 1)) === page) j++;
    const count = j - i;
    const padded = count + (count & 1); // one ABSOLUTE entry keeps the block a multiple of 4
    const at = out.reserve(RELOC_BLOCK_HEADER + 2 * padded, 4);
    out.u32(at, page);
    out.u32(at + 4, RELOC_BLOCK_HEADER + 2 * padded);
    for (let k = 0; k < count; k++) out.u16(at + 8 + 2 * k, (REL_BASED_HIGHLOW << 12) | (sorted[i + k] - page));
    if (padded > count) out.u16(at + 8 + 2 * count, REL_BASED_ABSOLUTE << 12);
    i = j;
  }
  return out.done();
}
