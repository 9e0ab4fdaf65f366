import * as tf from '@tensorflow/tfjs';
import { assertInteger, assertPositive, BoltzflowError, type Distribution, type Energy, type Rng } from '@boltzflow/core';
import { countingEnergy } from '@boltzflow/energies';
import { checkFlowAndEnergy, flowVariables } from '../flowParts.js';
import { importanceSummary } from '../importanceSampling.js';
import { assertNoResume, NonResumableObjective, type ResumeLimits } from '../objective.js';
import { runObjective, type CommonTrainOptions, type PreparedStep, type TrainResult } from '../trainer.js';
import { aisRunner } from './aisRunner.js';
import { PrioritizedReplayBuffer } from './prioritizedReplayBuffer.js';

/** One AIS batch: final samples, their log-weights towards the AIS target, and what it cost. */
export interface AisBatch {
  x: tf.Tensor2D;
  logWeights: Float32Array;
  /** Target-energy evaluations (rows), gradient evaluations included, as the AIS reports them. */
  energyEvaluations: number;
}

/**
 * Runs AIS from `flow` (samples and log q) towards the energy `target` for `n` samples. FAB calls it with
 * target u_g = 2u + log q, i.e. the distribution p²/q.
 */
export type AisRunner = (flow: Distribution, target: Energy, n: number, rng: Rng) => AisBatch | Promise<AisBatch>;

/** Options of {@link trainFAB} (plus the optimiser loop's own: learning rate, clipping, progress, checkpoints). */
export interface TrainFABOptions extends Omit<CommonTrainOptions, 'resumeFrom' | 'validateEvery'> {
  /** Gradient steps in total. Default 1000. */
  steps?: number;
  /** AIS samples per iteration, and the minibatch drawn from the buffer for each gradient step. Default 256. */
  batchSize?: number;
  /** Gradient steps per AIS iteration (fab-torch's n_batches_buffer_sampling). Default 4. */
  gradientStepsPerIteration?: number;
  /** Replay buffer sizes, in samples. Defaults: maxLength = 100·batchSize, minSampleLength = 10·batchSize. */
  buffer?: { maxLength?: number; minSampleLength?: number; withReplacement?: boolean };
  /** Upper clip of the importance adjustment q_old/q_new of a replayed sample (fab-torch: 10). */
  maxWeightAdjustment?: number;
  /** The AIS that produces the samples. Default `aisRunner()`: mcmc's AIS with 8 intermediate distributions and HMC. */
  ais?: AisRunner;
}

/** What {@link trainFAB} returns: the loop's result plus everything it cost. */
export interface TrainFABResult extends TrainResult {
  /** Target-energy evaluations of every AIS run, the buffer's initial fill included (gradients counted too). */
  energyEvaluations: number;
  /** AIS iterations run. */
  aisIterations: number;
  /** Kish ESS fraction of the last AIS batch's weights towards p²/q. */
  lastAisEssFraction: number;
}

/**
 * The target of FAB's AIS: p²/q, as an energy u_g(x) = 2u(x) + log q(x). Its minimiser of the α = 2 divergence
 * D₂(p‖q) = ∫p²/q is where q puts mass wherever p does: the reason FAB covers modes that reverse KL drops.
 */
export function pSquaredOverQ(energy: Energy, flow: Distribution): Energy {
  return {
    dim: energy.dim,
    name: `p²/q (${energy.name ?? 'target'})`,
    energy: (x) => tf.tidy(() => tf.add(tf.mul(energy.energy(x), 2), flow.logProb(x)) as tf.Tensor1D),
  };
}

/**
 * FAB's surrogate loss on replayed samples: −mean(w_adj · log q(x)), with w_adj = min(q_old(x)/q(x), clip) the
 * (constant) correction for the flow's change since x entered the buffer. Its gradient in the flow's weights is an
 * importance-sampling estimate of ∇D₂(p‖q)/∫p²/q, since the buffer draws x ∝ AIS weights towards p²/q.
 */
export function fabReplayLoss(flow: Distribution, x: tf.Tensor2D, weightAdjustment: Float32Array): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.mul(tf.tensor1d(weightAdjustment), flow.logProb(x)))) as tf.Scalar);
}

/** The α = 2 importance adjustment exp(log q_old − log q_new), clipped; non-finite ratios count 0. */
export function replayWeightAdjustment(logQOld: ArrayLike<number>, logQNew: ArrayLike<number>, clip: number): Float32Array {
  const out = new Float32Array(logQOld.length);
  for (let i = 0; i < out.length; i++) {
    const r = Math.exp(logQOld[i] - logQNew[i]);
    out[i] = Number.isFinite(r) ? Math.min(r, clip) : Number.isNaN(r) ? 0 : clip;
  }
  return out;
}

/** FAB's replay buffer is not stored in checkpoints: runs may write them (weights) but cannot resume. */
const FAB_RESUME: ResumeLimits = { training: 'FAB training', missing: 'its replay buffer', writesCheckpoints: true };

class FabObjective extends NonResumableObjective {
  readonly buffer: PrioritizedReplayBuffer;
  aisIterations = 0;
  lastAisEssFraction = NaN;

  constructor(
    private readonly flow: Distribution,
    private readonly energy: Energy & { counts: { energy: number; gradient: number } },
    private readonly settings: { batchSize: number; perIteration: number; clip: number; ais: AisRunner },
    buffer: { maxLength: number; minSampleLength: number; withReplacement?: boolean },
  ) {
    super(FAB_RESUME);
    this.buffer = new PrioritizedReplayBuffer({ dim: flow.dim, ...buffer });
  }

  get energyEvaluations(): number {
    return this.energy.counts.energy + this.energy.counts.gradient;
  }

  async init(rng: Rng): Promise<void> {
    while (!this.buffer.canSample) await this.collect(rng);
  }

  /** One AIS batch into the buffer (asynchronous reads, so FAB runs on WebGPU in Node). */
  private async collect(rng: Rng): Promise<void> {
    const { x, logWeights } = await this.settings.ais(this.flow, pSquaredOverQ(this.energy, this.flow), this.settings.batchSize, rng);
    try {
      await this.checkBoundedBelow(x, logWeights);
      const lq = tf.tidy(() => this.flow.logProb(x));
      let logQ: Float32Array;
      let xValues: Float32Array;
      try {
        [logQ, xValues] = (await Promise.all([lq.data(), x.data()])) as [Float32Array, Float32Array];
      } finally {
        lq.dispose();
      }
      this.buffer.add(x, logWeights, logQ, xValues);
    } finally {
      x.dispose();
    }
    this.aisIterations++;
    this.lastAisEssFraction = importanceSummary(logWeights).essFraction;
  }

  /** log w = +∞ means u → −∞ along the AIS path: an energy unbounded below, which no sampler can normalise. */
  private async checkBoundedBelow(x: tf.Tensor2D, logWeights: Float32Array): Promise<void> {
    const bad = logWeights.indexOf(Infinity);
    if (bad < 0) return;
    const row = tf.tidy(() => tf.slice(x, [bad, 0], [1, -1]) as tf.Tensor2D);
    const uRow = this.energy.energy(row);
    const [uv, rv] = await Promise.all([uRow.data(), row.data()]);
    const u = uv[0];
    const where = Array.from(rv).map((v) => v.toPrecision(4));
    tf.dispose([row, uRow]);
    throw new BoltzflowError('DIVERGED', 'The energy is unbounded below: AIS reached a sample of infinite weight', {
      argument: 'energy',
      expected: 'an energy bounded below (a normalisable Boltzmann density)',
      received: `u = ${u} at x = [${where.join(', ')}]`,
    });
  }

  async prepareStep(step: number, _totalSteps: number, rng: Rng): Promise<PreparedStep> {
    if (step % this.settings.perIteration === 0) await this.collect(rng);
    const batch = this.buffer.sample(this.settings.batchSize, rng);
    const lq = tf.tidy(() => this.flow.logProb(batch.x));
    let logQNow: Float32Array;
    try {
      logQNow = (await lq.data()) as Float32Array;
    } finally {
      lq.dispose();
    }
    const adjustment = replayWeightAdjustment(batch.logQOld, logQNow, this.settings.clip);
    // fab-torch's order: the priorities follow the flow before this step's update.
    this.buffer.adjust(batch.indices, logQNow);
    return {
      endsEpoch: false,
      loss: () => ({ loss: fabReplayLoss(this.flow, batch.x, adjustment) }),
      dispose: () => batch.x.dispose(),
    };
  }

  getState(): unknown {
    return { kind: 'fab', aisIterations: this.aisIterations };
  }

  dispose(): void {}
}

/**
 * Flow Annealed importance sampling Bootstrap (Midgley et al., ICLR 2023) with the prioritised replay buffer: trains
 * a flow from the energy alone. Each iteration runs AIS from the flow towards p²/q, adds the samples with their
 * weights to the buffer, then takes `gradientStepsPerIteration` steps of {@link fabReplayLoss} on minibatches drawn
 * ∝ weight — in the one optimiser loop of this package. Every target-energy evaluation is counted.
 */
export async function trainFAB(flow: Distribution, energy: Energy, options: TrainFABOptions = {}): Promise<TrainFABResult> {
  checkFlowAndEnergy(flow, energy);
  const ais = options?.ais ?? aisRunner();
  if (typeof ais !== 'function') {
    throw new BoltzflowError('INVALID_CONFIG', 'FAB needs an AIS runner', {
      argument: 'options.ais',
      expected: '(flow, target, n, rng) => { x, logWeights, energyEvaluations }',
      received: typeof options?.ais,
    });
  }
  assertNoResume(options, FAB_RESUME);
  const batchSize = options.batchSize ?? 256;
  assertInteger(batchSize, 'batchSize', 1);
  const perIteration = options.gradientStepsPerIteration ?? 4;
  assertInteger(perIteration, 'gradientStepsPerIteration', 1);
  const clip = options.maxWeightAdjustment ?? 10;
  assertPositive(clip, 'maxWeightAdjustment');
  const maxLength = options.buffer?.maxLength ?? 100 * batchSize;
  const minSampleLength = options.buffer?.minSampleLength ?? 10 * batchSize;
  assertInteger(maxLength, 'buffer.maxLength', 1);
  assertInteger(minSampleLength, 'buffer.minSampleLength', 1);
  if (!options.buffer?.withReplacement && batchSize > minSampleLength) {
    throw new BoltzflowError('INVALID_CONFIG', 'The replay buffer is smaller than a batch', {
      argument: 'buffer.minSampleLength',
      expected: `≥ batchSize = ${batchSize}`,
      received: String(minSampleLength),
    });
  }
  const { trainable, nonTrainable } = flowVariables(flow);
  if (trainable.length === 0) {
    throw new BoltzflowError('INVALID_VALUE', 'The flow has no trainable variables', {
      argument: 'flow.trainableVariables',
      expected: 'at least one variable',
    });
  }
  const counted = countingEnergy(energy);
  const objective = new FabObjective(
    flow,
    counted,
    { batchSize, perIteration, clip, ais },
    { maxLength, minSampleLength, withReplacement: options.buffer?.withReplacement },
  );
  const { ais: _ais, buffer: _buffer, batchSize: _b, gradientStepsPerIteration: _g, maxWeightAdjustment: _m, steps, ...loop } = options;
  const result = await runObjective(objective, { trainable, nonTrainable, flow }, { steps: steps ?? 1000 }, loop);
  return {
    ...result,
    energyEvaluations: objective.energyEvaluations,
    aisIterations: objective.aisIterations,
    lastAisEssFraction: objective.lastAisEssFraction,
  };
}
