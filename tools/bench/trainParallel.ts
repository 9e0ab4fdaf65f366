// `npm run bench -- --only train-parallel` (issue #20): data-parallel reverse-KL training of the bench RealNVP (the
// torch section's flow: 4 affine couplings, 64×64 tanh conditioners, 2-d double well), one gradient share per thread,
// against the same training on one thread.
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Normal, TransformedDistribution } from '@boltzflow/distributions';
import { DoubleWell } from '@boltzflow/energies';
import { trainKL } from '@boltzflow/training';
import { fmt, median, table, type BenchOptions, type SectionResult } from './common.js';
import { benchRealNVP } from './flowWorker.js';

const ENERGY_MODULE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'trainParallelEnergy.ts');
const WARMUP = 3;

/**
 * Adam steps per second of trainKL on a fresh bench RealNVP with `workers` threads: the wall time between the end of
 * the warm-up steps and the last step, so thread start-up (tsx, a WASM backend per thread) is not counted.
 */
export async function trainParallelRate(batch: number, workers: number, steps: number): Promise<number> {
  const flow = new TransformedDistribution(Normal.standard(2), benchRealNVP(2, 4));
  let t0 = 0;
  let t1 = 0;
  try {
    await trainKL(flow, new DoubleWell(), {
      batchSize: batch,
      steps: WARMUP + steps,
      learningRate: 1e-4,
      seed: 3,
      progressEvery: WARMUP + steps,
      afterStep: (s) => {
        if (s === WARMUP) t0 = performance.now();
        t1 = performance.now();
      },
      ...(workers > 1 ? { parallel: { workers, energyModule: ENERGY_MODULE } } : {}),
    });
  } finally {
    flow.dispose();
  }
  return steps / ((t1 - t0) / 1000);
}

/** The section: 1 vs 2 threads at batch 1024 and 4096, interleaved rounds, medians. */
export async function trainParallelSection(opts: BenchOptions): Promise<SectionResult> {
  const batches = [1024, 4096];
  const stepsFor = (batch: number) => (opts.quick ? 5 : Math.round(40 * (1024 / batch) ** 0.5));
  const rounds = opts.quick ? 1 : 3;
  const cores = os.availableParallelism?.() ?? os.cpus().length;
  const counts = [1, 2];
  const rates: Record<string, number[]> = {};
  for (let r = 0; r < rounds; r++)
    for (const batch of batches) for (const k of counts) (rates[`${batch}|${k}`] ??= []).push(await trainParallelRate(batch, k, stepsFor(batch)));
  const rows: (string | number)[][] = [];
  const data: Record<string, number> = {};
  for (const batch of batches) {
    const one = median(rates[`${batch}|1`]);
    for (const k of counts) {
      const v = median(rates[`${batch}|${k}`]);
      data[`${batch}|${k}`] = v;
      rows.push([batch, stepsFor(batch), k, fmt(v, 3), `${fmt(v / one, 2)}×`, rates[`${batch}|${k}`].map((x) => fmt(x, 3)).join(', ')]);
    }
  }
  const load = os.loadavg().map((l) => l.toFixed(2));
  const markdown = [
    `trainKL (reverse KL, Adam) of the bench RealNVP on the 2-d double well; 1 worker = the single-thread loop, 2 = \`parallel: { workers: 2 }\` (main thread + 1 worker thread, gradients summed). Steps/s after ${WARMUP} warm-up steps (thread start-up not counted); medians of ${rounds} interleaved round(s) on ${cores} logical cores; load average at the end ${load.join(' / ')}.`,
    '',
    table(['batch', 'steps', 'workers', 'steps/s', 'vs 1 worker', 'rounds (steps/s)'], rows),
  ].join('\n');
  return { title: 'Data-parallel training across worker threads', markdown, data };
}
