/**
 * Node side of training's `#platform` adapter: the file-system, hashing and byte-buffer pieces that checkpoints need.
 * package.json `imports` maps `#platform` here under the `node` condition and to platform.browser.ts elsewhere (see
 * CONTRIBUTING.md, "Node and browser"); both files export the same names, so checkpoint.ts imports them unchanged.
 * @module
 */
export { Buffer } from 'node:buffer';
export { createHash, randomUUID } from 'node:crypto';
export { promises as fs } from 'node:fs';
export type { FileHandle } from 'node:fs/promises';
export { default as os } from 'node:os';
export { default as path } from 'node:path';

/** This process's id, for the owner line of a checkpoint directory's save lock. */
export const currentPid = (): number => process.pid;

/** Whether process `pid` on this host still runs (signal 0 probes without sending anything). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
