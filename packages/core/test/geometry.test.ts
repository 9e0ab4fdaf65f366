import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { bondAngle, distance, gatherAtoms, atomMajor, selectionMatrix, torsionAngle } from '../src/index.js';

const row = (v: number[]) => tf.tensor2d([v]);

describe('molecular geometry', () => {
  it('torsionAngle follows the IUPAC sign and covers (−π, π]', () => {
    // a = (1, 0, 0), b = 0, c = (0, 0, 1), d = (cos φ, sin φ, 1): the dihedral is φ.
    for (const phi of [-3, -1.5, -0.2, 0, 0.7, 2, 3.1, Math.PI]) {
      const t = torsionAngle(row([1, 0, 0]), row([0, 0, 0]), row([0, 0, 1]), row([Math.cos(phi), Math.sin(phi), 1])).dataSync()[0]!;
      expect(t).toBeCloseTo(phi === Math.PI ? Math.PI : phi, 5);
    }
  });

  it('distance and bondAngle match closed forms, and gatherAtoms picks atoms of a batch', () => {
    expect(distance(row([1, 2, 2]), row([0, 0, 0])).dataSync()[0]).toBeCloseTo(3, 6);
    expect(bondAngle(row([1, 0, 0]), row([0, 0, 0]), row([1, 1, 0])).dataSync()[0]).toBeCloseTo(Math.PI / 4, 6);
    expect(bondAngle(row([1, 0, 0]), row([0, 0, 0]), row([-2, 0, 0])).dataSync()[0]).toBeCloseTo(Math.PI, 6);
    const x = tf.tensor2d([[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]]); // 2 conformations of 2 atoms
    const g = gatherAtoms(atomMajor(x, 2), selectionMatrix([1, 0, 1], 2)); // [3, 2, 3]
    expect(g.arraySync()).toEqual([[[3, 4, 5], [9, 10, 11]], [[0, 1, 2], [6, 7, 8]], [[3, 4, 5], [9, 10, 11]]]);
  });

  it('has finite gradients for coincident and collinear atoms', () => {
    const p = tf.tensor2d([[0, 0, 0, 0, 0, 0, 1, 0, 0, 2, 0, 0]]);
    const f = (v: tf.Tensor) => {
      const a = tf.slice(v, [0, 0], [1, 3]);
      const b = tf.slice(v, [0, 3], [1, 3]);
      const c = tf.slice(v, [0, 6], [1, 3]);
      const d = tf.slice(v, [0, 9], [1, 3]);
      return tf.sum(tf.addN([distance(a, b), bondAngle(a, b, c), torsionAngle(a, b, c, d), torsionAngle(b, c, d, a)]));
    };
    const g = tf.grad(f)(p);
    expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
    expect(Number.isFinite(f(p).dataSync()[0]!)).toBe(true);
  });
});
