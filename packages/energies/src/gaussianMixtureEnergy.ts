import * as tf from '@tensorflow/tfjs';
import { assertBatch, assertFiniteArray, assertInteger, assertPositive, BoltzflowError, logSumExpRows, Rng, type Energy } from '@boltzflow/core';

/** Options of {@link GaussianMixtureEnergy}. */
export interface GaussianMixtureEnergyOptions {
  /** Component means `[K][dim]`. */
  means: ArrayLike<ArrayLike<number>>;
  /** Isotropic standard deviation σ, one for all components or one per component. Default 1. */
  scale?: number | ArrayLike<number>;
  /** Positive component weights (normalised internally). Default equal. */
  weights?: ArrayLike<number>;
}

/** Options of the GMM-40 preset. */
export interface Gmm40Options {
  /** Number of modes. Default 40. */
  modes?: number;
  /** Means are uniform on [−bound, bound]^dim. Default 40. */
  bound?: number;
  /** Component σ. Default softplus(1) = ln(1 + e) ≈ 1.3133, as in FAB. */
  scale?: number;
  /** Dimension. Default 2. */
  dim?: number;
}

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * Gaussian-mixture energy u(x) = −log Σ_k w_k N(x; μ_k, σ_k² I) with normalised weights, so exp(−u) is a normalised
 * density and log Z = 0 exactly. Gradient by autodiff. `means`, `scales`, `weights` are plain arrays so experiments can
 * store them with their results.
 */
export class GaussianMixtureEnergy implements Energy {
  readonly dim: number;
  readonly name: string;
  readonly means: number[][];
  readonly scales: number[];
  readonly weights: number[];
  private readonly meansT: tf.Tensor3D;
  private readonly negHalfPrec: tf.Tensor2D;
  private readonly logNorm: tf.Tensor2D;

  constructor(options: GaussianMixtureEnergyOptions) {
    if (!options?.means || typeof options.means.length !== 'number' || options.means.length < 1) {
      throw new BoltzflowError('INVALID_VALUE', 'Gaussian mixture needs means', {
        argument: 'means',
        expected: '[K][dim] with K >= 1',
        received: String(options?.means),
      });
    }
    const K = options.means.length;
    const dim = options.means[0]?.length;
    assertInteger(dim, 'means[0].length', 1);
    this.means = Array.from(options.means, (m, k) => {
      assertFiniteArray(m, `means[${k}]`, dim);
      return Array.from(m);
    });
    const sc = options.scale ?? 1;
    this.scales = typeof sc === 'number' ? new Array<number>(K).fill(sc) : Array.from(sc);
    assertFiniteArray(this.scales, 'scale', K);
    this.scales.forEach((s) => assertPositive(s, 'scale'));
    const w = options.weights === undefined ? new Array<number>(K).fill(1) : Array.from(options.weights);
    assertFiniteArray(w, 'weights', K);
    w.forEach((v) => assertPositive(v, 'weights'));
    const tot = w.reduce((s, v) => s + v, 0);
    this.weights = w.map((v) => v / tot);
    this.dim = dim;
    this.name = `gmm(${K}x${dim})`;
    this.meansT = tf.tensor3d(this.means.flat(), [1, K, dim], 'float32');
    this.negHalfPrec = tf.tensor2d(
      this.scales.map((s) => -0.5 / (s * s)),
      [1, K],
      'float32',
    );
    this.logNorm = tf.tensor2d(
      this.scales.map((s, k) => Math.log(this.weights[k]) - dim * Math.log(s) - 0.5 * dim * LOG_2PI),
      [1, K],
      'float32',
    );
  }

  /**
   * FAB's GMM-40: 40 equal-weight modes in 2D, σ = softplus(1) ≈ 1.3133, means uniform on [−40, 40]² drawn from `rng`
   * (FAB draws them from torch seed 0; ours come from our seeded Rng: store `means` with results).
   */
  static gmm40(rng: Rng | number, options: Gmm40Options = {}): GaussianMixtureEnergy {
    const r = typeof rng === 'number' ? Rng.create(rng) : rng;
    const modes = options.modes ?? 40;
    const bound = options.bound ?? 40;
    const dim = options.dim ?? 2;
    assertInteger(modes, 'modes', 1);
    assertPositive(bound, 'bound');
    assertInteger(dim, 'dim', 1);
    const means = Array.from({ length: modes }, () => Array.from({ length: dim }, () => -bound + 2 * bound * r.nextUniform()));
    return new GaussianMixtureEnergy({ means, scale: options.scale ?? Math.log1p(Math.E) });
  }

  /** Number of components. */
  get components(): number {
    return this.means.length;
  }

  /** u(x) `[n]`. */
  energy(x: tf.Tensor2D): tf.Tensor1D {
    const [n] = assertBatch(x, 'x', this.dim);
    return tf.tidy(() => {
      const diff = tf.sub(tf.reshape(x, [n, 1, this.dim]), this.meansT);
      const logp = tf.add(tf.mul(tf.sum(tf.square(diff), 2), this.negHalfPrec), this.logNorm);
      // Twice differentiable (tf.logSumExp is not): MALA/Langevin blocks trained end to end need ∇²u.
      return tf.neg(logSumExpRows(logp as tf.Tensor2D)) as tf.Tensor1D;
    });
  }

  /** Exact log Z of exp(−u): 0, because the mixture is normalised. */
  logZ(): number {
    return 0;
  }

  /** Exact samples `[n, dim]` from exp(−u) (ground truth for benchmarks). */
  sample(n: number, rng: Rng): tf.Tensor2D {
    assertInteger(n, 'n', 0);
    const out = new Float32Array(n * this.dim);
    for (let i = 0; i < n; i++) {
      const k = rng.categorical(this.weights);
      for (let d = 0; d < this.dim; d++) out[i * this.dim + d] = this.means[k][d] + this.scales[k] * rng.nextNormal();
    }
    return tf.tensor2d(out, [n, this.dim], 'float32');
  }

  /** `{ means, scales, weights }` as plain arrays for result files. */
  toJSON(): { means: number[][]; scales: number[]; weights: number[] } {
    return { means: this.means.map((m) => [...m]), scales: [...this.scales], weights: [...this.weights] };
  }

  /** Frees the constant tensors. */
  dispose(): void {
    tf.dispose([this.meansT, this.negHalfPrec, this.logNorm]);
  }
}
