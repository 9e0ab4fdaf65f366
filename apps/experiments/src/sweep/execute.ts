import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BoltzflowError } from '@boltzflow/core';
import { lineReporter } from '../progress.js';
import { readResults, writeFileAtomic, type Results } from '../results.js';
import { runExperiment } from '../run.js';
import type { RunConfig } from './spec.js';

/** What a worker needs to execute one run; plain JSON (it travels through tinypool and BullMQ). */
export interface RunTask {
  id: string;
  configHash: string;
  config: RunConfig;
  /** Absolute sweep directory (shared between machines in queue mode). */
  sweepDir: string;
  report: boolean;
}

/** results.json without the plot data: what travels back through the pool and the queue. */
export type RunSummary = Omit<Results, 'artifacts'>;

export interface RunDone {
  id: string;
  dir: string;
  /** True when the run's final directory already existed (nothing ran). */
  skipped: boolean;
  /** True when this execution finished but another one had already put the run in place (its output was discarded). */
  discarded: boolean;
  results: RunSummary;
  /** Files of the run directory (large artifacts stay there; the list says what exists). */
  files: string[];
  host: string;
  seconds: number;
}

/** Marker written last into a run directory: which config produced it. */
export const RUN_MARKER = 'sweep-run.json';

export const runsDir = (sweepDir: string): string => path.join(sweepDir, 'runs');
export const runDir = (sweepDir: string, id: string): string => path.join(runsDir(sweepDir), id);
const stagingRoot = (sweepDir: string): string => path.join(sweepDir, '.staging');

function stripArtifacts(r: Results): RunSummary {
  const { artifacts: _artifacts, ...rest } = r;
  return rest;
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...(await listFiles(path.join(dir, e.name), `${prefix}${e.name}/`)));
    else out.push(`${prefix}${e.name}`);
  }
  return out.sort();
}

/**
 * The completed run in `runs/<id>` when it was produced by this config (marker hash matches), null when absent.
 * Throws when something else occupies the path: a run directory only ever appears there by an atomic rename of a
 * finished staging directory, so anything else is not ours to overwrite.
 */
export async function completedRun(sweepDir: string, id: string, configHash: string): Promise<RunDone | null> {
  const dir = runDir(sweepDir, id);
  let st;
  try {
    st = await stat(dir);
  } catch {
    return null;
  }
  let marker: { id?: string; configHash?: string; host?: string; seconds?: number } | undefined;
  if (st.isDirectory()) {
    try {
      marker = JSON.parse(await readFile(path.join(dir, RUN_MARKER), 'utf8'));
    } catch {
      marker = undefined;
    }
  }
  if (!marker || marker.id !== id || marker.configHash !== configHash) {
    throw new BoltzflowError(
      'IO',
      `${dir} exists but is not a completed run of this config (expected ${RUN_MARKER} with configHash ${configHash.slice(0, 12)}…); move it away to rerun`,
      { argument: 'out', received: dir },
    );
  }
  const results = await readResults(dir);
  return {
    id,
    dir,
    skipped: true,
    discarded: false,
    results: stripArtifacts(results),
    files: await listFiles(dir),
    host: marker.host ?? '',
    seconds: marker.seconds ?? 0,
  };
}

/**
 * Executes one run as an ordinary `boltzflow run` into a private staging directory, then renames it into
 * `runs/<id>`. The rename is atomic, so a run directory is either complete or absent; when two executions of the same
 * run race (a stalled job retried elsewhere), exactly one rename wins and the other output is discarded. Any failure
 * (including ENOSPC) removes the staging directory and rethrows: nothing half-written remains. `onProgress` is called
 * on every progress update, synchronously inside the computation (the pool child checks there that its parent lives).
 */
export async function executeRun(task: RunTask, onProgress?: () => void): Promise<RunDone> {
  const t0 = performance.now();
  const existing = await completedRun(task.sweepDir, task.id, task.configHash);
  if (existing) return existing;
  const host = os.hostname();
  const stageName = `${task.id}.${host}.${process.pid}.${randomUUID().slice(0, 8)}`;
  const staging = path.join(stagingRoot(task.sweepDir), stageName);
  const configFile = `${staging}.config.json`;
  const log: string[] = [];
  try {
    await writeFileAtomic(configFile, `${JSON.stringify(task.config, null, 1)}\n`);
    const { results } = await runExperiment({
      target: configFile,
      out: staging,
      noReport: !task.report,
      reporter: lineReporter((l) => log.push(l), 4, onProgress),
    });
    const seconds = (performance.now() - t0) / 1000;
    await writeFileAtomic(path.join(staging, 'config.json'), `${JSON.stringify(task.config, null, 1)}\n`);
    await writeFileAtomic(path.join(staging, 'run.log'), `${log.join('\n')}\n`);
    await writeFileAtomic(
      path.join(staging, RUN_MARKER),
      `${JSON.stringify({ id: task.id, configHash: task.configHash, host, pid: process.pid, seconds, finishedAt: new Date().toISOString() }, null, 1)}\n`,
    );
    // A pool child whose parent died (SIGKILL) has had its job taken back by the queue: it must not publish. The
    // parent-pid check in `onProgress` sees the death at once (a short run may emit no progress line after it), while
    // `connected` turns false only once the event loop has read the closed IPC channel.
    onProgress?.();
    if (process.send && !process.connected) throw new BoltzflowError('IO', `run ${task.id}: the worker that started it is gone; output discarded`);
    await mkdir(runsDir(task.sweepDir), { recursive: true });
    const final = runDir(task.sweepDir, task.id);
    let discarded = false;
    try {
      await rename(staging, final);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
      // Another execution of this run got there first; its result stands (same config, same seed).
      const other = await completedRun(task.sweepDir, task.id, task.configHash);
      if (!other) throw e;
      discarded = true;
    }
    await rm(configFile, { force: true });
    if (discarded) await rm(staging, { recursive: true, force: true });
    return { id: task.id, dir: final, skipped: false, discarded, results: stripArtifacts(results), files: await listFiles(final), host, seconds };
  } catch (e) {
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    await rm(configFile, { force: true }).catch(() => undefined);
    throw e;
  }
}
