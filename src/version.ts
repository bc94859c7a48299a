/** The engine's version, from package.json (one source: `octopus --version`, /metrics build info, OpenAPI). */
import { readFileSync } from 'node:fs';

// src/version.ts and dist/version.js both sit one level below the package root.
export const kVersion: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
