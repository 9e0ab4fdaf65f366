// Wu, Köhler & Noé (NeurIPS 2020), double well: free-energy-profile error along x₁ of RNVP / NSF flows with and without
// Metropolis blocks, unweighted and reweighted, against quadrature. `npm run bench -- --only snf` (env SNF_BENCH_REPEATS,
// default 3; --quick: 1 repeat, shorter training).
import { createRng, tf, type Bijector, type Rng } from '@boltzflow/core';
import { neuralSplineFlow, realNVP, type Chain } from '@boltzflow/bijectors';
import { Normal, TransformedDistribution } from '@boltzflow/distributions';
import { countingEnergy, DoubleWell } from '@boltzflow/energies';
import { freeEnergyProfile, kishESS } from '@boltzflow/estimators';
import {
  StochasticNormalizingFlow,
  disposeStateExcept,
  linearLambdas,
  metropolisBlock,
  randomWalkMetropolis,
  sampleChain,
  type SnfLayer,
} from '@boltzflow/mcmc';
import { train, trainSNF } from '@boltzflow/training';
import { fmt, table, type BenchOptions, type SectionResult } from './common.js';

/** The paper's table (unweighted / reweighted profile error in kT). */
const PUBLISHED: Record<string, [number, number]> = {
  RNVP: [1.44, 1.15],
  'RNVP + Metropolis': [1.51, 0.63],
  NSF: [1.31, 2.24],
  'NSF + Metropolis': [0.7, 0.6],
};
const ROWS = Object.keys(PUBLISHED);

/** Profile bins along x₁ (width 0.25 on [−2.5, 2.5]). */
const EDGES = Array.from({ length: 21 }, (_, i) => -2.5 + 0.25 * i);

/** Exact bin free energies F_k = −log(∫_bin e^{−F(x₁)} dx / width) from the energy's quadrature profile, min 0. */
function exactBinProfile(energy: DoubleWell): number[] {
  const per = 50;
  const out: number[] = [];
  for (let k = 0; k + 1 < EDGES.length; k++) {
    const h = (EDGES[k + 1] - EDGES[k]) / per;
    const mid = Array.from({ length: per }, (_, i) => EDGES[k] + (i + 0.5) * h); // midpoint rule inside the bin
    const f = energy.freeEnergyProfile(mid).f;
    const m = Math.min(...f);
    out.push(m - Math.log(f.reduce((s, v) => s + Math.exp(-(v - m)), 0) / per));
  }
  const m = Math.min(...out);
  return out.map((v) => v - m);
}

/** Profile of `x1` (optionally weighted) on EDGES; Infinity in empty bins. */
function profileOf(x1: Float64Array, logWeights?: Float64Array): number[] {
  return Array.from(freeEnergyProfile(x1, { edges: EDGES, ...(logWeights ? { logWeights } : {}) }).F);
}

/**
 * √(bias² + σ²) per bin, averaged over the bins: bias = mean over repeats − exact, σ = std over repeats. Each repeat's
 * profile is first aligned to the exact one by the constant that minimises the squared difference over the bins where
 * the exact F ≤ 6 kT (the two wells; it makes the metric independent of where each profile puts its zero). Bins empty
 * in some repeat count as missing and are reported, not scored.
 */
function profileError(profiles: number[][], exact: number[]): { error: number; perRepeat: number[]; missing: number } {
  const bins = exact.length;
  const aligned = profiles.map((p) => {
    let s = 0;
    let n = 0;
    for (let k = 0; k < bins; k++)
      if (exact[k] <= 6 && Number.isFinite(p[k])) {
        s += p[k] - exact[k];
        n++;
      }
    const c = n > 0 ? s / n : 0;
    return p.map((v) => v - c);
  });
  let total = 0;
  let scored = 0;
  let missing = 0;
  for (let k = 0; k < bins; k++) {
    const vals = aligned.map((p) => p[k]);
    if (!vals.every(Number.isFinite)) {
      missing++;
      continue;
    }
    const mean = vals.reduce((a, v) => a + v, 0) / vals.length;
    const varR = vals.length > 1 ? vals.reduce((a, v) => a + (v - mean) ** 2, 0) / (vals.length - 1) : 0;
    total += Math.sqrt((mean - exact[k]) ** 2 + varR);
    scored++;
  }
  const perRepeat = aligned.map((p) => {
    let s = 0;
    let n = 0;
    for (let k = 0; k < bins; k++)
      if (Number.isFinite(p[k])) {
        s += Math.abs(p[k] - exact[k]);
        n++;
      }
    return n > 0 ? s / n : Infinity;
  });
  return { error: scored > 0 ? total / scored : Infinity, perRepeat, missing };
}

/** Large-step random-walk data (counted): `n` samples from 16 chains, burn-in 400, thinned by 5. */
function rwmData(energy: ReturnType<typeof countingEnergy>, n: number, rng: Rng): tf.Tensor2D {
  const chains = 16;
  const x0 = tf.tidy(() => tf.mul(rng.normal([chains, 2]), 1.5) as tf.Tensor2D);
  const run = sampleChain(randomWalkMetropolis(energy, { stepSize: 2.5 }), x0, { steps: Math.ceil(n / chains) * 5, burnIn: 400, thin: 5, rng });
  x0.dispose();
  disposeStateExcept(run.finalState, {});
  const [kept] = run.samples.shape;
  const rows: number[] = [];
  for (let i = 0; i < kept; i++) for (let c = 0; c < chains; c++) rows.push(run.samples.get(i, c, 0), run.samples.get(i, c, 1));
  return tf.tensor2d(rows, [rows.length / 2, 2]);
}

function column(x: tf.Tensor2D): Float64Array {
  const d = x.dataSync();
  const out = new Float64Array(x.shape[0]);
  for (let i = 0; i < out.length; i++) out[i] = d[2 * i];
  return out;
}

interface Setting {
  repeats: number;
  dataSamples: number;
  flowSteps: number;
  snfSteps: number;
  samples: number;
}

/** One repeat: data, then per flow kind the flow alone (KL+ML) and the SNF fine-tuned end to end (path KL + ML). */
async function repeat(
  seed: number,
  s: Setting,
  energy: DoubleWell,
): Promise<{ profiles: Record<string, [number[], number[]]>; ess: Record<string, number>; evals: Record<string, number> }> {
  const rng = createRng(seed);
  const counted = countingEnergy(energy);
  const data = rwmData(counted, s.dataSamples, rng);
  const dataEvals = counted.counts.energy;
  const profiles: Record<string, [number[], number[]]> = {};
  const ess: Record<string, number> = {};
  const evals: Record<string, number> = {};
  for (const kind of ['RNVP', 'NSF'] as const) {
    // 3 flow blocks of 2 couplings each (one update of each coordinate per block).
    const opts = { dim: 2, layers: 6, hidden: [32, 32], activation: 'tanh' as const, rng: rng.fork() };
    const chain: Chain = kind === 'RNVP' ? realNVP(opts) : neuralSplineFlow({ ...opts, bins: 8, bound: 5 });
    const flow = new TransformedDistribution(Normal.standard(2), chain);
    const before = counted.counts.energy + counted.counts.gradient;
    const tf0 = performance.now();
    await train(flow, {
      energy: counted,
      data,
      weights: { ml: 1, kl: 1 },
      steps: s.flowSteps,
      batchSize: 128,
      klBatchSize: 128,
      learningRate: 1e-3,
      validationFraction: 0,
      rng,
    });
    const flowEvals = counted.counts.energy + counted.counts.gradient - before;
    {
      const x = flow.sample(s.samples, rng);
      const lw = tf.tidy(() => tf.neg(tf.add(energy.energy(x), flow.logProb(x))) as tf.Tensor1D);
      const logW = Float64Array.from(lw.dataSync());
      const x1 = column(x);
      profiles[kind] = [profileOf(x1), profileOf(x1, logW)];
      ess[kind] = kishESS(logW).fraction;
      evals[kind] = dataEvals + flowEvals;
      tf.dispose([x, lw]);
    }
    // The same couplings in 3 blocks, each followed by 20 Metropolis steps of σ = 0.25 at λ = 1/3, 2/3, 1.
    const couplings = chain.bijectors as Bijector[];
    const lambdas = linearLambdas(3);
    const layers: SnfLayer[] = [];
    for (let b = 0; b < 3; b++) layers.push(couplings[2 * b], couplings[2 * b + 1], metropolisBlock({ lambda: lambdas[b], steps: 20, stepSize: 0.25 }));
    const snf = new StochasticNormalizingFlow({ base: flow.base, target: energy, layers });
    const ts0 = performance.now();
    process.stderr.write(`bench snf: ${kind} flow trained in ${((ts0 - tf0) / 1000).toFixed(0)} s\n`);
    const t = await trainSNF(snf, { steps: s.snfSteps, batchSize: 64, learningRate: 1e-3, weights: { kl: 1, ml: 1 }, data, rng });
    {
      const smp = snf.sample(s.samples, rng);
      const logW = Float64Array.from(smp.logWeights.dataSync());
      const x1 = column(smp.x);
      process.stderr.write(`bench snf: ${kind} SNF trained and sampled in ${((performance.now() - ts0) / 1000).toFixed(0)} s\n`);
      profiles[`${kind} + Metropolis`] = [profileOf(x1), profileOf(x1, logW)];
      ess[`${kind} + Metropolis`] = kishESS(logW).fraction;
      evals[`${kind} + Metropolis`] = dataEvals + flowEvals + t.energyEvaluations;
      tf.dispose([smp.x, smp.logWeights, smp.energy]);
    }
    chain.dispose();
  }
  data.dispose();
  return { profiles, ess, evals };
}

/** The bench section: our four rows beside the paper's, with the repeats' spread. */
export async function snfSection(opts: BenchOptions): Promise<SectionResult> {
  const repeats = opts.quick ? 1 : Number(process.env.SNF_BENCH_REPEATS ?? 3);
  const s: Setting = opts.quick
    ? { repeats, dataSamples: 1024, flowSteps: 100, snfSteps: 20, samples: 2000 }
    : {
        repeats,
        dataSamples: 2048,
        flowSteps: Number(process.env.SNF_BENCH_FLOW_STEPS ?? 600),
        snfSteps: Number(process.env.SNF_BENCH_SNF_STEPS ?? 150),
        samples: 10_000,
      };
  const energy = new DoubleWell();
  const exact = exactBinProfile(energy);
  const all: Record<string, [number[][], number[][]]> = Object.fromEntries(ROWS.map((r) => [r, [[], []]]));
  const ess: Record<string, number[]> = Object.fromEntries(ROWS.map((r) => [r, []]));
  const evals: Record<string, number[]> = Object.fromEntries(ROWS.map((r) => [r, []]));
  const t0 = performance.now();
  // Repeats stop early when the time budget is spent (the table says how many ran).
  const budgetSeconds = Number(process.env.SNF_BENCH_SECONDS ?? (opts.quick ? 600 : 1080));
  let done = 0;
  for (let r = 0; r < repeats; r++) {
    if (r > 0 && ((performance.now() - t0) / 1000) * ((r + 1) / r) > budgetSeconds) break;
    const out = await repeat(1000 + r, s, energy);
    done++;
    for (const row of ROWS) {
      all[row][0].push(out.profiles[row][0]);
      all[row][1].push(out.profiles[row][1]);
      ess[row].push(out.ess[row]);
      evals[row].push(out.evals[row]);
    }
    process.stderr.write(`bench snf: repeat ${r + 1}/${repeats} done at ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
  }
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  const sd = (a: number[]) => (a.length > 1 ? Math.sqrt(a.reduce((x, y) => x + (y - mean(a)) ** 2, 0) / (a.length - 1)) : NaN);
  s.repeats = done;
  const rows = ROWS.map((row) => {
    const u = profileError(all[row][0], exact);
    const w = profileError(all[row][1], exact);
    const [pu, pw] = PUBLISHED[row];
    return [
      row,
      `${fmt(u.error)} / ${fmt(w.error)}`,
      `${pu} / ${pw}`,
      `${fmt(sd(u.perRepeat), 2)} / ${fmt(sd(w.perRepeat), 2)}`,
      `${u.missing} / ${w.missing}`,
      fmt(mean(ess[row])),
      fmt(mean(evals[row])),
    ];
  });
  const markdown = [
    `Double well u = x₁⁴ − 6x₁² − 0.5x₁ + ½x₂² (the SNF preset). ${done} repeat(s) of ${repeats} requested (seeds 1000…; the time budget SNF_BENCH_SECONDS = ${budgetSeconds} s stops early); per repeat and flow kind: ${s.dataSamples} ML samples from a`,
    `large-step random walk (σ = 2.5, 16 chains, counted), a 6-coupling flow (3 blocks × 2 couplings, hidden [32, 32], tanh; NSF: 8 bins on [−5, 5])`,
    `trained ${s.flowSteps} steps by KL + ML (batch 128, Adam 1e-3) — the flow row — then the same couplings with 20 Metropolis steps of σ = 0.25 after each`,
    `block at λ = 1/3, 2/3, 1, trained end to end ${s.snfSteps} more steps by path KL + ML through the backward path (batch 64 + 64) — the "+ Metropolis" row.`,
    `${s.samples} samples per row. Profile: the library's \`freeEnergyProfile\` on 20 bins of x₁ ∈ [−2.5, 2.5] (unweighted / reweighted by the flow or path`,
    `weights), each repeat aligned to the exact bin profile (quadrature of \`DoubleWell.freeEnergyProfile\`) by the least-squares constant over the bins with`,
    'exact F ≤ 6 kT; error = mean over bins of √(bias² + σ²) with bias and σ over repeats (σ = 0 with one repeat). "spread" is the standard deviation over',
    'repeats of each repeat\'s mean |F − F_exact|; "missing" counts bins empty in some repeat (left out). Evaluations: data + flow KL + SNF paths per repeat.',
    '',
    table(['row', 'ours: unweighted / reweighted (kT)', 'Wu et al. 2020', 'spread over repeats', 'missing bins', 'Kish ESS / N', 'energy evaluations'], rows),
  ].join('\n');
  return {
    title: "Stochastic normalizing flows: the paper's double-well profile table (Wu, Köhler & Noé 2020)",
    markdown,
    data: { all, exact, ess, evals, setting: s },
  };
}
