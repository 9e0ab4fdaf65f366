/**
 * Batched molecular geometry on TF.js tensors, shared by energies' force fields and bijectors' internal coordinates.
 * A batch of 3-vectors is a triple of same-shape tensors (x, y, z components), typically `[n, m]` (conformations ×
 * terms): every operation is then a same-shape elementwise op, which the WASM backend runs fast, where stacking or
 * unstacking a trailing axis of 3 takes a slow path. Values and gradients stay finite at degenerate geometries.
 */
import * as tf from '@tensorflow/tfjs';

/** A batch of 3-vectors as its x, y, z components (same shapes). */
export type Vec3 = [tf.Tensor, tf.Tensor, tf.Tensor];

/** ε (nm²) under square roots: keeps gradients finite when two atoms coincide, far below float32 resolution of real distances. */
const SQRT_EPS = 1e-12;

/** The 0/1 matrix `[rows.length, size]` with a 1 at (r, rows[r]): left-multiplying selects rows. */
export function selectionMatrix(rows: readonly number[], size: number): tf.Tensor2D {
  const s = new Float32Array(rows.length * size);
  rows.forEach((a, r) => (s[r * size + a] = 1));
  return tf.tensor2d(s, [rows.length, size]);
}

/**
 * For atoms `indices` (m of them) of a molecule of `atoms` atoms, the three 0/1 matrices `[3·atoms, m]` that pick their
 * x, y and z coordinates out of flat conformations `[n, 3·atoms]` (atom a at columns 3a…3a+2). A matMul rather than
 * tf.gather: gather's gradient needs UnsortedSegmentSum, which the WASM backend lacks.
 */
export function coordinateSelectors(indices: readonly number[], atoms: number): [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D] {
  const m = indices.length;
  return [0, 1, 2].map((c) => {
    const s = new Float32Array(3 * atoms * m);
    indices.forEach((a, j) => (s[(3 * a + c) * m + j] = 1));
    return tf.tensor2d(s, [3 * atoms, m]);
  }) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
}

/**
 * The three 0/1/−1 matrices `[3·atoms, m]` giving the displacements x_to[j] − x_from[j] from flat conformations: one
 * matMul per component gives a bond vector directly (fewer matMuls and subtractions than gathering both ends).
 */
export function displacementSelectors(from: readonly number[], to: readonly number[], atoms: number): [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D] {
  const m = from.length;
  return [0, 1, 2].map((c) => {
    const s = new Float32Array(3 * atoms * m);
    from.forEach((a, j) => {
      s[(3 * to[j]! + c) * m + j] += 1;
      s[(3 * a + c) * m + j] -= 1;
    });
    return tf.tensor2d(s, [3 * atoms, m]);
  }) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
}

/** Positions of the selected atoms, `x` `[n, 3N]` → components `[n, m]` each. */
export function gatherCoordinates(x: tf.Tensor2D, selectors: readonly [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D]): Vec3 {
  return selectors.map((s) => tf.matMul(x, s)) as Vec3;
}

/** Component-wise difference a − b of `[n, 3]` vectors. */
export function vsub(a: Vec3, b: Vec3): Vec3 {
  return [tf.sub(a[0], b[0]), tf.sub(a[1], b[1]), tf.sub(a[2], b[2])];
}

/** Row-wise dot product of `[n, 3]` vectors, `[n]`. */
export function vdot(a: Vec3, b: Vec3): tf.Tensor {
  return tf.addN([tf.mul(a[0], b[0]), tf.mul(a[1], b[1]), tf.mul(a[2], b[2])]);
}

/** Row-wise cross product a × b of `[n, 3]` vectors. */
export function vcross(a: Vec3, b: Vec3): Vec3 {
  return [tf.sub(tf.mul(a[1], b[2]), tf.mul(a[2], b[1])), tf.sub(tf.mul(a[2], b[0]), tf.mul(a[0], b[2])), tf.sub(tf.mul(a[0], b[1]), tf.mul(a[1], b[0]))];
}

/** ‖d‖, softened by `SQRT_EPS` (1e-12). */
export function vnorm(d: Vec3): tf.Tensor {
  return tf.sqrt(tf.add(vdot(d, d), SQRT_EPS));
}

/** ‖a − b‖, softened by `SQRT_EPS` (1e-12). */
export function distance(a: Vec3, b: Vec3): tf.Tensor {
  return vnorm(vsub(a, b));
}

/** Angle between u and v in [0, π] as atan2(‖u×v‖, u·v): accurate near 0 and π, finite gradients when collinear. */
export function angleBetween(u: Vec3, v: Vec3): tf.Tensor {
  const cr = vcross(u, v);
  return tf.atan2(tf.sqrt(tf.add(vdot(cr, cr), SQRT_EPS * SQRT_EPS)), vdot(u, v));
}

/** Angle a–b–c in [0, π]. */
export function bondAngle(a: Vec3, b: Vec3, c: Vec3): tf.Tensor {
  return angleBetween(vsub(a, b), vsub(c, b));
}

/**
 * Dihedral of the bond vectors b₁ = b − a, b₂ = c − b, b₃ = d − c in (−π, π] (IUPAC sign: positive when, looking
 * along b→c, a turns clockwise onto d), as atan2(‖b₂‖ b₁·(b₂×b₃), (b₁×b₂)·(b₂×b₃)); the degenerate case (collinear
 * atoms) returns 0 with finite gradients.
 */
export function dihedralOfBonds(b1: Vec3, b2: Vec3, b3: Vec3): tf.Tensor {
  const n2 = vcross(b2, b3);
  const y = tf.mul(vnorm(b2), vdot(b1, n2));
  const x = vdot(vcross(b1, b2), n2);
  return safeAtan2(y, x);
}

/** Dihedral a–b–c–d in (−π, π] (see {@link dihedralOfBonds}). */
export function torsionAngle(a: Vec3, b: Vec3, c: Vec3, d: Vec3): tf.Tensor {
  return dihedralOfBonds(vsub(b, a), vsub(c, b), vsub(d, c));
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
