#!/usr/bin/env node
// The `octopus` command. Runs the compiled engine (dist/, from `npm run build`) when it is there, else
// the TypeScript sources through tsx, so a fresh checkout works before any build.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli.js', import.meta.url);
let cli;
if (existsSync(compiled)) {
  cli = await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(new URL('../src/cli.ts', import.meta.url).href);
}
const code = await cli.main(process.argv.slice(2));
if (code !== 0) process.exit(code);
