// The packages as a user gets them: `npm pack` every package (prepack builds dist/), install the tarballs into a fresh
// project outside the workspace (no workspace links, the rest from the registry), then use them with plain Node, the
// TypeScript compiler and a browser bundler. Skipped with a message when npm or the registry is unreachable.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Dependency order: prepack builds against the dist/ of the packages before it. */
const PACKAGES = ['core', 'bijectors', 'energies', 'estimators', 'distributions', 'mcmc', 'training'];
const rootPkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };

/** The workspace's source condition and loaders must not leak into the "user" processes. */
function userEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  for (const k of Object.keys(env)) if (k.startsWith('npm_') || k === 'INIT_CWD' || k === 'BOLTZFLOW_BACKEND') delete env[k];
  return env;
}

function run(cmd: string, args: string[], cwd: string, timeoutMs = 240_000, env = userEnv()): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 2 ** 20 });
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.error || r.status !== 0)
    throw new Error(`${what} failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stdout?.slice(-3000)}\n${r.stderr?.slice(-3000)}`);
  return r.stdout;
}

function newestMtime(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce(
    (m, e) => Math.max(m, e.isDirectory() ? newestMtime(path.join(dir, e.name)) : statSync(path.join(dir, e.name)).mtimeMs),
    0,
  );
}

/** dist/ exists and is newer than every source file and the package's build config. */
function distIsFresh(pkgDir: string): boolean {
  const index = path.join(pkgDir, 'dist', 'index.js');
  if (!existsSync(index)) return false;
  const built = statSync(index).mtimeMs;
  const inputs = Math.max(
    newestMtime(path.join(pkgDir, 'src')),
    ...['package.json', 'tsconfig.build.json'].map((f) => statSync(path.join(pkgDir, f)).mtimeMs),
    statSync(path.join(root, 'tsconfig.base.json')).mtimeMs,
  );
  return built >= inputs;
}

const npmVersion = run('npm', ['--version'], root, 30_000, process.env);
const haveNpm = npmVersion.status === 0;
const registry = haveNpm ? run('npm', ['view', '@tensorflow/tfjs@4.22.0', 'version', '--prefer-offline'], os.tmpdir(), 60_000) : undefined;
const skip = !haveNpm ? 'npm is not on PATH' : registry?.status !== 0 ? `the npm registry is unreachable (${registry?.stderr.trim().split('\n').pop()})` : '';
if (skip) console.warn(`package.test: skipped: ${skip}`);

/** A consumer written as a user would, against the published types; run by Node after type stripping only. */
const CONSUMER = `
import * as core from '@boltzflow/core';
import * as bijectors from '@boltzflow/bijectors';
import * as distributions from '@boltzflow/distributions';
import * as energies from '@boltzflow/energies';
import * as estimators from '@boltzflow/estimators';
import * as mcmc from '@boltzflow/mcmc';
import * as training from '@boltzflow/training';

declare const process: { argv: string[] };

export async function main(dir: string): Promise<Record<string, unknown>> {
  const info = await core.initBackend();
  const rng = core.createRng(1);
  const energy = new energies.DoubleWell();
  const x0 = core.tf.zeros([8, 2]) as core.tf.Tensor2D;
  const chain = mcmc.sampleChain(mcmc.randomWalkMetropolis(energy, { stepSize: 0.5 }), x0, { steps: 20, rng });
  const series: number[][] = [];
  for (let c = 0; c < chain.samples.shape[1]; c++) series.push(Array.from(chain.samples.series(c, 0)));
  const ess: number = estimators.effectiveSampleSize(series);
  core.disposeTree(chain.finalState);
  x0.dispose();

  const flow = new distributions.TransformedDistribution(distributions.Normal.standard(2), bijectors.realNVP({ dim: 2, layers: 2, hidden: [16, 16], rng }));
  const trained = await training.trainKL(flow, energy, { steps: 20, batchSize: 64, learningRate: 1e-3, rng });
  await training.saveFlow(flow, dir, { step: 20 });
  const loaded = await training.loadFlow(dir);
  const probe = core.tf.tensor2d([[0.3, -0.2], [-1.5, 0.7], [1.8, 0.1]]);
  const a = flow.logProb(probe);
  const b = loaded.flow.logProb(probe);
  const result = {
    backend: info.active,
    packages: [core, bijectors, distributions, energies, estimators, mcmc, training].map((m) => Object.keys(m).length),
    acceptance: chain.overallAcceptanceRate,
    ess,
    trainedSteps: (trained as { steps?: number }).steps ?? null,
    loadedStep: loaded.step,
    logProbBefore: Array.from(await a.data()),
    logProbAfter: Array.from(await b.data()),
  };
  core.tf.dispose([probe, a, b]);
  return result;
}

/** Never called: each line must be a type error, which it is only if the published .d.ts carry real types (not any). */
export function typeErrors(): void {
  // @ts-expect-error misspelled option
  mcmc.randomWalkMetropolis(new energies.DoubleWell(), { stepSiz: 0.5 });
  // @ts-expect-error unknown backend name type
  const b: core.BackendName = 'tpu';
  // @ts-expect-error a number is not a checkpoint directory
  void training.loadFlow(42);
  // @ts-expect-error effectiveSampleSize returns a number
  const s: string = estimators.effectiveSampleSize([[1, 2, 3, 4]]);
  void [b, s];
}

if (typeof process !== 'undefined' && process.argv[2]) console.log('RESULT ' + JSON.stringify(await main(process.argv[2])));
`;

/** Loads a checkpoint without naming any bijector or distribution class. */
const LOAD_ONLY = `
import { initBackend } from '@boltzflow/core';
import { loadFlow } from '@boltzflow/training';
declare const process: { argv: string[] };
await initBackend();
const loaded = await loadFlow(process.argv[2]);
console.log('RESULT ' + JSON.stringify({ step: loaded.step, type: loaded.flow.toConfig().type }));
`;

/** A second copy of tfjs-core loaded after @boltzflow/core's, and a backend whose optional package is absent. */
const BAD_INPUT = `
import { createRequire } from 'node:module';
import { initBackend, isBoltzflowError } from '@boltzflow/core';
const warnings = [];
console.warn = (...args) => warnings.push(args.join(' '));
await initBackend('cpu');
const before = warnings.length;
createRequire(import.meta.url)('./second/node_modules/@tensorflow/tfjs-core');
await initBackend('cpu');
await initBackend('cpu');
await initBackend();
let missing = '';
try { await initBackend('node'); } catch (e) { missing = isBoltzflowError(e) ? e.code + ': ' + e.message : String(e); }
console.log('RESULT ' + JSON.stringify({ before, copyWarnings: warnings.filter((w) => w.includes('second copy of TF.js')), missing }));
`;

describe.skipIf(skip !== '')('published packages outside the workspace', () => {
  let work = '';
  let project = '';
  const packed = new Map<string, { filename: string; files: string[] }>();

  beforeAll(() => {
    work = mkdtempSync(path.join(os.tmpdir(), 'bf-pack-'));
    project = path.join(work, 'app');
    // Under `npm test` nx has just built every package (tools' test target dependsOn ^build), so packing skips the
    // prepack build; run alone with stale or missing dist/, prepack builds each package (minutes on 2 cores).
    const fresh = PACKAGES.every((p) => distIsFresh(path.join(root, 'packages', p)));
    for (const p of PACKAGES) {
      const args = ['pack', '--json', '--pack-destination', work, ...(fresh ? ['--ignore-scripts'] : [])];
      const out = ok(run('npm', args, path.join(root, 'packages', p), 300_000, { ...process.env, NODE_OPTIONS: '' }), `npm pack ${p}`);
      const info = JSON.parse(out.slice(out.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
      packed.set(p, { filename: path.join(work, info[0].filename), files: info[0].files.map((f) => f.path) });
    }
    const deps: Record<string, string> = {
      '@tensorflow/tfjs': rootPkg.dependencies['@tensorflow/tfjs'],
      '@tensorflow/tfjs-backend-wasm': rootPkg.dependencies['@tensorflow/tfjs-backend-wasm'],
    };
    for (const p of PACKAGES) deps[`@boltzflow/${p}`] = `file:${packed.get(p)!.filename}`;
    cpSync(path.join(root, 'tools', 'test', 'fixtures', 'consumer'), project, { recursive: true });
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'bf-consumer', private: true, type: 'module', dependencies: deps }, null, 2));
    writeFileSync(path.join(project, 'consumer.ts'), CONSUMER);
    writeFileSync(path.join(project, 'bad-input.mjs'), BAD_INPUT);
    ok(run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], project), 'npm install of the tarballs');
  }, 600_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('every package ships dist/ with types and source maps, its sources, and no tests', () => {
    for (const p of PACKAGES) {
      const files = packed.get(p)!.files;
      for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/index.js.map', 'dist/index.d.ts.map', 'src/index.ts', 'package.json'])
        expect(files, `${p}: ${f}`).toContain(f);
      expect(
        files.filter((f) => /(^|\/)test\/|\.test\.|tsconfig|vitest/.test(f)),
        p,
      ).toEqual([]);
      const js = files.filter((f) => f.startsWith('dist/') && f.endsWith('.js'));
      for (const f of js) expect(files, `${p}: map of ${f}`).toContain(`${f}.map`);
      for (const f of js) expect(files, `${p}: types of ${f}`).toContain(f.replace(/\.js$/, '.d.ts'));
    }
  });

  it('installs without workspace links', () => {
    const lock = JSON.parse(readFileSync(path.join(project, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { link?: boolean; resolved?: string }>;
    };
    for (const p of PACKAGES) {
      const entry = lock.packages[`node_modules/@boltzflow/${p}`];
      expect(entry?.link, p).toBeUndefined();
      expect(entry?.resolved, p).toMatch(/^file:.*\.tgz$/);
    }
    // One TF.js for the whole app: the packages declare it as a peer, so npm installs no nested copy.
    const tfjs = Object.keys(lock.packages).filter((k) => k.endsWith('node_modules/@tensorflow/tfjs-core'));
    expect(tfjs).toEqual(['node_modules/@tensorflow/tfjs-core']);
  });

  it('type-checks a TypeScript consumer against the published .d.ts (tsc --noEmit)', () => {
    ok(run(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project, '--noEmit'], project), 'tsc --noEmit');
  });

  it('runs in plain Node: RWM on DoubleWell, 20 KL steps of RealNVP, save + load, ESS', async () => {
    const esbuild = await import('esbuild');
    // Type stripping only (no bundling): Node then imports the packages from node_modules like any user script.
    const js = await esbuild.transform(readFileSync(path.join(project, 'consumer.ts'), 'utf8'), { loader: 'ts', format: 'esm', target: 'node20' });
    writeFileSync(path.join(project, 'consumer.mjs'), js.code);
    const out = ok(run(process.execPath, ['consumer.mjs', path.join(work, 'checkpoint')], project), 'node consumer.mjs');
    const r = JSON.parse(out.slice(out.lastIndexOf('RESULT ') + 7)) as {
      backend: string;
      packages: number[];
      acceptance: number;
      ess: number;
      loadedStep: number;
      logProbBefore: number[];
      logProbAfter: number[];
    };
    expect(r.backend).toBe('wasm');
    for (const n of r.packages) expect(n).toBeGreaterThan(0);
    expect(r.acceptance).toBeGreaterThan(0);
    expect(r.acceptance).toBeLessThanOrEqual(1);
    // 8 chains × 20 draws: the ESS of all draws together is positive and at most a few times 160.
    expect(Number.isFinite(r.ess) && r.ess > 0 && r.ess < 4 * 160).toBe(true);
    expect(r.loadedStep).toBe(20);
    expect(r.logProbAfter).toEqual(r.logProbBefore);
    expect(r.logProbBefore.every(Number.isFinite)).toBe(true);
    expect(out).not.toMatch(/second copy of TF\.js|slower cpu backend/);
  });

  it("runs the README's Install example with plain node", () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const install = readme.slice(readme.indexOf('## Install'));
    expect(install).toMatch(/npm install @boltzflow\/mcmc @boltzflow\/energies @tensorflow\/tfjs\n/);
    const example = /```js\n(\/\/ example\.mjs\n[\s\S]*?)```/.exec(install)?.[1];
    expect(example).toBeDefined();
    writeFileSync(path.join(project, 'example.mjs'), example!);
    const out = ok(run(process.execPath, ['example.mjs'], project), 'node example.mjs');
    // Under nx (FORCE_COLOR) console.log colours number arguments, so the example's output carries ANSI codes.
    const m = /acceptance ([0-9.]+) fraction in the right well ([0-9.]+)/.exec(stripVTControlCharacters(out));
    expect(m, out).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(0);
    expect(Number(m![2])).toBeGreaterThanOrEqual(0);
  });

  it('warns once about a second copy of TF.js and names the package a missing backend needs', () => {
    cpSync(path.join(project, 'node_modules', '@tensorflow', 'tfjs-core'), path.join(project, 'second', 'node_modules', '@tensorflow', 'tfjs-core'), {
      recursive: true,
    });
    const out = ok(run(process.execPath, ['bad-input.mjs'], project), 'node bad-input.mjs');
    const r = JSON.parse(out.slice(out.lastIndexOf('RESULT ') + 7)) as { before: number; copyWarnings: string[]; missing: string };
    expect(r.before).toBe(0);
    expect(r.copyWarnings).toHaveLength(1);
    expect(r.missing).toMatch(/^BACKEND_UNAVAILABLE: .*npm install @tensorflow\/tfjs-node/);
  });

  it('a tree-shaken bundle that only calls loadFlow still rebuilds the flow (side-effect-free packages, built-ins registered on first use)', async () => {
    const esbuild = await import('esbuild');
    // The loader never names a bijector class: the registries register their built-ins on first lookup, so the
    // bundle keeps them although bijectors and distributions are `sideEffects: false`. TF.js stays external.
    for (const p of ['bijectors', 'distributions']) {
      expect(JSON.parse(readFileSync(path.join(project, 'node_modules', '@boltzflow', p, 'package.json'), 'utf8')).sideEffects).toBe(false);
    }
    writeFileSync(path.join(project, 'load-only.ts'), LOAD_ONLY);
    await esbuild.build({
      entryPoints: [path.join(project, 'load-only.ts')],
      absWorkingDir: project,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      external: ['@tensorflow/*'],
      outfile: path.join(project, 'load-only.mjs'),
      logLevel: 'silent',
    });
    const out = ok(run(process.execPath, ['load-only.mjs', path.join(work, 'checkpoint')], project), 'node load-only.mjs');
    expect(JSON.parse(out.slice(out.lastIndexOf('RESULT ') + 7))).toEqual({ step: 20, type: 'TransformedDistribution' });
  });

  it('bundles the same consumer for the browser without Node built-ins (esbuild, platform=browser)', async () => {
    const esbuild = await import('esbuild');
    const result = await esbuild.build({
      entryPoints: [path.join(project, 'consumer.ts')],
      absWorkingDir: project,
      bundle: true,
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      write: false,
      metafile: true,
      logLevel: 'silent',
      outfile: path.join(project, 'bundle.js'),
      plugins: [
        {
          // random-js (core's Mersenne Twister) holds an unused `nodeCrypto` engine that calls require("crypto"); Vite
          // leaves it alone, esbuild and webpack must be told (README, Install). Anything else stays an error.
          name: 'random-js-node-crypto',
          setup(build) {
            build.onResolve({ filter: /^crypto$/ }, (a) => (/[\\/]random-js[\\/]/.test(a.importer) ? { path: 'crypto', external: true } : undefined));
          },
        },
      ],
    });
    expect(result.errors).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((f) => /^node:|platform\.node/.test(f))).toEqual([]);
    expect(inputs.some((f) => f.includes('@boltzflow/training/dist/platform.browser.js'))).toBe(true);
    expect(inputs.some((f) => f.includes('@boltzflow/core/dist/platform.browser.js'))).toBe(true);
    const builtins = Object.entries(result.metafile.inputs).flatMap(([file, i]) =>
      i.imports.filter((im) => im.external && /^node:|^(fs|os|path|crypto|module|buffer)$/.test(im.path)).map((im) => `${file} → ${im.path}`),
    );
    expect(builtins.filter((b) => !/random-js[\\/]dist[\\/]random-js\.esm\.js → crypto$/.test(b))).toEqual([]);
  });
});
