/**
 * Reference samples for LJ13 (Köhler et al. 2020: 13 particles in 3D, ε = r_m = τ = 1, harmonic term ½ Σᵢ‖xᵢ − x̄‖²,
 * soft core below 0.6 r_m) by this library's replica exchange with random-walk Metropolis replicas.
 *   npx tsx tools/particles/generate-lj13.ts [chains=16] [steps=12000] [thin=60] [burnIn=4000] [stepSize=0.04] [pairSum=i!=j] [maxT=2]
 * pairSum 'i!=j' (default) counts every pair twice, as the equivariant-flow codes do (bgflow's LennardJonesPotential
 * sums over all ordered pairs; Klein et al. 2023's LJ13 data are in this convention); 'i<j' counts each pair once.
 * Settings: geometric ladder T = 1…2 (5 rungs), RWM step stepSize·√T on all 39 coordinates, swaps every step; start:
 * 13 particles on a jittered 3×3×2 grid with spacing r_m (no overlaps). Output: tools/data/lj13-reference.json, centred
 * samples (centre of mass removed) rounded to 1e-3 (the data set must stay small).
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { createRng, disposeTree, initBackend } from '@boltzflow/core';
import { LennardJones } from '@boltzflow/energies';
import { randomWalkMetropolis, replicaExchange } from '@boltzflow/mcmc';

async function main(): Promise<void> {
  await initBackend();
  const argv = process.argv.slice(2);
  const [chains = 16, steps = 12000, thin = 60, burnIn = 4000, stepSize = 0.04] = argv.slice(0, 5).map(Number);
  const pairSum = (argv[5] ?? 'i!=j') as 'i<j' | 'i!=j';
  const maxTemperature = Number(argv[6] ?? 2);
  const P = 13;
  const S = 3;
  const target = new LennardJones({ pairSum });
  const rng = createRng(2025);
  const grid: number[] = [];
  for (let i = 0; i < 3 && grid.length < P * S; i++)
    for (let j = 0; j < 3 && grid.length < P * S; j++) for (let k = 0; k < 2 && grid.length < P * S; k++) grid.push(i - 1, j - 1, k - 0.5);
  const jitter = rng.normal([chains, P * S]);
  const x0 = tf.tidy(() => tf.add(tf.tile(tf.tensor2d(grid, [1, P * S]), [chains, 1]), tf.mul(jitter, 0.05))) as tf.Tensor2D;
  jitter.dispose();
  const temperatures = { minTemperature: 1, maxTemperature, count: 5 };
  const t0 = Date.now();
  const res = replicaExchange(target, {
    temperatures,
    kernel: (u, T) => randomWalkMetropolis(u, { stepSize: stepSize * Math.sqrt(T) }),
    x0,
    steps,
    burnIn,
    thin,
    rng,
    progressEvery: 1000,
    onProgress: (p) => console.error(`${((Date.now() - t0) / 1000).toFixed(0)}s ${JSON.stringify(p).slice(0, 160)}`),
  });
  const [kept, c, dim] = res.samples.shape;
  const rows: number[][] = [];
  for (let i = 0; i < kept; i++) {
    for (let ch = 0; ch < c; ch++) {
      const r = Array.from({ length: dim }, (_, j) => res.samples.get(i, ch, j));
      for (let a = 0; a < S; a++) {
        let m = 0;
        for (let p = 0; p < P; p++) m += r[p * S + a] / P;
        for (let p = 0; p < P; p++) r[p * S + a] -= m;
      }
      rows.push(r.map((v) => Math.round(v * 1e3) / 1e3));
    }
  }
  const u = Array.from(target.energy(tf.tensor2d(rows)).dataSync());
  const meanU = u.reduce((s, v) => s + v, 0) / u.length;
  const out = {
    system: 'LJ13',
    energy: { epsilon: 1, rm: 1, tau: 1, oscillatorScale: 1, pairSum, softCore: 0.6 },
    particles: P,
    spatialDim: S,
    sampler: {
      method: 'replicaExchange(randomWalkMetropolis)',
      temperatures,
      stepSize: `${stepSize}*sqrt(T)`,
      chains,
      steps,
      burnIn,
      thin,
      seed: 2025,
      start: 'jittered 3x3x2 grid, spacing 1',
    },
    acceptanceRate: res.overallAcceptanceRate,
    swapAcceptance: res.swapAcceptance,
    meanEnergy: meanU,
    seconds: (Date.now() - t0) / 1000,
    layout: 'rows [n, particles*spatialDim], particle-major, centre of mass removed, order: draw-major then chain',
    samples: rows,
  };
  const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'data', 'lj13-reference.json');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(out));
  console.log(
    `wrote ${rows.length} samples to ${file}; mean energy ${meanU.toFixed(3)}, acceptance ${res.overallAcceptanceRate.toFixed(3)}, swaps ${res.swapAcceptance.map((s) => s.toFixed(2)).join(' ')}`,
  );
  disposeTree(res.finalState);
  x0.dispose();
  target.dispose();
}

void main();
