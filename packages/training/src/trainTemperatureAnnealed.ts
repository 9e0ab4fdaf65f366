import * as tf from '@tensorflow/tfjs';
import {
  assertInteger,
  assertOneOf,
  assertPositive,
  BoltzflowError,
  runHostReadsAsync,
  runHostReadsSync,
  type Distribution,
  type Energy,
  type HostReads,
  type HostValues,
  type Rng,
} from '@boltzflow/core';
import { countingEnergy, withTemperature } from '@boltzflow/energies';
import { importanceWeights, kishESS, logPartition } from '@boltzflow/estimators';
import { multinomialResample } from '@boltzflow/mcmc';
import { checkFlowAndEnergy, flowVariables } from './flowParts.js';
import { assertNoResume, MixtureObjective, NonResumableObjective, type ResumeLimits } from './objective.js';
import { runObjective, type CommonTrainOptions, type PreparedStep, type TrainResult } from './trainer.js';

/** Options of {@link trainTemperatureAnnealed} (plus the optimiser loop's own: learning rate, clipping, progress). */
export interface TrainTemperatureAnnealedOptions extends Omit<CommonTrainOptions, 'resumeFrom' | 'validateEvery' | 'checkpoint'> {
  /**
   * The whole ladder T₀ > T₁ > … > T_K = 1 (strictly decreasing, ending at 1). Default: geometric from
   * `initialTemperature` in `levels` steps, T_k = T₀^(1 − k/K).
   */
  temperatures?: number[];
  /** T₀ of the default geometric ladder. Default 8. */
  initialTemperature?: number;
  /** K, the number of steps down of the default geometric ladder. Default 6. */
  levels?: number;
  /** Reverse-KL steps against u/T₀ (phase a). Default 1000. */
  klSteps?: number;
  /** Flow samples per reverse-KL step. Default 256. */
  klBatchSize?: number;
  /** N: flow samples drawn, weighted and resampled at each step down. Default 10 000. */
  bufferSize?: number;
  /** Maximum-likelihood steps on each resampled buffer. Default 200. */
  stepsPerTemperature?: number;
  /** Minibatch of the maximum-likelihood steps. Default 256. */
  batchSize?: number;
  /**
   * A step down whose buffer's Kish ESS fraction falls below this is a collapse: the ladder is too steep there.
   * Default 0.01.
   */
  minEssFraction?: number;
  /** On a collapse: 'stop' (default) throws BoltzflowError('NOT_CONVERGED') naming both temperatures; 'warn' records it and goes on. */
  onEssCollapse?: 'stop' | 'warn';
  /** Called after each buffer is weighted (before its maximum-likelihood steps). */
  onTemperature?: (report: TemperatureStepReport) => void;
}

/** One step down the ladder: the buffer drawn from the flow at `from`, weighted towards `to`. */
export interface TemperatureStepReport {
  /** Temperature the flow was trained for when the buffer was drawn. */
  from: number;
  /** Temperature the buffer was reweighted to and the flow then trained on. */
  to: number;
  /** Kish ESS of the buffer's self-normalised weights, and its fraction of the buffer. */
  ess: number;
  essFraction: number;
  /** log(Z_to / Z_q) estimate LSE(log w) − log N (q normalised): the log partition function of u/T_to. */
  logZ: number;
  /** Energy evaluations (rows) of this buffer. */
  energyEvaluations: number;
  /** Optimiser step after which the buffer was drawn. */
  step: number;
  /** True when essFraction < minEssFraction (only recorded with onEssCollapse 'warn'). */
  collapsed: boolean;
}

/** What {@link trainTemperatureAnnealed} returns: the loop's result plus every temperature's ESS and everything it cost. */
export interface TrainTemperatureAnnealedResult extends TrainResult {
  /**
   * Target-energy evaluations (rows) of the whole run, as in `trainFAB`: the reverse-KL batches (whose gradient was
   * taken as well) and every buffer.
   */
  energyEvaluations: number;
  /** Of those, the rows whose gradient ∇u was taken (the reverse-KL phase; the reweighting steps need u only). */
  gradientEvaluations: number;
  /** The ladder used, T₀ … T_K = 1. */
  temperatures: number[];
  /** One report per step down, in order. */
  temperatureSteps: TemperatureStepReport[];
  /** Kish ESS fraction of the last buffer's weights (towards T = 1). */
  lastEssFraction: number;
  /** Human-readable warnings (ESS collapses under onEssCollapse 'warn'). */
  warnings: string[];
}

/** One weighted buffer: flow samples, their log-weights towards exp(−u/T), and its summary. */
export interface AnnealingBuffer {
  x: tf.Tensor2D;
  /** log w = −u(x)/T − log q(x) (unnormalised, float64). */
  logWeights: Float64Array;
  /** Self-normalised weights w̄ (sum 1). */
  weights: Float64Array;
  ess: number;
  essFraction: number;
  logZ: number;
}

const CHUNK = 8192;

/**
 * Draws `n` samples from `flow` and weights them towards exp(−u(x)/T): log w = −u(x)/T − log q(x), self-normalised
 * in log space by estimators' `importanceWeights`, with the Kish ESS (`kishESS`) and log Z_T (`logPartition`). Costs
 * `n` evaluations of `energy` (values only). Throws BoltzflowError('DIVERGED') on u = −∞ (an energy unbounded below)
 * or a non-finite u or log q.
 */
export function annealingBuffer(flow: Distribution, energy: Energy, temperature: number, n: number, rng: Rng): AnnealingBuffer {
  return runHostReadsSync(annealingBufferReads(flow, energy, temperature, n, rng));
}

/**
 * {@link annealingBuffer} with asynchronous reads (`await data()`): the same ops in the same order, so the same seed
 * gives bit-identical buffers; runs on backends without synchronous reads (WebGPU in Node). Temperature-annealed
 * training draws its buffers with it.
 */
export function annealingBufferAsync(flow: Distribution, energy: Energy, temperature: number, n: number, rng: Rng): Promise<AnnealingBuffer> {
  return runHostReadsAsync(annealingBufferReads(flow, energy, temperature, n, rng));
}

/** The one implementation of {@link annealingBuffer}, pausing at its host reads (log q and u of each chunk). */
function* annealingBufferReads(flow: Distribution, energy: Energy, temperature: number, n: number, rng: Rng): HostReads<AnnealingBuffer> {
  assertPositive(temperature, 'temperature');
  assertInteger(n, 'n', 1);
  const xs: tf.Tensor2D[] = [];
  const logTarget = new Float64Array(n);
  const logQ = new Float64Array(n);
  let joined: tf.Tensor2D | undefined;
  let result: AnnealingBuffer | undefined;
  try {
    for (let s = 0; s < n; s += CHUNK) {
      const m = Math.min(CHUNK, n - s);
      const { x, logProb } = flow.sampleWithLogProb(m, rng);
      xs.push(x);
      let lq: HostValues;
      try {
        lq = yield logProb;
      } finally {
        logProb.dispose();
      }
      const ut = tf.tidy(() => energy.energy(x));
      let u: HostValues;
      try {
        u = yield ut;
      } finally {
        ut.dispose();
      }
      for (let i = 0; i < m; i++) {
        logTarget[s + i] = -u[i] / temperature;
        logQ[s + i] = lq[i];
      }
    }
    joined = xs.length === 1 ? xs[0] : (tf.concat(xs, 0) as tf.Tensor2D);
    yield* checkFinite(joined, logTarget, logQ, energy, temperature);
    const iw = importanceWeights(logTarget, logQ);
    const { ess, fraction } = kishESS(iw.logWeights);
    result = { x: joined, logWeights: iw.logWeights, weights: iw.weights, ess, essFraction: fraction, logZ: logPartition(iw.logWeights).logZ };
    return result;
  } finally {
    // Only the returned x survives: the chunks (unless the one chunk is x) and, on an error, the joined tensor go.
    for (const t of xs) if (t !== result?.x) t.dispose();
    if (!result && joined && !joined.isDisposed) joined.dispose();
  }
}

/** u = −∞ (log target +∞): unbounded below; NaN anywhere: a broken energy or flow. Names the row. */
function* checkFinite(x: tf.Tensor2D, logTarget: Float64Array, logQ: Float64Array, energy: Energy, temperature: number): HostReads<void> {
  let bad = -1;
  for (let i = 0; i < logTarget.length; i++) {
    if (Number.isNaN(logTarget[i]) || logTarget[i] === Infinity || !Number.isFinite(logQ[i])) {
      bad = i;
      break;
    }
  }
  if (bad < 0) return;
  const rowTensor = tf.slice(x, [bad, 0], [1, -1]);
  let row: string[];
  try {
    row = Array.from(yield rowTensor).map((v) => v.toPrecision(4));
  } finally {
    rowTensor.dispose();
  }
  const u = -logTarget[bad] * temperature;
  const unbounded = logTarget[bad] === Infinity;
  throw new BoltzflowError(
    'DIVERGED',
    unbounded
      ? `The energy is unbounded below: a flow sample has u = −∞ (temperature ${temperature})`
      : `A flow sample has a non-finite energy or log-density (temperature ${temperature})`,
    {
      argument: Number.isFinite(logQ[bad]) ? 'energy' : 'flow',
      expected: unbounded ? 'an energy bounded below (a normalisable Boltzmann density)' : 'finite u(x) and log q(x)',
      received: `u = ${u}, log q = ${logQ[bad]} at x = [${row.join(', ')}] (${energy.name ?? 'energy'})`,
    },
  );
}

/** The default ladder: T_k = T₀^(1 − k/K), k = 0 … K (T_K = 1 exactly). */
export function geometricTemperatures(initialTemperature: number, levels: number): number[] {
  assertPositive(initialTemperature, 'initialTemperature');
  assertInteger(levels, 'levels', 1);
  if (!(initialTemperature > 1)) {
    throw new BoltzflowError('INVALID_CONFIG', 'The ladder starts above T = 1', {
      argument: 'initialTemperature',
      expected: '> 1',
      received: String(initialTemperature),
    });
  }
  return Array.from({ length: levels + 1 }, (_, k) => (k === levels ? 1 : initialTemperature ** (1 - k / levels)));
}

function validateLadder(t: unknown): number[] {
  const fail = (received: string): never => {
    throw new BoltzflowError('INVALID_CONFIG', 'temperatures must decrease strictly and end at 1', {
      argument: 'temperatures',
      expected: 'finite T₀ > T₁ > … > T_K = 1, K ≥ 1',
      received,
    });
  };
  if (!Array.isArray(t) || t.length < 2) fail(JSON.stringify(t) ?? String(t));
  const ladder = t as number[];
  for (let i = 0; i < ladder.length; i++) {
    const v = ladder[i];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) fail(`${JSON.stringify(ladder)} (entry ${i} = ${v})`);
    if (i > 0 && !(v < ladder[i - 1])) fail(`${JSON.stringify(ladder)} (T_${i} = ${v} ≥ T_${i - 1} = ${ladder[i - 1]})`);
  }
  if (ladder[ladder.length - 1] !== 1) fail(`${JSON.stringify(ladder)} (last ${ladder[ladder.length - 1]})`);
  return ladder;
}

interface Settings {
  ladder: number[];
  klSteps: number;
  klBatchSize: number;
  bufferSize: number;
  stepsPerTemperature: number;
  batchSize: number;
  minEssFraction: number;
  onEssCollapse: 'stop' | 'warn';
  onTemperature?: (r: TemperatureStepReport) => void;
}

/**
 * Phase (a): the package's mixed objective with the KL term only, against u/T₀. Phase (b): at each step down a
 * buffer from the flow, weighted towards the next temperature and resampled by weight, then the mixed objective with
 * the ML term only on that resampled buffer. One objective for the one optimiser loop.
 */
/** Its buffer is not stored in checkpoints, and a checkpoint without it would mislead: no checkpoints, no resume. */
const TA_RESUME: ResumeLimits = { training: 'Temperature-annealed training', missing: 'its buffer', writesCheckpoints: false };

class TemperatureAnnealedObjective extends NonResumableObjective {
  readonly reports: TemperatureStepReport[] = [];
  readonly warnings: string[] = [];
  gradientEvaluations = 0;
  private current: MixtureObjective;
  private level = 0;
  private buffer?: tf.Tensor2D;

  constructor(
    private readonly flow: Distribution,
    private readonly energy: Energy & { counts: { energy: number; gradient: number } },
    private readonly s: Settings,
  ) {
    super(TA_RESUME);
    this.current = new MixtureObjective(flow, {
      energy: withTemperature(energy, s.ladder[0]),
      klBatchSize: s.klBatchSize,
      weightKL: 1,
      weightML: 0,
      mlBatchSize: 1,
      validationFraction: 0,
    });
  }

  get energyEvaluations(): number {
    return this.energy.counts.energy + this.energy.counts.gradient;
  }

  init(rng: Rng): void {
    this.current.init(rng);
  }

  /** The temperature the flow is trained for at step `step`, and whether a new buffer starts there. */
  private levelAt(step: number): number {
    if (step < this.s.klSteps) return 0;
    return 1 + Math.floor((step - this.s.klSteps) / this.s.stepsPerTemperature);
  }

  /**
   * Draws, weights and resamples the buffer towards T_{level}; the next steps fit the flow to it by ML. Host reads are
   * asynchronous (the buffer's log q and u, then its rows once for the resampling), so this runs on WebGPU in Node.
   */
  private async stepDown(level: number, step: number, rng: Rng): Promise<void> {
    const from = this.s.ladder[level - 1];
    const to = this.s.ladder[level];
    const before = this.energyEvaluations;
    const b = await annealingBufferAsync(this.flow, this.energy, to, this.s.bufferSize, rng);
    let resampled: tf.Tensor2D;
    let values: Float32Array;
    try {
      const report: TemperatureStepReport = {
        from,
        to,
        ess: b.ess,
        essFraction: b.essFraction,
        logZ: b.logZ,
        energyEvaluations: this.energyEvaluations - before,
        step,
        collapsed: b.essFraction < this.s.minEssFraction,
      };
      this.reports.push(report);
      this.s.onTemperature?.(report);
      if (report.collapsed) {
        const what = `Kish ESS fraction ${b.essFraction.toPrecision(3)} (ESS ${b.ess.toFixed(1)} of ${this.s.bufferSize}) reweighting the flow of T = ${fmt(from)} to T = ${fmt(to)}, below minEssFraction ${this.s.minEssFraction}`;
        if (this.s.onEssCollapse === 'stop') {
          throw new BoltzflowError(
            'NOT_CONVERGED',
            `The temperature ladder is too steep between T = ${fmt(from)} and T = ${fmt(to)}: ${what}; the flow keeps its weights for T = ${fmt(from)}`,
            {
              argument: 'temperatures',
              expected: `a ladder with ESS fraction ≥ ${this.s.minEssFraction} per step (more levels, or a lower initialTemperature)`,
              received: `${fmt(from)} → ${fmt(to)}: ESS fraction ${b.essFraction.toPrecision(3)}`,
              from,
              to,
              essFraction: b.essFraction,
              energyEvaluations: this.energyEvaluations,
              gradientEvaluations: this.gradientEvaluations,
              step,
            },
          );
        }
        this.warnings.push(what);
      }
      const idx = multinomialResample(b.weights, rng);
      // The resampled rows are gathered on the host (a copy: the same values as tf.gather), because the ML steps
      // minibatch from a host copy anyway; MixtureObjective then needs no read of its own.
      const d = this.flow.dim;
      const xv = (await b.x.data()) as Float32Array;
      values = new Float32Array(idx.length * d);
      for (let i = 0; i < idx.length; i++) values.set(xv.subarray(idx[i] * d, idx[i] * d + d), i * d);
      resampled = tf.tensor2d(values, [idx.length, d], 'float32');
    } finally {
      b.x.dispose();
    }
    this.current.dispose();
    this.buffer?.dispose();
    this.buffer = resampled;
    this.current = new MixtureObjective(this.flow, {
      data: resampled,
      dataValues: values,
      validationFraction: 0,
      mlBatchSize: this.s.batchSize,
      weightML: 1,
      weightKL: 0,
      klBatchSize: 1,
    });
    this.current.init(rng);
    this.level = level;
  }

  async prepareStep(step: number, totalSteps: number, rng: Rng): Promise<PreparedStep> {
    const level = this.levelAt(step);
    if (level !== this.level) await this.stepDown(level, step, rng);
    const temperature = this.s.ladder[level];
    const prepared = this.current.prepareStep(step, totalSteps, rng);
    if (level === 0) this.gradientEvaluations += this.s.klBatchSize;
    return { loss: prepared.loss, dispose: prepared.dispose, endsEpoch: false, temperature };
  }

  getState(): unknown {
    return { kind: 'temperature-annealed', level: this.level };
  }

  dispose(): void {
    this.current.dispose();
    this.buffer?.dispose();
    this.buffer = undefined;
  }
}

function fmt(t: number): string {
  return Number.isInteger(t) ? String(t) : t.toPrecision(4);
}

/**
 * Temperature-annealed training (TA-BG; Schopmans & Friederich, ICML 2025): trains a flow from the energy alone.
 * (a) Reverse KL against u/T₀ at a high temperature, where it does not drop modes; (b) down a ladder T₀ > … > T_K = 1:
 * at each step a buffer of `bufferSize` flow samples is weighted towards exp(−u/T_{k+1}) (w ∝ exp(−u/T_{k+1})/q,
 * {@link annealingBuffer}), resampled by weight, and the flow fitted to it by maximum likelihood for
 * `stepsPerTemperature` steps — all in the package's one optimiser loop. Reports each step's Kish ESS fraction and
 * stops with BoltzflowError('NOT_CONVERGED') naming the two temperatures when it falls below `minEssFraction`.
 * Every energy evaluation is counted; the rows whose gradient was taken (phase a) separately.
 */
export async function trainTemperatureAnnealed(
  flow: Distribution,
  energy: Energy,
  options: TrainTemperatureAnnealedOptions = {},
): Promise<TrainTemperatureAnnealedResult> {
  checkFlowAndEnergy(flow, energy, true);
  assertNoResume(options, TA_RESUME);
  const ladder =
    options.temperatures !== undefined ? validateLadder(options.temperatures) : geometricTemperatures(options.initialTemperature ?? 8, options.levels ?? 6);
  const klSteps = options.klSteps ?? 1000;
  assertInteger(klSteps, 'klSteps', 1);
  const klBatchSize = options.klBatchSize ?? 256;
  assertInteger(klBatchSize, 'klBatchSize', 1);
  const bufferSize = options.bufferSize ?? 10_000;
  assertInteger(bufferSize, 'bufferSize', 2);
  const stepsPerTemperature = options.stepsPerTemperature ?? 200;
  assertInteger(stepsPerTemperature, 'stepsPerTemperature', 1);
  const batchSize = options.batchSize ?? 256;
  assertInteger(batchSize, 'batchSize', 1);
  const minEssFraction = options.minEssFraction ?? 0.01;
  if (typeof minEssFraction !== 'number' || !(minEssFraction >= 0 && minEssFraction < 1)) {
    throw new BoltzflowError('INVALID_CONFIG', 'minEssFraction must lie in [0, 1)', {
      argument: 'minEssFraction',
      expected: '[0, 1)',
      received: String(minEssFraction),
    });
  }
  const onEssCollapse = options.onEssCollapse ?? 'stop';
  assertOneOf(onEssCollapse, ['stop', 'warn'], 'onEssCollapse', { code: 'INVALID_CONFIG', message: 'Unknown onEssCollapse' });
  const { trainable, nonTrainable } = flowVariables(flow);
  if (trainable.length === 0) {
    throw new BoltzflowError('INVALID_VALUE', 'The flow has no trainable variables', {
      argument: 'flow.trainableVariables',
      expected: 'at least one variable',
    });
  }
  const counted = countingEnergy(energy);
  const objective = new TemperatureAnnealedObjective(flow, counted, {
    ladder,
    klSteps,
    klBatchSize,
    bufferSize,
    stepsPerTemperature,
    batchSize,
    minEssFraction,
    onEssCollapse,
    onTemperature: options.onTemperature,
  });
  const {
    temperatures: _t,
    initialTemperature: _i,
    levels: _l,
    klSteps: _k,
    klBatchSize: _kb,
    bufferSize: _b,
    stepsPerTemperature: _s,
    batchSize: _bs,
    minEssFraction: _m,
    onEssCollapse: _o,
    onTemperature: _ot,
    ...loop
  } = options;
  const steps = klSteps + (ladder.length - 1) * stepsPerTemperature;
  const result = await runObjective(objective, { trainable, nonTrainable, flow }, { steps }, loop);
  const last = objective.reports[objective.reports.length - 1];
  return {
    ...result,
    energyEvaluations: objective.energyEvaluations,
    gradientEvaluations: objective.gradientEvaluations,
    temperatures: ladder,
    temperatureSteps: objective.reports,
    lastEssFraction: last ? last.essFraction : NaN,
    warnings: objective.warnings,
  };
}
