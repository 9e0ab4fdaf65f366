import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

/**
 * Workspace packages export `src/index.ts` under the custom `@boltzflow/source` condition and `dist/` otherwise
 * (CONTRIBUTING.md, "Packages"): tests read the sources, so no build is needed. Child processes that tests spawn
 * (`node --import tsx …`) get the condition through NODE_OPTIONS, as under `npm test` (the root .npmrc sets it).
 */
export const SOURCE_CONDITION = '@boltzflow/source';
const nodeOptions = process.env.NODE_OPTIONS ?? '';
if (!nodeOptions.includes(`--conditions=${SOURCE_CONDITION}`)) process.env.NODE_OPTIONS = `${nodeOptions} --conditions=${SOURCE_CONDITION}`.trim();

/** One test config for every package: forked workers (tfjs-wasm is not thread-safe to share), long timeouts for seeded statistical tests. */
export default defineConfig({
  resolve: { conditions: [SOURCE_CONDITION, ...defaultClientConditions] },
  ssr: { resolve: { conditions: [SOURCE_CONDITION, ...defaultServerConditions], externalConditions: [SOURCE_CONDITION] } },
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
