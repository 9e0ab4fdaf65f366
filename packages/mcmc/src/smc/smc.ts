import * as tf from '@tensorflow/tfjs';
import {
  assertFiniteArray,
  assertInteger,
  assertPositive,
  assertProbability,
  BoltzflowError,
  logSumExp,
  runHostReadsAsync,
  runHostReadsSync,
  type ChainState,
  type HostReads,
  type Distribution,
  type Energy,
  type Kernel,
  type Rng,
  assertOneOf,
} from '@boltzflow/core';
import { DEFAULT_TARGET_ACCEPTANCE } from '../kernels/adaptStepSize.js';
import { disposeStateExcept } from '../kernels/sampleChain.js';

/** Builds the MCMC move of one stage on the tempered energy, e.g. `(e, o) => mala(e, o)` or `(e, o) => hmc(e, { ...o, numLeapfrogSteps: 5 })`. */
export type SmcKernelFactory = (tempered: Energy, options: { stepSize: number }) => Kernel<ChainState>;

/** Options of {@link smcSampler}. */
export interface SmcOptions {
  /** Initial distribution q (β = 0); the path is π_β ∝ q^{1−β} e^{−βu}. */
  prior: Distribution;
  particles: number;
  kernel: SmcKernelFactory;
  /** 'adaptive' (default): each next β by bisection so that the conditional ESS is `targetEss`·N; or β₀ = 0 < … < 1. */
  schedule?: 'adaptive' | readonly number[];
  rng: Rng;
  /** MCMC steps per stage (default 5; 0 = pure importance sampling along the path). */
  mcmcSteps?: number;
  /** Conditional-ESS fraction of the adaptive schedule (default 0.5). */
  targetEss?: number;
  /** Starting step size of the moves (default 0.1), tuned after every MCMC step towards `targetAcceptance`. */
  initialStepSize?: number;
  /** Default from the kernel kind (RWM 0.234, MALA 0.574, HMC 0.65), else 0.5. */
  targetAcceptance?: number;
  /**
   * 'multinomial' (default: the scheme the Lee–Whiteley error estimate is derived for; measured calibrated over seeds)
   * or 'systematic' (less resampling noise, but `logZError` then underestimates: 2.5× on a 2D mixture).
   */
  resampling?: 'systematic' | 'multinomial';
  /** Maximum stages of the adaptive schedule (default 1000). */
  maxStages?: number;
}

/** What {@link smcSampler} and {@link annealedImportanceSampling} return. */
export interface SmcResult {
  /** Final particles `[particles, dim]` (owned by the caller). */
  samples: tf.Tensor2D;
  /** Log weights of the final particles (unnormalised; all equal after a final resampling only when no increment followed). */
  logWeights: Float64Array;
  /** log Z − log Z_q, i.e. log ∫ e^{−u} when the prior is normalised. */
  logZ: number;
  /** Standard error of logZ from the Lee–Whiteley variance estimator (ancestral "Eve" indices), δ-method on the log. */
  logZError: number;
  betas: number[];
  /** ESS fraction of the weights at each stage before resampling. */
  ess: number[];
  /** Mean acceptance of the moves per stage. */
  acceptance: number[];
  stepSizes: number[];
  /** Evaluations of the target energy u (prior evaluations are not counted). */
  energyEvaluations: number;
  resamplings: number;
}

/** Multinomial resampling: N i.i.d. indices from normalised weights (sorted uniforms, one pass). */
export function multinomialResample(weights: ArrayLike<number>, rng: Rng): Int32Array {
  const n = weights.length;
  const u = Array.from(rng.uniformArray(n)).sort((a, b) => a - b);
  const out = new Int32Array(n);
  let c = weights[0];
  let j = 0;
  for (let i = 0; i < n; i++) {
    while (u[i] > c && j < n - 1) c += weights[++j];
    out[i] = j;
  }
  return out;
}

/** Systematic resampling: N indices from normalised weights with one uniform. */
export function systematicResample(weights: ArrayLike<number>, rng: Rng): Int32Array {
  const n = weights.length;
  const out = new Int32Array(n);
  const u0 = rng.nextUniform() / n;
  let c = weights[0];
  let j = 0;
  for (let i = 0; i < n; i++) {
    const t = u0 + i / n;
    while (t > c && j < n - 1) c += weights[++j];
    out[i] = j;
  }
  return out;
}

function tempered(target: Energy, prior: Distribution, beta: number): Energy {
  return {
    dim: target.dim,
    name: `${target.name ?? 'energy'}@β=${beta}`,
    energy: (x) => tf.tidy(() => tf.sub(tf.mul(target.energy(x), beta), tf.mul(prior.logProb(x), 1 - beta)) as tf.Tensor1D),
  };
}

function checkSchedule(s: readonly number[]): void {
  assertFiniteArray(s, 'schedule');
  if (s.length < 2)
    throw new BoltzflowError('INVALID_VALUE', 'The β schedule needs at least one step', {
      argument: 'schedule',
      expected: '[0, …, 1] with length >= 2',
      received: `length ${s.length}`,
    });
  if (s[0] !== 0)
    throw new BoltzflowError('INVALID_VALUE', 'The β schedule starts at 0 (the prior)', { argument: 'schedule[0]', expected: '0', received: String(s[0]) });
  for (let i = 1; i < s.length; i++) {
    if (!(s[i] > s[i - 1]))
      throw new BoltzflowError('INVALID_VALUE', 'The β schedule must be strictly increasing', {
        argument: `schedule[${i}]`,
        expected: `> ${s[i - 1]}`,
        received: String(s[i]),
      });
  }
  if (s[s.length - 1] > 1)
    throw new BoltzflowError('INVALID_VALUE', 'β cannot exceed 1', {
      argument: `schedule[${s.length - 1}]`,
      expected: '<= 1',
      received: String(s[s.length - 1]),
    });
}

/** ESS fraction (Σw)²/(N Σw²) of log weights. */
function essFraction(lw: ArrayLike<number>): number {
  const m = Math.max(...Array.from(lw));
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < lw.length; i++) {
    const w = Math.exp(lw[i] - m);
    s += w;
    s2 += w * w;
  }
  return (s * s) / (lw.length * s2);
}

/**
 * Sequential Monte Carlo along the geometric path π_β ∝ q^{1−β}e^{−βu} (Del Moral et al. 2006), as blackjax's
 * adaptive tempered SMC: reweight by e^{(β′−β)ℓ}, ℓ = −u − log q; next β′ by bisection on the conditional ESS
 * (Zhou, Johansen & Aston 2016); multinomial (default) or systematic resampling; `mcmcSteps` moves of the kernel on π_β′ whose step size is
 * tuned multiplicatively after each move towards the target acceptance. log Z = Σ_t log Σ_i W_i e^{Δβ ℓ_i}.
 * With `resample: false` (see {@link annealedImportanceSampling}) it is AIS: the weights accumulate instead.
 */
export function smcSampler(target: Energy, options: SmcOptions): SmcResult {
  return runHostReadsSync(runSmc(target, options, true));
}

/** Options of {@link annealedImportanceSampling}: those of SMC with a fixed schedule. */
export interface AnnealedImportanceSamplingOptions extends Omit<SmcOptions, 'schedule' | 'targetEss' | 'maxStages'> {
  /** β₀ = 0 < β₁ < … ≤ 1 (end below 1 for an intermediate distribution). */
  schedule: readonly number[];
}

/**
 * Annealed importance sampling (Neal 2001): {@link smcSampler} without resampling on a fixed schedule. Returns the
 * particles, their log weights (log Z_β_end − log Z_q is estimated by their log-mean-exp) and the evaluation count.
 */
export function annealedImportanceSampling(target: Energy, options: AnnealedImportanceSamplingOptions): SmcResult {
  checkAisSchedule(options);
  return runHostReadsSync(runSmc(target, options, false));
}

function checkAisSchedule(options: AnnealedImportanceSamplingOptions): void {
  if (!Array.isArray(options?.schedule)) {
    throw new BoltzflowError('INVALID_CONFIG', 'AIS needs a fixed β schedule', {
      argument: 'schedule',
      expected: 'number[] from 0 to ≤ 1',
      received: String(options?.schedule),
    });
  }
}

/**
 * {@link smcSampler} with asynchronous device reads (`await data()`: ℓ of the particles after each stage and the mean
 * acceptance of each MCMC step): the same run for a seed, and it runs on WebGPU in Node.
 */
export function smcSamplerAsync(target: Energy, options: SmcOptions): Promise<SmcResult> {
  return runHostReadsAsync(runSmc(target, options, true));
}

/** {@link annealedImportanceSampling} with asynchronous device reads (see {@link smcSamplerAsync}). */
export async function annealedImportanceSamplingAsync(target: Energy, options: AnnealedImportanceSamplingOptions): Promise<SmcResult> {
  checkAisSchedule(options);
  return runHostReadsAsync(runSmc(target, options, false));
}

function* runSmc(target: Energy, options: SmcOptions, resample: boolean): HostReads<SmcResult> {
  const { prior, rng } = options ?? ({} as SmcOptions);
  if (!prior || typeof prior.sample !== 'function' || typeof prior.logProb !== 'function') {
    throw new BoltzflowError('INVALID_CONFIG', 'SMC needs a prior distribution', {
      argument: 'prior',
      expected: 'Distribution with sample and logProb',
      received: typeof prior,
    });
  }
  if (prior.dim !== target.dim)
    throw new BoltzflowError('INVALID_SHAPE', 'Prior and energy dimensions differ', {
      argument: 'prior',
      expected: `dim ${target.dim}`,
      received: `dim ${prior.dim}`,
    });
  if (!rng || typeof rng.uniform !== 'function')
    throw new BoltzflowError('INVALID_VALUE', 'SMC needs a random stream', { argument: 'rng', expected: 'Rng', received: typeof rng });
  if (typeof options.kernel !== 'function')
    throw new BoltzflowError('INVALID_CONFIG', 'SMC needs a kernel factory', {
      argument: 'kernel',
      expected: '(energy, { stepSize }) => Kernel',
      received: typeof options.kernel,
    });
  const N = options.particles;
  assertInteger(N, 'particles', 2);
  const mcmcSteps = options.mcmcSteps ?? 5;
  assertInteger(mcmcSteps, 'mcmcSteps', 0);
  const schedule = options.schedule ?? 'adaptive';
  if (schedule !== 'adaptive') checkSchedule(schedule as readonly number[]);
  if (options.resampling !== undefined) {
    assertOneOf(options.resampling, ['systematic', 'multinomial'], 'resampling', { code: 'INVALID_CONFIG', message: 'Unknown resampling scheme' });
  }
  const targetEss = options.targetEss ?? 0.5;
  assertProbability(targetEss, 'targetEss', true);
  let eps = options.initialStepSize ?? 0.1;
  assertPositive(eps, 'initialStepSize');
  const maxStages = options.maxStages ?? 1000;
  assertInteger(maxStages, 'maxStages', 1);
  const kind = (options.kernel(tempered(target, prior, 0), { stepSize: eps }) as { kind?: string }).kind;
  const acceptTarget = options.targetAcceptance ?? (kind !== undefined ? DEFAULT_TARGET_ACCEPTANCE[kind] : undefined) ?? 0.5;
  assertProbability(acceptTarget, 'targetAcceptance', true);

  let x = prior.sample(N, rng);
  let evaluations = 0;
  /** ℓ = −u − log q at the current particles (host). */
  const ell = function* (pts: tf.Tensor2D): HostReads<Float64Array> {
    const t = tf.tidy(() => tf.neg(tf.add(target.energy(pts), prior.logProb(pts))));
    let v: Float64Array;
    try {
      v = Float64Array.from(yield t);
    } finally {
      t.dispose();
    }
    evaluations += N;
    for (let i = 0; i < N; i++) if (Number.isNaN(v[i])) v[i] = -Infinity;
    return v;
  };
  let l: Float64Array;
  try {
    l = yield* ell(x);
  } catch (e) {
    x.dispose();
    throw e;
  }
  let logW = new Float64Array(N); // log weights carried (AIS: the whole path; SMC: since the last resampling)
  let eve = Int32Array.from({ length: N }, (_, i) => i);
  let logZ = 0;
  let beta = 0;
  const betas = [0];
  const essList: number[] = [];
  const acceptance: number[] = [];
  const stepSizes: number[] = [];
  let resamplings = 0;
  const fixed = schedule === 'adaptive' ? undefined : (schedule as readonly number[]);
  try {
    for (let stage = 1; ; stage++) {
      if (fixed ? stage >= fixed.length : beta >= 1) break;
      if (!fixed && stage > maxStages)
        throw new BoltzflowError('NOT_CONVERGED', 'Adaptive tempering did not reach β = 1', {
          argument: 'maxStages',
          expected: 'β = 1 within maxStages',
          received: `β = ${beta} after ${maxStages}`,
        });
      // Normalised current weights (uniform after resampling).
      const lwn = (() => {
        const z = logSumExp(logW);
        return logW.map((v) => v - z);
      })();
      const incr = (b: number) => {
        const out = new Float64Array(N);
        for (let i = 0; i < N; i++) out[i] = lwn[i] + (b - beta) * l[i];
        return out;
      };
      let next: number;
      if (fixed) next = fixed[stage];
      else {
        // Conditional ESS (Σ W_i w_i)² / Σ W_i w_i² with W normalised: monotone decreasing in β′.
        const cess = (b: number) => {
          const lin = new Float64Array(N);
          const sq = new Float64Array(N);
          for (let i = 0; i < N; i++) {
            lin[i] = lwn[i] + (b - beta) * l[i];
            sq[i] = lwn[i] + 2 * (b - beta) * l[i];
          }
          const v = Math.exp(2 * logSumExp(lin) - logSumExp(sq));
          return Number.isFinite(v) ? v : 0;
        };
        if (cess(1) >= targetEss) next = 1;
        else {
          let lo = beta;
          let hi = 1;
          for (let it = 0; it < 60; it++) {
            const mid = 0.5 * (lo + hi);
            if (cess(mid) >= targetEss) lo = mid;
            else hi = mid;
          }
          next = Math.max(lo, beta + 1e-12);
        }
      }
      // log Z increment: log Σ_i W_i e^{Δβ ℓ_i}.
      const a = incr(next);
      logZ += logSumExp(a);
      logW = resample ? a : Float64Array.from(logW, (v, i) => v + (next - beta) * l[i]);
      beta = next;
      betas.push(beta);
      essList.push(essFraction(a));
      let pts = x;
      if (resample && (!fixed || stage < fixed.length - 1 || mcmcSteps > 0)) {
        const z = logSumExp(a);
        const idx = (options.resampling === 'systematic' ? systematicResample : multinomialResample)(
          Array.from(a, (v) => Math.exp(v - z)),
          rng,
        );
        const gathered = tf.gather(x, idx) as tf.Tensor2D;
        x.dispose();
        pts = gathered;
        l = Float64Array.from(idx, (j) => l[j]);
        eve = Int32Array.from(idx, (j) => eve[j]);
        logW = new Float64Array(N);
        resamplings++;
      }
      x = pts;
      if (mcmcSteps > 0) {
        const energyB = tempered(target, prior, beta);
        let kernel = options.kernel(energyB, { stepSize: eps });
        let state = kernel.init(x);
        evaluations += N;
        let accSum = 0;
        for (let s = 0; s < mcmcSteps; s++) {
          const { state: nextState, info } = kernel.stepReads ? yield* kernel.stepReads(state, rng) : kernel.step(state, rng);
          evaluations += info.energyEvaluations;
          disposeStateExcept(state, nextState);
          state = nextState;
          const acc = tf.tidy(() => tf.mean(info.accepted));
          let av: number;
          try {
            av = (yield acc)[0];
          } finally {
            acc.dispose();
          }
          info.accepted.dispose();
          info.logAcceptRatio.dispose();
          accSum += av;
          // Multiplicative Robbins–Monro-type tuning; the kernel at a stage only has to leave π_β invariant.
          eps *= Math.exp(av - acceptTarget);
          kernel = options.kernel(energyB, { stepSize: eps });
        }
        acceptance.push(accSum / mcmcSteps);
        stepSizes.push(eps);
        x.dispose();
        x = state.x.clone();
        disposeStateExcept(state, undefined);
        l = yield* ell(x);
      }
    }
  } catch (e) {
    x.dispose();
    throw e;
  }
  // Lee & Whiteley (2018): Var(Ẑ)/Ẑ² ≈ 1 − (N/(N−1))^{R+1} Σ_{E_i ≠ E_j} W_i W_j, R = resamplings, W the final weights.
  const z = logSumExp(logW);
  const W = logW.map((v) => Math.exp(v - z));
  const byEve = new Map<number, number>();
  let sumW2 = 0;
  for (let i = 0; i < N; i++) byEve.set(eve[i], (byEve.get(eve[i]) ?? 0) + W[i]);
  for (const s of byEve.values()) sumW2 += s * s;
  const rel = Math.max(0, 1 - Math.pow(N / (N - 1), resamplings + 1) * (1 - sumW2));
  if (!resample) logZ = logSumExp(logW) - Math.log(N);
  return {
    samples: x,
    logWeights: logW,
    logZ,
    logZError: Math.sqrt(Math.log1p(rel)),
    betas,
    ess: essList,
    acceptance,
    stepSizes,
    energyEvaluations: evaluations,
    resamplings,
  };
}
