/**
 * Benchmark: maximum-likelihood fit of a MAF and a RealNVP to two-moons data (see tools/examples/twoMoonsFlows.ts);
 * records the held-out NLL and the seconds per epoch. `run()` is called by the benchmark runner; run directly with
 * `npx tsx tools/bench/twoMoons.ts [--epochs 2]` to print the result as JSON.
 */
import { pathToFileURL } from 'node:url';
import { fitTwoMoons, type FlowKind, type TwoMoonsFit } from '../examples/twoMoonsFlows.js';

export interface TwoMoonsBenchOptions {
  epochs?: number;
  n?: number;
  seed?: number;
  flows?: FlowKind[];
}

export interface TwoMoonsBenchResult {
  name: 'twoMoons';
  backend: string;
  n: number;
  epochs: number;
  results: Array<Pick<TwoMoonsFit, 'flow' | 'parameters' | 'steps' | 'heldOutNLL' | 'nllByEpoch' | 'secondsPerEpoch'>>;
}

/** Fits the flows for `epochs` epochs (default 2) and returns NLL and seconds per epoch for each. */
export async function run(options: TwoMoonsBenchOptions = {}): Promise<TwoMoonsBenchResult> {
  const n = options.n ?? 10_000;
  const epochs = options.epochs ?? 2;
  const { fits, flows, data, backend } = await fitTwoMoons({ n, epochs, seed: options.seed ?? 0, flows: options.flows });
  for (const f of flows.values()) (f as { dispose?: () => void }).dispose?.();
  data.dispose();
  return {
    name: 'twoMoons',
    backend,
    n,
    epochs,
    results: fits.map(({ flow, parameters, steps, heldOutNLL, nllByEpoch, secondsPerEpoch }) => ({
      flow,
      parameters,
      steps,
      heldOutNLL,
      nllByEpoch,
      secondsPerEpoch,
    })),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--epochs');
  const epochs = i >= 0 ? Number(process.argv[i + 1]) : undefined;
  console.log(JSON.stringify(await run({ epochs }), null, 2));
}
