import { globalLocalRecipe } from './globalLocal.js';

/** The lecture's iterative Boltzmann-generator loop: global moves are MCMC in the latent space of a flow refit on the chains. */
export const bgLoop = globalLocalRecipe(
  'bg-loop',
  'latent-metropolis',
  'iterative Boltzmann-generator loop: local MALA + latent-space Metropolis through a flow refit on the chains (energy only)',
);
