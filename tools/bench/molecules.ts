// Alanine dipeptide force field: seconds per energy and per energy+gradient call at several batch sizes.
import { tf } from '@boltzflow/core';
import { alanineDipeptide } from '@boltzflow/energies';
import { timePerCall, type BenchOptions, type SectionResult } from './common.js';

/** Time of `energy` and of `tf.grad` of its sum for alanine dipeptide at batch 1, 64, 1024 (perturbed minimum). */
export async function moleculesSection(opts: BenchOptions): Promise<SectionResult> {
  const energy = alanineDipeptide();
  const batches = opts.quick ? [1, 64] : [1, 64, 1024];
  const rows: string[] = [];
  const data: { batch: number; energyMs: number; gradMs: number }[] = [];
  const grad = tf.grad((x: tf.Tensor) => tf.sum(energy.energy(x as tf.Tensor2D)));
  for (const n of batches) {
    const x = tf.tidy(() =>
      tf.add(tf.tile(tf.tensor2d(energy.positions, [1, energy.dim]), [n, 1]), tf.randomNormal([n, energy.dim], 0, 0.005, 'float32', 1)),
    ) as tf.Tensor2D;
    const e = timePerCall(() => tf.tidy(() => void energy.energy(x).dataSync()), opts.quick ? 0.3 : 1, 3);
    const g = timePerCall(() => tf.tidy(() => void grad(x).dataSync()), opts.quick ? 0.3 : 1, 3);
    x.dispose();
    data.push({ batch: n, energyMs: e.seconds * 1e3, gradMs: g.seconds * 1e3 });
    rows.push(`| ${n} | ${(e.seconds * 1e3).toFixed(2)} | ${(g.seconds * 1e3).toFixed(2)} | ${((g.seconds * 1e6) / n).toFixed(1)} |`);
  }
  energy.dispose();
  return {
    title: 'Alanine dipeptide force field (22 atoms, Amber ff99SB-ILDN, vacuum)',
    markdown: [
      `Backend ${tf.getBackend()}. One call = u(x) for a batch of perturbed minimised conformations; "+ grad" = tf.grad of Σu (what MALA/HMC/flow training use).`,
      '',
      '| batch | energy ms | energy + grad ms | µs per conformation (grad) |',
      '| ---: | ---: | ---: | ---: |',
      ...rows,
    ].join('\n'),
    data,
  };
}

if (process.argv[1]?.endsWith('molecules.ts')) {
  const { initBackend } = await import('@boltzflow/core');
  await initBackend();
  const r = await moleculesSection({ quick: process.argv.includes('--quick'), backends: [] });
  console.log(r.markdown);
}
