// The wasm decoder (scripts/wasm2x86/decode.ts). Modules are written as WAT,
// assembled by wabt, decoded, and checked field by field against what the
// text says (and, where it can, against Node's own WebAssembly reader).
// Malformed binaries are built byte by byte so the failing offset is known.

import { beforeAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { decodeModule } from '../../scripts/wasm2x86/decode.ts';
import { WasmDecodeError, type Instr, type Module } from '../../scripts/wasm2x86/wasm.ts';

type Wabt = Awaited<ReturnType<typeof import('wabt')>>;
let wabt: Wabt;
beforeAll(async () => {
  wabt = await (await import('wabt')).default();
});

function wat2wasm(text: string): Uint8Array {
  const m = wabt.parseWat('t.wat', text, { bulk_memory: true, reference_types: true, sat_float_to_int: true, multi_value: true });
  try {
    return m.toBinary({ write_debug_names: true }).buffer;
  } finally {
    m.destroy();
  }
}

/** Node's own reading of a module (copied: WebAssembly wants an ArrayBuffer-backed view). */
const nodeModule = (b: Uint8Array) => new WebAssembly.Module(new Uint8Array(b));

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const bin = (...bytes: number[]) => new Uint8Array([...HEADER, ...bytes]);

/** The decode error thrown for `bytes` (fails the test when none is thrown). */
function decodeError(bytes: Uint8Array): WasmDecodeError {
  try {
    decodeModule(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(WasmDecodeError);
    const err = e as WasmDecodeError;
    expect(err.message).toContain(`(at byte 0x${err.pos.toString(16)})`);
    return err;
  }
  throw new Error('decodeModule accepted a malformed module');
}

describe('decodeModule: imports of every kind', () => {
  const WAT = `(module
    (type $binop (func (param i32 i32) (result i32)))
    (type $void (func))
    (import "env" "add" (func $add (type $binop)))
    (import "env" "tick" (func $tick (type $void)))
    (import "env" "table" (table 2 10 funcref))
    (import "env" "memory" (memory 1 256))
    (import "env" "counter" (global $counter (mut i32)))
    (import "math" "pi" (global $pi f64))
    (func $own (export "own") (type $binop)
      (call $tick)
      (call $add (local.get 0) (global.get $counter)))
    (export "mem" (memory 0))
    (export "pi" (global $pi)))`;
  let mod: Module;
  let bytes: Uint8Array;
  beforeAll(() => {
    bytes = wat2wasm(WAT);
    mod = decodeModule(bytes);
  });

  it('types', () => {
    expect(mod.types).toEqual([{ params: ['i32', 'i32'], results: ['i32'] }, { params: [], results: [] }]);
  });

  it('imports, in order, with their descriptors', () => {
    expect(mod.imports).toEqual([
      { module: 'env', name: 'add', kind: 'func', typeIndex: 0 },
      { module: 'env', name: 'tick', kind: 'func', typeIndex: 1 },
      { module: 'env', name: 'table', kind: 'table', table: { elem: 'funcref', limits: { min: 2, max: 10 } } },
      { module: 'env', name: 'memory', kind: 'memory', limits: { min: 1, max: 256 } },
      { module: 'env', name: 'counter', kind: 'global', global: { type: 'i32', mutable: true } },
      { module: 'math', name: 'pi', kind: 'global', global: { type: 'f64', mutable: false } },
    ]);
    // the same list, kind for kind, as Node's own reader sees it
    const KIND = { func: 'function', table: 'table', memory: 'memory', global: 'global' } as const;
    expect(mod.imports.map((i) => ({ module: i.module, name: i.name, kind: KIND[i.kind] })))
      .toEqual(WebAssembly.Module.imports(nodeModule(bytes)));
  });

  it('imported functions come first in the function index space', () => {
    expect(mod.numImportedFuncs).toBe(2);
    expect(mod.funcTypes).toEqual([0, 1, 0]);
    expect(mod.funcs).toHaveLength(1);
    expect(mod.funcs[0].index).toBe(2);
    expect(mod.funcs[0].typeIndex).toBe(0);
    expect(mod.tables).toEqual([]);
    expect(mod.memories).toEqual([]);
    expect(mod.globals).toEqual([]);
    expect(mod.funcs[0].body.filter((i) => i.name === 'call').map((i) => i.index)).toEqual([1, 0]);
    // global 0 is the first imported global
    expect(mod.funcs[0].body.find((i) => i.name === 'global.get')?.index).toBe(0);
  });

  it('exports of functions, memories and globals', () => {
    expect(mod.exports).toEqual([
      { name: 'own', kind: 'func', index: 2 },
      { name: 'mem', kind: 'memory', index: 0 },
      { name: 'pi', kind: 'global', index: 1 },
    ]);
  });

  it('the name section names imported and own functions', () => {
    expect(mod.funcNames.get(0)).toBe('add');
    expect(mod.funcNames.get(1)).toBe('tick');
    expect(mod.funcNames.get(2)).toBe('own');
    expect(mod.customs.has('name')).toBe(false);
  });
});

describe('decodeModule: definitions, bodies and segments', () => {
  const WAT = `(module
    (type $sig (func (param i32) (result i32)))
    (type $void (func))
    (import "env" "base" (global $base i32))
    (table $tab 4 funcref)
    (memory $mem 1 2)
    (global $answer i32 (i32.const 42))
    (global $wide (mut i64) (i64.const -5))
    (global $based i32 (global.get $base))
    (global $half f32 (f32.const 1.5))
    (global $neg f64 (f64.const -2))
    (func $id (type $sig) (local.get 0))
    (func $init (type $void))
    (func $body (export "body") (param $p i32) (param $q i64) (result i32)
      (local $a i32) (local $b i32) (local $c i64) (local $d f64) (local $e i32)
      (drop (i32.const -1))
      (drop (i32.const 2147483647))
      (drop (i32.const -2147483648))
      (drop (i32.const 624485))
      (drop (i64.const -1))
      (drop (i64.const 9223372036854775807))
      (drop (i64.const -9223372036854775808))
      (drop (i64.const 0x123456789abcdef0))
      (drop (f32.const 1.5))
      (drop (f64.const -2))
      (drop (i32.load offset=16 align=2 (local.get $p)))
      (i64.store8 offset=65536 (local.get $p) (local.get $q))
      (drop (i32.load16_u (i32.const 0)))
      (drop (i64.load (i32.const 8)))
      (block $outer
        (block $mid
          (block $inner
            (br_table $inner $mid $outer $mid (local.get $p)))))
      (drop (loop $l (result i32) (br_if $l (local.get $a)) (i32.const 1)))
      (drop (if (result i64) (local.get $p) (then (i64.const 1)) (else (i64.const 2))))
      (i32.const 7) (block (type $sig) (param i32) (result i32) (i32.const 1) (i32.add)) (drop)
      (drop (call_indirect $tab (type $sig) (i32.const 5) (i32.const 3)))
      (drop (call $id (i32.const 3)))
      (local.set $a (local.tee $b (i32.const 9)))
      (global.set $wide (local.get $c))
      (drop (memory.grow (memory.size)))
      (drop (select (result i32) (i32.const 1) (i32.const 2) (local.get $a)))
      (drop (select (local.get $a) (local.get $b) (local.get $p)))
      (memory.copy (i32.const 0) (i32.const 16) (i32.const 4))
      (memory.fill (i32.const 0) (i32.const 255) (i32.const 4))
      (memory.init 2 (i32.const 0) (i32.const 0) (i32.const 1))
      (data.drop 2)
      (drop (i32.trunc_sat_f32_s (f32.const 3.5)))
      (global.get $answer))
    (start $init)
    (elem (i32.const 1) $id $body)
    (elem func $id)
    (elem declare func $body)
    (elem funcref (ref.null func) (ref.func $init))
    (data (i32.const 8) "hi\\00")
    (data (global.get $base) "\\01\\02")
    (data "passive"))`;
  let mod: Module;
  let bytes: Uint8Array;
  let body: Instr[];
  beforeAll(() => {
    bytes = wat2wasm(WAT);
    mod = decodeModule(bytes);
    body = mod.funcs[2].body;
  });

  it('tables, memories and the start function', () => {
    expect(mod.tables).toEqual([{ elem: 'funcref', limits: { min: 4 } }]);
    expect(mod.memories).toEqual([{ min: 1, max: 2 }]);
    expect(mod.start).toBe(1); // $init: function 1 (no imported functions)
    expect(mod.funcNames.get(mod.start!)).toBe('init');
  });

  it('globals with their init expressions', () => {
    const g = mod.globals.map((x) => ({ type: x.type, init: x.init.map((i) => [i.name, i.i32 ?? i.i64 ?? i.index]) }));
    expect(g).toEqual([
      { type: { type: 'i32', mutable: false }, init: [['i32.const', 42]] },
      { type: { type: 'i64', mutable: true }, init: [['i64.const', -5n]] },
      { type: { type: 'i32', mutable: false }, init: [['global.get', 0]] },
      { type: { type: 'f32', mutable: false }, init: [['f32.const', 0x3fc00000]] },
      { type: { type: 'f64', mutable: false }, init: [['f64.const', 0xc000000000000000n]] },
    ]);
  });

  it('functions: type, index, locals expanded one per local', () => {
    expect(mod.funcs.map((f) => [f.index, f.typeIndex])).toEqual([[0, 0], [1, 1], [2, 2]]);
    expect(mod.types[2]).toEqual({ params: ['i32', 'i64'], results: ['i32'] });
    expect(mod.funcs[0].locals).toEqual([]);
    expect(mod.funcs[2].locals).toEqual(['i32', 'i32', 'i64', 'f64', 'i32']);
    expect(mod.funcs[0].body.map((i) => i.name)).toEqual(['local.get', 'end']);
    expect(mod.funcs[1].body.map((i) => i.name)).toEqual(['end']);
  });

  it('the instruction list of a body, in order', () => {
    expect(body.map((i) => i.name)).toEqual([
      'i32.const', 'drop', 'i32.const', 'drop', 'i32.const', 'drop', 'i32.const', 'drop',
      'i64.const', 'drop', 'i64.const', 'drop', 'i64.const', 'drop', 'i64.const', 'drop',
      'f32.const', 'drop', 'f64.const', 'drop',
      'local.get', 'i32.load', 'drop',
      'local.get', 'local.get', 'i64.store8',
      'i32.const', 'i32.load16_u', 'drop',
      'i32.const', 'i64.load', 'drop',
      'block', 'block', 'block', 'local.get', 'br_table', 'end', 'end', 'end',
      'loop', 'local.get', 'br_if', 'i32.const', 'end', 'drop',
      'local.get', 'if', 'i64.const', 'else', 'i64.const', 'end', 'drop',
      'i32.const', 'block', 'i32.const', 'i32.add', 'end', 'drop',
      'i32.const', 'i32.const', 'call_indirect', 'drop',
      'i32.const', 'call', 'drop',
      'i32.const', 'local.tee', 'local.set',
      'local.get', 'global.set',
      'memory.size', 'memory.grow', 'drop',
      'i32.const', 'i32.const', 'local.get', 'select', 'drop',
      'local.get', 'local.get', 'local.get', 'select', 'drop',
      'i32.const', 'i32.const', 'i32.const', 'memory.copy',
      'i32.const', 'i32.const', 'i32.const', 'memory.fill',
      'i32.const', 'i32.const', 'i32.const', 'memory.init',
      'data.drop',
      'f32.const', 'i32.trunc_sat_f32_s', 'drop',
      'global.get', 'end',
    ]);
  });

  it('i32.const and i64.const immediates, negative and large', () => {
    expect(body.filter((i) => i.name === 'i32.const').slice(0, 4).map((i) => i.i32)).toEqual([-1, 2147483647, -2147483648, 624485]);
    expect(body.filter((i) => i.name === 'i64.const').slice(0, 4).map((i) => i.i64)).toEqual([
      -1n, 9223372036854775807n, -9223372036854775808n, 0x123456789abcdef0n,
    ]);
    expect(body.find((i) => i.name === 'f32.const')?.i32).toBe(0x3fc00000);
    expect(body.find((i) => i.name === 'f64.const')?.i64).toBe(0xc000000000000000n);
  });

  it('memargs: alignment (log2) and offset', () => {
    const m = body.filter((i) => i.align !== undefined).map((i) => [i.name, i.align, i.offset]);
    expect(m).toEqual([
      ['i32.load', 1, 16],        // align=2 bytes
      ['i64.store8', 0, 65536],   // natural alignment of 1 byte
      ['i32.load16_u', 1, 0],
      ['i64.load', 3, 0],
    ]);
  });

  it('br_table targets (default last), br_if depth, block types', () => {
    expect(body.find((i) => i.name === 'br_table')?.labels).toEqual([0, 1, 2, 1]);
    expect(body.find((i) => i.name === 'br_if')?.index).toBe(0);
    const blocks = body.filter((i) => i.blockType).map((i) => [i.name, i.blockType]);
    expect(blocks).toEqual([
      ['block', { params: [], results: [] }],
      ['block', { params: [], results: [] }],
      ['block', { params: [], results: [] }],
      ['loop', { params: [], results: ['i32'] }],
      ['if', { params: [], results: ['i64'] }],
      ['block', { params: ['i32'], results: ['i32'] }],
    ]);
  });

  it('calls, locals, globals, memory and bulk-memory immediates', () => {
    const ci = body.find((i) => i.name === 'call_indirect')!;
    expect([ci.typeIndex, ci.index]).toEqual([0, 0]);
    expect(body.find((i) => i.name === 'call')?.index).toBe(0);
    expect(body.find((i) => i.name === 'local.tee')?.index).toBe(3); // $b: after 2 params and $a
    expect(body.find((i) => i.name === 'local.set')?.index).toBe(2);
    expect(body.find((i) => i.name === 'global.set')?.index).toBe(2); // after the imported $base
    expect(body.filter((i) => i.name === 'global.get').map((i) => i.index)).toEqual([1]);
    expect(body.find((i) => i.name === 'memory.grow')?.index).toBe(0);
    const typed = body.filter((i) => i.name === 'select');
    expect(typed.map((i) => [i.op, i.types])).toEqual([[0x1c, ['i32']], [0x1b, undefined]]);
    const copy = body.find((i) => i.name === 'memory.copy')!;
    expect([copy.op, copy.index, copy.index2]).toEqual([0xfc0a, 0, 0]);
    expect(body.find((i) => i.name === 'memory.fill')?.op).toBe(0xfc0b);
    const init = body.find((i) => i.name === 'memory.init')!;
    expect([init.op, init.index2, init.index]).toEqual([0xfc08, 2, 0]);
    expect(body.find((i) => i.name === 'data.drop')?.index2).toBe(2);
    expect(body.find((i) => i.name === 'i32.trunc_sat_f32_s')?.op).toBe(0xfc00);
  });

  it('positions point at each instruction in the module', () => {
    for (const ins of body) {
      if (ins.op < 0x100) expect(bytes[ins.pos]).toBe(ins.op);
      else expect([bytes[ins.pos], bytes[ins.pos + 1]]).toEqual([ins.op >> 8, ins.op & 0xff]);
    }
    // positions strictly increase and the final end is the body's last byte
    for (let i = 1; i < body.length; i++) expect(body[i].pos).toBeGreaterThan(body[i - 1].pos);
    const f = mod.funcs[2];
    expect(bytes[f.pos]).toBe(4); // the body starts with its local groups: (2 i32) (1 i64) (1 f64) (1 i32)
  });

  it('element segments: active, passive, declarative, expressions', () => {
    expect(mod.elems).toEqual([
      { mode: 'active', table: 0, offset: [expect.objectContaining({ name: 'i32.const', i32: 1 })], elemType: 'funcref', funcs: [0, 2] },
      { mode: 'passive', table: 0, offset: undefined, elemType: 'funcref', funcs: [0] },
      { mode: 'declarative', table: 0, offset: undefined, elemType: 'funcref', funcs: [2] },
      { mode: 'passive', table: 0, offset: undefined, elemType: 'funcref', funcs: [null, 1] },
    ]);
  });

  it('data segments: active with const and global offsets, passive', () => {
    const d = mod.datas.map((x) => ({ mode: x.mode, memory: x.memory, offset: x.offset?.map((i) => [i.name, i.i32 ?? i.index]), text: Array.from(x.bytes) }));
    expect(d).toEqual([
      { mode: 'active', memory: 0, offset: [['i32.const', 8]], text: [0x68, 0x69, 0] },
      { mode: 'active', memory: 0, offset: [['global.get', 0]], text: [1, 2] },
      { mode: 'passive', memory: 0, offset: undefined, text: [...Buffer.from('passive')] },
    ]);
  });

  it('exports agree with Node', () => {
    expect(mod.exports).toEqual([{ name: 'body', kind: 'func', index: 2 }]);
    expect(WebAssembly.Module.exports(nodeModule(bytes))).toEqual([{ name: 'body', kind: 'function' }]);
  });

  it('a custom section other than "name" is kept by name', () => {
    const payload = [0xde, 0xad];
    const name = [...Buffer.from('vendor')];
    const m = decodeModule(bin(0, 1 + name.length + payload.length, name.length, ...name, ...payload));
    expect(Array.from(m.customs.get('vendor')!)).toEqual(payload);
  });
});

describe('decodeModule: malformed modules', () => {
  it('an empty or truncated header', () => {
    for (const b of [[], [0x00, 0x61, 0x73], [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00]]) {
      const e = decodeError(new Uint8Array(b));
      expect(e.pos).toBeLessThanOrEqual(b.length);
    }
  });

  it('bad magic', () => {
    const e = decodeError(new Uint8Array([0x00, 0x61, 0x73, 0x6e, 0x01, 0x00, 0x00, 0x00]));
    expect(e.message).toMatch(/magic/);
    expect(e.pos).toBe(0);
  });

  it('bad version', () => {
    const e = decodeError(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00]));
    expect(e.message).toMatch(/version/);
    expect(e.pos).toBe(4);
  });

  it('a truncated module (cut inside its last section)', () => {
    const full = wat2wasm('(module (func (export "f") (result i32) (i32.const 7)))');
    expect(() => decodeModule(full)).not.toThrow();
    for (const cut of [1, 3, 5]) {
      const e = decodeError(full.subarray(0, full.length - cut));
      expect(e.message).toMatch(/end/);
      expect(e.pos).toBeGreaterThanOrEqual(8);
      expect(e.pos).toBeLessThanOrEqual(full.length - cut);
    }
  });

  it('a section size past the end of the module', () => {
    const e = decodeError(bin(0x01, 0x10, 0x01, 0x60, 0x00, 0x00));
    expect(e.pos).toBe(8); // the section's id byte
    expect(e.message).toMatch(/past the end/);
  });

  it('a LEB128 that is too long (u32 in 6 bytes)', () => {
    // type section, vector count 0 spelled with 6 bytes
    const e = decodeError(bin(0x01, 0x06, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00));
    expect(e.message).toMatch(/too long/);
    expect(e.pos).toBe(10);
  });

  it('a u32 LEB128 whose 5th byte has bits past 32', () => {
    const e = decodeError(bin(0x01, 0x05, 0xff, 0xff, 0xff, 0xff, 0x7f));
    expect(e.message).toMatch(/too large/);
    expect(e.pos).toBe(10);
  });

  // type () -> (), one function whose body is `code` (after its locals count)
  const withBody = (code: number[]) => {
    const body = [0x00, ...code];
    return bin(
      0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
      0x03, 0x02, 0x01, 0x00,
      0x0a, body.length + 2, 0x01, body.length, ...body,
    );
  };

  it('a function body as built by hand decodes', () => {
    const m = decodeModule(withBody([0x41, 0x7f, 0x1a, 0x42, 0x80, 0x01, 0x1a, 0x0b]));
    expect(m.funcs[0].body.map((i) => [i.name, i.i32 ?? i.i64])).toEqual([
      ['i32.const', -1], ['drop', undefined], ['i64.const', 128n], ['drop', undefined], ['end', undefined],
    ]);
  });

  it('an i32.const LEB128 that is too long', () => {
    const bytes = withBody([0x41, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x1a, 0x0b]);
    const e = decodeError(bytes);
    expect(e.message).toMatch(/too long/);
    expect(bytes[e.pos - 1]).toBe(0x41); // the immediate right after the opcode
  });

  it('an i32.const whose last byte does not sign-extend', () => {
    const bytes = withBody([0x41, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x1a, 0x0b]); // 0x0f: bits 32-34 set, sign 0
    const e = decodeError(bytes);
    expect(e.message).toMatch(/too large/);
    expect(bytes[e.pos - 1]).toBe(0x41);
  });

  it('an i64.const LEB128 that is too long', () => {
    const bytes = withBody([0x42, ...new Array(10).fill(0x80), 0x00, 0x1a, 0x0b]);
    const e = decodeError(bytes);
    expect(e.message).toMatch(/too long/);
    expect(bytes[e.pos - 1]).toBe(0x42);
  });

  it('section size mismatch: content shorter than the declared size', () => {
    // type section says 5 bytes; the type vector takes 4, one byte is left over
    const e = decodeError(bin(0x01, 0x05, 0x01, 0x60, 0x00, 0x00, 0x00));
    expect(e.message).toMatch(/section size mismatch/);
    expect(e.pos).toBe(14);
  });

  it('section size mismatch: content longer than the declared size', () => {
    // type section says 3 bytes; the results vector of the type lies past them
    const e = decodeError(bin(0x01, 0x03, 0x01, 0x60, 0x00, 0x00));
    expect(e.message).toMatch(/end/);
    expect(e.pos).toBe(13);
  });

  it('sections out of order, unknown section ids', () => {
    const type = [0x01, 0x04, 0x01, 0x60, 0x00, 0x00];
    const e = decodeError(bin(...type, ...type));
    expect(e.pos).toBe(14);
    const e2 = decodeError(bin(0x0e, 0x00));
    expect(e2.pos).toBe(8);
  });

  it('function and code sections that disagree', () => {
    const e = decodeError(bin(0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00));
    expect(e.message).toMatch(/inconsistent/);
  });

  it('a bad value type, an illegal opcode', () => {
    const e = decodeError(bin(0x01, 0x05, 0x01, 0x60, 0x01, 0x55, 0x00));
    expect(e.pos).toBe(13);
    expect(e.message).toMatch(/value type/);
    const bytes = withBody([0xff, 0x0b]);
    const e2 = decodeError(bytes);
    expect(bytes[e2.pos]).toBe(0xff);
    expect(e2.message).toMatch(/opcode/);
  });
});

describe('decodeModule: the kernel', () => {
  let wasm: Uint8Array;
  let mod: Module;
  let text: string;
  beforeAll(async () => {
    wasm = (await buildKernel()).kernelWasm;
    mod = decodeModule(wasm);
    const m = wabt.readWasm(wasm, { readDebugNames: false, bulk_memory: true, sat_float_to_int: true, sign_extension: true, mutable_globals: true });
    text = m.toText({});
    m.destroy();
  });

  it('imports and exports agree with Node', () => {
    const w = nodeModule(wasm);
    const KIND = { func: 'function', table: 'table', memory: 'memory', global: 'global' } as const;
    expect(mod.exports.map((e) => ({ name: e.name, kind: KIND[e.kind] }))).toEqual(WebAssembly.Module.exports(w));
    expect(mod.imports.map((i) => ({ module: i.module, name: i.name, kind: KIND[i.kind] }))).toEqual(WebAssembly.Module.imports(w));
    expect(mod.exports.map((e) => e.name)).toEqual(expect.arrayContaining(['KiSystemStartup', 'KiTrapDispatch', 'KiWasmTrap']));
  });

  it('function count and exported function indices agree with wabt', () => {
    const own = text.match(/^\s*\(func /gm)?.length ?? 0;
    expect(own).toBeGreaterThan(0);
    expect(mod.funcs.length).toBe(own);
    const imported = text.match(/^\s*\(import "[^"]*" "[^"]*" \(func /gm)?.length ?? 0;
    expect(mod.numImportedFuncs).toBe(imported);
    expect(mod.funcTypes).toHaveLength(imported + own);
    for (const e of mod.exports.filter((x) => x.kind === 'func')) {
      const m = text.match(new RegExp(`\\(export "${e.name}" \\(func (\\d+)\\)\\)`));
      expect(m, e.name).not.toBeNull();
      expect(e.index).toBe(Number(m![1]));
    }
  });

  it('every body ends with end and its instructions lie inside the module', () => {
    for (const f of mod.funcs) {
      expect(f.body[f.body.length - 1].name).toBe('end');
      for (const i of f.body) {
        expect(i.pos).toBeGreaterThan(f.pos);
        expect(i.pos).toBeLessThan(wasm.length);
        expect(i.name).not.toMatch(/^0x/);
      }
    }
  });
});
