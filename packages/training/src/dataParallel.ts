import * as tf from '@tensorflow/tfjs';
import { assertInteger, BoltzflowError, isBoltzflowError, type BoltzflowErrorCode, type Distribution, type Energy, type Rng } from '@boltzflow/core';
import { moduleUrl, startThread } from '#platform';
import { hasBaseAndBijector } from './flowParts.js';
import { shareLoss, type MixtureObjective } from './objective.js';
import type { TrainingThread } from './threads.js';
import type { PreparedStep, StepGradients, TrainingObjective } from './trainer.js';

/**
 * Data-parallel training (Node only): each step's batches are split into contiguous shares, one per thread, and the
 * gradients of the shares are summed, so that `workers` cores compute one step together (issue #20).
 */
export interface DataParallelOptions {
  /** Threads computing gradient shares, the main thread included (2 on a 2-core machine = main + 1 worker thread). */
  workers: number;
  /**
   * Module (a path or a file URL) whose export `energyExport` builds the target energy in each worker thread, as
   * `await module[energyExport](energyArgs)`. An Energy holds functions and cannot cross threads. Needed when the
   * loss has a reverse-KL term.
   */
  energyModule?: string;
  /** Default `'default'`. */
  energyExport?: string;
  /** Argument of the energy factory (structured-cloneable: plain data). */
  energyArgs?: unknown;
}

/** Most threads one training call starts. */
const MAX_WORKERS = 256;

/** What a worker thread is started with (its workerData). */
export interface WorkerSetup {
  backend: string;
  flowConfig: ReturnType<Distribution['toConfig']>;
  /** Shapes of the flow's trainable then non-trainable variables, in flowVariables order. */
  shapes: number[][];
  nTrainable: number;
  weights: { ml: number; kl: number };
  energy?: { module: string; export: string; args: unknown };
}

/** One step's request to a worker thread. */
export interface WorkerStep {
  type: 'step';
  /** All variable values (trainable then non-trainable), flattened in order. */
  weights: Float32Array;
  ml?: Float32Array;
  mlRows: number;
  z?: Float32Array;
  klRows: number;
  temperature?: number;
}

/** A worker thread's answer to a step. */
export interface WorkerShare {
  type: 'share';
  /** Gradient of the share's loss w.r.t. the trainable variables, flattened in order (0 where `present` is 0). */
  grad: Float32Array;
  /** 1 where a gradient reached the variable. */
  present: Uint8Array;
  loss: number;
  nll: number;
  kl: number;
  logWeights?: Float32Array;
  /** Tensors the thread held when the step arrived. */
  tensors: number;
}

/** A worker thread's report of a failure. */
export interface WorkerFailure {
  type: 'error';
  message: string;
  code?: BoltzflowErrorCode;
  argument?: string;
}

/**
 * Checks `parallel` before anything starts: an integer `workers` ≥ 1, and for a loss with a reverse-KL term the
 * energy module (the flow must then have the base and bijector that given base draws are pushed through).
 */
export function checkParallelOptions(parallel: unknown, flow: Distribution, usesEnergy: boolean): DataParallelOptions {
  if (!parallel || typeof parallel !== 'object') {
    throw new BoltzflowError('INVALID_CONFIG', 'parallel must be an object', {
      argument: 'parallel',
      expected: '{ workers, energyModule?, energyExport?, energyArgs? }',
      received: String(parallel),
    });
  }
  const p = parallel as DataParallelOptions;
  assertInteger(p.workers, 'parallel.workers', 1, MAX_WORKERS);
  if (p.energyModule !== undefined && (typeof p.energyModule !== 'string' || p.energyModule === '')) {
    throw new BoltzflowError('INVALID_CONFIG', 'parallel.energyModule must be a module path or URL', {
      argument: 'parallel.energyModule',
      expected: 'non-empty string',
      received: String(p.energyModule),
    });
  }
  if (p.energyExport !== undefined && (typeof p.energyExport !== 'string' || p.energyExport === '')) {
    throw new BoltzflowError('INVALID_CONFIG', 'parallel.energyExport must name an export', {
      argument: 'parallel.energyExport',
      expected: 'non-empty string',
      received: String(p.energyExport),
    });
  }
  if (usesEnergy) {
    if (p.energyModule === undefined) {
      throw new BoltzflowError(
        'INVALID_CONFIG',
        'Data-parallel training with a reverse-KL term needs parallel.energyModule: worker threads rebuild the energy from it',
        {
          argument: 'parallel.energyModule',
          expected: 'path or file URL of a module whose export builds the energy',
          received: 'undefined',
        },
      );
    }
    if (!hasBaseAndBijector(flow)) {
      throw new BoltzflowError(
        'INVALID_CONFIG',
        'Data-parallel reverse-KL training pushes base draws through the flow: it needs a flow with base and bijector',
        {
          argument: 'flow',
          expected: 'a flow with base and bijector (TransformedDistribution)',
          received: String(flow.toConfig().type),
        },
      );
    }
  }
  return p;
}

/** Contiguous shares of `n` rows over `k` threads, the first ones one row longer: [start, end) per thread. */
function shares(n: number, k: number): Array<[number, number]> {
  const base = Math.floor(n / k);
  const extra = n % k;
  const out: Array<[number, number]> = [];
  let start = 0;
  for (let i = 0; i < k; i++) {
    const len = base + (i < extra ? 1 : 0);
    out.push([start, start + len]);
    start += len;
  }
  return out;
}

/** The parent's side of one worker thread: one request in flight at a time, failures as BoltzflowErrors. */
class ThreadChannel {
  private pending?: { resolve: (m: unknown) => void; reject: (e: Error) => void };
  private failure?: Error;

  constructor(
    readonly thread: TrainingThread,
    readonly index: number,
  ) {
    thread.on('message', (m) => {
      const p = this.pending;
      this.pending = undefined;
      if (!p) return;
      const f = m as WorkerFailure;
      if (f && f.type === 'error') p.reject(this.error(f.message, f.code, f.argument));
      else p.resolve(m);
    });
    thread.on('error', (e) => this.fail(this.error(`${e?.message ?? e}`)));
    thread.on('exit', (code) => this.fail(this.error(`the thread exited (code ${code})`)));
  }

  private error(message: string, code: BoltzflowErrorCode = 'BACKEND_UNAVAILABLE', argument = 'parallel'): BoltzflowError {
    return new BoltzflowError(code, `Data-parallel worker thread ${this.index} failed: ${message}`, { argument });
  }

  private fail(e: Error): void {
    this.failure ??= e;
    const p = this.pending;
    this.pending = undefined;
    p?.reject(this.failure);
  }

  /** The thread's next message (its ready report, or the answer to `message` when given). */
  request<T>(message?: unknown): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      this.pending = { resolve: resolve as (m: unknown) => void, reject };
      if (message !== undefined) {
        try {
          this.thread.postMessage(message);
        } catch (e) {
          this.pending = undefined;
          reject(this.error(`posting the step failed: ${(e as Error).message}`));
        }
      }
    });
  }
}

/** Where the worker script lies: next to this module, as TypeScript under the sources (tests, benches) or as built JavaScript. */
function workerScript(): { url: string; typescript: boolean } {
  const typescript = import.meta.url.endsWith('.ts');
  // A variable, not a literal, so that bundlers do not try to bundle the Node-only worker for the browser.
  const file = typescript ? './dataParallelWorker.ts' : './dataParallelWorker.js';
  return { url: new URL(file, import.meta.url).href, typescript };
}

/** Worker threads that compute gradient shares; started once per training call, closed in its `finally`. */
export class GradientPool {
  private closed = false;
  /** Tensors each worker thread held at the start of its last step (flat across steps: no leak in the threads). */
  workerTensors: number[] = [];

  private constructor(
    private readonly channels: ThreadChannel[],
    private readonly vars: { trainable: tf.Variable[]; nonTrainable: tf.Variable[] },
  ) {}

  /** Starts `workers − 1` threads and waits until each has rebuilt the flow and the energy. */
  static async start(
    flow: Distribution,
    vars: { trainable: tf.Variable[]; nonTrainable: tf.Variable[] },
    options: DataParallelOptions,
    weights: { ml: number; kl: number },
  ): Promise<GradientPool> {
    const all = [...vars.trainable, ...vars.nonTrainable];
    const setup: WorkerSetup = {
      backend: tf.getBackend(),
      flowConfig: flow.toConfig(),
      shapes: all.map((v) => [...v.shape]),
      nTrainable: vars.trainable.length,
      weights,
      ...(weights.kl > 0 && options.energyModule !== undefined
        ? { energy: { module: moduleUrl(options.energyModule), export: options.energyExport ?? 'default', args: options.energyArgs } }
        : {}),
    };
    const script = workerScript();
    const typescript = script.typescript || /\.[cm]?tsx?$/.test(options.energyModule ?? '');
    const channels: ThreadChannel[] = [];
    const pool = new GradientPool(channels, vars);
    try {
      for (let i = 1; i < options.workers; i++) {
        let thread: TrainingThread;
        try {
          thread = startThread(script.url, setup, typescript);
        } catch (e) {
          if (isBoltzflowError(e)) throw e;
          // Structured cloning of workerData fails first on energyArgs (the rest is plain data).
          throw new BoltzflowError('INVALID_CONFIG', `Could not start data-parallel worker thread ${i}: ${(e as Error).message}`, {
            argument: 'parallel.energyArgs',
            expected: 'structured-cloneable data',
            received: (e as Error).message,
          });
        }
        channels.push(new ThreadChannel(thread, i));
      }
      await Promise.all(channels.map((c) => c.request<{ type: 'ready' }>()));
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  /** Terminates the threads (idempotent). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.channels.map((c) => c.thread.terminate().catch(() => 0)));
  }

  /**
   * The step's total loss and gradient: thread 0 (this one) takes the first share of the ML rows and of the base draws,
   * worker thread i the (i+1)-th; the threads' share-weighted losses and gradients are summed here.
   */
  async gradients(
    flow: Distribution,
    step: { batch?: tf.Tensor2D; batchValues?: Float32Array; z?: tf.Tensor2D; zValues?: Float32Array; energy?: Energy; temperature?: number },
    weights: { ml: number; kl: number },
  ): Promise<StepGradients> {
    const { trainable, nonTrainable } = this.vars;
    const k = this.channels.length + 1;
    const dim = flow.dim;
    const mlRows = step.batch ? step.batch.shape[0] : 0;
    const klRows = step.z ? step.z.shape[0] : 0;
    const mlShares = shares(mlRows, k);
    const klShares = shares(klRows, k);
    const flat = tf.tidy(() => tf.concat([...trainable, ...nonTrainable].map((v) => tf.reshape(v, [-1]))));
    let values: Float32Array;
    try {
      values = (await flat.data()) as Float32Array;
    } finally {
      flat.dispose();
    }
    // Post every worker's share first, so that they run while this thread computes its own.
    const answers = this.channels.map((c, j) => {
      const [m0, m1] = mlShares[j + 1];
      const [z0, z1] = klShares[j + 1];
      if (m1 === m0 && z1 === z0) return Promise.resolve(undefined);
      const msg: WorkerStep = {
        type: 'step',
        weights: values,
        ...(m1 > m0 ? { ml: step.batchValues!.slice(m0 * dim, m1 * dim) } : {}),
        mlRows,
        ...(z1 > z0 ? { z: step.zValues!.slice(z0 * dim, z1 * dim) } : {}),
        klRows,
        ...(step.temperature !== undefined ? { temperature: step.temperature } : {}),
      };
      return c.request<WorkerShare>(msg);
    });
    // Keep the rejections of threads that fail while this one computes from going unhandled.
    for (const a of answers) a.catch(() => undefined);

    const [, m1] = mlShares[0];
    const [, z1] = klShares[0];
    let kept: { nll?: tf.Scalar; kl?: tf.Scalar; logWeights?: tf.Tensor1D } = {};
    const own = tf.variableGrads(() => {
      const batch = step.batch && m1 > 0 ? (tf.slice(step.batch, [0, 0], [m1, dim]) as tf.Tensor2D) : undefined;
      const z = step.z && z1 > 0 ? (tf.slice(step.z, [0, 0], [z1, dim]) as tf.Tensor2D) : undefined;
      const out = shareLoss(flow, step.energy, weights, { batch, mlRows, z, klRows });
      kept = { nll: out.nll && tf.keep(out.nll), kl: out.kl && tf.keep(out.kl), logWeights: out.logWeights && tf.keep(out.logWeights) };
      return out.loss;
    }, trainable);
    let others: Array<WorkerShare | undefined>;
    try {
      others = await Promise.all(answers);
    } catch (e) {
      tf.dispose([own.value, ...Object.values(own.grads).filter((g) => g != null)]);
      tf.dispose([kept.nll, kept.kl, kept.logWeights].filter((t) => t !== undefined) as tf.Tensor[]);
      throw e;
    }
    const got = others.filter((o): o is WorkerShare => o !== undefined);
    this.workerTensors = got.map((o) => o.tensors);
    const sizes = trainable.map((v) => v.size);
    const present = trainable.map((v, i) => own.grads[v.name] != null || got.some((o) => o.present[i] === 1));
    const result = tf.tidy(() => {
      const mine = tf.concat(trainable.map((v) => tf.reshape(own.grads[v.name] ?? tf.zeros(v.shape), [-1])));
      const total = got.length > 0 ? tf.addN([mine, ...got.map((o) => tf.tensor1d(o.grad, 'float32'))]) : mine;
      const parts = tf.split(total, sizes);
      const grads: tf.NamedTensorMap = {};
      trainable.forEach((v, i) => {
        if (present[i]) grads[v.name] = tf.reshape(parts[i], v.shape);
      });
      const sum = (own: tf.Scalar | undefined, pick: (o: WorkerShare) => number): tf.Scalar =>
        got.reduce<tf.Scalar>((acc, o) => tf.add(acc, pick(o)) as tf.Scalar, own ? own.clone() : tf.scalar(0));
      const lw = [kept.logWeights, ...got.map((o) => (o.logWeights ? tf.tensor1d(o.logWeights, 'float32') : undefined))].filter(
        (t): t is tf.Tensor1D => t !== undefined,
      );
      return {
        grads,
        value: sum(own.value, (o) => o.loss),
        ...(weights.ml > 0 && mlRows > 0 ? { nll: sum(kept.nll, (o) => o.nll) } : {}),
        ...(weights.kl > 0 && klRows > 0
          ? { kl: sum(kept.kl, (o) => o.kl), logWeights: (lw.length === 1 ? lw[0].clone() : tf.concat(lw)) as tf.Tensor1D }
          : {}),
      };
    });
    tf.dispose([own.value, ...Object.values(own.grads).filter((g) => g != null)]);
    tf.dispose([kept.nll, kept.kl, kept.logWeights].filter((t) => t !== undefined) as tf.Tensor[]);
    return result;
  }
}

/**
 * {@link MixtureObjective} with its gradient computed over threads: the main thread draws each step's ML rows and KL
 * base draws from the run's Rng exactly as the single-thread objective does, so the run does not depend on `workers`.
 */
export class DataParallelObjective implements TrainingObjective {
  /** The worker threads (from the first step until close). */
  pool?: GradientPool;
  private closing?: Promise<void>;

  constructor(
    private readonly inner: MixtureObjective,
    private readonly vars: { trainable: tf.Variable[]; nonTrainable: tf.Variable[] },
    private readonly options: DataParallelOptions,
  ) {}

  get usesData(): boolean {
    return this.inner.usesData;
  }
  get stepsPerEpoch(): number {
    return this.inner.stepsPerEpoch;
  }
  get hasValidation(): boolean {
    return this.inner.hasValidation;
  }
  get currentEpoch(): number {
    return this.inner.currentEpoch;
  }
  init(rng: Rng): void {
    this.inner.init(rng);
  }
  getState(): unknown {
    return this.inner.getState();
  }
  setState(state: unknown): void {
    this.inner.setState(state);
  }
  validationNLL(): Promise<number | undefined> {
    return this.inner.validationNLL();
  }

  async prepareStep(step: number, totalSteps: number, rng: Rng): Promise<PreparedStep> {
    const { flow, config } = this.inner;
    const weights = { ml: config.weightML, kl: config.weightKL };
    // Started at the first step (also after a resume, which skips init), so a failed argument check starts nothing.
    if (this.closing) throw new BoltzflowError('INVALID_CONFIG', 'This data-parallel objective is closed', { argument: 'parallel' });
    this.pool ??= await GradientPool.start(flow, this.vars, this.options, weights);
    const pool = this.pool;
    // The same draws in the same order as MixtureObjective.prepareStep then .loss: the minibatch, then z.
    const { batch, values: batchValues, endsEpoch } = this.inner.nextBatch(rng);
    const { energy, temperature } = this.inner.energyAt(step, totalSteps);
    const z = energy ? ((flow as { base?: Distribution }).base!.sample(config.klBatchSize, rng) as tf.Tensor2D) : undefined;
    const zValues = z ? ((await z.data()) as Float32Array) : undefined;
    const parts = { batch, batchValues, z, zValues, energy, temperature };
    return {
      endsEpoch,
      ...(temperature !== undefined ? { temperature } : {}),
      loss: () => shareLoss(flow, energy, weights, { batch, mlRows: batch?.shape[0] ?? 0, z, klRows: z?.shape[0] ?? 0 }),
      gradients: () => pool.gradients(flow, parts, weights),
      dispose: () => tf.dispose([batch, z].filter((t): t is tf.Tensor2D => t !== undefined)),
    };
  }

  /** Terminates the worker threads (idempotent). */
  close(): Promise<void> {
    this.closing ??= this.pool ? this.pool.close() : Promise.resolve();
    return this.closing;
  }

  dispose(): void {
    // The loop's finally calls this synchronously; runTraining also awaits close().
    void this.close();
    this.inner.dispose();
  }
}
