import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createRng, isBoltzflowError, type CoordinateBlock } from '@boltzflow/core';
import { energyFromFunction } from '@boltzflow/energies';
import { VonMises } from '@boltzflow/distributions';
import { blockIndependenceProposal } from '../src/flow/index.js';

// u(θ, y) = −κ cos(θ − y) + y²/2: given y, θ is von Mises(y, κ). The block is θ (column 0), the rest y.
const KAPPA = 3;
const energy = energyFromFunction(
  (x) =>
    tf.tidy(() => {
      const [t, y] = tf.split(x, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
      return tf.squeeze(tf.sub(tf.mul(0.5, tf.square(y)), tf.mul(KAPPA, tf.cos(tf.sub(t, y)))), [1]) as tf.Tensor1D;
    }),
  2,
  'vonMisesGivenY',
);
const block: CoordinateBlock = {
  dim: 1,
  circular: [true],
  read: (x) => tf.slice(x, [0, 0], [-1, 1]),
  write: (x, s) => tf.tidy(() => tf.concat([s, tf.slice(x, [0, 1], [-1, 1])], 1)),
};

/** E[cos(θ − μ)] of a von Mises(μ, κ): I₁(κ)/I₀(κ) by the trapezoid rule on a fine periodic grid. */
function meanResultant(kappa: number): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < 20_000; i++) {
    const t = -Math.PI + (2 * Math.PI * i) / 20_000;
    const w = Math.exp(kappa * Math.cos(t));
    num += Math.cos(t) * w;
    den += w;
  }
  return num / den;
}

describe('blockIndependenceProposal', () => {
  it('accepts every proposal when the proposal is the conditional of the block', () => {
    const y = 0.8;
    const kernel = blockIndependenceProposal(new VonMises({ loc: [y], concentration: [KAPPA] }), energy, block);
    const rng = createRng(3);
    const x0 = tf.tensor2d(Array.from({ length: 16 }, (_, i) => [-2 + 0.2 * i, y]).flat(), [16, 2]);
    let state = kernel.init(x0);
    for (let i = 0; i < 3; i++) {
      const { state: next, info } = kernel.step(state, rng);
      for (const r of info.logAcceptRatio.dataSync()) expect(Math.abs(r)).toBeLessThan(1e-4);
      expect(info.energyEvaluations).toBe(16);
      // the rest of each chain is kept
      for (const v of tf.slice(next.x, [0, 1], [-1, 1]).dataSync()) expect(v).toBeCloseTo(y, 6);
      tf.dispose([state.x, state.energy, state.logQ, info.accepted, info.logAcceptRatio]);
      state = next;
    }
    tf.dispose([x0, state.x, state.energy, state.logQ]);
  });

  it('samples the conditional of the block with a poor proposal (circular moment against quadrature)', () => {
    const y = 0.8;
    const kernel = blockIndependenceProposal(new VonMises({ loc: [2], concentration: [0.5] }), energy, block);
    const rng = createRng(5);
    const chains = 256;
    const before = tf.memory().numTensors;
    const x0 = tf.tensor2d(Array.from({ length: chains }, () => [-2, y]).flat(), [chains, 2]);
    let state = kernel.init(x0);
    const perChain = new Float64Array(chains);
    let acc = 0;
    const steps = 80;
    const burn = 20;
    for (let i = 0; i < steps; i++) {
      const { state: next, info } = kernel.step(state, rng);
      acc += Array.from(info.accepted.dataSync()).reduce((a, b) => a + b, 0) / chains / steps;
      if (i >= burn) {
        const th = next.x.dataSync();
        for (let c = 0; c < chains; c++) perChain[c]! += Math.cos(th[2 * c]! - y) / (steps - burn);
      }
      tf.dispose([state.x, state.energy, state.logQ, info.accepted, info.logAcceptRatio]);
      state = next;
    }
    tf.dispose([x0, state.x, state.energy, state.logQ]);
    expect(tf.memory().numTensors).toBe(before);
    const mean = perChain.reduce((a, b) => a + b, 0) / chains;
    const se = Math.sqrt(perChain.reduce((a, v) => a + (v - mean) ** 2, 0) / (chains - 1) / chains);
    expect(acc).toBeGreaterThan(0.1);
    expect(Math.abs(mean - meanResultant(KAPPA))).toBeLessThan(4 * se);
  });

  it('refuses a proposal whose dimension is not the block’s, and a missing block', () => {
    const wrong = () => blockIndependenceProposal(new VonMises({ loc: [0, 0], concentration: [1, 1] }), energy, block);
    expect(wrong).toThrow(/block proposal and the block differ/);
    try {
      wrong();
    } catch (e) {
      expect(isBoltzflowError(e) && e.details.argument).toBe('proposal');
    }
    expect(() => blockIndependenceProposal(new VonMises({ loc: [0], concentration: [1] }), energy, undefined as unknown as CoordinateBlock)).toThrow(
      /coordinate block/,
    );
  });
});
