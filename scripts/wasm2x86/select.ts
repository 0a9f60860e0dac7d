// Pass 4, select: one walk over a function's bytecode that picks x86
// instructions, keeping wasm operands on a virtual stack (vstack.ts).
//
// Conventions of the code it produces:
// - stdcall: arguments pushed right to left, the callee pops them (`ret N`);
//   an i64 argument is two dwords, low word at the lower address; results in
//   eax, or edx:eax for i64. ebx, esi, edi and ebp are preserved.
// - Frame: ebp-based; pinned locals in esi/edi/ebx, the rest in slots.
// - Control flow: at every label the value stack is in its canonical state
//   (all non-constant entries in their spill slots) and a block's result is in
//   eax (edx:eax). Compares feed the following br_if/if/select as flags.
// - Traps jump to small stubs at the end of the function that call the
//   program's trap handler with the trap code and the stub's address.
// Arithmetic and comparisons are in select-ops.ts, memory access and bulk
// memory in select-mem.ts, the "kernel" imports in intrinsics.ts; frame.ts
// builds the prologue and epilogue, peephole.ts the last rewrites.

import { TranslateError, UnsupportedError, TRAP } from './api.ts';
import type { CompileOptions } from './api.ts';
import type { Module, Instr } from './wasm.ts';
import type { LoweredFunc } from './lower.ts';
import type { FrameLayout } from './allocate.ts';
import { VStack, RESERVED, isLazy, type V, type Width } from './vstack.ts';
import { emitOp, booleanCount } from './select-ops.ts';
import { emitIntrinsic } from './intrinsics.ts';
import { localUpdate, globalUpdate } from './select-mem.ts';
import { settlePending, flushPending, pendingStub, deferConstant } from './pending.ts';
import { finishFunction } from './frame.ts';
import {
  EAX, ECX, EDX, EBP, reg, imm, mem, memSym, invert,
  type Insn, type Cond, type Mnemonic, type Operand, type MemOp,
} from './x86.ts';

/** i32 operations a read-modify-write memory operand can do (`add dword [m], c`). */
export const RMW_OPS: Record<string, Mnemonic> = { 'i32.add': 'add', 'i32.sub': 'sub', 'i32.and': 'and', 'i32.or': 'or', 'i32.xor': 'xor' };
/** Instructions that leave straight-line code (an `a && b` second test has none). */
const CONTROL = new Set(['block', 'loop', 'if', 'else', 'end', 'br', 'br_if', 'br_table', 'return', 'unreachable']);
/** Two-operand ALU instructions whose operands may be swapped (the flags come out the same). */
const COMMUTATIVE_OPS = new Set(['add', 'and', 'or', 'xor']);
/** Instructions that only write their first operand. */
const PURE_DEST_OPS = new Set(['mov', 'movzx', 'movsx', 'lea']);
/** ALU instructions whose first operand is both read and written (two-operand forms). */
const IN_PLACE_OPS = new Set(['add', 'sub', 'and', 'or', 'xor', 'imul', 'shl', 'shr', 'sar', 'rol', 'ror', 'inc', 'dec', 'neg', 'not']);

export interface Ctl {
  kind: 'block' | 'loop' | 'if' | 'func';
  result: Width | null;
  height: number;
  /** Branch target: loop start, or the end label. */
  label: string;
  elseLabel?: string;
  endLabel: string;
  branched: boolean;
  dead: boolean;
  startReachable: boolean;
  /** Loops: where the loop's code starts in `out`, while the head (up to the first exit test) is still being emitted. */
  headStart?: number;
  /** Loops: the head's instructions, ending with the exit test's jcc (loop rotation, see rotate()). */
  head?: Insn[];
  /** Loops: the label right after the head, where a rotated back edge goes. */
  bodyLabel?: string;
  /** Loops: the index of the loop instruction in the body (pending.ts looks at its head). */
  startPc?: number;
}

/** What the selector needs to know about the module being compiled. */
export interface ModuleContext {
  mod: Module;
  opts: CompileOptions;
  prefix: string;
  funcLabel(index: number): string;
  /** Label of a function import's target (resolved) or undefined for intrinsics. */
  importTarget(index: number): string | undefined;
  globalLabel(index: number): string;
  globalWide(index: number): boolean;
  /** Each table's label (8-byte entries: function address, signature id) and size. */
  tables: Array<{ label: string; size: number }>;
  memPagesLabel: string;
  /** Canonical signature id of a type index (equal signatures share an id). */
  sigId(typeIndex: number): number;
  /** Records that a runtime helper is needed; returns its label. */
  helper(name: string): string;
  trapHandler: string;
  funcName(index: number): string;
}

export function widthOf(t: string): Width { return t === 'i64' || t === 'f64' ? 'i64' : 'i32'; }

export class FunctionSelector {
  out: Insn[] = [];
  vs: VStack;
  ctls: Ctl[] = [];
  reachable = true;
  private nLabels = 0;
  readonly label: string;
  readonly retLabel: string;
  /**
   * What the stack depth of a call depends on (index.ts drops the stack check of a
   * function whose whole call tree is small): the functions it calls directly, whether
   * it calls through a table (any function of an element segment), whether it calls
   * anything else (an import, memory.grow's hook), its frame.
   */
  stack = { callees: new Set<number>(), unknown: false, indirect: false, frameBytes: 0, checked: false };
  /** Out-of-line code and data (trap stubs, br_table tables) appended after the body. */
  tail: Insn[] = [];
  /** Constant writes of pinned locals not done yet (pending.ts): local -> value. */
  pending = new Map<number, { value: number; at: number }>();
  private trapStubs = new Map<number, string>();
  cur!: Instr;
  next: Instr | undefined;
  next2: Instr | undefined;
  /** Index of the current instruction in the body (peek() looks further ahead). */
  pc = 0;
  /** An `a && b` condition being fused (see andCondition): the else that ends its second test. */
  private fused: { elseAt: number; falseLabel: string; height: number } | undefined;
  /** The next instruction ends a fused second test: it takes a compare as flags. */
  get secondTestEnds(): boolean { return this.fused?.elseAt === this.pc + 1; }

  constructor(public ctx: ModuleContext, public lf: LoweredFunc, public frame: FrameLayout) {
    this.label = ctx.funcLabel(lf.func.index);
    this.retLabel = `${this.label}$ret`;
    this.vs = new VStack(this.out, frame.homes, frame.pinned, frame.localsBytes);
  }

  /** The instruction k places after the current one. */
  peek(k: number): Instr | undefined { return this.lf.func.body[this.pc + k]; }

  newLabel(): string { return `${this.label}$L${this.nLabels++}`; }
  e(op: Mnemonic, ...ops: Operand[]): void { this.out.push({ op, ops }); }
  jcc(cc: Cond, target: string): void { this.out.push({ op: 'jcc', cc, target }); }
  jmp(target: string): void { this.out.push({ op: 'jmp', target }); }
  place(name: string): void { this.out.push({ op: 'label', target: name }); }

  where(ins?: Instr): string {
    const f = this.lf.func;
    const i = ins ?? this.cur;
    return `${this.ctx.opts.name ?? 'module'}: function ${f.index} (${this.ctx.funcName(f.index)})` +
      (i ? `, ${i.name} at byte 0x${i.pos.toString(16)}` : '');
  }

  /** Label of this function's stub for a trap kind. */
  trap(code: number): string {
    // The prologue's stack check: one stub per module (its trap address is the
    // caller's return address, still at [esp] when the check fails).
    if (code === TRAP.STACK_EXHAUSTED) return this.ctx.helper('stacktrap');
    let l = this.trapStubs.get(code);
    if (!l) {
      l = `${this.label}$trap${code}`;
      this.trapStubs.set(code, l);
      // A call of the module's routine for the code (index.ts: push code; call the
      // handler): its return address, at the ud2 here, is the trap's address.
      this.tail.push({ op: 'label', target: l });
      this.tail.push({ op: 'call', target: this.ctx.helper(`trap${code}`) }, { op: 'ud2' });
    }
    return l;
  }

  // ---- the walk -------------------------------------------------------------

  run(): Insn[] {
    const { lf } = this;
    const body = lf.func.body;
    const result = lf.results.length ? widthOf(lf.results[0]) : null;
    this.ctls.push({ kind: 'func', result, height: 0, label: this.retLabel, endLabel: this.retLabel, branched: false, dead: false, startReachable: true });
    for (let i = 0; i < body.length; i++) {
      const ins = body[i];
      this.cur = ins;
      this.pc = i;
      this.next = body[i + 1];
      this.next2 = body[i + 2];
      if (this.reachable && this.pending.size) settlePending(this, ins);
      const before = this.out.length;
      this.vs.nextInstruction();
      try {
        if (!this.reachable) { this.dead(ins); continue; }
        const skip = this.step(ins);
        if (skip) i += skip;
      } catch (err) {
        if (err instanceof TranslateError || err instanceof UnsupportedError) throw err;
        throw new TranslateError((err as Error).message, this.where(ins));
      }
      if (this.out.length > before && this.ctx.opts.dump) this.out[before].note = ins.name;
    }
    return finishFunction(this);
  }

  /** Skipping code after br/return/unreachable until the enclosing block ends. */
  private dead(ins: Instr): void {
    switch (ins.name) {
      case 'block': case 'loop': case 'if':
        this.ctls.push({ kind: ins.name, result: null, height: this.vs.stack.length, label: '', endLabel: '', branched: false, dead: true, startReachable: false });
        return;
      case 'else': {
        const c = this.ctls[this.ctls.length - 1];
        if (c.dead) return;
        this.elseArm(c);
        return;
      }
      case 'end': this.end(); return;
    }
  }

  private step(ins: Instr): number {
    const vs = this.vs;
    switch (ins.name) {
      case 'nop': return 0;
      case 'unreachable': this.jmp(this.trap(TRAP.UNREACHABLE)); this.reachable = false; return 0;
      case 'block': case 'loop': {
        vs.flushAll();
        const bt = ins.blockType!;
        const endLabel = this.newLabel();
        const c: Ctl = {
          kind: ins.name, result: bt.results.length ? widthOf(bt.results[0]) : null, height: vs.stack.length,
          label: endLabel, endLabel, branched: false, dead: false, startReachable: true,
        };
        if (ins.name === 'loop') {
          c.startPc = this.pc;
          c.label = this.newLabel(); vs.resetTo(vs.stack.length); this.place(c.label);
          if (this.ctx.opts.chaosProbe?.loops) this.out.push({ op: 'call', target: this.ctx.helper('chaos') }); // before the head: rotation keeps working
          c.headStart = this.out.length;
        }
        this.closeLoopHead();
        this.ctls.push(c);
        return 0;
      }
      case 'if': {
        if (this.andCondition()) return 0;
        const loop = this.ctls[this.ctls.length - 1];
        const cond = vs.pop();
        vs.flushAll();
        const bt = ins.blockType!;
        const c: Ctl = {
          kind: 'if', result: bt.results.length ? widthOf(bt.results[0]) : null, height: vs.stack.length,
          label: '', endLabel: this.newLabel(), elseLabel: this.newLabel(), branched: false, dead: false, startReachable: true,
        };
        c.label = c.endLabel;
        this.condJump(cond, false, c.elseLabel!);
        // `loop (if cond (then ... br $L))`: the if's test is the loop's exit test.
        if (loop && loop.kind === 'loop' && loop.headStart !== undefined && !loop.head && !c.result) this.keepLoopHead(loop, c.elseLabel!, vs.stack.length);
        else this.closeLoopHead();
        vs.free(cond);
        vs.resetTo(vs.stack.length);
        this.ctls.push(c);
        return 0;
      }
      case 'else':
        if (this.fused?.elseAt === this.pc) return this.andConsumer();
        this.elseArm(this.ctls[this.ctls.length - 1]); return 0;
      case 'end': this.end(); return 0;
      case 'br': {
        const c = this.target(ins.index!);
        this.closeLoopHead();
        this.transfer(c, true);
        if (c.kind === 'loop' && c.head) this.rotatedBackEdge(c);
        else this.jmp(c.label);
        this.reachable = false;
        return 0;
      }
      case 'br_if': {
        const c = this.target(ins.index!);
        const cond = vs.pop();
        if (cond.k === 'const') {
          vs.free(cond);
          if (cond.lo !== 0) { flushPending(this); this.transfer(c, true); this.jmp(c.label); this.reachable = false; }
          return 0;
        }
        if (c.result && c.kind !== 'loop') {
          // The result goes to eax (edx:eax) on both paths. Test the condition
          // first: the moves that follow (mov, lea, movzx) keep the flags.
          this.toFlags(cond);
          const top = vs.top();
          vs.toFixed(top, EAX, c.result === 'i64' ? EDX : -1);
        }
        c.branched = true;
        this.condJump(cond, true, pendingStub(this, c.label));
        vs.free(cond);
        this.recordLoopHead(ins.index!);
        return 0;
      }
      case 'br_table': this.closeLoopHead(); this.brTable(ins); return 0;
      case 'return': {
        this.closeLoopHead();
        const c = this.ctls[0];
        this.transfer(c, true);
        this.jmp(this.retLabel);
        this.reachable = false;
        return 0;
      }
      case 'call': this.closeLoopHead(); this.call(ins.index!); return 0;
      case 'call_indirect': this.closeLoopHead(); this.callIndirect(ins.typeIndex!, ins.index ?? 0); return 0;
      case 'drop': vs.free(vs.pop()); return 0;
      case 'local.get': {
        const rmw = localUpdate(this, ins.index!) || booleanCount(this, ins.index!);
        if (rmw) return rmw;
        const w = widthOf(this.lf.localTypes[ins.index!]);
        vs.push({ k: 'local', w, idx: ins.index! });
        return 0;
      }
      case 'local.set': case 'local.tee': this.setLocal(ins.index!, ins.name === 'local.tee'); return 0;
      case 'global.get': {
        const lbl = this.ctx.globalLabel(ins.index!);
        const rmw = globalUpdate(this, ins.index!);
        if (rmw) return rmw;
        if (this.ctx.globalWide(ins.index!)) {
          const lo = vs.alloc(); vs.owner[lo] = vs.owner[lo]; const hi = vs.alloc([lo]);
          this.e('mov', reg(lo), memSym(4, lbl));
          this.e('mov', reg(hi), memSym(4, lbl, 4));
          vs.pushReg('i64', lo, hi);
        } else {
          const r = vs.alloc();
          this.e('mov', reg(r), memSym(4, lbl));
          vs.pushReg('i32', r);
        }
        return 0;
      }
      case 'global.set': {
        const v = vs.pop();
        const lbl = this.ctx.globalLabel(ins.index!);
        const halves = v.w === 'i64' ? [0, 4] : [0];
        for (const h of halves) {
          let s = vs.src(v, h);
          if (s.k === 'm') { vs.toReg(v); s = vs.operand(v, h); }
          this.e('mov', memSym(4, lbl, h), s);
        }
        vs.free(v);
        return 0;
      }
    }
    return emitOp(this, ins);
  }

  // ---- `a && b` as a condition ----
  //
  // binaryen writes `if (a && b)` as `a (if (result i32) b (else i32.const 0)) (if ...)`
  // (or br_if). Taken literally: a setcc, a jump over the else, a 0, then a test of
  // the 0/1. Instead both tests jump straight to where "false" goes: the consuming
  // if's else (or past the br_if), and the then arm's value is the second test.

  /** An `if (result i32)` of that shape (a then arm without control flow) starts here: its condition jumps to the false label. */
  private andCondition(): boolean {
    const { lf, pc } = this;
    const body = lf.func.body;
    const ins = body[pc];
    const bt = ins.blockType!;
    const e = lf.elseOf[pc];
    if (bt.results.length !== 1 || bt.results[0] !== 'i32' || e < 0 || lf.endOf[pc] !== e + 2) return false;
    const zero = body[e + 1], consumer = body[e + 3];
    if (zero?.name !== 'i32.const' || (zero.i32! | 0) !== 0 || !consumer) return false;
    if (consumer.name === 'br_if') {
      // The branch's target as seen from the consumer: the fused if pushes no control entry.
      const t = this.ctls[this.ctls.length - 1 - consumer.index!];
      if (!t || (t.result && t.kind !== 'loop')) return false;
    } else if (consumer.name !== 'if') return false;
    for (let i = pc + 1; i < e; i++) if (CONTROL.has(body[i].name)) return false;
    const vs = this.vs;
    const cond = vs.pop();
    vs.flushAll();
    const falseLabel = this.newLabel();
    this.condJump(cond, false, falseLabel);
    this.closeLoopHead();
    vs.free(cond);
    vs.resetTo(vs.stack.length);
    this.fused = { elseAt: e, falseLabel, height: vs.stack.length };
    return true;
  }

  /** At the fused if's else: the then arm's value is the second test of the consuming if or br_if. Returns the instructions skipped. */
  private andConsumer(): number {
    const vs = this.vs;
    const f = this.fused!;
    this.fused = undefined;
    const consumer = this.lf.func.body[this.pc + 3];
    const a = vs.pop();
    if (vs.stack.length !== f.height) throw new Error('a && b: stack height changed in the second test');
    this.closeLoopHead();
    if (consumer.name === 'if') {
      vs.flushAll();
      const bt = consumer.blockType!;
      const c: Ctl = {
        kind: 'if', result: bt.results.length ? widthOf(bt.results[0]) : null, height: vs.stack.length,
        label: '', endLabel: this.newLabel(), elseLabel: f.falseLabel, branched: false, dead: false, startReachable: true,
      };
      c.label = c.endLabel;
      this.condJump(a, false, f.falseLabel);
      vs.free(a);
      vs.resetTo(vs.stack.length);
      this.ctls.push(c);
    } else {
      const c = this.target(consumer.index!);
      c.branched = true;
      vs.flushAll();
      this.condJump(a, true, c.label);
      vs.free(a);
      this.place(f.falseLabel);
      vs.resetTo(vs.stack.length);
    }
    return 3;
  }

  target(depth: number): Ctl {
    const c = this.ctls[this.ctls.length - 1 - depth];
    if (!c) throw new Error(`branch depth ${depth} out of range`);
    return c;
  }

  /** Move a branch's result into eax (edx:eax); `consume` pops it. */
  transfer(c: Ctl, consume: boolean): void {
    const vs = this.vs;
    c.branched = true;
    if (c.kind === 'loop' || !c.result) return;
    const v = consume ? vs.pop() : vs.top();
    vs.toFixed(v, EAX, c.result === 'i64' ? EDX : -1);
    if (consume) vs.free(v);
  }

  // ---- loop rotation ----
  //
  // binaryen's loops test at the top: `loop $L (br_if $exit cond) body (br $L)`.
  // Emitted as is, every iteration runs the test's jcc and the closing jmp. When
  // the loop's head -- its first instructions, up to the first exit test -- is
  // straight-line code, the back edge repeats the head with the test inverted,
  // jumping to the body: one jump per iteration instead of two.

  /** The innermost control entry is a loop whose head is still open: stop recording it. */
  private closeLoopHead(): void {
    const c = this.ctls[this.ctls.length - 1];
    if (c && c.kind === 'loop' && c.headStart !== undefined && !c.head) c.headStart = undefined;
  }

  /** After a br_if: if it is the innermost loop's first exit test, keep its head. */
  private recordLoopHead(depth: number): void {
    const loop = this.ctls[this.ctls.length - 1];
    if (!loop || loop.kind !== 'loop' || loop.headStart === undefined || loop.head) return;
    if (depth === 0) { loop.headStart = undefined; return; }
    const target = this.target(depth);
    if (target.result) { loop.headStart = undefined; return; }
    this.keepLoopHead(loop, target.label, this.vs.stack.length);
  }

  /** The loop's head ends with a jcc to `exit`: keep it when it is straight-line code. */
  private keepLoopHead(loop: Ctl, exit: string, height: number): void {
    const start = loop.headStart!;
    loop.headStart = undefined;
    if (loop.result || height !== loop.height) return;
    const head = this.out.slice(start);
    const last = head[head.length - 1];
    if (!last || last.op !== 'jcc' || last.target !== exit || head.length > 12) return;
    for (const i of head.slice(0, -1)) {
      if (i.op === 'label' || i.op === 'call' || i.op === 'jmp' || i.op === 'align' || i.op === 'db' || i.op === 'dd') return;
      if (i.op === 'jcc' && !(i.target ?? '').includes('$trap')) return;
    }
    loop.head = head;
    loop.bodyLabel = this.newLabel();
    this.place(loop.bodyLabel);
  }

  /** The back edge of a rotated loop: the head again, continuing into the body unless it exits. */
  private rotatedBackEdge(c: Ctl): void {
    const head = c.head!;
    for (const i of head.slice(0, -1)) this.out.push({ ...i, ops: i.ops ? [...i.ops] : i.ops });
    const test = head[head.length - 1];
    this.out.push({ op: 'jcc', cc: invert(test.cc as Cond), target: c.bodyLabel! });
    this.jmp(test.target!);
  }

  /** Turn a condition entry into flags (cc: true when non-zero), in place; constants stay. */
  toFlags(cond: V): void {
    const vs = this.vs;
    if (cond.k === 'flags' || cond.k === 'const') return;
    if (cond.k === 'b8') this.e('test', reg(cond.r, 1), reg(cond.r, 1));
    else {
      if (cond.k === 'ea') vs.materialize(cond);
      const op = vs.operand(cond);
      if (op.k === 'r') this.e('test', op, op); else this.e('cmp', op, imm(0));
    }
    vs.free(cond);
    Object.assign(cond, { k: 'flags', cc: 'ne' });
  }

  /** Jump to `label` when the condition is true (jumpIf) or false. */
  condJump(cond: V, jumpIf: boolean, label: string): void {
    const vs = this.vs;
    if (cond.k === 'flags') { this.jcc(jumpIf ? cond.cc : invert(cond.cc), label); return; }
    if (cond.k === 'const') { if ((cond.lo !== 0) === jumpIf) this.jmp(label); return; }
    if (cond.k === 'b8') { this.e('test', reg(cond.r, 1), reg(cond.r, 1)); this.jcc(jumpIf ? 'ne' : 'e', label); return; }
    if (cond.k === 'ea') vs.materialize(cond);
    const op = vs.operand(cond);
    if (op.k === 'r') this.e('test', op, op); else this.e('cmp', op, imm(0));
    this.jcc(jumpIf ? 'ne' : 'e', label);
  }

  private elseArm(c: Ctl): void {
    const vs = this.vs;
    if (this.reachable) {
      if (c.result) { const v = vs.pop(); vs.toFixed(v, EAX, c.result === 'i64' ? EDX : -1); vs.free(v); }
      this.jmp(c.endLabel);
      c.branched = true;
    }
    this.place(c.elseLabel!);
    c.elseLabel = undefined;
    vs.resetTo(c.height);
    this.reachable = c.startReachable;
  }

  private end(): void {
    const vs = this.vs;
    const c = this.ctls.pop()!;
    if (c.dead) return;
    if (c.kind === 'func') {
      if (this.reachable && c.result) { const v = vs.pop(); vs.toFixed(v, EAX, c.result === 'i64' ? EDX : -1); }
      this.ctls.push(c); // finish() places the epilogue
      return;
    }
    let fall = this.reachable;
    if (fall && c.result && c.kind !== 'loop') {
      const v = vs.pop(); vs.toFixed(v, EAX, c.result === 'i64' ? EDX : -1); vs.free(v);
    }
    if (c.kind === 'if' && c.elseLabel) { this.place(c.elseLabel); fall = true; }
    if (c.kind !== 'loop') this.place(c.endLabel);
    const reach = fall || (c.kind !== 'loop' && c.branched);
    if (c.kind === 'loop') {
      // A loop's end is reached only by falling through; the result is wherever the fallthrough left it.
      if (fall && c.result) {
        const v = vs.pop(); vs.toFixed(v, EAX, c.result === 'i64' ? EDX : -1);
      }
    }
    vs.resetTo(c.height);
    if (reach && c.result) vs.pushReg(c.result, EAX, c.result === 'i64' ? EDX : -1);
    this.reachable = reach;
  }

  private brTable(ins: Instr): void {
    const vs = this.vs;
    const labels = ins.labels!;
    const idx = vs.pop();
    const dflt = this.target(labels[labels.length - 1]);
    const res = dflt.kind === 'loop' ? null : dflt.result;
    for (const d of labels) this.target(d).branched = true;
    if (idx.k === 'const') {
      const t = this.target(labels[Math.min(idx.lo >>> 0, labels.length - 1)]);
      this.transfer(t, true);
      this.jmp(t.label);
      this.reachable = false;
      return;
    }
    const fixed = res === 'i64' ? [EAX, EDX] : res ? [EAX] : [];
    const r = vs.toReg(idx, fixed);
    if (res) { const v = vs.pop(); vs.toFixed(v, EAX, res === 'i64' ? EDX : -1); vs.free(v); }
    const n = labels.length - 1;
    if (n === 0) { this.jmp(dflt.label); this.reachable = false; vs.free(idx); return; }
    const table = this.newLabel();
    this.e('cmp', reg(r), imm(n));
    this.jcc('ae', dflt.label);
    this.e('jmp', mem(4, undefined, 0, r, 4, table));
    this.tail.push({ op: 'align', ops: [imm(4)] }, { op: 'label', target: table },
      { op: 'dd', ops: labels.slice(0, n).map((d) => imm(0, this.target(d).label)) });
    vs.free(idx);
    this.reachable = false;
  }

  /**
   * `x = x op s` was selected as `mov t, x; op t, s` and would now end with
   * `mov x, t`: do `op x, s` instead (t dies here; the flags come out the same).
   */
  private updateInPlace(t: number, x: number): boolean {
    const n = this.out.length;
    if (n < 1 || t === x) return false;
    const isReg = (o: Operand | undefined, r: number) => o !== undefined && o.k === 'r' && o.r === r && o.s === 4;
    // `lea/mov/movzx/movsx t, src` or `imul t, src, imm` then `mov x, t`: write x directly.
    const last = this.out[n - 1];
    if (last.ops && isReg(last.ops[0], t) && ((PURE_DEST_OPS.has(last.op) && last.ops.length === 2) || (last.op === 'imul' && last.ops.length === 3))) {
      const rest = last.ops.slice(1);
      if (!rest.some((o) => o.k === 'r' && o.r === t && last.op !== 'imul') || last.op === 'imul') {
        this.out[n - 1] = { op: last.op, ops: [reg(x), ...rest] };
        return true;
      }
    }
    if (n < 2) return false;
    const reads = (o: Operand | undefined, r: number) => o !== undefined && ((o.k === 'r' && o.r === r) || (o.k === 'm' && (o.base === r || o.index === r)));
    // `mov/movzx/lea t, src` (or `imul t, src, c`) then `op t, s` then `mov x, t`: both on x
    // (`imul esi, edx, c; shr esi, 22`); s must read neither t nor x (src may read either:
    // t keeps its value now, and the first instruction reads x before it writes it).
    {
      const def = this.out[n - 2], op = this.out[n - 1];
      if (def.ops && isReg(def.ops[0], t) &&
          ((PURE_DEST_OPS.has(def.op) && def.ops.length === 2) || (def.op === 'imul' && def.ops.length === 3)) &&
          IN_PLACE_OPS.has(op.op) && op.ops && isReg(op.ops[0], t) && op.ops.length <= 2 && !reads(op.ops[1], t) && !reads(op.ops[1], x)) {
        this.out.length = n - 2;
        this.out.push({ ...def, ops: [reg(x), ...def.ops.slice(1)] });
        this.out.push({ ...op, ops: op.ops.length > 1 ? [reg(x), op.ops[1]] : [reg(x)] });
        return true;
      }
    }
    // `lea t,[x+d]; op t,s` then `mov x,t`: `add x,d; op x,s` (s must not read x, which changes first).
    {
      const lea = this.out[n - 2], op = this.out[n - 1];
      const m = lea.ops?.[1];
      if (lea.op === 'lea' && isReg(lea.ops?.[0], t) && m?.k === 'm' && m.base === x && m.index === undefined && m.sym === undefined &&
          IN_PLACE_OPS.has(op.op) && op.ops && isReg(op.ops[0], t) && op.ops.length <= 2 && !reads(op.ops[1], t) && !reads(op.ops[1], x)) {
        this.out.length = n - 2;
        if (m.disp === 1) this.out.push({ op: 'inc', ops: [reg(x)] });
        else if (m.disp === -1) this.out.push({ op: 'dec', ops: [reg(x)] });
        else if (m.disp !== 0) this.out.push({ op: 'add', ops: [reg(x), imm(m.disp)] });
        this.out.push({ op: op.op, ops: op.ops.length > 1 ? [reg(x), op.ops[1]] : [reg(x)] });
        return true;
      }
    }
    // `mov t,x; op1 t,s; op2 u,t` then `mov x,u` (op2 commutative, t dead): `op1 x,s; op2 x,u`, and when u
    // was just loaded (`mov u,[m]` before them, m not using x), `op2 x,[m]`.
    if (n >= 3) {
      const mov = this.out[n - 3], op1 = this.out[n - 2], op2 = this.out[n - 1];
      const u = t; // the value being stored is op2's destination
      const tt = mov.ops?.[0];
      if (mov.op === 'mov' && tt?.k === 'r' && tt.s === 4 && isReg(mov.ops?.[1], x) && tt.r !== u && tt.r !== x && this.vs.owner[tt.r] === null &&
          IN_PLACE_OPS.has(op1.op) && op1.ops && isReg(op1.ops[0], tt.r) && op1.ops.length <= 2 && !reads(op1.ops[1], tt.r) && !reads(op1.ops[1], u) &&
          COMMUTATIVE_OPS.has(op2.op) && op2.ops?.length === 2 && isReg(op2.ops[0], u) && isReg(op2.ops[1], tt.r)) {
        const ld = n >= 4 ? this.out[n - 4] : undefined;
        const lm = ld?.ops?.[1];
        const fold = ld !== undefined && ld.op === 'mov' && isReg(ld.ops?.[0], u) && lm?.k === 'm' && lm.s === 4 && !reads(lm, x) && lm.seg === undefined;
        this.out.length = fold ? n - 4 : n - 3;
        this.out.push({ op: op1.op, ops: op1.ops.length > 1 ? [reg(x), op1.ops[1]] : [reg(x)] });
        this.out.push({ op: op2.op, ops: [reg(x), fold ? lm : reg(u)] });
        return true;
      }
    }
    const mov = this.out[n - 2], op = this.out[n - 1];
    if (mov.op !== 'mov' || !isReg(mov.ops?.[0], t) || !isReg(mov.ops?.[1], x)) return false;
    if (!IN_PLACE_OPS.has(op.op) || !op.ops || !isReg(op.ops[0], t) || op.ops.length > 2) return false;
    const src: Operand | undefined = op.ops[1];
    if (src && ((src.k === 'r' && src.r === t) || (src.k === 'm' && (src.base === t || src.index === t)))) return false;
    this.out.length = n - 2;
    this.out.push({ op: op.op, ops: src ? [reg(x), src] : [reg(x)] });
    return true;
  }

  private setLocal(idx: number, tee: boolean): void {
    const vs = this.vs;
    const v = vs.pop();
    if (v.k === 'local' && v.idx === idx) { if (tee) vs.push(v); return; }
    vs.invalidateLocal(idx);
    this.pending.delete(idx); // this write replaces a pending one
    if (!tee && v.k === 'const' && deferConstant(this, idx, v.lo)) return;
    const home = this.frame.homes[idx];
    if (v.k === 'ea' && home.reg >= 0) {
      // An address expression goes straight into the local's register: `lea esi,[esi+1]`,
      // not a scratch register and a move. (lea leaves the flags alone.)
      const m: MemOp = { k: 'm', s: 4, disp: v.disp };
      if (v.base >= 0) m.base = v.base;
      if (v.index >= 0) { m.index = v.index; m.scale = v.scale; }
      if (v.index < 0 && v.base < 0) this.e('mov', reg(home.reg), imm(v.disp));
      else if (v.index < 0 && v.disp === 0) { if (v.base !== home.reg) this.e('mov', reg(home.reg), reg(v.base)); }
      else this.e('lea', reg(home.reg), m);
      vs.free(v);
      if (tee) vs.push({ k: 'local', w: 'i32', idx });
      return;
    }
    if (isLazy(v)) vs.materialize(v);
    if (home.reg >= 0 && v.k === 'reg' && this.updateInPlace(v.r, home.reg)) {
      vs.free(v);
      if (tee) vs.push({ k: 'local', w: v.w, idx });
      return;
    }
    if (home.reg >= 0) {
      const s = vs.operand(v);
      this.e('mov', reg(home.reg), s);
      vs.free(v);
      if (tee) vs.push({ k: 'local', w: v.w, idx });
      return;
    }
    // `op t,[x]` (commutative) was the last instruction and t dies here: `op [x],t`.
    const last = this.out[this.out.length - 1];
    const slot = vs.localMem(idx);
    const lm = last?.ops?.[1];
    if (v.w === 'i32' && !tee && v.k === 'reg' && last && COMMUTATIVE_OPS.has(last.op) && last.ops?.length === 2 && last.ops[0].k === 'r' && last.ops[0].r === v.r && last.ops[0].s === 4 &&
        lm?.k === 'm' && lm.base === EBP && lm.index === undefined && lm.sym === undefined && lm.disp === slot.disp && lm.s === 4) {
      this.out[this.out.length - 1] = { op: last.op, ops: [slot, reg(v.r)] };
      vs.free(v);
      return;
    }
    const halves = v.w === 'i64' ? [0, 4] : [0];
    for (const h of halves) {
      let s = vs.operand(v, h);
      if (s.k === 'm') { vs.toReg(v); s = vs.operand(v, h); }
      this.e('mov', vs.localMem(idx, h), s);
    }
    if (tee && v.k === 'reg') { vs.push(v); return; }
    vs.free(v);
    if (tee) vs.push({ k: 'local', w: v.w, idx });
  }

  /** Push the top `n` entries as stdcall arguments (last argument first) and pop them. */
  pushArgs(n: number): void {
    const vs = this.vs;
    // The last argument is on top: pop one at a time, so the others stay on the
    // value stack where they can be spilled when an address needs a register.
    for (let i = n - 1; i >= 0; i--) {
      const v = vs.pop();
      if (isLazy(v)) vs.materialize(v);
      if (v.w === 'i64') { this.e('push', vs.operand(v, 4)); this.e('push', vs.operand(v, 0)); }
      else this.e('push', vs.operand(v, 0));
      vs.free(v);
    }
  }

  /** A call of a routine taking the top `nargs` stack entries; pushes its result. */
  callLabel(target: string, nargs: number, result: Width | null): void {
    const vs = this.vs;
    vs.flushCallerSaved(vs.stack.length - nargs);
    this.pushArgs(nargs);
    this.out.push({ op: 'call', target });
    this.afterCall(result);
  }

  afterCall(result: Width | null): void {
    const vs = this.vs;
    vs.owner[EAX] = vs.owner[ECX] = vs.owner[EDX] = null;
    if (result) vs.pushReg(result, EAX, result === 'i64' ? EDX : -1);
  }

  private call(fi: number): void {
    const { ctx } = this;
    const type = ctx.mod.types[ctx.mod.funcTypes[fi]];
    if (type.results.length > 1) throw new Error('multi-value call');
    const result = type.results.length ? widthOf(type.results[0]) : null;
    if (fi < ctx.mod.numImportedFuncs) {
      const target = ctx.importTarget(fi);
      // An intrinsic is inline code or a small routine, but for the two that run other code.
      const imp = ctx.mod.imports.filter((i) => i.kind === 'func')[fi];
      if (target !== undefined || imp.name === 'call_address' || imp.name === 'swap_context') this.stack.unknown = true;
      if (target === undefined) { emitIntrinsic(this, fi); return; }
      this.callLabel(target, type.params.length, result);
      return;
    }
    this.stack.callees.add(fi);
    this.callLabel(ctx.funcLabel(fi), type.params.length, result);
  }

  private callIndirect(typeIndex: number, tableIndex: number): void {
    const { ctx, vs } = this;
    const table = ctx.tables[tableIndex] ?? { label: '', size: 0 };
    const type = ctx.mod.types[typeIndex];
    if (type.results.length > 1) throw new Error('multi-value call_indirect');
    const result = type.results.length ? widthOf(type.results[0]) : null;
    this.stack.indirect = true;
    const idx = vs.pop();
    const nargs = type.params.length;
    vs.flushCallerSaved(vs.stack.length - nargs);
    // The index must survive the argument pushes: in eax, kept out of allocation
    // while they are pushed.
    vs.toFixed(idx, EAX);
    vs.owner[EAX] = RESERVED;
    this.pushArgs(nargs);
    vs.owner[EAX] = idx;
    if (table.size === 0) { this.jmp(this.trap(TRAP.UNDEFINED_ELEMENT)); vs.free(idx); this.afterCall(result); return; }
    // The checks (bounds, signature) and the jump are one routine per table and
    // signature (index.ts indirectCall): 5 bytes a call instead of about 50 with the
    // checks and their trap paths inline, for one more instruction (its jmp).
    this.out.push({ op: 'call', target: ctx.helper(`callind_${tableIndex}_${ctx.sigId(typeIndex)}`) });
    for (const t of [TRAP.UNDEFINED_ELEMENT, TRAP.UNINITIALIZED_ELEMENT, TRAP.SIGNATURE_MISMATCH]) ctx.helper(`trap${t}`);
    vs.free(idx);
    this.afterCall(result);
  }
}
