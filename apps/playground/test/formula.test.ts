import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BoltzflowError } from '@boltzflow/core';
import { compileFormula, FormulaEnergy } from '../src/formula.js';

// Independent reference: the same functions written in plain JavaScript.
const cases: [string, (a: number, b: number) => number][] = [
  ['x1^4 - 6*x1^2 - 0.5*x1 + 0.5*x2^2', (a, b) => a ** 4 - 6 * a * a - 0.5 * a + 0.5 * b * b],
  ['x₁⁴ − 6x₁² + ½x₂²'.replace('½', '0.5*'), (a, b) => a ** 4 - 6 * a * a + 0.5 * b * b],
  [
    '-exp(-(x1-1)^2 - x2^2) - exp(-(x1+1)^2 - x2^2) + 0.1*(x1^2+x2^2)',
    (a, b) => -Math.exp(-((a - 1) ** 2) - b * b) - Math.exp(-((a + 1) ** 2) - b * b) + 0.1 * (a * a + b * b),
  ],
  ['sin(x1) * cos(2*x2) + sqrt(1 + x1^2) + tanh(x2) / 3 + pi', (a, b) => Math.sin(a) * Math.cos(2 * b) + Math.sqrt(1 + a * a) + Math.tanh(b) / 3 + Math.PI],
];
const pts = [
  [0.3, -0.7],
  [-1.2, 0.4],
  [1.5, 1.1],
];

describe('compileFormula', () => {
  it('matches plain-JS values and finite-difference gradients', () => {
    for (const [formula, ref] of cases) {
      const e = new FormulaEnergy(formula);
      const x = tf.tensor2d(pts);
      const u = e.energy(x).arraySync();
      const g = (tf.grad((y: tf.Tensor) => tf.sum(e.energy(y as tf.Tensor2D))) as (t: tf.Tensor) => tf.Tensor)(x).arraySync() as number[][];
      x.dispose();
      pts.forEach(([a, b], i) => {
        expect(u[i]).toBeCloseTo(ref(a, b), 4);
        const h = 1e-4;
        const fd1 = (ref(a + h, b) - ref(a - h, b)) / (2 * h);
        const fd2 = (ref(a, b + h) - ref(a, b - h)) / (2 * h);
        expect(Math.abs(g[i][0] - fd1)).toBeLessThan(2e-3 * (1 + Math.abs(fd1)));
        expect(Math.abs(g[i][1] - fd2)).toBeLessThan(2e-3 * (1 + Math.abs(fd2)));
      });
    }
  });

  it('rejects bad formulas with a BoltzflowError naming the argument', () => {
    for (const bad of ['x1 +', 'y^2', 'foo(x1)', '', 'x1 = 2', 'log(0*x1)']) {
      try {
        compileFormula(bad);
        expect.unreachable(bad);
      } catch (e) {
        expect(e).toBeInstanceOf(BoltzflowError);
        expect((e as Error).message).toMatch(/formula/);
      }
    }
  });

  it('leaks no tensors', () => {
    const fn = compileFormula('x1^2 + exp(x2)');
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      fn(tf.ones([5, 2]));
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
