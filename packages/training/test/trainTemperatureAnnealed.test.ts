import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createRng, isBoltzflowError } from '@boltzflow/core';
import { countingEnergy, energyFromFunction } from '@boltzflow/energies';
import { realNVP } from '@boltzflow/bijectors';
import { Normal, TransformedDistribution } from '@boltzflow/distributions';
import { annealingBuffer, geometricTemperatures, trainKL, trainTemperatureAnnealed } from '../src/index.js';
import { affineFlow } from './affineFlow.js';

/** Two Gaussians (σ = 0.5) at x₁ = ±4 with weights 0.25 / 0.75; x₂ ~ N(0, 0.5²). Normalised: Z = 1. */
const P_RIGHT = 0.75;
const mixture = energyFromFunction(
  (x) =>
    tf.tidy(() => {
      const s2 = 0.25;
      const x1 = x.slice([0, 0], [-1, 1]).reshape([-1]);
      const x2 = x.slice([0, 1], [-1, 1]).reshape([-1]);
      const logNorm = -Math.log(2 * Math.PI * s2);
      const a = tf.add(Math.log(1 - P_RIGHT) + logNorm, tf.div(tf.square(tf.add(x1, 4)), -2 * s2));
      const b = tf.add(Math.log(P_RIGHT) + logNorm, tf.div(tf.square(tf.sub(x1, 4)), -2 * s2));
      return tf.sub(tf.div(tf.square(x2), 2 * s2), tf.logSumExp(tf.stack([a, b], 1), 1)) as tf.Tensor1D;
    }),
  2,
  'two-mode mixture',
);

const smallFlow = (seed: number) => new TransformedDistribution(Normal.standard(2), realNVP({ dim: 2, layers: 4, hidden: [24, 24], rng: createRng(seed) }));

/** Fraction of n flow samples with x₁ > 0. */
function rightFraction(flow: TransformedDistribution, n: number, seed: number): number {
  const x = flow.sample(n, createRng(seed));
  const xs = x.dataSync();
  x.dispose();
  let k = 0;
  for (let i = 0; i < n; i++) if (xs[2 * i] > 0) k++;
  return k / n;
}

describe('trainTemperatureAnnealed', () => {
  it('one step down: the buffer weights are the closed-form ratio exp(−u/T₁)/q for a Gaussian flow and Gaussian target', () => {
    // q = N(μ, s²) in 1D, u(x) = x²/2; towards T₁ = 1.7: w ∝ exp(−x²/(2·1.7)) / q(x).
    const mu = 0.3;
    const s = 1.6;
    const T1 = 1.7;
    const flow = affineFlow(1, { shift: [mu], logDiag: [Math.log(s)] });
    const energy = energyFromFunction((x) => tf.tidy(() => tf.mul(tf.sum(tf.square(x), 1), 0.5) as tf.Tensor1D), 1, 'gauss');
    const n = 3000;
    const b = annealingBuffer(flow, energy, T1, n, createRng(3));
    const xs = b.x.dataSync();
    b.x.dispose();
    const logW = Array.from(xs, (x) => -(x * x) / (2 * T1) - (-0.5 * ((x - mu) / s) ** 2 - Math.log(s) - 0.5 * Math.log(2 * Math.PI)));
    const m = Math.max(...logW);
    const sum = logW.reduce((a, l) => a + Math.exp(l - m), 0);
    let maxRel = 0;
    for (let i = 0; i < n; i++) maxRel = Math.max(maxRel, Math.abs(b.weights[i] - Math.exp(logW[i] - m) / sum) / (Math.exp(logW[i] - m) / sum));
    expect(maxRel).toBeLessThan(1e-4);
    // log Z of exp(−x²/(2T₁)): ½ log(2πT₁), estimated by the buffer within Monte-Carlo error.
    expect(Math.abs(b.logZ - 0.5 * Math.log(2 * Math.PI * T1))).toBeLessThan(0.05);
    // Kish ESS fraction against the closed form (Σw)²/(NΣw²) → 1/E_q[w̄²]: for these Gaussians, by quadrature.
    let e1 = 0;
    let e2 = 0;
    for (let x = -30; x <= 30; x += 1e-3) {
      const q = Math.exp(-0.5 * ((x - mu) / s) ** 2) / (s * Math.sqrt(2 * Math.PI));
      const p = Math.exp(-(x * x) / (2 * T1)) / Math.sqrt(2 * Math.PI * T1);
      e1 += p * 1e-3;
      e2 += ((p * p) / q) * 1e-3;
    }
    expect(Math.abs(b.essFraction - (e1 * e1) / e2)).toBeLessThan(0.05);
    flow.trainableVariables.forEach((v) => v.dispose());
  });

  it('recovers the mode weights where reverse KL at T = 1 alone gets them wrong (seeded), counting every evaluation', async () => {
    const plain = smallFlow(13);
    await trainKL(plain, mixture, { steps: 400, batchSize: 128, learningRate: 3e-3, seed: 4 });
    const plainRight = rightFraction(plain, 4000, 21);
    // Reverse KL alone: the mass of the two modes is off by more than 0.15 (exact 0.75; seeded run: ≈ 0.53).
    expect(Math.abs(plainRight - P_RIGHT)).toBeGreaterThan(0.15);
    plain.trainableVariables.forEach((v) => v.dispose());

    const counted = countingEnergy(mixture);
    const flow = smallFlow(13);
    const reports: number[] = [];
    const r = await trainTemperatureAnnealed(flow, counted, {
      initialTemperature: 16,
      levels: 4,
      klSteps: 400,
      klBatchSize: 128,
      bufferSize: 4000,
      stepsPerTemperature: 250,
      batchSize: 256,
      learningRate: 3e-3,
      seed: 4,
      onTemperature: (t) => reports.push(t.to),
    });
    expect(r.temperatures).toEqual(geometricTemperatures(16, 4));
    expect(reports).toEqual(r.temperatures.slice(1));
    expect(r.steps).toBe(400 + 4 * 250);
    // Every evaluation counted: the counting wrapper's rows, the KL rows (gradients) and the buffers separately.
    expect(r.energyEvaluations).toBe(counted.counts.energy + counted.counts.gradient);
    expect(r.gradientEvaluations).toBe(400 * 128);
    expect(r.energyEvaluations).toBe(400 * 128 + 4 * 4000);
    expect(r.temperatureSteps.map((t) => t.energyEvaluations)).toEqual([4000, 4000, 4000, 4000]);
    for (const t of r.temperatureSteps) expect(t.essFraction).toBeGreaterThan(0.1);
    // The flow itself holds both modes with the closed-form masses 0.25 / 0.75 (flow fit + Monte-Carlo tolerance) …
    expect(Math.abs(rightFraction(flow, 4000, 22) - P_RIGHT)).toBeLessThan(0.06);
    // … and its self-normalised importance estimate of P(x₁ > 0) is within 4 s.e. (+0.01) of 0.75.
    const n = 4000;
    const { x, logProb } = flow.sampleWithLogProb(n, createRng(23));
    const lw = tf.tidy(() => tf.neg(tf.add(mixture.energy(x), logProb)).dataSync());
    const xs = x.dataSync();
    tf.dispose([x, logProb]);
    const m = Math.max(...lw);
    const w = Array.from(lw, (l) => Math.exp(l - m));
    const sw = w.reduce((a, b) => a + b, 0);
    const p = w.reduce((a, wi, i) => a + (xs[2 * i] > 0 ? wi : 0), 0) / sw;
    const se = Math.sqrt(w.reduce((a, wi, i) => a + wi * wi * ((xs[2 * i] > 0 ? 1 : 0) - p) ** 2, 0)) / sw;
    expect(Math.abs(p - P_RIGHT)).toBeLessThan(4 * se + 0.01);
    // The last buffer's log Z (exact 0: the mixture is normalised) within a loose Monte-Carlo tolerance.
    expect(Math.abs(r.temperatureSteps[3].logZ)).toBeLessThan(0.1);
    flow.trainableVariables.forEach((v) => v.dispose());
  }, 120_000);

  it('stops with a typed error naming both temperatures when the ladder is too steep', async () => {
    const flow = affineFlow(1, { shift: [0], logDiag: [Math.log(30)] });
    const energy = energyFromFunction((x) => tf.tidy(() => tf.mul(tf.sum(tf.square(x), 1), 50) as tf.Tensor1D), 1, 'narrow');
    const before = flow.trainableVariables.map((v) => Array.from(v.dataSync()));
    const e = await trainTemperatureAnnealed(flow, energy, {
      temperatures: [1000, 1],
      klSteps: 1,
      klBatchSize: 8,
      bufferSize: 2000,
      stepsPerTemperature: 1,
      minEssFraction: 0.2,
      learningRate: 1e-12,
    }).catch((x: unknown) => x);
    expect(isBoltzflowError(e) && (e as { code: string }).code).toBe('NOT_CONVERGED');
    expect((e as Error).message).toMatch(/T = 1000 and T = 1\b/);
    expect((e as { details: { argument: string } }).details.argument).toBe('temperatures');
    // The KL step at learning rate 1e-12 leaves the weights as they were (the last good ones are kept).
    flow.trainableVariables.forEach((v, i) => Array.from(v.dataSync()).forEach((w, j) => expect(w).toBeCloseTo(before[i][j], 5)));
    // With 'warn' it goes on and records the collapse; nothing leaks (buffers, objectives and the optimiser are freed).
    const tensorsBefore = tf.memory().numTensors;
    const r = await trainTemperatureAnnealed(flow, energy, {
      temperatures: [1000, 1],
      klSteps: 1,
      klBatchSize: 8,
      bufferSize: 2000,
      stepsPerTemperature: 1,
      minEssFraction: 0.2,
      onEssCollapse: 'warn',
      learningRate: 1e-12,
    });
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(r.warnings).toHaveLength(1);
    expect(r.temperatureSteps[0].collapsed).toBe(true);
    flow.trainableVariables.forEach((v) => v.dispose());
  });

  it('rejects bad input with typed errors naming the argument', async () => {
    const flow = affineFlow(2);
    const e1 = energyFromFunction((x) => tf.tidy(() => tf.sum(tf.square(x), 1) as tf.Tensor1D), 3, 'd3');
    const e2 = energyFromFunction((x) => tf.tidy(() => tf.sum(tf.square(x), 1) as tf.Tensor1D), 2, 'd2');
    const argOf = async (p: Promise<unknown>) => {
      const e = await p.then(
        () => undefined,
        (x: unknown) => x,
      );
      expect(isBoltzflowError(e)).toBe(true);
      return (e as { details: { argument: string } }).details.argument;
    };
    expect(await argOf(trainTemperatureAnnealed(flow, e1))).toBe('flow.dim');
    expect(await argOf(trainTemperatureAnnealed(flow, e2, { temperatures: [4, 8, 1] }))).toBe('temperatures');
    expect(await argOf(trainTemperatureAnnealed(flow, e2, { temperatures: [4, 2] }))).toBe('temperatures');
    expect(await argOf(trainTemperatureAnnealed(flow, e2, { temperatures: [4, 2, 2, 1] }))).toBe('temperatures');
    expect(await argOf(trainTemperatureAnnealed(flow, e2, { temperatures: [1] }))).toBe('temperatures');
    expect(await argOf(trainTemperatureAnnealed(flow, e2, { initialTemperature: 0.5 }))).toBe('initialTemperature');
    expect(await argOf(trainTemperatureAnnealed(flow, e2, { levels: 0 }))).toBe('levels');
    expect(await argOf(trainTemperatureAnnealed(flow, e2, { klSteps: 0 }))).toBe('klSteps');
    expect(await argOf(trainTemperatureAnnealed(flow, e2, { bufferSize: -5 }))).toBe('bufferSize');
    expect(await argOf(trainTemperatureAnnealed(flow, e2, { stepsPerTemperature: 1.5 }))).toBe('stepsPerTemperature');
    expect(await argOf(trainTemperatureAnnealed(flow, e2, { batchSize: 0 }))).toBe('batchSize');
    expect(await argOf(trainTemperatureAnnealed(flow, e2, { klBatchSize: 0 }))).toBe('klBatchSize');
    expect(await argOf(trainTemperatureAnnealed(flow, e2, { minEssFraction: 1 }))).toBe('minEssFraction');
    flow.trainableVariables.forEach((v) => v.dispose());
  });

  it('stops on an energy unbounded below with a typed error naming the energy', async () => {
    const flow = affineFlow(1);
    // u = x²/2 − exp(100(x − 2)): differentiable, and −∞ in float32 beyond x ≈ 2.9 (≈ 0.2 % of N(0, 1)).
    const bad = energyFromFunction(
      (x) => tf.tidy(() => tf.sub(tf.mul(tf.sum(tf.square(x), 1), 0.5), tf.exp(tf.mul(tf.sub(tf.reshape(x, [-1]), 2), 100))) as tf.Tensor1D),
      1,
      'unbounded',
    );
    const tensorsBefore = tf.memory().numTensors;
    const e = await trainTemperatureAnnealed(flow, bad, {
      temperatures: [2, 1],
      klSteps: 1,
      klBatchSize: 4,
      bufferSize: 5000,
      stepsPerTemperature: 1,
      learningRate: 1e-12,
      seed: 2,
    }).catch((x: unknown) => x);
    expect(isBoltzflowError(e) && (e as { code: string }).code).toBe('DIVERGED');
    expect((e as { details: { argument: string } }).details.argument).toBe('energy');
    expect((e as Error).message).toMatch(/unbounded below/);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    flow.trainableVariables.forEach((v) => v.dispose());
  });
});
