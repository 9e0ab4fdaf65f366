/**
 * Browser (and any non-Node) side of core's `#platform` adapter: the same names as platform.node.ts, without `node:`
 * imports. tfjs then finds its WASM binaries next to the page (or where `setWasmPaths` says).
 * @module
 */
import { BoltzflowError } from './errors.js';

/** The browser lets tfjs locate its WASM binaries itself (or the app calls `setWasmPaths`). */
export function wasmBinaryDir(): string | undefined {
  return undefined;
}

/** Environment variables exist only where a bundler defines `process.env`. */
export function envVar(name: string): string | undefined {
  const p = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return p?.env?.[name];
}

/** Installed copies cannot be listed in a browser; the runtime check in backend.ts still applies. */
export function tfjsCoreCopies(): { library: string; application: string } | undefined {
  return undefined;
}

/** Prefix of boltzflow's temporary files (the same name as on Node). */
export const TMP_PREFIX = '.boltzflow-tmp-';

function noFiles(what: string): never {
  throw new BoltzflowError('IO', `${what} needs Node.js file-system access, which this platform lacks`, {
    argument: 'platform',
    expected: 'Node.js (node:fs)',
    received: 'a browser or other non-Node runtime',
  });
}

/** Files need Node: throws a BoltzflowError('IO') saying so. */
export async function writeFileAtomic(_file: string, _data: string | Uint8Array): Promise<void> {
  noFiles('Writing a file');
}

/** Files need Node: throws a BoltzflowError('IO') saying so. */
export async function readTextFile(_file: string): Promise<string> {
  return noFiles('Reading a file');
}

/** SHA-256 is only needed next to files; throws a BoltzflowError('IO') here. */
export function sha256Hex(_data: string | Uint8Array): string {
  return noFiles('SHA-256 of checkpoint data');
}
