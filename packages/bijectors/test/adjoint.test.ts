import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createRng, isBoltzflowError } from '@boltzflow/core';
import { bijectorFromConfig, ContinuousFlow, EGNNVectorField, MLPVectorField, type ContinuousFlowOptions, type VectorField } from '../src/index.js';
import { runBijectorSuite } from './bijectorSuite.js';

/** L = Σ w_y·y + Σ w_l·logDet: exercises both the state and the log-det adjoint. */
function lossOf(flow: ContinuousFlow, x: tf.Tensor2D, wy: tf.Tensor2D, wl: tf.Tensor1D): tf.Scalar {
  const { y, logDet } = flow.forward(x);
  return tf.add(tf.sum(tf.mul(wy, y)), tf.sum(tf.mul(wl, logDet))) as tf.Scalar;
}

/** Gradients of the loss with respect to x and every variable of the field, as plain arrays. */
function gradients(flow: ContinuousFlow, x: tf.Tensor2D, wy: tf.Tensor2D, wl: tf.Tensor1D): number[][] {
  const vars = flow.trainableVariables;
  const { value, grads } = tf.engine().gradients(() => lossOf(flow, x, wy, wl), [x, ...vars], undefined, true);
  const out = grads.map((g, i) => Array.from((g ?? tf.zerosLike([x, ...vars][i])).dataSync()));
  tf.dispose([value, ...grads.filter((g) => g !== null)]);
  return out;
}

function maxAbs(a: number[]): number {
  return a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}
function expectClose(adj: number[][], ref: number[][], rel: number): void {
  expect(adj.length).toBe(ref.length);
  for (let i = 0; i < ref.length; i++) {
    const scale = Math.max(maxAbs(ref[i]), 1e-3);
    const err = maxAbs(ref[i].map((v, j) => v - adj[i][j]));
    expect(err / scale).toBeLessThan(rel);
  }
}

function setup(n: number, dim: number, seed: number) {
  const rng = createRng(seed);
  return { x: rng.normal([n, dim]) as tf.Tensor2D, wy: rng.normal([n, dim]) as tf.Tensor2D, wl: rng.normal([n]) as tf.Tensor1D };
}

/** The same field (shared weights) under the direct and the adjoint backward; equal probe streams. */
function pair(field: VectorField, opts: ContinuousFlowOptions): { direct: ContinuousFlow; adjoint: ContinuousFlow } {
  return {
    direct: new ContinuousFlow(field, { ...opts, rng: createRng(11), gradient: 'direct' }),
    adjoint: new ContinuousFlow(field, { ...opts, rng: createRng(11), gradient: 'adjoint' }),
  };
}

// Round trips, leaks, config round trip, and the Jacobian by tf.grad through the adjoint node against finite differences.
runBijectorSuite(
  "ContinuousFlow (MLP field, rk4, exact trace, gradient 'adjoint')",
  () => new ContinuousFlow(new MLPVectorField({ dim: 3, hidden: [16], rng: createRng(7) }), { steps: 16, gradient: 'adjoint' }),
  { dim: 3, largeBatch: 50, jacobianSamples: 2, fromConfig: bijectorFromConfig },
);

describe("ContinuousFlow gradient: 'adjoint'", () => {
  for (const trace of ['exact', 'hutchinson'] as const) {
    it(`MLP field, ${trace} trace: adjoint gradients of x, log-det and parameters match the direct backward and finite differences`, () => {
      const field = new MLPVectorField({ dim: 2, hidden: [8, 8], rng: createRng(4) });
      const { direct, adjoint } = pair(field, { steps: 8, trace });
      const { x, wy, wl } = setup(6, 2, 1);
      const before = tf.memory().numTensors;
      const ga = gradients(adjoint, x, wy, wl);
      expect(tf.memory().numTensors).toBe(before);
      const gd = gradients(direct, x, wy, wl);
      // Continuous adjoint vs discrete backprop: they differ by the RK4 error of the backward solve, O(h⁴).
      expectClose(ga, gd, 2e-3);
      // Forward values are the same integration.
      const fa = adjoint.forward(x);
      const fd = direct.forward(x);
      expect(tf.max(tf.abs(tf.sub(fa.y, fd.y))).dataSync()[0]).toBeLessThan(1e-6);
      expect(tf.max(tf.abs(tf.sub(fa.logDet, fd.logDet))).dataSync()[0]).toBeLessThan(1e-5);
      tf.dispose([fa.y, fa.logDet, fd.y, fd.logDet]);
      // Central finite differences (float32, δ = 1e-2) along one random direction of x and one of the parameters.
      const rng = createRng(8);
      const dx = rng.normal([6, 2]) as tf.Tensor2D;
      const lossAt = (xx: tf.Tensor2D) => {
        // Hutchinson: a fresh flow with the same probe seed, so every evaluation uses the same probe.
        const f = new ContinuousFlow(field, { steps: 8, trace, rng: createRng(11) });
        return tf.tidy(() => lossOf(f, xx, wy, wl).dataSync()[0]);
      };
      const delta = 1e-2;
      const xp = tf.add(x, tf.mul(dx, delta)) as tf.Tensor2D;
      const xm = tf.sub(x, tf.mul(dx, delta)) as tf.Tensor2D;
      const fdX = (lossAt(xp) - lossAt(xm)) / (2 * delta);
      const dxv = dx.dataSync();
      const anX = ga[0].reduce((s, v, j) => s + v * dxv[j], 0);
      expect(Math.abs(anX - fdX)).toBeLessThan(2e-3 * Math.max(1, Math.abs(fdX)));
      const vars = field.trainableVariables;
      const dirs = vars.map((v) => rng.normal(v.shape));
      const saved = vars.map((v) => v.clone());
      const at = (sign: number) => {
        vars.forEach((v, i) => v.assign(tf.tidy(() => tf.add(saved[i], tf.mul(dirs[i], sign * delta)))));
        return lossAt(x);
      };
      const fdP = (at(1) - at(-1)) / (2 * delta);
      vars.forEach((v, i) => v.assign(saved[i]));
      const anP = dirs.reduce((s, d, i) => {
        const dv = d.dataSync();
        return s + ga[i + 1].reduce((t, v, j) => t + v * dv[j], 0);
      }, 0);
      expect(Math.abs(anP - fdP)).toBeLessThan(5e-3 * Math.max(1, Math.abs(fdP)));
      tf.dispose([x, wy, wl, dx, xp, xm, ...dirs, ...saved]);
      field.dispose();
    });
  }

  it('E(n)-equivariant (EGNN) field, exact trace: adjoint gradients match the direct backward', () => {
    const field = new EGNNVectorField({ particles: 3, spatialDim: 2, hidden: 8, layers: 2, rng: createRng(5) });
    const { direct, adjoint } = pair(field, { steps: 8 });
    const { x, wy, wl } = setup(3, 6, 2);
    // Worst per-variable relative difference (max error ÷ max |gradient|): 4.6e-2 at 4 steps, 1.5e-2 at 8 steps — the
    // continuous adjoint matches the discrete backward only up to the solver error of the backward solve.
    expectClose(gradients(adjoint, x, wy, wl), gradients(direct, x, wy, wl), 3e-2);
    tf.dispose([x, wy, wl]);
    field.dispose();
  });

  it('inverse direction: adjoint gradients match the direct backward', () => {
    const field = new MLPVectorField({ dim: 2, hidden: [8], rng: createRng(6) });
    const { direct, adjoint } = pair(field, { steps: 8 });
    const { x, wy, wl } = setup(5, 2, 3);
    const g = (flow: ContinuousFlow) => {
      const vars = flow.trainableVariables;
      const { value, grads } = tf.engine().gradients(() => {
        const r = flow.inverse(x);
        return tf.add(tf.sum(tf.mul(wy, r.x)), tf.sum(tf.mul(wl, r.logDet))) as tf.Scalar;
      }, [x, ...vars]);
      const out = grads.map((t) => Array.from(t.dataSync()));
      tf.dispose([value, ...grads]);
      return out;
    };
    expectClose(g(adjoint), g(direct), 2e-3);
    tf.dispose([x, wy, wl]);
    field.dispose();
  });

  it('peak memory while computing gradients is flat in the number of RK4 steps (4 vs 16), unlike the direct backward', async () => {
    const field = new MLPVectorField({ dim: 2, hidden: [32, 32], rng: createRng(7) });
    const { x, wy, wl } = setup(64, 2, 4);
    const peak = async (gradient: 'direct' | 'adjoint', steps: number) => {
      const flow = new ContinuousFlow(field, { steps, gradient });
      const info = await tf.profile(() => {
        const { value, grads } = tf.engine().gradients(() => lossOf(flow, x, wy, wl), field.trainableVariables);
        tf.dispose([value, ...grads]);
      });
      console.log(`cnf-mem ${gradient} steps=${steps} peakBytes=${info.peakBytes} newTensors=${info.newTensors}`);
      return info.peakBytes;
    };
    const a4 = await peak('adjoint', 4);
    const a16 = await peak('adjoint', 16);
    const d4 = await peak('direct', 4);
    const d16 = await peak('direct', 16);
    expect(a16).toBeLessThanOrEqual(a4 * 1.05);
    expect(d16).toBeGreaterThan(d4 * 2.5);
    expect(a16).toBeLessThan(d16 / 3);
    tf.dispose([x, wy, wl]);
    field.dispose();
  });

  it('rejects dopri5 with the adjoint and unknown gradient methods (typed errors naming the argument)', () => {
    const field = new MLPVectorField({ dim: 2, hidden: [4] });
    for (const opts of [{ solver: 'dopri5', gradient: 'adjoint' }, { gradient: 'backprop' }] as ContinuousFlowOptions[]) {
      let err: unknown;
      try {
        new ContinuousFlow(field, opts);
      } catch (e) {
        err = e;
      }
      expect(isBoltzflowError(err)).toBe(true);
      expect((err as { details?: { argument?: string } }).details?.argument).toBe('gradient');
    }
    expect(new ContinuousFlow(field, { gradient: 'adjoint' }).toConfig().gradient).toBe('adjoint');
    field.dispose();
  });
});
