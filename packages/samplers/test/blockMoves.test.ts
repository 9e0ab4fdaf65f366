import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import type { CoordinateBlock } from '@boltzflow/core';
import { countingEnergy, energyFromFunction } from '@boltzflow/energies';
import { compareSamplers, type Draws } from '../src/index.js';

// Two coupled angles and a normal coordinate: u = −a cos 2θ₁ − b cos θ₁ − c cos(θ₂ − θ₁) + y²/2. θ₁ has basins at 0 and
// π behind a barrier of 2a = 8 kT that MALA does not cross; the block moves redraw (θ₁, θ₂), the rest (y) kept.
const A = 4;
const B = 0.5;
const C = 2;
const inner = energyFromFunction(
  (x) =>
    tf.tidy(() => {
      const [t1, t2, y] = tf.split(x, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      const u = tf.addN([tf.mul(-A, tf.cos(tf.mul(2, t1))), tf.mul(-B, tf.cos(t1)), tf.mul(-C, tf.cos(tf.sub(t2, t1))), tf.mul(0.5, tf.square(y))]);
      return tf.squeeze(u, [1]) as tf.Tensor1D;
    }),
  3,
  'coupledAngles',
);
const block: CoordinateBlock = {
  dim: 2,
  circular: [true, true],
  read: (x) => tf.tidy(() => tf.atan2(tf.sin(tf.slice(x, [0, 0], [-1, 2])), tf.cos(tf.slice(x, [0, 0], [-1, 2]))) as tf.Tensor2D),
  write: (x, s) => tf.tidy(() => tf.concat([s, tf.slice(x, [0, 2], [-1, 1])], 1)),
};

/** ΔF = F(cos θ₁ > 0) − F(cos θ₁ < 0) = −ln(P(cos θ₁ > 0)/P(cos θ₁ < 0)) by quadrature on a periodic grid (θ₂ integrates to a constant). */
function exactDeltaF(): number {
  let pos = 0;
  let neg = 0;
  for (let i = 0; i < 100_000; i++) {
    const t = -Math.PI + (2 * Math.PI * (i + 0.5)) / 100_000;
    const w = Math.exp(A * Math.cos(2 * t) + B * Math.cos(t));
    if (Math.cos(t) > 0) pos += w;
    else neg += w;
  }
  return -Math.log(pos / neg);
}

/** Draws → cos θ₁, whose sign is the basin. */
const project = (d: Draws): Draws => {
  const [k, c, dim] = d.shape;
  const out = new Float32Array(k * c);
  for (let i = 0; i < k * c; i++) out[i] = Math.cos(d.data[i * dim]!);
  return { data: out, shape: [k, c, 1] };
};

describe('block-flowmc and block-mc recipes', () => {
  it('correct the basin populations from a one-basin start through the block moves, every evaluation counted', async () => {
    const exact = exactDeltaF();
    const target = {
      block,
      project,
      spec: { index: 0, name: 'cos θ₁', threshold: 0, deadZone: 0.2, profileEdges: [-1, -0.5, 0, 0.5, 1] },
      start: (n: number) => tf.tensor2d(Array.from({ length: n }, (_, i) => [0.1 * (i % 3), 0, 0]).flat(), [n, 3]),
    };
    const names = ['block-mc', 'block-flowmc'];
    const counters = names.map(() => countingEnergy(inner));
    const params = { localStepSize: 0.05, localSteps: 10, globalSteps: 10, trainingLoops: 3, trainStepsPerLoop: 40, layers: 2, hidden: 16 };
    const before = tf.memory().numTensors;
    for (const [i, name] of names.entries()) {
      const u = counters[i]!;
      const [o] = await compareSamplers(u, [{ name, params }], { budget: { evaluations: 12_000, chains: 32, warmup: 20 }, seed: 7, target });
      const r = o!.result;
      expect(r.energyEvaluations + (r.setupEnergyEvaluations ?? 0)).toBe(u.counts.energy + u.counts.gradient);
      expect(Math.abs(r.energyEvaluations - 12_000)).toBeLessThan(0.05 * 12_000);
      expect(r.acceptanceRate).toBeGreaterThan(0.05);
      expect(Math.abs(r.deltaF!.estimate - exact)).toBeLessThan(4 * r.deltaF!.stderr + 0.05);
      if (name === 'block-mc') expect(r.setupEnergyEvaluations).toBe(0);
      else expect(r.setupEnergyEvaluations).toBeGreaterThan(0);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a target without a block', async () => {
    await expect(
      compareSamplers(countingEnergy(inner), [{ name: 'block-flowmc', params: {} }], { budget: { evaluations: 1000, chains: 4, warmup: 2 }, seed: 1 }),
    ).rejects.toThrow(/needs a block of angles/);
  });
});
