// The runtime routines a translated module may call, written directly in the
// x86 IR: 64-bit arithmetic that i386 lacks as single instructions, bulk
// memory, memory.grow, cpuid, and the interrupt entry stubs that the kernel's
// IDT points at. Each routine is emitted only when some function uses it,
// under the module's label prefix. All use stdcall like translated code.

import { TRAP } from './api.ts';
import {
  EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI, DS, ES, FS, GS, reg, imm, mem, memSym,
  type Insn, type Mnemonic, type Operand, type Cond,
} from './x86.ts';

const r = (n: number, s: 1 | 2 | 4 = 4) => reg(n, s);
const I = (op: Mnemonic, ...ops: Operand[]): Insn => ({ op, ops });
const L = (name: string): Insn => ({ op: 'label', target: name });
const J = (cc: Cond | 'mp', target: string): Insn => (cc === 'mp' ? { op: 'jmp', target } : { op: 'jcc', cc, target });
const arg = (k: number) => mem(4, ESP, k);
const sreg = (n: number): Operand => ({ k: 'sr', r: n });

export interface RuntimeConfig {
  prefix: string;
  memPages: string;
  maxPages: number;
  /** CompileOptions.memoryEnd.limitEnd: the limit is this symbol's address >> 16 instead of maxPages. */
  limitEnd?: string;
  growHook?: string;
  /**
   * CompileOptions.checkBulkBounds: memory.copy/fill trap OUT_OF_BOUNDS through
   * this handler, before writing anything, when a range passes the memory size.
   */
  boundsTrap?: string;
  /** CompileOptions.stackLimit: swap_context loads the new thread's limit there. */
  stackLimit?: string;
  /** CompileOptions.chaosProbe: the label of the handler the `chaos` routine calls. */
  chaosHandler?: string;
}

/** Emits routine `name` (its label is prefix + '__rt_' + name). */
export function runtimeRoutine(name: string, cfg: RuntimeConfig): Insn[] {
  const p = cfg.prefix + '__rt_';
  const l = (s: string) => `${p}${name}$${s}`;
  const out: Insn[] = [{ op: 'align', ops: [imm(16)] }, L(p + name)];
  const add = (...xs: Insn[]) => out.push(...xs);
  // start + len past the memory size (33-bit sum) jumps to `oob`; clobbers eax, edx.
  const rangeCheck = (start: Operand, len: Operand, oob: string): Insn[] => [
    I('mov', r(EAX), start), I('add', r(EAX), len), J('b', oob),
    I('mov', r(EDX), memSym(4, cfg.memPages)), I('shl', r(EDX), imm(16)), I('cmp', r(EAX), r(EDX)), J('a', oob)];
  switch (name) {
    case 'memory_grow': {
      add(I('push', r(EBX)), I('push', r(ESI)), I('push', r(EDI)),
        I('mov', r(EAX), memSym(4, cfg.memPages)), I('mov', r(ECX), arg(16)),
        I('mov', r(EDX), r(EAX)), I('add', r(EDX), r(ECX)), J('b', l('fail')));
      if (cfg.limitEnd) add(I('mov', r(EBX), imm(0, cfg.limitEnd)), I('shr', r(EBX), imm(16)), I('cmp', r(EDX), r(EBX)));
      else add(I('cmp', r(EDX), imm(cfg.maxPages)));
      add(J('a', l('fail')),
        I('mov', r(EBX), r(EAX)), I('mov', r(ESI), r(EDX)));
      if (cfg.growHook) add(I('push', r(ESI)), I('push', r(EBX)), { op: 'call', target: cfg.growHook }, I('test', r(EAX), r(EAX)), J('ne', l('fail')));
      add(I('mov', r(EDI), r(EBX)), I('shl', r(EDI), imm(16)),
        I('mov', r(ECX), r(ESI)), I('sub', r(ECX), r(EBX)), I('shl', r(ECX), imm(14)),
        I('mov', r(EAX), imm(0)), I('cld'), I('rep_stosd'),
        I('mov', memSym(4, cfg.memPages), r(ESI)), I('mov', r(EAX), r(EBX)), J('mp', l('out')),
        L(l('fail')), I('mov', r(EAX), imm(-1)),
        L(l('out')), I('pop', r(EDI)), I('pop', r(ESI)), I('pop', r(EBX)), I('ret', imm(4)));
      break;
    }
    case 'atomic_add': case 'atomic_sub': case 'atomic_xchg': case 'atomic_and': case 'atomic_or': case 'atomic_xor':
      // atomic_OP(address, value, offset) -> eax, the old value at address + offset
      // (wasm's i32.atomic.rmw.OP: the memarg offset is the last argument).
      add(I('mov', r(ECX), arg(4)), I('add', r(ECX), arg(12)), I('mov', r(EAX), arg(8)));
      if (name === 'atomic_add' || name === 'atomic_sub') {
        if (name === 'atomic_sub') add(I('neg', r(EAX)));
        add(I('lock_xadd', mem(4, ECX, 0), r(EAX)));
      } else if (name === 'atomic_xchg') add(I('xchg', mem(4, ECX, 0), r(EAX))); // locked by itself
      else {
        // and/or/xor: compare-exchange until no other writer came between the read and the write.
        const op = name.slice(7) as Mnemonic;
        add(I('push', r(EBX)), I('mov', r(EBX), r(EAX)), I('mov', r(EAX), mem(4, ECX, 0)),
          L(l('again')), I('mov', r(EDX), r(EAX)), I(op, r(EDX), r(EBX)),
          I('lock_cmpxchg', mem(4, ECX, 0), r(EDX)), J('ne', l('again')), I('pop', r(EBX)));
      }
      add(I('ret', imm(12)));
      break;
    case 'atomic_cmpxchg':
      // atomic_cmpxchg(address, expected, replacement, offset) -> eax, the old value
      add(I('mov', r(ECX), arg(4)), I('add', r(ECX), arg(16)), I('mov', r(EAX), arg(8)), I('mov', r(EDX), arg(12)),
        I('lock_cmpxchg', mem(4, ECX, 0), r(EDX)), I('ret', imm(16)));
      break;
    case 'chaos':
      // The chaos probe (CompileOptions.chaosProbe): called at function entries and
      // loop heads, where the flags are dead (a call, or a loop label after the value
      // stack was spilled), so the fast path may change them. At zero the handler
      // runs with everything saved; it stores the next count through its argument.
      if (!cfg.chaosHandler) throw new Error('runtime routine chaos needs a chaos handler');
      add(I('sub', memSym(4, l('count')), imm(1)), J('e', l('fire')), I('ret'),
        L(l('fire')), I('pushfd'), I('pushad'), I('push', imm(0, l('count'))), { op: 'call', target: cfg.chaosHandler },
        I('popad'), I('popfd'), I('ret'),
        { op: 'align', ops: [imm(4)] }, L(l('count')), { op: 'dd', ops: [imm(1)] });
      break;
    case 'memcopy':
      // memcopy(dst, src, len), then memfill(dst, value, len): [esp+4] is the first argument.
      if (cfg.boundsTrap) add(...rangeCheck(arg(4), arg(12), l('oob')), ...rangeCheck(arg(8), arg(12), l('oob')));
      add(I('push', r(ESI)), I('push', r(EDI)),
        I('mov', r(EDI), arg(12)), I('mov', r(ESI), arg(16)), I('mov', r(ECX), arg(20)),
        I('cmp', r(EDI), r(ESI)), J('be', l('fwd')),
        I('mov', r(EAX), r(ESI)), I('add', r(EAX), r(ECX)), I('cmp', r(EDI), r(EAX)), J('ae', l('fwd')),
        I('lea', r(ESI), mem(4, ESI, -1, ECX, 1)), I('lea', r(EDI), mem(4, EDI, -1, ECX, 1)),
        I('std'), I('rep_movsb'), I('cld'), J('mp', l('done')),
        L(l('fwd')), I('mov', r(EDX), r(ECX)), I('shr', r(ECX), imm(2)), I('cld'), I('rep_movsd'),
        I('mov', r(ECX), r(EDX)), I('and', r(ECX), imm(3)), I('rep_movsb'),
        L(l('done')), I('pop', r(EDI)), I('pop', r(ESI)), I('ret', imm(12)));
      if (cfg.boundsTrap) add(...boundsTrap(l('oob'), cfg.boundsTrap));
      break;
    case 'memmove_r': case 'memset_r': {
      // Register arguments (select-mem.ts bulkMemory, for lengths that are not constants):
      // memmove_r edi = destination, esi = source, ecx = length; memset_r edi, eax = value
      // (its low byte), ecx; memset_r$w the same with the byte already in all four of eax. They clobber eax, ecx, edx, esi and edi, and leave the
      // direction flag clear. With boundsTrap, a range past the memory size traps
      // (at the caller's return address) before anything is written.
      const move = name === 'memmove_r';
      // memset_r$w: eax already holds the byte in all four (a constant value); the
      // bounds check (which leaves eax alone for a fill) comes after this entry.
      if (!move) add(I('movzx', r(EAX), r(EAX, 1)), I('imul', r(EAX), r(EAX), imm(0x01010101)), L(l('w')));
      if (cfg.boundsTrap) {
        add(I('mov', r(EDX), memSym(4, cfg.memPages)), I('shl', r(EDX), imm(16)));
        if (move) add(I('mov', r(EAX), r(EDX)), I('sub', r(EAX), r(ESI)), J('b', l('oob')), I('cmp', r(EAX), r(ECX)), J('b', l('oob')));
        add(I('sub', r(EDX), r(EDI)), J('b', l('oob')), I('cmp', r(EDX), r(ECX)), J('b', l('oob')));
      }
      if (move) add(I('mov', r(EAX), r(EDI)), I('sub', r(EAX), r(ESI)), I('cmp', r(EAX), r(ECX)), J('b', l('back')));
      // The words, then (out of line: a whole number of words is the common case) the odd bytes.
      add(I('mov', r(EDX), r(ECX)), I('shr', r(ECX), imm(2)), I(move ? 'rep_movsd' : 'rep_stosd'),
        I('and', r(EDX), imm(3)), J('ne', l('odd')), I('ret'),
        L(l('odd')), I('mov', r(ECX), r(EDX)), I(move ? 'rep_movsb' : 'rep_stosb'), I('ret'));
      // The destination starts inside the source: backward, byte by byte.
      if (move) add(L(l('back')), I('lea', r(ESI), mem(4, ESI, -1, ECX, 1)), I('lea', r(EDI), mem(4, EDI, -1, ECX, 1)),
        I('std'), I('rep_movsb'), I('cld'), I('ret'));
      if (cfg.boundsTrap) add(...boundsTrap(l('oob'), cfg.boundsTrap));
      break;
    }
    case 'memfill':
      if (cfg.boundsTrap) add(...rangeCheck(arg(4), arg(12), l('oob')));
      add(I('push', r(EDI)), I('mov', r(EDI), arg(8)), I('movzx', r(EAX), mem(1, ESP, 12)), I('mov', r(ECX), arg(16)),
        I('imul', r(EAX), r(EAX), imm(0x01010101)),
        I('mov', r(EDX), r(ECX)), I('shr', r(ECX), imm(2)), I('cld'), I('rep_stosd'),
        I('mov', r(ECX), r(EDX)), I('and', r(ECX), imm(3)), I('rep_stosb'),
        I('pop', r(EDI)), I('ret', imm(12)));
      if (cfg.boundsTrap) add(...boundsTrap(l('oob'), cfg.boundsTrap));
      break;
    case 'swap_context':
      // swap_context(saveEspAt, newEsp, newStackLimit): the callee-saved registers
      // go on the current stack, esp to [saveEspAt]; the new stack gives them back.
      add(I('push', r(EBP)), I('push', r(EBX)), I('push', r(ESI)), I('push', r(EDI)),
        I('mov', r(EAX), arg(20)), I('mov', r(ECX), arg(24)), I('mov', r(EDX), arg(28)),
        I('mov', mem(4, EAX, 0), r(ESP)), I('mov', r(ESP), r(ECX)));
      if (cfg.stackLimit) add(I('mov', memSym(4, cfg.stackLimit), r(EDX)));
      add(I('pop', r(EDI)), I('pop', r(ESI)), I('pop', r(EBX)), I('pop', r(EBP)), I('ret', imm(12)));
      break;
    case 'wrmsr':
      // wrmsr(index, low): the high half is 0.
      add(I('mov', r(ECX), arg(4)), I('mov', r(EAX), arg(8)), I('mov', r(EDX), imm(0)), I('wrmsr'), I('ret', imm(8)));
      break;
    case 'usercopy':
      // usercopy(dst, src, len) -> eax 0, or 1 when a page fault hit the copy.
      // The copy between the labels `copy` and `copied` is listed in the
      // exception table (__ex_table: count, then start, end, fixup per entry):
      // the kernel's page-fault handler resumes a fault there at `fault`, on
      // the same stack (a ring-0 trap keeps esp) and with the registers of the
      // fault, which returns 1. esi and edi wait in eax and edx (no stack
      // traffic); the direction flag is clear, as everywhere in translated code
      // (the interrupt entries clear it, memcopy's backward copy sets it back).
      add(I('mov', r(EAX), r(ESI)), I('mov', r(EDX), r(EDI)),
        I('mov', r(EDI), arg(4)), I('mov', r(ESI), arg(8)), I('mov', r(ECX), arg(12)), I('shr', r(ECX), imm(2)),
        L(l('copy')), I('rep_movsd'), I('mov', r(ECX), arg(12)), I('and', r(ECX), imm(3)), I('rep_movsb'), L(l('copied')),
        I('mov', r(ESI), r(EAX)), I('mov', r(EDI), r(EDX)), I('mov', r(EAX), imm(0)), I('ret', imm(12)),
        L(l('fault')), I('mov', r(ESI), r(EAX)), I('mov', r(EDI), r(EDX)), I('mov', r(EAX), imm(1)), I('ret', imm(12)),
        // userstore32(address, value) -> eax 0, or 1 when the store faulted.
        { op: 'align', ops: [imm(16)] }, L(p + 'userstore32'),
        I('mov', r(ECX), arg(4)), I('mov', r(EDX), arg(8)),
        L(l('store')), I('mov', mem(4, ECX, 0), r(EDX)), L(l('stored')),
        I('mov', r(EAX), imm(0)), I('ret', imm(8)),
        L(l('storefault')), I('mov', r(EAX), imm(1)), I('ret', imm(8)),
        { op: 'align', ops: [imm(4)] }, L(cfg.prefix + '__ex_table'),
        { op: 'dd', ops: [imm(2), imm(0, l('copy')), imm(0, l('copied')), imm(0, l('fault')),
          imm(0, l('store')), imm(0, l('stored')), imm(0, l('storefault'))] });
      break;
    case 'call_address':
      // call_address(address, args, bytes): copies `bytes` (a multiple of 4) from
      // `args` to the stack and calls `address` (stdcall: it pops them); eax back.
      // ebp restores esp whatever the callee popped; ebx/esi/edi survive.
      add(I('push', r(EBP)), I('mov', r(EBP), r(ESP)), I('push', r(ESI)), I('push', r(EDI)),
        I('mov', r(ECX), mem(4, EBP, 16)), I('sub', r(ESP), r(ECX)),
        I('mov', r(ESI), mem(4, EBP, 12)), I('mov', r(EDI), r(ESP)), I('shr', r(ECX), imm(2)), I('cld'), I('rep_movsd'),
        I('call', mem(4, EBP, 8)),
        I('lea', r(ESP), mem(4, EBP, -8)), I('pop', r(EDI)), I('pop', r(ESI)), I('pop', r(EBP)), I('ret', imm(12)));
      break;
    case 'cpuid':
      add(I('push', r(EBX)), I('push', r(ESI)),
        I('mov', r(EAX), arg(12)), I('mov', r(ECX), arg(16)), I('mov', r(ESI), arg(20)), I('cpuid'),
        I('mov', mem(4, ESI, 0), r(EAX)), I('mov', mem(4, ESI, 4), r(EBX)), I('mov', mem(4, ESI, 8), r(ECX)), I('mov', mem(4, ESI, 12), r(EDX)),
        I('pop', r(ESI)), I('pop', r(EBX)), I('ret', imm(12)));
      break;
    case 'i32_popcnt':
      add(I('mov', r(EAX), arg(4)), ...popcnt32(), I('ret', imm(4)));
      break;
    case 'i64_popcnt':
      add(I('mov', r(EAX), arg(4)), ...popcnt32(), I('mov', r(EDX), r(EAX)),
        I('mov', r(EAX), arg(8)), ...popcnt32(), I('add', r(EAX), r(EDX)), I('mov', r(EDX), imm(0)), I('ret', imm(8)));
      break;
    case 'i64_clz':
      add(I('mov', r(EDX), arg(8)), I('test', r(EDX), r(EDX)), J('e', l('low')),
        I('bsr', r(EAX), r(EDX)), I('xor', r(EAX), imm(31)), J('mp', l('done')),
        L(l('low')), I('bsr', r(EAX), arg(4)), J('e', l('zero')), I('xor', r(EAX), imm(31)), I('add', r(EAX), imm(32)), J('mp', l('done')),
        L(l('zero')), I('mov', r(EAX), imm(64)),
        L(l('done')), I('mov', r(EDX), imm(0)), I('ret', imm(8)));
      break;
    case 'i64_ctz':
      add(I('bsf', r(EAX), arg(4)), J('ne', l('done')),
        I('bsf', r(EAX), arg(8)), J('e', l('zero')), I('add', r(EAX), imm(32)), J('mp', l('done')),
        L(l('zero')), I('mov', r(EAX), imm(64)),
        L(l('done')), I('mov', r(EDX), imm(0)), I('ret', imm(8)));
      break;
    case 'i64_mul':
      add(I('push', r(EBX)),
        I('mov', r(EAX), arg(8)), I('mov', r(EBX), arg(16)),
        I('mov', r(ECX), arg(12)), I('imul', r(ECX), r(EBX)),
        I('mov', r(EDX), arg(20)), I('imul', r(EDX), r(EAX)),
        I('add', r(ECX), r(EDX)), I('mul', r(EBX)), I('add', r(EDX), r(ECX)),
        I('pop', r(EBX)), I('ret', imm(16)));
      break;
    case 'i64_shl': case 'i64_shru': case 'i64_shrs': {
      add(I('mov', r(ECX), arg(12)), I('and', r(ECX), imm(63)), I('mov', r(EAX), arg(4)), I('mov', r(EDX), arg(8)),
        I('cmp', r(ECX), imm(32)), J('ae', l('big')));
      const cl = r(ECX, 1);
      if (name === 'i64_shl') add(I('shld', r(EDX), r(EAX), cl), I('shl', r(EAX), cl), I('ret', imm(16)),
        L(l('big')), I('mov', r(EDX), r(EAX)), I('mov', r(EAX), imm(0)), I('shl', r(EDX), cl), I('ret', imm(16)));
      else if (name === 'i64_shru') add(I('shrd', r(EAX), r(EDX), cl), I('shr', r(EDX), cl), I('ret', imm(16)),
        L(l('big')), I('mov', r(EAX), r(EDX)), I('mov', r(EDX), imm(0)), I('shr', r(EAX), cl), I('ret', imm(16)));
      else add(I('shrd', r(EAX), r(EDX), cl), I('sar', r(EDX), cl), I('ret', imm(16)),
        L(l('big')), I('mov', r(EAX), r(EDX)), I('sar', r(EDX), imm(31)), I('sar', r(EAX), cl), I('ret', imm(16)));
      break;
    }
    case 'i64_rotl': case 'i64_rotr': {
      const cl = r(ECX, 1);
      add(I('push', r(EBX)), I('mov', r(ECX), arg(16)), I('mov', r(EAX), arg(8)), I('mov', r(EDX), arg(12)),
        I('test', r(ECX), imm(32)), J('e', l('nswap')), I('xchg', r(EAX), r(EDX)), L(l('nswap')));
      if (name === 'i64_rotl') add(I('mov', r(EBX), r(EDX)), I('shld', r(EDX), r(EAX), cl), I('shld', r(EAX), r(EBX), cl));
      else add(I('mov', r(EBX), r(EAX)), I('shrd', r(EAX), r(EDX), cl), I('shrd', r(EDX), r(EBX), cl));
      add(I('pop', r(EBX)), I('ret', imm(16)));
      break;
    }
    case 'u64divmod':
      // In: edx:eax = dividend, ecx:ebx = divisor (not zero). Out: edx:eax quotient, edi:esi remainder.
      add(I('test', r(ECX), r(ECX)), J('ne', l('general')),
        I('cmp', r(EDX), r(EBX)), J('b', l('one')),
        I('mov', r(ESI), r(EAX)), I('mov', r(EAX), r(EDX)), I('mov', r(EDX), imm(0)), I('div', r(EBX)),
        I('mov', r(EDI), r(EAX)), I('mov', r(EAX), r(ESI)), I('div', r(EBX)),
        I('mov', r(ESI), r(EDX)), I('mov', r(EDX), r(EDI)), I('mov', r(EDI), imm(0)), I('ret'),
        L(l('one')), I('div', r(EBX)), I('mov', r(ESI), r(EDX)), I('mov', r(EDX), imm(0)), I('mov', r(EDI), imm(0)), I('ret'),
        L(l('general')), I('push', r(EBP)), I('mov', r(ESI), imm(0)), I('mov', r(EDI), imm(0)), I('mov', r(EBP), imm(64)),
        L(l('loop')), I('add', r(EAX), r(EAX)), I('adc', r(EDX), r(EDX)), I('adc', r(ESI), r(ESI)), I('adc', r(EDI), r(EDI)),
        J('b', l('sub')), I('cmp', r(EDI), r(ECX)), J('b', l('next')), J('a', l('sub')),
        I('cmp', r(ESI), r(EBX)), J('b', l('next')),
        L(l('sub')), I('sub', r(ESI), r(EBX)), I('sbb', r(EDI), r(ECX)), I('or', r(EAX), imm(1)),
        L(l('next')), I('dec', r(EBP)), J('ne', l('loop')),
        I('pop', r(EBP)), I('ret'));
      break;
    case 'i64_divu': case 'i64_remu':
      add(I('push', r(EBX)), I('push', r(ESI)), I('push', r(EDI)),
        I('mov', r(EAX), arg(16)), I('mov', r(EDX), arg(20)), I('mov', r(EBX), arg(24)), I('mov', r(ECX), arg(28)),
        { op: 'call', target: p + 'u64divmod' });
      if (name === 'i64_remu') add(I('mov', r(EAX), r(ESI)), I('mov', r(EDX), r(EDI)));
      add(I('pop', r(EDI)), I('pop', r(ESI)), I('pop', r(EBX)), I('ret', imm(16)));
      break;
    case 'i64_divs': case 'i64_rems': {
      const neg = (lo: number, hi: number, skip: string): Insn[] => [
        I('test', r(hi), r(hi)), J('ns', skip), I('neg', r(lo)), I('adc', r(hi), imm(0)), I('neg', r(hi)), L(skip)];
      add(I('push', r(EBX)), I('push', r(ESI)), I('push', r(EDI)), I('push', r(EBP)),
        I('mov', r(EAX), arg(20)), I('mov', r(EDX), arg(24)), I('mov', r(EBX), arg(28)), I('mov', r(ECX), arg(32)),
        I('mov', r(EBP), r(EDX)));
      if (name === 'i64_divs') add(I('xor', r(EBP), r(ECX)));
      add(...neg(EAX, EDX, l('a')), ...neg(EBX, ECX, l('b')), { op: 'call', target: p + 'u64divmod' });
      if (name === 'i64_rems') add(I('mov', r(EAX), r(ESI)), I('mov', r(EDX), r(EDI)));
      add(I('test', r(EBP), r(EBP)), J('ns', l('pos')), I('neg', r(EAX)), I('adc', r(EDX), imm(0)), I('neg', r(EDX)), L(l('pos')),
        I('pop', r(EBP)), I('pop', r(EDI)), I('pop', r(ESI)), I('pop', r(EBX)), I('ret', imm(16)));
      break;
    }
    default: throw new Error(`unknown runtime routine ${name}`);
  }
  return out;
}

/** The trap for a bulk-memory range outside the memory: handler(OUT_OF_BOUNDS, caller's return address). */
function boundsTrap(label: string, handler: string): Insn[] {
  return [L(label), I('push', mem(4, ESP, 0)), I('push', imm(TRAP.OUT_OF_BOUNDS)), { op: 'call', target: handler }, { op: 'ud2' }];
}

/** Routines that other routines call. */
export const ROUTINE_DEPS: Record<string, string[]> = {
  i64_divu: ['u64divmod'], i64_remu: ['u64divmod'], i64_divs: ['u64divmod'], i64_rems: ['u64divmod'],
};

function popcnt32(): Insn[] {
  return [
    I('mov', r(ECX), r(EAX)), I('shr', r(ECX), imm(1)), I('and', r(ECX), imm(0x55555555)), I('sub', r(EAX), r(ECX)),
    I('mov', r(ECX), r(EAX)), I('and', r(EAX), imm(0x33333333)), I('shr', r(ECX), imm(2)), I('and', r(ECX), imm(0x33333333)), I('add', r(EAX), r(ECX)),
    I('mov', r(ECX), r(EAX)), I('shr', r(ECX), imm(4)), I('add', r(EAX), r(ECX)), I('and', r(EAX), imm(0x0F0F0F0F)),
    I('imul', r(EAX), r(EAX), imm(0x01010101)), I('shr', r(EAX), imm(24)),
  ];
}

/** Vectors for which the CPU pushes an error code. */
const ERROR_CODE_VECTORS = new Set([8, 10, 11, 12, 13, 14, 17, 21, 29, 30]);

/**
 * Interrupt entry stubs for all 256 vectors and their address table
 * (prefix__int_table). Each builds the trap frame documented in
 * kernel/ke/trap.ts and calls dispatch(frame) with stdcall.
 */
export function interruptStubs(prefix: string, dispatch: string, fastEntry = false): Insn[] {
  const out: Insn[] = [];
  const common = `${prefix}__int_common`;
  for (let v = 0; v < 256; v++) {
    out.push({ op: 'align', ops: [imm(4)] }, L(`${prefix}__int${v}`));
    if (!ERROR_CODE_VECTORS.has(v)) out.push(I('push', imm(0)));
    out.push(I('push', imm(v)), J('mp', common));
  }
  out.push(L(common), I('pushad'), I('push', sreg(DS)), I('push', sreg(ES)), I('push', sreg(FS)), I('push', sreg(GS)),
    I('mov', r(EAX), imm(0x10)), I('mov', sreg(DS), r(EAX, 2)), I('mov', sreg(ES), r(EAX, 2)), I('cld'),
    I('push', r(ESP)), { op: 'call', target: dispatch },
    L(`${prefix}__int_exit`),
    I('pop', sreg(GS)), I('pop', sreg(FS)), I('pop', sreg(ES)), I('pop', sreg(DS)), I('popad'),
    I('add', r(ESP), imm(8)), I('iretd'));
  if (fastEntry) out.push(...sysenterStub(prefix, dispatch));
  out.push({ op: 'align', ops: [imm(4)] }, L(`${prefix}__int_table`));
  const dd: Operand[] = [];
  for (let v = 0; v < 256; v++) dd.push(imm(0, `${prefix}__int${v}`));
  out.push({ op: 'dd', ops: dd });
  return out;
}

/** Where SharedUserData's SystemCallStub (`mov edx, esp; sysenter` at 0x7FFE0300) returns: its `ret`. */
export const SYSTEM_CALL_RETURN = 0x7FFE0304;
/** The system service vector, which the fast entry's frame carries as if `int 0x2e` had built it. */
const SYSTEM_SERVICE_VECTOR = 0x2E;
const EFLAGS_IF = 0x200, EFLAGS_TF = 0x100;
/** Selectors: ring-3 code and data (RPL 3), ring-0 data. */
const USER_CS = 0x1B, USER_SS = 0x23, KERNEL_DS = 0x10;

/**
 * The fast system call entry (SYSENTER_EIP): NT's KiFastCallEntry. `sysenter`
 * arrives with interrupts off on the stack SYSENTER_ESP names, which is the
 * TSS (the kernel sets it so): its Esp0 field, the running thread's kernel
 * stack, is loaded first. edx is the user stack pointer at the stub's
 * `sysenter`, with two return addresses above the arguments. The stub builds
 * the same KTRAP_FRAME as `int 0x2e` (eip = SystemCallReturn, edx = the
 * arguments) and calls the dispatcher. On the way out, a frame still
 * returning to SystemCallReturn in ring 3 without the trap flag leaves with
 * `sysexit` (the user's arithmetic flags are not restored, as the
 * stub's caller expects of a call; `sti`, whose one-instruction shadow covers
 * `sysexit`, sets IF); any other frame (changed by
 * NtContinue, a context change, a new thread) leaves through the `iretd`
 * exit.
 */
function sysenterStub(prefix: string, dispatch: string): Insn[] {
  const exit = `${prefix}__int_exit`;
  const frame = (off: number) => mem(4, ESP, off);
  return [
    { op: 'align', ops: [imm(16)] }, L(`${prefix}__sysenter`),
    I('mov', r(ESP), mem(4, ESP, 4)),
    // The user's arithmetic flags are not kept (a call clobbers them; NT's stub is a call): the frame says IF.
    I('push', imm(USER_SS)), I('push', r(EDX)), I('push', imm(EFLAGS_IF | 2)),
    I('push', imm(USER_CS)), I('push', imm(SYSTEM_CALL_RETURN)), I('push', imm(0)), I('push', imm(SYSTEM_SERVICE_VECTOR)),
    I('add', r(EDX), imm(8)),
    I('pushad'), I('push', sreg(DS)), I('push', sreg(ES)), I('push', sreg(FS)), I('push', sreg(GS)),
    I('mov', r(EAX), imm(KERNEL_DS)), I('mov', sreg(DS), r(EAX, 2)), I('mov', sreg(ES), r(EAX, 2)), I('cld'),
    I('push', r(ESP)), { op: 'call', target: dispatch },
    // KTRAP_FRAME: +56 eip, +60 cs, +64 eflags, +68 esp.
    // (eip SystemCallReturn is a user address: cs is USER_CS then.)
    I('cmp', frame(56), imm(SYSTEM_CALL_RETURN)), J('ne', exit),
    I('test', frame(64), imm(EFLAGS_TF)), J('ne', exit),
    I('pop', sreg(GS)), I('pop', sreg(FS)), I('pop', sreg(ES)), I('pop', sreg(DS)), I('popad'),
    // +0 vector, +4 error code, +8 eip, +20 esp. Interrupts are off here (the dispatcher returns so);
    // eflags stay the kernel's but for IF: `sti`'s one-instruction shadow covers `sysexit`.
    I('mov', r(EDX), frame(8)), I('mov', r(ECX), frame(20)),
    I('sti'), I('sysexit'),
  ];
}
