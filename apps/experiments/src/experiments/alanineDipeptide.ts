import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { BoltzflowError, type Rng } from '@boltzflow/core';
import { dihedralBlock, InternalCoordinates } from '@boltzflow/bijectors';
import {
  ALANINE_DIPEPTIDE_PHI,
  ALANINE_DIPEPTIDE_PSI,
  alanineDipeptide as alanineDipeptideEnergy,
  type AlanineDipeptide as AlanineDipeptideEnergy,
} from '@boltzflow/energies';
import {
  collectArtifacts,
  compareSamplers,
  getRecipe,
  internalCoordinateFlow,
  linspace,
  recipeNames,
  flowImhRecipe,
  replicaExchangeRecipe,
  samplerStreams,
  trainFlow,
  type Draws,
  type FlowSetup,
  type SamplerOutcome,
  type SamplerTarget,
} from '@boltzflow/samplers';
import type { Artifacts } from '../results.js';
import {
  ALANINE_HEATMAP_BINS,
  alanineFigures,
  heavyAtomGraph,
  ramachandranGrid,
  referencePhiProfile,
  referencePsiProfile,
  samplerRamachandran,
  type ConformationGraph,
  type SamplerRamachandran,
} from './alanineFigures.js';
import { defineExperiment } from './types.js';
import { intParam, plotParams } from './common.js';

/** The report figures moved to alanineFigures.ts; re-exported for existing importers. */
export { ramachandranFigure, ramachandranGrid, referencePhiProfile } from './alanineFigures.js';

/** The bundled reference ensemble (apps/experiments/data/alanine-dipeptide-reference.json.gz, tools/molecules/alanine_reference.py). */
export interface AlanineReference {
  temperature: number;
  method: string;
  settings: Record<string, unknown>;
  cost: { wallSeconds: number; mdStepsAllReplicas: number; forceEvaluations: number; simulatedNsPerReplica: number };
  records: number;
  bins: number;
  /** `[bins][bins]` counts over (φ, ψ) ∈ [−π, π)², φ the row index. */
  histogram: number[][];
  phiPositiveFraction: number;
  phiPositiveFractionStderr: number;
  /** F(φ > 0) − F(φ < 0) in kT. */
  deltaF: number;
  deltaFStderr: number;
  convergence: { splitRhatBasinIndicator4Chunks: number; transitionsAt300K: number; transitionsPerWalker: number[]; swapAcceptance: number[] };
  /** Thinned (φ, ψ) pairs of the 300 K replica in milliradians. */
  sampleMilliradians: [number, number][];
}

/** Reads the bundled alanine-dipeptide reference (gzip JSON). */
export function loadAlanineReference(): AlanineReference {
  const url = new URL('../../data/alanine-dipeptide-reference.json.gz', import.meta.url);
  let text: string;
  try {
    text = gunzipSync(readFileSync(url)).toString('utf8');
  } catch (e) {
    throw new BoltzflowError('INVALID_CONFIG', `Cannot read the alanine-dipeptide reference: ${(e as Error).message}`, {
      argument: 'reference',
      expected: 'apps/experiments/data/alanine-dipeptide-reference.json.gz (tools/molecules/alanine_reference.py)',
      received: url.pathname,
    });
  }
  return JSON.parse(text) as AlanineReference;
}

/** Full conformations of the reference's 300 K replica (apps/experiments/data/alanine-dipeptide-conformations.json.gz). */
export interface AlanineConformations {
  method: string;
  settings: Record<string, unknown>;
  /** The run that produced them (the same replica-exchange run as the reference: its whole cost). */
  cost: { wallSeconds: number; mdStepsAllReplicas: number; forceEvaluations: number; simulatedNsPerReplica: number };
  deltaF: number;
  deltaFStderr: number;
  /** `[m][66]` positions in units of 1e-4 nm. */
  conformations: number[][];
}

/** Reads the bundled reference conformations (gzip JSON, tools/molecules/alanine_reference.py with a conformation file). */
export function loadAlanineConformations(): AlanineConformations {
  const url = new URL('../../data/alanine-dipeptide-conformations.json.gz', import.meta.url);
  let text: string;
  try {
    text = gunzipSync(readFileSync(url)).toString('utf8');
  } catch (e) {
    throw new BoltzflowError('INVALID_CONFIG', `Cannot read the alanine-dipeptide conformations: ${(e as Error).message}`, {
      argument: 'reference',
      expected: 'apps/experiments/data/alanine-dipeptide-conformations.json.gz (tools/molecules/alanine_reference.py)',
      received: url.pathname,
    });
  }
  return JSON.parse(text) as AlanineConformations;
}

/**
 * The two structures of the report's conformation figure as heavy-atom graphs (`heavyAtomGraph`): the minimised
 * structure (`energy.positions`, C7eq) and the lowest-energy φ > 0 (C7ax/αL) conformation of the bundled reference
 * conformations, with their φ and ψ.
 */
export function conformationGraphs(energy: AlanineDipeptideEnergy): ConformationGraph[] {
  const confs = loadAlanineConformations().conformations;
  const stacked = tf.tidy(() => {
    const x = tf.concat([tf.tensor2d(energy.positions, [1, energy.dim]), tf.mul(tf.tensor2d(confs), 1e-4) as tf.Tensor2D]);
    return tf.stack([energy.phi(x), energy.psi(x), energy.energy(x)]);
  });
  const values = stacked.dataSync();
  stacked.dispose();
  const m = confs.length + 1;
  const [phi, psi, u] = [0, 1, 2].map((k) => Float64Array.from(values.subarray(k * m, (k + 1) * m)));
  let best = -1;
  for (let i = 1; i < u.length; i++) if (phi[i] > 0 && (best < 0 || u[i] < u[best])) best = i;
  const graphs = [heavyAtomGraph(energy.system, energy.positions, 'minimised structure (C7eq)', { phi: phi[0], psi: psi[0] })];
  if (best > 0)
    graphs.push(
      heavyAtomGraph(
        energy.system,
        confs[best - 1].map((v) => v * 1e-4),
        'reference conformation, φ > 0 (C7ax/αL)',
        { phi: phi[best], psi: psi[best] },
      ),
    );
  return graphs;
}

/**
 * Random-torsion starting points on frame coordinates: the reference structure's internal coordinates
 * (`ic.inverse(ic.toFrame(reference))`) with the given dihedrals (atom quartets i-j-k-l) set uniformly at random in
 * (−π, π] by `dihedralBlock` (each branch turned rigidly about its j–k bond, bonds and angles kept), after every
 * Z-matrix torsion has been drawn uniformly (`all`). Returns a sampler of `[n, 3N − 6]` frame rows.
 */
export function randomTorsionStarts(
  ic: InternalCoordinates,
  reference: tf.Tensor2D,
  dihedrals: readonly (readonly [number, number, number, number])[],
  options: { all?: boolean } = {},
): (n: number, rng: Rng) => tf.Tensor2D {
  const block = dihedralBlock(ic, dihedrals);
  const internal = tf.tidy(() => ic.inverse(ic.toFrame(reference)).x);
  const ref = Float32Array.from(internal.dataSync());
  internal.dispose();
  const [t0] = ic.torsionColumns;
  return (n, rng) => {
    const rows = new Float32Array(n * ic.dim);
    const target = new Float32Array(n * block.dim);
    for (let c = 0; c < n; c++) {
      rows.set(ref, c * ic.dim);
      if (options.all) for (let t = t0; t < ic.dim; t++) rows[c * ic.dim + t] = 2 * Math.PI * rng.nextUniform() - Math.PI;
      for (let d = 0; d < block.dim; d++) target[c * block.dim + d] = 2 * Math.PI * rng.nextUniform() - Math.PI;
    }
    return tf.tidy(() => block.write(ic.forward(tf.tensor2d(rows, [n, ic.dim])).y, tf.tensor2d(target, [n, block.dim])));
  };
}

export const AlanineParams = z
  .object({
    /** Energy evaluations per sampler (gradients count as evaluations), all chains together. */
    budget: intParam(100, 100_000_000, 200_000),
    chains: intParam(1, 1024, 32),
    temperature: z.number().positive().default(300),
    samplers: z
      .array(z.enum(recipeNames() as [string, ...string[]]))
      .min(1)
      .default(['mala', 'hmc', 'replica-exchange', 'block-mc', 'flow-is', 'flow-imh', 'flowmc', 'block-flowmc']),
    mala: z
      .object({ targetAcceptance: z.number().gt(0).lt(1).default(0.57), initialStepSize: z.number().positive().default(0.002) })
      .strict()
      .prefault({}),
    hmc: z
      .object({ leapfrogSteps: intParam(1, 1000, 10), targetAcceptance: z.number().gt(0).lt(1).default(0.65) })
      .strict()
      .prefault({}),
    replicaExchange: replicaExchangeRecipe.schema.prefault({ temperatures: [1, 1.6, 2.6, 4.2], stepSize: 0.0006 }),
    /** flow-imh on frame coordinates: its local random-walk step in nm (the recipe's default 0.5 is for unit-scale toys). */
    flowImh: flowImhRecipe.schema.prefault({ localStepSize: 0.0005 }),
    /**
     * The Boltzmann generator on internal coordinates (`internalCoordinateFlow`): spline couplings (circular on
     * torsions) over a normal × von Mises base. flow-is / flow-imh (and the other shared-flow recipes) use it trained by
     * maximum likelihood on the bundled reference conformations (oracle; the reference run's force evaluations count
     * as its setup); flowmc, bg-loop, fab-is, fab-imh, ta-is train the same architecture from the energy alone.
     */
    flow: z
      .object({
        layers: intParam(1, 32, 4),
        hidden: intParam(2, 1024, 64),
        bins: intParam(2, 64, 8),
        steps: intParam(1, 1_000_000, 600),
        batchSize: intParam(8, 65_536, 256),
        learningRate: z.number().positive().max(1).default(1e-3),
        /** Use at most this many bundled conformations (evenly spaced); default all. */
        conformations: intParam(2, 1_000_000, 1_000_000),
        /** Cap of the torsions' von Mises base concentration (oracle: from the data). */
        maxConcentration: z.number().min(0).default(200),
      })
      .strict()
      .prefault({}),
    /** flowmc / bg-loop (energy only, flow on internal coordinates): the global–local recipe's parameters; layers/hidden from `flow`. */
    globalLocal: z
      .object({
        /** MALA time step τ on frame coordinates (nm², noise √(2τ)): 1.5e-6 accepts ≈ 0.5 at the minimum. */
        localStepSize: z.number().positive().default(1.5e-6),
        localSteps: intParam(1, 10_000, 50),
        globalSteps: intParam(1, 10_000, 20),
        trainingLoops: intParam(1, 1000, 10),
        trainStepsPerLoop: intParam(1, 100_000, 60),
        learningRate: z.number().positive().max(1).default(1e-3),
        /** Cap of the torsions' base concentration of the energy-only flow (placed by the chains' start). */
        maxConcentration: z.number().min(0).default(20),
        /**
         * Where the chains start: 'overdispersed' (default): the minimised structure with φ and ψ drawn uniformly
         * (`torsions: 'all'`: every torsion), relaxed by `relaxSteps` capped steepest-descent steps (≤ `relaxMaxStep`
         * nm per coordinate) and `burnInSteps` MALA steps, all counted as setup; the energy-only flow is placed by these
         * draws. 'target': the Cartesian rows' start (minimised + `startNoise`).
         */
        start: z.enum(['target', 'overdispersed']).default('overdispersed'),
        torsions: z.enum(['backbone', 'all']).default('backbone'),
        relaxSteps: intParam(0, 100_000, 200),
        relaxMaxStep: z.number().positive().default(0.002),
        burnInSteps: intParam(0, 100_000, 200),
      })
      .strict()
      .prefault({}),
    /**
     * block-flowmc / block-mc (energy only): MALA on the 60 frame coordinates plus moves that redraw the backbone
     * torsions (φ, ψ) with the rest of the molecule kept (`dihedralBlock`: the branches turn rigidly about the N–CA and
     * CA–C bonds), from a torus flow fit to the chains (block-flowmc) or uniformly (block-mc). Chains start as
     * flowmc's (`globalLocal.start` …); the MALA step is `globalLocal.localStepSize`.
     */
    torsionMoves: z
      .object({
        localSteps: intParam(1, 10_000, 20),
        globalSteps: intParam(1, 10_000, 20),
        trainingLoops: intParam(1, 1000, 10),
        trainStepsPerLoop: intParam(1, 100_000, 100),
        learningRate: z.number().positive().max(1).default(2e-3),
        layers: intParam(1, 32, 4),
        hidden: intParam(2, 1024, 32),
        bins: intParam(2, 64, 8),
      })
      .strict()
      .prefault({}),
    /** fab-is / fab-imh (energy only): the FAB recipe's parameters (layers/hidden from `flow`). */
    fab: z.record(z.string(), z.unknown()).default({}),
    /** ta-is (energy only): the temperature-annealed recipe's parameters (layers/hidden from `flow`; TA-BG's own system). */
    ta: z.record(z.string(), z.unknown()).default({}),
    /** Chains start at the minimised structure plus N(0, startNoise²) nm per coordinate. */
    startNoise: z.number().min(0).default(0.002),
    plot: plotParams(),
  })
  .strict();
export type AlanineParamsT = z.infer<typeof AlanineParams>;

const STREAMS = ['mala', 'hmc', 'replica-exchange', 'flow'];

/** Recipes that train their own flow from the energy alone; with the shared-flow recipes they run on internal coordinates. */
const OWN_FLOW = new Set(['flowmc', 'bg-loop', 'fab-is', 'fab-imh', 'ta-is', 'block-flowmc']);
/** Recipes whose global moves redraw the backbone torsions (φ, ψ) on frame coordinates. */
const TORSION_MOVES = new Set(['block-flowmc', 'block-mc']);

/** Whether a recipe samples through a flow (and so runs on frame coordinates with the internal-coordinate flow). */
export function usesFlow(name: string): boolean {
  return OWN_FLOW.has(name) || TORSION_MOVES.has(name) || getRecipe(name).needsFlow;
}

/**
 * Alanine dipeptide (ACE-ALA-NME, Amber ff99SB-ILDN, vacuum, 300 K): MCMC samplers on the 66 Cartesian coordinates and
 * flow-based samplers on the 60 frame coordinates (`InternalCoordinates`, target `ic.frameEnergy(u)`, flow
 * `internalCoordinateFlow`) at an equal energy-evaluation budget; the metrics read φ (ΔF = F(φ > 0) − F(φ < 0),
 * transitions in φ), the sample plot shows (φ, ψ) — the Ramachandran plane — against the bundled replica-exchange MD
 * reference. Flow rows trained on the bundled MD conformations are oracles whose setup counts that run's force
 * evaluations.
 */
export const alanineDipeptideExperiment = defineExperiment<AlanineParamsT>({
  name: 'alanine-dipeptide',
  description:
    'Alanine dipeptide (22 atoms, Amber ff99SB-ILDN, vacuum, 300 K): MALA, HMC and replica exchange on Cartesian coordinates; a Boltzmann generator on internal coordinates (circular splines on torsions) trained by ML on the MD reference (oracle) or from the energy alone (flowmc); torsion moves of (φ, ψ) with the rest kept, uniform (block-mc) or from a torus flow trained from the energy alone (block-flowmc); Ramachandran (φ, ψ) samples and ΔF = F(φ>0) − F(φ<0) against a replica-exchange MD reference',
  params: AlanineParams as z.ZodType<AlanineParamsT>,
  quickParams: {
    budget: 20_000,
    chains: 16,
    flow: { layers: 2, hidden: 32, steps: 60, batchSize: 128 },
    globalLocal: { localSteps: 20, globalSteps: 10, trainingLoops: 3, trainStepsPerLoop: 20 },
    torsionMoves: { trainingLoops: 5, trainStepsPerLoop: 50 },
    plot: { samplesPerSampler: 300, tracePoints: 400, acfLags: 60 },
  },
  tinyParams: {
    budget: 400,
    chains: 4,
    hmc: { leapfrogSteps: 2 },
    flow: { layers: 2, hidden: 8, steps: 3, batchSize: 32, conformations: 200 },
    globalLocal: { localSteps: 4, globalSteps: 4, trainingLoops: 1, trainStepsPerLoop: 2, relaxSteps: 3, burnInSteps: 2 },
    torsionMoves: { localSteps: 4, globalSteps: 4, trainingLoops: 1, trainStepsPerLoop: 2, layers: 2, hidden: 8 },
    plot: { samplesPerSampler: 20, tracePoints: 20, acfLags: 5 },
  },
  figures: alanineFigures,
  async run(params, ctx) {
    const ref = loadAlanineReference();
    const energy = alanineDipeptideEnergy({ temperature: params.temperature });
    const ic = new InternalCoordinates({ atoms: energy.dim / 3, bonds: energy.system.bonds.map((b) => b.atoms) });
    const frameEnergy = ic.frameEnergy(energy);
    const refDeltaF = params.temperature === ref.temperature ? ref.deltaF : undefined;
    ctx.progress.log(
      `reference ΔF = ${ref.deltaF.toFixed(3)} ± ${ref.deltaFStderr.toFixed(3)} kT (${ref.method}, ${ref.records} records, ${ref.cost.simulatedNsPerReplica} ns per replica)`,
    );
    const start = tf.tensor2d(energy.positions, [1, energy.dim]);
    // Draws [kept, chains, 66] → [kept, chains, 2] = (φ, ψ) in rad: the Ramachandran plane the metrics and plots read.
    // Frame draws [kept, chains, 60] are first placed back into Cartesian coordinates.
    // Each sampler's projection is kept (by its raw draws) for the Ramachandran heatmaps and F(ψ) after the comparison.
    const projected = new WeakMap<Draws, Draws>();
    const project =
      (frame: boolean) =>
      (d: Draws): Draws => {
        const seen = projected.get(d);
        if (seen) return seen;
        const [k, c, dim] = d.shape;
        const data = tf.tidy(() => {
          const raw = tf.tensor2d(d.data, [k * c, dim]);
          const x = frame ? ic.fromFrame(raw) : raw;
          return tf.stack([energy.phi(x), energy.psi(x)], 1);
        });
        const out = data.dataSync() as Float32Array;
        data.dispose();
        const p: Draws = { data: Float32Array.from(out), shape: [k, c, 2] };
        projected.set(d, p);
        return p;
      };
    const streams = samplerStreams(ctx.rng, STREAMS);
    const gl = params.globalLocal;
    // Where the adaptive loops' chains start and their MALA step: shared by flowmc, bg-loop and the torsion-move rows.
    const chainStart = {
      localStepSize: gl.localStepSize,
      start: gl.start,
      relaxSteps: gl.relaxSteps,
      relaxMaxStep: gl.relaxMaxStep,
      burnInSteps: gl.burnInSteps,
    };
    const perRecipe: Record<string, unknown> = {
      mala: params.mala,
      hmc: params.hmc,
      'replica-exchange': params.replicaExchange,
      'flow-imh': params.flowImh,
      flowmc: {
        ...chainStart,
        localSteps: gl.localSteps,
        globalSteps: gl.globalSteps,
        trainingLoops: gl.trainingLoops,
        trainStepsPerLoop: gl.trainStepsPerLoop,
        learningRate: gl.learningRate,
        layers: params.flow.layers,
        hidden: params.flow.hidden,
      },
      'fab-is': { layers: params.flow.layers, hidden: params.flow.hidden, ...params.fab },
      'fab-imh': { layers: params.flow.layers, hidden: params.flow.hidden, ...params.fab },
      'ta-is': { layers: params.flow.layers, hidden: params.flow.hidden, ...params.ta },
    };
    perRecipe['bg-loop'] = perRecipe.flowmc;
    perRecipe['block-flowmc'] = { ...chainStart, ...params.torsionMoves };
    perRecipe['block-mc'] = perRecipe['block-flowmc'];
    const profile = referencePhiProfile(ref);
    const artifacts: Artifacts = {
      sampleAxes: ['φ (rad)', 'ψ (rad)'],
      profiles: { coordinate: 'φ', exact: profile, exactSource: 'OpenMM replica-exchange reference (data/alanine-dipeptide-reference.json.gz)', samplers: [] },
      extra: {
        ramachandran: ramachandranGrid(ref),
        psiProfile: { exact: referencePsiProfile(ref), exactSource: 'OpenMM replica-exchange reference (data/alanine-dipeptide-reference.json.gz)' },
        conformations: conformationGraphs(energy),
      },
    };
    const perSampler: SamplerRamachandran[] = [];
    const names = [...new Set(params.samplers)];
    const budget = { evaluations: params.budget, chains: params.chains, warmup: Math.max(20, Math.round(params.budget / params.chains / 10)) };
    const spec = {
      index: 0,
      name: 'φ',
      threshold: 0,
      deadZone: 0.5,
      profileEdges: linspace(-Math.PI, Math.PI, 37),
      ...(refDeltaF !== undefined ? { referenceDeltaF: refDeltaF } : {}),
    };
    const startCartesian = (n: number, rng: Rng): tf.Tensor2D =>
      tf.tidy(() => tf.add(start, tf.mul(rng.normal([n, energy.dim]), params.startNoise)) as tf.Tensor2D);
    const startFrame = (n: number, rng: Rng): tf.Tensor2D => tf.tidy(() => ic.toFrame(startCartesian(n, rng)));
    // Overdispersed starts of the adaptive loop: random backbone (or all) torsions of the minimised structure.
    const randomStart = randomTorsionStarts(ic, start, [ALANINE_DIPEPTIDE_PHI, ALANINE_DIPEPTIDE_PSI], { all: gl.torsions === 'all' });
    // φ and ψ as a block of frame coordinates that torsion moves redraw (the rest of the molecule kept).
    const backbone = dihedralBlock(ic, [ALANINE_DIPEPTIDE_PHI, ALANINE_DIPEPTIDE_PSI]);
    // The energy-only flows are placed by where the chains start (the minimised structure or its random-torsion
    // draws), nothing else.
    const energyOnlyFlow: SamplerTarget['flow'] = (arch, rng) => {
      const data = (gl.start === 'overdispersed' ? randomStart : startFrame)(Math.max(64, params.chains), rng.fork());
      try {
        return internalCoordinateFlow({
          ic,
          data,
          layers: arch.layers,
          hidden: arch.hidden,
          bins: params.flow.bins,
          maxConcentration: gl.maxConcentration,
          rng,
        });
      } finally {
        data.dispose();
      }
    };
    // The oracle flow: maximum likelihood on the bundled reference conformations.
    let conformationCost = 0;
    const oracleFlow = async (): Promise<FlowSetup> => {
      const confs = loadAlanineConformations();
      const all = confs.conformations;
      const m = Math.min(all.length, params.flow.conformations);
      const rows = Array.from({ length: m }, (_, i) => all[Math.floor((i * all.length) / m)]!);
      const frames = tf.tidy(() => ic.toFrame(tf.mul(tf.tensor2d(rows), 1e-4) as tf.Tensor2D));
      conformationCost = confs.cost.forceEvaluations;
      const rng = streams('flow');
      const flow = internalCoordinateFlow({
        ic,
        data: frames,
        layers: params.flow.layers,
        hidden: params.flow.hidden,
        bins: params.flow.bins,
        maxConcentration: params.flow.maxConcentration,
        rng: rng.fork(),
      });
      try {
        const o = params.flow;
        const t = await trainFlow(
          flow,
          frames,
          undefined,
          { steps: o.steps, batchSize: o.batchSize, learningRate: o.learningRate, klWeight: 0 },
          rng,
          ctx,
          'ML on the bundled MD conformations',
        );
        ctx.progress.log(
          `  oracle flow: ${m} conformations, ${t.training.steps} ML steps, final NLL ${t.training.finalLoss?.toFixed(2)}, ${t.training.wallSeconds.toFixed(0)} s`,
        );
      } finally {
        frames.dispose();
      }
      return { flow, setupEnergyEvaluations: conformationCost, trainingData: 'bundled', dispose: () => flow.dispose() };
    };
    const outcomes: SamplerOutcome[] = [];
    try {
      const groups: { names: string[]; energy: typeof frameEnergy; frame: boolean }[] = [
        { names: names.filter((n) => !usesFlow(n)), energy, frame: false },
        { names: names.filter(usesFlow), energy: frameEnergy, frame: true },
      ];
      for (const g of groups) {
        if (g.names.length === 0) continue;
        outcomes.push(
          ...(await compareSamplers(
            g.energy,
            g.names.map((name) => ({ name, params: perRecipe[name] })),
            {
              budget,
              streams,
              target: {
                spec,
                plot: params.plot,
                project: project(g.frame),
                start: g.frame ? startFrame : startCartesian,
                ...(g.frame ? { overdispersedStart: randomStart } : {}),
                ...(g.frame ? { flow: energyOnlyFlow, block: backbone } : {}),
              },
              ...(g.frame ? { flow: oracleFlow } : {}),
              progress: ctx.progress,
            },
          )),
        );
      }
      for (const o of outcomes) {
        const r = o.result;
        if (r.trainingData === 'bundled') {
          // The oracle's setup already counts the reference run (FlowSetup.setupEnergyEvaluations): say so instead of the
          // generic oracle note.
          r.notes = (r.notes ?? []).filter((n) => !n.startsWith('Oracle row:'));
          r.notes.push(
            `Oracle row: the flow (internal coordinates, ${params.flow.layers} circular/ordinary spline couplings × ${params.flow.hidden} hidden, ${params.flow.steps} ML steps) was trained on the bundled replica-exchange MD conformations; the ${conformationCost.toExponential(2)} force evaluations of that run are counted in its setup.`,
          );
        } else if (TORSION_MOVES.has(r.sampler)) {
          (r.notes ??= []).push(
            'Torsion moves on frame coordinates: φ and ψ redrawn by turning the branches about the N–CA and CA–C bonds (bonds and angles kept; a shear in internal coordinates, so the plain energy ratio decides), alternating with MALA on all 60 coordinates; from the energy alone.',
          );
        } else if (OWN_FLOW.has(r.sampler)) {
          (r.notes ??= []).push(
            'Flow on internal coordinates (circular splines on torsions, von Mises base placed by the chains’ start), trained from the energy alone; target u(x) − log(rigid-body volume) on frame coordinates.',
          );
        }
        collectArtifacts(artifacts, o);
        const p = o.draws && projected.get(o.draws);
        try {
          if (p) perSampler.push(samplerRamachandran(r.sampler, p, o.logWeights));
        } catch (e) {
          // No draws, or no weight inside the plane: the row's heatmap and F(ψ) are left out, the run goes on.
          ctx.progress.log(`  ${r.sampler}: no Ramachandran heatmap (${(e as Error).message})`);
        }
        const d = r.deltaF;
        ctx.progress.log(
          `  ${r.sampler}: ESS ${r.ess.toFixed(1)}, transitions ${r.transitions ?? 'n/a'}, ΔF ${d ? `${d.estimate.toFixed(3)} ± ${d.stderr.toFixed(3)}` : 'n/a'}, total evaluations ${r.totalEnergyEvaluations}`,
        );
      }
      const order = new Map(names.map((n, i) => [n, i]));
      outcomes.sort((a, b) => order.get(a.result.sampler)! - order.get(b.result.sampler)!);
      perSampler.sort((a, b) => order.get(a.sampler)! - order.get(b.sampler)!);
      artifacts.extra!.ramachandranDraws = { reference: ramachandranGrid(ref, ALANINE_HEATMAP_BINS), samplers: perSampler };
      return {
        reference: {
          ...(refDeltaF !== undefined ? { deltaF: refDeltaF, deltaFStderr: ref.deltaFStderr } : {}),
          method: `${ref.method}, ${ref.settings.temperatures ? `T = ${(ref.settings.temperatures as number[]).join(', ')} K, ` : ''}${ref.cost.simulatedNsPerReplica} ns per replica, ±${ref.deltaFStderr.toFixed(2)} kT (block stderr)`,
          definition: 'ΔF = F(φ>0) − F(φ<0) = −ln(P(φ>0)/P(φ<0)) in kT at 300 K (C7ax/αL vs C7eq/β/αR basins)',
        },
        samplers: outcomes.map((o) => o.result),
        skipped: [],
        artifacts,
      };
    } finally {
      start.dispose();
      energy.dispose();
      ic.dispose();
    }
  },
});
