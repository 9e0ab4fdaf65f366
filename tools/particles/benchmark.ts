/**
 * Particle-system benchmark (DW4, LJ13): an EGNN continuous flow trained by equivariant OT flow matching vs a
 * non-equivariant RealNVP trained by maximum likelihood, on the same replica-exchange reference data and the same
 * training wall-clock budget. Writes a JSON summary (tools/data/<system>-benchmark.json) and prints a markdown row set.
 *   npx tsx tools/particles/benchmark.ts system=dw4 budget=600 hidden=64 layers=4 batch=128 pairing=random lr=2e-3
 *     odeSteps=10 nEval=500 nSample=500 egnn=1 realnvp=1 realnvpBudget=<budget> tag=<output suffix>
 *     steps=<FM steps, instead of budget/probe> finetune=none|ml|kl|ml+kl finetuneBudget=<s> finetuneLr=2e-4
 *     finetuneBatch=16 finetuneOdeSteps=4 finetuneGradient=direct|adjoint
 * `finetune` continues the flow-matched EGNN by likelihood training (`train`, Hutchinson trace; the CNF log-det
 * gradient is second-order autodiff) and evaluates it again as a second EGNN row. Its backward pass keeps every RK4
 * stage's tape, so memory grows with batch × ODE steps (WASM has 4 GB): it integrates with `finetuneOdeSteps` RK4 steps
 * (same vector field; evaluation keeps `odeSteps`). Cost: ≈ 1.3 s per step at batch 16 and 4 RK4 steps for DW4 (hidden
 * 64) against ≈ 0.1 s per flow-matching step at batch 128, which is why flow matching does the bulk of the training.
 * `finetuneGradient=adjoint` uses ContinuousFlow's adjoint backward instead: memory flat in `finetuneOdeSteps`, so larger
 * batches and more RK4 steps fit.
 * Training steps are set from the budget: a 10-step probe measures the cost per step, then steps = budget / cost.
 * Metrics: test NLL on the (P−1)d-dim centre-of-mass-free subspace (exact trace, RK4), Kish ESS of
 * w = exp(−u − log q), total-variation distances of energy and interatomic-distance histograms vs the MCMC test set.
 * RealNVP works in orthonormal coordinates of the mean-free subspace (an isometry, so its NLL is comparable).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { createRng, initBackend, type Distribution, type Energy } from '@boltzflow/core';
import { AffineCoupling, Chain, ContinuousFlow, EGNNVectorField } from '@boltzflow/bijectors';
import { MeanFreeNormal, Normal, TransformedDistribution } from '@boltzflow/distributions';
import { LennardJones, MultiDoubleWell, interatomicDistances } from '@boltzflow/energies';
import { importanceSummary, train as trainMixed, trainFlowMatching, trainML } from '@boltzflow/training';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.split('=') as [string, string]));
const num = (k: string, d: number) => (args[k] !== undefined ? Number(args[k]) : d);
const system = (args.system ?? 'dw4') as 'dw4' | 'lj13';
const P = system === 'dw4' ? 4 : 13;
const S = system === 'dw4' ? 2 : 3;
const D = P * S;
const cfg = {
  system,
  budgetSeconds: num('budget', 600),
  hidden: num('hidden', 64),
  layers: num('layers', 4),
  batch: num('batch', 128),
  pairing: (args.pairing ?? 'random') as 'random' | 'ot',
  lr: num('lr', 2e-3),
  lrFinal: num('lrFinal', 5e-5),
  sigma: num('sigma', 0.01),
  odeSteps: num('odeSteps', 10),
  nEval: num('nEval', 500),
  nSample: num('nSample', 500),
  egnn: num('egnn', 1),
  realnvp: num('realnvp', 1),
  realnvpBudget: num('realnvpBudget', num('budget', 600)),
  coordinateRange: num('coordinateRange', 10),
  finetune: (args.finetune ?? 'none') as 'none' | 'ml' | 'kl' | 'ml+kl',
  finetuneBudget: num('finetuneBudget', 300),
  finetuneLr: num('finetuneLr', 2e-4),
  finetuneBatch: num('finetuneBatch', 16),
  finetuneOdeSteps: num('finetuneOdeSteps', 4),
  finetuneGradient: (args.finetuneGradient ?? 'direct') as 'direct' | 'adjoint',
  steps: num('steps', 0),
};
const maxDist = system === 'dw4' ? 8 : 4;

/** Orthonormal basis (rows) of the centre-of-mass-free subspace, by Gram–Schmidt of e_p − e_{P−1}. */
function meanFreeBasis(): number[][] {
  const cols: number[][] = [];
  for (let p = 0; p < P - 1; p++)
    for (let a = 0; a < S; a++) {
      const v = new Array<number>(D).fill(0);
      v[p * S + a] = 1;
      v[(P - 1) * S + a] = -1;
      for (const q of cols) {
        const dot = q.reduce((s, qi, i) => s + qi * v[i], 0);
        for (let i = 0; i < D; i++) v[i] -= dot * q[i];
      }
      const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
      cols.push(v.map((x) => x / n));
    }
  return cols;
}

function histogram(v: number[], lo: number, hi: number, bins: number): number[] {
  const h = new Array<number>(bins).fill(0);
  for (const x of v) {
    if (!Number.isFinite(x)) continue;
    const b = Math.min(bins - 1, Math.max(0, Math.floor(((x - lo) / (hi - lo)) * bins)));
    h[b]++;
  }
  return h.map((c) => c / v.length);
}
const tvd = (a: number[], b: number[]) => 0.5 * a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0);
const r4 = (v: number) => Math.round(v * 1e4) / 1e4;

/** Runs `f` over row chunks and concatenates the `[n]` outputs (bounded memory for the exact trace). */
function chunked(x: tf.Tensor2D, size: number, f: (c: tf.Tensor2D) => tf.Tensor1D): Float32Array {
  const out = new Float32Array(x.shape[0]);
  for (let s = 0; s < x.shape[0]; s += size) {
    const m = Math.min(size, x.shape[0] - s);
    const v = tf.tidy(() => f(tf.slice(x, [s, 0], [m, -1])));
    out.set(v.dataSync(), s);
    v.dispose();
  }
  return out;
}

async function evaluate(
  name: string,
  dist: Distribution,
  toFull: (x: tf.Tensor2D) => tf.Tensor2D,
  fromFull: (x: tf.Tensor2D) => tf.Tensor2D,
  test: tf.Tensor2D,
  ref: { energies: number[]; distances: number[]; meanEnergy: number },
  target: Energy,
  extra: Record<string, unknown>,
) {
  const t0 = Date.now();
  const nll = chunked(test, 50, (c) => tf.neg(dist.logProb(fromFull(c))));
  const nllMean = nll.reduce((s, v) => s + v, 0) / nll.length;
  const nllSe = Math.sqrt(nll.reduce((s, v) => s + (v - nllMean) ** 2, 0) / (nll.length - 1) / nll.length);
  const rng = createRng(77);
  const xs: Float32Array[] = [];
  const lqs: number[] = [];
  for (let s = 0; s < cfg.nSample; s += 50) {
    const m = Math.min(50, cfg.nSample - s);
    const { x, logProb } = dist.sampleWithLogProb(m, rng);
    const xf = toFull(x);
    xs.push(xf.dataSync() as Float32Array);
    lqs.push(...logProb.dataSync());
    tf.dispose([x, logProb, xf]);
  }
  const xAll = new Float32Array(cfg.nSample * D);
  xs.forEach((a, i) => xAll.set(a, i * 50 * D));
  const xt = tf.tensor2d(xAll, [cfg.nSample, D]);
  const u = Array.from(target.energy(xt).dataSync());
  xt.dispose();
  const { ess, essFraction, logZ } = importanceSummary(u.map((e, i) => -e - lqs[i]));
  // Entropy of the target H = E_p[u] + log Z (E_p[u] from the MCMC test set, log Z by flow IS), so that
  // NLL − H = KL(p‖q) ≥ 0: a convention-free measure of how far the flow is from the Boltzmann density.
  const entropy = ref.meanEnergy + logZ;
  const sorted = [...ref.energies].sort((a, b) => a - b);
  const lo = sorted[Math.floor(0.001 * sorted.length)];
  const hi = sorted[Math.floor(0.999 * sorted.length) - 1];
  const eH = histogram(u, lo, hi, 30);
  const eRef = histogram(ref.energies, lo, hi, 30);
  const dH = histogram(interatomicDistances(xAll, P, S).slice(0, (cfg.nSample * P * (P - 1)) / 2), 0, maxDist, 40);
  const dRef = histogram(ref.distances, 0, maxDist, 40);
  const finite = u.filter(Number.isFinite).sort((a, b) => a - b);
  const row = {
    name,
    ...extra,
    testNLL: r4(nllMean),
    testNLLStderr: r4(nllSe),
    logZ: r4(logZ),
    entropyEstimate: r4(entropy),
    klDataToFlow: r4(nllMean - entropy),
    testSamples: test.shape[0],
    flowSamples: cfg.nSample,
    kishESS: r4(ess),
    kishESSFraction: r4(essFraction),
    energyTVD: r4(tvd(eH, eRef)),
    distanceTVD: r4(tvd(dH, dRef)),
    medianEnergy: r4(finite[Math.floor(finite.length / 2)]),
    evalSeconds: (Date.now() - t0) / 1000,
    histograms: {
      energyEdges: [r4(lo), r4(hi), 30],
      energyFlow: eH.map(r4),
      energyMCMC: eRef.map(r4),
      distanceEdges: [0, maxDist, 40],
      distanceFlow: dH.map(r4),
      distanceMCMC: dRef.map(r4),
    },
  };
  console.error(JSON.stringify({ ...row, histograms: undefined }));
  return row;
}

/** Cost per step from a short probe (a throwaway model trained a few steps), so the run fits the wall budget. */
async function probeSeconds(run: (steps: number) => Promise<unknown>, steps = 10): Promise<number> {
  const t0 = Date.now();
  await run(steps);
  return (Date.now() - t0) / 1000 / steps;
}

async function main(): Promise<void> {
  await initBackend();
  const dataDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'data');
  const ref = JSON.parse(readFileSync(join(dataDir, `${system}-reference.json`), 'utf8')) as { samples: number[][] };
  const all = ref.samples;
  const nTrain = Math.floor(all.length * 0.75);
  const train = tf.tensor2d(all.slice(0, nTrain));
  const testAll = tf.tensor2d(all.slice(nTrain));
  const test = tf.slice(testAll, [0, 0], [Math.min(cfg.nEval, testAll.shape[0]), -1]) as tf.Tensor2D;
  // The energy convention the reference data were generated in (LJ13: pair sum over i ≠ j, see generate-lj13.ts).
  const pairSum = (ref as { energy?: { pairSum?: 'i<j' | 'i!=j' } }).energy?.pairSum ?? 'i<j';
  const target: Energy = system === 'dw4' ? new MultiDoubleWell() : new LennardJones({ pairSum });
  const refEnergies = Array.from(target.energy(testAll).dataSync());
  const refStats = {
    energies: refEnergies,
    distances: interatomicDistances(testAll.dataSync(), P, S),
    meanEnergy: refEnergies.reduce((a, b) => a + b, 0) / refEnergies.length,
  };
  const basis = tf.tensor2d(meanFreeBasis());
  const rows: unknown[] = [];
  const base = new MeanFreeNormal({ particles: P, spatialDim: S });
  const makeField = (seed: number) =>
    new EGNNVectorField({ particles: P, spatialDim: S, hidden: cfg.hidden, layers: cfg.layers, coordinateRange: cfg.coordinateRange, rng: createRng(seed) });
  const fmOptions = (steps: number) => ({
    base,
    steps,
    batchSize: cfg.batch,
    learningRate: { type: 'cosine' as const, initial: cfg.lr, final: cfg.lrFinal, warmupSteps: Math.min(100, Math.floor(steps / 20)) },
    alignment: 'equivariant-ot' as const,
    pairing: cfg.pairing,
    sigma: cfg.sigma,
    seed: 3,
  });
  if (cfg.egnn) {
    let steps = cfg.steps;
    if (!steps) {
      const probeField = makeField(99);
      const perStep = await probeSeconds((n) => trainFlowMatching(probeField, train, fmOptions(n)));
      probeField.dispose();
      steps = Math.max(50, Math.floor(cfg.budgetSeconds / perStep));
      console.error(`EGNN: ${perStep.toFixed(3)} s/step → ${steps} steps`);
    }
    const field = makeField(1);
    const flow = new ContinuousFlow(field, { solver: 'rk4', steps: cfg.odeSteps, trace: 'exact' });
    const t0 = Date.now();
    const res = await trainFlowMatching(flow, train, {
      ...fmOptions(steps),
      progressEvery: 100,
      onProgress: (p) => console.error(`FM step ${p.step} loss ${p.loss.toFixed(4)} lr ${p.learningRate.toExponential(2)} ${p.seconds.toFixed(0)}s`),
    });
    const secs = (Date.now() - t0) / 1000;
    const dist = new TransformedDistribution(base, flow);
    const label = `EGNN CNF (hidden ${cfg.hidden}, ${cfg.layers} layers), equivariant OT flow matching`;
    rows.push(
      await evaluate(
        label,
        dist,
        (x) => x.clone(),
        (x) => x.clone(),
        test,
        refStats,
        target,
        { trainSteps: steps, trainSeconds: Math.round(secs), finalLoss: r4(res.loss), pairing: cfg.pairing, batch: cfg.batch },
      ),
    );
    if (cfg.finetune !== 'none') {
      const weights = { ml: cfg.finetune.includes('ml') ? 1 : 0, kl: cfg.finetune.includes('kl') ? 1 : 0 };
      const ftOptions = (n: number) => ({
        ...(weights.kl > 0 ? { energy: target } : {}),
        ...(weights.ml > 0 ? { data: train } : {}),
        weights,
        steps: n,
        batchSize: cfg.finetuneBatch,
        klBatchSize: cfg.finetuneBatch,
        learningRate: { type: 'cosine' as const, initial: cfg.finetuneLr, final: cfg.finetuneLr / 20 },
        clipGradNorm: 10,
        validationFraction: 0,
        seed: 6,
      });
      // The same field integrated with fewer RK4 steps and the Hutchinson trace (memory, see the header).
      const trainingFlow = (f: EGNNVectorField) =>
        new TransformedDistribution(
          base,
          new ContinuousFlow(f, { solver: 'rk4', steps: cfg.finetuneOdeSteps, trace: 'hutchinson', rng: createRng(8), gradient: cfg.finetuneGradient }),
        );
      const ftPerStep = await probeSeconds(async (n) => {
        // A throwaway copy of the trained weights, so the probe's updates do not count.
        const copy = makeField(97);
        copy.trainableVariables.forEach((v, i) => v.assign(field.trainableVariables[i]));
        await trainMixed(trainingFlow(copy), ftOptions(n));
        copy.dispose();
      }, 5);
      const ftSteps = Math.max(10, Math.floor(cfg.finetuneBudget / ftPerStep));
      console.error(`fine-tune ${cfg.finetune}: ${ftPerStep.toFixed(3)} s/step → ${ftSteps} steps`);
      const t1 = Date.now();
      const ft = await trainMixed(trainingFlow(field), {
        ...ftOptions(ftSteps),
        progressEvery: 25,
        onProgress: (p) => console.error(`${cfg.finetune} step ${p.step} loss ${p.loss.toFixed(4)} ${p.seconds.toFixed(0)}s`),
      });
      rows.push(
        await evaluate(
          `${label} + ${cfg.finetune} fine-tuning (Hutchinson trace)`,
          dist,
          (x) => x.clone(),
          (x) => x.clone(),
          test,
          refStats,
          target,
          {
            trainSteps: steps,
            finetuneSteps: ftSteps,
            finetuneSeconds: Math.round((Date.now() - t1) / 1000),
            finetuneFinalLoss: r4(ft.loss),
            batch: cfg.batch,
            finetuneBatch: cfg.finetuneBatch,
            finetuneOdeSteps: cfg.finetuneOdeSteps,
            finetuneGradient: cfg.finetuneGradient,
          },
        ),
      );
    }
  }
  if (cfg.realnvp) {
    const d = (P - 1) * S;
    const make = (seed: number) => {
      const rng = createRng(seed);
      const layers = Array.from(
        { length: 8 },
        (_, k) =>
          new AffineCoupling({ dim: d, mask: Array.from({ length: d }, (_, i) => ((i + k) % 2 === 0 ? 1 : 0)), hidden: [64, 64], activation: 'tanh', rng }),
      );
      return new TransformedDistribution(Normal.standard(d), new Chain(layers));
    };
    const trainSub = tf.matMul(train, basis, false, true) as tf.Tensor2D;
    const mlOptions = (steps: number) => ({
      steps,
      batchSize: cfg.batch,
      learningRate: { type: 'cosine' as const, initial: 1e-3, final: 5e-5 },
      validationFraction: 0,
      seed: 4,
    });
    const probe = make(98);
    const perStep = await probeSeconds((n) => trainML(probe, trainSub, mlOptions(n)));
    const steps = Math.max(50, Math.floor(cfg.realnvpBudget / perStep));
    console.error(`RealNVP: ${perStep.toFixed(3)} s/step → ${steps} steps`);
    const dist = make(5);
    const t0 = Date.now();
    const res = await trainML(dist, trainSub, {
      ...mlOptions(steps),
      progressEvery: 500,
      onProgress: (p) => console.error(`ML step ${p.step} loss ${p.loss.toFixed(4)}`),
    });
    const secs = (Date.now() - t0) / 1000;
    rows.push(
      await evaluate(
        'RealNVP (8 affine couplings, 64×2 tanh), maximum likelihood',
        dist,
        (y) => tf.matMul(y, basis) as tf.Tensor2D,
        (x) => tf.matMul(x, basis, false, true) as tf.Tensor2D,
        test,
        refStats,
        target,
        { trainSteps: steps, trainSeconds: Math.round(secs), finalLoss: r4(res.loss), batch: cfg.batch },
      ),
    );
    trainSub.dispose();
  }
  const finiteRef = refStats.energies.filter(Number.isFinite);
  const out = {
    system,
    config: cfg,
    trainSamples: nTrain,
    testSamplesTotal: testAll.shape[0],
    mcmcMeanEnergy: r4(finiteRef.reduce((s, v) => s + v, 0) / finiteRef.length),
    rows,
    date: new Date().toISOString(),
  };
  const file = join(dataDir, `${system}-benchmark${args.tag ? `-${args.tag}` : ''}.json`);
  writeFileSync(file, JSON.stringify(out, null, 1));
  console.log(`wrote ${file}`);
}

void main();
