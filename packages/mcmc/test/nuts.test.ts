import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BoltzflowError, createRng, disposeTree } from '@boltzflow/core';
import { nuts, stanWindows, type NutsInfo } from '../src/kernels/index.js';
import { correlatedGaussian, GAUSS_COV, GAUSS_MU, meanWithError } from './helpersKernels.js';

describe('nuts', () => {
  it('samples a correlated 2D Gaussian: means and covariance within MC error, no divergences', () => {
    const u = correlatedGaussian();
    const k = nuts(u, { stepSize: 0.3 });
    const before = tf.memory().numTensors;
    const x0 = tf.zeros([8, 2]) as tf.Tensor2D;
    const s0 = k.init(x0);
    let state = s0;
    const rng = createRng(3);
    const xs: number[][] = Array.from({ length: 8 }, () => []);
    const ys: number[][] = Array.from({ length: 8 }, () => []);
    let div = 0;
    let grads = 0;
    let depthMax = 0;
    for (let i = 0; i < 400; i++) {
      const { state: next, info } = k.step(state, rng);
      const ni = info as NutsInfo;
      div += ni.divergent.reduce((a, b) => a + b, 0);
      grads += ni.gradientEvaluations;
      expect(ni.gradientEvaluations).toBe(ni.numLeapfrog.reduce((a, b) => a + b, 0));
      depthMax = Math.max(depthMax, ...ni.treeDepth);
      disposeTree([state, info.accepted, info.logAcceptRatio]);
      state = next;
      if (i >= 50) {
        const v = state.x.dataSync();
        for (let c = 0; c < 8; c++) xs[c].push(v[2 * c]), ys[c].push(v[2 * c + 1]);
      }
    }
    disposeTree(state);
    x0.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(div).toBe(0);
    expect(depthMax).toBeLessThanOrEqual(10);
    const mx = meanWithError(xs.map((s) => Float64Array.from(s)));
    const my = meanWithError(ys.map((s) => Float64Array.from(s)));
    expect(Math.abs(mx.mean - GAUSS_MU[0])).toBeLessThan(4.5 * mx.se);
    expect(Math.abs(my.mean - GAUSS_MU[1])).toBeLessThan(4.5 * my.se);
    const vx = meanWithError(xs.map((s) => Float64Array.from(s, (v) => (v - GAUSS_MU[0]) ** 2)));
    expect(Math.abs(vx.mean - GAUSS_COV[0][0])).toBeLessThan(4.5 * vx.se);
    const cxy = meanWithError(xs.map((s, c) => Float64Array.from(s, (v, i) => (v - GAUSS_MU[0]) * (ys[c][i] - GAUSS_MU[1]))));
    expect(Math.abs(cxy.mean - GAUSS_COV[0][1])).toBeLessThan(4.5 * cxy.se);
    expect(grads).toBeGreaterThan(0);
  });

  it('rejects bad options with typed errors', () => {
    const u = correlatedGaussian();
    expect(() => nuts(u, { stepSize: -1 })).toThrow(BoltzflowError);
    expect(() => nuts(u, { stepSize: 0.1, maxTreeDepth: 0 })).toThrow(/maxTreeDepth/);
    expect(() => nuts(u, { stepSize: 0.1, massMatrix: [1] })).toThrow(/massMatrix/);
    expect(() =>
      nuts(u, {
        stepSize: 0.1,
        massMatrix: [
          [1, 2],
          [0, 1],
        ],
      }),
    ).toThrow(/symmetric/);
    expect(() =>
      nuts(u, {
        stepSize: 0.1,
        massMatrix: [
          [1, 2],
          [2, 1],
        ],
      }),
    ).toThrow(/positive definite/);
  });

  it('stanWindows reproduces Stan’s schedule for 1000 warm-up steps', () => {
    // Stan: init 75, slow windows 25, 50, 100, 200, 500 (last stretched to 950), term 50.
    expect(stanWindows(1000).slow).toEqual([
      [75, 100],
      [100, 150],
      [150, 250],
      [250, 450],
      [450, 950],
    ]);
  });
});
