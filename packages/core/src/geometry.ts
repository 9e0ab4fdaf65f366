/**
 * Batched molecular geometry on TF.js tensors (shared by energies' force fields and bijectors' internal coordinates):
 * distances, bond angles and torsions over the last axis, with finite values and gradients at degenerate geometries.
 */
import * as tf from '@tensorflow/tfjs';

/** ε (nm²) under square roots: keeps gradients finite when two atoms coincide, far below float32 resolution of real distances. */
const SQRT_EPS = 1e-12;

/**
 * Positions `[n, 3N]` → atom-major `[N, 3n]` (row a holds atom a of every conformation), the layout
 * {@link gatherAtoms} multiplies.
 */
export function atomMajor(x: tf.Tensor2D, atoms: number): tf.Tensor2D {
  const n = x.shape[0];
  return tf.reshape(tf.transpose(tf.reshape(x, [n, atoms, 3]), [1, 0, 2]), [atoms, 3 * n]);
}

/**
 * Rows of atom-major positions picked by a 0/1 selection matrix `[m, N]` → `[m, n, 3]`. A matMul rather than
 * tf.gather: gather's gradient needs UnsortedSegmentSum, which the WASM backend lacks.
 */
export function gatherAtoms(atomMajorX: tf.Tensor2D, selection: tf.Tensor2D): tf.Tensor3D {
  const m = selection.shape[0];
  return tf.reshape(tf.matMul(selection, atomMajorX), [m, -1, 3]);
}

/** The 0/1 matrix `[indices.length, atoms]` selecting the given atoms. */
export function selectionMatrix(indices: readonly number[], atoms: number): tf.Tensor2D {
  const s = new Float32Array(indices.length * atoms);
  indices.forEach((a, r) => (s[r * atoms + a] = 1));
  return tf.tensor2d(s, [indices.length, atoms]);
}

export function dot(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.sum(tf.mul(a, b), -1);
}

export function cross(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const [a0, a1, a2] = tf.unstack(a, -1) as [tf.Tensor, tf.Tensor, tf.Tensor];
  const [b0, b1, b2] = tf.unstack(b, -1) as [tf.Tensor, tf.Tensor, tf.Tensor];
  return tf.stack([tf.sub(tf.mul(a1, b2), tf.mul(a2, b1)), tf.sub(tf.mul(a2, b0), tf.mul(a0, b2)), tf.sub(tf.mul(a0, b1), tf.mul(a1, b0))], -1);
}

/** ‖a − b‖ over the last axis, softened by {@link SQRT_EPS}. */
export function distance(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const d = tf.sub(a, b);
  return tf.sqrt(tf.add(dot(d, d), SQRT_EPS));
}

/** Angle a–b–c in [0, π] as atan2(‖u×v‖, u·v): accurate near 0 and π, with finite gradients for collinear atoms. */
export function bondAngle(a: tf.Tensor, b: tf.Tensor, c: tf.Tensor): tf.Tensor {
  const u = tf.sub(a, b);
  const v = tf.sub(c, b);
  const cr = cross(u, v);
  return tf.atan2(tf.sqrt(tf.add(dot(cr, cr), SQRT_EPS * SQRT_EPS)), dot(u, v));
}

/**
 * Dihedral a–b–c–d in (−π, π] (IUPAC sign: positive when, looking along b→c, a turns clockwise onto d), as
 * atan2(‖b₂‖ b₁·(b₂×b₃), (b₁×b₂)·(b₂×b₃)); the degenerate case (collinear atoms) returns 0 with finite gradients.
 */
export function torsionAngle(a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor): tf.Tensor {
  const b1 = tf.sub(b, a);
  const b2 = tf.sub(c, b);
  const b3 = tf.sub(d, c);
  const n1 = cross(b1, b2);
  const n2 = cross(b2, b3);
  const y = tf.mul(tf.sqrt(tf.add(dot(b2, b2), SQRT_EPS)), dot(b1, n2));
  const x = dot(n1, n2);
  return safeAtan2(y, x);
}

/**
 * atan2(y, x) whose gradient is 0 instead of NaN at the origin (collinear atoms); in (−π, π] since atan2(0, −|x|) = +π.
 * A custom gradient rather than tf.where on x² + y²: the comparison would sit on the tape, and Less has no gradient.
 */
const safeAtan2 = tf.customGrad(((y: tf.Tensor, x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([y, x]);
  return {
    value: tf.atan2(y, x),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [ys, xs] = saved as [tf.Tensor, tf.Tensor];
      const r2 = tf.add(tf.square(xs), tf.square(ys));
      const inv = tf.div(tf.cast(tf.greater(r2, 0), 'float32'), tf.maximum(r2, 1e-37));
      return [tf.mul(dy, tf.mul(xs, inv)), tf.mul(dy, tf.neg(tf.mul(ys, inv)))];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (y: tf.Tensor, x: tf.Tensor) => tf.Tensor;

