import os from 'node:os';
import { BoltzflowError } from '@boltzflow/core';
import type { ConnectionOptions, Job, Queue as QueueT, Worker as WorkerT } from 'bullmq';
import type { RunDone, RunTask } from './execute.js';
import { createRunPool } from './pool.js';

/** Default BullMQ queue name (workers and sweeps must agree on it; `--queue-name` changes it on both sides). */
export const DEFAULT_QUEUE_NAME = 'boltzflow-runs';
/** Runs that exhausted their attempts are copied here (the dead-letter list), with their last error. */
export const deadLetterName = (queueName: string): string => `${queueName}-dead`;

export interface RedisTarget {
  url: string;
  connection: ConnectionOptions & { host: string; port: number; db: number };
}

/** Parses `redis://[user:password@]host:port/n`; anything else is rejected naming the URL. */
export function parseRedisUrl(url: string): RedisTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new BoltzflowError('INVALID_VALUE', `--queue: expected a URL redis://host:port/n, received ${JSON.stringify(url)}`, {
      argument: '--queue',
      expected: 'redis://host:port/n',
      received: url,
    });
  }
  const db = u.pathname === '' || u.pathname === '/' ? 0 : Number(u.pathname.slice(1));
  if (u.protocol !== 'redis:' || !u.hostname || !Number.isInteger(db) || db < 0 || db > 15) {
    throw new BoltzflowError('INVALID_VALUE', `--queue: expected a URL redis://host:port/n with n in 0…15, received ${JSON.stringify(url)}`, {
      argument: '--queue',
      expected: 'redis://host:port/n',
      received: url,
    });
  }
  const connection = {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : 6379,
    db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    // BullMQ's workers block on Redis; they must never give up a command on their own.
    maxRetriesPerRequest: null,
  };
  return { url: `redis://${connection.host}:${connection.port}/${db}`, connection };
}

/**
 * Connects once with a hard timeout before BullMQ gets the connection: BullMQ (ioredis) retries an unreachable server
 * forever, which would make a typo'd URL hang the command.
 */
export async function checkRedis(target: RedisTarget, timeoutMs = 5000): Promise<void> {
  const { Redis } = await import('ioredis');
  const client = new Redis({
    ...target.connection,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  client.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect().then(() => client.ping()),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
  } catch (e) {
    throw new BoltzflowError('IO', `Cannot reach Redis at ${target.url}: ${(e as Error).message || String(e)} (connection timeout ${timeoutMs / 1000} s)`, {
      argument: '--queue',
      received: target.url,
    });
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

export interface QueueRunOptions {
  /** Attempts per run before it goes to the dead-letter list. */
  attempts: number;
  /** First retry delay; doubles with every further attempt (BullMQ exponential back-off). */
  backoffMs: number;
}

export interface QueueJobData {
  task: RunTask;
  sweepId: string;
}

/** Job id of a run of a sweep: the same on every re-run of the sweep, so BullMQ never holds a run twice. */
export const jobIdOf = (sweepId: string, runId: string): string => `${sweepId}.${runId}`;

export interface QueueSweepHandle {
  queue: QueueT<QueueJobData, RunDone>;
  dead: QueueT;
  close(): Promise<void>;
}

export async function openQueue(target: RedisTarget, queueName: string): Promise<QueueSweepHandle> {
  const { Queue } = await import('bullmq');
  const queue = new Queue<QueueJobData, RunDone>(queueName, { connection: target.connection });
  const dead = new Queue(deadLetterName(queueName), { connection: target.connection });
  return {
    queue,
    dead,
    close: async () => {
      await queue.close();
      await dead.close();
    },
  };
}

/**
 * Puts runs on the queue. A job that already exists is left alone while it is waiting, delayed or active (another
 * invocation of the same sweep queued it); a finished one whose run is not on disk (failed, or completed into another
 * directory) is removed and queued again.
 */
export async function enqueueRuns(h: QueueSweepHandle, sweepId: string, tasks: RunTask[], opts: QueueRunOptions): Promise<{ added: number; attached: number }> {
  let added = 0;
  let attached = 0;
  for (const task of tasks) {
    const jobId = jobIdOf(sweepId, task.id);
    const job = await h.queue.getJob(jobId);
    if (job) {
      const state = await job.getState();
      if (state === 'waiting' || state === 'delayed' || state === 'active' || state === 'prioritized' || state === 'waiting-children') {
        attached++;
        continue;
      }
      await job.remove();
      await h.dead.remove(jobId).catch(() => undefined);
    }
    await h.queue.add(
      task.id,
      { task, sweepId },
      { jobId, attempts: opts.attempts, backoff: { type: 'exponential', delay: opts.backoffMs }, removeOnComplete: false, removeOnFail: false },
    );
    added++;
  }
  return { added, attached };
}

export type JobOutcome =
  | { id: string; state: 'completed'; done: RunDone }
  | { id: string; state: 'failed'; error: string; attempts: number }
  | { id: string; state: 'pending'; active: boolean };

/** The state of every run's job (polled by the sweep; BullMQ keeps finished jobs, so nothing is missed). */
export async function pollRuns(h: QueueSweepHandle, sweepId: string, runIds: string[]): Promise<JobOutcome[]> {
  return Promise.all(
    runIds.map(async (id): Promise<JobOutcome> => {
      // The state first, then the job: a job read before its state can be a snapshot from an earlier attempt (a retry
      // that failed or completed in between), with a stale attempt count and no return value.
      const state = await h.queue.getJobState(jobIdOf(sweepId, id));
      const job = (await h.queue.getJob(jobIdOf(sweepId, id))) as Job<QueueJobData, RunDone> | undefined;
      if (!job || state === 'unknown') return { id, state: 'failed', error: 'job vanished from the queue (removed by someone else?)', attempts: 0 };
      if (state === 'completed') return { id, state: 'completed', done: job.returnvalue };
      if (state === 'failed') return { id, state: 'failed', error: job.failedReason, attempts: job.attemptsMade };
      return { id, state: 'pending', active: state === 'active' };
    }),
  );
}

/** Entries of the dead-letter list: runs that failed on every attempt, with their last error. */
export async function deadLetters(
  h: QueueSweepHandle,
  sweepId?: string,
): Promise<{ jobId: string; runId: string; error: string; attempts: number; host: string }[]> {
  const jobs = await h.dead.getJobs(['waiting', 'delayed', 'prioritized'], 0, -1);
  return jobs
    .filter((j) => !sweepId || (j.id ?? '').startsWith(`${sweepId}.`))
    .map((j) => ({ jobId: j.id ?? '', runId: j.data.runId, error: j.data.error, attempts: j.data.attempts, host: j.data.host }));
}

export interface WorkerOptions {
  queueName?: string;
  /** Runs at once on this machine (child processes). */
  concurrency?: number;
  /** A run whose worker stops renewing its lock for this long is taken back and retried elsewhere. */
  lockMs?: number;
  /** How often this worker looks for stalled runs of other workers. */
  stalledCheckMs?: number;
  log?: (line: string) => void;
}

export interface RunningWorker {
  worker: WorkerT<QueueJobData, RunDone>;
  close(): Promise<void>;
}

/**
 * A BullMQ worker whose processor hands each run to a child process (tinypool). The worker's own event loop stays
 * free to renew the job lock while TF.js computes in the child; if this process dies, the lock lapses after `lockMs`
 * and BullMQ's stalled-job check on another worker puts the run back on the queue.
 */
export async function startWorker(target: RedisTarget, opts: WorkerOptions = {}): Promise<RunningWorker> {
  await checkRedis(target);
  const { Worker, Queue, UnrecoverableError } = await import('bullmq');
  const queueName = opts.queueName ?? DEFAULT_QUEUE_NAME;
  const concurrency = opts.concurrency ?? 1;
  const log = opts.log ?? (() => undefined);
  const pool = createRunPool(concurrency);
  const dead = new Queue(deadLetterName(queueName), { connection: target.connection });
  const host = os.hostname();
  const lockMs = opts.lockMs ?? 30_000;
  const worker = new Worker<QueueJobData, RunDone>(
    queueName,
    async (job) => {
      log(`worker ${host}/${process.pid}: run ${job.data.task.id} (attempt ${job.attemptsMade + 1}/${job.opts.attempts ?? 1})`);
      try {
        return await pool.run(job.data.task);
      } catch (e) {
        const err = e as Error & { code?: string };
        // A config this worker's version rejects will not pass on a retry either.
        if (err.name === 'BoltzflowError' && err.code === 'INVALID_CONFIG') throw new UnrecoverableError(err.message);
        throw new Error(err.message || String(e));
      }
    },
    {
      connection: target.connection,
      concurrency,
      lockDuration: lockMs,
      stalledInterval: opts.stalledCheckMs ?? Math.max(1000, Math.round(lockMs / 2)),
      maxStalledCount: 2,
    },
  );
  worker.on('failed', (job, err) => {
    if (!job) return;
    const final = err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
    log(`worker ${host}/${process.pid}: run ${job.data.task.id} failed${final ? ' for good' : ', will retry'}: ${err.message}`);
    if (final) {
      void dead
        .add(
          job.data.task.id,
          { runId: job.data.task.id, sweepDir: job.data.task.sweepDir, error: err.message, attempts: job.attemptsMade, host },
          { jobId: job.id },
        )
        .catch((e: Error) => log(`worker: cannot write the dead-letter entry of ${job.id}: ${e.message}`));
    }
  });
  worker.on('completed', (job, done) =>
    log(
      `worker ${host}/${process.pid}: run ${job.data.task.id} ${done.skipped ? 'was already done' : done.discarded ? 'finished; another execution was first (output discarded)' : `done in ${done.seconds.toFixed(1)} s`}`,
    ),
  );
  worker.on('error', (e) => log(`worker: ${e.message}`));
  return {
    worker,
    close: async () => {
      await worker.close();
      await pool.destroy();
      await dead.close();
    },
  };
}
