import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { backendInfo, createRng, initBackend, type BackendName } from '@boltzflow/core';
import { deepMerge, parseWith, readConfigFile, type ConfigFile } from './config.js';
import { getExperiment, findExperiment } from './experiments/registry.js';
import type { Experiment } from './experiments/types.js';
import { defaultReporter, type Reporter } from './progress.js';
import { RESULTS_SCHEMA_VERSION, writeResults, type Results } from './results.js';
import { writeReport, standardFigures, type ReportFiles } from './report/index.js';
import { comparisonVerdicts, verdictLine, type SamplerResult as SamplerRow } from '@boltzflow/samplers';

export const DEFAULT_SEED = 20240;

export interface RunOptions {
  /** A built-in experiment name or a path to a JSON config file. */
  target: string;
  seed?: number;
  out?: string;
  backend?: BackendName | string;
  quick?: boolean;
  reporter?: Reporter;
  /** Skip writing report.html and the figures (tests that only need results.json). */
  noReport?: boolean;
}

export interface PreparedRun {
  experiment: Experiment<any>;
  params: unknown;
  seed: number;
  quick: boolean;
  backend?: string;
  config: ConfigFile;
}

/** The app's version, recorded in every result. */
export function libraryVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function looksLikeFile(target: string): boolean {
  if (target.endsWith('.json') || target.includes('/') || target.includes(path.sep)) return true;
  try {
    return statSync(target).isFile();
  } catch {
    return false;
  }
}

/** Resolves and validates everything a run needs, before any work starts. */
export async function prepareRun(opts: RunOptions): Promise<PreparedRun> {
  let config: ConfigFile;
  if (findExperiment(opts.target) && !existsSync(opts.target)) {
    config = { experiment: opts.target };
  } else if (looksLikeFile(opts.target)) {
    config = await readConfigFile(opts.target);
  } else {
    getExperiment(opts.target); // throws the "unknown experiment" error listing the known ones
    config = { experiment: opts.target };
  }
  const experiment = getExperiment(config.experiment);
  const quick = opts.quick ?? config.quick ?? false;
  const merged = deepMerge(deepMerge(experiment.baseParams ?? {}, quick ? (experiment.quickParams ?? {}) : {}), config.params ?? {});
  const params = parseWith(experiment.params, merged ?? {}, 'params');
  const seed = opts.seed ?? config.seed ?? DEFAULT_SEED;
  return { experiment, params, seed, quick, backend: opts.backend ?? config.backend, config };
}

function timestamp(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[:]/g, '-');
}

export interface RunOutcome {
  dir: string;
  results: Results;
  report?: ReportFiles;
}

/** Runs one experiment end to end: validate, init backend, run, write results.json and the report. */
export async function runExperiment(opts: RunOptions): Promise<RunOutcome> {
  const prepared = await prepareRun(opts);
  const { experiment, params, seed, quick } = prepared;
  const reporter = opts.reporter ?? defaultReporter();
  await initBackend(prepared.backend);
  const backend = backendInfo();
  const started = new Date();
  const dir = path.resolve(opts.out ?? path.join('results', `${experiment.name}-${timestamp(started)}`));
  await mkdir(dir, { recursive: true });
  reporter.log(`boltzflow: ${experiment.name}${quick ? ' (quick)' : ''}, seed ${seed}, backend ${backend.active}${backend.fallback ? ` (fallback: ${backend.reason})` : ''} → ${dir}`);
  const t0 = performance.now();
  const output = await experiment.run(params, { seed, quick, rng: createRng(seed), progress: reporter });
  const results: Results = {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    experiment: experiment.name,
    description: output.description ?? experiment.description,
    config: { experiment: experiment.name, seed, quick, params: params as Record<string, unknown> },
    seed,
    quick,
    backend,
    libraryVersion: libraryVersion(),
    nodeVersion: process.version,
    startedAt: started.toISOString(),
    wallSeconds: (performance.now() - t0) / 1000,
    reference: output.reference,
    samplers: output.samplers,
    skipped: output.skipped,
    ...(output.training ? { training: output.training } : {}),
    ...(output.samplers.length > 0 ? { verdict: comparisonVerdicts(output.samplers as SamplerRow[], output.reference?.deltaF) } : {}),
    artifacts: output.artifacts,
  };
  const file = await writeResults(dir, results);
  reporter.log(`results: ${file}`);
  let report: ReportFiles | undefined;
  if (!opts.noReport) {
    report = await writeReport(dir, results, figuresFor(results));
    reporter.log(`report:  ${report.html}`);
  }
  if (results.verdict) reporter.log(verdictLine(results.verdict));
  return { dir, results, report };
}

/** The figure list of a result: the experiment's own when it defines one, the standard figures otherwise. */
export function figuresFor(results: Results) {
  const e = findExperiment(results.experiment);
  return e?.figures ? e.figures(results) : standardFigures(results);
}
