import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createRng, isBoltzflowError, type Distribution, type Energy, type Rng } from '@boltzflow/core';
import { countingEnergy, energyFromFunction } from '@boltzflow/energies';
import { realNVP } from '@boltzflow/bijectors';
import { Normal, TransformedDistribution } from '@boltzflow/distributions';
import { aisRunner, fabReplayLoss, pSquaredOverQ, replayWeightAdjustment, trainFAB, type AisRunner } from '../src/index.js';
import { affineFlow, affineOf, gaussianOf } from './affineFlow.js';

/** AIS with no intermediate distribution: plain importance sampling from q towards the target (log w = −u_t − log q). */
const importanceOnly: AisRunner = (flow: Distribution, target: Energy, n: number, rng: Rng) => {
  const { x, logProb } = flow.sampleWithLogProb(n, rng);
  const logWeights = tf.tidy(() => tf.neg(tf.add(target.energy(x), logProb)).dataSync() as Float32Array);
  logProb.dispose();
  return { x, logWeights, energyEvaluations: n };
};

/** ∫ p²/q dx on a fine grid (p = N(0, 1), q = N(μ, s²)), the α = 2 divergence up to constants. */
function alpha2Divergence(mu: number, s: number): number {
  let acc = 0;
  const h = 1e-3;
  for (let x = -30; x <= 30; x += h) {
    const p = Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
    const logQ = -0.5 * ((x - mu) / s) ** 2 - Math.log(s) - 0.5 * Math.log(2 * Math.PI);
    acc += (p * p) / Math.exp(logQ);
  }
  return acc * h;
}

describe('FAB', () => {
  it('the replay loss gradient is ∇ log D₂(p‖q) (central differences of the α = 2 divergence by quadrature)', () => {
    const mu = 0.4;
    const logS = Math.log(1.3);
    const s = Math.exp(logS);
    const flow = affineFlow(1, { shift: [mu], logDiag: [logS] });
    // Exact samples of p²/q ∝ exp(−x² + (x − μ)²/(2s²)): Gaussian with variance 1/(2 − 1/s²) and mean −μ/(2s² − 1).
    const v = 1 / (2 - 1 / (s * s));
    const m = -mu / (2 * s * s - 1);
    const n = 100_000;
    const rng = createRng(5);
    const z = rng.normalArray(n);
    const x = tf.tensor2d(
      Float32Array.from(z, (zi) => m + Math.sqrt(v) * zi),
      [n, 1],
    );
    const ones = new Float32Array(n).fill(1);
    const vars = flow.trainableVariables;
    const { grads } = tf.variableGrads(() => fabReplayLoss(flow, x, ones), vars);
    const affine = affineOf(flow);
    const gMu = grads[affine.shift.name].dataSync()[0];
    const gLogS = grads[affine.logDiag.name].dataSync()[0];
    tf.dispose(grads);
    // Per-sample ∇ log q in (μ, log s), for the Monte-Carlo standard error of the mean.
    const xs = x.dataSync();
    let sm = 0,
      sm2 = 0,
      ss = 0,
      ss2 = 0;
    for (const xi of xs) {
      const a = (xi - mu) / (s * s);
      const b = ((xi - mu) / s) ** 2 - 1;
      sm += a;
      sm2 += a * a;
      ss += b;
      ss2 += b * b;
    }
    const seMu = Math.sqrt((sm2 / n - (sm / n) ** 2) / n);
    const seS = Math.sqrt((ss2 / n - (ss / n) ** 2) / n);
    x.dispose();
    const eps = 1e-4;
    const fdMu = (Math.log(alpha2Divergence(mu + eps, s)) - Math.log(alpha2Divergence(mu - eps, s))) / (2 * eps);
    const fdS = (Math.log(alpha2Divergence(mu, Math.exp(logS + eps))) - Math.log(alpha2Divergence(mu, Math.exp(logS - eps)))) / (2 * eps);
    expect(Math.abs(gMu - fdMu)).toBeLessThan(4 * seMu);
    expect(Math.abs(gLogS - fdS)).toBeLessThan(4 * seS);
    expect(Math.abs(fdMu)).toBeGreaterThan(10 * seMu); // the check is not vacuous
  });

  it('p²/q is the energy 2u + log q, and the replay adjustment is q_old/q_new clipped', () => {
    const flow = affineFlow(1, { shift: [0.5], logDiag: [Math.log(2)] });
    const u = energyFromFunction((x) => tf.tidy(() => tf.sum(tf.square(x), 1).mul(0.5) as tf.Tensor1D), 1);
    const x = tf.tensor2d([[-1], [0.3], [2]]);
    const got = pSquaredOverQ(u, flow).energy(x).arraySync();
    x.dispose();
    [-1, 0.3, 2].forEach((xi, i) => {
      const logQ = -0.5 * ((xi - 0.5) / 2) ** 2 - Math.log(2) - 0.5 * Math.log(2 * Math.PI);
      expect(got[i]).toBeCloseTo(xi * xi + logQ, 5);
    });
    const adj = replayWeightAdjustment([0, 0, 0, NaN], [Math.log(2), -5, 0, 0], 10);
    expect(Array.from(adj)).toEqual([Math.fround(0.5), 10, 1, 0]);
  });

  it('trains a Gaussian flow onto a shifted Gaussian target from the energy alone, counting every evaluation', async () => {
    const target = energyFromFunction((x) => tf.tidy(() => tf.sum(tf.square(tf.sub(x, tf.tensor1d([1, -0.5]))), 1).div(2 * 0.6 ** 2) as tf.Tensor1D), 2);
    const counted = countingEnergy(target);
    const flow = affineFlow(2);
    const before = tf.memory().numTensors;
    const result = await trainFAB(flow, counted, {
      ais: importanceOnly,
      steps: 400,
      batchSize: 128,
      buffer: { maxLength: 4096, minSampleLength: 512 },
      learningRate: 0.02,
      seed: 3,
    });
    expect(tf.memory().numTensors).toBe(before);
    const { mean, cov } = gaussianOf(flow);
    expect(mean[0]).toBeCloseTo(1, 1);
    expect(mean[1]).toBeCloseTo(-0.5, 1);
    expect(Math.sqrt(cov[0][0])).toBeCloseTo(0.6, 1);
    expect(Math.sqrt(cov[1][1])).toBeCloseTo(0.6, 1);
    // 4 initial AIS batches fill the buffer to 512, then one per 4 gradient steps.
    expect(result.aisIterations).toBe(4 + 100);
    expect(result.energyEvaluations).toBe(counted.counts.energy + counted.counts.gradient);
    expect(result.energyEvaluations).toBe(104 * 128);
  });

  it('refuses bad input with typed errors and stops on an energy unbounded below', async () => {
    const flow = affineFlow(2);
    const u2 = energyFromFunction((x) => tf.tidy(() => tf.sum(tf.square(x), 1) as tf.Tensor1D), 2);
    const u1 = energyFromFunction((x) => tf.tidy(() => tf.sum(tf.square(x), 1) as tf.Tensor1D), 1);
    const err = async (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (e) => e,
      );
    const e1 = await err(trainFAB(flow, u1, { ais: importanceOnly, steps: 2 }));
    expect(isBoltzflowError(e1) && (e1 as Error).message).toMatch(/different dimensions/);
    const e2 = await err(trainFAB(flow, u2, { ais: importanceOnly, steps: 2, batchSize: 64, buffer: { minSampleLength: 32 } }));
    expect(isBoltzflowError(e2) && (e2 as Error).message).toMatch(/smaller than a batch/);
    // u = −∞ beyond x₁ > 1.5: AIS weights become +∞; the run stops naming the energy there, weights untouched.
    const wall = energyFromFunction(
      (x) =>
        tf.tidy(
          () => tf.where(tf.greater(x.slice([0, 0], [-1, 1]).reshape([-1]), 1.5), tf.fill([x.shape[0]], -Infinity), tf.sum(tf.square(x), 1)) as tf.Tensor1D,
        ),
      2,
    );
    const w0 = flow.trainableVariables.map((v) => Array.from(v.dataSync()));
    const e3 = await err(trainFAB(flow, wall, { ais: importanceOnly, steps: 5, batchSize: 64, buffer: { maxLength: 1024, minSampleLength: 128 } }));
    expect(isBoltzflowError(e3) && (e3 as Error).message).toMatch(/unbounded below/);
    expect(String((e3 as { details?: { received?: string } }).details?.received ?? (e3 as Error).message)).toMatch(/u = -Infinity/);
    expect(flow.trainableVariables.map((v) => Array.from(v.dataSync()))).toEqual(w0);
  });
});

describe('FAB with annealed importance sampling (mcmc)', () => {
  it('learns both modes of a bimodal target from the energy alone, with the right weights, counting every evaluation', async () => {
    // Two Gaussians (σ = 0.6) at x₁ = ±2.5 with weights 0.25 / 0.75: reverse KL from N(0, 1) would pick one.
    const mix = energyFromFunction(
      (x) =>
        tf.tidy(() => {
          const x1 = x.slice([0, 0], [-1, 1]).reshape([-1]);
          const x2 = x.slice([0, 1], [-1, 1]).reshape([-1]);
          const a = tf.add(tf.log(0.25), tf.div(tf.square(tf.sub(x1, -2.5)), -2 * 0.36));
          const b = tf.add(tf.log(0.75), tf.div(tf.square(tf.sub(x1, 2.5)), -2 * 0.36));
          return tf.sub(tf.div(tf.square(x2), 2 * 0.36), tf.logSumExp(tf.stack([a, b], 1), 1)) as tf.Tensor1D;
        }),
      2,
    );
    const counted = countingEnergy(mix);
    const flow = new TransformedDistribution(Normal.standard(2), realNVP({ dim: 2, layers: 4, hidden: [32, 32], rng: createRng(7) }));
    const result = await trainFAB(flow, counted, {
      ais: aisRunner({ intermediateDistributions: 4, transition: 'metropolis', stepsPerDistribution: 2, initialStepSize: 0.5 }),
      steps: 600,
      batchSize: 128,
      gradientStepsPerIteration: 4,
      buffer: { maxLength: 8192, minSampleLength: 1024 },
      learningRate: 3e-3,
      seed: 8,
    });
    expect(result.energyEvaluations).toBe(counted.counts.energy + counted.counts.gradient);
    // self-normalised importance estimate of P(x₁ > 0) from the trained flow
    const n = 4000;
    const { x, logProb } = flow.sampleWithLogProb(n, createRng(9));
    const lw = tf.tidy(() => tf.neg(tf.add(mix.energy(x), logProb)).dataSync());
    const xs = x.dataSync();
    tf.dispose([x, logProb]);
    const m = Math.max(...lw);
    const w = Array.from(lw, (l) => Math.exp(l - m));
    const sw = w.reduce((a, b) => a + b, 0);
    let pos = 0;
    let rawPos = 0;
    w.forEach((wi, i) => {
      if (xs[2 * i] > 0) {
        pos += wi;
        rawPos++;
      }
    });
    const p = pos / sw;
    const se = Math.sqrt(w.reduce((a, wi, i) => a + wi * wi * ((xs[2 * i] > 0 ? 1 : 0) - p) ** 2, 0)) / sw;
    expect(Math.abs(p - 0.75)).toBeLessThan(4 * se + 0.02);
    // the flow itself covers both modes with roughly the right mass (no mode collapse)
    expect(rawPos / n).toBeGreaterThan(0.6);
    expect(rawPos / n).toBeLessThan(0.9);
    const ess = (sw * sw) / w.reduce((a, b) => a + b * b, 0) / n;
    expect(ess).toBeGreaterThan(0.3);
  }, 600_000); // ≈ 1 min on wasm; the cpu backend run (test:cpu:fast in CI) takes several times that
});
