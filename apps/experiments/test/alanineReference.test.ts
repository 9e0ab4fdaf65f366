import { statSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@boltzflow/core';
import { alanineDipeptide } from '@boltzflow/energies';
import { loadAlanineReference } from '../src/experiments/alanineDipeptide.js';

/**
 * The bundled alanine-dipeptide reference (tools/molecules/alanine_reference.py, replica-exchange MD in OpenMM) loads,
 * is small, is self-consistent (histogram, basin population, ΔF, thinned sample agree with each other), converged by
 * its own diagnostics, and uses the library's φ/ψ convention: the minimised structure shipped with the energies package
 * (φ, ψ computed here by the TypeScript `phi`/`psi`) sits in one of the most populated Ramachandran bins.
 */
describe('alanine-dipeptide reference ensemble', () => {
  beforeAll(async () => {
    await initBackend();
  });
  const ref = loadAlanineReference();

  it('is bundled small (≤ 300 KB gzip)', () => {
    const bytes = statSync(new URL('../data/alanine-dipeptide-reference.json.gz', import.meta.url)).size;
    expect(bytes).toBeLessThanOrEqual(300 * 1024);
  });

  it('histogram, basin population and ΔF agree', () => {
    const { bins, histogram } = ref;
    expect(histogram.length).toBe(bins);
    const total = histogram.flat().reduce((a, b) => a + b, 0);
    expect(total).toBe(ref.records);
    // φ > 0 ⇔ row index ≥ bins/2 (edges at −π + 2πk/bins, so 0 is an edge).
    const positive = histogram
      .slice(bins / 2)
      .flat()
      .reduce((a, b) => a + b, 0);
    expect(positive / total).toBeCloseTo(ref.phiPositiveFraction, 6);
    const p = ref.phiPositiveFraction;
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThan(0.5);
    expect(ref.deltaF).toBeCloseTo(-Math.log(p / (1 - p)), 6);
    expect(ref.deltaFStderr).toBeGreaterThan(0);
    // The thinned sample's φ > 0 fraction agrees within 4 binomial standard errors (plus the thinning's correlation slack ×2).
    const s = ref.sampleMilliradians;
    const ps = s.filter(([phi]) => phi > 0).length / s.length;
    expect(Math.abs(ps - p)).toBeLessThanOrEqual(8 * Math.sqrt((p * (1 - p)) / s.length) + 1 / s.length);
  });

  it('reports convergence: split-R̂ of the basin indicator < 1.1, transitions at 300 K', () => {
    expect(ref.convergence.splitRhatBasinIndicator4Chunks).toBeLessThan(1.1);
    expect(ref.convergence.transitionsAt300K).toBeGreaterThan(0);
    expect(ref.cost.forceEvaluations).toBeGreaterThan(0);
  });

  it("uses the library's φ/ψ: the minimised structure lies in a top-10 % populated bin of the C7eq basin", () => {
    const e = alanineDipeptide();
    const x = tf.tensor2d(e.positions, [1, e.dim]);
    const phi = e.phi(x).dataSync()[0]!;
    const psi = e.psi(x).dataSync()[0]!;
    tf.dispose(x);
    e.dispose();
    const bin = (a: number): number => Math.min(ref.bins - 1, Math.floor(((a + Math.PI) / (2 * Math.PI)) * ref.bins));
    const count = ref.histogram[bin(phi)]![bin(psi)]!;
    const sorted = ref.histogram.flat().sort((a, b) => b - a);
    expect(phi).toBeLessThan(0);
    expect(count).toBeGreaterThanOrEqual(sorted[Math.floor(0.1 * sorted.length)]!);
  });
});
