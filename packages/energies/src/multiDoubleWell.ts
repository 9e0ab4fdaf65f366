import * as tf from '@tensorflow/tfjs';
import { assertFiniteNumber, assertPositive, type Energy } from '@boltzflow/core';
import { PairGeometry } from './particles.js';

/** Options of {@link MultiDoubleWell} (defaults: DW4 of Köhler et al. 2020). */
export interface MultiDoubleWellOptions {
  /** Number of particles. Default 4. */
  particles?: number;
  /** Spatial dimension of each particle. Default 2. */
  spatialDim?: number;
  /** Linear coefficient. Default 0. */
  a?: number;
  /** Quadratic coefficient. Default −4. */
  b?: number;
  /** Quartic coefficient (> 0). Default 0.9. */
  c?: number;
  /** Offset distance d₀. Default 4. */
  d0?: number;
  /** Temperature τ dividing the energy. Default 1. */
  tau?: number;
  /** ε in d = sqrt(‖xᵢ−xⱼ‖² + ε), which keeps gradients finite at coincidence. Default 1e-8. */
  distanceEps?: number;
}

/**
 * Multi-particle double-well pair potential (DW4 by default: 4 particles in 2D):
 * u(x) = Σ_{i<j} [a(dᵢⱼ−d₀) + b(dᵢⱼ−d₀)² + c(dᵢⱼ−d₀)⁴] / τ. Invariant to translations, rotations and permutations.
 * Each pair is bistable with minima at dᵢⱼ = d₀ ± √(−b/(2c)) (for a = 0). Gradient by autodiff.
 */
export class MultiDoubleWell implements Energy {
  readonly dim: number;
  readonly name: string;
  readonly particles: number;
  readonly spatialDim: number;
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly d0: number;
  readonly tau: number;
  private readonly geometry: PairGeometry;

  constructor(options: MultiDoubleWellOptions = {}) {
    const o = { particles: 4, spatialDim: 2, a: 0, b: -4, c: 0.9, d0: 4, tau: 1, distanceEps: 1e-8, ...definedOnly(options) };
    assertFiniteNumber(o.a, 'a');
    assertFiniteNumber(o.b, 'b');
    assertPositive(o.c, 'c');
    assertFiniteNumber(o.d0, 'd0');
    assertPositive(o.tau, 'tau');
    this.geometry = new PairGeometry(o.particles, o.spatialDim, o.distanceEps);
    this.particles = o.particles;
    this.spatialDim = o.spatialDim;
    this.dim = this.geometry.dim;
    this.a = o.a;
    this.b = o.b;
    this.c = o.c;
    this.d0 = o.d0;
    this.tau = o.tau;
    this.name = `multi-double-well(${o.particles}x${o.spatialDim})`;
  }

  /** u(x) `[n]` for x `[n, particles·spatialDim]`. */
  energy(x: tf.Tensor2D): tf.Tensor1D {
    this.geometry.check(x);
    return tf.tidy(() => {
      const s = tf.sub(this.geometry.distances(x), this.d0);
      const s2 = tf.square(s);
      const pair = tf.addN([tf.mul(s, this.a), tf.mul(s2, this.b), tf.mul(tf.square(s2), this.c)]);
      return tf.div(tf.sum(pair, 1), this.tau) as tf.Tensor1D;
    });
  }

  /** Frees the cached pair-incidence tensor. */
  dispose(): void {
    this.geometry.dispose();
  }
}

/** Copy of an options object without its undefined entries (so defaults are not overwritten by `undefined`). */
export function definedOnly<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o ?? {})) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
