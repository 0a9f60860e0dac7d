// wasm2x86: the WebAssembly -> i386 translator. This driver runs the passes in
// order for every function and lays out the module's code and data:
//
//   1. decode    (decode.ts)    bytes -> Module
//   2. lower     (lower.ts)     feature checks, block pairing, local weights
//   3. allocate  (allocate.ts)  pinned registers and frame slots for locals
//   4. select    (select.ts, select-ops.ts, select-mem.ts, intrinsics.ts,
//                 vstack.ts; frame.ts, peephole.ts)     x86 instructions
//   4b. instantiate (instantiate.ts)  the instantiate routine, globals, tables, data
//       (runtime.ts: the helper routines the functions call)
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
import { buildInstance } from './instantiate.ts';
import { UnsupportedError, TranslateError, TRAP, FEATURES, KERNEL_INTRINSICS, type CompileOptions, type CompiledModule, type CompiledExport } from './api.ts';
import { imm, mem, memSym, reg, EAX, ESP, type Insn, type Mnemonic } from './x86.ts';

/**
 * Function entries are not aligned: 16 cost 7.5 bytes of padding per function
 * on average (5 KiB of the kernel), 4 still 1.5 KiB, and v86 runs code at any
 * alignment alike.
 */
const FUNC_ALIGN = 1;
/** Deepest call tree (bytes of stack) of a function without a stack check of its own. */
const STACK_TREE_LIMIT = 512;
/** Most stack a function in a table may take without a check of its own (a call through a table counts it). */
const INDIRECT_LIMIT = 128;
import type { Module, FuncType } from './wasm.ts';

export * from './api.ts';


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
      if (!KERNEL_INTRINSICS.has(imp.name)) throw new TranslateError(`unknown intrinsic kernel.${imp.name}`, name);
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

  let chaosHandler: string | undefined;
  if (opts.chaosProbe) {
    const exp = mod.exports.find((e) => e.kind === 'func' && e.name === opts.chaosProbe!.handler);
    if (!exp) throw new TranslateError(`chaos handler export ${opts.chaosProbe.handler} not found`, name);
    chaosHandler = funcLabel(exp.index);
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
  const I = (op: Mnemonic, ...ops: any[]): Insn => ({ op, ops });
  const code: Insn[] = [];
  const lowerDump: string[] = [], allocDump: string[] = [];
  const unsupported = new Map<number, UnsupportedError>();
  let lastCheck: string | undefined, sinceCheck = 0;
  const stackInfo = new Map<number, FunctionSelector['stack']>();
  const selected: Array<{ f: (typeof mod.funcs)[number]; body: Insn[]; stub?: boolean }> = [];
  for (const f of mod.funcs) {
    const where = `${name}: function ${f.index} (${ctx.funcName(f.index)})`;
    let lf, frame, body: Insn[];
    try {
      lf = lowerFunction(mod, f);
      frame = allocateFrame(lf);
      const sel = new FunctionSelector(ctx, lf, frame);
      body = sel.run();
      stackInfo.set(f.index, sel.stack);
    } catch (e) {
      if (!(e instanceof UnsupportedError)) throw e;
      e.message = `${where}: ${e.message}`;
      if (opts.unsupportedFunctions !== 'trap') throw e;
      unsupported.set(f.index, e);
      const fi = FEATURES.indexOf(e.feature as (typeof FEATURES)[number]);
      selected.push({ f, stub: true, body: [{ op: 'align', ops: [imm(16)] }, { op: 'label', target: funcLabel(f.index) },
        I('push', imm(fi < 0 ? FEATURES.length - 1 : fi)), I('push', imm(TRAP.UNSUPPORTED)), { op: 'call', target: trapHandler }, { op: 'ud2' }] });
      continue;
    }
    if (dumps) {
      lowerDump.push(`${where}: ${lf.localTypes.length} locals, weights [${lf.weight.join(', ')}]`);
      allocDump.push(`${where}: ` + frame.homes.map((h, i) => `$${i}=${h.reg >= 0 ? ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'][h.reg] : `[ebp${h.disp >= 0 ? '+' : ''}${h.disp}]`}`).join(' '));
    }
    selected.push({ f, body });
  }
  // Stack checks, decided callees first: a function keeps its check unless the calls
  // it can make before reaching a function that checks take at most STACK_TREE_LIMIT
  // bytes with its own frame (each check leaves a margin below the limit for that
  // stretch, see frame.ts LEAF_FRAME_LIMIT). So a function whose callees all check
  // needs no check of its own when its frame is small. A call through a table can
  // reach any function of an element segment: one of those goes without a check only
  // when it takes at most INDIRECT_LIMIT bytes (or a small leaf's frame, which never
  // had a check), and a call through a table counts that much. A recursive call back
  // to a function still being decided keeps the caller's check, so every cycle of
  // calls has one; an import or memory.grow's hook keeps it too (code not seen here).
  const inTable = new Set<number>();
  for (const e of mod.elems) for (const fi of e.funcs) if (fi !== null) inTable.add(fi);
  // A function in a table that never had a check (a leaf with a small frame) counts as it is.
  let indirectBytes = INDIRECT_LIMIT;
  for (const fi of inTable) { const info = stackInfo.get(fi); if (info && !info.checked) indirectBytes = Math.max(indirectBytes, info.frameBytes); }
  /** Bytes a call of the function can take before a check (0: it checks at its entry). */
  const stretch = new Map<number, number>();
  const keepsCheck = new Set<number>();
  const decide = (fi: number, open: Set<number>): number => {
    const known = stretch.get(fi);
    if (known !== undefined) return known;
    const info = stackInfo.get(fi);
    if (!info) return open.has(fi) ? Infinity : 0; // a stub: it traps at once
    if (open.has(fi)) return Infinity;
    open.add(fi);
    let d = info.indirect ? indirectBytes : 0;
    for (const c of info.callees) d = Math.max(d, decide(c, open));
    open.delete(fi);
    d += info.frameBytes;
    const keep = info.checked && (info.unknown || d > (inTable.has(fi) ? indirectBytes : STACK_TREE_LIMIT));
    if (keep) keepsCheck.add(fi);
    stretch.set(fi, keep ? 0 : d);
    return keep ? 0 : d;
  };
  for (const { f } of selected) decide(f.index, new Set());
  for (const { f, body } of selected) {
    const stackTrap0 = `${prefix}__rt_stacktrap`;
    const at = body.findIndex((x, k) => k < 4 && x.op === 'jcc' && x.target === stackTrap0);
    if (at > 0 && body[at - 1].op === 'cmp' && stackInfo.get(f.index)?.checked && !keepsCheck.has(f.index)) body.splice(at - 1, 2);
  }
  for (const { f, body, stub } of selected) {
    if (stub) { code.push(...body); continue; }
    // The stack check's `jb` goes to the previous function's `jb` when that is close
    // (a 2-byte jump instead of 6; the carry flag and [esp] are still the failing
    // check's there, and that jb goes on to the trap routine).
    const stackTrap = `${prefix}__rt_stacktrap`;
    const chk = body.findIndex((x, k) => k < 4 && x.op === 'jcc' && x.target === stackTrap);
    if (chk >= 0) {
      if (lastCheck && sinceCheck <= 28) body[chk] = { ...body[chk], target: lastCheck };
      lastCheck = `${funcLabel(f.index)}$stackcheck`;
      body.splice(chk, 0, { op: 'label', target: lastCheck });
      sinceCheck = 0;
    }
    for (const x of body) if (x.op !== 'label') sinceCheck++;
    code.push({ op: 'align', ops: [imm(FUNC_ALIGN)] }, ...body);
  }
  if (dumps) { dumps.set('lower', lowerDump.join('\n')); dumps.set('allocate', allocDump.join('\n')); }

  // Pass 4b: the instance (instantiate routine, globals, tables, data segments).
  const instance = buildInstance({ mod, opts, name, prefix, funcLabel, globalLabel, globalWide: ctx.globalWide, importTargets, funcImports, globalImports: globalImports.length, tables, sigId, memPagesLabel, trapHandler });
  const { memory, maxPages } = instance;

  // Runtime routines and interrupt stubs.
  const rt: Insn[] = [];
  const cfg = { prefix, memPages: memPagesLabel, maxPages, limitEnd: opts.memoryEnd?.limitEnd, growHook: opts.memoryGrowHook, stackLimit: opts.stackLimit,
    boundsTrap: opts.checkBulkBounds ? trapHandler : undefined, chaosHandler };
  for (const h of [...helpers].sort()) {
    if (h === 'interrupts') {
      if (!opts.trapDispatchExport) throw new TranslateError('kernel.trap_entry used but no trapDispatchExport option', name);
      const exp = mod.exports.find((e) => e.kind === 'func' && e.name === opts.trapDispatchExport);
      if (!exp) throw new TranslateError(`trap dispatch export ${opts.trapDispatchExport} not found`, name);
      rt.push(...interruptStubs(prefix, funcLabel(exp.index), helpers.has('sysenter')));
    } else if (h === 'stacktrap') {
      // A prologue's stack check failed (before push ebp): [esp] is the return address in the caller.
      rt.push({ op: 'label', target: `${prefix}__rt_stacktrap` });
      // The handler runs on what is left of the stack: switch the check off so its own prologue passes.
      if (opts.stackLimit && !opts.stackLimit.startsWith('fs:')) rt.push(I('mov', memSym(4, opts.stackLimit), imm(0)));
      rt.push(I('push', mem(4, ESP, 0)), I('push', imm(TRAP.STACK_EXHAUSTED)), { op: 'call', target: trapHandler }, { op: 'ud2' });
    } else if (/^callind_\d+_\d+$/.test(h)) {
      rt.push(...indirectCall(prefix, h, tables));
    } else if (/^trap\d+$/.test(h)) {
      // A function's trap stub calls this (7 bytes a stub instead of 14): [esp] is the
      // return address in the stub, the handler's second argument; the code its first.
      rt.push({ op: 'label', target: `${prefix}__rt_${h}` }, I('push', imm(Number(h.slice(4)))), { op: 'call', target: trapHandler }, { op: 'ud2' });
    } else if (h !== 'sysenter') rt.push(...runtimeRoutine(h, cfg));
  }


  const exports = new Map<string, CompiledExport>();
  for (const e of mod.exports) {
    if (e.kind === 'func') exports.set(e.name, { name: e.name, kind: 'func', label: funcLabel(e.index), type: mod.types[mod.funcTypes[e.index]] });
    else if (e.kind === 'global') exports.set(e.name, { name: e.name, kind: 'global', label: globalLabel(e.index), globalType: globalTypes[e.index] as any });
    else if (e.kind === 'memory') exports.set(e.name, { name: e.name, kind: 'memory', label: memPagesLabel });
    else exports.set(e.name, { name: e.name, kind: 'table', label: tables[e.index].label });
  }
  const insns = [...code, ...rt, ...instance.code, ...instance.data];
  if (dumps) dumps.set('decode', mod.funcs.map((f) => `function ${f.index} (${ctx.funcName(f.index)}):\n` + f.body.map((b) => `  ${b.name}${b.index !== undefined ? ' ' + b.index : ''}${b.i32 !== undefined ? ' ' + b.i32 : ''}${b.i64 !== undefined ? ' ' + b.i64 : ''}${b.offset ? ' offset=' + b.offset : ''}`).join('\n')).join('\n'));
  return {
    insns, exports, instantiate: instance.label, memoryPages: memPagesLabel,
    memory: memory ? { min: memory.min, max: memory.max } : undefined,
    funcLabels: mod.funcTypes.map((_, i) => (i < mod.numImportedFuncs ? undefined : funcLabel(i))) as string[],
    funcNames, dumps, unsupported,
  };
}

/**
 * A call_indirect's routine for one table and signature (`callind_T_S`): the caller
 * has pushed the arguments and called it with the index in eax; the checks pass and
 * it jumps to the function, which returns straight to the caller. A failed check
 * jumps to the trap routine, so the trap's address is the caller's return address.
 */
function indirectCall(prefix: string, h: string, tables: Array<{ label: string; size: number }>): Insn[] {
  const [, t, sig] = h.split('_').map(Number);
  const table = tables[t];
  const l = `${prefix}__rt_${h}`, bad = `${l}$bad`;
  const trap = (code: number) => `${prefix}__rt_trap${code}`;
  return [
    { op: 'label', target: l },
    { op: 'cmp', ops: [reg(EAX), imm(table.size)] },
    { op: 'jcc', cc: 'ae', target: trap(TRAP.UNDEFINED_ELEMENT) },
    { op: 'cmp', ops: [mem(4, undefined, 4, EAX, 8, table.label), imm(sig)] },
    { op: 'jcc', cc: 'ne', target: bad },
    { op: 'jmp', ops: [mem(4, undefined, 0, EAX, 8, table.label)] },
    { op: 'label', target: bad },
    { op: 'cmp', ops: [mem(4, undefined, 0, EAX, 8, table.label), imm(0)] },
    { op: 'jcc', cc: 'e', target: trap(TRAP.UNINITIALIZED_ELEMENT) },
    { op: 'jmp', target: trap(TRAP.SIGNATURE_MISMATCH) },
  ];
}
