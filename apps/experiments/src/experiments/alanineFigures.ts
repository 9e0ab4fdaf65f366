import { BoltzflowError } from '@boltzflow/core';
import { freeEnergyProfile, kishESS, symmetricEigen } from '@boltzflow/estimators';
import { linspace, type Draws } from '@boltzflow/samplers';
import type { TopLevelSpec } from 'vega-lite';
import type { Results } from '../results.js';
import { profilesFigure, standardFigures, type Figure } from '../report/figures.js';
import type { AlanineReference } from './alanineDipeptide.js';

/**
 * The alanine-dipeptide report figures: Ramachandran plane (reference heatmap with each sampler's draws, and each
 * sampler's own F(φ, ψ) heatmap), the marginal F(ψ) beside the standard F(φ) profile, and the heavy-atom graph of two
 * conformations. The data come from `artifacts.extra`, filled by the experiment's `run()`; a figure whose data are
 * absent (results of an older run) is left out.
 */

/** Bins of the marginal profiles F(φ), F(ψ): 36 over (−π, π] (10°), the reference histogram's. */
export const ALANINE_PROFILE_BINS = 36;
/** Bins per axis of the per-sampler Ramachandran heatmaps: 18 over (−π, π] (20°), coarse enough for a few thousand draws. */
export const ALANINE_HEATMAP_BINS = 18;
/** Colour domain of every Ramachandran heatmap, F in kT (values above are clamped to the top colour). */
const F_DOMAIN: [number, number] = [0, 10];
const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** A free-energy profile as the report stores it: bin centres and F in kT (minimum 0); null for an empty bin. */
export interface ProfileRows {
  x: number[];
  f: (number | null)[];
}

/** F(φ, ψ) cells `[φ_lo, ψ_lo, F]` (rad, rad, kT with minimum 0) of bins `width` wide; empty bins left out. */
export interface RamachandranCells {
  width: number;
  cells: [number, number, number][];
}

/** What `run()` stores per sampler for the Ramachandran heatmaps and the F(ψ) figure (`artifacts.extra.ramachandranDraws`). */
export interface SamplerRamachandran extends RamachandranCells {
  sampler: string;
  /** Number of (φ, ψ) draws histogrammed (all kept draws of all chains, or all weighted samples). */
  draws: number;
  /** Kish ESS of the importance weights (weighted rows only). */
  kishESS?: number;
  /** Marginal F(ψ) over `ALANINE_PROFILE_BINS` bins (weighted rows by their weights), minimum 0, null where empty. */
  psi: ProfileRows;
}

/** One structure of the conformation figure: heavy atoms projected on the structure's first two principal axes (Å). */
export interface ConformationGraph {
  label: string;
  /** Backbone dihedrals of the structure, rad. */
  phi: number;
  psi: number;
  atoms: { name: string; element: string; x: number; y: number }[];
  /** Heavy-atom bonds as indices into `atoms`. */
  bonds: [number, number][];
}

/** What `artifacts.extra` holds for these figures (all optional: older results lack the newer ones). */
interface AlanineExtra {
  ramachandran?: RamachandranCells;
  psiProfile?: { exact: ProfileRows; exactSource?: string };
  ramachandranDraws?: { reference: RamachandranCells; samplers: SamplerRamachandran[] };
  conformations?: ConformationGraph[];
}

function extraOf(results: Results): AlanineExtra {
  return (results.artifacts.extra ?? {}) as AlanineExtra;
}

/** Row (φ) or column (ψ) sums of the reference's `[bins][bins]` (φ, ψ) histogram. */
function marginalCounts(ref: AlanineReference, axis: 'phi' | 'psi'): number[] {
  if (axis === 'phi') return ref.histogram.map((row) => row.reduce((a, b) => a + b, 0));
  return Array.from({ length: ref.bins }, (_, j) => ref.histogram.reduce((a, row) => a + row[j], 0));
}

/** F(φ) or F(ψ) = −ln p of the reference (kT, minimum 0) at the histogram's bin centres; empty bins left out. */
export function referenceMarginalProfile(ref: AlanineReference, axis: 'phi' | 'psi'): { x: number[]; f: number[] } {
  const counts = marginalCounts(ref, axis);
  const total = counts.reduce((a, b) => a + b, 0);
  const width = (2 * Math.PI) / ref.bins;
  const x: number[] = [];
  const f: number[] = [];
  counts.forEach((c, i) => {
    if (c > 0) {
      x.push(Number((-Math.PI + (i + 0.5) * width).toFixed(6)));
      f.push(-Math.log(c / total / width));
    }
  });
  const min = Math.min(...f);
  return { x, f: f.map((v) => Number((v - min).toFixed(6))) };
}

/** F(φ) = −ln p(φ) of the reference (kT, minimum 0) at the histogram's bin centres; empty bins left out. */
export function referencePhiProfile(ref: AlanineReference): { x: number[]; f: number[] } {
  return referenceMarginalProfile(ref, 'phi');
}

/** F(ψ) = −ln p(ψ) of the reference (kT, minimum 0): the histogram summed over φ; empty bins left out. */
export function referencePsiProfile(ref: AlanineReference): { x: number[]; f: number[] } {
  return referenceMarginalProfile(ref, 'psi');
}

/**
 * The reference's F(φ, ψ) = −ln p (kT, minimum 0) per 2D bin, empty bins left out; `width` the bin width in rad.
 * `bins` (a divisor of the histogram's) merges neighbouring bins: 18 gives the 20° cells of the sampler heatmaps.
 */
export function ramachandranGrid(ref: AlanineReference, bins = ref.bins): RamachandranCells {
  if (!Number.isInteger(bins) || bins < 1 || ref.bins % bins !== 0)
    throw new BoltzflowError('INVALID_CONFIG', 'Ramachandran bins must divide the reference histogram’s', {
      argument: 'bins',
      expected: `a divisor of ${ref.bins}`,
      received: String(bins),
    });
  const merge = ref.bins / bins;
  const counts = Array.from({ length: bins }, () => new Array<number>(bins).fill(0));
  ref.histogram.forEach((row, i) => row.forEach((c, j) => (counts[Math.floor(i / merge)][Math.floor(j / merge)] += c)));
  return cellsOf(counts);
}

/** `[bins][bins]` weights over (−π, π]² (φ the row) → F = −ln(p / p_max) cells, empty bins left out. */
function cellsOf(counts: ArrayLike<number>[]): RamachandranCells {
  const bins = counts.length;
  const width = (2 * Math.PI) / bins;
  let max = 0;
  for (const row of counts) for (let j = 0; j < bins; j++) max = Math.max(max, row[j]);
  const cells: [number, number, number][] = [];
  for (let i = 0; i < bins; i++)
    for (let j = 0; j < bins; j++) {
      const c = counts[i][j];
      if (c > 0) cells.push([Number((-Math.PI + i * width).toFixed(4)), Number((-Math.PI + j * width).toFixed(4)), Number((-Math.log(c / max)).toFixed(3))]);
    }
  return { width, cells };
}

/**
 * A sampler's Ramachandran data from its projected draws (`[kept, chains, ≥2]`, columns φ, ψ in rad; all kept draws of
 * all chains, or `[n, 1, 2]` weighted samples with `logWeights`): the marginal F(ψ) over `profileBins` bins (as the F(φ)
 * profile: estimators' `freeEnergyProfile`, minimum 0, null where empty) and F(φ, ψ) cells over `heatBins` × `heatBins`
 * bins (the same weighted histogram over the flattened 2D bin index).
 */
export function samplerRamachandran(
  sampler: string,
  projected: Draws,
  logWeights?: readonly number[] | Float64Array | Float32Array | null,
  options: { profileBins?: number; heatBins?: number } = {},
): SamplerRamachandran {
  const [kept, chains, dim] = projected.shape;
  const n = kept * chains;
  if (dim < 2)
    throw new BoltzflowError('INVALID_SHAPE', 'Ramachandran draws need φ and ψ columns', {
      argument: 'projected',
      expected: '[kept, chains, ≥2]',
      received: `[${projected.shape.join(', ')}]`,
    });
  if (logWeights && logWeights.length !== n)
    throw new BoltzflowError('INVALID_SHAPE', 'One log-weight per draw', {
      argument: 'logWeights',
      expected: `length ${n}`,
      received: `length ${logWeights.length}`,
    });
  const profileBins = options.profileBins ?? ALANINE_PROFILE_BINS;
  const heatBins = options.heatBins ?? ALANINE_HEATMAP_BINS;
  const phi = new Float64Array(n);
  const psi = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    phi[r] = projected.data[r * dim];
    psi[r] = projected.data[r * dim + 1];
  }
  const weights = logWeights ? { logWeights } : {};
  const p = freeEnergyProfile(psi, { edges: linspace(-Math.PI, Math.PI, profileBins + 1), ...weights });
  // The 2D histogram is the same weighted histogram over the flattened cell index i_φ · B + i_ψ (bins [k, k + 1)).
  const w = (2 * Math.PI) / heatBins;
  const cell = (v: number) => Math.min(heatBins - 1, Math.max(0, Math.floor((v + Math.PI) / w)));
  const flat = phi.map((a, r) => cell(a) * heatBins + cell(psi[r]) + 0.5);
  const h = freeEnergyProfile(flat, { edges: linspace(0, heatBins * heatBins, heatBins * heatBins + 1), ...weights });
  const counts = Array.from({ length: heatBins }, (_, i) => h.probabilities.subarray(i * heatBins, (i + 1) * heatBins));
  return {
    sampler,
    draws: n,
    ...(logWeights ? { kishESS: Number(kishESS(logWeights).ess.toFixed(1)) } : {}),
    psi: { x: Array.from(p.centers, (c) => Number(c.toFixed(6))), f: Array.from(p.F, (f) => (Number.isFinite(f) ? Number(f.toFixed(5)) : null)) },
    ...cellsOf(counts),
  };
}

/**
 * The heavy-atom graph of one structure (`positions` flat `[3N]` in nm) for the conformation figure: atoms other than
 * hydrogen, centred and projected on their first two principal axes (Å; signs fixed so that the first heavy atom lies
 * at negative coordinates), and the bonds between two heavy atoms.
 */
export function heavyAtomGraph(
  system: { atoms: readonly { name: string; element: string }[]; bonds: readonly { atoms: readonly [number, number] }[] },
  positions: ArrayLike<number>,
  label: string,
  angles: { phi: number; psi: number },
): ConformationGraph {
  if (positions.length !== 3 * system.atoms.length)
    throw new BoltzflowError('INVALID_SHAPE', 'One position triple per atom', {
      argument: 'positions',
      expected: `length ${3 * system.atoms.length}`,
      received: `length ${positions.length}`,
    });
  const heavy = system.atoms.flatMap((a, i) => (a.element !== 'H' ? [i] : []));
  const index = new Map(heavy.map((a, k) => [a, k]));
  const xyz = heavy.map((a) => [0, 1, 2].map((d) => 10 * positions[3 * a + d]));
  const mean = [0, 1, 2].map((d) => xyz.reduce((s, p) => s + p[d], 0) / xyz.length);
  const centred = xyz.map((p) => p.map((v, d) => v - mean[d]));
  const cov = [0, 1, 2].map((a) => [0, 1, 2].map((b) => centred.reduce((s, p) => s + p[a] * p[b], 0) / centred.length));
  const { values, vectors } = symmetricEigen(cov);
  const order = [0, 1, 2].sort((a, b) => values[b] - values[a]);
  const axes = order.slice(0, 2).map((k) => {
    const v = [0, 1, 2].map((d) => vectors[d][k]);
    const first = centred[0].reduce((s, c, d) => s + c * v[d], 0);
    return first > 0 ? v.map((c) => -c) : v;
  });
  return {
    label,
    phi: Number(angles.phi.toFixed(4)),
    psi: Number(angles.psi.toFixed(4)),
    atoms: heavy.map((a, k) => ({
      name: system.atoms[a].name,
      element: system.atoms[a].element,
      x: Number(centred[k].reduce((s, c, d) => s + c * axes[0][d], 0).toFixed(3)),
      y: Number(centred[k].reduce((s, c, d) => s + c * axes[1][d], 0).toFixed(3)),
    })),
    bonds: system.bonds.flatMap((b) => {
      const i = index.get(b.atoms[0]);
      const j = index.get(b.atoms[1]);
      return i !== undefined && j !== undefined ? [[i, j] as [number, number]] : [];
    }),
  };
}

const axis = (field: string, title: string) => ({ field, type: 'quantitative' as const, scale: { domain: [-Math.PI, Math.PI], nice: false }, title });

/** A `rect` layer of F(φ, ψ) cells on the shared colour scale. */
function heatLayer(grid: RamachandranCells, opacity = 1) {
  return {
    data: { values: grid.cells.map(([phi, psi, f]) => ({ phi, psi, phi2: phi + grid.width, psi2: psi + grid.width, f })) },
    mark: { type: 'rect' as const, ...(opacity < 1 ? { opacity } : {}) },
    encoding: {
      x: axis('phi', 'φ (rad)'),
      x2: { field: 'phi2' },
      y: axis('psi', 'ψ (rad)'),
      y2: { field: 'psi2' },
      color: { field: 'f', type: 'quantitative' as const, title: 'F (kT)', scale: { scheme: 'viridis', domain: F_DOMAIN, clamp: true } },
    },
  };
}

/**
 * Ramachandran figure: the reference F(φ, ψ) as a heatmap, and each sampler's (φ, ψ) draws over it (evenly spaced draws of
 * every chain, as the samples figure).
 */
export function ramachandranFigure(results: Results): Figure | undefined {
  const grid = extraOf(results).ramachandran;
  if (!grid) return undefined;
  const heat = heatLayer(grid);
  const panels: unknown[] = [{ title: 'reference (replica-exchange MD)', width: 200, height: 200, layer: [heat] }];
  for (const s of results.artifacts.samples ?? []) {
    panels.push({
      title: s.sampler,
      width: 200,
      height: 200,
      layer: [
        heatLayer(grid, 0.35),
        {
          data: { values: s.points.map(([phi, psi]) => ({ phi, psi })) },
          mark: { type: 'point' as const, filled: true, size: 8, color: '#d62728' },
          encoding: { x: axis('phi', 'φ (rad)'), y: axis('psi', 'ψ (rad)') },
        },
      ],
    });
  }
  return {
    id: 'ramachandran',
    title: 'Ramachandran plane (φ, ψ)',
    caption:
      'Reference free energy F(φ, ψ) = −ln p in kT (10° bins, minimum 0, empty bins blank) from the bundled replica-exchange MD ensemble, and each sampler’s (φ, ψ) draws over it (red). φ > 0 is the C7ax/αL basin whose free energy ΔF the table compares.',
    spec: { $schema: SCHEMA, resolve: { scale: { color: 'shared' } }, concat: panels, columns: 4 } as unknown as TopLevelSpec,
  };
}

/** Each sampler's own F(φ, ψ) heatmap from all its draws (weighted rows weighted) beside the reference at the same bins. */
export function ramachandranHeatmapsFigure(results: Results): Figure | undefined {
  const d = extraOf(results).ramachandranDraws;
  if (!d || d.samplers.length === 0) return undefined;
  // Counts go in a subtitle: a title wider than its 200 px panel widens the column and pushes the legend off the page.
  const panel = (text: string, subtitle: string, grid: RamachandranCells) => ({ title: { text, subtitle }, width: 200, height: 200, layer: [heatLayer(grid)] });
  const deg = Math.round((d.reference.width * 180) / Math.PI);
  // Cells above the colour domain carry less than e^−10 of the panel's top cell: chains of ≤ 2·10⁴ draws cannot have
  // them, degenerate importance weights fill whole regions with them. They are left blank, not clamped, so that a row
  // with two heavy weights does not look as if it covered the plane.
  let blanked = 0;
  const visible = (g: RamachandranCells): RamachandranCells => {
    const cells = g.cells.filter(([, , f]) => f <= F_DOMAIN[1]);
    blanked += g.cells.length - cells.length;
    return { width: g.width, cells };
  };
  const panels = [
    panel('reference', 'replica-exchange MD', d.reference),
    ...d.samplers.map((s) => panel(s.sampler, s.kishESS !== undefined ? `Kish ESS ${s.kishESS.toFixed(0)} of ${s.draws}` : `${s.draws} draws`, visible(s))),
  ];
  const blankNote = blanked > 0 ? ` ${blanked} sampler cell(s) above ${F_DOMAIN[1]} kT (nearly zero importance weight) are left blank.` : '';
  return {
    id: 'ramachandran-heatmaps',
    title: 'Ramachandran free energy F(φ, ψ) per sampler',
    caption: `F(φ, ψ) = −ln p in kT (${deg}° bins, each panel’s minimum 0, empty bins blank, one colour scale from 0 to ${F_DOMAIN[1]} kT) from all kept draws of every chain; importance-sampling rows are weighted by their importance weights (titles give their Kish ESS). The reference is the bundled replica-exchange MD histogram at the same bins.${blankNote}`,
    spec: { $schema: SCHEMA, resolve: { scale: { color: 'shared' } }, concat: panels, columns: 4 } as unknown as TopLevelSpec,
  };
}

/** F(ψ) of each sampler against the reference, drawn as the standard F(φ) profile figure. */
export function psiProfileFigure(results: Results): Figure | undefined {
  const x = extraOf(results);
  if (!x.psiProfile || !x.ramachandranDraws) return undefined;
  const fig = profilesFigure({
    ...results,
    artifacts: {
      profiles: {
        coordinate: 'ψ',
        exact: x.psiProfile.exact,
        ...(x.psiProfile.exactSource ? { exactSource: x.psiProfile.exactSource } : {}),
        samplers: x.ramachandranDraws.samplers.map((s) => ({ sampler: s.sampler, ...s.psi })),
      },
    },
  } as Results);
  if (!fig) return undefined;
  return {
    ...fig,
    id: 'profiles-psi',
    caption: `${fig.caption ?? ''} All kept draws of every chain; importance-sampling rows weighted by their importance weights. 10° bins, as F(φ) above.`,
  };
}

const ELEMENT_COLOURS: Record<string, string> = { C: '#555555', N: '#3050f8', O: '#ff0d0d', S: '#e6c300' };

/** The heavy-atom graphs stored by `run()`: atoms as points coloured by element, bonds as segments, one panel each. */
export function conformationFigure(results: Results): Figure | undefined {
  const confs = extraOf(results).conformations;
  if (!confs || confs.length === 0) return undefined;
  // One scale for every panel (Å per pixel equal on both axes and in all panels), so the structures compare by size.
  const span = Math.max(...confs.flatMap((c) => c.atoms.flatMap((a) => [Math.abs(a.x), Math.abs(a.y)]))) + 0.6;
  const size = 240;
  const scale = { domain: [-span, span], nice: false };
  const elements = [...new Set(confs.flatMap((c) => c.atoms.map((a) => a.element)))].sort();
  const deg = (r: number) => `${Math.round((r * 180) / Math.PI)}°`.replace('-', '−');
  const panels = confs.map((c) => ({
    title: { text: c.label, subtitle: `φ = ${deg(c.phi)}, ψ = ${deg(c.psi)}` },
    width: size,
    height: size,
    layer: [
      {
        data: { values: c.bonds.map(([i, j]) => ({ x: c.atoms[i].x, y: c.atoms[i].y, x2: c.atoms[j].x, y2: c.atoms[j].y })) },
        mark: { type: 'rule' as const, strokeWidth: 3, color: '#999999' },
        encoding: {
          x: { field: 'x', type: 'quantitative' as const, scale, title: 'principal axis 1 (Å)' },
          y: { field: 'y', type: 'quantitative' as const, scale, title: 'principal axis 2 (Å)' },
          x2: { field: 'x2' },
          y2: { field: 'y2' },
        },
      },
      {
        data: { values: c.atoms },
        mark: { type: 'point' as const, filled: true, size: 160, opacity: 1, stroke: 'white', strokeWidth: 1 },
        encoding: {
          x: { field: 'x', type: 'quantitative' as const, scale },
          y: { field: 'y', type: 'quantitative' as const, scale },
          color: {
            field: 'element',
            type: 'nominal' as const,
            title: 'element',
            scale: { domain: elements, range: elements.map((e) => ELEMENT_COLOURS[e] ?? '#b07aa1') },
          },
          tooltip: [{ field: 'name' }, { field: 'element' }],
        },
      },
      {
        data: { values: c.atoms },
        mark: { type: 'text' as const, dx: 9, dy: -8, fontSize: 9, color: '#333333' },
        encoding: { x: { field: 'x', type: 'quantitative' as const, scale }, y: { field: 'y', type: 'quantitative' as const, scale }, text: { field: 'name' } },
      },
    ],
  }));
  return {
    id: 'conformations',
    title: 'Conformations (heavy atoms)',
    caption:
      'Heavy-atom graph of the minimised structure (C7eq basin, φ < 0) and of the lowest-energy φ > 0 (C7ax/αL) conformation among the bundled replica-exchange conformations: atoms coloured by element and labelled with their PDB names, bonds between heavy atoms as segments; each structure centred and projected on its own first two principal axes, in Å at the same scale.',
    spec: { $schema: SCHEMA, hconcat: panels, resolve: { scale: { color: 'shared' } } } as unknown as TopLevelSpec,
  };
}

/**
 * The alanine-dipeptide report: the Ramachandran figures first, then the standard ones with F(ψ) right after F(φ),
 * then the conformations. Figures whose data the results lack are left out.
 */
export function alanineFigures(results: Results): Figure[] {
  const out: Figure[] = [];
  const push = (f: Figure | undefined) => {
    if (f) out.push(f);
  };
  push(ramachandranHeatmapsFigure(results));
  push(ramachandranFigure(results));
  for (const f of standardFigures(results)) {
    out.push(f);
    if (f.id === 'profiles') push(psiProfileFigure(results));
  }
  push(conformationFigure(results));
  return out;
}
