#!/usr/bin/env node
// The workspace packages export their TypeScript sources under the `@boltzflow/source` condition (dist/ otherwise):
// tsx compiles them on the fly and the resolve hook below selects that condition, so no build step is needed after
// npm install, also when this file is run with plain node (npm scripts get it from .npmrc's node-options).
import { register as registerHooks } from 'node:module';
import { register } from 'tsx/esm/api';
register();
const addSourceCondition = `export async function resolve(specifier, context, next) {
  const conditions = context.conditions.includes('@boltzflow/source') ? context.conditions : [...context.conditions, '@boltzflow/source'];
  return next(specifier, { ...context, conditions });
}`;
registerHooks(`data:text/javascript,${encodeURIComponent(addSourceCondition)}`);
const { main } = await import('../src/cli.ts');
process.exitCode = await main(process.argv.slice(2));
