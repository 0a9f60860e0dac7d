// The translator's chaos build (CompileOptions.chaosProbe, used for
// build/chaos/ntoskrnl.bin): a call to the probe at every function entry and
// loop head, none in the default build; run as x86 in v86 with a handler that
// clobbers registers, the program's results are the same as without probes
// and as in Node's WebAssembly.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTestProgram, runInNode } from '../../scripts/testprog.ts';
import { boot } from '../../emulator/node/boot.ts';
import { ROOT } from '../../scripts/build.ts';
import type { Insn } from '../../scripts/wasm2x86/x86.ts';

const PROGRAM = join(ROOT, 'test/wasm2x86/programs/chaos.ts');
const PROBE = { handler: 'chaosPoint', loops: true, exclude: ['chaosPoint'] };

/** Function labels (f<N>, not local labels) and, for each, whether its first instruction calls the probe. */
function entries(insns: Insn[]): Map<string, boolean> {
  const out = new Map<string, boolean>();
  insns.forEach((ins, i) => {
    if (ins.op === 'label' && /^f\d+$/.test(ins.target!)) out.set(ins.target!, insns[i + 1]?.op === 'call' && insns[i + 1].target === '__rt_chaos');
  });
  return out;
}
const probeCalls = (insns: Insn[]) => insns.filter((i) => i.op === 'call' && i.target === '__rt_chaos').length;

describe('chaos probes', () => {
  it('are at every function entry but the handler\'s and at loop heads in the chaos build, nowhere in the default build', async () => {
    const plain = await buildTestProgram(PROGRAM);
    const chaos = await buildTestProgram(PROGRAM, { chaosProbe: PROBE });
    expect(probeCalls(plain.insns)).toBe(0);
    expect(plain.insns.some((i) => i.op === 'label' && i.target?.startsWith('__rt_chaos'))).toBe(false);
    const e = entries(chaos.insns);
    const probed = [...e.values()].filter(Boolean).length;
    expect(e.size).toBeGreaterThan(5);
    expect(probed).toBe(e.size - 1); // chaosPoint is excluded
    // plus one per loop head: main, mix64, insertionSort and chaosPoint have loops
    expect(probeCalls(chaos.insns)).toBeGreaterThanOrEqual(probed + 4);
  }, 120_000);

  it('keep every register: the chaos build prints what Node and the default build print, and the handler ran', async () => {
    const node = await runInNode((await buildTestProgram(PROGRAM)).wasm);
    const plain = await boot({ kernel: (await buildTestProgram(PROGRAM)).image, timeoutMs: 30_000 });
    const chaos = await boot({ kernel: (await buildTestProgram(PROGRAM, { chaosProbe: PROBE })).image, timeoutMs: 30_000 });
    const strip = (log: string) => log.split('\n').filter((l) => !l.startsWith('probes='));
    expect(node.out).toContain('done\n');
    expect(strip(plain.log)).toEqual(strip(node.out));
    expect(strip(chaos.log)).toEqual(strip(node.out));
    expect(plain.log).toContain('probes=00000000');
    const probes = parseInt(/probes=([0-9a-f]{8})/.exec(chaos.log)![1], 16);
    // fib(20) alone makes 21891 calls; the handler re-arms after 1-3 probes
    expect(probes).toBeGreaterThan(21891 / 3);
    expect(chaos.exitCode).toBe(0);
  }, 120_000);
});
