// The WebAssembly spec suite, translated by wasm2x86 and run as x86 in v86.
//
// Every assertion of every module (or function) that uses only supported
// features must pass; the rest is skipped with the feature named, and the
// counts are printed. The runner itself is checked: the same parsed commands
// hold in V8 (Node's WebAssembly), and deliberately wrong expectations fail.

import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runWast, summarize, type SpecReport } from './runner.ts';
import { runInV8 } from './v8.ts';
import { SPEC_DIR, REQUIRED } from './files.ts';

const reports: SpecReport[] = [];
afterAll(() => {
  if (!reports.length) return;
  const lines = reports.map((r) => '  ' + summarize(r));
  const sum = (f: (r: SpecReport) => number) => reports.reduce((n, r) => n + f(r), 0);
  const reasons = new Map<string, number>();
  for (const r of reports) for (const [k, v] of r.skipped) reasons.set(k.split(':')[0], (reasons.get(k.split(':')[0]) ?? 0) + v);
  console.log(`WebAssembly spec suite as x86 in v86:\n${lines.join('\n')}\n` +
    `  total: ${sum((r) => r.passed)} passed, ${sum((r) => r.failed.length)} failed, ${sum((r) => [...r.skipped.values()].reduce((a, b) => a + b, 0))} skipped ` +
    `(${[...reasons].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${v} ${k}`).join(', ')}), ${sum((r) => r.notApplicable)} validation asserts n/a`);
});

/** Skip reasons a required script may have: features the translator does not support yet. */
const ALLOWED_SKIPS = /^(float|multi-value|multi-memory|memory-import|reference-types|elem-offset-global|either|text format)/;

function check(r: SpecReport): void {
  reports.push(r);
  const failures = r.failed.map((o) => `line ${o.line}: ${o.command}: ${o.detail}`);
  expect(failures).toEqual([]);
  for (const reason of r.skipped.keys()) expect(reason).toMatch(ALLOWED_SKIPS);
  const skipped = [...r.skipped.values()].reduce((a, b) => a + b, 0);
  // Something ran, unless every assertion of the script needs a missing feature.
  if (skipped < r.outcomes.length) expect(r.passed).toBeGreaterThan(0);
}

describe('spec scripts required by the toolchain issue', () => {
  for (const name of REQUIRED) {
    it(name, async () => check(await runWast(join(SPEC_DIR, `${name}.wast`))), 60000);
  }
});

describe('the other spec scripts (floating point: skipped where used)', () => {
  const others = readdirSync(SPEC_DIR).filter((f) => f.endsWith('.wast') && !REQUIRED.includes(f.slice(0, -5))).sort();
  for (const f of others) {
    it(f.slice(0, -5), async () => {
      const r = await runWast(join(SPEC_DIR, f));
      reports.push(r);
      expect(r.failed.map((o) => `line ${o.line}: ${o.command}: ${o.detail}`)).toEqual([]);
    }, 60000);
  }
});

describe('the runner can fail', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'spec-neg-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  it('wrong results, missing traps, wrong trap kinds and unexpected traps are failures', async () => {
    const path = join(tmp, 'neg.wast');
    writeFileSync(path, `
(module
  (memory 1)
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "wide") (param i64) (result i64) (i64.shl (local.get 0) (i64.const 33)))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
)
(assert_return (invoke "add" (i32.const 2) (i32.const 3)) (i32.const 5))
(assert_return (invoke "add" (i32.const 2) (i32.const 3)) (i32.const 6))
(assert_return (invoke "wide" (i64.const 1)) (i64.const 0x200000000))
(assert_return (invoke "wide" (i64.const 1)) (i64.const 0x100000000))
(assert_trap (invoke "div" (i32.const 1) (i32.const 1)) "integer divide by zero")
(assert_trap (invoke "div" (i32.const 1) (i32.const 0)) "integer overflow")
(assert_trap (invoke "div" (i32.const 1) (i32.const 0)) "integer divide by zero")
(assert_return (invoke "load" (i32.const 65536)) (i32.const 0))
(assert_trap (invoke "load" (i32.const 65533)) "out of bounds memory access")
(assert_return (invoke "add" (i32.const -1) (i32.const 1)) (i32.const 0))
`);
    const r = await runWast(path);
    const byLine = new Map(r.outcomes.map((o) => [o.line, o]));
    const ok = (line: number) => byLine.get(line)?.ok;
    expect([9, 11, 15, 17, 18].map(ok)).toEqual([true, true, true, true, true]);
    expect([10, 12, 13, 14, 16].map(ok)).toEqual([false, false, false, false, false]);
    expect(byLine.get(10)!.detail).toMatch(/got 5 .*expected 6/);
    expect(byLine.get(12)!.detail).toMatch(/got 8589934592 .*expected 4294967296/);
    expect(byLine.get(13)!.detail).toMatch(/expected trap "integer divide by zero", returned/);
    expect(byLine.get(14)!.detail).toMatch(/expected trap "integer overflow", trapped: integer divide by zero/);
    expect(byLine.get(16)!.detail).toMatch(/trapped: out of bounds memory access/);
    expect(r.passed).toBe(6); // five assertions and the instantiation
    expect(r.failed).toHaveLength(5);
  }, 60000);
});

describe('the .wast reader, checked in V8', () => {
  for (const f of ['i32.wast', 'i64.wast', 'int_literals.wast', 'memory_trap.wast', 'address.wast', 'br_table.wast']) {
    it(f, async () => {
      const r = await runInV8(join(SPEC_DIR, f));
      expect(r.failed).toEqual([]);
      expect(r.passed).toBeGreaterThan(20);
    });
  }
});
