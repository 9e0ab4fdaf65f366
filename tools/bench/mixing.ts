import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, table, type BenchOptions, type SectionResult } from './common.js';
import { run as runTwoMoons } from './twoMoons.js';
import { createRng, tf, type ChainState, type Energy, type Kernel } from '@boltzflow/core';
import { Normal } from '@boltzflow/distributions';
import { DoubleWell, ManyWell } from '@boltzflow/energies';
import { countTransitions, effectiveSampleSize } from '@boltzflow/estimators';
import { hmc, mala, nuts, sampleChain, smcSampler, windowAdaptation, disposeStateExcept, type MassMatrix } from '@boltzflow/mcmc';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');

interface SamplerRow {
  sampler: string;
  energyEvaluations: number;
  setupEnergyEvaluations?: number;
  ess: number;
  essPerEnergyEvaluation: number;
  transitions: number | null;
  acceptanceRate: number | null;
  iact: number | null;
  deltaF: { estimate: number; stderr?: number; reference?: number } | null;
  wallSeconds: number;
}

function runCli(args: string[], timeoutSeconds: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const bin = path.join(root, 'apps', 'experiments', 'bin', 'boltzflow.js');
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: '1' } });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutSeconds * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** The experiments whose sampler comparisons the mixing section tabulates (the Boltzmann-generator issue's two tables). */
const MIXING_EXPERIMENTS = [
  { name: 'double-well', title: 'double well (2D)' },
  { name: 'many-well-32', title: 'many-well, d = 32' },
];

/**
 * The sampler comparisons of the experiments app (`boltzflow run <experiment>`), tabulated from their results.json:
 * energy evaluations per effective sample is 1 / essPerEnergyEvaluation.
 */
export async function mixingSection(opts: BenchOptions): Promise<SectionResult> {
  const parts: string[] = [];
  for (const e of MIXING_EXPERIMENTS) {
    const r = await mixingTable(e.name, opts);
    parts.push(`#### ${e.title}`, '', r);
    parts.push('', libraryMixingTable(e.name, opts));
  }
  return { title: 'Mixing: flow-assisted vs plain MCMC', markdown: parts.join('\n') };
}

async function mixingTable(experiment: string, opts: BenchOptions): Promise<string> {
  const md: string[] = [];
  const dir = mkdtempSync(path.join(os.tmpdir(), `boltzflow-bench-${experiment}-`));
  try {
    const args = ['run', experiment, '--out', dir, '--seed', '1', ...(opts.quick ? ['--quick'] : [])];
    const t0 = performance.now();
    const r = await runCli(args, opts.quick ? 300 : 900);
    const secs = (performance.now() - t0) / 1000;
    const file = path.join(dir, 'results.json');
    if (r.code !== 0 || !existsSync(file)) {
      md.push(
        `\`boltzflow ${args.join(' ').replace(dir, 'DIR')}\` did not produce results.json (exit ${r.code}, ${fmt(secs)} s): \`${r.output.trim().split('\n').slice(-2).join(' ').slice(0, 300)}\``,
      );
      return md.join('\n');
    }
    const results = JSON.parse(readFileSync(file, 'utf8')) as { samplers: SamplerRow[]; reference?: Record<string, unknown>; quick?: boolean };
    const rows = results.samplers;
    const rwm = rows.find((s) => s.sampler.startsWith('rwm'));
    md.push(
      `From \`boltzflow ${args.join(' ').replace(dir, 'DIR')}\` (${fmt(secs)} s wall), its results.json. Equal sampling budget per sampler; setup (flow training, step-size scans) counted separately. **evals/ESS** = energy evaluations per effective sample of the experiment's coordinate (x₁; lower is better); ratio vs ${rwm ? `\`${rwm.sampler}\`` : 'RWM'} in the same run.`,
    );
    md.push('');
    md.push(
      table(
        ['sampler', 'energy evals', 'setup evals', 'ESS', 'evals/ESS', 'vs RWM', 'well transitions', 'ΔF (kT)'],
        rows.map((s) => {
          const perEss = s.essPerEnergyEvaluation > 0 ? 1 / s.essPerEnergyEvaluation : Infinity;
          const rw = rwm && rwm.essPerEnergyEvaluation > 0 ? 1 / rwm.essPerEnergyEvaluation : NaN;
          const df = s.deltaF
            ? `${fmt(s.deltaF.estimate, 4)}${s.deltaF.stderr !== undefined ? ` ± ${fmt(s.deltaF.stderr, 2)}` : ''}${s.deltaF.reference !== undefined ? ` (exact ${fmt(s.deltaF.reference, 5)})` : ''}`
            : '—';
          return [
            s.sampler,
            s.energyEvaluations,
            s.setupEnergyEvaluations ?? 0,
            fmt(s.ess),
            fmt(perEss),
            Number.isFinite(rw) ? `${fmt(rw / perEss)}× better` : '—',
            s.transitions ?? '—',
            df,
          ];
        }),
      ),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return md.join('\n');
}

/** The two-moons NLL bench (tools/bench/twoMoons.ts): held-out NLL and seconds per epoch per flow. */
export async function twoMoonsSection(opts: BenchOptions): Promise<SectionResult> {
  const res = await runTwoMoons({ epochs: opts.quick ? 1 : undefined });
  const rows = res.results.map((r) => [r.flow, String(r.parameters), fmt(r.heldOutNLL), fmt(r.secondsPerEpoch)]);
  return { title: 'Two moons NLL', markdown: table(['flow', 'parameters', 'held-out NLL', 's / epoch'], rows), data: res };
}

/** Published numbers from /work/shared/reference.md, placed beside ours where they apply. */
export function publishedSection(): SectionResult {
  const md = [
    'Published results (not measured here; sources as cited), to read beside the tables above:',
    '',
    table(
      ['source (published)', 'system', 'figure', 'compare with'],
      [
        [
          'Noé et al., Science 2019 (Boltzmann generators)',
          'BG-paper double well (u = x₁⁴ − 6x₁² + x₁ + ½x₂²)',
          'plain MCMC with step 0.1: ~4·10⁶ steps per round trip; BG reaches the same ΔF precision with ~10⁶ energy evaluations in total (≈100× fewer)',
          '“Mixing”: evals/ESS of flow-assisted samplers vs RWM (our well is the SNF/FAB one, tilt −0.5, so only the order of magnitude compares)',
        ],
        [
          'Noé et al., Science 2019',
          'dimer in solvent',
          '~10¹² MD steps per round trip vs 3·10⁷ energy evaluations for BG training (≈7 orders of magnitude)',
          'not reproduced here',
        ],
        [
          'Wu, Köhler & Noé, NeurIPS 2020 (SNF)',
          'SNF double well, 3 flow blocks + 20 Metropolis steps of size 0.25',
          'free-energy-profile error √(bias² + σ²) in kT, unweighted / reweighted: RNVP 1.44 / 1.15; RNVP+Metropolis 1.51 / 0.63; NSF 1.31 / 2.24; NSF+Metropolis 0.70 / 0.60',
          '“Mixing”: the `snf` sampler ΔF error (ours is ΔF between wells, not the profile error)',
        ],
        [
          'Midgley et al., ICLR 2023 (FAB)',
          'many-well-32',
          'log Z mean absolute error ≈ 0.03',
          'flow cost at dim 32 (speed only; accuracy not benchmarked here)',
        ],
      ],
    ),
  ];
  return { title: 'Published results (for comparison)', markdown: md.join('\n') };
}

/**
 * NUTS and HMC after Stan's window adaptation, and adaptive tempered SMC, run here through the library API on the
 * experiment's energy (the experiments app does not have these rows yet). Warm-up evaluations are the setup column;
 * ESS is the bulk ESS of x₁ over the chains; SMC reports its particles (resampled, equal weights) and log Z ± error.
 */
export function libraryMixingTable(experiment: string, opts: BenchOptions): string {
  const target: Energy = experiment === 'double-well' ? new DoubleWell() : new ManyWell({ dim: 32 });
  const exactLogZ = (target as unknown as { logZ(): number }).logZ();
  const dim = target.dim;
  const chains = 16;
  const warm = opts.quick ? 150 : 500;
  const steps = opts.quick ? 200 : 1000;
  const rows: (string | number)[][] = [];
  const x0 = tf.tidy(() => tf.mul(createRng(7).normal([chains, dim]), 0.5)) as tf.Tensor2D;
  const run = (name: string, factory: (p: { stepSize: number; massMatrix: MassMatrix }) => Kernel<ChainState>) => {
    const t0 = performance.now();
    const w = windowAdaptation(factory, x0, { steps: warm, rng: createRng(1) });
    const r = sampleChain(w.kernel, w.state, { steps, rng: createRng(2), trace: (x) => tf.slice(x, [0, 0], [-1, 1]) as tf.Tensor2D });
    disposeStateExcept(w.state, undefined);
    disposeStateExcept(r.finalState, undefined);
    const series = Array.from({ length: chains }, (_, c) => r.samples.series(c, 0));
    const ess = effectiveSampleSize(series);
    const transitions = series.reduce((a, sr) => a + countTransitions(sr, [{ upper: -1 }, { lower: 1 }]).total, 0);
    rows.push([
      name,
      r.energyEvaluations,
      w.energyEvaluations,
      fmt(ess),
      fmt(r.energyEvaluations / ess),
      transitions,
      '—',
      fmt((performance.now() - t0) / 1000),
    ]);
  };
  try {
    run('nuts (window-adapted, diag)', (p) => nuts(target, { ...p, maxTreeDepth: 8 }) as unknown as Kernel<ChainState>);
    run('hmc L=10 (window-adapted, diag)', (p) => hmc(target, { ...p, numLeapfrogSteps: 10 }) as unknown as Kernel<ChainState>);
    const t0 = performance.now();
    const particles = opts.quick ? 256 : 1024;
    const smc = smcSampler(target, { prior: new Normal({ dim, scale: 2 }), particles, kernel: (e, o) => mala(e, o), rng: createRng(3), mcmcSteps: 5 });
    smc.samples.dispose();
    rows.push([
      `smc (adaptive, ${smc.betas.length - 1} stages, MALA×5)`,
      smc.energyEvaluations,
      0,
      `${particles} particles`,
      fmt(smc.energyEvaluations / particles),
      '—',
      `log Z ${fmt(smc.logZ, 5)} ± ${fmt(smc.logZError, 2)} (exact ${fmt(exactLogZ, 6)})`,
      fmt((performance.now() - t0) / 1000),
    ]);
  } finally {
    x0.dispose();
  }
  return [
    `Library rows (NUTS/HMC: ${chains} chains, ${warm} window-adaptation steps as setup, ${steps} sampling steps; SMC from N(0, 4I)). evals/ESS for SMC is evaluations per particle.`,
    '',
    table(['sampler', 'energy evals', 'setup evals', 'ESS (x₁)', 'evals/ESS', 'well transitions', 'log Z', 'wall s'], rows),
  ].join('\n');
}
