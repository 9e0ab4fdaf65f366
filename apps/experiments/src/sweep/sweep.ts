import { mkdir, readdir, readFile, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { BoltzflowError } from '@boltzflow/core';
import { writeFileAtomic } from '../results.js';
import { completedRun, executeRun, type RunDone, type RunTask } from './execute.js';
import { createRunPool, defaultWorkers, type RunPool } from './pool.js';
import { DEFAULT_QUEUE_NAME, checkRedis, deadLetters, enqueueRuns, openQueue, parseRedisUrl, pollRuns } from './queue.js';
import { canonicalJson, expandSweep, readSweepFile, sha256, type SweepRun } from './spec.js';
import { summarize, writeSummary, type FailedRun, type SweepSummary } from './summary.js';

export const MANIFEST = 'sweep.json';

export interface SweepOptions {
  file: string;
  out: string;
  /** Local pool size (default: number of cores). 0 runs in this process, one after the other. */
  workers?: number;
  /** redis://host:port/n: put the runs on a BullMQ queue instead of running them here. */
  queue?: string;
  queueName?: string;
  force?: boolean;
  attempts?: number;
  backoffMs?: number;
  connectTimeoutMs?: number;
  pollMs?: number;
  log?: (line: string) => void;
  /** A started pool to use instead of creating one (benchmarks measure warm pools); not destroyed here. */
  pool?: RunPool;
}

export interface SweepOutcome {
  dir: string;
  runs: SweepRun[];
  /** Runs found complete on disk before anything ran. */
  skipped: string[];
  /** Runs executed (or completed through the queue) by this invocation. */
  executed: string[];
  failed: FailedRun[];
  summary: SweepSummary;
  files: { json: string; html: string };
}

/**
 * Claims DIR for this sweep: a new or empty directory gets a manifest; a directory holding another sweep's manifest
 * (different spec) or anything that is not a sweep is refused unless `force`.
 */
async function claimDirectory(dir: string, specHash: string, file: string, force: boolean): Promise<void> {
  let entries: string[] = [];
  try {
    entries = await readdir(dir);
  } catch {
    entries = [];
  }
  if (entries.length > 0 && !force) {
    let manifest: { specHash?: string; file?: string } | undefined;
    try {
      manifest = JSON.parse(await readFile(path.join(dir, MANIFEST), 'utf8'));
    } catch {
      manifest = undefined;
    }
    if (!manifest)
      throw new BoltzflowError('IO', `--out ${dir} is not empty and holds no ${MANIFEST}: refusing to write a sweep into it (use --force)`, {
        argument: '--out',
        received: dir,
      });
    if (manifest.specHash !== specHash) {
      throw new BoltzflowError(
        'IO',
        `--out ${dir} belongs to another sweep (${manifest.file ?? 'unknown file'}, spec ${String(manifest.specHash).slice(0, 12)}…; this one is ${specHash.slice(0, 12)}…): refusing without --force`,
        { argument: '--out', received: dir },
      );
    }
  }
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(path.join(dir, MANIFEST), `${JSON.stringify({ specHash, file: path.resolve(file), updatedAt: new Date().toISOString() }, null, 1)}\n`);
}

/** Progress lines: done, failed, running and an ETA from the throughput so far. */
export class SweepProgress {
  private readonly t0 = performance.now();
  done = 0;
  failed = 0;
  running = 0;
  private last = '';
  constructor(
    private readonly total: number,
    private readonly skipped: number,
    private readonly log: (line: string) => void,
  ) {}

  line(): string {
    const finished = this.done + this.failed;
    const left = this.total - this.skipped - finished;
    const secs = (performance.now() - this.t0) / 1000;
    const eta = finished > 0 && left > 0 ? ` ETA ${formatSeconds((secs / finished) * left)}` : '';
    return `sweep: ${this.skipped + this.done}/${this.total} done${this.skipped ? ` (${this.skipped} already complete)` : ''}, ${this.failed} failed, ${this.running} running,${eta || ' ETA –'} (${formatSeconds(secs)} elapsed)`;
  }

  report(force = false): void {
    const l = this.line();
    const key = l.replace(/ETA.*$/, '');
    if (force || key !== this.last) this.log(l);
    this.last = key;
  }
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(0)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

function toTask(run: SweepRun, dir: string): RunTask {
  return { id: run.id, configHash: run.configHash, config: run.config, sweepDir: dir, report: run.report };
}

/** One line from an error; tinypool hands a child's error back as a plain object with its message. */
const errorText = (e: unknown): string => {
  const m = e !== null && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string' ? (e as { message: string }).message : String(e);
  return m.replace(/\s*\n\s*/g, ' ');
};

/** Runs (or resumes) a sweep and writes sweep-summary.json and sweep-report.html into `out`. */
export async function runSweep(opts: SweepOptions): Promise<SweepOutcome> {
  const log = opts.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const raw = await readSweepFile(opts.file);
  const runs = expandSweep(raw, `sweep file ${opts.file}`);
  const target = opts.queue !== undefined ? parseRedisUrl(opts.queue) : undefined;
  // Fail on an unreachable queue before touching the output directory.
  if (target) await checkRedis(target, opts.connectTimeoutMs ?? 5000);
  const dir = path.resolve(opts.out);
  const specHash = sha256(canonicalJson(raw));
  await claimDirectory(dir, specHash, opts.file, opts.force ?? false);

  const byId = new Map(runs.map((r) => [r.id, r]));
  const done = new Map<string, RunDone>();
  const failures = new Map<string, FailedRun>();
  const todo: SweepRun[] = [];
  for (const r of runs) {
    try {
      const c = await completedRun(dir, r.id, r.configHash);
      if (c) done.set(r.id, c);
      else todo.push(r);
    } catch {
      todo.push(r); // executeRun reports what occupies the path as the run's failure
    }
  }
  const skipped = [...done.keys()];
  log(`sweep: ${runs.length} runs (${skipped.length} already complete, ${todo.length} to run) → ${dir}`);
  const progress = new SweepProgress(runs.length, skipped.length, log);
  const failRun = (r: SweepRun, error: string, attempts?: number) =>
    failures.set(r.id, { id: r.id, group: r.group, seed: r.config.seed, error, ...(attempts !== undefined ? { attempts } : {}) });

  if (todo.length && target) {
    const h = await openQueue(target, opts.queueName ?? DEFAULT_QUEUE_NAME);
    try {
      const sweepId = `bf${sha256(dir).slice(0, 10)}`;
      const { added, attached } = await enqueueRuns(
        h,
        sweepId,
        todo.map((r) => toTask(r, dir)),
        { attempts: opts.attempts ?? 3, backoffMs: opts.backoffMs ?? 10_000 },
      );
      log(`sweep: queued ${added} runs on ${target.url} (${attached} already queued); start workers with: boltzflow worker --queue ${target.url}`);
      const ids = todo.map((r) => r.id);
      for (;;) {
        const states = await pollRuns(h, sweepId, ids);
        progress.done = 0;
        progress.failed = 0;
        progress.running = 0;
        for (const s of states) {
          if (s.state === 'completed') {
            progress.done++;
            done.set(s.id, s.done);
          } else if (s.state === 'failed') {
            progress.failed++;
            failRun(byId.get(s.id)!, s.error, s.attempts);
          } else if (s.active) progress.running++;
        }
        progress.report();
        if (states.every((s) => s.state !== 'pending')) break;
        await new Promise((r) => setTimeout(r, opts.pollMs ?? 1000));
      }
      const dead = await deadLetters(h, sweepId);
      if (dead.length) log(`sweep: ${dead.length} runs in the dead-letter list ${h.dead.name}`);
    } finally {
      await h.close();
    }
  } else if (todo.length) {
    const workers = opts.workers ?? defaultWorkers();
    const pool = opts.pool ?? (workers > 0 ? createRunPool(Math.min(workers, todo.length)) : undefined);
    try {
      let next = 0;
      // Sequential mode (workers 0) runs in this process; the pool runs `workers` child processes.
      const lanes = Array.from({ length: pool ? Math.min(workers, todo.length) : 1 }, async () => {
        while (next < todo.length) {
          const r = todo[next++];
          progress.running++;
          progress.report();
          try {
            const d = pool ? await pool.run(toTask(r, dir)) : await executeRun(toTask(r, dir));
            done.set(r.id, d);
            progress.done++;
          } catch (e) {
            failRun(r, errorText(e));
            progress.failed++;
            log(`sweep: run ${r.id} failed: ${errorText(e)}`);
          } finally {
            progress.running--;
          }
          progress.report();
        }
      });
      await Promise.all(lanes);
    } finally {
      if (!opts.pool) await pool?.destroy();
    }
  }
  progress.report(true);
  // Staging directories of killed executions may remain (never renamed into runs/); an empty root goes away.
  await rmdir(path.join(dir, '.staging')).catch(() => undefined);

  const inputs = runs.filter((r) => done.has(r.id)).map((r) => ({ id: r.id, group: r.group, results: done.get(r.id)!.results }));
  const failed = runs.filter((r) => failures.has(r.id) && !done.has(r.id)).map((r) => failures.get(r.id)!);
  const summary = summarize(path.basename(opts.file), inputs, failed, runs.length);
  const files = await writeSummary(dir, summary);
  for (const g of summary.groups) log(`verdict: ${g.verdict}`);
  log(`summary: ${files.json}\nreport:  ${files.html}`);
  return { dir, runs, skipped, executed: todo.filter((r) => done.has(r.id)).map((r) => r.id), failed, summary, files };
}
