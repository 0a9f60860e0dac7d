// Pass 5, emit: the x86 IR (x86.ts) into machine code.
//
// Every instruction except jumps and alignment has a size that does not
// depend on where labels end up (symbols are always 32-bit fields), so each
// is encoded once up front, with fixups for its symbol fields. Jumps to labels
// start short (rel8) and grow to rel32 when their target is out of reach;
// layout repeats until nothing grows (a jump never shrinks back, so this ends).
// Then the bytes are written and the fixups resolved: absolute addresses are
// recorded as relocations, relative ones (call/jmp rel32) are not.

import { CC, REG32, REG16, REG8, type Insn, type Operand, type MemOp, type RegOp, type Assembled } from './x86.ts';

interface Fixup { at: number; sym: string; addend: number; rel: boolean }
interface Encoded { bytes: number[]; fixups: Fixup[] }

const ALU: Record<string, number> = { add: 0, or: 1, adc: 2, sbb: 3, and: 4, sub: 5, xor: 6, cmp: 7 };
const SHIFT: Record<string, number> = { rol: 0, ror: 1, rcl: 2, rcr: 3, shl: 4, shr: 5, sar: 7 };
const UNARY: Record<string, number> = { not: 2, neg: 3, mul: 4, imul: 5, div: 6, idiv: 7 };
const SIMPLE: Record<string, number[]> = {
  cdq: [0x99], cwde: [0x98], ret: [0xC3], retf: [0xCB], iretd: [0xCF], leave: [0xC9], int3: [0xCC], ud2: [0x0F, 0x0B],
  pushad: [0x60], popad: [0x61], pushfd: [0x9C], popfd: [0x9D], cld: [0xFC], std: [0xFD], cli: [0xFA], sti: [0xFB],
  hlt: [0xF4], nop: [0x90], pause: [0xF3, 0x90], rdtsc: [0x0F, 0x31], cpuid: [0x0F, 0xA2],
  wrmsr: [0x0F, 0x30], sysenter: [0x0F, 0x34], sysexit: [0x0F, 0x35],
  rep_movsb: [0xF3, 0xA4], rep_movsd: [0xF3, 0xA5], rep_stosb: [0xF3, 0xAA], rep_stosd: [0xF3, 0xAB],
};
const SEG_PREFIX = [0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65];

const fitsI8 = (v: number) => { const x = v | 0; return x >= -128 && x <= 127; };

class EncodeError extends Error {}

/** Intel-syntax text of an instruction (for dumps and error messages). */
export function formatInsn(insn: Insn): string {
  if (insn.op === 'label') return `${insn.target}:`;
  if (insn.op === 'align') return `align ${(insn.ops?.[0] as any)?.v}`;
  if (insn.op === 'db') return `db ${insn.bytes?.length ?? 0} bytes`;
  if (insn.op === 'dd') return `dd ${(insn.ops ?? []).map(fmtOp).join(', ')}`;
  let name: string = insn.op;
  if (insn.cc) name = name.replace('cc', insn.cc);
  if (name.startsWith('lock_')) name = `lock ${name.slice(5)}`;
  const ops = (insn.ops ?? []).map(fmtOp);
  if (insn.target) ops.push(insn.target);
  return ops.length ? `${name} ${ops.join(', ')}` : name;
}

function fmtOp(o: Operand): string {
  switch (o.k) {
    case 'r': return (o.s === 4 ? REG32 : o.s === 2 ? REG16 : REG8)[o.r];
    case 'i': return o.sym ? `${o.sym}${o.v ? (o.v > 0 ? '+' : '') + o.v : ''}` : (o.v < 0 || o.v > 9 ? `0x${(o.v >>> 0).toString(16)}` : String(o.v));
    case 'sr': return ['es', 'cs', 'ss', 'ds', 'fs', 'gs'][o.r];
    case 'cr': return `cr${o.r}`;
    case 'm': {
      const parts: string[] = [];
      if (o.sym) parts.push(o.sym);
      if (o.base !== undefined) parts.push(REG32[o.base]);
      if (o.index !== undefined) parts.push(`${REG32[o.index]}*${o.scale ?? 1}`);
      let s = parts.join('+');
      if (o.disp || !parts.length) s += (o.disp < 0 ? '-' : s ? '+' : '') + `0x${Math.abs(o.disp).toString(16)}`;
      const size = o.s === 1 ? 'byte' : o.s === 2 ? 'word' : 'dword';
      return `${size} [${o.seg !== undefined ? ['es', 'cs', 'ss', 'ds', 'fs', 'gs'][o.seg] + ':' : ''}${s}]`;
    }
  }
}

/** ModRM (+SIB, disp) for a register field and an r/m operand. */
function modrm(out: number[], fix: Fixup[], regField: number, rm: Operand): void {
  if (rm.k === 'r') { out.push(0xC0 | (regField << 3) | rm.r); return; }
  if (rm.k !== 'm') throw new EncodeError(`operand ${fmtOp(rm)} is not register or memory`);
  const m = rm;
  const hasSym = m.sym !== undefined;
  const disp = m.disp | 0;
  const pushDisp32 = () => {
    if (hasSym) fix.push({ at: out.length, sym: m.sym!, addend: disp, rel: false });
    out.push(disp & 0xFF, (disp >>> 8) & 0xFF, (disp >>> 16) & 0xFF, (disp >>> 24) & 0xFF);
  };
  if (m.index === 4) throw new EncodeError('esp cannot be an index register');
  if (m.base === undefined && m.index === undefined) {
    out.push((regField << 3) | 5);
    pushDisp32();
    return;
  }
  const scaleBits = { 1: 0, 2: 1, 4: 2, 8: 3 }[m.scale ?? 1];
  if (m.base === undefined) {
    // index*scale + disp32, no base
    out.push((regField << 3) | 4, (scaleBits << 6) | (m.index! << 3) | 5);
    pushDisp32();
    return;
  }
  const needSib = m.index !== undefined || m.base === 4;
  let mod: number;
  if (hasSym) mod = 2;
  else if (disp === 0 && m.base !== 5) mod = 0;
  else if (fitsI8(disp)) mod = 1;
  else mod = 2;
  if (needSib) {
    out.push((mod << 6) | (regField << 3) | 4, (scaleBits << 6) | ((m.index ?? 4) << 3) | m.base);
  } else out.push((mod << 6) | (regField << 3) | m.base);
  if (mod === 1) out.push(disp & 0xFF);
  else if (mod === 2) pushDisp32();
}

function imm32(out: number[], fix: Fixup[], o: Operand): void {
  if (o.k !== 'i') throw new EncodeError('expected an immediate');
  const v = o.v | 0;
  if (o.sym !== undefined) fix.push({ at: out.length, sym: o.sym, addend: v, rel: false });
  out.push(v & 0xFF, (v >>> 8) & 0xFF, (v >>> 16) & 0xFF, (v >>> 24) & 0xFF);
}
/** Throws unless the plain immediate `o` fits in `bits` bits (signed or unsigned). */
function checkImm(o: Operand, bits: 8 | 16): void {
  if (o.k !== 'i' || o.sym !== undefined) throw new EncodeError('expected a plain immediate');
  if (o.v < -(1 << (bits - 1)) || o.v >= (1 << bits)) throw new EncodeError(`immediate ${o.v} does not fit in ${bits} bits`);
}

function immN(out: number[], fix: Fixup[], o: Operand, size: number): void {
  if (size === 4) return imm32(out, fix, o);
  checkImm(o, size === 1 ? 8 : 16);
  if (o.k !== 'i') return;
  out.push(o.v & 0xFF);
  if (size === 2) out.push((o.v >>> 8) & 0xFF);
}

const sizeOf = (o: Operand): number => (o.k === 'r' || o.k === 'm' ? o.s : 4);
const isRM = (o: Operand | undefined): o is RegOp | MemOp => !!o && (o.k === 'r' || o.k === 'm');
const plainImm = (o: Operand): boolean => o.k === 'i' && o.sym === undefined;

/** Encode one non-jump instruction. */
function encodeOne(insn: Insn): Encoded {
  const out: number[] = [];
  const fix: Fixup[] = [];
  const ops = insn.ops ?? [];
  const [a, b, c] = ops;
  // Segment override from any memory operand.
  for (const o of ops) if (o.k === 'm' && o.seg !== undefined) out.push(SEG_PREFIX[o.seg]);
  const opsz = (s: number) => { if (s === 2) out.push(0x66); };
  const op = insn.op;

  if (op in SIMPLE && !(op === 'ret' && a)) { out.push(...SIMPLE[op]); return { bytes: out, fixups: fix }; }
  if (op in ALU && a && b) {
    const n = ALU[op];
    const s = sizeOf(a);
    if (b.k === 'i') {
      if (!isRM(a)) throw new EncodeError('bad destination');
      opsz(s);
      if (s === 1) { out.push(0x80); modrm(out, fix, n, a); immN(out, fix, b, 1); }
      else if (plainImm(b) && fitsI8(b.v)) { out.push(0x83); modrm(out, fix, n, a); out.push(b.v & 0xFF); }
      else { out.push(0x81); modrm(out, fix, n, a); immN(out, fix, b, s); }
    } else if (b.k === 'r' && isRM(a)) { opsz(s); out.push(n * 8 + (s === 1 ? 0 : 1)); modrm(out, fix, b.r, a); }
    else if (a.k === 'r' && b.k === 'm') { opsz(s); out.push(n * 8 + (s === 1 ? 2 : 3)); modrm(out, fix, a.r, b); }
    else throw new EncodeError('bad operands');
    return { bytes: out, fixups: fix };
  }
  switch (op) {
    case 'mov': {
      if (!a || !b) break;
      if (b.k === 'cr' && a.k === 'r') { out.push(0x0F, 0x20, 0xC0 | (b.r << 3) | a.r); break; }
      if (a.k === 'cr' && b.k === 'r') { out.push(0x0F, 0x22, 0xC0 | (a.r << 3) | b.r); break; }
      if (b.k === 'sr' && isRM(a)) { out.push(0x8C); modrm(out, fix, b.r, a); break; }
      if (a.k === 'sr' && isRM(b)) { out.push(0x8E); modrm(out, fix, a.r, b); break; }
      const s = sizeOf(a);
      if (b.k === 'i') {
        opsz(s);
        if (a.k === 'r') { out.push((s === 1 ? 0xB0 : 0xB8) + a.r); immN(out, fix, b, s); }
        else if (a.k === 'm') { out.push(s === 1 ? 0xC6 : 0xC7); modrm(out, fix, 0, a); immN(out, fix, b, s); }
        else throw new EncodeError('bad destination');
        break;
      }
      if (b.k === 'r' && isRM(a)) { opsz(s); out.push(s === 1 ? 0x88 : 0x89); modrm(out, fix, b.r, a); break; }
      if (a.k === 'r' && b.k === 'm') { opsz(s); out.push(s === 1 ? 0x8A : 0x8B); modrm(out, fix, a.r, b); break; }
      throw new EncodeError('bad operands');
    }
    case 'movzx': case 'movsx': {
      if (a?.k !== 'r' || !isRM(b)) break;
      if (a.s === 1 || a.s <= b.s) throw new EncodeError(`${op} needs a destination wider than its source`);
      opsz(a.s);
      const s = b.s;
      if (s === 4) throw new EncodeError(`${op} from a 32-bit source`);
      out.push(0x0F, (op === 'movzx' ? 0xB6 : 0xBE) + (s === 2 ? 1 : 0));
      modrm(out, fix, a.r, b);
      break;
    }
    case 'lea': if (a?.k !== 'r' || b?.k !== 'm') break; if (a.s === 1) throw new EncodeError('lea into an 8-bit register'); opsz(a.s); out.push(0x8D); modrm(out, fix, a.r, b); break;
    case 'test': {
      if (!isRM(a) || !b) break;
      const s = sizeOf(a);
      opsz(s);
      if (b.k === 'r') { out.push(s === 1 ? 0x84 : 0x85); modrm(out, fix, b.r, a); }
      else if (b.k === 'i') { out.push(s === 1 ? 0xF6 : 0xF7); modrm(out, fix, 0, a); immN(out, fix, b, s); }
      else throw new EncodeError('bad operands');
      break;
    }
    case 'xchg': {
      if (!isRM(a) || b?.k !== 'r') break;
      opsz(b.s);
      out.push(b.s === 1 ? 0x86 : 0x87); modrm(out, fix, b.r, a);
      break;
    }
    case 'lock_xadd': case 'lock_cmpxchg': {
      // F0 (lock) 0F C1 /r xadd r/m32, r32 ; F0 0F B1 /r cmpxchg r/m32, r32
      if (a?.k !== 'm' || b?.k !== 'r' || b.s !== 4) throw new EncodeError(`${op} takes a dword memory operand and a 32-bit register`);
      out.push(0xF0, 0x0F, op === 'lock_xadd' ? 0xC1 : 0xB1); modrm(out, fix, b.r, a);
      break;
    }
    case 'inc': case 'dec': {
      if (!isRM(a)) break;
      const s = sizeOf(a);
      opsz(s);
      if (a.k === 'r' && s !== 1) out.push((op === 'inc' ? 0x40 : 0x48) + a.r);
      else { out.push(s === 1 ? 0xFE : 0xFF); modrm(out, fix, op === 'inc' ? 0 : 1, a); }
      break;
    }
    case 'imul':
      if (ops.length === 3 && a?.k === 'r' && isRM(b) && c?.k === 'i') {
        opsz(a.s);
        if (plainImm(c) && fitsI8(c.v)) { out.push(0x6B); modrm(out, fix, a.r, b); out.push(c.v & 0xFF); }
        else { out.push(0x69); modrm(out, fix, a.r, b); immN(out, fix, c, a.s); }
        break;
      }
      if (ops.length === 2 && a?.k === 'r' && isRM(b)) { opsz(a.s); out.push(0x0F, 0xAF); modrm(out, fix, a.r, b); break; }
      if (ops.length === 2 && a?.k === 'r' && b?.k === 'i') { return encodeOne({ op: 'imul', ops: [a, a, b] }); }
    // fall through: one-operand form
    case 'not': case 'neg': case 'mul': case 'div': case 'idiv': {
      if (ops.length !== 1 || !isRM(a)) break;
      const s = sizeOf(a);
      opsz(s);
      out.push(s === 1 ? 0xF6 : 0xF7); modrm(out, fix, UNARY[op], a);
      break;
    }
    case 'shl': case 'shr': case 'sar': case 'rol': case 'ror': case 'rcl': case 'rcr': {
      if (!isRM(a) || !b) break;
      const s = sizeOf(a);
      opsz(s);
      const w = s === 1 ? 0 : 1;
      if (b.k === 'r' && b.r === 1 && b.s === 1) { out.push(0xD2 + w); modrm(out, fix, SHIFT[op], a); }
      else if (b.k === 'i' && plainImm(b)) {
        if ((b.v & 31) === 1) { out.push(0xD0 + w); modrm(out, fix, SHIFT[op], a); }
        else { out.push(0xC0 + w); modrm(out, fix, SHIFT[op], a); out.push(b.v & 0xFF); }
      } else throw new EncodeError('shift count must be an imm8 or cl');
      break;
    }
    case 'shld': case 'shrd': {
      if (!isRM(a) || b?.k !== 'r' || !c) break;
      if (a.s === 1 || b.s !== a.s) throw new EncodeError(`${op} operands must both be 16 or 32 bits`);
      opsz(a.s);
      const base = op === 'shld' ? 0xA4 : 0xAC;
      if (c.k === 'r' && c.r === 1 && c.s === 1) { out.push(0x0F, base + 1); modrm(out, fix, b.r, a); }
      else if (c.k === 'i' && plainImm(c)) { checkImm(c, 8); out.push(0x0F, base); modrm(out, fix, b.r, a); out.push(c.v & 0xFF); }
      else throw new EncodeError('shift count must be an imm8 or cl');
      break;
    }
    case 'bsf': case 'bsr':
      if (a?.k !== 'r' || !isRM(b)) break;
      if (a.s === 1) throw new EncodeError(`${op} into an 8-bit register`);
      opsz(a.s); out.push(0x0F, op === 'bsf' ? 0xBC : 0xBD); modrm(out, fix, a.r, b); break;
    case 'bt':
      if (!isRM(a) || !b) break;
      if (a.s === 1) throw new EncodeError('bt on an 8-bit operand');
      opsz(a.s);
      if (b.k === 'r') { out.push(0x0F, 0xA3); modrm(out, fix, b.r, a); }
      else if (b.k === 'i') { checkImm(b, 8); out.push(0x0F, 0xBA); modrm(out, fix, 4, a); out.push(b.v & 0xFF); }
      break;
    case 'bswap': if (a?.k !== 'r') break; out.push(0x0F, 0xC8 + a.r); break;
    case 'setcc': if (!isRM(a) || !insn.cc) break; out.push(0x0F, 0x90 + CC[insn.cc]); modrm(out, fix, 0, a); break;
    case 'cmovcc':
      if (a?.k !== 'r' || !isRM(b) || !insn.cc) break;
      if (a.s === 1) throw new EncodeError('cmov into an 8-bit register');
      opsz(a.s); out.push(0x0F, 0x40 + CC[insn.cc]); modrm(out, fix, a.r, b); break;
    case 'ret': if (a?.k !== 'i') break; checkImm(a, 16); out.push(0xC2, a.v & 0xFF, (a.v >> 8) & 0xFF); break;
    case 'int': if (a?.k !== 'i') break; checkImm(a, 8); out.push(0xCD, a.v & 0xFF); break;
    case 'push':
      if (!a) break;
      if (a.k === 'r') { if (a.s === 1) throw new EncodeError('push of an 8-bit register'); opsz(a.s); out.push(0x50 + a.r); }
      else if (a.k === 'i') { if (plainImm(a) && fitsI8(a.v)) out.push(0x6A, a.v & 0xFF); else { out.push(0x68); imm32(out, fix, a); } }
      else if (a.k === 'm') { out.push(0xFF); modrm(out, fix, 6, a); }
      else if (a.k === 'sr') out.push(...[[0x06], [0x0E], [0x16], [0x1E], [0x0F, 0xA0], [0x0F, 0xA8]][a.r]);
      else break;
      break;
    case 'pop':
      if (!a) break;
      if (a.k === 'r') { if (a.s === 1) throw new EncodeError('pop into an 8-bit register'); opsz(a.s); out.push(0x58 + a.r); }
      else if (a.k === 'm') { out.push(0x8F); modrm(out, fix, 0, a); }
      else if (a.k === 'sr' && a.r !== 1) out.push(...[[0x07], [], [0x17], [0x1F], [0x0F, 0xA1], [0x0F, 0xA9]][a.r]);
      else break;
      break;
    case 'lgdt': case 'lidt': case 'invlpg': if (a?.k !== 'm') break; out.push(0x0F, 0x01); modrm(out, fix, op === 'lgdt' ? 2 : op === 'lidt' ? 3 : 7, a); break;
    case 'ltr': if (!isRM(a)) break; out.push(0x0F, 0x00); modrm(out, fix, 3, a); break;
    case 'in': {
      if (a?.k !== 'r' || a.r !== 0 || !b) break;
      opsz(a.s);
      const w = a.s === 1 ? 0 : 1;
      if (b.k === 'i') { if (b.v < 0 || b.v > 255) throw new EncodeError(`port ${b.v} needs dx`); out.push(0xE4 + w, b.v & 0xFF); }
      else if (b.k === 'r' && b.r === 2) out.push(0xEC + w);
      else break;
      break;
    }
    case 'out': {
      if (b?.k !== 'r' || b.r !== 0 || !a) break;
      opsz(b.s);
      const w = b.s === 1 ? 0 : 1;
      if (a.k === 'i') { if (a.v < 0 || a.v > 255) throw new EncodeError(`port ${a.v} needs dx`); out.push(0xE6 + w, a.v & 0xFF); }
      else if (a.k === 'r' && a.r === 2) out.push(0xEE + w);
      else break;
      break;
    }
    case 'jmp': case 'call':
      if (!isRM(a)) break;
      out.push(0xFF); modrm(out, fix, op === 'jmp' ? 4 : 2, a);
      break;
    default: throw new EncodeError(`unknown mnemonic ${op}`);
  }
  if (out.length === 0 || (out.length <= 1 && ops.some((o) => o.k === 'm' && o.seg !== undefined))) throw new EncodeError('operands cannot be encoded');
  return { bytes: out, fixups: fix };
}

/**
 * An instruction's encoded length before layout, for choices made while selecting:
 * a jump to a label counts as short (2), a call as 5, a label or align as 0.
 */
export function sizeEstimate(insn: Insn): number {
  switch (insn.op) {
    case 'label': case 'align': return 0;
    case 'db': return insn.bytes?.length ?? 0;
    case 'dd': return 4 * (insn.ops?.length ?? 0);
    case 'jmp': case 'jcc': if (insn.target !== undefined) return 2; break;
    case 'call': if (insn.target !== undefined) return 5; break;
  }
  try { return encodeOne(insn).bytes.length; } catch { return 4; }
}

const enum Kind { Plain, Label, Align, Jmp, Jcc, Call }

/** Assemble at `origin`; `externals` gives absolute addresses of symbols defined elsewhere. */
export function assemble(insns: Insn[], origin: number, externals: Map<string, number> = new Map()): Assembled {
  const n = insns.length;
  const kind = new Uint8Array(n);
  const enc: Array<Encoded | undefined> = new Array(n);
  const size = new Int32Array(n);
  const long = new Uint8Array(n);
  const labelIndex = new Map<string, number>();
  const errors: string[] = [];

  for (let i = 0; i < n; i++) {
    const insn = insns[i];
    try {
      switch (insn.op) {
        case 'label':
          if (labelIndex.has(insn.target!)) throw new EncodeError(`duplicate label ${insn.target}`);
          labelIndex.set(insn.target!, i); kind[i] = Kind.Label; break;
        case 'align': kind[i] = Kind.Align; break;
        case 'db': enc[i] = { bytes: Array.from(insn.bytes ?? []), fixups: [] }; break;
        case 'dd': {
          const out: number[] = [], fix: Fixup[] = [];
          for (const o of insn.ops ?? []) imm32(out, fix, o);
          enc[i] = { bytes: out, fixups: fix }; break;
        }
        case 'jmp': case 'jcc': case 'call':
          if (insn.target !== undefined) { kind[i] = insn.op === 'jmp' ? Kind.Jmp : insn.op === 'jcc' ? Kind.Jcc : Kind.Call; break; }
        // fall through: indirect forms
        default: enc[i] = encodeOne(insn);
      }
    } catch (e) {
      if (!(e instanceof EncodeError)) throw e;
      errors.push(`instruction ${i}: ${formatInsn(insn)}: ${e.message}`);
    }
    if (errors.length > 20) break;
  }
  if (errors.length) throw new Error(`assemble: ${errors.length} error(s):\n  ${errors.join('\n  ')}`);

  // Calls and jumps to symbols that are not labels (externals) are always rel32.
  for (let i = 0; i < n; i++) {
    if (kind[i] === Kind.Jmp || kind[i] === Kind.Jcc) { if (!labelIndex.has(insns[i].target!)) long[i] = 1; }
  }
  const offset = new Int32Array(n + 1);
  const sizeOfInsn = (i: number, off: number): number => {
    switch (kind[i]) {
      case Kind.Plain: return enc[i]!.bytes.length;
      case Kind.Label: return 0;
      case Kind.Align: { const al = (insns[i].ops![0] as any).v as number; return (al - (off % al)) % al; }
      case Kind.Jmp: return long[i] ? 5 : 2;
      case Kind.Jcc: return long[i] ? 6 : 2;
      case Kind.Call: return 5;
    }
    return 0;
  };
  for (let pass = 0; ; pass++) {
    let off = 0;
    for (let i = 0; i < n; i++) { offset[i] = off; size[i] = sizeOfInsn(i, off + origin); off += size[i]; }
    offset[n] = off;
    let grew = false;
    for (let i = 0; i < n; i++) {
      if ((kind[i] === Kind.Jmp || kind[i] === Kind.Jcc) && !long[i]) {
        const t = labelIndex.get(insns[i].target!)!;
        const rel = offset[t] - (offset[i] + 2);
        if (rel < -128 || rel > 127) { long[i] = 1; grew = true; }
      }
    }
    if (!grew) break;
    if (pass > 100) throw new Error('assemble: branch relaxation did not converge');
  }

  const labels = new Map<string, number>();
  for (const [name, i] of labelIndex) labels.set(name, origin + offset[i]);
  const addrOf = (sym: string): number | undefined => labels.get(sym) ?? externals.get(sym);
  const missing = new Set<string>();
  const code = new Uint8Array(offset[n]);
  const relocs: number[] = [];
  const put32 = (at: number, v: number) => { code[at] = v & 0xFF; code[at + 1] = (v >>> 8) & 0xFF; code[at + 2] = (v >>> 16) & 0xFF; code[at + 3] = (v >>> 24) & 0xFF; };
  const spans: Array<{ offset: number; length: number }> = new Array(n);
  for (let i = 0; i < n; i++) {
    const off = offset[i];
    spans[i] = { offset: off, length: size[i] };
    switch (kind[i]) {
      case Kind.Plain: {
        const e = enc[i]!;
        code.set(e.bytes, off);
        for (const f of e.fixups) {
          const a = addrOf(f.sym);
          if (a === undefined) { missing.add(f.sym); continue; }
          put32(off + f.at, (a + f.addend) | 0);
          if (!f.rel) relocs.push(off + f.at);
        }
        break;
      }
      case Kind.Align: code.fill(0xCC, off, off + size[i]); break;
      case Kind.Jmp: case Kind.Jcc: case Kind.Call: {
        const target = addrOf(insns[i].target!);
        if (target === undefined) { missing.add(insns[i].target!); break; }
        const end = origin + off + size[i];
        const rel = (target - end) | 0;
        if (kind[i] === Kind.Call) { code[off] = 0xE8; put32(off + 1, rel); }
        else if (kind[i] === Kind.Jmp) { if (long[i]) { code[off] = 0xE9; put32(off + 1, rel); } else { code[off] = 0xEB; code[off + 1] = rel & 0xFF; } }
        else {
          const cc = CC[insns[i].cc!];
          if (long[i]) { code[off] = 0x0F; code[off + 1] = 0x80 + cc; put32(off + 2, rel); } else { code[off] = 0x70 + cc; code[off + 1] = rel & 0xFF; }
        }
        break;
      }
    }
  }
  if (missing.size) throw new Error(`assemble: undefined symbol(s): ${[...missing].slice(0, 30).join(', ')}${missing.size > 30 ? ` and ${missing.size - 30} more` : ''}`);
  return { code, origin, labels, relocs, spans };
}
