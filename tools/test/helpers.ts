import { createRng, tf, type Bijector, type Rng } from '@boltzflow/core';
import { AffineCoupling, Chain } from '@boltzflow/bijectors';
import { Normal, TransformedDistribution } from '@boltzflow/distributions';

/** A small RealNVP (alternating affine couplings, tanh MLPs) on a standard-normal base. */
export function smallRealNVP(dim = 2, layers = 2, hidden = 16, rng: Rng = createRng(1)): TransformedDistribution {
  const couplings: Bijector[] = [];
  for (let i = 0; i < layers; i++) {
    const mask = Array.from({ length: dim }, (_, j) => ((j + i) % 2 === 0 ? 1 : 0));
    couplings.push(new AffineCoupling({ dim, mask, hidden: [hidden, hidden], activation: 'tanh', outputScale: 0.1, rng }));
  }
  return new TransformedDistribution(new Normal({ dim }), new Chain(couplings));
}

/** tf.memory() counts, to compare before/after. */
export function memorySnapshot(): { numTensors: number; numBytes: number } {
  const m = tf.memory();
  return { numTensors: m.numTensors, numBytes: m.numBytes };
}

/** Disposes the variables of a flow (tests create many). */
export function disposeFlow(flow: { trainableVariables: tf.Variable[]; bijector?: Bijector }): void {
  if (flow.bijector && typeof flow.bijector.dispose === 'function') flow.bijector.dispose();
  else for (const v of flow.trainableVariables) v.dispose();
}
