import * as tf from '@tensorflow/tfjs';
import {
  assertBatch,
  assertInteger,
  assertNonNegative,
  assertOneOf,
  BoltzflowError,
  removeCenterOfMass,
  runHostReadsAsync,
  runHostReadsSync,
  type Distribution,
  type HostReads,
  type HostValues,
  type Rng,
} from '@boltzflow/core';
import type { ContinuousFlow, VectorField } from '@boltzflow/bijectors';
import type { LearningRateSchedule } from '../schedule.js';
import { runObjective, type PreparedStep, type TrainingObjective, type TrainingProgress, type TrainResult } from '../trainer.js';
import { alignParticles } from './alignment.js';
import { hungarian } from './hungarian.js';

/** How {@link trainFlowMatching} aligns each data point with its noise partner (particle symmetries). */
export type FlowMatchingAlignment = 'none' | 'equivariant-ot';
/** How {@link trainFlowMatching} pairs noise with data in a batch. */
export type FlowMatchingPairing = 'random' | 'ot';

/** Options of {@link trainFlowMatching}. */
export interface FlowMatchingOptions {
  /** Source distribution x0 (e.g. MeanFreeNormal for particle systems); the flow's base. */
  base: Distribution;
  /** Optimizer steps. Default 1000. */
  steps?: number;
  /** Minibatch size (data drawn by per-epoch shuffles). Default 128. */
  batchSize?: number;
  /** Default 1e-3. */
  learningRate?: LearningRateSchedule;
  adam?: { beta1?: number; beta2?: number; epsilon?: number };
  clipGradNorm?: number;
  /** σ of the Gaussian path x_t = (1−t)x0 + t·x1 + σε (ε mean-free for particle systems). Default 0. */
  sigma?: number;
  /**
   * 'equivariant-ot' (Klein et al. 2023): each x1 is replaced by its permutation and rotation that best match its x0
   * (Hungarian + Kabsch) before the pair is used — legitimate because the target is invariant under these. Default 'none'.
   */
  alignment?: FlowMatchingAlignment;
  /** 'ot': minibatch optimal-transport pairing of x0 and x1 (Tong et al. 2023), on aligned distances when aligning. Default 'random'. */
  pairing?: FlowMatchingPairing;
  /** Particle layout; read from the base (MeanFreeNormal has them) when omitted. Needed for alignment. */
  particles?: number;
  spatialDim?: number;
  /** Skip a step with non-finite loss/gradient; after this many in a row restore the last good weights and throw DIVERGED. Default 5. */
  maxNonFiniteSteps?: number;
  seed?: number;
  rng?: Rng;
  /** Called with the training progress; awaited, so it may write logs or checkpoints. */
  onProgress?: (progress: TrainingProgress) => void | Promise<void>;
  progressEvery?: number;
}

/**
 * The conditional flow-matching loss E‖v(x_t, t) − (x1 − x0)‖² (mean over batch and coordinates) for given pairs,
 * times t `[n]` and noise `[n, dim]` (already scaled by σ, or null).
 */
export function flowMatchingLoss(field: VectorField, x0: tf.Tensor2D, x1: tf.Tensor2D, t: tf.Tensor1D, noise: tf.Tensor2D | null = null): tf.Scalar {
  return tf.tidy(() => {
    const tc = tf.reshape(t, [-1, 1]);
    let xt = tf.add(tf.mul(tf.sub(1, tc), x0), tf.mul(tc, x1)) as tf.Tensor2D;
    if (noise) xt = tf.add(xt, noise) as tf.Tensor2D;
    return tf.mean(tf.square(tf.sub(field.apply(xt, t), tf.sub(x1, x0)))) as tf.Scalar;
  });
}

/**
 * Pairs source and data batches for flow matching: optional minibatch OT (Hungarian on squared distances, aligned
 * distances under 'equivariant-ot') and optional per-pair permutation/rotation alignment of x1 to x0.
 * Returns x1 reordered/aligned to match x0 row by row.
 */
export function pairBatch(x0: tf.Tensor2D, x1: tf.Tensor2D, options: PairBatchOptions): tf.Tensor2D {
  return runHostReadsSync(pairBatchReads(x0, x1, options));
}

/**
 * {@link pairBatch} with one asynchronous read of both batches (`await data()`): the same pairs for the same inputs,
 * on backends without synchronous reads too (WebGPU in Node). {@link trainFlowMatching} pairs with it.
 */
export function pairBatchAsync(x0: tf.Tensor2D, x1: tf.Tensor2D, options: PairBatchOptions): Promise<tf.Tensor2D> {
  return runHostReadsAsync(pairBatchReads(x0, x1, options));
}

/** How {@link pairBatch} pairs and aligns (the particle layout is needed for 'equivariant-ot'). */
export interface PairBatchOptions {
  alignment?: FlowMatchingAlignment;
  pairing?: FlowMatchingPairing;
  particles?: number;
  spatialDim?: number;
}

/** The one implementation of {@link pairBatch}, pausing at its one host read (x0 and x1 together). */
function* pairBatchReads(x0: tf.Tensor2D, x1: tf.Tensor2D, options: PairBatchOptions): HostReads<tf.Tensor2D> {
  const alignment = options.alignment ?? 'none';
  const pairing = options.pairing ?? 'random';
  if (alignment === 'none' && pairing === 'random') return x1.clone();
  const [n, dim] = x0.shape;
  const P = options.particles ?? 0;
  const S = options.spatialDim ?? 0;
  if (alignment === 'equivariant-ot' && P * S !== dim) {
    throw new BoltzflowError('INVALID_CONFIG', 'equivariant-ot alignment needs the particle layout', {
      argument: 'particles, spatialDim',
      expected: `particles × spatialDim = ${dim}`,
      received: `${P} × ${S}`,
    });
  }
  // One read of both batches (a concatenation copies the values exactly).
  const both = tf.concat([x0, x1], 0);
  let ab: HostValues;
  try {
    ab = yield both;
  } finally {
    both.dispose();
  }
  const a = ab.subarray(0, n * dim);
  const b = ab.subarray(n * dim);
  const row = (arr: ArrayLike<number>, i: number) => Array.prototype.slice.call(arr, i * dim, (i + 1) * dim) as number[];
  const align = (i: number, j: number) => (alignment === 'equivariant-ot' ? alignParticles(row(a, i), row(b, j), P, S) : null);
  let order = Array.from({ length: n }, (_, i) => i);
  const cache = new Map<number, number[]>();
  if (pairing === 'ot') {
    const cost = Array.from({ length: n }, (_, i) =>
      Array.from({ length: n }, (__, j) => {
        const al = align(i, j);
        if (al) {
          cache.set(i * n + j, al.aligned);
          return al.distance2;
        }
        let s = 0;
        for (let k = 0; k < dim; k++) s += (a[i * dim + k] - b[j * dim + k]) ** 2;
        return s;
      }),
    );
    order = hungarian(cost).assignment;
  }
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const j = order[i];
    const v = alignment === 'equivariant-ot' ? (cache.get(i * n + j) ?? (align(i, j) as { aligned: number[] }).aligned) : row(b, j);
    out.set(v, i * dim);
  }
  return tf.tensor2d(out, [n, dim]);
}

/**
 * Simulation-free (optimal-transport) conditional flow matching (Lipman et al. 2023; Tong et al. 2023; equivariant OT
 * of Klein et al. 2023): x0 ~ base, x1 ~ data, t ~ U(0, 1), x_t = (1−t)x0 + t·x1 (+σε); regress the vector field on
 * x1 − x0, in the one optimiser loop of this package (Adam, schedules, clipping, the non-finite guard). Accepts a ContinuousFlow (its field is trained) or a bare VectorField.
 * Likelihoods of the trained flow come from TransformedDistribution(base, flow) with the exact trace.
 */
export async function trainFlowMatching(flow: ContinuousFlow | VectorField, data: tf.Tensor2D, options: FlowMatchingOptions): Promise<TrainResult> {
  const field: VectorField = 'field' in flow ? flow.field : flow;
  if (!field || typeof field.apply !== 'function') {
    throw new BoltzflowError('INVALID_VALUE', 'Expected a ContinuousFlow or a VectorField', {
      argument: 'flow',
      expected: '{ apply(x, t) }',
      received: typeof flow,
    });
  }
  const base = options?.base;
  if (!base || typeof base.sample !== 'function') {
    throw new BoltzflowError('INVALID_VALUE', 'flow matching needs a base distribution', {
      argument: 'options.base',
      expected: 'Distribution',
      received: typeof base,
    });
  }
  const [N, dim] = assertBatch(data, 'data', field.dim);
  if (base.dim !== dim)
    throw new BoltzflowError('INVALID_SHAPE', 'Base and data dims differ', { argument: 'options.base.dim', expected: String(dim), received: String(base.dim) });
  const steps = options.steps ?? 1000;
  const batchSize = Math.min(options.batchSize ?? 128, N);
  assertInteger(batchSize, 'batchSize', 1);
  const sigma = options.sigma ?? 0;
  assertNonNegative(sigma, 'sigma');
  const alignment = options.alignment ?? 'none';
  const pairing = options.pairing ?? 'random';
  assertOneOf(alignment, ['none', 'equivariant-ot'], 'alignment', { code: 'INVALID_CONFIG', message: 'Unknown alignment' });
  assertOneOf(pairing, ['random', 'ot'], 'pairing', { code: 'INVALID_CONFIG', message: 'Unknown pairing' });
  const layout = base as unknown as { particles?: number; spatialDim?: number };
  const particles = options.particles ?? layout.particles;
  const spatialDim = options.spatialDim ?? layout.spatialDim;
  const meanFree = particles !== undefined && spatialDim !== undefined && particles * spatialDim === dim;
  const vars = field.trainableVariables;
  if (vars.length === 0) throw new BoltzflowError('INVALID_VALUE', 'The vector field has no trainable variables', { argument: 'flow.trainableVariables' });
  const objective = new FlowMatchingObjective(field, data, base, { batchSize, sigma, alignment, pairing, particles, spatialDim, meanFree });
  const { rng, seed, onProgress, progressEvery, learningRate, adam, clipGradNorm, maxNonFiniteSteps } = options;
  return runObjective(
    objective,
    { trainable: vars, nonTrainable: [], spectralRoot: field },
    { steps },
    { rng, seed, onProgress, progressEvery, learningRate, adam, clipGradNorm, maxNonFiniteSteps, updateSpectralNorm: false },
  );
}

interface FlowMatchingSettings {
  batchSize: number;
  sigma: number;
  alignment: FlowMatchingAlignment;
  pairing: FlowMatchingPairing;
  particles?: number;
  spatialDim?: number;
  meanFree: boolean;
}

/**
 * The flow-matching regression as an objective of the one optimiser loop: per-epoch shuffles of the data, a fresh
 * base batch, pairing/alignment, t ~ U(0, 1) and the path noise, all drawn before the loss.
 */
class FlowMatchingObjective implements TrainingObjective {
  readonly usesData = true;
  readonly hasValidation = false;
  readonly stepsPerEpoch: number;
  private readonly n: number;
  private order: Int32Array = new Int32Array(0);
  private cursor = 0;
  private epoch = 1;

  constructor(
    private readonly field: VectorField,
    private readonly data: tf.Tensor2D,
    private readonly base: Distribution,
    private readonly settings: FlowMatchingSettings,
  ) {
    this.n = data.shape[0];
    this.stepsPerEpoch = Math.floor(this.n / settings.batchSize);
  }

  /** The epoch the next step belongs to (a reshuffle starts a new one). */
  get currentEpoch(): number {
    return this.cursor + this.settings.batchSize > this.n ? this.epoch + 1 : this.epoch;
  }

  init(rng: Rng): void {
    this.order = rng.permutation(this.n);
  }

  async prepareStep(_step: number, _totalSteps: number, rng: Rng): Promise<PreparedStep> {
    const { batchSize, sigma, alignment, pairing, particles, spatialDim, meanFree } = this.settings;
    if (this.cursor + batchSize > this.n) {
      this.order = rng.permutation(this.n);
      this.cursor = 0;
      this.epoch++;
    }
    const idx = tf.tensor1d(Array.from(this.order.subarray(this.cursor, this.cursor + batchSize)), 'int32');
    this.cursor += batchSize;
    const x1raw = tf.gather(this.data, idx) as tf.Tensor2D;
    idx.dispose();
    const x0 = this.base.sample(batchSize, rng);
    let x1: tf.Tensor2D;
    try {
      // Asynchronous read (OT pairing and alignment need the batches on the host): runs on WebGPU in Node too.
      x1 = await pairBatchAsync(x0, x1raw, { alignment, pairing, particles, spatialDim });
    } catch (e) {
      x0.dispose();
      throw e;
    } finally {
      x1raw.dispose();
    }
    const t = rng.uniform([batchSize]) as tf.Tensor1D;
    let noise: tf.Tensor2D | null = null;
    if (sigma > 0) {
      const z = rng.normal([batchSize, this.data.shape[1]]) as tf.Tensor2D;
      noise = tf.tidy(() => tf.mul(meanFree ? removeCenterOfMass(z, particles!, spatialDim!) : z, sigma) as tf.Tensor2D);
      z.dispose();
    }
    return {
      endsEpoch: false, // no held-out set to validate on
      loss: () => ({ loss: flowMatchingLoss(this.field, x0, x1, t, noise) }),
      dispose: () => tf.dispose([x0, x1, t, noise ?? []].flat()),
    };
  }

  validationNLL(): undefined {
    return undefined;
  }

  getState(): unknown {
    return null;
  }

  setState(): void {}

  dispose(): void {}
}
