import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createRng, isBoltzflowError } from '@boltzflow/core';
import { AffineCoupling, bijectorFromConfig, Chain, Invert, Permute, Reverse, Scale, Shift } from '../src/index.js';
import { perturbVariables, runBijectorSuite } from './bijectorSuite.js';

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
      new Chain([new Shift({ dim: 4 }), new AffineCoupling({ dim: 4, hidden: [8], rng }), new Reverse(4), new AffineCoupling({ dim: 4, hidden: [8], activation: 'tanh', rng }), new Scale({ dim: 4 })]),
      rng,
      0.3,
    );
  },
  { dim: 4, ...common },
);
runBijectorSuite('Chain (empty)', () => new Chain({ bijectors: [], dim: 2 }), { dim: 2, ...common });
runBijectorSuite('Invert', () => perturbVariables(new Invert(new AffineCoupling({ dim: 3, hidden: [8], rng: createRng(4) })), createRng(5), 0.3), { dim: 3, ...common });

function expectBoltzflowError(f: () => unknown, argument?: string): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(isBoltzflowError(err)).toBe(true);
  if (argument !== undefined) expect((err as { details: { argument?: string } }).details.argument).toBe(argument);
}

describe('basic bijectors: closed forms', () => {
  it('Shift and Scale act elementwise with logDet Σ log scale', () => {
    const x = tf.tensor2d([[1, 2], [-3, 4]]);
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
