import * as tf from '@tensorflow/tfjs';
import { elu, sigmoid, tanh } from './activations.js';
import { assertFiniteNumber, assertInteger, assertPositive, BoltzflowError, createRng, type Rng, MAX_DIM, assertOneOf } from '@boltzflow/core';

/** Hidden-layer activation of {@link MLP}. */
export type Activation = 'relu' | 'tanh' | 'silu' | 'elu' | 'leakyRelu' | 'softplus';

/** The activation names {@link MLP} accepts. */
export const ACTIVATIONS: readonly Activation[] = ['relu', 'tanh', 'silu', 'elu', 'leakyRelu', 'softplus'];

/** Options of {@link MLP}. */
export interface MLPOptions {
  inputDim: number;
  outputDim: number;
  /** Hidden layer widths, e.g. [64, 64]. May be empty (a single affine layer). */
  hidden: number[];
  activation?: Activation;
  /** Weight initialisation stream; weights are Glorot-uniform, biases zero. */
  rng?: Rng;
  /**
   * Initial scale of the last layer's weights (0 makes the network output exactly 0 at start, so a coupling
   * starts as the identity — the usual RealNVP/NSF trick). Default 1.
   */
  outputScale?: number;
  /** Per-layer 0/1 connectivity masks `[in][out]` (MADE). Length = hidden.length + 1. */
  masks?: number[][][];
  /**
   * Spectral normalisation (i-ResNet): each weight W is used as W · min(1, c / σ̂(W)), with σ̂ from power
   * iteration. The power-iteration vectors are updated only by {@link MLP.updateSpectralNorm}, so the network is a
   * fixed function between updates (required for fixed-point inverses).
   */
  spectralNorm?: { coefficient: number; iterations?: number };
  /** Name prefix for variables. */
  name?: string;
  /**
   * Whether gradients of gradients through the network must be exact (default true). true: tanh/silu/elu use the
   * second-order-exact versions of `./activations.js` (needed by CNF log-dets, residual-flow Jacobians and any loss
   * built from ∂f/∂x). false: tfjs's own activations, whose gradient reuses the saved output (1 − y² for tanh) instead
   * of recomputing the activation — exact first derivatives, fewer kernels; for networks
   * trained by maximum likelihood / KL only (coupling conditioners).
   */
  secondOrder?: boolean;
}

let mlpCounter = 0;

/** A variable made from a fresh tensor, which is then freed (the variable holds its own reference to the data). */
function ownedVariable<R extends tf.Rank>(initial: tf.Tensor<R>, trainable: boolean, name: string): tf.Variable<R> {
  const v = tf.variable(initial, trainable, name);
  initial.dispose();
  return v;
}

/**
 * The one conditioner network shared by every bijector (couplings, MADE, residual blocks, vector fields):
 * a dense MLP with optional masks and spectral normalisation. Works on `[n, inputDim]` → `[n, outputDim]`.
 */
export class MLP {
  readonly options: Required<Pick<MLPOptions, 'inputDim' | 'outputDim' | 'hidden' | 'activation'>> & MLPOptions;
  readonly weights: tf.Variable<tf.Rank.R2>[] = [];
  readonly biases: tf.Variable[] = [];
  /** Power-iteration vectors (u per layer, length = fan-out), saved with checkpoints. */
  readonly spectralU: tf.Variable<tf.Rank.R2>[] = [];
  private readonly maskTensors: tf.Tensor2D[] = [];
  /** See {@link MLPOptions.secondOrder}. */
  readonly secondOrder: boolean;

  constructor(options: MLPOptions) {
    const activation = options.activation ?? 'relu';
    this.options = { ...options, activation };
    this.secondOrder = options.secondOrder ?? true;
    const { inputDim, outputDim, hidden } = options;
    assertInteger(inputDim, 'inputDim', 1, MAX_DIM);
    assertInteger(outputDim, 'outputDim', 1, MAX_DIM);
    if (!Array.isArray(hidden)) {
      throw new BoltzflowError('INVALID_CONFIG', 'hidden must be an array of widths', { argument: 'hidden', expected: 'number[]', received: String(hidden) });
    }
    hidden.forEach((h, i) => assertInteger(h, `hidden[${i}]`, 1, MAX_DIM));
    assertOneOf(activation, ACTIVATIONS, 'activation', { code: 'INVALID_CONFIG', message: 'Unknown activation' });
    if (options.outputScale !== undefined) assertFiniteNumber(options.outputScale, 'outputScale');
    if (options.spectralNorm) assertPositive(options.spectralNorm.coefficient, 'spectralNorm.coefficient');
    const rng = options.rng ?? createRng(0);
    const sizes = [inputDim, ...hidden, outputDim];
    const id = `${options.name ?? 'mlp'}_${mlpCounter++}`;
    if (options.masks && options.masks.length !== sizes.length - 1) {
      throw new BoltzflowError('INVALID_CONFIG', 'One mask per layer is required', {
        argument: 'masks',
        expected: `${sizes.length - 1} masks`,
        received: `${options.masks.length}`,
      });
    }
    // Every mask is checked before any variable exists, so that a bad one leaks nothing.
    options.masks?.forEach((m, l) => {
      if (!Array.isArray(m) || m.length !== sizes[l] || m.some((r) => !Array.isArray(r) || r.length !== sizes[l + 1])) {
        throw new BoltzflowError('INVALID_SHAPE', 'Mask has the wrong shape', { argument: `masks[${l}]`, expected: `[${sizes[l]}, ${sizes[l + 1]}]` });
      }
    });
    for (let l = 0; l < sizes.length - 1; l++) {
      const fanIn = sizes[l];
      const fanOut = sizes[l + 1];
      const limit = Math.sqrt(6 / (fanIn + fanOut)) * (l === sizes.length - 2 ? (options.outputScale ?? 1) : 1);
      const w = rng.uniformArray(fanIn * fanOut, -limit, limit);
      this.weights.push(ownedVariable(tf.tensor2d(w, [fanIn, fanOut]), true, `${id}_w${l}`));
      this.biases.push(ownedVariable(tf.zeros([fanOut]), true, `${id}_b${l}`));
      if (options.masks) {
        this.maskTensors.push(tf.tensor2d(options.masks[l]));
      }
      if (options.spectralNorm) {
        this.spectralU.push(ownedVariable(rng.normal([fanOut, 1]) as tf.Tensor2D, false, `${id}_u${l}`));
      }
    }
    if (options.spectralNorm) this.updateSpectralNorm(options.spectralNorm.iterations ?? 50);
  }

  /** Width of the input layer. */
  get inputDim(): number {
    return this.options.inputDim;
  }
  /** Width of the output layer. */
  get outputDim(): number {
    return this.options.outputDim;
  }

  /** Variables trained by gradients, in a fixed order (checkpoints rely on it). */
  get trainableVariables(): tf.Variable[] {
    const out: tf.Variable[] = [];
    for (let l = 0; l < this.weights.length; l++) out.push(this.weights[l], this.biases[l]);
    return out;
  }

  /** State saved with the weights but not trained by gradients. */
  get nonTrainableVariables(): tf.Variable[] {
    return [...this.spectralU];
  }

  /** The effective weight of layer l (masked and/or spectrally normalised). */
  effectiveWeight(l: number): tf.Tensor2D {
    return tf.tidy(() => {
      let w = this.weights[l] as tf.Tensor2D;
      if (this.maskTensors.length > 0) w = tf.mul(w, this.maskTensors[l]);
      const sn = this.options.spectralNorm;
      if (sn) {
        // σ̂ = ‖W u‖ with v = Wᵀu/‖Wᵀu‖ … computed with u held constant so gradients flow through W only.
        const u = this.spectralU[l];
        const v = tf.div(tf.matMul(w, u), tf.norm(tf.matMul(w, u)).add(1e-12)); // [fanIn, 1]
        const sigma = tf.sum(tf.mul(u, tf.matMul(w, v, true, false)));
        const factor = tf.minimum(1, tf.div(sn.coefficient, sigma));
        w = tf.mul(w, factor);
      }
      return w;
    });
  }

  /** Runs `iterations` steps of power iteration on each layer's weight (no gradient), refreshing σ̂. */
  updateSpectralNorm(iterations = 1): void {
    if (!this.options.spectralNorm) return;
    tf.tidy(() => {
      for (let l = 0; l < this.weights.length; l++) {
        let w = this.weights[l] as tf.Tensor2D;
        if (this.maskTensors.length > 0) w = tf.mul(w, this.maskTensors[l]);
        let u = this.spectralU[l] as tf.Tensor2D;
        for (let i = 0; i < iterations; i++) {
          const v = tf.matMul(w, u); // [fanIn, 1]
          const vn = tf.div(v, tf.norm(v).add(1e-12));
          const u2 = tf.matMul(w, vn, true, false); // [fanOut, 1]
          u = tf.div(u2, tf.norm(u2).add(1e-12));
        }
        this.spectralU[l].assign(u);
      }
    });
  }

  /** Forward pass `[n, inputDim]` → `[n, outputDim]`. */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.applyFromPreActivation(tf.add(tf.matMul(x, this.layerWeight(0)), this.biases[0]) as tf.Tensor2D));
  }

  /** The weight layer l applies: raw, or masked and/or spectrally normalised. */
  layerWeight(l: number): tf.Tensor2D {
    return this.maskTensors.length > 0 || this.options.spectralNorm ? this.effectiveWeight(l) : this.weights[l];
  }

  /**
   * The network after its first affine layer, given that layer's pre-activation x·W₀ + b₀ (`[..., hidden[0]]`, or
   * `[..., outputDim]` for a single-layer net, which is returned as is). For callers that build x·W₀ from parts of x
   * by broadcasting instead of materialising x (EGNN edge inputs [h_i, h_j, d²] would need tile + concat, which are
   * slow on WASM). Leading dimensions are kept.
   */
  applyFromPreActivation<T extends tf.Tensor>(pre: T): T {
    return tf.tidy(() => {
      let h: tf.Tensor = pre;
      for (let l = 1; l < this.weights.length; l++) {
        const a = activate(h, this.options.activation, this.secondOrder);
        const flat = a.rank === 2 ? a : tf.reshape(a, [-1, a.shape[a.rank - 1]]);
        const out = tf.add(tf.matMul(flat as tf.Tensor2D, this.layerWeight(l)), this.biases[l]);
        h = a.rank === 2 ? out : tf.reshape(out, [...a.shape.slice(0, -1), this.weights[l].shape[1]]);
      }
      return h as T;
    });
  }

  /** JSON description `{ type, ...params }` without weights, from which the registry rebuilds it. */
  toConfig(): {
    inputDim: number;
    outputDim: number;
    hidden: number[];
    activation: Activation;
    masks?: number[][][];
    spectralNorm?: { coefficient: number; iterations?: number };
  } {
    const { inputDim, outputDim, hidden, activation, masks, spectralNorm } = this.options;
    return { inputDim, outputDim, hidden: [...hidden], activation, ...(masks ? { masks } : {}), ...(spectralNorm ? { spectralNorm } : {}) };
  }

  /** Frees the variables it owns. */
  dispose(): void {
    tf.dispose([...this.weights, ...this.biases, ...this.spectralU, ...this.maskTensors]);
  }
}

/**
 * Elementwise activation by name. tanh, silu and elu use the second-order-exact versions of `./activations.js`, so a
 * loss built from ∂f/∂x (CNF log-dets, residual-flow Jacobians) has exact gradients with respect to the weights.
 * With `secondOrder` false they are tfjs's own ops (first derivatives exact, the gradient reuses the saved output).
 */
export function activate<T extends tf.Tensor>(h: T, a: Activation, secondOrder = true): T {
  return activateAny(h, a, secondOrder) as T;
}

function activateAny(h: tf.Tensor, a: Activation, secondOrder: boolean): tf.Tensor {
  if (!secondOrder) {
    // tfjs's own gradients: from the saved output (tanh: 1 − y², sigmoid: y(1 − y), elu: y + 1 for y < 0).
    if (a === 'tanh') return tf.tanh(h);
    if (a === 'silu') return tf.mul(h, tf.sigmoid(h));
    if (a === 'elu') return tf.elu(h);
  }
  switch (a) {
    case 'relu':
      return tf.relu(h);
    case 'tanh':
      return tanh(h);
    case 'silu':
      return tf.mul(h, sigmoid(h));
    case 'elu':
      return elu(h);
    case 'leakyRelu':
      // relu(h) − 0.01·relu(−h) equals tf.leakyRelu, whose gradient goes through a comparison op that an outer
      // gradient tape cannot differentiate ("gradient function not found for Greater").
      return tf.sub(tf.relu(h), tf.mul(tf.relu(tf.neg(h)), 0.01));
    case 'softplus':
      return tf.softplus(h);
  }
}
