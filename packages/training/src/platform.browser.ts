/**
 * Browser (non-Node) side of training's `#platform` adapter: the names of platform.node.ts, as stubs. Checkpoints
 * are files, so `saveFlow`/`loadFlow` throw a BoltzflowError('IO') here that says so, instead of a bundler failing on
 * `node:fs` or a bare ReferenceError at run time. Everything else in @boltzflow/training works in the browser.
 * @module
 */
import { BoltzflowError } from '@boltzflow/core';
import type { ThreadContext, TrainingThread } from './threads.js';

function unavailable(what: string): never {
  throw new BoltzflowError(
    'IO',
    `Checkpoint files need Node.js file-system access (${what}), which this platform lacks. In a browser, store flow.toConfig() and the values of the flow's variables with your own storage`,
    {
      argument: 'platform',
      expected: 'Node.js (node:fs)',
      received: 'a browser or other non-Node runtime',
    },
  );
}

const stub = (what: string) => (): never => unavailable(what);

/** Stub of `node:buffer`'s Buffer: every use throws the error above. */
export const Buffer = { alloc: stub('Buffer'), from: stub('Buffer'), byteLength: stub('Buffer'), concat: stub('Buffer') };
/** Stub of `node:crypto` createHash. */
export const createHash = stub('node:crypto');
/** Random ids only name checkpoint files; the Web Crypto API has them where available. */
export const randomUUID = (): string => (globalThis.crypto?.randomUUID ? globalThis.crypto.randomUUID() : unavailable('crypto.randomUUID'));
/** Stub of `node:fs` promises. */
export const fs = {
  open: stub('node:fs'),
  rename: stub('node:fs'),
  unlink: stub('node:fs'),
  stat: stub('node:fs'),
  readFile: stub('node:fs'),
  readdir: stub('node:fs'),
  mkdir: stub('node:fs'),
  writeFile: stub('node:fs'),
};
/** Stands in for `node:fs/promises` FileHandle (never created here). */
export type FileHandle = never;
/** Byte order is known without Node; the module reads it at load, so it must not throw. */
export const os = { hostname: stub('node:os'), endianness: (): 'LE' | 'BE' => (new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 'LE' : 'BE') };
/** Stub of `node:path`. */
export const path = { join: stub('node:path'), basename: stub('node:path'), dirname: stub('node:path'), resolve: stub('node:path'), sep: '/' };
/** Stub of `process.pid`. */
export const currentPid = stub('process');
/** Stub: no processes to probe. */
export const processAlive = stub('process');
/** Data-parallel training runs its gradient shares in Node worker threads, which this platform lacks. */
export const startThread = (_script: string, _data: unknown, _viaTsx: boolean): TrainingThread => {
  throw new BoltzflowError('BACKEND_UNAVAILABLE', 'Data-parallel training needs Node.js worker threads, which this platform lacks; train without `parallel`', {
    argument: 'parallel',
    expected: 'Node.js (node:worker_threads)',
    received: 'a browser or other non-Node runtime',
  });
};
/** No worker threads here: never one. */
export const threadContext = (): ThreadContext | null => null;
/** Specifiers are only resolved for worker threads, which this platform lacks. */
export const moduleUrl = (specifier: string): string => specifier;
