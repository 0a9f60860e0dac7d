// Before any test file runs (once per `vitest run`, in the main process): the
// kernels' AssemblyScript compiles (product, chaos, self-test) and System32's
// images, so the two workers find them in build/cache and build/system32
// instead of both making them at once. test/prebuild.ts does it in a process
// of its own, on every core (scripts/buildpool.ts). A failure here is not the
// tests' business: the files that need the build report it themselves.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../scripts/build.ts';

function prebuild(): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', pathToFileURL(join(ROOT, 'scripts', 'tsx.mjs')).href, join(ROOT, 'test', 'prebuild.ts')], {
      cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('error', (e) => resolve(e.message));
    child.on('close', (code) => {
      if (process.env.PREBUILD_LOG && err) process.stderr.write(err);
      resolve(code === 0 ? undefined : (err.trim().split('\n').find((l) => /error|Error/.test(l)) ?? `exit code ${code}`));
    });
  });
}

export default async function setup(): Promise<void> {
  const t0 = performance.now();
  const failure = await prebuild();
  if (failure) {
    console.error(`globalsetup: the build failed (${failure}); each test file builds for itself`);
    return;
  }
  if (process.env.PREBUILD_LOG) console.error(`globalsetup: kernels and System32 built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
