// The translator's differential fuzzer in CI: a short seeded run (Node's
// WebAssembly against wasm2x86's x86 in v86 must agree on every call), and
// proof that it catches a real difference: with the bulk-memory bounds checks
// turned off, the run disagrees on modules whose memory.fill/copy cross the
// memory's end, and the minimized failure keeps the bulk-memory instruction.
// The long run is `npm run fuzz -- translator --modules N`.

import { describe, expect, it } from 'vitest';
import { fuzzTranslator } from '../../scripts/fuzz/translator.ts';

describe('translator fuzzer', () => {
  it('seed 1: 100 random modules agree in V8 and v86', async () => {
    const r = await fuzzTranslator({ seed: 1, modules: 100, minimize: 1 });
    expect(r.invalid).toBe(0);
    expect(r.modules).toBe(100);
    expect(r.calls).toBeGreaterThan(300);
    expect(r.failures.map((f) => `module ${f.index}: ${f.kind}: ${f.detail}\n${f.wast ?? ''}`)).toEqual([]);
  }, 240000);

  it('catches and minimizes a planted difference (bulk-memory bounds checks off)', async () => {
    const r = await fuzzTranslator({ seed: 1, modules: 40, minimize: 1, minimizeRounds: 8, compileOptions: { checkBulkBounds: false } });
    expect(r.disagreements).toBeGreaterThan(0);
    const f = r.failures.find((x) => x.wast)!;
    expect(f.kind).toBe('disagreement');
    expect(f.wast).toMatch(/memory\.(fill|copy)/);
    // Minimized (eight rounds here): smaller than the module that failed.
    expect(f.minimizedBytes).toBeLessThan(f.originalBytes!);
  }, 240000);
});
