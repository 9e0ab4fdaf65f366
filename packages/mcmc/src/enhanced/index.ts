export {
  replicaExchange,
  replicaExchangeKernel,
  temperatureLadder,
  type GeometricLadder,
  type ReplicaExchangeOptions,
  type ReplicaExchangeState,
  type ReplicaExchangeKernel,
  type ReplicaExchangeRunOptions,
  type ReplicaExchangeResult,
} from './replicaExchange.js';
