import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { bondAngle, coordinateSelectors, displacementSelectors, distance, gatherCoordinates, torsionAngle, type Vec3 } from '../src/index.js';

const v = (p: number[]): Vec3 => [tf.scalar(p[0]!), tf.scalar(p[1]!), tf.scalar(p[2]!)];

describe('molecular geometry', () => {
  it('torsionAngle follows the IUPAC sign and covers (−π, π]', () => {
    // a = (1, 0, 0), b = 0, c = (0, 0, 1), d = (cos φ, sin φ, 1): the dihedral is φ.
    for (const phi of [-3, -1.5, -0.2, 0, 0.7, 2, 3.1, Math.PI]) {
      const t = torsionAngle(v([1, 0, 0]), v([0, 0, 0]), v([0, 0, 1]), v([Math.cos(phi), Math.sin(phi), 1])).dataSync()[0]!;
      expect(t).toBeCloseTo(phi, 5);
    }
  });

  it('distance and bondAngle match closed forms, and gatherCoordinates picks atoms of a batch', () => {
    expect(distance(v([1, 2, 2]), v([0, 0, 0])).dataSync()[0]).toBeCloseTo(3, 6);
    expect(bondAngle(v([1, 0, 0]), v([0, 0, 0]), v([1, 1, 0])).dataSync()[0]).toBeCloseTo(Math.PI / 4, 6);
    expect(bondAngle(v([1, 0, 0]), v([0, 0, 0]), v([-2, 0, 0])).dataSync()[0]).toBeCloseTo(Math.PI, 6);
    const x = tf.tensor2d([
      [0, 1, 2, 3, 4, 5],
      [6, 7, 8, 9, 10, 11],
    ]); // 2 conformations of 2 atoms
    const g = gatherCoordinates(x, coordinateSelectors([1, 0, 1], 2)).map((t) => t.arraySync());
    expect(g).toEqual([
      [
        [3, 0, 3],
        [9, 6, 9],
      ],
      [
        [4, 1, 4],
        [10, 7, 10],
      ],
      [
        [5, 2, 5],
        [11, 8, 11],
      ],
    ]);
    const d = gatherCoordinates(x, displacementSelectors([0, 1], [1, 1], 2)).map((t) => t.arraySync());
    expect(d).toEqual([
      [
        [3, 0],
        [3, 0],
      ],
      [
        [3, 0],
        [3, 0],
      ],
      [
        [3, 0],
        [3, 0],
      ],
    ]);
  });

  it('has finite gradients for coincident and collinear atoms', () => {
    const p = tf.tensor2d([[0, 0, 0, 0, 0, 0, 1, 0, 0, 2, 0, 0]]);
    const f = (t: tf.Tensor) => {
      const [a, b, c, d] = [0, 1, 2, 3].map((i) => gatherCoordinates(t as tf.Tensor2D, coordinateSelectors([i], 4)));
      return tf.sum(tf.addN([distance(a!, b!), bondAngle(a!, b!, c!), torsionAngle(a!, b!, c!, d!), torsionAngle(b!, c!, d!, a!)]));
    };
    const g = tf.grad(f)(p);
    expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
    expect(Number.isFinite(f(p).dataSync()[0]!)).toBe(true);
  });
});
