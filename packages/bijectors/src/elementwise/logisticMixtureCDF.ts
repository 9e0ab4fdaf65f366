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
} from '@boltzflow/core';

/** Options of {@link LogisticMixtureCDF}. */
export interface LogisticMixtureCDFOptions {
  dim: number;
  /** Mixture components K per dimension (default 4). */
  components?: number;
  /** Iteration budget of the inverse's root finder (default 100); exceeding it throws NOT_CONVERGED. */
  maxIterations?: number;
  /** Relative tolerance of the inverse: |Δx| ≤ tolerance · max(1, |x|) (default 1e-6). */
  tolerance?: number;
  /** Initialisation stream: logits ~ 0.5·N(0,1), means ~ N(0,1), log-scales ~ U(−1, 0.5). */
  rng?: Rng;
}

/**
 * Elementwise logistic-mixture CDF flow (Flow++, Ho et al. 2019), per dimension:
 * y = logit(Σ_k π_k σ((x − μ_k)/s_k)), π = softmax(logits), s = exp(logScales). Strictly increasing R → R.
 *
 * `forward` is closed-form and computed in log space (log u and log(1 − u) by log-sum-exp, so the tails keep their
 * precision); log dy/dx = log Σ_k π_k σ(z_k)σ(−z_k)/s_k − log u − log(1 − u).
 * `inverse` solves F(x) = y by safeguarded Newton (bisection whenever a step leaves the bracket) in float64 on the
 * host; the bracket [min_k(μ_k + s_k y), max_k(μ_k + s_k y)] always holds the root because logit(u) lies between the
 * smallest and the largest component logit z_k. The inverse is differentiable by the implicit-function theorem
 * (`tf.customGrad`): dx/dy = 1/F_x, dx/dθ = −F_θ/F_x — no backprop through the iterations.
 */
export class LogisticMixtureCDF implements Bijector {
  readonly dim: number;
  readonly components: number;
  readonly maxIterations: number;
  readonly tolerance: number;
  /** Mixture logits `[dim, K]`. */
  readonly logits: tf.Variable<tf.Rank.R2>;
  /** Component locations `[dim, K]`. */
  readonly means: tf.Variable<tf.Rank.R2>;
  /** Component log-scales `[dim, K]`. */
  readonly logScales: tf.Variable<tf.Rank.R2>;

  constructor(options: LogisticMixtureCDFOptions) {
    assertInteger(options?.dim, 'dim', 1);
    const k = options.components ?? 4;
    assertInteger(k, 'components', 1);
    const maxIterations = options.maxIterations ?? 100;
    assertInteger(maxIterations, 'maxIterations', 1);
    const tolerance = options.tolerance ?? 1e-6;
    assertPositive(tolerance, 'tolerance');
    this.dim = options.dim;
    this.components = k;
    this.maxIterations = maxIterations;
    this.tolerance = tolerance;
    const rng = options.rng ?? createRng(0);
    const d = this.dim;
    this.logits = tf.variable(tf.tidy(() => tf.mul(rng.normal([d, k]), 0.5)) as tf.Tensor2D, true);
    this.means = tf.variable(rng.normal([d, k]) as tf.Tensor2D, true);
    this.logScales = tf.variable(rng.uniform([d, k], -1, 0.5) as tf.Tensor2D, true);
  }

  /** y = F(x) and log F'(x) elementwise, `[n, dim]` each, differentiable in x and the parameters. */
  private evaluate(x: tf.Tensor2D, logits: tf.Tensor, means: tf.Tensor, logScales: tf.Tensor): { y: tf.Tensor2D; logDeriv: tf.Tensor2D } {
    return tf.tidy(() => {
      const logPi = tf.logSoftmax(logits, 1); // [d, K]
      const z = tf.mul(tf.sub(tf.expandDims(x, 2), means), tf.exp(tf.neg(logScales))); // [n, d, K]
      const logSigZ = tf.neg(tf.softplus(tf.neg(z)));
      const logSigMinusZ = tf.neg(tf.softplus(z));
      const logU = tf.logSumExp(tf.add(logPi, logSigZ), 2);
      const log1mU = tf.logSumExp(tf.add(logPi, logSigMinusZ), 2);
      const logP = tf.logSumExp(tf.sub(tf.add(tf.add(logPi, logSigZ), logSigMinusZ), logScales), 2);
      return { y: tf.sub(logU, log1mU) as tf.Tensor2D, logDeriv: tf.sub(tf.sub(logP, logU), log1mU) as tf.Tensor2D };
    });
  }

  /**
   * Implicit-function-theorem derivatives of the root x(y, θ) of F(x, θ) = y: dx/dy = 1/F_x and dx/dθ = −F_θ/F_x
   * = −u_θ/p with p = ∂u/∂x. In closed form (no nested autodiff, which tfjs cannot run inside a gradient):
   * dx/dμ_k = r_k, dx/dlog s_k = r_k (x − μ_k), dx/dlogit_j = −π_j (σ(z_j) − u)/p, with r_k = π_k σ'(z_k)/(s_k p)
   * the component responsibilities. σ(z_j) − u is evaluated as (1 − u) − σ(−z_j) in the right tail to avoid cancellation.
   */
  private implicitDerivatives(x: tf.Tensor2D, logits: tf.Tensor, means: tf.Tensor, logScales: tf.Tensor) {
    return tf.tidy(() => {
      const logPi = tf.logSoftmax(logits, 1);
      const z = tf.mul(tf.sub(tf.expandDims(x, 2), means), tf.exp(tf.neg(logScales)));
      const logSigZ = tf.neg(tf.softplus(tf.neg(z)));
      const logSigMinusZ = tf.neg(tf.softplus(z));
      const logU = tf.logSumExp(tf.add(logPi, logSigZ), 2, true);
      const log1mU = tf.logSumExp(tf.add(logPi, logSigMinusZ), 2, true);
      const logTerms = tf.sub(tf.add(tf.add(logPi, logSigZ), logSigMinusZ), logScales);
      const logP = tf.logSumExp(logTerms, 2, true);
      const resp = tf.exp(tf.sub(logTerms, logP));
      const left = tf.sub(tf.exp(tf.sub(logSigZ, logP)), tf.exp(tf.sub(logU, logP)));
      const right = tf.sub(tf.exp(tf.sub(log1mU, logP)), tf.exp(tf.sub(logSigMinusZ, logP)));
      const diff = tf.where(tf.broadcastTo(tf.less(logU, log1mU), z.shape), left, right);
      return {
        dxdy: tf.exp(tf.squeeze(tf.sub(tf.add(logU, log1mU), logP), [2])) as tf.Tensor2D,
        dxdLogits: tf.neg(tf.mul(tf.exp(logPi), diff)),
        dxdMeans: resp,
        dxdLogScales: tf.mul(resp, tf.sub(tf.expandDims(x, 2), means)),
      };
    });
  }

  forward(x: tf.Tensor2D): ForwardResult {
    assertBatch(x, 'x', this.dim);
    return tf.tidy(() => {
      const { y, logDeriv } = this.evaluate(x, this.logits, this.means, this.logScales);
      return { y, logDet: tf.sum(logDeriv, 1) as tf.Tensor1D };
    });
  }

  inverse(y: tf.Tensor2D): InverseResult {
    assertBatch(y, 'y', this.dim);
    return tf.tidy(() => {
      const solve = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
        const [yy, l, m, s] = args as tf.Tensor[];
        const save = args[4] as tf.GradSaveFunc;
        const xs = tf.tensor2d(
          Float32Array.from(this.solve(yy.dataSync(), l.dataSync(), m.dataSync(), s.dataSync(), yy.shape[0])),
          yy.shape as [number, number],
          'float32',
        );
        save([xs, l, m, s]);
        return {
          value: xs,
          gradFunc: (dx: tf.Tensor, saved: tf.Tensor[]) => {
            const [xv, lv, mv, sv] = saved;
            const r = this.implicitDerivatives(xv as tf.Tensor2D, lv, mv, sv);
            const dx3 = tf.expandDims(dx, 2);
            return [tf.mul(dx, r.dxdy), tf.sum(tf.mul(dx3, r.dxdLogits), 0), tf.sum(tf.mul(dx3, r.dxdMeans), 0), tf.sum(tf.mul(dx3, r.dxdLogScales), 0)];
          },
        };
      });
      const x = solve(y, this.logits, this.means, this.logScales) as tf.Tensor2D;
      const { logDeriv } = this.evaluate(x, this.logits, this.means, this.logScales);
      return { x, logDet: tf.neg(tf.sum(logDeriv, 1)) as tf.Tensor1D };
    });
  }

  /** Float64 safeguarded Newton per element. Returns x `[n·dim]` (row-major). */
  private solve(y: ArrayLike<number>, logits: ArrayLike<number>, means: ArrayLike<number>, logScales: ArrayLike<number>, n: number): Float64Array {
    const d = this.dim;
    const K = this.components;
    const logPi = new Float64Array(d * K);
    const scales = new Float64Array(d * K);
    for (let i = 0; i < d; i++) {
      let mx = -Infinity;
      for (let k = 0; k < K; k++) mx = Math.max(mx, logits[i * K + k]);
      let s = 0;
      for (let k = 0; k < K; k++) s += Math.exp(logits[i * K + k] - mx);
      const lse = mx + Math.log(s);
      for (let k = 0; k < K; k++) {
        logPi[i * K + k] = logits[i * K + k] - lse;
        scales[i * K + k] = Math.exp(logScales[i * K + k]);
      }
    }
    const a = new Float64Array(K);
    const b = new Float64Array(K);
    const c = new Float64Array(K);
    // F(x) − target and log F'(x) for dimension i.
    const evalF = (x: number, i: number): [number, number] => {
      for (let k = 0; k < K; k++) {
        const z = (x - means[i * K + k]) / scales[i * K + k];
        const ls = logSigmoid(z);
        const lms = logSigmoid(-z);
        a[k] = logPi[i * K + k] + ls;
        b[k] = logPi[i * K + k] + lms;
        c[k] = a[k] + lms - logScales[i * K + k];
      }
      const lu = lse64(a);
      const l1u = lse64(b);
      return [lu - l1u, lse64(c) - lu - l1u];
    };
    const out = new Float64Array(n * d);
    const tol = this.tolerance;
    for (let r = 0; r < n; r++) {
      for (let i = 0; i < d; i++) {
        const t = y[r * d + i];
        if (!Number.isFinite(t)) {
          throw new BoltzflowError('NON_FINITE', 'LogisticMixtureCDF.inverse needs finite inputs', {
            argument: 'y',
            expected: 'finite values',
            received: `${t} at [${r}, ${i}]`,
          });
        }
        let lo = Infinity;
        let hi = -Infinity;
        let x = 0;
        for (let k = 0; k < K; k++) {
          const v = means[i * K + k] + scales[i * K + k] * t;
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
          x += Math.exp(logPi[i * K + k]) * v;
        }
        x = Math.min(hi, Math.max(lo, x));
        let converged = hi - lo <= tol * Math.max(1, Math.abs(lo));
        if (converged) x = 0.5 * (lo + hi);
        for (let it = 0; it < this.maxIterations && !converged; it++) {
          const [f, logDf] = evalF(x, i);
          const g = f - t;
          if (g === 0) {
            converged = true;
            break;
          }
          if (g > 0) hi = x;
          else lo = x;
          let xn = x - g / Math.exp(logDf);
          if (!(xn > lo && xn < hi)) xn = 0.5 * (lo + hi);
          const scale = tol * Math.max(1, Math.abs(xn));
          converged = Math.abs(xn - x) <= scale || hi - lo <= scale;
          x = xn;
        }
        if (!converged) {
          throw new BoltzflowError('NOT_CONVERGED', `LogisticMixtureCDF.inverse did not converge within ${this.maxIterations} iterations`, {
            argument: 'y',
            expected: `|Δx| <= ${tol}·max(1, |x|) within maxIterations`,
            received: `y = ${t} at [${r}, ${i}]`,
          });
        }
        out[r * d + i] = x;
      }
    }
    return out;
  }

  /** Variables trained by gradients, in a fixed order (checkpoints rely on it). */
  get trainableVariables(): tf.Variable[] {
    return [this.logits, this.means, this.logScales];
  }

  /** JSON description `{ type, ...params }` without weights, from which the registry rebuilds it. */
  toConfig(): SerializedConfig {
    return { type: 'LogisticMixtureCDF', dim: this.dim, components: this.components, maxIterations: this.maxIterations, tolerance: this.tolerance };
  }

  /** Frees the variables it owns. */
  dispose(): void {
    tf.dispose([this.logits, this.means, this.logScales]);
  }
}

function logSigmoid(z: number): number {
  return z >= 0 ? -Math.log1p(Math.exp(-z)) : z - Math.log1p(Math.exp(z));
}

function lse64(v: Float64Array): number {
  let m = -Infinity;
  for (let k = 0; k < v.length; k++) if (v[k] > m) m = v[k];
  if (m === -Infinity) return m;
  let s = 0;
  for (let k = 0; k < v.length; k++) s += Math.exp(v[k] - m);
  return m + Math.log(s);
}
