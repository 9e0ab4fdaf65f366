import * as tf from '@tensorflow/tfjs';
import {
  assertInteger,
  assertOneOf,
  assertPositive,
  assertProbability,
  BoltzflowError,
  runHostReadsAsync,
  runHostReadsSync,
  type ChainState,
  type HostReads,
  type HostValues,
  type Kernel,
  type Rng,
} from '@boltzflow/core';
import { acceptanceValue, DualAveraging, WarmupChain } from './dualAveraging.js';
import type { MassMatrix } from './massMatrix.js';
import { symmetricMatrixFunction } from '@boltzflow/estimators';

/** Builds a kernel from a step size and a mass matrix, e.g. `(p) => nuts(u, p)`, `(p) => hmc(u, { ...p, numLeapfrogSteps: 20 })`, `(p) => mala(u, p)`. */
export type MassKernelFactory<S extends ChainState> = (params: { stepSize: number; massMatrix: MassMatrix }) => Kernel<S>;

/** Options of {@link windowAdaptation}. */
export interface WindowAdaptationOptions {
  /** Warm-up steps in all (Stan's default 1000). */
  steps: number;
  rng: Rng;
  /** Target mean acceptance statistic (default 0.8, Stan's; MALA users may prefer 0.574). */
  targetAcceptance?: number;
  /** 'diag' (default) or 'dense' mass matrix, estimated from the chains' samples in the slow windows. */
  massMatrix?: 'diag' | 'dense';
  /** Starting step size (default 0.1, refined by doubling/halving in the first fast window). */
  initialStepSize?: number;
  /** Stan's buffers: initial fast window (75), final fast window (50), first slow window (25). */
  initBuffer?: number;
  termBuffer?: number;
  baseWindow?: number;
}

/** What {@link windowAdaptation} returns: the tuned kernel, its step size and mass matrix, and the warmed-up state. */
export interface WindowAdaptationResult<S extends ChainState> {
  /** Kernel with the final step size (dual-averaged) and mass matrix, frozen. */
  kernel: Kernel<S>;
  stepSize: number;
  /** M = Σ̂⁻¹ (diagonal array or dense rows); identity when no slow window fitted in `steps`. */
  massMatrix: number[] | number[][];
  /** The regularised sample covariance Σ̂ = M⁻¹ of the last slow window. */
  inverseMassMatrix: number[] | number[][];
  /** State after warm-up, owned by the caller. */
  state: S;
  energyEvaluations: number;
  /** Window boundaries [start, end) of the slow windows, in warm-up steps. */
  slowWindows: [number, number][];
  /** Mean acceptance statistic over the final fast window. */
  warmupAcceptance: number;
}

/** Stan's window schedule: the slow windows (start, end) for `steps` warm-up steps. */
export function stanWindows(steps: number, initBuffer = 75, termBuffer = 50, baseWindow = 25): { init: number; term: number; slow: [number, number][] } {
  let init = initBuffer;
  let term = termBuffer;
  let base = baseWindow;
  if (steps < 20) return { init: steps, term: 0, slow: [] };
  if (init + term + base > steps) {
    init = Math.floor(0.15 * steps);
    term = Math.floor(0.1 * steps);
    base = steps - init - term;
  }
  const slow: [number, number][] = [];
  let start = init;
  let size = base;
  const end = steps - term;
  while (start < end) {
    // A window whose successor would not fit (twice its size) is stretched to the end of the slow phase.
    const next = start + size;
    const stop = next + 2 * size > end ? end : next;
    slow.push([start, stop]);
    start = stop;
    size *= 2;
  }
  return { init, term, slow };
}

/**
 * Stan's three-phase warm-up (and blackjax's window_adaptation): an initial fast window adapting only the step size
 * (dual averaging), slow windows doubling in length at whose end the mass matrix is re-estimated from the chains'
 * samples of that window — Σ̂ regularised as Stan does, (n/(n+5))Σ̂ + 10⁻³(5/(n+5))I, n = draws pooled over chains —
 * with M = Σ̂⁻¹ and the dual averaging restarted at the current step size, and a final fast window for the step size.
 * The acceptance statistic is the mean over chains of min(1, e^{logAcceptRatio}) (NUTS reports its tree average).
 * Costs one host read per step: the acceptance statistic, with the `[chains, dim]` positions in the same download during
 * slow windows (plus the kernel's own reads, e.g. NUTS's). Reads synchronously (`dataSync`); {@link windowAdaptationAsync}
 * is the same warm-up with asynchronous reads.
 */
export function windowAdaptation<S extends ChainState>(
  kernelFactory: MassKernelFactory<S>,
  x0: tf.Tensor2D | S,
  options: WindowAdaptationOptions,
): WindowAdaptationResult<S> {
  return runHostReadsSync(windowAdaptationReads(kernelFactory, x0, options));
}

/**
 * {@link windowAdaptation} with asynchronous device → host reads (`await data()`; kernels with `stepReads`, such as
 * NUTS, are driven through it): the same ops in the same order, so a seed gives bit-identical results, and it runs where
 * synchronous reads are unavailable (WebGPU in Node).
 */
export function windowAdaptationAsync<S extends ChainState>(
  kernelFactory: MassKernelFactory<S>,
  x0: tf.Tensor2D | S,
  options: WindowAdaptationOptions,
): Promise<WindowAdaptationResult<S>> {
  return runHostReadsAsync(windowAdaptationReads(kernelFactory, x0, options));
}

/** The warm-up of {@link windowAdaptation} written once, pausing at each host read (driven by `runHostReadsSync`/`Async`). */
export function* windowAdaptationReads<S extends ChainState>(
  kernelFactory: MassKernelFactory<S>,
  x0: tf.Tensor2D | S,
  options: WindowAdaptationOptions,
): HostReads<WindowAdaptationResult<S>> {
  assertInteger(options?.steps, 'steps', 1);
  const rng = options.rng;
  if (!rng || typeof rng.uniform !== 'function') {
    throw new BoltzflowError('INVALID_VALUE', 'windowAdaptation needs a random stream', {
      argument: 'rng',
      expected: 'Rng from createRng',
      received: typeof rng,
    });
  }
  const delta = options.targetAcceptance ?? 0.8;
  assertProbability(delta, 'targetAcceptance', true);
  const kind = options.massMatrix ?? 'diag';
  assertOneOf(kind, ['diag', 'dense'], 'massMatrix', { code: 'INVALID_CONFIG', message: 'Unknown mass-matrix kind' });
  let eps = options.initialStepSize ?? 0.1;
  assertPositive(eps, 'initialStepSize');
  const steps = options.steps;
  const { init, slow } = stanWindows(steps, options.initBuffer, options.termBuffer, options.baseWindow);

  const dim = (x0 instanceof tf.Tensor ? x0.shape[1] : (x0 as S).x.shape[1]) as number;
  let mass: number[] | number[][] =
    kind === 'dense' ? Array.from({ length: dim }, (_, i) => Array.from({ length: dim }, (_, j) => (i === j ? 1 : 0))) : new Array<number>(dim).fill(1);
  let invMass: number[] | number[][] = kind === 'dense' ? (mass as number[][]).map((r) => [...r]) : [...(mass as number[])];
  let kernel = kernelFactory({ stepSize: eps, massMatrix: mass });

  const chain = new WarmupChain(kernel, x0);
  const chains = chain.state.x.shape[0];
  let finalEps: number;
  let warmupAcceptance: number;
  try {
    // Where reads are asynchronous, init's finiteness checks are settled here, before any step runs.
    yield null;

    // Doubling/halving until the acceptance crosses the target (inside the initial window, as adaptStepSize does).
    let step = 0;
    let direction = 0;
    const heuristic = Math.min(20, Math.floor(init / 3));
    for (; step < heuristic; step++) {
      const a = yield* chain.stepReads(kernel, rng);
      const d = a > delta ? 1 : -1;
      if (direction !== 0 && d !== direction) {
        step++;
        break;
      }
      direction = d;
      eps = d > 0 ? eps * 2 : eps / 2;
      kernel = kernelFactory({ stepSize: eps, massMatrix: mass });
    }
    const da = new DualAveraging(eps, delta);
    let sum = new Float64Array(dim);
    let outer = new Float64Array(kind === 'dense' ? dim * dim : dim);
    let count = 0;
    let window = 0;
    let accSum = 0;
    let accN = 0;
    const finalStart = slow.length > 0 ? slow[slow.length - 1][1] : init;
    for (; step < steps; step++) {
      const inSlow = window < slow.length && step >= slow[window][0] && step < slow[window][1];
      let a: number;
      let x: HostValues | undefined;
      if (!inSlow) a = yield* chain.stepReads(kernel, rng);
      else {
        // One download: the acceptance statistic followed by the new positions.
        const p = yield* chain.stepTensor(kernel, rng);
        const both = tf.tidy(() => tf.concat([tf.reshape(p, [1]), tf.reshape(chain.state.x, [-1])]));
        p.dispose();
        let values: HostValues;
        try {
          values = yield both;
        } finally {
          both.dispose();
        }
        a = acceptanceValue(values[0]);
        x = values.subarray(1);
      }
      if (step >= finalStart) {
        accSum += a;
        accN++;
      }
      eps = da.update(a);
      if (x) {
        for (let c = 0; c < chains; c++) {
          const o = c * dim;
          for (let i = 0; i < dim; i++) {
            const xi = x[o + i];
            sum[i] += xi;
            if (kind === 'dense') for (let j = 0; j <= i; j++) outer[i * dim + j] += xi * x[o + j];
            else outer[i] += xi * xi;
          }
        }
        count += chains;
        if (step === slow[window][1] - 1) {
          const nS = count;
          const shrink = nS / (nS + 5);
          const add = 1e-3 * (5 / (nS + 5));
          const mean = Array.from(sum, (s) => s / nS);
          if (kind === 'dense') {
            const cov = Array.from({ length: dim }, () => new Array<number>(dim).fill(0));
            for (let i = 0; i < dim; i++) {
              for (let j = 0; j <= i; j++) {
                const c = (outer[i * dim + j] - nS * mean[i] * mean[j]) / (nS - 1);
                cov[i][j] = cov[j][i] = shrink * c;
              }
              cov[i][i] += add;
            }
            invMass = cov;
            mass = symmetricMatrixFunction(cov, (l) => 1 / l);
            // Symmetrise exactly (massOps checks symmetry).
            for (let i = 0; i < dim; i++) for (let j = 0; j < i; j++) (mass as number[][])[j][i] = (mass as number[][])[i][j];
          } else {
            const v = mean.map((m, i) => shrink * ((outer[i] - nS * m * m) / (nS - 1)) + add);
            invMass = v;
            mass = v.map((s) => 1 / s);
          }
          sum = new Float64Array(dim);
          outer = new Float64Array(outer.length);
          count = 0;
          window++;
          da.restart(eps);
        }
      }
      kernel = kernelFactory({ stepSize: eps, massMatrix: mass });
    }
    finalEps = da.averagedStepSize;
    warmupAcceptance = accN > 0 ? accSum / accN : NaN;
  } catch (e) {
    chain.dispose();
    throw e;
  }
  return {
    kernel: kernelFactory({ stepSize: finalEps, massMatrix: mass }),
    stepSize: finalEps,
    massMatrix: mass,
    inverseMassMatrix: invMass,
    state: chain.state,
    energyEvaluations: chain.evaluations,
    slowWindows: slow,
    warmupAcceptance,
  };
}
