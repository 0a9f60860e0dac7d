// The assembler (scripts/wasm2x86/emit.ts), checked against an independent
// decoder: every case is assembled, decoded by iced-x86 in 32-bit mode and
// compared with NASM-style text written from the Intel manual. Where the
// manual leaves the assembler a choice that matters (imm8 vs imm32, disp8 vs
// disp32, rel8 vs rel32), the encoded length is checked as well.

import { afterAll, describe, expect, it } from 'vitest';
import { Decoder, DecoderOptions, Formatter, FormatterSyntax, MemorySizeOptions } from 'iced-x86';
import { assemble, formatInsn } from '../../scripts/wasm2x86/emit.ts';
import {
  EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI, ES, CS, SS, DS, FS, GS,
  reg, imm, mem, memSym, type Cond, type Insn, type Mnemonic, type Operand,
} from '../../scripts/wasm2x86/x86.ts';

const fmt = new Formatter(FormatterSyntax.Nasm);
fmt.hexPrefix = '0x';
fmt.hexSuffix = '';
fmt.uppercaseHex = false;
fmt.spaceAfterOperandSeparator = true;
fmt.memorySizeOptions = MemorySizeOptions.Always;
fmt.showBranchSize = false;
fmt.branchLeadingZeros = false;
fmt.leadingZeros = false;
afterAll(() => fmt.free());

interface Decoded { text: string; offset: number; length: number; target?: number }

/** Decodes all of `code` (loaded at `origin`) into instructions. */
function disassemble(code: Uint8Array, origin: number): Decoded[] {
  const dec = new Decoder(32, code, DecoderOptions.None);
  dec.ip = BigInt(origin);
  const out: Decoded[] = [];
  while (dec.canDecode) {
    const ins = dec.decode();
    const isBranch = ins.isJmpShortOrNear || ins.isJccShortOrNear || ins.isCallNear;
    out.push({
      text: fmt.format(ins),
      offset: Number(ins.ip) - origin,
      length: ins.length,
      target: isBranch ? Number(ins.nearBranchTarget) : undefined,
    });
    ins.free();
  }
  dec.free();
  return out;
}

const I = (op: Mnemonic, ...ops: Operand[]): Insn => ({ op, ops });
const L = (target: string): Insn => ({ op: 'label', target });
const r8 = (r: number) => reg(r, 1);
const r16 = (r: number) => reg(r, 2);
const sreg = (r: number): Operand => ({ k: 'sr', r });
const cr = (r: number): Operand => ({ k: 'cr', r });
const db = (n: number, fill = 0x90): Insn => ({ op: 'db', bytes: new Uint8Array(n).fill(fill) });

const ORIGIN = 0x401000;

/**
 * [instruction, expected NASM text, expected length in bytes (when the encoding
 * choice matters)]. The text is NASM's disassembly style: in 32-bit code the
 * 32-bit forms need no suffix (pusha, popf, iret), string instructions carry
 * no operands, `imul r, r, imm` with equal registers reads `imul r, imm`, and
 * xchg names its register operand first.
 */
type Case = [Insn, string, number?];

const MOV: Case[] = [
  [I('mov', reg(EAX), reg(ECX)), 'mov eax, ecx', 2],
  [I('mov', reg(EDI), reg(ESP)), 'mov edi, esp', 2],
  [I('mov', reg(ECX), imm(0x12345678)), 'mov ecx, 0x12345678', 5],
  [I('mov', reg(EAX), imm(-1)), 'mov eax, 0xffffffff', 5],
  [I('mov', reg(EBX), imm(0)), 'mov ebx, 0', 5],
  [I('mov', r8(EAX), imm(0x7f)), 'mov al, 0x7f', 2],
  [I('mov', r8(7), r8(ECX)), 'mov bh, cl', 2],
  [I('mov', r16(EAX), imm(0x1234)), 'mov ax, 0x1234', 4],
  [I('mov', r16(ESI), r16(EDX)), 'mov si, dx', 3],
  // memory operands: every addressing form
  [I('mov', reg(EAX), mem(4, ECX)), 'mov eax, dword [ecx]', 2],
  [I('mov', reg(EAX), mem(4, ESP)), 'mov eax, dword [esp]', 3],
  [I('mov', reg(EAX), mem(4, ESP, 8)), 'mov eax, dword [esp+8]', 4],
  [I('mov', reg(EAX), mem(4, EBP)), 'mov eax, dword [ebp]', 3],
  [I('mov', reg(EAX), mem(4, EBP, -8)), 'mov eax, dword [ebp-8]', 3],
  [I('mov', reg(EAX), mem(4, EBX, 127)), 'mov eax, dword [ebx+0x7f]', 3],
  [I('mov', reg(EAX), mem(4, EBX, -128)), 'mov eax, dword [ebx-0x80]', 3],
  [I('mov', reg(EAX), mem(4, EBX, 128)), 'mov eax, dword [ebx+0x80]', 6],
  [I('mov', reg(EAX), mem(4, EBX, -129)), 'mov eax, dword [ebx-0x81]', 6],
  [I('mov', reg(EAX), mem(4, ESP, 0x1000)), 'mov eax, dword [esp+0x1000]', 7],
  [I('mov', reg(EDX), mem(4, ESI, 0x10, EDI, 4)), 'mov edx, dword [esi+edi*4+0x10]', 4],
  [I('mov', reg(EDX), mem(4, ESI, 0x1000, EDI, 8)), 'mov edx, dword [esi+edi*8+0x1000]', 7],
  [I('mov', reg(EDX), mem(4, EBP, 0, ECX, 2)), 'mov edx, dword [ebp+ecx*2]', 4],
  [I('mov', reg(EDX), mem(4, ESP, 0, EBP, 1)), 'mov edx, dword [esp+ebp]', 3],
  [I('mov', reg(EDX), mem(4, EAX, 0, EBX, 1)), 'mov edx, dword [eax+ebx]', 3],
  [I('mov', reg(EAX), mem(4, undefined, 0x100, ECX, 4)), 'mov eax, dword [ecx*4+0x100]', 7],
  [I('mov', reg(EAX), mem(4, undefined, 0, EBP, 8)), 'mov eax, dword [ebp*8]', 7],
  [I('mov', reg(EAX), mem(4, undefined, 0x1000)), 'mov eax, dword [0x1000]', 6],
  [I('mov', reg(EAX), mem(4, undefined, 0x80400000)), 'mov eax, dword [0x80400000]'],
  [I('mov', mem(4, EDI), reg(EBX)), 'mov dword [edi], ebx', 2],
  [I('mov', mem(1, EDI), r8(EBX)), 'mov byte [edi], bl', 2],
  [I('mov', mem(2, EAX, 2), r16(ECX)), 'mov word [eax+2], cx', 4],
  [I('mov', mem(1, EAX), imm(5)), 'mov byte [eax], 5', 3],
  [I('mov', mem(4, ESP, 4), imm(0x11223344)), 'mov dword [esp+4], 0x11223344', 8],
  [I('mov', mem(2, EBX), imm(0xbeef)), 'mov word [ebx], 0xbeef', 5],
  [I('mov', r8(ECX), mem(1, EDX)), 'mov cl, byte [edx]', 2],
  [I('mov', r16(EAX), mem(2, ESI)), 'mov ax, word [esi]', 3],
  [I('mov', reg(EAX), { ...mem(4, undefined, 0x18), seg: FS }), 'mov eax, dword [fs:0x18]', 7],
  [I('mov', { ...mem(4, EBX, 4), seg: GS }, reg(ECX)), 'mov dword [gs:ebx+4], ecx', 4],
  // control and segment registers
  [I('mov', cr(3), reg(EAX)), 'mov cr3, eax', 3],
  [I('mov', cr(0), reg(ECX)), 'mov cr0, ecx', 3],
  [I('mov', reg(EDX), cr(2)), 'mov edx, cr2', 3],
  [I('mov', reg(EAX), cr(4)), 'mov eax, cr4', 3],
  [I('mov', sreg(DS), r16(EAX)), 'mov ds, eax', 2],
  [I('mov', sreg(SS), r16(EDX)), 'mov ss, edx', 2],
  [I('mov', sreg(FS), mem(2, EBX)), 'mov fs, word [ebx]', 2],
  [I('mov', reg(EAX), sreg(SS)), 'mov eax, ss', 2],
  [I('mov', mem(2, EAX), sreg(ES)), 'mov word [eax], es', 2],
];

const ALU_CASES: Case[] = [
  [I('add', reg(EAX), imm(4)), 'add eax, 4', 3],
  [I('add', reg(EAX), imm(127)), 'add eax, 0x7f', 3],
  [I('add', reg(EAX), imm(128)), 'add eax, 0x80', 6],
  [I('sub', reg(ESP), imm(-128)), 'sub esp, 0xffffff80', 3],
  [I('sub', reg(ESP), imm(-129)), 'sub esp, 0xffffff7f', 6],
  [I('and', reg(EAX), imm(0xfffffff0)), 'and eax, 0xfffffff0', 3],
  [I('and', reg(EAX), imm(0xffffff00)), 'and eax, 0xffffff00', 6],
  [I('cmp', reg(ECX), imm(0x12345)), 'cmp ecx, 0x12345', 6],
  [I('or', reg(EDX), imm(0)), 'or edx, 0', 3],
  [I('adc', reg(EDX), reg(EBX)), 'adc edx, ebx', 2],
  [I('sbb', reg(EDX), imm(0)), 'sbb edx, 0', 3],
  [I('xor', reg(EAX), reg(EAX)), 'xor eax, eax', 2],
  [I('or', reg(ECX), mem(4, EBX, 4)), 'or ecx, dword [ebx+4]', 3],
  [I('add', mem(4, EBX, 4), reg(ECX)), 'add dword [ebx+4], ecx', 3],
  [I('sub', mem(4, ESP, 8), imm(1)), 'sub dword [esp+8], 1', 5],
  [I('cmp', mem(4, EAX), imm(1000)), 'cmp dword [eax], 0x3e8', 6],
  [I('add', r8(EAX), imm(0x10)), 'add al, 0x10'],
  [I('cmp', mem(1, EAX), imm(0xff)), 'cmp byte [eax], 0xff', 3],
  [I('xor', r8(EDX), r8(6)), 'xor dl, dh', 2],
  [I('and', r8(ECX), mem(1, ESI)), 'and cl, byte [esi]', 2],
  [I('add', r16(EAX), imm(1)), 'add ax, 1', 4],
  [I('add', r16(EAX), imm(0x1234)), 'add ax, 0x1234'],
  [I('sub', mem(2, EDI), r16(EBX)), 'sub word [edi], bx', 3],
  [I('test', reg(EAX), reg(EAX)), 'test eax, eax', 2],
  [I('test', r8(EAX), imm(1)), 'test al, 1'],
  [I('test', mem(4, ECX), imm(0x100)), 'test dword [ecx], 0x100', 6],
  [I('test', mem(1, ECX, 3), r8(EDX)), 'test byte [ecx+3], dl', 3],
  [I('inc', reg(EAX)), 'inc eax', 1],
  [I('dec', reg(EDI)), 'dec edi', 1],
  [I('inc', r16(ECX)), 'inc cx', 2],
  [I('inc', r8(EBX)), 'inc bl', 2],
  [I('inc', mem(1, EAX)), 'inc byte [eax]', 2],
  [I('dec', mem(4, EBX)), 'dec dword [ebx]', 2],
  [I('neg', reg(EAX)), 'neg eax', 2],
  [I('not', r8(EDX)), 'not dl', 2],
  [I('mul', reg(ECX)), 'mul ecx', 2],
  [I('div', reg(ECX)), 'div ecx', 2],
  [I('div', mem(1, EAX)), 'div byte [eax]', 2],
  [I('idiv', mem(4, ESP, 4)), 'idiv dword [esp+4]', 4],
  [I('idiv', r16(EBX)), 'idiv bx', 3],
  [I('imul', reg(EBX)), 'imul ebx', 2],
  [I('imul', reg(EAX), reg(ECX)), 'imul eax, ecx', 3],
  [I('imul', reg(EDX), mem(4, EBP, -4)), 'imul edx, dword [ebp-4]', 4],
  [I('imul', reg(EAX), mem(4, EBX), imm(10)), 'imul eax, dword [ebx], 0xa', 3],
  [I('imul', reg(EDX), reg(ESI), imm(1000)), 'imul edx, esi, 0x3e8', 6],
  [I('imul', reg(EAX), reg(EAX), imm(0x01010101)), 'imul eax, 0x1010101', 6],
  [I('imul', reg(ECX), imm(3)), 'imul ecx, 3', 3],
  [I('imul', reg(ECX), imm(-2)), 'imul ecx, 0xfffffffe', 3],
  [I('cdq'), 'cdq', 1],
  [I('cwde'), 'cwde', 1],
  [I('xchg', mem(4, EAX), reg(ECX)), 'xchg ecx, dword [eax]', 2],
  [I('xchg', reg(EBX), reg(EDX)), 'xchg edx, ebx', 2],
  [I('lock_xadd', mem(4, ECX), reg(EAX)), 'lock xadd dword [ecx], eax', 4],
  [I('lock_cmpxchg', mem(4, EBX, 8), reg(EDX)), 'lock cmpxchg dword [ebx+8], edx', 5],
  [I('bsf', reg(EAX), reg(ECX)), 'bsf eax, ecx', 3],
  [I('bsr', reg(EDX), mem(4, EAX)), 'bsr edx, dword [eax]', 3],
  [I('bt', reg(EAX), imm(5)), 'bt eax, 5', 4],
  [I('bt', mem(4, EBX), reg(ECX)), 'bt dword [ebx], ecx', 3],
  [I('bswap', reg(ESI)), 'bswap esi', 2],
];

const SHIFTS: Case[] = [
  [I('shl', reg(EAX), imm(1)), 'shl eax, 1', 2],
  [I('shr', reg(EDX), imm(5)), 'shr edx, 5', 3],
  [I('sar', reg(ECX), r8(ECX)), 'sar ecx, cl', 2],
  [I('shl', mem(4, ESP, 4), r8(ECX)), 'shl dword [esp+4], cl', 4],
  [I('rol', mem(1, EAX), imm(3)), 'rol byte [eax], 3', 3],
  [I('ror', r16(EAX), imm(1)), 'ror ax, 1', 3],
  [I('sar', r8(EBX), imm(7)), 'sar bl, 7', 3],
  [I('shr', reg(EDI), imm(31)), 'shr edi, 0x1f', 3],
  [I('shld', reg(EAX), reg(EDX), imm(4)), 'shld eax, edx, 4', 4],
  [I('shrd', reg(EAX), reg(EDX), r8(ECX)), 'shrd eax, edx, cl', 3],
  [I('shld', mem(4, EBX), reg(ESI), r8(ECX)), 'shld dword [ebx], esi, cl', 3],
];

const MOVX_LEA: Case[] = [
  [I('movzx', reg(EAX), mem(1, EBP, -1)), 'movzx eax, byte [ebp-1]', 4],
  [I('movzx', reg(ECX), mem(2, EAX)), 'movzx ecx, word [eax]', 3],
  [I('movzx', reg(EAX), r8(EAX)), 'movzx eax, al', 3],
  [I('movsx', reg(EAX), r8(ECX)), 'movsx eax, cl', 3],
  [I('movsx', reg(EDX), r16(EAX)), 'movsx edx, ax', 3],
  [I('movsx', reg(EBX), mem(2, ESI, 2, EDI, 2)), 'movsx ebx, word [esi+edi*2+2]', 5],
  [I('movzx', r16(EAX), r8(EBX)), 'movzx ax, bl', 4],
  [I('movzx', reg(EAX), mem(1, ESP, 12)), 'movzx eax, byte [esp+0xc]', 5],
  [I('lea', reg(EAX), mem(4, ECX, 3, EDX, 2)), 'lea eax, [ecx+edx*2+3]', 4],
  [I('lea', reg(ESI), mem(4, ESI, -1, ECX, 1)), 'lea esi, [esi+ecx-1]', 4],
  [I('lea', reg(EDI), mem(4, undefined, 0, EAX, 4)), 'lea edi, [eax*4]', 7],
  [I('lea', reg(ESP), mem(4, ESP, 16)), 'lea esp, [esp+0x10]', 4],
];

const STACK: Case[] = [
  [I('push', reg(EBX)), 'push ebx', 1],
  [I('push', reg(EBP)), 'push ebp', 1],
  [I('push', imm(5)), 'push 5', 2],
  [I('push', imm(-1)), 'push 0xffffffff', 2],
  [I('push', imm(0x1000)), 'push 0x1000', 5],
  [I('push', imm(128)), 'push 0x80', 5],
  [I('push', mem(4, ESP, 4)), 'push dword [esp+4]', 4],
  [I('push', sreg(ES)), 'push es', 1],
  [I('push', sreg(CS)), 'push cs', 1],
  [I('push', sreg(DS)), 'push ds', 1],
  [I('push', sreg(FS)), 'push fs', 2],
  [I('push', sreg(GS)), 'push gs', 2],
  [I('pop', reg(EDI)), 'pop edi', 1],
  [I('pop', mem(4, EAX)), 'pop dword [eax]', 2],
  [I('pop', sreg(DS)), 'pop ds', 1],
  [I('pop', sreg(SS)), 'pop ss', 1],
  [I('pop', sreg(ES)), 'pop es', 1],
  [I('pop', sreg(GS)), 'pop gs', 2],
  [I('pushad'), 'pusha', 1],
  [I('popad'), 'popa', 1],
  [I('pushfd'), 'pushf', 1],
  [I('popfd'), 'popf', 1],
  [I('ret'), 'ret', 1],
  [I('ret', imm(8)), 'ret 8', 3],
  [I('ret', imm(0x100)), 'ret 0x100', 3],
  [I('retf'), 'retf', 1],
  [I('iretd'), 'iret', 1],
  [I('leave'), 'leave', 1],
  [I('call', reg(EAX)), 'call eax', 2],
  [I('call', mem(4, EBX, 8)), 'call dword [ebx+8]', 3],
  [I('jmp', reg(EDX)), 'jmp edx', 2],
  [I('jmp', mem(4, undefined, 0x2000, EAX, 4)), 'jmp dword [eax*4+0x2000]', 7],
];

const SYSTEM: Case[] = [
  [I('cli'), 'cli', 1], [I('sti'), 'sti', 1], [I('hlt'), 'hlt', 1], [I('nop'), 'nop', 1],
  [I('cld'), 'cld', 1], [I('std'), 'std', 1], [I('int3'), 'int3', 1], [I('ud2'), 'ud2', 2],
  [I('pause'), 'pause', 2], [I('rdtsc'), 'rdtsc', 2], [I('cpuid'), 'cpuid', 2],
  [I('int', imm(0x80)), 'int 0x80', 2],
  [I('rep_movsb'), 'rep movsb', 2],
  [I('rep_movsd'), 'rep movsd', 2],
  [I('rep_stosb'), 'rep stosb', 2],
  [I('rep_stosd'), 'rep stosd', 2],
  [I('in', r8(EAX), imm(0x60)), 'in al, 0x60', 2],
  [I('in', reg(EAX), r16(EDX)), 'in eax, dx', 1],
  [I('in', r16(EAX), r16(EDX)), 'in ax, dx', 2],
  [I('in', r8(EAX), r16(EDX)), 'in al, dx', 1],
  [I('out', imm(0x80), r8(EAX)), 'out 0x80, al', 2],
  [I('out', imm(0xf4), reg(EAX)), 'out 0xf4, eax', 2],
  [I('out', r16(EDX), r8(EAX)), 'out dx, al', 1],
  [I('out', r16(EDX), r16(EAX)), 'out dx, ax', 2],
  [I('out', r16(EDX), reg(EAX)), 'out dx, eax', 1],
  [I('lgdt', mem(4, EAX)), 'lgdt [eax]', 3],
  [I('lidt', mem(4, undefined, 0x2000)), 'lidt [0x2000]', 7],
  [I('invlpg', mem(4, EAX)), 'invlpg [eax]', 3],
  [I('ltr', r16(EAX)), 'ltr ax', 3],
];

const COND_NAMES: Array<[Cond, string]> = [
  ['o', 'o'], ['no', 'no'], ['b', 'b'], ['ae', 'ae'], ['e', 'e'], ['ne', 'ne'], ['be', 'be'], ['a', 'a'],
  ['s', 's'], ['ns', 'ns'], ['p', 'p'], ['np', 'np'], ['l', 'l'], ['ge', 'ge'], ['le', 'le'], ['g', 'g'],
];
const CONDITIONAL: Case[] = [
  ...COND_NAMES.map(([cc, n]): Case => [{ op: 'setcc', cc, ops: [r8(EAX)] }, `set${n} al`, 3]),
  [{ op: 'setcc', cc: 'l', ops: [mem(1, ECX)] }, 'setl byte [ecx]', 3],
  [{ op: 'setcc', cc: 'a', ops: [r8(7)] }, 'seta bh', 3],
  ...COND_NAMES.map(([cc, n]): Case => [{ op: 'cmovcc', cc, ops: [reg(EDX), reg(ESI)] }, `cmov${n} edx, esi`, 3]),
  [{ op: 'cmovcc', cc: 'g', ops: [reg(EAX), mem(4, ESI, 4)] }, 'cmovg eax, dword [esi+4]', 4],
];

/** Assembles one instruction alone and decodes it back. */
function roundTrip(insn: Insn): { code: Uint8Array; decoded: Decoded[] } {
  const asm = assemble([insn], ORIGIN);
  return { code: asm.code, decoded: disassemble(asm.code, ORIGIN) };
}

function table(name: string, cases: Case[]) {
  describe(name, () => {
    it.each(cases.map(([insn, text, len]) => ({ insn, text, len, label: text })))('$label', ({ insn, text, len }) => {
      const { code, decoded } = roundTrip(insn);
      expect(decoded.map((d) => d.text)).toEqual([text]);
      expect(decoded[0].length).toBe(code.length); // one instruction, nothing left over
      if (len !== undefined) expect(code.length).toBe(len);
    });
  });
}

const SIXTEEN_BIT: Case[] = [
  [I('shld', reg(EAX, 2), reg(EDX, 2), imm(4)), 'shld ax, dx, 4', 5],
  [I('shrd', reg(EAX, 2), reg(EDX, 2), reg(ECX, 1)), 'shrd ax, dx, cl', 4],
  [{ op: 'cmovcc', cc: 'ne', ops: [reg(EAX, 2), reg(ECX, 2)] }, 'cmovne ax, cx', 4],
  [I('push', reg(EAX, 2)), 'push ax', 2],
  [I('pop', reg(ECX, 2)), 'pop cx', 2],
  [I('bt', reg(EAX, 2), imm(3)), 'bt ax, 3', 5],
  [I('bsf', reg(EDX, 2), reg(EBX, 2)), 'bsf dx, bx', 4],
  [I('lea', reg(EAX, 2), mem(4, EBX, 8)), 'lea ax, [ebx+8]', 4],
];

describe('assemble: single instructions decode to what the manual says', () => {
  table('16-bit operand forms get the operand-size prefix', SIXTEEN_BIT);
  table('mov (registers, immediates, every addressing form, sizes, cr, sreg)', MOV);
  table('ALU, unary, multiply and divide', ALU_CASES);
  table('shifts by 1, imm8 and cl', SHIFTS);
  table('movzx, movsx, lea', MOVX_LEA);
  table('stack and indirect control', STACK);
  table('system, string, port I/O', SYSTEM);
  table('setcc and cmovcc for all 16 conditions', CONDITIONAL);
});

describe('assemble: symbols, labels and relocations', () => {
  it('an absolute [sym+disp] resolves through externals and is a relocation', () => {
    const ext = new Map([['table', 0x00345600]]);
    const asm = assemble([I('mov', reg(EAX), memSym(4, 'table', 8)), I('mov', memSym(4, 'table', -4), reg(ECX))], ORIGIN, ext);
    expect(disassemble(asm.code, ORIGIN).map((d) => d.text)).toEqual([
      'mov eax, dword [0x345608]',
      'mov dword [0x3455fc], ecx',
    ]);
    // both use the 32-bit displacement form (opcode + ModRM + disp32)
    expect(asm.spans.map((s) => s.length)).toEqual([6, 6]);
    expect(asm.relocs).toEqual([2, 8]);
  });

  it('a symbol with a base and index register keeps a 32-bit displacement', () => {
    const ext = new Map([['vec', 0x10]]);
    // with a symbol the displacement is unknown at encoding time, so even a small one is disp32
    const asm = assemble([I('jmp', mem(4, undefined, 0, EAX, 4, 'vec')), I('mov', reg(EDX), mem(4, EBX, 4, ESI, 2, 'vec'))], ORIGIN, ext);
    expect(disassemble(asm.code, ORIGIN).map((d) => d.text)).toEqual([
      'jmp dword [eax*4+0x10]',
      'mov edx, dword [ebx+esi*2+0x14]',
    ]);
    expect(asm.spans[1].length).toBe(7);
    expect(asm.relocs).toEqual([3, 7 + 3]);
  });

  it('labels become absolute addresses in immediates, displacements and dd', () => {
    const insns: Insn[] = [
      I('mov', reg(EAX), imm(0, 'data')),  // 5 bytes at +0, imm field at +1
      I('push', imm(4, 'data')),           // 5 bytes at +5, imm field at +6
      I('add', reg(ECX), imm(0, 'data')),  // 6 bytes at +10 (81 /0 id), imm field at +12
      I('mov', reg(EDX), memSym(4, 'data')), // 6 bytes at +16, disp at +18
      I('ret'),                            // +22
      { op: 'align', ops: [imm(4)] },      // +23 -> +24
      L('data'),
      { op: 'dd', ops: [imm(0x11223344), imm(0, 'data'), imm(-8, 'ext')] },
    ];
    const ext = new Map([['ext', 0x9000]]);
    const asm = assemble(insns, ORIGIN, ext);
    const data = ORIGIN + 24;
    expect(asm.labels.get('data')).toBe(data);
    const h = (n: number) => '0x' + n.toString(16);
    expect(disassemble(asm.code.subarray(0, 23), ORIGIN).map((d) => d.text)).toEqual([
      `mov eax, ${h(data)}`, `push ${h(data + 4)}`, `add ecx, ${h(data)}`, `mov edx, dword [${h(data)}]`, 'ret',
    ]);
    expect(asm.code[23]).toBe(0xcc); // alignment padding in code is int3
    const dv = new DataView(asm.code.buffer, asm.code.byteOffset + 24);
    expect(dv.getUint32(0, true)).toBe(0x11223344);
    expect(dv.getUint32(4, true)).toBe(data);
    expect(dv.getUint32(8, true)).toBe(0x9000 - 8);
    expect(asm.relocs.sort((a, b) => a - b)).toEqual([1, 6, 12, 18, 28, 32]);
    expect(asm.code.length).toBe(36);
  });

  it('call to a label or an external is rel32 and not a relocation', () => {
    const ext = new Map([['far_away', ORIGIN + 0x100000]]);
    const asm = assemble([{ op: 'call', target: 'f' }, { op: 'call', target: 'far_away' }, L('f'), I('ret')], ORIGIN, ext);
    const d = disassemble(asm.code, ORIGIN);
    expect(d.map((x) => [x.length, x.target])).toEqual([[5, ORIGIN + 10], [5, ORIGIN + 0x100000], [1, undefined]]);
    expect(d[0].text).toBe(`call 0x${(ORIGIN + 10).toString(16)}`);
    expect(asm.relocs).toEqual([]);
  });

  it('jmp and jcc to an external are always rel32', () => {
    const ext = new Map([['x', ORIGIN + 4]]); // would even be in rel8 reach
    const asm = assemble([{ op: 'jmp', target: 'x' }, { op: 'jcc', cc: 'ne', target: 'x' }], ORIGIN, ext);
    const d = disassemble(asm.code, ORIGIN);
    expect(d.map((x) => [x.text, x.length])).toEqual([[`jmp 0x${(ORIGIN + 4).toString(16)}`, 5], [`jne 0x${(ORIGIN + 4).toString(16)}`, 6]]);
    expect(asm.relocs).toEqual([]);
  });

  it('label addresses include the origin; spans cover every insn', () => {
    const insns: Insn[] = [L('a'), I('nop'), L('b'), db(3), L('c'), { op: 'align', ops: [imm(8)] }, L('d'), I('ret')];
    const asm = assemble(insns, 0x1000);
    expect(Object.fromEntries(asm.labels)).toEqual({ a: 0x1000, b: 0x1001, c: 0x1004, d: 0x1008 });
    expect(asm.spans).toEqual([
      { offset: 0, length: 0 }, { offset: 0, length: 1 }, { offset: 1, length: 0 }, { offset: 1, length: 3 },
      { offset: 4, length: 0 }, { offset: 4, length: 4 }, { offset: 8, length: 0 }, { offset: 8, length: 1 },
    ]);
    expect(asm.origin).toBe(0x1000);
  });

  it('align pads to the absolute address, not the offset', () => {
    // origin 0x1004 is 4 past an 8-aligned address: one nop, then 3 bytes to 0x1008
    const asm = assemble([I('nop'), { op: 'align', ops: [imm(8)] }, L('x'), I('ret')], 0x1004);
    expect(asm.labels.get('x')).toBe(0x1008);
    expect(Array.from(asm.code)).toEqual([0x90, 0xcc, 0xcc, 0xcc, 0xc3]);
    // already aligned: no padding
    const asm2 = assemble([{ op: 'align', ops: [imm(16)] }, I('ret')], 0x2000);
    expect(asm2.code.length).toBe(1);
  });

  it('db and dd lay out bytes little-endian', () => {
    const asm = assemble([{ op: 'db', bytes: new Uint8Array([1, 2, 3]) }, { op: 'dd', ops: [imm(0xdeadbeef), imm(-2)] }], 0);
    expect(Array.from(asm.code)).toEqual([1, 2, 3, 0xef, 0xbe, 0xad, 0xde, 0xfe, 0xff, 0xff, 0xff]);
    expect(asm.relocs).toEqual([]);
  });
});

describe('assemble: branch relaxation', () => {
  const jumpOver = (op: 'jmp' | 'jcc', n: number): Insn[] => [
    op === 'jmp' ? { op: 'jmp', target: 'L' } : { op: 'jcc', cc: 'ge', target: 'L' }, db(n), L('L'), I('ret'),
  ];

  it.each([
    ['jmp', 0, 2], ['jmp', 100, 2], ['jmp', 127, 2], ['jmp', 128, 5], ['jmp', 1000, 5],
    ['jcc', 100, 2], ['jcc', 127, 2], ['jcc', 128, 6], ['jcc', 70000, 6],
  ] as const)('forward %s over %i bytes is %i bytes long and lands on the label', (op, n, len) => {
    const asm = assemble(jumpOver(op, n), ORIGIN);
    const first = disassemble(asm.code.subarray(0, len), ORIGIN);
    expect(first).toHaveLength(1);
    expect(first[0].length).toBe(len);
    expect(first[0].target).toBe(asm.labels.get('L'));
    expect(first[0].target).toBe(ORIGIN + len + n);
    expect(first[0].text).toBe(`${op === 'jmp' ? 'jmp' : 'jge'} 0x${(ORIGIN + len + n).toString(16)}`);
  });

  it.each([
    ['jmp', 126, 2], ['jmp', 127, 5], ['jcc', 126, 2], ['jcc', 127, 6],
  ] as const)('backward %s over %i bytes is %i bytes long', (op, n, len) => {
    const j: Insn = op === 'jmp' ? { op: 'jmp', target: 'top' } : { op: 'jcc', cc: 'b', target: 'top' };
    const asm = assemble([L('top'), db(n), j], ORIGIN);
    const d = disassemble(asm.code.subarray(n), ORIGIN + n);
    expect(d).toHaveLength(1);
    expect(d[0].length).toBe(len);
    expect(d[0].target).toBe(ORIGIN);
  });

  it('a jump that grows pushes another out of rel8 reach (relaxation iterates)', () => {
    // j1 -> A is in reach only while j2 is short; j2 -> B is far, so it grows by 3.
    const insns: Insn[] = [
      { op: 'jmp', target: 'A' }, { op: 'jcc', cc: 'e', target: 'B' }, db(123), L('A'), db(200), L('B'), I('ret'),
    ];
    const asm = assemble(insns, ORIGIN);
    const d = disassemble(asm.code.subarray(0, 11), ORIGIN);
    expect(d.map((x) => x.length)).toEqual([5, 6]);
    expect(d[0].target).toBe(asm.labels.get('A'));
    expect(d[1].target).toBe(asm.labels.get('B'));
    expect(asm.labels.get('A')).toBe(ORIGIN + 5 + 6 + 123);
  });

  it('a loop of short jumps in both directions', () => {
    const insns: Insn[] = [
      L('top'), I('dec', reg(ECX)), { op: 'jcc', cc: 'e', target: 'out' }, I('inc', reg(EAX)),
      { op: 'jmp', target: 'top' }, L('out'), I('ret'),
    ];
    const asm = assemble(insns, 0x7c00);
    const d = disassemble(asm.code, 0x7c00);
    expect(d.map((x) => x.text)).toEqual(['dec ecx', 'je 0x7c06', 'inc eax', 'jmp 0x7c00', 'ret']);
    expect(asm.code.length).toBe(7);
  });

  it.each(COND_NAMES)('jcc %s encodes its condition (short and near)', (cc, n) => {
    const short = assemble([{ op: 'jcc', cc, target: 'x' }, L('x')], ORIGIN);
    expect(disassemble(short.code, ORIGIN).map((x) => x.text)).toEqual([`j${n} 0x${(ORIGIN + 2).toString(16)}`]);
    const near = assemble([{ op: 'jcc', cc, target: 'x' }, db(200), L('x')], ORIGIN);
    const d = disassemble(near.code.subarray(0, 6), ORIGIN);
    expect(d.map((x) => x.text)).toEqual([`j${n} 0x${(ORIGIN + 206).toString(16)}`]);
  });
});

describe('assemble: errors', () => {
  it('an undefined jump target names the label', () => {
    expect(() => assemble([{ op: 'jmp', target: 'nowhere_label' }], 0)).toThrow(/nowhere_label/);
    expect(() => assemble([{ op: 'jcc', cc: 'e', target: 'missing_cc' }], 0)).toThrow(/undefined.*missing_cc/);
    expect(() => assemble([{ op: 'call', target: 'missing_fn' }], 0)).toThrow(/undefined.*missing_fn/);
  });

  it('an undefined symbol in an operand names the symbol', () => {
    expect(() => assemble([I('mov', reg(EAX), memSym(4, 'no_such_var'))], 0)).toThrow(/undefined.*no_such_var/);
    expect(() => assemble([{ op: 'dd', ops: [imm(0, 'no_such_dd')] }], 0)).toThrow(/no_such_dd/);
  });

  it('a duplicate label is an error', () => {
    expect(() => assemble([L('twice'), I('nop'), L('twice')], 0)).toThrow(/duplicate label twice/);
  });

  it('unknown mnemonics and unencodable operands name the instruction', () => {
    expect(() => assemble([I('nop'), I('frobnicate' as Mnemonic, reg(EAX))], 0)).toThrow(/instruction 1: .*frobnicate/);
    expect(() => assemble([I('mov', reg(EAX), mem(4, EBX, 0, ESP, 2))], 0)).toThrow(/esp cannot be an index/);
    expect(() => assemble([I('movzx', reg(EAX), reg(ECX))], 0)).toThrow(/movzx/);
    expect(() => assemble([I('mov', imm(1), reg(EAX))], 0)).toThrow(/instruction 0/);
    expect(() => assemble([I('shl', reg(EAX), reg(EDX))], 0)).toThrow(/shift count/);
    expect(() => assemble([I('pop', sreg(CS))], 0)).toThrow(/pop/);
    expect(() => assemble([I('in', r8(EBX), imm(0x60))], 0)).toThrow(/in/);
  });

  it('immediates that do not fit their field are errors, not truncated', () => {
    expect(() => assemble([I('in', r8(EAX), imm(0x3F8))], 0)).toThrow(/port 1016 needs dx/);
    expect(() => assemble([I('out', imm(0x3F8), r8(EAX))], 0)).toThrow(/port 1016 needs dx/);
    expect(() => assemble([I('mov', r8(EAX), imm(0x1FF))], 0)).toThrow(/does not fit in 8 bits/);
    expect(() => assemble([I('add', r8(EAX), imm(0x100))], 0)).toThrow(/does not fit in 8 bits/);
    expect(() => assemble([I('mov', reg(EAX, 2), imm(0x10000))], 0)).toThrow(/does not fit in 16 bits/);
    expect(() => assemble([I('int', imm(0x180))], 0)).toThrow(/does not fit in 8 bits/);
    expect(() => assemble([I('ret', imm(0x10000))], 0)).toThrow(/does not fit in 16 bits/);
    expect(() => assemble([I('movzx', r8(EAX), r8(ECX))], 0)).toThrow(/wider than its source/);
    expect(() => assemble([I('push', r8(EAX))], 0)).toThrow(/8-bit/);
    // The edges still encode.
    expect(assemble([I('mov', r8(EAX), imm(-128)), I('mov', r8(EAX), imm(255)), I('int', imm(255)), I('ret', imm(0xFFFF))], 0).code.length).toBe(2 + 2 + 2 + 3);
  });
});

describe('formatInsn', () => {
  it('prints the examples of the IR documentation', () => {
    expect(formatInsn(I('add', reg(EAX), imm(4)))).toBe('add eax, 4');
    expect(formatInsn({ op: 'jcc', cc: 'l', target: 'L12' })).toBe('jl L12');
    expect(formatInsn(L('f3'))).toBe('f3:');
  });

  it('names registers of each size, segment and control registers', () => {
    expect(formatInsn(I('mov', r8(4), r16(EDI)))).toBe('mov ah, di');
    expect(formatInsn(I('mov', sreg(GS), r16(EAX)))).toBe('mov gs, ax');
    expect(formatInsn(I('mov', cr(3), reg(EBP)))).toBe('mov cr3, ebp');
    expect(formatInsn({ op: 'setcc', cc: 'ae', ops: [r8(ECX)] })).toBe('setae cl');
    expect(formatInsn({ op: 'cmovcc', cc: 'ne', ops: [reg(EAX), reg(EDX)] })).toBe('cmovne eax, edx');
  });

  it('prints symbols with their addend', () => {
    expect(formatInsn(I('mov', reg(EAX), imm(0, 'tbl')))).toMatch(/^mov eax, tbl$/);
    expect(formatInsn(I('mov', reg(EAX), imm(8, 'tbl')))).toMatch(/^mov eax, tbl\+(8|0x8)$/);
    expect(formatInsn(I('mov', reg(EAX), imm(-8, 'tbl')))).toMatch(/^mov eax, tbl-(8|0x8)$/);
    expect(formatInsn(I('mov', reg(EAX), memSym(4, 'var', 4)))).toMatch(/^mov eax, dword \[var\+(4|0x4)\]$/);
  });

  // formatInsn is Intel syntax like NASM: for instructions without symbols it
  // should say what the decoder says about the bytes, up to number spelling.
  // The decoder's spellings that differ only in form: pusha is pushad in
  // 32-bit code, `imul r, r, imm` is printed `imul r, imm`, scale 1 is implicit.
  const ALIAS: Record<string, string> = { pushad: 'pusha', popad: 'popa', pushfd: 'pushf', popfd: 'popf', iretd: 'iret' };
  const normalize = (s: string) =>
    s.replace(/0x[0-9a-f]+|\b\d+\b/g, (n) => String(Number(n)))
      .replace(/^\w+/, (m) => ALIAS[m] ?? m)
      .replace(/^imul (\w+), \1, /, 'imul $1, ')
      .replace(/\*1(?!\d)/g, '');
  const comparable = [...MOV, ...ALU_CASES, ...SHIFTS, ...MOVX_LEA.filter(([i]) => i.op !== 'lea'), ...STACK, ...CONDITIONAL]
    .filter(([i]) => i.op !== 'xchg') // the decoder puts the register first; xchg is symmetric
    .filter(([i]) => !(i.ops ?? []).some((o) => o.k === 'sr' || (o.k === 'i' && o.v < 0)))
    .filter(([i]) => !(i.op === 'imul' && i.ops?.length === 2 && i.ops[1].k === 'i'));
  it.each(comparable.map(([insn, text]) => ({ insn, text })))('agrees with the decoder: $text', ({ insn, text }) => {
    expect(normalize(formatInsn(insn))).toBe(normalize(text));
  });
});
