// End-to-end sweeps: sequential, local pool and BullMQ queue (private redis-server) give the same runs; a killed worker's
// run completes elsewhere once; a run that always fails lands in the dead-letter list; resumed sweeps run nothing twice.
// Each run is a reduced double-well --quick (budget 4000, 8 chains, 20 training steps; ≈ 3–6 s of CPU on one core,
// plus ≈ 5–15 s to start a worker process).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDir } from '../src/sweep/execute.js';
import { deadLetters, openQueue, parseRedisUrl, DEFAULT_QUEUE_NAME } from '../src/sweep/queue.js';
import { redisServerPath, startPrivateRedis, type PrivateRedis } from '../src/sweep/redisServer.js';
import { expandSweep } from '../src/sweep/spec.js';
import { runSweep, type SweepOutcome } from '../src/sweep/sweep.js';
import { processAlive } from '@boltzflow/training';
import { dropTimings } from './timings.js';

const hasRedis = redisServerPath() !== undefined;
if (!hasRedis) console.warn('sweepQueue.test.ts: redis-server not found (apt-get install -y redis-server); the queue tests are skipped');

const BIN = fileURLToPath(new URL('../bin/boltzflow.js', import.meta.url));
const TINY = {
  budget: 4000,
  chains: 8,
  samplers: ['rwm', 'mala', 'flow-is'],
  training: { steps: 20, batchSize: 64 },
  flow: { dataSamples: 512, layers: 2, hidden: 8 },
};
const spec = (seeds: number[]) => ({ name: 'tiny', seeds, report: false, experiments: [{ experiment: 'double-well', quick: true, params: TINY }] });

/** results.json without what legitimately differs between executions (timings). */
async function stripped(dir: string): Promise<unknown> {
  const text = await readFile(path.join(dir, 'results.json'), 'utf8');
  return JSON.parse(text, dropTimings);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(f: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 120_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

interface Proc {
  child: ChildProcess;
  log: string[];
}

function start(cmd: string, args: string[]): Proc {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  child.stdout!.on('data', (b: Buffer) => log.push(...b.toString().split('\n').filter(Boolean)));
  child.stderr!.on('data', (b: Buffer) => log.push(...b.toString().split('\n').filter(Boolean)));
  return { child, log };
}

async function stop(p: Proc | undefined): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise((r) => p.child.once('exit', r));
  p.child.kill('SIGTERM');
  const t = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(t);
}

describe.skipIf(!hasRedis)('boltzflow sweep: local pool and BullMQ queue', () => {
  let root: string;
  let url: string;
  let redis: PrivateRedis | undefined;
  const workers: Proc[] = [];
  let file: string;
  let seq: SweepOutcome;
  const log = () => undefined;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'bf-sweepq-'));
    file = path.join(root, 'tiny.json');
    await writeFile(file, JSON.stringify(spec([1, 2, 3])));
    // Loopback, free port, no persistence, bounded life (`timeout`) even if this process dies without afterAll.
    redis = await startPrivateRedis(1800);
    url = redis.url;
    // Workers start now (≈ 10 s of imports each) while the sequential reference runs in this process.
    for (let i = 0; i < 2; i++) workers.push(start(process.execPath, [BIN, 'worker', '--queue', url, '--lock-ms', '4000']));
    seq = await runSweep({ file, out: path.join(root, 'seq'), workers: 0, log });
    expect(seq.failed).toEqual([]);
  }, 400_000);

  afterAll(async () => {
    await Promise.all(workers.map(stop));
    await redis?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  }, 60_000);

  it('the queue with 2 workers and the local pool with 2 workers reproduce the sequential runs exactly (timings aside)', async () => {
    const pool = await runSweep({ file, out: path.join(root, 'pool'), workers: 2, log });
    const queued = await runSweep({ file, out: path.join(root, 'queue'), queue: url, pollMs: 250, log });
    for (const o of [pool, queued]) {
      expect(o.failed).toEqual([]);
      expect(o.executed.sort()).toEqual(seq.runs.map((r) => r.id).sort());
    }
    for (const r of seq.runs) {
      const ref = await stripped(runDir(seq.dir, r.id));
      expect(await stripped(runDir(pool.dir, r.id)), r.id).toEqual(ref);
      expect(await stripped(runDir(queued.dir, r.id)), r.id).toEqual(ref);
    }
    // The summary (no timings in evals/ESS, cost, ΔF error, ratio) is the same too.
    const strip = (o: SweepOutcome) => o.summary.groups.map((g) => ({ ...g, samplers: g.samplers.map(({ secondsPerEss: _s, ...x }) => x) }));
    expect(strip(queued)).toEqual(strip(seq));
    expect(strip(pool)).toEqual(strip(seq));
    expect(seq.summary.groups[0].verdict).toMatch(/^double-well: flow-is /);
    expect(JSON.parse(await readFile(path.join(queued.dir, 'sweep-summary.json'), 'utf8')).runs).toEqual({ total: 3, completed: 3, failed: 0 });
  }, 600_000);

  it('a resumed sweep runs nothing twice and reruns only what is missing', async () => {
    const dir = path.join(root, 'pool');
    const before = await Promise.all(seq.runs.map((r) => stat(path.join(runDir(dir, r.id), 'results.json')).then((s) => s.mtimeMs)));
    const again = await runSweep({ file, out: dir, workers: 2, log });
    expect(again.executed).toEqual([]);
    expect(again.skipped.sort()).toEqual(seq.runs.map((r) => r.id).sort());
    const after = await Promise.all(seq.runs.map((r) => stat(path.join(runDir(dir, r.id), 'results.json')).then((s) => s.mtimeMs)));
    expect(after).toEqual(before);
    const lost = seq.runs[1].id;
    await rm(runDir(dir, lost), { recursive: true });
    const resumed = await runSweep({ file, out: dir, workers: 2, log });
    expect(resumed.executed).toEqual([lost]);
    expect(await stripped(runDir(dir, lost))).toEqual(await stripped(runDir(seq.dir, lost)));
    // Through the queue as well: completed runs are not queued again.
    const q = await runSweep({ file, out: path.join(root, 'queue'), queue: url, pollMs: 250, log });
    expect(q.executed).toEqual([]);
    expect(q.skipped).toHaveLength(3);
  }, 600_000);

  it('a run that always fails ends in the dead-letter list after its retries, and nothing half-written remains', async () => {
    const out = path.join(root, 'dead');
    const f = path.join(root, 'dead.json');
    await writeFile(f, JSON.stringify(spec([7])));
    const [run] = expandSweep(spec([7]));
    // A file where the run's directory must go: every attempt fails (fast, before computing) as a full disk would.
    await mkdir(path.join(out, 'runs'), { recursive: true });
    await writeFile(runDir(out, run.id), 'in the way');
    const o = await runSweep({ file: f, out, queue: url, force: true, attempts: 2, backoffMs: 100, pollMs: 250, log });
    expect(o.executed).toEqual([]);
    // Both attempts counted: the poll reads a job's state before the job itself (a job read first could be the snapshot
    // of attempt 1 while the state read after it is already the final 'failed', which under load reported 1 of 2).
    expect(o.failed).toEqual([
      { id: run.id, group: expect.any(String), seed: expect.any(Number), error: expect.stringMatching(/exists but is not a completed run/), attempts: 2 },
    ]);
    expect(o.summary.failed[0].id).toBe(run.id);
    const h = await openQueue(parseRedisUrl(url), DEFAULT_QUEUE_NAME);
    try {
      const dead = await waitFor(async () => (await deadLetters(h)).find((d) => d.runId === run.id), 'the dead-letter entry', 30_000);
      expect(dead).toMatchObject({ error: expect.stringMatching(/exists but is not a completed run/) });
    } finally {
      await h.close();
    }
    expect(await readFile(runDir(out, run.id), 'utf8')).toBe('in the way');
    expect(existsSync(path.join(out, '.staging')) ? await readdir(path.join(out, '.staging')) : []).toEqual([]);
  }, 300_000);

  it('SIGKILL of the worker running a job: the run completes on the other worker, once', async () => {
    const out = path.join(root, 'kill');
    const f = path.join(root, 'kill.json');
    await writeFile(f, JSON.stringify(spec([2])));
    const [run] = expandSweep(spec([2]));
    const sweep = runSweep({ file: f, out, queue: url, pollMs: 250, log });
    // Only this test's log lines: the same run id ran on these workers in the first test, and a match on those old
    // lines picked the wrong worker as the victim (its "orphan" was then the survivor's own pool child).
    const seen = workers.map((w) => w.log.length);
    const fresh = (w: Proc): string[] => w.log.slice(seen[workers.indexOf(w)]);
    const victim = await waitFor(() => workers.find((w) => fresh(w).some((l) => l.includes(`run ${run.id} (attempt`))), 'a worker to take the run');
    const survivor = workers.find((w) => w !== victim)!;
    // Kill mid-run: once the run's staging files exist (the child is computing).
    const staged = await waitFor(
      async () => (existsSync(path.join(out, '.staging')) ? (await readdir(path.join(out, '.staging'))).find((n) => n.startsWith(run.id)) : undefined),
      'the run to start',
    );
    victim.child.kill('SIGKILL');
    const o = await sweep;
    expect(o.failed).toEqual([]);
    expect(o.executed).toEqual([run.id]);
    expect(fresh(survivor).some((l) => l.includes(`run ${run.id} (attempt`))).toBe(true);
    expect(fresh(survivor).some((l) => l.includes(`run ${run.id} done in`))).toBe(true);
    expect(await readdir(path.join(out, 'runs'))).toEqual([run.id]);
    expect(await stripped(runDir(out, run.id))).toEqual(await stripped(runDir(seq.dir, run.id)));
    // The killed worker's child process (its pid is in the staging name) exits once its event loop sees the closed IPC
    // channel: at the next await of the run, at the latest when the run returns, before anything is renamed.
    // Staging names are <id>.<host>.<pid>.<8 hex>[.config.json[.<temp suffix>]].
    const childPid = Number(new RegExp(`^${run.id}\\.(.+)\\.(\\d+)\\.([0-9a-f]{8})(?:\\.config\\.json.*)?$`).exec(staged)![2]);
    // (On an idle core that is seconds; on an oversubscribed 2-core machine the run's remaining CPU can take minutes.)
    await waitFor(() => !processAlive(childPid) || undefined, `child ${childPid} of the killed worker to exit`, 400_000);
    expect(await readdir(path.join(out, 'runs'))).toEqual([run.id]);
    const marker = JSON.parse(await readFile(path.join(runDir(out, run.id), 'sweep-run.json'), 'utf8')) as { pid: number };
    expect(marker.pid).not.toBe(childPid);
  }, 900_000);
});
