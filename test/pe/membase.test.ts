// How the PE linker finds the linear memory's addresses (scripts/pe/membase.ts):
// operands and data dwords that move with the memory base become relocatable,
// anything else that moves is refused with its place named; and rewriting a
// real program's addresses as symbols leaves the assembler's bytes unchanged
// (only the relocation list grows), so the kernel's and UIMG's code is as before.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileAssemblyScript } from '../../scripts/asc.ts';
import { memoryImage, PARTNER_DELTA, symbolizeMemoryAddresses } from '../../scripts/pe/membase.ts';
import { decodeModule } from '../../scripts/wasm2x86/decode.ts';
import { assemble } from '../../scripts/wasm2x86/emit.ts';
import { compileDecoded, type CompileOptions } from '../../scripts/wasm2x86/index.ts';
import { EAX, ECX, imm, mem, reg, type Insn, type Mnemonic } from '../../scripts/wasm2x86/x86.ts';
import type { Module } from '../../scripts/wasm2x86/wasm.ts';

const F = 0x00401000;
const I = (op: Mnemonic, ...ops: any[]): Insn => ({ op, ops });

describe('symbolizeMemoryAddresses', () => {
  it('turns immediates and displacements that move by the delta into memory-base symbols', () => {
    const at = (base: number) => [
      { op: 'label', target: 'f0' }, I('mov', reg(EAX), imm(base + 0x20)), I('mov', reg(ECX), mem(4, EAX, base + 8)),
      I('add', reg(EAX), imm(5)), I('push', imm(0, 'g1')), { op: 'dd', ops: [imm(base), imm(7)] },
    ] as Insn[];
    const out = symbolizeMemoryAddresses(at(F), at(F + PARTNER_DELTA), F, 'MB', 'test');
    expect(out[1].ops![1]).toEqual({ k: 'i', v: 0x20, sym: 'MB' });
    expect(out[2].ops![1]).toEqual({ k: 'm', s: 4, base: EAX, disp: 8, sym: 'MB' });
    expect(out[3]).toEqual(at(F)[3]);
    expect(out[4].ops![0]).toEqual({ k: 'i', v: 0, sym: 'g1' });
    expect(out[5].ops).toEqual([{ k: 'i', v: 0, sym: 'MB' }, { k: 'i', v: 7 }]);
  });

  it('refuses what moves otherwise, naming the function and instruction', () => {
    const a = [{ op: 'label', target: 'u_f3' }, { op: 'label', target: 'u_f3$L1' }, I('mov', reg(EAX), imm(F >>> 4))] as Insn[];
    const b = [{ op: 'label', target: 'u_f3' }, { op: 'label', target: 'u_f3$L1' }, I('mov', reg(EAX), imm((F + PARTNER_DELTA) >>> 4))] as Insn[];
    expect(() => symbolizeMemoryAddresses(a, b, F, 'MB', 'link x.exe', (l) => (l === 'u_f3' ? 'function 3 (f)' : undefined)))
      .toThrow('link x.exe: function 3 (f): instruction 2 (mov eax, 0x40100 vs mov eax, 0x50100): immediate 1 moves by 0x10000');
    expect(() => symbolizeMemoryAddresses([I('add', reg(EAX), imm(1))], [I('sub', reg(EAX), imm(1))], F, 'MB', 'w')).toThrow(/not the same instruction/);
    expect(() => symbolizeMemoryAddresses([I('nop')], [], F, 'MB', 'w')).toThrow(/differs in length/);
  });
});

describe('memoryImage', () => {
  const mod = (base: number, segs: [number, number[]][]): Module =>
    ({ datas: segs.map(([at, bytes]) => ({ mode: 'active', offset: [{ name: 'i32.const', i32: base + at }], bytes: new Uint8Array(bytes) })) }) as unknown as Module;
  const le = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];

  it('lays the segments out from the memory base and finds pointers, aligned or not', () => {
    const at = (base: number) => mod(base, [[4, [1, 2, 3, ...le(base + 0x40)]], [16, [...le(base), ...le(0x12345678), ...le(base + 0xfffc)]]]);
    const m = memoryImage(at(F), at(F + PARTNER_DELTA), F, 'test');
    expect(m.bytes.length).toBe(28);
    expect([...m.bytes.subarray(4, 7)]).toEqual([1, 2, 3]);
    expect(m.pointers).toEqual([7, 16, 24]);
  });

  it('finds a pointer that ends the data with its zero high byte dropped (the compiler trims trailing zeros)', () => {
    const at = (base: number) => mod(base, [[0, [9]], [8, le(base + 0x3770).slice(0, 3)]]);
    const m = memoryImage(at(F), at(F + PARTNER_DELTA), F, 'test');
    expect(m.pointers).toEqual([8]);
    expect(m.bytes.length).toBe(12);
    expect([...m.bytes.subarray(8, 12)]).toEqual(le(F + 0x3770));
  });

  it('refuses a dword that moves by something else, and a segment below the base', () => {
    const shifted = (base: number) => mod(base, [[0, le(base >>> 4)]]);
    expect(() => memoryImage(shifted(F), shifted(F + PARTNER_DELTA), F, 'link y.dll')).toThrow(/link y\.dll: the data at memory base \+ 0x2 .* not as a 32-bit pointer/);
    expect(() => memoryImage(mod(F, [[-4, [1]]]), mod(F + PARTNER_DELTA, [[-4, [1]]]), F, 'w')).toThrow(/below the memory base/);
  });
});

describe('a real program, symbolized', () => {
  it('assembles to the same bytes, with one more relocation per memory address', async () => {
    const file = join(__dirname, 'programs', 'hello.ts');
    const opts: CompileOptions = {
      prefix: 'u_', trapHandler: 'trap', stackLimit: 'fs:8', intrinsics: false, preloadedData: true,
      memoryEnd: { initialEnd: 'ie', limitEnd: 'le' }, resolveImport: (_m, n) => `imp_${n}`,
    };
    const [a, b] = await Promise.all([F, F + PARTNER_DELTA].map(async (base) =>
      compileDecoded(decodeModule((await compileAssemblyScript(file, ['--memoryBase', String(base)])).wasm), opts)));
    const stubs: Insn[] = ['trap', 'imp_abort', 'imp_NtDisplayString', 'imp_NtQuerySystemTime', 'imp_NtClose'].flatMap((l) => [{ op: 'label', target: l }, { op: 'ret' }]);
    const externals = new Map([['ie', 0x410000], ['le', 0x450000], ['MB', F]]);
    const plain = assemble([...a.insns, ...stubs], 0x450000, externals);
    const symbolized = symbolizeMemoryAddresses(a.insns, b.insns, F, 'MB', 'hello');
    const moved = symbolized.filter((x, i) => x !== a.insns[i]).length;
    const linked = assemble([...symbolized, ...stubs], 0x450000, externals);
    expect(Buffer.from(linked.code).equals(Buffer.from(plain.code))).toBe(true);
    expect(moved).toBeGreaterThan(5);
    expect(linked.relocs.length).toBeGreaterThanOrEqual(plain.relocs.length + moved);
    expect(new Set(plain.relocs).size).toBe(plain.relocs.length);
    for (const r of plain.relocs) expect(linked.relocs).toContain(r);
  }, 60000);
});
