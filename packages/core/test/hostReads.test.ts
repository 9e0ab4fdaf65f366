import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BoltzflowError, requireFinite, runHostReadsAsync, runHostReadsSync, syncReadsAvailable, type HostReads } from '../src/index.js';

// The generator protocol behind the synchronous and asynchronous drivers (issue #20): same values either way, the
// yielded tensors stay the generator's, and a failed read reaches the generator so that it can free what it holds.

function* sumOfSquares(n: number, freed: { count: number }): HostReads<number> {
  let total = 0;
  for (let k = 1; k <= n; k++) {
    const t = tf.tidy(() => tf.square(tf.range(0, k)));
    try {
      const v = yield t;
      for (const x of v) total += x;
    } finally {
      t.dispose();
      freed.count++;
    }
  }
  return total;
}

describe('HostReads drivers', () => {
  it('the sync and async drivers return the closed form Σ_k Σ_{i<k} i² and leak no tensor', async () => {
    const expected = Array.from({ length: 6 }, (_, k) => ((k + 1) * k * (2 * k + 1)) / 6).reduce((a, b) => a + b, 0);
    const before = tf.memory().numTensors;
    expect(runHostReadsSync(sumOfSquares(6, { count: 0 }))).toBe(expected);
    expect(await runHostReadsAsync(sumOfSquares(6, { count: 0 }))).toBe(expected);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a failed read is thrown into the generator: its finally blocks free the tensor and the error reaches the caller', async () => {
    const before = tf.memory().numTensors;
    function* failing(freed: { count: number }): HostReads<number> {
      const t = tf.zeros([3]);
      const gone = tf.zeros([2]);
      gone.dispose(); // reading a disposed tensor fails
      try {
        yield gone;
        return 1;
      } finally {
        t.dispose();
        freed.count++;
      }
    }
    const a = { count: 0 };
    expect(() => runHostReadsSync(failing(a))).toThrow(/disposed/);
    const b = { count: 0 };
    await expect(runHostReadsAsync(failing(b))).rejects.toThrow(/disposed/);
    expect([a.count, b.count]).toEqual([1, 1]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('yielding null reads nothing and resumes with an empty array', async () => {
    function* settle(): HostReads<number> {
      const v = yield null;
      return v.length;
    }
    expect(runHostReadsSync(settle())).toBe(0);
    expect(await runHostReadsAsync(settle())).toBe(0);
  });

  it('requireFinite throws the given error at once where reads are synchronous', () => {
    expect(syncReadsAvailable()).toBe(true);
    const x = tf.tensor1d([1, Number.NaN]);
    const err = () => new BoltzflowError('NON_FINITE', 'bad x', { argument: 'x' });
    expect(() => requireFinite(x, err)).toThrow(/bad x/);
    const y = tf.tensor1d([1, 2]);
    expect(() => requireFinite(y, err)).not.toThrow();
    tf.dispose([x, y]);
  });
});
