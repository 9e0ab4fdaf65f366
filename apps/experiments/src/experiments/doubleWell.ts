import { z } from 'zod';
import { DoubleWell } from '@boltzflow/energies';
import { defineExperiment } from './types.js';
import { linspace, round } from '@boltzflow/samplers';
import { comparisonFields, DEFAULT_2D_SAMPLERS, ENERGY_ONLY_SAMPLERS, runComparison2D } from './comparison2d.js';

export const DoubleWellParams = z
  .object({
    /**
     * u(x) = a·x₁ + b·x₁² + c·x₁⁴ + ½·d·x₂². `preset` picks the coefficients ('snf', the default: a = −0.5, b = −6,
     * c = 1, d = 1; 'bg-paper': the Boltzmann-generator paper's a = +1); letters given explicitly override the preset.
     */
    energy: z
      .object({
        preset: z.enum(['snf', 'bg-paper']).default('snf'),
        a: z.number().optional(),
        b: z.number().optional(),
        c: z.number().positive().optional(),
        d: z.number().positive().optional(),
      })
      .strict()
      .prefault({}),
    ...comparisonFields([...DEFAULT_2D_SAMPLERS, ...ENERGY_ONLY_SAMPLERS]),
  })
  .strict();

export type DoubleWellParamsT = z.infer<typeof DoubleWellParams>;

/** The coefficients of the double-well presets (see the apps README). */
export const DOUBLE_WELL_PRESETS = {
  snf: { a: -0.5, b: -6, c: 1, d: 1 },
  'bg-paper': { a: 1, b: -6, c: 1, d: 1 },
} as const;

/** The coefficients actually run: the preset's, overridden by any letter given. */
export function doubleWellCoefficients(e: DoubleWellParamsT['energy']): { a: number; b: number; c: number; d: number } {
  const p = DOUBLE_WELL_PRESETS[e.preset];
  return { a: e.a ?? p.a, b: e.b ?? p.b, c: e.c ?? p.c, d: e.d ?? p.d };
}

function term(coef: number, monomial: string, first: boolean): string {
  if (coef === 0) return '';
  const sign = coef < 0 ? (first ? '−' : ' − ') : first ? '' : ' + ';
  const m = Math.abs(coef);
  const num = m === 1 && monomial ? '' : String(m);
  return `${sign}${num}${monomial}`;
}

/** u(x) written out from the coefficients run, e.g. `x₁⁴ − 6x₁² − 0.5x₁ + ½x₂²`. */
export function doubleWellFormula(k: { a: number; b: number; c: number; d: number }): string {
  const half = k.d === 1 ? '½x₂²' : `½·${k.d}x₂²`;
  const parts = [term(k.c, 'x₁⁴', true)];
  parts.push(term(k.b, 'x₁²', parts.join('') === ''));
  parts.push(term(k.a, 'x₁', parts.join('') === ''));
  const body = parts.join('');
  return `${body}${body ? ' + ' : ''}${half}`;
}

const PROFILE_RANGE: [number, number] = [-2.75, 2.75];

export const doubleWell = defineExperiment<DoubleWellParamsT>({
  name: 'double-well',
  description:
    '2D double well u = a·x₁ + b·x₁² + c·x₁⁴ + ½·d·x₂² (preset snf: x₁⁴ − 6x₁² − 0.5x₁ + ½x₂²; bg-paper: + x₁): MCMC vs flow-assisted samplers at equal energy-evaluation budget, ΔF against quadrature',
  params: DoubleWellParams as z.ZodType<DoubleWellParamsT>,
  quickParams: {
    budget: 24_000,
    chains: 16,
    training: { steps: 80, batchSize: 128 },
    flow: { dataSamples: 2048 },
    // the SNF's end-to-end training (path KL + ML, 20 Metropolis steps × 3 blocks per path) is the slow part of a quick run
    snf: { trainSteps: 60 },
    // FAB's AIS costs ~4 s per step on 2 cores (wasm): quick runs keep the adaptive-loop rows and leave fab-is/fab-imh
    // to full runs (and the tiny smoke run).
    samplers: [...DEFAULT_2D_SAMPLERS, 'flowmc', 'bg-loop'],
    globalLocal: { trainingLoops: 4, trainStepsPerLoop: 50 },
    plot: { samplesPerSampler: 300, tracePoints: 400, acfLags: 60 },
  },
  tinyParams: {
    budget: 1_000,
    chains: 4,
    rwm: { scan: [0.5, 1] },
    flow: { layers: 2, hidden: 4, dataSamples: 64 },
    training: { steps: 3, batchSize: 16 },
    snf: { metropolisSteps: 2, trainSteps: 2, trainBatchSize: 8 },
    samplers: [...DEFAULT_2D_SAMPLERS, ...ENERGY_ONLY_SAMPLERS],
    fab: { trainSteps: 4, batchSize: 16, intermediateDistributions: 2, leapfrogSteps: 2, layers: 2, hidden: 4 },
    globalLocal: { localSteps: 5, globalSteps: 2, trainingLoops: 2, trainStepsPerLoop: 2, layers: 2, hidden: 4 },
    plot: { samplesPerSampler: 20, tracePoints: 20, acfLags: 5 },
  },
  async run(params, ctx) {
    const coefficients = doubleWellCoefficients(params.energy);
    const energy = new DoubleWell(coefficients);
    const exactDeltaF = energy.deltaF();
    const exact = energy.freeEnergyProfile(linspace(PROFILE_RANGE[0], PROFILE_RANGE[1], 111));
    ctx.progress.log(`exact ΔF = ${exactDeltaF.toFixed(4)} kT (quadrature)`);
    const out = await runComparison2D(energy, params, ctx, {
      spec: {
        index: 0,
        name: 'x₁',
        threshold: 0,
        deadZone: 1,
        profileEdges: linspace(PROFILE_RANGE[0], PROFILE_RANGE[1], 45),
        profileMin: Math.min(...exact.f),
        referenceDeltaF: exactDeltaF,
      },
      reference: { deltaF: exactDeltaF, method: 'quadrature', definition: 'ΔF = F(x₁>0) − F(x₁<0) = −ln(P(x₁>0)/P(x₁<0)) in kT' },
      exactProfile: { x: Array.from(exact.x), f: Array.from(exact.f) },
      exactModeFractions: { 'exact P(x₁>0)': round(energy.probabilityPositive(), 6) },
      basins: 2,
      gridX: [-3, 3],
      gridY: [-3.5, 3.5],
      start: { center: [0, 0], scale: 1.5 },
    });
    return {
      ...out,
      description: `2D double well u = ${doubleWellFormula(coefficients)} (preset ${params.energy.preset}${Object.keys(params.energy).some((k) => k.length === 1) ? ', with overrides' : ''}): MCMC vs flow-assisted samplers at equal energy-evaluation budget, ΔF against quadrature`,
    };
  },
});
