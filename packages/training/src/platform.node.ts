/**
 * Node side of training's `#platform` adapter: the file-system, hashing and byte-buffer pieces that checkpoints need.
 * package.json `imports` maps `#platform` here under the `node` condition and to platform.browser.ts elsewhere (see
 * CONTRIBUTING.md, "Node and browser"); both files export the same names, so checkpoint.ts imports them unchanged.
 * @module
 */
export { Buffer } from 'node:buffer';
export { createHash, randomUUID } from 'node:crypto';
export { promises as fs } from 'node:fs';
import { readFileSync } from 'node:fs';
export type { FileHandle } from 'node:fs/promises';
export { default as os } from 'node:os';
export { default as path } from 'node:path';
import nodePath from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { ThreadContext, TrainingThread } from './threads.js';

/** This process's id, for the owner line of a checkpoint directory's save lock. */
export const currentPid = (): number => process.pid;

/**
 * Whether process `pid` on this host still runs (signal 0 probes without sending anything). A zombie — exited, not yet
 * reaped, as orphans are under a container init that reaps late — answers signal 0 but runs nothing, so on Linux it
 * counts as gone.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  try {
    // /proc/<pid>/stat: "pid (comm) state …"; comm may hold spaces and parentheses, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false; // no /proc (macOS, Windows) or the process just went: the signal probe's answer stands
  }
}

/**
 * Starts the module at file URL `script` in a worker thread with `data` as its workerData. With `viaTsx` an evaluated
 * bootstrap registers tsx in the thread first (TypeScript sources under tests and benches: execArgv's --import is not
 * honoured for worker threads on Node 20); a missing tsx is ignored, so plain JavaScript still loads.
 */
export function startThread(script: string, data: unknown, viaTsx: boolean): TrainingThread {
  if (!viaTsx) return new Worker(new URL(script), { workerData: data });
  const boot = `import('tsx/esm/api').then((m) => m.register(), () => undefined).then(() => import(${JSON.stringify(script)}))`;
  return new Worker(boot, { eval: true, workerData: data });
}

/** This thread's port and workerData when it runs as a worker thread; null on the main thread. */
export function threadContext(): ThreadContext | null {
  return isMainThread || !parentPort ? null : { port: parentPort, data: workerData };
}

/** A module specifier that a worker thread can import: paths become absolute file URLs; URLs and package names stay. */
export function moduleUrl(specifier: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(specifier) && !/^[a-z]:[\\/]/i.test(specifier)) return specifier;
  if (nodePath.isAbsolute(specifier) || specifier.startsWith('.')) return pathToFileURL(nodePath.resolve(specifier)).href;
  return specifier;
}
