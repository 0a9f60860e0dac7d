// Image sections (kernel/mm/image.ts) on real emulated hardware: PE32 files
// built by our writer (scripts/pe, test/pe/samples.ts) are put on the disk,
// and a ring-3 program (programs/imagesec.ts) makes image sections of them,
// queries them, maps views and checks what it finds; damaged copies are
// refused with the NTSTATUS Windows gives and a log line naming the rule.

import { beforeAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { boot } from '../../emulator/node/boot.ts';
import { buildDisk } from '../../images/build.ts';
import { peRead } from '../../scripts/pe/reader.ts';
import { helloImage, ntdllImage } from '../pe/tiny.ts';
import { sampleExe } from '../pe/samples.ts';
import { msg, program } from './usermode.ts';

const BASE = 0x10000000;

/** The good image and the damaged copies, by file name. */
function images(): Map<string, Uint8Array> {
  const good = sampleExe({ imageBase: BASE }).bytes;
  const nt = new DataView(good.buffer, good.byteOffset).getUint32(60, true);
  const copy = (patch: (b: Uint8Array, dv: DataView) => void) => {
    const b = new Uint8Array(good);
    patch(b, new DataView(b.buffer));
    return b;
  };
  const optional = nt + 24;
  const table = optional + new DataView(good.buffer, good.byteOffset).getUint16(nt + 20, true);
  const files = new Map<string, Uint8Array>([
    ['good.exe', good],
    ['notmz.exe', copy((b) => { b[0] = 0x4e; })],
    ['badsig.exe', copy((b) => { b[nt] = 0x58; })],
    ['machine.exe', copy((_, dv) => dv.setUint16(nt + 4, 0x8664, true))],
    ['pe64.exe', copy((_, dv) => dv.setUint16(optional, 0x20b, true))],
    ['truncated.exe', good.slice(0, 0x180)],
    ['pastend.exe', copy((_, dv) => dv.setUint32(table + 40 + 20, good.length - 0x10, true))], // .rdata's raw data runs past the end
    ['overlap.exe', copy((_, dv) => dv.setUint32(table + 40 + 12, dv.getUint32(table + 12, true), true))], // .rdata at .text's address
    ['entry.exe', copy((_, dv) => dv.setUint32(optional + 16, 0x00f00000, true))],
    ['empty.exe', new Uint8Array(0)],
  ]);
  return new Map([...files].map(([n, b]) => [`\\Images\\${n}`, b]));
}

describe('image sections from ring 3', () => {
  let lines: string[] = [];
  let all: string[] = [];
  const good = sampleExe({ imageBase: BASE }).bytes;
  const pe = peRead(good);

  beforeAll(async () => {
    const { kernelImage } = await buildKernel({ bootModules: [{ name: 'imagesec', bytes: await program('imagesec') }], write: false });
    const r = await boot({ kernel: kernelImage, disk: buildDisk({ files: images() }), until: 'ke: idle loop', timeoutMs: 60000 });
    expect(r.stop).toBeUndefined();
    all = msg(r.lines);
    lines = all.filter((l) => l.startsWith('imagesec: ')).map((l) => l.slice(10));
  }, 120000);

  const h = (n: number) => `0x${(n >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
  const has = (want: string) => expect(lines.some((l) => l.startsWith(want)), `${want}\n${lines.join('\n')}`).toBe(true);

  it('makes a section from a PE32 file and answers NtQuerySection as Windows lays it out', () => {
    has('good section 0x00000000');
    const o = pe.headers;
    has(`image info 0x00000000 entry ${h(BASE + o.addressOfEntryPoint)} stack ${h(o.sizeOfStackReserve)} commit ${h(o.sizeOfStackCommit)}`);
    has(`image info subsystem 0x00000001 version ${h(o.subsystemVersion[0])} characteristics ${h(o.characteristics)} machine 0x0000014C`);
    has(`image info code 0x00000001 file size ${h(good.length)} result 0x00000030`);
    has(`basic info 0x00000000 attributes 0x01800000 size ${h(Math.ceil(o.sizeOfImage / 4096) * 4096)}`);
    has('short buffer 0xC0000004');
    has('bad class 0xC0000003');
    has('data section 0x00000000');
    has('image info of data 0xC0000049');
  });

  it('maps the image at its base with each section\'s protection, and data pages private to each view', () => {
    const size = Math.ceil(pe.headers.sizeOfImage / 4096) * 4096;
    has(`map 0x00000000 at ${h(BASE)} size ${h(size)}`);
    // The first bytes of .text as the file has them.
    const text = pe.sections.find((s) => s.name === '.text')!;
    const textWord = new DataView(good.buffer, good.byteOffset).getUint32(text.pointerToRawData, true);
    has(`headers 0x00005A4D text ${h(textWord)}`);
    // Headers, .text and .rdata are read-only (x86 without NX has no execute-only
    // distinction, so .text reads as PAGE_READONLY too); .data and .bss are private, writable.
    const dataSection = pe.sections.find((s) => s.name === '.data')!;
    const writableStart = dataSection.virtualAddress;
    let writableEnd = writableStart; // the run of writable sections from .data on (.data, .bss, .idata)
    for (const sec of pe.sections.slice(pe.sections.indexOf(dataSection))) {
      if (!(sec.characteristics & 0x80000000)) break;
      writableEnd = sec.virtualAddress + Math.ceil(Math.max(sec.virtualSize, 1) / 4096) * 4096;
    }
    has(`headers region 0x00000000 base ${h(BASE)} allocation ${h(BASE)} size ${h(writableStart)} protect 0x00000002 type 0x01000000`);
    has(`text region 0x00000000 base ${h(BASE + 0x1000)} allocation ${h(BASE)} size ${h(writableStart - 0x1000)} protect 0x00000002 type 0x01000000`);
    has(`data region 0x00000000 base ${h(BASE + writableStart)} allocation ${h(BASE)} size ${h(writableEnd - writableStart)} protect 0x00000004 type 0x01000000`);
    // .data's first word as the file has it (the kernel does not relocate).
    const word = h(new DataView(good.buffer, good.byteOffset).getUint32(dataSection.pointerToRawData, true));
    has(`data word ${word}`);
    has('second map 0x40000003 elsewhere 0x00000001');
    has(`second data word ${word} first now 0x12345678`);
    has('unmap second 0x00000000');
    has('unmap first 0x00000000');
  });

  it('refuses bad images with Windows\' statuses and a log line naming the rule', () => {
    for (const want of [
      'without execute access 0xC0000022', 'not mz 0xC000012F', 'bad signature 0xC0000130', 'wrong machine 0xC000007B',
      'pe32+ 0xC000035A', 'truncated 0xC000007B', 'section past the end 0xC000007B', 'overlapping sections 0xC000007B',
      'entry outside 0xC000007B', 'empty file 0xC000012F', 'done 0x00000000',
    ]) has(want);
    for (const rule of ['R1: no MZ header', 'R3: no PE signature', 'R6: not an i386 image', 'R5: a PE32+ (64-bit) image',
      'R15: raw data past the end of the file or overlapping', 'R13: sections out of order, not contiguous or empty', 'R16: entry point outside the sections']) {
      expect(all.some((l) => l.startsWith(`mm: image section refused: ${rule}, status 0x`)), rule).toBe(true);
    }
  });

  it('leaks nothing: the pool and the pages come back', () => {
    const ended = all.find((l) => l.startsWith('ps: boot processes ended'))!;
    const m = /pool in use (\d+) bytes before them, (\d+) after/.exec(ended)!;
    expect(Number(m[2])).toBe(Number(m[1]));
    const pages = /free pages (\d+) before them, (\d+) after/.exec(all.find((l) => l.startsWith('ps: free pages'))!)!;
    expect(Number(pages[2])).toBe(Number(pages[1]));
  });
});

describe('a process from a PE32 file', () => {
  it('starts its thread in ntdll.dll\'s LdrInitializeThunk, which continues into the program', async () => {
    const { kernelImage } = await buildKernel({ bootModules: [{ name: 'spawner', bytes: await program('spawner') }], write: false });
    const disk = buildDisk({ files: new Map([['\\Images\\hello.exe', helloImage()], ['\\Windows\\System32\\ntdll.dll', ntdllImage()]]) });
    const r = await boot({ kernel: kernelImage, disk, until: 'ke: idle loop', timeoutMs: 60000 });
    expect(r.stop).toBeUndefined();
    const all = msg(r.lines);
    expect(all).toContain('ps: \\SystemRoot\\System32\\ntdll.dll: mapped into every image process at 0x7C900000, threads start at LdrInitializeThunk 0x7C901000');
    const order = ['hello: LdrInitializeThunk, continuing into the program', 'hello: Hello from a PE image'];
    expect(all.filter((l) => order.includes(l))).toEqual(order);
    expect(all).toContain('spawner: exit status 0x00001234');
  }, 120000);


  it('runs the image at its entry point with a PEB that describes it', async () => {
    const { kernelImage } = await buildKernel({ bootModules: [{ name: 'spawner', bytes: await program('spawner') }], write: false });
    const disk = buildDisk({ files: new Map([['\\Images\\hello.exe', helloImage()]]) });
    const r = await boot({ kernel: kernelImage, disk, until: 'ke: idle loop', timeoutMs: 60000 });
    expect(r.stop).toBeUndefined();
    const all = msg(r.lines);
    const lines = all.filter((l) => l.startsWith('spawner: ')).map((l) => l.slice(9));
    for (const want of ['open 0x00000000', 'section 0x00000000', 'process 0x00000000', 'image info 0x00000000', 'stack 0x00000000',
      'thread 0x00000000', 'wait 0x00000000', 'exit status 0x00001234', 'read peb 0x00000000',
      'peb image base 0x00400000 processors 1 os 5.2.3790 platform 2 subsystem 1',
      'continue from a kernel pointer 0xC0000005', 'continue into the kernel 0xC000000D', 'done 0x00000000',
      // ProcessImageFileName: the file's device and path, NT's form; too short a buffer says what it needs; a boot module has none.
      `child image name short 0xC0000004 needs ${8 + 2 * '\\Device\\Harddisk0\\Partition1\\Images\\hello.exe'.length + 2}`,
      'child image name 0x00000000 length 90 buffer inside 1 [\\Device\\Harddisk0\\Partition1\\Images\\hello.exe]',
      'self image name short 0x00000000 needs 8', 'self image name 0x00000000 length 0 buffer inside 0 []']) {
      expect(lines, `${want}\n${all.join('\n')}`).toContain(want);
    }
    expect(all.find((l) => / \(hello\.exe\) created from its image at 0x00400000, entry 0x00401000, parent \d+, session \d+$/.test(l))).toBeDefined();
    expect(all).toContain('hello: Hello from a PE image'); // the log names a process without its extension
    expect(all.find((l) => /^ps: process \d+ \(hello\) exited with status 0x00001234$/.test(l))).toBeDefined();
  }, 120000);
});
