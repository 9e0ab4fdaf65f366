import { mkdtemp, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@boltzflow/core';
import { EXPERIMENTS } from '../src/experiments/registry.js';
import { silentReporter } from '../src/progress.js';
import { runExperiment } from '../src/run.js';
import { findChromium } from './browserCheck.js';

const chromium = findChromium();
const MAX_BYTES = 2 * 1024 * 1024;
const samplesOf = (r: { artifacts: { samples?: unknown[] } }): number => r.artifacts.samples?.length ?? 0;

/**
 * Every built-in experiment, run with its tiny parameters as a quick run, produces a report that a reader can trust:
 * at most 2 MB, the quick-run banner and the verdict at the top, every figure drawn with the number of points its data
 * holds, and scatters whose points represent all chains (the plotted fraction at x₁ < 0 agrees with the sampler's own
 * ΔF estimate within its error). Load time in headless Chromium is measured and printed; it is asserted (< 2 s) only
 * with BOLTZFLOW_TIMING=1, since tests make no timing assertions on a shared machine.
 */
describe.skipIf(!chromium)('built-in reports in headless Chromium', () => {
  beforeAll(async () => {
    await initBackend();
  });

  for (const e of EXPERIMENTS) {
    it(`${e.name}: size, banner, verdict, figure data`, async () => {
      const dir = await mkdtemp(path.join(tmpdir(), `bf-page-${e.name}-`));
      const cfg = path.join(dir, 'config.json');
      await writeFile(cfg, JSON.stringify({ experiment: e.name, quick: true, seed: 3, params: e.tinyParams ?? {} }));
      const { results, report } = await runExperiment({ target: cfg, out: path.join(dir, 'run'), reporter: silentReporter });
      const html = report!.html;
      const bytes = (await stat(html)).size;
      expect(bytes, `${e.name} report.html bytes`).toBeLessThanOrEqual(MAX_BYTES);

      const { chromium: pw } = await import('playwright-core');
      const browser = await pw.launch({ executablePath: chromium!, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
      try {
        const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
        const t0 = performance.now();
        await page.goto(pathToFileURL(html).href, { waitUntil: 'load' });
        const loadMs = performance.now() - t0;
        console.log(`[reportPages] ${e.name}: ${(bytes / 1024).toFixed(0)} KiB, loaded in ${loadMs.toFixed(0)} ms`);
        if (process.env.BOLTZFLOW_TIMING === '1') expect(loadMs).toBeLessThan(2000);

        expect(await page.textContent('#quick-banner')).toMatch(/quick run: small budgets, not for conclusions/i);
        if (results.samplers.length > 0) {
          const verdict = await page.textContent('#verdict');
          expect(verdict).toMatch(/Total cost/);
          expect(verdict).toMatch(/Sampling cost/);
          for (const v of results.verdict ?? []) if (v.best) expect(verdict).toContain(v.best);
        }

        // Headline numbers where the experiment has them: density estimation, log Z against exact, particle flows.
        const extra = results.artifacts.extra ?? {};
        if (Array.isArray(extra.models)) {
          const table = (await page.textContent('#density-table')) ?? '';
          for (const m of extra.models as { model: string; heldOutNLL: number }[]) expect(table).toContain(m.model);
          expect(await page.textContent('body')).not.toMatch(/ΔF =/);
        }
        if (results.reference?.logZ !== undefined && results.samplers.some((s) => typeof s.metrics?.logZ === 'number')) {
          expect(await page.textContent('#logz-table')).toMatch(/exact/);
        }
        if (typeof extra.testNLL === 'number') expect(await page.textContent('#headline-table')).toMatch(/test NLL/);

        // Axes say what they show (dw4/lj13: energy and mean pair distance, not x₁/x₂).
        const axes = results.artifacts.sampleAxes;
        if (axes && samplesOf(results) > 0) {
          const titles = await page.$$eval('#fig-samples svg g.role-axis-title text', (ts) => ts.map((t) => t.textContent ?? ''));
          expect(new Set(titles)).toEqual(new Set(axes));
        }
        // The scatter draws exactly the stored points, panel by panel.
        const samples = results.artifacts.samples ?? [];
        if (samples.length > 0) {
          const perPanel = await page.$$eval('#fig-samples svg g.mark-symbol', (gs) => gs.map((g) => g.querySelectorAll('path').length));
          expect(perPanel).toEqual(samples.map((s) => s.points.length));
        }
        // Points from all chains: the plotted fraction at x₁ < 0 matches the sampler's own estimate.
        const coord = results.artifacts.profiles?.coordinate ?? '';
        if (coord.startsWith('x₁')) {
          for (const s of results.samplers) {
            const pts = samples.find((p) => p.sampler === s.sampler)?.points ?? [];
            if (s.transitions === null || !s.deltaF || pts.length < 10) continue;
            const pBelow = 1 / (1 + Math.exp(-s.deltaF.estimate));
            const se = pBelow * (1 - pBelow) * s.deltaF.stderr;
            const plotted = pts.filter(([x]) => x < 0).length / pts.length;
            const tol = 4 * Math.hypot(se, Math.sqrt((pBelow * (1 - pBelow)) / pts.length)) + 1 / pts.length;
            expect(Math.abs(plotted - pBelow), `${e.name}/${s.sampler}: plotted ${plotted} vs estimate ${pBelow}`).toBeLessThanOrEqual(tol);
          }
        }
        // Every figure is drawn and every axis carries a title.
        const figs = await page.$$eval('figure.plot', (els) =>
          els.map((el) => ({
            id: el.getAttribute('data-figure-id'),
            marks: el.querySelectorAll('svg g[class*="mark-"] path, svg g[class*="mark-"] text').length,
            untitledAxes: Array.from(el.querySelectorAll('svg g.role-axis')).filter((a) => !a.querySelector('g.role-axis-title text')?.textContent?.trim())
              .length,
          })),
        );
        expect(figs.length).toBe(report!.figures.length);
        for (const f of figs) {
          expect(f.marks, `${e.name}/${f.id}`).toBeGreaterThan(3);
        }
      } finally {
        await browser.close();
      }
    }, 300_000);
  }
});
