import { describe, expect, it } from 'vitest';
import { reverseKLWarnings } from '../src/index.js';

/** Exact P(x₁ > 0) of the Boltzmann-generator paper's double well u = x₁⁴ − 6x₁² + x₁ (+ ½x₂², which cancels), by Simpson's rule. */
function exactPositiveFraction(): number {
  const u = (x: number): number => x ** 4 - 6 * x * x + x;
  const simpson = (a: number, b: number, n: number): number => {
    const h = (b - a) / n;
    let s = Math.exp(-u(a)) + Math.exp(-u(b));
    for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * Math.exp(-u(a + i * h));
    return (s * h) / 3;
  };
  const right = simpson(0, 6, 20000);
  return right / (right + simpson(-6, 0, 20000));
}

describe('reverseKLWarnings (issue #15 mode-collapse guard)', () => {
  const ref = exactPositiveFraction();

  it('the reference is the issue’s exact 0.033', () => {
    expect(ref).toBeCloseTo(0.033, 3);
  });

  it('flags the issue’s case: KL+ML flow with P(x₁>0) = 0.001 and Kish ESS 0.97 — ESS high but a mode missing', () => {
    const w = reverseKLWarnings({ klWeight: 1, mlWeight: 1, basins: 2, essFraction: 0.97, flowModeFraction: 0.001, referenceModeFraction: ref });
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/ESS high \(0\.970\) but a mode is missing/);
  });

  it('warns on reverse-KL-only training of a multi-basin target, not on KL+ML or a one-basin target', () => {
    expect(reverseKLWarnings({ klWeight: 1, mlWeight: 0, basins: 2 })[0]).toMatch(/reverse-KL-only training on a target with 2 basins/);
    expect(reverseKLWarnings({ klWeight: 1, mlWeight: 1, basins: 2 })).toEqual([]);
    expect(reverseKLWarnings({ klWeight: 1, mlWeight: 0, basins: 1 })).toEqual([]);
    expect(reverseKLWarnings({ klWeight: 1, mlWeight: 0 })).toEqual([]);
  });

  it('no mode warning when the flow matches the reference within sampling error or over-covers the minority mode', () => {
    // 3 binomial standard errors of 4096 samples around 0.033 are ±0.0084.
    expect(reverseKLWarnings({ klWeight: 1, mlWeight: 1, essFraction: 0.9, flowModeFraction: ref + 0.005, referenceModeFraction: ref })).toEqual([]);
    expect(reverseKLWarnings({ klWeight: 1, mlWeight: 1, essFraction: 0.9, flowModeFraction: 0.2, referenceModeFraction: ref })).toEqual([]);
    // Majority/minority symmetric: the reference 1 − p with the flow at 0.999 is the same collapse.
    expect(reverseKLWarnings({ klWeight: 1, mlWeight: 1, essFraction: 0.2, flowModeFraction: 0.999, referenceModeFraction: 1 - ref })[0]).toMatch(
      /^a mode is missing/,
    );
  });
});
