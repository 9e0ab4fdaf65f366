/**
 * Reference samples for DW4 (Köhler et al. 2020: 4 particles in 2D, a = 0, b = −4, c = 0.9, d₀ = 4, τ = 1) by this
 * library's replica exchange with random-walk Metropolis replicas.
 *   npx tsx tools/particles/generate-reference.ts [chains=40] [steps=4000] [thin=40] [burnIn=1000]
 * Settings: geometric ladder T = 1…4 (6 rungs), RWM step 0.15·√T, swaps every step, start from N(0, 2²) per coordinate.
 * Output: tools/data/dw4-reference.json with centred samples (centre of mass removed), rounded to 1e-4.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { createRng, disposeTree, initBackend } from '@boltzflow/core';
import { MultiDoubleWell } from '@boltzflow/energies';
import { randomWalkMetropolis, replicaExchange } from '@boltzflow/mcmc';

async function main(): Promise<void> {
  await initBackend();
  const [chains = 40, steps = 4000, thin = 40, burnIn = 1000] = process.argv.slice(2).map(Number);
  const P = 4;
  const S = 2;
  const target = new MultiDoubleWell();
  const rng = createRng(2024);
  const x0 = tf.tidy(() => tf.mul(rng.normal([chains, P * S]), 2)) as tf.Tensor2D;
  const temperatures = { minTemperature: 1, maxTemperature: 4, count: 6 };
  const res = replicaExchange(target, {
    temperatures,
    kernel: (u, T) => randomWalkMetropolis(u, { stepSize: 0.15 * Math.sqrt(T) }),
    x0,
    steps,
    burnIn,
    thin,
    rng,
    progressEvery: 1000,
    onProgress: (p) => console.error(`step ${JSON.stringify(p).slice(0, 120)}`),
  });
  const [kept, c, dim] = res.samples.shape;
  const rows: number[][] = [];
  for (let i = 0; i < kept; i++) {
    for (let ch = 0; ch < c; ch++) {
      const r = Array.from({ length: dim }, (_, j) => res.samples.get(i, ch, j));
      for (let a = 0; a < S; a++) {
        const m = (r[a] + r[S + a] + r[2 * S + a] + r[3 * S + a]) / P;
        for (let p = 0; p < P; p++) r[p * S + a] -= m;
      }
      rows.push(r.map((v) => Math.round(v * 1e4) / 1e4));
    }
  }
  const out = {
    system: 'DW4',
    energy: { a: 0, b: -4, c: 0.9, d0: 4, tau: 1 },
    particles: P,
    spatialDim: S,
    sampler: { method: 'replicaExchange(randomWalkMetropolis)', temperatures, stepSize: '0.15*sqrt(T)', chains, steps, burnIn, thin, seed: 2024 },
    acceptanceRate: res.overallAcceptanceRate,
    swapAcceptance: res.swapAcceptance,
    layout: 'rows [n, particles*spatialDim], particle-major, centre of mass removed, order: draw-major then chain',
    samples: rows,
  };
  const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'data', 'dw4-reference.json');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(out));
  console.log(
    `wrote ${rows.length} samples to ${file}; acceptance ${res.overallAcceptanceRate.toFixed(3)}, swaps ${res.swapAcceptance.map((s) => s.toFixed(2)).join(' ')}`,
  );
  disposeTree(res.finalState);
  x0.dispose();
  target.dispose();
}

void main();
