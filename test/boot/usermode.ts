// Shared by the ring-3 boot tests: build AssemblyScript user programs into
// boot modules, boot a kernel carrying them, and return the log lines
// without their timestamps.
import { join } from 'node:path';
import { expect } from 'vitest';
import { buildKernel, ROOT } from '../../scripts/build.ts';
import { buildUserProgram } from '../../scripts/userprog.ts';
import { boot } from '../../emulator/node/boot.ts';

/** The UIMG image of test/boot/programs/<name>.ts. */
export const program = (name: string) => buildUserProgram(join(ROOT, 'test/boot/programs', `${name}.ts`));
/** Log lines without their `[seconds]` prefix. */
export const msg = (lines: string[]) => lines.map((l) => l.replace(/^\[\s*\d+\.\d+\] /, ''));

/**
 * Boots with these (module name, program) pairs until the idle loop; no bug check allowed.
 * With CHAOS=SEED in the environment: the chaos kernel with `chaos=SEED` (README, "Races").
 */
export async function run(modules: Array<[string, string]>, timeoutMs = 30000): Promise<string[]> {
  const bootModules = await Promise.all(modules.map(async ([name, src]) => ({ name, bytes: await program(src) })));
  const chaos = process.env.CHAOS;
  const { kernelImage } = await buildKernel({ bootModules, write: false, chaos: chaos !== undefined });
  const r = await boot({ kernel: kernelImage, until: 'ke: idle loop', timeoutMs, cmdline: chaos !== undefined ? `chaos=${chaos}` : undefined });
  expect(r.stop).toBeUndefined();
  expect(r.reached).toBe(true);
  return msg(r.lines);
}
