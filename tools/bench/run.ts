// Benchmark runner: `npm run bench` at the root (or `npx tsx bench/run.ts` in tools).
//   --quick             seconds instead of minutes (smaller runs, fewer repetitions)
//   --only <name>       one or more sections, comma-separated: mcmc, flows, mixing, twomoons, properties, published, sweep, torch, molecules, parallel, train-parallel, snf, chains
//   --backend <names>   backends for the per-backend tables (flows, chains), comma-separated (default cpu,wasm,node,webgpu)
//   --no-write          print the markdown instead of appending it to BENCHMARKS.md
// Every figure is a ratio measured in the same run, so the noise of a shared machine mostly cancels.
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { backendInfo, initBackend, tf } from '@boltzflow/core';
import { machineInfo, packageVersion, type BenchOptions, type SectionResult } from './common.js';
import { mcmcSection } from './mcmc.js';
import { flowSection } from './flows.js';
import { mixingSection, publishedSection, twoMoonsSection } from './mixing.js';
import { propertySection } from './properties.js';
import { sweepSection } from './sweep.js';
import { torchSection } from './torch.js';
import { moleculesSection } from './molecules.js';
import { parallelSection } from './mcmcParallel.js';
import { trainParallelSection } from './trainParallel.js';
import { snfSection } from './snf.js';
import { chainsSection } from './chains.js';

const SECTIONS: Record<string, (o: BenchOptions) => Promise<SectionResult> | SectionResult> = {
  mcmc: mcmcSection,
  flows: flowSection,
  mixing: mixingSection,
  twomoons: twoMoonsSection,
  properties: propertySection,
  published: () => publishedSection(),
  sweep: sweepSection,
  torch: torchSection,
  molecules: moleculesSection,
  parallel: parallelSection,
  'train-parallel': trainParallelSection,
  snf: snfSection,
  chains: chainsSection,
};

const here = path.dirname(fileURLToPath(import.meta.url));
const BENCHMARKS = path.resolve(here, '..', '..', 'BENCHMARKS.md');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      backend: { type: 'string' },
      'no-write': { type: 'boolean', default: false },
    },
  });
  const only = values.only ? values.only.split(',').map((s) => s.trim().toLowerCase()) : Object.keys(SECTIONS);
  for (const o of only) if (!SECTIONS[o]) throw new Error(`--only: unknown section ${JSON.stringify(o)}; expected ${Object.keys(SECTIONS).join(', ')}`);
  const backends = values.backend ? values.backend.split(',').map((s) => s.trim()) : ['cpu', 'wasm', 'node', 'webgpu'];
  const opts: BenchOptions = { quick: values.quick ?? false, backends };
  // The in-process sections (MCMC) run on the default backend (BOLTZFLOW_BACKEND or wasm).
  await initBackend();
  const info = backendInfo();
  const m = machineInfo();
  const started = new Date();
  const t0 = performance.now();
  const parts: string[] = [];
  for (const name of only) {
    const s0 = performance.now();
    process.stderr.write(`bench: ${name}…\n`);
    let r: SectionResult;
    try {
      r = await SECTIONS[name](opts);
    } catch (e) {
      r = { title: name, markdown: `Failed: \`${(e as Error).message.slice(0, 400)}\`` };
    }
    const secs = (performance.now() - s0) / 1000;
    process.stderr.write(`bench: ${name} done in ${secs.toFixed(1)} s\n`);
    parts.push(`### ${r.title}\n\n_${secs.toFixed(0)} s_\n\n${r.markdown}\n`);
  }
  const header = [
    `## Run of ${started.toISOString()}${opts.quick ? ' (--quick)' : ''}`,
    '',
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.memory} memory; ${m.os}`,
    `- Backend (in-process sections): ${info.active}${info.fallback ? ` (fallback: ${info.reason})` : ''}; flow table backends requested: ${backends.join(', ')}`,
    `- Node ${m.node}; tfjs ${tf.version.tfjs}; tfjs-backend-wasm ${packageVersion('@tensorflow/tfjs-backend-wasm') ?? '—'}; tfjs-backend-webgpu ${packageVersion('@tensorflow/tfjs-backend-webgpu') ?? '—'}; webgpu (Dawn) ${packageVersion('webgpu') ?? '—'}`,
    `- Sections: ${only.join(', ')}; total ${((performance.now() - t0) / 1000).toFixed(0)} s. The machine may be shared: absolute rates are noisy, ratios within a table are measured back to back.`,
    '',
  ].join('\n');
  const text = `${header}\n${parts.join('\n')}\n`;
  if (values['no-write']) {
    process.stdout.write(text);
    return;
  }
  if (!existsSync(BENCHMARKS)) writeFileSync(BENCHMARKS, '# Benchmarks\n\nAppended by `npm run bench` (see tools/README.md). Newest run last.\n\n');
  appendFileSync(BENCHMARKS, text);
  process.stderr.write(`bench: appended to ${BENCHMARKS}\n`);
}

await main();
