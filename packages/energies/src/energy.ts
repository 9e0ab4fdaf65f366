import * as tf from '@tensorflow/tfjs';
import { assertBatch, assertInteger, assertPositive, BoltzflowError, type Energy } from '@boltzflow/core';

/**
 * Wraps a plain function u(x) (tf ops on a `[n, dim]` batch → `[n]`) as an {@link Energy}; its gradient comes from autodiff.
 * Example: `energyFromFunction((x) => tf.sum(tf.square(x), 1).mul(0.5), 2)` is a standard Gaussian.
 * Every call checks what `fn` returned: a float32 tensor of shape `[n]` (a BoltzflowError naming `fn` and `name` otherwise).
 */
export function energyFromFunction(fn: (x: tf.Tensor2D) => tf.Tensor1D, dim: number, name = 'custom'): Energy {
  assertInteger(dim, 'dim', 1);
  if (typeof fn !== 'function') {
    throw new BoltzflowError('INVALID_VALUE', 'Energy must be a function', { argument: 'fn', expected: '(x: [n, dim]) => [n]', received: typeof fn });
  }
  return {
    dim,
    name,
    energy(x: tf.Tensor2D): tf.Tensor1D {
      const [n] = assertBatch(x, 'x', dim);
      // Checked inside a tidy, so that what fn made before a bad return value is freed with the error.
      return tf.tidy(() => {
        const u: unknown = fn(x);
        if (!(u instanceof tf.Tensor)) {
          const received = u === null ? 'null' : Array.isArray(u) ? 'an array' : u instanceof Promise ? 'a Promise (fn must be synchronous)' : typeof u;
          throw new BoltzflowError('INVALID_VALUE', `User energy '${name}' did not return a tensor`, {
            argument: 'fn',
            expected: `a float32 tensor [${n}]`,
            received,
          });
        }
        if (u.dtype !== 'float32' || u.rank !== 1 || u.shape[0] !== n) {
          const wrongType = u.dtype !== 'float32';
          throw new BoltzflowError(wrongType ? 'INVALID_VALUE' : 'INVALID_SHAPE', `User energy '${name}' returned the wrong ${wrongType ? 'dtype' : 'shape'}`, {
            argument: 'fn',
            expected: `float32 [${n}]`,
            received: `${u.dtype} [${u.shape.join(', ')}]`,
          });
        }
        return u as tf.Tensor1D;
      });
    },
  };
}

/**
 * Runs `f`, which records a gradient tape. When the forward pass throws, tfjs abandons the tape without freeing the
 * tensors it saved for the backward pass (kept clones); at the outermost gradient level this frees them, so a failing
 * energy does not leak. Inside an enclosing gradient (an optimizer step) the enclosing call owns the tape.
 */
export function withGradientTape<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    const state = tf.engine().state;
    if (state.gradientDepth === 0 && state.activeTape) {
      for (const node of state.activeTape) for (const t of node.saved ?? []) if (!t.isDisposed) t.dispose();
      state.activeTape = null as unknown as typeof state.activeTape;
    }
    throw e;
  }
}

/** ∇u(x) `[n, dim]`: the energy's analytic gradient when it has one, otherwise reverse-mode autodiff. */
export function energyGrad(energy: Energy, x: tf.Tensor2D): tf.Tensor2D {
  if (energy.grad) return energy.grad(x);
  return withGradientTape(() => tf.tidy(() => tf.grad((xx: tf.Tensor) => tf.sum(energy.energy(xx as tf.Tensor2D)))(x) as tf.Tensor2D));
}

/**
 * u(x) and ∇u(x) together: the energy's own fused `energyAndGrad` when it has one, else its analytic `grad` beside
 * `energy`, else one autodiff pass (which computes both at once). The one way every gradient kernel gets them.
 */
export function energyAndGrad(energy: Energy, x: tf.Tensor2D): { energy: tf.Tensor1D; grad: tf.Tensor2D } {
  if (typeof energy.energyAndGrad === 'function') return energy.energyAndGrad(x);
  if (energy.grad) return { energy: energy.energy(x), grad: energy.grad(x) };
  // valueAndGrad of the per-sample energies (dy = ones) gives u and ∇Σu = per-sample gradients in one pass.
  const { value, grad } = withGradientTape(() => tf.valueAndGrad((xx: tf.Tensor) => energy.energy(xx as tf.Tensor2D))(x));
  return { energy: value as tf.Tensor1D, grad: grad as tf.Tensor2D };
}

/**
 * The energy at temperature T (in units of the reference kT): u_T(x) = u(x) / T. T must be a positive float32 number
 * whose inverse is a float32 number too (T ≥ 2.94e−39, T ≤ 3.4e38); otherwise u/T is ±∞ or NaN for every x.
 */
export function withTemperature(energy: Energy, temperature: number): Energy {
  assertPositive(temperature, 'temperature');
  if (!Number.isFinite(Math.fround(temperature)) || !Number.isFinite(Math.fround(1 / temperature))) {
    throw new BoltzflowError('INVALID_VALUE', 'Temperature outside the float32 range: u/T would overflow', {
      argument: 'temperature',
      expected: 'T with T and 1/T finite in float32 (2.94e-39 <= T <= 3.4e38)',
      received: String(temperature),
    });
  }
  const base = energy;
  const out: Energy = {
    dim: base.dim,
    name: `${base.name ?? 'energy'}@T=${temperature}`,
    energy: (x) => tf.tidy(() => tf.div(base.energy(x), temperature) as tf.Tensor1D),
  };
  if (base.grad) {
    const g = base.grad.bind(base);
    (out as { grad?: (x: tf.Tensor2D) => tf.Tensor2D }).grad = (x) => tf.tidy(() => tf.div(g(x), temperature) as tf.Tensor2D);
  }
  if (base.energyAndGrad) {
    const eg = base.energyAndGrad.bind(base);
    (out as { energyAndGrad?: Energy['energyAndGrad'] }).energyAndGrad = (x) =>
      tf.tidy(() => {
        const r = eg(x);
        return { energy: tf.div(r.energy, temperature) as tf.Tensor1D, grad: tf.div(r.grad, temperature) as tf.Tensor2D };
      });
  }
  return out;
}
