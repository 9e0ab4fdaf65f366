import * as tf from '@tensorflow/tfjs';
import {
  assertBatch,
  assertInteger,
  assertPositive,
  assertProbability,
  BoltzflowError,
  runHostReadsAsync,
  runHostReadsSync,
  type HostReads,
  type Bijector,
  type Distribution,
  type Energy,
  type Rng,
} from '@boltzflow/core';
import { energyAndGrad } from '@boltzflow/energies';
import { checkEnergy, checkSameDim, mhDecision, selectRows } from '../proposal.js';

/** Options shared by the stochastic blocks: they target u_λ = (1 − λ)·u_prior + λ·u, u_prior = −log p_base. */
export interface StochasticBlockOptions {
  /** Interpolation parameter λ ∈ [0, 1]. */
  lambda: number;
  /** MCMC steps in the block (default 1). */
  steps?: number;
  /** Random-walk σ (Metropolis) or time step τ (Langevin: y′ = y − τ∇u_λ + √(2τ)ξ). */
  stepSize: number;
}

/** Random-walk Metropolis block: path weight ΔS = u_λ(y_out) − u_λ(y_in) (detailed balance). */
export interface MetropolisBlock {
  readonly type: 'metropolis';
  readonly lambda: number;
  readonly steps: number;
  readonly stepSize: number;
}

/**
 * Langevin block: unadjusted (ΔS = Σ log q(y|y′) − log q(y′|y), the backward/forward Gaussian transition densities)
 * or Metropolis-adjusted (MALA, ΔS = u_λ(y_out) − u_λ(y_in)).
 */
export interface LangevinBlock {
  readonly type: 'langevin';
  readonly lambda: number;
  readonly steps: number;
  readonly stepSize: number;
  readonly metropolize: boolean;
}

/** A stochastic (MCMC) layer of a {@link StochasticNormalizingFlow}: a Metropolis or a Langevin block. */
export type StochasticBlock = MetropolisBlock | LangevinBlock;
/** A layer: a deterministic Bijector (forward maps towards the data) or a stochastic block. */
export type SnfLayer = Bijector | StochasticBlock;

function checkBlockOptions(o: StochasticBlockOptions): { lambda: number; steps: number; stepSize: number } {
  if (!o || typeof o !== 'object') {
    throw new BoltzflowError('INVALID_VALUE', 'Expected block options', { argument: 'options', expected: '{ lambda, stepSize, steps? }', received: typeof o });
  }
  assertProbability(o.lambda, 'lambda');
  const steps = o.steps ?? 1;
  assertInteger(steps, 'steps', 1);
  assertPositive(o.stepSize, 'stepSize');
  return { lambda: o.lambda, steps, stepSize: o.stepSize };
}

/** A random-walk Metropolis block of a {@link StochasticNormalizingFlow}. */
export function metropolisBlock(options: StochasticBlockOptions): MetropolisBlock {
  return { type: 'metropolis', ...checkBlockOptions(options) };
}

/** A Langevin block (unadjusted by default; `metropolize: true` gives MALA) of a {@link StochasticNormalizingFlow}. */
export function langevinBlock(options: StochasticBlockOptions & { metropolize?: boolean }): LangevinBlock {
  return { type: 'langevin', ...checkBlockOptions(options), metropolize: options.metropolize ?? false };
}

/** λ_k = k/K for k = 1..K: linearly spaced annealing from the prior (λ = 0, never simulated) to the target (λ = 1). */
export function linearLambdas(k: number): number[] {
  assertInteger(k, 'k', 1);
  return Array.from({ length: k }, (_, i) => (i + 1) / k);
}

function isBlock(l: unknown): l is StochasticBlock {
  const t = (l as StochasticBlock | undefined)?.type;
  return t === 'metropolis' || t === 'langevin';
}

/** Options of {@link StochasticNormalizingFlow}. */
export interface StochasticNormalizingFlowOptions {
  /** Prior p_base; u_prior = −log p_base (normalised, so AIS-type log-weights estimate log Z of exp(−u)). */
  base: Distribution;
  /** Target energy u (units of kT). */
  target: Energy;
  layers: readonly SnfLayer[];
}

/** Options of sampling a {@link StochasticNormalizingFlow}. */
export interface SnfSampleOptions {
  /** Also return each layer's log-weight contribution and each block's mean acceptance. */
  perLayer?: boolean;
}

/** Samples of a {@link StochasticNormalizingFlow} with their log importance weights. */
export interface SnfSample {
  /** Samples x_T `[n, dim]`. */
  x: tf.Tensor2D;
  /** Path log-weights log w = −u(x_T) + u_prior(z_0) + Σ ΔS_t `[n]`; −Inf where an energy was not finite. */
  logWeights: tf.Tensor1D;
  /** u(x_T) `[n]`. */
  energy: tf.Tensor1D;
  /** Evaluations of the target u spent (gradients included), summed over samples. */
  energyEvaluations: number;
  /** With `perLayer`: ΔS per layer `[n]` each (log|det J| for bijectors). */
  deltaS?: tf.Tensor1D[];
  /** With `perLayer`: mean acceptance per layer (null for bijectors and unadjusted Langevin). */
  acceptance?: (number | null)[];
}

/** Backward paths of a {@link StochasticNormalizingFlow} from data to the prior (`backward`, `backwardAsync`). */
export interface SnfBackward {
  /** End points at the prior `[n, dim]`. */
  z0: tf.Tensor2D;
  /** log w = −u(x) + u_prior(z_0) + Σ ΔS_t `[n]` (forward orientation); −Inf where an energy was not finite. */
  logWeights: tf.Tensor1D;
  /** Evaluations of the target u spent (gradients included), summed over rows. */
  energyEvaluations: number;
  /** With `perLayer`: ΔS per layer `[n]` each, in layer order. */
  deltaS?: tf.Tensor1D[];
  /** With `perLayer`: mean acceptance per layer (null for bijectors and unadjusted Langevin). */
  acceptance?: (number | null)[];
}

/** Cached quantities at the current point of the path (invalidated by deterministic layers). */
interface Point {
  y: tf.Tensor2D;
  u?: tf.Tensor1D;
  up?: tf.Tensor1D;
  gu?: tf.Tensor2D;
  gup?: tf.Tensor2D;
}

/** Energy bookkeeping shared by the blocks of one batch of paths. */
interface PathContext {
  n: number;
  /** Target evaluations so far (gradients included). */
  evals: number;
  ensureValues(p: Point): void;
  ensureGrads(p: Point): void;
  release(): void;
}

/**
 * The library's Metropolis decision (`mhDecision`) as a float 0/1 mask off the gradient tape (tfjs has no gradient for
 * comparisons): accept where u and u_prior of the proposal are finite and log U < log r. The decision contributes zero gradient.
 */
const decide = tf.customGrad(((logR: tf.Tensor, logU: tf.Tensor, u: tf.Tensor, up: tf.Tensor) => ({
  value: mhDecision(logR as tf.Tensor1D, logU as tf.Tensor1D, tf.logicalAnd(tf.isFinite(u), tf.isFinite(up)) as tf.Tensor1D).accepted,
  gradFunc: () => [tf.zerosLike(logR), tf.zerosLike(logU), tf.zerosLike(u), tf.zerosLike(up)],
})) as unknown as Parameters<typeof tf.customGrad>[0]) as (logR: tf.Tensor, logU: tf.Tensor, u: tf.Tensor, up: tf.Tensor) => tf.Tensor1D;

/** Per-layer mean acceptance read to the host (null for bijector layers); the scalars are disposed. */
function* readAcceptance(acc: (tf.Scalar | undefined)[]): HostReads<(number | null)[]> {
  const out: (number | null)[] = [];
  for (const a of acc) {
    if (!a) {
      out.push(null);
      continue;
    }
    try {
      out.push((yield a)[0]);
    } finally {
      a.dispose();
    }
  }
  return out;
}

/** (1 − λ)·a + λ·b without 0·Inf = NaN at the ends. */
function interp(lambda: number, a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (lambda === 0) return a;
  if (lambda === 1) return b;
  return tf.add(tf.mul(a, 1 - lambda), tf.mul(b, lambda));
}

/**
 * Stochastic normalizing flow (Wu, Köhler & Noé, NeurIPS 2020): z_0 ~ p_base, then layers y_{t+1} = layer_t(y_t),
 * each a deterministic Bijector or a stochastic block (Metropolis / Langevin / MALA on u_λ). The path log-weight
 * log w = −u(x_T) + u_prior(z_0) + Σ_t ΔS_t (ΔS = log|det J| for bijectors, u_λ(y_{t+1}) − u_λ(y_t) for blocks in detailed
 * balance with u_λ, log q_t(y_t|y_{t+1}) − log q_t(y_{t+1}|y_t) for unadjusted Langevin) makes E[w·f(x_T)] = Z·E_μ[f]:
 * self-normalised weights are exact, and logMeanExp(log w) estimates log Z with Z = ∫exp(−u). With stochastic blocks only
 * and λ = linearLambdas(K) this is annealed importance sampling.
 *
 * Training: `klLoss` = mean(−log w) = KL(path ‖ backward path) − log Z is differentiable in the bijectors' variables:
 * Langevin blocks are reparameterised (second-order autodiff through ∇u_λ), Metropolis blocks pass gradients through the
 * selected branch of tf.where (the accept/reject decision itself contributes no gradient, as in the paper). The base is
 * treated as fixed (its samples are not reparameterised).
 */
export class StochasticNormalizingFlow {
  readonly dim: number;
  readonly base: Distribution;
  readonly target: Energy;
  readonly layers: readonly SnfLayer[];
  private readonly prior: Energy;

  constructor(options: StochasticNormalizingFlowOptions) {
    const { base, target, layers } = options ?? ({} as StochasticNormalizingFlowOptions);
    if (!base || typeof base.logProb !== 'function' || typeof base.sample !== 'function') {
      throw new BoltzflowError('INVALID_VALUE', 'Expected a Distribution', { argument: 'base', expected: 'Distribution', received: typeof base });
    }
    checkEnergy(target, 'target');
    checkSameDim(base.dim, target, 'base');
    if (!Array.isArray(layers)) {
      throw new BoltzflowError('INVALID_VALUE', 'Expected an array of layers', {
        argument: 'layers',
        expected: '(Bijector | StochasticBlock)[]',
        received: typeof layers,
      });
    }
    layers.forEach((l, i) => {
      if (isBlock(l)) {
        checkBlockOptions(l);
        return;
      }
      const b = l as Bijector;
      if (!b || typeof b.forward !== 'function') {
        throw new BoltzflowError('INVALID_VALUE', 'Layer is neither a Bijector nor a stochastic block', {
          argument: `layers[${i}]`,
          expected: 'Bijector | metropolisBlock() | langevinBlock()',
          received: typeof l,
        });
      }
      checkSameDim(b.dim, target, `layers[${i}]`);
    });
    this.dim = base.dim;
    this.base = base;
    this.target = target;
    this.layers = [...layers];
    this.prior = { dim: base.dim, name: 'prior', energy: (y) => tf.tidy(() => tf.neg(base.logProb(y)) as tf.Tensor1D) };
  }

  /** Variables of the base and of the deterministic layers, in layer order, without duplicates. */
  get trainableVariables(): tf.Variable[] {
    const seen = new Set<tf.Variable>();
    const out: tf.Variable[] = [];
    const add = (vs: readonly tf.Variable[]) => {
      for (const v of vs) if (!seen.has(v)) seen.add(v), out.push(v);
    };
    add(this.base.trainableVariables);
    for (const l of this.layers) if (!isBlock(l)) add(l.trainableVariables);
    return out;
  }

  /** Draws n path samples with their log-weights (fresh tensors owned by the caller). */
  sample(n: number, rng: Rng, options: SnfSampleOptions = {}): SnfSample {
    return runHostReadsSync(this.sampleReads(n, rng, options));
  }

  /**
   * {@link sample} with the per-layer acceptances (`perLayer`) read asynchronously: the same draws and values, and it
   * runs where synchronous reads are unavailable (WebGPU in Node).
   */
  sampleAsync(n: number, rng: Rng, options: SnfSampleOptions = {}): Promise<SnfSample> {
    return runHostReadsAsync(this.sampleReads(n, rng, options));
  }

  private *sampleReads(n: number, rng: Rng, options: SnfSampleOptions): HostReads<SnfSample> {
    assertInteger(n, 'n', 1);
    const perLayer = options.perLayer ?? false;
    let evals = 0;
    const res = tf.tidy(() => {
      const r = this.run(n, rng, perLayer);
      evals = r.evals;
      return { x: r.x, logWeights: r.logW, energy: r.u, deltaS: r.deltaS, acc: r.acc };
    });
    const out: SnfSample = { x: res.x, logWeights: res.logWeights, energy: res.energy, energyEvaluations: evals };
    if (perLayer) {
      out.deltaS = res.deltaS;
      out.acceptance = yield* readAcceptance(res.acc);
    }
    return out;
  }

  /**
   * mean(−log w) over n fresh paths (= reverse KL of the path measures up to the constant −log Z): a scalar to minimise,
   * e.g. `optimizer.minimize(() => snf.klLoss(256, rng), false, snf.trainableVariables)`. Paths with non-finite weight
   * are left out of the mean.
   */
  klLoss(n: number, rng: Rng): tf.Scalar {
    assertInteger(n, 'n', 1);
    return tf.tidy(() => {
      const { logW } = this.run(n, rng, false);
      const ok = tf.isFinite(logW);
      const safe = tf.where(ok, tf.neg(logW), tf.zerosLike(logW));
      const count = tf.maximum(tf.sum(tf.cast(ok, 'float32')), 1);
      return tf.div(tf.sum(safe), count) as tf.Scalar;
    });
  }

  /**
   * Upper bound on the negative log-likelihood of data under the SNF's marginal, for maximum likelihood through the
   * backward path (Wu et al. 2020, eq. 9): each row of `x` `[n, dim]` is carried back to the prior by the inverse of
   * every bijector and by the backward kernel of every stochastic block, and the loss is
   * mean(u_prior(z_0) + Σ_t ΔS_t) = mean(log w + u(x)) ≥ −log p_SNF(x) (Jensen; equality, the exact NLL −log q(x),
   * for bijector layers only). Blocks in detailed balance with u_λ (Metropolis, MALA) are their own backward kernels,
   * so the backward path runs the same block from the data end with ΔS = u_λ(y_out) − u_λ(y_in); unadjusted Langevin
   * steps use the Langevin step from the other end and the ratio of the two Gaussian transition densities.
   * Differentiable like {@link klLoss} (reparameterised Langevin noise, accepted Metropolis moves); rows with a
   * non-finite result are left out of the mean. Target evaluations spent are those of the stochastic blocks.
   */
  mlLoss(x: tf.Tensor2D, rng: Rng): tf.Scalar {
    assertBatch(x, 'x', this.dim);
    return tf.tidy(() => {
      const { logW, u } = this.runBackward(x, rng, false);
      // log w + u(x): u(x) is a constant of the parameters; it is finite wherever log w is.
      const nll = tf.add(logW, u);
      const ok = tf.isFinite(nll);
      const safe = tf.where(ok, nll, tf.zerosLike(nll));
      const count = tf.maximum(tf.sum(tf.cast(ok, 'float32')), 1);
      return tf.div(tf.sum(safe), count) as tf.Scalar;
    });
  }

  /**
   * Backward paths from data `x` `[n, dim]` to the prior, with the same log-weight convention as {@link sample}:
   * log w = −u(x) + u_prior(z_0) + Σ_t ΔS_t with every ΔS_t in the forward orientation. Under data from the target,
   * E[1/w] = 1/Z; `mlLoss` is mean(log w + u(x)). Returns `z0` `[n, dim]`, `logWeights` `[n]` and the evaluations spent.
   */
  backward(x: tf.Tensor2D, rng: Rng, options: SnfSampleOptions = {}): SnfBackward {
    return runHostReadsSync(this.backwardReads(x, rng, options));
  }

  /**
   * {@link backward} with the per-layer acceptances (`perLayer`) read asynchronously: the same draws and values, and it
   * runs where synchronous reads are unavailable (WebGPU in Node).
   */
  backwardAsync(x: tf.Tensor2D, rng: Rng, options: SnfSampleOptions = {}): Promise<SnfBackward> {
    return runHostReadsAsync(this.backwardReads(x, rng, options));
  }

  private *backwardReads(x: tf.Tensor2D, rng: Rng, options: SnfSampleOptions): HostReads<SnfBackward> {
    assertBatch(x, 'x', this.dim);
    const perLayer = options.perLayer ?? false;
    let evals = 0;
    const res = tf.tidy(() => {
      const r = this.runBackward(x, rng, perLayer);
      evals = r.evals;
      return { z0: r.x, logWeights: r.logW, deltaS: r.deltaS, acc: r.acc };
    });
    const out: SnfBackward = { z0: res.z0, logWeights: res.logWeights, energyEvaluations: evals };
    if (perLayer) {
      out.deltaS = res.deltaS;
      out.acceptance = yield* readAcceptance(res.acc);
    }
    return out;
  }

  /** Energy bookkeeping of one batch of paths (call inside a tidy; `release` frees the kept energies at the end). */
  private pathContext(n: number): PathContext {
    const target = this.target;
    const prior = this.prior;
    // energyAndGrad returns its energy tf.keep()-ed (it escapes tidy scopes): take a tracked copy, free the kept one at the end.
    const kept: tf.Tensor[] = [];
    const own = (t: tf.Tensor1D): tf.Tensor1D => {
      kept.push(t);
      return t.clone();
    };
    const ctx: PathContext = {
      n,
      evals: 0,
      ensureValues: (p) => {
        if (!p.u) {
          p.u = target.energy(p.y);
          ctx.evals += n;
        }
        if (!p.up) p.up = prior.energy(p.y);
      },
      ensureGrads: (p) => {
        if (!p.gu) {
          const eg = energyAndGrad(target, p.y);
          p.u = own(eg.energy);
          p.gu = eg.grad;
          ctx.evals += n;
        }
        if (!p.gup) {
          const eg = energyAndGrad(prior, p.y);
          p.up = own(eg.energy);
          p.gup = eg.grad;
        }
      },
      release: () => tf.dispose(kept),
    };
    return ctx;
  }

  /**
   * Runs one stochastic block from `cur`. Returns the end point, the block's ΔS as the forward formula reads it from
   * this start and end (u_λ(end) − u_λ(start) for Metropolis/MALA, Σ log q(start|end) − log q(end|start) for unadjusted
   * Langevin) and the mean acceptance. Run backwards (from the data end) the forward-orientation ΔS is its negative.
   */
  private runBlock(layer: StochasticBlock, start: Point, rng: Rng, ctx: PathContext): { cur: Point; ds: tf.Tensor1D; acc?: tf.Scalar } {
    const { n } = ctx;
    const target = this.target;
    const prior = this.prior;
    let cur = start;
    if (layer.type === 'metropolis') {
      const { lambda, stepSize, steps } = layer;
      ctx.ensureValues(cur);
      const u0 = interp(lambda, cur.up!, cur.u!) as tf.Tensor1D;
      let accSum: tf.Tensor = tf.scalar(0);
      for (let s = 0; s < steps; s++) {
        const prop = tf.add(cur.y, tf.mul(rng.normal([n, this.dim]), stepSize)) as tf.Tensor2D;
        const u = target.energy(prop);
        ctx.evals += n;
        const up = prior.energy(prop);
        const logR = tf.sub(interp(lambda, cur.up!, cur.u!), interp(lambda, up, u));
        const maskF = decide(logR, tf.log(rng.uniform([n])), u, up);
        const mask = tf.cast(maskF, 'bool') as tf.Tensor1D;
        accSum = tf.add(accSum, tf.mean(maskF));
        cur = { y: selectRows(mask, prop, cur.y), u: selectRows(mask, u, cur.u!), up: selectRows(mask, up, cur.up!) };
      }
      return { cur, ds: tf.sub(interp(lambda, cur.up!, cur.u!), u0) as tf.Tensor1D, acc: tf.div(accSum, steps) as tf.Scalar };
    }
    const { lambda, stepSize: tau, steps, metropolize } = layer;
    ctx.ensureGrads(cur);
    const u0 = interp(lambda, cur.up!, cur.u!) as tf.Tensor1D;
    let sum: tf.Tensor = tf.zeros([n]);
    let accSum: tf.Tensor = tf.scalar(0);
    for (let s = 0; s < steps; s++) {
      const xi = rng.normal([n, this.dim]);
      const g = interp(lambda, cur.gup!, cur.gu!);
      const prop = tf.add(tf.sub(cur.y, tf.mul(g, tau)), tf.mul(xi, Math.sqrt(2 * tau))) as tf.Tensor2D;
      const next: Point = { y: prop };
      ctx.ensureGrads(next);
      const gNext = interp(lambda, next.gup!, next.gu!);
      // log q(y | y′) − log q(y′ | y): forward residual is √(2τ)ξ, backward is y − y′ + τ∇u_λ(y′).
      const logBack = tf.div(tf.sum(tf.square(tf.add(tf.sub(cur.y, prop), tf.mul(gNext, tau))), 1), -4 * tau);
      const logFwd = tf.mul(tf.sum(tf.square(xi), 1), -0.5);
      const logRatioQ = tf.sub(logBack, logFwd);
      if (!metropolize) {
        sum = tf.add(sum, logRatioQ);
        cur = next;
      } else {
        const logR = tf.add(tf.sub(interp(lambda, cur.up!, cur.u!), interp(lambda, next.up!, next.u!)), logRatioQ);
        const maskF = decide(logR, tf.log(rng.uniform([n])), next.u!, next.up!);
        const mask = tf.cast(maskF, 'bool') as tf.Tensor1D;
        accSum = tf.add(accSum, tf.mean(maskF));
        cur = {
          y: selectRows(mask, prop, cur.y),
          u: selectRows(mask, next.u!, cur.u!),
          up: selectRows(mask, next.up!, cur.up!),
          gu: selectRows(mask, next.gu!, cur.gu!),
          gup: selectRows(mask, next.gup!, cur.gup!),
        };
      }
    }
    if (metropolize) return { cur, ds: tf.sub(interp(lambda, cur.up!, cur.u!), u0) as tf.Tensor1D, acc: tf.div(accSum, steps) as tf.Scalar };
    return { cur, ds: sum as tf.Tensor1D };
  }

  /** One batch of paths; call inside a tidy. */
  private run(
    n: number,
    rng: Rng,
    perLayer: boolean,
  ): { x: tf.Tensor2D; logW: tf.Tensor1D; u: tf.Tensor1D; evals: number; deltaS: tf.Tensor1D[]; acc: (tf.Scalar | undefined)[] } {
    const ctx = this.pathContext(n);
    const z0 = this.base.sample(n, rng);
    let cur: Point = { y: z0, up: this.prior.energy(z0) };
    let logW: tf.Tensor1D = cur.up as tf.Tensor1D; // + u_prior(z_0)
    const deltaS: tf.Tensor1D[] = [];
    const acc: (tf.Scalar | undefined)[] = [];
    for (const layer of this.layers) {
      let ds: tf.Tensor1D;
      let a: tf.Scalar | undefined;
      if (!isBlock(layer)) {
        const f = layer.forward(cur.y);
        cur = { y: f.y };
        ds = f.logDet;
      } else {
        const r = this.runBlock(layer, cur, rng, ctx);
        cur = r.cur;
        ds = r.ds;
        a = r.acc;
      }
      logW = tf.add(logW, ds) as tf.Tensor1D;
      if (perLayer) {
        deltaS.push(ds);
        acc.push(a);
      }
    }
    ctx.ensureValues(cur);
    const u = cur.u!;
    const raw = tf.sub(logW, u);
    // Paths through non-finite energies get weight zero, never NaN.
    logW = tf.where(tf.isFinite(raw), raw, tf.fill([n], -Infinity)) as tf.Tensor1D;
    ctx.release();
    return { x: cur.y, logW, u, evals: ctx.evals, deltaS, acc };
  }

  /** One batch of backward paths from data `x` (layers in reverse order); call inside a tidy. ΔS in forward orientation. */
  private runBackward(
    x: tf.Tensor2D,
    rng: Rng,
    perLayer: boolean,
  ): { x: tf.Tensor2D; logW: tf.Tensor1D; u: tf.Tensor1D; evals: number; deltaS: tf.Tensor1D[]; acc: (tf.Scalar | undefined)[] } {
    const n = x.shape[0];
    const ctx = this.pathContext(n);
    const end: Point = { y: x };
    // u(x) of the data is needed for the weight; the last block (λ = 1) reuses it.
    ctx.ensureValues(end);
    const u = end.u!;
    let cur = end;
    let sum: tf.Tensor1D = tf.zeros([n]);
    const deltaS: tf.Tensor1D[] = [];
    const acc: (tf.Scalar | undefined)[] = [];
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const layer = this.layers[i];
      let ds: tf.Tensor1D;
      let a: tf.Scalar | undefined;
      if (!isBlock(layer)) {
        const inv = layer.inverse(cur.y);
        cur = { y: inv.x };
        ds = tf.neg(inv.logDet) as tf.Tensor1D; // forward log|det J| at the preimage
      } else {
        const r = this.runBlock(layer, cur, rng, ctx);
        cur = r.cur;
        ds = tf.neg(r.ds) as tf.Tensor1D;
        a = r.acc;
      }
      sum = tf.add(sum, ds) as tf.Tensor1D;
      if (perLayer) {
        deltaS.unshift(ds);
        acc.unshift(a);
      }
    }
    const raw = tf.add(tf.sub(this.prior.energy(cur.y), u), sum);
    const logW = tf.where(tf.isFinite(raw), raw, tf.fill([n], -Infinity)) as tf.Tensor1D;
    ctx.release();
    return { x: cur.y, logW, u, evals: ctx.evals, deltaS, acc };
  }
}
