import { BoltzflowError, type Bijector, type SerializedConfig } from '@boltzflow/core';
import { ensureBuiltinBijectors } from './builtins.js';

type Factory = (config: SerializedConfig) => Bijector;
const factories = new Map<string, Factory>();

/**
 * Registers how to rebuild a bijector type from its `toConfig()` output. Every bijector module registers itself at
 * import time; checkpoints call {@link bijectorFromConfig} and then load the weights into `trainableVariables`.
 */
export function registerBijector(type: string, factory: Factory): void {
  ensureBuiltinBijectors();
  factories.set(type, factory);
}

/** Rebuilds a bijector (with fresh weights) from its config. Unknown types → BoltzflowError (e.g. a foreign checkpoint). */
export function bijectorFromConfig(config: SerializedConfig): Bijector {
  ensureBuiltinBijectors();
  if (!config || typeof config !== 'object' || typeof config.type !== 'string') {
    throw new BoltzflowError('INVALID_CONFIG', 'Bijector config needs a string type', {
      argument: 'config.type',
      expected: 'string',
      received: JSON.stringify(config?.type),
    });
  }
  const f = factories.get(config.type);
  if (!f) {
    throw new BoltzflowError('INVALID_CONFIG', 'Unknown bijector type', {
      argument: 'config.type',
      expected: `one of ${[...factories.keys()].sort().join(', ')}`,
      received: config.type,
    });
  }
  return f(config);
}
