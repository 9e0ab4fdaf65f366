import * as tf from '@tensorflow/tfjs';
import {
  assertBatch,
  assertFiniteArray,
  assertFiniteTensor,
  assertInteger,
  BoltzflowError,
  Rng,
  type Distribution,
  type Energy,
  type RngState,
} from '@boltzflow/core';
import { withTemperature } from '@boltzflow/energies';
import { reparameterizedFromBase, reparameterizedSample } from './flowParts.js';
import type { PreparedStep, TrainingObjective } from './trainer.js';
import { temperatureAt, validateTemperatureSchedule, type TemperatureSchedule } from './schedule.js';

/** What the mixed objective needs; trainML / trainKL / train fill it from their options. */
export interface ObjectiveConfig {
  /** Training samples `[N, dim]` for the maximum-likelihood term. */
  data?: tf.Tensor2D;
  /**
   * Host copy of `data` (row-major, `N·dim` floats) when the caller already holds one: then `data` is not read back
   * (no synchronous read: WebGPU in Node) and its finiteness is checked on these values.
   */
  dataValues?: Float32Array;
  /** Explicit held-out set; otherwise `validationFraction` of `data` is held out. */
  validationData?: tf.Tensor2D;
  validationFraction: number;
  mlBatchSize: number;
  weightML: number;
  /** Target energy for the reverse-KL term. */
  energy?: Energy;
  klBatchSize: number;
  weightKL: number;
  temperatureSchedule?: TemperatureSchedule;
}

/** Per-step loss pieces, all owned by the caller. */
export interface StepLoss {
  loss: tf.Scalar;
  nll?: tf.Scalar;
  kl?: tf.Scalar;
  /** log w = −u_T(x) − log q(x) of the KL batch. */
  logWeights?: tf.Tensor1D;
}

/** Serialisable position of the objective in its data stream (stored in checkpoints). */
export interface ObjectiveState {
  kind: 'boltzflow-training';
  version: 1;
  nTrain: number;
  nValidation: number;
  epoch: number;
  batchInEpoch: number;
  splitState: RngState | null;
  permState: RngState | null;
}

const VALIDATION_CHUNK = 4096;

/**
 * The weighted sum  w_ML · NLL(data minibatch) + w_KL · E_z[u_T(F(z)) + log q(F(z))]  (reverse KL up to log Z),
 * with deterministic, resumable minibatching: the train/validation split and each epoch's shuffle come from child
 * streams of the run's Rng whose seeds are stored in {@link ObjectiveState}.
 */
export class MixtureObjective implements TrainingObjective {
  readonly flow: Distribution;
  readonly config: ObjectiveConfig;
  readonly stepsPerEpoch: number;
  private trainData?: Float32Array;
  private validation?: tf.Tensor2D;
  private nTrain = 0;
  private nValidation = 0;
  private readonly dim: number;
  private epoch = 0;
  private batchInEpoch = 0;
  private splitState: RngState | null = null;
  private permState: RngState | null = null;
  private perm?: Int32Array;
  private dataHost?: Float32Array;
  private nData = 0;

  constructor(flow: Distribution, config: ObjectiveConfig) {
    this.flow = flow;
    this.config = config;
    this.dim = flow.dim;
    const { data, energy, validationData } = config;
    if (
      !(config.weightML >= 0) ||
      !(config.weightKL >= 0) ||
      !Number.isFinite(config.weightML) ||
      !Number.isFinite(config.weightKL) ||
      config.weightML + config.weightKL <= 0
    ) {
      throw new BoltzflowError('INVALID_CONFIG', 'Loss weights must be finite, ≥ 0 and not both 0', {
        argument: 'weights',
        expected: '{ ml ≥ 0, kl ≥ 0 }, sum > 0',
        received: JSON.stringify({ ml: config.weightML, kl: config.weightKL }),
      });
    }
    if (config.weightML > 0) {
      if (!data)
        throw new BoltzflowError('INVALID_CONFIG', 'Maximum-likelihood term needs data', {
          argument: 'data',
          expected: '[N, dim] tensor',
          received: 'undefined',
        });
      const [n] = assertBatchDim(data, 'data', this.dim);
      if (config.dataValues) {
        assertFiniteArray(config.dataValues, 'dataValues', n * this.dim);
        this.dataHost = config.dataValues;
      } else {
        // Read before the finiteness check: on WebGPU in Node a tensor built from host values can be read synchronously
        // only until its first use uploads it (then the host copy is dropped and only `await data()` works).
        this.dataHost = data.dataSync() as Float32Array;
        assertFiniteTensor(data, 'data');
      }
      assertInteger(config.mlBatchSize, 'batchSize', 1);
      if (validationData) {
        assertBatchDim(validationData, 'validationData', this.dim);
        assertFiniteTensor(validationData, 'validationData');
      } else if (!(config.validationFraction >= 0 && config.validationFraction < 1)) {
        throw new BoltzflowError('INVALID_CONFIG', 'validationFraction must lie in [0, 1)', {
          argument: 'validationFraction',
          expected: '[0, 1)',
          received: String(config.validationFraction),
        });
      }
      this.nData = n;
      this.nValidation = validationData ? validationData.shape[0] : Math.floor(n * config.validationFraction);
      this.nTrain = validationData ? n : n - this.nValidation;
      if (this.nTrain < 1)
        throw new BoltzflowError('INVALID_CONFIG', 'No training samples left after the validation split', {
          argument: 'validationFraction',
          received: String(config.validationFraction),
        });
    }
    if (config.weightKL > 0) {
      if (!energy)
        throw new BoltzflowError('INVALID_CONFIG', 'Reverse-KL term needs an energy', { argument: 'energy', expected: 'Energy', received: 'undefined' });
      if (energy.dim !== this.dim) {
        throw new BoltzflowError('INVALID_SHAPE', 'Energy and flow dimensions differ', {
          argument: 'energy',
          expected: `dim ${this.dim} (flow.dim)`,
          received: `dim ${energy.dim}`,
        });
      }
      assertInteger(config.klBatchSize, 'klBatchSize', 1);
      if (config.temperatureSchedule) validateTemperatureSchedule(config.temperatureSchedule);
    }
    this.stepsPerEpoch = this.nTrain > 0 ? Math.max(1, Math.floor(this.nTrain / Math.min(config.mlBatchSize, this.nTrain))) : 0;
  }

  get usesData(): boolean {
    return this.config.weightML > 0;
  }
  get usesEnergy(): boolean {
    return this.config.weightKL > 0;
  }
  get hasValidation(): boolean {
    return this.nValidation > 0;
  }
  /** 1-based epoch of the next step (0 without data). */
  get currentEpoch(): number {
    return this.usesData ? this.epoch + 1 : 0;
  }

  /** Fresh start: draws the train/validation split from a child of `rng`. */
  init(rng: Rng): void {
    if (!this.usesData) return;
    if (!this.config.validationData && this.nValidation > 0) {
      const child = rng.fork();
      this.splitState = child.getState();
    }
    this.buildSplit();
  }

  /** Resume: restores the split and the position in the current epoch; data sizes must match the checkpoint. */
  setState(state: unknown): void {
    if (!this.usesData) return;
    const s = state as Partial<ObjectiveState> | null;
    if (s?.kind !== 'boltzflow-training' || s.version !== 1) {
      throw new BoltzflowError('CHECKPOINT', 'Checkpoint holds no training-loop state to resume from (was it written by saveFlow directly?)', {
        argument: 'resumeFrom',
      });
    }
    if (s.nTrain !== this.nTrain || s.nValidation !== this.nValidation) {
      throw new BoltzflowError('CHECKPOINT', 'Resumed run has different data sizes than the checkpointed one', {
        argument: 'data',
        expected: `${s.nTrain} train / ${s.nValidation} validation`,
        received: `${this.nTrain} / ${this.nValidation}`,
      });
    }
    const validInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
    if (!validInt(s.epoch) || !validInt(s.batchInEpoch) || s.batchInEpoch > this.stepsPerEpoch) {
      throw new BoltzflowError('CHECKPOINT', 'Invalid training-loop state in checkpoint', { argument: 'extra.training' });
    }
    this.splitState = s.splitState ?? null;
    this.epoch = s.epoch;
    this.batchInEpoch = s.batchInEpoch;
    this.permState = s.permState ?? null;
    this.buildSplit();
    this.perm = this.permState ? Rng.fromState(this.permState).permutation(this.nTrain) : undefined;
  }

  getState(): ObjectiveState {
    return {
      kind: 'boltzflow-training',
      version: 1,
      nTrain: this.nTrain,
      nValidation: this.nValidation,
      epoch: this.epoch,
      batchInEpoch: this.batchInEpoch,
      splitState: this.splitState,
      permState: this.permState,
    };
  }

  private buildSplit(): void {
    const host = this.dataHost!;
    const d = this.dim;
    this.validation?.dispose();
    this.validation = undefined;
    if (this.config.validationData) {
      this.trainData = host;
      this.validation = this.config.validationData.clone();
      return;
    }
    if (this.nValidation === 0) {
      this.trainData = host;
      return;
    }
    const order = Rng.fromState(this.splitState!).permutation(this.nData);
    const val = new Float32Array(this.nValidation * d);
    const tr = new Float32Array(this.nTrain * d);
    for (let i = 0; i < this.nData; i++) {
      const src = order[i] * d;
      if (i < this.nValidation) val.set(host.subarray(src, src + d), i * d);
      else tr.set(host.subarray(src, src + d), (i - this.nValidation) * d);
    }
    this.trainData = tr;
    this.validation = tf.tensor2d(val, [this.nValidation, d], 'float32');
  }

  /**
   * Draws this step's ML minibatch (a new shuffle at each epoch start, drawn from a child of `rng`); drops the last
   * partial batch so every step sees the same batch size. Returns whether this step ends an epoch.
   */
  nextBatch(rng: Rng): { batch?: tf.Tensor2D; values?: Float32Array; endsEpoch: boolean } {
    if (!this.usesData) return { endsEpoch: false };
    if (this.batchInEpoch === 0 || !this.perm) {
      const child = rng.fork();
      this.permState = child.getState();
      this.perm = child.permutation(this.nTrain);
    }
    const bs = Math.min(this.config.mlBatchSize, this.nTrain);
    const d = this.dim;
    const out = new Float32Array(bs * d);
    const start = this.batchInEpoch * bs;
    for (let i = 0; i < bs; i++) {
      const src = this.perm[start + i] * d;
      out.set(this.trainData!.subarray(src, src + d), i * d);
    }
    this.batchInEpoch++;
    let endsEpoch = false;
    if (this.batchInEpoch >= this.stepsPerEpoch) {
      this.batchInEpoch = 0;
      this.epoch++;
      this.perm = undefined;
      this.permState = null;
      endsEpoch = true;
    }
    return { batch: tf.tensor2d(out, [bs, d], 'float32'), values: out, endsEpoch };
  }

  /** The target energy at this step (tempered when a schedule is set), and its temperature. */
  /** The one-step contract of the optimiser loop: this step's minibatch, then the loss at this step's temperature. */
  prepareStep(step: number, totalSteps: number, rng: Rng): PreparedStep {
    const { batch, endsEpoch } = this.nextBatch(rng);
    const { energy, temperature } = this.energyAt(step, totalSteps);
    return {
      endsEpoch,
      ...(temperature !== undefined ? { temperature } : {}),
      loss: () => this.loss(batch, energy, rng),
      dispose: () => batch?.dispose(),
    };
  }

  energyAt(step: number, totalSteps: number): { energy?: Energy; temperature?: number } {
    const e = this.config.energy;
    if (!this.usesEnergy || !e) return {};
    if (!this.config.temperatureSchedule) return { energy: e, temperature: 1 };
    const t = temperatureAt(this.config.temperatureSchedule, step, totalSteps);
    return { energy: t === 1 ? e : withTemperature(e, t), temperature: t };
  }

  /** The loss; call inside a gradient tape. Everything returned is a fresh tensor. */
  loss(batch: tf.Tensor2D | undefined, energy: Energy | undefined, rng: Rng): StepLoss {
    const { weightML, weightKL, klBatchSize } = this.config;
    return mixtureLoss(this.flow, energy, { ml: weightML, kl: weightKL }, batch && { batch, rows: batch.shape[0] }, {
      draw: () => reparameterizedSample(this.flow, klBatchSize, rng),
      rows: klBatchSize,
    });
  }

  /** Mean negative log-likelihood of the held-out set (undefined without one); one asynchronous read. */
  async validationNLL(): Promise<number | undefined> {
    const v = this.validation;
    if (!v || v.shape[0] === 0) return undefined;
    const n = v.shape[0];
    const total = tf.tidy(() => {
      let acc: tf.Tensor = tf.scalar(0);
      for (let s = 0; s < n; s += VALIDATION_CHUNK) {
        const chunk = tf.slice(v, [s, 0], [Math.min(VALIDATION_CHUNK, n - s), this.dim]) as tf.Tensor2D;
        acc = tf.add(acc, tf.sum(this.flow.logProb(chunk)));
      }
      return acc;
    });
    try {
      return -(await total.data())[0] / n;
    } finally {
      total.dispose();
    }
  }

  dispose(): void {
    this.validation?.dispose();
    this.validation = undefined;
  }
}

/** One thread's share of a step's batches, and the sizes of the whole batches it is a share of. */
export interface LossShare {
  /** ML minibatch rows of this share (absent or 0 rows: none). */
  batch?: tf.Tensor2D;
  /** Rows in the whole ML minibatch. */
  mlRows: number;
  /** Base draws z of this share for the KL term. */
  z?: tf.Tensor2D;
  /** Rows in the whole KL batch. */
  klRows: number;
}

/**
 * One share's part of {@link MixtureObjective}'s loss, weighted so that the parts of all shares sum to the whole
 * batch's loss: w_ML · (−Σ log q(rows))/mlRows + w_KL · Σ(u_T + log q)/klRows, and the same for `nll` and `kl`; the
 * KL draws are pushed through the flow from the given `z`. Data-parallel training computes one share per thread (call
 * inside a gradient tape). Everything returned is a fresh tensor; an empty share gives a zero loss.
 */
export function shareLoss(flow: Distribution, energy: Energy | undefined, weights: { ml: number; kl: number }, share: LossShare): StepLoss {
  const { batch, z } = share;
  return mixtureLoss(
    flow,
    energy,
    weights,
    batch && batch.shape[0] > 0 ? { batch, rows: share.mlRows } : undefined,
    z && z.shape[0] > 0 ? { draw: () => reparameterizedFromBase(flow, z), rows: share.klRows } : undefined,
  );
}

/**
 * The mixed loss w_ML · NLL + w_KL · E[u_T + log q] over a batch or a share of one: each term's rows summed and divided
 * by the whole batch's `rows` (a mean when they are the whole batch). `draw` gives the KL draws x with log q(x), and runs
 * only when the KL term is on (the single-thread loss draws them from the run's stream there). Everything returned is a
 * fresh tensor; no term gives a zero loss.
 */
function mixtureLoss(
  flow: Distribution,
  energy: Energy | undefined,
  weights: { ml: number; kl: number },
  ml: { batch: tf.Tensor2D; rows: number } | undefined,
  kl: { draw: () => { x: tf.Tensor2D; logQ: tf.Tensor1D }; rows: number } | undefined,
): StepLoss {
  const average = (v: tf.Tensor1D, rows: number): tf.Scalar => (v.shape[0] === rows ? tf.mean(v) : tf.div(tf.sum(v), rows)) as tf.Scalar;
  const out: Partial<StepLoss> = {};
  let total: tf.Scalar | undefined;
  if (weights.ml > 0 && ml) {
    const lp = flow.logProb(ml.batch);
    out.nll = tf.neg(average(lp, ml.rows)) as tf.Scalar;
    lp.dispose();
    total = weights.ml === 1 ? out.nll.clone() : (tf.mul(out.nll, weights.ml) as tf.Scalar);
  }
  if (weights.kl > 0 && energy && kl) {
    const { x, logQ } = kl.draw();
    const u = energy.energy(x);
    const diff = tf.add(u, logQ) as tf.Tensor1D;
    out.kl = average(diff, kl.rows);
    out.logWeights = tf.neg(diff) as tf.Tensor1D;
    const term = weights.kl === 1 ? out.kl.clone() : (tf.mul(out.kl, weights.kl) as tf.Scalar);
    total = total ? (tf.add(total, term) as tf.Scalar) : term;
    tf.dispose([x, logQ, u, diff]);
  }
  return { ...out, loss: total ?? tf.scalar(0) };
}

function assertBatchDim(x: tf.Tensor2D, argument: string, dim: number): [number, number] {
  assertBatch(x, argument);
  if (x.shape[1] !== dim) {
    throw new BoltzflowError('INVALID_SHAPE', 'Data and flow dimensions differ', {
      argument,
      expected: `[n, ${dim}] (flow.dim = ${dim})`,
      received: `[${x.shape.join(', ')}]`,
    });
  }
  return [x.shape[0], x.shape[1]];
}

/** How a training whose state checkpoints cannot hold (FAB, temperature-annealed training) names itself in errors. */
export interface ResumeLimits {
  /** The training, as errors name it: `'FAB training'`. */
  training: string;
  /** What checkpoints lack: `'its replay buffer'`. */
  missing: string;
  /** Whether runs may still write checkpoints (weights and optimizer, for inspection or a fresh start): FAB yes. */
  writesCheckpoints: boolean;
}

/**
 * The one up-front check of a training that cannot resume: INVALID_CONFIG naming `resumeFrom` (or `checkpoint`, when
 * the training writes none) when `options` asks for it, before any work is done.
 */
export function assertNoResume(options: object, limits: ResumeLimits): void {
  const o = options as { resumeFrom?: unknown; checkpoint?: unknown };
  const resume = o.resumeFrom !== undefined;
  if (!resume && (limits.writesCheckpoints || o.checkpoint === undefined)) return;
  throw new BoltzflowError(
    'INVALID_CONFIG',
    `${limits.training} cannot ${limits.writesCheckpoints ? 'resume' : 'checkpoint or resume'}: ${limits.missing} is not stored in checkpoints`,
    { argument: resume ? 'resumeFrom' : 'checkpoint', expected: 'unset' },
  );
}

/**
 * Base of the objectives whose state checkpoints cannot hold (FAB's replay buffer, temperature-annealed training's
 * buffer): energy-only (no data stream, no held-out set), `getState` records how far the run got (stored in any
 * checkpoint it writes), and `setState` (resume) throws CHECKPOINT. Callers check options with {@link assertNoResume}.
 */
export abstract class NonResumableObjective implements TrainingObjective {
  readonly usesData = false;
  readonly hasValidation = false;
  readonly stepsPerEpoch = 0;
  readonly currentEpoch = 0;

  constructor(readonly limits: ResumeLimits) {}

  abstract init(rng: Rng): void | Promise<void>;
  abstract prepareStep(step: number, totalSteps: number, rng: Rng): PreparedStep | Promise<PreparedStep>;
  /** How far the run got, e.g. `{ kind: 'fab', aisIterations }` (informative: it cannot be resumed from). */
  abstract getState(): unknown;
  abstract dispose(): void;

  validationNLL(): undefined {
    return undefined;
  }

  setState(_state?: unknown): never {
    throw new BoltzflowError('CHECKPOINT', `${this.limits.training} cannot resume: ${this.limits.missing} is not stored in checkpoints`, {
      argument: 'resumeFrom',
      expected: 'a fresh run',
    });
  }
}
