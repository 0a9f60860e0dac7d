// Sample PE32 images the pe tests share: a native .exe that calls ntdll
// through its IAT (imports by name and by ordinal, relocations on several
// pages, a .bss), and a DLL with named, ordinal-only and forwarded exports.

import { type PeImageSpec, type PeRef, peLayout, peWrite } from '../../scripts/pe/writer.ts';

export const EXE_BASE = 0x00400000;

/** `call dword [abs]` (FF 15 disp32): the instruction a caller patches with an IAT slot. */
function callIndirect(code: Uint8Array, at: number, address: number): void {
  code.set([0xff, 0x15], at);
  new DataView(code.buffer).setUint32(at + 2, address, true);
}

/**
 * A native program: .text calls NtDisplayString, NtClose (by name) and
 * ordinal 42 of ntdll.dll through the IAT; .data holds a table of absolute
 * pointers spread over three pages; .bss is 3 pages of zeros.
 */
export function sampleExe(extra: Partial<PeImageSpec> = {}): { spec: PeImageSpec; bytes: Uint8Array; calls: { dll: string; fn: string | number; at: number }[]; relocs: number[] } {
  const text = new Uint8Array(0x40).fill(0xcc);
  const data = new Uint8Array(0x2400);
  const spec: PeImageSpec = {
    sections: [
      { name: '.text', kind: 'text', data: text },
      { name: '.rdata', kind: 'rdata', data: new TextEncoder().encode('hello from a native program\0') },
      { name: '.data', kind: 'data', data },
      { name: '.bss', kind: 'bss', virtualSize: 0x2800 },
    ],
    imageBase: EXE_BASE,
    entry: { section: '.text', offset: 0 },
    imports: [{ dll: 'ntdll.dll', functions: [{ name: 'NtDisplayString', hint: 0x10f }, 'NtClose', 42, 'NtTerminateProcess'] }],
    ...extra,
  };
  // Learn the RVAs first, then patch the code that depends on them.
  const layout = peLayout(spec);
  const calls = [
    { dll: 'ntdll.dll', fn: 'NtDisplayString' as string | number, at: 0 },
    { dll: 'ntdll.dll', fn: 42, at: 6 },
    { dll: 'ntdll.dll', fn: 'NtClose', at: 12 },
  ];
  const refs: PeRef[] = [];
  for (const c of calls) {
    callIndirect(text, c.at, EXE_BASE + layout.iatSlot(c.dll, c.fn));
    refs.push({ section: '.text', offset: c.at + 2 });
  }
  // Pointers in .data to the message in .rdata, on pages 0, 1 and 2 of .data.
  const message = EXE_BASE + layout.rva({ section: '.rdata', offset: 0 });
  for (const offset of [0, 4, 0x800, 0xffc, 0x1000, 0x2000, 0x23fc]) {
    new DataView(data.buffer).setUint32(offset, message, true);
    refs.push({ section: '.data', offset });
  }
  const full = { ...spec, relocations: refs };
  const { bytes } = peWrite(full);
  return { spec: full, bytes, calls, relocs: refs.map((r) => layout.rva(r)).sort((a, b) => a - b) };
}

/** A DLL exporting functions by name, by ordinal only and as forwarders, with ordinal base 5. */
export function sampleDll(extra: Partial<PeImageSpec> = {}): { spec: PeImageSpec; bytes: Uint8Array } {
  const text = new Uint8Array(0x20).fill(0xc3);
  const at = (offset: number) => ({ section: '.text', offset });
  const spec: PeImageSpec = {
    dll: true,
    imageBase: 0x7c900000,
    sections: [{ name: '.text', kind: 'text', data: text }, { name: '.data', kind: 'data', data: new Uint8Array(16) }],
    entry: at(0),
    exports: {
      dllName: 'sample.dll',
      ordinalBase: 5,
      functions: [
        { name: 'RtlZeroMemory', rva: at(4) },
        { name: 'NtClose', rva: at(8) },
        { name: 'DbgPrint', rva: at(12), ordinal: 9 },
        { rva: at(16), ordinal: 12 }, // ordinal only
        { name: 'RtlAllocateHeap', forwarder: 'NTDLL.RtlAllocateHeap' },
        { name: 'aLowerCase', rva: at(20) }, // sorts after the capitals
        { name: 'NtData', rva: { section: '.data', offset: 0 } },
      ],
    },
    imports: [{ dll: 'ntdll.dll', functions: ['RtlAllocateHeap'] }],
    relocations: [at(0)],
    ...extra,
  };
  return { spec, bytes: peWrite(spec).bytes };
}
