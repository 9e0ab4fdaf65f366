import * as tf from '@tensorflow/tfjs';
import type { Bijector, Distribution, SerializedConfig } from '@boltzflow/core';
import { registerBijector } from '@boltzflow/bijectors';
import { Normal, TransformedDistribution } from '@boltzflow/distributions';

/**
 * Test-only full affine bijector y = shift + L x with L lower triangular (positive diagonal exp(logDiag)), so a
 * standard-normal base pushed through it is N(shift, L Lᵀ): the exact MLE / KL optimum of a Gaussian is reachable.
 * It also carries a non-trainable counter bumped by `updateSpectralNorm()`, to check hooks and checkpointing of state.
 */
export class TriangularAffine implements Bijector {
  readonly dim: number;
  readonly shift: tf.Variable;
  readonly logDiag: tf.Variable;
  readonly offDiag: tf.Variable;
  readonly counter: tf.Variable;
  private readonly lowerMask: tf.Tensor2D;
  private readonly eye: tf.Tensor2D;

  constructor(dim: number, init: { shift?: number[]; logDiag?: number[]; offDiag?: number[][] } = {}) {
    this.dim = dim;
    this.shift = tf.variable(tf.tensor1d(init.shift ?? new Array(dim).fill(0)), true);
    this.logDiag = tf.variable(tf.tensor1d(init.logDiag ?? new Array(dim).fill(0)), true);
    this.offDiag = tf.variable(tf.tensor2d(init.offDiag ?? Array.from({ length: dim }, () => new Array(dim).fill(0))), true);
    this.counter = tf.variable(tf.scalar(0), false);
    const m: number[][] = Array.from({ length: dim }, (_, i) => Array.from({ length: dim }, (_, j) => (j < i ? 1 : 0)));
    this.lowerMask = tf.tensor2d(m);
    this.eye = tf.eye(dim) as tf.Tensor2D;
  }

  /** L `[dim, dim]`. */
  matrix(): tf.Tensor2D {
    return tf.tidy(() => tf.add(tf.mul(this.offDiag, this.lowerMask), tf.mul(this.eye, tf.exp(this.logDiag))) as tf.Tensor2D);
  }

  forward(x: tf.Tensor2D) {
    return tf.tidy(() => {
      const y = tf.add(tf.matMul(x, this.matrix(), false, true), this.shift) as tf.Tensor2D;
      const logDet = tf.mul(tf.ones([x.shape[0]]), tf.sum(this.logDiag)) as tf.Tensor1D;
      return { y, logDet };
    });
  }

  inverse(y: tf.Tensor2D) {
    return tf.tidy(() => {
      const L = this.matrix();
      const r = tf.sub(y, this.shift);
      const cols: tf.Tensor[] = [];
      for (let i = 0; i < this.dim; i++) {
        let acc = tf.slice(r, [0, i], [-1, 1]);
        for (let j = 0; j < i; j++) acc = tf.sub(acc, tf.mul(cols[j], tf.slice(L, [i, j], [1, 1])));
        cols.push(tf.div(acc, tf.slice(L, [i, i], [1, 1])));
      }
      const x = (this.dim === 1 ? cols[0] : tf.concat(cols, 1)) as tf.Tensor2D;
      const logDet = tf.mul(tf.ones([y.shape[0]]), tf.neg(tf.sum(this.logDiag))) as tf.Tensor1D;
      return { x, logDet };
    });
  }

  get trainableVariables(): tf.Variable[] {
    return [this.shift, this.logDiag, this.offDiag];
  }
  get nonTrainableVariables(): tf.Variable[] {
    return [this.counter];
  }
  updateSpectralNorm(): void {
    tf.tidy(() => this.counter.assign(tf.add(this.counter, 1)));
  }
  toConfig(): SerializedConfig {
    return { type: 'TestTriangularAffine', dim: this.dim };
  }
  dispose(): void {
    tf.dispose([this.shift, this.logDiag, this.offDiag, this.counter, this.lowerMask, this.eye]);
  }
}

registerBijector('TestTriangularAffine', (c) => new TriangularAffine(c.dim as number));

/** N(0, I) pushed through a TriangularAffine. */
export function affineFlow(dim: number, init?: ConstructorParameters<typeof TriangularAffine>[1]): TransformedDistribution {
  return new TransformedDistribution(Normal.standard(dim), new TriangularAffine(dim, init));
}

export function affineOf(flow: Distribution): TriangularAffine {
  return (flow as TransformedDistribution).bijector as TriangularAffine;
}

/** Mean and covariance of the flow's Gaussian, read from its parameters. */
export function gaussianOf(flow: Distribution): { mean: number[]; cov: number[][] } {
  const b = affineOf(flow);
  const L = b.matrix();
  const l = L.arraySync();
  L.dispose();
  const mean = Array.from(b.shift.dataSync());
  const d = b.dim;
  const cov = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => l[i].reduce((s, _v, k) => s + l[i][k] * l[j][k], 0)));
  return { mean, cov };
}

/** All variable values of a flow, trainable then non-trainable, as plain arrays. */
export function weightsOf(flow: Distribution): number[][] {
  const b = affineOf(flow);
  return [...b.trainableVariables, ...b.nonTrainableVariables].map((v) => Array.from(v.dataSync()));
}
