import {
  countTransitions,
  effectiveSampleSize,
  effectiveSampleSizeStderr,
  freeEnergyProfile,
  integratedAutocorrTime,
  kishESS,
  kishESSStderr,
  multiChainAutocorrelation,
  stateFreeEnergyDifference,
} from '@boltzflow/estimators';
import type { CoordinateSpec, Draws, PlotLimits, SamplerArtifacts, SamplerOutcome, SamplerResult, TrainingData } from './types.js';
import { round } from './util.js';
import { chainColumns } from './draws.js';

/**
 * The multi-chain autocorrelation (estimators' multiChainAutocorrelation, the ρ̂_t Stan's ESS sums) at lags 0, stride,
 * 2·stride, … (at most `count` + 1 values), so that chains stuck in different wells show up as correlation that does
 * not decay, unlike a single chain's ACF. Undefined for constant or too-short chains.
 */
function laggedAutocorrelation(series: Float64Array[], stride: number, count: number): number[] | undefined {
  let rho: Float64Array;
  try {
    rho = multiChainAutocorrelation(series);
  } catch {
    return undefined;
  }
  const out: number[] = [];
  for (let k = 0; k <= count && k * stride < rho.length; k++) out.push(round(rho[k * stride], 5));
  return out;
}

function safe(fn: () => number): number | null {
  try {
    const v = fn();
    return Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}

function profileOf(values: Float64Array, logWeights: Float64Array | null, spec: CoordinateSpec, sampler: string): SamplerArtifacts['profile'] {
  try {
    const p = freeEnergyProfile(values, { edges: spec.profileEdges, ...(logWeights ? { logWeights } : {}) });
    const shift = spec.profileMin ?? 0;
    return { sampler, x: Array.from(p.centers, (c) => round(c, 6)), f: Array.from(p.F, (f) => (Number.isFinite(f) ? round(f + shift, 5) : null)) };
  } catch {
    return undefined;
  }
}

/**
 * At most `max` points spread over every chain (each chain contributes evenly spaced draws, chains in turn), so that
 * the scatter shows what all chains visited: a stride over the `[kept, chains]` flattening can land on one chain.
 */
export function pointsOf(d: Draws, max: number): [number, number][] {
  const [kept, chains, dim] = d.shape;
  const out: [number, number][] = [];
  const usedChains = Math.min(chains, max);
  const perChain = Math.min(kept, Math.floor(max / usedChains));
  for (let k = 0; k < perChain; k++)
    for (let j = 0; j < usedChains; j++) {
      const c = Math.floor((j * chains) / usedChains);
      const i = Math.floor(((k + 0.5) * kept) / perChain);
      const o = (i * chains + c) * dim;
      out.push([round(d.data[o], 4), round(d.data[o + (dim > 1 ? 1 : 0)], 4)]);
    }
  return out;
}

/** What every sampler outcome records besides its samples (shared by MCMC chains and weighted samples). */
export interface OutcomeOptions {
  sampler: string;
  description: string;
  energyEvaluations: number;
  setupEnergyEvaluations?: number;
  wallSeconds: number;
  /** Setup time outside `wallSeconds` (the shared flow's training). */
  setupWallSeconds?: number;
  trainingData?: TrainingData;
  flags?: string[];
  acceptanceRate: number | null;
  settings?: Record<string, number | string | boolean>;
  notes?: string[];
  spec: CoordinateSpec;
  plot: PlotLimits;
}

/**
 * Recomputes a row's ESS rates and totals from its ESS, evaluations and times (experiments that replace `ess` with
 * their own observable's call it again), so that the sampling and the total-cost columns always agree with each other.
 */
export function accountCosts(r: SamplerResult, setupWallSeconds = r.totalWallSeconds - r.wallSeconds): SamplerResult {
  r.totalEnergyEvaluations = r.energyEvaluations + r.setupEnergyEvaluations;
  r.totalWallSeconds = r.wallSeconds + Math.max(0, setupWallSeconds || 0);
  r.essPerEnergyEvaluation = r.energyEvaluations > 0 ? r.ess / r.energyEvaluations : 0;
  r.essPerSecond = r.wallSeconds > 0 ? r.ess / r.wallSeconds : 0;
  r.essPerTotalEnergyEvaluation = r.totalEnergyEvaluations > 0 ? r.ess / r.totalEnergyEvaluations : 0;
  r.essPerTotalSecond = r.totalWallSeconds > 0 ? r.ess / r.totalWallSeconds : 0;
  return r;
}

/** Adds `flag` to a row once. */
export function addFlag(r: Pick<SamplerResult, 'flags'>, flag: string): void {
  if (!r.flags.includes(flag)) r.flags.push(flag);
}

/** The results.json row: the shared fields from the options, the sampler-specific statistics, and ESS rates derived from them. */
function samplerResult(
  opts: OutcomeOptions,
  stats: Pick<SamplerResult, 'transitions' | 'iact' | 'ess' | 'deltaF'> & { notes: string[]; flags: string[] },
): SamplerResult {
  const { ess, notes } = stats;
  const trainingData = opts.trainingData ?? 'none';
  const r: SamplerResult = {
    sampler: opts.sampler,
    description: opts.description,
    energyEvaluations: opts.energyEvaluations,
    setupEnergyEvaluations: opts.setupEnergyEvaluations ?? 0,
    totalEnergyEvaluations: 0,
    wallSeconds: opts.wallSeconds,
    totalWallSeconds: 0,
    acceptanceRate: opts.acceptanceRate,
    transitions: stats.transitions,
    iact: stats.iact,
    ess,
    essPerEnergyEvaluation: 0,
    essPerSecond: 0,
    essPerTotalEnergyEvaluation: 0,
    essPerTotalSecond: 0,
    trainingData,
    flags: [...(opts.flags ?? [])],
    deltaF: stats.deltaF,
    ...(opts.settings ? { settings: opts.settings } : {}),
    ...(notes.length > 0 ? { notes } : {}),
  };
  for (const f of stats.flags) addFlag(r, f);
  if (!stats.deltaF) addFlag(r, 'no-deltaF');
  if (trainingData === 'exact' || trainingData === 'bundled') {
    addFlag(r, 'oracle');
    (r.notes ??= []).push(`Oracle row: the flow was trained on ${trainingData} samples; total cost excludes generating them, so it never wins on total cost.`);
  }
  return accountCosts(r, opts.setupWallSeconds ?? 0);
}

/** Fewer committed transitions than this make a chain's ΔF and its error unreliable. */
export const MIN_TRANSITIONS = 20;

/** Kish ESS below this marks importance weights as degenerate. */
export const MIN_KISH_ESS = 50;

/**
 * ΔF stderr from between-chain batch means of the state indicator: the spread of the per-chain fractions P_c(ξ >
 * threshold) over M chains (started overdispersed, in different basins) gives se(p) = sd(P_c)/√M, and the delta method
 * se(ΔF) = se(p) / (p(1 − p)). Chains stuck in their starting basin make sd(P_c) large, which an autocorrelation
 * estimate from a handful of crossings misses. Zero for a single chain.
 */
export function betweenChainStderr(indicator: Float64Array[]): number {
  const m = indicator.length;
  if (m < 2) return 0;
  const fr = indicator.map((s) => s.reduce((a, v) => a + v, 0) / Math.max(1, s.length));
  const p = fr.reduce((a, v) => a + v, 0) / m;
  if (p <= 0 || p >= 1) return 0;
  const v = fr.reduce((a, f) => a + (f - p) ** 2, 0) / (m - 1);
  return Math.sqrt(v / m) / (p * (1 - p));
}

/**
 * Metrics of a Markov chain run on the reaction coordinate: multi-chain ESS (Stan bulk) and the IACT it implies, committed
 * transitions, ΔF from the state populations with its stderr inflated by the autocorrelation of the state
 * indicator (stderr_iid · √(N / ESS_indicator), multi-chain, so chains stuck in different wells give a large error).
 */
export function mcmcOutcome(opts: OutcomeOptions & { draws: Draws }): SamplerOutcome {
  const { draws, spec, sampler } = opts;
  const [kept, chains] = draws.shape;
  const series = chainColumns(draws, spec.index);
  const n = kept * chains;
  const evalsPerDrawPerChain = opts.energyEvaluations / n;
  const notes = [...(opts.notes ?? [])];

  const ess = safe(() => effectiveSampleSize(series)) ?? 0;
  const tauRes = (() => {
    try {
      return integratedAutocorrTime(series);
    } catch {
      return undefined;
    }
  })();
  // τ from the multi-chain ESS (τ = M·N/ESS draws), so chains stuck in different wells count; in energy evaluations.
  // emcee's single-window IAT averages per-chain autocorrelations and misses that, so it only serves as a warning.
  const iact = ess > 0 ? (n / ess) * evalsPerDrawPerChain : null;
  const flags: string[] = [];
  if (tauRes && !tauRes.reliable) {
    flags.push('short-chains');
    notes.push('IACT window not reached: chains are shorter than ~50 IACTs, so IACT and ESS are lower bounds on the true correlation.');
  }

  let transitions = 0;
  for (const s of series) transitions += countTransitions(s, { thresholds: [spec.threshold], deadZone: spec.deadZone }).total;
  if (transitions < MIN_TRANSITIONS) {
    flags.push('few-transitions');
    notes.push(`unreliable: ${transitions} transitions (fewer than ${MIN_TRANSITIONS}): ΔF and its error rest on a handful of barrier crossings.`);
  }

  const pooled = new Float64Array(n);
  series.forEach((s, c) => pooled.set(s, c * kept));
  let deltaF: SamplerResult['deltaF'] = null;
  const df = (() => {
    try {
      return stateFreeEnergyDifference(pooled, null, spec.threshold);
    } catch {
      return undefined;
    }
  })();
  if (df && Number.isFinite(df.deltaF)) {
    const indicator = series.map((s) => s.map((v) => (v > spec.threshold ? 1 : 0)));
    const essInd = safe(() => effectiveSampleSize(indicator, { method: 'basic' }));
    if (essInd !== null && essInd > 0 && Number.isFinite(df.stderr)) {
      const fromIact = df.stderr * Math.sqrt(n / Math.min(n, essInd));
      const between = betweenChainStderr(indicator);
      deltaF = { estimate: df.deltaF, stderr: Math.max(fromIact, between), ...(spec.referenceDeltaF !== undefined ? { reference: spec.referenceDeltaF } : {}) };
    }
  }
  if (!deltaF) notes.push(`ΔF not estimable: the chains never visited both sides of ${spec.name} = ${spec.threshold} in a way that allows an error estimate.`);

  const lagStride = Math.max(1, Math.floor(kept / 4 / opts.plot.acfLags));
  const acfValues = laggedAutocorrelation(series, lagStride, opts.plot.acfLags);
  const traceStride = Math.max(1, Math.ceil(kept / opts.plot.tracePoints));
  const traceVals: number[] = [];
  for (let i = 0; i < kept; i += traceStride) traceVals.push(round(series[0][i], 4));

  const result = samplerResult(opts, { transitions, iact, ess, deltaF, notes, flags });
  // The verdict's ratio interval reads this; the jackknife needs ≥ 2 chains.
  const essStderr = chains >= 2 && ess > 0 ? safe(() => effectiveSampleSizeStderr(series)) : null;
  if (essStderr !== null) result.metrics = { ...result.metrics, essStderr: round(essStderr, 4) };
  return {
    result,
    artifacts: {
      samples: { sampler, points: pointsOf(draws, opts.plot.samplesPerSampler) },
      trace: { sampler, coordinate: spec.name, evaluationsPerPoint: evalsPerDrawPerChain * traceStride, values: traceVals },
      ...(acfValues ? { acf: { sampler, evaluationsPerLag: evalsPerDrawPerChain * lagStride, values: acfValues } } : {}),
      profile: profileOf(pooled, null, spec, sampler),
    },
  };
}

/**
 * Metrics of independent weighted samples (importance sampling, SNF): Kish ESS, ΔF by self-normalised
 * importance weights with its delta-method stderr; no chain, so no transitions or IACT.
 */
export function importanceOutcome(opts: OutcomeOptions & { x: Draws; logWeights: Float64Array }): SamplerOutcome {
  const { spec, sampler } = opts;
  const coord = chainColumns(opts.x, spec.index)[0];
  const kish = kishESS(opts.logWeights);
  const notes = [...(opts.notes ?? [])];
  let deltaF: SamplerResult['deltaF'] = null;
  try {
    const df = stateFreeEnergyDifference(coord, opts.logWeights, spec.threshold);
    if (Number.isFinite(df.deltaF) && Number.isFinite(df.stderr))
      deltaF = { estimate: df.deltaF, stderr: df.stderr, ...(spec.referenceDeltaF !== undefined ? { reference: spec.referenceDeltaF } : {}) };
  } catch {
    // left null below
  }
  if (!deltaF) notes.push(`ΔF not estimable: no weight on one side of ${spec.name} = ${spec.threshold} (mode not covered).`);
  const flags: string[] = [];
  if (kish.ess < MIN_KISH_ESS) {
    flags.push('degenerate-weights');
    notes.push(`Kish ESS ${kish.ess.toFixed(1)} < ${MIN_KISH_ESS}: the weights are degenerate and the ΔF error bar is not reliable.`);
  }
  const result = samplerResult(opts, {
    transitions: null,
    iact: null,
    ess: kish.ess,
    deltaF,
    notes: ['Independent weighted samples: ESS is the Kish ESS of the importance weights; no chain, so transitions and IACT do not apply.', ...notes],
    flags,
  });
  const essStderr = opts.logWeights.length >= 40 && kish.ess > 0 ? safe(() => kishESSStderr(opts.logWeights)) : null;
  if (essStderr !== null) result.metrics = { ...result.metrics, essStderr: round(essStderr, 4) };
  return {
    result,
    artifacts: {
      samples: { sampler, points: pointsOf(opts.x, opts.plot.samplesPerSampler) },
      profile: profileOf(coord, opts.logWeights, spec, sampler),
    },
  };
}

/** The figure lists a comparison collects (the app's results.json `artifacts` has these fields). */
export interface ArtifactLists {
  samples?: NonNullable<SamplerArtifacts['samples']>[];
  traces?: NonNullable<SamplerArtifacts['trace']>[];
  autocorrelation?: NonNullable<SamplerArtifacts['acf']>[];
  profiles?: { samplers: NonNullable<SamplerArtifacts['profile']>[] };
}

/** Folds per-sampler artifacts into the results' artifact lists. */
export function collectArtifacts(into: ArtifactLists, outcome: Pick<SamplerOutcome, 'artifacts'>): void {
  const a = outcome.artifacts;
  if (a.samples) (into.samples ??= []).push(a.samples);
  if (a.trace) (into.traces ??= []).push(a.trace);
  if (a.acf) (into.autocorrelation ??= []).push(a.acf);
  if (a.profile && into.profiles) into.profiles.samplers.push(a.profile);
}
