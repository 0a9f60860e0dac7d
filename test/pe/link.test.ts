// The PE linker (scripts/pe/link.ts): AssemblyScript programs linked as a
// native .exe and a DLL are read back by our reader and by `objdump -p`;
// imports and exports are exactly the program's; the entry point, import
// thunks and trap handler disassemble to what the linker promises; the
// relocation table is complete and exact (the same program linked at two
// bases differs only where a HIGHLOW relocation says, by the base delta);
// output is deterministic; a constant that is a shifted address is refused.

import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decoder, DecoderOptions, Formatter, FormatterSyntax } from 'iced-x86';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OH, REL_BASED_HIGHLOW, SUBSYSTEM_NATIVE } from '../../scripts/pe/format.ts';
import { buildUserImage, importDll, type PeLinkResult } from '../../scripts/pe/link.ts';
import { type PeImage, peRead } from '../../scripts/pe/reader.ts';
import { OBJDUMP, objdump, ourView, parseObjdump } from './objdump.ts';

const programs = join(__dirname, 'programs');
const tmp = mkdtempSync(join(tmpdir(), 'pe-link-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const EXE_BASE = 0x00400000, EXE_BASE2 = 0x01230000;
const DLL_BASE = 0x10000000, DLL_BASE2 = 0x7ff00000 - 0x100000;
const RUNTIME_IMPORTS = ['NtRaiseException', 'NtTerminateProcess']; // the trap handler's and the entry's

const built: Record<string, PeLinkResult> = {};
beforeAll(async () => {
  const jobs: [string, string, Parameters<typeof buildUserImage>[1]][] = [
    ['hello', 'hello.ts', { imageBase: EXE_BASE }],
    ['hello2', 'hello.ts', { imageBase: EXE_BASE2 }],
    ['mathlib', 'mathlib.ts', { kind: 'dll', imageBase: DLL_BASE }],
    ['mathlib2', 'mathlib.ts', { kind: 'dll', imageBase: DLL_BASE2 }],
  ];
  for (const [key, file, opts] of jobs) built[key] = await buildUserImage(join(programs, file), opts);
}, 300000);

const read = (key: string): PeImage => peRead(built[key].bytes);
const section = (img: PeImage, name: string) => img.sections.find((s) => s.name === name)!;
const u32 = (m: Uint8Array, at: number) => (m[at] | (m[at + 1] << 8) | (m[at + 2] << 16) | (m[at + 3] << 24)) >>> 0;

describe('an AssemblyScript program linked as a native .exe', () => {
  it('is read by our reader without warnings: sections, subsystem, checksum, entry in .text', () => {
    const img = read('hello');
    expect(img.warnings).toEqual([]);
    expect(img.isDll).toBe(false);
    expect(img.headers.subsystem).toBe(SUBSYSTEM_NATIVE);
    expect(img.headers.imageBase).toBe(EXE_BASE);
    expect(img.checksum.stored).not.toBe(0);
    expect(img.checksum.computed).toBe(img.checksum.stored);
    expect(img.sections.map((s) => s.name)).toEqual(['.data', '.bss', '.text', '.globals', '.idata', '.reloc']);
    const text = section(img, '.text');
    expect(img.headers.addressOfEntryPoint).toBeGreaterThanOrEqual(text.virtualAddress);
    expect(img.headers.addressOfEntryPoint).toBeLessThan(text.virtualAddress + text.virtualSize);
    expect(img.exports).toBeUndefined();
    // The static data starts at the memory base: image base + 0x1000, the first section.
    expect(built.hello.memoryBase).toBe(EXE_BASE + section(img, '.data').virtualAddress);
    // .data and .bss end at the heap's limit, a 64 KiB boundary from address 0.
    const bss = section(img, '.bss');
    expect((EXE_BASE + bss.virtualAddress + bss.virtualSize) % 0x10000).toBe(0);
  });

  it('imports exactly the ntdll functions it calls, and the runtime\'s two', () => {
    const img = read('hello');
    expect(img.imports.map((d) => d.dll)).toEqual(['ntdll.dll']);
    expect(img.imports[0].functions.map((f) => f.name)).toEqual(['NtQuerySystemTime', 'NtDisplayString', 'NtClose', ...RUNTIME_IMPORTS]);
    expect(importDll('ntdll')).toBe('ntdll.dll');
    expect(importDll('kernel32.dll')).toBe('kernel32.dll');
  });

  it('is the same file every time', async () => {
    const again = await buildUserImage(join(programs, 'hello.ts'), { imageBase: EXE_BASE });
    expect(Buffer.from(again.bytes).equals(Buffer.from(built.hello.bytes))).toBe(true);
  }, 60000);
});

describe('an AssemblyScript program linked as a DLL', () => {
  it('exports exactly its exported functions, each in .text, and DllMain is the entry', () => {
    const img = read('mathlib');
    expect(img.warnings).toEqual([]);
    expect(img.isDll).toBe(true);
    expect(img.headers.imageBase).toBe(DLL_BASE);
    expect(img.exports!.dllName).toBe('mathlib.dll');
    expect(img.exports!.names).toEqual(['add', 'check', 'classify', 'mul64', 'nameLength', 'startValue', 'yieldTwice']);
    expect(img.exports!.sorted).toBe(true);
    const text = section(img, '.text');
    for (const f of img.exports!.functions) {
      expect(f.rva).toBeGreaterThanOrEqual(text.virtualAddress);
      expect(f.rva).toBeLessThan(text.virtualAddress + text.virtualSize);
    }
    expect(new Set(img.exports!.functions.map((f) => f.rva)).size).toBe(7);
    expect(img.headers.addressOfEntryPoint).toBeGreaterThanOrEqual(text.virtualAddress);
    expect(img.imports.map((d) => [d.dll, d.functions.map((f) => f.name)])).toEqual([['ntdll.dll', ['NtYieldExecution', ...RUNTIME_IMPORTS]]]);
  });
});

/** Instructions of `code` (loaded at `ip`) as NASM text, until `count` (or a ud2 when `untilUd2`). */
function disassemble(code: Uint8Array, ip: number, count: number, untilUd2 = true): string[] {
  const dec = new Decoder(32, code, DecoderOptions.None);
  dec.ip = BigInt(ip);
  const fmt = new Formatter(FormatterSyntax.Nasm);
  const out: string[] = [];
  while (dec.canDecode && out.length < count) {
    const ins = dec.decode();
    out.push(fmt.format(ins));
    ins.free();
    if (untilUd2 && out[out.length - 1] === 'ud2') break;
  }
  dec.free(); fmt.free();
  return out;
}

describe('what the linker generates, disassembled', () => {
  const h = (v: number) => v.toString(16).toUpperCase() + 'h';
  const slot = (img: PeImage, fn: string) => img.headers.imageBase + img.imports[0].functions.find((f) => f.name === fn)!.iatRva;

  it('NtProcessStartup: instantiate, main, NtTerminateProcess(-1, 0) through the IAT', () => {
    const img = read('hello');
    const entry = img.headers.addressOfEntryPoint;
    const code = disassemble(img.mapped.subarray(entry), EXE_BASE + entry, 8);
    expect(code).toEqual([
      expect.stringMatching(/^call [0-9A-F]+h$/), expect.stringMatching(/^call [0-9A-F]+h$/),
      'push 0', 'push 0FFFFFFFFh', `call dword [${h(slot(img, 'NtTerminateProcess'))}]`, 'ud2',
    ]);
  });

  it('DllMain: instantiate on DLL_PROCESS_ATTACH only, returns TRUE and pops its three arguments', () => {
    const img = read('mathlib');
    const entry = img.headers.addressOfEntryPoint;
    const code = disassemble(img.mapped.subarray(entry), DLL_BASE + entry, 5);
    expect(code[0]).toBe('cmp dword [esp+8],1');
    expect(code[1]).toMatch(/^jne short [0-9A-F]+h$/);
    expect(code[2]).toMatch(/^call [0-9A-F]+h$/);
    expect(code.slice(3)).toEqual(['mov eax,1', 'ret 0Ch']);
  });

  it('every import is reached through a jmp dword [IAT slot] thunk', () => {
    for (const key of ['hello', 'mathlib']) {
      const img = read(key);
      const text = section(img, '.text');
      const all = disassemble(img.mapped.subarray(text.virtualAddress, text.virtualAddress + text.virtualSize), img.headers.imageBase + text.virtualAddress, 1e6, false);
      const slots = img.imports[0].functions.map((f) => img.headers.imageBase + f.iatRva);
      const indirect = all.filter((t) => /^(jmp|call) dword \[[0-9A-F]+h\]$/.test(t));
      // One thunk per program import; the runtime's two are called directly.
      const programImports = img.imports[0].functions.filter((f) => !RUNTIME_IMPORTS.includes(f.name!));
      for (const f of programImports) expect(indirect).toContain(`jmp dword [${h(img.headers.imageBase + f.iatRva)}]`);
      for (const t of indirect) expect(slots.map(h)).toContain(/\[([0-9A-F]+h)\]/.exec(t)![1]);
    }
  });
});

/** The image at base + delta that the relocations of `img` predict. */
function rebase(img: PeImage, delta: number): Uint8Array {
  const out = img.mapped.slice();
  for (const r of img.relocations) {
    expect(r.type).toBe(REL_BASED_HIGHLOW);
    const v = (u32(out, r.rva) + delta) >>> 0;
    out[r.rva] = v & 0xff; out[r.rva + 1] = (v >>> 8) & 0xff; out[r.rva + 2] = (v >>> 16) & 0xff; out[r.rva + 3] = v >>> 24;
  }
  return out;
}

describe('the relocation table is complete and exact', () => {
  for (const [a, b, base, base2] of [['hello', 'hello2', EXE_BASE, EXE_BASE2], ['mathlib', 'mathlib2', DLL_BASE, DLL_BASE2]] as const) {
    it(`${a}: linked at ${base.toString(16)} and ${base2.toString(16)}, every differing dword is a relocation site moved by the delta`, () => {
      const one = read(a), two = read(b);
      const delta = (base2 - base) >>> 0;
      expect(two.headers.sizeOfImage).toBe(one.headers.sizeOfImage);
      expect(two.sections).toEqual(one.sections);
      expect(two.relocations).toEqual(one.relocations);
      expect(two.headers.addressOfEntryPoint).toBe(one.headers.addressOfEntryPoint);
      expect(two.exports?.functions).toEqual(one.exports?.functions);
      const sites = one.relocations.map((r) => r.rva);
      expect(sites.length).toBe(built[a].relocations.length);
      expect(sites).toEqual(built[a].relocations);
      // Sites do not overlap, and each lies inside a section other than .reloc.
      for (let k = 1; k < sites.length; k++) expect(sites[k] - sites[k - 1]).toBeGreaterThanOrEqual(4);
      const inSection = (rva: number) => one.sections.find((s) => rva >= s.virtualAddress && rva + 4 <= s.virtualAddress + s.virtualSize);
      for (const r of sites) expect(inSection(r)?.name).not.toBe('.reloc');
      // Every site differs, by exactly the delta.
      for (const r of sites) expect(((u32(two.mapped, r) - u32(one.mapped, r)) >>> 0).toString(16)).toBe(delta.toString(16));
      // Every byte that differs past the headers lies in a site.
      const start = one.headers.sizeOfHeaders;
      const covered = new Uint8Array(one.mapped.length);
      for (const r of sites) covered.fill(1, r, r + 4);
      const stray: number[] = [];
      for (let i = start; i < one.mapped.length; i++) if (one.mapped[i] !== two.mapped[i] && !covered[i]) stray.push(i);
      expect(stray.map((i) => i.toString(16))).toEqual([]);
      // Said once more: applying the relocations to the first gives the second.
      expect(Buffer.from(rebase(one, delta).subarray(start)).equals(Buffer.from(two.mapped.subarray(start)))).toBe(true);
      // In the headers only ImageBase and CheckSum differ.
      const opt = one.headers.e_lfanew + 24;
      const headerDiffs = new Set<number>();
      for (let i = 0; i < start; i++) if (one.mapped[i] !== two.mapped[i]) headerDiffs.add(i - opt - ((i - opt) % 4));
      expect([...headerDiffs].every((f) => f === OH.ImageBase || f === OH.CheckSum)).toBe(true);
      // Relocations come from the code (labels, IAT slots, memory addresses) and the static data's pointers.
      const dataEnd = section(one, '.data').virtualAddress + section(one, '.data').virtualSize;
      expect(sites.filter((r) => r < dataEnd).length).toBeGreaterThan(0);
      expect(sites.filter((r) => inSection(r)?.name === '.text').length).toBeGreaterThan(10);
    });
  }

  it('refuses a constant that is an address shifted right (no relocation can fix it), naming the instruction', async () => {
    await expect(buildUserImage(join(programs, 'shifted.ts'))).rejects.toThrow(/link shifted\.exe: function \d+ \(.*main\): instruction \d+ .*: immediate 1 moves by 0x10000, not by the memory base's 0x100000: not relocatable/);
  }, 60000);

  it('refuses an .exe without main()', async () => {
    await expect(buildUserImage(join(programs, 'mathlib.ts'))).rejects.toThrow(/link mathlib\.exe: an \.exe exports main\(\)/);
  }, 60000);
});

describe('the CLI', () => {
  it('links a DLL at a given base to the same bytes as the API, and names its errors', () => {
    // scripts/tsx.mjs: tsx with binaryen loaded first (about 7 s of CPU less a run than `--import tsx`)
    const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', './scripts/tsx.mjs', 'scripts/pe/link.ts', ...args], { encoding: 'utf8' });
    const out = join(tmp, 'cli.dll');
    const r = cli(join(programs, 'mathlib.ts'), out, '--dll', '--base', '0x7fe00000', '--name', 'mathlib.dll');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/cli\.dll: \d+ bytes, dll at 0x7fe00000, entry 0x[0-9a-f]+, \d+ relocations, imports ntdll\.dll\(3\), exports add check classify/);
    expect(Buffer.from(readFileSync(out)).equals(Buffer.from(built.mathlib2.bytes))).toBe(true);
    const bad = cli(join(programs, 'mathlib.ts'), out, '--base', '0x12345');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/image base 0x00012345 is not a non-zero multiple of 64 KiB/);
    expect(cli('only-one-file.ts').stderr).toMatch(/^usage: npx tsx scripts\/pe\/link\.ts/);
  }, 180000);
});

describe(`objdump -p reads the linked images (${OBJDUMP ?? 'no objdump'})`, () => {
  for (const key of ['hello', 'hello2', 'mathlib', 'mathlib2']) {
    it(key, (ctx) => {
      if (!OBJDUMP) {
        console.log('skipped: no objdump that reads pei-i386 (apt-get install binutils, or binutils-mingw-w64-i686)');
        ctx.skip();
      }
      const file = join(tmp, `${key}.${key.startsWith('hello') ? 'exe' : 'dll'}`);
      writeFileSync(file, built[key].bytes);
      const { stdout, stderr } = objdump(file);
      expect(stderr).toBe('');
      expect(stdout).toContain('file format pei-i386');
      const theirs = parseObjdump(stdout);
      expect(theirs).toEqual(ourView(read(key)));
      expect(theirs.subsystem).toBe(SUBSYSTEM_NATIVE);
      expect(theirs.relocations.length).toBe(built[key].relocations.length);
    });
  }
});
