// `npm run bench -- --only torch` (issue #20): boltzflow against PyTorch on the CPU, the same workloads side by side.
// The PyTorch side is tools/bench/torchBench.py under Debian's python3-torch (/usr/bin/python3), float32,
// OPENBLAS_NUM_THREADS=1, at 1 and 2 torch threads. Rounds interleave the two sides (boltzflow, torch 1 thread,
// torch 2 threads, …) and the table reports medians, so a shared machine's load hits both sides alike.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng, tf, type ChainState, type Kernel } from '@boltzflow/core';
import { DoubleWell, ManyWell } from '@boltzflow/energies';
import { disposeStateExcept, mala, randomWalkMetropolis } from '@boltzflow/mcmc';
import { FlatAdamOptimizer } from '@boltzflow/training';
import { fmt, fmtRate, table, timePerCall, type BenchOptions, type SectionResult, median } from './common.js';
import { benchRealNVP } from './flowWorker.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const PYTHON = '/usr/bin/python3';

interface Workload {
  key: string;
  label: string;
  /** Rate workloads (MCMC) report chain-steps per second; the others milliseconds per call. */
  chains?: number;
  run: (minSeconds: number) => number;
}

/** Seconds per call after one warm-up call, at least 2 calls and `minSeconds` (at most 200 calls). */
function timed(f: () => void, minSeconds: number): number {
  f();
  return timePerCall(f, minSeconds, 2, 200).seconds;
}

function klStep(dim: number, layers: number, batch: number, minSeconds: number, secondOrder = false): number {
  const bij = benchRealNVP(dim, layers, secondOrder);
  const energy = dim === 2 ? new DoubleWell() : new ManyWell({ dim });
  const z = tf.tidy(() => tf.mul(createRng(2).normal([batch, dim]), 0.5) as tf.Tensor2D);
  // The optimiser runObjective trains with (flat Adam moments; the same arithmetic as tf.train.adam).
  const opt = new FlatAdamOptimizer(1e-4);
  const vars = bij.trainableVariables;
  const s = timed(() => {
    const loss = opt.minimize(
      () => {
        const { y, logDet } = bij.forward(z);
        return tf.mean(tf.sub(tf.minimum(energy.energy(y), 1e4), logDet)) as tf.Scalar;
      },
      true,
      vars,
    );
    loss?.dataSync();
    loss?.dispose();
  }, minSeconds);
  opt.dispose();
  z.dispose();
  bij.dispose();
  return s;
}

const LOG_2PI = Math.log(2 * Math.PI);

function sampleLogQ(n: number, minSeconds: number): number {
  const bij = benchRealNVP(2, 4);
  const rng = createRng(3);
  const s = timed(() => {
    const lq = tf.tidy(() => {
      const z = rng.normal([n, 2]) as tf.Tensor2D;
      const { y, logDet } = bij.forward(z);
      y.dispose();
      return tf.sum(tf.sub(tf.sub(tf.mul(tf.sum(tf.square(z), 1), -0.5), LOG_2PI), logDet));
    });
    lq.dataSync();
    lq.dispose();
  }, minSeconds);
  bij.dispose();
  return s;
}

function logQGiven(n: number, minSeconds: number): number {
  const bij = benchRealNVP(2, 4);
  const x = createRng(4).normal([n, 2]) as tf.Tensor2D;
  const s = timed(() => {
    const lq = tf.tidy(() => {
      const { x: z, logDet } = bij.inverse(x);
      return tf.sum(tf.add(tf.sub(tf.mul(tf.sum(tf.square(z), 1), -0.5), LOG_2PI), logDet));
    });
    lq.dataSync();
    lq.dispose();
  }, minSeconds);
  x.dispose();
  bij.dispose();
  return s;
}

function mcmcStep(kind: 'rwm' | 'mala', n: number, minSeconds: number): number {
  const target = new DoubleWell();
  const kernel = (kind === 'rwm' ? randomWalkMetropolis(target, { stepSize: 0.5 }) : mala(target, { stepSize: 0.05 })) as unknown as Kernel<ChainState>;
  const rng = createRng(5);
  const x = rng.normal([n, 2]) as tf.Tensor2D;
  let state = kernel.init(x);
  const s = timed(() => {
    const { state: next, info } = kernel.step(state, rng);
    disposeStateExcept(state, next);
    tf.dispose(Object.values(info).filter((v) => v instanceof tf.Tensor) as tf.Tensor[]);
    state = next;
    // One host read per step, as sampleChain's acceptance bookkeeping does, so the step is timed to completion.
    state.energy.dataSync();
  }, minSeconds);
  tf.dispose(Object.values(state).filter((v) => v instanceof tf.Tensor) as tf.Tensor[]);
  if (!x.isDisposed) x.dispose();
  return s;
}

export const TORCH_WORKLOADS: Workload[] = [
  { key: 'kl256', label: 'reverse-KL Adam step, batch 256', run: (m) => klStep(2, 4, 256, m) },
  { key: 'kl1024', label: 'reverse-KL Adam step, batch 1024', run: (m) => klStep(2, 4, 1024, m) },
  {
    key: 'kl1024so',
    label: 'the same with second-order-exact conditioners (the pre-#20 default; PyTorch side unchanged)',
    run: (m) => klStep(2, 4, 1024, m, true),
  },
  { key: 'kl4096', label: 'reverse-KL Adam step, batch 4096', run: (m) => klStep(2, 4, 4096, m) },
  { key: 'kl32', label: 'KL step, dim 32 ManyWell, 8 layers, batch 1024', run: (m) => klStep(32, 8, 1024, m) },
  {
    key: 'kl32so',
    label: 'the same with second-order-exact conditioners (the pre-#20 default; PyTorch side unchanged)',
    run: (m) => klStep(32, 8, 1024, m, true),
  },
  { key: 'sample100k', label: 'sample + log q, 100k points', run: (m) => sampleLogQ(100_000, m) },
  { key: 'logq100k', label: 'log q of given points, 100k', run: (m) => logQGiven(100_000, m) },
  { key: 'rwm16384', label: 'RWM, 16384 chains (chain-steps/s)', chains: 16384, run: (m) => mcmcStep('rwm', 16384, m) },
  { key: 'mala16384', label: 'MALA, 16384 chains (chain-steps/s)', chains: 16384, run: (m) => mcmcStep('mala', 16384, m) },
];

/** True when Debian's python3-torch imports. */
export function torchAvailable(): boolean {
  const r = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
  return r.status === 0;
}

function runTorch(threads: number, quick: boolean, keys: string[]): { seconds: Record<string, number>; blas: string } {
  const r = spawnSync(PYTHON, [path.join(here, 'torchBench.py'), String(threads), quick ? '1' : '0', keys.join(',')], {
    encoding: 'utf8',
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: String(threads) },
    timeout: 600_000,
  });
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`torchBench.py (${threads} threads) failed: ${(r.stderr ?? '').slice(-400)}`);
  const out = JSON.parse(line.slice(7)) as { seconds: Record<string, number>; blas?: string };
  return { seconds: out.seconds, blas: out.blas ?? 'unknown' };
}

/** The torch section: interleaved rounds, medians, ratio = boltzflow time ÷ PyTorch 1-thread time. */
export function torchSection(opts: BenchOptions): SectionResult {
  const title = 'boltzflow vs PyTorch (CPU)';
  if (!torchAvailable()) {
    const msg = `Skipped: PyTorch is not importable by ${PYTHON} (install Debian's python3-torch).`;
    process.stderr.write(`bench: torch: ${msg}\n`);
    return { title, markdown: msg };
  }
  const only = process.env.BOLTZFLOW_TORCH_WORKLOADS?.split(',');
  const workloads = only ? TORCH_WORKLOADS.filter((w) => only.includes(w.key)) : TORCH_WORKLOADS;
  const rounds = opts.quick ? 1 : 3;
  const minSeconds = opts.quick ? 0.1 : 0.4;
  const ours: Record<string, number[]> = {};
  const t1: Record<string, number[]> = {};
  const t2: Record<string, number[]> = {};
  const keys = workloads.map((w) => w.key);
  let blas = 'unknown';
  for (let r = 0; r < rounds; r++) {
    for (const w of workloads) (ours[w.key] ??= []).push(w.run(minSeconds));
    const one = runTorch(1, opts.quick, keys);
    blas = one.blas;
    for (const [k, v] of Object.entries(one.seconds)) (t1[k] ??= []).push(v);
    for (const [k, v] of Object.entries(runTorch(2, opts.quick, keys).seconds)) (t2[k] ??= []).push(v);
  }
  const rows: (string | number)[][] = [];
  const data: Record<string, { ours: number; torch1: number; torch2: number; ratio: number }> = {};
  for (const w of workloads) {
    const o = median(ours[w.key]);
    const a = median(t1[w.key]);
    const b = median(t2[w.key]);
    const ratio = o / a;
    data[w.key] = { ours: o, torch1: a, torch2: b, ratio };
    const show = (s: number) => (w.chains ? `${fmtRate(w.chains / s)}/s` : `${fmt(s * 1000)} ms`);
    rows.push([w.label, show(o), show(a), show(b), w.chains ? (ratio > 1 ? `${fmt(ratio, 2)}× slower` : `${fmt(1 / ratio, 2)}× faster`) : `${fmt(ratio, 2)}×`]);
  }
  const markdown = [
    `Medians of ${rounds} interleaved round(s) (boltzflow, torch 1 thread, torch 2 threads); float32; OPENBLAS_NUM_THREADS=1.`,
    'ratio = boltzflow time ÷ PyTorch 1-thread time (for MCMC: how many times fewer chain-steps/s).',
    // Debian's python3-torch links the libblas.so.3 alternative: with only the reference BLAS installed its matMuls run
    // several times slower (measured here: a KL step 21.7 against 6.8 ms with OpenBLAS), which would flatter us.
    `PyTorch's BLAS: ${blas}${/openblas/i.test(blas) ? '' : ' — not OpenBLAS: install libopenblas0-pthread, or the PyTorch column is slower than it should be'}.`,
    '',
    table(['workload', 'boltzflow', 'PyTorch 1 thread', 'PyTorch 2 threads', 'ratio'], rows),
  ].join('\n');
  return { title, markdown, data };
}
