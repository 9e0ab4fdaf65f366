import { describe, expect, it } from 'vitest';
import { efficiencyFigure } from '../src/report/figures.js';
import { renderFigure } from '../src/report/render.js';
import { syntheticResults } from './syntheticResults.js';

describe('ESS chart', () => {
  it('draws ESS-0 samplers at the axis floor with a label and marks degenerate importance weights', async () => {
    const r = syntheticResults();
    r.samplers[0] = { ...r.samplers[0], sampler: 'rwm', ess: 0, essPerEnergyEvaluation: 0, essPerTotalEnergyEvaluation: 0, flags: [] };
    r.samplers[2] = {
      ...r.samplers[2],
      sampler: 'flow-is',
      ess: 3.3,
      essPerEnergyEvaluation: 3.3e-4,
      essPerTotalEnergyEvaluation: 1e-4,
      flags: ['degenerate-weights'],
    };
    const fig = efficiencyFigure(r)!;
    const rows = (fig.spec as unknown as { data: { values: { sampler: string; v: number; status: string; label: string; basis: string }[] } }).data.values;
    const floor = 10 ** Math.floor(Math.log10(1e-4) - 1);
    const rwm = rows.filter((x) => x.sampler === 'rwm');
    expect(rwm.map((x) => x.v)).toEqual([floor, floor]);
    expect(rwm[0].label).toBe('ESS 0');
    expect(rows.find((x) => x.sampler === 'flow-is' && x.basis === 'sampling budget')!.label).toMatch(/degenerate weights/);
    const svg = (await renderFigure(fig)).svg;
    expect(svg).toContain('ESS 0');
    expect(svg).toContain('degenerate weights (Kish ESS &lt; 50)');
  });
});
