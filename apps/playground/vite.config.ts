import { defaultClientConditions, defineConfig } from 'vite';

/**
 * Cross-origin isolation (SharedArrayBuffer for the pause flag between page and worker). A static host that cannot send
 * these two headers still serves a working page, without the Pause button.
 */
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

// Workspace packages resolve to their TypeScript sources (CONTRIBUTING.md, "Packages"); relative base so dist/ works from any static host.
export default defineConfig({
  base: './',
  resolve: { conditions: ['@boltzflow/source', ...defaultClientConditions] },
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 4000 },
  server: { headers: isolation },
  preview: { headers: isolation },
});
