import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../src/index.js';

const fixture = fileURLToPath(new URL('./fixtures/backendCheck.ts', import.meta.url));

function runOn(backend: string): { ok: boolean; code?: string; message?: string; info?: { active: string }; y?: number[]; g?: number[]; syncRead?: string } {
  const out = execFileSync(process.execPath, ['--import', 'tsx', fixture, backend], { encoding: 'utf8', timeout: 90_000, stdio: ['ignore', 'pipe', 'ignore'] });
  const line = out
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  return JSON.parse(line ?? '{"ok":false,"message":"no output"}');
}

describe('optional WebGPU backend (Dawn)', () => {
  const r = runOn('webgpu');
  const available = r.ok;
  if (!available) {
    console.warn(`WebGPU backend test skipped: ${r.message}`);
  }
  it.skipIf(!available)('matches the reference computation to ~1e-4', () => {
    expect(r.info?.active).toBe('webgpu');
    const rng = createRng(0);
    const a = rng.normal([64, 32]);
    const w = rng.normal([32, 16]);
    const y = tf.sum(tf.tanh(tf.matMul(a, w)), 1).dataSync();
    const g = tf
      .grad((ww: tf.Tensor) => tf.sum(tf.tanh(tf.matMul(a, ww))))(w)
      .dataSync();
    for (let i = 0; i < y.length; i++) expect(Math.abs(r.y![i] - y[i])).toBeLessThan(1e-3 * (1 + Math.abs(y[i])));
    for (let i = 0; i < g.length; i++) expect(Math.abs(r.g![i] - g[i])).toBeLessThan(1e-3 * (1 + Math.abs(g[i])));
  });
  it.skipIf(!available)('synchronous reads either work or fail with a typed error', () => {
    expect(['ok', 'BACKEND_UNAVAILABLE']).toContain(r.syncRead);
  });
  it('reports a typed error, never a crash, when it is unavailable', () => {
    if (available) return;
    expect(r.code).toBe('BACKEND_UNAVAILABLE');
  });
});
