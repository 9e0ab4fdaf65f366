import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { energyFromFunction, energyAndGrad, energyGrad } from '../src/index.js';

describe('energyAndGrad', () => {
  const quartic = energyFromFunction((x) => tf.sum(tf.pow(x, 4), 1) as tf.Tensor1D, 2);

  it('returns per-sample energies and gradients equal to the closed form 4x³', () => {
    const x = tf.tensor2d([[1, 2], [3, -1]]);
    const { energy, grad } = energyAndGrad(quartic, x);
    expect(Array.from(energy.dataSync())).toEqual([17, 82]);
    expect(grad.arraySync()).toEqual([[4, 32], [108, -4]]);
    expect(energyGrad(quartic, x).arraySync()).toEqual([[4, 32], [108, -4]]);
    tf.dispose([x, energy, grad]);
  });

  it('leaks nothing when called inside tf.tidy (regression: tf.keep escaped the tidy)', () => {
    const x = tf.tensor2d([[1, 2], [3, -1]]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 10; i++) {
      tf.tidy(() => {
        const { energy, grad } = energyAndGrad(quartic, x);
        return tf.add(tf.sum(energy), tf.sum(grad));
      }).dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});

describe('double well at infinity', () => {
  it('gives +Infinity, not NaN, for infinite coordinates', async () => {
    const { DoubleWell, ManyWell } = await import('../src/index.js');
    const x = tf.tensor2d([[Infinity, 0], [-Infinity, 0], [0, Infinity]]);
    expect(Array.from(new DoubleWell().energy(x).dataSync())).toEqual([Infinity, Infinity, Infinity]);
    const x1 = tf.tensor2d([[Infinity], [-Infinity]]);
    expect(Array.from(new DoubleWell().marginal().energy(x1).dataSync())).toEqual([Infinity, Infinity]);
    const xm = tf.tensor2d([[Infinity, 0, 1, 1], [1, 1, -Infinity, 0]]);
    expect(Array.from(new ManyWell({ dim: 4 }).energy(xm).dataSync())).toEqual([Infinity, Infinity]);
    tf.dispose([x, x1, xm]);
  });
});
