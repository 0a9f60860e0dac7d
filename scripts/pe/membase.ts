// Which numbers in a translated program are addresses of its linear memory.
//
// A WebAssembly address is a virtual address (DESIGN.md section 2): the
// AssemblyScript compiler folds `--memoryBase` into every pointer it knows
// at compile time, as plain i32 constants in the code and as plain dwords in
// the data segments (a static array's buffer pointer, a closure's function
// object). A relocatable image must list each of them, but a constant does
// not say whether it is a pointer or a number.
//
// So the linker compiles the program twice, at memory bases that differ by
// PARTNER_DELTA (a multiple of 64 KiB, so layouts and alignments stay the
// same), and compares:
// - the two instruction lists from the translator must be the same but for
//   32-bit immediates and displacements that differ by exactly the delta:
//   those are addresses, and become `memoryBase symbol + offset` operands,
//   which the assembler encodes the same way and reports as relocations;
// - the two data segment images must be the same but for dwords that differ
//   by exactly the delta: those are pointers, listed as relocation offsets.
// Anything else that differs (an address shifted, masked or added to another
// address) cannot be relocated by adding the load delta: an error names it.

import { formatInsn } from '../wasm2x86/emit.ts';
import type { Insn, Operand } from '../wasm2x86/x86.ts';
import type { Module } from '../wasm2x86/wasm.ts';

/** How far the partner compilation's memory base is from the real one (16 pages). */
export const PARTNER_DELTA = 0x100000;

const hex = (v: number) => '0x' + (v >>> 0).toString(16);

/**
 * `a` (compiled at memory base `base`) with every operand that holds an
 * address of the linear memory rewritten as `sym + (value - base)`, found by
 * comparing it with `b` (compiled at base + PARTNER_DELTA). Throws, naming
 * the instruction and the function label before it, where the two differ
 * in any other way.
 */
export function symbolizeMemoryAddresses(a: Insn[], b: Insn[], base: number, sym: string, where: string, functionOf: (label: string) => string | undefined = () => undefined): Insn[] {
  if (a.length !== b.length) throw new Error(`${where}: the code differs in length between memory bases ${hex(base)} and ${hex(base + PARTNER_DELTA)} (${a.length} vs ${b.length} instructions)`);
  let label = '(start)';
  const out: Insn[] = new Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i], y = b[i];
    // Local labels (`f12$L3`) stay inside the routine the last plain label began.
    if (x.op === 'label' && !x.target!.includes('$')) label = functionOf(x.target!) ?? x.target!;
    const fail = (why: string): never => {
      throw new Error(`${where}: ${label}: instruction ${i} (${formatInsn(x)} vs ${formatInsn(y)}): ${why}`);
    };
    if (x.op !== y.op || x.cc !== y.cc || x.target !== y.target || (x.ops?.length ?? 0) !== (y.ops?.length ?? 0)) fail('not the same instruction at both memory bases');
    if (x.bytes || y.bytes) {
      if (!x.bytes || !y.bytes || x.bytes.length !== y.bytes.length || x.bytes.some((v, k) => v !== y.bytes![k])) fail('data bytes differ between memory bases');
    }
    if (!x.ops) { out[i] = x; continue; }
    let changed = false;
    const ops = x.ops.map((o, k): Operand => {
      const p = y.ops![k];
      if (o.k !== p.k) fail(`operand ${k} has another kind`);
      if (o.k === 'i' && p.k === 'i') {
        if (o.sym !== p.sym) fail(`operand ${k} names another symbol`);
        if ((o.v | 0) === (p.v | 0)) return o;
        if (((p.v - o.v) | 0) !== PARTNER_DELTA || o.sym !== undefined) fail(`immediate ${k} moves by ${hex(p.v - o.v)}, not by the memory base's ${hex(PARTNER_DELTA)}: not relocatable`);
        changed = true;
        return { k: 'i', v: (o.v - base) | 0, sym };
      }
      if (o.k === 'm' && p.k === 'm') {
        if (o.sym !== p.sym || o.base !== p.base || o.index !== p.index || o.scale !== p.scale || o.seg !== p.seg || o.s !== p.s) fail(`memory operand ${k} differs in form`);
        if ((o.disp | 0) === (p.disp | 0)) return o;
        if (((p.disp - o.disp) | 0) !== PARTNER_DELTA || o.sym !== undefined) fail(`displacement of operand ${k} moves by ${hex(p.disp - o.disp)}, not by the memory base's ${hex(PARTNER_DELTA)}: not relocatable`);
        changed = true;
        return { ...o, disp: (o.disp - base) | 0, sym };
      }
      if (JSON.stringify(o) !== JSON.stringify(p)) fail(`operand ${k} differs`);
      return o;
    });
    out[i] = changed ? { ...x, ops } : x;
  }
  return out;
}

export interface MemoryImage {
  /** The initialized bytes from the memory base to the end of the last active data segment. */
  bytes: Uint8Array;
  /** Offsets (from the memory base) of the dwords that hold addresses of the linear memory. */
  pointers: number[];
}

/** Active segments' offsets and bytes; offsets must be constants at or above `base`. */
function segments(mod: Module, base: number, where: string): { at: number; bytes: Uint8Array }[] {
  const out: { at: number; bytes: Uint8Array }[] = [];
  mod.datas.forEach((d, k) => {
    if (d.mode !== 'active') throw new Error(`${where}: data segment ${k} is passive (memory.init is not supported)`);
    const c = d.offset?.[0];
    if (d.offset?.length !== 1 || c?.name !== 'i32.const') throw new Error(`${where}: data segment ${k}: its offset is not an i32.const`);
    const at = (c.i32! >>> 0) - base;
    if (at < 0) throw new Error(`${where}: data segment ${k} at ${hex(c.i32!)} is below the memory base ${hex(base)}`);
    out.push({ at, bytes: d.bytes });
  });
  return out;
}

/**
 * The linear memory's initial image at memory base `base` (module `a`) and
 * the pointers in it, found by comparing with module `b` compiled at
 * base + PARTNER_DELTA.
 */
export function memoryImage(a: Module, b: Module, base: number, where: string): MemoryImage {
  const sa = segments(a, base, where), sb = segments(b, base + PARTNER_DELTA, where);
  if (sa.length !== sb.length || sa.some((s, k) => s.at !== sb[k].at || s.bytes.length !== sb[k].bytes.length)) {
    throw new Error(`${where}: the data segments are laid out differently at memory bases ${hex(base)} and ${hex(base + PARTNER_DELTA)}`);
  }
  let size = sa.reduce((end, s) => Math.max(end, s.at + s.bytes.length), 0);
  // A segment's trailing zero bytes are not in it (the compiler drops them), so a pointer at
  // the very end may have its high byte past the last segment: three zero bytes of room.
  const end = size;
  const bytes = new Uint8Array(size + 3), partner = new Uint8Array(size + 3);
  for (const s of sa) bytes.set(s.bytes, s.at);
  for (const s of sb) partner.set(s.bytes, s.at);
  const dword = (m: Uint8Array, i: number) => (m[i] | (m[i + 1] << 8) | (m[i + 2] << 16) | (m[i + 3] << 24)) >>> 0;
  const pointers: number[] = [];
  // The delta's low 16 bits are zero and its third byte is not: a pointer's
  // first differing byte is always its third, so the dword starts two before.
  for (let i = 0; i < end; i++) {
    if (bytes[i] === partner[i]) continue;
    const at = i - 2;
    if (at < 0 || ((dword(partner, at) - dword(bytes, at)) | 0) !== PARTNER_DELTA) {
      throw new Error(`${where}: the data at memory base + ${hex(i)} (address ${hex(base + i)}) differs between memory bases, but not as a 32-bit pointer`);
    }
    pointers.push(at);
    size = Math.max(size, at + 4);
    i = at + 3;
  }
  return { bytes: bytes.subarray(0, size), pointers };
}
