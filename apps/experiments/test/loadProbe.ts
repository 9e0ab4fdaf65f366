// Fixture of cliSafety.test.ts: runs the CLI's main() with the given arguments in a fresh process, then reports whether
// TensorFlow.js was loaded (tfjs-core keeps its engine in the global `_tfengine`).
import { main } from '../src/cli.js';

const code = await main(process.argv.slice(2), { out: () => undefined, err: () => undefined });
process.stdout.write(`${JSON.stringify({ code, tfLoaded: '_tfengine' in globalThis })}\n`);
