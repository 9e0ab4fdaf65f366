import * as tf from '@tensorflow/tfjs';
import { BoltzflowError, type BoltzflowErrorCode } from './errors.js';
import { requireFinite } from './hostReads.js';

/** Largest batch (number of samples) accepted by sampling entry points: beyond it typed arrays cannot be allocated. */
export const MAX_SAMPLES = 2 ** 26;
/** Largest feature dimension accepted by constructors (a dense layer of this width already needs 16 GiB). */
export const MAX_DIM = 2 ** 16;

/** `[5, 3]` style rendering of a shape for error messages. */
export function describeShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Checks that `x` is a batch `[n, dim]` (n ≥ 0). With `dim` given, the width must match.
 * Returns `[n, dim]` so callers need not re-read the shape.
 */
export function assertBatch(x: tf.Tensor, argument: string, dim?: number): [number, number] {
  if (!(x instanceof tf.Tensor)) {
    throw new BoltzflowError('INVALID_VALUE', 'Expected a tensor', { argument, expected: 'tf.Tensor', received: typeof x });
  }
  if (x.rank !== 2 || (dim !== undefined && x.shape[1] !== dim)) {
    throw new BoltzflowError('INVALID_SHAPE', 'Batch has the wrong shape', {
      argument,
      expected: dim === undefined ? '[n, dim]' : `[n, ${dim}]`,
      received: describeShape(x.shape),
    });
  }
  return [x.shape[0], x.shape[1] as number];
}

/** Checks that `x` is a `[n]` vector, optionally of length `n`. */
export function assertVector(x: tf.Tensor, argument: string, n?: number): number {
  if (x.rank !== 1 || (n !== undefined && x.shape[0] !== n)) {
    throw new BoltzflowError('INVALID_SHAPE', 'Expected a vector', {
      argument,
      expected: n === undefined ? '[n]' : `[${n}]`,
      received: describeShape(x.shape),
    });
  }
  return x.shape[0];
}

/** Checks an exact shape. */
export function assertShape(x: tf.Tensor, argument: string, shape: readonly number[]): void {
  if (x.rank !== shape.length || x.shape.some((s, i) => s !== shape[i])) {
    throw new BoltzflowError('INVALID_SHAPE', 'Tensor has the wrong shape', {
      argument,
      expected: describeShape(shape),
      received: describeShape(x.shape),
    });
  }
}

/** True when every value of the tensor is finite. Downloads one scalar, not the tensor. */
export function allFinite(x: tf.Tensor): boolean {
  if (x.size === 0) return true;
  const ok = tf.tidy(() => tf.all(tf.isFinite(x)));
  const v = ok.dataSync()[0];
  ok.dispose();
  return v === 1;
}

/**
 * Throws NON_FINITE when `x` holds NaN or ±Inf. Costs one device→host scalar; use at entry points, not in inner loops.
 * On a backend without synchronous reads (WebGPU in Node) the check is deferred to the next asynchronous read of the
 * loop that runs it (see `requireFinite`).
 */
export function assertFiniteTensor(x: tf.Tensor, argument: string): void {
  requireFinite(x, () => new BoltzflowError('NON_FINITE', 'Tensor contains NaN or Inf', { argument, expected: 'finite values' }));
}

/** Checks a finite number. */
export function assertFiniteNumber(v: unknown, argument: string): asserts v is number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new BoltzflowError('INVALID_VALUE', 'Expected a finite number', { argument, expected: 'finite number', received: String(v) });
  }
}

/** Checks a finite number > 0 (step sizes, temperatures, scales). */
export function assertPositive(v: unknown, argument: string): asserts v is number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new BoltzflowError('INVALID_VALUE', 'Expected a positive finite number', { argument, expected: '> 0', received: String(v) });
  }
}

/** Checks a finite number ≥ 0. */
export function assertNonNegative(v: unknown, argument: string): asserts v is number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new BoltzflowError('INVALID_VALUE', 'Expected a non-negative finite number', { argument, expected: '>= 0', received: String(v) });
  }
}

/** Checks an integer in `[min, max]`. */
export function assertInteger(v: unknown, argument: string, min = -Infinity, max = Infinity): asserts v is number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    const range = max === Infinity ? `integer >= ${min}` : `integer in [${min}, ${max}]`;
    throw new BoltzflowError('INVALID_VALUE', 'Expected an integer', { argument, expected: range, received: String(v) });
  }
}

/** Checks a probability in [0, 1] (or (0, 1) with `open`). */
export function assertProbability(v: unknown, argument: string, open = false): asserts v is number {
  const ok = typeof v === 'number' && Number.isFinite(v) && (open ? v > 0 && v < 1 : v >= 0 && v <= 1);
  if (!ok) {
    throw new BoltzflowError('INVALID_VALUE', 'Expected a probability', { argument, expected: open ? 'in (0, 1)' : 'in [0, 1]', received: String(v) });
  }
}

/** How {@link assertOneOf} reports a value outside its set. */
export interface AssertOneOfOptions {
  /** Error code; `INVALID_VALUE` (as the other guards) unless the call site reports config errors (`INVALID_CONFIG`) or file contents (`CHECKPOINT`). */
  code?: BoltzflowErrorCode;
  /** Error message before the details, e.g. `'Unknown ODE solver'`; default `'Expected one of the allowed values'`. */
  message?: string;
}

/**
 * Checks that an option value is one of a fixed set of strings, narrowing its type to that set.
 * The error names `argument`, lists the allowed values (`'a' | 'b'`) and the value received (quoted when a string).
 *
 * @example
 * const solver = options.solver ?? 'rk4';
 * assertOneOf(solver, ['rk4', 'dopri5'], 'solver', { code: 'INVALID_CONFIG', message: 'Unknown ODE solver' });
 */
export function assertOneOf<const T extends string>(v: unknown, allowed: readonly T[], argument: string, options: AssertOneOfOptions = {}): asserts v is T {
  if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return;
  throw new BoltzflowError(options.code ?? 'INVALID_VALUE', options.message ?? 'Expected one of the allowed values', {
    argument,
    expected: allowed.map((a) => `'${a}'`).join(' | '),
    received: typeof v === 'string' ? `'${v}'` : String(v),
  });
}

/** Checks an array of finite numbers, optionally of a given length. */
export function assertFiniteArray(v: ArrayLike<number>, argument: string, length?: number): void {
  if (length !== undefined && v.length !== length) {
    throw new BoltzflowError('INVALID_SHAPE', 'Array has the wrong length', { argument, expected: `length ${length}`, received: `length ${v.length}` });
  }
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) {
      throw new BoltzflowError('NON_FINITE', 'Array contains NaN or Inf', { argument, expected: 'finite values', received: `${v[i]} at index ${i}` });
    }
  }
}
