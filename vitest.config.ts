import { defineConfig } from 'vitest/config';
import LongestFirst from './test/sequencer.ts';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // the kernel's compile and System32's images once, before the workers start (build/cache)
    globalSetup: ['test/globalsetup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores here and in CI: boots and builds are CPU-bound.
    maxWorkers: 2,
    // Each worker process runs file after file (no new process per file): what a
    // process built or compiled once (the kernel's translation, System32, v86's
    // wasm, standard machines, boot snapshots) serves every later file in it.
    // No test file mocks modules or changes process-wide state.
    isolate: false,
    // the longest files first (test/durations.json), so the two workers end together
    sequence: { sequencer: LongestFirst },
    reporters: ['default'],
  },
});
