import * as tf from '@tensorflow/tfjs';
import { disposeTree, logSumExp, type Bijector, type Energy, type Rng } from '@boltzflow/core';
import { Chain, MaskedAutoregressiveFlow, Scale, Shift, neuralSplineFlow, realNVP } from '@boltzflow/bijectors';
import { Normal, TransformedDistribution } from '@boltzflow/distributions';
import { adaptStepSize, flowIndependenceProposal, mala, mixtureKernel, randomWalkMetropolis } from '@boltzflow/mcmc';
import { train } from '@boltzflow/training';
import type { Artifacts, Results } from '../results.js';
import type { ExperimentContext } from './types.js';
import { round } from './common.js';
import { runToBudget } from './runToBudget.js';
import { importanceOutcome, mcmcOutcome, type CoordinateSpec, type Draws, type PlotLimits, type SamplerOutcome } from './samplerMetrics.js';

/**
 * Shared pieces of the flow-assisted experiments (many-well-32, gmm-40, mueller-brown, two-moons): flow builders,
 * ML(+KL) training with a curve, a local-MCMC runner, flow independence MH mixed with local moves, flow importance
 * sampling with log Z. The double-well experiment keeps its own (private) versions of the local runner.
 */

export type FlowKind = 'realnvp' | 'spline' | 'maf';

export interface FlowSpec {
  kind: FlowKind;
  layers: number;
  hidden: number;
  /** Spline bins (spline / MAF-spline only). */
  bins?: number;
  /** Spline half-width in standardised units. */
  bound?: number;
  /** Data are standardised by this per-dimension location and scale (the flow ends with Scale then Shift). */
  loc?: number[];
  scale?: number[];
}

/** x = loc + scale ⊙ g(z), z ~ N(0, I): the coupling/autoregressive part works in standardised units. */
export function buildFlow(dim: number, spec: FlowSpec, rng: Rng): TransformedDistribution {
  const hidden = [spec.hidden, spec.hidden];
  const parts: Bijector[] = [];
  if (spec.kind === 'realnvp') parts.push(realNVP({ dim, layers: spec.layers, hidden, activation: 'tanh', rng }));
  else if (spec.kind === 'spline') parts.push(neuralSplineFlow({ dim, layers: spec.layers, hidden, activation: 'tanh', bins: spec.bins ?? 8, bound: spec.bound ?? 5, rng }));
  else {
    for (let l = 0; l < spec.layers; l++) {
      const order = Array.from({ length: dim }, (_, i) => (l % 2 === 0 ? i : dim - 1 - i));
      parts.push(new MaskedAutoregressiveFlow({ dim, hidden, activation: 'tanh', order, rng }));
    }
  }
  if (spec.scale) parts.push(new Scale({ dim, scale: spec.scale, trainable: false }));
  if (spec.loc) parts.push(new Shift({ dim, shift: spec.loc, trainable: false }));
  return new TransformedDistribution(Normal.standard(dim), parts.length === 1 ? parts[0] : new Chain(parts));
}

/** Per-dimension mean and standard deviation of `[n, dim]` rows. */
export function standardisation(data: Float32Array, dim: number): { loc: number[]; scale: number[] } {
  const n = data.length / dim;
  const loc = new Array<number>(dim).fill(0);
  const sq = new Array<number>(dim).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) loc[j] += data[i * dim + j] / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) sq[j] += (data[i * dim + j] - loc[j]) ** 2 / n;
  return { loc: loc.map((v) => round(v, 6)), scale: sq.map((v) => round(Math.sqrt(Math.max(v, 1e-8)), 6)) };
}

export interface TrainSpec {
  steps: number;
  batchSize: number;
  learningRate: number;
  /** Reverse-KL weight added to ML (0: ML only, no energy evaluations). */
  klWeight: number;
}

export interface TrainedFlow {
  training: NonNullable<Results['training']>;
  curve: NonNullable<Artifacts['training']>;
  validationNLL: number | null;
}

/** Maximum likelihood on `data` (plus reverse KL when klWeight > 0) with a loss curve; KL batches count as energy evaluations. */
export async function trainFlow(
  flow: TransformedDistribution,
  data: tf.Tensor2D,
  energy: Energy | undefined,
  o: TrainSpec,
  rng: Rng,
  ctx: Pick<ExperimentContext, 'progress'>,
  phase: string,
  extra: { validationData?: tf.Tensor2D; dataEnergyEvaluations?: number } = {},
): Promise<TrainedFlow> {
  const t0 = performance.now();
  const kl = energy && o.klWeight > 0 ? o.klWeight : 0;
  const curve: NonNullable<Artifacts['training']> = [];
  const bar = ctx.progress.bar(`training ${phase}`, o.steps);
  const result = await train(flow, {
    ...(kl > 0 ? { energy } : {}),
    data,
    weights: { ml: 1, kl },
    steps: o.steps,
    batchSize: o.batchSize,
    klBatchSize: o.batchSize,
    learningRate: o.learningRate,
    ...(extra.validationData ? { validationData: extra.validationData } : { validationFraction: 0 }),
    ...(extra.validationData ? { validateEvery: Math.max(1, Math.floor(o.steps / 10)) } : {}),
    rng,
    progressEvery: Math.max(1, Math.floor(o.steps / 100)),
    onProgress: (p) => {
      curve.push({
        step: p.step,
        phase,
        loss: Number.isFinite(p.loss) ? round(p.loss, 5) : null,
        ...(p.essFraction !== undefined ? { essFraction: Number.isFinite(p.essFraction) ? round(Math.min(1, Math.max(0, p.essFraction)), 5) : null } : {}),
      });
      bar.update(p.step, { loss: p.loss });
    },
  });
  bar.stop();
  const ess = result.essFraction;
  return {
    training: {
      steps: result.steps,
      energyEvaluations: (extra.dataEnergyEvaluations ?? 0) + (kl > 0 ? result.steps * o.batchSize : 0),
      wallSeconds: (performance.now() - t0) / 1000,
      finalLoss: Number.isFinite(result.loss) ? result.loss : null,
      essFraction: ess !== undefined && Number.isFinite(ess) ? Math.min(1, Math.max(0, ess)) : null,
    },
    curve,
    validationNLL: result.validationNLL !== undefined && Number.isFinite(result.validationNLL) ? result.validationNLL : null,
  };
}

/** Flow samples with log-weights log w = −u(x) − log q(x); one energy evaluation per sample. */
export function flowWeightedSamples(flow: TransformedDistribution, energy: Energy, n: number, rng: Rng, chunk = 2048): { x: Float32Array; logW: Float64Array } {
  const x = new Float32Array(n * energy.dim);
  const logW = new Float64Array(n);
  for (let done = 0; done < n; ) {
    const m = Math.min(chunk, n - done);
    const s = flow.sampleWithLogProb(m, rng);
    const lw = tf.tidy(() => tf.neg(tf.add(energy.energy(s.x), s.logProb)));
    x.set(s.x.dataSync(), done * energy.dim);
    const v = lw.dataSync();
    for (let i = 0; i < m; i++) logW[done + i] = Number.isFinite(v[i]) ? v[i] : -Infinity;
    tf.dispose([s.x, s.logProb, lw]);
    done += m;
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

/** Flow importance sampling as a sampler row (Kish ESS, ΔF on the coordinate) plus its log Z estimate. */
export function flowImportanceSampler(
  flow: TransformedDistribution,
  energy: Energy,
  budget: number,
  rng: Rng,
  o: { setup: number; spec: CoordinateSpec; plot: PlotLimits; project?: (x: Float32Array, dim: number) => Draws; referenceLogZ?: number },
): SamplerOutcome & { logW: Float64Array; x: Float32Array } {
  const t0 = performance.now();
  const { x, logW } = flowWeightedSamples(flow, energy, budget, rng);
  const z = logZFromWeights(logW);
  const draws = o.project ? o.project(x, energy.dim) : { data: x, shape: [budget, 1, energy.dim] as [number, number, number] };
  const out = importanceOutcome({
    sampler: 'flow-is',
    description: 'independent samples of the trained flow reweighted by exp(−u − log q) (Boltzmann-generator reweighting)',
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

/** Local MCMC (RWM or MALA) with dual-averaging step size adapted in warm-up, then run to the budget. */
export function localSampler(
  kind: 'rwm' | 'mala',
  energy: Energy,
  x0: tf.Tensor2D,
  o: { budget: number; warmup: number; targetAcceptance: number; initialStepSize: number; description: string; spec: CoordinateSpec; plot: PlotLimits; project?: (d: Draws) => Draws },
  rng: Rng,
  ctx: Pick<ExperimentContext, 'progress'>,
): ChainRun {
  const t0 = performance.now();
  const factory = kind === 'rwm' ? randomWalkMetropolis : mala;
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
    setupEnergyEvaluations: adapted.energyEvaluations + chains,
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

/** Column `j` of each chain of `[kept, chains, dim]` draws. */
export function chainColumns(d: Draws, j: number): Float64Array[] {
  const [kept, chains, dim] = d.shape;
  return Array.from({ length: chains }, (_, c) => {
    const out = new Float64Array(kept);
    for (let i = 0; i < kept; i++) out[i] = d.data[(i * chains + c) * dim + j];
    return out;
  });
}

/** Applies `f` to every row of `[kept, chains, dim]` draws, giving `[kept, chains, outDim]`. */
export function mapDraws(d: Draws, outDim: number, f: (row: Float32Array, out: Float32Array) => void): Draws {
  const [kept, chains, dim] = d.shape;
  const data = new Float32Array(kept * chains * outDim);
  for (let r = 0; r < kept * chains; r++) f(d.data.subarray(r * dim, (r + 1) * dim), data.subarray(r * outDim, (r + 1) * outDim));
  return { data, shape: [kept, chains, outDim] };
}

/**
 * Near-exact samples of a 2D density exp(−u) from a fine grid: a cell drawn with probability ∝ exp(−u(centre)),
 * then a uniform point in it (error of the order of the cell size). The stand-in for MCMC training data on 2D systems.
 */
export function gridSamples(u: (x: number, y: number) => number, xr: [number, number], yr: [number, number], cells: number, n: number, rng: Rng): Float32Array {
  const hx = (xr[1] - xr[0]) / cells;
  const hy = (yr[1] - yr[0]) / cells;
  const lw = new Float64Array(cells * cells);
  let m = -Infinity;
  for (let j = 0; j < cells; j++) for (let i = 0; i < cells; i++) {
    const v = -u(xr[0] + (i + 0.5) * hx, yr[0] + (j + 0.5) * hy);
    lw[j * cells + i] = v;
    if (v > m) m = v;
  }
  const cdf = new Float64Array(cells * cells);
  let acc = 0;
  for (let k = 0; k < lw.length; k++) cdf[k] = acc += Math.exp(lw[k] - m);
  const out = new Float32Array(2 * n);
  for (let s = 0; s < n; s++) {
    const t = rng.nextUniform() * acc;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < t) lo = mid + 1;
      else hi = mid;
    }
    const i = lo % cells;
    const j = Math.floor(lo / cells);
    out[2 * s] = xr[0] + (i + rng.nextUniform()) * hx;
    out[2 * s + 1] = yr[0] + (j + rng.nextUniform()) * hy;
  }
  return out;
}
