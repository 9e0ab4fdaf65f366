import * as tf from '@tensorflow/tfjs';
import {
  assertFiniteArray,
  assertInteger,
  assertOneOf,
  assertPositive,
  BoltzflowError,
  logSumExp,
  runHostReadsAsync,
  runHostReadsSync,
  type ChainState,
  type Energy,
  type HostReads,
  type Kernel,
  type Rng,
} from '@boltzflow/core';
import { disposeStateExcept, sampleChainReads, type SampleChainResult } from '../kernels/sampleChain.js';
import { biasedEnergy, binEdges, evalCV, type BinSpec, type CollectiveVariable } from './collectiveVariable.js';
import { wham, type WhamResult } from './wham.js';
import { mbar, type MbarResult } from '@boltzflow/estimators';

/** Options of {@link umbrellaSampling}. */
export interface UmbrellaSamplingOptions {
  cv: CollectiveVariable;
  /** Window centres ξ_k (sampled in this order). */
  centers: readonly number[];
  /** Spring constant κ of ½κ(ξ − ξ_k)² (kT per ξ²): one for all windows or one per window. */
  kappa: number | readonly number[];
  /** Kernel of window k on its biased energy. */
  kernel: (biased: Energy, k: number) => Kernel<ChainState>;
  stepsPerWindow: number;
  /** Steps discarded at the start of each window (default stepsPerWindow / 10). */
  burnIn?: number;
  /** Start of the first window `[chains, dim]` (later windows continue from the previous window's end), or a start per window. */
  x0: tf.Tensor2D | ((center: number, k: number) => tf.Tensor2D);
  rng: Rng;
  /** Histogram bins on ξ (default: 50 bins over the centres' range). */
  bins?: BinSpec;
  /** Block-bootstrap replicates for the error bars (default 100; 0 disables). */
  bootstrap?: number;
  /** Contiguous blocks per chain and window used by the bootstrap (default 10). */
  blocks?: number;
  whamTolerance?: number;
  /**
   * WHAM runs on bins `refine` times finer than `bins` (default 5), then sums them: histogram WHAM takes the bias at
   * the bin centre, an error of order (κ·|ξ − ξ_k|·Δξ)² that is several kT for coarse bins in the tails of stiff windows.
   */
  refine?: number;
  /**
   * How the windows are combined: 'wham' (default; histogram WHAM on the refined bins) or 'mbar' (binless MBAR on the
   * pooled ξ samples, u_k = ½κ_k(ξ − ξ_k)², then the unbiased weights histogrammed on `bins`; `refine` is unused).
   */
  estimator?: 'wham' | 'mbar';
}

/** What {@link umbrellaSampling} returns. */
export interface UmbrellaSamplingResult {
  binCenters: number[];
  binEdges: number[];
  /** F(ξ) per bin in kT, minimum 0 (Inf for bins never visited). */
  freeEnergy: number[];
  /** Block-bootstrap standard error of F(b) − F(b_ref), b_ref the bin of the minimum (its error is 0 by construction). */
  freeEnergyError: number[];
  referenceBin: number;
  /** The WHAM solution on the refined bins (computed with either estimator, as a cross-check). */
  wham: WhamResult;
  /** Which estimator gave `freeEnergy`. */
  estimator: 'wham' | 'mbar';
  /** The MBAR solution (window free energies with their covariance) when `estimator` is 'mbar'. */
  mbar?: MbarResult;
  /** ξ series per window and chain (post burn-in). */
  windowSamples: Float64Array[][];
  /** Acceptance rate per window. */
  acceptance: number[];
  energyEvaluations: number;
  wallSeconds: number;
}

/**
 * Umbrella sampling with harmonic windows ½κ(ξ(x) − ξ_k)², unbiased and combined by {@link wham}.
 * Error bars: block bootstrap — each window's ξ series is cut into `blocks` contiguous blocks per chain, blocks are
 * resampled with replacement within each window (keeping autocorrelation inside blocks), WHAM is re-run per replicate.
 * The windows run through `sampleChain` (synchronous reads); {@link umbrellaSamplingAsync} is the same run with
 * asynchronous reads.
 */
export function umbrellaSampling(target: Energy, options: UmbrellaSamplingOptions): UmbrellaSamplingResult {
  return runHostReadsSync(umbrellaSamplingReads(target, options));
}

/**
 * {@link umbrellaSampling} with asynchronous device → host reads (`await data()`, the windows run as `sampleChainAsync`
 * does): the same ops in the same order, so a seed gives bit-identical results; runs on WebGPU in Node.
 */
export function umbrellaSamplingAsync(target: Energy, options: UmbrellaSamplingOptions): Promise<UmbrellaSamplingResult> {
  return runHostReadsAsync(umbrellaSamplingReads(target, options));
}

/** The run of {@link umbrellaSampling} written once, pausing at each host read (driven by `runHostReadsSync`/`Async`). */
export function* umbrellaSamplingReads(target: Energy, options: UmbrellaSamplingOptions): HostReads<UmbrellaSamplingResult> {
  const t0 = performance.now();
  const { cv, centers } = options;
  assertFiniteArray(centers, 'centers');
  if (centers.length < 1)
    throw new BoltzflowError('INVALID_VALUE', 'Need at least one window', { argument: 'centers', expected: 'length >= 1', received: 'length 0' });
  const K = centers.length;
  const kappas = typeof options.kappa === 'number' ? new Array<number>(K).fill(options.kappa) : [...options.kappa];
  if (kappas.length !== K)
    throw new BoltzflowError('INVALID_SHAPE', 'One kappa per window', { argument: 'kappa', expected: `length ${K}`, received: `length ${kappas.length}` });
  kappas.forEach((v, i) => assertPositive(v, typeof options.kappa === 'number' ? 'kappa' : `kappa[${i}]`));
  assertInteger(options.stepsPerWindow, 'stepsPerWindow', 10);
  const burnIn = options.burnIn ?? Math.floor(options.stepsPerWindow / 10);
  assertInteger(burnIn, 'burnIn', 0);
  const nBoot = options.bootstrap ?? 100;
  assertInteger(nBoot, 'bootstrap', 0);
  const nBlocks = options.blocks ?? 10;
  assertInteger(nBlocks, 'blocks', 1);
  const lo = Math.min(...centers);
  const hi = Math.max(...centers);
  const spec = options.bins ?? { min: lo, max: hi, count: 50 };
  assertInteger(spec.count, 'bins.count', 1);
  if (!(spec.max > spec.min))
    throw new BoltzflowError('INVALID_VALUE', 'Empty bin range', { argument: 'bins.max', expected: `> ${spec.min}`, received: String(spec.max) });
  const { edges, centers: coarseCenters } = binEdges(spec);
  const estimator = options.estimator ?? 'wham';
  assertOneOf(estimator, ['wham', 'mbar'], 'estimator', { code: 'INVALID_CONFIG', message: 'Unknown umbrella-sampling estimator' });
  const refine = options.refine ?? 5;
  assertInteger(refine, 'refine', 1);
  const B = spec.count * refine;
  const bc = binEdges({ ...spec, count: B }).centers;
  const coarse = (fine: number[]): number[] => {
    const out: number[] = [];
    for (let j = 0; j < spec.count; j++) out.push(logSumExp(fine.slice(j * refine, (j + 1) * refine)));
    const m = Math.max(...out.filter((v) => v > -Infinity));
    return out.map((v) => (v === -Infinity ? Infinity : m - v));
  };
  const binOf = (v: number) => {
    const b = Math.floor(((v - spec.min) / (spec.max - spec.min)) * B);
    return b >= 0 && b < B ? b : -1;
  };

  const windowSamples: Float64Array[][] = [];
  const acceptance: number[] = [];
  let evaluations = 0;
  let carry: ChainState | undefined;
  try {
    for (let k = 0; k < K; k++) {
      const c = centers[k];
      const kap = kappas[k];
      const biased = biasedEnergy(target, cv, (xi) => tf.mul(tf.square(tf.sub(xi, c)), 0.5 * kap) as tf.Tensor1D, `${target.name ?? 'energy'}+umbrella(${c})`);
      const kernel = options.kernel(biased, k);
      let start: tf.Tensor2D;
      if (typeof options.x0 === 'function') start = options.x0(c, k);
      else start = carry ? carry.x.clone() : options.x0.clone();
      let res: SampleChainResult<ChainState>;
      try {
        res = yield* sampleChainReads(kernel, start, {
          steps: options.stepsPerWindow,
          burnIn,
          rng: options.rng,
          trace: (x) => tf.tidy(() => tf.expandDims(evalCV(cv, x), 1) as tf.Tensor2D),
        });
      } finally {
        start.dispose();
      }
      if (carry) disposeStateExcept(carry, undefined);
      carry = res.finalState;
      evaluations += res.energyEvaluations;
      acceptance.push(res.overallAcceptanceRate);
      const [, chains] = res.samples.shape;
      windowSamples.push(Array.from({ length: chains }, (_, ch) => res.samples.series(ch, 0)));
    }
  } finally {
    if (carry) disposeStateExcept(carry, undefined);
  }

  const bias = centers.map((c, k) => bc.map((x) => 0.5 * kappas[k] * (x - c) ** 2));
  // Per window, per block (over all chains): histogram counts.
  const blockCounts: number[][][] = windowSamples.map((chains) => {
    const out: number[][] = [];
    for (const s of chains) {
      const len = Math.floor(s.length / nBlocks);
      for (let j = 0; j < nBlocks; j++) {
        const h = new Array<number>(B).fill(0);
        for (let i = j * len; i < (j + 1) * len; i++) {
          const b = binOf(s[i]);
          if (b >= 0) h[b]++;
        }
        out.push(h);
      }
    }
    return out;
  });
  const sumBlocks = (blocks: number[][], pick?: number[]) => {
    const h = new Array<number>(B).fill(0);
    const idx = pick ?? blocks.map((_, i) => i);
    for (const i of idx) for (let b = 0; b < B; b++) h[b] += blocks[i][b];
    return h;
  };
  const tol = options.whamTolerance ?? 1e-8;
  const main = wham({ counts: blockCounts.map((bl) => sumBlocks(bl)), bias, tolerance: tol });
  // MBAR: the same blocks, as ξ values; a replicate is a list of picked blocks per window.
  const blockXi: Float64Array[][] = windowSamples.map((chains) => {
    const out: Float64Array[] = [];
    for (const s of chains) {
      const len = Math.floor(s.length / nBlocks);
      for (let j = 0; j < nBlocks; j++) out.push(s.subarray(j * len, (j + 1) * len));
    }
    return out;
  });
  let mbarMain: MbarResult | undefined;
  const mbarProfile = (pick?: number[][]): number[] => {
    const xs: number[] = [];
    const counts: number[] = [];
    blockXi.forEach((bl, k) => {
      const idx = pick ? pick[k] : bl.map((_, i) => i);
      let c = 0;
      for (const i of idx) for (const v of bl[i]) xs.push(v), c++;
      counts.push(c);
    });
    const u = centers.map((c, k) => xs.map((x) => 0.5 * kappas[k] * (x - c) ** 2));
    const fit = mbar(u, counts, pick ? { initialF: mbarMain?.f, skipCovariance: true, tolerance: 1e-8 } : {});
    if (!pick) mbarMain = fit;
    // Unbiased weights e^{−log D_n}; histogram them on the requested bins.
    const sums = new Array<number>(spec.count).fill(-Infinity);
    xs.forEach((x, n) => {
      const b = Math.floor(((x - spec.min) / (spec.max - spec.min)) * spec.count);
      if (b >= 0 && b < spec.count) sums[b] = logSumExp([sums[b], -fit.logDenominator[n]]);
    });
    const m = Math.max(...sums.filter((v) => v > -Infinity));
    return sums.map((v) => (v === -Infinity ? Infinity : m - v));
  };
  const F = estimator === 'mbar' ? mbarProfile() : coarse(main.logProb);
  const C = spec.count;
  let ref = 0;
  for (let b = 0; b < C; b++) if (F[b] < F[ref]) ref = b;
  const err = new Array<number>(C).fill(NaN);
  if (nBoot > 1) {
    const s1 = new Array<number>(C).fill(0);
    const s2 = new Array<number>(C).fill(0);
    const n = new Array<number>(C).fill(0);
    for (let r = 0; r < nBoot; r++) {
      let Fr: number[];
      if (estimator === 'mbar') {
        Fr = mbarProfile(blockXi.map((bl) => bl.map(() => options.rng.nextInt(0, bl.length - 1))));
      } else {
        const counts = blockCounts.map((bl) =>
          sumBlocks(
            bl,
            bl.map(() => options.rng.nextInt(0, bl.length - 1)),
          ),
        );
        Fr = coarse(wham({ counts, bias, tolerance: Math.max(tol, 1e-6) }).logProb);
      }
      for (let b = 0; b < C; b++) {
        const v = Fr[b] - Fr[ref];
        if (Number.isFinite(v)) {
          s1[b] += v;
          s2[b] += v * v;
          n[b]++;
        }
      }
    }
    for (let b = 0; b < C; b++) {
      // A bin that some replicates never visit is poorly determined: report Inf rather than a too-small spread.
      err[b] = n[b] === nBoot ? Math.sqrt(Math.max(0, (s2[b] - (s1[b] * s1[b]) / n[b]) / (n[b] - 1))) : Infinity;
    }
  }
  return {
    binCenters: coarseCenters,
    binEdges: edges,
    freeEnergy: F,
    freeEnergyError: err,
    referenceBin: ref,
    wham: main,
    estimator,
    ...(mbarMain ? { mbar: mbarMain } : {}),
    windowSamples,
    acceptance,
    energyEvaluations: evaluations,
    wallSeconds: (performance.now() - t0) / 1000,
  };
}
