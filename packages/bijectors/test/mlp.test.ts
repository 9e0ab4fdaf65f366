import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createRng, isBoltzflowError } from '@boltzflow/core';
import { MLP } from '../src/index.js';

describe('MLP', () => {
  it('maps [n, in] to [n, out] deterministically for a seed, starting at 0 with outputScale 0', () => {
    const a = new MLP({ inputDim: 3, outputDim: 4, hidden: [8, 8], activation: 'tanh', rng: createRng(1) });
    const b = new MLP({ inputDim: 3, outputDim: 4, hidden: [8, 8], activation: 'tanh', rng: createRng(1) });
    const x = createRng(2).normal([5, 3]) as tf.Tensor2D;
    const ya = a.apply(x);
    expect(ya.shape).toEqual([5, 4]);
    expect(Array.from(ya.dataSync())).toEqual(Array.from(b.apply(x).dataSync()));
    const z = new MLP({ inputDim: 3, outputDim: 4, hidden: [8], outputScale: 0 });
    expect(tf.max(tf.abs(z.apply(x))).dataSync()[0]).toBe(0);
    expect(a.trainableVariables.length).toBe(6);
  });

  it('respects masks: output j does not depend on masked-out inputs', () => {
    // Output 0 sees only input 0; output 1 sees inputs 0 and 1.
    const masks = [
      [
        [1, 1],
        [0, 1],
      ],
      [
        [1, 0],
        [0, 1],
      ],
    ];
    const net = new MLP({ inputDim: 2, outputDim: 2, hidden: [2], masks, rng: createRng(3) });
    const x = createRng(4).normal([3, 2]) as tf.Tensor2D;
    const g = tf.grad((xx: tf.Tensor) => tf.sum(tf.slice(net.apply(xx as tf.Tensor2D), [0, 0], [3, 1])))(x);
    const gv = g.arraySync() as number[][];
    for (const row of gv) expect(row[1]).toBe(0);
  });

  it('spectral normalisation bounds each layer’s spectral norm by the coefficient', () => {
    const net = new MLP({ inputDim: 4, outputDim: 4, hidden: [16], rng: createRng(5), spectralNorm: { coefficient: 0.9, iterations: 200 } });
    for (let l = 0; l < 2; l++) {
      const w = net.effectiveWeight(l).arraySync() as number[][];
      // Largest singular value by power iteration on WᵀW in float64.
      const n = w[0].length;
      let v = new Array<number>(n).fill(1);
      let s = 0;
      for (let it = 0; it < 500; it++) {
        const wv = w.map((r) => r.reduce((acc, wij, j) => acc + wij * v[j], 0));
        const wtwv = v.map((_, j) => w.reduce((acc, r, i) => acc + r[j] * wv[i], 0));
        s = Math.sqrt(Math.sqrt(wtwv.reduce((a, b) => a + b * b, 0)));
        const norm = Math.sqrt(wtwv.reduce((a, b) => a + b * b, 0));
        v = wtwv.map((t) => t / norm);
      }
      expect(s).toBeLessThanOrEqual(0.9 * 1.001);
    }
  });

  it('rejects unknown activations and non-finite output scales with BoltzflowErrors', () => {
    for (const [opts, arg] of [
      [{ activation: 'gelu' }, 'activation'],
      [{ outputScale: NaN }, 'outputScale'],
      [{ hidden: [4, 0] }, 'hidden[1]'],
    ] as const) {
      let err: unknown;
      try {
        new MLP({ inputDim: 2, outputDim: 2, hidden: [4], ...(opts as object) } as ConstructorParameters<typeof MLP>[0]);
      } catch (e) {
        err = e;
      }
      expect(isBoltzflowError(err)).toBe(true);
      expect((err as { details: { argument?: string } }).details.argument).toBe(arg);
    }
  });
});
