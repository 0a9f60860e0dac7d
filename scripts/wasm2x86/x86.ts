// The x86 instruction IR shared by the selector (select.ts) and the assembler
// (emit.ts). Intel operand order: destination first. Registers carry their
// ModRM numbers so the encoder needs no lookup table.
//
//   Insn { op: 'add', ops: [reg(EAX), imm(4)] }          add eax, 4
//   Insn { op: 'mov', ops: [mem(4, EBP, -8), reg(ECX)] }  mov [ebp-8], ecx
//   Insn { op: 'jcc', cc: 'l', target: 'L12' }            jl L12
//   Insn { op: 'label', target: 'f3' }                   f3:
//
// A symbol (`sym`) in an immediate or displacement stands for the absolute
// address of a label or external symbol, plus `v`/`disp`; the assembler records
// each such 32-bit field as a relocation (PE images need them).

export const EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;
export const REG32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
export const REG16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'];
export const REG8 = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'];
/** Segment registers by their encoding number. */
export const ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5;

export type Size = 1 | 2 | 4;
/** A general register; size 1 with r 0-3 is al/cl/dl/bl (4-7 would be ah..bh). */
export interface RegOp { k: 'r'; r: number; s: Size }
/** An immediate; with `sym`, the symbol's absolute address plus v. */
export interface ImmOp { k: 'i'; v: number; sym?: string }
/** A memory operand [base + index*scale + disp (+ sym)], s = access size. */
export interface MemOp {
  k: 'm'; s: Size; base?: number; index?: number; scale?: 1 | 2 | 4 | 8;
  disp: number; sym?: string; seg?: number;
}
/** Segment register (for mov sreg, r/m16 and mov r/m16, sreg). */
export interface SregOp { k: 'sr'; r: number }
/** Control register crN (mov crN, r32 / mov r32, crN). */
export interface CrOp { k: 'cr'; r: number }
export type Operand = RegOp | ImmOp | MemOp | SregOp | CrOp;

export type Cond = 'o' | 'no' | 'b' | 'ae' | 'e' | 'ne' | 'be' | 'a' | 's' | 'ns' | 'p' | 'np' | 'l' | 'ge' | 'le' | 'g';
/** Condition code numbers as used in jcc/setcc/cmovcc opcodes. */
export const CC: Record<Cond, number> = {
  o: 0, no: 1, b: 2, ae: 3, e: 4, ne: 5, be: 6, a: 7, s: 8, ns: 9, p: 10, np: 11, l: 12, ge: 13, le: 14, g: 15,
};
export function invert(c: Cond): Cond {
  const names = Object.keys(CC) as Cond[];
  return names[CC[c] ^ 1];
}

/**
 * One instruction or pseudo-instruction.
 * Mnemonics (op):
 *  data movement: mov movzx movsx lea xchg push pop bswap cdq cwde
 *  arithmetic:    add or adc sbb and sub xor cmp test inc dec neg not mul imul div idiv
 *                 (imul with 2 operands r,r/m or 3 operands r,r/m,imm; with 1 operand edx:eax form)
 *  shifts:        shl shr sar rol ror (r/m, imm8 | r/m, cl) ; shld shrd (r/m, r, imm8 | cl)
 *  bits:          bsf bsr bt
 *  conditional:   jcc setcc cmovcc (with `cc`)
 *  control:       jmp call (target label, or ops[0] r/m for indirect) ret (optional imm16) retf iretd leave int int3 ud2
 *  atomic:        lock_xadd lock_cmpxchg (ops [m32, r32]; cmpxchg compares with eax)
 *  string:        rep_movsb rep_movsd rep_stosb rep_stosd cld std
 *  system:        cli sti hlt pause nop rdtsc cpuid lgdt lidt ltr invlpg in out pushad popad pushfd popfd
 *                 wrmsr sysenter sysexit
 *                 (mov with a CrOp or SregOp operand for control/segment registers)
 *                 in: ops [reg al/ax/eax, imm8 | reg dx(s=2)] ; out: ops [imm8 | reg dx, reg al/ax/eax]
 *  pseudo:        label (target = name) ; align (ops[0] imm = power of two, padding 0xCC in code)
 *                 db (bytes) ; dd (ops: ImmOp each, 32-bit little endian, may carry sym)
 */
export const MNEMONICS = [
  'mov', 'movzx', 'movsx', 'lea', 'xchg', 'push', 'pop', 'bswap', 'cdq', 'cwde',
  'add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp', 'test', 'inc', 'dec', 'neg', 'not', 'mul', 'imul', 'div', 'idiv',
  'shl', 'shr', 'sar', 'rol', 'ror', 'rcl', 'rcr', 'shld', 'shrd', 'bsf', 'bsr', 'bt',
  'jcc', 'setcc', 'cmovcc', 'jmp', 'call', 'ret', 'retf', 'iretd', 'leave', 'int', 'int3', 'ud2',
  'lock_xadd', 'lock_cmpxchg', 'rep_movsb', 'rep_movsd', 'rep_stosb', 'rep_stosd', 'cld', 'std',
  'cli', 'sti', 'hlt', 'pause', 'nop', 'rdtsc', 'cpuid', 'lgdt', 'lidt', 'ltr', 'invlpg', 'in', 'out', 'pushad', 'popad', 'pushfd', 'popfd',
  'wrmsr', 'sysenter', 'sysexit',
  'label', 'align', 'db', 'dd',
] as const;
/** Every mnemonic and pseudo-op of the IR (listed above by group). */
export type Mnemonic = (typeof MNEMONICS)[number];

export interface Insn {
  op: Mnemonic;
  ops?: Operand[];
  cc?: Cond;
  target?: string;
  bytes?: Uint8Array;
  /** Free text kept for the dump (for example the wasm instruction it came from). */
  note?: string;
}

export const reg = (r: number, s: Size = 4): RegOp => ({ k: 'r', r, s });
export const imm = (v: number, sym?: string): ImmOp => (sym === undefined ? { k: 'i', v } : { k: 'i', v, sym });
export function mem(s: Size, base?: number, disp = 0, index?: number, scale: 1 | 2 | 4 | 8 = 1, sym?: string): MemOp {
  const m: MemOp = { k: 'm', s, disp };
  if (base !== undefined) m.base = base;
  if (index !== undefined) { m.index = index; m.scale = scale; }
  if (sym !== undefined) m.sym = sym;
  return m;
}
/** An absolute memory operand at a symbol: [sym + disp]. */
export const memSym = (s: Size, sym: string, disp = 0): MemOp => ({ k: 'm', s, disp, sym });

/** Output of the assembler. */
export interface Assembled {
  /** Machine code and data, to be loaded at `origin`. */
  code: Uint8Array;
  origin: number;
  /** Every label's absolute address. */
  labels: Map<string, number>;
  /** Offsets (from origin) of 32-bit fields holding absolute addresses. */
  relocs: number[];
  /** For each input insn, its offset and encoded length (pseudo-ops included). */
  spans: Array<{ offset: number; length: number }>;
}
