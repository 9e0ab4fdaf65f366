import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '@boltzflow/core';
import { bijectorFromConfig, ResidualFlow, residualSeriesBound } from '../src/index.js';
import { denseJacobian, logAbsDet, runBijectorSuite, expectBoltzflowError } from './bijectorSuite.js';

runBijectorSuite('ResidualFlow', () => new ResidualFlow({ dim: 3, hidden: [16, 16], rng: createRng(31) }), {
  dim: 3,
  fromConfig: bijectorFromConfig,
  checkBadInput: true,
});
runBijectorSuite(
  'ResidualFlow (c = 0.5, K = 20, tanh)',
  () => new ResidualFlow({ dim: 2, hidden: [8], coefficient: 0.5, seriesTerms: 20, activation: 'tanh', rng: createRng(32) }),
  { dim: 2, largeBatch: 300 },
);

/** Exact log|det(I + J_g)| per sample from the dense autodiff Jacobian of g, by LU in float64. */
function exactLogDet(b: ResidualFlow, x: tf.Tensor2D): number[] {
  const J = denseJacobian((xx) => b.residual(xx), x);
  return J.map((Js) => logAbsDet(Js.map((row, i) => row.map((v, j) => v + (i === j ? 1 : 0)))));
}

describe('ResidualFlow', () => {
  it('the dense Jacobian of g matches autodiff and its spectral norm is below the Lipschitz bound', () => {
    const b = new ResidualFlow({ dim: 3, hidden: [10], coefficient: 0.9, rng: createRng(1) });
    const x = tf.mul(createRng(2).normal([4, 3]), 2) as tf.Tensor2D;
    const J = b.jacobian(x).arraySync();
    const ref = denseJacobian((xx) => b.residual(xx), x);
    for (let s = 0; s < 4; s++) {
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(Math.abs(J[s][i][j] - ref[s][i][j])).toBeLessThan(1e-5);
      // ‖J‖₂² = largest eigenvalue of JᵀJ, by power iteration in float64.
      let v = [1, 0.5, -0.3];
      let lam = 0;
      for (let it = 0; it < 200; it++) {
        const jv = J[s].map((r) => r.reduce((a, w, k) => a + w * v[k], 0));
        const jtjv = v.map((_, k) => J[s].reduce((a, r, i) => a + r[k] * jv[i], 0));
        lam = Math.sqrt(jtjv.reduce((a, w) => a + w * w, 0));
        v = jtjv.map((w) => w / lam);
      }
      expect(Math.sqrt(lam)).toBeLessThanOrEqual(b.lipschitz * 1.001);
    }
    x.dispose();
    b.dispose();
  });

  it('logDet matches exact log|det(I + J_g)| within the stated truncation bound, for several K', () => {
    const b = new ResidualFlow({ dim: 4, hidden: [16], coefficient: 0.9, rng: createRng(3) });
    const x = tf.mul(createRng(4).normal([6, 4]), 1.5) as tf.Tensor2D;
    const exact = exactLogDet(b, x);
    let sawTruncation = false;
    for (const K of [1, 2, 5, 20, b.seriesTerms]) {
      const ld = b.logDetSeries(x, K).arraySync();
      const bound = residualSeriesBound(4, b.lipschitz, K);
      ld.forEach((v, s) => {
        expect(Math.abs(v - exact[s])).toBeLessThanOrEqual(bound + 1e-4);
        if (Math.abs(v - exact[s]) > 1e-3) sawTruncation = true;
      });
    }
    // Small K does truncate (the bound is not vacuous), and the default K meets its tolerance.
    expect(sawTruncation).toBe(true);
    expect(residualSeriesBound(4, b.lipschitz, b.seriesTerms)).toBeLessThanOrEqual(1e-5);
    const full = b.forward(x).logDet.arraySync();
    full.forEach((v, s) => expect(Math.abs(v - exact[s])).toBeLessThan(1e-4 * (1 + Math.abs(exact[s]))));
    x.dispose();
    b.dispose();
  });

  it('c = 0.5 with K = 20: bound below the suite tolerance and logDet within it', () => {
    const b = new ResidualFlow({ dim: 3, hidden: [8, 8], coefficient: 0.5, seriesTerms: 20, rng: createRng(5) });
    expect(residualSeriesBound(3, 0.5, 20)).toBeLessThan(1e-6);
    const x = tf.mul(createRng(6).normal([5, 3]), 1.5) as tf.Tensor2D;
    const exact = exactLogDet(b, x);
    b.forward(x)
      .logDet.arraySync()
      .forEach((v, s) => expect(Math.abs(v - exact[s])).toBeLessThan(1e-5 + 1e-5 * Math.abs(exact[s])));
    x.dispose();
    b.dispose();
  });

  it.each(['softplus', 'tanh', 'elu'] as const)(
    'logDet is differentiable w.r.t. the weights with %s (second-order autodiff through the Jacobian)',
    (activation) => {
      const b = new ResidualFlow({ dim: 2, hidden: [6], coefficient: 0.8, seriesTerms: 15, activation, rng: createRng(7) });
      const x = createRng(8).normal([4, 2]) as tf.Tensor2D;
      const w = b.trainableVariables[0];
      const loss = () => tf.sum(b.forward(x).logDet) as tf.Scalar;
      const { grads } = tf.variableGrads(loss, [w]);
      const g = grads[w.name].arraySync() as number[][];
      const base = w.arraySync() as number[][];
      const h = 1e-2;
      for (const [r, c] of [
        [0, 0],
        [1, 3],
        [0, 5],
      ]) {
        const at = (e: number) => {
          const m = base.map((row) => row.slice());
          m[r][c] += e;
          w.assign(tf.tensor2d(m));
          return tf.tidy(() => loss().dataSync()[0]);
        };
        const num = (at(h) - at(-h)) / (2 * h);
        w.assign(tf.tensor2d(base));
        expect(Math.abs(g[r][c] - num)).toBeLessThan(2e-3 * (1 + Math.abs(num)));
      }
      tf.dispose([x, ...Object.values(grads)]);
      b.dispose();
    },
  );

  it('inverse throws NOT_CONVERGED when the iteration cap is too small; bad options name the argument', () => {
    const b = new ResidualFlow({ dim: 2, hidden: [8], maxInverseIterations: 2, rng: createRng(9) });
    const y = tf.tensor2d([[1.5, -2]]);
    expect(expectBoltzflowError(() => b.inverse(y)).code).toBe('NOT_CONVERGED');
    y.dispose();
    b.dispose();
    expect(() => new ResidualFlow({ dim: 2, coefficient: 1 })).toThrow(/'coefficient'/);
    expect(() => new ResidualFlow({ dim: 2, activation: 'relu' as never })).toThrow(/'activation'/);
    expect(() => new ResidualFlow({ dim: 2, seriesTerms: 0 })).toThrow(/'seriesTerms'/);
  });

  it('updateSpectralNorm keeps the map contractive after the weights grow, and leaks nothing', () => {
    const b = new ResidualFlow({ dim: 3, hidden: [8], coefficient: 0.9, rng: createRng(10) });
    for (const v of b.trainableVariables) tf.tidy(() => v.assign(tf.mul(v, 5)));
    const before = tf.memory().numTensors;
    b.updateSpectralNorm(100);
    expect(tf.memory().numTensors).toBe(before);
    const x = createRng(11).normal([3, 3]) as tf.Tensor2D;
    const J = b.jacobian(x).arraySync();
    for (const Js of J) {
      // Frobenius ≥ spectral norm; Frobenius/√dim is a lower bound, so use the row-sum bound loosely: every |entry| ≤ Lip.
      for (const row of Js) for (const v of row) expect(Math.abs(v)).toBeLessThanOrEqual(b.lipschitz * 1.001);
    }
    x.dispose();
    b.dispose();
  });

  it('Hutchinson estimate is unbiased for the truncated series (mean within 5 standard errors of the exact-trace value)', () => {
    const b = new ResidualFlow({ dim: 3, hidden: [8], coefficient: 0.9, seriesTerms: 12, logDetMethod: 'hutchinson', probeSeed: 3, rng: createRng(12) });
    const m = 2000;
    const x0 = tf.tensor2d([[0.4, -1.2, 0.9]]);
    const xs = tf.tile(x0, [m, 1]) as tf.Tensor2D;
    const est = b.forward(xs).logDet.arraySync();
    const ref = b.logDetSeries(x0).arraySync()[0];
    const mean = est.reduce((a, v) => a + v, 0) / m;
    const sd = Math.sqrt(est.reduce((a, v) => a + (v - mean) ** 2, 0) / (m - 1));
    expect(sd).toBeGreaterThan(0);
    expect(Math.abs(mean - ref)).toBeLessThan(5 * (sd / Math.sqrt(m)) + 1e-5);
    // Default method switches by dim.
    const big = new ResidualFlow({ dim: 20, hidden: [4], exactTraceMaxDim: 16 });
    expect(big.logDetMethod).toBe('hutchinson');
    const rebuilt = bijectorFromConfig(JSON.parse(JSON.stringify(big.toConfig())));
    expect(rebuilt.toConfig()).toEqual(big.toConfig());
    rebuilt.dispose();
    tf.dispose([x0, xs]);
    b.dispose();
    big.dispose();
  });
});
