/**
 * The built-in bijectors and vector fields of this package, registered in one list, on first use of the config registry, so that
 * `*FromConfig` (checkpoints) can rebuild them. Registration is a function, not an import side effect: the package is
 * `sideEffects: false` and a tree-shaken bundle still finds every built-in type once it rebuilds a config.
 * @module
 */
import { BoltzflowError, type SerializedConfig } from '@boltzflow/core';
import { InverseAutoregressiveFlow, MaskedAutoregressiveFlow, type MaskedAutoregressiveFlowOptions } from './autoregressive/maskedAutoregressiveFlow.js';
import { ActNorm, type ActNormOptions } from './basic/actNorm.js';
import { AffineTriL, type AffineTriLOptions } from './basic/affineTriL.js';
import { Chain } from './basic/chain.js';
import { Invert } from './basic/invert.js';
import { Permute, type PermuteOptions, Reverse, type ReverseOptions } from './basic/permute.js';
import { Scale, type ScaleOptions } from './basic/scale.js';
import { Shift, type ShiftOptions } from './basic/shift.js';
import { ContinuousFlow, type ContinuousFlowOptions } from './continuous/continuousFlow.js';
import { MLPVectorField, type MLPVectorFieldOptions, registerVectorField, vectorFieldFromConfig } from './continuous/vectorField.js';
import { AdditiveCoupling, type AdditiveCouplingOptions } from './coupling/additiveCoupling.js';
import { AffineCoupling, type AffineCouplingOptions } from './coupling/affineCoupling.js';
import { SplineCoupling, type SplineCouplingOptions } from './coupling/splineCoupling.js';
import { LogisticMixtureCDF, type LogisticMixtureCDFOptions } from './elementwise/logisticMixtureCDF.js';
import { EGNNVectorField, type EGNNVectorFieldOptions } from './equivariant/egnnVectorField.js';
import { InternalCoordinates, type InternalCoordinatesOptions } from './internal/internalCoordinates.js';
import { bijectorFromConfig, registerBijector } from './registry.js';
import { ResidualFlow, type ResidualFlowOptions } from './residual/residualFlow.js';

let registered = false;

/** Registers the built-in types once (called by the registry before every lookup and registration). */
export function ensureBuiltinBijectors(): void {
  if (registered) return;
  registered = true;
  registerBijector('MaskedAutoregressiveFlow', (c) => new MaskedAutoregressiveFlow(c as unknown as MaskedAutoregressiveFlowOptions));
  registerBijector('InverseAutoregressiveFlow', (c) => new InverseAutoregressiveFlow(c as unknown as MaskedAutoregressiveFlowOptions));
  registerBijector('ActNorm', (c) => new ActNorm(c as unknown as ActNormOptions));
  registerBijector('AffineTriL', (c) => new AffineTriL(c as unknown as AffineTriLOptions));
  registerBijector('Chain', (c) => {
    const members = c.bijectors;
    if (!Array.isArray(members))
      throw new BoltzflowError('INVALID_CONFIG', 'Chain config needs bijectors', {
        argument: 'config.bijectors',
        expected: 'array of configs',
        received: String(members),
      });
    return new Chain({ bijectors: members.map((m) => bijectorFromConfig(m as SerializedConfig)), dim: c.dim as number | undefined });
  });
  registerBijector('Invert', (c) => new Invert(bijectorFromConfig(c.bijector as SerializedConfig)));
  registerBijector('Permute', (c) => new Permute(c as unknown as PermuteOptions));
  registerBijector('Reverse', (c) => new Reverse(c as unknown as ReverseOptions));
  registerBijector('Scale', (c) => new Scale(c as unknown as ScaleOptions));
  registerBijector('Shift', (c) => new Shift(c as unknown as ShiftOptions));
  registerBijector(
    'ContinuousFlow',
    (c) => new ContinuousFlow(vectorFieldFromConfig(c.vectorField as SerializedConfig), c as unknown as ContinuousFlowOptions),
  );
  registerVectorField('MLPVectorField', (c) => new MLPVectorField(c as unknown as MLPVectorFieldOptions));
  registerBijector('AdditiveCoupling', (c) => new AdditiveCoupling(c as unknown as AdditiveCouplingOptions));
  registerBijector('AffineCoupling', (c) => new AffineCoupling(c as unknown as AffineCouplingOptions));
  registerBijector('SplineCoupling', (c) => new SplineCoupling(c as unknown as SplineCouplingOptions));
  registerBijector('LogisticMixtureCDF', (c) => new LogisticMixtureCDF(c as unknown as LogisticMixtureCDFOptions));
  registerVectorField('EGNNVectorField', (c) => new EGNNVectorField(c as unknown as EGNNVectorFieldOptions));
  registerBijector('InternalCoordinates', (c) => new InternalCoordinates(c as unknown as InternalCoordinatesOptions));
  registerBijector('ResidualFlow', (c) => new ResidualFlow(c as unknown as ResidualFlowOptions));
}
