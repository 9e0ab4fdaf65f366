import type { TopLevelSpec } from 'vega-lite';
import type { Results } from '../results.js';
import { contourLevels, contourPolylines, contourSegments } from './contour.js';

/**
 * One plot of the report: a Vega-Lite spec with its data inlined. Experiments contribute figures as a list;
 * the report renders each to SVG (inline in the HTML and as a file) and PNG.
 */
export interface Figure {
  /** File-name-safe id, unique within a report (`samples`, `profiles`, …). */
  id: string;
  title: string;
  caption?: string;
  spec: TopLevelSpec;
}

const WIDTH = 220;
const HEIGHT = 180;
const REFERENCE = 'exact';

/**
 * Contours of the stored energy grid as rows for a `line` layer: one series per level (`k` orders it), its polylines
 * separated by a null row, so that each level is a single SVG path with several pieces.
 */
function contourRows(results: Results, count = 9, span = 14): Record<string, number | null>[] {
  const grid = results.artifacts.energyGrid;
  if (!grid) return [];
  const rows: Record<string, number | null>[] = [];
  let k = 0;
  // Points closer than ~1 px of a 220 px panel to the last one kept add bytes, not shape (gmm-40 has 40 rings per level).
  const tol = (grid.x[grid.x.length - 1] - grid.x[0]) / 200;
  for (const level of contourLevels(grid.values, count, span)) {
    for (const line of contourPolylines(contourSegments(grid.x, grid.y, grid.values, level))) {
      let last: [number, number] | undefined;
      line.forEach(([x, y], i) => {
        if (last && i < line.length - 1 && Math.hypot(x - last[0], y - last[1]) < tol) return;
        rows.push({ x: Math.round(x * 1e3) / 1e3, y: Math.round(y * 1e3) / 1e3, k: k++, level });
        last = [x, y];
      });
      rows.push({ x: null, y: null, k: k++, level });
    }
  }
  return rows;
}

/** Scatter of each sampler's samples over the energy contours, one panel per sampler. */
export function samplesFigure(results: Results): Figure | undefined {
  const samples = results.artifacts.samples;
  if (!samples || samples.length === 0) return undefined;
  const grid = results.artifacts.energyGrid;
  const [ax, ay] = results.artifacts.sampleAxes ?? ['x₁', 'x₂'];
  const contours = contourRows(results);
  const xDomain = grid ? [grid.x[0], grid.x[grid.x.length - 1]] : undefined;
  const yDomain = grid ? [grid.y[0], grid.y[grid.y.length - 1]] : undefined;
  const xScale = xDomain ? { domain: xDomain, nice: false } : { zero: false };
  const yScale = yDomain ? { domain: yDomain, nice: false } : { zero: false };
  const panels = samples.map((s) => ({
    title: s.sampler,
    width: WIDTH,
    height: HEIGHT,
    layer: [
      ...(contours.length > 0
        ? [
            {
              data: { values: contours },
              mark: { type: 'line' as const, strokeWidth: 0.8, clip: true, invalid: 'break-paths-show-domains' as const },
              encoding: {
                x: { field: 'x', type: 'quantitative' as const, scale: xScale, title: ax },
                y: { field: 'y', type: 'quantitative' as const, scale: yScale, title: ay },
                detail: { field: 'level', type: 'nominal' as const },
                order: { field: 'k', type: 'quantitative' as const },
                color: { field: 'level', type: 'quantitative' as const, scale: { scheme: 'greys', reverse: true }, legend: null },
              },
            },
          ]
        : []),
      {
        data: { values: s.points.map(([a, b]) => ({ a, b })) },
        mark: { type: 'point' as const, shape: 'square', filled: true, size: 6, opacity: 0.5, color: '#d62728', clip: true },
        encoding: {
          x: { field: 'a', type: 'quantitative' as const, scale: xScale, title: ax },
          y: { field: 'b', type: 'quantitative' as const, scale: yScale, title: ay },
        },
      },
    ],
  }));
  return {
    id: 'samples',
    title: contours.length > 0 ? 'Samples over energy contours' : `Samples: ${ay} against ${ax}`,
    caption: `${contours.length > 0 ? 'Samples of each sampler over contours of the energy u(x)' : `Samples of each sampler, ${ay} against ${ax} (no contours: the system has more than two dimensions)`}, evenly spaced draws of every chain. Importance samplers (flow-is, snf) show their unweighted proposals; their estimates use the weights.`,
    spec: { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', columns: 3, concat: panels } as TopLevelSpec,
  };
}

/** Free-energy profiles along the reaction coordinate, each sampler against the exact profile. */
export function profilesFigure(results: Results): Figure | undefined {
  const p = results.artifacts.profiles;
  if (!p || (p.samplers.length === 0 && !p.exact)) return undefined;
  const rows: { x: number; f: number | null; sampler: string }[] = [];
  if (p.exact) p.exact.x.forEach((x, i) => rows.push({ x, f: p.exact!.f[i], sampler: REFERENCE }));
  // A bin holding a single heavily down-weighted sample can sit hundreds of kT up and flatten every other curve:
  // draw sampler estimates only up to a little above the exact profile's range (or 20 kT without one).
  const exactF = p.exact ? p.exact.f.filter((f) => Number.isFinite(f)) : [];
  const cap = (exactF.length > 0 ? Math.max(...exactF) : 15) + 5;
  let dropped = 0;
  for (const s of p.samplers)
    s.x.forEach((x, i) => {
      const f = s.f[i];
      // Empty (or clipped) bins stay in the data as null so that the line breaks there instead of bridging the gap.
      if (f == null || !Number.isFinite(f)) rows.push({ x, f: null, sampler: s.sampler });
      else if (f > cap) {
        dropped++;
        rows.push({ x, f: null, sampler: s.sampler });
      } else rows.push({ x, f, sampler: s.sampler });
    });
  const clipNote = dropped > 0 ? ` ${dropped} sampler bin(s) above ${cap.toFixed(1)} kT (nearly empty bins) are not drawn.` : '';
  return {
    id: 'profiles',
    title: `Free-energy profile F(${p.coordinate})`,
    caption: `F(${p.coordinate}) = −ln p(${p.coordinate}) in kT (histogram estimates${p.exact ? `, shifted to match the reference profile at its minimum); black: ${p.exactSource ?? 'exact by quadrature'}` : '); no exact profile exists for this system'}. Lines break at empty bins.${clipNote}`,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      width: 2 * WIDTH,
      height: 1.5 * HEIGHT,
      data: { values: rows },
      layer: [
        {
          transform: [{ filter: `datum.sampler === '${REFERENCE}'` }],
          mark: { type: 'line', color: 'black', strokeWidth: 2 },
          encoding: { x: { field: 'x', type: 'quantitative', title: p.coordinate }, y: { field: 'f', type: 'quantitative', title: 'F / kT' } },
        },
        {
          transform: [{ filter: `datum.sampler !== '${REFERENCE}'` }],
          mark: { type: 'line', point: { size: 12 }, strokeWidth: 1, invalid: 'break-paths-show-domains' },
          encoding: {
            x: { field: 'x', type: 'quantitative' },
            y: { field: 'f', type: 'quantitative' },
            color: { field: 'sampler', type: 'nominal', title: 'sampler' },
          },
        },
      ],
    } as TopLevelSpec,
  };
}

/** Trace of the reaction coordinate for each sampler, x axis in energy evaluations. */
export function tracesFigure(results: Results): Figure | undefined {
  const traces = results.artifacts.traces;
  if (!traces || traces.length === 0) return undefined;
  const rows = traces.flatMap((t) => t.values.map((v, i) => ({ sampler: t.sampler, evals: i * t.evaluationsPerPoint, v })));
  const coord = traces[0].coordinate;
  return {
    id: 'traces',
    title: `Trace plots of ${coord}`,
    caption: `${coord} along one chain of each sampler; the x axis counts energy evaluations of that chain.`,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      data: { values: rows },
      facet: { row: { field: 'sampler', type: 'nominal', title: null } },
      resolve: { scale: { x: 'independent' } },
      spec: {
        width: 2.5 * WIDTH,
        height: 60,
        mark: { type: 'line', strokeWidth: 0.7 },
        encoding: {
          x: { field: 'evals', type: 'quantitative', title: 'energy evaluations' },
          y: { field: 'v', type: 'quantitative', title: coord },
        },
      },
    } as TopLevelSpec,
  };
}

/** Normalised autocorrelation of the reaction coordinate against lag in energy evaluations. */
export function autocorrelationFigure(results: Results): Figure | undefined {
  const all = results.artifacts.autocorrelation;
  if (!all || all.length === 0) return undefined;
  // A sampler with ESS 0 in the table never moved its observable: a decaying ACF of its within-well jitter would make
  // it look fast, so it is left out (and named) to keep the figure in agreement with the table.
  const essOf = new Map(results.samplers.map((s) => [s.sampler, s.ess] as const));
  const acs = all.filter((a) => (essOf.get(a.sampler) ?? 1) > 0);
  const hidden = all.filter((a) => !acs.includes(a)).map((a) => a.sampler);
  if (acs.length === 0) return undefined;
  const rows = acs.flatMap((a) => a.values.map((rho, k) => ({ sampler: a.sampler, lag: k * a.evaluationsPerLag, rho })).filter((r) => r.lag > 0));
  return {
    id: 'autocorrelation',
    title: 'Autocorrelation of the reaction coordinate',
    caption:
      "Multi-chain autocorrelation ρ(lag) of the reaction coordinate (Stan's combination of within- and between-chain variance, so chains stuck in different wells keep ρ high), with the lag in energy evaluations per chain (log scale) so that samplers with different costs per step compare fairly." +
      (hidden.length > 0 ? ` Not shown (ESS 0 in the table: their chains never switched state): ${hidden.join(', ')}.` : ''),
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      width: 2 * WIDTH,
      height: 1.5 * HEIGHT,
      data: { values: rows },
      mark: { type: 'line', strokeWidth: 1.5 },
      encoding: {
        x: { field: 'lag', type: 'quantitative', scale: { type: 'log' }, title: 'lag (energy evaluations)' },
        y: { field: 'rho', type: 'quantitative', title: 'ρ', scale: { domain: [-0.2, 1] } },
        color: { field: 'sampler', type: 'nominal' },
      },
    } as TopLevelSpec,
  };
}

/** Training loss and importance-sampling ESS fraction of the flow against the training step. */
export function trainingFigure(results: Results): Figure | undefined {
  const t = results.artifacts.training;
  if (!t || t.length === 0) return undefined;
  const loss = t.filter((r) => r.loss != null && Number.isFinite(r.loss)).map((r) => ({ step: r.step, loss: r.loss, phase: r.phase ?? 'training' }));
  const ess = t.filter((r) => r.essFraction != null).map((r) => ({ step: r.step, ess: r.essFraction }));
  // Spiky losses (e.g. 47 000 against a typical 5) flatten a linear axis: switch to symlog when the range is dominated
  // by a few spikes.
  const lv = loss.map((r) => Math.abs(r.loss as number)).sort((a, b) => a - b);
  const median = lv.length > 0 ? lv[Math.floor(lv.length / 2)] : 0;
  const spiky = lv.length > 0 && lv[lv.length - 1] > 50 * Math.max(median, 1e-9);
  const panels: unknown[] = [
    {
      title: 'loss',
      width: WIDTH * 1.3,
      height: HEIGHT,
      data: { values: loss },
      mark: { type: 'line', strokeWidth: 1 },
      encoding: {
        x: { field: 'step', type: 'quantitative', title: 'training step' },
        y: { field: 'loss', type: 'quantitative', scale: spiky ? { type: 'symlog' } : { zero: false }, title: spiky ? 'loss (symlog scale)' : 'loss' },
        color: { field: 'phase', type: 'nominal', legend: { labelLimit: 400, orient: 'bottom' } },
      },
    },
  ];
  if (ess.length > 0) {
    panels.push({
      title: 'Kish ESS fraction',
      width: WIDTH * 1.3,
      height: HEIGHT,
      data: { values: ess },
      // Raw values faint, a centred moving average (9 points) on top: step-to-step Kish ESS is mostly noise.
      transform: [{ window: [{ op: 'mean', field: 'ess', as: 'smoothed' }], frame: [-4, 4], sort: [{ field: 'step' }] }],
      layer: [
        {
          mark: { type: 'line', strokeWidth: 1, opacity: 0.25 },
          encoding: {
            x: { field: 'step', type: 'quantitative', title: 'training step' },
            y: { field: 'ess', type: 'quantitative', scale: { domain: [0, 1] }, title: 'ESS / N' },
          },
        },
        { mark: { type: 'line', strokeWidth: 2 }, encoding: { x: { field: 'step', type: 'quantitative' }, y: { field: 'smoothed', type: 'quantitative' } } },
      ],
    });
  }
  return {
    id: 'training',
    title: 'Flow training',
    caption:
      `Training loss${spiky ? ' (symlog scale: a few spikes dominate its range)' : ''}` +
      (ess.length > 0
        ? ' and the Kish effective sample size fraction of importance weights exp(−u − log q), raw (faint) and as a 9-point moving average. A high ESS alone does not prove that every mode is covered; see the mode check and ΔF in the table.'
        : ' per model against the training step.'),
    spec: { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', hconcat: panels } as TopLevelSpec,
  };
}

/** A row's status in the ESS chart: samplers with ESS 0 or degenerate weights must not look like winners or vanish. */
function essStatus(s: Results['samplers'][number]): string {
  if (!(s.ess > 0)) return 'ESS 0 (drawn at the axis floor)';
  if (s.flags?.includes('degenerate-weights')) return 'degenerate weights (Kish ESS < 50)';
  if (s.flags?.includes('mode-mismatch')) return 'mode mismatch';
  if (s.flags?.includes('few-transitions')) return 'few transitions (unreliable)';
  return 'ok';
}

/**
 * ESS per energy evaluation for each sampler (log scale), at the equal sampling budget (filled) and on total cost
 * (open). Samplers with ESS 0 sit at the axis floor with a label instead of vanishing from a log axis; flagged rows
 * (degenerate weights, mode mismatch, few transitions) are coloured and labelled.
 */
export function efficiencyFigure(results: Results): Figure | undefined {
  if (results.samplers.length === 0) return undefined;
  const positive = results.samplers.flatMap((s) => [s.essPerEnergyEvaluation, s.essPerTotalEnergyEvaluation ?? 0]).filter((v) => v > 0);
  const floor = positive.length > 0 ? 10 ** Math.floor(Math.log10(Math.min(...positive)) - 1) : 1e-6;
  const rows = results.samplers.flatMap((s) => {
    const status = essStatus(s);
    const label = status === 'ok' ? '' : status.replace(' (drawn at the axis floor)', '');
    return [
      { sampler: s.sampler, basis: 'sampling budget', v: s.essPerEnergyEvaluation > 0 ? s.essPerEnergyEvaluation : floor, status, label },
      ...(s.essPerTotalEnergyEvaluation !== undefined
        ? [{ sampler: s.sampler, basis: 'total cost', v: s.essPerTotalEnergyEvaluation > 0 ? s.essPerTotalEnergyEvaluation : floor, status, label: '' }]
        : []),
    ];
  });
  const y = { field: 'sampler', type: 'nominal', sort: results.samplers.map((s) => s.sampler), title: null };
  const color = {
    field: 'status',
    type: 'nominal',
    scale: {
      domain: ['ok', 'degenerate weights (Kish ESS < 50)', 'mode mismatch', 'few transitions (unreliable)', 'ESS 0 (drawn at the axis floor)'],
      range: ['#4c78a8', '#e45756', '#b279a2', '#f58518', '#7f7f7f'],
    },
    legend: { title: '● sampling budget, ◇ total cost', titleLimit: 400, orient: 'bottom', columns: 2, labelLimit: 400 },
  };
  const x = { field: 'v', type: 'quantitative', scale: { type: 'log', domainMin: floor }, title: 'ESS / energy evaluation' };
  return {
    id: 'efficiency',
    title: 'ESS per energy evaluation',
    caption: `Effective sample size of the reaction coordinate per energy evaluation (higher is better): filled at the equal sampling budget, open on total cost (setup included). Samplers with ESS 0 are drawn at the axis floor (${floor.toExponential(0)}); degenerate importance weights (Kish ESS < 50), mode mismatch and few transitions are coloured and labelled: their ESS is not trustworthy.`,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      width: 2 * WIDTH,
      height: { step: 24 },
      data: { values: rows },
      // Points, not bars: bars on a log axis have no baseline.
      layer: [
        ...(['sampling budget', 'total cost'] as const).map((basis) => ({
          transform: [{ filter: { field: 'basis', equal: basis } }],
          mark: {
            type: 'point' as const,
            size: 90,
            strokeWidth: 2,
            filled: basis === 'sampling budget',
            shape: basis === 'sampling budget' ? 'circle' : 'diamond',
          },
          encoding: { y, x, color },
        })),
        {
          mark: { type: 'text', align: 'left', dx: 8, fontSize: 10, color: '#b00' },
          encoding: { y, x, text: { field: 'label' } },
        },
      ],
    } as TopLevelSpec,
  };
}

/** The figures every experiment gets from the standard artifacts; missing data simply drops a figure. */
export function standardFigures(results: Results): Figure[] {
  return [efficiencyFigure, samplesFigure, profilesFigure, tracesFigure, autocorrelationFigure, trainingFigure]
    .map((f) => f(results))
    .filter((f): f is Figure => f !== undefined);
}
