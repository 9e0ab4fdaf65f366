import { BoltzflowError } from '@boltzflow/core';
import { fftInPlace, nextPowerOfTwo } from './fft.js';
import { meanOf, toFloat64, type SeriesLike } from './input.js';

/** Float64 autocovariance of an already validated series (shared by ESS and IAT). */
export function autocovarianceOf(x: Float64Array): Float64Array {
  const n = x.length;
  // zero padding to ≥ 2n turns the FFT's circular correlation into the linear one
  const m = nextPowerOfTwo(2 * n);
  const re = new Float64Array(m);
  const im = new Float64Array(m);
  const mu = meanOf(x);
  for (let i = 0; i < n; i++) re[i] = x[i] - mu;
  fftInPlace(re, im);
  for (let k = 0; k < m; k++) {
    re[k] = re[k] * re[k] + im[k] * im[k];
    im[k] = 0;
  }
  fftInPlace(re, im, true);
  const out = new Float64Array(n);
  // 1/m undoes the unscaled inverse FFT, 1/n is the biased (Stan/ArviZ/emcee) normalisation
  for (let t = 0; t < n; t++) out[t] = re[t] / m / n;
  return out;
}

/**
 * Autocovariance γ̂(t) = (1/N) Σ_{i<N−t} (x_i − x̄)(x_{i+t} − x̄) for t = 0..N−1, by a zero-padded radix-2 FFT in O(N log N).
 * Biased (1/N) normalisation as in Stan, ArviZ and emcee: it keeps the sequence positive semi-definite.
 */
export function autocovariance(series: SeriesLike): Float64Array {
  return autocovarianceOf(toFloat64(series, 'series'));
}

/**
 * Normalised autocorrelation ρ̂(t) = γ̂(t)/γ̂(0), t = 0..N−1 (so ρ̂(0) = 1), computed by FFT.
 * Throws for a constant series, whose autocorrelation is undefined.
 */
export function autocorrelation(series: SeriesLike): Float64Array {
  const x = toFloat64(series, 'series', { minLength: 2 });
  return autocorrelationOf(x, 'series');
}

/** Autocorrelation of a validated series; throws INVALID_VALUE for zero variance. */
export function autocorrelationOf(x: Float64Array, argument: string): Float64Array {
  const acov = autocovarianceOf(x);
  const v = acov[0];
  if (!(v > 0)) {
    throw new BoltzflowError('INVALID_VALUE', 'Series is constant; its autocorrelation is undefined', {
      argument,
      expected: 'non-zero variance',
      received: 'variance 0',
    });
  }
  for (let t = 0; t < acov.length; t++) acov[t] /= v;
  return acov;
}
