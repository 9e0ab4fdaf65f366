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
import { MLP } from '../nn/mlp.js';

/** Activations allowed in a residual block: 1-Lipschitz and smooth (no kink, so the log-det series is differentiable). */
export type ResidualActivation = 'elu' | 'tanh' | 'softplus';
const RESIDUAL_ACTIVATIONS: readonly ResidualActivation[] = ['elu', 'tanh', 'softplus'];

/** Options of {@link ResidualFlow}. */
export interface ResidualFlowOptions {
  dim: number;
  /** Hidden widths of g (default [32, 32]). */
  hidden?: number[];
  /**
   * Activation of g (default 'softplus'). Only softplus gives a correct gradient of the log-det: tfjs 4.x drops the
   * second derivative of tanh/elu (their gradients reuse the saved output), silently. tanh/elu are exact for
   * values (sampling, density evaluation) but must not be used to train through the log-det.
   */
  activation?: ResidualActivation;
  /** Spectral-norm coefficient c ∈ (0, 1) per layer (default 0.9), so Lip(g) ≤ c^(layers). */
  coefficient?: number;
  /** Power-iteration steps at construction (default 50). */
  powerIterations?: number;
  /**
   * Terms K of the log-det power series. Default: the smallest K whose truncation bound
   * {@link residualSeriesBound}(dim, Lip(g), K) is ≤ `seriesTolerance`.
   */
  seriesTerms?: number;
  /** Target truncation error of the log-det when `seriesTerms` is not given (default 1e-5). */
  seriesTolerance?: number;
  /** Fixed-point inverse stops when max|Δx| ≤ inverseTolerance · (1 + max|x|) (default 1e-6). */
  inverseTolerance?: number;
  /** Iteration cap of the fixed-point inverse (default 500); exceeding it throws NOT_CONVERGED. */
  maxInverseIterations?: number;
  /**
   * How tr(J_g^k) is computed: 'exact' (dense Jacobian, deterministic) or 'hutchinson' (vᵀJ^k v with Rademacher v,
   * K vector-Jacobian products; stochastic, unbiased for the truncated series only). Default: 'exact' when
   * dim ≤ `exactTraceMaxDim`, else 'hutchinson'.
   */
  logDetMethod?: 'exact' | 'hutchinson';
  /** Largest dim for which the default method is 'exact' (default 16). */
  exactTraceMaxDim?: number;
  /** Hutchinson probes per sample, averaged (default 1). */
  hutchinsonProbes?: number;
  /** Seed of the internal probe stream (Hutchinson only; default 0). Each call draws fresh probes from it. */
  probeSeed?: number;
  rng?: Rng;
}

/**
 * Upper bound on the truncation error of log det(I + J_g) ≈ Σ_{k=1}^{K} (−1)^{k+1} tr(J_g^k)/k for a d×d J_g with
 * ‖J_g‖₂ ≤ L < 1: |tr(J^k)| ≤ d L^k, so the tail is ≤ d Σ_{k>K} L^k/k ≤ d L^{K+1} / ((K + 1)(1 − L)).
 */
export function residualSeriesBound(dim: number, lipschitz: number, terms: number): number {
  return (dim * Math.pow(lipschitz, terms + 1)) / ((terms + 1) * (1 - lipschitz));
}

/**
 * Invertible residual block (i-ResNet, Behrmann et al. 2019): y = x + g(x), g the shared {@link MLP} with spectral
 * normalisation (each layer's norm ≤ c < 1, 1-Lipschitz activations, so Lip(g) ≤ c^layers < 1).
 *
 * - `forward` is explicit; its logDet is the power series Σ_{k=1}^{K} (−1)^{k+1} tr(J_g^k)/k with the EXACT trace
 *   of the dense per-sample Jacobian J_g (one batched reverse pass over `dim` replicas), so the only error is the
 *   truncation, bounded by {@link residualSeriesBound}. Cost O(dim) network evaluations: meant for small dims.
 * - `inverse` is the Banach fixed-point iteration x ← y − g(x), differentiated by unrolling the iterations.
 * - Training must call {@link ResidualFlow.updateSpectralNorm} after each optimizer step (the power-iteration vectors
 *   are non-trainable state; between updates the map is a fixed function).
 */
export class ResidualFlow implements Bijector {
  readonly dim: number;
  readonly net: MLP;
  readonly coefficient: number;
  /** Lipschitz bound of g used for the series bound: c^(number of layers). */
  readonly lipschitz: number;
  readonly seriesTerms: number;
  private readonly config: Omit<ResidualFlowOptions, 'rng'>;
  private readonly inverseTolerance: number;
  private readonly maxInverseIterations: number;
  /** 'exact' or 'hutchinson' (see {@link ResidualFlowOptions.logDetMethod}). */
  readonly logDetMethod: 'exact' | 'hutchinson';
  private readonly hutchinsonProbes: number;
  private readonly probeRng: Rng;

  constructor(options: ResidualFlowOptions) {
    assertInteger(options?.dim, 'dim', 1);
    const dim = options.dim;
    const hidden = options.hidden ?? [32, 32];
    const activation = options.activation ?? 'softplus';
    assertOneOf(activation, RESIDUAL_ACTIVATIONS, 'activation', { code: 'INVALID_CONFIG', message: 'ResidualFlow needs a smooth 1-Lipschitz activation' });
    const c = options.coefficient ?? 0.9;
    if (typeof c !== 'number' || !(c > 0 && c < 1)) {
      throw new BoltzflowError('INVALID_VALUE', 'Spectral-norm coefficient must lie in (0, 1) for invertibility', {
        argument: 'coefficient',
        expected: 'in (0, 1)',
        received: String(c),
      });
    }
    const powerIterations = options.powerIterations ?? 50;
    assertInteger(powerIterations, 'powerIterations', 1);
    const seriesTolerance = options.seriesTolerance ?? 1e-5;
    assertPositive(seriesTolerance, 'seriesTolerance');
    const inverseTolerance = options.inverseTolerance ?? 1e-6;
    assertPositive(inverseTolerance, 'inverseTolerance');
    const maxInverseIterations = options.maxInverseIterations ?? 500;
    assertInteger(maxInverseIterations, 'maxInverseIterations', 1);
    const exactTraceMaxDim = options.exactTraceMaxDim ?? 16;
    assertInteger(exactTraceMaxDim, 'exactTraceMaxDim', 0);
    const method = options.logDetMethod ?? (dim <= exactTraceMaxDim ? 'exact' : 'hutchinson');
    assertOneOf(method, ['exact', 'hutchinson'], 'logDetMethod', { code: 'INVALID_CONFIG', message: 'Unknown log-det method' });
    const hutchinsonProbes = options.hutchinsonProbes ?? 1;
    assertInteger(hutchinsonProbes, 'hutchinsonProbes', 1);
    const probeSeed = options.probeSeed ?? 0;
    assertInteger(probeSeed, 'probeSeed', 0);
    this.logDetMethod = method;
    this.hutchinsonProbes = hutchinsonProbes;
    this.probeRng = createRng(probeSeed);
    this.dim = dim;
    this.coefficient = c;
    this.lipschitz = Math.pow(c, hidden.length + 1);
    let K = options.seriesTerms;
    if (K === undefined) {
      K = 1;
      while (residualSeriesBound(dim, this.lipschitz, K) > seriesTolerance && K < 10_000) K++;
    }
    assertInteger(K, 'seriesTerms', 1);
    this.seriesTerms = K;
    this.inverseTolerance = inverseTolerance;
    this.maxInverseIterations = maxInverseIterations;
    this.net = new MLP({
      inputDim: dim,
      outputDim: dim,
      hidden,
      activation,
      rng: options.rng,
      spectralNorm: { coefficient: c, iterations: powerIterations },
      name: 'resflow',
    });
    this.config = {
      dim,
      hidden: [...hidden],
      activation,
      coefficient: c,
      powerIterations,
      ...(options.seriesTerms !== undefined ? { seriesTerms: options.seriesTerms } : { seriesTolerance }),
      inverseTolerance,
      maxInverseIterations,
      ...(options.logDetMethod !== undefined ? { logDetMethod: options.logDetMethod } : {}),
      exactTraceMaxDim,
      ...(method === 'hutchinson' ? { hutchinsonProbes, probeSeed } : {}),
    };
  }

  /** g(x), `[n, dim]`. */
  residual(x: tf.Tensor2D): tf.Tensor2D {
    return this.net.apply(x);
  }

  /** Dense per-sample Jacobian of g, `[n, dim, dim]` with J[s, i, j] = ∂g_i/∂x_j, differentiable (second order). */
  jacobian(x: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => {
      const [n, d] = x.shape;
      // dim replicas of the batch; replica i back-propagates the unit cotangent e_i, giving row i of every J.
      const xs = tf.tile(x, [d, 1]);
      const cot = tf.reshape(tf.tile(tf.expandDims(tf.eye(d), 1), [1, n, 1]), [d * n, d]);
      const rows = tf.grad((z: tf.Tensor) => this.net.apply(z as tf.Tensor2D))(xs, cot as tf.Tensor2D);
      return tf.transpose(tf.reshape(rows, [d, n, d]), [1, 0, 2]) as tf.Tensor3D;
    });
  }

  /** Σ_{k=1}^{K} (−1)^{k+1} tr(J_g^k)/k at x, `[n]`. */
  logDetSeries(x: tf.Tensor2D, terms = this.seriesTerms): tf.Tensor1D {
    return tf.tidy(() => {
      const J = this.jacobian(x);
      const eye = tf.expandDims(tf.eye(this.dim), 0);
      let Jk: tf.Tensor3D = J;
      let acc = tf.zeros([x.shape[0]]);
      for (let k = 1; k <= terms; k++) {
        if (k > 1) Jk = tf.matMul(Jk, J);
        const tr = tf.sum(tf.mul(Jk, eye), [1, 2]);
        acc = tf.add(acc, tf.mul(tr, (k % 2 === 1 ? 1 : -1) / k));
      }
      return acc as tf.Tensor1D;
    });
  }

  /**
   * Hutchinson estimate of the truncated series, `[n]`: Σ_k (−1)^{k+1} vᵀJ_g^k v / k averaged over `probes` Rademacher
   * probes per sample, with vᵀJ^k computed by k successive vector-Jacobian products (differentiable).
   */
  logDetHutchinson(x: tf.Tensor2D, rng: Rng, probes = this.hutchinsonProbes, terms = this.seriesTerms): tf.Tensor1D {
    return tf.tidy(() => {
      const [n, d] = x.shape;
      const xs = tf.tile(x, [probes, 1]) as tf.Tensor2D;
      const v = rng.rademacher([probes * n, d]) as tf.Tensor2D;
      const vjp = tf.grad((z: tf.Tensor) => this.net.apply(z as tf.Tensor2D));
      let w: tf.Tensor2D = v;
      let acc: tf.Tensor = tf.zeros([probes * n]);
      for (let k = 1; k <= terms; k++) {
        w = vjp(xs, w) as tf.Tensor2D;
        acc = tf.add(acc, tf.mul(tf.sum(tf.mul(w, v), 1), (k % 2 === 1 ? 1 : -1) / k));
      }
      return tf.mean(tf.reshape(acc, [probes, n]), 0) as tf.Tensor1D;
    });
  }

  private logDet(x: tf.Tensor2D): tf.Tensor1D {
    return this.logDetMethod === 'exact' ? this.logDetSeries(x) : this.logDetHutchinson(x, this.probeRng);
  }

  forward(x: tf.Tensor2D): ForwardResult {
    assertBatch(x, 'x', this.dim);
    return tf.tidy(() => ({ y: tf.add(x, this.net.apply(x)) as tf.Tensor2D, logDet: this.logDet(x) }));
  }

  inverse(y: tf.Tensor2D): InverseResult {
    assertBatch(y, 'y', this.dim);
    return tf.tidy(() => {
      let x: tf.Tensor2D = y;
      let converged = y.shape[0] === 0;
      for (let it = 0; it < this.maxInverseIterations && !converged; it++) {
        const prev = x;
        x = tf.sub(y, this.net.apply(prev));
        const err = tf.tidy(() => tf.sub(tf.max(tf.abs(tf.sub(x, prev))), tf.mul(this.inverseTolerance, tf.add(1, tf.max(tf.abs(x))))));
        converged = err.dataSync()[0] <= 0;
        err.dispose();
      }
      if (!converged) {
        throw new BoltzflowError(
          'NOT_CONVERGED',
          `ResidualFlow.inverse: fixed-point iteration did not converge within ${this.maxInverseIterations} iterations`,
          {
            argument: 'y',
            expected: `max|Δx| <= ${this.inverseTolerance}·(1 + max|x|)`,
          },
        );
      }
      return { x, logDet: tf.neg(this.logDet(x)) as tf.Tensor1D };
    });
  }

  /** Refreshes the spectral-norm estimates; call after every optimizer step. */
  updateSpectralNorm(iterations = 1): void {
    this.net.updateSpectralNorm(iterations);
  }

  /** Variables trained by gradients, in a fixed order (checkpoints rely on it). */
  get trainableVariables(): tf.Variable[] {
    return this.net.trainableVariables;
  }

  /** State saved with the weights but not trained by gradients. */
  get nonTrainableVariables(): tf.Variable[] {
    return this.net.nonTrainableVariables;
  }

  /** JSON description `{ type, ...params }` without weights, from which the registry rebuilds it. */
  toConfig(): SerializedConfig {
    return { type: 'ResidualFlow', ...this.config, hidden: [...(this.config.hidden ?? [])] };
  }

  /** Frees the variables it owns. */
  dispose(): void {
    this.net.dispose();
  }
}
