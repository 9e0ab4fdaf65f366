import * as tf from '@tensorflow/tfjs';
import { assertBatch, assertFiniteArray, BoltzflowError, type Bijector, type Rng, type SerializedConfig, assertOneOf } from '@boltzflow/core';

import { checkDim, vectorParam } from './vectorParam.js';

/** How {@link AffineTriL} keeps its diagonal positive. */
export type DiagonalParameterization = 'softplus' | 'exp';

/** Options of {@link AffineTriL}. */
export interface AffineTriLOptions {
  dim: number;
  /** Initial (or fixed) lower-triangular L `[dim][dim]` with positive diagonal (entries above it must be 0). Default identity. */
  matrix?: number[][];
  /** Initial (or fixed) shift b. Default 0. */
  shift?: number | number[];
  /** How the positive diagonal is parameterised from an unconstrained variable (default 'softplus'). */
  diagonal?: DiagonalParameterization;
  /** Whether L and b are trained (default true). Fixed values are stored in the config. */
  trainable?: boolean;
  rng?: Rng;
}

function inverseSoftplus(v: number): number {
  return v > 20 ? v : Math.log(Math.expm1(v));
}

/**
 * y = L x + b with L lower-triangular with positive diagonal (a Cholesky-type factor; TFP's ScaleMatvecTriL + Shift).
 * logDet = Σ log L_ii. The inverse solves L x = y − b by batched forward substitution.
 * Variables (in order): unconstrained diagonal `[dim]`, strictly-lower part `[dim, dim]` (upper entries are masked
 * out), shift `[dim]`.
 */
export class AffineTriL implements Bijector {
  readonly dim: number;
  readonly diagonal: DiagonalParameterization;
  readonly trainable: boolean;
  readonly rawDiagonal: tf.Variable<tf.Rank.R1>;
  readonly lower: tf.Variable<tf.Rank.R2>;
  readonly shift: tf.Variable<tf.Rank.R1>;
  private readonly strictLowerMask: tf.Tensor2D;
  private readonly eye: tf.Tensor2D;

  constructor(options: AffineTriLOptions) {
    this.dim = checkDim(options?.dim);
    const d = this.dim;
    const diagonal = options.diagonal ?? 'softplus';
    assertOneOf(diagonal, ['softplus', 'exp'], 'diagonal', { code: 'INVALID_CONFIG', message: 'Unknown diagonal parameterisation' });
    this.diagonal = diagonal;
    this.trainable = options.trainable ?? true;
    const m = options.matrix ?? Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? 1 : 0)));
    if (!Array.isArray(m) || m.length !== d || m.some((r) => !Array.isArray(r) || r.length !== d)) {
      throw new BoltzflowError('INVALID_SHAPE', 'matrix must be dim × dim', {
        argument: 'matrix',
        expected: `[${d}, ${d}]`,
        received: Array.isArray(m) ? `${m.length} rows` : String(m),
      });
    }
    m.forEach((r, i) => assertFiniteArray(r, `matrix[${i}]`));
    for (let i = 0; i < d; i++) {
      if (!(m[i][i] > 0)) {
        throw new BoltzflowError('INVALID_VALUE', 'matrix must have a positive diagonal (a singular or sign-flipped factor is not allowed)', {
          argument: `matrix[${i}][${i}]`,
          expected: '> 0',
          received: String(m[i][i]),
        });
      }
      for (let j = i + 1; j < d; j++) {
        if (m[i][j] !== 0)
          throw new BoltzflowError('INVALID_VALUE', 'matrix must be lower-triangular', {
            argument: `matrix[${i}][${j}]`,
            expected: '0',
            received: String(m[i][j]),
          });
      }
    }
    const raw = m.map((r, i) => (this.diagonal === 'exp' ? Math.log(r[i]) : inverseSoftplus(r[i])));
    const strict = m.map((r, i) => r.map((v, j) => (j < i ? v : 0)));
    this.rawDiagonal = tf.variable(tf.tensor1d(raw), this.trainable);
    this.lower = tf.variable(tf.tensor2d(strict, [d, d]), this.trainable);
    this.shift = tf.variable(tf.tensor1d(vectorParam(options.shift, d, 'shift', 0)), this.trainable);
    this.strictLowerMask = tf.tensor2d(
      Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (j < i ? 1 : 0))),
      [d, d],
    );
    this.eye = tf.eye(d) as tf.Tensor2D;
  }

  /** Variables trained by gradients, in a fixed order (checkpoints rely on it). */
  get trainableVariables(): tf.Variable[] {
    return this.trainable ? [this.rawDiagonal, this.lower, this.shift] : [];
  }

  private diag(): tf.Tensor1D {
    return (this.diagonal === 'exp' ? tf.exp(this.rawDiagonal) : tf.softplus(this.rawDiagonal)) as tf.Tensor1D;
  }

  private logDiagSum(): tf.Scalar {
    return (this.diagonal === 'exp' ? tf.sum(this.rawDiagonal) : tf.sum(tf.log(tf.softplus(this.rawDiagonal)))) as tf.Scalar;
  }

  /** The current factor L `[dim, dim]` (caller owns it). */
  matrix(): tf.Tensor2D {
    return tf.tidy(() => tf.add(tf.mul(this.lower, this.strictLowerMask), tf.mul(this.eye, this.diag())) as tf.Tensor2D);
  }

  forward(x: tf.Tensor2D): { y: tf.Tensor2D; logDet: tf.Tensor1D } {
    const [n] = assertBatch(x, 'x', this.dim);
    return tf.tidy(() => ({
      y: tf.add(tf.matMul(x, this.matrix(), false, true), this.shift) as tf.Tensor2D,
      logDet: tf.add(tf.zeros([n]), this.logDiagSum()) as tf.Tensor1D,
    }));
  }

  inverse(y: tf.Tensor2D): { x: tf.Tensor2D; logDet: tf.Tensor1D } {
    const [n] = assertBatch(y, 'y', this.dim);
    return tf.tidy(() => {
      const d = this.dim;
      const L = this.matrix();
      const r = tf.sub(y, this.shift) as tf.Tensor2D;
      const diag = this.diag();
      // Forward substitution, one column at a time: x_i = (r_i − Σ_{j<i} L_ij x_j) / L_ii.
      const cols: tf.Tensor2D[] = [];
      for (let i = 0; i < d; i++) {
        let ri = tf.slice(r, [0, i], [n, 1]) as tf.Tensor2D;
        if (i > 0) {
          const prev = i === 1 ? cols[0] : (tf.concat(cols, 1) as tf.Tensor2D);
          ri = tf.sub(ri, tf.matMul(prev, tf.slice(L, [i, 0], [1, i]), false, true));
        }
        cols.push(tf.div(ri, tf.slice(diag, [i], [1])) as tf.Tensor2D);
      }
      const x = d === 1 ? cols[0] : (tf.concat(cols, 1) as tf.Tensor2D);
      return { x, logDet: tf.sub(tf.zeros([n]), this.logDiagSum()) as tf.Tensor1D };
    });
  }

  /** JSON description `{ type, ...params }` without weights, from which the registry rebuilds it. */
  toConfig(): SerializedConfig {
    const base = { type: 'AffineTriL', dim: this.dim, diagonal: this.diagonal, trainable: this.trainable };
    if (this.trainable) return base;
    const L = this.matrix();
    const cfg = { ...base, matrix: L.arraySync() as number[][], shift: Array.from(this.shift.dataSync()) };
    L.dispose();
    return cfg;
  }

  /** Frees the variables it owns. */
  dispose(): void {
    tf.dispose([this.rawDiagonal, this.lower, this.shift, this.strictLowerMask, this.eye]);
  }
}
