import { defaultClientConditions, defineConfig } from 'vite';

// Workspace packages resolve to their TypeScript sources (CONTRIBUTING.md, "Packages"); relative base so dist/ works from any static host.
export default defineConfig({
  base: './',
  resolve: { conditions: ['@boltzflow/source', ...defaultClientConditions] },
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 4000 },
});
