import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BoltzflowError, createRng } from '@boltzflow/core';
import { randomWalkMetropolis } from '../src/kernels/index.js';
import { coordinateCV, umbrellaSampling } from '../src/enhanced/index.js';
import { doubleWell1d, dwU } from './helpersKernels.js';

/** Exact F on bins, −log ∫_bin e^{−u} by midpoint quadrature (importing enhancedUmbrella.test's copy would re-run its tests). */
function exactBinFreeEnergy(u: (x: number) => number, edges: number[]): number[] {
  return edges.slice(0, -1).map((a, b) => {
    const h = (edges[b + 1] - a) / 400;
    let s = 0;
    for (let i = 0; i < 400; i++) s += Math.exp(-u(a + (i + 0.5) * h)) * h;
    return -Math.log(s);
  });
}

describe('umbrellaSampling with MBAR on the 1D double well u = x⁴ − 6x² − 0.5x', () => {
  it('matches quadrature within its bootstrap errors and agrees with WHAM on the same samples', { timeout: 300_000 }, () => {
    const centers = Array.from({ length: 17 }, (_, i) => -2.4 + 0.3 * i);
    const x0 = tf.fill([4, 1], -2.4) as tf.Tensor2D;
    const common = {
      cv: coordinateCV(0),
      centers,
      kappa: 40,
      kernel: (e: Parameters<typeof randomWalkMetropolis>[0]) => randomWalkMetropolis(e, { stepSize: 0.25 }),
      stepsPerWindow: 600,
      burnIn: 100,
      x0,
      bins: { min: -2.5, max: 2.5, count: 25 },
      bootstrap: 12,
    };
    const m = umbrellaSampling(doubleWell1d(1), { ...common, rng: createRng(7), estimator: 'mbar' });
    const w = umbrellaSampling(doubleWell1d(1), { ...common, rng: createRng(7) });
    x0.dispose();
    expect(m.estimator).toBe('mbar');
    expect(m.mbar?.converged).toBe(true);
    const exact = exactBinFreeEnergy((x) => dwU(x), m.binEdges);
    const ref = m.referenceBin;
    let chi2 = 0;
    for (let b = 0; b < exact.length; b++) {
      if (b === ref) continue;
      const err = m.freeEnergyError[b];
      expect(Number.isFinite(err)).toBe(true);
      const z = (m.freeEnergy[b] - (exact[b] - exact[ref])) / err;
      expect(Math.abs(z), `bin ${b}`).toBeLessThan(4.5);
      chi2 += z * z;
      // Same samples: the two estimators differ by far less than the statistical error.
      const dWham = w.freeEnergy[b] - w.freeEnergy[w.referenceBin];
      expect(Math.abs(m.freeEnergy[b] - dWham), `bin ${b} MBAR vs WHAM`).toBeLessThan(Math.max(0.5 * err, 0.05));
    }
    expect(chi2 / 24).toBeLessThan(3);
    // MBAR's window free energies agree with WHAM's f_k (both f_0 = 0) within MBAR's asymptotic error.
    for (let k = 1; k < centers.length; k++) {
      expect(Math.abs((m.mbar as NonNullable<typeof m.mbar>).f[k] - w.wham.f[k])).toBeLessThan(
        4 * (m.mbar as NonNullable<typeof m.mbar>).deltaFError[0][k] + 0.05,
      );
    }
    expect(() => umbrellaSampling(doubleWell1d(1), { ...common, rng: createRng(1), estimator: 'bogus' as 'mbar' })).toThrow(BoltzflowError);
  });
});
