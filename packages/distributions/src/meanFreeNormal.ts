import * as tf from '@tensorflow/tfjs';
import { assertBatch, assertInteger, assertPositive, removeCenterOfMass, type Distribution, type Rng, type SerializedConfig } from '@boltzflow/core';

import { LOG_2PI } from './params.js';

/** Options of {@link MeanFreeNormal}. */
export interface MeanFreeNormalOptions {
  particles: number;
  spatialDim: number;
  /** Standard deviation σ of every subspace coordinate (default 1). */
  scale?: number;
}

/**
 * Isotropic Gaussian on the centre-of-mass-free subspace {x : Σᵢ xᵢ = 0} of R^(particles·spatialDim), the base of
 * equivariant flows for particle systems. The subspace has dimension (P−1)·d, so for mean-free x
 *   log p(x) = −‖x‖²/(2σ²) − ((P−1)d/2)·log(2πσ²),
 * a density with respect to Lebesgue measure on the subspace. `logProb` evaluates it at the projection of x (the
 * centre of mass is removed first), which makes it translation invariant. Samples are projected Gaussian noise.
 */
export class MeanFreeNormal implements Distribution {
  readonly dim: number;
  readonly particles: number;
  readonly spatialDim: number;
  readonly scale: number;
  /** (P−1)·d. */
  readonly subspaceDim: number;
  readonly trainableVariables: tf.Variable[] = [];

  constructor(options: MeanFreeNormalOptions) {
    assertInteger(options?.particles, 'particles', 2);
    assertInteger(options.spatialDim, 'spatialDim', 1);
    this.scale = options.scale ?? 1;
    assertPositive(this.scale, 'scale');
    this.particles = options.particles;
    this.spatialDim = options.spatialDim;
    this.dim = this.particles * this.spatialDim;
    this.subspaceDim = (this.particles - 1) * this.spatialDim;
  }

  /** σ·Π z, z ~ N(0, I): exactly N(0, σ²) in any orthonormal basis of the subspace. */
  sample(n: number, rng: Rng): tf.Tensor2D {
    assertInteger(n, 'n', 0);
    const z = rng.normal([n, this.dim]) as tf.Tensor2D;
    const x = tf.tidy(() => tf.mul(removeCenterOfMass(z, this.particles, this.spatialDim), this.scale) as tf.Tensor2D);
    z.dispose();
    return x;
  }

  logProb(x: tf.Tensor2D): tf.Tensor1D {
    assertBatch(x, 'x', this.dim);
    return tf.tidy(() => {
      const c = removeCenterOfMass(x, this.particles, this.spatialDim);
      const s2 = this.scale * this.scale;
      return tf.sub(tf.div(tf.sum(tf.square(c), 1), -2 * s2), (this.subspaceDim / 2) * (LOG_2PI + Math.log(s2))) as tf.Tensor1D;
    });
  }

  sampleWithLogProb(n: number, rng: Rng): { x: tf.Tensor2D; logProb: tf.Tensor1D } {
    const x = this.sample(n, rng);
    return { x, logProb: this.logProb(x) };
  }

  /** JSON description `{ type, ...params }` without weights, from which the registry rebuilds it. */
  toConfig(): SerializedConfig {
    return { type: 'MeanFreeNormal', particles: this.particles, spatialDim: this.spatialDim, scale: this.scale };
  }

  /** Frees the variables it owns. */
  dispose(): void {}
}
