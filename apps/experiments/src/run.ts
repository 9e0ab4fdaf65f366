import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { lstat, mkdir, readdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { backendInfo, BoltzflowError, createRng, initBackend, type BackendName } from '@boltzflow/core';
import { ConfigFileSchema, configErrors, deepMerge, readConfigJson, type ConfigFailure, type ConfigFile } from './config.js';
import { getExperiment, findExperiment } from './experiments/registry.js';
import type { Experiment } from './experiments/types.js';
import { defaultReporter, type Reporter } from './progress.js';
import { INCOMPLETE_MARKER, orphansIn, TMP_PREFIX, writeResults, type Results } from './results.js';
import { resultsFromOutput } from './resultsFromOutput.js';
import { writeReport, standardFigures, type ReportFiles } from './report/index.js';
import { verdictLine } from '@boltzflow/samplers';

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
  /** Replace the results already in `out` (refused otherwise). */
  force?: boolean;
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
  let raw: unknown;
  let source = 'config';
  if (findExperiment(opts.target) && !existsSync(opts.target)) {
    raw = { experiment: opts.target };
  } else if (looksLikeFile(opts.target)) {
    raw = await readConfigJson(opts.target);
    source = `config file ${opts.target}`;
  } else {
    getExperiment(opts.target); // throws the "unknown experiment" error listing the known ones
    raw = { experiment: opts.target };
  }
  // The envelope and the experiment's params are checked together, so one message names every bad or unknown field.
  const failures: ConfigFailure[] = [];
  const envelope = ConfigFileSchema.safeParse(raw);
  if (!envelope.success) failures.push({ error: envelope.error, input: raw });
  const r = (raw ?? {}) as Record<string, unknown>;
  const name = envelope.success ? envelope.data.experiment : typeof r.experiment === 'string' ? r.experiment : undefined;
  const experiment = name !== undefined ? findExperiment(name) : undefined;
  let params: unknown;
  const userParams = envelope.success
    ? envelope.data.params
    : r.params !== null && typeof r.params === 'object' && !Array.isArray(r.params)
      ? r.params
      : undefined;
  const quick = opts.quick ?? (envelope.success ? envelope.data.quick : undefined) ?? false;
  if (experiment) {
    const merged = deepMerge(deepMerge(experiment.baseParams ?? {}, quick ? (experiment.quickParams ?? {}) : {}), userParams ?? {});
    const parsed = experiment.params.safeParse(merged ?? {});
    if (parsed.success) params = parsed.data;
    else failures.push({ error: parsed.error, input: merged, prefix: 'params' });
  }
  if (failures.length > 0) throw configErrors(failures, source);
  if (!experiment) getExperiment(String(name)); // throws the "unknown experiment" error listing the known ones
  const config = envelope.data as ConfigFile;
  const seed = opts.seed ?? config.seed ?? DEFAULT_SEED;
  return { experiment: experiment!, params, seed, quick, backend: opts.backend ?? config.backend, config };
}

function timestamp(d: Date): string {
  return d
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/[:]/g, '-');
}

export interface RunOutcome {
  dir: string;
  results: Results;
  report?: ReportFiles;
}

/** Runs one experiment end to end: validate, init backend, run, write results.json and the report. */
export async function runExperiment(opts: RunOptions): Promise<RunOutcome> {
  const prepared = await prepareRun(opts);
  const { experiment, seed, quick } = prepared;
  const reporter = opts.reporter ?? defaultReporter();
  await initBackend(prepared.backend);
  const backend = backendInfo();
  const started = new Date();
  const plan = await prepareOutput(opts.out, path.join('results', `${experiment.name}-${timestamp(started)}`), opts.force ?? false);
  const dir = plan.final;
  active = plan;
  saved = undefined;
  try {
    reporter.log(
      `boltzflow: ${experiment.name}${quick ? ' (quick)' : ''}, seed ${seed}, backend ${backend.active}${backend.fallback ? ` (fallback: ${backend.reason})` : ''} → ${dir}`,
    );
    const outcome = await runInto(plan.staging, prepared, opts, reporter, backend, started);
    await finishOutput(plan);
    // From here the results are in place: a Ctrl-C must neither delete them nor say that nothing was saved.
    active = undefined;
    saved = dir;
    const rel = (f: string): string => path.join(dir, path.relative(plan.staging, f));
    reporter.log(`results: ${path.join(dir, 'results.json')}`);
    if (outcome.report) reporter.log(`report:  ${rel(outcome.report.html)}`);
    if (outcome.results.verdict) reporter.log(verdictLine(outcome.results.verdict));
    const report = outcome.report && { ...outcome.report, html: rel(outcome.report.html), svg: outcome.report.svg.map(rel), png: outcome.report.png.map(rel) };
    return { dir, results: outcome.results, report };
  } catch (e) {
    abandonOutput(plan);
    throw e;
  } finally {
    active = undefined;
  }
}

async function runInto(
  dir: string,
  prepared: PreparedRun,
  opts: RunOptions,
  reporter: Reporter,
  backend: ReturnType<typeof backendInfo>,
  started: Date,
): Promise<{ results: Results; report?: ReportFiles }> {
  const { experiment, params, seed, quick } = prepared;
  const t0 = performance.now();
  const output = await experiment.run(params, { seed, quick, rng: createRng(seed), progress: reporter });
  const results = resultsFromOutput(
    {
      experiment: experiment.name,
      description: experiment.description,
      params: params as Record<string, unknown>,
      seed,
      quick,
      backend,
      libraryVersion: libraryVersion(),
      nodeVersion: process.version,
      startedAt: started,
      wallSeconds: (performance.now() - t0) / 1000,
    },
    output,
  );
  await writeResults(dir, results);
  const report = opts.noReport ? undefined : await writeReport(dir, results, figuresFor(results));
  return { results, report };
}

/**
 * Where a run's files go. Everything is written into `staging`, a sibling of `final` named `${TMP_PREFIX}<pid>-…`
 * holding an INCOMPLETE marker, and renamed into place only when complete: a killed run never leaves results.json of
 * one run beside the report of another, and an interrupted one leaves `final` as it was.
 */
interface OutputPlan {
  final: string;
  staging: string;
  /** `final` holds an earlier run's results that --force replaces. */
  replace: boolean;
  /** Parent directories this run created (removed again when it saves nothing). */
  created: string[];
}

/** The run in progress in this process (for the SIGINT message and cleanup). */
let active: OutputPlan | undefined;
/** The directory of the run that finished last in this process (its results are complete and in place). */
let saved: string | undefined;

function outError(final: string, reason: string): BoltzflowError {
  return new BoltzflowError('IO', `--out ${final}: ${reason}`, { argument: '--out', received: final });
}

function fsReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOTDIR':
      return 'a component of the path is a file, not a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied (the directory is not writable)';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOENT':
      return 'directories cannot be created there';
    case 'ENOSPC':
      return 'no space left on the device';
    default:
      return (e as Error).message;
  }
}

/** lstat, or undefined when the path does not exist; other errors name --out and the reason. */
async function statOrNone(p: string, final: string): Promise<import('node:fs').Stats | undefined> {
  try {
    return await lstat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw outError(final, fsReason(e));
  }
}

/**
 * Creates `dir` and its missing parents one level at a time. (`mkdir({ recursive: true })` spins forever at 100 % CPU
 * under /proc, where mkdir fails with ENOENT below an existing directory.)
 */
async function makeDirs(dir: string, final: string): Promise<string[]> {
  const missing: string[] = [];
  let cur = dir;
  for (;;) {
    const st = await statOrNone(cur, final);
    if (st) {
      if (!st.isDirectory()) throw outError(final, `${cur} is not a directory`);
      break;
    }
    missing.unshift(cur);
    const up = path.dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  const created: string[] = [];
  for (const d of missing) {
    try {
      await mkdir(d);
    } catch (e) {
      removeDirs(created);
      throw outError(final, fsReason(e));
    }
    created.push(d);
  }
  return created;
}

/** Removes directories this run created, deepest first, where they are still empty. */
function removeDirs(created: readonly string[]): void {
  for (const d of [...created].reverse()) {
    try {
      rmdirSync(d);
    } catch {
      return;
    }
  }
}

async function prepareOutput(out: string | undefined, fallback: string, force: boolean): Promise<OutputPlan> {
  const final = path.resolve(out ?? fallback);
  const st = await statOrNone(final, final);
  let replace = false;
  if (st) {
    if (!st.isDirectory()) throw outError(final, 'exists and is not a directory');
    const entries = (await readdir(final).catch((e: unknown) => {
      throw outError(final, fsReason(e));
    })) as string[];
    if (entries.length > 0) {
      if (!entries.includes('results.json') && !entries.includes(INCOMPLETE_MARKER)) {
        throw outError(final, 'is not empty and holds no boltzflow results; choose a new or empty directory');
      }
      if (!force) throw outError(final, 'already holds results; pass --force to replace them, or choose another directory');
      replace = true;
    }
  }
  const parent = path.dirname(final);
  const created = await makeDirs(parent, final);
  // Staging directories of killed runs (their pid is gone) are swept here.
  for (const orphan of await orphansIn(parent)) await rm(path.join(parent, orphan), { recursive: true, force: true }).catch(() => undefined);
  const staging = path.join(parent, `${TMP_PREFIX}${process.pid}-${randomUUID().slice(0, 8)}-${path.basename(final)}`);
  try {
    await mkdir(staging);
    // The writability probe, before any work: the marker says the directory is incomplete until it is removed.
    await writeFile(path.join(staging, INCOMPLETE_MARKER), 'This run did not finish; its files are incomplete.\n');
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    removeDirs(created);
    throw outError(final, fsReason(e));
  }
  return { final, staging, replace, created };
}

/** Moves the complete staging directory into place (replacing an earlier run's results under --force). */
async function finishOutput(plan: OutputPlan): Promise<void> {
  await unlink(path.join(plan.staging, INCOMPLETE_MARKER));
  if (plan.replace) {
    const old = `${plan.staging}-replaced`;
    await rename(plan.final, old);
    await rename(plan.staging, plan.final);
    await rm(old, { recursive: true, force: true });
  } else {
    // rename() replaces an empty directory in place.
    await rename(plan.staging, plan.final);
  }
}

/** Removes what an unfinished run wrote (synchronous: also called from the SIGINT handler). */
function abandonOutput(plan: OutputPlan): void {
  // A write already handed to libuv's thread pool (a figure's `mkdir -p`) can recreate the staging directory after
  // the first removal, and then the parent this run created is not empty: wait briefly and remove again until both
  // stay gone (at most ≈ 0.2 s).
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 0; attempt < 10; attempt++) {
    rmSync(plan.staging, { recursive: true, force: true });
    removeDirs(plan.created);
    Atomics.wait(pause, 0, 0, 20);
    if (!existsSync(plan.staging) && (plan.created.length === 0 || !existsSync(plan.created[0]!))) return;
  }
}

/**
 * Called on SIGINT: removes the unfinished run's files and says what was and was not saved. Returns undefined when no
 * run has started yet.
 */
export function interruptActiveRun(): string | undefined {
  const plan = active;
  if (!plan) return saved === undefined ? undefined : `interrupted after the run finished; its results are saved in ${saved}`;
  active = undefined;
  abandonOutput(plan);
  return `interrupted: the run did not finish, nothing was saved; ${plan.replace ? `the earlier results in ${plan.final} are unchanged` : `${plan.final} was not written`}`;
}

/** The figure list of a result: the experiment's own when it defines one, the standard figures otherwise. */
export function figuresFor(results: Results) {
  const e = findExperiment(results.experiment);
  return e?.figures ? e.figures(results) : standardFigures(results);
}
