import * as tf from '@tensorflow/tfjs';
import type { Bijector, Energy, Rng } from '@boltzflow/core';
import { StochasticNormalizingFlow, linearLambdas, metropolisBlock, type SnfLayer } from '@boltzflow/mcmc';
import type { TransformedDistribution } from '@boltzflow/distributions';
import type { ExperimentContext } from './types.js';
import { importanceOutcome, type CoordinateSpec, type PlotLimits, type SamplerOutcome } from './samplerMetrics.js';

const CHUNK = 2048;

/** Appends a `[n, dim]` batch and its log-weights to host buffers, disposing the tensors. */
function collect(xs: Float32Array[], lws: Float64Array[], x: tf.Tensor2D, logW: tf.Tensor1D): void {
  xs.push(x.dataSync() as Float32Array);
  lws.push(Float64Array.from(logW.dataSync()));
  x.dispose();
  logW.dispose();
}

function concat<T extends Float32Array | Float64Array>(parts: T[], make: (n: number) => T): T {
  const out = make(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Boltzmann-generator importance sampling: x ~ q (the flow), log w = −u(x) − log q(x); one energy evaluation per sample. */
export function flowImportance(flow: TransformedDistribution, energy: Energy, budget: number, rng: Rng, setup: number, spec: CoordinateSpec, plot: PlotLimits, ctx: ExperimentContext): SamplerOutcome {
  const t0 = performance.now();
  const xs: Float32Array[] = [];
  const lws: Float64Array[] = [];
  const bar = ctx.progress.bar('sampling flow-is', budget);
  let done = 0;
  while (done < budget) {
    const n = Math.min(CHUNK, budget - done);
    const s = flow.sampleWithLogProb(n, rng);
    const u = energy.energy(s.x);
    const logW = tf.tidy(() => tf.neg(tf.add(u, s.logProb)) as tf.Tensor1D);
    u.dispose();
    s.logProb.dispose();
    collect(xs, lws, s.x, logW);
    done += n;
    bar.update(done);
  }
  bar.stop();
  const dim = energy.dim;
  return importanceOutcome({
    sampler: 'flow-is',
    description: 'the trained Boltzmann generator alone: independent flow samples reweighted by exp(−u − log q)',
    x: { data: concat(xs, (n) => new Float32Array(n)), shape: [done, 1, dim] },
    logWeights: concat(lws, (n) => new Float64Array(n)),
    energyEvaluations: done,
    setupEnergyEvaluations: setup,
    wallSeconds: (performance.now() - t0) / 1000,
    acceptanceRate: null,
    spec,
    plot,
  });
}

/**
 * Stochastic normalizing flow built from the trained couplings: the couplings split into `blocks` groups, each
 * followed by a Metropolis block on u_λ (λ linear to 1). Path weights make the estimates exact; the budget fixes
 * how many samples are drawn.
 */
export function snfSampler(
  bg: { flow: TransformedDistribution; couplings: Bijector[] },
  energy: Energy,
  budget: number,
  o: { blocks: number; metropolisSteps: number; stepSize: number; trainSteps: number; trainBatchSize: number; learningRate: number },
  rng: Rng,
  setup: number,
  spec: CoordinateSpec,
  plot: PlotLimits,
  ctx: ExperimentContext,
): SamplerOutcome {
  const t0 = performance.now();
  const blocks = Math.min(o.blocks, bg.couplings.length);
  const lambdas = linearLambdas(blocks);
  const layers: SnfLayer[] = [];
  for (let k = 0; k < blocks; k++) {
    const from = Math.floor((k * bg.couplings.length) / blocks);
    const to = Math.floor(((k + 1) * bg.couplings.length) / blocks);
    layers.push(...bg.couplings.slice(from, to));
    layers.push(metropolisBlock({ lambda: lambdas[k], steps: o.metropolisSteps, stepSize: o.stepSize }));
  }
  const snf = new StochasticNormalizingFlow({ base: bg.flow.base, target: energy, layers });
  // Measure the cost per sample on a small batch (its cost counts as setup), then size the batches to the budget.
  const probe = snf.sample(16, rng);
  const perSample = probe.energyEvaluations / 16;
  tf.dispose([probe.x, probe.logWeights, probe.energy]);
  // Fine-tune the couplings end to end through the stochastic layers (Wu et al.: the path KL); without this the
  // intermediate u_λ do not match the partially transformed samples and the path weights degenerate.
  let trainEvals = 0;
  if (o.trainSteps > 0) {
    const optimizer = tf.train.adam(o.learningRate);
    const vars = snf.trainableVariables;
    const bar = ctx.progress.bar('training snf (path KL)', o.trainSteps);
    for (let i = 0; i < o.trainSteps; i++) {
      const loss = optimizer.minimize(() => snf.klLoss(o.trainBatchSize, rng), true, vars);
      const value = loss ? loss.dataSync()[0] : NaN;
      loss?.dispose();
      trainEvals += Math.round(perSample * o.trainBatchSize);
      bar.update(i + 1, { loss: value });
    }
    bar.stop();
    optimizer.dispose();
  }
  const total = Math.max(1, Math.floor(budget / perSample));
  const xs: Float32Array[] = [];
  const lws: Float64Array[] = [];
  let evals = 0;
  let done = 0;
  let accSum = 0;
  let accN = 0;
  const bar = ctx.progress.bar('sampling snf', budget);
  while (done < total) {
    const n = Math.min(Math.max(64, Math.floor(CHUNK / 4)), total - done);
    const s = snf.sample(n, rng, { perLayer: true });
    evals += s.energyEvaluations;
    for (const a of s.acceptance ?? []) if (a !== null) {
      accSum += a * n;
      accN += n;
    }
    if (s.deltaS) tf.dispose(s.deltaS);
    s.energy.dispose();
    collect(xs, lws, s.x, s.logWeights);
    done += n;
    bar.update(evals, { acceptance: accN > 0 ? accSum / accN : 0 });
  }
  bar.stop();
  return importanceOutcome({
    sampler: 'snf',
    description:
      blocks === 1
        ? `stochastic normalizing flow: the trained flow followed by ${o.metropolisSteps} Metropolis steps (σ = ${o.stepSize}) on the target, path-weighted`
        : `stochastic normalizing flow: the trained couplings in ${blocks} groups, each followed by ${o.metropolisSteps} Metropolis steps (σ = ${o.stepSize}) on u_λ (λ linear to 1), path-weighted`,
    x: { data: concat(xs, (n) => new Float32Array(n)), shape: [done, 1, energy.dim] },
    logWeights: concat(lws, (n) => new Float64Array(n)),
    energyEvaluations: evals,
    setupEnergyEvaluations: setup + probe.energyEvaluations + trainEvals,
    wallSeconds: (performance.now() - t0) / 1000,
    acceptanceRate: accN > 0 ? accSum / accN : null,
    settings: { blocks, metropolisSteps: o.metropolisSteps, stepSize: o.stepSize, samples: done, pathKlTrainingSteps: o.trainSteps },
    notes: [
      o.trainSteps > 0
        ? `Couplings initialised from the KL+ML-trained flow, then fine-tuned for ${o.trainSteps} steps on the path KL with the stochastic layers in place.`
        : 'Couplings from the KL+ML-trained flow, not fine-tuned on the path KL.',
    ],
    spec,
    plot,
  });
}
