// The gcc reference of the benchmark kernels (scripts/bench/kernels.c):
// gcc -O2 -m32 -ffreestanding, linked with kernels.ld into a multiboot image.
// gcc is a bench-only dependency; without it the bench skips the comparison.

import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../build.ts';

export const GCC_FLAGS = ['-O2', '-m32', '-ffreestanding', '-fno-pic', '-fno-stack-protector', '-nostdlib', '-static'];

export function buildGccReference(): { elf: string; bin: string } | { skip: string } {
  try { execFileSync('gcc', ['--version'], { stdio: 'ignore' }); } catch { return { skip: 'gcc not installed' }; }
  const dir = mkdtempSync(join(tmpdir(), 'bench-'));
  const elf = join(dir, 'k.elf'), bin = join(dir, 'k.bin');
  try {
    execFileSync('gcc', [...GCC_FLAGS,
      `-Wl,-T,${join(ROOT, 'scripts/bench/kernels.ld')}`, '-Wl,--build-id=none', '-Wl,--no-warn-rwx-segments',
      '-o', elf, join(ROOT, 'scripts/bench/kernels.c')], { stdio: 'pipe' });
    execFileSync('objcopy', ['-O', 'binary', elf, bin]);
  } catch (e) {
    const err = e as Error & { stderr?: Buffer };
    return { skip: `gcc -m32 failed: ${(err.stderr?.toString() || err.message).split('\n').slice(0, 3).join(' ')}` };
  }
  return { elf, bin };
}
