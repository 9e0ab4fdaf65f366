import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createRng, type Rng } from '@boltzflow/core';
import { checkZMatrix, InternalCoordinates, zMatrixFromBonds, bijectorFromConfig } from '../src/index.js';
import { expectBoltzflowError, runBijectorSuite } from './bijectorSuite.js';

// Alanine dipeptide (ACE-ALA-NME), minimised with Amber ff99SB-ILDN: positions in nm and the bond graph, as
// @boltzflow/energies ships them (copied here: bijectors must not depend on energies).
const POSITIONS = [
  -0.027, -0.1084, -0.0057, 0.0069, -0.0049, -0.0029, -0.0312, 0.0436, 0.0867, -0.0286, 0.0474, -0.0915, 0.1579, -0.0029, -0.0008, 0.221, -0.1078, -0.001,
  0.2162, 0.1168, 0.0033, 0.1569, 0.1981, 0.0056, 0.3611, 0.1394, 0.0015, 0.4051, 0.0685, -0.0688, 0.387, 0.2804, -0.0539, 0.3456, 0.3553, 0.0138, 0.4944,
  0.2969, -0.063, 0.3413, 0.2909, -0.1523, 0.429, 0.1124, 0.1382, 0.4967, 0.199, 0.1934, 0.4078, -0.0072, 0.1943, 0.3506, -0.0729, 0.1422, 0.4622, -0.0493,
  0.3232, 0.4278, 0.0184, 0.4016, 0.4298, -0.1509, 0.3463, 0.5713, -0.0462, 0.3199,
];
const BONDS: [number, number][] = [
  [0, 1],
  [1, 2],
  [1, 3],
  [1, 4],
  [4, 5],
  [4, 6],
  [6, 7],
  [6, 8],
  [8, 9],
  [8, 10],
  [8, 14],
  [10, 11],
  [10, 12],
  [10, 13],
  [14, 15],
  [14, 16],
  [16, 17],
  [16, 18],
  [18, 19],
  [18, 20],
  [18, 21],
];
const N = 22;

/** Perturbed alanine-dipeptide conformations `[n, 3N]` (Gaussian noise `scale` nm per coordinate), seeded. */
function conformations(n: number, rng: Rng, scale = 0.01): tf.Tensor2D {
  return tf.tidy(() => tf.add(tf.tensor2d([POSITIONS]), tf.mul(rng.normal([n, 3 * N]), scale)) as tf.Tensor2D);
}

/** Their internal coordinates (the bijector's forward input). */
function internalInput(n: number, rng: Rng): tf.Tensor2D {
  const ic = new InternalCoordinates({ atoms: N, bonds: BONDS });
  const x = conformations(n, rng);
  const out = tf.tidy(() => ic.inverse(ic.toFrame(x)).x);
  x.dispose();
  ic.dispose();
  return out;
}

// Independent float64 geometry.
type V = [number, number, number];
const at = (x: ArrayLike<number>, a: number): V => [x[3 * a]!, x[3 * a + 1]!, x[3 * a + 2]!];
const sub = (a: V, b: V): V => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const dot3 = (a: V, b: V): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross3 = (a: V, b: V): V => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const norm = (a: V): number => Math.sqrt(dot3(a, a));
const angle3 = (a: V, b: V, c: V): number => Math.acos(dot3(sub(a, b), sub(c, b)) / (norm(sub(a, b)) * norm(sub(c, b))));
/** Dihedral by the projection formula (a different route from the library's atan2 of cross products). */
function dihedral3(a: V, b: V, c: V, d: V): number {
  const axis = sub(c, b);
  const u = axis.map((v) => v / norm(axis)) as V;
  const p = (v: V): V => {
    const s = dot3(v, u);
    return [v[0] - s * u[0], v[1] - s * u[1], v[2] - s * u[2]];
  };
  const v = p(sub(a, b));
  const w = p(sub(d, c));
  return Math.atan2(dot3(cross3(v, w), u), dot3(v, w));
}

runBijectorSuite('InternalCoordinates (alanine dipeptide)', () => new InternalCoordinates({ atoms: N, bonds: BONDS }), {
  dim: 3 * N - 6,
  sampleInput: internalInput,
  jacobianSamples: 2,
  largeBatch: 200,
  fromConfig: bijectorFromConfig,
  checkBadInput: true,
});

describe('InternalCoordinates', () => {
  const ic = new InternalCoordinates({ atoms: N, bonds: BONDS });

  it('builds a valid Z-matrix whose references follow bonds', () => {
    const z = ic.zMatrix;
    expect(checkZMatrix(z, N)).toEqual(z);
    const bonded = new Set(BONDS.map(([i, j]) => `${Math.min(i, j)}-${Math.max(i, j)}`));
    for (const r of z.slice(1)) expect(bonded.has(`${Math.min(r[0]!, r[1]!)}-${Math.max(r[0]!, r[1]!)}`)).toBe(true);
  });

  it('gives the bonds, angles and torsions of a float64 reference, and the frame keeps every distance', () => {
    const rng = createRng(3);
    const x = conformations(5, rng);
    const c = ic.toFrame(x);
    const q = ic.inverse(c).x;
    const back = ic.fromFrame(c);
    const xv = x.arraySync();
    const qv = q.arraySync();
    const bv = back.arraySync();
    xv.forEach((row, s) => {
      ic.zMatrix.forEach((r, k) => {
        const p = r.map((a) => (a >= 0 ? at(row, a) : undefined));
        if (k >= 1) expect(qv[s]![k - 1]!).toBeCloseTo(norm(sub(p[0]!, p[1]!)), 5);
        if (k >= 2) expect(qv[s]![N - 1 + k - 2]!).toBeCloseTo(angle3(p[0]!, p[1]!, p[2]!), 4);
        if (k >= 3) expect(qv[s]![2 * N - 3 + k - 3]!).toBeCloseTo(dihedral3(p[0]!, p[1]!, p[2]!, p[3]!), 4);
      });
      for (let i = 0; i < N; i++)
        for (let j = i + 1; j < N; j++) expect(norm(sub(at(bv[s]!, i), at(bv[s]!, j)))).toBeCloseTo(norm(sub(at(row, i), at(row, j))), 5);
    });
    // frameLogVolume = 2 log x₁ + log y₂ of the frame atoms.
    const [, a1, a2] = ic.zMatrix.map((r) => r[0]!);
    const lv = ic.frameLogVolume(c).arraySync();
    bv.forEach((row, s) => expect(lv[s]!).toBeCloseTo(2 * Math.log(row[3 * a1!]!) + Math.log(row[3 * a2! + 1]!), 4));
    tf.dispose([x, c, q, back]);
  });

  it('stays finite (values and gradients) at angles of exactly π and for collinear atoms', () => {
    const rng = createRng(5);
    const q = internalInput(2, rng);
    const qv = q.arraySync();
    qv[0]![N - 1 + 5] = Math.PI; // an angle of exactly π
    qv[1]!.fill(Math.PI, N - 1, 2 * N - 3); // every angle π: all atoms collinear
    const qq = tf.tensor2d(qv);
    const f = ic.forward(qq);
    const g = tf.grad((t: tf.Tensor) => tf.sum(ic.forward(t as tf.Tensor2D).y))(qq);
    expect(Array.from(f.y.dataSync()).every(Number.isFinite)).toBe(true);
    expect(Array.from(f.logDet.dataSync()).every(Number.isFinite)).toBe(true);
    expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
    const inv = ic.inverse(f.y);
    expect(Array.from(inv.x.dataSync()).every(Number.isFinite)).toBe(true);
    expect(Array.from(inv.logDet.dataSync()).every(Number.isFinite)).toBe(true);
    const gi = tf.grad((t: tf.Tensor) => tf.sum(ic.inverse(t as tf.Tensor2D).x))(f.y);
    expect(Array.from(gi.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([q, qq, f.y, f.logDet, g, inv.x, inv.logDet, gi]);
  });

  it('frameEnergy is u(x) − 2 log r₀₁ − log(distance of the third frame atom from the 0–1 axis), from the Cartesian conformation', () => {
    // A rigid-motion-invariant test energy: Σ over bonds of (r − 0.12)² · 100 (independent of the library's force field).
    const bondEnergy = {
      dim: 3 * N,
      energy: (x: tf.Tensor2D) =>
        tf.tidy(() => {
          const rows = x.arraySync();
          return tf.tensor1d(rows.map((row) => BONDS.reduce((a, [i, j]) => a + 100 * (norm(sub(at(row, i), at(row, j))) - 0.12) ** 2, 0)));
        }),
    };
    const fe = ic.frameEnergy(bondEnergy);
    expect(fe.dim).toBe(3 * N - 6);
    const x = conformations(4, createRng(8));
    const c = ic.toFrame(x);
    const got = fe.energy(c).arraySync();
    const [a0, a1, a2] = ic.zMatrix.map((r) => r[0]!) as [number, number, number];
    x.arraySync().forEach((row, s) => {
      const u = BONDS.reduce((a, [i, j]) => a + 100 * (norm(sub(at(row, i), at(row, j))) - 0.12) ** 2, 0);
      const axis = sub(at(row, a1), at(row, a0));
      const v = sub(at(row, a2), at(row, a0));
      const y2 = norm(cross3(axis, v)) / norm(axis);
      expect(got[s]!).toBeCloseTo(u - 2 * Math.log(norm(axis)) - Math.log(y2), 3);
    });
    expect(expectBoltzflowError(() => ic.frameEnergy({ dim: 60, energy: (t: tf.Tensor2D) => tf.sum(t, 1) as tf.Tensor1D }), 'energy').message).toMatch(
      /dim 66/,
    );
    expectBoltzflowError(() => fe.energy(x), 'c');
    tf.dispose([x, c]);
  });

  it('rejects a Z-matrix with a reference atom outside the molecule or placed later, and bad bond graphs', () => {
    const z = ic.zMatrix.map((r) => [...r]);
    z[5]![2] = 22;
    expect(expectBoltzflowError(() => new InternalCoordinates({ atoms: N, zMatrix: z }), 'zMatrix').message).toMatch(/outside the molecule/);
    const late = ic.zMatrix.map((r) => [...r]);
    late[4]![1] = late[10]![0]!;
    expect(expectBoltzflowError(() => new InternalCoordinates({ atoms: N, zMatrix: late }), 'zMatrix').message).toMatch(/placed later/);
    expectBoltzflowError(() => zMatrixFromBonds(N, [...BONDS, [3, 30]]), 'bonds');
    expectBoltzflowError(() => zMatrixFromBonds(N, BONDS.slice(1)), 'bonds');
    expectBoltzflowError(() => new InternalCoordinates({ atoms: N, bonds: BONDS, root: 22 }), 'root');
    expect(new InternalCoordinates({ atoms: N, bonds: BONDS, root: 8 }).zMatrix[0]![0]).toBe(8);
  });
});
