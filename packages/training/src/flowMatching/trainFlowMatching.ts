import * as tf from '@tensorflow/tfjs';
import { assertBatch, assertInteger, assertNonNegative, assertPositive, BoltzflowError, createRng, type Distribution, type Rng } from '@boltzflow/core';
import { removeCenterOfMass, type ContinuousFlow, type VectorField } from '@boltzflow/bijectors';
import { learningRateAt, validateLearningRateSchedule, type LearningRateSchedule } from '../schedule.js';
import type { TrainingProgress, TrainResult } from '../trainer.js';
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
export function pairBatch(x0: tf.Tensor2D, x1: tf.Tensor2D, options: { alignment?: FlowMatchingAlignment; pairing?: FlowMatchingPairing; particles?: number; spatialDim?: number }): tf.Tensor2D {
  const alignment = options.alignment ?? 'none';
  const pairing = options.pairing ?? 'random';
  if (alignment === 'none' && pairing === 'random') return x1.clone();
  const [n, dim] = x0.shape;
  const a = x0.dataSync();
  const b = x1.dataSync();
  const P = options.particles ?? 0;
  const S = options.spatialDim ?? 0;
  if (alignment === 'equivariant-ot' && P * S !== dim) {
    throw new BoltzflowError('INVALID_CONFIG', 'equivariant-ot alignment needs the particle layout', { argument: 'particles, spatialDim', expected: `particles × spatialDim = ${dim}`, received: `${P} × ${S}` });
  }
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
 * x1 − x0 with Adam. Accepts a ContinuousFlow (its field is trained) or a bare VectorField.
 * Likelihoods of the trained flow come from TransformedDistribution(base, flow) with the exact trace.
 */
export async function trainFlowMatching(flow: ContinuousFlow | VectorField, data: tf.Tensor2D, options: FlowMatchingOptions): Promise<TrainResult> {
  const field: VectorField = 'field' in flow ? flow.field : flow;
  if (!field || typeof field.apply !== 'function') {
    throw new BoltzflowError('INVALID_VALUE', 'Expected a ContinuousFlow or a VectorField', { argument: 'flow', expected: '{ apply(x, t) }', received: typeof flow });
  }
  const base = options?.base;
  if (!base || typeof base.sample !== 'function') {
    throw new BoltzflowError('INVALID_VALUE', 'flow matching needs a base distribution', { argument: 'options.base', expected: 'Distribution', received: typeof base });
  }
  const [N, dim] = assertBatch(data, 'data', field.dim);
  if (base.dim !== dim) throw new BoltzflowError('INVALID_SHAPE', 'Base and data dims differ', { argument: 'options.base.dim', expected: String(dim), received: String(base.dim) });
  const steps = options.steps ?? 1000;
  assertInteger(steps, 'steps', 0);
  const batchSize = Math.min(options.batchSize ?? 128, N);
  assertInteger(batchSize, 'batchSize', 1);
  const sigma = options.sigma ?? 0;
  assertNonNegative(sigma, 'sigma');
  const schedule = options.learningRate ?? 1e-3;
  validateLearningRateSchedule(schedule);
  if (options.clipGradNorm !== undefined) assertPositive(options.clipGradNorm, 'clipGradNorm');
  const maxBad = options.maxNonFiniteSteps ?? 5;
  assertInteger(maxBad, 'maxNonFiniteSteps', 1);
  const progressEvery = options.progressEvery ?? 10;
  assertInteger(progressEvery, 'progressEvery', 1);
  const alignment = options.alignment ?? 'none';
  const pairing = options.pairing ?? 'random';
  if (alignment !== 'none' && alignment !== 'equivariant-ot') {
    throw new BoltzflowError('INVALID_CONFIG', 'Unknown alignment', { argument: 'alignment', expected: "'none' | 'equivariant-ot'", received: String(alignment) });
  }
  if (pairing !== 'random' && pairing !== 'ot') {
    throw new BoltzflowError('INVALID_CONFIG', 'Unknown pairing', { argument: 'pairing', expected: "'random' | 'ot'", received: String(pairing) });
  }
  const layout = base as unknown as { particles?: number; spatialDim?: number };
  const particles = options.particles ?? layout.particles;
  const spatialDim = options.spatialDim ?? layout.spatialDim;
  const meanFree = particles !== undefined && spatialDim !== undefined && particles * spatialDim === dim;
  const rng = options.rng ?? createRng(options.seed ?? 0);
  const vars = field.trainableVariables;
  if (vars.length === 0) throw new BoltzflowError('INVALID_VALUE', 'The vector field has no trainable variables', { argument: 'flow.trainableVariables' });

  const adam = options.adam ?? {};
  const optimizer = tf.train.adam(learningRateAt(schedule, 0, steps), adam.beta1 ?? 0.9, adam.beta2 ?? 0.999, adam.epsilon);
  const snapshot = vars.map((v) => tf.variable(v, false));
  const history: TrainingProgress[] = [];
  const skippedSteps: number[] = [];
  const start = Date.now();
  let order = rng.permutation(N);
  let cursor = 0;
  let epoch = 1;
  let lastLoss = NaN;
  let bad = 0;
  try {
    for (let step = 1; step <= steps; step++) {
      if (cursor + batchSize > N) {
        order = rng.permutation(N);
        cursor = 0;
        epoch++;
      }
      const idx = tf.tensor1d(Array.from(order.subarray(cursor, cursor + batchSize)), 'int32');
      cursor += batchSize;
      const x1raw = tf.gather(data, idx) as tf.Tensor2D;
      idx.dispose();
      const x0 = base.sample(batchSize, rng);
      const x1 = pairBatch(x0, x1raw, { alignment, pairing, particles, spatialDim });
      x1raw.dispose();
      const t = rng.uniform([batchSize]) as tf.Tensor1D;
      let noise: tf.Tensor2D | null = null;
      if (sigma > 0) {
        const z = rng.normal([batchSize, dim]) as tf.Tensor2D;
        noise = tf.tidy(() => tf.mul(meanFree ? removeCenterOfMass(z, particles!, spatialDim!) : z, sigma) as tf.Tensor2D);
        z.dispose();
      }
      const lr = learningRateAt(schedule, step - 1, steps);
      (optimizer as unknown as { learningRate: number }).learningRate = lr;
      const { value, grads } = tf.variableGrads(() => flowMatchingLoss(field, x0, x1, t, noise), vars);
      tf.dispose([x0, x1, t, noise ?? []].flat());
      const loss = value.dataSync()[0];
      value.dispose();
      // A variable that does not reach the loss gets a zero gradient (tfjs leaves it out).
      const gradList = vars.map((v) => grads[v.name] ?? tf.zerosLike(v));
      const gradNorm = tf.tidy(() => Math.sqrt(tf.addN(gradList.map((g) => tf.sum(tf.square(g)))).dataSync()[0]));
      const skipped = !Number.isFinite(loss) || !Number.isFinite(gradNorm);
      if (skipped) {
        skippedSteps.push(step);
        bad++;
        tf.dispose(gradList);
        if (bad >= maxBad) {
          vars.forEach((v, i) => v.assign(snapshot[i]));
          throw new BoltzflowError('DIVERGED', `Flow matching diverged at step ${step}: ${bad} consecutive non-finite steps; weights restored to the last finite-loss state`, {
            argument: 'loss',
            expected: 'finite',
            received: String(loss),
            step,
          });
        }
      } else {
        bad = 0;
        lastLoss = loss;
        vars.forEach((v, i) => snapshot[i].assign(v));
        const clip = options.clipGradNorm && gradNorm > options.clipGradNorm ? options.clipGradNorm / gradNorm : 1;
        const named = vars.map((v, i) => ({ name: v.name, tensor: clip === 1 ? gradList[i] : tf.mul(gradList[i], clip) }));
        optimizer.applyGradients(named);
        tf.dispose(named.map((g) => g.tensor));
        if (clip !== 1) tf.dispose(gradList);
      }
      if (step % progressEvery === 0 || step === steps || skipped) {
        const p: TrainingProgress = { step, epoch, loss: skipped ? loss : lastLoss, learningRate: lr, gradNorm, skipped, seconds: (Date.now() - start) / 1000 };
        history.push(p);
        await options.onProgress?.(p);
      }
    }
  } finally {
    optimizer.dispose();
    tf.dispose(snapshot);
  }
  return { steps, epochs: epoch, history, loss: lastLoss, skippedSteps, seconds: (Date.now() - start) / 1000 };
}
