import os from 'node:os';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Tinypool } from 'tinypool';
import type { RunDone, RunTask } from './execute.js';

/** Default worker count: one per core (a run is single-threaded: TF.js WASM has no threads in Node). */
export function defaultWorkers(): number {
  return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
}

/** Loader the child processes need to import the TypeScript sources (the package ships no build). */
function tsxImport(): string[] {
  const require = createRequire(import.meta.url);
  return ['--import', pathToFileURL(require.resolve('tsx')).href];
}

export interface RunPool {
  run(task: RunTask): Promise<RunDone>;
  destroy(): Promise<void>;
}

/** A tinypool of `workers` child processes, each running runs one at a time (poolWorker.ts). */
export function createRunPool(workers: number): RunPool {
  const pool = new Tinypool({
    // The sources run through tsx; a tsc build (dist/) has the same module as .js.
    filename: new URL(`./poolWorker.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url).href,
    runtime: 'child_process',
    minThreads: workers,
    maxThreads: workers,
    concurrentTasksPerWorker: 1,
    isolateWorkers: false,
    execArgv: tsxImport(),
    env: Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined)),
  });
  return {
    run: (task) => pool.run(task) as Promise<RunDone>,
    destroy: () => pool.destroy(),
  };
}
