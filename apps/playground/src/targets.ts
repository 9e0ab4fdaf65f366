/**
 * The playground's targets and how a page request becomes a run of the CLI's own experiment modules (double well,
 * Müller–Brown, GMM, many-well, or a formula through the CLI's 2D comparison). Browser- and Node-safe (no worker or
 * WASM-asset imports), so the e2e benchmark runs exactly the page's run in Node.
 * @module
 */
import { BoltzflowError, type Energy } from '@boltzflow/core';
import { DoubleWell, GaussianMixtureEnergy, MuellerBrown } from '@boltzflow/energies';
import { linspace, quadrature2D, round } from '@boltzflow/samplers';
import { z } from 'zod';
import { doubleWell, doubleWellCoefficients } from '../../experiments/src/experiments/doubleWell.js';
import { MuellerBrownParams, muellerBrown } from '../../experiments/src/experiments/muellerBrown.js';
import { Gmm40Params, gmm40 } from '../../experiments/src/experiments/gmm40.js';
import { manyWell32 } from '../../experiments/src/experiments/manyWell32.js';
import { comparisonFields, runComparison2D } from '../../experiments/src/experiments/comparison2d.js';
import type { Experiment, ExperimentContext, ExperimentOutput } from '../../experiments/src/experiments/types.js';
import { deepMerge } from '../../experiments/src/deepMerge.js';
import { FormulaEnergy } from './formula.js';

/** The targets the page offers. */
export type TargetName = 'double-well' | 'mueller-brown' | 'gmm' | 'many-well' | 'formula';

/** What the page asks for. */
export interface RunRequest {
  target: TargetName;
  /** Double-well preset. */
  preset: 'snf' | 'bg-paper';
  /** Many-well dimension (even). */
  dim: number;
  /** Custom energy in x1, x2 (target 'formula'; ΔF across x₁ = 0, exact by quadrature in the worker). */
  formula?: string;
  seed: number;
  samplers: string[];
  budget: number;
  chains: number;
  trainingSteps: number;
  /** Step size of plain RWM (rwm-scan with one value: no adaptation) — small on purpose to show it stuck in one well. */
  rwmStep: number;
}

/** What the page shows of the energy before any sampler runs: contours of u for the live scatter. */
export interface TargetView {
  grid: { x: number[]; y: number[]; values: (number | null)[][] };
  axes: [string, string];
}

/**
 * Playground sizes of the energy-only recipes' own training (their CLI defaults, e.g. FAB's 2000 AIS steps, take many
 * minutes in a browser); the flow sizes of the shared flow are the experiments' own.
 */
export const LIGHT_ENERGY_ONLY = {
  fab: { trainSteps: 60, batchSize: 64, intermediateDistributions: 4, leapfrogSteps: 3, layers: 4, hidden: 32 },
  globalLocal: { trainingLoops: 4, trainStepsPerLoop: 40 },
};

function sharedParams(req: RunRequest) {
  return {
    budget: req.budget,
    chains: req.chains,
    samplers: req.samplers,
    rwm: { scan: [req.rwmStep] },
    training: { steps: req.trainingSteps, batchSize: 128 },
    flow: { dataSamples: 1024 },
    plot: { samplesPerSampler: 400, tracePoints: 400, acfLags: 40 },
    ...LIGHT_ENERGY_ONLY,
  };
}

/** The experiment a request runs, with its parameters resolved as the CLI does (schema ← baseParams ← the page's values). */
export function resolveRun(req: RunRequest): {
  name: string;
  description: string;
  params: unknown;
  run: (ctx: ExperimentContext) => Promise<ExperimentOutput>;
} {
  const viaExperiment = <P>(e: Experiment<P>, over: Record<string, unknown>) => {
    const params = e.params.parse(deepMerge(e.baseParams ?? {}, over));
    return { name: e.name, description: e.description, params, run: (ctx: ExperimentContext) => e.run(params, ctx) };
  };
  switch (req.target) {
    case 'double-well':
      return viaExperiment(doubleWell, { energy: { preset: req.preset }, ...sharedParams(req) });
    case 'mueller-brown':
      return viaExperiment(muellerBrown, sharedParams(req));
    case 'gmm':
      return viaExperiment(gmm40, sharedParams(req));
    case 'many-well': {
      const s = sharedParams(req);
      return viaExperiment(manyWell32, {
        dim: req.dim,
        budget: s.budget,
        chains: s.chains,
        samplers: s.samplers,
        training: { samples: 2000, steps: req.trainingSteps, batchSize: 256 },
        plot: s.plot,
      });
    }
    case 'formula': {
      const formula = req.formula ?? '';
      const params = z.object(comparisonFields()).strict().parse(sharedParams(req));
      return { name: 'playground-formula', description: `custom energy u = ${formula}`, params, run: (ctx) => runFormula(formula, params, ctx) };
    }
  }
}

/** The energy and plot window of a target, for the contours under the live scatter (the experiments' own ranges). */
export function targetView(req: RunRequest): { energy: Energy; x: [number, number]; y: [number, number]; axes: [string, string] } {
  switch (req.target) {
    case 'double-well':
      return { energy: new DoubleWell(doubleWellCoefficients({ preset: req.preset })), x: [-3, 3], y: [-3.5, 3.5], axes: ['x₁', 'x₂'] };
    case 'mueller-brown':
      return { energy: new MuellerBrown(MuellerBrownParams.parse({}).energy), x: [-2, 1.4], y: [-0.8, 2.4], axes: ['x₁', 'x₂'] };
    case 'gmm': {
      const e = Gmm40Params.parse({}).energy;
      return { energy: GaussianMixtureEnergy.gmm40(e.meansSeed, { modes: e.modes, bound: e.bound }), x: [-45, 45], y: [-45, 45], axes: ['x₁', 'x₂'] };
    }
    case 'many-well':
      return { energy: new DoubleWell(), x: [-3, 3], y: [-3.5, 3.5], axes: ['x₁ (first well)', 'x₂ (first well)'] };
    case 'formula':
      return { energy: new FormulaEnergy(req.formula ?? ''), x: [-3, 3], y: [-3.5, 3.5], axes: ['x₁', 'x₂'] };
  }
}

/**
 * A formula energy through the CLI's 2D comparison, with the exact ΔF across x₁ = 0 by quadrature. Rejects (async, as
 * every run does) with a BoltzflowError('NON_FINITE') naming `formula` when that ΔF is not finite: exp(−u) without mass
 * on one side of x₁ = 0 on [−4, 4]², or u not finite on the grid.
 */
async function runFormula(formula: string, params: z.infer<z.ZodObject<ReturnType<typeof comparisonFields>>>, ctx: ExperimentContext) {
  const energy = new FormulaEnergy(formula);
  const range: [number, number] = [-2.75, 2.75];
  const q = quadrature2D(energy, [-4, 4], [-4, 4], 401, 0, 0, linspace(range[0], range[1], 111));
  if (!Number.isFinite(q.deltaF))
    throw new BoltzflowError('NON_FINITE', 'The exact ΔF of this energy is not finite', {
      argument: 'formula',
      expected: 'an energy u finite on [−4, 4]² with exp(−u) mass on both sides of x₁ = 0 (a finite ΔF by quadrature)',
      received: `${JSON.stringify(formula)}, whose ΔF by quadrature is ${q.deltaF}`,
    });
  const fMin = Math.min(...q.profile.f.filter(Number.isFinite));
  return runComparison2D(energy, params, ctx, {
    spec: { index: 0, name: 'x₁', threshold: 0, deadZone: 1, profileEdges: linspace(range[0], range[1], 45), profileMin: fMin, referenceDeltaF: q.deltaF },
    reference: { deltaF: q.deltaF, method: 'quadrature', definition: 'ΔF = F(x₁>0) − F(x₁<0) = −ln(P(x₁>0)/P(x₁<0)) in kT' },
    exactProfile: q.profile,
    exactModeFractions: { 'exact P(x₁>0)': round(q.pAbove, 6) },
    gridX: [-3, 3],
    gridY: [-3.5, 3.5],
    start: { center: [0, 0], scale: 1.5 },
  });
}
