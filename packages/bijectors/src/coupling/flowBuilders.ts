import { assertInteger, BoltzflowError, createRng, type Bijector, type Rng, MAX_DIM, assertOneOf } from '@boltzflow/core';
import type { Activation } from '../nn/mlp.js';
import { ActNorm } from '../basic/actNorm.js';
import { Chain } from '../basic/chain.js';
import { Permute, Reverse } from '../basic/permute.js';
import { AffineCoupling } from './affineCoupling.js';
import { couplingMask } from './couplingBijector.js';
import { SplineCoupling } from './splineCoupling.js';

/** What goes between coupling layers (in addition to the alternating masks). */
export type LayerPermutation = 'none' | 'reverse' | 'random';

/** Options shared by the coupling-flow builders ({@link realNVP}, {@link neuralSplineFlow}). */
export interface CouplingFlowOptions {
  dim: number;
  /** Number of coupling layers (default 4). */
  layers?: number;
  /** Conditioner hidden widths (default [64, 64]). */
  hidden?: number[];
  activation?: Activation;
  /** Weight-initialisation (and random permutation) stream; default seed 0. */
  rng?: Rng;
  /** Permutation inserted between consecutive couplings (default 'none': the alternating masks already mix). */
  permutation?: LayerPermutation;
  /** Put an ActNorm before every coupling (default false). */
  actNorm?: boolean;
}

/** Options of {@link realNVP}. */
export interface RealNVPOptions extends CouplingFlowOptions {
  /** Log-scale bound of each AffineCoupling (default 3). */
  logScaleBound?: number;
}

/** Options of {@link neuralSplineFlow}. */
export interface NeuralSplineFlowOptions extends CouplingFlowOptions {
  /** Bins per spline (default 8). */
  bins?: number;
  /** Spline interval [−bound, bound] (default 5). */
  bound?: number;
}

function buildCouplingFlow(o: CouplingFlowOptions, coupling: (mask: number[], rng: Rng) => Bijector): Chain {
  if (!o || typeof o !== 'object')
    throw new BoltzflowError('INVALID_CONFIG', 'Expected an options object', { argument: 'options', expected: '{ dim, layers, ... }', received: String(o) });
  assertInteger(o.dim, 'dim', 2, MAX_DIM);
  const layers = o.layers ?? 4;
  assertInteger(layers, 'layers', 1);
  const permutation = o.permutation ?? 'none';
  assertOneOf(permutation, ['none', 'reverse', 'random'], 'permutation', { code: 'INVALID_CONFIG', message: 'Unknown permutation' });
  const rng = o.rng ?? createRng(0);
  const base = couplingMask(o.dim);
  const out: Bijector[] = [];
  for (let l = 0; l < layers; l++) {
    if (o.actNorm) out.push(new ActNorm(o.dim));
    out.push(coupling(l % 2 === 0 ? base : base.map((m) => 1 - m), rng));
    if (l < layers - 1 && permutation === 'reverse') out.push(new Reverse(o.dim));
    if (l < layers - 1 && permutation === 'random') out.push(Permute.random(o.dim, rng));
  }
  return new Chain(out);
}

/**
 * RealNVP (Dinh et al. 2017): a {@link Chain} of `layers` AffineCouplings with alternating masks (first half
 * conditions, then the second half), optionally with ActNorm before each coupling and permutations between them.
 * Starts as the identity.
 */
export function realNVP(options: RealNVPOptions): Chain {
  return buildCouplingFlow(
    options,
    (mask, rng) =>
      new AffineCoupling({ dim: options.dim, mask, hidden: options.hidden, activation: options.activation, logScaleBound: options.logScaleBound, rng }),
  );
}

/**
 * Neural spline flow (Durkan et al. 2019, coupling variant): a {@link Chain} of `layers` SplineCouplings with
 * alternating masks, optional ActNorm and permutations as in {@link realNVP}. Starts as the identity.
 */
export function neuralSplineFlow(options: NeuralSplineFlowOptions): Chain {
  return buildCouplingFlow(
    options,
    (mask, rng) =>
      new SplineCoupling({ dim: options.dim, mask, hidden: options.hidden, activation: options.activation, bins: options.bins, bound: options.bound, rng }),
  );
}
