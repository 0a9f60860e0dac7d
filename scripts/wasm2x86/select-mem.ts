// Pass 4, select (continued): memory access. Loads and stores fold their
// address into [base+index*scale+disp] (select-ops.ts asEA); a load, an ALU
// operation and a store of the same address become one read-modify-write
// instruction; memory.copy and memory.fill become `rep movs`/`rep stos`.

import { TRAP } from './api.ts';
import type { Instr } from './wasm.ts';
import { RMW_OPS, widthOf, type FunctionSelector } from './select.ts';
import { asEA } from './select-ops.ts';
import { isLazy, type V, type Width } from './vstack.ts';
import { EAX, ECX, EDX, EBX, ESI, EDI, reg, imm, mem, memSym, type MemOp, type Operand, type Size, type Mnemonic } from './x86.ts';

type Sel = FunctionSelector;

/**
 * The memory operand for an access at `addr + offset`. `wide`: an 8-byte access
 * done as two dwords; with checkOffsetCarry its second half must not wrap either.
 */
function address(sel: Sel, a: V, offset: number, s: Size, wide = false): MemOp {
  const vs = sel.vs;
  if (sel.ctx.opts.checkOffsetCarry && (offset !== 0 || wide)) {
    const r = vs.toReg(a);
    const extra = wide ? 4 : 0;
    // A constant offset past 4 GiB - 4 always wraps for wide accesses.
    if (offset + extra > 0xFFFFFFFF) { sel.out.push({ op: 'jmp', target: sel.trap(TRAP.OUT_OF_BOUNDS) }); return mem(s, r, 0); }
    sel.e('add', reg(r), imm((offset + extra) | 0));
    sel.jcc('b', sel.trap(TRAP.OUT_OF_BOUNDS));
    return mem(s, r, -extra);
  }
  const e = asEA(sel, a);
  if (e) {
    const m: MemOp = { k: 'm', s, disp: (e.disp + offset) | 0 };
    if (e.base >= 0) m.base = e.base;
    if (e.index >= 0) { m.index = e.index; m.scale = e.scale; }
    return m;
  }
  const r = vs.toReg(a);
  return mem(s, r, offset | 0);
}

/** A narrow or whole i32 load and the store of the same width that may pair with it (memoryUpdate). */
const RMW_PAIR: Record<string, string> = {
  'i32.load': 'i32.store', 'i32.load8_u': 'i32.store8', 'i32.load8_s': 'i32.store8', 'i32.load16_u': 'i32.store16', 'i32.load16_s': 'i32.store16',
};

/** Two stack entries that name the same address without moving anything: one local, one constant. */
function sameAddress(a: V, b: V): boolean {
  if (a.k === 'local' && b.k === 'local') return a.idx === b.idx;
  if (a.k === 'const' && b.k === 'const') return a.lo === b.lo;
  return false;
}

/**
 * `local.get p; local.get p; i32.load o; i32.const c (or local.get x); i32.add; i32.store o`
 * (also sub/and/or/xor, and the 8- and 16-bit pairs): `add dword [p+o], c`, one
 * access that reads and writes. Returns the instructions consumed after the load, or 0.
 */
function memoryUpdate(sel: Sel, ins: Instr): number {
  const vs = sel.vs;
  const src = sel.peek(1), op = sel.peek(2), st = sel.peek(3);
  if (!src || !op || !st || st.name !== RMW_PAIR[ins.name] || (st.offset ?? 0) !== (ins.offset ?? 0) || !(op.name in RMW_OPS)) return 0;
  const n = vs.stack.length;
  if (n < 2 || !sameAddress(vs.stack[n - 1], vs.stack[n - 2])) return 0;
  let value: Operand;
  // A local in memory: through a temporary (`mov eax, [x]; sub [p+o], eax`).
  let fromMemory = -1;
  if (src.name === 'i32.const') value = imm(src.i32! | 0);
  else if (src.name === 'local.get' && widthOf(sel.lf.localTypes[src.index!]) === 'i32') {
    const h = sel.frame.homes[src.index!];
    if (h.reg < 0) { fromMemory = src.index!; value = imm(0); } else value = reg(h.reg);
  } else return 0;
  const s: Size = st.name === 'i32.store8' ? 1 : st.name === 'i32.store16' ? 2 : 4;
  if (value.k === 'r' && s === 1 && value.r > EBX) return 0; // no byte form of esi/edi
  const a = vs.pop();
  const b = vs.pop();
  const m = address(sel, a, ins.offset ?? 0, s);
  if (fromMemory >= 0) {
    const t = vs.alloc([...vs.regsOf(a), ...vs.regsOf(b)], s === 1);
    sel.e('mov', reg(t), vs.localMem(fromMemory));
    value = reg(t);
  }
  if (value.k === 'r') value = reg(value.r, s);
  else if (s < 4) value = imm(value.v & (s === 1 ? 0xFF : 0xFFFF));
  sel.e(RMW_OPS[op.name], m, value);
  vs.free(a); vs.free(b);
  return 3;
}

export function load(sel: Sel, ins: Instr, t: { w: Width; s: Size; signed: boolean }): number {
  const vs = sel.vs;
  if (ins.name in RMW_PAIR) {
    const used = memoryUpdate(sel, ins);
    if (used) return used;
  }
  const a = vs.pop();
  const m = address(sel, a, ins.offset ?? 0, t.s);
  const mine = vs.regsOf(a);
  const ld = (dst: number, mm: MemOp) => {
    if (t.s === 4) sel.e('mov', reg(dst), mm);
    else sel.e(t.signed ? 'movsx' : 'movzx', reg(dst), mm);
  };
  if (t.w === 'i32') {
    vs.free(a);
    const r = mine.length ? mine[0] : vs.alloc();
    ld(r, m);
    vs.pushReg('i32', r);
    return 0;
  }
  const lo = vs.alloc(mine);
  vs.reserve(lo);
  const hi = vs.alloc(mine);
  vs.unreserve(lo);
  ld(lo, m);
  if (t.s === 4 && !t.signed && ins.name.endsWith('load') || ins.name === 'f64.load') sel.e('mov', reg(hi), { ...m, disp: (m.disp + 4) | 0 });
  else if (t.signed) { sel.e('mov', reg(hi), reg(lo)); sel.e('sar', reg(hi), imm(31)); }
  else sel.e('mov', reg(hi), imm(0));
  vs.free(a);
  vs.pushReg('i64', lo, hi);
  return 0;
}

export function store(sel: Sel, ins: Instr, t: { w: Width; s: Size; wide: boolean }): void {
  const vs = sel.vs;
  const v = vs.pop(); const a = vs.pop();
  if (isLazy(v)) vs.materialize(v, vs.regsOf(a));
  const m = address(sel, a, ins.offset ?? 0, t.s, t.wide);
  const avoid = vs.regsOf(a);
  const val = (half: number): Operand => {
    let o = vs.operand(v, half);
    if (o.k === 'm' || (t.s === 1 && o.k === 'r' && o.r > EBX)) {
      const cur = v.k === 'reg' ? (half ? v.hi : v.r) : -1;
      if (cur >= 0) {
        // Copy one half into a byte register.
        const r = vs.alloc([...avoid, ...vs.regsOf(v)], true);
        sel.e('mov', reg(r), reg(cur));
        o = reg(r);
      } else {
        vs.toReg(v, avoid, t.s === 1);
        o = vs.operand(v, half);
        if (t.s === 1 && o.k === 'r' && o.r > EBX) {
          const r = vs.alloc([...avoid, ...vs.regsOf(v)], true);
          sel.e('mov', reg(r), o);
          o = reg(r);
        }
      }
    }
    if (o.k === 'r') return reg(o.r, t.s);
    // A narrow store keeps the constant's low bytes: the immediate has the store's width.
    if (o.k === 'i' && o.sym === undefined && t.s < 4) return imm(o.v & (t.s === 1 ? 0xFF : 0xFFFF));
    return o;
  };
  // The high half first: if the access runs past the end of memory, its upper
  // page faults before anything is written.
  if (t.wide) sel.e('mov', { ...m, disp: (m.disp + 4) | 0 }, val(4));
  sel.e('mov', m, val(0));
  vs.free(v); vs.free(a);
}

/**
 * memory.copy and memory.fill inline, as an i386 libc's memmove/memset: `rep movsd`
 * (`rep stosd`) then the odd bytes. memory.copy is a memmove: when the destination
 * starts inside the source (d - s < n, unsigned) it copies backward, byte by byte
 * (out of line). With checkBulkBounds, both ranges are checked against the memory
 * size before anything is written (also for n = 0), as the spec has it.
 * Needs edi, ecx, eax, edx and (copy) esi: register entries below move to their
 * slots, pinned locals in those registers are pushed around the copy.
 */
export function bulkMemory(sel: Sel, copy: boolean): void {
  const vs = sel.vs;
  const n = vs.pop(); const s = vs.pop(); const d = vs.pop();
  const clobber = copy ? [EAX, ECX, EDX, ESI, EDI] : [EAX, ECX, EDX, EDI];
  for (let i = 0; i < vs.stack.length; i++) {
    const v = vs.stack[i];
    if (v.k === 'flags' || vs.regsOf(v).some((r) => clobber.includes(r))) vs.spillAt(i);
  }
  for (const v of [d, s, n]) if (isLazy(v)) vs.materialize(v);
  const count = n.k === 'const' ? n.lo >>> 0 : -1;
  const moves: Array<{ dst: number; src: Operand }> = [{ dst: EDI, src: vs.operand(d) }];
  if (copy) moves.push({ dst: ESI, src: vs.operand(s) });
  else if (s.k !== 'const') moves.push({ dst: EAX, src: vs.operand(s) });
  if (count < 0) moves.push({ dst: ECX, src: vs.operand(n) });
  const saved = clobber.filter((r) => sel.frame.pinned.includes(r));
  for (const r of saved) sel.e('push', reg(r));
  parallelMove(sel, moves);
  for (const v of [d, s, n]) vs.free(v);
  for (const r of clobber) {
    if (vs.owner[r] !== null) throw new Error(`bulk memory: register ${r} still in use`);
    if (r === ESI || r === EDI) vs.touched.add(r);
  }
  if (count < 0) {
    // A length known only at run time: the routine (smaller code; the same instructions but a call and a ret).
    // A constant value goes in as the fill word (memset_r's entry after the multiply).
    if (!copy && s.k === 'const') sel.e('mov', reg(EAX), imm(Math.imul(s.lo & 0xFF, 0x01010101)));
    const routine = sel.ctx.helper(copy ? 'memmove_r' : 'memset_r');
    sel.out.push({ op: 'call', target: !copy && s.k === 'const' ? `${routine}$w` : routine });
    for (const r of [...saved].reverse()) sel.e('pop', reg(r));
    return;
  }
  const N: Operand = imm(count | 0);
  if (sel.ctx.opts.checkBulkBounds) {
    // limit - start >= n for each range (limit - start borrowing: start past the limit).
    const oob = sel.trap(TRAP.OUT_OF_BOUNDS);
    sel.e('mov', reg(EDX), memSym(4, sel.ctx.memPagesLabel));
    sel.e('shl', reg(EDX), imm(16));
    for (const start of copy ? [ESI, EDI] : [EDI]) {
      const t = copy && start === ESI ? EAX : EDX;
      if (t !== EDX) sel.e('mov', reg(t), reg(EDX));
      sel.e('sub', reg(t), reg(start));
      sel.jcc('b', oob);
      sel.e('cmp', reg(t), N);
      sel.jcc('b', oob);
    }
  }
  if (!copy) {
    if (s.k === 'const') sel.e('mov', reg(EAX), imm(Math.imul(s.lo & 0xFF, 0x01010101)));
    else { sel.e('movzx', reg(EAX), reg(EAX, 1)); sel.e('imul', reg(EAX), reg(EAX), imm(0x01010101)); }
  }
  const done = sel.newLabel();
  if (copy) {
    // Overlap with the destination above the source: backward (rare; out of line).
    const back = sel.newLabel();
    sel.e('mov', reg(EAX), reg(EDI));
    sel.e('sub', reg(EAX), reg(ESI));
    sel.e('cmp', reg(EAX), N);
    sel.jcc('b', back);
    sel.tail.push({ op: 'label', target: back });
    if (count >= 0) sel.tail.push({ op: 'mov', ops: [reg(ECX), imm(count | 0)] });
    sel.tail.push(
      { op: 'lea', ops: [reg(ESI), mem(4, ESI, -1, ECX, 1)] }, { op: 'lea', ops: [reg(EDI), mem(4, EDI, -1, ECX, 1)] },
      { op: 'std' }, { op: 'rep_movsb' }, { op: 'cld' }, { op: 'jmp', target: done });
  }
  // The direction flag is clear in translated code (see runtime.ts usercopy).
  const [words, bytes]: Mnemonic[] = copy ? ['rep_movsd', 'rep_movsb'] : ['rep_stosd', 'rep_stosb'];
  if (count >= 0) {
    if (count >>> 2) { sel.e('mov', reg(ECX), imm(count >>> 2)); sel.e(words); }
    if (count & 3) { sel.e('mov', reg(ECX), imm(count & 3)); sel.e(bytes); }
  } else {
    sel.e('mov', reg(EDX), reg(ECX));
    sel.e('shr', reg(ECX), imm(2));
    sel.e(words);
    sel.e('mov', reg(ECX), reg(EDX));
    sel.e('and', reg(ECX), imm(3));
    sel.e(bytes);
  }
  sel.place(done);
  for (const r of [...saved].reverse()) sel.e('pop', reg(r));
}

/** Moves into distinct registers whose sources may be each other's destinations (memory sources are ebp-based). */
function parallelMove(sel: Sel, moves: Array<{ dst: number; src: Operand }>): void {
  const reads = (o: Operand, r: number) => (o.k === 'r' && o.r === r) || (o.k === 'm' && (o.base === r || o.index === r));
  const pending = moves.filter((m) => !(m.src.k === 'r' && m.src.r === m.dst));
  while (pending.length) {
    const i = pending.findIndex((m) => !pending.some((o) => o !== m && reads(o.src, m.dst)));
    if (i >= 0) { sel.e('mov', reg(pending[i].dst), pending[i].src); pending.splice(i, 1); continue; }
    // Only a cycle of registers is left: swap one pair, then whoever read either reads the other.
    const m = pending.shift()!;
    const a = (m.src as { r: number }).r, b = m.dst;
    sel.e('xchg', reg(b), reg(a));
    for (const o of pending) if (o.src.k === 'r') { if (o.src.r === a) o.src = reg(b); else if (o.src.r === b) o.src = reg(a); }
  }
}

/**
 * `global.get g; i32.const c; i32.add (sub, and, or, xor); global.set g`:
 * one `add dword [g], c`. Returns the instructions consumed after the get, or 0.
 */
export function globalUpdate(sel: Sel, g: number): number {
  if (sel.ctx.globalWide(g)) return 0;
  const c = sel.peek(1), op = sel.peek(2), set = sel.peek(3);
  if (c?.name !== 'i32.const' || !op || !(op.name in RMW_OPS) || set?.name !== 'global.set' || set.index !== g) return 0;
  const lbl = sel.ctx.globalLabel(g);
  sel.e(RMW_OPS[op.name], memSym(4, lbl), imm(c.i32! | 0));
  return 3;
}

/**
 * `local.get x; i32.const c (or local.get y in a register); i32.add (sub, and, or, xor); local.set x`
 * with x in memory: one `add dword [x], c`. Returns the instructions consumed after the get, or 0.
 */
export function localUpdate(sel: Sel, x: number): number {
  const home = sel.frame.homes[x];
  if (home.reg >= 0 || widthOf(sel.lf.localTypes[x]) !== 'i32') return 0;
  const src = sel.peek(1), op = sel.peek(2), set = sel.peek(3);
  if (!src || !op || !(op.name in RMW_OPS) || set?.name !== 'local.set' || set.index !== x) return 0;
  let value: Operand;
  if (src.name === 'i32.const') value = imm(src.i32! | 0);
  else if (src.name === 'local.get' && src.index !== x && sel.frame.homes[src.index!].reg >= 0) value = reg(sel.frame.homes[src.index!].reg);
  else if (src.name === 'local.get' && src.index !== x && widthOf(sel.lf.localTypes[src.index!]) === 'i32') {
    // Both in memory: through a temporary (`mov eax, [y]; add [x], eax`).
    sel.vs.invalidateLocal(x);
    const t = sel.vs.alloc();
    sel.e('mov', reg(t), sel.vs.localMem(src.index!));
    value = reg(t);
  } else return 0;
  sel.vs.invalidateLocal(x);
  const m = sel.vs.localMem(x);
  if (value.k === 'i' && value.v === 1 && (op.name === 'i32.add' || op.name === 'i32.sub')) sel.e(op.name === 'i32.add' ? 'inc' : 'dec', m);
  else sel.e(RMW_OPS[op.name], m, value);
  return 3;
}
