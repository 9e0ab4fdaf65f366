import { globalLocalRecipe } from './globalLocal.js';

/** flowMC: local MALA chains plus independence MH with a flow refit on the chains; from the energy alone. */
export const flowMc = globalLocalRecipe(
  'flowmc',
  'flow-imh',
  'flowMC adaptive global–local sampling: local MALA + flow independence moves, the flow trained on the chains (energy only)',
);
