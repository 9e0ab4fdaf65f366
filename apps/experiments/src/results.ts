import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { BoltzflowError } from '@boltzflow/core';
import { parseWith } from './config.js';

export const RESULTS_SCHEMA_VERSION = 1;
/** results.json may carry plot data; anything bigger than this is not one of ours. */
export const MAX_RESULTS_BYTES = 64 * 1024 * 1024;

const finite = z.number().refine(Number.isFinite, { message: 'a finite number' });
const nonNeg = z.number().min(0);

export const DeltaFSchema = z
  .object({
    /** Estimated ΔF in kT. */
    estimate: finite,
    /** Its standard error in kT (accounts for autocorrelation / importance weights). */
    stderr: nonNeg,
    /** Exact value where the experiment has one (quadrature). */
    reference: finite.optional(),
  })
  .strict();

export const SamplerResultSchema = z
  .object({
    sampler: z.string().min(1),
    description: z.string().optional(),
    /** Energy evaluations spent by sampling (gradients count as energy evaluations). */
    energyEvaluations: z.number().int().min(0),
    /** Energy evaluations spent before sampling (flow training, step-size scans); not part of the equal budget. */
    setupEnergyEvaluations: z.number().int().min(0).optional(),
    /** Setup plus sampling evaluations (excluding the generation of bundled or exact training data, see trainingData). */
    totalEnergyEvaluations: z.number().int().min(0).optional(),
    wallSeconds: nonNeg,
    /** wallSeconds plus the shared flow's training time (flow-based rows). */
    totalWallSeconds: nonNeg.optional(),
    /** Mean MH acceptance; null for samplers without a single acceptance (e.g. importance sampling). */
    acceptanceRate: z.number().min(0).max(1).nullable(),
    /** Committed crossings between the states that define ΔF (e.g. well switches of x₁), summed over chains; null for independent samples. */
    transitions: z.number().int().min(0).nullable(),
    /** Integrated autocorrelation time of the reaction coordinate, in energy evaluations; null when not estimable. */
    iact: z.number().positive().nullable(),
    ess: nonNeg,
    essPerEnergyEvaluation: nonNeg,
    essPerSecond: nonNeg,
    /** ESS per evaluation and per second on total cost (setup included). */
    essPerTotalEnergyEvaluation: nonNeg.optional(),
    essPerTotalSecond: nonNeg.optional(),
    /** Where the flow's training data came from; 'exact' and 'bundled' rows are oracles (never win on total cost). */
    trainingData: z.enum(['none', 'mcmc', 'exact', 'bundled']).optional(),
    /** few-transitions, short-chains, degenerate-weights, mode-mismatch, no-deltaF, oracle. */
    flags: z.array(z.string()).optional(),
    deltaF: DeltaFSchema.nullable(),
    /** Settings that the sampler ended up with (adapted step size, …). */
    settings: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])).optional(),
    notes: z.array(z.string()).optional(),
    /** Experiment-specific scalar metrics (log Z estimate and error, modes visited, …); null where not estimable. */
    metrics: z.record(z.string(), z.number().nullable()).optional(),
  })
  .strict();

export const BackendInfoSchema = z.object({
  requested: z.string(),
  active: z.string(),
  fallback: z.boolean(),
  reason: z.string().optional(),
  tfjsVersion: z.string(),
});

const numArray = z.array(finite);
const point = z.tuple([finite, finite]);

/** Data behind the figures; every field is optional so each experiment fills what it has. */
export const ArtifactsSchema = z
  .object({
    /** Energy on a grid for contour plots: values[j][i] = u(x[i], y[j]). */
    energyGrid: z
      .object({ x: numArray, y: numArray, values: z.array(z.array(z.number().nullable())), label: z.string().optional() })
      .strict()
      .optional(),
    samples: z.array(z.object({ sampler: z.string(), points: z.array(point) }).strict()).optional(),
    /** What the two columns of the sample points are (default x₁, x₂), e.g. energy and mean pair distance. */
    sampleAxes: z.tuple([z.string(), z.string()]).optional(),
    traces: z
      .array(z.object({ sampler: z.string(), coordinate: z.string(), evaluationsPerPoint: nonNeg, values: numArray }).strict())
      .optional(),
    autocorrelation: z
      .array(z.object({ sampler: z.string(), evaluationsPerLag: nonNeg, values: numArray }).strict())
      .optional(),
    profiles: z
      .object({
        coordinate: z.string(),
        exact: z.object({ x: numArray, f: numArray }).strict().optional(),
        samplers: z.array(z.object({ sampler: z.string(), x: numArray, f: z.array(z.number().nullable()) }).strict()),
      })
      .strict()
      .optional(),
    training: z
      .array(
        z
          .object({
            step: z.number().int().min(0),
            phase: z.string().optional(),
            loss: z.number().nullable(),
            essFraction: z.number().min(0).max(1).nullable().optional(),
          })
          .strict(),
      )
      .optional(),
    /** Experiment-specific data (GMM means, per-model NLLs, log-density grids, …), JSON only. */
    extra: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export const ResultsSchema = z
  .object({
    schemaVersion: z.literal(RESULTS_SCHEMA_VERSION),
    experiment: z.string().min(1),
    description: z.string().optional(),
    config: z.record(z.string(), z.unknown()),
    seed: z.number().int().min(0),
    quick: z.boolean(),
    backend: BackendInfoSchema,
    libraryVersion: z.string(),
    nodeVersion: z.string().optional(),
    startedAt: z.string(),
    wallSeconds: nonNeg,
    reference: z
      .object({ deltaF: finite.optional(), logZ: finite.optional(), method: z.string(), definition: z.string().optional() })
      .strict()
      .nullable(),
    samplers: z.array(SamplerResultSchema),
    /** Samplers the experiment would run but could not (e.g. a package not available yet), with why. */
    skipped: z.array(z.object({ sampler: z.string(), reason: z.string() }).strict()),
    training: z
      .object({
        steps: z.number().int().min(0),
        energyEvaluations: z.number().int().min(0),
        wallSeconds: nonNeg,
        finalLoss: z.number().nullable(),
        essFraction: z.number().min(0).max(1).nullable(),
        modeFractions: z.record(z.string(), z.number()).optional(),
      })
      .strict()
      .optional(),
    /** The comparison's answer on total and on sampling cost (see @boltzflow/samplers comparisonVerdicts). */
    verdict: z
      .array(
        z
          .object({
            basis: z.enum(['total', 'sampling']),
            best: z.string().nullable(),
            baseline: z.string().nullable(),
            ratio: finite.nullable(),
            ratioInterval: z.tuple([finite, finite]).nullable(),
            excluded: z.array(z.string()),
          })
          .strict(),
      )
      .optional(),
    artifacts: ArtifactsSchema,
  })
  .strict();

export type Results = z.infer<typeof ResultsSchema>;
export type SamplerResult = z.infer<typeof SamplerResultSchema>;
export type Artifacts = z.infer<typeof ArtifactsSchema>;

/** Writes a file atomically: temp file in the same directory, then rename (a crash never leaves a half-written file). */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  // A unique temp name per call: two writes of the same file in one millisecond must not share (and steal) a temp file.
  const tmp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  try {
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/** Validates and writes `results.json` into `dir`. */
export async function writeResults(dir: string, results: Results): Promise<string> {
  const checked = parseWith(ResultsSchema, results, '', 'results (internal error: the experiment produced an invalid result)');
  const file = path.join(dir, 'results.json');
  await writeFileAtomic(file, JSON.stringify(checked, null, 1) + '\n');
  return file;
}

/** Reads and validates `results.json` from a run directory. */
export async function readResults(dir: string): Promise<Results> {
  const file = path.join(dir, 'results.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new BoltzflowError('IO', `Cannot read ${file}: ${(e as Error).message}`);
  }
  if (text.length > MAX_RESULTS_BYTES) {
    throw new BoltzflowError('INVALID_CONFIG', `${file} is too large`, { expected: `at most ${MAX_RESULTS_BYTES} bytes`, received: `${text.length}` });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new BoltzflowError('INVALID_CONFIG', `${file} is not valid JSON: ${(e as Error).message}`);
  }
  return parseWith(ResultsSchema, json, '', file);
}
