export {
  trainFlowMatching,
  flowMatchingLoss,
  pairBatch,
  pairBatchAsync,
  type PairBatchOptions,
  type FlowMatchingOptions,
  type FlowMatchingAlignment,
  type FlowMatchingPairing,
} from './trainFlowMatching.js';
export { hungarian } from './hungarian.js';
export { alignParticles, type AlignOptions } from './alignment.js';
