import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createRng, isBoltzflowError } from '@boltzflow/core';
import { PrioritizedReplayBuffer } from '../src/index.js';

// χ² critical value for 7 degrees of freedom at p = 0.001 (standard tables).
const CHI2_7_999 = 24.322;

function filled(withReplacement: boolean): { buffer: PrioritizedReplayBuffer; weights: number[] } {
  const weights = [1, 2, 3, 4, 5, 6, 7, 8];
  const buffer = new PrioritizedReplayBuffer({ dim: 2, maxLength: 8, minSampleLength: 4, withReplacement });
  const x = tf.tensor2d(
    weights.flatMap((w) => [w, -w]),
    [8, 2],
  );
  buffer.add(x, weights.map(Math.log), new Array(8).fill(0));
  x.dispose();
  return { buffer, weights };
}

function chiSquare(counts: number[], weights: number[]): number {
  const n = counts.reduce((a, b) => a + b, 0);
  const total = weights.reduce((a, b) => a + b, 0);
  return counts.reduce((s, c, k) => s + (c - (n * weights[k]) / total) ** 2 / ((n * weights[k]) / total), 0);
}

describe('PrioritizedReplayBuffer', () => {
  it('draws with replacement in proportion to the priorities (χ² test)', () => {
    const { buffer, weights } = filled(true);
    const rng = createRng(11);
    const counts = new Array(8).fill(0);
    const batch = buffer.sample(40_000, rng);
    for (const k of batch.indices) counts[k]++;
    // the rows and weights come from the drawn entries
    const xs = batch.x.dataSync();
    expect(xs[0]).toBe(weights[batch.indices[0]]);
    expect(batch.logWeights[5]).toBeCloseTo(Math.log(weights[batch.indices[5]]), 6);
    batch.x.dispose();
    expect(chiSquare(counts, weights)).toBeLessThan(CHI2_7_999);
  });

  it('without replacement: distinct entries, and a single draw is ∝ priority (Gumbel-max, χ² test)', () => {
    const { buffer, weights } = filled(false);
    const rng = createRng(12);
    const counts = new Array(8).fill(0);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 6000; i++) {
      const b = buffer.sample(1, rng);
      counts[b.indices[0]]++;
      b.x.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(chiSquare(counts, weights)).toBeLessThan(CHI2_7_999);
    const all = buffer.sample(8, rng);
    expect(new Set(all.indices).size).toBe(8);
    all.x.dispose();
  });

  it('adjust multiplies the priority by q_old/q_new and skips non-finite adjustments', () => {
    const { buffer } = filled(true);
    buffer.adjust([0, 1], [-Math.log(4), NaN]); // q_old = 1 → w₀ × 4; entry 1 unchanged
    const rng = createRng(3);
    const counts = new Array(8).fill(0);
    const b = buffer.sample(40_000, rng);
    for (const k of b.indices) counts[k]++;
    b.x.dispose();
    expect(chiSquare(counts, [4, 2, 3, 4, 5, 6, 7, 8])).toBeLessThan(CHI2_7_999);
  });

  it('overwrites the oldest entries when full and refuses bad requests with typed errors', () => {
    const buffer = new PrioritizedReplayBuffer({ dim: 1, maxLength: 3, minSampleLength: 2 });
    const rng = createRng(0);
    const add = (vals: number[]) => {
      const x = tf.tensor2d(vals, [vals.length, 1]);
      buffer.add(
        x,
        vals.map(() => 0),
        vals.map(() => 0),
      );
      x.dispose();
    };
    add([1]);
    expect(() => buffer.sample(1, rng)).toThrow(/too few entries/);
    add([2, 3, 4]); // 4 overwrites 1
    expect(buffer.size).toBe(3);
    const b = buffer.sample(3, rng);
    expect(Array.from(b.x.dataSync()).sort()).toEqual([2, 3, 4]);
    b.x.dispose();
    let err: unknown;
    try {
      buffer.sample(4, rng);
    } catch (e) {
      err = e;
    }
    expect(isBoltzflowError(err) && (err as Error).message).toMatch(/cannot exceed the replay buffer/);
    expect(() => new PrioritizedReplayBuffer({ dim: 1, maxLength: 2, minSampleLength: 3 })).toThrow(/minimum sample length/);
    const x = tf.tensor2d([1, 2], [2, 1]);
    expect(() => buffer.add(x, [0], [0, 0])).toThrow(/one entry per sample/);
    x.dispose();
  });
});
