// The re-registered WASM Slice/SplitV kernels (registerFastWasmSlice) against an index-by-index JavaScript reference.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createRng } from '../src/index.js';

function refSlice(data: Float32Array, shape: number[], begin: number[], size: number[]): number[] {
  const out: number[] = [];
  const total = size.reduce((a, b) => a * b, 1);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  for (let k = 0; k < total; k++) {
    let rem = k;
    let off = 0;
    for (let a = size.length - 1; a >= 0; a--) {
      off += (begin[a] + (rem % size[a])) * strides[a];
      rem = Math.floor(rem / size[a]);
    }
    out.push(data[off]);
  }
  return out;
}

describe('WASM slice kernels', () => {
  it('slice matches the reference for ranks 1–4, partial and whole axes, on the active backend', () => {
    const rng = createRng(31);
    const before = tf.memory().numTensors;
    for (let trial = 0; trial < 60; trial++) {
      const rank = 1 + (trial % 4);
      const shape = Array.from({ length: rank }, () => 1 + rng.nextInt(0, 6) * (rank === 1 ? 30 : 1));
      const begin = shape.map((d) => rng.nextInt(0, d - 1));
      const size = shape.map((d, i) => (rng.nextUniform() < 0.4 ? d - begin[i] : rng.nextInt(0, d - begin[i])));
      if (trial % 5 === 0) for (let i = 1; i < rank; i++) (begin[i] = 0), (size[i] = shape[i]); // whole trailing axes
      const x = rng.normal(shape);
      const data = x.dataSync() as Float32Array;
      const y = tf.slice(x, begin, size);
      expect(y.shape).toEqual(size);
      expect(Array.from(y.dataSync())).toEqual(refSlice(data, shape, begin, size));
      tf.dispose([x, y]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('split into uneven pieces along each axis reassembles the input; int32 too', () => {
    const x = createRng(32).normal([5, 7, 3]);
    const data = x.dataSync() as Float32Array;
    for (const [axis, sizes] of [
      [0, [2, 0, 3]],
      [1, [1, 4, 2]],
      [2, [2, 1]],
    ] as [number, number[]][]) {
      const parts = tf.split(x, sizes, axis);
      let at = 0;
      parts.forEach((p, i) => {
        const begin = [0, 0, 0];
        begin[axis] = at;
        const size = [...x.shape];
        size[axis] = sizes[i];
        expect(Array.from(p.dataSync())).toEqual(refSlice(data, x.shape, begin, size));
        at += sizes[i];
      });
      tf.dispose(parts);
    }
    const ints = tf.range(0, 24, 1, 'int32').reshape([4, 6]);
    const cols = tf.slice(ints, [1, 2], [2, 3]);
    expect(cols.dtype).toBe('int32');
    expect(Array.from(cols.dataSync())).toEqual([8, 9, 10, 14, 15, 16]);
    // Gradients through slice (used by couplings) still flow: d/dx Σ slice(x) = indicator of the box.
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.slice(t, [0, 1], [2, 1])))(tf.ones([3, 2]));
    expect(Array.from(g.dataSync())).toEqual([0, 1, 0, 1, 0, 0]);
    tf.dispose([x, ints, cols, g]);
  });
});
