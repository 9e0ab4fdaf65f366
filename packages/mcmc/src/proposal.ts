import * as tf from '@tensorflow/tfjs';
import {
  assertBatch,
  assertFiniteTensor,
  assertPositive,
  BoltzflowError,
  requireFinite,
  syncReadsAvailable,
  wasmMetropolisKernels,
  type Energy,
  type Rng,
} from '@boltzflow/core';

// What every kernel of the package shares (blackjax's proposal.py): the Metropolis–Hastings decision, the row-wise
// select of accepted proposals, and the validators of starting points and proposals.

/** Validates an energy argument `{ dim, energy(x) }`. */
export function checkEnergy(energy: unknown, argument = 'energy'): asserts energy is Energy {
  const e = energy as Energy | undefined;
  if (!e || typeof e.energy !== 'function' || !Number.isInteger(e.dim)) {
    throw new BoltzflowError('INVALID_VALUE', 'Expected an Energy', { argument, expected: 'Energy { dim, energy(x) }', received: typeof energy });
  }
}

/** Throws when a component's dimension `dim` (a flow, a layer, a base) differs from the energy's. */
export function checkSameDim(dim: number, energy: Energy, argument: string): void {
  if (dim !== energy.dim) {
    throw new BoltzflowError('INVALID_SHAPE', 'Flow and energy dimensions differ', {
      argument,
      expected: `dim ${energy.dim} (energy.dim)`,
      received: `dim ${dim}`,
    });
  }
}

/** Checks a starting batch `[chains >= 1, dim]` of finite values; returns the number of chains. */
export function checkStart(x0: tf.Tensor2D, dim: number, argument = 'x0'): number {
  const [n] = assertBatch(x0, argument, dim);
  if (n < 1) {
    throw new BoltzflowError('INVALID_SHAPE', 'Need at least one chain', { argument, expected: `[chains >= 1, ${dim}]`, received: `[${x0.shape.join(', ')}]` });
  }
  assertFiniteTensor(x0, argument);
  return n;
}

/**
 * Throws NON_FINITE naming `argument` and the first bad chain when a per-chain quantity at the starting point
 * (`[chains]`, or `[chains, d]` such as a gradient) is NaN/±Inf somewhere (one sync; init only). On a backend without
 * synchronous reads (WebGPU in Node) the check is deferred to the driver's next asynchronous read (`requireFinite`)
 * and the message cannot name the chain.
 */
export function checkFiniteAtStart(v: tf.Tensor, what: string, argument = 'x0'): void {
  requireFinite(v, () => {
    const message = `${what} at the starting point is not finite`;
    const expected = `finite ${what} for every chain`;
    if (!syncReadsAvailable() || v.isDisposed) return new BoltzflowError('NON_FINITE', message, { argument, expected, received: 'a non-finite value' });
    const vals = v.dataSync();
    const width = v.rank === 2 ? (v.shape[1] as number) : 1;
    const bad = vals.findIndex((t) => !Number.isFinite(t));
    const chain = Math.floor(bad / width);
    const where = width > 1 ? ` (coordinate ${bad % width})` : '';
    return new BoltzflowError('NON_FINITE', message, { argument, expected, received: `${vals[bad]} for chain ${chain}${where}` });
  });
}

/** A positive number, or (when `dim` is given) a positive per-dimension array of length dim; returns the array form. */
export function checkStepSize(v: unknown, argument: string, dim?: number): number[] {
  if (Array.isArray(v) || ArrayBuffer.isView(v)) {
    const arr = Array.from(v as ArrayLike<number>);
    if (dim === undefined || arr.length !== dim) {
      throw new BoltzflowError('INVALID_SHAPE', 'Per-dimension step size has the wrong length', {
        argument,
        expected: dim === undefined ? 'a positive number' : `a positive number or ${dim} positive numbers`,
        received: `length ${arr.length}`,
      });
    }
    arr.forEach((s, i) => assertPositive(s, `${argument}[${i}]`));
    return arr;
  }
  assertPositive(v, argument);
  return dim === undefined ? [v] : new Array<number>(dim).fill(v);
}

/** NaN → +Inf, so that a proposal with an undefined energy is simply a proposal of zero probability. */
export function nanToInf(u: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => tf.where(tf.isNaN(u), tf.fill(u.shape, Infinity), u) as tf.Tensor1D);
}

/**
 * Draws the uniforms of the Metropolis test as `log u` `[n]` (one upload, one op). Every kernel draws them after its
 * proposal noise, so that a seed gives the same chain whatever the kernel's internal op order.
 */
export function drawLogUniform(rng: Rng, n: number): tf.Tensor1D {
  return tf.log(rng.uniform([n])) as tf.Tensor1D;
}

/**
 * The Metropolis–Hastings decision of every kernel: accept where `valid` and log u < log r. Invalid proposals and NaN
 * ratios get log r = −∞ (certain rejection), so an accepted state is always finite. `valid` flags the proposals whose
 * energy (and gradient, positions, log q…) are finite; without it, a finite log ratio is the test (enough when the
 * ratio is u(x) − u(x′) + finite terms and the current state is finite, as a kernel's state always is).
 * Returns the cleaned log ratio, the boolean mask and the 0/1 float vector. Call inside a tidy. On WASM outside a gradient
 * tape the same values come from one pass of core's heap kernels instead of 5–7 tfjs kernels (issue #20).
 */
export function mhDecision(
  logRatio: tf.Tensor1D,
  logU: tf.Tensor1D,
  valid?: tf.Tensor1D,
): { logAcceptRatio: tf.Tensor1D; mask: tf.Tensor1D; accepted: tf.Tensor1D } {
  const fast = wasmMetropolisKernels();
  if (fast && logRatio.dtype === 'float32' && logU.dtype === 'float32' && (!valid || valid.dtype === 'bool') && logU.size === logRatio.size)
    return fast.decide(logRatio, logU, valid);
  const ok = valid ? tf.logicalAnd(valid, tf.logicalNot(tf.isNaN(logRatio))) : tf.isFinite(logRatio);
  const clean = selectKernel(ok, logRatio, tf.fill(logRatio.shape, -Infinity)) as tf.Tensor1D;
  const mask = tf.less(logU, clean) as tf.Tensor1D;
  return { logAcceptRatio: clean, mask, accepted: tf.cast(mask, 'float32') as tf.Tensor1D };
}

/**
 * `[n]` bool: true for the rows of every `[n, d]` tensor given that hold only finite values. Built from ops that have
 * gradients (tf.all has none), so it may sit inside an energy that is differentiated (the latent energy).
 */
export function finiteRows(...ts: tf.Tensor2D[]): tf.Tensor1D {
  const fast = wasmMetropolisKernels();
  if (fast && ts.every((t) => t.dtype === 'float32')) return fast.finiteRows(ts);
  const rowOk = (t: tf.Tensor2D) => tf.cast(tf.min(tf.cast(tf.isFinite(t), 'float32'), 1), 'bool');
  let ok = rowOk(ts[0]);
  for (const t of ts.slice(1)) ok = tf.logicalAnd(ok, rowOk(t));
  return ok as tf.Tensor1D;
}

/** A proposal is valid when its energy is finite and every coordinate of `rows` (position, gradient…) is finite. */
export function validProposal(energy: tf.Tensor1D, ...rows: tf.Tensor2D[]): tf.Tensor1D {
  const fast = wasmMetropolisKernels();
  if (fast && energy.dtype === 'float32' && rows.every((t) => t.dtype === 'float32')) return fast.finiteRows([energy, ...rows]);
  return tf.logicalAnd(tf.isFinite(energy), finiteRows(...rows)) as tf.Tensor1D;
}

/**
 * The Select kernel directly, for a condition of the same shape as `a`/`b`. `tf.where` broadcasts first (Identity ×3
 * per call, and a Tile for a `[n, 1]` mask). The row-wise form of Select with a rank-1 condition is not usable:
 * tfjs 4.22's cpu and wasm kernels index `t`/`e` by the condition's index there (wrong values). The engine records
 * Select's gradient, so gradients flow into the selected branch (the SNF's Metropolis blocks rely on it). On WASM
 * outside a gradient tape the same copy runs as one pass of core's heap kernels.
 */
function selectKernel(cond: tf.Tensor, a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const fast = wasmMetropolisKernels();
  if (fast && cond.dtype === 'bool' && a.dtype === 'float32' && b.dtype === 'float32' && cond.size === a.size && b.size === a.size)
    return fast.select(cond, a, b);
  return tf.engine().runKernel('Select', { condition: cond, t: a, e: b }) as tf.Tensor;
}

/**
 * A row mask repeated over the columns of a `[n, d]` batch, for {@link selectRows} (build once per step, reuse).
 * Made from the 0/1 `accepted` vector as an outer product with ones (a K = 1 matMul) and a cast: on WASM, `tf.tile`
 * of a bool `[n, 1]` takes a slow path (≈ 0.2 ms at n = 1024, ≈ 3 ms at 16384).
 */
export function rowMask(accepted: tf.Tensor1D, d: number): tf.Tensor2D {
  const fast = wasmMetropolisKernels();
  if (fast && accepted.dtype === 'float32') return fast.rowMask(accepted, d);
  const n = accepted.shape[0];
  return tf.cast(tf.matMul(tf.reshape(accepted, [n, 1]) as tf.Tensor2D, tf.ones([1, d]) as tf.Tensor2D), 'bool') as tf.Tensor2D;
}

/**
 * Row-wise select: rows of `a` where mask, else rows of `b`. `mask` is `[n]`, or already the shape of `a`
 * (from {@link rowMask} of the 0/1 accepted vector); a/b are `[n]` or `[n, d]`.
 */
export function selectRows<T extends tf.Tensor>(mask: tf.Tensor, a: T, b: T): T {
  if (mask.rank === a.rank) return selectKernel(mask, a, b) as T;
  if (a.rank === 2) return selectKernel(rowMask(tf.cast(mask, 'float32') as tf.Tensor1D, a.shape[1] as number), a, b) as T;
  const m = mask.reshape([mask.shape[0], ...a.shape.slice(1).map(() => 1)]);
  return tf.where(m as tf.Tensor, a, b) as T;
}
