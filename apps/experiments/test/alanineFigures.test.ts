import { beforeAll, describe, expect, it } from 'vitest';
import { createRng, initBackend } from '@boltzflow/core';
import { alanineDipeptide } from '@boltzflow/energies';
import { deepMerge, parseWith } from '../src/config.js';
import { alanineDipeptideExperiment, conformationGraphs, loadAlanineReference } from '../src/experiments/alanineDipeptide.js';
import {
  conformationFigure,
  ramachandranGrid,
  ramachandranHeatmapsFigure,
  referencePsiProfile,
  samplerRamachandran,
} from '../src/experiments/alanineFigures.js';
import { silentReporter } from '../src/progress.js';
import { renderFigure } from '../src/report/render.js';
import { ResultsSchema, type Results } from '../src/results.js';
import { syntheticResults } from './syntheticResults.js';

/** von Mises density exp(κ cos(ψ − μ)) (unnormalised) and its bin masses over 36 bins by the midpoint rule on a fine grid. */
const KAPPA = 2;
const MU = -1;
const vonMises = (psi: number) => Math.exp(KAPPA * Math.cos(psi - MU));
function exactProfile(bins: number): { f: number[]; prob: number[] } {
  const width = (2 * Math.PI) / bins;
  const mass = Array.from({ length: bins }, (_, k) => {
    let s = 0;
    const m = 200;
    for (let i = 0; i < m; i++) s += vonMises(-Math.PI + (k + (i + 0.5) / m) * width);
    return s / m;
  });
  const f = mass.map((p) => -Math.log(p));
  const min = Math.min(...f);
  const total = mass.reduce((a, b) => a + b, 0);
  return { f: f.map((v) => v - min), prob: mass.map((p) => p / total) };
}

/**
 * Estimated profile minus exact, up to the constant (mean difference) that the minimum-0 shift leaves free, in units of
 * each bin's Monte-Carlo error 1/√(n_eff · P_k) (the delta-method error of −ln of a bin frequency).
 */
function residuals(estimate: (number | null)[], exact: { f: number[]; prob: number[] }, nEff: number): { shift: number; worst: number } {
  const d = estimate.map((f, k) => (f as number) - exact.f[k]);
  const shift = d.reduce((a, b) => a + b, 0) / d.length;
  return { shift, worst: Math.max(...d.map((v, k) => Math.abs(v - shift) * Math.sqrt(nEff * exact.prob[k]))) };
}

describe('alanine-dipeptide report figures', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('reference F(ψ): the histogram summed over φ, −ln of the density, minimum 0', () => {
    const ref = loadAlanineReference();
    const { x, f } = referencePsiProfile(ref);
    const width = (2 * Math.PI) / ref.bins;
    const direct: { x: number; f: number }[] = [];
    for (let j = 0; j < ref.bins; j++) {
      let c = 0;
      for (let i = 0; i < ref.bins; i++) c += ref.histogram[i][j];
      if (c > 0) direct.push({ x: -Math.PI + (j + 0.5) * width, f: -Math.log(c / ref.records / width) });
    }
    const min = Math.min(...direct.map((d) => d.f));
    expect(x.length).toBe(direct.length);
    direct.forEach((d, k) => {
      expect(x[k]).toBeCloseTo(d.x, 5);
      expect(f[k]).toBeCloseTo(d.f - min, 5);
    });
    expect(Math.min(...f)).toBe(0);
    // the 20° grid of the heatmaps merges 2 × 2 blocks: its most populated cell holds the block maximum of the counts
    const coarse = ramachandranGrid(ref, 18);
    expect(coarse.width).toBeCloseTo(Math.PI / 9, 12);
    let blockMax = 0;
    let block = 0;
    for (let i = 0; i < 18; i++)
      for (let j = 0; j < 18; j++) {
        const c = ref.histogram[2 * i][2 * j] + ref.histogram[2 * i + 1][2 * j] + ref.histogram[2 * i][2 * j + 1] + ref.histogram[2 * i + 1][2 * j + 1];
        if (c > blockMax) [blockMax, block] = [c, i * 18 + j];
      }
    const top = coarse.cells.find(([, , v]) => v === 0)!;
    expect(top[0]).toBeCloseTo(-Math.PI + Math.floor(block / 18) * (Math.PI / 9), 3);
    expect(top[1]).toBeCloseTo(-Math.PI + (block % 18) * (Math.PI / 9), 3);
  });

  it('sampler F(ψ) from chains and from weighted draws matches a von Mises marginal; heatmap cells bin φ by row, ψ by column', () => {
    const rng = createRng(7);
    const exact = exactProfile(36);
    expect(exact.f.length).toBe(36);
    // chains: [kept, chains, 2] exact von Mises draws by rejection (φ uniform)
    const kept = 2000;
    const chains = 20;
    const data = new Float32Array(kept * chains * 2);
    for (let r = 0; r < kept * chains; r++) {
      let psi: number;
      do psi = 2 * Math.PI * rng.nextUniform() - Math.PI;
      while (rng.nextUniform() > vonMises(psi) / Math.exp(KAPPA));
      data[2 * r] = 2 * Math.PI * rng.nextUniform() - Math.PI;
      data[2 * r + 1] = psi;
    }
    const chainsOut = samplerRamachandran('chains', { data, shape: [kept, chains, 2] });
    expect(chainsOut.draws).toBe(kept * chains);
    expect(chainsOut.kishESS).toBeUndefined();
    expect(Math.min(...(chainsOut.psi.f as number[]))).toBe(0);
    // every bin within 4.5 of its own Monte-Carlo errors (36 bins; the least likely holds ≈ 66 draws)
    const c = residuals(chainsOut.psi.f, exact, kept * chains);
    expect(c.worst).toBeLessThan(4.5);
    expect(Math.abs(c.shift)).toBeLessThan(0.1);
    // weighted: uniform ψ with log w = κ cos(ψ − μ) targets the same marginal
    const n = 40_000;
    const wdata = new Float32Array(n * 2);
    const logWeights = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      wdata[2 * r] = 2 * Math.PI * rng.nextUniform() - Math.PI;
      wdata[2 * r + 1] = 2 * Math.PI * rng.nextUniform() - Math.PI;
      logWeights[r] = KAPPA * Math.cos(wdata[2 * r + 1] - MU);
    }
    const weighted = samplerRamachandran('weighted', { data: wdata, shape: [n, 1, 2] }, logWeights);
    expect(weighted.kishESS).toBeGreaterThan(0.3 * n);
    const w = residuals(weighted.psi.f, exact, weighted.kishESS!);
    expect(w.worst).toBeLessThan(4.5);
    // the same draws unweighted are uniform in ψ: far from the target (the weights are used)
    expect(residuals(samplerRamachandran('unweighted', { data: wdata, shape: [n, 1, 2] }).psi.f, exact, n).worst).toBeGreaterThan(10);
    // heatmap orientation: 3 draws at cell (φ row 2, ψ column 5) and 1 at (row 10, column 0) of 18 × 18 → F = 0, ln 3
    const cw = Math.PI / 9;
    const at = (i: number, j: number) => [-Math.PI + (i + 0.5) * cw, -Math.PI + (j + 0.5) * cw];
    const grid = samplerRamachandran('grid', { data: Float32Array.from([...at(2, 5), ...at(2, 5), ...at(2, 5), ...at(10, 0)]), shape: [4, 1, 2] });
    expect(grid.cells.length).toBe(2);
    const [a, b] = grid.cells;
    expect(a[0]).toBeCloseTo(-Math.PI + 2 * cw, 3);
    expect(a[1]).toBeCloseTo(-Math.PI + 5 * cw, 3);
    expect(a[2]).toBe(0);
    expect(b[0]).toBeCloseTo(-Math.PI + 10 * cw, 3);
    expect(b[1]).toBeCloseTo(-Math.PI, 3);
    expect(b[2]).toBeCloseTo(Math.log(3), 3);
  });

  it('heatmaps: sampler cells above 10 kT (negligible importance weight) are left blank and counted in the caption', () => {
    const ref = loadAlanineReference();
    const reference = ramachandranGrid(ref, 18);
    const cells: [number, number, number][] = [
      [0, 0, 0],
      [0.349, 0, 9.5],
      [0.698, 0, 30],
    ];
    const psi = { x: [0], f: [0] };
    const extra = { ramachandranDraws: { reference, samplers: [{ sampler: 'flow-is', draws: 3, kishESS: 1.2, width: reference.width, cells, psi }] } };
    const fig = ramachandranHeatmapsFigure({ artifacts: { extra } } as unknown as Results)!;
    const panels = (fig.spec as unknown as { concat: { layer: { data: { values: { f: number }[] } }[] }[] }).concat;
    expect(panels[0].layer[0].data.values.length).toBe(reference.cells.length);
    expect(panels[1].layer[0].data.values.map((v) => v.f)).toEqual([0, 9.5]);
    expect(fig.caption).toMatch(/1 sampler cell\(s\) above 10 kT/);
  });

  it('conformation figure: one point per heavy atom and one segment per heavy-atom bond; C7eq then φ > 0', async () => {
    const energy = alanineDipeptide();
    const graphs = conformationGraphs(energy);
    const heavy = energy.system.atoms.map((a) => a.element !== 'H');
    const heavyAtoms = heavy.filter(Boolean).length;
    const heavyBonds = energy.system.bonds.filter((b) => heavy[b.atoms[0]] && heavy[b.atoms[1]]).length;
    expect(heavyAtoms).toBe(10);
    expect(heavyBonds).toBe(9);
    expect(graphs.length).toBe(2);
    expect(graphs[0].phi).toBeLessThan(0);
    expect(graphs[1].phi).toBeGreaterThan(0);
    const fig = conformationFigure({ artifacts: { extra: { conformations: graphs } } } as unknown as Results)!;
    const panels = (fig.spec as unknown as { hconcat: { layer: { mark: { type: string }; data: { values: unknown[] } }[] }[] }).hconcat;
    expect(panels.length).toBe(2);
    for (const p of panels) {
      expect(p.layer.filter((l) => l.mark.type === 'point').map((l) => l.data.values.length)).toEqual([heavyAtoms]);
      expect(p.layer.filter((l) => l.mark.type === 'rule').map((l) => l.data.values.length)).toEqual([heavyBonds]);
    }
    // a projection never lengthens a bond: every drawn heavy-atom bond is at most its 3D length (≤ 1.6 Å), and not 0
    for (const g of graphs)
      for (const [i, j] of g.bonds) {
        const d = Math.hypot(g.atoms[i].x - g.atoms[j].x, g.atoms[i].y - g.atoms[j].y);
        expect(d).toBeGreaterThan(0.2);
        expect(d).toBeLessThan(1.6);
      }
    await renderFigure(fig, 1);
    energy.dispose();
  });

  it('tiny run: heatmaps, F(ψ) and conformations in the report, chains and weighted rows; old results skip them', async () => {
    const e = alanineDipeptideExperiment;
    const merged = deepMerge(deepMerge(e.quickParams ?? {}, e.tinyParams ?? {}), { samplers: ['mala', 'flow-is'] });
    const params = parseWith(e.params, merged, 'params');
    const out = await e.run(params, { seed: 1, quick: true, rng: createRng(3), progress: silentReporter });
    const results = ResultsSchema.parse(
      JSON.parse(JSON.stringify({ ...syntheticResults(), experiment: 'alanine-dipeptide', ...out, reference: out.reference ?? null })),
    );
    const figures = e.figures!(results);
    const ids = figures.map((f) => f.id);
    expect(ids).toContain('ramachandran-heatmaps');
    expect(ids).toContain('ramachandran');
    expect(ids).toContain('conformations');
    expect(ids.indexOf('profiles-psi')).toBe(ids.indexOf('profiles') + 1);
    const draws = (results.artifacts.extra as { ramachandranDraws: { samplers: { sampler: string; kishESS?: number; draws: number }[] } }).ramachandranDraws;
    expect(draws.samplers.map((s) => s.sampler)).toEqual(['mala', 'flow-is']);
    expect(draws.samplers[0].kishESS).toBeUndefined();
    expect(draws.samplers[1].kishESS).toBeGreaterThan(0);
    for (const id of ['ramachandran-heatmaps', 'profiles-psi', 'conformations']) await renderFigure(figures.find((f) => f.id === id)!, 1);
    // results of an older run (only the reference grid in extra): the new figures are left out, nothing throws
    const old = {
      ...results,
      artifacts: { ...results.artifacts, extra: { ramachandran: (results.artifacts.extra as { ramachandran: unknown }).ramachandran } },
    };
    const oldIds = e.figures!(old as Results).map((f) => f.id);
    expect(oldIds).toContain('ramachandran');
    expect(oldIds).not.toContain('ramachandran-heatmaps');
    expect(oldIds).not.toContain('profiles-psi');
    expect(oldIds).not.toContain('conformations');
  }, 120_000);
});
