import * as tf from '@tensorflow/tfjs';
import { BoltzflowError, type Rng } from '@boltzflow/core';
import { symmetricMatrixFunction } from '@boltzflow/estimators';

/**
 * A mass matrix M for momentum-based kernels, given as its diagonal `number[]` (length dim) or dense `number[][]`
 * (dim × dim, symmetric positive definite). Momenta p ~ N(0, M), kinetic energy ½ pᵀM⁻¹p, velocity M⁻¹p.
 * Window adaptation sets M = Σ̂⁻¹ (Σ̂ the regularised sample covariance), as Stan does.
 */
export type MassMatrix = readonly number[] | readonly (readonly number[])[];

/** Tensor operations of one mass matrix, built once per kernel (plain arrays → constant tensors per call). */
export interface MassOps {
  readonly kind: 'diag' | 'dense';
  /** M as given (diag array or dense rows). */
  readonly matrix: number[] | number[][];
  /** p = M^{½} z for standard normal z `[n, dim]`. */
  momentum(z: tf.Tensor2D): tf.Tensor2D;
  /** M⁻¹p. */
  velocity(p: tf.Tensor2D): tf.Tensor2D;
  /** ½ pᵀM⁻¹p per row, `[n]`. */
  kinetic(p: tf.Tensor2D): tf.Tensor1D;
  /** Draws p ~ N(0, M) for n chains from `rng`. */
  sample(rng: Rng, n: number): tf.Tensor2D;
}

/** Checks `massMatrix` (naming `argument`) and returns its operations; undefined → identity. */
export function massOps(massMatrix: MassMatrix | undefined, dim: number, argument = 'massMatrix'): MassOps {
  if (massMatrix === undefined) return diagOps(new Array<number>(dim).fill(1));
  if (!Array.isArray(massMatrix) || massMatrix.length !== dim) {
    throw new BoltzflowError('INVALID_SHAPE', 'Mass matrix has the wrong size', {
      argument,
      expected: `${dim} positive numbers (diagonal) or ${dim}×${dim} rows (dense)`,
      received: Array.isArray(massMatrix) ? `length ${massMatrix.length}` : typeof massMatrix,
    });
  }
  if (typeof massMatrix[0] === 'number') {
    const d = (massMatrix as readonly number[]).map(Number);
    d.forEach((v, i) => {
      if (!(v > 0) || !Number.isFinite(v))
        throw new BoltzflowError('INVALID_VALUE', 'Diagonal mass must be positive and finite', {
          argument: `${argument}[${i}]`,
          expected: '> 0',
          received: String(v),
        });
    });
    return diagOps(d);
  }
  const rows = massMatrix as readonly (readonly number[])[];
  rows.forEach((r, i) => {
    if (!Array.isArray(r) || r.length !== dim)
      throw new BoltzflowError('INVALID_SHAPE', 'Dense mass matrix must be square', {
        argument: `${argument}[${i}]`,
        expected: `length ${dim}`,
        received: Array.isArray(r) ? `length ${r.length}` : typeof r,
      });
    r.forEach((v, j) => {
      if (!Number.isFinite(v))
        throw new BoltzflowError('NON_FINITE', 'Mass matrix entries must be finite', { argument: `${argument}[${i}][${j}]`, received: String(v) });
      if (Math.abs(v - rows[j][i]) > 1e-8 * (Math.abs(v) + Math.abs(rows[j][i]) + 1e-300)) {
        throw new BoltzflowError('INVALID_VALUE', 'Mass matrix must be symmetric', {
          argument: `${argument}[${i}][${j}]`,
          expected: String(rows[j][i]),
          received: String(v),
        });
      }
    });
  });
  let minEig = Infinity;
  const sqrtM = symmetricMatrixFunction(rows, (l) => {
    minEig = Math.min(minEig, l);
    return Math.sqrt(Math.max(l, 0));
  });
  if (!(minEig > 0))
    throw new BoltzflowError('INVALID_VALUE', 'Mass matrix must be positive definite', {
      argument,
      expected: 'all eigenvalues > 0',
      received: `smallest eigenvalue ${minEig}`,
    });
  const invM = symmetricMatrixFunction(rows, (l) => 1 / l);
  const matrix = rows.map((r) => [...r]);
  const sq = Float32Array.from(sqrtM.flat());
  const inv = Float32Array.from(invM.flat());
  const velocity = (p: tf.Tensor2D) => tf.matMul(p, tf.tensor2d(inv, [dim, dim])) as tf.Tensor2D;
  const momentum = (z: tf.Tensor2D) => tf.matMul(z, tf.tensor2d(sq, [dim, dim])) as tf.Tensor2D;
  return {
    kind: 'dense',
    matrix,
    momentum,
    velocity,
    kinetic: (p) => tf.tidy(() => tf.mul(tf.sum(tf.mul(p, velocity(p)), 1), 0.5) as tf.Tensor1D),
    sample: (rng, n) => tf.tidy(() => momentum(rng.normal([n, dim]) as tf.Tensor2D)),
  };
}

function diagOps(d: number[]): MassOps {
  const dim = d.length;
  const unit = d.every((v) => v === 1);
  const sqrtM = Float32Array.from(d.map(Math.sqrt));
  const invM = Float32Array.from(d.map((v) => 1 / v));
  const velocity = (p: tf.Tensor2D) => (unit ? p.clone() : (tf.mul(p, tf.tensor1d(invM)) as tf.Tensor2D));
  const momentum = (z: tf.Tensor2D) => (unit ? z.clone() : (tf.mul(z, tf.tensor1d(sqrtM)) as tf.Tensor2D));
  return {
    kind: 'diag',
    matrix: [...d],
    momentum,
    velocity,
    kinetic: (p) => tf.tidy(() => tf.mul(tf.sum(unit ? tf.square(p) : tf.mul(tf.square(p), tf.tensor1d(invM)), 1), 0.5) as tf.Tensor1D),
    sample: (rng, n) => tf.tidy(() => momentum(rng.normal([n, dim]) as tf.Tensor2D)),
  };
}
