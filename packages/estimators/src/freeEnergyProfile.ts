import { assertInteger, BoltzflowError, type Rng } from '@boltzflow/core';
import { assertSameLength, toFloat64, toLogWeights, type SeriesLike } from './input.js';
import { mbar, mbarReweight } from './mbar.js';

/** Options of {@link freeEnergyProfile}. Give either `bins` (+ optional `range`) or `edges`. */
export interface FreeEnergyProfileOptions {
  /** Importance log weights of the samples (omit for unweighted, e.g. MCMC samples). */
  logWeights?: SeriesLike | null;
  /** Number of equal-width bins over `range`. Default 50 when `edges` is not given. */
  bins?: number;
  /** [lo, hi] for `bins`; default the min and max of the coordinate. */
  range?: readonly [number, number];
  /** Explicit strictly increasing bin edges (length K + 1). */
  edges?: SeriesLike;
  /**
   * MBAR instead of given log weights: the coordinate's samples are pooled from K states (`reducedEnergies[k][n]` =
   * u_k(x_n), `counts[k]` drawn from state k, e.g. umbrella windows), reweighted by {@link mbar} to the target state
   * with reduced energies `targetReducedEnergies[n]` (default all 0: the common unbiased energy when each u_k is the
   * bias alone). Not combinable with `logWeights`. The bootstrap keeps the MBAR weights fixed.
   */
  mbar?: { reducedEnergies: readonly ArrayLike<number>[]; counts: ArrayLike<number>; targetReducedEnergies?: ArrayLike<number> };
  /** Bootstrap standard errors: `samples` resamples of all N samples with replacement, drawn from `rng`. */
  bootstrap?: { samples: number; rng: Rng };
}

/** Result of {@link freeEnergyProfile}; one entry per bin. */
export interface FreeEnergyProfile {
  centers: Float64Array;
  edges: Float64Array;
  /** F_k = −log p_k (p_k the weighted probability density in bin k) in kT, shifted so that min F = 0; Infinity for bins with zero weight. */
  F: Float64Array;
  /** Standard error of F_k (bootstrap, or delta method without `bootstrap`); Infinity where it cannot be estimated. */
  stderr: Float64Array;
  /** Raw (unweighted) number of samples per bin. */
  counts: Int32Array;
  /** Weighted probability per bin (sums to 1 over the bins). */
  probabilities: Float64Array;
  /** Samples outside the edges (ignored; the profile is the density conditional on the binned range). */
  outside: number;
  stderrMethod: 'bootstrap' | 'delta';
}

function binEdges(x: Float64Array, options: FreeEnergyProfileOptions): Float64Array {
  if (options.edges !== undefined) {
    if (options.bins !== undefined) {
      throw new BoltzflowError('INVALID_CONFIG', "Give either 'bins' or 'edges', not both", { argument: 'options.bins' });
    }
    const e = toFloat64(options.edges, 'options.edges', { minLength: 2 });
    for (let i = 1; i < e.length; i++) {
      if (!(e[i] > e[i - 1]))
        throw new BoltzflowError('INVALID_CONFIG', 'Edges must be strictly increasing', {
          argument: 'options.edges',
          expected: `> ${e[i - 1]} at index ${i}`,
          received: String(e[i]),
        });
    }
    return e;
  }
  const bins = options.bins ?? 50;
  assertInteger(bins, 'options.bins', 1);
  let lo: number;
  let hi: number;
  if (options.range !== undefined) {
    [lo, hi] = options.range;
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(hi > lo)) {
      throw new BoltzflowError('INVALID_CONFIG', 'Range must be finite with lo < hi', {
        argument: 'options.range',
        expected: '[lo, hi], lo < hi',
        received: `[${lo}, ${hi}]`,
      });
    }
  } else {
    lo = Infinity;
    hi = -Infinity;
    for (const v of x) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (hi === lo) {
      lo -= 0.5;
      hi += 0.5;
    }
  }
  const e = new Float64Array(bins + 1);
  for (let i = 0; i <= bins; i++) e[i] = lo + ((hi - lo) * i) / bins;
  e[bins] = hi;
  return e;
}

/** Bin index of v in edges (last bin closed on the right, numpy convention), −1 outside. */
function binOf(v: number, e: Float64Array): number {
  const k = e.length - 1;
  if (v < e[0] || v > e[k]) return -1;
  if (v === e[k]) return k - 1;
  let a = 0;
  let b = k;
  while (b - a > 1) {
    const mid = (a + b) >> 1;
    if (v >= e[mid]) a = mid;
    else b = mid;
  }
  return a;
}

/** −log(density) per bin from weighted sums, unshifted; Infinity for empty bins. */
function negLogDensity(sums: Float64Array, widths: Float64Array): Float64Array {
  let total = 0;
  for (const s of sums) total += s;
  return sums.map((s, k) => (s > 0 ? -Math.log(s / total / widths[k]) : Infinity));
}

/**
 * Free-energy profile along a reaction coordinate, F(ξ) = −log p(ξ) in kT from a (weighted) histogram,
 * shifted so that its minimum is 0. p is the weighted density per bin, normalised over the binned range
 * (bin widths divided out, so unequal `edges` are fine). Empty bins get F = Infinity (serialised as null
 * by JSON.stringify), never NaN.
 * Standard errors: with `bootstrap`, the std over resamples of the unshifted −log p_k (using the replicates
 * in which bin k is non-empty; Infinity when fewer than two are); otherwise the delta method for the
 * self-normalised ratio, Var(log p_k) ≈ Var(w·1_k/mean(w·1_k) − w·1_in/mean(w·1_in))/N.
 * Both assume independent samples (MCMC draws need thinning or block bootstrap).
 */
export function freeEnergyProfile(coordinate: SeriesLike, options: FreeEnergyProfileOptions = {}): FreeEnergyProfile {
  const x = toFloat64(coordinate, 'coordinate');
  const n = x.length;
  let w: Float64Array;
  if (options.mbar !== undefined) {
    if (options.logWeights !== undefined && options.logWeights !== null) {
      throw new BoltzflowError('INVALID_CONFIG', "Give either 'logWeights' or 'mbar', not both", { argument: 'options.mbar' });
    }
    const { reducedEnergies, counts, targetReducedEnergies } = options.mbar;
    const fit = mbar(reducedEnergies, counts, { skipCovariance: true });
    if (fit.logDenominator.length !== n) {
      throw new BoltzflowError('INVALID_SHAPE', 'MBAR samples must be the coordinate samples', {
        argument: 'options.mbar.counts',
        expected: `Σ counts = ${n}`,
        received: String(fit.logDenominator.length),
      });
    }
    const lw = mbarReweight(fit, targetReducedEnergies ?? new Float64Array(n)).logWeights;
    let m = -Infinity;
    for (const v of lw) if (v > m) m = v;
    w = lw.map((v) => Math.exp(v - m));
  } else if (options.logWeights !== undefined && options.logWeights !== null) {
    const lw = toLogWeights(options.logWeights, 'options.logWeights');
    assertSameLength(lw, x, 'options.logWeights', 'coordinate');
    let m = -Infinity;
    for (const v of lw) if (v > m) m = v;
    w = lw.map((v) => Math.exp(v - m));
  } else w = new Float64Array(n).fill(1);
  const edges = binEdges(x, options);
  const k = edges.length - 1;
  const widths = new Float64Array(k);
  const centers = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    widths[j] = edges[j + 1] - edges[j];
    centers[j] = 0.5 * (edges[j] + edges[j + 1]);
  }
  const bin = new Int32Array(n);
  const counts = new Int32Array(k);
  const sums = new Float64Array(k);
  const sums2 = new Float64Array(k);
  let outside = 0;
  let totalW = 0;
  let totalW2 = 0;
  for (let i = 0; i < n; i++) {
    const b = binOf(x[i], edges);
    bin[i] = b;
    if (b < 0) {
      outside++;
      continue;
    }
    counts[b]++;
    sums[b] += w[i];
    sums2[b] += w[i] * w[i];
    totalW += w[i];
    totalW2 += w[i] * w[i];
  }
  if (!(totalW > 0)) {
    throw new BoltzflowError('INVALID_VALUE', 'No weighted sample falls inside the bins', {
      argument: 'coordinate',
      expected: 'samples within the edges',
      received: `${outside} of ${n} outside`,
    });
  }
  const raw = negLogDensity(sums, widths);
  let fmin = Infinity;
  for (const f of raw) if (f < fmin) fmin = f;
  const F = raw.map((f) => f - fmin);
  const probabilities = sums.map((s) => s / totalW);
  const stderr = new Float64Array(k).fill(Infinity);
  if (options.bootstrap) {
    const { samples, rng } = options.bootstrap;
    assertInteger(samples, 'options.bootstrap.samples', 2);
    if (!rng || typeof rng.nextInt !== 'function') {
      throw new BoltzflowError('INVALID_CONFIG', 'Bootstrap needs an Rng', {
        argument: 'options.bootstrap.rng',
        expected: 'Rng from createRng',
        received: typeof rng,
      });
    }
    const s1 = new Float64Array(k);
    const s2 = new Float64Array(k);
    const nf = new Int32Array(k);
    const bs = new Float64Array(k);
    for (let r = 0; r < samples; r++) {
      bs.fill(0);
      for (let i = 0; i < n; i++) {
        const j = rng.nextInt(0, n - 1);
        if (bin[j] >= 0) bs[bin[j]] += w[j];
      }
      let t = 0;
      for (const s of bs) t += s;
      if (!(t > 0)) continue;
      const f = negLogDensity(bs, widths);
      for (let j = 0; j < k; j++) {
        if (!Number.isFinite(f[j])) continue;
        nf[j]++;
        s1[j] += f[j];
        s2[j] += f[j] * f[j];
      }
    }
    for (let j = 0; j < k; j++) {
      if (nf[j] >= 2) stderr[j] = Math.sqrt(Math.max(0, (s2[j] - (s1[j] * s1[j]) / nf[j]) / (nf[j] - 1)));
    }
  } else if (n >= 2) {
    const mw = totalW / n;
    const mw2 = totalW2 / n;
    for (let j = 0; j < k; j++) {
      if (!(sums[j] > 0)) continue;
      const a = sums[j] / n;
      const a2 = sums2[j] / n;
      // E[ψ²] with ψ = w·1_k/a − w·1_in/mw, whose in-sample mean is 0
      const e2 = a2 / (a * a) - (2 * a2) / (a * mw) + mw2 / (mw * mw);
      stderr[j] = Math.sqrt((Math.max(0, e2) * (n / (n - 1))) / n);
    }
  }
  return { centers, edges, F, stderr, counts, probabilities, outside, stderrMethod: options.bootstrap ? 'bootstrap' : 'delta' };
}
