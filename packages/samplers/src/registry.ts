import { BoltzflowError } from '@boltzflow/core';
import type { SamplerRecipe } from './recipe.js';
import { rwm } from './recipes/rwm.js';
import { rwmScan } from './recipes/rwmScan.js';
import { mala } from './recipes/mala.js';
import { replicaExchange } from './recipes/replicaExchange.js';
import { flowIs } from './recipes/flowIs.js';
import { latentMetropolis } from './recipes/latentMetropolis.js';
import { flowImh } from './recipes/flowImh.js';
import { flowMcmcIs, snf } from './recipes/snf.js';
import { flowMc } from './recipes/flowMc.js';
import { bgLoop } from './recipes/bgLoop.js';
import { blockFlowMc, blockMc } from './recipes/blockMoves.js';
import { fabImh, fabIs } from './recipes/fab.js';
import { smc } from './recipes/smc.js';
import { taIs } from './recipes/ta.js';
import { hmcRecipe, nutsRecipe } from './recipes/windowAdapted.js';

/**
 * Every built-in sampler recipe. Add a sampler by writing its file in src/recipes/ and listing it here; every experiment
 * whose config lists its name can then run it.
 */
export const RECIPES: readonly SamplerRecipe<any>[] = [
  rwm,
  rwmScan,
  mala,
  replicaExchange,
  hmcRecipe,
  nutsRecipe,
  smc,
  flowIs,
  latentMetropolis,
  flowImh,
  flowMc,
  bgLoop,
  blockFlowMc,
  blockMc,
  fabIs,
  fabImh,
  taIs,
  snf,
  flowMcmcIs,
];

/** The names of the built-in recipes, in registry order. */
export function recipeNames(): string[] {
  return RECIPES.map((r) => r.name);
}

export function getRecipe(name: string): SamplerRecipe<any> {
  const r = RECIPES.find((x) => x.name === name);
  if (!r) {
    throw new BoltzflowError('INVALID_CONFIG', `Unknown sampler '${name}'`, {
      argument: 'samplers',
      expected: `one of ${recipeNames().join(', ')}`,
      received: JSON.stringify(name),
    });
  }
  return r;
}
