// Sweep throughput: the same small sweep on a local pool of 1 and 2 worker processes and through BullMQ (private
// redis-server, one worker), plus the bare BullMQ round trip of a job that does nothing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fmt, table, type BenchOptions, type SectionResult } from './common.js';
import { runSweep } from '../../apps/experiments/src/sweep/sweep.js';
import { parseRedisUrl, startWorker } from '../../apps/experiments/src/sweep/queue.js';
import { redisServerPath, startPrivateRedis, type PrivateRedis } from '../../apps/experiments/src/sweep/redisServer.js';

/** The reduced double-well --quick of the sweep tests (budget 4000, 8 chains, rwm + mala + flow-is with 20 training steps). */
const TINY = { budget: 4000, chains: 8, samplers: ['rwm', 'mala', 'flow-is'], training: { steps: 20, batchSize: 64 }, flow: { dataSamples: 512, layers: 2, hidden: 8 } };

export async function sweepSection(opts: BenchOptions): Promise<SectionResult> {
  const runs = opts.quick ? 4 : 8;
  const root = mkdtempSync(path.join(os.tmpdir(), 'boltzflow-bench-sweep-'));
  const file = path.join(root, 'sweep.json');
  writeFileSync(file, JSON.stringify({ seeds: { from: 1, count: runs }, report: false, experiments: [{ experiment: 'double-well', quick: true, params: TINY }] }));
  const rows: (string | number)[][] = [];
  const timed = async (label: string, o: Parameters<typeof runSweep>[0]): Promise<number> => {
    const t0 = performance.now();
    const out = await runSweep({ ...o, log: () => undefined });
    const secs = (performance.now() - t0) / 1000;
    if (out.failed.length || out.executed.length !== runs) throw new Error(`${label}: ${out.failed.length} runs failed: ${out.failed[0]?.error}`);
    rows.push([label, runs, fmt(secs, 3), fmt((runs / secs) * 3600, 3)]);
    return secs;
  };
  const notes: string[] = [];
  let redis: PrivateRedis | undefined;
  try {
    const pool1 = await timed('local pool, 1 worker', { file, out: path.join(root, 'pool1'), workers: 1 });
    await timed('local pool, 2 workers', { file, out: path.join(root, 'pool2'), workers: 2 });
    redis = redisServerPath() ? await startPrivateRedis(1800) : undefined;
    if (!redis) notes.push('redis-server not installed: queue rows skipped.');
    else {
      const target = parseRedisUrl(redis.url);
      // A started worker (its pool child spawned, as a worker waiting on a queue would be), then the same sweep.
      const w = await startWorker(target, { concurrency: 1 });
      try {
        const q1 = await timed('BullMQ queue, 1 worker (local Redis)', { file, out: path.join(root, 'queue1'), queue: redis.url, pollMs: 100 });
        notes.push(`Queue overhead against the 1-worker local pool: ${fmt(((q1 - pool1) * 1000) / runs, 3)} ms per run (difference of the two wall times over ${runs} runs; noise of a shared machine is of the order of seconds per run).`);
      } finally {
        await w.close();
      }
      notes.push(`Bare BullMQ round trip (add, take, complete, poll; a processor that does nothing): ${fmt(await noopRoundTrip(target), 3)} ms per job.`);
    }
  } finally {
    await redis?.stop();
    rmSync(root, { recursive: true, force: true });
  }
  return {
    title: 'Sweeps: local pool and BullMQ queue',
    markdown: [
      `Sweep of ${runs} runs of a reduced \`double-well --quick\` (budget 4000, 8 chains, rwm + mala + flow-is with 20 training steps; results.json only). Wall time includes starting the pool's child processes (one TF.js backend each).`,
      '',
      table(['mode', 'runs', 'wall s', 'runs / hour'], rows),
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
