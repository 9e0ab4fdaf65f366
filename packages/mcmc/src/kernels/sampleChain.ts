import * as tf from '@tensorflow/tfjs';
import { assertInteger, BoltzflowError, runHostReadsAsync, runHostReadsSync, type ChainState, type HostReads, type Kernel, type Rng } from '@boltzflow/core';
import { captureChainCheckpointReads, type ChainCheckpoint } from '../chainCheckpoint.js';

/**
 * Kept draws as one Float32Array in row-major `[kept, chains, k]` order (k = dim, or the number of traced observables).
 * Host memory, not tensors: thousands of steps do not pile up tensors, and estimators read plain arrays.
 */
export interface SampleArray {
  readonly data: Float32Array;
  readonly shape: [number, number, number];
  /** Value of draw `i`, chain `c`, coordinate `j`. */
  get(i: number, c: number, j: number): number;
  /** The series of one chain and coordinate, length `kept`. */
  series(c: number, j: number): Float64Array;
  /** A fresh `[kept, chains, k]` tensor owned by the caller. */
  toTensor(): tf.Tensor3D;
}

/** Wraps a `[kept, chains, k]` Float32Array. */
export function sampleArray(data: Float32Array, shape: [number, number, number]): SampleArray {
  const [kept, chains, k] = shape;
  if (data.length !== kept * chains * k) {
    throw new BoltzflowError('INVALID_SHAPE', 'Sample buffer does not match its shape', {
      argument: 'data',
      expected: `length ${kept * chains * k}`,
      received: `length ${data.length}`,
    });
  }
  return {
    data,
    shape,
    get: (i, c, j) => data[(i * chains + c) * k + j],
    series(c, j) {
      const out = new Float64Array(kept);
      for (let i = 0; i < kept; i++) out[i] = data[(i * chains + c) * k + j];
      return out;
    },
    toTensor: () => tf.tensor3d(data, shape, 'float32'),
  };
}

/** Progress reported by {@link sampleChain} to `onProgress`. */
export interface SampleChainProgress {
  /** Steps done so far (burn-in included). */
  step: number;
  total: number;
  phase: 'burnIn' | 'sampling';
}

/** Options of {@link sampleChain}. */
export interface SampleChainOptions {
  /** Steps after burn-in (0 allowed: a burn-in-only run, no samples). */
  steps: number;
  /** Steps discarded first (default 0). */
  burnIn?: number;
  /** Keep every `thin`-th post-burn-in step (default 1); kept = floor(steps / thin). */
  thin?: number;
  rng: Rng;
  /** Called every `progressEvery` steps (default 100) and at the end. */
  onProgress?: (p: SampleChainProgress) => void;
  progressEvery?: number;
  /** Store only these observables `[chains, k]` of the positions instead of the positions (bounds memory). */
  trace?: (x: tf.Tensor2D) => tf.Tensor2D;
  /** Hands the full run state to `onCheckpoint` every `checkpointEvery` steps (see resumeChain). */
  checkpointEvery?: number;
  /** Receives the chain's full state every `checkpointEvery` steps (see `saveChainCheckpoint`). */
  onCheckpoint?: (checkpoint: ChainCheckpoint) => void;
  /** Set by resumeChain: continue from this checkpoint's counters and samples (the state is passed as x0). */
  resumeFrom?: ChainCheckpoint;
}

/** What {@link sampleChain} returns. */
export interface SampleChainResult<S extends ChainState> {
  /** `[kept, chains, dim]` positions, or `[kept, chains, k]` traced observables. */
  samples: SampleArray;
  /**
   * Fraction of accepted post-burn-in steps, per chain. With `steps: 0` (a burn-in-only run) it is the fraction over
   * the burn-in steps, and 0 when no step was run at all: never NaN.
   */
  acceptanceRate: number[];
  /** Mean of {@link acceptanceRate}. */
  overallAcceptanceRate: number;
  /** Energy evaluations of the whole run (init, burn-in and sampling), summed over chains. */
  energyEvaluations: number;
  /** Last state, owned by the caller (dispose with `disposeTree`). */
  finalState: S;
  wallSeconds: number;
}

function isState(v: unknown): v is ChainState {
  return typeof v === 'object' && v !== null && !(v instanceof tf.Tensor) && (v as ChainState).x instanceof tf.Tensor;
}

function collectTensors(value: unknown, out: Set<tf.Tensor>): Set<tf.Tensor> {
  if (value instanceof tf.Tensor) out.add(value);
  else if (Array.isArray(value)) for (const v of value) collectTensors(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) collectTensors(v, out);
  return out;
}

/** Disposes the tensors of `old` that `next` does not reuse (kernels may pass tensors through unchanged). */
export function disposeStateExcept(old: unknown, next: unknown): void {
  const keep = collectTensors(next, new Set());
  for (const t of collectTensors(old, new Set())) if (!keep.has(t) && !(t instanceof tf.Variable) && !t.isDisposed) t.dispose();
}

const FLUSH_EVERY = 64;

/**
 * Runs `kernel` for `burnIn + steps` steps from `x0` (a `[chains, dim]` batch, or a state such as
 * `adaptStepSize(...).state`, which is left to the caller) and collects every `thin`-th post-burn-in draw.
 * Tensor count stays flat: intermediate states are disposed as soon as the next exists, kept draws are
 * downloaded in blocks of 64. Reads synchronously (`dataSync`); {@link sampleChainAsync} is the same run with
 * asynchronous reads, for backends without synchronous ones (WebGPU in Node).
 */
export function sampleChain<S extends ChainState>(kernel: Kernel<S>, x0: tf.Tensor2D | S, options: SampleChainOptions): SampleChainResult<S> {
  return runHostReadsSync(sampleChainReads(kernel, x0, options));
}

/**
 * {@link sampleChain} with asynchronous device → host reads (`await data()`): the same ops in the same order (a seed
 * gives bit-identical results), one read per block of 64 kept draws and one at the end, so it runs on every backend,
 * WebGPU in Node included; so are the state reads of `onCheckpoint` (see `resumeChainAsync` to continue such a run).
 */
export function sampleChainAsync<S extends ChainState>(kernel: Kernel<S>, x0: tf.Tensor2D | S, options: SampleChainOptions): Promise<SampleChainResult<S>> {
  return runHostReadsAsync(sampleChainReads(kernel, x0, options));
}

/** The run of {@link sampleChain} written once, pausing at each host read (driven by `runHostReadsSync`/`Async`). */
export function* sampleChainReads<S extends ChainState>(kernel: Kernel<S>, x0: tf.Tensor2D | S, options: SampleChainOptions): HostReads<SampleChainResult<S>> {
  const t0 = performance.now();
  assertInteger(options?.steps, 'steps', 0);
  const burnIn = options.burnIn ?? 0;
  const thin = options.thin ?? 1;
  assertInteger(burnIn, 'burnIn', 0);
  assertInteger(thin, 'thin', 1);
  const progressEvery = options.progressEvery ?? 100;
  assertInteger(progressEvery, 'progressEvery', 1);
  if (!options.rng || typeof (options.rng as Rng).normal !== 'function') {
    throw new BoltzflowError('INVALID_VALUE', 'sampleChain needs a random stream', {
      argument: 'rng',
      expected: 'Rng from createRng',
      received: typeof options.rng,
    });
  }
  const rng = options.rng;
  const ownsInit = !isState(x0);
  const resume = options.resumeFrom;
  const every = options.checkpointEvery;
  if (every !== undefined) assertInteger(every, 'checkpointEvery', 1);
  let evaluations = resume ? resume.energyEvaluations : 0;
  const initial: S = ownsInit ? kernel.init(x0 as tf.Tensor2D) : (x0 as S);
  if (ownsInit) {
    try {
      // Where reads are asynchronous, init's finiteness checks are settled here, before any step runs.
      yield null;
    } catch (e) {
      disposeStateExcept(initial, undefined);
      throw e;
    }
  }
  const chains = initial.x.shape[0];
  if (ownsInit) evaluations += chains;

  const total = burnIn + options.steps;
  const kept = Math.floor(options.steps / thin);
  let width = initial.x.shape[1] as number;
  let data: Float32Array | undefined;
  let pending: tf.Tensor2D[] = [];
  let written = 0;
  if (resume && resume.samples.data.length > 0) {
    width = resume.samples.width;
    data = new Float32Array(kept * chains * width);
    data.set(resume.samples.data);
    written = resume.samples.data.length;
  }
  function* flush(): HostReads<void> {
    if (pending.length === 0) return;
    const block = tf.stack(pending) as tf.Tensor3D;
    let vals: Float32Array;
    try {
      vals = (yield block) as Float32Array;
    } catch (e) {
      block.dispose();
      throw e;
    }
    if (!data) {
      width = block.shape[2];
      data = new Float32Array(kept * chains * width);
    }
    data.set(vals, written);
    written += vals.length;
    block.dispose();
    for (const t of pending) t.dispose();
    pending = [];
  }

  let state = initial;
  let accSum = (resume ? tf.tensor1d(resume.acceptedCounts) : tf.zeros([chains])) as tf.Tensor1D;
  try {
    for (let i = resume ? resume.step : 0; i < total; i++) {
      const { state: next, info } = kernel.stepReads ? yield* kernel.stepReads(state, rng) : kernel.step(state, rng);
      evaluations += info.energyEvaluations;
      if (state !== initial || ownsInit) disposeStateExcept(state, next);
      state = next;
      if (i >= burnIn || options.steps === 0) {
        const a = tf.add(accSum, info.accepted) as tf.Tensor1D;
        accSum.dispose();
        accSum = a;
      }
      if (i >= burnIn) {
        if ((i - burnIn + 1) % thin === 0) {
          if (options.trace) {
            const obs = options.trace(state.x);
            if (obs.rank !== 2 || obs.shape[0] !== chains) {
              const got = `[${obs.shape.join(', ')}]`;
              obs.dispose();
              throw new BoltzflowError('INVALID_SHAPE', 'trace must return [chains, k]', { argument: 'trace', expected: `[${chains}, k]`, received: got });
            }
            pending.push(obs);
          } else {
            pending.push(state.x.clone());
          }
          if (pending.length >= FLUSH_EVERY) yield* flush();
        }
      }
      info.accepted.dispose();
      info.logAcceptRatio.dispose();
      if (options.onProgress && ((i + 1) % progressEvery === 0 || i + 1 === total)) {
        options.onProgress({ step: i + 1, total, phase: i < burnIn ? 'burnIn' : 'sampling' });
      }
      if (every !== undefined && options.onCheckpoint && (i + 1) % every === 0 && i + 1 < total) {
        yield* flush();
        options.onCheckpoint(
          yield* captureChainCheckpointReads(kernel, state, rng, {
            step: i + 1,
            steps: options.steps,
            burnIn,
            thin,
            accSum,
            energyEvaluations: evaluations,
            samples: data ? data.subarray(0, written) : new Float32Array(0),
            width,
          }),
        );
      }
    }
    yield* flush();
  } catch (e) {
    for (const t of pending) t.dispose();
    accSum.dispose();
    if (state !== initial || ownsInit) disposeStateExcept(state, ownsInit ? undefined : initial);
    throw e;
  }
  let accCounts: number[];
  try {
    accCounts = Array.from(yield accSum);
  } catch (e) {
    if (state !== initial || ownsInit) disposeStateExcept(state, ownsInit ? undefined : initial);
    throw e;
  } finally {
    accSum.dispose();
  }
  const counted = options.steps > 0 ? options.steps : burnIn;
  const acceptanceRate = accCounts.map((a) => (counted > 0 ? a / counted : 0));
  // The caller's state must outlive us: if nothing moved, hand back a copy rather than the same object.
  const finalState = state === initial && !ownsInit ? cloneState(state) : state;
  return {
    samples: sampleArray(data ?? new Float32Array(0), [kept, chains, data ? width : width]),
    acceptanceRate,
    overallAcceptanceRate: acceptanceRate.reduce((s, a) => s + a, 0) / chains,
    energyEvaluations: evaluations,
    finalState,
    wallSeconds: (performance.now() - t0) / 1000,
  };
}

function cloneState<S extends ChainState>(s: S): S {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) out[k] = v instanceof tf.Tensor ? v.clone() : v;
  return out as S;
}
