/**
 * The generic test suite every bijector passes (issue: "Every bijector passes the same generic suite").
 * Usage in a test file:
 *   runBijectorSuite('AffineCoupling', () => new AffineCoupling({ dim: 4, ... }), { dim: 4 });
 * The factory must build a bijector with random (non-identity) parameters.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createRng, isBoltzflowError, type Bijector, type BoltzflowError, type Rng, type SerializedConfig } from '@boltzflow/core';

export interface SuiteOptions {
  dim: number;
  /** Draws test inputs `[n, dim]` for the forward direction (default: 1.5 × standard normal). */
  sampleInput?: (n: number, rng: Rng) => tf.Tensor2D;
  /** Max abs error of inverse(forward(x)) − x. */
  roundTripTol?: number;
  /** Max abs error of logDet against the dense-Jacobian value. */
  logDetTol?: number;
  /** Also check the inverse's logDet against its own dense Jacobian (default true). */
  checkInverseJacobian?: boolean;
  /** Number of samples for the Jacobian checks (each costs `dim` gradient passes). */
  jacobianSamples?: number;
  /** Called once before the checks (e.g. data-dependent init of ActNorm). */
  warmUp?: (b: Bijector, rng: Rng) => void;
  /** Skip the 1000-sample batch when a bijector is very slow. */
  largeBatch?: number;
  seed?: number;
  /**
   * Opt-in: rebuild from `toConfig()` with this function (usually `bijectorFromConfig`), copy trainable and
   * non-trainable variables in order, and check that both directions give the same outputs.
   */
  fromConfig?: (config: SerializedConfig) => Bijector;
  /** Opt-in: check that inputs of the wrong width or rank throw a BoltzflowError in both directions. */
  checkBadInput?: boolean;
}

/**
 * Adds `scale` × standard-normal noise to every trainable variable (in place), so that a bijector built in its
 * identity initialisation becomes a generic map for testing.
 */
export function perturbVariables(b: Bijector, rng: Rng, scale = 0.3): Bijector {
  for (const v of b.trainableVariables) {
    tf.tidy(() => v.assign(tf.add(v, tf.mul(rng.normal(v.shape), scale))));
  }
  return b;
}

/** Copies `from`'s trainable and non-trainable variables into `to` (same architecture, same order). */
export function copyVariables(from: Bijector, to: Bijector): void {
  const a = [...from.trainableVariables, ...(from.nonTrainableVariables ?? [])];
  const b = [...to.trainableVariables, ...(to.nonTrainableVariables ?? [])];
  expect(b.length).toBe(a.length);
  a.forEach((v, i) => {
    expect(b[i].shape).toEqual(v.shape);
    b[i].assign(v);
  });
}

/**
 * Runs `f`, asserts that it throws a BoltzflowError (naming `argument`, when given) and returns the error so that a
 * test can check more (e.g. its code).
 */
export function expectBoltzflowError(f: () => unknown, argument?: string): BoltzflowError {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(isBoltzflowError(err)).toBe(true);
  if (argument !== undefined) expect((err as BoltzflowError).details.argument).toBe(argument);
  return err as BoltzflowError;
}

/** log|det A| of a square matrix by LU with partial pivoting in float64. */
export function logAbsDet(a: number[][]): number {
  const n = a.length;
  const m = a.map((r) => r.slice());
  let s = 0;
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(m[i][k]) > Math.abs(m[p][k])) p = i;
    if (m[p][k] === 0) return -Infinity;
    [m[k], m[p]] = [m[p], m[k]];
    s += Math.log(Math.abs(m[k][k]));
    for (let i = k + 1; i < n; i++) {
      const f = m[i][k] / m[k][k];
      for (let j = k; j < n; j++) m[i][j] -= f * m[k][j];
    }
  }
  return s;
}

/** Dense per-sample Jacobians ∂f(x)_i/∂x_j by reverse-mode autodiff: `[n][dim][dim]`. Relies on samples being independent. */
export function denseJacobian(f: (x: tf.Tensor2D) => tf.Tensor2D, x: tf.Tensor2D): number[][][] {
  const [n, d] = x.shape;
  const out: number[][][] = Array.from({ length: n }, () => Array.from({ length: d }, () => new Array<number>(d).fill(0)));
  for (let i = 0; i < d; i++) {
    const g = tf.tidy(() => tf.grad((xx: tf.Tensor) => tf.sum(tf.slice(f(xx as tf.Tensor2D), [0, i], [n, 1])))(x));
    const gv = g.arraySync() as number[][];
    g.dispose();
    for (let s = 0; s < n; s++) for (let j = 0; j < d; j++) out[s][i][j] = gv[s][j];
  }
  return out;
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

export function runBijectorSuite(name: string, make: () => Bijector, opts: SuiteOptions): void {
  const dim = opts.dim;
  const seed = opts.seed ?? 1234;
  const sampleInput = opts.sampleInput ?? ((n: number, rng: Rng) => tf.tidy(() => tf.mul(rng.normal([n, dim]), 1.5)) as tf.Tensor2D);
  const roundTripTol = opts.roundTripTol ?? 1e-4;
  const logDetTol = opts.logDetTol ?? 1e-3;
  const nJac = opts.jacobianSamples ?? 8;
  const large = opts.largeBatch ?? 1000;

  describe(`${name}: generic bijector suite`, () => {
    const setup = () => {
      const rng = createRng(seed);
      const b = make();
      opts.warmUp?.(b, rng);
      return { rng, b };
    };

    it('has the declared dim', () => {
      const { b } = setup();
      expect(b.dim).toBe(dim);
      b.dispose();
    });

    it('inverse ∘ forward ≈ identity and forward ∘ inverse ≈ identity', () => {
      const { rng, b } = setup();
      const x = sampleInput(64, rng);
      const { y, logDet } = b.forward(x);
      const back = b.inverse(y);
      expect(maxAbsDiff(back.x, x)).toBeLessThan(roundTripTol * (1 + tf.tidy(() => tf.max(tf.abs(x)).dataSync()[0])));
      // Log-dets of the two directions are negatives.
      expect(maxAbsDiff(tf.add(logDet, back.logDet), tf.zerosLike(logDet))).toBeLessThan(logDetTol * 10);
      const fwd2 = b.forward(back.x);
      expect(maxAbsDiff(fwd2.y, y)).toBeLessThan(roundTripTol * (1 + tf.tidy(() => tf.max(tf.abs(y)).dataSync()[0])));
      tf.dispose([x, y, logDet, back.x, back.logDet, fwd2.y, fwd2.logDet]);
      b.dispose();
    });

    it('forward logDet equals log|det J| of the dense autodiff Jacobian', () => {
      const { rng, b } = setup();
      const x = sampleInput(nJac, rng);
      const J = denseJacobian((xx) => b.forward(xx).y, x);
      const ld = tf.tidy(() => b.forward(x).logDet);
      const ldv = ld.arraySync() as number[];
      for (let s = 0; s < nJac; s++) {
        const ref = logAbsDet(J[s]);
        expect(Number.isFinite(ldv[s])).toBe(true);
        expect(Math.abs(ldv[s] - ref)).toBeLessThan(logDetTol * (1 + Math.abs(ref)));
      }
      tf.dispose([x, ld]);
      b.dispose();
    });

    if (opts.checkInverseJacobian ?? true) {
      it('inverse logDet equals log|det J| of the dense autodiff Jacobian of the inverse', () => {
        const { rng, b } = setup();
        const x = sampleInput(nJac, rng);
        const y = tf.tidy(() => b.forward(x).y);
        const J = denseJacobian((yy) => b.inverse(yy).x, y);
        const ld = tf.tidy(() => b.inverse(y).logDet);
        const ldv = ld.arraySync() as number[];
        for (let s = 0; s < nJac; s++) {
          const ref = logAbsDet(J[s]);
          expect(Math.abs(ldv[s] - ref)).toBeLessThan(logDetTol * (1 + Math.abs(ref)));
        }
        tf.dispose([x, y, ld]);
        b.dispose();
      });
    }

    it(`works on a batch of 1 and of ${large}, with [n, dim] and [n] shapes and per-sample independence`, () => {
      const { rng, b } = setup();
      const xl = sampleInput(large, rng);
      const fl = b.forward(xl);
      expect(fl.y.shape).toEqual([large, dim]);
      expect(fl.logDet.shape).toEqual([large]);
      const il = b.inverse(fl.y);
      expect(il.x.shape).toEqual([large, dim]);
      expect(il.logDet.shape).toEqual([large]);
      const x1 = tf.slice(xl, [large - 1, 0], [1, dim]) as tf.Tensor2D;
      const f1 = b.forward(x1);
      expect(f1.y.shape).toEqual([1, dim]);
      expect(f1.logDet.shape).toEqual([1]);
      expect(maxAbsDiff(f1.y, tf.slice(fl.y, [large - 1, 0], [1, dim]))).toBeLessThan(1e-4);
      expect(maxAbsDiff(f1.logDet, tf.slice(fl.logDet, [large - 1], [1]))).toBeLessThan(1e-3);
      const i1 = b.inverse(f1.y);
      expect(i1.x.shape).toEqual([1, dim]);
      tf.dispose([xl, fl.y, fl.logDet, il.x, il.logDet, x1, f1.y, f1.logDet, i1.x, i1.logDet]);
      b.dispose();
    });

    it('leaks no tensors', () => {
      const { rng, b } = setup();
      const x = sampleInput(32, rng);
      // Warm-up call: some bijectors create cached tensors (e.g. masks) on first use.
      tf.tidy(() => b.inverse(b.forward(x).y).x);
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        const f = b.forward(x);
        b.inverse(f.y);
      });
      const r = b.forward(x);
      tf.dispose([r.y, r.logDet]);
      const ri = b.inverse(x);
      tf.dispose([ri.x, ri.logDet]);
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
      b.dispose();
    });

    it('exposes its trainable variables and a JSON config with a type', () => {
      const { b } = setup();
      for (const v of b.trainableVariables) expect(v).toBeInstanceOf(tf.Variable);
      const cfg = b.toConfig();
      expect(typeof cfg.type).toBe('string');
      expect(JSON.parse(JSON.stringify(cfg))).toEqual(cfg);
      b.dispose();
    });

    if (opts.fromConfig) {
      const fromConfig = opts.fromConfig;
      it('round-trips through toConfig → fromConfig → copied variables', () => {
        const { rng, b } = setup();
        const c = fromConfig(JSON.parse(JSON.stringify(b.toConfig())) as SerializedConfig);
        expect(c.toConfig()).toEqual(b.toConfig());
        copyVariables(b, c);
        const x = sampleInput(16, rng);
        const fb = b.forward(x);
        const fc = c.forward(x);
        expect(maxAbsDiff(fb.y, fc.y)).toBeLessThan(1e-5 * (1 + tf.tidy(() => tf.max(tf.abs(fb.y)).dataSync()[0])));
        expect(maxAbsDiff(fb.logDet, fc.logDet)).toBeLessThan(1e-4);
        const ib = b.inverse(fb.y);
        const ic = c.inverse(fb.y);
        expect(maxAbsDiff(ib.x, ic.x)).toBeLessThan(1e-5 * (1 + tf.tidy(() => tf.max(tf.abs(x)).dataSync()[0])));
        expect(maxAbsDiff(ib.logDet, ic.logDet)).toBeLessThan(1e-4);
        tf.dispose([x, fb.y, fb.logDet, fc.y, fc.logDet, ib.x, ib.logDet, ic.x, ic.logDet]);
        b.dispose();
        c.dispose();
      });
    }

    if (opts.checkBadInput) {
      it('throws a BoltzflowError for inputs of the wrong width or rank', () => {
        const { b } = setup();
        const bad = [tf.zeros([3, dim + 1]), tf.zeros([dim])];
        for (const t of bad) {
          for (const dir of ['forward', 'inverse'] as const) {
            let err: unknown;
            try {
              const r = b[dir](t as tf.Tensor2D);
              tf.dispose(Object.values(r));
            } catch (e) {
              err = e;
            }
            expect(isBoltzflowError(err)).toBe(true);
          }
        }
        tf.dispose(bad);
        b.dispose();
      });
    }
  });
}
