import * as tf from '@tensorflow/tfjs';
import { BoltzflowError, Rng, runHostReadsAsync, runHostReadsSync, type ChainState, type HostReads, type Kernel, type RngState } from '@boltzflow/core';
import { disposeStateExcept, sampleChainReads, type SampleChainOptions, type SampleChainResult } from './kernels/sampleChain.js';

/** Format tag of chain checkpoints. */
export const CHAIN_CHECKPOINT_FORMAT = 'boltzflow-chain-checkpoint';
/** Version of the chain-checkpoint layout; other versions are refused. */
export const CHAIN_CHECKPOINT_VERSION = 1;

/** A tensor of the chain state as host data (float32 bit patterns preserved). */
export interface CheckpointTensor {
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool';
  data: Float32Array | Int32Array;
}

/**
 * Everything sampleChain needs to continue a run exactly: the kernel state (tensors and JSON fields), the random
 * stream, the step counter, acceptance counts, evaluation count and the samples kept so far. Plain data (no tensors);
 * `saveChainCheckpoint` (`@boltzflow/mcmc/node`) writes it to disk.
 */
export interface ChainCheckpoint {
  format: typeof CHAIN_CHECKPOINT_FORMAT;
  version: number;
  /** Steps done (burn-in included). */
  step: number;
  steps: number;
  burnIn: number;
  thin: number;
  /** The kernel's `kind` and step size (and other numeric settings) at checkpoint time; checked on resume. */
  kernel: Record<string, number | string>;
  state: Record<string, CheckpointTensor>;
  /** Non-tensor state fields (JSON). */
  stateExtra: Record<string, unknown>;
  rng: RngState;
  acceptedCounts: number[];
  energyEvaluations: number;
  samples: { data: Float32Array; width: number };
}

/** The kernel's scalar settings (kind, stepSize, numLeapfrogSteps, maxTreeDepth…): what a resume must match. */
export function kernelSignature(kernel: Kernel<ChainState>): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const [k, v] of Object.entries(kernel)) if (typeof v === 'number' || typeof v === 'string') out[k] = v;
  return out;
}

/** The run counters a checkpoint records besides the kernel state (what sampleChain passes to the capture). */
export interface ChainCheckpointRun {
  step: number;
  steps: number;
  burnIn: number;
  thin: number;
  accSum: tf.Tensor1D;
  energyEvaluations: number;
  samples: Float32Array;
  width: number;
}

/**
 * Builds a checkpoint (downloads the state tensors synchronously, `dataSync`). Used by sampleChain's `onCheckpoint`;
 * {@link captureChainCheckpointAsync} reads with `await data()`.
 */
export function captureChainCheckpoint(kernel: Kernel<ChainState>, state: ChainState, rng: Rng, run: ChainCheckpointRun): ChainCheckpoint {
  return runHostReadsSync(captureChainCheckpointReads(kernel, state, rng, run));
}

/**
 * {@link captureChainCheckpoint} with asynchronous reads (`await data()`, one per state tensor and one for the
 * acceptance counts): the same checkpoint, bit for bit, on backends without synchronous reads (WebGPU in Node).
 * Capture before the next step: the random stream's state is taken when the capture starts.
 */
export function captureChainCheckpointAsync(kernel: Kernel<ChainState>, state: ChainState, rng: Rng, run: ChainCheckpointRun): Promise<ChainCheckpoint> {
  return runHostReadsAsync(captureChainCheckpointReads(kernel, state, rng, run));
}

/** The capture of {@link captureChainCheckpoint} pausing at each host read (sampleChainReads runs it inline). */
export function* captureChainCheckpointReads(kernel: Kernel<ChainState>, state: ChainState, rng: Rng, run: ChainCheckpointRun): HostReads<ChainCheckpoint> {
  // Host values first (the caller may step on once this returns), so take the stream's state before any pause.
  const rngState = rng.getState();
  const signature = kernelSignature(kernel);
  const tensors: Record<string, CheckpointTensor> = {};
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(state)) {
    if (v instanceof tf.Tensor) {
      const dtype = v.dtype === 'int32' || v.dtype === 'bool' ? v.dtype : 'float32';
      const raw = yield v;
      tensors[k] = { shape: [...v.shape], dtype, data: dtype === 'float32' ? Float32Array.from(raw as Float32Array) : Int32Array.from(raw) };
    } else extra[k] = JSON.parse(JSON.stringify(v ?? null));
  }
  const acceptedCounts = Array.from(yield run.accSum);
  return {
    format: CHAIN_CHECKPOINT_FORMAT,
    version: CHAIN_CHECKPOINT_VERSION,
    step: run.step,
    steps: run.steps,
    burnIn: run.burnIn,
    thin: run.thin,
    kernel: signature,
    state: tensors,
    stateExtra: extra,
    rng: rngState,
    acceptedCounts,
    energyEvaluations: run.energyEvaluations,
    samples: { data: Float32Array.from(run.samples), width: run.width },
  };
}

function invalid(message: string, received: string): never {
  throw new BoltzflowError('CHECKPOINT', message, { argument: 'checkpoint', received });
}

/** Structural check of a checkpoint (types, sizes); throws CHECKPOINT naming what is wrong. */
export function validateChainCheckpoint(c: unknown): asserts c is ChainCheckpoint {
  const k = c as ChainCheckpoint;
  if (!k || typeof k !== 'object' || k.format !== CHAIN_CHECKPOINT_FORMAT)
    invalid('Not a chain checkpoint', `format ${String((k as { format?: unknown })?.format)}`);
  if (k.version !== CHAIN_CHECKPOINT_VERSION) invalid('Unsupported chain checkpoint version', String(k.version));
  for (const f of ['step', 'steps', 'burnIn', 'thin', 'energyEvaluations'] as const) {
    if (!Number.isInteger(k[f]) || k[f] < 0) invalid(`Bad field ${f}`, String(k[f]));
  }
  if (!k.state?.x || !k.state?.energy) invalid('Checkpoint state lacks x or energy', Object.keys(k.state ?? {}).join(','));
  for (const [name, t] of Object.entries(k.state)) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== size) invalid(`State tensor ${name} has the wrong size`, `${t.data.length} values for shape [${t.shape.join(', ')}]`);
  }
  const chains = k.state.x.shape[0];
  if (k.acceptedCounts.length !== chains) invalid('Acceptance counts do not match the chains', `${k.acceptedCounts.length} for ${chains} chains`);
  if (!Array.isArray(k.rng?.seed) || !Number.isInteger(k.rng?.useCount)) invalid('Bad random-stream state', JSON.stringify(k.rng));
}

/** Options of {@link resumeChain}: those of `sampleChain` that may change on resume (progress, trace, checkpoint hook). */
export type ResumeChainOptions = Pick<SampleChainOptions, 'onProgress' | 'progressEvery' | 'trace' | 'checkpointEvery' | 'onCheckpoint'>;

/**
 * Continues a run from a checkpoint of {@link sampleChain}: on the same backend with the same kernel (checked: its
 * kind and numeric settings must equal the checkpoint's), the result — samples from step 0, acceptance, evaluation
 * count, final state — is bit-identical to the uninterrupted run. Pass the same `trace` as the original run. Reads
 * synchronously; {@link resumeChainAsync} is the same run with asynchronous reads.
 */
export function resumeChain<S extends ChainState>(checkpoint: ChainCheckpoint, kernel: Kernel<S>, options: ResumeChainOptions = {}): SampleChainResult<S> {
  return runHostReadsSync(resumeChainReads(checkpoint, kernel, options));
}

/**
 * {@link resumeChain} with asynchronous device → host reads (the run continues as `sampleChainAsync`): the same result,
 * bit for bit, on backends without synchronous reads (WebGPU in Node).
 */
export function resumeChainAsync<S extends ChainState>(
  checkpoint: ChainCheckpoint,
  kernel: Kernel<S>,
  options: ResumeChainOptions = {},
): Promise<SampleChainResult<S>> {
  return runHostReadsAsync(resumeChainReads(checkpoint, kernel, options));
}

/** The run of {@link resumeChain} written once, pausing at each host read (driven by `runHostReadsSync`/`Async`). */
export function* resumeChainReads<S extends ChainState>(
  checkpoint: ChainCheckpoint,
  kernel: Kernel<S>,
  options: ResumeChainOptions = {},
): HostReads<SampleChainResult<S>> {
  validateChainCheckpoint(checkpoint);
  const sig = kernelSignature(kernel as unknown as Kernel<ChainState>);
  for (const [key, v] of Object.entries(checkpoint.kernel)) {
    if (sig[key] !== v) {
      throw new BoltzflowError('CHECKPOINT', 'The kernel differs from the checkpoint’s', {
        argument: 'kernel',
        expected: `${key} = ${v}`,
        received: `${key} = ${sig[key]}`,
      });
    }
  }
  const state: Record<string, unknown> = { ...checkpoint.stateExtra };
  for (const [k, t] of Object.entries(checkpoint.state)) state[k] = tf.tensor(t.data, t.shape, t.dtype);
  let result: SampleChainResult<S> | undefined;
  try {
    result = yield* sampleChainReads(kernel, state as S, {
      ...options,
      steps: checkpoint.steps,
      burnIn: checkpoint.burnIn,
      thin: checkpoint.thin,
      rng: Rng.fromState(checkpoint.rng),
      resumeFrom: checkpoint,
    });
    return result;
  } finally {
    disposeStateExcept(state, result?.finalState);
  }
}
