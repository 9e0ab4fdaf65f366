import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { activate, secondOrderElu, secondOrderSigmoid, secondOrderTanh, type Activation } from '../src/index.js';

// Closed forms in float64: g(z), g'(z), g''(z).
const sig = (z: number) => 1 / (1 + Math.exp(-z));
const closed: Record<Activation, { d1: (z: number) => number; d2: (z: number) => number }> = {
  relu: { d1: (z) => (z > 0 ? 1 : 0), d2: () => 0 },
  leakyRelu: { d1: (z) => (z > 0 ? 1 : 0.01), d2: () => 0 },
  tanh: { d1: (z) => 1 - Math.tanh(z) ** 2, d2: (z) => -2 * Math.tanh(z) * (1 - Math.tanh(z) ** 2) },
  silu: {
    d1: (z) => sig(z) * (1 + z * (1 - sig(z))),
    d2: (z) => sig(z) * (1 - sig(z)) * (2 + z * (1 - 2 * sig(z))),
  },
  elu: { d1: (z) => (z > 0 ? 1 : Math.exp(z)), d2: (z) => (z > 0 ? 0 : Math.exp(z)) },
  softplus: { d1: (z) => sig(z), d2: (z) => sig(z) * (1 - sig(z)) },
};

/**
 * ∂/∂w of ∂/∂x g(w x), by nested autodiff: the shape of every CNF log-det gradient (Tr ∂f/∂x differentiated in the
 * weights). Closed form: g'(wx) + w x g''(wx).
 */
function gradOfGrad(g: (h: tf.Tensor) => tf.Tensor, w0: number, xs: number[]): number[] {
  return xs.map((xv) =>
    tf.tidy(() => {
      const w = tf.scalar(w0);
      const x = tf.scalar(xv);
      const dw = tf.grad((ww: tf.Tensor) => tf.grad((xx: tf.Tensor) => g(tf.mul(ww, xx)))(x))(w);
      return dw.dataSync()[0];
    }),
  );
}

describe('second-order-exact activations', () => {
  const xs = [-2.1, -0.7, -0.05, 0.3, 1.4, 2.6];
  const w0 = 0.8;
  for (const name of Object.keys(closed) as (keyof typeof closed)[]) {
    it(`${name}: the gradient of its gradient matches the closed form g'(wx) + wx·g''(wx)`, () => {
      const got = gradOfGrad((h) => activate(h as tf.Tensor2D, name), w0, xs);
      xs.forEach((x, i) => {
        const z = w0 * x;
        expect(got[i]).toBeCloseTo(closed[name].d1(z) + z * closed[name].d2(z), 5);
      });
    });
  }

  it('the plain tfjs tanh and sigmoid drop the curvature term (why the custom gradients exist)', () => {
    const z = w0 * 1.4;
    const exact = closed.tanh.d1(z) + z * closed.tanh.d2(z);
    expect(Math.abs(gradOfGrad(tf.tanh, w0, [1.4])[0] - exact)).toBeGreaterThan(0.1);
    expect(gradOfGrad(tf.tanh, w0, [1.4])[0]).toBeCloseTo(closed.tanh.d1(z), 5);
    expect(gradOfGrad(secondOrderTanh, w0, [1.4])[0]).toBeCloseTo(exact, 5);
    const s = (v: number) => sig(v) * (1 - sig(v));
    const sigExact = s(z) + z * s(z) * (1 - 2 * sig(z));
    expect(gradOfGrad(secondOrderSigmoid, w0, [1.4])[0]).toBeCloseTo(sigExact, 5);
    expect(Math.abs(gradOfGrad(tf.sigmoid, w0, [1.4])[0] - sigExact)).toBeGreaterThan(0.05);
  });

  it('leakyRelu equals tf.leakyRelu (values and first derivatives)', () => {
    const x = tf.linspace(-3, 3, 60); // no point at 0
    const mine = (v: tf.Tensor) => activate(v as tf.Tensor2D, 'leakyRelu');
    expect(tf.max(tf.abs(tf.sub(mine(x), tf.leakyRelu(x, 0.01)))).dataSync()[0]).toBeLessThan(1e-7);
    const gm = tf.grad((v: tf.Tensor) => tf.sum(mine(v)))(x);
    const gr = tf.grad((v: tf.Tensor) => tf.sum(tf.leakyRelu(v, 0.01)))(x);
    expect(tf.max(tf.abs(tf.sub(gm, gr))).dataSync()[0]).toBeLessThan(1e-7);
    x.dispose();
  });

  it('values and first derivatives equal the tfjs ops', () => {
    const x = tf.linspace(-3, 3, 61);
    for (const [mine, ref] of [
      [secondOrderTanh, tf.tanh],
      [secondOrderSigmoid, tf.sigmoid],
      [secondOrderElu, tf.elu],
    ] as const) {
      expect(tf.max(tf.abs(tf.sub(mine(x), ref(x)))).dataSync()[0]).toBeLessThan(1e-6);
      const gm = tf.grad((v: tf.Tensor) => tf.sum(mine(v)))(x);
      const gr = tf.grad((v: tf.Tensor) => tf.sum(ref(v)))(x);
      expect(tf.max(tf.abs(tf.sub(gm, gr))).dataSync()[0]).toBeLessThan(1e-6);
    }
    x.dispose();
  });
});

describe('first-order activations (secondOrder false)', () => {
  const xs = [-2.1, -0.7, -0.05, 0.3, 1.4, 2.6];
  for (const name of Object.keys(closed) as (keyof typeof closed)[]) {
    it(`${name}: value equals the second-order version and the first derivative matches the closed form`, () => {
      const x = tf.tensor1d(xs);
      const first = tf.tidy(() =>
        Array.from(
          tf
            .grad((h: tf.Tensor) => tf.sum(activate(h, name, false)))(x)
            .dataSync(),
        ),
      );
      const v1 = tf.tidy(() => Array.from(activate(x, name, false).dataSync()));
      const v2 = tf.tidy(() => Array.from(activate(x, name, true).dataSync()));
      x.dispose();
      xs.forEach((z, i) => {
        expect(v1[i]).toBe(v2[i]);
        expect(first[i]).toBeCloseTo(closed[name].d1(z), 5);
      });
    });
  }
});
