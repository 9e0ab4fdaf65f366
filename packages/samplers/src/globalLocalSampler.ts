import * as tf from '@tensorflow/tfjs';
import {
  assertInteger,
  assertPositive,
  BoltzflowError,
  disposeTree,
  type ChainState,
  type CoordinateBlock,
  type Distribution,
  type Energy,
  type Kernel,
  type Rng,
  assertOneOf,
} from '@boltzflow/core';
import {
  blockIndependenceProposal,
  flowIndependenceProposal,
  latentMetropolis,
  mala,
  randomWalkMetropolis,
  sampleArray,
  sampleChainAsync,
  type FlowLike,
  type SampleArray,
} from '@boltzflow/mcmc';
import { logPartition } from '@boltzflow/estimators';
import { trainML } from '@boltzflow/training';
import { flowWeightedSamplesAsync } from './flowSamplers.js';

/** Options of {@link globalLocalSampler}. */
export interface GlobalLocalOptions {
  /** Local kernel of every chain. Default 'mala'. */
  localKernel?: 'mala' | 'rwm';
  /** Step size of the local kernel (tune it first, e.g. with adaptStepSize). */
  localStepSize: number;
  /** Local steps per loop. Default 100. */
  localSteps?: number;
  /**
   * The global move: 'flow-imh' (flowMC: independence Metropolis–Hastings with the flow as proposal) or
   * 'latent-metropolis' (the lecture's Boltzmann-generator loop: MCMC on μ_Z in the flow's latent space). Default
   * 'flow-imh'.
   */
  globalMove?: 'flow-imh' | 'latent-metropolis';
  /** Global steps per loop. Default 20. */
  globalSteps?: number;
  /** Step size of the latent-space random walk (latent-metropolis only). Default 0.5. */
  latentStepSize?: number;
  /** Loops whose samples retrain the flow (by maximum likelihood); their samples are not reported. Default 10. */
  trainingLoops?: number;
  /** Loops with the flow frozen; only these samples are reported. Default 10. */
  productionLoops?: number;
  /**
   * Instead of a loop count: production loops run until their energy evaluations reach this budget (the loop that
   * would overshoot by more than half its cost is not run), so that comparisons at an equal budget are fair.
   */
  productionBudget?: number;
  /** Maximum-likelihood steps per training loop. Default 100. */
  trainStepsPerLoop?: number;
  trainBatchSize?: number;
  learningRate?: number;
  /** The flow trains on at most this many of the most recent chain positions (current and past loops). Default 20000. */
  maxTrainingSamples?: number;
  rng: Rng;
  /**
   * Where the chains start. 'given' (default): at `x0`. 'overdispersed': at draws from a broad distribution
   * ({@link OverdispersedStart}; x0 then only gives the chain count and the default centre), relaxed and burnt in
   * before the training loops, every evaluation counted as setup. The chains then sit in basins in proportions unlike
   * equilibrium; the flow, fit to all chains, learns every basin they reached, and its independence moves in the
   * production loops (flow frozen, the only reported samples) restore the populations.
   */
  start?: 'given' | 'overdispersed';
  /**
   * After the production loops: this many independent draws of the frozen flow give an importance-sampling estimate of
   * log Z (`logZ`; log w = −u − log q). Their energy evaluations are sampling evaluations (in `energyEvaluations`; with
   * a `productionBudget` they come on top of it). Default 0 (no estimate).
   */
  logZSamples?: number;
  /** The broad start distribution and its relaxation (with `start: 'overdispersed'`). */
  overdispersed?: OverdispersedStart;
  /**
   * Global moves on a block of coordinates only (e.g. a molecule's backbone torsions): the flow lives on the block's
   * k coordinates, is fit to the chains' block values, and proposes new block values with the rest of each chain kept
   * (`blockIndependenceProposal`, Metropolis-within-Gibbs). Needs `globalMove: 'flow-imh'` and no `logZSamples`.
   */
  block?: CoordinateBlock;
  /** Called after every loop. */
  onLoop?: (report: GlobalLocalLoopReport) => void;
}

/** Overdispersed chain starts of {@link globalLocalSampler}: a broad draw, a capped relaxation, a local burn-in. */
export interface OverdispersedStart {
  /**
   * Draws `[n, dim]` starting points (e.g. random torsions of a molecule). Default: a Gaussian N(centre, scale²) per
   * coordinate. Drawing costs no energy evaluation.
   */
  draw?: (n: number, rng: Rng) => tf.Tensor2D;
  /** Centre of the default Gaussian, `[dim]`. Default: the mean of x0's rows. */
  center?: ArrayLike<number>;
  /** Standard deviation of the default Gaussian per coordinate. Default 2. */
  scale?: number;
  /**
   * Steps of normalised steepest descent x ← x − maxStep·∇u/‖∇u‖∞ (every coordinate moves at most `relaxMaxStep`)
   * that take the draws out of clashes; one gradient evaluation per chain and step, counted as setup. Default 0.
   */
  relaxSteps?: number;
  /** Largest displacement of a coordinate per relaxation step (the target's units). Default 0.01. */
  relaxMaxStep?: number;
  /** Local-kernel steps after the relaxation; their positions are discarded, their evaluations are setup. Default 0. */
  burnInSteps?: number;
}

export interface GlobalLocalLoopReport {
  loop: number;
  phase: 'training' | 'production';
  localAcceptance: number;
  globalAcceptance: number;
  /** Mean negative log-likelihood of the flow's last training batch (training loops). */
  trainingLoss?: number;
  energyEvaluations: number;
}

export interface GlobalLocalResult {
  /**
   * Evaluations of the overdispersed start (relaxation + burn-in; 0 with `start: 'given'`); included in
   * `setupEnergyEvaluations`.
   */
  startEnergyEvaluations: number;
  /** Production draws `[kept, chains, dim]`, local and global steps in the order the chains made them. */
  samples: SampleArray;
  /** Energy evaluations of the production loops (gradients count as evaluations). */
  energyEvaluations: number;
  /**
   * Energy evaluations of the start (overdispersed starts only) and of the training loops: the flow's whole training
   * cost (maximum likelihood itself costs none).
   */
  setupEnergyEvaluations: number;
  localAcceptance: number;
  globalAcceptance: number;
  /** Importance-sampling log Z of the frozen flow and its standard error (`logZSamples` > 0 only). */
  logZ?: { logZ: number; stderr: number; samples: number };
  history: GlobalLocalLoopReport[];
  wallSeconds: number;
}

/**
 * Adaptive global–local sampling (flowMC; Gabrié, Rotskoff & Vanden-Eijnden, PNAS 2022): chains alternate local
 * moves with global flow moves; in the training loops the flow is refit by maximum likelihood on the chains' current
 * and past positions, then frozen for the production loops, whose samples are the output (a valid MCMC: each block
 * leaves the target invariant). With `globalMove: 'latent-metropolis'` the global move is MCMC in the flow's latent
 * space instead — the iterative Boltzmann-generator loop. Needs only the energy; every evaluation is counted.
 */
export async function globalLocalSampler(flow: Distribution, energy: Energy, x0: tf.Tensor2D, options: GlobalLocalOptions): Promise<GlobalLocalResult> {
  const block = options?.block;
  const flowDim = block ? block.dim : energy?.dim;
  if (flow?.dim !== flowDim) {
    throw new BoltzflowError(
      'INVALID_SHAPE',
      block ? 'The flow and the coordinate block live in different dimensions' : 'The flow and the energy live in different dimensions',
      {
        argument: 'flow.dim',
        expected: `${flowDim}${block ? ' (block.dim)' : ''}`,
        received: String(flow?.dim),
      },
    );
  }
  assertPositive(options?.localStepSize, 'localStepSize');
  const localSteps = options.localSteps ?? 100;
  const globalSteps = options.globalSteps ?? 20;
  const trainingLoops = options.trainingLoops ?? 10;
  const productionLoops = options.productionLoops ?? 10;
  const trainSteps = options.trainStepsPerLoop ?? 100;
  const maxTraining = options.maxTrainingSamples ?? 20_000;
  assertInteger(localSteps, 'localSteps', 1);
  assertInteger(globalSteps, 'globalSteps', 0);
  assertInteger(trainingLoops, 'trainingLoops', 0);
  assertInteger(productionLoops, 'productionLoops', 1);
  if (options.productionBudget !== undefined) assertPositive(options.productionBudget, 'productionBudget');
  assertInteger(trainSteps, 'trainStepsPerLoop', 1);
  assertInteger(maxTraining, 'maxTrainingSamples', 1);
  const globalMove = options.globalMove ?? 'flow-imh';
  assertOneOf(globalMove, ['flow-imh', 'latent-metropolis'], 'globalMove', { code: 'INVALID_CONFIG', message: 'Unknown global move' });
  const startKind = options.start ?? 'given';
  assertOneOf(startKind, ['given', 'overdispersed'], 'start', { code: 'INVALID_CONFIG', message: 'Unknown chain start' });
  const od = options.overdispersed ?? {};
  const relaxSteps = od.relaxSteps ?? 0;
  const burnInSteps = od.burnInSteps ?? 0;
  assertInteger(relaxSteps, 'overdispersed.relaxSteps', 0);
  assertInteger(burnInSteps, 'overdispersed.burnInSteps', 0);
  assertPositive(od.relaxMaxStep ?? 0.01, 'overdispersed.relaxMaxStep');
  assertPositive(od.scale ?? 2, 'overdispersed.scale');
  if (od.center !== undefined && od.center.length !== energy.dim) {
    throw new BoltzflowError('INVALID_SHAPE', 'The overdispersed start centre has the wrong length', {
      argument: 'overdispersed.center',
      expected: `${energy.dim} numbers`,
      received: `${od.center.length}`,
    });
  }
  const logZSamples = options.logZSamples ?? 0;
  assertInteger(logZSamples, 'logZSamples', 0);
  if (block && (globalMove !== 'flow-imh' || logZSamples > 0)) {
    throw new BoltzflowError('INVALID_CONFIG', 'A flow on a coordinate block only proposes independence moves of that block', {
      argument: globalMove !== 'flow-imh' ? 'globalMove' : 'logZSamples',
      expected: globalMove !== 'flow-imh' ? "'flow-imh' with a block" : '0 with a block (the flow is not a density over the whole space)',
      received: globalMove !== 'flow-imh' ? globalMove : String(logZSamples),
    });
  }
  const rng = options.rng;
  const local: Kernel<ChainState> =
    (options.localKernel ?? 'mala') === 'mala'
      ? mala(energy, { stepSize: options.localStepSize })
      : randomWalkMetropolis(energy, { stepSize: options.localStepSize });
  const global: Kernel<ChainState> = block
    ? blockIndependenceProposal(flow, energy, block)
    : globalMove === 'flow-imh'
      ? flowIndependenceProposal(flow, energy)
      : latentMetropolis(flow as Distribution & FlowLike, energy, (uZ) => randomWalkMetropolis(uZ, { stepSize: options.latentStepSize ?? 0.5 }));
  const started = performance.now();
  const [chains, dim] = x0.shape;
  // Width of a training row: the block's k coordinates, or the whole configuration.
  const width = block ? block.dim : dim;
  let x = startKind === 'overdispersed' ? overdispersedDraw(od, x0, rng) : x0.clone();
  const training: Float32Array[] = [];
  let trainingRows = 0;
  const production: Float32Array[] = [];
  let kept = 0;
  let localKept = 0;
  let globalKept = 0;
  let setup = 0;
  let sampling = 0;
  const acc = { local: 0, global: 0 };
  const history: GlobalLocalLoopReport[] = [];

  /** Runs one block of `kernel` from x (asynchronous reads); every block re-initialises the kernel, paying one evaluation per chain. */
  const runBlock = async (kernel: Kernel<ChainState>, steps: number): Promise<{ draws: Float32Array; evaluations: number; acceptance: number }> => {
    const r = await sampleChainAsync(kernel, x, { steps, rng });
    x.dispose();
    x = r.finalState.x.clone();
    disposeTree(r.finalState);
    return { draws: r.samples.data, evaluations: r.energyEvaluations, acceptance: r.overallAcceptanceRate };
  };

  let startCost = 0;
  let logZ: GlobalLocalResult['logZ'];
  try {
    if (startKind === 'overdispersed') {
      startCost += relax(energy, x, relaxSteps, od.relaxMaxStep ?? 0.01, (next) => {
        x.dispose();
        x = next;
      });
      if (burnInSteps > 0) startCost += (await runBlock(local, burnInSteps)).evaluations;
      setup += startCost;
    }
    let loopCost = 0;
    const budgetLeft = (): number => (options.productionBudget ?? Infinity) - sampling;
    const more = (loop: number): boolean =>
      loop <= trainingLoops || (options.productionBudget === undefined ? loop <= trainingLoops + productionLoops : budgetLeft() > 0);
    for (let loop = 1; more(loop); loop++) {
      const phase = loop <= trainingLoops ? 'training' : 'production';
      // With a production budget, the last loop is shortened in proportion so that sampling ends on the budget.
      const f = phase === 'production' && loopCost > 0 ? Math.min(1, budgetLeft() / loopCost) : 1;
      const ls = Math.max(1, Math.round(localSteps * f));
      const gs = Math.round(globalSteps * f);
      const l = await runBlock(local, ls);
      const g = gs > 0 ? await runBlock(global, gs) : { draws: new Float32Array(0), evaluations: 0, acceptance: NaN };
      const evaluations = l.evaluations + g.evaluations;
      if (f === 1) loopCost = evaluations;
      const report: GlobalLocalLoopReport = { loop, phase, localAcceptance: l.acceptance, globalAcceptance: g.acceptance, energyEvaluations: evaluations };
      if (phase === 'training') {
        setup += evaluations;
        const fresh = await trainingRowsOf(concat([l.draws, g.draws]), dim, block);
        training.push(fresh);
        trainingRows += fresh.length / width;
        while (trainingRows - training[0].length / width >= maxTraining) trainingRows -= training.shift()!.length / width;
        const data = tf.tensor2d(concat(training).subarray(-Math.min(trainingRows, maxTraining) * width), [Math.min(trainingRows, maxTraining), width]);
        try {
          const fit = await trainML(flow, data, {
            steps: trainSteps,
            batchSize: Math.min(options.trainBatchSize ?? 256, data.shape[0]),
            learningRate: options.learningRate ?? 1e-3,
            validationFraction: 0,
            rng: rng.fork(),
            progressEvery: trainSteps,
          });
          report.trainingLoss = fit.loss;
        } finally {
          data.dispose();
        }
      } else {
        sampling += evaluations;
        production.push(l.draws, g.draws);
        kept += ls + gs;
        localKept += ls;
        globalKept += gs;
        acc.local += l.acceptance * ls;
        acc.global += (Number.isNaN(g.acceptance) ? 0 : g.acceptance) * gs;
      }
      history.push(report);
      options.onLoop?.(report);
    }
    if (logZSamples > 0) {
      logZ = { ...(await importanceLogZ(flow, energy, logZSamples, rng)), samples: logZSamples };
      sampling += logZSamples;
    }
  } finally {
    x.dispose();
  }
  return {
    ...(logZ ? { logZ } : {}),
    startEnergyEvaluations: startCost,
    samples: sampleArray(concat(production), [kept, chains, dim]),
    energyEvaluations: sampling,
    setupEnergyEvaluations: setup,
    localAcceptance: acc.local / localKept,
    globalAcceptance: globalKept > 0 ? acc.global / globalKept : NaN,
    history,
    wallSeconds: (performance.now() - started) / 1000,
  };
}

/** `[n, dim]` overdispersed starts (n = x0's rows): the user's draw, or N(centre, scale²) with centre = mean of x0's rows. */
function overdispersedDraw(od: OverdispersedStart, x0: tf.Tensor2D, rng: Rng): tf.Tensor2D {
  const [n, dim] = x0.shape;
  if (od.draw) {
    const d = od.draw(n, rng.fork());
    if (d?.shape?.length !== 2 || d.shape[0] !== n || d.shape[1] !== dim) {
      const received = d?.shape ? `[${d.shape.join(', ')}]` : String(d);
      d?.dispose?.();
      throw new BoltzflowError('INVALID_SHAPE', 'overdispersed.draw returned the wrong shape', {
        argument: 'overdispersed.draw',
        expected: `[${n}, ${dim}]`,
        received,
      });
    }
    return d;
  }
  const scale = od.scale ?? 2;
  return tf.tidy(() => {
    const centre = od.center !== undefined ? tf.tensor2d(Float32Array.from(od.center), [1, dim]) : tf.mean(x0, 0, true);
    return tf.add(centre, tf.mul(rng.normal([n, dim]), scale)) as tf.Tensor2D;
  });
}

/**
 * Normalised steepest descent: `steps` times x ← x − maxStep·∇u/‖∇u‖∞ per chain (a chain at a stationary point stays).
 * Returns the gradient evaluations spent (chains × steps); hands every new position to `set`.
 */
function relax(energy: Energy, x: tf.Tensor2D, steps: number, maxStep: number, set: (x: tf.Tensor2D) => void): number {
  const grad = (xx: tf.Tensor2D): tf.Tensor2D =>
    energy.grad ? energy.grad(xx) : (tf.grad((y: tf.Tensor) => tf.sum(energy.energy(y as tf.Tensor2D)))(xx) as tf.Tensor2D);
  let cur = x;
  for (let s = 0; s < steps; s++) {
    const next = tf.tidy(() => {
      const g = grad(cur);
      // Non-finite gradients (overlapping atoms) move nothing rather than poisoning the chain.
      const finite = tf.where(tf.isFinite(g), g, tf.zerosLike(g));
      const norm = tf.maximum(tf.max(tf.abs(finite), 1, true), 1e-30);
      return tf.sub(cur, tf.mul(tf.div(finite, norm), maxStep)) as tf.Tensor2D;
    });
    set(next);
    cur = next;
  }
  return steps * x.shape[0];
}

/** log Z by importance sampling with the flow: n draws, log w = −u(x) − log q(x); one evaluation each. */
async function importanceLogZ(flow: Distribution, energy: Energy, n: number, rng: Rng): Promise<{ logZ: number; stderr: number }> {
  const { logW } = await flowWeightedSamplesAsync(flow, energy, n, rng);
  return logPartition(logW);
}

/** Training rows of the flow: the draws themselves, or their block coordinates (`[rows, k]`, flattened). */
async function trainingRowsOf(draws: Float32Array, dim: number, block: CoordinateBlock | undefined): Promise<Float32Array> {
  if (!block) return draws;
  const s = tf.tidy(() => block.read(tf.tensor2d(draws, [draws.length / dim, dim])));
  try {
    return Float32Array.from((await s.data()) as Float32Array);
  } finally {
    s.dispose();
  }
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
