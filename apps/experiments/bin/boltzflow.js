#!/usr/bin/env node
// The packages ship TypeScript sources; tsx compiles them on the fly so that no build step is needed after npm install.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../src/cli.ts');
process.exitCode = await main(process.argv.slice(2));
