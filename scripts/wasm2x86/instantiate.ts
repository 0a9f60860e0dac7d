// Pass 4b, instantiate: what makes a fresh instance of the module, as code and
// data beside the functions.
//
//   __instantiate   sets the memory size (memoryGrowHook / memoryEnd), zero-fills
//                   the initial memory where asked, copies the active data
//                   segments (bounds-checked: a segment past the memory traps
//                   OUT_OF_BOUNDS), evaluates every global's (extended)
//                   constant expression, and calls the start function
//   __mem_pages     the current memory size in 64 KiB pages
//   g<i>            one 8-byte cell per global (reference globals: an address)
//   __table<i>      8 bytes per entry: function address, canonical signature id
//                   (-1 and address 0 for a null entry), from the active
//                   element segments
//   __data_runs     the active segments as one stream of (gap, length) entries
//   __data_blob     over one blob of their bytes (constant offsets in order; else
//   __data<k>       each active segment's bytes), unless the loader preloads them

import { UnsupportedError, TranslateError, TRAP, type CompileOptions } from './api.ts';
import { EAX, ECX, EDX, ESI, EDI, EBX, ESP, reg, imm, mem, memSym, type Insn, type Mnemonic, type Operand } from './x86.ts';
import type { Module, ConstExpr, Import } from './wasm.ts';

export interface InstanceInput {
  mod: Module;
  opts: CompileOptions;
  /** Module name for errors. */
  name: string;
  prefix: string;
  funcLabel(index: number): string;
  globalLabel(index: number): string;
  globalWide(index: number): boolean;
  /** Resolved targets of function imports (undefined: an intrinsic). */
  importTargets: Array<string | undefined>;
  funcImports: Import[];
  /** Number of imported globals (the module's own come after them). */
  globalImports: number;
  tables: Array<{ label: string; size: number }>;
  sigId(typeIndex: number): number;
  memPagesLabel: string;
  trapHandler: string;
}

export interface Instance {
  /** Label of the instantiate routine. */
  label: string;
  /** The instantiate routine. */
  code: Insn[];
  /** The memory size cell, global cells, tables and segment images. */
  data: Insn[];
  memory?: { min: number; max?: number };
  /** The most pages memory.grow may reach. */
  maxPages: number;
}

const I = (op: Mnemonic, ...ops: Operand[]): Insn => ({ op, ops });

export function buildInstance(inp: InstanceInput): Instance {
  const { mod, opts, name, prefix, funcLabel, globalLabel, importTargets, funcImports, tables, sigId, memPagesLabel, trapHandler } = inp;
  const memory = mod.memories[0];
  const maxPages = Math.min(memory?.max ?? 65536, opts.maxMemoryPages ?? 65536, 65535);

  // The instantiate routine.
  const inst = `${prefix}__instantiate`;
  const trapStub = `${inst}$oob`;
  const ins: Insn[] = [{ op: 'align', ops: [imm(16)] }, { op: 'label', target: inst },
    I('push', reg(EBX)), I('push', reg(ESI)), I('push', reg(EDI))];
  const constValue = (e: ConstExpr): { imm?: number; global?: number } => {
    if (e.length !== 1) throw new UnsupportedError('extended-const', 'constant expression with several instructions');
    const x = e[0];
    if (x.name === 'i32.const') return { imm: x.i32! | 0 };
    if (x.name === 'global.get') return { global: x.index! };
    throw new UnsupportedError('const-expr', x.name);
  };
  let zeroFilled = false;
  if (memory) {
    if (opts.memoryGrowHook) ins.push(I('push', imm(memory.min)), I('push', memSym(4, memPagesLabel)), { op: 'call', target: opts.memoryGrowHook });
    if (opts.memoryEnd) ins.push(I('mov', reg(EAX), imm(0, opts.memoryEnd.initialEnd)), I('shr', reg(EAX), imm(16)), I('mov', memSym(4, memPagesLabel), reg(EAX)));
    else ins.push(I('mov', memSym(4, memPagesLabel), imm(memory.min)));
    const activeData = mod.datas.filter((d) => d.mode === 'active');
    let zeroFrom: number | undefined;
    if (opts.preloadedData) zeroFrom = undefined;
    else if (opts.zeroMemory) zeroFrom = 0;
    else {
      const offs = activeData.map((d) => constValue(d.offset!)).filter((c) => c.imm !== undefined).map((c) => c.imm! >>> 0);
      // Static data without a segment (zero-initialized) may sit anywhere in the segments' 64 KiB pages.
      if (offs.length) zeroFrom = Math.floor(Math.min(...offs) / 65536) * 65536;
    }
    const end = memory.min * 65536;
    zeroFilled = zeroFrom !== undefined && end > zeroFrom;
    if (zeroFrom !== undefined && end > zeroFrom) {
      ins.push(I('mov', reg(EDI), imm(zeroFrom)), I('mov', reg(ECX), imm(Math.floor((end - zeroFrom) / 4))), I('mov', reg(EAX), imm(0)), I('cld'), I('rep_stosd'));
    }
  }
  const dataBlobs: Insn[] = [];
  const packed = memory && !opts.preloadedData && !opts.memoryEnd ? packSegments(mod, memory.min) : undefined;
  if (packed) {
    // One table of pieces over one blob: per piece the gap from the previous piece's
    // end (the first piece's start for the first) and the length, in one of three
    // forms (most pieces are AssemblyScript's object headers and small objects: a
    // 1-byte block size, 11 bytes of zeros, then the id, size and a few bytes):
    //   0x00-0xEF  gap << 4 | (length - 1): gap up to 14, a raw piece of 1-16 bytes
    //   0xF0 g l   gap g (byte), length l (byte; bit 7: narrow, the length up to 127)
    //   0xF1 gg ll gap and length as 16-bit words (bit 15 of the length: narrow)
    // A narrow piece is 16-bit units whose high bytes are zero (AssemblyScript's
    // UTF-16 strings and their headers), kept in the blob as their low bytes only and
    // widened on the way; its length counts units. Larger gaps and lengths are split.
    const table = `${prefix}__data_runs`, blob = `${prefix}__data_blob`, loop = `${inst}$runs`;
    const stream: number[] = [];
    let entries = 0;
    const entry = (gap: number, len: number, narrow: boolean) => {
      entries++;
      if (!narrow && gap <= 14 && len >= 1 && len <= 16) stream.push(gap << 4 | (len - 1));
      else if (gap <= 0xFF && len <= 0x7F) stream.push(0xF0, gap, len | (narrow ? 0x80 : 0));
      else stream.push(0xF1, gap & 0xFF, gap >> 8, len & 0xFF, (len >> 8) | (narrow ? 0x80 : 0));
    };
    const blobParts: Uint8Array[] = [];
    let at = packed.runs[0].offset;
    const piece = (offset: number, bytes: Uint8Array, narrow: boolean) => {
      let gap = offset - at;
      while (gap > 0xFFFF) { entry(0xFFFF, 0, false); gap -= 0xFFFF; }
      const unit = narrow ? 2 : 1;
      for (let k = 0; k < bytes.length || k === 0; k += 0x7FFF * unit) {
        const part = bytes.subarray(k, Math.min(bytes.length, k + 0x7FFF * unit));
        entry(k === 0 ? gap : 0, part.length / unit, narrow);
        blobParts.push(narrow ? part.filter((_, j) => j % 2 === 0) : part);
      }
      at = offset + bytes.length;
    };
    for (const r of packed.runs) {
      for (const p of narrowPieces(r.offset, r.bytes)) piece(r.offset + p.start, r.bytes.subarray(p.start, p.end), p.narrow);
    }
    const narrowLoop = `${inst}$narrow`, next = `${inst}$next`, copy = `${inst}$copy`, wide = `${inst}$wide`, long = `${inst}$long`;
    const blobBytes = new Uint8Array(blobParts.reduce((n, b) => n + b.length, 0));
    blobParts.reduce((at, b) => { blobBytes.set(b, at); return at + b.length; }, 0);
    // Compressed: the stream and the blob unpacked side by side past the last segment
    // (zero-filled memory, zeroed again after), read from there.
    const last = packed.runs[packed.runs.length - 1];
    const scratch = (last.offset + last.bytes.length + 3) & ~3;
    const raw = new Uint8Array(stream.length + blobBytes.length);
    raw.set(stream); raw.set(blobBytes, stream.length);
    const packedLz = opts.compressData && scratch + raw.length <= memory!.min * 65536 && zeroFilled ? lzss(raw) : undefined;
    if (packedLz) {
      ins.push(...unlzss(`${inst}$lz`, `${prefix}__data_lz`, scratch | 0, raw.length),
        I('mov', reg(ESI), imm((scratch + stream.length) | 0)), I('mov', reg(EBX), imm(scratch | 0)));
    } else ins.push(I('mov', reg(ESI), imm(0, blob)), I('mov', reg(EBX), imm(0, table)));
    ins.push(I('mov', reg(EDI), imm(packed.runs[0].offset | 0)),
      I('mov', reg(EDX), imm(entries)), I('cld'),
      { op: 'label', target: loop },
      I('movzx', reg(EAX), mem(1, EBX, 0)), I('inc', reg(EBX)),
      I('cmp', reg(EAX), imm(0xF0)), { op: 'jcc', cc: 'ae', target: wide },
      I('mov', reg(ECX), reg(EAX)), I('and', reg(ECX), imm(15)), I('inc', reg(ECX)), I('shr', reg(EAX), imm(4)),
      // eax: the gap; ecx: the length, bit 15 for a narrow piece.
      { op: 'label', target: copy },
      I('add', reg(EDI), reg(EAX)),
      I('test', reg(ECX), imm(0x8000)), { op: 'jcc', cc: 'ne', target: narrowLoop + '0' },
      I('rep_movsb'),
      { op: 'label', target: next },
      I('dec', reg(EDX)), { op: 'jcc', cc: 'ne', target: loop },
      { op: 'jmp', target: `${inst}$data_done` },
      { op: 'label', target: wide },
      { op: 'jcc', cc: 'ne', target: long },
      I('movzx', reg(EAX), mem(1, EBX, 0)), I('movzx', reg(ECX), mem(1, EBX, 1)), I('add', reg(EBX), imm(2)),
      I('test', reg(ECX), imm(0x80)), { op: 'jcc', cc: 'e', target: copy },
      I('xor', reg(ECX), imm(0x8080)), { op: 'jmp', target: copy },
      { op: 'label', target: long },
      I('movzx', reg(EAX), mem(2, EBX, 0)), I('movzx', reg(ECX), mem(2, EBX, 2)), I('add', reg(EBX), imm(4)),
      { op: 'jmp', target: copy },
      // A narrow piece (at least one unit): lodsb, stosw with ah = 0.
      { op: 'label', target: narrowLoop + '0' },
      I('and', reg(ECX), imm(0x7FFF)), I('mov', reg(EAX), imm(0)),
      { op: 'label', target: narrowLoop },
      { op: 'db', bytes: new Uint8Array([0xAC, 0x66, 0xAB]) }, // lodsb; stosw
      I('dec', reg(ECX)), { op: 'jcc', cc: 'ne', target: narrowLoop },
      { op: 'jmp', target: next },
      { op: 'label', target: `${inst}$data_done` });
    if (packedLz) {
      ins.push(I('mov', reg(EDI), imm(scratch | 0)), I('mov', reg(ECX), imm(raw.length)), I('mov', reg(EAX), imm(0)), I('rep_stosb'));
      dataBlobs.push({ op: 'label', target: `${prefix}__data_lz` }, { op: 'db', bytes: packedLz });
    } else {
      dataBlobs.push({ op: 'label', target: table }, { op: 'db', bytes: new Uint8Array(stream) },
        { op: 'label', target: blob }, ...blobParts.map((bytes): Insn => ({ op: 'db', bytes })));
    }
  }
  if (!packed) mod.datas.forEach((d, k) => {
    if (d.mode !== 'active' || d.bytes.length === 0 && !d.offset) return;
    if (!memory) throw new TranslateError('data segment without a memory', name);
    const off = constValue(d.offset!);
    if (opts.preloadedData) {
      if (off.imm === undefined) throw new UnsupportedError('const-expr', `data segment ${k}: offset from a global with preloaded data`);
      return;
    }
    const blob = `${prefix}__data${k}`;
    if (off.imm !== undefined) ins.push(I('mov', reg(EDI), imm(off.imm)));
    else ins.push(I('mov', reg(EDI), memSym(4, globalLabel(off.global!))));
    // Bounds: offset + length must fit the initial memory (else the instantiation traps).
    ins.push(I('mov', reg(EAX), reg(EDI)), I('add', reg(EAX), imm(d.bytes.length)), { op: 'jcc', cc: 'b', target: trapStub });
    if (memory.min < 65536) ins.push(I('cmp', reg(EAX), imm(memory.min * 65536)), { op: 'jcc', cc: 'a', target: trapStub });
    if (d.bytes.length) {
      ins.push(I('mov', reg(ESI), imm(0, blob)), I('mov', reg(ECX), imm(d.bytes.length)), I('cld'), I('rep_movsb'));
      dataBlobs.push({ op: 'label', target: blob }, { op: 'db', bytes: d.bytes });
    }
  });
  /**
   * Code that evaluates an (extended) constant expression, leaving its value on
   * the stack (an i64 as two dwords, low at the lower address). May clobber
   * every register: it runs inside the instantiate routine.
   */
  const constExprCode = (e: ConstExpr): Insn[] => {
    const out: Insn[] = [];
    for (const x of e) {
      switch (x.name) {
        case 'i32.const': case 'f32.const': out.push(I('push', imm(x.i32! | 0))); break;
        case 'i64.const': case 'f64.const': {
          const v = BigInt.asUintN(64, x.i64!);
          out.push(I('push', imm(Number(v >> 32n) | 0)), I('push', imm(Number(v & 0xFFFFFFFFn) | 0)));
          break;
        }
        case 'global.get': {
          const src = globalLabel(x.index!);
          if (inp.globalWide(x.index!)) out.push(I('push', memSym(4, src, 4)));
          out.push(I('push', memSym(4, src)));
          break;
        }
        case 'i32.add': case 'i32.sub': out.push(I('pop', reg(ECX)), I(x.name === 'i32.add' ? 'add' : 'sub', mem(4, ESP, 0), reg(ECX))); break;
        case 'i32.mul': out.push(I('pop', reg(ECX)), I('pop', reg(EAX)), I('imul', reg(EAX), reg(ECX)), I('push', reg(EAX))); break;
        case 'i64.add': case 'i64.sub':
          out.push(I('pop', reg(EAX)), I('pop', reg(EDX)),
            I(x.name === 'i64.add' ? 'add' : 'sub', mem(4, ESP, 0), reg(EAX)), I(x.name === 'i64.add' ? 'adc' : 'sbb', mem(4, ESP, 4), reg(EDX)));
          break;
        case 'i64.mul':
          // (a_hi:a_lo) * (b_hi:b_lo) mod 2^64 = a_lo*b_lo + ((a_lo*b_hi + a_hi*b_lo) << 32)
          out.push(I('pop', reg(EBX)), I('pop', reg(ESI)), I('pop', reg(ECX)), I('pop', reg(EDI)),
            I('imul', reg(ESI), reg(ECX)), I('imul', reg(EDI), reg(EBX)),
            I('mov', reg(EAX), reg(ECX)), I('mul', reg(EBX)), I('add', reg(EDX), reg(ESI)), I('add', reg(EDX), reg(EDI)),
            I('push', reg(EDX)), I('push', reg(EAX)));
          break;
        case 'ref.null': out.push(I('push', imm(0))); break;
        case 'ref.func': out.push(I('push', imm(0, funcLabel(x.index!)))); break;
        default: throw new UnsupportedError('const-expr', x.name);
      }
    }
    return out;
  };
  // Globals. The cells of those that start at 0 (a zero constant) come first, side by
  // side, and one `rep stosd` clears them (a kernel has hundreds: 10 bytes of code each
  // otherwise); the others are set one by one, in module order.
  const globalData: Insn[] = [{ op: 'align', ops: [imm(8)] }];
  const zeroInit = (g: (typeof mod.globals)[number]) => g.init.length === 1 &&
    ((['i32.const', 'f32.const'].includes(g.init[0].name) && (g.init[0].i32! | 0) === 0) ||
     (['i64.const', 'f64.const'].includes(g.init[0].name) && BigInt.asUintN(64, g.init[0].i64!) === 0n) || g.init[0].name === 'ref.null');
  const zeros = mod.globals.map((g, k) => ({ g, k })).filter(({ g }) => zeroInit(g));
  for (const { k } of zeros) globalData.push({ op: 'label', target: globalLabel(inp.globalImports + k) }, { op: 'dd', ops: [imm(0), imm(0)] });
  if (zeros.length) {
    ins.push(I('mov', reg(EDI), imm(0, globalLabel(inp.globalImports + zeros[0].k))), I('mov', reg(ECX), imm(2 * zeros.length)),
      I('xor', reg(EAX), reg(EAX)), I('cld'), I('rep_stosd'));
  }
  mod.globals.forEach((g, k) => {
    if (zeroInit(g)) return;
    const gi = inp.globalImports + k;
    const lbl = globalLabel(gi);
    globalData.push({ op: 'label', target: lbl }, { op: 'dd', ops: [imm(0), imm(0)] });
    const init = g.init[0];
    const wide = g.type.type === 'i64' || g.type.type === 'f64';
    if (g.init.length !== 1) {
      // Extended constant expression: evaluated at instantiation on the x86 stack.
      ins.push(...constExprCode(g.init), I('pop', memSym(4, lbl)));
      if (wide) ins.push(I('pop', memSym(4, lbl, 4)));
      return;
    }
    if (!init) throw new UnsupportedError('const-expr', 'empty global initializer');
    let lo = 0, hi = 0;
    switch (init.name) {
      case 'i32.const': case 'f32.const': lo = init.i32! | 0; break;
      case 'ref.null': break;
      case 'ref.func': {
        const f = init.index!;
        if (f < mod.numImportedFuncs && importTargets[f] === undefined) throw new UnsupportedError('intrinsic-in-table', `kernel.${funcImports[f].name} as a reference`);
        ins.push(I('mov', memSym(4, lbl), imm(0, funcLabel(f))));
        return;
      }
      case 'i64.const': case 'f64.const': { const v = BigInt.asUintN(64, init.i64!); lo = Number(v & 0xFFFFFFFFn) | 0; hi = Number(v >> 32n) | 0; break; }
      case 'global.get': {
        const src = globalLabel(init.index!);
        ins.push(I('mov', reg(EAX), memSym(4, src)), I('mov', memSym(4, lbl), reg(EAX)));
        if (wide) ins.push(I('mov', reg(EAX), memSym(4, src, 4)), I('mov', memSym(4, lbl, 4), reg(EAX)));
        return;
      }
      default: throw new UnsupportedError('const-expr', `global initializer ${init.name}`);
    }
    ins.push(I('mov', memSym(4, lbl), imm(lo)));
    if (wide) ins.push(I('mov', memSym(4, lbl, 4), imm(hi)));
  });
  // Tables: static contents.
  const tableData: Insn[] = [];
  tables.forEach((t, ti) => {
    const entries: Array<{ label: string; sig: number } | null> = new Array(t.size).fill(null);
    for (const el of mod.elems) {
      if (el.mode !== 'active' || el.table !== ti) continue;
      if (el.otherExpr) throw new UnsupportedError('reference-types', `element segment item ${el.otherExpr}`);
      const off = constValue(el.offset!);
      if (off.imm === undefined) throw new UnsupportedError('elem-offset-global', 'element segment offset from a global');
      if ((off.imm >>> 0) + el.funcs.length > t.size) throw new UnsupportedError('elem-out-of-bounds', 'element segment outside the table');
      el.funcs.forEach((f, j) => {
        if (f === null) { entries[off.imm! + j] = null; return; }
        if (f < mod.numImportedFuncs && importTargets[f] === undefined) throw new UnsupportedError('intrinsic-in-table', `kernel.${funcImports[f].name} in a table`);
        entries[off.imm! + j] = { label: funcLabel(f), sig: sigId(mod.funcTypes[f]) };
      });
    }
    tableData.push({ op: 'align', ops: [imm(8)] }, { op: 'label', target: t.label });
    const dd = entries.flatMap((e) => (e ? [imm(0, e.label), imm(e.sig)] : [imm(0), imm(-1)]));
    if (dd.length) tableData.push({ op: 'dd', ops: dd });
  });
  if (mod.start !== undefined) ins.push({ op: 'call', target: funcLabel(mod.start) });
  ins.push(I('pop', reg(EDI)), I('pop', reg(ESI)), I('pop', reg(EBX)), I('ret'));
  ins.push({ op: 'label', target: trapStub }, I('push', imm(0, trapStub)), I('push', imm(TRAP.OUT_OF_BOUNDS)), { op: 'call', target: trapHandler }, { op: 'ud2' });


  const data: Insn[] = [
    { op: 'align', ops: [imm(8)] }, { op: 'label', target: memPagesLabel }, { op: 'dd', ops: [imm(opts.memoryEnd ? 0 : memory?.min ?? 0)] },
    ...globalData, ...tableData, ...dataBlobs,
  ];
  return { label: inst, code: ins, data, memory: memory ? { min: memory.min, max: memory.max } : undefined, maxPages };
}

/**
 * The active data segments as a few runs, when that keeps the instantiation's
 * meaning: every offset a constant, the segments in ascending order without
 * overlap, all inside the initial memory (so none traps), which instantiate
 * has zero-filled. Neighbours less than 9 bytes apart share a run (the gap's
 * zeros cost less than a table entry); a longer gap (zero-initialized static
 * data) is not in the image at all. Undefined when a condition does not hold.
 */
/**
 * A run split into raw and narrow pieces: a narrow piece starts at an even address and
 * is at least 4 16-bit units whose high bytes are all zero (worth its entry of 1-5 bytes
 * and the one it may cost the raw bytes after it: 4 came out smallest for the kernel).
 */
export function narrowPieces(offset: number, bytes: Uint8Array): Array<{ start: number; end: number; narrow: boolean }> {
  const MIN_UNITS = 4;
  const out: Array<{ start: number; end: number; narrow: boolean }> = [];
  let rawStart = 0;
  let k = (offset & 1) ? 1 : 0;
  while (k + 1 < bytes.length) {
    if (bytes[k + 1] !== 0) { k += 2; continue; }
    let e = k;
    while (e + 1 < bytes.length && bytes[e + 1] === 0) e += 2;
    if ((e - k) / 2 >= MIN_UNITS) {
      if (k > rawStart) out.push({ start: rawStart, end: k, narrow: false });
      out.push({ start: k, end: e, narrow: true });
      rawStart = e;
    }
    k = e + 2;
  }
  if (rawStart < bytes.length || out.length === 0) out.push({ start: rawStart, end: bytes.length, narrow: false });
  return out;
}

function packSegments(mod: Module, minPages: number): { runs: Array<{ offset: number; bytes: Uint8Array }> } | undefined {
  const segs: Array<{ offset: number; bytes: Uint8Array }> = [];
  for (const d of mod.datas) {
    if (d.mode !== 'active') continue;
    const e = d.offset!;
    if (e.length !== 1 || e[0].name !== 'i32.const') return undefined;
    if (d.bytes.length === 0) continue;
    segs.push({ offset: e[0].i32! >>> 0, bytes: d.bytes });
  }
  if (segs.length === 0) return undefined;
  let end = 0;
  for (const sg of segs) {
    if (sg.offset < end) return undefined;
    end = sg.offset + sg.bytes.length;
    if (end > minPages * 65536) return undefined;
  }
  const runs: Array<{ offset: number; parts: Uint8Array[]; end: number }> = [];
  for (const sg of segs) {
    const last = runs[runs.length - 1];
    // A gap of up to 4 bytes costs no more as zeros in the blob than a table entry.
    if (last && sg.offset - last.end <= 4) {
      if (sg.offset > last.end) last.parts.push(new Uint8Array(sg.offset - last.end));
      last.parts.push(sg.bytes);
      last.end = sg.offset + sg.bytes.length;
    } else runs.push({ offset: sg.offset, parts: [sg.bytes], end: sg.offset + sg.bytes.length });
  }
  return {
    runs: runs.map((r) => {
      const bytes = new Uint8Array(r.end - r.offset);
      let at = 0;
      for (const part of r.parts) { bytes.set(part, at); at += part.length; }
      return { offset: r.offset, bytes };
    }),
  };
}

/** LZSS parameters: a 12-bit distance (1-4096) and a 4-bit length (3-18). */
const LZ_WINDOW = 4096, LZ_MIN = 3, LZ_MAX = 18;

/**
 * LZSS (Storer-Szymanski, as in Okumura's LZSS.C): groups of eight items after a
 * flag byte (bit set: a literal byte follows; clear: a match, 16 bits of distance-1
 * in bits 0-11 and length-3 in bits 12-15, from the output already written). Greedy
 * matching over hash chains of 3-byte prefixes.
 */
export function lzss(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  const head = new Map<number, number>();
  const prev = new Int32Array(data.length).fill(-1);
  const key = (i: number) => data[i] | (data[i + 1] << 8) | (data[i + 2] << 16);
  const insert = (i: number) => { if (i + 2 < data.length) { const k = key(i); prev[i] = head.get(k) ?? -1; head.set(k, i); } };
  let flagAt = -1, bit = 8;
  for (let i = 0; i < data.length;) {
    if (bit === 8) { flagAt = out.length; out.push(0); bit = 0; }
    let bestLen = 0, bestDist = 0;
    if (i + 2 < data.length) {
      for (let j = head.get(key(i)) ?? -1, tries = 0; j >= 0 && i - j <= LZ_WINDOW && tries < 512; j = prev[j], tries++) {
        let n = 0;
        while (n < LZ_MAX && i + n < data.length && data[j + n] === data[i + n]) n++;
        if (n > bestLen) { bestLen = n; bestDist = i - j; if (n === LZ_MAX) break; }
      }
    }
    if (bestLen >= LZ_MIN) {
      const w = (bestDist - 1) | ((bestLen - LZ_MIN) << 12);
      out.push(w & 0xFF, w >> 8);
      for (let k = 0; k < bestLen; k++) insert(i + k);
      i += bestLen;
    } else {
      out[flagAt] |= 1 << bit;
      out.push(data[i]);
      insert(i);
      i++;
    }
    bit++;
  }
  return new Uint8Array(out);
}

/**
 * The unpacker of lzss(): from `src` to the address `dst`, `length` bytes. A match
 * copies with `rep movsb` from the bytes just written (forward, one byte at a time,
 * so an overlapping match repeats its start as LZSS means). Clobbers eax, ebx, ecx,
 * edx, esi, edi.
 */
function unlzss(l: string, src: string, dst: number, length: number): Insn[] {
  return [
    I('mov', reg(ESI), imm(0, src)), I('mov', reg(EDI), imm(dst)), I('mov', reg(EDX), imm((dst + length) | 0)),
    I('mov', reg(EBX), imm(1)), I('cld'),
    { op: 'label', target: `${l}$item` },
    I('cmp', reg(EDI), reg(EDX)), { op: 'jcc', cc: 'ae', target: `${l}$done` },
    // ebx: the flags not used yet above a 1 bit; shifting that bit out (zero left)
    // means the next flag byte.
    { op: 'label', target: `${l}$bit` },
    I('shr', reg(EBX), imm(1)), { op: 'jcc', cc: 'e', target: `${l}$flags` },
    { op: 'jcc', cc: 'ae', target: `${l}$match` },
    { op: 'db', bytes: new Uint8Array([0xA4]) }, // movsb
    { op: 'jmp', target: `${l}$item` },
    { op: 'label', target: `${l}$match` },
    I('movzx', reg(EAX), mem(2, ESI, 0)), I('add', reg(ESI), imm(2)),
    I('mov', reg(ECX), reg(EAX)), I('shr', reg(ECX), imm(12)), I('add', reg(ECX), imm(LZ_MIN)),
    I('and', reg(EAX), imm(0xFFF)), I('inc', reg(EAX)),
    I('push', reg(ESI)), I('mov', reg(ESI), reg(EDI)), I('sub', reg(ESI), reg(EAX)), I('rep_movsb'), I('pop', reg(ESI)),
    { op: 'jmp', target: `${l}$item` },
    { op: 'label', target: `${l}$flags` },
    I('movzx', reg(EBX), mem(1, ESI, 0)), I('inc', reg(ESI)), I('or', reg(EBX), imm(0x100)),
    { op: 'jmp', target: `${l}$bit` },
    { op: 'label', target: `${l}$done` },
  ];
}
