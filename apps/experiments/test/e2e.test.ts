import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { ResultsSchema, type Results } from '../src/results.js';
import { checkReportInBrowser, findChromium } from './browserCheck.js';

/** Exact ΔF = −ln(P(x₁>0)/P(x₁<0)) of u = x₁⁴ − 6x₁² − 0.5x₁ (+ ½x₂², which cancels), by Simpson's rule here in the test. */
function exactDeltaF(): number {
  const u = (x: number): number => x ** 4 - 6 * x * x - 0.5 * x;
  const simpson = (a: number, b: number, n: number): number => {
    const h = (b - a) / n;
    let s = Math.exp(-u(a)) + Math.exp(-u(b));
    for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * Math.exp(-u(a + i * h));
    return (s * h) / 3;
  };
  return -Math.log(simpson(0, 6, 20000) / simpson(-6, 0, 20000));
}

const chromium = findChromium();

describe('boltzflow run double-well --quick (end to end)', () => {
  let dir: string;
  let results: Results;
  const out: string[] = [];
  const err: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bf-e2e-'));
    const code = await main(['run', 'double-well', '--quick', '--seed', '11', '--out', dir, '--backend', process.env.BOLTZFLOW_BACKEND ?? 'wasm'], {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
    });
    expect(err).toEqual([]);
    expect(code).toBe(0);
    results = ResultsSchema.parse(JSON.parse(await readFile(path.join(dir, 'results.json'), 'utf8')));
  }, 300_000);

  it('writes schema-valid results with the run metadata and equal budgets', () => {
    expect(results.experiment).toBe('double-well');
    expect(results.seed).toBe(11);
    expect(results.quick).toBe(true);
    expect(results.samplers.length).toBeGreaterThanOrEqual(3);
    const budget = (results.config.params as { budget: number }).budget;
    for (const s of results.samplers) {
      // Each sampler stops at the first chunk boundary past the budget.
      expect(s.energyEvaluations, s.sampler).toBeGreaterThanOrEqual(budget * 0.95);
      expect(s.energyEvaluations, s.sampler).toBeLessThanOrEqual(budget * 1.25);
      expect(s.essPerEnergyEvaluation).toBeCloseTo(s.ess / s.energyEvaluations, 12);
    }
    // Every requested sampler is either run or listed as skipped with a reason.
    const names = new Set([...results.samplers.map((s) => s.sampler), ...results.skipped.map((s) => s.sampler)]);
    for (const s of (results.config.params as { samplers: string[] }).samplers) expect(names.has(s), s).toBe(true);
  });

  it('records the exact reference ΔF from quadrature', () => {
    expect(results.reference?.deltaF).toBeCloseTo(exactDeltaF(), 6);
  });

  it('well-mixed samplers estimate ΔF within 5 reported standard errors of the exact value', () => {
    const exact = exactDeltaF();
    // Statistically reasonable only where the error bar is trustworthy: independent weighted samples, or chains with
    // many well-to-well transitions. Local samplers that rarely cross the barrier get no such check.
    const checked = results.samplers.filter((s) => s.deltaF && (s.transitions === null || s.transitions >= 50));
    expect(checked.length).toBeGreaterThanOrEqual(2);
    for (const s of checked) {
      const d = s.deltaF!;
      expect(d.stderr, s.sampler).toBeGreaterThan(0);
      expect(Math.abs(d.estimate - exact), `${s.sampler}: ${d.estimate} ± ${d.stderr} vs ${exact}`).toBeLessThan(5 * d.stderr);
    }
  });

  it('writes the report and its figures', async () => {
    for (const f of [
      'report.html',
      'figures/samples.svg',
      'figures/samples.png',
      'figures/profiles.svg',
      'figures/traces.svg',
      'figures/autocorrelation.svg',
    ]) {
      expect((await stat(path.join(dir, f))).size, f).toBeGreaterThan(1000);
    }
  });

  it.skipIf(!chromium)('report opens in headless Chromium with every figure drawn', async () => {
    const check = await checkReportInBrowser(chromium!, path.join(dir, 'report.html'), dir);
    expect(check.requests).toEqual([]);
    expect(check.figures.length).toBeGreaterThanOrEqual(5);
    for (const f of check.figures) {
      expect(f.width * f.height, f.id).toBeGreaterThan(0);
      expect(f.marks, f.id).toBeGreaterThan(5);
    }
  });

  it('boltzflow report rebuilds the same page from results.json', async () => {
    const before = await readFile(path.join(dir, 'report.html'), 'utf8');
    expect(await main(['report', dir], { out: () => undefined, err: (l) => err.push(l) })).toBe(0);
    // Identical up to the clip-path ids that vega numbers per process.
    const norm = (h: string): string => h.replace(/clip\d+/g, 'clip');
    const after = await readFile(path.join(dir, 'report.html'), 'utf8');
    expect(norm(after) === norm(before), 'rebuilt report differs').toBe(true);
  });
});
