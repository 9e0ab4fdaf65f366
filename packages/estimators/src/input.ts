import * as tf from '@tensorflow/tfjs';
import { BoltzflowError } from '@boltzflow/core';

/** A 1-D numeric input: plain array, typed array, or (where natural) a `[n]` tensor. */
export type Series = readonly number[] | Float64Array | Float32Array;
/** A 1-D input that may also be a `[n]` tf tensor (read once with `dataSync`; never disposed). */
export type SeriesLike = Series | tf.Tensor;
/** One chain, an array of equal-length chains, or a `[draws]` / `[chains, draws]` tensor. */
export type ChainsLike = Series | readonly Series[] | tf.Tensor;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v instanceof tf.Tensor) return `tensor of shape [${v.shape.join(', ')}]`;
  if (Array.isArray(v)) return `array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name} of length ${(v as unknown as ArrayLike<number>).length}`;
  return typeof v;
}

function isSeries(v: unknown): v is Series {
  return v instanceof Float64Array || v instanceof Float32Array || (Array.isArray(v) && (v.length === 0 || typeof v[0] === 'number'));
}

/**
 * Copies a 1-D input into float64. `allow` relaxes the finiteness check:
 * 'finite' (default) rejects NaN/±Inf, 'logWeights' allows -Infinity (zero weight) but not NaN/+Inf.
 */
export function toFloat64(v: unknown, argument: string, opts: { allow?: 'finite' | 'logWeights'; minLength?: number } = {}): Float64Array {
  let out: Float64Array;
  if (v instanceof tf.Tensor) {
    if (v.rank !== 1) {
      throw new BoltzflowError('INVALID_SHAPE', 'Expected a vector', { argument, expected: '[n]', received: `[${v.shape.join(', ')}]` });
    }
    out = Float64Array.from(v.dataSync() as ArrayLike<number>);
  } else if (isSeries(v)) {
    out = Float64Array.from(v as ArrayLike<number>);
  } else {
    throw new BoltzflowError('INVALID_VALUE', 'Expected a 1-D numeric array', {
      argument,
      expected: 'number[] | Float64Array | Float32Array | [n] tensor',
      received: describe(v),
    });
  }
  const minLength = opts.minLength ?? 1;
  if (out.length < minLength) {
    throw new BoltzflowError('INVALID_SHAPE', 'Array is too short', { argument, expected: `length >= ${minLength}`, received: `length ${out.length}` });
  }
  const allowNegInf = opts.allow === 'logWeights';
  for (let i = 0; i < out.length; i++) {
    const x = out[i];
    if (!Number.isFinite(x) && !(allowNegInf && x === -Infinity)) {
      throw new BoltzflowError('NON_FINITE', allowNegInf ? 'Log weights contain NaN or +Inf' : 'Array contains NaN or Inf', {
        argument,
        expected: allowNegInf ? 'finite values or -Infinity' : 'finite values',
        received: `${x} at index ${i}`,
      });
    }
  }
  return out;
}

/** Throws when two inputs that pair up element by element have different lengths. */
export function assertSameLength(a: ArrayLike<number>, b: ArrayLike<number>, argument: string, other: string): void {
  if (a.length !== b.length) {
    throw new BoltzflowError('INVALID_SHAPE', `'${argument}' must have the same length as '${other}'`, {
      argument,
      expected: `length ${b.length}`,
      received: `length ${a.length}`,
    });
  }
}

/** Log weights with at least one finite entry (all -Infinity means no sample has support). */
export function toLogWeights(v: unknown, argument: string): Float64Array {
  const lw = toFloat64(v, argument, { allow: 'logWeights' });
  if (!lw.some((x) => Number.isFinite(x))) {
    throw new BoltzflowError('INVALID_VALUE', 'All log weights are -Infinity', {
      argument,
      expected: 'at least one finite log weight',
      received: 'all -Infinity',
    });
  }
  return lw;
}

/**
 * Normalises single- or multi-chain input to an array of equal-length float64 chains.
 * A flat array or `[draws]` tensor is one chain; an array of arrays or a `[chains, draws]` tensor is many.
 */
export function toChains(v: unknown, argument: string, minDraws = 1): Float64Array[] {
  let chains: Float64Array[];
  if (v instanceof tf.Tensor) {
    if (v.rank === 1) chains = [toFloat64(v, argument, { minLength: minDraws })];
    else if (v.rank === 2) {
      const [m, n] = v.shape as [number, number];
      const data = v.dataSync();
      chains = [];
      for (let c = 0; c < m; c++) chains.push(Float64Array.from(data.subarray(c * n, (c + 1) * n)));
    } else {
      throw new BoltzflowError('INVALID_SHAPE', 'Expected a chain or chains', {
        argument,
        expected: '[draws] or [chains, draws]',
        received: `[${v.shape.join(', ')}]`,
      });
    }
  } else if (isSeries(v)) {
    chains = [toFloat64(v, argument, { minLength: minDraws })];
  } else if (Array.isArray(v) && v.length > 0) {
    chains = v.map((c, i) => toFloat64(c, `${argument}[${i}]`, { minLength: minDraws }));
  } else {
    throw new BoltzflowError('INVALID_VALUE', 'Expected a chain or an array of chains', {
      argument,
      expected: 'number[] | Float64Array | Float32Array | Array of those | tensor',
      received: describe(v),
    });
  }
  if (chains.length === 0) {
    throw new BoltzflowError('INVALID_SHAPE', 'No chains given', { argument, expected: 'at least one chain', received: '0 chains' });
  }
  const n = chains[0].length;
  for (let c = 0; c < chains.length; c++) {
    const ch = chains[c];
    if (ch.length !== n) {
      throw new BoltzflowError('INVALID_SHAPE', 'Chains must all have the same length', {
        argument: `${argument}[${c}]`,
        expected: `length ${n}`,
        received: `length ${ch.length}`,
      });
    }
    if (ch.length < minDraws) {
      throw new BoltzflowError('INVALID_SHAPE', 'Chain is too short', {
        argument: `${argument}[${c}]`,
        expected: `length >= ${minDraws}`,
        received: `length ${ch.length}`,
      });
    }
    for (let i = 0; i < ch.length; i++) {
      if (!Number.isFinite(ch[i])) {
        throw new BoltzflowError('NON_FINITE', 'Chain contains NaN or Inf', {
          argument: `${argument}[${c}]`,
          expected: 'finite values',
          received: `${ch[i]} at index ${i}`,
        });
      }
    }
  }
  return chains;
}

/** Mean of a float64 array (plain loop: simple-statistics wants number[], and copying large chains is wasteful). */
export function meanOf(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s / x.length;
}
