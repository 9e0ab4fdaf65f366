// The WASM SIMD kernels embedded in packages/core/src are the assembly of their WebAssembly text source
// (packages/core/wasm/*.wat): a change to a .wat file without `npm run build:wasm -w tools` fails here.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { embeddedModuleSource, MODULE_DIR, moduleFileName, WAT_DIR } from '../wasm/assemble.js';

describe('embedded WASM kernels', () => {
  const wats = readdirSync(WAT_DIR).filter((f) => f.endsWith('.wat'));

  it('has a WebAssembly text source', () => {
    expect(wats.length).toBeGreaterThan(0);
  });

  for (const wat of wats)
    it(`${moduleFileName(wat)} is the assembly of ${wat}`, async () => {
      const embedded = readFileSync(path.join(MODULE_DIR, moduleFileName(wat)), 'utf8');
      expect(embedded).toBe(await embeddedModuleSource(path.join(WAT_DIR, wat)));
    });
});
