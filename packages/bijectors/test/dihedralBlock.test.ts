import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createRng, torsionAngle, type Vec3 } from '@boltzflow/core';
import { dihedralBlock, InternalCoordinates } from '../src/index.js';
import { expectBoltzflowError } from './bijectorSuite.js';

// A branched 8-atom tree: 0-1-2-3-4-5 with branches 3-6 and 1-7.
const BONDS: [number, number][] = [
  [0, 1],
  [1, 2],
  [2, 3],
  [3, 4],
  [4, 5],
  [3, 6],
  [1, 7],
];
const QUARTETS = [
  [1, 2, 3, 4],
  [2, 3, 4, 5],
] as const;

/** Random conformations on frame coordinates: bonds ≈ 0.15, angles ≈ 110°, torsions uniform. */
function conformations(ic: InternalCoordinates, n: number, seed: number): tf.Tensor2D {
  const rng = createRng(seed);
  const rows: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < ic.atoms - 1; j++) rows.push(0.15 + 0.01 * rng.nextUniform());
    for (let j = 0; j < ic.atoms - 2; j++) rows.push(1.9 + 0.2 * rng.nextUniform());
    for (let j = 0; j < ic.atoms - 3; j++) rows.push(2 * Math.PI * rng.nextUniform() - Math.PI);
  }
  return tf.tidy(() => ic.forward(tf.tensor2d(rows, [n, ic.dim])).y);
}

/** Dihedral of atoms q in Cartesian rows, measured independently of the block. */
function measure(ic: InternalCoordinates, frame: tf.Tensor2D, q: readonly number[]): Float32Array {
  return tf.tidy(() => {
    const x = ic.fromFrame(frame);
    const at = (a: number): Vec3 => [0, 1, 2].map((c) => tf.squeeze(tf.slice(x, [0, 3 * a + c], [-1, 1]), [1])) as Vec3;
    return torsionAngle(at(q[0]!), at(q[1]!), at(q[2]!), at(q[3]!)).dataSync() as Float32Array;
  });
}

const wrap = (a: number) => a - 2 * Math.PI * Math.round(a / (2 * Math.PI));

describe('dihedralBlock', () => {
  const ic = new InternalCoordinates({ atoms: 8, bonds: BONDS });

  it('sets the dihedrals it is given and keeps every bond and angle (a shear in internal coordinates)', () => {
    const block = dihedralBlock(ic, QUARTETS);
    expect(block.dim).toBe(2);
    const n = 64;
    const x = conformations(ic, n, 1);
    const before = tf.memory().numTensors;
    const rng = createRng(2);
    const target = Float32Array.from({ length: 2 * n }, () => 2 * Math.PI * rng.nextUniform() - Math.PI);
    const s = tf.tensor2d(target, [n, 2]);
    const y = block.write(x, s);
    QUARTETS.forEach((q, d) => {
      const got = measure(ic, y, q);
      for (let c = 0; c < n; c++) expect(Math.abs(wrap(got[c]! - target[2 * c + d]!))).toBeLessThan(2e-4);
    });
    // read agrees with the independent measurement
    const r = tf.tidy(() => block.read(y).dataSync());
    for (let c = 0; c < n; c++) expect(Math.abs(wrap(r[2 * c]! - target[2 * c]!))).toBeLessThan(2e-4);
    // bonds and angles unchanged; the frame ↔ internal log-det (bonds and angles only) therefore unchanged too
    const zi = ic.inverse(x);
    const zo = ic.inverse(y);
    const a = zi.x.dataSync();
    const b = zo.x.dataSync();
    const [, t0] = [0, ic.torsionColumns[0]];
    for (let c = 0; c < n; c++) for (let j = 0; j < t0; j++) expect(b[c * ic.dim + j]).toBeCloseTo(a[c * ic.dim + j]!, 4);
    const la = zi.logDet.dataSync();
    const lb = zo.logDet.dataSync();
    for (let c = 0; c < n; c++) expect(lb[c]).toBeCloseTo(la[c]!, 2);
    tf.dispose([s, y, zi.x, zi.logDet, zo.x, zo.logDet]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('writing the values it reads returns the configuration', () => {
    const block = dihedralBlock(ic, QUARTETS);
    const x = conformations(ic, 16, 3);
    const y = tf.tidy(() => block.write(x, block.read(x)));
    const a = x.dataSync();
    const b = y.dataSync();
    for (let i = 0; i < a.length; i++) expect(Math.abs(b[i]! - a[i]!)).toBeLessThan(1e-5);
    tf.dispose([x, y]);
  });

  it('refuses dihedrals about a non-bond, repeated bonds, and bad quartets', () => {
    expectBoltzflowError(() => dihedralBlock(ic, [[0, 2, 4, 5]]), 'quartets[0]');
    expectBoltzflowError(() => dihedralBlock(ic, [QUARTETS[0], [6, 2, 3, 4]]), 'quartets[1]');
    expectBoltzflowError(() => dihedralBlock(ic, [[1, 2, 3, 99]]), 'quartets[0][3]');
    expectBoltzflowError(() => dihedralBlock(ic, []), 'quartets');
  });
});
