import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { Rng } from '@boltzflow/core';
import { DoubleWell, ManyWell } from '@boltzflow/energies';
import { countTransitions, effectiveSampleSize } from '@boltzflow/estimators';
import {
  accountCosts,
  addFlag,
  MIN_TRANSITIONS,
  buildFlow,
  chainColumns,
  collectArtifacts,
  compareSamplers,
  getRecipe,
  linspace,
  recipeNames,
  round,
  samplerStreams,
  standardisation,
  trainFlow,
  type CoordinateSpec,
  type Draws,
  type SamplerOutcome,
} from '@boltzflow/samplers';
import type { Artifacts, SamplerResult } from '../results.js';
import { defineExperiment, type ExperimentOutput } from './types.js';
import { energyGrid, intParam, plotParams } from './common.js';

/**
 * Rows run when the config names none: the local baselines, the oracle rows (flow trained on exact samples) and the
 * energy-only rows fab-is and ta-is (log Z, per-well populations) and flowmc. fab-imh and bg-loop run when named (each FAB row
 * trains its own flow, ≈ 15 min at the default settings on 2 cores).
 */
export const MANY_WELL_DEFAULT_SAMPLERS = ['rwm', 'mala', 'flow-imh', 'flow-is', 'fab-is', 'ta-is', 'flowmc'] as const;

/** Random-stream layout (fixed for reproducibility; see samplerStreams). */
const STREAMS = ['rwm', 'mala', 'flow-imh', 'flow-is', 'data', 'flow'];

export const ManyWellParams = z
  .object({
    dim: z
      .number()
      .int()
      .min(2)
      .max(64)
      .refine((d) => d % 2 === 0, { message: 'even' })
      .default(32),
    /** Energy evaluations per sampler (all chains together). */
    budget: intParam(1_000, 100_000_000, 200_000),
    chains: intParam(2, 1024, 32),
    samplers: z
      .array(z.enum(recipeNames() as [string, ...string[]]))
      .min(1)
      .default([...MANY_WELL_DEFAULT_SAMPLERS]),
    rwmTargetAcceptance: z.number().gt(0).lt(1).default(0.3),
    malaTargetAcceptance: z.number().gt(0).lt(1).default(0.57),
    flow: z
      .object({ kind: z.enum(['spline', 'realnvp']).default('spline'), layers: intParam(2, 16, 2), hidden: intParam(4, 256, 32), bins: intParam(2, 32, 8) })
      .strict()
      .prefault({}),
    training: z
      .object({
        /** Exact i.i.d. training samples (the stand-in for MCMC data). */
        samples: intParam(256, 1_000_000, 20_000),
        steps: intParam(1, 100_000, 800),
        batchSize: intParam(8, 8192, 256),
        learningRate: z.number().positive().max(1).default(5e-3),
        klWeight: z.number().min(0).default(0),
      })
      .strict()
      .prefault({}),
    flowMcmc: z
      .object({ flowProbability: z.number().min(0).max(1).default(0.5), localStepSize: z.number().positive().default(0.2) })
      .strict()
      .prefault({}),
    /**
     * The energy-only rows' FAB training (fab-is, fab-imh; fab-imh adds its local-move settings). Unlike flow-imh /
     * flow-is, whose flow trains on exact samples (oracle rows), these see nothing but the energy.
     */
    fab: getRecipe('fab-imh').schema.prefault({}),
    /** The energy-only row ta-is: temperature-annealed training (TA-BG, reverse KL at T₀ then reweighting down to T = 1). */
    ta: getRecipe('ta-is').schema.prefault({}),
    /** The energy-only adaptive loop (flowmc, bg-loop): local moves + a flow refit on the chains, counted as setup. */
    globalLocal: getRecipe('flowmc').schema.prefault({}),
    /** Flow samples for the importance-sampling log Z estimate; default: the equal budget. */
    isSamples: z.number().int().min(100).max(10_000_000).optional(),
    plot: plotParams(),
  })
  .strict();

export type ManyWellParamsT = z.infer<typeof ManyWellParams>;

/**
 * Exact i.i.d. samples of ManyWell: each 2D well is independent; x₁ by inverse CDF of exp(−u₁(x₁)) on a fine grid
 * (trapezoid CDF, linear inside a cell), x₂ ~ N(0, 1/d).
 */
export function exactManyWellSamples(energy: ManyWell, n: number, rng: Rng, cells = 20_000): Float32Array {
  const { a, b, c, d } = energy.well.coefficients();
  const u1 = (t: number) => a * t + b * t * t + c * t ** 4;
  const L = 5;
  const h = (2 * L) / cells;
  const grid = Float64Array.from({ length: cells + 1 }, (_, i) => -L + i * h);
  const lu = grid.map((t) => -u1(t));
  const m = Math.max(...lu);
  const cdf = new Float64Array(cells + 1);
  for (let i = 1; i <= cells; i++) cdf[i] = cdf[i - 1] + 0.5 * h * (Math.exp(lu[i - 1] - m) + Math.exp(lu[i] - m));
  const total = cdf[cells];
  const sd2 = 1 / Math.sqrt(d);
  const out = new Float32Array(n * energy.dim);
  for (let s = 0; s < n; s++)
    for (let w = 0; w < energy.wells; w++) {
      const t = rng.nextUniform() * total;
      let lo = 0;
      let hi = cells;
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (cdf[mid] <= t) lo = mid;
        else hi = mid;
      }
      const frac = cdf[hi] > cdf[lo] ? (t - cdf[lo]) / (cdf[hi] - cdf[lo]) : 0.5;
      out[s * energy.dim + 2 * w] = grid[lo] + frac * h;
      out[s * energy.dim + 2 * w + 1] = sd2 * rng.nextNormal();
    }
  return out;
}

/** Transitions of every well's x₁ (cores |x₁| > 1) summed over wells and chains, and the fraction of wells with x₁ > 0 per draw. */
function wellStatistics(d: Draws, wells: number): { transitions: number; positiveFraction: Float64Array[] } {
  let transitions = 0;
  for (let w = 0; w < wells; w++) for (const s of chainColumns(d, 2 * w)) transitions += countTransitions(s, { thresholds: [0], deadZone: 1 }).total;
  const [kept, chains, dim] = d.shape;
  const positiveFraction = Array.from({ length: chains }, (_, c) => {
    const out = new Float64Array(kept);
    for (let i = 0; i < kept; i++) {
      let k = 0;
      for (let w = 0; w < wells; w++) if (d.data[(i * chains + c) * dim + 2 * w] > 0) k++;
      out[i] = k / wells;
    }
    return out;
  });
  return { transitions, positiveFraction };
}

/**
 * Per-well P(x₁ > 0) of importance-weighted samples `[n, 1, dim]` (self-normalised, delta-method standard error
 * √(Σ wᵢ²(Iᵢ − P̂)²)/Σ wᵢ), and the largest |P̂ − exact| in standard errors over the wells.
 */
export function weightedWellPopulations(
  d: Draws,
  logWeights: ArrayLike<number>,
  wells: number,
  exact: number,
): { p: number[]; stderr: number[]; maxZ: number; within3: number } {
  const [n, , dim] = d.shape;
  let m = -Infinity;
  for (let i = 0; i < n; i++) if (logWeights[i] > m) m = logWeights[i];
  const w = Float64Array.from({ length: n }, (_, i) => (Number.isFinite(logWeights[i]) ? Math.exp(logWeights[i] - m) : 0));
  const sw = w.reduce((a, b) => a + b, 0);
  const p: number[] = [];
  const stderr: number[] = [];
  let maxZ = 0;
  let within3 = 0;
  for (let k = 0; k < wells; k++) {
    let num = 0;
    for (let i = 0; i < n; i++) if (d.data[i * dim + 2 * k] > 0) num += w[i];
    const pk = num / sw;
    let v = 0;
    for (let i = 0; i < n; i++) v += w[i] ** 2 * ((d.data[i * dim + 2 * k] > 0 ? 1 : 0) - pk) ** 2;
    const se = Math.sqrt(v) / sw;
    // A well whose weighted samples all lie on one side has no error estimate: |z| is unbounded unless P̂ is exact.
    const z = se > 1e-9 ? Math.abs(pk - exact) / se : Math.abs(pk - exact) < 1e-9 ? 0 : Infinity;
    if (z <= 3) within3++;
    maxZ = Math.max(maxZ, z);
    p.push(pk);
    stderr.push(se);
  }
  return { p, stderr, maxZ, within3 };
}

/**
 * Per-well P(x₁ > 0) of MCMC draws `[kept, chains, dim]` (all draws pooled) with stderr √(P̂(1−P̂)/ESS), ESS the
 * multi-chain ESS of the well's indicator (capped at the well's flips, cores |x₁| > 1, when those are below 20, as
 * the row's ESS), and the largest |P̂ − exact| in standard errors over the wells.
 */
export function chainWellPopulations(d: Draws, wells: number, exact: number): { p: number[]; stderr: number[]; maxZ: number; within3: number } {
  const p: number[] = [];
  const stderr: number[] = [];
  let maxZ = 0;
  let within3 = 0;
  for (let w = 0; w < wells; w++) {
    const x1 = chainColumns(d, 2 * w);
    const indicator = x1.map((s) => Float64Array.from(s, (v) => (v > 0 ? 1 : 0)));
    let n = 0;
    let k = 0;
    for (const s of indicator) for (const v of s) (n += 1), (k += v);
    const pw = k / n;
    const flips = x1.reduce((a, s) => a + countTransitions(s, { thresholds: [0], deadZone: 1 }).total, 0);
    const essStan = ess(indicator) ?? 0;
    const e = flips < 20 ? Math.min(essStan, flips) : essStan;
    const se = e > 0 ? Math.sqrt((pw * (1 - pw)) / e) : Infinity;
    // A well with no effective sample (never flipped) is not estimable: unbounded |z|, not "within 3 s.e.".
    const z = !Number.isFinite(se) ? Infinity : se > 1e-9 ? Math.abs(pw - exact) / se : Math.abs(pw - exact) < 1e-9 ? 0 : Infinity;
    if (z <= 3) within3++;
    maxZ = Math.max(maxZ, z);
    p.push(pw);
    stderr.push(se);
  }
  return { p, stderr, maxZ, within3 };
}

function ess(series: Float64Array[]): number | null {
  try {
    const v = effectiveSampleSize(series);
    return Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}

export const manyWell32 = defineExperiment<ManyWellParamsT>({
  name: 'many-well-32',
  description:
    'FAB many-well, d = 32 (2¹⁶ modes): local MCMC vs a flow trained on exact samples (independence MH + local moves, importance sampling); log Z against the exact value',
  params: ManyWellParams as z.ZodType<ManyWellParamsT>,
  baseParams: {
    // FAB (Midgley et al. 2023) from the energy alone: one start point, so the initial flow is widened to σ = 2 per
    // coordinate (wells at x₁ ≈ ±1.7); HMC AIS with 4 intermediate distributions and 3 leapfrog steps (≈ 0.5 s per
    // gradient step on 2 cores at batch 256).
    fab: { trainSteps: 1500, batchSize: 256, intermediateDistributions: 4, leapfrogSteps: 3, layers: 8, hidden: 64, initialScale: 2, learningRate: 5e-4 },
    // TA-BG from the energy alone (tuned 2026-12-03, BENCHMARKS.md "Temperature-annealed training"): the oracle rows'
    // flow size (spline 2 × 32, 8 bins), reverse KL at T₀ = 8 (4000 steps: with 2000 the first buffers' ESS fraction was
    // ≈ 0.015 and seed 2 collapsed), then 22 geometric steps down (ratio ≈ 1.1) with 150 ML steps on each buffer of
    // 20 000 resampled by weight (≈ 5 min on 2 cores).
    ta: {
      kind: 'spline',
      layers: 2,
      hidden: 32,
      bins: 8,
      bound: 4,
      initialScale: 2,
      initialTemperature: 8,
      levels: 22,
      klSteps: 4000,
      bufferSize: 20_000,
      stepsPerTemperature: 150,
      learningRate: 5e-3,
    },
    // flowmc from the energy alone (run it with chains ≥ 256: the flow learns the wells' product structure from the
    // chains' sign patterns): chains start overdispersed, N(0, 2²) per coordinate (both sides of every well's
    // barrier, x₁ ≈ ±1.7, in roughly equal numbers — not the exact 0.84 / 0.16), relaxed by 50 capped steepest-descent
    // steps (≤ 0.1 per coordinate, out of the quartic walls) and burnt in by 50 MALA steps, all counted as setup.
    globalLocal: {
      localKernel: 'mala',
      // the mala row's adapted step is ≈ 0.02 (u'' ≈ 23 at the well minima: τ = 0.1 made the local moves accept < 0.1 %)
      localStepSize: 0.02,
      localSteps: 50,
      globalSteps: 50,
      trainingLoops: 10,
      trainStepsPerLoop: 200,
      learningRate: 2e-3,
      // the oracle rows' flow kind (rational-quadratic splines, here 4 × 64): RealNVP 6 × 64 reached global
      // acceptance 0.017 and per-well P(x₁ > 0) from 0.03 to 0.99 at 256 chains (2026-12-03, BENCHMARKS.md)
      flowKind: 'spline',
      layers: 4,
      hidden: 64,
      bound: 4,
      maxTrainingSamples: 50_000,
      // log Z by importance sampling with the frozen flow, out of the sampling budget
      logZSamples: 20_000,
      start: 'overdispersed',
      startScale: 2,
      relaxSteps: 50,
      relaxMaxStep: 0.1,
      burnInSteps: 50,
    },
  },
  quickParams: {
    budget: 8_000,
    chains: 16,
    training: { samples: 2_000, steps: 40, batchSize: 256, learningRate: 5e-3 },
    // FAB's training takes minutes even when small: quick runs keep flowmc (few loops) and leave fab-is to full runs.
    samplers: ['rwm', 'mala', 'flow-imh', 'flow-is', 'flowmc'],
    globalLocal: { trainingLoops: 3, trainStepsPerLoop: 40, localSteps: 20, globalSteps: 10, logZSamples: 1000 },
    plot: { samplesPerSampler: 300, tracePoints: 400, acfLags: 60 },
  },
  tinyParams: {
    dim: 4,
    budget: 1_000,
    chains: 4,
    flow: { layers: 2, hidden: 4, bins: 4 },
    training: { samples: 256, steps: 3, batchSize: 32 },
    samplers: [...MANY_WELL_DEFAULT_SAMPLERS, 'fab-imh', 'bg-loop'],
    fab: { trainSteps: 4, batchSize: 16, intermediateDistributions: 2, leapfrogSteps: 2, layers: 2, hidden: 4 },
    ta: { klSteps: 3, klBatchSize: 16, levels: 2, bufferSize: 64, stepsPerTemperature: 2, batchSize: 16, layers: 2, hidden: 4 },
    globalLocal: {
      localSteps: 5,
      globalSteps: 2,
      trainingLoops: 2,
      trainStepsPerLoop: 2,
      layers: 2,
      hidden: 4,
      relaxSteps: 2,
      burnInSteps: 2,
      logZSamples: 100,
    },
    plot: { samplesPerSampler: 20, tracePoints: 20, acfLags: 5 },
  },
  async run(params, ctx): Promise<ExperimentOutput> {
    const energy = new ManyWell({ dim: params.dim });
    const well = new DoubleWell();
    const exactLogZ = energy.logZ();
    const exactDeltaF = well.deltaF();
    // Every well is the same 2D double well: P(x₁ > 0) = 1 / (1 + exp(ΔF)).
    const exactPositive = 1 / (1 + Math.exp(exactDeltaF));
    const profileX = linspace(-2.75, 2.75, 111);
    const exact = well.freeEnergyProfile(profileX);
    const spec: CoordinateSpec = {
      index: 0,
      name: 'x₁ (first well)',
      threshold: 0,
      deadZone: 1,
      profileEdges: linspace(-2.75, 2.75, 45),
      profileMin: Math.min(...exact.f),
      referenceDeltaF: exactDeltaF,
    };
    ctx.progress.log(`exact log Z = ${exactLogZ.toFixed(5)} (${energy.wells} × 1D quadrature), ΔF(first well) = ${exactDeltaF.toFixed(4)} kT`);
    const { budget, chains, plot } = params;
    const streams = samplerStreams(ctx.rng, STREAMS);
    const dataRng = streams('data');
    const flowRng = streams('flow');
    const samplers: SamplerResult[] = [];
    const artifacts: Artifacts = {
      energyGrid: await energyGrid(well, [-3, 3], [-3.5, 3.5], 61),
      sampleAxes: ['x₁ (first well)', 'x₂ (first well)'],
      profiles: {
        coordinate: 'x₁ (first well)',
        exact: { x: Array.from(exact.x, (v) => round(v, 6)), f: Array.from(exact.f, (v) => round(v, 6)) },
        samplers: [],
      },
    };
    // Every chain starts at the same exact sample (in equilibrium, so no burn-in; one start, so the starting points
    // carry no information about the well populations: what the ESS counts comes from the sampler's own moves).
    const start = exactManyWellSamples(energy, 1, dataRng);

    const wellPopulations: Record<string, { p: number[]; stderr: number[] }> = {};
    const recordChain = (o: SamplerOutcome): void => {
      const stats = wellStatistics(o.draws!, energy.wells);
      const r = o.result;
      const firstWell = r.transitions;
      r.transitions = stats.transitions;
      // The ESS that matters here is that of the well populations: the fraction of wells with x₁ > 0. Without a single
      // well flip every chain is constant in it and it carries no information (ESS 0).
      // With few flips the autocorrelation estimate is unreliable (it reads the one flip as fast decorrelation); a
      // two-state process with T flips carries about T independent indicator values, so cap at flips per well.
      const essStan = ess(stats.positiveFraction) ?? 0;
      const flipsPerWell = stats.transitions / energy.wells;
      const capped = flipsPerWell < 20 && essStan > flipsPerWell;
      const essFrac = capped ? flipsPerWell : essStan;
      const [kept, nChains] = o.draws!.shape;
      const essX1 = r.ess;
      r.ess = essFrac;
      accountCosts(r);
      if (stats.transitions < MIN_TRANSITIONS) addFlag(r, 'few-transitions');
      r.iact = essFrac > 0 ? (r.energyEvaluations / (kept * nChains)) * ((kept * nChains) / essFrac) : null;
      const pops = chainWellPopulations(o.draws!, energy.wells, exactPositive);
      wellPopulations[r.sampler] = { p: pops.p.map((v) => round(v, 5)), stderr: pops.stderr.map((v) => round(v, 5)) };
      r.metrics = {
        ...(r.metrics ?? {}),
        wellPositiveFractionMin: round(Math.min(...pops.p), 5),
        wellPositiveFractionMax: round(Math.max(...pops.p), 5),
        wellsWithin3Stderr: pops.within3,
        wellMaxAbsZ: Number.isFinite(pops.maxZ) ? round(pops.maxZ, 3) : null,
        transitionsFirstWell: firstWell,
        essX1FirstWell: round(essX1, 3),
        essStanPositiveFraction: round(essStan, 3),
        // flowmc with globalLocal.logZSamples: importance-sampling log Z of its frozen flow (set by the recipe)
        logZ: r.metrics?.logZ ?? null,
      };
      r.notes = [
        ...(r.notes ?? []),
        'ess / iact: multi-chain ESS of the fraction of wells with x₁ > 0 (all chains start at one common exact sample); transitions: well switches of all d/2 wells summed (cores |x₁| > 1); ΔF, profile and traces: x₁ of the first well.',
        ...(capped
          ? [
              `Only ${stats.transitions} well flips: the autocorrelation ESS (${essStan.toFixed(1)}) is unreliable; ESS capped at flips per well (${flipsPerWell.toFixed(3)}).`,
            ]
          : []),
        ...(essFrac === 0 ? ['No well flipped in any chain: the well populations are not estimable from this run (ESS 0).'] : []),
        `Per-well P(x₁ > 0) over all draws (exact ${exactPositive.toFixed(5)}), stderr √(P̂(1−P̂)/ESS) with the multi-chain ESS of each well's indicator (capped at that well's flips when below 20), in artifacts.extra.wellPopulations; wellsWithin3Stderr of ${energy.wells}.`,
      ];
      ctx.progress.log(
        `  ${r.sampler}: ESS ${r.ess.toFixed(1)} (${r.essPerEnergyEvaluation.toExponential(2)}/eval), transitions ${r.transitions}, acceptance ${r.acceptanceRate?.toFixed(3)}`,
      );
    };

    let training: ExperimentOutput['training'];
    const perRecipe: Record<string, unknown> = {
      rwm: { targetAcceptance: params.rwmTargetAcceptance, initialStepSize: 0.2 },
      mala: { targetAcceptance: params.malaTargetAcceptance, initialStepSize: 0.2 },
      'flow-imh': { ...params.flowMcmc, burnIn: false },
      'flow-is': params.isSamples !== undefined ? { samples: params.isSamples } : {},
      'fab-is': (({ flowProbability: _p, localStepSize: _s, kernelChoice: _k, ...fab }) => fab)(params.fab as Record<string, unknown>),
      'fab-imh': params.fab,
      'ta-is': { ...params.ta, ...(params.isSamples !== undefined && params.ta.samples === undefined ? { samples: params.isSamples } : {}) },
      flowmc: params.globalLocal,
      'bg-loop': params.globalLocal,
    };
    const outcomes = await compareSamplers(
      energy,
      [...new Set(params.samplers)].map((name) => ({ name, params: perRecipe[name] })),
      {
        budget: { evaluations: budget, chains, warmup: Math.max(50, Math.round(budget / chains / 10)) },
        streams,
        target: {
          spec,
          plot,
          start: () => tf.tidy(() => tf.tile(tf.tensor2d(start, [1, energy.dim]), [chains, 1]) as tf.Tensor2D),
          // The adaptive loop's overdispersed starts (globalLocal.start): N(0, startScale²) per coordinate, around the
          // barrier tops rather than the one exact sample.
          overdispersedStart: (n, rng) => tf.tidy(() => tf.mul(rng.normal([n, energy.dim]), params.globalLocal.startScale) as tf.Tensor2D),
          referenceLogZ: exactLogZ,
        },
        progress: ctx.progress,
        flow: async () => {
          const data = exactManyWellSamples(energy, params.training.samples, dataRng);
          const std = standardisation(data, energy.dim);
          const flow = buildFlow(
            energy.dim,
            { kind: params.flow.kind, layers: params.flow.layers, hidden: params.flow.hidden, bins: params.flow.bins, bound: 4, ...std },
            flowRng,
          );
          const dataT = tf.tensor2d(data, [params.training.samples, energy.dim]);
          const trained = await trainFlow(flow, dataT, energy, params.training, flowRng, ctx, params.training.klWeight > 0 ? 'ML + KL' : 'ML (exact samples)');
          dataT.dispose();
          training = trained.training;
          artifacts.training = trained.curve;
          ctx.progress.log(`  flow trained: ${training.steps} steps in ${training.wallSeconds.toFixed(1)} s, final loss ${training.finalLoss?.toFixed(3)}`);
          return { flow, setupEnergyEvaluations: training.energyEvaluations, trainingData: 'exact', dispose: () => flow.dispose() };
        },
      },
    );
    for (const o of outcomes) {
      const r = o.result;
      if (o.logWeights) {
        const pops = weightedWellPopulations(o.draws!, o.logWeights, energy.wells, exactPositive);
        r.metrics = {
          ...(r.metrics ?? {}),
          wellPositiveFractionMin: round(Math.min(...pops.p), 5),
          wellPositiveFractionMax: round(Math.max(...pops.p), 5),
          wellsWithin3Stderr: pops.within3,
          wellMaxAbsZ: Number.isFinite(pops.maxZ) ? round(pops.maxZ, 3) : null,
        };
        r.notes = [
          ...(r.notes ?? []),
          'ESS: Kish ESS of the weights (all coordinates at once).',
          `Per-well P(x₁ > 0) (self-normalised weights; exact ${exactPositive.toFixed(5)}) in artifacts.extra.wellPopulations; wellsWithin3Stderr of ${energy.wells}.`,
        ];
        wellPopulations[r.sampler] = { p: pops.p.map((v) => round(v, 5)), stderr: pops.stderr.map((v) => round(v, 5)) };
        ctx.progress.log(
          `  ${r.sampler}: Kish ESS ${r.ess.toFixed(1)} / ${r.energyEvaluations}, log Z ${r.metrics?.logZ} ± ${r.metrics?.logZStderr} (exact ${exactLogZ.toFixed(4)}, error ${r.metrics?.logZError}), wells within 3 s.e. ${pops.within3}/${energy.wells} (max |z| ${pops.maxZ.toFixed(2)})`,
        );
      } else recordChain(o);
      samplers.push(r);
      collectArtifacts(artifacts, o);
    }
    const byName = new Map(samplers.map((s) => [s.sampler, s] as const));
    const ratio = (a: string, b: string) => {
      const x = byName.get(a)?.essPerEnergyEvaluation;
      const y = byName.get(b)?.essPerEnergyEvaluation;
      return x && y ? x / y : null;
    };
    artifacts.extra = {
      exactLogZ,
      exactWellPositiveFraction: exactPositive,
      wellPopulations,
      essPerEvaluationRatio: {
        'flow-imh/rwm': ratio('flow-imh', 'rwm'),
        'flow-imh/mala': ratio('flow-imh', 'mala'),
        'flow-is/rwm': ratio('flow-is', 'rwm'),
        'fab-is/rwm': ratio('fab-is', 'rwm'),
        'ta-is/rwm': ratio('ta-is', 'rwm'),
        'flowmc/rwm': ratio('flowmc', 'rwm'),
      },
      trainingData: `${params.training.samples} exact i.i.d. samples (per-well inverse CDF of x₁ on a 20 000-cell grid, x₂ Gaussian) — the stand-in for MCMC data`,
    };
    const r = ratio('flow-imh', 'rwm');
    if (r !== null) ctx.progress.log(`ESS per energy evaluation, flow-imh / rwm = ${r.toExponential(2)}`);
    return {
      reference: {
        logZ: exactLogZ,
        deltaF: exactDeltaF,
        method: 'quadrature',
        definition: `log Z = (d/2)·log Z_DW (1D quadrature, exact); ΔF = F(x₁>0) − F(x₁<0) of the first well, in kT`,
      },
      samplers,
      skipped: [],
      artifacts,
      ...(training ? { training } : {}),
    };
  },
});
