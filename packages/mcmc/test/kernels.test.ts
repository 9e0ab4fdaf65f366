import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BoltzflowError, createRng, disposeTree, type ChainState, type Energy, type Kernel } from '@boltzflow/core';
import { energyFromFunction } from '@boltzflow/energies';
import { hmc, langevin, mala, randomWalkMetropolis, sampleChain } from '../src/kernels/index.js';
import {
  chi2Quantile,
  correlatedGaussian,
  doubleWell1d,
  dwU,
  exactBinProbs,
  GAUSS_COV,
  GAUSS_MU,
  histogramCheck,
  meanWithError,
  observable,
} from './helpersKernels.js';

const Z = 5; // tolerance in standard errors

/** Stationary covariance of Euler–Maruyama x' = (I − hP)x + √(2h)ξ on a Gaussian: Σ_h = AΣ_hAᵀ + 2hI (fixed point). */
function eulerCovariance(cov: number[][], h: number): number[][] {
  const [[a, b], [, d]] = cov;
  const det = a * d - b * b;
  const P = [
    [d / det, -b / det],
    [-b / det, a / det],
  ];
  const A = [
    [1 - h * P[0][0], -h * P[0][1]],
    [-h * P[1][0], 1 - h * P[1][1]],
  ];
  let S = [
    [0, 0],
    [0, 0],
  ];
  for (let it = 0; it < 200000; it++) {
    const AS = [0, 1].map((i) => [0, 1].map((j) => A[i][0] * S[0][j] + A[i][1] * S[1][j]));
    const next = [0, 1].map((i) => [0, 1].map((j) => AS[i][0] * A[j][0] + AS[i][1] * A[j][1] + (i === j ? 2 * h : 0)));
    const diff = Math.abs(next[0][0] - S[0][0]) + Math.abs(next[0][1] - S[0][1]) + Math.abs(next[1][1] - S[1][1]);
    S = next;
    if (diff < 1e-12) break;
  }
  return S;
}

function checkMoments(kernel: Kernel<ChainState>, seed: number, steps: number, cov: number[][] = GAUSS_COV) {
  const chains = 16;
  const x0 = tf.tidy(() => tf.add(tf.tensor1d(GAUSS_MU), tf.mul(createRng(seed + 1).normal([chains, 2]), 0.5)) as tf.Tensor2D);
  const res = sampleChain(kernel, x0, { steps, burnIn: 300, rng: createRng(seed) });
  x0.dispose();
  disposeTree(res.finalState);
  const { data, shape } = res.samples;
  for (let i = 0; i < 2; i++) {
    const m = meanWithError(observable(data, shape, (x, o) => x[o + i]));
    expect(Math.abs(m.mean - GAUSS_MU[i]), `mean[${i}] = ${m.mean} ± ${m.se}`).toBeLessThan(Z * m.se);
    for (let j = i; j < 2; j++) {
      const c = meanWithError(observable(data, shape, (x, o) => (x[o + i] - GAUSS_MU[i]) * (x[o + j] - GAUSS_MU[j])));
      expect(Math.abs(c.mean - cov[i][j]), `cov[${i}][${j}] = ${c.mean} ± ${c.se} vs ${cov[i][j]}`).toBeLessThan(Z * c.se);
    }
  }
  return res;
}

describe('kernels reproduce a correlated 2D Gaussian (mean and covariance within 5 autocorrelation-aware SE)', () => {
  const target = correlatedGaussian();
  it('randomWalkMetropolis', () => {
    const res = checkMoments(randomWalkMetropolis(target, { stepSize: [0.9, 0.6] }), 11, 3000);
    expect(res.energyEvaluations).toBe(16 * 3301);
    expect(res.overallAcceptanceRate).toBeGreaterThan(0.1);
  });
  it('mala', () => {
    checkMoments(mala(target, { stepSize: 0.04 }), 12, 2000);
  });
  it('hmc (with a diagonal mass matrix)', () => {
    const res = checkMoments(hmc(target, { stepSize: 0.12, numLeapfrogSteps: 8, massDiag: [1, 2] }), 13, 1000);
    expect(res.energyEvaluations).toBe(16 + 16 * 8 * 1300);
  });
  it('langevin overdamped matches the exact Euler–Maruyama stationary covariance', () => {
    const h = 0.02;
    checkMoments(langevin(target, { stepSize: h, scheme: 'overdamped' }), 14, 3000, eulerCovariance(GAUSS_COV, h));
  });
  it('langevin BAOAB (exact configurational covariance on a Gaussian)', () => {
    const res = checkMoments(langevin(target, { stepSize: 0.15, scheme: 'baoab', friction: 2 }), 15, 2500);
    expect(res.overallAcceptanceRate).toBe(1);
  });
});

describe('kernels reproduce the 1D double-well density (u = (x⁴ − 6x² − 0.5x)/3, exact bins by quadrature)', () => {
  const T = 3;
  const target = doubleWell1d(T);
  const edges = Array.from({ length: 17 }, (_, i) => -3.2 + (6.4 * i) / 16);
  const exact = exactBinProbs((x) => dwU(x, T), edges);
  const cases: [string, () => Kernel<ChainState>, number, number][] = [
    ['randomWalkMetropolis', () => randomWalkMetropolis(target, { stepSize: 1.0 }), 4000, 16],
    ['mala', () => mala(target, { stepSize: 0.03 }), 4000, 16],
    ['hmc', () => hmc(target, { stepSize: 0.1, numLeapfrogSteps: 6 }), 1500, 16],
    // unadjusted: O(h) bias in the invariant law (~1% in the bin masses here), well below the Monte-Carlo error
    ['langevin overdamped (small h)', () => langevin(target, { stepSize: 0.01, scheme: 'overdamped' }), 3000, 64],
    ['langevin baoab', () => langevin(target, { stepSize: 0.05, scheme: 'baoab' }), 4000, 16],
  ];
  cases.forEach(([name, make, steps, chains], k) => {
    it(name, () => {
      const x0 = tf.tidy(() => tf.mul(createRng(100 + k).normal([chains, 1]), 1.5) as tf.Tensor2D);
      const res = sampleChain(make(), x0, { steps, burnIn: 300, rng: createRng(200 + k) });
      x0.dispose();
      disposeTree(res.finalState);
      const series = observable(res.samples.data, res.samples.shape, (x, o) => x[o]);
      const { maxZ, chi2, bins } = histogramCheck(series, edges, exact);
      expect(maxZ, `max |z| over bins (chi2 ${chi2})`).toBeLessThan(4.5);
      expect(chi2).toBeLessThan(chi2Quantile(bins, 3.7));
    });
  });
});

describe('acceptance and robustness', () => {
  const target = correlatedGaussian();
  const x0 = () =>
    tf.tensor2d([
      [1, -0.5],
      [0, 0],
      [2, 0],
      [1.5, -1],
    ]);
  it('MALA and HMC accept almost always with tiny steps', () => {
    for (const k of [mala(target, { stepSize: 1e-5 }), hmc(target, { stepSize: 1e-3, numLeapfrogSteps: 5 })] as Kernel<ChainState>[]) {
      const x = x0();
      const res = sampleChain(k, x, { steps: 100, rng: createRng(3) });
      expect(res.overallAcceptanceRate).toBeGreaterThan(0.98);
      x.dispose();
      disposeTree(res.finalState);
    }
  });
  it('proposals landing on NaN/Inf energy are rejected, never NaN in the chain', () => {
    // NaN for x₀ > 1.5 (sqrt of a negative number), +Inf for x₁ < −1.5.
    const walled: Energy = energyFromFunction(
      (x) =>
        tf.tidy(() => {
          const [a, b] = tf.split(x, 2, 1).map((t) => t.squeeze([1]));
          const base = tf.mul(tf.add(tf.square(a), tf.square(b)), 0.5);
          const nan = tf.mul(tf.sqrt(tf.sub(1.5, a)), 0);
          const inf = tf.neg(tf.log(tf.add(tf.sign(tf.add(b, 1.5)), 1)));
          return tf.add(tf.add(base, nan), inf) as tf.Tensor1D;
        }),
      2,
    );
    const kernels: Kernel<ChainState>[] = [
      randomWalkMetropolis(walled, { stepSize: 1.5 }),
      mala(walled, { stepSize: 0.5 }),
      hmc(walled, { stepSize: 0.5, numLeapfrogSteps: 5 }),
      langevin(walled, { stepSize: 0.5, scheme: 'overdamped' }),
      langevin(walled, { stepSize: 0.5, scheme: 'baoab' }),
    ];
    for (const k of kernels) {
      const x = tf.zeros([8, 2]) as tf.Tensor2D;
      let state = k.init(x);
      const rng = createRng(9);
      for (let i = 0; i < 60; i++) {
        const { state: next, info } = k.step(state, rng);
        const lar = info.logAcceptRatio.dataSync();
        expect(Array.from(lar).some(Number.isNaN)).toBe(false);
        disposeTree(info);
        disposeTree(state);
        state = next;
      }
      const xs = state.x.dataSync();
      const us = state.energy.dataSync();
      expect(Array.from(xs).every(Number.isFinite)).toBe(true);
      expect(Array.from(us).every(Number.isFinite)).toBe(true);
      for (let i = 0; i < 8; i++) {
        expect(xs[2 * i]).toBeLessThanOrEqual(1.5);
        expect(xs[2 * i + 1]).toBeGreaterThanOrEqual(-1.5);
      }
      x.dispose();
      disposeTree(state);
    }
  });
  it('numTensors stays flat over 5000 steps of sampleChain', () => {
    const x = x0();
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    const res = sampleChain(mala(target, { stepSize: 0.05 }), x, {
      steps: 5000,
      rng: createRng(5),
      progressEvery: 512, // a multiple of the 64-draw download block: counts are compared at block boundaries
      onProgress: (p) => {
        if (p.step % 512 === 0) counts.push(tf.memory().numTensors);
      },
    });
    expect(res.samples.shape).toEqual([5000, 4, 2]);
    expect(Math.max(...counts) - Math.min(...counts), counts.join(',')).toBe(0);
    disposeTree(res.finalState);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
  it('burnIn, thin and trace shape the kept draws', () => {
    const x = x0();
    const res = sampleChain(randomWalkMetropolis(target, { stepSize: 0.5 }), x, {
      steps: 100,
      burnIn: 10,
      thin: 7,
      rng: createRng(6),
      trace: (xx) => tf.tidy(() => tf.sum(xx, 1, true) as tf.Tensor2D),
    });
    expect(res.samples.shape).toEqual([14, 4, 1]);
    expect(res.acceptanceRate).toHaveLength(4);
    const t = res.samples.toTensor();
    expect(t.shape).toEqual([14, 4, 1]);
    t.dispose();
    disposeTree(res.finalState);
    x.dispose();
  });
  it('invalid inputs throw BoltzflowError naming the argument', () => {
    const expectArg = (f: () => unknown, arg: string) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(BoltzflowError);
        expect((e as BoltzflowError).details.argument).toBe(arg);
        return;
      }
      throw new Error(`expected a BoltzflowError for ${arg}`);
    };
    expectArg(() => randomWalkMetropolis(target, { stepSize: 0 }), 'stepSize');
    expectArg(() => randomWalkMetropolis(target, { stepSize: [0.1, -1] }), 'stepSize[1]');
    expectArg(() => randomWalkMetropolis(target, { stepSize: [0.1, 0.1, 0.1] }), 'stepSize');
    expectArg(() => mala(target, { stepSize: -0.1 }), 'stepSize');
    expectArg(() => hmc(target, { stepSize: Number.NaN, numLeapfrogSteps: 3 }), 'stepSize');
    expectArg(() => hmc(target, { stepSize: 0.1, numLeapfrogSteps: 0 }), 'numLeapfrogSteps');
    expectArg(() => hmc(target, { stepSize: 0.1, numLeapfrogSteps: 2, massDiag: [1, 0] }), 'massDiag[1]');
    expectArg(() => langevin(target, { stepSize: 0.1, scheme: 'baoab', friction: 0 }), 'friction');
    expectArg(() => langevin(target, { stepSize: 0.1, scheme: 'nope' as 'baoab' }), 'scheme');
    const wrong = tf.zeros([3, 3]) as tf.Tensor2D;
    expectArg(() => mala(target, { stepSize: 0.1 }).init(wrong), 'x0');
    wrong.dispose();
    const inf = energyFromFunction((x) => tf.tidy(() => tf.div(tf.sum(x, 1), tf.zeros([x.shape[0]])) as tf.Tensor1D), 2);
    const bad = tf.ones([2, 2]) as tf.Tensor2D;
    expectArg(() => randomWalkMetropolis(inf, { stepSize: 0.1 }).init(bad), 'x0');
    expectArg(() => hmc(inf, { stepSize: 0.1, numLeapfrogSteps: 1 }).init(bad), 'x0');
    const k = randomWalkMetropolis(target, { stepSize: 0.1 });
    const ok = x0();
    expectArg(() => sampleChain(k, ok, { steps: -1, rng: createRng(1) }), 'steps');
    expectArg(() => sampleChain(k, ok, { steps: 10, thin: 0, rng: createRng(1) }), 'thin');
    bad.dispose();
    ok.dispose();
  });
});
