// Interop of the PE32 writer and reader with GNU binutils and MinGW:
// - `objdump -p` (Debian binutils when it knows pei-i386, else MinGW's
//   i686-w64-mingw32-objdump) reads every image we write without a word on
//   stderr and sees the same image base, entry, subsystem, imports, exports
//   and relocations as our reader;
// - our reader parses a native program built by MinGW gcc/ld (linked against
//   an ntdll import library made by dlltool from a .def file) and finds its
//   imports, relocations and the checksum ld stored.
// Each test is skipped, with the missing tool named, when it is not installed.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SUBSYSTEM_NATIVE } from '../../scripts/pe/format.ts';
import { peRead } from '../../scripts/pe/reader.ts';
import { peWrite } from '../../scripts/pe/writer.ts';
import { sampleDll, sampleExe } from './samples.ts';
import { has, OBJDUMP, objdump, ourView, parseObjdump } from './objdump.ts';

const tmp = mkdtempSync(join(tmpdir(), 'pe-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));


const minimal = peWrite({ sections: [{ name: '.text', kind: 'text', data: new Uint8Array([0x31, 0xc0, 0xc3]) }], entry: 0x1000 }).bytes;
const manyPages = peWrite({
  sections: [{ name: '.text', kind: 'text', data: new Uint8Array([0xc3]) }, { name: '.data', kind: 'data', data: new Uint8Array(0x5000) }],
  entry: 0x1000,
  relocations: Array.from({ length: 40 }, (_, i) => ({ section: '.data', offset: i * 0x200 })),
}).bytes;
const images: [string, Uint8Array][] = [
  ['sample.exe', sampleExe().bytes],
  ['sample.dll', sampleDll().bytes],
  ['minimal.exe', minimal],
  ['relocs.exe', manyPages],
];

describe(`objdump -p reads our images (${OBJDUMP ?? 'no objdump'})`, () => {
  for (const [name, bytes] of images) {
    it(name, (ctx) => {
      if (!OBJDUMP) {
        console.log('skipped: no objdump that reads pei-i386 (apt-get install binutils, or binutils-mingw-w64-i686)');
        ctx.skip();
      }
      const file = join(tmp, name);
      writeFileSync(file, bytes);
      const { stdout, stderr } = objdump(file);
      expect(stderr).toBe('');
      expect(stdout).toContain('file format pei-i386');
      const theirs = parseObjdump(stdout);
      const ours = ourView(peRead(bytes));
      expect(theirs).toEqual(ours);
      expect(theirs.subsystem).toBe(SUBSYSTEM_NATIVE);
    });
  }

  it('sees what the samples were written with', (ctx) => {
    if (!OBJDUMP) {
      console.log('skipped: no objdump that reads pei-i386 (apt-get install binutils, or binutils-mingw-w64-i686)');
      ctx.skip();
    }
    writeFileSync(join(tmp, 'check.dll'), sampleDll().bytes);
    const dll = parseObjdump(objdump(join(tmp, 'check.dll')).stdout);
    expect(dll.exportDll).toBe('sample.dll');
    expect(dll.exportOrdinalBase).toBe(5);
    expect(dll.exports[7]).toEqual({ forwarder: 'NTDLL.RtlAllocateHeap', name: 'RtlAllocateHeap' });
    expect(dll.exports[12]).toEqual({ rva: 0x1010 });
    writeFileSync(join(tmp, 'check.exe'), sampleExe().bytes);
    const exe = parseObjdump(objdump(join(tmp, 'check.exe')).stdout);
    expect(exe.imports).toEqual({ 'ntdll.dll': ['NtDisplayString', 'NtClose', 42, 'NtTerminateProcess'] });
    expect(exe.imageBase).toBe(0x400000);
    expect(exe.entry).toBe(0x1000);
    expect(exe.relocations).toHaveLength(3 + 7); // three IAT calls in .text, seven pointers in .data
  });
});

describe('a native program built by MinGW', () => {
  const tools = ['i686-w64-mingw32-gcc', 'i686-w64-mingw32-dlltool'];

  function build(): Uint8Array {
    const dir = mkdtempSync(join(tmp, 'mingw-'));
    // An import library for three ntdll exports (stdcall names, as the DDK declares them).
    writeFileSync(join(dir, 'ntdll.def'), 'LIBRARY ntdll.dll\nEXPORTS\nNtClose@4\nNtTerminateProcess@8\nNtDisplayString@4\n');
    writeFileSync(join(dir, 'prog.c'), [
      'typedef long NTSTATUS; typedef void *HANDLE;',
      'typedef struct { unsigned short Length, MaximumLength; unsigned short *Buffer; } UNICODE_STRING;',
      '__declspec(dllimport) NTSTATUS __stdcall NtDisplayString(UNICODE_STRING *);',
      '__declspec(dllimport) NTSTATUS __stdcall NtClose(HANDLE);',
      '__declspec(dllimport) NTSTATUS __stdcall NtTerminateProcess(HANDLE, NTSTATUS);',
      'static unsigned short text[] = { \'h\', \'i\', \'\\n\' };',
      'UNICODE_STRING message = { sizeof text, sizeof text, text }; /* an absolute pointer: a relocation */',
      'void __stdcall NtProcessStartup(void *peb) {',
      '  NtDisplayString(&message); NtClose(peb); NtTerminateProcess((HANDLE)-1, 0);',
      '}',
    ].join('\n'));
    execFileSync('i686-w64-mingw32-dlltool', ['-d', 'ntdll.def', '-l', 'libntdll.a', '-k'], { cwd: dir, stdio: 'pipe' });
    execFileSync('i686-w64-mingw32-gcc', [
      '-O2', '-nostdlib', '-ffreestanding', '-Wl,--subsystem,native', '-e', '_NtProcessStartup@4',
      'prog.c', '-L.', '-lntdll', '-o', 'prog.exe',
    ], { cwd: dir, stdio: 'pipe' });
    return readFileSync(join(dir, 'prog.exe'));
  }

  it('is read by our reader: imports, subsystem, relocations, ld\'s checksum', (ctx) => {
    const missing = tools.filter((t) => !has(t));
    if (missing.length) {
      console.log(`skipped: ${missing.join(', ')} not installed (apt-get install gcc-mingw-w64-i686)`);
      ctx.skip();
    }
    const bytes = build();
    const img = peRead(bytes);
    expect(img.headers.subsystem).toBe(SUBSYSTEM_NATIVE);
    expect(img.imports.map((d) => d.dll)).toEqual(['ntdll.dll']);
    expect(img.imports[0].functions.map((f) => f.name).sort()).toEqual(['NtClose', 'NtDisplayString', 'NtTerminateProcess']);
    expect(img.relocations.length).toBeGreaterThan(0);
    // GNU ld stores the checksum: a known value computed by another implementation.
    expect(img.checksum.stored).not.toBe(0);
    expect(img.checksum.computed).toBe(img.checksum.stored);
    expect(img.warnings).toEqual([]);
    // The entry point is NtProcessStartup, in .text.
    const text = img.sections.find((s) => s.name === '.text')!;
    expect(img.headers.addressOfEntryPoint).toBeGreaterThanOrEqual(text.virtualAddress);
    if (OBJDUMP) {
      writeFileSync(join(tmp, 'mingw.exe'), bytes);
      expect(parseObjdump(objdump(join(tmp, 'mingw.exe')).stdout)).toEqual(ourView(img));
    }
  });

  it('links against a DLL we wrote (GNU ld reads our export table)', (ctx) => {
    if (!has('i686-w64-mingw32-gcc')) {
      console.log('skipped: i686-w64-mingw32-gcc not installed (apt-get install gcc-mingw-w64-i686)');
      ctx.skip();
    }
    const dir = mkdtempSync(join(tmp, 'link-'));
    writeFileSync(join(dir, 'sample.dll'), sampleDll().bytes);
    writeFileSync(join(dir, 'use.c'), 'extern void NtClose(void), DbgPrint(void);\nvoid start(void) { NtClose(); DbgPrint(); }\n');
    execFileSync('i686-w64-mingw32-gcc', [
      '-nostdlib', '-ffreestanding', '-Wl,--subsystem,native', '-e', '_start', 'use.c', 'sample.dll', '-o', 'use.exe',
    ], { cwd: dir, stdio: 'pipe' });
    const img = peRead(readFileSync(join(dir, 'use.exe')));
    expect(img.imports.map((d) => d.dll)).toEqual(['sample.dll']);
    // ld takes each hint from our sorted name pointer table: DbgPrint is name 0, NtClose name 1.
    const names = peRead(sampleDll().bytes).exports!.names;
    expect(img.imports[0].functions.map((f) => [f.name, f.hint]).sort()).toEqual(
      ['DbgPrint', 'NtClose'].map((n) => [n, names.indexOf(n)]),
    );
  });
});
