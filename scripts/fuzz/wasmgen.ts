// Random valid WebAssembly modules in the subset wasm2x86 translates, for the
// translator's differential fuzzer (translator.ts).
//
// A module is kept as a tree (functions of statements and typed expressions),
// not as bytes, so a failing module can be minimized by replacing subtrees and
// still be valid. What a module has:
//
//   memory 1 (max 2), one data segment; a table holding every function (no
//   null entries: V8 reports a null entry and a signature mismatch with one
//   message); global 0 = fuel, then up to three i32/i64 globals;
//   functions f0..fN: i32/i64 parameters, locals and result; statements
//   (local/global set, stores of every width and offset, memory.fill/copy,
//   if, block with br/br_if/br_table, counted loops, calls, call_indirect,
//   return); expressions (every integer operator, compares, loads, select,
//   calls, block and if with results, memory.size/grow);
//   exports "f<i>", "reset" (refills the fuel) and "digest" (a hash of the
//   memory and the globals, so a store the two sides do differently shows).
//
// Loops are bounded by counters and every function entry and loop iteration
// spends fuel: when it runs out the code traps with `unreachable`, on both sides.

export type T = 'i32' | 'i64';

/** An expression (t set) or a statement (t null). */
export interface Node {
  op: string;
  t: T | null;
  /** Immediate: a constant, local/global/function/type index, branch depth(s), [offset, align] of a memory access. */
  imm?: number | bigint | number[];
  kids: Node[];
  /** Structured nodes: block type, body, else arm. */
  bt?: T | null;
  body?: Node[];
  els?: Node[];
}

export interface FuncDef { params: T[]; result: T | null; locals: T[]; body: Node[] }
export interface ModuleDef { funcs: FuncDef[]; globals: Array<{ t: T; init: bigint }>; data: Uint8Array; dataAt: number }
export interface Call { func: number; args: bigint[] }

export const FUEL = 400;

// ---- random numbers (seeded) ----

export class Rng {
  private s: number;
  constructor(seed: number) { this.s = (seed >>> 0) || 0x9E3779B9; }
  /** xorshift32 */
  u32(): number { let x = this.s; x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; this.s = x; return x; }
  int(n: number): number { return this.u32() % n; }
  chance(p: number): boolean { return this.u32() / 4294967296 < p; }
  pick<X>(xs: readonly X[]): X { return xs[this.int(xs.length)]; }
}

const I32_EDGE = [0, 1, -1, 2, 7, 8, 31, 32, 33, 63, 64, 255, 256, 300, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFFFFFF, -0x80000000, 65535, 65536, 65532];
const I64_EDGE = [0n, 1n, -1n, 2n, 31n, 32n, 63n, 64n, 0xFFFFFFFFn, 0x100000000n, 0x7FFFFFFFFFFFFFFFn, -0x8000000000000000n, 65536n];

export function randomValue(rng: Rng, t: T): bigint {
  if (t === 'i32') return BigInt(rng.chance(0.6) ? rng.pick(I32_EDGE) : rng.u32() | 0);
  if (rng.chance(0.5)) return rng.pick(I64_EDGE);
  return BigInt.asIntN(64, (BigInt(rng.u32()) << 32n) | BigInt(rng.u32()));
}

const BIN = ['add', 'sub', 'mul', 'div_s', 'div_u', 'rem_s', 'rem_u', 'and', 'or', 'xor', 'shl', 'shr_s', 'shr_u', 'rotl', 'rotr'];
const CMP = ['eq', 'ne', 'lt_s', 'lt_u', 'gt_s', 'gt_u', 'le_s', 'le_u', 'ge_s', 'ge_u'];
const UN32 = ['clz', 'ctz', 'popcnt', 'extend8_s', 'extend16_s'];
const UN64 = ['clz', 'ctz', 'popcnt', 'extend8_s', 'extend16_s', 'extend32_s'];
const LOADS: Record<T, Array<[string, number]>> = {
  i32: [['load', 2], ['load8_s', 0], ['load8_u', 0], ['load16_s', 1], ['load16_u', 1]],
  i64: [['load', 3], ['load8_s', 0], ['load8_u', 0], ['load16_s', 1], ['load16_u', 1], ['load32_s', 2], ['load32_u', 2]],
};
const STORES: Record<T, Array<[string, number]>> = {
  i32: [['store', 2], ['store8', 0], ['store16', 1]],
  i64: [['store', 3], ['store8', 0], ['store16', 1], ['store32', 2]],
};

const c32 = (v: number): Node => ({ op: 'i32.const', t: 'i32', imm: BigInt(v | 0), kids: [] });
const c64 = (v: bigint): Node => ({ op: 'i64.const', t: 'i64', imm: BigInt.asIntN(64, v), kids: [] });
export const zero = (t: T): Node => (t === 'i32' ? c32(0) : c64(0n));

interface Label { kind: 'block' | 'loop' | 'if'; bt: T | null }

/** Generates one module and the calls to make on it. */
export function generateModule(rng: Rng): { mod: ModuleDef; calls: Call[] } {
  const nf = 1 + rng.int(5);
  const sig = (): { params: T[]; result: T | null } => ({
    params: Array.from({ length: rng.int(4) }, () => (rng.chance(0.6) ? 'i32' : 'i64') as T),
    result: rng.chance(0.15) ? null : rng.chance(0.6) ? 'i32' : 'i64',
  });
  const sigs = Array.from({ length: nf }, sig);
  const globals = [{ t: 'i32' as T, init: BigInt(FUEL) }];
  for (let k = rng.int(4); k > 0; k--) { const t: T = rng.chance(0.5) ? 'i32' : 'i64'; globals.push({ t, init: randomValue(rng, t) }); }
  const funcs: FuncDef[] = sigs.map((s, fi) => generateFunction(rng, fi, s, sigs, globals));
  const data = new Uint8Array(rng.int(64)).map(() => rng.int(256));
  const mod: ModuleDef = { funcs, globals, data, dataAt: rng.chance(0.8) ? rng.int(512) : 65536 - data.length };
  const calls: Call[] = [];
  for (let k = 2 + rng.int(6); k > 0; k--) {
    const fi = rng.int(nf);
    calls.push({ func: fi, args: sigs[fi].params.map((t) => randomValue(rng, t)) });
  }
  return { mod, calls };
}

function generateFunction(rng: Rng, fi: number, s: { params: T[]; result: T | null }, sigs: Array<{ params: T[]; result: T | null }>, globals: Array<{ t: T }>): FuncDef {
  const locals: T[] = Array.from({ length: rng.int(5) }, () => (rng.chance(0.6) ? 'i32' : 'i64') as T);
  const all = () => [...s.params, ...locals];
  const labels: Label[] = [];
  let budget = 20 + rng.int(60);
  void fi;

  const localOf = (t: T): number | undefined => {
    const xs = all().map((x, i) => (x === t ? i : -1)).filter((i) => i >= 0);
    return xs.length ? rng.pick(xs) : undefined;
  };
  const globalOf = (t: T): number | undefined => {
    const xs = globals.map((g, i) => (g.t === t && i > 0 ? i : -1)).filter((i) => i >= 0);
    return xs.length ? rng.pick(xs) : undefined;
  };
  const newLocal = (t: T): number => { locals.push(t); return all().length - 1; };

  const address = (): Node => {
    const r = rng.int(10);
    if (r < 5) return c32(rng.int(256));
    if (r < 7) return { op: 'i32.and', t: 'i32', kids: [expr('i32', 2), c32(rng.chance(0.5) ? 0xFF : 0xFFF)] };
    if (r < 8) return c32(65536 - rng.int(24));
    // Any address, but never in 0x50000000-0x5FFFFFFF: the spec runner lives at
    // 0x50000000-0x53FFFFFF in every address space, where an access reads the
    // runner instead of trapping (README, "Where translated code differs from
    // WebAssembly"). Clearing bits 30 and 28 keeps every other region, the far
    // out-of-bounds ones included.
    if (r < 9) return { op: 'i32.and', t: 'i32', kids: [expr('i32', 2), c32(0xAFFFFFFF | 0)] };
    return c32(rng.pick([131072 - 8, 0xFFFFFFF0, 0x7FFFFFFF, 65536 + 8]));
  };
  const offset = (): number => rng.chance(0.6) ? 0 : rng.chance(0.8) ? rng.int(40) : rng.pick([65530, 65536, 0xFFFFFFF0]);

  const leaf = (t: T): Node => {
    const r = rng.int(3);
    if (r === 0) { const l = localOf(t); if (l !== undefined) return { op: 'local.get', t, imm: l, kids: [] }; }
    if (r === 1) { const g = globalOf(t); if (g !== undefined) return { op: 'global.get', t, imm: g, kids: [] }; }
    return t === 'i32' ? c32(Number(randomValue(rng, 'i32'))) : c64(randomValue(rng, 'i64'));
  };

  function expr(t: T, depth: number): Node {
    budget--;
    if (depth <= 0 || budget <= 0 || rng.chance(0.2)) return leaf(t);
    const d = depth - 1;
    const r = rng.int(100);
    if (r < 30) { const op = rng.pick(BIN); return { op: `${t}.${op}`, t, kids: [expr(t, d), expr(t, d)] }; }
    if (r < 40) {
      if (t === 'i32') {
        const ot: T = rng.chance(0.5) ? 'i32' : 'i64';
        if (rng.chance(0.2)) return { op: `${ot}.eqz`, t, kids: [expr(ot, d)] };
        return { op: `${ot}.${rng.pick(CMP)}`, t, kids: [expr(ot, d), expr(ot, d)] };
      }
      return { op: 'i64.extend_i32_' + (rng.chance(0.5) ? 's' : 'u'), t, kids: [expr('i32', d)] };
    }
    if (r < 46) {
      if (t === 'i32' && rng.chance(0.3)) return { op: 'i32.wrap_i64', t, kids: [expr('i64', d)] };
      return { op: `${t}.${rng.pick(t === 'i32' ? UN32 : UN64)}`, t, kids: [expr(t, d)] };
    }
    if (r < 58) {
      const [name, align] = rng.pick(LOADS[t]);
      return { op: `${t}.${name}`, t, imm: [offset(), rng.int(align + 1)], kids: [address()] };
    }
    if (r < 64) return { op: 'select', t, kids: [expr(t, d), expr(t, d), expr('i32', d)] };
    if (r < 72) {
      const cands = sigs.map((x, i) => (x.result === t ? i : -1)).filter((i) => i >= 0);
      if (cands.length) {
        const f = rng.pick(cands);
        const args = sigs[f].params.map((p) => expr(p, d));
        if (rng.chance(0.6)) return { op: 'call', t, imm: f, kids: args };
        const idx = rng.chance(0.8) ? c32(rng.int(sigs.length)) : rng.chance(0.5) ? c32(sigs.length + rng.int(3)) : expr('i32', d);
        return { op: 'call_indirect', t, imm: f, kids: [...args, idx] };
      }
    }
    if (r < 76) {
      const l = localOf(t);
      if (l !== undefined) return { op: 'local.tee', t, imm: l, kids: [expr(t, d)] };
    }
    if (r < 80) {
      const cond = expr('i32', d); // outside the if's label
      labels.push({ kind: 'if', bt: t });
      const n: Node = { op: 'if', t, bt: t, kids: [cond], body: [...stmts(d, 2), expr(t, d)], els: [...stmts(d, 2), expr(t, d)] };
      labels.pop();
      return n;
    }
    if (r < 84) {
      // block (result t) (drop (br_if 0 v c)) ... v'
      labels.push({ kind: 'block', bt: t });
      const body: Node[] = [];
      if (rng.chance(0.7)) body.push({ op: 'drop', t: null, kids: [{ op: 'br_if', t, imm: 0, kids: [expr(t, d), expr('i32', d)] }] });
      body.push(...stmts(d, 2), expr(t, d));
      labels.pop();
      return { op: 'block', t, bt: t, body, kids: [] };
    }
    if (r < 87 && t === 'i32') return rng.chance(0.8) ? { op: 'memory.size', t, kids: [] } : { op: 'memory.grow', t, kids: [c32(rng.int(3))] };
    if (r < 90) return { op: `${t}.${rng.pick(['add', 'sub', 'shl', 'shr_u', 'rotl'])}`, t, kids: [expr(t, d), leaf(t)] };
    return leaf(t);
  }

  /** A branch target among the enclosing blocks and ifs without a result (not loops). */
  const exitDepth = (): number | undefined => {
    const ds: number[] = [];
    for (let i = labels.length - 1, depth = 0; i >= 0; i--, depth++) if (labels[i].kind !== 'loop' && labels[i].bt === null) ds.push(depth);
    return ds.length ? rng.pick(ds) : undefined;
  };

  function stmt(depth: number): Node {
    budget--;
    const d = Math.max(depth - 1, 0);
    const r = rng.int(100);
    if (r < 18) {
      const t: T = rng.chance(0.6) ? 'i32' : 'i64';
      const l = localOf(t);
      if (l !== undefined) return { op: 'local.set', t: null, imm: l, kids: [expr(t, d + 1)] };
    }
    if (r < 24) {
      const t: T = rng.chance(0.5) ? 'i32' : 'i64';
      const g = globalOf(t);
      if (g !== undefined) return { op: 'global.set', t: null, imm: g, kids: [expr(t, d + 1)] };
    }
    if (r < 40) {
      const t: T = rng.chance(0.6) ? 'i32' : 'i64';
      const [name, align] = rng.pick(STORES[t]);
      const value = rng.chance(0.3) ? leaf(t) : expr(t, d + 1);
      return { op: `${t}.${name}`, t: null, imm: [offset(), rng.int(align + 1)], kids: [address(), value] };
    }
    if (r < 46) {
      const len = rng.chance(0.7) ? c32(rng.int(40)) : rng.chance(0.5) ? c32(rng.pick([0, 0x10000, 0xFFFFFFFF, 0x20])) : expr('i32', d);
      if (rng.chance(0.5)) return { op: 'memory.fill', t: null, kids: [address(), expr('i32', d), len] };
      return { op: 'memory.copy', t: null, kids: [address(), address(), len] };
    }
    if (depth > 0 && r < 54) {
      const cond = expr('i32', d + 1); // outside the if's label
      labels.push({ kind: 'if', bt: null });
      const n: Node = { op: 'if', t: null, bt: null, kids: [cond], body: stmts(d, 3), els: rng.chance(0.5) ? stmts(d, 3) : [] };
      labels.pop();
      return n;
    }
    if (depth > 0 && r < 62) {
      labels.push({ kind: 'block', bt: null });
      const body = stmts(d, 4);
      if (rng.chance(0.3)) body.splice(rng.int(body.length + 1), 0, { op: 'br_table', t: null, imm: [0, ...Array.from({ length: rng.int(3) }, () => exitDepth() ?? 0)], kids: [expr('i32', d)] });
      labels.pop();
      return { op: 'block', t: null, bt: null, body, kids: [] };
    }
    if (depth > 0 && r < 68) {
      // A counted loop: c = K; loop { fuel; body; br_if loop (c = c - 1) != 0 }.
      const c = newLocal('i32');
      labels.push({ kind: 'block', bt: null });
      labels.push({ kind: 'loop', bt: null });
      const body = [fuelCheck(), ...stmts(d, 3),
        { op: 'br_if', t: null, imm: 0, kids: [{ op: 'local.tee', t: 'i32', imm: c, kids: [{ op: 'i32.sub', t: 'i32', kids: [{ op: 'local.get', t: 'i32', imm: c, kids: [] }, c32(1)] }] }] } as Node];
      labels.pop(); labels.pop();
      return { op: 'block', t: null, bt: null, kids: [], body: [
        { op: 'local.set', t: null, imm: c, kids: [c32(1 + rng.int(6))] },
        { op: 'loop', t: null, bt: null, body, kids: [] }] };
    }
    if (r < 74) {
      const e = exitDepth();
      if (e !== undefined) return rng.chance(0.3) ? { op: 'br', t: null, imm: e, kids: [] } : { op: 'br_if', t: null, imm: e, kids: [expr('i32', d + 1)] };
    }
    if (r < 86) {
      const t: T = rng.chance(0.6) ? 'i32' : 'i64';
      return { op: 'drop', t: null, kids: [expr(t, d + 2)] };
    }
    if (r < 90 && s.result !== null && rng.chance(0.3)) return { op: 'return', t: null, kids: [expr(s.result, d + 1)] };
    const cands = sigs.map((_, i) => i);
    const f = rng.pick(cands);
    const callee = sigs[f];
    const args = callee.params.map((p) => expr(p, d));
    const call: Node = rng.chance(0.6) ? { op: 'call', t: callee.result, imm: f, kids: args }
      : { op: 'call_indirect', t: callee.result, imm: f, kids: [...args, rng.chance(0.85) ? c32(rng.int(sigs.length)) : expr('i32', d)] };
    return callee.result ? { op: 'drop', t: null, kids: [call] } : call;
  }

  function stmts(depth: number, max: number): Node[] {
    const out: Node[] = [];
    for (let k = rng.int(max + 1); k > 0 && budget > 0; k--) out.push(stmt(depth));
    return out;
  }

  const body = [fuelCheck(), ...stmts(3, 6)];
  if (s.result) body.push(expr(s.result, 4));
  return { params: s.params, result: s.result, locals, body };
}

/** if (fuel == 0) unreachable; fuel = fuel - 1 */
function fuelCheck(): Node {
  return { op: 'block', t: null, bt: null, kids: [], body: [
    { op: 'if', t: null, bt: null, kids: [{ op: 'i32.eqz', t: 'i32', kids: [{ op: 'global.get', t: 'i32', imm: 0, kids: [] }] }], body: [{ op: 'unreachable', t: null, kids: [] }], els: [] },
    { op: 'global.set', t: null, imm: 0, kids: [{ op: 'i32.sub', t: 'i32', kids: [{ op: 'global.get', t: 'i32', imm: 0, kids: [] }, c32(1)] }] }] };
}

// ---- encoding ----

const OPS: Record<string, number> = {
  unreachable: 0x00, nop: 0x01, block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0B, br: 0x0C, br_if: 0x0D, br_table: 0x0E, return: 0x0F,
  call: 0x10, call_indirect: 0x11, drop: 0x1A, select: 0x1B, 'local.get': 0x20, 'local.set': 0x21, 'local.tee': 0x22, 'global.get': 0x23, 'global.set': 0x24,
  'i32.load': 0x28, 'i64.load': 0x29, 'i32.load8_s': 0x2C, 'i32.load8_u': 0x2D, 'i32.load16_s': 0x2E, 'i32.load16_u': 0x2F,
  'i64.load8_s': 0x30, 'i64.load8_u': 0x31, 'i64.load16_s': 0x32, 'i64.load16_u': 0x33, 'i64.load32_s': 0x34, 'i64.load32_u': 0x35,
  'i32.store': 0x36, 'i64.store': 0x37, 'i32.store8': 0x3A, 'i32.store16': 0x3B, 'i64.store8': 0x3C, 'i64.store16': 0x3D, 'i64.store32': 0x3E,
  'memory.size': 0x3F, 'memory.grow': 0x40, 'i32.const': 0x41, 'i64.const': 0x42,
  'i32.eqz': 0x45, 'i64.eqz': 0x50, 'i32.wrap_i64': 0xA7, 'i64.extend_i32_s': 0xAC, 'i64.extend_i32_u': 0xAD,
  'i32.extend8_s': 0xC0, 'i32.extend16_s': 0xC1, 'i64.extend8_s': 0xC2, 'i64.extend16_s': 0xC3, 'i64.extend32_s': 0xC4,
};
CMP.forEach((c, i) => { OPS[`i32.${c}`] = 0x46 + i; OPS[`i64.${c}`] = 0x51 + i; });
['clz', 'ctz', 'popcnt'].forEach((u, i) => { OPS[`i32.${u}`] = 0x67 + i; OPS[`i64.${u}`] = 0x79 + i; });
BIN.forEach((b, i) => { OPS[`i32.${b}`] = 0x6A + i; OPS[`i64.${b}`] = 0x7C + i; });
const VT: Record<T, number> = { i32: 0x7F, i64: 0x7E };

function uleb(out: number[], v: number): void { v >>>= 0; do { let b = v & 0x7F; v >>>= 7; if (v) b |= 0x80; out.push(b); } while (v); }
function sleb(out: number[], v: bigint): void {
  for (;;) { const b = Number(v & 0x7Fn); v >>= 7n; if ((v === 0n && !(b & 0x40)) || (v === -1n && b & 0x40)) { out.push(b); return; } out.push(b | 0x80); }
}
function bytesOf(s: string): number[] { return [...new TextEncoder().encode(s)]; }
function vec(out: number[], items: number[][]): void { uleb(out, items.length); for (const i of items) out.push(...i); }
function section(out: number[], id: number, body: number[]): void { out.push(id); uleb(out, body.length); out.push(...body); }

/** Signature key -> type index (function types first, in order). */
function typeTable(mod: ModuleDef): { types: Array<{ params: T[]; result: T | null }>; typeOf: (f: number) => number; extra: Map<string, number> } {
  const types: Array<{ params: T[]; result: T | null }> = [];
  const byKey = new Map<string, number>();
  const key = (p: T[], r: T | null) => `${p.join(',')}->${r ?? ''}`;
  const add = (p: T[], r: T | null) => { const k = key(p, r); if (!byKey.has(k)) { byKey.set(k, types.length); types.push({ params: p, result: r }); } return byKey.get(k)!; };
  const fTypes = mod.funcs.map((f) => add(f.params, f.result));
  const extra = new Map<string, number>([['reset', add([], null)], ['digest', add([], 'i32')]]);
  return { types, typeOf: (f) => fTypes[f], extra };
}

function emitBody(mod: ModuleDef, nodes: Node[], out: number[], typeOf: (f: number) => number): void {
  const bt = (t: T | null | undefined) => (t ? VT[t] : 0x40);
  const emit = (n: Node): void => {
    switch (n.op) {
      case 'block': case 'loop':
        out.push(OPS[n.op], bt(n.bt)); n.body!.forEach(emit); out.push(0x0B); return;
      case 'if':
        emit(n.kids[0]); out.push(0x04, bt(n.bt)); n.body!.forEach(emit);
        if (n.els && (n.els.length || n.bt)) { out.push(0x05); n.els.forEach(emit); }
        out.push(0x0B); return;
    }
    n.kids.forEach(emit);
    const op = OPS[n.op];
    if (op === undefined) {
      if (n.op === 'memory.fill') { out.push(0xFC); uleb(out, 11); out.push(0); return; }
      if (n.op === 'memory.copy') { out.push(0xFC); uleb(out, 10); out.push(0, 0); return; }
      throw new Error(`wasmgen: no opcode for ${n.op}`);
    }
    out.push(op);
    switch (n.op) {
      case 'i32.const': case 'i64.const': sleb(out, BigInt(n.imm as bigint)); return;
      case 'local.get': case 'local.set': case 'local.tee': case 'global.get': case 'global.set': case 'call': case 'br': case 'br_if':
        uleb(out, n.op === 'call' ? (n.imm as number) : (n.imm as number)); return;
      case 'call_indirect': uleb(out, typeOf(n.imm as number)); out.push(0); return;
      case 'br_table': { const ds = n.imm as number[]; uleb(out, ds.length - 1); ds.slice(1).forEach((x) => uleb(out, x)); uleb(out, ds[0]); return; }
      case 'memory.size': case 'memory.grow': out.push(0); return;
    }
    if (n.op.includes('.load') || n.op.includes('.store')) { const [off, align] = n.imm as number[]; uleb(out, align); uleb(out, off); }
  };
  nodes.forEach(emit);
  void mod;
}

/** The helper functions every module gets: reset (fuel) and digest (memory and globals). */
function helpers(mod: ModuleDef): { reset: FuncDef; digest: FuncDef } {
  const reset: FuncDef = { params: [], result: null, locals: [], body: [{ op: 'global.set', t: null, imm: 0, kids: [c32(FUEL)] }] };
  const L = (i: number): Node => ({ op: 'local.get', t: 'i32', imm: i, kids: [] });
  const set = (i: number, e: Node): Node => ({ op: 'local.set', t: null, imm: i, kids: [e] });
  const b = (op: string, x: Node, y: Node): Node => ({ op, t: 'i32', kids: [x, y] });
  const mix = (v: Node): Node => set(0, b('i32.mul', b('i32.xor', L(0), v), c32(16777619)));
  // locals: 0 h, 1 p, 2 end. Every word of the first and last 512 bytes, every 16th word between.
  const body: Node[] = [
    set(2, b('i32.shl', { op: 'memory.size', t: 'i32', kids: [] }, c32(16))),
    set(0, c32(0x811C9DC5)),
    { op: 'block', t: null, bt: null, kids: [], body: [{ op: 'loop', t: null, bt: null, kids: [], body: [
      { op: 'br_if', t: null, imm: 1, kids: [b('i32.ge_u', L(1), L(2))] },
      mix({ op: 'i32.load', t: 'i32', imm: [0, 2], kids: [L(1)] }),
      set(1, b('i32.add', L(1), { op: 'select', t: 'i32', kids: [c32(4), c32(64), b('i32.or', b('i32.lt_u', L(1), c32(512)), b('i32.ge_u', L(1), b('i32.sub', L(2), c32(512))))] })),
      { op: 'br', t: null, imm: 0, kids: [] }] }] },
  ];
  mod.globals.forEach((g, i) => {
    const get: Node = { op: 'global.get', t: g.t, imm: i, kids: [] };
    if (g.t === 'i32') body.push(mix(get));
    else {
      body.push(mix({ op: 'i32.wrap_i64', t: 'i32', kids: [get] }));
      body.push(mix({ op: 'i32.wrap_i64', t: 'i32', kids: [{ op: 'i64.shr_u', t: 'i64', kids: [get, c64(32n)] }] }));
    }
  });
  body.push(L(0));
  return { reset, digest: { params: [], result: 'i32', locals: ['i32', 'i32', 'i32'], body } };
}

/** The module's binary. Exports: f0.., reset, digest. */
export function encodeModule(mod: ModuleDef): Uint8Array {
  const { types, typeOf, extra } = typeTable(mod);
  const { reset, digest } = helpers(mod);
  const out: number[] = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00];
  const tsec: number[] = [];
  vec(tsec, types.map((t) => { const e = [0x60]; vec(e, t.params.map((p) => [VT[p]])); vec(e, t.result ? [[VT[t.result]]] : []); return e; }));
  section(out, 1, tsec);
  const nf = mod.funcs.length;
  const fsec: number[] = [];
  vec(fsec, [...mod.funcs.map((_, i) => { const e: number[] = []; uleb(e, typeOf(i)); return e; }),
    (() => { const e: number[] = []; uleb(e, extra.get('reset')!); return e; })(), (() => { const e: number[] = []; uleb(e, extra.get('digest')!); return e; })()]);
  section(out, 3, fsec);
  const tab: number[] = []; vec(tab, [[0x70, 0x00, ...(() => { const e: number[] = []; uleb(e, nf); return e; })()]]); section(out, 4, tab);
  section(out, 5, [1, 0x01, 1, 2]);
  const gsec: number[] = [];
  vec(gsec, mod.globals.map((g) => { const e = [VT[g.t], 1, g.t === 'i32' ? 0x41 : 0x42]; sleb(e, g.t === 'i32' ? BigInt.asIntN(32, g.init) : g.init); e.push(0x0B); return e; }));
  section(out, 6, gsec);
  const esec: number[] = [];
  const exps: Array<[string, number]> = [...mod.funcs.map((_, i) => [`f${i}`, i] as [string, number]), ['reset', nf], ['digest', nf + 1]];
  vec(esec, exps.map(([n, i]) => { const e: number[] = []; vec(e, bytesOf(n).map((x) => [x])); e.push(0); uleb(e, i); return e; }));
  section(out, 7, esec);
  const elsec: number[] = [];
  vec(elsec, [(() => { const e = [0x00, 0x41, 0x00, 0x0B]; vec(e, mod.funcs.map((_, i) => { const x: number[] = []; uleb(x, i); return x; })); return e; })()]);
  section(out, 9, elsec);
  const csec: number[] = [];
  vec(csec, [...mod.funcs, reset, digest].map((f) => {
    const b: number[] = [];
    vec(b, f.locals.map((t) => [1, VT[t]]));
    emitBody(mod, f.body, b, typeOf);
    b.push(0x0B);
    const e: number[] = []; uleb(e, b.length); e.push(...b); return e;
  }));
  section(out, 10, csec);
  const dsec: number[] = [];
  vec(dsec, [(() => { const e = [0x00, 0x41]; sleb(e, BigInt(mod.dataAt)); e.push(0x0B); uleb(e, mod.data.length); e.push(...mod.data); return e; })()]);
  section(out, 11, dsec);
  return new Uint8Array(out);
}

/** Every node of a function body list, parents before children (for minimization). */
export function walkNodes(nodes: Node[], visit: (n: Node, replace: (m: Node | null) => void) => void): void {
  const walkList = (list: Node[]) => {
    for (let i = 0; i < list.length; i++) {
      const n = list[i];
      visit(n, (m) => { if (m) list[i] = m; else { list.splice(i, 1); i--; } });
      if (list[i] !== n) continue;
      walkOne(n);
    }
  };
  const walkOne = (n: Node) => {
    n.kids.forEach((k, j) => { visit(k, (m) => { if (m) n.kids[j] = m; }); walkOne(n.kids[j]); });
    if (n.body) walkList(n.body);
    if (n.els) walkList(n.els);
  };
  walkList(nodes);
}
