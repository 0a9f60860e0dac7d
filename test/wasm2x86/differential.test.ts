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

describe('data segments LZ-compressed (CompileOptions.compressData, as the kernel is built)', () => {
  for (const name of ['control', 'traps']) {
    it(name, async () => {
      const prog = await buildTestProgram(join(DIR, `${name}.ts`), { compressData: true });
      // The segments went through lzss (no table or blob of their own in the image).
      expect(prog.insns.some((i) => i.op === 'label' && i.target === '__data_lz')).toBe(true);
      expect(prog.insns.some((i) => i.op === 'label' && i.target === '__data_blob')).toBe(false);
      // ... with back-references in it (a flag bit clear: a 2-byte match), which the unpacker copies.
      const lz = prog.insns[prog.insns.findIndex((i) => i.op === 'label' && i.target === '__data_lz') + 1].bytes!;
      let matches = 0;
      for (let k = 0; k < lz.length;) { const flags = lz[k++]; for (let b = 0; b < 8 && k < lz.length; b++) { if (flags & (1 << b)) k++; else { k += 2; matches++; } } }
      expect(matches).toBeGreaterThan(0);
      const ref = await runInNode(prog.wasm);
      const res = await boot({ kernel: prog.image, timeoutMs: 20000 });
      expect(res.crash).toBeUndefined();
      expect(res.log).toBe(ref.out);
      expect(res.exitCode).toBe(ref.exitCode);
    }, 60000);
  }
});
