// The virtual value stack the selector keeps while it walks a function.
//
// Each wasm operand is an entry that says where its value is right now: a
// constant, a temporary register (or a pair for 64-bit values), a local that
// has not been read yet, a canonical spill slot, CPU flags left by a compare
// that the next instruction consumes, or an address expression
// base + index*scale + disp that a load or store folds into its operand.
// Values are only moved when an instruction needs them somewhere else, so
// `local.get a; i32.const 4; i32.add; i32.load` becomes one `mov`. A compare
// used as a value is a `b8` entry: 0/1 in the low byte of a byte register
// (setcc), the upper bytes unknown; tests and i32.or/and/xor of two of them
// use the byte as it is, anything else widens it first (movzx).
//
// Register management never touches the flags (it uses mov, lea and movzx
// only), so a compare can be emitted before the moves that a branch needs.

import {
  EAX, ECX, EDX, EBX, ESI, EDI, EBP, reg, imm, mem,
  type Insn, type Operand, type MemOp, type Cond, type Size, type Mnemonic,
} from './x86.ts';
import type { LocalHome } from './allocate.ts';

export type Width = 'i32' | 'i64';

export type V =
  | { k: 'const'; w: Width; lo: number; hi: number }
  | { k: 'reg'; w: Width; r: number; hi: number }
  | { k: 'local'; w: Width; idx: number }
  | { k: 'spill'; w: Width; slot: number }
  | { k: 'flags'; w: 'i32'; cc: Cond }
  | { k: 'b8'; w: 'i32'; r: number }
  | { k: 'ea'; w: 'i32'; base: number; index: number; scale: 1 | 2 | 4 | 8; disp: number; deps: number[] };

/** Entries that are not a plain operand yet: materialize() turns them into a register. */
export function isLazy(v: V): boolean { return v.k === 'flags' || v.k === 'ea' || v.k === 'b8'; }

/** An entry in registers (what toReg and toFixed leave). */
export type RegV = V & { k: 'reg' };
/** The entry as a register entry: after toReg/toFixed, where the type system cannot see it. */
export function asReg(v: V): RegV {
  if (v.k !== 'reg') throw new Error(`expected a register entry, found ${v.k}`);
  return v;
}
/** Turns an entry into another kind in place (entries are shared by reference: the stack, held operands). */
function become(v: V, next: V): void {
  const fields = v as unknown as Record<string, unknown>;
  for (const k of Object.keys(fields)) delete fields[k];
  Object.assign(v, next);
}

/** Owner of a register kept out of allocation (never spilled or moved). */
export const RESERVED = { k: 'const', w: 'i32', lo: 0, hi: 0 } as V;

export class VStack {
  stack: V[] = [];
  /** Owner of each temporary register (an entry, RESERVED, or null when free). */
  owner: (V | null)[] = new Array(8).fill(null);
  /** Registers the selector may use as temporaries. */
  temps: number[];
  /** Callee-saved registers touched (they need saving in the prologue). */
  touched = new Set<number>();
  maxDepth = 0;
  /** Spill slots used (slotMem's highest slot + 1): the frame reserves only these. */
  slotsUsed = 0;
  /**
   * Operands the current wasm instruction has popped, with the stack position
   * each had: while the instruction still uses them they may be spilled to that
   * position's slot (no entry above the stack's height uses it), so register
   * pressure inside one instruction never makes allocation fail.
   */
  held: Array<{ v: V; slot: number }> = [];
  constructor(public out: Insn[], public homes: LocalHome[], pinned: number[], public spillBase: number) {
    this.temps = [EAX, ECX, EDX, EBX, ESI, EDI].filter((r) => !pinned.includes(r));
    for (const r of pinned) this.touched.add(r);
  }

  e(op: Mnemonic, ...ops: Operand[]): void { this.out.push({ op, ops }); }

  push(v: V): void {
    this.stack.push(v);
    if (this.stack.length > this.maxDepth) this.maxDepth = this.stack.length;
    const h = this.held.findIndex((x) => x.v === v);
    if (h >= 0) this.held.splice(h, 1);
  }
  pop(): V {
    const v = this.stack.pop()!;
    this.held.push({ v, slot: this.stack.length });
    return v;
  }
  /** A new wasm instruction: what the last one popped and did not push back is dead. */
  nextInstruction(): void { this.held.length = 0; }
  top(): V { return this.stack[this.stack.length - 1]; }

  // ---- register ownership -------------------------------------------------

  private own(r: number, v: V): void {
    this.owner[r] = v;
    if (r === EBX || r === ESI || r === EDI) this.touched.add(r);
  }
  regsOf(v: V): number[] {
    if (v.k === 'reg') return v.hi >= 0 ? [v.r, v.hi] : [v.r];
    if (v.k === 'b8') return [v.r];
    if (v.k === 'ea') return [v.base, v.index].filter((r) => r >= 0 && this.temps.includes(r) && this.owner[r] === v);
    return [];
  }
  /** Release an entry's temporary registers. */
  free(v: V): void {
    for (const r of this.regsOf(v)) if (this.owner[r] === v) this.owner[r] = null;
  }
  reserve(r: number): void { this.evict(r); this.owner[r] = RESERVED; }
  unreserve(r: number): void { if (this.owner[r] === RESERVED) this.owner[r] = null; }

  /** A free temporary register, spilling the oldest stack entry if none is free. */
  alloc(avoid: number[] = [], byteable = false): number {
    for (;;) {
      for (const r of this.temps) {
        if (this.owner[r] === null && !avoid.includes(r) && (!byteable || r <= EBX)) {
          if (r === EBX || r === ESI || r === EDI) this.touched.add(r);
          return r;
        }
      }
      // Spill the bottom-most entry that holds a usable register.
      let spilled = false;
      const usable = (rs: number[]) => rs.some((r) => !avoid.includes(r) && (!byteable || r <= EBX));
      for (let i = 0; i < this.stack.length; i++) {
        const v = this.stack[i];
        const rs = this.regsOf(v);
        if (usable(rs)) { this.spillAt(i); spilled = true; break; }
      }
      // Then an operand this instruction popped whose registers the caller is not using.
      if (!spilled) {
        const h = this.held.find((x) => x.v.k === 'reg' && this.regsOf(x.v).every((r) => this.owner[r] === x.v && !avoid.includes(r)) && usable(this.regsOf(x.v)));
        if (h) { this.spillHeld(h.v); spilled = true; }
      }
      if (!spilled) throw new Error('register allocation failed: no register can be freed');
    }
  }

  /** Move whatever owns register r elsewhere, so r is free. */
  evict(r: number, avoid: number[] = []): void {
    const v = this.owner[r];
    if (v === null) return;
    if (v === RESERVED) throw new Error(`register ${r} is reserved`);
    if (v.k === 'b8') this.materialize(v); // widened where it is: a plain register entry may move anywhere
    const inStack = this.stack.indexOf(v);
    const avoidAll = [r, ...avoid];
    // Prefer another free register (a byte register for a value in one), else any free one.
    const isFree = (t: number) => this.owner[t] === null && !avoidAll.includes(t);
    let free = this.temps.find((t) => isFree(t) && (r > EBX || t <= EBX || v.k !== 'reg')) ?? this.temps.find(isFree);
    if (free === undefined) {
      if (inStack >= 0) { this.spillAt(inStack); return; }
      // An operand the instruction popped: to its slot, or (an address expression) make room.
      if (v.k === 'reg' && this.held.some((x) => x.v === v)) { this.spillHeld(v); return; }
      free = this.alloc(avoidAll);
    }
    this.e('mov', reg(free), reg(r));
    this.owner[r] = null;
    this.own(free, v);
    if (v.k === 'reg') { if (v.r === r) v.r = free; else v.hi = free; }
    else if (v.k === 'ea') { if (v.base === r) v.base = free; if (v.index === r) v.index = free; }
  }

  /** Store a popped register operand in the slot of the position it had; it becomes a spill entry. */
  spillHeld(v: V): void {
    const h = this.held.find((x) => x.v === v);
    if (!h || v.k !== 'reg') throw new Error('spillHeld: not a popped register operand');
    this.e('mov', this.slotMem(h.slot), reg(v.r));
    if (v.hi >= 0) this.e('mov', this.slotMem(h.slot, 4), reg(v.hi));
    this.free(v);
    become(v, { k: 'spill', w: v.w, slot: h.slot });
  }

  // ---- operands ------------------------------------------------------------

  slotMem(slot: number, half = 0, s: Size = 4): MemOp {
    if (slot >= this.slotsUsed) this.slotsUsed = slot + 1;
    return mem(s, EBP, -(this.spillBase + 8 * (slot + 1)) + half);
  }
  localMem(idx: number, half = 0, s: Size = 4): MemOp { return mem(s, EBP, this.homes[idx].disp + half); }

  /** Source operand for the low (half 0) or high (half 4) word of an entry, without moving it. */
  operand(v: V, half = 0): Operand {
    switch (v.k) {
      case 'const': return imm(half ? v.hi : v.lo);
      case 'reg': return reg(half ? v.hi : v.r);
      case 'local': {
        const h = this.homes[v.idx];
        return h.reg >= 0 ? reg(h.reg) : this.localMem(v.idx, half);
      }
      case 'spill': return this.slotMem(v.slot, half);
      default: throw new Error(`operand of ${v.k} entry`);
    }
  }
  /** Like operand(), but lazy kinds (flags, ea) are turned into a register first. */
  src(v: V, half = 0): Operand {
    if (isLazy(v)) { this.materialize(v); }
    return this.operand(v, half);
  }

  /** Turn a flags or ea entry into a plain register entry, in place. */
  materialize(v: V, avoid: number[] = []): void {
    if (v.k === 'b8') {
      const r = v.r;
      this.e('movzx', reg(r), reg(r, 1));
      become(v, { k: 'reg', w: 'i32', r, hi: -1 });
      this.own(r, v);
      if (avoid.includes(r)) this.toReg(v, avoid);
    } else if (v.k === 'flags') {
      const r = this.alloc(avoid, true);
      this.out.push({ op: 'setcc', cc: v.cc, ops: [reg(r, 1)] });
      this.e('movzx', reg(r), reg(r, 1));
      become(v, { k: 'reg', w: 'i32', r, hi: -1 });
      this.own(r, v);
    } else if (v.k === 'ea') {
      const m = this.eaMem(v, 4);
      this.free(v);
      const r = this.alloc(avoid);
      if (v.index < 0 && v.disp === 0) { if (r !== v.base) this.e('mov', reg(r), reg(v.base)); }
      else if (v.base < 0 && v.index < 0) this.e('mov', reg(r), imm(v.disp));
      else this.e('lea', reg(r), m);
      become(v, { k: 'reg', w: 'i32', r, hi: -1 });
      this.own(r, v);
    }
  }

  eaMem(v: V & { k: 'ea' }, s: Size, extra = 0): MemOp {
    const m: MemOp = { k: 'm', s, disp: (v.disp + extra) | 0 };
    if (v.base >= 0) m.base = v.base;
    if (v.index >= 0) { m.index = v.index; m.scale = v.scale; }
    return m;
  }

  /** Put an entry in temporary register(s) it owns alone (copying a pinned local). Returns the low register. */
  toReg(v: V, avoid: number[] = [], byteable = false): number {
    if (isLazy(v)) this.materialize(v, avoid);
    if (v.k === 'reg') {
      const bad = (r: number) => avoid.includes(r) || (byteable && r > EBX);
      if (bad(v.r)) {
        const r = this.alloc([...avoid, v.r, v.hi], byteable);
        this.e('mov', reg(r), reg(v.r));
        this.owner[v.r] = null; v.r = r; this.own(r, v);
      }
      if (v.hi >= 0 && avoid.includes(v.hi)) {
        const r = this.alloc([...avoid, v.r, v.hi]);
        this.e('mov', reg(r), reg(v.hi));
        this.owner[v.hi] = null; v.hi = r; this.own(r, v);
      }
      return v.r;
    }
    const lo = this.alloc(avoid, byteable);
    this.owner[lo] = RESERVED;
    let hi = -1;
    if (v.w === 'i64') hi = this.alloc([...avoid, lo]);
    this.owner[lo] = null;
    this.loadInto(v, lo, hi);
    Object.assign(v, { k: 'reg', r: lo, hi });
    this.own(lo, v);
    if (hi >= 0) this.own(hi, v);
    return lo;
  }

  private loadInto(v: V, lo: number, hi: number): void {
    if (v.k === 'const') {
      this.e('mov', reg(lo), imm(v.lo));
      if (hi >= 0) this.e('mov', reg(hi), imm(v.hi));
      return;
    }
    const srcLo = this.operand(v, 0);
    if (hi >= 0) {
      const srcHi = this.operand(v, 4);
      this.e('mov', reg(lo), srcLo);
      this.e('mov', reg(hi), srcHi);
    } else if (!(srcLo.k === 'r' && srcLo.r === lo)) this.e('mov', reg(lo), srcLo);
  }

  /** Put an entry exactly in register r (and hi for a pair), evicting what is there. */
  toFixed(v: V, r: number, hi = -1): void {
    if (v.k === 'b8') this.materialize(v);
    if (v.k === 'flags' || v.k === 'ea') this.materialize(v, hi >= 0 ? [r, hi] : [r]);
    if (v.k === 'reg' && v.r === r && (hi < 0 || v.hi === hi)) return;
    // Free the entry's own registers first so moves between them work.
    const prevLo = v.k === 'reg' ? v.r : -1, prevHi = v.k === 'reg' ? v.hi : -1;
    if (v.k === 'reg') this.free(v);
    const targets = hi >= 0 ? [r, hi] : [r];
    for (const t of targets) if (this.owner[t] !== null) this.evict(t, [...targets, prevLo, prevHi].filter((x) => x >= 0));
    if (v.k === 'reg') {
      if (hi >= 0) {
        // Parallel move of a pair (prevLo, prevHi) -> (r, hi).
        if (prevLo === hi && prevHi === r) this.e('xchg', reg(r), reg(hi));
        else if (prevHi === r) {
          // r currently holds the high word: move it out first.
          this.e('mov', reg(hi), reg(prevHi));
          if (prevLo !== r) this.e('mov', reg(r), reg(prevLo));
        } else {
          if (prevLo !== r) this.e('mov', reg(r), reg(prevLo));
          if (prevHi !== hi) this.e('mov', reg(hi), reg(prevHi));
        }
      } else if (prevLo !== r) this.e('mov', reg(r), reg(prevLo));
    } else this.loadInto(v, r, hi);
    Object.assign(v, { k: 'reg', r, hi });
    this.own(r, v);
    if (hi >= 0) this.own(hi, v);
  }
  /** Store entry i into its canonical spill slot. */
  spillAt(i: number): void {
    const v = this.stack[i];
    if (v.k === 'spill' && v.slot === i) return;
    if (v.k === 'const') return;
    if (isLazy(v)) this.materialize(v);
    if (v.k === 'reg') {
      this.e('mov', this.slotMem(i), reg(v.r));
      if (v.hi >= 0) this.e('mov', this.slotMem(i, 4), reg(v.hi));
      this.free(v);
    } else {
      // A local or another slot: copy through a register.
      const r = this.alloc();
      this.e('mov', reg(r), this.operand(v, 0));
      this.e('mov', this.slotMem(i), reg(r));
      if (v.w === 'i64') {
        this.e('mov', reg(r), this.operand(v, 4));
        this.e('mov', this.slotMem(i, 4), reg(r));
      }
    }
    this.stack[i] = { k: 'spill', w: v.w, slot: i };
  }

  /** Everything but constants to canonical slots: the state at every label. */
  flushAll(): void {
    for (let i = 0; i < this.stack.length; i++) this.spillAt(i);
  }

  /** Before a call: entries in caller-saved registers (eax, ecx, edx) go to their slots. */
  flushCallerSaved(upTo: number): void {
    for (let i = 0; i < upTo; i++) {
      const v = this.stack[i];
      if (v.k === 'flags' || (v.k === 'ea') || ((v.k === 'reg' || v.k === 'b8') && this.regsOf(v).some((r) => r === EAX || r === ECX || r === EDX))) this.spillAt(i);
    }
  }

  /** A local is about to change: entries that read it lazily must take their value now. */
  invalidateLocal(idx: number): void {
    for (let i = 0; i < this.stack.length; i++) {
      const v = this.stack[i];
      if (v.k === 'local' && v.idx === idx) this.toReg(v);
      else if (v.k === 'ea' && v.deps.includes(idx)) this.materialize(v);
    }
  }

  /** Reset the model to `height` entries (at labels): temporaries all free. */
  resetTo(height: number): void {
    this.stack.length = height;
    this.owner.fill(null);
  }

  pushReg(w: Width, r: number, hi = -1): V {
    const v: V = { k: 'reg', w, r, hi };
    this.own(r, v);
    if (hi >= 0) this.own(hi, v);
    this.push(v);
    return v;
  }
}

export const SWAP_CC: Record<Cond, Cond> = {
  o: 'o', no: 'no', b: 'a', ae: 'be', e: 'e', ne: 'ne', be: 'ae', a: 'b',
  s: 's', ns: 'ns', p: 'p', np: 'np', l: 'g', ge: 'le', le: 'ge', g: 'l',
};
export { EAX, ECX, EDX, EBX, ESI, EDI };
