import { describe, expect, it } from 'vitest';
import { createRng, isBoltzflowError } from '@boltzflow/core';
import { multiChainAutocorrelation } from '../src/index.js';

function ar1(rng: ReturnType<typeof createRng>, n: number, phi: number, offset = 0): Float64Array {
  const x = new Float64Array(n);
  x[0] = rng.nextNormal() / Math.sqrt(1 - phi * phi);
  for (let t = 1; t < n; t++) x[t] = phi * x[t - 1] + rng.nextNormal();
  return x.map((v) => v + offset);
}

describe('multiChainAutocorrelation', () => {
  it('AR(1) chains: ρ_t ≈ φ^t (closed form) within Monte-Carlo error', () => {
    const rng = createRng(11);
    const phi = 0.7;
    const chains = Array.from({ length: 8 }, () => ar1(rng, 5000, phi));
    const rho = multiChainAutocorrelation(chains);
    expect(rho.length).toBe(5000);
    // Bartlett: sd of ρ̂_t ≈ √((1 + φ²)/(1 − φ²)/(M·N)) ≈ 0.0065 here; 5 sd.
    for (let t = 1; t <= 6; t++) expect(Math.abs(rho[t] - phi ** t)).toBeLessThan(0.035);
  });

  it('chains stuck at different levels: ρ_t stays at B/var⁺ instead of decaying', () => {
    const rng = createRng(12);
    // Two chains of iid N(0, 1) noise around +2 and −2: W ≈ 1, between-chain variance ≈ 8, var⁺ ≈ 9, so ρ_t ≈ 8/9 for t > 0.
    const chains = [ar1(rng, 4000, 0, 2), ar1(rng, 4000, 0, -2)];
    const rho = multiChainAutocorrelation(chains);
    for (const t of [1, 10, 100, 1000]) expect(Math.abs(rho[t] - 8 / 9)).toBeLessThan(0.03);
  });

  it('throws a BoltzflowError for constant chains', () => {
    let err: unknown;
    try {
      multiChainAutocorrelation([new Float64Array(10).fill(1), new Float64Array(10).fill(1)]);
    } catch (e) {
      err = e;
    }
    expect(isBoltzflowError(err)).toBe(true);
  });
});
