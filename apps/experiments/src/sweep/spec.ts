import { createHash } from 'node:crypto';
import { z } from 'zod';
import { BACKEND_NAMES, BoltzflowError } from '@boltzflow/core';
import { ConfigFileSchema, SEED_MAX, configError, deepMerge, readSmallTextFile, type ConfigFile } from '../config.js';
import { findExperiment, EXPERIMENTS } from '../experiments/registry.js';

const seed = z.number().int().min(0).max(SEED_MAX);
const Seeds = z.union([z.array(seed).min(1), z.object({ from: seed, count: z.number().int().min(1).max(100_000) }).strict()]);

/** One experiment of a sweep: its fixed params and a grid of dotted param paths, each with the values to try. */
export const SweepEntrySchema = z
  .object({
    experiment: z.string().min(1),
    /** A label for the summary; defaults to the experiment name. */
    name: z.string().min(1).max(80).optional(),
    quick: z.boolean().optional(),
    params: z.record(z.string(), z.unknown()).optional(),
    grid: z
      .record(z.string().regex(/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/, 'a dotted parameter path such as training.steps'), z.array(z.unknown()).min(1))
      .optional(),
    seeds: Seeds.optional(),
  })
  .strict();

export const SweepSchema = z
  .object({
    name: z.string().min(1).max(80).optional(),
    seeds: Seeds,
    backend: z.enum(BACKEND_NAMES as unknown as [string, ...string[]]).optional(),
    /** Write report.html and the figures of every run (off: results.json only, much faster for small runs). */
    report: z.boolean().optional(),
    experiments: z.array(SweepEntrySchema).min(1),
  })
  .strict();

export type SweepSpec = z.infer<typeof SweepSchema>;
export type SweepEntry = z.infer<typeof SweepEntrySchema>;

/** What one run executes: exactly a `boltzflow run` config file. */
export type RunConfig = ConfigFile & { experiment: string; seed: number; quick: boolean };

/** One expanded run of a sweep. */
export interface SweepRun {
  /** Stable id: experiment, seed and the first hex digits of the config hash. */
  id: string;
  /** sha256 of the canonical JSON of `config`. */
  configHash: string;
  config: RunConfig;
  /** Summary group: the entry's label plus its grid point (seeds of one group are pooled in the summary). */
  group: string;
  report: boolean;
}

/** JSON with sorted keys, so that equal configs hash equally whatever the key order of the sweep file. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function seedList(s: z.infer<typeof Seeds>): number[] {
  if (Array.isArray(s)) return [...new Set(s)];
  return Array.from({ length: s.count }, (_, i) => s.from + i).filter((x) => x <= SEED_MAX);
}

function setPath(pathStr: string, value: unknown): Record<string, unknown> {
  const keys = pathStr.split('.');
  let out: unknown = value;
  for (let i = keys.length - 1; i >= 0; i--) out = { [keys[i]]: out };
  return out as Record<string, unknown>;
}

/** Cartesian product of the grid, as a list of {path: value} assignments (one empty assignment without a grid). */
function gridPoints(grid: Record<string, unknown[]> | undefined): Record<string, unknown>[] {
  let points: Record<string, unknown>[] = [{}];
  for (const [k, values] of Object.entries(grid ?? {})) points = points.flatMap((p) => values.map((v) => ({ ...p, [k]: v })));
  return points;
}

function describePoint(p: Record<string, unknown>): string {
  return Object.entries(p)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

/**
 * Expands a sweep into runs and validates every run's config against its experiment's own params schema, the way
 * `boltzflow run` would resolve it. All problems are collected and thrown as one error, before anything runs.
 */
export function expandSweep(input: unknown, source = 'sweep file'): SweepRun[] {
  const parsed = SweepSchema.safeParse(input);
  if (!parsed.success) throw configError(parsed.error, input, '', source);
  const spec = parsed.data;
  const problems: string[] = [];
  const runs: SweepRun[] = [];
  const seen = new Map<string, string>();
  spec.experiments.forEach((entry, i) => {
    const at = `experiments[${i}]`;
    const experiment = findExperiment(entry.experiment);
    if (!experiment) {
      problems.push(`'${at}.experiment': expected one of ${EXPERIMENTS.map((e) => e.name).join(', ')}, received ${JSON.stringify(entry.experiment)}`);
      return;
    }
    const quick = entry.quick ?? false;
    for (const point of gridPoints(entry.grid)) {
      let params: unknown = entry.params ?? {};
      for (const [k, v] of Object.entries(point)) params = deepMerge(params, setPath(k, v));
      // Same resolution order as prepareRun: defaults ← baseParams ← quickParams ← the config's params.
      const merged = deepMerge(deepMerge(experiment.baseParams ?? {}, quick ? (experiment.quickParams ?? {}) : {}), params);
      const check = experiment.params.safeParse(merged ?? {});
      const where = Object.keys(point).length ? ` (grid point ${describePoint(point)})` : '';
      if (!check.success) {
        const e = configError(check.error, merged, `${at}.params`);
        problems.push(`${e.message.replace(/^Invalid config: /, '')}${where}`);
        continue;
      }
      const group = [entry.name ?? entry.experiment, describePoint(point)].filter(Boolean).join(' ');
      for (const s of seedList(entry.seeds ?? spec.seeds)) {
        const config: RunConfig = {
          experiment: entry.experiment,
          seed: s,
          quick,
          ...(spec.backend ? { backend: spec.backend } : {}),
          params: params as Record<string, unknown>,
        };
        // The envelope must be a valid `boltzflow run` config file too.
        const env = ConfigFileSchema.safeParse(config);
        if (!env.success) {
          problems.push(configError(env.error, config, at).message);
          continue;
        }
        const configHash = sha256(canonicalJson(config));
        const id = `${entry.experiment}-s${s}-${configHash.slice(0, 12)}`;
        const dup = seen.get(id);
        if (dup) {
          problems.push(`'${at}'${where}: the run with seed ${s} repeats ${dup} (same config)`);
          continue;
        }
        seen.set(id, `${at}${where}`);
        runs.push({ id, configHash, config, group, report: spec.report ?? true });
      }
    }
  });
  if (problems.length) {
    throw new BoltzflowError('INVALID_CONFIG', `Invalid ${source}: ${problems.join('; ')}`, { issues: problems });
  }
  return runs;
}

/** Reads a sweep file (JSON, or YAML for .yaml/.yml; parsed as data only, size-limited). */
export async function readSweepFile(file: string): Promise<unknown> {
  const text = await readSmallTextFile(file, 'Sweep file', 'sweep file');
  try {
    if (/\.ya?ml$/i.test(file)) {
      const { parse } = await import('yaml');
      // No custom tags, no aliases blow-up: plain data only.
      return parse(text, { maxAliasCount: 100, customTags: [] });
    }
    return JSON.parse(text);
  } catch (e) {
    throw new BoltzflowError(
      'INVALID_CONFIG',
      `Sweep file ${file} is not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'}: ${(e as Error).message.split('\n')[0]}`,
    );
  }
}
