// Child process of the per-backend MCMC bench: one backend per process (tfjs backends are per process).
// Usage: node --import tsx bench/chainsWorker.ts <backend> <quick 0|1> <budgetSeconds>; prints JSON lines prefixed "RESULT ".
// Times RWM and MALA on the double well through sampleChainAsync (asynchronous reads, so it runs on webgpu in Node),
// in wall-clock time: on a GPU the work is not in this process's CPU time.
import { createRng, tf, type ChainState, type Kernel } from '@boltzflow/core';
import { DoubleWell } from '@boltzflow/energies';
import { disposeStateExcept, mala, randomWalkMetropolis, sampleChainAsync } from '@boltzflow/mcmc';
import { startBackendWorker } from './backendWorker.js';

export interface ChainRateRow {
  sampler: 'rwm' | 'mala';
  chains: number;
  steps: number;
  /** Chain-steps per second (wall clock), one kept draw per run. */
  chainStepsPerSecond: number | null;
  note?: string;
}

async function main(): Promise<void> {
  const worker = await startBackendWorker<ChainRateRow>(60);
  if (!worker) return;
  const { quick, budget, out } = worker;
  const t0 = performance.now();
  const energy = new DoubleWell();
  const counts = quick ? [1024, 16384] : [1024, 16384, 262144, 1048576];
  // Smallest chain counts first, both samplers at each: a slow backend that spends its budget still reports both.
  const configs = counts.flatMap((chains) => (['rwm', 'mala'] as const).map((sampler) => ({ sampler, chains })));
  const report = () =>
    worker.report(
      configs.slice(out.rows.length).map((c) => ({ ...c, steps: 0, chainStepsPerSecond: null, note: 'skipped: not reached before the hard time limit' })),
    );
  for (const { sampler, chains } of configs) {
    if (performance.now() - t0 > budget) {
      out.rows.push({ sampler, chains, steps: 0, chainStepsPerSecond: null, note: 'skipped: backend time budget spent' });
      continue;
    }
    const kernel = (sampler === 'rwm' ? randomWalkMetropolis(energy, { stepSize: 0.5 }) : mala(energy, { stepSize: 0.05 })) as unknown as Kernel<ChainState>;
    const rng = createRng(3);
    const x = tf.tidy(() => tf.mul(rng.normal([chains, 2]), 1.5) as tf.Tensor2D);
    const run = async (steps: number) => {
      const r = await sampleChainAsync(kernel, x, { steps, thin: steps, rng });
      disposeStateExcept(r.finalState, undefined);
    };
    await run(5); // warm-up: shader compilation, first allocations
    // Grow the run until it takes ≥ 0.5 s (0.2 s with --quick): per-run overheads (init, the final read) amortised.
    const minMs = quick ? 200 : 500;
    let steps = 10;
    let ms = 0;
    for (;;) {
      const s = performance.now();
      await run(steps);
      ms = performance.now() - s;
      if (ms >= minMs || steps >= 20000 || performance.now() - t0 > budget) break;
      steps = Math.min(20000, Math.ceil(steps * Math.max(2, (1.2 * minMs) / Math.max(ms, 1))));
    }
    x.dispose();
    out.rows.push({ sampler, chains, steps, chainStepsPerSecond: (chains * steps) / (ms / 1000) });
    report();
  }
  report();
}

await main();
process.exit(0);
