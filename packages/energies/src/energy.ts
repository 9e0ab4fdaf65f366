import * as tf from '@tensorflow/tfjs';
import { assertBatch, assertInteger, assertPositive, BoltzflowError, type Energy } from '@boltzflow/core';

/**
 * Wraps a plain function u(x) (tf ops on a `[n, dim]` batch → `[n]`) as an {@link Energy}; its gradient comes from autodiff.
 * Example: `energyFromFunction((x) => tf.sum(tf.square(x), 1).mul(0.5), 2)` is a standard Gaussian.
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
      const u = fn(x);
      if (u.rank !== 1 || u.shape[0] !== n) {
        const shape = `[${u.shape.join(', ')}]`;
        u.dispose();
        throw new BoltzflowError('INVALID_SHAPE', 'User energy returned the wrong shape', { argument: 'fn', expected: `[${n}]`, received: shape });
      }
      return u;
    },
  };
}

/** ∇u(x) `[n, dim]`: the energy's analytic gradient when it has one, otherwise reverse-mode autodiff. */
export function energyGrad(energy: Energy, x: tf.Tensor2D): tf.Tensor2D {
  if (energy.grad) return energy.grad(x);
  return tf.tidy(() => tf.grad((xx: tf.Tensor) => tf.sum(energy.energy(xx as tf.Tensor2D)))(x) as tf.Tensor2D);
}

/**
 * u(x) and ∇u(x) together: the energy's own fused `energyAndGrad` when it has one, else its analytic `grad` beside
 * `energy`, else one autodiff pass (which computes both at once). The one way every gradient kernel gets them.
 */
export function energyAndGrad(energy: Energy, x: tf.Tensor2D): { energy: tf.Tensor1D; grad: tf.Tensor2D } {
  if (typeof energy.energyAndGrad === 'function') return energy.energyAndGrad(x);
  if (energy.grad) return { energy: energy.energy(x), grad: energy.grad(x) };
  // valueAndGrad of the per-sample energies (dy = ones) gives u and ∇Σu = per-sample gradients in one pass.
  const { value, grad } = tf.valueAndGrad((xx: tf.Tensor) => energy.energy(xx as tf.Tensor2D))(x);
  return { energy: value as tf.Tensor1D, grad: grad as tf.Tensor2D };
}

/** The energy at temperature T (in units of the reference kT): u_T(x) = u(x) / T. */
export function withTemperature(energy: Energy, temperature: number): Energy {
  assertPositive(temperature, 'temperature');
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
