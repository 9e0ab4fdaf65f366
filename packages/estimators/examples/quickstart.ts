// Run from the repository root: npx tsx packages/estimators/examples/quickstart.ts
import { createRng } from '@boltzflow/core';
import {
  countTransitions,
  effectiveSampleSize,
  energyEvaluationsPerEffectiveSample,
  freeEnergyProfile,
  importanceWeights,
  integratedAutocorrTime,
  kishESS,
  logPartition,
  splitRHat,
  stateFreeEnergyDifference,
} from '@boltzflow/estimators';

const rng = createRng(0);

// --- MCMC diagnostics on four AR(1) chains (ρ = 0.8 → τ = 9) ---
const chains = Array.from({ length: 4 }, () => {
  const x = new Float64Array(5000);
  for (let t = 1; t < x.length; t++) x[t] = 0.8 * x[t - 1] + 0.6 * rng.nextNormal();
  return x;
});
const iat = integratedAutocorrTime(chains);
const ess = effectiveSampleSize(chains);
console.log(`tau = ${iat.tau.toFixed(2)} (exact 9), window ${iat.window}, reliable ${iat.reliable}`);
console.log(`bulk ESS = ${ess.toFixed(0)} (exact ${(20000 / 9).toFixed(0)}), R-hat = ${splitRHat(chains).toFixed(4)}`);
console.log(`energy evaluations per effective sample: ${energyEvaluationsPerEffectiveSample(ess, 20000).toFixed(1)}`);

// --- Importance sampling the 2D double well u = x1^4 - 6 x1^2 - 0.5 x1 + x2^2/2 from N(0, 2^2 I) ---
const n = 20000;
const x1 = new Float64Array(n);
const logTarget = new Float64Array(n);
const logProposal = new Float64Array(n);
for (let i = 0; i < n; i++) {
  const a = 2 * rng.nextNormal();
  const b = 2 * rng.nextNormal();
  x1[i] = a;
  logTarget[i] = -(a ** 4 - 6 * a * a - 0.5 * a + 0.5 * b * b);
  logProposal[i] = -(a * a + b * b) / 8 - Math.log(8 * Math.PI);
}
const { logWeights } = importanceWeights(logTarget, logProposal);
const { logZ, stderr } = logPartition(logWeights);
console.log(`log Z = ${logZ.toFixed(3)} ± ${stderr.toFixed(3)}, Kish ESS fraction ${kishESS(logWeights).fraction.toFixed(3)}`);
const dF = stateFreeEnergyDifference(x1, logWeights, 0);
console.log(`ΔF(right − left) = ${dF.deltaF.toFixed(3)} ± ${dF.stderr.toFixed(3)} kT (exact −1.6906)`);
const profile = freeEnergyProfile(x1, { logWeights, bins: 20, range: [-2.5, 2.5], bootstrap: { samples: 50, rng } });
console.log('F(x1):', Array.from(profile.F, (f) => f.toFixed(2)).join(' '));

// --- Committed transitions of a metastable trajectory (dead zone |x| < 0.5) ---
const traj = [-1.7, -0.3, 0.2, -1.6, 0.4, 1.8, 0.1, -0.4, 1.7, -1.8];
const tr = countTransitions(traj, { thresholds: [0], deadZone: 0.5, names: ['left', 'right'] });
console.log('transition counts', tr.counts, 'state sequence', Array.from(tr.stateSequence).join(','));
