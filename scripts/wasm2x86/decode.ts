// Pass 1, decode: the WebAssembly binary format into the Module of wasm.ts.
//
// One cursor over the bytes; every section is read in order and checked for
// its size; malformed input raises WasmDecodeError with the byte offset.
// Structure only: stack typing is not validated here (the selector trusts
// the producer, AssemblyScript/Binaryen or wabt, to emit valid code).

import { WasmDecodeError, type Module, type Instr, type ValType, type FuncType, type Limits, type ConstExpr, type Import, type Elem, type Data } from './wasm.ts';

const VALTYPES: Record<number, ValType> = { 0x7F: 'i32', 0x7E: 'i64', 0x7D: 'f32', 0x7C: 'f64', 0x7B: 'v128', 0x70: 'funcref', 0x6F: 'externref' };

// Immediate kinds of single-byte opcodes.
type Imm = 'none' | 'block' | 'label' | 'br_table' | 'func' | 'call_indirect' | 'local' | 'global' | 'memarg' | 'mem' | 'i32' | 'i64' | 'f32' | 'f64' | 'select_t' | 'reftype' | 'table';
const OPS: Array<[string, Imm] | undefined> = new Array(256);
function def(op: number, name: string, imm: Imm = 'none') { OPS[op] = [name, imm]; }
def(0x00, 'unreachable'); def(0x01, 'nop'); def(0x02, 'block', 'block'); def(0x03, 'loop', 'block'); def(0x04, 'if', 'block');
def(0x05, 'else'); def(0x0B, 'end'); def(0x0C, 'br', 'label'); def(0x0D, 'br_if', 'label'); def(0x0E, 'br_table', 'br_table');
def(0x0F, 'return'); def(0x10, 'call', 'func'); def(0x11, 'call_indirect', 'call_indirect');
def(0x1A, 'drop'); def(0x1B, 'select'); def(0x1C, 'select', 'select_t');
def(0x20, 'local.get', 'local'); def(0x21, 'local.set', 'local'); def(0x22, 'local.tee', 'local');
def(0x23, 'global.get', 'global'); def(0x24, 'global.set', 'global');
def(0x25, 'table.get', 'table'); def(0x26, 'table.set', 'table');
['i32.load', 'i64.load', 'f32.load', 'f64.load', 'i32.load8_s', 'i32.load8_u', 'i32.load16_s', 'i32.load16_u',
  'i64.load8_s', 'i64.load8_u', 'i64.load16_s', 'i64.load16_u', 'i64.load32_s', 'i64.load32_u',
  'i32.store', 'i64.store', 'f32.store', 'f64.store', 'i32.store8', 'i32.store16', 'i64.store8', 'i64.store16', 'i64.store32',
].forEach((n, i) => def(0x28 + i, n, 'memarg'));
def(0x3F, 'memory.size', 'mem'); def(0x40, 'memory.grow', 'mem');
def(0x41, 'i32.const', 'i32'); def(0x42, 'i64.const', 'i64'); def(0x43, 'f32.const', 'f32'); def(0x44, 'f64.const', 'f64');
[
  'i32.eqz', 'i32.eq', 'i32.ne', 'i32.lt_s', 'i32.lt_u', 'i32.gt_s', 'i32.gt_u', 'i32.le_s', 'i32.le_u', 'i32.ge_s', 'i32.ge_u',
  'i64.eqz', 'i64.eq', 'i64.ne', 'i64.lt_s', 'i64.lt_u', 'i64.gt_s', 'i64.gt_u', 'i64.le_s', 'i64.le_u', 'i64.ge_s', 'i64.ge_u',
  'f32.eq', 'f32.ne', 'f32.lt', 'f32.gt', 'f32.le', 'f32.ge', 'f64.eq', 'f64.ne', 'f64.lt', 'f64.gt', 'f64.le', 'f64.ge',
  'i32.clz', 'i32.ctz', 'i32.popcnt', 'i32.add', 'i32.sub', 'i32.mul', 'i32.div_s', 'i32.div_u', 'i32.rem_s', 'i32.rem_u',
  'i32.and', 'i32.or', 'i32.xor', 'i32.shl', 'i32.shr_s', 'i32.shr_u', 'i32.rotl', 'i32.rotr',
  'i64.clz', 'i64.ctz', 'i64.popcnt', 'i64.add', 'i64.sub', 'i64.mul', 'i64.div_s', 'i64.div_u', 'i64.rem_s', 'i64.rem_u',
  'i64.and', 'i64.or', 'i64.xor', 'i64.shl', 'i64.shr_s', 'i64.shr_u', 'i64.rotl', 'i64.rotr',
  'f32.abs', 'f32.neg', 'f32.ceil', 'f32.floor', 'f32.trunc', 'f32.nearest', 'f32.sqrt', 'f32.add', 'f32.sub', 'f32.mul', 'f32.div',
  'f32.min', 'f32.max', 'f32.copysign',
  'f64.abs', 'f64.neg', 'f64.ceil', 'f64.floor', 'f64.trunc', 'f64.nearest', 'f64.sqrt', 'f64.add', 'f64.sub', 'f64.mul', 'f64.div',
  'f64.min', 'f64.max', 'f64.copysign',
  'i32.wrap_i64', 'i32.trunc_f32_s', 'i32.trunc_f32_u', 'i32.trunc_f64_s', 'i32.trunc_f64_u', 'i64.extend_i32_s', 'i64.extend_i32_u',
  'i64.trunc_f32_s', 'i64.trunc_f32_u', 'i64.trunc_f64_s', 'i64.trunc_f64_u',
  'f32.convert_i32_s', 'f32.convert_i32_u', 'f32.convert_i64_s', 'f32.convert_i64_u', 'f32.demote_f64',
  'f64.convert_i32_s', 'f64.convert_i32_u', 'f64.convert_i64_s', 'f64.convert_i64_u', 'f64.promote_f32',
  'i32.reinterpret_f32', 'i64.reinterpret_f64', 'f32.reinterpret_i32', 'f64.reinterpret_i64',
  'i32.extend8_s', 'i32.extend16_s', 'i64.extend8_s', 'i64.extend16_s', 'i64.extend32_s',
].forEach((n, i) => def(0x45 + i, n));
def(0xD0, 'ref.null', 'reftype'); def(0xD1, 'ref.is_null'); def(0xD2, 'ref.func', 'func');

const FC_NAMES: Record<number, string> = {
  0: 'i32.trunc_sat_f32_s', 1: 'i32.trunc_sat_f32_u', 2: 'i32.trunc_sat_f64_s', 3: 'i32.trunc_sat_f64_u',
  4: 'i64.trunc_sat_f32_s', 5: 'i64.trunc_sat_f32_u', 6: 'i64.trunc_sat_f64_s', 7: 'i64.trunc_sat_f64_u',
  8: 'memory.init', 9: 'data.drop', 10: 'memory.copy', 11: 'memory.fill',
  12: 'table.init', 13: 'elem.drop', 14: 'table.copy', 15: 'table.grow', 16: 'table.size', 17: 'table.fill',
};

// The threads proposal's atomic instructions (0xFE prefix): the i32 ones the
// selector knows (select-ops.ts); the rest decode, then are refused by lower.ts.
const FE_NAMES: Record<number, string> = {
  0x00: 'memory.atomic.notify', 0x01: 'memory.atomic.wait32', 0x02: 'memory.atomic.wait64', 0x03: 'atomic.fence',
  0x10: 'i32.atomic.load', 0x11: 'i64.atomic.load', 0x12: 'i32.atomic.load8_u', 0x13: 'i32.atomic.load16_u',
  0x14: 'i64.atomic.load8_u', 0x15: 'i64.atomic.load16_u', 0x16: 'i64.atomic.load32_u',
  0x17: 'i32.atomic.store', 0x18: 'i64.atomic.store', 0x19: 'i32.atomic.store8', 0x1A: 'i32.atomic.store16',
  0x1B: 'i64.atomic.store8', 0x1C: 'i64.atomic.store16', 0x1D: 'i64.atomic.store32',
};
{
  // Read-modify-write: seven operations, each at seven widths (i32, i64, i32 8/16, i64 8/16/32).
  const ops = ['add', 'sub', 'and', 'or', 'xor', 'xchg', 'cmpxchg'];
  const widths = ['i32.atomic.rmw', 'i64.atomic.rmw', 'i32.atomic.rmw8', 'i32.atomic.rmw16', 'i64.atomic.rmw8', 'i64.atomic.rmw16', 'i64.atomic.rmw32'];
  ops.forEach((o, i) => widths.forEach((w, j) => { FE_NAMES[0x1E + i * 7 + j] = `${w}.${o}${j >= 2 ? '_u' : ''}`; }));
}

export function opcodeName(op: number): string {
  if (op >= 0xFC00 && op < 0xFD00) return FC_NAMES[op & 0xFF] ?? `0xfc ${op & 0xFF}`;
  if (op >= 0xFE00 && op < 0xFF00) return FE_NAMES[op & 0xFF] ?? `0xfe ${op & 0xFF}`;
  return OPS[op]?.[0] ?? `0x${op.toString(16)}`;
}

class Reader {
  pos = 0;
  constructor(public b: Uint8Array, public end = b.length) {}
  fail(msg: string, at = this.pos): never { throw new WasmDecodeError(msg, at); }
  byte(): number { if (this.pos >= this.end) this.fail('unexpected end'); return this.b[this.pos++]; }
  u32(): number {
    let result = 0, shift = 0;
    const start = this.pos;
    for (let i = 0; i < 5; i++) {
      const c = this.byte();
      if (i === 4 && (c & 0x70) !== 0) this.fail('integer too large', start);
      result += (c & 0x7F) * 2 ** shift;
      if (!(c & 0x80)) return result;
      shift += 7;
    }
    this.fail('integer representation too long', start);
  }
  s32(): number {
    let result = 0, shift = 0, c: number;
    const start = this.pos;
    let i = 0;
    do {
      c = this.byte();
      if (i === 4) {
        const sign = c & 0x08 ? 0x70 : 0;
        if ((c & 0x80) || (c & 0x70) !== sign) this.fail((c & 0x80) ? 'integer representation too long' : 'integer too large', start);
      }
      result |= (c & 0x7F) << shift;
      shift += 7;
      i++;
    } while (c & 0x80);
    if (shift < 32 && (c & 0x40)) result |= -1 << shift;
    return result | 0;
  }
  s64(): bigint {
    let result = 0n, shift = 0n, c: number;
    const start = this.pos;
    let i = 0;
    do {
      c = this.byte();
      if (i === 9) {
        const sign = c & 0x01 ? 0x7E : 0;
        if ((c & 0x80) || (c & 0x7E) !== (sign ? 0x7E : 0)) this.fail((c & 0x80) ? 'integer representation too long' : 'integer too large', start);
      }
      result |= BigInt(c & 0x7F) << shift;
      shift += 7n;
      i++;
    } while (c & 0x80);
    if (shift < 64n && (c & 0x40)) result |= -1n << shift;
    return BigInt.asIntN(64, result);
  }
  u32le(): number { const p = this.pos; if (p + 4 > this.end) this.fail('unexpected end'); this.pos += 4; return (this.b[p] | this.b[p + 1] << 8 | this.b[p + 2] << 16 | this.b[p + 3] << 24) >>> 0; }
  u64le(): bigint { const lo = BigInt(this.u32le()); const hi = BigInt(this.u32le()); return (hi << 32n) | lo; }
  bytes(n: number): Uint8Array { if (this.pos + n > this.end) this.fail('unexpected end'); const r = this.b.subarray(this.pos, this.pos + n); this.pos += n; return r; }
  name(): string {
    const n = this.u32();
    const at = this.pos;
    try { return new TextDecoder('utf-8', { fatal: true }).decode(this.bytes(n)); } catch (e) {
      if (e instanceof WasmDecodeError) throw e;
      this.fail('malformed UTF-8 encoding', at);
    }
  }
  valtype(): ValType {
    const at = this.pos;
    const t = VALTYPES[this.byte()];
    if (!t) this.fail('malformed value type', at);
    return t;
  }
  limits(): Limits {
    const at = this.pos;
    const flag = this.byte();
    if (flag > 1) this.fail('malformed limits flags (memory64/shared unsupported)', at);
    const min = this.u32();
    return flag ? { min, max: this.u32() } : { min };
  }
}

export function decodeModule(bytes: Uint8Array): Module {
  const r = new Reader(bytes);
  if (bytes.length < 4 || r.u32le() !== 0x6D736100) r.fail('magic header not detected', 0);
  if (bytes.length < 8 || r.u32le() !== 1) r.fail('unknown binary version', 4);
  const mod: Module = {
    types: [], imports: [], funcTypes: [], numImportedFuncs: 0, funcs: [], tables: [], memories: [], globals: [],
    exports: [], elems: [], datas: [], funcNames: new Map(), customs: new Map(),
  };
  const ORDER = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 10, 11];
  let lastOrder = -1;
  let declaredFuncs: number[] = [];
  let dataCount: number | undefined;

  while (r.pos < bytes.length) {
    const idAt = r.pos;
    const id = r.byte();
    const size = r.u32();
    const start = r.pos;
    if (start + size > bytes.length) r.fail('section size past the end of the module', idAt);
    const s = new Reader(bytes, start + size);
    s.pos = start;
    if (id !== 0) {
      const ord = ORDER.indexOf(id);
      if (ord < 0) r.fail(`malformed section id ${id}`, idAt);
      if (ord <= lastOrder) r.fail(`unexpected content after last section (section ${id} out of order or duplicated)`, idAt);
      lastOrder = ord;
    }
    const vec = <T>(f: () => T): T[] => { const n = s.u32(); const out: T[] = []; for (let i = 0; i < n; i++) out.push(f()); return out; };
    switch (id) {
      case 0: {
        const name = s.name();
        const payload = bytes.subarray(s.pos, s.end);
        if (name === 'name') { try { readNames(new Reader(bytes, s.end), s.pos, mod.funcNames); } catch { /* a bad name section is ignored */ } }
        else mod.customs.set(name, payload);
        s.pos = s.end;
        break;
      }
      case 1: mod.types = vec((): FuncType => {
        const at = s.pos;
        if (s.byte() !== 0x60) s.fail('malformed function type', at);
        return { params: vec(() => s.valtype()), results: vec(() => s.valtype()) };
      }); break;
      case 2: mod.imports = vec((): Import => {
        const module = s.name(), name = s.name();
        const at = s.pos;
        const kind = s.byte();
        switch (kind) {
          case 0: { const typeIndex = s.u32(); if (typeIndex >= mod.types.length) s.fail('unknown type', at); mod.funcTypes.push(typeIndex); mod.numImportedFuncs++; return { module, name, kind: 'func', typeIndex }; }
          case 1: { const elem = s.valtype(); return { module, name, kind: 'table', table: { elem, limits: s.limits() } }; }
          case 2: return { module, name, kind: 'memory', limits: s.limits() };
          case 3: { const type = s.valtype(); const m = s.byte(); if (m > 1) s.fail('malformed mutability', s.pos - 1); return { module, name, kind: 'global', global: { type, mutable: m === 1 } }; }
        }
        return s.fail('malformed import kind', at);
      }); break;
      case 3: declaredFuncs = vec(() => { const at = s.pos; const t = s.u32(); if (t >= mod.types.length) s.fail('unknown type', at); return t; }); mod.funcTypes.push(...declaredFuncs); break;
      case 4: mod.tables = vec(() => { const elem = s.valtype(); return { elem, limits: s.limits() }; }); break;
      case 5: mod.memories = vec(() => s.limits()); break;
      case 6: mod.globals = vec(() => {
        const type = s.valtype(); const m = s.byte(); if (m > 1) s.fail('malformed mutability', s.pos - 1);
        return { type: { type, mutable: m === 1 }, init: constExpr(s, mod) };
      }); break;
      case 7: mod.exports = vec(() => {
        const name = s.name(); const at = s.pos; const k = s.byte(); const index = s.u32();
        const kinds = ['func', 'table', 'memory', 'global'] as const;
        if (k > 3) s.fail('malformed export kind', at);
        return { name, kind: kinds[k], index };
      }); break;
      case 8: mod.start = s.u32(); break;
      case 9: mod.elems = vec(() => elemSegment(s, mod)); break;
      case 12: dataCount = s.u32(); break;
      case 10: {
        const n = s.u32();
        if (n !== declaredFuncs.length) s.fail('function and code section have inconsistent lengths', start);
        for (let i = 0; i < n; i++) {
          const bodySize = s.u32();
          const bodyStart = s.pos;
          if (bodyStart + bodySize > s.end) s.fail('function body past the end of the section');
          const f = new Reader(bytes, bodyStart + bodySize);
          f.pos = bodyStart;
          const locals: ValType[] = [];
          const groups = f.u32();
          let total = 0;
          for (let g = 0; g < groups; g++) {
            const cnt = f.u32(); total += cnt;
            if (total > 50000) f.fail('too many locals');
            const t = f.valtype();
            for (let k = 0; k < cnt; k++) locals.push(t);
          }
          const body = instrs(f, mod, false);
          if (f.pos !== f.end) f.fail('section size mismatch: function body longer than its end');
          mod.funcs.push({ index: mod.numImportedFuncs + i, typeIndex: declaredFuncs[i], locals, body, pos: bodyStart });
          s.pos = bodyStart + bodySize;
        }
        break;
      }
      case 11: mod.datas = vec((): Data => {
        const at = s.pos;
        const flag = s.u32();
        if (flag === 1) return { mode: 'passive', memory: 0, bytes: s.bytes(s.u32()).slice() };
        if (flag === 0 || flag === 2) {
          const memory = flag === 2 ? s.u32() : 0;
          const offset = constExpr(s, mod);
          return { mode: 'active', memory, offset, bytes: s.bytes(s.u32()).slice() };
        }
        return s.fail('malformed data segment kind', at);
      });
        if (dataCount !== undefined && dataCount !== mod.datas.length) s.fail('data count and data section have inconsistent lengths', start);
        break;
    }
    if (s.pos !== s.end) s.fail('section size mismatch', s.pos);
    r.pos = s.end;
  }
  if (declaredFuncs.length !== mod.funcs.length) r.fail('function and code section have inconsistent lengths', bytes.length);
  return mod;
}

function constExpr(s: Reader, mod: Module): ConstExpr {
  const body = instrs(s, mod, true);
  body.pop(); // the end
  return body;
}

function elemSegment(s: Reader, mod: Module): Elem {
  const at = s.pos;
  const flags = s.u32();
  if (flags > 7) s.fail('malformed elements segment kind', at);
  const passiveOrDecl = (flags & 1) !== 0;
  const explicitTable = (flags & 2) !== 0;
  const exprs = (flags & 4) !== 0;
  let table = 0;
  let offset: ConstExpr | undefined;
  let mode: Elem['mode'] = 'active';
  if (!passiveOrDecl) {
    if (explicitTable) table = s.u32();
    offset = constExpr(s, mod);
  } else mode = explicitTable ? 'declarative' : 'passive';
  let elemType: ValType = 'funcref';
  if (passiveOrDecl || explicitTable) {
    if (exprs) elemType = s.valtype();
    else { const k = s.byte(); if (k !== 0) s.fail('malformed element kind', s.pos - 1); }
  }
  const n = s.u32();
  const funcs: Array<number | null> = [];
  let otherExpr: string | undefined;
  for (let i = 0; i < n; i++) {
    if (!exprs) { funcs.push(s.u32()); continue; }
    const e = constExpr(s, mod);
    const x = e[0];
    if (e.length === 1 && x?.name === 'ref.func') funcs.push(x.index!);
    else if (e.length === 1 && x?.name === 'ref.null') funcs.push(null);
    else { otherExpr ??= e.map((y) => y.name).join(' '); funcs.push(null); }
  }
  return otherExpr ? { mode, table, offset, elemType, funcs, otherExpr } : { mode, table, offset, elemType, funcs };
}

function blockType(s: Reader, mod: Module): { params: ValType[]; results: ValType[] } {
  const b = s.b[s.pos];
  if (b === 0x40) { s.pos++; return { params: [], results: [] }; }
  if (VALTYPES[b]) { s.pos++; return { params: [], results: [VALTYPES[b]] }; }
  const at = s.pos;
  const idx = s.s32();
  if (idx < 0 || idx >= mod.types.length) s.fail('unknown type', at);
  const t = mod.types[idx];
  return { params: t.params, results: t.results };
}

/** Instructions until the `end` that closes depth 0 (a body) or a const expr. */
function instrs(s: Reader, mod: Module, isConst: boolean): Instr[] {
  const out: Instr[] = [];
  let depth = 0;
  for (;;) {
    const pos = s.pos;
    const op = s.byte();
    if (op === 0xFC) {
      const sub = s.u32();
      const name = FC_NAMES[sub];
      if (!name) s.fail(`illegal opcode 0xfc ${sub}`, pos);
      const ins: Instr = { op: 0xFC00 | sub, name, pos };
      switch (sub) {
        case 8: ins.index2 = s.u32(); ins.index = s.byte(); break;   // memory.init data, mem
        case 9: ins.index2 = s.u32(); break;                        // data.drop
        case 10: ins.index = s.byte(); ins.index2 = s.byte(); break; // memory.copy dst, src
        case 11: ins.index = s.byte(); break;                       // memory.fill
        case 12: ins.index2 = s.u32(); ins.index = s.u32(); break;  // table.init elem, table
        case 13: ins.index2 = s.u32(); break;
        case 14: ins.index = s.u32(); ins.index2 = s.u32(); break;
        case 15: case 16: case 17: ins.index = s.u32(); break;
      }
      out.push(ins);
      continue;
    }
    if (op === 0xFE) {
      const sub = s.u32();
      const name = FE_NAMES[sub];
      if (!name) s.fail(`illegal opcode 0xfe ${sub}`, pos);
      const ins: Instr = { op: 0xFE00 | sub, name, pos };
      if (sub === 0x03) { if (s.byte() !== 0) s.fail('atomic.fence: nonzero reserved byte', pos); }
      else { ins.align = s.u32(); ins.offset = s.u32(); }
      out.push(ins);
      continue;
    }
    if (op === 0xFD) s.fail('SIMD not supported (0xfd prefix)', pos);
    const d = OPS[op];
    if (!d) s.fail(`illegal opcode 0x${op.toString(16)}`, pos);
    const [name, kind] = d;
    const ins: Instr = { op, name, pos };
    switch (kind) {
      case 'block': ins.blockType = blockType(s, mod); depth++; break;
      case 'label': case 'func': case 'local': case 'global': case 'table': ins.index = s.u32(); break;
      case 'br_table': { const n = s.u32(); const labels: number[] = []; for (let i = 0; i <= n; i++) labels.push(s.u32()); ins.labels = labels; break; }
      case 'call_indirect': ins.typeIndex = s.u32(); ins.index = s.u32(); break;
      case 'memarg': {
        let align = s.u32();
        // Bit 6 of the alignment flags a memory index (multi-memory).
        if (align & 0x40) { align &= ~0x40; s.u32(); }
        ins.align = align; ins.offset = s.u32(); break;
      }
      case 'mem': ins.index = s.byte(); break;
      case 'i32': ins.i32 = s.s32(); break;
      case 'i64': ins.i64 = s.s64(); break;
      case 'f32': ins.i32 = s.u32le(); break;
      case 'f64': ins.i64 = s.u64le(); break;
      case 'select_t': { const n = s.u32(); const ts: ValType[] = []; for (let i = 0; i < n; i++) ts.push(s.valtype()); ins.types = ts; break; }
      case 'reftype': ins.types = [s.valtype()]; break;
    }
    out.push(ins);
    if (op === 0x0B) {
      if (depth === 0) return out;
      depth--;
    }
    if (isConst && out.length > 64) s.fail('constant expression too long', pos);
  }
}

function readNames(r: Reader, start: number, into: Map<number, string>): void {
  r.pos = start;
  while (r.pos < r.end) {
    const id = r.byte();
    const size = r.u32();
    const end = r.pos + size;
    if (id === 1) {
      const n = r.u32();
      for (let i = 0; i < n; i++) { const idx = r.u32(); into.set(idx, r.name()); }
    }
    r.pos = end;
  }
}
