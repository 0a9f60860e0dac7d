// Before any test file runs (once per `vitest run`, in the main process): the
// kernel's AssemblyScript compile and System32's images, so the two workers
// find them in build/cache and build/system32 instead of both making them at
// once. A failure here is not the tests' business: the files that need the
// build report it themselves.
import { buildKernel } from '../scripts/build.ts';
import { system32Files } from '../images/system32.ts';

export default async function setup(): Promise<void> {
  const t0 = performance.now();
  try {
    await buildKernel({ write: false });
    await system32Files();
  } catch (err) {
    console.error(`globalsetup: the build failed (${(err as Error).message.split('\n')[0]}); each test file builds for itself`);
    return;
  }
  if (process.env.PREBUILD_LOG) console.error(`globalsetup: kernel and System32 built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
