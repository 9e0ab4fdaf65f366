import * as tf from '@tensorflow/tfjs';
import { assertBatch, assertInteger, BoltzflowError, type Distribution, type Rng, type SerializedConfig, MAX_SAMPLES } from '@boltzflow/core';

/**
 * Independent blocks side by side: x = [x₁, x₂, …] with xₖ ~ componentsₖ, log p(x) = Σₖ log pₖ(xₖ). The base of a flow
 * over internal coordinates, e.g. `new ProductDistribution([Normal.standard(bondsAndAngles), new VonMises({ dim: torsions })])`.
 */
export class ProductDistribution implements Distribution {
  readonly dim: number;
  readonly components: Distribution[];
  /** First column of each component. */
  readonly offsets: number[];

  constructor(components: Distribution[]) {
    if (!Array.isArray(components) || components.length === 0) {
      throw new BoltzflowError('INVALID_VALUE', 'ProductDistribution needs at least one component', {
        argument: 'components',
        expected: 'non-empty Distribution[]',
        received: String(components),
      });
    }
    components.forEach((c, i) => {
      if (!c || typeof c.logProb !== 'function' || !Number.isInteger(c.dim) || c.dim < 1) {
        throw new BoltzflowError('INVALID_VALUE', 'Component is not a distribution', {
          argument: `components[${i}]`,
          expected: 'a Distribution',
          received: String(c),
        });
      }
    });
    this.components = [...components];
    this.offsets = [];
    let d = 0;
    for (const c of components) {
      this.offsets.push(d);
      d += c.dim;
    }
    this.dim = d;
  }

  get trainableVariables(): tf.Variable[] {
    return this.components.flatMap((c) => c.trainableVariables);
  }

  /** Each component draws in turn from `rng`, so the stream is the components' streams one after the other. */
  sample(n: number, rng: Rng): tf.Tensor2D {
    assertInteger(n, 'n', 0, MAX_SAMPLES);
    const parts = this.components.map((c) => c.sample(n, rng));
    const x = tf.concat(parts, 1) as tf.Tensor2D;
    tf.dispose(parts);
    return x;
  }

  logProb(x: tf.Tensor2D): tf.Tensor1D {
    const [n] = assertBatch(x, 'x', this.dim);
    return tf.tidy(() => tf.addN(this.components.map((c, k) => c.logProb(tf.slice(x, [0, this.offsets[k]!], [n, c.dim]) as tf.Tensor2D))) as tf.Tensor1D);
  }

  sampleWithLogProb(n: number, rng: Rng): { x: tf.Tensor2D; logProb: tf.Tensor1D } {
    assertInteger(n, 'n', 0, MAX_SAMPLES);
    const parts = this.components.map((c) => c.sampleWithLogProb(n, rng));
    const x = tf.concat(
      parts.map((p) => p.x),
      1,
    ) as tf.Tensor2D;
    const logProb = tf.addN(parts.map((p) => p.logProb)) as tf.Tensor1D;
    tf.dispose(parts.flatMap((p) => [p.x, p.logProb]));
    return { x, logProb };
  }

  /** `{ type: 'ProductDistribution', components: [configs] }`. */
  toConfig(): SerializedConfig {
    return { type: 'ProductDistribution', components: this.components.map((c) => c.toConfig()) };
  }

  /** Frees the components. */
  dispose(): void {
    for (const c of this.components) (c as { dispose?: () => void }).dispose?.();
  }
}
