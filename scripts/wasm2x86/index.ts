// wasm2x86: the WebAssembly -> i386 translator. This driver runs the passes in
// order for every function and lays out the module's code and data:
//
//   1. decode    (decode.ts)    bytes -> Module
//   2. lower     (lower.ts)     feature checks, block pairing, local weights
//   3. allocate  (allocate.ts)  pinned registers and frame slots for locals
//   4. select    (select.ts, select-ops.ts, vstack.ts)  x86 instructions
//   5. emit      (emit.ts)      x86 IR -> bytes, branch relaxation, relocations
//   6. link      (link.ts)      a multiboot image (the kernel), or other formats
//
// Allocation runs before selection because selection is a one-pass compiler
// that needs to know where each local lives; the temporaries of the value
// stack are allocated inside selection as it goes.
//
// compileModule() runs passes 1-4 and returns the instruction list; callers
// assemble it together with whatever else their image needs.

import { decodeModule } from './decode.ts';
import { lowerFunction } from './lower.ts';
import { allocateFrame } from './allocate.ts';
import { FunctionSelector, type ModuleContext } from './select.ts';
import { runtimeRoutine, interruptStubs, ROUTINE_DEPS } from './runtime.ts';
import { UnsupportedError, TranslateError, TRAP, FEATURES, type CompileOptions, type CompiledModule, type CompiledExport } from './api.ts';
import { EAX, ECX, EDX, ESI, EDI, EBX, ESP, reg, imm, mem, memSym, type Insn } from './x86.ts';
import type { Module, ConstExpr, FuncType } from './wasm.ts';

export * from './api.ts';

const INTRINSICS = new Set([
  'inb', 'inw', 'inl', 'outb', 'outw', 'outl', 'cli', 'sti', 'hlt', 'pause', 'lgdt', 'lidt', 'ltr',
  'read_cr0', 'read_cr2', 'read_cr3', 'read_cr4', 'write_cr0', 'write_cr3', 'write_cr4', 'invlpg',
  'read_eflags', 'rdtsc', 'cpuid', 'trap_entry', 'func_address', 'swap_context', 'trap_exit', 'boot_modules',
]);

export function compileModule(bytes: Uint8Array, opts: CompileOptions): CompiledModule {
  const mod = decodeModule(bytes);
  return compileDecoded(mod, opts);
}

export function compileDecoded(mod: Module, opts: CompileOptions): CompiledModule {
  const prefix = opts.prefix ?? '';
  const name = opts.name ?? 'module';
  const dumps = opts.dump ? new Map<string, string>() : undefined;
  const funcImports = mod.imports.filter((i) => i.kind === 'func');
  const globalImports = mod.imports.filter((i) => i.kind === 'global');
  for (const imp of mod.imports) {
    if (imp.kind === 'memory') throw new UnsupportedError('memory-import', `${imp.module}.${imp.name}`);
    if (imp.kind === 'table') throw new UnsupportedError('table-import', `${imp.module}.${imp.name}`);
  }
  if (mod.memories.length > 1) throw new UnsupportedError('multi-memory', `${mod.memories.length} memories`);
  // Reference-typed globals are 4-byte cells (null = 0, a function = its address);
  // functions that use reference values are rejected by lowering.
  if (mod.globals.some((g) => g.type.type === 'v128')) throw new UnsupportedError('simd', 'v128 global');

  const useIntrinsics = opts.intrinsics !== false;
  const importTargets: Array<string | undefined> = funcImports.map((imp) => {
    if (useIntrinsics && imp.module === 'kernel') {
      if (!INTRINSICS.has(imp.name)) throw new TranslateError(`unknown intrinsic kernel.${imp.name}`, name);
      return undefined;
    }
    const t = opts.resolveImport?.(imp.module, imp.name, 'func');
    if (t === undefined) throw new TranslateError(`unresolved function import ${imp.module}.${imp.name}`, name);
    return t;
  });
  const globalImportLabels = globalImports.map((imp) => {
    const t = opts.resolveImport?.(imp.module, imp.name, 'global');
    if (t === undefined) throw new TranslateError(`unresolved global import ${imp.module}.${imp.name}`, name);
    return t;
  });
  const globalTypes = [...globalImports.map((g) => (g as any).global.type as string), ...mod.globals.map((g) => g.type.type)];

  const funcLabel = (i: number) => (i < mod.numImportedFuncs ? importTargets[i] ?? `${prefix}intrinsic${i}` : `${prefix}f${i}`);
  const globalLabel = (i: number) => (i < globalImports.length ? globalImportLabels[i] : `${prefix}g${i}`);
  const memPagesLabel = `${prefix}__mem_pages`;
  const tables = mod.tables.map((t, i) => ({ label: i === 0 ? `${prefix}__table` : `${prefix}__table${i}`, size: t.limits.min }));

  // Canonical signature ids: equal types share the smallest index.
  const typeKey = (t: FuncType) => t.params.join(',') + '->' + t.results.join(',');
  const firstOfType = new Map<string, number>();
  mod.types.forEach((t, i) => { const k = typeKey(t); if (!firstOfType.has(k)) firstOfType.set(k, i); });
  const sigId = (ti: number) => firstOfType.get(typeKey(mod.types[ti]))!;

  const funcNames = new Map<number, string>();
  for (let i = 0; i < mod.funcTypes.length; i++) {
    const exp = mod.exports.find((e) => e.kind === 'func' && e.index === i);
    funcNames.set(i, mod.funcNames.get(i) ?? exp?.name ?? (i < mod.numImportedFuncs ? `${funcImports[i].module}.${funcImports[i].name}` : `f${i}`));
  }

  let trapHandler = opts.trapHandler;
  if (trapHandler.startsWith('export:')) {
    const exp = mod.exports.find((e) => e.kind === 'func' && e.name === trapHandler.slice(7));
    if (!exp) throw new TranslateError(`trap handler export ${trapHandler.slice(7)} not found`, name);
    trapHandler = funcLabel(exp.index);
  }

  const helpers = new Set<string>();
  const ctx: ModuleContext = {
    mod, opts, prefix, funcLabel,
    importTarget: (i) => importTargets[i],
    globalLabel,
    globalWide: (i) => globalTypes[i] === 'i64' || globalTypes[i] === 'f64',
    tables, memPagesLabel, sigId,
    helper: (h) => { helpers.add(h); for (const d of ROUTINE_DEPS[h] ?? []) helpers.add(d); return `${prefix}__rt_${h}`; },
    trapHandler,
    funcName: (i) => funcNames.get(i) ?? `f${i}`,
  };

  // Passes 2-4 per function.
  const I = (op: string, ...ops: any[]): Insn => ({ op, ops });
  const code: Insn[] = [];
  const lowerDump: string[] = [], allocDump: string[] = [];
  const unsupported = new Map<number, UnsupportedError>();
  for (const f of mod.funcs) {
    const where = `${name}: function ${f.index} (${ctx.funcName(f.index)})`;
    let lf, frame, body: Insn[];
    try {
      lf = lowerFunction(mod, f);
      frame = allocateFrame(lf);
      body = new FunctionSelector(ctx, lf, frame).run();
    } catch (e) {
      if (!(e instanceof UnsupportedError)) throw e;
      e.message = `${where}: ${e.message}`;
      if (opts.unsupportedFunctions !== 'trap') throw e;
      unsupported.set(f.index, e);
      const fi = FEATURES.indexOf(e.feature as (typeof FEATURES)[number]);
      code.push({ op: 'align', ops: [imm(16)] }, { op: 'label', target: funcLabel(f.index) },
        I('push', imm(fi < 0 ? FEATURES.length - 1 : fi)), I('push', imm(TRAP.UNSUPPORTED)), { op: 'call', target: trapHandler }, { op: 'ud2' });
      continue;
    }
    if (dumps) {
      lowerDump.push(`${where}: ${lf.localTypes.length} locals, weights [${lf.weight.join(', ')}]`);
      allocDump.push(`${where}: ` + frame.homes.map((h, i) => `$${i}=${h.reg >= 0 ? ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'][h.reg] : `[ebp${h.disp >= 0 ? '+' : ''}${h.disp}]`}`).join(' '));
    }
    code.push({ op: 'align', ops: [imm(16)] }, ...body);
  }
  if (dumps) { dumps.set('lower', lowerDump.join('\n')); dumps.set('allocate', allocDump.join('\n')); }

  // Memory.
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
    if (zeroFrom !== undefined && end > zeroFrom) {
      ins.push(I('mov', reg(EDI), imm(zeroFrom)), I('mov', reg(ECX), imm(Math.floor((end - zeroFrom) / 4))), I('mov', reg(EAX), imm(0)), I('cld'), I('rep_stosd'));
    }
  }
  const dataBlobs: Insn[] = [];
  mod.datas.forEach((d, k) => {
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
          if (ctx.globalWide(x.index!)) out.push(I('push', memSym(4, src, 4)));
          out.push(I('push', memSym(4, src)));
          break;
        }
        case 'i32.add': case 'i32.sub': out.push(I('pop', reg(ECX)), I(x.name.slice(4), mem(4, ESP, 0), reg(ECX))); break;
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
  // Globals.
  const globalData: Insn[] = [{ op: 'align', ops: [imm(8)] }];
  mod.globals.forEach((g, k) => {
    const gi = globalImports.length + k;
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

  // Runtime routines and interrupt stubs.
  const rt: Insn[] = [];
  const cfg = { prefix, memPages: memPagesLabel, maxPages, limitEnd: opts.memoryEnd?.limitEnd, growHook: opts.memoryGrowHook, stackLimit: opts.stackLimit,
    boundsTrap: opts.checkBulkBounds ? trapHandler : undefined };
  for (const h of [...helpers].sort()) {
    if (h === 'interrupts') {
      if (!opts.trapDispatchExport) throw new TranslateError('kernel.trap_entry used but no trapDispatchExport option', name);
      const exp = mod.exports.find((e) => e.kind === 'func' && e.name === opts.trapDispatchExport);
      if (!exp) throw new TranslateError(`trap dispatch export ${opts.trapDispatchExport} not found`, name);
      rt.push(...interruptStubs(prefix, funcLabel(exp.index)));
    } else rt.push(...runtimeRoutine(h, cfg));
  }

  const data: Insn[] = [
    { op: 'align', ops: [imm(8)] }, { op: 'label', target: memPagesLabel }, { op: 'dd', ops: [imm(opts.memoryEnd ? 0 : memory?.min ?? 0)] },
    ...globalData, ...tableData, ...dataBlobs,
  ];

  const exports = new Map<string, CompiledExport>();
  for (const e of mod.exports) {
    if (e.kind === 'func') exports.set(e.name, { name: e.name, kind: 'func', label: funcLabel(e.index), type: mod.types[mod.funcTypes[e.index]] });
    else if (e.kind === 'global') exports.set(e.name, { name: e.name, kind: 'global', label: globalLabel(e.index), globalType: globalTypes[e.index] as any });
    else if (e.kind === 'memory') exports.set(e.name, { name: e.name, kind: 'memory', label: memPagesLabel });
    else exports.set(e.name, { name: e.name, kind: 'table', label: tables[e.index].label });
  }
  const insns = [...code, ...rt, ...ins, ...data];
  if (dumps) dumps.set('decode', mod.funcs.map((f) => `function ${f.index} (${ctx.funcName(f.index)}):\n` + f.body.map((b) => `  ${b.name}${b.index !== undefined ? ' ' + b.index : ''}${b.i32 !== undefined ? ' ' + b.i32 : ''}${b.i64 !== undefined ? ' ' + b.i64 : ''}${b.offset ? ' offset=' + b.offset : ''}`).join('\n')).join('\n'));
  void mem; void EBX;
  return {
    insns, exports, instantiate: inst, memoryPages: memPagesLabel,
    memory: memory ? { min: memory.min, max: memory.max } : undefined,
    funcLabels: mod.funcTypes.map((_, i) => (i < mod.numImportedFuncs ? undefined : funcLabel(i))) as string[],
    funcNames, dumps, unsupported,
  };
}
