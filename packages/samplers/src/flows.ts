import type * as tf from '@tensorflow/tfjs';
import type { Bijector, Energy, Rng } from '@boltzflow/core';
import { Chain, MaskedAutoregressiveFlow, Scale, Shift, neuralSplineFlow, realNVP } from '@boltzflow/bijectors';
import { Normal, TransformedDistribution } from '@boltzflow/distributions';
import { train } from '@boltzflow/training';
import type { Progress, TrainingCurvePoint, TrainingSummary } from './types.js';
import { round } from './util.js';

/**
 * The one flow builder of the sampler pipeline (RealNVP, neural spline or MAF on a standard normal base, optionally
 * standardised) and ML(+KL) training with a loss curve. Used by the Boltzmann generator and by experiments that train
 * their flow on data (many-well-32, two-moons).
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
  else if (spec.kind === 'spline')
    parts.push(neuralSplineFlow({ dim, layers: spec.layers, hidden, activation: 'tanh', bins: spec.bins ?? 8, bound: spec.bound ?? 5, rng }));
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
  training: TrainingSummary;
  curve: TrainingCurvePoint[];
  validationNLL: number | null;
}

/** Maximum likelihood on `data` (plus reverse KL when klWeight > 0) with a loss curve; KL batches count as energy evaluations. */
export async function trainFlow(
  flow: TransformedDistribution,
  data: tf.Tensor2D,
  energy: Energy | undefined,
  o: TrainSpec,
  rng: Rng,
  ctx: { progress: Progress },
  phase: string,
  extra: { validationData?: tf.Tensor2D; dataEnergyEvaluations?: number } = {},
): Promise<TrainedFlow> {
  const t0 = performance.now();
  const kl = energy && o.klWeight > 0 ? o.klWeight : 0;
  const curve: TrainingCurvePoint[] = [];
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
