import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { BoltzflowError } from '@boltzflow/core';
import { energyFromFunction, energyAndGrad, energyGrad, withTemperature } from '../src/index.js';

describe('energyAndGrad', () => {
  const quartic = energyFromFunction((x) => tf.sum(tf.pow(x, 4), 1) as tf.Tensor1D, 2);

  it('returns per-sample energies and gradients equal to the closed form 4x³', () => {
    const x = tf.tensor2d([
      [1, 2],
      [3, -1],
    ]);
    const { energy, grad } = energyAndGrad(quartic, x);
    expect(Array.from(energy.dataSync())).toEqual([17, 82]);
    expect(grad.arraySync()).toEqual([
      [4, 32],
      [108, -4],
    ]);
    expect(energyGrad(quartic, x).arraySync()).toEqual([
      [4, 32],
      [108, -4],
    ]);
    tf.dispose([x, energy, grad]);
  });

  it('leaks nothing when called inside tf.tidy (regression: tf.keep escaped the tidy)', () => {
    const x = tf.tensor2d([
      [1, 2],
      [3, -1],
    ]);
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
    const x = tf.tensor2d([
      [Infinity, 0],
      [-Infinity, 0],
      [0, Infinity],
    ]);
    expect(Array.from(new DoubleWell().energy(x).dataSync())).toEqual([Infinity, Infinity, Infinity]);
    const x1 = tf.tensor2d([[Infinity], [-Infinity]]);
    expect(Array.from(new DoubleWell().marginal().energy(x1).dataSync())).toEqual([Infinity, Infinity]);
    const xm = tf.tensor2d([
      [Infinity, 0, 1, 1],
      [1, 1, -Infinity, 0],
    ]);
    expect(Array.from(new ManyWell({ dim: 4 }).energy(xm).dataSync())).toEqual([Infinity, Infinity]);
    tf.dispose([x, x1, xm]);
  });
});

describe('energyFromFunction checks what the function returns (issue #12)', () => {
  const x = () =>
    tf.tensor2d([
      [1, 2],
      [3, -1],
    ]);
  const bad: [string, (x: tf.Tensor2D) => unknown][] = [
    ['a number', () => 3],
    ['an array', () => [1, 2]],
    ['a Promise', async (v) => tf.sum(v, 1)],
    ['undefined', () => undefined],
    ['an int32 tensor', (v) => tf.cast(tf.sum(v, 1), 'int32')],
    ['a bool tensor', (v) => tf.greater(tf.sum(v, 1), 0)],
    ['the wrong shape', (v) => tf.sum(v)],
  ];
  for (const [what, fn] of bad) {
    it(`rejects ${what} with a BoltzflowError naming fn and the energy, leaking nothing`, () => {
      const e = energyFromFunction(fn as never, 2, 'probe');
      const xs = x();
      const before = tf.memory().numTensors;
      let err: unknown;
      try {
        e.energy(xs);
      } catch (caught) {
        err = caught;
      }
      expect(err).toBeInstanceOf(BoltzflowError);
      expect((err as BoltzflowError).details.argument).toBe('fn');
      expect((err as BoltzflowError).message).toContain("'probe'");
      expect(tf.memory().numTensors).toBe(before);
      // Through autodiff too (the forward pass throws while a gradient tape records): no tensor stays behind.
      expect(() => energyAndGrad(e, xs)).toThrowError(BoltzflowError);
      expect(() => energyGrad(e, xs)).toThrowError(BoltzflowError);
      expect(tf.memory().numTensors).toBe(before);
      xs.dispose();
    });
  }
});

describe('withTemperature', () => {
  it('rejects temperatures whose inverse (or themselves) overflow float32, accepts the rest', () => {
    const u = energyFromFunction((v) => tf.sum(tf.square(v), 1) as tf.Tensor1D, 1);
    for (const t of [1e-300, 1e-39, 2e-39, 1e39, 1e300]) {
      expect(() => withTemperature(u, t), String(t)).toThrowError(expect.objectContaining({ details: expect.objectContaining({ argument: 'temperature' }) }));
    }
    const xs = tf.tensor2d([[1e-3], [2]]);
    for (const t of [1e-30, 1e-3, 1, 1e30]) {
      const ut = withTemperature(u, t).energy(xs);
      const vals = Array.from(ut.dataSync());
      expect(vals.every(Number.isFinite), String(t)).toBe(true);
      expect(vals[1]).toBeCloseTo(Math.fround(4 / t) || 0, -Math.log10(Math.abs(4 / t)) + 5);
      ut.dispose();
    }
    xs.dispose();
  });
});
