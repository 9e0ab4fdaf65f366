export {
  replicaExchange,
  replicaExchangeAsync,
  replicaExchangeReads,
  replicaExchangeKernel,
  temperatureLadder,
  type GeometricLadder,
  type ReplicaExchangeOptions,
  type ReplicaExchangeState,
  type ReplicaExchangeKernel,
  type ReplicaExchangeRunOptions,
  type ReplicaExchangeResult,
} from './replicaExchange.js';
export { coordinateCV, biasedEnergy, binEdges, type CollectiveVariable, type BinSpec } from './collectiveVariable.js';
export { wham, type WhamOptions, type WhamResult } from './wham.js';
export {
  umbrellaSampling,
  umbrellaSamplingAsync,
  umbrellaSamplingReads,
  type UmbrellaSamplingOptions,
  type UmbrellaSamplingResult,
} from './umbrellaSampling.js';
export { metadynamics, metadynamicsAsync, metadynamicsReads, type MetadynamicsOptions, type MetadynamicsResult } from './metadynamics.js';
