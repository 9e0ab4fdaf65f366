import * as tf from '@tensorflow/tfjs';
import {
  assertBatch,
  assertFiniteArray,
  assertInteger,
  BoltzflowError,
  logSumExpRows,
  type Distribution,
  type Rng,
  type SerializedConfig,
  MAX_SAMPLES,
} from '@boltzflow/core';

/**
 * Finite mixture Σ_k w_k p_k(x): a categorical choice of component (weights normalised to sum 1), then a draw from it.
 * logProb uses logsumexp over log w_k + log p_k(x). Trainable variables are the components', in order.
 */
export class Mixture implements Distribution {
  readonly dim: number;
  readonly components: Distribution[];
  /** Normalised weights. */
  readonly weights: number[];
  private readonly logWeights: number[];

  /** `weights` (positive, any scale) default to equal weights. */
  constructor(components: Distribution[], weights?: ArrayLike<number>) {
    if (!Array.isArray(components) || components.length === 0) {
      throw new BoltzflowError('INVALID_VALUE', 'Mixture needs at least one component', {
        argument: 'components',
        expected: 'non-empty Distribution[]',
        received: String(components),
      });
    }
    const dim = components[0].dim;
    components.forEach((c, i) => {
      if (!c || typeof c.logProb !== 'function' || c.dim !== dim) {
        throw new BoltzflowError('INVALID_SHAPE', 'Mixture components must share one dimension', {
          argument: `components[${i}]`,
          expected: `dim ${dim}`,
          received: `dim ${c?.dim}`,
        });
      }
    });
    const w = weights === undefined ? new Array<number>(components.length).fill(1) : Array.from(weights);
    assertFiniteArray(w, 'weights', components.length);
    w.forEach((v, i) => {
      if (!(v > 0))
        throw new BoltzflowError('INVALID_VALUE', 'Mixture weights must be positive', { argument: 'weights', expected: '> 0', received: `${v} at index ${i}` });
    });
    const total = w.reduce((s, v) => s + v, 0);
    this.dim = dim;
    this.components = [...components];
    this.weights = w.map((v) => v / total);
    this.logWeights = this.weights.map(Math.log);
  }

  /** The components' variables, component by component. */
  get trainableVariables(): tf.Variable[] {
    return this.components.flatMap((c) => c.trainableVariables);
  }

  /** Draws labels from the categorical (rng), then each component's share, returned in label order. */
  sample(n: number, rng: Rng): tf.Tensor2D {
    assertInteger(n, 'n', 0, MAX_SAMPLES);
    const labels = new Int32Array(n);
    const counts = new Array<number>(this.components.length).fill(0);
    for (let i = 0; i < n; i++) {
      labels[i] = rng.categorical(this.weights);
      counts[labels[i]]++;
    }
    const offsets: number[] = [];
    counts.reduce((acc, c) => (offsets.push(acc), acc + c), 0);
    const idx = new Int32Array(n);
    const used = new Array<number>(this.components.length).fill(0);
    for (let i = 0; i < n; i++) idx[i] = offsets[labels[i]] + used[labels[i]]++;
    const parts = this.components.map((c, k) => c.sample(counts[k], rng));
    const out = tf.tidy(() => {
      const all = tf.concat(parts, 0);
      return tf.gather(all, tf.tensor1d(idx, 'int32')) as tf.Tensor2D;
    });
    tf.dispose(parts);
    return out;
  }

  /** log Σ_k w_k p_k(x), `[n]`; −Infinity where every component is. */
  logProb(x: tf.Tensor2D): tf.Tensor1D {
    assertBatch(x, 'x', this.dim);
    return tf.tidy(() => {
      const cols = this.components.map((c, k) => tf.add(c.logProb(x), this.logWeights[k]));
      return logSumExpRows(tf.stack(cols, 1) as tf.Tensor2D);
    });
  }

  /** Samples, then the mixture log-density at them (a mixture has no cheaper joint path). */
  sampleWithLogProb(n: number, rng: Rng): { x: tf.Tensor2D; logProb: tf.Tensor1D } {
    const x = this.sample(n, rng);
    return { x, logProb: this.logProb(x) };
  }

  /** `{ type: 'Mixture', components: [<config>…], weights }`. */
  toConfig(): SerializedConfig {
    return { type: 'Mixture', components: this.components.map((c) => c.toConfig()), weights: [...this.weights] };
  }

  /** Disposes the components that have a dispose method. */
  dispose(): void {
    for (const c of this.components) (c as { dispose?: () => void }).dispose?.();
  }
}
