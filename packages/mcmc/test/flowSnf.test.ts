import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createRng, logMeanExp } from '@boltzflow/core';
import { energyFromFunction } from '@boltzflow/energies';
import { Normal } from '@boltzflow/distributions';
import { StochasticNormalizingFlow, langevinBlock, linearLambdas, metropolisBlock, type SnfLayer } from '../src/flow/index.js';
import {
  AffineBijector,
  SinhBijector,
  doubleWell,
  doubleWellDeltaF,
  flow,
  flowEnergy,
  gaussianEnergy,
  expectFiniteDifferenceGradients,
} from './flowFixtures.js';

/** Ẑ/Z = mean(exp(log w − log Z)) and its standard error (i.i.d. paths). */
function zRatio(logW: Float32Array | number[], logZ: number): { mean: number; se: number } {
  const w = Array.from(logW, (l) => Math.exp(l - logZ));
  const mean = w.reduce((a, b) => a + b, 0) / w.length;
  const v = w.reduce((a, b) => a + (b - mean) ** 2, 0) / (w.length - 1);
  return { mean, se: Math.sqrt(v / w.length) };
}

const annealed = (make: (lambda: number) => SnfLayer, k: number): SnfLayer[] => linearLambdas(k).map(make);

describe('StochasticNormalizingFlow', () => {
  it('with deterministic layers only and u = −log q + c, log-weights are uniform (= −c) and ΔS are the log-dets', () => {
    const sinh = new SinhBijector(2);
    const aff = new AffineBijector([0.5, -1], [0.8, 1.5]);
    const f = flow({
      ...sinh,
      dim: 2,
      trainableVariables: [],
      forward: (x) => {
        const a = sinh.forward(x);
        const b = aff.forward(a.y);
        const r = { y: b.y, logDet: tf.add(a.logDet, b.logDet) as tf.Tensor1D };
        tf.dispose([a.y, a.logDet, b.logDet]);
        return r;
      },
      inverse: (y) => {
        const b = aff.inverse(y);
        const a = sinh.inverse(b.x);
        const r = { x: a.x, logDet: tf.add(a.logDet, b.logDet) as tf.Tensor1D };
        tf.dispose([b.x, b.logDet, a.logDet]);
        return r;
      },
      toConfig: () => ({ type: 'x' }),
      dispose: () => {},
    });
    const snf = new StochasticNormalizingFlow({ base: Normal.standard(2), target: flowEnergy(f, 0.7), layers: [sinh, aff] });
    const s = snf.sample(64, createRng(31), { perLayer: true });
    for (const l of s.logWeights.dataSync()) expect(l).toBeCloseTo(-0.7, 3);
    expect(s.acceptance).toEqual([null, null]);
    expect(s.energyEvaluations).toBe(64);
    for (const v of s.deltaS![1].dataSync()) expect(v).toBeCloseTo(Math.log(0.8) + Math.log(1.5), 4);
    tf.dispose([s.x, s.logWeights, s.energy, ...s.deltaS!]);
  });

  // Stochastic blocks only, λ_k = k/K: annealed importance sampling, E[w] = Z exactly (u_prior = −log p_base is normalised).
  const { energy: gauss, logZ } = gaussianEnergy([1, -0.5], [0.7, 1.5], 0.3);
  const cases: [string, () => SnfLayer[]][] = [
    ['Metropolis', () => annealed((lambda) => metropolisBlock({ lambda, steps: 3, stepSize: 0.5 }), 8)],
    ['unadjusted Langevin', () => annealed((lambda) => langevinBlock({ lambda, steps: 2, stepSize: 0.05 }), 8)],
    ['MALA', () => annealed((lambda) => langevinBlock({ lambda, steps: 2, stepSize: 0.2, metropolize: true }), 8)],
  ];
  for (const [name, layers] of cases) {
    it(`reduces to AIS with ${name} blocks: unbiased Z of a Gaussian within 5 s.e.`, () => {
      const snf = new StochasticNormalizingFlow({ base: Normal.standard(2), target: gauss, layers: layers() });
      const n = 1000;
      const s = snf.sample(n, createRng(32), { perLayer: true });
      const lw = s.logWeights.dataSync() as Float32Array;
      const r = zRatio(lw, logZ);
      expect(Math.abs(r.mean - 1)).toBeLessThan(5 * r.se);
      expect(r.se).toBeLessThan(0.1); // the annealing actually helps: far better than the bare prior
      expect(Math.abs(logMeanExp(lw) - logZ)).toBeLessThan(5 * (r.se / r.mean) + 0.01);
      // energy evaluations: one per path at the start plus one per step (Langevin: values and gradients in one pass)
      const steps = (layers() as { steps: number }[]).reduce((a, l) => a + l.steps, 0);
      expect(s.energyEvaluations).toBe(n * (1 + steps));
      for (const a of s.acceptance!) if (a !== null) expect(a).toBeGreaterThan(0.3);
      tf.dispose([s.x, s.logWeights, s.energy, ...s.deltaS!]);
    });
  }

  it('a flow layer + Metropolis blocks reproduce the double-well ΔF (quadrature) by reweighting, within 5 s.e.', () => {
    const exact = doubleWellDeltaF();
    const layers: SnfLayer[] = [new AffineBijector([0, 0], [2.0, 1.2]), ...annealed((lambda) => metropolisBlock({ lambda, steps: 4, stepSize: 0.3 }), 4)];
    const snf = new StochasticNormalizingFlow({ base: Normal.standard(2), target: doubleWell, layers });
    const s = snf.sample(1500, createRng(33));
    const lw = Array.from(s.logWeights.dataSync());
    const x = s.x.dataSync();
    const m = Math.max(...lw);
    const w = lw.map((l) => Math.exp(l - m));
    const sw = w.reduce((a, b) => a + b, 0);
    let pos = 0;
    w.forEach((wi, i) => (pos += x[2 * i] > 0 ? wi : 0));
    const p = pos / sw;
    // ratio-estimator standard error of the self-normalised P(x₁ > 0)
    const seP = Math.sqrt(w.reduce((a, wi, i) => a + wi * wi * ((x[2 * i] > 0 ? 1 : 0) - p) ** 2, 0)) / sw;
    const dF = -Math.log(p / (1 - p));
    const se = seP / (p * (1 - p));
    expect(se).toBeLessThan(0.2);
    expect(Math.abs(dF - exact.deltaF)).toBeLessThan(5 * se);
    tf.dispose([s.x, s.logWeights, s.energy]);
  });

  const fdCases: [string, () => SnfLayer[]][] = [
    ['Langevin (reparameterised, second-order autodiff)', () => annealed((lambda) => langevinBlock({ lambda, steps: 2, stepSize: 0.05 }), 2)],
    ['Metropolis (gradient through accepted moves)', () => annealed((lambda) => metropolisBlock({ lambda, steps: 2, stepSize: 0.3 }), 2)],
  ];
  for (const [name, blocks] of fdCases) {
    it(`klLoss gradients match finite differences at a fixed random path: ${name}`, () => {
      const aff = new AffineBijector([0.2, -0.1], [1.3, 0.9], true);
      const { energy } = gaussianEnergy([1, -0.5], [0.7, 1.5]);
      const snf = new StochasticNormalizingFlow({ base: Normal.standard(2), target: energy, layers: [aff, ...blocks()] });
      expect(snf.trainableVariables).toEqual([aff.shift, aff.logScale]);
      const loss = () => snf.klLoss(32, createRng(34));
      expectFiniteDifferenceGradients(loss, snf.trainableVariables);
      aff.dispose();
    });
  }

  it('trains end to end with a tf optimizer: klLoss decreases and memory stays flat', () => {
    const aff = new AffineBijector([0, 0], [1, 1], true);
    const { energy } = gaussianEnergy([2, -1], [0.5, 2]);
    const layers: SnfLayer[] = [aff, metropolisBlock({ lambda: 0.5, steps: 2, stepSize: 0.3 }), langevinBlock({ lambda: 1, steps: 1, stepSize: 0.02 })];
    const snf = new StochasticNormalizingFlow({ base: Normal.standard(2), target: energy, layers });
    const evalLoss = () => {
      const l = snf.klLoss(512, createRng(35));
      const v = l.dataSync()[0];
      l.dispose();
      return v;
    };
    const before = evalLoss();
    const opt = tf.train.adam(0.05);
    const rng = createRng(36);
    const step = () => opt.minimize(() => snf.klLoss(64, rng), false, snf.trainableVariables)?.dispose();
    step(); // creates the optimizer's slots
    const tensors = tf.memory().numTensors;
    for (let i = 0; i < 60; i++) step();
    expect(tf.memory().numTensors).toBe(tensors);
    const after = evalLoss();
    expect(after).toBeLessThan(before - 1);
    const shift = aff.shift.dataSync();
    expect(shift[0]).toBeGreaterThan(1); // moved towards the target mean 2
    const s = snf.sample(16, rng);
    tf.dispose([s.x, s.logWeights, s.energy]);
    expect(tf.memory().numTensors).toBe(tensors);
    opt.dispose();
    aff.dispose();
  });

  it('never produces NaN weights: paths through non-finite energies get weight zero; finite-weight samples avoid the wall', () => {
    const walled = energyFromFunction(
      (x) =>
        tf.tidy(() => {
          const n = x.shape[0];
          const x1 = x.slice([0, 0], [-1, 1]).squeeze([1]);
          const u = tf.mul(tf.sum(tf.square(x), 1), 0.5) as tf.Tensor1D;
          return tf.where(tf.greater(x1, 1.0), tf.fill([n], Infinity), tf.where(tf.less(x1, -1.5), tf.fill([n], NaN), u)) as tf.Tensor1D;
        }),
      2,
    );
    const layers = annealed((lambda) => metropolisBlock({ lambda, steps: 2, stepSize: 0.5 }), 3);
    const s = new StochasticNormalizingFlow({ base: Normal.standard(2), target: walled, layers }).sample(300, createRng(37));
    const lw = s.logWeights.dataSync();
    const x = s.x.dataSync();
    let finite = 0;
    lw.forEach((l, i) => {
      expect(Number.isNaN(l)).toBe(false);
      expect(l === -Infinity || Number.isFinite(l)).toBe(true);
      if (Number.isFinite(l)) {
        finite++;
        expect(x[2 * i] <= 1.0 && x[2 * i] >= -1.5).toBe(true);
      }
    });
    expect(finite).toBeGreaterThan(200);
    tf.dispose([s.x, s.logWeights, s.energy]);
  });

  it('validates dimensions and block options', () => {
    const e3 = energyFromFunction((x) => tf.sum(x, 1), 3);
    expect(() => new StochasticNormalizingFlow({ base: Normal.standard(2), target: e3, layers: [] })).toThrowError(
      expect.objectContaining({ code: 'INVALID_SHAPE' }),
    );
    const e2 = energyFromFunction((x) => tf.sum(x, 1), 2);
    expect(() => new StochasticNormalizingFlow({ base: Normal.standard(2), target: e2, layers: [new SinhBijector(3)] })).toThrowError(
      expect.objectContaining({ code: 'INVALID_SHAPE' }),
    );
    expect(() => metropolisBlock({ lambda: 1.5, stepSize: 0.1 })).toThrowError(expect.objectContaining({ code: 'INVALID_VALUE' }));
    expect(() => langevinBlock({ lambda: 0.5, stepSize: -1 })).toThrowError(expect.objectContaining({ code: 'INVALID_VALUE' }));
    expect(() => metropolisBlock({ lambda: 0.5, stepSize: 0.1, steps: 0 })).toThrowError(expect.objectContaining({ code: 'INVALID_VALUE' }));
    expect(() => new StochasticNormalizingFlow({ base: Normal.standard(2), target: e2, layers: [{} as SnfLayer] })).toThrowError(
      expect.objectContaining({ code: 'INVALID_VALUE' }),
    );
  });
});
