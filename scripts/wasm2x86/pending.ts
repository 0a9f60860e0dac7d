// Pass 4, select (continued): constant writes of pinned locals, kept pending.
//
// binaryen's inlined predicates set a result local before each exit test:
//   block $done (i32.const 1) (local.set $r) (br_if $done hit)
//                (i32.const 0) (local.set $r) (br_if $done empty) ... (br $loop) end
// Written where they stand, every pass through the loop writes $r twice for
// nothing. Instead `local.set` of a constant into a pinned local writes nothing
// yet: the constant is written where something can see it. A `br_if` that leaves
// while the fall-through path overwrites the local (or takes it back to a loop
// head that writes it before reading it) writes it on the branch only, in an
// out-of-line stub (`jcc stub ... stub: mov r, c; jmp target`); anything else
// that could see it (a read, a label, a call, any other control flow) has it
// written in line, where the local.set was (the code as without this).

import type { FunctionSelector } from './select.ts';
import type { Instr } from './wasm.ts';
import { reg, imm, type Insn } from './x86.ts';

type Sel = FunctionSelector;

/** Instructions before which every pending write is done (blocks, calls, control flow but br and br_if). */
const CONTROL = new Set(['block', 'loop', 'if', 'else', 'end', 'br_table', 'return', 'unreachable', 'call', 'call_indirect']);
/** How far ahead a read or an overwrite is looked for. */
const WINDOW = 48;
/** How far ahead the peepholes that read locals directly (localUpdate, booleanCount...) look, in straight-line code. */
const PEEK = 8;

/** A `local.set` of constant c into local idx: pending, when the local is pinned. */
export function deferConstant(sel: Sel, idx: number, c: number): boolean {
  if (sel.frame.homes[idx].reg < 0 || sel.lf.localTypes[idx] !== 'i32') return false;
  sel.pending.set(idx, { value: c, at: sel.out.length });
  return true;
}

/** The move that writes a pending local (a move keeps the flags). */
function write(sel: Sel, idx: number): Insn {
  const insn: Insn = { op: 'mov', ops: [reg(sel.frame.homes[idx].reg), imm(sel.pending.get(idx)!.value)] };
  if (sel.ctx.opts.dump) insn.note = 'local.set';
  return insn;
}

/**
 * Do pending writes in line (all, or the listed locals), where their local.set was:
 * nothing between read the local (a read writes it first), nothing between wrote
 * its register (a write of the local replaces the pending one), and no label is
 * between (every control instruction but br_if writes first).
 */
export function flushPending(sel: Sel, only?: number[]): void {
  // Last recorded first (recorded in program order: positions never decrease), so
  // two writes at one position keep their order.
  const idxs = [...sel.pending.keys()].filter((i) => !only || only.includes(i)).reverse();
  for (const idx of idxs) {
    sel.out.splice(sel.pending.get(idx)!.at, 0, write(sel, idx));
    // Later pending writes were recorded past this point.
    for (const [j, q] of sel.pending) if (j !== idx && q.at > sel.pending.get(idx)!.at) q.at++;
    sel.pending.delete(idx);
  }
}

/** The label a `br_if` to `target` jumps to: a stub that does the pending writes, then jumps there. */
export function pendingStub(sel: Sel, target: string): string {
  if (!sel.pending.size) return target;
  const stub = sel.newLabel();
  sel.tail.push({ op: 'label', target: stub }, ...[...sel.pending.keys()].map((idx) => write(sel, idx)), { op: 'jmp', target });
  return stub;
}

/**
 * Before instruction `ins` (at sel.pc): do the pending writes something there or
 * shortly after could see. A `br_if` keeps the ones its fall-through path
 * overwrites (select.ts sends its branch through pendingStub); a `br` to a loop
 * drops the ones the loop's head writes before it reads them.
 */
export function settlePending(sel: Sel, ins: Instr): void {
  const p = sel.pending;
  for (let k = 0; k < PEEK && p.size; k++) {
    const x = sel.peek(k);
    if (!x || (k > 0 && (CONTROL.has(x.name) || x.name === 'br' || x.name === 'br_if' || x.name === 'br_table'))) break;
    if (x.name === 'local.get' && p.has(x.index!)) flushPending(sel, [x.index!]);
  }
  if (!p.size) return;
  const n = ins.name;
  if (CONTROL.has(n)) { flushPending(sel); return; }
  if (n === 'br') {
    const c = sel.target(ins.index!);
    const live = [...p.keys()].filter((idx) => !(c.kind === 'loop' && c.startPc !== undefined && deadAt(sel, c.startPc + 1, idx, true)));
    flushPending(sel, live);
    p.clear();
    return;
  }
  if (n === 'br_if') {
    const c = sel.target(ins.index!);
    const loop = sel.ctls[sel.ctls.length - 1];
    const headOpen = loop.kind === 'loop' && loop.headStart !== undefined && !loop.head;
    const prev = sel.pc > 0 ? sel.lf.func.body[sel.pc - 1] : undefined;
    if (c.kind === 'loop' || c.result || headOpen || prev?.name === 'i32.const') { flushPending(sel); return; }
    // Only the ones the fall-through path overwrites are worth a stub.
    flushPending(sel, [...p.keys()].filter((idx) => !deadAt(sel, sel.pc + 1, idx)));
  }
}

/**
 * Whether local idx is written before it is read from body[pc] on, in straight-line
 * code: a br_if passes (its branch gets its own stub), a br to a loop passes when the
 * loop's head writes it first; any other control flow, or the window running out,
 * counts as a read. At a loop head (`head`) block and loop starts pass too (nothing
 * is pending there; elsewhere they write what is pending).
 */
function deadAt(sel: Sel, pc: number, idx: number, head = false): boolean {
  const body = sel.lf.func.body;
  let nested = 0;
  for (let k = pc; k < body.length && k < pc + WINDOW; k++) {
    const x = body[k];
    switch (x.name) {
      case 'local.set': case 'local.tee': if (x.index === idx) return true; continue;
      case 'local.get': if (x.index === idx) return false; continue;
      case 'block': case 'loop': if (!head) return false; nested++; continue;
      case 'br_if': continue;
      case 'br': {
        if (head) return false;
        const c = sel.target(x.index!);
        return c.kind === 'loop' && c.startPc !== undefined && deadAt(sel, c.startPc + 1, idx, true);
      }
    }
    if (CONTROL.has(x.name) || x.name === 'br_table') return false;
  }
  return false;
}
