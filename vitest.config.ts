import { defineConfig } from 'vitest/config';

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
    reporters: ['default'],
  },
});
