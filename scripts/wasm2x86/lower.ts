// Pass 2, lower: one walk over a function body that prepares selection.
//
// It checks that every instruction is one the translator handles (others raise
// UnsupportedError naming the feature), pairs each block/loop/if with its
// else/end, and weighs every local by how often it is used, counting a use
// inside a loop nest of depth d as 8^d uses. allocate.ts reads the weights to
// decide which locals live in registers.

import { UnsupportedError } from './api.ts';
import type { Func, Module, ValType, Instr } from './wasm.ts';

export interface LoweredFunc {
  func: Func;
  /** Parameters then declared locals. */
  localTypes: ValType[];
  numParams: number;
  params: ValType[];
  results: ValType[];
  /** Use weight of each local. */
  weight: number[];
  /** Locals that only ever hold 0 or 1 (declared i32s written only with 0/1 constants and compares). */
  boolean: boolean[];
  /** Locals written (local.set/tee) anywhere in the function. */
  written: boolean[];
  /** For a block/loop/if at index i: index of its end; for if, `elseAt` too. */
  endOf: Int32Array;
  elseOf: Int32Array;
  usesI64: boolean;
  /** The function calls something (a call, call_indirect or a helper routine). */
  makesCalls: boolean;
  /**
   * The function calls a function (call, call_indirect, an intrinsic import) or grows
   * memory (whose hook may be a function): it needs the prologue's stack check even
   * with a small frame (frame.ts finishFunction).
   */
  callsFunctions: boolean;
  /**
   * Caller-saved registers that no instruction of the function needs in a fixed
   * role, so a local may live there (allocate.ts): edx in leaf functions without
   * i64 values, division or bulk memory; ecx when there is no shift by a
   * variable count either.
   */
  spareRegs: { edx: boolean; ecx: boolean };
  /**
   * Declared locals whose zero initialisation can be skipped: on every path
   * through the function, a write comes before any read (definitelySet).
   */
  setBeforeRead: boolean[];
}

// Float instructions that only move bits; everything else on floats is unsupported.
const FLOAT_MOVES = new Set([
  'f32.const', 'f64.const', 'f32.load', 'f64.load', 'f32.store', 'f64.store',
  'f32.reinterpret_i32', 'i32.reinterpret_f32', 'f64.reinterpret_i64', 'i64.reinterpret_f64',
  'f32.abs', 'f64.abs', 'f32.neg', 'f64.neg', 'f32.copysign', 'f64.copysign',
]);
// i64 operations done by runtime helper routines (calls).
const I64_HELPERS = new Set([
  'i64.mul', 'i64.div_s', 'i64.div_u', 'i64.rem_s', 'i64.rem_u', 'i64.shl', 'i64.shr_s', 'i64.shr_u',
  'i64.rotl', 'i64.rotr', 'i64.clz', 'i64.ctz', 'i64.popcnt', 'i32.popcnt',
  'memory.copy', 'memory.fill', 'memory.grow',
]);

// Atomic instructions (0xFE prefix) the selector knows: the i32 ones. Loads, stores and
// the fence are plain instructions on one processor; the read-modify-writes are
// runtime routines with a `lock`ed instruction (runtime.ts atomic_*).
export const ATOMIC_RMW = ['add', 'sub', 'and', 'or', 'xor', 'xchg', 'cmpxchg'] as const;
const ATOMICS = new Set([
  'atomic.fence', 'i32.atomic.load', 'i32.atomic.load8_u', 'i32.atomic.load16_u',
  'i32.atomic.store', 'i32.atomic.store8', 'i32.atomic.store16', ...ATOMIC_RMW.map((o) => `i32.atomic.rmw.${o}`),
]);

function isWide(t: ValType): boolean { return t === 'i64' || t === 'f64'; }
function checkType(t: ValType, what: string): void {
  if (t === 'v128') throw new UnsupportedError('simd', `${what} has type v128`);
  if (t === 'funcref' || t === 'externref') throw new UnsupportedError('reference-types', `${what} has type ${t}`);
}

/**
 * Locals that no read can see before a write (see LoweredFunc.setBeforeRead):
 * a forward "definitely assigned" dataflow over the structured control flow.
 * The state is the set of locals written on every path to the current point.
 * A block's or if's end meets its fallthrough with every branch to it; a
 * loop's head needs no fixpoint (every path to a back edge passes the head,
 * so it only adds locals); after br, br_table, return and unreachable the code
 * is unreachable until the enclosing end (state: everything). A local.get of
 * a local not in the state needs the zero the function starts it with.
 */
function definitelySet(body: Instr[], count: number, numParams: number): boolean[] {
  const needsZero = new Array<boolean>(count).fill(false);
  let cur: Uint8Array = new Uint8Array(count);
  for (let i = 0; i < numParams; i++) cur[i] = 1;
  const ALL: Uint8Array = new Uint8Array(count).fill(1);
  // Per open construct: its kind, the state at its start (if: for the else arm), and the meet of branches to its end.
  const open: Array<{ kind: string; start: Uint8Array; merged: Uint8Array | null }> = [];
  const meet = (into: Uint8Array | null, s: Uint8Array): Uint8Array => {
    if (!into) return s.slice();
    for (let i = 0; i < count; i++) into[i] &= s[i];
    return into;
  };
  const branch = (depth: number) => {
    const c = open[open.length - 1 - depth];
    if (c && c.kind !== 'loop') c.merged = meet(c.merged, cur); // depth past the blocks: the function's return
  };
  for (const ins of body) {
    switch (ins.name) {
      case 'block': case 'loop': case 'if':
        open.push({ kind: ins.name, start: cur.slice(), merged: null });
        continue;
      case 'else': {
        const c = open[open.length - 1];
        c.merged = meet(c.merged, cur);
        c.kind = 'else';
        cur = c.start.slice();
        continue;
      }
      case 'end': {
        const c = open.pop();
        if (!c) continue; // the function's end
        if (c.kind === 'if') c.merged = meet(c.merged, c.start); // no else: the condition false skips the arm
        cur = c.kind === 'loop' ? cur : meet(c.merged, cur);
        continue;
      }
      case 'br': branch(ins.index!); cur = ALL.slice(); continue;
      case 'br_if': branch(ins.index!); continue;
      case 'br_table': for (const d of ins.labels!) branch(d); cur = ALL.slice(); continue;
      case 'return': case 'unreachable': cur = ALL.slice(); continue;
      case 'local.get': if (!cur[ins.index!]) needsZero[ins.index!] = true; continue;
      case 'local.set': case 'local.tee': cur[ins.index!] = 1; continue;
    }
  }
  return needsZero.map((z, i) => i >= numParams && !z);
}

/** Instructions whose i32 result is 0 or 1. */
const BOOLEAN_OPS = /^i(32|64)\.(eqz|eq|ne|lt_[su]|gt_[su]|le_[su]|ge_[su])$/;

export function lowerFunction(mod: Module, func: Func): LoweredFunc {
  const type = mod.types[func.typeIndex];
  if (type.results.length > 1) throw new UnsupportedError('multi-value', 'function returns several values');
  const localTypes = [...type.params, ...func.locals];
  localTypes.forEach((t, i) => checkType(t, `local ${i}`));
  type.results.forEach((t) => checkType(t, 'result'));
  const n = func.body.length;
  const endOf = new Int32Array(n).fill(-1);
  const elseOf = new Int32Array(n).fill(-1);
  const weight = new Array<number>(localTypes.length).fill(0);
  const written = new Array<boolean>(localTypes.length).fill(false);
  const open: number[] = [];
  let loopDepth = 0;
  const loopStack: boolean[] = [];
  let usesI64 = localTypes.some(isWide) || type.results.some(isWide);
  let makesCalls = false, callsFunctions = false;
  let divides = false, variableShift = false;

  // A declared i32 local is 0/1 when every write is of a 0 or 1 constant or of a compare.
  const boolean = localTypes.map((t, i) => i >= type.params.length && t === 'i32');
  for (let i = 0; i < n; i++) {
    const ins: Instr = func.body[i];
    const name = ins.name;
    if ((name === 'local.set' || name === 'local.tee') && boolean[ins.index!]) {
      const p = func.body[i - 1];
      if (!p || !((p.name === 'i32.const' && (p.i32! === 0 || p.i32! === 1)) || BOOLEAN_OPS.test(p.name))) boolean[ins.index!] = false;
    }
    switch (name) {
      case 'block': case 'loop': case 'if': {
        const bt = ins.blockType!;
        if (bt.params.length > 0 || bt.results.length > 1) throw new UnsupportedError('multi-value', `${name} with a multi-value block type`);
        bt.results.forEach((t) => checkType(t, `${name} result`));
        open.push(i);
        const isLoop = name === 'loop';
        loopStack.push(isLoop);
        if (isLoop) loopDepth++;
        continue;
      }
      case 'else': elseOf[open[open.length - 1]] = i; continue;
      case 'end': {
        if (open.length > 0) {
          endOf[open.pop()!] = i;
          if (loopStack.pop()) loopDepth--;
        }
        continue;
      }
      case 'local.get': case 'local.set': case 'local.tee':
        weight[ins.index!] += Math.pow(8, Math.min(loopDepth, 6));
        if (name !== 'local.get') written[ins.index!] = true;
        continue;
      case 'call': case 'call_indirect': {
        const t = name === 'call' ? mod.types[mod.funcTypes[ins.index!]] : mod.types[ins.typeIndex!];
        if (t && t.results.length > 1) throw new UnsupportedError('multi-value', `${name} of a function returning several values`);
        makesCalls = true;
        callsFunctions = true;
        continue;
      }
      case 'memory.grow': makesCalls = true; callsFunctions = true; continue;
      case 'select': if (ins.types && ins.types.length) ins.types.forEach((t) => checkType(t, 'select')); continue;
      case 'memory.init': case 'data.drop':
        throw new UnsupportedError('bulk-memory', `${name} (passive data segments)`);
    }
    if (name.startsWith('f32.') || name.startsWith('f64.') || /_f(32|64)/.test(name)) {
      if (!FLOAT_MOVES.has(name)) throw new UnsupportedError('float', `${name} at byte 0x${ins.pos.toString(16)}`);
    }
    if (name.startsWith('table.') || name.startsWith('ref.')) throw new UnsupportedError('reference-types', name);
    if (ins.op >= 0xFE00) {
      if (!ATOMICS.has(name)) throw new UnsupportedError('other', `${name} (the translator has the i32 atomics only; no wait/notify)`);
      if (name.startsWith('i32.atomic.rmw.')) makesCalls = true;
      continue;
    }
    if (ins.op >= 0xFD00) throw new UnsupportedError('simd', name);
    if (name.startsWith('i64.') || name.includes('_i64')) usesI64 = true;
    if (I64_HELPERS.has(name)) makesCalls = true;
    if (/^i32\.(div|rem)_/.test(name)) divides = true;
    if (/^i32\.(shl|shr_s|shr_u|rotl|rotr)$/.test(name) && func.body[i - 1]?.name !== 'i32.const') variableShift = true;
  }
  const leaf = !makesCalls && !usesI64 && !divides;
  return {
    func, localTypes, numParams: type.params.length, params: type.params, results: type.results,
    weight, written, boolean, endOf, elseOf, usesI64, makesCalls, callsFunctions, spareRegs: { edx: leaf, ecx: leaf && !variableShift }, setBeforeRead: definitelySet(func.body, localTypes.length, type.params.length),
  };
}
