import * as tf from '@tensorflow/tfjs';
import { BoltzflowError } from './errors.js';
import { assertInteger, describeShape } from './guards.js';
import { determinant } from './linearAlgebra.js';
import type { Rng } from './rng.js';

/**
 * Particle layout: a sample is a row `[particles·spatialDim]`, particle-major (x₁₁…x₁ₛ, x₂₁…). These helpers reshape,
 * centre, rotate and permute such batches, and draw the random group elements used by equivariance tests and
 * equivariant flow matching.
 */

/** Throws INVALID_SHAPE unless x is `[n, particles·spatialDim]`; returns n. */
export function checkParticles(x: tf.Tensor, particles: number, spatialDim: number, argument = 'x'): number {
  assertInteger(particles, 'particles', 1);
  assertInteger(spatialDim, 'spatialDim', 1);
  if (!(x instanceof tf.Tensor) || x.rank !== 2 || x.shape[1] !== particles * spatialDim) {
    throw new BoltzflowError('INVALID_SHAPE', 'Particle batch width must be particles × spatialDim', {
      argument,
      expected: `[n, ${particles * spatialDim}] (${particles} particles × ${spatialDim} dims)`,
      received: x instanceof tf.Tensor ? describeShape(x.shape) : typeof x,
    });
  }
  return x.shape[0];
}

/** `[n, P·S]` → `[n, P, S]`. */
export function toParticles(x: tf.Tensor2D, particles: number, spatialDim: number): tf.Tensor3D {
  const n = checkParticles(x, particles, spatialDim);
  return tf.reshape(x, [n, particles, spatialDim]);
}

/** `[n, P, S]` → `[n, P·S]`. */
export function fromParticles(x: tf.Tensor3D): tf.Tensor2D {
  const [n, p, s] = x.shape;
  return tf.reshape(x, [n, p * s]);
}

/** Subtracts each sample's centre of mass (equal masses): the projection onto the mean-free subspace. */
export function removeCenterOfMass(x: tf.Tensor2D, particles: number, spatialDim: number): tf.Tensor2D {
  return tf.tidy(() => {
    const r = toParticles(x, particles, spatialDim);
    return fromParticles(tf.sub(r, tf.mean(r, 1, true)) as tf.Tensor3D);
  });
}

/** Per-sample centre of mass `[n, S]`. */
export function centerOfMass(x: tf.Tensor2D, particles: number, spatialDim: number): tf.Tensor2D {
  return tf.tidy(() => tf.mean(toParticles(x, particles, spatialDim), 1) as tf.Tensor2D);
}

/**
 * A Haar-uniform rotation in SO(d) (d×d, row-major arrays): QR of a Gaussian matrix by Gram–Schmidt with the sign fix
 * R_ii > 0 (which makes Q Haar on O(d)), then one column negated when det = −1.
 */
export function randomRotation(spatialDim: number, rng: Rng): number[][] {
  assertInteger(spatialDim, 'spatialDim', 1);
  const d = spatialDim;
  const g = rng.normalArray(d * d);
  const cols: number[][] = [];
  for (let j = 0; j < d; j++) {
    const v = Array.from({ length: d }, (_, i) => g[i * d + j]);
    for (const q of cols) {
      const dot = q.reduce((s, qi, i) => s + qi * v[i], 0);
      for (let i = 0; i < d; i++) v[i] -= dot * q[i];
    }
    const nrm = Math.sqrt(v.reduce((s, a) => s + a * a, 0));
    cols.push(v.map((a) => a / nrm)); // Gram–Schmidt gives R_jj = nrm > 0: the sign fix is built in.
  }
  const q = Array.from({ length: d }, (_, i) => cols.map((c) => c[i]));
  if (determinant(q) < 0) for (let i = 0; i < d; i++) q[i][0] = -q[i][0];
  return q;
}

/** `[n, S, S]` independent Haar rotations. */
export function randomRotations(n: number, spatialDim: number, rng: Rng): tf.Tensor3D {
  assertInteger(n, 'n', 0);
  const out = new Float32Array(n * spatialDim * spatialDim);
  for (let k = 0; k < n; k++) out.set(randomRotation(spatialDim, rng).flat(), k * spatialDim * spatialDim);
  return tf.tensor3d(out, [n, spatialDim, spatialDim]);
}

/** Applies xᵢ → R xᵢ to every particle; R is one `S×S` matrix or a per-sample tensor `[n, S, S]`. */
export function rotateParticles(x: tf.Tensor2D, rotation: number[][] | tf.Tensor3D, particles: number, spatialDim: number): tf.Tensor2D {
  return tf.tidy(() => {
    const r = toParticles(x, particles, spatialDim);
    if (Array.isArray(rotation)) {
      if (rotation.length !== spatialDim || rotation.some((row) => row.length !== spatialDim)) {
        throw new BoltzflowError('INVALID_SHAPE', 'Rotation must be spatialDim × spatialDim', {
          argument: 'rotation',
          expected: `${spatialDim}×${spatialDim}`,
          received: `${rotation.length} rows`,
        });
      }
      const m = tf.tensor2d(rotation);
      return fromParticles(tf.reshape(tf.matMul(tf.reshape(r, [-1, spatialDim]), m, false, true), r.shape) as tf.Tensor3D);
    }
    if (rotation.rank !== 3 || rotation.shape[0] !== r.shape[0] || rotation.shape[1] !== spatialDim || rotation.shape[2] !== spatialDim) {
      throw new BoltzflowError('INVALID_SHAPE', 'Per-sample rotations must be [n, S, S]', {
        argument: 'rotation',
        expected: `[${r.shape[0]}, ${spatialDim}, ${spatialDim}]`,
        received: describeShape(rotation.shape),
      });
    }
    return fromParticles(tf.matMul(r, rotation, false, true) as tf.Tensor3D);
  });
}

/** Reorders particles: output particle i is input particle perm[i] (same permutation for every sample). */
export function permuteParticles(x: tf.Tensor2D, perm: ArrayLike<number>, particles: number, spatialDim: number): tf.Tensor2D {
  const sorted = Array.from(perm).sort((a, b) => a - b);
  if (sorted.length !== particles || sorted.some((v, i) => v !== i)) {
    throw new BoltzflowError('INVALID_VALUE', 'Not a permutation of the particles', {
      argument: 'perm',
      expected: `a permutation of 0..${particles - 1}`,
      received: JSON.stringify(Array.from(perm)),
    });
  }
  return tf.tidy(() => fromParticles(tf.gather(toParticles(x, particles, spatialDim), tf.tensor1d(Array.from(perm), 'int32'), 1) as tf.Tensor3D));
}

/** A uniform random permutation of the particles. */
export function randomPermutation(particles: number, rng: Rng): number[] {
  return Array.from(rng.permutation(particles));
}
