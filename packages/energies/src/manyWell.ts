import * as tf from '@tensorflow/tfjs';
import { assertBatch, assertInteger, BoltzflowError, type Energy } from '@boltzflow/core';
import { DoubleWell, doubleWellTerms, type DoubleWellCoefficients, type DoubleWellOptions } from './doubleWell.js';

/** Options of {@link ManyWell}: the dimension (even) and the coefficients of each 2D double well. */
export interface ManyWellOptions extends DoubleWellOptions {
  /** Total dimension d (even, ≥ 2). Default 32 (FAB's many-well-32, 2¹⁶ modes). */
  dim?: number;
}

/**
 * FAB's many-well: d/2 independent copies of the 2D {@link DoubleWell} on the coordinate pairs (x₂ᵢ, x₂ᵢ₊₁),
 * u(x) = Σᵢ u_DW(x₂ᵢ, x₂ᵢ₊₁). Analytic gradient; log Z is separable and exact by 1D quadrature.
 */
export class ManyWell implements Energy {
  readonly dim: number;
  readonly name: string;
  /** The 2D double well that is repeated. */
  readonly well: DoubleWell;
  private readonly k: DoubleWellCoefficients;

  constructor(options: ManyWellOptions = {}) {
    const dim = options.dim ?? 32;
    assertInteger(dim, 'dim', 2);
    if (dim % 2 !== 0) {
      throw new BoltzflowError('INVALID_VALUE', 'ManyWell dimension must be even', { argument: 'dim', expected: 'even integer >= 2', received: String(dim) });
    }
    this.dim = dim;
    this.well = new DoubleWell(options);
    this.k = this.well.coefficients();
    this.name = `many-well-${dim}`;
  }

  /** Number of independent 2D wells (d/2); the density has 2^(d/2) modes. */
  get wells(): number {
    return this.dim / 2;
  }

  /** u(x) `[n]` for x `[n, dim]`. */
  energy(x: tf.Tensor2D): tf.Tensor1D {
    const [n] = assertBatch(x, 'x', this.dim);
    return tf.tidy(() => {
      const pairs = tf.reshape(x, [n * this.wells, 2]) as tf.Tensor2D;
      const u = doubleWellTerms(pairs, this.k).u;
      return tf.sum(tf.reshape(u, [n, this.wells]), 1) as tf.Tensor1D;
    });
  }

  /** Analytic ∇u `[n, dim]`. */
  grad(x: tf.Tensor2D): tf.Tensor2D {
    const [n] = assertBatch(x, 'x', this.dim);
    return tf.tidy(() => {
      const pairs = tf.reshape(x, [n * this.wells, 2]) as tf.Tensor2D;
      return tf.reshape(this.well.grad(pairs), [n, this.dim]) as tf.Tensor2D;
    });
  }

  /** Exact log Z = (d/2)·(log Z₁ + ½·log(2π/d_harm)), from the 1D quadrature of the x₁ marginal. */
  logZ(): number {
    return this.wells * this.well.logZ();
  }
}
