// Tiny PE32 images of a few hand-assembled instructions, for the boot tests
// and the bench: a native program that prints and exits with 0x1234, and a
// stand-in ntdll.dll whose LdrInitializeThunk continues into the program.
// They call the kernel with int 0x2e directly (service numbers from
// scripts/services.ts), so they need no imports.

import { peLayout, peWrite, type PeImageSpec } from '../../scripts/pe/writer.ts';
import { SERVICES } from '../../scripts/services.ts';

/**
 * A tiny image: `text` as a UNICODE_STRING in .rdata, and .text made by
 * `code(ustr, service)` from the string's address and service numbers
 * (scripts/services.ts), both absolute addresses relocated.
 */
function tinyImage(base: number, text: string, code: (ustr: number, service: (name: string) => number) => number[],
                   extra: Partial<PeImageSpec> = {}): Uint8Array {
  const service = (name: string) => SERVICES.findIndex((x) => x.name === name);
  const rdata = new Uint8Array(8 + text.length * 2);
  const bytes = new Uint8Array(48);
  const spec: PeImageSpec = {
    imageBase: base,
    sections: [{ name: '.text', kind: 'text', data: bytes }, { name: '.rdata', kind: 'rdata', data: rdata }],
    entry: { section: '.text', offset: 0 },
    ...extra,
  };
  const ustr = base + peLayout(spec).rva({ section: '.rdata', offset: 0 });
  const dv = new DataView(rdata.buffer);
  dv.setUint16(0, text.length * 2, true); dv.setUint16(2, text.length * 2, true); dv.setUint32(4, ustr + 8, true);
  for (let i = 0; i < text.length; i++) dv.setUint16(8 + i * 2, text.charCodeAt(i), true);
  bytes.set(code(ustr, service));
  return peWrite({ ...spec, relocations: [{ section: '.text', offset: 1 }, { section: '.rdata', offset: 4 }] }).bytes;
}

const le = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];

/** A native program, no imports: shows a line with NtDisplayString and ends with status 0x1234, through int 0x2e. */
export function helloImage(): Uint8Array {
  return tinyImage(0x00400000, 'Hello from a PE image', (ustr, service) => [
    0x68, ...le(ustr),                                               // push &ustr
    0xb8, ...le(service('NtDisplayString')), 0x89, 0xe2, 0xcd, 0x2e, // mov eax, n; mov edx, esp; int 0x2e
    0x83, 0xc4, 0x04,                                                // add esp, 4
    0x68, ...le(0x1234), 0x6a, 0xff,                                 // push 0x1234; push -1
    0xb8, ...le(service('NtTerminateProcess')), 0x89, 0xe2, 0xcd, 0x2e,
    0xeb, 0xfe,                                                      // jmp $ (not reached)
  ]);
}

/**
 * A stand-in ntdll.dll: its one export, LdrInitializeThunk(Context,
 * NtdllBase), shows a line and continues into the context with NtContinue,
 * as the real one does once it has loaded the program's imports.
 */
export function ntdllImage(): Uint8Array {
  return tinyImage(0x7c900000, 'LdrInitializeThunk, continuing into the program', (ustr, service) => [
    0x68, ...le(ustr),                                               // push &ustr
    0xb8, ...le(service('NtDisplayString')), 0x89, 0xe2, 0xcd, 0x2e, // NtDisplayString
    0x83, 0xc4, 0x04,                                                // add esp, 4
    0x8b, 0x4c, 0x24, 0x04,                                          // mov ecx, [esp+4]: the context
    0x6a, 0x00, 0x51,                                                // push 0 (TestAlert); push ecx
    0xb8, ...le(service('NtContinue')), 0x89, 0xe2, 0xcd, 0x2e,      // NtContinue: does not return
    0xeb, 0xfe,                                                      // (35 bytes so far)
    0x90, 0x90, 0x90, 0x90, 0x90,
    0xb8, 1, 0, 0, 0, 0xc2, 12, 0,                                   // +40, DllMain: return TRUE
  ], {
    dll: true,
    entry: { section: '.text', offset: 40 },
    exports: { dllName: 'ntdll.dll', functions: [{ name: 'LdrInitializeThunk', rva: { section: '.text', offset: 0 } }] },
  });
}

