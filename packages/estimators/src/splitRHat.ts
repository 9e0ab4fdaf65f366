import { median } from 'simple-statistics';
import { BoltzflowError } from '@boltzflow/core';
import { meanOf, toChains, type ChainsLike } from './input.js';
import { splitChains, zScale } from './rankNormalize.js';

/** Classic R̂ = √((B/W + N − 1)/N) on validated chains, B = N·Var(chain means), W = mean within-chain variance (both ddof 1). */
function rHat(chains: readonly Float64Array[]): number {
  const m = chains.length;
  const n = chains[0].length;
  const means = chains.map((ch) => meanOf(ch));
  let w = 0;
  chains.forEach((ch, c) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += (ch[i] - means[c]) ** 2;
    w += s / (n - 1) / m;
  });
  const mu = meanOf(means);
  let vm = 0;
  for (const x of means) vm += (x - mu) ** 2;
  const b = (n * vm) / (m - 1);
  return Math.sqrt((b / w + n - 1) / n);
}

/**
 * Rank-normalised split R̂ (Vehtari, Gelman, Simpson, Carpenter & Bürkner 2021; ArviZ `rhat(method="rank")`):
 * split each chain in halves, rank all draws jointly (average ranks for ties), z = Φ⁻¹((r − 3/8)/(S + 1/4)),
 * R̂ = √((B/W + N − 1)/N); the result is the max of R̂ on z(x) (bulk) and on z(|x − median(x)|) (tails).
 * Works with a single chain too (split halves). Values above 1.01 indicate non-convergence.
 * Returns Infinity when every split chain is constant but they differ (chains frozen in different states);
 * throws when all draws are equal, since R̂ is then undefined; when only |x − median| is constant, the bulk R̂ is returned.
 */
export function splitRHat(chains: ChainsLike): number {
  const c = toChains(chains, 'chains', 4);
  const pooled: number[] = [];
  for (const ch of c) for (let i = 0; i < ch.length; i++) pooled.push(ch[i]);
  const med = median(pooled);
  const folded = c.map((ch) => ch.map((x) => Math.abs(x - med)));
  const bulk = rHat(zScale(splitChains(c)));
  if (Number.isNaN(bulk)) {
    throw new BoltzflowError('INVALID_VALUE', 'R-hat is undefined for constant chains', {
      argument: 'chains',
      expected: 'non-constant draws',
      received: 'zero within-chain variance',
    });
  }
  const tail = rHat(zScale(splitChains(folded)));
  // the folded draws can be constant while x is not (x = median ± a); then only the bulk R̂ is defined
  const r = Number.isNaN(tail) ? bulk : Math.max(bulk, tail);
  return r;
}
