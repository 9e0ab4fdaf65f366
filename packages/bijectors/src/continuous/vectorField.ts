import * as tf from '@tensorflow/tfjs';
import { assertInteger, BoltzflowError, type Rng, type SerializedConfig } from '@boltzflow/core';
import { MLP, type Activation } from '../nn/mlp.js';
import { ensureBuiltinBijectors } from '../builtins.js';

/**
 * A time-dependent vector field f(x, t) on R^dim for {@link ContinuousFlow}. `t` is a scalar time or a per-sample time
 * `[n]` (flow matching draws one t per sample). Samples must be processed independently (the exact trace relies on it).
 */
export interface VectorField {
  /** Dimension of the points the field acts on. */
  readonly dim: number;
  /** f(x, t), `[n, dim]`; a fresh tensor, inputs not disposed. */
  apply(x: tf.Tensor2D, t: number | tf.Tensor1D): tf.Tensor2D;
  /** Variables trained by gradients, in a fixed order. */
  readonly trainableVariables: tf.Variable[];
  /** JSON description without weights, rebuilt by `vectorFieldFromConfig`. */
  toConfig(): SerializedConfig;
  /** Frees the field's variables. */
  dispose?(): void;
}

type VectorFieldFactory = (config: SerializedConfig) => VectorField;
const fieldFactories = new Map<string, VectorFieldFactory>();

/** Registers how to rebuild a vector field from its `toConfig()` (so ContinuousFlow configs round-trip). */
export function registerVectorField(type: string, factory: VectorFieldFactory): void {
  ensureBuiltinBijectors();
  fieldFactories.set(type, factory);
}

/** Rebuilds a vector field (fresh weights) from its config. Unknown types → BoltzflowError('INVALID_CONFIG'). */
export function vectorFieldFromConfig(config: SerializedConfig): VectorField {
  ensureBuiltinBijectors();
  const f = config && typeof config === 'object' ? fieldFactories.get(config.type) : undefined;
  if (!f) {
    throw new BoltzflowError('INVALID_CONFIG', 'Unknown vector field type', {
      argument: 'config.vectorField.type',
      expected: `one of ${[...fieldFactories.keys()].sort().join(', ')}`,
      received: JSON.stringify(config?.type),
    });
  }
  return f(config);
}

/** Time as a `[n, 1]` column (call inside tf.tidy). */
export function timeColumn(t: number | tf.Tensor1D, n: number): tf.Tensor2D {
  if (typeof t === 'number') return tf.fill([n, 1], t) as tf.Tensor2D;
  if (t.rank !== 1 || t.shape[0] !== n) {
    throw new BoltzflowError('INVALID_SHAPE', 'Per-sample time must be [n]', { argument: 't', expected: `[${n}]`, received: `[${t.shape.join(', ')}]` });
  }
  return tf.reshape(t, [n, 1]) as tf.Tensor2D;
}

/** Options of {@link MLPVectorField}. */
export interface MLPVectorFieldOptions {
  dim: number;
  /** Hidden widths (default [64, 64]). */
  hidden?: number[];
  /** A smooth activation keeps the ODE solvers accurate (default 'tanh'). */
  activation?: Activation;
  /** Initial scale of the last layer (default 1; 0 starts the flow as the identity). */
  outputScale?: number;
  rng?: Rng;
}

/** The default field: the shared {@link MLP} on [x, t] (time as an extra input). */
export class MLPVectorField implements VectorField {
  readonly dim: number;
  readonly net: MLP;
  private readonly opts: { hidden: number[]; activation: Activation; outputScale: number };

  constructor(options: MLPVectorFieldOptions) {
    assertInteger(options.dim, 'dim', 1);
    this.dim = options.dim;
    this.opts = { hidden: options.hidden ?? [64, 64], activation: options.activation ?? 'tanh', outputScale: options.outputScale ?? 1 };
    this.net = new MLP({ inputDim: this.dim + 1, outputDim: this.dim, ...this.opts, rng: options.rng, name: 'cnf_field' });
  }

  apply(x: tf.Tensor2D, t: number | tf.Tensor1D): tf.Tensor2D {
    return tf.tidy(() => this.net.apply(tf.concat([x, timeColumn(t, x.shape[0])], 1) as tf.Tensor2D));
  }

  /** Variables trained by gradients, in a fixed order (checkpoints rely on it). */
  get trainableVariables(): tf.Variable[] {
    return this.net.trainableVariables;
  }

  /** JSON description `{ type, ...params }` without weights, from which the registry rebuilds it. */
  toConfig(): SerializedConfig {
    return { type: 'MLPVectorField', dim: this.dim, ...this.opts, hidden: [...this.opts.hidden] };
  }

  /** Frees the variables it owns. */
  dispose(): void {
    this.net.dispose();
  }
}
