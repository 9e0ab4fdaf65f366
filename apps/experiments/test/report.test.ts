import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readResults, writeResults, ResultsSchema } from '../src/results.js';
import { standardFigures } from '../src/report/figures.js';
import { writeReport } from '../src/report/index.js';
import { contourSegments } from '../src/report/contour.js';
import { main } from '../src/cli.js';
import { syntheticResults } from './syntheticResults.js';
import { renderFigure } from '../src/report/render.js';
import { particleFigures, particleHistogramsFigure } from '../src/experiments/particleFigures.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

describe('results schema', () => {
  it('round-trips synthetic results through writeResults/readResults', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'bf-results-'));
    const r = syntheticResults();
    await writeResults(dir, r);
    expect(await readResults(dir)).toEqual(ResultsSchema.parse(r));
  });

  it('refuses to write or read invalid results, naming the field', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'bf-results-'));
    const bad = syntheticResults();
    bad.samplers[0].acceptanceRate = 1.5;
    await expect(writeResults(dir, bad)).rejects.toThrow(/samplers\[0\]\.acceptanceRate/);
    const r = syntheticResults() as unknown as Record<string, unknown>;
    delete r.samplers;
    await writeFile(path.join(dir, 'results.json'), JSON.stringify(r));
    await expect(readResults(dir)).rejects.toThrow(/'samplers'/);
  });
});

describe('contours', () => {
  it('marching squares puts level-set points on the circle r = 1', () => {
    const g = Array.from({ length: 41 }, (_, i) => -2 + i / 10);
    const values = g.map((y) => g.map((x) => x * x + y * y));
    const segs = contourSegments(g, g, values, 1);
    expect(segs.length).toBeGreaterThan(20);
    for (const [x1, y1] of segs) expect(Math.abs(Math.hypot(x1, y1) - 1)).toBeLessThan(0.02);
  });
});

describe('report from synthetic results', () => {
  it('renders every standard figure to SVG with marks and to PNG, and a self-contained HTML page', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'bf-report-'));
    const r = syntheticResults();
    const figs = standardFigures(r);
    expect(figs.map((f) => f.id).sort()).toEqual(['autocorrelation', 'efficiency', 'profiles', 'samples', 'traces', 'training']);
    const files = await writeReport(dir, r, figs);
    for (const f of files.figures) {
      expect(f.svg).toMatch(/^<svg/);
      expect(f.svg).toMatch(/<path|<line|<rect/);
      expect(f.svg).toMatch(/width="[1-9]\d*"/);
    }
    for (const p of files.png) {
      const buf = await readFile(p);
      expect(buf.subarray(1, 4).toString()).toBe('PNG');
      expect(buf.length).toBeGreaterThan(2000);
    }
    const html = await readFile(files.html, 'utf8');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    expect(html.match(/<figure class="plot"/g)?.length).toBe(figs.length);
    expect(html).toContain('flow-imh');
    expect(html).toContain('snf: package not available');
    // The comparison table shows each sampler's ΔF with its stderr.
    expect(html).toMatch(/−?-?1\.6\d* ± 0\.1/);
  });

  it('boltzflow report <dir> rebuilds the report from results.json', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'bf-report-'));
    await writeResults(dir, syntheticResults());
    const c = capture();
    expect(await main(['report', dir], c.io)).toBe(0);
    expect(c.out.join('\n')).toMatch(/6 figures/);
    expect((await stat(path.join(dir, 'report.html'))).size).toBeGreaterThan(10000);
    expect((await stat(path.join(dir, 'figures', 'samples.png'))).size).toBeGreaterThan(1000);
  });
});

describe('command line', () => {
  it('lists experiments', async () => {
    const c = capture();
    expect(await main(['list'], c.io)).toBe(0);
    expect(c.out.join('\n')).toMatch(/^double-well\s+\S/m);
    expect(c.out.join('\n')).toMatch(/^mueller-brown\s+\S/m);
  });

  it.each([
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['run'], /run expects one experiment/],
    [['run', 'double-well', '--seed', 'abc'], /--seed: expected an integer/],
    [['run', 'double-well', '--seed', '-3'], /--seed: expected an integer ≥ 0, received "-3"/],
    [['run', 'double-well', '--backend', 'tpu'], /--backend: expected one of wasm/],
    [['run', 'double-well', '--frob'], /unknown option --frob \(see boltzflow --help\)/],
    [['run', 'no-such-experiment'], /Unknown experiment 'no-such-experiment'.*double-well/],
    [['report', '/nonexistent-dir'], /Cannot read/],
  ])('%j fails with one line and exit code 2', async (argv, message) => {
    const c = capture();
    expect(await main(argv, c.io)).toBe(2);
    expect(c.err).toHaveLength(1);
    expect(c.err[0]).toMatch(message);
  });
});

describe('particle-system figures', () => {
  it('energy and pair-distance histograms: densities that integrate to 1 per source, rendered to SVG, first in the report', async () => {
    const r = syntheticResults();
    expect(particleHistogramsFigure(r)).toBeUndefined();
    const masses = (n: number, k: number) => Array.from({ length: n }, (_, i) => (i === k ? 0.5 : 0.5 / (n - 1)));
    r.artifacts.extra = {
      histograms: {
        energyRange: [-30, -10],
        energyFlow: masses(30, 3),
        energyReference: masses(30, 5),
        distanceRange: [0, 8],
        distanceFlow: masses(40, 9),
        distanceReference: masses(40, 20),
      },
    };
    const fig = particleHistogramsFigure(r)!;
    const panels = (fig.spec as unknown as { hconcat: { data: { values: { x: number; p: number; source: string }[] } }[] }).hconcat;
    expect(panels.length).toBe(2);
    for (const [panel, width] of [
      [panels[0], 20 / 30],
      [panels[1], 8 / 40],
    ] as const) {
      for (const source of ['flow samples', 'MCMC reference']) {
        const v = panel.data.values.filter((d) => d.source === source);
        expect(v.reduce((a, d) => a + d.p * width, 0)).toBeCloseTo(1, 10);
      }
    }
    const svg = (await renderFigure(fig)).svg;
    expect(svg).toMatch(/^<svg/);
    expect(svg.match(/<path/g)?.length ?? 0).toBeGreaterThanOrEqual(4);
    expect(particleFigures(r)[0].id).toBe('particle-histograms');
  });
});
