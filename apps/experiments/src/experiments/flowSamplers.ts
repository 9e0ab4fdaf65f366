import * as tf from '@tensorflow/tfjs';
import { disposeTree, logSumExp, type Bijector, type ChainState, type Energy, type Kernel, type Rng } from '@boltzflow/core';
import type { TransformedDistribution } from '@boltzflow/distributions';
import { StochasticNormalizingFlow, adaptStepSize, flowIndependenceProposal, linearLambdas, mala, metropolisBlock, mixtureKernel, randomWalkMetropolis, type SnfLayer } from '@boltzflow/mcmc';
import type { ProgressBar, Reporter } from '../progress.js';
import type { ExperimentContext } from './types.js';
import { round } from './common.js';
import { runToBudget } from './runToBudget.js';
import { importanceOutcome, mcmcOutcome, type CoordinateSpec, type Draws, type PlotLimits, type SamplerOutcome } from './samplerMetrics.js';

/**
 * Samplers on a trained flow, shared by all flow experiments: flow importance sampling with log Z, flow independence
 * MH mixed with local moves and the stochastic normalizing flow, plus the adapted local-MCMC (RWM/MALA) baseline.
 * comparison2d.ts keeps its own flow-IMH runner (it burns the chains in and counts that as setup).
 */

const CHUNK = 2048;

/** Flow samples with log-weights log w = −u(x) − log q(x); one energy evaluation per sample. */
export function flowWeightedSamples(
  flow: TransformedDistribution,
  energy: Energy,
  n: number,
  rng: Rng,
  o: { bar?: ProgressBar } = {},
): { x: Float32Array; logW: Float64Array } {
  const x = new Float32Array(n * energy.dim);
  const logW = new Float64Array(n);
  for (let done = 0; done < n; ) {
    const m = Math.min(CHUNK, n - done);
    const s = flow.sampleWithLogProb(m, rng);
    const lw = tf.tidy(() => tf.neg(tf.add(energy.energy(s.x), s.logProb)));
    x.set(s.x.dataSync(), done * energy.dim);
    const v = lw.dataSync();
    for (let i = 0; i < m; i++) logW[done + i] = Number.isFinite(v[i]) ? v[i] : -Infinity;
    tf.dispose([s.x, s.logProb, lw]);
    done += m;
    o.bar?.update(done);
  }
  return { x, logW };
}

/** log Z ≈ LSE(log w) − log N with the delta-method standard error √(Var(w)/N)/mean(w). */
export function logZFromWeights(logW: Float64Array): { logZ: number; stderr: number } {
  const n = logW.length;
  const lse = logSumExp(logW);
  const logZ = lse - Math.log(n);
  let s2 = 0;
  for (const v of logW) s2 += (Math.exp(v - logZ) - 1) ** 2;
  return { logZ, stderr: Math.sqrt(s2 / (n - 1) / n) };
}

/**
 * Flow importance sampling (Boltzmann-generator reweighting) as a sampler row (Kish ESS, ΔF on the coordinate) plus its
 * log Z estimate; with `progress`, a 'sampling flow-is' bar.
 */
export function flowImportanceSampler(
  flow: TransformedDistribution,
  energy: Energy,
  budget: number,
  rng: Rng,
  o: {
    setup: number;
    spec: CoordinateSpec;
    plot: PlotLimits;
    project?: (x: Float32Array, dim: number) => Draws;
    referenceLogZ?: number;
    /** The row's description (default: a generic one). */
    description?: string;
    progress?: Reporter;
  },
): SamplerOutcome & { logW: Float64Array; x: Float32Array } {
  const t0 = performance.now();
  const bar = o.progress?.bar('sampling flow-is', budget);
  const { x, logW } = flowWeightedSamples(flow, energy, budget, rng, { bar });
  bar?.stop();
  const z = logZFromWeights(logW);
  const draws = o.project ? o.project(x, energy.dim) : { data: x, shape: [budget, 1, energy.dim] as [number, number, number] };
  const out = importanceOutcome({
    sampler: 'flow-is',
    description: o.description ?? 'independent samples of the trained flow reweighted by exp(−u − log q) (Boltzmann-generator reweighting)',
    x: draws,
    logWeights: logW,
    energyEvaluations: budget,
    setupEnergyEvaluations: o.setup,
    wallSeconds: (performance.now() - t0) / 1000,
    acceptanceRate: null,
    spec: o.spec,
    plot: o.plot,
  });
  out.result.metrics = {
    logZ: round(z.logZ, 6),
    logZStderr: round(z.stderr, 6),
    ...(o.referenceLogZ !== undefined ? { logZError: round(z.logZ - o.referenceLogZ, 6) } : {}),
  };
  return { ...out, logW, x };
}

export interface ChainRun {
  outcome: SamplerOutcome;
  /** Raw positions `[kept, chains, dim]`, for experiment-specific metrics. */
  draws: Draws;
}

/** A step-size kernel family for {@link localSampler}: RWM, MALA, latent Metropolis, … */
export type StepSizeKernelFactory = (target: Energy, o: { stepSize: number }) => Kernel<ChainState>;

/**
 * Local MCMC with the dual-averaging step size adapted in warm-up, then run to the budget. `kind` names the row and,
 * for 'rwm' / 'mala', picks the kernel; any other step-size kernel comes as `factory`. The setup cost is the warm-up's
 * evaluations (adaptStepSize counts the initial one) plus `setupBefore` (e.g. flow training for latent Metropolis).
 */
export function localSampler(
  kind: string,
  energy: Energy,
  x0: tf.Tensor2D,
  o: { budget: number; warmup: number; targetAcceptance: number; initialStepSize: number; description: string; spec: CoordinateSpec; plot: PlotLimits; project?: (d: Draws) => Draws; factory?: StepSizeKernelFactory; setupBefore?: number },
  rng: Rng,
  ctx: Pick<ExperimentContext, 'progress'>,
): ChainRun {
  const t0 = performance.now();
  const factory = o.factory ?? (kind === 'mala' ? mala : kind === 'rwm' ? randomWalkMetropolis : undefined);
  if (!factory) throw new Error(`localSampler: no kernel factory for '${kind}'`);
  const adapted = adaptStepSize(factory as never, energy, x0, { warmup: o.warmup, rng, targetAcceptance: o.targetAcceptance, initialStepSize: o.initialStepSize });
  const bar = ctx.progress.bar(`sampling ${kind}`, o.budget);
  const run = runToBudget(adapted.kernel, adapted.state, o.budget, rng, bar);
  bar.stop();
  disposeTree(adapted.state);
  disposeTree(run.finalState);
  const chains = x0.shape[0];
  const outcome = mcmcOutcome({
    sampler: kind,
    description: o.description,
    draws: o.project ? o.project(run.draws) : run.draws,
    energyEvaluations: run.energyEvaluations,
    setupEnergyEvaluations: (o.setupBefore ?? 0) + adapted.energyEvaluations,
    wallSeconds: (performance.now() - t0) / 1000,
    acceptanceRate: run.acceptanceRate,
    settings: { stepSize: round(adapted.stepSize, 5), targetAcceptance: o.targetAcceptance, warmupSteps: o.warmup, chains },
    spec: o.spec,
    plot: o.plot,
  });
  return { outcome, draws: run.draws };
}

/** Independence MH with the flow as proposal, mixed with random-walk moves (probability `flowProbability` of a flow move). */
export function flowMixtureSampler(
  flow: TransformedDistribution,
  energy: Energy,
  x0: tf.Tensor2D,
  o: { budget: number; flowProbability: number; localStepSize: number; setup: number; description: string; spec: CoordinateSpec; plot: PlotLimits; project?: (d: Draws) => Draws },
  rng: Rng,
  ctx: Pick<ExperimentContext, 'progress'>,
): ChainRun {
  const t0 = performance.now();
  const kernel = mixtureKernel([flowIndependenceProposal(flow, energy), randomWalkMetropolis(energy, { stepSize: o.localStepSize })], [o.flowProbability, 1 - o.flowProbability]);
  const bar = ctx.progress.bar('sampling flow-imh', o.budget);
  const run = runToBudget(kernel, x0, o.budget, rng, bar);
  bar.stop();
  disposeTree(run.finalState);
  const chains = x0.shape[0];
  const outcome = mcmcOutcome({
    sampler: 'flow-imh',
    description: o.description,
    draws: o.project ? o.project(run.draws) : run.draws,
    energyEvaluations: run.energyEvaluations,
    setupEnergyEvaluations: o.setup,
    wallSeconds: (performance.now() - t0) / 1000,
    acceptanceRate: run.acceptanceRate,
    settings: { flowProbability: o.flowProbability, localStepSize: o.localStepSize, chains },
    spec: o.spec,
    plot: o.plot,
  });
  return { outcome, draws: run.draws };
}

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
