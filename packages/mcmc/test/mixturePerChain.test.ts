// mixtureKernel with per-chain kernel choice: the stationary distribution against a closed form, the independence of
// the chains' choices (χ² frequency tests), the evaluation count against a counting wrapper, and no tensor leaks.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createRng, disposeTree } from '@boltzflow/core';
import { countingEnergy, energyFromFunction } from '@boltzflow/energies';
import { Normal } from '@boltzflow/distributions';
import { mala, randomWalkMetropolis, sampleChain } from '../src/kernels/index.js';
import { flowIndependenceProposal, mixtureKernel } from '../src/flow/index.js';
import { disposeStateExcept } from './flowFixtures.js';

// 1D two-component Gaussian mixture p = w N(−a, s²) + (1 − w) N(a, s²), written as u = −log p (normalised).
const w = 0.3;
const a = 3;
const s = 0.5;
const mixtureU = (x: tf.Tensor2D): tf.Tensor1D =>
  tf.tidy(() => {
    const x1 = tf.squeeze(x, [1]);
    const c = -0.5 * Math.log(2 * Math.PI * s * s);
    const l1 = tf.add(Math.log(w) + c, tf.mul(tf.square(tf.add(x1, a)), -0.5 / (s * s)));
    const l2 = tf.add(Math.log(1 - w) + c, tf.mul(tf.square(tf.sub(x1, a)), -0.5 / (s * s)));
    return tf.neg(tf.logSumExp(tf.stack([l1, l2], 1), 1)) as tf.Tensor1D;
  });

// χ² critical values at p = 0.001.
const CHI2_999: Record<number, number> = { 2: 13.82, 8: 26.12 };

function chiSquare(observed: number[], expected: number[]): number {
  return observed.reduce((acc, o, i) => acc + (o - expected[i]) ** 2 / expected[i], 0);
}

describe('mixtureKernel: per-chain kernel choice', () => {
  it('leaves a two-mode target invariant: P(x > 0), E[x], E[x²] match the closed form within 5 s.e.', () => {
    const energy = energyFromFunction(mixtureU, 1, 'two-gaussians');
    // Local MALA and RWM never cross the 6σ gap; only the wide independence proposal moves chains between modes, so
    // the mode weight tests that every chain's cached sub-state (gradient, log q) stays with that chain.
    const q = new Normal({ loc: [0.5], scale: [4] });
    const mix = mixtureKernel(
      [mala(energy, { stepSize: 0.05 }), flowIndependenceProposal(q, energy), randomWalkMetropolis(energy, { stepSize: 0.5 })],
      [0.45, 0.25, 0.3],
    );
    expect(mix.choice).toBe('per-chain');
    const rng = createRng(501);
    const chains = 128;
    // Every chain starts in the left (lighter) mode.
    const x0 = tf.tidy(() => tf.add(tf.mul(rng.normal([chains, 1]), s), -a)) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    const steps = 300;
    const res = sampleChain(mix, x0, { steps, burnIn: 60, rng });
    disposeTree(res.finalState);
    expect(tf.memory().numTensors).toBe(before);
    x0.dispose();
    const data = res.samples.data;
    const stat = (f: (v: number) => number) => {
      const per = new Float64Array(chains);
      for (let t = 0; t < steps; t++) for (let c = 0; c < chains; c++) per[c] += f(data[t * chains + c]) / steps;
      const mean = per.reduce((x, y) => x + y, 0) / chains;
      const v = per.reduce((x, y) => x + (y - mean) ** 2, 0) / (chains - 1);
      return { mean, se: Math.sqrt(v / chains) };
    };
    const exact = { right: 1 - w, mean: (1 - 2 * w) * a, second: s * s + a * a };
    const right = stat((v) => (v > 0 ? 1 : 0));
    const mean = stat((v) => v);
    const second = stat((v) => v * v);
    expect(Math.abs(right.mean - exact.right)).toBeLessThan(5 * right.se);
    expect(Math.abs(mean.mean - exact.mean)).toBeLessThan(5 * mean.se);
    expect(Math.abs(second.mean - exact.second)).toBeLessThan(5 * second.se);
    expect(right.se).toBeLessThan(0.03);
  });

  it('chains choose independently: marginal, pairwise and step-to-step frequencies pass χ² tests', () => {
    const energy = energyFromFunction((x) => tf.mul(tf.sum(tf.square(x), 1), 0.5), 2);
    const probs = [0.2, 0.5, 0.3];
    const mix = mixtureKernel(
      [randomWalkMetropolis(energy, { stepSize: 0.5 }), randomWalkMetropolis(energy, { stepSize: 1 }), mala(energy, { stepSize: 0.2 })],
      [2, 5, 3],
    );
    const rng = createRng(502);
    const chains = 40;
    const x0 = tf.zeros([chains, 2]) as tf.Tensor2D;
    let state = mix.init(x0);
    const steps = 250;
    const marginal = [0, 0, 0];
    const pair = new Array(9).fill(0); // (chain c, chain c + 1) in the same step
    const lag = new Array(9).fill(0); // (step t, step t + 1) of the same chain
    let mixedSteps = 0;
    let prev: number[] | undefined;
    for (let t = 0; t < steps; t++) {
      const { state: next, info } = mix.step(state, rng);
      const ks = info.chainKernels;
      expect(ks).toHaveLength(chains);
      if (new Set(ks).size > 1) {
        mixedSteps++;
        expect(info.kernelIndex).toBe(-1);
      }
      for (let c = 0; c < chains; c++) marginal[ks[c]]++;
      for (let c = 0; c + 1 < chains; c += 2) pair[ks[c] * 3 + ks[c + 1]]++;
      if (prev) for (let c = 0; c < chains; c++) lag[prev[c] * 3 + ks[c]]++;
      prev = ks;
      disposeStateExcept(state, next);
      tf.dispose([info.accepted, info.logAcceptRatio]);
      state = next;
    }
    disposeTree(state);
    x0.dispose();
    expect(mixedSteps).toBe(steps);
    const total = steps * chains;
    expect(
      chiSquare(
        marginal,
        probs.map((p) => p * total),
      ),
    ).toBeLessThan(CHI2_999[2]);
    const joint = (n: number) => probs.flatMap((p) => probs.map((q) => p * q * n));
    expect(chiSquare(pair, joint((steps * chains) / 2))).toBeLessThan(CHI2_999[8]);
    expect(chiSquare(lag, joint((steps - 1) * chains))).toBeLessThan(CHI2_999[8]);
  });

  it('counts every evaluation: steps plus one per chain whose sub-state is rebuilt, equal to a counting wrapper', () => {
    const counted = countingEnergy(energyFromFunction((x) => tf.mul(tf.sum(tf.square(x), 1), 0.5), 3));
    const q = new Normal({ loc: [0, 0, 0], scale: [1.5, 1.5, 1.5] });
    const mix = mixtureKernel([randomWalkMetropolis(counted, { stepSize: 0.7 }), flowIndependenceProposal(q, counted)], [0.6, 0.4]);
    const rng = createRng(503);
    const x0 = tf.tidy(() => rng.normal([24, 3])) as tf.Tensor2D;
    let state = mix.init(x0);
    const initRows = counted.counts.energy + counted.counts.gradient;
    expect(initRows).toBe(24);
    let reported = 0;
    let rebuilt = 0;
    let sameKernel = 0;
    let last = new Array(24).fill(0);
    for (let t = 0; t < 40; t++) {
      const { state: next, info } = mix.step(state, rng);
      reported += info.energyEvaluations;
      rebuilt += info.reinitializedChains;
      // A chain is rebuilt exactly when its kernel differs from the one that moved it last.
      expect(info.reinitializedChains).toBe(info.chainKernels.filter((k, c) => k !== last[c]).length);
      sameKernel += info.chainKernels.filter((k, c) => k === last[c]).length;
      last = info.chainKernels;
      disposeStateExcept(state, next);
      tf.dispose([info.accepted, info.logAcceptRatio]);
      state = next;
    }
    disposeTree(state);
    x0.dispose();
    expect(rebuilt).toBeGreaterThan(0);
    expect(sameKernel).toBeGreaterThan(0);
    expect(reported).toBe(40 * 24 + rebuilt);
    expect(reported + initRows).toBe(counted.counts.energy + counted.counts.gradient);
  });

  it("'per-step' draws one kernel for all chains; an unknown choice is a typed error", () => {
    const energy = energyFromFunction((x) => tf.mul(tf.sum(tf.square(x), 1), 0.5), 2);
    const mix = mixtureKernel([randomWalkMetropolis(energy, { stepSize: 0.5 }), randomWalkMetropolis(energy, { stepSize: 1 })], [0.5, 0.5], {
      choice: 'per-step',
    });
    const rng = createRng(504);
    const x0 = tf.zeros([16, 2]) as tf.Tensor2D;
    let state = mix.init(x0);
    for (let t = 0; t < 20; t++) {
      const { state: next, info } = mix.step(state, rng);
      expect(new Set(info.chainKernels).size).toBe(1);
      expect(info.kernelIndex).toBe(info.chainKernels[0]);
      disposeStateExcept(state, next);
      tf.dispose([info.accepted, info.logAcceptRatio]);
      state = next;
    }
    disposeTree(state);
    x0.dispose();
    expect(() => mixtureKernel([randomWalkMetropolis(energy, { stepSize: 1 })], [1], { choice: 'sometimes' as unknown as 'per-step' })).toThrowError(
      expect.objectContaining({ name: 'BoltzflowError', code: 'INVALID_CONFIG' }),
    );
  });
});
