import * as tf from '@tensorflow/tfjs';
import { assertInteger, assertPositive, type Rng, type SerializedConfig } from '@boltzflow/core';
import { activate, MLP, type Activation } from '../nn/mlp.js';
import { tanh } from '../nn/activations.js';
import { registerVectorField, timeColumn, type VectorField } from '../continuous/vectorField.js';
import { checkParticles } from './particles.js';

export interface EGNNVectorFieldOptions {
  particles: number;
  spatialDim: number;
  /** Width of node features, messages and the hidden layer of every φ (default 32). */
  hidden?: number;
  /** Number of EGNN layers (default 3). */
  layers?: number;
  /**
   * Bound on the coordinate update, as in E-NF: each layer's weight is (range / layers)·tanh(φ_x(m_ij)), so the
   * velocity stays bounded (≤ range per particle) and ODE trajectories cannot blow up. Default 10.
   */
  coordinateRange?: number;
  /** Activation of every φ and of the messages (default 'silu', as in Satorras et al.). */
  activation?: Activation;
  rng?: Rng;
}

interface EGNNLayer {
  phiE: MLP;
  phiX: MLP;
  /** Absent on the last layer, whose node features would not reach the output. */
  phiH?: MLP;
}

/**
 * E(n)-equivariant vector field (EGNN, Satorras et al. 2021) for particle systems `[n, particles·spatialDim]`:
 *   m_ij = act(φ_e(h_i, h_j, ‖x_i − x_j‖², t)),  x_i ← x_i + Σ_{j≠i} (x_i − x_j) c·tanh(φ_x(m_ij)) / ((‖x_i − x_j‖ + 1)(P − 1)),
 *   h_i ← h_i + φ_h(h_i, Σ_{j≠i} m_ij / (P − 1)),  h⁰ = affine(t).
 * The output is the velocity x^L − x⁰ with its particle mean removed, computed from the centred input: it is
 * translation invariant, mean-free, and equivariant to particle permutations, rotations and reflections.
 * All pair quantities are batched `[n, P, P, ·]` tensors.
 */
export class EGNNVectorField implements VectorField {
  readonly dim: number;
  readonly particles: number;
  readonly spatialDim: number;
  readonly hidden: number;
  readonly layers: number;
  readonly activation: Activation;
  readonly coordinateRange: number;
  private readonly embed: MLP;
  private readonly blocks: EGNNLayer[] = [];
  private readonly offDiagonal: tf.Tensor4D;
  private readonly diagonal: tf.Tensor4D;

  constructor(options: EGNNVectorFieldOptions) {
    assertInteger(options.particles, 'particles', 2);
    assertInteger(options.spatialDim, 'spatialDim', 1);
    this.particles = options.particles;
    this.spatialDim = options.spatialDim;
    this.dim = this.particles * this.spatialDim;
    this.hidden = options.hidden ?? 32;
    this.layers = options.layers ?? 3;
    assertInteger(this.hidden, 'hidden', 1);
    assertInteger(this.layers, 'layers', 1);
    this.activation = options.activation ?? 'silu';
    this.coordinateRange = options.coordinateRange ?? 10;
    assertPositive(this.coordinateRange, 'coordinateRange');
    const H = this.hidden;
    const common = { activation: this.activation, rng: options.rng };
    this.embed = new MLP({ inputDim: 1, outputDim: H, hidden: [], ...common, name: 'egnn_embed' });
    for (let l = 0; l < this.layers; l++) {
      this.blocks.push({
        phiE: new MLP({ inputDim: 2 * H + 2, outputDim: H, hidden: [H], ...common, name: `egnn_e${l}` }),
        phiX: new MLP({ inputDim: H, outputDim: 1, hidden: [H], ...common, name: `egnn_x${l}` }),
        phiH: l < this.layers - 1 ? new MLP({ inputDim: 2 * H, outputDim: H, hidden: [H], ...common, name: `egnn_h${l}` }) : undefined,
      });
    }
    const P = this.particles;
    this.diagonal = tf.tidy(() => tf.reshape(tf.eye(P), [1, P, P, 1]));
    this.offDiagonal = tf.tidy(() => tf.sub(1, this.diagonal));
  }

  apply(x: tf.Tensor2D, t: number | tf.Tensor1D): tf.Tensor2D {
    const n = checkParticles(x, this.particles, this.spatialDim);
    return tf.tidy(() => {
      const P = this.particles;
      const S = this.spatialDim;
      const H = this.hidden;
      const raw = tf.reshape(x, [n, P, S]);
      const x0 = tf.sub(raw, tf.mean(raw, 1, true));
      const tcol = timeColumn(t, n);
      const tPair = tf.tile(tf.reshape(tcol, [n, 1, 1, 1]), [1, P, P, 1]);
      let h = tf.reshape(tf.tile(this.embed.apply(tcol), [1, P]), [n, P, H]) as tf.Tensor3D;
      let xs = x0 as tf.Tensor3D;
      for (const { phiE, phiX, phiH } of this.blocks) {
        const diff = tf.sub(tf.expandDims(xs, 2), tf.expandDims(xs, 1)); // [n, P, P, S], x_i − x_j
        const d2 = tf.sum(tf.square(diff), 3, true); // [n, P, P, 1]
        const hi = tf.tile(tf.expandDims(h, 2), [1, 1, P, 1]);
        const hj = tf.tile(tf.expandDims(h, 1), [1, P, 1, 1]);
        const edgeIn = tf.reshape(tf.concat([hi, hj, d2, tPair], 3), [n * P * P, 2 * H + 2]) as tf.Tensor2D;
        const m2 = activate(phiE.apply(edgeIn), this.activation);
        const m = tf.mul(tf.reshape(m2, [n, P, P, H]), this.offDiagonal);
        const w = tf.mul(tanh(tf.reshape(phiX.apply(m2), [n, P, P, 1])), this.coordinateRange / this.layers);
        // +diagonal under the root keeps ∂‖·‖ finite on the (zero) self-pairs.
        const norm = tf.add(tf.sqrt(tf.add(d2, this.diagonal)), 1);
        xs = tf.add(xs, tf.div(tf.sum(tf.div(tf.mul(diff, w), norm), 2), P - 1)) as tf.Tensor3D;
        if (!phiH) continue;
        const agg = tf.div(tf.sum(m, 2), P - 1);
        const hIn = tf.reshape(tf.concat([h, agg], 2), [n * P, 2 * H]) as tf.Tensor2D;
        h = tf.add(h, tf.reshape(phiH.apply(hIn), [n, P, H])) as tf.Tensor3D;
      }
      const v = tf.sub(xs, x0);
      return tf.reshape(tf.sub(v, tf.mean(v, 1, true)), [n, P * S]) as tf.Tensor2D;
    });
  }

  get trainableVariables(): tf.Variable[] {
    return [this.embed, ...this.blocks.flatMap((b) => (b.phiH ? [b.phiE, b.phiX, b.phiH] : [b.phiE, b.phiX]))].flatMap((m) => m.trainableVariables);
  }

  toConfig(): SerializedConfig {
    return { type: 'EGNNVectorField', particles: this.particles, spatialDim: this.spatialDim, hidden: this.hidden, layers: this.layers, activation: this.activation, coordinateRange: this.coordinateRange };
  }

  dispose(): void {
    this.embed.dispose();
    for (const b of this.blocks) [b.phiE, b.phiX, b.phiH].forEach((m) => m?.dispose());
    tf.dispose([this.diagonal, this.offDiagonal]);
  }
}

registerVectorField('EGNNVectorField', (c) => new EGNNVectorField(c as unknown as EGNNVectorFieldOptions));
