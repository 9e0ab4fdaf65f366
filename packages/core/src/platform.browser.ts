/**
 * Browser (and any non-Node) side of core's `#platform` adapter: the same names as platform.node.ts, without `node:`
 * imports. tfjs then finds its WASM binaries next to the page (or where `setWasmPaths` says).
 * @module
 */

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
