import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import {
  BoltzflowError,
  assertBatch,
  assertPositive,
  assertFiniteTensor,
  assertOneOf,
  createRng,
  Rng,
  backendInfo,
  initBackend,
  logSumExp,
  requestedBackend,
} from '../src/index.js';

describe('errors and guards', () => {
  it('names the argument, expected and received shape', () => {
    const x = tf.zeros([5, 3]);
    try {
      assertBatch(x, 'x', 2);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(BoltzflowError);
      expect((e as BoltzflowError).code).toBe('INVALID_SHAPE');
      expect((e as Error).message).toContain("'x'");
      expect((e as Error).message).toContain('[n, 2]');
      expect((e as Error).message).toContain('[5, 3]');
    }
    x.dispose();
  });
  it('rejects non-positive and non-finite numbers', () => {
    expect(() => assertPositive(0, 'stepSize')).toThrow(/stepSize/);
    expect(() => assertPositive(NaN, 'stepSize')).toThrow(BoltzflowError);
    expect(() => assertPositive(-1, 'temperature')).toThrow(/> 0/);
    expect(() => assertPositive(0.1, 'stepSize')).not.toThrow();
  });
  it('assertOneOf accepts the allowed strings and names argument, allowed and received values otherwise', () => {
    const solver: string = 'dopri5';
    assertOneOf(solver, ['rk4', 'dopri5'], 'solver');
    const narrowed: 'rk4' | 'dopri5' = solver; // the assertion narrows the type
    expect(narrowed).toBe('dopri5');
    const caught = (f: () => void): BoltzflowError => {
      try {
        f();
      } catch (e) {
        return e as BoltzflowError;
      }
      throw new Error('expected a throw');
    };
    const e = caught(() => assertOneOf('rk5', ['rk4', 'dopri5'], 'solver'));
    expect(e).toBeInstanceOf(BoltzflowError);
    expect(e.code).toBe('INVALID_VALUE');
    expect(e.details).toEqual({ argument: 'solver', expected: "'rk4' | 'dopri5'", received: "'rk5'" });
    expect(e.message).toBe("Expected one of the allowed values (argument 'solver'; expected 'rk4' | 'dopri5'; received 'rk5')");
    // Not a string (no coercion: the number 1 is not '1'), case-sensitive, and no prototype keys.
    expect(caught(() => assertOneOf(1, ['1'], 'n')).details.received).toBe('1');
    expect(caught(() => assertOneOf(undefined, ['a'], 'a')).details.received).toBe('undefined');
    expect(() => assertOneOf('RK4', ['rk4'], 'solver')).toThrow(BoltzflowError);
    expect(() => assertOneOf('toString', ['rk4'], 'solver')).toThrow(BoltzflowError);
    // Call sites keep their own code and message.
    const c = caught(() => assertOneOf('x', ['a', 'b'], 'options.mode', { code: 'INVALID_CONFIG', message: 'Unknown mode' }));
    expect(c.code).toBe('INVALID_CONFIG');
    expect(c.message).toBe("Unknown mode (argument 'options.mode'; expected 'a' | 'b'; received 'x')");
  });
  it('detects NaN/Inf in tensors', () => {
    const a = tf.tensor2d([[1, NaN]]);
    const b = tf.tensor2d([[1, Infinity]]);
    expect(() => assertFiniteTensor(a, 'x')).toThrow(/NaN or Inf/);
    expect(() => assertFiniteTensor(b, 'x')).toThrow(BoltzflowError);
    tf.dispose([a, b]);
  });
});

describe('rng', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = createRng(42).normalArray(100);
    const b = createRng(42).normalArray(100);
    const c = createRng(43).normalArray(100);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });
  it('restores from a saved state exactly', () => {
    const r = createRng(7);
    r.normalArray(1001);
    const state = JSON.parse(JSON.stringify(r.getState()));
    const expected = Array.from(r.uniformArray(50));
    expect(Array.from(Rng.fromState(state).uniformArray(50))).toEqual(expected);
  });
  it('draws standard normals with mean 0 and variance 1 within Monte-Carlo error', () => {
    const n = 200_000;
    const z = createRng(1).normalArray(n);
    let m = 0;
    for (const v of z) m += v;
    m /= n;
    let v2 = 0;
    for (const v of z) v2 += (v - m) ** 2;
    v2 /= n - 1;
    expect(Math.abs(m)).toBeLessThan(5 / Math.sqrt(n));
    // Var of the sample variance of a normal is 2/(n-1).
    expect(Math.abs(v2 - 1)).toBeLessThan(5 * Math.sqrt(2 / (n - 1)));
  });
  it('uniforms lie in (0,1) with mean 1/2', () => {
    const n = 100_000;
    const u = createRng(3).uniformArray(n);
    let m = 0;
    for (const v of u) {
      expect(v > 0 && v < 1).toBe(true);
      m += v;
    }
    expect(Math.abs(m / n - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
  });
  it('splits into distinct, reproducible streams', () => {
    const [a, b] = createRng(5).split(2);
    const [a2] = createRng(5).split(2);
    const xa = Array.from(a.uniformArray(10));
    expect(xa).toEqual(Array.from(a2.uniformArray(10)));
    expect(xa).not.toEqual(Array.from(b.uniformArray(10)));
  });
  it('produces tensors of the requested shape', () => {
    const t = createRng(0).normal([3, 4]);
    expect(t.shape).toEqual([3, 4]);
    t.dispose();
  });
});

describe('backend', () => {
  it('runs the requested backend (BOLTZFLOW_BACKEND, default wasm) and reports it', () => {
    // The suite runs once per backend (`npm test` on wasm, `npm run test:cpu` on cpu): the active backend must be the
    // one asked for, with no silent fallback, so that a cpu run really exercises cpu and a wasm run really wasm.
    const info = backendInfo();
    expect(info.requested).toBe(requestedBackend());
    expect(info.active).toBe(info.requested);
    expect(info.fallback).toBe(false);
    expect(tf.getBackend()).toBe(info.requested);
    expect(info.tfjsVersion).toBe(tf.version.tfjs);
  });
  it('rejects unknown backend names', async () => {
    await expect(initBackend('gpu-magic')).rejects.toThrow(/'wasm' \| 'cpu'/);
  });
  it('reports a clear error when an optional backend is missing', async () => {
    await expect(initBackend('node')).rejects.toThrow(/tfjs-node/);
  });
  it('transposed matMul on the active backend matches a plain JS reference (fast WASM kernel)', () => {
    const rng = createRng(11);
    const a = rng.normal([2, 17, 9]);
    const b = rng.normal([2, 13, 17]);
    const av = a.arraySync() as number[][][];
    const bv = b.arraySync() as number[][][];
    const out = tf.matMul(a, b, true, true).arraySync() as number[][][]; // [2, 9, 13] = aᵀ bᵀ
    for (let k = 0; k < 2; k++)
      for (let i = 0; i < 9; i++)
        for (let j = 0; j < 13; j++) {
          let s = 0;
          for (let l = 0; l < 17; l++) s += av[k][l][i] * bv[k][j][l];
          expect(out[k][i][j]).toBeCloseTo(s, 4);
        }
    // Gradients of a dense layer use transposed matMuls too.
    const w = rng.normal([9, 4]);
    const x = rng.normal([17, 9]);
    const g = tf.grad((wv: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, wv))))(w);
    const xv = x.arraySync() as number[][];
    const wv = w.arraySync() as number[][];
    const gv = g.arraySync() as number[][];
    for (let i = 0; i < 9; i++)
      for (let j = 0; j < 4; j++) {
        let s = 0;
        for (let r = 0; r < 17; r++) {
          let y = 0;
          for (let l = 0; l < 9; l++) y += xv[r][l] * wv[l][j];
          s += 2 * y * xv[r][i];
        }
        expect(gv[i][j]).toBeCloseTo(s, 3);
      }
    tf.dispose([a, b, w, x, g]);
  });
  it('fused matMul with bias and transposes matches unfused ops', () => {
    const rng = createRng(12);
    const a = rng.normal([8, 5]);
    const b = rng.normal([3, 8]);
    const bias = rng.normal([3]);
    const fused = tf.fused.matMul({ a, b, transposeA: true, transposeB: true, bias, activation: 'relu' });
    const plain = tf.relu(tf.add(tf.matMul(tf.transpose(a), tf.transpose(b)), bias));
    expect(tf.max(tf.abs(tf.sub(fused, plain))).dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([a, b, bias, fused, plain]);
  });
});

describe('math', () => {
  it('logSumExp is stable', () => {
    expect(logSumExp([1000, 1000])).toBeCloseTo(1000 + Math.log(2), 10);
    expect(logSumExp([])).toBe(-Infinity);
  });
});

describe('rng bad sizes', () => {
  it('rejects negative or absurd draw counts with a typed error naming n', () => {
    expect(() => createRng(1).normalArray(-1)).toThrow(/'n'/);
    expect(() => createRng(1).uniformArray(2 ** 40)).toThrow(BoltzflowError);
    expect(() => createRng(1).normal([2 ** 20, 2 ** 20])).toThrow(/shape/);
  });
});
