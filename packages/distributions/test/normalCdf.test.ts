import { describe, expect, it } from 'vitest';
import { normalCdf } from '../src/index.js';

// Φ(z) from scipy.stats.norm.cdf (float64), an independent implementation.
const reference: [number, number][] = [
  [0, 0.5],
  [1, 0.8413447460685429],
  [-1, 0.15865525393145707],
  [2.5, 0.9937903346742238],
  [-5, 2.866515718791933e-7],
  [-10, 7.61985302416047e-24],
  [-37, 5.7255712225239266e-300],
];

describe('normalCdf', () => {
  it('matches scipy to a relative 1.2e-7, tails included', () => {
    for (const [z, p] of reference) expect(Math.abs(normalCdf(z) - p) / p, `z = ${z}`).toBeLessThan(1.2e-7);
  });

  it('Φ(z) + Φ(−z) = 1 and Φ is monotone', () => {
    let last = 0;
    for (let z = -8; z <= 8; z += 0.01) {
      expect(Math.abs(normalCdf(z) + normalCdf(-z) - 1)).toBeLessThan(1e-15);
      expect(normalCdf(z)).toBeGreaterThanOrEqual(last);
      last = normalCdf(z);
    }
  });
});
