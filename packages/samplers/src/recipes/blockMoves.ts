import { globalLocalRecipe } from './globalLocal.js';

/**
 * flowMC on a block of angles: local MALA chains plus Metropolis-within-Gibbs moves that redraw the target's `block`
 * (e.g. backbone torsions) from a torus flow refit on the chains' block values; from the energy alone.
 */
export const blockFlowMc = globalLocalRecipe(
  'block-flowmc',
  'flow-imh',
  "Adaptive global–local sampling on a block of angles: local MALA + moves that redraw the target's block (e.g. backbone torsions) from a torus flow trained on the chains, the rest kept (energy only)",
  'block-flow',
);

/** The same block moves with uniform draws of the block and no flow: the plain-MCMC baseline of {@link blockFlowMc}. */
export const blockMc = globalLocalRecipe(
  'block-mc',
  'flow-imh',
  "Local MALA + moves that redraw the target's block of angles uniformly, the rest kept (plain MCMC, no flow)",
  'block-uniform',
);
