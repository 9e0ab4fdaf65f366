import type { TopLevelSpec } from 'vega-lite';
import type { Results } from '../results.js';
import { standardFigures, type Figure } from '../report/figures.js';

/** The histograms `runParticleExperiment` stores in `artifacts.extra.histograms` (normalised bin masses). */
export interface ParticleHistograms {
  energyRange: [number, number];
  energyFlow: number[];
  energyReference: number[];
  distanceRange: [number, number];
  distanceFlow: number[];
  distanceReference: number[];
}

function rows(range: [number, number], flow: number[], reference: number[]): { x: number; p: number; source: string }[] {
  const width = (range[1] - range[0]) / flow.length;
  const out: { x: number; p: number; source: string }[] = [];
  // Bin mass / width: a density, so the two panels' y axes mean the same thing whatever the bin count.
  flow.forEach((p, i) => out.push({ x: range[0] + (i + 0.5) * width, p: p / width, source: 'flow samples' }));
  reference.forEach((p, i) => out.push({ x: range[0] + (i + 0.5) * width, p: p / width, source: 'MCMC reference' }));
  return out;
}

/**
 * Energy and interatomic-distance histograms of flow samples against the held-out replica-exchange reference — the
 * two plots of the equivariant-flow papers.
 */
export function particleHistogramsFigure(results: Results): Figure | undefined {
  const h = results.artifacts.extra?.histograms as ParticleHistograms | undefined;
  if (!h) return undefined;
  const panel = (title: string, axis: string, range: [number, number], flow: number[], reference: number[]) => ({
    title,
    width: 260,
    height: 180,
    data: { values: rows(range, flow, reference) },
    mark: { type: 'line' as const, interpolate: 'step' as const, strokeWidth: 1.5 },
    encoding: {
      x: { field: 'x', type: 'quantitative' as const, scale: { domain: range, nice: false }, title: axis },
      y: { field: 'p', type: 'quantitative' as const, title: 'density' },
      color: { field: 'source', type: 'nominal' as const, title: null },
    },
  });
  return {
    id: 'particle-histograms',
    title: 'Energy and pair-distance histograms',
    caption:
      'Flow samples (the flow-is sampler’s draws, unweighted) against the held-out MCMC reference: the energy u(x) and all interatomic distances ‖xᵢ − xⱼ‖; values outside the plotted range are counted in the end bins. Total-variation distances are in the flow-is row’s metrics.',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      hconcat: [
        panel('energy', 'u(x) (kT)', h.energyRange, h.energyFlow, h.energyReference),
        panel('pair distances', '‖xᵢ − xⱼ‖', h.distanceRange, h.distanceFlow, h.distanceReference),
      ],
    } as TopLevelSpec,
  };
}

/** dw4 / lj13 report figures: the histograms first, then the standard ones. */
export function particleFigures(results: Results): Figure[] {
  const own = particleHistogramsFigure(results);
  return [...(own ? [own] : []), ...standardFigures(results)];
}
