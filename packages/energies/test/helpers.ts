import * as tf from '@tensorflow/tfjs';

/** Central finite-difference gradient of a float64 JS function. */
export function fdGrad(f: (x: number[]) => number, x: number[], h = 1e-5): number[] {
  return x.map((_, i) => {
    const xp = [...x];
    const xm = [...x];
    xp[i] += h;
    xm[i] -= h;
    return (f(xp) - f(xm)) / (2 * h);
  });
}

/** Rows of a 2D tensor as plain arrays. */
export function rows(t: tf.Tensor): number[][] {
  return t.arraySync() as number[][];
}

/** Bisection root of g on [lo, hi] (g(lo), g(hi) of opposite sign). */
export function bisect(g: (x: number) => number, lo: number, hi: number): number {
  let glo = g(lo);
  for (let i = 0; i < 200; i++) {
    const mid = 0.5 * (lo + hi);
    const gm = g(mid);
    if (Math.sign(gm) === Math.sign(glo)) {
      lo = mid;
      glo = gm;
    } else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/** All sign-change roots of g on a grid scan of [lo, hi]. */
export function roots(g: (x: number) => number, lo: number, hi: number, steps = 4000): number[] {
  const out: number[] = [];
  let prev = g(lo);
  for (let i = 1; i <= steps; i++) {
    const x0 = lo + ((hi - lo) * (i - 1)) / steps;
    const x1 = lo + ((hi - lo) * i) / steps;
    const cur = g(x1);
    if (Math.sign(cur) !== Math.sign(prev)) out.push(bisect(g, x0, x1));
    prev = cur;
  }
  return out;
}

/** Asserts the tensor count does not grow across `iters` calls of `fn`. */
export function leakCount(fn: () => void, iters = 20): number {
  fn();
  const before = tf.memory().numTensors;
  for (let i = 0; i < iters; i++) fn();
  return tf.memory().numTensors - before;
}
