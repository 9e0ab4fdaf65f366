import { mkdir, readdir, readFile, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { BoltzflowError, TMP_PREFIX, writeFileAtomic as coreWriteFileAtomic } from '@boltzflow/core';
import { processAlive } from '@boltzflow/training';
import { parseWith } from './config.js';

import { RESULTS_SCHEMA_VERSION } from './resultsFromOutput.js';

export { RESULTS_SCHEMA_VERSION };
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
  /** WebGPU only: the adapter Dawn picked (lavapipe is a CPU driver, not a GPU). */
  adapter: z.string().optional(),
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
    traces: z.array(z.object({ sampler: z.string(), coordinate: z.string(), evaluationsPerPoint: nonNeg, values: numArray }).strict()).optional(),
    autocorrelation: z.array(z.object({ sampler: z.string(), evaluationsPerLag: nonNeg, values: numArray }).strict()).optional(),
    profiles: z
      .object({
        coordinate: z.string(),
        exact: z.object({ x: numArray, f: numArray }).strict().optional(),
        /** Where the reference profile comes from, for the caption; absent means exact quadrature. */
        exactSource: z.string().optional(),
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
    /**
     * The comparison's reference: exact (quadrature) when it has no `deltaFStderr`; a reference estimate (e.g. long
     * MD) with that standard error in kT otherwise.
     */
    reference: z
      .object({ deltaF: finite.optional(), deltaFStderr: nonNeg.optional(), logZ: finite.optional(), method: z.string(), definition: z.string().optional() })
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
        /** Mode-collapse warnings (reverse-KL-only training on a multi-basin target; high ESS with a mode missing). */
        warnings: z.array(z.string()).optional(),
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

/** Temp files and staging directories of the app start with this, followed by the writer's pid. */
export { TMP_PREFIX };
/** Written first into a run directory and removed last: `boltzflow report` refuses a directory that holds it. */
export const INCOMPLETE_MARKER = 'INCOMPLETE';

/** The pid in a name `${TMP_PREFIX}<pid>-…`, or undefined for other names. */
function tmpOwner(name: string): number | undefined {
  const m = /^\.boltzflow-tmp-(\d+)-/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** Names in `dir` left by a writer that no longer runs (a killed run's temp files or staging directories). */
export async function orphansIn(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => {
    const pid = tmpOwner(n);
    return pid !== undefined && pid !== process.pid && !processAlive(pid);
  });
}

/**
 * Writes a file atomically (core's `writeFileAtomic`: temp sibling, fsync, rename), creating its directory and first
 * sweeping temp files of writers that no longer run; those of live ones (this process included) are theirs.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  for (const orphan of await orphansIn(path.dirname(file))) await unlink(path.join(path.dirname(file), orphan)).catch(() => undefined);
  await coreWriteFileAtomic(file, data);
}

/** Validates and writes `results.json` into `dir`. */
export async function writeResults(dir: string, results: Results): Promise<string> {
  const checked = parseWith(ResultsSchema, results, '', 'results (internal error: the experiment produced an invalid result)');
  const file = path.join(dir, 'results.json');
  await writeFileAtomic(file, `${JSON.stringify(checked, null, 1)}\n`);
  return file;
}

/** Reads and validates `results.json` from a run directory. */
export async function readResults(dir: string): Promise<Results> {
  const file = path.join(dir, 'results.json');
  let text: string;
  try {
    // Size first: a huge file must be refused before it is read into memory.
    const st = await stat(file);
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > MAX_RESULTS_BYTES) {
      throw new BoltzflowError('INVALID_CONFIG', `${file} is too large`, {
        argument: 'results.json',
        expected: `at most ${MAX_RESULTS_BYTES} bytes`,
        received: `${st.size} bytes`,
      });
    }
    text = await readFile(file, 'utf8');
  } catch (e) {
    if (e instanceof BoltzflowError) throw e;
    throw new BoltzflowError('IO', `Cannot read ${file}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new BoltzflowError('INVALID_CONFIG', `${file} is not valid JSON: ${(e as Error).message}`);
  }
  return parseWith(ResultsSchema, json, '', file);
}
