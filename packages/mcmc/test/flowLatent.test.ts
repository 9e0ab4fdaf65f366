import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createRng, isBoltzflowError } from '@boltzflow/core';
import { energyFromFunction, energyGrad } from '@boltzflow/energies';
import { latentEnergy, latentMetropolis } from '../src/flow/index.js';
import {
  AffineBijector,
  ChainBijector,
  SinhBijector,
  chainMeanAndSe,
  disposeState,
  flow,
  flowEnergy,
  gaussianEnergy,
  runChain,
  testRwm,
} from './flowFixtures.js';

// Nonlinear flow x = shift + scale ⊙ sinh(z): the Jacobian term of the latent energy matters.
const makeFlow = () => flow(new ChainBijector([new SinhBijector(2), new AffineBijector([0.5, -1], [0.8, 1.5])]));

describe('latentEnergy', () => {
  it('equals −log p_base(z) + const when the target is the flow density', () => {
    const f = makeFlow();
    const uZ = latentEnergy(f, flowEnergy(f, 1.3));
    const z = createRng(1).normal([50, 2]) as tf.Tensor2D;
    const diff = tf.tidy(() => tf.sub(uZ.energy(z), tf.neg(f.base.logProb(z))));
    const d = Array.from(diff.dataSync());
    for (const v of d) expect(v).toBeCloseTo(1.3, 3);
    tf.dispose([z, diff]);
  });

  it('uses the analytic energy gradient through a vector-Jacobian product (matches autodiff)', () => {
    const f = makeFlow();
    const { energy } = gaussianEnergy([1, 0], [0.5, 2]);
    const withGrad = { ...energy, grad: (x: tf.Tensor2D) => energyGrad(energy, x) };
    const z = createRng(2).normal([7, 2]) as tf.Tensor2D;
    const a = latentEnergy(f, withGrad).grad!(z);
    const b = energyGrad(latentEnergy(f, energy), z);
    const da = a.dataSync();
    const db = b.dataSync();
    for (let i = 0; i < da.length; i++) expect(da[i]).toBeCloseTo(db[i], 3);
    tf.dispose([z, a, b]);
  });
});

describe('latentMetropolis', () => {
  it('samples a Gaussian target through a nonlinear flow (moments within 5 s.e.)', () => {
    const f = makeFlow();
    const m = [1, -0.5];
    const s = [0.7, 1.2];
    const { energy } = gaussianEnergy(m, s);
    const kernel = latentMetropolis(f, energy, (t) => testRwm(t, 0.6));
    expect(kernel.target).toBe(energy);
    const chains = 64;
    const rng = createRng(3);
    const x0 = tf.tidy(() => tf.add(tf.tensor1d(m), tf.mul(rng.normal([chains, 2]), tf.tensor1d(s)))) as tf.Tensor2D;
    const { xs, evals } = runChain(kernel, x0, 300, 50, rng);
    expect(evals).toBe(300 * chains);
    for (let d = 0; d < 2; d++) {
      const mean = chainMeanAndSe(xs, chains, 2, (r, o) => r[o + d]);
      expect(Math.abs(mean.mean - m[d])).toBeLessThan(5 * mean.se);
      const sq = chainMeanAndSe(xs, chains, 2, (r, o) => (r[o + d] - m[d]) ** 2);
      expect(Math.abs(sq.mean - s[d] ** 2)).toBeLessThan(5 * sq.se);
    }
    x0.dispose();
  });

  it('keeps x = F(z), energy = u(x) and the inner latent state consistent; no tensor leaks', () => {
    const f = makeFlow();
    const { energy } = gaussianEnergy([0, 0], [1, 1]);
    const kernel = latentMetropolis(f, energy, (t) => testRwm(t, 0.5));
    const rng = createRng(4);
    const x0 = rng.normal([8, 2]) as tf.Tensor2D;
    let state = kernel.init(x0);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) {
      const { state: next, info } = kernel.step(state, rng);
      expect(info.energyEvaluations).toBe(8);
      disposeState(state);
      disposeState(info);
      state = next;
    }
    expect(tf.memory().numTensors).toBe(before);
    const check = tf.tidy(() => {
      const fx = f.bijector.forward(state.z).y;
      return [
        tf.max(tf.abs(tf.sub(fx, state.x))),
        tf.max(tf.abs(tf.sub(energy.energy(state.x), state.energy))),
        tf.max(tf.abs(tf.sub(state.inner.x, state.z))),
      ];
    });
    for (const c of check) expect(c.dataSync()[0]).toBeLessThan(1e-4);
    tf.dispose(check);
    disposeState(state);
    x0.dispose();
  });

  it('throws BoltzflowError on dimension mismatch and non-finite starting energy', () => {
    const f = makeFlow();
    const e3 = energyFromFunction((x) => tf.sum(x, 1), 3);
    expect(() => latentMetropolis(f, e3, (t) => testRwm(t, 0.1))).toThrowError(expect.objectContaining({ code: 'INVALID_SHAPE' }));
    const bad = energyFromFunction((x) => tf.tidy(() => tf.div(tf.sum(x, 1), 0)), 2);
    const k = latentMetropolis(f, bad, (t) => testRwm(t, 0.1));
    const x0 = tf.ones([2, 2]) as tf.Tensor2D;
    let err: unknown;
    try {
      k.init(x0);
    } catch (e) {
      err = e;
    }
    expect(isBoltzflowError(err)).toBe(true);
    x0.dispose();
  });

  it('rejects proposals with non-finite energy (the chain never enters a forbidden region)', () => {
    const f = makeFlow();
    // Gaussian restricted to x₁ < 1.2: +Inf beyond, NaN in a band.
    const wall = energyFromFunction(
      (x) =>
        tf.tidy(() => {
          const x1 = x.slice([0, 0], [-1, 1]).squeeze([1]);
          const u = tf.mul(tf.sum(tf.square(x), 1), 0.5) as tf.Tensor1D;
          const n = x.shape[0];
          return tf.where(tf.greater(x1, 1.2), tf.fill([n], Infinity), tf.where(tf.greater(x1, 1.1), tf.fill([n], NaN), u)) as tf.Tensor1D;
        }),
      2,
    );
    const kernel = latentMetropolis(f, wall, (t) => testRwm(t, 1.0));
    const rng = createRng(5);
    const x0 = tf.zeros([16, 2]) as tf.Tensor2D;
    const { xs } = runChain(kernel, x0, 60, 0, rng);
    for (const x of xs) for (let i = 0; i < x.length; i += 2) expect(x[i]).toBeLessThanOrEqual(1.1 + 1e-5);
    x0.dispose();
  });
});
