/**
 * Node side of core's `#platform` adapter (see CONTRIBUTING.md, "Node and browser"). package.json `imports` maps
 * `#platform` to this file under the `node` condition and to platform.browser.ts elsewhere, so that a browser bundle
 * of @boltzflow/core never sees a `node:` import. Both files export the same names.
 * @module
 */
import { createHash, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** Directory of the installed tfjs WASM binaries (with a trailing separator), or undefined when the package is absent. */
export function wasmBinaryDir(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep;
  } catch {
    return undefined;
  }
}

/** An environment variable, or undefined. */
export function envVar(name: string): string | undefined {
  return process.env[name];
}

/**
 * Where `@tensorflow/tfjs-core` resolves from @boltzflow/core and from the application (the working directory), when
 * the two differ: a second installed copy of TF.js. Undefined when they agree or cannot be resolved.
 */
export function tfjsCoreCopies(): { library: string; application: string } | undefined {
  try {
    const fromLibrary = createRequire(import.meta.url).resolve('@tensorflow/tfjs-core/package.json');
    const fromApp = createRequire(path.join(process.cwd(), 'package.json')).resolve('@tensorflow/tfjs-core/package.json');
    return fromLibrary === fromApp ? undefined : { library: path.dirname(fromLibrary), application: path.dirname(fromApp) };
  } catch {
    return undefined;
  }
}

/** Prefix of every temporary file boltzflow writes, so a later writer can recognise (and sweep) a killed one's. */
export const TMP_PREFIX = '.boltzflow-tmp-';

/**
 * Writes a file atomically: a temporary sibling `<TMP_PREFIX><pid>-<uuid>-<name>` opened exclusively, written,
 * fsynced, then renamed over `file`; on failure the temporary file is removed and the error rethrown. A crash at any
 * moment leaves either the old file or the new one, never half of one. The pid in the name lets a later writer tell
 * a dead writer's leftovers from a live one's.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = path.join(path.dirname(file), `${TMP_PREFIX}${process.pid}-${randomUUID()}-${path.basename(file)}`);
  let handle: import('node:fs/promises').FileHandle | undefined;
  try {
    handle = await fs.open(tmp, 'wx');
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.rename(tmp, file);
  } catch (e) {
    await handle?.close().catch(() => undefined);
    await fs.unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/** A whole text file (UTF-8). */
export function readTextFile(file: string): Promise<string> {
  return fs.readFile(file, 'utf8');
}

/** SHA-256 of a string or bytes, as lowercase hex. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
