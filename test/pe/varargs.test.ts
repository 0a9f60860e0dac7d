// A call that leaves out optional arguments makes AssemblyScript pass their
// count through one module global, which another thread can overwrite before
// the callee reads it (scripts/asrt/varargs.ts). Every threaded image (the
// kernel, System32, the test programs) is compiled with `threads: true`, which
// refuses such a call and names it.

import { describe, expect, it } from 'vitest';
import { compileAssemblyScript } from '../../scripts/asc.ts';
import { argumentCountReaders } from '../../scripts/asrt/varargs.ts';

const OMITTED = 'test/pe/programs/varargs.ts';
const FULL = 'test/pe/programs/varargsfull.ts';

describe('optional arguments in threaded images', () => {
  it('a call that leaves one out is refused, naming the callee and the caller', async () => {
    await expect(compileAssemblyScript(OMITTED, [], false, { threads: true }))
      .rejects.toThrow(/leave out optional arguments[\s\S]*\n  ~lib\/string\/String\.fromCharCode, called without all its arguments by test\/pe\/programs\/varargs\/(decimal, test\/pe\/programs\/varargs\/upper|upper, test\/pe\/programs\/varargs\/decimal)$/);
  }, 60000);

  it('the compiled text shows why: the callers store the count, the trampoline reads it', async () => {
    const { wat } = await compileAssemblyScript(OMITTED, [], true);
    expect(wat).toMatch(/global\.set \$~argumentsLength/);
    const readers = argumentCountReaders(wat!);
    expect(readers.map((r) => r.reader)).toEqual(['~lib/string/String.fromCharCode@varargs']);
    expect(readers[0].callers.sort()).toEqual(['test/pe/programs/varargs/decimal', 'test/pe/programs/varargs/upper']);
  }, 60000);

  it('the same program passing every argument compiles, and nothing reads the count', async () => {
    const r = await compileAssemblyScript(FULL, [], true, { threads: true });
    expect(r.wasm.length).toBeGreaterThan(0);
    expect(argumentCountReaders(r.wat!)).toEqual([]);
  }, 60000);
});
