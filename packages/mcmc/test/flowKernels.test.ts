// The flow-assisted kernels composed with the package's own kernel factories and driven by sampleChain.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createRng, disposeTree, type Energy, type Kernel } from '@boltzflow/core';
import { hmc, langevin, mala, randomWalkMetropolis, sampleChain } from '../src/kernels/index.js';
import { flowIndependenceProposal, latentMetropolis, mixtureKernel } from '../src/flow/index.js';
import { AffineBijector, ChainBijector, SinhBijector, doubleWell, doubleWellDeltaF, flow, gaussianEnergy } from './flowFixtures.js';

/** Per-chain means of f over kept draws `[kept, chains, dim]`, then across-chain mean and standard error. */
function chainStat(data: Float32Array, kept: number, chains: number, dim: number, f: (x: Float32Array, off: number) => number): { mean: number; se: number } {
  const per = new Float64Array(chains);
  for (let t = 0; t < kept; t++) for (let c = 0; c < chains; c++) per[c] += f(data, (t * chains + c) * dim) / kept;
  const mean = per.reduce((a, b) => a + b, 0) / chains;
  const v = per.reduce((a, b) => a + (b - mean) ** 2, 0) / (chains - 1);
  return { mean, se: Math.sqrt(v / chains) };
}

describe('latentMetropolis with the package kernels (sampleChain)', () => {
  const m = [1, -0.5];
  const s = [0.7, 1.2];
  const factories: [string, (t: Energy) => Kernel, boolean][] = [
    ['randomWalkMetropolis', (t) => randomWalkMetropolis(t, { stepSize: 0.6 }), true],
    ['mala', (t) => mala(t, { stepSize: 0.1 }), true],
    ['hmc', (t) => hmc(t, { stepSize: 0.2, numLeapfrogSteps: 4 }), true],
    ['langevin (unadjusted: runs, no exactness claim)', (t) => langevin(t, { stepSize: 0.01, scheme: 'overdamped' }), false],
  ];
  for (const [name, make, exact] of factories) {
    it(`${name}: Gaussian target through a nonlinear flow`, () => {
      const f = flow(new ChainBijector([new SinhBijector(2), new AffineBijector([0.5, -1], [0.8, 1.5])]));
      const { energy } = gaussianEnergy(m, s);
      const kernel = latentMetropolis(f, energy, make);
      const rng = createRng(41);
      const chains = 48;
      const x0 = tf.tidy(() => tf.add(tf.tensor1d(m), tf.mul(rng.normal([chains, 2]), tf.tensor1d(s)))) as tf.Tensor2D;
      const before = tf.memory().numTensors;
      const steps = 200;
      const res = sampleChain(kernel, x0, { steps, burnIn: 40, rng });
      disposeTree(res.finalState);
      expect(tf.memory().numTensors).toBe(before);
      expect(res.energyEvaluations).toBeGreaterThanOrEqual((steps + 40 + 1) * chains);
      const data = res.samples.data;
      expect(data.every(Number.isFinite)).toBe(true);
      if (exact) {
        for (let d = 0; d < 2; d++) {
          const mean = chainStat(data, steps, chains, 2, (x, o) => x[o + d]);
          expect(Math.abs(mean.mean - m[d])).toBeLessThan(5 * mean.se);
          const sq = chainStat(data, steps, chains, 2, (x, o) => (x[o + d] - m[d]) ** 2);
          expect(Math.abs(sq.mean - s[d] ** 2)).toBeLessThan(5 * sq.se);
        }
      }
      x0.dispose();
    });
  }
});

describe('mixtureKernel with package kernels (flowMC-style local + global moves)', () => {
  it('latent MALA + data-space RWM + flow independence reproduce the double-well ΔF within 5 s.e.', () => {
    const exact = doubleWellDeltaF();
    const f = flow(new AffineBijector([0, 0], [2.0, 1.2]));
    const mix = mixtureKernel(
      [
        latentMetropolis(f, doubleWell, (t) => mala(t, { stepSize: 0.005 })),
        randomWalkMetropolis(doubleWell, { stepSize: 0.2 }),
        flowIndependenceProposal(f, doubleWell),
      ],
      [0.4, 0.3, 0.3],
    );
    const rng = createRng(42);
    const chains = 64;
    const x0 = tf.tidy(() => tf.add(tf.tensor1d([-1.7, 0]), tf.mul(rng.normal([chains, 2]), 0.1))) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    const steps = 250;
    const res = sampleChain(mix, x0, { steps, burnIn: 60, rng });
    disposeTree(res.finalState);
    expect(tf.memory().numTensors).toBe(before);
    const p = chainStat(res.samples.data, steps, chains, 2, (x, o) => (x[o] > 0 ? 1 : 0));
    const dF = -Math.log(p.mean / (1 - p.mean));
    const se = p.se / (p.mean * (1 - p.mean));
    expect(se).toBeLessThan(0.2);
    expect(Math.abs(dF - exact.deltaF)).toBeLessThan(5 * se);
    x0.dispose();
  });
});
