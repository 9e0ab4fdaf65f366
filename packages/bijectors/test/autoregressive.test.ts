import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createRng, isBoltzflowError } from '@boltzflow/core';
import { bijectorFromConfig, InverseAutoregressiveFlow, MADE, MaskedAutoregressiveFlow } from '../src/index.js';
import { denseJacobian, runBijectorSuite } from './bijectorSuite.js';

const order = [2, 0, 3, 1];
const rank = (o: number[]) => {
  const r = new Array<number>(o.length);
  o.forEach((d, k) => (r[d] = k));
  return r;
};

runBijectorSuite('MaskedAutoregressiveFlow', () => new MaskedAutoregressiveFlow({ dim: 4, hidden: [16, 16], order, rng: createRng(11) }), {
  dim: 4,
  fromConfig: bijectorFromConfig,
  checkBadInput: true,
});
runBijectorSuite('InverseAutoregressiveFlow', () => new InverseAutoregressiveFlow({ dim: 3, hidden: [12], rng: createRng(12) }), {
  dim: 3,
  fromConfig: bijectorFromConfig,
  checkBadInput: true,
});
runBijectorSuite(
  'MaskedAutoregressiveFlow (spline)',
  () => new MaskedAutoregressiveFlow({ dim: 3, hidden: [12], transform: 'spline', bins: 4, bound: 3, order: [1, 2, 0], rng: createRng(14) }),
  { dim: 3, fromConfig: bijectorFromConfig, checkBadInput: true },
);
runBijectorSuite(
  'InverseAutoregressiveFlow (spline)',
  () => new InverseAutoregressiveFlow({ dim: 2, hidden: [8], transform: 'spline', bins: 3, rng: createRng(15) }),
  { dim: 2, largeBatch: 300 },
);
runBijectorSuite('MaskedAutoregressiveFlow (dim 1)', () => new MaskedAutoregressiveFlow({ dim: 1, hidden: [4], rng: createRng(13) }), {
  dim: 1,
  largeBatch: 200,
});

describe('MADE', () => {
  it('output block p of dimension i depends only on inputs strictly earlier in the order', () => {
    const made = new MADE({ dim: 4, hidden: [10, 10], order, paramsPerDim: 3, rng: createRng(1) });
    const x = createRng(2).normal([3, 4]) as tf.Tensor2D;
    const r = rank(order);
    for (let p = 0; p < 3; p++) {
      const J = denseJacobian((xx) => tf.slice(made.apply(xx), [0, p * 4], [-1, 4]) as tf.Tensor2D, x);
      for (const Js of J) {
        for (let i = 0; i < 4; i++) {
          for (let j = 0; j < 4; j++) {
            if (r[j] >= r[i]) expect(Js[i][j]).toBe(0);
          }
        }
      }
      // Not degenerate: the last dimension in the order sees something.
      const last = order[3];
      expect(J[0][last].some((v) => v !== 0)).toBe(true);
    }
    x.dispose();
    made.dispose();
  });

  it('rejects an order that is not a permutation, naming the argument', () => {
    try {
      new MADE({ dim: 3, order: [0, 0, 1] });
      expect.unreachable();
    } catch (e) {
      expect(isBoltzflowError(e)).toBe(true);
      expect((e as Error).message).toContain("'order'");
    }
  });
});

describe('MaskedAutoregressiveFlow', () => {
  it('the density direction (inverse) has a triangular Jacobian in the given order, with the analytic diagonal', () => {
    const maf = new MaskedAutoregressiveFlow({ dim: 4, hidden: [16, 16], order, rng: createRng(3) });
    const x = tf.mul(createRng(4).normal([5, 4]), 1.5) as tf.Tensor2D;
    const J = denseJacobian((xx) => maf.inverse(xx).x, x);
    const { logScale } = maf.shiftAndLogScale(x);
    const ls = logScale.arraySync() as number[][];
    const r = rank(order);
    J.forEach((Js, s) => {
      for (let i = 0; i < 4; i++) {
        for (let j = 0; j < 4; j++) {
          if (r[j] > r[i]) expect(Js[i][j]).toBe(0);
        }
        expect(Js[i][i]).toBeCloseTo(Math.exp(-ls[s][i]), 4);
      }
    });
    // Some strictly-lower entry is non-zero (the flow is not elementwise).
    expect(J.some((Js) => Js[order[3]][order[0]] !== 0)).toBe(true);
    tf.dispose([x, logScale]);
    maf.dispose();
  });

  it('spline transform: the density direction has a triangular Jacobian in the order', () => {
    const maf = new MaskedAutoregressiveFlow({ dim: 4, hidden: [16], order, transform: 'spline', bins: 5, rng: createRng(16) });
    const x = tf.mul(createRng(17).normal([4, 4]), 1.5) as tf.Tensor2D;
    const J = denseJacobian((xx) => maf.inverse(xx).x, x);
    const r = rank(order);
    for (const Js of J) for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) if (r[j] > r[i]) expect(Js[i][j]).toBe(0);
    expect(J.some((Js) => Js[order[3]][order[0]] !== 0)).toBe(true);
    x.dispose();
    maf.dispose();
  });

  it('forward ∘ inverse = identity on data, and log-scales stay within the bound', () => {
    const maf = new MaskedAutoregressiveFlow({ dim: 5, hidden: [20], maxLogScale: 0.5, rng: createRng(5) });
    const x = tf.mul(createRng(6).normal([50, 5]), 3) as tf.Tensor2D;
    const z = maf.inverse(x);
    const back = maf.forward(z.x);
    expect(tf.max(tf.abs(tf.sub(back.y, x))).dataSync()[0]).toBeLessThan(1e-4 * 10);
    expect(tf.max(tf.abs(tf.add(back.logDet, z.logDet))).dataSync()[0]).toBeLessThan(1e-4);
    const { shift, logScale } = maf.shiftAndLogScale(x);
    expect(tf.max(tf.abs(logScale)).dataSync()[0]).toBeLessThanOrEqual(0.5);
    tf.dispose([x, z.x, z.logDet, back.y, back.logDet, shift, logScale]);
    maf.dispose();
  });

  it('IAF with the same seed is the MAF with its directions swapped', () => {
    const opts = { dim: 3, hidden: [8, 8], order: [1, 2, 0], rng: createRng(7) };
    const maf = new MaskedAutoregressiveFlow(opts);
    const iaf = new InverseAutoregressiveFlow({ ...opts, rng: createRng(7) });
    const x = createRng(8).normal([10, 3]) as tf.Tensor2D;
    tf.tidy(() => {
      const a = iaf.forward(x);
      const b = maf.inverse(x);
      expect(tf.max(tf.abs(tf.sub(a.y, b.x))).dataSync()[0]).toBe(0);
      expect(tf.max(tf.abs(tf.sub(a.logDet, b.logDet))).dataSync()[0]).toBe(0);
      const c = iaf.inverse(x);
      const d = maf.forward(x);
      expect(tf.max(tf.abs(tf.sub(c.x, d.y))).dataSync()[0]).toBe(0);
      expect(tf.max(tf.abs(tf.sub(c.logDet, d.logDet))).dataSync()[0]).toBe(0);
    });
    expect(iaf.trainableVariables.length).toBe(maf.trainableVariables.length);
    x.dispose();
    maf.dispose();
    iaf.dispose();
  });

  it('round-trips through toConfig/bijectorFromConfig (same architecture, fresh weights)', () => {
    for (const b of [
      new MaskedAutoregressiveFlow({ dim: 3, hidden: [6], order: [2, 1, 0], maxLogScale: 2, rng: createRng(9) }),
      new InverseAutoregressiveFlow({ dim: 2, hidden: [4] }),
    ]) {
      const cfg = b.toConfig();
      const c = bijectorFromConfig(JSON.parse(JSON.stringify(cfg)));
      expect(c.toConfig()).toEqual(cfg);
      expect(c.trainableVariables.map((v) => v.shape)).toEqual(b.trainableVariables.map((v) => v.shape));
      // Loading the weights reproduces the map.
      c.trainableVariables.forEach((v, i) => v.assign(b.trainableVariables[i]));
      const x = createRng(10).normal([4, b.dim]) as tf.Tensor2D;
      tf.tidy(() => {
        expect(tf.max(tf.abs(tf.sub(c.inverse(x).x, b.inverse(x).x))).dataSync()[0]).toBe(0);
      });
      x.dispose();
      b.dispose();
      c.dispose();
    }
  });

  it('rejects bad options and inputs naming the argument', () => {
    expect(() => new MaskedAutoregressiveFlow({ dim: 0 })).toThrow(/'dim'/);
    expect(() => new MaskedAutoregressiveFlow({ dim: 2, maxLogScale: -1 })).toThrow(/'maxLogScale'/);
    expect(() => new MaskedAutoregressiveFlow({ dim: 2, transform: 'cubic' as never })).toThrow(/'transform'/);
    expect(() => new MaskedAutoregressiveFlow({ dim: 2, transform: 'spline', bins: 0 })).toThrow(/'bins'/);
    const maf = new MaskedAutoregressiveFlow({ dim: 2, hidden: [4] });
    const bad = tf.zeros([3, 3]) as tf.Tensor2D;
    expect(() => maf.inverse(bad)).toThrow(/'x'/);
    expect(() => maf.forward(bad)).toThrow(/'z'/);
    bad.dispose();
    maf.dispose();
  });
});
