// Native programs built by MinGW-w64 (test/mingw/*.c, linked with MinGW's
// own libntdll.a) run on our kernel with our ntdll.dll: the disk carries
// them in \mingw and the real ntdll.dll in \Windows\System32, and a boot
// module (programs/mingwrun.ts) starts each one and reports its exit status.
// The images are also read by `objdump -p` and by our PE reader, which must
// agree. Without i686-w64-mingw32-gcc every test is skipped with that reason.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { boot } from '../../emulator/node/boot.ts';
import { buildDisk, listDisk } from '../../images/build.ts';
import { system32Files } from '../../images/system32.ts';
import { peRead } from '../../scripts/pe/reader.ts';
import { SUBSYSTEM_NATIVE } from '../../scripts/pe/format.ts';
import { mingwPrograms } from '../mingw/build.ts';
import { OBJDUMP, ourView, parseObjdump } from '../pe/objdump.ts';
import { msg, program } from './usermode.ts';

const built = mingwPrograms();
const missing = 'missing' in built ? built.missing : undefined;
const images = 'images' in built ? built.images : new Map<string, Uint8Array>();
const PROGRAMS = ['hello', 'files', 'registry', 'spawn', 'critsect'];

/** Skips the test (with the reason printed) when MinGW is not installed. */
function needMingw(ctx: { skip: () => void }): void {
  if (missing) {
    console.log(`skipped: ${missing}`);
    ctx.skip();
  }
}

describe('MinGW-w64 native programs run on our kernel and ntdll.dll', () => {
  let all: string[] = [];
  let disk: Uint8Array | undefined;
  const of = (name: string) => all.filter((l) => l.startsWith(`${name}: `)).map((l) => l.slice(name.length + 2));

  beforeAll(async () => {
    if (missing) return;
    const files = new Map<string, Uint8Array>(await system32Files());
    for (const [name, bytes] of images) files.set(`\\mingw\\${name}`, bytes);
    const { kernelImage } = await buildKernel({ bootModules: [{ name: 'mingwrun', bytes: await program('mingwrun') }], write: false });
    const r = await boot({
      kernel: kernelImage, disk: buildDisk({ files }), until: 'ke: idle loop', timeoutMs: 120000,
      onDiskDone: (image) => { disk = image; },
    });
    all = msg(r.lines);
    if (process.env.MINGW_LOG) console.log(all.join('\n'));
    expect(r.stop, all.join('\n')).toBeUndefined();
    expect(r.reached, all.join('\n')).toBe(true);
  }, 180000);

  const expectLines = (name: string, want: string[]) => {
    const got = of(name);
    for (const w of want) expect(got, `${name}: ${w}\n${all.join('\n')}`).toContain(w);
  };

  it('runs each program to its end with the exit status it chose', (ctx) => {
    needMingw(ctx);
    const exits = of('mingwrun').filter((l) => !l.startsWith('available pages'));
    // registry.exe runs first once more: it builds the SYSTEM hive keys it opens (kept for the hive's life).
    expect(exits, all.join('\n')).toEqual(['registry exit 0x00000000', 'hello exit 0x00001234', 'files exit 0x00000000',
      'registry exit 0x00000000', 'spawn exit 0x00000000', 'critsect exit 0x00000000', 'done']);
    for (const [name, status] of [['hello', '0x00001234'], ['files', '0x00000000'], ['registry', '0x00000000'], ['spawn', '0x00000000'], ['critsect', '0x00000000']]) {
      expect(all.filter((l) => new RegExp(`^ps: process \\d+ \\(${name}\\) exited with status ${status}$`).test(l)).length, name)
        .toBeGreaterThanOrEqual(1);
    }
    expect(all.filter((l) => l.startsWith('LDR: ') || /: LDR: /.test(l)), 'no loader complaints').toEqual([]);
  });

  it('gives back every page the programs and their children used', (ctx) => {
    needMingw(ctx);
    // Counted by mingwrun around the five programs, after registry.exe's first run has built the
    // registry keys it opens (the hive keeps a key once built, as NT keeps its key control blocks).
    const pages = /^available pages (\d+) before the programs, (\d+) after$/.exec(of('mingwrun').find((l) => l.startsWith('available pages')) ?? '');
    expect(pages, all.join('\n')).not.toBeNull();
    expect(Number(pages![1])).toBeGreaterThan(1000);
    expect(Number(pages![2])).toBe(Number(pages![1]));
    // The kernel's own count around the whole boot module: what it does not get back is no more than
    // the registry's first-use keys (a few pool pages), never a process's pages.
    const kernel = /free pages (\d+) before them, (\d+) after/.exec(all.find((l) => l.startsWith('ps: free pages')) ?? '');
    expect(kernel, all.join('\n')).not.toBeNull();
    expect(Number(kernel![1]) - Number(kernel![2])).toBeLessThanOrEqual(4);
  });

  it('hello: NtDisplayString, its PEB, the parameters its creator wrote, DbgPrint', (ctx) => {
    needMingw(ctx);
    // Started twice: by mingwrun, then by spawn through RtlCreateUserProcess.
    const block = [
      'Hello from MinGW',
      'peb argument is fs:[0x30]',
      'image base 0x00400000 (ours)',
    ];
    expect(of('hello'), all.join('\n')).toEqual([
      ...block,
      'parameters flags 0x00000001 image C:\\mingw\\hello.exe',
      'command line hello.exe',
      'DbgPrint: text -42 7 0x0000CAFE ok wide! %',
      ...block,
      'parameters flags 0x00000001 image \\??\\C:\\mingw\\hello.exe',
      'command line hello.exe --from spawn',
      'DbgPrint: text -42 7 0x0000CAFE ok wide! %',
    ]);
  });

  it('files: create, write, size, seek, read back, delete, gone', (ctx) => {
    needMingw(ctx);
    const n = 'Written by MinGW through NtWriteFile.'.length;
    expect(of('files'), all.join('\n')).toEqual([
      'create 0x00000000 information 2',
      `write 0x00000000 bytes ${n}`,
      `standard 0x00000000 size ${n} links 1 delete pending 0 directory 0 returned 24`,
      `position 0x00000000 at ${n}`,
      'seek 0x00000000',
      `read 0x00000000 bytes ${n} same`,
      'read at the end 0xC0000011',
      'read at 11 0x00000000 bytes 5 "MinGW"',
      'close 0x00000000',
      'attributes 0x00000000 0x00000020',
      'open for delete 0x00000000',
      'disposition 0x00000000',
      'close 0x00000000',
      'gone 0xC0000034',
      'create second 0x00000000',
      'delete second 0x00000000',
      'second gone 0xC0000034',
      'done, first failed check at line 0',
    ]);
  });

  it('files: the volume the guest left has neither file', (ctx) => {
    needMingw(ctx);
    expect(disk).toBeDefined();
    const paths = listDisk(disk!);
    expect(paths.filter((p) => /mingw\d?\.txt/i.test(p))).toEqual([]);
    // The programs are still there, untouched.
    for (const [name, bytes] of images) expect(paths).toContain(`\\mingw\\${name}  ${bytes.length}`);
  });

  it('registry: NtOpenKey/NtQueryValueKey and RtlQueryRegistryValues read SYSTEM.reg\'s values', (ctx) => {
    needMingw(ctx);
    const run = [
      'open Environment 0x00000000',
      'OS 0x00000000 type 1 length 22 result 34 = Windows_NT',
      'open Session Manager 0x00000000',
      'CriticalSectionTimeout 0x00000000 type 4 length 4 = 0x00278D00',
      'header only 0x80000005 result 16',
      'too small 0xC0000023 result 16',
      'missing 0xC0000034',
      'query direct 0x00000000 CriticalSectionTimeout 0x00278D00 GlobalFlag 0x00000000',
      'query string 0x00000000 length 16 = NTWASM86',
      'routine value AUX type 1 length 34 = \\DosDevices\\COM1 entry context ok',
      'routine value NUL type 1 length 26 = \\Device\\Null entry context ok',
      'routine value PRN type 1 length 34 = \\DosDevices\\LPT1 entry context ok',
      'routine value COM1 type 1 length 32 = \\Device\\Serial0 entry context ok',
      'query routine 0x00000000 values 4',
      'done, first failed check at line 0',
    ];
    // Two runs (the first builds the keys), each reading the same values.
    expect(of('registry'), all.join('\n')).toEqual([...run, ...run]);
  });

  it('spawn: RtlCreateProcessParameters, RtlCreateUserProcess, resume, wait, exit status', (ctx) => {
    needMingw(ctx);
    const lines = of('spawn');
    expect(lines.length, all.join('\n')).toBe(10);
    expect(lines[0]).toMatch(/^parameters 0x00000000 length 0x[0-9A-F]{8} flags 0x00000000 image length 44 offsets$/);
    expect(lines[1]).toMatch(/^create 0x00000000 length 0x00000044 subsystem 1 entry 0x004[0-9A-F]{5}$/);
    expect(lines.slice(2)).toEqual([
      'child pid nonzero tid nonzero',
      'resume 0x00000000 previous count 1',
      'wait 0x00000000',
      'basic information 0x00000000 returned 24 child exit status 0x00001234',
      'destroy parameters 0x00000000',
      'close thread 0x00000000',
      'close process 0x00000000',
      'done, first failed check at line 0',
    ]);
  });

  it('critsect: four threads on one critical section and the process heap: every increment kept, never two inside, every block intact', (ctx) => {
    needMingw(ctx);
    expect(of('critsect'), all.join('\n')).toEqual([
      'counter 4000 of 4000',
      'overlaps 0 recursions 64 heap errors 0',
      'heap valid 1',
      'contended yes',
      'after: lock count 0 recursion 0 owner 0x00000000',
      'done, first failed check at line 0',
    ]);
  });
});

describe('MinGW-w64 images as binutils and our reader see them', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'mingw-objdump-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  for (const name of PROGRAMS) {
    it(`${name}.exe: objdump -p without a warning, the same view as peRead, imports only from ntdll.dll`, (ctx) => {
      needMingw(ctx);
      if (!OBJDUMP) {
        console.log('skipped: no objdump that reads pei-i386 (apt-get install binutils, or binutils-mingw-w64-i686)');
        ctx.skip();
      }
      const bytes = images.get(`${name}.exe`)!;
      const file = join(tmp, `${name}.exe`);
      writeFileSync(file, bytes);
      const r = spawnSync(OBJDUMP!, ['-p', file], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toContain('file format pei-i386');
      const img = peRead(bytes);
      expect(img.warnings).toEqual([]);
      expect(img.headers.subsystem).toBe(SUBSYSTEM_NATIVE);
      expect(img.imports.map((d) => d.dll)).toEqual(['ntdll.dll']);
      expect(parseObjdump(r.stdout)).toEqual(ourView(img));
      expect(img.checksum.computed).toBe(img.checksum.stored);
    });
  }
});
