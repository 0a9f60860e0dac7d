// A script's integer assertions run in V8 (Node's WebAssembly): proves the
// .wast reader, and the expected values of scripts written here (the
// regression scripts in regress/), against an engine nobody here wrote.

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { watToBinary } from './runner.ts';
import { parseWast, type Value } from './wast.ts';

/** Runs a script's integer assertions in V8: proves the reader and the expected values. */
export async function runInV8(path: string): Promise<{ passed: number; failed: string[] }> {
  const file = basename(path);
  const cmds = parseWast(readFileSync(path, 'utf8'), file);
  let inst: WebAssembly.Instance | undefined;
  let removed = new Map<string, string>();
  const named = new Map<string, WebAssembly.Instance>();
  const spectest = {
    print: () => {}, print_i32: () => {}, print_i64: () => {}, print_f32: () => {}, print_f64: () => {}, print_i32_f32: () => {}, print_f64_f64: () => {},
    global_i32: 666, global_i64: 666n, global_f32: 666.6, global_f64: 666.6,
    table: new WebAssembly.Table({ initial: 10, maximum: 20, element: 'anyfunc' }), memory: new WebAssembly.Memory({ initial: 1, maximum: 2 }),
  };
  const toJs = (v: Value) => (v.type === 'i32' ? v.value : v.type === 'i64' ? BigInt.asIntN(64, v.value) : undefined);
  let passed = 0;
  const failed: string[] = [];
  for (const c of cmds) {
    if (c.kind === 'module') {
      if (c.definition) continue;
      let bytes: Uint8Array;
      if (c.source.form === 'binary') { bytes = c.source.bytes; removed = new Map(); }
      else ({ bytes, removed } = await watToBinary(c.source.text, file));
      inst = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), { spectest: spectest as unknown as WebAssembly.ModuleImports });
      if (c.name) named.set(c.name, inst);
      continue;
    }
    if (c.kind !== 'assert_return' && c.kind !== 'assert_trap' && c.kind !== 'action') continue;
    const args = c.action.args.map(toJs);
    if (args.some((a) => a === undefined) || c.action.kind !== 'invoke') continue;
    const target = c.action.module ? named.get(c.action.module) : inst;
    const fn = target?.exports[c.action.name] as ((...a: unknown[]) => unknown) | undefined;
    if (!fn && removed.has(c.action.name)) continue; // a function wabt cannot parse
    if (!fn) { failed.push(`${c.line}: no export ${c.action.name}`); continue; }
    if (c.kind === 'action') { try { fn(...args); } catch { /* its outcome is not asserted */ } continue; }
    if (c.kind === 'assert_return') {
      const exp = c.expected.length ? c.expected[0] : undefined;
      if (exp && ('either' in exp || toJs(exp) === undefined)) continue;
      const got = fn(...args);
      if (exp === undefined ? got === undefined : got === toJs(exp as Value)) passed++;
      else failed.push(`${c.line}: ${c.action.name} got ${String(got)}`);
    } else {
      try { fn(...args); failed.push(`${c.line}: ${c.action.name} did not trap`); } catch (e) {
        if (e instanceof WebAssembly.RuntimeError) passed++; else failed.push(`${c.line}: ${String(e)}`);
      }
    }
  }
  return { passed, failed };
}

