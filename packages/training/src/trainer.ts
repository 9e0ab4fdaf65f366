import * as tf from '@tensorflow/tfjs';
import { assertInteger, assertPositive, BoltzflowError, createRng, Rng, settleDeferredChecks, type Distribution } from '@boltzflow/core';
import { assignCheckpointWeights, checkCheckpointDir, checkRngState, readCheckpoint, restoreOptimizer, saveFlow } from './checkpoint.js';
import { FlatAdamOptimizer } from './flatAdam.js';
import { flowVariables, spectralNormOwners } from './flowParts.js';
import { importanceSummary } from './importanceSampling.js';
import { checkParallelOptions, DataParallelObjective, type DataParallelOptions } from './dataParallel.js';
import { MixtureObjective, type ObjectiveConfig, type StepLoss } from './objective.js';
import { learningRateAt, validateLearningRateSchedule, type LearningRateSchedule } from './schedule.js';

/** One report of the training loop (passed to `onProgress` and kept in `TrainResult.history`). */
export interface TrainingProgress {
  /** Optimizer steps done, counting resumed ones (1-based: the report after the first step has step 1). */
  step: number;
  /** 1-based epoch over the training data that this step belongs to; 0 when there is no data term. */
  epoch: number;
  /** Total loss of this step's batch (w_ML·NLL + w_KL·(KL − log Z)); NaN/±Inf on a skipped step. */
  loss: number;
  /** Mean negative log-likelihood of the ML minibatch. */
  nll?: number;
  /** E_q[u_T + log q] of the KL batch = KL(q‖p_T) − log Z_T. */
  kl?: number;
  /** Held-out mean NLL (at epoch ends, every `validateEvery` steps and at the end). */
  validationNLL?: number;
  /** Kish ESS of the KL batch's importance weights, its fraction of the batch, and the log Z_T estimate. */
  ess?: number;
  essFraction?: number;
  logZ?: number;
  learningRate: number;
  /** Target temperature of this step (KL term only). */
  temperature?: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** True when the loss or gradient was non-finite: no update was applied at this step. */
  skipped: boolean;
  /** Seconds since this call started. */
  seconds: number;
  /** Set when a checkpoint was written after this step. */
  checkpoint?: string;
}

/** Options shared by {@link trainML}, {@link trainKL} and {@link train}. */
export interface CommonTrainOptions {
  /** Learning rate or schedule (see {@link LearningRateSchedule}). Default 1e-3. */
  learningRate?: LearningRateSchedule;
  /** Adam hyper-parameters (tf.train.adam). */
  adam?: { beta1?: number; beta2?: number; epsilon?: number };
  /** Clip gradients to this global L2 norm (off by default). */
  clipGradNorm?: number;
  /**
   * Non-finite guard: a step whose loss or gradient is NaN/±Inf is skipped (reported with `skipped: true`). After this
   * many consecutive skipped steps the weights are restored to the last ones that gave a finite loss and
   * BoltzflowError('DIVERGED') is thrown, naming the step. Default 5.
   */
  maxNonFiniteSteps?: number;
  /** Seed of the run's random stream (ignored when `rng` is given). Default 0. */
  seed?: number;
  /** The run's random stream (advanced by training). */
  rng?: Rng;
  /** Called every `progressEvery` steps, on skipped steps, validation steps and the last step. May be async. */
  onProgress?: (progress: TrainingProgress) => void | Promise<void>;
  /** Default 10. */
  progressEvery?: number;
  /** Write a checkpoint every `every` steps and at the end (see saveFlow); `extra` is stored alongside. */
  checkpoint?: { dir: string; every: number; extra?: unknown };
  /** Continue from a checkpoint written by a run of the same flow architecture (weights, optimizer, RNG, data position). */
  resumeFrom?: string;
  /**
   * Called after every applied update. Independently of it, every object in the flow with an `updateSpectralNorm()`
   * method (spectral-norm MLPs) gets one power iteration after each update unless `updateSpectralNorm` is false.
   */
  afterStep?: (step: number) => void;
  /** Default true. */
  updateSpectralNorm?: boolean;
  /** Compute the held-out NLL every this many steps (besides epoch ends). */
  validateEvery?: number;
}

/** What a training call returns. */
export interface TrainResult {
  /** Optimizer steps done in total (including resumed ones and skipped ones). */
  steps: number;
  /** Completed epochs over the training data (0 without a data term). */
  epochs: number;
  /** Reports, as passed to onProgress. */
  history: TrainingProgress[];
  /** Last finite loss. */
  loss: number;
  /** Last held-out NLL. */
  validationNLL?: number;
  /** Last ESS report of the KL term. */
  ess?: number;
  essFraction?: number;
  /** Steps skipped by the non-finite guard. */
  skippedSteps: number[];
  seconds: number;
}

/** Step budget: explicit `steps`, or `epochs` over the data. */
export interface StepBudget {
  steps?: number;
  epochs?: number;
  defaultSteps?: number;
  defaultEpochs?: number;
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** One step's work, prepared by a {@link TrainingObjective} before the gradient tape runs. */
export interface PreparedStep {
  /** The loss of this step (called inside `tf.variableGrads`); the pieces it returns are owned by the loop. */
  loss(): StepLoss;
  /** True when this step completes an epoch over the training data (triggers validation). */
  endsEpoch: boolean;
  /** Target temperature of this step, when the objective anneals one. */
  temperature?: number;
  /** Frees what prepareStep drew (minibatches, noise). */
  dispose(): void;
  /**
   * When present, the loop takes this step's loss, its pieces and its gradient from here instead of running `loss`
   * under `tf.variableGrads` (data-parallel training sums them over threads). Everything returned is owned by the loop;
   * `grads` maps variable names to gradients (a name absent or null: no gradient reached that variable).
   */
  gradients?(trainable: tf.Variable[]): Promise<StepGradients>;
}

/** What {@link PreparedStep.gradients} returns: the total loss, its gradient, and the pieces of {@link StepLoss}. */
export interface StepGradients {
  value: tf.Scalar;
  grads: tf.NamedTensorMap;
  nll?: tf.Scalar;
  kl?: tf.Scalar;
  logWeights?: tf.Tensor1D;
}

/**
 * What the one optimiser loop minimises: maximum likelihood / reverse KL / mixed (`MixtureObjective`), flow
 * matching, and any later objective (FAB, SNF path KL) implement this, so that Adam, schedules, clipping, the
 * non-finite guard, progress, checkpoints and resume exist once.
 */
export interface TrainingObjective {
  readonly usesData: boolean;
  readonly stepsPerEpoch: number;
  readonly hasValidation: boolean;
  /** 1-based epoch of the next step (0 without data). */
  readonly currentEpoch: number;
  /** Fresh start: draws whatever the objective needs up front (e.g. the train/validation split). May be async. */
  init(rng: Rng): void | Promise<void>;
  /**
   * Draws everything step `step` (0-based) needs from `rng`, in a fixed order, so that runs are reproducible and
   * resumable; the loss closure may draw more (inside the tape). May be async (e.g. FAB reads AIS results with
   * `await data()`, which WebGPU in Node needs).
   */
  prepareStep(step: number, totalSteps: number, rng: Rng): PreparedStep | Promise<PreparedStep>;
  /** Held-out mean NLL, or undefined without a held-out set (may be asynchronous: the loop awaits it). */
  validationNLL(): number | undefined | Promise<number | undefined>;
  /** Serialisable position in the objective's data stream (stored in checkpoints). */
  getState(): unknown;
  /** Restores the position saved by `getState` (resume). */
  setState(state: unknown): void;
  /** Frees what the objective holds. */
  dispose(): void;
}

/** What the loop trains: the variables, and the flow when checkpoints, resume or spectral-norm updates need it. */
export interface TrainingModel {
  trainable: tf.Variable[];
  nonTrainable: tf.Variable[];
  /** The flow whose weights checkpoints store and resume restores. */
  flow?: Distribution;
  /** Object searched for spectral-norm owners after each update (default: `flow`). */
  spectralRoot?: unknown;
}

/**
 * trainML / trainKL / train: the mixed objective on a flow, run by {@link runObjective}.
 */
export async function runTraining(
  flow: Distribution,
  config: ObjectiveConfig,
  budget: StepBudget,
  options: CommonTrainOptions & ParallelTrainOptions,
): Promise<TrainResult> {
  if (!flow || typeof flow.logProb !== 'function' || typeof flow.toConfig !== 'function') {
    throw new BoltzflowError('INVALID_VALUE', 'Expected a flow (Distribution)', {
      argument: 'flow',
      expected: 'Distribution with trainableVariables',
      received: typeof flow,
    });
  }
  const { trainable, nonTrainable } = flowVariables(flow);
  if (trainable.length === 0) {
    throw new BoltzflowError('INVALID_VALUE', 'The flow has no trainable variables', {
      argument: 'flow.trainableVariables',
      expected: 'at least one variable',
    });
  }
  const { parallel, ...loopOptions } = options as CommonTrainOptions & ParallelTrainOptions;
  const mixture = new MixtureObjective(flow, config);
  if (parallel === undefined) return runObjective(mixture, { trainable, nonTrainable, flow }, budget, loopOptions);
  let objective: DataParallelObjective;
  try {
    const p = checkParallelOptions(parallel, flow, mixture.usesEnergy);
    // One thread is the plain loop: nothing to split, no thread to start.
    if (p.workers === 1) return runObjective(mixture, { trainable, nonTrainable, flow }, budget, loopOptions);
    objective = new DataParallelObjective(mixture, { trainable, nonTrainable }, p);
  } catch (e) {
    mixture.dispose();
    throw e;
  }
  try {
    return await runObjective(objective, { trainable, nonTrainable, flow }, budget, loopOptions);
  } finally {
    // Also on DIVERGED and on errors: no worker thread outlives the call.
    await objective.close();
  }
}

/** The `parallel` option of {@link trainML}, {@link trainKL} and {@link train} (see {@link DataParallelOptions}). */
export interface ParallelTrainOptions {
  /**
   * Split each step's batches over `workers` threads (the main one included) and sum their gradients (Node only).
   * The run draws the same batches and gives the same result as a single-thread run, up to float32 summation order.
   */
  parallel?: DataParallelOptions;
}

/**
 * The one optimiser loop: Adam with a learning-rate schedule, global-norm clipping, the non-finite guard with
 * last-good-weight restore, spectral-norm updates, progress reports, checkpoints and resume. Takes ownership of
 * `objective` (disposed at the end).
 */
export async function runObjective(objective: TrainingObjective, model: TrainingModel, budget: StepBudget, options: CommonTrainOptions): Promise<TrainResult> {
  const { trainable, nonTrainable, flow } = model;
  let settings: LoopSettings;
  try {
    if ((options as ParallelTrainOptions).parallel !== undefined) {
      // Only the mixed ML/KL objective knows how to split its batches over threads.
      throw new BoltzflowError('INVALID_CONFIG', 'Data-parallel training (parallel) is available in train, trainKL and trainML only', {
        argument: 'parallel',
        expected: 'unset for this training',
      });
    }
    settings = loopSettings(objective, model, budget, options);
    // A directory that cannot take a checkpoint fails now, not at the first save after many steps.
    if (options.checkpoint) await checkCheckpointDir(options.checkpoint.dir);
  } catch (e) {
    objective.dispose();
    throw e;
  }
  const { schedule, maxNonFinite, progressEvery, totalSteps } = settings;

  const adam = options.adam ?? {};
  // Flat moments: the same arithmetic as tf.train.adam in ≈ 4 kernels per variable instead of ≈ 17 (issue #20).
  let optimizer: tf.Optimizer = new FlatAdamOptimizer(learningRateAt(schedule, 0, totalSteps), adam.beta1 ?? 0.9, adam.beta2 ?? 0.999, adam.epsilon);
  let rng = options.rng ?? createRng(options.seed ?? 0);
  let step = 0;
  const snapshot = [...trainable, ...nonTrainable].map((v) => tf.variable(v, false));
  const started = performance.now();
  const history: TrainingProgress[] = [];
  const skippedSteps: number[] = [];
  let lastLoss = NaN;
  let lastValidation: number | undefined;
  let lastEss: { ess?: number; essFraction?: number } = {};
  let lastGoodStep = 0;

  try {
    if (options.resumeFrom && flow) {
      const data = await readCheckpoint(options.resumeFrom);
      if (data.step >= totalSteps) {
        throw new BoltzflowError('INVALID_CONFIG', `The checkpoint to resume from is already at step ${data.step}; the step budget must exceed it`, {
          argument: 'steps',
          expected: `> ${data.step} (steps or epochs × steps per epoch)`,
          received: String(totalSteps),
        });
      }
      if (canonicalJson(data.config) !== canonicalJson(flow.toConfig())) {
        throw new BoltzflowError('CHECKPOINT', 'Checkpoint architecture differs from the flow being trained', {
          argument: 'resumeFrom',
          expected: String(flow.toConfig().type),
          received: String(data.config.type),
        });
      }
      // Everything is validated (optimizer slots, training state, weight shapes) before the flow is written.
      const restored = await restoreOptimizer(data, trainable);
      try {
        const training = (data.extra as { training?: unknown } | null)?.training;
        if (training && typeof training === 'object') {
          for (const k of ['splitState', 'permState'] as const) {
            const st = (training as Record<string, unknown>)[k];
            if (st !== null && st !== undefined) checkRngState(st, `extra.training.${k}`);
          }
        }
        objective.setState(training);
        assignCheckpointWeights(flow, data);
      } catch (e) {
        restored?.dispose();
        throw e;
      }
      if (restored) {
        optimizer.dispose();
        optimizer = restored;
        // (tfjs's Optimizer overrides instanceof to duck typing, so the class is told by name and constructor.)
        if (restored.getClassName() === 'Adam' && restored.constructor !== FlatAdamOptimizer) {
          optimizer = await FlatAdamOptimizer.fromAdam(restored as tf.AdamOptimizer);
          restored.dispose();
        }
      }
      if (data.rng) rng = Rng.fromState(data.rng);
      step = data.step;
      lastGoodStep = step;
    } else {
      await objective.init(rng);
    }
    // Finiteness checks of the data that a backend without synchronous reads (WebGPU in Node) deferred.
    await settleDeferredChecks();
    const takeSnapshot = (): void => {
      [...trainable, ...nonTrainable].forEach((v, i) => snapshot[i].assign(v));
    };
    const restoreSnapshot = (): void => {
      [...trainable, ...nonTrainable].forEach((v, i) => v.assign(snapshot[i]));
    };
    takeSnapshot();
    const spectralRoot = model.spectralRoot ?? flow;
    const spectral = options.updateSpectralNorm === false || spectralRoot === undefined ? [] : spectralNormOwners(spectralRoot);
    let consecutiveBad = 0;
    const report = async (p: TrainingProgress): Promise<void> => {
      history.push(p);
      if (options.onProgress) await options.onProgress(p);
    };

    while (step < totalSteps) {
      const lr = learningRateAt(schedule, step, totalSteps);
      // tfjs optimizers read `learningRate` on every applyGradients; it is a protected field, hence the cast.
      (optimizer as unknown as { learningRate: number }).learningRate = lr;
      const epochOfStep = objective.currentEpoch;
      const prepared = await objective.prepareStep(step, totalSteps, rng);
      const { endsEpoch, temperature } = prepared;
      let kept: { nll?: tf.Scalar; kl?: tf.Scalar; logWeights?: tf.Tensor1D } = {};
      let value: tf.Scalar;
      let grads: tf.NamedTensorMap;
      try {
        if (prepared.gradients) {
          let nll: tf.Scalar | undefined;
          let kl: tf.Scalar | undefined;
          let logWeights: tf.Tensor1D | undefined;
          ({ value, grads, nll, kl, logWeights } = await prepared.gradients(trainable));
          kept = { nll, kl, logWeights };
        } else {
          ({ value, grads } = tf.variableGrads(() => {
            const out = prepared.loss();
            kept = { nll: out.nll && tf.keep(out.nll), kl: out.kl && tf.keep(out.kl), logWeights: out.logWeights && tf.keep(out.logWeights) };
            return out.loss;
          }, trainable));
        }
      } finally {
        prepared.dispose();
      }
      const gradList = trainable.map((v) => grads[v.name] ?? null);
      const stats = tf.tidy(() => {
        const sq = gradList.filter((g): g is tf.Tensor => g !== null).map((g) => tf.sum(tf.square(g)));
        const norm = sq.length > 0 ? tf.sqrt(tf.addN(sq)) : tf.scalar(0);
        return tf.stack([value, norm, kept.nll ?? tf.scalar(NaN), kept.kl ?? tf.scalar(NaN)]);
      });
      // One asynchronous read per step (the non-finite guard and clipping decide before the update): works on every
      // backend, WebGPU in Node included, and gives the same values as dataSync.
      let statValues: Float32Array;
      try {
        statValues = (await stats.data()) as Float32Array;
      } finally {
        stats.dispose();
      }
      const [loss, gradNorm, nll, kl] = Array.from(statValues);
      step++;
      const finite = Number.isFinite(loss) && Number.isFinite(gradNorm);
      let progress: TrainingProgress = {
        step,
        epoch: epochOfStep,
        loss,
        ...(kept.nll ? { nll } : {}),
        ...(kept.kl ? { kl } : {}),
        learningRate: lr,
        ...(temperature !== undefined ? { temperature } : {}),
        gradNorm,
        skipped: !finite,
        seconds: 0,
      };
      const shouldReport = !finite || step % progressEvery === 0 || step === totalSteps || endsEpoch;
      if (shouldReport && kept.logWeights) {
        const s = importanceSummary(await kept.logWeights.data());
        progress = { ...progress, ess: s.ess, essFraction: s.essFraction, logZ: s.logZ };
        lastEss = { ess: s.ess, essFraction: s.essFraction };
      }
      tf.dispose(([value, kept.nll, kept.kl, kept.logWeights] as Array<tf.Tensor | undefined>).filter((t): t is tf.Tensor => t !== undefined));

      if (!finite) {
        tf.dispose(gradList.filter((g): g is tf.Tensor => g !== null));
        consecutiveBad++;
        skippedSteps.push(step);
        progress.seconds = (performance.now() - started) / 1000;
        await report(progress);
        if (consecutiveBad >= maxNonFinite) {
          restoreSnapshot();
          // Name what was non-finite at the last step: the loss, or (with a finite loss) the gradient.
          const what = Number.isFinite(loss) ? 'gradient' : 'loss';
          const received = what === 'loss' ? `loss ${loss}` : `gradient norm ${gradNorm} (loss ${loss})`;
          throw new BoltzflowError(
            'DIVERGED',
            `Training diverged at step ${step}: ${consecutiveBad} consecutive steps with a non-finite loss or gradient, the last one a non-finite ${what} (${received}); weights restored to the last finite-loss state (before the update of step ${lastGoodStep})` +
              (options.checkpoint ? `; the last checkpoint in ${options.checkpoint.dir} is untouched` : ''),
            { argument: what, expected: 'finite', received, step, lastGoodStep, skippedSteps: [...skippedSteps] },
          );
        }
        continue;
      }
      consecutiveBad = 0;
      lastLoss = loss;
      lastGoodStep = step;
      takeSnapshot();
      const scale = options.clipGradNorm !== undefined && gradNorm > options.clipGradNorm ? options.clipGradNorm / gradNorm : 1;
      const named = trainable.map((v, i) => {
        const g = gradList[i];
        return { name: v.name, tensor: (g === null ? null : scale === 1 ? g : tf.mul(g, scale)) as tf.Tensor };
      });
      optimizer.applyGradients(named);
      tf.dispose(gradList.filter((g): g is tf.Tensor => g !== null));
      if (scale !== 1) tf.dispose(named.map((n) => n.tensor).filter((t) => t !== null));
      for (const o of spectral) o.updateSpectralNorm();
      options.afterStep?.(step);

      const validate =
        objective.hasValidation && (endsEpoch || step === totalSteps || (options.validateEvery !== undefined && step % options.validateEvery === 0));
      if (validate) {
        lastValidation = await objective.validationNLL();
        progress.validationNLL = lastValidation;
      }
      if (options.checkpoint && flow && (step % options.checkpoint.every === 0 || step === totalSteps)) {
        if (await allVariablesFinite([...trainable, ...nonTrainable])) {
          await saveFlow(flow, options.checkpoint.dir, {
            optimizer,
            rng,
            step,
            extra: { training: objective.getState(), user: options.checkpoint.extra ?? null },
          });
          progress.checkpoint = options.checkpoint.dir;
        }
      }
      if (shouldReport || validate || progress.checkpoint) {
        progress.seconds = (performance.now() - started) / 1000;
        await report(progress);
      }
    }
  } finally {
    optimizer.dispose();
    tf.dispose(snapshot);
    objective.dispose();
  }
  return {
    steps: step,
    epochs: objective.usesData && objective.stepsPerEpoch > 0 ? Math.floor(step / objective.stepsPerEpoch) : 0,
    history,
    loss: lastLoss,
    validationNLL: lastValidation,
    ...lastEss,
    skippedSteps,
    seconds: (performance.now() - started) / 1000,
  };
}

interface LoopSettings {
  schedule: LearningRateSchedule;
  maxNonFinite: number;
  progressEvery: number;
  totalSteps: number;
}

/** Validates the loop's options before anything is allocated; the step budget comes from steps or epochs. */
function loopSettings(objective: TrainingObjective, model: TrainingModel, budget: StepBudget, options: CommonTrainOptions): LoopSettings {
  const schedule = options.learningRate ?? 1e-3;
  validateLearningRateSchedule(schedule);
  if (options.clipGradNorm !== undefined) assertPositive(options.clipGradNorm, 'clipGradNorm');
  const maxNonFinite = options.maxNonFiniteSteps ?? 5;
  assertInteger(maxNonFinite, 'maxNonFiniteSteps', 1);
  const progressEvery = options.progressEvery ?? 10;
  assertInteger(progressEvery, 'progressEvery', 1);
  if (options.validateEvery !== undefined) assertInteger(options.validateEvery, 'validateEvery', 1);
  if (options.checkpoint) {
    if (typeof options.checkpoint.dir !== 'string' || options.checkpoint.dir === '') {
      throw new BoltzflowError('INVALID_CONFIG', 'checkpoint.dir must be a path', { argument: 'checkpoint.dir', received: String(options.checkpoint.dir) });
    }
    assertInteger(options.checkpoint.every, 'checkpoint.every', 1);
  }
  if ((options.checkpoint || options.resumeFrom) && !model.flow) {
    throw new BoltzflowError('INVALID_CONFIG', 'Checkpoints need a flow (Distribution) to save and restore', {
      argument: options.checkpoint ? 'checkpoint' : 'resumeFrom',
      expected: 'unset for this objective',
    });
  }
  let totalSteps: number;
  if (budget.steps !== undefined) {
    assertInteger(budget.steps, 'steps', 1);
    totalSteps = budget.steps;
  } else if (objective.usesData) {
    const epochs = budget.epochs ?? budget.defaultEpochs ?? 10;
    assertInteger(epochs, 'epochs', 1);
    totalSteps = epochs * objective.stepsPerEpoch;
  } else {
    totalSteps = budget.defaultSteps ?? 1000;
  }
  return { schedule, maxNonFinite, progressEvery, totalSteps };
}

async function allVariablesFinite(vars: tf.Variable[]): Promise<boolean> {
  const ok = tf.tidy(() => tf.stack(vars.map((v) => tf.all(tf.isFinite(v)).cast('float32'))).min());
  try {
    return (await ok.data())[0] === 1;
  } finally {
    ok.dispose();
  }
}
