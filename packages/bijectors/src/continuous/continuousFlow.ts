import * as tf from '@tensorflow/tfjs';
import {
  assertBatch,
  assertInteger,
  assertPositive,
  BoltzflowError,
  createRng,
  type Bijector,
  type ForwardResult,
  type InverseResult,
  type Rng,
  type SerializedConfig,
  assertOneOf,
} from '@boltzflow/core';

import type { VectorField } from './vectorField.js';

/** ODE integrator of {@link ContinuousFlow}. */
export type OdeSolver = 'rk4' | 'dopri5';
/** How {@link ContinuousFlow} computes the divergence of its vector field. */
export type TraceEstimator = 'exact' | 'hutchinson';
/** Distribution of the probe vectors of the stochastic trace estimator. */
export type ProbeDistribution = 'rademacher' | 'gaussian';
/**
 * How gradients flow back through {@link ContinuousFlow}: 'direct' backpropagates through every solver stage (memory
 * grows with the number of steps); 'adjoint' solves the augmented adjoint ODE backwards (Chen et al. 2018), memory flat
 * in the number of steps.
 */
export type CnfGradient = 'direct' | 'adjoint';

/** Options of {@link ContinuousFlow}. */
export interface ContinuousFlowOptions {
  /** 'rk4' (fixed step, default) or adaptive Dormand–Prince 'dopri5'. */
  solver?: OdeSolver;
  /** RK4 steps over [0, 1] (default 20). */
  steps?: number;
  /** dopri5 absolute and relative tolerance on the state (default 1e-5). */
  tolerance?: number;
  /** dopri5 budget of attempted steps per integration (default 1000); exceeding it throws NOT_CONVERGED. */
  maxSteps?: number;
  /** dopri5 first trial step (default 0.05). */
  initialStep?: number;
  /** 'exact' trace (dim vector–Jacobian products, batched; default) or the 'hutchinson' estimator (one probe). */
  trace?: TraceEstimator;
  /** Hutchinson probe distribution (default 'rademacher'). */
  probe?: ProbeDistribution;
  /** Stream of the Hutchinson probes (default seed 0). */
  rng?: Rng;
  /**
   * Most rows of the tiled `[n·dim, dim]` batch the exact trace sends through the field at once (default 256).
   * Larger batches are traced in chunks of samples: the field's activations for the whole tiled batch (for an EGNN,
   * `[n·dim, P, P, hidden]`) would not fit in WASM's 4 GB. Measured on LJ13 (EGNN hidden 32, 3 layers, 8 RK4 steps,
   * 50 samples): peak process memory 0.9 / 1.7 / 3.2 GiB at 256 / 512 / 1024 rows, the same speed.
   */
  maxTraceBatch?: number;
  /**
   * 'direct' (default): backpropagation through the RK4/dopri5 stages. 'adjoint' (RK4 only): the forward keeps no
   * tape; the backward integrates state, adjoint, log-det adjoint and parameter gradients from t1 back to t0 with the same
   * number of RK4 steps (optimise-then-discretise, so it matches 'direct' to the solver's O(h⁴) error, not bit for bit).
   */
  gradient?: CnfGradient;
}

/**
 * Runs `fn` with the engine's gradient tape detached (a fresh, private tape for any `tf.grad` inside), then restores it.
 * The adjoint's forward runs inside a custom-gradient kernel, where TF.js switches the tape off, yet the trace needs a
 * vector–Jacobian product; its backward runs during an outer backpropagation whose tape a nested `tf.grad` must not
 * replace. Reaches into `tf.engine().state` (kernelDepth, gradientDepth, activeTape) — TF.js has no public API for it.
 */
function withPrivateTape<T>(fn: () => T): T {
  const state = tf.engine().state as unknown as { kernelDepth: number; gradientDepth: number; activeTape: unknown };
  const saved = { kernelDepth: state.kernelDepth, gradientDepth: state.gradientDepth, activeTape: state.activeTape };
  state.kernelDepth = 0;
  state.gradientDepth = 0;
  state.activeTape = null;
  try {
    return fn();
  } finally {
    state.kernelDepth = saved.kernelDepth;
    state.gradientDepth = saved.gradientDepth;
    state.activeTape = saved.activeTape;
  }
}

// Dormand–Prince 5(4) tableau (FSAL): rows of a, 5th-order weights b, error weights e = b − b̂.
const DP_C = [0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1, 1];
const DP_A = [
  [],
  [1 / 5],
  [3 / 40, 9 / 40],
  [44 / 45, -56 / 15, 32 / 9],
  [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
  [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
  [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
];
const DP_E = [71 / 57600, 0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40];

type Deriv = { f: tf.Tensor2D; tr: tf.Tensor1D };

/**
 * Continuous normalizing flow (Chen et al. 2018; FFJORD, Grathwohl et al. 2019): y = x(1) with dx/dt = f(x, t),
 * x(0) = x, and d log|det ∂x(t)/∂x(0)|/dt = Tr ∂f/∂x. `forward` integrates t: 0 → 1, `inverse` t: 1 → 0 (so its
 * logDet is the negative). The exact trace uses dim vector–Jacobian products in one batched pass (use it for reported
 * likelihoods); Hutchinson uses εᵀ(∂f/∂x)ε with one probe ε per sample and call, drawn from `rng` (for training).
 */
export class ContinuousFlow implements Bijector {
  readonly dim: number;
  readonly field: VectorField;
  readonly solver: OdeSolver;
  readonly steps: number;
  readonly tolerance: number;
  readonly maxSteps: number;
  readonly initialStep: number;
  trace: TraceEstimator;
  readonly probe: ProbeDistribution;
  readonly maxTraceBatch: number;
  /** 'direct' or 'adjoint' backward (see {@link ContinuousFlowOptions.gradient}). */
  readonly gradient: CnfGradient;
  private readonly rng: Rng;
  /** Attempted dopri5 steps (accepted + rejected) of the last integration; RK4: `steps`. */
  lastStepCount = 0;

  constructor(field: VectorField, options: ContinuousFlowOptions = {}) {
    if (!field || typeof field.apply !== 'function') {
      throw new BoltzflowError('INVALID_VALUE', 'Expected a vector field', {
        argument: 'vectorField',
        expected: '{ dim, apply(x, t) }',
        received: typeof field,
      });
    }
    assertInteger(field.dim, 'vectorField.dim', 1);
    this.field = field;
    this.dim = field.dim;
    const solver = options.solver ?? 'rk4';
    assertOneOf(solver, ['rk4', 'dopri5'], 'solver', { code: 'INVALID_CONFIG', message: 'Unknown ODE solver' });
    this.solver = solver;
    this.steps = options.steps ?? 20;
    assertInteger(this.steps, 'steps', 1);
    this.tolerance = options.tolerance ?? 1e-5;
    assertPositive(this.tolerance, 'tolerance');
    this.maxSteps = options.maxSteps ?? 1000;
    assertInteger(this.maxSteps, 'maxSteps', 1);
    this.initialStep = options.initialStep ?? 0.05;
    assertPositive(this.initialStep, 'initialStep');
    const trace = options.trace ?? 'exact';
    assertOneOf(trace, ['exact', 'hutchinson'], 'trace', { code: 'INVALID_CONFIG', message: 'Unknown trace estimator' });
    this.trace = trace;
    const probe = options.probe ?? 'rademacher';
    assertOneOf(probe, ['rademacher', 'gaussian'], 'probe', { code: 'INVALID_CONFIG', message: 'Unknown probe distribution' });
    this.probe = probe;
    this.rng = options.rng ?? createRng(0);
    this.maxTraceBatch = options.maxTraceBatch ?? 256;
    assertInteger(this.maxTraceBatch, 'maxTraceBatch', 1);
    const gradient = options.gradient ?? 'direct';
    assertOneOf(gradient, ['direct', 'adjoint'], 'gradient', { code: 'INVALID_CONFIG', message: 'Unknown gradient method' });
    this.gradient = gradient;
    if (this.gradient === 'adjoint' && this.solver !== 'rk4') {
      throw new BoltzflowError('INVALID_CONFIG', 'The adjoint gradient needs the fixed-step RK4 solver', {
        argument: 'gradient',
        expected: "solver 'rk4' with gradient 'adjoint'",
        received: `solver '${this.solver}'`,
      });
    }
  }

  /** Variables trained by gradients, in a fixed order (checkpoints rely on it). */
  get trainableVariables(): tf.Variable[] {
    return this.field.trainableVariables;
  }

  forward(x: tf.Tensor2D): ForwardResult {
    assertBatch(x, 'x', this.dim);
    const { state, logDet } = this.integrate(x, 0, 1);
    return { y: state, logDet };
  }

  inverse(y: tf.Tensor2D): InverseResult {
    assertBatch(y, 'y', this.dim);
    const { state, logDet } = this.integrate(y, 1, 0);
    return { x: state, logDet };
  }

  /**
   * Tr ∂f/∂x at (x, t), exact, `[n]`: dim vector–Jacobian products in one batched pass, over chunks of samples whose
   * tiled batch has at most `maxTraceBatch` rows.
   */
  exactTrace(x: tf.Tensor2D, t: number): tf.Tensor1D {
    const [n, d] = x.shape;
    const per = Math.max(1, Math.floor(this.maxTraceBatch / d));
    if (n <= per) return this.exactTraceBatch(x, t);
    const parts: tf.Tensor1D[] = [];
    try {
      // Each chunk in its own tidy frees its activations before the next one (unless an outer gradient tape holds them).
      for (let s = 0; s < n; s += per) parts.push(tf.tidy(() => this.exactTraceBatch(tf.slice(x, [s, 0], [Math.min(per, n - s), d]), t)));
      return tf.concat(parts) as tf.Tensor1D;
    } finally {
      tf.dispose(parts);
    }
  }

  private exactTraceBatch(x: tf.Tensor2D, t: number): tf.Tensor1D {
    return tf.tidy(() => {
      const [n, d] = x.shape;
      const xs = tf.tile(x, [d, 1]) as tf.Tensor2D;
      // Block k of the tiled batch gets the probe e_k, so Σ_k e_kᵀ J e_k = Tr J with one backward pass.
      const e = tf.reshape(tf.tile(tf.reshape(tf.eye(d), [d, 1, d]), [1, n, 1]), [d * n, d]);
      const g = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(this.field.apply(xx as tf.Tensor2D, t), e)))(xs);
      return tf.sum(tf.reshape(tf.mul(g, e), [d, n, d]), [0, 2]) as tf.Tensor1D;
    });
  }

  /** Hutchinson estimate εᵀ(∂f/∂x)ε by one vector–Jacobian product, `[n]`. */
  hutchinsonTrace(x: tf.Tensor2D, t: number, eps: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => {
      const g = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(this.field.apply(xx as tf.Tensor2D, t), eps)))(x);
      return tf.sum(tf.mul(g, eps), 1) as tf.Tensor1D;
    });
  }

  /** Draws one probe `[n, dim]` from the flow's stream. */
  drawProbe(n: number): tf.Tensor2D {
    return (this.probe === 'rademacher' ? this.rng.rademacher([n, this.dim]) : this.rng.normal([n, this.dim])) as tf.Tensor2D;
  }

  private deriv(x: tf.Tensor2D, t: number, eps: tf.Tensor2D | null): Deriv {
    return tf.tidy(() => ({ f: this.field.apply(x, t), tr: eps ? this.hutchinsonTrace(x, t, eps) : this.exactTrace(x, t) }));
  }

  private integrate(x0: tf.Tensor2D, t0: number, t1: number): { state: tf.Tensor2D; logDet: tf.Tensor1D } {
    const eps = this.trace === 'hutchinson' ? this.drawProbe(x0.shape[0]) : null;
    try {
      if (this.gradient === 'adjoint') return this.adjointIntegrate(x0, t0, t1, eps);
      return this.solver === 'rk4' ? this.rk4(x0, t0, t1, eps) : this.dopri5(x0, t0, t1, eps);
    } finally {
      eps?.dispose();
    }
  }

  private rk4(x0: tf.Tensor2D, t0: number, t1: number, eps: tf.Tensor2D | null): { state: tf.Tensor2D; logDet: tf.Tensor1D } {
    const h = (t1 - t0) / this.steps;
    let x = x0;
    let l = tf.zeros([x0.shape[0]]) as tf.Tensor1D;
    for (let s = 0; s < this.steps; s++) {
      const t = t0 + s * h;
      const next = tf.tidy(() => {
        const k1 = this.deriv(x, t, eps);
        const k2 = this.deriv(tf.add(x, tf.mul(k1.f, h / 2)), t + h / 2, eps);
        const k3 = this.deriv(tf.add(x, tf.mul(k2.f, h / 2)), t + h / 2, eps);
        const k4 = this.deriv(tf.add(x, tf.mul(k3.f, h)), t + h, eps);
        const comb = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => tf.mul(tf.addN([a, tf.mul(b, 2), tf.mul(c, 2), d]), h / 6);
        return { x: tf.add(x, comb(k1.f, k2.f, k3.f, k4.f)) as tf.Tensor2D, l: tf.add(l, comb(k1.tr, k2.tr, k3.tr, k4.tr)) as tf.Tensor1D };
      });
      if (x !== x0) x.dispose();
      l.dispose();
      x = next.x;
      l = next.l;
    }
    this.lastStepCount = this.steps;
    return { state: x === x0 ? x0.clone() : x, logDet: l };
  }

  private dopri5(x0: tf.Tensor2D, t0: number, t1: number, eps: tf.Tensor2D | null): { state: tf.Tensor2D; logDet: tf.Tensor1D } {
    const dir = Math.sign(t1 - t0);
    const tol = this.tolerance;
    let t = t0;
    let h = this.initialStep;
    let x = x0.clone();
    let l = tf.zeros([x0.shape[0]]) as tf.Tensor1D;
    let k1 = this.deriv(x, t, eps);
    let attempts = 0;
    try {
      while (dir * (t1 - t) > 1e-12) {
        if (attempts >= this.maxSteps) {
          throw new BoltzflowError('NOT_CONVERGED', `dopri5 exceeded its step budget at t = ${t.toPrecision(6)} (integrating from ${t0} to ${t1})`, {
            argument: 'maxSteps',
            expected: `more than ${this.maxSteps} steps or a looser tolerance`,
            received: String(this.maxSteps),
            timeReached: t,
          });
        }
        attempts++;
        const hs = dir * Math.min(h, Math.abs(t1 - t));
        const trial = tf.tidy(() => {
          const ks: Deriv[] = [k1];
          for (let i = 1; i < 7; i++) {
            let xi = x as tf.Tensor;
            DP_A[i].forEach((a, j) => {
              if (a !== 0) xi = tf.add(xi, tf.mul(ks[j].f, hs * a));
            });
            if (i < 6) ks.push(this.deriv(xi as tf.Tensor2D, t + DP_C[i] * hs, eps));
            else {
              // Stage 7 is evaluated at the 5th-order solution (FSAL).
              let li = l as tf.Tensor;
              DP_A[6].forEach((a, j) => {
                if (a !== 0) li = tf.add(li, tf.mul(ks[j].tr, hs * a));
              });
              const k7 = this.deriv(xi as tf.Tensor2D, t + hs, eps);
              let err = tf.zerosLike(x) as tf.Tensor;
              DP_E.forEach((e, j) => {
                if (e !== 0) err = tf.add(err, tf.mul((j < 6 ? ks[j] : k7).f, hs * e));
              });
              const scale = tf.add(tol, tf.mul(tol, tf.maximum(tf.abs(x), tf.abs(xi))));
              const errNorm = tf.sqrt(tf.mean(tf.square(tf.div(err, scale))));
              return { x: xi as tf.Tensor2D, l: li as tf.Tensor1D, k7, errNorm };
            }
          }
          throw new Error('unreachable');
        });
        const errNorm = trial.errNorm.dataSync()[0];
        trial.errNorm.dispose();
        if (!Number.isFinite(errNorm)) {
          tf.dispose([trial.x, trial.l, trial.k7.f, trial.k7.tr]);
          throw new BoltzflowError('NON_FINITE', `dopri5 produced a non-finite state at t = ${t.toPrecision(6)}`, {
            argument: 'x',
            expected: 'finite trajectory',
            received: String(errNorm),
          });
        }
        if (errNorm <= 1) {
          tf.dispose([x, l, k1.f, k1.tr]);
          x = trial.x;
          l = trial.l;
          k1 = trial.k7;
          t += hs;
        } else {
          tf.dispose([trial.x, trial.l, trial.k7.f, trial.k7.tr]);
        }
        h = Math.abs(hs) * Math.min(5, Math.max(0.2, 0.9 * Math.pow(Math.max(errNorm, 1e-10), -0.2)));
      }
    } catch (e) {
      tf.dispose([x, l]);
      throw e;
    } finally {
      tf.dispose([k1.f, k1.tr]);
    }
    this.lastStepCount = attempts;
    return { state: x, logDet: l };
  }

  /**
   * RK4 integration whose gradient is the adjoint ODE: one custom-gradient node with inputs (x, ...variables) and output
   * `[n, dim + 1]` (state, log-det), so the outer tape holds O(n·dim) per call, whatever `steps` is.
   */
  private adjointIntegrate(x0: tf.Tensor2D, t0: number, t1: number, eps: tf.Tensor2D | null): { state: tf.Tensor2D; logDet: tf.Tensor1D } {
    const vars = this.field.trainableVariables;
    const d = this.dim;
    const node = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const x = args[0] as tf.Tensor2D;
      const save = args[args.length - 1] as tf.GradSaveFunc;
      const packed = withPrivateTape(() =>
        tf.tidy(() => {
          const r = this.rk4(x, t0, t1, eps);
          return tf.concat([r.state, tf.reshape(r.logDet, [-1, 1])], 1) as tf.Tensor2D;
        }),
      );
      save(eps ? [packed, eps] : [packed]);
      return {
        value: packed,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
          withPrivateTape(() => this.adjointBackward(saved[0] as tf.Tensor2D, dy as tf.Tensor2D, (saved[1] as tf.Tensor2D) ?? null, t0, t1)),
      };
    });
    return tf.tidy(() => {
      const packed = node(x0, ...vars) as tf.Tensor2D;
      const n = x0.shape[0];
      return { state: tf.slice(packed, [0, 0], [n, d]) as tf.Tensor2D, logDet: tf.reshape(tf.slice(packed, [0, d], [n, 1]), [n]) as tf.Tensor1D };
    });
  }

  /**
   * Adjoint backward (Chen et al. 2018, eqs. 4–5 with the log-det of FFJORD): from the output z(t1) and the loss gradient
   * (a, a_l) = (∂L/∂z(t1), ∂L/∂logDet), integrates dz/dt = f, da/dt = −∂(a·f + a_l·Tr ∂f/∂z)/∂z and
   * dg_θ/dt = −∂(a·f + a_l·Tr ∂f/∂z)/∂θ from t1 to t0 with RK4 (a_l is constant). Returns [∂L/∂x, ...∂L/∂θ].
   */
  private adjointBackward(out: tf.Tensor2D, dy: tf.Tensor2D, eps: tf.Tensor2D | null, t0: number, t1: number): tf.Tensor[] {
    const vars = this.field.trainableVariables;
    const [n] = out.shape;
    const d = this.dim;
    const h = (t0 - t1) / this.steps;
    const al = tf.reshape(tf.slice(dy, [0, d], [n, 1]), [n]);
    type Aug = { z: tf.Tensor2D; a: tf.Tensor2D; g: tf.Tensor[] };
    // Time derivative of the augmented state at (z, a, t).
    const aug = (z: tf.Tensor2D, a: tf.Tensor2D, t: number): Aug =>
      tf.tidy(() => {
        let fKept: tf.Tensor2D | null = null;
        const { value, grads } = tf.engine().gradients(
          () => {
            const f = this.field.apply(z, t);
            fKept = tf.keep(f);
            const tr = eps ? this.hutchinsonTrace(z, t, eps) : this.exactTrace(z, t);
            return tf.add(tf.sum(tf.mul(a, f)), tf.sum(tf.mul(al, tr))) as tf.Scalar;
          },
          [z, ...vars],
          undefined,
          true,
        );
        value.dispose();
        const f = tf.clone(fKept as unknown as tf.Tensor2D);
        (fKept as unknown as tf.Tensor2D).dispose();
        return {
          z: f,
          a: tf.neg(grads[0] ?? tf.zerosLike(z)) as tf.Tensor2D,
          g: vars.map((v, i) => tf.neg(grads[i + 1] ?? tf.zerosLike(v))),
        };
      });
    let z = tf.slice(out, [0, 0], [n, d]) as tf.Tensor2D;
    let a = tf.slice(dy, [0, 0], [n, d]) as tf.Tensor2D;
    let g: tf.Tensor[] = vars.map((v) => tf.zerosLike(v));
    try {
      for (let s = 0; s < this.steps; s++) {
        const t = t1 + s * h;
        const next = tf.tidy(() => {
          const step = (c: Aug, w: number): [tf.Tensor2D, tf.Tensor2D] => [tf.add(z, tf.mul(c.z, w)) as tf.Tensor2D, tf.add(a, tf.mul(c.a, w)) as tf.Tensor2D];
          const k1 = aug(z, a, t);
          const k2 = aug(...step(k1, h / 2), t + h / 2);
          const k3 = aug(...step(k2, h / 2), t + h / 2);
          const k4 = aug(...step(k3, h), t + h);
          const comb = (p: tf.Tensor, q: tf.Tensor, r: tf.Tensor, u: tf.Tensor) => tf.mul(tf.addN([p, tf.mul(q, 2), tf.mul(r, 2), u]), h / 6);
          return {
            z: tf.add(z, comb(k1.z, k2.z, k3.z, k4.z)) as tf.Tensor2D,
            a: tf.add(a, comb(k1.a, k2.a, k3.a, k4.a)) as tf.Tensor2D,
            g: g.map((gi, i) => tf.add(gi, comb(k1.g[i], k2.g[i], k3.g[i], k4.g[i]))),
          };
        });
        tf.dispose([z, a, ...g]);
        z = next.z;
        a = next.a;
        g = next.g;
      }
      return [a, ...g];
    } finally {
      tf.dispose([z, al]);
    }
  }

  /** JSON description `{ type, ...params }` without weights, from which the registry rebuilds it. */
  toConfig(): SerializedConfig {
    return {
      type: 'ContinuousFlow',
      vectorField: this.field.toConfig(),
      solver: this.solver,
      steps: this.steps,
      tolerance: this.tolerance,
      maxSteps: this.maxSteps,
      initialStep: this.initialStep,
      trace: this.trace,
      probe: this.probe,
      maxTraceBatch: this.maxTraceBatch,
      gradient: this.gradient,
    };
  }

  /** Frees the variables it owns. */
  dispose(): void {
    this.field.dispose?.();
  }
}
