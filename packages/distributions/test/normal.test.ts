import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { BoltzflowError, createRng } from '@boltzflow/core';
import { Normal, TransformedDistribution, distributionFromConfig } from '../src/index.js';
import { TestAffine, gaussLogPdf, leakCount, moments, quad1D, quad2D, testBijectorFromConfig } from './helpers.js';

describe('Normal', () => {
  it('logProb matches the closed-form Gaussian density', () => {
    const mu = [0.5, -1, 2];
    const sd = [0.3, 1.7, 1];
    const d = new Normal({ loc: mu, scale: sd });
    expect(d.dim).toBe(3);
    const pts = createRng(1).normal([20, 3]).mul(2).arraySync() as number[][];
    const x = tf.tensor2d(pts);
    const lp = d.logProb(x).arraySync() as number[];
    pts.forEach((p, i) => expect(lp[i]).toBeCloseTo(gaussLogPdf(p, mu, sd), 3));
    tf.dispose(x);
    d.dispose();
  });

  it('integrates to 1 in 1D and 2D', () => {
    const d1 = new Normal({ loc: 0.3, scale: 0.7, dim: 1 });
    expect(quad1D((x) => d1.logProb(x), -8, 8, 4000)).toBeCloseTo(1, 4);
    const d2 = new Normal({ loc: [0.5, -0.5], scale: [0.8, 1.4] });
    expect(quad2D((x) => d2.logProb(x), [-6, -9], [7, 8], 300)).toBeCloseTo(1, 3);
    d1.dispose();
    d2.dispose();
  });

  it('sample mean and variance match within 5 Monte-Carlo standard errors', () => {
    const mu = [1, -2];
    const sd = [0.5, 2];
    const d = new Normal({ loc: mu, scale: sd });
    const n = 20000;
    const s = d.sample(n, createRng(7));
    expect(s.shape).toEqual([n, 2]);
    const { mean, cov } = moments(s.arraySync() as number[][]);
    for (let i = 0; i < 2; i++) {
      expect(Math.abs(mean[i] - mu[i])).toBeLessThan((5 * sd[i]) / Math.sqrt(n));
      expect(Math.abs(cov[i][i] - sd[i] ** 2)).toBeLessThan(5 * sd[i] ** 2 * Math.sqrt(2 / (n - 1)));
    }
    // off-diagonal correlation ~ N(0, 1/n)
    expect(Math.abs(cov[0][1] / (sd[0] * sd[1]))).toBeLessThan(5 / Math.sqrt(n));
    s.dispose();
    d.dispose();
  });

  it('sampleWithLogProb agrees with logProb and is reproducible from the seed', () => {
    const d = new Normal({ loc: [0, 1], scale: [2, 0.5] });
    const { x, logProb } = d.sampleWithLogProb(50, createRng(3));
    const lp = d.logProb(x);
    const diff = tf.max(tf.abs(tf.sub(lp, logProb))).dataSync()[0];
    expect(diff).toBeLessThan(1e-4);
    const again = d.sample(50, createRng(3));
    expect(tf.max(tf.abs(tf.sub(again, x))).dataSync()[0]).toBe(0);
    tf.dispose([x, logProb, lp, again]);
    d.dispose();
  });

  it('standard() is N(0, I); trainable variables receive gradients', () => {
    const s = Normal.standard(4);
    expect(s.toConfig()).toEqual({ type: 'Normal', dim: 4, loc: [0, 0, 0, 0], scale: [1, 1, 1, 1], trainable: false });
    expect(s.trainableVariables).toEqual([]);
    const t = new Normal({ dim: 2, trainable: true, scale: 2 });
    expect(t.trainableVariables.length).toBe(2);
    const x = tf.tensor2d([
      [1, 2],
      [3, -1],
    ]);
    const { grads } = tf.variableGrads(() => tf.neg(tf.mean(t.logProb(x))) as tf.Scalar, t.trainableVariables);
    // d(−mean log p)/dμ = −mean((x−μ)/σ²)
    const gLoc = grads[t.trainableVariables[0].name].arraySync() as number[];
    expect(gLoc[0]).toBeCloseTo(-(1 + 3) / 2 / 4, 4);
    expect(gLoc[1]).toBeCloseTo(-(2 - 1) / 2 / 4, 4);
    tf.dispose([x, ...Object.values(grads)]);
    s.dispose();
    t.dispose();
  });

  it('rejects bad input naming the argument', () => {
    const d = Normal.standard(2);
    const x = tf.zeros([4, 3]) as tf.Tensor2D;
    expect(() => d.logProb(x)).toThrow(BoltzflowError);
    expect(() => d.logProb(x)).toThrow(/'x'.*\[n, 2\].*\[4, 3\]/);
    expect(() => new Normal({ loc: [0, NaN] })).toThrow(/'loc'/);
    expect(() => new Normal({ loc: [0, 0], scale: [1, 0] })).toThrow(/'scale'/);
    expect(() => new Normal({ dim: 2, scale: -1 })).toThrow(/'scale'/);
    expect(() => new Normal({ loc: [0, 0], scale: [1, 1, 1] })).toThrow(/'scale'/);
    expect(() => new Normal({ loc: 0 })).toThrow(/'dim'/);
    expect(() => Normal.standard(0)).toThrow(/'dim'/);
    expect(() => d.sample(-1, createRng(0))).toThrow(/'n'/);
    tf.dispose(x);
    d.dispose();
  });

  it('does not leak tensors', () => {
    const d = new Normal({ loc: [1, 2], scale: [1, 3], trainable: true });
    const rng = createRng(0);
    const x = tf.ones([5, 2]) as tf.Tensor2D;
    expect(
      leakCount(() => {
        tf.dispose([d.sample(8, rng), d.logProb(x)]);
        const r = d.sampleWithLogProb(8, rng);
        tf.dispose([r.x, r.logProb]);
      }),
    ).toBe(0);
    x.dispose();
    d.dispose();
  });

  it('round-trips through distributionFromConfig', () => {
    const d = new Normal({ loc: [1, 2], scale: [0.5, 3] });
    const r = distributionFromConfig(JSON.parse(JSON.stringify(d.toConfig())));
    expect(r).toBeInstanceOf(Normal);
    const x = tf.tensor2d([[0.2, -1]]);
    expect(r.logProb(x).dataSync()[0]).toBeCloseTo(d.logProb(x).dataSync()[0], 5);
    expect(() => distributionFromConfig({ type: 'Nope' })).toThrow(/Unknown distribution type/);
  });
});

describe('TransformedDistribution', () => {
  it('logProb equals the closed-form push-forward density and sampleWithLogProb agrees', () => {
    const shift = [1, -0.5];
    const logScale = [Math.log(2), Math.log(0.4)];
    const td = new TransformedDistribution(Normal.standard(2), new TestAffine(shift, logScale));
    const pts = createRng(5).normal([20, 2]).arraySync() as number[][];
    const x = tf.tensor2d(pts);
    const lp = td.logProb(x).arraySync() as number[];
    pts.forEach((p, i) => expect(lp[i]).toBeCloseTo(gaussLogPdf(p, shift, [2, 0.4]), 3));
    const s = td.sampleWithLogProb(100, createRng(9));
    const lp2 = td.logProb(s.x);
    expect(tf.max(tf.abs(tf.sub(lp2, s.logProb))).dataSync()[0]).toBeLessThan(1e-4);
    expect(quad2D((y) => td.logProb(y), [-6, -2.5], [8, 1.5], 300)).toBeCloseTo(1, 3);
    tf.dispose([x, s.x, s.logProb, lp2]);
    td.dispose();
  });

  it('sample moments match the affine image of the base', () => {
    const td = new TransformedDistribution(Normal.standard(1), new TestAffine([3], [Math.log(0.5)]));
    const n = 20000;
    const s = td.sample(n, createRng(11));
    const { mean, cov } = moments(s.arraySync() as number[][]);
    expect(Math.abs(mean[0] - 3)).toBeLessThan((5 * 0.5) / Math.sqrt(n));
    expect(Math.abs(cov[0][0] - 0.25)).toBeLessThan(5 * 0.25 * Math.sqrt(2 / (n - 1)));
    s.dispose();
    td.dispose();
  });

  it('collects variables base-first and rejects a dim mismatch', () => {
    const base = new Normal({ dim: 2, trainable: true });
    const bij = new TestAffine([0, 0], [0, 0]);
    const td = new TransformedDistribution(base, bij);
    expect(td.trainableVariables).toEqual([...base.trainableVariables, bij.shift, bij.logScale]);
    const wrong = new TestAffine([0, 0, 0], [0, 0, 0]);
    expect(() => new TransformedDistribution(base, wrong)).toThrow(BoltzflowError);
    expect(() => new TransformedDistribution(base, wrong)).toThrow(/'bijector'.*dim 2/);
    wrong.dispose();
    td.dispose();
  });

  it('round-trips its nested config with an injected bijectorFromConfig', () => {
    const td = new TransformedDistribution(new Normal({ loc: [0.5, 0], scale: [1, 2] }), new TestAffine([1, 2], [0.1, -0.2]));
    const cfg = JSON.parse(JSON.stringify(td.toConfig()));
    expect(cfg.type).toBe('TransformedDistribution');
    expect(cfg.base.type).toBe('Normal');
    expect(cfg.bijector.type).toBe('TestAffine');
    expect(() => distributionFromConfig(cfg)).toThrow(/bijectorFromConfig/);
    const r = distributionFromConfig(cfg, { bijectorFromConfig: testBijectorFromConfig }) as TransformedDistribution;
    const x = tf.tensor2d([
      [0.3, 1.1],
      [-2, 4],
    ]);
    const a = td.logProb(x).arraySync() as number[];
    const b = r.logProb(x).arraySync() as number[];
    a.forEach((v, i) => expect(b[i]).toBeCloseTo(v, 5));
    tf.dispose(x);
    td.dispose();
    r.dispose();
  });

  it('does not leak tensors', () => {
    const td = new TransformedDistribution(Normal.standard(2), new TestAffine([1, 1], [0.2, 0.3]));
    const rng = createRng(1);
    const x = tf.ones([4, 2]) as tf.Tensor2D;
    expect(
      leakCount(() => {
        tf.dispose([td.sample(6, rng), td.logProb(x)]);
        const r = td.sampleWithLogProb(6, rng);
        tf.dispose([r.x, r.logProb]);
      }),
    ).toBe(0);
    x.dispose();
    td.dispose();
  });
});
