// Runs a WebAssembly spec script (.wast) as x86 code in v86.
//
// Every module of the script is translated by wasm2x86; the commands
// (instantiate, invoke, assert_return, assert_trap, assert_exhaustion, get)
// become straight-line x86 code that calls the translated exports and stores
// each outcome in a result table. One multiboot image per script, one boot;
// the host reads the table from guest memory when the guest exits via port 0xF4.
//
// Guest layout (virtual):
//   0 .. 4 GiB-ish   wasm linear memory of the instance being run: 4 KiB pages,
//                    present only below the memory's current size, so an access
//                    past the end faults (#PF -> "out of bounds memory access").
//                    Each instance has its own page directory and page tables;
//                    frames come from a pool as its memory grows.
//   0x50000000+      the supervisor (this image: code, data, page tables, stack),
//                    virtual = 0x50000000 + physical, in 4 MiB pages.
// Traps: the translated code calls __rt_trap(code, address); CPU exceptions go
// through an IDT. Both record the outcome and resume at the next command with a
// fresh stack.

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import wabtInit from 'wabt';
import { compileModule, UnsupportedError, TRAP, TRAP_NAMES, FEATURES, type CompiledModule, type CompileOptions } from '../../scripts/wasm2x86/index.ts';
import { assemble } from '../../scripts/wasm2x86/emit.ts';
import { multibootCommon } from '../../scripts/wasm2x86/link.ts';
import { EAX, EBX, ECX, EDX, ESP, reg, imm, mem, memSym, type Insn, type Mnemonic, type Operand } from '../../scripts/wasm2x86/x86.ts';
import { boot } from '../../emulator/node/boot.ts';
import { parseWast, readSExprs, type Command, type ModuleCmd, type Value, type Action } from './wast.ts';

export const SUP_BASE = 0x50000000;
/** The supervisor window: 16 PDEs of 4 MiB. */
const SUP_SIZE = 64 << 20;
const LOAD_PHYS = 0x100000;
/** Physical frames for the wasm memories come from [POOL_START, POOL_END). */
const POOL_START = 32 << 20;
const POOL_END = 288 << 20;
const GUEST_MB = 320;
/** Pages (64 KiB) a memory may reach when it declares no smaller maximum (64 MiB). */
export const DEFAULT_MEMORY_CAP = 1024;
/** Page directory entries shared by every address space: the supervisor window, 4 MiB pages. */
const supervisorPde = (k: number) => (k >= SUP_BASE >>> 22 && k < (SUP_BASE + SUP_SIZE) >>> 22 ? ((k - (SUP_BASE >>> 22)) << 22) | 0x83 : 0);
const STACK_BYTES = 1 << 20;
const STACK_GUARD = 16 << 10;
const SLOT = 16;

export interface Outcome { line: number; command: string; ok: boolean; skipped?: string; detail?: string }
export interface SpecReport {
  file: string;
  passed: number;
  failed: Outcome[];
  /** reason -> number of assertions skipped for it */
  skipped: Map<string, number>;
  /** assert_invalid / assert_malformed / assert_unlinkable / assert_uninstantiable: validation is the front end's job */
  notApplicable: number;
  modules: { translated: number; skipped: Array<{ line: number; reason: string }> };
  outcomes: Outcome[];
  wallMs: number;
  instructions: number;
}

interface Instance {
  index: number;
  line: number;
  name?: string;
  compiled?: CompiledModule;
  skip?: string;
  error?: string;
  /** exports replaced because their function could not be parsed (name -> reason) */
  removed: Map<string, string>;
  memCap: number;
  pt?: string;
  pd?: string;
  /** labels of functions replaced by a trap -> the unsupported feature */
  stubbed: Map<string, string>;
  /** false once its instantiation trapped */
  live: boolean;
}

let wabtPromise: Promise<any> | undefined;
const wabt = () => (wabtPromise ??= (wabtInit as any)());
const WABT_FEATURES = {
  multi_value: true, bulk_memory: true, sign_extension: true, sat_float_to_int: true, mutable_globals: true,
  reference_types: true, function_references: true, gc: true, extended_const: true, tail_call: true,
};

/**
 * Text module -> binary with wabt. A function wabt cannot parse (typed references,
 * GC syntax) is replaced by an empty function of the same name so indices stay
 * put; its inline exports are reported as removed, with wabt's message.
 */
export async function watToBinary(text: string, file: string): Promise<{ bytes: Uint8Array; removed: Map<string, string> }> {
  const w = await wabt();
  const fields = readSExprs(text, file)[0].items.slice(1).map((e) => text.slice(e.start, e.end));
  const removed = new Map<string, string>();
  for (let attempt = 0; attempt < 50; attempt++) {
    const src = '(module\n' + fields.join('\n') + '\n)';
    let m: any;
    try {
      m = w.parseWat(file, src, WABT_FEATURES);
      m.resolveNames();
      const { buffer } = m.toBinary({ write_debug_names: true });
      return { bytes: new Uint8Array(buffer), removed };
    } catch (e) {
      const msg = String((e as Error).message);
      const at = /:(\d+):\d+: error: (.*)/.exec(msg);
      if (!at) throw e;
      // Which field holds that line?
      let line = 2, k = 0;
      for (; k < fields.length; k++) {
        const n = fields[k].split('\n').length;
        if (Number(at[1]) < line + n) break;
        line += n;
      }
      const f = fields[k];
      // A table initialised with null references is a plain table (wabt lacks the syntax).
      const nullInit = /^(\(table\s+(?:\$\S+\s+)?\d+(?:\s+\d+)?\s+funcref)\s+\(ref\.null func\)\)$/.exec(f ?? '');
      if (nullInit) { fields[k] = nullInit[1] + ')'; continue; }
      const kind = /^\((table|elem|global|type)\s+\$/.exec(f ?? '')?.[1];
      if (kind && !fields.slice(k + 1).some((g) => g.startsWith(`(${kind}`))) {
        // The last field of its kind, named: dropping it shifts no index, and
        // whatever refers to it by name fails to parse in turn (and is replaced).
        fields[k] = `;; dropped: ${kind}`;
        continue;
      }
      if (!f || !/^\(func\b/.test(f) || f === '(func)' || /^\(func \$[^\s()]+\)$/.test(f)) throw new Error(`wabt: ${at[2]}`);
      const name = /^\(func\s+(\$[^\s()]+)/.exec(f)?.[1];
      for (const ex of f.matchAll(/\(export\s+"([^"]*)"\)/g)) removed.set(ex[1], `wabt cannot parse it: ${at[2]}`);
      fields[k] = name ? `(func ${name})` : '(func)';
    } finally {
      m?.destroy();
    }
  }
  throw new Error('wabt: too many unparsable functions');
}

const hex = (n: number) => '0x' + (n >>> 0).toString(16).padStart(8, '0');
const I = (op: Mnemonic, ...ops: Operand[]): Insn => ({ op, ops });
const L = (target: string): Insn => ({ op: 'label', target });
const J = (target: string): Insn => ({ op: 'jmp', target });

function floatIn(values: Value[]): boolean { return values.some((v) => v.type === 'f32' || v.type === 'f64'); }
function refIn(values: Value[]): boolean { return values.some((v) => v.type === 'ref'); }

function describeAction(a: Action): string {
  const args = a.args.map((v) => (v.type === 'i32' ? `${v.value}` : v.type === 'i64' ? `${v.value}` : 'text' in v ? v.text : '?')).join(', ');
  return `${a.kind} ${a.module ? a.module + ' ' : ''}"${a.name}"${a.kind === 'invoke' ? `(${args})` : ''}`;
}

/** What the guest does for one command and how the host judges its slot. */
interface Step {
  line: number;
  command: string;
  instance: Instance;
  code: Insn[];
  judge: (status: number, lo: number, hi: number, extra: number) => string | undefined;
}

function statusText(status: number, extra: number): string {
  if (status === 0) return 'did not run (the guest stopped before it)';
  if (status === 1) return 'returned';
  if ((status & 0xF00) === 0x100) return `trapped: ${TRAP_NAMES[status & 0xFF] ?? `trap ${status & 0xFF}`} (at ${hex(extra)})`;
  if ((status & 0xF00) === 0x200) return `CPU exception ${status & 0xFF} at eip ${hex(extra)}`;
  return `status ${hex(status)}`;
}

export interface RunOptions {
  timeoutMs?: number;
  memoryCap?: number;
  /** Translator options over the runner's own (the fuzzer's test turns a check off to see it fail). */
  compileOptions?: Partial<CompileOptions>;
}

export async function runWast(path: string, opts: RunOptions = {}): Promise<SpecReport> {
  const file = basename(path);
  return runCommands(file, parseWast(readFileSync(path, 'utf8'), file), opts);
}

/** Runs parsed commands (a script's, or made by a program: the translator fuzzer) as x86 in v86. */
export async function runCommands(file: string, cmds: Command[], opts: RunOptions = {}): Promise<SpecReport> {
  const cap0 = opts.memoryCap ?? DEFAULT_MEMORY_CAP;
  const report: SpecReport = {
    file, passed: 0, failed: [], skipped: new Map(), notApplicable: 0,
    modules: { translated: 0, skipped: [] }, outcomes: [], wallMs: 0, instructions: 0,
  };
  const skip = (line: number, command: string, reason: string) => {
    report.skipped.set(reason, (report.skipped.get(reason) ?? 0) + 1);
    report.outcomes.push({ line, command, ok: false, skipped: reason });
  };
  const fail = (line: number, command: string, detail: string) => {
    const o = { line, command, ok: false, detail };
    report.failed.push(o); report.outcomes.push(o);
  };

  const instances: Instance[] = [];
  const byName = new Map<string, Instance>();
  const registered = new Map<string, Instance>();
  const definitions = new Map<string, ModuleCmd>();
  let current: Instance | undefined;
  const bssTables: Array<[string, number]> = [];
  const steps: Step[] = [];
  const extraCode: Insn[] = [];
  const extraData: Insn[] = [];

  // spectest host functions and globals (the reference interpreter's values).
  const spectestFuncs = new Map<string, number>([
    ['print', 0], ['print_i32', 4], ['print_i64', 8], ['print_f32', 4], ['print_f64', 8], ['print_i32_f32', 8], ['print_f64_f64', 16],
  ]);
  for (const [n, bytes] of spectestFuncs) extraCode.push(L(`__spectest_${n}`), bytes ? I('ret', imm(bytes)) : I('ret'));
  const f32bits = (x: number) => { const b = new DataView(new ArrayBuffer(8)); b.setFloat32(0, x, true); return b.getInt32(0, true); };
  const f64bits = (x: number) => { const b = new DataView(new ArrayBuffer(8)); b.setFloat64(0, x, true); return [b.getInt32(0, true), b.getInt32(4, true)]; };
  extraData.push({ op: 'align', ops: [imm(8)] },
    L('__spectest_global_i32'), { op: 'dd', ops: [imm(666), imm(0)] },
    L('__spectest_global_i64'), { op: 'dd', ops: [imm(666), imm(0)] },
    L('__spectest_global_f32'), { op: 'dd', ops: [imm(f32bits(666.6)), imm(0)] },
    L('__spectest_global_f64'), { op: 'dd', ops: f64bits(666.6).map((x) => imm(x)) });

  const resolveImport = (module: string, name: string, kind: 'func' | 'global'): string | undefined => {
    if (module === 'spectest') {
      if (kind === 'func' && spectestFuncs.has(name)) return `__spectest_${name}`;
      if (kind === 'global' && /^global_(i32|i64|f32|f64)$/.test(name)) return `__spectest_${name}`;
      return undefined;
    }
    const inst = registered.get(module);
    const ex = inst?.compiled?.exports.get(name);
    if (!ex || ex.kind !== kind) return undefined;
    return ex.label;
  };

  const addInstance = async (m: ModuleCmd): Promise<Instance> => {
    const index = instances.length;
    const inst: Instance = { index, line: m.line, name: m.name, removed: new Map(), stubbed: new Map(), memCap: 0, live: true };
    instances.push(inst);
    let bytes: Uint8Array;
    try {
      if (m.source.form === 'binary') bytes = m.source.bytes;
      else { const r = await watToBinary(m.source.text, file); bytes = r.bytes; inst.removed = r.removed; }
    } catch (e) {
      inst.skip = `text format: ${(e as Error).message}`;
      report.modules.skipped.push({ line: m.line, reason: inst.skip });
      return inst;
    }
    const prefix = `m${index}_`;
    try {
      inst.compiled = compileModule(bytes, {
        prefix, name: `${file}:${m.line}`, resolveImport, intrinsics: false,
        trapHandler: '__rt_trap', stackLimit: '__stack_limit', checkOffsetCarry: true, checkBulkBounds: true,
        memoryGrowHook: `${prefix}grow_hook`, maxMemoryPages: cap0, unsupportedFunctions: 'trap',
        ...opts.compileOptions,
      });
      for (const [fi, err] of inst.compiled.unsupported) inst.stubbed.set(inst.compiled.funcLabels[fi], err.feature);
    } catch (e) {
      if (e instanceof UnsupportedError) {
        inst.skip = e.feature;
        report.modules.skipped.push({ line: m.line, reason: `${e.feature}: ${e.message}` });
      } else inst.error = (e as Error).message;
      return inst;
    }
    report.modules.translated++;
    const memory = inst.compiled.memory;
    if (memory) {
      inst.memCap = Math.max(memory.min, Math.min(memory.max ?? cap0, cap0));
      if (inst.memCap > DEFAULT_MEMORY_CAP) { inst.skip = `memory of ${memory.min} pages is too large for the runner`; inst.compiled = undefined; return inst; }
    }
    if (!memory) { inst.pd = '__boot_pd'; return inst; }
    // Page directory (image data) and page tables (.bss, zero: nothing present).
    // Frames are taken from a bump allocator as the memory grows.
    const ptes = inst.memCap * 16;
    const npt = Math.ceil(ptes / 1024);
    inst.pd = `${prefix}pd`; inst.pt = `${prefix}pt`;
    bssTables.push([inst.pt, npt * 4096]);
    const pd: Operand[] = [];
    for (let k = 0; k < 1024; k++) {
      if (k < npt) pd.push(imm(3 - SUP_BASE + k * 4096, inst.pt));
      else pd.push(imm(supervisorPde(k)));
    }
    extraData.push({ op: 'align', ops: [imm(4096)] }, L(inst.pd), { op: 'dd', ops: pd });
    // grow_hook(old, new): pages below `new` present (with a frame), the rest not.
    const h = `${prefix}grow_hook`;
    const pte = (r: number): Operand => ({ k: 'm', s: 4, disp: 0, index: r, scale: 4, sym: inst.pt });
    extraCode.push(L(h),
      // Enough frames left for the worst case?
      I('mov', reg(ECX), mem4(ESP, 8)), I('sub', reg(ECX), mem4(ESP, 4)), I('shl', reg(ECX), imm(16)),
      I('add', reg(ECX), memSym(4, '__frame_next')), { op: 'jcc', cc: 'b', target: `${h}$full` },
      I('cmp', reg(ECX), imm(POOL_END)), { op: 'jcc', cc: 'a', target: `${h}$full` },
      I('mov', reg(ECX), mem4(ESP, 8)), I('shl', reg(ECX), imm(4)), I('mov', reg(EAX), imm(0)),
      L(`${h}$on`), I('cmp', reg(EAX), reg(ECX)), { op: 'jcc', cc: 'ae', target: `${h}$off` },
      I('mov', reg(EDX), pte(EAX)), I('test', reg(EDX), imm(0xFFFFF000 | 0)), { op: 'jcc', cc: 'ne', target: `${h}$have` },
      I('mov', reg(EDX), memSym(4, '__frame_next')), I('add', memSym(4, '__frame_next'), imm(4096)),
      L(`${h}$have`), I('or', reg(EDX), imm(3)), I('mov', pte(EAX), reg(EDX)), I('inc', reg(EAX)), J(`${h}$on`),
      L(`${h}$off`), I('cmp', reg(EAX), imm(ptes)), { op: 'jcc', cc: 'ae', target: `${h}$done` },
      I('and', pte(EAX), imm(-2)), I('inc', reg(EAX)), J(`${h}$off`),
      L(`${h}$done`), I('mov', reg(EAX), { k: 'cr', r: 3 }), I('mov', { k: 'cr', r: 3 }, reg(EAX)),
      I('mov', reg(EAX), imm(0)), I('ret', imm(8)),
      L(`${h}$full`), I('mov', reg(EAX), imm(1)), I('ret', imm(8)));
    return inst;
  };

  const enter = (inst: Instance): Insn[] => [
    I('mov', reg(EAX), imm(-SUP_BASE, inst.pd!)), I('mov', { k: 'cr', r: 3 }, reg(EAX)),
  ];

  const instantiateStep = (inst: Instance, line: number, expectTrap?: string): Step => ({
    line, command: expectTrap ? `assert_trap (module) "${expectTrap}"` : 'module', instance: inst,
    code: [...enter(inst), { op: 'call', target: inst.compiled!.instantiate }],
    judge: (status, _lo, _hi, extra) => {
      if (expectTrap === undefined) {
        if (status === 1) return undefined;
        inst.live = false;
        return `instantiation ${statusText(status, extra)}`;
      }
      inst.live = false;
      if (status === 1) return `instantiation returned; expected trap "${expectTrap}"`;
      return (status & 0xF00) === 0x100 && expectTrap.startsWith(TRAP_NAMES[status & 0xFF] ?? '\0') ? undefined : `expected trap "${expectTrap}", ${statusText(status, extra)}`;
    },
  });

  /** Code that performs an action; the slot gets (status 1, eax, edx). Returns a reason to skip instead. */
  const actionCode = (a: Action, inst: Instance): Insn[] | string => {
    const ex = inst.compiled!.exports.get(a.name);
    if (!ex) return inst.removed.get(a.name) ?? `no export "${a.name}"`;
    if (a.kind === 'get') {
      if (ex.kind !== 'global') return `export "${a.name}" is not a global`;
      return [I('mov', reg(EAX), memSym(4, ex.label)), I('mov', reg(EDX), memSym(4, ex.label, 4))];
    }
    if (ex.kind !== 'func') return `export "${a.name}" is not a function`;
    const code: Insn[] = [...enter(inst)];
    for (const v of [...a.args].reverse()) {
      if (v.type === 'i32') code.push(I('push', imm(v.value)));
      else if (v.type === 'i64') code.push(I('push', imm(Number(BigInt.asIntN(32, v.value >> 32n)))), I('push', imm(Number(BigInt.asIntN(32, v.value)))));
    }
    code.push({ op: 'call', target: ex.label });
    return code;
  };

  const target = (a: Action): Instance | string => {
    const inst = a.module ? byName.get(a.module) ?? registered.get(a.module) : current;
    if (!inst) return `no module ${a.module ?? ''}`.trim();
    return inst;
  };

  for (const c of cmds) {
    switch (c.kind) {
      case 'module': {
        if (c.definition) { if (c.name) definitions.set(c.name, c); break; }
        const inst = await addInstance(c);
        if (c.name) byName.set(c.name, inst);
        current = inst;
        if (inst.error) fail(c.line, 'module', `translation failed: ${inst.error}`);
        else if (inst.compiled) steps.push(instantiateStep(inst, c.line));
        break;
      }
      case 'instance': {
        const def = definitions.get(c.of);
        if (!def) { fail(c.line, 'module instance', `no module definition ${c.of}`); break; }
        const inst = await addInstance({ ...def, line: c.line, name: c.name, definition: false });
        if (c.name) byName.set(c.name, inst);
        current = inst;
        if (inst.error) fail(c.line, 'module instance', `translation failed: ${inst.error}`);
        else if (inst.compiled) steps.push(instantiateStep(inst, c.line));
        break;
      }
      case 'register': {
        const inst = c.module ? byName.get(c.module) : current;
        if (inst) registered.set(c.as, inst);
        break;
      }
      case 'assert_invalid': case 'assert_malformed': case 'assert_unlinkable': case 'assert_uninstantiable':
        report.notApplicable++;
        break;
      case 'assert_module_trap': {
        const inst = await addInstance(c.module);
        const what = `assert_trap (module) "${c.message}"`;
        if (inst.skip) skip(c.line, what, inst.skip);
        else if (inst.error) fail(c.line, what, `translation failed: ${inst.error}`);
        else steps.push(instantiateStep(inst, c.line, c.message));
        break;
      }
      case 'action': case 'assert_return': case 'assert_trap': case 'assert_exhaustion': {
        const what = `${c.kind === 'action' ? '' : c.kind + ' '}${describeAction(c.action)}`;
        const inst = target(c.action);
        if (typeof inst === 'string') { fail(c.line, what, inst); break; }
        if (inst.skip) { skip(c.line, what, inst.skip); break; }
        if (inst.error || !inst.compiled) { fail(c.line, what, `module did not translate: ${inst.error}`); break; }
        if (floatIn(c.action.args)) { skip(c.line, what, 'float'); break; }
        if (refIn(c.action.args)) { skip(c.line, what, 'reference-types'); break; }
        let expected: Value[] = [];
        if (c.kind === 'assert_return') {
          if (c.expected.some((e) => 'either' in e)) { skip(c.line, what, 'either (multiple results allowed)'); break; }
          expected = c.expected as Value[];
          if (floatIn(expected)) { skip(c.line, what, 'float'); break; }
          if (refIn(expected)) { skip(c.line, what, 'reference-types'); break; }
          if (expected.length > 1) { skip(c.line, what, 'multi-value'); break; }
        }
        const exported = inst.compiled.exports.get(c.action.name);
        const feature = exported && inst.stubbed.get(exported.label);
        if (feature) { skip(c.line, what, feature); break; }
        const code = actionCode(c.action, inst);
        if (typeof code === 'string') {
          if (inst.removed.has(c.action.name)) skip(c.line, what, 'text format: function wabt cannot parse');
          else fail(c.line, what, code);
          break;
        }
        const expectTrap = c.kind === 'assert_trap' ? c.message : c.kind === 'assert_exhaustion' ? 'call stack exhausted' : undefined;
        const exp = expected[0];
        steps.push({
          line: c.line, command: what, instance: inst, code,
          judge: (status, lo, hi, extra) => {
            if (!inst.live) return `module instance is not usable (its instantiation failed); ${statusText(status, extra)}`;
            if (expectTrap !== undefined) {
              if ((status & 0xF00) === 0x100 && expectTrap.startsWith(TRAP_NAMES[status & 0xFF] ?? '\0')) return undefined;
              return `expected trap "${expectTrap}", ${statusText(status, extra)}${status === 1 ? ` ${hex(lo)}` : ''}`;
            }
            if (status !== 1) return statusText(status, extra);
            if (!exp) return undefined;
            if (exp.type === 'i32') return (lo | 0) === exp.value ? undefined : `got ${lo | 0} (${hex(lo)}), expected ${exp.value} (${hex(exp.value)})`;
            if (exp.type === 'i64') {
              const got = BigInt.asUintN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));
              return got === exp.value ? undefined : `got ${BigInt.asIntN(64, got)} (0x${got.toString(16)}), expected ${BigInt.asIntN(64, exp.value)} (0x${exp.value.toString(16)})`;
            }
            return 'unsupported expectation';
          },
        });
        break;
      }
    }
  }

  if (steps.length === 0) return report;

  // ---- the image ----
  const { header, gdt, entry, phys } = multibootCommon(SUP_BASE);
  const code: Insn[] = [...entry,
    // Boot page directory: identity 0-4 MiB (to survive the switch) and the supervisor.
    I('mov', reg(EAX), { k: 'cr', r: 4 }), I('or', reg(EAX), imm(0x10)), I('mov', { k: 'cr', r: 4 }, reg(EAX)),
    I('mov', reg(EAX), phys('__boot_pd')), I('mov', { k: 'cr', r: 3 }, reg(EAX)),
    I('mov', reg(EAX), { k: 'cr', r: 0 }), I('or', reg(EAX), imm(0x80010000)), I('mov', { k: 'cr', r: 0 }, reg(EAX)),
    I('mov', reg(EAX), imm(0, '__high')), I('jmp', reg(EAX)),
    L('__high'),
    I('lgdt', memSym(4, '__gdtr_virt')),
    I('mov', reg(ESP), imm(0, '__stack_top')),
    // IDT: 32 interrupt gates to the fault stubs.
    I('mov', reg(ECX), imm(0)),
    L('__idt_fill'),
    I('mov', reg(EAX), { k: 'm', s: 4, disp: 0, index: ECX, scale: 4, sym: '__fault_stubs' }),
    I('mov', reg(EDX), reg(EAX)), I('and', reg(EAX), imm(0xFFFF)), I('or', reg(EAX), imm(0x00080000)),
    I('and', reg(EDX), imm(0xFFFF0000)), I('or', reg(EDX), imm(0x8E00)),
    I('mov', { k: 'm', s: 4, disp: 0, index: ECX, scale: 8, sym: '__idt' }, reg(EAX)),
    I('mov', { k: 'm', s: 4, disp: 4, index: ECX, scale: 8, sym: '__idt' }, reg(EDX)),
    I('inc', reg(ECX)), I('cmp', reg(ECX), imm(32)), { op: 'jcc', cc: 'b', target: '__idt_fill' },
    I('lidt', memSym(4, '__idtr')),
  ];
  steps.forEach((s, k) => {
    const done = `__cmd${k}_done`;
    code.push(L(`__cmd${k}`),
      I('mov', memSym(4, '__cur_slot'), imm(k * SLOT, '__results')),
      I('mov', memSym(4, '__resume'), imm(0, done)),
      ...s.code,
      I('mov', reg(EBX), memSym(4, '__cur_slot')),
      I('mov', mem4(EBX, 4), reg(EAX)), I('mov', mem4(EBX, 8), reg(EDX)), I('mov', mem4(EBX, 0), imm(1)),
      L(done));
  });
  code.push(
    // All done: exit code 0 through the harness port.
    I('mov', reg(EDX), imm(0xF4)), I('mov', reg(EAX), imm(0)), I('out', reg(EDX, 2), reg(EAX, 1)),
    L('__halt'), I('cli'), I('hlt'), J('__halt'),
    // __rt_trap(code, address), stdcall, never returns.
    L('__rt_trap'),
    I('mov', reg(EAX), mem4(ESP, 4)), I('mov', reg(ECX), mem4(ESP, 8)),
    I('or', reg(EAX), imm(0x100)),
    L('__record'), // eax = status, ecx = extra
    I('mov', reg(EBX), memSym(4, '__cur_slot')), I('mov', mem4(EBX, 0), reg(EAX)), I('mov', mem4(EBX, 12), reg(ECX)),
    I('mov', reg(ESP), imm(0, '__stack_top')),
    I('mov', memSym(4, '__stack_limit'), imm(STACK_GUARD, '__stack')),
    I('mov', reg(EAX), phys('__boot_pd')), I('mov', { k: 'cr', r: 3 }, reg(EAX)),
    I('jmp', memSym(4, '__resume')),
    // CPU exceptions: [esp] = vector, [esp+4] = error code, [esp+8] = eip.
    L('__fault'),
    I('mov', reg(EAX), mem4(ESP, 0)), I('mov', reg(ECX), mem4(ESP, 8)),
    I('cmp', reg(EAX), imm(14)), { op: 'jcc', cc: 'ne', target: '__fault_other' },
    I('mov', reg(EDX), { k: 'cr', r: 2 }), I('sub', reg(EDX), imm(SUP_BASE)), I('cmp', reg(EDX), imm(SUP_SIZE)),
    { op: 'jcc', cc: 'b', target: '__fault_other' }, I('add', reg(EDX), imm(SUP_BASE)),
    I('mov', reg(EAX), imm(0x104)), I('mov', reg(ECX), reg(EDX)), J('__record'),
    L('__fault_other'), I('or', reg(EAX), imm(0x200)), J('__record'),
  );
  const ERR = new Set([8, 10, 11, 12, 13, 14, 17]);
  for (let v = 0; v < 32; v++) {
    code.push(L(`__fault${v}`));
    if (!ERR.has(v)) code.push(I('push', imm(0)));
    code.push(I('push', imm(v)), J('__fault'));
  }
  for (const inst of instances) if (inst.compiled) code.push(...inst.compiled.insns);
  code.push(...extraCode);

  const data: Insn[] = [
    ...gdt,
    { op: 'align', ops: [imm(4)] },
    L('__fault_stubs'), { op: 'dd', ops: Array.from({ length: 32 }, (_, v) => imm(0, `__fault${v}`)) },
    L('__cur_slot'), { op: 'dd', ops: [imm(0)] },
    L('__resume'), { op: 'dd', ops: [imm(0)] },
    L('__stack_limit'), { op: 'dd', ops: [imm(STACK_GUARD, '__stack')] },
    L('__frame_next'), { op: 'dd', ops: [imm(POOL_START)] },
    { op: 'align', ops: [imm(4)] },
    { op: 'db', bytes: new Uint8Array(2) },
    L('__idtr'), { op: 'db', bytes: new Uint8Array([0xFF, 0x00]) }, { op: 'dd', ops: [imm(0, '__idt')] },
    { op: 'align', ops: [imm(8)] }, L('__idt'), { op: 'dd', ops: Array.from({ length: 64 }, () => imm(0)) },
    ...extraData,
    { op: 'align', ops: [imm(4096)] },
    L('__boot_pd'),
    { op: 'dd', ops: Array.from({ length: 1024 }, (_, k) => imm(k === 0 ? 0x83 : supervisorPde(k))) },
    L('__results'), { op: 'db', bytes: new Uint8Array(steps.length * SLOT) },
    { op: 'align', ops: [imm(4096)] },
    L('__image_end'),
  ];
  const origin = SUP_BASE + LOAD_PHYS;
  const build = (bss: Map<string, number>) => assemble([...header, ...code, ...data], origin, bss);
  const layout = (end: number) => {
    const bss = new Map([['__stack', end], ['__stack_top', end + STACK_BYTES]]);
    let at = end + STACK_BYTES;
    for (const [sym, bytes] of bssTables) { bss.set(sym, at); at += bytes; }
    bss.set('__bss_end', at);
    return bss;
  };
  const first = build(layout(0));
  const end = first.labels.get('__image_end')!;
  const bss = layout(end);
  const asm = build(bss);
  if (bss.get('__bss_end')! - SUP_BASE > POOL_START) throw new Error(`${file}: the runner image is too large (${bss.get('__bss_end')! - origin} bytes with .bss)`);
  const results = asm.labels.get('__results')! - SUP_BASE;

  const r = await boot({ kernel: asm.code, memoryMB: GUEST_MB, timeoutMs: opts.timeoutMs ?? 60000, readMemory: { address: results, length: steps.length * SLOT } });
  report.wallMs = r.wallMs;
  report.instructions = r.instructions;
  const view = r.memory ? new DataView(r.memory.buffer, r.memory.byteOffset, r.memory.byteLength) : undefined;
  const runNote = r.exitCode === 0 ? '' : ` [run ended: ${r.reason}${r.crash ? ' ' + r.crash : ''}]`;
  steps.forEach((s, k) => {
    const status = view ? view.getUint32(k * SLOT, true) : 0;
    const lo = view ? view.getUint32(k * SLOT + 4, true) : 0;
    const hi = view ? view.getUint32(k * SLOT + 8, true) : 0;
    const extra = view ? view.getUint32(k * SLOT + 12, true) : 0;
    if (status === (0x100 | TRAP.UNSUPPORTED)) { skip(s.line, s.command, `${FEATURES[extra] ?? 'other'} (reached at run time)`); return; }
    const why = s.judge(status, lo, hi, extra);
    if (why === undefined) { report.passed++; report.outcomes.push({ line: s.line, command: s.command, ok: true }); }
    else fail(s.line, s.command, why + (status === 0 ? runNote : ''));
  });
  report.outcomes.sort((a, b) => a.line - b.line);
  report.failed.sort((a, b) => a.line - b.line);
  return report;
}

function mem4(base: number, disp: number): Operand { return mem(4, base, disp); }

/** One line per report: counts and skip reasons. */
export function summarize(r: SpecReport): string {
  const sk = [...r.skipped].map(([k, v]) => `${v} ${k}`).join(', ');
  return `${r.file}: ${r.passed} passed, ${r.failed.length} failed, ${[...r.skipped.values()].reduce((a, b) => a + b, 0)} skipped${sk ? ` (${sk})` : ''}, ${r.notApplicable} validation asserts n/a; modules ${r.modules.translated} translated, ${r.modules.skipped.length} skipped`;
}
