import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import {
  createRng,
  determinant,
  isBoltzflowError,
  permuteParticles,
  randomPermutation,
  randomRotation,
  randomRotations,
  removeCenterOfMass,
  rotateParticles,
  toParticles,
  type Bijector,
} from '@boltzflow/core';
import { AffineCoupling, bijectorFromConfig, Chain, ContinuousFlow, EGNNVectorField } from '../src/index.js';
import { perturbVariables, runBijectorSuite } from './bijectorSuite.js';

const P = 4;
const S = 2;
const D = P * S;

/** log q(x) of base ∘ flow, with the base a standard Gaussian on the mean-free subspace ((P−1)S dims), x projected first. */
function flowLogProb(flow: Bijector, x: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const inv = flow.inverse(removeCenterOfMass(x, P, S));
    const z = removeCenterOfMass(inv.x, P, S);
    const base = tf.sub(tf.mul(tf.sum(tf.square(z), 1), -0.5), (((P - 1) * S) / 2) * Math.log(2 * Math.PI));
    return tf.add(base, inv.logDet) as tf.Tensor1D;
  });
}

function maxAbs(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/** Applies x → perm(R x) + shift, per sample R. */
function transform(x: tf.Tensor2D, rot: tf.Tensor3D, perm: number[], shift: number[] | null): tf.Tensor2D {
  return tf.tidy(() => {
    const y = permuteParticles(rotateParticles(x, rot, P, S), perm, P, S);
    return shift ? (tf.add(y, tf.tile(tf.tensor2d([shift]), [1, P])) as tf.Tensor2D) : y;
  });
}

function egnnFlow(seed = 3): ContinuousFlow {
  return new ContinuousFlow(new EGNNVectorField({ particles: P, spatialDim: S, hidden: 16, layers: 2, coordinateRange: 3, rng: createRng(seed) }), {
    steps: 8,
  });
}

function realNVP(seed = 3): Chain {
  const rng = createRng(seed);
  const layers = [0, 1, 2, 3].map(
    (k) => new AffineCoupling({ dim: D, mask: Array.from({ length: D }, (_, i) => ((i + k) % 2 === 0 ? 1 : 0)), hidden: [16], rng }),
  );
  const c = new Chain(layers);
  perturbVariables(c, rng, 0.3);
  return c;
}

/** Max violation of log q(P R x + t) = log q(x) and of flow ∘ (P R) = (P R) ∘ flow, over random group elements. */
function equivarianceViolation(flow: Bijector, seed: number, reflect = false): { logProb: number; commute: number } {
  const rng = createRng(seed);
  const n = 6;
  const x = tf.tidy(() => tf.mul(rng.normal([n, D]), 2)) as tf.Tensor2D;
  const rots = tf.tidy(() => {
    const r = randomRotations(n, S, rng);
    // A reflection: negate the first coordinate after rotating (an element of O(d) \ SO(d)).
    return reflect ? (tf.mul(r, tf.tensor3d([[[-1], [1]]])) as tf.Tensor3D) : r;
  });
  const perm = randomPermutation(P, rng);
  const shift = [rng.nextNormal() * 3, 1.5];
  const xt = transform(x, rots, perm, shift);
  const lp = flowLogProb(flow, x);
  const lpt = flowLogProb(flow, xt);
  const xc = removeCenterOfMass(x, P, S);
  const a = flow.forward(transform(xc, rots, perm, null));
  const fx = flow.forward(xc);
  const b = transform(fx.y, rots, perm, null);
  const out = { logProb: maxAbs(lp, lpt), commute: maxAbs(a.y, b) };
  tf.dispose([x, rots, xt, lp, lpt, xc, a.y, a.logDet, fx.y, fx.logDet, b]);
  return out;
}

describe('particle helpers', () => {
  it('randomRotation is orthogonal with det +1 and removeCenterOfMass centres', () => {
    const rng = createRng(1);
    for (const d of [2, 3]) {
      const r = randomRotation(d, rng);
      for (let i = 0; i < d; i++)
        for (let j = 0; j < d; j++) expect(Math.abs(r.reduce((s, row) => s + row[i] * row[j], 0) - (i === j ? 1 : 0))).toBeLessThan(1e-12);
      expect(Math.abs(determinant(r) - 1)).toBeLessThan(1e-12);
    }
    const x = rng.normal([3, D]) as tf.Tensor2D;
    const c = removeCenterOfMass(x, P, S);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sum(toParticles(c, P, S), 1))).dataSync()[0])).toBeLessThan(1e-5);
    tf.dispose([x, c]);
  });

  it('2D rotation angles are uniform (mean of cos/sin ≈ 0 within 5 SE)', () => {
    const rng = createRng(2);
    const n = 2000;
    const ang = Array.from({ length: n }, () => {
      const r = randomRotation(2, rng);
      return Math.atan2(r[1][0], r[0][0]);
    });
    for (const f of [Math.cos, Math.sin]) expect(Math.abs(ang.reduce((s, a) => s + f(a), 0) / n)).toBeLessThan(5 * Math.sqrt(0.5 / n));
  });

  it('rejects widths that are not particles × spatialDim', () => {
    const x = tf.zeros([2, 7]) as tf.Tensor2D;
    let err: unknown;
    try {
      removeCenterOfMass(x, P, S);
    } catch (e) {
      err = e;
    }
    expect(isBoltzflowError(err)).toBe(true);
    expect(() => new EGNNVectorField({ particles: P, spatialDim: S }).apply(x, 0)).toThrow(/particles/);
    x.dispose();
  });
});

describe('E(n)-equivariant continuous flow (EGNN)', () => {
  it('coincident particles: finite log q, finite input and weight gradients (no NaN from ‖x_i − x_j‖ = 0)', () => {
    const field = new EGNNVectorField({ particles: P, spatialDim: S, hidden: 8, layers: 2, rng: createRng(21) });
    const flow = new ContinuousFlow(field, { steps: 4 });
    // Particles 0 and 1 coincide; so do 2 and 3 in the second row.
    const x = tf.tensor2d([
      [1, 1, 1, 1, -1, 0, -1, -2],
      [0.5, 0, -0.5, 1, 0, -0.5, 0, -0.5],
    ]);
    const lq = flowLogProb(flow, x);
    expect(Array.from(lq.dataSync()).every(Number.isFinite)).toBe(true);
    const gx = tf.grad((xx: tf.Tensor) => tf.sum(flowLogProb(flow, xx as tf.Tensor2D)))(x);
    expect(Array.from(gx.dataSync()).every(Number.isFinite)).toBe(true);
    const { value, grads } = tf.variableGrads(() => tf.mean(flowLogProb(flow, x)) as tf.Scalar, field.trainableVariables);
    for (const g of Object.values(grads)) expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([x, lq, gx, value, ...Object.values(grads)]);
    flow.dispose();
  });

  it('log q(P R x + t) = log q(x) and the flow commutes with rotations and permutations', () => {
    const flow = egnnFlow();
    const v = equivarianceViolation(flow, 10);
    expect(v.logProb).toBeLessThan(2e-3);
    expect(v.commute).toBeLessThan(2e-4);
    // It also moves points (not trivially the identity).
    const x = createRng(4).normal([4, D]) as tf.Tensor2D;
    const f = flow.forward(removeCenterOfMass(x, P, S));
    expect(maxAbs(f.y, removeCenterOfMass(x, P, S))).toBeGreaterThan(0.01);
    tf.dispose([x, f.y, f.logDet]);
    flow.dispose();
  });

  it('is equivariant to reflections too', () => {
    const flow = egnnFlow(5);
    const v = equivarianceViolation(flow, 11, true);
    expect(v.logProb).toBeLessThan(2e-3);
    expect(v.commute).toBeLessThan(2e-4);
    flow.dispose();
  });

  it('the vector field output is mean-free and translation invariant', () => {
    const field = new EGNNVectorField({ particles: P, spatialDim: S, hidden: 8, layers: 2, rng: createRng(2) });
    const x = createRng(3).normal([5, D]) as tf.Tensor2D;
    const t = tf.tensor1d([0, 0.2, 0.4, 0.6, 1]);
    const v = field.apply(x, t);
    const v2 = tf.tidy(() => field.apply(tf.add(x, 7) as tf.Tensor2D, t));
    expect(tf.tidy(() => tf.max(tf.abs(tf.sum(toParticles(v, P, S), 1))).dataSync()[0])).toBeLessThan(1e-5);
    expect(maxAbs(v, v2)).toBeLessThan(1e-4);
    tf.dispose([x, t, v, v2]);
    field.dispose();
  });

  it('an ordinary RealNVP fails the same test (the test can fail)', () => {
    const flow = realNVP();
    const v = equivarianceViolation(flow, 10);
    expect(v.logProb).toBeGreaterThan(0.05);
    expect(v.commute).toBeGreaterThan(0.05);
    flow.dispose();
  });
});

runBijectorSuite(
  'ContinuousFlow(EGNNVectorField)',
  () => new ContinuousFlow(new EGNNVectorField({ particles: P, spatialDim: S, hidden: 8, layers: 1, coordinateRange: 2, rng: createRng(6) }), { steps: 4 }),
  {
    dim: D,
    largeBatch: 50,
    jacobianSamples: 2,
    fromConfig: bijectorFromConfig,
    checkBadInput: true,
  },
);
