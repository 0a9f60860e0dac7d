// Pass 4, select (continued): arithmetic, comparisons, conversions and
// select (memory access is in select-mem.ts). Each function pops its operands from the virtual stack,
// emits x86, and pushes the result entry.
//
// Folding done here: constants become immediates; `i32.add`/`i32.shl` by
// 1-3 of registers become address expressions that loads and stores use as
// [base+index*scale+disp]; compares feeding br_if/if/select leave flags.

import { TRAP } from './api.ts';
import type { Instr } from './wasm.ts';
import type { FunctionSelector } from './select.ts';
import { load, store, bulkMemory } from './select-mem.ts';
import { SWAP_CC, asReg, isLazy, type V, type Width } from './vstack.ts';
import { EAX, ECX, EDX, EBX, reg, imm, memSym, invert, type Cond, type Operand, type Size, type Mnemonic } from './x86.ts';

type Sel = FunctionSelector;

const I32_CMP: Record<string, Cond> = {
  'i32.eq': 'e', 'i32.ne': 'ne', 'i32.lt_s': 'l', 'i32.lt_u': 'b', 'i32.gt_s': 'g', 'i32.gt_u': 'a',
  'i32.le_s': 'le', 'i32.le_u': 'be', 'i32.ge_s': 'ge', 'i32.ge_u': 'ae',
};
const I64_CMP: Record<string, Cond> = {
  'i64.eq': 'e', 'i64.ne': 'ne', 'i64.lt_s': 'l', 'i64.lt_u': 'b', 'i64.gt_s': 'g', 'i64.gt_u': 'a',
  'i64.le_s': 'le', 'i64.le_u': 'be', 'i64.ge_s': 'ge', 'i64.ge_u': 'ae',
};
const I32_ALU: Record<string, Mnemonic> = {
  'i32.add': 'add', 'i32.sub': 'sub', 'i32.and': 'and', 'i32.or': 'or', 'i32.xor': 'xor', 'i32.mul': 'imul',
};
const I32_SHIFT: Record<string, Mnemonic> = { 'i32.shl': 'shl', 'i32.shr_s': 'sar', 'i32.shr_u': 'shr', 'i32.rotl': 'rol', 'i32.rotr': 'ror' };
const LOADS: Record<string, { w: Width; s: Size; signed: boolean }> = {
  'i32.load': { w: 'i32', s: 4, signed: false }, 'f32.load': { w: 'i32', s: 4, signed: false },
  'i32.load8_s': { w: 'i32', s: 1, signed: true }, 'i32.load8_u': { w: 'i32', s: 1, signed: false },
  'i32.load16_s': { w: 'i32', s: 2, signed: true }, 'i32.load16_u': { w: 'i32', s: 2, signed: false },
  'i64.load': { w: 'i64', s: 4, signed: false }, 'f64.load': { w: 'i64', s: 4, signed: false },
  'i64.load8_s': { w: 'i64', s: 1, signed: true }, 'i64.load8_u': { w: 'i64', s: 1, signed: false },
  'i64.load16_s': { w: 'i64', s: 2, signed: true }, 'i64.load16_u': { w: 'i64', s: 2, signed: false },
  'i64.load32_s': { w: 'i64', s: 4, signed: true }, 'i64.load32_u': { w: 'i64', s: 4, signed: false },
};
const STORES: Record<string, { w: Width; s: Size; wide: boolean }> = {
  'i32.store': { w: 'i32', s: 4, wide: false }, 'f32.store': { w: 'i32', s: 4, wide: false },
  'i32.store8': { w: 'i32', s: 1, wide: false }, 'i32.store16': { w: 'i32', s: 2, wide: false },
  'i64.store': { w: 'i64', s: 4, wide: true }, 'f64.store': { w: 'i64', s: 4, wide: true },
  'i64.store8': { w: 'i64', s: 1, wide: false }, 'i64.store16': { w: 'i64', s: 2, wide: false },
  'i64.store32': { w: 'i64', s: 4, wide: false },
};
const I64_HELPER: Record<string, string> = {
  'i64.mul': 'i64_mul', 'i64.div_s': 'i64_divs', 'i64.div_u': 'i64_divu', 'i64.rem_s': 'i64_rems', 'i64.rem_u': 'i64_remu',
  'i64.shl': 'i64_shl', 'i64.shr_s': 'i64_shrs', 'i64.shr_u': 'i64_shru', 'i64.rotl': 'i64_rotl', 'i64.rotr': 'i64_rotr',
};

export function emitOp(sel: Sel, ins: Instr): number {
  const vs = sel.vs;
  const n = ins.name;
  switch (n) {
    case 'i32.const': case 'f32.const': vs.push({ k: 'const', w: 'i32', lo: ins.i32! | 0, hi: 0 }); return 0;
    case 'i64.const': case 'f64.const': {
      const v = BigInt.asUintN(64, ins.i64!);
      vs.push({ k: 'const', w: 'i64', lo: Number(v & 0xFFFFFFFFn) | 0, hi: Number(v >> 32n) | 0 });
      return 0;
    }
    case 'i32.reinterpret_f32': case 'f32.reinterpret_i32': case 'i64.reinterpret_f64': case 'f64.reinterpret_i64': return 0;
    case 'select': select(sel); return 0;
    case 'i32.eqz': eqz32(sel); return 0;
    case 'i64.eqz': eqz64(sel); return 0;
    case 'memory.size': { const r = vs.alloc(); sel.e('mov', reg(r), memSym(4, sel.ctx.memPagesLabel)); vs.pushReg('i32', r); return 0; }
    case 'memory.grow': sel.callLabel(sel.ctx.helper('memory_grow'), 1, 'i32'); return 0;
    case 'memory.copy': bulkMemory(sel, true); return 0;
    case 'memory.fill': bulkMemory(sel, false); return 0;
    // Atomics on one processor: an aligned load or store is one instruction
    // already, so these are the plain ones; the fence orders nothing more.
    case 'atomic.fence': return 0;
    case 'i32.atomic.load': case 'i32.atomic.load8_u': case 'i32.atomic.load16_u': {
      const plain = n.replace('.atomic', '');
      return load(sel, { ...ins, name: plain }, LOADS[plain]);
    }
    case 'i32.atomic.store': case 'i32.atomic.store8': case 'i32.atomic.store16': {
      const plain = n.replace('.atomic', '');
      store(sel, { ...ins, name: plain }, STORES[plain]);
      return 0;
    }
    case 'i32.atomic.rmw.add': case 'i32.atomic.rmw.sub': case 'i32.atomic.rmw.and': case 'i32.atomic.rmw.or':
    case 'i32.atomic.rmw.xor': case 'i32.atomic.rmw.xchg': case 'i32.atomic.rmw.cmpxchg': {
      // A runtime routine with the `lock`ed instruction; the memarg offset is its last argument.
      const op = n.slice('i32.atomic.rmw.'.length);
      vs.push({ k: 'const', w: 'i32', lo: ins.offset ?? 0, hi: 0 });
      sel.callLabel(sel.ctx.helper(`atomic_${op}`), op === 'cmpxchg' ? 4 : 3, 'i32');
      return 0;
    }
    case 'i32.popcnt': sel.callLabel(sel.ctx.helper('i32_popcnt'), 1, 'i32'); return 0;
    case 'i64.clz': case 'i64.ctz': case 'i64.popcnt': sel.callLabel(sel.ctx.helper(n.replace('.', '_')), 1, 'i64'); return 0;
    case 'i32.clz': case 'i32.ctz': {
      const a = vs.pop();
      if (a.k === 'const') { vs.push({ k: 'const', w: 'i32', lo: n === 'i32.clz' ? Math.clz32(a.lo) : ctz32(a.lo), hi: 0 }); return 0; }
      const r = vs.toReg(a);
      const l = sel.newLabel();
      sel.e(n === 'i32.clz' ? 'bsr' : 'bsf', reg(r), reg(r));
      sel.jcc('ne', l);
      sel.e('mov', reg(r), imm(n === 'i32.clz' ? 63 : 32));
      sel.place(l);
      if (n === 'i32.clz') sel.e('xor', reg(r), imm(31));
      vs.push(a);
      return 0;
    }
    case 'i32.extend8_s': case 'i32.extend16_s': {
      const a = vs.pop();
      if (a.k === 'const') { vs.push({ k: 'const', w: 'i32', lo: n === 'i32.extend8_s' ? (a.lo << 24) >> 24 : (a.lo << 16) >> 16, hi: 0 }); return 0; }
      const r = vs.toReg(a, [], n === 'i32.extend8_s');
      sel.e('movsx', reg(r), reg(r, n === 'i32.extend8_s' ? 1 : 2));
      vs.push(a);
      return 0;
    }
    case 'i32.div_s': case 'i32.div_u': case 'i32.rem_s': case 'i32.rem_u': divI32(sel, n); return 0;
    case 'i32.wrap_i64': {
      const a = vs.pop();
      if (a.k === 'const') { vs.push({ k: 'const', w: 'i32', lo: a.lo, hi: 0 }); return 0; }
      if (a.k === 'reg') { vs.owner[a.hi] = null; a.hi = -1; a.w = 'i32'; vs.push(a); return 0; }
      const r = vs.alloc(); sel.e('mov', reg(r), vs.operand(a, 0)); vs.free(a); vs.pushReg('i32', r);
      return 0;
    }
    case 'i64.extend_i32_s': case 'i64.extend_i32_u': {
      const a = vs.pop();
      if (a.k === 'const') { vs.push({ k: 'const', w: 'i64', lo: a.lo, hi: n === 'i64.extend_i32_s' ? a.lo >> 31 : 0 }); return 0; }
      const lo = vs.toReg(a);
      const hi = vs.alloc([lo]);
      if (n === 'i64.extend_i32_s') { sel.e('mov', reg(hi), reg(lo)); sel.e('sar', reg(hi), imm(31)); }
      else sel.e('mov', reg(hi), imm(0));
      vs.free(a);
      vs.pushReg('i64', lo, hi);
      return 0;
    }
    case 'i64.extend8_s': case 'i64.extend16_s': case 'i64.extend32_s': {
      const a = vs.pop();
      const byte = n === 'i64.extend8_s';
      const lo = vs.toReg(a, [], byte);
      if (n !== 'i64.extend32_s') sel.e('movsx', reg(lo), reg(lo, byte ? 1 : 2));
      sel.e('mov', reg(a.k === 'reg' ? a.hi : lo), reg(lo));
      sel.e('sar', reg(asReg(a).hi), imm(31));
      vs.push(a);
      return 0;
    }
    case 'f32.abs': case 'f32.neg': unaryImm(sel, n === 'f32.abs' ? 'and' : 'xor', n === 'f32.abs' ? 0x7FFFFFFF : 0x80000000, 0); return 0;
    case 'f64.abs': case 'f64.neg': unaryImm(sel, n === 'f64.abs' ? 'and' : 'xor', n === 'f64.abs' ? 0x7FFFFFFF : 0x80000000, 4); return 0;
    case 'f32.copysign': case 'f64.copysign': copysign(sel, n === 'f64.copysign'); return 0;
    case 'i64.add': case 'i64.sub': case 'i64.and': case 'i64.or': case 'i64.xor': alu64(sel, n.slice(4) as 'add' | 'sub' | 'and' | 'or' | 'xor'); return 0;
  }
  if (n in I32_ALU) { alu32(sel, n, I32_ALU[n]); return 0; }
  if (n in I32_SHIFT) { shift32(sel, n, I32_SHIFT[n]); return 0; }
  if (n in I32_CMP) { cmp32(sel, I32_CMP[n]); return 0; }
  if (n in I64_CMP) { cmp64(sel, I64_CMP[n]); return 0; }
  if (n in LOADS) return load(sel, ins, LOADS[n]);
  if (n in STORES) { store(sel, ins, STORES[n]); return 0; }
  if (n in I64_HELPER) { i64Helper(sel, n); return 0; }
  throw new Error(`no instruction selection for ${n}`);
}

/**
 * `x = f ? x + 1 : x` with f a 0/1 local (LoweredFunc.boolean), as binaryen writes a
 * counter of hits (`local.get x; i32.const 1; i32.add; local.get x; local.get f;
 * select; local.set x`): `add x, f`, no select. Returns the instructions consumed
 * after the get, or 0.
 */
export function booleanCount(sel: Sel, x: number): number {
  const c = sel.peek(1), add = sel.peek(2), g = sel.peek(3), f = sel.peek(4), s = sel.peek(5), set = sel.peek(6);
  if (c?.name !== 'i32.const' || c.i32 !== 1 || add?.name !== 'i32.add' || g?.name !== 'local.get' || g.index !== x ||
      f?.name !== 'local.get' || f.index === x || !sel.lf.boolean[f.index!] || s?.name !== 'select' ||
      set?.name !== 'local.set' || set.index !== x || sel.lf.localTypes[x] !== 'i32') return 0;
  const vs = sel.vs;
  if (vs.stack.some((v) => v.k === 'flags')) return 0; // the add would clobber them
  vs.invalidateLocal(x);
  const hx = sel.frame.homes[x], hf = sel.frame.homes[f.index!];
  let src: Operand = hf.reg >= 0 ? reg(hf.reg) : vs.localMem(f.index!);
  const dst: Operand = hx.reg >= 0 ? reg(hx.reg) : vs.localMem(x);
  if (src.k === 'm' && dst.k === 'm') { const t = vs.alloc(); sel.e('mov', reg(t), src); src = reg(t); }
  sel.e('add', dst, src);
  return 6;
}

function ctz32(x: number): number { if (x === 0) return 32; let n = 0; while (!(x & 1)) { x >>>= 1; n++; } return n; }

/** The next instruction consumes a flags entry as its first operand. */
function flagsWanted(sel: Sel): boolean {
  const nx = sel.next?.name;
  // i32.eqz inverts the condition code (and makes the 0/1 byte itself when nothing tests it).
  return nx === 'br_if' || nx === 'if' || nx === 'select' || nx === 'i32.eqz' || sel.secondTestEnds;
}

/** Push flags (cc) as a fused condition, or materialize them as 0/1. */
function pushCond(sel: Sel, cc: Cond): void {
  const vs = sel.vs;
  if (flagsWanted(sel)) { vs.push({ k: 'flags', w: 'i32', cc }); return; }
  const r = vs.alloc([], true);
  sel.out.push({ op: 'setcc', cc, ops: [reg(r, 1)] });
  pushB8(sel, r);
}

/** A 0/1 value in the low byte of r (see vstack.ts: widened only where a whole register is needed). */
function pushB8(sel: Sel, r: number): void {
  const v: V = { k: 'b8', w: 'i32', r };
  sel.vs.owner[r] = v;
  sel.vs.push(v);
}

function foldI32(op: string, a: number, b: number): number | undefined {
  switch (op) {
    case 'i32.add': return (a + b) | 0;
    case 'i32.sub': return (a - b) | 0;
    case 'i32.mul': return Math.imul(a, b);
    case 'i32.and': return a & b;
    case 'i32.or': return a | b;
    case 'i32.xor': return a ^ b;
    case 'i32.shl': return a << (b & 31);
    case 'i32.shr_s': return a >> (b & 31);
    case 'i32.shr_u': return (a >>> (b & 31)) | 0;
  }
  return undefined;
}

/** An entry viewed as an address expression, if it is one without moving anything. */
export function asEA(sel: Sel, v: V): { base: number; index: number; scale: 1 | 2 | 4 | 8; disp: number; deps: number[] } | null {
  const vs = sel.vs;
  switch (v.k) {
    case 'const': return { base: -1, index: -1, scale: 1, disp: v.lo, deps: [] };
    case 'reg': return { base: v.r, index: -1, scale: 1, disp: 0, deps: [] };
    case 'local': {
      const h = sel.frame.homes[v.idx];
      return h.reg >= 0 ? { base: h.reg, index: -1, scale: 1, disp: 0, deps: [v.idx] } : null;
    }
    case 'ea': return { base: v.base, index: v.index, scale: v.scale, disp: v.disp, deps: v.deps };
  }
  void vs;
  return null;
}

function alu32(sel: Sel, name: string, op: Mnemonic): void {
  const vs = sel.vs;
  let b = vs.pop(); let a = vs.pop();
  if (a.k === 'const' && b.k === 'const') { vs.push({ k: 'const', w: 'i32', lo: foldI32(name, a.lo, b.lo)!, hi: 0 }); return; }
  // Two 0/1 bytes (compares): `or al, cl` and the like; the result is flags when a branch tests it.
  if ((op === 'or' || op === 'and' || op === 'xor') && a.k === 'b8' && b.k === 'b8') {
    sel.e(op, reg(a.r, 1), reg(b.r, 1));
    vs.free(b);
    if (flagsWanted(sel)) { vs.free(a); vs.push({ k: 'flags', w: 'i32', cc: 'ne' }); } else vs.push(a);
    return;
  }
  if (name === 'i32.add' && tryAddEA(sel, a, b)) return;
  // An address of a local in memory and a register value, for a load or store
  // next: the local into a register, and the sum stays an address expression
  // (`mov ecx,[ebp+8]; mov ebx,[ecx+esi*4]`, not a lea, an add and the access).
  if (name === 'i32.add' && addressNext(sel)) {
    const inMemory = (v: V) => (v.k === 'local' && sel.frame.homes[v.idx].reg < 0) || v.k === 'spill';
    const m = inMemory(a) && asEA(sel, b) ? a : inMemory(b) && asEA(sel, a) ? b : undefined;
    if (m) {
      vs.toReg(m, [...vs.regsOf(a), ...vs.regsOf(b)]);
      if (tryAddEA(sel, a, b)) return;
    }
  }
  // x - C is x + (-C): static data addresses (negative i32 with a high memoryBase) fold into [reg+disp].
  if (name === 'i32.sub' && b.k === 'const') {
    // (x in memory, an address next: x into a register, `[r-C]`.)
    if (addressNext(sel) && ((a.k === 'local' && sel.frame.homes[a.idx].reg < 0) || a.k === 'spill')) vs.toReg(a);
    if (tryAddEA(sel, a, { k: 'const', w: 'i32', lo: (-b.lo) | 0, hi: 0 })) return;
  }
  const commutative = op !== 'sub';
  const ownsReg = (v: V) => v.k === 'reg';
  if (commutative && (a.k === 'const' || (!ownsReg(a) && ownsReg(b)))) { const t = a; a = b; b = t; }
  if (b.k === 'const') {
    if ((op === 'add' || op === 'sub' || op === 'or' || op === 'xor') && b.lo === 0) { vs.push(a); return; }
    if (op === 'and' && b.lo === -1) { vs.push(a); return; }
    if (op === 'imul' && b.lo === 1) { vs.push(a); return; }
  }
  // A constant multiplier and a value that stays where it is (a local, a spill): the
  // three-operand `imul r, r/m, c`, no copy first.
  if (op === 'imul' && b.k === 'const' && (a.k === 'local' || a.k === 'spill')) {
    const o = vs.operand(a);
    const r = vs.alloc(vs.regsOf(a));
    sel.e('imul', reg(r), o, imm(b.lo));
    vs.free(a);
    vs.pushReg('i32', r);
    return;
  }
  if (isLazy(b)) vs.materialize(b, vs.regsOf(a));
  // `x & y` only tested against zero (br_if, if, select, through eqz too): `test`, no result register.
  if (op === 'and' && flagsWanted(sel) && testAnd(sel, a, b)) return;
  const r = vs.toReg(a, vs.regsOf(b));
  const s = vs.src(b);
  if (op === 'imul' && s.k === 'i') sel.e('imul', reg(r), reg(r), s);
  else if (op === 'add' && s.k === 'i' && s.v === 1) sel.e('inc', reg(r));
  else if (op === 'sub' && s.k === 'i' && s.v === 1) sel.e('dec', reg(r));
  else sel.e(op, reg(r), s);
  vs.free(b);
  vs.push(a);
}

/** `test a, b` for an i32.and whose result is only compared with zero: flags (ne: some bit set). */
function testAnd(sel: Sel, a: V, b: V): boolean {
  const vs = sel.vs;
  if (isLazy(a)) vs.materialize(a, vs.regsOf(b));
  let ao = vs.operand(a), bo = vs.operand(b);
  if (ao.k === 'i') { const t = ao; ao = bo; bo = t; }
  if (ao.k === 'i') return false;
  if (ao.k === 'm' && bo.k === 'm') { vs.toReg(a, vs.regsOf(b)); ao = vs.operand(a); }
  if (ao.k === 'r' && bo.k === 'm') { const t = ao; ao = bo; bo = t; } // test r/m, r
  // A byte mask on a register or memory: the byte form (`test al, 1`), as compilers do.
  if (bo.k === 'i' && bo.sym === undefined && (bo.v & ~0xFF) === 0 && (ao.k === 'm' || (ao.k === 'r' && ao.r <= EBX))) ao = { ...ao, s: 1 };
  sel.e('test', ao, bo);
  vs.free(a); vs.free(b);
  vs.push({ k: 'flags', w: 'i32', cc: 'ne' });
  return true;
}

/** The value being computed is the address of the next load, or of a store of a local or constant. */
function addressNext(sel: Sel): boolean {
  const n1 = sel.peek(1)?.name ?? '', n2 = sel.peek(2)?.name ?? '';
  if (n1 in LOADS) return true;
  return (n1 === 'local.get' || n1 === 'i32.const') && n2 in STORES;
}

/** i32.add of two register-ish values or a constant: an address expression instead of code. */
function tryAddEA(sel: Sel, a: V, b: V): boolean {
  const ea = asEA(sel, a), eb = asEA(sel, b);
  if (!ea || !eb) return false;
  // Combine: at most one base and one index.
  const regs: Array<{ r: number; scale: 1 | 2 | 4 | 8 }> = [];
  for (const e of [ea, eb]) {
    if (e.base >= 0) regs.push({ r: e.base, scale: 1 });
    if (e.index >= 0) regs.push({ r: e.index, scale: e.scale });
  }
  if (regs.length > 2) return false;
  // With two temporaries (a local pinned in edx or ecx), an address owns at most one of them.
  const vs0 = sel.vs;
  // (A load right after needs no other register: it may own both.)
  if (vs0.temps.length <= 2 && regs.filter((x) => vs0.temps.includes(x.r)).length > 1 && !((sel.peek(1)?.name ?? '') in LOADS)) return false;
  const scaled = regs.filter((x) => x.scale !== 1);
  if (scaled.length > 1) return false;
  let base = -1, index = -1, scale: 1 | 2 | 4 | 8 = 1;
  if (regs.length === 2) {
    const s = scaled[0] ?? regs[1];
    const bb = regs.find((x) => x !== s)!;
    base = bb.r; index = s.r; scale = s.scale;
  } else if (regs.length === 1) {
    if (regs[0].scale === 1) base = regs[0].r; else { index = regs[0].r; scale = regs[0].scale; }
  }
  const v: V = { k: 'ea', w: 'i32', base, index, scale, disp: (ea.disp + eb.disp) | 0, deps: [...ea.deps, ...eb.deps] };
  // Transfer ownership of temporaries from a and b to the new entry.
  const vs = sel.vs;
  const owned = [...vs.regsOf(a), ...vs.regsOf(b)];
  vs.free(a); vs.free(b);
  for (const r of owned) vs.owner[r] = v;
  vs.push(v);
  return true;
}

function shift32(sel: Sel, name: string, op: Mnemonic): void {
  const vs = sel.vs;
  const b = vs.pop(); const a = vs.pop();
  if (a.k === 'const' && b.k === 'const') {
    const f = foldI32(name, a.lo, b.lo);
    if (f !== undefined) { vs.push({ k: 'const', w: 'i32', lo: f, hi: 0 }); return; }
  }
  if (b.k === 'const') {
    const c = b.lo & 31;
    if (c === 0) { vs.push(a); return; }
    if (op === 'shl' && c <= 3) {
      // An index in memory scaled for an access right after the add: into a register, then [base+index*scale].
      if ((a.k === 'local' || a.k === 'spill') && !asEA(sel, a) && sel.peek(1)?.name === 'i32.add') {
        const n2 = sel.peek(2)?.name ?? '', n3 = sel.peek(3)?.name ?? '';
        if (n2 in LOADS || ((n2 === 'local.get' || n2 === 'i32.const') && n3 in STORES)) vs.toReg(a);
      }
      const e = asEA(sel, a);
      if (e && e.index < 0 && e.base >= 0) {
        // (x + d) << c == (x << c) + (d << c) modulo 2^32: [x*scale + d*scale]
        const v: V = { k: 'ea', w: 'i32', base: -1, index: e.base, scale: (1 << c) as 2 | 4 | 8, disp: (e.disp << c) | 0, deps: e.deps };
        const owned = vs.regsOf(a); vs.free(a);
        for (const r of owned) vs.owner[r] = v;
        vs.push(v);
        return;
      }
    }
    const r = vs.toReg(a);
    sel.e(op, reg(r), imm(c));
    vs.push(a);
    return;
  }
  vs.toFixed(b, ECX);
  const r = vs.toReg(a, [ECX]);
  sel.e(op, reg(r), reg(ECX, 1));
  vs.free(b);
  vs.push(a);
}

function cmp32(sel: Sel, cc: Cond): void {
  const vs = sel.vs;
  let b = vs.pop(); let a = vs.pop();
  if (a.k === 'const' && b.k === 'const') { vs.push({ k: 'const', w: 'i32', lo: evalCC(cc, a.lo, b.lo) ? 1 : 0, hi: 0 }); return; }
  if (a.k === 'const') { const t = a; a = b; b = t; cc = SWAP_CC[cc]; }
  emitCmp(sel, a, b);
  vs.free(a); vs.free(b);
  pushCond(sel, cc);
}

function evalCC(cc: Cond, a: number, b: number): boolean {
  const ua = a >>> 0, ub = b >>> 0;
  switch (cc) {
    case 'e': return a === b; case 'ne': return a !== b;
    case 'l': return a < b; case 'le': return a <= b; case 'g': return a > b; case 'ge': return a >= b;
    case 'b': return ua < ub; case 'be': return ua <= ub; case 'a': return ua > ub; case 'ae': return ua >= ub;
  }
  throw new Error(`cc ${cc}`);
}

/** cmp a, b (a not a constant). */
function emitCmp(sel: Sel, a: V, b: V): void {
  const vs = sel.vs;
  if (isLazy(a)) vs.materialize(a, vs.regsOf(b));
  if (isLazy(b)) vs.materialize(b, vs.regsOf(a));
  let ao = vs.operand(a);
  const bo = vs.operand(b);
  if (ao.k === 'm' && bo.k === 'm') { vs.toReg(a, vs.regsOf(b)); ao = vs.operand(a); }
  if (ao.k === 'r' && bo.k === 'i' && bo.v === 0) sel.e('test', ao, ao);
  else sel.e('cmp', ao, bo);
}

function eqz32(sel: Sel): void {
  const vs = sel.vs;
  const a = vs.pop();
  if (a.k === 'const') { vs.push({ k: 'const', w: 'i32', lo: a.lo === 0 ? 1 : 0, hi: 0 }); return; }
  if (a.k === 'flags') { pushCond(sel, invert(a.cc)); return; }
  if (a.k === 'b8') {
    // Tested: `test al, al` (flags e); as a value: the byte flipped, still 0/1.
    if (flagsWanted(sel)) { sel.e('test', reg(a.r, 1), reg(a.r, 1)); vs.free(a); vs.push({ k: 'flags', w: 'i32', cc: 'e' }); }
    else { sel.e('xor', reg(a.r, 1), imm(1)); vs.push(a); }
    return;
  }
  emitCmp(sel, a, { k: 'const', w: 'i32', lo: 0, hi: 0 });
  vs.free(a);
  pushCond(sel, 'e');
}

function eqz64(sel: Sel): void {
  const vs = sel.vs;
  const a = vs.pop();
  if (a.k === 'const') { vs.push({ k: 'const', w: 'i32', lo: (a.lo | a.hi) === 0 ? 1 : 0, hi: 0 }); return; }
  const r = vs.alloc(vs.regsOf(a));
  sel.e('mov', reg(r), vs.operand(a, 0));
  sel.e('or', reg(r), vs.operand(a, 4));
  vs.free(a);
  pushCond(sel, 'e');
}

function cmp64(sel: Sel, cc: Cond): void {
  const vs = sel.vs;
  let b = vs.pop(); let a = vs.pop();
  const nonImm = (v: V) => {
    // cmp/sbb need a register or memory on the left; immediates are fine on the right.
    if (v.k === 'const') vs.toReg(v, [...vs.regsOf(a), ...vs.regsOf(b)]);
  };
  if (cc === 'e' || cc === 'ne') {
    if (a.k === 'const') { const t = a; a = b; b = t; }
    nonImm(a);
    if (vs.operand(a).k === 'm' && vs.operand(b).k === 'm') vs.toReg(a, vs.regsOf(b));
    const l = sel.newLabel();
    sel.e('cmp', vs.operand(a, 0), vs.operand(b, 0));
    sel.jcc('ne', l);
    sel.e('cmp', vs.operand(a, 4), vs.operand(b, 4));
    sel.place(l);
    vs.free(a); vs.free(b);
    pushCond(sel, cc);
    return;
  }
  // Ordered: a - b via cmp lo, sbb (copy of a.hi), b.hi; gt/le swap the operands.
  if (cc === 'g' || cc === 'le' || cc === 'a' || cc === 'be') { const t = a; a = b; b = t; cc = SWAP_CC[cc]; }
  nonImm(a);
  // The high word is computed into a scratch register: a's own when a is a
  // register pair (it is consumed here), else a fresh one.
  let alo = vs.operand(a, 0);
  const blo = vs.operand(b, 0);
  if (alo.k === 'm' && blo.k === 'm') { vs.toReg(a, vs.regsOf(b)); alo = vs.operand(a, 0); }
  const t = a.k === 'reg' ? a.hi : vs.alloc([...vs.regsOf(a), ...vs.regsOf(b)]);
  if (a.k !== 'reg') sel.e('mov', reg(t), vs.operand(a, 4));
  sel.e('cmp', alo, blo);
  sel.e('sbb', reg(t), vs.operand(b, 4));
  vs.free(a); vs.free(b);
  pushCond(sel, cc);
}

function alu64(sel: Sel, op: 'add' | 'sub' | 'and' | 'or' | 'xor'): void {
  const vs = sel.vs;
  let b = vs.pop(); let a = vs.pop();
  if (op !== 'sub' && (a.k === 'const' || (a.k !== 'reg' && b.k === 'reg'))) { const t = a; a = b; b = t; }
  const r = vs.toReg(a, vs.regsOf(b));
  const hi = asReg(a).hi;
  const [opLo, opHi]: [Mnemonic, Mnemonic] = op === 'add' ? ['add', 'adc'] : op === 'sub' ? ['sub', 'sbb'] : [op, op];
  sel.e(opLo, reg(r), vs.operand(b, 0));
  sel.e(opHi, reg(hi), vs.operand(b, 4));
  vs.free(b);
  vs.push(a);
}

function unaryImm(sel: Sel, op: 'and' | 'xor', value: number, half: number): void {
  const vs = sel.vs;
  const a = vs.pop();
  vs.toReg(a);
  const r = half ? asReg(a).hi : asReg(a).r;
  sel.e(op, reg(r), imm(value));
  vs.push(a);
}

function copysign(sel: Sel, wide: boolean): void {
  const vs = sel.vs;
  const b = vs.pop(); const a = vs.pop();
  vs.toReg(a, vs.regsOf(b));
  const ra = wide ? asReg(a).hi : asReg(a).r;
  if (isLazy(b)) vs.materialize(b, vs.regsOf(a));
  // b dies here: its own register (the sign's half) is the scratch when it has one.
  const t = b.k === 'reg' ? (wide ? b.hi : b.r) : vs.alloc(vs.regsOf(a));
  if (b.k !== 'reg') sel.e('mov', reg(t), vs.operand(b, wide ? 4 : 0));
  sel.e('and', reg(t), imm(0x80000000));
  sel.e('and', reg(ra), imm(0x7FFFFFFF));
  sel.e('or', reg(ra), reg(t));
  vs.free(b);
  vs.push(a);
}

function divI32(sel: Sel, name: string): void {
  const vs = sel.vs;
  const b = vs.pop(); const a = vs.pop();
  const signed = name.endsWith('_s');
  const rem = name.includes('rem');
  if (b.k === 'const' && b.lo === 0) { sel.jmp(sel.trap(TRAP.DIV_ZERO)); vs.free(a); vs.push({ k: 'const', w: 'i32', lo: 0, hi: 0 }); return; }
  if (a.k === 'const' && b.k === 'const' && !(signed && a.lo === -0x80000000 && b.lo === -1)) {
    let r: number;
    if (signed) r = rem ? a.lo % b.lo : (a.lo / b.lo) | 0;
    else r = rem ? (a.lo >>> 0) % (b.lo >>> 0) : ((a.lo >>> 0) / (b.lo >>> 0)) >>> 0;
    vs.push({ k: 'const', w: 'i32', lo: r | 0, hi: 0 });
    return;
  }
  // Unsigned by a power of two: a shift or a mask.
  if (!signed && b.k === 'const' && (b.lo >>> 0) !== 0 && ((b.lo >>> 0) & ((b.lo >>> 0) - 1)) === 0) {
    const r = vs.toReg(a);
    const k = 31 - Math.clz32(b.lo);
    if (rem) sel.e('and', reg(r), imm((b.lo - 1) | 0)); else if (k) sel.e('shr', reg(r), imm(k));
    vs.push(a);
    return;
  }
  // The divisor must stay out of eax/edx, the dividend goes to eax, edx is the high half.
  if (b.k === 'const' || isLazy(b) || (b.k === 'reg' && (b.r === EAX || b.r === EDX))) vs.toReg(b, [EAX, EDX]);
  else if (b.k === 'local' && sel.frame.homes[b.idx].reg < 0) { /* memory operand is fine */ }
  vs.toFixed(a, EAX);
  vs.reserve(EDX);
  const d = vs.operand(b);
  if (!(b.k === 'const')) {
    if (d.k === 'r') sel.e('test', d, d); else sel.e('cmp', d, imm(0));
    sel.jcc('e', sel.trap(TRAP.DIV_ZERO));
  }
  let done: string | undefined;
  if (signed) {
    const notMinus1 = sel.newLabel();
    sel.e('cmp', d, imm(-1));
    sel.jcc('ne', notMinus1);
    if (rem) {
      sel.e('mov', reg(EDX), imm(0));
      done = sel.newLabel();
      sel.jmp(done);
    } else {
      sel.e('cmp', reg(EAX), imm(0x80000000));
      sel.jcc('e', sel.trap(TRAP.INT_OVERFLOW));
    }
    sel.place(notMinus1);
    sel.e('cdq');
    sel.e('idiv', d);
  } else {
    sel.e('mov', reg(EDX), imm(0));
    sel.e('div', d);
  }
  if (done) sel.place(done);
  vs.free(b);
  vs.unreserve(EDX);
  vs.free(a);
  if (rem) vs.pushReg('i32', EDX); else vs.pushReg('i32', EAX);
}

function i64Helper(sel: Sel, name: string): void {
  const vs = sel.vs;
  const b = vs.top();
  const a = vs.stack[vs.stack.length - 2];
  const isShift = /sh|rot/.test(name);
  if (isShift && b.k === 'const' && shiftConst64(sel, name, b.lo & 63)) return;
  if (name.includes('div') || name.includes('rem')) {
    if (b.k === 'const') {
      if (b.lo === 0 && b.hi === 0) { sel.jmp(sel.trap(TRAP.DIV_ZERO)); }
    } else {
      // Any register: a and b are still on the value stack and read after the
      // allocation, so spilling one of them to make room is fine.
      // (A spill replaces the stack entry: read the operands from the stack again.)
      const t = vs.alloc();
      sel.e('mov', reg(t), vs.operand(vs.top(), 0));
      sel.e('or', reg(t), vs.operand(vs.top(), 4));
      sel.jcc('e', sel.trap(TRAP.DIV_ZERO));
    }
    if (name === 'i64.div_s' && !(b.k === 'const' && !(b.lo === -1 && b.hi === -1))) {
      // INT64_MIN / -1 overflows.
      if (a.k === 'const' && !(a.lo === 0 && a.hi === -0x80000000)) { /* cannot overflow */ }
      else {
        const ok = sel.newLabel();
        const t = vs.alloc();
        const cmpEq = (which: 'a' | 'b', half: number, value: number) => {
          const v = vs.stack[vs.stack.length - (which === 'a' ? 2 : 1)];
          sel.e('mov', reg(t), vs.operand(v, half));
          sel.e('cmp', reg(t), imm(value));
          sel.jcc('ne', ok);
        };
        cmpEq('b', 0, -1); cmpEq('b', 4, -1); cmpEq('a', 0, 0); cmpEq('a', 4, 0x80000000);
        sel.jmp(sel.trap(TRAP.INT_OVERFLOW));
        sel.place(ok);
      }
    }
  }
  sel.callLabel(sel.ctx.helper(I64_HELPER[name]), 2, 'i64');
}

/** 64-bit shifts and rotates by a constant, inline. */
function shiftConst64(sel: Sel, name: string, c: number): boolean {
  const vs = sel.vs;
  const b = vs.pop(); const a = vs.pop();
  vs.free(b);
  if (c === 0) { vs.push(a); return true; }
  const lo = vs.toReg(a);
  const hi = asReg(a).hi;
  const L = reg(lo), H = reg(hi);
  switch (name) {
    case 'i64.shl':
      if (c < 32) { sel.e('shld', H, L, imm(c)); sel.e('shl', L, imm(c)); }
      else { sel.e('mov', H, L); if (c > 32) sel.e('shl', H, imm(c - 32)); sel.e('mov', L, imm(0)); }
      break;
    case 'i64.shr_u':
      if (c < 32) { sel.e('shrd', L, H, imm(c)); sel.e('shr', H, imm(c)); }
      else { sel.e('mov', L, H); if (c > 32) sel.e('shr', L, imm(c - 32)); sel.e('mov', H, imm(0)); }
      break;
    case 'i64.shr_s':
      if (c < 32) { sel.e('shrd', L, H, imm(c)); sel.e('sar', H, imm(c)); }
      else { sel.e('mov', L, H); if (c > 32) sel.e('sar', L, imm(c - 32)); sel.e('sar', H, imm(31)); }
      break;
    case 'i64.rotl': case 'i64.rotr': {
      let k = c;
      if (k >= 32) { sel.e('xchg', L, H); k -= 32; }
      if (k === 0) break;
      const t = vs.alloc([lo, hi]);
      if (name === 'i64.rotl') { sel.e('mov', reg(t), H); sel.e('shld', H, L, imm(k)); sel.e('shld', L, reg(t), imm(k)); }
      else { sel.e('mov', reg(t), L); sel.e('shrd', L, H, imm(k)); sel.e('shrd', H, reg(t), imm(k)); }
      break;
    }
    default: vs.push(a); vs.push(b); return false;
  }
  vs.push(a);
  return true;
}

function select(sel: Sel): void {
  const vs = sel.vs;
  const c = vs.pop(); const b = vs.pop(); const a = vs.pop();
  if (c.k === 'const') { if (c.lo !== 0) { vs.free(b); vs.push(a); } else { vs.free(a); vs.push(b); } return; }
  // The condition first: its flags (moves and spills leave them alone) free its register,
  // so an i64 select needs at most four: a's pair and b's pair (b may stay in memory).
  let cc: Cond;
  if (c.k === 'flags') cc = c.cc;
  else if (c.k === 'b8') { sel.e('test', reg(c.r, 1), reg(c.r, 1)); cc = 'ne'; }
  else {
    // No registers to avoid: when none is free, a or b goes to its slot (spillHeld), not a failure.
    if (c.k === 'ea') vs.materialize(c);
    const o = vs.operand(c);
    if (o.k === 'r') sel.e('test', o, o); else sel.e('cmp', o, imm(0));
    cc = 'ne';
  }
  vs.free(c);
  if (isLazy(b)) vs.materialize(b, vs.regsOf(a));
  vs.toReg(a, vs.regsOf(b));
  if (b.k === 'const') vs.toReg(b, vs.regsOf(a));
  const ra = asReg(a);
  sel.out.push({ op: 'cmovcc', cc: invert(cc), ops: [reg(ra.r), vs.operand(b, 0)] });
  if (a.w === 'i64') sel.out.push({ op: 'cmovcc', cc: invert(cc), ops: [reg(ra.hi), vs.operand(b, 4)] });
  vs.free(b);
  vs.push(a);
}
