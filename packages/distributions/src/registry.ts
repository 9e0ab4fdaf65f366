import { BoltzflowError, type Bijector, type Distribution, type SerializedConfig } from '@boltzflow/core';
import { ensureBuiltinDistributions } from './builtins.js';

/** Options of {@link distributionFromConfig}: hooks for configs that nest other kinds of objects. */
export interface DistributionFromConfigOptions {
  /** Rebuilds a bijector from its config (e.g. `bijectorFromConfig` of @boltzflow/bijectors); needed for TransformedDistribution. */
  bijectorFromConfig?: (config: SerializedConfig) => Bijector;
}

/** What a factory receives besides its config: the options plus a recursive rebuild for nested distributions. */
export interface DistributionFactoryContext extends DistributionFromConfigOptions {
  /** Rebuilds a nested distribution config (the registry itself, so mixtures and transformed distributions nest). */
  distributionFromConfig: (config: SerializedConfig) => Distribution;
}

/** Builds a distribution from `{ type, ...params }`. */
export type DistributionFactory = (config: SerializedConfig, context: DistributionFactoryContext) => Distribution;

const factories = new Map<string, DistributionFactory>();

/** Registers (or replaces) the factory for a config `type`, so checkpoints holding that type can be rebuilt. */
export function registerDistribution(type: string, factory: DistributionFactory): void {
  ensureBuiltinDistributions();
  if (typeof type !== 'string' || type === '') {
    throw new BoltzflowError('INVALID_VALUE', 'Distribution type must be a non-empty string', {
      argument: 'type',
      expected: 'non-empty string',
      received: String(type),
    });
  }
  if (typeof factory !== 'function') {
    throw new BoltzflowError('INVALID_VALUE', 'Factory must be a function', {
      argument: 'factory',
      expected: '(config, context) => Distribution',
      received: typeof factory,
    });
  }
  factories.set(type, factory);
}

/** Types that {@link distributionFromConfig} can rebuild. */
export function registeredDistributions(): string[] {
  ensureBuiltinDistributions();
  return [...factories.keys()].sort();
}

/**
 * Rebuilds a distribution from `toConfig()` output (architecture only: load weights into `trainableVariables` afterwards).
 * Unknown types and malformed configs throw INVALID_CONFIG.
 */
export function distributionFromConfig(config: SerializedConfig, options: DistributionFromConfigOptions = {}): Distribution {
  ensureBuiltinDistributions();
  if (!config || typeof config !== 'object' || typeof config.type !== 'string') {
    throw new BoltzflowError('INVALID_CONFIG', 'Distribution config needs a string type', {
      argument: 'config.type',
      expected: 'string',
      received: JSON.stringify(config?.type),
    });
  }
  const factory = factories.get(config.type);
  if (!factory) {
    throw new BoltzflowError('INVALID_CONFIG', 'Unknown distribution type', {
      argument: 'config.type',
      expected: `one of ${registeredDistributions().join(', ')}`,
      received: JSON.stringify(config.type),
    });
  }
  const context: DistributionFactoryContext = { ...options, distributionFromConfig: (c) => distributionFromConfig(c, options) };
  return factory(config, context);
}

/** Reads a nested config field, throwing INVALID_CONFIG when it is not an object with a type. */
export function nestedConfig(config: SerializedConfig, field: string): SerializedConfig {
  const v = config[field];
  if (!v || typeof v !== 'object' || typeof (v as SerializedConfig).type !== 'string') {
    throw new BoltzflowError('INVALID_CONFIG', 'Missing nested config', {
      argument: `config.${field}`,
      expected: '{ type, ... }',
      received: JSON.stringify(v),
    });
  }
  return v as SerializedConfig;
}
