import * as tf from '@tensorflow/tfjs';
import { assertBatch, assertInteger, BoltzflowError, type Distribution, type Rng, type SerializedConfig, MAX_SAMPLES } from '@boltzflow/core';
import { broadcastParam, LOG_2PI, type ScalarOrArray } from './params.js';

/** Options of {@link MultivariateNormal}. */
export interface MultivariateNormalOptions {
  /** Mean, scalar (broadcast) or `[dim]`. Default 0. */
  loc?: ScalarOrArray;
  /** Lower-triangular Cholesky factor L `[dim][dim]` with positive diagonal; covariance C = L Lᵀ. */
  scaleTril: ArrayLike<ArrayLike<number>>;
}

function matrixDim(m: ArrayLike<ArrayLike<number>>, argument: string): number {
  if (!m || typeof m.length !== 'number' || m.length < 1) {
    throw new BoltzflowError('INVALID_SHAPE', 'Expected a square matrix', { argument, expected: '[dim][dim] with dim >= 1', received: String(m) });
  }
  const d = m.length;
  for (let i = 0; i < d; i++) {
    const row = m[i];
    if (!row || row.length !== d) {
      throw new BoltzflowError('INVALID_SHAPE', 'Expected a square matrix', {
        argument,
        expected: `[${d}][${d}]`,
        received: `row ${i} of length ${row?.length}`,
      });
    }
    for (let j = 0; j < d; j++) {
      if (!Number.isFinite(row[j])) {
        throw new BoltzflowError('NON_FINITE', 'Matrix contains NaN or Inf', { argument, expected: 'finite values', received: `${row[j]} at [${i}][${j}]` });
      }
    }
  }
  return d;
}

/** Cholesky factor of a symmetric positive-definite matrix, in float64. Throws INVALID_VALUE when it is not SPD. */
export function cholesky(cov: ArrayLike<ArrayLike<number>>, argument = 'covariance'): number[][] {
  const d = matrixDim(cov, argument);
  let scale = 0;
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) scale = Math.max(scale, Math.abs(cov[i][j]));
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) {
      if (Math.abs(cov[i][j] - cov[j][i]) > 1e-10 * scale) {
        throw new BoltzflowError('INVALID_VALUE', 'Covariance is not symmetric', {
          argument,
          expected: 'symmetric matrix',
          received: `[${i}][${j}] = ${cov[i][j]} vs [${j}][${i}] = ${cov[j][i]}`,
        });
      }
    }
  }
  const L = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  for (let j = 0; j < d; j++) {
    let s = cov[j][j];
    for (let k = 0; k < j; k++) s -= L[j][k] * L[j][k];
    if (!(s > 1e-14 * scale)) {
      throw new BoltzflowError('INVALID_VALUE', 'Covariance is not positive definite', {
        argument,
        expected: 'symmetric positive-definite matrix',
        received: `pivot ${s} at ${j}`,
      });
    }
    L[j][j] = Math.sqrt(s);
    for (let i = j + 1; i < d; i++) {
      let t = cov[i][j];
      for (let k = 0; k < j; k++) t -= L[i][k] * L[j][k];
      L[i][j] = t / L[j][j];
    }
  }
  return L;
}

/** Inverse of a lower-triangular matrix by forward substitution (float64). */
function invertLower(L: number[][]): number[][] {
  const d = L.length;
  const inv = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  for (let c = 0; c < d; c++) {
    for (let i = c; i < d; i++) {
      let s = i === c ? 1 : 0;
      for (let k = c; k < i; k++) s -= L[i][k] * inv[k][c];
      inv[i][c] = s / L[i][i];
    }
  }
  return inv;
}

function transpose(m: number[][]): number[][] {
  return m[0].map((_, j) => m.map((r) => r[j]));
}

function matmul(a: number[][], b: number[][]): number[][] {
  return a.map((r) => b[0].map((_, j) => r.reduce((s, v, k) => s + v * b[k][j], 0)));
}

/**
 * Full-covariance Gaussian N(μ, C) parametrised by the lower-triangular Cholesky factor L, C = L Lᵀ.
 * Sampling: x = μ + L z. Density: z = L⁻¹(x − μ), log p = −½‖z‖² − Σ log Lᵢᵢ − (d/2) log 2π.
 * The precision matrix is C⁻¹ = L⁻ᵀ L⁻¹ (see {@link MultivariateNormal.precision}). Fixed (not trainable).
 */
export class MultivariateNormal implements Distribution {
  readonly dim: number;
  readonly trainableVariables: tf.Variable[] = [];
  private readonly locArr: number[];
  private readonly L: number[][];
  private readonly Linv: number[][];
  private readonly logDetL: number;
  private readonly locT: tf.Tensor1D;
  /** Lᵀ `[dim, dim]`, so that a row batch maps as z Lᵀ. */
  private readonly LT: tf.Tensor2D;
  /** L⁻ᵀ `[dim, dim]`, so that z = (x − μ) L⁻ᵀ. */
  private readonly LinvT: tf.Tensor2D;

  constructor(options: MultivariateNormalOptions) {
    if (!options?.scaleTril) {
      throw new BoltzflowError('INVALID_VALUE', 'MultivariateNormal needs a Cholesky factor', {
        argument: 'scaleTril',
        expected: 'lower-triangular [dim][dim]',
        received: 'undefined',
      });
    }
    const tril = options.scaleTril;
    const d = matrixDim(tril, 'scaleTril');
    let maxAbs = 0;
    for (let i = 0; i < d; i++) for (let j = 0; j <= i; j++) maxAbs = Math.max(maxAbs, Math.abs(tril[i][j]));
    for (let i = 0; i < d; i++) {
      for (let j = i + 1; j < d; j++) {
        if (tril[i][j] !== 0) {
          throw new BoltzflowError('INVALID_VALUE', 'Cholesky factor must be lower triangular', {
            argument: 'scaleTril',
            expected: 'zeros above the diagonal',
            received: `${tril[i][j]} at [${i}][${j}]`,
          });
        }
      }
      if (!(tril[i][i] > 1e-10 * maxAbs)) {
        throw new BoltzflowError('INVALID_VALUE', 'Cholesky factor is singular or has a non-positive diagonal', {
          argument: 'scaleTril',
          expected: 'positive diagonal',
          received: `${tril[i][i]} at [${i}][${i}]`,
        });
      }
    }
    this.dim = d;
    this.locArr = broadcastParam(options.loc, d, 'loc', 0);
    this.L = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (j <= i ? tril[i][j] : 0)));
    this.Linv = invertLower(this.L);
    this.logDetL = this.L.reduce((s, r, i) => s + Math.log(r[i]), 0);
    this.locT = tf.tensor1d(this.locArr, 'float32');
    this.LT = tf.tensor2d(transpose(this.L), [d, d], 'float32');
    this.LinvT = tf.tensor2d(transpose(this.Linv), [d, d], 'float32');
  }

  /** N(loc, covariance); the Cholesky factor is computed in float64. Non-SPD covariance → BoltzflowError naming `covariance`. */
  static fromCovariance(covariance: ArrayLike<ArrayLike<number>>, loc?: ScalarOrArray): MultivariateNormal {
    return new MultivariateNormal({ loc, scaleTril: cholesky(covariance, 'covariance') });
  }

  /** Mean (copy). */
  mean(): number[] {
    return [...this.locArr];
  }

  /** Cholesky factor L (copy). */
  scaleTril(): number[][] {
    return this.L.map((r) => [...r]);
  }

  /** Covariance C = L Lᵀ (float64). */
  covariance(): number[][] {
    return matmul(this.L, transpose(this.L));
  }

  /** Precision C⁻¹ = L⁻ᵀ L⁻¹ (float64). */
  precision(): number[][] {
    return matmul(transpose(this.Linv), this.Linv);
  }

  /** x = μ + L z, `[n, dim]`. */
  sample(n: number, rng: Rng): tf.Tensor2D {
    assertInteger(n, 'n', 0, MAX_SAMPLES);
    const z = rng.normal([n, this.dim]) as tf.Tensor2D;
    const x = tf.tidy(() => tf.add(tf.matMul(z, this.LT), this.locT) as tf.Tensor2D);
    z.dispose();
    return x;
  }

  /** log N(x; μ, L Lᵀ), `[n]`. */
  logProb(x: tf.Tensor2D): tf.Tensor1D {
    assertBatch(x, 'x', this.dim);
    return tf.tidy(() => {
      const z = tf.matMul(tf.sub(x, this.locT) as tf.Tensor2D, this.LinvT) as tf.Tensor2D;
      return this.logProbOfZ(z);
    });
  }

  private logProbOfZ(z: tf.Tensor2D): tf.Tensor1D {
    return tf.sub(tf.mul(tf.sum(tf.square(z), 1), -0.5), this.logDetL + 0.5 * this.dim * LOG_2PI) as tf.Tensor1D;
  }

  /** Sample and log-density from the same z (no solve). */
  sampleWithLogProb(n: number, rng: Rng): { x: tf.Tensor2D; logProb: tf.Tensor1D } {
    assertInteger(n, 'n', 0, MAX_SAMPLES);
    const z = rng.normal([n, this.dim]) as tf.Tensor2D;
    const out = tf.tidy(() => ({ x: tf.add(tf.matMul(z, this.LT), this.locT) as tf.Tensor2D, logProb: this.logProbOfZ(z) }));
    z.dispose();
    return out;
  }

  /** `{ type: 'MultivariateNormal', loc, scaleTril }`. */
  toConfig(): SerializedConfig {
    return { type: 'MultivariateNormal', loc: [...this.locArr], scaleTril: this.scaleTril() };
  }

  /** Frees the constant tensors. */
  dispose(): void {
    tf.dispose([this.locT, this.LT, this.LinvT]);
  }
}
