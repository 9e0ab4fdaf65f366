import * as tf from '@tensorflow/tfjs';
import { assertBatch, assertPositive, secondOrderExp, type Energy } from '@boltzflow/core';

/** Options of {@link MuellerBrown}. */
export interface MuellerBrownOptions {
  /** Energy scale k multiplying the whole potential. Default 1 (minima ≈ −146.70, −108.17, −80.77); the BG paper uses 0.1. */
  k?: number;
}

/** The published Müller–Brown parameters (Müller & Brown 1979). */
export const MUELLER_BROWN_PARAMS = Object.freeze({
  A: [-200, -100, -170, 15],
  a: [-1, -1, -6.5, 0.7],
  b: [0, 0, 11, 0.6],
  c: [-10, -10, -6.5, 0.7],
  X: [1, 0, -0.5, -1],
  Y: [0, 0.5, 1.5, 1],
});

/**
 * Müller–Brown potential u(x, y) = k·Σⱼ Aⱼ exp(aⱼ(x−Xⱼ)² + bⱼ(x−Xⱼ)(y−Yⱼ) + cⱼ(y−Yⱼ)²) with the published A, a, b, c, X, Y.
 * Three minima; not normalisable far away only if k ≤ 0 (k must be > 0). Gradient by autodiff.
 */
export class MuellerBrown implements Energy {
  readonly dim = 2;
  readonly name: string;
  readonly k: number;

  constructor(options: MuellerBrownOptions = {}) {
    const k = options.k ?? 1;
    assertPositive(k, 'k');
    this.k = k;
    this.name = `mueller-brown(k=${k})`;
  }

  /** The Boltzmann-generator paper's scaling k = 0.1. */
  static boltzmannGenerator(): MuellerBrown {
    return new MuellerBrown({ k: 0.1 });
  }

  /** u for a plain point, in float64. */
  u(x: number, y: number): number {
    const p = MUELLER_BROWN_PARAMS;
    let s = 0;
    for (let j = 0; j < 4; j++) {
      const dx = x - p.X[j];
      const dy = y - p.Y[j];
      s += p.A[j] * Math.exp(p.a[j] * dx * dx + p.b[j] * dx * dy + p.c[j] * dy * dy);
    }
    return this.k * s;
  }

  /** u(x) `[n]` for x `[n, 2]`. */
  energy(x: tf.Tensor2D): tf.Tensor1D {
    assertBatch(x, 'x', 2);
    return tf.tidy(() => {
      const p = MUELLER_BROWN_PARAMS;
      const [x1, x2] = tf.split(x, 2, 1);
      const terms: tf.Tensor[] = [];
      for (let j = 0; j < 4; j++) {
        const dx = tf.sub(x1, p.X[j]);
        const dy = tf.sub(x2, p.Y[j]);
        const arg = tf.addN([tf.mul(tf.square(dx), p.a[j]), tf.mul(tf.mul(dx, dy), p.b[j]), tf.mul(tf.square(dy), p.c[j])]);
        // secondOrderExp: exact ∇²u for MALA/Langevin blocks trained end to end (tf.exp's gradient is first-order only).
        terms.push(tf.mul(secondOrderExp(arg), p.A[j] * this.k));
      }
      return tf.reshape(tf.addN(terms), [-1]) as tf.Tensor1D;
    });
  }
}
