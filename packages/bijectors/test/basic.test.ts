import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '@boltzflow/core';
import { ActNorm, AffineCoupling, AffineTriL, bijectorFromConfig, Chain, Invert, Permute, Reverse, Scale, Shift } from '../src/index.js';
import { perturbVariables, runBijectorSuite, expectBoltzflowError } from './bijectorSuite.js';

const common = { fromConfig: bijectorFromConfig, checkBadInput: true };

runBijectorSuite('Shift', () => perturbVariables(new Shift({ dim: 3 }), createRng(1), 1), { dim: 3, ...common });
runBijectorSuite('Shift (fixed)', () => new Shift({ dim: 3, shift: [1, -2, 0.5], trainable: false }), { dim: 3, ...common });
runBijectorSuite('Scale', () => perturbVariables(new Scale({ dim: 3 }), createRng(2), 0.5), { dim: 3, ...common });
runBijectorSuite('Scale (fixed)', () => new Scale({ dim: 2, scale: [2, 0.25], trainable: false }), { dim: 2, ...common });
runBijectorSuite('Permute', () => new Permute([2, 0, 3, 1]), { dim: 4, ...common });
runBijectorSuite('Reverse', () => new Reverse(3), { dim: 3, ...common });
runBijectorSuite(
  'Chain',
  () => {
    const rng = createRng(3);
    return perturbVariables(
      new Chain([
        new Shift({ dim: 4 }),
        new AffineCoupling({ dim: 4, hidden: [8], rng }),
        new Reverse(4),
        new AffineCoupling({ dim: 4, hidden: [8], activation: 'tanh', rng }),
        new Scale({ dim: 4 }),
      ]),
      rng,
      0.3,
    );
  },
  { dim: 4, ...common },
);
runBijectorSuite('Chain (empty)', () => new Chain({ bijectors: [], dim: 2 }), { dim: 2, ...common });
runBijectorSuite('AffineTriL', () => perturbVariables(new AffineTriL({ dim: 4 }), createRng(6), 0.5), { dim: 4, ...common });
runBijectorSuite(
  'AffineTriL (exp, fixed)',
  () =>
    new AffineTriL({
      dim: 3,
      diagonal: 'exp',
      trainable: false,
      matrix: [
        [2, 0, 0],
        [-1, 0.5, 0],
        [0.3, 1.2, 1.5],
      ],
      shift: [1, 0, -1],
    }),
  { dim: 3, ...common },
);
runBijectorSuite('ActNorm', () => new ActNorm(3), {
  dim: 3,
  ...common,
  warmUp: (b, rng) => {
    const data = tf.tidy(() => tf.add(tf.mul(rng.normal([64, 3]), tf.tensor1d([0.5, 2, 3])), tf.tensor1d([1, -2, 0.3]))) as tf.Tensor2D;
    (b as ActNorm).initialize(data);
    data.dispose();
  },
});
runBijectorSuite('Invert', () => perturbVariables(new Invert(new AffineCoupling({ dim: 3, hidden: [8], rng: createRng(4) })), createRng(5), 0.3), {
  dim: 3,
  ...common,
});

describe('basic bijectors: closed forms', () => {
  it('Shift and Scale act elementwise with logDet Σ log scale', () => {
    const x = tf.tensor2d([
      [1, 2],
      [-3, 4],
    ]);
    const s = new Scale({ dim: 2, scale: [2, 0.5] });
    const r = s.forward(x);
    expect(Array.from(r.y.dataSync())).toEqual([2, 1, -6, 2]);
    expect(Array.from(r.logDet.dataSync())).toEqual([0, 0]);
    const sh = new Shift({ dim: 2, shift: 1 });
    expect(Array.from(sh.forward(x).y.dataSync())).toEqual([2, 3, -2, 5]);
    const s2 = new Scale({ dim: 2, scale: [2, 3] });
    const ld = s2.forward(x).logDet.dataSync();
    expect(ld[0]).toBeCloseTo(Math.log(6), 5);
  });

  it('Permute gathers features as y[:, i] = x[:, p[i]] with logDet 0; Reverse reverses', () => {
    const x = tf.tensor2d([[10, 20, 30]]);
    const p = new Permute([2, 0, 1]);
    const r = p.forward(x);
    expect(Array.from(r.y.dataSync())).toEqual([30, 10, 20]);
    expect(Array.from(r.logDet.dataSync())).toEqual([0]);
    expect(Array.from(new Reverse({ dim: 3 }).forward(x).y.dataSync())).toEqual([30, 20, 10]);
    expect(p.toConfig()).toEqual({ type: 'Permute', permutation: [2, 0, 1] });
    const q = Permute.random(5, createRng(1));
    expect([...q.permutation].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('Chain applies its list in order in forward (first element first) and reverses it in inverse', () => {
    const x = tf.tensor2d([[1, 2]]);
    // scale then shift: y = 2x + 1; the other order would give 2(x + 1).
    const c = new Chain([new Scale({ dim: 2, scale: 2 }), new Shift({ dim: 2, shift: 1 })]);
    const r = c.forward(x);
    expect(Array.from(r.y.dataSync())).toEqual([3, 5]);
    expect(r.logDet.dataSync()[0]).toBeCloseTo(2 * Math.log(2), 5);
    const i = c.inverse(r.y);
    expect(Array.from(i.x.dataSync())).toEqual([1, 2]);
    expect(i.logDet.dataSync()[0]).toBeCloseTo(-2 * Math.log(2), 5);
    expect(c.trainableVariables.length).toBe(2);
  });

  it('Invert swaps directions', () => {
    const x = tf.tensor2d([[1, 2]]);
    const inv = new Invert(new Shift({ dim: 2, shift: 1 }));
    expect(Array.from(inv.forward(x).y.dataSync())).toEqual([0, 1]);
    const cfg = inv.toConfig();
    expect(cfg.type).toBe('Invert');
    expect(bijectorFromConfig(cfg).dim).toBe(2);
  });

  it('AffineTriL: y = L x + b, logDet = Σ log diag L, inverse by forward substitution', () => {
    const L = [
      [2, 0, 0],
      [-1, 0.5, 0],
      [0.3, 1.2, 1.5],
    ];
    const b = [1, 0, -1];
    for (const diagonal of ['softplus', 'exp'] as const) {
      const t = new AffineTriL({ dim: 3, matrix: L, shift: b, diagonal });
      const xs = [
        [0.5, -1, 2],
        [3, 0.1, -0.7],
      ];
      const r = t.forward(tf.tensor2d(xs));
      const yv = r.y.arraySync();
      xs.forEach((x, s) => L.forEach((row, i) => expect(yv[s][i]).toBeCloseTo(row.reduce((acc, lij, j) => acc + lij * x[j], 0) + b[i], 4)));
      const ref = Math.log(2) + Math.log(0.5) + Math.log(1.5);
      for (const v of r.logDet.dataSync()) expect(v).toBeCloseTo(ref, 5);
      const back = t.inverse(r.y).x.arraySync();
      xs.forEach((x, s) => x.forEach((v, j) => expect(back[s][j]).toBeCloseTo(v, 4)));
      const m = t.matrix().arraySync();
      L.forEach((row, i) => row.forEach((v, j) => expect(m[i][j]).toBeCloseTo(v, 5)));
      // Upper entries of the variable never leak into L.
      t.lower.assign(tf.onesLike(t.lower));
      expect(t.matrix().arraySync()[0][2]).toBe(0);
    }
    expectBoltzflowError(
      () =>
        new AffineTriL({
          dim: 2,
          matrix: [
            [1, 0],
            [0, 0],
          ],
        }),
      'matrix[1][1]',
    );
    expectBoltzflowError(
      () =>
        new AffineTriL({
          dim: 2,
          matrix: [
            [1, 0],
            [0, -2],
          ],
        }),
      'matrix[1][1]',
    );
    expectBoltzflowError(
      () =>
        new AffineTriL({
          dim: 2,
          matrix: [
            [1, 3],
            [0, 1],
          ],
        }),
      'matrix[0][1]',
    );
    expectBoltzflowError(() => new AffineTriL({ dim: 2, matrix: [[1, 0]] }), 'matrix');
    expectBoltzflowError(
      () =>
        new AffineTriL({
          dim: 2,
          matrix: [
            [1, 0],
            [NaN, 1],
          ],
        }),
      'matrix[1]',
    );
  });

  it('ActNorm: data-dependent init standardises the data direction; the flag survives config and variables', () => {
    const rng = createRng(21);
    const data = tf.add(tf.mul(rng.normal([500, 3]), tf.tensor1d([0.1, 4, 2])), tf.tensor1d([5, -3, 0])) as tf.Tensor2D;
    const check = (z: tf.Tensor2D) => {
      const { mean, variance } = tf.moments(z, 0);
      for (const m of mean.dataSync()) expect(Math.abs(m)).toBeLessThan(1e-4);
      for (const v of variance.dataSync()) expect(Math.abs(v - 1)).toBeLessThan(1e-3);
    };
    // First batch through inverse (data → latent) initialises.
    const a = new ActNorm(3);
    expect(a.initialized).toBe(false);
    check(a.inverse(data).x);
    expect(a.initialized).toBe(true);
    expect(a.toConfig()).toEqual({ type: 'ActNorm', dim: 3, initialized: true });
    // Explicit initialize(data) does the same.
    const b = new ActNorm({ dim: 3 });
    b.initialize(data);
    check(b.inverse(data).x);
    // Later batches do not re-initialise.
    const other = tf.mul(data, 3) as tf.Tensor2D;
    const before = Array.from(b.shift.dataSync());
    b.inverse(other);
    expect(Array.from(b.shift.dataSync())).toEqual(before);
    // First batch through forward standardises the forward output.
    const c = new ActNorm(3);
    check(c.forward(data).y);
    // Rebuilt from config: already initialised, so the first batch does not overwrite restored weights.
    const d = bijectorFromConfig(b.toConfig()) as ActNorm;
    expect(d.initialized).toBe(true);
    // Restored only through nonTrainableVariables (e.g. a config saved before init, weights saved after).
    const e = new ActNorm(3);
    [...b.trainableVariables, ...b.nonTrainableVariables].forEach((v, i) => [...e.trainableVariables, ...e.nonTrainableVariables][i].assign(v));
    e.inverse(other);
    expect(Array.from(e.shift.dataSync())).toEqual(before);
    expectBoltzflowError(() => new ActNorm(3).inverse(tf.zeros([1, 3]) as tf.Tensor2D), 'y');
  });

  it('ActNorm: initialising on the first batch inside a gradient computation works and gives finite gradients', () => {
    const a = new ActNorm(2);
    const data = tf.add(tf.mul(createRng(3).normal([40, 2]), 3), 1) as tf.Tensor2D;
    const { value, grads } = tf.variableGrads(() => {
      const r = a.inverse(data);
      return tf.mean(tf.sub(tf.mul(0.5, tf.sum(tf.square(r.x), 1)), r.logDet)) as tf.Scalar;
    }, a.trainableVariables);
    expect(a.initialized).toBe(true);
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    for (const v of a.trainableVariables) expect(tf.all(tf.isFinite(grads[v.name])).dataSync()[0]).toBe(1);
  });

  it('rejects invalid options with BoltzflowErrors naming the argument', () => {
    expectBoltzflowError(() => new Shift({ dim: 0 }), 'dim');
    expectBoltzflowError(() => new Shift({ dim: 2, shift: [1] }), 'shift');
    expectBoltzflowError(() => new Shift({ dim: 2, shift: [1, NaN] }), 'shift');
    expectBoltzflowError(() => new Scale({ dim: 2, scale: [1, -1] }), 'scale[1]');
    expectBoltzflowError(() => new Scale({ dim: 2, scale: 0 }), 'scale[0]');
    expectBoltzflowError(() => new Permute([0, 0, 1]), 'permutation');
    expectBoltzflowError(() => new Permute([0, 3]), 'permutation');
    expectBoltzflowError(() => new Permute({ permutation: [1, 0], dim: 3 }), 'permutation');
    expectBoltzflowError(() => new Reverse(1.5), 'dim');
    expectBoltzflowError(() => new Chain([new Shift({ dim: 2 }), new Shift({ dim: 3 })]), 'bijectors[1].dim');
    expectBoltzflowError(() => new Chain([]), 'dim');
    expectBoltzflowError(() => bijectorFromConfig({ type: 'NoSuchBijector' }), 'config.type');
    expectBoltzflowError(() => new Shift({ dim: 2 }).forward(tf.zeros([3, 3]) as tf.Tensor2D), 'x');
    expectBoltzflowError(() => new Chain([new Shift({ dim: 2 })]).inverse(tf.zeros([3, 3]) as tf.Tensor2D), 'y');
  });
});
