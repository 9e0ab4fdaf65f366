// Child process of the flow-cost bench: one backend per process (tfjs backends are per process).
// Usage: node --import tsx bench/flowWorker.ts <backend> <quick 0|1> <budgetSeconds>; prints one JSON line prefixed "RESULT ".
import { createRng, tf, type Bijector, type Energy } from '@boltzflow/core';
import { AffineCoupling, SplineCoupling, MaskedAutoregressiveFlow, Chain } from '@boltzflow/bijectors';
import { DoubleWell, ManyWell, LennardJones } from '@boltzflow/energies';
import { startBackendWorker } from './backendWorker.js';

export interface FlowCostRow {
  flow: string;
  dim: number;
  batch: number;
  forwardSamplesPerSecond: number | null;
  klStepSamplesPerSecond: number | null;
  note?: string;
}

/**
 * The benchmarks' RealNVP: `layers` affine couplings with alternating masks and 64×64 tanh conditioners (the flow the
 * PyTorch side of the torch section rebuilds); `secondOrder` picks the conditioners' second-order-exact activations.
 */
export function benchRealNVP(dim: number, layers = 4, secondOrder = false): Bijector {
  const rng = createRng(1);
  return new Chain(
    Array.from(
      { length: layers },
      (_, i) =>
        new AffineCoupling({
          dim,
          mask: Array.from({ length: dim }, (_, j) => ((j + i) % 2 === 0 ? 1 : 0)),
          hidden: [64, 64],
          activation: 'tanh',
          outputScale: 0.1,
          secondOrder,
          rng,
        }),
    ),
  );
}

export function buildFlow(kind: string, dim: number): Bijector {
  const rng = createRng(1);
  const layers: Bijector[] = [];
  if (kind === 'realnvp') return benchRealNVP(dim);
  if (kind === 'spline') {
    for (let i = 0; i < 4; i++)
      layers.push(
        new SplineCoupling({ dim, mask: Array.from({ length: dim }, (_, j) => ((j + i) % 2 === 0 ? 1 : 0)), hidden: [64, 64], bins: 8, outputScale: 0.1, rng }),
      );
  } else {
    for (let i = 0; i < 2; i++) {
      const order = Array.from({ length: dim }, (_, j) => (i % 2 === 0 ? j : dim - 1 - j));
      layers.push(new MaskedAutoregressiveFlow({ dim, hidden: [64, 64], order, outputScale: 0.1, rng }));
    }
  }
  return new Chain(layers);
}

export function energyFor(dim: number): Energy {
  if (dim === 2) return new DoubleWell();
  if (dim === 39) return new LennardJones({ particles: 13, spatialDim: 3 });
  return new ManyWell({ dim });
}

async function main(): Promise<void> {
  const worker = await startBackendWorker<FlowCostRow>(120);
  if (!worker) return;
  const { quick, budget, out } = worker;
  const t0 = performance.now();
  const flows = ['realnvp', 'spline', 'maf'];
  const dims = [2, 32, 39];
  const batches = quick ? [256] : [256, 4096];
  const configs = batches.flatMap((batch) => dims.flatMap((dim) => flows.map((flow) => ({ flow, dim, batch }))));
  // A RESULT line after every row (the finished rows, the rest marked not reached), so that a worker killed at the
  // parent's hard stop still reports what it measured; the parent reads the last line.
  const report = () =>
    worker.report(
      configs
        .slice(out.rows.length)
        .map((c) => ({ ...c, forwardSamplesPerSecond: null, klStepSamplesPerSecond: null, note: 'skipped: not reached before the hard time limit' })),
    );
  const rng = createRng(2);
  for (const { flow, dim, batch } of configs) {
    if (performance.now() - t0 > budget) {
      out.rows.push({ flow, dim, batch, forwardSamplesPerSecond: null, klStepSamplesPerSecond: null, note: 'skipped: backend time budget spent' });
      continue;
    }
    const bij = buildFlow(flow, dim);
    const energy = energyFor(dim);
    const z = rng.normal([batch, dim]).mul(0.5) as tf.Tensor2D;
    const minSec = quick ? 0.05 : 0.3;
    const time = async (f: () => Promise<void>): Promise<number> => {
      await f(); // warm-up (kernel compilation, shader creation)
      let reps = 0;
      const s = performance.now();
      while (reps < 1 || (performance.now() - s < minSec * 1000 && reps < 50)) {
        await f();
        reps++;
      }
      return (performance.now() - s) / 1000 / reps;
    };
    const fwd = await time(async () => {
      const r = bij.forward(z);
      // Wait for the result so asynchronous backends (webgpu) are timed for real; async read because
      // webgpu's dataSync needs OffscreenCanvas, which Node lacks.
      await r.logDet.data();
      tf.dispose([r.y, r.logDet]);
    });
    const opt = tf.train.adam(1e-4);
    const vars = bij.trainableVariables;
    const kl = await time(async () => {
      const loss = opt.minimize(
        () => {
          const { y, logDet } = bij.forward(z);
          return tf.mean(tf.sub(tf.minimum(energy.energy(y), 1e4), logDet)) as tf.Scalar;
        },
        true,
        vars,
      );
      await loss?.data();
      loss?.dispose();
    });
    out.rows.push({ flow, dim, batch, forwardSamplesPerSecond: batch / fwd, klStepSamplesPerSecond: batch / kl });
    opt.dispose();
    z.dispose();
    bij.dispose();
    report();
  }
  report();
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) await main();
