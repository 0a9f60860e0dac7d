// Pass 4, select (last step): rewrites of a function's finished code that make
// it smaller and never slower (select.ts finishes each function through them):
// jumps to the next label dropped, `mov reg, 0` as `xor` where the flags are dead,
// repeated tests dropped.

import { ECX, EDX, EAX, ESI, EDI, reg, imm, invert, type Cond, type Insn, type Operand } from './x86.ts';

/** Instructions that write the arithmetic flags without reading them (mul/div leave them undefined). */
const SETS_FLAGS = new Set<string>(['add', 'sub', 'and', 'or', 'xor', 'cmp', 'test', 'neg', 'mul', 'imul', 'div', 'idiv']);
/** Instructions that neither read nor write the arithmetic flags. */
const KEEPS_FLAGS = new Set<string>(['mov', 'movzx', 'movsx', 'lea', 'push', 'pop', 'leave', 'xchg', 'bswap', 'not', 'cdq', 'cwde', 'nop',
  'label', 'align', 'cld', 'rep_movsb', 'rep_movsd', 'rep_stosb', 'rep_stosd']);

/**
 * Whether the arithmetic flags are dead after out[i]: on every path from there (through
 * labels, along jumps, both ways at a jcc), something writes them before anything reads
 * them. Only flags written at out[i] can flow along these paths, so merging paths at a
 * label do not matter. Gives up (live) past a small budget of instructions.
 */
function flagsDeadAfter(out: Insn[], i: number, labels: Map<string, number>): boolean {
  let budget = 48;
  const seen = new Set<number>();
  const dead = (k: number): boolean => {
    for (; k < out.length; k++) {
      if (--budget < 0 || seen.has(k)) return budget >= 0; // a cycle of flag-neutral code reads nothing
      seen.add(k);
      const x = out[k];
      if (SETS_FLAGS.has(x.op)) return true;
      if ((x.op === 'shl' || x.op === 'shr' || x.op === 'sar') && x.ops![1].k === 'i' && (x.ops![1].v & 31) !== 0) return true;
      // A call clobbers the flags (no value lives in them across one); so does the return.
      if (x.op === 'call' || x.op === 'ret') return true;
      if ((x.op === 'jmp' || x.op === 'jcc') && x.target && !x.ops) {
        const t = labels.get(x.target);
        if (t === undefined || x.op === 'jcc') return false; // a jcc reads them
        k = t - 1;
        continue;
      }
      if (!KEEPS_FLAGS.has(x.op)) return false; // flag readers, anything else: assume live
    }
    return false;
  };
  return dead(i + 1);
}

/**
 * Last rewrites of a function's code, each one smaller and never slower:
 * - a `jmp` to a label that follows it directly (a rotated loop's exit, the body's
 *   last `return`) is dropped;
 * - `mov reg, 0` (5 bytes) becomes `xor reg, reg` (2) where the flags are dead
 *   (after the repeated tests are gone: a dropped test no longer kills the flags);
 * - a `test`/`cmp` of registers whose flags every path into it already has is
 *   dropped (dropRepeatedTests).
 */
export function peephole(code: Insn[]): Insn[] {
  const out = exitOutOfLine(dropRepeatedTests(testsFromLea(code)));
  const res: Insn[] = [];
  const labels = new Map<string, number>();
  out.forEach((x, k) => { if (x.op === 'label') labels.set(x.target!, k); });
  for (let i = 0; i < out.length; i++) {
    const x = out[i];
    if (x.op === 'jmp' && x.target && !x.ops) {
      let k = i + 1, next = false;
      for (; k < out.length && out[k].op === 'label'; k++) if (out[k].target === x.target) next = true;
      if (next) { if (x.note && out[i + 1]) out[i + 1] = { ...out[i + 1], note: out[i + 1].note ?? x.note }; continue; }
    }
    if (x.op === 'mov' && x.ops![0].k === 'r' && x.ops![0].s === 4 && x.ops![1].k === 'i' && x.ops![1].v === 0 && x.ops![1].sym === undefined && flagsDeadAfter(out, i, labels)) {
      res.push({ ...x, op: 'xor', ops: [x.ops![0], x.ops![0]] });
      continue;
    }
    res.push(x);
  }
  return res;
}

/**
 * `jcc c, A; X; A: jcc !c, B; Y; B:` with X flag-neutral, A reached only from that
 * jcc and X, and Y ending in a jump: the second jcc always goes the way the first
 * one did, so `jcc c, Y'; X; B:` and Y out of line at the end (pool's `if (b)
 * pop(b); if (!b) return s;`: one jcc fewer a pass on the path that goes on).
 */
function exitOutOfLine(out: Insn[]): Insn[] {
  const refs = new Map<string, number>();
  out.forEach((x) => {
    if (x.target && x.op !== 'label') refs.set(x.target, (refs.get(x.target) ?? 0) + 1);
    for (const o of x.ops ?? []) if ((o.k === 'i' || o.k === 'm') && o.sym) refs.set(o.sym, (refs.get(o.sym) ?? 0) + 2);
  });
  const res: Insn[] = [];
  const moved: Insn[] = [];
  for (let i = 0; i < out.length; i++) {
    const first = out[i];
    if (first.op !== 'jcc' || !first.target || first.ops || (refs.get(first.target) ?? 0) !== 1) { res.push(first); continue; }
    let j = i + 1;
    while (j < out.length && KEEPS_FLAGS.has(out[j].op) && out[j].op !== 'label' && out[j].op !== 'align') j++;
    const labelsAt = j;
    let sawA = false;
    while (j < out.length && out[j].op === 'label') {
      if (out[j].target === first.target) sawA = true;
      else if (refs.get(out[j].target!)) break;
      j++;
    }
    const second = out[j];
    if (!sawA || out[j]?.op === 'label' || second?.op !== 'jcc' || second.cc !== invert(first.cc as Cond) || !second.target || second.ops) { res.push(first); continue; }
    let y = j + 1;
    while (y < out.length && y < j + 10 && out[y].op !== 'label' && out[y].op !== 'jmp' && out[y].op !== 'ret' && out[y].op !== 'jcc') y++;
    const end = out[y];
    if (!end || !((end.op === 'jmp' && end.target && !end.ops) || end.op === 'ret')) { res.push(first); continue; }
    let b = y + 1;
    let sawB = false;
    for (; b < out.length && out[b].op === 'label'; b++) if (out[b].target === second.target) sawB = true;
    if (!sawB) { res.push(first); continue; }
    const stub = `${first.target}$exit`;
    res.push({ ...first, target: stub }, ...out.slice(i + 1, labelsAt));
    moved.push({ op: 'label', target: stub }, ...out.slice(j + 1, y + 1));
    i = y; // the labels before B stay (the loop pushes them next)
  }
  return moved.length ? [...res, ...moved] : out;
}

/** Conditions a `test r, r` and the result of an add to r agree on (zero and sign). */
const ZS_CONDS = new Set(['e', 'ne', 's', 'ns']);

/**
 * `lea r, [r+d]` (which keeps the flags), flag-neutral code that leaves r alone,
 * then `test r, r` and a jcc on zero or sign: `add r, d` (inc, dec) sets those flags
 * from the same value, so the test goes (`i--` then stores then `if (i)` in pool's
 * free loop). Nothing between reads the flags, and no label lets other paths in.
 */
function testsFromLea(out: Insn[]): Insn[] {
  const drop = new Set<number>();
  const res = [...out];
  for (let i = 1; i + 1 < out.length; i++) {
    const t = out[i], j = out[i + 1];
    if (t.op !== 'test' || !t.ops || t.ops[0].k !== 'r' || t.ops[0].s !== 4 || !sameOperand(t.ops[0], t.ops[1])) continue;
    if (j.op !== 'jcc' || !ZS_CONDS.has(j.cc!)) continue;
    const r = t.ops[0].r;
    for (let k = i - 1, budget = 12; k >= 0 && budget > 0; k--, budget--) {
      const x = out[k];
      const m = x.ops?.[1];
      if (x.op === 'lea' && x.ops![0].k === 'r' && x.ops![0].r === r && m?.k === 'm' && m.base === r && m.index === undefined && m.sym === undefined && m.seg === undefined) {
        const op: Insn = m.disp === 1 ? { op: 'inc', ops: [reg(r)] } : m.disp === -1 ? { op: 'dec', ops: [reg(r)] } : { op: 'add', ops: [reg(r), imm(m.disp)] };
        res[k] = x.note ? { ...op, note: x.note } : op;
        drop.add(i);
        if (t.note && !j.note) res[i + 1] = { ...j, note: t.note };
        break;
      }
      if (!KEEPS_FLAGS.has(x.op) || x.op === 'label' || x.op === 'align' || writesRegs(x).includes(r)) break;
    }
  }
  return drop.size ? res.filter((_, k) => !drop.has(k)) : out;
}

/** The registers an instruction writes, for the flag-neutral instructions of KEEPS_FLAGS. */
function writesRegs(x: Insn): number[] {
  const o = x.ops ?? [];
  switch (x.op) {
    case 'mov': case 'movzx': case 'movsx': case 'lea': case 'pop': case 'bswap': case 'not':
      return o[0]?.k === 'r' ? [o[0].r] : [];
    case 'xchg': return o.filter((a) => a.k === 'r').map((a) => (a as { r: number }).r);
    case 'cdq': return [EDX];
    case 'cwde': return [EAX];
    case 'rep_movsb': case 'rep_movsd': return [ECX, ESI, EDI];
    case 'rep_stosb': case 'rep_stosd': return [ECX, EDI];
    default: return [];
  }
}

const sameOperand = (a: Operand, b: Operand) =>
  a.k === b.k && (a.k === 'r' ? a.r === (b as typeof a).r && a.s === (b as typeof a).s : a.k === 'i' && a.v === (b as typeof a).v && a.sym === undefined && (b as typeof a).sym === undefined);

/**
 * Drops a `test`/`cmp` of registers (and an immediate) when every path into it comes
 * straight from the same instruction on the same registers: `if (x) {...} if (!x) ...`
 * tests x twice, the second time after a jump over moves that keep x and the flags.
 * Every predecessor is checked: the fallthrough, and each jump to a label right before
 * the test (a label referenced any other way, as by a br_table, keeps the test).
 */
function dropRepeatedTests(out: Insn[]): Insn[] {
  const jumpsTo = new Map<string, number[]>();
  const escaped = new Set<string>();
  out.forEach((x, k) => {
    if ((x.op === 'jmp' || x.op === 'jcc') && x.target && !x.ops) {
      const l = jumpsTo.get(x.target) ?? [];
      l.push(k);
      jumpsTo.set(x.target, l);
    } else if (x.target && x.op !== 'label') escaped.add(x.target);
    for (const o of x.ops ?? []) if ((o.k === 'i' || o.k === 'm') && o.sym) escaped.add(o.sym);
  });
  const drop = new Set<number>();
  for (let i = 0; i < out.length; i++) {
    const t = out[i];
    if ((t.op !== 'test' && t.op !== 'cmp') || !t.ops || t.ops[0].k !== 'r' || (t.ops[1].k !== 'r' && t.ops[1].k !== 'i') || (t.ops[1].k === 'i' && t.ops[1].sym)) continue;
    const regs = t.ops.filter((o) => o.k === 'r').map((o) => (o as { r: number }).r);
    const same = (x: Insn) => x.op === t.op && x.ops!.length === 2 && sameOperand(x.ops![0], t.ops![0]) && sameOperand(x.ops![1], t.ops![1]);
    // The flags after out[k] are those of `t` on the registers as they are at i.
    const flagsFrom = (k: number): boolean => {
      for (let budget = 24; k >= 0 && budget > 0; k--, budget--) {
        const x = out[k];
        if (drop.has(k)) return false;
        if (x.op === 'jcc') continue; // its fallthrough
        if ((x.op === 'test' || x.op === 'cmp') && same(x)) return true;
        if (!KEEPS_FLAGS.has(x.op) || x.op === 'label' || x.op === 'align') return false;
        if (writesRegs(x).some((r) => regs.includes(r))) return false;
      }
      return false;
    };
    let j = i - 1;
    const labels: string[] = [];
    for (; j >= 0 && out[j].op === 'label'; j--) labels.push(out[j].target!);
    if (j < 0) continue;
    const prev = out[j];
    const fallsThrough = !(prev.op === 'jmp' || prev.op === 'ret' || prev.op === 'ud2');
    if (fallsThrough && !flagsFrom(j)) continue;
    if (labels.some((l) => escaped.has(l) || (jumpsTo.get(l) ?? []).some((k) => !flagsFrom(k - 1)))) continue;
    if (!fallsThrough && !labels.some((l) => jumpsTo.has(l))) continue;
    drop.add(i);
  }
  if (!drop.size) return out;
  const res: Insn[] = [];
  out.forEach((x, k) => {
    if (!drop.has(k)) { res.push(x); return; }
    const n = out[k + 1];
    if (x.note && n) out[k + 1] = { ...n, note: n.note ?? x.note };
  });
  return res;
}
