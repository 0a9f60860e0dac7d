// Pass 4, select (last step): a function's prologue and epilogue around the
// selected body (the frame's layout is allocate.ts's): the stack check, ebp,
// the callee-saved registers the body touched, local slots, pinned parameters
// loaded and locals zeroed where a read can see them before a write.

import { TRAP } from './api.ts';
import type { FunctionSelector } from './select.ts';
import { widthOf } from './select.ts';
import { peephole } from './peephole.ts';
import { sizeEstimate } from './emit.ts';
import { EBX, ESI, EDI, ESP, EBP, reg, imm, mem, memSym, type Insn } from './x86.ts';

/** Largest frame (bytes below ebp) of a function that calls nothing and skips the stack check. */
export const LEAF_FRAME_LIMIT = 128;

/** Prologue + body + epilogue + out-of-line tail. */
export function finishFunction(sel: FunctionSelector): Insn[] {
  const { frame, lf, vs, ctx } = sel;
  const pro: Insn[] = [{ op: 'label', target: sel.label }];
  const chaos = ctx.opts.chaosProbe;
  if (chaos && !chaos.exclude?.includes(ctx.funcName(lf.func.index))) pro.push({ op: 'call', target: ctx.helper('chaos') });
  const frameSize = (frame.localsBytes + 8 * vs.slotsUsed + 3) & ~3;
  // A function that calls nothing (no call, call_indirect or memory.grow: at most a
  // runtime routine with a few words of stack) and has a small frame skips the stack
  // check: its caller checked, and the limit keeps a margin below it (the kernel's
  // KERNEL_STACK_GUARD, 3 KiB; the boot stack's 4 KiB) that every frame already
  // relies on, since the check comes before the frame is allocated.
  const checked = ctx.opts.stackLimit && (lf.callsFunctions || frameSize > LEAF_FRAME_LIMIT);
  if (lf.func.body.some((x) => x.name === 'memory.grow')) sel.stack.unknown = true;
  // Frame, saved ebp and return address, parameters, and room for a runtime routine's pushes.
  sel.stack.frameBytes = frameSize + 8 + frame.paramBytes + 32;
  sel.stack.checked = !!checked;
  if (checked) {
    // 'fs:N': the limit is in the thread's TEB (NT_TIB.StackLimit is fs:[8]); else a symbol.
    const fs = /^fs:(\d+)$/.exec(ctx.opts.stackLimit!);
    const limit = fs ? { k: 'm' as const, s: 4 as const, disp: Number(fs[1]), seg: 4 } : memSym(4, ctx.opts.stackLimit!);
    pro.push({ op: 'cmp', ops: [reg(ESP), limit] });
    pro.push({ op: 'jcc', cc: 'b', target: sel.trap(TRAP.STACK_EXHAUSTED) });
  }
  // The callee-saved registers the body uses are pushed (one byte each), filling the
  // frame's 12-byte save area from the top: the k-th at [ebp-4k].
  const saved = [EBX, ESI, EDI].filter((r) => vs.touched.has(r));
  // No local or spill slot in memory: the pushes are the whole frame.
  const bare = frame.localsBytes === 12 && vs.slotsUsed === 0;
  // Such a frame needs no ebp when the body's stack depth is known everywhere: the
  // parameters are addressed from esp (espFrame).
  const body = bare ? espFrame(sel.out, 4 * saved.length - 4) : null;
  if (!body) pro.push({ op: 'push', ops: [reg(EBP)] }, { op: 'mov', ops: [reg(EBP), reg(ESP)] });
  for (const r of saved) pro.push({ op: 'push', ops: [reg(r)] });
  if (!bare && frameSize > 4 * saved.length) pro.push({ op: 'sub', ops: [reg(ESP), imm(frameSize - 4 * saved.length)] });
  for (let i = 0; i < lf.localTypes.length; i++) {
    const h = frame.homes[i];
    if (i < lf.numParams) {
      if (h.reg >= 0) pro.push({ op: 'mov', ops: [reg(h.reg), body ? mem(4, ESP, h.disp + 4 * saved.length - 4) : mem(4, EBP, h.disp)] });
      continue;
    }
    if (lf.setBeforeRead[i]) continue; // written before any read: no zero needed
    // The flags are dead here (the body sets them before it reads them): xor, 2 bytes.
    if (h.reg >= 0) pro.push({ op: 'xor', ops: [reg(h.reg), reg(h.reg)] });
    else {
      pro.push({ op: 'mov', ops: [mem(4, EBP, h.disp), imm(0)] });
      if (widthOf(lf.localTypes[i]) === 'i64') pro.push({ op: 'mov', ops: [mem(4, EBP, h.disp + 4), imm(0)] });
    }
  }
  const epi: Insn[] = [{ op: 'label', target: sel.retLabel }];
  if (body) {
    for (const r of [...saved].reverse()) epi.push({ op: 'pop', ops: [reg(r)] });
  } else if (saved.length && bare) {
    // Nothing below the saved registers: esp is at the last one (calls and pushes are balanced).
    for (const r of [...saved].reverse()) epi.push({ op: 'pop', ops: [reg(r)] });
    epi.push({ op: 'pop', ops: [reg(EBP)] });
  } else {
    saved.forEach((r, k) => epi.push({ op: 'mov', ops: [reg(r), mem(4, EBP, -4 * (k + 1))] }));
    epi.push({ op: 'leave' });
  }
  epi.push(frame.paramBytes ? { op: 'ret', ops: [imm(frame.paramBytes)] } : { op: 'ret' });
  const code = peephole([...pro, ...(body ?? sel.out), ...epi, ...sel.tail]);
  return copyEpilogue(code, sel.retLabel, epi.slice(1));
}

/** Bytes after which a jump to the epilogue is taken to be a 5-byte one. */
const NEAR_BYTES = 110;

/**
 * A `jmp` to the epilogue becomes a copy of it where that is no longer: always when
 * the epilogue takes 2 bytes or less (`leave; ret`, `pop esi; ret`), and when it takes
 * at most 5 and the jump is far (more than NEAR_BYTES, counted with short jumps).
 * One instruction fewer on each such return.
 */
function copyEpilogue(code: Insn[], retLabel: string, epi: Insn[]): Insn[] {
  const epiBytes = epi.reduce((n, x) => n + sizeEstimate(x), 0);
  if (epiBytes > 5) return code;
  const at = code.findIndex((x) => x.op === 'label' && x.target === retLabel);
  if (at < 0) return code;
  const pos: number[] = [];
  let off = 0;
  for (const x of code) { pos.push(off); off += sizeEstimate(x); }
  const res: Insn[] = [];
  code.forEach((x, k) => {
    if (x.op === 'jmp' && x.target === retLabel && !x.ops && (epiBytes <= 2 || Math.abs(pos[at] - pos[k] - 2) > NEAR_BYTES)) res.push(...epi.map((e) => ({ ...e })));
    else res.push(x);
  });
  return res;
}

/** Runtime routines that take their arguments in registers and leave esp as it was. */
const REGISTER_ROUTINE = /__rt_(memmove_r|memset_r(\$w)?|chaos)$/;
/** Instructions that move esp in ways espFrame does not follow. */
const MOVES_ESP = new Set<string>(['ret', 'retf', 'iretd', 'leave', 'int', 'int3', 'sysenter', 'sysexit', 'pushad', 'popad']);

/**
 * The body of a function without locals or spill slots in memory, its parameters
 * addressed from esp instead of ebp (`[ebp+d]` -> `[esp+d+delta+depth]`, delta: the
 * saved registers less the missing saved ebp), or null when that is not safe: the
 * depth (bytes pushed inside the body) must be known at every instruction, so it is
 * followed through push and pop and must be 0 at every label and jump; the only
 * calls allowed are of routines with register arguments; ebp must appear only as
 * the base of a parameter's address and esp nowhere. Saves `push ebp; mov ebp, esp`
 * and `pop ebp` (or `leave`) a call.
 */
function espFrame(out: Insn[], delta: number): Insn[] | null {
  const res: Insn[] = [];
  let depth = 0;
  for (const x of out) {
    if (MOVES_ESP.has(x.op)) return null;
    if ((x.op === 'label' || x.op === 'jmp' || x.op === 'jcc') && depth !== 0) return null;
    if (x.op === 'call' && (x.ops || !x.target || !REGISTER_ROUTINE.test(x.target))) return null;
    let ops = x.ops;
    if (ops?.some((o) => (o.k === 'r' && (o.r === EBP || o.r === ESP)) || (o.k === 'm' && (o.base === ESP || o.index === ESP || o.index === EBP)))) return null;
    if (ops?.some((o) => o.k === 'm' && o.base === EBP)) {
      if (ops.some((o) => o.k === 'm' && o.base === EBP && (o.disp < 8 || o.sym !== undefined || o.seg !== undefined))) return null;
      ops = ops.map((o) => (o.k === 'm' && o.base === EBP ? { ...o, base: ESP, disp: o.disp + delta + depth } : o));
      res.push({ ...x, ops });
    } else res.push(x);
    if (x.op === 'push' || x.op === 'pushfd') depth += 4;
    else if (x.op === 'pop' || x.op === 'popfd') {
      if (x.op === 'pop' && ops![0].k !== 'r') return null;
      depth -= 4;
      if (depth < 0) return null;
    }
  }
  return depth === 0 ? res : null;
}
