// Node-only entry (`@boltzflow/mcmc/node`): chain checkpoint files. The main entry stays free of node: imports.
export { saveChainCheckpoint, loadChainCheckpoint } from './chainCheckpointFile.js';
