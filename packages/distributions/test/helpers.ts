import * as tf from '@tensorflow/tfjs';
import type { Bijector, SerializedConfig } from '@boltzflow/core';

/** Tiny elementwise affine bijector for tests: y = shift + exp(logScale)·x. */
export class TestAffine implements Bijector {
  readonly dim: number;
  readonly shift: tf.Variable;
  readonly logScale: tf.Variable;
  constructor(
    readonly shiftInit: number[],
    readonly logScaleInit: number[],
  ) {
    this.dim = shiftInit.length;
    this.shift = tf.variable(tf.tensor1d(shiftInit));
    this.logScale = tf.variable(tf.tensor1d(logScaleInit));
  }
  forward(x: tf.Tensor2D) {
    return tf.tidy(() => {
      const y = tf.add(tf.mul(x, tf.exp(this.logScale)), this.shift) as tf.Tensor2D;
      const logDet = tf.mul(tf.ones([x.shape[0]]), tf.sum(this.logScale)) as tf.Tensor1D;
      return { y, logDet };
    });
  }
  inverse(y: tf.Tensor2D) {
    return tf.tidy(() => {
      const x = tf.mul(tf.sub(y, this.shift), tf.exp(tf.neg(this.logScale))) as tf.Tensor2D;
      const logDet = tf.mul(tf.ones([y.shape[0]]), tf.neg(tf.sum(this.logScale))) as tf.Tensor1D;
      return { x, logDet };
    });
  }
  get trainableVariables() {
    return [this.shift, this.logScale];
  }
  toConfig(): SerializedConfig {
    return { type: 'TestAffine', shift: this.shiftInit, logScale: this.logScaleInit };
  }
  dispose() {
    tf.dispose([this.shift, this.logScale]);
  }
}

export function testBijectorFromConfig(c: SerializedConfig): Bijector {
  if (c.type !== 'TestAffine') throw new Error(`unknown ${c.type}`);
  return new TestAffine(c.shift as number[], c.logScale as number[]);
}

/** Independent float64 diagonal-Gaussian log-density. */
export function gaussLogPdf(x: number[], mu: number[], sd: number[]): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += -0.5 * ((x[i] - mu[i]) / sd[i]) ** 2 - Math.log(sd[i]) - 0.5 * Math.log(2 * Math.PI);
  return s;
}

/** Trapezoid ∫ exp(logp) on [lo, hi] with n intervals, evaluated by one batched call. */
export function quad1D(logp: (x: tf.Tensor2D) => tf.Tensor1D, lo: number, hi: number, n: number): number {
  const h = (hi - lo) / n;
  const pts = Array.from({ length: n + 1 }, (_, i) => [lo + i * h]);
  const x = tf.tensor2d(pts);
  const lp = logp(x);
  const v = lp.dataSync();
  tf.dispose([x, lp]);
  let s = 0;
  for (let i = 0; i <= n; i++) s += (i === 0 || i === n ? 0.5 : 1) * Math.exp(v[i]);
  return s * h;
}

/** Trapezoid ∫∫ exp(logp) on a box with n×n intervals. */
export function quad2D(logp: (x: tf.Tensor2D) => tf.Tensor1D, lo: [number, number], hi: [number, number], n: number): number {
  const h0 = (hi[0] - lo[0]) / n;
  const h1 = (hi[1] - lo[1]) / n;
  const pts: number[][] = [];
  for (let i = 0; i <= n; i++) for (let j = 0; j <= n; j++) pts.push([lo[0] + i * h0, lo[1] + j * h1]);
  const x = tf.tensor2d(pts);
  const lp = logp(x);
  const v = lp.dataSync();
  tf.dispose([x, lp]);
  let s = 0;
  let k = 0;
  for (let i = 0; i <= n; i++) {
    for (let j = 0; j <= n; j++) {
      const w = (i === 0 || i === n ? 0.5 : 1) * (j === 0 || j === n ? 0.5 : 1);
      s += w * Math.exp(v[k++]);
    }
  }
  return s * h0 * h1;
}

/** Sample mean and covariance of rows (float64). */
export function moments(rows: number[][]): { mean: number[]; cov: number[][] } {
  const n = rows.length;
  const d = rows[0].length;
  const mean = new Array(d).fill(0);
  for (const r of rows) for (let i = 0; i < d; i++) mean[i] += r[i] / n;
  const cov = Array.from({ length: d }, () => new Array(d).fill(0));
  for (const r of rows) for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) cov[i][j] += ((r[i] - mean[i]) * (r[j] - mean[j])) / (n - 1);
  return { mean, cov };
}

/** Tensor count change across repeated calls. */
export function leakCount(fn: () => void, iters = 10): number {
  fn();
  const before = tf.memory().numTensors;
  for (let i = 0; i < iters; i++) fn();
  return tf.memory().numTensors - before;
}
