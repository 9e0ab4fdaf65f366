import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng, initBackend } from '@boltzflow/core';
import { DoubleWell, GaussianMixtureEnergy, ManyWell, MuellerBrown } from '@boltzflow/energies';
import { runExperiment } from '../src/run.js';
import { silentReporter } from '../src/progress.js';
import { readResults, ResultsSchema } from '../src/results.js';
import { exactManyWellSamples } from '../src/experiments/manyWell32.js';
import { MB_BOX, MB_THRESHOLD, mbReferenceDeltaF, mbXi } from '../src/experiments/muellerBrown.js';
import { gmmProbabilityPositive, modeOccupation } from '../src/experiments/gmm40.js';
import { logDensityFigure } from '../src/experiments/twoMoons.js';

const quick = async (name: string) => {
  const out = await mkdtemp(path.join(tmpdir(), `bf-${name}-`));
  const o = await runExperiment({ target: name, quick: true, out, noReport: true, reporter: silentReporter, seed: 3 });
  // What was written validates against the schema on the way back in.
  const back = await readResults(o.dir);
  expect(back.experiment).toBe(name);
  return ResultsSchema.parse(o.results);
};

/** Independent log ∫∫ over a box by the 2D composite trapezoid rule with a different grid than the experiment's. */
function trapezoid2D(f: (x: number, y: number) => number, xr: [number, number], yr: [number, number], n: number): number {
  const hx = (xr[1] - xr[0]) / n;
  const hy = (yr[1] - yr[0]) / n;
  let s = 0;
  for (let j = 0; j <= n; j++) for (let i = 0; i <= n; i++) {
    const w = (i === 0 || i === n ? 0.5 : 1) * (j === 0 || j === n ? 0.5 : 1);
    s += w * f(xr[0] + i * hx, yr[0] + j * hy);
  }
  return s * hx * hy;
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe('many-well-32', () => {
  it('exact sampler reproduces P(x₁ > 0) of one well (binomial stderr)', () => {
    const e = new ManyWell({ dim: 8 });
    const n = 4000;
    const x = exactManyWellSamples(e, n, createRng(1));
    let pos = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) for (let w = 0; w < 4; w++) {
      if (x[i * 8 + 2 * w] > 0) pos++;
      sq += x[i * 8 + 2 * w + 1] ** 2;
    }
    const p = new DoubleWell().probabilityPositive();
    const m = n * 4;
    expect(Math.abs(pos / m - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / m));
    expect(Math.abs(sq / m - 1)).toBeLessThan(5 * Math.sqrt(2 / m));
  });

  it('quick run: valid results, exact log Z reference, flow-assisted sampler has the log Z estimate', async () => {
    const r = await quick('many-well-32');
    expect(r.reference?.logZ).toBeCloseTo(new ManyWell({ dim: 32 }).logZ(), 8);
    expect(r.reference?.deltaF).toBeCloseTo(new DoubleWell().deltaF(), 8);
    expect(r.samplers.map((s) => s.sampler).sort()).toEqual(['flow-imh', 'flow-is', 'mala', 'rwm']);
    const is = r.samplers.find((s) => s.sampler === 'flow-is')!;
    expect(Number.isFinite(is.metrics!.logZ!)).toBe(true);
    expect(is.metrics!.logZError).toBeCloseTo(is.metrics!.logZ! - r.reference!.logZ!, 5);
    for (const s of r.samplers) expect(s.energyEvaluations).toBeGreaterThan(0);
  });
});

describe('mueller-brown', () => {
  it('reference ΔF agrees with an independent trapezoid quadrature on another grid and a larger box', () => {
    const e = new MuellerBrown({ k: 0.1 });
    const ref = mbReferenceDeltaF(e, 800);
    const shift = 14;
    const big: [number, number][] = [[MB_BOX.x[0] - 0.5, MB_BOX.x[1] + 0.5], [MB_BOX.y[0] - 0.5, MB_BOX.y[1] + 0.5]];
    const pb = trapezoid2D((x, y) => (mbXi(x, y) > MB_THRESHOLD ? Math.exp(-e.u(x, y) - shift) : 0), big[0], big[1], 1201);
    const pa = trapezoid2D((x, y) => (mbXi(x, y) <= MB_THRESHOLD ? Math.exp(-e.u(x, y) - shift) : 0), big[0], big[1], 1201);
    // The indicator makes the integrand discontinuous at the dividing line: both rules are O(h) there.
    expect(Math.abs(ref.deltaF - -Math.log(pb / pa))).toBeLessThan(5e-3);
    expect(Math.abs(ref.logZ - (Math.log(pa + pb) + shift))).toBeLessThan(5e-3);
  });

  it('quick run: valid results with the quadrature reference', async () => {
    const r = await quick('mueller-brown');
    expect(r.reference?.deltaF).toBeCloseTo(mbReferenceDeltaF(new MuellerBrown({ k: 0.1 }), 500).deltaF, 8);
    expect(r.samplers.length).toBe(4);
  });
});

describe('gmm-40', () => {
  it('P(x₁ > 0) and mode occupation agree with exact samples', () => {
    const e = GaussianMixtureEnergy.gmm40(createRng(5));
    const n = 20000;
    const xT = e.sample(n, createRng(6));
    const x = xT.dataSync();
    xT.dispose();
    let pos = 0;
    for (let i = 0; i < n; i++) if (x[2 * i] > 0) pos++;
    const p = gmmProbabilityPositive(e);
    expect(Math.abs(pos / n - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
    const occ = modeOccupation(e, x);
    expect(occ.visited).toBe(40);
    // TV of a 40-cell multinomial at n = 20000 is ≈ 0.02; overlapping modes add misassignment.
    expect(occ.tv).toBeLessThan(0.08);
    e.dispose();
  });

  it('quick run: valid results, means stored, log Z reference 0', async () => {
    const r = await quick('gmm-40');
    expect(r.reference?.logZ).toBe(0);
    const means = r.artifacts.extra!.means as number[][];
    expect(means.length).toBe(40);
    for (const m of means) for (const v of m) expect(Math.abs(v)).toBeLessThanOrEqual(40);
    for (const s of r.samplers) expect(s.metrics!.modesVisited).toBeGreaterThan(0);
  });
});

describe('two-moons', () => {
  it('quick run: held-out NLL per model and a log-density figure', async () => {
    const r = await quick('two-moons');
    const models = r.artifacts.extra!.models as { model: string; heldOutNLL: number }[];
    expect(models.map((m) => m.model)).toEqual(['maf', 'realnvp', 'spline']);
    for (const m of models) expect(Number.isFinite(m.heldOutNLL)).toBe(true);
    expect(logDensityFigure(r)?.id).toBe('log-density');
  });
});
