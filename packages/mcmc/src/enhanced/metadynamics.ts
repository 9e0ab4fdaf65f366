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
  type Kernel,
  type Rng,
} from '@boltzflow/core';
import { disposeStateExcept } from '../kernels/sampleChain.js';
import { biasedEnergy, binEdges, evalCV, type BinSpec, type CollectiveVariable } from './collectiveVariable.js';

/** Options of {@link metadynamics}. */
export interface MetadynamicsOptions {
  cv: CollectiveVariable;
  /** Initial hill height h₀ (kT). */
  hillHeight: number;
  /** Hill standard deviation σ on ξ. */
  hillWidth: number;
  /** Deposit a hill every this many kernel steps. */
  depositEvery: number;
  /** Well-tempered bias factor γ > 1: hills shrink as h₀ e^{−V(ξ)/((γ−1)kT)}, F = −γ/(γ−1)·V. Omit for plain metadynamics (F = −V). */
  biasFactor?: number;
  /** Kernel on the current biased energy (rebuilt after every deposit). */
  kernel: (biased: Energy) => Kernel<ChainState>;
  steps: number;
  /** Grid on ξ where F is reported. */
  grid: BinSpec;
  /** Walkers `[walkers, dim]`: each walker builds its own, independent bias. */
  x0: tf.Tensor2D;
  rng: Rng;
  /** Called every 500 steps and at the end with the steps done and the total. */
  onProgress?: (step: number, total: number) => void;
}

/** What {@link metadynamics} returns. */
export interface MetadynamicsResult {
  /** Grid points ξ_g (bin centres of `grid`). */
  grid: number[];
  /** Mean over walkers of F_w(ξ_g) − min F_w, kT. */
  freeEnergy: number[];
  /** Standard error over the independent walkers (spread / √walkers). */
  freeEnergyError: number[];
  /** F per walker on the grid, each shifted to minimum 0. */
  walkerFreeEnergy: number[][];
  /** Final bias V_w(ξ_g) per walker. */
  bias: number[][];
  /** Hills per walker: centres and heights. */
  hills: { centers: number[]; heights: number[] }[];
  acceptance: number;
  energyEvaluations: number;
  wallSeconds: number;
}

/**
 * (Well-tempered) metadynamics (Laio & Parrinello 2002; Barducci, Bussi & Parrinello 2008) with Gaussian hills on ξ.
 * Each row of `x0` is an independent walker with its own bias, all advanced as one batch; the free-energy error is the
 * spread between walkers. The kernel is rebuilt (and its state re-initialised, one evaluation per walker) after every
 * deposit because its cached energies change with the bias. Reads the device synchronously (one `[walkers]` download
 * per deposit, one scalar at the end, plus the kernel's own reads); {@link metadynamicsAsync} is the same run with
 * asynchronous reads.
 */
export function metadynamics(target: Energy, options: MetadynamicsOptions): MetadynamicsResult {
  return runHostReadsSync(metadynamicsReads(target, options));
}

/**
 * {@link metadynamics} with asynchronous device → host reads (`await data()`): the same ops in the same order, so a
 * seed gives bit-identical results, and it runs where synchronous reads are unavailable (WebGPU in Node).
 */
export function metadynamicsAsync(target: Energy, options: MetadynamicsOptions): Promise<MetadynamicsResult> {
  return runHostReadsAsync(metadynamicsReads(target, options));
}

/** The run of {@link metadynamics} written once, pausing at each host read (driven by `runHostReadsSync`/`Async`). */
export function* metadynamicsReads(target: Energy, options: MetadynamicsOptions): HostReads<MetadynamicsResult> {
  const t0 = performance.now();
  const { cv } = options;
  assertPositive(options.hillHeight, 'hillHeight');
  assertPositive(options.hillWidth, 'hillWidth');
  assertInteger(options.depositEvery, 'depositEvery', 1);
  assertInteger(options.steps, 'steps', 1);
  const gamma = options.biasFactor;
  if (gamma !== undefined && !(Number.isFinite(gamma) && gamma > 1)) {
    throw new BoltzflowError('INVALID_VALUE', 'Bias factor must exceed 1', { argument: 'biasFactor', expected: '> 1', received: String(gamma) });
  }
  assertInteger(options.grid?.count, 'grid.count', 2);
  if (!(options.grid.max > options.grid.min))
    throw new BoltzflowError('INVALID_VALUE', 'Empty grid', { argument: 'grid.max', expected: `> ${options.grid.min}`, received: String(options.grid.max) });
  const walkers = options.x0.shape[0];
  const h0 = options.hillHeight;
  const s2 = 2 * options.hillWidth * options.hillWidth;
  const centers: number[][] = Array.from({ length: walkers }, () => []);
  const heights: number[][] = Array.from({ length: walkers }, () => []);
  const biasAt = (w: number, xi: number) => {
    let v = 0;
    const c = centers[w];
    const h = heights[w];
    for (let i = 0; i < c.length; i++) v += h[i] * Math.exp(-((xi - c[i]) ** 2) / s2);
    return v;
  };

  const makeKernel = (): Kernel<ChainState> => {
    const H = centers[0].length;
    if (H === 0) return options.kernel(target);
    const C = tf.keep(tf.tensor2d(centers.flat(), [walkers, H]));
    const Hh = tf.keep(tf.tensor2d(heights.flat(), [walkers, H]));
    hillTensors.push(C, Hh);
    const e = biasedEnergy(
      target,
      cv,
      (xi) => {
        if (xi.shape[0] !== walkers) {
          throw new BoltzflowError('INVALID_SHAPE', 'Metadynamics energies are per walker', {
            argument: 'x',
            expected: `[${walkers}, dim]`,
            received: `[${xi.shape[0]}, …]`,
          });
        }
        return tf.sum(tf.mul(Hh, tf.exp(tf.div(tf.neg(tf.square(tf.sub(tf.expandDims(xi, 1), C))), s2))), 1) as tf.Tensor1D;
      },
      `${target.name ?? 'energy'}+metad`,
    );
    return options.kernel(e);
  };
  let hillTensors: tf.Tensor[] = [];
  const freeHills = (keep: number) => {
    const old = hillTensors.slice(0, hillTensors.length - keep);
    old.forEach((t) => t.dispose());
    hillTensors = hillTensors.slice(hillTensors.length - keep);
  };

  let kernel = makeKernel();
  let state = kernel.init(options.x0);
  let evaluations = walkers;
  let accSum: tf.Tensor = tf.scalar(0);
  const rng = options.rng;
  let accepted: number;
  try {
    // Where reads are asynchronous, init's finiteness checks are settled here, before any step runs.
    yield null;
    for (let i = 1; i <= options.steps; i++) {
      const { state: next, info } = kernel.stepReads ? yield* kernel.stepReads(state, rng) : kernel.step(state, rng);
      evaluations += info.energyEvaluations;
      disposeStateExcept(state, next);
      state = next;
      const a = tf.tidy(() => tf.add(accSum, tf.sum(info.accepted)));
      accSum.dispose();
      accSum = a;
      info.accepted.dispose();
      info.logAcceptRatio.dispose();
      if (i % options.depositEvery === 0) {
        const xiT = evalCV(cv, state.x);
        let xi: number[];
        try {
          xi = Array.from(yield xiT);
        } finally {
          xiT.dispose();
        }
        for (let w = 0; w < walkers; w++) {
          const h = gamma === undefined ? h0 : h0 * Math.exp(-biasAt(w, xi[w]) / (gamma - 1));
          centers[w].push(xi[w]);
          heights[w].push(h);
        }
        kernel = makeKernel();
        const x = state.x.clone();
        disposeStateExcept(state, undefined);
        state = kernel.init(x);
        x.dispose();
        evaluations += walkers;
        freeHills(2);
      }
      if (options.onProgress && (i % 500 === 0 || i === options.steps)) options.onProgress(i, options.steps);
    }
    accepted = (yield accSum)[0];
  } finally {
    accSum.dispose();
    disposeStateExcept(state, undefined);
    freeHills(0);
  }

  const grid = binEdges(options.grid).centers;
  const scale = gamma === undefined ? 1 : gamma / (gamma - 1);
  const bias = centers.map((_, w) => grid.map((g) => biasAt(w, g)));
  const walkerF = bias.map((V) => {
    const F = V.map((v) => -scale * v);
    const m = Math.min(...F);
    return F.map((f) => f - m);
  });
  const G = grid.length;
  const mean = new Array<number>(G).fill(0);
  const err = new Array<number>(G).fill(NaN);
  for (let g = 0; g < G; g++) {
    const v = walkerF.map((F) => F[g]);
    mean[g] = v.reduce((a, b) => a + b, 0) / walkers;
    if (walkers > 1) err[g] = Math.sqrt(v.reduce((a, b) => a + (b - mean[g]) ** 2, 0) / (walkers - 1) / walkers);
  }
  return {
    grid,
    freeEnergy: mean,
    freeEnergyError: err,
    walkerFreeEnergy: walkerF,
    bias,
    hills: centers.map((c, w) => ({ centers: c, heights: heights[w] })),
    acceptance: accepted / (walkers * options.steps),
    energyEvaluations: evaluations,
    wallSeconds: (performance.now() - t0) / 1000,
  };
}
