import * as tf from '@tensorflow/tfjs';
import { assertBatch, assertInteger, BoltzflowError, torsionAngle, type CoordinateBlock, type Vec3 } from '@boltzflow/core';
import type { InternalCoordinates } from './internalCoordinates.js';

/** A dihedral i–j–k–l given by its four atom indices. */
export type DihedralQuartet = readonly [number, number, number, number];

/**
 * The dihedrals `quartets` of a molecule on the frame coordinates of `ic` as a {@link CoordinateBlock}: `read` measures
 * them (rad, (−π, π]); `write` sets them by turning, about each quartet's j–k bond, the branch the Z-matrix places on
 * that bond — every row [a, k, j, t] (else [a, j, k, t]) whose torsion reference t is not itself one of those rows
 * gets the same torsion shift, so the branch turns rigidly and every bond length and angle is kept. In internal
 * coordinates that is a shear (unit Jacobian), and the frame ↔ internal Jacobian depends on bonds and angles only, so
 * a move of the block has the plain target ratio on frame coordinates (what Metropolis-within-Gibbs moves need).
 *
 * Throws when a quartet's j–k bond carries no Z-matrix torsion (its atoms fix the frame or are not bonded) or when two
 * quartets turn the same rows.
 */
export function dihedralBlock(ic: InternalCoordinates, quartets: readonly DihedralQuartet[]): CoordinateBlock {
  if (!Array.isArray(quartets) || quartets.length === 0) {
    throw new BoltzflowError('INVALID_CONFIG', 'A dihedral block needs at least one dihedral', {
      argument: 'quartets',
      expected: 'a non-empty list of [i, j, k, l]',
      received: JSON.stringify(quartets),
    });
  }
  const [t0] = ic.torsionColumns;
  const seen = new Set<number>();
  const columns = quartets.map((q, d) => {
    if (!Array.isArray(q) || q.length !== 4) {
      throw new BoltzflowError('INVALID_CONFIG', 'A dihedral needs four atoms', {
        argument: `quartets[${d}]`,
        expected: '[i, j, k, l]',
        received: JSON.stringify(q),
      });
    }
    q.forEach((a, p) => assertInteger(a, `quartets[${d}][${p}]`, 0, ic.atoms - 1));
    const [, j, k] = q;
    const onBond = (c: number, b: number): number[] => {
      const rows = ic.zMatrix.flatMap((r, row) => (row >= 3 && r[1] === c && r[2] === b ? [row] : []));
      const atoms = new Set(rows.map((row) => ic.zMatrix[row]![0]));
      // A row placed relative to a sibling on the same bond turns with that sibling already.
      return rows.filter((row) => !atoms.has(ic.zMatrix[row]![3]!)).map((row) => t0 + row - 3);
    };
    const cols = onBond(k, j).length > 0 ? onBond(k, j) : onBond(j, k);
    if (cols.length === 0) {
      throw new BoltzflowError('INVALID_CONFIG', 'This dihedral cannot be turned through the Z-matrix', {
        argument: `quartets[${d}]`,
        expected: 'a dihedral whose j–k bond carries Z-matrix torsions (j and k bonded, not both frame atoms)',
        received: `[${q.join(', ')}]`,
      });
    }
    for (const c of cols) {
      if (seen.has(c)) {
        throw new BoltzflowError('INVALID_CONFIG', 'Two dihedrals of the block turn the same branch', {
          argument: `quartets[${d}]`,
          expected: 'dihedrals about distinct bonds',
          received: `[${q.join(', ')}]`,
        });
      }
      seen.add(c);
    }
    return cols;
  });
  const k = quartets.length;
  const shear = new Float32Array(k * ic.dim);
  columns.forEach((cols, d) => {
    for (const c of cols) shear[d * ic.dim + c] = 1;
  });
  const read = (x: tf.Tensor2D): tf.Tensor2D => {
    assertBatch(x, 'x', ic.dim);
    return tf.tidy(() => {
      const cart = ic.fromFrame(x);
      const at = (a: number): Vec3 => [0, 1, 2].map((c) => tf.squeeze(tf.slice(cart, [0, 3 * a + c], [-1, 1]), [1])) as Vec3;
      return tf.stack(
        quartets.map(([a, b, c, e]) => torsionAngle(at(a), at(b), at(c), at(e))),
        1,
      ) as tf.Tensor2D;
    });
  };
  return {
    dim: k,
    circular: new Array<boolean>(k).fill(true),
    read,
    write(x: tf.Tensor2D, s: tf.Tensor2D): tf.Tensor2D {
      const [n] = assertBatch(x, 'x', ic.dim);
      const [m] = assertBatch(s, 's', k);
      if (m !== n) {
        throw new BoltzflowError('INVALID_SHAPE', 'Block values and configurations differ in number', {
          argument: 's',
          expected: `[${n}, ${k}]`,
          received: `[${m}, ${k}]`,
        });
      }
      return tf.tidy(() => {
        const delta = tf.sub(s, read(x));
        // Shortest turn: wrap the difference into (−π, π].
        const wrapped = tf.sub(delta, tf.mul(2 * Math.PI, tf.round(tf.div(delta, 2 * Math.PI))));
        const z = ic.inverse(x).x;
        return ic.forward(tf.add(z, tf.matMul(wrapped, tf.tensor2d(shear, [k, ic.dim]))) as tf.Tensor2D).y;
      });
    },
  };
}
