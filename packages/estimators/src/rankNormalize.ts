import { errorFunction, probit } from 'simple-statistics';

/**
 * Standard normal quantile Φ⁻¹(p). Starts from simple-statistics' `probit` (a closed-form approximation with
 * ~3e-3 relative error) and polishes it with Newton steps on simple-statistics' `errorFunction` (~1e-7),
 * so rank-normalised diagnostics agree with ArviZ (scipy `norm.ppf`) to ~1e-7.
 */
export function normalQuantile(p: number): number {
  // exact antisymmetry Φ⁻¹(1 − p) = −Φ⁻¹(p), so tied/symmetric ranks map symmetrically
  if (p > 0.5) return -normalQuantile(1 - p);
  if (p === 0.5) return 0;
  let z = probit(p);
  for (let k = 0; k < 3; k++) {
    const cdf = 0.5 * (1 + errorFunction(z / Math.SQRT2));
    const pdf = Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
    if (!(pdf > 0)) break;
    z -= (cdf - p) / pdf;
  }
  return z;
}

/** ArviZ `_split_chains`: each chain of N draws becomes its first ⌊N/2⌋ and last ⌊N/2⌋ draws (odd N drops the middle draw). */
export function splitChains(chains: readonly Float64Array[]): Float64Array[] {
  const out: Float64Array[] = [];
  for (const ch of chains) {
    const half = Math.floor(ch.length / 2);
    out.push(ch.slice(0, half));
  }
  for (const ch of chains) {
    const half = Math.floor(ch.length / 2);
    out.push(ch.slice(ch.length - half));
  }
  return out;
}

/** Ranks 1..S of all draws pooled over chains, ties given their average rank (scipy `rankdata(method="average")`). */
export function pooledRanks(chains: readonly Float64Array[]): Float64Array[] {
  const n = chains[0].length;
  const s = chains.length * n;
  const flat = new Float64Array(s);
  chains.forEach((ch, c) => flat.set(ch, c * n));
  const idx = new Uint32Array(s);
  for (let i = 0; i < s; i++) idx[i] = i;
  idx.sort((a, b) => flat[a] - flat[b]);
  const rank = new Float64Array(s);
  for (let i = 0; i < s; ) {
    let j = i;
    while (j + 1 < s && flat[idx[j + 1]] === flat[idx[i]]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) rank[idx[k]] = r;
    i = j + 1;
  }
  return chains.map((_, c) => rank.subarray(c * n, (c + 1) * n));
}

/** Rank normalisation z = Φ⁻¹((r − 3/8)/(S + 1/4)) over all chains jointly (Vehtari et al. 2021; ArviZ `_z_scale`). */
export function zScale(chains: readonly Float64Array[]): Float64Array[] {
  const s = chains.length * chains[0].length;
  return pooledRanks(chains).map((r) => {
    const z = new Float64Array(r.length);
    for (let i = 0; i < r.length; i++) z[i] = normalQuantile((r[i] - 0.375) / (s + 0.25));
    return z;
  });
}
