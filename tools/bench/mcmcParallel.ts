// `npm run bench -- --only parallel` (issue #20): chains split across worker_threads, one tfjs WASM backend per
// thread, for the 16384-chain RWM/MALA throughput rows of the torch section. TF.js's threaded WASM build does not run
// threads in Node (BENCHMARKS.md, "Using every core"), so this is the way the library's MCMC uses more than one core.
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { createRng } from '@boltzflow/core';
import { fmt, fmtRate, table, type BenchOptions, type SectionResult, median } from './common.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Chain-steps per second of `chains` chains split evenly over `workers` threads (wall time from a common start). */
export async function parallelRate(kind: 'rwm' | 'mala', chains: number, workers: number, steps: number, seed = 7): Promise<number> {
  const streams = createRng(seed).split(workers);
  const per = Math.ceil(chains / workers);
  const ws = streams.map(
    (s, i) =>
      // An eval'd bootstrap registers tsx in the thread, then loads the TypeScript worker (execArgv --import is not
      // honoured for worker threads on Node 20).
      new Worker(
        `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(pathToFileURL(path.join(here, 'mcmcParallelWorker.ts')).href)}); })`,
        {
          eval: true,
          workerData: { kind, chains: Math.min(per, chains - i * per), steps, seed: s.getState().seed },
        },
      ),
  );
  try {
    await Promise.all(ws.map((w) => new Promise<void>((res, rej) => (w.once('message', () => res()), w.once('error', rej)))));
    const t0 = performance.now();
    const done = ws.map((w) => new Promise<void>((res, rej) => (w.once('message', () => res()), w.once('error', rej))));
    for (const w of ws) w.postMessage('go');
    await Promise.all(done);
    return (chains * steps) / ((performance.now() - t0) / 1000);
  } finally {
    await Promise.all(ws.map((w) => w.terminate()));
  }
}

/** The section: 1 vs 2 (and, on a larger machine, all-core) workers, interleaved rounds, medians, at two chain counts. */
export async function parallelSection(opts: BenchOptions): Promise<SectionResult> {
  // 16384 chains (the torch section's workload) and 8× more: a step has a fixed cost (≈ 25 op dispatches, the
  // host read) that splitting does not shrink, so scaling shows only when each worker has enough chains.
  const chainCounts = opts.quick ? [16384] : [16384, 131072, 1048576];
  const stepsFor = (chains: number) => Math.max(20, Math.round((opts.quick ? 40 : 150) * (16384 / chains) ** 0.5));
  const rounds = opts.quick ? 1 : 3;
  const cores = os.availableParallelism?.() ?? os.cpus().length;
  const counts = [...new Set([1, 2, cores].filter((c) => c <= Math.max(2, cores)))];
  const rates: Record<string, number[]> = {};
  for (let r = 0; r < rounds; r++)
    for (const chains of chainCounts)
      for (const kind of ['rwm', 'mala'] as const)
        for (const k of counts) (rates[`${kind}|${chains}|${k}`] ??= []).push(await parallelRate(kind, chains, k, stepsFor(chains)));
  const rows: (string | number)[][] = [];
  const data: Record<string, number> = {};
  for (const chains of chainCounts)
    for (const kind of ['rwm', 'mala'] as const) {
      const one = median(rates[`${kind}|${chains}|1`]);
      for (const k of counts) {
        const v = median(rates[`${kind}|${chains}|${k}`]);
        data[`${kind}|${chains}|${k}`] = v;
        rows.push([kind.toUpperCase(), chains, stepsFor(chains), k, `${fmtRate(v)}/s`, `${fmt(v / one, 2)}×`]);
      }
    }
  const markdown = [
    `Chains on the double well split evenly over worker_threads (one tfjs WASM backend each), after 5 warm-up steps, wall time from a common start; medians of ${rounds} interleaved round(s) on ${cores} logical cores.`,
    '',
    table(['sampler', 'chains', 'steps', 'workers', 'chain-steps/s', 'vs 1 worker'], rows),
  ].join('\n');
  return { title: 'MCMC chains split across worker threads', markdown, data };
}
