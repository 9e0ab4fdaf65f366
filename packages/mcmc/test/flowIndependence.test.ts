import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '@boltzflow/core';
import { energyFromFunction } from '@boltzflow/energies';
import { Normal } from '@boltzflow/distributions';
import { flowIndependenceProposal, latentMetropolis, mixtureKernel } from '../src/flow/index.js';
import {
  AffineBijector,
  ChainBijector,
  SinhBijector,
  chainMeanAndSe,
  disposeState,
  doubleWell,
  doubleWellDeltaF,
  flow,
  flowEnergy,
  runChain,
  testRwm,
} from './flowFixtures.js';

/** ΔF = −ln(p/(1 − p)) from per-chain fractions of x₁ > 0, with its delta-method standard error. */
function deltaFFromChains(xs: Float32Array[], chains: number): { deltaF: number; se: number } {
  const p = chainMeanAndSe(xs, chains, 2, (r, o) => (r[o] > 0 ? 1 : 0));
  return { deltaF: -Math.log(p.mean / (1 - p.mean)), se: p.se / (p.mean * (1 - p.mean)) };
}

// A fixed wide Gaussian "flow" covering both wells of the double well (x₁ minima near ±1.7).
const wideFlow = () => flow(new AffineBijector([0, 0], [2.0, 1.2]));

describe('flowIndependenceProposal', () => {
  it('accepts every proposal when the target is the flow density', () => {
    const f = flow(new ChainBijector([new SinhBijector(2), new AffineBijector([0.3, 0], [0.5, 2])]));
    const kernel = flowIndependenceProposal(f, flowEnergy(f, -2.5));
    const rng = createRng(11);
    const x0 = tf.tidy(() => f.bijector.forward(rng.normal([32, 2]) as tf.Tensor2D).y);
    let state = kernel.init(x0);
    for (let i = 0; i < 5; i++) {
      const { state: next, info } = kernel.step(state, rng);
      expect(Array.from(info.accepted.dataSync()).every((a) => a === 1)).toBe(true);
      for (const r of info.logAcceptRatio.dataSync()) expect(Math.abs(r)).toBeLessThan(1e-3);
      disposeState([state, info]);
      state = next;
    }
    disposeState(state);
    x0.dispose();
  });

  it('accepts a plain Distribution as proposal and reproduces the double-well ΔF (quadrature) within 5 s.e.', () => {
    const exact = doubleWellDeltaF();
    const q = new Normal({ loc: [0, 0], scale: [2.0, 1.2] });
    const kernel = flowIndependenceProposal(q, doubleWell);
    const rng = createRng(12);
    const chains = 128;
    const x0 = tf.tidy(() => tf.mul(rng.normal([chains, 2]), tf.tensor1d([2, 1.2]))) as tf.Tensor2D;
    const { xs, accept, evals } = runChain(kernel, x0, 200, 40, rng);
    expect(evals).toBe(200 * chains);
    expect(accept).toBeGreaterThan(0.1);
    const est = deltaFFromChains(xs, chains);
    expect(Math.abs(est.deltaF - exact.deltaF)).toBeLessThan(5 * est.se);
    expect(est.se).toBeLessThan(0.15);
    x0.dispose();
  });

  it('checks dimensions, rejects non-finite proposals and does not leak', () => {
    const f = wideFlow();
    const e3 = energyFromFunction((x) => tf.sum(x, 1), 3);
    expect(() => flowIndependenceProposal(f, e3)).toThrowError(expect.objectContaining({ code: 'INVALID_SHAPE' }));
    // u = +Inf for x₁ > 0.5 and NaN for x₁ < −3: the chain must stay in (−3, 0.5].
    const walled = energyFromFunction(
      (x) =>
        tf.tidy(() => {
          const n = x.shape[0];
          const x1 = x.slice([0, 0], [-1, 1]).squeeze([1]);
          const u = tf.mul(tf.sum(tf.square(x), 1), 0.5) as tf.Tensor1D;
          return tf.where(tf.greater(x1, 0.5), tf.fill([n], Infinity), tf.where(tf.less(x1, -3), tf.fill([n], NaN), u)) as tf.Tensor1D;
        }),
      2,
    );
    const kernel = flowIndependenceProposal(f, walled);
    const rng = createRng(13);
    const x0 = tf.zeros([16, 2]) as tf.Tensor2D;
    let state = kernel.init(x0);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 40; i++) {
      const { state: next, info } = kernel.step(state, rng);
      disposeState([state, info]);
      state = next;
      const x = state.x.dataSync();
      for (let j = 0; j < x.length; j += 2) expect(x[j] <= 0.5 && x[j] >= -3).toBe(true);
      expect(Array.from(state.energy.dataSync()).every(Number.isFinite)).toBe(true);
    }
    expect(tf.memory().numTensors).toBe(before);
    disposeState(state);
    x0.dispose();
  });
});

describe('mixtureKernel', () => {
  it('draws kernels with the given probabilities and counts re-initialisations', () => {
    const { energy } = { energy: energyFromFunction((x) => tf.mul(tf.sum(tf.square(x), 1), 0.5), 2) };
    const ks = [testRwm(energy, 0.5), testRwm(energy, 1.0), flowIndependenceProposal(flow(new AffineBijector([0, 0], [1, 1])), energy)];
    const probs = [0.2, 0.5, 0.3];
    const mix = mixtureKernel(ks, [2, 5, 3], { choice: 'per-step' }); // unnormalised on purpose
    expect(mix.probabilities.map((p) => +p.toFixed(6))).toEqual(probs);
    const rng = createRng(21);
    const x0 = tf.zeros([2, 2]) as tf.Tensor2D;
    let state = mix.init(x0);
    const counts = [0, 0, 0];
    const steps = 1500;
    let prev = 0;
    for (let i = 0; i < steps; i++) {
      const { state: next, info } = mix.step(state, rng);
      counts[info.kernelIndex]++;
      expect(info.reinitialized).toBe(info.kernelIndex !== prev);
      expect(info.energyEvaluations).toBe(info.reinitialized ? 4 : 2);
      prev = info.kernelIndex;
      disposeState([state, info]);
      state = next;
    }
    disposeState(state);
    x0.dispose();
    counts.forEach((c, i) => {
      const se = Math.sqrt((probs[i] * (1 - probs[i])) / steps);
      expect(Math.abs(c / steps - probs[i])).toBeLessThan(5 * se);
    });
  });

  it('local latent moves + global flow moves preserve the double well: ΔF matches quadrature within 5 s.e.', () => {
    const exact = doubleWellDeltaF();
    const f = wideFlow();
    const mix = mixtureKernel([latentMetropolis(f, doubleWell, (t) => testRwm(t, 0.15)), flowIndependenceProposal(f, doubleWell)], [0.6, 0.4]);
    const rng = createRng(22);
    const chains = 96;
    // Start every chain in the shallower left well: only global moves can equilibrate the populations.
    const x0 = tf.tidy(() => tf.add(tf.tensor1d([-1.7, 0]), tf.mul(rng.normal([chains, 2]), 0.1))) as tf.Tensor2D;
    const { xs } = runChain(mix, x0, 300, 80, rng);
    const est = deltaFFromChains(xs, chains);
    expect(Math.abs(est.deltaF - exact.deltaF)).toBeLessThan(5 * est.se);
    expect(est.se).toBeLessThan(0.2);
    x0.dispose();
  });

  it('validates kernels, targets and probabilities', () => {
    const e = energyFromFunction((x) => tf.sum(tf.square(x), 1), 2);
    const e2 = energyFromFunction((x) => tf.sum(tf.square(x), 1), 2);
    const e3 = energyFromFunction((x) => tf.sum(tf.square(x), 1), 3);
    expect(() => mixtureKernel([testRwm(e, 1), testRwm(e2, 1)], [0.5, 0.5])).toThrowError(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(() => mixtureKernel([testRwm(e, 1), testRwm(e3, 1)], [0.5, 0.5])).toThrowError(expect.objectContaining({ code: 'INVALID_SHAPE' }));
    expect(() => mixtureKernel([testRwm(e, 1)], [0.5, 0.5])).toThrowError(expect.objectContaining({ code: 'INVALID_SHAPE' }));
    expect(() => mixtureKernel([testRwm(e, 1), testRwm(e, 2)], [-0.5, 1.5])).toThrowError(expect.objectContaining({ code: 'INVALID_VALUE' }));
    expect(() => mixtureKernel([testRwm(e, 1), testRwm(e, 2)], [0, NaN])).toThrowError(expect.objectContaining({ name: 'BoltzflowError' }));
    expect(() => mixtureKernel([], [])).toThrowError(expect.objectContaining({ code: 'INVALID_VALUE' }));
  });
});
