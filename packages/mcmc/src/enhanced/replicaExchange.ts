import * as tf from '@tensorflow/tfjs';
import {
  assertInteger,
  assertPositive,
  BoltzflowError,
  runHostReadsAsync,
  runHostReadsSync,
  type ChainState,
  type Energy,
  type HostReads,
  type HostValues,
  type Kernel,
  type Rng,
  type StepInfo,
} from '@boltzflow/core';
import { withTemperature } from '@boltzflow/energies';
import { disposeStateExcept, sampleChainReads, type SampleChainOptions, type SampleChainResult } from '../kernels/sampleChain.js';

/** A geometric ladder T_k = T_min (T_max / T_min)^{k/(count−1)}. */
export interface GeometricLadder {
  minTemperature?: number;
  maxTemperature: number;
  count: number;
}

/** Options of {@link replicaExchange}. */
export interface ReplicaExchangeOptions {
  /** Strictly increasing temperatures (samples are reported at the first, normally 1), or a geometric ladder. */
  temperatures: readonly number[] | GeometricLadder;
  /** Builds the kernel of one replica from its tempered energy u/T (it must sample exactly that energy). */
  kernel: (energyAtT: Energy, temperature: number, index: number) => Kernel<ChainState>;
  /** Attempt neighbour swaps after every `swapEvery` kernel steps (default 1). */
  swapEvery?: number;
}

/**
 * Composite state: `x`/`energy` are those of the coldest replica (so sampleChain records T_min samples),
 * `replicas[k]` the full state of replica k, `swapAttempts/swapAccepted/swapProbability` running per-pair statistics
 * (pair k = replicas k and k+1; attempts summed over chains, swapProbability sums min(1, exp(Δ)) — the low-variance estimate).
 */
export interface ReplicaExchangeState extends ChainState {
  replicas: ChainState[];
  step: number;
  swapAttempts: number[];
  swapAccepted: number[];
  swapProbability: number[];
}

export interface ReplicaExchangeKernel extends Kernel<ReplicaExchangeState> {
  readonly kind: 'replicaExchange';
  readonly temperatures: number[];
  readonly kernels: Kernel<ChainState>[];
}

/** Resolves and validates a ladder: strictly increasing, positive, at least two rungs. */
export function temperatureLadder(t: readonly number[] | GeometricLadder): number[] {
  let temps: number[];
  if (Array.isArray(t)) {
    temps = [...(t as number[])];
  } else if (t && typeof t === 'object') {
    const g = t as GeometricLadder;
    const lo = g.minTemperature ?? 1;
    assertPositive(lo, 'temperatures.minTemperature');
    assertPositive(g.maxTemperature, 'temperatures.maxTemperature');
    assertInteger(g.count, 'temperatures.count', 2);
    if (!(g.maxTemperature > lo)) {
      throw new BoltzflowError('INVALID_VALUE', 'Ladder must increase', {
        argument: 'temperatures.maxTemperature',
        expected: `> ${lo}`,
        received: String(g.maxTemperature),
      });
    }
    temps = Array.from({ length: g.count }, (_, k) => lo * Math.pow(g.maxTemperature / lo, k / (g.count - 1)));
  } else {
    throw new BoltzflowError('INVALID_VALUE', 'Missing temperature ladder', {
      argument: 'temperatures',
      expected: 'number[] or { maxTemperature, count }',
      received: String(t),
    });
  }
  if (temps.length < 2) {
    throw new BoltzflowError('INVALID_VALUE', 'Need at least two temperatures', {
      argument: 'temperatures',
      expected: 'length >= 2',
      received: `length ${temps.length}`,
    });
  }
  temps.forEach((v, i) => assertPositive(v, `temperatures[${i}]`));
  for (let i = 1; i < temps.length; i++) {
    if (!(temps[i] > temps[i - 1])) {
      throw new BoltzflowError('INVALID_VALUE', 'Temperatures must be strictly increasing', {
        argument: 'temperatures',
        expected: 'strictly increasing',
        received: `T[${i - 1}] = ${temps[i - 1]}, T[${i}] = ${temps[i]}`,
      });
    }
  }
  return temps;
}

const FAST_KEYS = new Set(['x', 'energy', 'grad']);

/**
 * Parallel tempering as a {@link Kernel}: one kernel per temperature (each on a `[chains, dim]` batch; a list rather
 * than one big batch so that each rung keeps its own step size), then deterministic even/odd neighbour swaps
 * (DEO: even pairs on even swap rounds, odd pairs on odd ones) accepted per chain with
 * min(1, exp((β_i − β_j)(u_i − u_j))) on the untempered energy u = T·(tempered energy).
 * A swap exchanges positions only. States made only of x/energy/grad are exchanged by rescaling energy and gradient
 * (no evaluations); other states (e.g. BAOAB velocities) are rebuilt with `kernel.init` (velocities restart at 0).
 * Costs one `[replicas, chains]` download per swap round.
 */
export function replicaExchangeKernel(target: Energy, options: ReplicaExchangeOptions): ReplicaExchangeKernel {
  const temps = temperatureLadder(options?.temperatures);
  const swapEvery = options.swapEvery ?? 1;
  assertInteger(swapEvery, 'swapEvery', 1);
  if (typeof options.kernel !== 'function') {
    throw new BoltzflowError('INVALID_VALUE', 'kernel must be a factory', {
      argument: 'kernel',
      expected: '(energyAtT, T, k) => Kernel',
      received: typeof options.kernel,
    });
  }
  const R = temps.length;
  const kernels = temps.map((T, k) => options.kernel(T === 1 ? target : withTemperature(target, T), T, k));
  const zeros = () => new Array<number>(R - 1).fill(0);

  function* swap(
    replicas: ChainState[],
    round: number,
    rng: Rng,
    stats: { att: number[]; acc: number[]; prob: number[] },
  ): HostReads<{ replicas: ChainState[]; evaluations: number }> {
    const chains = replicas[0].x.shape[0];
    // One [replicas, chains] read (a host read: the swap decisions are made in JavaScript, in float64).
    const stacked = tf.stack(replicas.map((s) => s.energy));
    let all: HostValues;
    try {
      all = yield stacked;
    } finally {
      stacked.dispose();
    }
    const u = replicas.map((_, k) => Array.from(all.subarray(k * chains, (k + 1) * chains), (v) => v * temps[k]));
    // source[k][c] = replica whose chain-c position moves into replica k
    const source = temps.map((_, k) => new Array<number>(chains).fill(k));
    for (let i = round % 2; i + 1 < R; i += 2) {
      const dBeta = 1 / temps[i] - 1 / temps[i + 1];
      for (let c = 0; c < chains; c++) {
        const logA = dBeta * (u[i][c] - u[i + 1][c]);
        stats.att[i]++;
        stats.prob[i] += logA >= 0 ? 1 : Math.exp(logA);
        if (Math.log(rng.nextUniform()) < logA) {
          stats.acc[i]++;
          source[i][c] = i + 1;
          source[i + 1][c] = i;
        }
      }
    }
    let evaluations = 0;
    const out = replicas.map((s, k) => {
      if (source[k].every((v) => v === k)) return s;
      const fast = Object.keys(s).every((key) => FAST_KEYS.has(key));
      const idx = source[k].map((r, c) => r * chains + c);
      const gather = (key: 'x' | 'energy' | 'grad', scale: (r: number) => number) =>
        tf.tidy(() => {
          const all = tf.concat(replicas.map((rs, r) => tf.mul(rs[key] as tf.Tensor, scale(r))));
          return tf.gather(all, tf.tensor1d(idx, 'int32'));
        });
      const x = gather('x', () => 1) as tf.Tensor2D;
      if (!fast) {
        const st = kernels[k].init(x);
        x.dispose();
        evaluations += chains;
        return st;
      }
      const next: ChainState = { x, energy: gather('energy', (r) => temps[r] / temps[k]) as tf.Tensor1D };
      if ('grad' in s) next.grad = gather('grad', (r) => temps[r] / temps[k]);
      return next;
    });
    return { replicas: out, evaluations };
  }

  function* stepReads(state: ReplicaExchangeState, rng: Rng): HostReads<{ state: ReplicaExchangeState; info: StepInfo }> {
    let evaluations = 0;
    let info0: StepInfo | undefined;
    let replicas: ChainState[] = [];
    try {
      for (let k = 0; k < R; k++) {
        // Rungs with host reads of their own (NUTS) pause here too.
        const rung = kernels[k];
        const s = state.replicas[k];
        const { state: next, info } = rung.stepReads ? yield* rung.stepReads(s, rng) : rung.step(s, rng);
        evaluations += info.energyEvaluations;
        if (k === 0) info0 = info;
        else {
          info.accepted.dispose();
          info.logAcceptRatio.dispose();
        }
        replicas.push(next);
      }
    } catch (e) {
      // A rung failed: free what the rungs before it made; the incoming state stays the caller's.
      for (const r of replicas) disposeStateExcept(r, state.replicas);
      if (info0) tf.dispose([info0.accepted, info0.logAcceptRatio]);
      throw e;
    }
    const stepNo = state.step + 1;
    const stats = { att: [...state.swapAttempts], acc: [...state.swapAccepted], prob: [...state.swapProbability] };
    if (stepNo % swapEvery === 0) {
      const before = replicas;
      let sw: { replicas: ChainState[]; evaluations: number };
      try {
        sw = yield* swap(replicas, stepNo / swapEvery - 1, rng, stats);
      } catch (e) {
        for (const r of replicas) disposeStateExcept(r, state.replicas);
        tf.dispose([info0!.accepted, info0!.logAcceptRatio]);
        throw e;
      }
      replicas = sw.replicas;
      evaluations += sw.evaluations;
      before.forEach((s, k) => {
        if (replicas[k] !== s) disposeStateExcept(s, replicas);
      });
    }
    return {
      state: {
        x: replicas[0].x,
        energy: replicas[0].energy,
        replicas,
        step: stepNo,
        swapAttempts: stats.att,
        swapAccepted: stats.acc,
        swapProbability: stats.prob,
      },
      info: { accepted: info0!.accepted, logAcceptRatio: info0!.logAcceptRatio, energyEvaluations: evaluations },
    };
  }

  return {
    kind: 'replicaExchange',
    target,
    temperatures: temps,
    kernels,
    init(x0: tf.Tensor2D): ReplicaExchangeState {
      const replicas: ChainState[] = [];
      try {
        for (const k of kernels) replicas.push(k.init(x0));
      } catch (e) {
        for (const r of replicas) disposeStateExcept(r, undefined);
        throw e;
      }
      return { x: replicas[0].x, energy: replicas[0].energy, replicas, step: 0, swapAttempts: zeros(), swapAccepted: zeros(), swapProbability: zeros() };
    },
    step(state: ReplicaExchangeState, rng: Rng): { state: ReplicaExchangeState; info: StepInfo } {
      return runHostReadsSync(stepReads(state, rng));
    },
    stepReads,
  };
}

/** Options of {@link replicaExchange} as a run: the ladder's options, {@link sampleChain}'s, and the start `x0`. */
export interface ReplicaExchangeRunOptions extends ReplicaExchangeOptions, SampleChainOptions {
  /** Start of every replica, `[chains, dim]`. */
  x0: tf.Tensor2D;
}

/** What a replica-exchange run returns. */
export interface ReplicaExchangeResult extends SampleChainResult<ReplicaExchangeState> {
  temperatures: number[];
  /** Per neighbour pair (k, k+1): fraction of swap attempts accepted (burn-in included). */
  swapAcceptance: number[];
  /** Per pair: mean of min(1, exp(Δ)) over attempts (same expectation, less noise). */
  swapProbability: number[];
}

/**
 * Runs parallel tempering with {@link sampleChain} and returns the samples of the coldest replica (T = 1 for a
 * ladder starting at 1) with the swap statistics. `finalState.replicas` holds every rung. Reads synchronously;
 * {@link replicaExchangeAsync} is the same run with asynchronous reads.
 */
export function replicaExchange(target: Energy, options: ReplicaExchangeRunOptions): ReplicaExchangeResult {
  return runHostReadsSync(replicaExchangeReads(target, options));
}

/**
 * {@link replicaExchange} with asynchronous device → host reads (as `sampleChainAsync`; the swap rounds and rungs with
 * reads of their own go through `stepReads`): bit-identical for a seed, and it runs on WebGPU in Node.
 */
export function replicaExchangeAsync(target: Energy, options: ReplicaExchangeRunOptions): Promise<ReplicaExchangeResult> {
  return runHostReadsAsync(replicaExchangeReads(target, options));
}

/** The run of {@link replicaExchange} written once, pausing at each host read (driven by `runHostReadsSync`/`Async`). */
export function* replicaExchangeReads(target: Energy, options: ReplicaExchangeRunOptions): HostReads<ReplicaExchangeResult> {
  const kernel = replicaExchangeKernel(target, options);
  const res = yield* sampleChainReads(kernel, options.x0, options);
  const s = res.finalState;
  return {
    ...res,
    temperatures: kernel.temperatures,
    swapAcceptance: s.swapAttempts.map((a, i) => (a > 0 ? s.swapAccepted[i] / a : NaN)),
    swapProbability: s.swapAttempts.map((a, i) => (a > 0 ? s.swapProbability[i] / a : NaN)),
  };
}
