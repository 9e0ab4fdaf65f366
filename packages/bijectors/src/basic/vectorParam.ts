import { assertFiniteArray, assertInteger, BoltzflowError } from '@boltzflow/core';

/**
 * Reads a per-feature parameter given as a number (broadcast) or an array of length `dim`, validating finiteness.
 * Internal helper shared by the elementwise affine bijectors.
 */
export function vectorParam(value: number | readonly number[] | undefined, dim: number, argument: string, fallback: number): number[] {
  if (value === undefined) return new Array<number>(dim).fill(fallback);
  if (typeof value === 'number') {
    assertFiniteArray([value], argument);
    return new Array<number>(dim).fill(value);
  }
  if (!Array.isArray(value)) {
    throw new BoltzflowError('INVALID_VALUE', 'Expected a number or an array of numbers', {
      argument,
      expected: `number or number[${dim}]`,
      received: String(value),
    });
  }
  assertFiniteArray(value, argument, dim);
  return [...value];
}

/** Validates a bijector's `dim` option. */
export function checkDim(dim: unknown, argument = 'dim'): number {
  assertInteger(dim, argument, 1);
  return dim;
}
