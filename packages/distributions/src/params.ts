import { assertFiniteArray, assertInteger, BoltzflowError } from '@boltzflow/core';

/** A parameter given as a scalar (broadcast) or one value per dimension. */
export type ScalarOrArray = number | ArrayLike<number>;

/** Length of an array parameter, or undefined for a scalar / missing one. */
export function paramLength(v: ScalarOrArray | undefined): number | undefined {
  return v === undefined || typeof v === 'number' ? undefined : v.length;
}

/** Broadcasts a scalar-or-array parameter to `dim` finite values (float64), naming `argument` on failure. */
export function broadcastParam(v: ScalarOrArray | undefined, dim: number, argument: string, fallback: number): number[] {
  if (v === undefined) return new Array<number>(dim).fill(fallback);
  if (typeof v === 'number') {
    assertFiniteArray([v], argument);
    return new Array<number>(dim).fill(v);
  }
  if (v === null || typeof v !== 'object' || typeof v.length !== 'number') {
    throw new BoltzflowError('INVALID_VALUE', 'Expected a number or an array of numbers', {
      argument,
      expected: `number or length-${dim} array`,
      received: String(v),
    });
  }
  assertFiniteArray(v, argument, dim);
  return Array.from(v);
}

/** Resolves `dim` from an explicit value or from the lengths of array parameters; they must agree. */
export function resolveDim(explicit: number | undefined, params: Record<string, ScalarOrArray | undefined>): number {
  let dim = explicit;
  if (dim !== undefined) assertInteger(dim, 'dim', 1);
  for (const [name, v] of Object.entries(params)) {
    const len = paramLength(v);
    if (len === undefined) continue;
    if (dim === undefined) {
      assertInteger(len, `${name}.length`, 1);
      dim = len;
    } else if (len !== dim) {
      throw new BoltzflowError('INVALID_SHAPE', 'Parameter length does not match dim', {
        argument: name,
        expected: `length ${dim}`,
        received: `length ${len}`,
      });
    }
  }
  if (dim === undefined) {
    throw new BoltzflowError('INVALID_VALUE', 'Cannot infer the dimension', {
      argument: 'dim',
      expected: 'dim or an array parameter',
      received: 'scalars only',
    });
  }
  return dim;
}

/** Checks that every entry is > 0. */
export function assertAllPositive(v: readonly number[], argument: string): void {
  v.forEach((s, i) => {
    if (!(s > 0)) {
      throw new BoltzflowError('INVALID_VALUE', 'Expected positive values', { argument, expected: '> 0', received: `${s} at index ${i}` });
    }
  });
}

export const LOG_2PI = Math.log(2 * Math.PI);
