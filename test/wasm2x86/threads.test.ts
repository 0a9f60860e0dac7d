// The toolchain's stack switch (intrinsic kernel.swap_context), run as x86 in v86.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTestProgram } from '../../scripts/testprog.ts';
import { boot } from '../../emulator/node/boot.ts';
import { ROOT } from '../../scripts/build.ts';

describe('swap_context', () => {
  it('switches stacks, keeps each side\'s state, and loads the new stack limit', async () => {
    const p = await buildTestProgram(join(ROOT, 'test/wasm2x86/programs/threads.ts'));
    const r = await boot({ kernel: p.image, timeoutMs: 20000 });
    expect(r.crash).toBeUndefined();
    expect(r.log.split('\n')).toEqual([
      'main 0', 'worker 0', 'shared=0000000a',
      'main 1', 'worker 1', 'shared=00000014',
      'main 2', 'worker 2', 'shared=0000001e',
      'main 3', `worker local=${(((7 * 3 + 0) * 3 + 1) * 3 + 2).toString(16).padStart(8, '0')}`,
      'trap=00000008', 'deep enough=00000001', '',
    ]);
    expect(r.exitCode).toBe(0);
  }, 30000);
});
