import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BoltzflowError, createRng, disposeTree, type ChainState, type Kernel } from '@boltzflow/core';
import { energyFromFunction } from '@boltzflow/energies';
import { adaptStepSize, hmc, mala, nuts, sampleChain, windowAdaptation, type NutsInfo } from '../src/kernels/index.js';
import { iat, meanWithError } from './helpersKernels.js';

/** Runs a kernel from a state for `steps`, returning per-chain series of every coordinate and the gradient count. */
function run<S extends ChainState>(kernel: Kernel<S>, state: S, steps: number, seed: number) {
  const res = sampleChain(kernel, state, { steps, rng: createRng(seed) });
  const [kept, chains, dim] = res.samples.shape;
  const series = Array.from({ length: dim }, (_, j) => Array.from({ length: chains }, (_, c) => res.samples.series(c, j)));
  disposeTree(res.finalState);
  return { series, grads: res.energyEvaluations, kept, chains };
}

/** Worst-coordinate effective sample size: chains × kept / mean τ, minimised over coordinates. */
function minEss(series: Float64Array[][]): number {
  return Math.min(...series.map((chs) => (chs.length * chs[0].length) / (chs.reduce((a, s) => a + iat(s), 0) / chs.length)));
}

describe('windowAdaptation', () => {
  it('NUTS on a 100-dim Gaussian with condition number 1e4: moments within MC error, ≥ 5× HMC in ESS per gradient, no divergences', {
    timeout: 300_000,
  }, () => {
    const dim = 100;
    const sd = Array.from({ length: dim }, (_, i) => Math.pow(10, -2 + (2 * i) / (dim - 1)));
    const prec = tf.tensor1d(sd.map((s) => 1 / (s * s)));
    const u = energyFromFunction((x) => tf.tidy(() => tf.mul(tf.sum(tf.mul(tf.square(x), prec), 1), 0.5) as tf.Tensor1D), dim, 'ill-gauss');
    const chains = 4;
    const x0 = tf.tidy(() => tf.mul(createRng(1).normal([chains, dim]), tf.tensor1d(sd))) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    const warm = windowAdaptation((p) => nuts(u, { ...p, maxTreeDepth: 6 }), x0, {
      steps: 300,
      rng: createRng(2),
      initBuffer: 40,
      baseWindow: 20,
      termBuffer: 40,
    });
    // The adapted inverse mass tracks the variances (within the window's sampling error, here a loose factor 2).
    const inv = warm.inverseMassMatrix as number[];
    for (let i = 0; i < dim; i += 11) expect(Math.abs(Math.log(inv[i] / sd[i] ** 2))).toBeLessThan(Math.log(2));
    // Sampling, counting divergences.
    let state = warm.state;
    const rng = createRng(3);
    const steps = 150;
    const series = Array.from({ length: dim }, () => Array.from({ length: chains }, () => new Float64Array(steps)));
    let div = 0;
    let nutsGrads = 0;
    for (let t = 0; t < steps; t++) {
      const { state: next, info } = warm.kernel.step(state, rng);
      const ni = info as NutsInfo;
      div += ni.divergent.reduce((a, b) => a + b, 0);
      nutsGrads += ni.gradientEvaluations;
      disposeTree([state, info.accepted, info.logAcceptRatio]);
      state = next;
      const v = state.x.dataSync();
      for (let c = 0; c < chains; c++) for (let j = 0; j < dim; j++) series[j][c][t] = v[c * dim + j];
    }
    disposeTree(state);
    expect(div).toBe(0);
    for (let j = 0; j < dim; j++) {
      const m = meanWithError(series[j]);
      expect(Math.abs(m.mean), `mean ${j}`).toBeLessThan(4.5 * m.se);
      const v = meanWithError(series[j].map((s) => s.map((x) => x * x)));
      expect(Math.abs(v.mean - sd[j] ** 2), `variance ${j}`).toBeLessThan(4.5 * v.se);
    }
    const nutsEss = minEss(series) / nutsGrads;

    // HMC baseline: identity mass, step size by dual averaging on a warm-up of the same length, L = 50 (trajectory
    // ≈ 50 ε: the largest scale needs ≈ 1/ε steps), then as many gradients as NUTS used.
    const L = 50;
    const ad = adaptStepSize((t, o) => hmc(t, { ...o, numLeapfrogSteps: L }), u, x0, { warmup: 100, rng: createRng(4), initialStepSize: 0.01 });
    const hmcSteps = Math.max(20, Math.round(nutsGrads / (chains * L)));
    const h = run(ad.kernel, ad.state, hmcSteps, 5);
    disposeTree(ad.state);
    const hmcEss = minEss(h.series) / h.grads;
    x0.dispose();
    expect(tf.memory().numTensors).toBe(before - 1);
    console.log(
      `ESS/grad: NUTS ${nutsEss.toExponential(2)} (ε ${warm.stepSize.toFixed(3)}), HMC ${hmcEss.toExponential(2)} (ε ${ad.stepSize.toFixed(4)}), ratio ${(nutsEss / hmcEss).toFixed(1)}`,
    );
    expect(nutsEss).toBeGreaterThan(5 * hmcEss);
  });

  it('dense adaptation recovers a ρ = 0.99 covariance and NUTS with it mixes ≥ 10× better per gradient than with the identity', { timeout: 300_000 }, () => {
    const rho = 0.99;
    const cov = [
      [1, rho],
      [rho, 1],
    ];
    const det = 1 - rho * rho;
    const P = [
      [1 / det, -rho / det],
      [-rho / det, 1 / det],
    ];
    const u = energyFromFunction((x) => tf.tidy(() => tf.mul(tf.sum(tf.mul(tf.matMul(x, tf.tensor2d(P)), x), 1), 0.5) as tf.Tensor1D), 2, 'rho99');
    const chains = 4;
    const x0 = tf.zeros([chains, 2]) as tf.Tensor2D;
    const warm = windowAdaptation((p) => nuts(u, { ...p, maxTreeDepth: 6 }), x0, { steps: 250, rng: createRng(11), massMatrix: 'dense' });
    const inv = warm.inverseMassMatrix as number[][];
    // MC error of the last slow window's covariance: n = chains × window draws, τ from a NUTS run with that matrix.
    const dense = run(warm.kernel, warm.state, 200, 12);
    disposeTree(warm.state);
    const [lo, hi] = warm.slowWindows[warm.slowWindows.length - 1];
    const n = chains * (hi - lo);
    const tau = Math.max(...dense.series.map((chs) => chs.reduce((a, s) => a + iat(s), 0) / chs.length));
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 2; j++) {
        const se = Math.sqrt(((cov[i][i] * cov[j][j] + cov[i][j] ** 2) * tau) / n);
        expect(Math.abs(inv[i][j] - cov[i][j]), `Σ[${i}][${j}] = ${inv[i][j]}`).toBeLessThan(4.5 * se + 2e-3);
      }
    }
    // The sampled covariance with the adapted matrix, too.
    const c01 = meanWithError(dense.series[0].map((s, c) => s.map((v, t) => v * dense.series[1][c][t])));
    expect(Math.abs(c01.mean - rho)).toBeLessThan(4.5 * c01.se);
    const denseEss = minEss(dense.series) / dense.grads;
    // Identity mass: step size by dual averaging with the same warm-up length.
    const ad = adaptStepSize((t, o) => nuts(t, { ...o, maxTreeDepth: 6 }), u, x0, { warmup: 150, rng: createRng(13), targetAcceptance: 0.8 });
    const ident = run(ad.kernel, ad.state, 200, 14);
    disposeTree(ad.state);
    x0.dispose();
    const identEss = minEss(ident.series) / ident.grads;
    console.log(`ESS/grad dense ${denseEss.toExponential(2)}, identity ${identEss.toExponential(2)}, ratio ${(denseEss / identEss).toFixed(1)}`);
    expect(denseEss).toBeGreaterThan(10 * identEss);
  });

  it('works with preconditioned MALA and HMC and rejects bad options', () => {
    const u = energyFromFunction((x) => tf.tidy(() => tf.mul(tf.sum(tf.mul(tf.square(x), tf.tensor1d([1, 100])), 1), 0.5) as tf.Tensor1D), 2, 'aniso');
    const x0 = tf.zeros([4, 2]) as tf.Tensor2D;
    const m = windowAdaptation((p) => mala(u, p), x0, { steps: 200, rng: createRng(1), targetAcceptance: 0.574 });
    const inv = m.inverseMassMatrix as number[];
    // Var 1 and 0.01: the adapted diagonal has the right ratio within a factor 3 (200 MALA steps, 4 chains).
    expect(Math.abs(Math.log(inv[0] / inv[1] / 100))).toBeLessThan(Math.log(3));
    disposeTree(m.state);
    const h = windowAdaptation((p) => hmc(u, { ...p, numLeapfrogSteps: 5 }), x0, { steps: 120, rng: createRng(2), massMatrix: 'dense' });
    expect((h.massMatrix as number[][]).length).toBe(2);
    disposeTree(h.state);
    expect(() => windowAdaptation((p) => mala(u, p), x0, { steps: 0, rng: createRng(1) })).toThrow(BoltzflowError);
    expect(() => windowAdaptation((p) => mala(u, p), x0, { steps: 10, rng: createRng(1), massMatrix: 'full' as 'dense' })).toThrow(/massMatrix/);
    x0.dispose();
  });
});
