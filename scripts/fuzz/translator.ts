// The translator's differential fuzzer: random valid modules (wasmgen.ts) run
// in Node's WebAssembly and, translated by wasm2x86, as x86 in v86 through
// the spec runner (test/spec/runner.ts); results, traps and a digest of the
// memory and globals after every call must agree.
//
// For each module: V8 validates and runs it (the reference), then the
// translator compiles and assembles it alone (a crash is a failure, found
// without booting). The modules that translate go to v86 in batches, one boot
// per batch, as spec commands whose expectations are V8's outcomes. A failing
// module is minimized: every single-node reduction (a subtree replaced by a
// constant or removed, a call dropped) is tried, a round of them in one boot,
// and the smallest that still fails the same way is kept, until none does.
// Each minimized failure is written as a .wast script (wabt prints the module)
// that test/spec/regress/ can keep.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import wabtInit from 'wabt';
import { compileModule, type CompileOptions } from '../wasm2x86/index.ts';
import { assemble } from '../wasm2x86/emit.ts';
import { runCommands } from '../../test/spec/runner.ts';
import type { Command, Value } from '../../test/spec/wast.ts';
import { Rng, generateModule, encodeModule, zero, type ModuleDef, type Call, type Node, type T } from './wasmgen.ts';

export interface TranslatorFuzzOptions {
  seed: number;
  modules: number;
  /** Modules per v86 boot. */
  batch?: number;
  /** Minimize at most this many failures (the rest are counted). */
  minimize?: number;
  /** Rounds of reduction per failure (default 60; each round is at least one boot for a disagreement). */
  minimizeRounds?: number;
  /** Where minimized failures go as .wast scripts (none: not written). */
  outDir?: string;
  log?: (line: string) => void;
  /** Leave bulk memory out of the generated modules. */
  noBulk?: boolean;
  /** Translator options over the spec runner's (a test turns a check off to see the fuzzer catch it). */
  compileOptions?: Partial<CompileOptions>;
}

/** One call's outcome in V8: a value, nothing, or a trap message in the spec's words. */
type Outcome = { kind: 'value'; t: T | null; v?: bigint } | { kind: 'trap'; message: string };
interface Reference { calls: Array<{ call: Call; types: T[]; result: Outcome; digest: number }> }

export interface Failure {
  seed: number;
  index: number;
  kind: 'crash' | 'disagreement';
  /** The crash message, or the first disagreeing command and what differed. */
  detail: string;
  /** The minimized script, and the module's size before and after minimization. */
  wast?: string;
  originalBytes?: number;
  minimizedBytes?: number;
  file?: string;
}

export interface TranslatorFuzzReport {
  modules: number;
  calls: number;
  crashes: number;
  disagreements: number;
  invalid: number;
  failures: Failure[];
  boots: number;
  ms: number;
}

const V8_TRAPS: Array<[RegExp, string]> = [
  [/^unreachable/, 'unreachable'], [/(divide|remainder) by zero/, 'integer divide by zero'], [/unrepresentable/, 'integer overflow'],
  [/memory access out of bounds/, 'out of bounds memory access'], [/table index is out of bounds/, 'undefined element'],
  [/signature mismatch/, 'indirect call type mismatch'],
];

/** Runs the module in V8: the reference outcomes (undefined when V8 rejects the module: a generator bug). */
export function runReference(bytes: Uint8Array, mod: ModuleDef, calls: Call[]): Reference | undefined {
  let inst: WebAssembly.Instance;
  try { inst = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), {}); } catch { return undefined; }
  const ex = inst.exports as Record<string, (...a: unknown[]) => unknown>;
  const out: Reference = { calls: [] };
  for (const call of calls) {
    const f = mod.funcs[call.func];
    ex.reset();
    let result: Outcome;
    try {
      const got = ex[`f${call.func}`](...call.args.map((a, i) => (f.params[i] === 'i32' ? Number(BigInt.asIntN(32, a)) : a)));
      result = { kind: 'value', t: f.result, v: f.result === 'i32' ? BigInt(got as number) : f.result === 'i64' ? BigInt.asIntN(64, got as bigint) : undefined };
    } catch (e) {
      let message = 'unknown trap';
      if (e instanceof RangeError) message = 'call stack exhausted';
      else if (e instanceof WebAssembly.RuntimeError) message = V8_TRAPS.find(([re]) => re.test(e.message))?.[1] ?? `V8: ${e.message}`;
      else throw e;
      result = { kind: 'trap', message };
    }
    out.calls.push({ call, types: f.params, result, digest: (ex.digest() as number) | 0 });
  }
  return out;
}

/** The options the spec runner translates with, for the crash check. */
function translateAlone(bytes: Uint8Array, over: Partial<CompileOptions> = {}): string | undefined {
  try {
    const c = compileModule(bytes, {
      prefix: 'm0_', name: 'fuzz', intrinsics: false, trapHandler: '__rt_trap', stackLimit: '__stack_limit',
      checkOffsetCarry: true, checkBulkBounds: true, memoryGrowHook: 'm0_grow_hook', maxMemoryPages: 2, unsupportedFunctions: 'error',
      ...over,
    });
    assemble(c.insns, 0x50100000, new Map([['__rt_trap', 0x1000], ['__stack_limit', 0x2000], ['m0_grow_hook', 0x3000]]));
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** A crash message without the numbers and positions that vary between modules. */
function crashClass(msg: string): string {
  // "fuzz: function 2 (f2), select at byte 0x1ba: register allocation failed: ..." -> "select: register allocation failed: ..."
  const at = /, (\S+) at byte 0x[0-9a-f]+: (.*)/.exec(msg.split('\n')[0]);
  const text = at ? `${at[1]}: ${at[2]}` : msg.split('\n').slice(0, 2).join(' ');
  return text.replace(/0x[0-9a-f]+|\d+/gi, 'N').slice(0, 120);
}

const val = (t: T, v: bigint): Value => (t === 'i32' ? { type: 'i32', value: Number(BigInt.asIntN(32, v)) } : { type: 'i64', value: BigInt.asUintN(64, v) });

/** Spec commands for one module and its calls; lines start at `line`. */
function commandsFor(bytes: Uint8Array, ref: Reference, line: number, name: string): Command[] {
  const cmds: Command[] = [{ kind: 'module', line, name, source: { form: 'binary', bytes } }];
  ref.calls.forEach((c, k) => {
    const l = line + 1 + 3 * k;
    const act = (n: string, args: Value[] = []) => ({ kind: 'invoke' as const, module: name, name: n, args });
    cmds.push({ kind: 'action', line: l, action: act('reset') });
    const action = act(`f${c.call.func}`, c.types.map((t, i) => val(t, c.call.args[i])));
    if (c.result.kind === 'trap') cmds.push({ kind: 'assert_trap', line: l + 1, action, message: c.result.message });
    else cmds.push({ kind: 'assert_return', line: l + 1, action, expected: c.result.t ? [val(c.result.t, c.result.v!)] : [] });
    cmds.push({ kind: 'assert_return', line: l + 2, action: act('digest'), expected: [{ type: 'i32', value: c.digest }] });
  });
  return cmds;
}

interface Case { mod: ModuleDef; calls: Call[]; bytes: Uint8Array; ref: Reference }

function prepare(mod: ModuleDef, calls: Call[]): Case | undefined {
  const bytes = encodeModule(mod);
  const ref = runReference(bytes, mod, calls);
  if (!ref) return undefined;
  return { mod, calls, bytes, ref };
}

/**
 * Runs cases in v86, `batch` per boot. Returns for each case the first
 * disagreement (undefined: all agreed). A boot that stops early (a hang)
 * blames the first case that did not finish and re-runs the rest.
 */
async function runInV86(cases: Case[], batch: number, counter: { boots: number }, over: Partial<CompileOptions> = {}): Promise<Array<string | undefined>> {
  const verdict: Array<string | undefined> = new Array(cases.length).fill(undefined);
  let start = 0;
  while (start < cases.length) {
    const chunk = cases.slice(start, start + batch);
    const cmds: Command[] = [];
    chunk.forEach((c, k) => cmds.push(...commandsFor(c.bytes, c.ref, (k + 1) * 1000, `$m${k}`)));
    counter.boots++;
    const report = await runCommands('fuzz', cmds, { timeoutMs: 30000, memoryCap: 2, compileOptions: over });
    let hang = -1;
    for (const o of report.failed) {
      const k = Math.floor(o.line / 1000) - 1;
      if (/did not run/.test(o.detail ?? '') && hang < 0) hang = k;
      if (hang >= 0 && k > hang) continue;
      verdict[start + k] ??= `line ${o.line % 1000}: ${o.command}: ${o.detail}`;
    }
    for (const [reason, n] of report.skipped) if (n) for (let k = 0; k < chunk.length; k++) verdict[start + k] ??= `skipped: ${reason}`;
    if (hang >= 0) { verdict[start + hang] = `hang: ${verdict[start + hang] ?? 'the run stopped in this module'}`; start += hang + 1; for (let k = start; k < start + batch; k++) verdict[k] = undefined; continue; }
    start += batch;
  }
  return verdict;
}

// ---- minimization ----

function cloneMod(m: ModuleDef): ModuleDef { return structuredClone(m); }

/** Every single-step reduction of a case: calls dropped, statements removed, expressions replaced. */
function reductions(mod: ModuleDef, calls: Call[]): Array<{ mod: ModuleDef; calls: Call[] }> {
  const out: Array<{ mod: ModuleDef; calls: Call[] }> = [];
  for (let i = 0; i < calls.length && calls.length > 1; i++) out.push({ mod, calls: calls.filter((_, j) => j !== i) });
  // Address nodes by a path so each candidate edits its own clone.
  type Site = { f: number; path: Array<[string, number]>; n: Node; stmt: boolean };
  const sites: Site[] = [];
  const visitList = (f: number, list: Node[], path: Array<[string, number]>, key: string) => {
    list.forEach((n, i) => { const p = [...path, [key, i] as [string, number]]; sites.push({ f, path: p, n, stmt: n.t === null || (key !== 'kids' && i < list.length) }); visitNode(f, n, p); });
  };
  const visitNode = (f: number, n: Node, path: Array<[string, number]>) => {
    n.kids.forEach((k, j) => { const p = [...path, ['kids', j] as [string, number]]; sites.push({ f, path: p, n: k, stmt: false }); visitNode(f, k, p); });
    if (n.body) visitList(f, n.body, path, 'body');
    if (n.els) visitList(f, n.els, path, 'els');
  };
  mod.funcs.forEach((fn, f) => visitList(f, fn.body, [], 'top'));
  const locate = (m: ModuleDef, s: Site): { list: Node[]; i: number } => {
    let list = m.funcs[s.f].body, node: Node | undefined;
    for (const [key, i] of s.path) {
      if (node) list = key === 'kids' ? node.kids : key === 'body' ? node.body! : node.els!;
      node = list[i];
      if (key === s.path[s.path.length - 1][0] && i === s.path[s.path.length - 1][1] && node === undefined) break;
    }
    return { list, i: s.path[s.path.length - 1][1] };
  };
  for (const s of sites) {
    const isStmtList = s.path[s.path.length - 1][0] !== 'kids';
    const simple = s.n.kids.length === 0 && !s.n.body;
    if (isStmtList && (s.n.t === null || s.n.op === 'drop')) {
      const m = cloneMod(mod); const { list, i } = locate(m, s); list.splice(i, 1); out.push({ mod: m, calls });
    } else if (s.n.t && !simple) {
      const m = cloneMod(mod); const { list, i } = locate(m, s); list[i] = zero(s.n.t); out.push({ mod: m, calls });
      // Or one of its children of the same type.
      s.n.kids.forEach((k, j) => {
        if (k.t !== s.n.t) return;
        const m2 = cloneMod(mod); const l2 = locate(m2, s); l2.list[l2.i] = l2.list[l2.i].kids[j]; out.push({ mod: m2, calls });
      });
    }
  }
  return out;
}

const size = (m: ModuleDef, calls: Call[]) => encodeModule(m).length + 8 * calls.length;

async function minimize(c: Case, kind: Failure['kind'], cls: string, batch: number, counter: { boots: number }, log: (s: string) => void, over: Partial<CompileOptions>, rounds: number): Promise<Case> {
  let best = c;
  for (let round = 0; round < rounds; round++) {
    const cands = reductions(best.mod, best.calls).map((r) => prepare(r.mod, r.calls)).filter((x): x is Case => !!x);
    let found: Case | undefined;
    if (kind === 'crash') {
      found = cands.filter((x) => { const m = translateAlone(x.bytes, over); return m !== undefined && crashClass(m) === cls; })
        .sort((a, b) => size(a.mod, a.calls) - size(b.mod, b.calls))[0];
    } else {
      // Smallest first, one boot per batch: the first batch with a failing candidate ends the round.
      const ok = cands.filter((x) => translateAlone(x.bytes, over) === undefined).sort((a, b) => size(a.mod, a.calls) - size(b.mod, b.calls));
      for (let i = 0; i < ok.length && !found; i += batch) {
        const chunk = ok.slice(i, i + batch);
        const v = await runInV86(chunk, batch, counter, over);
        found = chunk.find((_, k) => v[k] !== undefined && !v[k]!.startsWith('hang'));
      }
    }
    if (!found || size(found.mod, found.calls) >= size(best.mod, best.calls)) break;
    best = found;
    log(`  minimize round ${round + 1}: ${size(best.mod, best.calls)} bytes`);
  }
  return best;
}

let wabtPromise: Promise<any> | undefined;
/** A .wast regression script for a case: the module as text, then its calls with V8's outcomes. */
export async function toWast(c: Case, title: string[]): Promise<string> {
  const w = await (wabtPromise ??= (wabtInit as any)());
  const m = w.readWasm(c.bytes, { readDebugNames: false, bulk_memory: true, sign_extension: true });
  let text: string;
  try { m.generateNames(); m.applyNames(); text = m.toText({ foldExprs: false, inlineExport: true }); } finally { m.destroy(); }
  const lit = (t: T, v: bigint) => `(${t}.const ${t === 'i32' ? BigInt.asIntN(32, v) : BigInt.asIntN(64, v)})`;
  const lines = [...title.map((t) => `;; ${t}`), text.trim()];
  for (const r of c.ref.calls) {
    const f = c.mod.funcs[r.call.func];
    const inv = `(invoke "f${r.call.func}"${r.call.args.map((a, i) => ' ' + lit(f.params[i], a)).join('')})`;
    lines.push('(invoke "reset")');
    if (r.result.kind === 'trap') lines.push(`(assert_trap ${inv} "${r.result.message}")`);
    else lines.push(`(assert_return ${inv}${r.result.t ? ' ' + lit(r.result.t, r.result.v!) : ''})`);
    lines.push(`(assert_return (invoke "digest") (i32.const ${r.digest}))`);
  }
  return lines.join('\n') + '\n';
}

/** Seed of module k of a run. */
const moduleSeed = (seed: number, k: number) => (Math.imul(seed ^ 0x5BD1E995, 0x9E3779B1) + Math.imul(k + 1, 0x85EBCA6B)) >>> 0;

export function caseOf(seed: number, k: number, noBulk = false): Case | undefined {
  const rng = new Rng(moduleSeed(seed, k));
  const { mod, calls } = generateModule(rng);
  if (noBulk) stripBulk(mod);
  return prepare(mod, calls);
}

function stripBulk(mod: ModuleDef): void {
  const strip = (list: Node[]) => {
    for (let i = list.length - 1; i >= 0; i--) {
      const n = list[i];
      if (n.op === 'memory.fill' || n.op === 'memory.copy') { list.splice(i, 1); continue; }
      if (n.body) strip(n.body);
      if (n.els) strip(n.els);
    }
  };
  mod.funcs.forEach((f) => strip(f.body));
}

export async function fuzzTranslator(o: TranslatorFuzzOptions): Promise<TranslatorFuzzReport> {
  const t0 = performance.now();
  const log = o.log ?? (() => {});
  const batch = o.batch ?? 40;
  const counter = { boots: 0 };
  const report: TranslatorFuzzReport = { modules: 0, calls: 0, crashes: 0, disagreements: 0, invalid: 0, failures: [], boots: 0, ms: 0 };
  const toMinimize: Array<{ c: Case; f: Failure; cls: string }> = [];
  const seenClasses = new Set<string>();
  for (let start = 0; start < o.modules; start += batch) {
    const runnable: Array<{ c: Case; k: number }> = [];
    for (let k = start; k < Math.min(start + batch, o.modules); k++) {
      const c = caseOf(o.seed, k, o.noBulk);
      if (!c) { report.invalid++; continue; }
      report.modules++;
      report.calls += c.calls.length;
      const crash = translateAlone(c.bytes, o.compileOptions);
      if (crash !== undefined) {
        report.crashes++;
        const cls = crashClass(crash);
        const f: Failure = { seed: o.seed, index: k, kind: 'crash', detail: crash.split('\n').slice(0, 3).join(' | ') };
        report.failures.push(f);
        if (!seenClasses.has(cls)) { seenClasses.add(cls); toMinimize.push({ c, f, cls }); }
        continue;
      }
      runnable.push({ c, k });
    }
    const v = await runInV86(runnable.map((r) => r.c), batch, counter, o.compileOptions);
    v.forEach((why, i) => {
      if (why === undefined) return;
      report.disagreements++;
      const f: Failure = { seed: o.seed, index: runnable[i].k, kind: 'disagreement', detail: why };
      report.failures.push(f);
      const cls = 'disagreement:' + why.replace(/line \d+: /, '').replace(/-?\d+|0x[0-9a-f]+/gi, 'N').replace(/"f\d+"\(.*?\)/, 'f').slice(0, 80);
      if (!seenClasses.has(cls)) { seenClasses.add(cls); toMinimize.push({ c: runnable[i].c, f, cls }); }
    });
    log(`[fuzz translator] seed ${o.seed}: ${Math.min(start + batch, o.modules)}/${o.modules} modules, ${report.calls} calls, ${report.crashes} translator crashes, ${report.disagreements} disagreements (${counter.boots} boots, ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
  const limit = o.minimize ?? 5;
  for (const { c, f, cls } of toMinimize.slice(0, limit)) {
    log(`[fuzz translator] minimizing module ${f.index} (${f.kind}: ${f.detail.slice(0, 160)})`);
    const m = await minimize(c, f.kind, f.kind === 'crash' ? cls : '', batch, counter, log, o.compileOptions ?? {}, o.minimizeRounds ?? 60);
    f.originalBytes = c.bytes.length;
    f.minimizedBytes = m.bytes.length;
    f.wast = await toWast(m, [`translator fuzzer, seed ${f.seed}, module ${f.index}, minimized`, `${f.kind}: ${f.detail.slice(0, 200)}`]);
    if (o.outDir) {
      mkdirSync(o.outDir, { recursive: true });
      f.file = join(o.outDir, `translator-${f.seed}-${f.index}.wast`);
      writeFileSync(f.file, f.wast);
      log(`[fuzz translator] wrote ${f.file}`);
    }
  }
  report.boots = counter.boots;
  report.ms = performance.now() - t0;
  return report;
}
