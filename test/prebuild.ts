// Vitest's global setup (test/globalsetup.ts) in a process of its own: the
// product, chaos and self-test kernels' compiles and links and System32's
// images, as jobs on every core (scripts/buildpool.ts: this thread and one
// worker thread per other core take the next job, the kernels first). Each
// job leaves its work in build/cache and build/system32, where the test
// workers find it.
import { runBuildJobs, type BuildJob } from '../scripts/buildpool.ts';
import { staleSystemImages } from '../images/system32.ts';

const t0 = performance.now();
const log = process.env.PREBUILD_LOG ? (line: string) => console.error(line) : undefined;
const jobs: BuildJob[] = [
  { kind: 'kernel', variant: 'product' }, { kind: 'kernel', variant: 'chaos' }, { kind: 'kernel', variant: 'selftest' },
  ...staleSystemImages().map((name): BuildJob => ({ kind: 'image', name })),
];
try {
  await runBuildJobs(jobs, { log });
} catch (e) {
  console.error(`prebuild: ${(e as Error).message}`);
  process.exit(1);
}
log?.(`prebuild: ${jobs.length} jobs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
