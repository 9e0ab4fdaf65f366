// Sweep throughput: the same small sweep on a local pool of 1 and 2 worker processes and through BullMQ (private
// redis-server, one worker), plus the bare BullMQ round trip of a job that does nothing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fmt, table, type BenchOptions, type SectionResult } from './common.js';
import { runSweep } from '../../apps/experiments/src/sweep/sweep.js';
import { createRunPool } from '../../apps/experiments/src/sweep/pool.js';
import { parseRedisUrl, startWorker } from '../../apps/experiments/src/sweep/queue.js';
import { redisServerPath, startPrivateRedis, type PrivateRedis } from '../../apps/experiments/src/sweep/redisServer.js';

/** The reduced double-well --quick of the sweep tests (budget 4000, 8 chains, rwm + mala + flow-is with 20 training steps). */
const TINY = {
  budget: 4000,
  chains: 8,
  samplers: ['rwm', 'mala', 'flow-is'],
  training: { steps: 20, batchSize: 64 },
  flow: { dataSamples: 512, layers: 2, hidden: 8 },
};

export async function sweepSection(opts: BenchOptions): Promise<SectionResult> {
  const runs = opts.quick ? 4 : 8;
  const root = mkdtempSync(path.join(os.tmpdir(), 'boltzflow-bench-sweep-'));
  const sweepFile = (name: string, from: number, count: number): string => {
    const f = path.join(root, `${name}.json`);
    writeFileSync(f, JSON.stringify({ seeds: { from, count }, report: false, experiments: [{ experiment: 'double-well', quick: true, params: TINY }] }));
    return f;
  };
  const file = sweepFile('timed', 1, runs);
  const rows: (string | number)[][] = [];
  const sweep = async (o: Omit<Parameters<typeof runSweep>[0], 'log'>, expected: number): Promise<number> => {
    const t0 = performance.now();
    const out = await runSweep({ ...o, log: () => undefined });
    if (out.failed.length || out.executed.length !== expected) throw new Error(`${o.out}: ${out.failed.length} runs failed: ${out.failed[0]?.error}`);
    return (performance.now() - t0) / 1000;
  };
  // Every mode first runs a warm-up sweep (other seeds) that starts its processes and imports the modules, so the timed
  // sweep measures steady throughput; the warm-up's wall time is reported as the cold start.
  const timed = async (label: string, workers: number, o: Omit<Parameters<typeof runSweep>[0], 'log' | 'file' | 'out'>): Promise<number> => {
    const cold = await sweep(
      { ...o, file: sweepFile(`warm-${label.replace(/\W+/g, '-')}`, 1000, workers), out: path.join(root, `warm-${rows.length}`) },
      workers,
    );
    const secs = await sweep({ ...o, file, out: path.join(root, `timed-${rows.length}`) }, runs);
    rows.push([label, runs, fmt(secs, 3), fmt((runs / secs) * 3600, 3), fmt(cold, 3)]);
    return secs;
  };
  const notes: string[] = [];
  let redis: PrivateRedis | undefined;
  try {
    let pool1 = NaN;
    for (const workers of [1, 2]) {
      const pool = createRunPool(workers);
      try {
        const secs = await timed(`local pool, ${workers} worker${workers > 1 ? 's' : ''}`, workers, { workers, pool });
        if (workers === 1) pool1 = secs;
      } finally {
        await pool.destroy();
      }
    }
    redis = redisServerPath() ? await startPrivateRedis(1800) : undefined;
    if (!redis) notes.push('redis-server not installed: queue rows skipped.');
    else {
      const target = parseRedisUrl(redis.url);
      const w = await startWorker(target, { concurrency: 1 });
      try {
        const q1 = await timed('BullMQ queue, 1 worker (local Redis)', 1, { queue: redis.url, pollMs: 100 });
        notes.push(
          `Queue overhead against the 1-worker local pool: ${fmt(((q1 - pool1) * 1000) / runs, 3)} ms per run (difference of the two steady wall times over ${runs} runs; on a shared machine this difference is within the noise, which is of the order of seconds per run).`,
        );
      } finally {
        await w.close();
      }
      notes.push(
        `Bare BullMQ round trip (add, take, complete, poll; a processor that does nothing, 200 jobs): ${fmt(await noopRoundTrip(target), 3)} ms per job.`,
      );
    }
  } finally {
    await redis?.stop();
    rmSync(root, { recursive: true, force: true });
  }
  return {
    title: 'Sweeps: local pool and BullMQ queue',
    markdown: [
      `Sweep of ${runs} runs of a reduced \`double-well --quick\` (budget 4000, 8 chains, rwm + mala + flow-is with 20 training steps; results.json only), after a warm-up sweep that started the worker processes (cold start column: the warm-up's wall time, one run per worker, including spawning the processes and importing the modules through tsx).`,
      '',
      table(['mode', 'runs', 'wall s', 'runs / hour', 'cold start s'], rows),
      '',
      ...notes.map((n) => `- ${n}`),
    ].join('\n'),
    data: { rows, notes },
  };
}

/** Mean time per job for 200 no-op jobs through a private queue with one worker, polled the way a sweep polls. */
async function noopRoundTrip(target: ReturnType<typeof parseRedisUrl>): Promise<number> {
  const { Queue, Worker } = await import('bullmq');
  const name = `bench-noop-${process.pid}`;
  const queue = new Queue(name, { connection: target.connection });
  const worker = new Worker(name, async () => 0, { connection: target.connection, concurrency: 1 });
  const n = 200;
  try {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await queue.add('noop', { i }, { jobId: `j${i}` });
    for (;;) {
      const c = await queue.getJobCounts('completed');
      if ((c.completed ?? 0) >= n) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    return (performance.now() - t0) / n;
  } finally {
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
  }
}
