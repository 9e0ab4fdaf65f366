/** Numerically stable log Σ exp(v) over a plain array; -Infinity for an empty or all -Infinity input. */
export function logSumExp(v: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < v.length; i++) if (v[i] > m) m = v[i];
  if (m === -Infinity) return -Infinity;
  if (m === Infinity) return Infinity;
  let s = 0;
  for (let i = 0; i < v.length; i++) s += Math.exp(v[i] - m);
  return m + Math.log(s);
}

/** log of the mean of exp(v). */
export function logMeanExp(v: ArrayLike<number>): number {
  return logSumExp(v) - Math.log(v.length);
}
