import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createRng, type Rng } from '@boltzflow/core';
import { bijectorFromConfig, Chain, rationalQuadraticSpline, SplineCoupling } from '../src/index.js';
import { perturbVariables, runBijectorSuite } from './bijectorSuite.js';

const PI = Math.PI;

/** Features 1 and 3 are angles in (−π, π), features 0 and 2 are real. */
function mixedInput(n: number, rng: Rng): tf.Tensor2D {
  return tf.tidy(() => {
    const z = rng.normal([n, 4]);
    const u = rng.uniform([n, 4], -PI * 0.999, PI * 0.999);
    const isAngle = tf.tensor2d([[0, 1, 0, 1]]);
    return tf.add(tf.mul(tf.sub(1, isAngle), tf.mul(z, 1.5)), tf.mul(isAngle, u)) as tf.Tensor2D;
  });
}

const make = (seed: number, mask: number[]) =>
  perturbVariables(
    new SplineCoupling({ dim: 4, mask, circular: [1, 3], bins: 5, bound: 4, hidden: [12], activation: 'tanh', rng: createRng(seed) }),
    createRng(seed + 1),
    0.3,
  );

// Conditions on (real 0, angle 1), transforms (real 2, angle 3); then the other way round.
runBijectorSuite('SplineCoupling (circular torsions)', () => make(1, [1, 1, 0, 0]), {
  dim: 4,
  sampleInput: mixedInput,
  fromConfig: bijectorFromConfig,
  checkBadInput: true,
});
runBijectorSuite('Chain of circular SplineCouplings', () => new Chain([make(3, [1, 1, 0, 0]), make(5, [0, 0, 1, 1])]), { dim: 4, sampleInput: mixedInput });

describe('circular rational-quadratic spline', () => {
  const K = 6;
  const rng = createRng(21);
  const w = tf.tensor2d([Array.from(rng.normalArray(K))]);
  const h = tf.tensor2d([Array.from(rng.normalArray(K))]);
  const d = tf.tensor2d([Array.from(rng.normalArray(K)).map((v) => 1.5 * v)]);
  const run = (xs: number[], inverse = false) =>
    tf.tidy(() => {
      const n = xs.length;
      const r = rationalQuadraticSpline(tf.tensor1d(xs), tf.tile(w, [n, 1]), tf.tile(h, [n, 1]), tf.tile(d, [n, 1]), { bound: PI, circular: true, inverse });
      return { y: Array.from(r.outputs.dataSync()), ld: Array.from(r.logAbsDet.dataSync()) };
    });

  it('fixes ±π and has the same derivative at both ends (a C¹ map of the circle)', () => {
    const eps = 1e-3;
    const { y, ld } = run([-PI, PI, -PI + eps, PI - eps, -PI + 2 * eps, PI - 2 * eps]);
    expect(y[0]).toBeCloseTo(-PI, 5);
    expect(y[1]).toBeCloseTo(PI, 5);
    // One-sided finite differences at the two ends agree with each other and with the log-det there. Richardson
    // extrapolation (2·D(ε) − D(2ε)) removes their O(ε·f″) error, which a strongly curved end bin makes ≈ 2–5 %.
    const dLeft = (2 * (y[2]! - y[0]!)) / eps - (y[4]! - y[0]!) / (2 * eps);
    const dRight = (2 * (y[1]! - y[3]!)) / eps - (y[1]! - y[5]!) / (2 * eps);
    expect(Math.abs(dLeft - dRight)).toBeLessThan(0.02 * dLeft);
    expect(Math.abs(Math.exp(ld[0]!) - Math.exp(ld[1]!))).toBeLessThan(1e-4 * Math.exp(ld[0]!));
    expect(Math.abs(Math.exp(ld[0]!) - dLeft)).toBeLessThan(0.02 * dLeft);
    // The shared boundary derivative is the last derivative parameter: minD + softplus(u_K + log(expm1(1 − minD))).
    const u = d.arraySync()[0]![K - 1]!;
    const expected = 1e-3 + Math.log1p(Math.exp(u + Math.log(Math.expm1(1 - 1e-3))));
    expect(Math.exp(ld[0]!)).toBeCloseTo(expected, 4);
  });

  it('inverts exactly and its log-det matches finite differences inside the circle', () => {
    const xs = Array.from({ length: 41 }, (_, i) => -PI + ((i + 0.5) * 2 * PI) / 41);
    const f = run(xs);
    const b = run(f.y, true);
    b.y.forEach((v, i) => expect(v).toBeCloseTo(xs[i]!, 4));
    b.ld.forEach((v, i) => expect(v).toBeCloseTo(-f.ld[i]!, 4));
    const hStep = 1e-3;
    const fp = run(xs.map((v) => v + hStep)).y;
    const fm = run(xs.map((v) => v - hStep)).y;
    // Central differences of float32 outputs: the difference fp − fm carries up to ≈ 2 ulp(π) of rounding, i.e. a
    // relative error 2·2⁻²³·π/(fp − fm) in the slope, which matters where the slope is small (log-det ≪ 0).
    xs.forEach((_, i) => {
      const diff = fp[i]! - fm[i]!;
      const rounding = (2 * 2 ** -23 * PI) / Math.abs(diff);
      expect(Math.abs(f.ld[i]! - Math.log(diff / (2 * hStep)))).toBeLessThan(0.005 + 2 * rounding);
    });
  });

  it('the conditioner sees angles as (cos, sin): outputs are continuous across the ±π seam', () => {
    const c = make(7, [1, 1, 0, 0]);
    const x = tf.tensor2d([
      [0.4, PI - 1e-5, 0.3, 1.0],
      [0.4, -PI + 1e-5, 0.3, 1.0],
    ]);
    const y = c.forward(x).y.arraySync();
    expect(Math.abs(y[0]![2]! - y[1]![2]!)).toBeLessThan(1e-3);
    expect(Math.abs(y[0]![3]! - y[1]![3]!)).toBeLessThan(1e-3);
    // Torsions stay in [−π, π].
    const many = mixedInput(500, createRng(9));
    const out = c.forward(many).y.arraySync();
    out.forEach((r) => expect(Math.abs(r[3]!)).toBeLessThanOrEqual(PI + 1e-5));
    tf.dispose([x, many]);
    c.dispose();
  });

  it('leaves the non-circular SplineCoupling unchanged (same config, no circular field)', () => {
    const plain = new SplineCoupling({ dim: 4, bins: 5, hidden: [8], rng: createRng(1) });
    expect('circular' in plain.toConfig()).toBe(false);
    expect(plain.conditioner.trainableVariables[0]!.shape[0]).toBe(2);
    const circ = new SplineCoupling({ dim: 4, bins: 5, hidden: [8], circular: [1], rng: createRng(1) });
    expect(circ.conditioner.trainableVariables[0]!.shape[0]).toBe(3);
    expect(() => new SplineCoupling({ dim: 4, circular: [4] })).toThrow(/circular/);
    plain.dispose();
    circ.dispose();
  });
});
