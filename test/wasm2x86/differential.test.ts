// Differential tests: each AssemblyScript program runs as wasm in Node and as
// x86 in v86 (through wasm2x86 and the multiboot linker); the bytes printed
// and the exit code must be identical.

import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { buildTestProgram, runInNode } from '../../scripts/testprog.ts';
import { boot } from '../../emulator/node/boot.ts';

const DIR = join(import.meta.dirname, 'programs');
const PROGRAMS = ['crc32', 'sort', 'hash', 'copy', 'control', 'traps', 'atomics'];

describe('AssemblyScript programs: wasm in Node vs x86 in v86', () => {
  for (const name of PROGRAMS) {
    it(name, async () => {
      const prog = await buildTestProgram(join(DIR, `${name}.ts`));
      const ref = await runInNode(prog.wasm);
      expect(ref.out.length).toBeGreaterThan(0);
      const res = await boot({ kernel: prog.image, timeoutMs: 20000 });
      expect(res.crash).toBeUndefined();
      expect(res.timedOut).toBe(false);
      expect(res.log).toBe(ref.out);
      expect(res.exitCode).toBe(ref.exitCode);
    }, 60000);
  }
});
