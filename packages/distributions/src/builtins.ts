/**
 * The built-in distributions of this package, registered in one list, on first use of the config registry, so that
 * `*FromConfig` (checkpoints) can rebuild them. Registration is a function, not an import side effect: the package is
 * `sideEffects: false` and a tree-shaken bundle still finds every built-in type once it rebuilds a config.
 * @module
 */
import { BoltzflowError, type SerializedConfig } from '@boltzflow/core';
import { MeanFreeNormal, type MeanFreeNormalOptions } from './meanFreeNormal.js';
import { Mixture } from './mixture.js';
import { MultivariateNormal, type MultivariateNormalOptions } from './multivariateNormal.js';
import { Normal, type NormalOptions } from './normal.js';
import { ProductDistribution } from './productDistribution.js';
import { nestedConfig, registerDistribution } from './registry.js';
import { TransformedDistribution } from './transformedDistribution.js';
import { Uniform, type UniformOptions } from './uniform.js';
import { VonMises, type VonMisesOptions } from './vonMises.js';

let registered = false;

/** Registers the built-in types once (called by the registry before every lookup and registration). */
export function ensureBuiltinDistributions(): void {
  if (registered) return;
  registered = true;
  registerDistribution('MeanFreeNormal', (c) => new MeanFreeNormal(c as unknown as MeanFreeNormalOptions));
  registerDistribution('Normal', (c) => new Normal(c as unknown as NormalOptions));
  registerDistribution('MultivariateNormal', (c) => new MultivariateNormal(c as unknown as MultivariateNormalOptions));
  registerDistribution('Uniform', (c) => new Uniform(c as unknown as UniformOptions));
  registerDistribution('VonMises', (c) => new VonMises(c as unknown as VonMisesOptions));
  registerDistribution('Mixture', (c, ctx) => {
    if (!Array.isArray(c.components)) {
      throw new BoltzflowError('INVALID_CONFIG', 'Mixture config needs components', {
        argument: 'config.components',
        expected: 'array of configs',
        received: JSON.stringify(c.components),
      });
    }
    const comps = (c.components as SerializedConfig[]).map((cc, i) =>
      ctx.distributionFromConfig(nestedConfig({ type: 'Mixture', [`components[${i}]`]: cc }, `components[${i}]`)),
    );
    return new Mixture(comps, c.weights as number[] | undefined);
  });
  registerDistribution('ProductDistribution', (c, ctx) => {
    if (!Array.isArray(c.components)) {
      throw new BoltzflowError('INVALID_CONFIG', 'ProductDistribution config needs components', {
        argument: 'config.components',
        expected: 'array of configs',
        received: JSON.stringify(c.components),
      });
    }
    const comps = (c.components as SerializedConfig[]).map((cc, i) =>
      ctx.distributionFromConfig(nestedConfig({ type: 'ProductDistribution', [`components[${i}]`]: cc }, `components[${i}]`)),
    );
    return new ProductDistribution(comps);
  });
  registerDistribution('TransformedDistribution', (c, ctx) => {
    if (!ctx.bijectorFromConfig) {
      throw new BoltzflowError('INVALID_CONFIG', 'TransformedDistribution needs bijectorFromConfig to rebuild its bijector', {
        argument: 'options.bijectorFromConfig',
        expected: '(config) => Bijector',
        received: 'undefined',
      });
    }
    return new TransformedDistribution(ctx.distributionFromConfig(nestedConfig(c, 'base')), ctx.bijectorFromConfig(nestedConfig(c, 'bijector')));
  });
}
