#!/usr/bin/env node
// The `octopus` command. Runs the compiled engine (dist/, from `npm run build`) when it is up to date,
// else the TypeScript sources through tsx, so a fresh checkout works before any build and an edit is
// never hidden behind an old build.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const compiled = join(root, 'dist', 'cli.js');

function newestMtimeMs(directory) {
  let newest = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtimeMs(path) : statSync(path).mtimeMs);
  }
  return newest;
}

let cli;
if (existsSync(compiled) && statSync(compiled).mtimeMs >= newestMtimeMs(join(root, 'src'))) {
  cli = await import(new URL('../dist/cli.js', import.meta.url).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(new URL('../src/cli.ts', import.meta.url).href);
}
const code = await cli.main(process.argv.slice(2));
if (code !== 0) process.exit(code);
