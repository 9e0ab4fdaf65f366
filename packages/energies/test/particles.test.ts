import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { BoltzflowError, createRng } from '@boltzflow/core';
import { LennardJones, MultiDoubleWell, energyGrad } from '../src/index.js';
import { fdGrad, leakCount, rows } from './helpers.js';

/** Pair distances (i < j) of a flat configuration, float64. */
function dists(x: number[], P: number, S: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < P; i++) {
    for (let j = i + 1; j < P; j++) {
      let s = 0;
      for (let k = 0; k < S; k++) s += (x[i * S + k] - x[j * S + k]) ** 2;
      out.push(Math.sqrt(s));
    }
  }
  return out;
}

const dw4 = (x: number[]): number => dists(x, 4, 2).reduce((s, d) => s + -4 * (d - 4) ** 2 + 0.9 * (d - 4) ** 4, 0);

const lj = (r: number): number => r ** -12 - 2 * r ** -6;
const ljSoft = (r: number, rc = 0.6): number => (r >= rc ? lj(r) : lj(rc) + (-12 * rc ** -13 + 12 * rc ** -7) * (r - rc));
function lj13(x: number[], P = 13, S = 3, osc = 1): number {
  let u = dists(x, P, S).reduce((s, d) => s + ljSoft(d), 0);
  const mean = Array.from({ length: S }, (_, k) => x.filter((_, i) => i % S === k).reduce((a, b) => a + b, 0) / P);
  for (let i = 0; i < P; i++) for (let k = 0; k < S; k++) u += 0.5 * osc * (x[i * S + k] - mean[k]) ** 2;
  return u;
}

/** Random proper rotation in 2D/3D, a translation and a particle permutation applied to flat configurations. */
function transform(x: number[], P: number, S: number, seed: number): number[] {
  const rng = createRng(seed);
  let R: number[][];
  if (S === 2) {
    const t = 2 * Math.PI * rng.nextUniform();
    R = [
      [Math.cos(t), -Math.sin(t)],
      [Math.sin(t), Math.cos(t)],
    ];
  } else {
    // rotation from a random unit quaternion
    const q = [rng.nextNormal(), rng.nextNormal(), rng.nextNormal(), rng.nextNormal()];
    const nq = Math.hypot(...q);
    const [w, a, b, c] = q.map((v) => v / nq);
    R = [
      [1 - 2 * (b * b + c * c), 2 * (a * b - c * w), 2 * (a * c + b * w)],
      [2 * (a * b + c * w), 1 - 2 * (a * a + c * c), 2 * (b * c - a * w)],
      [2 * (a * c - b * w), 2 * (b * c + a * w), 1 - 2 * (a * a + b * b)],
    ];
  }
  const shift = Array.from({ length: S }, () => 5 * rng.nextNormal());
  const perm = rng.permutation(P);
  const out = new Array<number>(P * S);
  for (let i = 0; i < P; i++) {
    for (let k = 0; k < S; k++) {
      let v = shift[k];
      for (let l = 0; l < S; l++) v += R[k][l] * x[perm[i] * S + l];
      out[i * S + k] = v;
    }
  }
  return out;
}

/** Jittered cubic-lattice configurations (no near-coincident pairs), flat. */
function lattice(P: number, S: number, seed: number, spacing = 1.1, jitter = 0.08): number[] {
  const rng = createRng(seed);
  const side = Math.ceil(P ** (1 / S));
  const out: number[] = [];
  for (let i = 0; i < P; i++) {
    let idx = i;
    for (let k = 0; k < S; k++) {
      out.push(spacing * (idx % side) + jitter * rng.nextNormal());
      idx = Math.floor(idx / side);
    }
  }
  return out;
}

function evalU(e: { energy: (x: tf.Tensor2D) => tf.Tensor1D }, xs: number[][]): number[] {
  const x = tf.tensor2d(xs);
  const u = e.energy(x);
  const v = Array.from(u.dataSync());
  tf.dispose([x, u]);
  return v;
}

describe('MultiDoubleWell (DW4)', () => {
  const e = new MultiDoubleWell();

  it('defaults to 4 particles in 2D and matches the formula', () => {
    expect(e.dim).toBe(8);
    const xs = rows(createRng(1).normal([6, 8]).mul(3));
    evalU(e, xs).forEach((u, i) => expect(Math.abs(u - dw4(xs[i]))).toBeLessThan(1e-3 * (1 + Math.abs(dw4(xs[i])))));
  });

  it('autodiff gradient matches float64 finite differences', () => {
    const xs = rows(createRng(2).normal([4, 8]).mul(3));
    const x = tf.tensor2d(xs);
    const g = rows(energyGrad(e, x));
    xs.forEach((p, i) => fdGrad(dw4, p).forEach((v, k) => expect(Math.abs(g[i][k] - v)).toBeLessThan(2e-3 * (1 + Math.abs(v)))));
    tf.dispose(x);
  });

  it('pair minima sit at d₀ ± √(−b/(2c)) with depth −b²/(4c)', () => {
    const pair = new MultiDoubleWell({ particles: 2 });
    const delta = Math.sqrt(4 / (2 * 0.9));
    for (const r of [4 - delta, 4 + delta]) {
      const x = tf.tensor2d([
        [0, 0, r, 0],
        [0, 0, r - 0.05, 0],
        [0, 0, r + 0.05, 0],
      ]);
      const u = Array.from(pair.energy(x).dataSync());
      expect(u[0]).toBeCloseTo(-16 / (4 * 0.9), 3);
      expect(u[0]).toBeLessThan(u[1]);
      expect(u[0]).toBeLessThan(u[2]);
      const g = rows(energyGrad(pair, x));
      expect(Math.hypot(...g[0])).toBeLessThan(1e-3);
      tf.dispose(x);
    }
    pair.dispose();
  });

  it('is invariant to rotation, translation and permutation; τ divides', () => {
    const x0 = rows(createRng(3).normal([1, 8]).mul(3))[0];
    const [u0, u1] = evalU(e, [x0, transform(x0, 4, 2, 9)]);
    expect(Math.abs(u0 - u1)).toBeLessThan(1e-3 * (1 + Math.abs(u0)));
    const hot = new MultiDoubleWell({ tau: 2 });
    expect(evalU(hot, [x0])[0]).toBeCloseTo(u0 / 2, 3);
    hot.dispose();
  });

  it('coincident particles give finite energy and gradient; width mismatch throws', () => {
    const x = tf.tensor2d([
      [1, 1, 1, 1, 0, 0, 3, 3],
      [0, 0, 0, 0, 0, 0, 0, 0],
    ]);
    const u = Array.from(e.energy(x).dataSync());
    const g = energyGrad(e, x).dataSync();
    expect(u.every(Number.isFinite)).toBe(true);
    expect(Array.from(g).every(Number.isFinite)).toBe(true);
    const bad = tf.zeros([2, 6]) as tf.Tensor2D;
    expect(() => e.energy(bad)).toThrow(BoltzflowError);
    expect(() => e.energy(bad)).toThrow(/'x'.*\[n, 8\].*4 particles × 2 dims.*\[2, 6\]/);
    expect(leakCount(() => tf.dispose([e.energy(x), energyGrad(e, x)]))).toBe(0);
    tf.dispose([x, bad]);
  });
});

describe('LennardJones (LJ13)', () => {
  const e = new LennardJones();

  it('pair energy is −ε at r_m; the oscillator and the i≠j convention add what they should', () => {
    const two = new LennardJones({ particles: 2, oscillatorScale: 0 });
    expect(evalU(two, [[0, 0, 0, 1, 0, 0]])[0]).toBeCloseTo(-1, 5);
    const eps = new LennardJones({ particles: 2, oscillatorScale: 0, epsilon: 2.5, rm: 1.3 });
    expect(evalU(eps, [[0, 0, 0, 0, 1.3, 0]])[0]).toBeCloseTo(-2.5, 4);
    const withOsc = new LennardJones({ particles: 2 });
    expect(evalU(withOsc, [[0, 0, 0, 1, 0, 0]])[0]).toBeCloseTo(-1 + 0.25, 5);
    const both = new LennardJones({ particles: 2, oscillatorScale: 0, pairSum: 'i!=j' });
    expect(evalU(both, [[0, 0, 0, 1, 0, 0]])[0]).toBeCloseTo(-2, 5);
    [two, eps, withOsc, both].forEach((x) => x.dispose());
  });

  it('icosahedral minimum (radius optimised in the test) is the known LJ13 energy −44.3268', () => {
    const phi = (1 + Math.sqrt(5)) / 2;
    const verts: number[][] = [];
    for (const s1 of [-1, 1]) for (const s2 of [-1, 1]) verts.push([0, s1, s2 * phi], [s1, s2 * phi, 0], [s2 * phi, 0, s1]);
    const at = (R: number): number[] => [0, 0, 0, ...verts.flatMap((v) => v.map((c) => (c * R) / Math.hypot(1, phi)))];
    const f = (R: number): number => lj13(at(R), 13, 3, 0);
    let lo = 0.8;
    let hi = 1.2;
    for (let i = 0; i < 200; i++) {
      const m1 = lo + (hi - lo) / 3;
      const m2 = hi - (hi - lo) / 3;
      if (f(m1) < f(m2)) hi = m2;
      else lo = m1;
    }
    const R = (lo + hi) / 2;
    expect(f(R)).toBeCloseTo(-44.3268, 3);
    const pairOnly = new LennardJones({ oscillatorScale: 0 });
    expect(evalU(pairOnly, [at(R)])[0]).toBeCloseTo(-44.3268, 2);
    pairOnly.dispose();
  });

  it('autodiff gradient matches float64 finite differences of the formula', () => {
    const xs = [lattice(13, 3, 1), lattice(13, 3, 2)];
    const x = tf.tensor2d(xs);
    const g = rows(energyGrad(e, x));
    xs.forEach((p, i) => fdGrad((q) => lj13(q), p).forEach((v, k) => expect(Math.abs(g[i][k] - v)).toBeLessThan(5e-3 * (1 + Math.abs(v)))));
    tf.dispose(x);
  });

  it('is invariant to rotation, translation and permutation', () => {
    const x0 = lattice(13, 3, 5);
    const [u0, u1, u2] = evalU(e, [x0, transform(x0, 13, 3, 1), transform(x0, 13, 3, 2)]);
    expect(u0).toBeCloseTo(lj13(x0), 2);
    expect(Math.abs(u1 - u0)).toBeLessThan(1e-3 * (1 + Math.abs(u0)));
    expect(Math.abs(u2 - u0)).toBeLessThan(1e-3 * (1 + Math.abs(u0)));
  });

  it('soft core: coincident/overlapping particles give large finite energy and finite gradient', () => {
    const base = lattice(13, 3, 7);
    const coincident = [...base];
    coincident.splice(3, 3, base[0], base[1], base[2]);
    const close = [...base];
    close.splice(3, 3, base[0] + 0.01, base[1], base[2]);
    const allZero = new Array<number>(39).fill(0);
    const x = tf.tensor2d([coincident, close, allZero]);
    const u = Array.from(e.energy(x).dataSync());
    const g = Array.from(energyGrad(e, x).dataSync());
    expect(u.every(Number.isFinite)).toBe(true);
    expect(g.every(Number.isFinite)).toBe(true);
    expect(u[0]).toBeGreaterThan(1000);
    expect(u[1]).toBeCloseTo(lj13(close), -1);
    // overlapping pair is pushed apart: ∂u/∂x of particle 1 along +x is negative (moving away lowers u)
    expect(g[3]).toBeLessThan(0);
    const raw = new LennardJones({ softCore: false });
    const ok = lattice(13, 3, 8);
    expect(evalU(raw, [ok])[0]).toBeCloseTo(evalU(e, [ok])[0], 3);
    raw.dispose();
    tf.dispose(x);
  });

  it('rejects wrong widths and bad options; does not leak', () => {
    const bad = tf.zeros([1, 36]) as tf.Tensor2D;
    expect(() => e.energy(bad)).toThrow(/13 particles × 3 dims/);
    expect(() => new LennardJones({ softCore: -1 })).toThrow(/'softCore'/);
    expect(() => new LennardJones({ pairSum: 'all' as 'i<j' })).toThrow(/'pairSum'/);
    expect(() => new LennardJones({ particles: 1 })).toThrow(/'particles'/);
    const x = tf.tensor2d([lattice(13, 3, 9)]);
    expect(leakCount(() => tf.dispose([e.energy(x), energyGrad(e, x)]))).toBe(0);
    tf.dispose([bad, x]);
  });
});
