// The re-registered WASM Sum (leading axes; WASM SIMD or JavaScript), the matMul paths (the SIMD matMul reading Aᵀ
// through strides, or a heap transpose — SIMD 4 × 4 blocks or JavaScript — before XNNPACK) and Concat of short rows, against plain JavaScript references, on the active backend.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createRng } from '../src/index.js';
import { wasmSimdKernelsActive } from '../src/kernelReplacements.js';

function refSum(data: Float32Array, shape: number[], axes: number[]): number[] {
  const keptShape = shape.filter((_, i) => !axes.includes(i));
  const out = new Array<number>(keptShape.reduce((a, b) => a * b, 1)).fill(0);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  for (let k = 0; k < data.length; k++) {
    let o = 0;
    for (let i = 0; i < shape.length; i++) {
      if (axes.includes(i)) continue;
      o = o * shape[i]! + (Math.floor(k / strides[i]!) % shape[i]!);
    }
    out[o]! += data[k]!;
  }
  return out;
}

function refMatMul(a: Float32Array, b: Float32Array, [batch, m, k, n]: number[], ta: boolean, tb: boolean): number[] {
  const out: number[] = [];
  for (let p = 0; p < batch!; p++)
    for (let i = 0; i < m!; i++)
      for (let j = 0; j < n!; j++) {
        let s = 0;
        for (let q = 0; q < k!; q++) {
          const av = ta ? a[p * k! * m! + q * m! + i]! : a[p * m! * k! + i * k! + q]!;
          const bv = tb ? b[p * n! * k! + j * k! + q]! : b[p * k! * n! + q * n! + j]!;
          s += av * bv;
        }
        out.push(s);
      }
  return out;
}

describe('WASM reduction and matMul kernels', () => {
  it('sum over leading axes (and any other axes) matches a JavaScript reference, keepDims both ways', () => {
    const rng = createRng(41);
    const before = tf.memory().numTensors;
    const cases: [number[], number[]][] = [
      [[1024, 64], [0]],
      [[7, 3], [0]],
      [
        [5, 4, 3],
        [0, 1],
      ],
      [[5, 4, 3], [0]],
      [[6, 5], [1]],
      [
        [4, 3, 2],
        [1, 2],
      ],
      [[9], [0]],
    ];
    for (const [shape, axes] of cases)
      for (const keepDims of [false, true]) {
        const x = rng.normal(shape);
        const data = x.dataSync() as Float32Array;
        const y = tf.sum(x, axes, keepDims);
        const want = refSum(data, shape, axes);
        expect(y.shape).toEqual(keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i)));
        const got = y.dataSync();
        want.forEach((w, i) => expect(Math.abs(got[i]! - w)).toBeLessThan(1e-4 * Math.max(1, Math.abs(w))));
        tf.dispose([x, y]);
      }
    const ints = tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32');
    const si = tf.sum(ints, 0);
    expect(Array.from(si.dataSync())).toEqual([4, 6]);
    tf.dispose([ints, si]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('matMul with transposed inputs, rank 2 and batched, matches a JavaScript reference', () => {
    if (tf.getBackend() === 'wasm') expect(wasmSimdKernelsActive()).toBe(true);
    const rng = createRng(43);
    const before = tf.memory().numTensors;
    for (const [batch, m, k, n] of [
      [1, 1024, 64, 64],
      [1, 3, 5, 2],
      [3, 4, 6, 5],
      // multiples of 4 on both sides of every transposed input: the SIMD 4 × 4 block transpose, batched too
      [1, 16, 8, 12],
      [2, 8, 12, 4],
      // the SIMD matMul's 4 × 8 blocks, left-over rows (m mod 4) and columns (n mod 8), batched too; k = 1 and odd k
      [1, 64, 1024, 32],
      [1, 4, 1, 8],
      [2, 12, 7, 16],
      [3, 8, 20, 24],
      [1, 1024, 64, 2],
      [1, 1, 1024, 64],
      [1, 7, 33, 13],
      [2, 1, 5, 1],
    ])
      for (const ta of [false, true])
        for (const tb of [false, true]) {
          const aShape = ta ? [k!, m!] : [m!, k!];
          const bShape = tb ? [n!, k!] : [k!, n!];
          const a = rng.normal(batch === 1 ? aShape : [batch!, ...aShape]);
          const b = rng.normal(batch === 1 ? bShape : [batch!, ...bShape]);
          const c = tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, ta, tb);
          const want = refMatMul(a.dataSync() as Float32Array, b.dataSync() as Float32Array, [batch!, m!, k!, n!], ta, tb);
          const got = c.dataSync();
          expect(got.length).toBe(want.length);
          want.forEach((w, i) => expect(Math.abs(got[i]! - w)).toBeLessThan(2e-4 * Math.max(1, Math.abs(w))));
          tf.dispose([a, b, c]);
        }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('add of a row broadcast over a batch (either order, SIMD and JavaScript widths) matches a JavaScript reference', () => {
    const rng = createRng(53);
    const before = tf.memory().numTensors;
    const cases: [number[], number[]][] = [
      [[1024, 64], [64]],
      [[64], [1024, 64]],
      [[1024, 2], [2]],
      [
        [5, 3, 8],
        [1, 1, 8],
      ],
      [
        [7, 12],
        [1, 12],
      ],
      [
        [6, 5],
        [6, 5],
      ],
      [[1, 8], [8]],
    ];
    for (const [aShape, bShape] of cases) {
      const a = rng.normal(aShape);
      const b = rng.normal(bShape);
      const c = tf.add(a, b);
      const [big, small] = a.size >= b.size ? [a, b] : [b, a];
      const bv = big.dataSync();
      const sv = small.dataSync();
      expect(c.shape).toEqual(big.shape);
      const got = c.dataSync();
      // float32 sums, as tfjs's own kernel makes them
      for (let i = 0; i < bv.length; i++) expect(got[i]).toBe(Math.fround(bv[i]! + sv[i % sv.length]!));
      tf.dispose([a, b, c]);
    }
    const ia = tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32');
    const ib = tf.tensor1d([10, 20], 'int32');
    const ints = tf.add(ia, ib);
    expect(Array.from(ints.dataSync())).toEqual([11, 22, 13, 24]);
    tf.dispose([ia, ib, ints]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('concat along every axis, short and long rows, empty parts and int32, matches a JavaScript reference', () => {
    const rng = createRng(47);
    const before = tf.memory().numTensors;
    const cases: [number[][], number][] = [
      [
        [
          [1000, 1],
          [1000, 1],
        ],
        1,
      ],
      [
        [
          [5, 2],
          [5, 3],
          [5, 1],
        ],
        1,
      ],
      [
        [
          [4, 3, 2],
          [4, 1, 2],
        ],
        1,
      ],
      [
        [
          [4, 3, 2],
          [4, 3, 5],
        ],
        2,
      ],
      [
        [
          [2, 3],
          [4, 3],
        ],
        0,
      ],
      [
        [
          [6, 70],
          [6, 1],
        ],
        1,
      ],
      [
        [
          [3, 0],
          [3, 2],
        ],
        1,
      ],
    ];
    for (const [shapes, axis] of cases) {
      const xs = shapes.map((sh) => rng.normal(sh));
      const y = tf.concat(xs, axis);
      // reference: rows over the axes before `axis`, each input's block in turn
      const outer = shapes[0]!.slice(0, axis).reduce((a, b) => a * b, 1);
      const datas = xs.map((x) => Array.from(x.dataSync()));
      const inner = shapes.map((sh) => sh.slice(axis).reduce((a, b) => a * b, 1));
      const want: number[] = [];
      for (let r = 0; r < outer; r++) datas.forEach((d, p) => want.push(...d.slice(r * inner[p]!, (r + 1) * inner[p]!)));
      expect(Array.from(y.dataSync())).toEqual(want);
      tf.dispose([...xs, y]);
    }
    const a = tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32');
    const b = tf.tensor2d([5, 6], [2, 1], 'int32');
    const c = tf.concat([a, b], 1);
    expect(Array.from(c.dataSync())).toEqual([1, 2, 5, 3, 4, 6]);
    tf.dispose([a, b, c]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
