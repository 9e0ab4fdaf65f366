import * as tf from '@tensorflow/tfjs';
import { assertNonNegative, assertPositive, type Energy, assertOneOf } from '@boltzflow/core';
import { PairGeometry } from './particles.js';
import { definedOnly } from './multiDoubleWell.js';

/** Options of {@link LennardJones} (defaults: LJ13 of Köhler et al. 2020). */
export interface LennardJonesOptions {
  /** Number of particles. Default 13. */
  particles?: number;
  /** Spatial dimension. Default 3. */
  spatialDim?: number;
  /** Well depth ε. Default 1. */
  epsilon?: number;
  /** Pair-minimum distance r_m. Default 1. */
  rm?: number;
  /** Temperature τ dividing the pair term. Default 1. */
  tau?: number;
  /** Weight of the harmonic term ½ Σᵢ ‖xᵢ − x̄‖² (0 disables it). Default 1. */
  oscillatorScale?: number;
  /** 'i<j' (each pair once, default; LJ13 minimum −44.3268) or 'i!=j' (each pair twice, as some papers write it). */
  pairSum?: 'i<j' | 'i!=j';
  /**
   * Soft-core radius r_c: below it the pair potential continues linearly (value and slope matched at r_c), so
   * coincident particles give a large finite energy and a finite, repulsive gradient. Default 0.6·r_m (LJ there ≈ 416ε,
   * never reached at equilibrium). `false` gives the raw potential (+Infinity at coincidence).
   */
  softCore?: number | false;
  /** ε in d = sqrt(‖xᵢ−xⱼ‖² + ε). Default 1e-8. */
  distanceEps?: number;
}

/**
 * Lennard-Jones cluster (LJ13 by default: 13 particles in 3D):
 * u(x) = (ε/τ) Σ_{i<j} [(r_m/dᵢⱼ)¹² − 2(r_m/dᵢⱼ)⁶] + (oscillatorScale/2) Σᵢ ‖xᵢ − x̄‖².
 * The pair term has its minimum −ε at d = r_m. Gradient by autodiff.
 */
export class LennardJones implements Energy {
  readonly dim: number;
  readonly name: string;
  readonly particles: number;
  readonly spatialDim: number;
  readonly epsilon: number;
  readonly rm: number;
  readonly tau: number;
  readonly oscillatorScale: number;
  readonly pairSum: 'i<j' | 'i!=j';
  /** Soft-core radius, or undefined for the raw potential. */
  readonly softCore: number | undefined;
  private readonly geometry: PairGeometry;

  constructor(options: LennardJonesOptions = {}) {
    const o = {
      particles: 13,
      spatialDim: 3,
      epsilon: 1,
      rm: 1,
      tau: 1,
      oscillatorScale: 1,
      pairSum: 'i<j' as const,
      distanceEps: 1e-8,
      ...definedOnly(options),
    };
    assertPositive(o.epsilon, 'epsilon');
    assertPositive(o.rm, 'rm');
    assertPositive(o.tau, 'tau');
    assertNonNegative(o.oscillatorScale, 'oscillatorScale');
    assertOneOf(o.pairSum, ['i<j', 'i!=j'], 'pairSum', { message: 'Unknown pair-sum convention' });
    const soft = options.softCore === undefined ? 0.6 * o.rm : options.softCore;
    if (soft !== false) assertPositive(soft, 'softCore');
    this.geometry = new PairGeometry(o.particles, o.spatialDim, o.distanceEps);
    this.particles = o.particles;
    this.spatialDim = o.spatialDim;
    this.dim = this.geometry.dim;
    this.epsilon = o.epsilon;
    this.rm = o.rm;
    this.tau = o.tau;
    this.oscillatorScale = o.oscillatorScale;
    this.pairSum = o.pairSum;
    this.softCore = soft === false ? undefined : soft;
    this.name = `lennard-jones(${o.particles}x${o.spatialDim})`;
  }

  /** ε[(r_m/r)¹² − 2(r_m/r)⁶] for a plain number (raw, no soft core). */
  pairPotential(r: number): number {
    const s6 = (this.rm / r) ** 6;
    return this.epsilon * (s6 * s6 - 2 * s6);
  }

  /** u(x) `[n]` for x `[n, particles·spatialDim]`. */
  energy(x: tf.Tensor2D): tf.Tensor1D {
    this.geometry.check(x);
    return tf.tidy(() => {
      const d = this.geometry.distances(x);
      const pair = tf.sum(this.pairTerm(d), 1);
      const factor = (this.pairSum === 'i!=j' ? 2 : 1) / this.tau;
      let u = tf.mul(pair, factor);
      if (this.oscillatorScale > 0) u = tf.add(u, tf.mul(this.geometry.centredSquaredNorm(x), 0.5 * this.oscillatorScale));
      return u as tf.Tensor1D;
    });
  }

  /** Per-pair potential with the soft core: LJ(max(r, r_c)) + LJ'(r_c)·min(r − r_c, 0), no Inf/NaN in value or gradient. */
  private pairTerm(d: tf.Tensor): tf.Tensor {
    const lj = (r: tf.Tensor): tf.Tensor => {
      const s2 = tf.square(tf.div(this.rm, r));
      const s6 = tf.mul(tf.square(s2), s2);
      return tf.mul(tf.sub(tf.square(s6), tf.mul(s6, 2)), this.epsilon);
    };
    if (this.softCore === undefined) return lj(d);
    const rc = this.softCore;
    const s6c = (this.rm / rc) ** 6;
    const slope = ((12 * this.epsilon) / rc) * (s6c - s6c * s6c);
    return tf.add(lj(tf.maximum(d, rc)), tf.mul(tf.minimum(tf.sub(d, rc), 0), slope));
  }

  /** Frees the cached pair-incidence tensor. */
  dispose(): void {
    this.geometry.dispose();
  }
}
