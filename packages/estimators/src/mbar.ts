import { assertInteger, assertPositive, BoltzflowError, logSumExp } from '@boltzflow/core';
import { symmetricEigen, symmetricPseudoInverse } from './linalg.js';

/** Options of {@link mbar}. */
export interface MbarOptions {
  /** Stop when every state's weights sum to 1 within this (the gradient of MBAR's objective / N_k; default 1e-10). */
  tolerance?: number;
  /** Self-consistent iterations before the Newton finish (default 5; they stop early once the change is < 1e-4). */
  maxIterations?: number;
  /** Starting free energies (e.g. a previous solution, for bootstrap replicates); default all 0. */
  initialF?: ArrayLike<number>;
  /** Skip the K×K covariance (bootstrap replicates need only f). Default false. */
  skipCovariance?: boolean;
}

/** Result of {@link mbar}. States are indexed as in `reducedEnergies`; f[0] = 0. */
export interface MbarResult {
  /** Dimensionless free energies f_k = −log Z_k + log Z_0. */
  f: Float64Array;
  /** Δf[i][j] = f_j − f_i. */
  deltaF: number[][];
  /** Asymptotic standard error of Δf[i][j] (NaN when the covariance was skipped). */
  deltaFError: number[][];
  /** Asymptotic covariance Θ of the f_k (Kong et al. 2003; Shirts & Chodera 2008, eq. D6). */
  covariance: number[][];
  /** log Σ_k N_k exp(f_k − u_k(x_n)) per sample: the mixture denominator every reweighting uses. */
  logDenominator: Float64Array;
  iterations: number;
  newtonIterations: number;
  converged: boolean;
}

function readMatrix(u: readonly ArrayLike<number>[], counts: ArrayLike<number>): { K: number; N: number; logN: number[] } {
  const K = u?.length ?? 0;
  if (K < 1)
    throw new BoltzflowError('INVALID_SHAPE', 'Need the reduced energies of at least one state', {
      argument: 'reducedEnergies',
      expected: '[K >= 1][N]',
      received: `${K} rows`,
    });
  if (!counts || counts.length !== K) {
    throw new BoltzflowError('INVALID_SHAPE', 'One sample count per state', {
      argument: 'counts',
      expected: `length ${K}`,
      received: `length ${counts?.length}`,
    });
  }
  let N = 0;
  const logN: number[] = [];
  for (let k = 0; k < K; k++) {
    const c = counts[k];
    assertInteger(c, `counts[${k}]`, 0);
    N += c;
    logN.push(c > 0 ? Math.log(c) : -Infinity);
  }
  for (let k = 0; k < K; k++) {
    if (u[k].length !== N) {
      throw new BoltzflowError('INVALID_SHAPE', 'Every state needs the reduced energy of every sample (N = Σ counts)', {
        argument: `reducedEnergies[${k}]`,
        expected: `length ${N}`,
        received: `length ${u[k].length}`,
      });
    }
    for (let n = 0; n < N; n++) {
      if (!Number.isFinite(u[k][n]) && u[k][n] !== Infinity) {
        throw new BoltzflowError('NON_FINITE', 'Reduced energies must be finite (or +Infinity: zero density)', {
          argument: `reducedEnergies[${k}]`,
          expected: 'finite or +Infinity',
          received: `${u[k][n]} at sample ${n}`,
        });
      }
    }
  }
  if (N < 1) throw new BoltzflowError('INVALID_VALUE', 'No samples', { argument: 'counts', expected: 'Σ counts >= 1', received: '0' });
  return { K, N, logN };
}

/** log D_n = log Σ_k N_k e^{f_k − u_kn}, in place (inlined log-sum-exp: this loop is MBAR's cost). */
function logDenominators(u: readonly ArrayLike<number>[], logN: number[], f: ArrayLike<number>, out: Float64Array): void {
  const K = logN.length;
  const c = new Float64Array(K);
  for (let k = 0; k < K; k++) c[k] = logN[k] + f[k];
  for (let n = 0; n < out.length; n++) {
    let m = -Infinity;
    for (let k = 0; k < K; k++) {
      const v = c[k] - u[k][n];
      if (v > m) m = v;
    }
    if (m === -Infinity) {
      out[n] = -Infinity;
      continue;
    }
    let s = 0;
    for (let k = 0; k < K; k++) s += Math.exp(c[k] - u[k][n] - m);
    out[n] = m + Math.log(s);
  }
}

/** f_i = −log Σ_n e^{−u_in − log D_n} for every state (sampled or not). */
function selfConsistent(u: readonly ArrayLike<number>[], logD: Float64Array): Float64Array {
  const K = u.length;
  const N = logD.length;
  const f = new Float64Array(K);
  for (let i = 0; i < K; i++) {
    const ui = u[i];
    let m = -Infinity;
    for (let n = 0; n < N; n++) {
      const v = -ui[n] - logD[n];
      if (v > m) m = v;
    }
    let s = 0;
    for (let n = 0; n < N; n++) s += Math.exp(-ui[n] - logD[n] - m);
    f[i] = -(m + Math.log(s));
  }
  return f;
}

/**
 * MBAR (Shirts & Chodera 2008): the free energies of K thermodynamic states from samples of all of them.
 * `reducedEnergies[k][n]` is u_k(x_n) in kT for every sample n of the pooled N = Σ counts samples (whatever state drew
 * it), `counts[k]` how many were drawn from state k (0 for a state only evaluated). Solves
 * f_i = −log Σ_n e^{−u_in} / Σ_k N_k e^{f_k − u_kn} by a few self-consistent iterations (they converge slowly when
 * states overlap well, e.g. umbrella windows), then by Newton's method with backtracking on the convex objective Σ_n log Σ_k N_k e^{f_k − u_kn} − Σ_k N_k f_k (pymbar's scheme), in float64.
 * Covariance: Θ = Wᵀ(I − W diag(N) Wᵀ)⁺W, computed on the K×K factor of WᵀW (pymbar's 'svd-ew'). Samples are assumed
 * independent (subsample correlated chains first). Throws NOT_CONVERGED when Newton stalls.
 */
export function mbar(reducedEnergies: readonly ArrayLike<number>[], counts: ArrayLike<number>, options: MbarOptions = {}): MbarResult {
  const u = reducedEnergies;
  const { K, N, logN } = readMatrix(u, counts);
  const tol = options.tolerance ?? 1e-10;
  assertPositive(tol, 'tolerance');
  const maxIt = options.maxIterations ?? 5;
  assertInteger(maxIt, 'maxIterations', 0);
  const sampled = logN.map((l, k) => (l > -Infinity ? k : -1)).filter((k) => k >= 0);
  let f: Float64Array = new Float64Array(K);
  if (options.initialF !== undefined) {
    if (options.initialF.length !== K)
      throw new BoltzflowError('INVALID_SHAPE', 'One initial free energy per state', {
        argument: 'initialF',
        expected: `length ${K}`,
        received: `length ${options.initialF.length}`,
      });
    for (let k = 0; k < K; k++) {
      if (!Number.isFinite(options.initialF[k]))
        throw new BoltzflowError('NON_FINITE', 'Initial free energies must be finite', { argument: `initialF[${k}]`, received: String(options.initialF[k]) });
      f[k] = options.initialF[k];
    }
  }
  const logD = new Float64Array(N);
  const shift = (g: Float64Array): Float64Array => {
    const g0 = g[0];
    for (let k = 0; k < K; k++) g[k] -= g0;
    return g;
  };
  for (let k = 0; k < K; k++) if (logN[k] === -Infinity) f[k] = 0;
  let it = 0;
  for (; it < maxIt; it++) {
    logDenominators(u, logN, f, logD);
    const next = selfConsistent(u, logD);
    // Unsampled states do not enter D: their f only matters at the end.
    let delta = 0;
    for (const k of sampled) delta = Math.max(delta, Math.abs(next[k] - next[sampled[0]] - (f[k] - f[sampled[0]])));
    for (const k of sampled) f[k] = next[k];
    if (delta < 1e-4) {
      it++;
      break;
    }
  }

  // Newton on the sampled states, with f of the first sampled state fixed (the objective is flat along 1).
  const objective = (g: Float64Array): number => {
    logDenominators(u, logN, g, logD);
    let s = 0;
    for (let n = 0; n < N; n++) s += logD[n];
    for (const k of sampled) s -= Math.exp(logN[k]) * g[k];
    return s;
  };
  const free = sampled.slice(1);
  const m = free.length;
  let newton = 0;
  let converged = false;
  let obj = objective(f);
  const wSum = new Float64Array(K);
  const wCol = (i: number, n: number) => Math.exp(f[i] - u[i][n] - logD[n]);
  for (; newton < 200; newton++) {
    // logD is current for f here.
    wSum.fill(0);
    for (const i of sampled) for (let n = 0; n < N; n++) wSum[i] += wCol(i, n);
    let gradMax = 0;
    for (const i of sampled) gradMax = Math.max(gradMax, Math.abs(wSum[i] - 1));
    if (gradMax < tol) {
      converged = true;
      break;
    }
    if (m === 0) {
      converged = true;
      break;
    }
    const grad = free.map((i) => Math.exp(logN[i]) * (wSum[i] - 1));
    const H = Array.from({ length: m }, () => new Array<number>(m).fill(0));
    const w = new Float64Array(m);
    for (let n = 0; n < N; n++) {
      for (let a = 0; a < m; a++) w[a] = wCol(free[a], n);
      for (let a = 0; a < m; a++) {
        const wa = w[a];
        if (wa === 0) continue;
        for (let b = a; b < m; b++) H[a][b] -= wa * w[b];
      }
    }
    for (let a = 0; a < m; a++) {
      const na = Math.exp(logN[free[a]]);
      for (let b = a; b < m; b++) {
        H[a][b] *= na * Math.exp(logN[free[b]]);
        if (a === b) H[a][a] += na * wSum[free[a]];
        H[b][a] = H[a][b];
      }
    }
    const Hinv = symmetricPseudoInverse(H, 1e-14);
    const step = free.map((_, a) => -Hinv[a].reduce((s, h, b) => s + h * grad[b], 0));
    let scale = 1;
    let accepted = false;
    for (let tries = 0; tries < 30; tries++) {
      const trial = Float64Array.from(f);
      free.forEach((i, a) => (trial[i] += scale * step[a]));
      const o = objective(trial);
      if (o <= obj + 1e-12 * Math.abs(obj)) {
        f = trial;
        obj = o;
        accepted = true;
        break;
      }
      scale /= 2;
    }
    if (!accepted) {
      objective(f);
      break;
    }
  }
  if (!converged) {
    // Newton can stall at rounding level before the gradient test passes: accept a gradient at the float64 floor.
    logDenominators(u, logN, f, logD);
    wSum.fill(0);
    for (const i of sampled) for (let n = 0; n < N; n++) wSum[i] += wCol(i, n);
    let gradMax = 0;
    for (const i of sampled) gradMax = Math.max(gradMax, Math.abs(wSum[i] - 1));
    if (gradMax < Math.max(tol, 1e-8)) converged = true;
    else {
      throw new BoltzflowError('NOT_CONVERGED', 'MBAR did not converge', {
        argument: 'tolerance',
        expected: `weights of every sampled state summing to 1 within ${tol}`,
        received: `max deviation ${gradMax.toExponential(2)}`,
      });
    }
  }
  // Every state (sampled or not) from the converged denominators; this also fixes f_0 = 0.
  f = shift(selfConsistent(u, logD));
  logDenominators(u, logN, f, logD);

  const covariance = Array.from({ length: K }, () => new Array<number>(K).fill(NaN));
  const deltaFError = Array.from({ length: K }, () => new Array<number>(K).fill(NaN));
  if (!options.skipCovariance) {
    // W_nk = e^{f_k − u_kn − log D_n} with the shifted f (log D shifts by the same constant as the f_k).
    const fc = f;
    const G = Array.from({ length: K }, () => new Array<number>(K).fill(0));
    const w = new Float64Array(K);
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < K; k++) w[k] = Math.exp(fc[k] - u[k][n] - logD[n]);
      for (let a = 0; a < K; a++) for (let b = a; b < K; b++) G[a][b] += w[a] * w[b];
    }
    for (let a = 0; a < K; a++) for (let b = 0; b < a; b++) G[a][b] = G[b][a];
    // WᵀW = V Λ Vᵀ, so W = U A with A = Λ^{½} Vᵀ and U orthonormal; then Θ = Aᵀ (I − A diag(N) Aᵀ)⁺ A.
    const { values, vectors } = symmetricEigen(G);
    const A = values.map((l, r) => vectors.map((row) => Math.sqrt(Math.max(l, 0)) * row[r]));
    const Nk = logN.map(Math.exp);
    const B = Array.from({ length: K }, (_, r) =>
      Array.from({ length: K }, (_, s) => {
        let t = 0;
        for (let k = 0; k < K; k++) t += A[r][k] * Nk[k] * A[s][k];
        return (r === s ? 1 : 0) - t;
      }),
    );
    const Bp = symmetricPseudoInverse(B, 1e-10);
    for (let i = 0; i < K; i++) {
      for (let j = i; j < K; j++) {
        let t = 0;
        for (let r = 0; r < K; r++) {
          if (A[r][i] === 0) continue;
          for (let s = 0; s < K; s++) t += A[r][i] * Bp[r][s] * A[s][j];
        }
        covariance[i][j] = t;
        covariance[j][i] = t;
      }
    }
    for (let i = 0; i < K; i++)
      for (let j = 0; j < K; j++) deltaFError[i][j] = Math.sqrt(Math.max(0, covariance[i][i] + covariance[j][j] - 2 * covariance[i][j]));
  }
  const deltaF = Array.from({ length: K }, (_, i) => Array.from({ length: K }, (_, j) => f[j] - f[i]));
  return { f, deltaF, deltaFError, covariance, logDenominator: logD, iterations: it, newtonIterations: newton, converged };
}

/**
 * Reweights MBAR's pooled samples to a target state with reduced energies `targetReducedEnergies[n]` (sampled or not):
 * normalised log weights log w_n = −u_t(x_n) − log D_n − log Σ_m e^{…}, and the target's f_t relative to state 0.
 */
export function mbarReweight(result: MbarResult, targetReducedEnergies: ArrayLike<number>): { logWeights: Float64Array; f: number } {
  const logD = result.logDenominator;
  if (targetReducedEnergies.length !== logD.length) {
    throw new BoltzflowError('INVALID_SHAPE', 'One target reduced energy per pooled sample', {
      argument: 'targetReducedEnergies',
      expected: `length ${logD.length}`,
      received: `length ${targetReducedEnergies.length}`,
    });
  }
  const lw = new Float64Array(logD.length);
  for (let n = 0; n < lw.length; n++) {
    const v = targetReducedEnergies[n];
    if (Number.isNaN(v) || v === -Infinity)
      throw new BoltzflowError('NON_FINITE', 'Target reduced energies must be finite or +Infinity', {
        argument: 'targetReducedEnergies',
        received: `${v} at ${n}`,
      });
    lw[n] = -v - logD[n];
  }
  const z = logSumExp(lw);
  // log D carries the normalisation of f (f_0 = 0 ⇔ Σ_n e^{−u_0n − log D_n} = 1), so −z is f_t on the same scale.
  for (let n = 0; n < lw.length; n++) lw[n] -= z;
  return { logWeights: lw, f: -z };
}
