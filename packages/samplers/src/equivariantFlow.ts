import * as tf from '@tensorflow/tfjs';
import type { Energy, Rng } from '@boltzflow/core';
import { ContinuousFlow, EGNNVectorField } from '@boltzflow/bijectors';
import { MeanFreeNormal, TransformedDistribution } from '@boltzflow/distributions';
import { train, trainFlowMatching } from '@boltzflow/training';
import type { Progress, TrainingCurvePoint } from './types.js';
import { round } from './util.js';

/** Settings of {@link trainEquivariantFlow} (the particle experiments' `flow` and `training` config sections). */
export interface EquivariantFlowOptions {
  particles: number;
  spatialDim: number;
  flow: { hidden: number; layers: number; odeSteps: number; coordinateRange: number };
  training: {
    steps: number;
    batchSize: number;
    learningRate: number;
    sigma: number;
    pairing: 'random' | 'ot';
    /** Optional likelihood fine-tuning after flow matching (0 steps = none). */
    likelihood: { steps: number; batchSize: number; odeSteps: number; learningRate: number; klWeight: number };
  };
}

/**
 * An E(n)-equivariant CNF for particle systems (EGNN vector field, MeanFreeNormal base, exact-trace RK4) trained by
 * flow matching with equivariant OT alignment (Klein et al. 2023) on `data` rows (`[n, particles·spatialDim]`), then
 * optionally by maximum likelihood (+ reverse KL) with the Hutchinson trace. Flow matching and ML on data spend no
 * energy evaluations; reverse-KL batches do (`setupEnergyEvaluations`).
 */
export async function trainEquivariantFlow(o: EquivariantFlowOptions, data: Float32Array, energy: Energy, rng: Rng, progress: Progress) {
  const { particles: P, spatialDim: S } = o;
  const dim = P * S;
  const nTrain = data.length / dim;
  const base = new MeanFreeNormal({ particles: P, spatialDim: S });
  const field = new EGNNVectorField({
    particles: P,
    spatialDim: S,
    hidden: o.flow.hidden,
    layers: o.flow.layers,
    coordinateRange: o.flow.coordinateRange,
    rng,
  });
  const cnf = new ContinuousFlow(field, { solver: 'rk4', steps: o.flow.odeSteps, trace: 'exact' });
  const flow = new TransformedDistribution(base, cnf);
  const x = tf.tensor2d(data, [nTrain, dim]);
  const t0 = performance.now();
  const t = o.training;
  const curve: TrainingCurvePoint[] = [];
  const bar = progress.bar('training flow matching', t.steps);
  const res = await trainFlowMatching(cnf, x, {
    base,
    steps: t.steps,
    batchSize: Math.min(t.batchSize, nTrain),
    learningRate: { type: 'cosine', initial: t.learningRate, final: t.learningRate / 20 },
    alignment: 'equivariant-ot',
    pairing: t.pairing,
    sigma: t.sigma,
    rng,
    progressEvery: Math.max(1, Math.floor(t.steps / 100)),
    onProgress: (p) => {
      curve.push({ step: p.step, phase: 'flow matching (equivariant OT)', loss: Number.isFinite(p.loss) ? round(p.loss, 5) : null });
      bar.update(p.step, { loss: p.loss });
    },
  });
  bar.stop();
  let setupEnergyEvaluations = 0;
  const lik = t.likelihood;
  if (lik.steps > 0) {
    // The same field, integrated with fewer RK4 steps and the Hutchinson trace for the second-order backward pass.
    const trainingFlow = new TransformedDistribution(
      base,
      new ContinuousFlow(field, { solver: 'rk4', steps: lik.odeSteps, trace: 'hutchinson', rng: rng.fork() }),
    );
    const phase = lik.klWeight > 0 ? 'maximum likelihood + reverse KL (Hutchinson trace)' : 'maximum likelihood (Hutchinson trace)';
    const lbar = progress.bar(`training ${phase}`, lik.steps);
    await train(trainingFlow, {
      data: x,
      ...(lik.klWeight > 0 ? { energy } : {}),
      weights: { ml: 1, kl: lik.klWeight },
      steps: lik.steps,
      batchSize: Math.min(lik.batchSize, nTrain),
      klBatchSize: lik.batchSize,
      learningRate: { type: 'cosine', initial: lik.learningRate, final: lik.learningRate / 20 },
      clipGradNorm: 10,
      validationFraction: 0,
      rng,
      progressEvery: Math.max(1, Math.floor(lik.steps / 50)),
      onProgress: (p) => {
        curve.push({ step: t.steps + p.step, phase, loss: Number.isFinite(p.loss) ? round(p.loss, 5) : null });
        lbar.update(p.step, { loss: p.loss });
      },
    });
    lbar.stop();
    if (lik.klWeight > 0) setupEnergyEvaluations = lik.steps * lik.batchSize;
  }
  x.dispose();
  return { flow, curve, steps: res.steps + lik.steps, seconds: (performance.now() - t0) / 1000, loss: res.loss, setupEnergyEvaluations };
}

/** Mean NLL −log q(x) of `x` rows (`[n, dim]` flattened) under the flow, with its standard error, in chunks. */
export function heldOutNLL(flow: TransformedDistribution, x: Float32Array, dim: number, chunk = 25): { nll: number; stderr: number } {
  const n = x.length / dim;
  const v: number[] = [];
  for (let s = 0; s < n; s += chunk) {
    const m = Math.min(chunk, n - s);
    const t = tf.tensor2d(x.subarray(s * dim, (s + m) * dim), [m, dim]);
    const lp = flow.logProb(t);
    v.push(...Array.from(lp.dataSync(), (a) => -a));
    tf.dispose([t, lp]);
  }
  const mean = v.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, n - 1));
  return { nll: mean, stderr: sd / Math.sqrt(n) };
}
