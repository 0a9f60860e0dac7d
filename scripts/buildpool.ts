// The build's independent jobs on every core: the AssemblyScript compiles of
// the kernels and of System32's images, each in a thread of its own.
//
// binaryen.js (asc's optimiser, about three quarters of a clean build's CPU)
// runs on one thread, so one process keeps one core busy however many
// programs it compiles. runBuildJobs() starts threads - 1 worker threads
// (scripts/buildworker.mjs) beside the calling thread; every thread takes the
// next job from one list through a shared counter (Atomics.add), so a thread
// that finishes early takes the next job even while the calling thread is
// busy in a long synchronous compile that does not read its messages. Jobs
// leave their results where the sequential build finds them again: a kernel
// job in build/cache/asc and build/cache/kernel (buildKernel({ write: false })),
// an image job in build/system32 (buildSystemImage).

import { availableParallelism } from 'node:os';
import { Worker, parentPort, workerData } from 'node:worker_threads';
import { writeSysent } from './services.ts';
import { writeStatusNames } from './statusnames.ts';

/** A kernel variant (buildKernel's product, chaos or self-test kernel) or a System32 image by file name. */
export type BuildJob = { kind: 'kernel'; variant: 'product' | 'chaos' | 'selftest' } | { kind: 'image'; name: string };

/** Threads a build uses: BUILD_THREADS when set (1: everything on the calling thread), else one per core. */
export function buildThreads(): number {
  const n = Number(process.env.BUILD_THREADS);
  return Number.isInteger(n) && n >= 1 ? n : Math.max(1, availableParallelism());
}

export function describeJob(job: BuildJob): string {
  return job.kind === 'kernel' ? `${job.variant} kernel` : `system32\\${job.name}`;
}

async function runJob(job: BuildJob, log?: (line: string) => void): Promise<void> {
  if (job.kind === 'kernel') {
    const { buildKernel } = await import('./build.ts');
    await buildKernel({ write: false, chaos: job.variant === 'chaos', selfTest: job.variant === 'selftest', log });
  } else {
    const { buildSystemImage } = await import('../images/system32.ts');
    await buildSystemImage(job.name, log);
  }
}

interface WorkerData { jobs: BuildJob[]; next: SharedArrayBuffer; verbose: boolean }
type WorkerMessage = { log: string } | { error: string };

/** Takes jobs from the shared counter until none is left. */
async function takeJobs(jobs: BuildJob[], next: Int32Array, log: ((line: string) => void) | undefined, failed: (job: BuildJob, e: Error) => void): Promise<void> {
  for (let i = Atomics.add(next, 0, 1); i < jobs.length; i = Atomics.add(next, 0, 1)) {
    try { await runJob(jobs[i], log); } catch (e) { failed(jobs[i], e as Error); }
  }
}

export interface BuildJobsOptions {
  threads?: number;
  log?: (line: string) => void;
  /** Work of the calling thread's own (the product kernel, written to build/) before it takes jobs from the list. */
  first?: () => Promise<void>;
}

/**
 * Runs `jobs` (longest first, for the threads to end together) on
 * `opts.threads` threads: this one and threads - 1 workers. Rejects with
 * every failed job's message once all threads are done.
 */
export async function runBuildJobs(jobs: BuildJob[], opts: BuildJobsOptions = {}): Promise<void> {
  // Generated sources, once and before any compile reads them (two threads writing one file would let a third read half of it).
  if (writeSysent()) opts.log?.('build: regenerated kernel/ke/sysent.ts from scripts/services.ts');
  if (writeStatusNames()) opts.log?.('build: regenerated images/system32/native/status.ts from kernel/sdk/ntstatus.ts');
  const next = new SharedArrayBuffer(4);
  const counter = new Int32Array(next);
  const errors: string[] = [];
  const failed = (job: BuildJob, e: Error) => errors.push(`${describeJob(job)}: ${e.message}`);
  const workers = Math.min(Math.max(1, opts.threads ?? buildThreads()) - 1, jobs.length);
  const running = Array.from({ length: workers }, () => new Promise<void>((resolve) => {
    const worker = new Worker(new URL('./buildworker.mjs', import.meta.url), { execArgv: [], workerData: { jobs, next, verbose: !!opts.log } satisfies WorkerData });
    worker.on('message', (m: WorkerMessage) => { if ('log' in m) opts.log?.(m.log); else errors.push(m.error); });
    worker.on('error', (e: Error) => { errors.push(`build worker: ${e.message}`); });
    worker.on('exit', (code) => { if (code !== 0) errors.push(`build worker: exit code ${code}`); resolve(); });
  }));
  try {
    await opts.first?.();
  } catch (e) {
    errors.push((e as Error).message);
  }
  await takeJobs(jobs, counter, opts.log, failed);
  await Promise.all(running);
  if (errors.length) throw new Error(errors.join('; '));
}

/**
 * A worker thread's body (scripts/buildworker.mjs calls it once this module
 * has loaded: run from this module's own top level, a kernel job's import of
 * build.ts, which imports this module, would wait for it forever).
 */
export async function buildWorkerMain(): Promise<void> {
  const data = workerData as WorkerData;
  const post = (m: WorkerMessage) => parentPort!.postMessage(m);
  await takeJobs(data.jobs, new Int32Array(data.next), data.verbose ? (line) => post({ log: line }) : undefined,
    (job, e) => post({ error: `${describeJob(job)}: ${e.message}` }));
}
