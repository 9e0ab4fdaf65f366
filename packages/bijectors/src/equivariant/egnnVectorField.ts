import * as tf from '@tensorflow/tfjs';
import { assertInteger, assertPositive, checkParticles, type Rng, type SerializedConfig } from '@boltzflow/core';
import { activate, MLP, type Activation } from '../nn/mlp.js';
import { tanh } from '../nn/activations.js';
import { timeColumn, type VectorField } from '../continuous/vectorField.js';

/** Options of {@link EGNNVectorField}. */
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

/** Added to squared pair distances under the square root (see `apply`). */
const PAIR_DISTANCE_EPS = 1e-8;

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
    this.offDiagonal = tf.tidy(() => tf.sub(1, tf.reshape(tf.eye(P), [1, P, P, 1])));
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
      // Node features start equal for all particles: broadcast instead of tile (tile is slow on WASM).
      let h = tf.mul(tf.reshape(this.embed.apply(tcol), [n, 1, H]), tf.ones([1, P, 1])) as tf.Tensor3D;
      let xs = x0 as tf.Tensor3D;
      for (const { phiE, phiX, phiH } of this.blocks) {
        const diff = tf.sub(tf.expandDims(xs, 2), tf.expandDims(xs, 1)); // [n, P, P, S], x_i − x_j
        const d2 = tf.sum(tf.square(diff), 3, true); // [n, P, P, 1]
        // φ_e's first layer on [h_i, h_j, d², t] as a sum of per-node, per-pair and per-sample terms: the same
        // affine map without materialising the [n·P·P, 2H + 2] edge inputs.
        const w = phiE.layerWeight(0);
        const hW = (rows: number, offset: number) => tf.reshape(tf.matMul(tf.reshape(h, [n * P, H]), tf.slice(w, [offset, 0], [rows, -1])), [n, P, H]);
        const nodeTerms = tf.add(tf.expandDims(hW(H, 0), 2), tf.expandDims(hW(H, H), 1)); // [n, P, P, H]
        const sampleTerm = tf.reshape(tf.add(tf.matMul(tcol, tf.slice(w, [2 * H + 1, 0], [1, -1])), phiE.biases[0]), [n, 1, 1, H]);
        const pre = tf.add(tf.add(nodeTerms, tf.mul(d2, tf.reshape(tf.slice(w, [2 * H, 0], [1, -1]), [1, 1, 1, H]))), sampleTerm);
        const m = activate(phiE.applyFromPreActivation(pre), this.activation); // [n, P, P, H]
        const cw = tf.mul(tanh(tf.reshape(phiX.apply(tf.reshape(m, [n * P * P, H]) as tf.Tensor2D), [n, P, P, 1])), this.coordinateRange / this.layers);
        // ε under the root keeps ∂‖·‖ finite on zero-distance pairs (the self-pairs, and coincident particles, which
        // would otherwise turn log q and every gradient into NaN).
        const norm = tf.add(tf.sqrt(tf.add(d2, PAIR_DISTANCE_EPS)), 1);
        xs = tf.add(xs, tf.div(tf.sum(tf.div(tf.mul(diff, cw), norm), 2), P - 1)) as tf.Tensor3D;
        if (!phiH) continue;
        const agg = tf.div(tf.sum(tf.mul(m, this.offDiagonal), 2), P - 1); // [n, P, H]
        const wh = phiH.layerWeight(0);
        const hPre = tf.add(
          tf.add(tf.matMul(tf.reshape(h, [n * P, H]), tf.slice(wh, [0, 0], [H, -1])), tf.matMul(tf.reshape(agg, [n * P, H]), tf.slice(wh, [H, 0], [H, -1]))),
          phiH.biases[0],
        );
        h = tf.add(h, tf.reshape(phiH.applyFromPreActivation(hPre), [n, P, H])) as tf.Tensor3D;
      }
      const v = tf.sub(xs, x0);
      return tf.reshape(tf.sub(v, tf.mean(v, 1, true)), [n, P * S]) as tf.Tensor2D;
    });
  }

  /** Variables trained by gradients, in a fixed order (checkpoints rely on it). */
  get trainableVariables(): tf.Variable[] {
    return [this.embed, ...this.blocks.flatMap((b) => (b.phiH ? [b.phiE, b.phiX, b.phiH] : [b.phiE, b.phiX]))].flatMap((m) => m.trainableVariables);
  }

  /** JSON description `{ type, ...params }` without weights, from which the registry rebuilds it. */
  toConfig(): SerializedConfig {
    return {
      type: 'EGNNVectorField',
      particles: this.particles,
      spatialDim: this.spatialDim,
      hidden: this.hidden,
      layers: this.layers,
      activation: this.activation,
      coordinateRange: this.coordinateRange,
    };
  }

  /** Frees the variables it owns. */
  dispose(): void {
    this.embed.dispose();
    for (const b of this.blocks) [b.phiE, b.phiX, b.phiH].forEach((m) => m?.dispose());
    this.offDiagonal.dispose();
  }
}
