import * as tf from '@tensorflow/tfjs';
import { BoltzflowError, type Bijector, type Energy, type Rng } from '@boltzflow/core';
import { Chain, InternalCoordinates, MaskedAutoregressiveFlow, Scale, Shift, SplineCoupling, neuralSplineFlow, realNVP } from '@boltzflow/bijectors';
import { Normal, ProductDistribution, TransformedDistribution, VonMises } from '@boltzflow/distributions';
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

/** Options of {@link internalCoordinateFlow}. */
export interface InternalCoordinateFlowOptions {
  /** The molecule's internal-coordinate transform; the flow ends with a copy of it (same Z-matrix). */
  ic: InternalCoordinates;
  /**
   * Frame conformations `[n, 3N − 6]` (`ic.toFrame` of Cartesian ones, n ≥ 2) that place the base: bonds and angles
   * by their mean and standard deviation, torsions by their circular mean and a von Mises concentration.
   */
  data: tf.Tensor2D;
  /** Spline couplings (default 8). */
  layers?: number;
  /** Conditioner width, two hidden layers (default 64). */
  hidden?: number;
  /** Spline bins (default 8). */
  bins?: number;
  /** Upper limit of the torsions' base concentrations κ (default 50, a circular std of ≈ 0.14 rad); 0 gives uniform torsions. */
  maxConcentration?: number;
  /** Lower limits of the bond (nm) and angle (rad) scales (defaults 1e-3 and 1e-2). */
  minBondScale?: number;
  minAngleScale?: number;
  rng: Rng;
}

/** κ of a von Mises distribution with mean resultant length R (Best & Fisher 1981's approximation of A₁⁻¹(R)). */
function vonMisesConcentration(r: number): number {
  if (r < 0.53) return 2 * r + r ** 3 + (5 * r ** 5) / 6;
  if (r < 0.85) return -0.4 + 1.39 * r + 0.43 / (1 - r);
  return 1 / (r ** 3 - 4 * r ** 2 + 3 * r);
}

/** Options of {@link torusFlow}. */
export interface TorusFlowOptions {
  /** Number of angles k ≥ 2 (e.g. a molecule's backbone torsions φ, ψ). */
  dim: number;
  /** Circular spline couplings (default 4); 0 gives the von Mises base alone. */
  layers?: number;
  /** Conditioner width, two hidden layers (default 32). */
  hidden?: number;
  /** Spline bins (default 8). */
  bins?: number;
  /** Angles `[n, k]` in (−π, π] that place the base by their circular means and concentrations; absent: uniform base. */
  data?: tf.Tensor2D;
  /** Upper limit of the base concentrations κ (default 2: a broad base the couplings then shape). */
  maxConcentration?: number;
  rng: Rng;
}

/**
 * A flow on the torus (−π, π]^k: a von Mises product base (placed by `data`, else uniform) and circular
 * rational-quadratic spline couplings (Rezende et al. 2020) whose conditioners see the other angles as (cos, sin) —
 * the density model of a block of torsions (`dihedralBlock`) for block moves.
 */
export function torusFlow(o: TorusFlowOptions): TransformedDistribution {
  const k = o.dim;
  if (!Number.isInteger(k) || k < 2) {
    throw new BoltzflowError('INVALID_CONFIG', 'A torus flow needs at least two angles (a coupling conditions one on the other)', {
      argument: 'dim',
      expected: 'an integer ≥ 2',
      received: String(k),
    });
  }
  const loc = new Array<number>(k).fill(0);
  const kappa = new Array<number>(k).fill(0);
  if (o.data) {
    const [n] = o.data.shape;
    const v = o.data.dataSync();
    for (let j = 0; j < k; j++) {
      let c = 0;
      let s = 0;
      for (let i = 0; i < n; i++) {
        c += Math.cos(v[i * k + j]!) / n;
        s += Math.sin(v[i * k + j]!) / n;
      }
      loc[j] = Math.atan2(s, c);
      kappa[j] = Math.min(vonMisesConcentration(Math.min(Math.hypot(c, s), 0.999999)), o.maxConcentration ?? 2);
    }
  }
  const all = Array.from({ length: k }, (_, i) => i);
  const parts: Bijector[] = [];
  for (let l = 0; l < (o.layers ?? 4); l++) {
    // Alternate halves (interleaved), so every angle is transformed conditioned on the others.
    const mask = all.map((i) => ((i + l) % 2 === 0 ? 1 : 0));
    parts.push(
      new SplineCoupling({ dim: k, mask, hidden: [o.hidden ?? 32, o.hidden ?? 32], activation: 'tanh', bins: o.bins ?? 8, circular: all, rng: o.rng }),
    );
  }
  return new TransformedDistribution(new VonMises({ loc, concentration: kappa }), new Chain(parts));
}

/**
 * A Boltzmann generator on internal coordinates (bgflow's layout): base = standard normal for the bonds and angles
 * × von Mises for the torsions (placed at the data's circular means), then `layers` neural-spline couplings that
 * transform torsions with circular splines on [−π, π] (conditioners see them as cos, sin) and bonds/angles with
 * ordinary splines in standardised units, then the fixed affine map to nm/rad, then `InternalCoordinates` into frame
 * coordinates. Its samples and `logProb` live on the frame (`[n, 3N − 6]`); its target is `ic.frameEnergy(u)`.
 * Coupling masks: random halves of the features (seeded by `rng`), each followed by its complement.
 */
export function internalCoordinateFlow(o: InternalCoordinateFlowOptions): TransformedDistribution {
  const { ic } = o;
  const dim = ic.dim;
  const [b0, b1] = ic.bondColumns;
  const a1 = ic.angleColumns[1];
  const [t0, t1] = ic.torsionColumns;
  const n = o.data.shape[0];
  if (n < 2)
    throw new BoltzflowError('INVALID_VALUE', 'internalCoordinateFlow needs at least two conformations', {
      argument: 'data',
      expected: 'n ≥ 2 rows',
      received: String(n),
    });
  const q = tf.tidy(() => ic.inverse(o.data).x);
  const v = q.dataSync() as Float32Array;
  q.dispose();
  const loc = new Array<number>(dim).fill(0);
  const scale = new Array<number>(dim).fill(1);
  const minScale = (j: number): number => (j < b1 ? (o.minBondScale ?? 1e-3) : (o.minAngleScale ?? 1e-2));
  for (let j = b0; j < a1; j++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += v[i * dim + j]! / n;
    let s = 0;
    for (let i = 0; i < n; i++) s += (v[i * dim + j]! - m) ** 2 / (n - 1);
    loc[j] = m;
    scale[j] = Math.max(Math.sqrt(s), minScale(j));
  }
  const torsionLoc: number[] = [];
  const kappa: number[] = [];
  for (let j = t0; j < t1; j++) {
    let c = 0;
    let s = 0;
    for (let i = 0; i < n; i++) {
      c += Math.cos(v[i * dim + j]!) / n;
      s += Math.sin(v[i * dim + j]!) / n;
    }
    torsionLoc.push(Math.atan2(s, c));
    kappa.push(Math.min(vonMisesConcentration(Math.min(Math.hypot(c, s), 0.999999)), o.maxConcentration ?? 50));
  }
  const layers = o.layers ?? 8;
  const circular = Array.from({ length: t1 - t0 }, (_, k) => t0 + k);
  const parts: Bijector[] = [];
  for (let l = 0; l < layers; l++) {
    let mask: number[];
    if (l % 2 === 0) {
      const u = o.rng.uniformArray(dim);
      const order = Array.from({ length: dim }, (_, i) => i).sort((x, y) => u[x]! - u[y]!);
      mask = new Array<number>(dim).fill(0);
      for (const i of order.slice(0, Math.floor(dim / 2))) mask[i] = 1;
    } else mask = (parts[l - 1] as SplineCoupling).mask.map((m) => 1 - m);
    parts.push(
      new SplineCoupling({ dim, mask, hidden: [o.hidden ?? 64, o.hidden ?? 64], activation: 'tanh', bins: o.bins ?? 8, bound: 5, circular, rng: o.rng }),
    );
  }
  parts.push(new Scale({ dim, scale, trainable: false }));
  parts.push(new Shift({ dim, shift: loc, trainable: false }));
  parts.push(new InternalCoordinates({ atoms: ic.atoms, zMatrix: ic.zMatrix }));
  const base = new ProductDistribution([Normal.standard(a1 - b0), new VonMises({ loc: torsionLoc, concentration: kappa })]);
  return new TransformedDistribution(base, new Chain(parts));
}
