import { BoltzflowError, assertInteger, assertPositive, logSumExp } from '@boltzflow/core';

/** Options of {@link wham}. */
export interface WhamOptions {
  /** Histogram counts n_k(b), `[windows][bins]`. */
  counts: ArrayLike<number>[];
  /** Bias energy w_k(b) in kT at each bin centre, `[windows][bins]`. */
  bias: ArrayLike<number>[];
  /** Stop when the window free energies f_k change by less than this (kT, default 1e-8). */
  tolerance?: number;
  maxIterations?: number;
}

/** What {@link wham} returns. */
export interface WhamResult {
  /** Normalised log probability of each bin (−Inf for bins no window visited). */
  logProb: number[];
  /** −logProb shifted so that its minimum is 0 (Inf for empty bins); divide by the bin width for a density if needed. */
  freeEnergy: number[];
  /** Window free energies f_k (f_0 = 0): exp(−f_k) = Σ_b P(b) e^{−w_k(b)}. */
  f: number[];
  iterations: number;
  converged: boolean;
}

/**
 * Histogram WHAM (Kumar et al. 1992) by the self-consistent iteration, in log space:
 * P(b) = Σ_k n_k(b) / Σ_k N_k e^{f_k − w_k(b)},  e^{−f_k} = Σ_b P(b) e^{−w_k(b)}.
 * Plain arrays in and out. Throws NOT_CONVERGED when maxIterations is exceeded.
 */
export function wham(options: WhamOptions): WhamResult {
  const { counts, bias } = options;
  const K = counts.length;
  if (K < 1 || bias.length !== K) {
    throw new BoltzflowError('INVALID_SHAPE', 'counts and bias need one row per window', {
      argument: 'bias',
      expected: `${K} rows`,
      received: `${bias.length} rows`,
    });
  }
  const B = counts[0].length;
  for (let k = 0; k < K; k++) {
    if (counts[k].length !== B || bias[k].length !== B) {
      throw new BoltzflowError('INVALID_SHAPE', 'Every window needs one value per bin', {
        argument: `counts[${k}]`,
        expected: `length ${B}`,
        received: `length ${counts[k].length}/${bias[k].length}`,
      });
    }
    for (let b = 0; b < B; b++) {
      if (!(counts[k][b] >= 0) || !Number.isFinite(bias[k][b])) {
        throw new BoltzflowError('INVALID_VALUE', 'Counts must be non-negative and biases finite', {
          argument: `counts[${k}]`,
          received: `bin ${b}: n = ${counts[k][b]}, w = ${bias[k][b]}`,
        });
      }
    }
  }
  const tol = options.tolerance ?? 1e-8;
  assertPositive(tol, 'tolerance');
  const maxIt = options.maxIterations ?? 100000;
  assertInteger(maxIt, 'maxIterations', 1);

  const logN = Array.from({ length: K }, (_, k) => {
    let s = 0;
    for (let b = 0; b < B; b++) s += counts[k][b];
    return Math.log(s);
  });
  const logM = Array.from({ length: B }, (_, b) => {
    let s = 0;
    for (let k = 0; k < K; k++) s += counts[k][b];
    return s > 0 ? Math.log(s) : -Infinity;
  });
  let f = new Array<number>(K).fill(0);
  const logP = new Array<number>(B).fill(-Infinity);
  const tmp = new Array<number>(K);
  const tmpB = new Array<number>(B);
  let it = 0;
  let converged = false;
  for (; it < maxIt; it++) {
    for (let b = 0; b < B; b++) {
      if (logM[b] === -Infinity) {
        logP[b] = -Infinity;
        continue;
      }
      for (let k = 0; k < K; k++) tmp[k] = logN[k] === -Infinity ? -Infinity : logN[k] + f[k] - bias[k][b];
      logP[b] = logM[b] - logSumExp(tmp);
    }
    const z = logSumExp(logP);
    for (let b = 0; b < B; b++) logP[b] -= z;
    const fNew = new Array<number>(K);
    for (let k = 0; k < K; k++) {
      for (let b = 0; b < B; b++) tmpB[b] = logP[b] - bias[k][b];
      fNew[k] = -logSumExp(tmpB);
    }
    const f0 = fNew[0];
    let delta = 0;
    for (let k = 0; k < K; k++) {
      fNew[k] -= f0;
      delta = Math.max(delta, Math.abs(fNew[k] - f[k]));
    }
    f = fNew;
    if (delta < tol) {
      converged = true;
      it++;
      break;
    }
  }
  if (!converged) {
    throw new BoltzflowError('NOT_CONVERGED', 'WHAM did not converge', {
      argument: 'maxIterations',
      expected: `convergence to ${tol}`,
      received: String(maxIt),
    });
  }
  const finite = logP.filter((v) => v > -Infinity);
  const maxLogP = Math.max(...finite);
  return { logProb: logP, freeEnergy: logP.map((v) => (v === -Infinity ? Infinity : maxLogP - v)), f, iterations: it, converged };
}
