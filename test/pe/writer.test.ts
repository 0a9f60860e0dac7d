// Round trips of scripts/pe/writer.ts through scripts/pe/reader.ts: a native
// .exe with imports by name and ordinal, relocations over several pages and
// a .bss; a DLL with exports; layout stability and the writer's own checks.

import { describe, expect, it } from 'vitest';
import {
  DIR_BASERELOC, DIR_EXPORT, DIR_IAT, DIR_IMPORT, FILE_DLL, IMPORT_BY_ORDINAL, REL_BASED_HIGHLOW, SCN_CNT_UNINITIALIZED_DATA,
  SUBSYSTEM_NATIVE,
} from '../../scripts/pe/format.ts';
import { peRead } from '../../scripts/pe/reader.ts';
import { buildRelocations } from '../../scripts/pe/tables.ts';
import { type PeImageSpec, peLayout, peWrite } from '../../scripts/pe/writer.ts';
import { EXE_BASE, sampleDll, sampleExe } from './samples.ts';

describe('exe round trip', () => {
  const { bytes, spec, calls, relocs } = sampleExe();
  const img = peRead(bytes);

  it('has the headers it was given', () => {
    expect(img.headers.imageBase).toBe(EXE_BASE);
    expect(img.headers.addressOfEntryPoint).toBe(0x1000);
    expect(img.headers.subsystem).toBe(SUBSYSTEM_NATIVE);
    expect(img.isDll).toBe(false);
    expect(img.warnings).toEqual([]);
    expect(img.checksum.status).toBe(0);
    expect(img.checksum.stored).not.toBe(0);
    expect(img.sections.map((s) => s.name)).toEqual(['.text', '.rdata', '.data', '.bss', '.idata', '.reloc']);
  });

  it('imports from ntdll.dll by name (with hints) and by ordinal', () => {
    expect(img.imports).toHaveLength(1);
    const [ntdll] = img.imports;
    expect(ntdll.dll).toBe('ntdll.dll');
    expect(ntdll.functions.map((f) => f.name ?? f.ordinal)).toEqual(['NtDisplayString', 'NtClose', 42, 'NtTerminateProcess']);
    expect(ntdll.functions[0].hint).toBe(0x10f);
    expect(ntdll.functions[1].hint).toBe(0);
    expect(ntdll.iltRva).not.toBe(ntdll.iatRva);
    // The IAT starts as a copy of the ILT.
    const dv = new DataView(img.mapped.buffer);
    ntdll.functions.forEach((f, i) => expect(dv.getUint32(f.iatRva, true)).toBe(dv.getUint32(ntdll.iltRva + 4 * i, true)));
    expect(dv.getUint32(ntdll.functions[2].iatRva, true)).toBe((IMPORT_BY_ORDINAL | 42) >>> 0);
    // Import and IAT directories.
    expect(img.directories[DIR_IAT]).toEqual({ rva: ntdll.iatRva, size: 4 * 5 });
    expect(img.directories[DIR_IMPORT].size).toBe(40);
  });

  it('calls through the IAT slots the layout promised', () => {
    const layout = peLayout(spec);
    const dv = new DataView(img.mapped.buffer);
    for (const c of calls) {
      const slot = img.imports[0].functions.find((f) => (typeof c.fn === 'number' ? f.ordinal === c.fn : f.name === c.fn))!;
      expect(slot.iatRva).toBe(layout.iatSlot(c.dll, c.fn));
      expect([img.mapped[0x1000 + c.at], img.mapped[0x1000 + c.at + 1]]).toEqual([0xff, 0x15]);
      expect(dv.getUint32(0x1000 + c.at + 2, true)).toBe(EXE_BASE + slot.iatRva);
    }
  });

  it('has one HIGHLOW relocation per absolute address, over several pages', () => {
    expect(img.relocations.map((r) => r.rva)).toEqual(relocs);
    expect(img.relocations.every((r) => r.type === REL_BASED_HIGHLOW)).toBe(true);
    expect(new Set(relocs.map((r) => r & ~0xfff)).size).toBe(4); // .text and three pages of .data
    // Every relocated DWORD holds an address inside the image.
    const dv = new DataView(img.mapped.buffer);
    for (const rva of relocs) {
      const va = dv.getUint32(rva, true);
      expect(va - EXE_BASE).toBeGreaterThanOrEqual(0);
      expect(va - EXE_BASE).toBeLessThan(img.headers.sizeOfImage);
    }
  });

  it('maps .bss as zeros with no raw data', () => {
    const bss = img.sections.find((s) => s.name === '.bss')!;
    expect(bss.sizeOfRawData).toBe(0);
    expect(bss.pointerToRawData).toBe(0);
    expect(bss.virtualSize).toBe(0x2800);
    expect(bss.characteristics & SCN_CNT_UNINITIALIZED_DATA).toBeTruthy();
    expect(img.headers.sizeOfUninitializedData).toBe(0x2800);
    expect(img.mapped.subarray(bss.virtualAddress, bss.virtualAddress + 0x2800).every((b) => b === 0)).toBe(true);
  });

  it('maps every section at the RVA the layout gave', () => {
    const layout = peLayout(spec);
    for (const s of layout.sections) {
      const r = img.sections.find((x) => x.name === s.name)!;
      expect(r.virtualAddress).toBe(s.rva);
      expect(img.mapped.subarray(s.rva, s.rva + s.data.length)).toEqual(s.data);
    }
  });

  it('is the same bytes every time', () => {
    expect(Buffer.from(sampleExe().bytes).equals(Buffer.from(bytes))).toBe(true);
  });

  it('keeps section RVAs and IAT slots whatever the entry, relocations and contents', () => {
    const a = peLayout(spec);
    const b = peLayout({ ...spec, entry: 0x1010, relocations: [], sections: spec.sections.map((s) => ({ ...s, data: s.data && new Uint8Array(s.data.length) })) });
    expect(b.sections.map((s) => s.rva)).toEqual(a.sections.map((s) => s.rva));
    expect(b.iatSlot('NTDLL.DLL', 'NtClose')).toBe(a.iatSlot('ntdll.dll', 'NtClose'));
  });
});

describe('dll round trip', () => {
  const { bytes } = sampleDll();
  const img = peRead(bytes);
  const e = img.exports!;

  it('is a DLL at its base', () => {
    expect(img.isDll).toBe(true);
    expect(img.headers.characteristics & FILE_DLL).toBe(FILE_DLL);
    expect(img.headers.imageBase).toBe(0x7c900000);
    expect(img.directories[DIR_EXPORT].rva).toBe(img.sections.find((s) => s.name === '.edata')!.virtualAddress);
  });

  it('exports by name, ordinal only and by forwarder, with its ordinal base', () => {
    expect(e.dllName).toBe('sample.dll');
    expect(e.ordinalBase).toBe(5);
    const byOrdinal = Object.fromEntries(e.functions.map((f) => [f.ordinal, f]));
    expect(byOrdinal[5]).toMatchObject({ names: ['RtlZeroMemory'], rva: 0x1004 });
    expect(byOrdinal[6]).toMatchObject({ names: ['NtClose'], rva: 0x1008 });
    expect(byOrdinal[9]).toMatchObject({ names: ['DbgPrint'], rva: 0x100c });
    expect(byOrdinal[12]).toMatchObject({ names: [], rva: 0x1010 });
    expect(byOrdinal[7]).toMatchObject({ names: ['RtlAllocateHeap'], forwarder: 'NTDLL.RtlAllocateHeap' });
    expect(byOrdinal[8]).toMatchObject({ names: ['aLowerCase'], rva: 0x1014 });
    expect(byOrdinal[10]).toMatchObject({ names: ['NtData'], rva: 0x2000 });
    expect(e.functions).toHaveLength(7); // ordinal 11 is an empty EAT slot
  });

  it('sorts the name pointer table by byte value', () => {
    expect(e.names).toEqual(['DbgPrint', 'NtClose', 'NtData', 'RtlAllocateHeap', 'RtlZeroMemory', 'aLowerCase']);
    expect(e.sorted).toBe(true);
  });

  it('keeps its imports and relocations', () => {
    expect(img.imports.map((i) => [i.dll, i.functions.map((f) => f.name)])).toEqual([['ntdll.dll', ['RtlAllocateHeap']]]);
    expect(img.relocations).toEqual([{ rva: 0x1000, type: REL_BASED_HIGHLOW }]);
    expect(img.directories[DIR_BASERELOC].size).toBe(12);
  });
});

describe('base relocation blocks', () => {
  it('pads odd blocks with one ABSOLUTE entry and orders pages', () => {
    const b = buildRelocations([0x3004, 0x1000, 0x1ffc, 0x3000, 0x3008, 0x1000]);
    const dv = new DataView(b.buffer);
    // page 0x1000: 2 entries (no pad), page 0x3000: 3 entries + pad
    expect(b.length).toBe(8 + 4 + 8 + 8);
    expect([dv.getUint32(0, true), dv.getUint32(4, true)]).toEqual([0x1000, 12]);
    expect([dv.getUint16(8, true), dv.getUint16(10, true)]).toEqual([0x3000, 0x3ffc]);
    expect([dv.getUint32(12, true), dv.getUint32(16, true)]).toEqual([0x3000, 16]);
    expect([20, 22, 24, 26].map((o) => dv.getUint16(o, true))).toEqual([0x3000, 0x3004, 0x3008, 0x0000]);
  });

  it('round-trips many relocations across many pages', () => {
    const data = new Uint8Array(0x9000);
    const offsets = Array.from({ length: 300 }, (_, i) => (i * 0x7b) & ~3).filter((o) => o + 4 <= data.length);
    const { bytes, layout } = peWrite({
      sections: [{ name: '.text', kind: 'text', data: new Uint8Array([0xc3]) }, { name: '.data', kind: 'data', data }],
      relocations: offsets.map((offset) => ({ section: '.data', offset })),
    });
    const img = peRead(bytes);
    const base = layout.rva({ section: '.data', offset: 0 });
    expect(img.relocations.map((r) => r.rva - base)).toEqual([...new Set(offsets)].sort((a, b) => a - b));
  });
});

describe('writer checks its input', () => {
  const text = { name: '.text', kind: 'text' as const, data: new Uint8Array([0xc3]) };
  const bad: [string, PeImageSpec, RegExp][] = [
    ['long section name', { sections: [{ ...text, name: '.toolongname' }] }, /1\.\.8 printable/],
    ['duplicate section', { sections: [text, text] }, /listed twice/],
    ['bss with data', { sections: [{ name: '.bss', kind: 'bss', data: new Uint8Array(1) }] }, /no data/],
    ['empty section', { sections: [{ name: '.data', kind: 'data' }] }, /empty/],
    ['virtual size too small', { sections: [{ ...text, virtualSize: 0 }] }, /smaller/],
    ['unaligned image base', { sections: [text], imageBase: 0x401000 }, /64 KiB/],
    ['entry outside a section', { sections: [text], entry: { section: '.text', offset: 0x10 } }, /outside \.text/],
    ['entry outside the image', { sections: [text], entry: 0x9000 }, /outside the image/],
    ['relocation past a section', { sections: [text], relocations: [{ section: '.text', offset: 0 }] }, /not inside one section/],
    ['relocation in a missing section', { sections: [text], relocations: [{ section: '.data', offset: 0 }] }, /no section \.data/],
    ['duplicate export name', { sections: [text], exports: { dllName: 'x.dll', functions: [{ name: 'A', rva: 0x1000 }, { name: 'A', rva: 0x1000 }] } }, /used twice/],
    ['duplicate ordinal', { sections: [text], exports: { dllName: 'x.dll', functions: [{ ordinal: 3, rva: 0x1000 }, { ordinal: 3, rva: 0x1000 }] } }, /ordinal 3 is used twice/],
    ['ordinal below base', { sections: [text], exports: { dllName: 'x.dll', ordinalBase: 5, functions: [{ ordinal: 3, rva: 0x1000 }] } }, /not in 5\.\.65535/],
    ['export with rva and forwarder', { sections: [text], exports: { dllName: 'x.dll', functions: [{ name: 'A', rva: 0x1000, forwarder: 'B.C' }] } }, /exactly one/],
    ['bad forwarder', { sections: [text], exports: { dllName: 'x.dll', functions: [{ name: 'A', forwarder: 'nodot' }] } }, /not DLL\.Name/],
    ['import listed twice', { sections: [text], imports: [{ dll: 'a.dll', functions: ['X'] }, { dll: 'A.DLL', functions: ['Y'] }] }, /listed twice/],
    ['import without functions', { sections: [text], imports: [{ dll: 'a.dll', functions: [] }] }, /no functions/],
    ['non-ASCII import name', { sections: [text], imports: [{ dll: 'a.dll', functions: ['Ñ'] }] }, /printable ASCII/],
    ['bad ordinal', { sections: [text], imports: [{ dll: 'a.dll', functions: [0x10000] }] }, /0\.\.65535/],
    ['generated name taken', { sections: [text, { name: '.idata', kind: 'data', data: new Uint8Array(4) }], imports: [{ dll: 'a.dll', functions: ['X'] }] }, /generated/],
    ['stripped with relocations', { sections: [{ ...text, data: new Uint8Array(8) }], relocsStripped: true, relocations: [0x1000] }, /choose one/],
  ];
  it.each(bad)('refuses %s', (_, spec, message) => {
    expect(() => peWrite(spec)).toThrow(message);
  });

  it('iatSlot names what is not imported', () => {
    const layout = peLayout({ sections: [text], imports: [{ dll: 'ntdll.dll', functions: ['NtClose'] }] });
    expect(() => layout.iatSlot('ntdll.dll', 'NtOpenFile')).toThrow(/ntdll\.dll!NtOpenFile is not imported/);
  });
});
