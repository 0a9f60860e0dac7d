// Header snapshot of the sample native .exe: specific file offsets and the
// values the writer must put there (not a stored blob), so a change to the
// layout shows up as the field that moved.

import { describe, expect, it } from 'vitest';
import { peChecksum } from '../../scripts/pe/checksum.ts';
import { dosStub } from '../../scripts/pe/writer.ts';
import { sampleExe } from './samples.ts';

const { bytes } = sampleExe();
const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const u16 = (at: number) => dv.getUint16(at, true);
const u32 = (at: number) => dv.getUint32(at, true);
const ascii = (at: number, n: number) => String.fromCharCode(...bytes.subarray(at, at + n));

describe('header snapshot of the sample exe', () => {
  it('has a DOS header and a real DOS stub', () => {
    expect(ascii(0, 2)).toBe('MZ');
    expect(u16(0x02)).toBe(0x80); // e_cblp: the DOS program is 128 bytes
    expect(u16(0x04)).toBe(1); // e_cp
    expect(u16(0x08)).toBe(4); // e_cparhdr: 64-byte header
    expect(u16(0x18)).toBe(0x40); // e_lfarlc
    expect(u32(0x3c)).toBe(0x80); // e_lfanew
    expect([...bytes.subarray(0x40, 0x4e)]).toEqual([0x0e, 0x1f, 0xba, 0x0e, 0x00, 0xb4, 0x09, 0xcd, 0x21, 0xb8, 0x01, 0x4c, 0xcd, 0x21]);
    expect(ascii(0x4e, 43)).toBe('This program cannot be run in DOS mode.\r\r\n$');
    expect(bytes.subarray(0x40, 0x80)).toEqual(dosStub());
  });

  it('has the COFF header at 0x84', () => {
    expect(ascii(0x80, 4)).toBe('PE\0\0');
    expect(u16(0x84)).toBe(0x014c); // Machine: i386
    expect(u16(0x86)).toBe(6); // .text .rdata .data .bss .idata .reloc
    expect(u32(0x88)).toBe(0); // TimeDateStamp: fixed
    expect(u32(0x8c)).toBe(0); // PointerToSymbolTable
    expect(u32(0x90)).toBe(0); // NumberOfSymbols
    expect(u16(0x94)).toBe(0xe0); // SizeOfOptionalHeader
    expect(u16(0x96)).toBe(0x0102); // EXECUTABLE_IMAGE | 32BIT_MACHINE, no RELOCS_STRIPPED, no DLL
  });

  it('has the optional header at 0x98', () => {
    expect(u16(0x98)).toBe(0x010b); // Magic: PE32
    expect(u32(0x9c)).toBe(0x200); // SizeOfCode
    expect(u32(0xa0)).toBe(0x2a00); // SizeOfInitializedData: .rdata .data .idata .reloc raw sizes
    expect(u32(0xa4)).toBe(0x2800); // SizeOfUninitializedData: .bss
    expect(u32(0xa8)).toBe(0x1000); // AddressOfEntryPoint
    expect(u32(0xac)).toBe(0x1000); // BaseOfCode
    expect(u32(0xb0)).toBe(0x2000); // BaseOfData
    expect(u32(0xb4)).toBe(0x00400000); // ImageBase
    expect(u32(0xb8)).toBe(0x1000); // SectionAlignment
    expect(u32(0xbc)).toBe(0x200); // FileAlignment
    expect([u16(0xc0), u16(0xc2)]).toEqual([5, 1]); // OS version
    expect([u16(0xc4), u16(0xc6)]).toEqual([0, 0]); // image version
    expect([u16(0xc8), u16(0xca)]).toEqual([5, 1]); // subsystem version
    expect(u32(0xcc)).toBe(0); // Win32VersionValue
    expect(u32(0xd0)).toBe(0xb000); // SizeOfImage
    expect(u32(0xd4)).toBe(0x400); // SizeOfHeaders
    expect(u16(0xdc)).toBe(1); // Subsystem: NATIVE
    expect(u16(0xde)).toBe(0x0040); // DllCharacteristics: DYNAMIC_BASE (it has relocations)
    expect([u32(0xe0), u32(0xe4), u32(0xe8), u32(0xec)]).toEqual([0x40000, 0x1000, 0x100000, 0x1000]); // stack, heap
    expect(u32(0xf0)).toBe(0); // LoaderFlags
    expect(u32(0xf4)).toBe(16); // NumberOfRvaAndSizes
  });

  it('has the checksum at 0xd8, computed with the field as zero', () => {
    const copy = bytes.slice();
    new DataView(copy.buffer).setUint32(0xd8, 0, true);
    expect(u32(0xd8)).toBe(peChecksum(copy));
    expect(u32(0xd8)).toBeGreaterThan(bytes.length); // the sum includes the file length
  });

  it('has the data directories at 0xf8', () => {
    const dir = (i: number) => [u32(0xf8 + 8 * i), u32(0xfc + 8 * i)];
    expect(dir(0)).toEqual([0, 0]); // export: none
    expect(dir(1)).toEqual([0x9000 + 4 * 5, 40]); // import: after the 5-slot IAT, 1 DLL + terminator
    expect(dir(5)[0]).toBe(0xa000); // basereloc: .reloc
    expect(dir(5)[1]).toBe(8 + 2 * 4 + 8 + 2 * 4 + 8 + 2 * 2 + 8 + 2 * 2); // 4 blocks: .text 3+pad, .data page 0: 4, page 1: 1+pad, page 2: 2
    expect(dir(12)).toEqual([0x9000, 20]); // IAT: 4 slots + terminator
    for (const i of [2, 3, 4, 6, 7, 8, 9, 10, 11, 13, 14, 15]) expect(dir(i)).toEqual([0, 0]);
  });

  it('has the section table at 0x178', () => {
    const row = (i: number) => {
      const at = 0x178 + 40 * i;
      return [ascii(at, 8).replace(/\0+$/, ''), u32(at + 8), u32(at + 12), u32(at + 16), u32(at + 20), u32(at + 36)];
    };
    // name, VirtualSize, VirtualAddress, SizeOfRawData, PointerToRawData, Characteristics
    expect(row(0)).toEqual(['.text', 0x40, 0x1000, 0x200, 0x400, 0x60000020]);
    expect(row(1)).toEqual(['.rdata', 28, 0x2000, 0x200, 0x600, 0x40000040]);
    expect(row(2)).toEqual(['.data', 0x2400, 0x3000, 0x2400, 0x800, 0xc0000040]);
    expect(row(3)).toEqual(['.bss', 0x2800, 0x6000, 0, 0, 0xc0000080]);
    expect(row(4).slice(2)).toEqual([0x9000, 0x200, 0x2c00, 0xc0000040]);
    expect(row(5).slice(2)).toEqual([0xa000, 0x200, 0x2e00, 0x42000040]);
    expect(bytes.subarray(0x178 + 40 * 6, 0x400).every((b) => b === 0)).toBe(true);
    expect(bytes.length).toBe(0x3000);
  });
});
