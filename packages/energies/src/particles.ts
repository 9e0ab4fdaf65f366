import * as tf from '@tensorflow/tfjs';
import { assertInteger, assertPositive, BoltzflowError, describeShape } from '@boltzflow/core';

/**
 * Pairwise geometry of particle systems whose samples are flattened `[n, particles·spatialDim]`
 * (particle-major: x = (x₁₁, …, x₁ₛ, x₂₁, …)). Pairs are i < j in lexicographic order.
 */
export class PairGeometry {
  readonly particles: number;
  readonly spatialDim: number;
  readonly pairs: number;
  /** Smoothing ε in r = sqrt(‖xᵢ − xⱼ‖² + ε): keeps ∂r/∂x finite (zero) when particles coincide. */
  readonly distanceEps: number;
  /** Incidence matrix `[particles, pairs]` (+1 for i, −1 for j), so pair differences are one matmul with a plain gradient. */
  private readonly incidence: tf.Tensor2D;

  constructor(particles: number, spatialDim: number, distanceEps: number) {
    assertInteger(particles, 'particles', 2);
    assertInteger(spatialDim, 'spatialDim', 1);
    assertPositive(distanceEps, 'distanceEps');
    this.particles = particles;
    this.spatialDim = spatialDim;
    this.distanceEps = distanceEps;
    this.pairs = (particles * (particles - 1)) / 2;
    const m = new Float32Array(particles * this.pairs);
    let p = 0;
    for (let i = 0; i < particles; i++) {
      for (let j = i + 1; j < particles; j++) {
        m[i * this.pairs + p] = 1;
        m[j * this.pairs + p] = -1;
        p++;
      }
    }
    this.incidence = tf.tensor2d(m, [particles, this.pairs], 'float32');
  }

  /** Flattened width particles·spatialDim. */
  get dim(): number {
    return this.particles * this.spatialDim;
  }

  /** Throws INVALID_SHAPE unless x is `[n, particles·spatialDim]`; returns n. */
  check(x: tf.Tensor, argument = 'x'): number {
    if (!(x instanceof tf.Tensor)) {
      throw new BoltzflowError('INVALID_VALUE', 'Expected a tensor', { argument, expected: 'tf.Tensor', received: typeof x });
    }
    if (x.rank !== 2 || x.shape[1] !== this.dim) {
      throw new BoltzflowError('INVALID_SHAPE', 'Particle batch has the wrong width', {
        argument,
        expected: `[n, ${this.dim}] (${this.particles} particles × ${this.spatialDim} dims)`,
        received: describeShape(x.shape),
      });
    }
    return x.shape[0];
  }

  /** Pair distances `[n, pairs]` (i < j), smoothed as sqrt(d² + ε). Call inside tf.tidy. */
  distances(x: tf.Tensor2D): tf.Tensor2D {
    const n = x.shape[0];
    const P = this.particles;
    const S = this.spatialDim;
    const coords = tf.reshape(tf.transpose(tf.reshape(x, [n, P, S]), [0, 2, 1]), [n * S, P]) as tf.Tensor2D;
    const diff = tf.reshape(tf.matMul(coords, this.incidence), [n, S, this.pairs]);
    return tf.sqrt(tf.add(tf.sum(tf.square(diff), 1), this.distanceEps)) as tf.Tensor2D;
  }

  /** Σᵢ ‖xᵢ − x̄‖² per sample, `[n]`. Call inside tf.tidy. */
  centredSquaredNorm(x: tf.Tensor2D): tf.Tensor1D {
    const n = x.shape[0];
    const r = tf.reshape(x, [n, this.particles, this.spatialDim]);
    const c = tf.sub(r, tf.mean(r, 1, true));
    return tf.sum(tf.reshape(tf.square(c), [n, this.dim]), 1) as tf.Tensor1D;
  }

  /** Frees the incidence matrix. */
  dispose(): void {
    this.incidence.dispose();
  }
}

/**
 * All interatomic distances ‖xᵢ − xⱼ‖ (i < j) of each sample, flattened, in float64 — for distance histograms of
 * samples held as plain arrays (`[n · particles · spatialDim]`, row-major).
 */
export function interatomicDistances(x: ArrayLike<number>, particles: number, spatialDim: number): number[] {
  const D = particles * spatialDim;
  const n = Math.floor(x.length / D);
  const out: number[] = [];
  for (let k = 0; k < n; k++)
    for (let i = 0; i < particles; i++)
      for (let j = i + 1; j < particles; j++) {
        let s = 0;
        for (let a = 0; a < spatialDim; a++) s += (x[k * D + i * spatialDim + a] - x[k * D + j * spatialDim + a]) ** 2;
        out.push(Math.sqrt(s));
      }
  return out;
}
