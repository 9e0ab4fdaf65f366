import { beforeAll, describe, expect, it } from 'vitest';
import { createRng, initBackend, tf } from '@boltzflow/core';
import { alanineDipeptide } from '@boltzflow/energies';
import { deepMerge, parseWith } from '../src/config.js';
import { alanineDipeptideExperiment, loadAlanineConformations, loadAlanineReference, usesFlow } from '../src/experiments/alanineDipeptide.js';
import { silentReporter } from '../src/progress.js';
import { comparisonTable } from '../src/report/html.js';
import type { Results } from '../src/results.js';

/**
 * The alanine-dipeptide flow rows: the bundled conformations (the oracle flow's training data) agree with the bundled
 * reference they were recorded with, and a tiny run routes flow samplers to frame coordinates, counts the reference
 * run's force evaluations as the oracle rows' setup, and labels the reference row as an estimate with its error.
 */
describe('alanine-dipeptide flow rows', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('bundled conformations: same run as the reference (cost), φ>0 fraction within binomial error, finite energies', () => {
    const ref = loadAlanineReference();
    const c = loadAlanineConformations();
    expect(c.cost.forceEvaluations).toBe(ref.cost.forceEvaluations);
    expect(c.deltaF).toBeCloseTo(ref.deltaF, 10);
    expect(c.conformations.length).toBeGreaterThan(1000);
    const e = alanineDipeptide();
    const x = tf.mul(tf.tensor2d(c.conformations), 1e-4) as tf.Tensor2D;
    const phi = e.phi(x).dataSync();
    const u = e.energy(x).dataSync();
    const p = Array.from(phi).filter((v) => v > 0).length / phi.length;
    // Conformations 2 ps apart are nearly independent for the basin indicator; allow 4 binomial errors ×2 for correlation.
    expect(Math.abs(p - ref.phiPositiveFraction)).toBeLessThan(8 * Math.sqrt((ref.phiPositiveFraction * (1 - ref.phiPositiveFraction)) / phi.length));
    expect(Array.from(u).every(Number.isFinite)).toBe(true);
    // Thermal energies at 300 K: mean u within the range a 66-coordinate harmonic-ish system gives (minimum + ~33 kT ± 15).
    const min = Math.min(...Array.from(u));
    const mean = Array.from(u).reduce((a, b) => a + b, 0) / u.length;
    expect(mean - min).toBeGreaterThan(10);
    tf.dispose(x);
    e.dispose();
  });

  it('tiny run: flow rows on frame coordinates, oracle setup counts the MD run, reference row is an estimate ± error', async () => {
    expect(['flow-is', 'flow-imh', 'flowmc', 'fab-is', 'block-flowmc', 'block-mc'].every(usesFlow)).toBe(true);
    expect(['mala', 'hmc', 'replica-exchange'].some(usesFlow)).toBe(false);
    const e = alanineDipeptideExperiment;
    const merged = deepMerge(deepMerge(e.quickParams ?? {}, e.tinyParams ?? {}), { samplers: ['mala', 'flow-is', 'flowmc', 'block-flowmc'] });
    const params = parseWith(e.params, merged, 'params');
    const out = await e.run(params, { seed: 1, quick: true, rng: createRng(2), progress: silentReporter });
    const ref = loadAlanineReference();
    const row = (name: string) => out.samplers.find((s) => s.sampler === name)!;
    expect(out.samplers.map((s) => s.sampler)).toEqual(['mala', 'flow-is', 'flowmc', 'block-flowmc']);
    // torsion moves: from the energy alone, their training counted, the backbone block turned on frame coordinates
    expect(row('block-flowmc').flags).not.toContain('oracle');
    expect(row('block-flowmc').setupEnergyEvaluations).toBeGreaterThan(0);
    expect(row('block-flowmc').notes?.join(' ')).toMatch(/Torsion moves on frame coordinates/);
    expect(row('flow-is').trainingData).toBe('bundled');
    expect(row('flow-is').flags).toContain('oracle');
    expect(row('flow-is').setupEnergyEvaluations).toBeGreaterThanOrEqual(ref.cost.forceEvaluations);
    expect(row('flow-is').totalEnergyEvaluations ?? Number.NaN).toBe(row('flow-is').energyEvaluations + (row('flow-is').setupEnergyEvaluations ?? 0));
    expect(row('flow-is').notes?.join(' ')).toMatch(/counted in its setup/);
    expect(row('flowmc').flags).not.toContain('oracle');
    expect(out.reference?.deltaFStderr ?? 0).toBeCloseTo(ref.deltaFStderr, 10);
    const html = comparisonTable({ ...out, reference: out.reference ?? null } as unknown as Results);
    expect(html).toMatch(/reference estimate \(/);
    expect(html).not.toMatch(/>exact \(/);
  }, 120_000);
});
