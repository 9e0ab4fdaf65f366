// Small flows, energies and references shared by the flow-assisted sampler tests (no training, closed forms).
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import type { Bijector, ChainState, Energy, Kernel, Rng, StepInfo } from '@boltzflow/core';
import { energyFromFunction } from '@boltzflow/energies';
import { Normal } from '@boltzflow/distributions';
import type { FlowLike } from '../src/flow/index.js';

/** y = shift + exp(logScale) ⊙ x, optionally with trainable parameters. */
export class AffineBijector implements Bijector {
  readonly dim: number;
  readonly shift: tf.Variable;
  readonly logScale: tf.Variable;
  constructor(shift: number[], scale: number[], trainable = false) {
    this.dim = shift.length;
    this.shift = tf.variable(tf.tensor1d(shift), trainable);
    this.logScale = tf.variable(tf.tensor1d(scale.map(Math.log)), trainable);
  }
  get trainableVariables(): tf.Variable[] {
    return this.shift.trainable ? [this.shift, this.logScale] : [];
  }
  forward(x: tf.Tensor2D) {
    return tf.tidy(() => ({
      y: tf.add(this.shift, tf.mul(x, tf.exp(this.logScale))) as tf.Tensor2D,
      logDet: tf.mul(tf.ones([x.shape[0]]), tf.sum(this.logScale)) as tf.Tensor1D,
    }));
  }
  inverse(y: tf.Tensor2D) {
    return tf.tidy(() => ({
      x: tf.div(tf.sub(y, this.shift), tf.exp(this.logScale)) as tf.Tensor2D,
      logDet: tf.mul(tf.ones([y.shape[0]]), tf.neg(tf.sum(this.logScale))) as tf.Tensor1D,
    }));
  }
  toConfig() {
    return { type: 'TestAffine', dim: this.dim };
  }
  dispose() {
    this.shift.dispose();
    this.logScale.dispose();
  }
}

/** Elementwise y = sinh(x): a nonlinear bijector with closed-form inverse, log|det| = Σ log cosh x. */
export class SinhBijector implements Bijector {
  readonly trainableVariables: tf.Variable[] = [];
  constructor(readonly dim: number) {}
  forward(x: tf.Tensor2D) {
    return tf.tidy(() => ({ y: tf.sinh(x) as tf.Tensor2D, logDet: tf.sum(tf.log(tf.cosh(x)), 1) as tf.Tensor1D }));
  }
  inverse(y: tf.Tensor2D) {
    return tf.tidy(() => {
      const x = tf.asinh(y) as tf.Tensor2D;
      return { x, logDet: tf.neg(tf.sum(tf.log(tf.cosh(x)), 1)) as tf.Tensor1D };
    });
  }
  toConfig() {
    return { type: 'TestSinh', dim: this.dim };
  }
  dispose() {}
}

/** Composition: forward applies `bijectors` in order. */
export class ChainBijector implements Bijector {
  readonly dim: number;
  constructor(readonly bijectors: Bijector[]) {
    this.dim = bijectors[0].dim;
  }
  get trainableVariables(): tf.Variable[] {
    return this.bijectors.flatMap((b) => b.trainableVariables);
  }
  forward(x: tf.Tensor2D) {
    return tf.tidy(() => {
      let y = x;
      let ld = tf.zeros([x.shape[0]]) as tf.Tensor1D;
      for (const b of this.bijectors) {
        const f = b.forward(y);
        y = f.y;
        ld = tf.add(ld, f.logDet);
      }
      return { y, logDet: ld };
    });
  }
  inverse(y: tf.Tensor2D) {
    return tf.tidy(() => {
      let x = y;
      let ld = tf.zeros([y.shape[0]]) as tf.Tensor1D;
      for (const b of [...this.bijectors].reverse()) {
        const r = b.inverse(x);
        x = r.x;
        ld = tf.add(ld, r.logDet);
      }
      return { x, logDet: ld };
    });
  }
  toConfig() {
    return { type: 'TestChain' };
  }
  dispose() {}
}

export function flow(bijector: Bijector): FlowLike {
  return { base: Normal.standard(bijector.dim), bijector };
}

/** u(x) = −log q(x) + c for the flow itself (so Z = exp(−c)). */
export function flowEnergy(f: FlowLike, c = 0): Energy {
  return energyFromFunction(
    (x) =>
      tf.tidy(() => {
        const inv = f.bijector.inverse(x);
        return tf.sub(tf.neg(tf.add(f.base.logProb(inv.x), inv.logDet)), -c) as tf.Tensor1D;
      }),
    f.base.dim,
    'flowDensity',
  );
}

/** Diagonal Gaussian energy ½Σ((x − m)/s)² + c; log Z = (d/2) log 2π + Σ log s − c. */
export function gaussianEnergy(m: number[], s: number[], c = 0): { energy: Energy; logZ: number } {
  const mt = tf.keep(tf.tensor1d(m));
  const st = tf.keep(tf.tensor1d(s));
  const energy = energyFromFunction(
    (x) => tf.tidy(() => tf.add(tf.mul(tf.sum(tf.square(tf.div(tf.sub(x, mt), st)), 1), 0.5), c) as tf.Tensor1D),
    m.length,
    'gauss',
  );
  const logZ = (m.length / 2) * Math.log(2 * Math.PI) + s.reduce((a, v) => a + Math.log(v), 0) - c;
  return { energy, logZ };
}

/** SNF double well u = x₁⁴ − 6x₁² − 0.5x₁ + ½x₂². */
export const doubleWell: Energy = energyFromFunction(
  (x) =>
    tf.tidy(() => {
      const [x1, x2] = tf.split(x, 2, 1).map((t) => t.squeeze([1]));
      return tf.addN([tf.pow(x1, 4), tf.mul(tf.square(x1), -6), tf.mul(x1, -0.5), tf.mul(tf.square(x2), 0.5)]) as tf.Tensor1D;
    }),
  2,
  'doubleWell',
);

/** Exact ΔF = −ln(P(x₁ > 0)/P(x₁ < 0)) of the double well by float64 trapezoid quadrature of exp(−u₁) (x₂ factorises). */
export function doubleWellDeltaF(): { deltaF: number; pPos: number } {
  const u1 = (t: number) => t ** 4 - 6 * t * t - 0.5 * t;
  const integral = (a: number, b: number) => {
    const m = 40000;
    const h = (b - a) / m;
    let s = 0;
    for (let i = 0; i <= m; i++) s += (i === 0 || i === m ? 0.5 : 1) * Math.exp(-u1(a + i * h) - 10); // shift avoids overflow
    return s * h;
  };
  const pos = integral(0, 6);
  const neg = integral(-6, 0);
  return { deltaF: -Math.log(pos / neg), pPos: pos / (pos + neg) };
}

/** Minimal random-walk Metropolis kernel (test-local, independent of the package kernels). */
export function testRwm(target: Energy, stepSize: number): Kernel {
  return {
    target,
    init: (x0) => ({ x: x0.clone(), energy: target.energy(x0) }),
    step(state: ChainState, rng: Rng): { state: ChainState; info: StepInfo } {
      const n = state.x.shape[0];
      const o = tf.tidy(() => {
        const prop = tf.add(state.x, tf.mul(rng.normal([n, target.dim]), stepSize)) as tf.Tensor2D;
        const u = target.energy(prop);
        const uc = tf.where(tf.isFinite(u), u, tf.fill([n], Infinity));
        const logR = tf.sub(state.energy, uc) as tf.Tensor1D;
        const mask = tf.less(tf.log(rng.uniform([n])), logR);
        const m2 = mask.reshape([n, 1]).tile([1, target.dim]);
        return {
          x: tf.where(m2, prop, state.x) as tf.Tensor2D,
          energy: tf.where(mask, uc, state.energy) as tf.Tensor1D,
          accepted: tf.cast(mask, 'float32') as tf.Tensor1D,
          logAcceptRatio: logR,
        };
      });
      return { state: { x: o.x, energy: o.energy }, info: { accepted: o.accepted, logAcceptRatio: o.logAcceptRatio, energyEvaluations: n } };
    },
  };
}

/** Runs a kernel, returning positions after `burn` steps as plain arrays [step][chain*dim], disposing everything else. */
export function runChain(kernel: Kernel, x0: tf.Tensor2D, steps: number, burn: number, rng: Rng): { xs: Float32Array[]; accept: number; evals: number } {
  let state = kernel.init(x0);
  const xs: Float32Array[] = [];
  let acc = 0;
  let evals = 0;
  for (let t = 0; t < steps; t++) {
    const { state: next, info } = kernel.step(state, rng);
    disposeStateExcept(state, next);
    state = next;
    if (t >= burn) {
      xs.push(state.x.dataSync() as Float32Array);
      acc += tf.tidy(() => tf.mean(info.accepted)).dataSync()[0];
    }
    evals += info.energyEvaluations;
    tf.dispose([info.accepted, info.logAcceptRatio]);
  }
  disposeState(state);
  return { xs, accept: acc / Math.max(1, steps - burn), evals };
}

function tensorsOf(value: unknown, out: Set<tf.Tensor>): Set<tf.Tensor> {
  if (value instanceof tf.Tensor) out.add(value);
  else if (Array.isArray(value)) for (const v of value) tensorsOf(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) tensorsOf(v, out);
  return out;
}

/** Disposes the tensors of `old` not reused by `next` (kernels may pass tensors through). */
export function disposeStateExcept(old: unknown, next: unknown): void {
  const keep = tensorsOf(next, new Set());
  for (const t of tensorsOf(old, new Set())) if (!keep.has(t) && !t.isDisposed) t.dispose();
}

export function disposeState(s: unknown): void {
  if (s instanceof tf.Tensor) s.dispose();
  else if (Array.isArray(s)) s.forEach(disposeState);
  else if (s && typeof s === 'object') Object.values(s).forEach(disposeState);
}

/** Mean of a statistic per chain, then across-chain mean and its standard error (chains are independent). */
export function chainMeanAndSe(xs: Float32Array[], chains: number, dim: number, f: (row: Float32Array, off: number) => number): { mean: number; se: number } {
  const per = new Float64Array(chains);
  for (const x of xs) for (let c = 0; c < chains; c++) per[c] += f(x, c * dim);
  for (let c = 0; c < chains; c++) per[c] /= xs.length;
  const mean = per.reduce((a, b) => a + b, 0) / chains;
  const v = per.reduce((a, b) => a + (b - mean) ** 2, 0) / (chains - 1);
  return { mean, se: Math.sqrt(v / chains) };
}

/**
 * Checks autodiff gradients of a scalar loss against central finite differences (step 1e-3) in every coordinate of
 * every variable; the loss must hold its random numbers fixed (a fresh seeded Rng per call).
 */
export function expectFiniteDifferenceGradients(loss: () => tf.Scalar, variables: tf.Variable[], tol = { rel: 0.03, abs: 0.02 }): void {
  const { value, grads } = tf.variableGrads(loss, variables);
  value.dispose();
  const h = 1e-3;
  for (const v of variables) {
    const g = grads[v.name].dataSync();
    const base = Array.from(v.dataSync());
    for (let i = 0; i < base.length; i++) {
      const at = (d: number) => {
        const p = [...base];
        p[i] += d;
        v.assign(tf.tensor(p, v.shape));
        const l = loss();
        const out = l.dataSync()[0];
        l.dispose();
        return out;
      };
      const fd = (at(h) - at(-h)) / (2 * h);
      v.assign(tf.tensor(base, v.shape));
      expect(Math.abs(fd - g[i])).toBeLessThan(tol.rel * Math.abs(fd) + tol.abs);
    }
  }
  tf.dispose(Object.values(grads));
}
