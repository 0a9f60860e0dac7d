// The intrinsics have one table on each side of the toolchain: the
// translator's (KERNEL_INTRINSICS in scripts/wasm2x86/api.ts, what it can emit
// inline) and the SDK's declarations for AssemblyScript
// (kernel/sdk/intrinsics.ts). They must name the same imports; any other
// `@external("kernel", ...)` in the tree must be one of them.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KERNEL_INTRINSICS } from '../../scripts/wasm2x86/api.ts';
import { compileModule, TranslateError } from '../../scripts/wasm2x86/index.ts';

const ROOT = join(import.meta.dirname, '../..');
const declared = (text: string) => [...text.matchAll(/@external\("kernel",\s*"([^"]+)"\)/g)].map((m) => m[1]);

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return n === 'node_modules' ? [] : sources(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

describe('intrinsics', () => {
  it('kernel/sdk/intrinsics.ts declares exactly the translator\'s table', () => {
    const sdk = declared(readFileSync(join(ROOT, 'kernel/sdk/intrinsics.ts'), 'utf8'));
    expect(new Set(sdk).size).toBe(sdk.length);
    expect([...sdk].sort()).toEqual([...KERNEL_INTRINSICS].sort());
  });
  it('every other "kernel" import in the tree is an intrinsic', () => {
    for (const dir of ['kernel', 'smss', 'images', 'test']) {
      for (const f of sources(join(ROOT, dir))) {
        for (const name of declared(readFileSync(f, 'utf8'))) expect(KERNEL_INTRINSICS.has(name), `${f}: kernel.${name}`).toBe(true);
      }
    }
  });
  it('the translator refuses a "kernel" import outside the table', () => {
    // (module (import "kernel" "rdmsr" (func)) (func (call 0)))
    const wasm = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 2, 16, 1, 6, 107, 101, 114, 110, 101, 108, 5, 114, 100, 109, 115, 114, 0, 0,
      3, 2, 1, 0, 10, 6, 1, 4, 0, 16, 0, 11]);
    new WebAssembly.Module(wasm);
    expect(() => compileModule(wasm, { trapHandler: 'trap' })).toThrow(TranslateError);
    expect(() => compileModule(wasm, { trapHandler: 'trap' })).toThrow(/unknown intrinsic kernel\.rdmsr/);
  });
});
