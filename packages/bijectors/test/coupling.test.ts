import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '@boltzflow/core';
import { AdditiveCoupling, AffineCoupling, bijectorFromConfig, neuralSplineFlow, realNVP } from '../src/index.js';
import { perturbVariables, runBijectorSuite, expectBoltzflowError } from './bijectorSuite.js';

const common = { fromConfig: bijectorFromConfig, checkBadInput: true };

runBijectorSuite('AffineCoupling', () => perturbVariables(new AffineCoupling({ dim: 4, hidden: [16, 16], rng: createRng(1) }), createRng(2), 0.3), {
  dim: 4,
  ...common,
});
runBijectorSuite(
  'AffineCoupling (mask, silu)',
  () =>
    perturbVariables(
      new AffineCoupling({ dim: 5, mask: [0, 1, 0, 1, 1], hidden: [8], activation: 'silu', logScaleBound: 1.5, rng: createRng(3) }),
      createRng(4),
      0.5,
    ),
  { dim: 5, ...common },
);
runBijectorSuite('AdditiveCoupling', () => perturbVariables(new AdditiveCoupling({ dim: 3, split: 1, hidden: [8], rng: createRng(5) }), createRng(6), 0.5), {
  dim: 3,
  ...common,
});

describe('couplings', () => {
  it('start as the identity and are deterministic for a seed', () => {
    const x = createRng(7).normal([6, 4]) as tf.Tensor2D;
    const c = new AffineCoupling({ dim: 4, hidden: [8], rng: createRng(1) });
    const r = c.forward(x);
    expect(tf.max(tf.abs(tf.sub(r.y, x))).dataSync()[0]).toBe(0);
    expect(tf.max(tf.abs(r.logDet)).dataSync()[0]).toBe(0);
    const a = new AffineCoupling({ dim: 4, hidden: [8], rng: createRng(9), outputScale: 1 });
    const b = new AffineCoupling({ dim: 4, hidden: [8], rng: createRng(9), outputScale: 1 });
    expect(Array.from(a.forward(x).y.dataSync())).toEqual(Array.from(b.forward(x).y.dataSync()));
  });

  it('leave the conditioning features unchanged and bound the log-scale', () => {
    const c = perturbVariables(new AffineCoupling({ dim: 4, mask: [1, 0, 1, 0], hidden: [8], logScaleBound: 0.5, rng: createRng(1) }), createRng(2), 3);
    const x = tf.mul(createRng(3).normal([50, 4]), 3) as tf.Tensor2D;
    const r = c.forward(x);
    const xv = x.arraySync();
    const yv = r.y.arraySync();
    for (let i = 0; i < 50; i++) {
      expect(yv[i][0]).toBe(xv[i][0]);
      expect(yv[i][2]).toBe(xv[i][2]);
    }
    // |s| ≤ 0.5 per transformed feature, two of them.
    expect(tf.max(tf.abs(r.logDet)).dataSync()[0]).toBeLessThanOrEqual(1.0 + 1e-6);
  });

  it('reject bad masks and options', () => {
    expectBoltzflowError(() => new AffineCoupling({ dim: 3, mask: [1, 1, 1] }), 'mask');
    expectBoltzflowError(() => new AffineCoupling({ dim: 3, mask: [1, 0] }), 'mask');
    expectBoltzflowError(() => new AffineCoupling({ dim: 3, mask: [1, 0, 2] }), 'mask');
    expectBoltzflowError(() => new AffineCoupling({ dim: 3, split: 3 }), 'split');
    expectBoltzflowError(() => new AffineCoupling({ dim: 1 }), 'dim');
    expectBoltzflowError(() => new AffineCoupling({ dim: 4, logScaleBound: 0 }), 'logScaleBound');
    expectBoltzflowError(() => new AdditiveCoupling({ dim: 4, hidden: [0] }), 'hidden[0]');
  });
});

runBijectorSuite(
  'realNVP',
  () => perturbVariables(realNVP({ dim: 3, layers: 3, hidden: [8], permutation: 'random', actNorm: true, rng: createRng(11) }), createRng(12), 0.2),
  {
    dim: 3,
    ...common,
    warmUp: (b, rng) => {
      // Data-dependent ActNorm init on a first data batch.
      const data = tf.tidy(() => tf.mul(rng.normal([32, 3]), 2)) as tf.Tensor2D;
      const r = b.inverse(data);
      tf.dispose([data, r.x, r.logDet]);
    },
  },
);
runBijectorSuite(
  'neuralSplineFlow',
  () =>
    perturbVariables(neuralSplineFlow({ dim: 3, layers: 2, bins: 4, bound: 3, hidden: [8], permutation: 'reverse', rng: createRng(13) }), createRng(14), 0.15),
  {
    dim: 3,
    ...common,
  },
);

describe('flow builders', () => {
  it('realNVP alternates masks and inserts the requested extras', () => {
    const f = realNVP({ dim: 5, layers: 3, hidden: [4], permutation: 'reverse', actNorm: true });
    const types = f.bijectors.map((b) => b.toConfig().type);
    expect(types).toEqual(['ActNorm', 'AffineCoupling', 'Reverse', 'ActNorm', 'AffineCoupling', 'Reverse', 'ActNorm', 'AffineCoupling']);
    const masks = f.bijectors.filter((b) => b instanceof AffineCoupling).map((b) => (b as AffineCoupling).mask);
    expect(masks).toEqual([
      [1, 1, 0, 0, 0],
      [0, 0, 1, 1, 1],
      [1, 1, 0, 0, 0],
    ]);
    const plain = neuralSplineFlow({ dim: 4, layers: 2, bins: 5 });
    expect(plain.bijectors.map((b) => b.toConfig().type)).toEqual(['SplineCoupling', 'SplineCoupling']);
    expect(plain.bijectors[0].toConfig().bins).toBe(5);
    expectBoltzflowError(() => realNVP({ dim: 1 }), 'dim');
    expectBoltzflowError(() => realNVP({ dim: 2, layers: 0 }), 'layers');
    expectBoltzflowError(() => realNVP({ dim: 2, permutation: 'shuffle' as 'random' }), 'permutation');
  });

  it('is deterministic for a seed and trainable: gradients of the log-likelihood reach every variable', () => {
    const make = () => perturbVariables(realNVP({ dim: 4, layers: 2, hidden: [8], permutation: 'random', rng: createRng(5) }), createRng(6), 0.2);
    const a = make();
    const b = make();
    const x = createRng(7).normal([16, 4]) as tf.Tensor2D;
    expect(Array.from(a.forward(x).y.dataSync())).toEqual(Array.from(b.forward(x).y.dataSync()));
    for (const flow of [a, neuralSplineFlow({ dim: 4, layers: 2, bins: 4, hidden: [8], rng: createRng(8) })]) {
      perturbVariables(flow, createRng(9), 0.2);
      const { grads } = tf.variableGrads(() => {
        const r = flow.inverse(x);
        return tf.mean(tf.sub(tf.mul(0.5, tf.sum(tf.square(r.x), 1)), r.logDet)) as tf.Scalar;
      }, flow.trainableVariables);
      for (const v of flow.trainableVariables) {
        const g = grads[v.name];
        expect(g).toBeDefined();
        expect(g.shape).toEqual(v.shape);
        expect(tf.all(tf.isFinite(g)).dataSync()[0]).toBe(1);
      }
      expect(tf.sum(tf.abs(grads[flow.trainableVariables[0].name])).dataSync()[0]).toBeGreaterThan(0);
    }
  });
});

describe('coupling conditioners: first-order activations (the default)', () => {
  const make = (secondOrder?: boolean) =>
    new AffineCoupling({ dim: 4, mask: [1, 0, 1, 0], hidden: [16, 16], activation: 'tanh', outputScale: 0.5, rng: createRng(21), secondOrder });
  // Loss of a KL-style step: Σ (½‖y‖² − logDet).
  const loss = (b: AffineCoupling, x: tf.Tensor2D) =>
    tf.tidy(() => {
      const { y, logDet } = b.forward(x);
      return tf.sum(tf.sub(tf.mul(tf.sum(tf.square(y), 1), 0.5), logDet)) as tf.Scalar;
    });

  it('the default conditioner is first order; forward values and parameter gradients match the second-order one', () => {
    const fast = make();
    const exact = make(true);
    expect(fast.conditioner.secondOrder).toBe(false);
    expect(exact.conditioner.secondOrder).toBe(true);
    const x = createRng(22).normal([32, 4]) as tf.Tensor2D;
    const a = fast.forward(x);
    const b = exact.forward(x);
    const ya = a.y.arraySync() as number[][];
    const yb = b.y.arraySync() as number[][];
    ya.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(yb[i][j], 5)));
    const ga = tf.variableGrads(() => loss(fast, x), fast.trainableVariables);
    const gb = tf.variableGrads(() => loss(exact, x), exact.trainableVariables);
    const na = Object.values(ga.grads).map((g) => Array.from(g.dataSync()));
    const nb = Object.values(gb.grads).map((g) => Array.from(g.dataSync()));
    expect(na.length).toBe(nb.length);
    na.forEach((g, k) => g.forEach((v, i) => expect(v).toBeCloseTo(nb[k][i], 4)));
    tf.dispose([x, a.y, a.logDet, b.y, b.logDet, ga.value, gb.value, ...Object.values(ga.grads), ...Object.values(gb.grads)]);
    fast.dispose();
    exact.dispose();
  });

  it('parameter gradients match central finite differences', () => {
    const b = make();
    const x = createRng(23).normal([16, 4]) as tf.Tensor2D;
    const vars = b.trainableVariables;
    const g = tf.variableGrads(() => loss(b, x), vars);
    const eps = 1e-2;
    for (const v of vars.slice(0, 2)) {
      const grad = g.grads[v.name].dataSync();
      const base = v.dataSync().slice();
      for (const idx of [0, Math.floor(base.length / 2), base.length - 1]) {
        const at = (d: number) => {
          const p = base.slice();
          p[idx] += d;
          const t = tf.tensor(p, v.shape);
          v.assign(t);
          t.dispose();
          const l = loss(b, x);
          const r = l.dataSync()[0];
          l.dispose();
          return r;
        };
        const fd = (at(eps) - at(-eps)) / (2 * eps);
        const t0 = tf.tensor(base, v.shape);
        v.assign(t0);
        t0.dispose();
        expect(Math.abs(fd - grad[idx])).toBeLessThan(2e-2 * Math.max(1, Math.abs(fd)));
      }
    }
    tf.dispose([x, g.value, ...Object.values(g.grads)]);
    b.dispose();
  });
});
