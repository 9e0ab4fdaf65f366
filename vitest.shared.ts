import { defineConfig } from 'vitest/config';

/** One test config for every package: forked workers (tfjs-wasm is not thread-safe to share), long timeouts for seeded statistical tests. */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    pool: 'forks',
    passWithNoTests: true,
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 60_000,
    setupFiles: [new URL('./tools/test-setup.ts', import.meta.url).pathname],
  },
});
