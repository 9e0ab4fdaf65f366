import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BoltzflowError, createRng } from '@boltzflow/core';
import { randomWalkMetropolis } from '../src/kernels/index.js';
import { coordinateCV, umbrellaSampling, wham } from '../src/enhanced/index.js';
import { doubleWell1d, dwU } from './helpersKernels.js';

/** Exact F on bins: −log ∫_bin e^{−u} by midpoint quadrature, shifted so that bin `ref` is 0. */
export function exactBinFreeEnergy(u: (x: number) => number, edges: number[]): number[] {
  return edges.slice(0, -1).map((a, b) => {
    const n = 400;
    const h = (edges[b + 1] - a) / n;
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.exp(-u(a + (i + 0.5) * h)) * h;
    return -Math.log(s);
  });
}

describe('wham', () => {
  it('recovers the distribution from exact expected biased histograms', () => {
    const B = 30;
    const x = Array.from({ length: B }, (_, b) => -1.5 + (3 * (b + 0.5)) / B);
    const F = x.map((v) => 3 * (v * v - 1) ** 2 + 0.3 * v);
    const centers = [-1.2, -0.6, 0, 0.6, 1.2];
    const bias = centers.map((c) => x.map((v) => 0.5 * 10 * (v - c) ** 2));
    const counts = centers.map((_, k) => {
      const w = x.map((_, b) => Math.exp(-F[b] - bias[k][b]));
      const z = w.reduce((a, v) => a + v, 0);
      return w.map((v) => (1000 * (k + 1) * v) / z); // windows of different sizes
    });
    const r = wham({ counts, bias, tolerance: 1e-10 });
    expect(r.converged).toBe(true);
    const fmin = Math.min(...F);
    for (let b = 0; b < B; b++) expect(r.freeEnergy[b]).toBeCloseTo(F[b] - fmin, 6);
  });
  it('validates its input', () => {
    expect(() => wham({ counts: [[1, 2]], bias: [[0]] })).toThrow(BoltzflowError);
    expect(() => wham({ counts: [[1, -2]], bias: [[0, 0]] })).toThrow(BoltzflowError);
  });
});

describe('umbrellaSampling + WHAM on the 1D double well u = x⁴ − 6x² − 0.5x', () => {
  it('reproduces the exact free-energy profile within its bootstrap error bars', () => {
    const centers = Array.from({ length: 17 }, (_, i) => -2.4 + 0.3 * i);
    const x0 = tf.fill([8, 1], -2.4) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    const res = umbrellaSampling(doubleWell1d(1), {
      cv: coordinateCV(0),
      centers,
      kappa: 40,
      kernel: (e) => randomWalkMetropolis(e, { stepSize: 0.25 }),
      stepsPerWindow: 1200,
      burnIn: 150,
      x0,
      rng: createRng(31),
      bins: { min: -2.5, max: 2.5, count: 25 },
      bootstrap: 60,
    });
    expect(tf.memory().numTensors).toBe(before);
    x0.dispose();
    const exact = exactBinFreeEnergy((x) => dwU(x), res.binEdges);
    const ref = res.referenceBin;
    let checked = 0;
    let chi2 = 0;
    for (let b = 0; b < exact.length; b++) {
      if (b === ref) continue;
      const fe = exact[b] - exact[ref];
      const err = res.freeEnergyError[b];
      expect(Number.isFinite(err), `bin ${b} error`).toBe(true);
      const z = (res.freeEnergy[b] - fe) / err;
      expect(Math.abs(z), `bin ${res.binCenters[b].toFixed(2)}: F = ${res.freeEnergy[b]} ± ${err}, exact ${fe}`).toBeLessThan(4.5);
      chi2 += z * z;
      checked++;
    }
    // the whole range is sampled, barrier (≈ 9 kT above the minimum) included
    expect(checked).toBe(24);
    expect(Math.max(...res.freeEnergy)).toBeGreaterThan(8);
    // χ² over the bins (error bars are honest: neither far too small nor far too large)
    expect(chi2 / checked).toBeLessThan(3);
    expect(chi2 / checked).toBeGreaterThan(0.1);
  });
});
