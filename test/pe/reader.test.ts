// Every rule of scripts/pe/reader.ts broken on purpose: each bad image must
// be refused with the rule's NTSTATUS (or, for W-rules, reported as a
// warning), and the message must say which field is wrong.

import { describe, expect, it } from 'vitest';
import { peChecksumOffset, peStoreChecksum } from '../../scripts/pe/checksum.ts';
import {
  ED, PeError, STATUS_IMAGE_CHECKSUM_MISMATCH, STATUS_IMAGE_MACHINE_TYPE_MISMATCH, STATUS_INVALID_IMAGE_FORMAT,
  STATUS_INVALID_IMAGE_NE_FORMAT, STATUS_INVALID_IMAGE_NOT_MZ, STATUS_INVALID_IMAGE_PROTECT, STATUS_INVALID_IMAGE_WIN_16,
  STATUS_INVALID_IMAGE_WIN_64, SUBSYSTEM_WINDOWS_CUI, statusText,
} from '../../scripts/pe/format.ts';
import { type PeImage, peCheck, peRead } from '../../scripts/pe/reader.ts';
import { sampleDll, sampleExe } from './samples.ts';

const EXE = sampleExe().bytes;
const DLL = sampleDll().bytes;
const FH = 0x84; // COFF header of our images
const OH = 0x98; // optional header
const SEC = 0x178; // section table
const sec = (i: number, field: number) => SEC + 40 * i + field;
const VSIZE = 8, VA = 12, RAWSIZE = 16, RAWPTR = 20;

type Edit = (dv: DataView, bytes: Uint8Array, good: PeImage) => Uint8Array | void;

/** A copy of `base` changed by `edit`, with its checksum made consistent again. */
function mutate(base: Uint8Array, edit: Edit): Uint8Array {
  const bytes = base.slice();
  const result = edit(new DataView(bytes.buffer), bytes, peRead(base)) ?? bytes;
  if (peChecksumOffset(result) >= 0) peStoreChecksum(result);
  return result;
}

/** File offset of an RVA in the good image (inside a section's raw data). */
function fileOffset(img: PeImage, rva: number): number {
  const s = img.sections.find((x) => rva >= x.virtualAddress && rva < x.virtualAddress + x.sizeOfRawData)!;
  return s.pointerToRawData + rva - s.virtualAddress;
}

const u32At = (img: PeImage, rva: number) => new DataView(img.mapped.buffer).getUint32(rva, true);

interface Case {
  name: string;
  base?: Uint8Array;
  edit: Edit;
  status: number;
  rule: string;
  message?: RegExp;
}

const F = STATUS_INVALID_IMAGE_FORMAT;
const cases: Case[] = [
  // R1-R3: DOS header and signature
  { name: 'an empty file', edit: () => new Uint8Array(0), status: STATUS_INVALID_IMAGE_NOT_MZ, rule: 'R1 dos-header' },
  { name: 'a file shorter than the DOS header', edit: (_, b) => b.slice(0, 10), status: STATUS_INVALID_IMAGE_NOT_MZ, rule: 'R1 dos-header', message: /10 bytes/ },
  { name: '"ZM" instead of "MZ"', edit: (dv) => dv.setUint16(0, 0x4d5a, true), status: STATUS_INVALID_IMAGE_NOT_MZ, rule: 'R1 dos-header', message: /e_magic at offset 0 is 0x4d5a/ },
  { name: 'e_lfanew 0', edit: (dv) => dv.setUint32(0x3c, 0, true), status: STATUS_INVALID_IMAGE_PROTECT, rule: 'R2 nt-offset', message: /e_lfanew at offset 0x3c is 0/ },
  { name: 'a negative e_lfanew', edit: (dv) => dv.setInt32(0x3c, -4, true), status: STATUS_INVALID_IMAGE_PROTECT, rule: 'R2 nt-offset' },
  { name: 'e_lfanew past the end of the file', edit: (dv) => dv.setUint32(0x3c, 0x2ff0, true), status: STATUS_INVALID_IMAGE_PROTECT, rule: 'R2 nt-offset', message: /past the file/ },
  { name: 'a truncated file header', edit: (_, b) => b.slice(0, 0x90), status: STATUS_INVALID_IMAGE_PROTECT, rule: 'R2 nt-offset' },
  { name: 'a bad PE signature', edit: (dv) => dv.setUint32(0x80, 0x01004550, true), status: STATUS_INVALID_IMAGE_PROTECT, rule: 'R3 signature', message: /not "PE\\0\\0"/ },
  { name: 'a 16-bit Windows (NE) image', edit: (dv, b) => { dv.setUint16(0x80, 0x454e, true); b[0x80 + 0x36] = 2; }, status: STATUS_INVALID_IMAGE_WIN_16, rule: 'R3 signature' },
  { name: 'an OS/2 (NE) image', edit: (dv, b) => { dv.setUint16(0x80, 0x454e, true); b[0x80 + 0x36] = 1; }, status: STATUS_INVALID_IMAGE_NE_FORMAT, rule: 'R3 signature' },
  // R4-R12: headers
  { name: 'SizeOfOptionalHeader below the PE32 fields', edit: (dv) => dv.setUint16(FH + 16, 0x40, true), status: F, rule: 'R4 optional-size', message: /SizeOfOptionalHeader is 64/ },
  { name: 'a file ending inside the optional header', edit: (_, b) => b.slice(0, 0x100), status: F, rule: 'R4 optional-size' },
  { name: 'a PE32+ optional header', edit: (dv) => dv.setUint16(OH, 0x20b, true), status: STATUS_INVALID_IMAGE_WIN_64, rule: 'R5 magic' },
  { name: 'an unknown optional header magic', edit: (dv) => dv.setUint16(OH, 0x107, true), status: F, rule: 'R5 magic', message: /Magic at 0x00000098 is 0x0107/ },
  { name: 'an AMD64 machine', edit: (dv) => dv.setUint16(FH, 0x8664, true), status: F, rule: 'R6 machine', message: /Machine at 0x00000084 is 0x8664/ },
  { name: 'an object file (no EXECUTABLE_IMAGE)', edit: (dv) => dv.setUint16(FH + 18, 0x0100, true), status: F, rule: 'R7 image-flag' },
  { name: 'directories that overflow SizeOfOptionalHeader', edit: (dv) => dv.setUint16(FH + 16, 0xd8, true), status: F, rule: 'R8 directories' },
  { name: 'a FileAlignment that is not a power of two', edit: (dv) => dv.setUint32(OH + 36, 0x300, true), status: F, rule: 'R9 alignment' },
  { name: 'a small SectionAlignment unlike FileAlignment', edit: (dv) => dv.setUint32(OH + 32, 0x800, true), status: F, rule: 'R9 alignment', message: /must be equal/ },
  { name: 'FileAlignment above SectionAlignment', edit: (dv) => dv.setUint32(OH + 36, 0x2000, true), status: F, rule: 'R9 alignment' },
  { name: 'an ImageBase not on 64 KiB', edit: (dv) => dv.setUint32(OH + 28, 0x401000, true), status: F, rule: 'R10 image-base' },
  { name: 'an image crossing 4 GiB', edit: (dv) => { dv.setUint32(OH + 28, 0xffff0000, true); dv.setUint32(OH + 56, 0x20000, true); }, status: F, rule: 'R10 image-base' },
  { name: '97 sections', edit: (dv) => dv.setUint16(FH + 2, 97, true), status: F, rule: 'R11 section-count' },
  { name: 'a section table past SizeOfHeaders', edit: (dv) => dv.setUint32(OH + 60, 0x200, true), status: F, rule: 'R12 headers-size', message: /past SizeOfHeaders 0x00000200/ },
  { name: 'SizeOfHeaders past the end of the file', edit: (dv) => dv.setUint32(OH + 60, 0x4000, true), status: F, rule: 'R12 headers-size' },
  // R13-R16: sections
  { name: 'a misaligned section', edit: (dv) => dv.setUint32(sec(1, VA), 0x2800, true), status: F, rule: 'R13 section-va', message: /section 1 \(\.rdata\): VirtualAddress 0x00002800 is not a multiple/ },
  { name: 'overlapping sections', edit: (dv) => dv.setUint32(sec(1, VA), 0x1000, true), status: F, rule: 'R13 section-va', message: /overlaps/ },
  { name: 'a section over the headers', edit: (dv) => dv.setUint32(sec(0, VA), 0, true), status: F, rule: 'R13 section-va', message: /overlaps/ },
  { name: 'a gap between sections', edit: (dv) => dv.setUint32(sec(1, VA), 0x3000, true), status: F, rule: 'R13 section-va', message: /gap/ },
  { name: 'an empty section', edit: (dv) => { dv.setUint32(sec(1, VSIZE), 0, true); dv.setUint32(sec(1, RAWSIZE), 0, true); }, status: F, rule: 'R13 section-va', message: /both 0/ },
  { name: 'SizeOfImage short of the last section', edit: (dv) => dv.setUint32(OH + 56, 0xa000, true), status: F, rule: 'R14 size-of-image' },
  { name: 'SizeOfImage over 256 MiB', edit: (dv) => dv.setUint32(OH + 56, 0x10001000, true), status: F, rule: 'R14 size-of-image' },
  { name: 'raw data past the end of the file', edit: (dv) => dv.setUint32(sec(5, RAWSIZE), 0x400, true), status: F, rule: 'R15 raw-data', message: /section 5 \(\.reloc\).*past the file/ },
  { name: 'raw data inside the headers', edit: (dv) => dv.setUint32(sec(0, RAWPTR), 0x200, true), status: F, rule: 'R15 raw-data', message: /inside the headers/ },
  { name: 'overlapping raw data', edit: (dv) => dv.setUint32(sec(1, RAWPTR), 0x400, true), status: F, rule: 'R15 raw-data', message: /overlaps section 0 \(\.text\)/ },
  { name: 'an entry point outside every section', edit: (dv) => dv.setUint32(OH + 16, 0x8900, true), status: F, rule: 'R16 entry-point' },
  // R17-R20: tables
  { name: 'an import directory outside the image', edit: (dv) => dv.setUint32(OH + 96 + 8, 0x20000, true), status: F, rule: 'R17 directory-range', message: /data directory 1/ },
  {
    name: 'an import DLL name outside the image', status: F, rule: 'R18 imports', message: /DLL name/,
    edit: (dv, _, img) => dv.setUint32(fileOffset(img, img.directories[1].rva) + 12, 0x7fff0, true),
  },
  {
    name: 'an import descriptor with Name but no FirstThunk', status: F, rule: 'R18 imports', message: /must both be set/,
    edit: (dv, _, img) => dv.setUint32(fileOffset(img, img.directories[1].rva) + 16, 0, true),
  },
  {
    name: 'a hint/name entry outside the image', status: F, rule: 'R18 imports', message: /hint\/name/,
    edit: (dv, _, img) => dv.setUint32(fileOffset(img, img.imports[0].iltRva), 0x7fff0, true),
  },
  {
    name: 'an ordinal import with stray bits', status: F, rule: 'R18 imports', message: /bits set in 16\.\.30/,
    edit: (dv, _, img) => dv.setUint32(fileOffset(img, img.imports[0].iltRva + 8), 0x8001002a, true),
  },
  {
    name: 'an export name with an ordinal index past NumberOfFunctions', base: DLL, status: F, rule: 'R19 exports', message: /ordinal index 200/,
    edit: (dv, _, img) => dv.setUint16(fileOffset(img, u32At(img, img.directories[0].rva + ED.AddressOfNameOrdinals)), 200, true),
  },
  {
    name: 'an export name pointer outside the image', base: DLL, status: F, rule: 'R19 exports', message: /export name 0/,
    edit: (dv, _, img) => dv.setUint32(fileOffset(img, u32At(img, img.directories[0].rva + ED.AddressOfNames)), 0x7ffffff0, true),
  },
  {
    name: 'an export address table outside the image', base: DLL, status: F, rule: 'R19 exports', message: /export address table/,
    edit: (dv, _, img) => dv.setUint32(fileOffset(img, img.directories[0].rva + ED.NumberOfFunctions), 0x100000, true),
  },
  {
    name: 'an unsupported relocation type', status: F, rule: 'R20 relocations', message: /type 10 is not supported/,
    edit: (dv, _, img) => dv.setUint16(fileOffset(img, img.directories[5].rva) + 8, 0xa002, true),
  },
  {
    name: 'a fixup outside the image', status: F, rule: 'R20 relocations', message: /outside the image/,
    edit: (dv, _, img) => dv.setUint32(fileOffset(img, img.directories[5].rva), 0xfff000, true),
  },
  {
    name: 'a relocation block with a bad SizeOfBlock', status: F, rule: 'R20 relocations', message: /SizeOfBlock 0x00000007/,
    edit: (dv, _, img) => dv.setUint32(fileOffset(img, img.directories[5].rva) + 4, 7, true),
  },
];

describe('reader refuses bad images with the NTSTATUS Windows uses', () => {
  it('accepts the good samples without warnings', () => {
    expect(peCheck(EXE).status).toBe(0);
    expect(peRead(DLL).warnings).toEqual([]);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const bytes = mutate(c.base ?? EXE, c.edit);
    const result = peCheck(bytes);
    expect(result.error?.message, `expected ${statusText(c.status)}`).toBeDefined();
    expect(statusText(result.status)).toBe(statusText(c.status));
    expect(result.error!.rule).toBe(c.rule);
    if (c.message) expect(result.error!.message).toMatch(c.message);
    expect(result.error!.message).toContain(statusText(c.status));
    expect(() => peRead(bytes)).toThrow(PeError);
  });

  it('covers every rule R1-R20', () => {
    const rules = new Set(cases.map((c) => c.rule.split(' ')[0]));
    expect([...rules].sort((a, b) => +a.slice(1) - +b.slice(1))).toEqual(Array.from({ length: 20 }, (_, i) => `R${i + 1}`));
  });
});

describe('reader reports what the loader decides', () => {
  it('W1: a checksum that does not match', () => {
    const bytes = EXE.slice();
    bytes[0x401] ^= 0xff;
    expect(peRead(bytes).warnings).toEqual([expect.objectContaining({ rule: 'W1 checksum', status: STATUS_IMAGE_CHECKSUM_MISMATCH })]);
  });

  it('W2: a subsystem other than the expected one', () => {
    const bytes = sampleExe({ subsystem: SUBSYSTEM_WINDOWS_CUI }).bytes;
    expect(peRead(bytes).warnings).toEqual([expect.objectContaining({ rule: 'W2 subsystem', message: expect.stringMatching(/Subsystem 3 \(windows cui\) is not 1 \(native\)/) })]);
    expect(peRead(bytes, { subsystem: SUBSYSTEM_WINDOWS_CUI }).warnings).toEqual([]);
  });

  it('W3: a foreign machine when the caller allows it', () => {
    const bytes = mutate(EXE, (dv) => dv.setUint16(FH, 0x8664, true));
    const img = peRead(bytes, { allowForeignMachine: true });
    expect(img.headers.machine).toBe(0x8664);
    expect(img.warnings).toEqual([expect.objectContaining({ rule: 'W3 machine', status: STATUS_IMAGE_MACHINE_TYPE_MISMATCH })]);
  });

  it('W4: RELOCS_STRIPPED with a relocation directory', () => {
    const bytes = mutate(EXE, (dv) => dv.setUint16(FH + 18, 0x0103, true));
    expect(peRead(bytes).warnings.map((w) => w.rule)).toEqual(['W4 relocs-stripped']);
  });

  it('W5: an unsorted export name table', () => {
    const bytes = mutate(DLL, (dv, _, img) => {
      const names = fileOffset(img, u32At(img, img.directories[0].rva + ED.AddressOfNames));
      const a = dv.getUint32(names, true);
      dv.setUint32(names, dv.getUint32(names + 4, true), true);
      dv.setUint32(names + 4, a, true);
    });
    const img = peRead(bytes);
    expect(img.exports!.sorted).toBe(false);
    expect(img.warnings.map((w) => w.rule)).toEqual(['W5 export-order']);
  });

  it('takes SizeOfRawData as the size of a section whose VirtualSize is 0', () => {
    const bytes = mutate(EXE, (dv) => dv.setUint32(sec(1, VSIZE), 0, true));
    const img = peRead(bytes);
    expect(img.sections[1].virtualSize).toBe(0);
    expect(img.mapped.subarray(0x2000, 0x2005)).toEqual(new TextEncoder().encode('hello'));
  });
});
