import * as tf from '@tensorflow/tfjs';
import { assertBatch, assertInteger, BoltzflowError, dihedralOfBonds, displacementSelectors, gatherCoordinates } from '@boltzflow/core';

/**
 * The dihedral angle of atoms `[i, j, k, l]` for a batch of conformations `x` `[n, 3N]` (positions of atom a at
 * columns 3a…3a+2), in radians in (−π, π], `[n]`. φ and ψ of a peptide are dihedrals of backbone atoms.
 */
export function dihedral(x: tf.Tensor2D, atoms: readonly [number, number, number, number]): tf.Tensor1D {
  const [, dim] = assertBatch(x, 'x');
  if (dim % 3 !== 0) {
    throw new BoltzflowError('INVALID_SHAPE', 'Conformations must hold 3 coordinates per atom', {
      argument: 'x',
      expected: '[n, 3N]',
      received: `[${x.shape.join(', ')}]`,
    });
  }
  const N = dim / 3;
  if (!Array.isArray(atoms) || atoms.length !== 4) {
    throw new BoltzflowError('INVALID_VALUE', 'A dihedral needs four atoms', { argument: 'atoms', expected: '[i, j, k, l]', received: JSON.stringify(atoms) });
  }
  atoms.forEach((a, q) => assertInteger(a, `atoms[${q}]`, 0, N - 1));
  if (new Set(atoms).size !== 4) {
    throw new BoltzflowError('INVALID_VALUE', 'Dihedral atoms must be distinct', {
      argument: 'atoms',
      expected: 'four different atom indices',
      received: JSON.stringify(atoms),
    });
  }
  return tf.tidy(() => {
    const b = [0, 1, 2].map((q) => gatherCoordinates(x, displacementSelectors([atoms[q]!], [atoms[q + 1]!], N)));
    return tf.reshape(dihedralOfBonds(b[0]!, b[1]!, b[2]!), [-1]) as tf.Tensor1D;
  });
}
