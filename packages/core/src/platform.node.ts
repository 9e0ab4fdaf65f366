/**
 * Node side of core's `#platform` adapter (see CONTRIBUTING.md, "Node and browser"). package.json `imports` maps
 * `#platform` to this file under the `node` condition and to platform.browser.ts elsewhere, so that a browser bundle
 * of @boltzflow/core never sees a `node:` import. Both files export the same names.
 * @module
 */
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
